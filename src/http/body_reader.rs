//! A request body that did not stay in memory ([`Spooled`]), the
//! [`Request`] methods that work for every body, and [`BodyReader`], which
//! reads a body the same way wherever it is.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use super::body::SharedBuf;
use super::{Body, Request};

/// A request body the server wrote to an unnamed temporary file. The file
/// has no name, so it is gone once its last handle is closed: when the
/// request ends (the server drops it right after the handler returns or
/// panics), or when the last clone of the `Request`, or the last response
/// body from [`Request::shared_body`], is dropped.
#[derive(Clone, Debug)]
pub(crate) struct Spooled {
    /// Shared by clones of the request; read at offsets, never through the
    /// file's own position, so readers do not disturb each other.
    file: Arc<File>,
    len: u64,
    /// Made by the server's spool ([`Request::set_spooled`]), not given by
    /// [`Request::with_body_file`]: only such a file is ever linked (which
    /// takes `splice` on Linux; elsewhere nothing reads this).
    #[cfg_attr(not(all(feature = "splice", target_os = "linux")), allow(dead_code))]
    from_spool: bool,
}

impl Spooled {
    pub(crate) fn new(file: File, len: u64) -> Spooled {
        Spooled {
            file: Arc::new(file),
            len,
            from_spool: false,
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Links the file to `path` if it is the spool's (made with
    /// `O_TMPFILE`, exactly the body's bytes); `false` if it cannot be
    /// linked there, for any reason: the caller copies it instead, and
    /// meets the reason again if it is about `path`.
    #[cfg(all(feature = "splice", target_os = "linux"))]
    fn link_to(&self, path: &Path) -> bool {
        use std::os::fd::AsRawFd;
        let whole = self
            .file
            .metadata()
            .is_ok_and(|meta| meta.len() == self.len);
        if !self.from_spool || !whole {
            return false;
        }
        // open(2) on O_TMPFILE: `linkat` of the descriptor's /proc link,
        // following it, needs no privilege (`AT_EMPTY_PATH` would). A file
        // that had a name and was unlinked is refused (ENOENT).
        let fd = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        let cwd = rustix::fs::CWD;
        rustix::fs::linkat(
            cwd,
            fd.as_str(),
            cwd,
            path,
            rustix::fs::AtFlags::SYMLINK_FOLLOW,
        )
        .is_ok()
    }
}

/// Reads a request body from its start, whether it is in memory or was
/// spooled to a temporary file: [`Request::body_reader`](crate::Request::body_reader).
///
/// It implements [`Read`] and [`Seek`]. Reading a spooled body costs a
/// system call per `read`, so read it in large pieces (64 KiB, or through a
/// [`BufReader`](std::io::BufReader)). Each reader has its own position:
/// several may read the same body, also from several threads.
///
/// A spooled body is never returned short: should its file have fewer bytes
/// than the body had, reading fails with [`io::ErrorKind::UnexpectedEof`].
///
/// ```
/// use std::io::{Read, Seek, SeekFrom};
/// use mini_async_http::{Method, Request};
///
/// let req = Request::new(Method::Post, "/").with_body("hello world");
/// let mut reader = req.body_reader();
/// reader.seek(SeekFrom::Start(6)).unwrap();
/// let mut text = String::new();
/// reader.read_to_string(&mut text).unwrap();
/// assert_eq!(text, "world");
/// ```
#[derive(Debug)]
pub struct BodyReader<'a> {
    source: Source<'a>,
    pos: u64,
}

#[derive(Debug)]
enum Source<'a> {
    Memory(&'a [u8]),
    File(&'a Spooled),
}

impl<'a> BodyReader<'a> {
    pub(crate) fn memory(bytes: &'a [u8]) -> BodyReader<'a> {
        BodyReader {
            source: Source::Memory(bytes),
            pos: 0,
        }
    }

    pub(crate) fn spooled(spooled: &'a Spooled) -> BodyReader<'a> {
        BodyReader {
            source: Source::File(spooled),
            pos: 0,
        }
    }

    fn len(&self) -> u64 {
        match self.source {
            Source::Memory(bytes) => bytes.len() as u64,
            Source::File(spooled) => spooled.len,
        }
    }
}

impl Read for BodyReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len().saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = match self.source {
            Source::Memory(bytes) => {
                // `pos < len` here, so it fits in usize.
                let from = self.pos as usize;
                buf[..want].copy_from_slice(&bytes[from..from + want]);
                want
            }
            Source::File(spooled) => match read_at(&spooled.file, &mut buf[..want], self.pos)? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the spooled request body is shorter than it was received",
                    ));
                }
                n => n,
            },
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BodyReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let (base, offset) = match to {
            SeekFrom::Start(n) => {
                self.pos = n;
                return Ok(n);
            }
            SeekFrom::End(offset) => (self.len(), offset),
            SeekFrom::Current(offset) => (self.pos, offset),
        };
        match base.checked_add_signed(offset) {
            Some(pos) => {
                self.pos = pos;
                Ok(pos)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek to a negative or overflowing position",
            )),
        }
    }
}

/// The body of every kind (see [Large bodies](Request#large-bodies)).
impl Request {
    /// Sets the body to the contents of `file`, from its start to its
    /// current end, as if the server had spooled it: the request
    /// [`is_spooled`](Self::is_spooled). For testing a handler with a large
    /// body; the file should not change while the request is in use.
    ///
    /// # Errors
    /// The file's length cannot be read.
    ///
    /// ```
    /// use std::io::Read;
    /// use mini_async_http::{Method, Request};
    ///
    /// let path = std::env::temp_dir().join(format!("doc-spooled-{}", std::process::id()));
    /// std::fs::write(&path, b"a large body").unwrap();
    /// let req = Request::new(Method::Put, "/").with_body_file(std::fs::File::open(&path).unwrap()).unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// assert!(req.is_spooled());
    /// assert_eq!(req.body_len(), 12);
    /// let mut text = String::new();
    /// req.body_reader().read_to_string(&mut text).unwrap();
    /// assert_eq!(text, "a large body");
    /// ```
    pub fn with_body_file(mut self, file: File) -> io::Result<Request> {
        let len = file.metadata()?.len();
        self.body = SharedBuf::default();
        self.spooled = Some(Spooled::new(file, len));
        Ok(self)
    }

    /// The whole body if it is in memory; `None` if it was spooled to a
    /// temporary file (read it with [`body_reader`](Self::body_reader)).
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert_eq!(Request::new(Method::Post, "/").with_body("x").try_body(), Some(&b"x"[..]));
    /// ```
    #[must_use]
    pub fn try_body(&self) -> Option<&[u8]> {
        match self.spooled {
            None => Some(self.body.as_slice()),
            Some(_) => None,
        }
    }

    /// A reader of the whole body from its start, in memory or spooled
    /// alike (see [`BodyReader`]).
    ///
    /// ```
    /// use std::io::Read;
    /// use mini_async_http::{Method, Request};
    /// let req = Request::new(Method::Post, "/").with_body("abc");
    /// let mut body = Vec::new();
    /// req.body_reader().read_to_end(&mut body).unwrap();
    /// assert_eq!(body, b"abc");
    /// ```
    #[must_use]
    pub fn body_reader(&self) -> BodyReader<'_> {
        match &self.spooled {
            None => BodyReader::memory(self.body.as_slice()),
            Some(spooled) => BodyReader::spooled(spooled),
        }
    }

    /// The body as a response [`Body`], without a copy, in memory or
    /// spooled alike: for an echo, a proxy, or a body kept past the handler.
    /// An in-memory body's bytes are shared by reference count (while a
    /// response holds them, the connection decodes its next body into
    /// another buffer). A spooled body becomes a file body of its temporary
    /// file, sent with `sendfile` where the server can; the file is gone
    /// once the last body that holds it is dropped.
    ///
    /// `.body(req.body())` copies the bytes instead: echoing 64 KiB bodies,
    /// that copy was a quarter of the server's CPU per request.
    ///
    /// ```
    /// use mini_async_http::{Method, Request, ResponseBuilder};
    /// let echo = |req: &Request| ResponseBuilder::empty_200().body(req.shared_body()).build().unwrap();
    /// let req = Request::new(Method::Post, "/echo").with_body("ping");
    /// assert_eq!(echo(&req).body(), b"ping");
    /// ```
    #[must_use]
    pub fn shared_body(&self) -> Body {
        match &self.spooled {
            None => self.body.share().map_or_else(Body::empty, Body::shared),
            Some(spooled) => Body::spooled(Arc::clone(&spooled.file), spooled.len),
        }
    }

    /// The length of the body in bytes, in memory or spooled alike.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert_eq!(Request::new(Method::Post, "/").with_body("abc").body_len(), 3);
    /// ```
    #[must_use]
    pub fn body_len(&self) -> u64 {
        match &self.spooled {
            None => self.body.len() as u64,
            Some(spooled) => spooled.len(),
        }
    }

    /// Saves the body as a new file at `path`, in memory or spooled alike,
    /// and returns its length: for an upload to keep (PHP's
    /// `move_uploaded_file`, Django's `TemporaryUploadedFile`).
    ///
    /// A spooled body is not copied where it can be linked: with the
    /// `splice` feature on Linux the server makes its spool files with
    /// `O_TMPFILE`, and such a file is linked to `path` (`linkat`), which
    /// costs the same for a gigabyte as for a byte. Else (`path` on another
    /// file system than [`spool_dir`](crate::ServerBuilder::spool_dir), no
    /// `O_TMPFILE`, no `/proc`, or a body in memory) the bytes are copied.
    /// A body given by [`with_body_file`](Self::with_body_file) is always
    /// copied: its file is the caller's.
    ///
    /// The file is made new, with mode 0600 on Unix: an existing `path` is
    /// an error ([`io::ErrorKind::AlreadyExists`]) and is left as it was. To
    /// replace a file, persist to a new name beside it and
    /// [`rename`](std::fs::rename) it over. The file is not synced to disk
    /// ([`File::sync_all`] does that). Persisting the same body twice makes
    /// two files (or two links of one).
    ///
    /// # Errors
    /// `path` exists, or cannot be created or written; a copy that fails
    /// halfway removes what it wrote.
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    ///
    /// let dir = std::env::temp_dir().join(format!("doc-persist-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let req = Request::new(Method::Put, "/upload").with_body("kept");
    /// assert_eq!(req.persist_body(dir.join("upload.bin")).unwrap(), 4);
    /// assert_eq!(std::fs::read(dir.join("upload.bin")).unwrap(), b"kept");
    /// // The name is taken now.
    /// let again = req.persist_body(dir.join("upload.bin")).unwrap_err();
    /// assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn persist_body(&self, path: impl AsRef<Path>) -> io::Result<u64> {
        let path = path.as_ref();
        #[cfg(all(feature = "splice", target_os = "linux"))]
        if let Some(spooled) = &self.spooled {
            if spooled.link_to(path) {
                return Ok(spooled.len);
            }
        }
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        match io::copy(&mut self.body_reader(), &mut file) {
            Ok(n) => Ok(n),
            Err(e) => {
                drop(file);
                // Ours: `create_new` made it.
                let _ = std::fs::remove_file(path);
                Err(e)
            }
        }
    }

    /// Whether the body was spooled to a temporary file, being longer than
    /// the server's [`spool_threshold`](crate::ServerBuilder::spool_threshold).
    ///
    /// ```
    /// use mini_async_http::{Method, Request};
    /// assert!(!Request::new(Method::Post, "/").with_body("abc").is_spooled());
    /// ```
    #[must_use]
    pub fn is_spooled(&self) -> bool {
        self.spooled.is_some()
    }

    /// Makes the request's body a spooled one of `len` bytes in `file`.
    pub(crate) fn set_spooled(&mut self, file: File, len: u64) {
        self.body.clear();
        self.spooled = Some(Spooled {
            from_spool: true,
            ..Spooled::new(file, len)
        });
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    loop {
        match file.read_at(buf, pos) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    // Moves the file's own position, which no reader relies on.
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}

/// A request whose body is in a temporary file, as the server makes it for a
/// body over `spool_threshold` (for the tests of what reads bodies).
#[cfg(test)]
pub(crate) fn spooled(content_type: &str, body: &str, tag: &str) -> Request {
    let path = std::env::temp_dir().join(format!("{tag}-spooled-{}", std::process::id()));
    std::fs::write(&path, body).unwrap();
    let file = File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    Request::new(crate::Method::Post, "/")
        .with_header("Content-Type", content_type)
        .with_body_file(file)
        .unwrap()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::http::{Method, Request, Source};
    use std::io::Write;

    /// An unnamed file holding `bytes` (made the way the server's spool
    /// makes one: created exclusively, then unlinked), with `tag` in the
    /// name it had (which `/proc/self/fd` still shows).
    pub(crate) fn unnamed_file(tag: &str, bytes: &[u8]) -> File {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            ".mini_async_http-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let mut file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    fn read_all(mut reader: BodyReader<'_>, piece: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0; piece];
        loop {
            match reader.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn memory_and_file_read_alike() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let spooled = Spooled::new(unnamed_file("reader", &data), data.len() as u64);
        for piece in [1, 7, 4096, 20_000] {
            assert_eq!(read_all(BodyReader::memory(&data), piece).unwrap(), data);
            assert_eq!(
                read_all(BodyReader::spooled(&spooled), piece).unwrap(),
                data
            );
        }
    }

    #[test]
    fn seek_positions() {
        let data = b"0123456789";
        let spooled = Spooled::new(unnamed_file("reader", data), 10);
        for mut reader in [BodyReader::memory(data), BodyReader::spooled(&spooled)] {
            assert_eq!(reader.seek(SeekFrom::End(-3)).unwrap(), 7);
            assert_eq!(reader.seek(SeekFrom::Current(-2)).unwrap(), 5);
            let mut two = [0; 2];
            reader.read_exact(&mut two).unwrap();
            assert_eq!(&two, b"56");
            assert!(reader.seek(SeekFrom::Current(-8)).is_err());
            assert_eq!(reader.seek(SeekFrom::Start(20)).unwrap(), 20);
            assert_eq!(reader.read(&mut two).unwrap(), 0);
        }
    }

    #[test]
    fn readers_keep_their_own_position() {
        let data = b"abcdef";
        let spooled = Spooled::new(unnamed_file("reader", data), 6);
        let mut a = BodyReader::spooled(&spooled);
        let mut b = BodyReader::spooled(&spooled);
        let mut buf = [0; 3];
        a.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"abc");
        b.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"abc");
        a.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"def");
    }

    #[test]
    fn a_short_file_is_an_error_not_a_short_body() {
        let spooled = Spooled::new(unnamed_file("reader", b"abc"), 5);
        let err = read_all(BodyReader::spooled(&spooled), 64).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn body_panics_for_a_spooled_body_and_names_body_reader() {
        let req = Request::new(Method::Post, "/")
            .with_body_file(unnamed_file("reader", b"spooled"))
            .unwrap();
        let panic = std::panic::catch_unwind(|| req.body().len()).unwrap_err();
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("");
        assert!(message.contains("body_reader()"), "{message}");
        assert_eq!(req.try_body(), None);
        assert_eq!(req.body_len(), 7);
        let mut text = String::new();
        req.body_reader().read_to_string(&mut text).unwrap();
        assert_eq!(text, "spooled");
    }

    #[test]
    fn with_body_replaces_a_spooled_body() {
        let req = Request::new(Method::Post, "/")
            .with_body_file(unnamed_file("reader", b"spooled"))
            .unwrap()
            .with_body("memory");
        assert!(!req.is_spooled());
        assert_eq!(req.body(), b"memory");
        assert_eq!(req.try_body(), Some(&b"memory"[..]));
        assert_eq!(req.body_len(), 6);
    }

    #[test]
    fn shared_body_is_the_body_in_memory_or_spooled() {
        let req = Request::new(Method::Post, "/").with_body("memory");
        let body = req.shared_body();
        assert!(body.is_in_memory());
        assert_eq!(body.as_bytes(), b"memory");
        assert_eq!(
            body.as_bytes().as_ptr(),
            req.body().as_ptr(),
            "the same bytes, not a copy"
        );
        assert!(Request::new(Method::Get, "/").shared_body().is_empty());

        let req = Request::new(Method::Post, "/")
            .with_body_file(unnamed_file("reader", b"spooled"))
            .unwrap();
        let body = req.shared_body();
        assert!(!body.is_in_memory());
        assert_eq!(body.content_length(), Some(7));
        // The body keeps the file once the request is gone.
        drop(req);
        let Some(Source::File { file, offset }) = body.take_source() else {
            panic!("a file body");
        };
        let mut buf = [0; 7];
        assert_eq!(read_at(&file, &mut buf, offset).unwrap(), 7);
        assert_eq!(&buf, b"spooled");
    }

    fn persist_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mini_async_http-persist-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn persist_copies_a_body_in_memory_or_given_and_never_replaces_a_file() {
        let dir = persist_dir("copy");
        let req = Request::new(Method::Post, "/").with_body("in memory");
        assert_eq!(req.persist_body(dir.join("a")).unwrap(), 9);
        assert_eq!(std::fs::read(dir.join("a")).unwrap(), b"in memory");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("a"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // An existing file is left alone.
        std::fs::write(dir.join("b"), "theirs").unwrap();
        let err = req.persist_body(dir.join("b")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(dir.join("b")).unwrap(), b"theirs");
        // A file the caller gave is copied, never linked.
        let given = Request::new(Method::Post, "/")
            .with_body_file(unnamed_file("persist", b"given"))
            .unwrap();
        assert_eq!(given.persist_body(dir.join("c")).unwrap(), 5);
        assert_eq!(std::fs::read(dir.join("c")).unwrap(), b"given");
        // An empty body makes an empty file.
        Request::new(Method::Post, "/")
            .persist_body(dir.join("d"))
            .unwrap();
        assert_eq!(std::fs::read(dir.join("d")).unwrap(), b"");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_copy_that_fails_removes_what_it_wrote() {
        let dir = persist_dir("short");
        // The body says 5 bytes, the file has 3: reading it fails.
        let mut req = Request::new(Method::Post, "/");
        req.spooled = Some(Spooled::new(unnamed_file("persist", b"abc"), 5));
        let err = req.persist_body(dir.join("a")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(!dir.join("a").exists(), "the partial copy is removed");
        // A missing directory is the error of `path`.
        let err = req.persist_body(dir.join("no/such/dir")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
