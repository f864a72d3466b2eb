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

use std::fs::File;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

use super::Error;
use super::decode::BodyDecoder;
use super::encode::{self, CONTINUE, Framing, Stamp};
use super::output::{Output, Stream, splice};
use super::parse::{self, BodyLength, Head, Limits};
use super::spool::{Spool, Spooling};
use super::tally::{Observer, Tally};
use crate::http::body_reader::Spooled;
use crate::http::{Handler, Method, Pulled, Request, Response, TlsInfo, TrustedProxies, Version};

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
        bufs.request.clear();
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

    /// What happened since the last call (responses by status class, a
    /// rejection, panics, bytes), for the server's metrics. Call it before
    /// [`release`](Self::release): the counts live in the buffers.
    ///
    /// ```
    /// # #[cfg(feature = "internals")] {
    /// use mini_async_http::proto::{BufferPool, Conn, Ctx, Limits, Stamp};
    /// use mini_async_http::ResponseBuilder;
    ///
    /// let mut pool = BufferPool::default();
    /// let mut conn = Conn::new(Limits::default(), "127.0.0.1:1234".parse().unwrap());
    /// let raw = b"GET / HTTP/1.1\r\n\r\n"; // no Host: rejected
    /// conn.read_buf(&mut pool).unwrap()[..raw.len()].copy_from_slice(raw);
    /// conn.advance_read(raw.len());
    /// let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", None);
    /// conn.process(&|_: &mini_async_http::Request| ResponseBuilder::empty_200().build().unwrap(), &Ctx::new(&stamp));
    /// let tally = conn.take_tally();
    /// assert_eq!((tally.responses[3], tally.bytes_in), (1, raw.len() as u64));
    /// assert!(tally.rejected.is_some());
    /// assert_eq!(conn.take_tally().responses, [0; 5]);
    /// # }
    /// ```
    pub fn take_tally(&mut self) -> Tally {
        let mut tally = self
            .bufs
            .as_mut()
            .map(|b| std::mem::take(&mut b.tally))
            .unwrap_or_default();
        let now = self.in_progress();
        let (spooled, streams) = std::mem::replace(&mut self.counted, now);
        match (spooled, now.0) {
            (false, true) => tally.spools[0] += 1,
            (true, false) => tally.spools[1] += 1,
            _ => {}
        }
        if now.1 > streams {
            tally.streams[0] += (now.1 - streams) as u32;
        } else {
            tally.streams[1] += (streams - now.1) as u32;
        }
        tally
    }

    /// What the last [`take_tally`](Self::take_tally) counted as in
    /// progress (a spooling body, streamed bodies): what a server that
    /// drops the connection now counts as ended.
    #[must_use]
    pub fn counted_in_progress(&self) -> (bool, usize) {
        self.counted
    }

    fn in_progress(&self) -> (bool, usize) {
        (
            self.spooling.is_some(),
            self.bufs.as_ref().map_or(0, |b| b.out.streams()),
        )
    }

    /// Whether the body being read goes to the spool (see `spool.rs`).
    #[must_use]
    pub(crate) fn spooling(&self) -> bool {
        self.spooling.is_some()
    }

    /// The next bytes on the wire are raw body for the spool: a spooled
    /// `Content-Length` body whose buffered bytes are all in the spool file
    /// already, which the server may append the next bytes to itself
    /// (`splice` from the socket, see `spool.rs`). The file and how many
    /// bytes the body still has: the server moves at most that many, then
    /// tells [`raw_body_moved`](Self::raw_body_moved).
    #[must_use]
    #[cfg_attr(not(all(feature = "splice", target_os = "linux")), allow(dead_code))]
    pub(crate) fn raw_body(&self) -> Option<(&File, u64)> {
        let Reading::Body {
            decoder: BodyDecoder::Length(remaining),
            ..
        } = self.reading
        else {
            return None;
        };
        let bufs = self.bufs.as_ref()?;
        if remaining == 0 || bufs.start < bufs.end || !self.wants_read() {
            return None;
        }
        Some((self.spooling.as_ref()?.direct_file()?, remaining))
    }

    /// The server appended `n` body bytes to the file of
    /// [`raw_body`](Self::raw_body) (at most the body's remaining length),
    /// or failed to (the next [`process`](Self::process) answers 507).
    #[cfg_attr(not(all(feature = "splice", target_os = "linux")), allow(dead_code))]
    pub(crate) fn raw_body_moved(&mut self, result: &io::Result<u64>) {
        let (
            Reading::Body {
                decoder: BodyDecoder::Length(remaining),
                ..
            },
            Some(spooling),
        ) = (&mut self.reading, &mut self.spooling)
        else {
            return;
        };
        spooling.appended_direct(result, self.peer);
        if let Ok(n) = result {
            debug_assert!(*n <= *remaining, "past the body's end");
            *remaining = remaining.saturating_sub(*n);
            if let Some(bufs) = &mut self.bufs {
                bufs.tally.bytes_in += n;
            }
        }
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

    /// Space to receive bytes into, or `None` when no input is wanted now or
    /// the buffer is full at its limit (then [`process`](Self::process)
    /// rejects the head as too large).
    pub fn read_buf(&mut self, pool: &mut BufferPool) -> Option<&mut [u8]> {
        if !self.wants_read() {
            return None;
        }
        let mut max_input = self.limits.max_head_bytes.max(INITIAL_INPUT);
        // Spool hand-off (uploadfast): a body on its way to the spool is
        // read in larger pieces (fewer reads and file writes).
        if self.spooling.is_some() {
            max_input = max_input.max(SPOOL_INPUT);
        }
        let bufs = self.bufs.get_or_insert_with(|| pool.take());
        if bufs.end == bufs.input.len() {
            if bufs.start > 0 {
                bufs.input.copy_within(bufs.start..bufs.end, 0);
                bufs.end -= bufs.start;
                bufs.start = 0;
            } else if bufs.input.len() < max_input {
                let len = (bufs.input.len() * 2).min(max_input);
                bufs.input.resize(len, 0);
            } else {
                return None;
            }
        }
        Some(&mut bufs.input[bufs.end..])
    }

    /// `n` bytes were received into the slice from [`read_buf`](Self::read_buf).
    pub fn advance_read(&mut self, n: usize) {
        if let Some(bufs) = &mut self.bufs {
            bufs.tally.bytes_in += n as u64;
            bufs.end = (bufs.end + n).min(bufs.input.len());
        }
    }

    /// The client closed its side: answer what is complete, then close.
    pub fn read_eof(&mut self) {
        self.read_eof = true;
    }

    /// The next response bytes waiting to be written: all of them, or, when
    /// a large body is queued (see [`SPLICE_MIN`]), the run up to the next
    /// boundary between the output buffer and a body. Empty only when
    /// nothing is waiting to be written now (with a streamed body at the
    /// front, its next bytes may first have to be pulled: see the module
    /// doc). (The server itself writes
    /// [`output_slices`](Self::output_slices); this is for the sans-IO users:
    /// tests, fuzz targets, benches.)
    #[must_use]
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
    pub fn output(&self) -> &[u8] {
        let Some(bufs) = &self.bufs else {
            return &[];
        };
        if let Some(run) = bufs.out.run() {
            return run;
        }
        let mut first: &[u8] = &[];
        bufs.out.each_segment(|segment| {
            first = segment;
            false
        });
        first
    }

    /// The response bytes waiting to be written, in order, as up to
    /// `slices.len()` slices for one vectored write; returns how many it
    /// filled (0 when nothing is waiting now: see [`Phase::Write`] for a
    /// streamed body that needs its next bytes pulled).
    pub fn output_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        let Some(bufs) = &self.bufs else {
            return 0;
        };
        if let Some(pending) = bufs.out.run() {
            // The usual case: one run of bytes, or nothing.
            return match slices.first_mut() {
                Some(slot) if !pending.is_empty() => {
                    *slot = IoSlice::new(pending);
                    1
                }
                _ => 0,
            };
        }
        let mut n = 0;
        let mut free = slices.iter_mut();
        bufs.out.each_segment(|segment| match free.next() {
            Some(slot) => {
                *slot = IoSlice::new(segment);
                n += 1;
                true
            }
            None => false,
        });
        n
    }

    /// `n` bytes of the output were written (counted from the first byte of
    /// [`output`](Self::output), across slices).
    pub fn advance_write(&mut self, n: usize) {
        if let Some(bufs) = &mut self.bufs {
            bufs.tally.bytes_out += n as u64;
            bufs.out.advance(n);
            if bufs.ended_spool.is_some() && bufs.out.is_empty() {
                bufs.ended_spool = None;
            }
        }
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

    /// The head or body did not arrive in time (408), or the connection was
    /// idle too long (closed without a response).
    pub fn timeout(&mut self, ctx: &Ctx<'_>) {
        match self.phase() {
            Phase::Head | Phase::Body => self.reject(Error::Timeout, ctx),
            Phase::Idle => self.stop(CloseReason::IdleTimeout),
            _ => {}
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

    /// Answers every complete request in the input, in order.
    ///
    /// Generic over the handler so that a server's handler is inlined into
    /// its workers' loop; `&dyn Fn` works too.
    pub fn process<H>(&mut self, handler: &H, ctx: &Ctx<'_>)
    where
        H: Handler + ?Sized,
    {
        self.held = false;
        while let Some(bufs) = &mut self.bufs {
            if bufs.pending_output() >= OUTPUT_HIGH_WATER {
                self.held = bufs.start < bufs.end;
                break;
            }
            let step = match self.reading {
                Reading::Closed => {
                    bufs.start = bufs.end;
                    break;
                }
                Reading::Head => self.read_head(ctx.spool),
                Reading::Body { .. } => self.read_body(ctx.spool),
            };
            match step {
                Ok(Some(head)) => {
                    self.respond(head, handler, ctx);
                    // A spooled body's file goes when its request ends,
                    // also when the handler panicked: once the response is
                    // written (spool hand-off, uploadfast).
                    if let Some(bufs) = &mut self.bufs {
                        bufs.ended_spool = bufs.request.spooled.take();
                    }
                }
                Ok(None) => break,
                Err(e) => self.reject(e, ctx),
            }
        }
        // Requests held at the high-water mark are complete and still to
        // be answered: the end of input closes the connection after them.
        if self.read_eof && self.reading != Reading::Closed && !self.held {
            self.stop(CloseReason::ClientClosed);
        }
        if let Some(bufs) = &mut self.bufs {
            if bufs.start == bufs.end {
                bufs.start = 0;
                bufs.end = 0;
            }
        }
    }

    /// Parses a head if a complete one is buffered. Returns it when the
    /// request is complete (no body); `Ok(None)` when more bytes are needed
    /// or a body follows.
    fn read_head(&mut self, spool: Option<&dyn Spool>) -> Result<Option<Head>, Error> {
        let bufs = self.bufs.as_mut().expect("buffers present");
        // RFC 9112 §2.2: ignore empty lines before the request line (a few:
        // a stream of them would otherwise keep the connection forever).
        loop {
            let n = match &bufs.input[bufs.start..bufs.end] {
                [b'\r', b'\n', ..] => 2,
                [b'\n', ..] => 1,
                _ => break,
            };
            bufs.start += n;
            self.empty_lines += 1;
            if self.empty_lines > MAX_EMPTY_LINES {
                return Err(Error::Malformed(httparse::Error::NewLine));
            }
        }
        let avail = &bufs.input[bufs.start..bufs.end];
        if avail.is_empty() || avail == b"\r" {
            return Ok(None);
        }
        // Only the first `max_head_bytes` are ever parsed, so the answer (400
        // for bytes httparse rejects, 431 for a head that does not end within
        // the limit) does not depend on how the bytes were split into reads.
        // Parse at once when the buffered head has doubled since the last try
        // (at first, always: a complete head is found and parsed in one
        // pass), else only once its end has arrived, the limit is reached or
        // the input ended: a head trickling in byte by byte costs O(n) in
        // all, and garbage is still refused early.
        let max_head = self.limits.max_head_bytes;
        let window = &avail[..avail.len().min(max_head)];
        let try_now = window.len() >= self.next_check
            || avail.len() >= max_head
            || self.read_eof
            || find_head_end(window, self.scanned);
        let parsed = if try_now {
            bufs.request.clear();
            parse::parse_head(window, &self.limits, &mut bufs.request)?
        } else {
            None
        };
        let Some(head) = parsed else {
            self.scanned = window.len().saturating_sub(3);
            if try_now {
                self.next_check = window.len() * 2;
            }
            if avail.len() >= max_head {
                return Err(Error::HeadTooLarge);
            }
            return Ok(None);
        };
        bufs.request.peer_addr = self.peer;
        bufs.request.tls.clone_from(&self.tls);
        bufs.start += head.len;
        self.scanned = 0;
        self.next_check = 0;
        self.empty_lines = 0;
        self.requests += 1;
        match BodyDecoder::new(head.body) {
            None => Ok(Some(head)),
            Some(decoder) => {
                // A body known to go over the spool threshold gets its file
                // now, so that failing to make one answers 507 before the
                // client sends the body.
                if let (Some(spool), BodyLength::Length(n)) = (spool, head.body) {
                    if n > spool.threshold() {
                        self.spooling = Some(Spooling::start(spool, self.peer)?);
                    }
                }
                // RFC 9110 §10.1.1: the client may be waiting for 100 before
                // sending the body; it is not needed once body bytes arrived.
                if head.expect_continue && bufs.start == bufs.end {
                    bufs.out.buf.extend_from_slice(CONTINUE);
                    bufs.tally.answered(100);
                }
                self.reading = Reading::Body { decoder, head };
                self.read_body(spool)
            }
        }
    }

    /// Decodes buffered body bytes (moving them to the spool if the body is
    /// over its threshold); returns the head once the body is complete.
    fn read_body(&mut self, spool: Option<&dyn Spool>) -> Result<Option<Head>, Error> {
        let bufs = self.bufs.as_mut().expect("buffers present");
        let Reading::Body { decoder, head } = &mut self.reading else {
            return Ok(None);
        };
        // Spool hand-off (uploadfast): a spooled Content-Length body goes
        // from the input buffer to the spool file without a copy. (With no
        // byte buffered, there is still a step to take when the server has
        // appended the body's last bytes itself, or failed to: `raw_body`.)
        if let (Some(current), BodyDecoder::Length(remaining)) = (&self.spooling, &mut *decoder) {
            let avail = bufs.end - bufs.start;
            if avail == 0 && *remaining > 0 && !current.direct_failed() {
                return Ok(None);
            }
            let n = avail.min(usize::try_from(*remaining).unwrap_or(usize::MAX));
            *remaining -= n as u64;
            let done = *remaining == 0;
            let bytes = &bufs.input[bufs.start..bufs.start + n];
            bufs.start += n;
            Spooling::append_raw(
                &mut self.spooling,
                bytes,
                &mut bufs.request,
                done,
                self.peer,
            )?;
            if !done {
                return Ok(None);
            }
            let head = *head;
            self.reading = Reading::Head;
            return Ok(Some(head));
        }
        if bufs.start == bufs.end {
            return Ok(None);
        }
        let (used, done) = decoder.decode(
            &bufs.input[bufs.start..bufs.end],
            bufs.request.body.get_mut(),
            self.limits.max_body_bytes,
        )?;
        bufs.start += used;
        if let Some(spool) = spool {
            Spooling::step(
                &mut self.spooling,
                spool,
                &mut bufs.request,
                done,
                self.peer,
            )?;
        }
        if done {
            let head = *head;
            self.reading = Reading::Head;
            Ok(Some(head))
        } else {
            Ok(None)
        }
    }

    fn respond<H>(&mut self, head: Head, handler: &H, ctx: &Ctx<'_>)
    where
        H: Handler + ?Sized,
    {
        let bufs = self.bufs.as_mut().expect("buffers present");
        if bufs.out.written() > 0 && bufs.out.written() >= bufs.out.buf.len() / 2 {
            bufs.out.compact();
        }
        if let Some(proxies) = ctx.proxies {
            let peer = bufs.request.peer_addr.ip();
            bufs.request.client_ip = Some(proxies.client_ip(peer, &bufs.request.headers));
        }
        let request = &bufs.request;
        if let Some(observer) = ctx.observer {
            observer.handling(request);
        }
        let mut panicked = false;
        let mut resp =
            catch_unwind(AssertUnwindSafe(|| handler.call(request))).unwrap_or_else(|_| {
                log::error!(
                    "handler panicked on {} {}; answering 500",
                    request.method,
                    request.target
                );
                panicked = true;
                Response::plain(500, "Internal Server Error\n")
            });
        bufs.tally.panics += u32::from(panicked);
        let handler_close = resp.headers().may_have_server_names()
            && resp.headers().iter_bytes().any(|(name, value)| {
                name.eq_ignore_ascii_case(b"connection")
                    && value
                        .split(|&b| b == b',')
                        .any(|o| o.trim_ascii().eq_ignore_ascii_case(b"close"))
            });
        // Draining: the requests already read are answered, and the last of
        // them says `Connection: close`; no more input is read.
        self.draining |= ctx.shutdown.is_some_and(|s| s.load(Ordering::Acquire));
        let reason = if self.draining && bufs.start == bufs.end {
            Some(CloseReason::Shutdown)
        } else if !head.keep_alive || handler_close {
            Some(CloseReason::NotKeepAlive)
        } else if ctx.max_requests.is_some_and(|max| self.requests >= max) {
            Some(CloseReason::RequestLimit)
        } else {
            None
        };
        let framing = Framing {
            head_request: request.method == Method::Head,
            close: reason.is_some(),
            http10_keep_alive: request.version == Version::Http10,
            stamp: ctx.stamp,
        };
        let status = resp.status();
        let body = wire_body_len(&resp, framing.head_request);
        // Close-delimited: half-close after it, so that unread input cannot
        // make the kernel reset the body away.
        let close_delimited = if resp.body_ref().inline_len() < SPLICE_MIN {
            encode::encode(&resp, &framing, &mut bufs.out.buf);
            false
        } else {
            splice(&mut bufs.out, &mut resp, framing)
        };
        bufs.tally.answered(status);
        if let Some(observer) = ctx.observer {
            observer.answered(self.peer, Some(&bufs.request), status, body);
        }
        if close_delimited {
            self.stop(CloseReason::NotKeepAlive);
            self.linger = true;
        }
        if let Some(reason) = reason {
            self.stop(reason);
        }
    }

    /// The front streamed body, when the output waits for its next bytes:
    /// the server pulls them from its source (at most [`Stream::want`]) and
    /// reports with [`body_pulled`](Self::body_pulled) or
    /// [`body_sent`](Self::body_sent). This layer never reads the source.
    pub(crate) fn stream(&mut self) -> Option<&mut Stream> {
        self.bufs.as_mut()?.out.front_stream()
    }

    /// What the pull from [`stream`](Self::stream)'s source gave (into its
    /// window, or a channel's message); a source that ended before its
    /// announced length fails the body.
    pub(crate) fn body_pulled(&mut self, pulled: Pulled) {
        let Some(stream) = self.stream() else {
            return;
        };
        if stream.pulled(pulled) {
            if let Some(bufs) = &mut self.bufs {
                bufs.out.pulled();
            }
        } else {
            log::debug!("{}: response body ended before its length", self.peer);
            self.body_failed();
        }
    }

    /// `n` bytes of the front streamed body went from its source to the
    /// socket directly (`sendfile`).
    #[cfg_attr(not(all(feature = "files", target_os = "linux")), allow(dead_code))]
    pub(crate) fn body_sent(&mut self, n: usize) {
        if let Some(stream) = self.stream() {
            stream.sent(n);
        }
        if let Some(bufs) = &mut self.bufs {
            bufs.out.pulled();
        }
    }

    /// The front streamed body's source failed: the response cannot be
    /// completed and its framing cannot be repaired, so nothing more is
    /// written (a chunked body gets no last chunk, a length is never padded)
    /// and the connection is to be closed.
    pub(crate) fn body_failed(&mut self) {
        if let Some(bufs) = &mut self.bufs {
            bufs.out.clear();
        }
        self.stop(CloseReason::BodyFailed);
        self.linger = false;
    }

    fn reject(&mut self, err: Error, ctx: &Ctx<'_>) {
        log::debug!("{}: {err}; answering {}", self.peer, err.status());
        let bufs = self.bufs.get_or_insert_with(|| Box::new(Buffers::new()));
        let resp = Response::plain(err.status(), &format!("{err}\n"));
        let framing = Framing {
            head_request: false,
            close: true,
            http10_keep_alive: false,
            stamp: ctx.stamp,
        };
        encode::encode(&resp, &framing, &mut bufs.out.buf);
        bufs.tally.answered(err.status());
        bufs.tally.rejected = Some(err);
        if let Some(observer) = ctx.observer {
            observer.answered(self.peer, None, err.status(), resp.body().len() as u64);
        }
        self.stop(CloseReason::Rejected(err));
    }
}

/// Body bytes the response puts on the wire (none for `HEAD` and the
/// bodiless statuses, RFC 9110 §6.4.1; a streamed body of unknown length
/// counts as 0).
fn wire_body_len(resp: &Response, head_request: bool) -> u64 {
    let status = resp.status();
    if head_request || status < 200 || status == 204 || status == 304 {
        0
    } else {
        resp.body_ref().content_length().unwrap_or(0)
    }
}

/// Whether `buf` holds the end of a head: a line end followed by an empty
/// line. Bytes before `from` are known not to hold it.
fn find_head_end(buf: &[u8], from: usize) -> bool {
    let mut i = from;
    while let Some(pos) = buf[i..].iter().position(|&b| b == b'\n') {
        let lf = i + pos;
        // "\n\n" or "\n\r\n".
        if (lf >= 1 && buf[lf - 1] == b'\n')
            || (lf >= 2 && buf[lf - 1] == b'\r' && buf[lf - 2] == b'\n')
        {
            return true;
        }
        i = lf + 1;
    }
    false
}
