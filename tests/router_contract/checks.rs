//! The checks, one per row of the contract table in `examples/router.rs`.

use super::{Req, Transport};
use crate::support::pattern;

/// The default `max_body_bytes`.
const MIB: usize = 1024 * 1024;
const FORM: &str = "application/x-www-form-urlencoded";

pub fn index_is_plain_text(t: &mut dyn Transport) {
    let resp = t.send(Req::get("/"));
    resp.is(200, "index");
    assert_eq!(resp.media_type(), Some("text/plain"), "{}", resp.context);
}

pub fn user_id_is_decoded(t: &mut dyn Transport) {
    for (target, body) in [
        ("/users/7", "user 7"),
        ("/users/caf%C3%A9", "user café"),
        ("/users/a%2Fb", "user a/b"),
        ("/users/a+b%20c", "user a+b c"),
        ("/users/%ZZ", "user %ZZ"),
        ("/users/%4", "user %4"),
        ("/users/x%4G%", "user x%4G%"),
    ] {
        t.send(Req::get(target)).is(200, body);
    }
    for target in ["/users/%FF", "/users/a%C3", "/users/%C0%AF"] {
        t.send(Req::get(target)).status_is(400);
    }
}

pub fn post_users_counts_from_one(t: &mut dyn Transport) {
    t.send(Req::post("/users", "alice").header("Content-Type", "text/plain"))
        .is(201, "alice")
        .has("location", "/users/1")
        .has("content-type", "text/plain");
    t.send(Req::post("/users", "bob"))
        .is(201, "bob")
        .has("location", "/users/2");
    t.send(Req::post("/users", ""))
        .is(201, "")
        .has("location", "/users/3");
    // Reading a user does not take a number.
    t.send(Req::get("/users/3")).is(200, "user 3");
    t.send(Req::post("/users", "carol"))
        .has("location", "/users/4");
}

pub fn delete_user_is_204(t: &mut dyn Transport) {
    for target in ["/users/1", "/users/a%2Fb"] {
        let resp = t.send(Req::new("DELETE", target));
        resp.is(204, "");
        assert_eq!(resp.header("content-length"), None, "{}", resp.context);
    }
}

pub fn files_catch_all_keeps_slashes(t: &mut dyn Transport) {
    for (target, body) in [
        ("/files/a.txt", "file a.txt"),
        ("/files/a/b/c.txt", "file a/b/c.txt"),
        ("/files/a%2Fb/c%20d", "file a/b/c d"),
        ("/files/docs/caf%C3%A9.md", "file docs/café.md"),
        ("/files/%ZZ/x%4", "file %ZZ/x%4"),
        ("/files/a//b", "file a//b"),
    ] {
        t.send(Req::get(target)).is(200, body);
    }
    t.send(Req::get("/files/")).is(404, "not found");
    t.send(Req::get("/files")).is(404, "not found");
    t.send(Req::get("/files/ok/%FF")).status_is(400);
}

pub fn search_lists_decoded_query_pairs(t: &mut dyn Transport) {
    for (target, body) in [
        ("/search", ""),
        ("/search?", ""),
        ("/search?q=rust", "q=rust\n"),
        (
            "/search?q=caf%C3%A9+au+lait&page=2&tag",
            "q=café au lait\npage=2\ntag=\n",
        ),
        ("/search?b=1&a=2&b=3", "b=1\na=2\nb=3\n"),
        ("/search?x=%ZZ&y=%4&z=a%2Bb%26c", "x=%ZZ\ny=%4\nz=a+b&c\n"),
        ("/search?k=a=b&&", "k=a=b\n"),
    ] {
        let resp = t.send(Req::get(target));
        resp.is(200, body);
        assert_eq!(resp.media_type(), Some("text/plain"), "{}", resp.context);
    }
    for target in ["/search?q=%FF", "/search?%C3=x"] {
        t.send(Req::get(target)).status_is(400);
    }
}

pub fn form_lists_decoded_pairs(t: &mut dyn Transport) {
    let form = |body: &str| Req::post("/form", body).header("Content-Type", FORM);
    t.send(form("title=Buy+milk&done=on"))
        .is(200, "title=Buy milk\ndone=on\n");
    t.send(form("e=caf%C3%A9&x=%ZZ&y=%4&&z"))
        .is(200, "e=café\nx=%ZZ\ny=%4\nz=\n");
    t.send(form("")).is(200, "");
    t.send(Req::post("/form", "a=1").header(
        "Content-Type",
        "Application/X-WWW-Form-Urlencoded; charset=utf-8",
    ))
    .is(200, "a=1\n");
    t.send(form("a=%FF")).status_is(400);
    for content_type in ["text/plain", "application/json", "multipart/form-data"] {
        t.send(Req::post("/form", "a=1").header("Content-Type", content_type))
            .status_is(415);
    }
    t.send(Req::post("/form", "a=1")).status_is(415);
}

pub fn cookies_are_listed_in_order(t: &mut dyn Transport) {
    t.send(Req::get("/cookies")).is(200, "");
    t.send(Req::get("/cookies").header("Cookie", "session=abc; theme=dark"))
        .is(200, "session=abc\ntheme=dark\n");
    t.send(
        Req::get("/cookies")
            .header("Cookie", "b=2; a=1")
            .header("Cookie", "c=%41; b=3"),
    )
    .is(200, "b=2\na=1\nc=%41\nb=3\n");
}

pub fn login_sets_the_session_cookie(t: &mut dyn Transport) {
    let resp = t.send(Req::get("/login"));
    resp.status_is(200)
        .has("set-cookie", "session=abc; Path=/; HttpOnly; SameSite=Lax");
    let cookies = resp
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .count();
    assert_eq!(cookies, 1, "{}", resp.context);
}

pub fn get_json_is_ok_true(t: &mut dyn Transport) {
    let resp = t.send(Req::get("/json"));
    resp.is(200, r#"{"ok":true}"#);
    assert_eq!(
        resp.media_type(),
        Some("application/json"),
        "{}",
        resp.context
    );
}

fn json(body: &str, content_type: &str) -> Req {
    Req::post("/json", body).header("Content-Type", content_type)
}

pub fn post_json_increments_n(t: &mut dyn Transport) {
    for (body, answer) in [
        (r#"{"n":1}"#, r#"{"n":2}"#),
        (r#"{ "n" : -5 }"#, r#"{"n":-4}"#),
        (r#"{"n":0,"other":[1,{"x":null}]}"#, r#"{"n":1}"#),
        (
            r#"{"n":9223372036854775806}"#,
            r#"{"n":9223372036854775807}"#,
        ),
        (
            r#"{"n":-9223372036854775808}"#,
            r#"{"n":-9223372036854775807}"#,
        ),
    ] {
        let resp = t.send(json(body, "application/json"));
        resp.is(200, answer);
        assert_eq!(
            resp.media_type(),
            Some("application/json"),
            "{}",
            resp.context
        );
    }
    for content_type in [
        "application/vnd.x+json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/problem+json",
    ] {
        t.send(json(r#"{"n":41}"#, content_type))
            .is(200, r#"{"n":42}"#);
    }
}

pub fn post_json_refuses_bad_input(t: &mut dyn Transport) {
    for body in [
        "",
        "{",
        r#"{"n":1"#,
        r#"{"n":1} x"#,
        "not json",
        "[1]",
        r#"[{"n":1}]"#,
        "1",
        r#""n""#,
        "null",
        "{}",
        r#"{"m":1}"#,
        r#"{"n":null}"#,
        r#"{"n":"1"}"#,
        r#"{"n":1.5}"#,
        r#"{"n":1e3}"#,
        r#"{"n":true}"#,
        r#"{"n":9223372036854775807}"#,
        r#"{"n":9223372036854775808}"#,
        r#"{"n":-9223372036854775809}"#,
    ] {
        t.send(json(body, "application/json")).status_is(400);
    }
}

pub fn post_json_other_media_type_is_415(t: &mut dyn Transport) {
    for content_type in ["text/plain", "application/jsonx", "text/json", FORM] {
        t.send(json(r#"{"n":1}"#, content_type)).status_is(415);
    }
    t.send(Req::post("/json", r#"{"n":1}"#)).status_is(415);
}

pub fn admin_requires_the_bearer_token(t: &mut dyn Transport) {
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Basic c2VjcmV0"),
        Some("Bearer"),
        Some("secret"),
    ] {
        for target in ["/admin/users", "/admin/", "/admin/a/b"] {
            let mut req = Req::get(target);
            if let Some(auth) = auth {
                req = req.header("Authorization", auth);
            }
            t.send(req)
                .is(401, "unauthorized")
                .has("www-authenticate", "Bearer");
        }
    }
    let admin = |target: &str| Req::get(target).header("Authorization", "Bearer secret");
    t.send(admin("/admin/users")).is(200, "admin users");
    t.send(admin("/admin/a/b%20c/caf%C3%A9"))
        .is(200, "admin a/b c/café");
    t.send(admin("/admin/a%2Fb")).is(200, "admin a/b");
    t.send(admin("/admin/%ZZ")).is(200, "admin %ZZ");
    t.send(admin("/admin/")).is(404, "not found");
    t.send(admin("/admin/%FF")).status_is(400);
    t.send(Req::get("/admin/x").header("Authorization", "bearer secret"))
        .is(200, "admin x");
    // The middleware answers before the admin router says what is there.
    t.send(Req::post("/admin/x", "")).status_is(401);
    t.send(Req::post("/admin/x", "").header("Authorization", "Bearer secret"))
        .status_is(405)
        .has("allow", "GET, HEAD, OPTIONS");
}

pub fn body_limit_is_one_mebibyte_inclusive(t: &mut dyn Transport) {
    let body = pattern(MIB);
    let resp = t.send(Req::post("/users", body.clone()));
    resp.status_is(201).has("location", "/users/1");
    assert!(
        resp.body == body,
        "{}: the 1 MiB body came back changed",
        resp.context
    );
    t.send(Req::post("/users", vec![b'x'; MIB + 1]))
        .status_is(413);

    let mut form = b"a=".to_vec();
    form.resize(MIB, b'y');
    let resp = t.send(Req::post("/form", form).header("Content-Type", FORM));
    resp.status_is(200);
    // One line: the name, the 1 MiB - 2 value, and the newline.
    assert_eq!(resp.body.len(), MIB + 1, "{}", resp.context);
    assert!(resp.body.starts_with(b"a=yyy") && resp.body.ends_with(b"yyy\n"));
    t.send(Req::post("/form", vec![b'a'; MIB + 1]).header("Content-Type", FORM))
        .status_is(413);

    let mut json = br#"{"n":1}"#.to_vec();
    json.resize(MIB, b' ');
    t.send(Req::post("/json", json).header("Content-Type", "application/json"))
        .is(200, r#"{"n":2}"#);
    let mut json = br#"{"n":1}"#.to_vec();
    json.resize(MIB + 1, b' ');
    t.send(Req::post("/json", json).header("Content-Type", "application/json"))
        .status_is(413);

    // A route that reads no body, and one that does not exist: the limit is
    // the server's, before any routing.
    t.send(Req::new("DELETE", "/users/1").body(vec![0; MIB + 1]))
        .status_is(413);
    t.send(Req::post("/nowhere", vec![0; MIB + 1]))
        .status_is(413);
    // The refused bodies took no user number.
    t.send(Req::post("/users", "next"))
        .has("location", "/users/2");
}

pub fn other_paths_are_404(t: &mut dyn Transport) {
    for target in [
        "/nope",
        "/index.html",
        "/users/1/posts",
        "/USERS/1",
        "/search/x",
        "/json/x",
        "/%FF",
    ] {
        let resp = t.send(Req::get(target));
        resp.is(404, "not found");
        assert_eq!(resp.media_type(), Some("text/plain"), "{}", resp.context);
    }
    t.send(Req::post("/nope", "x")).is(404, "not found");
}

pub fn wrong_method_is_405_with_allow(t: &mut dyn Transport) {
    for (method, target, allow) in [
        ("PUT", "/users/1", "DELETE, GET, HEAD, OPTIONS"),
        ("POST", "/users/1", "DELETE, GET, HEAD, OPTIONS"),
        ("GET", "/users", "OPTIONS, POST"),
        ("DELETE", "/", "GET, HEAD, OPTIONS"),
        ("PATCH", "/json", "GET, HEAD, OPTIONS, POST"),
        ("GET", "/form", "OPTIONS, POST"),
        ("POST", "/files/a/b", "GET, HEAD, OPTIONS"),
        ("DELETE", "/search?q=1", "GET, HEAD, OPTIONS"),
    ] {
        let mut req = Req::new(method, target);
        if method != "GET" && method != "DELETE" {
            req = req.body("");
        }
        t.send(req).status_is(405).has("allow", allow);
    }
}

pub fn options_is_204_with_allow(t: &mut dyn Transport) {
    for (target, allow) in [
        ("/", "GET, HEAD, OPTIONS"),
        ("/users", "OPTIONS, POST"),
        ("/users/9", "DELETE, GET, HEAD, OPTIONS"),
        ("/json", "GET, HEAD, OPTIONS, POST"),
    ] {
        let resp = t.send(Req::new("OPTIONS", target));
        resp.is(204, "").has("allow", allow);
        assert_eq!(resp.header("content-length"), None, "{}", resp.context);
    }
    if t.sends_asterisk() {
        t.send(Req::new("OPTIONS", "*"))
            .is(204, "")
            .has("allow", "DELETE, GET, HEAD, OPTIONS, POST");
    }
    // Behind the middleware, OPTIONS is refused without the token too.
    t.send(Req::new("OPTIONS", "/admin/x")).status_is(401);
}

pub fn head_has_no_body(t: &mut dyn Transport) {
    for (target, status, get_body) in [
        ("/", 200, "index"),
        ("/users/caf%C3%A9", 200, "user café"),
        ("/json", 200, r#"{"ok":true}"#),
        ("/nope", 404, "not found"),
    ] {
        let get = t.send(Req::get(target));
        get.is(status, get_body);
        // The GET answer without its body: same status and fields, the
        // length of the body it would have had.
        let head = t.send(Req::new("HEAD", target));
        head.is(status, "")
            .has("content-length", &get_body.len().to_string());
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{}",
            head.context
        );
        // The next request on the connection is read right: no body bytes
        // followed the HEAD answer.
        t.send(Req::get("/")).is(200, "index");
    }
}

pub fn trailing_slash_redirects(t: &mut dyn Transport) {
    for (target, location) in [
        ("/users/7/", "/users/7"),
        ("/search/?q=a%20b", "/search?q=a%20b"),
        ("/json/", "/json"),
        ("/admin", "/admin/"),
    ] {
        t.send(Req::get(target))
            .status_is(308)
            .has("location", location);
    }
}
