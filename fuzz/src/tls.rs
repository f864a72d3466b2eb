//! The harness of the `tls` target: the server's TLS transport
//! ([`TlsStream`]) over a memory socket.
//!
//! Invariants checked (a failure panics, which libFuzzer reports):
//! - nothing panics, whatever the client sends and however it is split;
//! - raw bytes: a first byte that is an ASCII letter gets exactly the plain
//!   `400` and the end of input; anything else the server writes is TLS
//!   records (an alert or handshake, never plaintext);
//! - after a real handshake: the server reads exactly the client's
//!   plaintext, in order, then the end; what it writes back the client reads
//!   whole; a corrupted record ends the stream with an error, and what was
//!   read before it is a prefix of what was sent.

use std::io::{self, IoSlice, Read, Write};
use std::sync::{Arc, LazyLock};

use mini_async_http::rustls::pki_types::ServerName;
use mini_async_http::rustls::{self, ClientConfig, ClientConnection, RootCertStore, ServerConfig};
use mini_async_http::{MemorySocket as Pipe, PLAIN_HTTP_400, TlsConfig, TlsStream};

/// One server and client configuration for every run (a certificate is
/// made once).
static CONFIGS: LazyLock<(Arc<ServerConfig>, Arc<ClientConfig>)> = LazyLock::new(|| {
    let cert = rcgen::generate_simple_self_signed(["localhost".to_string()]).expect("rcgen");
    let server = TlsConfig::from_pem(cert.cert.pem(), cert.signing_key.serialize_pem())
        .load()
        .expect("server config");
    let mut roots = RootCertStore::empty();
    roots.add(cert.cert.der().clone()).expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    (server, Arc::new(client))
});

/// How a run reads and writes.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Largest socket read.
    pub max_read: usize,
    /// The server's read buffer.
    pub buf: usize,
    /// Bytes the socket takes per step.
    pub room: usize,
}

/// Reads until the server would block, ends or fails; returns the
/// plaintext and how the last read ended.
fn read_all(server: &mut TlsStream<Pipe>, sizes: Sizes, plain: &mut Vec<u8>) -> io::Result<usize> {
    let mut buf = vec![0; sizes.buf.max(1)];
    let mut arrived = server.get_mut().arrive();
    for _ in 0..1_000_000 {
        match server.read(&mut buf) {
            Ok(0) => return Ok(0),
            Ok(n) => plain.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && arrived => {
                // Drained: the next segment is the next readiness event.
                arrived = server.get_mut().arrive();
            }
            Err(e) => return Err(e),
        }
    }
    panic!("read never stopped");
}

/// Raw bytes from a client: the server must not panic, and answers only
/// the plain 400 or TLS records.
///
/// # Panics
/// When an invariant of the module doc does not hold.
pub fn raw(data: &[u8], sizes: Sizes) {
    let pipe = Pipe {
        wire: data.iter().copied().collect(),
        max_read: sizes.max_read,
        closed: true,
        room: usize::MAX,
        ..Pipe::default()
    };
    let mut server = TlsStream::with_config(pipe, Arc::clone(&CONFIGS.0));
    let mut plain = Vec::new();
    let end = read_all(&mut server, sizes, &mut plain);
    assert!(plain.is_empty(), "plaintext without a handshake");
    let _ = server.write_vectored(&[IoSlice::new(b"HTTP/1.1 200 OK\r\n\r\n")]);
    server.close_notify();
    let _ = server.send_records();
    let out = &server.get_ref().outbox;
    if data.first().is_some_and(u8::is_ascii_alphabetic) {
        assert_eq!(end.ok(), Some(0), "plain HTTP ends the input");
        assert_eq!(out, PLAIN_HTTP_400, "plain HTTP gets the plain 400");
    } else if let Some(&kind) = out.first() {
        assert!(kind == 0x15 || kind == 0x16, "not a TLS record: {kind:#x}");
    }
}

/// A real handshake, then `data` as the client's plaintext (a byte of it
/// flipped on the wire when `corrupt` says where), then its `close_notify`;
/// the server echoes what it read.
///
/// # Panics
/// When an invariant of the module doc does not hold.
pub fn session(data: &[u8], sizes: Sizes, corrupt: Option<usize>) {
    let (server_config, client_config) = &*CONFIGS;
    let pipe = Pipe {
        max_read: sizes.max_read,
        room: usize::MAX,
        ..Pipe::default()
    };
    let mut server = TlsStream::with_config(pipe, Arc::clone(server_config));
    let name = ServerName::try_from("localhost").expect("name");
    let mut client = ClientConnection::new(Arc::clone(client_config), name).expect("client");
    let mut plain = Vec::new();
    for _ in 0..8 {
        if !client.is_handshaking() && !server.handshaking() {
            break;
        }
        to_server(&mut client, &mut server, None);
        let step = read_all(&mut server, sizes, &mut plain);
        assert!(
            step.as_ref()
                .is_err_and(|e| e.kind() == io::ErrorKind::WouldBlock),
            "handshake step: {step:?}"
        );
        to_client(&mut client, &mut server);
    }
    assert!(!server.handshaking(), "handshake did not complete");
    client.writer().write_all(data).expect("client write");
    client.send_close_notify();
    to_server(&mut client, &mut server, corrupt);
    server.get_mut().closed = true;
    let end = read_all(&mut server, sizes, &mut plain);
    assert!(
        data.starts_with(&plain),
        "the server read bytes that were not sent"
    );
    if corrupt.is_some() {
        return;
    }
    assert_eq!(end.ok(), Some(0), "the end after the client's close_notify");
    assert_eq!(plain, data, "the server read other bytes");
    // Echo, through a socket that takes `room` bytes per step.
    let mut at = 0;
    let mut echoed = Vec::new();
    for _ in 0..1_000_000 {
        if at == data.len() && !server.wants_write() {
            break;
        }
        server.get_mut().room = sizes.room.max(1);
        let half = at + (data.len() - at) / 2;
        let slices = [IoSlice::new(&data[at..half]), IoSlice::new(&data[half..])];
        match server.write_vectored(&slices) {
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => assert!(server.wants_write()),
            Err(e) => panic!("server write: {e}"),
        }
        server.send_records().expect("send");
        to_client(&mut client, &mut server);
        let _ = client.reader().read_to_end(&mut echoed);
    }
    assert!(echoed == data, "the client read other bytes back");
}

fn to_server(client: &mut ClientConnection, server: &mut TlsStream<Pipe>, corrupt: Option<usize>) {
    let mut wire = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut wire).expect("client write_tls");
    }
    if let Some(at) = corrupt.filter(|_| !wire.is_empty()) {
        let at = at % wire.len();
        wire[at] ^= 0x55;
    }
    server.get_mut().wire.extend(wire);
}

fn to_client(client: &mut ClientConnection, server: &mut TlsStream<Pipe>) {
    let out = std::mem::take(&mut server.get_mut().outbox);
    let mut rd = &out[..];
    while !rd.is_empty() {
        client.read_tls(&mut rd).expect("client read_tls");
        client.process_new_packets().expect("client process");
    }
}
