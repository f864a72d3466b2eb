//! `examples/todo.rs`, the built binary, through `ureq`: a create, read,
//! update, delete round trip, and the 400/404/415 refusals.

mod support;

use serde_json::{Value, json};
use support::{IO_TIMEOUT, spawn_example};

/// A client of the todo server at `base`.
struct Api {
    base: String,
    agent: ureq::Agent,
}

impl Api {
    fn new(addr: std::net::SocketAddr) -> Api {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(IO_TIMEOUT))
            .build()
            .new_agent();
        Api {
            base: format!("http://{addr}"),
            agent,
        }
    }

    /// Sends `method path` with `body` as `content_type` if given; returns
    /// the status, `Location` and the body parsed as JSON (`Null` if empty).
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &str)>,
    ) -> (u16, Option<String>, Value) {
        let builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        let sent = match body {
            Some((content_type, body)) => self.agent.run(
                builder
                    .header("Content-Type", content_type)
                    .body(body.to_owned())
                    .expect("request"),
            ),
            None => self.agent.run(builder.body(()).expect("request")),
        };
        let mut resp = sent.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("ASCII").to_owned());
        let text = resp.body_mut().read_to_string().expect("body");
        let value = if resp.status() == 200 || resp.status() == 201 {
            assert_eq!(
                resp.headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap()),
                Some("application/json"),
                "{method} {path}"
            );
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text:?}"))
        } else {
            Value::Null
        };
        (resp.status().as_u16(), location, value)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let (status, _, value) = self.call("GET", path, None);
        (status, value)
    }

    fn send_json(&self, method: &str, path: &str, body: &Value) -> (u16, Option<String>, Value) {
        self.call(method, path, Some(("application/json", &body.to_string())))
    }
}

#[test]
fn crud_round_trip() {
    let Some((_child, addr)) = spawn_example("todo") else {
        return;
    };
    let api = Api::new(addr);
    assert_eq!(api.get("/todos"), (200, json!([])));

    let milk = json!({"id": 1, "title": "Buy milk", "done": false});
    assert_eq!(
        api.send_json("POST", "/todos", &json!({"title": "Buy milk"})),
        (201, Some("/todos/1".to_owned()), milk.clone())
    );
    let walk = json!({"id": 2, "title": "Walk the dog", "done": false});
    assert_eq!(
        api.send_json("POST", "/todos", &json!({"title": "Walk the dog"})),
        (201, Some("/todos/2".to_owned()), walk.clone())
    );
    assert_eq!(api.get("/todos/1"), (200, milk));
    assert_eq!(
        api.get("/todos"),
        (
            200,
            json!([{"id": 1, "title": "Buy milk", "done": false}, walk])
        )
    );

    let done = json!({"id": 1, "title": "Buy milk", "done": true});
    assert_eq!(
        api.send_json("PATCH", "/todos/1", &json!({"done": true})),
        (200, None, done.clone())
    );
    let renamed = json!({"id": 1, "title": "Buy oat milk", "done": true});
    assert_eq!(
        api.send_json("PATCH", "/todos/1", &json!({"title": "Buy oat milk"})),
        (200, None, renamed.clone())
    );
    assert_eq!(api.get("/todos"), (200, json!([renamed, walk])));

    assert_eq!(
        api.call("DELETE", "/todos/1", None),
        (204, None, Value::Null)
    );
    assert_eq!(api.get("/todos/1").0, 404);
    assert_eq!(api.call("DELETE", "/todos/1", None).0, 404);
    assert_eq!(api.get("/todos"), (200, json!([walk])));
    // Ids are not reused.
    assert_eq!(
        api.send_json("POST", "/todos", &json!({"title": "Read"}))
            .1
            .as_deref(),
        Some("/todos/3")
    );
}

#[test]
fn bad_requests_are_refused() {
    let Some((_child, addr)) = spawn_example("todo") else {
        return;
    };
    let api = Api::new(addr);
    for (body, why) in [
        (r#"{"title": "#, "truncated JSON"),
        ("[]", "not an object"),
        ("{}", "no title"),
        (r#"{"title": 7}"#, "a title that is not a string"),
        (r#"{"title": "  "}"#, "an empty title"),
        (r#"{"title": "x", "tilte": "y"}"#, "an unknown field"),
    ] {
        let (status, _, _) = api.call("POST", "/todos", Some(("application/json", body)));
        assert_eq!(status, 400, "POST {why}");
    }
    let (status, _, _) = api.call("POST", "/todos", Some(("text/plain", r#"{"title": "x"}"#)));
    assert_eq!(status, 415);
    // None of them made a todo.
    assert_eq!(api.get("/todos"), (200, json!([])));

    api.send_json("POST", "/todos", &json!({"title": "x"}));
    for (body, why) in [
        (r#"{"done": "yes"}"#, "done not a bool"),
        (r#"{"dnoe": true}"#, "an unknown field"),
        (r#"{"title": ""}"#, "an empty title"),
    ] {
        let (status, _, _) = api.call("PATCH", "/todos/1", Some(("application/json", body)));
        assert_eq!(status, 400, "PATCH {why}");
    }
    for path in ["/todos/2", "/todos/abc", "/todos/-1", "/todos/0"] {
        assert_eq!(api.get(path).0, 404, "GET {path}");
        assert_eq!(
            api.send_json("PATCH", path, &json!({"done": true})).0,
            404,
            "PATCH {path}"
        );
    }
    assert_eq!(
        api.call("PUT", "/todos/1", Some(("application/json", "{}")))
            .0,
        405
    );
    assert_eq!(
        api.get("/todos/1"),
        (200, json!({"id": 1, "title": "x", "done": false}))
    );
}
