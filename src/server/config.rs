//! [`ServerBuilder`]: every default limit and timeout of the server is set
//! and documented here, and only here.

use std::io;
use std::net::ToSocketAddrs;
use std::time::Duration;

use super::AIOServer;
use crate::proto::Limits;
use crate::{IntoResponse, Request};

/// Configures and binds an [`AIOServer`].
///
/// | setting | default | what happens at the limit |
/// |---|---|---|
/// | [`workers`](Self::workers) | 4 | threads that run the handler |
/// | [`max_head_bytes`](Self::max_head_bytes) | 64 KiB | 431 and close |
/// | [`max_headers`](Self::max_headers) | 100 | 431 and close |
/// | [`max_body_bytes`](Self::max_body_bytes) | 1 MiB | 413 and close |
/// | [`max_connections`](Self::max_connections) | 10 000 | new connections wait in the listen backlog until one closes |
/// | [`header_timeout`](Self::header_timeout) | 10 s | 408 and close (silent close if nothing was sent) |
/// | [`idle_timeout`](Self::idle_timeout) | 60 s | an idle keep-alive connection is closed |
/// | [`body_timeout`](Self::body_timeout) | 30 s | 408 and close |
/// | [`write_timeout`](Self::write_timeout) | 30 s | the connection is closed |
/// | [`linger_timeout`](Self::linger_timeout) | 2 s | a closing connection stops waiting for the client's FIN |
/// | [`shutdown_timeout`](Self::shutdown_timeout) | 30 s | remaining connections are dropped and `start` returns |
/// | [`max_requests_per_connection`](Self::max_requests_per_connection) | unlimited | the last response says `Connection: close` |
/// | [`nodelay`](Self::nodelay) | `true` | `TCP_NODELAY` on accepted sockets |
/// | [`coalesce`](Self::coalesce) | 50 µs | under load, pause this long before a poll that would find few events |
/// | `tls` (feature `tls`) | off | HTTPS with these certificates; the handshake counts against the header timeout |
///
/// The header timeout runs from accept for the first request and from the
/// first byte of the head for the next ones; between requests the idle
/// timeout applies, and responses announce it with `Keep-Alive: timeout=N`.
/// The body and write timeouts run from the last byte that moved.
///
/// ```no_run
/// use std::time::Duration;
/// use mini_async_http::{AIOServer, ResponseBuilder};
///
/// let mut server = AIOServer::builder()
///     .workers(8)
///     .max_body_bytes(16 * 1024 * 1024)
///     .header_timeout(Duration::from_secs(5))
///     .bind("127.0.0.1:8080", |_req| ResponseBuilder::empty_200().build().unwrap())
///     .expect("bind 127.0.0.1:8080");
/// server.start();
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ServerBuilder {
    pub(crate) workers: usize,
    pub(crate) limits: Limits,
    pub(crate) max_connections: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) linger_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) max_requests: Option<u64>,
    pub(crate) nodelay: bool,
    pub(crate) coalesce: Duration,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<super::TlsConfig>,
}

impl Default for ServerBuilder {
    fn default() -> ServerBuilder {
        ServerBuilder {
            workers: 4,
            limits: Limits::default(),
            max_connections: 10_000,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            linger_timeout: Duration::from_secs(2),
            shutdown_timeout: Duration::from_secs(30),
            max_requests: None,
            nodelay: true,
            coalesce: Duration::from_micros(50),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty => |$s:ident, $v:ident| $set:expr) => {
        $(#[$doc])*
        pub fn $name(mut self, $v: $ty) -> ServerBuilder {
            let $s = &mut self;
            $set;
            self
        }
    };
}

impl ServerBuilder {
    /// The defaults of the table above.
    ///
    /// ```
    /// let builder = mini_async_http::ServerBuilder::new();
    /// # let _ = builder;
    /// ```
    pub fn new() -> ServerBuilder {
        ServerBuilder::default()
    }

    setter!(
        /// Threads that run the handler (at least 1).
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().workers(2);
        /// # let _ = builder;
        /// ```
        workers: usize => |s, n| s.workers = n
    );
    setter!(
        /// Largest request head (request line and fields) in bytes.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().max_head_bytes(16 * 1024);
        /// # let _ = builder;
        /// ```
        max_head_bytes: usize => |s, n| s.limits.max_head_bytes = n.max(64)
    );
    setter!(
        /// Most header fields in a request (at most 512).
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().max_headers(50);
        /// # let _ = builder;
        /// ```
        max_headers: usize => |s, n| s.limits.max_headers = n.min(crate::proto::MAX_HEADERS_CAP)
    );
    setter!(
        /// Largest request body in bytes, after de-chunking.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().max_body_bytes(10 << 20);
        /// # let _ = builder;
        /// ```
        max_body_bytes: u64 => |s, n| s.limits.max_body_bytes = n
    );
    setter!(
        /// Most open connections; beyond it the listener is not polled.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().max_connections(1000);
        /// # let _ = builder;
        /// ```
        max_connections: usize => |s, n| s.max_connections = n.max(1)
    );
    setter!(
        /// Time for a whole request head to arrive.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().header_timeout(std::time::Duration::from_secs(5));
        /// # let _ = builder;
        /// ```
        header_timeout: Duration => |s, d| s.header_timeout = d
    );
    setter!(
        /// Time a keep-alive connection may wait for its next request.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().idle_timeout(std::time::Duration::from_secs(5));
        /// # let _ = builder;
        /// ```
        idle_timeout: Duration => |s, d| s.idle_timeout = d
    );
    setter!(
        /// Time between two reads of a request body.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().body_timeout(std::time::Duration::from_secs(5));
        /// # let _ = builder;
        /// ```
        body_timeout: Duration => |s, d| s.body_timeout = d
    );
    setter!(
        /// Time between two writes of a response the client is slow to read.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().write_timeout(std::time::Duration::from_secs(5));
        /// # let _ = builder;
        /// ```
        write_timeout: Duration => |s, d| s.write_timeout = d
    );
    setter!(
        /// Time a closing connection waits for the client to close its side.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().linger_timeout(std::time::Duration::from_secs(1));
        /// # let _ = builder;
        /// ```
        linger_timeout: Duration => |s, d| s.linger_timeout = d
    );
    setter!(
        /// Time [`ServerHandle::shutdown`](crate::ServerHandle::shutdown)
        /// waits for requests under way before dropping connections.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().shutdown_timeout(std::time::Duration::from_secs(5));
        /// # let _ = builder;
        /// ```
        shutdown_timeout: Duration => |s, d| s.shutdown_timeout = d
    );
    setter!(
        /// Requests served on one connection before it is closed.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().max_requests_per_connection(1000);
        /// # let _ = builder;
        /// ```
        max_requests_per_connection: u64 => |s, n| s.max_requests = Some(n.max(1))
    );
    setter!(
        /// Sets `TCP_NODELAY` on accepted connections.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().nodelay(false);
        /// # let _ = builder;
        /// ```
        nodelay: bool => |s, b| s.nodelay = b
    );
    setter!(
        /// Event coalescing under load: when at least 32 connections are
        /// open and a poll of the event loop came back at once (within
        /// 200 µs) with 8 or fewer ready connections, the loop pauses this
        /// long before its next poll, so that events arriving in a trickle
        /// are handed to the workers in batches instead of one hand-off
        /// (two context switches) each. Like a network card's interrupt
        /// moderation, it trades up to this much added latency per request
        /// for less CPU per request (the pause is a sleep, so the kernel's
        /// timer slack, 50 µs by default on Linux, can lengthen it); under
        /// light load, or with few connections, it never applies.
        /// `Duration::ZERO` turns it off.
        ///
        /// ```
        /// use std::time::Duration;
        /// let builder = mini_async_http::AIOServer::builder().coalesce(Duration::ZERO);
        /// # let _ = builder;
        /// ```
        coalesce: Duration => |s, d| s.coalesce = d
    );

    /// Serves HTTPS: every connection speaks TLS with this configuration
    /// (see [`TlsConfig`](crate::TlsConfig) for its defaults). Its files
    /// are read by [`bind`](Self::bind), which fails with an error naming
    /// the file if one is bad.
    ///
    /// ```no_run
    /// use mini_async_http::{AIOServer, TlsConfig};
    /// let builder = AIOServer::builder().tls(TlsConfig::from_pem_files("cert.pem", "key.pem"));
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: super::TlsConfig) -> ServerBuilder {
        self.tls = Some(config);
        self
    }

    /// Binds `addr`, starts the worker threads and returns the server, ready
    /// for [`AIOServer::start`].
    ///
    /// # Errors
    /// The address does not resolve, cannot be bound (in use, no
    /// permission), `workers` is 0, or a thread or the poller cannot be made;
    /// with [`tls`](Self::tls), the errors of
    /// [`TlsConfig::load`](crate::TlsConfig::load).
    ///
    /// ```
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let server = AIOServer::builder()
    ///     .bind("127.0.0.1:0", |_req| ResponseBuilder::empty_200().build().unwrap())
    ///     .unwrap();
    /// assert_ne!(server.local_addr().port(), 0);
    /// ```
    pub fn bind<A, F, R>(self, addr: A, handler: F) -> io::Result<AIOServer>
    where
        A: ToSocketAddrs,
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        AIOServer::from_builder(&self, addr, handler)
    }
}
