use super::*;
use crate::{IntoResponse, SetCookie};

#[test]
fn methods_both_ways() {
    let pairs = [
        (Method::Get, ::http::Method::GET),
        (Method::Head, ::http::Method::HEAD),
        (Method::Post, ::http::Method::POST),
        (Method::Put, ::http::Method::PUT),
        (Method::Delete, ::http::Method::DELETE),
        (Method::Connect, ::http::Method::CONNECT),
        (Method::Options, ::http::Method::OPTIONS),
        (Method::Trace, ::http::Method::TRACE),
        (Method::Patch, ::http::Method::PATCH),
    ];
    for (ours, theirs) in pairs {
        assert_eq!(::http::Method::try_from(&ours).unwrap(), theirs);
        assert_eq!(Method::from(&theirs), ours);
        assert_eq!(Method::from(theirs.clone()), ours);
        assert_eq!(::http::Method::try_from(ours).unwrap(), theirs);
    }
    let purge = ::http::Method::from_bytes(b"PURGE").unwrap();
    assert_eq!(Method::from(&purge), Method::Other("PURGE".into()));
    let lower = ::http::Method::from_bytes(b"get").unwrap();
    assert_eq!(Method::from(lower), Method::Other("get".into()));
    assert_eq!(
        ::http::Method::try_from(Method::Other("PURGE".into())).unwrap(),
        purge
    );
    for bad in ["", "A B", "A\r\n", "(x)"] {
        assert_eq!(
            ::http::Method::try_from(Method::Other(bad.into())),
            Err(ConvertError::InvalidMethod(bad.into()))
        );
    }
}

#[test]
fn versions_both_ways() {
    for (ours, theirs) in [
        (Version::Http10, ::http::Version::HTTP_10),
        (Version::Http11, ::http::Version::HTTP_11),
    ] {
        assert_eq!(::http::Version::from(ours), theirs);
        assert_eq!(Version::try_from(theirs), Ok(ours));
    }
    for theirs in [
        ::http::Version::HTTP_09,
        ::http::Version::HTTP_2,
        ::http::Version::HTTP_3,
    ] {
        let err = Version::try_from(theirs).unwrap_err();
        assert!(matches!(err, ConvertError::UnsupportedVersion(_)));
    }
    assert_eq!(
        Version::try_from(::http::Version::HTTP_2)
            .unwrap_err()
            .to_string(),
        "unsupported version HTTP/2.0"
    );
}

#[test]
fn headers_both_ways() {
    let ours: Headers = [
        ("Accept", "text/html"),
        ("X-Custom", "caf\u{e9}\tx"),
        ("accept", "application/json"),
        ("Set-Cookie", "a=1"),
    ]
    .into_iter()
    .collect();
    let map = HeaderMap::try_from(&ours).unwrap();
    assert_eq!(map.len(), 4);
    let accept: Vec<_> = map.get_all("accept").iter().collect();
    assert_eq!(accept, ["text/html", "application/json"]);
    assert_eq!(map["x-custom"].as_bytes(), "caf\u{e9}\tx".as_bytes());

    let back = Headers::try_from(&map).unwrap();
    let fields: Vec<_> = back.iter().collect();
    assert_eq!(
        fields,
        [
            ("accept", "text/html"),
            ("accept", "application/json"),
            ("x-custom", "caf\u{e9}\tx"),
            ("set-cookie", "a=1")
        ]
    );

    let mut bad_name = Headers::new();
    bad_name.append("Bad Name", "x");
    assert_eq!(
        HeaderMap::try_from(&bad_name),
        Err(ConvertError::InvalidHeaderName("Bad Name".into()))
    );
    let mut bad_value = Headers::new();
    bad_value.append("X-A", "a\r\nb");
    assert_eq!(
        HeaderMap::try_from(&bad_value),
        Err(ConvertError::InvalidHeaderValue("X-A".into()))
    );
    let mut latin1 = HeaderMap::new();
    latin1.insert("x-name", HeaderValue::from_bytes(b"J\xfcrgen").unwrap());
    assert_eq!(
        Headers::try_from(&latin1),
        Err(ConvertError::InvalidHeaderValue("x-name".into()))
    );
}

#[test]
fn requests_both_ways() {
    let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    let ours = Request::new(Method::Post, "/items?sort=asc")
        .with_header("Host", "example.com")
        .with_header("Content-Type", "application/json")
        .with_version(Version::Http10)
        .with_peer_addr(peer)
        .with_body("{}");
    for theirs in [
        ::http::Request::try_from(&ours).unwrap(),
        ::http::Request::try_from(ours.clone()).unwrap(),
    ] {
        assert_eq!(theirs.method(), ::http::Method::POST);
        assert_eq!(theirs.uri().path(), "/items");
        assert_eq!(theirs.uri().query(), Some("sort=asc"));
        assert_eq!(theirs.version(), ::http::Version::HTTP_10);
        assert_eq!(theirs.headers()["host"], "example.com");
        assert_eq!(theirs.extensions().get::<SocketAddr>(), Some(&peer));
        assert_eq!(theirs.body(), b"{}");

        let back = Request::try_from(theirs).unwrap();
        assert_eq!(back.method(), &Method::Post);
        assert_eq!(back.target(), "/items?sort=asc");
        assert_eq!((back.path(), back.query()), ("/items", Some("sort=asc")));
        assert_eq!(back.version(), Version::Http10);
        assert_eq!(back.header("content-type"), Some("application/json"));
        assert_eq!(back.peer_addr(), peer);
        assert_eq!(back.body(), b"{}");
    }

    // Every form of request-target comes back as it went.
    for (method, target) in [
        (Method::Get, "/"),
        (Method::Get, "/a%20b?x=1&y"),
        (Method::Get, "http://example.com/p?q"),
        (Method::Connect, "example.com:443"),
        (Method::Options, "*"),
    ] {
        let theirs = ::http::Request::try_from(Request::new(method, target)).unwrap();
        assert_eq!(Request::try_from(theirs).unwrap().target(), target);
    }

    // From a request made with `http`'s builder, body of any Into<Vec<u8>>.
    let built = ::http::Request::builder()
        .method("PURGE")
        .uri("/cache?all")
        .header("x-a", "1")
        .body("text")
        .unwrap();
    let ours = Request::try_from(built).unwrap();
    assert_eq!(ours.method(), &Method::Other("PURGE".into()));
    assert_eq!(ours.query(), Some("all"));
    assert_eq!(ours.body(), b"text");
    assert!(ours.peer_addr().ip().is_unspecified());

    let spaced = Request::new(Method::Get, "/a b");
    assert_eq!(
        ::http::Request::try_from(&spaced).unwrap_err(),
        ConvertError::InvalidTarget
    );
    let bad_method = Request::new(Method::Other("A B".into()), "/");
    assert!(matches!(
        ::http::Request::try_from(bad_method),
        Err(ConvertError::InvalidMethod(_))
    ));
    let h2 = ::http::Request::builder()
        .version(::http::Version::HTTP_2)
        .body(Vec::new())
        .unwrap();
    assert!(matches!(
        Request::try_from(h2),
        Err(ConvertError::UnsupportedVersion(_))
    ));
}

#[test]
fn responses_both_ways() {
    let ours = ResponseBuilder::new()
        .status(201)
        .reason("Made")
        .header("Location", "/items/7")
        .cookie(SetCookie::new("a", "1"))
        .cookie(SetCookie::new("b", "2"))
        .body("made")
        .build()
        .unwrap();
    let theirs = ::http::Response::<Vec<u8>>::try_from(ours).unwrap();
    assert_eq!(theirs.status(), StatusCode::CREATED);
    assert_eq!(theirs.headers()["location"], "/items/7");
    assert_eq!(theirs.headers().get_all("set-cookie").iter().count(), 2);
    assert_eq!(theirs.body(), b"made");

    let back = Response::try_from(theirs).unwrap();
    assert_eq!(back.status(), 201);
    assert_eq!(back.reason(), "Created", "the custom reason is dropped");
    assert_eq!(back.headers().get("Location"), Some("/items/7"));
    assert_eq!(back.headers().get_all("Set-Cookie").count(), 2);
    assert_eq!(back.body(), b"made");

    let written = ::http::Response::builder()
        .status(404)
        .header("content-type", "text/plain")
        .body(String::from("nope"))
        .unwrap();
    let resp = Response::try_from(written).unwrap();
    assert_eq!((resp.status(), resp.body()), (404, &b"nope"[..]));
    let static_body = ResponseBuilder::new().body(b"static").build().unwrap();
    let theirs = ::http::Response::<Vec<u8>>::try_from(static_body).unwrap();
    assert_eq!(theirs.body(), b"static");
}

#[test]
fn file_bodies_only_to_a_body_response() {
    let file = std::fs::File::open("Cargo.toml").unwrap();
    let with_file = || {
        ResponseBuilder::new()
            .body(Body::file(file.try_clone().unwrap(), 0, 5))
            .build()
            .unwrap()
    };
    assert_eq!(
        ::http::Response::<Vec<u8>>::try_from(with_file()).unwrap_err(),
        ConvertError::BodyNotInMemory
    );
    let theirs = ::http::Response::<Body>::try_from(with_file()).unwrap();
    assert_eq!(theirs.body().content_length(), Some(5));
    assert!(!theirs.body().is_in_memory());
    let back = Response::try_from(theirs).unwrap();
    assert_eq!(back.status(), 200);
    assert_eq!(
        ::http::Response::<Vec<u8>>::try_from(back).unwrap_err(),
        ConvertError::BodyNotInMemory
    );
}

#[test]
fn response_from_http_validated_like_build() {
    let response = |status: u16, headers: &[(&str, &[u8])], body: &'static str| {
        let mut builder = ::http::Response::builder().status(status);
        for &(name, value) in headers {
            builder = builder.header(name, HeaderValue::from_bytes(value).unwrap());
        }
        Response::try_from(builder.body(body).unwrap())
    };
    // The length the server would write itself is dropped.
    let resp = response(200, &[("content-length", b"5"), ("x-a", b"1")], "hello").unwrap();
    let fields: Vec<_> = resp.headers().iter().collect();
    assert_eq!(fields, [("x-a", "1")]);
    assert_eq!(
        response(200, &[("content-length", b"4")], "hello").unwrap_err(),
        BuildError::ReservedHeader("content-length".into())
    );
    assert_eq!(
        response(200, &[("content-length", b"five")], "hello").unwrap_err(),
        BuildError::ReservedHeader("content-length".into())
    );
    assert_eq!(
        response(200, &[("transfer-encoding", b"chunked")], "hello").unwrap_err(),
        BuildError::ReservedHeader("transfer-encoding".into())
    );
    assert_eq!(
        response(101, &[], "").unwrap_err(),
        BuildError::InvalidStatus(101)
    );
    assert_eq!(
        response(204, &[], "x").unwrap_err(),
        BuildError::BodyNotAllowed(204)
    );
    assert_eq!(
        response(200, &[("x-name", b"J\xfcrgen")], "").unwrap_err(),
        BuildError::InvalidHeaderValue("x-name".into())
    );
    // Refused as a handler's own response: a 500 through HttpError.
    let err = response(204, &[], "x").unwrap_err();
    assert_eq!(err.into_response().status(), 500);
}

#[test]
fn spooled_request_bodies_are_read_back() {
    let path = std::env::temp_dir().join(format!("interop-spooled-{}", std::process::id()));
    std::fs::write(&path, b"a spooled body").unwrap();
    let file = std::fs::File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let req = Request::new(Method::Post, "/up")
        .with_body_file(file)
        .unwrap();
    let borrowed = ::http::Request::<Vec<u8>>::try_from(&req).unwrap();
    assert_eq!(borrowed.body(), b"a spooled body");
    let moved = ::http::Request::<Vec<u8>>::try_from(req).unwrap();
    assert_eq!(moved.body(), b"a spooled body");
}
