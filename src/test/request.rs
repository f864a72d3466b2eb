//! [`TestRequest`]: a request made with the client's builder methods, and
//! its bytes on the wire.

use std::fmt;

use super::{TestClient, TestResponse};
use crate::{Handler, Headers, Method, Version};

/// A request being made; [`send`](Self::send) it.
///
/// ```
/// use mini_async_http::test::TestClient;
/// use mini_async_http::{Request, ResponseBuilder, Version};
/// let mut client = TestClient::new(|req: &Request| {
///     ResponseBuilder::empty_200().body(format!("{} {}", req.version(), req.body().len())).build().unwrap()
/// });
/// let resp = client.put("/doc").version(Version::Http10).body("abc").send();
/// assert_eq!(resp.text(), "HTTP/1.0 3");
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct TestRequest<'c, H> {
    client: &'c mut TestClient<H>,
    method: Method,
    target: String,
    version: Version,
    headers: Headers,
    /// `None`: no body and no `Content-Length`.
    body: Option<Vec<u8>>,
}

impl<H> fmt::Debug for TestRequest<'_, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestRequest")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .field("body", &self.body.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl<'c, H> TestRequest<'c, H> {
    pub(super) fn new(client: &'c mut TestClient<H>, method: Method, target: &str) -> Self {
        TestRequest {
            client,
            method,
            target: target.to_owned(),
            version: Version::Http11,
            headers: Headers::new(),
            body: None,
        }
    }
}

impl<H: Handler> TestRequest<'_, H> {
    /// Adds a field (after any of the same name).
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| {
    ///     ResponseBuilder::empty_200().body(req.headers().get_all("Accept").collect::<Vec<_>>().join(";")).build().unwrap()
    /// });
    /// let resp = client.get("/").header("Accept", "text/html").header("Accept", "*/*").send();
    /// assert_eq!(resp.text(), "text/html;*/*");
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets the body (sent with a `Content-Length`, unless the test set
    /// `Content-Length` or `Transfer-Encoding` itself).
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| {
    ///     ResponseBuilder::empty_200().body(req.header("Content-Length").unwrap_or("none").to_owned()).build().unwrap()
    /// });
    /// assert_eq!(client.post("/").body(vec![0; 10]).send().text(), "10");
    /// assert_eq!(client.post("/").send().text(), "none");
    /// ```
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets the version of the request line (HTTP/1.1 unless set).
    ///
    /// ```
    /// use mini_async_http::test::{Closed, TestClient};
    /// use mini_async_http::{Request, ResponseBuilder, Version};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().build().unwrap());
    /// let resp = client.get("/").version(Version::Http10).send();
    /// assert_eq!(resp.closed(), Some(Closed::NotKeepAlive)); // no keep-alive asked for
    /// ```
    pub fn version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// Sets the body to `value` as JSON, with `Content-Type: application/json`.
    ///
    /// # Panics
    /// `value` cannot be written as JSON (a map with keys that are not strings).
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| {
    ///     ResponseBuilder::empty_200().body(format!("{} {}", req.header("content-type").unwrap(), req.body().len())).build().unwrap()
    /// });
    /// let resp = client.post("/users").json(&serde_json::json!({"name": "ann"})).send();
    /// assert_eq!(resp.text(), "application/json 14");
    /// ```
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).expect("TestRequest::json: the value is not JSON");
        self.header("Content-Type", "application/json").body(body)
    }

    /// Sets the body to `pairs`, form-urlencoded, with
    /// `Content-Type: application/x-www-form-urlencoded`.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.body().to_vec()).build().unwrap());
    /// let resp = client.post("/login").form(&[("user", "ann lee"), ("pass", "a&b")]).send();
    /// assert_eq!(resp.text(), "user=ann+lee&pass=a%26b");
    /// ```
    #[cfg(feature = "router")]
    pub fn form<I, K, V>(self, pairs: I) -> Self
    where
        I: IntoIterator,
        I::Item: std::borrow::Borrow<(K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
    }

    /// The request as it goes on the wire.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().build().unwrap());
    /// let bytes = client.post("/a").header("X-Id", "1").body("hi").to_bytes();
    /// assert_eq!(bytes, b"POST /a HTTP/1.1\r\nHost: localhost\r\nX-Id: 1\r\nContent-Length: 2\r\n\r\nhi");
    /// ```
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode().0
    }

    /// Sends the request on the client's connection (a new one if the server
    /// closed the last) and returns the final response (an interim
    /// `100 Continue` before it is in [`TestResponse::interim`]).
    ///
    /// # Panics
    /// The server wrote no complete response, or more than one: the request
    /// is incomplete (a `Content-Length` larger than the body, an unfinished
    /// chunked body) or holds several requests. Send such bytes with
    /// [`TestClient::raw`].
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().body("ok").build().unwrap());
    /// assert_eq!(client.get("/").send().text(), "ok");
    /// ```
    #[allow(clippy::must_use_candidate)] // a send for its effect on the handler's state is fine
    pub fn send(self) -> TestResponse {
        let (bytes, head_len) = self.encode();
        let expect_continue = self
            .headers
            .get_all("expect")
            .any(|v| v.trim().eq_ignore_ascii_case("100-continue"));
        self.client
            .exchange(&bytes, expect_continue.then_some(head_len))
    }

    /// The request's bytes and the length of its head.
    fn encode(&self) -> (Vec<u8>, usize) {
        let body = self.body.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(128 + self.target.len() + body.len());
        let line = format!(
            "{} {} {}\r\n",
            self.method.as_str(),
            self.target,
            self.version.as_str()
        );
        out.extend_from_slice(line.as_bytes());
        if !self.headers.contains("host") {
            out.extend_from_slice(b"Host: localhost\r\n");
        }
        for (name, value) in self.headers.iter() {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        let framed =
            self.headers.contains("content-length") || self.headers.contains("transfer-encoding");
        if self.body.is_some() && !framed {
            out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        let head_len = out.len();
        out.extend_from_slice(body);
        (out, head_len)
    }
}
