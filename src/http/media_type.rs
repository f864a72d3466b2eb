//! The media type of a request's `Content-Type`, for the body readers
//! ([`Request::form`](crate::Request::form), `Request::json`).

use super::{Request, is_token};

/// The `type/subtype` of a `Content-Type` value, without its parameters and
/// the whitespace around it (RFC 9110 §8.3.1); `None` unless both are
/// tokens. Not lowercased: media types compare case-insensitively.
pub(crate) fn essence(content_type: &str) -> Option<(&str, &str)> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim_matches([' ', '\t']);
    let (kind, subtype) = essence.split_once('/')?;
    (is_token(kind) && is_token(subtype)).then_some((kind, subtype))
}

/// Whether `req` has a `Content-Type` and every `Content-Type` field it
/// has names a media type that `accept` takes (two fields that disagree
/// are not guessed between).
pub(crate) fn content_type_is(req: &Request, accept: impl Fn(&str, &str) -> bool) -> bool {
    let mut fields = req.headers().get_all("content-type").peekable();
    fields.peek().is_some()
        && fields.all(|value| essence(value).is_some_and(|(kind, subtype)| accept(kind, subtype)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essence_drops_parameters_and_whitespace() {
        assert_eq!(essence("text/html"), Some(("text", "html")));
        assert_eq!(
            essence(" Application/JSON ; charset=utf-8"),
            Some(("Application", "JSON"))
        );
        assert_eq!(essence("a/b;"), Some(("a", "b")));
        for bad in [
            "",
            "text",
            "text/",
            "/html",
            "te xt/html",
            "text/ht ml",
            "a/b/c",
            ";a/b",
        ] {
            assert_eq!(essence(bad), None, "{bad:?}");
        }
    }
}
