//! The counters behind [`Metrics`](super::Metrics): written on the request
//! path without a lock and without a shared write.
//!
//! Each worker owns one [`WorkerStats`] block and the event loop owns one
//! [`LoopStats`] block. Only the owner writes a block, so a count is a plain
//! relaxed load and store (no atomic read-modify-write, no `lock` prefix);
//! the atomics are there so that a snapshot can read them from another
//! thread. Blocks are aligned to 128 bytes (two cache lines, for the
//! adjacent-line prefetcher), so no two owners ever write the same line.
//! A snapshot ([`Stats::snapshot`]) sums the blocks; it may see one block a
//! few counts ahead of another, never a torn value.
//!
//! What the workers count comes from the connection itself: after each pass
//! a worker takes the connection's [`Tally`] (plain numbers that `proto`
//! fills as it answers) and adds it to its block, so `proto` never sees a
//! server type. The event loop counts what only it sees: accepts, closes
//! and their reasons, deadlines, the connection limit, jobs handed out
//! (jobs queued = handed out − taken by a worker), and TLS connections
//! closed before their handshake completed (every close passes through it;
//! the worker that completes a handshake counts that).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::metrics::{Closes, LimitHits, Metrics, Rejections, Responses, Timeouts};
use crate::proto::{CloseReason, Error, Tally};

/// A counter with one writer (see the module doc).
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`; only the block's owner may call it.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Rejected inputs by the status they got: 400, 413, 417, 431, 501.
const REJECTED: usize = 5;

/// One worker's counters; written by that worker only.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct WorkerStats {
    responses: [Counter; 5],
    rejected: [Counter; REJECTED],
    /// `max_head_bytes`, `max_headers`, `max_body_bytes`.
    limits: [Counter; 3],
    panics: Counter,
    bytes_in: Counter,
    bytes_out: Counter,
    jobs_started: Counter,
    jobs_finished: Counter,
    /// TLS handshakes completed, counted by the worker that completed them
    /// (failures are counted where connections close: `LoopStats`).
    tls_ok: Counter,
    /// Request bodies that began and ended spooling to a file (for the
    /// spooling read path; in progress = started − finished, summed over
    /// workers, since a connection may move between workers).
    pub(crate) spool_started: Counter,
    pub(crate) spool_finished: Counter,
    /// Responses whose body began and ended streaming from a file, reader
    /// or channel (same).
    pub(crate) stream_started: Counter,
    pub(crate) stream_finished: Counter,
}

impl WorkerStats {
    /// A TLS handshake completed on this worker.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn tls_established(&self) {
        self.tls_ok.add(1);
    }

    /// The worker took a job.
    #[inline]
    pub(crate) fn job_started(&self) {
        self.jobs_started.add(1);
    }

    /// The worker is done with a job; adds what its connection did.
    #[inline]
    pub(crate) fn job_finished(&self, tally: &Tally) {
        for (counter, &n) in self.responses.iter().zip(&tally.responses) {
            if n > 0 {
                counter.add(u64::from(n));
            }
        }
        if let Some(err) = tally.rejected {
            self.rejected(err);
        }
        if tally.panics > 0 {
            self.panics.add(u64::from(tally.panics));
        }
        self.bytes_in.add(tally.bytes_in);
        self.bytes_out.add(tally.bytes_out);
        if tally.spools != [0, 0] || tally.streams != [0, 0] {
            self.spool_started.add(u64::from(tally.spools[0]));
            self.spool_finished.add(u64::from(tally.spools[1]));
            self.stream_started.add(u64::from(tally.streams[0]));
            self.stream_finished.add(u64::from(tally.streams[1]));
        }
        self.jobs_finished.add(1);
    }

    #[cold]
    fn rejected(&self, err: Error) {
        let limit = match err {
            Error::HeadTooLarge => Some(0),
            Error::TooManyHeaders => Some(1),
            Error::BodyTooLarge => Some(2),
            _ => None,
        };
        if let Some(i) = limit {
            self.limits[i].add(1);
        }
        let class = match err.status() {
            408 => return, // a timeout, counted by the event loop
            413 => 1,
            417 => 2,
            431 => 3,
            501 => 4,
            _ => 0,
        };
        self.rejected[class].add(1);
    }
}

/// Why a connection was closed, as counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Close {
    ClientClosed,
    NotKeepAlive,
    RequestLimit,
    Rejected,
    Timeout,
    Shutdown,
    Error,
}

impl Close {
    /// The reason the connection gives, else an error if its socket failed.
    pub(crate) fn of(reason: Option<CloseReason>, dead: bool) -> Close {
        match reason {
            Some(CloseReason::ClientClosed) => Close::ClientClosed,
            Some(CloseReason::NotKeepAlive) => Close::NotKeepAlive,
            Some(CloseReason::RequestLimit) => Close::RequestLimit,
            Some(CloseReason::Rejected(Error::Timeout) | CloseReason::IdleTimeout) => {
                Close::Timeout
            }
            Some(CloseReason::Rejected(_)) => Close::Rejected,
            // A streamed body's source failed: the response was cut off.
            Some(CloseReason::BodyFailed) => Close::Error,
            None if dead => Close::Error,
            // Without a reason of its own, a live connection is closed by
            // the loop at shutdown (or when the workers are gone).
            Some(CloseReason::Shutdown) | None => Close::Shutdown,
        }
    }
}

/// The deadline that passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Deadline {
    Header,
    Body,
    Idle,
    Write,
    Linger,
}

/// The event loop's counters; written by the loop only.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct LoopStats {
    accepted: Counter,
    dispatched: Counter,
    closes: [Counter; 7],
    timeouts: [Counter; 5],
    /// New connections that found `max_connections` reached.
    max_connections: Counter,
    /// Connections answered 503 because the process ran out of descriptors.
    descriptors: Counter,
    /// Spooling bodies and streamed bodies of connections the loop closed
    /// while they were in progress (they end there, not on a worker).
    spool_dropped: Counter,
    stream_dropped: Counter,
    /// TLS connections closed before their handshake completed, whatever
    /// closed them (an alert, plain HTTP, the client, a deadline, shutdown):
    /// every close passes through the loop.
    tls_failed: Counter,
}

impl LoopStats {
    /// A connection closed with a spooling body and `streams` streamed
    /// bodies in progress (as last counted by a worker).
    pub(crate) fn dropped_in_progress(&self, (spooling, streams): (bool, usize)) {
        self.spool_dropped.add(u64::from(spooling));
        self.stream_dropped.add(streams as u64);
    }

    pub(crate) fn accepted(&self) {
        self.accepted.add(1);
    }

    pub(crate) fn dispatched(&self) {
        self.dispatched.add(1);
    }

    pub(crate) fn closed(&self, why: Close, n: u64) {
        self.closes[why as usize].add(n);
    }

    pub(crate) fn timed_out(&self, deadline: Deadline) {
        self.timeouts[deadline as usize].add(1);
    }

    pub(crate) fn connection_limit(&self) {
        self.max_connections.add(1);
    }

    pub(crate) fn out_of_descriptors(&self) {
        self.descriptors.add(1);
    }

    /// A TLS connection closed before its handshake completed.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn tls_failed(&self) {
        self.tls_failed.add(1);
    }
}

/// Every block of one server.
pub(crate) struct Stats {
    started: Instant,
    pub(crate) workers: Box<[WorkerStats]>,
    pub(crate) event_loop: LoopStats,
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stats")
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl Stats {
    pub(crate) fn new(workers: usize) -> Stats {
        Stats {
            started: Instant::now(),
            workers: (0..workers).map(|_| WorkerStats::default()).collect(),
            event_loop: LoopStats::default(),
        }
    }

    /// Sums the blocks; `open` is the event loop's count of open connections.
    pub(crate) fn snapshot(&self, open: usize) -> Metrics {
        let sum = |f: fn(&WorkerStats) -> &Counter| -> u64 {
            self.workers
                .iter()
                .map(|w| f(w).get())
                .fold(0, u64::wrapping_add)
        };
        let gauge = |start: fn(&WorkerStats) -> &Counter, end: fn(&WorkerStats) -> &Counter| {
            // Read the ends first: a start is never counted after its end.
            let ended = sum(end);
            sum(start).saturating_sub(ended)
        };
        let l = &self.event_loop;
        let started = sum(|w| &w.jobs_started);
        let busy = gauge(|w| &w.jobs_started, |w| &w.jobs_finished);
        let closes = |why: Close| l.closes[why as usize].get();
        let timeouts = |d: Deadline| l.timeouts[d as usize].get();
        Metrics {
            uptime: self.started.elapsed(),
            workers: self.workers.len() as u64,
            workers_busy: busy,
            jobs_queued: l.dispatched.get().saturating_sub(started),
            connections_open: open as u64,
            connections_accepted: l.accepted.get(),
            closes: Closes {
                client_closed: closes(Close::ClientClosed),
                not_keep_alive: closes(Close::NotKeepAlive),
                request_limit: closes(Close::RequestLimit),
                rejected: closes(Close::Rejected),
                timeout: closes(Close::Timeout),
                shutdown: closes(Close::Shutdown),
                error: closes(Close::Error),
            },
            responses: Responses {
                informational: sum(|w| &w.responses[0]),
                success: sum(|w| &w.responses[1]),
                redirection: sum(|w| &w.responses[2]),
                client_error: sum(|w| &w.responses[3]),
                server_error: sum(|w| &w.responses[4]),
            },
            bytes_received: sum(|w| &w.bytes_in),
            bytes_sent: sum(|w| &w.bytes_out),
            limit_hits: LimitHits {
                head: sum(|w| &w.limits[0]),
                headers: sum(|w| &w.limits[1]),
                body: sum(|w| &w.limits[2]),
                connections: l.max_connections.get(),
                descriptors: l.descriptors.get(),
            },
            timeouts: Timeouts {
                header: timeouts(Deadline::Header),
                body: timeouts(Deadline::Body),
                idle: timeouts(Deadline::Idle),
                write: timeouts(Deadline::Write),
                linger: timeouts(Deadline::Linger),
            },
            rejected: Rejections {
                bad_request: sum(|w| &w.rejected[0]),
                content_too_large: sum(|w| &w.rejected[1]),
                expectation_failed: sum(|w| &w.rejected[2]),
                header_fields_too_large: sum(|w| &w.rejected[3]),
                not_implemented: sum(|w| &w.rejected[4]),
            },
            handler_panics: sum(|w| &w.panics),
            tls_handshakes: sum(|w| &w.tls_ok),
            tls_handshake_failures: l.tls_failed.get(),
            spooled_uploads: gauge(|w| &w.spool_started, |w| &w.spool_finished)
                .saturating_sub(l.spool_dropped.get()),
            streaming_responses: gauge(|w| &w.stream_started, |w| &w.stream_finished)
                .saturating_sub(l.stream_dropped.get()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_do_not_share_cache_lines() {
        assert_eq!(std::mem::align_of::<WorkerStats>(), 128);
        assert_eq!(std::mem::size_of::<WorkerStats>() % 128, 0);
        assert_eq!(std::mem::align_of::<LoopStats>(), 128);
    }

    #[test]
    fn snapshot_sums_workers_and_classifies() {
        let stats = Stats::new(2);
        let mut tally = Tally::default();
        tally.answered(200);
        tally.answered(404);
        tally.rejected = Some(Error::TooManyHeaders);
        tally.panics = 1;
        tally.bytes_in = 10;
        stats.workers[0].job_started();
        stats.workers[0].job_finished(&tally);
        stats.workers[1].job_started();
        let timeout = Tally {
            rejected: Some(Error::Timeout),
            ..Tally::default()
        };
        stats.workers[1].job_finished(&timeout);
        stats.workers[1].job_started();
        stats.event_loop.dispatched();
        stats.event_loop.dispatched();
        stats.event_loop.dispatched();
        stats.event_loop.dispatched();
        stats
            .event_loop
            .closed(Close::of(Some(CloseReason::IdleTimeout), false), 1);
        stats.event_loop.timed_out(Deadline::Idle);
        let m = stats.snapshot(3);
        assert_eq!(m.responses.success, 1);
        assert_eq!(m.responses.client_error, 1);
        assert_eq!(m.rejected.header_fields_too_large, 1);
        assert_eq!(m.rejected.total(), 1, "a 408 is a timeout, not a rejection");
        assert_eq!(m.limit_hits.headers, 1);
        assert_eq!(m.handler_panics, 1);
        assert_eq!(m.bytes_received, 10);
        assert_eq!((m.workers_busy, m.jobs_queued), (1, 1));
        assert_eq!((m.closes.timeout, m.timeouts.idle), (1, 1));
        assert_eq!(m.connections_open, 3);
    }

    #[test]
    fn close_reasons() {
        assert_eq!(Close::of(None, true), Close::Error);
        assert_eq!(Close::of(None, false), Close::Shutdown);
        let rejected = Some(CloseReason::Rejected(Error::BodyTooLarge));
        assert_eq!(Close::of(rejected, true), Close::Rejected);
        let timeout = Some(CloseReason::Rejected(Error::Timeout));
        assert_eq!(Close::of(timeout, false), Close::Timeout);
    }
}
