//! Cookies sent by the client (no dependency): [`Request::cookies`] and
//! [`Request::cookie`] read every `Cookie` field. Writing them is
//! [`SetCookie`](crate::SetCookie)'s (`set_cookie/`).
//!
//! | rule | result | test |
//! |---|---|---|
//! | `Cookie` is split at `;`; whitespace around names and values is dropped (RFC 6265 §5.4 writes `"; "`, lenient on the spaces) | — | `cookies_split_and_trimmed` |
//! | every `Cookie` field counts, in order | — | `cookies_across_fields_in_order` |
//! | a piece without `=`, or with an empty name, is skipped | — | `pieces_without_name_skipped` |
//! | one pair of `"` around a value is removed (RFC 6265 §4.1.1) | — | `quotes_around_value_stripped` |
//! | values are not decoded; `cookie(name)` is the first of that name (names are case-sensitive) | — | `cookie_is_the_first_of_its_name` |
//!
//! Nothing is allocated: names and values are borrowed from the fields.

use super::Request;

impl Request {
    /// The request's cookies as `(name, value)`, in order, from every
    /// `Cookie` field; values as sent (not decoded), without surrounding
    /// quotes.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    ///
    /// let req = Request::new(Method::Get, "/").with_header("Cookie", "session=abc; theme=\"dark\"");
    /// assert_eq!(req.cookies().collect::<Vec<_>>(), [("session", "abc"), ("theme", "dark")]);
    /// ```
    pub fn cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers()
            .get_all("cookie")
            .flat_map(|field| field.split(';'))
            .filter_map(|piece| {
                let (name, value) = piece.split_once('=')?;
                let name = name.trim_matches(is_ows);
                let value = value.trim_matches(is_ows);
                let value = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(value);
                (!name.is_empty()).then_some((name, value))
            })
    }

    /// The value of the first cookie called `name` (case-sensitive).
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    ///
    /// let req = Request::new(Method::Get, "/").with_header("Cookie", "id=1; id=2");
    /// assert_eq!(req.cookie("id"), Some("1"));
    /// assert_eq!(req.cookie("ID"), None);
    /// ```
    #[must_use]
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// Optional whitespace.
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    fn with_cookies(fields: &[&str]) -> Request {
        fields
            .iter()
            .fold(Request::new(Method::Get, "/"), |req, field| {
                req.with_header("Cookie", field)
            })
    }

    fn all(fields: &[&str]) -> Vec<(String, String)> {
        with_cookies(fields)
            .cookies()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|&(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn cookies_split_and_trimmed() {
        assert_eq!(
            all(&["a=1; b=2;c=3 ;  d = 4\t;\te=5;"]),
            pairs(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")])
        );
        // Only the first `=` splits; the rest belongs to the value.
        assert_eq!(all(&["t=a=b=="]), pairs(&[("t", "a=b==")]));
        assert_eq!(all(&["e="]), pairs(&[("e", "")]));
    }

    #[test]
    fn cookies_across_fields_in_order() {
        let req = with_cookies(&["a=1; b=2", "c=3"]).with_header("cookie", "d=4");
        let names: Vec<&str> = req.cookies().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        assert_eq!(req.cookie("d"), Some("4"));
        let none = Request::new(Method::Get, "/").with_header("Cookies", "a=1");
        assert_eq!(none.cookies().count(), 0);
    }

    #[test]
    fn pieces_without_name_skipped() {
        assert_eq!(
            all(&["lonely; =nameless; ;;  ; a=1; ok=2; = "]),
            pairs(&[("a", "1"), ("ok", "2")])
        );
        assert_eq!(all(&[""]), pairs(&[]));
    }

    #[test]
    fn quotes_around_value_stripped() {
        assert_eq!(
            all(&[r#"a="x"; b=""; c="; d="open; e=close"; f=""q"""#]),
            pairs(&[
                ("a", "x"),
                ("b", ""),
                ("c", "\""),
                ("d", "\"open"),
                ("e", "close\""),
                ("f", "\"q\"")
            ])
        );
    }

    #[test]
    fn cookie_is_the_first_of_its_name() {
        let req = with_cookies(&["id=%41+b; ID=upper", "id=second"]);
        assert_eq!(req.cookie("id"), Some("%41+b"));
        assert_eq!(req.cookie("ID"), Some("upper"));
        assert_eq!(req.cookie("Id"), None);
        assert_eq!(req.cookie(""), None);
    }
}
