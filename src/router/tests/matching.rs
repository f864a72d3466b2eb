//! Patterns, parameters and their decoding.

use super::*;

#[test]
fn routes_by_method_and_pattern() {
    struct Health;
    impl Handler for Health {
        fn call(&self, _: &Request) -> Response {
            text("healthy")
        }
    }
    let purge = Method::from_token("PURGE").unwrap();
    let router = Router::builder()
        .get("/items", named("list"))
        .post("/items", named("create"))
        .put("/items/{id}", named("replace"))
        .patch("/items/{id}", named("update"))
        .delete("/items/{id}", named("delete"))
        .route(purge.clone(), "/items", named("purge"))
        .handler(Method::Get, "/health", Health)
        .build()
        .unwrap();
    assert_eq!(body(&get(&router, "/items")), "list");
    assert_eq!(body(&call(&router, Method::Post, "/items")), "create");
    assert_eq!(
        body(&call(&router, Method::Put, "/items/3")),
        "replace id=3"
    );
    assert_eq!(
        body(&call(&router, Method::Patch, "/items/3")),
        "update id=3"
    );
    assert_eq!(
        body(&call(&router, Method::Delete, "/items/3")),
        "delete id=3"
    );
    assert_eq!(body(&call(&router, purge, "/items")), "purge");
    assert_eq!(body(&get(&router, "/health")), "healthy");
}

#[test]
fn query_is_not_matched() {
    let router = Router::builder()
        .get("/search", named("search"))
        .get("/users/{id}", named("user"))
        .build()
        .unwrap();
    assert_eq!(body(&get(&router, "/search?q=a/b")), "search");
    assert_eq!(body(&get(&router, "/users/7?tab=posts")), "user id=7");
    assert_eq!(body(&get(&router, "/users/7?")), "user id=7");
}

#[test]
fn static_beats_param_beats_catch_all() {
    let router = Router::builder()
        .get("/users/new", named("new"))
        .get("/users/{id}", named("user"))
        .get("/{*rest}", named("rest"))
        .build()
        .unwrap();
    assert_eq!(body(&get(&router, "/users/new")), "new");
    assert_eq!(body(&get(&router, "/users/newer")), "user id=newer");
    assert_eq!(body(&get(&router, "/users/7")), "user id=7");
    assert_eq!(body(&get(&router, "/users/7/x")), "rest rest=users/7/x");
    assert_eq!(body(&get(&router, "/other")), "rest rest=other");
}

#[test]
fn params_are_percent_decoded() {
    let router = Router::builder()
        .get("/users/{id}", named("user"))
        .get("/img-{n}.png", named("img"))
        .get("/static", named("static"))
        .build()
        .unwrap();
    for (target, expected) in [
        ("/users/a%2Fb", "a/b"),
        ("/users/a%2fb", "a/b"),
        ("/users/a+b", "a+b"),
        ("/users/a%2Bb", "a+b"),
        ("/users/a%20b", "a b"),
        ("/users/caf%C3%A9", "caf\u{e9}"),
        ("/users/%41%42", "AB"),
    ] {
        assert_eq!(
            body(&get(&router, target)),
            format!("user id={expected}"),
            "{target}"
        );
    }
    assert_eq!(body(&get(&router, "/img-%31.png")), "img n=1");

    // Borrowed from the target where nothing was decoded; copied where it was.
    let req = Request::new(Method::Get, "/users/plain");
    router.call(&req);
    assert_eq!(stored(&req), [ValueRef::Raw(7..12)]);
    assert_eq!(req.route.last().unwrap().names, [Box::from("id")]);
    let req = Request::new(Method::Get, "/users/a%20b");
    router.call(&req);
    assert_eq!(stored(&req), [ValueRef::Decoded("a b")]);

    // A static route without a mount stores nothing in the request.
    let req = Request::new(Method::Get, "/static");
    assert_eq!(body(&router.call(&req)), "static");
    assert!(req.route.last().is_none());
}

#[test]
fn one_param_is_a_borrowed_range_stored_inline() {
    let api = Router::builder()
        .get("/users/{id}", named("api"))
        .build()
        .unwrap();
    let router = Router::builder()
        .get("/users/{id}", named("user"))
        .get("/{a}/{b}/{c}/{d}/{e}", named("five"))
        .mount("/api/{v}", api)
        .build()
        .unwrap();
    // No `%`: a range of the target, stored as integers in the request
    // itself, under the route's own names (shared, not copied).
    let first = Request::new(Method::Get, "/users/42");
    assert_eq!(body(&router.call(&first)), "user id=42");
    assert_eq!(stored(&first), [ValueRef::Raw(7..9)]);
    let second = Request::new(Method::Get, "/users/7");
    router.call(&second);
    assert!(first.route.compact_levels() == 1 && second.route.compact_levels() == 1);
    let (one, two) = (first.route.last().unwrap(), second.route.last().unwrap());
    let names = one.names.as_ptr();
    assert_eq!(two.names.as_ptr(), names);

    // So are a mount's and its router's.
    let req = Request::new(Method::Get, "/api/v2/users/9");
    assert_eq!(body(&router.call(&req)), "api v=v2 id=9");
    assert_eq!(req.route.compact_levels(), 2);

    // A decoded value is copied; past the inline values, the rest goes to
    // the heap, in order.
    let req = Request::new(Method::Get, "/users/%41");
    assert_eq!(body(&router.call(&req)), "user id=A");
    assert!(req.route.compact_levels() == 0 && !req.route.last().unwrap().is_ranges());
    let req = Request::new(Method::Get, "/1/2/3/4/5");
    assert_eq!(body(&router.call(&req)), "five a=1 b=2 c=3 d=4 e=5");
    assert!(req.route.compact_levels() == 0 && !req.route.last().unwrap().is_ranges());

    // A cleared request (the server reuses one per connection) keeps
    // nothing of its last route, and routed again to the same route finds
    // its names where they were.
    let mut req = first;
    req.clear();
    assert!(req.route.last().is_none());
    assert_eq!(req.params().count(), 0);
    req.target.push_str("/users/8");
    req.path_len = req.target.len();
    assert_eq!(body(&router.call(&req)), "user id=8");
    assert_eq!(req.route.compact_levels(), 1);
    assert_eq!(req.route.last().unwrap().names.as_ptr(), names);
}

#[test]
fn malformed_escapes_are_kept() {
    let router = Router::builder()
        .get("/users/{id}", named("user"))
        .build()
        .unwrap();
    for (target, expected) in [
        ("/users/%ZZ", "%ZZ"),
        ("/users/a%4", "a%4"),
        ("/users/%4g", "%4g"),
        ("/users/100%", "100%"),
        ("/users/%%41", "%A"),
    ] {
        assert_eq!(
            body(&get(&router, target)),
            format!("user id={expected}"),
            "{target}"
        );
    }
}

#[test]
fn param_not_utf8_is_400() {
    let router = Router::builder()
        .get("/users/{id}", named("user"))
        .get("/files/{*path}", named("file"))
        .mount("/m/{x}", named("mount"))
        .build()
        .unwrap();
    for target in [
        "/users/%FF",
        "/users/a%C3",
        "/files/ok/%C3%28",
        "/m/%80/below",
    ] {
        let resp = get(&router, target);
        assert_eq!(resp.status(), 400, "{target}");
        assert!(body(&resp).contains("not UTF-8"), "{target}");
    }
}

#[test]
fn catch_all_is_the_rest() {
    let router = Router::builder()
        .get("/files/{*path}", named("file"))
        .build()
        .unwrap();
    assert_eq!(
        body(&get(&router, "/files/a/b%2Fc/d%20e")),
        "file path=a/b/c/d e"
    );
    assert_eq!(body(&get(&router, "/files/a//b/")), "file path=a//b/");
    let req = Request::new(Method::Get, "/files/a/b.txt?x");
    assert_eq!(body(&router.call(&req)), "file path=a/b.txt");
    assert_eq!(stored(&req), [ValueRef::Raw(7..14)]);
}

#[test]
fn empty_catch_all_is_404() {
    let router = Router::builder()
        .get("/files/{*path}", named("file"))
        .get("/users/{id}", named("user"))
        .get("/users/{id}/posts", named("posts"))
        .build()
        .unwrap();
    for target in ["/files/", "/users/", "/users//posts"] {
        assert_eq!(get(&router, target).status(), 404, "{target}");
    }
}
