#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings), allow(unused_variables, unused_must_use))))]

#[cfg(feature = "files")]
mod files;
mod http;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod proto;
#[cfg(not(feature = "internals"))]
mod proto;
#[cfg(feature = "router")]
mod router;
mod server;
pub mod test;

pub use http::{
    Body, BodyReader, BuildError, Handler, Headers, IntoResponse, Method, Request, Response,
    ResponseBuilder, Version,
};
pub use http::{BodySender, Disconnected, TrySendError};
#[cfg(feature = "router")]
pub use router::{Next, RouteError, Router, RouterBuilder};
pub use server::{AIOServer, ServerBuilder, ServerHandle};

#[cfg(feature = "files")]
pub use files::Files;
/// The static-file handler's parsers, for the fuzz targets (not a stable API).
#[cfg(all(feature = "files", feature = "internals"))]
#[doc(hidden)]
pub use files::internals as files_internals;
#[cfg(feature = "http")]
pub use http::ConvertError;
#[cfg(feature = "json")]
pub use http::JsonError;
#[cfg(feature = "router")]
pub use http::{FormError, QueryError};
pub use http::{HttpError, SameSite, SetCookie};
