//! The response for a regular file: the variant it picks, the validators
//! and preconditions, the range, and the body (read now when it is small,
//! else sent from the file by the server).

use std::fs::{File, Metadata};
use std::os::unix::fs::FileExt;

use super::encoding::{Coding, accepted_codings, content_type};
use super::open::Parent;
use super::path::valid_name;
use super::range::{Multipart, Ranges, boundary, content_range, parse_range};
use super::validators::{Precondition, Validators, evaluate, if_range_matches};
use super::{Files, finish};
use crate::http::{Body, Method, Request, Response, ResponseBuilder};

impl Files {
    /// A regular file `name` in `parent` (the variant it picks, the
    /// preconditions, the range).
    pub(super) fn serve_file(
        &self,
        req: &Request,
        file: File,
        meta: Metadata,
        parent: &Parent<'_>,
        name: &str,
    ) -> Response {
        let content_type = content_type(name);
        let (file, meta, coding) = self.variant(req, file, meta, parent, name);
        let v = Validators::of(&meta, coding.map(Coding::token));
        let mut head = ResponseBuilder::new().header("ETag", &v.etag);
        if let Some(date) = v.last_modified() {
            head = head.header("Last-Modified", &date);
        }
        if let Some(value) = &self.cache_control {
            head = head.header("Cache-Control", value);
        }
        if self.precompressed {
            head = head.header("Vary", "Accept-Encoding");
        }
        match evaluate(req.headers(), &v) {
            Precondition::Proceed => {}
            Precondition::NotModified => return finish(head.status(304)),
            Precondition::Failed => return finish(head.status(412)),
        }
        let len = meta.len();
        let ranges = if *req.method() == Method::Get {
            ranges(req, &v, len)
        } else {
            Ranges::Ignore
        };
        if ranges == Ranges::Unsatisfiable {
            return finish(
                head.status(416)
                    .header("Content-Range", &format!("bytes */{len}")),
            );
        }
        head = head
            .header("X-Content-Type-Options", "nosniff")
            .header("Accept-Ranges", "bytes");
        if let Some(coding) = coding {
            head = head.header("Content-Encoding", coding.token());
        }
        finish(match ranges {
            Ranges::Satisfiable(parts) if parts.len() > 1 => {
                let boundary = boundary();
                let body = Multipart::new(file, &parts, len, &content_type, &boundary);
                let body_len = body.body_len();
                head.status(206)
                    .content_type(&format!("multipart/byteranges; boundary={boundary}"))
                    .body(Body::reader(body, Some(body_len)))
            }
            Ranges::Satisfiable(parts) => {
                let part = &parts[0];
                head.status(206)
                    .content_type(&content_type)
                    .header("Content-Range", &content_range(part, len))
                    .body(file_body(file, part.start, part.end - part.start, true))
            }
            Ranges::Ignore | Ranges::Unsatisfiable => head
                .content_type(&content_type)
                .body(file_body(file, 0, len, *req.method() == Method::Get)),
        })
    }

    /// The precompressed sibling to send instead of `name`, if precompressed
    /// variants are on, the client allows its coding and it is a regular
    /// file (opened with `O_NOFOLLOW`: a symlinked sibling is not used).
    fn variant(
        &self,
        req: &Request,
        file: File,
        meta: Metadata,
        parent: &Parent<'_>,
        name: &str,
    ) -> (File, Metadata, Option<Coding>) {
        if self.precompressed {
            for coding in accepted_codings(req.headers()) {
                let sibling = format!("{name}{}", coding.suffix());
                if !valid_name(&sibling, self.open.hidden) {
                    continue;
                }
                let Ok(fd) = parent.open(&sibling) else {
                    continue;
                };
                let variant = File::from(fd);
                if let Ok(variant_meta) = variant.metadata() {
                    if variant_meta.is_file() {
                        return (variant, variant_meta, Some(coding));
                    }
                }
            }
        }
        (file, meta, None)
    }
}

/// The most bytes of a file body that are read into memory when the
/// response is made (for a GET), so that the server sends them with the head
/// in one write (one TCP segment) instead of a write and a `sendfile`; larger
/// bodies are sent from the file as the client takes them.
pub(crate) const INLINE_BODY: u64 = 16 * 1024;

/// `len` bytes of `file` from `offset`: read now when `read` and they are
/// few ([`INLINE_BODY`]), else sent from the file. A file that turns out
/// shorter than that (it shrank since it was opened) or fails to read is
/// left to the server as a file body, which ends the connection when the
/// bytes do not come: never a body shorter than its announced length.
pub(super) fn file_body(file: File, offset: u64, len: u64, read: bool) -> Body {
    if read && len <= INLINE_BODY {
        let mut bytes = vec![0; usize::try_from(len).unwrap_or(0)];
        if file.read_exact_at(&mut bytes, offset).is_ok() {
            return Body::from(bytes);
        }
    }
    Body::file(file, offset, len)
}

/// The ranges a GET asks for: one `Range` field, and `If-Range` (if any)
/// matching.
fn ranges(req: &Request, v: &Validators, len: u64) -> Ranges {
    let mut values = req.headers().get_all("range");
    let (Some(value), None) = (values.next(), values.next()) else {
        return Ranges::Ignore;
    };
    if let Some(if_range) = req.header("if-range") {
        if !if_range_matches(if_range, v) {
            return Ranges::Ignore;
        }
    }
    parse_range(value, len)
}
