//! The server's side of the in-memory wire: bytes go into a
//! [`Conn`](crate::proto::Conn) the way a worker reads them from a socket,
//! the connection answers with the handler, and its output is taken the way
//! a worker writes it ([`Conn::output_slices`], [`Conn::advance_write`]),
//! until nothing is left to take.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::IoSlice;

use super::TestResponse;
use crate::http::{Notify, Pulled};
use crate::proto::{BufferPool, CloseReason, Conn, Ctx, Phase};
use crate::{Handler, Method, Request, Response};

/// Slices taken from the connection at once (as a worker's vectored write).
const SLICES: usize = 16;

/// Why the server closed a connection: the public mirror of the reason the
/// server logs.
///
/// ```
/// use mini_async_http::test::{Closed, TestClient};
/// use mini_async_http::{Request, ResponseBuilder};
///
/// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().build().unwrap());
/// let exchange = client.raw("GET / HTTP/1.1\r\n\r\n"); // no Host
/// assert_eq!(exchange.closed, Closed::Rejected(400));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Closed {
    /// The client closed its side first (the end of a
    /// [`raw`](super::TestClient::raw) exchange); the server would have kept
    /// the connection open.
    ClientClosed,
    /// The request asked for it (`Connection: close`, HTTP/1.0 without
    /// `Connection: keep-alive`) or the handler's response said
    /// `Connection: close`.
    NotKeepAlive,
    /// The server rejected a request with this status (400, 413, 417, 431,
    /// 501) and answered nothing after it.
    Rejected(u16),
    /// [`max_requests_per_connection`](crate::ServerBuilder::max_requests_per_connection)
    /// requests were served.
    RequestLimit,
    /// Idle past the keep-alive timeout. Only a real server closes for this:
    /// the test client has no clock.
    IdleTimeout,
    /// The server is shutting down. Only a real server closes for this: the
    /// test client is never shut down.
    Shutdown,
    /// A streamed response body's source failed (a read error, a file or
    /// reader shorter than its announced length, a channel's producer that
    /// did not send within [`PRODUCER_WAIT`](super::PRODUCER_WAIT)): the
    /// response was cut off.
    BodyFailed,
}

impl Closed {
    pub(super) fn of(reason: CloseReason) -> Closed {
        match reason {
            CloseReason::ClientClosed => Closed::ClientClosed,
            CloseReason::NotKeepAlive => Closed::NotKeepAlive,
            CloseReason::Rejected(err) => Closed::Rejected(err.status()),
            CloseReason::RequestLimit => Closed::RequestLimit,
            CloseReason::IdleTimeout => Closed::IdleTimeout,
            CloseReason::Shutdown => Closed::Shutdown,
            CloseReason::BodyFailed => Closed::BodyFailed,
        }
    }
}

/// What [`TestClient::raw`](super::TestClient::raw) saw on one connection.
///
/// ```
/// use mini_async_http::test::{Closed, TestClient};
/// use mini_async_http::{Request, ResponseBuilder};
/// let mut client = TestClient::new(|_: &Request| ResponseBuilder::empty_200().build().unwrap());
/// let exchange = client.raw("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
/// assert_eq!(exchange.responses.len(), 1);
/// assert_eq!(exchange.closed, Closed::NotKeepAlive);
/// assert_eq!(exchange.responses[0].closed(), Some(Closed::NotKeepAlive));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exchange {
    /// Every response, in order, interim `100 Continue` included. The last
    /// one says why the server closed after it, unless the client closed
    /// first.
    pub responses: Vec<TestResponse>,
    /// Bytes after the last complete response (empty unless the server
    /// wrote something that is not a complete response).
    pub unparsed: Vec<u8>,
    /// Why the connection closed.
    pub closed: Closed,
}

/// One connection's server side, with what the client needs to read its
/// output back.
pub(super) struct Wire<'a, H: ?Sized> {
    pub(super) conn: &'a mut Conn,
    pub(super) pool: &'a mut BufferPool,
    pub(super) handler: &'a H,
    pub(super) ctx: Ctx<'a>,
    /// One entry per request the handler was given, in order: whether it was
    /// `HEAD` (its response then has no body on the wire).
    pub(super) heads: RefCell<VecDeque<bool>>,
    /// Everything the server wrote.
    pub(super) out: Vec<u8>,
}

impl<H: Handler + ?Sized> Wire<'_, H> {
    /// Sends `bytes` to the server (as fast as it reads them), letting it
    /// answer whenever its input buffer is full and once at the end, and
    /// takes all it writes. Bytes it no longer reads (it is closing) are
    /// dropped, as a closing server discards them.
    pub(super) fn send(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let Some(buf) = self.conn.read_buf(self.pool) else {
                self.answer();
                if self.conn.read_buf(self.pool).is_none() {
                    break;
                }
                continue;
            };
            let n = buf.len().min(bytes.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            self.conn.advance_read(n);
            bytes = &bytes[n..];
        }
        self.answer();
    }

    /// The client closes its side: the server answers what is complete,
    /// then closes.
    pub(super) fn close(&mut self) {
        self.conn.read_eof();
        self.answer();
    }

    /// Whether the server has closed the connection (after the output).
    pub(super) fn closed(&self) -> bool {
        matches!(self.conn.phase(), Phase::Closing | Phase::Closed)
    }

    /// The server answers every complete request; all it writes is taken.
    fn answer(&mut self) {
        let heads = &self.heads;
        let handler = self.handler;
        let recording = |req: &Request| -> Response {
            heads.borrow_mut().push_back(*req.method() == Method::Head);
            handler.call(req)
        };
        self.conn.process(&recording, &self.ctx);
        loop {
            let mut slices = [IoSlice::new(&[]); SLICES];
            let n = self.conn.output_slices(&mut slices);
            if n == 0 {
                // A streamed body (file, reader, channel) is pulled as the
                // server's workers pull it, as fast as memory takes it.
                if self.conn.stream().is_some() {
                    pull(self.conn);
                    continue;
                }
                // Requests held back while the output was over its
                // high-water mark are answered now that it has drained.
                if self.conn.held() {
                    self.conn.process(&recording, &self.ctx);
                    continue;
                }
                break;
            }
            let mut taken = 0;
            for slice in &slices[..n] {
                self.out.extend_from_slice(slice);
                taken += slice.len();
            }
            self.conn.advance_write(taken);
        }
        self.conn.release(self.pool);
    }
}

/// Moves the next bytes of the front streamed body from its source. A
/// channel with nothing to send is waited for (its producer runs on
/// another thread), at most [`PRODUCER_WAIT`](super::PRODUCER_WAIT) per
/// message; after that the body fails as a source error would.
fn pull(conn: &mut Conn) {
    let Some(stream) = conn.stream() else {
        return;
    };
    let (source, buf) = stream.parts();
    let pulled = match source.pull(buf) {
        Ok(Pulled::Empty) => {
            let (tx, rx) = std::sync::mpsc::channel();
            let notify = Notify::new(move || {
                let _ = tx.send(());
            });
            match source.park(&notify) {
                Pulled::Empty => {
                    if rx.recv_timeout(super::PRODUCER_WAIT).is_err() {
                        conn.body_failed();
                    }
                    return;
                }
                pulled => pulled,
            }
        }
        Ok(pulled) => pulled,
        Err(_) => {
            conn.body_failed();
            return;
        }
    };
    conn.body_pulled(pulled);
}
