//! The checks a pattern passes before matchit sees it, and the names of its
//! parameters (kept by the route behind one `Arc`, so a match shares them
//! with the request instead of copying them).

use std::sync::Arc;

use super::RouteError;

/// A pattern's parameter names, in order, and whether the last is a
/// catch-all.
pub(super) struct Params {
    pub(super) names: Vec<Box<str>>,
    pub(super) catch_all: bool,
}

impl Params {
    /// The names as a route keeps them: shared, `None` when there are none
    /// (a request routed there then stores no names).
    pub(super) fn shared_names(&self) -> Option<Arc<[Box<str>]>> {
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
    };
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'{', Some(b'{')) | (b'}', Some(b'}')) => i += 2,
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
                i += len + 2;
            }
            _ => i += 1,
        }
    }
    Ok(params)
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
