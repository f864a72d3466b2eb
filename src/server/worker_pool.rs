//! N threads that run the handler. A [`Job`] carries a connection's ownership
//! (socket and protocol state) to a worker; the worker reads until the socket
//! would block, answers every complete request, writes what the socket takes,
//! and sends the connection back to the event loop in a [`Done`]. Workers
//! never wait on a socket: a slow client costs a worker one non-blocking pass.
//!
//! The pool is generic over the handler's type, and the type is erased once,
//! when a worker thread is spawned: each worker runs a loop compiled for the
//! handler, which is inlined there instead of being called through `dyn Fn`
//! and returning its `Response` through memory for every request.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use super::transport::Transport;
use super::{Settings, Shared};
use crate::Handler;
use crate::proto::{BufferPool, Conn, Ctx, Phase, Stamp, http_date};

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
    /// A head or body deadline passed: answer 408. (For an idle TLS
    /// connection: close it with `close_notify`.)
    Timeout,
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
                jobs: jobs_rx.clone(),
                done: done.clone(),
                handler: Arc::clone(handler),
                settings: Arc::clone(settings),
                shared: Arc::clone(shared),
                pool: BufferPool::default(),
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
    jobs: Receiver<Job>,
    done: Sender<Done>,
    handler: Arc<H>,
    settings: Arc<Settings>,
    shared: Arc<Shared>,
    pool: BufferPool,
}

impl<H: Handler + Send + Sync + 'static> Worker<H> {
    fn run(mut self) {
        let shared = Arc::clone(&self.shared);
        // Whole seconds; a sub-second idle timeout is not announced (0 would
        // read as "do not reuse").
        let keep_alive_timeout = Some(self.settings.idle_timeout.as_secs()).filter(|&s| s > 0);
        let mut stamp = Stamp::new(&http_date(), keep_alive_timeout);
        // Ends when every sender is gone: the pool's and the event loop's.
        while let Ok(Job {
            key,
            mut conn,
            kind,
        }) = self.next_job()
        {
            conn.progress = false;
            conn.more = false;
            stamp.set_date(&http_date());
            let ctx = Ctx {
                stamp: &stamp,
                shutdown: Some(&shared.shutdown),
                max_requests: self.settings.max_requests,
            };
            if kind == JobKind::Timeout {
                conn.conn.timeout(&ctx);
            }
            self.drive(&mut conn, &ctx);
            if conn.conn.phase() == Phase::Closed && !conn.dead {
                conn.stream.say_goodbye();
            }
            conn.conn.release(&mut self.pool);
            conn.finished = Instant::now();
            let urgent = conn.dead || conn.more || conn.phase() == Phase::Closed;
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
    fn drive(&mut self, c: &mut Connection, ctx: &Ctx<'_>) {
        // Set once a read came back short or would block: the socket is drained
        // and, being edge-triggered, will report new bytes with a new event.
        let mut drained = false;
        for _ in 0..MAX_ROUNDS {
            if !write_out(c) {
                c.dead = true;
                return;
            }
            // Requests left in the input at the high-water mark are answered
            // once the output has gone: no readiness would come for them.
            let held = match c.phase() {
                Phase::Write | Phase::Closed => return,
                Phase::Closing => {
                    linger(c);
                    return;
                }
                Phase::Head | Phase::Body if c.conn.held() => true,
                Phase::Idle | Phase::Head | Phase::Body if drained => return,
                Phase::Idle | Phase::Head | Phase::Body => false,
            };
            if !held {
                match read_in(c, &mut self.pool) {
                    ReadOutcome::Fatal => {
                        c.dead = true;
                        return;
                    }
                    ReadOutcome::Nothing => return,
                    ReadOutcome::Got { drained: d } => drained = d,
                }
            }
            // One call site, so that it is inlined here with the handler.
            c.conn.process(&*self.handler, ctx);
        }
        c.more = true;
    }
}

enum ReadOutcome {
    /// No byte read: would block, or no input wanted now.
    Nothing,
    /// Bytes (or end of input) arrived; `drained` if the socket is now empty.
    Got { drained: bool },
    /// The socket failed.
    Fatal,
}

fn read_in(c: &mut Connection, pool: &mut BufferPool) -> ReadOutcome {
    let mut got = false;
    loop {
        let Some(buf) = c.conn.read_buf(pool) else {
            return if got {
                ReadOutcome::Got { drained: false }
            } else {
                ReadOutcome::Nothing
            };
        };
        let room = buf.len();
        match c.stream.read(buf) {
            Ok(0) => {
                c.conn.read_eof();
                return ReadOutcome::Got { drained: true };
            }
            Ok(n) => {
                if let Some(info) = c.stream.take_tls_info() {
                    c.conn.set_tls(info);
                }
                c.conn.advance_read(n);
                c.progress = true;
                got = true;
                if n < room && !c.peer_closed && !c.stream.at_eof() {
                    return ReadOutcome::Got { drained: true };
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return if got {
                    ReadOutcome::Got { drained: true }
                } else {
                    ReadOutcome::Nothing
                };
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::debug!("read error: {e}");
                return ReadOutcome::Fatal;
            }
        }
    }
}

/// Writes pending output until done or the socket would block; `false` if
/// the socket failed. Output with large bodies queued goes out in one
/// vectored write of its slices. Then what the transport holds (TLS
/// records) goes out.
fn write_out(c: &mut Connection) -> bool {
    loop {
        let mut slices = [IoSlice::new(&[]); WRITE_SLICES];
        let written = match c.conn.output_slices(&mut slices) {
            0 => {
                return match c.stream.send_pending() {
                    Ok(sent) => {
                        c.progress |= sent;
                        true
                    }
                    Err(e) => {
                        log::debug!("write error: {e}");
                        false
                    }
                };
            }
            1 => c.stream.write(&slices[0]),
            n => c.stream.write_vectored(&slices[..n]),
        };
        match written {
            Ok(0) => return false,
            Ok(n) => {
                c.conn.advance_write(n);
                c.progress = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::debug!("write error: {e}");
                return false;
            }
        }
    }
}

/// Lingering close: shut down the write side so the client sees the end of
/// the last response, then discard what it still sends until it closes, so
/// that unread input does not make the kernel send a reset that could destroy
/// the response before the client reads it.
fn linger(c: &mut Connection) {
    if !c.lingering {
        c.lingering = true;
        if c.stream.shutdown(Shutdown::Write).is_err() {
            c.dead = true;
            return;
        }
    }
    let mut scratch = [0u8; 8192];
    let mut discarded = 0;
    while discarded < MAX_LINGER_BYTES {
        match c.stream.read(&mut scratch) {
            Ok(0) => {
                c.dead = true;
                return;
            }
            Ok(n) => discarded += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                c.dead = true;
                return;
            }
        }
    }
    c.more = true;
}
