//! The hash type. Small hashes are a listpack of alternating fields and values (OBJECT ENCODING
//! `listpack`) while they hold at most `hash-max-listpack-entries` pairs and no field or value longer
//! than `hash-max-listpack-value`; past either limit, or as soon as a field gets a TTL, they become a
//! hash table (`hashtable`) for good, exactly when Valkey 9.1 converts them.
//!
//! Field TTLs (Valkey 9's hash field expiration) live only in the hash-table encoding. A field whose
//! TTL has passed is invisible to every read and write, but stays stored, and counted by HLEN, until
//! active expiry reclaims it or a write replaces it, as in Valkey.
//!
//! A stored [`Hash`] is compact (9 bytes, see [`thin`]): commands read it through a [`HashRef`] and
//! change it by taking it apart into a [`HashData`] and putting it back.

mod fields;

use std::collections::HashSet;

use ferry_rdb::listpack::{self, Entry, Listpack};
use rand::Rng;

use crate::types::thin::{Blob, ListpackFormat, PackedBox};
pub use fields::{FieldRef, FieldTable};

/// A small hash's listpack, exactly sized, behind one unaligned pointer.
type ListpackBlob = Blob<ListpackFormat>;
/// A large hash's field table behind one unaligned pointer.
type TableBox = PackedBox<FieldTable>;

/// Valkey refuses to grow a listpack past 1 GiB (`LISTPACK_MAX_SAFETY_SIZE`).
const LISTPACK_MAX_SAFETY_SIZE: usize = 1 << 30;

/// Picks of one random field that may skip expired fields before giving up (Valkey's `maxtries`).
const RANDOM_TRIES: usize = 100;

/// HRANDFIELD with a positive count samples at random only when the hash has more than this many times
/// `count` fields (Valkey's `HRANDFIELD_SUB_STRATEGY_MUL`); otherwise it picks from a full copy.
const SUB_STRATEGY_MUL: usize = 3;

/// A hash as stored under a key: a listpack in one exactly sized allocation, or a boxed hash table.
pub enum Hash {
    /// Fields and values alternating in one listpack, in insertion order.
    Listpack(ListpackBlob),
    /// A hash table, with optional per-field TTLs.
    Table(TableBox),
}

/// A hash taken apart for modification (see [`Hash::into_data`]).
#[derive(Debug)]
pub enum HashData {
    /// A listpack being edited.
    Listpack(Listpack),
    /// A hash table.
    Table(Box<FieldTable>),
}

/// A hash being read.
#[derive(Debug, Clone, Copy)]
pub enum HashRef<'a> {
    /// Listpack bytes.
    Listpack(&'a [u8]),
    /// A hash table.
    Table(&'a FieldTable),
}

/// The listpack limits (`hash-max-listpack-entries`, `hash-max-listpack-value`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most field/value pairs a listpack holds.
    pub max_entries: usize,
    /// Longest field or value a listpack holds.
    pub max_value: usize,
}

/// What storing a field did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// The field was new.
    Inserted,
    /// A live field got a new value.
    Updated,
    /// An expired, not yet reclaimed field was replaced (counts as new, and as an expired field).
    ReplacedExpired,
}

impl SetOutcome {
    /// True when the field did not exist (for HSET's count of new fields).
    pub fn created(self) -> bool {
        self != SetOutcome::Updated
    }
}

pub use crate::expire_conditions::ExpireConditions;

/// The per-field result of HEXPIRE and friends, with Valkey's reply codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpireOutcome {
    /// -2: no such field (or no such key).
    NoField,
    /// 0: a condition was not met.
    ConditionNotMet,
    /// 1: the expiry was set.
    Set,
    /// 2: the time has already passed, so the field was deleted.
    Deleted,
}

impl ExpireOutcome {
    /// The integer Valkey replies with.
    pub fn code(self) -> i64 {
        match self {
            ExpireOutcome::NoField => -2,
            ExpireOutcome::ConditionNotMet => 0,
            ExpireOutcome::Set => 1,
            ExpireOutcome::Deleted => 2,
        }
    }
}

/// The per-field result of HPERSIST, with Valkey's reply codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersistOutcome {
    /// -2: no such field (or no such key).
    NoField,
    /// -1: the field has no TTL.
    NoTtl,
    /// 1: the TTL was removed.
    Persisted,
}

impl PersistOutcome {
    /// The integer Valkey replies with.
    pub fn code(self) -> i64 {
        match self {
            PersistOutcome::NoField => -2,
            PersistOutcome::NoTtl => -1,
            PersistOutcome::Persisted => 1,
        }
    }
}

/// A field or value as stored: listpacks keep canonical integers as integers.
pub type Item<'a> = Entry<'a>;

/// The canonical integer `field` stands for, if any (listpacks store such fields as integers).
fn canonical_integer(field: &[u8]) -> Option<i64> {
    let n = ferry_resp::number::parse_i64(field)?;
    (itoa::Buffer::new().format(n).as_bytes() == field).then_some(n)
}

/// True when the listpack element `stored` is `field` (`as_integer` is its canonical integer).
fn same_field(stored: Item<'_>, field: &[u8], as_integer: Option<i64>) -> bool {
    match stored {
        Entry::Int(n) => as_integer == Some(n),
        Entry::Bytes(bytes) => bytes == field,
    }
}

/// Offsets of `field` and of its value in a hash listpack being edited.
fn listpack_find(lp: &Listpack, field: &[u8]) -> Option<(usize, usize)> {
    let as_integer = canonical_integer(field);
    let mut offset = lp.first()?;
    loop {
        let value = lp.next(offset)?;
        if same_field(lp.get(offset), field, as_integer) {
            return Some((offset, value));
        }
        offset = lp.next(value)?;
    }
}

/// The field/value pairs of hash listpack bytes.
fn pairs(bytes: &[u8]) -> impl Iterator<Item = (Item<'_>, Item<'_>)> + '_ {
    let mut items = listpack::entries(bytes);
    std::iter::from_fn(move || Some((items.next()?, items.next()?)))
}

impl Hash {
    /// The hash for reading.
    pub fn as_ref(&self) -> HashRef<'_> {
        match self {
            Hash::Listpack(blob) => HashRef::Listpack(blob.as_slice()),
            Hash::Table(table) => HashRef::Table(table.get()),
        }
    }

    /// Takes the hash apart for modification; [`HashData::into_hash`] puts it back.
    pub fn into_data(self) -> HashData {
        match self {
            Hash::Listpack(blob) => {
                // A blob only ever holds bytes a `Listpack` produced, so this always succeeds; were
                // it not to, the hash would read as empty rather than take the server down.
                HashData::Listpack(Listpack::from_bytes(blob.into_vec()).unwrap_or_default())
            }
            Hash::Table(table) => HashData::Table(table.into_box()),
        }
    }

    /// Reclaims up to `limit` fields whose TTL passed at `now_ms` (active expiry). Returns how many.
    pub fn remove_expired(&mut self, now_ms: i64, limit: usize) -> usize {
        match self {
            Hash::Listpack(_) => 0,
            Hash::Table(table) => table.get_mut().remove_expired(now_ms, limit),
        }
    }
}

impl Clone for Hash {
    /// Copies the fields live now (see [`HashRef::live_copy`]); COPY duplicates values through `Clone`.
    fn clone(&self) -> Self {
        self.as_ref().live_copy(crate::server::unix_ms())
    }
}

impl PartialEq for Hash {
    fn eq(&self, other: &Self) -> bool {
        match (self.as_ref(), other.as_ref()) {
            (HashRef::Listpack(a), HashRef::Listpack(b)) => a == b,
            (HashRef::Table(a), HashRef::Table(b)) => {
                a.len() == b.len() && a.iter().all(|(field, found)| b.get(field) == Some(found))
            }
            _ => false,
        }
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_ref() {
            HashRef::Listpack(bytes) => f
                .debug_map()
                .entries(pairs(bytes).map(|(k, v)| {
                    (
                        String::from_utf8_lossy(&k.to_vec()).into_owned(),
                        String::from_utf8_lossy(&v.to_vec()).into_owned(),
                    )
                }))
                .finish(),
            HashRef::Table(table) => table.fmt(f),
        }
    }
}

impl<'a> HashRef<'a> {
    /// Number of stored fields, counting expired fields not yet reclaimed (HLEN).
    pub fn len(self) -> usize {
        match self {
            HashRef::Listpack(bytes) => listpack::element_count(bytes) / 2,
            HashRef::Table(table) => table.len(),
        }
    }

    /// True when no field is stored.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(self) -> &'static str {
        match self {
            HashRef::Listpack(_) => "listpack",
            HashRef::Table(_) => "hashtable",
        }
    }

    /// True when some stored field has a TTL.
    pub fn has_volatile_fields(self) -> bool {
        match self {
            HashRef::Listpack(_) => false,
            HashRef::Table(table) => table.volatile_len() > 0,
        }
    }

    /// The value of `field` if it is live at `now_ms`.
    pub fn get(self, field: &[u8], now_ms: i64) -> Option<Item<'a>> {
        self.get_with_expiry(field, now_ms).map(|(value, _)| value)
    }

    /// The value of `field` and its expiry, if the field is live at `now_ms`.
    pub fn get_with_expiry(self, field: &[u8], now_ms: i64) -> Option<(Item<'a>, Option<i64>)> {
        match self {
            HashRef::Listpack(bytes) => {
                let as_integer = canonical_integer(field);
                pairs(bytes)
                    .find(|(stored, _)| same_field(*stored, field, as_integer))
                    .map(|(_, value)| (value, None))
            }
            HashRef::Table(table) => table
                .get_live(field, now_ms)
                .map(|found| (Entry::Bytes(found.value), found.expire_at)),
        }
    }

    /// True when `field` is live at `now_ms`.
    pub fn contains(self, field: &[u8], now_ms: i64) -> bool {
        self.get_with_expiry(field, now_ms).is_some()
    }

    /// Calls `visit` with every field and value live at `now_ms`, in storage order.
    pub fn for_each(self, now_ms: i64, mut visit: impl FnMut(Item<'a>, Item<'a>)) {
        match self {
            HashRef::Listpack(bytes) => {
                for (field, value) in pairs(bytes) {
                    visit(field, value);
                }
            }
            HashRef::Table(table) => {
                for (field, found) in table.iter() {
                    if !found.is_expired(now_ms) {
                        visit(Entry::Bytes(field), Entry::Bytes(found.value));
                    }
                }
            }
        }
    }

    /// One HSCAN step: visits the live fields of the bucket `cursor` selects and returns the next cursor.
    /// A listpack is visited whole in one step (cursor 0 comes back), as Valkey does.
    pub fn scan(self, cursor: u64, now_ms: i64, mut visit: impl FnMut(Item<'_>, Item<'_>)) -> u64 {
        match self {
            HashRef::Listpack(_) => {
                self.for_each(now_ms, visit);
                0
            }
            HashRef::Table(table) => table.scan(cursor, |field, found| {
                if !found.is_expired(now_ms) {
                    visit(Entry::Bytes(field), Entry::Bytes(found.value));
                }
            }),
        }
    }

    /// A field live at `now_ms` chosen at random, with its value. In a hash table, gives up (like
    /// Valkey) after 100 draws that all met expired fields.
    pub fn random_field(self, now_ms: i64, rng: &mut impl Rng) -> Option<(Item<'a>, Item<'a>)> {
        match self {
            HashRef::Listpack(bytes) => {
                let count = self.len();
                if count == 0 {
                    return None;
                }
                pairs(bytes).nth(rng.gen_range(0..count))
            }
            HashRef::Table(table) => (0..RANDOM_TRIES).find_map(|_| {
                let (field, found) = table.random_entry(rng)?;
                (!found.is_expired(now_ms))
                    .then_some((Entry::Bytes(field), Entry::Bytes(found.value)))
            }),
        }
    }

    /// HRANDFIELD with a count: `count` picks that may repeat when `unique` is false (stopping early
    /// only if no live field can be found); otherwise up to `count` distinct live fields.
    pub fn random_fields(
        self,
        count: usize,
        unique: bool,
        now_ms: i64,
        rng: &mut impl Rng,
        mut visit: impl FnMut(Item<'a>, Item<'a>),
    ) {
        if !unique || count == 1 {
            if let HashRef::Listpack(bytes) = self {
                let all: Vec<_> = pairs(bytes).collect();
                if all.is_empty() {
                    return;
                }
                for _ in 0..count {
                    let (field, value) = all[rng.gen_range(0..all.len())];
                    visit(field, value);
                }
                return;
            }
            for _ in 0..count {
                let Some((field, value)) = self.random_field(now_ms, rng) else {
                    return;
                };
                visit(field, value);
            }
            return;
        }
        let size = self.len();
        if count >= size {
            self.for_each(now_ms, visit);
            return;
        }
        if matches!(self, HashRef::Listpack(_)) || count.saturating_mul(SUB_STRATEGY_MUL) > size {
            // Pick which live fields to keep, then emit them in storage order.
            let mut live = Vec::with_capacity(size);
            self.for_each(now_ms, |field, value| live.push((field, value)));
            if count >= live.len() {
                live.into_iter()
                    .for_each(|(field, value)| visit(field, value));
                return;
            }
            let mut chosen = rand::seq::index::sample(rng, live.len(), count).into_vec();
            chosen.sort_unstable();
            for index in chosen {
                let (field, value) = live[index];
                visit(field, value);
            }
            return;
        }
        // A big hash compared with the count: draw until enough distinct fields were found.
        let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(count);
        let mut tries = count.saturating_mul(10);
        while seen.len() < count && tries > 0 {
            tries -= 1;
            let Some((field, value)) = self.random_field(now_ms, rng) else {
                return;
            };
            if seen.insert(field.to_vec()) {
                visit(field, value);
            }
        }
    }

    /// A copy holding the fields live at `now_ms` (Valkey's `hashTypeDup`: COPY drops expired fields,
    /// and keeps the encoding even if nothing is left).
    pub fn live_copy(self, now_ms: i64) -> Hash {
        match self {
            HashRef::Listpack(bytes) => match ListpackBlob::new(bytes.to_vec()) {
                Ok(blob) => Hash::Listpack(blob),
                Err(bytes) => {
                    HashData::Listpack(Listpack::from_bytes(bytes).unwrap_or_default()).into_hash()
                }
            },
            HashRef::Table(table) => {
                let mut copy = FieldTable::new();
                copy.reserve(table.len());
                for (field, found) in table.iter() {
                    if !found.is_expired(now_ms) {
                        copy.insert(field, found.value, found.expire_at);
                    }
                }
                Hash::Table(TableBox::new(Box::new(copy)))
            }
        }
    }
}

impl Default for HashData {
    fn default() -> Self {
        Self::new()
    }
}

impl HashData {
    /// An empty hash (a listpack).
    pub fn new() -> Self {
        HashData::Listpack(Listpack::new())
    }

    /// Puts the hash back together for storage (a listpack shrinks to its exact size).
    pub fn into_hash(self) -> Hash {
        match self {
            HashData::Listpack(lp) => match ListpackBlob::new(lp.into_bytes()) {
                Ok(blob) => Hash::Listpack(blob),
                // A listpack's header always states its size; keep the fields whatever happens.
                Err(bytes) => {
                    let mut table = FieldTable::new();
                    for (field, value) in pairs(&bytes) {
                        table.insert(&field.to_vec(), &value.to_vec(), None);
                    }
                    Hash::Table(TableBox::new(Box::new(table)))
                }
            },
            HashData::Table(table) => Hash::Table(TableBox::new(table)),
        }
    }

    /// The hash for reading.
    pub fn as_ref(&self) -> HashRef<'_> {
        match self {
            HashData::Listpack(lp) => HashRef::Listpack(lp.as_bytes()),
            HashData::Table(table) => HashRef::Table(table),
        }
    }

    /// Number of stored fields, counting expired fields not yet reclaimed.
    pub fn len(&self) -> usize {
        self.as_ref().len()
    }

    /// True when no field is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when some stored field has a TTL.
    pub fn has_volatile_fields(&self) -> bool {
        self.as_ref().has_volatile_fields()
    }

    /// The value of `field` if it is live at `now_ms`.
    pub fn get(&self, field: &[u8], now_ms: i64) -> Option<Item<'_>> {
        self.as_ref().get(field, now_ms)
    }

    /// The value of `field` and its expiry, if the field is live at `now_ms`.
    pub fn get_with_expiry(&self, field: &[u8], now_ms: i64) -> Option<(Item<'_>, Option<i64>)> {
        self.as_ref().get_with_expiry(field, now_ms)
    }

    /// True when `field` is live at `now_ms`.
    pub fn contains(&self, field: &[u8], now_ms: i64) -> bool {
        self.as_ref().contains(field, now_ms)
    }

    /// Converts a listpack to the hash-table encoding (never the other way, like Valkey).
    pub fn convert_to_table(&mut self) {
        let HashData::Listpack(lp) = self else { return };
        let mut table = FieldTable::new();
        table.reserve(lp.len() / 2);
        for (field, value) in pairs(lp.as_bytes()) {
            table.insert(&field.to_vec(), &value.to_vec(), None);
        }
        *self = HashData::Table(Box::new(table));
    }

    /// Valkey's `hashTypeTryConversion` before storing `args` (alternating fields and values): converts
    /// when they are more pairs than a listpack holds (even if fields repeat), when one of them is too
    /// long, or when the listpack would pass 1 GiB.
    pub fn convert_for_input(&mut self, args: &[impl AsRef<[u8]>], limits: Limits) {
        let HashData::Listpack(lp) = self else { return };
        let pairs = args.len() / 2;
        if pairs > limits.max_entries {
            self.convert_to_table();
            if let HashData::Table(table) = self {
                table.reserve(pairs);
            }
            return;
        }
        let mut sum = 0usize;
        for arg in args {
            let len = arg.as_ref().len();
            if len > limits.max_value {
                self.convert_to_table();
                return;
            }
            sum = sum.saturating_add(len);
        }
        if lp.byte_len().saturating_add(sum) > LISTPACK_MAX_SAFETY_SIZE {
            self.convert_to_table();
        }
    }

    /// Valkey's `hashTypeSet`: stores `field` with `value` and the expiry `expire_at_ms`; with
    /// `keep_ttl` a live field keeps its current expiry instead. A listpack converts first when the
    /// field gets a TTL or either string is too long, and after the insert when it holds too many pairs.
    pub fn set(
        &mut self,
        field: &[u8],
        value: &[u8],
        expire_at_ms: Option<i64>,
        keep_ttl: bool,
        limits: Limits,
        now_ms: i64,
    ) -> SetOutcome {
        if matches!(self, HashData::Listpack(_))
            && (expire_at_ms.is_some()
                || field.len() > limits.max_value
                || value.len() > limits.max_value)
        {
            self.convert_to_table();
        }
        match self {
            HashData::Listpack(lp) => {
                let outcome = match listpack_find(lp, field) {
                    Some((_, value_at)) => {
                        lp.replace(value_at, value);
                        SetOutcome::Updated
                    }
                    None => {
                        lp.push_back(field);
                        lp.push_back(value);
                        SetOutcome::Inserted
                    }
                };
                if lp.len() / 2 > limits.max_entries {
                    self.convert_to_table();
                }
                outcome
            }
            HashData::Table(table) => match table.get(field) {
                None => {
                    table.insert(field, value, expire_at_ms);
                    SetOutcome::Inserted
                }
                Some(existing) => {
                    let expired = existing.is_expired(now_ms);
                    let expiry = if keep_ttl && !expired {
                        existing.expire_at
                    } else {
                        expire_at_ms
                    };
                    table.insert(field, value, expiry);
                    if expired {
                        SetOutcome::ReplacedExpired
                    } else {
                        SetOutcome::Updated
                    }
                }
            },
        }
    }

    /// Deletes `field` if it is live at `now_ms` (an expired field is left for active expiry, as in
    /// Valkey). Returns true when it was deleted.
    pub fn remove(&mut self, field: &[u8], now_ms: i64) -> bool {
        match self {
            HashData::Listpack(lp) => match listpack_find(lp, field) {
                Some((field_at, _)) => {
                    let value_at = lp.remove(field_at);
                    lp.remove(value_at);
                    true
                }
                None => false,
            },
            HashData::Table(table) => {
                if table.get_live(field, now_ms).is_none() {
                    return false;
                }
                table.remove(field)
            }
        }
    }

    /// Valkey's `hashTypeSetExpire`: sets the absolute expiry of `field` under `conditions`, deleting
    /// the field when the time has already passed. A listpack field counts as having no TTL; a
    /// listpack converts only when a TTL is actually stored.
    pub fn set_expiry(
        &mut self,
        field: &[u8],
        expire_at_ms: i64,
        conditions: ExpireConditions,
        now_ms: i64,
    ) -> ExpireOutcome {
        let already_passed = expire_at_ms <= now_ms;
        if let HashData::Listpack(lp) = self {
            if listpack_find(lp, field).is_none() {
                return ExpireOutcome::NoField;
            }
            if conditions.xx || conditions.gt {
                return ExpireOutcome::ConditionNotMet;
            }
            if already_passed {
                self.remove(field, now_ms);
                return ExpireOutcome::Deleted;
            }
            self.convert_to_table();
        }
        let HashData::Table(table) = self else {
            return ExpireOutcome::NoField;
        };
        let Some(current) = table.get_live(field, now_ms).map(|found| found.expire_at) else {
            return ExpireOutcome::NoField;
        };
        if conditions.refuse(current, expire_at_ms) {
            return ExpireOutcome::ConditionNotMet;
        }
        if already_passed {
            table.remove(field);
            return ExpireOutcome::Deleted;
        }
        table.set_expiry(field, Some(expire_at_ms));
        ExpireOutcome::Set
    }

    /// Removes the TTL of `field` (HPERSIST).
    pub fn persist(&mut self, field: &[u8], now_ms: i64) -> PersistOutcome {
        match self {
            HashData::Listpack(lp) => {
                if listpack_find(lp, field).is_some() {
                    PersistOutcome::NoTtl
                } else {
                    PersistOutcome::NoField
                }
            }
            HashData::Table(table) => {
                match table.get_live(field, now_ms).map(|found| found.expire_at) {
                    None => PersistOutcome::NoField,
                    Some(None) => PersistOutcome::NoTtl,
                    Some(Some(_)) => {
                        table.set_expiry(field, None);
                        PersistOutcome::Persisted
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    use super::*;

    const NOW: i64 = 1_000_000;
    const SMALL: Limits = Limits {
        max_entries: 4,
        max_value: 8,
    };

    fn text(item: Item<'_>) -> Vec<u8> {
        item.to_vec()
    }

    fn contents(hash: &HashData, now_ms: i64) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let mut out = BTreeMap::new();
        hash.as_ref().for_each(now_ms, |field, value| {
            out.insert(text(field), text(value));
        });
        out
    }

    #[test]
    fn listpack_converts_on_count_length_and_ttl() {
        let mut hash = HashData::new();
        for i in 0..4 {
            let field = format!("f{i}");
            assert_eq!(
                hash.set(field.as_bytes(), b"1", None, false, SMALL, NOW),
                SetOutcome::Inserted
            );
        }
        assert_eq!(hash.as_ref().encoding_name(), "listpack");
        assert_eq!(
            hash.set(b"f0", b"2", None, false, SMALL, NOW),
            SetOutcome::Updated
        );
        assert_eq!(
            hash.set(b"f4", b"1", None, false, SMALL, NOW),
            SetOutcome::Inserted
        );
        assert_eq!(hash.as_ref().encoding_name(), "hashtable");

        let mut long = HashData::new();
        long.set(b"f", b"123456789", None, false, SMALL, NOW);
        assert_eq!(long.as_ref().encoding_name(), "hashtable");

        let mut many = HashData::new();
        many.convert_for_input(
            &[b"a", b"1", b"a", b"1", b"a", b"1", b"a", b"1", b"a", b"1"],
            SMALL,
        );
        assert_eq!(many.as_ref().encoding_name(), "hashtable");

        let mut volatile = HashData::new();
        volatile.set(b"a", b"1", None, false, SMALL, NOW);
        assert_eq!(
            volatile.set_expiry(b"zz", NOW + 10, ExpireConditions::default(), NOW),
            ExpireOutcome::NoField
        );
        assert_eq!(volatile.as_ref().encoding_name(), "listpack");
        let xx = ExpireConditions {
            xx: true,
            ..Default::default()
        };
        assert_eq!(
            volatile.set_expiry(b"a", NOW + 10, xx, NOW),
            ExpireOutcome::ConditionNotMet
        );
        assert_eq!(volatile.as_ref().encoding_name(), "listpack");
        assert_eq!(
            volatile.set_expiry(b"a", NOW + 10, ExpireConditions::default(), NOW),
            ExpireOutcome::Set
        );
        assert_eq!(volatile.as_ref().encoding_name(), "hashtable");
        assert!(volatile.has_volatile_fields());
    }

    #[test]
    fn integer_fields_match_only_their_canonical_text() {
        let mut hash = HashData::new();
        hash.set(b"12", b"a", None, false, SMALL, NOW);
        hash.set(b"-7", b"b", None, false, SMALL, NOW);
        assert_eq!(hash.get(b"12", NOW), Some(Entry::Bytes(b"a")));
        assert_eq!(hash.get(b"012", NOW), None);
        assert_eq!(hash.get(b"-7", NOW), Some(Entry::Bytes(b"b")));
        assert_eq!(hash.get(b"+12", NOW), None);
    }

    #[test]
    fn expired_fields_are_hidden_but_counted_until_reclaimed() {
        let mut hash = HashData::new();
        hash.set(b"a", b"1", None, false, SMALL, NOW);
        hash.set(b"b", b"2", None, false, SMALL, NOW);
        let none = ExpireConditions::default();
        assert_eq!(
            hash.set_expiry(b"a", NOW + 5, none, NOW),
            ExpireOutcome::Set
        );
        let later = NOW + 5;
        assert_eq!(hash.get(b"a", later), None);
        assert_eq!(hash.len(), 2);
        assert!(!hash.remove(b"a", later));
        assert_eq!(hash.persist(b"a", later), PersistOutcome::NoField);
        assert_eq!(
            hash.set_expiry(b"a", later + 100, none, later),
            ExpireOutcome::NoField
        );
        assert_eq!(hash.as_ref().live_copy(later).as_ref().len(), 1);
        // An overwrite treats the expired field as new and drops its TTL.
        assert_eq!(
            hash.set(b"a", b"3", None, true, SMALL, later),
            SetOutcome::ReplacedExpired
        );
        assert_eq!(
            hash.get_with_expiry(b"a", later),
            Some((Entry::Bytes(b"3"), None))
        );
        assert!(!hash.has_volatile_fields());
        assert_eq!(
            hash.set_expiry(b"b", NOW + 1, none, NOW),
            ExpireOutcome::Set
        );
        let mut stored = hash.into_hash();
        assert_eq!(stored.remove_expired(NOW + 1, 10), 1);
        let hash = stored.into_data();
        assert_eq!(hash.len(), 1);
    }

    #[test]
    fn expire_conditions_follow_valkey() {
        let mut hash = HashData::new();
        hash.set(b"a", b"1", Some(NOW + 100), false, SMALL, NOW);
        let gt = ExpireConditions {
            gt: true,
            ..Default::default()
        };
        let lt = ExpireConditions {
            lt: true,
            ..Default::default()
        };
        let nx = ExpireConditions {
            nx: true,
            ..Default::default()
        };
        assert_eq!(
            hash.set_expiry(b"a", NOW + 100, gt, NOW),
            ExpireOutcome::ConditionNotMet
        );
        assert_eq!(
            hash.set_expiry(b"a", NOW + 101, gt, NOW),
            ExpireOutcome::Set
        );
        assert_eq!(
            hash.set_expiry(b"a", NOW + 101, lt, NOW),
            ExpireOutcome::ConditionNotMet
        );
        assert_eq!(
            hash.set_expiry(b"a", NOW + 50, nx, NOW),
            ExpireOutcome::ConditionNotMet
        );
        assert_eq!(hash.set_expiry(b"a", NOW, lt, NOW), ExpireOutcome::Deleted);
        assert!(hash.is_empty());
        hash.set(b"b", b"1", None, false, SMALL, NOW);
        assert_eq!(
            hash.set_expiry(b"b", NOW + 1, gt, NOW),
            ExpireOutcome::ConditionNotMet
        );
        assert_eq!(hash.persist(b"b", NOW), PersistOutcome::NoTtl);
        assert_eq!(hash.set_expiry(b"b", NOW + 1, lt, NOW), ExpireOutcome::Set);
        assert_eq!(hash.persist(b"b", NOW), PersistOutcome::Persisted);
    }

    #[test]
    fn random_fields_respect_counts() {
        let mut rng = SmallRng::seed_from_u64(1);
        for limits in [
            SMALL,
            Limits {
                max_entries: 0,
                max_value: 0,
            },
        ] {
            let mut hash = HashData::new();
            for i in 0..4 {
                hash.set(format!("f{i}").as_bytes(), b"v", None, false, limits, NOW);
            }
            for (count, unique, expected) in [
                (2, true, 2),
                (4, true, 4),
                (9, true, 4),
                (9, false, 9),
                (1, true, 1),
            ] {
                let mut fields = Vec::new();
                hash.as_ref()
                    .random_fields(count, unique, NOW, &mut rng, |f, _| fields.push(text(f)));
                assert_eq!(fields.len(), expected);
                if unique {
                    let distinct: HashSet<_> = fields.iter().collect();
                    assert_eq!(distinct.len(), expected);
                }
            }
        }
        let mut big = HashData::new();
        let none = ExpireConditions::default();
        for i in 0..100 {
            let field = format!("f{i}");
            big.set(field.as_bytes(), b"v", None, false, SMALL, NOW);
            if i % 2 == 0 {
                big.set_expiry(field.as_bytes(), NOW + 1, none, NOW);
            }
        }
        let mut fields = HashSet::new();
        big.as_ref()
            .random_fields(10, true, NOW + 1, &mut rng, |f, _| {
                assert!(fields.insert(text(f)));
            });
        assert!(fields.len() <= 10);
        assert!(fields
            .iter()
            .all(|f| f[1..].iter().fold(0, |n, d| n * 10 + (d - b'0')) % 2 == 1));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Set(u8, u8, bool),
        Remove(u8),
        Expire(u8, i64),
        Persist(u8),
        Tick(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u8..12, 0u8..30, any::<bool>()).prop_map(|(f, v, k)| Op::Set(f, v, k)),
            2 => (0u8..12).prop_map(Op::Remove),
            2 => (0u8..12, 0i64..20).prop_map(|(f, at)| Op::Expire(f, at)),
            1 => (0u8..12).prop_map(Op::Persist),
            1 => (0i64..5).prop_map(Op::Tick),
        ]
    }

    fn field_name(f: u8) -> Vec<u8> {
        // Some fields are integers, so the listpack stores them as such.
        if f.is_multiple_of(3) {
            f.to_string().into_bytes()
        } else {
            vec![b'f'; usize::from(f)]
        }
    }

    fn value_text(v: u8) -> Vec<u8> {
        if v.is_multiple_of(2) {
            (i64::from(v) - 10).to_string().into_bytes()
        } else {
            vec![b'v'; usize::from(v)]
        }
    }

    proptest! {
        /// A hash behaves like a map of live fields with expiries, whatever its encoding.
        #[test]
        fn matches_a_map(ops in prop::collection::vec(op(), 0..200), max_entries in 0usize..8, max_value in 0usize..20) {
            let limits = Limits { max_entries, max_value };
            let mut hash = HashData::new();
            let mut model: BTreeMap<Vec<u8>, (Vec<u8>, Option<i64>)> = BTreeMap::new();
            let mut now = 0i64;
            for op in ops {
                // Fields the model sees as expired behave as absent.
                model.retain(|_, (_, at)| at.is_none_or(|at| at > now));
                match op {
                    Op::Set(f, v, keep) => {
                        let (field, value) = (field_name(f), value_text(v));
                        let outcome = hash.set(&field, &value, None, keep, limits, now);
                        let expiry = model.get(&field).and_then(|(_, at)| *at).filter(|_| keep);
                        let existed = model.insert(field, (value, expiry)).is_some();
                        prop_assert_eq!(outcome == SetOutcome::Updated, existed);
                    }
                    Op::Remove(f) => {
                        let field = field_name(f);
                        prop_assert_eq!(hash.remove(&field, now), model.remove(&field).is_some());
                    }
                    Op::Expire(f, at) => {
                        let field = field_name(f);
                        let outcome = hash.set_expiry(&field, at, ExpireConditions::default(), now);
                        let expected = match model.get_mut(&field) {
                            None => ExpireOutcome::NoField,
                            Some(_) if at <= now => {
                                model.remove(&field);
                                ExpireOutcome::Deleted
                            }
                            Some(entry) => {
                                entry.1 = Some(at);
                                ExpireOutcome::Set
                            }
                        };
                        prop_assert_eq!(outcome, expected);
                    }
                    Op::Persist(f) => {
                        let field = field_name(f);
                        let expected = match model.get_mut(&field) {
                            None => PersistOutcome::NoField,
                            Some((_, None)) => PersistOutcome::NoTtl,
                            Some(entry) => {
                                entry.1 = None;
                                PersistOutcome::Persisted
                            }
                        };
                        prop_assert_eq!(hash.persist(&field, now), expected);
                    }
                    Op::Tick(step) => {
                        now += step;
                        if step == 0 {
                            let mut stored = hash.into_hash();
                            stored.remove_expired(now, usize::MAX);
                            hash = stored.into_data();
                        }
                    }
                }
                model.retain(|_, (_, at)| at.is_none_or(|at| at > now));
                let live: BTreeMap<_, _> = model.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect();
                prop_assert_eq!(contents(&hash, now), live);
                prop_assert!(hash.len() >= model.len());
                if hash.as_ref().encoding_name() == "listpack" {
                    prop_assert!(hash.len() <= max_entries);
                }
                for (field, (value, expiry)) in &model {
                    let found = hash.get_with_expiry(field, now).map(|(v, at)| (text(v), at));
                    prop_assert_eq!(found, Some((value.clone(), *expiry)));
                }
            }
        }
    }
}
