//! `serve --tls-cert FILE --tls-key FILE --redirect-http ADDR`, run as a
//! process: HTTPS with a certificate made here (rcgen; no key is checked
//! in), the 308 redirect of plain HTTP, and SIGHUP reloads, good and bad.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use mini_async_http::rustls;

const WAIT: Duration = Duration::from_secs(20);

/// A self-signed certificate for `localhost` and 127.0.0.1: PEM text of
/// the chain and key, and the DER a client trusts.
struct Cert {
    pem: String,
    key: String,
    der: Vec<u8>,
}

fn cert() -> Cert {
    let made = rcgen::generate_simple_self_signed(["localhost".to_string(), "127.0.0.1".into()])
        .expect("rcgen");
    Cert {
        pem: made.cert.pem(),
        key: made.signing_key.serialize_pem(),
        der: made.cert.der().to_vec(),
    }
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("serve-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("www")).expect("temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `serve` process, killed on drop if still running.
struct Serve {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Serve {
    fn spawn(args: &[&Path]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_serve"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Serve {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for a line of `from` that contains `text`.
    fn line(from: &Receiver<String>, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match from.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(e) => panic!("no line with {text:?}: {e}"),
            }
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{name}");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(source: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// An HTTPS client trusting only `root`.
fn agent(root: &Cert) -> ureq::Agent {
    use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::new_with_certs(&[Certificate::from_der(
            &root.der,
        )
        .to_owned()]))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build();
    ureq::Agent::config_builder()
        .timeout_global(Some(WAIT))
        .tls_config(tls)
        .build()
        .new_agent()
}

fn addr_after(line: &str, prefix: &str) -> SocketAddr {
    let rest = line.split_once(prefix).expect(prefix).1;
    let addr = rest.split_whitespace().next().unwrap();
    addr.parse().expect("an address")
}

/// A raw HTTP/1.1 exchange on a connection that the server closes after.
fn plain_http(addr: SocketAddr, request: &str) -> String {
    let mut tcp = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.set_write_timeout(Some(WAIT)).unwrap();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).expect("read the answer");
    reply
}

#[test]
fn serves_https_redirects_and_reloads() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("www/hello.txt"), "hello over TLS\n").unwrap();
    let first = cert();
    let cert_file = dir.write("cert.pem", &first.pem);
    let key_file = dir.write("key.pem", &first.key);
    let serve = Serve::spawn(&[
        Path::new("--addr"),
        Path::new("127.0.0.1:0"),
        Path::new("--workers"),
        Path::new("1"),
        Path::new("--tls-cert"),
        &cert_file,
        Path::new("--tls-key"),
        &key_file,
        Path::new("--redirect-http"),
        Path::new("127.0.0.1:0"),
        &dir.0.join("www"),
    ]);
    let https = addr_after(
        &Serve::line(&serve.stdout, "listening on "),
        "listening on https://",
    );
    let http = addr_after(
        &Serve::line(&serve.stdout, "redirecting "),
        "redirecting http://",
    );

    let url = format!("https://127.0.0.1:{}/hello.txt", https.port());
    let mut resp = agent(&first).get(&url).call().expect("HTTPS GET");
    assert_eq!(
        resp.body_mut().read_to_string().unwrap(),
        "hello over TLS\n"
    );

    // Plain HTTP on the second address: 308 to the same path and query.
    let reply = plain_http(
        http,
        &format!(
            "GET /hello.txt?x=1 HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            http.port()
        ),
    );
    assert!(reply.starts_with("HTTP/1.1 308 "), "{reply}");
    let location = format!(
        "location: https://localhost:{}/hello.txt?x=1\r\n",
        https.port()
    );
    assert!(reply.to_ascii_lowercase().contains(&location), "{reply}");
    let reply = plain_http(http, "GET / HTTP/1.0\r\n\r\n");
    assert!(reply.starts_with("HTTP/1.1 400 "), "no Host: {reply}");

    // SIGHUP after the files changed: new handshakes get the new certificate.
    let second = cert();
    std::fs::write(&cert_file, &second.pem).unwrap();
    std::fs::write(&key_file, &second.key).unwrap();
    serve.signal("HUP");
    Serve::line(&serve.stderr, "TLS certificate reloaded");
    let mut resp = agent(&second)
        .get(&url)
        .call()
        .expect("the new certificate");
    assert_eq!(
        resp.body_mut().read_to_string().unwrap(),
        "hello over TLS\n"
    );
    assert!(
        agent(&first).get(&url).call().is_err(),
        "the old certificate is still served"
    );

    // SIGHUP with a bad file: the error names it, the certificate stays.
    std::fs::write(&cert_file, "not a certificate").unwrap();
    serve.signal("HUP");
    let err = Serve::line(&serve.stderr, "not reloaded");
    assert!(err.contains("cert.pem"), "{err}");
    let mut resp = agent(&second)
        .get(&url)
        .call()
        .expect("the certificate in use");
    assert_eq!(
        resp.body_mut().read_to_string().unwrap(),
        "hello over TLS\n"
    );

    // SIGTERM: drains and exits.
    serve.signal("TERM");
    let mut serve = serve;
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = serve.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}
