//! Redirects: `ResponseBuilder::redirect_301` … `redirect_308`, a response
//! with the status and a `Location` field (RFC 9110 §15.4).
//!
//! | rule | result | test |
//! |---|---|---|
//! | each shorthand sets its status and `Location`, and no body | — | `each_redirect_sets_status_and_location` |
//! | `Location` is checked as any header value: CR, LF or another control character | `BuildError::InvalidHeaderValue("Location")` | `location_checked_like_any_header_value` |
//!
//! `Location` is written as given: a relative reference (`/login`) is
//! resolved by the client against the request's URL. A location made from
//! client input is an open redirect unless the handler checks it.

use super::ResponseBuilder;

impl ResponseBuilder {
    /// `301 Moved Permanently` to `location`: the resource has a new URL for
    /// good (clients may change a `POST` into a `GET`; [`redirect_308`](Self::redirect_308)
    /// keeps the method).
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::redirect_301("/new").build().unwrap();
    /// assert_eq!((resp.status(), resp.headers().get("Location")), (301, Some("/new")));
    /// ```
    pub fn redirect_301(location: &str) -> ResponseBuilder {
        ResponseBuilder::redirect(301, location)
    }

    /// `302 Found`: a temporary redirect (clients may change a `POST` into
    /// a `GET`; [`redirect_307`](Self::redirect_307) keeps the method).
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::redirect_302("/elsewhere").build().unwrap();
    /// assert_eq!(resp.status(), 302);
    /// ```
    pub fn redirect_302(location: &str) -> ResponseBuilder {
        ResponseBuilder::redirect(302, location)
    }

    /// `303 See Other`: the answer is at `location`, fetched with `GET` (the
    /// redirect after a form `POST`).
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::redirect_303("/todos/7").build().unwrap();
    /// assert_eq!((resp.status(), resp.reason()), (303, "See Other"));
    /// ```
    pub fn redirect_303(location: &str) -> ResponseBuilder {
        ResponseBuilder::redirect(303, location)
    }

    /// `307 Temporary Redirect`: as 302, but the client repeats the same
    /// method and body.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::redirect_307("/v2/upload").build().unwrap();
    /// assert_eq!(resp.status(), 307);
    /// ```
    pub fn redirect_307(location: &str) -> ResponseBuilder {
        ResponseBuilder::redirect(307, location)
    }

    /// `308 Permanent Redirect`: as 301, but the client repeats the same
    /// method and body.
    ///
    /// ```
    /// let resp = mini_async_http::ResponseBuilder::redirect_308("https://example.com/").build().unwrap();
    /// assert_eq!(resp.headers().get("location"), Some("https://example.com/"));
    /// ```
    pub fn redirect_308(location: &str) -> ResponseBuilder {
        ResponseBuilder::redirect(308, location)
    }

    fn redirect(status: u16, location: &str) -> ResponseBuilder {
        ResponseBuilder::new()
            .status(status)
            .header("Location", location)
    }
}

#[cfg(test)]
mod tests {
    use crate::{BuildError, ResponseBuilder};

    #[test]
    fn each_redirect_sets_status_and_location() {
        type Redirect = fn(&str) -> ResponseBuilder;
        let cases: [(Redirect, u16); 5] = [
            (ResponseBuilder::redirect_301, 301),
            (ResponseBuilder::redirect_302, 302),
            (ResponseBuilder::redirect_303, 303),
            (ResponseBuilder::redirect_307, 307),
            (ResponseBuilder::redirect_308, 308),
        ];
        for (redirect, status) in cases {
            let resp = redirect("/to?a=1#f").build().unwrap();
            assert_eq!(resp.status(), status);
            let fields: Vec<_> = resp.headers().iter().collect();
            assert_eq!(fields, [("Location", "/to?a=1#f")]);
            assert!(resp.body().is_empty());
        }
        let more = ResponseBuilder::redirect_303("/x")
            .header("Cache-Control", "no-store")
            .body("see /x")
            .build()
            .unwrap();
        assert_eq!(more.headers().len(), 2);
        assert_eq!(more.body(), b"see /x");
    }

    #[test]
    fn location_checked_like_any_header_value() {
        for bad in ["/a\r\nSet-Cookie: x=1", "/a\nb", "/a\rb", "/\0", "/\u{7f}"] {
            assert_eq!(
                ResponseBuilder::redirect_302(bad).build().unwrap_err(),
                BuildError::InvalidHeaderValue("Location".into()),
                "{bad:?}"
            );
        }
        assert!(
            ResponseBuilder::redirect_302("/caf\u{e9}\tx")
                .build()
                .is_ok()
        );
    }
}
