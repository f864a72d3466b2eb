//! mio and threads: moves bytes between sockets and [`proto`](crate::proto);
//! never parses.

mod access_log;
mod config;
mod event_loop;
#[cfg(all(feature = "splice", target_os = "linux"))]
mod splice;
mod spool;
pub(crate) use spool::TempSpool;
mod listener;
mod metrics;
mod stats;
#[cfg(feature = "tls")]
mod tls;
mod transport;
mod worker_pool;

pub use config::ServerBuilder;
#[cfg(feature = "systemd")]
pub use listener::listener_from_systemd;
pub use metrics::{Closes, LimitHits, Metrics, Rejections, Responses, Timeouts};
#[cfg(feature = "tls")]
pub use tls::TlsConfig;
#[cfg(all(feature = "tls", feature = "internals"))]
pub use tls::{MemorySocket, PLAIN_HTTP_400, TlsStream};

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::Instant;

use crossbeam_channel::Sender;
use mio::net::TcpListener;
use mio::{Interest, Poll, Waker};

use crate::{IntoResponse, Request, Response};
use event_loop::{EventLoop, LISTENER, WAKER};
use metrics::Source;
use stats::Stats;
use worker_pool::{Job, WorkerPool};

/// The settings the running server reads: the builder it was bound with.
pub(crate) type Settings = ServerBuilder;

/// What the event loop, the workers and every [`ServerHandle`] share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) shutdown: AtomicBool,
    waker: Waker,
    /// A wake-up is already on its way: workers handing back many connections
    /// wake the loop once.
    pub(crate) wake_pending: AtomicBool,
    /// When the loop's current `poll` ends at the latest, in nanoseconds
    /// since `epoch` (`u64::MAX`: no timeout). A worker that hands back a
    /// connection whose new deadline comes sooner wakes the loop (see
    /// "Deadlines" in the `event_loop` module doc).
    poll_until: AtomicU64,
    epoch: Instant,
    /// Open connections, kept by the loop; workers read it to decide whether
    /// to spin before sleeping.
    pub(crate) connections: AtomicUsize,
    /// The event loop is parked (not polling) while the workers have a
    /// backlog of jobs; see "Backlog" in the `event_loop` module doc.
    pub(crate) loop_parked: AtomicBool,
    /// The thread running the event loop, set when `start` begins.
    pub(crate) loop_thread: OnceLock<Thread>,
    /// Connections (slab key, slot id) whose channel body's producer sent
    /// or went away: the loop sends them to a worker again.
    pub(crate) woken: Mutex<Vec<(usize, u64)>>,
    /// `woken` may have keys: set after pushing, so the loop takes the lock
    /// only when there is something (not once per loop iteration).
    pub(crate) any_woken: AtomicBool,
    /// The counters of the workers and the loop (see `stats.rs`).
    pub(crate) stats: Stats,
    /// The TLS configuration new connections take, when serving HTTPS.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Arc<tls::TlsAcceptor>>,
}

impl Shared {
    /// A snapshot of the counters.
    pub(crate) fn metrics(&self) -> Metrics {
        self.stats
            .snapshot(self.connections.load(Ordering::Relaxed))
    }

    /// Publishes when the loop's next `poll` ends at the latest.
    pub(crate) fn set_poll_until(&self, until: Option<Instant>) {
        let nanos = until.map_or(u64::MAX, |t| self.nanos(t));
        self.poll_until.store(nanos, Ordering::SeqCst);
    }

    /// `at` comes before the loop's current `poll` ends: a connection due
    /// then must not wait in the channel for the loop's next event.
    pub(crate) fn due_before_poll_ends(&self, at: Instant) -> bool {
        self.nanos(at) < self.poll_until.load(Ordering::SeqCst)
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Lets a parked event loop go on to poll.
    pub(crate) fn unpark_loop(&self) {
        if self.loop_parked.load(Ordering::SeqCst) && self.loop_parked.swap(false, Ordering::SeqCst)
        {
            if let Some(thread) = self.loop_thread.get() {
                thread.unpark();
            }
        }
    }

    /// A channel body's producer has something for connection `key`
    /// (called on the producer's thread).
    pub(crate) fn wake_stream(&self, key: usize, id: u64) {
        self.woken
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((key, id));
        self.any_woken.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub(crate) fn wake(&self) {
        self.unpark_loop();
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            if let Err(e) = self.waker.wake() {
                log::error!("cannot wake the event loop: {e}");
            }
        }
    }
}

/// An HTTP/1.1 server: one event loop thread (the one that calls
/// [`start`](Self::start)) and a pool of worker threads that run the handler.
///
/// ```no_run
/// use mini_async_http::{AIOServer, ResponseBuilder};
///
/// let mut server = AIOServer::new(3, "0.0.0.0:7878", move |request| {
///     ResponseBuilder::empty_200()
///         .body(format!("you asked for {}", request.path()))
///         .content_type("text/plain")
///         .build()
///         .unwrap()
/// });
/// server.start();
/// ```
pub struct AIOServer {
    event_loop: Option<EventLoop>,
    workers: WorkerPool,
    handle: ServerHandle,
    local_addr: SocketAddr,
}

impl fmt::Debug for AIOServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AIOServer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl AIOServer {
    /// Binds `addr` with `workers` handler threads and the default settings of
    /// [`ServerBuilder`].
    ///
    /// # Panics
    /// If the address cannot be bound (see [`AIOServer::bind`] for the
    /// fallible form), with the address and the OS error in the message.
    ///
    /// ```no_run
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let mut server = AIOServer::new(3, "0.0.0.0:7878", |_req| {
    ///     ResponseBuilder::empty_200().body(b"Hello").build().unwrap()
    /// });
    /// server.start();
    /// ```
    pub fn new<A, F, R>(workers: usize, addr: A, handler: F) -> AIOServer
    where
        A: ToSocketAddrs + fmt::Debug,
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        let shown = format!("{addr:?}");
        match AIOServer::bind(workers, addr, handler) {
            Ok(server) => server,
            Err(e) => panic!("mini_async_http: cannot listen on {shown}: {e}"),
        }
    }

    /// Binds `addr` with `workers` handler threads and the default settings.
    ///
    /// # Errors
    /// See [`ServerBuilder::bind`].
    ///
    /// ```
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let taken = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// let again = AIOServer::bind(1, taken.local_addr(), |_| ResponseBuilder::new().build().unwrap());
    /// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    /// ```
    pub fn bind<A, F, R>(workers: usize, addr: A, handler: F) -> io::Result<AIOServer>
    where
        A: ToSocketAddrs,
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        AIOServer::builder().workers(workers).bind(addr, handler)
    }

    /// A [`ServerBuilder`] with the default settings.
    ///
    /// ```
    /// let builder = mini_async_http::AIOServer::builder().workers(2);
    /// # let _ = builder;
    /// ```
    pub fn builder() -> ServerBuilder {
        ServerBuilder::new()
    }

    /// Serves `listener`, a socket bound and listening already (from
    /// systemd socket activation, a parent process, or `socket2`), with
    /// `workers` handler threads and the default settings. The listener is
    /// made non-blocking.
    ///
    /// # Errors
    /// See [`ServerBuilder::listen`].
    ///
    /// ```
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let addr = listener.local_addr().unwrap();
    /// let server = AIOServer::from_listener(1, listener, |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// assert_eq!(server.local_addr(), addr);
    /// ```
    pub fn from_listener<F, R>(
        workers: usize,
        listener: std::net::TcpListener,
        handler: F,
    ) -> io::Result<AIOServer>
    where
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        AIOServer::builder()
            .workers(workers)
            .listen(listener, handler)
    }

    pub(crate) fn from_builder<A, F, R>(
        b: &ServerBuilder,
        addr: A,
        handler: F,
    ) -> io::Result<AIOServer>
    where
        A: ToSocketAddrs,
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        b.check()?;
        let listener = listener::bind_first(addr, b.reuse_port)?;
        AIOServer::from_parts(b, listener, handler)
    }

    pub(crate) fn from_std_listener<F, R>(
        b: &ServerBuilder,
        listener: std::net::TcpListener,
        handler: F,
    ) -> io::Result<AIOServer>
    where
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        b.check()?;
        AIOServer::from_parts(b, listener::adopt(listener)?, handler)
    }

    fn from_parts<F, R>(
        b: &ServerBuilder,
        mut listener: TcpListener,
        handler: F,
    ) -> io::Result<AIOServer>
    where
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        #[cfg(feature = "tls")]
        let tls = match &b.tls {
            Some(config) => Some(Arc::new(tls::TlsAcceptor::new(config.load_configs()?))),
            None => None,
        };
        let local_addr = listener.local_addr()?;
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let shared = Arc::new(Shared {
            shutdown: AtomicBool::new(false),
            waker: Waker::new(poll.registry(), WAKER)?,
            wake_pending: AtomicBool::new(false),
            poll_until: AtomicU64::new(u64::MAX),
            epoch: Instant::now(),
            connections: AtomicUsize::new(0),
            loop_parked: AtomicBool::new(false),
            loop_thread: OnceLock::new(),
            #[cfg(feature = "tls")]
            tls,
            woken: Mutex::new(Vec::new()),
            any_woken: AtomicBool::new(false),
            stats: Stats::new(b.workers),
        });
        let settings = Arc::new(b.clone());
        let handler = Arc::new(handler);
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        let (workers, jobs): (WorkerPool, Sender<Job>) =
            WorkerPool::spawn(&settings, &handler, &shared, &done_tx)?;
        drop(done_tx);
        // The first server bound from a builder serves the builder's
        // metrics handlers.
        let _ = b.metrics.set(Arc::clone(&shared));
        let event_loop =
            EventLoop::new(poll, listener, settings, Arc::clone(&shared), jobs, done_rx);
        Ok(AIOServer {
            event_loop: Some(event_loop),
            workers,
            handle: ServerHandle { shared },
            local_addr,
        })
    }

    /// The address the server listens on (useful after binding port 0).
    ///
    /// ```
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// assert!(server.local_addr().ip().is_loopback());
    /// ```
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that can shut the server down from another thread.
    ///
    /// ```
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let mut server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// let handle = server.handle();
    /// let thread = std::thread::spawn(move || server.start());
    /// handle.shutdown();
    /// thread.join().unwrap();
    /// ```
    #[must_use]
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// Runs the event loop on this thread until the server is shut down
    /// ([`ServerHandle::shutdown`]), then waits for the workers to finish.
    /// Calling it again after it has returned returns at once.
    ///
    /// An error of the poller itself (not of a connection) ends the loop and
    /// is logged at `error` level.
    ///
    /// ```no_run
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let mut server = AIOServer::new(2, "127.0.0.1:8080", |_| ResponseBuilder::new().build().unwrap());
    /// server.start();
    /// ```
    pub fn start(&mut self) {
        let Some(mut event_loop) = self.event_loop.take() else {
            return;
        };
        log::debug!("listening on {}", self.local_addr);
        if let Err(e) = event_loop.run() {
            log::error!("event loop failed: {e}");
        }
        // Dropping the loop drops the job sender: workers end after their job.
        drop(event_loop);
        self.workers.join();
        log::debug!("server on {} stopped", self.local_addr);
    }

    /// Shuts the server down gracefully on SIGINT or SIGTERM (a second signal
    /// exits the process at once, with status 130).
    ///
    /// # Errors
    /// If the signal handlers cannot be installed.
    ///
    /// ```no_run
    /// use mini_async_http::{AIOServer, ResponseBuilder};
    /// let mut server = AIOServer::new(2, "127.0.0.1:8080", |_| ResponseBuilder::new().build().unwrap());
    /// server.shutdown_on_signals().unwrap();
    /// server.start(); // returns after Ctrl-C
    /// ```
    #[cfg(feature = "signals")]
    pub fn shutdown_on_signals(&self) -> io::Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
        let handle = self.handle();
        std::thread::Builder::new()
            .name("mini-http-signals".into())
            .spawn(move || {
                let mut seen = 0;
                for signal in signals.forever() {
                    seen += 1;
                    if seen > 1 {
                        std::process::exit(130);
                    }
                    log::info!("signal {signal}: shutting down");
                    handle.shutdown();
                }
            })?;
        Ok(())
    }
}

/// Shuts a running [`AIOServer`] down from any thread.
///
/// `shutdown` stops accepting at once (new connections are refused), closes
/// idle keep-alive connections, lets requests under way finish and be written
/// (every request a connection has already read is answered, pipelined ones
/// included, the last with `Connection: close`), then makes `start` return;
/// the wait is bounded by [`ServerBuilder::shutdown_timeout`].
///
/// ```
/// use mini_async_http::{AIOServer, ResponseBuilder};
/// let mut server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
/// let handle = server.handle();
/// handle.shutdown(); // before start: start returns at once
/// server.start();
/// assert!(handle.is_shutdown());
/// ```
#[derive(Clone, Debug)]
pub struct ServerHandle {
    shared: Arc<Shared>,
}

impl ServerHandle {
    /// Starts a graceful shutdown; returns at once. The server accepts
    /// what its socket has queued and stops accepting; requests already
    /// read are answered, the last on each connection with `Connection:
    /// close`; connections between requests are read for
    /// [`drain_grace`](crate::ServerBuilder::drain_grace) more (a request
    /// that arrives is answered, with `Connection: close`), then closed;
    /// [`shutdown_timeout`](crate::ServerBuilder::shutdown_timeout) bounds
    /// it all, and then [`AIOServer::start`] returns.
    ///
    /// ```
    /// # use mini_async_http::{AIOServer, ResponseBuilder};
    /// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// server.handle().shutdown();
    /// ```
    pub fn shutdown(&self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.shared.unpark_loop();
        self.shared.wake_pending.store(true, Ordering::Release);
        if let Err(e) = self.shared.waker.wake() {
            log::error!("cannot wake the event loop: {e}");
        }
    }

    /// Whether [`shutdown`](Self::shutdown) has been called.
    ///
    /// ```
    /// # use mini_async_http::{AIOServer, ResponseBuilder};
    /// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// assert!(!server.handle().is_shutdown());
    /// ```
    #[must_use]
    pub fn is_shutdown(&self) -> bool {
        self.shared.shutdown.load(Ordering::Acquire)
    }

    /// A snapshot of the server's counters: cheap (it sums a block of
    /// counters per worker), and taking it never slows a request down.
    ///
    /// ```
    /// # use mini_async_http::{AIOServer, ResponseBuilder};
    /// # let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// let m = server.handle().metrics();
    /// println!("{} open, {} answered", m.connections_open, m.responses.total());
    /// ```
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics()
    }

    /// A handler that answers every request with
    /// [`metrics()`](Self::metrics) in the Prometheus text format: mount it
    /// on a router (`router.get("/metrics", handle.metrics_handler())`), or
    /// serve it on a port of its own, out of the public's reach. Before the
    /// server is bound, [`ServerBuilder::metrics_handler`] gives one.
    ///
    /// ```
    /// use mini_async_http::{AIOServer, Method, Request, ResponseBuilder};
    /// let server = AIOServer::bind(1, "127.0.0.1:0", |_| ResponseBuilder::new().build().unwrap()).unwrap();
    /// let metrics = server.handle().metrics_handler();
    /// // On a private port: `AIOServer::bind(1, "127.0.0.1:9100", metrics)`.
    /// let resp = metrics(&Request::new(Method::Get, "/metrics"));
    /// assert_eq!(resp.status(), 200);
    /// assert!(resp.headers().get("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    /// ```
    pub fn metrics_handler(&self) -> impl Fn(&Request) -> Response + Clone + Send + Sync + 'static {
        Source::Bound(Arc::clone(&self.shared)).handler()
    }
}

#[cfg(test)]
mod tests {
    //! The loop parks while the workers have a backlog; these tests hold the
    //! only worker so that jobs queue up, wait (bounded) until the loop has
    //! parked, and check that it comes back for the backlog, for new
    //! connections, and for shutdown.

    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::mpsc::{self, Receiver, Sender};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::{Request, ResponseBuilder};

    const WAIT: Duration = Duration::from_secs(5);

    struct Held {
        handle: ServerHandle,
        addr: SocketAddr,
        entered: Receiver<()>,
        release: Sender<()>,
        stopped: Receiver<()>,
    }

    /// One worker; `/block` holds it until released.
    fn held_server() -> Held {
        let (entered_tx, entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        let (entered_tx, release_rx) = (Mutex::new(entered_tx), Mutex::new(release_rx));
        let mut server = AIOServer::bind(1, "127.0.0.1:0", move |req: &Request| {
            if req.path() == "/block" {
                entered_tx.lock().unwrap().send(()).unwrap();
                let _ = release_rx.lock().unwrap().recv_timeout(WAIT);
            }
            ResponseBuilder::empty_200()
                .body(req.path())
                .build()
                .unwrap()
        })
        .unwrap();
        let (handle, addr) = (server.handle(), server.local_addr());
        let (stopped_tx, stopped) = mpsc::channel();
        std::thread::spawn(move || {
            server.start();
            let _ = stopped_tx.send(());
        });
        Held {
            handle,
            addr,
            entered,
            release,
            stopped,
        }
    }

    fn send(addr: SocketAddr, path: &str) -> TcpStream {
        let mut s = TcpStream::connect_timeout(&addr, WAIT).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.set_write_timeout(Some(WAIT)).unwrap();
        // Keep-alive, so handing the connection back is not urgent: only
        // the worker taking the last queued job unparks the loop.
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        s
    }

    /// Reads one response (its body is the path: no `/` within it).
    fn body(mut s: TcpStream) -> String {
        let mut text = Vec::new();
        let mut byte = [0u8];
        while !text.ends_with(b"\r\n\r\n") {
            s.read_exact(&mut byte).unwrap();
            text.push(byte[0]);
        }
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        let len: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        let mut body = vec![0u8; len];
        s.read_exact(&mut body).unwrap();
        String::from_utf8(body).unwrap()
    }

    /// Holds the worker and queues two more jobs; returns once the loop has
    /// parked behind them.
    fn park_loop(held: &Held, shared: &Arc<Shared>) -> Vec<TcpStream> {
        let blocked = send(held.addr, "/block");
        held.entered.recv_timeout(WAIT).expect("handler not called");
        let queued = vec![blocked, send(held.addr, "/a"), send(held.addr, "/b")];
        let until = Instant::now() + WAIT;
        while !shared.loop_parked.load(Ordering::SeqCst) {
            assert!(Instant::now() < until, "the loop never parked");
            std::thread::yield_now();
        }
        queued
    }

    #[test]
    fn parked_loop_serves_the_backlog_and_new_connections() {
        let held = held_server();
        let shared = Arc::clone(&held.handle.shared);
        let queued = park_loop(&held, &shared);
        held.release.send(()).unwrap();
        let bodies: Vec<String> = queued.into_iter().map(body).collect();
        assert_eq!(bodies, ["/block", "/a", "/b"]);
        // The loop polls again: a new connection is accepted and served.
        assert_eq!(body(send(held.addr, "/after")), "/after");
        held.handle.shutdown();
        held.stopped
            .recv_timeout(WAIT)
            .expect("start() did not return");
    }

    #[test]
    fn shutdown_wakes_a_parked_loop() {
        let held = held_server();
        let shared = Arc::clone(&held.handle.shared);
        let queued = park_loop(&held, &shared);
        held.handle.shutdown();
        // The loop has stopped accepting before the worker is released.
        let until = Instant::now() + WAIT;
        while TcpStream::connect_timeout(&held.addr, WAIT).is_ok() {
            assert!(Instant::now() < until, "still accepting after shutdown");
            std::thread::yield_now();
        }
        held.release.send(()).unwrap();
        let bodies: Vec<String> = queued.into_iter().map(body).collect();
        assert_eq!(bodies, ["/block", "/a", "/b"]);
        held.stopped
            .recv_timeout(WAIT)
            .expect("start() did not return");
    }
}
