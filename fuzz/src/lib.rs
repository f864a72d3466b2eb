//! The harness shared by the fuzz targets: drives a [`Conn`] with byte
//! pieces, records what the handler saw, and checks the output as a client
//! would read it (with `httparse::Response`, a parser independent of ours).
//!
//! Invariants checked on every run (any failure panics, which libFuzzer
//! reports as a crash):
//! - `Conn` never panics, whatever the bytes and however they are split;
//! - the output is a sequence of complete `HTTP/1.1` responses, each with a
//!   valid status, exactly one `Date` (the constant of [`ctx`]), and framing
//!   that delimits it (`Content-Length` except on 1xx/204/304, no body for
//!   `HEAD`);
//! - the `n`-th 200 answers the `n`-th handler call and echoes its body;
//! - a 4xx/5xx rejection says `Connection: close` and nothing follows it;
//! - at the end (input closed, output drained) the connection is `Closed`.

pub mod tls;

use std::cell::RefCell;

use std::sync::LazyLock;

use mini_async_http::proto::{BufferPool, Conn, Ctx, Limits, Phase, Stamp};
use mini_async_http::{Method, Request, Response, ResponseBuilder};

/// The constant `Date` value, so that two runs give byte-identical output.
pub const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

/// The interim response `Conn` sends for `Expect: 100-continue`.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The context every run uses.
#[must_use]
pub fn ctx() -> Ctx<'static> {
    static STAMP: LazyLock<Stamp> = LazyLock::new(|| Stamp::new(DATE, Some(5)));
    Ctx::new(&STAMP)
}

/// Small limits, so that short inputs reach the 413/431 paths too.
#[must_use]
pub fn small_limits() -> Limits {
    Limits {
        max_head_bytes: 512,
        max_headers: 8,
        max_body_bytes: 256,
    }
}

/// What the handler was given, for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The method token.
    pub method: String,
    /// The request-target.
    pub target: String,
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: &'static str,
    /// Every field, in order.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
}

impl Seen {
    fn of(req: &Request) -> Seen {
        Seen {
            method: req.method().as_str().to_owned(),
            target: req.target().to_owned(),
            version: req.version().as_str(),
            headers: req
                .headers()
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            body: req.body().to_vec(),
        }
    }
}

/// The result of one run.
#[derive(Debug)]
pub struct Run {
    /// Every byte the connection wrote.
    pub output: Vec<u8>,
    /// Every request the handler got, in order.
    pub seen: Vec<Seen>,
    /// Requests whose head was parsed.
    pub requests: u64,
    /// Why the connection stopped reading, as text.
    pub close_reason: String,
}

/// How the output is taken from the connection.
#[derive(Clone, Copy, Debug)]
pub struct Writes {
    /// Bytes taken per `advance_write`.
    pub chunk: usize,
    /// Chunks taken after each piece of input (the rest waits, as it would
    /// for a slow client); everything is taken at the end.
    pub per_step: usize,
}

impl Writes {
    /// Take everything at once.
    pub const ALL: Writes = Writes {
        chunk: usize::MAX,
        per_step: usize::MAX,
    };
}

/// The trivial handler: 200 with the request body, recording the request.
fn echo(seen: &RefCell<Vec<Seen>>) -> impl Fn(&Request) -> Response + '_ {
    move |req: &Request| {
        seen.borrow_mut().push(Seen::of(req));
        ResponseBuilder::empty_200()
            .body(req.body().to_vec())
            .build()
            .expect("a plain 200 builds")
    }
}

/// Feeds `pieces` to a fresh connection, processing after each, taking the
/// output as `writes` says; then closes the input and takes everything.
///
/// # Panics
/// When the connection breaks an invariant of its phase or does not end
/// `Closed`.
#[must_use]
pub fn drive(limits: Limits, pieces: &[&[u8]], writes: Writes) -> Run {
    let seen = RefCell::new(Vec::new());
    let handler = echo(&seen);
    let ctx = ctx();
    let mut pool = BufferPool::default();
    let mut conn = Conn::new(limits, "127.0.0.1:4000".parse().expect("address"));
    let mut output = Vec::new();
    for piece in pieces {
        let mut piece = *piece;
        while !piece.is_empty() {
            let Some(buf) = conn.read_buf(&mut pool) else {
                // No room, or no more input wanted: let the connection make
                // progress and try once more; if it still wants nothing, the
                // rest is dropped (as a closing server would).
                conn.process(&handler, &ctx);
                take(&mut conn, &mut output, Writes::ALL);
                if conn.read_buf(&mut pool).is_none() {
                    break;
                }
                continue;
            };
            assert!(!buf.is_empty(), "read_buf gave an empty slice");
            let n = buf.len().min(piece.len());
            buf[..n].copy_from_slice(&piece[..n]);
            conn.advance_read(n);
            piece = &piece[n..];
        }
        conn.process(&handler, &ctx);
        check_phase(&conn);
        take(&mut conn, &mut output, writes);
        conn.release(&mut pool);
    }
    conn.read_eof();
    conn.process(&handler, &ctx);
    take(&mut conn, &mut output, Writes::ALL);
    assert_eq!(
        conn.phase(),
        Phase::Closed,
        "not closed after EOF and drain"
    );
    conn.release(&mut pool);
    assert!(conn.output().is_empty());
    drop(handler);
    Run {
        output,
        seen: seen.into_inner(),
        requests: conn.requests(),
        close_reason: format!("{:?}", conn.close_reason()),
    }
}

fn check_phase(conn: &Conn) {
    let phase = conn.phase();
    assert_eq!(
        phase == Phase::Write,
        !conn.output().is_empty(),
        "phase {phase:?} with {} bytes of output",
        conn.output().len()
    );
}

fn take(conn: &mut Conn, output: &mut Vec<u8>, writes: Writes) {
    for _ in 0..writes.per_step {
        let out = conn.output();
        if out.is_empty() {
            break;
        }
        let n = out.len().min(writes.chunk.max(1));
        output.extend_from_slice(&out[..n]);
        conn.advance_write(n);
    }
}

/// One response read back from the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The status code.
    pub status: u16,
    /// Its bytes, head and body.
    pub raw: Vec<u8>,
}

/// Reads `run.output` back as a client would, checking every invariant of
/// the module doc; returns the responses.
///
/// # Panics
/// When an invariant does not hold.
#[must_use]
pub fn check(run: &Run) -> Vec<Parsed> {
    let out = &run.output[..];
    if !out.is_empty() {
        assert!(
            out.starts_with(b"HTTP/1.1 "),
            "output starts {:?}",
            lossy(out)
        );
    }
    let mut answered = run.seen.iter();
    let mut responses = Vec::new();
    let mut at = 0;
    while at < out.len() {
        if let Some(rejected) = responses.last().filter(|p: &&Parsed| p.status >= 400) {
            panic!(
                "output after a {} rejection: {:?}",
                rejected.status,
                lossy(&out[at..])
            );
        }
        let (parsed, len) = parse_one(&out[at..], &mut answered);
        at += len;
        responses.push(parsed);
    }
    assert!(
        answered.next().is_none(),
        "the handler answered more requests than there are 200s"
    );
    assert!(run.requests >= run.seen.len() as u64);
    responses
}

/// Parses one response at the start of `out`; returns it and its length.
fn parse_one<'a>(out: &[u8], answered: &mut impl Iterator<Item = &'a Seen>) -> (Parsed, usize) {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut headers);
    let head_len = match resp.parse(out) {
        Ok(httparse::Status::Complete(n)) => n,
        other => panic!("bad response head ({other:?}): {:?}", lossy(out)),
    };
    assert_eq!(resp.version, Some(1), "not HTTP/1.1: {:?}", lossy(out));
    let status = resp.code.expect("a status");
    assert!((100..=999).contains(&status), "status {status}");
    let field = |name: &str| -> Vec<&[u8]> {
        resp.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
            .collect()
    };
    let content_length = field("content-length");
    let body_len = if status == 100 {
        assert_eq!(&out[..head_len], CONTINUE, "a 100 has fields");
        0
    } else {
        assert_eq!(field("date"), [DATE], "Date of a {status}");
        if status == 204 || status == 304 {
            assert!(content_length.is_empty(), "Content-Length on {status}");
            0
        } else {
            let [cl] = content_length[..] else {
                panic!("{status} without one Content-Length: {:?}", lossy(out));
            };
            let cl: usize = std::str::from_utf8(cl)
                .ok()
                .and_then(|s| s.parse().ok())
                .expect("a decimal Content-Length");
            if status == 200 {
                let req = answered.next().expect("a 200 without a handler call");
                assert_eq!(cl, req.body.len(), "Content-Length of the echo");
                if req.method == Method::Head.as_str() {
                    0
                } else {
                    assert_eq!(&out[head_len..head_len + cl], &req.body[..], "echoed body");
                    cl
                }
            } else {
                cl
            }
        }
    };
    if status >= 400 {
        assert_eq!(
            field("connection"),
            [&b"close"[..]],
            "rejection without close"
        );
    }
    let len = head_len + body_len;
    assert!(
        len <= out.len(),
        "response body cut short: {:?}",
        lossy(out)
    );
    (
        Parsed {
            status,
            raw: out[..len].to_vec(),
        },
        len,
    )
}

/// The responses without interim 100s, back to back: what two runs must
/// agree on (a `100 Continue` depends on whether body bytes had arrived with
/// the head, which depends on the split).
#[must_use]
pub fn final_responses(responses: &[Parsed]) -> Vec<u8> {
    responses
        .iter()
        .filter(|p| p.status != 100)
        .flat_map(|p| p.raw.iter().copied())
        .collect()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned()
}
