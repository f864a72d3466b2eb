//! The words a handler uses: [`Method`], [`Version`], [`Headers`], [`Body`], [`Request`],
//! [`Response`] and [`ResponseBuilder`]. Nothing here knows about sockets.

mod body;
mod handler;
mod headers;
mod method;
mod request;
mod response;
mod version;

pub use body::Body;
pub use handler::{Handler, IntoResponse};
pub use headers::Headers;
pub use method::Method;
pub use request::Request;
pub(crate) use request::TlsInfo;
pub(crate) use request::path_len;
#[allow(unused_imports)] // used by the router
pub(crate) use request::{Param, ParamValue, RouteLevel, RouteSlot};
pub use response::{BuildError, Response, ResponseBuilder};
pub(crate) use response::{byte_set, is_token};
pub use version::Version;
