//! The `Date` field value (RFC 9110 §6.6.1, IMF-fixdate), formatted at most
//! once a second per thread.
//!
//! The cache is thread-local, as hyper's is: no lock and no race between
//! threads that would read a half-written value from a shared cache.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const DATE_LEN: usize = 29;

thread_local! {
    static CACHE: Cell<(u64, [u8; DATE_LEN])> = const { Cell::new((u64::MAX, [0; DATE_LEN])) };
}

/// The current time as an IMF-fixdate.
///
/// ```
/// # #[cfg(feature = "internals")] {
/// let date = mini_async_http::proto::http_date();
/// assert!(date.ends_with(b" GMT"));
/// # }
/// ```
#[must_use]
pub fn http_date() -> [u8; DATE_LEN] {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let (cached_secs, cached) = cache.get();
        if cached_secs == secs {
            return cached;
        }
        let text = httpdate::fmt_http_date(now);
        let mut date = [b' '; DATE_LEN];
        let n = text.len().min(DATE_LEN);
        date[..n].copy_from_slice(&text.as_bytes()[..n]);
        cache.set((secs, date));
        date
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_back() {
        let date = super::http_date();
        let text = std::str::from_utf8(&date).unwrap();
        assert!(httpdate::parse_http_date(text).is_ok(), "{text}");
    }
}
