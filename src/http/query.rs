//! The query string (feature `router`): [`Request::query_pairs`],
//! [`Request::query_param`] and the checked [`Request::try_query_pairs`].
//!
//! The query is read with the `application/x-www-form-urlencoded` rules of
//! the WHATWG URL standard (what browsers send for a `GET` form), through
//! `form_urlencoded` (lossy) and `percent-encoding` (checked):
//!
//! | rule | result | test |
//! |---|---|---|
//! | pairs are separated by `&`, in order; empty pieces (`a&&b`, a trailing `&`) are skipped | — | `pairs_in_order_empty_pieces_skipped` |
//! | a piece without `=` is a name with an empty value; only the first `=` splits | — | `name_without_equals_has_empty_value` |
//! | `+` is a space, `%XX` is the byte XX, in names and values | — | `plus_is_space_percent_decoded` |
//! | a malformed escape (`%`, `%4`, `%zz`) is kept literally | — | `malformed_escape_kept_literally` |
//! | invalid UTF-8 after decoding: U+FFFD in `query_pairs`/`query_param` | — | `invalid_utf8_is_lossy_or_400` |
//! | invalid UTF-8 after decoding: `try_query_pairs` fails | 400 | `invalid_utf8_is_lossy_or_400` |
//! | `query_param(name)`: the first value of the name as decoded | — | `query_param_is_the_first_value` |
//! | no `?`, or nothing after it: no pairs | — | `no_query_no_pairs` |
//! | the checked and the lossy readings agree wherever the input is UTF-8 | — | `checked_and_lossy_agree_on_utf8` |
//!
//! Nothing is allocated for a name or value that needs no decoding (it is
//! borrowed from the request-target).

use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::str::Utf8Error;

use percent_encoding::percent_decode;

use super::Request;

/// Decoded `(name, value)` pairs, borrowed from the input where nothing had
/// to be decoded.
pub(crate) type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

impl Request {
    /// The query's `(name, value)` pairs, in order, decoded (`+` is a space,
    /// `%XX` a byte); bytes that are not UTF-8 after decoding become U+FFFD.
    /// [`try_query_pairs`](Self::try_query_pairs) refuses them instead.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    ///
    /// let req = Request::new(Method::Get, "/search?q=caf%C3%A9+au+lait&page=2&tag");
    /// let pairs: Vec<_> = req.query_pairs().collect();
    /// assert_eq!(pairs, [("q".into(), "café au lait".into()), ("page".into(), "2".into()), ("tag".into(), "".into())]);
    /// ```
    pub fn query_pairs(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
        form_urlencoded::parse(self.query().unwrap_or("").as_bytes())
    }

    /// The first value of the query parameter `name` (compared with the
    /// names as decoded), decoded as by [`query_pairs`](Self::query_pairs).
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    ///
    /// let req = Request::new(Method::Get, "/?sort=asc&sort=desc&q=a%2Bb");
    /// assert_eq!(req.query_param("sort").as_deref(), Some("asc"));
    /// assert_eq!(req.query_param("q").as_deref(), Some("a+b"));
    /// assert_eq!(req.query_param("page"), None);
    /// ```
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.query_pairs()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value)
    }

    /// The query's pairs as [`query_pairs`](Self::query_pairs) reads them,
    /// but refusing a name or value that is not UTF-8 once decoded.
    ///
    /// # Errors
    /// [`QueryError::InvalidUtf8`] (a 400 as an [`HttpError`](crate::HttpError)).
    ///
    /// ```
    /// use mini_async_http::{Method, QueryError, Request};
    ///
    /// let req = Request::new(Method::Get, "/?name=J%C3%BCrgen&x=%zz");
    /// let pairs = req.try_query_pairs().unwrap();
    /// assert_eq!(pairs, [("name".into(), "Jürgen".into()), ("x".into(), "%zz".into())]);
    ///
    /// let bad = Request::new(Method::Get, "/?name=%FF");
    /// assert_eq!(bad.try_query_pairs(), Err(QueryError::InvalidUtf8));
    /// ```
    // The whole type says more to a reader than an alias would.
    #[allow(clippy::type_complexity)]
    pub fn try_query_pairs(&self) -> Result<Vec<(Cow<'_, str>, Cow<'_, str>)>, QueryError> {
        decode_pairs(self.query().unwrap_or("").as_bytes()).map_err(|_| QueryError::InvalidUtf8)
    }
}

/// Why [`Request::try_query_pairs`] refused the query.
///
/// ```
/// use mini_async_http::{HttpError, QueryError};
/// assert_eq!(QueryError::InvalidUtf8.status(), 400);
/// assert_eq!(HttpError::from(QueryError::InvalidUtf8).status(), 400);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// A name or value is not UTF-8 after percent-decoding.
    InvalidUtf8,
}

impl QueryError {
    /// The status a client gets for this error: 400.
    ///
    /// ```
    /// assert_eq!(mini_async_http::QueryError::InvalidUtf8.status(), 400);
    /// ```
    #[must_use]
    pub fn status(self) -> u16 {
        400
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::InvalidUtf8 => f.write_str("query is not UTF-8 after percent-decoding"),
        }
    }
}

impl Error for QueryError {}

super::error::status_error!(QueryError);

/// `input` as `application/x-www-form-urlencoded` pairs, failing on the
/// first name or value that is not UTF-8 once decoded. Splits exactly as
/// `form_urlencoded::parse` does; only the decoding of each part differs.
pub(crate) fn decode_pairs(input: &[u8]) -> Result<Pairs<'_>, Utf8Error> {
    input
        .split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(eq) => (&piece[..eq], &piece[eq + 1..]),
                None => (piece, &[][..]),
            };
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

/// One name or value: `+` to space, then percent-decoding (a malformed
/// escape stays as it is), then a strict UTF-8 check.
fn decode(part: &[u8]) -> Result<Cow<'_, str>, Utf8Error> {
    if !part.contains(&b'+') {
        return percent_decode(part).decode_utf8();
    }
    let spaced: Vec<u8> = part
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let decoded = if spaced.contains(&b'%') {
        percent_decode(&spaced).collect()
    } else {
        spaced
    };
    String::from_utf8(decoded)
        .map(Cow::Owned)
        .map_err(|e| e.utf8_error())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;
    use crate::{HttpError, IntoResponse};

    fn get(target: &str) -> Request {
        Request::new(Method::Get, target)
    }

    /// Both readings, as owned strings (the checked one must succeed).
    fn both(target: &str) -> Vec<(String, String)> {
        let req = get(target);
        let lossy: Vec<(String, String)> = req
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let checked: Vec<(String, String)> = req
            .try_query_pairs()
            .unwrap_or_else(|e| panic!("{target}: {e}"))
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(lossy, checked, "{target}");
        lossy
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|&(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn pairs_in_order_empty_pieces_skipped() {
        assert_eq!(
            both("/?b=2&a=1&&b=3&"),
            pairs(&[("b", "2"), ("a", "1"), ("b", "3")])
        );
        assert_eq!(both("/?&&"), pairs(&[]));
    }

    #[test]
    fn name_without_equals_has_empty_value() {
        assert_eq!(
            both("/?flag&x=a=b&=v&e="),
            pairs(&[("flag", ""), ("x", "a=b"), ("", "v"), ("e", "")])
        );
    }

    #[test]
    fn plus_is_space_percent_decoded() {
        assert_eq!(
            both("/?a+b=c+d&%61%3D=%26%2B%20"),
            pairs(&[("a b", "c d"), ("a=", "&+ ")])
        );
        assert_eq!(both("/?q=%C3%A9t%C3%A9"), pairs(&[("q", "été")]));
        // A literal percent sign is sent as %25 and decoded once only.
        assert_eq!(both("/?p=100%2541"), pairs(&[("p", "100%41")]));
    }

    #[test]
    fn malformed_escape_kept_literally() {
        assert_eq!(
            both("/?a=%&b=%4&c=%zz&d=%4g1&e=50%+off"),
            pairs(&[
                ("a", "%"),
                ("b", "%4"),
                ("c", "%zz"),
                ("d", "%4g1"),
                ("e", "50% off")
            ])
        );
    }

    #[test]
    fn invalid_utf8_is_lossy_or_400() {
        for target in ["/?n=%FF", "/?%C3=x", "/?n=ok&n=%C3%28", "/?n=a+%E2%82"] {
            let req = get(target);
            assert_eq!(
                req.try_query_pairs(),
                Err(QueryError::InvalidUtf8),
                "{target}"
            );
            assert!(
                req.query_pairs()
                    .any(|(n, v)| n.contains('\u{FFFD}') || v.contains('\u{FFFD}')),
                "{target}"
            );
            let resp = HttpError::from(req.try_query_pairs().unwrap_err()).into_response();
            assert_eq!(resp.status(), 400);
        }
        assert_eq!(get("/?n=%FF").query_param("n").as_deref(), Some("\u{FFFD}"));
    }

    #[test]
    fn query_param_is_the_first_value() {
        let req = get("/?a=1&a+b=2&a=3&c");
        assert_eq!(req.query_param("a").as_deref(), Some("1"));
        assert_eq!(req.query_param("a b").as_deref(), Some("2"));
        assert_eq!(req.query_param("a+b"), None);
        assert_eq!(req.query_param("c").as_deref(), Some(""));
        assert_eq!(req.query_param("A"), None);
    }

    #[test]
    fn no_query_no_pairs() {
        for target in ["/", "/?", "/path", "*"] {
            assert_eq!(both(target), pairs(&[]), "{target}");
            assert_eq!(get(target).query_param(""), None);
        }
    }

    #[test]
    fn checked_and_lossy_agree_on_utf8() {
        // Every string of three of these pieces decodes the same way through
        // form_urlencoded and through decode_pairs, unless the decoded bytes
        // are not UTF-8 (`%` `a` `a` is the byte 0xAA): then the checked
        // reading fails and the lossy one has a U+FFFD.
        let atoms = [
            "a", "=", "&", "+", "%", "%2", "%20", "%C3%A9", "%zz", "é", "%3D", "%C3",
        ];
        let mut refused = 0;
        for x in atoms {
            for y in atoms {
                for z in atoms {
                    let target = format!("/?{x}{y}{z}");
                    let req = get(&target);
                    if req.try_query_pairs().is_ok() {
                        both(&target);
                    } else {
                        refused += 1;
                        let lossy: String = req.query_pairs().map(|(n, v)| n + v).collect();
                        assert!(lossy.contains('\u{FFFD}'), "{target}");
                    }
                }
            }
        }
        assert!(refused > 0 && refused < atoms.len().pow(3) / 2, "{refused}");
    }

    #[test]
    fn undecoded_parts_are_borrowed() {
        let req = get("/?plain=text&coded=a%20b");
        let pairs = req.try_query_pairs().unwrap();
        assert!(matches!(pairs[0], (Cow::Borrowed(_), Cow::Borrowed(_))));
        assert!(matches!(pairs[1], (Cow::Borrowed(_), Cow::Owned(_))));
    }
}
