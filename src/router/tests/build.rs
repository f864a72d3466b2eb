//! What `build` refuses, and what it accepts.

use super::*;

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
