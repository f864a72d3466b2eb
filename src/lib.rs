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

pub use http::ForwardedHeader;
pub use http::{
    Body, BodyReader, BuildError, Handler, Headers, IntoResponse, Method, Request, Response,
    ResponseBuilder, Version,
};
pub use http::{BodySender, Disconnected, TrySendError};
#[cfg(feature = "router")]
pub use router::{Next, RouteError, Router, RouterBuilder};
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
#[cfg(feature = "systemd")]
pub use server::listener_from_systemd;
pub use server::{Closes, LimitHits, Metrics, Rejections, Responses, Timeouts};
