//! A 256 MiB upload (and a 64 MiB chunked one) through a real socket, with
//! the handler checking every byte through `body_reader()`, while the
//! resident memory of this process (server and client both run in it) grows
//! by at most 16 MiB. Alone in its own test binary, so that no other test's
//! allocations count.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mini_async_http::{AIOServer, Request, Response, ResponseBuilder};
use support::TestServer;

/// Period of the body's pattern: byte `i` is `PATTERN[i % PERIOD]` (a
/// prime, so that it lines up with no buffer size).
const PERIOD: usize = 65_521;
/// Resident memory the upload may add.
const MAX_GROWTH_KIB: u64 = 16 * 1024;
/// Generous: the machine may be loaded.
const TIMEOUT: Duration = Duration::from_secs(120);

fn pattern() -> Vec<u8> {
    (0..PERIOD)
        .map(|j| (j.wrapping_mul(31) ^ (j >> 7)) as u8)
        .collect()
}

/// `VmRSS` of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Whether `chunk`, found at offset `pos` of the body, is the pattern there
/// (compared a run of the period at a time).
fn matches(pattern: &[u8], mut pos: u64, mut chunk: &[u8]) -> bool {
    while !chunk.is_empty() {
        let at = (pos % PERIOD as u64) as usize;
        let n = chunk.len().min(PERIOD - at);
        if chunk[..n] != pattern[at..at + n] {
            return false;
        }
        chunk = &chunk[n..];
        pos += n as u64;
    }
    true
}

/// Reads the body through `body_reader`, checks every byte, and answers
/// `<bytes> <spooled> <all bytes right>`; records the resident memory.
fn check_body(req: &Request, pattern: &[u8], peak: &AtomicU64) -> Response {
    let mut reader = req.body_reader();
    let mut buf = vec![0; 64 * 1024];
    let (mut pos, mut right) = (0u64, true);
    loop {
        let n = reader.read(&mut buf).expect("read the body");
        if n == 0 {
            break;
        }
        right &= matches(pattern, pos, &buf[..n]);
        pos += n as u64;
    }
    peak.fetch_max(rss_kib(), Ordering::SeqCst);
    ResponseBuilder::empty_200()
        .body(format!("{pos} {} {right}", req.is_spooled()))
        .build()
        .unwrap()
}

/// Sends `len` bytes of the pattern, framed with `Content-Length` or as
/// 1 MiB chunks, sampling the resident memory every 8 MiB; returns the
/// response's body.
fn upload(
    addr: std::net::SocketAddr,
    len: u64,
    chunked: bool,
    pattern: &[u8],
    peak: &AtomicU64,
) -> String {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {len}")
    };
    write!(
        stream,
        "POST /upload HTTP/1.1\r\nHost: t\r\n{framing}\r\n\r\n"
    )
    .unwrap();
    let mut pos = 0u64;
    let mut next_sample = 0u64;
    while pos < len {
        let chunk_end = if chunked {
            (pos + (1 << 20)).min(len)
        } else {
            len
        };
        if chunked {
            write!(stream, "{:x}\r\n", chunk_end - pos).unwrap();
        }
        while pos < chunk_end {
            let at = (pos % PERIOD as u64) as usize;
            let n = (PERIOD - at).min(usize::try_from(chunk_end - pos).unwrap());
            stream
                .write_all(&pattern[at..at + n])
                .expect("write the body");
            pos += n as u64;
            if pos >= next_sample {
                peak.fetch_max(rss_kib(), Ordering::SeqCst);
                next_sample += 8 << 20;
            }
        }
        if chunked {
            stream.write_all(b"\r\n").unwrap();
        }
    }
    if chunked {
        stream.write_all(b"0\r\n\r\n").unwrap();
    }
    read_response(&mut stream)
}

/// Reads one response; asserts it is a 200 and returns its body.
fn read_response(stream: &mut TcpStream) -> String {
    let mut response = Vec::new();
    let mut buf = [0; 4096];
    let complete = |r: &[u8]| {
        let end = r.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
        let head = std::str::from_utf8(&r[..end]).ok()?;
        let len: usize = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("content-length: ")
                    .or(l.strip_prefix("Content-Length: "))
            })?
            .trim()
            .parse()
            .ok()?;
        (r.len() >= end + len).then(|| (head.to_owned(), r[end..end + len].to_vec()))
    };
    loop {
        if let Some((head, body)) = complete(&response) {
            assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
            return String::from_utf8(body).expect("ASCII body");
        }
        let n = stream.read(&mut buf).expect("read the response");
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&response));
        response.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn upload_256_mib_with_bounded_memory() {
    let dir = std::env::temp_dir().join(format!("mini_async_http-large-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pattern = Arc::new(pattern());
    let peak = Arc::new(AtomicU64::new(0));
    let (p, k) = (Arc::clone(&pattern), Arc::clone(&peak));
    let server = TestServer::with(
        AIOServer::builder()
            .workers(2)
            .max_body_bytes(4 << 30)
            .spool_dir(&dir),
        move |req: &Request| check_body(req, &p, &k),
    );
    // Warm up: the first request, a spooled one, makes the buffers and
    // thread-local state every later one reuses.
    let body = upload(server.addr, 2 << 20, false, &pattern, &peak);
    assert_eq!(body, format!("{} true true", 2 << 20));
    let baseline = rss_kib();
    peak.store(baseline, Ordering::SeqCst);

    let len = (256 << 20) + 12_345;
    let body = upload(server.addr, len, false, &pattern, &peak);
    assert_eq!(body, format!("{len} true true"));
    let len = (64 << 20) + 7;
    let body = upload(server.addr, len, true, &pattern, &peak);
    assert_eq!(body, format!("{len} true true"));

    let growth = peak.load(Ordering::SeqCst) - baseline;
    eprintln!("resident memory: {baseline} KiB before, grew by {growth} KiB at most");
    assert!(
        growth <= MAX_GROWTH_KIB,
        "resident memory grew by {growth} KiB (from {baseline} KiB)"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
