//! The string type: an integer encoding for values that are canonical 64-bit integers, and byte
//! encodings (`embstr` for values small enough to share one allocation with their key, `raw` for long or
//! modified ones) otherwise.

use std::ops::Deref;

use thin_vec::ThinVec;

/// A string value. 16 bytes, so a `Value` is 16 bytes too: short texts live inside it.
#[derive(Debug, Clone, PartialEq)]
pub enum Str {
    /// A value whose text is the canonical decimal form of an i64 (OBJECT ENCODING `int`).
    Int(i64),
    /// A short value (OBJECT ENCODING `embstr`): inline when tiny, else one thin allocation.
    Embstr(Embedded),
    /// A long value, or one modified in place by APPEND/SETRANGE/SETBIT (OBJECT ENCODING `raw`).
    Raw(Box<Vec<u8>>),
}

/// Longest text stored inside the value itself.
pub const INLINE_CAPACITY: usize = 14;

/// The bytes of an `embstr` value: up to [`INLINE_CAPACITY`] bytes inline, longer ones in a single
/// allocation behind a thin pointer (keeps `Str` at 16 bytes).
#[derive(Clone, PartialEq)]
pub enum Embedded {
    /// Short text stored in place.
    Inline {
        /// Number of bytes used in `data`.
        len: u8,
        /// The text, zero-padded.
        data: [u8; INLINE_CAPACITY],
    },
    /// Longer text.
    Heap(ThinVec<u8>),
}

impl Embedded {
    /// Stores `bytes`, inline when they fit.
    pub fn new(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAPACITY {
            let mut data = [0; INLINE_CAPACITY];
            data[..bytes.len()].copy_from_slice(bytes);
            Embedded::Inline {
                len: bytes.len() as u8,
                data,
            }
        } else {
            Embedded::Heap(ThinVec::from(bytes))
        }
    }
}

impl Deref for Embedded {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Embedded::Inline { len, data } => &data[..usize::from(*len)],
            Embedded::Heap(bytes) => bytes,
        }
    }
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

/// Valkey 9.1 embeds a value in its object when everything fits in two cache lines.
const EMBED_BUDGET: usize = 128;
/// The object header without its value pointer, which an embedded value reuses.
const OBJECT_HEADER: usize = 8;
/// Room for an absolute expiry stored in the object.
const EXPIRE_FIELD: usize = 8;
/// Longest value whose length fits the one-byte length field of an embedded value's header.
const EMBED_MAX_VALUE: usize = 255;

/// Bytes a Valkey sds string of `len` bytes occupies: header (sized by the length), data, terminator.
fn sds_size(len: usize) -> usize {
    let header = match len {
        0..32 => 1,
        32..256 => 3,
        256..65_536 => 5,
        _ if len as u64 <= u64::from(u32::MAX) => 9,
        _ => 17,
    };
    header + len + 1
}

/// Valkey 9.1's rule (`shouldEmbedStringObject`) for storing a value of `value_len` bytes as `embstr`:
/// object header, the key stored with the object (when it has one), an expiry field (when the object
/// carries one at creation) and the value with an 8-bit sds header must fit in 128 bytes. A key that
/// already had a TTL gives its replacement value an expiry field; a TTL added afterwards does not
/// change the encoding.
pub fn embeds(value_len: usize, key_len: Option<usize>, has_expire: bool) -> bool {
    if value_len > EMBED_MAX_VALUE {
        return false;
    }
    let key_size = key_len.map_or(0, |len| sds_size(len) + 1);
    let expire_size = if has_expire { EXPIRE_FIELD } else { 0 };
    // The value's sds: 3-byte header, the bytes, the terminator.
    let value_size = 3 + value_len + 1;
    OBJECT_HEADER + key_size + expire_size + value_size <= EMBED_BUDGET
}

impl Str {
    /// Stores `bytes` with the encoding Valkey's `tryObjectEncoding` picks for a value not yet stored
    /// under a key: `int` for canonical integers, else `embstr` if it fits on its own, else `raw`.
    /// Values stored under a key should use [`Str::for_key`], whose `embstr` limit depends on the key.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self::encode(bytes, None, false)
    }

    /// Stores `bytes` as the value of a key of `key_len` bytes, choosing the encoding Valkey 9.1 ends up
    /// with: `int` for canonical integers, `embstr` when [`embeds`] says so, else `raw`. `has_expire` is
    /// true when the key already existed with a TTL.
    pub fn for_key(bytes: &[u8], key_len: usize, has_expire: bool) -> Self {
        Self::encode(bytes, Some(key_len), has_expire)
    }

    /// Like [`Str::for_key`] but never the `int` encoding (values computed as text, such as
    /// INCRBYFLOAT results, are not re-encoded by Valkey).
    pub fn text_for_key(bytes: &[u8], key_len: usize, has_expire: bool) -> Self {
        if embeds(bytes.len(), Some(key_len), has_expire) {
            Str::Embstr(Embedded::new(bytes))
        } else {
            Str::raw(bytes.to_vec())
        }
    }

    fn encode(bytes: &[u8], key_len: Option<usize>, has_expire: bool) -> Self {
        if bytes.len() <= 20 {
            if let Some(n) = ferry_resp::number::parse_i64(bytes) {
                return Str::Int(n);
            }
        }
        if embeds(bytes.len(), key_len, has_expire) {
            Str::Embstr(Embedded::new(bytes))
        } else {
            Str::raw(bytes.to_vec())
        }
    }

    /// A `raw` value holding `bytes`.
    pub fn raw(bytes: Vec<u8>) -> Self {
        Str::Raw(Box::new(bytes))
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

    /// True when the value's text equals `other` (integers compare by their decimal text).
    pub fn text_eq(&self, other: &[u8]) -> bool {
        self.as_bytes(&mut itoa::Buffer::new()) == other
    }

    /// The bytes as a mutable vector, converting to the `raw` encoding (as in-place edits do in Valkey).
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Raw(_)) {
            *self = Str::raw(self.to_vec());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Longest embstr value per key length, measured on valkey-server 9.1.2 with SET.
    #[test]
    fn embstr_limits_match_valkey() {
        let measured = [
            (1, 112),
            (2, 111),
            (13, 100),
            (31, 82),
            (32, 79),
            (60, 51),
            (79, 32),
            (100, 11),
        ];
        for (key_len, longest) in measured {
            assert!(embeds(longest, Some(key_len), false), "key {key_len}");
            assert!(!embeds(longest + 1, Some(key_len), false), "key {key_len}");
        }
        for key_len in [120, 150, 300] {
            assert!(!embeds(0, Some(key_len), false));
        }
        // A key that already had a TTL: 8 bytes fewer.
        assert!(embeds(104, Some(1), true));
        assert!(!embeds(105, Some(1), true));
    }

    #[test]
    fn values_stay_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Str>(), 16);
        assert_eq!(std::mem::size_of::<crate::types::Value>(), 16);
        let inline = Embedded::new(b"xxxxxxxx");
        assert!(matches!(inline, Embedded::Inline { len: 8, .. }));
        assert_eq!(&*inline, b"xxxxxxxx");
        assert_eq!(&*Embedded::new(&[7; 40]), &[7; 40][..]);
    }

    #[test]
    fn encodings() {
        assert_eq!(Str::for_key(b"123", 1, false), Str::Int(123));
        assert_eq!(Str::for_key(b"-0", 1, false).encoding_name(), "embstr");
        assert_eq!(Str::for_key(b"01", 1, false).encoding_name(), "embstr");
        assert_eq!(
            Str::for_key(b"12345678901234567890", 1, false).encoding_name(),
            "embstr"
        );
        assert_eq!(Str::text_for_key(b"12", 1, false).encoding_name(), "embstr");
        assert_eq!(Str::for_key(&[b'a'; 113], 1, false).encoding_name(), "raw");
        assert_eq!(Str::from_bytes(&[b'a'; 116]).encoding_name(), "embstr");
        let mut value = Str::Int(5);
        value.make_raw().push(b'6');
        assert_eq!(value, Str::raw(b"56".to_vec()));
        assert!(value.text_eq(b"56"));
    }
}
