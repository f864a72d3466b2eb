//! Helpers of the spooled-body tests (`tests/spool.rs`, `tests/splice.rs`):
//! a spool directory of the test's own, the spool files the server (which
//! runs in the test process) holds open, and a body read through
//! `body_reader`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mini_async_http::Request;

/// A directory of this test's own, removed when dropped.
pub struct SpoolDir(pub PathBuf);

impl SpoolDir {
    pub fn new(name: &str) -> SpoolDir {
        let dir = std::env::temp_dir().join(format!(
            "mini_async_http-spool-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create spool dir");
        SpoolDir(dir.canonicalize().expect("canonical spool dir"))
    }

    /// Names in the directory (the spool's files never have one for long).
    pub fn entries(&self) -> usize {
        std::fs::read_dir(&self.0).expect("read spool dir").count()
    }
}

impl Drop for SpoolDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Files of `dir` this process holds open (unlinked ones included: the
/// link reads `<dir>/<name> (deleted)`).
#[cfg(target_os = "linux")]
pub fn open_in(dir: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target.starts_with(dir))
        .count()
}

/// Waits (at most 10 s) until the number of files of `dir` open satisfies
/// `done`; `what` names the wait in the failure.
#[cfg(target_os = "linux")]
pub fn wait_open(dir: &Path, done: impl Fn(usize) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(open_in(dir)) {
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The sum of `bytes` mod 2^32.
pub fn byte_sum(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0u32, |s, &b| s.wrapping_add(u32::from(b)))
}

/// Reads the request's body through `body_reader`: (sum of its bytes mod
/// 2^32, bytes read).
pub fn read_through(req: &Request) -> (u32, usize) {
    let mut reader = req.body_reader();
    let mut buf = vec![0; 64 * 1024];
    let (mut sum, mut read) = (0u32, 0usize);
    loop {
        let n = reader.read(&mut buf).expect("read body");
        if n == 0 {
            return (sum, read);
        }
        read += n;
        sum = sum.wrapping_add(byte_sum(&buf[..n]));
    }
}
