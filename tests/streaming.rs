//! Response bodies that are not in memory, over real sockets: files and
//! ranges of them, readers of known and unknown length (chunked, and
//! close-delimited for HTTP/1.0), channels written over time, `HEAD` that
//! reads nothing, pipelining behind a streamed body, sources that fail, and
//! a slow reader that must not hold the only worker. The memory bound of a
//! large download is in `tests/streaming_memory.rs` (its own process, so
//! that no other test's allocations count).

mod support;

use std::io::{self, Cursor, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mini_async_http::{
    AIOServer, Body, BodySender, Request, Response, ResponseBuilder, TrySendError,
};
use support::{IO_TIMEOUT, TempFile, TestServer, pattern};

const WAIT: Duration = Duration::from_secs(10);

fn ok(body: Body) -> Response {
    ResponseBuilder::empty_200().body(body).build().unwrap()
}

/// A raw client with its own small parser (Content-Length, chunked, or to
/// the end of the connection), every read under a timeout.
struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

impl Wire {
    fn connect(addr: SocketAddr) -> Wire {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        Wire {
            stream,
            buf: Vec::new(),
        }
    }

    fn send(&mut self, bytes: &str) {
        self.stream.write_all(bytes.as_bytes()).expect("write");
    }

    /// Reads more; `false` at the end of the connection (or a reset).
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16384];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => false,
            Err(e) => panic!("read: {e}"),
        }
    }

    fn head(&mut self) -> Reply {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            assert!(self.fill(), "connection closed before a response head");
        };
        let head = String::from_utf8(self.buf.drain(..end).collect()).expect("ascii head");
        let status = head[9..12].parse().expect("status");
        Reply {
            status,
            head,
            body: Vec::new(),
        }
    }

    /// One line of a chunked body (without its CRLF).
    fn line(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8(self.buf.drain(..i + 2).collect()).unwrap();
                return Some(line.trim_end().to_owned());
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// `n` bytes, or fewer if the connection ends first.
    fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n && self.fill() {}
        let n = n.min(self.buf.len());
        self.buf.drain(..n).collect()
    }

    /// The next chunk's data; `None` for the last chunk, `Err` if the
    /// connection ended inside the body.
    fn chunk(&mut self) -> Result<Option<Vec<u8>>, &'static str> {
        let line = self.line().ok_or("eof before a chunk line")?;
        let size = usize::from_str_radix(&line, 16).expect("hex chunk size");
        if size == 0 {
            return match self.line() {
                Some(empty) if empty.is_empty() => Ok(None),
                _ => Err("no CRLF after the last chunk"),
            };
        }
        let data = self.take(size + 2);
        if data.len() < size + 2 {
            return Err("eof inside a chunk");
        }
        assert_eq!(&data[size..], b"\r\n");
        Ok(Some(data[..size].to_vec()))
    }

    /// A whole response to a request with `method`, read as its head says.
    fn response(&mut self, method: &str) -> Reply {
        let mut reply = self.head();
        if method == "HEAD" || matches!(reply.status, 204 | 304) {
            return reply;
        }
        if let Some(len) = reply.header("content-length") {
            let len: usize = len.parse().unwrap();
            reply.body = self.take(len);
            assert_eq!(reply.body.len(), len, "body cut short");
        } else if reply.header("transfer-encoding") == Some("chunked") {
            while let Some(data) = self.chunk().expect("complete chunked body") {
                reply.body.extend_from_slice(&data);
            }
        } else {
            while self.fill() {}
            reply.body = std::mem::take(&mut self.buf);
        }
        reply
    }

    /// Reads until the server closes; what came.
    fn rest(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + WAIT;
        while self.fill() {
            assert!(Instant::now() < deadline, "connection not closed");
        }
        std::mem::take(&mut self.buf)
    }
}

/// A reader that counts its reads and gives `data`, then fails if `fail`.
struct Probe {
    data: Cursor<Vec<u8>>,
    reads: Arc<AtomicUsize>,
    fail: bool,
}

impl Read for Probe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        match self.data.read(buf)? {
            0 if self.fail => Err(io::Error::other("disk on fire")),
            n => Ok(n),
        }
    }
}

fn probe(data: Vec<u8>, fail: bool) -> (Probe, Arc<AtomicUsize>) {
    let reads = Arc::new(AtomicUsize::new(0));
    let probe = Probe {
        data: Cursor::new(data),
        reads: Arc::clone(&reads),
        fail,
    };
    (probe, reads)
}

#[test]
fn file_body_and_a_range_of_one() {
    let data = pattern(3 * 1024 * 1024 + 17);
    let file = Arc::new(TempFile::with("file.bin", &data));
    let handed = Arc::clone(&file);
    let server = TestServer::start(2, move |req: &Request| {
        let len = handed.open().metadata().unwrap().len();
        match req.path() {
            "/whole" => ok(Body::file(handed.open(), 0, len)),
            _ => ok(Body::file(handed.open(), 1000, 70_000)),
        }
    });
    let mut wire = Wire::connect(server.addr);
    wire.send("GET /whole HTTP/1.1\r\nHost: x\r\n\r\nGET /range HTTP/1.1\r\nHost: x\r\n\r\n");
    let whole = wire.response("GET");
    assert_eq!(whole.header("content-length"), Some("3145745"));
    assert!(whole.body == data, "whole file");
    let range = wire.response("GET");
    assert_eq!(range.header("content-length"), Some("70000"));
    assert!(range.body == data[1000..71_000], "range");
    // HTTP/1.0 gets a length too, and keeps the connection if asked to.
    wire.send("GET /range HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let range = wire.response("GET");
    assert_eq!(range.header("connection"), Some("keep-alive"));
    assert!(range.body == data[1000..71_000]);
}

#[test]
fn readers_of_known_and_unknown_length() {
    let data = pattern(200_000);
    let handed = data.clone();
    let server = TestServer::start(2, move |req: &Request| {
        let known = req.path() == "/known";
        let len = known.then_some(handed.len() as u64);
        ok(Body::reader(Cursor::new(handed.clone()), len))
    });
    let mut wire = Wire::connect(server.addr);
    wire.send("GET /known HTTP/1.1\r\nHost: x\r\n\r\n");
    let known = wire.response("GET");
    assert_eq!(known.header("content-length"), Some("200000"));
    assert_eq!(known.header("transfer-encoding"), None);
    assert!(known.body == data);

    wire.send("GET /unknown HTTP/1.1\r\nHost: x\r\n\r\n");
    let chunked = wire.response("GET");
    assert_eq!(chunked.header("transfer-encoding"), Some("chunked"));
    assert_eq!(chunked.header("content-length"), None);
    assert!(chunked.body == data, "chunked body");

    // HTTP/1.0 has no chunked coding: the body ends with the connection.
    wire.send("GET /unknown HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let head = wire.head();
    assert_eq!(head.header("connection"), Some("close"));
    assert_eq!(head.header("content-length"), None);
    assert_eq!(head.header("transfer-encoding"), None);
    assert!(wire.rest() == data, "close-delimited body");
}

#[test]
fn head_reads_nothing_from_the_source() {
    let reads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&reads);
    let (tx_senders, rx_senders) = mpsc::channel::<BodySender>();
    let tx_senders = Mutex::new(tx_senders);
    let server = TestServer::start(1, move |req: &Request| match req.path() {
        "/channel" => {
            let (tx, body) = Body::channel(1);
            tx_senders.lock().unwrap().send(tx).unwrap();
            ok(body)
        }
        path => {
            let (reader, count) = probe(pattern(100), false);
            seen.lock().unwrap().push(count);
            let len = (path == "/known").then_some(100);
            ok(Body::reader(reader, len))
        }
    });
    let mut wire = Wire::connect(server.addr);
    wire.send("HEAD /known HTTP/1.1\r\nHost: x\r\n\r\n");
    let known = wire.response("HEAD");
    assert_eq!(known.header("content-length"), Some("100"));
    wire.send("HEAD /unknown HTTP/1.1\r\nHost: x\r\n\r\n");
    let unknown = wire.response("HEAD");
    assert_eq!(unknown.header("transfer-encoding"), Some("chunked"));
    wire.send("HEAD /unknown HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let old = wire.response("HEAD");
    assert_eq!(old.header("connection"), Some("keep-alive"), "{}", old.head);
    // A channel's producer is told at once that nothing will be sent.
    wire.send("HEAD /channel HTTP/1.1\r\nHost: x\r\n\r\n");
    wire.response("HEAD");
    let tx = rx_senders.recv_timeout(WAIT).unwrap();
    assert!(tx.send("x").is_err());
    // Nothing was sent as a body: the connection goes on.
    wire.send("GET /known HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(wire.response("GET").body == pattern(100));
    let reads = reads.lock().unwrap();
    let counts: Vec<usize> = reads.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    assert_eq!(counts[..3], [0, 0, 0], "HEAD read the source");
    assert!(counts[3] > 0);
}

/// A server whose `/events` answers with a channel body and hands the test
/// its sender; other paths echo.
fn events_server(workers: usize) -> (TestServer, mpsc::Receiver<BodySender>) {
    let (senders, rx) = mpsc::channel::<BodySender>();
    let senders = Mutex::new(senders);
    let server = TestServer::start(workers, move |req: &Request| {
        if req.path() != "/events" {
            return support::path_echo(req);
        }
        let (tx, body) = Body::channel(2);
        senders.lock().unwrap().send(tx).unwrap();
        ResponseBuilder::empty_200()
            .content_type("text/event-stream")
            .header("X-Accel-Buffering", "no")
            .body(body)
            .build()
            .unwrap()
    });
    (server, rx)
}

#[test]
fn channel_events_arrive_as_they_are_sent() {
    let (server, senders) = events_server(1);
    let mut wire = Wire::connect(server.addr);
    wire.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    let tx = senders.recv_timeout(WAIT).expect("handler called");
    let head = wire.head();
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    assert_eq!(head.header("x-accel-buffering"), Some("no"));
    for i in 0..3 {
        // The stream is idle (no worker held): another client is handed.
        let mut other = Wire::connect(server.addr);
        other.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(other.response("GET").body, b"/other");
        let event = format!("data: event {i}\n\n");
        tx.send(event.clone()).unwrap();
        assert_eq!(wire.chunk().unwrap(), Some(event.into_bytes()));
    }
    // The client goes away: the producer is told, without sending first.
    drop(wire);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Err(TrySendError::Disconnected(_)) = tx.try_send("data: ping\n\n") {
            break;
        }
        assert!(Instant::now() < deadline, "the producer was never told");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(tx.send("data: late\n\n").is_err());
}

#[test]
fn dropping_the_sender_ends_the_body_and_the_connection_goes_on() {
    let (server, senders) = events_server(1);
    let mut wire = Wire::connect(server.addr);
    wire.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    let tx = senders.recv_timeout(WAIT).expect("handler called");
    assert_eq!(wire.head().status, 200);
    tx.send("one").unwrap();
    assert_eq!(wire.chunk().unwrap(), Some(b"one".to_vec()));
    tx.send("").unwrap(); // skipped: an empty chunk would end the body
    tx.send("two").unwrap();
    drop(tx);
    assert_eq!(wire.chunk().unwrap(), Some(b"two".to_vec()));
    assert_eq!(wire.chunk().unwrap(), None, "the last chunk");
    // The request pipelined behind the stream is answered after it.
    assert_eq!(wire.response("GET").body, b"/after");
}

#[test]
fn a_slow_reader_of_a_large_file_does_not_hold_the_only_worker() {
    let data = pattern(32 * 1024 * 1024);
    let file = Arc::new(TempFile::with("slow.bin", &data));
    let handed = Arc::clone(&file);
    let server = TestServer::start(1, move |req: &Request| {
        if req.path() == "/big" {
            let len = handed.open().metadata().unwrap().len();
            return ok(Body::file(handed.open(), 0, len));
        }
        support::path_echo(req)
    });
    let mut slow = Wire::connect(server.addr);
    slow.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    let head = slow.head();
    assert_eq!(head.header("content-length"), Some("33554432"));
    // The slow client reads nothing for now; the one worker still answers.
    for i in 0..5 {
        let mut other = Wire::connect(server.addr);
        let path = format!("/quick{i}");
        other.send(&format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert_eq!(other.response("GET").body, path.as_bytes());
    }
    let body = slow.take(data.len());
    assert!(body == data, "the whole file, in order");
}

#[test]
fn pipelined_requests_behind_streamed_bodies_are_answered_in_order() {
    let data = pattern(150_000);
    let file = Arc::new(TempFile::with("pipe.bin", &data));
    let handed = Arc::clone(&file);
    let bytes = data.clone();
    let server = TestServer::start(2, move |req: &Request| match req.path() {
        "/file" => ok(Body::file(handed.open(), 10, 100_000)),
        "/chunked" => ok(Body::reader(Cursor::new(bytes.clone()), None)),
        "/reader" => ok(Body::reader(Cursor::new(bytes.clone()), Some(5))),
        "/large" => ok(Body::from(bytes.clone())),
        _ => support::path_echo(req),
    });
    let mut wire = Wire::connect(server.addr);
    let paths = [
        "/chunked", "/a", "/file", "/reader", "/large", "/b", "/chunked",
    ];
    let mut burst = paths.join(" HTTP/1.1\r\nHost: x\r\n\r\nGET ");
    burst.insert_str(0, "GET ");
    burst.push_str(" HTTP/1.1\r\nHost: x\r\n\r\n");
    burst.push_str("HEAD /file HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n");
    wire.send(&burst);
    for path in paths {
        let reply = wire.response("GET");
        let want: &[u8] = match path {
            "/chunked" | "/large" => &data,
            "/file" => &data[10..100_010],
            "/reader" => &data[..5],
            _ => path.as_bytes(),
        };
        assert!(reply.body == want, "{path}");
    }
    assert_eq!(
        wire.response("HEAD").header("content-length"),
        Some("100000")
    );
    assert_eq!(wire.response("GET").body, b"/c");
}

#[test]
fn a_failing_reader_closes_its_connection_and_no_other() {
    let server = TestServer::start(1, move |req: &Request| {
        let (reader, _) = probe(pattern(100_000), true);
        match req.path() {
            "/known" => ok(Body::reader(reader, Some(1_000_000))),
            "/unknown" => ok(Body::reader(reader, None)),
            _ => support::path_echo(req),
        }
    });
    // Known length: fewer bytes than announced, then the end; never padded.
    let mut wire = Wire::connect(server.addr);
    wire.send("GET /known HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(wire.head().header("content-length"), Some("1000000"));
    let rest = wire.rest();
    assert!(rest == pattern(100_000), "{} bytes", rest.len());

    // Unknown length: the chunks so far, no last chunk, the end.
    let mut wire = Wire::connect(server.addr);
    wire.send("GET /unknown HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(wire.head().header("transfer-encoding"), Some("chunked"));
    let mut body = Vec::new();
    let end = loop {
        match wire.chunk() {
            Ok(Some(data)) => body.extend_from_slice(&data),
            Ok(None) => panic!("a failed body got its last chunk"),
            Err(e) => break e,
        }
    };
    assert_eq!(end, "eof before a chunk line");
    assert!(body == pattern(100_000));

    // Other connections are unaffected.
    let mut other = Wire::connect(server.addr);
    other.send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(other.response("GET").body, b"/fine");
}

#[test]
fn a_file_that_shrinks_while_sent_is_cut_off_not_padded() {
    const LEN: usize = 32 * 1024 * 1024;
    const SHRUNK: u64 = 8 * 1024 * 1024;
    let data = pattern(LEN);
    let file = Arc::new(TempFile::with("shrink.bin", &data));
    let handed = Arc::clone(&file);
    let server = TestServer::start(1, move |_: &Request| {
        ok(Body::file(handed.open(), 0, LEN as u64))
    });
    // A small receive buffer, so that little is in flight when the file shrinks.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    socket
        .connect_timeout(&server.addr.into(), IO_TIMEOUT)
        .unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut wire = Wire {
        stream,
        buf: Vec::new(),
    };
    wire.send("GET /f HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(wire.head().header("content-length"), Some("33554432"));
    let first = wire.take(1);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&file.0)
        .unwrap()
        .set_len(SHRUNK)
        .unwrap();
    let mut body = first;
    body.extend_from_slice(&wire.rest());
    assert!(body.len() < LEN, "closed before the announced length");
    assert!(body.len() as u64 >= SHRUNK.min(4 * 1024 * 1024));
    assert!(
        body == data[..body.len()],
        "only the file's bytes, never padding"
    );
}

#[test]
fn a_reader_or_channel_body_is_sent_once() {
    let (tx, channel) = Body::channel(1);
    let shared = Mutex::new(Some((
        Body::reader(Cursor::new(b"once".to_vec()), Some(4)),
        channel,
    )));
    let bodies = Mutex::new(Vec::new());
    let server = TestServer::start(1, move |req: &Request| {
        let mut bodies = bodies.lock().unwrap();
        if let Some((reader, channel)) = shared.lock().unwrap().take() {
            bodies.push(reader);
            bodies.push(channel);
        }
        let body = if req.path() == "/reader" {
            &bodies[0]
        } else {
            &bodies[1]
        };
        ok(body.clone())
    });
    let mut wire = Wire::connect(server.addr);
    wire.send("GET /reader HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(wire.response("GET").body, b"once");
    wire.send("GET /reader HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(
        wire.response("GET").status,
        500,
        "a second send of the same reader"
    );
    wire.send("GET /channel HTTP/1.1\r\nHost: x\r\n\r\nGET /channel HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(wire.head().header("transfer-encoding"), Some("chunked"));
    drop(tx);
    assert_eq!(wire.chunk().unwrap(), None);
    assert_eq!(
        wire.response("GET").status,
        500,
        "a second send of the same channel"
    );
}

#[test]
fn no_content_and_not_modified_refuse_a_streamed_body() {
    for status in [204, 304] {
        let built = ResponseBuilder::new()
            .status(status)
            .body(Body::reader(io::empty(), None))
            .build();
        assert!(built.is_err(), "{status}");
    }
    let (_tx, body) = Body::channel(1);
    assert!(
        ResponseBuilder::new()
            .status(304)
            .body(body)
            .build()
            .is_err()
    );
}

#[test]
fn producer_timeout_closes_a_quiet_channel() {
    let (senders, rx) = mpsc::channel::<BodySender>();
    let senders = Mutex::new(senders);
    let server = AIOServer::builder()
        .workers(1)
        .producer_timeout(Duration::from_millis(200))
        .bind("127.0.0.1:0", move |_: &Request| {
            let (tx, body) = Body::channel(1);
            senders.lock().unwrap().send(tx).unwrap();
            ok(body)
        })
        .unwrap();
    let server = TestServer::run(server);
    let mut wire = Wire::connect(server.addr);
    wire.send("GET /quiet HTTP/1.1\r\nHost: x\r\n\r\n");
    let tx = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(wire.head().status, 200);
    tx.send("data: one\n\n").unwrap();
    assert_eq!(wire.chunk().unwrap(), Some(b"data: one\n\n".to_vec()));
    // Then nothing: the connection is closed, without a last chunk.
    assert!(wire.chunk().is_err());
    let deadline = Instant::now() + WAIT;
    while tx.send("data: late\n\n").is_ok() {
        assert!(Instant::now() < deadline, "the producer was never told");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn shutdown_ends_a_waiting_channel_at_its_timeout() {
    let (senders, rx) = mpsc::channel::<BodySender>();
    let senders = Mutex::new(senders);
    let server = AIOServer::builder()
        .workers(1)
        .shutdown_timeout(Duration::from_millis(300))
        .bind("127.0.0.1:0", move |_: &Request| {
            let (tx, body) = Body::channel(1);
            senders.lock().unwrap().send(tx).unwrap();
            ok(body)
        })
        .unwrap();
    let server = TestServer::run(server);
    let mut wire = Wire::connect(server.addr);
    wire.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    let tx = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(wire.head().status, 200);
    // Joins the server thread: returns once the waiting stream is dropped.
    server.stop();
    assert!(tx.send("data: late\n\n").is_err());
    assert!(wire.chunk().is_err(), "cut off, without a last chunk");
}
