//! The order side of the large sorted-set encoding: a B+ tree of [`Elem`]s sorted by (score, member)
//! whose inner nodes count the elements below each child, so position queries (rank of an element,
//! element at a rank, how many elements come before a score or a string) take O(log n) like Valkey's
//! skiplist spans. Leaves hold only thin element pointers, which keeps the per-element overhead near
//! 8 bytes instead of a skiplist node's level array.
//!
//! Inner nodes route with separator keys: every element of child `i` is ≥ `sep[i]` and every element
//! of child `i - 1` is < `sep[i]` (`sep[0]` is unused). A separator need not be a current element, so
//! removals never have to update them; only splits, merges and redistributions do.

use std::cmp::Ordering;

use super::elem::{compare, Elem};

/// Most elements in a leaf (its buffer holds one more, so an insert can overflow before the split).
const LEAF_CAP: usize = 63;
/// Most children of an inner node.
const INNER_CAP: usize = 31;
/// A leaf smaller than this after a removal is merged with or refilled from a neighbour.
const LEAF_MIN: usize = LEAF_CAP / 4;
/// The same for inner nodes.
const INNER_MIN: usize = INNER_CAP / 4;

/// A copy of a (score, member) pair used as a separator.
struct Key {
    score: f64,
    member: Box<[u8]>,
}

impl Key {
    fn of(elem: &Elem) -> Key {
        Key {
            score: elem.score(),
            member: elem.member().into(),
        }
    }

    /// The separator of child 0, which routing never reads.
    fn unused() -> Key {
        Key {
            score: 0.0,
            member: Box::default(),
        }
    }
}

struct Slot {
    node: Box<Node>,
    /// Elements in the subtree.
    count: usize,
    sep: Key,
}

enum Node {
    Leaf(Vec<Elem>),
    Inner(Vec<Slot>),
}

impl Node {
    /// Entries in this node (elements of a leaf, children of an inner node).
    fn width(&self) -> usize {
        match self {
            Node::Leaf(elems) => elems.len(),
            Node::Inner(slots) => slots.len(),
        }
    }

    /// Elements in the subtree.
    fn count(&self) -> usize {
        match self {
            Node::Leaf(elems) => elems.len(),
            Node::Inner(slots) => slots.iter().map(|slot| slot.count).sum(),
        }
    }
}

/// A buffer for a leaf that will hold `len` elements: room for a full leaf, or for a small tree's only
/// leaf a power of two, so that growth by doubling never passes a full leaf's buffer.
fn leaf_buffer(len: usize) -> Vec<Elem> {
    Vec::with_capacity(len.next_power_of_two().clamp(4, LEAF_CAP + 1))
}

fn inner_buffer() -> Vec<Slot> {
    Vec::with_capacity(INNER_CAP + 1)
}

/// Index of the child of `slots` whose range holds (score, member).
fn route(slots: &[Slot], score: f64, member: &[u8]) -> usize {
    slots[1..].partition_point(|slot| {
        compare(slot.sep.score, &slot.sep.member, score, member) != Ordering::Greater
    })
}

/// What to remove.
enum Target<'a> {
    Key(f64, &'a [u8]),
    Rank(usize),
}

/// An order-statistic B+ tree of elements sorted by (score, member).
pub struct Tree {
    root: Node,
    len: usize,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            root: Node::Leaf(Vec::new()),
            len: 0,
        }
    }
}

impl Tree {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Builds a tree from elements already in order, with full leaves.
    pub fn from_sorted(elems: Vec<Elem>) -> Tree {
        let len = elems.len();
        if len <= LEAF_CAP {
            let mut leaf = leaf_buffer(len);
            leaf.extend(elems);
            return Tree {
                root: Node::Leaf(leaf),
                len,
            };
        }
        let mut level: Vec<(Node, usize, Key)> = Vec::new();
        let mut elems = elems.into_iter();
        for size in even_split(len, LEAF_CAP) {
            let mut leaf = leaf_buffer(LEAF_CAP);
            leaf.extend(elems.by_ref().take(size));
            let first = Key::of(&leaf[0]);
            level.push((Node::Leaf(leaf), size, first));
        }
        while level.len() > 1 {
            let mut parents = Vec::new();
            let mut children = level.into_iter();
            for size in even_split(children.len(), INNER_CAP) {
                let mut slots = inner_buffer();
                let mut total = 0;
                for (node, count, sep) in children.by_ref().take(size) {
                    total += count;
                    slots.push(Slot {
                        node: Box::new(node),
                        count,
                        sep,
                    });
                }
                let first = Key {
                    score: slots[0].sep.score,
                    member: slots[0].sep.member.clone(),
                };
                parents.push((Node::Inner(slots), total, first));
            }
            level = parents;
        }
        let root = level
            .pop()
            .map_or_else(|| Node::Leaf(Vec::new()), |(node, _, _)| node);
        Tree { root, len }
    }

    /// Inserts an element that is not in the tree yet.
    pub fn insert(&mut self, elem: Elem) {
        self.len += 1;
        let Some((right, sep)) = insert_into(&mut self.root, elem, true) else {
            return;
        };
        let left = std::mem::replace(&mut self.root, Node::Leaf(Vec::new()));
        let mut slots = inner_buffer();
        slots.push(Slot {
            count: left.count(),
            node: Box::new(left),
            sep: Key::unused(),
        });
        slots.push(Slot {
            count: right.count(),
            node: Box::new(right),
            sep,
        });
        self.root = Node::Inner(slots);
    }

    /// Removes the element with this score and member.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> Option<Elem> {
        self.remove_target(&mut Target::Key(score, member))
    }

    /// Removes the element at `rank` (0-based).
    pub fn remove_at(&mut self, rank: usize) -> Option<Elem> {
        self.remove_target(&mut Target::Rank(rank))
    }

    fn remove_target(&mut self, target: &mut Target<'_>) -> Option<Elem> {
        let removed = remove_from(&mut self.root, target)?;
        self.len -= 1;
        while let Node::Inner(slots) = &mut self.root {
            if slots.len() != 1 {
                break;
            }
            let Some(only) = slots.pop() else { break };
            self.root = *only.node;
        }
        Some(removed)
    }

    /// The 0-based rank of the element with this score and member.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            match node {
                Node::Leaf(elems) => {
                    return elems
                        .binary_search_by(|elem| elem.cmp_key(score, member))
                        .ok()
                        .map(|pos| rank + pos);
                }
                Node::Inner(slots) => {
                    let i = route(slots, score, member);
                    rank += slots[..i].iter().map(|slot| slot.count).sum::<usize>();
                    node = &slots[i].node;
                }
            }
        }
    }

    /// The element at `rank` (0-based).
    pub fn get(&self, mut rank: usize) -> Option<&Elem> {
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(elems) => return elems.get(rank),
                Node::Inner(slots) => {
                    let mut i = 0;
                    while rank >= slots.get(i)?.count {
                        rank -= slots[i].count;
                        i += 1;
                    }
                    node = &slots[i].node;
                }
            }
        }
    }

    /// How many elements at the front of the order satisfy `pred`, which must hold for a prefix of the
    /// order (true, ..., true, false, ...): the position of the first element failing it.
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            match node {
                Node::Leaf(elems) => {
                    return rank + elems.partition_point(|elem| pred(elem.score(), elem.member()));
                }
                Node::Inner(slots) => {
                    let i =
                        slots[1..].partition_point(|slot| pred(slot.sep.score, &slot.sep.member));
                    rank += slots[..i].iter().map(|slot| slot.count).sum::<usize>();
                    node = &slots[i].node;
                }
            }
        }
    }

    /// Elements from `rank` on, towards the end (or towards the start when `reverse`).
    pub fn iter_from(&self, rank: usize, reverse: bool) -> Iter<'_> {
        let mut iter = Iter {
            stack: Vec::new(),
            leaf: &[],
            pos: 0,
            reverse,
        };
        if rank >= self.len {
            return iter;
        }
        let mut node = &self.root;
        let mut rank = rank;
        loop {
            match node {
                Node::Leaf(elems) => {
                    iter.leaf = elems;
                    iter.pos = rank;
                    return iter;
                }
                Node::Inner(slots) => {
                    let mut i = 0;
                    while i + 1 < slots.len() && rank >= slots[i].count {
                        rank -= slots[i].count;
                        i += 1;
                    }
                    iter.stack.push((slots.as_slice(), i));
                    node = &slots[i].node;
                }
            }
        }
    }

    /// Every element in order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// Checks the structural invariants (tests only).
    #[cfg(test)]
    pub fn check(&self) {
        fn walk(node: &Node, is_root: bool, depth: usize, depths: &mut Vec<usize>) -> usize {
            match node {
                Node::Leaf(elems) => {
                    assert!(elems.len() <= LEAF_CAP);
                    assert!(is_root || !elems.is_empty());
                    for pair in elems.windows(2) {
                        assert_eq!(
                            pair[0].cmp_key(pair[1].score(), pair[1].member()),
                            Ordering::Less
                        );
                    }
                    depths.push(depth);
                    elems.len()
                }
                Node::Inner(slots) => {
                    assert!(slots.len() <= INNER_CAP);
                    assert!(slots.len() >= 2 || !is_root);
                    let mut total = 0;
                    for (i, slot) in slots.iter().enumerate() {
                        let count = walk(&slot.node, false, depth + 1, depths);
                        assert_eq!(count, slot.count);
                        total += count;
                        if i > 0 {
                            let first = first_elem(&slot.node);
                            assert_ne!(
                                first.cmp_key(slot.sep.score, &slot.sep.member),
                                Ordering::Less
                            );
                            let last = last_elem(&slots[i - 1].node);
                            assert_eq!(
                                last.cmp_key(slot.sep.score, &slot.sep.member),
                                Ordering::Less
                            );
                        }
                    }
                    total
                }
            }
        }
        fn first_elem(node: &Node) -> &Elem {
            match node {
                Node::Leaf(elems) => &elems[0],
                Node::Inner(slots) => first_elem(&slots[0].node),
            }
        }
        fn last_elem(node: &Node) -> &Elem {
            match node {
                Node::Leaf(elems) => &elems[elems.len() - 1],
                Node::Inner(slots) => last_elem(&slots[slots.len() - 1].node),
            }
        }
        let mut depths = Vec::new();
        assert_eq!(walk(&self.root, true, 0, &mut depths), self.len);
        assert!(depths.windows(2).all(|pair| pair[0] == pair[1]));
    }
}

/// Sizes of `parts` nearly equal groups covering `total` items with at most `cap` per group.
fn even_split(total: usize, cap: usize) -> impl Iterator<Item = usize> {
    let groups = total.div_ceil(cap).max(1);
    let base = total / groups;
    let extra = total % groups;
    (0..groups).map(move |i| base + usize::from(i < extra))
}

/// Inserts `elem` below `node`; returns the new right sibling and its separator when `node` split.
/// `rightmost` is true on the tree's right edge, where an append splits unevenly so that ascending
/// inserts leave full nodes behind.
fn insert_into(node: &mut Node, elem: Elem, rightmost: bool) -> Option<(Node, Key)> {
    match node {
        Node::Leaf(elems) => {
            let pos =
                elems.partition_point(|e| e.cmp_key(elem.score(), elem.member()) == Ordering::Less);
            elems.insert(pos, elem);
            if elems.len() <= LEAF_CAP {
                return None;
            }
            let at = if rightmost && pos + 1 == elems.len() {
                LEAF_CAP
            } else {
                elems.len() / 2
            };
            let mut right = leaf_buffer(LEAF_CAP);
            right.extend(elems.drain(at..));
            let sep = Key::of(&right[0]);
            Some((Node::Leaf(right), sep))
        }
        Node::Inner(slots) => {
            let i = route(slots, elem.score(), elem.member());
            let last = i + 1 == slots.len();
            slots[i].count += 1;
            let (right, sep) = insert_into(&mut slots[i].node, elem, rightmost && last)?;
            let right_count = right.count();
            slots[i].count -= right_count;
            slots.insert(
                i + 1,
                Slot {
                    node: Box::new(right),
                    count: right_count,
                    sep,
                },
            );
            if slots.len() <= INNER_CAP {
                return None;
            }
            let at = if rightmost && i + 2 == slots.len() {
                INNER_CAP
            } else {
                slots.len() / 2
            };
            let mut right = inner_buffer();
            right.extend(slots.drain(at..));
            let sep = std::mem::replace(&mut right[0].sep, Key::unused());
            Some((Node::Inner(right), sep))
        }
    }
}

fn remove_from(node: &mut Node, target: &mut Target<'_>) -> Option<Elem> {
    match node {
        Node::Leaf(elems) => {
            let pos = match target {
                Target::Key(score, member) => elems
                    .binary_search_by(|elem| elem.cmp_key(*score, member))
                    .ok()?,
                Target::Rank(rank) => *rank,
            };
            (pos < elems.len()).then(|| elems.remove(pos))
        }
        Node::Inner(slots) => {
            let i = match target {
                Target::Key(score, member) => route(slots, *score, member),
                Target::Rank(rank) => {
                    let mut i = 0;
                    while *rank >= slots.get(i)?.count {
                        *rank -= slots[i].count;
                        i += 1;
                    }
                    i
                }
            };
            let removed = remove_from(&mut slots[i].node, target)?;
            slots[i].count -= 1;
            rebalance(slots, i);
            Some(removed)
        }
    }
}

/// After a removal from child `i`, merges it with a neighbour or moves entries over so no node
/// stays nearly empty.
fn rebalance(slots: &mut Vec<Slot>, i: usize) {
    let (min, cap) = match &*slots[i].node {
        Node::Leaf(_) => (LEAF_MIN, LEAF_CAP),
        Node::Inner(_) => (INNER_MIN, INNER_CAP),
    };
    if slots[i].node.width() >= min || slots.len() < 2 {
        return;
    }
    let left = if i + 1 < slots.len() { i } else { i - 1 };
    let total = slots[left].node.width() + slots[left + 1].node.width();
    if total <= cap {
        let right = slots.remove(left + 1);
        slots[left].count += right.count;
        match (&mut *slots[left].node, *right.node) {
            (Node::Leaf(into), Node::Leaf(mut from)) => into.append(&mut from),
            (Node::Inner(into), Node::Inner(mut from)) => {
                from[0].sep = right.sep;
                into.append(&mut from);
            }
            // Siblings are always at the same depth.
            _ => {}
        }
        return;
    }
    let (head, tail) = slots.split_at_mut(left + 1);
    let (left_slot, right_slot) = (&mut head[left], &mut tail[0]);
    let target = total / 2;
    match (&mut *left_slot.node, &mut *right_slot.node) {
        (Node::Leaf(l), Node::Leaf(r)) => {
            if l.len() < target {
                let moved = target - l.len();
                l.extend(r.drain(..moved));
            } else {
                let moved: Vec<Elem> = l.drain(target..).collect();
                r.splice(0..0, moved);
            }
            right_slot.sep = Key::of(&r[0]);
            left_slot.count = l.len();
            right_slot.count = r.len();
        }
        (Node::Inner(l), Node::Inner(r)) => {
            r[0].sep = std::mem::replace(&mut right_slot.sep, Key::unused());
            if l.len() < target {
                let moved = target - l.len();
                l.extend(r.drain(..moved));
            } else {
                let moved: Vec<Slot> = l.drain(target..).collect();
                r.splice(0..0, moved);
            }
            right_slot.sep = std::mem::replace(&mut r[0].sep, Key::unused());
            left_slot.count = l.iter().map(|slot| slot.count).sum();
            right_slot.count = r.iter().map(|slot| slot.count).sum();
        }
        _ => {}
    }
}

/// An iterator over the tree's elements in either direction.
pub struct Iter<'a> {
    /// Inner nodes on the path to the current leaf and the child taken in each.
    stack: Vec<(&'a [Slot], usize)>,
    leaf: &'a [Elem],
    pos: usize,
    reverse: bool,
}

impl<'a> Iter<'a> {
    fn descend(&mut self, mut node: &'a Node) {
        loop {
            match node {
                Node::Leaf(elems) => {
                    self.leaf = elems;
                    self.pos = if self.reverse {
                        elems.len().saturating_sub(1)
                    } else {
                        0
                    };
                    return;
                }
                Node::Inner(slots) => {
                    let i = if self.reverse { slots.len() - 1 } else { 0 };
                    self.stack.push((slots, i));
                    node = &slots[i].node;
                }
            }
        }
    }

    fn step(&mut self) {
        if self.reverse {
            if self.pos > 0 {
                self.pos -= 1;
                return;
            }
        } else if self.pos + 1 < self.leaf.len() {
            self.pos += 1;
            return;
        }
        while let Some((slots, i)) = self.stack.pop() {
            let next = if self.reverse {
                i.checked_sub(1)
            } else {
                Some(i + 1).filter(|&n| n < slots.len())
            };
            if let Some(next) = next {
                self.stack.push((slots, next));
                self.descend(&slots[next].node);
                return;
            }
        }
        self.leaf = &[];
        self.pos = 0;
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Elem;

    fn next(&mut self) -> Option<&'a Elem> {
        let elem = self.leaf.get(self.pos)?;
        self.step();
        Some(elem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// The model: (score bits made orderable, member).
    type Model = BTreeSet<(i64, Vec<u8>)>;

    fn member(n: u16) -> Vec<u8> {
        let mut m = format!("m{n}").into_bytes();
        if n.is_multiple_of(13) {
            m.extend(std::iter::repeat_n(b'z', 300));
        }
        m
    }

    fn collect(tree: &Tree) -> Vec<(i64, Vec<u8>)> {
        tree.iter()
            .map(|e| (e.score() as i64, e.member().to_vec()))
            .collect()
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(i64, u16),
        Remove(u16),
        RemoveAt(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (-50i64..50, 0u16..2000).prop_map(|(s, m)| Op::Insert(s, m)),
            2 => (0u16..2000).prop_map(Op::Remove),
            1 => (0usize..3000).prop_map(Op::RemoveAt),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn behaves_like_an_ordered_set(ops in proptest::collection::vec(op(), 0..3000), bulk in 0usize..600) {
            let mut model = Model::new();
            let mut scores = std::collections::HashMap::new();
            for i in 0..bulk {
                let (score, m) = ((i / 3) as i64, member(i as u16 + 5000));
                model.insert((score, m.clone()));
                scores.insert(m, score);
            }
            let mut tree = Tree::from_sorted(model.iter().map(|(s, m)| Elem::new(m, *s as f64)).collect());
            tree.check();
            for op in ops {
                match op {
                    Op::Insert(score, m) => {
                        let m = member(m);
                        if let Some(old) = scores.get(&m) {
                            let removed = tree.remove(*old as f64, &m);
                            prop_assert!(removed.is_some());
                            model.remove(&(*old, m.clone()));
                        }
                        tree.insert(Elem::new(&m, score as f64));
                        model.insert((score, m.clone()));
                        scores.insert(m, score);
                    }
                    Op::Remove(m) => {
                        let m = member(m);
                        let expected = scores.remove(&m);
                        let removed = expected.and_then(|s| tree.remove(s as f64, &m));
                        prop_assert_eq!(removed.is_some(), expected.is_some());
                        if let Some(s) = expected { model.remove(&(s, m)); }
                    }
                    Op::RemoveAt(rank) => {
                        let expected = model.iter().nth(rank).cloned();
                        let removed = tree.remove_at(rank);
                        prop_assert_eq!(removed.as_ref().map(|e| (e.score() as i64, e.member().to_vec())), expected.clone());
                        if let Some(entry) = expected { model.remove(&entry); scores.remove(&entry.1); }
                    }
                }
                prop_assert_eq!(tree.len(), model.len());
            }
            tree.check();
            let expected: Vec<_> = model.iter().cloned().collect();
            prop_assert_eq!(collect(&tree), expected.clone());
            let reversed: Vec<_> = tree.iter_from(tree.len().saturating_sub(1), true).map(|e| (e.score() as i64, e.member().to_vec())).collect();
            prop_assert_eq!(reversed, expected.iter().rev().cloned().collect::<Vec<_>>());
            for (rank, (score, m)) in expected.iter().enumerate() {
                prop_assert_eq!(tree.rank(*score as f64, m), Some(rank));
                let at = tree.get(rank).map(|e| (e.score() as i64, e.member().to_vec()));
                prop_assert_eq!(at.as_ref(), Some(&(*score, m.clone())));
                if rank % 17 == 0 {
                    let from: Vec<_> = tree.iter_from(rank, false).take(70).map(|e| e.member().to_vec()).collect();
                    let want: Vec<_> = expected[rank..].iter().take(70).map(|(_, m)| m.clone()).collect();
                    prop_assert_eq!(from, want);
                    let back: Vec<_> = tree.iter_from(rank, true).take(70).map(|e| e.member().to_vec()).collect();
                    let want: Vec<_> = expected[..=rank].iter().rev().take(70).map(|(_, m)| m.clone()).collect();
                    prop_assert_eq!(back, want);
                }
            }
            for bound in -52i64..52 {
                let below = expected.iter().filter(|(s, _)| *s < bound).count();
                prop_assert_eq!(tree.count_while(|s, _| s < bound as f64), below);
                let at_most = expected.iter().filter(|(s, _)| *s <= bound).count();
                prop_assert_eq!(tree.count_while(|s, _| s <= bound as f64), at_most);
            }
            prop_assert!(tree.get(expected.len()).is_none());
            prop_assert_eq!(tree.iter_from(expected.len(), false).count(), 0);
        }
    }

    #[test]
    fn ascending_inserts_fill_leaves() {
        let mut tree = Tree::default();
        for i in 0..10_000 {
            tree.insert(Elem::new(format!("{i:08}").as_bytes(), i as f64));
        }
        tree.check();
        fn leaves(node: &Node) -> usize {
            match node {
                Node::Leaf(_) => 1,
                Node::Inner(slots) => slots.iter().map(|s| leaves(&s.node)).sum(),
            }
        }
        // Every leaf but the last is full.
        assert_eq!(leaves(&tree.root), 10_000usize.div_ceil(LEAF_CAP));
        while tree.len() > 0 {
            let last = tree.len() - 1;
            assert!(tree.remove_at(last).is_some());
        }
        tree.check();
    }
}
