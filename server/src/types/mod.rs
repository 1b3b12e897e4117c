//! Value types stored in the keyspace, one module per type family.

pub mod bitfield;
pub mod hash;
pub mod hll;
pub mod list;
pub mod long_double;
pub mod set;
pub mod string;
pub(crate) mod thin;
pub mod zset;

pub use hash::Hash;
pub use set::Set;
pub use string::Str;

/// A value stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (also holds bitmaps and HyperLogLogs).
    Str(Str),
    /// A list.
    List(list::List),
    /// A hash.
    Hash(Hash),
    /// A set.
    Set(Set),
    /// A sorted set.
    ZSet(zset::ZSet),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::List(list) => list.encoding_name(),
            Value::Hash(h) => h.as_ref().encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
        }
    }

    /// True when some item of the value has its own TTL (hash fields): the keyspace tracks such keys
    /// for active expiry and INFO `keys_with_volatile_items`.
    pub fn has_volatile_items(&self) -> bool {
        match self {
            Value::Hash(h) => h.as_ref().has_volatile_fields(),
            _ => false,
        }
    }

    /// Reclaims up to `limit` items whose own TTL passed at `now_ms`. Returns how many.
    pub fn remove_expired_items(&mut self, now_ms: i64, limit: usize) -> usize {
        match self {
            Value::Hash(h) => h.remove_expired(now_ms, limit),
            _ => 0,
        }
    }

    /// True for a collection with no items left (which Valkey never keeps under a key).
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Hash(h) => h.as_ref().is_empty(),
            _ => false,
        }
    }
}
