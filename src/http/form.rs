//! Form bodies (feature `router`): [`Request::form`] reads an
//! `application/x-www-form-urlencoded` body, what an HTML `<form
//! method="post">` sends.
//!
//! | rule | status | test |
//! |---|---|---|
//! | `Content-Type` is `application/x-www-form-urlencoded`, compared case-insensitively, parameters (`; charset=utf-8`) allowed and ignored | — | `media_type_case_insensitive_parameters_allowed` |
//! | `Content-Type` missing, another media type, or two fields that disagree | 415 | `wrong_or_missing_content_type_is_415` |
//! | the body is split and decoded as a query is (`&`, `=`, `+`, `%XX`; a malformed escape kept literally) | — | `body_decodes_like_a_query` |
//! | a name or value not UTF-8 after decoding | 400 | `invalid_utf8_is_400` |
//! | a body spooled to a file (over `spool_threshold`) | 413 | `spooled_body_is_413` |
//!
//! Only UTF-8 forms are read (what browsers send from a UTF-8 page); a
//! `charset` parameter is not looked at.

use std::borrow::Cow;
use std::error::Error;
use std::fmt;

use super::Request;
use super::media_type::content_type_is;
use super::query::decode_pairs;

impl Request {
    /// The `(name, value)` pairs of an `application/x-www-form-urlencoded`
    /// body, in order, decoded; borrowed from the body where nothing needed
    /// decoding.
    ///
    /// # Errors
    /// [`FormError::UnsupportedMediaType`] (415) when the `Content-Type` is
    /// missing or another type; [`FormError::InvalidUtf8`] (400) when a
    /// name or value is not UTF-8 once decoded; [`FormError::TooLarge`]
    /// (413) when the body was spooled to a file (over the server's
    /// `spool_threshold`). Both convert into an
    /// [`HttpError`](crate::HttpError) for `?`.
    ///
    /// ```
    /// use mini_async_http::{FormError, Method, Request};
    ///
    /// let req = Request::new(Method::Post, "/todos")
    ///     .with_header("Content-Type", "application/x-www-form-urlencoded")
    ///     .with_body("title=Buy+milk&done=on");
    /// let form = req.form().unwrap();
    /// assert_eq!(form, [("title".into(), "Buy milk".into()), ("done".into(), "on".into())]);
    ///
    /// let json = Request::new(Method::Post, "/").with_header("Content-Type", "application/json");
    /// assert_eq!(json.form(), Err(FormError::UnsupportedMediaType));
    /// ```
    // The whole type says more to a reader than an alias would.
    #[allow(clippy::type_complexity)]
    pub fn form(&self) -> Result<Vec<(Cow<'_, str>, Cow<'_, str>)>, FormError> {
        if !content_type_is(self, |kind, subtype| {
            kind.eq_ignore_ascii_case("application")
                && subtype.eq_ignore_ascii_case("x-www-form-urlencoded")
        }) {
            return Err(FormError::UnsupportedMediaType);
        }
        let body = self.try_body().ok_or(FormError::TooLarge)?;
        decode_pairs(body).map_err(|_| FormError::InvalidUtf8)
    }
}

/// Why [`Request::form`] refused the body.
///
/// ```
/// use mini_async_http::{FormError, HttpError};
/// assert_eq!(FormError::UnsupportedMediaType.status(), 415);
/// assert_eq!(HttpError::from(FormError::InvalidUtf8).status(), 400);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormError {
    /// The `Content-Type` is missing or not
    /// `application/x-www-form-urlencoded`: 415.
    UnsupportedMediaType,
    /// A name or value is not UTF-8 after percent-decoding: 400.
    InvalidUtf8,
    /// The body is over the server's `spool_threshold`, so it is in a
    /// temporary file, not memory (read it with
    /// [`Request::body_reader`]): 413.
    TooLarge,
}

impl FormError {
    /// The status a client gets for this error.
    ///
    /// ```
    /// assert_eq!(mini_async_http::FormError::InvalidUtf8.status(), 400);
    /// ```
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            FormError::UnsupportedMediaType => 415,
            FormError::InvalidUtf8 => 400,
            FormError::TooLarge => 413,
        }
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FormError::UnsupportedMediaType => {
                "expected Content-Type: application/x-www-form-urlencoded"
            }
            FormError::InvalidUtf8 => "form is not UTF-8 after percent-decoding",
            FormError::TooLarge => "form body too large",
        })
    }
}

impl Error for FormError {}

super::error::status_error!(FormError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;
    use crate::{HttpError, IntoResponse};

    fn post(content_type: &str, body: &str) -> Request {
        Request::new(Method::Post, "/")
            .with_header("Content-Type", content_type)
            .with_body(body)
    }

    fn owned(pairs: &[(Cow<'_, str>, Cow<'_, str>)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn media_type_case_insensitive_parameters_allowed() {
        for content_type in [
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-URLEncoded",
            "application/x-www-form-urlencoded; charset=utf-8",
            "application/x-www-form-urlencoded ;charset=UTF-8",
            " application/x-www-form-urlencoded\t",
        ] {
            let req = post(content_type, "a=1");
            assert_eq!(
                owned(&req.form().unwrap()),
                [("a".to_owned(), "1".to_owned())],
                "{content_type:?}"
            );
        }
        let repeated = post("application/x-www-form-urlencoded", "a=1").with_header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        assert!(repeated.form().is_ok());
    }

    #[test]
    fn wrong_or_missing_content_type_is_415() {
        for content_type in [
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
            "application/x-www-form-urlencodedx",
            "x-www-form-urlencoded",
            "",
        ] {
            let err = post(content_type, "a=1").form().unwrap_err();
            assert_eq!(err, FormError::UnsupportedMediaType, "{content_type:?}");
        }
        let missing = Request::new(Method::Post, "/").with_body("a=1");
        assert_eq!(missing.form(), Err(FormError::UnsupportedMediaType));
        let disagree = post("application/x-www-form-urlencoded", "a=1")
            .with_header("Content-Type", "text/plain");
        assert_eq!(disagree.form(), Err(FormError::UnsupportedMediaType));

        let resp = missing.form().unwrap_err().into_response();
        assert_eq!(resp.status(), 415);
        assert_eq!(
            resp.body(),
            b"expected Content-Type: application/x-www-form-urlencoded"
        );
    }

    #[test]
    fn body_decodes_like_a_query() {
        let body = "title=Buy+milk+%26+eggs&&note=50%+off&flag&x=%zz&=v";
        let req = post("application/x-www-form-urlencoded", body);
        let query = Request::new(Method::Get, &format!("/?{body}"));
        let form = req.form().unwrap();
        assert_eq!(form, query.try_query_pairs().unwrap());
        assert_eq!(
            owned(&form),
            [
                ("title", "Buy milk & eggs"),
                ("note", "50% off"),
                ("flag", ""),
                ("x", "%zz"),
                ("", "v")
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
        assert!(matches!(form[0].0, Cow::Borrowed("title")));
        assert!(
            post("application/x-www-form-urlencoded", "")
                .form()
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn invalid_utf8_is_400() {
        let escaped = post("application/x-www-form-urlencoded", "name=%C3%28");
        assert_eq!(escaped.form(), Err(FormError::InvalidUtf8));
        let raw = Request::new(Method::Post, "/")
            .with_header("Content-Type", "application/x-www-form-urlencoded")
            .with_body(b"name=\xff".to_vec());
        assert_eq!(raw.form(), Err(FormError::InvalidUtf8));
        assert_eq!(HttpError::from(FormError::InvalidUtf8).status(), 400);
        assert_eq!(raw.form().unwrap_err().into_response().status(), 400);
    }

    #[test]
    fn spooled_body_is_413() {
        let req =
            crate::http::body_reader::spooled("application/x-www-form-urlencoded", "a=1", "form");
        assert_eq!(req.form(), Err(FormError::TooLarge));
        assert_eq!(req.form().unwrap_err().into_response().status(), 413);
    }
}
