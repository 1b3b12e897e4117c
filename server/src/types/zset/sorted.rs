//! The large sorted-set encoding (Valkey's "skiplist"): the order tree owns the elements and the member
//! index points into them, so each member is stored once.

use super::elem::Elem;
use super::index::Index;
use super::tree::{Iter, Tree};

/// Elements in (score, member) order with O(1) lookup by member and O(log n) rank queries.
#[derive(Default)]
pub struct Sorted {
    tree: Tree,
    index: Index,
}

impl Sorted {
    /// Builds the encoding from pairs already in order with distinct members.
    pub fn from_sorted<'a>(pairs: impl IntoIterator<Item = (&'a [u8], f64)>) -> Sorted {
        let elems: Vec<Elem> = pairs
            .into_iter()
            .map(|(member, score)| Elem::new(member, score))
            .collect();
        Sorted::from_elems(elems)
    }

    /// Builds the encoding from elements already in order with distinct members.
    pub(super) fn from_elems(elems: Vec<Elem>) -> Sorted {
        let mut index = Index::with_capacity(elems.len());
        for elem in &elems {
            index.insert(elem.as_ref());
        }
        // The elements move into the tree; their allocations, which the index points to, stay put.
        Sorted {
            tree: Tree::from_sorted(elems),
            index,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.tree.len() == 0
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        let elem = self.index.get(member)?;
        // SAFETY: the index only refers to elements owned by `self.tree`.
        Some(unsafe { elem.score() })
    }

    /// Adds a member that is not present.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let elem = Elem::new(member, score);
        self.index.insert(elem.as_ref());
        self.tree.insert(elem);
    }

    /// Moves an existing member to a new score. Returns false when the member is missing.
    pub fn update(&mut self, member: &[u8], score: f64) -> bool {
        let Some(old) = self.score(member) else {
            return false;
        };
        let Some(mut elem) = self.tree.remove(old, member) else {
            return false;
        };
        // Same allocation, so the index entry stays valid.
        elem.set_score(score);
        self.tree.insert(elem);
        true
    }

    /// Removes `member`, returning its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let elem = self.index.remove(member)?;
        // SAFETY: the element is still owned by the tree until the removal below.
        let score = unsafe { elem.score() };
        self.tree.remove(score, member);
        Some(score)
    }

    /// Removes the element at `rank`, returning it.
    pub fn remove_at(&mut self, rank: usize) -> Option<Elem> {
        let elem = self.tree.remove_at(rank)?;
        self.index.remove(elem.member());
        Some(elem)
    }

    /// The 0-based rank and the score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        let score = self.score(member)?;
        Some((self.tree.rank(score, member)?, score))
    }

    /// The element at `rank`.
    pub fn get(&self, rank: usize) -> Option<&Elem> {
        self.tree.get(rank)
    }

    /// How many leading elements satisfy a predicate that holds for a prefix of the order.
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.tree.count_while(pred)
    }

    /// Elements from `rank` on in either direction.
    pub fn iter_from(&self, rank: usize, reverse: bool) -> Iter<'_> {
        self.tree.iter_from(rank, reverse)
    }

    /// Every element in order.
    pub fn iter(&self) -> Iter<'_> {
        self.tree.iter()
    }

    /// One step of a ZSCAN over the member index; returns the next cursor.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        self.index.scan(cursor, |elem| {
            // SAFETY: the index only refers to elements owned by `self.tree`, which is borrowed.
            let (member, score) = unsafe { (elem.member(), elem.score()) };
            visit(member, score);
        })
    }
}

impl Clone for Sorted {
    fn clone(&self) -> Sorted {
        Sorted::from_elems(self.tree.iter().cloned().collect())
    }
}

impl std::fmt::Debug for Sorted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.tree.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Set(u16, i32),
        Remove(u16),
        PopAt(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u16..400, -30i32..30).prop_map(|(m, s)| Op::Set(m, s)),
            2 => (0u16..400).prop_map(Op::Remove),
            1 => (0usize..500).prop_map(Op::PopAt),
        ]
    }

    fn name(m: u16) -> Vec<u8> {
        format!("member:{m}").into_bytes()
    }

    proptest! {
        #[test]
        fn matches_a_map_and_a_sorted_vec(ops in proptest::collection::vec(op(), 0..1500)) {
            let mut sorted = Sorted::default();
            let mut model: BTreeMap<Vec<u8>, i32> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Set(m, s) => {
                        let m = name(m);
                        if model.contains_key(&m) {
                            prop_assert!(sorted.update(&m, f64::from(s)));
                        } else {
                            sorted.insert(&m, f64::from(s));
                        }
                        model.insert(m, s);
                    }
                    Op::Remove(m) => {
                        let m = name(m);
                        prop_assert_eq!(sorted.remove(&m), model.remove(&m).map(f64::from));
                    }
                    Op::PopAt(rank) => {
                        let mut order: Vec<(i32, Vec<u8>)> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
                        order.sort();
                        let popped = sorted.remove_at(rank).map(|e| (e.score() as i32, e.member().to_vec()));
                        prop_assert_eq!(popped.clone(), order.get(rank).cloned());
                        if let Some((_, m)) = popped { model.remove(&m); }
                    }
                }
            }
            let mut order: Vec<(i32, Vec<u8>)> = model.iter().map(|(m, s)| (*s, m.clone())).collect();
            order.sort();
            prop_assert_eq!(sorted.len(), order.len());
            for (rank, (score, m)) in order.iter().enumerate() {
                prop_assert_eq!(sorted.rank(m), Some((rank, f64::from(*score))));
            }
            let copy = sorted.clone();
            let listed: Vec<(i32, Vec<u8>)> = copy.iter().map(|e| (e.score() as i32, e.member().to_vec())).collect();
            prop_assert_eq!(listed, order.clone());
            let mut seen = Vec::new();
            let mut cursor = 0;
            loop {
                cursor = copy.scan(cursor, |m, s| seen.push((s as i32, m.to_vec())));
                if cursor == 0 { break; }
            }
            seen.sort();
            prop_assert_eq!(seen, order);
        }
    }
}
