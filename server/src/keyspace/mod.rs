//! The keyspace: numbered databases of binary-safe keys with millisecond expiry. Reads and writes go
//! through `Db`, which expires keys lazily on access; `Server::active_expire_cycle` removes the rest.

pub mod access;
pub mod events;
pub mod table;

use rand::Rng;

use crate::types::Value;
pub use table::Table;

/// One database: the values and, for keys with a TTL, their absolute expiry in Unix milliseconds.
#[derive(Default)]
pub struct Db {
    /// Values, each with its access word as metadata (see [`access`]: Valkey's per-object `lru` field).
    entries: Table<Value, u32>,
    expires: Table<i64>,
    /// Keys whose value has items with their own TTL (hash fields), for active expiry and INFO
    /// `keys_with_volatile_items`.
    volatile_keys: Table<()>,
    /// Keys removed by expiry (lazy or active) since start, for INFO `expired_keys`.
    pub expired_count: u64,
    /// Changes recorded for keyspace notifications, not yet announced.
    pub events: events::EventLog,
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
            self.untrack_volatile(key);
            self.expired_count += 1;
            self.events.note(events::KeyEvent::Expired, key);
            true
        } else {
            false
        }
    }

    /// The live value under `key` at `now_ms`, expiring it first if needed. This is an access: it
    /// updates the key's idle time or LFU counter (OBJECT IDLETIME / FREQ).
    pub fn get(&mut self, key: &[u8], now_ms: i64) -> Option<&Value> {
        self.get_mut(key, now_ms).map(|value| &*value)
    }

    /// Like [`Db::get`] for a command that only reads the key: a miss is recorded for `keymiss`
    /// events (Valkey's `lookupKeyRead`).
    pub fn get_read(&mut self, key: &[u8], now_ms: i64) -> Option<&Value> {
        self.expire_if_needed(key, now_ms);
        match self.entries.get_mut_with_meta(key) {
            Some((value, access_word)) => {
                *access_word = access::touched(*access_word);
                Some(&*value)
            }
            None => {
                self.events.note(events::KeyEvent::Missed, key);
                None
            }
        }
    }

    /// The live value under `key`, mutably; an access like [`Db::get`].
    pub fn get_mut(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Value> {
        self.expire_if_needed(key, now_ms);
        let (value, access_word) = self.entries.get_mut_with_meta(key)?;
        *access_word = access::touched(*access_word);
        Some(value)
    }

    /// The value under `key` without expiring or touching it (for inspection that must not modify the
    /// keyspace).
    pub fn peek(&self, key: &[u8]) -> Option<&Value> {
        self.entries.get(key)
    }

    /// The value under `key`, mutably, without expiring or touching it: for a command that already
    /// looked the key up (and so counted its access) and now changes the value in place.
    pub fn peek_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.entries.get_mut(key)
    }

    /// True when `key` exists and is live at `now_ms` (expires it if due; not an access).
    pub fn contains(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.expire_if_needed(key, now_ms);
        self.entries.contains_key(key)
    }

    /// Stores `value` under `key` and removes any TTL (SET semantics). Overwriting an existing key
    /// keeps its access history and counts as one access, as Valkey's `setKey` does.
    pub fn set(&mut self, key: &[u8], value: Value) {
        self.set_keep_ttl(key, value);
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
    }

    /// Stores `value` under `key`, keeping the existing TTL if the key exists.
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value) {
        self.set_volatile_items(key, value.has_volatile_items());
        match self.entries.get_mut_with_meta(key) {
            Some((stored, access_word)) => {
                *stored = value;
                *access_word = access::touched(*access_word);
            }
            None => {
                self.entries.insert_with_meta(key, value, access::fresh());
                self.events.note(events::KeyEvent::Created, key);
            }
        }
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
        self.untrack_volatile(key);
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

    /// Seconds since `key` was last accessed (OBJECT IDLETIME), without touching it.
    pub fn idle_seconds(&self, key: &[u8]) -> Option<u64> {
        let (_, access_word) = self.entries.get_with_meta(key)?;
        Some(access::idle_seconds(access_word))
    }

    /// The logarithmic access counter of `key` under an LFU policy (OBJECT FREQ), without touching it.
    pub fn access_frequency(&self, key: &[u8]) -> Option<u8> {
        let (_, access_word) = self.entries.get_with_meta(key)?;
        Some(access::frequency(access_word))
    }

    /// Sets `key`'s access history as RESTORE's IDLETIME and FREQ options do ([`access::restored`]).
    pub fn restore_access(&mut self, key: &[u8], idle_seconds: Option<i64>, frequency: Option<u8>) {
        if let Some(word) = access::restored(idle_seconds, frequency) {
            if let Some((_, access_word)) = self.entries.get_mut_with_meta(key) {
                *access_word = word;
            }
        }
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.expires.clear();
        self.volatile_keys.clear();
    }

    /// Iterates over every stored key and value, expired or not.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Value)> + '_ {
        self.entries.iter()
    }

    /// One SCAN step over the keys (see [`Table::scan`]).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &Value)) -> u64 {
        self.entries.scan(cursor, |key, value| visit(key, value))
    }

    /// A random live key at `now_ms`, removing expired keys met on the way (RANDOMKEY on a primary:
    /// it keeps drawing until it finds a live key or the database is empty).
    pub fn random_key(&mut self, now_ms: i64, rng: &mut impl Rng) -> Option<Vec<u8>> {
        loop {
            let key = self.entries.random_entry(rng)?.0.to_vec();
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
        std::mem::swap(&mut self.volatile_keys, &mut other.volatile_keys);
    }

    /// Number of keys whose value has items with their own TTL (INFO `keys_with_volatile_items`).
    pub fn volatile_keys_len(&self) -> usize {
        self.volatile_keys.len()
    }

    /// Records whether the value under `key` has items with their own TTL. Commands that change item
    /// TTLs in place call this when the answer changes; storing a value with `set` does it itself.
    pub fn set_volatile_items(&mut self, key: &[u8], volatile: bool) {
        if volatile {
            self.volatile_keys.insert(key, ());
        } else {
            self.untrack_volatile(key);
        }
    }

    fn untrack_volatile(&mut self, key: &[u8]) {
        if !self.volatile_keys.is_empty() {
            self.volatile_keys.remove(key);
        }
    }

    /// One round of active expiry of items with their own TTL: samples up to `sample` keys that have
    /// such items and reclaims up to `limit` expired items in each; a value left empty is deleted.
    /// Returns (keys sampled, keys that had expired items, items reclaimed).
    pub fn expire_items_sample(
        &mut self,
        sample: usize,
        limit: usize,
        now_ms: i64,
        rng: &mut impl Rng,
    ) -> (usize, usize, usize) {
        let mut keys = Vec::with_capacity(sample);
        self.volatile_keys.sample_keys(sample, rng, &mut keys);
        let (mut with_expired, mut reclaimed) = (0, 0);
        for key in &keys {
            let Some(value) = self.entries.get_mut(key) else {
                self.volatile_keys.remove(key);
                continue;
            };
            let removed = value.remove_expired_items(now_ms, limit);
            if removed == 0 {
                continue;
            }
            with_expired += 1;
            reclaimed += removed;
            let emptied = value.is_empty_collection();
            if emptied {
                self.remove(key);
            } else if !value.has_volatile_items() {
                self.volatile_keys.remove(key);
            }
            self.events
                .note(events::KeyEvent::ItemsExpired { emptied }, key);
        }
        (keys.len(), with_expired, reclaimed)
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    use super::*;
    use crate::config::Config;
    use crate::types::Str;

    const NOW: i64 = 1_800_000_000_000;

    fn value(text: &str) -> Value {
        Value::Str(Str::from_bytes(text.as_bytes()))
    }

    fn lfu_config() -> Config {
        let mut config = Config::default();
        let set = config.set_initial("maxmemory-policy", "allkeys-lfu");
        assert!(set.is_ok());
        config
    }

    #[test]
    fn lfu_counters_follow_valkey_for_new_overwritten_and_renamed_keys() {
        let config = lfu_config();
        access::begin_command(&config, NOW, true);
        let mut db = Db::new();
        db.set(b"k", value("v"));
        assert_eq!(db.access_frequency(b"k"), Some(access::LFU_INIT_VAL));
        // Inspection is not an access.
        assert!(db.contains(b"k", NOW));
        assert!(db.peek(b"k").is_some());
        assert_eq!(db.access_frequency(b"k"), Some(5));
        // The first access of a new key always counts.
        assert!(db.get(b"k", NOW).is_some());
        assert_eq!(db.access_frequency(b"k"), Some(6));
        // Overwriting keeps the history (plus one access); a new object starts afresh.
        db.set(b"fresh", value("1"));
        db.set(b"fresh", value("2"));
        assert_eq!(db.access_frequency(b"fresh"), Some(6));
        let moved = db.remove(b"fresh");
        assert!(moved.is_some());
        db.set_with_expire(b"renamed", value("2"), Some(NOW + 1000));
        assert_eq!(db.access_frequency(b"renamed"), Some(5));
        assert_eq!(db.access_frequency(b"missing"), None);
    }

    #[test]
    fn no_touch_leaves_access_history_alone() {
        let config = lfu_config();
        access::begin_command(&config, NOW, true);
        let mut db = Db::new();
        db.set(b"k", value("v"));
        access::begin_command(&config, NOW, false);
        assert!(db.get(b"k", NOW).is_some());
        assert!(db.get_mut(b"k", NOW).is_some());
        assert_eq!(db.access_frequency(b"k"), Some(5));
    }

    #[test]
    fn idle_time_counts_seconds_since_the_last_access() {
        let config = Config::default();
        access::begin_command(&config, NOW, true);
        let mut db = Db::new();
        db.set(b"k", value("v"));
        access::begin_command(&config, NOW + 7_400, true);
        assert_eq!(db.idle_seconds(b"k"), Some(7));
        assert!(db.contains(b"k", NOW + 7_400));
        assert_eq!(db.idle_seconds(b"k"), Some(7));
        assert!(db.get(b"k", NOW + 7_400).is_some());
        assert_eq!(db.idle_seconds(b"k"), Some(0));
    }

    #[test]
    fn randomkey_deletes_expired_keys_until_none_is_left() {
        let mut db = Db::new();
        let mut rng = SmallRng::seed_from_u64(7);
        for i in 0..300 {
            db.set_with_expire(format!("k{i}").as_bytes(), value("v"), Some(NOW));
        }
        assert_eq!(db.random_key(NOW, &mut rng), None);
        assert!(db.is_empty());
        db.set(b"live", value("v"));
        db.set_with_expire(b"gone", value("v"), Some(NOW));
        assert_eq!(db.random_key(NOW, &mut rng), Some(b"live".to_vec()));
    }
}
