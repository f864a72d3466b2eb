//! What the server pulls a body that is not in memory from: taken out of
//! the [`Body`](super::Body) when its response is sent, held by the
//! connection's output queue (which frames it but never reads it), and read
//! by the worker only as far as the socket takes the bytes.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

use super::channel::{ChannelReceiver, Notify, Received};

/// A body's source, owned by the connection sending it.
pub(crate) enum Source {
    /// A file from `offset` (the length is the framing's business);
    /// positioned reads, so the file's cursor is never used and clones of
    /// the body may share the file.
    File { file: Arc<File>, offset: u64 },
    /// Any reader, read on a worker (a blocking read holds that worker).
    Reader(Box<dyn Read + Send>),
    /// A channel other threads write into; never waited on.
    Channel(ChannelReceiver),
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File { offset, .. } => write!(f, "Source::File(at {offset})"),
            Source::Reader(_) => f.write_str("Source::Reader"),
            Source::Channel(_) => f.write_str("Source::Channel"),
        }
    }
}

/// What one pull from a source gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pulled {
    /// This many bytes were read into the buffer (never 0).
    Read(usize),
    /// A channel's next message (never empty: the channel skips those).
    Message(Vec<u8>),
    /// A channel has nothing now; its producer is still there.
    Empty,
    /// The source has no more bytes.
    End,
}

impl Source {
    /// Reads the next bytes into `buf` (a file or reader; `buf` is not
    /// empty) or takes a channel's next message (`buf` unused).
    ///
    /// # Errors
    /// The reader's or the file's error; a reader that says
    /// `WouldBlock` is an error too (nothing would wake the connection).
    pub(crate) fn pull(&mut self, buf: &mut [u8]) -> io::Result<Pulled> {
        let n = match self {
            Source::File { file, offset } => {
                let n = loop {
                    match read_at(file, buf, *offset) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other?,
                    }
                };
                *offset += n as u64;
                n
            }
            Source::Reader(reader) => loop {
                match reader.read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            },
            Source::Channel(rx) => return Ok(received(rx.try_recv())),
        };
        Ok(if n == 0 { Pulled::End } else { Pulled::Read(n) })
    }

    /// A channel found empty: leaves `notify` with it and looks again
    /// ([`Pulled::Empty`] means `notify` will be called when the producer
    /// sends or goes away). Other sources are never empty: `End`.
    pub(crate) fn park(&mut self, notify: &Notify) -> Pulled {
        match self {
            Source::Channel(rx) => received(rx.park(notify)),
            Source::File { .. } | Source::Reader(_) => Pulled::End,
        }
    }
}

fn received(r: Received) -> Pulled {
    match r {
        Received::Data(data) => Pulled::Message(data),
        Received::Empty => Pulled::Empty,
        Received::End => Pulled::End,
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}
