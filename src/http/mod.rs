//! The words a handler uses: [`Method`], [`Version`], [`Headers`], [`Body`] (and
//! [`BodySender`] for a channel body), [`Request`],
//! [`Response`] and [`ResponseBuilder`]. Nothing here knows about sockets.
//!
//! The conveniences around them live in a file each, as `impl Request` /
//! `impl ResponseBuilder` blocks with their rules in the module doc: the
//! query (`query.rs`) and form bodies (`form.rs`, feature `router`), cookies
//! (`cookie.rs`, `set_cookie/`), JSON (`json.rs`, feature `json`), redirects
//! (`redirect.rs`), [`HttpError`] (`error.rs`) and the `http` crate's types
//! (`interop.rs`, feature `http`).

mod body;
pub(crate) mod body_reader;
mod cookie;
mod error;
#[cfg(feature = "router")]
mod form;
mod forwarded;
mod handler;
mod headers;
#[cfg(feature = "http")]
mod interop;
#[cfg(feature = "json")]
mod json;
#[cfg(any(feature = "router", feature = "json"))]
mod media_type;
mod method;
#[cfg(test)]
mod proptests;
#[cfg(feature = "router")]
mod query;
mod redirect;
mod request;
mod response;
mod response_mut;
mod route;
mod set_cookie;
mod version;

pub use body::{Body, BodySender, Disconnected, TrySendError};
#[allow(unused_imports)] // used by proto and the server
pub(crate) use body::{Notify, Pulled, Source};
pub use body_reader::BodyReader;
pub use error::HttpError;
#[cfg(feature = "router")]
pub use form::FormError;
pub use forwarded::ForwardedHeader;
pub(crate) use forwarded::TrustedProxies;
pub use handler::{Handler, IntoResponse};
pub use headers::Headers;
#[cfg(feature = "http")]
pub use interop::ConvertError;
#[cfg(feature = "json")]
pub use json::JsonError;
pub use method::Method;
#[cfg(feature = "router")]
pub use query::QueryError;
pub use request::Request;
pub(crate) use request::TlsInfo;
pub(crate) use request::path_len;
pub use response::{BuildError, Response, ResponseBuilder};
pub(crate) use response::{byte_set, is_token};
#[cfg(test)]
pub(crate) use route::ValueRef;
#[allow(unused_imports)] // used by the router
pub(crate) use route::{Names, ParamValue, ParamValues};
pub use set_cookie::{SameSite, SetCookie};
pub use version::Version;
