//! A chained hash table keyed by binary strings, with power-of-two bucket arrays. It exists (rather than
//! `std`'s map) for what the keyspace needs and open addressing cannot give: a SCAN cursor that never
//! misses an entry present for the whole scan, across growth and shrinking (Valkey's reverse-binary
//! cursor over bucket indexes), and O(1) random sampling for RANDOMKEY and active expiry.

use std::hash::BuildHasher;

use rand::Rng;

type Link<V> = Option<Box<Node<V>>>;

struct Node<V> {
    key: Box<[u8]>,
    value: V,
    next: Link<V>,
}

/// Smallest bucket array.
const MIN_BUCKETS: usize = 4;

/// A hash table from byte-string keys to `V`.
pub struct Dict<V> {
    buckets: Vec<Link<V>>,
    len: usize,
    hasher: foldhash::fast::RandomState,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Dict<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            buckets: Vec::new(),
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

    /// Number of buckets (for INFO-style statistics).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    fn bucket_of(&self, key: &[u8]) -> usize {
        (self.hasher.hash_one(key) as usize) & (self.buckets.len() - 1)
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut link = &self.buckets[self.bucket_of(key)];
        while let Some(node) = link {
            if &*node.key == key {
                return Some(&node.value);
            }
            link = &node.next;
        }
        None
    }

    /// The value stored under `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.buckets.is_empty() {
            return None;
        }
        let bucket = self.bucket_of(key);
        let mut link = &mut self.buckets[bucket];
        while let Some(node) = link {
            if &*node.key == key {
                return Some(&mut node.value);
            }
            link = &mut node.next;
        }
        None
    }

    /// The stored key equal to `key` and its value (the stored key is the one SCAN and KEYS return).
    pub fn get_key_value(&self, key: &[u8]) -> Option<(&[u8], &V)> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut link = &self.buckets[self.bucket_of(key)];
        while let Some(node) = link {
            if &*node.key == key {
                return Some((&node.key, &node.value));
            }
            link = &node.next;
        }
        None
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Stores `value` under `key`, returning the previous value.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        if let Some(slot) = self.get_mut(key) {
            return Some(std::mem::replace(slot, value));
        }
        self.grow_if_needed();
        let bucket = self.bucket_of(key);
        let next = self.buckets[bucket].take();
        self.buckets[bucket] = Some(Box::new(Node {
            key: key.into(),
            value,
            next,
        }));
        self.len += 1;
        None
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
        self.remove_entry(key).map(|(_, value)| value)
    }

    /// Removes `key`, returning the stored key and value.
    pub fn remove_entry(&mut self, key: &[u8]) -> Option<(Box<[u8]>, V)> {
        if self.buckets.is_empty() {
            return None;
        }
        let bucket = self.bucket_of(key);
        let mut link = &mut self.buckets[bucket];
        loop {
            match link {
                None => return None,
                Some(node) if &*node.key == key => {
                    let mut removed = link.take()?;
                    *link = removed.next.take();
                    self.len -= 1;
                    let Node { key, value, .. } = *removed;
                    self.shrink_if_needed();
                    return Some((key, value));
                }
                Some(node) => link = &mut node.next,
            }
        }
    }

    /// Removes every entry and frees the bucket array.
    pub fn clear(&mut self) {
        // Unlink chains iteratively so long chains cannot overflow the stack when dropped.
        for bucket in &mut self.buckets {
            let mut link = bucket.take();
            while let Some(mut node) = link {
                link = node.next.take();
            }
        }
        self.buckets = Vec::new();
        self.len = 0;
    }

    fn grow_if_needed(&mut self) {
        if self.buckets.is_empty() {
            self.rehash(MIN_BUCKETS);
        } else if self.len >= self.buckets.len() {
            self.rehash(self.buckets.len() * 2);
        }
    }

    fn shrink_if_needed(&mut self) {
        let buckets = self.buckets.len();
        if buckets > MIN_BUCKETS && self.len * 8 < buckets {
            let target = (self.len.max(MIN_BUCKETS)).next_power_of_two();
            self.rehash(target);
        }
    }

    fn rehash(&mut self, new_size: usize) {
        let old = std::mem::take(&mut self.buckets);
        self.buckets.resize_with(new_size, || None);
        for mut link in old {
            while let Some(mut node) = link {
                link = node.next.take();
                let bucket = self.bucket_of(&node.key);
                node.next = self.buckets[bucket].take();
                self.buckets[bucket] = Some(node);
            }
        }
    }

    /// Iterates over every entry in bucket order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            buckets: &self.buckets,
            bucket: 0,
            node: None,
        }
    }

    /// Visits the entries of the bucket selected by `cursor` and returns the next cursor (0 when the
    /// scan is complete). Entries present from the first call to the last are visited at least once,
    /// even if the table is resized between calls.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut link = &self.buckets[(cursor & mask) as usize];
        while let Some(node) = link {
            visit(&node.key, &node.value);
            link = &node.next;
        }
        // Increment the cursor's high bits first so that a resized table still covers every bucket.
        let mut next = cursor | !mask;
        next = next.reverse_bits();
        next = next.wrapping_add(1);
        next.reverse_bits()
    }

    /// A uniformly chosen bucket's random entry (not exactly uniform over entries, like Valkey's).
    pub fn random_entry(&self, rng: &mut impl Rng) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        let mask = self.buckets.len() - 1;
        loop {
            let bucket = rng.gen::<usize>() & mask;
            let Some(first) = &self.buckets[bucket] else {
                continue;
            };
            let mut chain_len = 0;
            let mut link = &self.buckets[bucket];
            while let Some(node) = link {
                chain_len += 1;
                link = &node.next;
            }
            let mut node = first;
            for _ in 0..rng.gen_range(0..chain_len) {
                match &node.next {
                    Some(next) => node = next,
                    None => break,
                }
            }
            return Some((&node.key, &node.value));
        }
    }

    /// Collects up to `count` entries starting from a random bucket (used for sampling in active expiry).
    pub fn sample_keys(&self, count: usize, rng: &mut impl Rng, out: &mut Vec<Box<[u8]>>) {
        if self.len == 0 {
            return;
        }
        let mask = self.buckets.len() - 1;
        let mut bucket = rng.gen::<usize>() & mask;
        let mut visited = 0;
        while out.len() < count && visited <= mask {
            let mut link = &self.buckets[bucket];
            while let Some(node) = link {
                out.push(node.key.clone());
                link = &node.next;
            }
            bucket = (bucket + 1) & mask;
            visited += 1;
        }
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Iterator over a [`Dict`].
pub struct Iter<'a, V> {
    buckets: &'a [Link<V>],
    bucket: usize,
    node: Option<&'a Node<V>>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a [u8], &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(node) = self.node {
                self.node = node.next.as_deref();
                return Some((&node.key, &node.value));
            }
            let bucket = self.buckets.get(self.bucket)?;
            self.bucket += 1;
            self.node = bucket.as_deref();
        }
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

    proptest! {
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec(op(), 0..600)) {
            let mut dict = Dict::new();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        let key = k.to_string();
                        prop_assert_eq!(dict.insert(key.as_bytes(), v), model.insert(key, v));
                    }
                    Op::Remove(k) => {
                        let key = k.to_string();
                        prop_assert_eq!(dict.remove(key.as_bytes()), model.remove(&key));
                    }
                }
                prop_assert_eq!(dict.len(), model.len());
            }
            let mut seen: Vec<(String, u32)> =
                dict.iter().map(|(k, v)| (String::from_utf8(k.to_vec()).unwrap(), *v)).collect();
            seen.sort();
            prop_assert_eq!(seen, model.into_iter().collect::<Vec<_>>());
        }

        #[test]
        fn scan_never_misses_stable_keys(stable in 1usize..200, churn in proptest::collection::vec(op(), 0..400), seed in any::<u64>()) {
            let mut dict = Dict::new();
            for i in 0..stable {
                dict.insert(format!("stable:{i}").as_bytes(), 0u32);
            }
            let mut seen = BTreeSet::new();
            let mut cursor = 0;
            let mut churn = churn.into_iter();
            let mut steps = seed % 3;
            loop {
                cursor = dict.scan(cursor, |k, _| { seen.insert(k.to_vec()); });
                // Grow and shrink the table between calls.
                steps += 1;
                for _ in 0..(steps % 7) {
                    match churn.next() {
                        Some(Op::Insert(k, v)) => { dict.insert(format!("churn:{k}").as_bytes(), v); }
                        Some(Op::Remove(k)) => { dict.remove(format!("churn:{k}").as_bytes()); }
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
}
