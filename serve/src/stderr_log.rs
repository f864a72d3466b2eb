//! The logger of `serve`: access records and the library's messages on
//! stderr, one `write` per line.
//!
//! An access record (target `mini_async_http::access`) is printed as it
//! is, in Combined Log Format; anything else at `info` or above is printed
//! as `serve: LEVEL target: message`. A line is formatted into a buffer of
//! the worker's thread and written whole, so lines from several workers
//! never interleave (a write of up to `PIPE_BUF` bytes to a pipe is atomic)
//! and a line costs one system call.

use std::cell::RefCell;
use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};

/// The log target of the server's access records.
const ACCESS: &str = "mini_async_http::access";

/// Prints to stderr; see the module doc.
#[derive(Debug)]
struct StderrLog {
    /// Whether access records are printed (`--quiet` turns them off).
    access: bool,
}

/// Installs the logger. With `access` off, the server is not asked to make
/// access records either (`ServerBuilder::access_log(false)`), so this only
/// keeps the library's own messages.
pub(crate) fn init(access: bool) {
    let logger: &'static StderrLog = Box::leak(Box::new(StderrLog { access }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}

impl Log for StderrLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        if metadata.target() == ACCESS {
            self.access && metadata.level() <= Level::Info
        } else {
            metadata.level() <= Level::Info
        }
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        thread_local! {
            static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        LINE.with_borrow_mut(|line| {
            line.clear();
            // Writing to a Vec cannot fail; a failed write to stderr has
            // nowhere to be reported.
            let _ = if record.target() == ACCESS {
                writeln!(line, "{}", record.args())
            } else {
                writeln!(
                    line,
                    "serve: {} {}: {}",
                    record.level(),
                    record.target(),
                    record.args()
                )
            };
            let _ = std::io::stderr().lock().write_all(line);
            // A line as long as a huge request target is not kept around.
            if line.capacity() > 64 * 1024 {
                *line = Vec::new();
            }
        });
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(target: &str, level: Level) -> Metadata<'_> {
        Metadata::builder().target(target).level(level).build()
    }

    #[test]
    fn access_records_only_when_asked() {
        let on = StderrLog { access: true };
        let off = StderrLog { access: false };
        assert!(on.enabled(&meta(ACCESS, Level::Info)));
        assert!(!off.enabled(&meta(ACCESS, Level::Info)));
        assert!(!on.enabled(&meta(ACCESS, Level::Debug)));
        for logger in [&on, &off] {
            assert!(logger.enabled(&meta("mini_async_http::server", Level::Warn)));
            assert!(logger.enabled(&meta("mini_async_http", Level::Info)));
            assert!(!logger.enabled(&meta("mini_async_http", Level::Debug)));
        }
    }
}
