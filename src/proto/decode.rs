//! Incremental, bounded body decoding: a slice of received bytes in, body
//! bytes appended to the request, one named step per state of the chunked
//! grammar (RFC 9112 §7.1):
//!
//! ```text
//! chunked-body = *chunk last-chunk trailer-section CRLF
//! chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! last-chunk   = 1*("0") [ chunk-ext ] CRLF
//! ```
//!
//! `httparse::parse_chunk_size` is not used: it accepts an empty size line and
//! unbounded extensions, and cannot resume in the middle of a line.

use super::Error;
use super::parse::BodyLength;

/// Chunk extensions allowed in one message, in bytes.
pub const MAX_CHUNK_EXTENSIONS: usize = 16 * 1024;
/// Trailer section allowed in one message, in bytes.
pub const MAX_TRAILERS: usize = 16 * 1024;
/// Hex digits allowed in a chunk size (16 fill a u64).
const MAX_SIZE_DIGITS: u32 = 16;

/// Where a body decoder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyDecoder {
    /// `Content-Length`: this many bytes still to come.
    Length(u64),
    /// Chunked transfer coding.
    Chunked(Chunked),
}

/// The state of a chunked decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunked {
    step: Step,
    /// The size of the chunk being read (while in `Size`), or what is left of
    /// its data (while in `Data`).
    size: u64,
    digits: u32,
    /// Body bytes decoded so far (the body itself may have been moved out
    /// of memory, to the spool, so its length cannot tell).
    decoded: u64,
    extension_bytes: usize,
    trailer_bytes: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Size,
    SizeSpace,
    Extension,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    TrailerStart,
    Trailer,
    TrailerLf,
    EndLf,
    Done,
}

impl BodyDecoder {
    /// A decoder for a body of this length; `None` for no body.
    #[must_use]
    pub fn new(length: BodyLength) -> Option<BodyDecoder> {
        match length {
            BodyLength::Empty => None,
            BodyLength::Length(n) => Some(BodyDecoder::Length(n)),
            BodyLength::Chunked => Some(BodyDecoder::Chunked(Chunked {
                step: Step::Size,
                size: 0,
                digits: 0,
                decoded: 0,
                extension_bytes: 0,
                trailer_bytes: 0,
            })),
        }
    }

    /// Decodes what it can of `input`, appending body bytes to `body`.
    /// `body` need not hold the earlier bytes of the body (the connection
    /// moves them to the spool): the limit counts every byte decoded.
    ///
    /// Returns how many bytes of `input` were used and whether the body is
    /// complete; bytes after the end of the body are not used.
    ///
    /// # Errors
    /// An [`Error`] for framing that breaks RFC 9112 §7.1 or a body that would
    /// grow over `max_body`.
    pub fn decode(
        &mut self,
        input: &[u8],
        body: &mut Vec<u8>,
        max_body: u64,
    ) -> Result<(usize, bool), Error> {
        match self {
            BodyDecoder::Length(remaining) => {
                let n = input
                    .len()
                    .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                body.extend_from_slice(&input[..n]);
                *remaining -= n as u64;
                Ok((n, *remaining == 0))
            }
            BodyDecoder::Chunked(chunked) => chunked.decode(input, body, max_body),
        }
    }
}

impl Chunked {
    fn decode(
        &mut self,
        input: &[u8],
        body: &mut Vec<u8>,
        max_body: u64,
    ) -> Result<(usize, bool), Error> {
        let mut i = 0;
        while i < input.len() && self.step != Step::Done {
            if self.step == Step::Data {
                let n = (input.len() - i).min(usize::try_from(self.size).unwrap_or(usize::MAX));
                body.extend_from_slice(&input[i..i + n]);
                self.size -= n as u64;
                self.decoded += n as u64;
                i += n;
                if self.size == 0 {
                    self.step = Step::DataCr;
                }
                continue;
            }
            let b = input[i];
            i += 1;
            self.step = match self.step {
                Step::Size => self.read_size(b)?,
                Step::SizeSpace => match b {
                    b' ' | b'\t' => Step::SizeSpace,
                    b';' => Step::Extension,
                    b'\r' => Step::SizeLf,
                    _ => return Err(Error::InvalidChunkSize),
                },
                Step::Extension => self.read_extension(b)?,
                Step::SizeLf => self.end_size_line(b, max_body)?,
                Step::DataCr => expect(b, b'\r', Step::DataLf)?,
                Step::DataLf => {
                    self.size = 0;
                    self.digits = 0;
                    expect(b, b'\n', Step::Size)?
                }
                Step::TrailerStart => match b {
                    b'\r' => Step::EndLf,
                    _ => self.read_trailer(b)?,
                },
                Step::Trailer => self.read_trailer(b)?,
                Step::TrailerLf => expect(b, b'\n', Step::TrailerStart)?,
                Step::EndLf => expect(b, b'\n', Step::Done)?,
                Step::Data | Step::Done => unreachable!("handled above"),
            };
        }
        Ok((i, self.step == Step::Done))
    }

    fn read_size(&mut self, b: u8) -> Result<Step, Error> {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            // A size needs at least one digit.
            _ if self.digits == 0 => return Err(Error::InvalidChunkSize),
            b' ' | b'\t' => return Ok(Step::SizeSpace),
            b';' => return Ok(Step::Extension),
            b'\r' => return Ok(Step::SizeLf),
            _ => return Err(Error::InvalidChunkSize),
        };
        self.digits += 1;
        if self.digits > MAX_SIZE_DIGITS {
            return Err(Error::InvalidChunkSize);
        }
        self.size = self
            .size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(digit)))
            .ok_or(Error::InvalidChunkSize)?;
        Ok(Step::Size)
    }

    fn read_extension(&mut self, b: u8) -> Result<Step, Error> {
        match b {
            b'\r' => Ok(Step::SizeLf),
            b'\t' | 0x20..=0x7e | 0x80..=0xff => {
                self.extension_bytes += 1;
                if self.extension_bytes > MAX_CHUNK_EXTENSIONS {
                    Err(Error::ChunkExtensionsTooLong)
                } else {
                    Ok(Step::Extension)
                }
            }
            _ => Err(Error::InvalidChunkDelimiter),
        }
    }

    fn end_size_line(&mut self, b: u8, max_body: u64) -> Result<Step, Error> {
        expect(b, b'\n', Step::Data)?;
        if self.size == 0 {
            return Ok(Step::TrailerStart);
        }
        if self.decoded.saturating_add(self.size) > max_body {
            return Err(Error::BodyTooLarge);
        }
        Ok(Step::Data)
    }

    fn read_trailer(&mut self, b: u8) -> Result<Step, Error> {
        self.trailer_bytes += 1;
        if self.trailer_bytes > MAX_TRAILERS {
            return Err(Error::TrailersTooLarge);
        }
        match b {
            b'\r' => Ok(Step::TrailerLf),
            b'\t' | 0x20..=0x7e | 0x80..=0xff => Ok(Step::Trailer),
            _ => Err(Error::InvalidTrailer),
        }
    }
}

fn expect(b: u8, want: u8, next: Step) -> Result<Step, Error> {
    if b == want {
        Ok(next)
    } else {
        Err(Error::InvalidChunkDelimiter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` split at every byte position, checking that every split
    /// gives the same result as one piece.
    fn decode_all_splits(input: &[u8]) -> Result<(Vec<u8>, usize), Error> {
        let whole = decode_pieces(&[input]);
        for at in 1..input.len() {
            let (a, b) = input.split_at(at);
            assert_eq!(decode_pieces(&[a, b]), whole, "split at {at}");
        }
        whole
    }

    fn decode_pieces(pieces: &[&[u8]]) -> Result<(Vec<u8>, usize), Error> {
        let mut dec = BodyDecoder::new(BodyLength::Chunked).unwrap();
        let mut body = Vec::new();
        let mut used = 0;
        for piece in pieces {
            let (n, done) = dec.decode(piece, &mut body, 1 << 20)?;
            used += n;
            if done {
                return Ok((body, used));
            }
        }
        Err(Error::Timeout) // incomplete
    }

    #[test]
    fn chunked_with_extensions_and_trailers() {
        let raw = b"5;name=val\r\nhello\r\n6 \r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        let (body, used) = decode_all_splits(raw).unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(used, raw.len() - 4);
    }

    #[test]
    fn rejects_bad_sizes() {
        assert_eq!(decode_all_splits(b"\r\n"), Err(Error::InvalidChunkSize));
        assert_eq!(decode_all_splits(b"x\r\n"), Err(Error::InvalidChunkSize));
        assert_eq!(
            decode_all_splits(b"10000000000000000\r\n"),
            Err(Error::InvalidChunkSize)
        );
        assert_eq!(
            decode_all_splits(b"3\nabc\r\n"),
            Err(Error::InvalidChunkSize)
        );
        assert_eq!(
            decode_all_splits(b"3\r\nabcX\r\n"),
            Err(Error::InvalidChunkDelimiter)
        );
    }

    #[test]
    fn limits() {
        let mut dec = BodyDecoder::new(BodyLength::Chunked).unwrap();
        assert_eq!(
            dec.decode(b"11\r\n", &mut Vec::new(), 16),
            Err(Error::BodyTooLarge)
        );
        let mut long = b"1;".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_CHUNK_EXTENSIONS + 1));
        assert_eq!(decode_all_splits(&long), Err(Error::ChunkExtensionsTooLong));
    }
}
