//! The event loop: one thread, one `mio::Poll`, four events.
//!
//! - **new connection** (listener token): accept until `WouldBlock`, register
//!   each socket once for `READABLE | WRITABLE`, store it in the `Slab`.
//! - **readable / writable** (a connection's token): move the connection to the
//!   worker pool. No parsing and no handler code run here.
//! - **closed**: a worker hands back a connection that is done (or a deadline
//!   passes); drop it, which closes the socket and so removes it from the
//!   poller (an explicit `deregister` would be one more syscall for nothing).
//!   This is the only place that registers or closes a socket.
//! - **shutdown** (the `Waker`, with the shutdown flag set): accept what the
//!   socket has queued, stop accepting, let requests under way finish (a
//!   connection answers what it has read, then closes), close connections
//!   between requests when the drain grace ends (see "Draining"), end the
//!   loop.
//!
//! The loop counts what only it sees (accepts, closes by reason, deadlines,
//! the connection limit, jobs handed out) in its own block of `stats.rs`;
//! that is a relaxed store to a line no other thread writes.
//!
//! The `Waker` also tells the loop that workers have handed connections back,
//! but only when the loop has something to do with them at once (the
//! connection is done, an event for it was missed, it used up its round
//! budget, or the server is shutting down). A connection that simply goes back
//! to waiting is left in the channel without a wake-up: the loop takes it back
//! after its next `poll`, which at the latest is the one that reports that
//! connection's next event, so the common keep-alive request costs no wake-up.
//!
//! # Waiting for a producer
//! A connection whose response is a channel body with nothing in it comes
//! back in [`Phase::Waiting`] (and wakes the loop, so its deadline starts at
//! once). It needs no worker and no readiness: writable events are ignored,
//! and it stays in the loop until its producer sends or drops its sender.
//! The producer's thread then pushes the connection's key and id onto
//! `Shared::woken` and wakes the loop through the `Waker`; the loop takes the
//! keys after it has taken back the finished connections and sends each
//! waiting one to a worker (one still at a worker is marked missed and goes
//! again when it comes back; a key whose id no longer matches is stale and
//! skipped). A readable event still goes to a worker, which closes the
//! connection if the client has closed its side (the producer is told). The
//! deadline while waiting is `producer_timeout`, none by default: a stream
//! of server-sent events may be quiet for long, and when it sends, the write
//! timeout applies again to a client that does not read.
//!
//! # Draining
//! A shutdown must not lose a request a client has already sent, or is
//! about to send on a connection it has every reason to think open. So:
//! - the connections the kernel has queued on the listening socket are
//!   accepted before the socket is closed, beyond `max_connections` too
//!   (at most the backlog): closing a socket resets its queue, unless a
//!   successor shares the socket, and a reuse-port socket's queue is only
//!   moved to the others with `net.ipv4.tcp_migrate_req=1`;
//! - a connection between requests (idle keep-alive, new with nothing
//!   read, or part of a head) stays open until the end of
//!   [`drain_grace`](crate::ServerBuilder::drain_grace) (1 s), and a
//!   request that completes meanwhile is answered, with `Connection: close`
//!   (the flag `Conn` reads after the handler); then it is closed, counted
//!   as a shutdown close, not a timeout. One that can read no request any
//!   more (it has answered one during the drain and keeps only part of a
//!   pipelined next) is closed at once.
//!
//! | rule | what the client gets | test |
//! |---|---|---|
//! | a connection queued on the socket (over `max_connections` too) | accepted, answered, `Connection: close` | `connections_queued_on_the_socket_are_answered` |
//! | a request in flight on a keep-alive connection (HTTP/1.1, 1.0) | its answer, `Connection: close`, then the close | `keep_alive_clients_get_connection_close_on_in_flight_response` |
//! | pipelined requests already read | all answered, only the last with `Connection: close` | `drain_under_load_answers_what_it_has_read_and_closes_idle_first` |
//! | a request arriving within the grace on an idle, a new or a half-headed connection | its answer, `Connection: close` | `requests_arriving_during_the_drain_grace_are_answered` |
//! | nothing arrives within the grace | the close, counted as a shutdown close | `requests_arriving_during_the_drain_grace_are_answered` |
//! | `drain_grace(ZERO)` | the close when the drain begins | `drain_grace_zero_closes_connections_between_requests_at_once` |
//! | still under way at `shutdown_timeout` | the close (a running handler is waited for) | `shutdown_timeout_drops_connections_but_waits_for_running_handler` |
//!
//! The tests are in `tests/drain.rs` and `tests/shutdown.rs`.
//!
//! Closing idle connections at once instead loses the requests that are
//! on their way: measured with wrk (64 connections) against `serve`, 60 to
//! 95 failed requests in 7 restarts with keep-alive, 29 to 88 in 6 with a
//! new connection per request; behind nginx, a few such errors mark a
//! backend down and turn into tens of thousands of `502`s (README,
//! "Deploying"). With the grace, 0 in every run.
//!
//! # Edge-triggered readiness
//! mio is edge-triggered: an event is reported once, when the socket becomes
//! ready. An event can arrive while its connection is at a worker, where the
//! loop cannot act on it; the slot remembers it (`missed`) and the connection
//! is sent to a worker again as soon as it comes back. Sockets are registered
//! once for both directions and never re-registered. A worker that reads
//! until `WouldBlock` (or gets a short read) has consumed the edge: new bytes
//! bring a new event. The exception is the client's FIN: it can arrive in the
//! same edge as the last bytes, and no later event will report it. So an
//! event that says the read side is closed marks the connection
//! (`peer_closed`), and its worker then reads on until it sees the end of
//! input; otherwise a client that half-closes after its request would wait
//! for the idle timeout instead of getting its EOF.
//!
//! # TLS
//! The loop does no TLS work: a TLS connection is a `Transport` it moves
//! like any other. Three things differ. Sealed records the transport still
//! holds make the connection wait to write (`Connection::phase`), so its
//! writable event is acted on. The handshake is under the header deadline
//! from accept, whatever it waits for. And an established TLS connection
//! that the loop would drop while idle (idle timeout, shutdown) goes to a
//! worker instead (`JobKind::Goodbye`), which sends `close_notify` first;
//! its close is counted under the loop's reason (`Slot::closing`). A TLS
//! connection closed before its handshake completed, for whatever reason,
//! counts as a failed handshake.
//!
//! # Backlog
//! When, after handing out the events of a poll, two or more jobs are still
//! waiting for a worker, the loop parks (`std::thread::park`) instead of
//! polling again; the worker that takes the last queued job unparks it, as
//! do an urgent hand-back and `shutdown`. While it polls, each new event for
//! a waiting loop is a wake-up (an inter-processor interrupt when the event
//! comes from another core) for work no idle worker could take anyway; while
//! it is parked, events simply collect in the poller and the next poll takes
//! them all. Measured on one core (`bench/compare.sh` scenarios, one worker):
//! context switches per request at 64 keep-alive connections 0.33 → 0.20,
//! pipelined requests per second +4 %. A deadline still bounds the park, and
//! new connections wait in the listen backlog only while every worker is
//! busy, where they would wait for a worker anyway.
//!
//! # Coalescing
//! Each hand-off of events to a worker costs a fixed amount (the loop and a
//! worker take turns: two context switches and a few system calls). Under
//! load with many connections, events can arrive in a steady trickle, so that
//! every poll finds one or two and the loop pays that cost for each request;
//! when the server is faster than its clients the trickle never stops, and
//! the spare CPU goes to hand-offs instead of idling. So a poll that comes
//! back within 200 µs with 8 or fewer events, while 32 or more connections
//! are open, makes the loop pause [`coalesce`](crate::ServerBuilder::coalesce)
//! (50 µs by default) before the next poll, and the events of that pause go
//! out in one batch. Measured on one core (`bench/compare.sh`, one worker),
//! against the same build with `coalesce(Duration::ZERO)`: context switches
//! per request 0.27 → 0.13 at 64 keep-alive connections, 0.027 → 0.010 with
//! 16 pipelined requests; requests per busy core +10 %, +12 %, +4 % with
//! 4 KiB POSTs, +3 % at 1 000 connections, +18 % with a new connection per
//! request, and requests per second up 0–9 %.
//! The median latency under that load rises (at 64 connections, 260 → 440 µs,
//! as requests wait for their batch) while the mean (connections ÷
//! throughput) and the p99 do not. With fewer connections, or when polls
//! wait, nothing changes: one connection's round trip is untouched.
//!
//! # What the hand-off costs
//! Taking turns with a worker is the price of keeping parsing, handlers and
//! TLS off this thread, and on one core it is measured. A patch that ran
//! the worker's job on this thread instead (not merged, since it would let
//! one slow handler stop every connection;
//! `bench/results/2026-12-02c/handoff_inline.md`) served 1.15× the requests
//! per busy core with 16 pipelined requests and 1.08× with TLS keep-alive,
//! one worker pinned with the loop. Backlog parking and coalescing above are
//! what keep that price down.
//!
//! # Deadlines
//! Each slot has one deadline, set from the connection's [`Phase`] when it
//! comes back (header, idle, body, write, producer or linger timeout). Deadlines live in
//! a min-heap with at most one live entry per slot: a later deadline only
//! updates the slot, and the entry, when it pops early, is pushed again for
//! the slot's current deadline. No scan of all connections ever happens.
//! A deadline that passes while its connection is away (at a worker, or
//! handed back without a wake-up) marks the connection missed, as an event
//! would, so that it is taken back and expired then; a connection whose
//! deadline has passed is expired rather than sent to a worker again.
//! The loop publishes when its poll will end at the latest; a worker
//! handing back a connection whose new deadline comes sooner (an idle or
//! linger timeout shorter than what the loop waits for) wakes it, so that
//! deadline is not late.
//!
//! # Scheduling
//! On Linux the loop runs under `SCHED_BATCH` while `start` runs (restored
//! afterwards). The loop only hands work out; when it shares a core with a
//! worker, the normal policy lets every new event preempt the worker that is
//! doing the work, and the two threads ping-pong (measured: about 110 000
//! switches a second at 64 keep-alive connections on one core). `SCHED_BATCH`
//! keeps the loop from preempting on wake-up, so events batch up while the
//! worker works: +30 % requests per second on one core in `bench/compare.sh`
//! `ka64`. On an idle core nothing changes, so latency does not suffer.
//!
//! # Accept errors
//! Aborted and reset connections are skipped. When the process is out of file
//! descriptors, a reserve descriptor is released to accept the waiting
//! connection, answer it `503` and close it, and taken again; if that fails
//! the loop retries accepting after a short back-off. No accept error ends
//! the server.

mod accept;
mod closing;
mod timers;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use mio::net::TcpListener;
use mio::{Events, Poll, Token};
use slab::Slab;

use super::stats::Close;
use super::worker_pool::{Connection, Done, Job, JobKind};
use super::{Settings, Shared};
use crate::proto::Phase;

pub(crate) const LISTENER: Token = Token(0);
pub(crate) const WAKER: Token = Token(1);
/// Slab key `k` is token `k + FIRST_CONN`.
const FIRST_CONN: usize = 2;
/// Jobs waiting for a worker from which on the loop parks instead of polling.
const PARK_BACKLOG: usize = 2;
/// Open connections from which on the loop coalesces events.
const COALESCE_MIN_CONNECTIONS: usize = 32;
/// A poll that comes back within this time with at most `COALESCE_THIN`
/// events makes the next poll wait `Settings::coalesce` first.
const COALESCE_HOT: Duration = Duration::from_micros(200);
const COALESCE_THIN: usize = 8;
/// How long a connection may stay in `phase` once it gets there (or makes
/// progress in it) before it is timed out; the other phases have
/// deadlines of their own (`take_back`).
pub(crate) fn phase_timeout(s: &Settings, phase: Phase) -> Option<Duration> {
    match phase {
        Phase::Idle => Some(s.idle_timeout),
        Phase::Head => Some(s.header_timeout),
        Phase::Body => Some(s.body_timeout),
        Phase::Write => Some(s.write_timeout),
        Phase::Closing => Some(s.linger_timeout),
        _ => None,
    }
}

/// A deadline that does not come: a channel body may wait for its producer
/// as long as it likes unless `producer_timeout` is set.
const NO_DEADLINE: Duration = Duration::from_secs(365 * 24 * 3600);

/// A connection's place in the loop.
#[derive(Debug)]
struct Slot {
    /// `None` while the connection is at a worker.
    conn: Option<Box<Connection>>,
    /// An event arrived while the connection was at a worker (shared with
    /// the connection, so the worker can tell whether to wake the loop).
    missed: Arc<AtomicBool>,
    /// An event reported the client's FIN while the connection was at a
    /// worker; handed to the connection when it comes back.
    peer_closed: bool,
    /// Tells this connection's heap entries from those of an earlier
    /// connection that had the same slab key.
    id: u64,
    accepted: Instant,
    /// The phase seen when the connection last came back.
    phase: Phase,
    /// Requests the connection had received when it last came back.
    requests: u64,
    deadline: Instant,
    /// The time of this slot's live heap entry, if it has one.
    scheduled: Option<Instant>,
    /// The loop has sent this idle TLS connection to a worker to say
    /// `close_notify` (idle timeout, shutdown): its close counts under this
    /// reason when it comes back.
    closing: Option<Close>,
}

pub(crate) struct EventLoop {
    pub(crate) poll: Poll,
    pub(crate) listener: Option<TcpListener>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) jobs: Sender<Job>,
    pub(crate) done: Receiver<Done>,
    slots: Slab<Slot>,
    timers: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    next_id: u64,
    /// A spare descriptor, released to shed a connection when out of them.
    reserve: Option<File>,
    /// Accepting stopped at `max_connections`.
    accept_paused: bool,
    accept_retry: Option<Instant>,
    shutdown_deadline: Option<Instant>,
    /// During a drain, when connections between requests are closed (see
    /// "Draining" in the module doc).
    drain_until: Option<Instant>,
    /// Connections expired so far, for the debug log.
    expired: u64,
    /// The keys taken from `Shared::woken` (kept to reuse its memory).
    woken: Vec<(usize, u64)>,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("connections", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl EventLoop {
    pub(crate) fn new(
        poll: Poll,
        listener: TcpListener,
        settings: Arc<Settings>,
        shared: Arc<Shared>,
        jobs: Sender<Job>,
        done: Receiver<Done>,
    ) -> EventLoop {
        EventLoop {
            poll,
            listener: Some(listener),
            settings,
            shared,
            jobs,
            done,
            slots: Slab::new(),
            timers: BinaryHeap::new(),
            next_id: 0,
            reserve: File::open("/dev/null").ok(),
            accept_paused: false,
            accept_retry: None,
            shutdown_deadline: None,
            drain_until: None,
            expired: 0,
            woken: Vec::new(),
        }
    }

    /// Runs until shutdown has finished.
    pub(crate) fn run(&mut self) -> io::Result<()> {
        let _ = self.shared.loop_thread.set(std::thread::current());
        set_batch_scheduling(true);
        let result = self.run_loop();
        set_batch_scheduling(false);
        result
    }

    fn run_loop(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        // The last poll was thin (see "Coalescing" in the module doc).
        let mut thin = false;
        loop {
            if self.shared.shutdown.load(Ordering::Acquire) && self.shutdown_deadline.is_none() {
                self.begin_shutdown();
            }
            if let Some(deadline) = self.shutdown_deadline {
                if self.slots.is_empty() || Instant::now() >= deadline {
                    if !self.slots.is_empty() {
                        log::warn!(
                            "shutdown timeout: dropping {} connections",
                            self.slots.len()
                        );
                        let dropped = self.slots.len() as u64;
                        self.shared
                            .stats
                            .event_loop
                            .closed(Close::Shutdown, dropped);
                        for (_, slot) in &self.slots {
                            if slot
                                .conn
                                .as_ref()
                                .is_some_and(|c| c.stream.tls_unfinished())
                            {
                                self.shared.stats.event_loop.tls_failed();
                            }
                        }
                    }
                    self.slots.clear();
                    return Ok(());
                }
            }
            self.wait_for_backlog();
            if thin && coalesce(self.settings.coalesce, self.slots.len()) {
                std::thread::sleep(self.settings.coalesce);
            }
            let timeout = self.publish_poll_timeout();
            let before = Instant::now();
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            thin = thin_poll(before.elapsed(), events.iter().count());
            for event in &events {
                match event.token() {
                    LISTENER => {
                        if self.slots.len() >= self.settings.max_connections {
                            self.shared.stats.event_loop.connection_limit();
                        }
                        self.accept();
                    }
                    WAKER => {}
                    Token(t) => {
                        let key = t - FIRST_CONN;
                        let writable_only = event.is_writable()
                            && !event.is_readable()
                            && !event.is_read_closed()
                            && !event.is_error();
                        let read_closed = event.is_read_closed() || event.is_error();
                        self.ready(key, writable_only, read_closed);
                    }
                }
            }
            self.take_back();
            self.expire_deadlines();
            if self.accept_retry.is_some_and(|t| Instant::now() >= t) {
                self.accept_retry = None;
                self.accept();
            }
        }
    }

    /// While the workers have a backlog, parks instead of polling, until a
    /// worker takes the last queued job (see "Backlog" in the module doc).
    fn wait_for_backlog(&self) {
        if self.jobs.len() < PARK_BACKLOG {
            return;
        }
        self.shared.loop_parked.store(true, Ordering::SeqCst);
        // Pairs with the fence in the worker after it takes a job: either the
        // worker sees `loop_parked` and unparks, or this sees the queue it
        // emptied. A stale unpark only makes one `park` return early.
        fence(Ordering::SeqCst);
        if !self.jobs.is_empty() && !self.shared.shutdown.load(Ordering::SeqCst) {
            match self.poll_timeout() {
                Some(timeout) => std::thread::park_timeout(timeout),
                None => std::thread::park(),
            }
        }
        self.shared.loop_parked.store(false, Ordering::SeqCst);
    }

    /// A readiness event for the connection in slot `key`.
    fn ready(&mut self, key: usize, writable_only: bool, read_closed: bool) {
        let Some(slot) = self.slots.get_mut(key) else {
            return;
        };
        let Some(c) = &mut slot.conn else {
            slot.peer_closed |= read_closed;
            slot.missed.store(true, Ordering::SeqCst);
            return;
        };
        c.peer_closed |= read_closed;
        // Writability matters only to a connection with output waiting.
        if !writable_only || c.phase() == Phase::Write {
            self.dispatch(key, JobKind::Ready);
        }
    }

    fn dispatch(&mut self, key: usize, kind: JobKind) {
        let Some(conn) = self.slots.get_mut(key).and_then(|s| s.conn.take()) else {
            return;
        };
        match self.jobs.send(Job { key, conn, kind }) {
            Ok(()) => self.shared.stats.event_loop.dispatched(),
            Err(err) => {
                // The workers are gone; nothing can serve this connection.
                let job = err.into_inner();
                self.slots[key].conn = Some(job.conn);
                self.close(key);
            }
        }
    }

    /// Takes back every connection the workers have finished with.
    fn take_back(&mut self) {
        self.shared.wake_pending.store(false, Ordering::Release);
        // Pairs with the fence in the worker after it hands a connection back.
        fence(Ordering::SeqCst);
        while let Ok(Done { key, mut conn }) = self.done.try_recv() {
            let phase = conn.phase();
            let handshaking = conn.stream.handshaking();
            let (progress, more, dead) = (conn.progress, conn.more, conn.dead);
            let done_at = conn.finished;
            let Some(slot) = self.slots.get_mut(key) else {
                continue;
            };
            conn.peer_closed |= std::mem::take(&mut slot.peer_closed);
            slot.conn = Some(conn);
            if dead || phase == Phase::Closed {
                let why = slot.closing;
                self.close_as(key, why);
                continue;
            }
            let s = &self.settings;
            let requests = slot.conn.as_ref().map_or(0, |c| c.conn.requests());
            let fresh = phase != slot.phase || progress;
            let new_head = phase != slot.phase || requests != slot.requests;
            let renewed = match phase {
                Phase::Head => new_head,
                Phase::Closing => phase != slot.phase,
                _ => fresh,
            };
            slot.deadline = match phase {
                // The TLS handshake too, whatever it waits for.
                _ if handshaking => slot.accepted + s.header_timeout,
                Phase::Idle | Phase::Head if requests == 0 => slot.accepted + s.header_timeout,
                Phase::Waiting if fresh => done_at
                    .checked_add(s.producer_timeout.unwrap_or(NO_DEADLINE))
                    .unwrap_or(slot.deadline),
                _ if renewed => phase_timeout(s, phase).map_or(slot.deadline, |t| done_at + t),
                _ => slot.deadline,
            };
            slot.phase = phase;
            slot.requests = requests;
            if self.drain_until.is_some() && self.drained_between_requests(key) {
                continue;
            }
            let slot = &self.slots[key];
            // A connection whose deadline has passed is left to
            // `expire_deadlines` (which marks it missed when the deadline
            // passes while it is away), instead of going to a worker again.
            let again = (slot.missed.swap(false, Ordering::SeqCst) || more)
                && slot.deadline > Instant::now();
            self.schedule(key);
            if again {
                self.dispatch(key, JobKind::Ready);
            }
        }
        self.wake_streams();
    }

    /// Sends the connections whose channel body's producer has sent (or
    /// dropped its sender) to a worker; one still at a worker is marked, and
    /// goes again when it comes back.
    fn wake_streams(&mut self) {
        if !self.shared.any_woken.swap(false, Ordering::SeqCst) {
            return;
        }
        std::mem::swap(
            &mut *self
                .shared
                .woken
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            &mut self.woken,
        );
        let mut woken = std::mem::take(&mut self.woken);
        for &(key, id) in &woken {
            let Some(slot) = self.slots.get_mut(key).filter(|s| s.id == id) else {
                continue; // closed since
            };
            match &slot.conn {
                None => slot.missed.store(true, Ordering::SeqCst),
                Some(c) if c.conn.phase() == Phase::Waiting => self.dispatch(key, JobKind::Ready),
                Some(_) => {}
            }
        }
        woken.clear();
        self.woken = woken;
    }
}

/// A poll that waited `waited` and returned `events` events (connections or
/// not) is thin: events are arriving fast, but few at a time.
fn thin_poll(waited: Duration, events: usize) -> bool {
    waited < COALESCE_HOT && events <= COALESCE_THIN
}

/// Whether to pause `delay` before the poll that follows a thin one.
fn coalesce(delay: Duration, connections: usize) -> bool {
    !delay.is_zero() && connections >= COALESCE_MIN_CONNECTIONS
}

/// Puts the calling thread under `SCHED_BATCH` (or back under `SCHED_OTHER`),
/// at nice 0 (see "Scheduling" in the module doc). Best effort: a failure
/// only costs speed.
#[cfg(target_os = "linux")]
fn set_batch_scheduling(batch: bool) {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    use thread_priority::{ThreadPriority, ThreadPriorityOsValue};
    let policy = if batch {
        NormalThreadSchedulePolicy::Batch
    } else {
        NormalThreadSchedulePolicy::Other
    };
    if let Err(e) = set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Os(ThreadPriorityOsValue::default()),
        ThreadSchedulePolicy::Normal(policy),
    ) {
        log::debug!("cannot set the event loop's scheduling policy to {policy:?}: {e:?}");
    }
}

#[cfg(not(target_os = "linux"))]
fn set_batch_scheduling(_batch: bool) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalescing_applies_only_to_fast_thin_polls_with_many_connections() {
        let us = Duration::from_micros;
        assert!(thin_poll(us(0), 1));
        assert!(thin_poll(us(150), COALESCE_THIN));
        assert!(
            !thin_poll(us(150), COALESCE_THIN + 1),
            "a full poll is a batch already"
        );
        assert!(
            !thin_poll(us(500), 1),
            "a poll that waited means light load"
        );
        assert!(coalesce(us(50), COALESCE_MIN_CONNECTIONS));
        assert!(
            !coalesce(us(50), COALESCE_MIN_CONNECTIONS - 1),
            "few connections"
        );
        assert!(!coalesce(Duration::ZERO, 10_000), "turned off");
    }
}
