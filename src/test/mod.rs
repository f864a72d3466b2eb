//! An in-memory test client: a handler's unit test sees exactly what a
//! client on a socket would, without a socket or a thread.
//!
//! A request made with [`TestClient`] is written as bytes and goes through
//! the server's own wire path: parsed by the server's parser with the
//! limits of a [`ServerBuilder`] (`max_head_bytes`, `max_headers`,
//! `max_body_bytes`, and `max_requests_per_connection`), handed to the
//! handler (a panic becomes the server's 500), encoded by the server's
//! encoder, and read back with an independent response parser
//! (`httparse::Response`). So the test sees the framing the server writes
//! (`Content-Length`, no body for `HEAD`, 1xx, 204 and 304), the fields the
//! server adds (`Date`, `Connection`, `Keep-Alive`), and the server's own
//! answers: 400 for a request it rejects, 413 and 431 from the builder's
//! limits.
//!
//! ```
//! use mini_async_http::test::TestClient;
//! use mini_async_http::{Request, ResponseBuilder, ServerBuilder};
//!
//! fn echo(req: &Request) -> mini_async_http::Response {
//!     ResponseBuilder::empty_200().body(req.body().to_vec()).build().unwrap()
//! }
//!
//! let mut client = TestClient::with(ServerBuilder::new().max_body_bytes(8), echo);
//! let resp = client.post("/echo").body("tiny").send();
//! assert_eq!((resp.status(), resp.text().as_ref()), (200, "tiny"));
//! assert_eq!(resp.header("Content-Length"), Some("4"));
//!
//! let resp = client.post("/echo").body("far too long").send();
//! assert_eq!(resp.status(), 413);
//! ```
//!
//! # What the client does
//!
//! | rule | what goes on the wire | test |
//! |---|---|---|
//! | `Host` | `Host: localhost` first, unless the test set a `Host` | `host_added_unless_set` |
//! | body framing | `Content-Length` for a body set with `body`/`json`/`form`, unless the test set `Content-Length` or `Transfer-Encoding` (then the body goes as written, e.g. already chunked) | `post_gets_content_length`, `chunked_body_sent_as_written` |
//! | `Expect: 100-continue` | the head alone first; the body only if the server has not answered already (a 413 instead of `100 Continue`) | `expect_continue_413_before_body` |
//! | one connection | sends on one client share one connection, as a keep-alive client would, until the server closes it (`Connection: close`, HTTP/1.0, a rejection, the request limit); the next send then opens a new one | `keep_alive_across_sends`, `connection_close_opens_new_connection`, `request_limit_closes` |
//! | interim responses | [`TestRequest::send`] returns the final response, with the 1xx ones before it in [`TestResponse::interim`]; [`TestClient::raw`] lists them in order with the others | `expect_continue_413_before_body`, `raw_returns_interim_continue` |
//! | raw bytes | a new connection: the bytes go in (in pieces for [`raw_split`](TestClient::raw_split), the server answering after each), then the client closes its side and reads until the server closes | `pipelined_raw_gives_every_response`, `raw_split_same_as_one_piece`, `bad_request_400_and_close_reason` |
//! | a send the server does not answer, or answers more than once | a panic that shows the request and the output (use `raw` for such bytes) | `unanswered_send_panics` |
//!
//! `tests/test_client.rs` sends the same requests to the real server over a
//! socket and checks that both give the same status, fields (but the `Date`
//! value), body and close.
//!
//! The request-target and the fields go on the wire as written: a target
//! with a space or a value with a line break makes a request the server
//! rejects, as it would from a socket. Percent-encode what needs it.
//!
//! # What it does not cover
//!
//! No sockets, threads or clocks: the server's timeouts (header, body,
//! idle, write, linger), its connection limit, `TCP_NODELAY`, the worker
//! pool and the event loop are not exercised, and neither is TLS. Each send
//! happens as if the client wrote its request at once and read the answer
//! at once (the server's buffering limits still apply: a large body is
//! read in pieces, and a large pipelined output is drained before more
//! requests are answered). Response bodies from a file or reader
//! (`Body::file`, `Body::reader`) come through as soon as the server sends
//! them: the client takes whatever the connection writes until it is idle.

mod request;
mod response;
#[cfg(test)]
mod tests;
mod wire;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;

use crate::proto::{BufferPool, Conn, Ctx, Limits, Stamp, http_date};
use crate::server::TempSpool;
use crate::{Handler, Method, ServerBuilder};
pub use request::TestRequest;
pub use response::TestResponse;
use wire::Wire;
pub use wire::{Closed, Exchange};

/// How long the test client waits for a channel body's producer to send its
/// next message (the producer runs on another thread) before the body
/// fails ([`Closed::BodyFailed`]).
pub const PRODUCER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves a handler in memory; see the [module documentation](self).
///
/// ```
/// use mini_async_http::test::TestClient;
/// use mini_async_http::{Request, ResponseBuilder};
///
/// let mut client = TestClient::new(|req: &Request| {
///     let name = req.header("Cookie").unwrap_or("nobody");
///     ResponseBuilder::empty_200().body(format!("hello {name}")).build().unwrap()
/// });
/// let resp = client.get("/users/7").header("Cookie", "a=b").send();
/// assert_eq!(resp.status(), 200);
/// assert_eq!(resp.text(), "hello a=b");
/// ```
pub struct TestClient<H> {
    handler: H,
    limits: Limits,
    /// The idle timeout the server announces in `Keep-Alive`, in seconds.
    keep_alive_timeout: Option<u64>,
    max_requests: Option<u64>,
    /// Bodies over the builder's `spool_threshold` go to a temporary file,
    /// as on the server, so `body()` and `body_reader()` behave the same.
    spool: TempSpool,
    /// The address the handler sees as the client's.
    peer: SocketAddr,
    pool: BufferPool,
    /// The connection `send` uses; `None` before the first send and once the
    /// server has closed it.
    conn: Option<Conn>,
    /// Connections opened so far.
    connections: u64,
}

impl<H> fmt::Debug for TestClient<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient")
            .field("limits", &self.limits)
            .field("keep_alive_timeout", &self.keep_alive_timeout)
            .field("max_requests", &self.max_requests)
            .field("peer", &self.peer)
            .field("connected", &self.conn.is_some())
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl<H: Handler> TestClient<H> {
    /// A client of `handler` served with the default limits.
    ///
    /// A closure needs its argument's type written out (`|req: &Request|`),
    /// since Rust infers it only from a `Fn` bound; a `fn` item, a `Router`
    /// or any other [`Handler`] goes in as it is.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().build().unwrap());
    /// assert_eq!(client.get("/").send().status(), 200);
    /// ```
    pub fn new(handler: H) -> TestClient<H> {
        TestClient::with(ServerBuilder::new(), handler)
    }

    /// A client of `handler` served as a server from `builder` would serve
    /// it: with its `max_head_bytes`, `max_headers`, `max_body_bytes`,
    /// `max_requests_per_connection`, `spool_threshold` and `spool_dir`, and
    /// its `idle_timeout` announced in `Keep-Alive`. Its other settings (threads, timeouts, sockets) do not
    /// apply in memory.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder, ServerBuilder};
    /// let handler = |_: &Request| ResponseBuilder::empty_200().build().unwrap();
    /// let mut client = TestClient::with(ServerBuilder::new().max_headers(2), handler);
    /// let resp = client.get("/").header("A", "1").header("B", "2").send(); // and Host: 3
    /// assert_eq!(resp.status(), 431);
    /// ```
    #[allow(clippy::needless_pass_by_value)] // as `ServerBuilder::bind`: a builder chain reads without `&`
    pub fn with(builder: ServerBuilder, handler: H) -> TestClient<H> {
        TestClient {
            handler,
            limits: builder.limits,
            // As the server's workers do: whole seconds, 0 not announced.
            keep_alive_timeout: Some(builder.idle_timeout.as_secs()).filter(|&s| s > 0),
            max_requests: builder.max_requests,
            peer: SocketAddr::from(([127, 0, 0, 1], 40_000)),
            pool: BufferPool::default(),
            conn: None,
            connections: 0,
            spool: TempSpool::new(
                builder.spool_dir.clone().unwrap_or_else(std::env::temp_dir),
                builder.spool_threshold,
            ),
        }
    }

    /// Sets the address the handler sees as the client's
    /// ([`Request::peer_addr`](crate::Request::peer_addr); 127.0.0.1:40000
    /// unless set).
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let handler = |req: &Request| ResponseBuilder::empty_200().body(req.peer_addr().to_string()).build().unwrap();
    /// let mut client = TestClient::new(handler).with_peer_addr("10.0.0.1:5000".parse().unwrap());
    /// assert_eq!(client.get("/").send().text(), "10.0.0.1:5000");
    /// ```
    #[must_use]
    pub fn with_peer_addr(mut self, peer: SocketAddr) -> TestClient<H> {
        self.peer = peer;
        self.conn = None;
        self
    }

    /// Connections opened so far: one per [`raw`](Self::raw) exchange, and
    /// one for the sends until the server closes it.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().build().unwrap());
    /// client.get("/").send();
    /// client.get("/").send();
    /// assert_eq!(client.connections(), 1);
    /// ```
    #[must_use]
    pub fn connections(&self) -> u64 {
        self.connections
    }

    /// A `GET` request to `target` (a path, with a query if any).
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.query().unwrap_or("")).build().unwrap());
    /// assert_eq!(client.get("/search?q=rust").send().text(), "q=rust");
    /// ```
    pub fn get(&mut self, target: &str) -> TestRequest<'_, H> {
        self.request(Method::Get, target)
    }

    /// A `POST` request to `target`.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.method().as_str()).build().unwrap());
    /// assert_eq!(client.post("/").send().text(), "POST");
    /// ```
    pub fn post(&mut self, target: &str) -> TestRequest<'_, H> {
        self.request(Method::Post, target)
    }

    /// A `PUT` request to `target`.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.method().as_str()).build().unwrap());
    /// assert_eq!(client.put("/").send().text(), "PUT");
    /// ```
    pub fn put(&mut self, target: &str) -> TestRequest<'_, H> {
        self.request(Method::Put, target)
    }

    /// A `DELETE` request to `target`.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.method().as_str()).build().unwrap());
    /// assert_eq!(client.delete("/").send().text(), "DELETE");
    /// ```
    pub fn delete(&mut self, target: &str) -> TestRequest<'_, H> {
        self.request(Method::Delete, target)
    }

    /// A `PATCH` request to `target`.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.method().as_str()).build().unwrap());
    /// assert_eq!(client.patch("/").send().text(), "PATCH");
    /// ```
    pub fn patch(&mut self, target: &str) -> TestRequest<'_, H> {
        self.request(Method::Patch, target)
    }

    /// A `HEAD` request to `target`: the response has the fields of a `GET`
    /// (its `Content-Length` too) and no body.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().body("hello").build().unwrap());
    /// let resp = client.head("/").send();
    /// assert_eq!((resp.header("Content-Length"), resp.body()), (Some("5"), &b""[..]));
    /// ```
    pub fn head(&mut self, target: &str) -> TestRequest<'_, H> {
        self.request(Method::Head, target)
    }

    /// An `OPTIONS` request to `target` (`*` for the server as a whole).
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.target()).build().unwrap());
    /// assert_eq!(client.options("*").send().text(), "*");
    /// ```
    pub fn options(&mut self, target: &str) -> TestRequest<'_, H> {
        self.request(Method::Options, target)
    }

    /// A request with any method to `target`.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Method, Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.method().as_str()).build().unwrap());
    /// let purge = Method::from_token("PURGE").unwrap();
    /// assert_eq!(client.request(purge, "/cache").send().text(), "PURGE");
    /// ```
    pub fn request(&mut self, method: Method, target: &str) -> TestRequest<'_, H> {
        TestRequest::new(self, method, target)
    }

    /// Sends `bytes` on a new connection, then closes the client's side and
    /// reads until the server closes: every response (1xx included), the
    /// bytes after the last complete response, and why the connection
    /// closed. The sends' connection is not touched.
    ///
    /// ```
    /// use mini_async_http::test::{Closed, TestClient};
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.path()).build().unwrap());
    /// let exchange = client.raw("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    /// let bodies: Vec<_> = exchange.responses.iter().map(|r| r.text().into_owned()).collect();
    /// assert_eq!(bodies, ["/a", "/b"]);
    /// assert_eq!(exchange.closed, Closed::ClientClosed);
    /// assert!(exchange.unparsed.is_empty());
    /// ```
    pub fn raw(&mut self, bytes: impl AsRef<[u8]>) -> Exchange {
        self.raw_split(bytes, &[])
    }

    /// Like [`raw`](Self::raw), with `bytes` sent in pieces cut at the
    /// offsets in `splits` (any order; offsets past the end count as the
    /// end), the server answering after each piece, as when a request
    /// arrives in several reads. A server that frames requests correctly
    /// gives the same final responses whatever the splits.
    ///
    /// ```
    /// use mini_async_http::test::TestClient;
    /// use mini_async_http::{Request, ResponseBuilder};
    /// let mut client = TestClient::new(|req: &Request| ResponseBuilder::empty_200().body(req.body().to_vec()).build().unwrap());
    /// let bytes = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    /// let split = client.raw_split(bytes, &[3, 30, 47]);
    /// assert_eq!(split.responses[0].text(), "hello");
    /// ```
    pub fn raw_split(&mut self, bytes: impl AsRef<[u8]>, splits: &[usize]) -> Exchange {
        let bytes = bytes.as_ref();
        let mut points: Vec<usize> = splits.iter().map(|&at| at.min(bytes.len())).collect();
        points.sort_unstable();
        points.push(bytes.len());
        let mut conn = self.connect();
        let stamp = Stamp::new(&http_date(), self.keep_alive_timeout);
        let mut wire = self.wire(&mut conn, &stamp);
        let mut from = 0;
        for at in points {
            wire.send(&bytes[from..at]);
            from = at;
        }
        wire.close();
        let (mut responses, used) =
            response::parse_responses(&wire.out, &mut wire.heads.borrow_mut(), true);
        let unparsed = wire.out[used..].to_vec();
        let closed = conn.close_reason().map_or(Closed::ClientClosed, Closed::of);
        if closed != Closed::ClientClosed {
            if let Some(last) = responses.last_mut() {
                last.set_closed(Some(closed));
            }
        }
        Exchange {
            responses,
            unparsed,
            closed,
        }
    }

    /// A new connection.
    fn connect(&mut self) -> Conn {
        self.connections += 1;
        Conn::new(self.limits, self.peer)
    }

    fn wire<'a>(&'a mut self, conn: &'a mut Conn, stamp: &'a Stamp) -> Wire<'a, H> {
        Wire {
            conn,
            pool: &mut self.pool,
            handler: &self.handler,
            ctx: Ctx {
                stamp,
                shutdown: None,
                max_requests: self.max_requests,
                spool: Some(&self.spool),
                observer: None,
                proxies: None,
            },
            heads: RefCell::new(VecDeque::new()),
            out: Vec::new(),
        }
    }

    /// Sends one request on the sends' connection (head and body in
    /// separate pieces when `split_at` says so) and returns its final
    /// response.
    fn exchange(&mut self, bytes: &[u8], split_at: Option<usize>) -> TestResponse {
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.connect(),
        };
        let stamp = Stamp::new(&http_date(), self.keep_alive_timeout);
        let mut wire = self.wire(&mut conn, &stamp);
        match split_at {
            Some(at) => {
                wire.send(&bytes[..at]);
                wire.send(&bytes[at..]);
            }
            None => wire.send(bytes),
        }
        let closed = wire.closed();
        let (responses, used) =
            response::parse_responses(&wire.out, &mut wire.heads.borrow_mut(), closed);
        let out = std::mem::take(&mut wire.out);
        let (interim, finals): (Vec<_>, Vec<_>) =
            responses.into_iter().partition(|r| r.status() < 200);
        let mut finals = finals.into_iter();
        let (Some(mut resp), None, true) = (finals.next(), finals.next(), used == out.len()) else {
            panic!(
                "TestClient: expected one response to {:?}, the server wrote {:?}{}",
                lossy(bytes),
                lossy(&out),
                if closed {
                    " and closed"
                } else {
                    " and waits for more (use raw() for incomplete or several requests)"
                },
            );
        };
        resp.set_interim(interim);
        if closed {
            resp.set_closed(Some(
                conn.close_reason().map_or(Closed::ClientClosed, Closed::of),
            ));
        } else {
            self.conn = Some(conn);
        }
        resp
    }
}

/// At most 512 bytes of `bytes`, as text, for a panic message.
fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
}
