//! [`TlsStream`] over a memory socket, against a rustls client: the
//! socket's semantics hold (a short read means drained, `WouldBlock` when
//! full, `Ok(0)` at the end), whatever the read and write sizes.

use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore};

use super::pipe::MemorySocket as Pipe;
use super::stream::PLAIN_HTTP_400;
use super::{TlsConfig, TlsStream};

fn configs() -> (Arc<rustls::ServerConfig>, Arc<ClientConfig>) {
    let cert = rcgen::generate_simple_self_signed(["localhost".to_string()]).unwrap();
    let server = TlsConfig::from_pem(cert.cert.pem(), cert.signing_key.serialize_pem())
        .load()
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    (server, Arc::new(client))
}

struct Pair {
    server: TlsStream<Pipe>,
    client: ClientConnection,
}

impl Pair {
    fn new(max_read: usize) -> Pair {
        let (server, client) = configs();
        Pair {
            server: TlsStream::with_config(Pipe::new(max_read, usize::MAX), server),
            client: ClientConnection::new(client, ServerName::try_from("localhost").unwrap())
                .unwrap(),
        }
    }

    /// The records the client seals for `plain`.
    fn client_records(&mut self, plain: &[u8]) -> Vec<u8> {
        self.client.writer().write_all(plain).unwrap();
        let mut records = Vec::new();
        while self.client.wants_write() {
            self.client.write_tls(&mut records).unwrap();
        }
        records
    }

    /// Moves the client's records to the server and the server's to the
    /// client; returns the server's `read` results on `buf` until it would
    /// block with nothing left to arrive, checking the socket semantics on
    /// the way (each arrival is a readiness event: the server reads until
    /// drained).
    fn pump(&mut self, buf_len: usize) -> Vec<u8> {
        let mut to_server = Vec::new();
        while self.client.wants_write() {
            self.client.write_tls(&mut to_server).unwrap();
        }
        self.server.get_mut().wire.extend(to_server);
        let mut plain = Vec::new();
        let mut buf = vec![0; buf_len];
        'events: for _ in 0..100_000 {
            if !self.server.get_mut().arrive() {
                break;
            }
            for _ in 0..100_000 {
                match self.server.read(&mut buf) {
                    Ok(0) => break 'events,
                    Ok(n) => {
                        plain.extend_from_slice(&buf[..n]);
                        if n < buf_len && !self.server.at_eof() {
                            // A short read: drained, the next read would block.
                            assert!(
                                self.server.get_ref().inbox.is_empty(),
                                "short read, not drained"
                            );
                            let again = self.server.read(&mut buf).unwrap_err();
                            assert_eq!(again.kind(), io::ErrorKind::WouldBlock);
                            continue 'events;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        assert!(
                            self.server.get_ref().inbox.is_empty(),
                            "would block, not drained"
                        );
                        continue 'events;
                    }
                    Err(e) => panic!("server read: {e}"),
                }
            }
        }
        self.deliver_to_client();
        plain
    }

    fn deliver_to_client(&mut self) {
        let out = std::mem::take(&mut self.server.get_mut().outbox);
        let mut rd = &out[..];
        while !rd.is_empty() {
            self.client.read_tls(&mut rd).unwrap();
            self.client.process_new_packets().unwrap();
        }
    }

    fn handshake(&mut self) {
        for _ in 0..10 {
            if !self.client.is_handshaking() && !self.server.handshaking() {
                return;
            }
            assert!(self.pump(4096).is_empty());
        }
        panic!("no handshake");
    }

    fn client_plaintext(&mut self) -> Vec<u8> {
        let mut got = Vec::new();
        match self.client.reader().read_to_end(&mut got) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("client read: {e}"),
        }
        got
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[test]
fn plaintext_arrives_whole_whatever_the_read_sizes() {
    for (max_read, buf_len) in [(1, 1), (7, 1000), (5000, 3), (usize::MAX, 8192)] {
        let mut pair = Pair::new(max_read);
        pair.handshake();
        let info = pair.server.take_established().expect("established");
        assert_eq!(info.server_name.as_deref(), Some("localhost"));
        assert!(pair.server.take_established().is_none(), "announced once");
        let sent = pattern(40_000);
        pair.client.writer().write_all(&sent).unwrap();
        assert_eq!(
            pair.pump(buf_len),
            sent,
            "max_read {max_read}, buf {buf_len}"
        );
    }
}

#[test]
fn writes_wait_while_records_are_queued() {
    let mut pair = Pair::new(usize::MAX);
    pair.handshake();
    let body = pattern(300_000);
    let mut at = 0;
    let mut got = Vec::new();
    for _ in 0..10_000 {
        if at == body.len() && !pair.server.wants_write() {
            break;
        }
        pair.server.get_mut().room = 10_000;
        match pair.server.write_vectored(&[
            IoSlice::new(&body[at..(at + 7).min(body.len())]),
            IoSlice::new(&body[(at + 7).min(body.len())..]),
        ]) {
            Ok(n) => {
                assert!(n > 0 || at == body.len());
                at += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(pair.server.wants_write(), "WouldBlock with nothing queued");
            }
            Err(e) => panic!("write: {e}"),
        }
        pair.server.send_records().unwrap();
        pair.deliver_to_client();
        got.extend(pair.client_plaintext());
    }
    assert_eq!(got.len(), body.len());
    assert!(got == body, "bytes differ");
}

#[test]
fn plain_http_is_answered_in_plain_text() {
    let (server, _) = configs();
    let mut stream = TlsStream::with_config(Pipe::new(usize::MAX, usize::MAX), server);
    stream
        .get_mut()
        .inbox
        .extend(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".iter());
    let mut buf = [0; 1024];
    assert_eq!(stream.read(&mut buf).unwrap(), 0, "end of input");
    assert_eq!(stream.get_ref().outbox, PLAIN_HTTP_400);
    assert!(stream.get_ref().inbox.is_empty(), "the request was read");
    assert!(!stream.wants_close_notify());
    let text = std::str::from_utf8(PLAIN_HTTP_400).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.contains(&format!("Content-Length: {}", body.len())),
        "{head}"
    );
}

#[test]
fn garbage_gets_an_alert_and_an_error() {
    let (server, _) = configs();
    let mut stream = TlsStream::with_config(Pipe::new(usize::MAX, usize::MAX), server);
    stream
        .get_mut()
        .inbox
        // A handshake record holding a ClientHello of four zero bytes.
        .extend([
            0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0, 0, 0, 0,
        ]);
    let mut buf = [0; 1024];
    let err = stream.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(
        stream.get_ref().outbox.first(),
        Some(&0x15),
        "an alert record"
    );
    assert_eq!(stream.read(&mut buf).unwrap(), 0, "nothing after a failure");
    assert!(!stream.wants_write());
}

#[test]
fn close_notify_is_sent_once_and_received_as_the_end() {
    let mut pair = Pair::new(usize::MAX);
    pair.handshake();
    assert!(pair.server.wants_close_notify());
    pair.server.close_notify();
    pair.server.close_notify();
    assert!(!pair.server.wants_close_notify());
    pair.server.send_records().unwrap();
    let out = pair.server.get_ref().outbox.clone();
    assert_eq!(out[0], 0x17, "TLS 1.3 hides the alert in application data");
    let records = count_records(&out);
    assert_eq!(records, 1, "one close_notify");
    pair.deliver_to_client();
    // The client's own close_notify, then its request bytes never come:
    pair.client.writer().write_all(b"last").unwrap();
    pair.client.send_close_notify();
    assert_eq!(pair.pump(2), b"last");
    let mut buf = [0; 8];
    assert_eq!(pair.server.read(&mut buf).unwrap(), 0);
    assert!(pair.server.at_eof());
}

#[test]
fn tcp_end_after_data_is_seen_after_the_data() {
    let mut pair = Pair::new(usize::MAX);
    pair.handshake();
    let to_server = pair.client_records(b"partial");
    pair.server.get_mut().inbox.extend(to_server);
    pair.server.get_mut().closed = true;
    let mut buf = [0; 100];
    assert_eq!(pair.server.read(&mut buf).unwrap(), 7);
    // The socket read came back short (drained): the end is the next read's
    // (the poller reports it with the data, and the worker reads on).
    assert!(!pair.server.at_eof());
    assert_eq!(pair.server.read(&mut buf).unwrap(), 0);
    assert!(pair.server.at_eof());
}

#[test]
fn after_the_peers_fin_reads_go_on_to_the_end() {
    let mut pair = Pair::new(usize::MAX);
    pair.handshake();
    // Half a record, then the TCP end: no plaintext, but not "would block".
    let mut to_server = pair.client_records(b"partial");
    to_server.truncate(to_server.len() / 2);
    pair.server.get_mut().inbox.extend(to_server);
    pair.server.get_mut().closed = true;
    pair.server.set_peer_closed();
    let mut buf = [0; 100];
    assert_eq!(pair.server.read(&mut buf).unwrap(), 0, "the end, at once");
    assert!(pair.server.at_eof());
}

#[test]
fn a_short_socket_read_is_the_last_of_a_call() {
    let mut pair = Pair::new(usize::MAX);
    pair.handshake();
    let to_server = pair.client_records(b"GET / HTTP/1.1\r\n\r\n");
    pair.server.get_mut().inbox.extend(to_server);
    pair.server.get_mut().reads = 0;
    let mut buf = [0; 100];
    assert_eq!(pair.server.read(&mut buf).unwrap(), 18);
    assert_eq!(pair.server.get_ref().reads, 1, "no read after a short one");
    let again = pair.server.read(&mut buf).unwrap_err();
    assert_eq!(again.kind(), io::ErrorKind::WouldBlock);
    assert_eq!(pair.server.get_ref().reads, 2);
}

/// TLS records in `bytes` (5-byte header, then its length).
fn count_records(mut bytes: &[u8]) -> usize {
    let mut n = 0;
    while bytes.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        bytes = &bytes[(5 + len).min(bytes.len())..];
        n += 1;
    }
    n
}

#[test]
fn sealed_records_wait_for_send_records_and_close_notify_joins_them() {
    let mut pair = Pair::new(usize::MAX);
    pair.handshake();
    let n = pair
        .server
        .write_vectored(&[IoSlice::new(b"HTTP/1.1 200 OK\r\n"), IoSlice::new(b"\r\n")])
        .unwrap();
    assert_eq!(n, 19);
    assert!(pair.server.get_ref().outbox.is_empty(), "sealed, not sent");
    assert!(pair.server.wants_write());
    pair.server.close_notify();
    assert!(pair.server.send_records().unwrap());
    assert!(!pair.server.wants_write());
    pair.deliver_to_client();
    assert_eq!(pair.client_plaintext(), b"HTTP/1.1 200 OK\r\n\r\n");
    let mut rest = [0; 1];
    assert_eq!(
        pair.client.reader().read(&mut rest).unwrap(),
        0,
        "close_notify"
    );
}
