use std::fmt;
use std::ops::Range;

/// Where a field lies in the buffer: `(name_start, name_end, value_start, value_end)`.
type Field = (usize, usize, usize, usize);

/// An ordered list of header fields with case-insensitive look-up.
///
/// Repeated fields are kept, in the order received or appended. Names and values
/// live in one buffer, so a `Headers` that is cleared and refilled (as the
/// server does for every request on a connection) does not allocate again.
///
/// ```
/// use mini_async_http::Headers;
///
/// let mut headers = Headers::new();
/// headers.append("Accept", "text/html");
/// headers.append("accept", "application/json");
/// headers.append("Host", "example.com");
///
/// assert_eq!(headers.get("ACCEPT"), Some("text/html"));
/// assert_eq!(headers.get_all("Accept").collect::<Vec<_>>(), ["text/html", "application/json"]);
/// assert_eq!(headers.len(), 3);
/// ```
#[derive(Clone, Default)]
pub struct Headers {
    /// The names and values. Fields added with `append` are stored as the
    /// lines they make on the wire (`Name: value\r\n`), so that a
    /// response's fields go out in one copy; fields copied from a request
    /// head in one piece keep what lay between them there, and `remove`
    /// leaves gaps.
    buf: String,
    /// `(name_start, name_end, value_start, value_end)` offsets into `buf`,
    /// in order.
    fields: Vec<Field>,
    /// `buf` is not just the fields' lines, in order (a block, or a gap left
    /// by `remove`).
    irregular: bool,
    /// A field may be one the server writes itself (`Connection`,
    /// `Keep-Alive`, `Date`): the encoder must look at each field. Never
    /// wrongly `false`; it may stay `true` after such a field is removed.
    server_names: bool,
}

impl Headers {
    /// An empty list.
    ///
    /// ```
    /// let headers = mini_async_http::Headers::new();
    /// assert!(headers.is_empty());
    /// ```
    #[must_use]
    pub const fn new() -> Headers {
        Headers {
            buf: String::new(),
            fields: Vec::new(),
            irregular: false,
            server_names: false,
        }
    }

    /// The number of fields, counting repeats.
    ///
    /// ```
    /// let mut headers = mini_async_http::Headers::new();
    /// headers.append("Via", "a");
    /// headers.append("Via", "b");
    /// assert_eq!(headers.len(), 2);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// `true` if there is no field.
    ///
    /// ```
    /// assert!(mini_async_http::Headers::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The value of the first field called `name` (ASCII case-insensitive).
    ///
    /// ```
    /// let mut headers = mini_async_http::Headers::new();
    /// headers.append("Content-Type", "text/plain");
    /// assert_eq!(headers.get("content-type"), Some("text/plain"));
    /// assert_eq!(headers.get("Content-Length"), None);
    /// ```
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The values of every field called `name`, in order.
    ///
    /// ```
    /// let mut headers = mini_async_http::Headers::new();
    /// headers.append("Set-Cookie", "a=1");
    /// headers.append("Set-Cookie", "b=2");
    /// assert_eq!(headers.get_all("set-cookie").count(), 2);
    /// ```
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// `true` if a field called `name` is present.
    ///
    /// ```
    /// let mut headers = mini_async_http::Headers::new();
    /// headers.append("Host", "example.com");
    /// assert!(headers.contains("host"));
    /// ```
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every `(name, value)` pair, in order, names as received.
    ///
    /// ```
    /// let mut headers = mini_async_http::Headers::new();
    /// headers.append("A", "1");
    /// headers.append("B", "2");
    /// let pairs: Vec<_> = headers.iter().collect();
    /// assert_eq!(pairs, [("A", "1"), ("B", "2")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields
            .iter()
            .map(|&(n, ne, v, e)| (&self.buf[n..ne], &self.buf[v..e]))
    }

    /// Adds a field at the end, keeping any others of the same name.
    ///
    /// Names and values are checked when a response is built
    /// ([`ResponseBuilder::build`](crate::ResponseBuilder::build)), not here.
    ///
    /// ```
    /// let mut headers = mini_async_http::Headers::new();
    /// headers.append("Vary", "Accept");
    /// headers.append("Vary", "Cookie");
    /// assert_eq!(headers.len(), 2);
    /// ```
    pub fn append(&mut self, name: &str, value: &str) {
        if self.fields.is_empty() {
            self.fields.reserve(4);
        }
        self.buf.reserve(name.len() + value.len() + 4);
        let start = self.buf.len();
        self.buf.push_str(name);
        let name_end = self.buf.len();
        self.buf.push_str(": ");
        self.buf.push_str(value);
        let value_end = self.buf.len();
        self.buf.push_str("\r\n");
        self.fields.push((start, name_end, name_end + 2, value_end));
        self.server_names |= server_name(name.as_bytes());
    }

    /// Replaces every field called `name` with one field holding `value`.
    ///
    /// ```
    /// let mut headers = mini_async_http::Headers::new();
    /// headers.append("Cache-Control", "no-cache");
    /// headers.insert("cache-control", "max-age=60");
    /// assert_eq!(headers.get_all("Cache-Control").collect::<Vec<_>>(), ["max-age=60"]);
    /// ```
    pub fn insert(&mut self, name: &str, value: &str) {
        if !self.fields.is_empty() {
            self.remove(name);
        }
        self.append(name, value);
    }

    /// [`insert`](Self::insert) of `Content-Type` (the builder's
    /// `content_type`): the name's line prefix is a constant, so it is
    /// copied without a call and is known not to be one of the server's.
    /// Out of line, so that `content_type`, which moves the builder by
    /// value, stays small enough to be inlined into the handler.
    #[inline(never)]
    pub(crate) fn insert_content_type(&mut self, value: &str) {
        const PREFIX: &str = "Content-Type: ";
        if !self.fields.is_empty() {
            self.remove("Content-Type");
        }
        if self.fields.is_empty() {
            self.fields.reserve(4);
        }
        self.buf.reserve(PREFIX.len() + value.len() + 2);
        let start = self.buf.len();
        self.buf.push_str(PREFIX);
        self.buf.push_str(value);
        let value_end = self.buf.len();
        self.buf.push_str("\r\n");
        self.fields.push((
            start,
            start + PREFIX.len() - 2,
            start + PREFIX.len(),
            value_end,
        ));
    }

    /// Removes every field called `name`; returns how many were removed.
    ///
    /// ```
    /// let mut headers = mini_async_http::Headers::new();
    /// headers.append("X-A", "1");
    /// headers.append("x-a", "2");
    /// assert_eq!(headers.remove("X-A"), 2);
    /// assert!(headers.is_empty());
    /// ```
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.fields.len();
        let buf = &self.buf;
        self.fields
            .retain(|&(n, ne, _, _)| !buf[n..ne].eq_ignore_ascii_case(name));
        let removed = before - self.fields.len();
        if self.fields.is_empty() {
            self.clear();
        } else if removed > 0 {
            self.irregular = true;
        }
        removed
    }

    /// Removes every field, keeping the memory for reuse.
    ///
    /// ```
    /// let mut headers = mini_async_http::Headers::new();
    /// headers.append("A", "1");
    /// headers.clear();
    /// assert!(headers.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.buf.clear();
        self.fields.clear();
        self.irregular = false;
        self.server_names = false;
    }
}

impl Headers {
    /// Replaces the contents with `block`, a run of fields copied in one
    /// piece (the request parser's: one copy for the whole head instead of
    /// one per name and value); [`push_field`](Self::push_field) then says
    /// where each field lies in it.
    ///
    /// `false` if `block` is not UTF-8. A block equal to the bytes already
    /// held (the previous head's on this connection, which
    /// [`forget`](Self::forget) keeps) is neither copied nor checked
    /// again: they are a `String`'s, so it is UTF-8.
    pub(crate) fn set_block(&mut self, block: &[u8]) -> bool {
        if self.buf.as_bytes() != block {
            let Ok(block) = std::str::from_utf8(block) else {
                return false;
            };
            self.buf.clear();
            self.buf.push_str(block);
        }
        self.fields.clear();
        self.irregular = true;
        self.server_names = true;
        true
    }

    /// Removes every field but keeps the stored bytes, for
    /// [`set_block`](Self::set_block) to compare the next head's with
    /// (a server's request, between requests). Nothing else sees them: the
    /// list is empty.
    pub(crate) fn forget(&mut self) {
        self.fields.clear();
        self.irregular = true;
        self.server_names = true;
    }

    /// Adds a field whose name and value are at these ranges of the block
    /// of [`set_block`](Self::set_block).
    pub(crate) fn push_field(&mut self, name: Range<usize>, value: Range<usize>) {
        debug_assert!(name.end <= value.start && value.end <= self.buf.len());
        debug_assert!(
            self.buf.get(name.clone()).is_some() && self.buf.get(value.clone()).is_some()
        );
        self.fields
            .push((name.start, name.end, value.start, value.end));
    }

    /// Bytes the fields take as `Name: value\r\n` lines (at most).
    pub(crate) fn encoded_len(&self) -> usize {
        self.buf.len() + 4 * self.fields.len()
    }

    /// The fields as the lines they make on the wire, in one piece, when
    /// that is what the storage holds and none of them is one the server
    /// writes itself (`Connection`, `Keep-Alive`, `Date`): what a
    /// response's fields usually are.
    pub(crate) fn wire_lines(&self) -> Option<&[u8]> {
        (!self.irregular && !self.server_names).then_some(self.buf.as_bytes())
    }

    /// Whether a field may be `Connection`, `Keep-Alive` or `Date` (`false`:
    /// none is).
    pub(crate) fn may_have_server_names(&self) -> bool {
        self.server_names
    }

    /// Every `(name, value)` pair as bytes: no UTF-8 boundary checks, for
    /// the server's own loops over a response's fields.
    pub(crate) fn iter_bytes(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let buf = self.buf.as_bytes();
        self.fields
            .iter()
            .map(move |&(n, ne, v, e)| (&buf[n..ne], &buf[v..e]))
    }

    /// Bytes of storage held, for deciding whether to keep it for reuse.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.buf.capacity() + self.fields.capacity() * std::mem::size_of::<Field>()
    }
}

/// `Connection`, `Keep-Alive` or `Date`, in any case: the fields the
/// server writes itself when it sends a response.
fn server_name(name: &[u8]) -> bool {
    match name.len() {
        4 => name.eq_ignore_ascii_case(b"date"),
        10 => name.eq_ignore_ascii_case(b"connection") || name.eq_ignore_ascii_case(b"keep-alive"),
        _ => false,
    }
}

/// Equal when the fields are, in order, whatever the storage looks like.
impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.fields.len() == other.fields.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for Headers {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(iter: I) -> Headers {
        let mut headers = Headers::new();
        for (name, value) in iter {
            headers.append(name, value);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block equal to the bytes kept by `forget` is taken as it is; one
    /// that is not UTF-8 is refused, whatever was kept.
    #[test]
    fn a_repeated_block_is_kept_and_a_bad_one_refused() {
        let mut headers = Headers::new();
        for _ in 0..2 {
            assert!(headers.set_block("A: \u{e9}".as_bytes()));
            headers.push_field(0..1, 3..5);
            assert_eq!(headers.get("a"), Some("\u{e9}"));
            headers.forget();
            assert!(headers.is_empty() && headers.get("a").is_none());
        }
        assert!(!headers.set_block(b"A: \xe9"));
        assert!(headers.set_block(b"B: 2"));
        headers.push_field(0..1, 3..4);
        assert_eq!(headers.iter().collect::<Vec<_>>(), [("B", "2")]);
    }

    #[test]
    fn equality_is_of_the_fields_not_the_storage() {
        let expected: Headers = [("A", "1"), ("C", "3")].into_iter().collect();

        let mut removed = Headers::new();
        removed.append("A", "1");
        removed.append("B", "2");
        removed.append("C", "3");
        assert_ne!(removed, expected);
        assert_eq!(removed.remove("b"), 1);
        assert_eq!(removed, expected);

        // As the request parser stores them: one block, separators inside.
        let mut block = Headers::new();
        assert!(block.set_block(b"A: 1\r\nC:  3"));
        block.push_field(0..1, 3..4);
        block.push_field(6..7, 10..11);
        assert_eq!(block.iter().collect::<Vec<_>>(), [("A", "1"), ("C", "3")]);
        assert_eq!(block.get("c"), Some("3"));
        assert_eq!(block, expected);

        block.append("D", "4");
        assert_eq!(block.get("D"), Some("4"));
        assert_ne!(block, expected);
    }
}
