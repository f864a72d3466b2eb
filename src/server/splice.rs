//! Spooled bodies by `splice(2)` (Linux, plain TCP): once a spooled
//! `Content-Length` body's buffered bytes are in its file, the worker moves
//! the rest socket → pipe → file in the kernel (`Conn::raw_body`), instead
//! of reading them into the input buffer and writing them out again: one
//! copy fewer per byte. A Python prototype of the receiver measured 1.17 →
//! 0.77 CPU seconds per GiB (256 KiB pipe); the server's whole upload with
//! the handler's read-back went from about 2.0 to 1.6 (BENCHMARKS.md).
//!
//! One pipe per worker, made on first use and reused; it is empty between
//! calls (a failed file write drops it with whatever it held). Every call
//! moves at most the body's remaining length, so a request pipelined behind
//! the body stays in the socket for the ordinary read. Both splices are
//! non-blocking (`SPLICE_F_NONBLOCK`, and the socket is non-blocking): the
//! socket's would-block hands the connection back as a read's does.
//! `EINVAL` or `ENOSYS` (a kernel, socket or file system without splice)
//! switch the worker to the ordinary path for good, the bytes already in
//! the pipe included (they are read out and written to the file).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;

use mio::net::TcpStream;
use rustix::io::Errno;
use rustix::pipe::{PipeFlags, SpliceFlags, fcntl_setpipe_size, pipe_with, splice};

/// Pipe size asked for (the default is 64 KiB): the input buffer's
/// `SPOOL_INPUT`, so a splice moves as much as a read did.
const PIPE_SIZE: usize = 256 * 1024;

/// What one [`BodyPipe::splice`] did.
#[derive(Debug)]
pub(crate) enum Spliced {
    /// This many bytes went from the socket to the file.
    Moved(u64),
    /// The client closed its side.
    Eof,
    /// Nothing to read now.
    WouldBlock,
    /// Splice is not available here, or no pipe could be made now: use
    /// the ordinary path.
    Unsupported,
    /// The socket failed.
    Socket(io::Error),
    /// The file could not take the bytes (the client gets 507).
    File(io::Error),
}

/// A worker's pipe for [`splice`].
#[derive(Debug, Default)]
pub(crate) struct BodyPipe {
    /// Read and write ends, and the pipe's size.
    pipe: Option<(OwnedFd, OwnedFd, usize)>,
    unsupported: bool,
}

impl BodyPipe {
    /// Moves up to `max` bytes (at least 1) from `socket` to the end of
    /// `file`: one socket → pipe splice, then pipe → file until the pipe
    /// is empty.
    pub(crate) fn splice(&mut self, socket: &TcpStream, file: &File, max: u64) -> Spliced {
        if self.unsupported {
            return Spliced::Unsupported;
        }
        if self.pipe.is_none() {
            match pipe_with(PipeFlags::CLOEXEC) {
                Ok((r, w)) => {
                    let size = fcntl_setpipe_size(&w, PIPE_SIZE).unwrap_or(64 * 1024);
                    self.pipe = Some((r, w, size));
                }
                // Out of descriptors, say: the ordinary path this time.
                Err(e) => {
                    log::debug!("no pipe for splice: {e}");
                    return Spliced::Unsupported;
                }
            }
        }
        let Some((r, w, size)) = &self.pipe else {
            return Spliced::Unsupported;
        };
        let flags = SpliceFlags::MOVE | SpliceFlags::NONBLOCK;
        let len = usize::try_from(max).unwrap_or(usize::MAX).min(*size);
        let n = loop {
            match splice(socket, None, w, None, len, flags) {
                Ok(0) => return Spliced::Eof,
                Ok(n) => break n,
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return Spliced::WouldBlock,
                Err(Errno::INVAL | Errno::NOSYS) => {
                    self.unsupported = true;
                    return Spliced::Unsupported;
                }
                Err(e) => return Spliced::Socket(e.into()),
            }
        };
        let mut left = n;
        while left > 0 {
            match splice(r, None, file, None, left, flags) {
                Ok(0) => return self.failed(io::ErrorKind::WriteZero.into()),
                Ok(m) => left -= m,
                Err(Errno::INTR) => {}
                Err(Errno::INVAL | Errno::NOSYS) => {
                    self.unsupported = true;
                    return match self.copy_out(file, left) {
                        Ok(()) => Spliced::Moved(n as u64),
                        Err(e) => Spliced::File(e),
                    };
                }
                Err(e) => return self.failed(e.into()),
            }
        }
        Spliced::Moved(n as u64)
    }

    /// The file failed: the pipe goes, with the bytes it holds.
    fn failed(&mut self, e: io::Error) -> Spliced {
        self.pipe = None;
        Spliced::File(e)
    }

    /// The file does not take splices: the `left` bytes in the pipe are
    /// read out and written to it, and the pipe goes.
    fn copy_out(&mut self, mut file: &File, left: usize) -> io::Result<()> {
        let Some((r, _, _)) = self.pipe.take() else {
            return Ok(());
        };
        let mut bytes = vec![0; left];
        File::from(r).read_exact(&mut bytes)?;
        file.write_all(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, SeekFrom};

    fn pair() -> (std::net::TcpStream, TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        (client, TcpStream::from_std(server))
    }

    fn spool_file(name: &str) -> File {
        let path = std::env::temp_dir().join(format!(
            "mini_async_http-splice-unit-{name}-{}",
            std::process::id()
        ));
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file
    }

    fn contents(mut file: &File) -> Vec<u8> {
        file.seek(SeekFrom::Start(0)).unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        bytes
    }

    /// Splices until `want` bytes are in `file` (the client's bytes are
    /// all sent already, so each call moves some; bounded).
    fn splice_all(pipe: &mut BodyPipe, socket: &TcpStream, file: &File, mut want: u64) {
        for _ in 0..10_000 {
            if want == 0 {
                return;
            }
            match pipe.splice(socket, file, want) {
                Spliced::Moved(n) => want -= n,
                Spliced::WouldBlock => std::thread::yield_now(),
                other => panic!("{other:?}"),
            }
        }
        panic!("{want} bytes never came");
    }

    #[test]
    fn moves_at_most_max_and_leaves_the_rest_in_the_socket() {
        let (mut client, server) = pair();
        let file = spool_file("max");
        client.write_all(b"0123456789GET / HTTP/1.1\r\n").unwrap();
        let mut pipe = BodyPipe::default();
        splice_all(&mut pipe, &server, &file, 10);
        assert_eq!(contents(&file), b"0123456789");
        let mut rest = [0; 16];
        let mut std_server = std::net::TcpStream::from(OwnedFd::from(server));
        std_server.set_nonblocking(false).unwrap();
        std_server.read_exact(&mut rest).unwrap();
        assert_eq!(&rest, b"GET / HTTP/1.1\r\n");
    }

    #[test]
    fn would_block_then_eof() {
        let (client, server) = pair();
        let file = spool_file("eof");
        let mut pipe = BodyPipe::default();
        assert!(matches!(
            pipe.splice(&server, &file, 100),
            Spliced::WouldBlock
        ));
        drop(client);
        let mut outcome = pipe.splice(&server, &file, 100);
        for _ in 0..10_000 {
            if !matches!(outcome, Spliced::WouldBlock) {
                break;
            }
            std::thread::yield_now();
            outcome = pipe.splice(&server, &file, 100);
        }
        assert!(matches!(outcome, Spliced::Eof), "{outcome:?}");
    }

    /// `/dev/full` takes no bytes (ENOSPC, as a full disk): the error is
    /// the file's, and the pipe is dropped with the bytes it held.
    #[test]
    fn a_full_disk_is_a_file_error() {
        let (mut client, server) = pair();
        let full = File::options().write(true).open("/dev/full").unwrap();
        client.write_all(&[7; 4096]).unwrap();
        let mut pipe = BodyPipe::default();
        let mut outcome = pipe.splice(&server, &full, 4096);
        for _ in 0..10_000 {
            if !matches!(outcome, Spliced::WouldBlock) {
                break;
            }
            std::thread::yield_now();
            outcome = pipe.splice(&server, &full, 4096);
        }
        match outcome {
            Spliced::File(e) => assert_eq!(e.raw_os_error(), Some(28), "ENOSPC: {e}"),
            // A kernel whose /dev/full takes no splice: the copy fails the same way.
            other => panic!("{other:?}"),
        }
        assert!(pipe.pipe.is_none());
    }
}
