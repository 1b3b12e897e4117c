//! DUMP/RESTORE payloads (docs/RDB_FORMAT.md §10): a value's type byte and body, the RDB version as a
//! little-endian u16 and a CRC-64 of everything before it. [`encode`] and [`decode`] convert whole
//! values; a server that writes its own in-memory encodings wraps them with [`seal`], and RESTORE
//! uses [`decode_for_load`], which keeps what loaders look at (the stored type, quicklist nodes).
//! Payloads from Redis 7.0 (10), 7.2 (11), 8.x (12) and Valkey 9 (80) decode.

use crate::containers;
use crate::error::{ErrorKind, RdbError, Result};
use crate::listpack::Listpack;
use crate::reader::input::Input;
use crate::reader::{Item, RdbReader, ReaderOptions};
use crate::types::{RdbType, RdbVersion};
use crate::value::RdbValue;
use crate::writer::{encode_value, WriteError};

/// Bytes after the body: version (2) and CRC-64 (8).
const TRAILER: usize = 10;

/// Serializes `value` as a DUMP payload for `version` (LZF on, as the servers do).
pub fn encode(value: &RdbValue<'_>, version: RdbVersion) -> Result<Vec<u8>, WriteError> {
    let mut payload = vec![0];
    let rdb_type = encode_value(value, version, true, &mut payload)?;
    payload[0] = rdb_type.byte();
    Ok(seal(payload, version))
}

/// The version a payload declares, if it is long enough to have one.
pub fn payload_version(payload: &[u8]) -> Option<RdbVersion> {
    let at = payload.len().checked_sub(TRAILER)?;
    Some(RdbVersion {
        number: u16::from_le_bytes([payload[at], payload[at + 1]]),
    })
}

/// Wraps a body (type byte and value) in the trailer: `version` and the CRC-64 of everything before.
pub fn seal(mut body: Vec<u8>, version: RdbVersion) -> Vec<u8> {
    body.extend_from_slice(&version.number.to_le_bytes());
    let crc = crate::CRC64.checksum(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// Checks a payload's trailer (length, CRC, then version, in the servers' order) and returns the
/// version and the body: the type byte and the value.
pub fn verify(payload: &[u8]) -> Result<(RdbVersion, &[u8])> {
    let corrupt = |reason: &str| RdbError::new(ErrorKind::Corrupt(reason.into()), 0);
    let version = payload_version(payload).ok_or_else(|| corrupt("payload too short"))?;
    let crc_at = payload.len() - 8;
    let mut stored = [0u8; 8];
    stored.copy_from_slice(&payload[crc_at..]);
    let computed = crate::CRC64.checksum(&payload[..crc_at]);
    if u64::from_le_bytes(stored) != computed {
        return Err(RdbError::new(
            ErrorKind::Checksum {
                stored: u64::from_le_bytes(stored),
                computed,
            },
            crc_at as u64,
        ));
    }
    if !version.is_supported() {
        return Err(RdbError::new(
            ErrorKind::UnsupportedVersion(format!("{} (in a DUMP payload)", version.number)),
            (payload.len() - TRAILER) as u64,
        ));
    }
    Ok((version, &payload[..payload.len() - TRAILER]))
}

/// Checks a payload's CRC and version and decodes its value.
pub fn decode(payload: &[u8]) -> Result<(RdbValue<'static>, RdbVersion)> {
    let (version, body) = verify(payload)?;
    let value = read_body(body, version, ReaderOptions::default())?;
    Ok((value, version))
}

/// Reads the value of a payload body; the reader checks that nothing follows it unless `options`
/// allow trailing bytes.
fn read_body(
    body: &[u8],
    version: RdbVersion,
    options: ReaderOptions,
) -> Result<RdbValue<'static>> {
    let mut reader = RdbReader::for_payload(body, version, options);
    match reader.next_item()? {
        Some(Item::Key(header)) => reader.read_value(header.rdb_type.kind()),
        _ => Err(RdbError::new(
            ErrorKind::Corrupt("payload holds no value".into()),
            0,
        )),
    }
}

/// A node of a quicklist as a payload stores it. Servers keep a loaded list's node boundaries, so a
/// loader that mirrors them needs the nodes, not just the elements.
#[derive(Debug, Clone, PartialEq)]
pub enum QuicklistNode {
    /// A listpack of elements (a ziplist node of type 14 arrives converted).
    Packed(Listpack),
    /// One element stored on its own (container 1 of type 18).
    Plain(Vec<u8>),
}

/// What a payload holds, in the shape a server's loader needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    /// A quicklist (types 14 and 18), node by node; empty listpack nodes are dropped.
    Quicklist(Vec<QuicklistNode>),
    /// Any other value.
    Value(RdbValue<'static>),
}

/// Checks a payload and decodes it for loading: the type it was stored as (servers pick the
/// in-memory encoding from it), its version, and the value — quicklists with their nodes.
pub fn decode_for_load(payload: &[u8]) -> Result<(Loaded, RdbType, RdbVersion)> {
    // Valkey reads the value from the whole payload: a value may run into the trailer, and bytes
    // after it are ignored.
    let (version, _) = verify(payload)?;
    let Some(&type_byte) = payload.first() else {
        return Err(RdbError::new(
            ErrorKind::Corrupt("payload holds no value".into()),
            0,
        ));
    };
    let rdb_type = RdbType::from_byte(type_byte, version).ok_or_else(|| {
        RdbError::new(
            ErrorKind::UnknownType {
                type_byte,
                version: version.number,
            },
            0,
        )
    })?;
    if matches!(rdb_type, RdbType::ListQuicklist | RdbType::ListQuicklist2) {
        let nodes = quicklist_nodes(&payload[1..], rdb_type == RdbType::ListQuicklist2)?;
        return Ok((Loaded::Quicklist(nodes), rdb_type, version));
    }
    let options = ReaderOptions {
        payload_trailing_bytes: true,
        ..ReaderOptions::default()
    };
    let value = read_body(payload, version, options)?;
    Ok((Loaded::Value(value), rdb_type, version))
}

/// Reads a quicklist body: a node count, then each node (a container number first when
/// `listpack_nodes`); like Valkey's RESTORE, it ignores anything after the last node.
fn quicklist_nodes(body: &[u8], listpack_nodes: bool) -> Result<Vec<QuicklistNode>> {
    let mut input = Input::new(body, false);
    let count = input.length()?;
    let mut nodes = Vec::new();
    for _ in 0..count {
        let container = if listpack_nodes { input.length()? } else { 2 };
        let blob = input.string()?;
        let node = match container {
            1 => QuicklistNode::Plain(blob),
            2 if listpack_nodes => QuicklistNode::Packed(
                Listpack::from_bytes(blob).map_err(|e| input.corrupt(e.to_string()))?,
            ),
            2 => {
                let mut lp = Listpack::new();
                for item in containers::ziplist_entries(&blob).map_err(|e| input.corrupt(e))? {
                    lp.push_back(&item);
                }
                QuicklistNode::Packed(lp)
            }
            _ => {
                return Err(
                    input.corrupt(format!("quicklist node has unknown container {container}"))
                )
            }
        };
        match &node {
            QuicklistNode::Packed(lp) if lp.is_empty() => {}
            _ => nodes.push(node),
        }
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn valkey_payload_decodes() {
        // DUMP of `SET s hello` on Valkey 9.1.2.
        let payload = b"\x00\x05helloP\x00\xacX\x16\xe7\xfbfG\xfe";
        let (value, version) = decode(payload).unwrap();
        assert_eq!(value, RdbValue::String(Cow::Borrowed(b"hello")));
        assert_eq!(version, RdbVersion::VALKEY_9);
        assert_eq!(encode(&value, version).unwrap(), payload);
    }

    #[test]
    fn damaged_payloads_are_refused() {
        let mut payload = b"\x00\x05helloP\x00\xacX\x16\xe7\xfbfG\xfe".to_vec();
        payload[3] = b'X';
        assert!(matches!(
            decode(&payload).unwrap_err().kind,
            ErrorKind::Checksum { .. }
        ));
        assert!(decode(b"short").is_err());
        let mut trailing = b"\x00\x05helloX".to_vec();
        trailing.extend_from_slice(&80u16.to_le_bytes());
        let crc = crate::CRC64.checksum(&trailing);
        trailing.extend_from_slice(&crc.to_le_bytes());
        assert!(decode(&trailing).is_err());
    }
}
