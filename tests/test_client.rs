//! The in-memory test client (`mini_async_http::test`) against the real
//! server over a socket: the same requests, made the same way, must give the
//! same status, fields (but for the `Date` value) and body, and the same
//! bytes for a raw exchange; so what a unit test sees in memory is what a
//! client sees.

mod support;

use mini_async_http::test::{Closed, Exchange, TestClient, TestRequest, TestResponse};
use mini_async_http::{Request, Response, ResponseBuilder, ServerBuilder, Version};
use support::{Client, RawResponse, TestServer};

/// A small application with one path per kind of answer.
fn app(req: &Request) -> Response {
    match req.path() {
        "/" => ResponseBuilder::empty_200()
            .content_type("text/plain")
            .header("X-Request-Path", req.path())
            .body("Hello")
            .build()
            .unwrap(),
        "/echo" => ResponseBuilder::empty_200()
            .body(req.body().to_vec())
            .build()
            .unwrap(),
        "/big" => ResponseBuilder::empty_200()
            .body(support::pattern(100_000))
            .build()
            .unwrap(),
        "/close" => ResponseBuilder::empty_200()
            .header("Connection", "close")
            .body("bye")
            .build()
            .unwrap(),
        "/empty" => ResponseBuilder::new().status(204).build().unwrap(),
        "/panic" => panic!("the handler fails on /panic"),
        _ => ResponseBuilder::empty_404()
            .body("no such page")
            .build()
            .unwrap(),
    }
}

fn builder() -> ServerBuilder {
    ServerBuilder::new()
        .workers(1)
        .max_body_bytes(64 * 1024)
        .max_headers(10)
        .max_head_bytes(1024)
}

/// Status, reason, fields but `Date` (whose value changes by the second),
/// body.
type Seen = (u16, String, Vec<(String, String)>, Vec<u8>);

fn seen_in_memory(resp: &TestResponse) -> Seen {
    let fields = resp
        .headers()
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("date"))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    (
        resp.status(),
        resp.reason().to_owned(),
        fields,
        resp.body().to_vec(),
    )
}

fn seen_on_socket(resp: RawResponse) -> Seen {
    let fields = resp
        .headers
        .into_iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("date"))
        .collect();
    (resp.status, resp.reason, fields, resp.body)
}

/// The bytes with every `Date` value blanked.
fn undated(mut bytes: Vec<u8>) -> Vec<u8> {
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(8).position(|w| w == b"\r\nDate: ") {
        let start = at + i + 8;
        let end = (start + 29).min(bytes.len());
        bytes[start..end].fill(b'D');
        at = end;
    }
    bytes
}

type App = fn(&Request) -> Response;

/// The same application in memory and on a socket.
struct Both {
    client: TestClient<App>,
    server: TestServer,
    socket: Client,
}

impl Both {
    fn new() -> Both {
        let server = TestServer::with(builder(), app);
        Both {
            client: TestClient::with(builder(), app as App),
            socket: server.connect(),
            server,
        }
    }

    /// Sends the request `make` makes both ways; both must see the same
    /// answer, and close the connection after the same ones.
    fn check<F>(&mut self, make: F) -> TestResponse
    where
        F: for<'a> Fn(&'a mut TestClient<App>) -> TestRequest<'a, App>,
    {
        let bytes = make(&mut self.client).to_bytes();
        let method =
            String::from_utf8_lossy(&bytes[..bytes.iter().position(|&b| b == b' ').unwrap()])
                .into_owned();
        let memory = make(&mut self.client).send();
        self.socket.send(&bytes);
        let wire = self.socket.read_response_to(&method);
        assert_eq!(
            seen_in_memory(&memory),
            seen_on_socket(wire),
            "{}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        );
        if memory.closed().is_some() {
            assert!(
                self.socket.is_closed(),
                "the server kept the connection open"
            );
            self.socket = self.server.connect();
        }
        memory
    }
}

/// Every send of a keep-alive sequence gives the same answer in memory and
/// over one socket connection, and both close after the same responses.
#[test]
fn sends_match_the_real_server() {
    let mut both = Both::new();
    both.check(|c| c.get("/"));
    both.check(|c| c.post("/echo").body("some body"));
    assert!(both.check(|c| c.head("/")).body().is_empty());
    assert_eq!(both.check(|c| c.get("/big")).body().len(), 100_000);
    both.check(|c| c.get("/nowhere"));
    both.check(|c| c.get("/empty"));
    assert_eq!(both.check(|c| c.get("/panic")).status(), 500);
    both.check(|c| {
        c.put("/echo")
            .header("Transfer-Encoding", "chunked")
            .body("4\r\nWiki\r\n0\r\n\r\n")
    });
    assert_eq!(
        both.check(|c| c.get("/close")).closed(),
        Some(Closed::NotKeepAlive)
    );
    let resp = both.check(|c| c.get("/").version(Version::Http10));
    assert_eq!(resp.closed(), Some(Closed::NotKeepAlive));
    both.check(|c| {
        c.get("/")
            .version(Version::Http10)
            .header("Connection", "keep-alive")
    });
    both.check(|c| c.post("/echo").body(vec![b'a'; 60_000]));
    assert_eq!(both.client.connections(), 3);
}

/// The builder's limits give the same rejections in memory as on a socket.
#[test]
fn limits_match_the_real_server() {
    let mut both = Both::new();
    let resp = both.check(|c| c.post("/echo").body(vec![b'a'; 70_000]));
    assert_eq!(resp.closed(), Some(Closed::Rejected(413)));
    let resp = both.check(|c| c.get("/").header("X-Long", &"x".repeat(2000)));
    assert_eq!(resp.closed(), Some(Closed::Rejected(431)));
    let resp = both.check(|c| (0..10).fold(c.get("/"), |req, i| req.header("X-N", &i.to_string())));
    assert_eq!(resp.closed(), Some(Closed::Rejected(431)));
    let resp = both.check(|c| c.get("/bad target"));
    assert_eq!(resp.closed(), Some(Closed::Rejected(400)));
    assert_eq!(both.client.connections(), 4);
}

/// The exchange's bytes, responses back to back and what was left.
fn exchange_bytes(exchange: &Exchange) -> Vec<u8> {
    let mut bytes: Vec<u8> = exchange
        .responses
        .iter()
        .flat_map(|r| r.wire().iter().copied())
        .collect();
    bytes.extend_from_slice(&exchange.unparsed);
    bytes
}

/// Raw bytes, sent at once and then the client's side closed, give the
/// same bytes back (but for the `Date` values) in memory and on a socket:
/// pipelines, a bad request in the middle, `Connection: close` with more
/// behind it, an unknown transfer coding.
#[test]
fn raw_exchanges_match_the_real_server() {
    let server = TestServer::with(builder(), app);
    let mut client = TestClient::with(builder(), app);
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    let cases = [
        format!("{}{}{}", get("/"), get("/big"), get("/nowhere")),
        format!(
            "{}POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc{}",
            get("/"),
            get("/empty")
        ),
        format!("{}GET / HTTP/1.1\r\n\r\n{}", get("/"), get("/")),
        format!("{}{}", get("/close"), get("/")),
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n".to_owned(),
        "GET / HTTP/1.0\r\n\r\n".to_owned(),
        format!("{}GET /partial HTTP/1.1\r\nHo", get("/")),
    ];
    for case in cases {
        let exchange = client.raw(&case);
        let mut socket = Client::connect(server.addr);
        socket.send(&case);
        socket.shutdown_write();
        let wire = socket.read_to_end();
        assert_eq!(
            String::from_utf8_lossy(&undated(exchange_bytes(&exchange))),
            String::from_utf8_lossy(&undated(wire)),
            "{case:?}"
        );
        assert!(exchange.unparsed.is_empty());
    }
}
