//! N threads that run the handler. A [`Job`] carries a connection's ownership
//! (socket and protocol state) to a worker; the worker reads until the socket
//! would block, answers every complete request, writes what the socket takes,
//! and sends the connection back to the event loop in a [`Done`]. Workers
//! never wait on a socket: a slow client costs a worker one non-blocking pass.
//!
//! # Streamed bodies
//! A file, reader or channel body is pulled here, only as far as the socket
//! takes it: when the output has nothing left to write, the worker moves the
//! next bytes of the front streamed body (at most `STREAM_WINDOW`, 64 KiB,
//! into the stream's window; for a file on Linux with the `files` feature,
//! with `sendfile` from the page cache straight to the socket, through
//! rustix, as much as the socket buffer takes up to the job's budget, since
//! no window is filled), writes them, and goes on until the socket would block. Then the
//! connection goes back to the loop like any other write and returns on
//! `WRITABLE`. One job pulls at most `STREAM_BUDGET` (1 MiB) before handing
//! the connection back to the end of the job queue, so a fast client of a
//! large file shares its worker. A reader is read on the worker: a reader
//! that blocks holds the worker while it blocks (a channel never does).
//!
//! A channel with nothing in it parks the connection: the worker leaves a
//! notification with the channel (which pushes the connection's key onto
//! `Shared::woken` and wakes the loop) and looks once more, then hands the
//! connection back in [`Phase::Waiting`]. A source that fails (a read error,
//! a file shorter than announced) makes the connection close; that is logged
//! at debug level and concerns no other connection.
//!
//! # TLS
//! The socket is a `Transport`: plain TCP, or TLS with the same
//! non-blocking semantics (`server/transport.rs`), so reading, writing,
//! pulling and lingering do not tell them apart. Three things differ.
//! Output is written once the transport has sent its sealed records too;
//! records still waiting make the connection wait to write
//! (`Connection::phase`), a channel body's included. `sendfile` is for plain
//! TCP only: a TLS connection's file body is read into the stream's window
//! with positioned reads and goes through rustls like any other bytes. And a
//! connection that ends says `close_notify` first (`Transport::say_goodbye`),
//! also an idle one the loop sends here to be closed (`JobKind::Goodbye`).
//! The handshake advances with each read; the worker that sees it complete
//! counts it (`WorkerStats::tls_established`).
//!
//! The pool is generic over the handler's type, and the type is erased once,
//! when a worker thread is spawned: each worker runs a loop compiled for the
//! handler, which is inlined there instead of being called through `dyn Fn`
//! and returning its `Response` through memory for every request.

mod transfer;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
#[cfg(all(feature = "splice", target_os = "linux"))]
use transfer::splice_in;
use transfer::{ReadOutcome, linger, read_in, write_out};

use crossbeam_channel::{Receiver, Sender};

use super::access_log::AccessLog;
use super::event_loop::phase_timeout;
#[cfg(all(feature = "splice", target_os = "linux"))]
use super::splice::BodyPipe;
use super::spool::TempSpool;
use super::transport::Transport;
use super::{Settings, Shared};
use crate::Handler;
use crate::http::Notify;
use crate::proto::{BufferPool, Conn, Ctx, Observer, Phase, STREAM_WINDOW, Stamp, http_date};

/// Slices one vectored write takes (output runs and large bodies).
const WRITE_SLICES: usize = 16;
/// Read/process/write rounds one job may take before the connection goes
/// back to the event loop, so one pipelining client cannot keep a worker.
const MAX_ROUNDS: u32 = 16;
/// Open connections per worker up to which load counts as light.
const SPIN_CONNECTIONS_PER_WORKER: usize = 4;
/// How long an idle worker polls its queue before sleeping on it under light load.
const SPIN: std::time::Duration = std::time::Duration::from_micros(50);
/// Bytes a lingering close discards per job.
const MAX_LINGER_BYTES: usize = 256 * 1024;
/// Bytes of streamed bodies one job pulls at most before the connection goes
/// back to the loop, so that a fast client of a large file shares its worker.
const STREAM_BUDGET: usize = 16 * STREAM_WINDOW;

/// A connection and everything the worker needs to serve it.
#[allow(clippy::struct_excessive_bools)] // independent facts of one job
#[derive(Debug)]
pub(crate) struct Connection {
    /// The socket: plain TCP or TLS (the same non-blocking semantics).
    pub(crate) stream: Transport,
    pub(crate) conn: Conn,
    /// The write side has been shut down; input is being discarded.
    pub(crate) lingering: bool,
    /// Bytes moved in the last job (deadlines restart on progress).
    pub(crate) progress: bool,
    /// The job stopped at its round limit with work possibly left.
    pub(crate) more: bool,
    /// The socket failed or the client is gone: close it.
    pub(crate) dead: bool,
    /// Set by the event loop when an event for this connection arrives while
    /// it is away from the loop (shared with its slot).
    pub(crate) missed: Arc<AtomicBool>,
    /// The poller reported the client's FIN (or an error): a short read no
    /// longer means the socket is drained, since the FIN may have come in the
    /// same edge as the last bytes; read on until the end of input.
    pub(crate) peer_closed: bool,
    /// When the worker finished its last job: deadlines count from here, not
    /// from when the loop takes the connection back (which may be later).
    pub(crate) finished: Instant,
    /// The slot's id: with the key, what a channel's producer wakes.
    pub(crate) id: u64,
    /// What a channel body's producer calls to wake this connection; made
    /// the first time one parks it.
    pub(crate) notify: Option<Notify>,
}

impl Connection {
    /// What the connection needs next: its `Conn`'s phase, except that
    /// bytes the transport still holds (sealed TLS records) make it wait
    /// to write, whatever the `Conn` says.
    pub(crate) fn phase(&self) -> Phase {
        match self.conn.phase() {
            Phase::Write => Phase::Write,
            _ if self.stream.wants_write() => Phase::Write,
            phase => phase,
        }
    }
}

/// What a worker is asked to do with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobKind {
    /// The socket is ready: read, answer, write.
    Ready,
    /// A head or body deadline passed: answer 408.
    Timeout,
    /// An idle TLS session the loop closes (idle timeout, shutdown): close
    /// it with `close_notify`.
    Goodbye,
}

#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) key: usize,
    pub(crate) conn: Box<Connection>,
    pub(crate) kind: JobKind,
}

/// A connection coming back to the event loop.
#[derive(Debug)]
pub(crate) struct Done {
    pub(crate) key: usize,
    pub(crate) conn: Box<Connection>,
}

/// The worker threads; dropping the pool ends and joins them.
#[derive(Debug)]
pub(crate) struct WorkerPool {
    jobs: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Generic over the handler: each worker thread runs a loop made for it
    /// (the handler is inlined there), and the type is erased once, when the
    /// thread is spawned, instead of at every call.
    pub(crate) fn spawn<H>(
        settings: &Arc<Settings>,
        handler: &Arc<H>,
        shared: &Arc<Shared>,
        done: &Sender<Done>,
    ) -> io::Result<(WorkerPool, Sender<Job>)>
    where
        H: Handler + Send + Sync + 'static,
    {
        let (jobs_tx, jobs_rx) = crossbeam_channel::unbounded::<Job>();
        let mut pool = WorkerPool {
            jobs: Some(jobs_tx.clone()),
            threads: Vec::new(),
        };
        for i in 0..settings.workers {
            let worker = Worker {
                index: i,
                jobs: jobs_rx.clone(),
                done: done.clone(),
                handler: Arc::clone(handler),
                settings: Arc::clone(settings),
                shared: Arc::clone(shared),
                pool: BufferPool::default(),
                #[cfg(all(feature = "splice", target_os = "linux"))]
                pipe: BodyPipe::default(),
            };
            let thread = std::thread::Builder::new()
                .name(format!("mini-http-worker-{i}"))
                .spawn(move || worker.run())?;
            pool.threads.push(thread);
        }
        Ok((pool, jobs_tx))
    }

    /// Ends the threads once their current job is done.
    pub(crate) fn join(&mut self) {
        self.jobs = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.join();
    }
}

struct Worker<H> {
    /// This worker's block of counters in `Shared::stats`.
    index: usize,
    jobs: Receiver<Job>,
    done: Sender<Done>,
    handler: Arc<H>,
    settings: Arc<Settings>,
    shared: Arc<Shared>,
    pool: BufferPool,
    /// For spooled bodies by splice (`server/splice.rs`).
    #[cfg(all(feature = "splice", target_os = "linux"))]
    pipe: BodyPipe,
}

impl<H: Handler + Send + Sync + 'static> Worker<H> {
    fn run(mut self) {
        let shared = Arc::clone(&self.shared);
        let settings = Arc::clone(&self.settings);
        let stats = &shared.stats.workers[self.index];
        let proxies = (!settings.proxies.is_empty()).then_some(&settings.proxies);
        // Whole seconds; a sub-second idle timeout is not announced (0 would
        // read as "do not reuse").
        let keep_alive_timeout = Some(self.settings.idle_timeout.as_secs()).filter(|&s| s > 0);
        // The second the stamp's date was last brought up to (read before
        // the date, so never later than it): within it, a job reads the
        // clock once, compares it with the second's bounds (no subtraction)
        // and neither copies nor compares a date.
        let mut second = Second::of(SystemTime::now());
        let mut date = http_date();
        let mut stamp = Stamp::new(&date, keep_alive_timeout);
        let spool = TempSpool::new(
            self.settings
                .spool_dir
                .clone()
                .unwrap_or_else(std::env::temp_dir),
            self.settings.spool_threshold,
        );
        // Ends when every sender is gone: the pool's and the event loop's.
        while let Ok(Job {
            key,
            mut conn,
            kind,
        }) = self.next_job()
        {
            stats.job_started();
            conn.progress = false;
            conn.more = false;
            let now = SystemTime::now();
            if !second.holds(now) {
                second = Second::of(now);
                date = http_date();
                stamp.set_date(&date);
            }
            let log = AccessLog::for_job(settings.access_log, date);
            let ctx = Ctx {
                stamp: &stamp,
                shutdown: Some(&shared.shutdown),
                max_requests: settings.max_requests,
                spool: Some(&spool),
                observer: log.as_ref().map(|l| l as &dyn Observer),
                proxies,
            };
            if matches!(kind, JobKind::Timeout | JobKind::Goodbye) {
                // Idle: closed (then `close_notify`, below); else 408.
                conn.conn.timeout(&ctx);
            }
            self.drive(&mut conn, key, &ctx);
            if conn.conn.phase() == Phase::Closed && !conn.dead {
                conn.stream.say_goodbye();
            }
            stats.job_finished(&conn.conn.take_tally());
            conn.conn.release(&mut self.pool);
            conn.finished = Instant::now();
            // A channel body that now waits for its producer is taken back at
            // once too: its deadline (`producer_timeout`) starts now, and no
            // socket event may come to bring it back.
            let urgent =
                conn.dead || conn.more || matches!(conn.phase(), Phase::Closed | Phase::Waiting);
            let due = due(&self.settings, &conn);
            let missed = Arc::clone(&conn.missed);
            if self.done.send(Done { key, conn }).is_err() {
                return; // the event loop has ended
            }
            // Wake the loop only when it has something to do with this
            // connection now. Otherwise it takes the connection back the next
            // time it wakes anyway, at the latest for the connection's next
            // event, which then finds it in the channel; this saves a wake-up
            // (a syscall and a context switch) per request. The fence pairs
            // with the one in `EventLoop::take_back`: either this load sees
            // the loop's `missed` (or shutdown) store, or the loop's next
            // `take_back` sees this connection in the channel.
            fence(Ordering::SeqCst);
            if urgent
                || missed.load(Ordering::SeqCst)
                || self.shared.shutdown.load(Ordering::SeqCst)
                || due.is_some_and(|at| self.shared.due_before_poll_ends(at))
            {
                self.shared.wake();
            }
        }
    }

    /// The next job.
    ///
    /// Under light load (few open connections per worker) a worker that
    /// finds its queue empty first yields its core for a short while
    /// (`SPIN`), re-checking the queue, before sleeping on the channel: the
    /// next request of a client is then picked up without a futex wake-up,
    /// and the core does not drop into an idle state whose exit adds to every
    /// round trip (measured on one core: 1 connection, 14 000 → 20 000
    /// requests a second). The CPU it spends is idle CPU at such loads.
    /// Under heavy load work keeps arriving anyway, and spinning would only
    /// take turns away from the event loop, so the worker sleeps at once.
    fn next_job(&self) -> Result<Job, crossbeam_channel::RecvError> {
        let job = self.wait_job();
        if job.is_ok() && self.jobs.is_empty() {
            // Pairs with the fence in `EventLoop::wait_for_backlog`.
            fence(Ordering::SeqCst);
            self.shared.unpark_loop();
        }
        job
    }

    fn wait_job(&self) -> Result<Job, crossbeam_channel::RecvError> {
        if let Ok(job) = self.jobs.try_recv() {
            return Ok(job);
        }
        let light = self.shared.connections.load(Ordering::Relaxed)
            <= SPIN_CONNECTIONS_PER_WORKER * self.settings.workers;
        if !light {
            return self.jobs.recv();
        }
        let until = Instant::now() + SPIN;
        while Instant::now() < until {
            std::thread::yield_now();
            match self.jobs.try_recv() {
                Ok(job) => return Ok(job),
                Err(crossbeam_channel::TryRecvError::Empty) => {}
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    return Err(crossbeam_channel::RecvError);
                }
            }
        }
        self.jobs.recv()
    }

    /// Moves bytes until the socket would block, the connection is done, or
    /// the round limit is reached.
    fn drive(&mut self, c: &mut Connection, key: usize, ctx: &Ctx<'_>) {
        // Set once a read came back short or would block: the socket is drained
        // and, being edge-triggered, will report new bytes with a new event.
        let mut drained = false;
        if c.peer_closed {
            c.stream.set_peer_closed();
        }
        for _ in 0..MAX_ROUNDS {
            if !write_out(c, &self.shared, key) {
                c.dead = true;
                return;
            }
            // Requests left in the input at the high-water mark are answered
            // once the output has gone: no readiness would come for them.
            let held = match c.phase() {
                Phase::Write | Phase::Closed => return,
                Phase::Waiting => {
                    // The client closed its side while the body waits for
                    // its producer: taken as gone (as nginx does), so the
                    // producer learns it now rather than at its next write.
                    if c.peer_closed {
                        log::debug!("{}: client closed during a channel body", c.conn.peer());
                        c.dead = true;
                    }
                    return;
                }
                Phase::Closing => {
                    linger(c);
                    return;
                }
                Phase::Head | Phase::Body if c.conn.held() => true,
                Phase::Idle | Phase::Head | Phase::Body if drained => return,
                Phase::Idle | Phase::Head | Phase::Body => false,
            };
            if !held {
                #[cfg(all(feature = "splice", target_os = "linux"))]
                let outcome =
                    splice_in(c, &mut self.pipe).unwrap_or_else(|| read_in(c, &mut self.pool));
                #[cfg(not(all(feature = "splice", target_os = "linux")))]
                let outcome = read_in(c, &mut self.pool);
                // Before `process`: the requests just read say they are TLS.
                if let Some(info) = c.stream.take_tls_info() {
                    c.conn.set_tls(info);
                    self.shared.stats.workers[self.index].tls_established();
                }
                match outcome {
                    ReadOutcome::Fatal => {
                        c.dead = true;
                        return;
                    }
                    ReadOutcome::Nothing => return,
                    // Spool hand-off (uploadfast): a body going to the spool
                    // keeps its worker until a read would block (within the
                    // job's rounds), not just until a short read: its next
                    // bytes usually arrive while the last ones are written
                    // to the file, and a hand-off costs far more than a
                    // read that finds nothing.
                    ReadOutcome::Got { drained: d } => drained = d && !c.conn.spooling(),
                }
            }
            // One call site, so that it is inlined here with the handler.
            c.conn.process(&*self.handler, ctx);
        }
        c.more = true;
    }
}

/// One whole second of the wall clock (the unit of the `Date` field), as
/// its bounds: telling whether a time is in it takes two comparisons, where
/// `duration_since(UNIX_EPOCH)` took a checked subtraction (about 37
/// instructions a job, callgrind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Second {
    from: SystemTime,
    until: SystemTime,
}

impl Second {
    /// The second `t` is in.
    fn of(t: SystemTime) -> Second {
        let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let from = UNIX_EPOCH + Duration::from_secs(secs);
        Second {
            from,
            until: from + Duration::from_secs(1),
        }
    }

    /// Whether `t` is within the second (a clock set back is not).
    fn holds(self, t: SystemTime) -> bool {
        self.from <= t && t < self.until
    }
}

/// The deadline the event loop gives `conn` when it takes it back, where
/// that may be a new one; `None` while the header deadline from accept holds
/// (no request yet, or a TLS handshake), which the loop already waits for.
fn due(settings: &Settings, conn: &Connection) -> Option<Instant> {
    let phase = conn.phase();
    if conn.stream.handshaking()
        || conn.conn.requests() == 0 && matches!(phase, Phase::Idle | Phase::Head)
    {
        return None;
    }
    phase_timeout(settings, phase).map(|t| conn.finished + t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holds_its_own_times_only() {
        let second = Second::of(SystemTime::now());
        assert!(second.holds(second.from));
        assert!(second.holds(second.until - Duration::from_nanos(1)));
        assert!(!second.holds(second.until), "the next second");
        assert!(
            !second.holds(second.from - Duration::from_nanos(1)),
            "a clock set back"
        );
        assert_eq!(
            second.until.duration_since(second.from).unwrap(),
            Duration::from_secs(1)
        );
        let secs = second.from.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(secs.subsec_nanos(), 0, "a whole second");
    }
}
