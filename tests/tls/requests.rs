//! Requests over TLS: bodies both ways, keep-alive, pipelining, HEAD,
//! `close_notify`, resumption, SNI, certificate files, reload, shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mini_async_http::rustls::client::{Resumption, Tls12Resumption};
use mini_async_http::rustls::{self, HandshakeKind, version};
use mini_async_http::{AIOServer, Request, Response, ResponseBuilder, TlsConfig};

use crate::support::{IO_TIMEOUT, TestServer, get, ms, pattern};
use crate::{Cert, TlsClient, client, client_config, local_cert, metrics_when, serve, tls_echo};

const BIG: usize = 3 << 20;

/// `/big`: 3 MiB; `POST /echo`: the body back; else what `tls_echo` says.
fn bodies(req: &Request) -> Response {
    match req.path() {
        "/big" => ResponseBuilder::empty_200()
            .body(pattern(BIG))
            .build()
            .unwrap(),
        "/echo" => ResponseBuilder::empty_200()
            .body(req.body().to_vec())
            .build()
            .unwrap(),
        _ => tls_echo(req),
    }
}

fn agent(root: &Cert) -> ureq::Agent {
    use ureq::tls::{Certificate, RootCerts, TlsProvider};
    let tls = ureq::tls::TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::new_with_certs(&[Certificate::from_der(
            root.der.as_ref(),
        )
        .to_owned()]))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .tls_config(tls)
        .build()
        .new_agent()
}

#[test]
fn ureq_gets_and_posts_large_bodies() {
    let cert = local_cert();
    let server = serve(
        AIOServer::builder().workers(2).max_body_bytes(2 << 20),
        &cert,
        bodies,
    );
    let agent = agent(&cert);
    let base = format!("https://127.0.0.1:{}", server.addr.port());
    for _ in 0..2 {
        let mut resp = agent.get(format!("{base}/big")).call().unwrap();
        assert_eq!(resp.status(), 200);
        let got = resp
            .body_mut()
            .with_config()
            .limit(10 << 20)
            .read_to_vec()
            .unwrap();
        assert!(
            got == pattern(BIG),
            "3 MiB body differs ({} bytes)",
            got.len()
        );
    }
    let upload = pattern(900 << 10);
    let mut resp = agent
        .post(format!("{base}/echo"))
        .send(&upload[..])
        .unwrap();
    assert_eq!(resp.status(), 200);
    let back = resp
        .body_mut()
        .with_config()
        .limit(10 << 20)
        .read_to_vec()
        .unwrap();
    assert!(
        back == upload,
        "900 KiB echo differs ({} bytes)",
        back.len()
    );
    let mut resp = agent.get(format!("{base}/who")).call().unwrap();
    assert_eq!(
        resp.body_mut().read_to_string().unwrap(),
        "tls=true sni=- path=/who"
    );
}

#[test]
fn keep_alive_pipelining_and_head() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, bodies);
    let mut c = TlsClient::connect(server.addr, &client(&cert), "localhost");
    c.send(format!(
        "{}HEAD /big HTTP/1.1\r\nHost: x\r\n\r\n{}{}",
        get("/big"),
        get("/one"),
        get("/two")
    ));
    let big = c.read_response();
    assert!(big.body == pattern(BIG), "pipelined 3 MiB body");
    let head = c.read_response_to("HEAD");
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(BIG.to_string().as_str())
    );
    assert_eq!(
        c.read_response().body_str(),
        "tls=true sni=localhost path=/one"
    );
    assert_eq!(
        c.read_response().body_str(),
        "tls=true sni=localhost path=/two"
    );
    // The same connection, later.
    for i in 0..5 {
        c.send(get(&format!("/again/{i}")));
        assert_eq!(
            c.read_response().body_str(),
            format!("tls=true sni=localhost path=/again/{i}")
        );
    }
}

#[test]
fn close_notify_at_connection_close() {
    let cert = local_cert();
    // The header timeout as short as the idle one: a connection handed back
    // without waking the loop gets its idle deadline when the loop next
    // wakes, at the latest at the deadline it had before (here the header
    // deadline from accept), so a short idle timeout alone could act late.
    let server = serve(
        AIOServer::builder()
            .workers(1)
            .header_timeout(ms(1000))
            .idle_timeout(ms(1000)),
        &cert,
        tls_echo,
    );
    let mut c = TlsClient::connect(server.addr, &client(&cert), "localhost");
    c.send("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let resp = c.read_response();
    assert_eq!(resp.header("connection"), Some("close"));
    assert_eq!(c.read_end().expect("close_notify, then the end"), 0);
    // The idle timeout closes with close_notify too.
    let mut idle = TlsClient::connect(server.addr, &client(&cert), "localhost");
    idle.send(get("/idle"));
    assert_eq!(idle.read_response().status, 200);
    assert_eq!(
        idle.read_end().expect("close_notify at the idle timeout"),
        0
    );
    // Counted under the loop's reasons, after the worker's close_notify.
    let m = metrics_when(&server, |m| {
        m.closes.not_keep_alive + m.closes.timeout + m.closes.error >= 2
    });
    assert_eq!((m.closes.not_keep_alive, m.closes.timeout), (1, 1));
    assert_eq!(
        (m.timeouts.idle, m.closes.error, m.closes.client_closed),
        (1, 0, 0)
    );
}

#[test]
fn close_notify_at_shutdown() {
    let cert = local_cert();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let (entered_tx, release_rx) = (Mutex::new(entered_tx), Mutex::new(release_rx));
    let server = serve(AIOServer::builder().workers(2), &cert, move |req| {
        if req.path() == "/slow" {
            entered_tx.lock().unwrap().send(()).unwrap();
            let _ = release_rx.lock().unwrap().recv_timeout(IO_TIMEOUT);
        }
        tls_echo(req)
    });
    let mut idle = TlsClient::connect(server.addr, &client(&cert), "localhost");
    idle.send(get("/first"));
    assert_eq!(idle.read_response().status, 200);
    let mut busy = TlsClient::connect(server.addr, &client(&cert), "localhost");
    busy.send(get("/slow"));
    entered.recv_timeout(IO_TIMEOUT).expect("handler entered");
    server.handle.shutdown();
    assert_eq!(
        idle.read_end()
            .expect("close_notify to the idle connection"),
        0
    );
    release.send(()).unwrap();
    let resp = busy.read_response();
    assert_eq!(resp.body_str(), "tls=true sni=localhost path=/slow");
    assert_eq!(resp.header("connection"), Some("close"));
    assert_eq!(
        busy.read_end()
            .expect("close_notify after the last response"),
        0
    );
    let m = metrics_when(&server, |m| m.closes.shutdown + m.closes.timeout >= 2);
    assert_eq!((m.closes.shutdown, m.closes.timeout), (2, 0));
    assert_eq!((m.closes.error, m.closes.client_closed), (0, 0));
    server.stop();
}

#[test]
fn resumption_resumes() {
    let cert = local_cert();
    let server = serve(AIOServer::builder().workers(1), &cert, tls_echo);
    let tls13 = client(&cert);
    let mut tls12_ids = (*client_config(&[&cert], &[&version::TLS12], &[b"http/1.1"])).clone();
    tls12_ids.resumption =
        Resumption::in_memory_sessions(8).tls12_resumption(Tls12Resumption::SessionIdOnly);
    let tls12_tickets = client_config(&[&cert], &[&version::TLS12], &[b"http/1.1"]);
    for (what, config) in [
        ("TLS 1.3 tickets", tls13),
        (
            "TLS 1.2 session ids (the server's cache)",
            Arc::new(tls12_ids),
        ),
        ("TLS 1.2 tickets", tls12_tickets),
    ] {
        let mut kinds = Vec::new();
        for i in 0..2 {
            let mut c = TlsClient::connect(server.addr, &config, "localhost");
            c.send(get(&format!("/{i}")));
            assert_eq!(c.read_response().status, 200, "{what}");
            kinds.push(c.tls.conn.handshake_kind());
        }
        assert_eq!(
            kinds,
            [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)],
            "{what}"
        );
    }
}

#[test]
fn sni_picks_the_certificate() {
    let default = Cert::new(&["default.test"]);
    let a = Cert::new(&["a.test"]);
    let b = Cert::new(&["b.test"]);
    let config = default
        .config()
        .with_sni_pem("a.test", a.pem.clone(), a.key.clone())
        .with_sni_pem("B.Test", b.pem.clone(), b.key.clone());
    let server = TestServer::with(AIOServer::builder().workers(1).tls(config), tls_echo);
    let roots = client_config(
        &[&default, &a, &b],
        rustls::DEFAULT_VERSIONS,
        &[b"http/1.1"],
    );
    for (name, cert, sni) in [
        ("a.test", &a, "a.test"),
        ("B.TEST", &b, "b.test"),
        ("default.test", &default, "default.test"),
    ] {
        let mut c = TlsClient::connect(server.addr, &roots, name);
        c.send(get("/"));
        assert_eq!(
            c.read_response().body_str(),
            format!("tls=true sni={sni} path=/")
        );
        assert!(
            c.server_cert() == cert.der,
            "{name} got the wrong certificate"
        );
    }
}

/// A temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("mini-http-tls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `cert` as `cert.pem` and `key.pem` (each replaced whole, by
    /// rename); returns their paths.
    fn write(&self, cert: &Cert) -> (std::path::PathBuf, std::path::PathBuf) {
        let put = |name: &str, text: &str| {
            let path = self.0.join(name);
            let tmp = self.0.join(format!("{name}.tmp"));
            std::fs::write(&tmp, text).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
            path
        };
        (put("cert.pem", &cert.pem), put("key.pem", &cert.key))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn bad_files_name_the_file() {
    let dir = TempDir::new("bad");
    let cert = local_cert();
    let (cert_path, key_path) = dir.write(&cert);
    let bind = |config: TlsConfig| {
        AIOServer::builder()
            .tls(config)
            .bind("127.0.0.1:0", tls_echo)
            .map(|_| ())
            .unwrap_err()
    };
    let missing = dir.0.join("missing.pem");
    let err = bind(TlsConfig::from_pem_files(&missing, &key_path));
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("missing.pem"), "{err}");
    // A key file with no key in it (the certificate instead).
    let err = bind(TlsConfig::from_pem_files(&cert_path, &cert_path));
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("private key"), "{err}");
    // A certificate file with no certificate.
    let err = bind(TlsConfig::from_pem_files(&key_path, &key_path));
    assert!(err.to_string().contains("certificate chain"), "{err}");
    // Another certificate's key.
    let other = local_cert();
    let err = bind(TlsConfig::from_pem(cert.pem.clone(), other.key.clone()));
    assert!(err.to_string().contains("PEM"), "{err}");
    let err = bind(
        cert.config()
            .with_sni_pem("not a name!", cert.pem.clone(), cert.key.clone()),
    );
    assert!(err.to_string().contains("not a name!"), "{err}");
}

#[test]
fn early_data_config_is_refused() {
    let cert = local_cert();
    let mut config = (*cert.config().load().unwrap()).clone();
    config.max_early_data_size = 16 * 1024;
    let err = AIOServer::builder()
        .tls(TlsConfig::from_rustls(Arc::new(config)))
        .bind("127.0.0.1:0", tls_echo)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("0-RTT"), "{err}");
}

#[test]
fn reload_keeps_the_old_config_on_error() {
    let dir = TempDir::new("keep");
    let old = local_cert();
    let (cert_path, key_path) = dir.write(&old);
    let config = TlsConfig::from_pem_files(&cert_path, &key_path);
    let server = TestServer::with(
        AIOServer::builder().workers(1).tls(config.clone()),
        tls_echo,
    );
    std::fs::write(&key_path, "not a key").unwrap();
    let err = server.handle.reload_tls(&config).unwrap_err();
    assert!(err.to_string().contains("key.pem"), "{err}");
    let mut c = TlsClient::connect(server.addr, &client(&old), "localhost");
    c.send(get("/still"));
    assert_eq!(c.read_response().status, 200);
    assert!(c.server_cert() == old.der);
}

#[test]
fn reload_under_load() {
    let dir = TempDir::new("rotate");
    let (a, b) = (local_cert(), local_cert());
    let (cert_path, key_path) = dir.write(&a);
    let config = TlsConfig::from_pem_files(&cert_path, &key_path);
    let server = TestServer::with(
        AIOServer::builder().workers(2).tls(config.clone()),
        tls_echo,
    );
    let roots = client_config(&[&a, &b], rustls::DEFAULT_VERSIONS, &[b"http/1.1"]);
    let mut kept = TlsClient::connect(server.addr, &roots, "localhost");
    kept.send(get("/kept"));
    assert_eq!(kept.read_response().status, 200);

    let reloaded = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (seen_tx, seen) = mpsc::channel();
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let (roots, reloaded, stop, seen_tx) = (
                Arc::clone(&roots),
                Arc::clone(&reloaded),
                Arc::clone(&stop),
                seen_tx.clone(),
            );
            let addr = server.addr;
            std::thread::spawn(move || {
                for i in 0..400 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let after_reload = reloaded.load(Ordering::SeqCst);
                    let mut c = TlsClient::connect(addr, &roots, "localhost");
                    c.send(get(&format!("/{t}/{i}")));
                    let ok = c.read_response().body_str()
                        == format!("tls=true sni=localhost path=/{t}/{i}");
                    seen_tx.send((after_reload, c.server_cert(), ok)).unwrap();
                }
            })
        })
        .collect();
    drop(seen_tx);
    let mut results = Vec::new();
    let next = |results: &mut Vec<_>| {
        let r = seen
            .recv_timeout(Duration::from_secs(20))
            .expect("a client result");
        results.push(r);
    };
    for _ in 0..15 {
        next(&mut results);
    }
    dir.write(&b);
    server.handle.reload_tls(&config).unwrap();
    reloaded.store(true, Ordering::SeqCst);
    while results.iter().filter(|(after, _, _)| *after).count() < 15 {
        next(&mut results);
    }
    stop.store(true, Ordering::SeqCst);
    for thread in threads {
        thread.join().unwrap();
    }
    results.extend(seen.try_iter());
    assert!(results.iter().all(|(_, _, ok)| *ok), "a request failed");
    assert!(
        results.iter().any(|(_, der, _)| *der == a.der),
        "old certificate seen"
    );
    for (after, der, _) in &results {
        if *after {
            assert!(
                *der == b.der,
                "a handshake after the reload got the old certificate"
            );
        }
    }
    // The connection made before the reload goes on with its session.
    kept.send(get("/kept"));
    assert_eq!(kept.read_response().status, 200);
    assert!(kept.server_cert() == a.der);
}
