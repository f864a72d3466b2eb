//! Shared test helpers: a server on 127.0.0.1:0 that shuts down on drop, and
//! a raw client whose every socket has a timeout.
#![allow(dead_code)]

pub mod spool;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mini_async_http::{AIOServer, Request, Response, ResponseBuilder, ServerBuilder, ServerHandle};

/// Timeout of every test socket operation.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Answers every request with its path.
pub fn path_echo(req: &Request) -> Response {
    ResponseBuilder::empty_200()
        .body(req.path())
        .build()
        .unwrap()
}

/// A running server; dropping it shuts it down and joins its thread.
pub struct TestServer {
    pub addr: SocketAddr,
    pub handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// A server with default settings and `workers` workers.
    pub fn start<F>(workers: usize, handler: F) -> TestServer
    where
        F: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        TestServer::with(AIOServer::builder().workers(workers), handler)
    }

    /// A server from a builder.
    pub fn with<F>(builder: ServerBuilder, handler: F) -> TestServer
    where
        F: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        TestServer::run(
            builder
                .bind("127.0.0.1:0", handler)
                .expect("bind 127.0.0.1:0"),
        )
    }

    /// Shuts down and waits for `start` to return.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            t.join().expect("server thread panicked");
        }
    }

    /// A connected raw client.
    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// A response read off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    pub status: u16,
    pub reason: String,
    /// `(name, value)` in order, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_str(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }
}

/// A raw TCP client with timeouts and a read buffer, reading responses with
/// a small independent parser (not the server's).
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).expect("write");
    }

    /// Sends bytes one at a time (each its own write).
    pub fn send_bytewise(&mut self, bytes: impl AsRef<[u8]>) {
        for b in bytes.as_ref() {
            self.stream.write_all(&[*b]).expect("write");
            self.stream.flush().unwrap();
        }
    }

    pub fn shutdown_write(&mut self) {
        self.stream.shutdown(Shutdown::Write).expect("shutdown");
    }

    /// Reads more bytes into the buffer; `Ok(0)` at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16384];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Reads one response to a request with `method` (HEAD responses have no body).
    pub fn read_response_to(&mut self, method: &str) -> RawResponse {
        self.try_read_response_to(method).unwrap_or_else(|e| {
            panic!(
                "reading response: {e}; buffered: {:?}",
                String::from_utf8_lossy(&self.buf)
            )
        })
    }

    pub fn read_response(&mut self) -> RawResponse {
        self.read_response_to("GET")
    }

    pub fn try_read_response_to(&mut self, method: &str) -> io::Result<RawResponse> {
        let deadline = Instant::now() + IO_TIMEOUT;
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no response head"));
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "eof before response head",
                ));
            }
        };
        let head = String::from_utf8(self.buf[..head_end - 4].to_vec()).expect("ascii head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(
            parts.next(),
            Some("HTTP/1.1"),
            "status line {status_line:?}"
        );
        let status: u16 = parts.next().unwrap().parse().unwrap();
        let reason = parts.next().unwrap_or("").to_owned();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("field line");
                (n.to_owned(), v.trim().to_owned())
            })
            .collect();
        self.buf.drain(..head_end);
        let resp = RawResponse {
            status,
            reason,
            headers,
            body: Vec::new(),
        };
        let len = if method == "HEAD" || status < 200 || status == 204 || status == 304 {
            0
        } else {
            resp.header("content-length")
                .expect("Content-Length")
                .parse()
                .unwrap()
        };
        while self.buf.len() < len {
            if Instant::now() > deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "body"));
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof in body"));
            }
        }
        let body = self.buf.drain(..len).collect();
        Ok(RawResponse { body, ..resp })
    }

    /// True if the server closed the connection (EOF or reset) with nothing
    /// more to read; panics if more bytes arrive.
    pub fn is_closed(&mut self) -> bool {
        assert!(
            self.buf.is_empty(),
            "unexpected bytes: {:?}",
            String::from_utf8_lossy(&self.buf)
        );
        match self.fill() {
            Ok(0) => true,
            Ok(_) => panic!("unexpected bytes: {:?}", String::from_utf8_lossy(&self.buf)),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => true,
            Err(e) => panic!("connection still open: {e}"),
        }
    }

    /// Everything until the server closes.
    pub fn read_to_end(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + IO_TIMEOUT;
        while Instant::now() < deadline {
            match self.fill() {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("read_to_end: {e}"),
            }
        }
        std::mem::take(&mut self.buf)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A body of `n` bytes that shows where each byte came from.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// `GET path` with `Host`.
pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}

impl TestServer {
    /// Runs an already bound server (from `AIOServer::new`, `AIOServer::bind`
    /// or a builder) on its own thread; dropping the result shuts it down.
    pub fn run(mut server: AIOServer) -> TestServer {
        let addr = server.local_addr();
        let handle = server.handle();
        let thread = std::thread::spawn(move || server.start());
        TestServer {
            addr,
            handle,
            thread: Some(thread),
        }
    }
}

impl Client {
    /// The local address of the client's socket (what the server sees as the peer).
    pub fn local_addr(&self) -> SocketAddr {
        self.stream.local_addr().expect("local_addr")
    }
}

// ---- Helpers for tests/robustness.rs and tests/shutdown.rs ----

/// The soft limit on open file descriptors of this process, from
/// `/proc/self/limits` (`None` if it cannot be read or is unlimited).
pub fn fd_soft_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The binary of example `name` of the current profile
/// (`target/<profile>/examples/<name>`), found from the test binary's path
/// (`target/<profile>/deps/<test>-<hash>`). `None` if it has not been built
/// (`cargo test` builds the examples; `cargo test --test X` alone does not).
pub fn example_bin(name: &str) -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir.join("examples").join(name);
    bin.is_file().then_some(bin)
}

/// A child process that is killed and reaped when dropped.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `command` with its stdout piped and waits (at most 10 s) for the
/// first line it prints, e.g. an example's `listening on …`. Returns the
/// child, that line, and the channel of the lines after it.
pub fn spawn_until_first_line(
    command: &mut std::process::Command,
) -> (ChildGuard, String, std::sync::mpsc::Receiver<String>) {
    use std::process::Stdio;
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child process");
    let mut child = ChildGuard(child);
    let lines = line_reader(child.0.stdout.take().expect("piped stdout"));
    let first = lines
        .recv_timeout(Duration::from_secs(10))
        .expect("child printed nothing within 10 s");
    (child, first, lines)
}

/// Reads lines of `source` on a thread and sends them to the returned
/// channel, which disconnects at end of input (so a test can wait for a line
/// with `recv_timeout` instead of blocking on a pipe).
pub fn line_reader<R: Read + Send + 'static>(source: R) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in io::BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

// ---- Helpers for tests/router_example.rs and tests/todo_example.rs ----

/// Runs example `name` with the argument `0` (a free port on 127.0.0.1)
/// and reads the address from its first line, `listening on ADDR`; the
/// child is killed when the guard is dropped. `None` (the test then skips)
/// if the example has not been built, except under CI (`CI` set), whose
/// plain `cargo test` builds every example: there it panics.
pub fn spawn_example(name: &str) -> Option<(ChildGuard, SocketAddr)> {
    let Some(bin) = example_bin(name) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "examples/{name} is not built, but `cargo test` builds it"
        );
        eprintln!(
            "SKIPPED: examples/{name} not built (run `cargo build --examples` or plain `cargo test`)"
        );
        return None;
    };
    let (child, line, _lines) = spawn_until_first_line(
        std::process::Command::new(bin)
            .arg("0")
            .env("RUST_LOG", "off"),
    );
    let addr = line
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("examples/{name}: unexpected first line {line:?}"));
    Some((child, addr))
}

/// A temporary file, removed on drop.
pub struct TempFile(pub std::path::PathBuf);

impl TempFile {
    pub fn with(name: &str, bytes: &[u8]) -> TempFile {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "mini_async_http-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes).expect("write temp file");
        TempFile(path)
    }

    pub fn open(&self) -> std::fs::File {
        std::fs::File::open(&self.0).expect("open temp file")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
