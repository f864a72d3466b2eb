//! From a request to the handler: the lookup, the parameters stored in the
//! request, and the answers the router gives itself (404, 405, OPTIONS,
//! trailing-slash redirects).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use percent_encoding::percent_decode_str;

use super::builder::BoxHandler;
use super::exact::Exact;
use super::pattern::{self, Cut};
use crate::http::{Names, ParamValue, ParamValues};
use crate::{Method, Request, Response, ResponseBuilder};

/// One pattern of the tree.
pub(super) struct Entry {
    /// As given (a mount's as `mount <prefix>`), for `Debug`.
    pub(super) pattern: Box<str>,
    /// The parameter names, in pattern order (a mount's: its prefix's);
    /// `None` without any.
    pub(super) names: Option<Names>,
    /// Where the values lie in a path the tree matched to this entry (a
    /// mount's: its prefix's, then the part below it).
    pub(super) cuts: Box<[Cut]>,
    pub(super) target: Target,
}

/// What a matched pattern leads to.
pub(super) enum Target {
    /// A route: handlers by method.
    Route(Methods),
    /// A mount's prefix without the slash: redirected to it with the slash.
    MountRoot,
    /// Below a mount's prefix; with `rest`, the last parameter is the part
    /// below it (else the path is the prefix and a slash).
    Mount { mount: usize, rest: bool },
}

/// A route's handlers, by method, and its `Allow` value.
pub(super) struct Methods {
    handlers: Vec<(Method, BoxHandler)>,
    allow: Box<str>,
}

impl Methods {
    pub(super) fn new(method: Method, h: BoxHandler) -> Methods {
        Methods {
            handlers: vec![(method, h)],
            allow: "".into(),
        }
    }

    pub(super) fn push(&mut self, method: Method, h: BoxHandler) {
        self.handlers.push((method, h));
    }

    pub(super) fn methods(&self) -> impl Iterator<Item = &Method> {
        self.handlers.iter().map(|(m, _)| m)
    }

    /// Computes `Allow` once the route has all its methods.
    pub(super) fn set_allow(&mut self) {
        self.allow = Methods::allow(self.methods());
    }

    /// The `Allow` value for `methods`: sorted, with `HEAD` where `GET` is,
    /// and `OPTIONS`, which the router answers itself.
    pub(super) fn allow<'a>(methods: impl Iterator<Item = &'a Method>) -> Box<str> {
        let mut names: Vec<&str> = methods.map(Method::as_str).collect();
        if names.contains(&"GET") {
            names.push("HEAD");
        }
        names.push("OPTIONS");
        names.sort_unstable();
        names.dedup();
        names.join(", ").into()
    }

    /// The handler for `method`; `GET`'s for `HEAD` without its own.
    fn find(&self, method: &Method) -> Option<&BoxHandler> {
        let find = |method: &Method| self.handlers.iter().find(|(m, _)| m == method);
        find(method)
            .or_else(|| {
                (*method == Method::Head)
                    .then(|| find(&Method::Get))
                    .flatten()
            })
            .map(|(_, h)| h)
    }
}

/// The routing table of a built router.
pub(super) struct Table {
    /// The patterns without parameters, looked up before the tree.
    pub(super) exact: Exact,
    pub(super) tree: matchit::Router<usize>,
    pub(super) entries: Box<[Entry]>,
    pub(super) mounts: Box<[BoxHandler]>,
    pub(super) fallback: Option<BoxHandler>,
    /// `Allow` for `OPTIONS *`: every method of every route.
    pub(super) allow_all: Box<str>,
}

impl Table {
    /// Routes `req` and answers it.
    pub(super) fn dispatch(&self, req: &Request) -> Response {
        let (base, path, stripped) = routable(req);
        if path == "*" && base == 0 && *req.method() == Method::Options {
            return self.options_star();
        }
        let found;
        let (index, params) = match self.exact.get(path) {
            Some(index) => (index, None),
            None => match self.tree.at(path) {
                Ok(matched) => {
                    found = matched;
                    (*found.value, Some(&found.params))
                }
                Err(_) => return self.miss(req, base, path),
            },
        };
        let entry = &self.entries[index];
        match &entry.target {
            Target::Route(methods) => {
                let Some(handler) = methods.find(req.method()) else {
                    return refuse(req, &methods.allow);
                };
                // A static route stores nothing, unless the router skipped
                // an absolute-form target's scheme and authority, which
                // `route_path` must skip too.
                if entry.names.is_some() || stripped {
                    let Some((values, _)) = values(req, entry, path, params) else {
                        return not_utf8();
                    };
                    req.route.push(base, entry.names.as_ref(), values);
                }
                handler.call(req)
            }
            Target::MountRoot | Target::Mount { .. } => {
                self.mounted(req, entry, (base, path), params)
            }
        }
    }

    /// Answers `req`, whose path (at `base` in `path()`) matched `entry`
    /// of a mount with `params`.
    #[inline(never)]
    fn mounted(
        &self,
        req: &Request,
        entry: &Entry,
        (base, path): (usize, &str),
        params: Option<&matchit::Params<'_, '_>>,
    ) -> Response {
        match &entry.target {
            Target::Route(_) | Target::MountRoot => {
                redirect(req, base, &format!("{path}/")).unwrap_or_else(|| self.not_found(req))
            }
            Target::Mount { mount, rest } => {
                let Some((values, last)) = values(req, entry, path, params) else {
                    return not_utf8();
                };
                // The path is the prefix, `/`, and the part below it (the
                // last value, with `rest`).
                let below = if *rest { last } else { 0 };
                let prefix = base + path.len() - below - 1;
                req.route.push(prefix, entry.names.as_ref(), values);
                self.mounts[*mount].call(req)
            }
        }
    }

    /// `OPTIONS *`.
    #[cold]
    fn options_star(&self) -> Response {
        answer(204, Some(("Allow", &self.allow_all)), b"")
    }

    /// No pattern matches: a redirect if one does with or without a
    /// trailing slash, else the fallback or `404`.
    fn miss(&self, req: &Request, base: usize, path: &str) -> Response {
        let (mut buf, mut spill) = ([0; 256], String::new());
        let other = match path.strip_suffix('/') {
            Some(stripped) if !stripped.is_empty() => stripped,
            Some(_) => return self.not_found(req),
            None => with_slash(path, &mut buf, &mut spill),
        };
        if self.exact.get(other).is_some() || self.tree.at(other).is_ok() {
            if let Some(resp) = redirect(req, base, other) {
                return resp;
            }
        }
        self.not_found(req)
    }

    fn not_found(&self, req: &Request) -> Response {
        match &self.fallback {
            Some(fallback) => fallback.call(req),
            None => answer(404, None, b"not found"),
        }
    }

    /// The routes and mounts, once each, for `Debug`.
    pub(super) fn shown(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| matches!(e.target, Target::Route(_) | Target::MountRoot))
    }
}

/// Where the router's part of the path starts in `path()` (past the mounts
/// outside it, or the scheme and authority of an absolute-form target),
/// that part, and whether it starts past what the request's routing levels
/// say (an absolute-form target seen by the outermost router).
fn routable(req: &Request) -> (usize, &str, bool) {
    let path = req.path();
    if let Some(prefix) = req.route.prefix() {
        return (prefix, path.get(prefix..).unwrap_or(""), false);
    }
    if !path.starts_with('/') {
        if let Some(scheme_end) = path.find("://") {
            let authority = scheme_end + 3;
            let start = path[authority..]
                .find('/')
                .map_or(path.len(), |i| authority + i);
            return (start, &path[start..], true);
        }
    }
    (0, path, false)
}

/// The parameter values of `entry`, whose pattern the tree matched to
/// `path` with `params` (`None`: the exact table did, without any), and
/// the length of the last one (below a mount's
/// prefix, the part below it). They are cut from the path by the entry's
/// [`Cut`]s (a mount's: only as many as its prefix has names),
/// percent-decoded, borrowing the target where a value needed no decoding;
/// `None` if a decoded value is not UTF-8.
fn values(
    req: &Request,
    entry: &Entry,
    path: &str,
    params: Option<&matchit::Params<'_, '_>>,
) -> Option<(ParamValues, usize)> {
    let mut values = ParamValues::default();
    let count = entry.names.as_ref().map_or(0, |names| names.len());
    let mut last = 0;
    for (i, cut) in pattern::values(&entry.cuts, path).enumerate() {
        let theirs = || {
            params
                .and_then(|params| params.iter().nth(i))
                .map_or("", |(_, v)| v)
        };
        debug_assert_eq!(cut, Some(theirs()), "cut {i} of {:?}", entry.cuts);
        let raw = cut.unwrap_or_else(theirs);
        if i < count {
            values.push(value(req, raw)?);
        }
        last = raw.len();
    }
    Some((values, last))
}

/// One parameter's value: a range of the target when decoding changed
/// nothing (no `%`, or only malformed escapes), else the decoded text;
/// `None` if that is not UTF-8.
fn value(req: &Request, raw: &str) -> Option<ParamValue> {
    let decoded = if raw.bytes().any(|b| b == b'%') {
        percent_decode_str(raw).decode_utf8().ok()?
    } else {
        Cow::Borrowed(raw)
    };
    Some(match decoded {
        Cow::Borrowed(_) => range_in(req.target(), raw)
            .map_or_else(|| ParamValue::Decoded(raw.into()), ParamValue::Raw),
        Cow::Owned(decoded) => ParamValue::Decoded(decoded.into()),
    })
}

/// Where `part`, a slice of `whole`, lies in it (`None` past 4 GiB).
fn range_in(whole: &str, part: &str) -> Option<Range<u32>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    if end > whole.len() {
        return None;
    }
    Some(u32::try_from(start).ok()?..u32::try_from(end).ok()?)
}

/// `path` and a slash, in `buf` when it fits (so that a miss, which every
/// scanner of a site makes, allocates nothing), else in `spill`.
fn with_slash<'a>(path: &str, buf: &'a mut [u8; 256], spill: &'a mut String) -> &'a str {
    if let Some(room) = buf.get_mut(..=path.len()) {
        let (head, slash) = room.split_at_mut(path.len());
        head.copy_from_slice(path.as_bytes());
        slash[0] = b'/';
        if let Ok(joined) = std::str::from_utf8(room) {
            return joined;
        }
    }
    spill.push_str(path);
    spill.push('/');
    spill
}

/// `308` to the path `path()[..base] + other`, query kept; `None` when that
/// would not be a path of this host (`//…`), or has a byte no field value
/// may (a request built by hand can have any target).
fn redirect(req: &Request, base: usize, other: &str) -> Option<Response> {
    let mut location = String::with_capacity(req.target().len() + 1);
    location.push_str(req.path().get(..base)?);
    location.push_str(other);
    if let Some(query) = req.query() {
        location.push('?');
        location.push_str(query);
    }
    let foreign = location.starts_with("//") || location.starts_with("/\\");
    if foreign || !location.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    Some(answer(308, Some(("Location", &location)), b""))
}

/// `405` with `Allow`, or `204` with `Allow` for `OPTIONS`.
#[cold]
fn refuse(req: &Request, allow: &str) -> Response {
    if *req.method() == Method::Options {
        answer(204, Some(("Allow", allow)), b"")
    } else {
        answer(405, Some(("Allow", allow)), b"method not allowed")
    }
}

#[cold]
fn not_utf8() -> Response {
    answer(
        400,
        None,
        b"bad request: a path parameter is not UTF-8 once percent-decoded",
    )
}

/// An answer of the router's own: `status`, a field, and a plain-text body
/// unless it is empty. The field is one the router made valid (an `Allow`
/// of tokens, a checked `Location`); should it not be, the answer is `500`
/// rather than a panic.
fn answer<const N: usize>(
    status: u16,
    field: Option<(&str, &str)>,
    body: &'static [u8; N],
) -> Response {
    let mut builder = ResponseBuilder::new().status(status);
    if let Some((name, value)) = field {
        builder = builder.header(name, value);
    }
    if N > 0 {
        builder = builder.content_type("text/plain; charset=utf-8").body(body);
    }
    builder
        .build()
        .unwrap_or_else(|_| Response::plain(500, "internal server error"))
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Target::Route(methods) => {
                let methods: Vec<&str> = methods.methods().map(Method::as_str).collect();
                write!(f, "{} {}", methods.join(","), self.pattern)
            }
            Target::MountRoot | Target::Mount { .. } => f.write_str(&self.pattern),
        }
    }
}
