//! The list type. A small list is one listpack (OBJECT ENCODING `listpack`); when an addition would take
//! it past `list-max-listpack-size` it becomes a quicklist of listpack nodes, and it turns back into a
//! single listpack once it has shrunk to one node of at most half that limit (Valkey's hysteresis, so
//! a list at the boundary does not flip on every push and pop).
//!
//! A stored [`List`] is pointer-sized: the listpack encoding is one exact-size allocation (like
//! Valkey's listpack behind its object), the quicklist a box. Reads go through [`ListRef`]; changes
//! take the list apart into a [`ListData`] with [`List::modify`] and store it back.

pub mod quicklist;

use std::fmt;

use ferry_rdb::listpack::{Entry, Listpack, ListpackRef};

use crate::types::thin::{Blob, ListpackFormat, PackedBox};
use quicklist::{exceeds_limit, node_limit, release_spare, seek};
pub use quicklist::{Node, Popped, Quicklist};

/// A list as stored in the keyspace: pointer-sized and byte-aligned, so `Value` stays 16 bytes.
#[derive(Clone)]
pub struct List(Stored);

#[derive(Clone)]
enum Stored {
    Listpack(Blob<ListpackFormat>),
    Quicklist(PackedBox<Quicklist>),
    /// Only while [`List::modify`] holds the contents.
    Moved,
}

impl List {
    /// An empty list (never stored: commands delete emptied lists).
    pub fn new() -> List {
        List::from_data(ListData::new())
    }

    /// Read access.
    pub fn view(&self) -> ListRef<'_> {
        match &self.0 {
            Stored::Listpack(blob) => ListRef::Listpack(ListpackRef::new(blob.as_slice())),
            Stored::Quicklist(ql) => ListRef::Quicklist(ql.get()),
            Stored::Moved => ListRef::Listpack(ListpackRef::new(EMPTY_LISTPACK)),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        self.view().encoding_name()
    }

    /// Runs `change` on the list's working form and stores the result compactly again. A listpack
    /// changes hands without being copied.
    pub fn modify<R>(&mut self, change: impl FnOnce(&mut ListData) -> R) -> R {
        let mut data = match std::mem::replace(&mut self.0, Stored::Moved) {
            Stored::Listpack(blob) => {
                ListData::Listpack(Listpack::from_trusted_bytes(blob.into_vec()))
            }
            Stored::Quicklist(ql) => ListData::Quicklist(ql.into_box()),
            Stored::Moved => ListData::new(),
        };
        let result = change(&mut data);
        *self = List::from_data(data);
        result
    }

    /// Stores `data` compactly (a listpack shrunk to its exact size).
    pub fn from_data(data: ListData) -> List {
        match data {
            ListData::Listpack(lp) => match Blob::new(lp.into_bytes()) {
                Ok(blob) => List(Stored::Listpack(blob)),
                // Bytes whose header misstates their size cannot be held by a blob; keep the elements
                // in a quicklist rather than lose them.
                Err(bytes) => List(Stored::Quicklist(PackedBox::new(Box::new(
                    Quicklist::from_listpack(Listpack::from_trusted_bytes(bytes), -2),
                )))),
            },
            ListData::Quicklist(ql) => List(Stored::Quicklist(PackedBox::new(ql))),
        }
    }

    /// Valkey's shrinking conversion (see [`ListData::after_shrink`]); a listpack is left untouched.
    pub fn after_shrink(&mut self, fill: i64) {
        if matches!(self.0, Stored::Quicklist(_)) {
            self.modify(|data| data.after_shrink(fill));
        }
    }

    /// The quicklist fields DEBUG OBJECT appends (nothing for a listpack).
    pub fn debug_fields(&self, fast: bool) -> String {
        self.view().debug_fields(fast)
    }
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.view()
                    .iter(false)
                    .map(|e| String::from_utf8_lossy(&e.to_vec()).into_owned()),
            )
            .finish()
    }
}

impl PartialEq for List {
    /// Same encoding and same elements in the same order.
    fn eq(&self, other: &List) -> bool {
        let (a, b) = (self.view(), other.view());
        a.encoding_name() == b.encoding_name()
            && a.len() == b.len()
            && a.iter(false)
                .zip(b.iter(false))
                .all(|(x, y)| x.to_vec() == y.to_vec())
    }
}

/// The bytes of an empty listpack (what a list being modified reads as).
const EMPTY_LISTPACK: &[u8] = &[7, 0, 0, 0, 0, 0, 0xFF];

/// A list's working form, for changes.
#[derive(Debug, Clone, PartialEq)]
pub enum ListData {
    /// One listpack holding every element.
    Listpack(Listpack),
    /// Listpack nodes (and plain nodes for huge elements).
    Quicklist(Box<Quicklist>),
}

impl Default for ListData {
    fn default() -> Self {
        ListData::new()
    }
}

/// Read access to a list.
#[derive(Clone, Copy)]
pub enum ListRef<'a> {
    /// One listpack.
    Listpack(ListpackRef<'a>),
    /// A quicklist.
    Quicklist(&'a Quicklist),
}

/// A node seen by an iterator.
#[derive(Clone, Copy)]
enum NodeRef<'a> {
    Packed(ListpackRef<'a>),
    Plain(&'a [u8]),
}

impl<'a> NodeRef<'a> {
    /// Offset of the first element to visit in this node.
    fn start(self, reverse: bool) -> Option<usize> {
        match self {
            NodeRef::Packed(lp) if reverse => lp.last(),
            NodeRef::Packed(lp) => lp.first(),
            NodeRef::Plain(_) => Some(0),
        }
    }
}

impl ListData {
    /// An empty list in the listpack encoding.
    pub fn new() -> ListData {
        ListData::Listpack(Listpack::new())
    }

    /// A list made of loaded nodes (an RDB quicklist's listpacks and plain elements, in order), encoded
    /// as Valkey's loader leaves it (`LIST_CONV_AUTO`): one packed node within the `fill` limit becomes
    /// a listpack-encoded list, anything else a quicklist of exactly these nodes. Empty nodes are
    /// dropped.
    pub fn from_nodes(nodes: impl IntoIterator<Item = Node>, fill: i64) -> ListData {
        ListData::from_quicklist(Quicklist::from_nodes(nodes, fill), fill)
    }

    /// A newly built quicklist in the encoding Valkey's `LIST_CONV_AUTO` gives it: one packed node
    /// within the `fill` limit becomes a listpack-encoded list, anything else stays a quicklist.
    pub fn from_quicklist(ql: Quicklist, fill: i64) -> ListData {
        let (size_limit, count_limit) = node_limit(fill);
        let single_small = match ql.nodes().front() {
            Some(Node::Packed(lp)) if ql.nodes().len() == 1 => {
                lp.byte_len() <= size_limit && ql.len() <= count_limit
            }
            _ => ql.is_empty(),
        };
        if single_small {
            match ql.into_single_listpack() {
                Ok(lp) => ListData::Listpack(lp),
                Err(ql) if ql.is_empty() => ListData::new(),
                Err(ql) => ListData::Quicklist(Box::new(ql)),
            }
        } else {
            ListData::Quicklist(Box::new(ql))
        }
    }

    /// Read access.
    pub fn view(&self) -> ListRef<'_> {
        match self {
            ListData::Listpack(lp) => ListRef::Listpack(lp.view()),
            ListData::Quicklist(ql) => ListRef::Quicklist(ql),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Valkey's growing conversion (`listTypeTryConvertListpack`): before `added_count` elements of
    /// `added_bytes` bytes in all join, a listpack that would exceed `fill` becomes a quicklist.
    pub fn prepare_growth(&mut self, added_bytes: usize, added_count: usize, fill: i64) {
        if let ListData::Listpack(lp) = self {
            if exceeds_limit(fill, lp.byte_len() + added_bytes, lp.len() + added_count) {
                let lp = std::mem::take(lp);
                *self = ListData::Quicklist(Box::new(Quicklist::from_listpack(lp, fill)));
            }
        }
    }

    /// Valkey's shrinking conversion (`listTypeTryConvertQuicklist` with `shrinking`): a quicklist that
    /// is down to one packed node of at most half the `fill` limit becomes a listpack again.
    pub fn after_shrink(&mut self, fill: i64) {
        let ListData::Quicklist(ql) = self else {
            return;
        };
        let (size_limit, count_limit) = node_limit(fill);
        let fits = match ql.nodes().front() {
            Some(Node::Packed(lp)) if ql.nodes().len() == 1 => {
                lp.byte_len() <= size_limit / 2 && ql.len() <= count_limit / 2
            }
            _ => false,
        };
        if fits {
            if let ListData::Quicklist(ql) = std::mem::take(self) {
                *self = match ql.into_single_listpack() {
                    Ok(mut lp) => {
                        lp.shrink_to_fit();
                        ListData::Listpack(lp)
                    }
                    Err(ql) => ListData::Quicklist(Box::new(ql)),
                };
            }
        }
    }

    /// Adds `value` at the tail (`tail`) or the head.
    pub fn push(&mut self, value: &[u8], tail: bool) {
        match self {
            ListData::Listpack(lp) if tail => quicklist::push_back(lp, value),
            ListData::Listpack(lp) => quicklist::push_front(lp, value),
            ListData::Quicklist(ql) if tail => ql.push_back(value),
            ListData::Quicklist(ql) => ql.push_front(value),
        }
    }

    /// Removes and returns the element at the tail (`tail`) or the head.
    pub fn pop(&mut self, tail: bool) -> Option<Popped> {
        match self {
            ListData::Listpack(lp) => {
                let offset = if tail { lp.last() } else { lp.first() }?;
                let popped = Popped::Bytes(lp.get(offset).to_vec());
                lp.remove(offset);
                release_spare(lp);
                Some(popped)
            }
            ListData::Quicklist(ql) => ql.pop(tail),
        }
    }

    /// Replaces the element at `index` (negative counts from the tail). False when there is none.
    pub fn set(&mut self, index: i64, value: &[u8]) -> bool {
        let Some(index) = self.view().position(index) else {
            return false;
        };
        match self {
            ListData::Listpack(lp) => match seek(lp.view(), index) {
                Some(offset) => {
                    lp.reserve_exact(ferry_rdb::listpack::encoded_len(value));
                    lp.replace(offset, value);
                    release_spare(lp);
                    true
                }
                None => false,
            },
            ListData::Quicklist(ql) => ql.replace(index, value),
        }
    }

    /// Removes `count` elements starting at position `start`.
    pub fn remove_range(&mut self, start: usize, count: usize) {
        if count == 0 || start >= self.len() {
            return;
        }
        match self {
            ListData::Listpack(lp) => {
                if let Some(offset) = seek(lp.view(), start) {
                    lp.remove_range(offset, count);
                    release_spare(lp);
                }
            }
            ListData::Quicklist(ql) => ql.remove_range(start, count),
        }
    }

    /// LREM: removes up to `limit` elements equal to `value` (all of them when `limit` is 0), scanning
    /// from the tail when `from_tail`. Returns how many were removed.
    pub fn remove_value(&mut self, value: &[u8], limit: usize, from_tail: bool) -> usize {
        match self {
            ListData::Listpack(lp) => {
                let removed = remove_matching(lp, value, limit, from_tail);
                release_spare(lp);
                removed
            }
            ListData::Quicklist(ql) => ql.remove_matching(value, limit, from_tail),
        }
    }

    /// LINSERT: inserts `value` before (or `after`) the first element equal to `pivot`. False when no
    /// element matches.
    pub fn insert(&mut self, pivot: &[u8], value: &[u8], after: bool) -> bool {
        match self {
            ListData::Listpack(lp) => {
                let mut at = lp.first();
                while let Some(offset) = at {
                    if lp.get(offset).eq_bytes(pivot) {
                        let target = if after {
                            lp.next(offset).unwrap_or(lp.byte_len() - 1)
                        } else {
                            offset
                        };
                        quicklist::insert_at(lp, target, value);
                        return true;
                    }
                    at = lp.next(offset);
                }
                false
            }
            ListData::Quicklist(ql) => match ql.find(pivot) {
                Some((node, position)) => {
                    ql.insert_at(node, position, value, after);
                    true
                }
                None => false,
            },
        }
    }
}

impl<'a> ListRef<'a> {
    /// Number of elements.
    pub fn len(self) -> usize {
        match self {
            ListRef::Listpack(lp) => lp.len(),
            ListRef::Quicklist(ql) => ql.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(self) -> &'static str {
        match self {
            ListRef::Listpack(_) => "listpack",
            ListRef::Quicklist(_) => "quicklist",
        }
    }

    /// `index` (negative counts from the tail) as a position, if it is within the list.
    pub fn position(self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let index = if index < 0 { len + index } else { index };
        (0..len).contains(&index).then_some(index as usize)
    }

    /// The element at `index` (negative counts from the tail).
    pub fn get(self, index: i64) -> Option<Entry<'a>> {
        let index = self.position(index)?;
        match self {
            ListRef::Listpack(lp) => seek(lp, index).map(|offset| lp.get(offset)),
            ListRef::Quicklist(ql) => ql.get(index),
        }
    }

    /// Iterates from position `index` towards the tail, or towards the head when `reverse`.
    pub fn iter_from(self, index: usize, reverse: bool) -> Iter<'a> {
        let (node, offset) = match self {
            ListRef::Listpack(lp) => (0, seek(lp, index)),
            ListRef::Quicklist(ql) => match ql.locate(index) {
                Some((at, position)) => match &ql.nodes()[at] {
                    Node::Packed(lp) => (at, seek(lp.view(), position)),
                    Node::Plain(_) => (at, Some(0)),
                },
                None => (0, None),
            },
        };
        Iter {
            list: self,
            node,
            offset,
            reverse,
        }
    }

    /// Iterates over every element, from the head or (`reverse`) from the tail.
    pub fn iter(self, reverse: bool) -> Iter<'a> {
        let len = self.len();
        if len == 0 {
            return self.iter_from(0, reverse);
        }
        self.iter_from(if reverse { len - 1 } else { 0 }, reverse)
    }

    fn node(self, index: usize) -> Option<NodeRef<'a>> {
        match self {
            ListRef::Listpack(lp) => (index == 0).then_some(NodeRef::Packed(lp)),
            ListRef::Quicklist(ql) => ql.nodes().get(index).map(|node| match node {
                Node::Packed(lp) => NodeRef::Packed(lp.view()),
                Node::Plain(bytes) => NodeRef::Plain(bytes),
            }),
        }
    }

    /// The quicklist fields DEBUG OBJECT appends (nothing for a listpack). Nodes are never compressed:
    /// ferry ignores `list-compress-depth`.
    pub fn debug_fields(self, fast: bool) -> String {
        let ListRef::Quicklist(ql) = self else {
            return String::new();
        };
        let nodes = ql.nodes().len();
        let average = ql.len() as f64 / nodes as f64;
        let mut text = format!(
            " ql_nodes:{nodes} ql_avg_node:{average:.2} ql_listpack_max:{} ql_compressed:0",
            ql.fill()
        );
        if !fast {
            let size: usize = ql.nodes().iter().map(Node::size).sum();
            text.push_str(&format!(" ql_uncompressed_size:{size}"));
        }
        text
    }
}

/// Removes elements equal to `value` from one listpack, at most `limit` of them (0 for all), walking
/// from the tail when `from_tail`. Returns how many went.
pub fn remove_matching(lp: &mut Listpack, value: &[u8], limit: usize, from_tail: bool) -> usize {
    let mut removed = 0;
    let mut at = if from_tail { lp.last() } else { lp.first() };
    while let Some(offset) = at {
        if !lp.get(offset).eq_bytes(value) {
            at = if from_tail {
                lp.prev(offset)
            } else {
                lp.next(offset)
            };
            continue;
        }
        let following = lp.remove(offset);
        removed += 1;
        if removed == limit {
            break;
        }
        at = if from_tail {
            lp.prev(following)
        } else {
            (following + 1 < lp.byte_len()).then_some(following)
        };
    }
    removed
}

/// An iterator over a list's elements in one direction.
pub struct Iter<'a> {
    list: ListRef<'a>,
    node: usize,
    offset: Option<usize>,
    reverse: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let offset = self.offset?;
        let node = self.list.node(self.node)?;
        let (entry, within) = match node {
            NodeRef::Packed(lp) => {
                let following = if self.reverse {
                    lp.prev(offset)
                } else {
                    lp.next(offset)
                };
                (lp.get(offset), following)
            }
            NodeRef::Plain(bytes) => (Entry::Bytes(bytes), None),
        };
        self.offset = match within {
            Some(following) => Some(following),
            None => {
                let next_node = if self.reverse {
                    self.node.checked_sub(1)
                } else {
                    Some(self.node + 1)
                };
                next_node.and_then(|index| {
                    self.node = index;
                    self.list.node(index).and_then(|n| n.start(self.reverse))
                })
            }
        };
        Some(entry)
    }
}

#[cfg(test)]
mod tests;
