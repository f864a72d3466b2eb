//! Property tests of the protocol layer: whatever the bytes and however they
//! are split into reads, [`Conn`] does not panic, hands the same requests to
//! the handler and writes the same responses; requests and responses survive
//! a serialise → parse round trip; the chunked decoder inverts chunking; and
//! every bad input of the policy (module doc of [`proto`](super)) gets its
//! status. Bounded (`CASES` each) so the file runs in a few seconds.
//!
//! The fuzz targets in `fuzz/` check the same invariants without bounds.

use std::cell::RefCell;
use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::Index;

use super::conn::CloseReason;
use super::conn::SPLICE_MIN;
use super::decode::{BodyDecoder, MAX_CHUNK_EXTENSIONS};
use super::encode::{Framing as Wire, encode};
use super::parse::BodyLength;
use super::{BufferPool, Conn, Ctx, Error, Limits, Phase, Stamp};
use crate::http::{Request, Response, ResponseBuilder};

const CASES: u32 = 256;
const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

// ---------------------------------------------------------------- driving

/// What the handler was given.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

#[derive(Debug)]
struct Run {
    output: Vec<u8>,
    seen: Vec<Seen>,
    close: Option<CloseReason>,
}

fn stamp() -> &'static Stamp {
    static STAMP: LazyLock<Stamp> = LazyLock::new(|| Stamp::new(DATE, Some(5)));
    &STAMP
}

fn ctx() -> Ctx<'static> {
    Ctx::new(stamp())
}

fn small_limits() -> Limits {
    Limits {
        max_head_bytes: 512,
        max_headers: 8,
        max_body_bytes: 256,
    }
}

/// `data` cut at `cuts` (positions, any order), as the pieces of reads.
fn pieces<'a>(data: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut from = 0;
    for at in points {
        out.push(&data[from..at]);
        from = at;
    }
    out.push(&data[from..]);
    out
}

/// Feeds `pieces` to a new connection, processing after each and taking at
/// most two `write_chunk`s of output each time (a slow reader); then ends the
/// input and takes everything. The handler echoes the request body.
fn drive(limits: Limits, pieces: &[&[u8]], write_chunk: usize) -> Run {
    let seen = RefCell::new(Vec::new());
    let handler = |req: &Request| -> Response {
        seen.borrow_mut().push(Seen {
            method: req.method().as_str().to_owned(),
            target: req.target().to_owned(),
            headers: req
                .headers()
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            body: req.body().to_vec(),
        });
        ResponseBuilder::empty_200()
            .body(req.body().to_vec())
            .build()
            .unwrap()
    };
    let ctx = ctx();
    let mut pool = BufferPool::default();
    let mut conn = Conn::new(limits, "127.0.0.1:9".parse().unwrap());
    let mut output = Vec::new();
    let take = |conn: &mut Conn, output: &mut Vec<u8>, chunks: usize| {
        for _ in 0..chunks {
            let n = conn.output().len().min(write_chunk.max(1));
            if n == 0 {
                break;
            }
            output.extend_from_slice(&conn.output()[..n]);
            conn.advance_write(n);
        }
    };
    for piece in pieces {
        let mut piece = *piece;
        while !piece.is_empty() {
            let Some(buf) = conn.read_buf(&mut pool) else {
                conn.process(&handler, &ctx);
                take(&mut conn, &mut output, usize::MAX);
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
        assert_eq!(conn.phase() == Phase::Write, !conn.output().is_empty());
        take(&mut conn, &mut output, 2);
        conn.release(&mut pool);
    }
    conn.read_eof();
    // Requests held at the output's high-water mark are answered as it
    // drains; each round answers at least one.
    for _ in 0..=pieces.iter().map(|p| p.len()).sum::<usize>() {
        conn.process(&handler, &ctx);
        take(&mut conn, &mut output, usize::MAX);
        if !conn.held() {
            break;
        }
    }
    assert_eq!(conn.phase(), Phase::Closed);
    let close = conn.close_reason();
    Run {
        output,
        seen: seen.into_inner(),
        close,
    }
}

/// One response read back with `httparse` (not our parser).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Parsed {
    status: u16,
    reason: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Parsed {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &v[..])
    }
}

/// Splits `out` into responses; `head` says, for each 200 in turn, whether it
/// answers a `HEAD` (no body after its `Content-Length`). Interim 100s are
/// checked and left out.
fn responses(mut out: &[u8], head: &mut dyn Iterator<Item = bool>) -> Vec<Parsed> {
    let mut list: Vec<Parsed> = Vec::new();
    while !out.is_empty() {
        assert!(
            list.last().is_none_or(|p| p.status < 400),
            "output after a rejection"
        );
        if let Some(rest) = out.strip_prefix(CONTINUE) {
            out = rest;
            continue;
        }
        let mut fields = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut fields);
        let httparse::Status::Complete(head_len) = resp.parse(out).unwrap() else {
            panic!("incomplete response head");
        };
        assert_eq!(resp.version, Some(1));
        let status = resp.code.unwrap();
        let mut parsed = Parsed {
            status,
            reason: resp.reason.unwrap().to_owned(),
            headers: resp
                .headers
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect(),
            body: Vec::new(),
        };
        let is_head = status == 200 && head.next().expect("a 200 per request");
        let body_len = match parsed.header("content-length") {
            _ if is_head || status == 204 || status == 304 => 0,
            Some(cl) => std::str::from_utf8(cl).unwrap().parse().unwrap(),
            None => panic!("{status} without Content-Length"),
        };
        parsed.body = out[head_len..head_len + body_len].to_vec();
        out = &out[head_len + body_len..];
        list.push(parsed);
    }
    list
}

// ---------------------------------------------------------------- requests

/// A valid request, and what the handler must see for it.
#[derive(Clone, Debug)]
struct Req {
    seen: Seen,
    bytes: Vec<u8>,
    expect_continue: bool,
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"
        ])
        .prop_map(str::to_owned),
        "X-[A-Z]{1,6}",
    ]
}

fn target() -> impl Strategy<Value = String> {
    "/[A-Za-z0-9._~%/-]{0,16}(\\?[a-z0-9=&]{0,10})?"
}

/// Field names that the policy does not interpret.
fn field() -> impl Strategy<Value = (String, String)> {
    ("X-[A-Za-z0-9-]{1,10}", "([!-~]([ -~]{0,16}[!-~])?)?")
}

/// How a body goes on the wire.
#[derive(Clone, Debug)]
enum Framing {
    /// No framing field (only for an empty body).
    None,
    ContentLength,
    /// Chunk sizes (cut points into the body) and, per chunk, an extension.
    Chunked(Vec<Index>, Vec<Option<String>>, bool),
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        Just(Framing::None),
        Just(Framing::ContentLength),
        (
            prop::collection::vec(any::<Index>(), 0..5),
            prop::collection::vec(prop::option::of(";[a-z]{1,5}(=[a-z0-9]{0,5})?"), 6),
            any::<bool>(),
        )
            .prop_map(|(cuts, exts, trailer)| Framing::Chunked(cuts, exts, trailer)),
    ]
}

/// The chunked encoding of `body` cut at `cuts`, with extensions and maybe
/// a trailer field.
fn chunk(body: &[u8], cuts: &[Index], exts: &[Option<String>], trailer: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pieces = pieces(body, cuts);
    pieces.retain(|p| !p.is_empty());
    for (i, piece) in pieces.iter().enumerate() {
        let ext = exts.get(i).cloned().flatten().unwrap_or_default();
        // Upper or lower hex, sometimes with leading zeros.
        let size = match i % 3 {
            0 => format!("{:x}", piece.len()),
            1 => format!("{:X}", piece.len()),
            _ => format!("00{:x}", piece.len()),
        };
        out.extend_from_slice(format!("{size}{ext}\r\n").as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    let last_ext = exts.last().cloned().flatten().unwrap_or_default();
    out.extend_from_slice(format!("0{last_ext}\r\n").as_bytes());
    if trailer {
        out.extend_from_slice(b"X-Trailer: t\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

prop_compose! {
    fn request()(
        method in method(),
        target in target(),
        fields in prop::collection::vec(field(), 0..5),
        body in prop::collection::vec(any::<u8>(), 0..64),
        framing in framing(),
        expect in any::<bool>(),
    ) -> Req {
        let mut headers = vec![("Host".to_owned(), "example.com".to_owned())];
        headers.extend(fields);
        let body = if matches!(framing, Framing::None) { Vec::new() } else { body };
        let encoded = match &framing {
            Framing::None => Vec::new(),
            Framing::ContentLength => {
                headers.push(("Content-Length".into(), body.len().to_string()));
                body.clone()
            }
            Framing::Chunked(cuts, exts, trailer) => {
                headers.push(("Transfer-Encoding".into(), "chunked".into()));
                chunk(&body, cuts, exts, *trailer)
            }
        };
        let has_body = match &framing {
            Framing::None => false,
            Framing::ContentLength => !body.is_empty(),
            Framing::Chunked(..) => true,
        };
        let expect_continue = expect && has_body;
        if expect_continue {
            headers.push(("Expect".into(), "100-continue".into()));
        }
        let mut bytes = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
        for (name, value) in &headers {
            bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(&encoded);
        Req { seen: Seen { method, target, headers, body }, bytes, expect_continue }
    }
}

fn pipeline(reqs: &[Req]) -> Vec<u8> {
    reqs.iter().flat_map(|r| r.bytes.iter().copied()).collect()
}

fn check_echoes(reqs: &[Req], run: &Run) -> Result<(), TestCaseError> {
    let mut heads = reqs.iter().map(|r| r.seen.method == "HEAD");
    let resps = responses(&run.output, &mut heads);
    prop_assert_eq!(resps.len(), reqs.len());
    for (resp, req) in resps.iter().zip(reqs) {
        prop_assert_eq!(resp.status, 200);
        let cl = req.seen.body.len().to_string();
        prop_assert_eq!(resp.header("content-length"), Some(cl.as_bytes()));
        if req.seen.method != "HEAD" {
            prop_assert_eq!(&resp.body, &req.seen.body);
        }
    }
    Ok(())
}

/// `reqs` pipelined, driven in one piece and cut at `cuts`: both runs, once
/// checked that the handler saw each request as sent and each was echoed.
fn whole_and_split(
    reqs: &[Req],
    cuts: &[Index],
    write_chunk: usize,
) -> Result<(Run, Run), TestCaseError> {
    let data = pipeline(reqs);
    let whole = drive(Limits::default(), &[&data[..]], usize::MAX);
    let split = drive(Limits::default(), &pieces(&data, cuts), write_chunk);
    let sent: Vec<Seen> = reqs.iter().map(|r| r.seen.clone()).collect();
    prop_assert_eq!(&whole.seen, &sent);
    prop_assert_eq!(&split.seen, &sent);
    check_echoes(reqs, &whole)?;
    check_echoes(reqs, &split)?;
    Ok((whole, split))
}

// ---------------------------------------------------------------- bad inputs

/// Requests the policy rejects, with their status.
#[rustfmt::skip]
const BAD: &[(&str, u16)] = &[
    ("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 400),
    ("GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nBad Name: x\r\nHost: x\r\n\r\n", 400),
    ("GET foo HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("GET / HTTP/1.2\r\nHost: x\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
    ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\na", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x1\r\n\r\na", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 1\r\n\r\na", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: \x01\r\n\r\n", 400),
    ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413),
    ("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n", 413),
    ("POST / HTTP/1.1\r\nHost: x\r\nExpect: nothing\r\nContent-Length: 1\r\n\r\na", 417),
];

/// A bad input: its bytes and its status.
fn bad() -> impl Strategy<Value = (Vec<u8>, u16)> {
    let big_head = (0..200usize).prop_map(|extra| {
        let mut raw = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 0..100 + extra {
            raw.extend_from_slice(format!("X-{i}: {}\r\n", "v".repeat(600)).as_bytes());
        }
        raw.extend_from_slice(b"\r\n");
        (raw, 431)
    });
    let many_fields = (101..140usize).prop_map(|n| {
        let mut raw = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 0..n {
            raw.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        raw.extend_from_slice(b"\r\n");
        (raw, 431)
    });
    let big_chunked = (1usize..=2).prop_map(|chunks| {
        let mut raw = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..chunks {
            raw.extend_from_slice(b"80000\r\n"); // 512 KiB each
            raw.extend(std::iter::repeat_n(b'a', 0x8_0000));
            raw.extend_from_slice(b"\r\n");
        }
        // One byte more than the limit leaves.
        raw.extend_from_slice(format!("{:x}\r\n", (1 << 20) + 1 - chunks * 0x8_0000).as_bytes());
        (raw, 413)
    });
    let long_ext = Just({
        let mut raw =
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;".to_vec();
        raw.extend(std::iter::repeat_n(b'e', MAX_CHUNK_EXTENSIONS + 1));
        raw.extend_from_slice(b"\r\na\r\n0\r\n\r\n");
        (raw, 400)
    });
    let conflict = (0u32..1000, 1u32..1000).prop_map(|(a, d)| {
        let raw = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {a}\r\nContent-Length: {}\r\n\r\n",
            a + d
        );
        (raw.into_bytes(), 400)
    });
    let coding = "[a-z]{1,8}"
        .prop_filter("not chunked", |c| c != "chunked")
        .prop_map(|c| {
            let raw =
                format!("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {c}, chunked\r\n\r\n");
            (raw.into_bytes(), 501)
        });
    prop_oneof![
        4 => prop::sample::select(BAD).prop_map(|(raw, status)| (raw.as_bytes().to_vec(), status)),
        1 => big_head,
        1 => many_fields,
        1 => big_chunked,
        1 => long_ext,
        1 => conflict,
        1 => coding,
    ]
}

// ---------------------------------------------------------------- properties

/// Bytes that reach past the request line: valid requests with a few bytes
/// overwritten, as well as plain noise.
fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        (
            prop::collection::vec(request(), 1..4),
            prop::collection::vec((any::<Index>(), any::<u8>()), 1..6),
        )
            .prop_map(|(reqs, edits)| {
                let mut bytes = pipeline(&reqs);
                for (at, b) in edits {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
                bytes
            }),
    ]
}

/// A body of `n` bytes that shows where each byte came from.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// Answers `/N` with a body of `N` bytes.
fn sized(req: &Request) -> Response {
    let n: usize = req.path()[1..].parse().unwrap();
    ResponseBuilder::empty_200()
        .body(pattern(n))
        .build()
        .unwrap()
}

/// Answers `GET /N` or `HEAD /N` with a body of `N` bytes, large ones
/// queued rather than copied; drains the output `chunks` at a time (through
/// `output_slices` when `vectored`), processing again as output drains, and
/// returns everything written.
fn drain_sized(sizes: &[(usize, bool)], chunks: &[usize], vectored: bool) -> Vec<u8> {
    let handler = sized;
    let ctx = ctx();
    let mut pool = BufferPool::default();
    let mut conn = Conn::new(Limits::default(), "127.0.0.1:9".parse().unwrap());
    let mut input = Vec::new();
    for &(n, head) in sizes {
        let method = if head { "HEAD" } else { "GET" };
        input.extend_from_slice(format!("{method} /{n} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    }
    // Half the requests first, the rest once some output has gone out, so
    // that output written before a queued body is compacted away.
    let half = input.len() / 2;
    let buf = conn.read_buf(&mut pool).unwrap();
    buf[..half].copy_from_slice(&input[..half]);
    conn.advance_read(half);
    let mut rest = &input[half..];
    let mut out = Vec::new();
    for round in 0..100_000 {
        conn.process(&handler, &ctx);
        if !rest.is_empty() && (round > 0 || conn.output().is_empty()) {
            if let Some(buf) = conn.read_buf(&mut pool) {
                let n = buf.len().min(rest.len());
                buf[..n].copy_from_slice(&rest[..n]);
                conn.advance_read(n);
                rest = &rest[n..];
                continue;
            }
        }
        let chunk = chunks[round % chunks.len()];
        let before = out.len();
        if vectored {
            let mut slices = [std::io::IoSlice::new(&[]); 3];
            let k = conn.output_slices(&mut slices);
            for slice in &slices[..k] {
                let take = slice.len().min(chunk - (out.len() - before));
                out.extend_from_slice(&slice[..take]);
                if out.len() - before == chunk {
                    break;
                }
            }
        } else {
            let next = conn.output();
            out.extend_from_slice(&next[..next.len().min(chunk)]);
        }
        conn.advance_write(out.len() - before);
        if out.len() == before && rest.is_empty() {
            break;
        }
    }
    assert_eq!(conn.phase(), Phase::Idle);
    assert!(conn.output().is_empty());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Responses of any size, with large bodies queued instead of copied,
    /// come out byte for byte as `encode` writes them, in order, however the
    /// writer takes them (plain or vectored, any amount at a time).
    #[test]
    fn large_bodies_keep_their_place_in_the_output(
        sizes in prop::collection::vec(
            (prop_oneof![
                0..64usize,
                SPLICE_MIN - 2..SPLICE_MIN + 2,
                SPLICE_MIN..3 * SPLICE_MIN,
            ], any::<bool>()),
            1..6,
        ),
        chunks in prop::collection::vec(1..40_000usize, 1..6),
        vectored in any::<bool>(),
    ) {
        let ctx = ctx();
        let mut expected = Vec::new();
        for &(n, head) in &sizes {
            let resp = ResponseBuilder::empty_200().body(pattern(n)).build().unwrap();
            let wire = Wire {
                head_request: head,
                close: false,
                http10_keep_alive: false,
                stamp: ctx.stamp,
            };
            encode(&resp, &wire, &mut expected);
        }
        let out = drain_sized(&sizes, &chunks, vectored);
        prop_assert_eq!(out.len(), expected.len());
        prop_assert!(out == expected);
    }

    /// (a) No bytes, however split, make `Conn` panic; the output is whole
    /// responses, nothing after a rejection; and the split does not matter.
    #[test]
    fn arbitrary_bytes_never_panic(
        data in noisy_bytes(),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
        small in any::<bool>(),
        write_chunk in 1usize..64,
    ) {
        let limits = if small { small_limits() } else { Limits::default() };
        let whole = drive(limits, &[&data[..]], usize::MAX);
        let split = drive(limits, &pieces(&data, &cuts), write_chunk);
        let heads = |run: &Run| -> Vec<bool> { run.seen.iter().map(|s| s.method == "HEAD").collect() };
        let a = responses(&whole.output, &mut heads(&whole).into_iter());
        let b = responses(&split.output, &mut heads(&split).into_iter());
        prop_assert_eq!(a, b);
        prop_assert_eq!(whole.seen, split.seen);
        prop_assert_eq!(whole.close, split.close);
    }

    /// (b) Valid pipelined requests split anywhere reach the handler as they
    /// were sent, and are answered alike, in order.
    #[test]
    fn valid_requests_survive_any_split(
        reqs in prop::collection::vec(request(), 1..=4),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
        write_chunk in 1usize..64,
    ) {
        let (whole, split) = whole_and_split(&reqs, &cuts, write_chunk)?;
        let strip = |out: &[u8]| -> Vec<u8> {
            let mut heads = reqs.iter().map(|r| r.seen.method == "HEAD");
            let _ = responses(out, &mut heads);
            // Same bytes once interim responses are removed (only the split
            // run may have sent a 100 before the body arrived).
            let mut rest = out;
            let mut kept = Vec::new();
            while let Some(i) = find(rest, CONTINUE) {
                kept.extend_from_slice(&rest[..i]);
                rest = &rest[i + CONTINUE.len()..];
            }
            kept.extend_from_slice(rest);
            kept
        };
        prop_assert_eq!(strip(&whole.output), strip(&split.output));
        // A 100 goes only to a request that asked for one.
        let asked = reqs.iter().filter(|r| r.expect_continue).count();
        prop_assert!(count(&split.output, CONTINUE) <= asked);
        prop_assert_eq!(split.close, Some(CloseReason::ClientClosed));
    }

    /// (b) Heads that repeat (the same bytes again, with another body of
    /// the same length: "Repeated heads" in `conn`), pipelined and split
    /// anywhere, reach the handler as they were sent, and are answered as
    /// they would be one by one on new connections.
    #[test]
    fn repeated_heads_are_seen_as_sent(
        pool in prop::collection::vec(request(), 1..=3),
        picks in prop::collection::vec((any::<Index>(), any::<u8>()), 1..12),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
        write_chunk in 1usize..64,
    ) {
        let reqs: Vec<Req> = picks
            .iter()
            .map(|(i, salt)| {
                let mut req = pool[i.index(pool.len())].clone();
                // A Content-Length body changes, its head stays the same.
                let n = req.seen.body.len();
                if n > 0 && req.bytes.ends_with(&req.seen.body) {
                    let at = req.bytes.len() - n;
                    for b in &mut req.seen.body {
                        *b ^= salt;
                    }
                    req.bytes[at..].copy_from_slice(&req.seen.body);
                }
                req
            })
            .collect();
        let (whole, _split) = whole_and_split(&reqs, &cuts, write_chunk)?;
        // Each answer is the one a new connection gives to that request alone.
        let mut heads = reqs.iter().map(|r| r.seen.method == "HEAD");
        let together = responses(&whole.output, &mut heads);
        for (req, resp) in reqs.iter().zip(&together) {
            let alone = drive(Limits::default(), &[&req.bytes[..]], usize::MAX);
            let mut head = std::iter::once(req.seen.method == "HEAD");
            let alone = responses(&alone.output, &mut head);
            prop_assert_eq!(alone.len(), 1);
            prop_assert_eq!(resp.status, alone[0].status);
            prop_assert_eq!(&resp.body, &alone[0].body);
        }
    }

    /// (b) Large bodies (up to twice the largest input buffer), pipelined
    /// with small requests and split anywhere, reach the handler whole and
    /// in order, and every request after them is answered, also when their
    /// echoes fill the output past its high-water mark.
    #[test]
    fn large_request_bodies_survive_any_split(
        sizes in prop::collection::vec(
            prop_oneof![0usize..64, 16_000usize..17_000, 60_000usize..140_000],
            1..=4,
        ),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
        write_chunk in 1usize..4096,
    ) {
        let reqs: Vec<Req> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let body: Vec<u8> = (0..n).map(|j| (i * 7 + j % 251) as u8).collect();
                let mut bytes = format!(
                    "POST /{i} HTTP/1.1\r\nHost: h\r\nContent-Length: {n}\r\n\r\n"
                )
                .into_bytes();
                bytes.extend_from_slice(&body);
                let headers = vec![
                    ("Host".to_owned(), "h".to_owned()),
                    ("Content-Length".to_owned(), n.to_string()),
                ];
                Req {
                    seen: Seen { method: "POST".into(), target: format!("/{i}"), headers, body },
                    bytes,
                    expect_continue: false,
                }
            })
            .collect();
        let data = pipeline(&reqs);
        let whole = drive(Limits::default(), &[&data[..]], usize::MAX);
        let split = drive(Limits::default(), &pieces(&data, &cuts), write_chunk);
        let sent: Vec<Seen> = reqs.iter().map(|r| r.seen.clone()).collect();
        for (name, run) in [("whole", &whole), ("split", &split)] {
            prop_assert_eq!(run.seen.len(), sent.len(), "{}: requests seen", name);
            for (i, (got, want)) in run.seen.iter().zip(&sent).enumerate() {
                let first_diff = got.body.iter().zip(&want.body).position(|(a, b)| a != b);
                prop_assert!(
                    got.body == want.body && got.target == want.target,
                    "{}: request {} body of {} bytes, {} sent, first difference at {:?}",
                    name, i, got.body.len(), want.body.len(), first_diff
                );
            }
        }
        check_echoes(&reqs, &whole)?;
        check_echoes(&reqs, &split)?;
        prop_assert!(whole.output == split.output, "whole and split runs answer alike");
    }

    /// (c) A request serialised and parsed back by the server has the same
    /// method, target, fields and body.
    #[test]
    fn request_round_trip(req in request()) {
        let run = drive(Limits::default(), &[&req.bytes[..]], usize::MAX);
        prop_assert_eq!(run.seen, vec![req.seen]);
    }

    /// (c) A response built by `ResponseBuilder` and encoded by the server is
    /// read back by `httparse` with the same status, reason, fields and body.
    #[test]
    fn response_round_trip(
        status in 200u16..=999,
        reason in prop::option::of("[A-Za-z][A-Za-z ]{0,10}[A-Za-z]"),
        fields in prop::collection::vec(field(), 0..6),
        body in prop::collection::vec(any::<u8>(), 0..64),
        head in any::<bool>(),
    ) {
        let body = if matches!(status, 204 | 304) { Vec::new() } else { body };
        let mut builder = ResponseBuilder::new().status(status).body(body.clone());
        if let Some(reason) = &reason {
            builder = builder.reason(reason);
        }
        for (name, value) in &fields {
            builder = builder.header(name, value);
        }
        let resp = builder.build().unwrap();
        let expected_reason = resp.reason().to_owned();

        let mut pool = BufferPool::default();
        let mut conn = Conn::new(Limits::default(), "127.0.0.1:9".parse().unwrap());
        let raw: &[u8] = if head {
            b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
        } else {
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        };
        conn.read_buf(&mut pool).unwrap()[..raw.len()].copy_from_slice(raw);
        conn.advance_read(raw.len());
        conn.process(&|_: &Request| resp.clone(), &ctx());

        let mut parsed_fields = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Response::new(&mut parsed_fields);
        let out = conn.output();
        let httparse::Status::Complete(len) = parsed.parse(out).unwrap() else {
            panic!("incomplete");
        };
        prop_assert_eq!(parsed.version, Some(1));
        prop_assert_eq!(parsed.code, Some(status));
        prop_assert_eq!(parsed.reason, Some(expected_reason.as_str()));
        let own = ["content-length", "date", "keep-alive", "connection"];
        let theirs: Vec<(String, String)> = parsed
            .headers
            .iter()
            .filter(|h| !own.iter().any(|o| h.name.eq_ignore_ascii_case(o)))
            .map(|h| (h.name.to_owned(), String::from_utf8(h.value.to_vec()).unwrap()))
            .collect();
        prop_assert_eq!(&theirs, &fields);
        let value = |name: &str| {
            parsed.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value)
        };
        prop_assert_eq!(value("date"), Some(DATE));
        if matches!(status, 204 | 304) {
            prop_assert_eq!(value("content-length"), None);
        } else {
            let cl = body.len().to_string();
            prop_assert_eq!(value("content-length"), Some(cl.as_bytes()));
        }
        let sent_body = if head || matches!(status, 204 | 304) { &[][..] } else { &body[..] };
        prop_assert_eq!(&out[len..], sent_body);
    }

    /// (d) Chunking a body any way, with extensions, then decoding it in any
    /// pieces gives the body back; bytes after the message are not used; a
    /// body over the limit is refused exactly when it is over.
    #[test]
    fn chunked_decoder_inverts_chunking(
        body in prop::collection::vec(any::<u8>(), 0..512),
        sizes in prop::collection::vec(any::<Index>(), 0..10),
        exts in prop::collection::vec(
            prop::option::of("[ \t]{0,2};[a-z]{1,5}(=(\"[ -~]{0,5}\"|[a-z0-9]{0,5}))?"), 11),
        trailer in any::<bool>(),
        cuts in prop::collection::vec(any::<Index>(), 0..6),
        max_body in 0u64..600,
    ) {
        let mut encoded = chunk(&body, &sizes, &exts, trailer);
        let len = encoded.len();
        encoded.extend_from_slice(b"GET / HTTP/1.1\r\n");
        let mut dec = BodyDecoder::new(BodyLength::Chunked).unwrap();
        let mut out = Vec::new();
        let mut used = 0;
        let mut result = Ok(false);
        for piece in pieces(&encoded, &cuts) {
            match dec.decode(piece, &mut out, max_body) {
                Ok((n, done)) => {
                    used += n;
                    prop_assert!(n == piece.len() || done, "stopped early");
                    if done {
                        result = Ok(true);
                        break;
                    }
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if body.len() as u64 > max_body {
            prop_assert_eq!(result, Err(Error::BodyTooLarge));
        } else {
            prop_assert_eq!(result, Ok(true));
            prop_assert_eq!(used, len);
            prop_assert_eq!(out, body);
        }
    }

    /// (e) Every bad input of the policy gets its status with
    /// `Connection: close` and nothing after it, however it is split, after
    /// any number of good requests on the same connection.
    #[test]
    fn bad_inputs_get_their_status(
        (raw, status) in bad(),
        before in prop::collection::vec(request(), 0..3),
        cuts in prop::collection::vec(any::<Index>(), 0..6),
        write_chunk in 1usize..256,
    ) {
        let mut data = pipeline(&before);
        data.extend_from_slice(&raw);
        data.extend_from_slice(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
        let run = drive(Limits::default(), &pieces(&data, &cuts), write_chunk);
        let mut heads = before.iter().map(|r| r.seen.method == "HEAD");
        let resps = responses(&run.output, &mut heads);
        prop_assert_eq!(resps.len(), before.len() + 1, "{:?}", resps);
        let last = resps.last().unwrap();
        prop_assert_eq!(last.status, status);
        prop_assert_eq!(last.header("connection"), Some(&b"close"[..]));
        prop_assert!(matches!(run.close, Some(CloseReason::Rejected(e)) if e.status() == status));
        prop_assert!(run.seen.iter().all(|s| s.target != "/after"));
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

// ---------------------------------------------------------------- regressions

/// Requests behind a response above the output high-water mark wait in the
/// input; `held` says so, and they are answered once the output is gone.
/// A connection that has received a request for 300 000 bytes and one for 7
/// (and then the end of input, if `eof`), and has answered the first: the
/// second is held behind the output's high-water mark.
fn holding_a_request(eof: bool) -> Conn {
    let mut pool = BufferPool::default();
    let mut conn = Conn::new(Limits::default(), "127.0.0.1:9".parse().unwrap());
    let raw = b"GET /300000 HTTP/1.1\r\nHost: x\r\n\r\nGET /7 HTTP/1.1\r\nHost: x\r\n\r\n";
    let buf = conn.read_buf(&mut pool).unwrap();
    buf[..raw.len()].copy_from_slice(raw);
    conn.advance_read(raw.len());
    if eof {
        conn.read_eof();
    }
    conn.process(&sized, &ctx());
    assert!(conn.held());
    assert!(!conn.wants_read());
    conn
}

/// Everything the connection has to write, taken as a writer would.
fn drain(conn: &mut Conn) -> Vec<u8> {
    let mut out = Vec::new();
    while !conn.output().is_empty() {
        let n = conn.output().len();
        out.extend_from_slice(conn.output());
        conn.advance_write(n);
    }
    out
}

/// Feeds `raw` to `conn` (buffers from `pool`), answers it, hands the
/// buffers back, and returns what it wrote.
fn exchange(conn: &mut Conn, pool: &mut BufferPool, raw: &[u8]) -> Vec<u8> {
    let buf = conn.read_buf(pool).unwrap();
    buf[..raw.len()].copy_from_slice(raw);
    conn.advance_read(raw.len());
    conn.process(&sized, &ctx());
    let out = drain(conn);
    conn.release(pool);
    out
}

/// A head repeated on a connection whose limits are stricter (buffers from
/// the same pool, where the head's parse is kept) is judged by those limits.
#[test]
fn a_repeated_head_is_judged_by_its_connections_limits() {
    let mut pool = BufferPool::default();
    let raw = b"GET /5 HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n";
    let peer = "127.0.0.1:9".parse().unwrap();
    let mut roomy = Conn::new(Limits::default(), peer);
    assert!(exchange(&mut roomy, &mut pool, raw).starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(exchange(&mut roomy, &mut pool, raw).starts_with(b"HTTP/1.1 200 OK\r\n"));
    let strict = Limits {
        max_headers: 2,
        ..Limits::default()
    };
    let mut tight = Conn::new(strict, peer);
    let out = exchange(&mut tight, &mut pool, raw);
    assert!(
        out.starts_with(b"HTTP/1.1 431 "),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // And the roomy connection's next repeat is parsed (and allowed) again.
    let mut roomy = Conn::new(Limits::default(), peer);
    assert!(exchange(&mut roomy, &mut pool, raw).starts_with(b"HTTP/1.1 200 OK\r\n"));
}

/// A head like the last one (the same request line and field, then one
/// more field) is parsed, not taken for the last one.
#[test]
fn a_head_that_differs_from_the_last_one_is_parsed_anew() {
    let mut pool = BufferPool::default();
    let mut conn = Conn::new(Limits::default(), "127.0.0.1:9".parse().unwrap());
    let first = b"GET /5 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert!(exchange(&mut conn, &mut pool, first).starts_with(b"HTTP/1.1 200 OK\r\n"));
    let again = b"GET /5 HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n";
    let out = exchange(&mut conn, &mut pool, again);
    assert!(
        out.starts_with(b"HTTP/1.1 400 "),
        "{}",
        String::from_utf8_lossy(&out)
    );
}

#[test]
fn requests_held_at_the_high_water_mark_are_answered_after_it() {
    let handler = sized;
    let ctx = ctx();
    let mut conn = holding_a_request(false);
    let out = drain(&mut conn);
    assert_eq!(conn.phase(), Phase::Head);
    assert!(out.ends_with(&pattern(300_000)));
    conn.process(&handler, &ctx);
    assert!(!conn.held());
    assert!(conn.output().ends_with(&pattern(7)));
}

/// Found by `large_request_bodies_survive_any_split`:
/// 1. a client sends a request whose response is over the output high-water
///    mark, a second request, and then its FIN, all before the server reads;
/// 2. the first response fills the output, the second request is held;
/// 3. the end of input closed the connection at once, and the held request
///    was never answered.
///
/// Now the end of input closes the connection after the held requests.
#[test]
fn requests_held_at_the_high_water_mark_are_answered_at_end_of_input() {
    let handler = sized;
    let ctx = ctx();
    let mut conn = holding_a_request(true);
    let mut out = Vec::new();
    for _ in 0..3 {
        out.extend(drain(&mut conn));
        conn.process(&handler, &ctx);
    }
    assert!(out.ends_with(&pattern(7)), "the held request is answered");
    assert_eq!(conn.phase(), Phase::Closed);
    assert_eq!(conn.close_reason(), Some(CloseReason::ClientClosed));
}

/// Found by `fuzz/` (target `conn`):
/// 1. a partial head of 100 valid method bytes arrives and is checked (fine);
/// 2. `PUT\0…` arrives: the buffer has not doubled, so it is not checked;
/// 3. the client closes: the connection closed silently, where the same
///    bytes in one read got a 400 — the answer depended on the split.
///
/// Now a partial head is checked once more when the input ends.
#[test]
fn garbage_partial_head_at_eof_is_400_whatever_the_split() {
    let mut data = vec![b'H'; 100];
    data.extend_from_slice(b"PUT\0\0\0\0xa");
    for run in [
        drive(Limits::default(), &[&data[..]], usize::MAX),
        drive(Limits::default(), &[&data[..100], &data[100..]], usize::MAX),
    ] {
        assert!(run.output.starts_with(b"HTTP/1.1 400 "), "{run:?}");
        assert_eq!(
            run.close,
            Some(CloseReason::Rejected(Error::Malformed(
                httparse::Error::Token
            )))
        );
    }
}

/// A head over the limit with garbage early in it got 431 when it arrived in
/// one read (the size was checked first) and 400 when its start arrived
/// first (the partial check saw the garbage). Now the first
/// `max_head_bytes` are always checked before a 431.
#[test]
fn oversized_garbage_head_is_400_whatever_the_split() {
    let mut data = b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n".to_vec();
    data.extend(std::iter::repeat_n(b'a', 700));
    let complete = [&data[..], &b"\r\n\r\n"[..]].concat();
    for bytes in [&data, &complete] {
        for run in [
            drive(small_limits(), &[&bytes[..]], usize::MAX),
            drive(small_limits(), &[&bytes[..30], &bytes[30..]], usize::MAX),
        ] {
            assert!(run.output.starts_with(b"HTTP/1.1 400 "), "{run:?}");
        }
    }
    // Without the garbage it is 431, in one read or two.
    let clean = [
        &b"GET / HTTP/1.1\r\nHost: x\r\nX: "[..],
        &[b'a'; 700][..],
        &b"\r\n\r\n"[..],
    ]
    .concat();
    for run in [
        drive(small_limits(), &[&clean[..]], usize::MAX),
        drive(small_limits(), &[&clean[..30], &clean[30..]], usize::MAX),
    ] {
        assert!(run.output.starts_with(b"HTTP/1.1 431 "), "{run:?}");
    }
}
