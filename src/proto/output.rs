//! A connection's output, in order: encoded response heads and small bodies
//! in one buffer, and the bodies that do not go through it queued at their
//! place in it — large in-memory bodies (sent from where the handler put
//! them, with a vectored write) and streamed bodies (a file, a reader, a
//! channel), which the server pulls.
//!
//! A streamed body is framed here and read there: the output says what the
//! front stream wants ([`Stream::want`]), the server moves that many bytes at
//! most from the source (into the stream's window, or with `sendfile`
//! straight to the socket) and reports what it got; the stream adds the
//! chunk lines when the body is chunked. Nothing behind a stream is written
//! before it ends, so pipelined responses stay in order.
//!
//! A stream's window ([`STREAM_WINDOW`], 64 KiB) is refilled only once the
//! socket has taken all of it: a connection never holds more of a streamed
//! body than that beyond what the kernel buffers.

use std::collections::VecDeque;

use super::encode::{self, Delimit, Framing};
use crate::http::{Body, Pulled, Response, Source};

/// Bytes of a streamed body read ahead of what the socket has taken, at most.
pub const STREAM_WINDOW: usize = 64 * 1024;

/// The pending output of a connection (see the module doc).
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Encoded responses.
    pub(crate) buf: Vec<u8>,
    /// Bytes of `buf` already written.
    written: usize,
    /// Bodies to be sent right after `buf[..at]`, in order (`at` never
    /// decreases along the queue and is never below `written`).
    queue: VecDeque<(usize, Item)>,
    /// Bytes of the queued in-memory bodies not yet written.
    queued: usize,
    /// Streamed bodies in the queue.
    streams: usize,
}

#[derive(Debug)]
enum Item {
    /// A large in-memory body and how much of it is written.
    Bytes { body: Body, sent: usize },
    /// A body the server pulls.
    Stream(Box<Stream>),
}

impl Output {
    pub(crate) fn with_capacity(capacity: usize) -> Output {
        Output {
            buf: Vec::with_capacity(capacity),
            ..Output::default()
        }
    }

    /// Streamed bodies in the queue.
    #[inline]
    pub(crate) fn streams(&self) -> usize {
        self.streams
    }

    /// Nothing is waiting to be written or pulled.
    pub(crate) fn is_empty(&self) -> bool {
        self.written >= self.buf.len() && self.queue.is_empty()
    }

    /// How much output is waiting, for the high-water mark: the bytes, and
    /// `per_stream` for each streamed body (whose length may be unknown).
    #[inline]
    pub(crate) fn load(&self, per_stream: usize) -> usize {
        self.buf.len() - self.written + self.queued + self.streams * per_stream
    }

    /// The pending bytes when no body is queued (the usual case): one run.
    #[inline]
    pub(crate) fn run(&self) -> Option<&[u8]> {
        self.queue.is_empty().then(|| &self.buf[self.written..])
    }

    /// The front of the output is a stream waiting for its producer.
    pub(crate) fn waiting(&self) -> bool {
        match self.queue.front() {
            Some((at, Item::Stream(s))) => *at <= self.written && s.waiting && s.is_drained(),
            _ => false,
        }
    }

    /// Forgets everything (the connection is being closed, or pooled).
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.written = 0;
        self.queue.clear();
        self.queued = 0;
        self.streams = 0;
    }

    /// Queues a large in-memory body after the output encoded so far.
    pub(crate) fn push_bytes(&mut self, body: Body) {
        self.queued += body.as_bytes().len();
        self.queue
            .push_back((self.buf.len(), Item::Bytes { body, sent: 0 }));
    }

    /// Queues a streamed body after the output encoded so far.
    pub(crate) fn push_stream(&mut self, source: Source, delimit: Delimit) {
        self.streams += 1;
        let stream = Box::new(Stream::new(source, delimit));
        self.queue.push_back((self.buf.len(), Item::Stream(stream)));
    }

    /// The pending output, in order, each slice given to `f` (none empty)
    /// until it returns `false`: the buffer up to the first queued body,
    /// that body, the buffer up to the next one, and so on, stopping after
    /// a streamed body's pending bytes (what follows it waits for its end).
    pub(crate) fn each_segment<'a>(&'a self, mut f: impl FnMut(&'a [u8]) -> bool) {
        let mut emit = |segment: &'a [u8]| segment.is_empty() || f(segment);
        let mut from = self.written;
        for (at, item) in &self.queue {
            if !emit(&self.buf[from..*at]) {
                return;
            }
            from = *at;
            match item {
                Item::Bytes { body, sent } => {
                    if !emit(&body.as_bytes()[*sent..]) {
                        return;
                    }
                }
                Item::Stream(stream) => {
                    for segment in stream.pending() {
                        if !emit(segment) {
                            return;
                        }
                    }
                    return;
                }
            }
        }
        emit(&self.buf[from..]);
    }

    /// `n` bytes of the pending output were written.
    pub(crate) fn advance(&mut self, mut n: usize) {
        while n > 0 {
            let at = self.queue.front().map_or(self.buf.len(), |&(at, _)| at);
            if self.written < at {
                let step = n.min(at - self.written);
                self.written += step;
                n -= step;
                continue;
            }
            match self.queue.front_mut() {
                Some((_, Item::Bytes { body, sent })) => {
                    let len = body.as_bytes().len();
                    let step = n.min(len - *sent);
                    *sent += step;
                    self.queued -= step;
                    n -= step;
                    if *sent == len {
                        self.queue.pop_front();
                    }
                }
                Some((_, Item::Stream(stream))) => {
                    n = stream.advance(n);
                    if !self.settle() {
                        break; // the stream wants more bytes first
                    }
                }
                None => break, // more than was pending
            }
        }
        self.settle();
        if self.queue.is_empty() && self.written >= self.buf.len() {
            self.buf.clear();
            self.written = 0;
        }
    }

    /// Drops a front stream that has ended and been written; `true` if it did.
    fn settle(&mut self) -> bool {
        match self.queue.front() {
            Some((at, Item::Stream(s))) if *at <= self.written && s.finished() => {
                self.queue.pop_front();
                self.streams -= 1;
                true
            }
            _ => false,
        }
    }

    /// The front stream, when it is what the output waits for: everything
    /// before it is written and so are its pulled bytes.
    pub(crate) fn front_stream(&mut self) -> Option<&mut Stream> {
        match self.queue.front_mut() {
            Some((at, Item::Stream(s))) if *at <= self.written && s.is_drained() && !s.ended => {
                Some(s)
            }
            _ => None,
        }
    }

    /// After a pull: drops the front stream if that ended it.
    pub(crate) fn pulled(&mut self) {
        self.settle();
        if self.queue.is_empty() && self.written >= self.buf.len() {
            self.buf.clear();
            self.written = 0;
        }
    }

    /// Drops the output bytes already written, keeping the bodies' places.
    pub(crate) fn compact(&mut self) {
        if self.written > 0 {
            self.buf.drain(..self.written);
            for (at, _) in &mut self.queue {
                *at -= self.written;
            }
            self.written = 0;
        }
    }

    /// Bytes of `buf` already written (the encoder compacts past half).
    pub(crate) fn written(&self) -> usize {
        self.written
    }
}

/// Encodes a response with a large or streamed body: the head into the
/// output, the body queued after it (kept out of line: it is the rare path).
/// Returns `true` if the body is close-delimited (then the head says
/// `Connection: close` and the connection must close after it).
#[cold]
#[inline(never)]
pub(crate) fn splice(out: &mut Output, resp: &mut Response, mut framing: Framing<'_>) -> bool {
    let body = resp.take_body();
    if body.is_in_memory() {
        let len = body.as_bytes().len() as u64;
        if encode::encode_head(resp, &framing, Delimit::Length(len), &mut out.buf) {
            out.push_bytes(body);
        }
        return false;
    }
    let length = body.content_length();
    let Some(source) = body.take_source() else {
        log::error!("a reader or channel body was sent twice; answering 500");
        let resp = Response::plain(500, "Internal Server Error\n");
        encode::encode(&resp, &framing, &mut out.buf);
        return false;
    };
    let delimit = match length {
        Some(len) => Delimit::Length(len),
        None if framing.http10_keep_alive => Delimit::Close,
        None => Delimit::Chunked,
    };
    let status = resp.status();
    let bodiless = framing.head_request || status == 204 || status == 304;
    let close = delimit == Delimit::Close && !bodiless;
    framing.close |= close;
    // HEAD, 204 and 304: the source is dropped unread (a channel's producer
    // is told), as is an empty one.
    if encode::encode_head(resp, &framing, delimit, &mut out.buf) && delimit != Delimit::Length(0) {
        out.push_stream(source, delimit);
    }
    close
}

/// A body the server pulls, and the framing around its bytes.
#[derive(Debug)]
pub(crate) struct Stream {
    source: Source,
    /// How the body is delimited; for a known length, the bytes still to
    /// come from the source.
    delimit: Delimit,
    /// The chunk-size line before the current chunk's data (or the last
    /// chunk), `line[line_from..line_to]` still to be written.
    line: [u8; 24],
    line_from: usize,
    line_to: usize,
    /// The current piece: the window the source was read into, or a
    /// channel's message; `data[data_from..data_to]` still to be written.
    data: Vec<u8>,
    data_from: usize,
    data_to: usize,
    /// The CRLF after a chunk's data, until written.
    crlf: &'static [u8],
    /// The source has given everything (the last chunk is queued).
    ended: bool,
    /// A channel had nothing; its producer will wake the connection.
    waiting: bool,
}

impl Stream {
    fn new(source: Source, delimit: Delimit) -> Stream {
        Stream {
            source,
            delimit,
            line: [0; 24],
            line_from: 0,
            line_to: 0,
            data: Vec::new(),
            data_from: 0,
            data_to: 0,
            crlf: b"",
            ended: false,
            waiting: false,
        }
    }

    fn pending(&self) -> [&[u8]; 3] {
        [
            &self.line[self.line_from..self.line_to],
            &self.data[self.data_from..self.data_to],
            self.crlf,
        ]
    }

    fn is_drained(&self) -> bool {
        self.line_from == self.line_to && self.data_from == self.data_to && self.crlf.is_empty()
    }

    fn finished(&self) -> bool {
        self.ended && self.is_drained()
    }

    /// Takes `n` written bytes off the pending ones; returns what is left of `n`.
    fn advance(&mut self, mut n: usize) -> usize {
        let step = n.min(self.line_to - self.line_from);
        self.line_from += step;
        n -= step;
        let step = n.min(self.data_to - self.data_from);
        self.data_from += step;
        n -= step;
        let step = n.min(self.crlf.len());
        self.crlf = &self.crlf[step..];
        n - step
    }

    /// The most bytes the next pull may bring.
    pub(crate) fn want(&self) -> usize {
        match self.delimit {
            Delimit::Length(left) => STREAM_WINDOW.min(usize::try_from(left).unwrap_or(usize::MAX)),
            Delimit::Chunked | Delimit::Close => STREAM_WINDOW,
        }
    }

    /// The most bytes one direct send ([`sent`](Self::sent)) may move: what
    /// is left of the body, up to `max`. No window applies, as the bytes never
    /// pass through memory; the kernel takes what its socket buffer holds.
    #[cfg_attr(not(all(feature = "files", target_os = "linux")), allow(dead_code))]
    pub(crate) fn want_direct(&self, max: usize) -> usize {
        match self.delimit {
            Delimit::Length(left) => max.min(usize::try_from(left).unwrap_or(usize::MAX)),
            Delimit::Chunked | Delimit::Close => 0,
        }
    }

    /// The bytes go on the wire as they come from the source (no chunk
    /// lines), so they may be moved to the socket directly ([`sent`](Self::sent)).
    #[cfg_attr(not(all(feature = "files", target_os = "linux")), allow(dead_code))]
    pub(crate) fn is_raw(&self) -> bool {
        matches!(self.delimit, Delimit::Length(_))
    }

    /// The source, to pull from or to send from directly.
    #[cfg_attr(not(all(feature = "files", target_os = "linux")), allow(dead_code))]
    pub(crate) fn source(&mut self) -> &mut Source {
        self.waiting = false;
        &mut self.source
    }

    /// The source and the window to read [`want`](Self::want) bytes into.
    pub(crate) fn parts(&mut self) -> (&mut Source, &mut [u8]) {
        self.waiting = false;
        let want = self.want();
        if self.data.len() < want {
            self.data.resize(want, 0);
        }
        (&mut self.source, &mut self.data[..want])
    }

    /// `n` bytes went from the source to the socket directly (only when
    /// [`is_raw`](Self::is_raw)).
    #[cfg_attr(not(all(feature = "files", target_os = "linux")), allow(dead_code))]
    pub(crate) fn sent(&mut self, n: usize) {
        if let Delimit::Length(left) = &mut self.delimit {
            *left = left.saturating_sub(n as u64);
            self.ended = *left == 0;
        }
    }

    /// What a pull from the source gave; `false` if the body cannot be
    /// completed (the source ended before its announced length).
    #[must_use]
    pub(crate) fn pulled(&mut self, pulled: Pulled) -> bool {
        let n = match pulled {
            Pulled::Read(n) => n.min(self.data.len()),
            Pulled::Message(message) => {
                self.data = message;
                self.data.len()
            }
            Pulled::Empty => {
                self.waiting = true;
                return true;
            }
            Pulled::End => {
                match self.delimit {
                    Delimit::Length(left) => return left == 0,
                    Delimit::Chunked => self.set_line(b"0\r\n\r\n"),
                    Delimit::Close => {}
                }
                self.ended = true;
                return true;
            }
        };
        let n = match &mut self.delimit {
            Delimit::Length(left) => {
                // Never more than announced.
                let n = n.min(usize::try_from(*left).unwrap_or(usize::MAX));
                *left -= n as u64;
                self.ended = *left == 0;
                n
            }
            Delimit::Chunked => {
                let mut line = [0u8; 24];
                let len = chunk_line(n, &mut line);
                self.set_line(&line[..len]);
                self.crlf = b"\r\n";
                n
            }
            Delimit::Close => n,
        };
        self.data_from = 0;
        self.data_to = n;
        true
    }

    fn set_line(&mut self, line: &[u8]) {
        self.line[..line.len()].copy_from_slice(line);
        self.line_from = 0;
        self.line_to = line.len();
    }
}

/// Writes `n` in hex and CRLF into `line`; returns the length.
fn chunk_line(n: usize, line: &mut [u8; 24]) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (usize::BITS - n.leading_zeros()).div_ceil(4).max(1) as usize;
    for i in 0..digits {
        line[digits - 1 - i] = HEX[(n >> (4 * i)) & 0xf];
    }
    line[digits..digits + 2].copy_from_slice(b"\r\n");
    digits + 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Drains `out` as a socket taking `take` bytes a write would, pulling
    /// the front stream as the server does; returns the bytes.
    fn drain(out: &mut Output, take: usize) -> Result<Vec<u8>, ()> {
        let mut wire = Vec::new();
        for _ in 0..1_000_000 {
            let mut budget = take;
            let mut wrote = 0;
            out.each_segment(|segment| {
                let n = segment.len().min(budget);
                wire.extend_from_slice(&segment[..n]);
                budget -= n;
                wrote += n;
                budget > 0
            });
            out.advance(wrote);
            if wrote > 0 {
                continue;
            }
            let Some(stream) = out.front_stream() else {
                return Ok(wire);
            };
            let (source, buf) = stream.parts();
            let pulled = source.pull(buf).map_err(|_| ())?;
            if !stream.pulled(pulled) {
                return Err(());
            }
            out.pulled();
        }
        panic!("output never drained");
    }

    fn reader(bytes: &[u8]) -> Source {
        Source::Reader(Box::new(Cursor::new(bytes.to_vec())))
    }

    #[test]
    fn chunk_lines_are_lowercase_hex() {
        for (n, want) in [
            (1, "1\r\n"),
            (15, "f\r\n"),
            (16, "10\r\n"),
            (65536, "10000\r\n"),
        ] {
            let mut line = [0u8; 24];
            let len = chunk_line(n, &mut line);
            assert_eq!(&line[..len], want.as_bytes());
        }
    }

    #[test]
    fn a_chunked_stream_between_runs_keeps_its_place() {
        let body: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        for take in [1, 7, 1000, STREAM_WINDOW + 3, usize::MAX] {
            let mut out = Output::default();
            out.buf.extend_from_slice(b"head1|");
            out.push_stream(reader(&body), Delimit::Chunked);
            out.buf.extend_from_slice(b"|next");
            assert_eq!(out.load(1000), 11 + 1000);
            let wire = drain(&mut out, take).unwrap();
            let mut want = b"head1|".to_vec();
            for chunk in body.chunks(STREAM_WINDOW) {
                want.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                want.extend_from_slice(chunk);
                want.extend_from_slice(b"\r\n");
            }
            want.extend_from_slice(b"0\r\n\r\n|next");
            assert!(wire == want, "take {take}");
            assert!(out.is_empty());
        }
    }

    #[test]
    fn a_length_stream_sends_exactly_its_length() {
        let mut out = Output::default();
        out.push_stream(reader(b"0123456789"), Delimit::Length(4));
        assert_eq!(drain(&mut out, 3).unwrap(), b"0123");
        let mut out = Output::default();
        out.push_stream(reader(b"01"), Delimit::Length(4));
        assert_eq!(drain(&mut out, 3), Err(()), "shorter than announced");
    }

    #[test]
    fn a_file_is_read_at_its_offset_and_a_short_one_fails() {
        let path = std::env::temp_dir().join(format!(
            "mini_async_http-{}-output-file",
            std::process::id()
        ));
        std::fs::write(&path, b"0123456789").unwrap();
        let source = |offset, len| {
            let file = std::fs::File::open(&path).unwrap();
            Body::file(file, offset, len).take_source().unwrap()
        };
        let mut out = Output::default();
        out.push_stream(source(2, 5), Delimit::Length(5));
        assert_eq!(drain(&mut out, 2).unwrap(), b"23456");
        let mut out = Output::default();
        out.push_stream(source(2, 20), Delimit::Length(20));
        assert_eq!(drain(&mut out, 100), Err(()), "the file is shorter");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn direct_sends_end_a_length_stream() {
        let mut out = Output::default();
        out.push_stream(reader(b""), Delimit::Length(10));
        out.buf.extend_from_slice(b"after");
        let stream = out.front_stream().unwrap();
        assert!(stream.is_raw());
        assert_eq!(stream.want(), 10);
        assert_eq!(
            (stream.want_direct(3), stream.want_direct(1 << 30)),
            (3, 10)
        );
        stream.sent(6);
        assert_eq!(out.front_stream().unwrap().want(), 4);
        out.front_stream().unwrap().sent(4);
        out.pulled();
        assert!(out.front_stream().is_none());
        assert_eq!(drain(&mut out, 100).unwrap(), b"after");
    }

    #[test]
    fn an_empty_channel_waits_and_messages_are_chunks() {
        let (tx, body) = Body::channel(4);
        let Some(source) = body.take_source() else {
            panic!("channel source");
        };
        let mut out = Output::default();
        out.push_stream(source, Delimit::Chunked);
        let stream = out.front_stream().unwrap();
        let (source, buf) = stream.parts();
        let pulled = source.pull(buf).unwrap();
        assert_eq!(pulled, Pulled::Empty);
        assert!(stream.pulled(pulled));
        assert!(out.waiting());
        tx.send("hello").unwrap();
        drop(tx);
        assert_eq!(
            drain(&mut out, usize::MAX).unwrap(),
            b"5\r\nhello\r\n0\r\n\r\n"
        );
        assert!(!out.waiting());
    }
}
