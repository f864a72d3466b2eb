//! The `serve` binary as a user runs it: spawned on `--addr 127.0.0.1:0`
//! over a directory made for each test, its address read from the line it
//! prints, spoken to with a raw client (every socket with a timeout), its
//! stderr read line by line, and stopped with `kill -TERM`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long anything may take: the machine may be loaded.
const WAIT: Duration = Duration::from_secs(10);

/// A directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "serve-cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A site: `a.txt`, `sub/b.txt`, `big.bin` (16 MiB: more than the socket
/// buffers of a client that has not read yet take).
fn site() -> TempDir {
    let dir = TempDir::new();
    dir.write("a.txt", b"hello");
    dir.write("sub/b.txt", b"bee");
    dir.write("big.bin", &pattern(BIG));
    dir
}

const BIG: usize = 16 << 20;

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

/// Lines of `source`, read on a thread; the channel disconnects at EOF.
fn lines<R: Read + Send + 'static>(source: R) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A running `serve`, killed on drop if it is still running.
struct Serve {
    child: Child,
    addr: SocketAddr,
    stderr: Receiver<String>,
}

impl Serve {
    /// Starts `serve --addr 127.0.0.1:0 ARGS… DIR` and waits for its
    /// `listening on http://ADDR` line.
    fn start(dir: &Path, args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_serve"))
            .args(["--addr", "127.0.0.1:0", "--workers", "2"])
            .args(args)
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let Ok(first) = stdout.recv_timeout(WAIT) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve printed no address; stderr: {:?}", drain(&stderr));
        };
        let addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line {first:?}"))
            .parse()
            .unwrap();
        Serve {
            child,
            addr,
            stderr,
        }
    }

    /// One request on its own connection (`Connection: close`).
    fn get(&self, target: &str) -> Reply {
        let mut s = connect(self.addr);
        write!(
            s,
            "GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut bytes = Vec::new();
        s.read_to_end(&mut bytes).expect("read response");
        Reply::parse(&bytes)
    }

    /// The next stderr line, within [`WAIT`].
    fn stderr_line(&self) -> String {
        self.stderr
            .recv_timeout(WAIT)
            .expect("a line on stderr within 10 s")
    }

    /// Sends SIGTERM.
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits (at most [`WAIT`]) for the process to exit.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not exit within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines a channel has until it disconnects (bounded by [`WAIT`]).
fn drain(rx: &Receiver<String>) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    let mut out = Vec::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => out.push(line),
            Err(RecvTimeoutError::Disconnected) => return out,
            Err(RecvTimeoutError::Timeout) => panic!("stderr still open; so far {out:?}"),
        }
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.set_write_timeout(Some(WAIT)).unwrap();
    s
}

/// A response read to the end of the connection.
#[derive(Debug)]
struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn parse(bytes: &[u8]) -> Reply {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(bytes)));
        let head = String::from_utf8(bytes[..end].to_vec()).unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        Reply {
            status,
            head,
            body: bytes[end + 4..].to_vec(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

#[test]
fn serves_a_file() {
    let dir = site();
    let serve = Serve::start(dir.path(), &["--quiet"]);
    let reply = serve.get("/a.txt");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"hello");
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let reply = serve.get("/big.bin");
    assert_eq!(reply.status, 200);
    assert!(reply.body == pattern(BIG), "big.bin differs");
}

#[test]
fn lists_a_directory() {
    let dir = site();
    let serve = Serve::start(dir.path(), &["--quiet"]);
    let reply = serve.get("/");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let page = String::from_utf8(reply.body).unwrap();
    assert!(page.contains("href=\"./a.txt\""), "{page}");
    assert!(page.contains("href=\"./sub/\""), "{page}");
    assert_eq!(serve.get("/sub").status, 308);
}

#[test]
fn no_listing_answers_404_for_a_directory() {
    let dir = site();
    let serve = Serve::start(dir.path(), &["--quiet", "--no-listing"]);
    assert_eq!(serve.get("/").status, 404);
    assert_eq!(serve.get("/sub/b.txt").body, b"bee");
}

#[test]
fn missing_file_is_404() {
    let dir = site();
    let serve = Serve::start(dir.path(), &["--quiet"]);
    assert_eq!(serve.get("/nope.txt").status, 404);
    assert_eq!(serve.get("/../a.txt").status, 404);
}

#[test]
fn cache_control_is_sent() {
    let dir = site();
    let serve = Serve::start(dir.path(), &["--quiet", "--cache-control", "max-age=60"]);
    assert_eq!(
        serve.get("/a.txt").header("cache-control"),
        Some("max-age=60")
    );
}

/// One record per response on stderr, in Combined Log Format with the time
/// taken appended.
#[test]
fn access_log_line_on_stderr() {
    let dir = site();
    let serve = Serve::start(dir.path(), &[]);
    assert_eq!(serve.get("/a.txt").status, 200);
    let line = serve.stderr_line();
    let (before, after) = line
        .split_once("] ")
        .unwrap_or_else(|| panic!("record {line:?}"));
    assert!(before.starts_with("127.0.0.1 - - ["), "{line:?}");
    assert!(before.ends_with(" +0000"), "{line:?}");
    let rest = after
        .strip_prefix("\"GET /a.txt HTTP/1.1\" 200 5 \"-\" \"-\" ")
        .unwrap_or_else(|| panic!("record {line:?}"));
    let micros = rest.strip_suffix("us").expect("time taken in us");
    assert!(micros.parse::<u64>().is_ok(), "{line:?}");

    assert_eq!(serve.get("/nope").status, 404);
    let line = serve.stderr_line();
    assert!(line.contains("\"GET /nope HTTP/1.1\" 404 "), "{line:?}");
}

/// With `--quiet` nothing reaches stderr for requests: after a request and
/// a SIGTERM, stderr (read to its end) has no access record.
#[test]
fn quiet_prints_no_access_log() {
    let dir = site();
    let mut serve = Serve::start(dir.path(), &["--quiet"]);
    assert_eq!(serve.get("/a.txt").status, 200);
    assert_eq!(serve.get("/nope").status, 404);
    serve.terminate();
    assert!(serve.wait_exit().success());
    let lines = drain(&serve.stderr);
    assert!(
        lines.iter().all(|l| !l.contains("\"GET ")),
        "access records with --quiet: {lines:?}"
    );
}

/// SIGTERM while a 16 MiB file is being sent: the response is finished
/// (every byte), the connection then closed, and the process exits with
/// status 0.
#[test]
fn sigterm_drains_and_exits_0() {
    let dir = site();
    let mut serve = Serve::start(dir.path(), &["--quiet"]);
    let mut s = connect(serve.addr);
    s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1024];
    let n = s.read(&mut first).unwrap();
    assert!(first[..n].starts_with(b"HTTP/1.1 200 "), "response started");

    serve.terminate();
    let mut bytes = first[..n].to_vec();
    s.read_to_end(&mut bytes).expect("the rest, then EOF");
    let reply = Reply::parse(&bytes);
    assert_eq!(reply.header("content-length"), Some("16777216"));
    assert!(reply.body == pattern(BIG), "body differs after SIGTERM");

    let status = serve.wait_exit();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn help_works() {
    let out = Command::new(env!("CARGO_BIN_EXE_serve"))
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .expect("run serve --help");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for word in [
        "Usage:",
        "--addr",
        "--workers",
        "--no-listing",
        "--cache-control",
        "--quiet",
        "[DIR]",
    ] {
        assert!(text.contains(word), "{word} missing from --help:\n{text}");
    }
}

#[test]
fn missing_directory_fails_to_start() {
    let dir = TempDir::new();
    let out = Command::new(env!("CARGO_BIN_EXE_serve"))
        .args(["--addr", "127.0.0.1:0"])
        .arg(dir.path().join("nope"))
        .stdin(Stdio::null())
        .output()
        .expect("run serve");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "announced an address");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("serve: ") && err.contains("nope"), "{err}");
}
