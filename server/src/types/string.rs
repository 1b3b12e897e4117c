//! The string type: an integer encoding for values that are canonical 64-bit integers, and byte
//! encodings (`embstr` for short values, `raw` for long or modified ones) otherwise.

/// A string value.
#[derive(Debug, Clone, PartialEq)]
pub enum Str {
    /// A value whose text is the canonical decimal form of an i64 (OBJECT ENCODING `int`).
    Int(i64),
    /// A short value stored in one allocation (OBJECT ENCODING `embstr`).
    Embstr(Box<[u8]>),
    /// A long value, or one modified in place by APPEND/SETRANGE/SETBIT (OBJECT ENCODING `raw`).
    Raw(Vec<u8>),
}

/// Longest value that may be stored as `embstr` when created by SET and friends.
pub const EMBSTR_MAX_LEN: usize = 44;

impl Str {
    /// Stores `bytes`, choosing the encoding Valkey's `tryObjectEncoding` would.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        if bytes.len() <= 20 {
            if let Some(n) = ferry_resp::number::parse_i64(bytes) {
                return Str::Int(n);
            }
        }
        if bytes.len() <= EMBSTR_MAX_LEN {
            Str::Embstr(bytes.into())
        } else {
            Str::Raw(bytes.to_vec())
        }
    }

    /// The value's bytes; integers are formatted into `scratch`.
    pub fn as_bytes<'a>(&'a self, scratch: &'a mut itoa::Buffer) -> &'a [u8] {
        match self {
            Str::Int(n) => scratch.format(*n).as_bytes(),
            Str::Embstr(bytes) => bytes,
            Str::Raw(bytes) => bytes,
        }
    }

    /// The value's bytes as an owned vector.
    pub fn to_vec(&self) -> Vec<u8> {
        self.as_bytes(&mut itoa::Buffer::new()).to_vec()
    }

    /// Length in bytes of the value's text.
    pub fn len(&self) -> usize {
        match self {
            Str::Int(n) => itoa::Buffer::new().format(*n).len(),
            Str::Embstr(bytes) => bytes.len(),
            Str::Raw(bytes) => bytes.len(),
        }
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes as a mutable vector, converting to the `raw` encoding (as in-place edits do in Valkey).
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Raw(_)) {
            *self = Str::Raw(self.to_vec());
        }
        match self {
            Str::Raw(bytes) => bytes,
            _ => unreachable!("converted to raw just above"),
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Str::Int(_) => "int",
            Str::Embstr(_) => "embstr",
            Str::Raw(_) => "raw",
        }
    }
}
