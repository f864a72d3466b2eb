//! A non-blocking socket in memory, for the TLS transport's unit tests and
//! its fuzz target (through the `internals` feature; not a stable API).

use std::collections::VecDeque;
use std::io::{self, Read, Write};

/// A non-blocking socket in memory, with a real socket's semantics: a read
/// gives what has arrived in `inbox`, up to the buffer's size (so a short
/// read means drained), then `WouldBlock` (or `Ok(0)` once `closed` and
/// everything sent was read). Bytes sent to it wait in `wire` and arrive
/// `max_read` at a time ([`arrive`](Self::arrive): a segment, then a
/// readiness event); writes take at most `room` bytes in all before
/// `WouldBlock`.
#[derive(Debug, Default)]
pub struct MemorySocket {
    /// Bytes the client sent, not yet arrived.
    pub wire: VecDeque<u8>,
    /// Bytes arrived, not yet read.
    pub inbox: VecDeque<u8>,
    /// Bytes per arrival.
    pub max_read: usize,
    /// The client closed: reads give `Ok(0)` once everything sent was read.
    pub closed: bool,
    /// Bytes the server wrote.
    pub outbox: Vec<u8>,
    /// Bytes writes may still take.
    pub room: usize,
    /// Reads made, `WouldBlock` ones included.
    pub reads: usize,
}

impl MemorySocket {
    /// An open socket whose arrivals are `max_read` bytes and whose writes
    /// take `room` bytes in all.
    #[must_use]
    pub fn new(max_read: usize, room: usize) -> MemorySocket {
        MemorySocket {
            max_read,
            room,
            ..MemorySocket::default()
        }
    }

    /// The next segment arrives: `false` if none was waiting.
    pub fn arrive(&mut self) -> bool {
        let n = self.max_read.max(1).min(self.wire.len());
        self.inbox.extend(self.wire.drain(..n));
        n > 0
    }
}

impl Read for MemorySocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        if self.inbox.is_empty() {
            return if self.closed && self.wire.is_empty() {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = buf.len().min(self.inbox.len());
        for (slot, byte) in buf.iter_mut().zip(self.inbox.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

impl Write for MemorySocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        self.outbox.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
