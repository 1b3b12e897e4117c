//! Value types stored in the keyspace, one module per type family.

pub mod bitfield;
pub mod hll;
pub mod long_double;
pub mod string;
pub mod zset;

pub use string::Str;

/// A value stored under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (also holds bitmaps and HyperLogLogs).
    Str(Str),
    /// A sorted set.
    ZSet(Box<zset::ZSet>),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
        }
    }
}
