//! The handshake rules of the TLS policy, one test per rule: versions,
//! ALPN, plain HTTP, garbage, truncation, deadlines, slow handshakes.

use std::io::{Read, Write};
use std::net::Shutdown;

use mini_async_http::AIOServer;
use mini_async_http::rustls::{self, AlertDescription, version};

use crate::support::{Client, get, ms, path_echo};
use crate::{
    TlsClient, client, client_config, client_hello, local_cert, read_until_closed, serve, tcp,
    tls_echo,
};

/// A hand-written `ClientHello` record of TLS 1.`minor - 1` offering
/// `suites`, with `extensions` (their encoded block, without its length).
fn client_hello_record(minor: u8, suites: &[u16], extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![3, minor];
    body.extend_from_slice(&[0x5a; 32]); // random
    body.push(0); // no session id
    body.extend_from_slice(&(2 * suites.len() as u16).to_be_bytes());
    for suite in suites {
        body.extend_from_slice(&suite.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression
    if !extensions.is_empty() {
        body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
        body.extend_from_slice(extensions);
    }
    let mut handshake = vec![1, 0, 0, body.len() as u8];
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 3, minor, 0, handshake.len() as u8];
    record.extend_from_slice(&handshake);
    record
}

/// `signature_algorithms`: `ecdsa_secp256r1_sha256` (the test certificates'
/// scheme).
const SIG_ALGS: [u8; 8] = [0, 13, 0, 4, 0, 2, 4, 3];
/// `supported_groups`: x25519.
const GROUPS: [u8; 8] = [0, 10, 0, 4, 0, 2, 0, 0x1d];

/// What the server answers a hand-written hello, until it closes.
fn answer(server: &crate::support::TestServer, hello: &[u8]) -> Vec<u8> {
    let mut raw = tcp(server.addr);
    raw.write_all(hello).unwrap();
    read_until_closed(&mut raw)
}

/// The suites of TLS 1.0/1.1 clients: RSA key exchange, CBC.
const OLD_SUITES: [u16; 3] = [0x002f, 0x0035, 0x000a];

/// rustls cannot offer TLS 1.1 or older, so the old versions are proven
/// refused with hand-written hellos: one fatal alert, then the close. A
/// hello as TLS 1.0/1.1 clients really send it (no `signature_algorithms`)
/// gets `handshake_failure`; with that extension added, the version itself
/// is what is refused: `protocol_version`.
#[test]
fn tls10_client_hello_is_refused() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, path_echo);
    for (minor, sig_algs, alert) in [(1, false, 40), (2, false, 40), (1, true, 70), (2, true, 70)] {
        let extensions: &[u8] = if sig_algs { &SIG_ALGS } else { &[] };
        let reply = answer(
            &server,
            &client_hello_record(minor, &OLD_SUITES, extensions),
        );
        let what = format!("TLS 1.{} (signature_algorithms: {sig_algs})", minor - 1);
        assert_eq!(reply.len(), 7, "{what}: {reply:?}");
        assert_eq!(reply[0], 0x15, "{what}: an alert record");
        assert_eq!(&reply[5..], &[2, alert], "{what}: a fatal alert");
    }
    // What rustls clients negotiate: TLS 1.3, or 1.2 when that is all they offer.
    let mut modern = TlsClient::connect(server.addr, &client(&cert), "localhost");
    modern.handshake().unwrap();
    let negotiated = modern.tls.conn.protocol_version().unwrap();
    assert_eq!(negotiated, rustls::ProtocolVersion::TLSv1_3);
    let tls12 = client_config(&[&cert], &[&version::TLS12], &[b"http/1.1"]);
    let mut older = TlsClient::connect(server.addr, &tls12, "localhost");
    older.handshake().unwrap();
    assert_eq!(
        older.tls.conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
}

/// A TLS 1.2 hello that offers only suites without forward secrecy or
/// without AEAD is refused (`handshake_failure`); the same hello with one
/// ECDHE-ECDSA AES-GCM suite gets a `ServerHello`, so the suites are what
/// was refused.
#[test]
fn tls12_suites_without_forward_secrecy_or_aead_are_refused() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, path_echo);
    let extensions = [SIG_ALGS, GROUPS].concat();
    // RSA-kx AES-GCM, RSA-kx CBC, ECDHE-ECDSA CBC (SHA-256 and SHA-1).
    let weak = [0x009c, 0x003c, 0xc023, 0xc009];
    let reply = answer(&server, &client_hello_record(3, &weak, &extensions));
    assert_eq!(reply, [0x15, 3, 3, 0, 2, 2, 40], "fatal handshake_failure");
    let mut raw = tcp(server.addr);
    raw.write_all(&client_hello_record(3, &[0xc02b], &extensions))
        .unwrap();
    let mut head = [0u8; 6];
    raw.read_exact(&mut head).unwrap();
    assert_eq!((head[0], head[5]), (0x16, 2), "a ServerHello: {head:?}");
}

#[test]
fn alpn_prefers_http11() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, tls_echo);
    let both = client_config(&[&cert], rustls::DEFAULT_VERSIONS, &[b"h2", b"http/1.1"]);
    let mut c = TlsClient::connect(server.addr, &both, "localhost");
    c.handshake().unwrap();
    assert_eq!(c.tls.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    c.send(get("/alpn"));
    assert_eq!(
        c.read_response().body_str(),
        "tls=true sni=localhost path=/alpn"
    );
    // A client that offers no ALPN at all is served too.
    let none = client_config(&[&cert], rustls::DEFAULT_VERSIONS, &[]);
    let mut c = TlsClient::connect(server.addr, &none, "localhost");
    c.send(get("/none"));
    assert_eq!(c.read_response().status, 200);
    assert_eq!(c.tls.conn.alpn_protocol(), None);
}

#[test]
fn alpn_h2_only_is_refused() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, path_echo);
    let h2 = client_config(&[&cert], rustls::DEFAULT_VERSIONS, &[b"h2"]);
    let mut c = TlsClient::connect(server.addr, &h2, "localhost");
    let err = c.handshake().unwrap_err();
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    assert_eq!(
        inner,
        Some(&rustls::Error::AlertReceived(
            AlertDescription::NoApplicationProtocol
        )),
        "{err}"
    );
}

#[test]
fn plain_http_gets_400() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, path_echo);
    let mut plain = Client::connect(server.addr);
    plain.send(get("/plain"));
    let text = String::from_utf8(plain.read_to_end()).unwrap();
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(text.contains("Connection: close\r\n"), "{text}");
    assert!(
        text.ends_with("HTTPS; the request was plain HTTP\n"),
        "{text}"
    );
}

#[test]
fn garbage_is_closed() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, tls_echo);
    let mut good = TlsClient::connect(server.addr, &client(&cert), "localhost");
    good.send(get("/before"));
    assert_eq!(good.read_response().status, 200);
    let garbage: [&[u8]; 4] = [
        &[0x00; 64],                                 // not a record type
        &[0x17, 3, 3, 0, 4, 1, 2, 3, 4],             // data before a handshake
        &[0x16, 3, 3, 0xff, 0xff, 1, 2, 3],          // oversized record
        &[0x16, 3, 1, 0, 8, 1, 0, 0, 4, 0, 0, 0, 0], // a ClientHello of zeros
    ];
    for bytes in garbage {
        let mut raw = tcp(server.addr);
        raw.write_all(bytes).unwrap();
        let reply = read_until_closed(&mut raw);
        assert!(
            reply.is_empty() || reply[0] == 0x15,
            "{bytes:?} got {reply:?}: only an alert may come back"
        );
    }
    // The established connection next to them is unaffected.
    good.send(get("/after"));
    assert_eq!(
        good.read_response().body_str(),
        "tls=true sni=localhost path=/after"
    );
}

#[test]
fn truncated_client_hello_is_closed() {
    let cert = local_cert();
    // The default 10 s header timeout: the close comes from the end of input.
    let server = serve(AIOServer::builder().workers(1), &cert, path_echo);
    let hello = client_hello(&client(&cert));
    for cut in [1, 5, hello.len() / 2, hello.len() - 1] {
        let mut raw = tcp(server.addr);
        raw.write_all(&hello[..cut]).unwrap();
        raw.shutdown(Shutdown::Write).unwrap();
        let reply = read_until_closed(&mut raw);
        assert!(reply.is_empty() || reply[0] == 0x15, "cut {cut}: {reply:?}");
    }
}

#[test]
fn silent_handshake_is_closed_on_time() {
    let cert = local_cert();
    let server = serve(
        AIOServer::builder().workers(1).header_timeout(ms(300)),
        &cert,
        path_echo,
    );
    // Nothing at all.
    let mut silent = tcp(server.addr);
    assert!(read_until_closed(&mut silent).is_empty());
    // A ClientHello one byte at a time, slower than the deadline allows in
    // all: progress does not move the deadline (it runs from accept).
    let hello = client_hello(&client(&cert));
    let mut slow = tcp(server.addr);
    slow.set_read_timeout(Some(ms(50))).unwrap();
    let mut sent = 0;
    let mut closed = false;
    for byte in &hello {
        if slow.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        sent += 1;
        let mut buf = [0u8; 64];
        match slow.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => panic!("the server answered a partial ClientHello: {:?}", &buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                closed = true;
                break;
            }
            Err(_) => {} // the read timeout: the pace of this client
        }
    }
    assert!(
        closed,
        "a trickled ClientHello of {} bytes was not cut off",
        hello.len()
    );
    assert!(
        sent < hello.len(),
        "closed only after the whole ClientHello"
    );
}

#[test]
fn slow_handshakes_hold_no_worker() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, tls_echo);
    let hello = client_hello(&client(&cert));
    let mut crowd: Vec<_> = (0..50).map(|_| tcp(server.addr)).collect();
    for round in 0..3 {
        for raw in &mut crowd {
            raw.write_all(&hello[round..=round]).unwrap();
        }
        // The one worker still answers a normal client at once.
        let mut normal = TlsClient::connect(server.addr, &client(&cert), "localhost");
        for i in 0..3 {
            normal.send(get(&format!("/{round}/{i}")));
            assert_eq!(
                normal.read_response().body_str(),
                format!("tls=true sni=localhost path=/{round}/{i}")
            );
        }
    }
    drop(crowd);
    server.stop();
}

#[test]
fn sni_is_optional() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, tls_echo);
    // An IP address as the server name: rustls sends no SNI.
    let mut c = TlsClient::connect(server.addr, &client(&cert), "127.0.0.1");
    c.send(get("/ip"));
    assert_eq!(c.read_response().body_str(), "tls=true sni=- path=/ip");
}

/// A client trusting `cert` that offers `suites` in this order (rustls
/// offers its provider's suites in the provider's order), TLS `versions`.
fn client_offering(
    cert: &crate::Cert,
    suites: &[rustls::CipherSuite],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> std::sync::Arc<rustls::ClientConfig> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = suites
        .iter()
        .map(|want| {
            *provider
                .cipher_suites
                .iter()
                .find(|s| s.suite() == *want)
                .expect("a ring suite")
        })
        .collect();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(provider.into())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    std::sync::Arc::new(config)
}

#[test]
fn the_server_order_of_suites_except_for_chacha_first_clients() {
    use rustls::CipherSuite::{
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 as ECDSA_AES128,
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 as ECDSA_AES256,
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 as ECDSA_CHACHA,
        TLS13_AES_128_GCM_SHA256 as AES128, TLS13_AES_256_GCM_SHA384 as AES256,
        TLS13_CHACHA20_POLY1305_SHA256 as CHACHA,
    };
    let cert = local_cert(); // rcgen's key: ECDSA P-256
    let server = serve(AIOServer::builder().workers(1), &cert, tls_echo);
    let tls13: &[&'static rustls::SupportedProtocolVersion] = &[&version::TLS13];
    let tls12: &[&'static rustls::SupportedProtocolVersion] = &[&version::TLS12];
    for (what, offered, versions, want) in [
        (
            "OpenSSL's order",
            &[AES256, CHACHA, AES128][..],
            tls13,
            AES128,
        ),
        ("AES-256 first, no ChaCha", &[AES256, AES128], tls13, AES128),
        (
            "ChaCha first (no AES hardware)",
            &[CHACHA, AES256, AES128],
            tls13,
            CHACHA,
        ),
        ("only AES-256", &[AES256], tls13, AES256),
        (
            "TLS 1.2, OpenSSL's order",
            &[ECDSA_AES256, ECDSA_CHACHA, ECDSA_AES128],
            tls12,
            ECDSA_AES128,
        ),
        (
            "TLS 1.2, ChaCha first",
            &[ECDSA_CHACHA, ECDSA_AES128],
            tls12,
            ECDSA_CHACHA,
        ),
    ] {
        let config = client_offering(&cert, offered, versions);
        let mut kinds = Vec::new();
        // Twice: the second connection resumes, with the same suite.
        for _ in 0..2 {
            let mut c = TlsClient::connect(server.addr, &config, "localhost");
            c.send(get("/suite"));
            assert_eq!(c.read_response().status, 200, "{what}");
            let suite = c.tls.conn.negotiated_cipher_suite().map(|s| s.suite());
            assert_eq!(suite, Some(want), "{what}");
            kinds.push(c.tls.conn.handshake_kind());
        }
        assert_eq!(
            kinds,
            [
                Some(rustls::HandshakeKind::Full),
                Some(rustls::HandshakeKind::Resumed)
            ],
            "{what}"
        );
    }
}
