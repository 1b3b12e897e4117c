//! HyperLogLog values kept byte for byte as Valkey keeps them inside a string, so GET, DUMP and
//! replication see the same bytes.
//!
//! Layout: a 16-byte header (`HYLL`, encoding byte 0 = dense / 1 = sparse, 3 zero bytes, then the cached
//! cardinality as 8 little-endian bytes whose top bit set means "stale"), then the registers: 16384
//! registers of 6 bits packed least-significant-bit first (dense, 12288 bytes), or run-length opcodes
//! (sparse): `00xxxxxx` ZERO (1..=64 zero registers), `01xxxxxx yyyyyyyy` XZERO (1..=16384 zero
//! registers), `1vvvvvxx` VAL (1..=4 registers of value 1..=32). Elements are hashed with MurmurHash64A
//! (seed 0xadc83b19): the low 14 bits pick a register, the rest give the run of zeros counted.

use rand::Rng;

/// Bytes in the header.
pub const HEADER_LEN: usize = 16;
/// Number of registers (2^14).
pub const REGISTERS: usize = 1 << INDEX_BITS;
/// Length of a dense HyperLogLog string.
pub const DENSE_LEN: usize = HEADER_LEN + (REGISTERS * REGISTER_BITS).div_ceil(8);

const INDEX_BITS: u32 = 14;
/// Hash bits left after the register index (Valkey's `HLL_Q`).
const RUN_BITS: u32 = 64 - INDEX_BITS;
const REGISTER_BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << REGISTER_BITS) - 1;
const ENCODING_DENSE: u8 = 0;
const ENCODING_SPARSE: u8 = 1;
const ENCODING_OFFSET: usize = 4;
const CARD_OFFSET: usize = 8;
const HASH_SEED: u64 = 0xadc8_3b19;

const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;

/// 0.5 / ln(2), the estimator's alpha for an infinite number of registers.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// The sparse opcodes do not describe exactly 16384 registers (Valkey's "Corrupted HLL object").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// MurmurHash2, 64-bit version (MurmurHash64A), reading 8-byte blocks little-endian.
pub fn murmur_hash64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut word = [0u8; 8];
        word.copy_from_slice(block);
        let mut k = u64::from_le_bytes(word);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            h ^= u64::from(byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element falls in and the register value it proposes (the length of the
/// `000..1` pattern, 1..=51).
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur_hash64a(element, HASH_SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> INDEX_BITS) | (1 << RUN_BITS);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// A new empty HyperLogLog: sparse, one XZERO covering every register, cached cardinality 0.
pub fn new_sparse() -> Vec<u8> {
    let mut hll = Vec::with_capacity(HEADER_LEN + 2);
    hll.extend_from_slice(b"HYLL");
    hll.push(ENCODING_SPARSE);
    hll.resize(HEADER_LEN, 0);
    let mut remaining = REGISTERS;
    while remaining > 0 {
        let run = remaining.min(XZERO_MAX_LEN);
        hll.extend_from_slice(&xzero_op(run));
        remaining -= run;
    }
    hll
}

/// True when `bytes` look like a HyperLogLog: the magic, a known encoding and, for dense, the exact
/// length (Valkey's `isHLLObjectOrReply`; sparse opcodes are only checked when used).
pub fn is_valid(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_LEN
        && bytes.starts_with(b"HYLL")
        && bytes[ENCODING_OFFSET] <= ENCODING_SPARSE
        && (bytes[ENCODING_OFFSET] != ENCODING_DENSE || bytes.len() == DENSE_LEN)
}

/// True when the (valid) HyperLogLog uses the dense encoding.
pub fn is_dense(hll: &[u8]) -> bool {
    hll[ENCODING_OFFSET] == ENCODING_DENSE
}

/// The cached cardinality, when it is not marked stale.
pub fn cached_cardinality(hll: &[u8]) -> Option<u64> {
    let mut card = [0u8; 8];
    card.copy_from_slice(&hll[CARD_OFFSET..HEADER_LEN]);
    let card = u64::from_le_bytes(card);
    (card >> 63 == 0).then_some(card)
}

/// Stores `card` as the cached cardinality (and marks it fresh).
pub fn set_cached_cardinality(hll: &mut [u8], card: u64) {
    hll[CARD_OFFSET..HEADER_LEN].copy_from_slice(&card.to_le_bytes());
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(hll: &mut [u8]) {
    hll[HEADER_LEN - 1] |= 0x80;
}

/// Adds an element. Returns whether a register changed. May convert a sparse value to dense.
pub fn add(hll: &mut Vec<u8>, element: &[u8], sparse_max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    match hll[ENCODING_OFFSET] {
        ENCODING_DENSE => Ok(dense_raise(&mut hll[HEADER_LEN..], index, count)),
        ENCODING_SPARSE => sparse_raise(hll, index, count, sparse_max_bytes),
        _ => Err(Corrupt),
    }
}

/// Raises register `index` to `count` if it is lower, in whichever encoding the value has. Returns
/// whether it changed.
pub fn raise(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max_bytes: usize,
) -> Result<bool, Corrupt> {
    if is_dense(hll) {
        Ok(dense_raise(&mut hll[HEADER_LEN..], index, count))
    } else {
        sparse_raise(hll, index, count, sparse_max_bytes)
    }
}

/// Register `index` of packed 6-bit registers; a byte past the end reads as zero (in Valkey it is the
/// string's terminating NUL).
fn dense_get(registers: &[u8], index: usize) -> u8 {
    let bit = index * REGISTER_BITS;
    let byte = bit / 8;
    let shift = bit & 7;
    let low = u32::from(registers.get(byte).copied().unwrap_or(0));
    let high = u32::from(registers.get(byte + 1).copied().unwrap_or(0));
    (((low >> shift) | (high << (8 - shift))) & u32::from(REGISTER_MAX)) as u8
}

fn dense_put(registers: &mut [u8], index: usize, value: u8) {
    let bit = index * REGISTER_BITS;
    let byte = bit / 8;
    let shift = bit & 7;
    let value = u32::from(value);
    let max = u32::from(REGISTER_MAX);
    if let Some(low) = registers.get_mut(byte) {
        *low = ((u32::from(*low) & !(max << shift)) | (value << shift)) as u8;
    }
    if let Some(high) = registers.get_mut(byte + 1) {
        *high = ((u32::from(*high) & !(max >> (8 - shift))) | (value >> (8 - shift))) as u8;
    }
}

fn dense_raise(registers: &mut [u8], index: usize, count: u8) -> bool {
    if count > dense_get(registers, index) {
        dense_put(registers, index, count);
        true
    } else {
        false
    }
}

fn is_zero_op(op: u8) -> bool {
    op & 0xc0 == 0
}

fn is_xzero_op(op: u8) -> bool {
    op & 0xc0 == 0x40
}

fn is_val_op(op: u8) -> bool {
    op & 0x80 != 0
}

fn zero_len(op: u8) -> usize {
    usize::from(op & 0x3f) + 1
}

fn xzero_len(op: u8, next: u8) -> usize {
    ((usize::from(op & 0x3f) << 8) | usize::from(next)) + 1
}

fn val_value(op: u8) -> u8 {
    ((op >> 2) & 0x1f) + 1
}

fn val_len(op: u8) -> usize {
    usize::from(op & 0x3) + 1
}

fn val_op(value: u8, len: usize) -> u8 {
    ((value - 1) << 2) | (len - 1) as u8 | 0x80
}

fn zero_op(len: usize) -> u8 {
    (len - 1) as u8
}

fn xzero_op(len: usize) -> [u8; 2] {
    let len = len - 1;
    [(len >> 8) as u8 | 0x40, (len & 0xff) as u8]
}

/// Byte `at`, or 0 past the end (Valkey reads the string's NUL terminator there).
fn byte_at(bytes: &[u8], at: usize) -> u8 {
    bytes.get(at).copied().unwrap_or(0)
}

/// One decoded sparse opcode.
enum Op {
    /// A run of zero registers; `wide` for XZERO.
    Zeros { len: usize, wide: bool },
    /// A run of registers holding `value`.
    Value { value: u8, len: usize },
}

/// Decodes the opcode at `at`, returning it and its size in bytes.
fn op_at(hll: &[u8], at: usize) -> (Op, usize) {
    let op = hll[at];
    if is_zero_op(op) {
        (
            Op::Zeros {
                len: zero_len(op),
                wide: false,
            },
            1,
        )
    } else if is_xzero_op(op) {
        (
            Op::Zeros {
                len: xzero_len(op, byte_at(hll, at + 1)),
                wide: true,
            },
            2,
        )
    } else {
        (
            Op::Value {
                value: val_value(op),
                len: val_len(op),
            },
            1,
        )
    }
}

/// Appends the ZERO or XZERO opcode for a run of `len` zero registers.
fn push_zeros(seq: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        seq.extend_from_slice(&xzero_op(len));
    } else {
        seq.push(zero_op(len));
    }
}

/// Valkey's `hllSparseSet`: raises register `index` to `count` in place, splitting the opcode that
/// covers it and merging equal neighbours, or converts to dense when the value does not fit a VAL
/// opcode or the string would grow past `sparse_max_bytes`.
fn sparse_raise(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote_and_raise(hll, index, count);
    }

    // Step 1: find the opcode covering `index`.
    let end = hll.len();
    let mut at = HEADER_LEN;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut found = None;
    while at < end {
        let (op, size) = op_at(hll, at);
        let span = match op {
            Op::Zeros { len, .. } | Op::Value { len, .. } => len,
        };
        if index < first + span {
            found = Some((op, size, span));
            break;
        }
        prev = Some(at);
        at += size;
        first += span;
    }
    let Some((op, old_size, span)) = found else {
        return Err(Corrupt);
    };

    // Step 2: the trivial in-place updates, else build the replacement sequence.
    let last = first + span - 1;
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Value { value, .. } if value >= count => return Ok(false),
        Op::Value { len: 1, .. }
        | Op::Zeros {
            len: 1,
            wide: false,
        } => {
            hll[at] = val_op(count, 1);
            merge_neighbours(hll, prev);
            invalidate_cache(hll);
            return Ok(true);
        }
        Op::Zeros { .. } => {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        Op::Value { value, .. } => {
            if index != first {
                seq.push(val_op(value, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(value, last - index));
            }
        }
    }

    // Step 3: put the sequence in place of the old opcode, unless the string would grow too much.
    let new_len = (end + seq.len()).saturating_sub(old_size);
    if seq.len() > old_size && new_len > sparse_max_bytes {
        return promote_and_raise(hll, index, count);
    }
    let old_end = (at + old_size).min(end);
    hll.splice(at..old_end, seq);
    // An XZERO cut short by the end of the string counts as two bytes, as in Valkey.
    hll.truncate(new_len);

    // Step 4: merge adjacent equal VAL opcodes.
    merge_neighbours(hll, prev);
    invalidate_cache(hll);
    Ok(true)
}

/// Merges runs of adjacent VAL opcodes with the same value, looking at up to five opcodes from `prev`.
fn merge_neighbours(hll: &mut Vec<u8>, prev: Option<usize>) {
    let mut at = prev.unwrap_or(HEADER_LEN);
    let mut budget = 5;
    while at < hll.len() && budget > 0 {
        budget -= 1;
        let op = hll[at];
        if is_xzero_op(op) {
            at += 2;
            continue;
        }
        if is_zero_op(op) {
            at += 1;
            continue;
        }
        if let Some(&next) = hll.get(at + 1) {
            if is_val_op(next) && val_value(op) == val_value(next) {
                let len = val_len(op) + val_len(next);
                if len <= VAL_MAX_LEN {
                    hll[at + 1] = val_op(val_value(op), len);
                    hll.remove(at);
                    // Stay here: the merged opcode may merge with the next one too.
                    continue;
                }
            }
        }
        at += 1;
    }
}

fn promote_and_raise(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(hll)?;
    Ok(dense_raise(&mut hll[HEADER_LEN..], index, count))
}

/// Converts a sparse HyperLogLog to dense, keeping the header (and its cached cardinality). Does
/// nothing to a dense one. On corrupt opcodes the value is left unchanged.
pub fn to_dense(hll: &mut Vec<u8>) -> Result<(), Corrupt> {
    if is_dense(hll) {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HEADER_LEN].copy_from_slice(&hll[..HEADER_LEN]);
    dense[ENCODING_OFFSET] = ENCODING_DENSE;
    let registers = &mut dense[HEADER_LEN..];
    let mut index = 0usize;
    let mut at = HEADER_LEN;
    while at < hll.len() {
        let (op, size) = op_at(hll, at);
        match op {
            Op::Zeros { len, .. } => index += len,
            Op::Value { value, len } => {
                if index + len > REGISTERS {
                    break;
                }
                for register in index..index + len {
                    dense_put(registers, register, value);
                }
                index += len;
            }
        }
        at += size;
    }
    if index != REGISTERS {
        return Err(Corrupt);
    }
    *hll = dense;
    Ok(())
}

/// Raises each of `max` to the matching register of `hll` (PFMERGE and multi-key PFCOUNT).
pub fn merge_into(max: &mut [u8; REGISTERS], hll: &[u8]) -> Result<(), Corrupt> {
    if is_dense(hll) {
        let registers = &hll[HEADER_LEN..];
        for (index, slot) in max.iter_mut().enumerate() {
            *slot = (*slot).max(dense_get(registers, index));
        }
        return Ok(());
    }
    let mut index = 0usize;
    let mut at = HEADER_LEN;
    while at < hll.len() {
        let (op, size) = op_at(hll, at);
        match op {
            Op::Zeros { len, .. } => index += len,
            Op::Value { value, len } => {
                if index + len > REGISTERS {
                    break;
                }
                for slot in &mut max[index..index + len] {
                    *slot = (*slot).max(value);
                }
                index += len;
            }
        }
        at += size;
    }
    if index == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Every register's value (PFDEBUG GETREG; the value must be dense).
pub fn dense_registers(hll: &[u8]) -> Vec<u8> {
    let registers = &hll[HEADER_LEN..];
    (0..REGISTERS).map(|i| dense_get(registers, i)).collect()
}

/// The estimated cardinality of a single HyperLogLog, ignoring its cache.
pub fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    let mut histogram = [0u64; 64];
    if is_dense(hll) {
        let registers = &hll[HEADER_LEN..];
        for index in 0..REGISTERS {
            histogram[usize::from(dense_get(registers, index))] += 1;
        }
    } else {
        let mut index = 0usize;
        let mut at = HEADER_LEN;
        while at < hll.len() {
            let (op, size) = op_at(hll, at);
            match op {
                Op::Zeros { len, .. } => {
                    index += len;
                    histogram[0] += len as u64;
                }
                Op::Value { value, len } => {
                    index += len;
                    histogram[usize::from(value)] += len as u64;
                }
            }
            at += size;
        }
        if index != REGISTERS {
            return Err(Corrupt);
        }
    }
    Ok(estimate(&histogram))
}

/// The estimated cardinality of one register per byte (the union built by multi-key PFCOUNT).
pub fn count_registers(registers: &[u8; REGISTERS]) -> u64 {
    let mut histogram = [0u64; 64];
    for &value in registers {
        histogram[usize::from(value & 63)] += 1;
    }
    estimate(&histogram)
}

/// Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog sketches",
/// arXiv:1702.01284), with the floating point steps in Valkey's order so the results are identical.
fn estimate(histogram: &[u64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let top = RUN_BITS as usize + 1;
    let mut z = m * tau((m - histogram[top] as f64) / m);
    for j in (1..top).rev() {
        z += histogram[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        let gap = 1.0 - x;
        z -= gap * gap * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// The sparse opcodes as PFDEBUG DECODE prints them (`Z:8436 v:1,1 z:3`).
pub fn decode_sparse(hll: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut at = HEADER_LEN;
    while at < hll.len() {
        let (op, size) = op_at(hll, at);
        parts.push(match op {
            Op::Zeros { len, wide: true } => format!("Z:{len}"),
            Op::Zeros { len, wide: false } => format!("z:{len}"),
            Op::Value { value, len } => format!("v:{value},{len}"),
        });
        at += size;
    }
    parts.join(" ")
}

/// PFSELFTEST: checks register access on random values, then that dense and sparse values agree and
/// stay within the expected error while adding ten million elements. Returns Valkey's failure text.
pub fn self_test(rng: &mut impl Rng, sparse_max_bytes: usize) -> Result<(), String> {
    let mut registers = vec![0u8; DENSE_LEN - HEADER_LEN];
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (index, slot) in expected.iter_mut().enumerate() {
            let value = rng.gen::<u8>() & REGISTER_MAX;
            *slot = value;
            dense_put(&mut registers, index, value);
        }
        for (index, &want) in expected.iter().enumerate() {
            let got = dense_get(&registers, index);
            if got != want {
                return Err(format!(
                    "TESTFAILED Register {index} should be {want} but is {got}"
                ));
            }
        }
    }

    let mut dense = new_sparse();
    to_dense(&mut dense).map_err(|_| "TESTFAILED dense conversion failed".to_string())?;
    let mut sparse = new_sparse();
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let seed: u64 = rng.gen();
    let mut checkpoint: u64 = 1;
    for j in 1..=10_000_000u64 {
        let element = (j ^ seed).to_ne_bytes();
        let _ = add(&mut dense, &element, sparse_max_bytes);
        let _ = add(&mut sparse, &element, sparse_max_bytes);
        if j != checkpoint {
            continue;
        }
        if j < (sparse_max_bytes / 2) as u64 && is_dense(&sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let estimated = count(&dense).unwrap_or(0);
        if Ok(estimated) != count(&sparse) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let error = checkpoint.abs_diff(estimated);
        let max_error = if j == 10 {
            1
        } else {
            (relative_error * 6.0 * checkpoint as f64).ceil() as u64
        };
        if error > max_error {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{error}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    /// Decodes any valid value into one register per byte.
    fn registers_of(hll: &[u8]) -> [u8; REGISTERS] {
        let mut max = [0u8; REGISTERS];
        merge_into(&mut max, hll).expect("valid");
        max
    }

    #[test]
    fn empty_value_matches_valkey() {
        let hll = new_sparse();
        assert_eq!(
            hll,
            b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff".to_vec(),
            "one XZERO of 16384"
        );
        assert_eq!(count(&hll), Ok(0));
        assert_eq!(cached_cardinality(&hll), Some(0));
    }

    #[test]
    fn three_elements_match_valkey_bytes() {
        // PFADD h a b c on Valkey 9.1 gives these bytes.
        let mut hll = new_sparse();
        for element in [b"a", b"b", b"c"] {
            assert_eq!(add(&mut hll, element, 3000), Ok(true));
        }
        assert_eq!(
            hll,
            b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a"
                .to_vec()
        );
        assert_eq!(
            decode_sparse(&hll),
            "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"
        );
        assert_eq!(count(&hll), Ok(3));
    }

    #[test]
    fn murmur_known_values() {
        // Shape checks: an empty input, a tail-only input and a block plus tail.
        assert_eq!(murmur_hash64a(b"", 0), 0);
        assert_ne!(
            murmur_hash64a(b"a", HASH_SEED),
            murmur_hash64a(b"b", HASH_SEED)
        );
        assert_ne!(
            murmur_hash64a(b"abcdefghi", HASH_SEED),
            murmur_hash64a(b"abcdefgh", HASH_SEED)
        );
    }

    #[test]
    fn sparse_matches_register_model() {
        let mut rng = SmallRng::seed_from_u64(7);
        for round in 0..30 {
            let max_bytes = if round % 3 == 0 {
                3000
            } else {
                200 + round * 40
            };
            let mut hll = new_sparse();
            let mut model = [0u8; REGISTERS];
            let ops = rng.gen_range(1..600);
            for _ in 0..ops {
                // Cluster indexes sometimes so runs, splits and merges all happen.
                let index = if rng.gen_bool(0.5) {
                    rng.gen_range(0..REGISTERS)
                } else {
                    rng.gen_range(100..140)
                };
                let count = if rng.gen_bool(0.02) {
                    rng.gen_range(33..=51)
                } else {
                    rng.gen_range(1..=6)
                };
                let changed = raise(&mut hll, index, count, max_bytes).expect("valid");
                assert_eq!(changed, count > model[index]);
                model[index] = model[index].max(count);
                assert!(is_valid(&hll));
                if !is_dense(&hll) {
                    assert!(hll.len() <= max_bytes.max(HEADER_LEN + 2));
                }
                assert_eq!(registers_of(&hll), model);
            }
            let mut dense = hll.clone();
            to_dense(&mut dense).expect("valid");
            assert_eq!(registers_of(&dense), model);
            assert_eq!(count(&dense), count(&hll));
            assert_eq!(count_registers(&model), count(&hll).expect("valid"));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn sparse_encoder_tracks_registers(
            ops in proptest::collection::vec((0usize..REGISTERS, 1u8..=40), 1..300),
            max_bytes in 20usize..4000,
        ) {
            let mut hll = new_sparse();
            let mut model = [0u8; REGISTERS];
            for (index, count) in ops {
                let changed = raise(&mut hll, index, count, max_bytes).expect("valid");
                proptest::prop_assert_eq!(changed, count > model[index]);
                model[index] = model[index].max(count);
            }
            proptest::prop_assert_eq!(registers_of(&hll), model);
            proptest::prop_assert_eq!(count(&hll), Ok(count_registers(&model)));
        }
    }

    #[test]
    fn sparse_promotes_past_the_limit_and_for_big_values() {
        let mut hll = new_sparse();
        assert_eq!(raise(&mut hll, 5, 33, 3000), Ok(true));
        assert!(is_dense(&hll));
        assert_eq!(hll.len(), DENSE_LEN);
        let mut hll = new_sparse();
        let mut index = 0;
        while !is_dense(&hll) {
            raise(&mut hll, index, 1, 30).expect("valid");
            index += 7;
        }
        assert!(index < 100);
    }

    #[test]
    fn corrupt_sparse_is_detected() {
        let mut hll = new_sparse();
        hll.push(0x00); // one more zero register than exists
        assert_eq!(count(&hll), Err(Corrupt));
        assert_eq!(to_dense(&mut hll.clone()), Err(Corrupt));
        let mut short = new_sparse();
        short.truncate(HEADER_LEN);
        assert_eq!(raise(&mut short, 3, 1, 3000), Err(Corrupt));
        let mut max = [0u8; REGISTERS];
        assert_eq!(merge_into(&mut max, &short), Err(Corrupt));
    }

    #[test]
    fn dense_registers_pack_six_bits() {
        let mut registers = vec![0u8; DENSE_LEN - HEADER_LEN];
        for index in 0..REGISTERS {
            dense_put(&mut registers, index, (index % 64) as u8);
        }
        for index in 0..REGISTERS {
            assert_eq!(dense_get(&registers, index), (index % 64) as u8);
        }
    }

    #[test]
    fn estimator_is_exact_for_small_sets() {
        let mut hll = new_sparse();
        for i in 0..100u32 {
            add(&mut hll, i.to_string().as_bytes(), 3000).expect("valid");
        }
        assert_eq!(count(&hll), Ok(100));
    }
}
