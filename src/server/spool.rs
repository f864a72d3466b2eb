//! The server's [`Spool`]: request bodies over
//! [`spool_threshold`](super::ServerBuilder::spool_threshold) go to unnamed
//! temporary files in [`spool_dir`](super::ServerBuilder::spool_dir),
//! written by the worker that decodes them.
//!
//! With the `splice` feature on Linux a file is made with `O_TMPFILE`: it
//! never has a name, mode 0600, and [`Request::persist_body`] can later
//! link it into place (`linkat`) instead of copying it. Where the file
//! system has no `O_TMPFILE` (and without the feature), a file is created
//! with a random name and `O_EXCL` (`create_new`: an existing name or a
//! planted symlink makes it fail, and another name is tried), mode 0600,
//! and unlinked at once: from then on it is only an open descriptor, so it
//! disappears when the request ends, however it ends, even if the process
//! is killed. Only between the create and the unlink, two system calls,
//! could a crash leave a file behind.
//!
//! No `tempfile` crate: it would bring several dependencies into every
//! build of a server that needs none of them for "hello world"; the
//! `O_TMPFILE` call is rustix's, which `splice` brings anyway.
//!
//! [`Request::persist_body`]: crate::Request::persist_body

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::proto::{Spool, SpoolWriter};

/// Names tried before giving up when they are all taken.
const NAME_TRIES: u32 = 16;

/// Unnamed temporary files in one directory.
#[derive(Debug)]
pub(crate) struct TempSpool {
    dir: PathBuf,
    threshold: u64,
}

impl TempSpool {
    pub(crate) fn new(dir: PathBuf, threshold: u64) -> TempSpool {
        TempSpool { dir, threshold }
    }
}

impl Spool for TempSpool {
    fn threshold(&self) -> u64 {
        self.threshold
    }

    fn create(&self) -> io::Result<Box<dyn SpoolWriter>> {
        Ok(Box::new(TempFile(create_unnamed(&self.dir)?)))
    }
}

/// One spooled body.
#[derive(Debug)]
struct TempFile(File);

impl SpoolWriter for TempFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    fn finish(self: Box<Self>) -> io::Result<File> {
        Ok(self.0)
    }

    fn file(&self) -> Option<&File> {
        Some(&self.0)
    }
}

/// A new file in `dir`, open for reading and writing, with no name.
fn create_unnamed(dir: &Path) -> io::Result<File> {
    #[cfg(all(feature = "splice", target_os = "linux"))]
    {
        use rustix::fs::{CWD, Mode, OFlags};
        use rustix::io::Errno;
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        match rustix::fs::openat(CWD, dir, flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => return Ok(File::from(fd)),
            // open(2): the file system has no O_TMPFILE (EOPNOTSUPP), or
            // the kernel none at all (EISDIR, EINVAL): a name, unlinked.
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => {}
            Err(e) => return Err(dir_error(dir, &e.into())),
        }
    }
    create_and_unlink(dir)
}

/// `e`, saying which directory the spool file could not be made in.
fn dir_error(dir: &Path, e: &io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!("cannot create a spool file in {}: {e}", dir.display()),
    )
}

/// A new file in `dir` with a random name, unlinked at once.
fn create_and_unlink(dir: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    for _ in 0..NAME_TRIES {
        let path = dir.join(random_name());
        match options.open(&path) {
            Ok(file) => {
                if let Err(e) = fs::remove_file(&path) {
                    log::error!("cannot unlink spool file {}: {e}", path.display());
                    return Err(e);
                }
                return Ok(file);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(dir_error(dir, &e)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free spool file name in {}", dir.display()),
    ))
}

/// `.mini_async_http-<pid>-<counter>-<64 random bits>`: the random part
/// comes from the keys std seeds from the OS for `HashMap`s.
fn random_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(n);
    format!(
        ".mini_async_http-{}-{n}-{:016x}",
        std::process::id(),
        hasher.finish()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom};

    fn test_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mini_async_http-spool-unit-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn files_are_unnamed_and_hold_what_was_appended() {
        let dir = test_dir("unnamed");
        let spool = TempSpool::new(dir.clone(), 10);
        let mut writer = spool.create().unwrap();
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0, "unlinked at once");
        writer.append(b"hello ").unwrap();
        writer.append(b"world").unwrap();
        let mut file = writer.finish().unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello world");
        fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn names_differ() {
        let a = random_name();
        let b = random_name();
        assert_ne!(a, b);
        assert!(a.starts_with(".mini_async_http-"));
    }

    #[test]
    fn a_missing_dir_is_an_error_naming_it() {
        let spool = TempSpool::new(PathBuf::from("/nonexistent/mini_async_http/spool"), 10);
        let err = spool.create().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(
            err.to_string()
                .contains("/nonexistent/mini_async_http/spool")
        );
    }

    /// `/dev/full` fails every write with ENOSPC: what a full disk does to
    /// a spool file. (`proto::spool_tests::write_error_mid_body` shows that
    /// such an error answers 507.)
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_fails_the_append() {
        let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
        let mut writer: Box<dyn SpoolWriter> = Box::new(TempFile(full));
        let err = writer.append(&[0; 4096]).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28), "ENOSPC: {err}");
    }

    /// With `splice` on Linux a spool file is made with `O_TMPFILE`, so that
    /// `Request::persist_body` links it: two persists of one body are two
    /// names of one inode, which stays once the spool's descriptor is closed.
    #[cfg(all(feature = "splice", target_os = "linux"))]
    #[test]
    fn a_spooled_body_is_persisted_by_a_link_not_a_copy() {
        use std::os::unix::fs::MetadataExt;
        let dir = test_dir("persist");
        let spool = TempSpool::new(dir.clone(), 10);
        let mut writer = spool.create().unwrap();
        writer.append(b"a spooled body").unwrap();
        let file = writer.finish().unwrap();
        assert_eq!(file.metadata().unwrap().nlink(), 0, "no name");
        let mut req = crate::Request::new(crate::Method::Put, "/");
        req.set_spooled(file, 14);
        assert_eq!(req.persist_body(dir.join("a")).unwrap(), 14);
        assert_eq!(req.persist_body(dir.join("b")).unwrap(), 14);
        drop(req);
        let (a, b) = (
            fs::metadata(dir.join("a")).unwrap(),
            fs::metadata(dir.join("b")).unwrap(),
        );
        assert_eq!((a.ino(), a.nlink()), (b.ino(), 2), "one inode, two names");
        assert_eq!(a.mode() & 0o777, 0o600);
        assert_eq!(fs::read(dir.join("a")).unwrap(), b"a spooled body");
        // The fallback (a name, unlinked) cannot be linked: it is copied.
        let mut old = create_and_unlink(&dir).unwrap();
        old.write_all(b"copied").unwrap();
        let mut req = crate::Request::new(crate::Method::Put, "/");
        req.set_spooled(old, 6);
        assert_eq!(req.persist_body(dir.join("c")).unwrap(), 6);
        drop(req);
        let c = fs::metadata(dir.join("c")).unwrap();
        assert_eq!(c.nlink(), 1);
        assert_eq!(fs::read(dir.join("c")).unwrap(), b"copied");
        fs::remove_dir_all(&dir).unwrap();
    }
}
