//! `examples/router.rs` checked against its contract (the table in its
//! module doc; the checks are in `tests/router_contract/`), three ways:
//! - `binary::*`: the built example, over a socket: each check runs twice,
//!   on a fresh process each time, once with raw bytes (one keep-alive
//!   connection, a new one after the server closes it) and once with `ureq`;
//! - `in_memory::*`: the example's `app()` (its source included from
//!   `examples/router/app.rs`) through the in-memory `TestClient`.
//!
//! Plus what only the process shows: its port argument and the user
//! numbers shared by all its workers.

mod router_contract;
mod support;

#[path = "../examples/router/app.rs"]
mod app;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mini_async_http::test::TestClient;
use mini_async_http::{Method, Router};
use router_contract::{Req, Resp, Transport};
use support::{Client, IO_TIMEOUT, example_bin, spawn_example};

/// Raw HTTP/1.1 bytes on a socket, read back with the test support's own
/// response parser.
struct Raw {
    addr: SocketAddr,
    /// The keep-alive connection; `None` before the first request and after
    /// the server said `Connection: close`.
    client: Option<Client>,
}

impl Transport for Raw {
    fn name(&self) -> &'static str {
        "raw bytes to the binary"
    }

    fn exchange(&mut self, req: &Req) -> Resp {
        let mut bytes = Vec::new();
        write!(
            bytes,
            "{} {} HTTP/1.1\r\nHost: test\r\n",
            req.method, req.target
        )
        .unwrap();
        for (name, value) in &req.headers {
            write!(bytes, "{name}: {value}\r\n").unwrap();
        }
        if let Some(body) = &req.body {
            write!(bytes, "Content-Length: {}\r\n", body.len()).unwrap();
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(req.body.as_deref().unwrap_or_default());

        let client = self
            .client
            .get_or_insert_with(|| Client::connect(self.addr));
        client.send(bytes);
        let raw = client.read_response_to(req.method);
        if raw
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            self.client = None;
        }
        Resp {
            status: raw.status,
            headers: raw.headers,
            body: raw.body,
            context: String::new(),
        }
    }
}

/// `ureq`, a real HTTP client: its own request writer and response parser,
/// its connection pool, and no redirect followed.
struct Ureq {
    base: String,
    agent: ureq::Agent,
}

impl Ureq {
    fn new(addr: SocketAddr) -> Ureq {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(IO_TIMEOUT))
            .build()
            .new_agent();
        Ureq {
            base: format!("http://{addr}"),
            agent,
        }
    }
}

impl Transport for Ureq {
    fn name(&self) -> &'static str {
        "ureq to the binary"
    }

    fn exchange(&mut self, req: &Req) -> Resp {
        let mut builder = ureq::http::Request::builder()
            .method(req.method)
            .uri(format!("{}{}", self.base, req.target));
        for (name, value) in &req.headers {
            builder = builder.header(*name, value);
        }
        let sent = match &req.body {
            Some(body) => self.agent.run(builder.body(body.clone()).expect("request")),
            None => self.agent.run(builder.body(()).expect("request")),
        };
        let mut resp = sent.unwrap_or_else(|e| panic!("ureq: {}: {e}", req.describe()));
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| {
                let value = v.to_str().expect("ASCII field value");
                (n.as_str().to_owned(), value.to_owned())
            })
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(4 << 20)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("ureq body: {}: {e}", req.describe()));
        Resp {
            status: resp.status().as_u16(),
            headers,
            body,
            context: String::new(),
        }
    }

    /// `ureq` takes a URL, and `*` is no URL's path.
    fn sends_asterisk(&self) -> bool {
        false
    }
}

/// The in-memory client, on the server's own parser and encoder.
impl Transport for TestClient<Router> {
    fn name(&self) -> &'static str {
        "TestClient on app()"
    }

    fn exchange(&mut self, req: &Req) -> Resp {
        let method = Method::from_token(req.method).expect("a method token");
        let mut test = self.request(method, &req.target);
        for (name, value) in &req.headers {
            test = test.header(name, value);
        }
        if let Some(body) = &req.body {
            test = test.body(body.clone());
        }
        let resp = test.send();
        Resp {
            status: resp.status(),
            headers: resp
                .headers()
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            body: resp.body().to_vec(),
            context: String::new(),
        }
    }
}

/// Runs `check` against a fresh `router` process over raw bytes, then
/// against another over `ureq` (each from its initial state).
fn on_binary(check: fn(&mut dyn Transport)) {
    let Some((_child, addr)) = spawn_example("router") else {
        return;
    };
    check(&mut Raw { addr, client: None });
    let Some((_child, addr)) = spawn_example("router") else {
        return;
    };
    check(&mut Ureq::new(addr));
}

/// Runs `check` against a fresh `app()` in memory.
fn in_memory(check: fn(&mut dyn Transport)) {
    check(&mut TestClient::new(app::app()));
}

mod binary {
    crate::router_contract::contract_tests!(super::on_binary);
}

mod in_memory {
    crate::router_contract::contract_tests!(super::in_memory);
}

/// Twenty `POST /users` from four connections at once get the numbers 1 to
/// 20, each once: the counter is shared by the workers.
#[test]
fn user_numbers_are_shared_by_all_workers() {
    let Some((_child, addr)) = spawn_example("router") else {
        return;
    };
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut raw = Raw { addr, client: None };
                (0..5)
                    .map(|_| {
                        let resp = raw.send(Req::post("/users", "u"));
                        resp.status_is(201);
                        resp.header("location").expect("Location").to_owned()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let locations: BTreeSet<String> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client thread"))
        .collect();
    let expected: BTreeSet<String> = (1..=20).map(|n| format!("/users/{n}")).collect();
    assert_eq!(locations, expected);
}

/// `router notaport` prints its usage and exits with status 2.
#[test]
fn a_bad_port_argument_is_refused() {
    let Some(bin) = example_bin("router") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "examples/router not built"
        );
        eprintln!("SKIPPED: examples/router not built");
        return;
    };
    let mut child = support::ChildGuard(
        Command::new(bin)
            .arg("notaport")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn router"),
    );
    let stderr = support::line_reader(child.0.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "router notaport did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(2));
    let message = stderr
        .recv_timeout(Duration::from_secs(10))
        .expect("a line on stderr");
    assert!(message.starts_with("usage: router [PORT]"), "{message:?}");
}
