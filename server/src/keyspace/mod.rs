//! The keyspace: numbered databases of binary-safe keys with millisecond expiry. Reads and writes go
//! through `Db`, which expires keys lazily on access; `Server::active_expire_cycle` removes the rest.

pub mod dict;
pub mod table;

use rand::Rng;

use crate::types::Value;
pub use dict::Dict;
pub use table::Table;

/// One database: the values and, for keys with a TTL, their absolute expiry in Unix milliseconds.
#[derive(Default)]
pub struct Db {
    entries: Table<Value>,
    expires: Table<i64>,
    /// Keys removed by expiry (lazy or active) since start, for INFO `expired_keys`.
    pub expired_count: u64,
}

impl Db {
    /// An empty database.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys, including logically expired ones not yet removed (like DBSIZE).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the database holds no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of keys with a TTL.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// The absolute expiry of `key` in Unix milliseconds, if it has one.
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    /// True when `key` exists but its TTL has passed at `now_ms`.
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        self.expire_at(key).is_some_and(|at| at <= now_ms)
    }

    /// Removes `key` if it is logically expired. Returns true when it was removed.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64) -> bool {
        if self.is_expired(key, now_ms) {
            self.entries.remove(key);
            self.expires.remove(key);
            self.expired_count += 1;
            true
        } else {
            false
        }
    }

    /// The live value under `key` at `now_ms`, expiring it first if needed.
    pub fn get(&mut self, key: &[u8], now_ms: i64) -> Option<&Value> {
        self.expire_if_needed(key, now_ms);
        self.entries.get(key)
    }

    /// The live value under `key`, mutably.
    pub fn get_mut(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Value> {
        self.expire_if_needed(key, now_ms);
        self.entries.get_mut(key)
    }

    /// The value under `key` without expiring it (for inspection that must not modify the keyspace).
    pub fn peek(&self, key: &[u8]) -> Option<&Value> {
        self.entries.get(key)
    }

    /// True when `key` exists and is live at `now_ms`.
    pub fn contains(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.get(key, now_ms).is_some()
    }

    /// Stores `value` under `key` and removes any TTL (SET semantics).
    pub fn set(&mut self, key: &[u8], value: Value) {
        self.entries.insert(key, value);
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
    }

    /// Stores `value` under `key`, keeping the existing TTL if the key exists.
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value) {
        self.entries.insert(key, value);
    }

    /// Stores `value` with an absolute expiry (`None` for no TTL).
    pub fn set_with_expire(&mut self, key: &[u8], value: Value, expire_at_ms: Option<i64>) {
        self.set(key, value);
        if let Some(at) = expire_at_ms {
            self.expires.insert(key, at);
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let value = self.entries.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(value)
    }

    /// Sets the TTL of an existing key. Returns false when the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], expire_at_ms: i64) -> bool {
        if !self.entries.contains_key(key) {
            return false;
        }
        self.expires.insert(key, expire_at_ms);
        true
    }

    /// Removes the TTL of `key`. Returns true when it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.expires.clear();
    }

    /// Iterates over every stored key and value, expired or not.
    pub fn iter(&self) -> table::Iter<'_, Value> {
        self.entries.iter()
    }

    /// One SCAN step over the keys (see [`Table::scan`]).
    pub fn scan(&self, cursor: u64, visit: impl FnMut(&[u8], &Value)) -> u64 {
        self.entries.scan(cursor, visit)
    }

    /// A random live key at `now_ms`, removing expired keys met on the way (RANDOMKEY).
    pub fn random_key(&mut self, now_ms: i64, rng: &mut impl Rng) -> Option<Vec<u8>> {
        // Like Valkey, give up on skipping expired keys after a bounded number of tries when every key
        // has a TTL, and return an expired one rather than loop forever.
        let mut tries = 0;
        loop {
            let key = self.entries.random_entry(rng)?.0.to_vec();
            if self.expires.len() == self.entries.len() && tries >= 100 {
                return Some(key);
            }
            tries += 1;
            if !self.expire_if_needed(&key, now_ms) {
                return Some(key);
            }
        }
    }

    /// One round of active expiry: samples up to `sample` keys with a TTL and removes the expired ones.
    /// Returns (sampled, expired).
    pub fn expire_sample(
        &mut self,
        sample: usize,
        now_ms: i64,
        rng: &mut impl Rng,
    ) -> (usize, usize) {
        let mut keys = Vec::with_capacity(sample);
        self.expires.sample_keys(sample, rng, &mut keys);
        let mut expired = 0;
        for key in &keys {
            if self.expire_if_needed(key, now_ms) {
                expired += 1;
            }
        }
        (keys.len(), expired)
    }

    /// Swaps contents with another database (SWAPDB).
    pub fn swap(&mut self, other: &mut Db) {
        std::mem::swap(&mut self.entries, &mut other.entries);
        std::mem::swap(&mut self.expires, &mut other.expires);
    }
}
