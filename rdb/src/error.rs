//! The reader's error type: what went wrong, at which byte of the input, and in which key.

use std::fmt::Write as _;

/// An error reading an RDB file, DUMP payload or AOF: the kind, the byte offset in the input where it
/// was detected, and the key being read, if any.
#[derive(Debug, thiserror::Error)]
#[error("{kind} at byte {offset}{}", key_suffix(.key))]
pub struct RdbError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte offset in the input (from the start of the file or payload).
    pub offset: u64,
    /// The key being read when the error was detected.
    pub key: Option<Vec<u8>>,
}

/// The kinds of [`RdbError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The underlying reader failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The input ended in the middle of an item.
    #[error("unexpected end of file")]
    UnexpectedEof,
    /// The input does not start with `REDIS` or `VALKEY` and a version.
    #[error("not an RDB file (starts with {0})")]
    BadMagic(String),
    /// A version ferry does not read (named as in the header).
    #[error("unsupported RDB version {0}")]
    UnsupportedVersion(String),
    /// A value type byte unknown for the file's version.
    #[error("unknown value type {type_byte} in RDB version {version}")]
    UnknownType {
        /// The type byte.
        type_byte: u8,
        /// The file's version number.
        version: u16,
    },
    /// A construct ferry recognises but cannot read (pre-release formats, Redis 13 key metadata).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A module value met while the reader was told to refuse them.
    #[error("module value of type '{0}' (refused by option)")]
    ModuleRefused(String),
    /// Structurally invalid input.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The trailing CRC-64 does not match the content.
    #[error("checksum mismatch: file says {stored:016x}, content hashes to {computed:016x}")]
    Checksum {
        /// Checksum stored in the file.
        stored: u64,
        /// Checksum of the bytes read.
        computed: u64,
    },
}

impl RdbError {
    /// An error of `kind` at `offset`, not yet tied to a key.
    pub fn new(kind: ErrorKind, offset: u64) -> Self {
        Self {
            kind,
            offset,
            key: None,
        }
    }

    /// Ties the error to `key` unless it already names one.
    pub fn in_key(mut self, key: Option<&[u8]>) -> Self {
        if self.key.is_none() {
            self.key = key.map(<[u8]>::to_vec);
        }
        self
    }
}

/// Renders bytes for messages: printable ASCII as is, everything else as `\xHH`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}

fn key_suffix(key: &Option<Vec<u8>>) -> String {
    match key {
        Some(key) => format!(" (key '{}')", escape_bytes(key)),
        None => String::new(),
    }
}

/// Result alias for this crate's readers.
pub type Result<T, E = RdbError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_offset_and_key() {
        let error =
            RdbError::new(ErrorKind::Corrupt("bad listpack".into()), 42).in_key(Some(b"user:\x01"));
        assert_eq!(
            error.to_string(),
            "corrupt data: bad listpack at byte 42 (key 'user:\\x01')"
        );
    }
}
