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

pub use http::{
    Body, BuildError, Handler, Headers, IntoResponse, Method, Request, Response, ResponseBuilder,
    Version,
};
/// rustls, as this crate uses it (for [`TlsConfig::from_rustls`]).
#[cfg(feature = "tls")]
pub use rustls;
#[cfg(feature = "tls")]
pub use server::TlsConfig;
pub use server::{AIOServer, ServerBuilder, ServerHandle};
/// The TLS transport, for the fuzz targets (not a stable API).
#[cfg(all(feature = "tls", feature = "internals"))]
#[doc(hidden)]
pub use server::{PLAIN_HTTP_400, TlsStream};
