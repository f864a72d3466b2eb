//! The handler on real directories, reading the bodies back (the server
//! does not send file bodies in these tests; `tests/files.rs` checks the
//! rest of the policy through the public API).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use super::Files;
use crate::http::{Handler, Method, Request, Response};

/// A directory under the system's temp dir, removed on drop.
pub(super) struct TempDir(PathBuf);

impl TempDir {
    pub(super) fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "mini_async_http-files-unit-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub(super) fn path(&self) -> &Path {
        &self.0
    }

    pub(super) fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn get(files: &Files, target: &str, headers: &[(&str, &str)]) -> Response {
    call(files, Method::Get, target, headers)
}

fn call(files: &Files, method: Method, target: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = Request::new(method, target);
    for (name, value) in headers {
        req = req.with_header(name, value);
    }
    files.call(&req)
}

/// The body's announced length and its bytes.
fn body(resp: &mut Response) -> (Option<u64>, Vec<u8>) {
    let body = resp.take_body();
    (body.content_length(), body.read_all().unwrap())
}

fn header<'a>(resp: &'a Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name)
}

const DATA: &[u8] = b"0123456789abcdefghij";

#[test]
fn get_serves_whole_file() {
    let dir = TempDir::new();
    dir.write("a.txt", DATA);
    dir.write("sub/deeper/b.bin", b"\x00\x01");
    let files = Files::new(dir.path()).unwrap();
    let mut resp = get(&files, "/a.txt", &[]);
    assert_eq!(resp.status(), 200);
    assert_eq!(body(&mut resp), (Some(DATA.len() as u64), DATA.to_vec()));
    let mut resp = get(&files, "/sub/deeper/b.bin?x=1", &[]);
    assert_eq!(body(&mut resp).1, b"\x00\x01");
}

#[test]
fn head_ignores_range() {
    let dir = TempDir::new();
    dir.write("a.txt", DATA);
    let files = Files::new(dir.path()).unwrap();
    let mut resp = call(&files, Method::Head, "/a.txt", &[("Range", "bytes=0-1")]);
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "Content-Range"), None);
    assert_eq!(body(&mut resp).0, Some(DATA.len() as u64));
}

/// A GET of a small file (or a small range) is answered with the bytes in
/// memory, sent with the head in one write; a `HEAD`, a large file and a
/// file shorter than asked for keep a file body.
#[test]
fn small_bodies_read_with_the_response() {
    let dir = TempDir::new();
    dir.write("a.txt", DATA);
    let limit = usize::try_from(super::file::INLINE_BODY).unwrap();
    let big: Vec<u8> = (0..=limit).map(|i| (i % 251) as u8).collect();
    dir.write("big.bin", &big);
    let files = Files::new(dir.path()).unwrap();
    let in_memory = |resp: &Response| resp.body_ref().is_in_memory();
    let mut resp = get(&files, "/a.txt", &[]);
    assert!(in_memory(&resp));
    assert_eq!(body(&mut resp), (Some(20), DATA.to_vec()));
    let mut resp = get(&files, "/big.bin", &[("Range", "bytes=1-")]);
    assert!(in_memory(&resp), "a range of INLINE_BODY bytes");
    assert_eq!(body(&mut resp).1, &big[1..]);
    let mut resp = get(&files, "/big.bin", &[]);
    assert!(!in_memory(&resp), "one byte more");
    assert_eq!(body(&mut resp).1, big);
    let resp = call(&files, Method::Head, "/a.txt", &[]);
    assert!(!in_memory(&resp), "HEAD reads nothing");
    let file = fs::File::open(dir.path().join("a.txt")).unwrap();
    let short = super::file::file_body(file, 10, 11, true);
    assert!(
        !short.is_in_memory(),
        "shrunk: left to the server, which closes"
    );
    assert_eq!(short.content_length(), Some(11));
}

#[test]
fn etag_follows_mtime_and_size() {
    let dir = TempDir::new();
    let path = dir.write("a.txt", DATA);
    let files = Files::new(dir.path()).unwrap();
    let etag = || {
        get(&files, "/a.txt", &[])
            .headers()
            .get("ETag")
            .unwrap()
            .to_owned()
    };
    let set_mtime = |t: SystemTime| {
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    set_mtime(t0);
    let first = etag();
    assert!(first.starts_with('"') && first.ends_with('"') && !first.starts_with("W/"));
    assert_eq!(etag(), first, "stable while the file is unchanged");
    set_mtime(t0 + Duration::from_nanos(1));
    let second = etag();
    assert_ne!(second, first, "one nanosecond later");
    fs::write(&path, b"0123456789abcdefghiJ").unwrap();
    set_mtime(t0 + Duration::from_nanos(1));
    assert_eq!(etag(), second, "same size and mtime: same tag");
    fs::write(&path, b"longer than before, same mtime").unwrap();
    set_mtime(t0 + Duration::from_nanos(1));
    assert_ne!(etag(), second, "size changed");
}

#[test]
fn single_range() {
    let dir = TempDir::new();
    dir.write("a.txt", DATA);
    let files = Files::new(dir.path()).unwrap();
    for (range, bytes, content_range) in [
        ("bytes=2-4", &b"234"[..], "bytes 2-4/20"),
        ("bytes=18-", b"ij", "bytes 18-19/20"),
        ("bytes=-3", b"hij", "bytes 17-19/20"),
        ("bytes=15-100", b"fghij", "bytes 15-19/20"),
        ("bytes=0-1,1-3", b"0123", "bytes 0-3/20"),
    ] {
        let mut resp = get(&files, "/a.txt", &[("Range", range)]);
        assert_eq!(resp.status(), 206, "{range}");
        assert_eq!(header(&resp, "Content-Range"), Some(content_range));
        assert_eq!(
            header(&resp, "Content-Type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(
            body(&mut resp),
            (Some(bytes.len() as u64), bytes.to_vec()),
            "{range}"
        );
    }
}

#[test]
fn multipart_ranges() {
    let dir = TempDir::new();
    dir.write("a.txt", DATA);
    let files = Files::new(dir.path()).unwrap();
    let mut resp = get(&files, "/a.txt", &[("Range", "bytes=10-11, 0-1,-2")]);
    assert_eq!(resp.status(), 206);
    assert_eq!(header(&resp, "Content-Range"), None);
    let content_type = header(&resp, "Content-Type").unwrap().to_owned();
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap();
    let (len, bytes) = body(&mut resp);
    assert_eq!(len, Some(bytes.len() as u64));
    let part = |range: &str, data: &str| {
        format!(
            "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes {range}/20\r\n\r\n{data}"
        )
    };
    let expected = format!(
        "{}\r\n{}\r\n{}\r\n--{boundary}--\r\n",
        part("0-1", "01"),
        part("10-11", "ab"),
        part("18-19", "ij")
    );
    assert_eq!(String::from_utf8(bytes).unwrap(), expected);
    let again = get(&files, "/a.txt", &[("Range", "bytes=0-0,2-2")]);
    assert_ne!(
        header(&again, "Content-Type"),
        Some(&*content_type),
        "boundary per response"
    );
}

#[test]
fn directory_redirect_under_mount() {
    let dir = TempDir::new();
    dir.write("docs/guide/index.html", b"<h1>guide</h1>");
    let files = Files::new(dir.path()).unwrap();
    let mounted = |target: &str, prefix: usize| {
        let req = Request::new(Method::Get, target);
        req.route
            .push(prefix, None, crate::http::ParamValues::default());
        files.call(&req)
    };
    let resp = mounted("/static/docs/guide?v=2", "/static".len());
    assert_eq!(resp.status(), 308);
    assert_eq!(header(&resp, "Location"), Some("/static/docs/guide/?v=2"));
    let resp = mounted("/static", "/static".len());
    assert_eq!(header(&resp, "Location"), Some("/static/"));
    // A prefix the router matched with extra slashes cannot make the
    // Location protocol-relative.
    let resp = mounted("//evil.example/docs", "//evil.example".len());
    assert_eq!(header(&resp, "Location"), Some("/evil.example/docs/"));
    let mut resp = mounted("/static/docs/guide/", "/static".len());
    assert_eq!(resp.status(), 200);
    assert_eq!(body(&mut resp).1, b"<h1>guide</h1>");
}

#[test]
fn precompressed_body_is_the_variant() {
    let dir = TempDir::new();
    dir.write("app.js", b"plain");
    dir.write("app.js.br", b"BR");
    dir.write("app.js.gz", b"GZIP");
    let files = Files::new(dir.path()).unwrap();
    let mut resp = get(&files, "/app.js", &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(body(&mut resp).1, b"BR");
    let mut resp = get(&files, "/app.js", &[("Accept-Encoding", "gzip")]);
    assert_eq!(body(&mut resp).1, b"GZIP");
    let mut resp = get(
        &files,
        "/app.js",
        &[("Accept-Encoding", "gzip"), ("Range", "bytes=1-")],
    );
    assert_eq!(resp.status(), 206);
    assert_eq!(header(&resp, "Content-Range"), Some("bytes 1-3/4"));
    assert_eq!(body(&mut resp).1, b"ZIP");
    let mut resp = get(&files, "/app.js", &[]);
    assert_eq!(body(&mut resp).1, b"plain");
}

/// Component-wise `openat` against `std::fs::canonicalize` for a 3-level
/// path; prints the figures (run with `--ignored --nocapture`).
#[test]
#[ignore = "measurement, not a check"]
fn openat_walk_against_canonicalize() {
    use super::open::{Options, Root, open};
    use std::time::Instant;
    let dir = TempDir::new();
    dir.write("a/b/c.txt", DATA);
    let root = Root::open(dir.path()).unwrap();
    let segments: Vec<String> = ["a", "b", "c.txt"].map(String::from).to_vec();
    let opts = Options {
        hidden: false,
        follow_outside: false,
    };
    let full = dir.path().join("a/b/c.txt");
    let rounds = 100_000;
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(open(&root, &segments, opts).is_ok());
    }
    let walk = start.elapsed();
    let start = Instant::now();
    for _ in 0..rounds {
        let path = fs::canonicalize(&full).unwrap();
        std::hint::black_box(fs::File::open(path).is_ok());
    }
    let canon = start.elapsed();
    println!(
        "3-level open: openat walk {:?}/open, canonicalize+open {:?}/open",
        walk / rounds,
        canon / rounds
    );
}

#[test]
fn encoded_names_reachable() {
    let dir = TempDir::new();
    for name in [
        "a b.txt",
        "c+d.txt",
        "e#f.txt",
        "50%.txt",
        "q?.txt",
        "café.txt",
        "sub dir/x y",
    ] {
        dir.write(name, name.as_bytes());
    }
    let files = Files::new(dir.path()).unwrap();
    for (target, name) in [
        ("/a%20b.txt", "a b.txt"),
        ("/c+d.txt", "c+d.txt"),
        ("/c%2Bd.txt", "c+d.txt"),
        ("/e%23f.txt", "e#f.txt"),
        ("/50%25.txt", "50%.txt"),
        ("/q%3F.txt", "q?.txt"),
        ("/q%3F.txt?q=1", "q?.txt"),
        ("/caf%C3%A9.txt", "café.txt"),
        ("/sub%20dir/x%20y?a=b#c", "sub dir/x y"),
    ] {
        let mut resp = get(&files, target, &[]);
        assert_eq!(resp.status(), 200, "{target}");
        assert_eq!(body(&mut resp).1, name.as_bytes(), "{target}");
    }
    // `+` is not a space in a path.
    assert_eq!(get(&files, "/a+b.txt", &[]).status(), 404);
}

#[test]
fn symlink_inside_root_followed() {
    use std::os::unix::fs::symlink;
    let dir = TempDir::new();
    dir.write("v1/app.js", b"version 1");
    dir.write("v1/index.html", b"index of v1");
    dir.write("other/data.txt", b"data");
    let root = dir.path();
    symlink("v1", root.join("latest")).unwrap();
    symlink("../other/data.txt", root.join("v1/data-link")).unwrap();
    symlink(root.join("other"), root.join("abs-other")).unwrap();
    symlink("latest", root.join("latest-latest")).unwrap();
    let files = Files::new(root).unwrap();
    for (target, want) in [
        ("/latest/app.js", &b"version 1"[..]),
        ("/latest/", b"index of v1"),
        ("/latest-latest/app.js", b"version 1"),
        ("/latest/data-link", b"data"),
        ("/abs-other/data.txt", b"data"),
    ] {
        let mut resp = get(&files, target, &[]);
        assert_eq!(resp.status(), 200, "{target}");
        assert_eq!(body(&mut resp).1, want, "{target}");
    }
    // A link to a directory is one: without the slash, a redirect.
    assert_eq!(get(&files, "/latest", &[]).status(), 308);
}

#[test]
fn fifo_not_served() {
    use rustix::fs::{FileType, Mode, mknodat};
    let dir = TempDir::new();
    mknodat(
        rustix::fs::CWD,
        dir.path().join("pipe"),
        FileType::Fifo,
        Mode::RUSR | Mode::WUSR,
        0,
    )
    .unwrap();
    let socket = std::os::unix::net::UnixListener::bind(dir.path().join("sock")).unwrap();
    let files = Files::new(dir.path()).unwrap().listing(true);
    // Opening a FIFO without a writer would block this thread forever
    // without O_NONBLOCK.
    assert_eq!(get(&files, "/pipe", &[]).status(), 404);
    assert_eq!(get(&files, "/sock", &[]).status(), 404);
    drop(socket);
}
