//! Writing: the output as one run or as slices for a vectored write,
//! advancing it, and the pulls of a streamed body at its front (see
//! "Streamed bodies" in the module doc).

use std::io::IoSlice;

use super::{CloseReason, Conn};
#[cfg(doc)]
use super::{Phase, SPLICE_MIN};
use crate::http::Pulled;
use crate::proto::output::Stream;

impl Conn {
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
}
