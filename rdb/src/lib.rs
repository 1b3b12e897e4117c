//! Redis and Valkey persistence formats: a streaming RDB reader, an RDB writer, DUMP payloads, an AOF
//! reader, and the compact encodings they share with the server (listpack, intset). docs/RDB_FORMAT.md
//! describes the bytes; the modules follow its section numbers.

pub mod aof;
pub mod containers;
pub mod convert;
pub mod dump;
pub mod error;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod reader;
pub mod types;
pub mod value;
pub mod writer;

pub use error::{ErrorKind, RdbError};
pub use types::{Family, ModuleId, RdbType, RdbVersion, StreamId, ValueKind};

/// CRC-64/Jones as Redis computes it (§9), slice-by-16 for speed.
pub static CRC64: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS);

#[cfg(test)]
mod tests {
    #[test]
    fn crc64_check_value() {
        assert_eq!(super::CRC64.checksum(b"123456789"), 0xe9c6d914c4b8d9ca);
    }
}
