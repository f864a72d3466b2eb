//! Property test of the exact-path table: a router answers every request
//! as the same router without the table (matchit's tree alone) does. The
//! tables mix static routes (some with `{{`/`}}`), parameters, catch-alls
//! and mounts over a few short segments, so that request paths hit them,
//! miss them by a trailing slash, a percent-escape or a brace, or reach
//! another route; the requests vary the method and the target's form.
//! Bounded (`CASES`).

use std::fmt::Write;

use proptest::prelude::*;

use super::exact::Exact;
use super::{RouteError, Router};
use crate::{Handler, Method, Request, Response, ResponseBuilder};

const CASES: u32 = 256;

/// Segments of patterns: literals (some of them brace escapes), and
/// parameters.
const PATTERN_SEGMENTS: &[&str] = &["a", "b", "ab", "{{x}}", "%61", "{p}", "{q}.txt"];

/// Segments of request paths: the literals as written and as a pattern
/// would not match them, and other text.
const PATH_SEGMENTS: &[&str] = &[
    "a", "b", "ab", "{x}", "{{x}}", "%61", "%62", "A", "x.txt", "", "%FF",
];

const METHODS: &[Method] = &[
    Method::Get,
    Method::Head,
    Method::Post,
    Method::Options,
    Method::Delete,
];

/// A route (`method`, pattern) or, with `None`, a mount of its prefix.
type Spec = (Option<Method>, String);

/// `/` and each segment.
fn joined(segments: &[&str]) -> String {
    segments.iter().flat_map(|s| ["/", s]).collect()
}

fn pattern() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(PATTERN_SEGMENTS), 0..4),
        0..4u8,
    )
        .prop_map(|(segments, end)| {
            let mut text = joined(&segments);
            match end {
                0 => text.push_str("/{*rest}"),
                1 => text.push('/'),
                _ => {}
            }
            if text.is_empty() {
                text.push('/');
            }
            text
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::option::weighted(0.85, prop::sample::select(&METHODS[..3])),
        pattern(),
    )
}

fn target() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(PATH_SEGMENTS), 0..5),
        0..4u8,
    )
        .prop_map(|(segments, form)| {
            let mut path = joined(&segments);
            if path.is_empty() || form == 1 {
                path.push('/');
            }
            match form {
                2 => format!("{path}?k=v"),
                3 => format!("http://example.com{path}"),
                _ => path,
            }
        })
}

/// Every parameter, the part of the path below the router, and the
/// route's number.
fn echo(i: usize, req: &Request) -> Response {
    let mut body = format!("route {i} below {}", req.route_path());
    for (name, value) in req.params() {
        write!(body, " {name}={value}").unwrap();
    }
    ResponseBuilder::new().body(body).build().unwrap()
}

/// The router of `specs`, with its exact table or without it.
fn router(specs: &[Spec], exact: bool) -> Result<Router, RouteError> {
    let mut builder = Router::builder().fallback(|_: &Request| {
        ResponseBuilder::new()
            .status(404)
            .body(b"fallback")
            .build()
            .unwrap()
    });
    for (i, (method, pattern)) in specs.iter().enumerate() {
        let handler = move |req: &Request| echo(i, req);
        builder = match method {
            Some(method) => builder.route(method.clone(), pattern, handler),
            None => builder.mount(pattern.trim_end_matches('/'), handler),
        };
    }
    let mut router = builder.build()?;
    if !exact {
        router.table.exact = Exact::default();
    }
    Ok(router)
}

/// Status, fields and body.
fn answer(resp: &Response) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let fields = resp
        .headers()
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    (resp.status(), fields, resp.body().to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn exact_table_answers_as_the_tree(
        candidates in prop::collection::vec(spec(), 1..10),
        targets in prop::collection::vec((prop::sample::select(METHODS), target()), 1..24),
    ) {
        // Keep the routes and mounts the builder accepts, in order.
        let mut specs: Vec<Spec> = Vec::new();
        for candidate in candidates {
            specs.push(candidate);
            if router(&specs, true).is_err() {
                specs.pop();
            }
        }
        let fast = router(&specs, true).unwrap();
        let tree = router(&specs, false).unwrap();
        // The targets given, and each pattern as a path: as written,
        // unescaped, and either with a trailing slash toggled.
        let statics: Vec<(Method, String)> = specs
            .iter()
            .flat_map(|(_, p)| {
                let unescaped = p.replace("{{", "{").replace("}}", "}");
                let toggled = |p: &str| match p.strip_suffix('/') {
                    Some(p) => p.to_owned(),
                    None => format!("{p}/"),
                };
                let paths = [toggled(p), toggled(&unescaped), p.clone(), unescaped];
                METHODS
                    .iter()
                    .flat_map(move |m| paths.clone().map(|path| (m.clone(), path)))
            })
            .collect();
        for (method, target) in targets.iter().chain(&statics) {
            let (a, b) = (Request::new(method.clone(), target), Request::new(method.clone(), target));
            prop_assert_eq!(
                answer(&fast.call(&a)),
                answer(&tree.call(&b)),
                "{:?} {} in {:?}", method, target, specs
            );
        }
    }
}
