//! [`HttpError`]: an error that knows the status it is answered with, so a
//! handler returning `Result<Response, HttpError>` can use `?` on everything
//! that can fail while it reads a request or builds a response.
//!
//! | error | status | test |
//! |---|---|---|
//! | `HttpError::new(status, message)` with a status in 400..=599 | that status, the message as a plain-text body | `http_error_is_a_plain_text_response` |
//! | `HttpError::new` with any other status | 500 | `http_error_status_outside_4xx_5xx_is_500` |
//! | an empty message | the status's reason phrase as the body | `http_error_is_a_plain_text_response` |
//! | [`BuildError`] (the handler's own response was refused) | 500, a generic body; the details go to the log | `build_error_is_500_without_details` |
//! | `QueryError`, `FormError`, `JsonError` (features `router`, `json`) | 400 or 415 (each error's `status()`) | in their modules |

use std::borrow::Cow;
use std::error::Error;
use std::fmt;

use super::response::reason_phrase;
use super::{BuildError, IntoResponse, Response};

/// An error answered with a status and a plain-text message.
///
/// The errors of the request conveniences (`QueryError`, `FormError`,
/// `JsonError`) and [`BuildError`] convert into it, so a handler that returns
/// `Result<Response, HttpError>` uses `?` on all of them; the `Err` side is
/// sent as a `text/plain; charset=utf-8` response of the error's status.
///
/// ```
/// use mini_async_http::{HttpError, IntoResponse, Method, Request, Response, ResponseBuilder};
///
/// fn handler(req: &Request) -> Result<Response, HttpError> {
///     let id: u32 = req
///         .path()
///         .trim_start_matches('/')
///         .parse()
///         .map_err(|_| HttpError::new(404, "no such item"))?;
///     Ok(ResponseBuilder::new().body(format!("item {id}")).build()?)
/// }
///
/// let resp = handler(&Request::new(Method::Get, "/abc")).into_response();
/// assert_eq!(resp.status(), 404);
/// assert_eq!(resp.body(), b"no such item");
/// assert_eq!(handler(&Request::new(Method::Get, "/7")).into_response().body(), b"item 7");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    status: u16,
    message: Cow<'static, str>,
}

impl HttpError {
    /// An error answered with `status` and `message` as the body (the
    /// status's reason phrase when `message` is empty).
    ///
    /// `status` must be a client or server error (400..=599); any other is
    /// replaced by 500, so that an error can never be sent as a success, a
    /// redirect or a bodiless status.
    ///
    /// ```
    /// use mini_async_http::HttpError;
    /// assert_eq!(HttpError::new(409, "name taken").status(), 409);
    /// assert_eq!(HttpError::new(200, "not an error").status(), 500);
    /// ```
    #[must_use]
    pub fn new(status: u16, message: impl Into<Cow<'static, str>>) -> HttpError {
        HttpError {
            status: if (400..=599).contains(&status) {
                status
            } else {
                500
            },
            message: message.into(),
        }
    }

    /// The status the error is answered with.
    ///
    /// ```
    /// assert_eq!(mini_async_http::HttpError::new(403, "").status(), 403);
    /// ```
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The message sent as the body (before an empty one is replaced by the
    /// reason phrase).
    ///
    /// ```
    /// assert_eq!(mini_async_http::HttpError::new(400, "bad id").message(), "bad id");
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, reason_phrase(self.status))?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl Error for HttpError {}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let text = if self.message.is_empty() {
            reason_phrase(self.status)
        } else {
            &self.message
        };
        Response::plain(self.status, text)
    }
}

/// `From<$error> for HttpError` and `IntoResponse for $error`, for an error
/// that knows its status (`status()`) and says what went wrong (`Display`):
/// the client gets that status with the message as plain text.
#[cfg_attr(not(any(feature = "router", feature = "json")), allow(unused_macros))]
macro_rules! status_error {
    ($error:ty) => {
        impl From<$error> for $crate::HttpError {
            fn from(error: $error) -> $crate::HttpError {
                $crate::HttpError::new(error.status(), error.to_string())
            }
        }

        impl $crate::IntoResponse for $error {
            fn into_response(self) -> $crate::Response {
                $crate::HttpError::from(self).into_response()
            }
        }
    };
}
#[cfg_attr(not(any(feature = "router", feature = "json")), allow(unused_imports))]
pub(crate) use status_error;

/// A response the handler built but [`ResponseBuilder::build`](crate::ResponseBuilder::build)
/// refused is the server's fault: 500. The client gets no details (they
/// describe the handler, not the request); they are logged at `error` level.
impl From<BuildError> for HttpError {
    fn from(error: BuildError) -> HttpError {
        log::error!("handler's response refused: {error}");
        HttpError::new(500, "")
    }
}

/// A 500 with a generic body, as through [`HttpError`], so a handler may
/// return `Result<Response, BuildError>`.
impl IntoResponse for BuildError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ResponseBuilder;

    #[test]
    fn http_error_is_a_plain_text_response() {
        let resp = HttpError::new(422, "title is required").into_response();
        assert_eq!(resp.status(), 422);
        assert_eq!(resp.body(), b"title is required");
        assert_eq!(
            resp.headers().get("content-type"),
            Some("text/plain; charset=utf-8")
        );
        let owned = HttpError::new(404, format!("no item {}", 7));
        assert_eq!(owned.to_string(), "404 Not Found: no item 7");

        let empty = HttpError::new(503, "");
        assert_eq!(empty.to_string(), "503 Service Unavailable");
        assert_eq!(empty.into_response().body(), b"Service Unavailable");
    }

    #[test]
    fn http_error_status_outside_4xx_5xx_is_500() {
        for status in [0, 100, 200, 204, 302, 399, 600, 999, u16::MAX] {
            let error = HttpError::new(status, "x");
            assert_eq!(error.status(), 500, "status {status}");
            assert_eq!(error.into_response().status(), 500);
        }
        for status in [400, 418, 499, 500, 599] {
            assert_eq!(HttpError::new(status, "x").status(), status);
        }
    }

    #[test]
    fn build_error_is_500_without_details() {
        fn handler() -> Result<Response, HttpError> {
            Ok(ResponseBuilder::new().header("X-A", "a\nb").build()?)
        }
        let resp = handler().into_response();
        assert_eq!(resp.status(), 500);
        assert_eq!(resp.body(), b"Internal Server Error");

        let direct = BuildError::InvalidHeaderName("Bad Name".into()).into_response();
        assert_eq!(direct.status(), 500);
        assert!(!String::from_utf8_lossy(direct.body()).contains("Bad Name"));
    }
}
