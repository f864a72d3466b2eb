//! The contract of `examples/router.rs` (its module doc's table), written
//! once against a [`Transport`] and run by `tests/router_example.rs` over
//! three of them: raw bytes on a socket and `ureq`, both to the built
//! binary, and the in-memory `TestClient` on the example's `app()`.
//!
//! Each check is a function named like its row in the table;
//! [`contract_tests!`] makes a `#[test]` of each for a transport, so a
//! check that is not listed there is dead code (and fails clippy).

mod checks;

pub use checks::*;

/// A request a check sends.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: &'static str,
    pub target: String,
    /// `(name, value)` in order; the transport adds `Host`, and
    /// `Content-Length` when there is a body.
    pub headers: Vec<(&'static str, String)>,
    /// `None`: no body and no `Content-Length`.
    pub body: Option<Vec<u8>>,
}

impl Req {
    pub fn new(method: &'static str, target: &str) -> Req {
        Req {
            method,
            target: target.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn get(target: &str) -> Req {
        Req::new("GET", target)
    }

    pub fn post(target: &str, body: impl Into<Vec<u8>>) -> Req {
        Req::new("POST", target).body(body)
    }

    #[must_use]
    pub fn header(mut self, name: &'static str, value: &str) -> Req {
        self.headers.push((name, value.to_owned()));
        self
    }

    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Req {
        self.body = Some(body.into());
        self
    }

    /// What a failed assertion shows of the request.
    pub fn describe(&self) -> String {
        let len = self.body.as_ref().map_or(0, Vec::len);
        format!(
            "{} {} {:?} ({len} body bytes)",
            self.method, self.target, self.headers
        )
    }
}

/// A response as a transport read it.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    /// `(name, value)` in order, names as received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The transport and the request, for assertion messages.
    pub context: String,
}

impl Resp {
    /// The first field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of `Content-Type`, without parameters.
    pub fn media_type(&self) -> Option<&str> {
        self.header("content-type")
            .map(|v| v.split(';').next().unwrap_or("").trim())
    }

    /// Asserts the status and the body (as UTF-8 text).
    #[track_caller]
    pub fn is(&self, status: u16, body: &str) -> &Resp {
        assert_eq!(
            (self.status, String::from_utf8_lossy(&self.body).as_ref()),
            (status, body),
            "{}",
            self.context
        );
        self
    }

    /// Asserts the status only.
    #[track_caller]
    pub fn status_is(&self, status: u16) -> &Resp {
        assert_eq!(self.status, status, "{}", self.context);
        self
    }

    /// Asserts that the field `name` is `value`.
    #[track_caller]
    pub fn has(&self, name: &str, value: &str) -> &Resp {
        assert_eq!(self.header(name), Some(value), "{name} of {}", self.context);
        self
    }
}

/// One way of sending a request to the example and reading its answer.
pub trait Transport {
    /// Its name in assertion messages.
    fn name(&self) -> &'static str;

    /// Sends `req` and reads the final response (a transport that sends
    /// `Expect: 100-continue` handles the interim `100` itself).
    fn exchange(&mut self, req: &Req) -> Resp;

    /// Whether it can send the request-target `*` (`OPTIONS *`).
    fn sends_asterisk(&self) -> bool {
        true
    }

    /// [`exchange`](Self::exchange), with the request in the response's
    /// context.
    fn send(&mut self, req: Req) -> Resp {
        let mut resp = self.exchange(&req);
        resp.context = format!("{}: {}", self.name(), req.describe());
        resp
    }
}

/// `#[test] fn <check>() { $run(router_contract::<check>) }` for every
/// check of the contract.
macro_rules! contract_tests {
    ($run:path) => {
        $crate::router_contract::contract_tests!(@each $run;
            index_is_plain_text,
            user_id_is_decoded,
            post_users_counts_from_one,
            delete_user_is_204,
            files_catch_all_keeps_slashes,
            search_lists_decoded_query_pairs,
            form_lists_decoded_pairs,
            cookies_are_listed_in_order,
            login_sets_the_session_cookie,
            get_json_is_ok_true,
            post_json_increments_n,
            post_json_refuses_bad_input,
            post_json_other_media_type_is_415,
            admin_requires_the_bearer_token,
            body_limit_is_one_mebibyte_inclusive,
            other_paths_are_404,
            wrong_method_is_405_with_allow,
            options_is_204_with_allow,
            head_has_no_body,
            trailing_slash_redirects,
        );
    };
    (@each $run:path; $($check:ident),* $(,)?) => {$(
        #[test]
        fn $check() {
            $run($crate::router_contract::$check);
        }
    )*};
}
pub(crate) use contract_tests;
