//! [`ServerBuilder`]: every default limit and timeout of the server is set
//! and documented here, and only here.

use std::io;
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::metrics::Source;
use super::{AIOServer, Shared};
use crate::http::TrustedProxies;
use crate::proto::Limits;
use crate::{ForwardedHeader, IntoResponse, Request, Response};

/// Configures and binds an [`AIOServer`].
///
/// | setting | default | what happens at the limit |
/// |---|---|---|
/// | [`workers`](Self::workers) | 4 | threads that run the handler |
/// | [`max_head_bytes`](Self::max_head_bytes) | 64 KiB | 431 and close |
/// | [`max_headers`](Self::max_headers) | 100 | 431 and close |
/// | [`max_body_bytes`](Self::max_body_bytes) | 1 MiB | 413 and close |
/// | [`spool_threshold`](Self::spool_threshold) | 1 MiB | a longer body goes to an unnamed temporary file, not memory |
/// | [`spool_dir`](Self::spool_dir) | [`std::env::temp_dir`] | where those files are made; when one cannot be made or written: 507 and close |
/// | [`max_connections`](Self::max_connections) | 10 000 | new connections wait in the listen backlog until one closes |
/// | [`header_timeout`](Self::header_timeout) | 10 s | 408 and close (silent close if nothing was sent) |
/// | [`idle_timeout`](Self::idle_timeout) | 60 s | an idle keep-alive connection is closed |
/// | [`body_timeout`](Self::body_timeout) | 30 s | 408 and close |
/// | [`write_timeout`](Self::write_timeout) | 30 s | the connection is closed |
/// | [`producer_timeout`](Self::producer_timeout) | none | a channel body whose producer sent nothing for this long is cut off (connection closed) |
/// | [`linger_timeout`](Self::linger_timeout) | 2 s | a closing connection stops waiting for the client's FIN |
/// | [`shutdown_timeout`](Self::shutdown_timeout) | 30 s | remaining connections are dropped and `start` returns |
/// | [`drain_grace`](Self::drain_grace) | 1 s | during a shutdown, connections between requests are closed |
/// | [`max_requests_per_connection`](Self::max_requests_per_connection) | unlimited | the last response says `Connection: close` |
/// | [`nodelay`](Self::nodelay) | `true` | `TCP_NODELAY` on accepted sockets |
/// | [`coalesce`](Self::coalesce) | 50 µs | under load, pause this long before a poll that would find few events |
/// | [`access_log`](Self::access_log) | off | one `info` record per response on target `mini_async_http::access` |
/// | [`reuse_port`](Self::reuse_port) | `false` | `SO_REUSEPORT`: several processes may bind the port |
/// | [`trusted_proxies`](Self::trusted_proxies) | none | whose forwarding header names the client ([`Request::client_ip`]) |
/// | [`forwarded_header`](Self::forwarded_header) | `X-Forwarded-For` | which header trusted proxies set |
/// | `tls` (feature `tls`) | off | HTTPS with these certificates; the handshake counts against the header timeout |
///
/// The header timeout runs from accept for the first request and from the
/// first byte of the head for the next ones; between requests the idle
/// timeout applies, and responses announce it with `Keep-Alive: timeout=N`.
/// The body and write timeouts run from the last byte that moved.
///
/// Large uploads: a body longer than `spool_threshold` is written to a
/// temporary file by the workers as it arrives, so `max_body_bytes` may be
/// set to gigabytes while each upload holds about `spool_threshold` of
/// memory; the handler still runs once the whole body is there and reads it
/// with [`Request::body_reader`]. With the defaults no body is spooled
/// (none may be longer than the threshold).
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
    pub(crate) drain_grace: Duration,
    pub(crate) max_requests: Option<u64>,
    pub(crate) nodelay: bool,
    pub(crate) coalesce: Duration,
    pub(crate) spool_threshold: u64,
    /// `None`: [`std::env::temp_dir`] when the server is bound.
    pub(crate) spool_dir: Option<PathBuf>,
    pub(crate) producer_timeout: Option<Duration>,
    pub(crate) access_log: bool,
    pub(crate) reuse_port: bool,
    /// Empty unless some proxy is trusted.
    pub(crate) proxies: TrustedProxies,
    /// A `trusted_proxies` entry that did not parse, reported by `bind`.
    pub(crate) proxies_error: Option<String>,
    /// The first server bound from this builder (or a clone), for the
    /// builder's metrics handlers.
    pub(crate) metrics: Arc<OnceLock<Arc<Shared>>>,
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
            drain_grace: Duration::from_secs(1),
            max_requests: None,
            nodelay: true,
            coalesce: Duration::from_micros(50),
            spool_threshold: 1024 * 1024,
            spool_dir: None,
            producer_timeout: None,
            access_log: false,
            reuse_port: false,
            proxies: TrustedProxies::default(),
            proxies_error: None,
            metrics: Arc::default(),
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
        /// Raising it above 64 KiB costs nothing for requests with shorter
        /// heads: only a head that has not ended yet grows a connection's
        /// input past 64 KiB, not the body bytes behind it.
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
        /// Largest request body in bytes, after de-chunking. Bodies over
        /// [`spool_threshold`](Self::spool_threshold) do not stay in memory,
        /// so this may be set to gigabytes.
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
        /// How long a shutdown keeps reading connections that are between
        /// requests: idle keep-alive connections, new ones that have sent
        /// nothing yet (including those still queued on the socket, which
        /// are accepted first) and ones with part of a head. A request that
        /// arrives meanwhile is answered, with `Connection: close`; then,
        /// or when the grace has passed, the connection is closed. A client
        /// that sends on a connection just as the server closes it loses
        /// that request (RFC 9112 §9.6 leaves the retry to it): most
        /// clients send their next request within a round trip of the last
        /// response, or of connecting, so the grace turns those races into
        /// answers. `Duration::ZERO` closes such connections at once.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().drain_grace(std::time::Duration::ZERO);
        /// # let _ = builder;
        /// ```
        drain_grace: Duration => |s, d| s.drain_grace = d
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
    setter!(
        /// Request bodies longer than this many bytes are not kept in
        /// memory but spooled to an unnamed temporary file in
        /// [`spool_dir`](Self::spool_dir) (see
        /// [Large bodies](crate::Request#large-bodies)); `u64::MAX` keeps
        /// every body in memory. A body known by its `Content-Length` to be
        /// longer gets its file before `100 Continue`.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder()
        ///     .max_body_bytes(4 << 30)
        ///     .spool_threshold(256 * 1024);
        /// # let _ = builder;
        /// ```
        spool_threshold: u64 => |s, n| s.spool_threshold = n
    );

    /// The directory of the temporary files of spooled bodies (see
    /// [`spool_threshold`](Self::spool_threshold)); by default
    /// [`std::env::temp_dir`] (`$TMPDIR`, else `/tmp`). The files are
    /// unlinked as soon as they are made, so the directory never shows them.
    /// If a file cannot be made or written there (no such directory, no
    /// permission, disk full), that request gets 507 and its connection is
    /// closed.
    ///
    /// ```
    /// let builder = mini_async_http::AIOServer::builder().spool_dir("/var/tmp");
    /// # let _ = builder;
    /// ```
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> ServerBuilder {
        self.spool_dir = Some(dir.into());
        self
    }
    setter!(
        /// Time a [channel body](crate::Body::channel) may wait for its
        /// producer's next bytes before the connection is closed (the
        /// producer then gets `Disconnected`). None by default: a stream of
        /// server-sent events may be quiet for long, and the producer knows
        /// best when to send a keep-alive comment. The write timeout still
        /// applies to a client that does not read what was sent.
        ///
        /// ```
        /// use std::time::Duration;
        /// let builder = mini_async_http::AIOServer::builder().producer_timeout(Duration::from_secs(300));
        /// # let _ = builder;
        /// ```
        producer_timeout: Duration => |s, d| s.producer_timeout = Some(d)
    );

    setter!(
        /// Logs one record per response, in Combined Log Format plus the time
        /// taken, with the [`log`](https://docs.rs/log) crate on target
        /// `mini_async_http::access` at level `info` (the format is in the
        /// README, "Access log"). The records are made on the worker
        /// threads, and not at all while the logger leaves that target out.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().access_log(true);
        /// # let _ = builder;
        /// ```
        access_log: bool => |s, on| s.access_log = on
    );
    setter!(
        /// Sets `SO_REUSEPORT` on the listening socket (Unix), so that
        /// several processes, each with this option, can listen on the same
        /// port and the kernel spreads new connections over them. On other
        /// platforms `bind` then fails with `Unsupported`.
        ///
        /// ```
        /// let builder = mini_async_http::AIOServer::builder().reuse_port(true);
        /// # let _ = builder;
        /// ```
        reuse_port: bool => |s, on| s.reuse_port = on
    );
    setter!(
        /// Which header the [trusted proxies](Self::trusted_proxies) state
        /// the client in (only that one is read).
        ///
        /// ```
        /// use mini_async_http::{AIOServer, ForwardedHeader};
        /// let builder = AIOServer::builder().forwarded_header(ForwardedHeader::Forwarded);
        /// # let _ = builder;
        /// ```
        forwarded_header: ForwardedHeader => |s, h| s.proxies.header = h
    );

    /// Trusts these proxies (addresses or CIDR ranges, IPv4 or IPv6:
    /// `"10.0.0.0/8"`, `"::1"`) to name the client: for a request whose
    /// direct peer is one of them, [`Request::client_ip`] is the rightmost
    /// address in the [forwarding header](Self::forwarded_header) that is
    /// not a trusted proxy. Nothing is trusted by default; an empty list
    /// trusts nothing again. An entry that does not parse makes `bind` fail
    /// with `InvalidInput`.
    ///
    /// ```
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let server = AIOServer::builder()
    ///     .trusted_proxies(["127.0.0.1", "10.0.0.0/8"])
    ///     .bind("127.0.0.1:0", |req| {
    ///         ResponseBuilder::empty_200().body(req.client_ip().to_string()).build().unwrap()
    ///     });
    /// assert!(server.is_ok());
    /// let bad = AIOServer::builder().trusted_proxies(["10.0.0.0/33"]).bind("127.0.0.1:0", |_| {
    ///     ResponseBuilder::empty_200().build().unwrap()
    /// });
    /// assert_eq!(bad.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn trusted_proxies<I, S>(mut self, nets: I) -> ServerBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        match TrustedProxies::parse(nets, self.proxies.header) {
            Ok(proxies) => {
                self.proxies = proxies;
                self.proxies_error = None;
            }
            Err(bad) => self.proxies_error = Some(bad),
        }
        self
    }

    /// A handler that answers with the Prometheus text of the first server
    /// bound from this builder (see
    /// [`ServerHandle::metrics_handler`](crate::ServerHandle::metrics_handler)),
    /// for a router that is built before the server it runs in; `503` until
    /// that server is bound.
    ///
    /// ```
    /// use mini_async_http::{AIOServer, Method, Request};
    /// let builder = AIOServer::builder();
    /// let metrics = builder.metrics_handler();
    /// assert_eq!(metrics(&Request::new(Method::Get, "/metrics")).status(), 503);
    /// // A router would route "/metrics" to it: `router.get("/metrics", metrics)`.
    /// let server = builder.bind("127.0.0.1:0", metrics.clone()).unwrap();
    /// assert_eq!(metrics(&Request::new(Method::Get, "/metrics")).status(), 200);
    /// ```
    pub fn metrics_handler(&self) -> impl Fn(&Request) -> Response + Clone + Send + Sync + 'static {
        Source::Later(Arc::clone(&self.metrics)).handler()
    }

    /// The errors a setter left for `bind` to report.
    pub(crate) fn check(&self) -> io::Result<()> {
        if self.workers == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "workers must be at least 1",
            ));
        }
        if let Some(bad) = &self.proxies_error {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("trusted_proxies: {bad:?} is not an IP address or CIDR range"),
            ));
        }
        Ok(())
    }

    /// Serves `listener`, a socket that is bound and listening already
    /// (from `listener_from_systemd()` with feature `systemd`, a
    /// parent process that keeps it across restarts, or `socket2` with
    /// options of your own), instead of binding an address. It is made
    /// non-blocking; [`reuse_port`](Self::reuse_port) does not apply.
    ///
    /// # Errors
    /// `workers` is 0, a setter was given bad input, or a thread or the
    /// poller cannot be made; with [`tls`](Self::tls), the errors of
    /// [`TlsConfig::load`](crate::TlsConfig::load).
    ///
    /// ```
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let server = AIOServer::builder()
    ///     .workers(2)
    ///     .listen(listener, |_req| ResponseBuilder::empty_200().build().unwrap())
    ///     .unwrap();
    /// assert_ne!(server.local_addr().port(), 0);
    /// ```
    pub fn listen<F, R>(self, listener: std::net::TcpListener, handler: F) -> io::Result<AIOServer>
    where
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        AIOServer::from_std_listener(&self, listener, handler)
    }

    /// Serves HTTPS: every connection speaks TLS with this configuration
    /// (see [`TlsConfig`](crate::TlsConfig) for its defaults). Its files
    /// are read by [`bind`](Self::bind) (and [`listen`](Self::listen)),
    /// which fails with an error naming the file if one is bad.
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
