//! The request path, turned into the names to look up: percent-decoded once,
//! each segment checked on its own, so that nothing but plain names below the
//! root is ever opened (after actix-files' `path_buf.rs`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The longest route path (before decoding) that is looked up; longer ones
/// are answered 414.
pub const MAX_PATH_BYTES: usize = 4096;

/// Bytes kept as they are when a name is written into a URL path (a
/// `Location` or a listing's link): RFC 3986 unreserved characters.
/// Everything else, `/`, `?`, `#`, `%`, `+` and space included, is
/// percent-encoded, so each name is one segment that decodes back to itself.
pub(crate) const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a request path is not looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// Longer than [`MAX_PATH_BYTES`] (414).
    TooLong,
    /// A `%` not followed by two hex digits (400).
    BadEscape,
    /// A segment that is never a name below the root: `.`, `..`, empty, with
    /// `/`, `\`, `:` or NUL once decoded, not UTF-8, hidden when hidden
    /// files are off, or a path that does not start with `/` (404).
    Refused,
}

/// A request path that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestPath {
    /// The decoded segments, each a plain name.
    pub segments: Vec<String>,
    /// The path ends with `/` (a directory is asked for as one).
    pub trailing_slash: bool,
}

/// Checks and decodes `route_path` (the path below the mount, without the
/// query). The empty path (a mount's own prefix, `/static` under
/// `/static`) has no segment and no trailing slash.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use mini_async_http::files_internals::{parse_path, PathError};
/// let p = parse_path("/a%20b/c.txt", false).unwrap();
/// assert_eq!(p.segments, ["a b", "c.txt"]);
/// assert_eq!(parse_path("/a/%2e%2e/b", false), Err(PathError::Refused));
/// assert_eq!(parse_path("/a%zz", false), Err(PathError::BadEscape));
/// # }
/// ```
///
/// # Errors
/// [`PathError`], one variant per status.
pub fn parse_path(route_path: &str, hidden: bool) -> Result<RequestPath, PathError> {
    if route_path.len() > MAX_PATH_BYTES {
        return Err(PathError::TooLong);
    }
    if route_path.is_empty() {
        return Ok(RequestPath {
            segments: Vec::new(),
            trailing_slash: false,
        });
    }
    let Some(rest) = route_path.strip_prefix('/') else {
        return Err(PathError::Refused);
    };
    let (rest, trailing_slash) = match rest.strip_suffix('/') {
        Some(inner) => (inner, true),
        None => (rest, rest.is_empty()),
    };
    let mut segments = Vec::new();
    if rest.is_empty() {
        return Ok(RequestPath {
            segments,
            trailing_slash,
        });
    }
    // Every escape is checked before any is refused for what it decodes
    // to, so a malformed one is a 400 wherever it is.
    if !escapes_valid(rest) {
        return Err(PathError::BadEscape);
    }
    for raw in rest.split('/') {
        let decoded = percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| PathError::Refused)?;
        if !valid_name(&decoded, hidden) {
            return Err(PathError::Refused);
        }
        segments.push(decoded.into_owned());
    }
    Ok(RequestPath {
        segments,
        trailing_slash,
    })
}

/// Whether every `%` in `raw` starts a `%XX` escape.
fn escapes_valid(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Whether `name` (decoded) may be opened as one entry of a directory below
/// the root: not empty, `.` or `..`; no `/`, `\`, `:` (a Windows drive or
/// stream) or NUL; not hidden (a leading `.`) unless `hidden`. The same rule
/// applies to the names in a symlink's target and to listed entries.
pub(crate) fn valid_name(name: &str, hidden: bool) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && (hidden || !name.starts_with('.'))
        && !name.contains(['/', '\\', ':', '\0'])
}

/// `name` as one percent-encoded URL path segment (see [`SEGMENT`]).
pub(crate) fn encode_segment(name: &str) -> impl std::fmt::Display + '_ {
    utf8_percent_encode(name, SEGMENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> Vec<String> {
        parse_path(path, false).unwrap().segments
    }

    #[test]
    fn decoded_once_into_plain_names() {
        assert_eq!(segments("/"), Vec::<String>::new());
        assert!(parse_path("/", false).unwrap().trailing_slash);
        assert!(!parse_path("", false).unwrap().trailing_slash);
        assert_eq!(segments("/a/b.txt"), ["a", "b.txt"]);
        assert!(parse_path("/a/", false).unwrap().trailing_slash);
        assert_eq!(segments("/%252e%252e"), ["%2e%2e"]);
        assert_eq!(segments("/a+b%20c%23d%25e"), ["a+b c#d%e"]);
        assert_eq!(segments("/caf%C3%A9"), ["café"]);
        assert_eq!(segments_hidden("/..a/b..c"), ["..a", "b..c"]);
        assert_eq!(segments("/b..c"), ["b..c"]);
    }

    fn segments_hidden(path: &str) -> Vec<String> {
        parse_path(path, true).unwrap().segments
    }

    #[test]
    fn traversal_and_tricks_refused() {
        for path in [
            "/..",
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/x",
            "/%2E%2e/x",
            "/a/./b",
            "/a%2fb",
            "/a%2Fb",
            "/a%5cb",
            "/a\\b",
            "/a%00b",
            "/c:/windows",
            "/C%3a/x",
            "/a//b",
            "//etc/passwd",
            "/%ff",
            "/%c0%ae%c0%ae/x",
            "http://host/a",
            "a/b",
            "/.env",
            "/.git/config",
            "/a/.hidden/b",
        ] {
            assert_eq!(parse_path(path, false), Err(PathError::Refused), "{path}");
        }
        assert_eq!(segments_hidden("/.env"), [".env"]);
        assert_eq!(parse_path("/..", true), Err(PathError::Refused));
    }

    #[test]
    fn malformed_escape_is_bad_request() {
        for path in ["/%", "/%a", "/%zz", "/a%2/b", "/ok/%g1", "/../%"] {
            assert_eq!(parse_path(path, false), Err(PathError::BadEscape), "{path}");
        }
    }

    #[test]
    fn overlong_path_refused() {
        let long = format!("/{}", "a".repeat(MAX_PATH_BYTES));
        assert_eq!(parse_path(&long, false), Err(PathError::TooLong));
        let fits = format!("/{}", "a".repeat(MAX_PATH_BYTES - 1));
        assert!(parse_path(&fits, false).is_ok());
    }

    #[test]
    fn encoded_segment_decodes_back() {
        for name in ["a b", "a+b", "x#y", "50%", "q?", "café", "<img>", "a/b"] {
            let encoded = encode_segment(name).to_string();
            assert!(!encoded.contains(['/', '?', '#', ' ', '+']), "{encoded}");
            assert_eq!(percent_decode_str(&encoded).decode_utf8().unwrap(), name);
        }
    }
}
