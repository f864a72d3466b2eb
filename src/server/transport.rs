//! What a connection's bytes travel over: plain TCP or TLS. Both have the
//! same non-blocking semantics, so the worker's read, write and linger code
//! does not tell them apart:
//!
//! - `read` returns `WouldBlock` when nothing is there, `Ok(0)` at the end of
//!   input, and a short read only when the socket is drained (for TLS: the
//!   socket would block *and* rustls holds no plaintext), so that an
//!   edge-triggered poller reports the next bytes with a new event;
//! - `write` takes what it can and returns `WouldBlock` when it can take
//!   nothing;
//! - `shutdown(Write)` ends the output (TLS: `close_notify`, then the TCP
//!   half-close).
//!
//! TLS adds one thing plain TCP does not have: bytes the transport has
//! accepted but not yet put on the wire (records rustls has sealed).
//! [`Transport::wants_write`] says so, and the connection then counts as
//! waiting to write (`Connection::phase`), so that its writable event is
//! not ignored and its records are not lost when it closes.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
#[cfg(feature = "tls")]
use std::sync::Arc;

use mio::net::TcpStream;

#[cfg(feature = "tls")]
use super::tls::{TlsAcceptor, TlsStream};
use crate::http::TlsInfo;

/// A connection's socket, plain or with TLS on it.
#[derive(Debug)]
pub(crate) enum Transport {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP (boxed: a plain connection does not pay for its size).
    #[cfg(feature = "tls")]
    Tls(Box<Tls>),
}

/// The TLS variant's state.
#[cfg(feature = "tls")]
#[derive(Debug)]
pub(crate) struct Tls {
    stream: TlsStream<TcpStream>,
    /// The TCP write side is to be shut down once the records queued
    /// before it (the last response, `close_notify`) are out.
    half_close: bool,
}

impl Transport {
    /// A TLS transport over `tcp`; the handshake starts with the first byte.
    #[cfg(feature = "tls")]
    pub(crate) fn tls(tcp: TcpStream, acceptor: Arc<TlsAcceptor>) -> Transport {
        Transport::Tls(Box::new(Tls {
            stream: TlsStream::new(tcp, acceptor),
            half_close: false,
        }))
    }

    /// Bytes accepted but not yet sent are waiting (sealed TLS records, or a
    /// half-close behind them).
    #[inline]
    pub(crate) fn wants_write(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.half_close || t.stream.wants_write(),
        }
    }

    /// Sends what [`wants_write`](Self::wants_write) says is waiting, as far
    /// as the socket takes it; `Ok(true)` if any byte went out. A socket that
    /// would block is not an error.
    #[cfg_attr(not(feature = "tls"), allow(clippy::unnecessary_wraps))]
    #[inline]
    pub(crate) fn send_pending(&mut self) -> io::Result<bool> {
        match self {
            Transport::Plain(_) => Ok(false),
            #[cfg(feature = "tls")]
            Transport::Tls(t) => {
                let sent = t.stream.send_records()?;
                if t.half_close && !t.stream.wants_write() {
                    t.half_close = false;
                    t.stream.get_ref().shutdown(Shutdown::Write)?;
                }
                Ok(sent)
            }
        }
    }

    /// Ends the output: for TLS, queues `close_notify` and half-closes TCP
    /// once it and everything before it are out (see
    /// [`send_pending`](Self::send_pending)).
    pub(crate) fn shutdown(&mut self, how: Shutdown) -> io::Result<()> {
        match self {
            Transport::Plain(tcp) => tcp.shutdown(how),
            #[cfg(feature = "tls")]
            Transport::Tls(t) => {
                t.stream.close_notify();
                t.half_close = true;
                self.send_pending().map(|_| ())
            }
        }
    }

    /// Queues `close_notify` (if a TLS session is up) without sending it:
    /// the connection closes after the records already sealed, and the
    /// goodbye goes out with them, in the same write.
    #[inline]
    pub(crate) fn queue_close_notify(&mut self) {
        match self {
            Transport::Plain(_) => {}
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.stream.close_notify(),
        }
    }

    /// A TLS session is established and has not said `close_notify`: the
    /// connection should not be closed without it (the event loop then hands
    /// an idle connection to a worker to close, instead of dropping it).
    #[inline]
    pub(crate) fn wants_close_notify(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.stream.wants_close_notify(),
        }
    }

    /// Queues `close_notify` (if a TLS session is up) and sends what the
    /// socket takes: the goodbye before a connection is closed. Errors are
    /// not reported: the connection is being closed anyway.
    pub(crate) fn say_goodbye(&mut self) {
        match self {
            Transport::Plain(_) => {}
            #[cfg(feature = "tls")]
            Transport::Tls(t) => {
                t.stream.close_notify();
                if let Err(e) = t.stream.send_records() {
                    log::debug!("close_notify not sent: {e}");
                }
            }
        }
    }

    /// The plain TCP socket, for `sendfile` and `splice`; `None` for TLS,
    /// whose bytes must go through rustls.
    #[cfg(all(any(feature = "files", feature = "splice"), target_os = "linux"))]
    #[cfg_attr(not(feature = "tls"), allow(clippy::unnecessary_wraps))]
    pub(crate) fn plain(&self) -> Option<&TcpStream> {
        match self {
            Transport::Plain(tcp) => Some(tcp),
            #[cfg(feature = "tls")]
            Transport::Tls(_) => None,
        }
    }

    /// A TLS connection whose handshake has not completed (still under way,
    /// or failed): closed now, it counts as a failed handshake.
    pub(crate) fn tls_unfinished(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            #[cfg(feature = "tls")]
            Transport::Tls(t) => !t.stream.is_established(),
        }
    }

    /// The TLS handshake has not completed yet (it counts against the header
    /// timeout from accept, whatever the connection waits for).
    pub(crate) fn handshaking(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.stream.handshaking(),
        }
    }

    /// The end of input has been seen below the plaintext (TCP end, or the
    /// peer's `close_notify`) while there was still plaintext to return:
    /// read on until `Ok(0)`, even after a short read.
    #[inline]
    pub(crate) fn at_eof(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.stream.at_eof(),
        }
    }

    /// The poller reported the peer's FIN (`Connection::peer_closed`): TLS
    /// reads then go on after a short socket read, to the end of input.
    #[inline]
    pub(crate) fn set_peer_closed(&mut self) {
        match self {
            Transport::Plain(_) => {}
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.stream.set_peer_closed(),
        }
    }

    /// Once, right after the TLS handshake has completed: what the requests
    /// of this connection are to say about it.
    #[inline]
    pub(crate) fn take_tls_info(&mut self) -> Option<TlsInfo> {
        match self {
            Transport::Plain(_) => None,
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.stream.take_established(),
        }
    }
}

impl Read for Transport {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.read(buf),
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.stream.read(buf),
        }
    }
}

impl Write for Transport {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.write(buf),
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.stream.write_vectored(&[IoSlice::new(buf)]),
        }
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Transport::Plain(tcp) => tcp.write_vectored(bufs),
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.stream.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_pending().map(|_| ())
    }
}
