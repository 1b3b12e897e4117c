//! DUMP/RESTORE payloads (docs/RDB_FORMAT.md §10): a value's type byte and body, the RDB version as a
//! little-endian u16 and a CRC-64 of everything before it. The server's DUMP calls [`encode`] and
//! RESTORE calls [`decode`]; payloads from Redis 7.0 (10), 7.2 (11), 8.x (12) and Valkey 9 (80) decode.

use crate::error::{ErrorKind, RdbError, Result};
use crate::reader::{Item, RdbReader, ReaderOptions};
use crate::types::RdbVersion;
use crate::value::RdbValue;
use crate::writer::{encode_value, WriteError};

/// Bytes after the body: version (2) and CRC-64 (8).
const TRAILER: usize = 10;

/// Serializes `value` as a DUMP payload for `version` (LZF on, as the servers do).
pub fn encode(value: &RdbValue<'_>, version: RdbVersion) -> Result<Vec<u8>, WriteError> {
    let mut payload = Vec::new();
    let rdb_type = encode_value(value, version, true, &mut payload)?;
    payload.insert(0, rdb_type.byte());
    payload.extend_from_slice(&version.number.to_le_bytes());
    let crc = crate::CRC64.checksum(&payload);
    payload.extend_from_slice(&crc.to_le_bytes());
    Ok(payload)
}

/// The version a payload declares, if it is long enough to have one.
pub fn payload_version(payload: &[u8]) -> Option<RdbVersion> {
    let at = payload.len().checked_sub(TRAILER)?;
    Some(RdbVersion {
        number: u16::from_le_bytes([payload[at], payload[at + 1]]),
    })
}

/// Checks a payload's CRC and version and decodes its value.
pub fn decode(payload: &[u8]) -> Result<(RdbValue<'static>, RdbVersion)> {
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
    let body = &payload[..payload.len() - TRAILER];
    let mut reader = RdbReader::for_payload(body, version, ReaderOptions::default());
    match reader.next_item()? {
        Some(Item::Key(header)) => {
            let value = reader.read_value(header.rdb_type.kind())?;
            // The reader checks that nothing follows the value.
            Ok((value, version))
        }
        _ => Err(corrupt("payload holds no value")),
    }
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
