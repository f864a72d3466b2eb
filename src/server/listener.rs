//! Listening sockets: bound here ([`ServerBuilder::bind`], with
//! [`reuse_port`](ServerBuilder::reuse_port) if asked), or made elsewhere and
//! handed in ([`ServerBuilder::listen`], [`AIOServer::from_listener`]): by
//! systemd socket activation ([`listener_from_systemd`], feature `systemd`),
//! or by a parent process that keeps the socket open across restarts of
//! the server, so that no connection is refused while a new binary starts.
//!
//! # Several processes on one port
//! With `reuse_port(true)` each process binds its own socket with
//! `SO_REUSEPORT` (Linux ≥ 3.9, the BSDs, macOS) and the kernel spreads new
//! connections over the sockets of every process (on Linux by a hash of the
//! connection's addresses). Every process must set it, and, on Linux, run
//! as the same user. A process that stops takes only the connections
//! queued on its own socket with it; to hand one port over without losing
//! any, pass the same socket instead (socket activation, or a parent).
//!
//! # Why not Unix domain sockets
//! A Unix socket's peer has no IP address and port, and
//! [`Request::peer_addr`](crate::Request::peer_addr) is a
//! [`SocketAddr`](std::net::SocketAddr) that every handler, the access log
//! and [`client_ip`](crate::Request::client_ip) rely on. Serving them
//! would mean a `peer_addr` that can be "none" or a path (an enum, or an
//! `Option`, a breaking change for every handler), a second listener type
//! through the event loop (mio has `UnixListener`/`UnixStream`, so the
//! socket side is small), and a transport that is neither TCP nor TLS in
//! the worker. Behind a reverse proxy on the same host, a loopback TCP port
//! with [`trusted_proxies`](ServerBuilder::trusted_proxies) gives the same
//! result today; the change above is what Unix sockets would take.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use mio::net::TcpListener;
use socket2::{Domain, Protocol, Socket, Type};

#[cfg(doc)]
use super::{AIOServer, ServerBuilder};

/// Connections the kernel queues before they are accepted (as mio's own
/// `TcpListener::bind`).
const BACKLOG: i32 = 1024;

/// Binds the first address of `addr` that can be bound.
pub(crate) fn bind_first<A: ToSocketAddrs>(addr: A, reuse_port: bool) -> io::Result<TcpListener> {
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match bind(a, reuse_port) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "address resolved to nothing")
    }))
}

/// Binds and listens as mio's `TcpListener::bind` does (`SO_REUSEADDR` but
/// on Windows, where it would let another socket take the port), plus
/// `SO_REUSEPORT` when asked.
fn bind(addr: SocketAddr, reuse_port: bool) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(not(windows))]
    socket.set_reuse_address(true)?;
    if reuse_port {
        set_reuse_port(&socket)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(TcpListener::from_std(socket.into()))
}

#[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
fn set_reuse_port(socket: &Socket) -> io::Result<()> {
    socket.set_reuse_port(true)
}

#[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
fn set_reuse_port(_socket: &Socket) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "reuse_port: SO_REUSEPORT is not available on this platform",
    ))
}

/// Takes a listener made elsewhere: it must be listening already (the
/// server does not call `listen`); it is made non-blocking here.
pub(crate) fn adopt(listener: std::net::TcpListener) -> io::Result<TcpListener> {
    listener.set_nonblocking(true)?;
    Ok(TcpListener::from_std(listener))
}

/// The first socket passed by systemd socket activation (`LISTEN_FDS`,
/// `LISTEN_PID`, from fd 3), or `None` when the process was not started
/// that way.
///
/// The variables are removed from the environment, so child processes do
/// not take them for theirs; changing the environment is not thread-safe,
/// so call this early in `main`, before threads are started. Only the first
/// socket is used (one `ListenStream=` in the socket unit). Works with
/// `systemfd` during development too. Safe code throughout: the descriptor
/// is checked to be a TCP socket and taken over by the `listenfd` crate.
///
/// # Errors
/// The passed descriptor is not a TCP socket.
///
/// ```no_run
/// use mini_async_http::{AIOServer, ResponseBuilder, listener_from_systemd};
///
/// let hello = |_: &mini_async_http::Request| ResponseBuilder::empty_200().body("Hello").build().unwrap();
/// let mut server = match listener_from_systemd().unwrap() {
///     Some(listener) => AIOServer::from_listener(4, listener, hello),
///     None => AIOServer::bind(4, "127.0.0.1:8080", hello),
/// }
/// .unwrap();
/// server.start();
/// ```
#[cfg(feature = "systemd")]
pub fn listener_from_systemd() -> io::Result<Option<std::net::TcpListener>> {
    listenfd::ListenFd::from_env().take_tcp_listener(0)
}
