//! Buffered input for the RDB reader: one fixed buffer over any `Read`, the byte offset of every read
//! (for error messages), the running CRC-64 of consumed bytes (§9), and the RDB primitives — lengths
//! (§2), strings with their integer and LZF forms (§3), doubles and fixed-width integers.

use std::io::Read;

use crate::error::{ErrorKind, RdbError, Result};
use crate::lzf;

const BUFFER_SIZE: usize = 64 * 1024;

/// A length or, when the top two bits are `11`, a special string encoding (§2).
pub(crate) enum Length {
    /// A plain length.
    Plain(u64),
    /// A special encoding number (0 int8, 1 int16, 2 int32, 3 LZF).
    Encoded(u8),
}

/// The reader's input: a buffer, an offset and a checksum.
pub(crate) struct Input<R> {
    inner: R,
    buffer: Box<[u8]>,
    position: usize,
    end: usize,
    /// File offset of `buffer[0]`.
    base: u64,
    digest: Option<crc::Digest<'static, u64, crc::Table<16>>>,
    /// First buffered byte not yet fed to the digest.
    hashed_to: usize,
}

impl<R: Read> Input<R> {
    /// Wraps `inner`, hashing what is read when `checksum` is set.
    pub fn new(inner: R, checksum: bool) -> Self {
        Self {
            inner,
            buffer: vec![0u8; BUFFER_SIZE].into_boxed_slice(),
            position: 0,
            end: 0,
            base: 0,
            digest: checksum.then(|| crate::CRC64.digest()),
            hashed_to: 0,
        }
    }

    /// Offset of the next byte to be read.
    pub fn offset(&self) -> u64 {
        self.base + self.position as u64
    }

    /// An error of `kind` at the current offset.
    pub fn error(&self, kind: ErrorKind) -> RdbError {
        RdbError::new(kind, self.offset())
    }

    /// A corruption error at the current offset.
    pub fn corrupt(&self, reason: impl Into<String>) -> RdbError {
        self.error(ErrorKind::Corrupt(reason.into()))
    }

    fn hash_consumed(&mut self) {
        if let Some(digest) = &mut self.digest {
            digest.update(&self.buffer[self.hashed_to..self.position]);
        }
        self.hashed_to = self.position;
    }

    /// Makes at least `wanted` (at most the buffer size) bytes available, or fails with EOF.
    #[inline]
    fn require(&mut self, wanted: usize) -> Result<()> {
        if self.end - self.position >= wanted {
            return Ok(());
        }
        self.refill(wanted)
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self, wanted: usize) -> Result<()> {
        self.hash_consumed();
        self.buffer.copy_within(self.position..self.end, 0);
        self.base += self.position as u64;
        self.end -= self.position;
        self.position = 0;
        self.hashed_to = 0;
        while self.end < wanted {
            match self.inner.read(&mut self.buffer[self.end..]) {
                Ok(0) => {
                    return Err(RdbError::new(
                        ErrorKind::UnexpectedEof,
                        self.base + self.end as u64,
                    ))
                }
                Ok(n) => self.end += n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(self.error(ErrorKind::Io(error))),
            }
        }
        Ok(())
    }

    /// True when no byte is left (reads ahead to find out).
    pub fn at_end(&mut self) -> Result<bool> {
        match self.require(1) {
            Ok(()) => Ok(false),
            Err(RdbError {
                kind: ErrorKind::UnexpectedEof,
                ..
            }) => Ok(true),
            Err(error) => Err(error),
        }
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8> {
        self.require(1)?;
        let byte = self.buffer[self.position];
        self.position += 1;
        Ok(byte)
    }

    /// `N` bytes.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.require(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buffer[self.position..self.position + N]);
        self.position += N;
        Ok(out)
    }

    /// `len` bytes into a new vector, growing it as data arrives (a corrupt length cannot force a huge
    /// allocation before the data is actually there).
    #[inline]
    pub fn bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        let available = (self.end - self.position) as u64;
        if len <= available {
            let len = len as usize;
            let out = self.buffer[self.position..self.position + len].to_vec();
            self.position += len;
            return Ok(out);
        }
        self.bytes_across_refills(len)
    }

    #[cold]
    fn bytes_across_refills(&mut self, len: u64) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(len.min(1 << 20) as usize);
        let mut remaining = len;
        while remaining > 0 {
            if self.position == self.end {
                self.require(1)?;
            }
            let take = remaining.min((self.end - self.position) as u64) as usize;
            out.extend_from_slice(&self.buffer[self.position..self.position + take]);
            self.position += take;
            remaining -= take as u64;
        }
        Ok(out)
    }

    /// Skips `len` bytes.
    pub fn skip(&mut self, len: u64) -> Result<()> {
        let mut remaining = len;
        while remaining > 0 {
            if self.position == self.end {
                self.require(1)?;
            }
            let take = remaining.min((self.end - self.position) as u64) as usize;
            self.position += take;
            remaining -= take as u64;
        }
        Ok(())
    }

    /// The checksum of everything consumed so far (`None` when not hashing); stops hashing.
    pub fn take_checksum(&mut self) -> Option<u64> {
        self.hash_consumed();
        self.digest.take().map(|digest| digest.finalize())
    }

    /// The unread buffered bytes and the underlying reader (for an AOF tail after an RDB preamble).
    pub fn into_parts(self) -> (Vec<u8>, R) {
        (self.buffer[self.position..self.end].to_vec(), self.inner)
    }

    /// A length or special-encoding marker (§2).
    #[inline]
    pub fn length_or_encoding(&mut self) -> Result<Length> {
        let first = self.u8()?;
        Ok(match first >> 6 {
            0 => Length::Plain(u64::from(first & 0x3F)),
            1 => Length::Plain(u64::from(first & 0x3F) << 8 | u64::from(self.u8()?)),
            3 => Length::Encoded(first & 0x3F),
            _ => match first {
                0x80 => Length::Plain(u64::from(u32::from_be_bytes(self.array()?))),
                0x81 => Length::Plain(u64::from_be_bytes(self.array()?)),
                _ => {
                    return Err(self.corrupt(format!("invalid length byte 0x{first:02x}")));
                }
            },
        })
    }

    /// A plain length (§2).
    pub fn length(&mut self) -> Result<u64> {
        match self.length_or_encoding()? {
            Length::Plain(len) => Ok(len),
            Length::Encoded(encoding) => Err(self.corrupt(format!(
                "expected a length, found string encoding {encoding}"
            ))),
        }
    }

    /// A string in any of its forms (§3).
    #[inline]
    pub fn string(&mut self) -> Result<Vec<u8>> {
        match self.length_or_encoding()? {
            Length::Plain(len) => self.bytes(len),
            Length::Encoded(encoding) => self.encoded_string(encoding),
        }
    }

    fn encoded_string(&mut self, encoding: u8) -> Result<Vec<u8>> {
        let value = match encoding {
            0 => i64::from(self.u8()? as i8),
            1 => i64::from(i16::from_le_bytes(self.array()?)),
            2 => i64::from(i32::from_le_bytes(self.array()?)),
            3 => {
                let compressed_len = self.length()?;
                let len = self.length()?;
                if len
                    > compressed_len
                        .saturating_mul(lzf::MAX_EXPANSION)
                        .saturating_add(32)
                {
                    return Err(self.corrupt(format!(
                        "LZF string claims {len} bytes from {compressed_len} compressed"
                    )));
                }
                let compressed = self.bytes(compressed_len)?;
                let len = usize::try_from(len)
                    .map_err(|_| self.corrupt("LZF string too long for this platform"))?;
                return lzf::decompress(&compressed, len).map_err(|reason| self.corrupt(reason));
            }
            _ => return Err(self.corrupt(format!("unknown string encoding {encoding}"))),
        };
        Ok(itoa::Buffer::new().format(value).as_bytes().to_vec())
    }

    /// Skips a string without decoding it; returns its stored size.
    pub fn skip_string(&mut self) -> Result<u64> {
        match self.length_or_encoding()? {
            Length::Plain(len) => self.skip(len).map(|()| len),
            Length::Encoded(0) => self.skip(1).map(|()| 1),
            Length::Encoded(1) => self.skip(2).map(|()| 2),
            Length::Encoded(2) => self.skip(4).map(|()| 4),
            Length::Encoded(3) => {
                let compressed_len = self.length()?;
                self.length()?;
                self.skip(compressed_len).map(|()| compressed_len)
            }
            Length::Encoded(encoding) => {
                Err(self.corrupt(format!("unknown string encoding {encoding}")))
            }
        }
    }

    /// A little-endian i64 (expiry and stream times).
    pub fn i64_le(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A little-endian binary64.
    pub fn f64_le(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A score stored as text (§6.1).
    pub fn text_double(&mut self) -> Result<f64> {
        let len = self.u8()?;
        match len {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let text = self.bytes(u64::from(len))?;
                parse_score(&text).ok_or_else(|| self.corrupt("invalid score text"))
            }
        }
    }
}

/// Parses a score written as text (`%.17g`, `inf`, an integer).
pub(crate) fn parse_score(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(text).ok()?;
    match text {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse::<f64>().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(bytes: &[u8]) -> Input<&[u8]> {
        Input::new(bytes, true)
    }

    #[test]
    fn lengths() {
        let mut i = input(&[
            0x05, 0x41, 0x00, 0x80, 0, 1, 0, 0, 0x81, 0, 0, 0, 1, 0, 0, 0, 0,
        ]);
        assert_eq!(i.length().unwrap(), 5);
        assert_eq!(i.length().unwrap(), 256);
        assert_eq!(i.length().unwrap(), 65536);
        assert_eq!(i.length().unwrap(), 1 << 32);
        assert!(input(&[0x90]).length().is_err());
        assert!(input(&[0xC0]).length().is_err());
    }

    #[test]
    fn strings() {
        let mut i = input(b"\x03abc\xc0\xfb\xc1\x2c\x01\xc2\x70\x11\x01\x00");
        assert_eq!(i.string().unwrap(), b"abc");
        assert_eq!(i.string().unwrap(), b"-5");
        assert_eq!(i.string().unwrap(), b"300");
        assert_eq!(i.string().unwrap(), b"70000");
        let error = i.string().unwrap_err();
        assert!(matches!(error.kind, ErrorKind::UnexpectedEof));
        assert_eq!(error.offset, 14);
    }

    #[test]
    fn lzf_bounds_are_checked() {
        // Claims 1 GB from 2 compressed bytes.
        let mut i = input(b"\xc3\x02\x80\x40\x00\x00\x00\x00\x01");
        assert!(matches!(
            i.string().unwrap_err().kind,
            ErrorKind::Corrupt(_)
        ));
    }

    #[test]
    fn large_reads_cross_buffer_refills() {
        let mut data = vec![0x80];
        data.extend_from_slice(&200_000u32.to_be_bytes());
        data.extend((0..200_000u32).map(|n| n as u8));
        let mut i = input(&data);
        let value = i.string().unwrap();
        assert_eq!(value.len(), 200_000);
        assert_eq!(value[199_999], (199_999u32 as u8));
        assert_eq!(i.take_checksum(), Some(crate::CRC64.checksum(&data)));
    }
}
