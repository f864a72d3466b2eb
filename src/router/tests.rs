//! One test per rule of the routing policy (the table in `policy.md`),
//! calling `Handler::call` directly.

use std::fmt::Write;
use std::sync::{Arc, Mutex};

use super::{RouteError, Router, RouterBuilder};
use crate::http::ParamValue;
use crate::{Handler, Method, Request, Response, ResponseBuilder};

fn text(body: impl Into<crate::Body>) -> Response {
    ResponseBuilder::new().body(body).build().unwrap()
}

/// Answers with the route's name, then each `name=value` parameter.
fn named(name: &'static str) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |req| {
        let mut body = name.to_owned();
        for (n, v) in req.params() {
            write!(body, " {n}={v}").unwrap();
        }
        text(body)
    }
}

fn call(router: &Router, method: Method, target: &str) -> Response {
    router.call(&Request::new(method, target))
}

fn get(router: &Router, target: &str) -> Response {
    call(router, Method::Get, target)
}

fn body(resp: &Response) -> &str {
    std::str::from_utf8(resp.body()).unwrap()
}

fn header<'a>(resp: &'a Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name)
}

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
    let level = req.route.last().unwrap();
    assert!(matches!(&level.params[0].value, ParamValue::Raw(r) if *r == (7..12)));
    assert_eq!(&*level.params[0].name, "id");
    let req = Request::new(Method::Get, "/users/a%20b");
    router.call(&req);
    let level = req.route.last().unwrap();
    assert!(matches!(&level.params[0].value, ParamValue::Decoded(v) if v == "a b"));

    // A static route without a mount stores nothing in the request.
    let req = Request::new(Method::Get, "/static");
    assert_eq!(body(&router.call(&req)), "static");
    assert!(req.route.last().is_none());
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
    let level = req.route.last().unwrap();
    assert!(matches!(&level.params[0].value, ParamValue::Raw(r) if *r == (7..14)));
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

#[test]
fn mount_sees_path_below_prefix() {
    let router = Router::builder()
        .get("/static/special", named("special"))
        .mount("/static", |req: &Request| {
            text(format!("{} {}", req.method(), req.route_path()))
        })
        .build()
        .unwrap();
    assert_eq!(
        body(&get(&router, "/static/css/a.css?v=2")),
        "GET /css/a.css"
    );
    assert_eq!(body(&get(&router, "/static/")), "GET /");
    assert_eq!(body(&get(&router, "/static//x")), "GET //x");
    assert_eq!(
        body(&call(&router, Method::Delete, "/static/x")),
        "DELETE /x"
    );
    assert_eq!(body(&get(&router, "/static/special")), "special");
    assert_eq!(get(&router, "/staticx").status(), 404);
}

#[test]
fn mount_prefix_alone_redirects() {
    let router = Router::builder()
        .mount("/static", named("static"))
        .build()
        .unwrap();
    for (method, target, location) in [
        (Method::Get, "/static", "/static/"),
        (Method::Get, "/static?v=1", "/static/?v=1"),
        (Method::Post, "/static", "/static/"),
    ] {
        let resp = call(&router, method, target);
        assert_eq!(resp.status(), 308, "{target}");
        assert_eq!(header(&resp, "location"), Some(location), "{target}");
    }
}

#[test]
fn nested_mounts_and_params() {
    let users = Router::builder()
        .get("/users/{id}", |req: &Request| {
            let params: Vec<String> = req.params().map(|(n, v)| format!("{n}={v}")).collect();
            text(format!("{} {}", params.join(" "), req.route_path()))
        })
        .get("/v/{version}", named("inner"))
        .build()
        .unwrap();
    let admin = Router::builder().mount("/admin", users).build().unwrap();
    let router = Router::builder()
        .mount("/api/{version}", admin)
        .build()
        .unwrap();
    assert_eq!(
        body(&get(&router, "/api/v1/admin/users/a%20b")),
        "version=v1 id=a b /users/a%20b"
    );
    let req = Request::new(Method::Get, "/api/v1/admin/v/v2");
    assert_eq!(body(&router.call(&req)), "inner version=v1 version=v2");
    assert_eq!(req.param("version"), Some("v2"), "the innermost wins");
    assert_eq!(get(&router, "/api/v1/admin").status(), 308);
    assert_eq!(get(&router, "/api/v1/admin/nope").status(), 404);
}

#[test]
fn absolute_form_is_routed_on_its_path() {
    let router = Router::builder()
        .get("/", named("root"))
        .get("/users/{id}", named("user"))
        .get("/about", |req: &Request| text(req.route_path().to_owned()))
        .mount("/static", |req: &Request| text(req.route_path().to_owned()))
        .build()
        .unwrap();
    assert_eq!(
        body(&get(&router, "http://example.com/users/7?x")),
        "user id=7"
    );
    assert_eq!(body(&get(&router, "http://example.com/about")), "/about");
    assert_eq!(body(&get(&router, "/about")), "/about");
    assert_eq!(
        body(&get(&router, "http://example.com/static/a.css")),
        "/a.css"
    );
    let resp = get(&router, "http://example.com");
    assert_eq!(header(&resp, "location"), Some("http://example.com/"));
}

#[test]
fn middleware_runs_outer_first() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let step = |name: &'static str| {
        let log = Arc::clone(&log);
        move |req: &Request, next: super::Next<'_>| {
            log.lock().unwrap().push(format!("{name}>"));
            let resp = next.run(req);
            log.lock().unwrap().push(format!("<{name}"));
            resp
        }
    };
    let route_log = Arc::clone(&log);
    let inner = Router::builder()
        .get("/x", move |_: &Request| {
            route_log.lock().unwrap().push("route".into());
            text("x")
        })
        .wrap(step("c"))
        .build()
        .unwrap();
    let router = Router::builder()
        .wrap(step("a"))
        .mount("/in", inner)
        .wrap(step("b"))
        .build()
        .unwrap();
    assert_eq!(body(&get(&router, "/in/x")), "x");
    assert_eq!(
        *log.lock().unwrap(),
        ["a>", "b>", "c>", "route", "<c", "<b", "<a"]
    );
}

#[test]
fn middleware_sees_router_answers() {
    let router = Router::builder()
        .get("/a", named("a"))
        .get("/u/{id}", named("u"))
        .wrap(|req, next| {
            let mut resp = next.run(req);
            resp.set_header("X-Wrapped", "yes").unwrap();
            resp
        })
        .build()
        .unwrap();
    for (method, target, status) in [
        (Method::Get, "/a", 200),
        (Method::Get, "/missing", 404),
        (Method::Post, "/a", 405),
        (Method::Options, "/a", 204),
        (Method::Options, "*", 204),
        (Method::Get, "/a/", 308),
        (Method::Get, "/u/%FF", 400),
    ] {
        let resp = call(&router, method, target);
        assert_eq!(resp.status(), status, "{target}");
        assert_eq!(header(&resp, "x-wrapped"), Some("yes"), "{target}");
    }
}

fn build_error(routes: &[&str]) -> RouteError {
    let mut builder = Router::builder();
    for pattern in routes {
        builder = match pattern.strip_prefix("mount ") {
            Some(prefix) => builder.mount(prefix, named("m")),
            None => builder.get(pattern, named("r")),
        };
    }
    builder.build().unwrap_err()
}

#[test]
fn conflicts_are_reported_at_build() {
    let conflict = |pattern: &str, with: &str| RouteError::Conflict {
        pattern: pattern.into(),
        with: with.into(),
    };
    for (routes, expected) in [
        // Parameters of different names at the same place.
        (
            &["/u/{id}", "/u/{name}"][..],
            conflict("/u/{name}", "/u/{id}"),
        ),
        (&["/x/{a}/b", "/x/{c}/b"], conflict("/x/{c}/b", "/x/{a}/b")),
        // A parameter and a catch-all at the same place, either order.
        (
            &["/src/{*path}", "/src/{file}"],
            conflict("/src/{file}", "/src/{*path}"),
        ),
        (&["/{id}", "/{*rest}"], conflict("/{*rest}", "/{id}")),
        (
            &["/cmd/{tool}/{sub}", "/cmd/{*path}"],
            conflict("/cmd/{*path}", "/cmd/{tool}/{sub}"),
        ),
        // Two catch-alls at the same place.
        (&["/{*a}", "/{*b}"], conflict("/{*b}", "/{*a}")),
        // A prefixed parameter beside a suffixed one, either order.
        (
            &["/x/{a}suffix", "/x/prefix{a}"],
            conflict("/x/prefix{a}", "/x/{a}suffix"),
        ),
        (
            &["/x/prefix{a}", "/x/{a}suffix"],
            conflict("/x/{a}suffix", "/x/prefix{a}"),
        ),
        // A prefix-and-suffix parameter beside a prefixed one.
        (&["/x/p{a}s", "/x/p{a}"], conflict("/x/p{a}", "/x/p{a}s")),
        // Prefixed parameters of different names with the same prefix.
        (
            &["/user_{name}", "/user_{id}"],
            conflict("/user_{id}", "/user_{name}"),
        ),
        // A catch-all beside a suffixed parameter.
        (
            &["/f/{*rest}", "/f/{a}.txt"],
            conflict("/f/{a}.txt", "/f/{*rest}"),
        ),
        // A mount against a route below its prefix, either order, and twice.
        (
            &["mount /api", "/api/{x}"],
            conflict("/api/{x}", "mount /api"),
        ),
        (
            &["/api/{x}", "mount /api"],
            conflict("mount /api", "/api/{x}"),
        ),
        (&["/api/", "mount /api"], conflict("mount /api", "/api/")),
        (
            &["mount /api", "mount /api"],
            conflict("mount /api", "mount /api"),
        ),
        (&["mount /api", "/api"], conflict("/api", "mount /api")),
    ] {
        assert_eq!(build_error(routes), expected, "{routes:?}");
        assert!(
            build_error(routes)
                .to_string()
                .contains(routes[1].trim_start_matches("mount "))
        );
    }
    let err = Router::builder()
        .get("/a", named("a"))
        .post("/a", named("a"))
        .get("/a", named("again"))
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        RouteError::DuplicateRoute {
            method: Method::Get,
            pattern: "/a".into()
        }
    );
    // What may overlap does: static before parameter before catch-all, a
    // parameter name reused on a longer path, a root catch-all with `/`.
    Router::builder()
        .get("/u/new", named("a"))
        .get("/u/{id}", named("b"))
        .get("/u/{id}/x", named("c"))
        .get("/u/{other}/y/z", named("d"))
        .get("/", named("e"))
        .get("/{*rest}", named("f"))
        .get("/x/{a}", named("g"))
        .get("/x/{a}suffix", named("h"))
        .mount("/api", named("i"))
        .get("/api/special", named("j"))
        .build()
        .unwrap();
}

#[test]
fn invalid_patterns_are_reported_at_build() {
    for (routes, expected) in [
        (&["users"][..], RouteError::InvalidPattern("users".into())),
        (&["/a b"], RouteError::InvalidPattern("/a b".into())),
        (&["/a?b"], RouteError::InvalidPattern("/a?b".into())),
        (&["/{}"], RouteError::InvalidParam("/{}".into())),
        (&["/{a-b}"], RouteError::InvalidParam("/{a-b}".into())),
        (&["/a}"], RouteError::InvalidParam("/a}".into())),
        (&["/{a}/{a}"], RouteError::DuplicateParam("/{a}/{a}".into())),
        (
            &["/{a}{b}"],
            RouteError::TwoParamsInSegment("/{a}{b}".into()),
        ),
        (
            &["/{a}-{b}"],
            RouteError::TwoParamsInSegment("/{a}-{b}".into()),
        ),
        (&["/{*a}/x"], RouteError::CatchAllNotLast("/{*a}/x".into())),
        (
            &["/s/{*a}x"],
            RouteError::CatchAllNotLast("/s/{*a}x".into()),
        ),
        (&["mount /"], RouteError::InvalidMountPrefix("/".into())),
        (
            &["mount /static/"],
            RouteError::InvalidMountPrefix("/static/".into()),
        ),
        (
            &["mount /s/{*a}"],
            RouteError::InvalidMountPrefix("/s/{*a}".into()),
        ),
        (
            &["mount static"],
            RouteError::InvalidPattern("static".into()),
        ),
        // The first error is the one reported.
        (&["/{}", "users"], RouteError::InvalidParam("/{}".into())),
    ] {
        assert_eq!(build_error(routes), expected, "{routes:?}");
    }
    let err = Router::builder()
        .route(Method::Other("BAD METHOD".into()), "/", named("x"))
        .build()
        .unwrap_err();
    assert_eq!(err, RouteError::InvalidMethod("BAD METHOD".into()));
}

#[test]
fn debug_lists_routes_and_mounts() {
    let router = Router::builder()
        .get("/a", named("a"))
        .post("/a", named("a"))
        .mount("/m", named("m"))
        .wrap(|req, next| next.run(req))
        .build()
        .unwrap();
    let shown = format!("{router:?}");
    assert!(shown.contains("GET,POST /a"), "{shown}");
    assert!(shown.contains("mount /m"), "{shown}");
    assert!(shown.contains("wraps: 1"), "{shown}");
}
