//! One test per rule of the routing policy (the table in `policy.md`),
//! calling `Handler::call` directly: matching and decoding, the router's own
//! answers, mounts and code around routes, and what `build` refuses.

use std::fmt::Write;
use std::sync::{Arc, Mutex};

use super::{Next, RouteError, Router, RouterBuilder};
use crate::http::ValueRef;
use crate::{Handler, Method, Request, Response, ResponseBuilder};

fn text(body: impl Into<crate::Body>) -> Response {
    ResponseBuilder::new().body(body).build().unwrap()
}

/// Answers with the route's name, then each `name=value` parameter.
fn named(name: &'static str) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        let mut body = name.to_owned();
        for (n, v) in req.params() {
            write!(body, " {n}={v}").unwrap();
        }
        text(body)
    }
}

fn call(router: &Router, method: Method, target: &str) -> Response {
    router.call(&Request::new(method, target))
}

fn get(router: &Router, target: &str) -> Response {
    call(router, Method::Get, target)
}

/// The values the innermost routing level of `req` stored.
fn stored(req: &Request) -> Vec<ValueRef<'_>> {
    req.route
        .last()
        .map(|level| level.into_params().map(|(_, v)| v).collect())
        .unwrap_or_default()
}

fn body(resp: &Response) -> &str {
    std::str::from_utf8(resp.body()).unwrap()
}

fn header<'a>(resp: &'a Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name)
}

mod answers;
mod build;
mod matching;
mod mounts;
