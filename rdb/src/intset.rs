//! Intset: the sorted-integer layout Valkey uses for small sets whose members are all integers, both
//! in memory and inside RDB files (type 11, and inside DUMP payloads). ferry keeps the same bytes so
//! OBJECT ENCODING, memory use and serialisation agree with Valkey.
//!
//! Layout: `encoding` (u32 LE: the width of every element in bytes, 2, 4 or 8), `length` (u32 LE: the
//! element count), then `length` signed integers of that width, little-endian, strictly ascending.
//! Adding a value that needs a wider type rewrites every element at the new width (an "upgrade");
//! removing never narrows it again.

use std::fmt;

/// Header size: encoding (u32) + length (u32).
pub const HEADER_SIZE: usize = 8;

/// An intset that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntsetError {
    /// Fewer bytes than a header.
    #[error("intset too short ({0} bytes)")]
    TooShort(usize),
    /// The element width is not 2, 4 or 8.
    #[error("invalid intset encoding {0}")]
    BadEncoding(u32),
    /// The header's count and width disagree with the buffer size.
    #[error("intset header says {expected} bytes, buffer has {actual}")]
    SizeMismatch {
        /// Size implied by the header.
        expected: usize,
        /// Buffer size.
        actual: usize,
    },
    /// No elements (Valkey never stores an empty intset).
    #[error("empty intset")]
    Empty,
    /// Elements out of order or repeated.
    #[error("intset element {0} is not greater than the one before it")]
    NotAscending(usize),
}

/// The width (2, 4 or 8 bytes) an intset needs to hold `value` (Valkey's `_intsetValueEncoding`).
pub fn width_for(value: i64) -> usize {
    if i64::from(i16::MIN) <= value && value <= i64::from(i16::MAX) {
        2
    } else if i64::from(i32::MIN) <= value && value <= i64::from(i32::MAX) {
        4
    } else {
        8
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
}

/// Reads the element of `width` bytes at `at`, if it is in bounds.
fn read_element(bytes: &[u8], at: usize, width: usize) -> Option<i64> {
    let raw = bytes.get(at..at + width)?;
    Some(match width {
        2 => i64::from(i16::from_le_bytes([raw[0], raw[1]])),
        4 => i64::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
        _ => i64::from_le_bytes([
            raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
        ]),
    })
}

fn write_element(out: &mut Vec<u8>, value: i64, width: usize) {
    match width {
        2 => out.extend_from_slice(&(value as i16).to_le_bytes()),
        4 => out.extend_from_slice(&(value as i32).to_le_bytes()),
        _ => out.extend_from_slice(&value.to_le_bytes()),
    }
}

/// The size in bytes of the intset whose header starts `bytes` (header included), if the header is
/// readable. Valkey's `intsetBlobLen`.
pub fn blob_len(bytes: &[u8]) -> Option<usize> {
    let width = read_u32(bytes, 0)? as usize;
    let count = read_u32(bytes, 4)? as usize;
    Some(HEADER_SIZE + width * count)
}

/// Checks that `bytes` is a well-formed, non-empty intset with strictly ascending elements (Valkey's
/// `intsetValidateIntegrity` with `deep`).
pub fn validate(bytes: &[u8]) -> Result<(), IntsetError> {
    let (Some(encoding), Some(count)) = (read_u32(bytes, 0), read_u32(bytes, 4)) else {
        return Err(IntsetError::TooShort(bytes.len()));
    };
    if !matches!(encoding, 2 | 4 | 8) {
        return Err(IntsetError::BadEncoding(encoding));
    }
    let expected = HEADER_SIZE + encoding as usize * count as usize;
    if expected != bytes.len() {
        return Err(IntsetError::SizeMismatch {
            expected,
            actual: bytes.len(),
        });
    }
    if count == 0 {
        return Err(IntsetError::Empty);
    }
    let view = IntsetRef::new(bytes);
    let mut previous: Option<i64> = None;
    for (index, value) in view.iter().enumerate() {
        if previous.is_some_and(|p| value <= p) {
            return Err(IntsetError::NotAscending(index));
        }
        previous = Some(value);
    }
    Ok(())
}

/// A read-only view of intset bytes. Every method is total: on malformed bytes it returns `None`,
/// `false` or stops early instead of panicking.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IntsetRef<'a> {
    bytes: &'a [u8],
}

impl<'a> IntsetRef<'a> {
    /// A view of `bytes` (not validated; see [`validate`]).
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The bytes viewed.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Width of each element in bytes (2, 4 or 8).
    pub fn width(&self) -> usize {
        match read_u32(self.bytes, 0) {
            Some(w @ (2 | 4 | 8)) => w as usize,
            _ => 2,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        let stored = read_u32(self.bytes, 4).unwrap_or(0) as usize;
        let available = self.bytes.len().saturating_sub(HEADER_SIZE) / self.width();
        stored.min(available)
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `index` (ascending order).
    pub fn get(&self, index: usize) -> Option<i64> {
        if index >= self.len() {
            return None;
        }
        let width = self.width();
        read_element(self.bytes, HEADER_SIZE + index * width, width)
    }

    /// The smallest element.
    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    /// The largest element.
    pub fn max(&self) -> Option<i64> {
        self.get(self.len().checked_sub(1)?)
    }

    /// Binary search: `Ok(index)` of `value`, or `Err(position)` where it would be inserted.
    pub fn search(&self, value: i64) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = low + (high - low) / 2;
            match self.get(mid) {
                Some(current) if current < value => low = mid + 1,
                Some(current) if current > value => high = mid,
                Some(_) => return Ok(mid),
                None => return Err(low),
            }
        }
        Err(low)
    }

    /// True when `value` is an element.
    pub fn contains(&self, value: i64) -> bool {
        width_for(value) <= self.width() && self.search(value).is_ok()
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> IntsetIter<'a> {
        IntsetIter {
            view: *self,
            next: 0,
            len: self.len(),
        }
    }
}

impl fmt::Debug for IntsetRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over an intset's elements, ascending.
#[derive(Clone)]
pub struct IntsetIter<'a> {
    view: IntsetRef<'a>,
    next: usize,
    len: usize,
}

impl Iterator for IntsetIter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        if self.next >= self.len {
            return None;
        }
        let value = self.view.get(self.next)?;
        self.next += 1;
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.next;
        (left, Some(left))
    }
}

/// An owned intset.
#[derive(Clone, PartialEq, Eq)]
pub struct Intset {
    bytes: Vec<u8>,
}

impl Default for Intset {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Intset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

impl Intset {
    /// An empty intset of 16-bit elements (Valkey's `intsetNew`).
    pub fn new() -> Self {
        let mut bytes = Vec::with_capacity(HEADER_SIZE);
        bytes.extend_from_slice(&2u32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        Self { bytes }
    }

    /// Takes untrusted bytes (from an RDB file or a RESTORE payload), checking them with [`validate`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, IntsetError> {
        validate(&bytes)?;
        Ok(Self { bytes })
    }

    /// Takes bytes this module produced earlier (via [`Intset::into_bytes`]) without re-checking
    /// them. Malformed bytes cannot cause a panic, only wrong answers.
    pub fn from_trusted_bytes(bytes: Vec<u8>) -> Self {
        debug_assert!(
            blob_len(&bytes) == Some(bytes.len()),
            "intset header disagrees with its size"
        );
        Self { bytes }
    }

    /// Builds the intset that inserting `values` one by one into an empty intset gives: sorted,
    /// without repeats, at the narrowest width that holds them all.
    pub fn from_values(values: impl IntoIterator<Item = i64>) -> Self {
        let mut sorted: Vec<i64> = values.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let width = sorted.iter().map(|&v| width_for(v)).max().unwrap_or(2);
        let mut bytes = Vec::with_capacity(HEADER_SIZE + width * sorted.len());
        bytes.extend_from_slice(&(width as u32).to_le_bytes());
        bytes.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
        for value in sorted {
            write_element(&mut bytes, value, width);
        }
        Self { bytes }
    }

    /// A read-only view.
    pub fn view(&self) -> IntsetRef<'_> {
        IntsetRef::new(&self.bytes)
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consumes the intset, returning its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `value` is an element.
    pub fn contains(&self, value: i64) -> bool {
        self.view().contains(value)
    }

    fn set_len(&mut self, len: usize) {
        self.bytes[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    }

    /// Adds `value`; returns false when it was already there (Valkey's `intsetAdd`).
    pub fn insert(&mut self, value: i64) -> bool {
        let view = self.view();
        let width = view.width();
        let len = view.len();
        if width_for(value) > width {
            self.upgrade_and_add(value);
            return true;
        }
        let position = match view.search(value) {
            Ok(_) => return false,
            Err(position) => position,
        };
        let at = HEADER_SIZE + position * width;
        let mut encoded = Vec::with_capacity(width);
        write_element(&mut encoded, value, width);
        self.bytes.splice(at..at, encoded);
        self.set_len(len + 1);
        true
    }

    /// Rewrites every element at the width `value` needs, then adds `value`, which is smaller or
    /// larger than every element (it did not fit the old width), at the front or the back.
    fn upgrade_and_add(&mut self, value: i64) {
        let view = self.view();
        let width = width_for(value);
        let len = view.len();
        let mut bytes = Vec::with_capacity(HEADER_SIZE + width * (len + 1));
        bytes.extend_from_slice(&(width as u32).to_le_bytes());
        bytes.extend_from_slice(&((len + 1) as u32).to_le_bytes());
        if value < 0 {
            write_element(&mut bytes, value, width);
        }
        for element in view.iter() {
            write_element(&mut bytes, element, width);
        }
        if value >= 0 {
            write_element(&mut bytes, value, width);
        }
        self.bytes = bytes;
    }

    /// Removes `value`; returns false when it was not there (Valkey's `intsetRemove`: the width is
    /// kept).
    pub fn remove(&mut self, value: i64) -> bool {
        let view = self.view();
        let width = view.width();
        let len = view.len();
        if width_for(value) > width {
            return false;
        }
        let Ok(position) = view.search(value) else {
            return false;
        };
        let at = HEADER_SIZE + position * width;
        self.bytes.drain(at..at + width);
        self.set_len(len - 1);
        true
    }

    /// Releases spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn layout_and_upgrades() {
        let mut set = Intset::new();
        assert!(set.insert(5));
        assert!(set.insert(-3));
        assert!(!set.insert(5));
        assert_eq!(set.as_bytes(), &[2, 0, 0, 0, 2, 0, 0, 0, 0xfd, 0xff, 5, 0]);
        assert!(set.insert(70_000));
        assert_eq!(set.view().width(), 4);
        assert_eq!(set.view().iter().collect::<Vec<_>>(), vec![-3, 5, 70_000]);
        assert!(set.insert(i64::MIN));
        assert_eq!(set.view().width(), 8);
        assert_eq!(set.view().min(), Some(i64::MIN));
        assert_eq!(set.view().max(), Some(70_000));
        assert_eq!(set.as_bytes().len(), HEADER_SIZE + 4 * 8);
        // Removing never narrows.
        assert!(set.remove(i64::MIN));
        assert!(set.remove(70_000));
        assert!(!set.remove(70_000));
        assert!(!set.remove(i64::MAX));
        assert_eq!(set.view().width(), 8);
        assert_eq!(set.len(), 2);
        assert!(validate(set.as_bytes()).is_ok());
        assert_eq!(blob_len(set.as_bytes()), Some(set.as_bytes().len()));
    }

    /// DUMP of `SADD s 1 -2 300 70000` on valkey-server 9.1.2 holds this intset.
    #[test]
    fn bytes_match_valkey() {
        let mut set = Intset::new();
        for value in [1, -2, 300, 70_000] {
            set.insert(value);
        }
        let expected: &[u8] = &[
            4, 0, 0, 0, 4, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0x2c, 1, 0, 0, 0x70, 0x11,
            1, 0,
        ];
        assert_eq!(set.as_bytes(), expected);
        assert_eq!(
            Intset::from_values([70_000, 300, -2, 1, 1]).as_bytes(),
            expected
        );
    }

    #[test]
    fn validation_rejects_bad_input() {
        assert_eq!(validate(&[2, 0, 0]), Err(IntsetError::TooShort(3)));
        assert_eq!(
            validate(&[3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
            Err(IntsetError::BadEncoding(3))
        );
        assert_eq!(
            validate(&[2, 0, 0, 0, 2, 0, 0, 0, 1, 0]),
            Err(IntsetError::SizeMismatch {
                expected: 12,
                actual: 10
            })
        );
        assert_eq!(validate(&[2, 0, 0, 0, 0, 0, 0, 0]), Err(IntsetError::Empty));
        assert_eq!(
            validate(&[2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0]),
            Err(IntsetError::NotAscending(1))
        );
        assert!(Intset::from_bytes(vec![2, 0, 0, 0, 1, 0, 0, 0, 7, 0]).is_ok());
    }

    #[test]
    fn views_of_garbage_do_not_panic() {
        for bytes in [
            &[][..],
            &[8, 0, 0, 0, 255, 255, 255, 255, 1][..],
            &[9, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3][..],
        ] {
            let view = IntsetRef::new(bytes);
            let _ = (view.len(), view.min(), view.max(), view.contains(3));
            let _ = view.iter().count();
            let _ = view.search(1);
        }
    }

    proptest! {
        #[test]
        fn behaves_like_a_sorted_set(ops in proptest::collection::vec((any::<bool>(), prop_oneof![
            -40i64..40,
            any::<i16>().prop_map(i64::from),
            any::<i32>().prop_map(i64::from),
            any::<i64>(),
        ]), 0..300)) {
            let mut set = Intset::new();
            let mut model = BTreeSet::new();
            let mut widest = 2;
            for (insert, value) in ops {
                if insert {
                    prop_assert_eq!(set.insert(value), model.insert(value));
                    widest = widest.max(width_for(value));
                } else {
                    prop_assert_eq!(set.remove(value), model.remove(&value));
                }
                prop_assert_eq!(set.len(), model.len());
                prop_assert_eq!(set.view().width(), widest);
            }
            prop_assert_eq!(set.view().iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
            for value in &model {
                prop_assert!(set.contains(*value));
            }
            prop_assert_eq!(blob_len(set.as_bytes()), Some(set.as_bytes().len()));
            if !model.is_empty() {
                prop_assert!(validate(set.as_bytes()).is_ok());
                let rebuilt = Intset::from_values(model.iter().copied());
                prop_assert_eq!(rebuilt.view().iter().collect::<Vec<_>>(), set.view().iter().collect::<Vec<_>>());
            }
        }
    }
}
