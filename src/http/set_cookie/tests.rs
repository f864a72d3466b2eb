use super::*;

fn invalid(cookie: SetCookie, part: &'static str) {
    let name = cookie.name().to_owned();
    let expected = BuildError::InvalidCookie { name, part };
    assert_eq!(cookie.to_header_value(), Err(expected.clone()));
    let built = ResponseBuilder::new()
        .header("X-Before", "1")
        .cookie(cookie)
        .body("x")
        .build();
    assert_eq!(built.unwrap_err(), expected);
}

#[test]
fn attribute_order() {
    let every = SetCookie::new("s", "v")
        .same_site(SameSite::Strict)
        .http_only(true)
        .secure(true)
        .expires(UNIX_EPOCH + Duration::from_secs(1))
        .max_age(Duration::from_millis(90_999))
        .domain("example.com")
        .path("/app");
    assert_eq!(
        every.to_header_value().unwrap(),
        "s=v; Path=/app; Domain=example.com; Max-Age=90; \
         Expires=Thu, 01 Jan 1970 00:00:01 GMT; Secure; HttpOnly; SameSite=Strict"
    );
    let resp = ResponseBuilder::new()
        .cookie(
            SetCookie::new("session", "abc")
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax),
        )
        .build()
        .unwrap();
    assert_eq!(
        resp.headers().get("set-cookie"),
        Some("session=abc; Path=/; HttpOnly; SameSite=Lax")
    );
    let empty_path = SetCookie::new("a", "1").path("");
    assert_eq!(empty_path.to_header_value().unwrap(), "a=1; Path=");
    let off = SetCookie::new("a", "")
        .secure(true)
        .secure(false)
        .http_only(false);
    assert_eq!(off.to_header_value().unwrap(), "a=");
}

#[test]
fn expires_is_an_imf_fixdate_clamped() {
    let at = |secs| SetCookie::new("a", "1").expires(UNIX_EPOCH + Duration::from_secs(secs));
    assert_eq!(
        at(1_700_000_000).to_header_value().unwrap(),
        "a=1; Expires=Tue, 14 Nov 2023 22:13:20 GMT"
    );
    let before = UNIX_EPOCH.checked_sub(Duration::from_secs(86_400)).unwrap();
    assert_eq!(
        SetCookie::new("a", "1")
            .expires(before)
            .to_header_value()
            .unwrap(),
        "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    );
    assert_eq!(
        at(400_000_000_000).to_header_value().unwrap(),
        "a=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT"
    );
    assert_eq!(
        SetCookie::removal("gone").to_header_value().unwrap(),
        "gone=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    );
}

#[test]
fn same_site_none_adds_secure() {
    let none = SetCookie::new("a", "1").same_site(SameSite::None);
    assert_eq!(
        none.to_header_value().unwrap(),
        "a=1; Secure; SameSite=None"
    );
    let both = none.clone().secure(true);
    assert_eq!(
        both.to_header_value().unwrap(),
        "a=1; Secure; SameSite=None"
    );
    let lax = SetCookie::new("a", "1").same_site(SameSite::Lax);
    assert_eq!(lax.to_header_value().unwrap(), "a=1; SameSite=Lax");
    // Secure implied by SameSite=None satisfies the __Secure- prefix.
    assert!(
        SetCookie::new("__Secure-a", "1")
            .same_site(SameSite::None)
            .to_header_value()
            .is_ok()
    );
}

#[test]
fn each_cookie_is_a_field() {
    let resp = ResponseBuilder::new()
        .cookie(SetCookie::new("a", "1"))
        .cookie(SetCookie::new("b", "2"))
        .cookie(SetCookie::removal("c"))
        .build()
        .unwrap();
    let fields: Vec<&str> = resp.headers().get_all("Set-Cookie").collect();
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[..2], ["a=1", "b=2"]);
}

#[test]
fn invalid_cookie_refused_by_build() {
    for name in [
        "",
        "a b",
        "a;b",
        "a=b",
        "a,b",
        "(a)",
        "caf\u{e9}",
        "a\r\nX: 1",
    ] {
        invalid(SetCookie::new(name, "v"), "name");
    }
    for value in [
        "a b",
        "a;b",
        "a,b",
        "a\\b",
        "a\"b",
        "\"a",
        "a\"",
        "\"",
        "\u{e9}",
        "a\tb",
        "a\r\nX: 1",
        "\u{7f}",
    ] {
        invalid(SetCookie::new("n", value), "value");
    }
    for path in ["/a;b", "/a\r\n", "/\t", "/\u{e9}", "/\u{7f}"] {
        invalid(SetCookie::new("n", "v").path(path), "Path");
    }
    for domain in ["a.com; Secure", "a.com\n", "\u{e9}.com"] {
        invalid(SetCookie::new("n", "v").domain(domain), "Domain");
    }
    // What cookie-octet allows, quotes around it, and spaces in a path.
    for value in [
        "",
        "\"\"",
        "\"quoted\"",
        "!#$%&'()*+-./09:<=>?@AZ[]^_`az{|}~",
    ] {
        assert!(
            SetCookie::new("n", value).to_header_value().is_ok(),
            "{value:?}"
        );
    }
    assert!(
        SetCookie::new("n", "v")
            .path("/a b")
            .to_header_value()
            .is_ok()
    );
    // The first refusal is the one reported.
    let err = ResponseBuilder::new()
        .cookie(SetCookie::new("first", "a b"))
        .cookie(SetCookie::new("second name", "v"))
        .header("Bad Name", "x")
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        BuildError::InvalidCookie {
            name: "first".into(),
            part: "value"
        }
    );
    assert_eq!(
        err.to_string(),
        "cookie \"first\" cannot be set: invalid value"
    );
}

#[test]
fn prefixed_names_need_their_attributes() {
    let host = |name: &str| SetCookie::new(name, "v").secure(true).path("/");
    assert!(host("__Host-id").to_header_value().is_ok());
    assert!(
        SetCookie::new("__Secure-id", "v")
            .secure(true)
            .to_header_value()
            .is_ok()
    );
    invalid(SetCookie::new("__Secure-id", "v"), "prefix");
    invalid(SetCookie::new("__secure-id", "v").domain("a.com"), "prefix");
    invalid(host("__Host-id").secure(false), "prefix");
    invalid(host("__HOST-id").domain("a.com"), "prefix");
    invalid(host("__Host-id").path("/app"), "prefix");
    invalid(SetCookie::new("__Host-id", "v").secure(true), "prefix");
    // Not a prefix: no dash, or elsewhere in the name.
    assert!(SetCookie::new("__Hostid", "v").to_header_value().is_ok());
    assert!(SetCookie::new("x__Host-id", "v").to_header_value().is_ok());
}
