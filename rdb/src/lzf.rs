//! LZF, the compression RDB strings use (docs/RDB_FORMAT.md §3.1): a checked decompressor for untrusted
//! input and a compressor for the writer that produces the same bytes as the servers' liblzf (any
//! valid stream would decompress to the same string, but DUMP payloads and DEBUG OBJECT's
//! `serializedlength` are compared with Valkey's byte for byte).

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

/// Slots of the compressor's hash table (liblzf's `HLOG` 16).
const TABLE_SLOTS: usize = 1 << 16;
/// Farthest a back reference reaches.
const MAX_OFFSET: usize = 1 << 13;
/// Longest back reference, in bytes beyond the first two.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Longest literal run.
const MAX_LITERAL: usize = 1 << 5;

thread_local! {
    /// The compressor's hash table of input offsets (0 = empty), kept zeroed between calls so that
    /// compressing a short string does not clear 256 KB.
    static TABLE: std::cell::RefCell<Vec<u32>> = std::cell::RefCell::new(vec![0; TABLE_SLOTS]);
}

/// liblzf's slot for the rolling hash of the three bytes at a position (the `VERY_FAST` variant).
fn slot(hash: u32) -> usize {
    ((hash >> 8).wrapping_sub(hash.wrapping_mul(5)) as usize) & (TABLE_SLOTS - 1)
}

/// Appends one literal byte to the open literal run at `op` (whose header byte sits before it),
/// closing the run and opening the next once it holds `MAX_LITERAL` bytes, as liblzf does.
fn push_literal(out: &mut [u8], op: &mut usize, lit: &mut usize, byte: u8) {
    out[*op] = byte;
    *op += 1;
    *lit += 1;
    if *lit == MAX_LITERAL {
        out[*op - *lit - 1] = (*lit - 1) as u8;
        *lit = 0;
        *op += 1;
    }
}
/// Compresses `input` exactly as liblzf 3.6 in Redis and Valkey does (`HLOG` 16, `VERY_FAST`, a
/// zeroed table), so payloads and DEBUG OBJECT's `serializedlength` agree byte for byte; `None` when
/// the result would not fit in `max_len` bytes (the caller then stores the string raw).
pub fn compress(input: &[u8], max_len: usize) -> Option<Vec<u8>> {
    if input.len() < 3 || max_len == 0 || input.len() > u32::MAX as usize {
        return None;
    }
    TABLE.with(|table| {
        let mut table = table.borrow_mut();
        let mut touched = Vec::new();
        let result = compress_with(input, max_len, &mut table, &mut touched);
        for index in touched {
            table[index] = 0;
        }
        result
    })
}

fn compress_with(
    input: &[u8],
    max_len: usize,
    table: &mut [u32],
    touched: &mut Vec<usize>,
) -> Option<Vec<u8>> {
    let end = input.len();
    // Room for the header byte a run reserves one past the last written byte.
    let mut out = vec![0u8; max_len + 2];
    let mut op = 1usize; // the first run's header
    let mut lit = 0usize;
    let mut ip = 0usize;
    let mut hash = (u32::from(input[0]) << 8) | u32::from(input[1]);
    let mut remember = |table: &mut [u32], hash: u32, at: usize| {
        let index = slot(hash);
        table[index] = at as u32;
        touched.push(index);
    };
    while ip < end - 2 {
        hash = (hash << 8) | u32::from(input[ip + 2]);
        let index = slot(hash);
        let candidate = table[index] as usize;
        remember(table, hash, ip);
        let found = candidate > 0
            && candidate < ip
            && ip - candidate - 1 < MAX_OFFSET
            && input[candidate + 2] == input[ip + 2]
            && input[candidate..candidate + 2] == input[ip..ip + 2];
        if !found {
            if op >= max_len {
                return None;
            }
            push_literal(&mut out, &mut op, &mut lit, input[ip]);
            ip += 1;
            continue;
        }
        let offset = ip - candidate - 1;
        let max_match = (end - ip - 2).min(MAX_REF);
        if op + 4 >= max_len && op - usize::from(lit == 0) + 4 >= max_len {
            return None;
        }
        // Close the literal run (or take back its unused header).
        if lit > 0 {
            out[op - lit - 1] = (lit - 1) as u8;
        } else {
            op -= 1;
        }
        // liblzf compares 16 bytes unrolled before it looks at the limit again.
        let mut len = 2usize;
        let mut unrolled_all = max_match > 16;
        if unrolled_all {
            for _ in 0..16 {
                len += 1;
                if input[candidate + len] != input[ip + len] {
                    unrolled_all = false;
                    break;
                }
            }
        }
        if unrolled_all || max_match <= 16 {
            loop {
                len += 1;
                if !(len < max_match && input[candidate + len] == input[ip + len]) {
                    break;
                }
            }
        }
        len -= 2;
        if len < 7 {
            out[op] = ((offset >> 8) + (len << 5)) as u8;
            op += 1;
        } else {
            out[op] = ((offset >> 8) + (7 << 5)) as u8;
            out[op + 1] = (len - 7) as u8;
            op += 2;
        }
        out[op] = offset as u8;
        op += 1;
        lit = 0;
        op += 1;
        ip += len + 2;
        if ip >= end - 2 {
            break;
        }
        // Index the two positions before the next one.
        ip -= 2;
        hash = (u32::from(input[ip]) << 8) | u32::from(input[ip + 1]);
        hash = (hash << 8) | u32::from(input[ip + 2]);
        remember(table, hash, ip);
        ip += 1;
        hash = (hash << 8) | u32::from(input[ip + 2]);
        remember(table, hash, ip);
        ip += 1;
    }
    if op + 3 > max_len {
        return None;
    }
    while ip < end {
        push_literal(&mut out, &mut op, &mut lit, input[ip]);
        ip += 1;
    }
    if lit > 0 {
        out[op - lit - 1] = (lit - 1) as u8;
    } else {
        op -= 1;
    }
    out.truncate(op);
    Some(out)
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
    fn output_matches_valkey() {
        // Bodies of LZF strings in DUMP payloads written by Valkey 9.1.2.
        let cases: [(&[u8], &[u8]); 2] = [
            (&b"ab".repeat(50), b"\x02aba\xe0V\x01\x01ab"),
            (&[b'x'; 40], b"\x01xx\xe0\x1b\x00\x01xx"),
        ];
        for (input, expected) in cases {
            assert_eq!(compress(input, input.len() - 4).unwrap(), expected);
        }
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
