//! Property tests of streamed bodies through [`Conn`], without sockets: any
//! mix of in-memory, reader (known or unknown length) and channel bodies,
//! `GET` or `HEAD`, pipelined in one burst and written out any amount at a
//! time, pulling each stream as the server does; the output, read back with
//! a parser of its own, has every response in order with the right framing
//! and bytes, and nothing is read from a source that is not sent.

use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use super::conn::SPLICE_MIN;
use super::{BufferPool, Conn, Ctx, Limits, Phase, Stamp};
use crate::http::{Body, Request, Response, ResponseBuilder};

const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

/// A response body of a test case.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Memory,
    Reader { known: bool },
    Channel,
}

#[derive(Clone, Debug)]
struct Case {
    kind: Kind,
    len: usize,
    head: bool,
}

fn case() -> impl Strategy<Value = Case> {
    let kind = prop_oneof![
        Just(Kind::Memory),
        any::<bool>().prop_map(|known| Kind::Reader { known }),
        Just(Kind::Channel),
    ];
    let len = prop_oneof![
        0..40usize,
        SPLICE_MIN..SPLICE_MIN + 10,
        64 * 1024..150 * 1024usize
    ];
    (kind, len, any::<bool>()).prop_map(|(kind, len, head)| Case { kind, len, head })
}

fn ctx() -> Ctx<'static> {
    static STAMP: LazyLock<Stamp> = LazyLock::new(|| Stamp::new(DATE, Some(5)));
    Ctx::new(&STAMP)
}

fn pattern(n: usize, seed: usize) -> Vec<u8> {
    (0..n).map(|i| ((i + seed) % 251) as u8).collect()
}

/// Counts the reads of a source.
struct Counted(Cursor<Vec<u8>>, Arc<AtomicUsize>);

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.read(buf)
    }
}

/// Answers `/i` with case `i`'s body; counts reads per case.
fn handler(cases: &[Case], reads: &[Arc<AtomicUsize>]) -> impl Fn(&Request) -> Response {
    let cases = cases.to_vec();
    let reads = reads.to_vec();
    move |req: &Request| {
        let i: usize = req.path()[1..].parse().unwrap();
        let Case { kind, len, .. } = cases[i];
        let data = pattern(len, i);
        let body = match kind {
            Kind::Memory => Body::from(data),
            Kind::Reader { known } => {
                let source = Counted(Cursor::new(data), Arc::clone(&reads[i]));
                Body::reader(source, known.then_some(len as u64))
            }
            Kind::Channel => {
                // Pieces of up to 5000 bytes, all sent before the response
                // is pulled; dropping the sender ends the body.
                let (tx, body) = Body::channel(len / 5000 + 2);
                for piece in data.chunks(5000) {
                    tx.send(piece).unwrap();
                }
                body
            }
        };
        ResponseBuilder::empty_200().body(body).build().unwrap()
    }
}

/// Drives the connection like the server: writes at most `chunk` bytes per
/// step, pulls the front stream when nothing is left to write, processes
/// held requests once the output is gone.
fn drain(conn: &mut Conn, handler: &dyn Fn(&Request) -> Response, chunk: usize) -> Vec<u8> {
    let ctx = ctx();
    let mut out = Vec::new();
    for _ in 0..1_000_000 {
        let mut slices = [std::io::IoSlice::new(&[]); 8];
        let k = conn.output_slices(&mut slices);
        if k > 0 {
            let before = out.len();
            for slice in &slices[..k] {
                let take = slice.len().min(chunk - (out.len() - before));
                out.extend_from_slice(&slice[..take]);
            }
            conn.advance_write(out.len() - before);
            continue;
        }
        if let Some(stream) = conn.stream() {
            let (source, buf) = stream.parts();
            let pulled = source.pull(buf).expect("in-memory sources do not fail");
            conn.body_pulled(pulled);
            continue;
        }
        assert_ne!(conn.phase(), Phase::Waiting, "every channel was filled");
        if conn.held() {
            conn.process(&handler, &ctx);
            continue;
        }
        return out;
    }
    panic!("the output never drained");
}

/// One response read back: its head's framing and its body.
fn read_response(wire: &mut &[u8], head_only: bool) -> (String, Vec<u8>) {
    let end = wire
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head")
        + 4;
    let head = String::from_utf8(wire[..end].to_vec()).unwrap();
    *wire = &wire[end..];
    let field = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(str::to_owned))
    };
    if head_only {
        return (head, Vec::new());
    }
    if let Some(len) = field("Content-Length: ") {
        let len: usize = len.parse().unwrap();
        let body = wire[..len].to_vec();
        *wire = &wire[len..];
        return (head, body);
    }
    assert_eq!(field("Transfer-Encoding: ").as_deref(), Some("chunked"));
    let mut body = Vec::new();
    loop {
        let line_end = wire.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&wire[..line_end]).unwrap(), 16)
            .expect("hex size");
        *wire = &wire[line_end + 2..];
        if size == 0 {
            assert!(wire.starts_with(b"\r\n"), "the last chunk ends the body");
            *wire = &wire[2..];
            return (head, body);
        }
        assert!(size <= super::STREAM_WINDOW, "a chunk beyond the window");
        body.extend_from_slice(&wire[..size]);
        assert_eq!(&wire[size..size + 2], b"\r\n");
        *wire = &wire[size + 2..];
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the mix of bodies and however the writes are cut, every
    /// response comes out in order, framed by its length when known and
    /// chunked when not, with exactly its bytes; `HEAD` reads nothing.
    #[test]
    fn streamed_bodies_keep_their_place_in_the_output(
        cases in prop::collection::vec(case(), 1..6),
        chunk in prop_oneof![1..100usize, 1000..70_000usize],
    ) {
        let reads: Vec<_> = cases.iter().map(|_| Arc::new(AtomicUsize::new(0))).collect();
        let handler = handler(&cases, &reads);
        let mut input = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let method = if case.head { "HEAD" } else { "GET" };
            input.extend_from_slice(format!("{method} /{i} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        }
        let ctx = ctx();
        let mut pool = BufferPool::default();
        let mut conn = Conn::new(Limits::default(), "127.0.0.1:9".parse().unwrap());
        let buf = conn.read_buf(&mut pool).unwrap();
        buf[..input.len()].copy_from_slice(&input);
        conn.advance_read(input.len());
        conn.process(&handler, &ctx);
        let out = drain(&mut conn, &handler, chunk);
        prop_assert_eq!(conn.phase(), Phase::Idle);
        let mut wire = &out[..];
        for (i, case) in cases.iter().enumerate() {
            let (head, body) = read_response(&mut wire, case.head);
            let known = !matches!(case.kind, Kind::Reader { known: false } | Kind::Channel);
            prop_assert_eq!(
                head.contains(&format!("Content-Length: {}\r\n", case.len)),
                known,
                "response {}: {}", i, head
            );
            prop_assert_eq!(head.contains("Transfer-Encoding: chunked\r\n"), !known);
            if case.head {
                prop_assert_eq!(reads[i].load(Ordering::SeqCst), 0, "HEAD read the source");
            } else {
                prop_assert!(body == pattern(case.len, i), "body of response {}", i);
            }
        }
        prop_assert!(wire.is_empty(), "bytes after the last response");
    }
}
