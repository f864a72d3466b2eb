//! The public API seen through a real HTTP client (`ureq`): the README seed
//! programs, what a handler sees in a `Request`, what a `ResponseBuilder`
//! puts on the wire, and the `AIOServer` / `ServerBuilder` entry points.

mod support;

use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mini_async_http::{AIOServer, Method, Request, Response, ResponseBuilder, Version};
use support::{Client, TestServer};

/// A `ureq` agent that returns 3xx/4xx/5xx as responses (no errors, no
/// redirects followed), with a
/// timeout on every call.
fn new_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .new_agent()
}

fn ok(body: impl Into<mini_async_http::Body>) -> Response {
    ResponseBuilder::empty_200().body(body).build().unwrap()
}

fn header<'a>(resp: &'a ureq::http::Response<ureq::Body>, name: &str) -> Option<&'a str> {
    resp.headers().get(name).map(|v| v.to_str().unwrap())
}

/// Records every request the handler sees.
fn recording_server() -> (TestServer, Arc<Mutex<Vec<Request>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let server = TestServer::start(2, move |req| {
        log.lock().unwrap().push(req.clone());
        ok("recorded")
    });
    (server, seen)
}

fn last(seen: &Mutex<Vec<Request>>) -> Request {
    seen.lock()
        .unwrap()
        .last()
        .cloned()
        .expect("the handler saw a request")
}

// ---------------------------------------------------------------------------
// The README seed programs

/// `examples/hello.rs`, built with `AIOServer::new` as the seed does.
#[test]
fn hello_seed() {
    let server = TestServer::run(AIOServer::new(3, "127.0.0.1:0", move |_request| {
        ResponseBuilder::empty_200()
            .body(b"Hello")
            .content_type("text/plain")
            .build()
            .unwrap()
    }));
    for path in ["/", "/anything?x=1"] {
        let mut resp = ureq::get(server.url(path)).call().unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(header(&resp, "content-type"), Some("text/plain"));
        assert_eq!(header(&resp, "content-length"), Some("5"));
        assert_eq!(resp.body_mut().read_to_string().unwrap(), "Hello");
    }
}

/// `examples/counter.rs`: a counter shared by the workers counts up across
/// requests, over one kept-alive connection and over new ones.
#[test]
fn counter_seed() {
    let counter = Arc::from(Mutex::from(0));
    let server = TestServer::run(AIOServer::new(3, "127.0.0.1:0", move |_request| {
        let lock = counter.clone();
        let mut counter = lock.lock().unwrap();
        let body = counter.to_string();
        *counter += 1;
        ResponseBuilder::empty_200()
            .body(body.as_bytes())
            .content_type("text/plain")
            .build()
            .unwrap()
    }));
    let agent = new_agent();
    for expected in 0..5 {
        let mut resp = agent.get(server.url("/")).call().unwrap();
        assert_eq!(
            resp.body_mut().read_to_string().unwrap(),
            expected.to_string()
        );
    }
    for expected in 5..8 {
        let mut c = server.connect();
        c.send(support::get("/"));
        assert_eq!(c.read_response().body_str(), expected.to_string());
    }

    // Concurrent clients: every number is handed out exactly once.
    let url = server.url("/");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let agent = new_agent();
                (0..25)
                    .map(|_| {
                        let mut resp = agent.get(&url).call().unwrap();
                        resp.body_mut()
                            .read_to_string()
                            .unwrap()
                            .parse::<u32>()
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<u32> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (8..108).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------
// Request accessors as the handler sees them

#[test]
fn request_target_path_query_as_received() {
    let (server, seen) = recording_server();
    let agent = new_agent();
    agent
        .get(server.url("/a%20b/c%2Fd?x=1&y=%2F"))
        .call()
        .unwrap();
    let req = last(&seen);
    assert_eq!(req.method(), &Method::Get);
    assert_eq!(req.target(), "/a%20b/c%2Fd?x=1&y=%2F");
    assert_eq!(req.path(), "/a%20b/c%2Fd");
    assert_eq!(req.query(), Some("x=1&y=%2F"));
    assert_eq!(req.version(), Version::Http11);
    assert!(req.body().is_empty());

    agent.get(server.url("/plain")).call().unwrap();
    let req = last(&seen);
    assert_eq!(req.path(), "/plain");
    assert_eq!(req.query(), None);

    agent.get(server.url("/empty?")).call().unwrap();
    assert_eq!(last(&seen).query(), Some(""));
}

#[test]
fn request_methods_and_body() {
    let (server, seen) = recording_server();
    let agent = new_agent();

    agent
        .post(server.url("/items"))
        .send("payload \x00\u{e9}")
        .unwrap();
    let req = last(&seen);
    assert_eq!(req.method(), &Method::Post);
    assert_eq!(req.body(), "payload \x00\u{e9}".as_bytes());
    assert_eq!(req.header("content-length"), Some("11"));

    agent
        .put(server.url("/items/1"))
        .send(&[1u8, 2, 3][..])
        .unwrap();
    let req = last(&seen);
    assert_eq!(req.method(), &Method::Put);
    assert_eq!(req.body(), [1, 2, 3]);

    // Large bodies, one after the other on the same connection, then a
    // small one: no byte of an earlier body shows in a later one.
    for n in [300_000, 70_000, 20] {
        let body = support::pattern(n);
        agent.post(server.url("/big")).send(&body[..]).unwrap();
        assert!(last(&seen).body() == body, "body of {n} bytes differs");
    }

    agent.delete(server.url("/items/1")).call().unwrap();
    assert_eq!(last(&seen).method(), &Method::Delete);

    let resp = agent.head(server.url("/h")).call().unwrap();
    assert_eq!(
        header(&resp, "content-length"),
        Some("8"),
        "HEAD gets GET's length"
    );
    assert_eq!(last(&seen).method(), &Method::Head);

    // An extension method arrives as `Method::Other`, case kept.
    let mut c = server.connect();
    c.send("PURGE /cache HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(c.read_response().status, 200);
    assert_eq!(last(&seen).method(), &Method::Other("PURGE".into()));
}

#[test]
fn request_headers_case_insensitive_repeats_in_order() {
    let (server, seen) = recording_server();
    new_agent()
        .get(server.url("/"))
        .header("X-Rep", "one")
        .header("x-rep", "two")
        .header("X-Other", "o")
        .header("X-REP", "three")
        .call()
        .unwrap();
    let req = last(&seen);
    assert_eq!(req.header("x-rep"), Some("one"));
    assert_eq!(req.header("X-REP"), Some("one"));
    assert_eq!(
        req.headers().get_all("X-Rep").collect::<Vec<_>>(),
        ["one", "two", "three"]
    );
    assert_eq!(req.header("x-other"), Some("o"));
    assert_eq!(req.header("host"), Some(server.addr.to_string().as_str()));
    assert_eq!(req.header("x-missing"), None);

    // Raw bytes: names keep the case sent; values lose surrounding whitespace.
    let mut c = server.connect();
    c.send("GET / HTTP/1.1\r\nhOsT: t\r\nX-A:  spaced \t\r\nx-a:\tsecond\r\nX-Empty:\r\n\r\n");
    assert_eq!(c.read_response().status, 200);
    let req = last(&seen);
    let fields: Vec<(&str, &str)> = req.headers().iter().collect();
    assert_eq!(
        fields,
        [
            ("hOsT", "t"),
            ("X-A", "spaced"),
            ("x-a", "second"),
            ("X-Empty", "")
        ]
    );
    assert_eq!(req.header("HOST"), Some("t"));
    assert_eq!(req.headers().len(), 4);
}

#[test]
fn request_version_and_peer_addr() {
    let (server, seen) = recording_server();
    let mut c = server.connect();
    c.send("GET /ten HTTP/1.0\r\n\r\n");
    assert_eq!(c.read_response().status, 200);
    let req = last(&seen);
    assert_eq!(req.version(), Version::Http10);
    assert_eq!(req.peer_addr(), c.local_addr());
    assert_eq!(req.peer_addr().ip(), Ipv4Addr::LOCALHOST);

    new_agent().get(server.url("/eleven")).call().unwrap();
    let req = last(&seen);
    assert_eq!(req.version(), Version::Http11);
    assert_eq!(req.peer_addr().ip(), Ipv4Addr::LOCALHOST);
    assert_ne!(req.peer_addr().port(), 0);
}

// ---------------------------------------------------------------------------
// Responses

fn status_server() -> TestServer {
    TestServer::start(2, |req| {
        let status: u16 = req.path().trim_start_matches('/').parse().unwrap_or(200);
        let mut b = ResponseBuilder::new()
            .status(status)
            .header("Set-Cookie", "a=1")
            .header("X-Custom", "value with spaces")
            .header("Set-Cookie", "b=2")
            .content_type("application/json");
        if !matches!(status, 204 | 304) {
            b = b.body(format!("{{\"status\":{status}}}"));
        }
        b.build().unwrap()
    })
}

#[test]
fn response_statuses_and_headers_reach_client() {
    let server = status_server();
    let agent = new_agent();
    for status in [200u16, 201, 202, 301, 400, 404, 418, 451, 500, 503, 599] {
        let mut resp = agent.get(server.url(&format!("/{status}"))).call().unwrap();
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(header(&resp, "content-type"), Some("application/json"));
        assert_eq!(header(&resp, "x-custom"), Some("value with spaces"));
        let cookies: Vec<_> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(
            resp.body_mut().read_to_string().unwrap(),
            format!("{{\"status\":{status}}}")
        );
    }
    let resp = agent.get(server.url("/204")).call().unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(header(&resp, "content-length"), None);
}

#[test]
fn response_reason_phrase_on_the_wire() {
    let server = TestServer::start(1, |req| match req.path() {
        "/custom" => ResponseBuilder::new()
            .status(299)
            .reason("Fine Indeed")
            .build()
            .unwrap(),
        "/unknown" => ResponseBuilder::new().status(299).build().unwrap(),
        _ => ResponseBuilder::empty_404().build().unwrap(),
    });
    let mut c = server.connect();
    c.send(format!(
        "{}{}{}",
        support::get("/custom"),
        support::get("/unknown"),
        support::get("/x")
    ));
    let r = c.read_response();
    assert_eq!((r.status, r.reason.as_str()), (299, "Fine Indeed"));
    let r = c.read_response();
    assert_eq!((r.status, r.reason.as_str()), (299, ""));
    let r = c.read_response();
    assert_eq!(
        (r.status, r.reason.as_str(), r.header("content-length")),
        (404, "Not Found", Some("0"))
    );
}

// ---------------------------------------------------------------------------
// Binding

#[test]
fn bind_port_in_use_is_addr_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = AIOServer::bind(1, addr, |_| ok("")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);

    let first = AIOServer::bind(1, "127.0.0.1:0", |_| ok("")).unwrap();
    let err = AIOServer::builder()
        .bind(first.local_addr(), |_| ok(""))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

#[test]
fn bind_bad_address_is_an_error() {
    // None of these needs a DNS look-up to fail.
    for addr in [
        "127.0.0.1",
        "127.0.0.1:99999",
        "127.0.0.1:port",
        "not an address",
        "",
    ] {
        let result = catch_unwind(|| AIOServer::bind(1, addr, |_| ok("")).map(|_| ()));
        let err = result.unwrap_or_else(|_| panic!("bind({addr:?}) panicked"));
        assert_eq!(
            err.unwrap_err().kind(),
            io::ErrorKind::InvalidInput,
            "{addr:?}"
        );
    }
    let empty: &[std::net::SocketAddr] = &[];
    assert!(AIOServer::bind(1, empty, |_| ok("")).is_err());
}

#[test]
fn new_panics_naming_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let shown = addr.clone();
    let payload = catch_unwind(AssertUnwindSafe(move || {
        AIOServer::new(1, addr.as_str(), |_| ok(""))
    }))
    .expect_err("AIOServer::new on a port in use must panic");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .expect("a string panic message");
    assert!(
        message.contains(&shown),
        "{message:?} does not name {shown}"
    );

    let payload = catch_unwind(|| AIOServer::new(1, "bad-address", |_| ok("")))
        .expect_err("AIOServer::new on a bad address must panic");
    let message = payload
        .downcast_ref::<String>()
        .expect("a String panic message");
    assert!(message.contains("bad-address"), "{message:?}");
}

#[test]
fn zero_workers_is_invalid_input() {
    let err = AIOServer::bind(0, "127.0.0.1:0", |_| ok("")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let err = AIOServer::builder()
        .workers(0)
        .bind("127.0.0.1:0", |_| ok(""))
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn local_addr_is_the_bound_port() {
    let server = AIOServer::bind(1, "127.0.0.1:0", |req| ok(req.path())).unwrap();
    let addr = server.local_addr();
    assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
    assert_ne!(addr.port(), 0);
    let server = TestServer::run(server);
    assert_eq!(server.addr, addr);
    let mut resp = ureq::get(format!("http://{addr}/here")).call().unwrap();
    assert_eq!(resp.body_mut().read_to_string().unwrap(), "/here");
}

// ---------------------------------------------------------------------------
// ServerBuilder settings

#[test]
fn builder_max_body_bytes() {
    let server = TestServer::with(AIOServer::builder().workers(1).max_body_bytes(10), |req| {
        ok(req.body().to_vec())
    });
    let agent = new_agent();
    let mut resp = agent.post(server.url("/")).send("0123456789").unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.body_mut().read_to_string().unwrap(), "0123456789");

    let resp = agent.post(server.url("/")).send("0123456789A").unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(header(&resp, "connection"), Some("close"));

    // Chunked: the limit applies to the de-chunked body.
    let mut c = server.connect();
    c.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6\r\n56789A\r\n0\r\n\r\n");
    assert_eq!(c.read_response().status, 413);
    assert!(c.is_closed());
}

#[test]
fn builder_max_requests_per_connection() {
    let server = TestServer::with(
        AIOServer::builder()
            .workers(1)
            .max_requests_per_connection(2),
        |req| ok(req.path()),
    );
    let mut c = server.connect();
    c.send(support::get("/1"));
    let first = c.read_response();
    assert_eq!(first.body_str(), "/1");
    assert_eq!(first.header("connection"), None);
    c.send(support::get("/2"));
    let second = c.read_response();
    assert_eq!(second.body_str(), "/2");
    assert_eq!(second.header("connection"), Some("close"));
    assert!(c.is_closed());

    // A new connection starts counting again.
    let mut c = server.connect();
    c.send(support::get("/3"));
    assert_eq!(c.read_response().body_str(), "/3");
}

#[test]
fn builder_max_headers_and_head_bytes() {
    let server = TestServer::with(
        AIOServer::builder()
            .workers(1)
            .max_headers(3)
            .max_head_bytes(200),
        |_| ok("fine"),
    );
    let mut c = server.connect();
    c.send("GET / HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\n\r\n");
    assert_eq!(c.read_response().status, 200);
    c.send("GET / HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
    assert_eq!(c.read_response().status, 431);
    assert!(c.is_closed());

    let mut c = server.connect();
    c.send(format!(
        "GET / HTTP/1.1\r\nHost: t\r\nA: {}\r\n\r\n",
        "x".repeat(200)
    ));
    assert_eq!(c.read_response().status, 431);
    assert!(c.is_closed());
}

#[test]
fn builder_idle_timeout_is_announced() {
    let server = TestServer::with(
        AIOServer::builder()
            .workers(1)
            .idle_timeout(Duration::from_secs(7)),
        |_| ok("x"),
    );
    let mut c = Client::connect(server.addr);
    c.send(support::get("/"));
    assert_eq!(c.read_response().header("keep-alive"), Some("timeout=7"));
}

/// The whole body of a response of up to 10 MiB.
fn read_big(resp: &mut ureq::http::Response<ureq::Body>) -> Vec<u8> {
    resp.body_mut()
        .with_config()
        .limit(10 << 20)
        .read_to_vec()
        .unwrap()
}

/// Large bodies, static or owned, are written from where the handler put
/// them rather than copied; a real client gets them whole.
#[test]
fn large_bodies_reach_a_real_client_whole() {
    static BIG: [u8; 2 << 20] = [b'x'; 2 << 20];
    let server = TestServer::start(2, |req| {
        if req.path() == "/static" {
            ok(mini_async_http::Body::from_static(&BIG))
        } else {
            ok(support::pattern(3_000_000))
        }
    });
    let agent = new_agent();
    let base = format!("http://{}", server.addr);
    for _ in 0..2 {
        let mut resp = agent.get(format!("{base}/static")).call().unwrap();
        assert_eq!(header(&resp, "content-length"), Some("2097152"));
        let body = read_big(&mut resp);
        assert!(body.len() == BIG.len() && body.iter().all(|&b| b == b'x'));

        let mut resp = agent.get(format!("{base}/owned")).call().unwrap();
        let body = read_big(&mut resp);
        assert_eq!(body.len(), 3_000_000);
        assert!(body == support::pattern(3_000_000));
    }
}
