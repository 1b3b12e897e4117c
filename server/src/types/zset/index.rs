//! The member side of the large sorted-set encoding: an open-addressing hash set of [`ElemRef`]s keyed
//! by member bytes, so ZSCORE and friends find an element in O(1). It stores 9 bytes per slot (a tag
//! byte and the thin pointer) and reads member bytes and scores through the pointers.
//!
//! Linear probing with backward-shift deletion, like the keyspace table; SCAN walks home buckets in
//! reverse-binary order so an element present for a whole scan is returned at least once across
//! resizes.
//!
//! Safety contract: every pointer stored here refers to an element owned by the tree of the same
//! sorted set, and is removed from the index before that element is freed.

use std::hash::BuildHasher;

use super::elem::ElemRef;

const MIN_SLOTS: usize = 8;
/// Control byte of an empty slot; occupied slots hold `0x80 | top 7 bits of the hash`.
const EMPTY: u8 = 0;

/// A hash set of element pointers.
#[derive(Default)]
pub struct Index {
    ctrl: Vec<u8>,
    slots: Vec<Option<ElemRef>>,
    len: usize,
    hasher: foldhash::fast::RandomState,
}

/// The member bytes of a stored element.
fn member_of<'a>(elem: ElemRef) -> &'a [u8] {
    // SAFETY: the index only holds pointers to live elements (module contract).
    unsafe { elem.member() }
}

impl Index {
    /// An index sized for `capacity` elements.
    pub fn with_capacity(capacity: usize) -> Index {
        let mut index = Index::default();
        if capacity > 0 {
            index.resize(slots_for(capacity));
        }
        index
    }

    fn hash(&self, member: &[u8]) -> u64 {
        self.hasher.hash_one(member)
    }

    fn tag(hash: u64) -> u8 {
        0x80 | (hash >> 57) as u8
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    fn find_slot(&self, member: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let hash = self.hash(member);
        let tag = Self::tag(hash);
        let mask = self.mask();
        let mut index = (hash as usize) & mask;
        loop {
            match self.ctrl[index] {
                EMPTY => return None,
                byte if byte == tag => {
                    if let Some(elem) = self.slots[index] {
                        if member_of(elem) == member {
                            return Some(index);
                        }
                    }
                }
                _ => {}
            }
            index = (index + 1) & mask;
        }
    }

    /// The element with this member.
    pub fn get(&self, member: &[u8]) -> Option<ElemRef> {
        self.slots[self.find_slot(member)?]
    }

    /// Adds an element whose member is not in the index yet.
    pub fn insert(&mut self, elem: ElemRef) {
        if self.slots.is_empty() {
            self.resize(MIN_SLOTS);
        } else if (self.len + 1) * 5 > self.slots.len() * 4 {
            self.resize(self.slots.len() * 2);
        }
        let hash = self.hash(member_of(elem));
        self.place(hash, elem);
        self.len += 1;
    }

    fn place(&mut self, hash: u64, elem: ElemRef) {
        let mask = self.mask();
        let mut index = (hash as usize) & mask;
        while self.ctrl[index] != EMPTY {
            index = (index + 1) & mask;
        }
        self.ctrl[index] = Self::tag(hash);
        self.slots[index] = Some(elem);
    }

    /// Removes the element with this member.
    pub fn remove(&mut self, member: &[u8]) -> Option<ElemRef> {
        let index = self.find_slot(member)?;
        let removed = self.slots[index].take();
        self.ctrl[index] = EMPTY;
        self.len -= 1;
        let mask = self.mask();
        let mut hole = index;
        let mut next = (index + 1) & mask;
        while self.ctrl[next] != EMPTY {
            let Some(elem) = self.slots[next] else { break };
            let home = (self.hash(member_of(elem)) as usize) & mask;
            // The entry may move into the hole when the hole lies on its probe path.
            if (next.wrapping_sub(home) & mask) >= (next.wrapping_sub(hole) & mask) {
                self.slots[hole] = self.slots[next].take();
                self.ctrl[hole] = self.ctrl[next];
                self.ctrl[next] = EMPTY;
                hole = next;
            }
            next = (next + 1) & mask;
        }
        let slots = self.slots.len();
        if slots > MIN_SLOTS && self.len * 8 < slots {
            self.resize(slots_for(self.len));
        }
        removed
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::take(&mut self.slots);
        self.ctrl = vec![EMPTY; size];
        self.slots = vec![None; size];
        for elem in old.into_iter().flatten() {
            let hash = self.hash(member_of(elem));
            self.place(hash, elem);
        }
    }

    /// Visits the elements whose home bucket the cursor selects and returns the next cursor (0 when
    /// done).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(ElemRef)) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        let mask = self.mask();
        let home = (cursor as usize) & mask;
        let mut index = home;
        while self.ctrl[index] != EMPTY {
            if let Some(elem) = self.slots[index] {
                if (self.hash(member_of(elem)) as usize) & mask == home {
                    visit(elem);
                }
            }
            index = (index + 1) & mask;
            if index == home {
                break;
            }
        }
        let mask = mask as u64;
        (cursor | !mask)
            .reverse_bits()
            .wrapping_add(1)
            .reverse_bits()
    }
}

/// A power-of-two slot count that holds `len` elements below the growth threshold.
fn slots_for(len: usize) -> usize {
    (len * 5 / 4 + 1).next_power_of_two().max(MIN_SLOTS)
}
