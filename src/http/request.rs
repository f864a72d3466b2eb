use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use super::body::SharedBuf;
use super::body_reader::Spooled;
use super::route::{Level, RouteSlot};
use super::{Headers, Method, Version};

/// A request as the handler sees it: head fields and the whole body.
///
/// The body has been read in full (de-chunked when it came chunked) before the
/// handler runs, within the server's body limit. The server reuses one
/// `Request` per connection, so a handler gets a `&Request`; copy out what it
/// needs to keep.
///
/// ## Large bodies
/// A body longer than the server's
/// [`spool_threshold`](crate::ServerBuilder::spool_threshold) (1 MiB) is
/// not kept in memory: it is written to an unnamed temporary file as it
/// arrives ([`is_spooled`](Self::is_spooled)), and the file is gone when the
/// request ends. [`body_reader`](Self::body_reader) and
/// [`body_len`](Self::body_len) work for every body; [`body`](Self::body)
/// only for one in memory (it panics for a spooled one, which the server
/// answers with 500), and [`try_body`](Self::try_body) says which it is.
/// [`shared_body`](Self::shared_body) makes any body a response body
/// without a copy.
///
/// ```
/// use std::io::Read;
/// use mini_async_http::{Request, Response, ResponseBuilder};
///
/// fn upload(req: &Request) -> Response {
///     let mut reader = req.body_reader();
///     let mut buf = vec![0; 64 * 1024];
///     let mut zeros = 0u64;
///     loop {
///         match reader.read(&mut buf) {
///             Ok(0) => break,
///             Ok(n) => zeros += buf[..n].iter().filter(|&&b| b == 0).count() as u64,
///             Err(_) => return ResponseBuilder::new().status(500).build().unwrap(),
///         }
///     }
///     ResponseBuilder::empty_200()
///         .body(format!("{zeros} of {} bytes are 0", req.body_len()))
///         .build()
///         .unwrap()
/// }
/// # let req = mini_async_http::Request::new(mini_async_http::Method::Post, "/").with_body(vec![0, 1, 0]);
/// # assert_eq!(upload(&req).body(), b"2 of 3 bytes are 0");
/// ```
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
    /// The body when it is in memory (empty when it is spooled); responses
    /// may share it ([`shared_body`](Self::shared_body)).
    pub(crate) body: SharedBuf,
    /// The body when it is in a temporary file.
    pub(crate) spooled: Option<Spooled>,
    pub(crate) peer_addr: SocketAddr,
    /// What a router matched; empty unless a router is in front.
    pub(crate) route: RouteSlot,
    /// The client named by a trusted proxy (`None`: the peer is the client).
    pub(crate) client_ip: Option<IpAddr>,
    /// The TLS session the request came over (set by the server for each
    /// request of a TLS connection); `None` over plain TCP.
    pub(crate) tls: Option<TlsInfo>,
}

/// What a request knows of the TLS session it came over (no rustls type:
/// the server fills it in).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsInfo {
    /// The name the client asked for by SNI, in lower case.
    pub(crate) server_name: Option<Arc<str>>,
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
            body: SharedBuf::default(),
            spooled: None,
            peer_addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            route: RouteSlot::default(),
            tls: None,
            client_ip: None,
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
        self.body = SharedBuf::from_vec(body.into());
        self.spooled = None;
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

    /// Marks the request as received over TLS, with the SNI name the client
    /// sent (`None` if it sent none), as the server does for HTTPS.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// let req = Request::new(Method::Get, "/").with_tls(Some("example.com"));
    /// assert!(req.is_tls());
    /// assert_eq!(req.tls_server_name(), Some("example.com"));
    /// ```
    #[must_use]
    pub fn with_tls(mut self, server_name: Option<&str>) -> Request {
        self.tls = Some(TlsInfo {
            server_name: server_name.map(Arc::from),
        });
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

    /// The whole body (empty when the request has none), when it is in
    /// memory: see [Large bodies](Request#large-bodies).
    ///
    /// # Panics
    /// If the body was spooled to a temporary file
    /// ([`is_spooled`](Self::is_spooled)), since it may not fit in memory:
    /// read it with [`body_reader`](Self::body_reader), or use
    /// [`try_body`](Self::try_body). (A handler that panics gets a 500.)
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert!(Request::new(Method::Get, "/").body().is_empty());
    /// ```
    #[must_use]
    pub fn body(&self) -> &[u8] {
        if self.spooled.is_some() {
            spooled_body_panic();
        }
        self.body.as_slice()
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

    /// Whether the request came over TLS (HTTPS).
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert!(!Request::new(Method::Get, "/").is_tls());
    /// ```
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The server name the client asked for in its TLS handshake (SNI), in
    /// lower case; `None` over plain TCP or when the client sent none (as
    /// when it connects to an IP address).
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// let req = Request::new(Method::Get, "/").with_tls(None);
    /// assert_eq!(req.tls_server_name(), None);
    /// ```
    #[must_use]
    pub fn tls_server_name(&self) -> Option<&str> {
        self.tls.as_ref()?.server_name.as_deref()
    }

    /// The path parameter `name` of the route that matched, percent-decoded;
    /// `None` without a router or such a parameter. With mounts, the
    /// innermost router's parameter of that name wins.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert_eq!(Request::new(Method::Get, "/users/7").param("id"), None);
    /// ```
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params()
            .filter(|(n, _)| *n == name)
            .last()
            .map(|(_, v)| v)
    }

    /// Every path parameter of the route that matched, in pattern order, as
    /// `(name, decoded value)`.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert_eq!(Request::new(Method::Get, "/").params().count(), 0);
    /// ```
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.route
            .levels()
            .flat_map(Level::into_params)
            .map(|(name, value)| (name, value.text(&self.target)))
    }

    /// The path below the prefix under which the handler was mounted (the
    /// whole [`path`](Self::path) when it was not), not percent-decoded;
    /// always starts with `/` for an origin-form target.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert_eq!(Request::new(Method::Get, "/a/b?q").route_path(), "/a/b");
    /// ```
    #[must_use]
    pub fn route_path(&self) -> &str {
        let prefix = self.route.prefix().unwrap_or(0);
        self.path().get(prefix..).unwrap_or("")
    }

    /// The client's IP address: the peer's, unless the peer is one of the
    /// [`trusted_proxies`](crate::ServerBuilder::trusted_proxies), in which
    /// case the rightmost address in its forwarding header that is not a
    /// trusted proxy (see
    /// [`forwarded_header`](crate::ServerBuilder::forwarded_header)). Never
    /// taken from a header by default, so a client cannot choose it.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// let req = Request::new(Method::Get, "/")
    ///     .with_peer_addr("192.0.2.1:4000".parse().unwrap())
    ///     .with_header("X-Forwarded-For", "203.0.113.9");
    /// assert_eq!(req.client_ip().to_string(), "192.0.2.1");
    /// ```
    #[must_use]
    pub fn client_ip(&self) -> IpAddr {
        self.client_ip.unwrap_or_else(|| self.peer_addr.ip())
    }

    /// Empties the request for reuse, keeping its allocations.
    #[allow(clippy::inline_always)] // measured: `#[inline]` left it a call (callgrind)
    #[inline(always)]
    pub(crate) fn clear(&mut self) {
        self.clear_all_but_head();
        self.method = Method::Get;
        self.target.clear();
        self.path_len = 0;
        self.version = Version::Http11;
        // The previous head's bytes stay, for the next head to be compared
        // with (see `Headers::set_block`).
        self.headers.forget();
    }

    /// Empties what is not part of the head (body, spool file, route,
    /// client address), for a request whose head repeats the last one
    /// (see "Repeated heads" in `proto::conn`).
    #[allow(clippy::inline_always)] // as `clear`
    #[inline(always)]
    pub(crate) fn clear_all_but_head(&mut self) {
        self.client_ip = None;
        self.route.clear();
        self.body.clear();
        self.spooled = None;
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn spooled_body_panic() -> ! {
    panic!(
        "Request::body() called on a body spooled to a temporary file (it is over the \
         server's spool_threshold); read it with Request::body_reader(), or check \
         Request::try_body() / Request::is_spooled()"
    )
}

/// Where the query starts in `target` (its length if it has none).
pub(crate) fn path_len(target: &str) -> usize {
    target
        .bytes()
        .position(|b| b == b'?')
        .unwrap_or(target.len())
}
