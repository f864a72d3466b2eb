//! Reading: the input buffer, the request head (empty lines, the doubling
//! re-check of a partial head) and the body, with the spool hand-off of a
//! spooled body (see "Large bodies" in the module doc).

use std::fs::File;
use std::io;

use super::{
    BufferPool, Conn, INITIAL_INPUT, MAX_EMPTY_LINES, POOLED_CAPACITY, REPEAT_MAX, REPEAT_PROBE,
    REPEAT_TRIES, Reading, SPOOL_INPUT,
};
use crate::proto::Error;
use crate::proto::decode::BodyDecoder;
use crate::proto::encode::CONTINUE;
use crate::proto::parse::{self, BodyLength, Head};
use crate::proto::spool::{Spool, Spooling};

impl Conn {
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

    /// Space to receive bytes into, or `None` when no input is wanted now or
    /// the buffer is full at its limit (then [`process`](Self::process)
    /// rejects the head as too large).
    pub fn read_buf(&mut self, pool: &mut BufferPool) -> Option<&mut [u8]> {
        if !self.wants_read() {
            return None;
        }
        let head_limit = self.limits.max_head_bytes.max(INITIAL_INPUT);
        let in_memory_body =
            matches!(self.reading, Reading::Body { .. }) && self.spooling.is_none();
        let bufs = self.bufs.get_or_insert_with(|| pool.take());
        if bufs.end == bufs.input.len() {
            if bufs.start > 0 {
                bufs.input.copy_within(bufs.start..bufs.end, 0);
                bufs.end -= bufs.start;
                bufs.start = 0;
            }
            let full = bufs.end == bufs.input.len();
            let len = bufs.input.len();
            // How far the input may grow, when reads fill it:
            // - a body on its way to the spool (uploadfast): to
            //   `SPOOL_INPUT`, fewer reads and file writes;
            // - a body in memory: to what a pooled buffer keeps, whatever
            //   the head limit, also right after the decoded bytes made
            //   room (they always do). With the head limit's input a
            //   64 KiB upload took 8.9 reads under an 8 KiB limit and 5.0
            //   under 16 KiB, against 2.0 (its CPU time moved within this
            //   host's noise);
            // - a head: to the head limit, but past what a pooled buffer
            //   keeps only while the head has not ended. Growing for body
            //   bytes there made every request with a body regrow its
            //   input from `INITIAL_INPUT` (the pool shrinks larger
            //   buffers): under a 256 KiB head limit a 64 KiB upload took
            //   5.0 reads and 129-156 µs of CPU, against 2.0 and 33-48 µs.
            // (`post64k`, one worker, perf's syscall counts:
            // bench/results/2026-12-02d/README.md. Under the default head
            // limit, the pooled capacity, all three read alike.)
            let max_input = if self.spooling.is_some() {
                head_limit.max(SPOOL_INPUT)
            } else if in_memory_body {
                POOLED_CAPACITY
            } else if len < POOLED_CAPACITY || !find_head_end(&bufs.input[bufs.start..bufs.end], 0)
            {
                head_limit
            } else {
                len
            };
            if (full || in_memory_body) && len < max_input {
                bufs.input.resize((len * 2).min(max_input), 0);
            } else if full {
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

    /// Parses a head if a complete one is buffered. Returns it when the
    /// request is complete (no body); `Ok(None)` when more bytes are needed
    /// or a body follows.
    pub(super) fn read_head(&mut self, spool: Option<&dyn Spool>) -> Result<Option<Head>, Error> {
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
        // See "Repeated heads" in the module doc.
        let head = match bufs.last_head {
            Some((head, limits))
                if limits == self.limits && avail.starts_with(&bufs.last_head_bytes) =>
            {
                bufs.request.clear_all_but_head();
                bufs.unrepeated = 0;
                head
            }
            _ => {
                let Some(head) = self.parse_new_head()? else {
                    return Ok(None);
                };
                head
            }
        };
        let bufs = self.bufs.as_mut().expect("buffers present");
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

    /// Parses the head at the start of the input into the request, if it
    /// is complete (see `read_head` for when it is tried), and remembers its
    /// bytes for the next head to be compared with.
    fn parse_new_head(&mut self) -> Result<Option<Head>, Error> {
        let bufs = self.bufs.as_mut().expect("buffers present");
        let avail = &bufs.input[bufs.start..bufs.end];
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
            // The request no longer holds the last head's parse.
            bufs.last_head = None;
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
        // Kept while heads repeat; after a few that did not, only now and
        // then, so that a client whose heads all differ pays little more
        // than a comparison (see "Repeated heads" in the module doc).
        bufs.unrepeated = bufs.unrepeated.wrapping_add(1);
        if head.len <= REPEAT_MAX
            && (bufs.unrepeated <= REPEAT_TRIES || bufs.unrepeated % REPEAT_PROBE == 0)
        {
            bufs.last_head_bytes.clear();
            bufs.last_head_bytes.extend_from_slice(&avail[..head.len]);
            bufs.last_head = Some((head, self.limits));
        }
        Ok(Some(head))
    }

    /// Decodes buffered body bytes (moving them to the spool if the body is
    /// over its threshold); returns the head once the body is complete.
    pub(super) fn read_body(&mut self, spool: Option<&dyn Spool>) -> Result<Option<Head>, Error> {
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::super::POOLED_CAPACITY;
    use crate::http::{Request, Response, ResponseBuilder};
    use crate::proto::{BufferPool, Conn, Ctx, Limits, Stamp};

    /// Sends `requests` over one connection, each read as far as the input
    /// offers room (a socket that always has the bytes), and returns the
    /// largest room offered while a body was being read, and the bodies'
    /// lengths the handler saw.
    fn largest_room(limits: Limits, requests: &[Vec<u8>]) -> (usize, Vec<usize>) {
        let stamp = Stamp::new(b"Sun, 06 Nov 1994 08:49:37 GMT", Some(5));
        let ctx = Ctx::new(&stamp);
        let seen = Cell::new(Vec::new());
        let handler = |req: &Request| -> Response {
            let mut lens = seen.take();
            lens.push(req.body().len());
            seen.set(lens);
            ResponseBuilder::empty_200().build().unwrap()
        };
        let mut pool = BufferPool::default();
        let mut conn = Conn::new(limits, "127.0.0.1:9".parse().unwrap());
        let mut largest = 0;
        for raw in requests {
            let mut rest = &raw[..];
            // Bounded: every round moves at least one byte or processes.
            for _ in 0..=raw.len() {
                if rest.is_empty() {
                    break;
                }
                let body = conn.phase() == crate::proto::Phase::Body;
                match conn.read_buf(&mut pool) {
                    Some(buf) => {
                        if body {
                            largest = largest.max(buf.len());
                        }
                        let n = buf.len().min(rest.len());
                        buf[..n].copy_from_slice(&rest[..n]);
                        conn.advance_read(n);
                        rest = &rest[n..];
                    }
                    None => conn.process(&handler, &ctx),
                }
            }
            conn.process(&handler, &ctx);
            let out = conn.output().len();
            conn.advance_write(out);
            conn.release(&mut pool);
        }
        (largest, seen.take())
    }

    fn post(body: usize) -> Vec<u8> {
        let mut raw =
            format!("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: {body}\r\n\r\n").into_bytes();
        raw.resize(raw.len() + body, b'b');
        raw
    }

    /// A head limit above the pooled capacity lets a head grow the input,
    /// not the body bytes behind it: the input stays at what the pool keeps
    /// (it shrinks larger ones, so they were regrown for every request).
    #[test]
    fn body_bytes_do_not_grow_the_input_past_the_pooled_capacity() {
        let limits = Limits {
            max_head_bytes: 256 * 1024,
            ..Limits::default()
        };
        let requests = [post(200 * 1024), post(64 * 1024), post(300 * 1024)];
        let (largest, bodies) = largest_room(limits, &requests);
        assert_eq!(bodies, [200 * 1024, 64 * 1024, 300 * 1024]);
        assert_eq!(largest, POOLED_CAPACITY);
    }

    /// A head limit below the pooled capacity does not make bodies be read
    /// in pieces of its size: the input grows to what the pool keeps.
    #[test]
    fn bodies_are_read_in_pooled_pieces_under_a_small_head_limit() {
        let limits = Limits {
            max_head_bytes: 8 * 1024,
            ..Limits::default()
        };
        let requests = [post(200 * 1024), post(100)];
        let (largest, bodies) = largest_room(limits, &requests);
        assert_eq!(bodies, [200 * 1024, 100]);
        assert_eq!(largest, POOLED_CAPACITY);
    }

    /// A head longer than the pooled capacity still grows the input, up to
    /// the head limit.
    #[test]
    fn a_head_still_grows_the_input_up_to_its_limit() {
        let limits = Limits {
            max_head_bytes: 256 * 1024,
            ..Limits::default()
        };
        let mut raw = format!(
            "POST /up HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n",
            "v".repeat(150 * 1024)
        )
        .into_bytes();
        raw.extend_from_slice(b"Content-Length: 5\r\n\r\nhello");
        let (_, bodies) = largest_room(limits, &[raw]);
        assert_eq!(bodies, [5]);
    }
}
