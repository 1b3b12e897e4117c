//! Decoders for the legacy compact containers found inside RDB strings — ziplist (§8.2) and zipmap
//! (§8.4); intsets (§8.3) have their one codec in [`crate::intset`]. Every decoder checks the
//! structure fully before trusting it: the input comes from files and RESTORE payloads.
//!
//! Containers are small (bounded by the servers' compact-encoding thresholds), so they decode into a
//! vector of element texts in one go.

/// Element texts decoded from a container; integers are rendered in decimal.
pub type Elements = Vec<Vec<u8>>;

fn u16_le(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u32_be(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn int_text(value: i64) -> Vec<u8> {
    itoa::Buffer::new().format(value).as_bytes().to_vec()
}

fn sign_extend(value: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((value << shift) as i64) >> shift
}

const ZIPLIST_HEADER: usize = 10;
const ZIPLIST_END: u8 = 0xFF;
const ZIPLIST_BIG_PREVLEN: u8 = 0xFE;

/// Decodes a ziplist, checking sizes, the tail offset, every `prevlen` and the count.
pub fn ziplist_entries(bytes: &[u8]) -> Result<Elements, &'static str> {
    const BAD: &str = "corrupt ziplist";
    if bytes.len() < ZIPLIST_HEADER + 1 {
        return Err(BAD);
    }
    let total = u32_le(bytes, 0).ok_or(BAD)? as usize;
    let tail = u32_le(bytes, 4).ok_or(BAD)? as usize;
    let count = u16_le(bytes, 8).ok_or(BAD)?;
    if total != bytes.len() {
        return Err("ziplist size does not match its header");
    }
    let mut entries = Vec::new();
    let mut pos = ZIPLIST_HEADER;
    let mut previous_size = 0usize;
    let mut last_start = ZIPLIST_HEADER;
    loop {
        let first = *bytes.get(pos).ok_or(BAD)?;
        if first == ZIPLIST_END {
            break;
        }
        let start = pos;
        let prevlen = if first < ZIPLIST_BIG_PREVLEN {
            pos += 1;
            usize::from(first)
        } else {
            let value = u32_le(bytes, pos + 1).ok_or(BAD)? as usize;
            pos += 5;
            value
        };
        if prevlen != previous_size {
            return Err("ziplist entry has a wrong prevlen");
        }
        let encoding = *bytes.get(pos).ok_or(BAD)?;
        let element = match encoding >> 6 {
            0..=2 => {
                let (len, header) = match encoding >> 6 {
                    0 => (usize::from(encoding & 0x3F), 1),
                    1 => (
                        (usize::from(encoding & 0x3F) << 8)
                            | usize::from(*bytes.get(pos + 1).ok_or(BAD)?),
                        2,
                    ),
                    _ => {
                        if encoding != 0x80 {
                            return Err(BAD);
                        }
                        (u32_be(bytes, pos + 1).ok_or(BAD)? as usize, 5)
                    }
                };
                let data = bytes.get(pos + header..pos + header + len).ok_or(BAD)?;
                pos += header + len;
                data.to_vec()
            }
            _ => {
                let data_at = pos + 1;
                let (value, size) = match encoding {
                    0xC0 => (
                        i64::from(i16::from_le_bytes(
                            bytes
                                .get(data_at..data_at + 2)
                                .ok_or(BAD)?
                                .try_into()
                                .map_err(|_| BAD)?,
                        )),
                        2,
                    ),
                    0xD0 => (
                        i64::from(i32::from_le_bytes(
                            bytes
                                .get(data_at..data_at + 4)
                                .ok_or(BAD)?
                                .try_into()
                                .map_err(|_| BAD)?,
                        )),
                        4,
                    ),
                    0xE0 => (
                        i64::from_le_bytes(
                            bytes
                                .get(data_at..data_at + 8)
                                .ok_or(BAD)?
                                .try_into()
                                .map_err(|_| BAD)?,
                        ),
                        8,
                    ),
                    0xF0 => {
                        let b = bytes.get(data_at..data_at + 3).ok_or(BAD)?;
                        let raw = u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16;
                        (sign_extend(raw, 24), 3)
                    }
                    0xFE => (i64::from(*bytes.get(data_at).ok_or(BAD)? as i8), 1),
                    0xF1..=0xFD => (i64::from(encoding & 0x0F) - 1, 0),
                    _ => return Err(BAD),
                };
                pos = data_at + size;
                int_text(value)
            }
        };
        if pos >= bytes.len() {
            return Err(BAD);
        }
        previous_size = pos - start;
        last_start = start;
        entries.push(element);
    }
    if pos != bytes.len() - 1 {
        return Err("ziplist terminator misplaced");
    }
    if tail != last_start {
        return Err("ziplist tail offset is wrong");
    }
    if count != u16::MAX && usize::from(count) != entries.len() {
        return Err("ziplist count does not match its entries");
    }
    Ok(entries)
}

/// Decodes a zipmap into alternating field, value texts.
pub fn zipmap_entries(bytes: &[u8]) -> Result<Elements, &'static str> {
    const BAD: &str = "corrupt zipmap";
    let declared = *bytes.first().ok_or(BAD)?;
    let mut pos = 1usize;
    let read_len = |pos: &mut usize| -> Result<Option<usize>, &'static str> {
        let first = *bytes.get(*pos).ok_or(BAD)?;
        match first {
            255 => Ok(None),
            254 => {
                let len = u32_le(bytes, *pos + 1).ok_or(BAD)? as usize;
                *pos += 5;
                Ok(Some(len))
            }
            len => {
                *pos += 1;
                Ok(Some(usize::from(len)))
            }
        }
    };
    let mut entries = Vec::new();
    while let Some(field_len) = read_len(&mut pos)? {
        let field = bytes.get(pos..pos + field_len).ok_or(BAD)?;
        pos += field_len;
        let value_len = read_len(&mut pos)?.ok_or(BAD)?;
        let free = usize::from(*bytes.get(pos).ok_or(BAD)?);
        pos += 1;
        let value = bytes.get(pos..pos + value_len).ok_or(BAD)?;
        pos += value_len + free;
        entries.push(field.to_vec());
        entries.push(value.to_vec());
    }
    if pos != bytes.len() - 1 {
        return Err("zipmap terminator misplaced");
    }
    if declared < 254 && usize::from(declared) * 2 != entries.len() {
        return Err("zipmap count does not match its entries");
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(items: &[&str]) -> Elements {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    /// Builds a ziplist from raw entry encodings (each without prevlen).
    fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut previous = 0usize;
        let mut tail = ZIPLIST_HEADER;
        for entry in entries {
            tail = ZIPLIST_HEADER + body.len();
            let start = body.len();
            if previous < 254 {
                body.push(previous as u8);
            } else {
                body.push(0xFE);
                body.extend_from_slice(&(previous as u32).to_le_bytes());
            }
            body.extend_from_slice(entry);
            previous = body.len() - start;
        }
        let total = ZIPLIST_HEADER + body.len() + 1;
        let mut out = Vec::new();
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(tail as u32).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out.push(ZIPLIST_END);
        out
    }

    #[test]
    fn ziplist_every_encoding() {
        let long = vec![b'x'; 300];
        let mut long_entry = vec![0x41, 0x2C];
        long_entry.extend_from_slice(&long);
        let zl = ziplist(&[
            b"\x03abc",
            &long_entry,
            b"\xC0\x2c\x01",
            b"\xD0\x70\x11\x01\x00",
            b"\xE0\x00\xe4\x0b\x54\x02\x00\x00\x00",
            b"\xF0\xff\xff\xff",
            b"\xFE\x80",
            b"\xF1",
            b"\xFD",
        ]);
        let entries = ziplist_entries(&zl).unwrap();
        let mut expected = texts(&["abc"]);
        expected.push(long);
        expected.extend(texts(&[
            "300",
            "70000",
            "10000000000",
            "-1",
            "-128",
            "0",
            "12",
        ]));
        assert_eq!(entries, expected);
    }

    #[test]
    fn ziplist_corruption_is_detected() {
        let mut zl = ziplist(&[b"\x03abc", b"\xF2"]);
        assert!(ziplist_entries(&zl).is_ok());
        zl[4] = 0; // tail offset
        assert!(ziplist_entries(&zl).is_err());
        let mut zl = ziplist(&[b"\x03abc", b"\xF2"]);
        zl[15] = 9; // prevlen of the second entry
        assert!(ziplist_entries(&zl).is_err());
        assert!(ziplist_entries(&[1, 2, 3]).is_err());
        let empty = ziplist(&[]);
        assert_eq!(ziplist_entries(&empty).unwrap(), Elements::new());
    }

    #[test]
    fn zipmaps() {
        let zm = b"\x02\x03foo\x03\x00bar\x05hello\x05\x02worldxx\xff";
        assert_eq!(
            zipmap_entries(zm).unwrap(),
            texts(&["foo", "bar", "hello", "world"])
        );
        assert!(zipmap_entries(b"\x03\x03foo\x03\x00bar\xff").is_err());
        assert!(zipmap_entries(b"\x01\x03foo").is_err());
    }
}
