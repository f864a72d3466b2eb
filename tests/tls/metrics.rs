//! The TLS counters of `ServerHandle::metrics`: a completed handshake counts
//! once, and every TLS connection closed before its handshake completed
//! counts as a failure, whatever closed it.

use std::io::Write;
use std::net::Shutdown;

use mini_async_http::AIOServer;

use crate::support::{Client, get, ms};
use crate::{TlsClient, client, local_cert, metrics_when, read_until_closed, serve, tcp, tls_echo};

#[test]
fn handshakes_are_counted() {
    let cert = local_cert();
    let server = serve(
        AIOServer::builder().workers(1).header_timeout(ms(2000)),
        &cert,
        tls_echo,
    );
    // Sends nothing: closed at the header deadline.
    let mut silent = tcp(server.addr);
    let mut good = TlsClient::connect(server.addr, &client(&cert), "localhost");
    good.send(get("/a"));
    assert_eq!(good.read_response().status, 200);
    let m = server.handle.metrics();
    assert_eq!((m.tls_handshakes, m.tls_handshake_failures), (1, 0));
    // Plain HTTP (answered 400), garbage (an alert), a client that leaves.
    let mut plain = Client::connect(server.addr);
    plain.send(get("/plain"));
    assert!(plain.read_to_end().starts_with(b"HTTP/1.1 400 "));
    let mut garbage = tcp(server.addr);
    garbage.write_all(&[0x00; 64]).unwrap();
    read_until_closed(&mut garbage);
    let mut leaving = tcp(server.addr);
    leaving.shutdown(Shutdown::Write).unwrap();
    read_until_closed(&mut leaving);
    read_until_closed(&mut silent);
    let m = metrics_when(&server, |m| m.tls_handshake_failures >= 4);
    assert_eq!((m.tls_handshakes, m.tls_handshake_failures), (1, 4));
    assert_eq!(m.connections_accepted, 5);
    assert_eq!(m.timeouts.header, 1, "the silent one");
    let text = m.to_prometheus();
    assert!(
        text.contains("mini_http_tls_handshakes_total{result=\"ok\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("mini_http_tls_handshakes_total{result=\"failed\"} 4\n"),
        "{text}"
    );
    // The established connection goes on; its handshake counted once.
    good.send(get("/b"));
    assert_eq!(good.read_response().status, 200);
    assert_eq!(server.handle.metrics().tls_handshakes, 1);
}
