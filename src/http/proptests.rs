//! Property tests of the request conveniences: on any input the readers do
//! not panic, the checked query/form reading agrees with the lossy one
//! wherever the decoded bytes are UTF-8, and a cookie that `SetCookie`
//! accepts is read back by `Request::cookie` as it was set. Bounded
//! (`CASES` each).

use proptest::prelude::*;

use super::{Method, Request, ResponseBuilder, SetCookie};

const CASES: u32 = 512;

/// Bytes a query or form is made of, weighted towards the ones that mean
/// something to the decoder.
fn urlencoded() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("&".to_owned()),
            Just("=".to_owned()),
            Just("+".to_owned()),
            Just("%".to_owned()),
            "%[0-9a-fA-F]{2}",
            "%[0-9a-fA-Fg-z]{0,2}",
            "[a-z0-9]{1,3}",
            "[é€]",
        ],
        0..12,
    )
    .prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// The checked query reading is the lossy one where it succeeds, and
    /// fails only where the lossy one had to replace bytes.
    #[cfg(feature = "router")]
    #[test]
    fn checked_query_agrees_with_lossy(query in urlencoded()) {
        let req = Request::new(Method::Get, &format!("/?{query}"));
        let lossy: Vec<_> = req.query_pairs().collect();
        if let Ok(checked) = req.try_query_pairs() {
            prop_assert_eq!(checked, lossy);
        } else {
            let replaced = lossy.iter().any(|(n, v)| n.contains('\u{FFFD}') || v.contains('\u{FFFD}'));
            prop_assert!(replaced, "refused, but nothing replaced: {:?}", lossy);
        }
    }

    /// A form body of any bytes is read or refused, never a panic; read, it
    /// is what the same text as a query gives.
    #[cfg(feature = "router")]
    #[test]
    fn form_of_any_bytes(body in proptest::collection::vec(any::<u8>(), 0..64), text in urlencoded()) {
        let content_type = "application/x-www-form-urlencoded";
        let raw = Request::new(Method::Post, "/").with_header("Content-Type", content_type).with_body(body);
        let _ = raw.form();
        let form = Request::new(Method::Post, "/").with_header("Content-Type", content_type).with_body(text.clone());
        let query = Request::new(Method::Get, &format!("/?{text}"));
        prop_assert_eq!(form.form().ok(), query.try_query_pairs().ok());
    }

    /// Whatever the `Cookie` field holds, every cookie read has a non-empty
    /// name without `;`, `=` or surrounding whitespace.
    #[test]
    fn cookies_of_any_field(field in "[ -~\t]{0,40}") {
        let req = Request::new(Method::Get, "/").with_header("Cookie", &field);
        for (name, value) in req.cookies() {
            prop_assert!(!name.is_empty());
            prop_assert!(!name.contains([';', '=']));
            prop_assert_eq!(name.trim_matches([' ', '\t']), name);
            prop_assert!(!value.contains(';'));
        }
    }

    /// A cookie that `SetCookie` writes comes back from `Request::cookie`
    /// with its value (quotes removed), among other cookies; one it refuses
    /// makes `build` fail.
    #[test]
    fn set_cookie_round_trips(name in "[ -~]{0,6}", value in "[ -~]{0,8}", path in "[ -~]{0,6}") {
        let cookie = SetCookie::new(name.clone(), value.clone()).path(path);
        let Ok(line) = cookie.to_header_value() else {
            prop_assert!(ResponseBuilder::new().cookie(cookie).build().is_err());
            return Ok(());
        };
        // What a browser sends back: the name=value part.
        let pair = line.split(';').next().unwrap_or_default();
        let req = Request::new(Method::Get, "/")
            .with_header("Cookie", &format!("before=1; {pair}; after=2"));
        let expected = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(&value);
        prop_assert_eq!(req.cookie(&name), Some(expected));
        let resp = ResponseBuilder::new().cookie(cookie).build().unwrap();
        prop_assert_eq!(resp.headers().get("Set-Cookie"), Some(line.as_str()));
    }
}
