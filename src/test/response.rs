//! [`TestResponse`] and the client side of the wire: response bytes read back
//! with `httparse::Response` (a parser independent of the server's encoder)
//! and framed as RFC 9112 §6.3 tells a client to.

use std::borrow::Cow;
use std::collections::VecDeque;

use super::Closed;
use crate::Headers;

/// Most fields a response head may have for the test client to read it.
const MAX_FIELDS: usize = 4096;

/// A response as a client read it off the wire: the status line, every
/// field (the handler's and the server's own: `Content-Length`, `Date`,
/// `Connection`, `Keep-Alive`), and the body after framing.
///
/// ```
/// use mini_async_http::test::TestClient;
/// use mini_async_http::{Request, ResponseBuilder};
///
/// let mut client = TestClient::new(|_: &Request| {
///     ResponseBuilder::empty_404().body("nothing here").build().unwrap()
/// });
/// let resp = client.get("/missing").send();
/// assert_eq!(resp.status(), 404);
/// assert_eq!(resp.reason(), "Not Found");
/// assert_eq!(resp.header("content-length"), Some("12"));
/// assert_eq!(resp.text(), "nothing here");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResponse {
    status: u16,
    reason: String,
    headers: Headers,
    body: Vec<u8>,
    /// The response's bytes as the server wrote them, head and body.
    wire: Vec<u8>,
    /// Why the server closed the connection right after this response.
    closed: Option<Closed>,
    /// The 1xx responses that came before this one.
    interim: Vec<TestResponse>,
}

impl TestResponse {
    /// The status code.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::new().status(201).build().unwrap());
    /// assert_eq!(client.post("/").send().status(), 201);
    /// ```
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase of the status line.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::new().status(418).build().unwrap());
    /// assert_eq!(client.get("/").send().reason(), "I'm a teapot");
    /// ```
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Every field, in the order the server wrote them.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| {
    ///     ResponseBuilder::empty_200().header("Vary", "Accept").body("hi").build().unwrap()
    /// });
    /// let resp = client.get("/").send();
    /// let names: Vec<&str> = resp.headers().iter().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["Vary", "Content-Length", "Date", "Keep-Alive"]);
    /// ```
    #[must_use]
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The value of the first field called `name` (ASCII case-insensitive).
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| {
    ///     ResponseBuilder::empty_200().content_type("text/plain").build().unwrap()
    /// });
    /// assert_eq!(client.get("/").send().header("Content-Type"), Some("text/plain"));
    /// ```
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The body, after framing (`Content-Length`, chunked or until the
    /// close); empty for a response to `HEAD`, a 1xx, 204 or 304.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().body(b"\x00\x01").build().unwrap());
    /// assert_eq!(client.get("/").send().body(), b"\x00\x01");
    /// ```
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced by U+FFFD).
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.path()).build().unwrap());
    /// assert_eq!(client.get("/hello").send().text(), "/hello");
    /// ```
    #[must_use]
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON.
    ///
    /// # Errors
    /// The body is not JSON for a `T`.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().body(r#"{"id":7}"#).build().unwrap());
    /// let value: serde_json::Value = client.get("/").send().json().unwrap();
    /// assert_eq!(value["id"], 7);
    /// ```
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The response exactly as the server wrote it: status line, fields,
    /// empty line and body bytes (still chunked, if it was).
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().body("ok").build().unwrap());
    /// let resp = client.head("/").send();
    /// assert!(resp.wire().starts_with(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"));
    /// assert!(resp.wire().ends_with(b"\r\n\r\n")); // HEAD: no body on the wire
    /// ```
    #[must_use]
    pub fn wire(&self) -> &[u8] {
        &self.wire
    }

    /// Why the server closed the connection after this response; `None`
    /// when it kept it open for the next request.
    ///
    /// ```
    /// use mini_async_http::test::{Closed, TestClient};
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().build().unwrap());
    /// assert_eq!(client.get("/").send().closed(), None);
    /// let resp = client.get("/").header("Connection", "close").send();
    /// assert_eq!(resp.closed(), Some(Closed::NotKeepAlive));
    /// ```
    #[must_use]
    pub fn closed(&self) -> Option<Closed> {
        self.closed
    }

    /// The interim (1xx) responses the server sent before this one to the
    /// same request: `100 Continue` when the request had
    /// `Expect: 100-continue` and the server wanted its body. Always empty
    /// for the responses of [`raw`](super::TestClient::raw), which lists
    /// them in order with the others.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().build().unwrap());
    /// let resp = client.post("/").header("Expect", "100-continue").body("data").send();
    /// let interim: Vec<u16> = resp.interim().iter().map(|r| r.status()).collect();
    /// assert_eq!(interim, [100]);
    /// ```
    #[must_use]
    pub fn interim(&self) -> &[TestResponse] {
        &self.interim
    }

    pub(super) fn set_interim(&mut self, interim: Vec<TestResponse>) {
        self.interim = interim;
    }

    pub(super) fn set_closed(&mut self, closed: Option<Closed>) {
        self.closed = closed;
    }
}

/// Reads the responses at the start of `out`, in order, as a client that
/// knows which of its requests were `HEAD` (`heads`: one entry per request
/// the handler answered, consumed by the final responses). `complete`: the
/// server closed the connection, so `out` is all it will write (a body
/// without a length ends there). Returns the responses and the bytes they
/// took; parsing stops at the first bytes that are not a complete response.
pub(super) fn parse_responses(
    out: &[u8],
    heads: &mut VecDeque<bool>,
    complete: bool,
) -> (Vec<TestResponse>, usize) {
    let mut responses = Vec::new();
    let mut at = 0;
    while at < out.len() {
        let Some((resp, len)) = parse_one(&out[at..], heads, complete) else {
            break;
        };
        responses.push(resp);
        at += len;
    }
    (responses, at)
}

/// One response at the start of `bytes` and its length, or `None` if the
/// bytes there are not a complete response.
fn parse_one(
    bytes: &[u8],
    heads: &mut VecDeque<bool>,
    complete: bool,
) -> Option<(TestResponse, usize)> {
    let mut capacity = 32;
    loop {
        let mut fields = vec![httparse::EMPTY_HEADER; capacity];
        let mut head = httparse::Response::new(&mut fields);
        match head.parse(bytes) {
            Ok(httparse::Status::Complete(head_len)) => {
                return frame(&head, bytes, head_len, heads, complete);
            }
            Err(httparse::Error::TooManyHeaders) if capacity < MAX_FIELDS => capacity *= 4,
            _ => return None,
        }
    }
}

/// The body that follows a parsed head (RFC 9112 §6.3, the client's side).
fn frame(
    head: &httparse::Response<'_, '_>,
    bytes: &[u8],
    head_len: usize,
    heads: &mut VecDeque<bool>,
    complete: bool,
) -> Option<(TestResponse, usize)> {
    let status = head.code?;
    let mut headers = Headers::new();
    for field in head.headers.iter() {
        headers.append(field.name, &String::from_utf8_lossy(field.value));
    }
    let interim = (100..200).contains(&status);
    // Interim responses answer no request of their own.
    let head_request = !interim && heads.front().copied().unwrap_or(false);
    let rest = &bytes[head_len..];
    let (body, used) = if head_request || interim || status == 204 || status == 304 {
        (Vec::new(), 0)
    } else if let Some(codings) = headers.get("transfer-encoding") {
        let chunked = codings
            .rsplit(',')
            .next()
            .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        if chunked {
            decode_chunked(rest)?
        } else {
            until_close(rest, complete)?
        }
    } else if let Some(length) = headers.get("content-length") {
        let length = usize::try_from(length.trim().parse::<u64>().ok()?).ok()?;
        (rest.get(..length)?.to_vec(), length)
    } else {
        until_close(rest, complete)?
    };
    if !interim {
        heads.pop_front();
    }
    let len = head_len + used;
    let response = TestResponse {
        status,
        reason: head.reason.unwrap_or("").to_owned(),
        headers,
        body,
        wire: bytes[..len].to_vec(),
        closed: None,
        interim: Vec::new(),
    };
    Some((response, len))
}

/// A body delimited by the end of the connection: all of `rest`, once the
/// server has closed.
fn until_close(rest: &[u8], complete: bool) -> Option<(Vec<u8>, usize)> {
    complete.then(|| (rest.to_vec(), rest.len()))
}

/// Decodes a chunked body at the start of `bytes`; returns it and the bytes
/// it took (trailer section included), or `None` if it is cut short or bad.
fn decode_chunked(bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Ok(httparse::Status::Complete((used, size))) = httparse::parse_chunk_size(&bytes[at..])
        else {
            return None;
        };
        at += used;
        if size == 0 {
            break;
        }
        let size = usize::try_from(size).ok()?;
        let end = at.checked_add(size)?;
        body.extend_from_slice(bytes.get(at..end)?);
        if bytes.get(end..end + 2)? != b"\r\n" {
            return None;
        }
        at = end + 2;
    }
    // The trailer section: field lines up to an empty line.
    loop {
        let line = bytes[at..].windows(2).position(|w| w == b"\r\n")?;
        at += line + 2;
        if line == 0 {
            return Some((body, at));
        }
    }
}
