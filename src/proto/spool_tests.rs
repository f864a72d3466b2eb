//! Tests of the spool seam (`spool.rs`): a [`Conn`] given a spool in its
//! [`Ctx`] moves bodies over the threshold out of memory, whatever the
//! framing and the split of the input, and hands the handler the same bytes;
//! failures to store answer 507. The fake spool writes real unnamed files
//! (as the server's does), tagged so that `/proc/self/fd` can tell whether
//! one is still open.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::sample::Index;

use super::conn::{CloseReason, SPOOL_INPUT};
use super::spool::{Spool, SpoolWriter};
use super::{BufferPool, Conn, Ctx, Error, Limits, Stamp};
use crate::http::body_reader::tests::unnamed_file;
use crate::http::{Request, Response, ResponseBuilder};

/// A spool of real unnamed files that can be told to fail.
#[derive(Debug, Default)]
struct FakeSpool {
    threshold: u64,
    /// `create` fails.
    fail_create: bool,
    /// `append` fails once the body would grow past this.
    fail_after: Option<u64>,
    tag: &'static str,
    created: AtomicUsize,
    /// The most bytes one `append` was given.
    largest_append: Arc<AtomicU64>,
}

#[derive(Debug)]
struct FakeWriter {
    file: File,
    written: u64,
    fail_after: Option<u64>,
    largest_append: Arc<AtomicU64>,
}

impl Spool for FakeSpool {
    fn threshold(&self) -> u64 {
        self.threshold
    }

    fn create(&self) -> io::Result<Box<dyn SpoolWriter>> {
        if self.fail_create {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        self.created.fetch_add(1, Ordering::Relaxed);
        Ok(Box::new(FakeWriter {
            file: unnamed_file(self.tag, b""),
            written: 0,
            fail_after: self.fail_after,
            largest_append: Arc::clone(&self.largest_append),
        }))
    }
}

impl SpoolWriter for FakeWriter {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        let len = bytes.len() as u64;
        if self.fail_after.is_some_and(|max| self.written + len > max) {
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        self.largest_append.fetch_max(len, Ordering::Relaxed);
        self.written += len;
        self.file.write_all(bytes)
    }

    fn finish(self: Box<Self>) -> io::Result<File> {
        Ok(self.file)
    }
}

fn spool(tag: &'static str, threshold: u64) -> FakeSpool {
    FakeSpool {
        threshold,
        tag,
        ..FakeSpool::default()
    }
}

/// What the handler saw of one request: spooled or not, the body read
/// through `body_reader`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    path: String,
    spooled: bool,
    body: Vec<u8>,
}

#[derive(Debug)]
struct Run {
    output: Vec<u8>,
    seen: Vec<Seen>,
    close: Option<CloseReason>,
}

/// Feeds `pieces` to a connection whose context has `spool`, processing
/// after each, then ends the input. Every request is answered 200.
fn drive(spool: &FakeSpool, limits: Limits, pieces: &[&[u8]]) -> Run {
    let seen = RefCell::new(Vec::new());
    let handler = |req: &Request| -> Response {
        let mut body = Vec::new();
        req.body_reader().read_to_end(&mut body).unwrap();
        assert_eq!(req.body_len(), body.len() as u64);
        seen.borrow_mut().push(Seen {
            path: req.path().to_owned(),
            spooled: req.is_spooled(),
            body,
        });
        ResponseBuilder::empty_200().build().unwrap()
    };
    let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", None);
    let mut ctx = Ctx::new(&stamp);
    ctx.spool = Some(spool);
    let mut pool = BufferPool::default();
    let mut conn = Conn::new(limits, "127.0.0.1:9".parse().unwrap());
    let mut output = Vec::new();
    let mut take = |conn: &mut Conn| {
        while !conn.output().is_empty() {
            output.extend_from_slice(conn.output());
            let n = conn.output().len();
            conn.advance_write(n);
        }
    };
    for piece in pieces {
        let mut piece = *piece;
        while !piece.is_empty() {
            let Some(buf) = conn.read_buf(&mut pool) else {
                conn.process(&handler, &ctx);
                take(&mut conn);
                if conn.read_buf(&mut pool).is_none() {
                    break; // closing: the rest is dropped
                }
                continue;
            };
            let n = buf.len().min(piece.len());
            buf[..n].copy_from_slice(&piece[..n]);
            conn.advance_read(n);
            piece = &piece[n..];
        }
        conn.process(&handler, &ctx);
        take(&mut conn);
        conn.release(&mut pool);
    }
    conn.read_eof();
    conn.process(&handler, &ctx);
    take(&mut conn);
    Run {
        output,
        seen: seen.into_inner(),
        close: conn.close_reason(),
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// A POST of `body` to `path`, with `Content-Length`, or chunked at `cuts`
/// (positions in the body, any order).
fn post(path: &str, body: &[u8], chunked: Option<&[usize]>) -> Vec<u8> {
    let Some(cuts) = chunked else {
        let mut out = format!(
            "POST {path} HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        return out;
    };
    let mut out = format!("POST {path} HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        .into_bytes();
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(body.len())).collect();
    points.push(body.len());
    points.sort_unstable();
    let mut from = 0;
    for at in points {
        if at > from {
            out.extend_from_slice(format!("{:x}\r\n", at - from).as_bytes());
            out.extend_from_slice(&body[from..at]);
            out.extend_from_slice(b"\r\n");
            from = at;
        }
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

const AFTER: &[u8] = b"GET /after HTTP/1.1\r\nHost: h\r\n\r\n";

fn big_limits() -> Limits {
    Limits {
        max_body_bytes: 1 << 30,
        ..Limits::default()
    }
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// Open descriptors of this process on unnamed files tagged `tag`.
#[cfg(target_os = "linux")]
fn open_tagged(tag: &str) -> usize {
    let needle = format!("-test-{tag}-");
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().contains(&needle))
        .count()
}

#[test]
fn threshold_boundary() {
    const T: u64 = 4096;
    let spool = spool("boundary", T);
    let no_cuts: &[usize] = &[];
    for len in [T - 1, T, T + 1] {
        let body = pattern(len as usize);
        for chunked in [None, Some(no_cuts)] {
            let mut data = post("/", &body, chunked);
            data.extend_from_slice(AFTER);
            let bytewise: Vec<&[u8]> = data.chunks(1).collect();
            for pieces in [vec![&data[..]], bytewise] {
                let run = drive(&spool, big_limits(), &pieces);
                let spooled = len > T;
                assert_eq!(
                    run.seen[0],
                    Seen {
                        path: "/".into(),
                        spooled,
                        body: body.clone()
                    },
                    "len {len}, chunked {}, {} pieces",
                    chunked.is_some(),
                    pieces.len()
                );
                assert_eq!(run.seen[1].path, "/after");
                assert!(!run.seen[1].spooled);
                assert_eq!(count(&run.output, b"HTTP/1.1 200 OK\r\n"), 2);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the threshold, the body length, the framing and the split
    /// of the input, the handler reads the body that was sent, spooled
    /// exactly when it is longer than the threshold, and the request
    /// pipelined after it is answered.
    #[test]
    fn spooled_bodies_survive_any_split(
        threshold in 0u64..3000,
        len in 0usize..6000,
        chunked in any::<bool>(),
        chunk_cuts in prop::collection::vec(any::<Index>(), 0..6),
        cuts in prop::collection::vec(any::<Index>(), 0..10),
    ) {
        let spool = spool("split", threshold);
        let body = pattern(len);
        let chunk_cuts: Vec<usize> = chunk_cuts.iter().map(|c| c.index(len + 1)).collect();
        let mut data = post("/", &body, chunked.then_some(&chunk_cuts[..]));
        data.extend_from_slice(AFTER);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut from = 0;
        for at in points {
            pieces.push(&data[from..at]);
            from = at;
        }
        pieces.push(&data[from..]);
        let run = drive(&spool, big_limits(), &pieces);
        prop_assert_eq!(run.seen.len(), 2);
        prop_assert_eq!(run.seen[0].spooled, len as u64 > threshold);
        prop_assert!(run.seen[0].body == body, "body of {} bytes differs", len);
        prop_assert_eq!(&run.seen[1].path, "/after");
        prop_assert_eq!(count(&run.output, b"HTTP/1.1 200 OK\r\n"), 2);
    }
}

/// Memory stays bounded: a body known by its length to be over the
/// threshold never gathers more than one input buffer in memory (which may
/// grow to `SPOOL_INPUT` while spooling); a chunked one, the threshold plus
/// one input buffer.
#[test]
fn memory_stays_bounded() {
    const T: u64 = 100_000;
    let body = pattern(2_000_000);
    let input_max = SPOOL_INPUT as u64;
    for (chunked, bound) in [(None, input_max), (Some(&[][..]), T + input_max)] {
        let spool = spool("bounded", T);
        let data = post("/", &body, chunked);
        let run = drive(&spool, big_limits(), &[&data[..]]);
        assert!(run.seen[0].spooled && run.seen[0].body == body);
        let largest = spool.largest_append.load(Ordering::Relaxed);
        assert!(largest <= bound, "{largest} bytes in memory at once");
    }
}

#[test]
fn spool_fails_before_continue() {
    let spool = FakeSpool {
        threshold: 1000,
        fail_create: true,
        ..FakeSpool::default()
    };
    let head =
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1001\r\n\r\n";
    let run = drive(&spool, big_limits(), &[head]);
    assert!(
        run.output
            .starts_with(b"HTTP/1.1 507 Insufficient Storage\r\n"),
        "{}",
        String::from_utf8_lossy(&run.output)
    );
    assert_eq!(count(&run.output, b"100 Continue"), 0);
    assert_eq!(run.close, Some(CloseReason::Rejected(Error::SpoolFailed)));
    assert!(run.seen.is_empty());

    // At the threshold no file is needed, so none is made: 100 Continue.
    let head =
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n";
    let run = drive(&spool, big_limits(), &[head]);
    assert!(run.output.starts_with(b"HTTP/1.1 100 Continue\r\n\r\n"));
}

#[test]
fn write_error_mid_body() {
    let body = pattern(50_000);
    let no_cuts: &[usize] = &[];
    for chunked in [None, Some(no_cuts)] {
        let spool = FakeSpool {
            threshold: 1000,
            fail_after: Some(20_000),
            tag: "write-error",
            ..FakeSpool::default()
        };
        let mut data = post("/", &body, chunked);
        data.extend_from_slice(AFTER);
        let pieces: Vec<&[u8]> = data.chunks(4096).collect();
        let run = drive(&spool, big_limits(), &pieces);
        assert!(
            run.output
                .starts_with(b"HTTP/1.1 507 Insufficient Storage\r\n")
        );
        assert_eq!(
            count(&run.output, b"HTTP/1.1 "),
            1,
            "nothing answered after it"
        );
        assert_eq!(run.close, Some(CloseReason::Rejected(Error::SpoolFailed)));
        assert!(run.seen.is_empty());
        assert_eq!(spool.created.load(Ordering::Relaxed), 1);
        #[cfg(target_os = "linux")]
        assert_eq!(open_tagged("write-error"), 0, "the file is closed");
    }
}

/// The limit counts the bytes moved to the spool: a chunked body over
/// `max_body_bytes` is refused although memory never holds it.
#[test]
fn limit_counts_spooled_bytes() {
    let spool = spool("limit", 500);
    let limits = Limits {
        max_body_bytes: 3000,
        ..Limits::default()
    };
    let body = pattern(4000);
    let cuts: Vec<usize> = (1..10).map(|i| i * 400).collect();
    let data = post("/", &body, Some(&cuts));
    let pieces: Vec<&[u8]> = data.chunks(300).collect();
    let run = drive(&spool, limits, &pieces);
    assert!(
        run.output
            .starts_with(b"HTTP/1.1 413 Content Too Large\r\n")
    );
    assert!(run.seen.is_empty());

    // Up to the limit it is accepted, and spooled.
    let body = pattern(3000);
    let data = post("/", &body, Some(&cuts));
    let run = drive(&spool, limits, &[&data[..]]);
    assert!(run.seen[0].spooled && run.seen[0].body == body);
}

/// The spool file is open while the handler runs and closed once the
/// request ends, before the connection gives its buffers back: once the
/// response is written (after a response, after a panic: 500), at
/// `release` (the end of a job) if it is not, and when the connection stops
/// in the middle of the body (408).
#[cfg(target_os = "linux")]
#[test]
fn file_dropped_after_request_and_panic() {
    let spool = spool("dropped", 100);
    let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", None);
    let mut ctx = Ctx::new(&stamp);
    ctx.spool = Some(&spool);
    let body = pattern(1000);
    let open_during = AtomicUsize::new(0);
    let handler = |req: &Request| {
        open_during.store(open_tagged("dropped"), Ordering::Relaxed);
        assert!(req.path() != "/panic", "the handler panics");
        Response::plain(200, "")
    };
    let mut pool = BufferPool::default();
    for (path, status) in [("/", "200"), ("/panic", "500")] {
        let data = post(path, &body, None);
        let mut conn = Conn::new(big_limits(), "127.0.0.1:9".parse().unwrap());
        let buf = conn.read_buf(&mut pool).unwrap();
        buf[..data.len()].copy_from_slice(&data);
        conn.advance_read(data.len());
        conn.process(&handler, &ctx);
        assert_eq!(
            open_during.load(Ordering::Relaxed),
            1,
            "{path}: open while handled"
        );
        assert_eq!(&conn.output()[9..12], status.as_bytes());
        assert_eq!(open_tagged("dropped"), 1, "{path}: open until written");
        let n = conn.output().len();
        conn.advance_write(n);
        assert_eq!(open_tagged("dropped"), 0, "{path}: closed once written");
    }
    // A response the socket did not take: closed when the job ends.
    let data = post("/", &body, None);
    let mut conn = Conn::new(big_limits(), "127.0.0.1:9".parse().unwrap());
    let buf = conn.read_buf(&mut pool).unwrap();
    buf[..data.len()].copy_from_slice(&data);
    conn.advance_read(data.len());
    conn.process(&handler, &ctx);
    conn.advance_write(1);
    assert_eq!(open_tagged("dropped"), 1, "response not written yet");
    conn.release(&mut pool);
    assert_eq!(open_tagged("dropped"), 0, "closed by release");

    let data = post("/", &body, None);
    let mut conn = Conn::new(big_limits(), "127.0.0.1:9".parse().unwrap());
    let buf = conn.read_buf(&mut pool).unwrap();
    buf[..500].copy_from_slice(&data[..500]);
    conn.advance_read(500);
    conn.process(&handler, &ctx);
    assert_eq!(open_tagged("dropped"), 1, "spooling mid-body");
    conn.timeout(&ctx);
    assert!(conn.output().starts_with(b"HTTP/1.1 408 "));
    assert_eq!(open_tagged("dropped"), 0, "closed by the timeout");
}

/// A `Content-Length` body on its way to the spool is read in pieces of up
/// to `SPOOL_INPUT` and appended straight from the input buffer: bodies
/// ending just before, at and after a buffer boundary reach the handler
/// whole, and the request pipelined right behind them is answered, however
/// the input is split.
#[test]
fn spooled_bodies_across_the_input_buffer_boundary() {
    for len in [SPOOL_INPUT - 1, SPOOL_INPUT, 2 * SPOOL_INPUT + 1] {
        let body = pattern(len);
        let mut data = post("/", &body, None);
        data.extend_from_slice(AFTER);
        let split: Vec<&[u8]> = data.chunks(100_003).collect();
        for pieces in [vec![&data[..]], split] {
            let spool = spool("straddle", 1000);
            let run = drive(&spool, big_limits(), &pieces);
            assert!(run.seen[0].spooled && run.seen[0].body == body, "len {len}");
            assert_eq!(run.seen[1].path, "/after");
            assert_eq!(count(&run.output, b"HTTP/1.1 200 OK\r\n"), 2);
            let largest = spool.largest_append.load(Ordering::Relaxed);
            assert!(largest <= SPOOL_INPUT as u64, "{largest} bytes at once");
            if pieces.len() == 1 && len > SPOOL_INPUT {
                assert_eq!(largest, SPOOL_INPUT as u64, "reads grow to SPOOL_INPUT");
            }
        }
    }
}
