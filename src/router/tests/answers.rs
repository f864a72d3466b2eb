//! The router's own answers: 405, HEAD, OPTIONS, 404, fallback, redirects.

use super::*;

#[test]
fn wrong_method_is_405_with_allow() {
    let router = Router::builder()
        .post("/items/{id}", named("post"))
        .get("/items/{id}", named("get"))
        .delete("/items/{id}", named("delete"))
        .post("/upload", named("upload"))
        .build()
        .unwrap();
    let resp = call(&router, Method::Put, "/items/1");
    assert_eq!(resp.status(), 405);
    assert_eq!(
        header(&resp, "allow"),
        Some("DELETE, GET, HEAD, OPTIONS, POST")
    );
    assert_eq!(body(&resp), "method not allowed");
    for method in [Method::Get, Method::Head] {
        let resp = call(&router, method, "/upload");
        assert_eq!(resp.status(), 405);
        assert_eq!(header(&resp, "allow"), Some("OPTIONS, POST"));
    }
}

#[test]
fn head_uses_get_route() {
    let router = Router::builder()
        .get("/page", |req: &Request| {
            text(req.method().as_str().to_owned())
        })
        .get("/own", named("get"))
        .head("/own", named("head"))
        .build()
        .unwrap();
    let resp = call(&router, Method::Head, "/page");
    assert_eq!((resp.status(), body(&resp)), (200, "HEAD"));
    assert_eq!(body(&call(&router, Method::Head, "/own")), "head");
    assert_eq!(body(&call(&router, Method::Get, "/own")), "get");
}

#[test]
fn options_is_204_with_allow() {
    let router = Router::builder()
        .get("/a", named("get"))
        .put("/a", named("put"))
        .get("/b", named("get b"))
        .options("/b", named("options b"))
        .build()
        .unwrap();
    let resp = call(&router, Method::Options, "/a");
    assert_eq!(resp.status(), 204);
    assert_eq!(header(&resp, "allow"), Some("GET, HEAD, OPTIONS, PUT"));
    assert!(resp.body().is_empty());
    assert_eq!(body(&call(&router, Method::Options, "/b")), "options b");
    assert_eq!(call(&router, Method::Options, "/missing").status(), 404);
}

#[test]
fn options_star_lists_every_method() {
    let purge = Method::from_token("PURGE").unwrap();
    let router = Router::builder()
        .get("/a", named("a"))
        .post("/b", named("b"))
        .route(purge, "/c", named("c"))
        .build()
        .unwrap();
    let resp = call(&router, Method::Options, "*");
    assert_eq!(resp.status(), 204);
    assert_eq!(
        header(&resp, "allow"),
        Some("GET, HEAD, OPTIONS, POST, PURGE")
    );
    let empty = RouterBuilder::new().build().unwrap();
    let resp = call(&empty, Method::Options, "*");
    assert_eq!(header(&resp, "allow"), Some("OPTIONS"));
}

#[test]
fn no_match_is_404() {
    let router = Router::builder().get("/a", named("a")).build().unwrap();
    for target in ["/", "/b", "/a/b", "/A", "relative"] {
        let resp = get(&router, target);
        assert_eq!(resp.status(), 404, "{target}");
        assert_eq!(body(&resp), "not found");
        assert_eq!(
            header(&resp, "content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
}

#[test]
fn fallback_answers_misses() {
    let router = Router::builder()
        .post("/a", named("a"))
        .get("/b", named("b"))
        .fallback(|req| text(format!("fallback {}", req.path())))
        .build()
        .unwrap();
    assert_eq!(body(&get(&router, "/zzz")), "fallback /zzz");
    // A known path with another method is still 405, a near miss still
    // redirected: the fallback is for paths no route knows.
    assert_eq!(get(&router, "/a").status(), 405);
    assert_eq!(get(&router, "/b/").status(), 308);
}

#[test]
fn trailing_slash_redirects() {
    let api = Router::builder()
        .get("/users", named("users"))
        .build()
        .unwrap();
    let router = Router::builder()
        .get("/about", named("about"))
        .get("/docs/", named("docs"))
        .get("/users/{id}", named("user"))
        .mount("/api", api)
        .build()
        .unwrap();
    for (method, target, location) in [
        (Method::Get, "/about/", "/about"),
        (Method::Get, "/about/?a=1&b", "/about?a=1&b"),
        (Method::Post, "/about/", "/about"),
        (Method::Get, "/docs", "/docs/"),
        (Method::Get, "/users/7/", "/users/7"),
        (Method::Get, "/api/users/?x", "/api/users?x"),
    ] {
        let resp = call(&router, method, target);
        assert_eq!(resp.status(), 308, "{target}");
        assert_eq!(header(&resp, "location"), Some(location), "{target}");
        assert!(resp.body().is_empty());
    }
    assert_eq!(get(&router, "/").status(), 404);
    assert_eq!(get(&router, "/about//").status(), 404);

    // Paths about as long as the stack buffer the slash is added in, or
    // longer.
    let paths: Vec<String> = [254, 255, 256, 300]
        .iter()
        .map(|&n| format!("/{}", "d".repeat(n - 1)))
        .collect();
    let mut builder = Router::builder();
    for path in &paths {
        builder = builder.get(&format!("{path}/"), named("long"));
    }
    let router = builder.build().unwrap();
    for path in &paths {
        let resp = get(&router, path);
        let location = format!("{path}/");
        assert_eq!(
            header(&resp, "location"),
            Some(&*location),
            "{}",
            path.len()
        );
    }
}

#[test]
fn redirect_never_leaves_the_host() {
    let router = Router::builder()
        .get("//evil.example", named("odd"))
        .get("/\\evil.example", named("odd too"))
        .build()
        .unwrap();
    assert_eq!(body(&get(&router, "//evil.example")), "odd");
    for target in ["//evil.example/", "/\\evil.example/"] {
        let resp = get(&router, target);
        assert_eq!(resp.status(), 404, "{target}");
        assert_eq!(header(&resp, "location"), None);
    }
    // A hand-built target with a byte no field value may have: no redirect.
    let router = Router::builder().get("/a", named("a")).build().unwrap();
    assert_eq!(get(&router, "/a/?\r\nX: y").status(), 404);
}
