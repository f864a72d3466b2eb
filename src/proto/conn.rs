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
//!                                  │ close after it (error, Connection: close, HTTP/1.0)
//!                                  ▼
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

use std::collections::VecDeque;
use std::io::IoSlice;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

use super::Error;
use super::decode::BodyDecoder;
use super::encode::{self, CONTINUE, Framing, Stamp};
use super::parse::{self, Head, Limits};
use crate::http::{Body, Handler, Method, Request, Response, TlsInfo, Version};

/// Size of a new input buffer.
pub const INITIAL_INPUT: usize = 8 * 1024;
/// Output waiting to be written above which no more requests are processed
/// and no more input is read (a client that pipelines but does not read).
pub const OUTPUT_HIGH_WATER: usize = 256 * 1024;
/// Response bodies this long or longer are sent from where they are (with
/// a vectored write) rather than copied into the output buffer.
pub const SPLICE_MIN: usize = 16 * 1024;
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
    /// Encoded responses.
    output: Vec<u8>,
    /// Bytes of `output` already written.
    written: usize,
    /// Large bodies, each to be sent right after `output[..at]`, in order
    /// (`at` never decreases along the queue and is never below `written`).
    bodies: VecDeque<(usize, Body)>,
    /// Bytes of the front body already written.
    body_written: usize,
    /// Bytes of the queued bodies not yet written.
    body_pending: usize,
    /// The request being read, reused for every request.
    request: Request,
}

impl Buffers {
    fn new() -> Buffers {
        Buffers {
            input: vec![0; INITIAL_INPUT],
            start: 0,
            end: 0,
            output: Vec::with_capacity(INITIAL_INPUT),
            written: 0,
            bodies: VecDeque::new(),
            body_written: 0,
            body_pending: 0,
            request: Request::default(),
        }
    }

    fn pending_output(&self) -> usize {
        self.output.len() - self.written + self.body_pending
    }

    /// Queues a large body to go right after the output written so far.
    fn push_body(&mut self, body: Body) {
        self.body_pending += body.len();
        self.bodies.push_back((self.output.len(), body));
    }

    /// Where the output bytes before the front body end.
    fn next_body_at(&self) -> usize {
        self.bodies.front().map_or(self.output.len(), |&(at, _)| at)
    }

    /// The pending output, in order, as slices (none empty): the output
    /// bytes up to the first queued body, that body, the bytes up to the
    /// next one, and so on.
    fn segments(&self) -> impl Iterator<Item = &[u8]> {
        let mut from = self.written;
        let mut skip = self.body_written;
        let tail = self.bodies.back().map_or(self.written, |&(at, _)| at);
        self.bodies
            .iter()
            .flat_map(move |(at, body)| {
                let run = &self.output[from..*at];
                from = *at;
                [run, &body.as_bytes()[std::mem::take(&mut skip)..]]
            })
            .chain(std::iter::once(&self.output[tail..]))
            .filter(|segment| !segment.is_empty())
    }

    /// Drops the output bytes already written, keeping the bodies' places.
    fn compact_output(&mut self) {
        if self.written > 0 {
            self.output.drain(..self.written);
            for (at, _) in &mut self.bodies {
                *at -= self.written;
            }
            self.written = 0;
        }
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
        bufs.written = 0;
        bufs.output.clear();
        bufs.bodies.clear();
        bufs.body_written = 0;
        bufs.body_pending = 0;
        bufs.request.clear();
        if bufs.input.len() > POOLED_CAPACITY {
            bufs.input.truncate(INITIAL_INPUT);
            bufs.input.shrink_to_fit();
        }
        bufs.output.shrink_to(POOLED_CAPACITY);
        bufs.request.body.shrink_to(POOLED_CAPACITY);
        self.spare.push(bufs);
    }
}

/// What the server passes to [`Conn::process`].
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    /// The `Date` value and the idle timeout announced in `Keep-Alive`.
    pub stamp: &'a Stamp,
    /// The server's shutdown flag: once set, every response says
    /// `Connection: close`. Read after the handler returns, so a shutdown
    /// that begins while a handler runs still closes that connection.
    pub shutdown: Option<&'a AtomicBool>,
    /// Requests served on one connection before it is closed.
    pub max_requests: Option<u64>,
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
    /// Response bytes are waiting for the socket to take them.
    Write,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    Head,
    Body { decoder: BodyDecoder, head: Head },
    Closed,
}

/// One connection's HTTP/1.1 state (see the module doc).
#[derive(Debug)]
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
    pub fn phase(&self) -> Phase {
        let (pending_in, pending_out) = self
            .bufs
            .as_ref()
            .map_or((false, 0), |b| (b.start < b.end, b.pending_output()));
        if pending_out > 0 {
            return Phase::Write;
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
    /// output below its high-water mark).
    #[must_use]
    pub fn wants_read(&self) -> bool {
        self.reading != Reading::Closed
            && !self.read_eof
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
        let max_input = self.limits.max_head_bytes.max(INITIAL_INPUT);
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
    /// nothing is waiting. (The server itself writes
    /// [`output_slices`](Self::output_slices); this is for the sans-IO users:
    /// tests, fuzz targets, benches.)
    #[must_use]
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
    pub fn output(&self) -> &[u8] {
        match &self.bufs {
            None => &[],
            Some(b) if b.bodies.is_empty() => &b.output[b.written..],
            Some(b) => b.segments().next().unwrap_or(&[]),
        }
    }

    /// The response bytes waiting to be written, in order, as up to
    /// `slices.len()` slices for one vectored write; returns how many it
    /// filled (0 when nothing is waiting).
    pub fn output_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        let Some(bufs) = &self.bufs else {
            return 0;
        };
        if bufs.bodies.is_empty() {
            // The usual case: one run of bytes, or nothing.
            let pending = &bufs.output[bufs.written..];
            return match slices.first_mut() {
                Some(slot) if !pending.is_empty() => {
                    *slot = IoSlice::new(pending);
                    1
                }
                _ => 0,
            };
        }
        let mut n = 0;
        for (slot, segment) in slices.iter_mut().zip(bufs.segments()) {
            *slot = IoSlice::new(segment);
            n += 1;
        }
        n
    }

    /// `n` bytes of the output were written (counted from the first byte of
    /// [`output`](Self::output), across slices).
    pub fn advance_write(&mut self, mut n: usize) {
        let Some(bufs) = &mut self.bufs else {
            return;
        };
        while n > 0 {
            let at = bufs.next_body_at();
            if bufs.written < at {
                let step = n.min(at - bufs.written);
                bufs.written += step;
                n -= step;
            } else if let Some((_, body)) = bufs.bodies.front() {
                let step = n.min(body.len() - bufs.body_written);
                bufs.body_written += step;
                bufs.body_pending -= step;
                n -= step;
                if bufs.body_written == body.len() {
                    bufs.bodies.pop_front();
                    bufs.body_written = 0;
                }
            } else {
                break; // more than was pending
            }
        }
        if bufs.bodies.is_empty() && bufs.written >= bufs.output.len() {
            bufs.output.clear();
            bufs.written = 0;
        }
    }

    /// Gives the buffers back to `pool` if the connection holds nothing in them.
    pub fn release(&mut self, pool: &mut BufferPool) {
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
                Reading::Head => self.read_head(),
                Reading::Body { .. } => self.read_body(),
            };
            match step {
                Ok(Some(head)) => self.respond(head, handler, ctx),
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
    fn read_head(&mut self) -> Result<Option<Head>, Error> {
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
                // RFC 9110 §10.1.1: the client may be waiting for 100 before
                // sending the body; it is not needed once body bytes arrived.
                if head.expect_continue && bufs.start == bufs.end {
                    bufs.output.extend_from_slice(CONTINUE);
                }
                self.reading = Reading::Body { decoder, head };
                self.read_body()
            }
        }
    }

    /// Decodes buffered body bytes; returns the head once the body is complete.
    fn read_body(&mut self) -> Result<Option<Head>, Error> {
        let bufs = self.bufs.as_mut().expect("buffers present");
        let Reading::Body { decoder, head } = &mut self.reading else {
            return Ok(None);
        };
        if bufs.start == bufs.end {
            return Ok(None);
        }
        let (used, done) = decoder.decode(
            &bufs.input[bufs.start..bufs.end],
            &mut bufs.request.body,
            self.limits.max_body_bytes,
        )?;
        bufs.start += used;
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
        if bufs.written > 0 && bufs.written >= bufs.output.len() / 2 {
            bufs.compact_output();
        }
        let request = &bufs.request;
        let mut resp =
            catch_unwind(AssertUnwindSafe(|| handler.call(request))).unwrap_or_else(|_| {
                log::error!(
                    "handler panicked on {} {}; answering 500",
                    request.method,
                    request.target
                );
                Response::plain(500, "Internal Server Error\n")
            });
        let handler_close = resp.headers().iter_bytes().any(|(name, value)| {
            name.eq_ignore_ascii_case(b"connection")
                && value
                    .split(|&b| b == b',')
                    .any(|o| o.trim_ascii().eq_ignore_ascii_case(b"close"))
        });
        let draining = ctx.shutdown.is_some_and(|s| s.load(Ordering::Acquire));
        let reason = if draining {
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
        if resp.body().len() < SPLICE_MIN {
            encode::encode(&resp, &framing, &mut bufs.output);
        } else {
            splice(bufs, &mut resp, &framing);
        }
        if let Some(reason) = reason {
            self.stop(reason);
        }
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
        encode::encode(&resp, &framing, &mut bufs.output);
        self.stop(CloseReason::Rejected(err));
    }
}

/// Encodes a response with a large body: the head into the output, the body
/// queued after it (kept out of line: it is the rare path).
#[cold]
#[inline(never)]
fn splice(bufs: &mut Buffers, resp: &mut Response, framing: &Framing<'_>) {
    if encode::encode_head(resp, framing, &mut bufs.output) {
        bufs.push_body(resp.take_body());
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
