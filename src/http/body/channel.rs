//! The channel body: [`Body::channel`](super::Body::channel) gives a
//! [`BodySender`] that other threads write into while the server sends what
//! arrives. Bounded (a full channel makes [`BodySender::send`] wait), and
//! both ends learn when the other is gone: the server when the sender is
//! dropped (the body ends), the producer when the connection is closed or
//! the response dropped (`send` returns [`Disconnected`]).
//!
//! The server does not wait on the channel with a thread: when it finds the
//! channel empty it leaves a [`Notify`] in the channel's [`Hook`] and parks
//! the connection; the next `send` (or the sender's drop) calls it once.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crossbeam_channel::{Receiver, Sender, TryRecvError};

/// What the server leaves in a channel to be told that it has something.
#[derive(Clone)]
pub(crate) struct Notify(Arc<dyn Fn() + Send + Sync>);

impl Notify {
    pub(crate) fn new(f: impl Fn() + Send + Sync + 'static) -> Notify {
        Notify(Arc::new(f))
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Notify")
    }
}

/// Shared by both ends: the server's notification, if it is waiting.
#[derive(Default)]
struct Hook {
    notify: Mutex<Option<Notify>>,
}

impl Hook {
    /// Calls (and removes) the notification, if the server left one.
    fn notify(&self) {
        let notify = self
            .notify
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(notify) = notify {
            (notify.0)();
        }
    }

    fn set(&self, notify: Option<Notify>) {
        *self.notify.lock().unwrap_or_else(PoisonError::into_inner) = notify;
    }
}

/// The producer's end of a channel body (see
/// [`Body::channel`](super::Body::channel)). Dropping it ends the body.
///
/// ```
/// use mini_async_http::Body;
///
/// let (tx, body) = Body::channel(4);
/// tx.send("data: hello\n\n").unwrap();
/// tx.try_send(b"data: again\n\n".to_vec()).unwrap();
/// drop(body); // the response was dropped, or its connection closed
/// assert!(tx.send("data: late\n\n").is_err());
/// ```
pub struct BodySender {
    /// `None` only while dropping, so the channel is closed before the
    /// server is notified.
    tx: Option<Sender<Vec<u8>>>,
    hook: Arc<Hook>,
}

impl fmt::Debug for BodySender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodySender")
            .field("queued", &self.tx.as_ref().map_or(0, Sender::len))
            .finish_non_exhaustive()
    }
}

impl BodySender {
    /// Queues `data` to be sent, waiting while the channel is full.
    ///
    /// # Errors
    /// [`Disconnected`] once the body will not be sent any more: its
    /// connection closed (the client went away, a timeout, shutdown) or the
    /// response was dropped unsent (a `HEAD` request, for example).
    ///
    /// ```
    /// let (tx, body) = mini_async_http::Body::channel(1);
    /// assert!(tx.send(vec![1, 2, 3]).is_ok());
    /// # drop(body);
    /// ```
    pub fn send(&self, data: impl Into<Vec<u8>>) -> Result<(), Disconnected> {
        let tx = self.tx.as_ref().ok_or(Disconnected)?;
        tx.send(data.into()).map_err(|_| Disconnected)?;
        self.hook.notify();
        Ok(())
    }

    /// Queues `data` if there is room now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] when the channel is full,
    /// [`TrySendError::Disconnected`] when the body will not be sent any more;
    /// both give `data` back.
    ///
    /// ```
    /// use mini_async_http::{Body, TrySendError};
    /// let (tx, body) = Body::channel(1);
    /// tx.try_send("one").unwrap();
    /// let err = tx.try_send("two").unwrap_err();
    /// assert!(matches!(err, TrySendError::Full(_)));
    /// assert_eq!(err.into_inner(), b"two");
    /// # drop(body);
    /// ```
    pub fn try_send(&self, data: impl Into<Vec<u8>>) -> Result<(), TrySendError> {
        let data = data.into();
        let Some(tx) = &self.tx else {
            return Err(TrySendError::Disconnected(data));
        };
        match tx.try_send(data) {
            Ok(()) => {
                self.hook.notify();
                Ok(())
            }
            Err(crossbeam_channel::TrySendError::Full(data)) => Err(TrySendError::Full(data)),
            Err(crossbeam_channel::TrySendError::Disconnected(data)) => {
                Err(TrySendError::Disconnected(data))
            }
        }
    }
}

impl Drop for BodySender {
    fn drop(&mut self) {
        // Closed first, so that the notified server finds the end.
        drop(self.tx.take());
        self.hook.notify();
    }
}

/// The server's end of a channel body.
pub(crate) struct ChannelReceiver {
    rx: Receiver<Vec<u8>>,
    hook: Arc<Hook>,
}

/// What a channel has for the server now.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// The next bytes.
    Data(Vec<u8>),
    /// Nothing yet; the producer is still there.
    Empty,
    /// The producer dropped its sender and everything was received.
    End,
}

impl ChannelReceiver {
    /// The next bytes, if there are some now (empty messages are skipped:
    /// one would end a chunked body).
    pub(crate) fn try_recv(&self) -> Received {
        loop {
            match self.rx.try_recv() {
                Ok(data) if data.is_empty() => {}
                Ok(data) => return Received::Data(data),
                Err(TryRecvError::Empty) => return Received::Empty,
                Err(TryRecvError::Disconnected) => return Received::End,
            }
        }
    }

    /// Leaves `notify` to be called (once) when the producer sends or drops
    /// its sender, then looks again, so that bytes sent in between are not
    /// missed: [`Received::Empty`] means `notify` will be called.
    pub(crate) fn park(&self, notify: &Notify) -> Received {
        loop {
            self.hook.set(Some(notify.clone()));
            match self.rx.try_recv() {
                // Its send may have used up the notification: leave another.
                Ok(data) if data.is_empty() => {}
                Ok(data) => return Received::Data(data),
                Err(TryRecvError::Empty) => return Received::Empty,
                Err(TryRecvError::Disconnected) => return Received::End,
            }
        }
    }
}

impl Drop for ChannelReceiver {
    fn drop(&mut self) {
        // The producer may live on; it must not keep the server's waker.
        self.hook.set(None);
    }
}

/// A bounded channel of `capacity` messages (at least 1).
pub(crate) fn channel(capacity: usize) -> (BodySender, ChannelReceiver) {
    let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
    let hook = Arc::new(Hook::default());
    (
        BodySender {
            tx: Some(tx),
            hook: Arc::clone(&hook),
        },
        ChannelReceiver { rx, hook },
    )
}

/// [`BodySender::send`] failed: the body will not be sent any more (its
/// connection closed, or the response was dropped unsent).
///
/// ```
/// let (tx, body) = mini_async_http::Body::channel(1);
/// drop(body);
/// let err = tx.send("x").unwrap_err();
/// assert_eq!(err.to_string(), "the response body is no longer sent");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disconnected;

impl fmt::Display for Disconnected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the response body is no longer sent")
    }
}

impl std::error::Error for Disconnected {}

/// Why [`BodySender::try_send`] did not queue its bytes (given back).
///
/// ```
/// use mini_async_http::{Body, TrySendError};
/// let (tx, body) = Body::channel(1);
/// drop(body);
/// let err = tx.try_send("x").unwrap_err();
/// assert_eq!(err, TrySendError::Disconnected(b"x".to_vec()));
/// assert_eq!(err.to_string(), "the response body is no longer sent");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrySendError {
    /// The channel is full: the connection has not taken the earlier bytes.
    Full(Vec<u8>),
    /// The body will not be sent any more.
    Disconnected(Vec<u8>),
}

impl TrySendError {
    /// The bytes that were not queued.
    ///
    /// ```
    /// let err = mini_async_http::TrySendError::Full(vec![1]);
    /// assert_eq!(err.into_inner(), [1]);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> Vec<u8> {
        match self {
            TrySendError::Full(data) | TrySendError::Disconnected(data) => data,
        }
    }
}

impl fmt::Display for TrySendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("the response body's channel is full"),
            TrySendError::Disconnected(_) => Disconnected.fmt(f),
        }
    }
}

impl std::error::Error for TrySendError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counter() -> (Arc<AtomicUsize>, Notify) {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let notify = Notify::new(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        (calls, notify)
    }

    #[test]
    fn a_parked_receiver_is_notified_once_by_send_and_by_drop() {
        let (tx, rx) = channel(2);
        let (calls, notify) = counter();
        assert_eq!(rx.park(&notify), Received::Empty);
        tx.send("a").unwrap();
        tx.send("b").unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one call per park");
        assert_eq!(rx.try_recv(), Received::Data(b"a".to_vec()));
        assert_eq!(rx.park(&notify), Received::Data(b"b".to_vec()));
        assert_eq!(rx.park(&notify), Received::Empty);
        drop(tx);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(rx.try_recv(), Received::End);
    }

    #[test]
    fn the_producer_learns_that_the_receiver_is_gone() {
        let (tx, rx) = channel(1);
        tx.send("a").unwrap();
        assert!(matches!(tx.try_send("b"), Err(TrySendError::Full(_))));
        let waiting = std::thread::spawn(move || tx.send("b"));
        drop(rx);
        assert_eq!(waiting.join().unwrap(), Err(Disconnected));
    }

    #[test]
    fn a_dropped_receiver_releases_the_servers_notify() {
        let (tx, rx) = channel(1);
        let (calls, notify) = counter();
        assert_eq!(rx.park(&notify), Received::Empty);
        drop(rx);
        assert_eq!(Arc::strong_count(&notify.0), 1, "notify released");
        assert!(tx.send("x").is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
