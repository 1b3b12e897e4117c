//! A compact hash table for the keyspace: open addressing with linear probing over thin pointers, where
//! each entry is one allocation holding the value and the key bytes side by side. Compared with a
//! chained table it saves the `next` pointer, the separate key allocation and the fat key pointer, which
//! is most of the per-key overhead for small keys.
//!
//! SCAN keeps Valkey's guarantee (a key present for the whole scan is returned at least once, across any
//! resizes) because the cursor walks *home* buckets in reverse-binary order: under linear probing every
//! entry whose home is bucket `b` lies in the run of occupied slots that starts at `b`, so visiting a home
//! bucket means walking that run and keeping the entries whose home is `b` — the same set a chained table
//! would hold in bucket `b`. Deletion uses backward shifting, so no tombstones are needed and the run
//! invariant always holds.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::hash::BuildHasher;
use std::marker::PhantomData;
use std::ptr::NonNull;

use rand::Rng;

/// Smallest slot array.
const MIN_SLOTS: usize = 8;
/// Control byte of an empty slot; occupied slots hold `0x80 | top 7 bits of the hash`.
const EMPTY: u8 = 0;
/// Key length byte meaning "a 4-byte length follows".
const LONG_KEY: u8 = u8::MAX;

/// One allocation: `V` at offset 0, then a key-length byte (and a 4-byte length for keys of 255 bytes
/// or more), then the key bytes.
struct Entry<V> {
    ptr: NonNull<u8>,
    marker: PhantomData<V>,
}

impl<V> Entry<V> {
    const LEN_OFFSET: usize = std::mem::size_of::<V>();

    fn layout(key_len: usize) -> Layout {
        let header = Self::LEN_OFFSET + 1 + if key_len >= LONG_KEY as usize { 4 } else { 0 };
        match Layout::from_size_align(header + key_len, std::mem::align_of::<V>()) {
            Ok(layout) => layout,
            Err(_) => handle_alloc_error(Layout::new::<V>()),
        }
    }

    fn new(key: &[u8], value: V) -> Self {
        let layout = Self::layout(key.len());
        // SAFETY: the layout has a non-zero size (it always holds the length byte); every write below
        // stays inside it: V at offset 0 (the allocation is aligned for V), the length byte(s) after
        // V, and the key after them.
        unsafe {
            let raw = alloc(layout);
            let Some(ptr) = NonNull::new(raw) else {
                handle_alloc_error(layout)
            };
            std::ptr::write(raw.cast::<V>(), value);
            let mut key_at = Self::LEN_OFFSET + 1;
            if key.len() >= LONG_KEY as usize {
                *raw.add(Self::LEN_OFFSET) = LONG_KEY;
                std::ptr::write_unaligned(raw.add(key_at).cast::<u32>(), key.len() as u32);
                key_at += 4;
            } else {
                *raw.add(Self::LEN_OFFSET) = key.len() as u8;
            }
            std::ptr::copy_nonoverlapping(key.as_ptr(), raw.add(key_at), key.len());
            Self {
                ptr,
                marker: PhantomData,
            }
        }
    }

    fn key_bounds(&self) -> (usize, usize) {
        // SAFETY: the length byte (and the 4-byte length when present) were written by `new`.
        unsafe {
            let raw = self.ptr.as_ptr();
            let short = *raw.add(Self::LEN_OFFSET);
            if short == LONG_KEY {
                let len =
                    std::ptr::read_unaligned(raw.add(Self::LEN_OFFSET + 1).cast::<u32>()) as usize;
                (Self::LEN_OFFSET + 5, len)
            } else {
                (Self::LEN_OFFSET + 1, usize::from(short))
            }
        }
    }

    fn key(&self) -> &[u8] {
        let (offset, len) = self.key_bounds();
        // SAFETY: `new` copied exactly `len` key bytes at `offset`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(offset), len) }
    }

    fn value(&self) -> &V {
        // SAFETY: a valid V lives at offset 0 for the entry's whole life.
        unsafe { &*self.ptr.as_ptr().cast::<V>() }
    }

    fn value_mut(&mut self) -> &mut V {
        // SAFETY: as in `value`; `&mut self` guarantees exclusive access.
        unsafe { &mut *self.ptr.as_ptr().cast::<V>() }
    }

    /// Frees the entry and returns its value.
    fn into_value(self) -> V {
        let layout = Self::layout(self.key_bounds().1);
        let raw = self.ptr.as_ptr();
        std::mem::forget(self);
        // SAFETY: the value is moved out exactly once, then the allocation made by `new` with the same
        // layout is freed; `forget` above prevents a second drop.
        unsafe {
            let value = std::ptr::read(raw.cast::<V>());
            dealloc(raw, layout);
            value
        }
    }
}

impl<V> Drop for Entry<V> {
    fn drop(&mut self) {
        let layout = Self::layout(self.key_bounds().1);
        // SAFETY: the entry owns its allocation; the value is dropped once and the memory freed with the
        // layout it was allocated with.
        unsafe {
            std::ptr::drop_in_place(self.ptr.as_ptr().cast::<V>());
            dealloc(self.ptr.as_ptr(), layout);
        }
    }
}

/// A hash table from byte-string keys to `V`, with a small `M` of metadata per entry kept in a
/// slot-parallel array (the keyspace keeps its access clock there, so it does not enlarge the entry
/// allocation; `()` costs nothing).
pub struct Table<V, M = ()> {
    /// One control byte per slot: `EMPTY` or `0x80 | h7`.
    ctrl: Vec<u8>,
    slots: Vec<Option<Entry<V>>>,
    meta: Vec<M>,
    len: usize,
    hasher: foldhash::fast::RandomState,
}

impl<V, M: Copy + Default> Default for Table<V, M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, M: Copy + Default> Table<V, M> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            ctrl: Vec::new(),
            slots: Vec::new(),
            meta: Vec::new(),
            len: 0,
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots.
    pub fn bucket_count(&self) -> usize {
        self.slots.len()
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn tag(hash: u64) -> u8 {
        0x80 | (hash >> 57) as u8
    }

    fn home(&self, key: &[u8]) -> usize {
        (self.hash(key) as usize) & self.mask()
    }

    fn find_slot(&self, key: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let hash = self.hash(key);
        let tag = Self::tag(hash);
        let mask = self.mask();
        let mut index = (hash as usize) & mask;
        loop {
            match self.ctrl[index] {
                EMPTY => return None,
                byte if byte == tag => {
                    if let Some(entry) = &self.slots[index] {
                        if entry.key() == key {
                            return Some(index);
                        }
                    }
                }
                _ => {}
            }
            index = (index + 1) & mask;
        }
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        let index = self.find_slot(key)?;
        self.slots[index].as_ref().map(Entry::value)
    }

    /// The value stored under `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let index = self.find_slot(key)?;
        self.slots[index].as_mut().map(Entry::value_mut)
    }

    /// The value stored under `key` and its metadata.
    pub fn get_with_meta(&self, key: &[u8]) -> Option<(&V, M)> {
        let index = self.find_slot(key)?;
        self.slots[index]
            .as_ref()
            .map(|entry| (entry.value(), self.meta[index]))
    }

    /// The value stored under `key` and its metadata, both mutably.
    pub fn get_mut_with_meta(&mut self, key: &[u8]) -> Option<(&mut V, &mut M)> {
        let index = self.find_slot(key)?;
        let meta = &mut self.meta[index];
        self.slots[index]
            .as_mut()
            .map(|entry| (entry.value_mut(), meta))
    }

    /// The stored key equal to `key` and its value.
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &V)> {
        let index = self.find_slot(key)?;
        self.slots[index].as_ref().map(|e| (e.key(), e.value()))
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find_slot(key).is_some()
    }

    /// Stores `value` under `key`, returning the previous value (an existing entry keeps its metadata).
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        self.insert_with_meta(key, value, M::default())
    }

    /// Stores `value` under `key`; a new entry gets `meta`, an existing one keeps its metadata. Returns
    /// the previous value.
    pub fn insert_with_meta(&mut self, key: &[u8], value: V, meta: M) -> Option<V> {
        if let Some(slot) = self.get_mut(key) {
            return Some(std::mem::replace(slot, value));
        }
        self.grow_if_needed();
        self.place(self.hash(key), Entry::new(key, value), meta);
        self.len += 1;
        None
    }

    /// Puts an entry known to be absent into the first free slot of its probe sequence.
    fn place(&mut self, hash: u64, entry: Entry<V>, meta: M) {
        let mask = self.mask();
        let mut index = (hash as usize) & mask;
        while self.ctrl[index] != EMPTY {
            index = (index + 1) & mask;
        }
        self.ctrl[index] = Self::tag(hash);
        self.slots[index] = Some(entry);
        self.meta[index] = meta;
    }

    /// Returns the value under `key`, inserting `make()` first if absent.
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> &mut V {
        if !self.contains_key(key) {
            self.insert(key, make());
        }
        match self.get_mut(key) {
            Some(value) => value,
            None => unreachable!("the key was inserted just above"),
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        let index = self.find_slot(key)?;
        let entry = self.take_slot(index)?;
        self.shrink_if_needed();
        Some(entry.into_value())
    }

    /// Removes `key`, returning the key and the value.
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(Box<[u8]>, V)> {
        let index = self.find_slot(key)?;
        let entry = self.take_slot(index)?;
        let stored_key: Box<[u8]> = entry.key().into();
        self.shrink_if_needed();
        Some((stored_key, entry.into_value()))
    }

    /// Empties slot `index` and shifts later entries of the run back so every entry stays reachable
    /// from its home slot without tombstones.
    fn take_slot(&mut self, index: usize) -> Option<Entry<V>> {
        let removed = self.slots[index].take()?;
        self.ctrl[index] = EMPTY;
        self.len -= 1;
        let mask = self.mask();
        let mut hole = index;
        let mut next = (index + 1) & mask;
        while self.ctrl[next] != EMPTY {
            let home = match &self.slots[next] {
                Some(entry) => self.home(entry.key()),
                None => break,
            };
            // The entry at `next` may move into the hole when the hole lies on its probe path, i.e.
            // cyclically between its home and its current slot.
            if (next.wrapping_sub(home) & mask) >= (next.wrapping_sub(hole) & mask) {
                self.slots[hole] = self.slots[next].take();
                self.meta[hole] = self.meta[next];
                self.ctrl[hole] = self.ctrl[next];
                self.ctrl[next] = EMPTY;
                hole = next;
            }
            next = (next + 1) & mask;
        }
        Some(removed)
    }

    /// Removes every entry and frees the slot array.
    pub fn clear(&mut self) {
        self.slots = Vec::new();
        self.ctrl = Vec::new();
        self.meta = Vec::new();
        self.len = 0;
    }

    fn grow_if_needed(&mut self) {
        if self.slots.is_empty() {
            self.resize(MIN_SLOTS);
        } else if (self.len + 1) * 5 > self.slots.len() * 4 {
            self.resize(self.slots.len() * 2);
        }
    }

    fn shrink_if_needed(&mut self) {
        let slots = self.slots.len();
        if slots > MIN_SLOTS && self.len * 8 < slots {
            let target = (self.len * 2).max(MIN_SLOTS).next_power_of_two();
            if target < slots {
                self.resize(target);
            }
        }
    }

    fn resize(&mut self, new_size: usize) {
        let old_slots = std::mem::take(&mut self.slots);
        let old_meta = std::mem::replace(&mut self.meta, vec![M::default(); new_size]);
        self.ctrl = vec![EMPTY; new_size];
        self.slots.resize_with(new_size, || None);
        for (entry, meta) in old_slots.into_iter().zip(old_meta) {
            if let Some(entry) = entry {
                let hash = self.hash(entry.key());
                self.place(hash, entry, meta);
            }
        }
    }

    /// Iterates over every entry in slot order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            slots: self.slots.iter(),
        }
    }

    /// Visits the entries whose home bucket is selected by `cursor` and returns the next cursor (0 when
    /// the scan is complete). Entries present from the first call to the last are visited at least once,
    /// even if the table is resized between calls.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        let mask = self.mask();
        let home = (cursor as usize) & mask;
        let mut index = home;
        while self.ctrl[index] != EMPTY {
            if let Some(entry) = &self.slots[index] {
                if self.home(entry.key()) == home {
                    visit(entry.key(), entry.value());
                }
            }
            index = (index + 1) & mask;
            if index == home {
                break;
            }
        }
        let mask = mask as u64;
        // Increment the cursor's high bits first so that a resized table still covers every bucket.
        let next = (cursor | !mask).reverse_bits().wrapping_add(1);
        next.reverse_bits()
    }

    /// A random entry (slots are chosen uniformly; entries at the end of long runs are slightly favoured,
    /// as buckets with several entries are in Valkey).
    pub fn random_entry(&self, rng: &mut impl Rng) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        loop {
            if let Some(entry) = &self.slots[rng.gen::<usize>() & mask] {
                return Some((entry.key(), entry.value()));
            }
        }
    }

    /// Collects up to `count` keys from consecutive slots starting at a random one.
    pub fn sample_keys(&self, count: usize, rng: &mut impl Rng, out: &mut Vec<Box<[u8]>>) {
        if self.len == 0 {
            return;
        }
        let mask = self.mask();
        let mut index = rng.gen::<usize>() & mask;
        for _ in 0..self.slots.len() {
            if out.len() >= count {
                break;
            }
            if let Some(entry) = &self.slots[index] {
                out.push(entry.key().into());
            }
            index = (index + 1) & mask;
        }
    }
}

/// Iterator over a [`Table`].
pub struct Iter<'a, V> {
    slots: std::slice::Iter<'a, Option<Entry<V>>>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.slots
            .by_ref()
            .flatten()
            .next()
            .map(|entry| (entry.key(), entry.value()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u32),
        Remove(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u16..300, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            (0u16..300).prop_map(Op::Remove)
        ]
    }

    /// Keys of varied lengths, including ones that need the long-length form.
    fn key_of(k: u16) -> Vec<u8> {
        let mut key = format!("k{k}").into_bytes();
        if k.is_multiple_of(7) {
            key.extend(std::iter::repeat_n(b'x', 300));
        }
        key
    }

    proptest! {
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec(op(), 0..800)) {
            let mut table: Table<_> = Table::new();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(table.insert(&key_of(k), v), model.insert(key_of(k), v)),
                    Op::Remove(k) => prop_assert_eq!(table.remove(&key_of(k)), model.remove(&key_of(k))),
                }
                prop_assert_eq!(table.len(), model.len());
            }
            for (key, value) in &model {
                prop_assert_eq!(table.get(key), Some(value));
            }
            let mut seen: Vec<(Vec<u8>, u32)> = table.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
            seen.sort();
            prop_assert_eq!(seen, model.into_iter().collect::<Vec<_>>());
        }

        #[test]
        fn scan_never_misses_stable_keys(stable in 1usize..200, churn in proptest::collection::vec(op(), 0..400), seed in any::<u64>()) {
            let mut table: Table<_> = Table::new();
            for i in 0..stable {
                table.insert(format!("stable:{i}").as_bytes(), 0u32);
            }
            let mut seen = BTreeSet::new();
            let mut cursor = 0;
            let mut churn = churn.into_iter();
            let mut steps = seed % 3;
            loop {
                cursor = table.scan(cursor, |k, _| { seen.insert(k.to_vec()); });
                steps += 1;
                for _ in 0..(steps % 7) {
                    match churn.next() {
                        Some(Op::Insert(k, v)) => { table.insert(&key_of(k), v); }
                        Some(Op::Remove(k)) => { table.remove(&key_of(k)); }
                        None => {}
                    }
                }
                if cursor == 0 { break; }
            }
            for i in 0..stable {
                let key = format!("stable:{i}").into_bytes();
                prop_assert!(seen.contains(&key));
            }
        }
    }

    proptest! {
        #[test]
        fn metadata_follows_its_entry(ops in proptest::collection::vec(op(), 0..800)) {
            // Metadata is set when a key is first inserted and must survive resizes and back-shifts.
            let mut table: Table<u32, u32> = Table::new();
            let mut model: BTreeMap<Vec<u8>, (u32, u32)> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        table.insert_with_meta(&key_of(k), v, v ^ 0xffff);
                        model.entry(key_of(k)).and_modify(|e| e.0 = v).or_insert((v, v ^ 0xffff));
                    }
                    Op::Remove(k) => {
                        table.remove(&key_of(k));
                        model.remove(&key_of(k));
                    }
                }
            }
            for (key, (value, meta)) in &model {
                prop_assert_eq!(table.get_with_meta(key), Some((value, *meta)));
            }
        }
    }

    #[test]
    fn values_with_destructors_are_dropped_once() {
        let marker = std::rc::Rc::new(());
        let mut table: Table<_> = Table::new();
        for i in 0..100 {
            table.insert(format!("{i}").as_bytes(), marker.clone());
        }
        for i in 0..50 {
            table.remove(format!("{i}").as_bytes());
        }
        assert_eq!(std::rc::Rc::strong_count(&marker), 51);
        drop(table);
        assert_eq!(std::rc::Rc::strong_count(&marker), 1);
    }
}
