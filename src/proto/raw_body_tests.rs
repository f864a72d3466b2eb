//! Tests of the raw body seam (`Conn::raw_body`, `Conn::raw_body_moved`):
//! what the server may move straight to a spool file itself (`splice` on
//! Linux, `server/splice.rs`), sans IO. The test plays the server: it
//! writes the bytes to the file it is given, never more than it is told.

use std::fs::File;
use std::io::{self, Read, Write};

use super::conn::CloseReason;
use super::spool::{Spool, SpoolWriter};
use super::{BufferPool, Conn, Ctx, Error, Limits, Stamp};
use crate::http::body_reader::tests::unnamed_file;
use crate::http::{Request, Response, ResponseBuilder};

/// A spool whose files the server may append to itself.
#[derive(Debug)]
struct DirectSpool;

#[derive(Debug)]
struct DirectWriter(File);

impl Spool for DirectSpool {
    fn threshold(&self) -> u64 {
        1000
    }

    fn create(&self) -> io::Result<Box<dyn SpoolWriter>> {
        Ok(Box::new(DirectWriter(unnamed_file("raw-body", b""))))
    }
}

impl SpoolWriter for DirectWriter {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    fn finish(self: Box<Self>) -> io::Result<File> {
        Ok(self.0)
    }

    fn file(&self) -> Option<&File> {
        Some(&self.0)
    }
}

/// Answers `<path> <spooled> <body>`.
fn echo(req: &Request) -> Response {
    let mut body = Vec::new();
    req.body_reader().read_to_end(&mut body).unwrap();
    assert_eq!(req.body_len(), body.len() as u64);
    let text = format!(
        "{} {} {}",
        req.path(),
        req.is_spooled(),
        String::from_utf8(body).unwrap()
    );
    ResponseBuilder::empty_200().body(text).build().unwrap()
}

struct Setup {
    conn: Conn,
    pool: BufferPool,
}

impl Setup {
    fn new() -> Setup {
        let limits = Limits {
            max_body_bytes: 1 << 20,
            ..Limits::default()
        };
        Setup {
            conn: Conn::new(limits, "127.0.0.1:9".parse().unwrap()),
            pool: BufferPool::default(),
        }
    }

    fn feed(&mut self, bytes: &[u8], ctx: &Ctx<'_>) {
        let buf = self.conn.read_buf(&mut self.pool).unwrap();
        buf[..bytes.len()].copy_from_slice(bytes);
        self.conn.advance_read(bytes.len());
        self.conn.process(&echo, ctx);
    }

    /// Plays the server: appends `bytes` to the raw body's file itself.
    fn direct(&mut self, bytes: &[u8], ctx: &Ctx<'_>) {
        let (mut file, remaining) = self.conn.raw_body().expect("raw body wanted");
        assert!(bytes.len() as u64 <= remaining, "never past the body's end");
        file.write_all(bytes).unwrap();
        self.conn.raw_body_moved(&Ok(bytes.len() as u64));
        self.conn.process(&echo, ctx);
    }

    fn output(&mut self) -> String {
        let mut out = Vec::new();
        while !self.conn.output().is_empty() {
            out.extend_from_slice(self.conn.output());
            let n = self.conn.output().len();
            self.conn.advance_write(n);
        }
        String::from_utf8(out).unwrap()
    }
}

fn body(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Raw body is offered only once the buffered body bytes are in the file,
/// for exactly what the body still lacks; bytes moved directly and bytes
/// from the buffer make one body, and the request behind it is parsed from
/// the buffer as ever.
#[test]
fn raw_body_is_offered_for_what_the_body_still_lacks() {
    let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", None);
    let mut ctx = Ctx::new(&stamp);
    ctx.spool = Some(&DirectSpool);
    let mut s = Setup::new();
    let text = body(5000);
    let head = format!(
        "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n",
        text.len()
    );
    s.feed(head.as_bytes(), &ctx);
    assert_eq!(s.conn.raw_body().map(|(_, n)| n), Some(5000));
    s.direct(&text[..1500], &ctx);
    assert_eq!(s.conn.raw_body().map(|(_, n)| n), Some(3500));
    // Bytes read the ordinary way in between: none offered while buffered.
    let buf = s.conn.read_buf(&mut s.pool).unwrap();
    buf[..10].copy_from_slice(&text[1500..1510]);
    s.conn.advance_read(10);
    assert!(s.conn.raw_body().is_none(), "bytes are buffered");
    s.conn.process(&echo, &ctx);
    assert_eq!(s.conn.raw_body().map(|(_, n)| n), Some(3490));
    s.direct(&text[1510..], &ctx);
    assert!(s.conn.raw_body().is_none(), "the body is complete");
    let out = s.output();
    assert!(
        out.ends_with(&format!("/up true {}", String::from_utf8(text).unwrap())),
        "{out}"
    );
    s.feed(b"GET /after HTTP/1.1\r\nHost: h\r\n\r\n", &ctx);
    assert!(s.output().ends_with("/after false "));
}

/// The server failing to append (a full disk) answers 507 and closes.
#[test]
fn a_failed_direct_append_is_507() {
    let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", None);
    let mut ctx = Ctx::new(&stamp);
    ctx.spool = Some(&DirectSpool);
    let mut s = Setup::new();
    s.feed(
        b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 4000\r\n\r\n",
        &ctx,
    );
    s.direct(&body(100), &ctx);
    s.conn
        .raw_body_moved(&Err(io::Error::from_raw_os_error(28)));
    assert!(s.conn.raw_body().is_none());
    s.conn.process(&echo, &ctx);
    assert!(s.output().starts_with("HTTP/1.1 507 "));
    assert_eq!(
        s.conn.close_reason(),
        Some(CloseReason::Rejected(Error::SpoolFailed))
    );
}

/// No raw body for a chunked body, one under the threshold, or a spool
/// whose writer has no file for the server.
#[test]
fn no_raw_body_where_the_decoder_or_spool_needs_the_bytes() {
    let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", None);
    let mut ctx = Ctx::new(&stamp);
    ctx.spool = Some(&DirectSpool);
    let mut s = Setup::new();
    s.feed(
        b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
        &ctx,
    );
    assert!(s.conn.raw_body().is_none(), "chunked");
    let mut s = Setup::new();
    s.feed(
        b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n",
        &ctx,
    );
    assert!(s.conn.raw_body().is_none(), "in memory");
    ctx.spool = None;
    let mut s = Setup::new();
    s.feed(
        b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 4000\r\n\r\n",
        &ctx,
    );
    assert!(s.conn.raw_body().is_none(), "no spool");
}
