//! Robustness: slow, silent, half-closed and misbehaving clients; the
//! connection cap; overload; running out of file descriptors.
//!
//! Every test configures short timeouts (300–500 ms) and then blocks on a
//! socket read that has a timeout. Sleeps only create slow clients; they never
//! wait for the server to reach a state. Every loop is bounded.

mod support;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use mini_async_http::{AIOServer, Request, Response, ResponseBuilder};
use support::{
    Client, IO_TIMEOUT, TestServer, example_bin, fd_soft_limit, get, ms, path_echo,
    spawn_until_first_line,
};

/// `/big` gets `body`; anything else its path.
fn big_or_path(body: Arc<Vec<u8>>) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        if req.path() == "/big" {
            ResponseBuilder::empty_200()
                .body(body.to_vec())
                .build()
                .unwrap()
        } else {
            path_echo(req)
        }
    }
}

/// A connected socket with 5 s timeouts.
fn raw(addr: SocketAddr) -> TcpStream {
    Client::connect(addr).stream
}

/// A connected socket whose receive buffer is `rcvbuf` bytes (which also
/// turns off receive-buffer autotuning), with 5 s timeouts.
fn small_window(addr: SocketAddr, rcvbuf: usize) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(rcvbuf).unwrap();
    socket
        .connect_timeout(&addr.into(), IO_TIMEOUT)
        .expect("connect");
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// How reading a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Eof,
    Reset,
    /// The socket's read timeout (or the overall bound) passed: still open.
    TimedOut,
}

/// Reads until the peer closes, the socket times out, or `limit` passes.
fn drain(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Ending) {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    while Instant::now() < deadline {
        match stream.read(&mut chunk) {
            Ok(0) => return (got, Ending::Eof),
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return (got, Ending::Reset),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return (got, Ending::TimedOut);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    (got, Ending::TimedOut)
}

fn starts_with_status_class(bytes: &[u8], classes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes.starts_with(b"HTTP/1.1 ") && classes.contains(&bytes[9])
}

/// A client trickles a head one byte per 100 ms. With one worker, another
/// client is answered while the slow head is still arriving, and the slow
/// client gets 408 (or is closed) at the 500 ms header timeout.
#[test]
fn slowloris_does_not_delay_others_and_is_cut_at_header_timeout() {
    let server = TestServer::with(
        AIOServer::builder().workers(1).header_timeout(ms(500)),
        path_echo,
    );
    // 70 bytes: 7 s at this pace, far beyond the header timeout.
    let head = format!(
        "GET /slow HTTP/1.1\r\nHost: test\r\nX-Pad: {}\r\n\r\n",
        "p".repeat(36)
    );
    let mut slow = raw(server.addr);
    // The read timeout paces the slow client (one byte per 100 ms) and
    // notices the server's answer as soon as it comes.
    slow.set_read_timeout(Some(ms(100))).unwrap();
    let t0 = Instant::now();
    let mut other_answered_at = None;
    let mut first = Vec::new();
    let mut cut_at = None;
    let mut sent = 0;
    for &byte in head.as_bytes() {
        if slow.write_all(&[byte]).is_err() {
            cut_at = Some(t0.elapsed());
            break;
        }
        sent += 1;
        if sent == 3 {
            let mut other = Client::connect(server.addr);
            other.send(get("/fast"));
            let r = other.read_response();
            assert_eq!((r.status, r.body_str()), (200, "/fast"));
            other_answered_at = Some(t0.elapsed());
        }
        let mut buf = [0u8; 1024];
        match slow.read(&mut buf) {
            Ok(n) => {
                first.extend_from_slice(&buf[..n]);
                cut_at = Some(t0.elapsed());
                break;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                cut_at = Some(t0.elapsed());
                break;
            }
        }
    }
    let cut_at = cut_at.expect("the slow client sent its whole head without being cut off");
    assert!(sent < head.len(), "the whole slow head was accepted");
    let other_answered_at = other_answered_at.expect("the other client was not tried");
    assert!(
        other_answered_at < cut_at,
        "the other client waited for the slow one"
    );
    assert!(
        cut_at >= ms(400) && cut_at <= ms(3000),
        "slow client cut off after {cut_at:?}, expected about 500 ms"
    );
    slow.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let (rest, ending) = drain(&mut slow, IO_TIMEOUT);
    first.extend_from_slice(&rest);
    assert_ne!(ending, Ending::TimedOut, "slow client not closed");
    assert!(
        first.is_empty() || first.starts_with(b"HTTP/1.1 408 "),
        "unexpected answer {:?}",
        String::from_utf8_lossy(&first)
    );
}

/// A client that connects and sends nothing is closed, silently, at the
/// header timeout.
#[test]
fn silent_client_is_closed_at_header_timeout() {
    let server = TestServer::with(AIOServer::builder().header_timeout(ms(500)), path_echo);
    let t0 = Instant::now();
    let mut silent = raw(server.addr);
    let (got, ending) = drain(&mut silent, IO_TIMEOUT);
    let took = t0.elapsed();
    assert_eq!(ending, Ending::Eof, "after {took:?}");
    assert!(
        got.is_empty(),
        "unexpected bytes {:?}",
        String::from_utf8_lossy(&got)
    );
    assert!(
        took >= ms(400) && took <= ms(3000),
        "closed after {took:?}, expected about 500 ms"
    );
}

/// An idle keep-alive connection is closed after the idle timeout, counted
/// from the end of the last response, and the responses announce it with
/// `Keep-Alive: timeout=N` in whole seconds.
#[test]
fn idle_keep_alive_connection_is_closed_after_idle_timeout() {
    let idle = ms(1000);
    let server = TestServer::with(AIOServer::builder().idle_timeout(idle), path_echo);
    let mut c = server.connect();
    for path in ["/one", "/two"] {
        c.send(get(path));
        let r = c.read_response();
        assert_eq!((r.status, r.body_str()), (200, path));
        let hint = r.header("keep-alive").expect("Keep-Alive header");
        let secs: u64 = hint
            .strip_prefix("timeout=")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("Keep-Alive: {hint}"));
        assert_eq!(Duration::from_secs(secs), idle, "hint {hint}");
    }
    let t0 = Instant::now();
    assert!(c.is_closed());
    let took = t0.elapsed();
    assert!(
        took >= ms(800) && took <= ms(1800),
        "closed after {took:?}, expected about 1 s"
    );
}

/// An idle timeout shorter than the header timeout still holds: the
/// connection goes back to the loop without a wake-up after its response,
/// while the loop waits for the (later) header deadline it scheduled at
/// accept; the worker wakes it because the idle deadline comes sooner.
#[test]
fn idle_timeout_shorter_than_header_timeout_is_on_time() {
    let builder = AIOServer::builder()
        .workers(1)
        .header_timeout(Duration::from_secs(30))
        .idle_timeout(ms(300));
    let server = TestServer::with(builder, path_echo);
    let mut c = server.connect();
    c.send(get("/one"));
    assert_eq!(c.read_response().status, 200);
    let t0 = Instant::now();
    assert!(c.is_closed());
    let took = t0.elapsed();
    assert!(
        took <= Duration::from_secs(10),
        "closed after {took:?}: the 300 ms idle deadline waited for the 30 s header deadline"
    );
}

/// A client asks for 16 MiB and never reads. Other clients are served
/// meanwhile (by the only worker), and the server closes the stuck connection
/// after the 500 ms write timeout: reading it later ends early, with EOF.
#[test]
fn client_that_never_reads_is_closed_after_write_timeout() {
    const BIG: usize = 16 << 20;
    let builder = AIOServer::builder()
        .workers(1)
        .write_timeout(ms(500))
        .idle_timeout(ms(1500));
    let server = TestServer::with(builder, big_or_path(Arc::new(vec![b'x'; BIG])));
    // A small receive window, so that the response cannot all fit in buffers.
    let mut stuck = small_window(server.addr, 16 * 1024);
    stuck.write_all(get("/big").as_bytes()).unwrap();
    // The response has started (peek does not consume, so no progress is made).
    let mut probe = [0u8; 9];
    let n = stuck.peek(&mut probe).unwrap();
    assert!(
        n > 0 && b"HTTP/1.1 "[..n] == probe[..n],
        "{:?}",
        &probe[..n]
    );

    let mut other = server.connect();
    for i in 0..5 {
        let path = format!("/other{i}");
        other.send(get(&path));
        let r = other.read_response();
        assert_eq!((r.status, r.body_str()), (200, path.as_str()));
    }
    // The server closes `other` 1.5 s after its last response; by then the
    // stuck connection's write deadline (500 ms after its last progress,
    // before `other`'s requests) has long passed.
    assert!(other.is_closed());

    let (got, ending) = drain(&mut stuck, Duration::from_secs(10));
    assert_ne!(
        ending,
        Ending::TimedOut,
        "stuck connection still open after {} bytes",
        got.len()
    );
    assert!(
        got.len() < BIG,
        "the whole response arrived ({} bytes)",
        got.len()
    );
    assert!(got.starts_with(b"HTTP/1.1 200 "));
}

/// An 8 MiB response to a client reading 32 KiB every 10 ms (at least
/// 2.6 s, longer than the 2 s write timeout) arrives complete; while it is
/// under way, another client is served by the only worker. The write
/// timeout counts from the last write the socket took, and with a send
/// buffer that autotunes to 4 MiB the kernel reports space only every
/// ~1.4 MiB drained (~0.45 s at this pace, more on a loaded machine), so the
/// timeout must stay well above that.
#[test]
fn large_response_to_slow_steady_reader_is_complete() {
    const SIZE: usize = 8 << 20;
    let body: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let body = Arc::new(body);
    let builder = AIOServer::builder().workers(1).write_timeout(ms(2000));
    let server = TestServer::with(builder, big_or_path(Arc::clone(&body)));
    let mut slow = small_window(server.addr, 64 * 1024);
    slow.write_all(get("/big").as_bytes()).unwrap();

    let mut got = Vec::with_capacity(SIZE + 1024);
    let mut chunk = vec![0u8; 32 * 1024];
    let mut other_served = false;
    let mut reads = 0;
    let head_len = loop {
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        reads += 1;
        assert!(reads < 1000, "no response head");
        let n = slow.read(&mut chunk).expect("read head");
        assert!(n > 0, "eof before the head");
        got.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&got[..head_len]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {SIZE}\r\n")),
        "{head}"
    );
    while got.len() < head_len + SIZE {
        reads += 1;
        assert!(reads < 100_000, "too many reads");
        let n = slow.read(&mut chunk).expect("read body");
        assert!(n > 0, "eof after {} body bytes", got.len() - head_len);
        got.extend_from_slice(&chunk[..n]);
        if !other_served && got.len() > head_len + (1 << 20) {
            // The slow reader pauses while another client is served: a worker
            // blocked writing to it would never answer.
            let mut other = server.connect();
            other.send(get("/other"));
            let r = other.read_response();
            assert_eq!((r.status, r.body_str()), (200, "/other"));
            other_served = true;
        }
        // Creates the slow reader.
        thread::sleep(ms(10));
    }
    assert!(other_served);
    assert_eq!(got.len(), head_len + SIZE, "bytes after the body");
    assert!(got[head_len..] == body[..], "body corrupted");
}

/// 1 000 connections open at once (fewer if the descriptor limit is low),
/// from 4 threads, each making 5 keep-alive requests: every answer correct.
#[test]
fn thousand_concurrent_keep_alive_connections() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 5;
    // This process holds both ends of every connection, plus some spare.
    let limit = fd_soft_limit().unwrap_or(1024);
    let wanted = 1000;
    let n = wanted.min(usize::try_from(limit.saturating_sub(128) / 2).unwrap_or(wanted));
    if n < wanted {
        eprintln!("descriptor soft limit {limit}: using {n} connections instead of {wanted}");
    }
    assert!(
        n >= THREADS * 10,
        "descriptor limit {limit} too low for this test"
    );
    let server = TestServer::with(AIOServer::builder().workers(4), path_echo);
    let addr = server.addr;
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            let count = n / THREADS + usize::from(t < n % THREADS);
            thread::spawn(move || {
                let mut clients: Vec<Client> = (0..count).map(|_| Client::connect(addr)).collect();
                barrier.wait(); // all connections are open now
                let mut answered = 0;
                for round in 0..ROUNDS {
                    for (i, c) in clients.iter_mut().enumerate() {
                        c.send(get(&format!("/t{t}/c{i}/r{round}")));
                    }
                    for (i, c) in clients.iter_mut().enumerate() {
                        let r = c.read_response();
                        assert_eq!(r.status, 200);
                        assert_eq!(r.body_str(), format!("/t{t}/c{i}/r{round}"));
                        assert_eq!(r.header("connection"), None, "keep-alive expected");
                        answered += 1;
                    }
                }
                answered
            })
        })
        .collect();
    let answered: usize = threads
        .into_iter()
        .map(|t| t.join().expect("client thread"))
        .sum();
    assert_eq!(answered, n * ROUNDS);
}

/// A client sends a whole request and then shuts down its write side: it
/// still gets the complete response, then EOF (not a wait for the 60 s idle
/// timeout).
#[test]
fn half_closed_client_gets_response_then_eof() {
    let server = TestServer::with(AIOServer::builder().workers(2), |req: &Request| {
        let mut body = req.path().as_bytes().to_vec();
        body.extend_from_slice(req.body());
        ResponseBuilder::empty_200().body(body).build().unwrap()
    });
    // Several rounds: the FIN may reach the server with the request or after it.
    for i in 0..20 {
        let mut c = server.connect();
        let path = format!("/half{i}");
        if i % 2 == 0 {
            c.send(get(&path));
        } else {
            c.send(format!(
                "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"
            ));
        }
        c.shutdown_write();
        let r = c.read_response();
        let expected = if i % 2 == 0 {
            path
        } else {
            format!("{path}hello")
        };
        assert_eq!((r.status, r.body_str()), (200, expected.as_str()));
        assert!(c.is_closed(), "round {i}");
    }
}

/// With `max_connections(4)`, a fifth connection waits in the listen backlog
/// unanswered while four are open, and is served once one of them closes.
#[test]
fn fifth_connection_waits_for_a_free_slot() {
    let server = TestServer::with(
        AIOServer::builder().workers(2).max_connections(4),
        path_echo,
    );
    let mut held: Vec<Client> = (0..4)
        .map(|i| {
            let mut c = server.connect();
            let path = format!("/held{i}");
            c.send(get(&path));
            assert_eq!(c.read_response().body_str(), path);
            c
        })
        .collect();
    let mut fifth = server.connect(); // the kernel completes it in the backlog
    fifth.send(get("/fifth"));
    fifth.stream.set_read_timeout(Some(ms(300))).unwrap();
    let mut byte = [0u8; 1];
    match fifth.stream.read(&mut byte) {
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) => {}
        other => panic!("fifth connection served while four were open: {other:?}"),
    }
    fifth.stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    drop(held.pop());
    let r = fifth.read_response();
    assert_eq!((r.status, r.body_str()), (200, "/fifth"));
    // The others are still served.
    for (i, c) in held.iter_mut().enumerate() {
        c.send(get("/again"));
        assert_eq!(c.read_response().body_str(), "/again", "held {i}");
    }
}

/// xorshift64*: a seeded generator, enough for garbage.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 56) as u8).collect()
    }
}

/// 50 connections send random bytes (seeded): each gets a 4xx/5xx or is
/// closed within bounds (at worst the 500 ms header timeout), never hangs,
/// while a well-behaved client keeps getting 200s
/// before, during and after.
#[test]
fn garbage_clients_are_rejected_and_do_not_disturb_others() {
    const THREADS: u64 = 5;
    const PER_THREAD: u64 = 10;
    let server = TestServer::with(
        AIOServer::builder().workers(2).header_timeout(ms(500)),
        path_echo,
    );
    let mut good = server.connect();
    let mut ask = |n: usize| {
        let path = format!("/good{n}");
        good.send(get(&path));
        let r = good.read_response();
        assert_eq!((r.status, r.body_str()), (200, path.as_str()));
    };
    ask(0);
    let addr = server.addr;
    let garbage: Vec<_> = (0..THREADS)
        .map(|t| {
            thread::spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t + 1));
                for i in 0..PER_THREAD {
                    // Mostly short random bytes; every tenth far above the
                    // 64 KiB head limit; every fifth a request line that never
                    // ends (printable bytes, no line end: only the header
                    // timeout can end it).
                    let payload = if i % 10 == 9 {
                        rng.bytes(70_000)
                    } else if i % 5 == 2 {
                        let mut p = b"GET /".to_vec();
                        let n = 1 + (rng.next() % 200) as usize;
                        p.extend((0..n).map(|_| b'!' + (rng.next() % 94) as u8));
                        p
                    } else {
                        let n = 1 + (rng.next() % 3000) as usize;
                        rng.bytes(n)
                    };
                    let len = payload.len();
                    let mut s = raw(addr);
                    let t0 = Instant::now();
                    // The server may answer and stop reading before all is sent.
                    let _ = s.write_all(&payload);
                    let (got, ending) = drain(&mut s, IO_TIMEOUT);
                    let took = t0.elapsed();
                    assert_ne!(
                        ending,
                        Ending::TimedOut,
                        "thread {t} garbage {i} ({len} bytes) hung"
                    );
                    assert!(took < ms(3000), "thread {t} garbage {i} took {took:?}");
                    assert!(
                        got.is_empty() || starts_with_status_class(&got, b"45"),
                        "thread {t} garbage {i}: {:?}",
                        String::from_utf8_lossy(&got[..got.len().min(80)])
                    );
                }
            })
        })
        .collect();
    let mut during = 0;
    loop {
        during += 1;
        ask(during);
        if garbage.iter().all(thread::JoinHandle::is_finished) || during >= 20_000 {
            break;
        }
    }
    for t in garbage {
        t.join().expect("garbage thread");
    }
    ask(during + 1);
}

/// A request body over the limit from a client that ignores the 413 and
/// keeps sending: the client reads the whole 413 and then a clean EOF, not a
/// reset (lingering close: the server half-closes and drains the input).
#[test]
fn oversized_body_sender_reads_413_before_close() {
    let builder = AIOServer::builder().workers(1).max_body_bytes(1024);
    let server = TestServer::with(builder, path_echo);
    let mut c = server.connect();
    let mut writer = c.stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        let head = "POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 8388608\r\n\r\n";
        if writer.write_all(head.as_bytes()).is_err() {
            return 0;
        }
        let chunk = vec![b'u'; 16 * 1024];
        let mut sent = 0;
        while sent < 8 << 20 {
            if writer.write_all(&chunk).is_err() {
                break; // the server has finished lingering
            }
            sent += chunk.len();
        }
        sent
    });
    let r = c.read_response();
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    let (rest, ending) = drain(&mut c.stream, IO_TIMEOUT);
    assert!(
        rest.is_empty(),
        "bytes after the 413: {:?}",
        String::from_utf8_lossy(&rest)
    );
    assert_eq!(ending, Ending::Eof, "expected a clean close after the 413");
    drop(c);
    let sent = sender.join().expect("sender");
    assert!(sent > 0, "nothing of the body was sent");
}

/// The server closed the connection (EOF or reset).
fn closed(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
    )
}

/// Out of file descriptors: the echo example under `ulimit -n 32` with 60
/// connections held open. Those beyond the limit get 503 or are closed at
/// once; the server stays up, and serves again once they are gone.
#[test]
fn out_of_descriptors_sheds_connections_and_recovers() {
    const HOLD: usize = 60;
    let Some(echo) = example_bin("echo") else {
        eprintln!(
            "SKIPPED: examples/echo not built (run `cargo build --examples` or plain `cargo test`)"
        );
        return;
    };
    let (mut child, line, _lines) = spawn_until_first_line(
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 32; exec \"$0\" 0")
            .arg(&echo),
    );
    let addr: SocketAddr = line
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));

    let mut conns: Vec<Client> = (0..HOLD).map(|_| Client::connect(addr)).collect();
    let (mut served, mut shed) = (Vec::new(), 0);
    for (i, mut c) in conns.drain(..).enumerate() {
        let path = format!("/held{i}");
        if c.stream.write_all(get(&path).as_bytes()).is_err() {
            shed += 1;
            continue;
        }
        match c.try_read_response_to("GET") {
            Ok(r) if r.status == 200 => {
                assert_eq!(r.header("x-echo-path"), Some(path.as_str()));
                served.push(c);
            }
            Ok(r) if r.status == 503 => shed += 1,
            Ok(r) => panic!("connection {i}: unexpected status {}", r.status),
            Err(e) if closed(&e) => shed += 1,
            Err(e) => panic!("connection {i} hung or failed: {e}"),
        }
    }
    assert!(!served.is_empty(), "no connection served");
    assert!(
        served.len() < 32,
        "{} connections served under a limit of 32",
        served.len()
    );
    assert_eq!(served.len() + shed, HOLD);
    assert!(child.0.try_wait().unwrap().is_none(), "echo died");

    // Close the served ones; the server's EOF tells that it closed its end.
    for mut c in served {
        c.shutdown_write();
        assert!(c.is_closed());
    }
    let mut fresh = Client::connect(addr);
    fresh.send(get("/fresh"));
    let r = fresh.read_response();
    assert_eq!((r.status, r.header("x-echo-path")), (200, Some("/fresh")));
    assert!(child.0.try_wait().unwrap().is_none(), "echo died");
}
