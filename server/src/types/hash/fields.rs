//! The `hashtable` encoding of a hash. Like Valkey's `entry`, each field is one allocation holding the
//! field, its value and (for a volatile field) its expiry, so a small field costs one small allocation;
//! the table is open addressing with linear probing over thin pointers to those allocations (the
//! keyspace's [`crate::keyspace::Table`] keeps a fixed-size value beside each key instead, which would
//! push small fields into a larger allocation class).
//!
//! Slot counts step by 1.5 and 4/3 (8, 12, 16, 24, 32, 48 ...) rather than doubling, so a table sits
//! between 40% and 80% full, like Valkey's buckets of seven; a field's home slot is its hash scaled to
//! the table size. HSCAN's cursor is a position in hash space: each call covers the hashes of one home
//! slot and returns where the next range starts, so a field present for the whole scan is returned
//! exactly once whatever resizes happen in between.
//! Fields with a TTL are also indexed by expiry, so active expiry finds due fields without a scan.
//!
//! A field whose TTL has passed stays stored until active expiry (or an overwrite) reclaims it, as in
//! Valkey: reads filter it out (see [`FieldRef::is_expired`]), but it counts in [`FieldTable::len`].

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::ptr::NonNull;

use rand::Rng;

/// Smallest slot array.
const MIN_SLOTS: usize = 8;
/// Control byte of an empty slot; occupied slots hold `0x80 | low 7 bits of the hash`.
const EMPTY: u8 = 0;
/// Flag bit of an entry's first byte: an 8-byte expiry follows.
const HAS_EXPIRY: u8 = 1;

/// A field as stored: its value and expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRef<'a> {
    /// The value.
    pub value: &'a [u8],
    /// Absolute expiry in Unix milliseconds, for a field with a TTL.
    pub expire_at: Option<i64>,
}

impl FieldRef<'_> {
    /// True when the field has a TTL that has passed at `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expire_at.is_some_and(|at| at <= now_ms)
    }
}

/// Appends `len` as a little-endian base-128 varint (one byte below 128).
fn push_len(len: usize, out: &mut Vec<u8>) {
    let mut rest = len;
    while rest >= 0x80 {
        out.push((rest as u8) | 0x80);
        rest >>= 7;
    }
    out.push(rest as u8);
}

/// Reads a varint written by [`push_len`] at `raw + *at`, advancing `at`.
///
/// # Safety
/// `raw + *at` must start a complete varint written by [`push_len`] inside one allocation.
unsafe fn read_len(raw: *const u8, at: &mut usize) -> usize {
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        // SAFETY: the caller guarantees the varint's bytes are readable; it ends at the first byte
        // below 0x80, which `push_len` always writes.
        let byte = unsafe { *raw.add(*at) };
        *at += 1;
        len |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return len;
        }
        shift += 7;
    }
}

/// One field's allocation: a flags byte, the expiry (8 bytes, little-endian) when flagged, then the
/// field and the value, each preceded by its varint length. The allocation is exactly that long.
struct Entry {
    ptr: NonNull<u8>,
}

/// The decoded layout of an entry.
struct Parts {
    expire_at: Option<i64>,
    field: (usize, usize),
    value: (usize, usize),
}

impl Entry {
    fn new(field: &[u8], value: &[u8], expire_at: Option<i64>) -> Self {
        let mut encoded = Vec::with_capacity(field.len() + value.len() + 20);
        match expire_at {
            Some(at) => {
                encoded.push(HAS_EXPIRY);
                encoded.extend_from_slice(&at.to_le_bytes());
            }
            None => encoded.push(0),
        }
        push_len(field.len(), &mut encoded);
        encoded.extend_from_slice(field);
        push_len(value.len(), &mut encoded);
        encoded.extend_from_slice(value);
        let layout = Self::layout(encoded.len());
        // SAFETY: the layout is non-zero-sized (an entry has at least its flags byte and two lengths);
        // exactly `encoded.len()` bytes are copied into the fresh allocation.
        unsafe {
            let raw = alloc(layout);
            let Some(ptr) = NonNull::new(raw) else {
                handle_alloc_error(layout)
            };
            std::ptr::copy_nonoverlapping(encoded.as_ptr(), raw, encoded.len());
            Self { ptr }
        }
    }

    fn layout(size: usize) -> Layout {
        match Layout::from_size_align(size, 1) {
            Ok(layout) => layout,
            Err(_) => handle_alloc_error(Layout::new::<u8>()),
        }
    }

    /// The decoded layout and the total size.
    fn parts(&self) -> (Parts, usize) {
        let raw = self.ptr.as_ptr();
        // SAFETY: `new` wrote the flags byte, the expiry when flagged, then two varint lengths each
        // followed by that many bytes; every read below stays inside what `new` wrote, because each
        // length is decoded before the bytes it covers are read.
        unsafe {
            let flagged = *raw & HAS_EXPIRY != 0;
            let mut at = 1;
            let expire_at = if flagged {
                at += 8;
                Some(i64::from_le_bytes(std::ptr::read_unaligned(
                    raw.add(1).cast::<[u8; 8]>(),
                )))
            } else {
                None
            };
            let field_len = read_len(raw, &mut at);
            let field = (at, field_len);
            at += field_len;
            let value_len = read_len(raw, &mut at);
            let value = (at, value_len);
            at += value_len;
            (
                Parts {
                    expire_at,
                    field,
                    value,
                },
                at,
            )
        }
    }

    fn slice(&self, (offset, len): (usize, usize)) -> &[u8] {
        // SAFETY: `parts` computed the range inside the allocation; it lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(offset), len) }
    }

    fn field(&self) -> &[u8] {
        self.slice(self.parts().0.field)
    }

    fn get(&self) -> (&[u8], FieldRef<'_>) {
        let (parts, _) = self.parts();
        (
            self.slice(parts.field),
            FieldRef {
                value: self.slice(parts.value),
                expire_at: parts.expire_at,
            },
        )
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let (_, size) = self.parts();
        // SAFETY: the entry owns its allocation, made by `new` with this size and alignment 1.
        unsafe { dealloc(self.ptr.as_ptr(), Self::layout(size)) }
    }
}

/// Arrays this large are "large" allocations for jemalloc, which places them at a random offset
/// inside one extra page (its cache-oblivious layout) unless they are page-aligned.
const LARGE_ALLOCATION: usize = 16 * 1024;
/// A memory page.
const PAGE: usize = 4096;

/// The slot array: a fixed number of `Option<Entry>`, all `None` when created, page-aligned when it
/// is a large allocation (a 2048-slot table would otherwise cost 20 KiB instead of 16 KiB).
struct Slots {
    ptr: NonNull<Option<Entry>>,
    len: usize,
}

impl Slots {
    /// No slots (no allocation).
    fn empty() -> Self {
        Self {
            ptr: NonNull::dangling(),
            len: 0,
        }
    }

    fn layout(len: usize) -> Layout {
        let size = len.saturating_mul(std::mem::size_of::<Option<Entry>>());
        let align = if size >= LARGE_ALLOCATION {
            PAGE
        } else {
            std::mem::align_of::<Option<Entry>>()
        };
        match Layout::from_size_align(size, align) {
            Ok(layout) => layout,
            Err(_) => handle_alloc_error(Layout::new::<Option<Entry>>()),
        }
    }

    /// `len` empty slots (`len` > 0).
    fn new(len: usize) -> Self {
        let layout = Self::layout(len);
        // SAFETY: the layout has a non-zero size; zeroed memory is `len` valid `None`s, because
        // `Option<Entry>` is a nullable pointer whose `None` is the null pointer.
        unsafe {
            let Some(ptr) = NonNull::new(std::alloc::alloc_zeroed(layout).cast::<Option<Entry>>())
            else {
                handle_alloc_error(layout)
            };
            Self { ptr, len }
        }
    }

    fn as_slice(&self) -> &[Option<Entry>] {
        // SAFETY: `ptr` holds `len` initialised slots (or is dangling with `len` 0), owned by `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [Option<Entry>] {
        // SAFETY: as in `as_slice`; `&mut self` makes the borrow exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        if self.len == 0 {
            return;
        }
        for slot in self.as_mut_slice() {
            drop(slot.take());
        }
        // SAFETY: the array was allocated by `new` with this layout and is freed once.
        unsafe { dealloc(self.ptr.as_ptr().cast::<u8>(), Self::layout(self.len)) }
    }
}

/// Fields of a `hashtable`-encoded hash.
pub struct FieldTable {
    /// One control byte per slot: `EMPTY` or `0x80 | h7`.
    ctrl: Vec<u8>,
    slots: Slots,
    len: usize,
    hasher: foldhash::fast::RandomState,
    /// (expiry, field) of every field with a TTL, soonest first.
    volatile: BTreeSet<(i64, Box<[u8]>)>,
}

/// The slot count after `size` (sizes alternate between powers of two and 1.5 times them).
fn next_size(size: usize) -> usize {
    if size.is_power_of_two() {
        size + size / 2
    } else {
        size / 3 * 4
    }
}

/// The smallest slot count that holds `fields` fields at most 80% full.
fn size_for(fields: usize) -> usize {
    let mut size = MIN_SLOTS;
    while fields.saturating_mul(5) > size.saturating_mul(4) {
        size = next_size(size);
    }
    size
}

/// The first hash whose home is slot `slot` of a table of `size` slots (`2^64` past the last slot).
fn first_hash_of(slot: usize, size: usize) -> u128 {
    ((slot as u128) << 64).div_ceil(size as u128)
}

impl Default for FieldTable {
    fn default() -> Self {
        Self::new()
    }
}

impl FieldTable {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            ctrl: Vec::new(),
            slots: Slots::empty(),
            len: 0,
            hasher: foldhash::fast::RandomState::default(),
            volatile: BTreeSet::new(),
        }
    }

    /// Makes room for `fields` fields in all before the table grows again (Valkey presizes the table
    /// when a command brings many fields at once).
    pub fn reserve(&mut self, fields: usize) {
        let slots = size_for(fields);
        if slots > self.slots.len {
            self.resize(slots);
        }
    }

    /// Number of stored fields, including expired ones not yet reclaimed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no field is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of fields with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// The slot after `index`, wrapping around.
    fn following(&self, index: usize) -> usize {
        if index + 1 == self.slots.len {
            0
        } else {
            index + 1
        }
    }

    /// How far `to` is past `from`, going forward with wrap-around.
    fn distance(&self, from: usize, to: usize) -> usize {
        if to >= from {
            to - from
        } else {
            to + self.slots.len - from
        }
    }

    /// The home slot of a hash: the hash scaled to the table size.
    fn home_of(&self, hash: u64) -> usize {
        ((u128::from(hash) * self.slots.len as u128) >> 64) as usize
    }

    fn hash(&self, field: &[u8]) -> u64 {
        self.hasher.hash_one(field)
    }

    fn tag(hash: u64) -> u8 {
        // The home slot comes from the high bits, so the tag uses the low ones.
        0x80 | (hash as u8 & 0x7f)
    }

    fn home(&self, field: &[u8]) -> usize {
        self.home_of(self.hash(field))
    }

    fn find_slot(&self, field: &[u8]) -> Option<usize> {
        if self.slots.len == 0 {
            return None;
        }
        let slots = self.slots.as_slice();
        let hash = self.hash(field);
        let tag = Self::tag(hash);
        let mut index = self.home_of(hash);
        loop {
            let byte = self.ctrl[index];
            if byte == EMPTY {
                return None;
            }
            if byte == tag
                && slots[index]
                    .as_ref()
                    .is_some_and(|entry| entry.field() == field)
            {
                return Some(index);
            }
            index = self.following(index);
        }
    }

    /// The stored field (expired or not).
    pub fn get(&self, field: &[u8]) -> Option<FieldRef<'_>> {
        let index = self.find_slot(field)?;
        self.slots.as_slice()[index]
            .as_ref()
            .map(|entry| entry.get().1)
    }

    /// The field if it is live at `now_ms`.
    pub fn get_live(&self, field: &[u8], now_ms: i64) -> Option<FieldRef<'_>> {
        self.get(field).filter(|found| !found.is_expired(now_ms))
    }

    /// Stores `field` with `value` and expiry, replacing any stored field (expired or not). Returns
    /// true when a field was replaced.
    pub fn insert(&mut self, field: &[u8], value: &[u8], expire_at_ms: Option<i64>) -> bool {
        let entry = Entry::new(field, value, expire_at_ms);
        match self.find_slot(field) {
            Some(index) => {
                let old = self.slots.as_mut_slice()[index]
                    .replace(entry)
                    .and_then(|old| old.get().1.expire_at);
                self.reindex(field, old, expire_at_ms);
                true
            }
            None => {
                self.grow_if_needed();
                self.place(self.hash(field), entry);
                self.len += 1;
                self.reindex(field, None, expire_at_ms);
                false
            }
        }
    }

    /// Changes the expiry of a stored field, keeping its value. Returns false when it is not stored.
    pub fn set_expiry(&mut self, field: &[u8], expire_at_ms: Option<i64>) -> bool {
        let Some(index) = self.find_slot(field) else {
            return false;
        };
        let Some(entry) = &self.slots.as_slice()[index] else {
            return false;
        };
        let (_, stored) = entry.get();
        let old = stored.expire_at;
        let replacement = Entry::new(field, stored.value, expire_at_ms);
        self.slots.as_mut_slice()[index] = Some(replacement);
        self.reindex(field, old, expire_at_ms);
        true
    }

    /// Removes a stored field (expired or not). Returns true when it was stored.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let Some(index) = self.find_slot(field) else {
            return false;
        };
        let Some(entry) = self.take_slot(index) else {
            return false;
        };
        self.reindex(field, entry.get().1.expire_at, None);
        self.shrink_if_needed();
        true
    }

    fn reindex(&mut self, field: &[u8], old: Option<i64>, new: Option<i64>) {
        if old == new {
            return;
        }
        if let Some(at) = old {
            self.volatile.remove(&(at, Box::from(field)));
        }
        if let Some(at) = new {
            self.volatile.insert((at, Box::from(field)));
        }
    }

    /// Removes up to `limit` fields whose TTL passed at `now_ms`, soonest first. Returns how many.
    pub fn remove_expired(&mut self, now_ms: i64, limit: usize) -> usize {
        let mut removed = 0;
        while removed < limit {
            match self.volatile.first() {
                Some((at, _)) if *at <= now_ms => {}
                _ => break,
            }
            let Some((_, field)) = self.volatile.pop_first() else {
                break;
            };
            if let Some(index) = self.find_slot(&field) {
                self.take_slot(index);
            }
            removed += 1;
        }
        if removed > 0 {
            self.shrink_if_needed();
        }
        removed
    }

    /// Puts an entry known to be absent into the first free slot of its probe sequence.
    fn place(&mut self, hash: u64, entry: Entry) {
        let mut index = self.home_of(hash);
        while self.ctrl[index] != EMPTY {
            index = self.following(index);
        }
        self.ctrl[index] = Self::tag(hash);
        self.slots.as_mut_slice()[index] = Some(entry);
    }

    /// Empties slot `index` and shifts later entries of the run back so every entry stays reachable
    /// from its home slot without tombstones.
    fn take_slot(&mut self, index: usize) -> Option<Entry> {
        let removed = self.slots.as_mut_slice()[index].take()?;
        self.ctrl[index] = EMPTY;
        self.len -= 1;
        let mut hole = index;
        let mut next = self.following(index);
        while self.ctrl[next] != EMPTY {
            let home = match &self.slots.as_slice()[next] {
                Some(entry) => self.home(entry.field()),
                None => break,
            };
            // The entry at `next` may move into the hole when the hole lies on its probe path.
            if self.distance(home, next) >= self.distance(hole, next) {
                let slots = self.slots.as_mut_slice();
                slots[hole] = slots[next].take();
                self.ctrl[hole] = self.ctrl[next];
                self.ctrl[next] = EMPTY;
                hole = next;
            }
            next = self.following(next);
        }
        Some(removed)
    }

    fn grow_if_needed(&mut self) {
        if self.slots.len == 0 {
            self.resize(MIN_SLOTS);
        } else if (self.len + 1) * 5 > self.slots.len * 4 {
            self.resize(next_size(self.slots.len));
        }
    }

    fn shrink_if_needed(&mut self) {
        let slots = self.slots.len;
        if slots > MIN_SLOTS && self.len * 8 < slots {
            let target = size_for(self.len * 2);
            if target < slots {
                self.resize(target);
            }
        }
    }

    fn resize(&mut self, new_size: usize) {
        let mut old_slots = std::mem::replace(&mut self.slots, Slots::new(new_size));
        self.ctrl = vec![EMPTY; new_size];
        for slot in old_slots.as_mut_slice() {
            if let Some(entry) = slot.take() {
                let hash = self.hash(entry.field());
                self.place(hash, entry);
            }
        }
    }

    /// Every stored field (expired or not) in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], FieldRef<'_>)> + '_ {
        self.slots.as_slice().iter().flatten().map(Entry::get)
    }

    /// One HSCAN step: visits the fields whose hash lies in the range starting at `cursor` and ending
    /// where the next home slot's hashes begin, and returns that end (0 once the whole hash space is
    /// covered). Ranges depend only on the hash, so a field present for the whole scan is visited
    /// exactly once even if the table is resized between calls.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], FieldRef<'_>)) -> u64 {
        if self.slots.len == 0 {
            return 0;
        }
        let home = self.home_of(cursor);
        let end = first_hash_of(home + 1, self.slots.len);
        let slots = self.slots.as_slice();
        // Every field hashing into the range has this home, so it is in the run that starts there.
        let mut index = home;
        while self.ctrl[index] != EMPTY {
            if let Some(entry) = &slots[index] {
                let (field, found) = entry.get();
                let hash = u128::from(self.hash(field));
                if hash >= u128::from(cursor) && hash < end {
                    visit(field, found);
                }
            }
            index = self.following(index);
            if index == home {
                break;
            }
        }
        u64::try_from(end).unwrap_or(0)
    }

    /// A stored field chosen at random (expired or not).
    pub fn random_entry(&self, rng: &mut impl Rng) -> Option<(&[u8], FieldRef<'_>)> {
        if self.len == 0 {
            return None;
        }
        loop {
            if let Some(entry) = &self.slots.as_slice()[rng.gen_range(0..self.slots.len)] {
                return Some(entry.get());
            }
        }
    }
}

impl std::fmt::Debug for FieldTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(field, found)| (String::from_utf8_lossy(field), found)),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use proptest::prelude::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn lengths_round_trip() {
        for len in [0, 1, 127, 128, 300, 16_383, 16_384, 1 << 30] {
            let mut out = Vec::new();
            push_len(len, &mut out);
            let mut at = 0;
            // SAFETY: `out` holds exactly one varint written by `push_len`.
            assert_eq!(unsafe { read_len(out.as_ptr(), &mut at) }, len);
            assert_eq!(at, out.len());
        }
    }

    #[test]
    fn sizes_keep_tables_between_40_and_80_percent_full() {
        assert_eq!(size_for(0), 8);
        assert_eq!(size_for(7), 12);
        assert_eq!(size_for(1000), 1536);
        let mut size = MIN_SLOTS;
        for _ in 0..40 {
            let next = next_size(size);
            assert!(
                next * 2 <= size * 3 && next * 3 >= size * 4,
                "{size} -> {next}"
            );
            size = next;
        }
        assert_eq!(first_hash_of(0, 12), 0);
        assert_eq!(first_hash_of(12, 12), 1u128 << 64);
    }

    #[test]
    fn long_fields_and_values() {
        let mut table = FieldTable::new();
        let field = vec![b'f'; 300];
        let value = vec![b'v'; 70_000];
        assert!(!table.insert(&field, &value, Some(-5)));
        let found = table.get(&field);
        assert_eq!(found.map(|f| f.value.len()), Some(70_000));
        assert_eq!(found.and_then(|f| f.expire_at), Some(-5));
        assert!(table.insert(&field, b"", None));
        assert_eq!(table.get(&field).map(|f| f.value), Some(&b""[..]));
    }

    #[test]
    fn a_scan_visits_every_field_across_resizes() {
        let mut table = FieldTable::new();
        for i in 0..100 {
            table.insert(format!("f{i}").as_bytes(), b"v", None);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = table.scan(cursor, |field, _| {
                seen.insert(field.to_vec());
            });
            step += 1;
            if step == 10 {
                for i in 100..400 {
                    table.insert(format!("f{i}").as_bytes(), b"v", None);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        assert!((0..100).all(|i| seen.contains(format!("f{i}").as_bytes())));
        let mut rng = SmallRng::seed_from_u64(3);
        assert!(table.random_entry(&mut rng).is_some());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u16, Option<i64>),
        Expire(u8, Option<i64>),
        Remove(u8),
        Reclaim(i64, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let expiry = prop::option::of(0i64..50);
        prop_oneof![
            (0u8..60, any::<u16>(), expiry.clone()).prop_map(|(f, v, e)| Op::Insert(f, v, e)),
            (0u8..60, expiry).prop_map(|(f, e)| Op::Expire(f, e)),
            (0u8..60).prop_map(Op::Remove),
            (0i64..50, 0usize..5).prop_map(|(now, limit)| Op::Reclaim(now, limit)),
        ]
    }

    fn field_name(f: u8) -> Vec<u8> {
        // Some fields are longer than a one-byte length.
        if f.is_multiple_of(7) {
            vec![f; 130 + usize::from(f)]
        } else {
            vec![b'f', f]
        }
    }

    proptest! {
        /// The table and its expiry index agree with a plain map after any sequence of operations.
        #[test]
        fn matches_a_map(ops in prop::collection::vec(op(), 0..400)) {
            let mut table = FieldTable::new();
            let mut model: BTreeMap<Vec<u8>, (Vec<u8>, Option<i64>)> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(f, v, e) => {
                        let field = field_name(f);
                        let value = v.to_string().into_bytes();
                        let replaced = table.insert(&field, &value, e);
                        prop_assert_eq!(replaced, model.insert(field, (value, e)).is_some());
                    }
                    Op::Expire(f, e) => {
                        let field = field_name(f);
                        let stored = model.get_mut(&field);
                        prop_assert_eq!(table.set_expiry(&field, e), stored.is_some());
                        if let Some(entry) = stored {
                            entry.1 = e;
                        }
                    }
                    Op::Remove(f) => {
                        let field = field_name(f);
                        prop_assert_eq!(table.remove(&field), model.remove(&field).is_some());
                    }
                    Op::Reclaim(now, limit) => {
                        let mut due: Vec<(i64, Vec<u8>)> = model
                            .iter()
                            .filter_map(|(k, (_, e))| e.filter(|at| *at <= now).map(|at| (at, k.clone())))
                            .collect();
                        due.sort();
                        due.truncate(limit);
                        for (_, field) in &due {
                            model.remove(field);
                        }
                        prop_assert_eq!(table.remove_expired(now, limit), due.len());
                    }
                }
                prop_assert_eq!(table.len(), model.len());
                let volatile = model.values().filter(|(_, e)| e.is_some()).count();
                prop_assert_eq!(table.volatile_len(), volatile);
            }
            for (field, (value, expiry)) in &model {
                let stored = table.get(field);
                prop_assert_eq!(stored.map(|s| s.value), Some(value.as_slice()));
                prop_assert_eq!(stored.and_then(|s| s.expire_at), *expiry);
            }
            let listed: BTreeMap<Vec<u8>, (Vec<u8>, Option<i64>)> = table
                .iter()
                .map(|(f, s)| (f.to_vec(), (s.value.to_vec(), s.expire_at)))
                .collect();
            prop_assert_eq!(listed, model);
        }
    }
}
