//! The small sorted-set encoding: a listpack of member, score, member, score ... sorted by score then
//! member, byte-identical to Valkey's (scores that are integers are stored as integers, others as
//! `d2string` text).

use std::cmp::Ordering;

use ferry_rdb::listpack::{Entry, Listpack, ListpackRef};

use super::score::{parse_stored, stored_text};

/// A listpack kept as exactly-sized bytes: with no spare capacity and a 16-byte handle, a small
/// sorted set costs about what Valkey's does.
#[derive(Clone, PartialEq, Eq)]
pub struct Packed(Box<[u8]>);

impl Default for Packed {
    fn default() -> Self {
        Packed(Listpack::new().into_bytes().into_boxed_slice())
    }
}

impl Packed {
    /// Read access.
    pub fn view(&self) -> ListpackRef<'_> {
        ListpackRef::new(&self.0)
    }

    /// Changes the listpack through the codec's owned form, then keeps it exactly sized again.
    pub fn edit<R>(&mut self, change: impl FnOnce(&mut Listpack) -> R) -> R {
        let mut lp = Listpack::from_trusted_bytes(std::mem::take(&mut self.0).into_vec());
        let result = change(&mut lp);
        self.0 = lp.into_bytes().into_boxed_slice();
        result
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.view()
                    .iter()
                    .map(|e| String::from_utf8_lossy(&e.to_vec()).into_owned()),
            )
            .finish()
    }
}

/// The score held in a listpack entry.
pub fn entry_score(entry: Entry<'_>) -> f64 {
    match entry {
        Entry::Int(n) => n as f64,
        Entry::Bytes(text) => parse_stored(text),
    }
}

/// Calls `f` with the text of an entry (integers in decimal).
pub fn with_text<R>(entry: Entry<'_>, f: impl FnOnce(&[u8]) -> R) -> R {
    match entry {
        Entry::Int(n) => f(itoa::Buffer::new().format(n).as_bytes()),
        Entry::Bytes(bytes) => f(bytes),
    }
}

/// Orders a member entry against `member` by bytes.
fn cmp_member(entry: Entry<'_>, member: &[u8]) -> Ordering {
    with_text(entry, |text| text.cmp(member))
}

/// Number of (member, score) pairs.
pub fn len(lp: ListpackRef<'_>) -> usize {
    lp.len() / 2
}

/// (member, score) pairs from a position, in either direction.
pub struct Pairs<'a> {
    lp: ListpackRef<'a>,
    /// Offset of the next member entry.
    next: Option<usize>,
    reverse: bool,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (Entry<'a>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        let member_at = self.next?;
        let score_at = self.lp.next(member_at)?;
        let item = (self.lp.get(member_at), entry_score(self.lp.get(score_at)));
        self.next = if self.reverse {
            self.lp.prev(member_at).and_then(|at| self.lp.prev(at))
        } else {
            self.lp.next(score_at)
        };
        Some(item)
    }
}

/// Pairs from `rank` on, towards the end (or the start when `reverse`).
pub fn pairs_from(lp: ListpackRef<'_>, rank: usize, reverse: bool) -> Pairs<'_> {
    let next = if rank < len(lp) {
        lp.seek(2 * rank as i64)
    } else {
        None
    };
    Pairs { lp, next, reverse }
}

/// The offset of `member`'s entry, its rank and its score.
pub fn find(lp: ListpackRef<'_>, member: &[u8]) -> Option<(usize, usize, f64)> {
    let mut at = lp.first();
    let mut rank = 0;
    while let Some(member_at) = at {
        let score_at = lp.next(member_at)?;
        if lp.get(member_at).eq_bytes(member) {
            return Some((member_at, rank, entry_score(lp.get(score_at))));
        }
        at = lp.next(score_at);
        rank += 1;
    }
    None
}

/// Inserts a member that is not present, keeping the order.
pub fn insert(lp: &mut Listpack, member: &[u8], score: f64) {
    let mut at = lp.first();
    let mut position = None;
    while let Some(member_at) = at {
        let Some(score_at) = lp.next(member_at) else {
            break;
        };
        let current = entry_score(lp.get(score_at));
        if current > score
            || (current == score && cmp_member(lp.get(member_at), member) == Ordering::Greater)
        {
            position = Some(member_at);
            break;
        }
        at = lp.next(score_at);
    }
    let position = position.unwrap_or(lp.byte_len() - 1);
    let mut text = Vec::with_capacity(24);
    stored_text(score, &mut text);
    lp.insert(position, &text);
    lp.insert(position, member);
}

/// Removes the pair whose member entry is at `member_at`.
pub fn delete(lp: &mut Listpack, member_at: usize) {
    let score_at = lp.remove(member_at);
    lp.remove(score_at);
}

/// Removes `count` pairs starting at `rank`.
pub fn delete_ranks(lp: &mut Listpack, rank: usize, count: usize) {
    let Some(mut at) = lp.seek(2 * rank as i64) else {
        return;
    };
    for _ in 0..2 * count {
        if at >= lp.byte_len() - 1 {
            break;
        }
        at = lp.remove(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_stay_sorted_and_integers_are_compact() {
        let mut packed = Packed::default();
        packed.edit(|lp| {
            insert(lp, b"b", 2.0);
            insert(lp, b"a", 2.0);
            insert(lp, b"10", 1.5);
            insert(lp, b"z", -0.0);
        });
        let lp = packed.view();
        let pairs: Vec<(Vec<u8>, f64)> = pairs_from(lp, 0, false)
            .map(|(m, s)| (m.to_vec(), s))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (b"z".to_vec(), 0.0),
                (b"10".to_vec(), 1.5),
                (b"a".to_vec(), 2.0),
                (b"b".to_vec(), 2.0)
            ]
        );
        assert_eq!(lp.get(lp.seek(2).unwrap_or(0)), Entry::Int(10));
        assert_eq!(find(lp, b"a").map(|f| (f.1, f.2)), Some((2, 2.0)));
        let back: Vec<Vec<u8>> = pairs_from(lp, 2, true).map(|(m, _)| m.to_vec()).collect();
        assert_eq!(back, vec![b"a".to_vec(), b"10".to_vec(), b"z".to_vec()]);
        let Some((at, _, _)) = find(lp, b"10") else {
            panic!("missing")
        };
        packed.edit(|lp| delete(lp, at));
        assert_eq!(len(packed.view()), 3);
        packed.edit(|lp| delete_ranks(lp, 1, 2));
        assert_eq!(len(packed.view()), 1);
        assert!(find(packed.view(), b"z").is_some());
    }
}
