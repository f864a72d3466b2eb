//! The application of `examples/router.rs`: [`app`] builds the `Router` of
//! its contract (see that file). The binary serves it on a socket;
//! `tests/router_example.rs` includes this file to run the same contract
//! through the in-memory `TestClient` as well.
//!
//! Every handler returns `Result<Response, HttpError>`, so the refusals of
//! the request conveniences (415 for a wrong media type, 400 for bytes that
//! are not UTF-8 once decoded or for bad JSON) are a `?` away.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mini_async_http::{
    HttpError, Next, Request, Response, ResponseBuilder, Router, SameSite, SetCookie,
};
use serde_json::{Map, Value};

/// What a handler returns: a response, or an error answered with its status.
type Answer = Result<Response, HttpError>;

/// The token `/admin/…` wants in `Authorization: Bearer <token>`. (A real
/// service keeps it out of its source and compares it in constant time,
/// e.g. with the `subtle` crate.)
const ADMIN_TOKEN: &str = "secret";

/// The whole application: its routes, with their shared state (the next
/// user number, from 1) created here, so each call makes a fresh app.
pub fn app() -> Router {
    let next_user = Arc::new(AtomicU64::new(1));
    // A router of its own, so that its middleware guards only `/admin/…`.
    let admin = Router::builder()
        .get("/{*rest}", |req| {
            text(format!("admin {}", param(req, "rest")))
        })
        .wrap(require_bearer)
        .build()
        .expect("the admin routes are valid");
    Router::builder()
        .get("/", |_| text("index".to_owned()))
        .get("/users/{id}", |req| {
            text(format!("user {}", param(req, "id")))
        })
        .post("/users", move |req| create_user(&next_user, req))
        .delete("/users/{id}", |_| {
            ResponseBuilder::new().status(204).build()
        })
        .get("/files/{*path}", |req| {
            text(format!("file {}", param(req, "path")))
        })
        .get("/search", |req| text(lines(req.try_query_pairs()?)))
        .post("/form", |req| text(lines(req.form()?)))
        .get("/cookies", |req| text(lines(req.cookies())))
        .get("/login", login)
        .get("/json", |_| {
            ResponseBuilder::new()
                .json(&serde_json::json!({ "ok": true }))
                .build()
        })
        .post("/json", increment)
        .mount("/admin", admin)
        .build()
        .expect("the routes are valid")
}

/// `200 text/plain` with `body`.
fn text(body: String) -> Answer {
    Ok(ResponseBuilder::new()
        .content_type("text/plain; charset=utf-8")
        .body(body)
        .build()?)
}

/// A path parameter of the matched route, percent-decoded by the router (a
/// route's parameters are always there; a value that is not UTF-8 once
/// decoded never reaches the handler: the router answers 400).
fn param<'r>(req: &'r Request, name: &str) -> &'r str {
    req.param(name).unwrap_or_default()
}

/// Pairs as `name=value` lines, in order.
fn lines<N: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (N, V)>) -> String {
    pairs.into_iter().fold(String::new(), |mut out, (n, v)| {
        out.push_str(n.as_ref());
        out.push('=');
        out.push_str(v.as_ref());
        out.push('\n');
        out
    })
}

/// `POST /users`: the next number, `201` with its `Location`, and the
/// request's body (and `Content-Type`) back.
fn create_user(next_user: &AtomicU64, req: &Request) -> Answer {
    // With the default limits every body is in memory (`max_body_bytes` is
    // `spool_threshold`); a server configured for larger uploads spools them
    // to a file, which this handler does not copy back.
    let body = req
        .try_body()
        .ok_or_else(|| HttpError::new(413, "body too large"))?;
    let id = next_user.fetch_add(1, Ordering::Relaxed);
    let mut resp = ResponseBuilder::new()
        .status(201)
        .header("Location", &format!("/users/{id}"))
        .body(body);
    if let Some(content_type) = req.header("content-type") {
        resp = resp.content_type(content_type);
    }
    Ok(resp.build()?)
}

/// `GET /login`: sets the session cookie.
fn login(_: &Request) -> Answer {
    let session = SetCookie::new("session", "abc")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax);
    Ok(ResponseBuilder::new()
        .content_type("text/plain; charset=utf-8")
        .cookie(session)
        .body("logged in")
        .build()?)
}

/// `POST /json`: `{"n": n}` → `{"n": n + 1}`, `n` an `i64`.
fn increment(req: &Request) -> Answer {
    // A map, not a `#[derive(Deserialize)] struct { n: i64 }`: serde reads a
    // struct from a JSON array too (`[5]`), and only an object is accepted.
    let object: Map<String, Value> = req.json()?;
    let n = object
        .get("n")
        .and_then(Value::as_i64)
        .ok_or_else(|| HttpError::new(400, "`n` must be an integer (i64)"))?;
    let n = n
        .checked_add(1)
        .ok_or_else(|| HttpError::new(400, "`n + 1` overflows an i64"))?;
    Ok(ResponseBuilder::new()
        .json(&serde_json::json!({ "n": n }))
        .build()?)
}

/// The middleware of `/admin/…`: `401` with `WWW-Authenticate: Bearer`
/// unless the request carries `Authorization: Bearer secret` (the scheme
/// compared case-insensitively, RFC 9110 §11.1). It runs before the admin
/// router answers anything, its `404` and `405` included, so a client
/// without the token learns nothing about what is there.
fn require_bearer(req: &Request, next: Next<'_>) -> Answer {
    let token = req
        .header("authorization")
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim_matches(' '));
    if token == Some(ADMIN_TOKEN) {
        return Ok(next.run(req));
    }
    Ok(ResponseBuilder::new()
        .status(401)
        .header("WWW-Authenticate", "Bearer")
        .content_type("text/plain; charset=utf-8")
        .body("unauthorized")
        .build()?)
}
