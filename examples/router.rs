//! A `Router` with the request conveniences: path parameters, a catch-all,
//! the query, form bodies, cookies, JSON, a middleware and shared state.
//!
//! `cargo run --example router [PORT]` (default 7878; 0 picks a free port)
//! serves on 127.0.0.1 with the library's default limits and prints
//! `listening on 127.0.0.1:PORT` once ready. The application is built by
//! `app()` in `examples/router/app.rs`; `tests/router_example.rs` checks
//! every line below against this binary over a socket (raw bytes and
//! `ureq`) and against `app()` through the in-memory `TestClient`.
//!
//! | request | answer | test |
//! |---|---|---|
//! | `GET /` | 200 `text/plain` `index` | `index_is_plain_text` |
//! | `GET /users/{id}` | `user <id>`, percent-decoded (`%2F` is a `/`, `+` stays) | `user_id_is_decoded` |
//! | `POST /users` | 201, `Location: /users/<n>` (n from 1, shared by all workers), the request's body | `post_users_counts_from_one`, `user_numbers_are_shared_by_all_workers` |
//! | `DELETE /users/{id}` | 204 | `delete_user_is_204` |
//! | `GET /files/{*path}` | `file <path>`: the rest of the path, decoded per segment, slashes kept | `files_catch_all_keeps_slashes` |
//! | `GET /search` | the decoded query pairs as `k=v` lines, in order | `search_lists_decoded_query_pairs` |
//! | `POST /form` | the decoded `application/x-www-form-urlencoded` pairs as `k=v` lines; another content type: 415 | `form_lists_decoded_pairs` |
//! | `GET /cookies` | the request's cookies as `name=value` lines, in order | `cookies_are_listed_in_order` |
//! | `GET /login` | 200, `Set-Cookie: session=abc; Path=/; HttpOnly; SameSite=Lax` | `login_sets_the_session_cookie` |
//! | `GET /json` | `{"ok":true}` as `application/json` | `get_json_is_ok_true` |
//! | `POST /json` (`application/json`, `application/*+json`) | an object with an `i64` `n`: `{"n":n+1}` | `post_json_increments_n` |
//! | `POST /json`: bad JSON, not an object, `n` missing or not an `i64`, `n+1` overflows | 400 | `post_json_refuses_bad_input` |
//! | `POST /json` with another content type | 415 | `post_json_other_media_type_is_415` |
//! | `GET /admin/{*rest}` | without `Authorization: Bearer secret`: 401, `WWW-Authenticate: Bearer`; with it: `admin <rest>` (decoded like `/files`) | `admin_requires_the_bearer_token` |
//! | a path parameter, query or form not UTF-8 once decoded | 400 | `user_id_is_decoded`, `files_catch_all_keeps_slashes`, `search_lists_decoded_query_pairs`, `form_lists_decoded_pairs`, `admin_requires_the_bearer_token` |
//! | a malformed escape (`%ZZ`, `%4`) | kept as it is | the same five |
//! | an empty catch-all (`/files/`) | 404 | `files_catch_all_keeps_slashes` |
//! | a body of 1 MiB (the default `max_body_bytes`), on any route | accepted; one byte more: 413, before routing | `body_limit_is_one_mebibyte_inclusive` |
//! | any other path | 404 `not found` | `other_paths_are_404` |
//! | a known path, another method | 405 with `Allow` | `wrong_method_is_405_with_allow` |
//! | `OPTIONS` | 204 with `Allow` | `options_is_204_with_allow` |
//! | `HEAD` of a `GET` route | its status and fields, no body | `head_has_no_body` |
//! | a trailing slash added or missing | 308 to the route's spelling | `trailing_slash_redirects` |
//! | `router PORT` with PORT not a port number | usage on stderr, exit status 2 | `a_bad_port_argument_is_refused` |

use std::io::Write;

use mini_async_http::{AIOServer, Handler};

#[path = "router/app.rs"]
mod app;

/// Starts the server and serves until Ctrl-C.
pub fn main() {
    env_logger::init();
    let port: u16 = match std::env::args().nth(1) {
        None => 7878,
        Some(arg) => arg.parse().unwrap_or_else(|_| {
            eprintln!("usage: router [PORT]  (not a port: {arg:?})");
            std::process::exit(2);
        }),
    };
    let mut server =
        AIOServer::bind(3, ("127.0.0.1", port), app::app().into_fn()).unwrap_or_else(|e| {
            eprintln!("router: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        });
    #[cfg(feature = "signals")]
    server
        .shutdown_on_signals()
        .expect("install signal handlers");
    println!("listening on {}", server.local_addr());
    std::io::stdout().flush().expect("stdout");
    server.start();
}
