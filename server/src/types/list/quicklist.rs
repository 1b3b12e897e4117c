//! Quicklist: the large list encoding, a sequence of nodes that are each a listpack (or, for one element
//! too big for any listpack, a "plain" node holding just that element). Node sizes obey the
//! `list-max-listpack-size` fill factor captured when the quicklist was made, and nodes are split and
//! merged at the same moments as Valkey's, so the node layout (which decides when a shrinking list turns
//! back into a single listpack, and what `DEBUG OBJECT` reports) is the same.
//!
//! `list-compress-depth` is not implemented: nodes are never LZF-compressed.

use std::collections::VecDeque;

use ferry_rdb::listpack::{encoded_len, Entry, Listpack, ListpackRef};

/// Fill factors beyond which Valkey clamps a quicklist's own fill (`quicklistSetFill`).
const FILL_MIN: i64 = -5;
const FILL_MAX: i64 = (1 << 15) - 1;
/// Node byte limits for fill -1 .. -5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Largest node in bytes when the fill factor counts elements.
pub const SIZE_SAFETY_LIMIT: usize = 8192;
/// Over-estimate of one entry's encoding overhead, used when deciding whether an element still fits.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// A listpack's header and terminator: subtracted once when two nodes merge.
const LISTPACK_OVERHEAD: usize = 7;

/// Byte limit of a node for a negative fill factor.
fn negative_fill_limit(fill: i64) -> usize {
    let level = fill.unsigned_abs().saturating_sub(1).min(4) as usize;
    SIZE_LEVELS[level]
}

/// Valkey's `quicklistNodeLimit`: the (bytes, elements) a node or a listpack-encoded list may hold.
pub fn node_limit(fill: i64) -> (usize, usize) {
    if fill >= 0 {
        (usize::MAX, if fill == 0 { 1 } else { fill as usize })
    } else {
        (negative_fill_limit(fill), usize::MAX)
    }
}

/// Valkey's `quicklistNodeExceedsLimit`: true when a node of `bytes` and `count` elements is too big.
pub fn exceeds_limit(fill: i64, bytes: usize, count: usize) -> bool {
    if fill < 0 {
        bytes > negative_fill_limit(fill)
    } else {
        bytes > SIZE_SAFETY_LIMIT || count > node_limit(fill).1
    }
}

/// True when an element of `size` bytes gets a plain node of its own.
fn is_large(size: usize, fill: i64) -> bool {
    if fill >= 0 {
        size > SIZE_SAFETY_LIMIT
    } else {
        size > negative_fill_limit(fill)
    }
}

/// One quicklist node.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A listpack of one or more elements.
    Packed(Listpack),
    /// A single element too big for a listpack node.
    Plain(Vec<u8>),
}

impl Node {
    /// Number of elements.
    pub fn count(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.len(),
            Node::Plain(_) => 1,
        }
    }

    /// Valkey's `node->sz`: the listpack's bytes, or the plain element's length.
    pub fn size(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.byte_len(),
            Node::Plain(bytes) => bytes.len(),
        }
    }

    fn is_plain(&self) -> bool {
        matches!(self, Node::Plain(_))
    }

    fn single(value: &[u8], fill: i64) -> Node {
        if is_large(value.len(), fill) {
            Node::Plain(value.to_vec())
        } else {
            let mut lp = Listpack::new();
            push_back(&mut lp, value);
            Node::Packed(lp)
        }
    }
}

/// Appends `value`, growing the allocation by exactly what it needs.
pub fn push_back(lp: &mut Listpack, value: &[u8]) {
    lp.reserve_exact(encoded_len(value));
    lp.push_back(value);
}

/// Prepends `value`, growing the allocation by exactly what it needs.
pub fn push_front(lp: &mut Listpack, value: &[u8]) {
    lp.reserve_exact(encoded_len(value));
    lp.push_front(value);
}

/// Inserts `value` before the byte offset `offset`, growing the allocation by exactly what it needs.
pub fn insert_at(lp: &mut Listpack, offset: usize, value: &[u8]) {
    lp.reserve_exact(encoded_len(value));
    lp.insert(offset, value);
}

/// Gives back memory after elements were removed, as Valkey's exact-size reallocation would.
pub fn release_spare(lp: &mut Listpack) {
    let used = lp.byte_len();
    if lp.capacity() - used > (used / 8).max(16) {
        lp.shrink_to_fit();
    }
}

/// Byte offset of the element at `index` (which must exist), walking from the nearer end.
pub fn seek(lp: ListpackRef<'_>, index: usize) -> Option<usize> {
    let len = lp.len();
    if index >= len {
        return None;
    }
    if index > len / 2 {
        lp.seek(index as i64 - len as i64)
    } else {
        lp.seek(index as i64)
    }
}

/// The quicklist proper. The nodes are a ring buffer, so pushing a node at either end stays O(1) (a
/// list of big elements has one node per element).
#[derive(Debug, Clone, PartialEq)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    count: usize,
    fill: i16,
}

impl Quicklist {
    /// An empty quicklist whose nodes obey `fill` (clamped like Valkey's `quicklistSetFill`).
    pub fn new(fill: i64) -> Quicklist {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: fill.clamp(FILL_MIN, FILL_MAX) as i16,
        }
    }

    /// A quicklist holding `lp` as its only node (a listpack-encoded list that grew too big).
    pub fn from_listpack(lp: Listpack, fill: i64) -> Quicklist {
        let mut ql = Quicklist::new(fill);
        if !lp.is_empty() {
            ql.count = lp.len();
            ql.nodes.reserve_exact(1);
            ql.nodes.push_back(Node::Packed(lp));
        }
        ql
    }

    /// A quicklist of the given nodes, in order, whatever their sizes (loading keeps the saved layout);
    /// empty listpack nodes are skipped.
    pub fn from_nodes(nodes: impl IntoIterator<Item = Node>, fill: i64) -> Quicklist {
        let mut ql = Quicklist::new(fill);
        for node in nodes {
            if node.count() == 0 {
                continue;
            }
            ql.count += node.count();
            ql.nodes.push_back(node);
        }
        ql.nodes.shrink_to_fit();
        ql
    }

    /// The fill factor nodes obey (DEBUG OBJECT's `ql_listpack_max`).
    pub fn fill(&self) -> i64 {
        i64::from(self.fill)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The nodes, head first.
    pub fn nodes(&self) -> &VecDeque<Node> {
        &self.nodes
    }

    /// Takes the only node's listpack out when the quicklist is a single packed node.
    pub fn into_single_listpack(mut self) -> Result<Listpack, Quicklist> {
        if self.nodes.len() == 1 {
            match self.nodes.pop_back() {
                Some(Node::Packed(lp)) => return Ok(lp),
                Some(node) => self.nodes.push_back(node),
                None => {}
            }
        }
        Err(self)
    }

    fn fill_i64(&self) -> i64 {
        i64::from(self.fill)
    }

    /// `_quicklistNodeAllowInsert`: may an element of `size` bytes join node `index`?
    fn allow_insert(&self, index: Option<usize>, size: usize) -> bool {
        let Some(node) = index.and_then(|i| self.nodes.get(i)) else {
            return false;
        };
        let fill = self.fill_i64();
        if node.is_plain() || is_large(size, fill) {
            return false;
        }
        !exceeds_limit(
            fill,
            node.size() + size + SIZE_ESTIMATE_OVERHEAD,
            node.count() + 1,
        )
    }

    /// `_quicklistNodeAllowMerge` for nodes `a` and `b`.
    fn allow_merge(&self, a: usize, b: usize) -> bool {
        let (Some(na), Some(nb)) = (self.nodes.get(a), self.nodes.get(b)) else {
            return false;
        };
        if na.is_plain() || nb.is_plain() {
            return false;
        }
        let merged = (na.size() + nb.size()).saturating_sub(LISTPACK_OVERHEAD);
        !exceeds_limit(self.fill_i64(), merged, na.count() + nb.count())
    }

    fn insert_node(&mut self, at: usize, node: Node) {
        let len = self.nodes.len();
        if len == self.nodes.capacity() {
            // Exact growth while the node array is tiny (most quicklists have a few nodes), geometric
            // beyond, so a list of many nodes grows in amortised O(1).
            self.nodes.reserve_exact(if len < 8 { 1 } else { len / 2 });
        }
        self.nodes.insert(at, node);
    }

    fn remove_node(&mut self, at: usize) {
        if let Some(node) = self.nodes.remove(at) {
            self.count -= node.count();
        }
        self.release_node_slots();
    }

    /// Gives back node slots once at most half of them are used (far from the growth step, so pushes
    /// and pops at a boundary do not reallocate every time).
    fn release_node_slots(&mut self) {
        if self.nodes.capacity() >= 2 * self.nodes.len() + 8 {
            self.nodes.shrink_to_fit();
        }
    }

    /// Adds `value` at the head.
    pub fn push_front(&mut self, value: &[u8]) {
        let fill = self.fill_i64();
        if self.allow_insert(Some(0), value.len()) {
            if let Some(Node::Packed(lp)) = self.nodes.front_mut() {
                push_front(lp, value);
            }
        } else {
            self.insert_node(0, Node::single(value, fill));
        }
        self.count += 1;
    }

    /// Adds `value` at the tail.
    pub fn push_back(&mut self, value: &[u8]) {
        let fill = self.fill_i64();
        let tail = self.nodes.len().checked_sub(1);
        if self.allow_insert(tail, value.len()) {
            if let Some(Node::Packed(lp)) = self.nodes.back_mut() {
                push_back(lp, value);
            }
        } else {
            let at = self.nodes.len();
            self.insert_node(at, Node::single(value, fill));
        }
        self.count += 1;
    }

    /// Removes the element at the head (`from_tail` false) or tail and hands it out: integers stay
    /// integers, as Valkey's quicklist pop hands out integer objects.
    pub fn pop(&mut self, from_tail: bool) -> Option<Popped> {
        let at = if from_tail {
            self.nodes.len().checked_sub(1)?
        } else {
            0
        };
        let popped = match self.nodes.get_mut(at)? {
            Node::Plain(bytes) => Popped::Bytes(std::mem::take(bytes)),
            Node::Packed(lp) => {
                let offset = if from_tail { lp.last() } else { lp.first() }?;
                let popped = Popped::from_entry(lp.get(offset));
                lp.remove(offset);
                release_spare(lp);
                popped
            }
        };
        self.removed_from(at, 1);
        Some(popped)
    }

    /// Bookkeeping after `removed` elements left node `at`: drops the node when it is empty (a plain
    /// node's only element is the one removed).
    fn removed_from(&mut self, at: usize, removed: usize) {
        match self.nodes.get(at) {
            // `remove_node` subtracts the plain node's one element.
            Some(Node::Plain(_)) => self.remove_node(at),
            Some(Node::Packed(lp)) if lp.is_empty() => {
                self.count -= removed;
                self.remove_node(at);
            }
            _ => self.count -= removed,
        }
    }

    /// The node holding element `index` and the element's position inside it, counting nodes from the
    /// nearer end (Valkey's `quicklistGetIteratorAtIdx`).
    pub fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.count {
            return None;
        }
        if index <= (self.count - 1) / 2 {
            let mut accumulated = 0;
            for (i, node) in self.nodes.iter().enumerate() {
                let n = node.count();
                if accumulated + n > index {
                    return Some((i, index - accumulated));
                }
                accumulated += n;
            }
        } else {
            let from_tail = self.count - 1 - index;
            let mut accumulated = 0;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                let n = node.count();
                if accumulated + n > from_tail {
                    return Some((i, n - 1 - (from_tail - accumulated)));
                }
                accumulated += n;
            }
        }
        None
    }

    /// The element at `index`.
    pub fn get(&self, index: usize) -> Option<Entry<'_>> {
        let (at, position) = self.locate(index)?;
        match &self.nodes[at] {
            Node::Plain(bytes) => Some(Entry::Bytes(bytes)),
            Node::Packed(lp) => seek(lp.view(), position).map(|offset| lp.get(offset)),
        }
    }

    /// Removes `count` elements from `start` on (`quicklistDelRange`): whole nodes in the range go
    /// (all at once, so trimming a long list is not quadratic in its nodes), the nodes at either end of
    /// the range lose just the elements inside it.
    pub fn remove_range(&mut self, start: usize, count: usize) {
        let mut extent = count.min(self.count.saturating_sub(start));
        let Some((mut at, position)) = self.locate(start) else {
            return;
        };
        if extent == 0 {
            return;
        }
        if position > 0 || extent < self.nodes[at].count() {
            let removed = self.remove_within(at, position, extent);
            extent -= removed;
            at += 1;
        }
        let mut end = at;
        while end < self.nodes.len() && extent >= self.nodes[end].count() && extent > 0 {
            extent -= self.nodes[end].count();
            end += 1;
        }
        if end > at {
            let removed: usize = self.nodes.drain(at..end).map(|node| node.count()).sum();
            self.count -= removed;
            self.release_node_slots();
        }
        if extent > 0 && at < self.nodes.len() {
            self.remove_within(at, 0, extent);
        }
    }

    /// Removes up to `count` elements of node `at` from `position` on, leaving at least one element
    /// (callers never empty a node this way). Returns how many went.
    fn remove_within(&mut self, at: usize, position: usize, count: usize) -> usize {
        let Node::Packed(lp) = &mut self.nodes[at] else {
            return 0;
        };
        let removed = match seek(lp.view(), position) {
            Some(offset) => lp.remove_range(offset, count),
            None => 0,
        };
        release_spare(lp);
        self.count -= removed;
        removed
    }

    /// Replaces the element at `index` with `value` (`quicklistReplaceAtIndex`). False when there is no
    /// such element.
    pub fn replace(&mut self, index: usize, value: &[u8]) -> bool {
        let Some((at, position)) = self.locate(index) else {
            return false;
        };
        let fill = self.fill_i64();
        let large = is_large(value.len(), fill);
        match &mut self.nodes[at] {
            Node::Packed(lp) if !large => {
                if let Some(offset) = seek(lp.view(), position) {
                    lp.reserve_exact(encoded_len(value));
                    lp.replace(offset, value);
                    release_spare(lp);
                }
            }
            Node::Plain(bytes) if large => *bytes = value.to_vec(),
            Node::Plain(_) => {
                // A small value replacing a plain node goes in as a packed element after it.
                self.insert_at(at, 0, value, true);
                self.remove_node(at);
            }
            Node::Packed(_) => self.replace_with_large(at, position, value),
        }
        true
    }

    /// The large-element branch of `quicklistReplaceEntry`: the element becomes a plain node of its
    /// own, splitting its packed node around it.
    fn replace_with_large(&mut self, at: usize, position: usize, value: &[u8]) {
        let node_count = self.nodes[at].count();
        if position + 1 != node_count {
            let rest = self.split(at, position, true);
            self.insert_node(at + 1, rest);
        }
        self.insert_node(at + 1, Node::Plain(value.to_vec()));
        self.count += 1;
        // The replaced element is now the last of node `at`.
        if self.nodes[at].count() == 1 {
            self.remove_node(at);
        } else {
            if let Node::Packed(lp) = &mut self.nodes[at] {
                if let Some(offset) = lp.last() {
                    lp.remove(offset);
                    release_spare(lp);
                }
            }
            self.count -= 1;
            self.merge_around(at + 1);
        }
    }

    /// `_quicklistSplitNode`: node `at` keeps elements up to and including `position` when `after`
    /// (from `position` on otherwise); the other elements are returned as a new node.
    fn split(&mut self, at: usize, position: usize, after: bool) -> Node {
        let Node::Packed(lp) = &mut self.nodes[at] else {
            return Node::Packed(Listpack::new());
        };
        let mut other = lp.clone();
        let (keep_start, keep_count, other_start, other_count) = if after {
            (position + 1, usize::MAX, 0, position + 1)
        } else {
            (0, position, position, usize::MAX)
        };
        if let Some(offset) = seek(lp.view(), keep_start) {
            lp.remove_range(offset, keep_count);
            lp.shrink_to_fit();
        }
        if let Some(offset) = seek(other.view(), other_start) {
            other.remove_range(offset, other_count);
            other.shrink_to_fit();
        }
        Node::Packed(other)
    }

    /// Merges node `b` into node `a` (`a` is left of `b`, `b == a + 1`).
    fn merge_pair(&mut self, a: usize) {
        let Some(Node::Packed(right)) = self.nodes.remove(a + 1) else {
            return;
        };
        if let Some(Node::Packed(left)) = self.nodes.get_mut(a) {
            left.append(&right);
        }
    }

    /// `_quicklistMergeNodes`: tries to merge the neighbours of node `center` and then `center` with its
    /// neighbours. Returns the index of the node that holds `center`'s elements afterwards.
    fn merge_around(&mut self, center: usize) -> usize {
        let mut center = center;
        if center >= 2 && self.allow_merge(center - 1, center - 2) {
            self.merge_pair(center - 2);
            center -= 1;
        }
        if self.allow_merge(center + 1, center + 2) {
            self.merge_pair(center + 1);
        }
        let target = if center >= 1 && self.allow_merge(center, center - 1) {
            self.merge_pair(center - 1);
            center - 1
        } else {
            center
        };
        if self.allow_merge(target, target + 1) {
            self.merge_pair(target);
        }
        target
    }

    /// `_quicklistInsert`: inserts `value` before or `after` the element at `position` of node `at`.
    pub fn insert_at(&mut self, at: usize, position: usize, value: &[u8], after: bool) {
        let fill = self.fill_i64();
        let size = value.len();
        let node_count = self.nodes[at].count();
        let full = !self.allow_insert(Some(at), size);
        let at_tail = after && position + 1 == node_count;
        let at_head = !after && position == 0;
        let available_next = at_tail && self.allow_insert(Some(at + 1), size);
        let available_prev = at_head && at > 0 && self.allow_insert(Some(at - 1), size);
        let neighbour = if after { at + 1 } else { at };
        if is_large(size, fill) {
            if self.nodes[at].is_plain() || at_tail || at_head {
                self.insert_node(neighbour, Node::Plain(value.to_vec()));
            } else {
                let other = self.split(at, position, after);
                if after {
                    self.insert_node(at + 1, Node::Plain(value.to_vec()));
                    self.insert_node(at + 2, other);
                } else {
                    self.insert_node(at, other);
                    self.insert_node(at + 1, Node::Plain(value.to_vec()));
                }
            }
            self.count += 1;
            return;
        }
        if !full {
            if let Node::Packed(lp) = &mut self.nodes[at] {
                let offset = seek(lp.view(), position).map(|offset| {
                    if after {
                        lp.next(offset).unwrap_or(lp.byte_len() - 1)
                    } else {
                        offset
                    }
                });
                if let Some(offset) = offset {
                    insert_at(lp, offset, value);
                }
            }
        } else if at_tail && available_next {
            if let Some(Node::Packed(lp)) = self.nodes.get_mut(at + 1) {
                push_front(lp, value);
            }
        } else if at_head && available_prev {
            if let Some(Node::Packed(lp)) = self.nodes.get_mut(at - 1) {
                push_back(lp, value);
            }
        } else if at_tail || at_head {
            self.insert_node(neighbour, Node::single(value, fill));
        } else {
            let mut other = self.split(at, position, after);
            if let Node::Packed(lp) = &mut other {
                if after {
                    push_front(lp, value);
                } else {
                    push_back(lp, value);
                }
            }
            let (new_at, center) = if after { (at + 1, at) } else { (at, at + 1) };
            self.insert_node(new_at, other);
            self.merge_around(center);
        }
        self.count += 1;
    }

    /// The node and position of the first element equal to `value`, from the head.
    pub fn find(&self, value: &[u8]) -> Option<(usize, usize)> {
        for (at, node) in self.nodes.iter().enumerate() {
            match node {
                Node::Plain(bytes) if bytes.as_slice() == value => return Some((at, 0)),
                Node::Plain(_) => {}
                Node::Packed(lp) => {
                    if let Some(position) = lp.iter().position(|entry| entry.eq_bytes(value)) {
                        return Some((at, position));
                    }
                }
            }
        }
        None
    }

    /// LREM over the nodes: removes up to `limit` elements equal to `value` (0 for all), from the tail
    /// when `from_tail`; nodes left empty go away. Returns how many were removed.
    pub fn remove_matching(&mut self, value: &[u8], limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        let mut at = if from_tail {
            self.nodes.len().checked_sub(1)
        } else {
            Some(0)
        };
        while let Some(index) = at.filter(|&i| i < self.nodes.len()) {
            if limit != 0 && removed == limit {
                break;
            }
            let here = match &mut self.nodes[index] {
                Node::Plain(bytes) => usize::from(bytes.as_slice() == value),
                Node::Packed(lp) => {
                    let left = if limit == 0 { 0 } else { limit - removed };
                    let here = super::remove_matching(lp, value, left, from_tail);
                    release_spare(lp);
                    here
                }
            };
            removed += here;
            let emptied = here > 0 && self.nodes[index].is_plain()
                || matches!(&self.nodes[index], Node::Packed(lp) if lp.is_empty());
            if emptied {
                self.removed_from(index, here);
            } else {
                self.count -= here;
            }
            at = if from_tail {
                index.checked_sub(1)
            } else if emptied {
                Some(index)
            } else {
                Some(index + 1)
            };
        }
        removed
    }

    /// Removes the element at `position` of node `at` (`quicklistDelIndex`); true when the node went
    /// away with it.
    pub fn remove_at(&mut self, at: usize, position: usize) -> bool {
        if let Some(Node::Packed(lp)) = self.nodes.get_mut(at) {
            if let Some(offset) = seek(lp.view(), position) {
                lp.remove(offset);
                release_spare(lp);
            }
        }
        let gone = self
            .nodes
            .get(at)
            .is_some_and(|node| node.is_plain() || node.count() == 0);
        self.removed_from(at, 1);
        gone
    }
}

/// An element taken out of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popped {
    /// Stored as an integer in a quicklist node (Valkey hands out an integer-encoded object).
    Int(i64),
    /// Bytes (every element of a listpack-encoded list, which Valkey hands out as a string).
    Bytes(Vec<u8>),
}

impl Popped {
    fn from_entry(entry: Entry<'_>) -> Popped {
        match entry {
            Entry::Int(n) => Popped::Int(n),
            Entry::Bytes(bytes) => Popped::Bytes(bytes.to_vec()),
        }
    }

    /// The element's text.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Popped::Int(n) => itoa::Buffer::new().format(*n).as_bytes().to_vec(),
            Popped::Bytes(bytes) => bytes.clone(),
        }
    }

    /// The bytes Valkey counts for it when deciding whether a listpack must become a quicklist: only
    /// string objects count, integer-encoded ones add nothing.
    pub fn counted_bytes(&self) -> usize {
        match self {
            Popped::Int(_) => 0,
            Popped::Bytes(bytes) => bytes.len(),
        }
    }
}
