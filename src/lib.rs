#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings), allow(unused_variables, unused_must_use))))]

mod http;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod proto;
#[cfg(not(feature = "internals"))]
mod proto;
mod server;

pub use http::ForwardedHeader;
pub use http::{
    Body, BuildError, Handler, Headers, IntoResponse, Method, Request, Response, ResponseBuilder,
    Version,
};
#[cfg(feature = "systemd")]
pub use server::listener_from_systemd;
pub use server::{AIOServer, ServerBuilder, ServerHandle};
pub use server::{Closes, LimitHits, Metrics, Rejections, Responses, Timeouts};
