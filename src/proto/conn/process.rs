//! Answering: `process` runs every complete request through the handler
//! and encodes its response (or a rejection, or a timeout's 408), and the
//! tally of what was answered (see "Pipelining" in the module doc).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;

use super::{Buffers, CloseReason, Conn, Ctx, OUTPUT_HIGH_WATER, Phase, Reading, SPLICE_MIN};
use crate::http::{Handler, Method, Response, Version};
use crate::proto::Error;
use crate::proto::encode::{self, Framing};
use crate::proto::output::splice;
use crate::proto::parse::Head;
use crate::proto::tally::Tally;

impl Conn {
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

    /// The head or body did not arrive in time (408), or the connection was
    /// idle too long (closed without a response).
    pub fn timeout(&mut self, ctx: &Ctx<'_>) {
        match self.phase() {
            Phase::Head | Phase::Body => self.reject(Error::Timeout, ctx),
            Phase::Idle => self.stop(CloseReason::IdleTimeout),
            _ => {}
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
