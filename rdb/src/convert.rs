//! Rewriting an RDB stream for another server: targets and what each can hold, and the converter that
//! streams keys from an [`RdbReader`] into an [`RdbWriter`]. What a target cannot represent (module
//! values, hash field TTLs before Valkey 9) is refused, or dropped and listed when `lossy`.

use std::fmt;
use std::io::{Read, Write};

use crate::error::{escape_bytes, RdbError};
use crate::reader::{Element, Item, RdbReader};
use crate::types::{RdbVersion, ValueKind};
use crate::value::{RdbValue, ValueBuilder};
use crate::writer::{KeyMeta, RdbWriter, WriteError};

/// A server to write for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Valkey 9.0/9.1: `VALKEY080`, hash field TTLs.
    Valkey9,
    /// Valkey 7.2–8.x: RDB 11.
    Valkey8,
    /// Redis 7.2/7.4/8.x: RDB 11 (Redis 7.4+ also reads its own 12, which ferry does not write).
    Redis7,
    /// Redis 7.0: RDB 10 (no set listpacks, stream format 2).
    Redis70,
}

impl Target {
    /// Every target, for help texts.
    pub const ALL: [Target; 4] = [
        Target::Valkey9,
        Target::Valkey8,
        Target::Redis7,
        Target::Redis70,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Target::Valkey9 => "valkey-9",
            Target::Valkey8 => "valkey-8",
            Target::Redis7 => "redis-7",
            Target::Redis70 => "redis-7.0",
        }
    }

    /// Parses a command-line name.
    pub fn from_name(name: &str) -> Option<Self> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The version written for this target.
    pub fn version(self) -> RdbVersion {
        match self {
            Target::Valkey9 => RdbVersion::VALKEY_9,
            Target::Valkey8 | Target::Redis7 => RdbVersion::RDB_11,
            Target::Redis70 => RdbVersion::REDIS_7_0,
        }
    }

    /// True when the target keeps per-field hash expiry.
    pub fn has_field_ttls(self) -> bool {
        self == Target::Valkey9
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something in the source the target cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Loss {
    /// A module value (ferry cannot carry module data).
    ModuleValue(String),
    /// Module auxiliary data.
    ModuleAux(String),
    /// Field expiry times of a hash.
    FieldTtls,
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loss::ModuleValue(name) => write!(f, "module value of type '{name}'"),
            Loss::ModuleAux(name) => write!(f, "module aux data of '{name}'"),
            Loss::FieldTtls => f.write_str("hash field TTLs"),
        }
    }
}

/// What `target` would lose of `item` (a top-level item or an element of the current key).
pub fn loss(item: &Item, target: Target) -> Option<Loss> {
    match item {
        Item::ModuleAux { module, .. } => Some(Loss::ModuleAux(module.name())),
        Item::Element(Element::Module(module)) => Some(Loss::ModuleValue(module.module.name())),
        Item::Element(Element::HashField {
            expire_ms: Some(_), ..
        }) if !target.has_field_ttls() => Some(Loss::FieldTtls),
        _ => None,
    }
}

/// One key (or file-level item) affected by a loss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// Database of the key (`None` for file-level data).
    pub db: Option<u64>,
    /// The key, if any.
    pub key: Option<Vec<u8>>,
    /// What was lost.
    pub loss: Loss,
    /// What happened: the key was dropped, or only the TTLs.
    pub key_dropped: bool,
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.key, self.db) {
            (Some(key), Some(db)) => {
                let action = if self.key_dropped {
                    "key dropped"
                } else {
                    "TTLs dropped, fields kept"
                };
                write!(
                    f,
                    "db {db} key '{}': {} ({action})",
                    escape_bytes(key),
                    self.loss
                )
            }
            _ => write!(f, "{} (dropped)", self.loss),
        }
    }
}

/// Converter settings.
#[derive(Debug, Clone, Copy)]
pub struct ConvertOptions {
    /// The server to write for.
    pub target: Target,
    /// Drop what the target cannot hold instead of refusing.
    pub lossy: bool,
    /// LZF-compress long strings.
    pub compress: bool,
}

/// What a conversion did.
#[derive(Debug, Default)]
pub struct ConvertReport {
    /// Keys written.
    pub keys: u64,
    /// Function libraries written.
    pub functions: u64,
    /// Empty collections skipped (the servers skip them on load too).
    pub empty_skipped: u64,
    /// What was lost (or, when refusing, what would have been).
    pub dropped: Vec<Dropped>,
    /// Highest database number written (targets default to 16 databases).
    pub max_db: u64,
}

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The source could not be read.
    #[error("reading the source: {0}")]
    Read(#[from] RdbError),
    /// The output could not be written.
    #[error("writing the output: {0}")]
    Write(#[from] WriteError),
    /// The target cannot represent parts of the source and `lossy` was not set; nothing usable was
    /// written. The report lists every affected key.
    #[error("{target} cannot represent {} item(s) of the source (use --lossy to drop them)", .report.dropped.len())]
    Refused {
        /// The target.
        target: Target,
        /// The full report with every affected item.
        report: ConvertReport,
    },
}

/// Copies every key, function and database of `reader` into a new file for `options.target` on `out`.
pub fn convert<R: Read, W: Write>(
    mut reader: RdbReader<R>,
    out: W,
    options: ConvertOptions,
    mut progress: impl FnMut(u64),
) -> Result<(W, ConvertReport), ConvertError> {
    let target = options.target;
    let mut writer = RdbWriter::new(out, target.version())?;
    writer.set_compression(options.compress);
    writer.aux(b"ferry-ver", env!("CARGO_PKG_VERSION").as_bytes())?;
    writer.aux(b"redis-bits", b"64")?;
    let mut report = ConvertReport::default();
    let mut refusing = false;
    let mut db: Option<u64> = None;
    let mut written_db: Option<u64> = None;
    while let Some(item) = reader.next_item()? {
        match item {
            Item::SelectDb { db: number } => db = Some(number),
            Item::Function { code } => {
                writer.function(&code)?;
                report.functions += 1;
            }
            Item::ModuleAux { .. } => {
                if let Some(lost) = loss(&item, target) {
                    refusing |= !options.lossy;
                    report.dropped.push(Dropped {
                        db: None,
                        key: None,
                        loss: lost,
                        key_dropped: false,
                    });
                }
            }
            Item::Key(header) => {
                let number = db.unwrap_or(header.db);
                let mut builder = ValueBuilder::new(header.rdb_type.kind());
                let mut losses: Vec<Loss> = Vec::new();
                while let Some(item) = reader.next_item()? {
                    if let Some(lost) = loss(&item, target) {
                        if !losses.contains(&lost) {
                            losses.push(lost);
                        }
                    }
                    match item {
                        Item::Element(element) => builder.push(element),
                        _ => break,
                    }
                }
                let mut value = builder.finish();
                let mut skip = false;
                for lost in losses {
                    let key_dropped = matches!(lost, Loss::ModuleValue(_));
                    skip |= key_dropped;
                    refusing |= !options.lossy;
                    report.dropped.push(Dropped {
                        db: Some(number),
                        key: Some(header.key.clone()),
                        loss: lost,
                        key_dropped,
                    });
                }
                if skip || refusing {
                    continue;
                }
                if value.kind() != ValueKind::String
                    && value.kind() != ValueKind::Stream
                    && value.is_empty()
                {
                    report.empty_skipped += 1;
                    continue;
                }
                if !target.has_field_ttls() {
                    strip_field_ttls(&mut value);
                }
                if written_db != Some(number) {
                    writer.select_db(number)?;
                    written_db = Some(number);
                    report.max_db = report.max_db.max(number);
                }
                let meta = KeyMeta {
                    expire_ms: header.expire_ms,
                    lru_idle: header.lru_idle,
                    lfu_freq: header.lfu_freq,
                };
                writer.key(&header.key, &value, &meta)?;
                report.keys += 1;
                progress(reader.offset());
            }
            _ => {}
        }
    }
    if refusing {
        return Err(ConvertError::Refused { target, report });
    }
    let out = writer.finish()?;
    Ok((out, report))
}

fn strip_field_ttls(value: &mut RdbValue<'_>) {
    if let RdbValue::Hash(fields) = value {
        for field in fields {
            field.expire_ms = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::HashField;
    use std::borrow::Cow;

    fn source() -> Vec<u8> {
        let mut writer = RdbWriter::new(Vec::new(), RdbVersion::VALKEY_9).unwrap();
        writer.select_db(3).unwrap();
        writer
            .key(
                b"plain",
                &RdbValue::String(Cow::Borrowed(b"v")),
                &KeyMeta::default(),
            )
            .unwrap();
        let hash = RdbValue::Hash(vec![HashField {
            field: Cow::Borrowed(b"f"),
            value: Cow::Borrowed(b"v"),
            expire_ms: Some(4_102_444_800_000),
        }]);
        writer.key(b"ttl", &hash, &KeyMeta::default()).unwrap();
        writer.finish().unwrap()
    }

    fn run(target: Target, lossy: bool) -> Result<(Vec<u8>, ConvertReport), ConvertError> {
        let bytes = source();
        let reader = RdbReader::new(bytes.as_slice()).unwrap();
        let options = ConvertOptions {
            target,
            lossy,
            compress: true,
        };
        convert(reader, Vec::new(), options, |_| {})
    }

    #[test]
    fn field_ttls_are_refused_or_dropped() {
        let Err(ConvertError::Refused { report, .. }) = run(Target::Valkey8, false) else {
            panic!("expected a refusal");
        };
        assert_eq!(report.dropped.len(), 1);
        assert_eq!(
            report.dropped[0].to_string(),
            "db 3 key 'ttl': hash field TTLs (TTLs dropped, fields kept)"
        );
        let (bytes, report) = run(Target::Valkey8, true).unwrap();
        assert_eq!(report.keys, 2);
        assert!(bytes.starts_with(b"REDIS0011"));
        let (bytes, report) = run(Target::Valkey9, false).unwrap();
        assert!(report.dropped.is_empty());
        assert!(bytes.starts_with(b"VALKEY080"));
    }

    #[test]
    fn target_names() {
        for target in Target::ALL {
            assert_eq!(Target::from_name(target.name()), Some(target));
        }
        assert_eq!(Target::Redis70.version().number, 10);
    }
}
