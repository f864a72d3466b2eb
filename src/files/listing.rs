//! The HTML page listing a directory (off unless `Files::listing(true)`).
//!
//! Every name is HTML-escaped in the text and percent-encoded in its link,
//! so a file called `<img src=x onerror=alert(1)>.txt` is shown as text and
//! a name with a space, `+`, `#`, `%`, `?` or non-ASCII letters links to
//! itself. Hidden entries are left out (unless hidden files are served),
//! and so are names the handler would refuse (not UTF-8, or with `:` or
//! `\`), so every link reaches its entry. A symlink is listed as it is: if
//! it is not followed (it leads outside the root, or nowhere), its link
//! answers 404.

use std::fmt::Write;
use std::io;
use std::os::fd::AsFd;

use rustix::fs::{AtFlags, Dir, FileType, statat};

use super::path::{encode_segment, valid_name};

/// Entries listed at most; a larger directory's page says how many more
/// there are.
const MAX_ENTRIES: usize = 10_000;

/// The page for the directory `dir`, shown as `title` (its URL path,
/// decoded).
pub(crate) fn render(
    dir: impl AsFd,
    title: &str,
    at_root: bool,
    hidden: bool,
) -> io::Result<String> {
    let mut entries = Vec::new();
    let mut more = 0usize;
    for entry in Dir::read_from(&dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if !valid_name(name, hidden) {
            continue;
        }
        if entries.len() == MAX_ENTRIES {
            more += 1;
            continue;
        }
        let mut kind = entry.file_type();
        if kind == FileType::Unknown {
            kind = statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)
                .map_or(FileType::Unknown, |st| FileType::from_raw_mode(st.st_mode));
        }
        entries.push((name.to_owned(), kind == FileType::Directory));
    }
    entries.sort_unstable();

    let title = escape(title);
    let mut page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>Index of {title}</title></head>\n<body><h1>Index of {title}</h1>\n<ul>\n"
    );
    if !at_root {
        page.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for (name, is_dir) in &entries {
        let slash = if *is_dir { "/" } else { "" };
        let _ = writeln!(
            page,
            "<li><a href=\"./{}{slash}\">{}{slash}</a></li>",
            encode_segment(name),
            escape(name)
        );
    }
    page.push_str("</ul>\n");
    if more > 0 {
        let _ = writeln!(page, "<p>{more} more entries not shown.</p>");
    }
    page.push_str("</body></html>\n");
    Ok(page)
}

/// `text` with `&`, `<`, `>`, `"` and `'` as character references, safe in
/// an element's text and in a quoted attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<img src=x onerror=alert(1)>&\"'"),
            "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;"
        );
    }
}
