//! Closing connections, and the shutdown drain (see "Draining" in the
//! module doc).

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::EventLoop;
use crate::proto::Phase;
use crate::server::stats::Close;
use crate::server::worker_pool::JobKind;

impl EventLoop {
    pub(super) fn close(&mut self, key: usize) {
        self.close_as(key, None);
    }

    /// Closes an established TLS connection that is idle, for `why`: a
    /// worker says `close_notify` first (no TLS work in the loop), and the
    /// connection is closed when it comes back.
    pub(super) fn say_goodbye(&mut self, key: usize, why: Close) {
        self.slots[key].closing = Some(why);
        self.dispatch(key, JobKind::Goodbye);
    }

    /// Closes the connection, counted under `why`, or else under the reason
    /// it gives itself.
    pub(super) fn close_as(&mut self, key: usize, why: Option<Close>) {
        let slot = self.slots.remove(key);
        self.shared.connections.fetch_sub(1, Ordering::Relaxed);
        if let Some(c) = slot.conn {
            let why = why.unwrap_or_else(|| Close::of(c.conn.close_reason(), c.dead));
            self.shared.stats.event_loop.closed(why, 1);
            if c.stream.tls_unfinished() {
                self.shared.stats.event_loop.tls_failed();
            }
            let in_progress = c.conn.counted_in_progress();
            if in_progress != (false, 0) {
                self.shared
                    .stats
                    .event_loop
                    .dropped_in_progress(in_progress);
            }
            log::debug!(
                "closing connection after {} requests: {:?}",
                c.conn.requests(),
                c.conn.close_reason()
            );
            // Dropping the stream closes the socket, which also removes it
            // from the poller: no separate deregister call is needed.
            drop(c);
        }
        if self.accept_paused && self.slots.len() < self.settings.max_connections {
            self.accept_paused = false;
            self.accept();
        }
    }

    pub(super) fn begin_shutdown(&mut self) {
        log::debug!("shutting down with {} connections", self.slots.len());
        // Connections handed back without a wake-up are waiting in the channel.
        self.take_back();
        let now = Instant::now();
        self.shutdown_deadline = Some(now + self.settings.shutdown_timeout);
        self.drain_until = Some(now + self.settings.drain_grace);
        // The connections the kernel has queued are accepted before the
        // socket goes (closing a reuse-port socket resets its queue).
        self.accept();
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        let here: Vec<usize> = self
            .slots
            .iter()
            .filter(|(_, s)| s.conn.is_some())
            .map(|(k, _)| k)
            .collect();
        for key in here {
            if !self.drained_between_requests(key) {
                self.schedule(key);
            }
        }
    }

    /// During a drain, a connection between requests (idle, new, or with
    /// part of a head) that can read no request any more, or whose drain
    /// grace has passed, is closed (`true`); one that still may gets its
    /// deadline no later than the end of the grace. Any other connection is
    /// left as it is.
    pub(super) fn drained_between_requests(&mut self, key: usize) -> bool {
        let (Some(until), Some(slot)) = (self.drain_until, self.slots.get_mut(key)) else {
            return false;
        };
        let Some(c) = &slot.conn else {
            return false;
        };
        if !matches!(c.phase(), Phase::Idle | Phase::Head) {
            return false;
        }
        if !c.conn.wants_read() || Instant::now() >= until {
            self.close_between_requests(key);
            return true;
        }
        slot.deadline = slot.deadline.min(until);
        false
    }

    /// Closes a connection between requests at shutdown; an idle TLS one
    /// goes to a worker first to send `close_notify` (no TLS work here).
    pub(super) fn close_between_requests(&mut self, key: usize) {
        let goodbye = self
            .slots
            .get(key)
            .and_then(|s| s.conn.as_ref())
            .is_some_and(|c| c.phase() == Phase::Idle && c.stream.wants_close_notify());
        if goodbye {
            self.say_goodbye(key, Close::Shutdown);
        } else {
            self.close_as(key, Some(Close::Shutdown));
        }
    }
}
