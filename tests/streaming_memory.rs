//! A 256 MiB file body downloaded through the server while its memory is
//! watched: the server pulls the file only as the socket takes it, so the
//! process's resident memory grows by a bounded window, not by the file.
//! Alone in its test binary (its own process), so no other test's
//! allocations count.

mod support;

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::FileExt;

use mini_async_http::{Body, Request, ResponseBuilder};
use support::{IO_TIMEOUT, TestServer};

const LEN: u64 = 256 * 1024 * 1024;
/// A marker (its own offset, 8 bytes) every this many bytes; the rest is a
/// hole, so the file costs no disk.
const MARK_EVERY: u64 = 16 * 1024 * 1024;
/// Allowed growth of the resident set during the download.
const MAX_GROWTH: u64 = 32 * 1024 * 1024;

/// `VmRSS` of this process, in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmRSS value");
    kib * 1024
}

struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_256_mib_file_body_keeps_memory_bounded() {
    let path = std::env::temp_dir().join(format!("mini_async_http-{}-rss.bin", std::process::id()));
    let temp = TempFile(path.clone());
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&temp.0)
        .unwrap();
    file.set_len(LEN).unwrap();
    for at in (0..LEN).step_by(MARK_EVERY as usize) {
        file.write_all_at(&at.to_le_bytes(), at + 3).unwrap();
    }
    drop(file);
    let server = TestServer::start(1, move |_: &Request| {
        let file = File::open(&path).unwrap();
        ResponseBuilder::empty_200()
            .body(Body::file(file, 0, LEN))
            .build()
            .unwrap()
    });
    let mut stream = TcpStream::connect_timeout(&server.addr, IO_TIMEOUT).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let before = rss();
    stream
        .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut buf[..1]).unwrap();
        assert_eq!(n, 1, "closed in the head");
        head.push(buf[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(
        head.contains(&format!("Content-Length: {LEN}\r\n")),
        "{head}"
    );
    // The markers are checked where they land, in any split of the reads.
    let mut got = 0u64;
    let mut window: Vec<u8> = Vec::new();
    let mut peak = before;
    let mut marks = 0;
    while got < LEN {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed after {got} bytes");
        for (i, &b) in buf[..n].iter().enumerate() {
            let at = got + i as u64;
            let in_mark = at % MARK_EVERY;
            if (3..11).contains(&in_mark) {
                window.push(b);
                if in_mark == 10 {
                    let mark = u64::from_le_bytes(window[..].try_into().unwrap());
                    assert_eq!(mark, at - 10, "bytes out of place");
                    window.clear();
                    marks += 1;
                }
            } else {
                assert_eq!(b, 0, "a byte at {at} that the file does not have");
            }
        }
        got += n as u64;
        if got % (8 * 1024 * 1024) < n as u64 {
            peak = peak.max(rss());
        }
    }
    assert_eq!(marks, LEN / MARK_EVERY);
    peak = peak.max(rss());
    let growth = peak.saturating_sub(before);
    assert!(
        growth <= MAX_GROWTH,
        "resident memory grew by {} MiB while sending a {} MiB file",
        growth >> 20,
        LEN >> 20
    );
}
