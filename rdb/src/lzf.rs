//! LZF, the compression RDB strings use (docs/RDB_FORMAT.md §3.1): a checked decompressor for untrusted
//! input and a small compressor for the writer. Compressed bytes need not match Redis's; any valid LZF
//! stream decompresses to the same string.

/// Largest expansion a valid stream can reach: a 3-byte back reference yields up to 264 bytes.
pub const MAX_EXPANSION: u64 = 88;

/// Decompresses `input`, which must expand to exactly `expected_len` bytes. Returns a description of
/// the problem on malformed input.
pub fn decompress(input: &[u8], expected_len: usize) -> Result<Vec<u8>, &'static str> {
    let mut out: Vec<u8> = Vec::with_capacity(expected_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let literal = input
                .get(ip..ip + run)
                .ok_or("LZF literal run past the input")?;
            if out.len() + run > expected_len {
                return Err("LZF output longer than declared");
            }
            out.extend_from_slice(literal);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or("LZF reference past the input")?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or("LZF reference past the input")?);
            ip += 1;
            let distance = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            if distance > out.len() {
                return Err("LZF reference before the start of the output");
            }
            if out.len() + len > expected_len {
                return Err("LZF output longer than declared");
            }
            let start = out.len() - distance;
            if distance >= len {
                out.extend_from_within(start..start + len);
            } else {
                // Overlapping copy: a run that repeats the last `distance` bytes.
                for i in 0..len {
                    let byte = out[start + i];
                    out.push(byte);
                }
            }
        }
    }
    if out.len() != expected_len {
        return Err("LZF output shorter than declared");
    }
    Ok(out)
}

const HASH_BITS: u32 = 14;
const MAX_DISTANCE: usize = 1 << 13;
const MAX_REF_LEN: usize = 264;
const MAX_LITERAL: usize = 32;

fn hash3(bytes: &[u8]) -> usize {
    let v = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
}

/// Compresses `input`; `None` when the result would exceed `max_len` bytes (the caller then stores the
/// string raw, as Redis does when compression saves fewer than 4 bytes).
pub fn compress(input: &[u8], max_len: usize) -> Option<Vec<u8>> {
    let mut table = vec![usize::MAX; 1 << HASH_BITS];
    let mut out = Vec::with_capacity(max_len.min(input.len()) + 1);
    let mut literal_at = 0usize;
    let mut literal_len = 0usize;
    out.push(0);
    let mut ip = 0usize;
    while ip < input.len() {
        let mut matched = 0usize;
        let mut distance = 0usize;
        if ip + 3 <= input.len() {
            let h = hash3(&input[ip..]);
            let candidate = table[h];
            table[h] = ip;
            if candidate < ip
                && ip - candidate <= MAX_DISTANCE
                && input[candidate..candidate + 3] == input[ip..ip + 3]
            {
                let limit = MAX_REF_LEN.min(input.len() - ip);
                let mut len = 3;
                while len < limit && input[candidate + len] == input[ip + len] {
                    len += 1;
                }
                matched = len;
                distance = ip - candidate - 1;
            }
        }
        if matched >= 3 {
            if literal_len > 0 {
                out[literal_at] = (literal_len - 1) as u8;
            } else {
                out.pop();
            }
            let code = matched - 2;
            if code < 7 {
                out.push(((code << 5) | (distance >> 8)) as u8);
            } else {
                out.push(((7 << 5) | (distance >> 8)) as u8);
                out.push((code - 7) as u8);
            }
            out.push(distance as u8);
            // Index a few positions inside the match so later repeats are found.
            let end = ip + matched;
            let mut p = ip + 1;
            while p + 3 <= input.len() && p < end {
                table[hash3(&input[p..])] = p;
                p += 1;
            }
            ip = end;
            literal_at = out.len();
            literal_len = 0;
            out.push(0);
        } else {
            out.push(input[ip]);
            literal_len += 1;
            ip += 1;
            if literal_len == MAX_LITERAL {
                out[literal_at] = (MAX_LITERAL - 1) as u8;
                literal_at = out.len();
                literal_len = 0;
                out.push(0);
            }
        }
        if out.len() > max_len + 1 {
            return None;
        }
    }
    if literal_len > 0 {
        out[literal_at] = (literal_len - 1) as u8;
    } else {
        out.pop();
    }
    (out.len() <= max_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn compresses_repetitive_data() {
        let input =
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let packed = compress(input, input.len() - 4).unwrap();
        assert!(packed.len() < 10);
        assert_eq!(decompress(&packed, input.len()).unwrap(), input);
    }

    #[test]
    fn incompressible_data_is_refused() {
        let input: Vec<u8> = (0..64u8).collect();
        assert!(compress(&input, input.len() - 4).is_none());
    }

    #[test]
    fn overlapping_reference_repeats_a_run() {
        // literal "ab", then a reference of length 6 at distance 2: "abababab".
        assert_eq!(
            decompress(&[0x01, b'a', b'b', 0x80, 0x01], 8).unwrap(),
            b"abababab"
        );
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(decompress(&[0x05, b'a'], 6).is_err());
        assert!(decompress(&[0x20, 0x00], 3).is_err());
        assert!(decompress(&[0x00, b'a'], 2).is_err());
        assert!(decompress(&[0x00, b'a', 0x20, 0x00], 2).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(data in proptest::collection::vec(0u8..4, 0..3000)) {
            if let Some(packed) = compress(&data, data.len()) {
                prop_assert_eq!(decompress(&packed, data.len()).unwrap(), data);
            }
        }

        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..200), len in 0usize..500) {
            let _ = decompress(&data, len);
        }
    }
}
