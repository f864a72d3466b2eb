//! Moving bytes for a worker: reading a connection's socket (or splicing a
//! spooled body), writing its output (vectored writes, `sendfile`), pulling
//! streamed bodies within their budget, and the lingering close.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;

use super::super::Shared;
#[cfg(all(feature = "splice", target_os = "linux"))]
use super::super::splice::{BodyPipe, Spliced};
use super::{Connection, MAX_LINGER_BYTES, STREAM_BUDGET, WRITE_SLICES};
#[cfg(all(feature = "files", target_os = "linux"))]
use crate::http::Source;
use crate::http::{Notify, Pulled};
use crate::proto::{BufferPool, Phase};

pub(super) enum ReadOutcome {
    /// No byte read: would block, or no input wanted now.
    Nothing,
    /// Bytes (or end of input) arrived; `drained` if the socket is now empty.
    Got { drained: bool },
    /// The socket failed.
    Fatal,
}

/// The next bytes of a spooled body, socket → file by splice, when the
/// connection says they are raw body (`Conn::raw_body`) and the socket is
/// plain TCP; `None`: read them the ordinary way.
#[cfg(all(feature = "splice", target_os = "linux"))]
pub(super) fn splice_in(c: &mut Connection, pipe: &mut BodyPipe) -> Option<ReadOutcome> {
    let socket = c.stream.plain()?;
    let (file, max) = c.conn.raw_body()?;
    match pipe.splice(socket, file, max) {
        Spliced::Moved(n) => {
            c.conn.raw_body_moved(&Ok(n));
            c.progress = true;
            Some(ReadOutcome::Got { drained: false })
        }
        Spliced::Eof => {
            c.conn.read_eof();
            Some(ReadOutcome::Got { drained: true })
        }
        Spliced::WouldBlock => Some(ReadOutcome::Nothing),
        Spliced::Unsupported => None,
        Spliced::Socket(e) => {
            log::debug!("read error: {e}");
            Some(ReadOutcome::Fatal)
        }
        Spliced::File(e) => {
            c.conn.raw_body_moved(&Err(e));
            c.progress = true;
            Some(ReadOutcome::Got { drained: false })
        }
    }
}

pub(super) fn read_in(c: &mut Connection, pool: &mut BufferPool) -> ReadOutcome {
    let mut got = false;
    loop {
        let Some(buf) = c.conn.read_buf(pool) else {
            return if got {
                ReadOutcome::Got { drained: false }
            } else {
                ReadOutcome::Nothing
            };
        };
        let room = buf.len();
        match c.stream.read(buf) {
            Ok(0) => {
                c.conn.read_eof();
                return ReadOutcome::Got { drained: true };
            }
            Ok(n) => {
                c.conn.advance_read(n);
                c.progress = true;
                got = true;
                if n < room && !c.peer_closed && !c.stream.at_eof() {
                    return ReadOutcome::Got { drained: true };
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return if got {
                    ReadOutcome::Got { drained: true }
                } else {
                    ReadOutcome::Nothing
                };
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::debug!("read error: {e}");
                return ReadOutcome::Fatal;
            }
        }
    }
}

/// Writes pending output, pulling streamed bodies as the socket takes them,
/// until done, the socket would block, a channel body waits for its
/// producer, or the job's stream budget is spent (then `more`); `false` if
/// the socket failed.
pub(super) fn write_out(c: &mut Connection, shared: &Arc<Shared>, key: usize) -> bool {
    let mut budget = STREAM_BUDGET;
    loop {
        match write_pending(c) {
            Written::All => {}
            Written::Blocked => return true,
            Written::Failed => return false,
        }
        if c.conn.stream().is_none() {
            return true;
        }
        if budget == 0 {
            c.more = true;
            return true;
        }
        match pull(c, shared, key, budget) {
            // Tiny messages count as 1 KiB: a fast producer shares the worker too.
            Step::Moved(n) => budget = budget.saturating_sub(n.max(1024)),
            Step::Stop => return true,
            Step::Failed => return false,
        }
    }
}

pub(super) enum Written {
    /// Nothing is left to write now.
    All,
    /// The socket would block.
    Blocked,
    /// The socket failed.
    Failed,
}

/// Writes the pending output (large bodies in one vectored write with the
/// bytes around them), then what the transport still holds (sealed TLS
/// records): `All` only once both are out.
pub(super) fn write_pending(c: &mut Connection) -> Written {
    loop {
        let mut slices = [IoSlice::new(&[]); WRITE_SLICES];
        let written = match c.conn.output_slices(&mut slices) {
            0 => {
                if c.stream.wants_close_notify()
                    && matches!(c.conn.phase(), Phase::Closing | Phase::Closed)
                {
                    // The last response is sealed: TLS's goodbye joins it.
                    c.stream.queue_close_notify();
                }
                if !c.stream.wants_write() {
                    return Written::All;
                }
                return match c.stream.send_pending() {
                    Ok(sent) => {
                        c.progress |= sent;
                        if c.stream.wants_write() {
                            Written::Blocked
                        } else {
                            Written::All
                        }
                    }
                    Err(e) => {
                        log::debug!("write error: {e}");
                        Written::Failed
                    }
                };
            }
            1 => c.stream.write(&slices[0]),
            n => c.stream.write_vectored(&slices[..n]),
        };
        match written {
            Ok(0) => return Written::Failed,
            Ok(n) => {
                c.conn.advance_write(n);
                c.progress = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Written::Blocked,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::debug!("write error: {e}");
                return Written::Failed;
            }
        }
    }
}

pub(super) enum Step {
    /// This many bytes came from the source (into the window, or straight to
    /// the socket).
    Moved(usize),
    /// Nothing to do until an event: the socket would block, the channel is
    /// empty (parked), or the source failed (the connection is `Closed`).
    Stop,
    /// The socket failed.
    #[cfg_attr(not(all(feature = "files", target_os = "linux")), allow(dead_code))]
    Failed,
}

/// Moves the next bytes of the front streamed body from its source (with
/// `sendfile`, up to `budget` bytes at once).
pub(super) fn pull(c: &mut Connection, shared: &Arc<Shared>, key: usize, budget: usize) -> Step {
    #[cfg(all(feature = "files", target_os = "linux"))]
    if let Some(step) = send_file(c, budget) {
        return step;
    }
    #[cfg(not(all(feature = "files", target_os = "linux")))]
    let _ = budget;
    let Some(stream) = c.conn.stream() else {
        return Step::Stop;
    };
    let (source, buf) = stream.parts();
    let pulled = match source.pull(buf) {
        Ok(Pulled::Empty) => {
            let id = c.id;
            let notify = c
                .notify
                .get_or_insert_with(|| notifier(Arc::clone(shared), key, id));
            source.park(notify)
        }
        Ok(pulled) => pulled,
        Err(e) => {
            log::debug!("{}: response body source failed: {e}", c.conn.peer());
            c.conn.body_failed();
            return Step::Stop;
        }
    };
    let step = match &pulled {
        Pulled::Read(n) => Step::Moved(*n),
        Pulled::Message(data) => Step::Moved(data.len()),
        Pulled::End => Step::Moved(0),
        Pulled::Empty => Step::Stop,
    };
    c.conn.body_pulled(pulled);
    step
}

/// What a channel's producer calls to have the loop send this connection to
/// a worker again.
pub(super) fn notifier(shared: Arc<Shared>, key: usize, id: u64) -> Notify {
    Notify::new(move || shared.wake_stream(key, id))
}

/// Sends the next bytes of a file body with `sendfile`, from the page cache
/// straight to the socket (plain TCP only; through rustix, so no `unsafe`
/// here). `None` when this body is not for it (not a file, or chunked), the
/// file does not support it, or the connection is TLS (whose bytes must go
/// through rustls): then its bytes are read (positioned reads) and written.
///
/// One call asks for the rest of the body, up to the job's `budget` (not
/// the 64 KiB window: no byte passes through memory); the kernel moves what
/// the socket buffer takes. A 1 MiB file then takes one `sendfile` where the
/// socket buffer holds it, not 16.
#[cfg(all(feature = "files", target_os = "linux"))]
pub(super) fn send_file(c: &mut Connection, budget: usize) -> Option<Step> {
    let tcp = c.stream.plain()?;
    let stream = c.conn.stream()?;
    if !stream.is_raw() {
        return None;
    }
    let want = stream.want_direct(budget);
    let Source::File { file, offset } = stream.source() else {
        return None;
    };
    let sent = loop {
        match rustix::fs::sendfile(tcp, &**file, Some(offset), want) {
            Err(rustix::io::Errno::INTR) => {}
            other => break other,
        }
    };
    Some(match sent {
        Ok(0) => {
            log::debug!("{}: file body shorter than announced", c.conn.peer());
            c.conn.body_failed();
            Step::Stop
        }
        Ok(n) => {
            c.progress = true;
            c.conn.body_sent(n);
            Step::Moved(n)
        }
        Err(rustix::io::Errno::AGAIN) => Step::Stop,
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::OPNOTSUPP) => {
            return None;
        }
        Err(e) => {
            log::debug!("{}: sendfile failed: {e}", c.conn.peer());
            Step::Failed
        }
    })
}

/// Lingering close: shut down the write side so the client sees the end of
/// the last response, then discard what it still sends until it closes, so
/// that unread input does not make the kernel send a reset that could destroy
/// the response before the client reads it.
pub(super) fn linger(c: &mut Connection) {
    if !c.lingering {
        c.lingering = true;
        if c.stream.shutdown(Shutdown::Write).is_err() {
            c.dead = true;
            return;
        }
    }
    let mut scratch = [0u8; 8192];
    let mut discarded = 0;
    while discarded < MAX_LINGER_BYTES {
        match c.stream.read(&mut scratch) {
            Ok(0) => {
                c.dead = true;
                return;
            }
            Ok(n) => discarded += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                c.dead = true;
                return;
            }
        }
    }
    c.more = true;
}
