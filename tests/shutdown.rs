//! Graceful shutdown: requests under way finish, idle connections close,
//! the listener goes away, `shutdown_timeout` bounds the wait, and SIGINT
//! stops the example server.
//!
//! No sleep waits for the server: tests block on channels and socket reads
//! with timeouts.

mod support;

use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mini_async_http::{AIOServer, Request, Response, ResponseBuilder, ServerBuilder, ServerHandle};
use support::{Client, TestServer, example_bin, get, ms, path_echo, spawn_until_first_line};

const WAIT: Duration = Duration::from_secs(5);

/// A server whose thread reports when `start` returns.
struct Running {
    addr: SocketAddr,
    handle: ServerHandle,
    stopped: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    fn new<F>(builder: ServerBuilder, handler: F) -> Running
    where
        F: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        let mut server = builder
            .bind("127.0.0.1:0", handler)
            .expect("bind 127.0.0.1:0");
        let (tx, stopped) = mpsc::channel();
        let addr = server.local_addr();
        let handle = server.handle();
        let thread = thread::spawn(move || {
            server.start();
            let _ = tx.send(());
        });
        Running {
            addr,
            handle,
            stopped,
            thread: Some(thread),
        }
    }

    /// Whether `start` returned within `limit`.
    fn stopped_within(&mut self, limit: Duration) -> bool {
        if self.stopped.recv_timeout(limit).is_ok() {
            self.thread
                .take()
                .unwrap()
                .join()
                .expect("server thread panicked");
            true
        } else {
            false
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.shutdown();
        // Join only if it ends in time; a failed test must not hang here.
        if self.thread.is_some() {
            let _ = self.stopped_within(WAIT);
        }
    }
}

/// A handler that blocks `/block` until the test releases it.
struct Gate {
    entered: Receiver<()>,
    release: mpsc::Sender<()>,
}

fn gated() -> (Gate, impl Fn(&Request) -> Response + Send + Sync + 'static) {
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
    (Gate { entered, release }, handler)
}

/// A request whose handler is running when `shutdown` is called is answered
/// in full, with `Connection: close`; then the connection closes and `start`
/// returns.
#[test]
fn request_in_flight_is_answered_with_connection_close() {
    let (gate, handler) = gated();
    let mut server = Running::new(AIOServer::builder().workers(2), handler);
    let mut c = Client::connect(server.addr);
    c.send(get("/block"));
    gate.entered.recv_timeout(WAIT).expect("handler not called");
    server.handle.shutdown();
    gate.release.send(()).unwrap();
    let r = c.read_response();
    assert_eq!((r.status, r.body_str()), (200, "released"));
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed());
    assert!(server.stopped_within(WAIT), "start() did not return");
}

/// Once `start` has returned, connecting is refused.
#[test]
fn new_connections_are_refused_after_shutdown() {
    let server = TestServer::start(1, path_echo);
    let addr = server.addr;
    let mut c = server.connect();
    c.send(get("/before"));
    assert_eq!(c.read_response().status, 200);
    server.stop();
    match TcpStream::connect_timeout(&addr, WAIT) {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}"),
        Ok(_) => panic!("connected to {addr} after shutdown"),
    }
}

/// Idle keep-alive connections, a connection with half a head and one that
/// sent nothing are all closed by `shutdown` (well before any timeout), and
/// `start` returns.
#[test]
fn shutdown_closes_idle_connections() {
    let mut server = Running::new(AIOServer::builder().workers(2), path_echo);
    let mut idle: Vec<Client> = (0..3)
        .map(|i| {
            let mut c = Client::connect(server.addr);
            let path = format!("/idle{i}");
            c.send(get(&path));
            assert_eq!(c.read_response().body_str(), path);
            c
        })
        .collect();
    let mut partial = Client::connect(server.addr);
    partial.send("GET /partial HTTP/1.1\r\nHo");
    let mut silent = Client::connect(server.addr);
    let t0 = Instant::now();
    server.handle.shutdown();
    for c in &mut idle {
        assert!(c.is_closed());
    }
    assert!(partial.is_closed());
    assert!(silent.is_closed());
    assert!(server.stopped_within(WAIT), "start() did not return");
    // The defaults are 10 s (header) and 60 s (idle): this was the shutdown.
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t0.elapsed()
    );
}

/// `shutdown_timeout(300ms)`: connections still under way when it passes are
/// dropped, but `start` also waits for the workers, so it returns only after
/// a handler that is still running has returned.
///
/// 1. `/block` holds a worker in the handler.
/// 2. Another connection is mid-body (the 100 Continue proves the server has
///    read its head), so the loop waits for it; its body timeout is 30 s.
/// 3. An idle keep-alive connection is closed by `shutdown` (when the drain
///    grace, 1 s, ends).
/// 4. The mid-body connection is dropped (EOF, no 408) at about 300 ms.
/// 5. `start` has not returned while the handler is blocked; once released,
///    the handler's response is still written, and `start` returns.
#[test]
fn shutdown_timeout_drops_connections_but_waits_for_running_handler() {
    let (gate, handler) = gated();
    let mut server = Running::new(
        AIOServer::builder().workers(2).shutdown_timeout(ms(300)),
        handler,
    );
    let mut blocked = Client::connect(server.addr);
    blocked.send(get("/block"));
    gate.entered.recv_timeout(WAIT).expect("handler not called");

    let mut mid_body = Client::connect(server.addr);
    mid_body.send(
        "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n",
    );
    assert_eq!(mid_body.read_response().status, 100);
    mid_body.send("12");

    let mut idle = Client::connect(server.addr);
    idle.send(get("/idle"));
    assert_eq!(idle.read_response().status, 200);

    let t0 = Instant::now();
    server.handle.shutdown();
    assert!(idle.is_closed());
    assert!(mid_body.is_closed(), "mid-body connection not dropped");
    let dropped_after = t0.elapsed();
    assert!(
        dropped_after >= ms(250) && dropped_after < ms(3000),
        "mid-body connection dropped after {dropped_after:?}, expected about 300 ms"
    );
    match server.stopped.try_recv() {
        Err(mpsc::TryRecvError::Empty) => {}
        other => panic!("start() returned while a handler was running: {other:?}"),
    }
    gate.release.send(()).unwrap();
    let r = blocked.read_response();
    assert_eq!((r.status, r.body_str()), (200, "released"));
    assert!(blocked.is_closed());
    assert!(
        server.stopped_within(WAIT),
        "start() did not return after the handler did"
    );
}

/// `shutdown` before `start`: `start` returns at once, and nothing listens.
#[test]
fn shutdown_before_start_returns_at_once() {
    let mut server = AIOServer::builder()
        .workers(2)
        .bind("127.0.0.1:0", path_echo)
        .unwrap();
    let addr = server.local_addr();
    let handle = server.handle();
    handle.shutdown();
    let (tx, rx) = mpsc::channel();
    let thread = thread::spawn(move || {
        let t0 = Instant::now();
        server.start();
        let first = t0.elapsed();
        server.start(); // a second call returns at once too
        tx.send(first).unwrap();
    });
    let took = rx.recv_timeout(WAIT).expect("start() did not return");
    thread.join().unwrap();
    assert!(took < Duration::from_secs(1), "start() took {took:?}");
    assert!(handle.is_shutdown());
    assert!(
        TcpStream::connect_timeout(&addr, WAIT).is_err(),
        "still listening"
    );
}

/// The `signals` feature: SIGINT makes the hello example stop gracefully,
/// print `stopped` and exit with success.
#[cfg(feature = "signals")]
#[test]
fn sigint_stops_the_hello_example() {
    let Some(hello) = example_bin("hello") else {
        eprintln!(
            "SKIPPED: examples/hello not built (run `cargo build --examples` or plain `cargo test`)"
        );
        return;
    };
    let (mut child, line, lines) =
        spawn_until_first_line(Command::new(hello).arg("0").env("RUST_LOG", "off"));
    let port: u16 = line
        .strip_prefix("listening on http://0.0.0.0:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let mut c = Client::connect(SocketAddr::from(([127, 0, 0, 1], port)));
    c.send(get("/"));
    let r = c.read_response();
    assert_eq!((r.status, r.body_str()), (200, "Hello"));

    let pid = child.0.id().to_string();
    let kill = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(kill.success());
    assert!(c.is_closed(), "idle connection not closed by the shutdown");

    let mut saw_stopped = false;
    for _ in 0..100 {
        match lines.recv_timeout(WAIT) {
            Ok(l) => saw_stopped |= l == "stopped",
            Err(RecvTimeoutError::Disconnected) => break, // stdout closed: exiting
            Err(RecvTimeoutError::Timeout) => panic!("hello did not stop"),
        }
    }
    assert!(saw_stopped, "hello did not print `stopped`");
    let mut status = None;
    for _ in 0..100 {
        status = child.0.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        thread::sleep(ms(50)); // polls the child's exit (at most 5 s)
    }
    let status = status.expect("hello did not exit within 5 s");
    assert!(status.success(), "hello exited with {status}");
}

/// A drain under load (both workers held by handlers, more connections
/// queued for a worker, idle keep-alive connections open):
///
/// 1. The idle keep-alive connections are closed first, while the handlers
///    still run.
/// 2. Every request the server has read is answered, pipelined ones
///    included: those read with the held request, and those of the
///    connections that were waiting for a worker.
/// 3. The last response on each connection says `Connection: close`, the
///    ones before it do not, and then the connection closes.
#[test]
fn drain_under_load_answers_what_it_has_read_and_closes_idle_first() {
    let (gate, handler) = gated();
    let mut server = Running::new(AIOServer::builder().workers(2), handler);
    let mut idle: Vec<Client> = (0..3)
        .map(|_| {
            let mut c = Client::connect(server.addr);
            c.send(get("/idle"));
            assert_eq!(c.read_response().status, 200);
            c
        })
        .collect();
    let mut pipelined = Client::connect(server.addr);
    pipelined.send(get("/block") + &get("/a1") + &get("/a2"));
    gate.entered.recv_timeout(WAIT).expect("handler not called");
    let mut single = Client::connect(server.addr);
    single.send(get("/block"));
    gate.entered.recv_timeout(WAIT).expect("handler not called");
    // Two: the loop parks once two jobs wait for a worker ("Backlog" in
    // src/server/event_loop/mod.rs), so the events of a third connection, if
    // they came in a later poll, would wait there for a deadline (10 s).
    let mut queued: Vec<Client> = (0..2)
        .map(|i| {
            let mut c = Client::connect(server.addr);
            c.send(get(&format!("/q{i}/1")) + &get(&format!("/q{i}/2")));
            c
        })
        .collect();
    // At least two: with two jobs waiting the loop parks until a worker is
    // free (event_loop/mod.rs, "Backlog"), so a third connection whose bytes
    // came in a later poll waits in the poller; the drain grace still reads
    // and answers it.
    let until = Instant::now() + WAIT;
    while server.handle.metrics().jobs_queued < 2 {
        assert!(Instant::now() < until, "connections not queued");
        thread::sleep(ms(5)); // polls the counter, bounded above
    }

    server.handle.shutdown();
    for c in &mut idle {
        assert!(c.is_closed(), "idle connection not closed first");
    }
    gate.release.send(()).unwrap();
    gate.release.send(()).unwrap();

    let expect = |c: &mut Client, bodies: &[&str]| {
        for (i, body) in bodies.iter().enumerate() {
            let r = c.read_response();
            assert_eq!((r.status, r.body_str()), (200, *body));
            let last = i + 1 == bodies.len();
            let close = r.header("connection") == Some("close");
            assert_eq!(close, last, "Connection: close on {body}: {r:?}");
        }
        assert!(c.is_closed());
    };
    expect(&mut pipelined, &["released", "/a1", "/a2"]);
    expect(&mut single, &["released"]);
    for (i, c) in queued.iter_mut().enumerate() {
        expect(c, &[&format!("/q{i}/1"), &format!("/q{i}/2")]);
    }
    assert!(server.stopped_within(WAIT), "start() did not return");
    let m = server.handle.metrics();
    assert_eq!(m.responses.success, 3 + 3 + 1 + 4);
    assert!(m.closes.shutdown >= 3, "{:?}", m.closes);
}
