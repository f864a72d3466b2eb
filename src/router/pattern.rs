//! The checks a pattern passes before matchit sees it, the names of its
//! parameters (kept by the route behind one `Arc`, so a match shares them
//! with the request instead of copying them), and where their values lie
//! in a path it matched ([`Cut`]).

use super::RouteError;
use crate::http::Names;

/// A pattern's parameter names, in order, whether the last is a
/// catch-all, and where their values lie in a path.
pub(super) struct Params {
    pub(super) names: Vec<Box<str>>,
    pub(super) catch_all: bool,
    pub(super) cuts: Vec<Cut>,
}

/// Where a parameter's value lies in a path its pattern matched: `skip`
/// bytes of literal text past the previous value (or the start), then up
/// to `suffix` bytes before the end of its segment (the literal text after
/// it in the segment, as in `{n}.png`), or to the end of the path for a
/// catch-all (`suffix` is `None`). Matchit has checked that the path
/// matches, so this only cuts it up, as matchit did: asking matchit for
/// the values instead costs two UTF-8 checks per parameter (key and
/// value), most of a one-parameter lookup's cost after the tree walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cut {
    skip: usize,
    suffix: Option<usize>,
}

impl Params {
    /// The names as a route keeps them: shared, `None` when there are none
    /// (a request routed there then stores no names).
    pub(super) fn shared_names(&self) -> Option<Names> {
        (!self.names.is_empty()).then(|| self.names.as_slice().into())
    }
}

/// Checks `pattern` (`/`-led visible ASCII without `?` or `#`; parameters
/// `{name}` or `{*name}` with names of ASCII letters, digits and `_`, none
/// twice; `{{` and `}}` for literal braces) and returns its parameters.
/// Where a parameter may stand (one per segment, catch-all last) and which
/// patterns conflict is matchit's to say.
pub(super) fn parse(pattern: &str) -> Result<Params, RouteError> {
    let invalid = |make: fn(String) -> RouteError| Err(make(pattern.to_owned()));
    if !pattern.starts_with('/') || !pattern.bytes().all(path_byte) {
        return invalid(RouteError::InvalidPattern);
    }
    let bytes = pattern.as_bytes();
    let mut params = Params {
        names: Vec::new(),
        catch_all: false,
        cuts: Vec::new(),
    };
    // Path bytes of literal text since the last parameter, and whether
    // that parameter's segment is still open (its suffix not yet known).
    let mut literal = 0;
    let mut open = false;
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'{', Some(b'{')) | (b'}', Some(b'}')) => {
                literal += 1;
                i += 2;
            }
            (b'}', _) => return invalid(RouteError::InvalidParam),
            (b'{', _) => {
                let Some(len) = pattern[i + 1..].find('}') else {
                    return invalid(RouteError::InvalidParam);
                };
                let inner = &pattern[i + 1..i + 1 + len];
                let (name, catch_all) = match inner.strip_prefix('*') {
                    Some(name) => (name, true),
                    None => (inner, false),
                };
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    return invalid(RouteError::InvalidParam);
                }
                if params.names.iter().any(|n| &**n == name) {
                    return invalid(RouteError::DuplicateParam);
                }
                params.names.push(name.into());
                params.catch_all = catch_all;
                params.cuts.push(Cut {
                    skip: literal,
                    suffix: (!catch_all).then_some(0),
                });
                (literal, open) = (0, !catch_all);
                i += len + 2;
            }
            (b, _) => {
                if b == b'/' {
                    close(&mut params.cuts, &mut open, literal);
                }
                literal += 1;
                i += 1;
            }
        }
    }
    close(&mut params.cuts, &mut open, literal);
    Ok(params)
}

/// Ends the open segment of the last parameter: its suffix is the
/// `literal` bytes since it.
fn close(cuts: &mut [Cut], open: &mut bool, literal: usize) {
    if let (true, Some(last)) = (*open, cuts.last_mut()) {
        last.suffix = Some(literal);
    }
    *open = false;
}

/// The values of the parameters `cuts` describe, in `path`, which their
/// pattern matched, in order; an item is `None` only if the path does not
/// match after all (then the value is matchit's to give).
pub(super) fn values<'p>(cuts: &[Cut], path: &'p str) -> impl Iterator<Item = Option<&'p str>> {
    let mut at = Some(0usize);
    cuts.iter().map(move |cut| {
        let start = at?.checked_add(cut.skip)?;
        let end = match cut.suffix {
            None => path.len(),
            Some(suffix) => {
                let tail = path.as_bytes().get(start..)?;
                let segment = tail.iter().position(|&b| b == b'/').unwrap_or(tail.len());
                (start + segment).checked_sub(suffix)?
            }
        };
        at = Some(end);
        path.get(start..end).filter(|v| !v.is_empty())
    })
}

/// A byte a request path can hold as received (the parser admits visible
/// ASCII only) and that is not the start of a query or fragment.
fn path_byte(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'?' && b != b'#'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pattern: &str) -> Vec<String> {
        parse(pattern)
            .unwrap()
            .names
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn names_in_order_with_escapes_skipped() {
        assert!(names("/").is_empty());
        assert_eq!(names("/users/{id}/posts/{post_id}"), ["id", "post_id"]);
        assert_eq!(names("/img-{n}.png"), ["n"]);
        assert_eq!(names("/{{lit}}/{x}/{*rest}"), ["x", "rest"]);
        assert!(parse("/files/{*rest}").unwrap().catch_all);
        assert!(!parse("/files/{rest}").unwrap().catch_all);
    }

    #[test]
    fn cuts_find_the_values_matchit_finds() {
        let cut = |pattern: &str, path: &str| -> Vec<Option<String>> {
            let cuts = parse(pattern).unwrap().cuts;
            values(&cuts, path).map(|v| v.map(str::to_owned)).collect()
        };
        let some = |values: &[&str]| -> Vec<Option<String>> {
            values.iter().map(|v| Some((*v).to_owned())).collect()
        };
        let mut router = matchit::Router::new();
        for (pattern, path, expected) in [
            ("/static", "/static", some(&[])),
            ("/users/{id}", "/users/42", some(&["42"])),
            ("/u/{id}/posts/{post}", "/u/7/posts/9", some(&["7", "9"])),
            ("/img-{n}.png", "/img-12.png.png", some(&["12.png"])),
            ("/a/{x}.tar.gz/b", "/a/f.tar.gz/b", some(&["f"])),
            (
                "/{{lit}}/{x}/{*rest}",
                "/{lit}/a/b//c/",
                some(&["a", "b//c/"]),
            ),
            ("/f/{*path}", "/f/%2F/x", some(&["%2F/x"])),
        ] {
            assert_eq!(cut(pattern, path), expected, "{pattern} {path}");
            router.insert(pattern, ()).unwrap();
            let found = router.at(path).unwrap();
            let theirs: Vec<_> = found
                .params
                .iter()
                .map(|(_, v)| Some(v.to_owned()))
                .collect();
            assert_eq!(theirs, expected, "matchit: {pattern} {path}");
        }
        // Not a path the pattern matches: no value rather than a wrong one.
        assert_eq!(cut("/users/{id}", "/u"), [None]);
        assert_eq!(cut("/x/{a}.png", "/x/a"), [None]);
    }

    #[test]
    fn bad_patterns_are_named() {
        for p in [
            "",
            "users",
            "/a b",
            "/a?b",
            "/a#b",
            "/caf\u{e9}",
            "/a\tb",
            "/a\u{7f}",
        ] {
            assert_eq!(
                parse(p).err(),
                Some(RouteError::InvalidPattern(p.into())),
                "{p:?}"
            );
        }
        for p in ["/{}", "/{*}", "/{a", "/a}", "/{a-b}", "/{a{b}", "/{{a}"] {
            assert_eq!(
                parse(p).err(),
                Some(RouteError::InvalidParam(p.into())),
                "{p:?}"
            );
        }
        assert_eq!(
            parse("/{a}/{a}").err(),
            Some(RouteError::DuplicateParam("/{a}/{a}".into()))
        );
    }
}
