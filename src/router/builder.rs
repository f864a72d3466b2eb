use std::collections::HashMap;
use std::fmt;

use super::dispatch::{Entry, Methods, Table, Target};
use super::exact::Exact;
use super::middleware::Middleware;
use super::{Next, RouteError, Router, pattern};
use crate::http::is_token;
use crate::{Handler, IntoResponse, Method, Request};

/// A handler as the router keeps it.
pub(super) type BoxHandler = Box<dyn Handler + Send + Sync>;

/// Name of the catch-all a mount adds below its prefix (not visible to
/// handlers: a mount's parameters are those of its prefix).
const BELOW: &str = "{*__below_mount}";

/// Builds a [`Router`]: routes, mounts, code around them and a fallback.
///
/// Every method takes and returns the builder, so a table reads as one
/// expression. A bad or conflicting pattern does not panic: the first one
/// is kept and [`build`](Self::build) returns it (later calls are then
/// ignored).
///
/// The methods that take a closure (`get`, `post`, …, `route`, `wrap`,
/// `fallback`) bound it directly by `Fn`, so its argument needs no type:
/// `.get("/", |req| …)`. A struct that implements [`Handler`] (a `Router`, a
/// `Files`, a type of yours) goes in through [`handler`](Self::handler) or
/// [`mount`](Self::mount).
///
/// ```
/// use mini_async_http::{Handler, Method, Request, Router, ResponseBuilder};
///
/// let router = Router::builder()
///     .get("/", |_| ResponseBuilder::empty_200().body(b"home").build().unwrap())
///     .post("/items", |req| ResponseBuilder::new().status(201).body(req.shared_body()).build().unwrap())
///     .route(Method::Other("PURGE".into()), "/cache", |_| ResponseBuilder::new().build().unwrap())
///     .build()
///     .unwrap();
/// assert_eq!(router.call(&Request::new(Method::Get, "/")).body(), b"home");
/// assert_eq!(router.call(&Request::new(Method::Get, "/nope")).status(), 404);
/// ```
#[must_use]
pub struct RouterBuilder {
    tree: matchit::Router<usize>,
    entries: Vec<Entry>,
    /// Each route pattern's entry, so a second method on it joins the first.
    by_pattern: HashMap<String, usize>,
    mounts: Vec<BoxHandler>,
    /// A mount's patterns in the tree, as `mount <prefix>` for messages.
    mount_patterns: Vec<(String, String)>,
    /// The patterns without parameters, as paths, and their entries: the
    /// [`Exact`] table's candidates.
    statics: Vec<(String, usize)>,
    middleware: Vec<Middleware>,
    fallback: Option<BoxHandler>,
    /// The first error; `build` returns it.
    error: Option<RouteError>,
}

impl Default for RouterBuilder {
    fn default() -> RouterBuilder {
        RouterBuilder::new()
    }
}

macro_rules! method_routes {
    ($($(#[$doc:meta])* $name:ident => $method:ident,)*) => {$(
        $(#[$doc])*
        pub fn $name<F, R>(self, pattern: &str, f: F) -> RouterBuilder
        where
            F: Fn(&Request) -> R + Send + Sync + 'static,
            R: IntoResponse,
        {
            self.handler(Method::$method, pattern, f)
        }
    )*};
}

impl RouterBuilder {
    /// An empty table: every request gets `404`.
    ///
    /// ```
    /// use mini_async_http::{Handler, Method, Request, RouterBuilder};
    /// let router = RouterBuilder::new().build().unwrap();
    /// assert_eq!(router.call(&Request::new(Method::Get, "/")).status(), 404);
    /// ```
    pub fn new() -> RouterBuilder {
        RouterBuilder {
            tree: matchit::Router::new(),
            entries: Vec::new(),
            by_pattern: HashMap::new(),
            mounts: Vec::new(),
            mount_patterns: Vec::new(),
            statics: Vec::new(),
            middleware: Vec::new(),
            fallback: None,
            error: None,
        }
    }

    method_routes! {
        /// Routes `GET` (and so `HEAD`, unless `HEAD` has its own route) on
        /// `pattern` to `f`.
        ///
        /// ```
        /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
        /// use mini_async_http::{Handler, Method, Request, Router};
        /// let router = Router::builder().get("/users/{id}", |req| text(req.param("id").unwrap().to_owned())).build().unwrap();
        /// assert_eq!(router.call(&Request::new(Method::Get, "/users/7")).body(), b"7");
        /// ```
        get => Get,
        /// Routes `POST` on `pattern` to `f`.
        ///
        /// ```
        /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
        /// use mini_async_http::{Handler, Method, Request, Router};
        /// let router = Router::builder().post("/echo", |req| text(req.body())).build().unwrap();
        /// let req = Request::new(Method::Post, "/echo").with_body("hi");
        /// assert_eq!(router.call(&req).body(), b"hi");
        /// ```
        post => Post,
        /// Routes `PUT` on `pattern` to `f`.
        ///
        /// ```
        /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
        /// use mini_async_http::{Handler, Method, Request, Router};
        /// let router = Router::builder().put("/x", |_| text("put")).build().unwrap();
        /// assert_eq!(router.call(&Request::new(Method::Put, "/x")).body(), b"put");
        /// ```
        put => Put,
        /// Routes `DELETE` on `pattern` to `f`.
        ///
        /// ```
        /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
        /// use mini_async_http::{Handler, Method, Request, Router};
        /// let router = Router::builder().delete("/x", |_| text("deleted")).build().unwrap();
        /// assert_eq!(router.call(&Request::new(Method::Delete, "/x")).body(), b"deleted");
        /// ```
        delete => Delete,
        /// Routes `PATCH` on `pattern` to `f`.
        ///
        /// ```
        /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
        /// use mini_async_http::{Handler, Method, Request, Router};
        /// let router = Router::builder().patch("/x", |_| text("patched")).build().unwrap();
        /// assert_eq!(router.call(&Request::new(Method::Patch, "/x")).body(), b"patched");
        /// ```
        patch => Patch,
        /// Routes `HEAD` on `pattern` to `f`, instead of the `GET` route.
        ///
        /// ```
        /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
        /// use mini_async_http::{Handler, Method, Request, Router};
        /// let router = Router::builder().head("/x", |_| text("head")).build().unwrap();
        /// assert_eq!(router.call(&Request::new(Method::Head, "/x")).body(), b"head");
        /// ```
        head => Head,
        /// Routes `OPTIONS` on `pattern` to `f`, instead of the router's
        /// own `204` with `Allow`.
        ///
        /// ```
        /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
        /// use mini_async_http::{Handler, Method, Request, Router};
        /// let router = Router::builder().options("/x", |_| text("mine")).build().unwrap();
        /// assert_eq!(router.call(&Request::new(Method::Options, "/x")).body(), b"mine");
        /// ```
        options => Options,
    }

    /// Routes `method` on `pattern` to `f`.
    ///
    /// ```
    /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
    /// use mini_async_http::{Handler, Method, Request, Router};
    /// let purge = Method::from_token("PURGE").unwrap();
    /// let router = Router::builder().route(purge.clone(), "/cache", |_| text("purged")).build().unwrap();
    /// assert_eq!(router.call(&Request::new(purge, "/cache")).body(), b"purged");
    /// ```
    pub fn route<F, R>(self, method: Method, pattern: &str, f: F) -> RouterBuilder
    where
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.handler(method, pattern, f)
    }

    /// Routes `method` on `pattern` to any [`Handler`] (a struct of yours, a
    /// `Router` for one route).
    ///
    /// ```
    /// use mini_async_http::{Handler, Method, Request, Response, ResponseBuilder, Router};
    ///
    /// struct Health;
    /// impl Handler for Health {
    ///     fn call(&self, _: &Request) -> Response {
    ///         ResponseBuilder::new().body(b"ok").build().unwrap()
    ///     }
    /// }
    /// let router = Router::builder().handler(Method::Get, "/health", Health).build().unwrap();
    /// assert_eq!(router.call(&Request::new(Method::Get, "/health")).body(), b"ok");
    /// ```
    pub fn handler(
        mut self,
        method: Method,
        pattern: &str,
        h: impl Handler + Send + Sync + 'static,
    ) -> RouterBuilder {
        if self.error.is_none() {
            if let Err(error) = self.add(method, pattern, Box::new(h)) {
                self.error = Some(error);
            }
        }
        self
    }

    /// Hands every request whose path is `prefix` followed by `/…` to `h`
    /// (any method), which reads the part below the prefix with
    /// [`Request::route_path`] (`/static/css/a.css` → `/css/a.css`). The
    /// prefix itself, without the slash, is redirected (`308`) to it with
    /// the slash. The prefix may have `{name}` parameters (read with
    /// [`Request::param`]); routes of this router that are more specific
    /// than the prefix (static segments below it) win over the mount.
    ///
    /// ```
    /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
    /// use mini_async_http::{Handler, Method, Request, Router};
    ///
    /// let api = Router::builder().get("/users/{id}", |req| {
    ///     text(format!("{} {}", req.param("v").unwrap(), req.param("id").unwrap()))
    /// }).build().unwrap();
    /// let router = Router::builder()
    ///     .mount("/api/{v}", api)
    ///     .mount("/static", |req: &Request| text(req.route_path().to_owned()))
    ///     .build()
    ///     .unwrap();
    /// let get = |path| router.call(&Request::new(Method::Get, path));
    /// assert_eq!(get("/api/v2/users/7").body(), b"v2 7");
    /// assert_eq!(get("/static/css/a.css").body(), b"/css/a.css");
    /// assert_eq!(get("/static/").body(), b"/");
    /// assert_eq!(get("/static").headers().get("location"), Some("/static/"));
    /// ```
    pub fn mount(mut self, prefix: &str, h: impl Handler + Send + Sync + 'static) -> RouterBuilder {
        if self.error.is_none() {
            if let Err(error) = self.add_mount(prefix, Box::new(h)) {
                self.error = Some(error);
            }
        }
        self
    }

    /// Runs `f` around every request this router answers: its routes, its
    /// mounts, and its own `404`, `405`, `OPTIONS` and redirect answers.
    /// `f` gets the request and the [`Next`] step, and may answer itself
    /// (without calling it) or call [`Next::run`] and change the response.
    ///
    /// The first `wrap` is the outermost: with `.wrap(a).wrap(b)` a request
    /// goes through `a`, then `b`, then the route, and the response back
    /// through `b`, then `a`. Code around routes runs before routing, so it
    /// sees no path parameter. For code around a part of the table only,
    /// mount a router of its own. Examples are in the [`Router`
    /// documentation](Router#code-around-routes).
    ///
    /// ```
    /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
    /// use mini_async_http::{Handler, Method, Request, Router};
    /// let router = Router::builder()
    ///     .get("/", |_| text("hi"))
    ///     .wrap(|req, next| {
    ///         let mut resp = next.run(req);
    ///         resp.set_header("X-Served-By", "mini").unwrap();
    ///         resp
    ///     })
    ///     .build()
    ///     .unwrap();
    /// let resp = router.call(&Request::new(Method::Get, "/"));
    /// assert_eq!(resp.headers().get("x-served-by"), Some("mini"));
    /// ```
    pub fn wrap<F, R>(mut self, f: F) -> RouterBuilder
    where
        F: Fn(&Request, Next<'_>) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.middleware
            .push(Box::new(move |req, next| f(req, next).into_response()));
        self
    }

    /// Answers the requests that match no route or mount (and are not
    /// redirected for a trailing slash) with `f`, instead of `404 not
    /// found`. A struct handler goes in through
    /// [`into_fn`](Handler::into_fn).
    ///
    /// ```
    /// # fn text(body: impl Into<mini_async_http::Body>) -> mini_async_http::Response { mini_async_http::ResponseBuilder::new().body(body).build().unwrap() }
    /// use mini_async_http::{Handler, Method, Request, Router};
    /// let router = Router::builder()
    ///     .get("/", |_| text("home"))
    ///     .fallback(|req| text(format!("no page at {}", req.path())))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(router.call(&Request::new(Method::Get, "/x")).body(), b"no page at /x");
    /// ```
    pub fn fallback<F, R>(mut self, f: F) -> RouterBuilder
    where
        F: Fn(&Request) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.fallback = Some(Box::new(f));
        self
    }

    /// The router.
    ///
    /// # Errors
    /// The first [`RouteError`] met while adding routes and mounts.
    ///
    /// ```
    /// use mini_async_http::{RouteError, Router};
    /// let err = Router::builder().get("users", |_| mini_async_http::ResponseBuilder::new().build().unwrap()).build().unwrap_err();
    /// assert_eq!(err, RouteError::InvalidPattern("users".into()));
    /// ```
    pub fn build(self) -> Result<Router, RouteError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut entries = self.entries;
        let mut all = Vec::new();
        for entry in &mut entries {
            if let Target::Route(methods) = &mut entry.target {
                methods.set_allow();
                all.extend(methods.methods().cloned());
            }
        }
        // A static path goes to the exact table only where the tree answers
        // it with its own entry, so that the table never answers otherwise.
        let tree = self.tree;
        let statics = self.statics.into_iter().filter(|(path, index)| {
            tree.at(path)
                .is_ok_and(|found| *found.value == *index && found.params.is_empty())
        });
        Ok(Router {
            table: Table {
                exact: Exact::new(statics.collect()),
                tree,
                entries: entries.into(),
                mounts: self.mounts.into(),
                fallback: self.fallback,
                allow_all: Methods::allow(all.iter()),
            },
            middleware: self.middleware.into(),
        })
    }

    fn add(&mut self, method: Method, pattern: &str, h: BoxHandler) -> Result<(), RouteError> {
        if !is_token(method.as_str()) {
            return Err(RouteError::InvalidMethod(method.as_str().to_owned()));
        }
        if let Some(&index) = self.by_pattern.get(pattern) {
            if let Target::Route(methods) = &mut self.entries[index].target {
                if methods.methods().any(|m| *m == method) {
                    return Err(RouteError::DuplicateRoute {
                        method,
                        pattern: pattern.to_owned(),
                    });
                }
                methods.push(method, h);
            }
            return Ok(());
        }
        let params = pattern::parse(pattern)?;
        let entry = Entry {
            pattern: pattern.into(),
            names: params.shared_names(),
            cuts: params.cuts.into(),
            target: Target::Route(Methods::new(method, h)),
        };
        let index = self.insert(pattern.to_owned(), pattern, entry)?;
        self.by_pattern.insert(pattern.to_owned(), index);
        Ok(())
    }

    fn add_mount(&mut self, prefix: &str, h: BoxHandler) -> Result<(), RouteError> {
        let params = pattern::parse(prefix)?;
        if prefix == "/" || prefix.ends_with('/') || params.catch_all {
            return Err(RouteError::InvalidMountPrefix(prefix.to_owned()));
        }
        let shown = format!("mount {prefix}");
        let mount = self.mounts.len();
        let names = params.shared_names();
        let below = [
            (prefix.to_owned(), Target::MountRoot),
            (format!("{prefix}/"), Target::Mount { mount, rest: false }),
            (
                format!("{prefix}/{BELOW}"),
                Target::Mount { mount, rest: true },
            ),
        ];
        for (internal, target) in below {
            let entry = Entry {
                pattern: shown.as_str().into(),
                names: names.clone(),
                cuts: pattern::parse(&internal)?.cuts.into(),
                target,
            };
            self.insert(internal.clone(), &shown, entry)?;
            self.mount_patterns.push((internal, shown.clone()));
        }
        self.mounts.push(h);
        Ok(())
    }

    /// Inserts `entry` under `internal` in the tree; `shown` names it in an
    /// error.
    fn insert(&mut self, internal: String, shown: &str, entry: Entry) -> Result<usize, RouteError> {
        let index = self.entries.len();
        let pattern = || shown.to_owned();
        let path = entry
            .cuts
            .is_empty()
            .then(|| internal.replace("{{", "{").replace("}}", "}"));
        self.tree.insert(internal, index).map_err(|e| match e {
            matchit::InsertError::Conflict { with } => RouteError::Conflict {
                pattern: pattern(),
                with: self.shown(with),
            },
            matchit::InsertError::InvalidParamSegment => RouteError::TwoParamsInSegment(pattern()),
            matchit::InsertError::InvalidCatchAll => RouteError::CatchAllNotLast(pattern()),
            _ => RouteError::InvalidParam(pattern()),
        })?;
        if let Some(path) = path {
            self.statics.push((path, index));
        }
        self.entries.push(entry);
        Ok(index)
    }

    /// How a pattern of the tree was given (a mount's as `mount <prefix>`).
    fn shown(&self, internal: String) -> String {
        self.mount_patterns
            .iter()
            .find(|(p, _)| *p == internal)
            .map_or(internal, |(_, shown)| shown.clone())
    }
}

impl fmt::Debug for RouterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterBuilder")
            .field("entries", &self.entries)
            .field("middleware", &self.middleware.len())
            .field("fallback", &self.fallback.is_some())
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}
