//! Opening a name below the root, component by component.
//!
//! Each segment is opened with `openat` relative to the directory opened
//! just before it (the root's fd first), with `O_NOFOLLOW`, so the kernel
//! never follows a symlink or a `..` on the server's behalf. A symlink is
//! read (`readlinkat`) and its target resolved here against the names walked
//! so far: when it stays below the root, the walk starts again from the root
//! with the target's names (each checked like a request's, hidden ones
//! refused); when it leaves the root, it is not followed unless
//! [`Options::follow_outside`]. As every step opens a name relative to an fd
//! already held, renaming or swapping a symlink between two requests (or
//! during one) cannot lead a look-up outside the root: there is no
//! canonicalized path to go stale and no cache.
//!
//! On Linux a path of several names is tried first as a whole with
//! `openat2`, resolved beneath the root with no symlink allowed anywhere:
//! one system call instead of an `openat` and a `close` per directory. It
//! can only succeed where the walk would have found the same file without
//! meeting a symlink; a symlink (`ELOOP`), a kernel without `openat2`, or
//! any error the walk might judge differently sends the look-up to the walk.

use std::fs::{File, Metadata};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{Mode, OFlags, openat, readlinkat};
#[cfg(target_os = "linux")]
use rustix::fs::{ResolveFlags, openat2};
use rustix::io::Errno;

use super::path::valid_name;

/// Symlinks followed in one look-up at most (Linux's own limit); more is a
/// loop and answered 404.
const MAX_SYMLINKS: usize = 40;

/// The served directory, kept open for the server's lifetime.
#[derive(Debug)]
pub(crate) struct Root {
    /// Every look-up starts here.
    fd: OwnedFd,
    /// Where it was when opened (canonical), to tell whether an absolute
    /// symlink target points below it.
    path: PathBuf,
}

impl Root {
    /// Opens `path`, which must be a directory.
    pub(crate) fn open(path: &Path) -> io::Result<Root> {
        let fd = openat(
            rustix::fs::CWD,
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Root {
            fd,
            path: std::fs::canonicalize(path)?,
        })
    }
}

/// What the look-up may do.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    /// Hidden names (a leading `.`) may be opened.
    pub(crate) hidden: bool,
    /// Symlinks leading outside the root are followed.
    pub(crate) follow_outside: bool,
}

/// A directory fd: the root's (borrowed) or one opened on the way.
#[derive(Debug)]
pub(crate) enum DirFd<'a> {
    Root(BorrowedFd<'a>),
    Owned(OwnedFd),
}

impl AsFd for DirFd<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            DirFd::Root(fd) => *fd,
            DirFd::Owned(fd) => fd.as_fd(),
        }
    }
}

/// How the last name of a look-up is opened: read-only, and a FIFO would
/// block `open` without `O_NONBLOCK` (regular files ignore it).
const FILE_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOCTTY)
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOFOLLOW);

/// `openat2`'s resolution of a whole path from the root: never above it and
/// no symlink at all (so no magic link either). A path with a symlink fails
/// (`ELOOP`) and is walked instead, which applies the symlink policy.
#[cfg(target_os = "linux")]
const BENEATH: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_MAGICLINKS);

/// Set when the kernel has no `openat2` (`ENOSYS`, before Linux 5.6): every
/// look-up walks from then on.
#[cfg(target_os = "linux")]
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// Where a found file is, to open its siblings (precompressed variants).
#[derive(Debug)]
pub(crate) enum Parent<'a> {
    /// The directory the walk opened the file in.
    Dir(DirFd<'a>),
    /// The directory at `dir` below the root: the file was opened whole
    /// with `openat2`, and so are its siblings.
    #[cfg(target_os = "linux")]
    Beneath { root: BorrowedFd<'a>, dir: String },
}

impl Parent<'_> {
    /// Opens the entry `name` (a checked name) next to the file, never
    /// through a symlink.
    pub(crate) fn open(&self, name: &str) -> rustix::io::Result<OwnedFd> {
        match self {
            Parent::Dir(dir) => openat(dir, name, FILE_FLAGS, Mode::empty()),
            #[cfg(target_os = "linux")]
            Parent::Beneath { root, dir } => {
                let path = format!("{dir}/{name}");
                openat2(root, path.as_str(), FILE_FLAGS, Mode::empty(), BENEATH)
            }
        }
    }
}

/// What a look-up found (moved once per request, so the size of its file
/// variant costs nothing worth a box).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Found<'a> {
    /// A regular file, open for reading, with the directory it is in and
    /// its name there (for precompressed siblings).
    File {
        file: File,
        meta: Metadata,
        parent: Parent<'a>,
        name: String,
    },
    /// A directory, open for reading.
    Dir(DirFd<'a>),
}

/// Why a look-up found nothing to serve.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// No such name, a name that is not a directory where one is needed, a
    /// symlink not followed, a loop, a special file (FIFO, device, socket),
    /// or no permission: all answered 404.
    NotFound,
    /// Anything else (out of fds, I/O error): 500.
    Io(io::Error),
}

impl From<Errno> for OpenError {
    fn from(errno: Errno) -> OpenError {
        match errno {
            // NXIO: a Unix socket (or a FIFO with no reader, not opened
            // for writing here).
            Errno::NOENT
            | Errno::NOTDIR
            | Errno::LOOP
            | Errno::ACCESS
            | Errno::NAMETOOLONG
            | Errno::PERM
            | Errno::NXIO => OpenError::NotFound,
            other => OpenError::Io(other.into()),
        }
    }
}

/// Opens `segments` (plain names, see [`valid_name`]) below `root`: a path
/// of several names with one `openat2` where the kernel has it (one system
/// call instead of an `openat` and a `close` per directory), else, and
/// whenever that meets a symlink, by walking.
pub(crate) fn open<'a>(
    root: &'a Root,
    segments: &[String],
    opts: Options,
) -> Result<Found<'a>, OpenError> {
    #[cfg(target_os = "linux")]
    if segments.len() > 1 && !NO_OPENAT2.load(Ordering::Relaxed) {
        if let Some(found) = open_beneath(root, segments) {
            return found;
        }
    }
    walk(root, segments, opts)
}

/// Opens the whole path with `openat2` ([`BENEATH`]); `None` when the walk
/// must decide: a symlink on the way (`ELOOP`), no `openat2`, or any error
/// that the walk may tell apart. A missing name, a file where a directory
/// is needed or no permission is not found, as the walk would find (with no
/// symlink before it, which would have failed first).
#[cfg(target_os = "linux")]
fn open_beneath<'a>(root: &'a Root, segments: &[String]) -> Option<Result<Found<'a>, OpenError>> {
    let (name, dirs) = segments.split_last()?;
    let dir = dirs.join("/");
    let path = format!("{dir}/{name}");
    match openat2(&root.fd, path.as_str(), FILE_FLAGS, Mode::empty(), BENEATH) {
        Ok(fd) => {
            let parent = Parent::Beneath {
                root: root.fd.as_fd(),
                dir,
            };
            Some(classify(fd, parent, name.clone()))
        }
        Err(Errno::NOENT | Errno::NOTDIR | Errno::ACCESS | Errno::NAMETOOLONG | Errno::NXIO) => {
            Some(Err(OpenError::NotFound))
        }
        Err(Errno::NOSYS) => {
            NO_OPENAT2.store(true, Ordering::Relaxed);
            None
        }
        Err(_) => None,
    }
}

/// Opens `segments` one by one from the root (see the module doc).
fn walk<'a>(root: &'a Root, segments: &[String], opts: Options) -> Result<Found<'a>, OpenError> {
    // The names still to open, next one last (so a symlink's target is
    // pushed in front of what remains).
    let mut pending: Vec<String> = segments.iter().rev().cloned().collect();
    // The names from the root to `dir`, with no symlink among them.
    let mut walked: Vec<String> = Vec::new();
    let mut dir = DirFd::Root(root.fd.as_fd());
    let mut symlinks = 0;
    // Outside the root through a followed symlink: names are opened as
    // the kernel resolves them.
    let mut outside = false;
    while let Some(name) = pending.pop() {
        let last = pending.is_empty();
        let mut flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
        flags |= if last {
            // A FIFO would block `open` without it; regular files ignore it.
            OFlags::NONBLOCK
        } else {
            OFlags::DIRECTORY
        };
        if !outside {
            flags |= OFlags::NOFOLLOW;
        }
        let fd = match openat(&dir, name.as_str(), flags, Mode::empty()) {
            Ok(fd) => fd,
            // ELOOP: a symlink under O_NOFOLLOW (EMLINK on FreeBSD);
            // ENOTDIR: a symlink, or a file where a directory is needed
            // (then `readlinkat` says EINVAL: not found).
            Err(Errno::LOOP | Errno::MLINK | Errno::NOTDIR) if !outside => {
                let target = readlinkat(&dir, name.as_str(), Vec::new()).map_err(|errno| {
                    if errno == Errno::INVAL {
                        OpenError::NotFound
                    } else {
                        errno.into()
                    }
                })?;
                symlinks += 1;
                if symlinks > MAX_SYMLINKS {
                    return Err(OpenError::NotFound);
                }
                match resolve(&root.path, &walked, target.as_bytes(), opts.hidden) {
                    Target::Inside(names) => {
                        pending.extend(names.into_iter().rev());
                        walked.clear();
                        dir = DirFd::Root(root.fd.as_fd());
                        continue;
                    }
                    Target::Outside if opts.follow_outside => {
                        outside = true;
                        openat(&dir, name.as_str(), flags - OFlags::NOFOLLOW, Mode::empty())?
                    }
                    Target::Outside | Target::Refused => return Err(OpenError::NotFound),
                }
            }
            Err(errno) => return Err(errno.into()),
        };
        if last {
            return classify(fd, Parent::Dir(dir), name);
        }
        walked.push(name);
        dir = DirFd::Owned(fd);
    }
    Ok(Found::Dir(dir))
}

/// A file or directory opened as the last name, or not found for anything
/// else.
fn classify(fd: OwnedFd, parent: Parent<'_>, name: String) -> Result<Found<'_>, OpenError> {
    let file = File::from(fd);
    let meta = file.metadata().map_err(OpenError::Io)?;
    if meta.is_file() {
        Ok(Found::File {
            file,
            meta,
            parent,
            name,
        })
    } else if meta.is_dir() {
        Ok(Found::Dir(DirFd::Owned(file.into())))
    } else {
        Err(OpenError::NotFound)
    }
}

/// Where a symlink's target leads.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// Below the root: these names from the root.
    Inside(Vec<String>),
    /// Outside the root (above it, or an absolute path elsewhere).
    Outside,
    /// Inside, but through a name that is never served (hidden, not UTF-8,
    /// or with `:` or `\`).
    Refused,
}

/// Resolves a symlink's `target`, found in the directory reached by
/// `walked` from the root, lexically: as no name in `walked` is a symlink,
/// its `..` is the real parent.
fn resolve(root: &Path, walked: &[String], target: &[u8], hidden: bool) -> Target {
    let Ok(target) = std::str::from_utf8(target) else {
        return Target::Refused;
    };
    let target = Path::new(target);
    let (mut names, rest) = if target.is_absolute() {
        match target.strip_prefix(root) {
            Ok(rest) => (Vec::new(), rest),
            Err(_) => return Target::Outside,
        }
    } else {
        (walked.to_vec(), target)
    };
    for component in rest.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if names.pop().is_none() {
                    return Target::Outside;
                }
            }
            Component::Normal(name) => match name.to_str() {
                Some(name) if valid_name(name, hidden) => names.push(name.to_owned()),
                _ => return Target::Refused,
            },
            Component::RootDir | Component::Prefix(_) => return Target::Outside,
        }
    }
    Target::Inside(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::tests::TempDir;
    use std::os::unix::fs::symlink;

    /// What a look-up found, to compare two ways of looking up.
    fn outcome(found: Result<Found<'_>, OpenError>) -> String {
        match found {
            Ok(Found::File { meta, name, .. }) => format!("file {name} {}", meta.len()),
            Ok(Found::Dir(_)) => "dir".to_owned(),
            Err(OpenError::NotFound) => "not found".to_owned(),
            Err(OpenError::Io(e)) => format!("error {e}"),
        }
    }

    /// `open` (one `openat2` where it can) finds what the walk finds, for
    /// plain paths and for paths through symlinks (inside, outside, to a
    /// hidden name, dangling, a FIFO), with either option; a path with a
    /// symlink is left to the walk.
    #[test]
    #[cfg(target_os = "linux")]
    fn openat2_finds_what_the_walk_finds() {
        let dir = TempDir::new();
        dir.write("a/b/c.txt", b"abc");
        dir.write("a/b/c.txt.gz", b"gz");
        dir.write(".git/config", b"secret");
        symlink("a", dir.path().join("link")).unwrap();
        symlink("../a/b", dir.path().join("a/up")).unwrap();
        symlink("/etc", dir.path().join("a/out")).unwrap();
        symlink("../.git", dir.path().join("a/hid")).unwrap();
        symlink("nowhere", dir.path().join("a/dangling")).unwrap();
        symlink("c.txt.gz", dir.path().join("a/b/d.txt.gz")).unwrap();
        dir.write("a/b/d.txt", b"d");
        let fifo = dir.path().join("a/b/pipe");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            Mode::RUSR,
            0,
        )
        .unwrap();
        let root = Root::open(dir.path()).unwrap();
        let paths: &[&[&str]] = &[
            &["a", "b", "c.txt"],
            &["a", "b"],
            &["a", "b", "pipe"],
            &["a", "b", "missing"],
            &["a", "missing", "x"],
            &["a", "b", "c.txt", "x"],
            &["link", "b", "c.txt"],
            &["a", "up", "c.txt"],
            &["a", "out", "passwd"],
            &["a", "hid", "config"],
            &["a", "dangling", "x"],
            &["a", "b", "d.txt.gz"],
        ];
        for hidden in [false, true] {
            for follow_outside in [false, true] {
                let opts = Options {
                    hidden,
                    follow_outside,
                };
                for path in paths {
                    let segments = walked(path);
                    let want = outcome(walk(&root, &segments, opts));
                    assert_eq!(outcome(open(&root, &segments, opts)), want, "{path:?}");
                }
            }
        }
        let segments = walked(&["a", "b", "c.txt"]);
        let Some(Ok(Found::File { parent, .. })) = open_beneath(&root, &segments) else {
            panic!("a plain path is opened whole");
        };
        assert!(matches!(parent, Parent::Beneath { .. }));
        assert!(parent.open("c.txt.gz").is_ok(), "a sibling");
        assert!(parent.open("d.txt.gz").is_err(), "a symlinked sibling");
        for path in [&["link", "b", "c.txt"][..], &["a", "up", "c.txt"]] {
            assert!(open_beneath(&root, &walked(path)).is_none(), "{path:?}");
        }
    }

    fn walked(names: &[&str]) -> Vec<String> {
        names.iter().map(|&n| n.to_owned()).collect()
    }

    #[test]
    fn symlink_targets_resolved_lexically() {
        let root = Path::new("/srv/www");
        let inside = |names: &[&str]| Target::Inside(walked(names));
        assert_eq!(
            resolve(root, &walked(&["a"]), b"b.txt", false),
            inside(&["a", "b.txt"])
        );
        assert_eq!(
            resolve(root, &walked(&["a"]), b"../c", false),
            inside(&["c"])
        );
        assert_eq!(
            resolve(root, &walked(&["a", "b"]), b"./../../x/./y", false),
            inside(&["x", "y"])
        );
        assert_eq!(resolve(root, &walked(&[]), b"..", false), Target::Outside);
        assert_eq!(
            resolve(root, &walked(&["a"]), b"../../www/x", false),
            Target::Outside
        );
        assert_eq!(
            resolve(root, &walked(&["a"]), b"/etc/passwd", false),
            Target::Outside
        );
        assert_eq!(
            resolve(root, &walked(&["a"]), b"/srv/www/x", false),
            inside(&["x"])
        );
        assert_eq!(
            resolve(root, &walked(&["a"]), b"/srv/wwwx", false),
            Target::Outside
        );
        assert_eq!(
            resolve(root, &walked(&[]), b".git/config", false),
            Target::Refused
        );
        assert_eq!(
            resolve(root, &walked(&[]), b".git/config", true),
            inside(&[".git", "config"])
        );
        assert_eq!(resolve(root, &walked(&[]), b"a:b", false), Target::Refused);
        assert_eq!(resolve(root, &walked(&[]), b"\xff", false), Target::Refused);
        assert_eq!(resolve(root, &walked(&["a"]), b".", false), inside(&["a"]));
    }
}
