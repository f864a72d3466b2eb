//! `Content-Type` from a name, and the choice of a precompressed sibling
//! from `Accept-Encoding` (RFC 9110 §12.5.3).

use std::borrow::Cow;

use crate::http::Headers;

/// A content coding with a precompressed sibling file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// `br`, in `name.br`.
    Br,
    /// `gzip`, in `name.gz`.
    Gzip,
}

impl Coding {
    /// The `Content-Encoding` token.
    #[must_use]
    pub fn token(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The sibling's suffix.
    #[must_use]
    pub fn suffix(self) -> &'static str {
        match self {
            Coding::Br => ".br",
            Coding::Gzip => ".gz",
        }
    }
}

/// The codings `Accept-Encoding` allows, best first: by q-value, `br`
/// before `gzip` at equal q; a coding not named takes the q of `*`, and
/// q=0 refuses. Elements that do not parse are skipped. An absent field
/// allows nothing here (the identity file is served).
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use mini_async_http::Headers;
/// use mini_async_http::files_internals::{accepted_codings, Coding};
/// let h = |v| [("Accept-Encoding", v)].into_iter().collect::<Headers>();
/// assert_eq!(accepted_codings(&h("gzip, deflate, br")), [Coding::Br, Coding::Gzip]);
/// assert_eq!(accepted_codings(&h("br;q=0.5, gzip")), [Coding::Gzip, Coding::Br]);
/// assert_eq!(accepted_codings(&h("*, br;q=0")), [Coding::Gzip]);
/// # }
/// ```
#[must_use]
pub fn accepted_codings(headers: &Headers) -> Vec<Coding> {
    let (mut br, mut gzip, mut star) = (None, None, None);
    for value in headers.get_all("accept-encoding") {
        for element in value.split(',') {
            let mut parts = element.split(';');
            let coding = parts.next().unwrap_or("").trim_matches([' ', '\t']);
            let mut q = Some(1000);
            for param in parts {
                let param = param.trim_matches([' ', '\t']);
                if let Some(value) = param
                    .strip_prefix("q=")
                    .or_else(|| param.strip_prefix("Q="))
                {
                    q = qvalue(value);
                }
            }
            let Some(q) = q else { continue };
            let slot = if coding.eq_ignore_ascii_case("br") {
                &mut br
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if coding == "*" {
                &mut star
            } else {
                continue;
            };
            *slot = Some(q);
        }
    }
    let mut codings: Vec<(u16, Coding)> =
        [(br.or(star), Coding::Br), (gzip.or(star), Coding::Gzip)]
            .into_iter()
            .filter_map(|(q, c)| q.filter(|&q| q > 0).map(|q| (q, c)))
            .collect();
    // Stable: br stays first at equal q.
    codings.sort_by_key(|&(q, _)| std::cmp::Reverse(q));
    codings.into_iter().map(|(_, c)| c).collect()
}

/// A qvalue (`0`, `0.x`…`0.xxx`, `1`, `1.0`…`1.000`) in thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(frac),
        "1" if frac == 0 => Some(1000),
        _ => None,
    }
}

/// The `Content-Type` of a file called `name`: from its extension, with
/// `; charset=utf-8` for text (`text/*`, JavaScript, JSON, XML, SVG and
/// other `+json`/`+xml` types), `application/octet-stream` when unknown.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// use mini_async_http::files_internals::content_type;
/// assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
/// assert_eq!(content_type("logo.png"), "image/png");
/// assert_eq!(content_type("blob"), "application/octet-stream");
/// # }
/// ```
#[must_use]
pub fn content_type(name: &str) -> Cow<'static, str> {
    if let Some(known) = common_type(name) {
        return Cow::Borrowed(known);
    }
    let Some(mime) = mime_guess::from_path(name).first_raw() else {
        return Cow::Borrowed("application/octet-stream");
    };
    if is_text(mime) {
        Cow::Owned(format!("{mime}; charset=utf-8"))
    } else {
        Cow::Borrowed(mime)
    }
}

/// The extensions most sites serve, with the whole value `content_type`
/// gives for them (charset included): a `match` instead of `mime_guess`'s
/// binary search over 1 000 extensions and a `format!` for text types
/// (`common_types_agree_with_mime_guess`). `None` for every other name.
fn common_type(name: &str) -> Option<&'static str> {
    // The extension as `Path::extension` finds it: after the last dot, with
    // something before that dot.
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() || ext.len() > 5 {
        return None;
    }
    let mut lower = [0u8; 5];
    let lower = &mut lower[..ext.len()];
    lower.copy_from_slice(ext.as_bytes());
    lower.make_ascii_lowercase();
    Some(match &*lower {
        b"html" | b"htm" => "text/html; charset=utf-8",
        b"css" => "text/css; charset=utf-8",
        b"js" => "text/javascript; charset=utf-8",
        b"mjs" => "application/javascript; charset=utf-8",
        b"json" => "application/json; charset=utf-8",
        b"txt" => "text/plain; charset=utf-8",
        b"svg" => "image/svg+xml; charset=utf-8",
        b"xml" => "text/xml; charset=utf-8",
        b"png" => "image/png",
        b"jpg" | b"jpeg" => "image/jpeg",
        b"gif" => "image/gif",
        b"webp" => "image/webp",
        b"ico" => "image/x-icon",
        b"woff" => "application/font-woff",
        b"woff2" => "font/woff2",
        b"wasm" => "application/wasm",
        b"pdf" => "application/pdf",
        b"mp4" => "video/mp4",
        b"webm" => "video/webm",
        b"bin" => "application/octet-stream",
        _ => return None,
    })
}

fn is_text(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.ends_with("+xml")
        || mime.ends_with("+json")
        || matches!(
            mime,
            "application/javascript" | "application/json" | "application/xml"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codings(value: &str) -> Vec<Coding> {
        accepted_codings(&[("Accept-Encoding", value)].into_iter().collect())
    }

    #[test]
    fn accept_encoding_negotiation() {
        use Coding::{Br, Gzip};
        assert_eq!(codings(""), []);
        assert_eq!(codings("identity"), []);
        assert_eq!(codings("gzip"), [Gzip]);
        assert_eq!(codings("GZIP, BR"), [Br, Gzip]);
        assert_eq!(codings("x-gzip"), [Gzip]);
        assert_eq!(codings("br;q=0.9, gzip;q=1"), [Gzip, Br]);
        assert_eq!(codings("br;q=0, gzip;q=0"), []);
        assert_eq!(codings("gzip;q=0.000, br;q=0.001"), [Br]);
        assert_eq!(codings("*"), [Br, Gzip]);
        assert_eq!(codings("*;q=0"), []);
        assert_eq!(codings("*;q=0.5, gzip"), [Gzip, Br]);
        assert_eq!(codings("br;q=2, gzip;q=0.1234, *;q=x"), []);
        assert_eq!(codings("br ; q=0.5 , gzip ; Q=0.4"), [Br, Gzip]);
        let two: Headers = [("Accept-Encoding", "gzip"), ("Accept-Encoding", "br;q=0.1")]
            .into_iter()
            .collect();
        assert_eq!(accepted_codings(&two), [Gzip, Br]);
    }

    #[test]
    fn common_types_agree_with_mime_guess() {
        let exts = [
            "html", "htm", "css", "js", "mjs", "json", "txt", "svg", "xml", "png", "jpg", "jpeg",
            "gif", "webp", "ico", "woff", "woff2", "wasm", "pdf", "mp4", "webm", "bin",
        ];
        for ext in exts {
            for name in [
                format!("a.{ext}"),
                format!("a.b.{}", ext.to_ascii_uppercase()),
            ] {
                let fast = common_type(&name).expect(ext);
                let slow = match mime_guess::from_path(&name).first_raw() {
                    Some(mime) if is_text(mime) => format!("{mime}; charset=utf-8"),
                    Some(mime) => mime.to_owned(),
                    None => "application/octet-stream".to_owned(),
                };
                assert_eq!(fast, slow, "{name}");
            }
        }
        for name in [".html", "html", "a.htmlx", "a.", "a.tar.gz", "a.é"] {
            assert_eq!(common_type(name), None, "{name}");
        }
        assert_eq!(content_type(".html"), "application/octet-stream");
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a.css"), "text/css; charset=utf-8");
        assert!(content_type("a.js").ends_with("javascript; charset=utf-8"));
        assert_eq!(content_type("a.json"), "application/json; charset=utf-8");
        assert_eq!(content_type("a.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(content_type("a.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("a.wasm"), "application/wasm");
        assert_eq!(content_type("a.JPG"), "image/jpeg");
        assert_eq!(content_type("noext"), "application/octet-stream");
        assert_eq!(content_type("a.unknownext"), "application/octet-stream");
    }
}
