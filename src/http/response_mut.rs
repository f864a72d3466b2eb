//! Changing a built [`Response`]: its status and header fields, never its
//! body, each change checked by the same rules as
//! [`ResponseBuilder::build`](super::ResponseBuilder::build), so a response
//! that was valid stays valid. This is what code around a handler
//! (middleware) uses to add or rewrite headers on what the handler returned.

use super::response::{body_allowed, field_error};
use super::{BuildError, Response};

impl Response {
    /// Changes the status code; the reason phrase becomes the standard one
    /// of the new status (a custom reason set for the old one is dropped).
    /// The response is unchanged on error.
    ///
    /// # Errors
    /// [`BuildError::InvalidStatus`] outside 200..=999;
    /// [`BuildError::BodyNotAllowed`] for 204 or 304 when the body is not
    /// empty.
    ///
    /// ```
    /// use mini_async_http::{BuildError, ResponseBuilder};
    ///
    /// let mut resp = ResponseBuilder::new().body("gone").build().unwrap();
    /// resp.set_status(410).unwrap();
    /// assert_eq!((resp.status(), resp.reason()), (410, "Gone"));
    /// assert_eq!(resp.set_status(204), Err(BuildError::BodyNotAllowed(204)));
    /// assert_eq!(resp.status(), 410);
    /// ```
    pub fn set_status(&mut self, status: u16) -> Result<(), BuildError> {
        if !(200..=999).contains(&status) {
            return Err(BuildError::InvalidStatus(status));
        }
        if !body_allowed(status, &self.body) {
            return Err(BuildError::BodyNotAllowed(status));
        }
        self.status = status;
        self.reason = None;
        Ok(())
    }

    /// Sets the header field `name` to `value`, replacing every field of that
    /// name (ASCII case-insensitive). The response is unchanged on error.
    ///
    /// # Errors
    /// As [`ResponseBuilder::header`](super::ResponseBuilder::header) would
    /// fail at `build`: [`BuildError::InvalidHeaderName`] for a name that is
    /// not a token, [`BuildError::InvalidHeaderValue`] for a value with CR,
    /// LF or another control character, [`BuildError::ReservedHeader`] for
    /// `Content-Length` and `Transfer-Encoding`.
    ///
    /// ```
    /// use mini_async_http::ResponseBuilder;
    ///
    /// let mut resp = ResponseBuilder::new().header("Cache-Control", "no-cache").build().unwrap();
    /// resp.set_header("cache-control", "max-age=60").unwrap();
    /// assert_eq!(resp.headers().get_all("Cache-Control").collect::<Vec<_>>(), ["max-age=60"]);
    /// assert!(resp.set_header("X-Evil", "a\r\nSet-Cookie: x=1").is_err());
    /// ```
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), BuildError> {
        check_field(name, value)?;
        self.headers_mut().insert(name, value);
        Ok(())
    }

    /// Adds a header field at the end, keeping any others of that name. The
    /// response is unchanged on error.
    ///
    /// # Errors
    /// As [`set_header`](Self::set_header).
    ///
    /// ```
    /// use mini_async_http::{BuildError, ResponseBuilder};
    ///
    /// let mut resp = ResponseBuilder::new().header("Vary", "Accept").build().unwrap();
    /// resp.append_header("Vary", "Origin").unwrap();
    /// assert_eq!(resp.headers().get_all("vary").collect::<Vec<_>>(), ["Accept", "Origin"]);
    /// assert_eq!(
    ///     resp.append_header("Content-Length", "3"),
    ///     Err(BuildError::ReservedHeader("Content-Length".into()))
    /// );
    /// ```
    pub fn append_header(&mut self, name: &str, value: &str) -> Result<(), BuildError> {
        check_field(name, value)?;
        self.headers_mut().append(name, value);
        Ok(())
    }

    /// Removes every header field called `name` (ASCII case-insensitive);
    /// returns how many were removed. The server's own fields (`Date`,
    /// `Content-Length`, `Connection`) are added when the response is
    /// written and cannot be removed here.
    ///
    /// ```
    /// use mini_async_http::ResponseBuilder;
    ///
    /// let mut resp = ResponseBuilder::new().header("Server", "x").build().unwrap();
    /// assert_eq!(resp.remove_header("server"), 1);
    /// assert_eq!(resp.remove_header("server"), 0);
    /// assert!(resp.headers().is_empty());
    /// ```
    pub fn remove_header(&mut self, name: &str) -> usize {
        self.headers
            .as_mut()
            .map_or(0, |headers| headers.remove(name))
    }
}

/// The check of `ResponseBuilder::build` for one field.
fn check_field(name: &str, value: &str) -> Result<(), BuildError> {
    match field_error(name.as_bytes(), value.as_bytes()) {
        Some(error) => Err(error(name.to_owned())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::ResponseBuilder;
    use super::*;

    fn response() -> Response {
        ResponseBuilder::new()
            .reason("Fine")
            .header("X-A", "1")
            .body("body")
            .build()
            .unwrap()
    }

    #[test]
    fn set_status_checks_like_build() {
        let mut resp = response();
        for bad in [0, 100, 199, 1000, u16::MAX] {
            assert_eq!(resp.set_status(bad), Err(BuildError::InvalidStatus(bad)));
        }
        for bodiless in [204, 304] {
            assert_eq!(
                resp.set_status(bodiless),
                Err(BuildError::BodyNotAllowed(bodiless))
            );
        }
        assert_eq!(resp, response(), "a refused change changed the response");

        resp.set_status(999).unwrap();
        assert_eq!((resp.status(), resp.reason()), (999, ""));
        resp.set_status(201).unwrap();
        assert_eq!((resp.status(), resp.reason()), (201, "Created"));
        assert_eq!(resp.body(), b"body");
        assert_eq!(resp.headers().get("x-a"), Some("1"));

        let mut empty = ResponseBuilder::new().build().unwrap();
        empty.set_status(204).unwrap();
        empty.set_status(304).unwrap();
        assert_eq!(empty.status(), 304);
    }

    #[test]
    fn header_changes_check_like_build() {
        type Case = (&'static str, &'static str, fn(String) -> BuildError);
        let cases: [Case; 8] = [
            ("Bad Name", "x", BuildError::InvalidHeaderName),
            ("", "x", BuildError::InvalidHeaderName),
            ("X:Y", "x", BuildError::InvalidHeaderName),
            ("X-B", "a\r\nInjected: 1", BuildError::InvalidHeaderValue),
            ("X-B", "a\nb", BuildError::InvalidHeaderValue),
            ("X-B", "nul\0", BuildError::InvalidHeaderValue),
            ("content-length", "5", BuildError::ReservedHeader),
            ("Transfer-Encoding", "chunked", BuildError::ReservedHeader),
        ];
        let mut resp = response();
        for (name, value, error) in cases {
            let expected = Err(error(name.to_owned()));
            assert_eq!(resp.set_header(name, value), expected, "set {name:?}");
            assert_eq!(resp.append_header(name, value), expected, "append {name:?}");
            let built = ResponseBuilder::new().header(name, value).build();
            assert_eq!(built.map(|_| ()), expected, "build {name:?}");
        }
        assert_eq!(resp, response(), "a refused change changed the response");
    }

    #[test]
    fn header_changes_leave_the_body() {
        let mut resp = response();
        resp.append_header("x-a", "2").unwrap();
        resp.append_header("X-Tab", "a\tb").unwrap();
        assert_eq!(
            resp.headers().get_all("X-A").collect::<Vec<_>>(),
            ["1", "2"]
        );
        resp.set_header("X-A", "3").unwrap();
        assert_eq!(resp.headers().get_all("x-a").collect::<Vec<_>>(), ["3"]);
        assert_eq!(resp.remove_header("X-TAB"), 1);
        assert_eq!(resp.remove_header("X-Missing"), 0);
        assert_eq!(resp.headers().iter().collect::<Vec<_>>(), [("X-A", "3")]);
        assert_eq!(
            (resp.status(), resp.reason(), resp.body()),
            (200, "Fine", &b"body"[..])
        );
    }
}
