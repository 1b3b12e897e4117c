//! The set type. Members live in an intset while they are all integers and few, in a listpack while
//! few and short, and in a hashtable otherwise: Valkey's three encodings with its thresholds
//! (`set-max-intset-entries`, `set-max-listpack-entries`, `set-max-listpack-value`), converted at the
//! same moments (Valkey's `setTypeCreate`, `setTypeAddAux`, `setTypeMaybeConvert`,
//! `maybeConvertToIntset`), so OBJECT ENCODING agrees.
//!
//! A stored [`Set`] is compact (pointer-sized, see [`thin`]); commands read it through a [`SetRef`]
//! and change it by taking it apart into a [`SetData`] and putting it back.

use std::fmt;

use ferry_rdb::intset::{Intset, IntsetIter, IntsetRef};
use ferry_rdb::listpack::{self, Listpack};
use ferry_resp::number::parse_i64;
use rand::Rng;

use crate::config::Config;
use crate::keyspace::table::{self, Table};
use crate::types::thin::{Blob, IntsetFormat, ListpackFormat, PackedBox};

/// Valkey caps intsets at 2^30 elements whatever `set-max-intset-entries` says.
const INTSET_HARD_LIMIT: usize = 1 << 30;
/// Listpacks never grow past 1 GiB (Valkey's `LISTPACK_MAX_SAFETY_SIZE`).
const LISTPACK_SAFETY_SIZE: usize = 1 << 30;

/// One member as an encoding hands it out: intsets (and listpacks, for integer entries) give
/// numbers, the others bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    /// A member stored as an integer; its text is the decimal form.
    Int(i64),
    /// A member stored as bytes.
    Bytes(&'a [u8]),
}

impl<'a> Member<'a> {
    /// The member's value as an integer, if its text is a canonical integer (Valkey's `string2ll`).
    pub fn as_int(self) -> Option<i64> {
        match self {
            Member::Int(n) => Some(n),
            Member::Bytes(bytes) => parse_i64(bytes),
        }
    }

    /// The member's text.
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Member::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
            Member::Bytes(bytes) => bytes.to_vec(),
        }
    }

    /// Runs `f` on the member's text without allocating.
    pub fn with_text<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Int(n) => f(itoa::Buffer::new().format(n).as_bytes()),
            Member::Bytes(bytes) => f(bytes),
        }
    }
}

impl<'a> From<listpack::Entry<'a>> for Member<'a> {
    fn from(entry: listpack::Entry<'a>) -> Self {
        match entry {
            listpack::Entry::Int(n) => Member::Int(n),
            listpack::Entry::Bytes(bytes) => Member::Bytes(bytes),
        }
    }
}

/// The encoding thresholds, read from the configuration once per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `set-max-intset-entries`.
    pub intset_entries: usize,
    /// `set-max-listpack-entries`.
    pub listpack_entries: usize,
    /// `set-max-listpack-value`: the longest member a listpack holds, in bytes.
    pub listpack_value: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            intset_entries: 512,
            listpack_entries: 128,
            listpack_value: 64,
        }
    }
}

impl Limits {
    /// The thresholds currently configured.
    pub fn from_config(config: &Config) -> Self {
        let read = |name: &str| usize::try_from(config.get_i64(name)).unwrap_or(0);
        Self {
            intset_entries: read("set-max-intset-entries"),
            listpack_entries: read("set-max-listpack-entries"),
            listpack_value: read("set-max-listpack-value"),
        }
    }

    /// The most elements an intset may hold (Valkey's `intsetMaxEntries`).
    fn intset_max(&self) -> usize {
        self.intset_entries.min(INTSET_HARD_LIMIT)
    }
}

/// Which encoding a set uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Sorted integers.
    Intset,
    /// A listpack of members.
    Listpack,
    /// A hashtable of members.
    Hashtable,
}

impl Encoding {
    /// The name OBJECT ENCODING reports.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Intset => "intset",
            Encoding::Listpack => "listpack",
            Encoding::Hashtable => "hashtable",
        }
    }
}

/// A set as stored in the keyspace: pointer-sized and byte-aligned, so `Value` stays 16 bytes.
#[derive(Clone)]
pub struct Set(Stored);

enum Stored {
    Intset(Blob<IntsetFormat>),
    Listpack(Blob<ListpackFormat>),
    Hashtable(PackedBox<Table<(), ()>>),
}

impl Clone for Stored {
    fn clone(&self) -> Self {
        match self {
            Stored::Intset(blob) => Stored::Intset(blob.clone()),
            Stored::Listpack(blob) => Stored::Listpack(blob.clone()),
            // A copy is a fresh table the members are inserted into, one by one.
            Stored::Hashtable(table) => {
                let mut copy = Table::new();
                for (member, ()) in table.get().iter() {
                    copy.insert(member, ());
                }
                Stored::Hashtable(PackedBox::new(Box::new(copy)))
            }
        }
    }
}

impl Set {
    /// Read access.
    pub fn view(&self) -> SetRef<'_> {
        match &self.0 {
            Stored::Intset(blob) => SetRef::Intset(IntsetRef::new(blob.as_slice())),
            Stored::Listpack(blob) => SetRef::Listpack(blob.as_slice()),
            Stored::Hashtable(table) => SetRef::Hashtable(table.get()),
        }
    }

    /// The encoding.
    pub fn encoding(&self) -> Encoding {
        self.view().encoding()
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        self.encoding().name()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True when the set has no members (never true of a stored set).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the set apart for changing, without copying its members.
    pub fn into_data(self) -> SetData {
        match self.0 {
            Stored::Intset(blob) => SetData::Intset(Intset::from_trusted_bytes(blob.into_vec())),
            Stored::Listpack(blob) => {
                SetData::Listpack(Listpack::from_trusted_bytes(blob.into_vec()))
            }
            Stored::Hashtable(table) => SetData::Hashtable(table.into_box()),
        }
    }

    /// Stores `data` compactly (compact encodings are shrunk to their exact size).
    pub fn from_data(data: SetData) -> Set {
        let stored = match data {
            SetData::Intset(intset) => Blob::new(intset.into_bytes()).map(Stored::Intset),
            SetData::Listpack(lp) => Blob::new(lp.into_bytes()).map(Stored::Listpack),
            SetData::Hashtable(table) => Ok(Stored::Hashtable(PackedBox::new(table))),
        };
        match stored {
            Ok(stored) => Set(stored),
            // Bytes whose header misstates their size cannot be stored compactly; keep the
            // members in a hashtable instead of losing them.
            Err(bytes) => {
                let mut table = Table::new();
                let view = match ferry_rdb::intset::blob_len(&bytes) {
                    Some(len) if len == bytes.len() => SetRef::Intset(IntsetRef::new(&bytes)),
                    _ => SetRef::Listpack(&bytes),
                };
                for member in view.iter() {
                    member.with_text(|text| table.insert(text, ()));
                }
                Set(Stored::Hashtable(PackedBox::new(Box::new(table))))
            }
        }
    }
}

impl fmt::Debug for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(
                self.view()
                    .iter()
                    .map(|m| String::from_utf8_lossy(&m.to_vec()).into_owned()),
            )
            .finish()
    }
}

impl PartialEq for Set {
    /// The same encoding and the same members (compact encodings also in the same order).
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Stored::Intset(a), Stored::Intset(b)) => a.as_slice() == b.as_slice(),
            (Stored::Listpack(a), Stored::Listpack(b)) => a.as_slice() == b.as_slice(),
            (Stored::Hashtable(a), Stored::Hashtable(b)) => {
                let (a, b) = (a.get(), b.get());
                a.len() == b.len() && a.iter().all(|(member, ())| b.contains_key(member))
            }
            _ => false,
        }
    }
}

/// Borrowed, read-only access to a set's members in any encoding.
#[derive(Clone, Copy)]
pub enum SetRef<'a> {
    /// Sorted integers.
    Intset(IntsetRef<'a>),
    /// Listpack bytes.
    Listpack(&'a [u8]),
    /// A hashtable of members.
    Hashtable(&'a Table<(), ()>),
}

impl<'a> SetRef<'a> {
    /// The encoding.
    pub fn encoding(&self) -> Encoding {
        match self {
            SetRef::Intset(_) => Encoding::Intset,
            SetRef::Listpack(_) => Encoding::Listpack,
            SetRef::Hashtable(_) => Encoding::Hashtable,
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            SetRef::Intset(intset) => intset.len(),
            SetRef::Listpack(bytes) => listpack::element_count(bytes),
            SetRef::Hashtable(table) => table.len(),
        }
    }

    /// True when there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `member` belongs to the set (Valkey's `setTypeIsMemberAux`).
    pub fn contains(&self, member: Member<'_>) -> bool {
        match self {
            SetRef::Intset(intset) => member.as_int().is_some_and(|n| intset.contains(n)),
            SetRef::Listpack(bytes) => listpack_position(bytes, member).is_some(),
            SetRef::Hashtable(table) => member.with_text(|text| table.contains_key(text)),
        }
    }

    /// The members: intsets ascending, listpacks in stored order, hashtables in slot order.
    pub fn iter(&self) -> Members<'a> {
        match *self {
            SetRef::Intset(intset) => Members::Intset(intset.iter()),
            SetRef::Listpack(bytes) => Members::Listpack(listpack::entries(bytes)),
            SetRef::Hashtable(table) => Members::Hashtable(table.iter()),
        }
    }

    /// A member chosen at random, `None` when empty.
    pub fn random(&self, rng: &mut impl Rng) -> Option<Member<'a>> {
        match *self {
            SetRef::Hashtable(table) => table
                .random_entry(rng)
                .map(|(member, ())| Member::Bytes(member)),
            SetRef::Intset(intset) if !intset.is_empty() => {
                intset.get(rng.gen_range(0..intset.len())).map(Member::Int)
            }
            _ => {
                let len = self.len();
                if len == 0 {
                    return None;
                }
                self.iter().nth(rng.gen_range(0..len))
            }
        }
    }
}

/// The position of `member` among the entries of listpack `bytes` (Valkey's `lpFind`: an entry
/// stored as an integer matches a member whose text is that integer).
fn listpack_position(bytes: &[u8], member: Member<'_>) -> Option<usize> {
    let wanted_int = member.as_int();
    member.with_text(|text| {
        listpack::entries(bytes).position(|entry| match entry {
            listpack::Entry::Int(n) => wanted_int == Some(n),
            listpack::Entry::Bytes(stored) => stored == text,
        })
    })
}

/// Iterator over a set's members.
pub enum Members<'a> {
    /// Over an intset.
    Intset(IntsetIter<'a>),
    /// Over a listpack.
    Listpack(listpack::Iter<'a>),
    /// Over a hashtable.
    Hashtable(table::Iter<'a, ()>),
}

impl<'a> Iterator for Members<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Members::Intset(iter) => iter.next().map(Member::Int),
            Members::Listpack(iter) => iter.next().map(Member::from),
            Members::Hashtable(iter) => iter.next().map(|(member, ())| Member::Bytes(member)),
        }
    }
}

/// A set taken out of the keyspace to be changed, in ordinary owned structures.
pub enum SetData {
    /// Sorted integers.
    Intset(Intset),
    /// A listpack of members.
    Listpack(Listpack),
    /// A hashtable of members.
    Hashtable(Box<Table<(), ()>>),
}

impl fmt::Debug for SetData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ", self.encoding())?;
        f.debug_set()
            .entries(
                self.view()
                    .iter()
                    .map(|m| String::from_utf8_lossy(&m.to_vec()).into_owned()),
            )
            .finish()
    }
}

impl SetData {
    /// An empty set in `encoding`.
    pub fn empty(encoding: Encoding) -> Self {
        match encoding {
            Encoding::Intset => SetData::Intset(Intset::new()),
            Encoding::Listpack => SetData::Listpack(Listpack::new()),
            Encoding::Hashtable => SetData::Hashtable(Box::default()),
        }
    }

    /// An empty set that can hold `first`, for about `size_hint` members (Valkey's `setTypeCreate`).
    pub fn create(first: &[u8], size_hint: usize, limits: &Limits) -> Self {
        let encoding = if parse_i64(first).is_some() && size_hint <= limits.intset_entries {
            Encoding::Intset
        } else if size_hint <= limits.listpack_entries {
            Encoding::Listpack
        } else {
            Encoding::Hashtable
        };
        Self::empty(encoding)
    }

    /// Read access.
    pub fn view(&self) -> SetRef<'_> {
        match self {
            SetData::Intset(intset) => SetRef::Intset(intset.view()),
            SetData::Listpack(lp) => SetRef::Listpack(lp.as_bytes()),
            SetData::Hashtable(table) => SetRef::Hashtable(table),
        }
    }

    /// The encoding.
    pub fn encoding(&self) -> Encoding {
        self.view().encoding()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// True when there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Converts a compact set to a hashtable when about `size_hint` members are on their way and
    /// would not fit (Valkey's `setTypeMaybeConvert`).
    pub fn maybe_convert(&mut self, size_hint: usize, limits: &Limits) {
        let too_many = match self {
            SetData::Listpack(_) => size_hint > limits.listpack_entries,
            SetData::Intset(_) => size_hint > limits.intset_entries,
            SetData::Hashtable(_) => false,
        };
        if too_many {
            self.convert_to_hashtable();
        }
    }

    /// Adds `member`; returns false when it was already there. Converts the encoding exactly when
    /// Valkey's `setTypeAddAux` does.
    pub fn add(&mut self, member: Member<'_>, limits: &Limits) -> bool {
        if let (SetData::Intset(_), Member::Int(n)) = (&*self, member) {
            return self.add_to_intset(n, limits);
        }
        member.with_text(|text| self.add_text(text, limits))
    }

    fn add_to_intset(&mut self, value: i64, limits: &Limits) -> bool {
        let SetData::Intset(intset) = self else {
            return false;
        };
        if !intset.insert(value) {
            return false;
        }
        if intset.len() > limits.intset_max() {
            self.convert_to_hashtable();
        }
        true
    }

    fn add_text(&mut self, text: &[u8], limits: &Limits) -> bool {
        match self {
            SetData::Hashtable(table) => table.insert(text, ()).is_none(),
            SetData::Listpack(lp) => {
                if listpack_position(lp.as_bytes(), Member::Bytes(text)).is_some() {
                    return false;
                }
                if lp.len() < limits.listpack_entries
                    && text.len() <= limits.listpack_value
                    && lp.byte_len() + text.len() <= LISTPACK_SAFETY_SIZE
                {
                    lp.push_back(text);
                } else {
                    self.convert_to_hashtable();
                    self.insert_into_hashtable(text);
                }
                true
            }
            SetData::Intset(intset) => {
                if let Some(n) = parse_i64(text) {
                    return self.add_to_intset(n, limits);
                }
                // Not an integer: a listpack if everything (the intset's longest number included)
                // fits one, else a hashtable.
                let count = intset.len();
                let view = intset.view();
                let (longest, estimated_bytes) = match (view.min(), view.max()) {
                    (Some(min), Some(max)) => (
                        decimal_len(min).max(decimal_len(max)),
                        listpack_estimate(min, count).max(listpack_estimate(max, count)),
                    ),
                    _ => (0, 0),
                };
                if count < limits.listpack_entries
                    && text.len() <= limits.listpack_value
                    && longest <= limits.listpack_value
                    && estimated_bytes + text.len() <= LISTPACK_SAFETY_SIZE
                {
                    self.convert_to_listpack();
                    if let SetData::Listpack(lp) = self {
                        lp.push_back(text);
                    }
                } else {
                    self.convert_to_hashtable();
                    self.insert_into_hashtable(text);
                }
                true
            }
        }
    }

    fn insert_into_hashtable(&mut self, text: &[u8]) {
        if let SetData::Hashtable(table) = self {
            table.insert(text, ());
        }
    }

    /// Removes `member`; returns false when it was not there. No encoding ever changes.
    pub fn remove(&mut self, member: Member<'_>) -> bool {
        match self {
            SetData::Intset(intset) => member.as_int().is_some_and(|n| intset.remove(n)),
            SetData::Listpack(lp) => match listpack_position(lp.as_bytes(), member) {
                Some(index) => {
                    remove_listpack_index(lp, index);
                    true
                }
                None => false,
            },
            SetData::Hashtable(table) => member.with_text(|text| table.remove(text).is_some()),
        }
    }

    /// Removes a random member and returns its text (Valkey's `setTypePopRandom`).
    pub fn pop_random(&mut self, rng: &mut impl Rng) -> Option<Vec<u8>> {
        let chosen = self.view().random(rng)?.to_vec();
        self.remove(Member::Bytes(&chosen));
        Some(chosen)
    }

    /// Moves every member into a hashtable.
    pub fn convert_to_hashtable(&mut self) {
        if matches!(self, SetData::Hashtable(_)) {
            return;
        }
        let mut table = Table::new();
        for member in self.view().iter() {
            member.with_text(|text| table.insert(text, ()));
        }
        *self = SetData::Hashtable(Box::new(table));
    }

    /// Moves every member of an intset into a listpack.
    fn convert_to_listpack(&mut self) {
        let SetData::Intset(intset) = self else {
            return;
        };
        let mut lp = Listpack::new();
        for value in intset.view().iter() {
            lp.push_back(itoa::Buffer::new().format(value).as_bytes());
        }
        *self = SetData::Listpack(lp);
    }

    /// Turns a set whose members are all integers into an intset when there are few enough of them
    /// (Valkey's `maybeConvertToIntset`).
    pub fn maybe_convert_to_intset(&mut self, limits: &Limits) {
        if matches!(self, SetData::Intset(_)) || self.len() > limits.intset_max() {
            return;
        }
        let values: Option<Vec<i64>> = self.view().iter().map(Member::as_int).collect();
        if let Some(values) = values {
            *self = SetData::Intset(Intset::from_values(values));
        }
    }
}

/// Removes the entry at position `index` of a listpack.
fn remove_listpack_index(lp: &mut Listpack, index: usize) {
    let mut offset = lp.first();
    for _ in 0..index {
        offset = offset.and_then(|at| lp.next(at));
    }
    if let Some(at) = offset {
        lp.remove(at);
    }
}

/// Characters of the decimal form of `value`, sign included (Valkey's `sdigits10`).
fn decimal_len(value: i64) -> usize {
    itoa::Buffer::new().format(value).len()
}

/// Valkey's `lpEstimateBytesRepeatedInteger`: the bytes of a listpack holding `value` `count` times.
fn listpack_estimate(value: i64, count: usize) -> usize {
    let mut entry = Vec::with_capacity(11);
    listpack::encode_integer_element(value, &mut entry);
    listpack::HEADER_SIZE + entry.len() * count + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;
    use std::collections::BTreeSet;

    fn add_all(data: &mut SetData, members: &[&str], limits: &Limits) -> usize {
        members
            .iter()
            .filter(|m| data.add(Member::Bytes(m.as_bytes()), limits))
            .count()
    }

    fn members(set: SetRef<'_>) -> BTreeSet<Vec<u8>> {
        set.iter().map(Member::to_vec).collect()
    }

    #[test]
    fn value_stays_small() {
        assert_eq!(std::mem::size_of::<Set>(), 9);
        assert_eq!(std::mem::align_of::<Set>(), 1);
    }

    #[test]
    fn copies_of_every_encoding_hold_the_same_members() {
        let limits = Limits::default();
        let long = [b'x'; 65];
        for (first, more, encoding) in [
            (&b"1"[..], ["2", "3"], Encoding::Intset),
            (b"a", ["2", "b"], Encoding::Listpack),
            (&long, ["2", "b"], Encoding::Hashtable),
        ] {
            let mut data = SetData::create(first, 3, &limits);
            assert!(data.add(Member::Bytes(first), &limits));
            add_all(&mut data, &more, &limits);
            assert_eq!(data.encoding(), encoding);
            let set = Set::from_data(data);
            let copy = set.clone();
            assert_eq!(copy.encoding(), set.encoding());
            assert_eq!(members(copy.view()), members(set.view()));
        }
    }

    #[test]
    fn encodings_convert_like_valkey() {
        let limits = Limits::default();
        let mut data = SetData::create(b"1", 3, &limits);
        assert_eq!(add_all(&mut data, &["1", "2", "3", "2"], &limits), 3);
        assert_eq!(data.encoding(), Encoding::Intset);
        assert!(data.add(Member::Bytes(b"a"), &limits));
        assert_eq!(data.encoding(), Encoding::Listpack);
        assert!(data.remove(Member::Bytes(b"a")));
        assert_eq!(data.encoding(), Encoding::Listpack);
        data.maybe_convert_to_intset(&limits);
        assert_eq!(data.encoding(), Encoding::Intset);
        assert!(data.add(Member::Bytes(&[b'x'; 65]), &limits));
        assert_eq!(data.encoding(), Encoding::Hashtable);

        // A first member that is not an integer starts a listpack; too many members a hashtable.
        assert_eq!(
            SetData::create(b"a", 128, &limits).encoding(),
            Encoding::Listpack
        );
        assert_eq!(
            SetData::create(b"1", 129, &limits).encoding(),
            Encoding::Intset
        );
        assert_eq!(
            SetData::create(b"a", 129, &limits).encoding(),
            Encoding::Hashtable
        );
        assert_eq!(
            SetData::create(b"1", 513, &limits).encoding(),
            Encoding::Hashtable
        );

        // An intset too big for a listpack goes straight to a hashtable on its first string.
        let mut data = SetData::create(b"0", 1, &limits);
        for i in 0..200 {
            data.add(Member::Int(i), &limits);
        }
        assert_eq!(data.encoding(), Encoding::Intset);
        data.add(Member::Bytes(b"x"), &limits);
        assert_eq!(data.encoding(), Encoding::Hashtable);
        assert_eq!(data.len(), 201);

        // The intset's longest number counts against set-max-listpack-value.
        let narrow = Limits {
            listpack_value: 3,
            ..limits
        };
        let mut data = SetData::create(b"1000", 1, &narrow);
        data.add(Member::Int(1000), &narrow);
        data.add(Member::Bytes(b"a"), &narrow);
        assert_eq!(data.encoding(), Encoding::Hashtable);

        // Past set-max-intset-entries an intset becomes a hashtable.
        let small = Limits {
            intset_entries: 2,
            ..limits
        };
        let mut data = SetData::create(b"1", 1, &small);
        add_all(&mut data, &["1", "2"], &small);
        assert_eq!(data.encoding(), Encoding::Intset);
        add_all(&mut data, &["3"], &small);
        assert_eq!(data.encoding(), Encoding::Hashtable);
    }

    #[test]
    fn stored_sets_round_trip() {
        let limits = Limits::default();
        for initial in [&["1", "-5", "70000"][..], &["a", "1", "bb"][..], &["x"][..]] {
            let mut data = SetData::create(initial[0].as_bytes(), initial.len(), &limits);
            add_all(&mut data, initial, &limits);
            let before = members_of(&data);
            let encoding = data.encoding();
            let stored = Set::from_data(data);
            assert_eq!(stored.encoding(), encoding);
            assert_eq!(members(stored.view()), before);
            let copy = stored.clone();
            assert_eq!(copy, stored);
            let back = copy.into_data();
            assert_eq!(members_of(&back), before);
        }
        let mut data = SetData::empty(Encoding::Hashtable);
        add_all(&mut data, &["a", "b"], &limits);
        let stored = Set::from_data(data);
        assert_eq!(stored.clone(), stored);
        assert_eq!(stored.encoding_name(), "hashtable");
    }

    fn members_of(data: &SetData) -> BTreeSet<Vec<u8>> {
        members(data.view())
    }

    #[test]
    fn membership_matches_integers_stored_as_integers() {
        let limits = Limits::default();
        let mut data = SetData::create(b"a", 2, &limits);
        add_all(&mut data, &["a", "12", "-3"], &limits);
        let view = data.view();
        assert!(view.contains(Member::Bytes(b"12")));
        assert!(view.contains(Member::Int(-3)));
        assert!(!view.contains(Member::Bytes(b"012")));
        assert!(!view.contains(Member::Bytes(b"+12")));
        assert!(!data.add(Member::Int(12), &limits));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(String),
        Remove(String),
        Pop,
        ToIntset,
    }

    fn member() -> impl Strategy<Value = String> {
        prop_oneof![
            (-50i64..50).prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            "[a-c]{0,3}",
            Just("x".repeat(70)),
            Just("007".to_string()),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => member().prop_map(Op::Add),
            3 => member().prop_map(Op::Remove),
            1 => Just(Op::Pop),
            1 => Just(Op::ToIntset),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_set(ops in proptest::collection::vec(op(), 0..300), small in any::<bool>(), seed in any::<u64>()) {
            let limits = if small {
                Limits { intset_entries: 5, listpack_entries: 4, listpack_value: 3 }
            } else {
                Limits::default()
            };
            let mut rng = SmallRng::seed_from_u64(seed);
            let mut data = SetData::create(b"1", 1, &limits);
            let mut model: BTreeSet<Vec<u8>> = BTreeSet::new();
            for op in ops {
                match op {
                    Op::Add(m) => prop_assert_eq!(data.add(Member::Bytes(m.as_bytes()), &limits), model.insert(m.into_bytes())),
                    Op::Remove(m) => prop_assert_eq!(data.remove(Member::Bytes(m.as_bytes())), model.remove(m.as_bytes())),
                    Op::Pop => {
                        let popped = data.pop_random(&mut rng);
                        match popped {
                            Some(m) => prop_assert!(model.remove(&m)),
                            None => prop_assert!(model.is_empty()),
                        }
                    }
                    Op::ToIntset => {
                        if model.iter().all(|m| parse_i64(m).is_some()) {
                            data.maybe_convert_to_intset(&limits);
                        }
                    }
                }
                prop_assert_eq!(data.len(), model.len());
                // The encoding never holds what it may not.
                match data.encoding() {
                    Encoding::Intset => prop_assert!(model.iter().all(|m| parse_i64(m).is_some())),
                    Encoding::Listpack => prop_assert!(model.iter().all(|m| m.len() <= limits.listpack_value)),
                    Encoding::Hashtable => {}
                }
            }
            prop_assert_eq!(members_of(&data), model.clone());
            let stored = Set::from_data(data);
            prop_assert_eq!(members(stored.view()), model.clone());
            for m in &model {
                prop_assert!(stored.view().contains(Member::Bytes(m)));
            }
        }
    }
}
