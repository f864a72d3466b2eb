//! Property test of the router: for a random table of patterns (literal
//! segments, `{param}` segments, a final `{*catch_all}`), any path made of
//! a pattern's segments, with random percent-encoded parameter values,
//! reaches that pattern's handler with the values decoded, borrowed from
//! the target where they needed no decoding. Bounded (`CASES`).
//!
//! Literal segments are lowercase letters and every segment of a value
//! starts with something else, so the route a path is made for is the only
//! one it can match; tables whose patterns matchit refuses are thinned to
//! those it accepts, in order.

use std::fmt::Write;

use proptest::prelude::*;

use super::Router;
use crate::http::ValueRef;
use crate::{Handler, Method, Request, Response, ResponseBuilder};

const CASES: u32 = 256;

#[derive(Clone, Debug)]
enum Segment {
    Literal(String),
    Param,
}

#[derive(Clone, Debug)]
struct Pattern {
    segments: Vec<Segment>,
    catch_all: bool,
}

impl Pattern {
    fn text(&self) -> String {
        let mut text = String::new();
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(lit) => write!(text, "/{lit}").unwrap(),
                Segment::Param => write!(text, "/{{s{i}}}").unwrap(),
            }
        }
        if self.catch_all {
            text.push_str("/{*rest}");
        }
        if text.is_empty() {
            text.push('/');
        }
        text
    }
}

/// A value as sent (`.0`, percent-encoded in part) and as decoded (`.1`).
type Value = (String, String);

/// Characters of decoded values: unreserved, sub-delims (`+` among them),
/// and what must be encoded (`/`, `%`, space, `?`, `#`, non-ASCII).
const CHARS: &[char] = &[
    'a',
    'z',
    'A',
    'Q',
    '0',
    '9',
    '-',
    '.',
    '_',
    '~',
    '+',
    '!',
    '$',
    '&',
    '\'',
    '(',
    ')',
    '*',
    ',',
    ';',
    '=',
    ':',
    '@',
    '/',
    '%',
    ' ',
    '?',
    '#',
    '\u{e9}',
    '\u{65e5}',
    '\u{1f600}',
];

/// Sent as they are unless chosen for encoding.
fn raw_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+!$&'()*,;=:@".contains(c)
}

fn value() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (prop::sample::select(CHARS), any::<bool>(), any::<bool>()),
        1..6,
    )
    .prop_map(|chars| {
        let mut sent = String::new();
        let mut decoded = String::new();
        for (i, (c, encode, lower)) in chars.into_iter().enumerate() {
            decoded.push(c);
            // A lowercase letter first could spell a literal: encode it.
            let leading_lower = i == 0 && c.is_ascii_lowercase();
            if raw_ok(c) && !encode && !leading_lower {
                sent.push(c);
            } else {
                for b in c.to_string().bytes() {
                    if lower {
                        write!(sent, "%{b:02x}").unwrap();
                    } else {
                        write!(sent, "%{b:02X}").unwrap();
                    }
                }
            }
        }
        (sent, decoded)
    })
}

fn pattern() -> impl Strategy<Value = Pattern> {
    let segment = prop_oneof![
        "[a-z]{1,3}".prop_map(Segment::Literal),
        Just(Segment::Param),
    ];
    (prop::collection::vec(segment, 0..4), any::<bool>()).prop_map(|(segments, catch_all)| {
        Pattern {
            segments,
            catch_all,
        }
    })
}

/// Answers with every parameter as `name=value`, NUL-separated.
fn echo(req: &Request) -> Response {
    let mut body = String::new();
    for (name, value) in req.params() {
        write!(body, "{name}={value}\0").unwrap();
    }
    ResponseBuilder::new().body(body).build().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn paths_reach_their_route_with_decoded_values(
        candidates in prop::collection::vec(pattern(), 1..10),
        values in prop::collection::vec(value(), 16),
        pick in any::<usize>(),
    ) {
        // Keep the patterns matchit accepts, in order; the router must
        // accept the same ones.
        let mut check = matchit::Router::new();
        let patterns: Vec<Pattern> = candidates
            .into_iter()
            .filter(|p| check.insert(p.text(), ()).is_ok())
            .collect();
        let mut builder = Router::builder();
        for (i, p) in patterns.iter().enumerate() {
            builder = builder.get(&p.text(), move |req: &Request| {
                let mut resp = echo(req);
                resp.set_header("X-Route", &i.to_string()).unwrap();
                resp
            });
        }
        let router = builder.build().unwrap();

        for (i, p) in patterns.iter().enumerate() {
            let mut next = pick;
            let mut take = || {
                next = next.wrapping_mul(31).wrapping_add(7);
                &values[next % values.len()]
            };
            let (mut target, mut expected, mut raw) = (String::new(), String::new(), Vec::new());
            for (k, segment) in p.segments.iter().enumerate() {
                match segment {
                    Segment::Literal(lit) => write!(target, "/{lit}").unwrap(),
                    Segment::Param => {
                        let (sent, decoded) = take();
                        write!(target, "/{sent}").unwrap();
                        write!(expected, "s{k}={decoded}\0").unwrap();
                        raw.push(sent == decoded);
                    }
                }
            }
            if p.catch_all {
                let parts = [take().clone(), take().clone()];
                let count = 1 + next % 2;
                let sent: Vec<&str> = parts[..count].iter().map(|v| v.0.as_str()).collect();
                let decoded: Vec<&str> = parts[..count].iter().map(|v| v.1.as_str()).collect();
                write!(target, "/{}", sent.join("/")).unwrap();
                write!(expected, "rest={}\0", decoded.join("/")).unwrap();
                raw.push(sent == decoded);
            }
            if target.is_empty() {
                target.push('/');
            }
            let req = Request::new(Method::Get, &format!("{target}?q=1"));
            let resp = router.call(&req);
            prop_assert_eq!(resp.status(), 200, "{} for {}", target, p.text());
            prop_assert_eq!(resp.headers().get("x-route"), Some(&*i.to_string()));
            prop_assert_eq!(std::str::from_utf8(resp.body()).unwrap(), expected);
            let stored: Vec<bool> = req
                .route
                .last()
                .map(|level| {
                    level.into_params().map(|(_, v)| matches!(v, ValueRef::Raw(_))).collect()
                })
                .unwrap_or_default();
            prop_assert_eq!(stored, raw);
        }
    }
}
