//! One connection's state machine, without the socket: received bytes go in
//! ([`Conn::read_buf`], [`Conn::advance_read`], [`Conn::read_eof`]), complete
//! requests go to the handler ([`Conn::process`]), and response bytes come out
//! ([`Conn::output`], [`Conn::advance_write`]). The server asks [`Conn::phase`]
//! which readiness and which deadline the connection needs next.
//!
//! ```text
//!            bytes of a head                 head parsed, body to read
//!   Idle ───────────────────▶ Head ───────────────────────────────▶ Body
//!    ▲                         │ head without body                   │ body complete
//!    │                         ▼                                     ▼
//!    └──────── written ──── handler → response bytes (Write) ◀───────┘
//!                              │      ▲      │
//!                              │      │      │ streamed body: the server pulls its
//!                              │      │      │ source as the socket takes it; a
//!                              │      │      ▼ channel with nothing in it:
//!                              │      └─ Waiting (woken by its producer)
//!                              │ close after it (error, Connection: close, HTTP/1.0,
//!                              ▼ a close-delimited or failed body)
//!                        Closing (half-close, linger) → Closed
//! ```
//!
//! Pipelining: `process` answers every complete request in the buffer, in
//! order, encoding all responses into one output buffer, so the server writes
//! them with one call. A body of [`SPLICE_MIN`] bytes or more is not copied
//! into that buffer: it stays where the handler put it and is queued at its
//! place in the output, which then comes out in several slices
//! ([`Conn::output_slices`], for one vectored write).
//!
//! Large bodies: given a spool in its [`Ctx`], a connection moves a body
//! over the spool's threshold out of memory as it decodes it (`spool.rs`).
//!
//! Streamed bodies (a file, a reader, a channel) are queued the same way,
//! framed here (see the response body policy in the [module doc](super)) and
//! pulled by the server: when nothing is left to write but a stream is at the
//! front, the phase is [`Phase::Write`] and `Conn::stream` says what it
//! wants (at most [`STREAM_WINDOW`](super::STREAM_WINDOW) bytes); the server
//! reads them into the stream's window or sends them directly, and reports
//! with `Conn::body_pulled`, `Conn::body_sent` or `Conn::body_failed`. An
//! empty channel makes the phase [`Phase::Waiting`]. While a stream is
//! queued the output counts as over its high-water mark, so no request
//! behind it is processed (or input read) until it ends.
//!
//! Repeated heads: a client often sends the same head again (a poller, a
//! health check, a pipelining or benchmarking client). The bytes of the last
//! head parsed into the reused [`Request`] are kept with it (up to
//! `REPEAT_MAX` bytes), with the [`Head`] its parse gave and the limits it
//! was parsed under; a head that begins the input with exactly those bytes,
//! under the same limits, takes that parse without running it again. The
//! parse is a function of those bytes and limits only (its one cache, the
//! last valid `Host` of the thread, gives the same answers as the check it
//! saves), so the request, its framing and every rejection are what a new
//! parse would give; only the request's body, spool file, route and client
//! address start empty, as for any request. A head that differs costs one
//! comparison that stops at the first differing byte, and a copy of the head
//! once it is parsed; after `REPEAT_TRIES` heads in a row that did not
//! repeat, a head is kept only every `REPEAT_PROBE`th time, so a client
//! whose heads all differ (a browser, a proxy adding a request id) pays
//! little more than a store. Measured in BENCHMARKS.md: most of the kit's
//! loads send one head over and over, so they gain the most (`pipe16v` is
//! the same load with heads that never repeat).
//!
//! The buffers are the worker's, so the last head may be another
//! connection's. What a client can learn from that is whether its own head
//! is that one byte for byte (a hit is faster), and, from the time the
//! comparison takes, roughly how long a prefix they share: as before this,
//! when the field block alone was compared with the last one
//! (`Headers::set_block`). No byte of one connection's head reaches
//! another's request.
//!
//! | rule | effect | test (`proto/proptests.rs`) |
//! |---|---|---|
//! | the head is the last one's bytes, under the same limits | the last parse, with the request's own body, spool file, route, peer and client address | `repeated_heads_are_seen_as_sent` |
//! | the same bytes under other limits (another connection's buffers) | parsed: those limits judge it (`431`, …) | `a_repeated_head_is_judged_by_its_connections_limits` |
//! | any byte differs | parsed | `a_head_that_differs_from_the_last_one_is_parsed_anew` |
//! | a partial or a rejected head | nothing kept: the next head is parsed | `valid_requests_survive_any_split`, `bad_inputs_get_their_status` |
//!
//! Memory: an idle connection holds no buffer. [`Buffers`] (input, output and
//! the reused [`Request`]) come from a per-worker [`BufferPool`] when bytes
//! arrive and go back to it when the connection is idle again, so a
//! keep-alive connection neither allocates per request nor holds memory
//! between requests.
//!
//! ```
//! # #[cfg(feature = "internals")] {
//! use mini_async_http::proto::{BufferPool, Conn, Ctx, Limits, Phase, Stamp};
//! use mini_async_http::ResponseBuilder;
//!
//! let mut pool = BufferPool::default();
//! let mut conn = Conn::new(Limits::default(), "127.0.0.1:1234".parse().unwrap());
//! let raw = b"GET /hi HTTP/1.1\r\nHost: x\r\n\r\n";
//! let buf = conn.read_buf(&mut pool).unwrap();
//! buf[..raw.len()].copy_from_slice(raw);
//! conn.advance_read(raw.len());
//!
//! let handler = |req: &mini_async_http::Request| {
//!     ResponseBuilder::empty_200().body(req.path()).build().unwrap()
//! };
//! let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", None);
//! let ctx = Ctx::new(&stamp);
//! conn.process(&handler, &ctx);
//! assert!(conn.output().starts_with(b"HTTP/1.1 200 OK\r\n"));
//! assert!(conn.output().ends_with(b"\r\n\r\n/hi"));
//! assert_eq!(conn.phase(), Phase::Write);
//!
//! let n = conn.output().len();
//! conn.advance_write(n);
//! conn.release(&mut pool);
//! assert_eq!(conn.phase(), Phase::Idle);
//! # }
//! ```

mod process;
mod read;
mod write;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;

use super::Error;
use super::decode::BodyDecoder;
use super::encode::Stamp;
use super::output::Output;
use super::parse::{Head, Limits};
use super::spool::{Spool, Spooling};
use super::tally::{Observer, Tally};
use crate::http::body_reader::Spooled;
use crate::http::{Request, TlsInfo, TrustedProxies};

/// Size of a new input buffer.
pub const INITIAL_INPUT: usize = 8 * 1024;
/// Output waiting to be written above which no more requests are processed
/// and no more input is read (a client that pipelines but does not read).
pub const OUTPUT_HIGH_WATER: usize = 256 * 1024;
/// Response bodies this long or longer are sent from where they are (with
/// a vectored write) rather than copied into the output buffer.
pub const SPLICE_MIN: usize = 16 * 1024;
/// Input buffer a connection may grow to while its body goes to the spool
/// (doubling from [`INITIAL_INPUT`], only when reads fill it: a slow
/// uploader's stays small); shrunk again when the buffers are pooled.
pub(crate) const SPOOL_INPUT: usize = 256 * 1024;
/// Empty lines accepted before a request line (RFC 9112 §2.2 asks for at
/// least one; clients that add one after a POST body are why).
const MAX_EMPTY_LINES: u32 = 8;
/// Capacity a pooled buffer may keep; larger ones are shrunk when pooled.
const POOLED_CAPACITY: usize = 64 * 1024;
/// Buffer sets a pool keeps.
const POOL_MAX: usize = 8;
/// Longest head whose bytes are kept to recognise it when it comes again
/// (see "Repeated heads" in the module doc).
pub(crate) const REPEAT_MAX: usize = 1024;
/// Heads in a row that did not repeat the one before them after which a
/// head is kept only every [`REPEAT_PROBE`]th time.
const REPEAT_TRIES: u32 = 2;
/// See [`REPEAT_TRIES`].
const REPEAT_PROBE: u32 = 32;

/// The memory a connection needs only while it has bytes in flight.
#[derive(Debug)]
pub struct Buffers {
    /// Received bytes; always fully initialised (`len` is the capacity in use).
    input: Vec<u8>,
    /// Start of the bytes not yet used.
    start: usize,
    /// End of the bytes received.
    end: usize,
    /// Encoded responses, and the bodies queued among them.
    out: Output,
    /// The request being read, reused for every request.
    request: Request,
    /// The spool file of the last request answered, closed once its
    /// response is written (or the job ends: [`Conn::release`]). Closing a
    /// large one frees its page cache (about 0.2 s per GiB), which the
    /// client need not wait for.
    ended_spool: Option<Spooled>,
    /// What happened since the server last asked ([`Conn::take_tally`]);
    /// kept here, not in [`Conn`], so an idle connection does not pay for it.
    tally: Tally,
    /// The bytes of the last head parsed into `request`, while `request`
    /// holds that parse, with its [`Head`] and the limits it was parsed
    /// under; `None` otherwise (see "Repeated heads" in the module doc).
    last_head: Option<(Head, Limits)>,
    last_head_bytes: Vec<u8>,
    /// Heads parsed since one last repeated the head before it.
    unrepeated: u32,
}

impl Buffers {
    fn new() -> Buffers {
        Buffers {
            input: vec![0; INITIAL_INPUT],
            start: 0,
            end: 0,
            out: Output::with_capacity(INITIAL_INPUT),
            request: Request::default(),
            ended_spool: None,
            tally: Tally::default(),
            last_head: None,
            last_head_bytes: Vec::new(),
            unrepeated: 0,
        }
    }

    /// Output waiting, for the high-water mark; a streamed body counts as
    /// reaching it, so that nothing is encoded behind one (its length may be
    /// unknown) until it ends.
    fn pending_output(&self) -> usize {
        self.out.load(OUTPUT_HIGH_WATER)
    }
}

/// Spare `Buffers`, one pool per worker thread.
#[derive(Debug, Default)]
#[allow(clippy::vec_box)] // boxes move into a `Conn` without copying
pub struct BufferPool {
    spare: Vec<Box<Buffers>>,
}

impl BufferPool {
    fn take(&mut self) -> Box<Buffers> {
        self.spare.pop().unwrap_or_else(|| Box::new(Buffers::new()))
    }

    fn give(&mut self, mut bufs: Box<Buffers>) {
        if self.spare.len() >= POOL_MAX {
            return;
        }
        bufs.start = 0;
        bufs.end = 0;
        bufs.out.clear();
        // What the request holds of its own goes; its head stays, for the
        // next connection to repeat (a head parsed next clears it first).
        bufs.request.clear_all_but_head();
        bufs.ended_spool = None;
        bufs.tally = Tally::default();
        if bufs.input.len() > POOLED_CAPACITY {
            bufs.input.truncate(INITIAL_INPUT);
            bufs.input.shrink_to_fit();
        }
        bufs.out.buf.shrink_to(POOLED_CAPACITY);
        bufs.request.body.shrink_to(POOLED_CAPACITY);
        self.spare.push(bufs);
    }
}

/// What the server passes to [`Conn::process`].
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    /// The `Date` value and the idle timeout announced in `Keep-Alive`.
    pub stamp: &'a Stamp,
    /// The server's shutdown flag: once set, the requests a connection has
    /// read already are answered, the last of them with `Connection:
    /// close`, and no new request is read (a body under way still is).
    /// Read after the handler returns, so a shutdown that begins while a
    /// handler runs still closes that connection.
    pub shutdown: Option<&'a AtomicBool>,
    /// Requests served on one connection before it is closed.
    pub max_requests: Option<u64>,
    /// Where bodies over its threshold go; `None` keeps every body in memory.
    pub spool: Option<&'a dyn Spool>,
    /// Told of every request and response (the server's access log).
    pub observer: Option<&'a dyn Observer>,
    /// Proxies whose forwarding header names the client
    /// ([`Request::client_ip`]); `None`: the peer is the client.
    pub proxies: Option<&'a TrustedProxies>,
}

impl<'a> Ctx<'a> {
    /// A context with this stamp, no shutdown flag and no request limit.
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
    #[must_use]
    pub fn new(stamp: &'a Stamp) -> Ctx<'a> {
        Ctx {
            stamp,
            shutdown: None,
            max_requests: None,
            spool: None,
            observer: None,
            proxies: None,
        }
    }
}

/// What a connection needs next, for the server's readiness and deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Nothing buffered or pending: waiting for the next (or first) request.
    Idle,
    /// Part of a request head has arrived.
    Head,
    /// The head has been parsed; its body is arriving.
    Body,
    /// Response bytes are waiting for the socket to take them, or a
    /// streamed body needs its next bytes pulled ([`Conn::output_slices`]
    /// gives nothing then: the server pulls, see `Conn::stream`).
    Write,
    /// A streamed body's channel is empty: nothing to write until its
    /// producer sends (or drops its sender), which wakes the connection.
    Waiting,
    /// Everything is written and nothing more will be read: half-close the
    /// socket and discard input until the client closes (lingering close).
    Closing,
    /// Done: the socket can be closed.
    Closed,
}

/// Why a connection stopped reading; for the server's logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The client closed its side.
    ClientClosed,
    /// HTTP/1.0 without keep-alive, `Connection: close`, or the handler's
    /// `Connection: close`.
    NotKeepAlive,
    /// The request broke the policy.
    Rejected(Error),
    /// Idle past the keep-alive timeout.
    IdleTimeout,
    /// The server is shutting down.
    Shutdown,
    /// The request cap per connection was reached.
    RequestLimit,
    /// A streamed body's source failed (a read error, or fewer bytes than
    /// announced): the response cannot be completed.
    BodyFailed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    Head,
    Body { decoder: BodyDecoder, head: Head },
    Closed,
}

/// One connection's HTTP/1.1 state (see the module doc).
#[derive(Debug)]
#[allow(clippy::struct_excessive_bools)] // independent facts of one connection
pub struct Conn {
    limits: Limits,
    /// Handed to every request as its `peer_addr`.
    peer: SocketAddr,
    /// Handed to every request: the TLS session, if the server's transport
    /// has one (set once the handshake is done).
    tls: Option<TlsInfo>,
    /// `None` while idle: an idle connection holds no buffer.
    bufs: Option<Box<Buffers>>,
    reading: Reading,
    /// Bytes of the buffered head known not to contain its end.
    scanned: usize,
    /// Buffered head size at which a partial head is checked again (doubling,
    /// so checking costs O(n) in all).
    next_check: usize,
    /// The client has closed its side.
    read_eof: bool,
    /// Requests whose head has been parsed.
    requests: u64,
    /// Empty lines skipped before the current request line.
    empty_lines: u32,
    /// `process` stopped at the output high-water mark with input left:
    /// requests may be waiting in the buffer, with no new byte to come.
    held: bool,
    close_reason: Option<CloseReason>,
    /// The client may still be sending (a rejected request, bytes left
    /// unread): half-close and drain before closing, so that its unread input
    /// does not make the kernel reset the connection under the response.
    linger: bool,
    /// The body being read is going to the spool (see `spool.rs`).
    spooling: Option<Spooling>,
    /// What the last [`take_tally`](Self::take_tally) saw in progress: a
    /// spooling body, and streamed bodies queued (the metrics' gauges move
    /// by the difference).
    counted: (bool, usize),
    /// The server is shutting down: answer what has been read, read no
    /// new request.
    draining: bool,
}

impl Conn {
    /// A new connection from `peer`.
    #[must_use]
    pub fn new(limits: Limits, peer: SocketAddr) -> Conn {
        Conn {
            limits,
            peer,
            tls: None,
            bufs: None,
            reading: Reading::Head,
            scanned: 0,
            next_check: 0,
            read_eof: false,
            requests: 0,
            empty_lines: 0,
            held: false,
            close_reason: None,
            linger: false,
            spooling: None,
            counted: (false, 0),
            draining: false,
        }
    }

    /// The address of the client.
    #[must_use]
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The connection runs over TLS: its requests say so
    /// ([`Request::is_tls`]).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn set_tls(&mut self, info: TlsInfo) {
        self.tls = Some(info);
    }

    /// Whether input is waiting that [`process`](Self::process) left alone
    /// because the output was above its high-water mark: once the output has
    /// drained, call `process` again without waiting for new bytes (none may
    /// come: a pipelining client has sent everything and waits).
    #[must_use]
    pub fn held(&self) -> bool {
        self.held
    }

    /// Requests whose head has been received.
    #[must_use]
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Why the connection stopped reading, once it has.
    #[must_use]
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason
    }

    /// What the connection needs next.
    #[must_use]
    #[inline]
    pub fn phase(&self) -> Phase {
        let mut pending_in = false;
        if let Some(b) = &self.bufs {
            if !b.out.is_empty() {
                return if b.out.waiting() {
                    Phase::Waiting
                } else {
                    Phase::Write
                };
            }
            pending_in = b.start < b.end;
        }
        match self.reading {
            Reading::Closed if self.read_eof || !self.linger => Phase::Closed,
            Reading::Closed => Phase::Closing,
            Reading::Body { .. } => Phase::Body,
            Reading::Head if pending_in => Phase::Head,
            Reading::Head => Phase::Idle,
        }
    }

    /// Whether more input is wanted now (not closing, not at end of input,
    /// not draining between requests, output below its high-water mark).
    #[must_use]
    pub fn wants_read(&self) -> bool {
        self.reading != Reading::Closed
            && !self.read_eof
            && !(self.draining && self.reading == Reading::Head)
            && self
                .bufs
                .as_ref()
                .is_none_or(|b| b.pending_output() < OUTPUT_HIGH_WATER)
    }

    /// Gives the buffers back to `pool` if the connection holds nothing in
    /// them; closes the spool file of the last request answered in any case
    /// (the server calls it at the end of every job).
    pub fn release(&mut self, pool: &mut BufferPool) {
        if let Some(bufs) = &mut self.bufs {
            bufs.ended_spool = None;
        }
        if matches!(self.phase(), Phase::Idle | Phase::Closing | Phase::Closed) {
            if let Some(bufs) = self.bufs.take() {
                pool.give(bufs);
            }
        }
    }

    fn stop(&mut self, reason: CloseReason) {
        let unread = self.bufs.as_ref().is_some_and(|b| b.start < b.end);
        self.linger |= unread
            || matches!(reason, CloseReason::Rejected(_))
            || matches!(self.reading, Reading::Body { .. });
        self.reading = Reading::Closed;
        self.spooling = None;
        self.close_reason.get_or_insert(reason);
        if let Some(bufs) = &mut self.bufs {
            bufs.start = bufs.end;
        }
    }
}
