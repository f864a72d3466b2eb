use std::net::{Ipv4Addr, SocketAddr};

use super::{Headers, Method, Version};

/// A request as the handler sees it: head fields and the whole body.
///
/// The body has been read in full (de-chunked when it came chunked) before the
/// handler runs, within the server's body limit. The server reuses one
/// `Request` per connection, so a handler gets a `&Request`; copy out what it
/// needs to keep.
///
/// ## Pipelining
/// Requests pipelined on one connection are handed to the handler one at a
/// time, in order, and their responses are written in the same order.
///
/// `Request::new` and the `with_*` methods build a request by hand, which is
/// how a handler can be unit-tested without a socket:
///
/// ```
/// use mini_async_http::{Method, Request};
///
/// let req = Request::new(Method::Post, "/items?sort=asc")
///     .with_header("Content-Type", "application/json")
///     .with_body(b"{}".to_vec());
/// assert_eq!(req.path(), "/items");
/// assert_eq!(req.query(), Some("sort=asc"));
/// assert_eq!(req.header("content-type"), Some("application/json"));
/// assert_eq!(req.body(), b"{}");
/// ```
#[derive(Clone, Debug)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) target: String,
    /// Length of the path part of `target` (up to the first `?`), found
    /// once when the target is set: `path()` is then free.
    pub(crate) path_len: usize,
    pub(crate) version: Version,
    pub(crate) headers: Headers,
    pub(crate) body: Vec<u8>,
    pub(crate) peer_addr: SocketAddr,
}

impl Default for Request {
    fn default() -> Request {
        Request::new(Method::Get, "/")
    }
}

impl Request {
    /// A bodiless HTTP/1.1 request with no headers, from `0.0.0.0:0`.
    ///
    /// ```
    /// use mini_async_http::{Method, Request, Version};
    /// let req = Request::new(Method::Get, "/");
    /// assert_eq!(req.version(), Version::Http11);
    /// ```
    #[must_use]
    pub fn new(method: Method, target: &str) -> Request {
        Request {
            method,
            target: target.to_owned(),
            path_len: path_len(target),
            version: Version::Http11,
            headers: Headers::new(),
            body: Vec::new(),
            peer_addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        }
    }

    /// Adds a header field.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// let req = Request::new(Method::Get, "/").with_header("Host", "example.com");
    /// assert_eq!(req.header("host"), Some("example.com"));
    /// ```
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Request {
        self.headers.append(name, value);
        self
    }

    /// Sets the body.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// let req = Request::new(Method::Put, "/").with_body("data");
    /// assert_eq!(req.body(), b"data");
    /// ```
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// Sets the version.
    ///
    /// ```
    /// use mini_async_http::{Method, Request, Version};
    /// let req = Request::new(Method::Get, "/").with_version(Version::Http10);
    /// assert_eq!(req.version(), Version::Http10);
    /// ```
    #[must_use]
    pub fn with_version(mut self, version: Version) -> Request {
        self.version = version;
        self
    }

    /// Sets the peer address.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// let req = Request::new(Method::Get, "/").with_peer_addr("127.0.0.1:4000".parse().unwrap());
    /// assert_eq!(req.peer_addr().port(), 4000);
    /// ```
    #[must_use]
    pub fn with_peer_addr(mut self, peer_addr: SocketAddr) -> Request {
        self.peer_addr = peer_addr;
        self
    }

    /// The method.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert_eq!(Request::new(Method::Head, "/").method(), &Method::Head);
    /// ```
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request-target exactly as received (path and query, or an absolute
    /// URI, an authority for `CONNECT`, or `*` for `OPTIONS`).
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert_eq!(Request::new(Method::Get, "/a%20b?x=1").target(), "/a%20b?x=1");
    /// ```
    #[must_use]
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The target without its query (`?…`), not percent-decoded.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert_eq!(Request::new(Method::Get, "/search?q=rust").path(), "/search");
    /// ```
    #[must_use]
    pub fn path(&self) -> &str {
        &self.target[..self.path_len]
    }

    /// The query, after `?`, if the target has one.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert_eq!(Request::new(Method::Get, "/?a=1&b").query(), Some("a=1&b"));
    /// assert_eq!(Request::new(Method::Get, "/").query(), None);
    /// ```
    #[must_use]
    pub fn query(&self) -> Option<&str> {
        self.target.get(self.path_len + 1..)
    }

    /// The HTTP version.
    ///
    /// ```
    /// use mini_async_http::{Method, Request, Version};
    /// assert_eq!(Request::new(Method::Get, "/").version(), Version::Http11);
    /// ```
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// All header fields, in order received.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// let req = Request::new(Method::Get, "/").with_header("A", "1").with_header("a", "2");
    /// assert_eq!(req.headers().get_all("A").collect::<Vec<_>>(), ["1", "2"]);
    /// ```
    #[must_use]
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The first header field called `name` (case-insensitive).
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// let req = Request::new(Method::Get, "/").with_header("User-Agent", "curl");
    /// assert_eq!(req.header("user-agent"), Some("curl"));
    /// ```
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The whole body (empty when the request has none).
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert!(Request::new(Method::Get, "/").body().is_empty());
    /// ```
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The address of the client.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert!(Request::new(Method::Get, "/").peer_addr().ip().is_unspecified());
    /// ```
    #[must_use]
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// Empties the request for reuse, keeping its allocations.
    pub(crate) fn clear(&mut self) {
        self.method = Method::Get;
        self.target.clear();
        self.path_len = 0;
        self.version = Version::Http11;
        self.headers.clear();
        self.body.clear();
    }
}

/// Where the query starts in `target` (its length if it has none).
pub(crate) fn path_len(target: &str) -> usize {
    target
        .bytes()
        .position(|b| b == b'?')
        .unwrap_or(target.len())
}
