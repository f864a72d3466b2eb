//! The drain of a graceful shutdown loses no request: keep-alive clients
//! get `Connection: close` on the response they are waiting for, requests
//! that arrive during [`drain_grace`](ServerBuilder::drain_grace) on
//! connections between requests (idle, new, half a head) are answered, so
//! are connections still queued on the socket, and `drain_grace(ZERO)`
//! closes connections between requests at once instead.
//! (`tests/e2e/rolling_restart.sh` and `handoff.sh` check the same under
//! load, across processes.)
//!
//! No sleep waits for the server: tests block on channels and socket reads
//! with timeouts, and poll a counter or a refused connect with a bound.

mod support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use mini_async_http::{AIOServer, Request, Response, ResponseBuilder, ServerBuilder};
use support::{TestServer, get, ms, path_echo};

const WAIT: Duration = Duration::from_secs(5);

/// Waits (at most `WAIT`) until connecting is refused: the server has begun
/// its drain and closed its socket.
fn wait_until_refused(addr: SocketAddr) {
    let until = Instant::now() + WAIT;
    while TcpStream::connect_timeout(&addr, WAIT).is_ok() {
        assert!(Instant::now() < until, "still accepting after shutdown");
        thread::sleep(ms(5)); // polls the socket, bounded above
    }
}

/// Waits (at most `WAIT`) until no worker holds a connection, so that the
/// connections the test has been answered on are back in the event loop.
fn wait_until_workers_idle(server: &TestServer) {
    let until = Instant::now() + WAIT;
    while server.handle.metrics().workers_busy > 0 {
        assert!(Instant::now() < until, "workers still busy");
        thread::sleep(ms(5)); // polls the counter, bounded above
    }
}

/// A handler that holds `/block` until the test releases it; any other path
/// is echoed.
fn gated() -> (
    Receiver<()>,
    Sender<()>,
    impl Fn(&Request) -> Response + Send + Sync + 'static,
) {
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let entered_tx = Mutex::new(entered_tx);
    let release_rx = Mutex::new(release_rx);
    let handler = move |req: &Request| {
        if req.path() != "/block" {
            return path_echo(req);
        }
        entered_tx.lock().unwrap().send(()).unwrap();
        release_rx
            .lock()
            .unwrap()
            .recv_timeout(WAIT)
            .expect("never released");
        ResponseBuilder::empty_200()
            .body("released")
            .build()
            .unwrap()
    };
    (entered, release, handler)
}

/// Keep-alive clients (HTTP/1.1, and HTTP/1.0 with `Connection:
/// keep-alive`) that were answered without `Connection: close` before the
/// shutdown get it on the response in flight when it begins, and are then
/// closed.
#[test]
fn keep_alive_clients_get_connection_close_on_in_flight_response() {
    let (entered, release, handler) = gated();
    let server = TestServer::with(
        AIOServer::builder().workers(2).shutdown_timeout(WAIT),
        handler,
    );
    let mut http11 = server.connect();
    http11.send(get("/first"));
    let r = http11.read_response();
    assert_eq!((r.status, r.header("connection")), (200, None));
    let mut http10 = server.connect();
    let keep_alive_10 =
        |path: &str| format!("GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    http10.send(keep_alive_10("/first"));
    let r = http10.read_response();
    assert_eq!(
        (r.status, r.header("connection")),
        (200, Some("keep-alive"))
    );

    http11.send(get("/block"));
    http10.send(keep_alive_10("/block"));
    for _ in 0..2 {
        entered.recv_timeout(WAIT).expect("handler not called");
    }
    server.handle.shutdown();
    release.send(()).unwrap();
    release.send(()).unwrap();
    for c in [&mut http11, &mut http10] {
        let r = c.read_response();
        assert_eq!((r.status, r.body_str()), (200, "released"));
        assert_eq!(r.header("connection"), Some("close"), "{r:?}");
        assert!(c.is_closed());
    }
    server.stop();
}

/// During the drain grace, a request on an idle keep-alive connection, on a
/// connection that had sent nothing, and the rest of a half-sent head are
/// all answered (with `Connection: close`) after the server has stopped
/// accepting; a connection that sends nothing is closed when the grace
/// ends, counted as a shutdown close, not a timeout.
#[test]
fn requests_arriving_during_the_drain_grace_are_answered() {
    let server = TestServer::with(
        AIOServer::builder()
            .workers(2)
            .drain_grace(Duration::from_secs(3))
            .shutdown_timeout(WAIT),
        path_echo,
    );
    let mut idle = server.connect();
    idle.send(get("/idle"));
    assert_eq!(idle.read_response().status, 200);
    let mut fresh = server.connect();
    let mut partial = server.connect();
    partial.send("GET /partial HTTP/1.1\r\nHo");
    let mut silent = server.connect();
    silent.send(get("/silent"));
    assert_eq!(silent.read_response().status, 200);

    server.handle.shutdown();
    wait_until_refused(server.addr);
    idle.send(get("/late"));
    fresh.send(get("/fresh"));
    partial.send("st: test\r\n\r\n");
    for (c, path) in [
        (&mut idle, "/late"),
        (&mut fresh, "/fresh"),
        (&mut partial, "/partial"),
    ] {
        let r = c.read_response();
        assert_eq!((r.status, r.body_str()), (200, path));
        assert_eq!(r.header("connection"), Some("close"), "{path}: {r:?}");
        assert!(c.is_closed(), "{path}: not closed after its answer");
    }
    assert!(silent.is_closed(), "not closed when the grace ended");
    let handle = server.handle.clone();
    server.stop();
    let m = handle.metrics();
    assert_eq!(m.responses.success, 5);
    assert!(m.closes.shutdown >= 4, "{:?}", m.closes);
    assert_eq!(m.closes.timeout, 0, "{:?}", m.closes);
}

/// A connection that waits in the socket's queue (the server is at
/// `max_connections`) when the drain begins is accepted before the socket
/// closes, over the limit, and answered, instead of being reset with the
/// queue.
#[test]
fn connections_queued_on_the_socket_are_answered() {
    let server = TestServer::with(
        AIOServer::builder()
            .workers(2)
            .max_connections(1)
            .shutdown_timeout(WAIT),
        path_echo,
    );
    let mut open = server.connect();
    open.send(get("/open"));
    assert_eq!(open.read_response().status, 200);
    let mut queued = server.connect(); // the kernel completes the handshake
    queued.send(get("/queued"));
    let until = Instant::now() + WAIT;
    while server.handle.metrics().limit_hits.connections == 0 {
        assert!(Instant::now() < until, "the limit was not reached");
        thread::sleep(ms(5)); // polls the counter, bounded above
    }
    server.handle.shutdown();
    let r = queued.read_response();
    assert_eq!((r.status, r.body_str()), (200, "/queued"));
    assert_eq!(r.header("connection"), Some("close"));
    assert!(queued.is_closed());
    assert!(open.is_closed());
    server.stop();
}

/// `drain_grace(Duration::ZERO)`: an idle keep-alive connection is closed
/// when the drain begins, so a request sent on it afterwards gets no answer.
#[test]
fn drain_grace_zero_closes_connections_between_requests_at_once() {
    let server = TestServer::with(
        ServerBuilder::new()
            .workers(2)
            .drain_grace(Duration::ZERO)
            .shutdown_timeout(WAIT),
        path_echo,
    );
    let mut idle = server.connect();
    idle.send(get("/idle"));
    assert_eq!(idle.read_response().status, 200);
    wait_until_workers_idle(&server);
    server.handle.shutdown();
    wait_until_refused(server.addr);
    // The server may have closed the socket already (then the write fails).
    let _ = idle.stream.write_all(get("/late").as_bytes());
    assert!(
        idle.is_closed(),
        "a request after the drain began was answered"
    );
    server.stop();
}
