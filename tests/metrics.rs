//! `ServerHandle::metrics`: after known traffic (statuses, bad requests, a
//! panic, timeouts, queued jobs) the snapshot shows exactly that; the
//! Prometheus text passes `promtool check metrics`; the metrics handlers
//! serve it.
//!
//! Workers add their counts when they finish a job, which can be just after
//! the client has read the response, so every check waits (bounded) for the
//! counters to settle.

mod support;

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mini_async_http::{AIOServer, Metrics, Request, Response, ResponseBuilder, ServerHandle};
use support::{Client, TestServer, get, ms, path_echo};

const WAIT: Duration = Duration::from_secs(10);

/// Waits until `done(snapshot)` holds; panics with the last snapshot if it
/// does not within `WAIT`.
fn settle(handle: &ServerHandle, done: impl Fn(&Metrics) -> bool) -> Metrics {
    let until = Instant::now() + WAIT;
    loop {
        let m = handle.metrics();
        if done(&m) {
            return m;
        }
        assert!(Instant::now() < until, "counters did not settle: {m:#?}");
        std::thread::sleep(ms(5)); // polls the counters, bounded above
    }
}

/// `/s/NNN` answers status NNN, `/panic` panics, anything else echoes.
fn statuses(req: &Request) -> Response {
    if let Some(code) = req.path().strip_prefix("/s/") {
        let status = code.parse().unwrap();
        return ResponseBuilder::new().status(status).build().unwrap();
    }
    assert!(req.path() != "/panic", "the handler panics on purpose");
    path_echo(req)
}

/// Sends `raw` on a connection of its own and reads the one response and
/// the end of the connection.
fn rejected(server: &TestServer, raw: &str, status: u16) {
    let mut c = server.connect();
    c.send(raw);
    assert_eq!(c.read_response().status, status, "{raw:?}");
    assert!(c.is_closed());
}

#[test]
fn snapshot_counts_statuses_panics_and_rejections() {
    let server = TestServer::with(
        AIOServer::builder()
            .workers(2)
            .max_headers(10)
            .max_body_bytes(100),
        statuses,
    );
    let mut c = server.connect();
    for (path, n) in [("/s/200", 5), ("/s/404", 3), ("/s/302", 2), ("/s/503", 1)] {
        for _ in 0..n {
            c.send(get(path));
            c.read_response();
        }
    }
    c.send(get("/panic"));
    assert_eq!(c.read_response().status, 500);

    rejected(&server, "GET / HTTP/1.1\r\n\r\n", 400);
    let many = "X-Many: v\r\n".repeat(11);
    rejected(
        &server,
        &format!("GET / HTTP/1.1\r\nHost: t\r\n{many}\r\n"),
        431,
    );
    rejected(
        &server,
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n",
        413,
    );
    rejected(
        &server,
        "GET / HTTP/1.1\r\nHost: t\r\nExpect: magic\r\n\r\n",
        417,
    );
    rejected(
        &server,
        "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n",
        501,
    );

    // A rejection is counted when the worker's job ends, the close when the
    // loop takes the connection back: wait for both.
    let m = settle(&server.handle, |m| {
        m.responses.total() == 17 && m.closes.rejected == 5 && m.connections_open == 1
    });
    assert_eq!(m.responses.informational, 0);
    assert_eq!(m.responses.success, 5);
    assert_eq!(m.responses.redirection, 2);
    assert_eq!(
        m.responses.client_error,
        3 + 4,
        "404s and 400, 413, 417, 431"
    );
    assert_eq!(m.responses.server_error, 3, "503, the panic's 500, 501");
    assert_eq!(m.handler_panics, 1);
    let r = m.rejected;
    assert_eq!(
        (r.bad_request, r.content_too_large, r.expectation_failed),
        (1, 1, 1)
    );
    assert_eq!((r.header_fields_too_large, r.not_implemented), (1, 1));
    let l = m.limit_hits;
    assert_eq!((l.head, l.headers, l.body, l.connections), (0, 1, 1, 0));
    assert_eq!(m.connections_accepted, 6);
    assert_eq!(m.connections_open, 1, "the keep-alive connection");
    assert_eq!(m.timeouts, mini_async_http::Timeouts::default());

    c.shutdown_write();
    assert!(c.is_closed());
    let m = settle(&server.handle, |m| {
        m.closes.client_closed == 1 && m.connections_open == 0
    });
    assert_eq!((m.closes.error, m.closes.timeout), (0, 0));
    let text = m.to_prometheus();
    assert!(
        text.contains("mini_http_responses_total{class=\"2xx\"} 5\n"),
        "{text}"
    );
    assert!(text.contains("mini_http_rejected_requests_total{status=\"431\"} 1\n"));
    assert!(text.contains("mini_http_connections_closed_total{reason=\"rejected\"} 5\n"));
}

#[test]
fn snapshot_counts_timeouts_by_phase() {
    let server = TestServer::with(
        AIOServer::builder()
            .workers(2)
            .header_timeout(ms(300))
            .body_timeout(ms(300))
            .idle_timeout(ms(300)),
        path_echo,
    );
    let mut partial_head = server.connect();
    partial_head.send("GET / HTTP/1.1\r\nHo");
    let mut partial_body = server.connect();
    partial_body.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n12");
    let mut idle = server.connect();
    idle.send(get("/once"));
    assert_eq!(idle.read_response().status, 200);
    let silent = server.connect();

    assert_eq!(partial_head.read_response().status, 408);
    assert_eq!(partial_body.read_response().status, 408);
    for mut c in [partial_head, partial_body, idle, silent] {
        assert!(c.is_closed());
        // Closing ends the server's lingering close at once.
    }
    let m = settle(&server.handle, |m| m.closes.timeout == 4);
    let t = m.timeouts;
    assert_eq!((t.header, t.body, t.idle, t.write), (2, 1, 1, 0));
    assert_eq!(m.responses.client_error, 2, "the two 408s");
    assert_eq!(m.rejected.total(), 0, "a 408 is a timeout, not a rejection");
    assert_eq!(m.connections_open, 0);
}

/// A client that asks for a large body and does not read it: the write
/// deadline passes and the connection is closed.
///
/// The header timeout is short too: a connection that goes back to the loop
/// in the write phase does not wake it, so the loop schedules the write
/// deadline only when it next wakes, at the latest at the deadline it had
/// before (the header deadline from accept). With the defaults (header
/// 10 s, write 30 s) that changes nothing; a write timeout shorter than the
/// header timeout is honoured late.
#[test]
fn write_timeout_is_counted() {
    let body = vec![b'x'; 32 << 20];
    let server = TestServer::with(
        AIOServer::builder()
            .workers(1)
            .header_timeout(ms(300))
            .write_timeout(ms(300)),
        move |_req: &Request| {
            ResponseBuilder::empty_200()
                .body(body.clone())
                .build()
                .unwrap()
        },
    );
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect_timeout(&server.addr.into(), WAIT).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    stream.set_write_timeout(Some(WAIT)).unwrap();
    std::io::Write::write_all(&mut stream, get("/big").as_bytes()).unwrap();
    let m = settle(&server.handle, |m| m.timeouts.write == 1);
    assert_eq!(m.closes.timeout, 1);
    assert!(m.bytes_sent < 32 << 20, "the client read nothing");
    drop(stream);
}

#[test]
fn bytes_in_and_out_are_exact() {
    let server = TestServer::start(1, path_echo);
    let (mut sent, mut received) = (0, 0);
    for i in 0..5 {
        let raw = format!("GET /{i} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        let mut c = server.connect();
        c.send(&raw);
        sent += raw.len() as u64;
        received += c.read_to_end().len() as u64;
    }
    let m = settle(&server.handle, |m| m.closes.not_keep_alive == 5);
    assert_eq!((m.bytes_received, m.bytes_sent), (sent, received));
}

#[test]
fn busy_workers_and_queued_jobs() {
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let (entered_tx, release_rx) = (Mutex::new(entered_tx), Mutex::new(release_rx));
    let server = TestServer::start(1, move |req: &Request| {
        if req.path() == "/block" {
            entered_tx.lock().unwrap().send(()).unwrap();
            release_rx.lock().unwrap().recv_timeout(WAIT).unwrap();
        }
        path_echo(req)
    });
    let mut blocked = server.connect();
    blocked.send(get("/block"));
    entered.recv_timeout(WAIT).expect("handler not called");
    let mut queued: Vec<Client> = (0..2).map(|_| server.connect()).collect();
    for c in &mut queued {
        c.send(get("/next"));
    }
    let m = settle(&server.handle, |m| m.jobs_queued == 2);
    assert_eq!((m.workers, m.workers_busy), (1, 1));
    release.send(()).unwrap();
    assert_eq!(blocked.read_response().body_str(), "/block");
    for c in &mut queued {
        assert_eq!(c.read_response().body_str(), "/next");
    }
    let m = settle(&server.handle, |m| {
        m.workers_busy == 0 && m.jobs_queued == 0
    });
    assert_eq!(m.responses.success, 3);
}

#[test]
fn connection_limit_is_counted() {
    let server = TestServer::with(
        AIOServer::builder().workers(1).max_connections(1),
        path_echo,
    );
    let mut first = server.connect();
    first.send(get("/first"));
    first.read_response();
    let mut second = server.connect(); // waits in the listen backlog
    second.send(get("/second"));
    settle(&server.handle, |m| m.limit_hits.connections == 1);
    first.shutdown_write();
    assert!(first.is_closed());
    assert_eq!(second.read_response().body_str(), "/second");
}

/// Runs `promtool` with `args` and `input` on its stdin; its exit status
/// and output. `None` (after saying so loudly) when promtool is missing
/// outside CI; under CI (`CI` set) a missing promtool fails the test.
fn promtool(args: &[&str], input: &str) -> Option<(bool, String)> {
    let child = Command::new("promtool")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("promtool is needed under CI (apt-get install prometheus): {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: no promtool ({e}); apt-get install prometheus to run this check");
            return None;
        }
    };
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), report))
}

/// The text passes `promtool check metrics` (Debian package `prometheus`),
/// lint included.
#[test]
fn prometheus_text_passes_promtool() {
    let server = TestServer::start(1, statuses);
    let mut c = server.connect();
    c.send(get("/s/204"));
    c.read_response();
    let text = settle(&server.handle, |m| m.responses.success == 1).to_prometheus();
    let Some((ok, report)) = promtool(&["check", "metrics"], &text) else {
        return;
    };
    assert!(ok, "promtool: {report}\n{text}");
    assert!(report.trim().is_empty(), "promtool lint: {report}\n{text}");
}

/// `deploy/prometheus.yml` and the `deploy/alerts.yml` it names are valid.
#[test]
fn deploy_monitoring_files_pass_promtool() {
    let Some((ok, report)) = promtool(&["check", "config", "deploy/prometheus.yml"], "") else {
        return;
    };
    assert!(ok, "{report}");
    assert!(report.contains("1 rule files found"), "{report}");
}

#[test]
fn metrics_handlers_serve_prometheus_text() {
    // The builder's handler, routed on the server it configures.
    let builder = AIOServer::builder().workers(1);
    let metrics = builder.metrics_handler();
    let server = TestServer::with(builder, move |req: &Request| {
        if req.path() == "/metrics" {
            metrics(req)
        } else {
            path_echo(req)
        }
    });
    let mut c = server.connect();
    c.send(get("/metrics"));
    let r = c.read_response();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(
        r.body_str().contains("\nmini_http_connections_open 1\n"),
        "{}",
        r.body_str()
    );

    // The handle's handler, on a port of its own. A response is counted
    // when its worker's job ends, which may be just after the client read
    // it: wait for the count before asking.
    settle(&server.handle, |m| m.responses.success == 1);
    let admin = TestServer::start(1, server.handle.metrics_handler());
    let mut a = admin.connect();
    a.send(get("/anything"));
    let body = a.read_response();
    assert!(
        body.body_str()
            .contains("mini_http_responses_total{class=\"2xx\"} 1\n"),
        "{}",
        body.body_str()
    );
}

/// A channel body waiting for its producer counts as a streaming response
/// until it ends, also when the client goes away first; a body being
/// spooled counts as a spooled upload until it is complete.
#[test]
fn streams_and_spools_in_progress_are_gauges() {
    use mini_async_http::Body;
    let (senders_tx, senders) = mpsc::channel();
    let senders_tx = Mutex::new(senders_tx);
    let builder = AIOServer::builder().workers(1).spool_threshold(16);
    let server = TestServer::with(builder, move |req: &Request| {
        if req.path() == "/events" {
            let (tx, body) = Body::channel(1);
            senders_tx.lock().unwrap().send(tx).unwrap();
            return ResponseBuilder::empty_200().body(body).build().unwrap();
        }
        ResponseBuilder::empty_200()
            .body(req.body_len().to_string())
            .build()
            .unwrap()
    });
    // A stream that ends when its sender is dropped.
    let mut client = server.connect();
    client.send(get("/events"));
    let sender = senders.recv_timeout(WAIT).unwrap();
    settle(&server.handle, |m| m.streaming_responses == 1);
    drop(sender);
    settle(&server.handle, |m| m.streaming_responses == 0);
    // A stream whose client goes away.
    let mut gone = server.connect();
    gone.send(get("/events"));
    let sender = senders.recv_timeout(WAIT).unwrap();
    settle(&server.handle, |m| m.streaming_responses == 1);
    drop(gone);
    drop(client);
    let until = Instant::now() + WAIT;
    while sender.send("data: x\n\n").is_ok() {
        assert!(Instant::now() < until, "the producer was never told");
    }
    settle(&server.handle, |m| m.streaming_responses == 0);
    // An upload over the threshold, sent in two parts.
    let mut up = server.connect();
    up.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 64\r\n\r\n0123456789abcdef0123");
    settle(&server.handle, |m| m.spooled_uploads == 1);
    up.send([b'x'; 44]);
    let r = up.read_response();
    assert_eq!((r.status, r.body_str()), (200, "64"));
    settle(&server.handle, |m| m.spooled_uploads == 0);
}
