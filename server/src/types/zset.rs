//! The sorted-set type in Valkey's two encodings: a listpack of (member, score) pairs for small sets
//! (OBJECT ENCODING `listpack`) and, past `zset-max-listpack-entries` elements or a member longer than
//! `zset-max-listpack-value`, an order-statistic tree plus a member index (`skiplist`). Conversions
//! happen at the same moments as in Valkey, and range lookups follow each encoding's own rules where
//! Valkey's differ (negative LIMIT offsets, lex ranges over mixed scores).

mod elem;
mod index;
mod packed;
pub mod score;
mod sorted;
mod tree;

use ferry_rdb::listpack::{Listpack, ListpackRef};

use crate::types::thin::{Blob, ListpackFormat, PackedBox};
use elem::Elem;
pub use sorted::Sorted;

/// Largest listpack Valkey builds (`LISTPACK_MAX_SAFETY_SIZE`).
const LISTPACK_SAFETY_SIZE: usize = 1 << 30;

/// The encoding thresholds (`zset-max-listpack-entries`, `zset-max-listpack-value`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most elements a listpack-encoded sorted set holds.
    pub max_entries: usize,
    /// Longest member a listpack-encoded sorted set holds.
    pub max_value: usize,
}

/// A sorted set, stored pointer-sized (9 bytes, alignment 1) so it fits beside `Value`'s tag: a
/// listpack is one exact-size allocation, the large encoding one box.
pub struct ZSet(Stored);

#[derive(Clone)]
enum Stored {
    /// Member, score, member, score ... in order.
    Listpack(Blob<ListpackFormat>),
    /// The large encoding.
    Skiplist(PackedBox<Sorted>),
    /// Taken apart by [`ZSet::modify`].
    Moved,
}

/// Read access to a sorted set in either encoding.
#[derive(Clone, Copy)]
pub enum ZSetRef<'a> {
    /// Member, score, member, score ... in order.
    Listpack(ListpackRef<'a>),
    /// The large encoding.
    Skiplist(&'a Sorted),
}

/// The working form of a sorted set while it changes.
enum Data {
    Listpack(Listpack),
    Skiplist(Box<Sorted>),
}

/// ZADD's options as they reach one element.
#[derive(Debug, Clone, Copy, Default)]
pub struct AddFlags {
    /// Add the score to the current one.
    pub incr: bool,
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Only update to a greater score.
    pub gt: bool,
    /// Only update to a lesser score.
    pub lt: bool,
}

/// What adding one element did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Added {
    /// The resulting score would be NaN; nothing changed.
    Nan,
    /// NX/XX/GT/LT stopped it.
    Skipped,
    /// A new member with this score.
    New(f64),
    /// An existing member moved to this score.
    Updated(f64),
    /// An existing member kept this score.
    Same(f64),
}

/// One end of a lexicographic range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every string.
    Min,
    /// `+`: above every string.
    Max,
    /// `[text`
    Inclusive(Vec<u8>),
    /// `(text`
    Exclusive(Vec<u8>),
}

impl LexBound {
    /// Parses `-`, `+`, `[text` or `(text`.
    pub fn parse(text: &[u8]) -> Option<LexBound> {
        match text.split_first()? {
            (b'-', []) => Some(LexBound::Min),
            (b'+', []) => Some(LexBound::Max),
            (b'[', rest) => Some(LexBound::Inclusive(rest.to_vec())),
            (b'(', rest) => Some(LexBound::Exclusive(rest.to_vec())),
            _ => None,
        }
    }

    /// Whether the bound excludes its own value (`-` and `+` count as exclusive, as in Valkey).
    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Inclusive(_))
    }
}

/// A score or lexicographic range.
#[derive(Debug, Clone, PartialEq)]
pub enum Range {
    /// Scores between two bounds, each inclusive or exclusive.
    Score {
        /// Lower bound.
        min: f64,
        /// Whether `min` itself is excluded.
        min_exclusive: bool,
        /// Upper bound.
        max: f64,
        /// Whether `max` itself is excluded.
        max_exclusive: bool,
    },
    /// Members between two lexicographic bounds.
    Lex {
        /// Lower bound.
        min: LexBound,
        /// Upper bound.
        max: LexBound,
    },
}

impl Range {
    /// True when no element can be in the range whatever the set holds.
    fn is_empty(&self) -> bool {
        match self {
            Range::Score {
                min,
                min_exclusive,
                max,
                max_exclusive,
            } => min > max || (min == max && (*min_exclusive || *max_exclusive)),
            Range::Lex { min, max } => {
                let order = match (min, max) {
                    (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => {
                        std::cmp::Ordering::Equal
                    }
                    (LexBound::Min, _) | (_, LexBound::Max) => std::cmp::Ordering::Less,
                    (LexBound::Max, _) | (_, LexBound::Min) => std::cmp::Ordering::Greater,
                    (
                        LexBound::Inclusive(a) | LexBound::Exclusive(a),
                        LexBound::Inclusive(b) | LexBound::Exclusive(b),
                    ) => a.cmp(b),
                };
                order.is_gt() || (order.is_eq() && (min.exclusive() || max.exclusive()))
            }
        }
    }

    /// True when an element is not below the range.
    pub fn gte_min(&self, member: &[u8], score: f64) -> bool {
        match self {
            Range::Score {
                min, min_exclusive, ..
            } => {
                if *min_exclusive {
                    score > *min
                } else {
                    score >= *min
                }
            }
            Range::Lex { min, .. } => match min {
                LexBound::Min => true,
                LexBound::Max => false,
                LexBound::Inclusive(bound) => member >= bound.as_slice(),
                LexBound::Exclusive(bound) => member > bound.as_slice(),
            },
        }
    }

    /// True when an element is not above the range.
    pub fn lte_max(&self, member: &[u8], score: f64) -> bool {
        match self {
            Range::Score {
                max, max_exclusive, ..
            } => {
                if *max_exclusive {
                    score < *max
                } else {
                    score <= *max
                }
            }
            Range::Lex { max, .. } => match max {
                LexBound::Max => true,
                LexBound::Min => false,
                LexBound::Inclusive(bound) => member <= bound.as_slice(),
                LexBound::Exclusive(bound) => member < bound.as_slice(),
            },
        }
    }
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::from_data(Data::Listpack(Listpack::new()))
    }
}

impl Clone for ZSet {
    fn clone(&self) -> Self {
        ZSet(self.0.clone())
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        self.view().visit(0, false, |member, score| {
            list.entry(&(String::from_utf8_lossy(member), score));
            true
        });
        list.finish()
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &ZSet) -> bool {
        let (mine, theirs) = (self.view(), other.view());
        if mine.encoding_name() != theirs.encoding_name() || mine.len() != theirs.len() {
            return false;
        }
        let mut elements = Vec::with_capacity(mine.len());
        mine.visit(0, false, |member, score| {
            elements.push((member.to_vec(), score));
            true
        });
        let mut equal = true;
        let mut index = 0;
        theirs.visit(0, false, |member, score| {
            equal = elements
                .get(index)
                .is_some_and(|(m, s)| m == member && s.to_bits() == score.to_bits());
            index += 1;
            equal
        });
        equal
    }
}

/// The empty listpack, viewed when a set is read while being changed (never in practice).
const EMPTY_LISTPACK: [u8; 7] = [7, 0, 0, 0, 0, 0, 0xFF];

impl ZSet {
    /// Stores `data` compactly: a listpack as one exact-size allocation, the large encoding boxed.
    fn from_data(data: Data) -> ZSet {
        match data {
            Data::Listpack(lp) => match Blob::new(lp.into_bytes()) {
                Ok(blob) => ZSet(Stored::Listpack(blob)),
                // A listpack header always states its size; should it not, keep the elements in the
                // large encoding rather than lose them.
                Err(bytes) => {
                    let mut data = Data::Listpack(Listpack::from_trusted_bytes(bytes));
                    data.convert_to_skiplist();
                    ZSet::from_data(data)
                }
            },
            Data::Skiplist(sorted) => ZSet(Stored::Skiplist(PackedBox::new(sorted))),
        }
    }

    /// Runs `change` on the working form and stores the result compactly again. Neither encoding is
    /// copied: the listpack bytes and the box change hands.
    fn modify<R>(&mut self, change: impl FnOnce(&mut Data) -> R) -> R {
        let mut data = match std::mem::replace(&mut self.0, Stored::Moved) {
            Stored::Listpack(blob) => Data::Listpack(Listpack::from_trusted_bytes(blob.into_vec())),
            Stored::Skiplist(sorted) => Data::Skiplist(sorted.into_box()),
            Stored::Moved => Data::Listpack(Listpack::new()),
        };
        let result = change(&mut data);
        *self = ZSet::from_data(data);
        result
    }

    /// Turns a listpack-encoded sorted set into the skiplist encoding (SORT does this to every sorted
    /// set it reads, even SORT_RO, and OBJECT ENCODING shows it).
    pub fn convert_to_skiplist(&mut self) {
        if self.view().is_listpack() {
            self.modify(Data::convert_to_skiplist);
        }
    }

    /// Read access.
    pub fn view(&self) -> ZSetRef<'_> {
        match &self.0 {
            Stored::Listpack(blob) => ZSetRef::Listpack(ListpackRef::new(blob.as_slice())),
            Stored::Skiplist(sorted) => ZSetRef::Skiplist(sorted.get()),
            Stored::Moved => ZSetRef::Listpack(ListpackRef::new(&EMPTY_LISTPACK)),
        }
    }

    /// An empty set in the encoding Valkey picks for `size_hint` elements whose longest member is
    /// `value_len_hint` bytes (`zsetTypeCreate`).
    pub fn with_hint(size_hint: usize, value_len_hint: usize, limits: Limits) -> ZSet {
        if size_hint <= limits.max_entries && value_len_hint <= limits.max_value {
            ZSet::default()
        } else {
            ZSet::from_data(Data::Skiplist(Box::default()))
        }
    }

    /// A set holding `pairs` (distinct members, any order), encoded as Valkey encodes a stored result:
    /// a listpack when it is small enough, the large encoding otherwise.
    pub fn from_pairs(mut pairs: Vec<(Vec<u8>, f64)>, limits: Limits) -> ZSet {
        pairs.sort_by(|a, b| elem::compare(a.1, &a.0, b.1, &b.0));
        let longest = pairs.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        let total: usize = pairs.iter().map(|(m, _)| m.len()).sum();
        if pairs.len() <= limits.max_entries
            && longest <= limits.max_value
            && total <= LISTPACK_SAFETY_SIZE
        {
            let mut lp = Listpack::new();
            let mut text = Vec::with_capacity(24);
            for (member, score) in &pairs {
                lp.push_back(member);
                text.clear();
                score::stored_text(*score, &mut text);
                lp.push_back(&text);
            }
            ZSet::from_data(Data::Listpack(lp))
        } else {
            ZSet::from_data(Data::Skiplist(Box::new(Sorted::from_sorted(
                pairs.iter().map(|(m, s)| (m.as_slice(), *s)),
            ))))
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True when the set has no elements (it is then deleted).
    pub fn is_empty(&self) -> bool {
        self.view().is_empty()
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        self.view().encoding_name()
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.view().score(member)
    }

    /// The 0-based rank (lowest score first) and the score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        self.view().rank(member)
    }

    /// Calls `f` with each element from `rank` on (towards the end, or the start when `reverse`)
    /// until it returns false.
    pub fn visit(&self, rank: usize, reverse: bool, f: impl FnMut(&[u8], f64) -> bool) {
        self.view().visit(rank, reverse, f);
    }

    /// The element at `rank`.
    pub fn get(&self, rank: usize) -> Option<(Vec<u8>, f64)> {
        self.view().get(rank)
    }

    /// See [`ZSetRef::first_in`].
    pub fn first_in(&self, range: &Range) -> Option<usize> {
        self.view().first_in(range)
    }

    /// See [`ZSetRef::range_start`].
    pub fn range_start(&self, range: &Range, offset: i64, reverse: bool) -> Option<usize> {
        self.view().range_start(range, offset, reverse)
    }

    /// ZCOUNT / ZLEXCOUNT.
    pub fn count_in(&self, range: &Range) -> usize {
        self.view().count_in(range)
    }

    /// See [`ZSetRef::scan_step`].
    pub fn scan_step(&self, cursor: u64, visit: impl FnMut(&[u8], &[u8])) -> u64 {
        self.view().scan_step(cursor, visit)
    }

    /// Converts a listpack to the large encoding when `size_hint` elements or a member of
    /// `value_len_hint` bytes would not fit (`zsetTypeMaybeConvert`).
    pub fn maybe_convert(&mut self, size_hint: usize, value_len_hint: usize, limits: Limits) {
        if matches!(self.0, Stored::Listpack(_))
            && (size_hint > limits.max_entries || value_len_hint > limits.max_value)
        {
            self.modify(|data| data.convert_to_skiplist());
        }
    }

    /// Adds or updates one element like Valkey's `zsetAdd`, converting to the large encoding when the
    /// listpack would outgrow the limits.
    pub fn add(&mut self, member: &[u8], score: f64, flags: AddFlags, limits: Limits) -> Added {
        self.modify(|data| data.add(member, score, flags, limits))
    }

    /// Removes `member`. Returns true when it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        if self.view().score(member).is_none() {
            return false;
        }
        self.modify(|data| data.remove(member))
    }

    /// Removes the elements with ranks `start..=end` (already clamped); returns how many.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        self.modify(|data| data.remove_ranks(start, end))
    }

    /// ZREMRANGEBYSCORE / ZREMRANGEBYLEX: removes from the first element in range while elements stay
    /// below the maximum; returns how many.
    pub fn remove_in(&mut self, range: &Range) -> usize {
        self.modify(|data| data.remove_in(range))
    }

    /// Removes and returns the lowest (or highest when `max`) element.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        self.modify(|data| data.pop(max))
    }
}

impl<'a> ZSetRef<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            ZSetRef::Listpack(lp) => packed::len(*lp),
            ZSetRef::Skiplist(sorted) => sorted.len(),
        }
    }

    /// True when the set has no elements (it is then deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            ZSetRef::Listpack(_) => "listpack",
            ZSetRef::Skiplist(_) => "skiplist",
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetRef::Listpack(lp) => packed::find(*lp, member).map(|(_, _, score)| score),
            ZSetRef::Skiplist(sorted) => sorted.score(member),
        }
    }

    /// The 0-based rank (lowest score first) and the score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSetRef::Listpack(lp) => {
                packed::find(*lp, member).map(|(_, rank, score)| (rank, score))
            }
            ZSetRef::Skiplist(sorted) => sorted.rank(member),
        }
    }

    /// Calls `f` with each element from `rank` on (towards the end, or the start when `reverse`)
    /// until it returns false.
    pub fn visit(&self, rank: usize, reverse: bool, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            ZSetRef::Listpack(lp) => {
                for (member, score) in packed::pairs_from(*lp, rank, reverse) {
                    if !packed::with_text(member, |text| f(text, score)) {
                        return;
                    }
                }
            }
            ZSetRef::Skiplist(sorted) => {
                for elem in sorted.iter_from(rank, reverse) {
                    if !f(elem.member(), elem.score()) {
                        return;
                    }
                }
            }
        }
    }

    /// The element at `rank`.
    pub fn get(&self, rank: usize) -> Option<(Vec<u8>, f64)> {
        let mut found = None;
        self.visit(rank, false, |member, score| {
            found = Some((member.to_vec(), score));
            false
        });
        found
    }

    /// Valkey's `zzlIsInRange`/`zslIsInRange`: the range is not empty and overlaps the set's ends.
    fn overlaps(&self, range: &Range) -> bool {
        if range.is_empty() || self.is_empty() {
            return false;
        }
        let last = self.len() - 1;
        let mut ok = true;
        self.visit(last, false, |member, score| {
            ok = range.gte_min(member, score);
            false
        });
        if ok {
            self.visit(0, false, |member, score| {
                ok = range.lte_max(member, score);
                false
            });
        }
        ok
    }

    fn check_at(&self, rank: usize, test: impl FnOnce(&[u8], f64) -> bool) -> bool {
        let mut test = Some(test);
        let mut ok = false;
        self.visit(rank, false, |member, score| {
            if let Some(test) = test.take() {
                ok = test(member, score);
            }
            false
        });
        ok
    }

    /// The rank of the first element in the range. The listpack is scanned from the start like Valkey's
    /// `zzlFirstInRange`; the large encoding descends assuming the order (as its skiplist does).
    pub fn first_in(&self, range: &Range) -> Option<usize> {
        if !self.overlaps(range) {
            return None;
        }
        let first = match self {
            ZSetRef::Listpack(lp) => {
                packed::pairs_from(*lp, 0, false).position(|(member, score)| {
                    packed::with_text(member, |text| range.gte_min(text, score))
                })?
            }
            ZSetRef::Skiplist(sorted) => {
                sorted.count_while(|score, member| !range.gte_min(member, score))
            }
        };
        self.check_at(first, |member, score| range.lte_max(member, score))
            .then_some(first)
    }

    /// The rank of the last element in the range (mirror of [`ZSet::first_in`]).
    pub fn last_in(&self, range: &Range) -> Option<usize> {
        if !self.overlaps(range) {
            return None;
        }
        let last = match self {
            ZSetRef::Listpack(lp) => {
                let from_end =
                    packed::pairs_from(*lp, self.len() - 1, true).position(|(member, score)| {
                        packed::with_text(member, |text| range.lte_max(text, score))
                    })?;
                self.len() - 1 - from_end
            }
            ZSetRef::Skiplist(sorted) => sorted
                .count_while(|score, member| range.lte_max(member, score))
                .checked_sub(1)?,
        };
        self.check_at(last, |member, score| range.gte_min(member, score))
            .then_some(last)
    }

    /// Valkey's `zslNthInRange`: the `n`th element of the range (0-based), counting from its end when
    /// `n` is negative; used by the large encoding only.
    fn nth_in(&self, range: &Range, n: i64) -> Option<usize> {
        let ZSetRef::Skiplist(sorted) = self else {
            return None;
        };
        if !self.overlaps(range) {
            return None;
        }
        let len = sorted.len() as u128;
        if n >= 0 {
            let first = sorted.count_while(|score, member| !range.gte_min(member, score));
            let target = first as u128 + n as u128;
            if target >= len {
                return None;
            }
            let target = target as usize;
            self.check_at(target, |member, score| range.lte_max(member, score))
                .then_some(target)
        } else {
            if n == i64::MIN {
                return None;
            }
            let end = sorted.count_while(|score, member| range.lte_max(member, score));
            let back = n.unsigned_abs() as usize;
            let target = end.checked_sub(back)?;
            self.check_at(target, |member, score| range.gte_min(member, score))
                .then_some(target)
        }
    }

    /// Where ZRANGEBYSCORE/ZRANGEBYLEX start emitting for a LIMIT `offset`, following each encoding's
    /// rules: the listpack walks `offset` steps from the range's edge (a negative offset walks off the
    /// end), the large encoding asks for the `offset`th element of the range (negative counts from
    /// the other edge).
    pub fn range_start(&self, range: &Range, offset: i64, reverse: bool) -> Option<usize> {
        let len = self.len();
        if offset > 0 && offset as u64 >= len as u64 {
            return None;
        }
        match self {
            ZSetRef::Listpack(_) => {
                let edge = if reverse {
                    self.last_in(range)?
                } else {
                    self.first_in(range)?
                };
                let offset = usize::try_from(offset).ok()?;
                if reverse {
                    edge.checked_sub(offset)
                } else {
                    Some(edge + offset).filter(|&start| start < len)
                }
            }
            ZSetRef::Skiplist(_) => {
                let n = if reverse {
                    offset.wrapping_neg().wrapping_sub(1)
                } else {
                    offset
                };
                self.nth_in(range, n)
            }
        }
    }

    /// ZCOUNT / ZLEXCOUNT.
    pub fn count_in(&self, range: &Range) -> usize {
        match self {
            ZSetRef::Listpack(_) => {
                let Some(first) = self.first_in(range) else {
                    return 0;
                };
                let mut count = 0;
                self.visit(first, false, |member, score| {
                    let inside = range.lte_max(member, score);
                    count += usize::from(inside);
                    inside
                });
                count
            }
            ZSetRef::Skiplist(_) => {
                let Some(first) = self.nth_in(range, 0) else {
                    return 0;
                };
                match self.nth_in(range, -1) {
                    Some(last) => last + 1 - first.min(last + 1),
                    None => self.len() - first,
                }
            }
        }
    }

    /// One SCAN step: calls `visit` with each member and its score text, returns the next cursor. A
    /// listpack is returned whole (scores as stored); the large encoding goes bucket by bucket with
    /// `%.17g` scores.
    pub fn scan_step(&self, cursor: u64, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            ZSetRef::Listpack(lp) => {
                let mut entries = lp.iter();
                while let (Some(member), Some(score)) = (entries.next(), entries.next()) {
                    packed::with_text(member, |m| packed::with_text(score, |s| visit(m, s)));
                }
                0
            }
            ZSetRef::Skiplist(sorted) => sorted.scan(cursor, |member, score| {
                visit(member, score::format_g17(score).as_bytes());
            }),
        }
    }

    /// True for the listpack encoding.
    pub fn is_listpack(&self) -> bool {
        matches!(self, ZSetRef::Listpack(_))
    }
}

impl Data {
    fn view(&self) -> ZSetRef<'_> {
        match self {
            Data::Listpack(lp) => ZSetRef::Listpack(lp.view()),
            Data::Skiplist(sorted) => ZSetRef::Skiplist(sorted),
        }
    }

    fn convert_to_skiplist(&mut self) {
        let Data::Listpack(lp) = self else {
            return;
        };
        let elems: Vec<Elem> = packed::pairs_from(lp.view(), 0, false)
            .map(|(member, score)| packed::with_text(member, |text| Elem::new(text, score)))
            .collect();
        *self = Data::Skiplist(Box::new(Sorted::from_elems(elems)));
    }

    /// Adds or updates one element like Valkey's `zsetAdd`, converting to the large encoding when the
    /// listpack would outgrow the limits.
    pub fn add(&mut self, member: &[u8], score: f64, flags: AddFlags, limits: Limits) -> Added {
        if score.is_nan() {
            return Added::Nan;
        }
        if let Data::Listpack(lp) = self {
            if let Some((at, _, current)) = packed::find(lp.view(), member) {
                let new = match decide(current, score, flags) {
                    Ok(new) => new,
                    Err(outcome) => return outcome,
                };
                if new == current {
                    return Added::Same(new);
                }
                packed::delete(lp, at);
                packed::insert(lp, member, new);
                return Added::Updated(new);
            }
            if flags.xx {
                return Added::Skipped;
            }
            let fits = packed::len(lp.view()) < limits.max_entries
                && member.len() <= limits.max_value
                && lp.view().byte_len() + member.len() <= LISTPACK_SAFETY_SIZE;
            if fits {
                packed::insert(lp, member, score);
                return Added::New(score);
            }
            self.convert_to_skiplist();
        }
        let Data::Skiplist(sorted) = self else {
            return Added::Skipped;
        };
        match sorted.score(member) {
            Some(current) => {
                let new = match decide(current, score, flags) {
                    Ok(new) => new,
                    Err(outcome) => return outcome,
                };
                if new == current {
                    return Added::Same(new);
                }
                sorted.update(member, new);
                Added::Updated(new)
            }
            None if flags.xx => Added::Skipped,
            None => {
                sorted.insert(member, score);
                Added::New(score)
            }
        }
    }

    /// Removes `member`. Returns true when it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Data::Listpack(lp) => match packed::find(lp.view(), member) {
                Some((at, _, _)) => {
                    packed::delete(lp, at);
                    true
                }
                None => false,
            },
            Data::Skiplist(sorted) => sorted.remove(member).is_some(),
        }
    }

    /// Removes the elements with ranks `start..=end` (already clamped); returns how many.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        let count = end + 1 - start;
        match self {
            Data::Listpack(lp) => packed::delete_ranks(lp, start, count),
            Data::Skiplist(sorted) => {
                for _ in 0..count {
                    sorted.remove_at(start);
                }
            }
        }
        count
    }

    /// ZREMRANGEBYSCORE / ZREMRANGEBYLEX: removes from the first element in range while elements stay
    /// below the maximum; returns how many.
    pub fn remove_in(&mut self, range: &Range) -> usize {
        let first = match self {
            Data::Listpack(_) => self.view().first_in(range),
            Data::Skiplist(sorted) => {
                Some(sorted.count_while(|score, member| !range.gte_min(member, score)))
            }
        };
        let Some(first) = first else {
            return 0;
        };
        let mut count = 0;
        self.view().visit(first, false, |member, score| {
            let inside = range.lte_max(member, score);
            count += usize::from(inside);
            inside
        });
        if count > 0 {
            self.remove_ranks(first, first + count - 1);
        }
        count
    }

    /// Removes and returns the lowest (or highest when `max`) element.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let len = self.view().len();
        if len == 0 {
            return None;
        }
        let rank = if max { len - 1 } else { 0 };
        let popped = self.view().get(rank)?;
        self.remove_ranks(rank, rank);
        Some(popped)
    }
}

/// Applies NX/INCR/GT/LT to an existing element's score.
fn decide(current: f64, score: f64, flags: AddFlags) -> Result<f64, Added> {
    if flags.nx {
        return Err(Added::Skipped);
    }
    let mut new = score;
    if flags.incr {
        new += current;
        if new.is_nan() {
            return Err(Added::Nan);
        }
    }
    if (flags.lt && new >= current) || (flags.gt && new <= current) {
        return Err(Added::Skipped);
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SMALL: Limits = Limits {
        max_entries: 8,
        max_value: 10,
    };

    fn contents(zset: &ZSet) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::new();
        zset.visit(0, false, |m, s| {
            out.push((m.to_vec(), s));
            true
        });
        out
    }

    /// What a ZRANGEBYSCORE with this LIMIT offset returns.
    fn emitted(zset: &ZSet, range: &Range, offset: i64, reverse: bool) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        if let Some(start) = zset.range_start(range, offset, reverse) {
            zset.visit(start, reverse, |m, s| {
                let inside = if reverse {
                    range.gte_min(m, s)
                } else {
                    range.lte_max(m, s)
                };
                if inside {
                    out.push(m.to_vec());
                }
                inside
            });
        }
        out
    }

    #[test]
    fn a_sorted_set_handle_fits_beside_the_value_tag() {
        assert_eq!(std::mem::size_of::<ZSet>(), 9);
        assert_eq!(std::mem::align_of::<ZSet>(), 1);
        assert_eq!(std::mem::size_of::<crate::types::Value>(), 16);
    }

    #[test]
    fn converts_when_the_listpack_outgrows_its_limits() {
        let mut zset = ZSet::with_hint(1, 1, SMALL);
        for i in 0..8 {
            let outcome = zset.add(
                format!("{i}").as_bytes(),
                f64::from(i),
                AddFlags::default(),
                SMALL,
            );
            assert_eq!(outcome, Added::New(f64::from(i)));
        }
        assert_eq!(zset.encoding_name(), "listpack");
        zset.add(b"x", 0.5, AddFlags::default(), SMALL);
        assert_eq!(zset.encoding_name(), "skiplist");
        assert_eq!(zset.rank(b"x"), Some((1, 0.5)));
        let mut small = ZSet::default();
        small.add(b"0123456789a", 1.0, AddFlags::default(), SMALL);
        assert_eq!(small.encoding_name(), "skiplist");
    }

    #[test]
    fn add_flags_follow_zadd() {
        let mut zset = ZSet::default();
        let flags = |f: &str| AddFlags {
            incr: f.contains('i'),
            nx: f.contains('n'),
            xx: f.contains('x'),
            gt: f.contains('g'),
            lt: f.contains('l'),
        };
        assert_eq!(zset.add(b"a", 1.0, flags("x"), SMALL), Added::Skipped);
        assert_eq!(zset.add(b"a", 1.0, flags(""), SMALL), Added::New(1.0));
        assert_eq!(zset.add(b"a", 5.0, flags("n"), SMALL), Added::Skipped);
        assert_eq!(zset.add(b"a", 0.0, flags("g"), SMALL), Added::Skipped);
        assert_eq!(zset.add(b"a", 2.0, flags("ig"), SMALL), Added::Updated(3.0));
        assert_eq!(zset.add(b"a", 0.0, flags("i"), SMALL), Added::Same(3.0));
        assert_eq!(
            zset.add(b"a", f64::INFINITY, flags("i"), SMALL),
            Added::Updated(f64::INFINITY)
        );
        assert_eq!(
            zset.add(b"a", f64::NEG_INFINITY, flags("i"), SMALL),
            Added::Nan
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(u8, i8),
        Remove(u8),
        Pop(bool),
        RemoveRanks(u8, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => (0u8..40, -5i8..5).prop_map(|(m, s)| Op::Add(m, s)),
            2 => (0u8..40).prop_map(Op::Remove),
            1 => any::<bool>().prop_map(Op::Pop),
            1 => (0u8..12, 0u8..12).prop_map(|(a, b)| Op::RemoveRanks(a, b)),
        ]
    }

    proptest! {
        /// Both encodings give the same answers for the same operations (lex queries on one score).
        #[test]
        fn encodings_agree(ops in proptest::collection::vec(op(), 0..300)) {
            let big = Limits { max_entries: 0, max_value: 0 };
            let mut small = ZSet::default();
            let mut large = ZSet::with_hint(1, 1, big);
            prop_assert_eq!(large.encoding_name(), "skiplist");
            for op in ops {
                match op {
                    Op::Add(m, s) => {
                        let m = format!("m{m}").into_bytes();
                        let a = small.add(&m, f64::from(s), AddFlags::default(), Limits { max_entries: 1000, max_value: 1000 });
                        let b = large.add(&m, f64::from(s), AddFlags::default(), big);
                        prop_assert_eq!(a, b);
                    }
                    Op::Remove(m) => {
                        let m = format!("m{m}").into_bytes();
                        prop_assert_eq!(small.remove(&m), large.remove(&m));
                    }
                    Op::Pop(max) => prop_assert_eq!(small.pop(max), large.pop(max)),
                    Op::RemoveRanks(a, b) => {
                        let (a, b) = (usize::from(a.min(b)), usize::from(a.max(b)));
                        if b < small.len() {
                            prop_assert_eq!(small.remove_ranks(a, b), large.remove_ranks(a, b));
                        }
                    }
                }
                prop_assert_eq!(contents(&small), contents(&large));
            }
            for min in -6..6 {
                for max in -6..6 {
                    for (minex, maxex) in [(false, false), (true, false), (false, true), (true, true)] {
                        let range = Range::Score { min: f64::from(min), min_exclusive: minex, max: f64::from(max), max_exclusive: maxex };
                        prop_assert_eq!(small.first_in(&range), large.first_in(&range));
                        prop_assert_eq!(small.view().last_in(&range), large.view().last_in(&range));
                        prop_assert_eq!(small.count_in(&range), large.count_in(&range));
                        for offset in [0i64, 1, 3] {
                            for reverse in [false, true] {
                                prop_assert_eq!(emitted(&small, &range, offset, reverse), emitted(&large, &range, offset, reverse));
                            }
                        }
                    }
                }
            }
        }
    }
}
