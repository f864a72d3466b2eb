//! The `Router` behind a real server and socket: what its routing policy
//! (the table in `src/router/policy.md`) puts on the wire. The unit tests
//! in `src/router/tests/` call `Handler::call` for every rule; these check
//! that each kind of answer survives the server (headers, HEAD without a
//! body, 204 without a length, redirects, keep-alive after a 405).

mod support;

use mini_async_http::{AIOServer, Handler, Method, Request, Response, ResponseBuilder, Router};
use support::{Client, RawResponse, TestServer, get};

fn text(body: impl Into<mini_async_http::Body>) -> Response {
    ResponseBuilder::new()
        .content_type("text/plain")
        .body(body)
        .build()
        .unwrap()
}

/// The table most tests use.
fn router() -> Router {
    let api = Router::builder()
        .get("/users/{id}", |req| {
            text(format!(
                "v={} id={} below={}",
                req.param("v").unwrap_or("-"),
                req.param("id").unwrap_or("-"),
                req.route_path()
            ))
        })
        .build()
        .unwrap();
    Router::builder()
        .get("/", |_| text("home"))
        .get("/users/{id}", |req| {
            text(format!("user {}", req.param("id").unwrap()))
        })
        .post("/users/{id}", |req| {
            text(format!("posted {}", req.body().len()))
        })
        .get("/files/{*path}", |req| {
            text(format!("file {}", req.param("path").unwrap()))
        })
        .get("/about", |_| text("about"))
        .mount("/api/{v}", api)
        .wrap(|req, next| {
            let mut resp = next.run(req);
            resp.set_header("X-Router", "yes").unwrap();
            resp
        })
        .build()
        .unwrap()
}

fn request(client: &mut Client, method: &str, target: &str) -> RawResponse {
    client.send(format!("{method} {target} HTTP/1.1\r\nHost: test\r\n\r\n"));
    client.read_response_to(method)
}

#[test]
fn served_through_the_server() {
    // As the seed starts a server: `AIOServer::new`, the router as a closure.
    let server = TestServer::run(AIOServer::new(2, "127.0.0.1:0", router().into_fn()));
    let mut resp = ureq::get(server.url("/users/7")).call().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.body_mut().read_to_string().unwrap(), "user 7");

    let mut client = server.connect();
    let resp = request(&mut client, "GET", "/");
    assert_eq!((resp.status, resp.body_str()), (200, "home"));
    assert_eq!(resp.header("x-router"), Some("yes"));
    client.send("POST /users/3 HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(client.read_response().body_str(), "posted 5");
    let resp = request(&mut client, "GET", "/nope");
    assert_eq!((resp.status, resp.body_str()), (404, "not found"));
    assert_eq!(resp.header("x-router"), Some("yes"));

    // And through the builder.
    let server = TestServer::with(AIOServer::builder().workers(1), router().into_fn());
    let resp = request(&mut server.connect(), "GET", "/about");
    assert_eq!(resp.body_str(), "about");
}

#[test]
fn percent_decoding_through_the_server() {
    let server = TestServer::start(1, router().into_fn());
    let mut client = server.connect();
    for (target, status, body) in [
        ("/users/a%2Fb", 200, "user a/b"),
        ("/users/a+b", 200, "user a+b"),
        ("/users/caf%C3%A9?x=1", 200, "user caf\u{e9}"),
        ("/users/%ZZ", 200, "user %ZZ"),
        ("/files/a/b%20c/d", 200, "file a/b c/d"),
        (
            "/users/%FF",
            400,
            "bad request: a path parameter is not UTF-8 once percent-decoded",
        ),
        ("/files/", 404, "not found"),
    ] {
        let resp = request(&mut client, "GET", target);
        assert_eq!((resp.status, resp.body_str()), (status, body), "{target}");
    }
}

#[test]
fn method_not_allowed_through_the_server() {
    let server = TestServer::start(1, router().into_fn());
    let mut client = server.connect();
    let resp = request(&mut client, "DELETE", "/users/1");
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
    assert_eq!(resp.body_str(), "method not allowed");

    let resp = request(&mut client, "OPTIONS", "/users/1");
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS, POST"));
    assert_eq!(resp.header("content-length"), None);

    let resp = request(&mut client, "OPTIONS", "*");
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("allow"), Some("GET, HEAD, OPTIONS, POST"));

    // The connection is still good after all that.
    assert_eq!(request(&mut client, "GET", "/about").body_str(), "about");
}

#[test]
fn head_through_the_server() {
    let server = TestServer::start(1, router().into_fn());
    let mut client = server.connect();
    let resp = request(&mut client, "HEAD", "/users/42");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-length"), Some("7"), "GET's length");
    assert!(resp.body.is_empty());
    // Nothing of the body was sent: the next response is read cleanly.
    assert_eq!(request(&mut client, "GET", "/about").body_str(), "about");
}

#[test]
fn redirect_through_the_server() {
    let server = TestServer::start(1, router().into_fn());
    let mut client = server.connect();
    for (target, location) in [
        ("/about/?a=1", "/about?a=1"),
        ("/api/v1", "/api/v1/"),
        ("/api/v1/users/7/", "/api/v1/users/7"),
    ] {
        let resp = request(&mut client, "GET", target);
        assert_eq!(resp.status, 308, "{target}");
        assert_eq!(resp.header("location"), Some(location), "{target}");
    }
    client.send(get("//about/"));
    assert_eq!(client.read_response().status, 404);
}

#[test]
fn mount_through_the_server() {
    let server = TestServer::start(1, router().into_fn());
    let mut client = server.connect();
    let resp = request(&mut client, "GET", "/api/v2/users/a%20b?q");
    assert_eq!(resp.body_str(), "v=v2 id=a b below=/users/a%20b");
    let resp = request(&mut client, "GET", "/api/v2/other");
    assert_eq!(resp.status, 404);
}

#[test]
fn pipelined_requests_are_routed_in_order() {
    let server = TestServer::start(2, router().into_fn());
    let mut client = server.connect();
    let targets = ["/users/1", "/nope", "/about", "/files/x", "/users/2/"];
    let batch: String = targets.iter().map(|t| get(t)).collect();
    client.send(batch);
    let statuses: Vec<u16> = targets
        .iter()
        .map(|_| client.read_response().status)
        .collect();
    assert_eq!(statuses, [200, 404, 200, 200, 308]);
}

#[test]
fn handler_sees_head_as_head() {
    let router = Router::builder()
        .get("/m", |req: &Request| text(req.method().as_str().to_owned()))
        .build()
        .unwrap();
    assert_eq!(
        router.call(&Request::new(Method::Head, "/m")).body(),
        b"HEAD"
    );
    let server = TestServer::start(1, router.into_fn());
    let resp = request(&mut server.connect(), "GET", "/m");
    assert_eq!(resp.body_str(), "GET");
}
