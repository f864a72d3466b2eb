//! [`TlsStream`]: a rustls `ServerConnection` driven by readiness over a
//! non-blocking socket, with the socket's semantics (see
//! `server/transport.rs`). Every call does a bounded amount of work and never
//! waits: it reads what is there (`read_tls` → `process_new_packets` →
//! plaintext out), sends what the socket takes (`write_tls` while
//! `wants_write`), and returns. No `complete_io` loop (RUSTSEC-2024-0336).

use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;

use rustls::ServerConnection;
use rustls::server::{AcceptedAlert, Acceptor};

use super::TlsAcceptor;
use super::suites::Configs;
use crate::http::TlsInfo;

/// Ciphertext one [`TlsStream::read`] may take from the socket beyond 32
/// bytes per byte of plaintext it returns, past which the peer is cut off.
/// A handshake flight is at most 64 KiB (rustls's limit on a handshake
/// message), and a record of one data byte is 23 bytes on the wire; a
/// stream of records that carry nothing (empty records, warning alerts,
/// key updates) is bounded by rustls too, but this keeps one call bounded
/// whatever rustls tolerates.
const CIPHERTEXT_SLACK: usize = 256 * 1024;
/// Bytes of a plain HTTP request read (and dropped) before its 400 is
/// answered, so that closing does not reset the connection under the
/// answer.
const PLAIN_DISCARD: usize = 64 * 1024;
/// Socket reads one [`TlsStream::read`] may make towards a `ClientHello`
/// (rustls bounds the message at 64 KiB, and reads up to a record at a
/// time); a safety net, not a limit a client meets.
const HELLO_READS: usize = 64;

/// The answer to plain HTTP sent to the TLS port (as nginx answers it), in
/// plain text; the connection is closed after it.
pub const PLAIN_HTTP_400: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Length: 51\r\n\
Connection: close\r\n\
\r\n\
This port speaks HTTPS; the request was plain HTTP\n";

/// One TLS connection over a non-blocking socket `S`.
///
/// `read` and `write_vectored` behave like the socket's (see the module
/// doc); [`send_records`](Self::send_records) pushes sealed records out,
/// [`wants_write`](Self::wants_write) says some are waiting.
#[allow(clippy::struct_excessive_bools)] // independent facts of one stream
pub struct TlsStream<S> {
    sock: S,
    state: State,
    /// The handshake has completed (checked after each packet).
    established: bool,
    /// Established, and [`take_established`](Self::take_established) has
    /// not reported it yet.
    announce: bool,
    /// `close_notify` has been queued (or there is no session to close).
    goodbye: bool,
    /// The socket reported the end of input, or the peer sent
    /// `close_notify`.
    eof: bool,
    /// The poller reported the peer's FIN: a short socket read no longer
    /// means that the next would block (the end may be next), so reads go
    /// on to the end of input.
    peer_closed: bool,
}

enum State {
    /// Accepted, nothing read yet. The configuration is taken with the first
    /// read (on a worker, once per connection), so a reload applies to
    /// every handshake that starts after it.
    Fresh(Arc<TlsAcceptor>),
    /// Reading the `ClientHello`, which picks the configuration (the
    /// order of cipher suites: `suites.rs`); `sniffed` once the first byte
    /// has been checked for plain HTTP.
    Hello {
        acceptor: Box<Acceptor>,
        configs: Arc<Configs>,
        sniffed: bool,
    },
    /// A rustls connection (made once the `ClientHello` is in, so the
    /// first byte was checked for plain HTTP in `Hello`).
    Active { tls: Box<ServerConnection> },
    /// Plain HTTP was answered, or TLS failed: nothing more is read or
    /// written, and rustls's memory is released.
    Done,
}

impl<S> std::fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Fresh(_) => "fresh",
            State::Hello { .. } => "hello",
            State::Active { .. } if self.established => "established",
            State::Active { .. } => "handshaking",
            State::Done => "done",
        };
        f.debug_struct("TlsStream")
            .field("state", &state)
            .field("goodbye", &self.goodbye)
            .field("eof", &self.eof)
            .finish_non_exhaustive()
    }
}

impl<S: Read + Write> TlsStream<S> {
    /// A stream over `sock` that takes its configuration from `acceptor`
    /// when the first bytes arrive.
    pub(crate) fn new(sock: S, acceptor: Arc<TlsAcceptor>) -> TlsStream<S> {
        TlsStream {
            sock,
            state: State::Fresh(acceptor),
            established: false,
            announce: false,
            goodbye: false,
            eof: false,
            peer_closed: false,
        }
    }

    /// A stream over `sock` with a fixed configuration (for the fuzz
    /// targets and tests).
    #[cfg(any(test, feature = "internals"))]
    pub fn with_config(sock: S, config: Arc<rustls::ServerConfig>) -> TlsStream<S> {
        TlsStream::new(sock, Arc::new(TlsAcceptor::new(Configs::fixed(config))))
    }

    /// The socket.
    pub fn get_ref(&self) -> &S {
        &self.sock
    }

    /// The socket, mutably (tests drive a memory socket through it).
    #[cfg(any(test, feature = "internals"))]
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.sock
    }

    /// The handshake has not completed (and the connection has not failed).
    pub fn handshaking(&self) -> bool {
        !self.established && !matches!(self.state, State::Done)
    }

    /// The handshake has completed (even if the connection has failed or
    /// ended since).
    pub fn is_established(&self) -> bool {
        self.established
    }

    /// Sealed records are waiting for the socket.
    pub fn wants_write(&self) -> bool {
        matches!(&self.state, State::Active { tls, .. } if tls.wants_write())
    }

    /// The session is up and `close_notify` has not been queued.
    pub fn wants_close_notify(&self) -> bool {
        self.established && !self.goodbye && matches!(self.state, State::Active { .. })
    }

    /// The end of input has been seen (see `Transport::at_eof`).
    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// The poller reported the peer's FIN: from now on a read goes on
    /// after a short socket read, until the socket would block or ends.
    pub fn set_peer_closed(&mut self) {
        self.peer_closed = true;
    }

    /// Once, after the handshake: the session's facts for the requests.
    pub(crate) fn take_established(&mut self) -> Option<TlsInfo> {
        let State::Active { tls, .. } = &self.state else {
            return None;
        };
        if !std::mem::take(&mut self.announce) {
            return None;
        }
        Some(TlsInfo {
            server_name: tls.server_name().map(Arc::from),
        })
    }

    /// Queues `close_notify` once, if a session is up; a handshake that has
    /// not completed is simply closed.
    pub fn close_notify(&mut self) {
        if let State::Active { tls, .. } = &mut self.state {
            if self.established && !self.goodbye {
                tls.send_close_notify();
            }
        }
        self.goodbye = true;
    }

    /// Writes sealed records until none is left or the socket would block;
    /// `Ok(true)` if any byte went out.
    ///
    /// # Errors
    /// The socket's, except `WouldBlock`; `WriteZero` if it takes nothing.
    pub fn send_records(&mut self) -> io::Result<bool> {
        let State::Active { tls, .. } = &mut self.state else {
            return Ok(false);
        };
        let mut sent = false;
        // Bounded: each turn empties part of a buffer of at most rustls's
        // send limit (64 KiB) plus one handshake flight, or stops.
        while tls.wants_write() {
            match tls.write_tls(&mut self.sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => sent = true,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    }

    /// Reads plaintext into `buf`: as much as there is, up to `buf.len()`.
    /// A short read means the socket would block and rustls holds no more
    /// plaintext; `Ok(0)` is the end of input (the peer's `close_notify`,
    /// its TCP end, or plain HTTP answered with [`PLAIN_HTTP_400`]).
    ///
    /// # Errors
    /// `WouldBlock` when no plaintext is there; `InvalidData` when the
    /// peer broke TLS (the alert rustls queued is sent first, best effort);
    /// the socket's errors.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let State::Fresh(acceptor) = &self.state {
            self.state = State::Hello {
                acceptor: Box::default(),
                configs: acceptor.configs(),
                sniffed: false,
            };
        }
        if buf.is_empty() {
            return Ok(0);
        }
        // The last socket read came back short: the socket is drained (as a
        // short read of plain TCP says), and the edge-triggered poller will
        // report the next bytes, so reading it again would only return
        // `WouldBlock` (a system call per request). Not once the peer's FIN
        // was reported: it may be next, with no event left to report it.
        let mut drained = false;
        if matches!(self.state, State::Hello { .. }) {
            match self.accept_hello()? {
                Hello::Made { drained: short } => drained = short,
                Hello::Ended => return Ok(0),
            }
        }
        let mut filled = 0;
        let mut ciphertext = 0;
        loop {
            let State::Active { tls, .. } = &mut self.state else {
                return Ok(filled);
            };
            if filled < buf.len() {
                match tls.reader().read(&mut buf[filled..]) {
                    Ok(0) => {
                        // The peer's close_notify.
                        self.eof = true;
                        return Ok(filled);
                    }
                    Ok(n) => {
                        filled += n;
                        continue;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        // TCP ended without close_notify: for a server, an
                        // unfinished request is simply not answered.
                        return Ok(filled);
                    }
                    Err(e) => return Err(e),
                }
            }
            if filled == buf.len() || self.eof {
                return Ok(filled);
            }
            // Handshake records (or an alert) first, so that the peer can go
            // on. Not when plaintext is returned: the session tickets that
            // follow the handshake then go out with the response (the worker
            // sends sealed records before it reads again).
            if filled == 0 {
                self.send_records()?;
            }
            if drained {
                return if filled > 0 {
                    Ok(filled)
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                };
            }
            let State::Active { tls } = &mut self.state else {
                return Ok(filled);
            };
            let mut source = Sniff {
                sock: &mut self.sock,
                first: None,
                short: false,
            };
            match tls.read_tls(&mut source) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    ciphertext += n;
                    drained = source.short && !self.peer_closed;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return if filled > 0 { Ok(filled) } else { Err(e) };
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if let Err(e) = tls.process_new_packets() {
                log::debug!("TLS: {e}");
                let _ = self.send_records();
                self.state = State::Done;
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            if !self.established && !tls.is_handshaking() {
                self.established = true;
                self.announce = true;
            }
            if ciphertext > CIPHERTEXT_SLACK + 32 * filled {
                self.state = State::Done;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "too many TLS records for their data",
                ));
            }
        }
    }

    /// Seals plaintext: what `bufs` holds, up to rustls's send limit, after
    /// the records already sealed have gone out. The new records are not
    /// sent here, so that the records of several writes (and a
    /// `close_notify` after them) go out in one system call:
    /// [`wants_write`](Self::wants_write) reports them, and
    /// [`send_records`](Self::send_records) sends them.
    ///
    /// # Errors
    /// `WouldBlock` while earlier records are still waiting; `BrokenPipe`
    /// when there is no session; the socket's errors.
    pub fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.send_records()?;
        let State::Active { tls, .. } = &mut self.state else {
            return Err(io::ErrorKind::BrokenPipe.into());
        };
        if tls.wants_write() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if self.goodbye || !self.established {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        tls.writer().write_vectored(bufs)
    }

    /// Reads towards the `ClientHello`; once it is in, makes the rustls
    /// connection with the configuration it picks.
    ///
    /// # Errors
    /// `WouldBlock` until the `ClientHello` is in; `InvalidData` when it is
    /// refused (its alert is sent first, best effort) or never ends; the
    /// socket's errors.
    fn accept_hello(&mut self) -> io::Result<Hello> {
        for _ in 0..HELLO_READS {
            let State::Hello {
                acceptor,
                configs,
                sniffed,
            } = &mut self.state
            else {
                return Ok(Hello::Made { drained: false });
            };
            let mut first = None;
            let mut source = Sniff {
                sock: &mut self.sock,
                first: (!*sniffed).then_some(&mut first),
                short: false,
            };
            let drained = match acceptor.read_tls(&mut source) {
                Ok(0) => {
                    self.eof = true;
                    self.state = State::Done;
                    return Ok(Hello::Ended);
                }
                Ok(_) => source.short && !self.peer_closed,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(byte) = first {
                *sniffed = true;
                if byte.is_ascii_alphabetic() {
                    self.refuse_plain_http();
                    return Ok(Hello::Ended);
                }
            }
            match acceptor.accept() {
                Ok(None) if drained => return Err(io::ErrorKind::WouldBlock.into()),
                Ok(None) => {}
                Ok(Some(accepted)) => {
                    let config = configs.for_hello(&accepted.client_hello());
                    return match accepted.into_connection(config) {
                        Ok(tls) => {
                            self.state = State::Active { tls: Box::new(tls) };
                            Ok(Hello::Made { drained })
                        }
                        Err((e, alert)) => Err(self.refuse_hello(&e, alert)),
                    };
                }
                Err((e, alert)) => return Err(self.refuse_hello(&e, alert)),
            }
        }
        self.state = State::Done;
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a ClientHello that does not end",
        ))
    }

    /// A `ClientHello` rustls refused: sends its alert (best effort) and
    /// ends the connection.
    fn refuse_hello(&mut self, e: &rustls::Error, mut alert: AcceptedAlert) -> io::Error {
        log::debug!("TLS: {e}");
        let _ = alert.write(&mut self.sock);
        self.state = State::Done;
        io::Error::new(io::ErrorKind::InvalidData, e.clone())
    }

    /// Plain HTTP on the TLS port: answers [`PLAIN_HTTP_400`] in plain text,
    /// drops what the client sent (bounded), and ends the connection.
    fn refuse_plain_http(&mut self) {
        log::debug!("plain HTTP on the TLS port; answering 400");
        self.state = State::Done;
        self.eof = true;
        let _ = self.sock.write(PLAIN_HTTP_400);
        let mut scratch = [0u8; 4096];
        let mut dropped = 0;
        while dropped < PLAIN_DISCARD {
            match self.sock.read(&mut scratch) {
                Ok(0) | Err(_) => break,
                Ok(n) => dropped += n,
            }
        }
    }
}

/// What reading towards the `ClientHello` came to.
enum Hello {
    /// The rustls connection is made; `drained`: the last socket read came
    /// back short.
    Made { drained: bool },
    /// The input ended, or plain HTTP was answered: `read` returns `Ok(0)`.
    Ended,
}

/// The socket as rustls reads it, noting the first byte of the first read
/// (a TLS record starts with its content type, 22 for a handshake; plain
/// HTTP starts with a method's letter) and whether the read came back short.
struct Sniff<'a, S> {
    sock: &'a mut S,
    first: Option<&'a mut Option<u8>>,
    /// The read returned fewer bytes than there was room for.
    short: bool,
}

impl<S: Read> Read for Sniff<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        self.short = n < buf.len();
        if n > 0 {
            if let Some(first) = self.first.take() {
                *first = Some(buf[0]);
            }
        }
        Ok(n)
    }
}
