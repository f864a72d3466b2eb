//! Accepting: taking the listener's queue (within `max_connections`),
//! shedding a connection with `503` when out of descriptors, and
//! registering a new connection (see "Accept errors" in the module doc).

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Interest, Token};

use super::{EventLoop, FIRST_CONN, Slot};
use crate::proto::{Conn, Phase};
use crate::server::transport::Transport;
use crate::server::worker_pool::Connection;

impl EventLoop {
    pub(super) fn accept(&mut self) {
        loop {
            // A drain takes the whole queue, over the limit too (see "Draining").
            if self.slots.len() >= self.settings.max_connections && self.drain_until.is_none() {
                self.accept_paused = true;
                return;
            }
            let Some(listener) = &self.listener else {
                return;
            };
            match listener.accept() {
                Ok((stream, peer)) => self.register(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if out_of_descriptors(&e) => {
                    if !self.shed() {
                        self.accept_retry = Some(Instant::now() + ACCEPT_BACKOFF);
                        return;
                    }
                }
                Err(e) if transient(&e) => {}
                Err(e) => {
                    log::warn!("accept failed: {e}; retrying in {ACCEPT_BACKOFF:?}");
                    self.accept_retry = Some(Instant::now() + ACCEPT_BACKOFF);
                    return;
                }
            }
        }
    }

    /// Out of descriptors: frees the reserve, accepts one waiting connection,
    /// answers it 503 and closes it, then takes the reserve again. `false` if
    /// that could not be done (then back off).
    pub(super) fn shed(&mut self) -> bool {
        let Some(listener) = &self.listener else {
            return false;
        };
        if self.reserve.take().is_none() {
            log::warn!("out of file descriptors and no reserve left");
            return false;
        }
        let shed = match listener.accept() {
            Ok((mut stream, peer)) => {
                log::warn!("out of file descriptors: answering {peer} 503");
                let mut scratch = [0u8; 4096];
                let _ = stream.read(&mut scratch);
                let _ = stream.write(OVERLOADED);
                let _ = stream.shutdown(Shutdown::Write);
                self.shared.stats.event_loop.out_of_descriptors();
                true
            }
            Err(_) => false,
        };
        self.reserve = File::open("/dev/null").ok();
        shed && self.reserve.is_some()
    }

    pub(super) fn register(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        if self.settings.nodelay {
            let _ = stream.set_nodelay(true);
        }
        let entry = self.slots.vacant_entry();
        let key = entry.key();
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            Token(key + FIRST_CONN),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            log::warn!("cannot register connection from {peer}: {e}");
            return;
        }
        let now = Instant::now();
        self.next_id += 1;
        let missed = Arc::new(AtomicBool::new(false));
        self.shared.connections.fetch_add(1, Ordering::Relaxed);
        // A TLS connection costs an `Arc` here; its rustls state is made by
        // the worker that reads its first bytes.
        #[cfg(feature = "tls")]
        let stream = match &self.shared.tls {
            Some(acceptor) => Transport::tls(stream, Arc::clone(acceptor)),
            None => Transport::Plain(stream),
        };
        #[cfg(not(feature = "tls"))]
        let stream = Transport::Plain(stream);
        self.shared.stats.event_loop.accepted();
        entry.insert(Slot {
            conn: Some(Box::new(Connection {
                stream,
                conn: Conn::new(self.settings.limits, peer),
                lingering: false,
                progress: false,
                more: false,
                dead: false,
                missed: Arc::clone(&missed),
                peer_closed: false,
                finished: now,
                id: self.next_id,
                notify: None,
            })),
            missed,
            peer_closed: false,
            id: self.next_id,
            accepted: now,
            phase: Phase::Idle,
            requests: 0,
            deadline: now + self.settings.header_timeout,
            scheduled: None,
            closing: None,
        });
        self.schedule(key);
    }
}

/// Pause before accepting again after an accept error that is not transient.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

const OVERLOADED: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// EMFILE, ENFILE (the same numbers on Linux, the BSDs and macOS), and
/// ENOBUFS/ENOMEM.
fn out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24 | 105)) || e.kind() == io::ErrorKind::OutOfMemory
}

/// Errors that concern one waiting connection only.
fn transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::PermissionDenied
    ) || matches!(
        e.raw_os_error(),
        Some(71 | 110 | 113 | 101 | 100 | 92 | 112 | 64 | 95)
    )
}
