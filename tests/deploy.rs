//! Running servers the ways the README's "Deploying" section describes:
//! several on one port (`reuse_port`), on a socket made elsewhere
//! (`from_listener`, `listen`, systemd socket activation), and behind a
//! reverse proxy (`trusted_proxies`, `Request::client_ip`, including
//! spoofing attempts).

mod support;

use std::collections::HashSet;
use std::net::{SocketAddr, TcpListener};
use std::process::Command;

use mini_async_http::{AIOServer, ForwardedHeader, Request, Response, ResponseBuilder};
use support::{Client, TestServer, example_bin, get, path_echo, spawn_until_first_line};

fn named(name: &'static str) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |_req: &Request| ResponseBuilder::empty_200().body(name).build().unwrap()
}

/// The body of `GET /` on a new connection that the server closes.
fn fetch(addr: SocketAddr) -> String {
    let mut c = Client::connect(addr);
    c.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    c.read_response().body_str().to_owned()
}

#[cfg(unix)]
#[test]
fn reuse_port_lets_two_servers_share_a_port() {
    let a = TestServer::run(
        AIOServer::builder()
            .workers(1)
            .reuse_port(true)
            .bind("127.0.0.1:0", named("a"))
            .unwrap(),
    );
    let taken = AIOServer::builder()
        .workers(1)
        .bind(a.addr, named("x"))
        .map(|_| ());
    assert_eq!(
        taken.unwrap_err().kind(),
        std::io::ErrorKind::AddrInUse,
        "without reuse_port the port is taken"
    );
    let b = TestServer::run(
        AIOServer::builder()
            .workers(1)
            .reuse_port(true)
            .bind(a.addr, named("b"))
            .unwrap(),
    );
    assert_eq!(a.addr, b.addr);
    // The kernel spreads connections by a hash of their addresses: with new
    // source ports, both servers answer long before 200 connections (the
    // chance that 200 all go to one is 2^-199).
    let mut seen = HashSet::new();
    for _ in 0..200 {
        seen.insert(fetch(a.addr));
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(seen, HashSet::from(["a".to_owned(), "b".to_owned()]));
    // One stops; the other keeps the port.
    let addr = a.addr;
    a.stop();
    for _ in 0..5 {
        assert_eq!(fetch(addr), "b");
    }
}

#[test]
fn from_listener_serves_a_prebound_listener() {
    // A blocking listener, as `std` makes it: the server makes it non-blocking.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = TestServer::run(AIOServer::from_listener(1, listener, path_echo).unwrap());
    assert_eq!(server.addr, addr);
    let mut c = server.connect();
    c.send(get("/one"));
    assert_eq!(c.read_response().body_str(), "/one");
    c.send(get("/two"));
    assert_eq!(c.read_response().body_str(), "/two");

    // With settings from a builder.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = TestServer::run(
        AIOServer::builder()
            .workers(1)
            .max_requests_per_connection(1)
            .listen(listener, path_echo)
            .unwrap(),
    );
    let mut c = server.connect();
    c.send(get("/only"));
    let r = c.read_response();
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.is_closed());
}

/// A listening socket that child processes inherit (no close-on-exec), at
/// a descriptor number the test reads back.
#[cfg(unix)]
fn inheritable_listener() -> (socket2::Socket, SocketAddr, i32) {
    use std::os::fd::AsRawFd;
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    socket.listen(128).unwrap();
    socket.set_cloexec(false).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let fd = socket.as_raw_fd();
    (socket, addr, fd)
}

/// The `deploy` example started as systemd starts a socket-activated
/// service: `LISTEN_FDS=1` and the socket inherited (at the descriptor
/// `LISTEN_FDS_FIRST_FD` names, as `systemfd` passes it, since a test
/// cannot place it at 3 without unsafe code). It serves on that socket and
/// binds nothing itself.
#[cfg(unix)]
#[test]
fn socket_activation_serves_the_passed_socket() {
    let Some(deploy) = example_bin("deploy") else {
        eprintln!("SKIPPED: examples/deploy not built (plain `cargo test` builds it)");
        return;
    };
    let (socket, addr, fd) = inheritable_listener();
    let (_child, line, _lines) = spawn_until_first_line(
        Command::new(&deploy)
            .arg("0")
            .env("LISTEN_FDS", "1")
            .env("LISTEN_FDS_FIRST_FD", fd.to_string())
            .env_remove("LISTEN_PID")
            .env("RUST_LOG", "off"),
    );
    assert_eq!(line, format!("listening on http://{addr}"));
    assert_eq!(fetch(addr), "Hello");
    drop(socket);
    // The child's copy of the socket still serves.
    assert_eq!(fetch(addr), "Hello");
}

/// `LISTEN_PID` names another process: the variables are not for this one,
/// which binds its own port instead.
#[cfg(unix)]
#[test]
fn socket_activation_for_another_process_is_ignored() {
    let Some(deploy) = example_bin("deploy") else {
        eprintln!("SKIPPED: examples/deploy not built (plain `cargo test` builds it)");
        return;
    };
    let (_socket, addr, fd) = inheritable_listener();
    let (_child, line, _lines) = spawn_until_first_line(
        Command::new(&deploy)
            .arg("0")
            .env("LISTEN_FDS", "1")
            .env("LISTEN_FDS_FIRST_FD", fd.to_string())
            .env("LISTEN_PID", "1")
            .env("RUST_LOG", "off"),
    );
    let own: SocketAddr = line
        .strip_prefix("listening on http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert_ne!(own, addr);
    assert_eq!(fetch(own), "Hello");
}

fn client_ip(req: &Request) -> Response {
    ResponseBuilder::empty_200()
        .body(req.client_ip().to_string())
        .build()
        .unwrap()
}

/// `client_ip` as a handler sees it, for a request with these extra fields.
fn seen_as(server: &TestServer, fields: &str) -> String {
    let mut c = server.connect();
    c.send(format!("GET / HTTP/1.1\r\nHost: t\r\n{fields}\r\n"));
    c.read_response().body_str().to_owned()
}

#[test]
fn client_ip_spoofing_attempts() {
    // Nothing trusted (the default): the headers are ignored.
    let plain = TestServer::start(1, client_ip);
    assert_eq!(
        seen_as(&plain, "X-Forwarded-For: 203.0.113.9\r\n"),
        "127.0.0.1"
    );
    assert_eq!(
        seen_as(&plain, "Forwarded: for=203.0.113.9\r\n"),
        "127.0.0.1"
    );

    // A proxy elsewhere is trusted, but the peer (127.0.0.1) is not it.
    let elsewhere = TestServer::with(
        AIOServer::builder()
            .workers(1)
            .trusted_proxies(["10.0.0.0/8"]),
        client_ip,
    );
    assert_eq!(
        seen_as(&elsewhere, "X-Forwarded-For: 10.0.0.1\r\n"),
        "127.0.0.1"
    );

    // The peer is the trusted proxy: the rightmost untrusted hop counts,
    // whatever the client put to its left.
    let proxied = TestServer::with(
        AIOServer::builder()
            .workers(1)
            .trusted_proxies(["127.0.0.1"]),
        client_ip,
    );
    let cases = [
        ("X-Forwarded-For: 203.0.113.9\r\n", "203.0.113.9"),
        ("X-Forwarded-For: 6.6.6.6, 203.0.113.9\r\n", "203.0.113.9"),
        (
            "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.9\r\n",
            "203.0.113.9",
        ),
        ("X-Forwarded-For: 203.0.113.9, 127.0.0.1\r\n", "203.0.113.9"),
        ("X-Forwarded-For: 6.6.6.6, not-an-ip\r\n", "127.0.0.1"),
        ("Forwarded: for=6.6.6.6\r\n", "127.0.0.1"),
        ("", "127.0.0.1"),
    ];
    for (fields, want) in cases {
        assert_eq!(seen_as(&proxied, fields), want, "{fields:?}");
    }

    // A proxy that speaks RFC 7239; a forged X-Forwarded-For is ignored.
    let rfc = TestServer::with(
        AIOServer::builder()
            .workers(1)
            .forwarded_header(ForwardedHeader::Forwarded)
            .trusted_proxies(["127.0.0.0/8"]),
        client_ip,
    );
    let fields = "X-Forwarded-For: 6.6.6.6\r\nForwarded: for=\"[2001:db8::1]:80\";proto=https\r\n";
    assert_eq!(seen_as(&rfc, fields), "2001:db8::1");
    assert_eq!(seen_as(&rfc, "X-Forwarded-For: 6.6.6.6\r\n"), "127.0.0.1");
}

#[test]
fn invalid_trusted_proxy_fails_bind() {
    let err = AIOServer::builder()
        .trusted_proxies(["127.0.0.1", "10.0.0.0/99"])
        .bind("127.0.0.1:0", path_echo)
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("10.0.0.0/99"), "{err}");
}
