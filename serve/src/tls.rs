//! HTTPS for `serve`: `--tls-cert FILE --tls-key FILE` serve the directory
//! over TLS, `--redirect-http ADDR` answers plain HTTP on a second address
//! with `308` to the same URL over https, and SIGHUP reloads the
//! certificate from its files (a bad file is reported on stderr and the
//! certificate in use stays).
//!
//! | rule | result | test (`serve/tests/tls.rs` unless said) |
//! |---|---|---|
//! | `--tls-cert` and `--tls-key` | HTTPS; prints `listening on https://ADDR` | `serves_https_redirects_and_reloads` |
//! | only one of them, or `--redirect-http` without them | usage error | `tls_arguments` (unit) |
//! | a request on `--redirect-http` | `308`, `Location: https://HOST[:PORT]TARGET`: the host of `Host` (its port dropped), the HTTPS port unless 443, the request target as sent (path and query) | `serves_https_redirects_and_reloads`, `locations` (unit) |
//! | absolute-form target (`GET http://h/p`) | its authority is the host (RFC 9112 §3.2.2) | `locations` (unit) |
//! | no `Host`, a host with other than letters, digits, `-`, `.`, `_` (or a bracketed IPv6 address), a bad port, `OPTIONS *` | `400`, no redirect | `locations` (unit) |
//! | SIGHUP | the files are read again: new handshakes get the new certificate; stderr says so | `serves_https_redirects_and_reloads` |
//! | SIGHUP with a bad file | stderr names the error; the certificate in use stays | `serves_https_redirects_and_reloads` |

use std::net::SocketAddr;
use std::path::PathBuf;
use std::thread::JoinHandle;

use mini_async_http::{
    AIOServer, Request, Response, ResponseBuilder, ServerBuilder, ServerHandle, TlsConfig,
};

/// The TLS arguments (flattened into `serve`'s).
#[derive(Debug, clap::Args)]
pub struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain (leaf first); SIGHUP
    /// reloads it.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Also answer plain HTTP on ADDR, with 308 to the same URL over https.
    #[arg(long, value_name = "ADDR", requires = "tls_cert")]
    pub redirect_http: Option<String>,
}

impl TlsArgs {
    /// The configuration of `--tls-cert`/`--tls-key`, if given.
    fn config(&self) -> Option<TlsConfig> {
        Some(TlsConfig::from_pem_files(
            self.tls_cert.as_ref()?,
            self.tls_key.as_ref()?,
        ))
    }

    /// `https` with a certificate, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls_cert.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// `builder`, serving HTTPS if a certificate was given (its files are
    /// read when it binds).
    pub fn apply(&self, builder: ServerBuilder) -> ServerBuilder {
        match self.config() {
            Some(config) => builder.tls(config),
            None => builder,
        }
    }

    /// What runs next to the HTTPS server `server`: the SIGHUP reload, and
    /// the redirecting server of `--redirect-http`. Call before announcing
    /// the server (SIGHUP is caught from here on).
    pub fn start(&self, server: &AIOServer) -> Result<Https, String> {
        let Some(config) = self.config() else {
            return Ok(Https { redirect: None });
        };
        reload_on_sighup(server.handle(), config)?;
        let Some(addr) = &self.redirect_http else {
            return Ok(Https { redirect: None });
        };
        let https_port = server.local_addr().port();
        let mut redirect = AIOServer::builder()
            .workers(1)
            .bind(addr.as_str(), move |req: &Request| {
                redirect(req, https_port)
            })
            .map_err(|e| format!("--redirect-http {addr}: {e}"))?;
        let local = redirect.local_addr();
        let handle = redirect.handle();
        let thread = std::thread::Builder::new()
            .name("serve-redirect".into())
            .spawn(move || redirect.start())
            .map_err(|e| format!("--redirect-http thread: {e}"))?;
        Ok(Https {
            redirect: Some(Redirect {
                addr: local,
                handle,
                thread: Some(thread),
            }),
        })
    }
}

/// The parts of HTTPS that run next to the server; dropping it stops them.
#[derive(Debug)]
pub struct Https {
    redirect: Option<Redirect>,
}

#[derive(Debug)]
struct Redirect {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl Https {
    /// Prints the redirecting server's address, if there is one.
    pub fn announce(&self) {
        if let Some(r) = &self.redirect {
            println!("redirecting http://{} to https", r.addr);
        }
    }
}

impl Drop for Redirect {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reloads `config` into the server at each SIGHUP, on a thread of its own.
fn reload_on_sighup(handle: ServerHandle, config: TlsConfig) -> Result<(), String> {
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP])
        .map_err(|e| format!("SIGHUP handler: {e}"))?;
    std::thread::Builder::new()
        .name("serve-sighup".into())
        .spawn(move || {
            for _ in signals.forever() {
                match handle.reload_tls(&config) {
                    Ok(()) => eprintln!("serve: SIGHUP: TLS certificate reloaded"),
                    Err(e) => eprintln!(
                        "serve: SIGHUP: TLS certificate not reloaded, the old one stays: {e}"
                    ),
                }
            }
        })
        .map_err(|e| format!("SIGHUP thread: {e}"))?;
    Ok(())
}

/// `308` to the request's URL over https on `https_port`, or `400` when
/// the request names no usable host.
fn redirect(req: &Request, https_port: u16) -> Response {
    location(req, https_port)
        .and_then(|url| ResponseBuilder::redirect_308(&url).build().ok())
        .unwrap_or_else(|| {
            ResponseBuilder::empty_400()
                .content_type("text/plain; charset=utf-8")
                .body("no usable Host to redirect to\n")
                .build()
                .expect("a fixed response")
        })
}

/// `https://HOST[:PORT]TARGET` for the request (see the module doc).
fn location(req: &Request, https_port: u16) -> Option<String> {
    let target = req.target();
    let (authority, rest) = if target.starts_with('/') {
        (req.header("host")?, target)
    } else {
        // Absolute-form: the target's authority is the host.
        let (scheme, after) = target.split_once("://")?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return None;
        }
        let cut = after.find(['/', '?']).unwrap_or(after.len());
        after.split_at(cut)
    };
    let host = host_of(authority)?;
    let port = if https_port == 443 {
        String::new()
    } else {
        format!(":{https_port}")
    };
    let slash = if rest.starts_with('/') { "" } else { "/" };
    Some(format!("https://{host}{port}{slash}{rest}"))
}

/// The host of an authority `host[:port]` (no user info), if it is a
/// plain name, an IPv4 address or a bracketed IPv6 address.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        let (host, rest) = authority.split_at(end);
        let inner = &host[1..end - 1];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        (host, rest)
    } else {
        let cut = authority.find(':').unwrap_or(authority.len());
        let (host, rest) = authority.split_at(cut);
        let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
        if host.is_empty() || !host.bytes().all(plain) {
            return None;
        }
        (host, rest)
    };
    match port.strip_prefix(':') {
        None if port.is_empty() => Some(host),
        Some(digits) if digits.parse::<u16>().is_ok() => Some(host),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use mini_async_http::Method;

    use super::*;

    fn to(target: &str, host: Option<&str>, port: u16) -> Option<String> {
        let mut req = Request::new(Method::Get, target);
        if let Some(host) = host {
            req = req.with_header("Host", host);
        }
        location(&req, port)
    }

    #[test]
    fn locations() {
        let at = |target, host| to(target, Some(host), 8443);
        assert_eq!(
            at("/a/b?x=1&y", "example.com:8080").as_deref(),
            Some("https://example.com:8443/a/b?x=1&y")
        );
        assert_eq!(
            to("/", Some("Example.COM"), 443).as_deref(),
            Some("https://Example.COM/")
        );
        assert_eq!(
            at("/%2e%2e/x", "[::1]:80").as_deref(),
            Some("https://[::1]:8443/%2e%2e/x")
        );
        assert_eq!(
            at("/p", "127.0.0.1").as_deref(),
            Some("https://127.0.0.1:8443/p")
        );
        // Absolute-form: the target's authority wins over Host.
        assert_eq!(
            at("http://a.test:80/p?q", "b.test").as_deref(),
            Some("https://a.test:8443/p?q")
        );
        assert_eq!(
            at("HTTP://a.test?q", "b.test").as_deref(),
            Some("https://a.test:8443/?q")
        );
        // Nothing usable: 400.
        assert_eq!(to("/", None, 8443), None, "no Host");
        for bad in [
            "", "a b", "a/b", "user@a", "a:", "a:x", "a:99999", "[]", "[::1", "[::1]x", "[g::]",
            "a\"b",
        ] {
            assert_eq!(at("/", bad), None, "{bad:?}");
        }
        assert_eq!(at("*", "a.test"), None, "OPTIONS *");
        assert_eq!(at("ftp://a.test/", "a.test"), None);
        let resp = redirect(&Request::new(Method::Get, "/"), 8443);
        assert_eq!(resp.status(), 400);
        let resp = redirect(
            &Request::new(Method::Post, "/up?x").with_header("Host", "h"),
            8443,
        );
        assert_eq!(
            (resp.status(), resp.headers().get("location")),
            (308, Some("https://h:8443/up?x"))
        );
    }
}
