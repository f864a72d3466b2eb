use std::cell::Cell;
use std::error::Error;
use std::fmt;

use super::{Body, Headers};

/// A response ready to be written: status, reason, header fields and body.
///
/// Made by [`ResponseBuilder::build`], which has checked every part, so the
/// server can write it without corrupting the connection. The server adds
/// `Content-Length`, `Date` (unless the handler set one) and `Connection`.
///
/// ```
/// use mini_async_http::ResponseBuilder;
///
/// let resp = ResponseBuilder::empty_404().body("no such page").build().unwrap();
/// assert_eq!(resp.status(), 404);
/// assert_eq!(resp.reason(), "Not Found");
/// assert_eq!(resp.body(), b"no such page");
/// ```
#[derive(Clone)]
pub struct Response {
    pub(super) status: u16,
    pub(super) reason: Option<Box<str>>,
    /// Behind a `Box` (see [`HeaderStore`]); `None`: no field.
    pub(super) headers: HeaderStore,
    pub(super) body: Body,
}

/// Where a response's header fields live: behind a `Box`, recycled through
/// `SPARE_HEADERS`, so that moving a builder or a response moves a pointer.
/// Held in place (56 bytes), the fields were copied field by field right
/// after being written, at each of the builder's moves, and the core could
/// not forward those stores to the copy's loads: a stall each time. With
/// the box, the builder's setters inlined (`#[inline(always)]`: `#[inline]`
/// left `build` a call) and `Body::discard` in `body`, the micro benchmark
/// `response/hello_build_drop` went from 64 to 29 ns, and pipe16's user
/// instructions per request from 1 023 to 885
/// (`bench/results/2026-12-02/user_time.md`).
pub(super) type HeaderStore = Option<Box<Headers>>;

/// The fields of a response that has none.
static NO_HEADERS: Headers = Headers::new();

/// The fields in `store` (an empty list when there are none).
fn fields(store: &HeaderStore) -> &Headers {
    store.as_deref().unwrap_or(&NO_HEADERS)
}

/// The fields in `store`, created empty (from the spare storage, if any)
/// if there are none yet.
fn fields_mut(store: &mut HeaderStore) -> &mut Headers {
    store.get_or_insert_with(|| SPARE_HEADERS.with(Cell::take).unwrap_or_default())
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("reason", &self.reason)
            .field("headers", self.headers())
            .field("body", &self.body)
            .finish()
    }
}

/// Equal status, reason, fields and body (a response without fields equals
/// one whose fields are an empty list).
impl PartialEq for Response {
    fn eq(&self, other: &Response) -> bool {
        self.status == other.status
            && self.reason == other.reason
            && self.headers() == other.headers()
            && self.body == other.body
    }
}

impl Eq for Response {}

impl Response {
    /// The status code.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::empty_500().build().unwrap();
    /// assert_eq!(resp.status(), 500);
    /// ```
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase: the one set with [`ResponseBuilder::reason`], else the
    /// standard phrase of the status, else empty.
    ///
    /// ```
    /// use mini_async_http::ResponseBuilder;
    /// assert_eq!(ResponseBuilder::new().status(418).build().unwrap().reason(), "I'm a teapot");
    /// assert_eq!(ResponseBuilder::new().status(200).reason("Fine").build().unwrap().reason(), "Fine");
    /// ```
    #[must_use]
    pub fn reason(&self) -> &str {
        self.reason
            .as_deref()
            .unwrap_or_else(|| reason_phrase(self.status))
    }

    /// The header fields set by the handler.
    ///
    /// ```
    /// use mini_async_http::ResponseBuilder;
    /// let resp = ResponseBuilder::new().content_type("text/html").build().unwrap();
    /// assert_eq!(resp.headers().get("content-type"), Some("text/html"));
    /// ```
    #[must_use]
    pub fn headers(&self) -> &Headers {
        fields(&self.headers)
    }

    /// The header fields, to change (`response_mut.rs`).
    pub(super) fn headers_mut(&mut self) -> &mut Headers {
        fields_mut(&mut self.headers)
    }

    /// The bytes of the body when it is in memory; empty for a file, reader
    /// or channel body (see [`Body::as_bytes`]).
    ///
    /// ```
    /// use mini_async_http::ResponseBuilder;
    /// assert_eq!(ResponseBuilder::new().body(b"hi").build().unwrap().body(), b"hi");
    /// ```
    #[must_use]
    pub fn body(&self) -> &[u8] {
        self.body.as_bytes()
    }

    /// The body itself, streamed or not (for the encoder).
    pub(crate) fn body_ref(&self) -> &Body {
        &self.body
    }

    /// The whole status line, ready to send, when the status is in the table
    /// and the reason phrase is its standard one.
    pub(crate) fn status_line(&self) -> Option<&'static [u8]> {
        if self.reason.is_some() {
            return None;
        }
        // The usual status without the table's jump.
        if self.status == 200 {
            return Some(b"HTTP/1.1 200 OK\r\n");
        }
        status_line(self.status)
    }

    /// Moves the body out, leaving an empty one (the server sends a large
    /// body from where it is instead of copying it).
    pub(crate) fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.body)
    }

    /// A plain-text response made by the server itself (errors, 500 on panic).
    pub(crate) fn plain(status: u16, text: &str) -> Response {
        let mut headers = None;
        fields_mut(&mut headers).append("Content-Type", "text/plain; charset=utf-8");
        Response {
            status,
            reason: None,
            headers,
            body: Body::from(text),
        }
    }
}

impl Drop for Response {
    /// Keeps the header storage for the next response built on this thread
    /// (see `spare_headers`).
    fn drop(&mut self) {
        if let Some(mut headers) = self.headers.take() {
            if headers.capacity_bytes() <= SPARE_MAX_BYTES {
                headers.clear();
                SPARE_HEADERS.with(|spare| spare.set(Some(headers)));
            }
        }
    }
}

/// Header storage larger than this is not kept for reuse.
const SPARE_MAX_BYTES: usize = 4096;

thread_local! {
    /// The header storage of the last response dropped on this thread.
    static SPARE_HEADERS: Cell<Option<Box<Headers>>> = const { Cell::new(None) };
}

/// The storage of the last [`Response`] dropped on this thread, emptied, if
/// there is one. A worker builds a response, encodes it and drops it, then
/// builds the next: its header fields then cost no allocation.
fn spare_headers() -> HeaderStore {
    SPARE_HEADERS.with(Cell::take)
}

/// Builds a [`Response`], checking that it can go on the wire as it is.
///
/// ```
/// use mini_async_http::ResponseBuilder;
///
/// let resp = ResponseBuilder::new()
///     .status(201)
///     .header("Location", "/items/7")
///     .content_type("application/json")
///     .body(br#"{"id":7}"#)
///     .build()
///     .unwrap();
/// assert_eq!(resp.status(), 201);
///
/// // A CR or LF in a value would let a client's input inject headers:
/// assert!(ResponseBuilder::new().header("X-Name", "a\r\nSet-Cookie: x").build().is_err());
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ResponseBuilder {
    status: u16,
    reason: Option<Box<str>>,
    headers: HeaderStore,
    body: Body,
    /// A field that may be invalid was added: `build` checks every field
    /// left. Fields are checked as they are added, where each setter knows
    /// what it needs to check (a field of a fixed name needs no name check),
    /// but the error is only reported by `build`, and only if the field is
    /// still there (`content_type` replaces an earlier one).
    suspect: bool,
    /// An error found by a setter that cannot be kept as a field to judge
    /// later (a refused cookie, a body that failed to serialize): `build`
    /// returns it. Boxed, so the builder grows by one pointer only; set
    /// together with `suspect`, so the common path tests one flag.
    deferred: Option<Box<BuildError>>,
}

impl Default for ResponseBuilder {
    fn default() -> ResponseBuilder {
        ResponseBuilder::new()
    }
}

impl ResponseBuilder {
    /// A `200 OK` with no header and an empty body.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::new().build().unwrap();
    /// assert_eq!(resp.status(), 200);
    /// ```
    #[allow(clippy::inline_always)] // measured: see `HeaderStore`
    #[inline(always)]
    pub fn new() -> ResponseBuilder {
        ResponseBuilder {
            status: 200,
            reason: None,
            headers: spare_headers(),
            body: Body::empty(),
            suspect: false,
            deferred: None,
        }
    }

    /// A `200 OK` with an empty body.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::empty_200().build().unwrap();
    /// assert_eq!((resp.status(), resp.reason()), (200, "OK"));
    /// ```
    #[allow(clippy::inline_always)] // measured: see `HeaderStore`
    #[inline(always)]
    pub fn empty_200() -> ResponseBuilder {
        ResponseBuilder::new()
    }

    /// A `400 Bad Request` with an empty body.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::empty_400().build().unwrap();
    /// assert_eq!(resp.status(), 400);
    /// ```
    pub fn empty_400() -> ResponseBuilder {
        ResponseBuilder::new().status(400)
    }

    /// A `404 Not Found` with an empty body.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::empty_404().build().unwrap();
    /// assert_eq!(resp.status(), 404);
    /// ```
    pub fn empty_404() -> ResponseBuilder {
        ResponseBuilder::new().status(404)
    }

    /// A `500 Internal Server Error` with an empty body.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::empty_500().build().unwrap();
    /// assert_eq!(resp.status(), 500);
    /// ```
    pub fn empty_500() -> ResponseBuilder {
        ResponseBuilder::new().status(500)
    }

    /// Sets the status code (200 to 999; informational 1xx statuses are the
    /// server's own business and are refused by [`build`](Self::build)).
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::new().status(204).build().unwrap();
    /// assert_eq!(resp.reason(), "No Content");
    /// ```
    pub fn status(mut self, status: u16) -> ResponseBuilder {
        self.status = status;
        self
    }

    /// Sets the reason phrase, replacing the standard one.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::new().reason("Okay").build().unwrap();
    /// assert_eq!(resp.reason(), "Okay");
    /// ```
    pub fn reason(mut self, reason: &str) -> ResponseBuilder {
        self.reason = Some(reason.into());
        self
    }

    /// Adds a header field (repeats are kept, in order).
    ///
    /// `Content-Length` and `Transfer-Encoding` are the server's to set and are
    /// refused by [`build`](Self::build). A `Connection: close` field makes the
    /// server close the connection after this response.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::new()
    ///     .header("Set-Cookie", "a=1")
    ///     .header("Set-Cookie", "b=2")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(resp.headers().get_all("set-cookie").count(), 2);
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> ResponseBuilder {
        self.suspect |= field_error(name.as_bytes(), value.as_bytes()).is_some();
        fields_mut(&mut self.headers).append(name, value);
        self
    }

    /// Sets `Content-Type`, replacing any earlier one.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::new().content_type("text/plain").build().unwrap();
    /// assert_eq!(resp.headers().get("Content-Type"), Some("text/plain"));
    /// ```
    #[allow(clippy::inline_always)] // measured: see `HeaderStore`
    #[inline(always)]
    pub fn content_type(mut self, content_type: &str) -> ResponseBuilder {
        self.suspect |= !field_value_bytes(content_type.as_bytes());
        fields_mut(&mut self.headers).insert_content_type(content_type);
        self
    }

    /// Sets the body. Takes anything that becomes a [`Body`]: a byte literal
    /// `b"..."` is sent from where it is, without a copy; `Vec<u8>` and
    /// `String` are moved; `&[u8]` and `&str` are copied.
    ///
    /// ```
    /// use mini_async_http::ResponseBuilder;
    /// assert_eq!(ResponseBuilder::new().body(b"static").build().unwrap().body(), b"static");
    /// assert_eq!(ResponseBuilder::new().body("text").build().unwrap().body(), b"text");
    /// assert_eq!(ResponseBuilder::new().body(vec![1, 2]).build().unwrap().body(), [1, 2]);
    /// ```
    #[allow(clippy::inline_always)] // measured: see `HeaderStore`
    #[inline(always)]
    pub fn body(mut self, body: impl Into<Body>) -> ResponseBuilder {
        std::mem::replace(&mut self.body, body.into()).discard();
        self
    }

    /// Makes [`build`](Self::build) fail with `error` (the first one kept),
    /// for setters that find a problem they cannot report themselves.
    pub(crate) fn defer_error(mut self, error: BuildError) -> ResponseBuilder {
        self.suspect = true;
        if self.deferred.is_none() {
            self.deferred = Some(Box::new(error));
        }
        self
    }

    /// Checks the response and returns it.
    ///
    /// # Errors
    /// [`BuildError`] when the response could not be written as it is: a status
    /// outside 200..=999, a reason or a header value with CR, LF or another
    /// control character, a header name that is not a token, a `Content-Length`
    /// or `Transfer-Encoding` field, or a body on 204 or 304.
    ///
    /// ```
    /// use mini_async_http::{BuildError, ResponseBuilder};
    /// let err = ResponseBuilder::new().status(204).body("x").build().unwrap_err();
    /// assert!(matches!(err, BuildError::BodyNotAllowed(204)));
    /// ```
    #[allow(clippy::inline_always)] // measured: see `HeaderStore`
    #[inline(always)]
    pub fn build(self) -> Result<Response, BuildError> {
        // The usual response: nothing to check but the status, inlined
        // into the handler (the builder is not moved into a call).
        if self.reason.is_none()
            && !self.suspect
            && (200..=999).contains(&self.status)
            && body_allowed(self.status, &self.body)
        {
            return Ok(Response {
                status: self.status,
                reason: None,
                headers: self.headers,
                body: self.body,
            });
        }
        self.build_checked()
    }

    /// [`build`](Self::build) of a response with something to check.
    #[inline(never)]
    fn build_checked(self) -> Result<Response, BuildError> {
        if !(200..=999).contains(&self.status) {
            return Err(BuildError::InvalidStatus(self.status));
        }
        if let Some(reason) = &self.reason {
            if !valid_field_value(reason) {
                return Err(BuildError::InvalidReason);
            }
        }
        if self.suspect {
            if let Some(error) = self.deferred {
                return Err(*error);
            }
            for (name, value) in fields(&self.headers).iter_bytes() {
                if let Some(error) = field_error(name, value) {
                    return Err(error(String::from_utf8_lossy(name).into_owned()));
                }
            }
        }
        if !body_allowed(self.status, &self.body) {
            return Err(BuildError::BodyNotAllowed(self.status));
        }
        Ok(Response {
            status: self.status,
            reason: self.reason,
            headers: self.headers,
            body: self.body,
        })
    }
}

/// Why [`ResponseBuilder::build`] refused a response.
///
/// ```
/// use mini_async_http::{BuildError, ResponseBuilder};
/// let err = ResponseBuilder::new().header("Bad Name", "x").build().unwrap_err();
/// assert_eq!(err, BuildError::InvalidHeaderName("Bad Name".into()));
/// assert_eq!(err.to_string(), "invalid header name \"Bad Name\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The status is outside 200..=999.
    InvalidStatus(u16),
    /// The reason phrase has a control character.
    InvalidReason,
    /// The header name is not an RFC 9110 token.
    InvalidHeaderName(String),
    /// The value of this header has CR, LF, NUL or another control character.
    InvalidHeaderValue(String),
    /// This header is set by the server (`Content-Length`, `Transfer-Encoding`).
    ReservedHeader(String),
    /// 204 and 304 responses cannot have a body.
    BodyNotAllowed(u16),
    /// A cookie given to [`ResponseBuilder::cookie`] cannot be written:
    /// the cookie's name and the part that is wrong (`"name"`, `"value"`,
    /// `"Path"`, `"Domain"`, or `"prefix"` for a `__Secure-`/`__Host-` name
    /// without the attributes its prefix requires).
    InvalidCookie {
        /// The cookie's name, as given.
        name: String,
        /// What is wrong.
        part: &'static str,
    },
    /// The body could not be serialized (by `ResponseBuilder::json`, feature
    /// `json`); the serializer's message.
    Serialize(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidStatus(s) => write!(f, "invalid status {s} (must be 200..=999)"),
            BuildError::InvalidReason => f.write_str("reason phrase has a control character"),
            BuildError::InvalidHeaderName(n) => write!(f, "invalid header name {n:?}"),
            BuildError::InvalidHeaderValue(n) => {
                write!(f, "value of header {n:?} has a control character")
            }
            BuildError::ReservedHeader(n) => write!(f, "header {n:?} is set by the server"),
            BuildError::BodyNotAllowed(s) => write!(f, "a {s} response cannot have a body"),
            BuildError::InvalidCookie { name, part } => {
                write!(f, "cookie {name:?} cannot be set: invalid {part}")
            }
            BuildError::Serialize(message) => write!(f, "body not serialized: {message}"),
        }
    }
}

impl Error for BuildError {}

/// 204 and 304 responses have no body (RFC 9110 §15.3.5, §15.4.5).
pub(super) fn body_allowed(status: u16, body: &Body) -> bool {
    !matches!(status, 204 | 304) || body.is_empty()
}

/// `tchar` of RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

/// Lookup table of `tchar` (a table: this runs for every header name built).
static TCHAR: [bool; 256] = byte_set(b"!#$%&'*+-.^_`|~");

/// The bytes of `extra` plus ASCII letters and digits, as a lookup table.
pub(crate) const fn byte_set(extra: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut b = 0;
    while b < 256 {
        set[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        set[extra[i] as usize] = true;
        i += 1;
    }
    set
}

/// A non-empty RFC 9110 token.
pub(crate) fn is_token(s: &str) -> bool {
    token_bytes(s.as_bytes())
}

/// Field content without CTLs other than HTAB (so no CR, LF or NUL).
pub(crate) fn valid_field_value(s: &str) -> bool {
    field_value_bytes(s.as_bytes())
}

/// HTAB, visible ASCII, space and obs-text: no other control character.
fn field_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// [`valid_field_value`] on bytes, without early exit so that the loop
/// vectorizes (short values are the common case, and valid).
fn field_value_bytes(s: &[u8]) -> bool {
    s.iter().fold(true, |ok, &b| ok & field_value_byte(b))
}

/// [`is_token`] on bytes, without early exit.
/// What is wrong with a field a handler adds, if anything: the error to
/// build from its name. `Content-Length` and `Transfer-Encoding` are
/// reserved: the server writes the framing.
pub(super) fn field_error(name: &[u8], value: &[u8]) -> Option<fn(String) -> BuildError> {
    if !token_bytes(name) {
        Some(BuildError::InvalidHeaderName)
    } else if !field_value_bytes(value) {
        Some(BuildError::InvalidHeaderValue)
    } else if name.eq_ignore_ascii_case(b"content-length")
        || name.eq_ignore_ascii_case(b"transfer-encoding")
    {
        Some(BuildError::ReservedHeader)
    } else {
        None
    }
}

fn token_bytes(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().fold(true, |ok, &b| ok & is_tchar(b))
}

/// One table for the reason phrases and the status lines made from them.
macro_rules! statuses {
    ($($code:literal $reason:literal,)*) => {
        /// The standard reason phrase of `status`, or `""`.
        pub(crate) fn reason_phrase(status: u16) -> &'static str {
            match status {
                $($code => $reason,)*
                _ => "",
            }
        }

        /// `HTTP/1.1 <status> <reason>\r\n` for a status of the table.
        fn status_line(status: u16) -> Option<&'static [u8]> {
            match status {
                $($code => Some(concat!("HTTP/1.1 ", $code, " ", $reason, "\r\n").as_bytes()),)*
                _ => None,
            }
        }
    };
}

statuses! {
    100 "Continue",
    101 "Switching Protocols",
    200 "OK",
    201 "Created",
    202 "Accepted",
    203 "Non-Authoritative Information",
    204 "No Content",
    205 "Reset Content",
    206 "Partial Content",
    300 "Multiple Choices",
    301 "Moved Permanently",
    302 "Found",
    303 "See Other",
    304 "Not Modified",
    307 "Temporary Redirect",
    308 "Permanent Redirect",
    400 "Bad Request",
    401 "Unauthorized",
    403 "Forbidden",
    404 "Not Found",
    405 "Method Not Allowed",
    406 "Not Acceptable",
    408 "Request Timeout",
    409 "Conflict",
    410 "Gone",
    411 "Length Required",
    412 "Precondition Failed",
    413 "Content Too Large",
    414 "URI Too Long",
    415 "Unsupported Media Type",
    416 "Range Not Satisfiable",
    417 "Expectation Failed",
    418 "I'm a teapot",
    421 "Misdirected Request",
    422 "Unprocessable Content",
    426 "Upgrade Required",
    428 "Precondition Required",
    429 "Too Many Requests",
    431 "Request Header Fields Too Large",
    500 "Internal Server Error",
    501 "Not Implemented",
    502 "Bad Gateway",
    503 "Service Unavailable",
    504 "Gateway Timeout",
    505 "HTTP Version Not Supported",
    507 "Insufficient Storage",
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dropped response's header storage is reused, empty, by the next
    /// builder on the same thread; large storage is not kept.
    /// Fields are checked as they are added, but judged as they are when
    /// the response is built: a replaced bad value is no error.
    #[test]
    fn build_judges_the_fields_that_are_left() {
        let err = |b: ResponseBuilder| b.build().unwrap_err();
        let new = ResponseBuilder::new;
        assert_eq!(
            err(new().header("Bad Name", "x")),
            BuildError::InvalidHeaderName("Bad Name".into())
        );
        assert_eq!(
            err(new().header("X-A", "1").header("X-B", "a\r\nInjected: 1")),
            BuildError::InvalidHeaderValue("X-B".into())
        );
        assert_eq!(
            err(new().header("content-length", "5")),
            BuildError::ReservedHeader("content-length".into())
        );
        assert_eq!(
            err(new().header("Transfer-Encoding", "chunked")),
            BuildError::ReservedHeader("Transfer-Encoding".into())
        );
        assert_eq!(
            err(new().content_type("text/plain\n")),
            BuildError::InvalidHeaderValue("Content-Type".into())
        );
        for replaced in [
            new().content_type("text/plain\n").content_type("text/html"),
            new().header("content-type", "\0").content_type("text/html"),
        ] {
            let resp = replaced.build().unwrap();
            assert_eq!(resp.headers().get("Content-Type"), Some("text/html"));
        }
        assert!(
            new()
                .header("X-Tab", "a\tb")
                .content_type("a/b")
                .build()
                .is_ok()
        );
    }

    /// The fast path for 200 gives the table's line; a custom reason none.
    #[test]
    fn status_lines_are_the_tables() {
        for status in [200, 201, 204, 404, 500, 599] {
            let resp = ResponseBuilder::new().status(status).build().unwrap();
            assert_eq!(resp.status_line(), status_line(status), "{status}");
        }
        assert_eq!(
            ResponseBuilder::new().build().unwrap().status_line(),
            Some(&b"HTTP/1.1 200 OK\r\n"[..])
        );
        let custom = ResponseBuilder::new().reason("Fine").build().unwrap();
        assert_eq!(custom.status_line(), None);
    }

    #[test]
    fn header_storage_is_reused_empty() {
        let first = ResponseBuilder::new()
            .header("X-First", "1")
            .header("Set-Cookie", "a=b")
            .build()
            .unwrap();
        let storage = first.headers().capacity_bytes();
        assert!(storage > 0);
        drop(first);
        let second = ResponseBuilder::new().build().unwrap();
        assert!(second.headers().is_empty());
        assert_eq!(
            second.headers().capacity_bytes(),
            storage,
            "storage not reused"
        );
        drop(second);

        let big = "v".repeat(2 * SPARE_MAX_BYTES);
        drop(
            ResponseBuilder::new()
                .header("X-Big", &big)
                .build()
                .unwrap(),
        );
        let next = ResponseBuilder::new().build().unwrap();
        assert!(next.headers().capacity_bytes() <= SPARE_MAX_BYTES);
        assert!(next.headers().is_empty());
    }

    /// A response without fields (no storage) and one whose storage is an
    /// empty list (the spare one) are the same response, and print alike.
    #[test]
    fn no_fields_and_empty_fields_are_equal() {
        drop(ResponseBuilder::new().header("X-A", "1").build().unwrap());
        let with_storage = ResponseBuilder::new().build().unwrap();
        let without = ResponseBuilder::new().build().unwrap();
        assert!(with_storage.headers.is_some() && without.headers.is_none());
        assert_eq!(with_storage, without);
        assert_eq!(format!("{with_storage:?}"), format!("{without:?}"));
        assert!(format!("{without:?}").contains("headers: []"));
        let other = ResponseBuilder::new().header("X-A", "1").build().unwrap();
        assert_ne!(other, without);
    }

    /// Changing the fields of a response that has none works, and removing
    /// from it makes no storage.
    #[test]
    fn a_response_without_fields_can_be_changed() {
        let _ = spare_headers();
        let mut resp = ResponseBuilder::new().build().unwrap();
        assert!(resp.headers.is_none());
        assert_eq!(resp.remove_header("X-A"), 0);
        assert!(resp.headers.is_none());
        resp.set_header("X-A", "1").unwrap();
        assert_eq!(resp.headers().get("x-a"), Some("1"));
    }

    /// A body replaced by another is dropped (`Body::discard` frees what is
    /// not static).
    #[test]
    fn a_replaced_body_is_dropped() {
        let bytes = std::sync::Arc::new(vec![1, 2, 3]);
        let resp = ResponseBuilder::new()
            .body(Body::shared(std::sync::Arc::clone(&bytes)))
            .body(b"x")
            .build()
            .unwrap();
        assert_eq!(std::sync::Arc::strong_count(&bytes), 1);
        assert_eq!(resp.body(), b"x");
        let resp = ResponseBuilder::new()
            .body(b"static")
            .body(vec![7])
            .build()
            .unwrap();
        assert_eq!(resp.body(), [7]);
    }
}
