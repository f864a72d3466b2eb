//! `Files` through the public API, on real directories made for each test
//! (statuses and headers; `src/files/tests.rs` reads bodies back). Each
//! test's name is a row of the policy table in `src/files/mod.rs`.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use mini_async_http::{Files, Handler, Method, Request, Response};

/// A directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "mini_async_http-files-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A temp dir with `a.txt` (20 bytes) in it, and its `Files`.
fn site() -> (TempDir, Files) {
    let dir = TempDir::new();
    dir.write("a.txt", b"0123456789abcdefghij");
    let files = Files::new(dir.path()).unwrap();
    (dir, files)
}

fn get(files: &Files, target: &str, headers: &[(&str, &str)]) -> Response {
    call(files, Method::Get, target, headers)
}

fn call(files: &Files, method: Method, target: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = Request::new(method, target);
    for (name, value) in headers {
        req = req.with_header(name, value);
    }
    files.call(&req)
}

fn status(files: &Files, target: &str) -> u16 {
    get(files, target, &[]).status()
}

fn etag(files: &Files, target: &str) -> String {
    get(files, target, &[])
        .headers()
        .get("ETag")
        .unwrap()
        .to_owned()
}

#[test]
fn head_has_get_headers() {
    let (_dir, files) = site();
    let get = get(&files, "/a.txt", &[]);
    let head = call(&files, Method::Head, "/a.txt", &[]);
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers(), get.headers());
}

#[test]
fn other_methods_not_allowed() {
    let (_dir, files) = site();
    for method in [
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Options,
        Method::Patch,
    ] {
        for target in ["/a.txt", "/", "/missing"] {
            let resp = call(&files, method.clone(), target, &[]);
            assert_eq!(resp.status(), 405, "{method} {target}");
            assert_eq!(resp.headers().get("Allow"), Some("GET, HEAD"));
        }
    }
}

#[test]
fn content_type_from_extension() {
    let dir = TempDir::new();
    for name in [
        "i.html",
        "s.css",
        "d.json",
        "p.png",
        "v.svg",
        "blob",
        "x.unknownext",
    ] {
        dir.write(name, b"x");
    }
    let files = Files::new(dir.path()).unwrap();
    let ctype = |target: &str| {
        get(&files, target, &[])
            .headers()
            .get("Content-Type")
            .map(str::to_owned)
    };
    assert_eq!(
        ctype("/i.html").as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(ctype("/s.css").as_deref(), Some("text/css; charset=utf-8"));
    assert_eq!(
        ctype("/d.json").as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(ctype("/p.png").as_deref(), Some("image/png"));
    assert_eq!(
        ctype("/v.svg").as_deref(),
        Some("image/svg+xml; charset=utf-8")
    );
    assert_eq!(ctype("/blob").as_deref(), Some("application/octet-stream"));
    assert_eq!(
        ctype("/x.unknownext").as_deref(),
        Some("application/octet-stream")
    );
}

#[test]
fn representation_headers() {
    let (dir, files) = site();
    let mtime = fs::metadata(dir.path().join("a.txt"))
        .unwrap()
        .modified()
        .unwrap();
    let resp = get(&files, "/a.txt", &[]);
    let h = resp.headers();
    assert_eq!(h.get("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(h.get("Accept-Ranges"), Some("bytes"));
    let etag = h.get("ETag").unwrap();
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "{etag}"
    );
    let last_modified = httpdate::parse_http_date(h.get("Last-Modified").unwrap()).unwrap();
    assert_eq!(
        last_modified,
        httpdate::parse_http_date(&httpdate::fmt_http_date(mtime)).unwrap()
    );
    assert_eq!(h.get("Cache-Control"), None);
}

#[test]
fn cache_control_configured() {
    let (dir, _) = site();
    let files = Files::new(dir.path())
        .unwrap()
        .cache_control("public, max-age=60");
    assert_eq!(
        get(&files, "/a.txt", &[]).headers().get("Cache-Control"),
        Some("public, max-age=60")
    );
    let tag = etag(&files, "/a.txt");
    let not_modified = get(&files, "/a.txt", &[("If-None-Match", &tag)]);
    assert_eq!(
        not_modified.headers().get("Cache-Control"),
        Some("public, max-age=60")
    );
    let bad = std::panic::catch_unwind(|| Files::new(dir.path()).unwrap().cache_control("a\r\nb"));
    assert!(bad.is_err());
}

#[test]
fn if_match_strong_comparison() {
    let (_dir, files) = site();
    let tag = etag(&files, "/a.txt");
    let weak = format!("W/{tag}");
    for (value, want) in [
        (tag.as_str(), 200),
        ("*", 200),
        (&format!("\"other\", {tag}"), 200),
        ("\"other\"", 412),
        (&weak, 412),
        ("garbage", 412),
    ] {
        assert_eq!(
            get(&files, "/a.txt", &[("If-Match", value)]).status(),
            want,
            "{value}"
        );
    }
}

#[test]
fn if_unmodified_since_checked_without_if_match() {
    let (_dir, files) = site();
    let past = "Sun, 06 Nov 1994 08:49:37 GMT";
    let future = "Fri, 01 Jan 2100 00:00:00 GMT";
    assert_eq!(
        get(&files, "/a.txt", &[("If-Unmodified-Since", past)]).status(),
        412
    );
    assert_eq!(
        get(&files, "/a.txt", &[("If-Unmodified-Since", future)]).status(),
        200
    );
    // With If-Match, the date is not looked at.
    let tag = etag(&files, "/a.txt");
    let resp = get(
        &files,
        "/a.txt",
        &[("If-Match", &tag), ("If-Unmodified-Since", past)],
    );
    assert_eq!(resp.status(), 200);
}

#[test]
fn if_none_match_weak_comparison() {
    let (_dir, files) = site();
    let tag = etag(&files, "/a.txt");
    let last_modified = get(&files, "/a.txt", &[])
        .headers()
        .get("Last-Modified")
        .unwrap()
        .to_owned();
    for value in [
        tag.clone(),
        format!("W/{tag}"),
        "*".into(),
        format!("\"x\", \"y\",{tag}"),
    ] {
        let resp = get(&files, "/a.txt", &[("If-None-Match", &value)]);
        assert_eq!(resp.status(), 304, "{value}");
        assert_eq!(resp.headers().get("ETag"), Some(tag.as_str()));
        assert_eq!(
            resp.headers().get("Last-Modified"),
            Some(last_modified.as_str())
        );
        assert!(resp.body().is_empty());
        assert_eq!(resp.headers().get("Content-Type"), None);
        let head = call(&files, Method::Head, "/a.txt", &[("If-None-Match", &value)]);
        assert_eq!(head.status(), 304);
    }
    let two_fields = get(
        &files,
        "/a.txt",
        &[("If-None-Match", "\"x\""), ("If-None-Match", &tag)],
    );
    assert_eq!(two_fields.status(), 304);
    assert_eq!(
        get(&files, "/a.txt", &[("If-None-Match", "\"x\"")]).status(),
        200
    );
}

#[test]
fn if_modified_since_only_without_if_none_match() {
    let (_dir, files) = site();
    let last_modified = get(&files, "/a.txt", &[])
        .headers()
        .get("Last-Modified")
        .unwrap()
        .to_owned();
    let past = "Sun, 06 Nov 1994 08:49:37 GMT";
    assert_eq!(
        get(&files, "/a.txt", &[("If-Modified-Since", &last_modified)]).status(),
        304
    );
    assert_eq!(
        get(&files, "/a.txt", &[("If-Modified-Since", past)]).status(),
        200
    );
    // If-None-Match decides alone when present.
    let resp = get(
        &files,
        "/a.txt",
        &[
            ("If-None-Match", "\"x\""),
            ("If-Modified-Since", &last_modified),
        ],
    );
    assert_eq!(resp.status(), 200);
}

#[test]
fn unparsable_date_ignored() {
    let (_dir, files) = site();
    for name in ["If-Modified-Since", "If-Unmodified-Since"] {
        assert_eq!(
            get(&files, "/a.txt", &[(name, "not a date")]).status(),
            200,
            "{name}"
        );
    }
}

#[test]
fn unsatisfiable_range() {
    let (_dir, files) = site();
    for value in ["bytes=20-", "bytes=25-30", "bytes=-0", "bytes=20-21,30-"] {
        let resp = get(&files, "/a.txt", &[("Range", value)]);
        assert_eq!(resp.status(), 416, "{value}");
        assert_eq!(resp.headers().get("Content-Range"), Some("bytes */20"));
    }
}

#[test]
fn invalid_range_ignored() {
    let (dir, files) = site();
    dir.write("empty", b"");
    for value in ["bytes=5-1", "bytes=abc", "lines=1-2", "bytes=", "bytes 0-1"] {
        let resp = get(&files, "/a.txt", &[("Range", value)]);
        assert_eq!(resp.status(), 200, "{value}");
        assert_eq!(resp.headers().get("Content-Range"), None);
    }
    let two = get(
        &files,
        "/a.txt",
        &[("Range", "bytes=0-1"), ("Range", "bytes=2-3")],
    );
    assert_eq!(two.status(), 200);
    assert_eq!(
        get(&files, "/empty", &[("Range", "bytes=0-")]).status(),
        200
    );
    dir.write("big", &[b'x'; 100]);
    let parts = |n: usize| {
        (0..n)
            .map(|i| format!("{}-{}", 2 * i, 2 * i))
            .collect::<Vec<_>>()
            .join(",")
    };
    let resp = get(
        &files,
        "/big",
        &[("Range", &format!("bytes={}", parts(17)))],
    );
    assert_eq!(resp.status(), 200, "more than 16 parts");
    let resp = get(
        &files,
        "/big",
        &[("Range", &format!("bytes={}", parts(16)))],
    );
    assert_eq!(resp.status(), 206, "16 parts");
}

#[test]
fn if_range() {
    let (_dir, files) = site();
    let tag = etag(&files, "/a.txt");
    let last_modified = get(&files, "/a.txt", &[])
        .headers()
        .get("Last-Modified")
        .unwrap()
        .to_owned();
    let with = |if_range: &str| {
        get(
            &files,
            "/a.txt",
            &[("Range", "bytes=0-1"), ("If-Range", if_range)],
        )
        .status()
    };
    assert_eq!(with(&tag), 206);
    assert_eq!(with(&last_modified), 206);
    assert_eq!(with(&format!("W/{tag}")), 200);
    assert_eq!(with("\"old\""), 200);
    assert_eq!(with("Sun, 06 Nov 1994 08:49:37 GMT"), 200);
    assert_eq!(with("garbage"), 200);
}

#[test]
fn directory_redirect() {
    let (dir, files) = site();
    dir.write("docs/a b/x.txt", b"x");
    let resp = get(&files, "/docs?lang=en", &[]);
    assert_eq!(resp.status(), 308);
    assert_eq!(resp.headers().get("Location"), Some("/docs/?lang=en"));
    let resp = get(&files, "/docs/a%20b", &[]);
    assert_eq!(resp.headers().get("Location"), Some("/docs/a%20b/"));
    assert_eq!(
        status(&files, "/a.txt/"),
        404,
        "a file asked for as a directory"
    );
}

#[test]
fn directory_index() {
    let (dir, files) = site();
    dir.write("docs/index.html", b"<h1>docs</h1>");
    let resp = get(&files, "/docs/", &[]);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers().get("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(status(&files, "/"), 404, "no index at the root");
}

#[test]
fn listing_off_by_default() {
    let (dir, files) = site();
    dir.write("docs/x.txt", b"x");
    assert_eq!(status(&files, "/docs/"), 404);
    assert_eq!(status(&files, "/"), 404);
}

#[test]
fn listing_escapes_and_encodes() {
    let dir = TempDir::new();
    for name in [
        "<img src=x onerror=alert(1)>.txt",
        "a b.txt",
        "c+d.txt",
        "e#f.txt",
        "50%.txt",
        "q?.txt",
        "café.txt",
        ".env",
        "sub/x",
    ] {
        dir.write(name, b"x");
    }
    let files = Files::new(dir.path()).unwrap().listing(true);
    let resp = get(&files, "/", &[]);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers().get("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    let page = std::str::from_utf8(resp.body()).unwrap();
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;.txt"));
    assert!(!page.contains(".env"), "hidden entries left out");
    assert!(!page.contains("href=\"../\""), "no parent link at the root");
    // Every link leads back to its file.
    let hrefs: Vec<&str> = page
        .split("href=\"./")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(hrefs.len(), 8, "{hrefs:?}");
    for href in hrefs {
        assert!(!href.contains(['<', ' ', '#', '?', '+']), "{href}");
        let status = status(&files, &format!("/{href}"));
        assert_eq!(status, 200, "{href}");
    }
    let sub = get(&files, "/sub/", &[]);
    assert!(
        std::str::from_utf8(sub.body())
            .unwrap()
            .contains("href=\"../\"")
    );
}

#[test]
fn overlong_path() {
    let (_dir, files) = site();
    assert_eq!(status(&files, &format!("/{}", "a/".repeat(2100))), 414);
}

#[test]
fn malformed_escape() {
    let (_dir, files) = site();
    for target in ["/a%", "/a%2", "/%zz.txt", "/a.txt%g0"] {
        assert_eq!(status(&files, target), 400, "{target}");
    }
}

#[test]
fn traversal_refused() {
    let outer = TempDir::new();
    outer.write("secret.txt", b"secret");
    outer.write("www/a.txt", b"a");
    let files = Files::new(outer.path().join("www")).unwrap();
    for target in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/a.txt%00.png",
        "/c:/secret.txt",
        "/%ff.txt",
        "//a.txt",
        "/./a.txt",
        "http://host/a.txt",
        "*",
    ] {
        assert_eq!(status(&files, target), 404, "{target}");
    }
    assert_eq!(status(&files, "/a.txt"), 200);
}

#[test]
fn symlink_outside_root_refused() {
    let outer = TempDir::new();
    outer.write("secret.txt", b"secret");
    outer.write("www/a.txt", b"a");
    let www = outer.path().join("www");
    symlink(outer.path().join("secret.txt"), www.join("abs")).unwrap();
    symlink("../secret.txt", www.join("rel")).unwrap();
    symlink("..", www.join("up")).unwrap();
    symlink("/etc", www.join("etc")).unwrap();
    let files = Files::new(&www).unwrap();
    for target in ["/abs", "/rel", "/up/secret.txt", "/etc/passwd", "/etc/"] {
        assert_eq!(status(&files, target), 404, "{target}");
    }
    let open = Files::new(&www).unwrap().follow_symlinks_outside(true);
    assert_eq!(status(&open, "/abs"), 200);
    assert_eq!(status(&open, "/rel"), 200);
    assert_eq!(status(&open, "/up/secret.txt"), 200);
}

#[test]
fn symlink_loop_refused() {
    let (dir, files) = site();
    symlink("loop2", dir.path().join("loop1")).unwrap();
    symlink("loop1", dir.path().join("loop2")).unwrap();
    symlink("self/x", dir.path().join("self")).unwrap();
    symlink("missing", dir.path().join("dangling")).unwrap();
    for target in ["/loop1", "/self", "/dangling", "/self/x"] {
        assert_eq!(status(&files, target), 404, "{target}");
    }
}

#[test]
fn hidden_refused() {
    let (dir, _) = site();
    dir.write(".env", b"KEY=secret");
    dir.write(".git/config", b"[core]");
    dir.write("public/.htpasswd", b"x");
    symlink(".env", dir.path().join("env-link")).unwrap();
    let files = Files::new(dir.path()).unwrap();
    for target in [
        "/.env",
        "/.git/config",
        "/.git/",
        "/public/.htpasswd",
        "/%2eenv",
        "/env-link",
    ] {
        assert_eq!(status(&files, target), 404, "{target}");
    }
    let shown = Files::new(dir.path()).unwrap().hidden(true);
    for target in ["/.env", "/.git/config", "/public/.htpasswd", "/env-link"] {
        assert_eq!(status(&shown, target), 200, "{target}");
    }
}

#[test]
fn precompressed_variant_served() {
    let dir = TempDir::new();
    dir.write("app.js", b"plain text");
    dir.write("app.js.br", b"br");
    dir.write("app.js.gz", b"gzip");
    dir.write("only.css", b"x");
    let files = Files::new(dir.path()).unwrap();
    let encoding = |ae: &str| {
        let resp = get(&files, "/app.js", &[("Accept-Encoding", ae)]);
        assert_eq!(
            resp.headers().get("Content-Type"),
            Some("text/javascript; charset=utf-8")
        );
        resp.headers().get("Content-Encoding").map(str::to_owned)
    };
    assert_eq!(encoding("gzip, deflate, br").as_deref(), Some("br"));
    assert_eq!(encoding("gzip").as_deref(), Some("gzip"));
    assert_eq!(encoding("br;q=0.5, gzip;q=0.8").as_deref(), Some("gzip"));
    assert_eq!(encoding("br;q=0, gzip;q=0").as_deref(), None);
    assert_eq!(encoding("*").as_deref(), Some("br"));
    assert_eq!(encoding("*, br;q=0").as_deref(), Some("gzip"));
    assert_eq!(encoding("identity").as_deref(), None);
    let plain = etag(&files, "/app.js");
    let br = get(&files, "/app.js", &[("Accept-Encoding", "br")]);
    let br_tag = br.headers().get("ETag").unwrap();
    assert_ne!(br_tag, plain, "each variant has its own ETag");
    let resp = get(&files, "/only.css", &[("Accept-Encoding", "br, gzip")]);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("Content-Encoding"), None);
    let off = Files::new(dir.path()).unwrap().precompressed(false);
    let resp = get(&off, "/app.js", &[("Accept-Encoding", "br")]);
    assert_eq!(resp.headers().get("Content-Encoding"), None);
    assert_eq!(resp.headers().get("Vary"), None);
}

#[test]
fn vary_on_every_file_response() {
    let dir = TempDir::new();
    dir.write("app.js", b"plain text");
    dir.write("app.js.br", b"br");
    let files = Files::new(dir.path()).unwrap();
    let br_tag = get(&files, "/app.js", &[("Accept-Encoding", "br")])
        .headers()
        .get("ETag")
        .unwrap()
        .to_owned();
    for headers in [
        vec![],
        vec![("Accept-Encoding", "br")],
        vec![("Accept-Encoding", "br"), ("Range", "bytes=0-0")],
        vec![
            ("Accept-Encoding", "br"),
            ("If-None-Match", br_tag.as_str()),
        ],
        vec![("Range", "bytes=100-")],
        vec![("If-Match", "\"nope\"")],
    ] {
        let resp = get(&files, "/app.js", &headers);
        assert_eq!(
            resp.headers().get("Vary"),
            Some("Accept-Encoding"),
            "{headers:?}"
        );
    }
    let not_modified = get(
        &files,
        "/app.js",
        &[("Accept-Encoding", "br"), ("If-None-Match", &br_tag)],
    );
    assert_eq!(not_modified.status(), 304);
}

#[test]
fn root_must_be_a_directory() {
    let (dir, _) = site();
    assert!(Files::new(dir.path().join("a.txt")).is_err());
    assert!(Files::new(dir.path().join("missing")).is_err());
    symlink(dir.path(), dir.path().join("link")).unwrap();
    assert!(
        Files::new(dir.path().join("link")).is_ok(),
        "the root itself may be a symlink"
    );
}
