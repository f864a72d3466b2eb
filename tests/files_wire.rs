//! `Files` through the server over real sockets: what `tests/files.rs` and
//! `src/files/tests.rs` check by calling the handler, read here off the
//! wire with a raw client (its own parser, every socket with a timeout) and
//! with `ureq`: whole files, single and multipart ranges, `HEAD`, `304`,
//! tiny and empty files, a 64 MiB file sent with sendfile, a file that
//! shrinks while it is sent, pipelining behind a file body, and `Files`
//! mounted under a `Router` prefix.

mod support;

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mini_async_http::{Files, Handler, Request, ResponseBuilder, Router};
use support::{Client, IO_TIMEOUT, RawResponse, TestServer, pattern};

/// A directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "mini_async_http-files-wire-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.0.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// 300 001 bytes of [`pattern`]: not a multiple of any buffer size.
const DATA_LEN: usize = 300_001;

/// A site: `data.bin` ([`DATA_LEN`] bytes), `one` (1 byte), `empty`,
/// `a.txt`, `sub/index.html`; and a server with 2 workers serving it.
fn site() -> (TempDir, TestServer) {
    let dir = TempDir::new();
    dir.write("data.bin", &pattern(DATA_LEN));
    dir.write("one", b"x");
    dir.write("empty", b"");
    dir.write("a.txt", b"0123456789abcdefghij");
    dir.write("sub/index.html", b"<p>sub</p>");
    let files = Files::new(dir.path()).unwrap();
    let server = TestServer::start(2, files.into_fn());
    (dir, server)
}

/// A `ureq` agent that returns every status as a response, follows no
/// redirect, and times out.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent()
}

fn request(target: &str, headers: &[(&str, &str)]) -> String {
    request_with("GET", target, headers)
}

fn request_with(method: &str, target: &str, headers: &[(&str, &str)]) -> String {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: t\r\n");
    for (name, value) in headers {
        let _ = write!(req, "{name}: {value}\r\n");
    }
    req + "\r\n"
}

/// One request on a connection of its own.
fn exchange(server: &TestServer, target: &str, headers: &[(&str, &str)]) -> RawResponse {
    let mut c = server.connect();
    c.send(request(target, headers));
    c.read_response()
}

#[test]
fn whole_file_bytes_match() {
    let (_dir, server) = site();
    let resp = exchange(&server, "/data.bin", &[]);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-length"), Some("300001"));
    assert_eq!(
        resp.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(resp.body == pattern(DATA_LEN), "raw client: bytes differ");

    let mut resp = agent().get(server.url("/data.bin")).call().unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.body_mut().read_to_vec().unwrap();
    assert!(body == pattern(DATA_LEN), "ureq: bytes differ");
}

#[test]
fn single_range_bytes_match() {
    let (_dir, server) = site();
    let data = pattern(DATA_LEN);
    for (range, start, end) in [
        ("bytes=1000-1999", 1000, 2000),
        ("bytes=299901-", 299_901, DATA_LEN),
        ("bytes=-100", DATA_LEN - 100, DATA_LEN),
        ("bytes=299000-999999", 299_000, DATA_LEN),
    ] {
        let resp = exchange(&server, "/data.bin", &[("Range", range)]);
        assert_eq!(resp.status, 206, "{range}");
        let expected = format!("bytes {start}-{}/{DATA_LEN}", end - 1);
        assert_eq!(resp.header("content-range"), Some(expected.as_str()));
        assert!(resp.body == data[start..end], "{range}: bytes differ");
    }
    let mut resp = agent()
        .get(server.url("/data.bin"))
        .header("Range", "bytes=7-70006")
        .call()
        .unwrap();
    assert_eq!(resp.status(), 206);
    assert!(resp.body_mut().read_to_vec().unwrap() == data[7..70_007]);
}

/// A `multipart/byteranges` body split into its parts by a parser of its
/// own (RFC 9110 §14.6 and RFC 2046 §5.1.1): `(Content-Type, Content-Range,
/// bytes)` of each part.
fn parse_multipart(body: &[u8], boundary: &str) -> Vec<(String, String, Vec<u8>)> {
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    // The first delimiter may come without the CRLF before it.
    let mut rest = body
        .strip_prefix(&delimiter[2..])
        .expect("body starts with the boundary");
    let mut parts = Vec::new();
    loop {
        if rest == b"--\r\n" || rest == b"--" {
            return parts;
        }
        rest = rest.strip_prefix(b"\r\n").expect("CRLF after a boundary");
        let head_end = find(rest, b"\r\n\r\n").expect("part head");
        let head = std::str::from_utf8(&rest[..head_end]).unwrap();
        let field = |name: &str| {
            head.split("\r\n")
                .find_map(|l| {
                    let (n, v) = l.split_once(':')?;
                    n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                })
                .unwrap_or_else(|| panic!("part without {name}: {head:?}"))
        };
        let (content_type, content_range) = (field("content-type"), field("content-range"));
        rest = &rest[head_end + 4..];
        let end = find(rest, &delimiter).expect("delimiter after a part");
        parts.push((content_type, content_range, rest[..end].to_vec()));
        rest = &rest[end + delimiter.len()..];
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn multipart_byteranges_parse_into_parts() {
    let (_dir, server) = site();
    let data = pattern(DATA_LEN);
    // 50-60 overlaps 0-99 and is coalesced into it; -5 is the last 5 bytes.
    let resp = exchange(
        &server,
        "/data.bin",
        &[("Range", "bytes=0-99,50-60,1000-1999,-5")],
    );
    assert_eq!(resp.status, 206);
    assert_eq!(resp.header("content-range"), None);
    let content_type = resp.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    let parts = parse_multipart(&resp.body, boundary);
    let expected = [(0, 100), (1000, 2000), (DATA_LEN - 5, DATA_LEN)];
    assert_eq!(parts.len(), expected.len(), "{parts:?}");
    for ((ty, range, bytes), (start, end)) in parts.iter().zip(expected) {
        assert_eq!(ty, "application/octet-stream");
        assert_eq!(range, &format!("bytes {start}-{}/{DATA_LEN}", end - 1));
        assert!(bytes[..] == data[start..end], "part {range}: bytes differ");
    }
    // The same through ureq, whose framing is its own.
    let mut resp = agent()
        .get(server.url("/a.txt"))
        .header("Range", "bytes=0-1,5-6")
        .call()
        .unwrap();
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    let boundary = content_type.rsplit('=').next().unwrap();
    let parts = parse_multipart(&resp.body_mut().read_to_vec().unwrap(), boundary);
    let bodies: Vec<&[u8]> = parts.iter().map(|p| &p.2[..]).collect();
    assert_eq!(bodies, [&b"01"[..], b"56"]);
}

/// A `HEAD` has the `GET`'s head and no body: the next response on the
/// connection starts right after it.
#[test]
fn head_has_get_headers_and_no_body() {
    let (_dir, server) = site();
    let mut c = server.connect();
    c.send(request("/data.bin", &[]));
    let get = c.read_response();
    c.send(request_with("HEAD", "/data.bin", &[]));
    let head = c.read_response_to("HEAD");
    assert_eq!(head.status, 200);
    for name in ["content-length", "content-type", "etag", "last-modified"] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
    assert!(head.body.is_empty());
    c.send(request("/a.txt", &[]));
    assert_eq!(c.read_response().body, b"0123456789abcdefghij");
}

/// `If-None-Match` with the current tag and `If-Modified-Since` with the
/// `Last-Modified` date: 304 with no body, the connection goes on.
#[test]
fn not_modified_has_no_body() {
    let (_dir, server) = site();
    let mut c = server.connect();
    c.send(request("/data.bin", &[]));
    let first = c.read_response();
    let etag = first.header("etag").unwrap().to_owned();
    let date = first.header("last-modified").unwrap().to_owned();
    for header in [
        ("If-None-Match", etag.as_str()),
        ("If-Modified-Since", &date),
    ] {
        c.send(request("/data.bin", &[header]));
        let resp = c.read_response_to("GET");
        assert_eq!(resp.status, 304, "{header:?}");
        assert_eq!(resp.header("etag"), Some(etag.as_str()));
        assert_eq!(resp.header("content-length"), None);
        c.send(request("/one", &[]));
        assert_eq!(c.read_response().body, b"x", "after 304 to {header:?}");
    }
}

#[test]
fn one_byte_and_empty_files() {
    let (_dir, server) = site();
    let resp = exchange(&server, "/one", &[]);
    assert_eq!((resp.status, &resp.body[..]), (200, &b"x"[..]));
    let resp = exchange(&server, "/one", &[("Range", "bytes=0-0")]);
    assert_eq!(resp.status, 206);
    assert_eq!(resp.header("content-range"), Some("bytes 0-0/1"));
    assert_eq!(resp.body, b"x");
    assert_eq!(
        exchange(&server, "/one", &[("Range", "bytes=1-")]).status,
        416
    );

    let mut c = server.connect();
    for headers in [&[][..], &[("Range", "bytes=0-0")]] {
        c.send(request("/empty", headers));
        let resp = c.read_response();
        assert_eq!(resp.status, 200, "{headers:?}");
        assert_eq!(resp.header("content-length"), Some("0"));
        assert!(resp.body.is_empty());
    }
    let mut resp = agent().get(server.url("/empty")).call().unwrap();
    assert!(resp.body_mut().read_to_vec().unwrap().is_empty());
}

/// How a test file is laid out: its 8-byte words hold their own offset
/// (little-endian), so that a byte sent from the wrong place, twice or not
/// at all cannot match; `Sparse` leaves every odd MiB a hole (zeros).
#[derive(Clone, Copy)]
enum Layout {
    Dense,
    Sparse,
}

impl Layout {
    /// The byte at `offset`.
    fn byte(self, offset: u64) -> u8 {
        if matches!(self, Layout::Sparse) && (offset >> 20) % 2 == 1 {
            return 0;
        }
        (offset & !7).to_le_bytes()[(offset & 7) as usize]
    }

    /// Writes a file of `len` bytes (a whole number of MiB).
    fn write(self, path: &Path, len: u64) {
        let file = File::create(path).unwrap();
        file.set_len(len).unwrap();
        let mut chunk = vec![0u8; 1 << 20];
        let step = if matches!(self, Layout::Sparse) { 2 } else { 1 };
        for mib in (0..len >> 20).step_by(step) {
            let start = mib << 20;
            for (i, b) in chunk.iter_mut().enumerate() {
                *b = self.byte(start + i as u64);
            }
            file.write_all_at(&chunk, start).unwrap();
        }
    }

    /// Reads `len` bytes from `from` and checks that they are the file's
    /// from `start` on, without keeping them.
    fn check(self, from: &mut impl Read, start: u64, len: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut at = start;
        let mut chunk = vec![0u8; 256 << 10];
        while at < start + len {
            assert!(Instant::now() < deadline, "large body not read within 60 s");
            let want = chunk.len().min((start + len - at) as usize);
            let n = from.read(&mut chunk[..want]).unwrap();
            assert!(n > 0, "EOF at offset {at}, expected {}", start + len);
            for b in &chunk[..n] {
                assert_eq!(*b, self.byte(at), "byte at offset {at}");
                at += 1;
            }
        }
    }
}

const LARGE: u64 = 64 << 20;

/// A 64 MiB file (sparse: half of it holes) goes out with sendfile on
/// Linux; every byte arrives, in place, whole and as a range from an odd
/// offset, and the connection goes on after it.
#[test]
fn large_file_streamed_byte_exact() {
    let dir = TempDir::new();
    Layout::Sparse.write(&dir.path().join("large.bin"), LARGE);
    let server = TestServer::start(2, Files::new(dir.path()).unwrap().into_fn());

    let mut resp = agent().get(server.url("/large.bin")).call().unwrap();
    assert_eq!(resp.headers()["content-length"], "67108864");
    Layout::Sparse.check(&mut resp.body_mut().as_reader(), 0, LARGE);

    let mut s = TcpStream::connect_timeout(&server.addr, IO_TIMEOUT).unwrap();
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.write_all(request("/large.bin", &[("Range", "bytes=1048573-42000000")]).as_bytes())
        .unwrap();
    let head = read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 206 "), "{head}");
    assert!(
        head.contains("\r\nContent-Range: bytes 1048573-42000000/67108864"),
        "{head}"
    );
    Layout::Sparse.check(&mut s, 1_048_573, 42_000_001 - 1_048_573);
    s.write_all(request("/large.bin", &[("Range", "bytes=-3")]).as_bytes())
        .unwrap();
    let head = read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 206 "), "{head}");
    Layout::Sparse.check(&mut s, LARGE - 3, 3);
}

/// Reads a response head up to its end, and nothing after it.
fn read_head(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    // Byte by byte, so that nothing of the body is taken; bounded by the
    // socket's timeout and the head's size.
    while !buf.ends_with(b"\r\n\r\n") {
        assert!(buf.len() < 8192, "head too long");
        assert_eq!(s.read(&mut byte).unwrap(), 1, "EOF in head");
        buf.push(byte[0]);
    }
    String::from_utf8(buf).unwrap()
}

/// A file truncated while it is sent (the client reads slowly, through a
/// small receive buffer): the body stops short of its `Content-Length`, and
/// the connection is closed; every byte that came is the file's own (no
/// padding), and the request pipelined behind it gets no answer.
#[test]
fn file_that_shrinks_while_sent_closes_the_connection() {
    const LEN: u64 = 32 << 20;
    let dir = TempDir::new();
    let path = dir.path().join("shrinks.bin");
    Layout::Dense.write(&path, LEN);
    let server = TestServer::start(1, Files::new(dir.path()).unwrap().into_fn());

    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(64 << 10).unwrap();
    socket
        .connect_timeout(&server.addr.into(), IO_TIMEOUT)
        .unwrap();
    let mut s: TcpStream = socket.into();
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let pipelined = request("/shrinks.bin", &[]) + &request("/shrinks.bin", &[]);
    s.write_all(pipelined.as_bytes()).unwrap();
    let head = read_head(&mut s);
    assert!(head.contains("\r\nContent-Length: 33554432\r\n"), "{head}");
    let mut body = vec![0u8; 4096];
    s.read_exact(&mut body).unwrap();

    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        assert!(Instant::now() < deadline, "not closed within 30 s");
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the cut body: {e}"),
        }
    }
    assert!(
        (body.len() as u64) < LEN,
        "closed before the announced length"
    );
    Layout::Dense.check(&mut &body[..], 0, body.len() as u64);
}

/// Requests pipelined behind a file body (whole, a range, a `HEAD`, a 404, a
/// 304) are answered in order, each with the right bytes.
#[test]
fn pipelined_requests_behind_a_file_body_answered_in_order() {
    let (_dir, server) = site();
    let etag = exchange(&server, "/a.txt", &[])
        .header("etag")
        .unwrap()
        .to_owned();
    let mut c = Client::connect(server.addr);
    let mut batch = String::new();
    for _ in 0..3 {
        batch += &request("/data.bin", &[]);
        batch += &request("/a.txt", &[("Range", "bytes=10-")]);
        batch += &request_with("HEAD", "/data.bin", &[]);
        batch += &request("/missing", &[]);
        batch += &request("/a.txt", &[("If-None-Match", &etag)]);
    }
    c.send(batch);
    let data = pattern(DATA_LEN);
    for round in 0..3 {
        let resp = c.read_response();
        assert!(
            resp.status == 200 && resp.body == data,
            "round {round}: data.bin"
        );
        let resp = c.read_response();
        assert_eq!((resp.status, &resp.body[..]), (206, &b"abcdefghij"[..]));
        let resp = c.read_response_to("HEAD");
        assert_eq!(
            (resp.status, resp.header("content-length")),
            (200, Some("300001"))
        );
        assert_eq!(c.read_response().status, 404);
        assert_eq!(c.read_response().status, 304);
    }
}

/// `Files` under `Router::builder().mount("/static", files)`: paths below
/// the prefix are the directory's, the redirect keeps the prefix, other
/// routes stay the router's.
#[test]
fn files_mounted_under_a_router_prefix() {
    let dir = TempDir::new();
    dir.write("data.bin", &pattern(DATA_LEN));
    dir.write("sub/index.html", b"<p>sub</p>");
    let router = Router::builder()
        .get("/", |_: &Request| {
            ResponseBuilder::new().body(b"home").build().unwrap()
        })
        .mount("/static", Files::new(dir.path()).unwrap())
        .build()
        .unwrap();
    let server = TestServer::start(2, router.into_fn());
    let agent = agent();

    let mut resp = agent.get(server.url("/static/data.bin")).call().unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.body_mut().read_to_vec().unwrap() == pattern(DATA_LEN));
    let resp = exchange(&server, "/static/data.bin", &[("Range", "bytes=-10")]);
    assert!(resp.status == 206 && resp.body == pattern(DATA_LEN)[DATA_LEN - 10..]);

    let resp = exchange(&server, "/static/sub", &[]);
    assert_eq!(
        (resp.status, resp.header("location")),
        (308, Some("/static/sub/"))
    );
    assert_eq!(exchange(&server, "/static/sub/", &[]).body, b"<p>sub</p>");
    assert_eq!(exchange(&server, "/data.bin", &[]).status, 404);
    assert_eq!(exchange(&server, "/static/../data.bin", &[]).status, 404);
    assert_eq!(exchange(&server, "/", &[]).body, b"home");
}
