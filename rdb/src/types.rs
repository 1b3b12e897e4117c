//! Vocabulary shared by the reader, the writer and DUMP payloads: versions and their families, value
//! type bytes (docs/RDB_FORMAT.md §1.1, §6), stream IDs and module type IDs (§7).

use std::fmt;

/// Whose numbering a version follows. Type bytes 22–25 and opcode 243 mean different things in the two
/// families, so every decision about them goes through this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `REDIS00NN` files (Redis, and Valkey up to 8.x with version 11).
    Redis,
    /// `VALKEYNNN` files (Valkey 9+).
    Valkey,
}

/// An RDB version as found in a file header or a DUMP payload trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RdbVersion {
    /// The number (1–13, 80).
    pub number: u16,
}

impl RdbVersion {
    /// Redis 7.0.
    pub const REDIS_7_0: Self = Self { number: 10 };
    /// Redis 7.2, Valkey 7.2–8.x.
    pub const RDB_11: Self = Self { number: 11 };
    /// Redis 7.4–8.x.
    pub const REDIS_8: Self = Self { number: 12 };
    /// Valkey 9.0/9.1.
    pub const VALKEY_9: Self = Self { number: 80 };

    /// The family the number belongs to (80 and up are Valkey's).
    pub fn family(self) -> Family {
        if self.number >= 80 {
            Family::Valkey
        } else {
            Family::Redis
        }
    }

    /// True for versions ferry can read.
    pub fn is_supported(self) -> bool {
        matches!(self.number, 1..=13 | 80)
    }

    /// True when files of this version end with a CRC-64 (§9).
    pub fn has_checksum(self) -> bool {
        self.number >= 5
    }

    /// The 9-byte file header (`REDIS0011`, `VALKEY080`).
    pub fn header(self) -> [u8; 9] {
        let text = match self.family() {
            Family::Redis => format!("REDIS{:04}", self.number),
            Family::Valkey => format!("VALKEY{:03}", self.number),
        };
        let mut header = [b'0'; 9];
        header.copy_from_slice(&text.as_bytes()[..9]);
        header
    }

    /// Parses a 9-byte file header; `Err` carries a printable description of what was found.
    pub fn parse_header(header: &[u8]) -> Result<Self, HeaderError> {
        let printable = || crate::error::escape_bytes(header);
        let (digits, family) = if let Some(rest) = header.strip_prefix(b"REDIS") {
            (rest, Family::Redis)
        } else if let Some(rest) = header.strip_prefix(b"VALKEY") {
            (rest, Family::Valkey)
        } else {
            return Err(HeaderError::BadMagic(printable()));
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(HeaderError::BadMagic(printable()));
        }
        let number = digits
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        let version = Self {
            number: u16::try_from(number).unwrap_or(u16::MAX),
        };
        if version.family() != family || !version.is_supported() {
            return Err(HeaderError::Unsupported(printable()));
        }
        Ok(version)
    }
}

impl fmt::Display for RdbVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.header()))
    }
}

/// Why a header was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Not `REDIS`/`VALKEY` + digits.
    BadMagic(String),
    /// A well-formed header with a version ferry does not read.
    Unsupported(String),
}

/// The logical type of a value, as `TYPE` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueKind {
    /// string
    String,
    /// list
    List,
    /// set
    Set,
    /// zset
    SortedSet,
    /// hash
    Hash,
    /// stream
    Stream,
    /// A module type.
    Module,
}

impl ValueKind {
    /// The name `TYPE` returns (`module` for module values, whose real name is per type).
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::String => "string",
            ValueKind::List => "list",
            ValueKind::Set => "set",
            ValueKind::SortedSet => "zset",
            ValueKind::Hash => "hash",
            ValueKind::Stream => "stream",
            ValueKind::Module => "module",
        }
    }

    /// Parses a `TYPE` name.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "string" => ValueKind::String,
            "list" => ValueKind::List,
            "set" => ValueKind::Set,
            "zset" => ValueKind::SortedSet,
            "hash" => ValueKind::Hash,
            "stream" => ValueKind::Stream,
            "module" => ValueKind::Module,
            _ => return None,
        })
    }
}

/// A value type byte, resolved for the file's family (§6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the names are the RDB_TYPE_* constants; §6 describes each
pub enum RdbType {
    String,
    List,
    Set,
    Zset,
    Hash,
    Zset2,
    ModulePreGa,
    Module2,
    HashZipmap,
    ListZiplist,
    SetIntset,
    ZsetZiplist,
    HashZiplist,
    ListQuicklist,
    StreamListpacks,
    HashListpack,
    ZsetListpack,
    ListQuicklist2,
    StreamListpacks2,
    SetListpack,
    StreamListpacks3,
    /// Redis 7.4 release candidates (type 22 in RDB 12).
    HashMetadataPreGa,
    /// Redis 7.4 release candidates (type 23 in RDB 12).
    HashListpackExPreGa,
    /// Redis 7.4+ hashtable with field TTLs (24).
    HashMetadata,
    /// Redis 7.4+ listpack with field TTLs (25).
    HashListpackEx,
    /// Valkey 9 hash with field TTLs (22 in VALKEY080).
    ValkeyHash2,
}

impl RdbType {
    /// Resolves a type byte for `version`; `None` for opcodes and unknown types.
    pub fn from_byte(byte: u8, version: RdbVersion) -> Option<Self> {
        use RdbType::*;
        Some(match byte {
            0 => String,
            1 => List,
            2 => Set,
            3 => Zset,
            4 => Hash,
            5 => Zset2,
            6 => ModulePreGa,
            7 => Module2,
            9 => HashZipmap,
            10 => ListZiplist,
            11 => SetIntset,
            12 => ZsetZiplist,
            13 => HashZiplist,
            14 => ListQuicklist,
            15 => StreamListpacks,
            16 => HashListpack,
            17 => ZsetListpack,
            18 => ListQuicklist2,
            19 => StreamListpacks2,
            20 => SetListpack,
            21 => StreamListpacks3,
            22 if version.family() == Family::Valkey => ValkeyHash2,
            22 if version.number >= 12 => HashMetadataPreGa,
            23 if version.family() == Family::Redis && version.number >= 12 => HashListpackExPreGa,
            24 if version.family() == Family::Redis && version.number >= 12 => HashMetadata,
            25 if version.family() == Family::Redis && version.number >= 12 => HashListpackEx,
            _ => return None,
        })
    }

    /// The type byte.
    pub fn byte(self) -> u8 {
        use RdbType::*;
        match self {
            String => 0,
            List => 1,
            Set => 2,
            Zset => 3,
            Hash => 4,
            Zset2 => 5,
            ModulePreGa => 6,
            Module2 => 7,
            HashZipmap => 9,
            ListZiplist => 10,
            SetIntset => 11,
            ZsetZiplist => 12,
            HashZiplist => 13,
            ListQuicklist => 14,
            StreamListpacks => 15,
            HashListpack => 16,
            ZsetListpack => 17,
            ListQuicklist2 => 18,
            StreamListpacks2 => 19,
            SetListpack => 20,
            StreamListpacks3 => 21,
            HashMetadataPreGa | ValkeyHash2 => 22,
            HashListpackExPreGa => 23,
            HashMetadata => 24,
            HashListpackEx => 25,
        }
    }

    /// The logical type.
    pub fn kind(self) -> ValueKind {
        use RdbType::*;
        match self {
            String => ValueKind::String,
            List | ListZiplist | ListQuicklist | ListQuicklist2 => ValueKind::List,
            Set | SetIntset | SetListpack => ValueKind::Set,
            Zset | Zset2 | ZsetZiplist | ZsetListpack => ValueKind::SortedSet,
            Hash | HashZipmap | HashZiplist | HashListpack | HashMetadataPreGa
            | HashListpackExPreGa | HashMetadata | HashListpackEx | ValkeyHash2 => ValueKind::Hash,
            StreamListpacks | StreamListpacks2 | StreamListpacks3 => ValueKind::Stream,
            ModulePreGa | Module2 => ValueKind::Module,
        }
    }

    /// The encoding the type stores, named as `OBJECT ENCODING` and redis-check-rdb name them.
    pub fn encoding_name(self) -> &'static str {
        use RdbType::*;
        match self {
            String => "string",
            List => "linkedlist",
            Set | Hash | HashMetadata | HashMetadataPreGa | ValkeyHash2 => "hashtable",
            Zset | Zset2 => "skiplist",
            ModulePreGa | Module2 => "module",
            HashZipmap => "zipmap",
            ListZiplist | ZsetZiplist | HashZiplist => "ziplist",
            SetIntset => "intset",
            ListQuicklist => "quicklist",
            ListQuicklist2 => "quicklist-listpack",
            HashListpack | ZsetListpack | SetListpack => "listpack",
            HashListpackEx | HashListpackExPreGa => "listpackex",
            StreamListpacks | StreamListpacks2 | StreamListpacks3 => "stream",
        }
    }

    /// The oldest version whose readers know this type.
    pub fn min_version(self) -> u16 {
        use RdbType::*;
        match self {
            String | List | Set | Zset | Hash | HashZipmap => 1,
            ListZiplist | SetIntset | ZsetZiplist => 2,
            HashZiplist => 3,
            ListQuicklist => 7,
            Zset2 | ModulePreGa | Module2 => 8,
            StreamListpacks => 9,
            HashListpack | ZsetListpack | ListQuicklist2 | StreamListpacks2 => 10,
            SetListpack | StreamListpacks3 => 11,
            HashMetadataPreGa | HashListpackExPreGa | HashMetadata | HashListpackEx => 12,
            ValkeyHash2 => 80,
        }
    }
}

/// A stream entry ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamId {
    /// Decodes the 16-byte big-endian form used for node keys and PEL entries.
    pub fn from_be_bytes(bytes: &[u8; 16]) -> Self {
        let mut ms = [0u8; 8];
        let mut seq = [0u8; 8];
        ms.copy_from_slice(&bytes[..8]);
        seq.copy_from_slice(&bytes[8..]);
        Self {
            ms: u64::from_be_bytes(ms),
            seq: u64::from_be_bytes(seq),
        }
    }

    /// The 16-byte big-endian form.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// A module type ID: a 9-character name and a 10-bit encoding version (§7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModuleId(pub u64);

/// The 64 characters a module type name is made of, in code order.
const MODULE_CHARSET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl ModuleId {
    /// The module type name, e.g. `graphdata`.
    pub fn name(self) -> String {
        let mut id = self.0 >> 10;
        let mut name = [0u8; 9];
        for slot in name.iter_mut().rev() {
            *slot = MODULE_CHARSET[(id & 63) as usize];
            id >>= 6;
        }
        String::from_utf8_lossy(&name).into_owned()
    }

    /// The encoding version the module saved with.
    pub fn encoding_version(self) -> u16 {
        (self.0 & 1023) as u16
    }
}

impl fmt::Display for ModuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (encver {})", self.name(), self.encoding_version())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            RdbVersion::parse_header(b"REDIS0011"),
            Ok(RdbVersion { number: 11 })
        );
        assert_eq!(
            RdbVersion::parse_header(b"VALKEY080").map(RdbVersion::family),
            Ok(Family::Valkey)
        );
        assert_eq!(&RdbVersion::VALKEY_9.header(), b"VALKEY080");
        assert_eq!(&RdbVersion::RDB_11.header(), b"REDIS0011");
        assert!(matches!(
            RdbVersion::parse_header(b"REDIS0014"),
            Err(HeaderError::Unsupported(_))
        ));
        assert!(matches!(
            RdbVersion::parse_header(b"VALKEY081"),
            Err(HeaderError::Unsupported(_))
        ));
        assert!(matches!(
            RdbVersion::parse_header(b"REDIS0080"),
            Err(HeaderError::Unsupported(_))
        ));
        assert!(matches!(
            RdbVersion::parse_header(b"HELLO0011"),
            Err(HeaderError::BadMagic(_))
        ));
    }

    #[test]
    fn type_22_depends_on_family() {
        assert_eq!(
            RdbType::from_byte(22, RdbVersion::VALKEY_9),
            Some(RdbType::ValkeyHash2)
        );
        assert_eq!(
            RdbType::from_byte(22, RdbVersion::REDIS_8),
            Some(RdbType::HashMetadataPreGa)
        );
        assert_eq!(RdbType::from_byte(22, RdbVersion::RDB_11), None);
        assert_eq!(RdbType::from_byte(25, RdbVersion::VALKEY_9), None);
        for byte in 0..=25 {
            for version in [RdbVersion::VALKEY_9, RdbVersion::REDIS_8] {
                if let Some(t) = RdbType::from_byte(byte, version) {
                    assert_eq!(t.byte(), byte);
                }
            }
        }
    }

    #[test]
    fn module_names() {
        // The module type ID of FalkorDB's graph values in a Redis 8.2 file.
        let id = ModuleId(9_418_902_062_989_404_178);
        assert_eq!(id.name(), "graphdata");
        assert_eq!(id.encoding_version(), 18);
    }

    #[test]
    fn stream_ids() {
        let id = StreamId { ms: 1, seq: 2 };
        assert_eq!(StreamId::from_be_bytes(&id.to_be_bytes()), id);
        assert_eq!(id.to_string(), "1-2");
    }
}
