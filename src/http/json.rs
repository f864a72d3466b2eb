//! JSON bodies (feature `json`, `serde` + `serde_json`): [`Request::json`]
//! reads one, [`ResponseBuilder::json`] writes one.
//!
//! | rule | status | test |
//! |---|---|---|
//! | `Content-Type` is `application/json` or `application/<anything>+json`, compared case-insensitively, parameters allowed | — | `json_media_types_accepted` |
//! | `Content-Type` missing, another media type, or two fields that disagree | 415 | `other_media_types_are_415` |
//! | a syntax error, an empty or truncated body, trailing data | 400 (`serde_json`'s message) | `syntax_errors_are_400` |
//! | valid JSON of the wrong shape for the target type | 400 (`serde_json`'s message) | `data_errors_are_400` |
//! | a body spooled to a file (over `spool_threshold`) | 413 | `spooled_body_is_413` |
//! | nesting deeper than `serde_json`'s recursion limit (128) | 400, without overflowing a 2 MiB stack | `deep_nesting_is_400_not_a_stack_overflow` |
//! | `ResponseBuilder::json` writes `Content-Type: application/json` and the compact serialization | — | `json_response_body_and_content_type` |
//! | a value that fails to serialize (e.g. a map with non-string keys) | `BuildError::Serialize` from `build()`, a 500 as an [`HttpError`](crate::HttpError) | `serialize_error_surfaces_from_build` |
//!
//! JSON is UTF-8 (RFC 8259 §8.1); a `charset` parameter is not looked at.
//! `serde_json`'s recursion limit stays on (the crate's `unbounded_depth`
//! feature is not enabled), so a body of nested brackets is an error, not a
//! stack overflow in a worker.

use std::error::Error;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::error::Category;

use super::media_type::content_type_is;
use super::{BuildError, Request, ResponseBuilder};

impl Request {
    /// The body as JSON, deserialized into `T` (which may borrow strings
    /// from the body).
    ///
    /// # Errors
    /// [`JsonError::UnsupportedMediaType`] (415) unless the `Content-Type`
    /// is `application/json` or `application/*+json`;
    /// [`JsonError::Syntax`] or [`JsonError::Data`] (400) when the body is
    /// not JSON or not a `T`. All convert into an [`HttpError`](crate::HttpError) for `?`.
    ///
    /// ```
    /// use mini_async_http::{JsonError, Method, Request};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct NewTodo {
    ///     title: String,
    ///     #[serde(default)]
    ///     done: bool,
    /// }
    ///
    /// let req = Request::new(Method::Post, "/todos")
    ///     .with_header("Content-Type", "application/json")
    ///     .with_body(r#"{"title": "Buy milk"}"#);
    /// let todo: NewTodo = req.json().unwrap();
    /// assert_eq!((todo.title.as_str(), todo.done), ("Buy milk", false));
    ///
    /// let bad = req.clone().with_body(r#"{"title": 7}"#);
    /// assert!(matches!(bad.json::<NewTodo>(), Err(JsonError::Data(_))));
    /// ```
    pub fn json<'a, T: Deserialize<'a>>(&'a self) -> Result<T, JsonError> {
        if !content_type_is(self, is_json) {
            return Err(JsonError::UnsupportedMediaType);
        }
        let body = self.try_body().ok_or(JsonError::TooLarge)?;
        serde_json::from_slice(body).map_err(|error| match error.classify() {
            Category::Data => JsonError::Data(error.to_string()),
            Category::Syntax | Category::Eof | Category::Io => JsonError::Syntax(error.to_string()),
        })
    }
}

/// `application/json` or `application/<subtype>+json` (RFC 6839 §3.1),
/// case-insensitively.
fn is_json(kind: &str, subtype: &str) -> bool {
    let suffixed = subtype.len() > "+json".len()
        && subtype
            .get(subtype.len() - "+json".len()..)
            .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"));
    kind.eq_ignore_ascii_case("application") && (subtype.eq_ignore_ascii_case("json") || suffixed)
}

impl ResponseBuilder {
    /// Sets the body to `value` as JSON (compact) and `Content-Type` to
    /// `application/json`.
    ///
    /// A value that cannot be serialized (a map with keys that are not
    /// strings, a `Serialize` impl that fails) makes [`build`](Self::build)
    /// fail with [`BuildError::Serialize`], which is a 500 as an
    /// [`HttpError`](crate::HttpError).
    ///
    /// ```
    /// use mini_async_http::ResponseBuilder;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Todo { id: u32, title: &'static str }
    ///
    /// let resp = ResponseBuilder::new().json(&Todo { id: 7, title: "Buy milk" }).build().unwrap();
    /// assert_eq!(resp.headers().get("Content-Type"), Some("application/json"));
    /// assert_eq!(resp.body(), br#"{"id":7,"title":"Buy milk"}"#);
    /// ```
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> ResponseBuilder {
        match serde_json::to_vec(value) {
            Ok(body) => self.content_type("application/json").body(body),
            Err(error) => self.defer_error(BuildError::Serialize(error.to_string())),
        }
    }
}

/// Why [`Request::json`] refused the body.
///
/// ```
/// use mini_async_http::{HttpError, JsonError};
/// assert_eq!(JsonError::UnsupportedMediaType.status(), 415);
/// let error = HttpError::from(JsonError::Syntax("EOF while parsing a value at line 1 column 0".into()));
/// assert_eq!(error.status(), 400);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// The `Content-Type` is missing or not a JSON media type: 415.
    UnsupportedMediaType,
    /// The body is not JSON (or is empty, truncated, followed by more data,
    /// or nested too deep): 400, with `serde_json`'s message.
    Syntax(String),
    /// The body is JSON but not of the expected shape: 400, with
    /// `serde_json`'s message.
    Data(String),
    /// The body is over the server's `spool_threshold`, so it is in a
    /// temporary file, not memory (deserialize it from
    /// [`Request::body_reader`] with `serde_json::from_reader`): 413.
    TooLarge,
}

impl JsonError {
    /// The status a client gets for this error.
    ///
    /// ```
    /// assert_eq!(mini_async_http::JsonError::Data("missing field".into()).status(), 400);
    /// ```
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            JsonError::UnsupportedMediaType => 415,
            JsonError::Syntax(_) | JsonError::Data(_) => 400,
            JsonError::TooLarge => 413,
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::UnsupportedMediaType => {
                f.write_str("expected Content-Type: application/json")
            }
            JsonError::Syntax(message) => write!(f, "invalid JSON: {message}"),
            JsonError::Data(message) => write!(f, "unexpected JSON: {message}"),
            JsonError::TooLarge => f.write_str("JSON body too large"),
        }
    }
}

impl Error for JsonError {}

super::error::status_error!(JsonError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;
    use crate::{HttpError, IntoResponse};
    use serde_json::Value;
    use std::collections::BTreeMap;

    fn post(content_type: &str, body: &str) -> Request {
        Request::new(Method::Post, "/")
            .with_header("Content-Type", content_type)
            .with_body(body.to_owned())
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item<'a> {
        id: u32,
        name: &'a str,
    }

    #[test]
    fn json_media_types_accepted() {
        for content_type in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            " application/json ;charset=UTF-8",
            "application/problem+json",
            "application/vnd.api+JSON",
            "application/merge-patch+json; x=y",
        ] {
            let req = post(content_type, r#"{"id":1,"name":"a"}"#);
            let item: Item = req
                .json()
                .unwrap_or_else(|e| panic!("{content_type:?}: {e}"));
            assert_eq!(item, Item { id: 1, name: "a" });
        }
    }

    #[test]
    fn other_media_types_are_415() {
        for content_type in [
            "text/json",
            "application/jsonx",
            "application/+json",
            "application/json+xml",
            "application/x-www-form-urlencoded",
            "json",
            "",
        ] {
            let result = post(content_type, "{}").json::<Value>();
            assert_eq!(
                result,
                Err(JsonError::UnsupportedMediaType),
                "{content_type:?}"
            );
        }
        let missing = Request::new(Method::Post, "/").with_body("{}");
        assert_eq!(
            missing.json::<Value>(),
            Err(JsonError::UnsupportedMediaType)
        );
        let disagree = post("application/json", "{}").with_header("Content-Type", "text/plain");
        assert_eq!(
            disagree.json::<Value>(),
            Err(JsonError::UnsupportedMediaType)
        );
        let resp = missing.json::<Value>().unwrap_err().into_response();
        assert_eq!(resp.status(), 415);
        assert_eq!(resp.body(), b"expected Content-Type: application/json");
    }

    #[test]
    fn syntax_errors_are_400() {
        for body in [
            "", "{", "{\"id\":", "[1,]", "{} {}", "nul", "\"\\x\"", "{'a':1}",
        ] {
            let error = post("application/json", body).json::<Value>().unwrap_err();
            assert!(matches!(error, JsonError::Syntax(_)), "{body:?}: {error:?}");
            assert_eq!(error.status(), 400);
        }
        let raw = Request::new(Method::Post, "/")
            .with_header("Content-Type", "application/json")
            .with_body(b"\"\xff\"".to_vec());
        assert!(matches!(raw.json::<Value>(), Err(JsonError::Syntax(_))));
        let error = HttpError::from(post("application/json", "{").json::<Value>().unwrap_err());
        assert_eq!(error.status(), 400);
        assert_eq!(
            error.message(),
            "invalid JSON: EOF while parsing an object at line 1 column 1"
        );
    }

    #[test]
    fn data_errors_are_400() {
        for body in [
            r#"{"id":1}"#,
            r#"{"id":"1","name":"a"}"#,
            "[1,\"a\"]x",
            "[]",
            r#"{"id":-1,"name":"a"}"#,
        ] {
            let error = post("application/json", body).json::<Item>().unwrap_err();
            if body.ends_with('x') {
                // Trailing characters are a syntax error, whatever the type.
                assert!(matches!(error, JsonError::Syntax(_)), "{body}: {error:?}");
            } else {
                assert!(matches!(error, JsonError::Data(_)), "{body}: {error:?}");
            }
            assert_eq!(error.status(), 400);
        }
        let error = post("application/json", r#"{"id":1}"#)
            .json::<Item>()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "unexpected JSON: missing field `name` at line 1 column 8"
        );
    }

    #[test]
    fn deep_nesting_is_400_not_a_stack_overflow() {
        // The default stack of a spawned thread (2 MiB), which is also what
        // a worker has: without the recursion limit this would overflow it.
        let worker = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(|| {
                let deep = "[".repeat(100_000);
                let objects = "{\"a\":".repeat(100_000);
                [deep, objects].map(|body| post("application/json", &body).json::<Value>())
            })
            .unwrap();
        for result in worker.join().expect("the parser overflowed its stack") {
            let error = result.unwrap_err();
            assert!(
                error.to_string().contains("recursion limit exceeded"),
                "{error}"
            );
            assert_eq!(HttpError::from(error).status(), 400);
        }
    }

    #[test]
    fn json_response_body_and_content_type() {
        let mut map = BTreeMap::new();
        map.insert("b", vec![1, 2]);
        map.insert("a", vec![]);
        let resp = ResponseBuilder::new()
            .content_type("text/plain")
            .status(201)
            .json(&map)
            .build()
            .unwrap();
        assert_eq!(resp.status(), 201);
        let types: Vec<_> = resp.headers().get_all("content-type").collect();
        assert_eq!(types, ["application/json"]);
        assert_eq!(resp.body(), br#"{"a":[],"b":[1,2]}"#);
        let unsized_value: &[&str] = &["x\"y"];
        let resp = ResponseBuilder::new().json(unsized_value).build().unwrap();
        assert_eq!(resp.body(), br#"["x\"y"]"#);
    }

    #[test]
    fn serialize_error_surfaces_from_build() {
        let mut map = BTreeMap::new();
        map.insert(vec![1u8], "key is not a string");
        let error = ResponseBuilder::new().json(&map).build().unwrap_err();
        assert_eq!(error, BuildError::Serialize("key must be a string".into()));
        assert_eq!(
            error.to_string(),
            "body not serialized: key must be a string"
        );
        assert_eq!(HttpError::from(error).into_response().status(), 500);
    }

    #[test]
    fn spooled_body_is_413() {
        let req = crate::http::body_reader::spooled("application/json", "{}", "json");
        assert!(matches!(req.json::<Value>(), Err(JsonError::TooLarge)));
        assert_eq!(HttpError::from(JsonError::TooLarge).status(), 413);
    }
}
