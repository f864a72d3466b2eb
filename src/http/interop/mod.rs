//! Conversions to and from the [`http`](https://docs.rs/http/1) crate's
//! types (feature `http`), so code written against `http::Request` and
//! `http::Response` (an axum or astra handler's body, a test helper) moves
//! over with little change:
//!
//! ```
//! use mini_async_http::{HttpError, Method, Request, Response};
//!
//! // A handler written against the `http` crate …
//! fn hello(req: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
//!     let name = req.uri().query().unwrap_or("world");
//!     http::Response::builder()
//!         .header("content-type", "text/plain")
//!         .body(format!("Hello, {name}").into_bytes())
//!         .unwrap()
//! }
//!
//! // … run as this crate's handler.
//! fn handler(req: &Request) -> Result<Response, HttpError> {
//!     let req = http::Request::try_from(req).map_err(|e| HttpError::new(400, e.to_string()))?;
//!     Ok(Response::try_from(hello(req))?)
//! }
//!
//! let resp = handler(&Request::new(Method::Get, "/?you")).unwrap();
//! assert_eq!(resp.body(), b"Hello, you");
//! ```
//!
//! A conversion that can fail is a `TryFrom`: a response from `http` is
//! checked as our builder checks one (a 1xx status, `Transfer-Encoding`…
//! are refused), and the other way round a [`Method::Other`] or a hand-made
//! [`Request`] may hold what `http` refuses.
//!
//! | conversion | fails when | what it costs | test |
//! |---|---|---|---|
//! | `Method` ↔ `http::Method` (by value or `&`) | ours → theirs: [`Method::Other`] that is not a token | the nine standard methods: nothing; an extension method: one copy | `methods_both_ways` |
//! | `Version` ↔ `http::Version` | theirs → ours: HTTP/0.9, 2, 3 | nothing | `versions_both_ways` |
//! | `&Headers` ↔ `&http::HeaderMap` | ours → theirs: a name `http` refuses, a value with a control character; theirs → ours: a value that is not UTF-8 | every name and value copied (`http` lowercases names; standard names are not allocated); names come back lowercase, and in the map's order, which keeps the order of each name's values but not across names | `headers_both_ways` |
//! | `Request` → `http::Request<Vec<u8>>` | a method, target or header `http` refuses | the target and body moved, headers copied; `&Request`: target, headers and body copied; a body spooled to a file is read into memory; the peer address is put in the extensions as a `SocketAddr`; route parameters are not carried | `requests_both_ways`, `spooled_request_bodies_are_read_back` |
//! | `http::Request<B: Into<Vec<u8>>>` → `Request` | a version other than 1.0/1.1, a header value not UTF-8 | the URI written out as the target (one allocation), headers copied, body `into()` (moved for `Vec<u8>`); the peer from a `SocketAddr` extension, else `0.0.0.0:0` | `requests_both_ways` |
//! | `Response` → `http::Response<Vec<u8>>` | a file or reader body (not in memory); a status `http` refuses | body moved (a static one copied), headers copied; a custom reason phrase is dropped | `responses_both_ways`, `file_bodies_only_to_a_body_response` |
//! | `Response` → `http::Response<Body>` | a status `http` refuses | body moved (files and readers too), headers copied | `file_bodies_only_to_a_body_response` |
//! | `http::Response<B: Into<Body>>` → `Response` | whatever [`ResponseBuilder::build`](crate::ResponseBuilder::build) refuses (1xx, a body on 204/304, `Transfer-Encoding`, a header value not UTF-8) — [`BuildError`] | headers copied, body `into()`; a `Content-Length` equal to the body's length is dropped (the server writes its own), a different one is refused | `responses_both_ways`, `response_from_http_validated_like_build` |

use std::error::Error;
use std::fmt;
use std::net::SocketAddr;

use ::http::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use ::http::{HeaderMap, StatusCode};

use super::body::SharedBuf;
use super::{
    Body, BuildError, Headers, Method, Request, Response, ResponseBuilder, Version, path_len,
};

/// Why a conversion to or from an `http` crate type failed.
///
/// ```
/// use mini_async_http::{ConvertError, Method};
/// let err = http::Method::try_from(&Method::Other("NO GOOD".into())).unwrap_err();
/// assert_eq!(err, ConvertError::InvalidMethod("NO GOOD".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConvertError {
    /// The method is not a token.
    InvalidMethod(String),
    /// `http::Uri` refused the request-target.
    InvalidTarget,
    /// `http` refused this header name.
    InvalidHeaderName(String),
    /// The value of this header has a byte the other side refuses (a
    /// control character for `http`, bytes that are not UTF-8 for ours).
    InvalidHeaderValue(String),
    /// A version other than HTTP/1.0 and HTTP/1.1 (as `http` writes it).
    UnsupportedVersion(String),
    /// `http` refused this status.
    InvalidStatus(u16),
    /// The body is a file or a reader, which a `Vec<u8>` cannot hold.
    BodyNotInMemory,
    /// A request body spooled to a temporary file could not be read back.
    BodyUnreadable(String),
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConvertError::InvalidMethod(m) => write!(f, "invalid method {m:?}"),
            ConvertError::InvalidTarget => f.write_str("invalid request-target"),
            ConvertError::InvalidHeaderName(n) => write!(f, "invalid header name {n:?}"),
            ConvertError::InvalidHeaderValue(n) => write!(f, "invalid value of header {n:?}"),
            ConvertError::UnsupportedVersion(v) => write!(f, "unsupported version {v}"),
            ConvertError::InvalidStatus(s) => write!(f, "invalid status {s}"),
            ConvertError::BodyNotInMemory => f.write_str("body is a file or a reader, not bytes"),
            ConvertError::BodyUnreadable(e) => write!(f, "cannot read the spooled body: {e}"),
        }
    }
}

impl Error for ConvertError {}

/// Every method `http` holds is a token, so this cannot fail; the nine
/// standard ones map to their variants, any other to [`Method::Other`].
impl From<&::http::Method> for Method {
    fn from(method: &::http::Method) -> Method {
        match *method {
            ::http::Method::GET => Method::Get,
            ::http::Method::HEAD => Method::Head,
            ::http::Method::POST => Method::Post,
            ::http::Method::PUT => Method::Put,
            ::http::Method::DELETE => Method::Delete,
            ::http::Method::CONNECT => Method::Connect,
            ::http::Method::OPTIONS => Method::Options,
            ::http::Method::TRACE => Method::Trace,
            ::http::Method::PATCH => Method::Patch,
            _ => Method::Other(method.as_str().to_owned()),
        }
    }
}

/// As the conversion from `&http::Method`.
impl From<::http::Method> for Method {
    fn from(method: ::http::Method) -> Method {
        Method::from(&method)
    }
}

/// Fails for a [`Method::Other`] that is not a token.
impl TryFrom<&Method> for ::http::Method {
    type Error = ConvertError;

    fn try_from(method: &Method) -> Result<::http::Method, ConvertError> {
        ::http::Method::from_bytes(method.as_str().as_bytes())
            .map_err(|_| ConvertError::InvalidMethod(method.as_str().to_owned()))
    }
}

/// As the conversion from `&Method`.
impl TryFrom<Method> for ::http::Method {
    type Error = ConvertError;

    fn try_from(method: Method) -> Result<::http::Method, ConvertError> {
        ::http::Method::try_from(&method)
    }
}

impl From<Version> for ::http::Version {
    fn from(version: Version) -> ::http::Version {
        match version {
            Version::Http10 => ::http::Version::HTTP_10,
            Version::Http11 => ::http::Version::HTTP_11,
        }
    }
}

/// Fails for HTTP/0.9, HTTP/2 and HTTP/3.
impl TryFrom<::http::Version> for Version {
    type Error = ConvertError;

    fn try_from(version: ::http::Version) -> Result<Version, ConvertError> {
        match version {
            ::http::Version::HTTP_10 => Ok(Version::Http10),
            ::http::Version::HTTP_11 => Ok(Version::Http11),
            other => Err(ConvertError::UnsupportedVersion(format!("{other:?}"))),
        }
    }
}

/// Copies every field; fails on a name `http` refuses or a value with a
/// control character.
impl TryFrom<&Headers> for HeaderMap {
    type Error = ConvertError;

    fn try_from(headers: &Headers) -> Result<HeaderMap, ConvertError> {
        let mut map = HeaderMap::with_capacity(headers.len());
        for (name, value) in headers.iter() {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ConvertError::InvalidHeaderName(name.to_owned()))?;
            let header_value = HeaderValue::from_bytes(value.as_bytes())
                .map_err(|_| ConvertError::InvalidHeaderValue(name.to_owned()))?;
            map.append(header_name, header_value);
        }
        Ok(map)
    }
}

/// Copies every field (names lowercase, in the map's order); fails on a
/// value that is not UTF-8.
impl TryFrom<&HeaderMap> for Headers {
    type Error = ConvertError;

    fn try_from(map: &HeaderMap) -> Result<Headers, ConvertError> {
        let mut headers = Headers::new();
        for (name, value) in map {
            let value = std::str::from_utf8(value.as_bytes())
                .map_err(|_| ConvertError::InvalidHeaderValue(name.as_str().to_owned()))?;
            headers.append(name.as_str(), value);
        }
        Ok(headers)
    }
}

/// A request body that the server spooled to a temporary file, read into
/// memory (`body_len` bytes: the `http` types hold bodies in memory).
fn spooled_body(req: &Request) -> Result<Vec<u8>, ConvertError> {
    use std::io::Read;
    let mut body = Vec::with_capacity(usize::try_from(req.body_len()).unwrap_or(0));
    req.body_reader()
        .read_to_end(&mut body)
        .map_err(|e| ConvertError::BodyUnreadable(e.to_string()))?;
    Ok(body)
}

/// Moves the target and the body (a spooled body is read into memory),
/// copies the headers; the peer address goes
/// into the extensions as a `SocketAddr`.
impl TryFrom<Request> for ::http::Request<Vec<u8>> {
    type Error = ConvertError;

    fn try_from(req: Request) -> Result<::http::Request<Vec<u8>>, ConvertError> {
        let body = if req.is_spooled() {
            spooled_body(&req)?
        } else {
            Vec::new()
        };
        let uri = ::http::Uri::try_from(req.target).map_err(|_| ConvertError::InvalidTarget)?;
        let body = if body.is_empty() {
            req.body.into_vec()
        } else {
            body
        };
        http_request(
            &req.method,
            uri,
            req.version,
            &req.headers,
            req.peer_addr,
            body,
        )
    }
}

/// Copies the target, the headers and the body (a handler has a `&Request`).
impl TryFrom<&Request> for ::http::Request<Vec<u8>> {
    type Error = ConvertError;

    fn try_from(req: &Request) -> Result<::http::Request<Vec<u8>>, ConvertError> {
        let uri = ::http::Uri::try_from(req.target()).map_err(|_| ConvertError::InvalidTarget)?;
        let body = match req.try_body() {
            Some(bytes) => bytes.to_vec(),
            None => spooled_body(req)?,
        };
        http_request(
            req.method(),
            uri,
            req.version(),
            req.headers(),
            req.peer_addr(),
            body,
        )
    }
}

fn http_request(
    method: &Method,
    uri: ::http::Uri,
    version: Version,
    headers: &Headers,
    peer_addr: SocketAddr,
    body: Vec<u8>,
) -> Result<::http::Request<Vec<u8>>, ConvertError> {
    let mut out = ::http::Request::new(body);
    *out.method_mut() = ::http::Method::try_from(method)?;
    *out.uri_mut() = uri;
    *out.version_mut() = version.into();
    *out.headers_mut() = HeaderMap::try_from(headers)?;
    out.extensions_mut().insert(peer_addr);
    Ok(out)
}

/// The URI becomes the target as `http` writes it; fails on a version
/// other than 1.0/1.1 or a header value that is not UTF-8.
impl<B: Into<Vec<u8>>> TryFrom<::http::Request<B>> for Request {
    type Error = ConvertError;

    fn try_from(req: ::http::Request<B>) -> Result<Request, ConvertError> {
        let (parts, body) = req.into_parts();
        let mut out = Request::new(Method::from(parts.method), "");
        out.target = parts.uri.to_string();
        out.path_len = path_len(&out.target);
        out.version = Version::try_from(parts.version)?;
        out.headers = Headers::try_from(&parts.headers)?;
        if let Some(peer_addr) = parts.extensions.get::<SocketAddr>() {
            out.peer_addr = *peer_addr;
        }
        out.body = SharedBuf::from_vec(body.into());
        Ok(out)
    }
}

/// Fails on a file or reader body ([`ConvertError::BodyNotInMemory`]; see
/// the conversion to `http::Response<Body>`). A custom reason phrase is
/// dropped (`http` has none).
impl TryFrom<Response> for ::http::Response<Vec<u8>> {
    type Error = ConvertError;

    fn try_from(resp: Response) -> Result<::http::Response<Vec<u8>>, ConvertError> {
        let resp = ::http::Response::<Body>::try_from(resp)?;
        if !resp.body().is_in_memory() {
            return Err(ConvertError::BodyNotInMemory);
        }
        Ok(resp.map(Body::into_vec))
    }
}

/// Keeps any body, files and readers too. A custom reason phrase is dropped.
impl TryFrom<Response> for ::http::Response<Body> {
    type Error = ConvertError;

    fn try_from(mut resp: Response) -> Result<::http::Response<Body>, ConvertError> {
        let status = StatusCode::from_u16(resp.status())
            .map_err(|_| ConvertError::InvalidStatus(resp.status()))?;
        let headers = HeaderMap::try_from(resp.headers())?;
        let mut out = ::http::Response::new(resp.take_body());
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

/// Checks the response as [`ResponseBuilder::build`] does. A
/// `Content-Length` equal to the body's length is dropped (the server
/// writes its own); any other is refused as a reserved header.
impl<B: Into<Body>> TryFrom<::http::Response<B>> for Response {
    type Error = BuildError;

    fn try_from(resp: ::http::Response<B>) -> Result<Response, BuildError> {
        let (parts, body) = resp.into_parts();
        let body: Body = body.into();
        let mut builder = ResponseBuilder::new().status(parts.status.as_u16());
        for (name, value) in &parts.headers {
            let value = std::str::from_utf8(value.as_bytes())
                .map_err(|_| BuildError::InvalidHeaderValue(name.as_str().to_owned()))?;
            if *name == CONTENT_LENGTH
                && value
                    .parse::<u64>()
                    .ok()
                    .is_some_and(|len| Some(len) == body.content_length())
            {
                continue;
            }
            builder = builder.header(name.as_str(), value);
        }
        builder.body(body).build()
    }
}

#[cfg(test)]
mod tests;
