mod support;

use mini_async_http::ResponseBuilder;
use support::*;

#[test]
fn pipelined_get() {
    let server = TestServer::start(2, |req| {
        ResponseBuilder::empty_200()
            .body(req.path())
            .build()
            .unwrap()
    });
    let mut c = server.connect();
    c.send(format!("{}{}", get("/a"), get("/b")));
    assert_eq!(c.read_response().body_str(), "/a");
    assert_eq!(c.read_response().body_str(), "/b");
}
