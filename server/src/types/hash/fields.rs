//! The `hashtable` encoding of a hash: fields in the keyspace's compact [`Table`] (field bytes inline in
//! the entry, the value in 16 bytes beside them), plus, for fields with a TTL, an index ordered by
//! expiry so active expiry finds due fields without scanning the table.
//!
//! A field whose TTL has passed stays stored until active expiry (or an overwrite) reclaims it, as in
//! Valkey: reads treat it as missing, but it still counts in the table's length (HLEN).

use std::collections::BTreeSet;

use crate::keyspace::Table;
use crate::types::string::Embedded;

/// A field's value and, for a volatile field, its absolute expiry. 16 bytes.
#[derive(Clone, PartialEq)]
pub enum FieldValue {
    /// A field without a TTL.
    Plain(Embedded),
    /// A field with a TTL.
    Expiring(Box<Expiring>),
}

/// The value of a field with a TTL.
#[derive(Clone, PartialEq)]
pub struct Expiring {
    /// Absolute expiry, Unix milliseconds.
    pub expire_at_ms: i64,
    /// The value.
    pub value: Box<[u8]>,
}

impl FieldValue {
    /// A value with an optional expiry.
    pub fn new(value: &[u8], expire_at_ms: Option<i64>) -> Self {
        match expire_at_ms {
            None => FieldValue::Plain(Embedded::new(value)),
            Some(expire_at_ms) => FieldValue::Expiring(Box::new(Expiring {
                expire_at_ms,
                value: value.into(),
            })),
        }
    }

    /// The value's bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            FieldValue::Plain(bytes) => bytes,
            FieldValue::Expiring(expiring) => &expiring.value,
        }
    }

    /// The absolute expiry, if the field has a TTL.
    pub fn expire_at(&self) -> Option<i64> {
        match self {
            FieldValue::Plain(_) => None,
            FieldValue::Expiring(expiring) => Some(expiring.expire_at_ms),
        }
    }

    /// True when the field has a TTL that has passed at `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expire_at().is_some_and(|at| at <= now_ms)
    }
}

impl std::fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.bytes()))?;
        if let Some(at) = self.expire_at() {
            write!(f, " (expires {at})")?;
        }
        Ok(())
    }
}

/// Fields of a `hashtable`-encoded hash.
#[derive(Default)]
pub struct FieldTable {
    fields: Table<FieldValue>,
    /// (expiry, field) of every field with a TTL, soonest first.
    volatile: BTreeSet<(i64, Box<[u8]>)>,
}

impl FieldTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored fields, including expired ones not yet reclaimed.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when no field is stored.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Number of fields with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// The stored field (expired or not).
    pub fn get(&self, field: &[u8]) -> Option<&FieldValue> {
        self.fields.get(field)
    }

    /// The field if it is live at `now_ms`.
    pub fn get_live(&self, field: &[u8], now_ms: i64) -> Option<&FieldValue> {
        self.fields
            .get(field)
            .filter(|value| !value.is_expired(now_ms))
    }

    /// Stores `field` with `value` and expiry, replacing any stored field (expired or not). Returns the
    /// replaced field.
    pub fn insert(
        &mut self,
        field: &[u8],
        value: &[u8],
        expire_at_ms: Option<i64>,
    ) -> Option<FieldValue> {
        let previous = self
            .fields
            .insert(field, FieldValue::new(value, expire_at_ms));
        self.reindex(
            field,
            previous.as_ref().and_then(FieldValue::expire_at),
            expire_at_ms,
        );
        previous
    }

    /// Changes the expiry of a stored field, keeping its value. Returns false when it is not stored.
    pub fn set_expiry(&mut self, field: &[u8], expire_at_ms: Option<i64>) -> bool {
        let Some(stored) = self.fields.get_mut(field) else {
            return false;
        };
        let old = stored.expire_at();
        match (stored, expire_at_ms) {
            (FieldValue::Expiring(expiring), Some(at)) => expiring.expire_at_ms = at,
            (stored, _) => {
                let replacement = FieldValue::new(stored.bytes(), expire_at_ms);
                *stored = replacement;
            }
        }
        self.reindex(field, old, expire_at_ms);
        true
    }

    /// Removes a stored field (expired or not), returning it.
    pub fn remove(&mut self, field: &[u8]) -> Option<FieldValue> {
        let removed = self.fields.remove(field)?;
        self.reindex(field, removed.expire_at(), None);
        Some(removed)
    }

    fn reindex(&mut self, field: &[u8], old: Option<i64>, new: Option<i64>) {
        if old == new {
            return;
        }
        if let Some(at) = old {
            self.volatile.remove(&(at, Box::from(field)));
        }
        if let Some(at) = new {
            self.volatile.insert((at, Box::from(field)));
        }
    }

    /// Removes up to `limit` fields whose TTL passed at `now_ms`, soonest first. Returns how many.
    pub fn remove_expired(&mut self, now_ms: i64, limit: usize) -> usize {
        let mut removed = 0;
        while removed < limit {
            let Some((at, _)) = self.volatile.first() else {
                break;
            };
            if *at > now_ms {
                break;
            }
            let Some((_, field)) = self.volatile.pop_first() else {
                break;
            };
            self.fields.remove(&field);
            removed += 1;
        }
        removed
    }

    /// Every stored field (expired or not) in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &FieldValue)> + '_ {
        self.fields.iter()
    }

    /// One HSCAN step over the stored fields (see [`Table::scan`]).
    pub fn scan(&self, cursor: u64, visit: impl FnMut(&[u8], &FieldValue)) -> u64 {
        self.fields.scan(cursor, visit)
    }

    /// A stored field chosen at random (expired or not).
    pub fn random_entry(&self, rng: &mut impl rand::Rng) -> Option<(&[u8], &FieldValue)> {
        self.fields.random_entry(rng)
    }
}

impl std::fmt::Debug for FieldTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.fields
                    .iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), v)),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn field_values_are_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<FieldValue>(), 16);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u16, Option<i64>),
        Expire(u8, Option<i64>),
        Remove(u8),
        Reclaim(i64, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let expiry = prop::option::of(0i64..50);
        prop_oneof![
            (0u8..40, any::<u16>(), expiry.clone()).prop_map(|(f, v, e)| Op::Insert(f, v, e)),
            (0u8..40, expiry).prop_map(|(f, e)| Op::Expire(f, e)),
            (0u8..40).prop_map(Op::Remove),
            (0i64..50, 0usize..5).prop_map(|(now, limit)| Op::Reclaim(now, limit)),
        ]
    }

    proptest! {
        /// The table and its expiry index agree with a plain map after any sequence of operations.
        #[test]
        fn matches_a_map(ops in prop::collection::vec(op(), 0..300)) {
            let mut table = FieldTable::new();
            let mut model: BTreeMap<Vec<u8>, (Vec<u8>, Option<i64>)> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(f, v, e) => {
                        let field = vec![b'f', f];
                        let value = v.to_string().into_bytes();
                        let old = table.insert(&field, &value, e).map(|o| (o.bytes().to_vec(), o.expire_at()));
                        prop_assert_eq!(old, model.insert(field, (value, e)));
                    }
                    Op::Expire(f, e) => {
                        let field = vec![b'f', f];
                        let stored = model.get_mut(&field);
                        prop_assert_eq!(table.set_expiry(&field, e), stored.is_some());
                        if let Some(entry) = stored {
                            entry.1 = e;
                        }
                    }
                    Op::Remove(f) => {
                        let field = vec![b'f', f];
                        let removed = table.remove(&field).map(|o| (o.bytes().to_vec(), o.expire_at()));
                        prop_assert_eq!(removed, model.remove(&field));
                    }
                    Op::Reclaim(now, limit) => {
                        let mut due: Vec<(i64, Vec<u8>)> = model
                            .iter()
                            .filter_map(|(k, (_, e))| e.filter(|at| *at <= now).map(|at| (at, k.clone())))
                            .collect();
                        due.sort();
                        due.truncate(limit);
                        for (_, field) in &due {
                            model.remove(field);
                        }
                        prop_assert_eq!(table.remove_expired(now, limit), due.len());
                    }
                }
                prop_assert_eq!(table.len(), model.len());
                let volatile = model.values().filter(|(_, e)| e.is_some()).count();
                prop_assert_eq!(table.volatile_len(), volatile);
            }
            for (field, (value, expiry)) in &model {
                let stored = table.get(field);
                prop_assert_eq!(stored.map(FieldValue::bytes), Some(value.as_slice()));
                prop_assert_eq!(stored.and_then(FieldValue::expire_at), *expiry);
            }
        }
    }
}
