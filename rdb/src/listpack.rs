//! Listpack: the compact byte layout Valkey uses for small lists, hashes, sets, sorted sets and stream
//! nodes, both in memory and inside RDB files. ferry uses the same bytes for its own small collections,
//! so OBJECT ENCODING, memory use and DUMP payloads line up with Valkey's.
//!
//! Layout: a 6-byte header (total bytes u32 LE, element count u16 LE, `u16::MAX` meaning "count them"),
//! the entries, and a terminator byte `0xFF`. Each entry is an encoding byte and its data, followed by
//! a "backlen" of 1–5 bytes holding the size of encoding+data, readable from its last byte so the list
//! can be walked backwards. Integers use the smallest of the 7/13/16/24/32/64-bit forms; strings a
//! 6-, 12- or 32-bit length; a string that is a canonical integer is stored as that integer.

use std::fmt;

/// Header size: total bytes (u32) + element count (u16).
pub const HEADER_SIZE: usize = 6;
/// The terminator byte.
pub const END: u8 = 0xFF;
/// Element count meaning "unknown, walk the list".
const COUNT_UNKNOWN: u16 = u16::MAX;

/// One element read from a listpack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// An element stored as an integer.
    Int(i64),
    /// An element stored as bytes.
    Bytes(&'a [u8]),
}

impl Entry<'_> {
    /// The element's text (integers in decimal).
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Entry::Int(n) => itoa::Buffer::new().format(*n).as_bytes().to_vec(),
            Entry::Bytes(bytes) => bytes.to_vec(),
        }
    }

    /// True when the element's text equals `other`.
    pub fn eq_bytes(&self, other: &[u8]) -> bool {
        match self {
            Entry::Int(n) => itoa::Buffer::new().format(*n).as_bytes() == other,
            Entry::Bytes(bytes) => *bytes == other,
        }
    }
}

/// A listpack that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListpackError {
    /// Fewer bytes than a header and terminator.
    #[error("listpack too short ({0} bytes)")]
    TooShort(usize),
    /// The header's total size disagrees with the buffer.
    #[error("listpack header says {header} bytes, buffer has {actual}")]
    SizeMismatch {
        /// Size in the header.
        header: usize,
        /// Buffer size.
        actual: usize,
    },
    /// An entry runs past the end or has an invalid encoding or backlen.
    #[error("corrupt listpack entry at offset {0}")]
    CorruptEntry(usize),
    /// The terminator is missing or misplaced.
    #[error("listpack terminator missing")]
    MissingEnd,
    /// The header's element count disagrees with the entries.
    #[error("listpack header counts {header} elements, found {actual}")]
    CountMismatch {
        /// Count in the header.
        header: usize,
        /// Entries found.
        actual: usize,
    },
}

/// An owned listpack.
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    bytes: Vec<u8>,
}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|e| String::from_utf8_lossy(&e.to_vec()).into_owned()),
            )
            .finish()
    }
}

/// Parses `bytes` as a canonical integer the way listpack does (`lpStringToInt64`, the same rules as
/// `string2ll`).
pub(crate) fn as_integer(bytes: &[u8]) -> Option<i64> {
    ferry_resp::number::parse_i64(bytes)
}

/// Appends the encoding and data of an integer element.
fn encode_int(value: i64, out: &mut Vec<u8>) {
    if (0..=127).contains(&value) {
        out.push(value as u8);
    } else if (-4096..=4095).contains(&value) {
        let v = if value < 0 { (1 << 13) + value } else { value } as u64;
        out.push(((v >> 8) as u8) | 0xC0);
        out.push(v as u8);
    } else if (-32768..=32767).contains(&value) {
        out.push(0xF1);
        out.extend_from_slice(&(value as i16).to_le_bytes());
    } else if (-8_388_608..=8_388_607).contains(&value) {
        out.push(0xF2);
        out.extend_from_slice(&(value as i32).to_le_bytes()[..3]);
    } else if (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&value) {
        out.push(0xF3);
        out.extend_from_slice(&(value as i32).to_le_bytes());
    } else {
        out.push(0xF4);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

/// Appends the encoding and data of a string element (which is not stored as an integer).
fn encode_string(bytes: &[u8], out: &mut Vec<u8>) {
    let len = bytes.len();
    if len < 64 {
        out.push(0x80 | len as u8);
    } else if len < 4096 {
        out.push(0xE0 | (len >> 8) as u8);
        out.push(len as u8);
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
    out.extend_from_slice(bytes);
}

/// Appends the backlen for an entry whose encoding+data is `len` bytes.
fn encode_backlen(len: usize, out: &mut Vec<u8>) {
    let l = len as u64;
    if l <= 127 {
        out.push(l as u8);
    } else if l < 16383 {
        out.extend_from_slice(&[(l >> 7) as u8, ((l & 127) | 128) as u8]);
    } else if l < 2_097_151 {
        out.extend_from_slice(&[
            (l >> 14) as u8,
            (((l >> 7) & 127) | 128) as u8,
            ((l & 127) | 128) as u8,
        ]);
    } else if l < 268_435_455 {
        out.extend_from_slice(&[
            (l >> 21) as u8,
            (((l >> 14) & 127) | 128) as u8,
            (((l >> 7) & 127) | 128) as u8,
            ((l & 127) | 128) as u8,
        ]);
    } else {
        out.extend_from_slice(&[
            (l >> 28) as u8,
            (((l >> 21) & 127) | 128) as u8,
            (((l >> 14) & 127) | 128) as u8,
            (((l >> 7) & 127) | 128) as u8,
            ((l & 127) | 128) as u8,
        ]);
    }
}

/// Encodes one element (encoding, data, backlen) the way Valkey would store `value`.
pub fn encode_element(value: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    match as_integer(value) {
        Some(n) => encode_int(n, out),
        None => encode_string(value, out),
    }
    let len = out.len() - start;
    encode_backlen(len, out);
}

/// Encodes one integer element.
pub fn encode_integer_element(value: i64, out: &mut Vec<u8>) {
    let start = out.len();
    encode_int(value, out);
    let len = out.len() - start;
    encode_backlen(len, out);
}

/// Bytes `value` takes once stored as an element: encoding, data and backlen.
pub fn encoded_len(value: &[u8]) -> usize {
    let payload = match as_integer(value) {
        Some(n) if (0..=127).contains(&n) => 1,
        Some(n) if (-4096..=4095).contains(&n) => 2,
        Some(n) if (-32768..=32767).contains(&n) => 3,
        Some(n) if (-8_388_608..=8_388_607).contains(&n) => 4,
        Some(n) if (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&n) => 5,
        Some(_) => 9,
        None if value.len() < 64 => 1 + value.len(),
        None if value.len() < 4096 => 2 + value.len(),
        None => 5 + value.len(),
    };
    payload + backlen_size(payload)
}

/// Size of the encoding+data of the entry starting at `buf[0]`, if it fits in `buf`.
fn entry_payload_size(buf: &[u8]) -> Option<usize> {
    let first = *buf.first()?;
    let size = match first {
        b if b & 0x80 == 0 => 1,
        b if b & 0xC0 == 0x80 => 1 + usize::from(b & 0x3F),
        b if b & 0xE0 == 0xC0 => 2,
        b if b & 0xF0 == 0xE0 => 2 + ((usize::from(b & 0x0F) << 8) | usize::from(*buf.get(1)?)),
        0xF0 => 5 + u32::from_le_bytes(buf.get(1..5)?.try_into().ok()?) as usize,
        0xF1 => 3,
        0xF2 => 4,
        0xF3 => 5,
        0xF4 => 9,
        _ => return None,
    };
    (size <= buf.len()).then_some(size)
}

fn backlen_size(payload: usize) -> usize {
    match payload {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Decodes the element whose encoding byte is at `buf[0]` (the entry is known to be in bounds).
fn decode(buf: &[u8]) -> Entry<'_> {
    let first = buf[0];
    let sign_extend = |value: u64, bits: u32| -> i64 {
        let shift = 64 - bits;
        ((value << shift) as i64) >> shift
    };
    match first {
        b if b & 0x80 == 0 => Entry::Int(i64::from(b)),
        b if b & 0xC0 == 0x80 => Entry::Bytes(&buf[1..1 + usize::from(b & 0x3F)]),
        b if b & 0xE0 == 0xC0 => Entry::Int(sign_extend(
            (u64::from(b & 0x1F) << 8) | u64::from(buf[1]),
            13,
        )),
        b if b & 0xF0 == 0xE0 => {
            let len = (usize::from(b & 0x0F) << 8) | usize::from(buf[1]);
            Entry::Bytes(&buf[2..2 + len])
        }
        0xF0 => {
            let len = u32::from_le_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
            Entry::Bytes(&buf[5..5 + len])
        }
        0xF1 => Entry::Int(i64::from(i16::from_le_bytes([buf[1], buf[2]]))),
        0xF2 => Entry::Int(sign_extend(
            u64::from(buf[1]) | u64::from(buf[2]) << 8 | u64::from(buf[3]) << 16,
            24,
        )),
        0xF3 => Entry::Int(i64::from(i32::from_le_bytes([
            buf[1], buf[2], buf[3], buf[4],
        ]))),
        _ => Entry::Int(i64::from_le_bytes([
            buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7], buf[8],
        ])),
    }
}

impl Listpack {
    /// An empty listpack.
    pub fn new() -> Self {
        let mut bytes = Vec::with_capacity(HEADER_SIZE + 1);
        bytes.extend_from_slice(&((HEADER_SIZE + 1) as u32).to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes());
        bytes.push(END);
        Self { bytes }
    }

    /// Takes untrusted bytes (from an RDB file or a RESTORE payload), checking every entry.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, ListpackError> {
        validate(&bytes)?;
        Ok(Self { bytes })
    }

    /// Takes bytes this module produced earlier (via [`Listpack::into_bytes`]) without re-checking
    /// them. Reading malformed bytes through [`entries`] cannot panic; other methods assume the
    /// bytes are well formed.
    pub fn from_trusted_bytes(bytes: Vec<u8>) -> Self {
        debug_assert!(validate(&bytes).is_ok(), "listpack bytes are malformed");
        Self { bytes }
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the listpack, returning its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Bytes used, header and terminator included.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// A borrowed view of the bytes, for reading.
    pub fn view(&self) -> ListpackRef<'_> {
        ListpackRef { bytes: &self.bytes }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.view().is_empty()
    }

    /// Iterates over the elements from the first.
    pub fn iter(&self) -> Iter<'_> {
        self.view().iter()
    }

    /// Offset of the first element, if any.
    pub fn first(&self) -> Option<usize> {
        self.view().first()
    }

    /// Offset of the last element, if any.
    pub fn last(&self) -> Option<usize> {
        self.view().last()
    }

    /// The element at `offset`.
    pub fn get(&self, offset: usize) -> Entry<'_> {
        self.view().get(offset)
    }

    /// Offset of the element after the one at `offset`.
    pub fn next(&self, offset: usize) -> Option<usize> {
        self.view().next(offset)
    }

    /// Offset of the element before `offset` (`offset` may be the terminator's).
    pub fn prev(&self, offset: usize) -> Option<usize> {
        self.view().prev(offset)
    }

    /// Offset of the element at `index` (negative counts from the end).
    pub fn seek(&self, index: i64) -> Option<usize> {
        self.view().seek(index)
    }

    fn set_header(&mut self, count_delta: isize) {
        let total = self.bytes.len() as u32;
        self.bytes[..4].copy_from_slice(&total.to_le_bytes());
        let count = u16::from_le_bytes([self.bytes[4], self.bytes[5]]);
        if count != COUNT_UNKNOWN {
            let new_count = count as isize + count_delta;
            let stored = if (0..COUNT_UNKNOWN as isize).contains(&new_count) {
                new_count as u16
            } else {
                COUNT_UNKNOWN
            };
            self.bytes[4..6].copy_from_slice(&stored.to_le_bytes());
        }
    }

    /// Inserts `value` before the element at `offset` (or at the end when `offset` is the terminator's,
    /// i.e. `byte_len() - 1`). Returns the new element's offset.
    pub fn insert(&mut self, offset: usize, value: &[u8]) -> usize {
        let mut encoded = Vec::with_capacity(value.len() + 11);
        encode_element(value, &mut encoded);
        self.bytes.splice(offset..offset, encoded);
        self.set_header(1);
        offset
    }

    /// Appends `value`.
    pub fn push_back(&mut self, value: &[u8]) {
        let end = self.bytes.len() - 1;
        self.insert(end, value);
    }

    /// Prepends `value`.
    pub fn push_front(&mut self, value: &[u8]) {
        self.insert(HEADER_SIZE, value);
    }

    /// Removes the element at `offset`; returns the offset of the element that followed (or the
    /// terminator's offset).
    pub fn remove(&mut self, offset: usize) -> usize {
        if let Some(payload) = entry_payload_size(&self.bytes[offset..]) {
            let end = offset + payload + backlen_size(payload);
            self.bytes.drain(offset..end);
            self.set_header(-1);
        }
        offset
    }

    /// Removes up to `count` elements starting with the one at `offset` (fewer when the listpack ends
    /// first); returns how many were removed.
    pub fn remove_range(&mut self, offset: usize, count: usize) -> usize {
        let mut end = offset;
        let mut removed = 0;
        while removed < count && self.bytes.get(end).is_some_and(|&b| b != END) {
            let Some(payload) = entry_payload_size(&self.bytes[end..]) else {
                break;
            };
            end += payload + backlen_size(payload);
            removed += 1;
        }
        if removed > 0 {
            self.bytes.drain(offset..end);
            self.set_header(-(removed as isize));
        }
        removed
    }

    /// Appends every element of `other` (Valkey's `lpMerge`: the bytes of both, one header).
    pub fn append(&mut self, other: &Listpack) {
        let added = other.len();
        let entries = &other.bytes[HEADER_SIZE..other.bytes.len() - 1];
        self.bytes.reserve_exact(entries.len());
        let end = self.bytes.len() - 1;
        self.bytes.splice(end..end, entries.iter().copied());
        self.set_header(added as isize);
    }

    /// Makes room for exactly `additional` more bytes, so the next insertions do not over-allocate
    /// (Valkey resizes a listpack to its exact size on every change).
    pub fn reserve_exact(&mut self, additional: usize) {
        self.bytes.reserve_exact(additional);
    }

    /// Bytes allocated, used or not.
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Releases unused allocated bytes.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// Replaces the element at `offset` with `value`; returns its offset.
    pub fn replace(&mut self, offset: usize, value: &[u8]) -> usize {
        self.remove(offset);
        self.insert(offset, value)
    }
}

/// A borrowed listpack: the reads of [`Listpack`] over bytes stored elsewhere (for example in a compact
/// value handle). The bytes must be a well-formed listpack, as [`Listpack::as_bytes`] gives; reads of
/// malformed bytes may panic (check untrusted bytes with [`validate`] first).
#[derive(Debug, Clone, Copy)]
pub struct ListpackRef<'a> {
    bytes: &'a [u8],
}

impl<'a> ListpackRef<'a> {
    /// Views `bytes`, which must be a well-formed listpack (not checked: views are made on every read).
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The encoded bytes.
    pub fn as_bytes(self) -> &'a [u8] {
        self.bytes
    }

    /// Bytes used, header and terminator included.
    pub fn byte_len(self) -> usize {
        self.bytes.len()
    }

    /// Number of elements.
    pub fn len(self) -> usize {
        let count = u16::from_le_bytes([self.bytes[4], self.bytes[5]]);
        if count == COUNT_UNKNOWN {
            self.iter().count()
        } else {
            usize::from(count)
        }
    }

    /// True when there are no elements.
    pub fn is_empty(self) -> bool {
        self.bytes[HEADER_SIZE] == END
    }

    /// Iterates over the elements from the first.
    pub fn iter(self) -> Iter<'a> {
        Iter {
            bytes: self.bytes,
            offset: HEADER_SIZE,
        }
    }

    /// Offset of the first element, if any.
    pub fn first(self) -> Option<usize> {
        (!self.is_empty()).then_some(HEADER_SIZE)
    }

    /// Offset of the last element, if any.
    pub fn last(self) -> Option<usize> {
        self.prev(self.bytes.len() - 1)
    }

    /// The element at `offset`.
    pub fn get(self, offset: usize) -> Entry<'a> {
        decode(&self.bytes[offset..])
    }

    /// Offset of the element after the one at `offset`.
    pub fn next(self, offset: usize) -> Option<usize> {
        let payload = entry_payload_size(&self.bytes[offset..])?;
        let next = offset + payload + backlen_size(payload);
        (self.bytes[next] != END).then_some(next)
    }

    /// Offset of the element before `offset` (`offset` may be the terminator's).
    pub fn prev(self, offset: usize) -> Option<usize> {
        if offset <= HEADER_SIZE {
            return None;
        }
        // Decode the previous entry's backlen from its last byte backwards.
        let mut position = offset - 1;
        let mut value = 0usize;
        let mut shift = 0;
        loop {
            let byte = self.bytes[position];
            value |= usize::from(byte & 127) << shift;
            if byte & 128 == 0 {
                break;
            }
            shift += 7;
            position = position.checked_sub(1)?;
        }
        Some(offset - backlen_size(value) - value)
    }

    /// Offset of the element at `index` (negative counts from the end).
    pub fn seek(self, index: i64) -> Option<usize> {
        if index >= 0 {
            let mut offset = self.first()?;
            for _ in 0..index {
                offset = self.next(offset)?;
            }
            Some(offset)
        } else {
            let mut offset = self.last()?;
            for _ in 0..(-index - 1) {
                offset = self.prev(offset)?;
            }
            Some(offset)
        }
    }
}

/// Checks that `bytes` is a well-formed listpack.
pub fn validate(bytes: &[u8]) -> Result<(), ListpackError> {
    if bytes.len() < HEADER_SIZE + 1 {
        return Err(ListpackError::TooShort(bytes.len()));
    }
    let header = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    if header != bytes.len() {
        return Err(ListpackError::SizeMismatch {
            header,
            actual: bytes.len(),
        });
    }
    let count = u16::from_le_bytes([bytes[4], bytes[5]]);
    let mut offset = HEADER_SIZE;
    let mut found = 0usize;
    while offset < bytes.len() && bytes[offset] != END {
        let payload =
            entry_payload_size(&bytes[offset..]).ok_or(ListpackError::CorruptEntry(offset))?;
        let backlen = backlen_size(payload);
        let end = offset + payload + backlen;
        if end >= bytes.len() {
            return Err(ListpackError::CorruptEntry(offset));
        }
        let mut expected = Vec::with_capacity(5);
        encode_backlen(payload, &mut expected);
        if bytes[offset + payload..end] != expected[..] {
            return Err(ListpackError::CorruptEntry(offset));
        }
        offset = end;
        found += 1;
    }
    if offset != bytes.len() - 1 {
        return Err(ListpackError::MissingEnd);
    }
    if count != COUNT_UNKNOWN && usize::from(count) != found {
        return Err(ListpackError::CountMismatch {
            header: usize::from(count),
            actual: found,
        });
    }
    Ok(())
}

/// Iterates over the elements of listpack `bytes` without copying them. On malformed bytes it stops
/// at the first entry it cannot read (it never panics).
pub fn entries(bytes: &[u8]) -> Iter<'_> {
    Iter {
        bytes,
        offset: HEADER_SIZE,
    }
}

/// The number of elements of listpack `bytes`: the header's count, or a walk when the header says
/// "unknown" (65535 or more elements).
pub fn element_count(bytes: &[u8]) -> usize {
    match bytes.get(4..6) {
        Some(&[low, high]) if u16::from_le_bytes([low, high]) != COUNT_UNKNOWN => {
            usize::from(u16::from_le_bytes([low, high]))
        }
        _ => entries(bytes).count(),
    }
}

/// Iterator over a listpack's elements.
#[derive(Clone)]
pub struct Iter<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let rest = self.bytes.get(self.offset..)?;
        if rest.first() == Some(&END) {
            return None;
        }
        let payload = entry_payload_size(rest)?;
        let entry = decode(rest);
        self.offset += payload + backlen_size(payload);
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        let mut lp = Listpack::new();
        for value in [
            "1",
            "hello",
            "-1",
            "300",
            "-70000",
            "9999999999",
            "0",
            "007",
            "",
        ] {
            lp.push_back(value.as_bytes());
        }
        let entries: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        let expected: Vec<&[u8]> = vec![
            b"1",
            b"hello",
            b"-1",
            b"300",
            b"-70000",
            b"9999999999",
            b"0",
            b"007",
            b"",
        ];
        assert_eq!(entries, expected);
        assert_eq!(lp.len(), 9);
        assert_eq!(lp.get(HEADER_SIZE), Entry::Int(1));
        // "1" is a 7-bit uint: one byte plus a one-byte backlen.
        assert_eq!(&lp.as_bytes()[HEADER_SIZE..HEADER_SIZE + 2], &[1, 1]);
        validate(lp.as_bytes()).unwrap();
    }

    /// The listpack inside `DUMP` of `HSET h a 1 b hello c -70000 d 300 e 9999999999 f 007 g ""` on
    /// valkey-server 9.1.2.
    #[test]
    fn bytes_match_valkey() {
        let valkey = "3e0000000e0081610201018162028568656c6c6f06816302f290eefe04816402c12c02816502f4ffe30b54\
                      020000000981660283303037048167028001ff";
        let mut lp = Listpack::new();
        let elements: [&[u8]; 14] = [
            b"a",
            b"1",
            b"b",
            b"hello",
            b"c",
            b"-70000",
            b"d",
            b"300",
            b"e",
            b"9999999999",
            b"f",
            b"007",
            b"g",
            b"",
        ];
        for element in elements {
            lp.push_back(element);
        }
        let hex: String = lp.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, valkey.replace(' ', ""));
    }

    #[test]
    fn walks_both_ways() {
        let mut lp = Listpack::new();
        let long = vec![b'x'; 5000];
        lp.push_back(b"a");
        lp.push_back(&long);
        lp.push_front(b"z");
        let mut backwards = Vec::new();
        let mut at = lp.last();
        while let Some(offset) = at {
            backwards.push(lp.get(offset).to_vec());
            at = lp.prev(offset);
        }
        assert_eq!(backwards, vec![long.clone(), b"a".to_vec(), b"z".to_vec()]);
        assert_eq!(lp.get(lp.seek(-2).unwrap()).to_vec(), b"a");
    }

    #[test]
    fn corrupt_input_is_rejected() {
        assert!(Listpack::from_bytes(vec![1, 2]).is_err());
        let mut lp = Listpack::new();
        lp.push_back(b"abc");
        let mut bytes = lp.into_bytes();
        bytes[HEADER_SIZE] = 0x85; // claims 5 bytes of string data
        assert!(Listpack::from_bytes(bytes).is_err());
    }

    #[test]
    fn ranges_merges_and_sizes() {
        let mut lp = Listpack::new();
        for value in ["a", "1", "hello", "-70000", "", "x"] {
            assert_eq!(encoded_len(value.as_bytes()), {
                let mut out = Vec::new();
                encode_element(value.as_bytes(), &mut out);
                out.len()
            });
            lp.push_back(value.as_bytes());
        }
        for len in [63, 64, 4095, 4096, 20000] {
            let value = vec![b'v'; len];
            let mut out = Vec::new();
            encode_element(&value, &mut out);
            assert_eq!(encoded_len(&value), out.len());
        }
        let mut tail = lp.clone();
        let second = lp.seek(1).unwrap();
        assert_eq!(lp.remove_range(second, 3), 3);
        let kept: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        assert_eq!(kept, vec![b"a".to_vec(), b"".to_vec(), b"x".to_vec()]);
        validate(lp.as_bytes()).unwrap();
        let last = lp.seek(-1).unwrap();
        assert_eq!(lp.remove_range(last, 10), 1);
        assert_eq!(lp.len(), 2);
        let first = tail.first().unwrap();
        tail.remove_range(first, 4);
        lp.append(&tail);
        validate(lp.as_bytes()).unwrap();
        let merged: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        assert_eq!(
            merged,
            vec![b"a".to_vec(), b"".to_vec(), b"".to_vec(), b"x".to_vec()]
        );
        lp.reserve_exact(100);
        assert!(lp.capacity() >= lp.byte_len() + 100);
        lp.shrink_to_fit();
        assert_eq!(lp.capacity(), lp.byte_len());
    }

    proptest! {
        #[test]
        fn behaves_like_a_vec(ops in proptest::collection::vec((0u8..4, any::<i64>(), proptest::collection::vec(any::<u8>(), 0..80)), 0..60)) {
            let mut lp = Listpack::new();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for (op, n, bytes) in ops {
                let value = if n % 2 == 0 { n.to_string().into_bytes() } else { bytes };
                match op {
                    0 => { lp.push_back(&value); model.push(value); }
                    1 => { lp.push_front(&value); model.insert(0, value); }
                    2 if !model.is_empty() => {
                        let index = (n.unsigned_abs() as usize) % model.len();
                        let offset = lp.seek(index as i64).unwrap();
                        lp.remove(offset);
                        model.remove(index);
                    }
                    3 if !model.is_empty() => {
                        let index = (n.unsigned_abs() as usize) % model.len();
                        let offset = lp.seek(index as i64).unwrap();
                        lp.replace(offset, &value);
                        model[index] = value;
                    }
                    _ => {}
                }
                prop_assert!(validate(lp.as_bytes()).is_ok());
            }
            prop_assert_eq!(lp.len(), model.len());
            let got: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
            prop_assert_eq!(got, model);
        }

        #[test]
        fn validation_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(lp) = Listpack::from_bytes(bytes) {
                let _ = lp.iter().count();
            }
        }
    }
}
