//! What a connection tells the server about its work, without knowing who
//! listens: a [`Tally`] of plain numbers the server collects after each
//! [`Conn::process`](super::Conn::process) pass (for its metrics), and an
//! [`Observer`] it may pass in [`Ctx`](super::Ctx) to hear of every response
//! as it is queued (for its access log). Neither names a server type, so
//! `proto` stays sans-IO: no clock, no atomics, no logger.

use std::fmt;
use std::net::SocketAddr;

use super::Error;
use crate::http::Request;

/// Counts since the last [`Conn::take_tally`](super::Conn::take_tally).
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use mini_async_http::proto::Tally;
/// let mut tally = Tally::default();
/// tally.answered(404);
/// assert_eq!(tally.responses, [0, 0, 0, 1, 0]);
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Responses queued, by status class: `[1xx, 2xx, 3xx, 4xx, 5xx]`
    /// (`100 Continue` and the server's own rejections included).
    pub responses: [u32; 5],
    /// The input this connection was rejected for (at most once: the
    /// connection closes after it).
    pub rejected: Option<Error>,
    /// Handler calls that panicked (each answered 500).
    pub panics: u32,
    /// Bytes received ([`Conn::advance_read`](super::Conn::advance_read)).
    pub bytes_in: u64,
    /// Bytes written ([`Conn::advance_write`](super::Conn::advance_write)).
    pub bytes_out: u64,
    /// Request bodies that began and ended spooling to a file, as seen at
    /// [`Conn::take_tally`](super::Conn::take_tally) (so one that starts
    /// and ends between two calls counts in neither): `[started, ended]`.
    pub spools: [u32; 2],
    /// Streamed response bodies (file, reader, channel) that began and
    /// ended, as seen the same way: `[started, ended]`.
    pub streams: [u32; 2],
}

impl Tally {
    /// Counts one response with this status (a status outside 100–599
    /// counts in the nearest class).
    ///
    /// ```
    /// # #[cfg(feature = "internals")] {
    /// let mut tally = mini_async_http::proto::Tally::default();
    /// tally.answered(100);
    /// tally.answered(503);
    /// assert_eq!(tally.responses, [1, 0, 0, 0, 1]);
    /// # }
    /// ```
    pub fn answered(&mut self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class] += 1;
    }
}

/// Hears of each request and response of a connection, on the thread that
/// runs [`Conn::process`](super::Conn::process).
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use std::cell::Cell;
/// use mini_async_http::proto::Observer;
/// use mini_async_http::Request;
///
/// #[derive(Debug, Default)]
/// struct Count(Cell<u32>);
/// impl Observer for Count {
///     fn answered(&self, _peer: std::net::SocketAddr, _req: Option<&Request>, _status: u16, _body: u64) {
///         self.0.set(self.0.get() + 1);
///     }
/// }
/// let count = Count::default();
/// count.answered("127.0.0.1:1".parse().unwrap(), None, 400, 0);
/// assert_eq!(count.0.get(), 1);
/// # }
/// ```
pub trait Observer: fmt::Debug {
    /// A complete request is about to go to the handler.
    fn handling(&self, request: &Request) {
        let _ = request;
    }

    /// A response has been queued: `status`, with `body` bytes of body on
    /// the wire (0 for `HEAD`, 1xx, 204 and 304); `request` is `None` for
    /// the server's own answer to input it rejected (400, 408, 413, …).
    fn answered(&self, peer: SocketAddr, request: Option<&Request>, status: u16, body: u64);
}
