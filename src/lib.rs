//! A small, fast, hardened HTTP/1.1 server: one [`mio`](https://docs.rs/mio)
//! event loop, a pool of worker threads, and a plain synchronous closure as
//! the handler. No async runtime, no `unsafe`.
//!
//! ```no_run
//! use mini_async_http::{AIOServer, ResponseBuilder};
//!
//! let mut server = AIOServer::new(3, "0.0.0.0:7878", move |request| {
//!     ResponseBuilder::empty_200()
//!         .body(b"Hello")
//!         .content_type("text/plain")
//!         .build()
//!         .unwrap()
//! });
//! server.start();
//! ```
//!
//! # Where to start
//!
//! | to… | use |
//! |---|---|
//! | run a server | [`AIOServer::new`], [`AIOServer::builder`] → [`ServerBuilder`] (every limit and timeout, with its default), [`ServerHandle`] (shutdown, metrics) |
//! | read a request | [`Request`]: method, path, query, headers, body ([`Request::body_reader`] for any size, [`Request::shared_body`] to answer with it without a copy), cookies, and with features `router`/`json` the query pairs, forms and JSON |
//! | answer | [`ResponseBuilder`] → [`Response`] (checked before it can reach the wire), [`Body`] (bytes, a file, a reader, a [channel](Body::channel)), [`SetCookie`], redirects, [`HttpError`] for `?` |
//! | route | [`Router`] (feature `router`): patterns, 405/`Allow`, `HEAD`, `OPTIONS`, mounts, [`Next`] for code around routes |
//! | serve files | [`Files`] (feature `files`): validators, conditionals, ranges, listings, precompressed siblings, strict containment |
//! | anything that answers | [`Handler`] (closures, routers, `Files`, your types) and [`IntoResponse`] |
//! | test without a socket | [`test::TestClient`]: the server's own parser and encoder, in memory |
//! | HTTPS | [`TlsConfig`] and [`ServerBuilder::tls`] (feature `tls`), [`ServerHandle::reload_tls`] |
//! | operate | [`Metrics`] ([`ServerHandle::metrics`], Prometheus text), [`ServerBuilder::access_log`], [`ServerBuilder::reuse_port`], [`AIOServer::from_listener`] |
//!
//! The README (on the repository's front page, and below in the
//! repository as `README.md`) walks through each with examples; every
//! example there runs as a test. How the server is built is in
//! `ARCHITECTURE.md`; the protocol policy (what each kind of bad input gets)
//! is a table in the protocol layer's module documentation.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `signals` | yes | [`AIOServer::shutdown_on_signals`]: SIGINT/SIGTERM drain |
//! | `router` | no | [`Router`], [`Request::query_pairs`], [`Request::form`] (matchit, percent-encoding, form_urlencoded) |
//! | `json` | no | [`Request::json`], [`ResponseBuilder::json`] (serde, serde_json) |
//! | `http` | no | conversions to and from the `http` crate's types |
//! | `files` | no | [`Files`], and `sendfile` for file bodies on Linux (mime_guess, rustix) |
//! | `splice` | no | spooled uploads move socket → file by `splice(2)` on Linux over plain TCP, one copy fewer, and `persist_body` links them into place (rustix) |
//! | `tls` | no | HTTPS through rustls (ring) |
//! | `systemd` | no | [`listener_from_systemd`] (listenfd) |
//! | `internals` | no | the sans-IO protocol layer, for fuzzing and benches; not a stable API |
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
/// The TLS transport and a socket in memory to drive it, for the fuzz
/// targets (not a stable API).
#[cfg(all(feature = "tls", feature = "internals"))]
#[doc(hidden)]
pub use server::{MemorySocket, PLAIN_HTTP_400, TlsStream};

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

/// The README's examples, run by `cargo test` (not part of the API).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
