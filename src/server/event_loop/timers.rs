//! Deadlines: the heap of per-connection deadlines, the poll timeout the
//! loop publishes to the workers, and expiring what is due (see
//! "Deadlines" in the module doc).

use std::cmp::Reverse;
use std::sync::atomic::{Ordering, fence};
use std::time::{Duration, Instant};

use super::EventLoop;
use crate::proto::Phase;
use crate::server::stats::{Close, Deadline};
use crate::server::worker_pool::JobKind;

impl EventLoop {
    pub(super) fn poll_timeout(&self) -> Option<Duration> {
        let next = self.next_wake()?;
        // Round up so the loop does not wake a little early and spin.
        Some(next.saturating_duration_since(Instant::now()) + Duration::from_millis(1))
    }

    pub(super) fn next_wake(&self) -> Option<Instant> {
        [
            self.timers.peek().map(|Reverse((t, _, _))| *t),
            self.accept_retry,
            self.shutdown_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next poll's timeout, published to the workers: one that hands
    /// back a connection due before it ends wakes the loop (see
    /// "Deadlines"). The fence pairs with the worker's after it hands a
    /// connection back: either the worker sees this value, or this sees the
    /// connection in the channel and takes it back before polling (a few
    /// times at most; then the poll does not wait).
    pub(super) fn publish_poll_timeout(&mut self) -> Option<Duration> {
        for _ in 0..3 {
            self.shared.set_poll_until(self.next_wake());
            fence(Ordering::SeqCst);
            if self.done.is_empty() {
                return self.poll_timeout();
            }
            self.take_back();
        }
        Some(Duration::ZERO)
    }

    /// Makes sure the slot's deadline has a heap entry no later than it.
    pub(super) fn schedule(&mut self, key: usize) {
        let slot = &mut self.slots[key];
        if slot.scheduled.is_none_or(|t| slot.deadline < t) {
            slot.scheduled = Some(slot.deadline);
            self.timers.push(Reverse((slot.deadline, key, slot.id)));
            // Entries of closed connections stay until they pop; under heavy
            // connection churn, drop them once they outnumber the live ones
            // (amortised O(1) per entry), so memory follows live connections.
            if self.timers.len() > 2 * self.slots.len() + 1024 {
                let slots = &self.slots;
                self.timers.retain(|Reverse((at, key, id))| {
                    slots
                        .get(*key)
                        .is_some_and(|s| s.id == *id && s.scheduled == Some(*at))
                });
            }
        }
    }

    pub(super) fn expire_deadlines(&mut self) {
        let now = Instant::now();
        let mut away = false;
        while let Some(&Reverse((at, key, id))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(slot) = self.slots.get_mut(key) else {
                continue;
            };
            if slot.id != id || slot.scheduled != Some(at) {
                continue; // an entry of an earlier connection, or superseded
            }
            slot.scheduled = None;
            if slot.deadline > now {
                self.schedule(key);
                continue;
            }
            let Some(c) = &slot.conn else {
                // At a worker, or handed back without a wake-up (then no
                // event may come to take it back, and it has no heap entry
                // now): marked as missed, so that the worker wakes the loop
                // or the `take_back` below finds it, and it is looked at
                // again (the same fence pairing as for a missed event).
                slot.missed.store(true, Ordering::SeqCst);
                away = true;
                continue;
            };
            if self.drain_until.is_some_and(|until| now >= until)
                && matches!(c.phase(), Phase::Idle | Phase::Head)
            {
                self.close_between_requests(key);
                continue;
            }
            self.expired += 1;
            let phase = c.phase();
            let goodbye = phase == Phase::Idle && c.stream.wants_close_notify();
            let deadline = match phase {
                // The TLS handshake is under the header deadline, whatever
                // it waits for.
                _ if c.stream.handshaking() => Deadline::Header,
                Phase::Idle if slot.requests > 0 => Deadline::Idle,
                Phase::Idle | Phase::Head => Deadline::Header,
                Phase::Body => Deadline::Body,
                // A channel body's producer that did not send in time counts
                // with the writes: the response did not move.
                Phase::Write | Phase::Waiting => Deadline::Write,
                Phase::Closing | Phase::Closed => Deadline::Linger,
            };
            self.shared.stats.event_loop.timed_out(deadline);
            log::debug!(
                "{}: timeout while {phase:?} ({} connections expired so far)",
                c.conn.peer(),
                self.expired
            );
            match phase {
                // 408 (RFC 9110 §15.5.9), written by a worker, then closed.
                Phase::Head | Phase::Body => self.dispatch(key, JobKind::Timeout),
                Phase::Idle if goodbye => self.say_goodbye(key, Close::Timeout),
                _ => self.close_as(key, Some(Close::Timeout)),
            }
        }
        if away {
            self.take_back();
        }
    }
}
