//! Mounts, absolute-form targets, code around routes.

use super::*;

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
        move |req: &Request, next: Next<'_>| {
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
