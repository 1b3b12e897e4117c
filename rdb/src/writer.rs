//! The RDB writer: VALKEY080 for Valkey 9, RDB 11 for Redis 7.2+/Valkey 7.2–8, RDB 10 for Redis 7.0,
//! choosing for each value the compact encoding the target reads (docs/RDB_FORMAT.md §6) with the
//! servers' default thresholds, LZF-compressing long strings (§3) and appending the CRC-64 (§9).
//!
//! Values come in as [`RdbValue`]s, which borrow or own their elements, so the server can feed its
//! collections without copying them:
//!
//! ```
//! use std::borrow::Cow;
//! use ferry_rdb::value::RdbValue;
//! use ferry_rdb::writer::{KeyMeta, RdbWriter};
//! use ferry_rdb::RdbVersion;
//!
//! let mut writer = RdbWriter::new(Vec::new(), RdbVersion::VALKEY_9).unwrap();
//! writer.select_db(0).unwrap();
//! let value = RdbValue::List(vec![Cow::Borrowed(&b"a"[..]), Cow::Borrowed(&b"b"[..])]);
//! writer.key(b"mylist", &value, &KeyMeta::default()).unwrap();
//! let bytes = writer.finish().unwrap();
//! assert!(bytes.starts_with(b"VALKEY080"));
//! ```

use std::io::{self, Write};

use crate::listpack::{self, Listpack};
use crate::lzf;
use crate::types::{Family, RdbType, RdbVersion, StreamId};
use crate::value::{HashField, RdbValue, StreamValue};

/// Compact-encoding thresholds, as the servers' defaults.
pub mod limits {
    /// `set-max-intset-entries`.
    pub const SET_INTSET_ENTRIES: usize = 512;
    /// `set-max-listpack-entries`.
    pub const SET_LISTPACK_ENTRIES: usize = 128;
    /// `set-max-listpack-value`, `zset-max-listpack-value`, `hash-max-listpack-value`.
    pub const LISTPACK_VALUE: usize = 64;
    /// `zset-max-listpack-entries`.
    pub const ZSET_LISTPACK_ENTRIES: usize = 128;
    /// `hash-max-listpack-entries`.
    pub const HASH_LISTPACK_ENTRIES: usize = 512;
    /// `list-max-listpack-size -2`: 8 KB nodes.
    pub const LIST_NODE_BYTES: usize = 8192;
    /// Elements at least this large get a plain quicklist node.
    pub const LIST_PLAIN_ELEMENT: usize = 1 << 30;
    /// `stream-node-max-bytes`.
    pub const STREAM_NODE_BYTES: usize = 4096;
    /// `stream-node-max-entries`.
    pub const STREAM_NODE_ENTRIES: usize = 100;
}

/// Why a value could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The output failed.
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
    /// The target version cannot represent the value.
    #[error("{0}")]
    Unrepresentable(String),
}

/// Per-key metadata written before the value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyMeta {
    /// Absolute expiry, Unix ms.
    pub expire_ms: Option<i64>,
    /// LRU idle seconds.
    pub lru_idle: Option<u64>,
    /// LFU counter.
    pub lfu_freq: Option<u8>,
}

/// What a version can hold.
#[derive(Debug, Clone, Copy)]
struct Capabilities {
    listpacks: bool,
    set_listpack: bool,
    stream_format: u8,
    valkey_field_ttls: bool,
}

impl Capabilities {
    fn of(version: RdbVersion) -> Self {
        Self {
            listpacks: version.number >= 10,
            set_listpack: version.number >= 11,
            stream_format: match version.number {
                n if n >= 11 => 3,
                10 => 2,
                _ => 1,
            },
            valkey_field_ttls: version.family() == Family::Valkey,
        }
    }
}

/// Versions the writer produces.
pub fn is_writable(version: RdbVersion) -> bool {
    matches!(version.number, 10 | 11 | 80)
}

/// Appends a length (§2).
pub fn put_length(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Appends a string (§3): integer form when canonical and at most 11 bytes, LZF when `compress` and
/// it saves at least 4 bytes of a string longer than 20, else raw.
pub fn put_string(out: &mut Vec<u8>, bytes: &[u8], compress: bool) {
    if bytes.len() <= 11 {
        if let Some(value) = listpack::as_integer(bytes) {
            if let Ok(v) = i8::try_from(value) {
                out.extend_from_slice(&[0xC0, v as u8]);
                return;
            }
            if let Ok(v) = i16::try_from(value) {
                out.push(0xC1);
                out.extend_from_slice(&v.to_le_bytes());
                return;
            }
            if let Ok(v) = i32::try_from(value) {
                out.push(0xC2);
                out.extend_from_slice(&v.to_le_bytes());
                return;
            }
        }
    }
    if compress && bytes.len() > 20 {
        if let Some(packed) = lzf::compress(bytes, bytes.len() - 4) {
            out.push(0xC3);
            put_length(out, packed.len() as u64);
            put_length(out, bytes.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    put_length(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A score as text the servers parse back to the same double: an integer when exact, `inf`/`-inf`,
/// else the shortest round-trip form (used in listpacks and by `ferry rdb dump`).
pub fn score_text(score: f64) -> Vec<u8> {
    if score.is_infinite() {
        return if score > 0.0 {
            b"inf".to_vec()
        } else {
            b"-inf".to_vec()
        };
    }
    if score.fract() == 0.0 && score.abs() < 9_007_199_254_740_992.0 {
        return itoa::Buffer::new().format(score as i64).as_bytes().to_vec();
    }
    let plain = format!("{score}");
    if plain.len() <= 24 {
        plain.into_bytes()
    } else {
        format!("{score:e}").into_bytes()
    }
}

/// Encodes `value` as a type byte and body for `version`; `compress` enables LZF.
pub fn encode_value(
    value: &RdbValue<'_>,
    version: RdbVersion,
    compress: bool,
    out: &mut Vec<u8>,
) -> Result<RdbType, WriteError> {
    let caps = Capabilities::of(version);
    let put = |out: &mut Vec<u8>, bytes: &[u8]| put_string(out, bytes, compress);
    Ok(match value {
        RdbValue::String(bytes) => {
            put(out, bytes);
            RdbType::String
        }
        RdbValue::List(items) => {
            if caps.listpacks {
                encode_quicklist(items, compress, out);
                RdbType::ListQuicklist2
            } else {
                put_length(out, items.len() as u64);
                for item in items {
                    put(out, item);
                }
                RdbType::List
            }
        }
        RdbValue::Set(members) => encode_set(members, caps, compress, out),
        RdbValue::SortedSet(members) => {
            if members.iter().any(|(_, score)| score.is_nan()) {
                return Err(WriteError::Unrepresentable(
                    "sorted set with a NaN score".into(),
                ));
            }
            if caps.listpacks
                && members.len() <= limits::ZSET_LISTPACK_ENTRIES
                && members
                    .iter()
                    .all(|(m, _)| m.len() <= limits::LISTPACK_VALUE)
            {
                let mut sorted: Vec<&(std::borrow::Cow<'_, [u8]>, f64)> = members.iter().collect();
                sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
                let mut lp = Listpack::new();
                for (member, score) in sorted {
                    lp.push_back(member);
                    lp.push_back(&score_text(*score));
                }
                put(out, lp.as_bytes());
                RdbType::ZsetListpack
            } else {
                put_length(out, members.len() as u64);
                for (member, score) in members {
                    put(out, member);
                    out.extend_from_slice(&score.to_le_bytes());
                }
                RdbType::Zset2
            }
        }
        RdbValue::Hash(fields) => encode_hash(fields, caps, compress, out)?,
        RdbValue::Stream(stream) => encode_stream(stream, caps, compress, out),
        RdbValue::Module(module) => {
            return Err(WriteError::Unrepresentable(format!(
                "module value of type '{}' (ferry skips module data)",
                module.module.name()
            )))
        }
    })
}

fn encode_quicklist(items: &[std::borrow::Cow<'_, [u8]>], compress: bool, out: &mut Vec<u8>) {
    enum Node {
        Packed(Listpack),
        Plain(usize),
    }
    let mut nodes: Vec<Node> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        if item.len() >= limits::LIST_PLAIN_ELEMENT {
            nodes.push(Node::Plain(index));
            continue;
        }
        let fits = match nodes.last() {
            Some(Node::Packed(lp)) => lp.byte_len() + item.len() + 11 <= limits::LIST_NODE_BYTES,
            _ => false,
        };
        if !fits {
            nodes.push(Node::Packed(Listpack::new()));
        }
        if let Some(Node::Packed(lp)) = nodes.last_mut() {
            lp.push_back(item);
        }
    }
    put_length(out, nodes.len() as u64);
    for node in &nodes {
        match node {
            Node::Packed(lp) => {
                put_length(out, 2);
                put_string(out, lp.as_bytes(), compress);
            }
            Node::Plain(index) => {
                put_length(out, 1);
                put_string(out, &items[*index], compress);
            }
        }
    }
}

fn encode_set(
    members: &[std::borrow::Cow<'_, [u8]>],
    caps: Capabilities,
    compress: bool,
    out: &mut Vec<u8>,
) -> RdbType {
    if !members.is_empty() && members.len() <= limits::SET_INTSET_ENTRIES {
        let integers: Option<Vec<i64>> = members.iter().map(|m| listpack::as_integer(m)).collect();
        if let Some(mut integers) = integers {
            integers.sort_unstable();
            integers.dedup();
            if integers.len() == members.len() {
                let intset = crate::intset::Intset::from_values(integers);
                put_string(out, intset.as_bytes(), compress);
                return RdbType::SetIntset;
            }
        }
    }
    if caps.set_listpack
        && members.len() <= limits::SET_LISTPACK_ENTRIES
        && members.iter().all(|m| m.len() <= limits::LISTPACK_VALUE)
    {
        let mut lp = Listpack::new();
        for member in members {
            lp.push_back(member);
        }
        put_string(out, lp.as_bytes(), compress);
        return RdbType::SetListpack;
    }
    put_length(out, members.len() as u64);
    for member in members {
        put_string(out, member, compress);
    }
    RdbType::Set
}

fn encode_hash(
    fields: &[HashField<'_>],
    caps: Capabilities,
    compress: bool,
    out: &mut Vec<u8>,
) -> Result<RdbType, WriteError> {
    if fields.iter().any(|f| f.expire_ms.is_some()) {
        if !caps.valkey_field_ttls {
            return Err(WriteError::Unrepresentable(
                "hash field TTLs (the target version has no field expiration)".into(),
            ));
        }
        put_length(out, fields.len() as u64);
        for field in fields {
            put_string(out, &field.field, compress);
            put_string(out, &field.value, compress);
            out.extend_from_slice(&field.expire_ms.unwrap_or(-1).to_le_bytes());
        }
        return Ok(RdbType::ValkeyHash2);
    }
    if caps.listpacks
        && fields.len() <= limits::HASH_LISTPACK_ENTRIES
        && fields.iter().all(|f| {
            f.field.len() <= limits::LISTPACK_VALUE && f.value.len() <= limits::LISTPACK_VALUE
        })
    {
        let mut lp = Listpack::new();
        for field in fields {
            lp.push_back(&field.field);
            lp.push_back(&field.value);
        }
        put_string(out, lp.as_bytes(), compress);
        return Ok(RdbType::HashListpack);
    }
    put_length(out, fields.len() as u64);
    for field in fields {
        put_string(out, &field.field, compress);
        put_string(out, &field.value, compress);
    }
    Ok(RdbType::Hash)
}

fn put_id(out: &mut Vec<u8>, id: StreamId) {
    put_length(out, id.ms);
    put_length(out, id.seq);
}

/// Builds the node listpacks of a stream (§6.3.1).
fn stream_nodes(stream: &StreamValue) -> Vec<(StreamId, Listpack)> {
    let mut nodes: Vec<(StreamId, Listpack, usize)> = Vec::new();
    let mut master_fields: Vec<&[u8]> = Vec::new();
    for entry in &stream.entries {
        let fits = nodes.last().is_some_and(|(_, lp, count)| {
            let entry_bytes: usize = entry.fields.iter().map(|(f, v)| f.len() + v.len()).sum();
            *count < limits::STREAM_NODE_ENTRIES
                && lp.byte_len() + entry_bytes < limits::STREAM_NODE_BYTES
        });
        if !fits {
            let mut lp = Listpack::new();
            master_fields = entry.fields.iter().map(|(f, _)| f.as_slice()).collect();
            lp.push_back(b"0"); // live count, set when the node is complete
            lp.push_back(b"0"); // deleted
            lp.push_back(itoa::Buffer::new().format(master_fields.len()).as_bytes());
            for field in &master_fields {
                lp.push_back(field);
            }
            lp.push_back(b"0");
            nodes.push((entry.id, lp, 0));
        }
        let Some((master, lp, count)) = nodes.last_mut() else {
            continue;
        };
        let same_fields = entry.fields.len() == master_fields.len()
            && entry
                .fields
                .iter()
                .zip(&master_fields)
                .all(|((f, _), m)| f.as_slice() == *m);
        let int =
            |lp: &mut Listpack, n: i64| lp.push_back(itoa::Buffer::new().format(n).as_bytes());
        int(lp, if same_fields { 2 } else { 0 });
        int(lp, entry.id.ms.wrapping_sub(master.ms) as i64);
        int(lp, entry.id.seq.wrapping_sub(master.seq) as i64);
        if same_fields {
            for (_, value) in &entry.fields {
                lp.push_back(value);
            }
            int(lp, 3 + entry.fields.len() as i64);
        } else {
            int(lp, entry.fields.len() as i64);
            for (field, value) in &entry.fields {
                lp.push_back(field);
                lp.push_back(value);
            }
            int(lp, 4 + 2 * entry.fields.len() as i64);
        }
        *count += 1;
    }
    nodes
        .into_iter()
        .map(|(master, mut lp, count)| {
            if let Some(first) = lp.first() {
                lp.replace(first, itoa::Buffer::new().format(count).as_bytes());
            }
            (master, lp)
        })
        .collect()
}

fn encode_stream(
    stream: &StreamValue,
    caps: Capabilities,
    compress: bool,
    out: &mut Vec<u8>,
) -> RdbType {
    let nodes = stream_nodes(stream);
    put_length(out, nodes.len() as u64);
    for (master, lp) in &nodes {
        put_string(out, &master.to_be_bytes(), false);
        put_string(out, lp.as_bytes(), compress);
    }
    let meta = &stream.meta;
    put_length(out, meta.length);
    put_id(out, meta.last_id);
    if caps.stream_format >= 2 {
        let first = meta
            .first_id
            .or_else(|| stream.entries.first().map(|e| e.id))
            .unwrap_or_default();
        put_id(out, first);
        put_id(out, meta.max_deleted_id.unwrap_or_default());
        put_length(out, meta.entries_added.unwrap_or(meta.length));
    }
    put_length(out, stream.groups.len() as u64);
    for group in &stream.groups {
        put_string(out, &group.group.name, compress);
        put_id(out, group.group.last_id);
        if caps.stream_format >= 2 {
            put_length(out, group.group.entries_read.unwrap_or(-1) as u64);
        }
        let mut pending = group.pending.clone();
        pending.sort_by_key(|p| p.id);
        put_length(out, pending.len() as u64);
        for entry in &pending {
            out.extend_from_slice(&entry.id.to_be_bytes());
            out.extend_from_slice(&entry.delivery_time_ms.to_le_bytes());
            put_length(out, entry.delivery_count);
        }
        let mut consumers: Vec<_> = group.consumers.iter().collect();
        consumers.sort_by(|a, b| a.consumer.name.cmp(&b.consumer.name));
        put_length(out, consumers.len() as u64);
        for consumer in consumers {
            put_string(out, &consumer.consumer.name, compress);
            out.extend_from_slice(&consumer.consumer.seen_time_ms.to_le_bytes());
            if caps.stream_format >= 3 {
                let active = consumer
                    .consumer
                    .active_time_ms
                    .unwrap_or(consumer.consumer.seen_time_ms);
                out.extend_from_slice(&active.to_le_bytes());
            }
            let mut ids = consumer.pending.clone();
            ids.sort();
            put_length(out, ids.len() as u64);
            for id in ids {
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
    }
    match caps.stream_format {
        3 => RdbType::StreamListpacks3,
        2 => RdbType::StreamListpacks2,
        _ => RdbType::StreamListpacks,
    }
}

/// Writes an RDB file item by item.
pub struct RdbWriter<W: Write> {
    out: W,
    digest: crc::Digest<'static, u64, crc::Table<16>>,
    version: RdbVersion,
    compress: bool,
    buffer: Vec<u8>,
}

impl<W: Write> RdbWriter<W> {
    /// Starts a file of `version` (10, 11 or 80): writes the header.
    pub fn new(out: W, version: RdbVersion) -> Result<Self, WriteError> {
        if !is_writable(version) {
            return Err(WriteError::Unrepresentable(format!(
                "ferry writes RDB versions 10, 11 and 80, not {version}"
            )));
        }
        let mut writer = Self {
            out,
            digest: crate::CRC64.digest(),
            version,
            compress: true,
            buffer: Vec::with_capacity(64 * 1024),
        };
        writer.buffer.extend_from_slice(&version.header());
        writer.flush_buffer()?;
        Ok(writer)
    }

    /// Turns LZF compression of long strings on or off (on by default, as `rdbcompression yes`).
    pub fn set_compression(&mut self, compress: bool) {
        self.compress = compress;
    }

    /// The version being written.
    pub fn version(&self) -> RdbVersion {
        self.version
    }

    fn flush_buffer(&mut self) -> io::Result<()> {
        self.digest.update(&self.buffer);
        self.out.write_all(&self.buffer)?;
        self.buffer.clear();
        Ok(())
    }

    /// An AUX field.
    pub fn aux(&mut self, name: &[u8], value: &[u8]) -> Result<(), WriteError> {
        self.buffer.push(0xFA);
        put_string(&mut self.buffer, name, false);
        put_string(&mut self.buffer, value, false);
        Ok(self.flush_buffer()?)
    }

    /// Switches to database `db`.
    pub fn select_db(&mut self, db: u64) -> Result<(), WriteError> {
        self.buffer.push(0xFE);
        put_length(&mut self.buffer, db);
        Ok(self.flush_buffer()?)
    }

    /// A sizing hint for the current database.
    pub fn resize_db(&mut self, keys: u64, expires: u64) -> Result<(), WriteError> {
        self.buffer.push(0xFB);
        put_length(&mut self.buffer, keys);
        put_length(&mut self.buffer, expires);
        Ok(self.flush_buffer()?)
    }

    /// A function library (RDB 10+).
    pub fn function(&mut self, code: &[u8]) -> Result<(), WriteError> {
        if self.version.number < 10 {
            return Err(WriteError::Unrepresentable(
                "function libraries need RDB 10 or later".into(),
            ));
        }
        self.buffer.push(0xF5);
        put_string(&mut self.buffer, code, self.compress);
        Ok(self.flush_buffer()?)
    }

    /// A key: its metadata, type, name and value. On `Unrepresentable` nothing is written.
    pub fn key(
        &mut self,
        key: &[u8],
        value: &RdbValue<'_>,
        meta: &KeyMeta,
    ) -> Result<RdbType, WriteError> {
        let mut body = Vec::new();
        let rdb_type = encode_value(value, self.version, self.compress, &mut body)?;
        if let Some(expire) = meta.expire_ms {
            self.buffer.push(0xFC);
            self.buffer.extend_from_slice(&expire.to_le_bytes());
        }
        if let Some(idle) = meta.lru_idle {
            self.buffer.push(0xF8);
            put_length(&mut self.buffer, idle);
        }
        if let Some(freq) = meta.lfu_freq {
            self.buffer.push(0xF9);
            self.buffer.push(freq);
        }
        self.buffer.push(rdb_type.byte());
        put_string(&mut self.buffer, key, self.compress);
        self.flush_buffer()?;
        self.digest.update(&body);
        self.out.write_all(&body)?;
        Ok(rdb_type)
    }

    /// Writes EOF and the checksum, flushes, and returns the output.
    pub fn finish(mut self) -> Result<W, WriteError> {
        self.buffer.push(0xFF);
        self.flush_buffer()?;
        let checksum = self.digest.finalize();
        self.out.write_all(&checksum.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::{Item, RdbReader};
    use std::borrow::Cow;

    fn read_back(bytes: &[u8]) -> Vec<(Vec<u8>, RdbType, RdbValue<'static>)> {
        let mut reader = RdbReader::new(bytes).unwrap();
        let mut keys = Vec::new();
        while let Some(item) = reader.next_item().unwrap() {
            if let Item::Key(header) = item {
                let value = reader.read_value(header.rdb_type.kind()).unwrap();
                keys.push((header.key, header.rdb_type, value));
            }
        }
        keys
    }

    fn owned(items: &[&str]) -> Vec<Cow<'static, [u8]>> {
        items
            .iter()
            .map(|s| Cow::Owned(s.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn strings_use_integer_and_lzf_forms() {
        let mut out = Vec::new();
        put_string(&mut out, b"-5", true);
        put_string(&mut out, b"300", true);
        put_string(&mut out, b"70000", true);
        put_string(&mut out, b"007", true);
        assert_eq!(out, b"\xc0\xfb\xc1\x2c\x01\xc2\x70\x11\x01\x00\x03007");
        let mut out = Vec::new();
        put_string(&mut out, &b"ab".repeat(100), true);
        assert_eq!(out[0], 0xC3);
    }

    #[test]
    fn encodings_follow_thresholds_and_versions() {
        let cases: Vec<(RdbValue<'static>, RdbVersion, RdbType)> = vec![
            (
                RdbValue::Set(owned(&["1", "2", "-3"])),
                RdbVersion::RDB_11,
                RdbType::SetIntset,
            ),
            (
                RdbValue::Set(owned(&["1", "a"])),
                RdbVersion::RDB_11,
                RdbType::SetListpack,
            ),
            (
                RdbValue::Set(owned(&["1", "a"])),
                RdbVersion::REDIS_7_0,
                RdbType::Set,
            ),
            (
                RdbValue::Set(owned(&["1", "01"])),
                RdbVersion::RDB_11,
                RdbType::SetListpack,
            ),
            (
                RdbValue::SortedSet(vec![(Cow::Borrowed(&b"m"[..]), 1.5)]),
                RdbVersion::VALKEY_9,
                RdbType::ZsetListpack,
            ),
            (
                RdbValue::Hash(vec![HashField {
                    field: Cow::Borrowed(b"f"),
                    value: Cow::Owned(vec![b'v'; 65]),
                    expire_ms: None,
                }]),
                RdbVersion::VALKEY_9,
                RdbType::Hash,
            ),
            (
                RdbValue::Hash(vec![HashField {
                    field: Cow::Borrowed(b"f"),
                    value: Cow::Borrowed(b"v"),
                    expire_ms: Some(5),
                }]),
                RdbVersion::VALKEY_9,
                RdbType::ValkeyHash2,
            ),
        ];
        for (value, version, expected) in cases {
            let mut out = Vec::new();
            assert_eq!(
                encode_value(&value, version, true, &mut out).unwrap(),
                expected
            );
        }
        let ttl_hash = RdbValue::Hash(vec![HashField {
            field: Cow::Borrowed(b"f"),
            value: Cow::Borrowed(b"v"),
            expire_ms: Some(5),
        }]);
        assert!(matches!(
            encode_value(&ttl_hash, RdbVersion::RDB_11, true, &mut Vec::new()),
            Err(WriteError::Unrepresentable(_))
        ));
    }

    #[test]
    fn files_read_back() {
        let big_list: Vec<Cow<'static, [u8]>> = (0..3000)
            .map(|i| Cow::Owned(format!("item-{i}").into_bytes()))
            .collect();
        let values = vec![
            (b"s".to_vec(), RdbValue::String(Cow::Borrowed(b"hello"))),
            (b"l".to_vec(), RdbValue::List(big_list)),
            (
                b"z".to_vec(),
                RdbValue::SortedSet(vec![
                    (Cow::Borrowed(&b"a"[..]), f64::INFINITY),
                    (Cow::Borrowed(&b"b"[..]), -0.1),
                    (Cow::Borrowed(&b"c"[..]), 1e300),
                    (Cow::Borrowed(&b"d"[..]), 12.0),
                ]),
            ),
        ];
        for version in [
            RdbVersion::REDIS_7_0,
            RdbVersion::RDB_11,
            RdbVersion::VALKEY_9,
        ] {
            let mut writer = RdbWriter::new(Vec::new(), version).unwrap();
            writer.select_db(0).unwrap();
            for (key, value) in &values {
                writer.key(key, value, &KeyMeta::default()).unwrap();
            }
            let bytes = writer.finish().unwrap();
            let keys = read_back(&bytes);
            assert_eq!(keys.len(), values.len());
            for ((key, value), (read_key, _, read_value)) in values.iter().zip(&keys) {
                assert_eq!(key, read_key);
                match (value, read_value) {
                    (RdbValue::SortedSet(a), RdbValue::SortedSet(b)) => {
                        let mut a = a.clone();
                        a.sort_by(|x, y| x.1.total_cmp(&y.1));
                        assert_eq!(&a, b);
                    }
                    _ => assert_eq!(value, read_value),
                }
            }
        }
    }
}
