//! The request conveniences (query, form, cookies, JSON, redirects,
//! `HttpError`) through a real server: what a handler written with `?`
//! puts on the wire, byte for byte where it matters (`Set-Cookie`,
//! `Location`, the error statuses).

mod support;

use mini_async_http::{
    Handler, HttpError, Request, Response, ResponseBuilder, SameSite, SetCookie,
};
use serde::{Deserialize, Serialize};
use support::{RawResponse, TestServer};

#[derive(Deserialize)]
struct NewTodo<'a> {
    title: &'a str,
}

#[derive(Serialize)]
struct Todo<'a> {
    id: u32,
    title: &'a str,
}

/// A small app written the way the conveniences are meant to be used.
fn app(req: &Request) -> Result<Response, HttpError> {
    match req.path() {
        "/search" => {
            let pairs = req.try_query_pairs()?;
            let q = req.query_param("q").unwrap_or_default();
            Ok(ResponseBuilder::new()
                .body(format!("q={q} pairs={}", pairs.len()))
                .build()?)
        }
        "/form" => {
            let form = req.form()?;
            let title = form
                .iter()
                .find(|(name, _)| name == "title")
                .map(|(_, value)| value.clone())
                .ok_or_else(|| HttpError::new(422, "title is required"))?;
            Ok(ResponseBuilder::new()
                .body(format!("title={title}"))
                .build()?)
        }
        "/json" => {
            let new: NewTodo = req.json()?;
            let todo = Todo {
                id: 7,
                title: new.title,
            };
            Ok(ResponseBuilder::new().status(201).json(&todo).build()?)
        }
        "/value" => {
            let value: serde_json::Value = req.json()?;
            Ok(ResponseBuilder::new().json(&value).build()?)
        }
        "/login" => Ok(ResponseBuilder::redirect_303("/me")
            .cookie(
                SetCookie::new("session", "abc")
                    .path("/")
                    .http_only(true)
                    .same_site(SameSite::Lax),
            )
            .build()?),
        "/me" => {
            let session = req
                .cookie("session")
                .ok_or_else(|| HttpError::new(401, "no session"))?;
            Ok(ResponseBuilder::new()
                .body(format!("session={session}"))
                .build()?)
        }
        "/bad-cookie" => Ok(ResponseBuilder::new()
            .cookie(SetCookie::new("id", "has space"))
            .build()?),
        _ => Err(HttpError::new(404, "")),
    }
}

/// Sends the requests pipelined on one connection and reads every answer.
fn exchange(requests: &[String]) -> Vec<RawResponse> {
    let server = TestServer::start(2, app.into_fn());
    let mut client = server.connect();
    client.send(requests.concat());
    requests.iter().map(|_| client.read_response()).collect()
}

fn get(target: &str, extra: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: x\r\n{extra}\r\n")
}

fn post(target: &str, content_type: &str, body: &str) -> String {
    format!(
        "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn conveniences_on_the_wire() {
    let form = "application/x-www-form-urlencoded";
    let responses = exchange(&[
        get("/search?q=caf%C3%A9+au+lait&page=2&x=%zz", ""),
        get("/search?q=%FF", ""),
        post("/form", form, "title=Buy+milk&done=on"),
        post("/form", "text/plain", "title=x"),
        post("/form", form, "title=%C3%28"),
        post("/form", form, "done=on"),
        post(
            "/json",
            "application/json; charset=utf-8",
            r#"{"title":"Buy milk"}"#,
        ),
        post("/json", "text/json", "{}"),
        post("/json", "application/json", r#"{"title":"#),
        post("/value", "application/json", &"[".repeat(100_000)),
        get("/login", ""),
        get("/me", "Cookie: theme=dark; session=abc\r\n"),
        get("/me", ""),
        get("/bad-cookie", ""),
        get("/nowhere", ""),
    ]);
    let summary: Vec<(u16, &str)> = responses.iter().map(|r| (r.status, r.body_str())).collect();
    assert_eq!(
        summary[..10],
        [
            (200, "q=café au lait pairs=3"),
            (400, "query is not UTF-8 after percent-decoding"),
            (200, "title=Buy milk"),
            (
                415,
                "expected Content-Type: application/x-www-form-urlencoded"
            ),
            (400, "form is not UTF-8 after percent-decoding"),
            (422, "title is required"),
            (201, r#"{"id":7,"title":"Buy milk"}"#),
            (415, "expected Content-Type: application/json"),
            (
                400,
                "invalid JSON: EOF while parsing a value at line 1 column 9"
            ),
            (
                400,
                "invalid JSON: recursion limit exceeded at line 1 column 128"
            ),
        ]
    );
    assert_eq!(
        responses[6].header("Content-Type"),
        Some("application/json")
    );
    assert_eq!(
        responses[1].header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );

    let login = &responses[10];
    assert_eq!((login.status, login.reason.as_str()), (303, "See Other"));
    assert_eq!(login.header("Location"), Some("/me"));
    let set_cookie: Vec<_> = login
        .headers
        .iter()
        .filter(|(name, _)| name == "Set-Cookie")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(set_cookie, ["session=abc; Path=/; HttpOnly; SameSite=Lax"]);

    assert_eq!(
        (responses[11].status, responses[11].body_str()),
        (200, "session=abc")
    );
    assert_eq!(
        (responses[12].status, responses[12].body_str()),
        (401, "no session")
    );
    // The handler's own mistake: a 500 that does not describe it.
    assert_eq!(
        (responses[13].status, responses[13].body_str()),
        (500, "Internal Server Error")
    );
    assert!(responses[13].header("Set-Cookie").is_none());
    assert_eq!(
        (responses[14].status, responses[14].body_str()),
        (404, "Not Found")
    );
}
