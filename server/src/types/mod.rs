//! Value types stored in the keyspace, one module per type family.

pub mod bitfield;
pub mod hll;
pub mod list;
pub mod long_double;
pub mod set;
pub mod string;
pub mod zset;

pub use set::Set;
pub use string::Str;

/// A value stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (also holds bitmaps and HyperLogLogs).
    Str(Str),
    /// A list.
    List(list::List),
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
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::List(list) => list.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
        }
    }
}
