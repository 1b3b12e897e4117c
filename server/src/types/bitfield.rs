//! Bit-level access to string values: integer fields of 1 to 64 bits at any bit offset (BITFIELD) with
//! Valkey's WRAP/SAT/FAIL overflow rules, population count and first-bit search (BITCOUNT, BITPOS).
//! Bit 0 is the most significant bit of the first byte, as in SETBIT.

/// What BITFIELD SET and INCRBY do when a value does not fit its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverflowMode {
    /// Keep the low bits (two's complement wrap-around).
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Leave the field unchanged and reply with a null.
    Fail,
}

/// The outcome of an overflow check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The result fits the field.
    Fits,
    /// The result is above the field's maximum; holds the value to store (unused for FAIL).
    Over(u64),
    /// The result is below the field's minimum; holds the value to store (unused for FAIL).
    Under(u64),
}

impl Fit {
    /// The value to store instead of the exact result, when it did not fit.
    pub fn replacement(self) -> Option<u64> {
        match self {
            Fit::Fits => None,
            Fit::Over(v) | Fit::Under(v) => Some(v),
        }
    }
}

/// Bit `offset` of `bytes`, reading past the end as zero.
fn bit_at(bytes: &[u8], offset: u64) -> u64 {
    let Ok(byte) = usize::try_from(offset >> 3) else {
        return 0;
    };
    bytes
        .get(byte)
        .map_or(0, |b| u64::from((b >> (7 - (offset & 7))) & 1))
}

/// Reads `bits` (1..=64) bits at bit `offset` as an unsigned number; bits past the end read as zero.
pub fn get_unsigned(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0, |value, i| {
        (value << 1) | bit_at(bytes, offset.wrapping_add(i))
    })
}

/// Reads `bits` (1..=64) bits at bit `offset` as a two's complement signed number.
pub fn get_signed(bytes: &[u8], offset: u64, bits: u32) -> i64 {
    let raw = get_unsigned(bytes, offset, bits);
    if bits < 64 && raw & (1 << (bits - 1)) != 0 {
        (raw | (u64::MAX << bits)) as i64
    } else {
        raw as i64
    }
}

/// Writes the low `bits` (1..=64) bits of `value` at bit `offset`. Bits past the end of `bytes` are
/// dropped; callers grow the string first.
pub fn set_unsigned(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let bit_offset = offset.wrapping_add(i);
        let Some(byte) = usize::try_from(bit_offset >> 3)
            .ok()
            .and_then(|index| bytes.get_mut(index))
        else {
            continue;
        };
        let shift = 7 - (bit_offset & 7);
        let bit = ((value >> (u64::from(bits) - 1 - i)) & 1) as u8;
        *byte = (*byte & !(1 << shift)) | (bit << shift);
    }
}

/// Checks whether `value + increment` fits an unsigned field of `bits` (1..=63) bits, computing the
/// value WRAP or SAT would store otherwise. `value` may itself be out of range (SET of a large value).
pub fn check_unsigned(value: u64, increment: i64, bits: u32, mode: OverflowMode) -> Fit {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let max_increment = max.wrapping_sub(value) as i64;
    let min_increment = (value as i64).wrapping_neg();
    let wrapped = || {
        let mask = if bits == 64 { 0 } else { u64::MAX << bits };
        value.wrapping_add(increment as u64) & !mask
    };
    if value > max || (increment > 0 && increment > max_increment) {
        Fit::Over(match mode {
            OverflowMode::Wrap => wrapped(),
            OverflowMode::Sat => max,
            OverflowMode::Fail => 0,
        })
    } else if increment < 0 && increment < min_increment {
        Fit::Under(match mode {
            OverflowMode::Wrap => wrapped(),
            OverflowMode::Sat => 0,
            OverflowMode::Fail => 0,
        })
    } else {
        Fit::Fits
    }
}

/// Checks whether `value + increment` fits a signed field of `bits` (1..=64) bits, computing the value
/// WRAP or SAT would store otherwise. The comparisons use Valkey's wrapping arithmetic, so a SET of a
/// value far below the minimum of a narrow field counts as an overflow (SAT stores the maximum) just as
/// it does in Valkey.
pub fn check_signed(value: i64, increment: i64, bits: u32, mode: OverflowMode) -> Fit {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_increment = (max as u64).wrapping_sub(value as u64) as i64;
    let min_increment = min.wrapping_sub(value);
    let wrapped = || {
        let mut sum = (value as u64).wrapping_add(increment as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if sum & (1 << (bits - 1)) != 0 {
                sum |= mask;
            } else {
                sum &= !mask;
            }
        }
        sum
    };
    let narrow = bits != 64;
    if value > max
        || (narrow && increment > max_increment)
        || (value >= 0 && increment > 0 && increment > max_increment)
    {
        Fit::Over(match mode {
            OverflowMode::Wrap => wrapped(),
            OverflowMode::Sat => max as u64,
            OverflowMode::Fail => 0,
        })
    } else if value < min
        || (narrow && increment < min_increment)
        || (value < 0 && increment < 0 && increment < min_increment)
    {
        Fit::Under(match mode {
            OverflowMode::Wrap => wrapped(),
            OverflowMode::Sat => min as u64,
            OverflowMode::Fail => 0,
        })
    } else {
        Fit::Fits
    }
}

/// Number of set bits in `bytes`, eight bytes at a time.
pub fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut count: u64 = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        count += u64::from(u64::from_ne_bytes(word).count_ones());
    }
    count
        + chunks
            .remainder()
            .iter()
            .map(|b| u64::from(b.count_ones()))
            .sum::<u64>()
}

/// The bit position of the first bit equal to `bit` in `bytes`. When there is none, a search for 0
/// answers `8 × len` (the string is taken as zero-padded on the right) and a search for 1 answers -1.
pub fn first_bit(bytes: &[u8], bit: bool) -> i64 {
    let skip: u8 = if bit { 0 } else { 0xff };
    let mut chunks = bytes.chunks_exact(8);
    let mut base: usize = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_be_bytes(word);
        let wanted = if bit { word } else { !word };
        if wanted != 0 {
            return ((base * 8) as i64) + i64::from(wanted.leading_zeros());
        }
        base += 8;
    }
    for &byte in chunks.remainder() {
        if byte != skip {
            let wanted = if bit { byte } else { !byte };
            return ((base * 8) as i64) + i64::from(wanted.leading_zeros());
        }
        base += 1;
    }
    if bit {
        -1
    } else {
        (bytes.len() * 8) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_at_odd_offsets() {
        let mut bytes = vec![0u8; 2];
        set_unsigned(&mut bytes, 7, 5, 23);
        assert_eq!(bytes, [0b0000_0001, 0b0111_0000]);
        assert_eq!(get_unsigned(&bytes, 7, 5), 23);
        set_unsigned(&mut bytes, 3, 4, 0b1111);
        assert_eq!(get_signed(&bytes, 3, 4), -1);
        assert_eq!(get_unsigned(&bytes, 12, 64), 0);
    }

    #[test]
    fn reads_past_the_end_are_zero() {
        assert_eq!(get_unsigned(&[0xff], 4, 8), 0xf0);
        assert_eq!(
            get_signed(&[0xff], 0, 64),
            i64::from_be_bytes([0xff, 0, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(get_unsigned(&[], u64::MAX - 3, 8), 0);
    }

    #[test]
    fn unsigned_overflow() {
        assert_eq!(check_unsigned(250, 10, 8, OverflowMode::Wrap), Fit::Over(4));
        assert_eq!(
            check_unsigned(250, 10, 8, OverflowMode::Sat),
            Fit::Over(255)
        );
        assert_eq!(
            check_unsigned(5, -10, 8, OverflowMode::Wrap),
            Fit::Under(251)
        );
        assert_eq!(check_unsigned(5, -10, 8, OverflowMode::Sat), Fit::Under(0));
        assert_eq!(
            check_unsigned(u64::MAX, 0, 8, OverflowMode::Sat),
            Fit::Over(255)
        );
        assert_eq!(
            check_unsigned(0, -1, 63, OverflowMode::Wrap),
            Fit::Under((1 << 63) - 1)
        );
        assert_eq!(check_unsigned(3, 4, 8, OverflowMode::Fail), Fit::Fits);
    }

    #[test]
    fn signed_overflow() {
        assert_eq!(
            check_signed(120, 10, 8, OverflowMode::Wrap),
            Fit::Over(-126i64 as u64)
        );
        assert_eq!(check_signed(120, 10, 8, OverflowMode::Sat), Fit::Over(127));
        assert_eq!(
            check_signed(-120, -10, 8, OverflowMode::Sat),
            Fit::Under(-128i64 as u64)
        );
        assert_eq!(
            check_signed(i64::MIN, 0, 8, OverflowMode::Sat),
            Fit::Over(127)
        );
        assert_eq!(
            check_signed(i64::MIN, 0, 8, OverflowMode::Wrap),
            Fit::Over(0)
        );
        assert_eq!(
            check_signed(i64::MAX, 1, 64, OverflowMode::Wrap),
            Fit::Over(i64::MIN as u64)
        );
        assert_eq!(
            check_signed(-1, i64::MIN, 64, OverflowMode::Sat),
            Fit::Under(i64::MIN as u64)
        );
        assert_eq!(check_signed(-5, 3, 4, OverflowMode::Fail), Fit::Fits);
    }

    #[test]
    fn popcount_matches_naive() {
        let bytes: Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for start in 0..20 {
            for end in [start, start + 1, start + 9, 500, 1000] {
                let slice = &bytes[start..end.max(start)];
                let naive: u64 = slice.iter().map(|b| u64::from(b.count_ones())).sum();
                assert_eq!(popcount(slice), naive);
            }
        }
    }

    #[test]
    fn first_bit_matches_naive() {
        let naive = |bytes: &[u8], bit: bool| -> i64 {
            for i in 0..bytes.len() * 8 {
                if (bytes[i / 8] >> (7 - i % 8)) & 1 == u8::from(bit) {
                    return i as i64;
                }
            }
            if bit {
                -1
            } else {
                (bytes.len() * 8) as i64
            }
        };
        let mut cases: Vec<Vec<u8>> =
            vec![vec![], vec![0], vec![0xff], vec![0; 17], vec![0xff; 17]];
        for len in 1..20 {
            for pos in 0..len {
                let mut zeros = vec![0u8; len];
                zeros[pos] = 0x10;
                cases.push(zeros);
                let mut ones = vec![0xffu8; len];
                ones[pos] = 0xfb;
                cases.push(ones);
            }
        }
        for case in &cases {
            assert_eq!(first_bit(case, true), naive(case, true), "{case:?}");
            assert_eq!(first_bit(case, false), naive(case, false), "{case:?}");
        }
    }
}
