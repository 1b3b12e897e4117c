//! C `long double` as Valkey uses it on x86-64 (the x87 80-bit extended format: 64-bit mantissa, 15-bit
//! exponent), done in software with exactly the operations INCRBYFLOAT and HINCRBYFLOAT need: parsing
//! like glibc's `strtold` under Valkey's `string2ld` rules, correctly rounded addition, and printing
//! like `printf("%.17Lf")` with Valkey's trimming of trailing zeros (`ld2string`, human mode).

use std::cmp::Ordering;

/// Exponent of the smallest subnormal: 2^-16445.
const MIN_EXPONENT: i64 = -16445;
/// Largest exponent of a finite value whose mantissa is a 64-bit integer.
const MAX_EXPONENT: i64 = 16320;
/// Valkey refuses float text this long or longer (`MAX_LONG_DOUBLE_CHARS`).
const MAX_TEXT_LEN: usize = 5 * 1024;
/// Saturation point for written exponents: far beyond any finite or non-zero value.
const EXPONENT_CAP: i64 = 1_000_000_000;
/// Decimal digits `%.17Lf` prints after the point.
const FRACTION_DIGITS: u32 = 17;
/// 10^19, the largest power of ten in a u64.
const TEN_POW_19: u64 = 10_000_000_000_000_000_000;

/// A C `long double` value (x87 extended precision).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongDouble {
    negative: bool,
    magnitude: Magnitude,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Magnitude {
    /// `mantissa × 2^exponent`. The mantissa's top bit is set unless the value is subnormal
    /// (`exponent == MIN_EXPONENT`) or zero (`mantissa == 0`).
    Finite {
        mantissa: u64,
        exponent: i64,
    },
    Infinite,
    NaN,
}

const ZERO: Magnitude = Magnitude::Finite {
    mantissa: 0,
    exponent: 0,
};

impl LongDouble {
    /// The exact value of `n` (every i64 fits the 64-bit mantissa).
    pub fn from_i64(n: i64) -> Self {
        let magnitude = n.unsigned_abs();
        if magnitude == 0 {
            return Self {
                negative: false,
                magnitude: ZERO,
            };
        }
        let shift = magnitude.leading_zeros();
        Self {
            negative: n < 0,
            magnitude: Magnitude::Finite {
                mantissa: magnitude << shift,
                exponent: -i64::from(shift),
            },
        }
    }

    /// Parses `text` like Valkey's `string2ld`: the whole text must be something glibc's `strtold` reads
    /// (decimal, `0x` hexadecimal, `inf`/`infinity`), with no leading space and fewer than 5120 bytes.
    /// NaN, overflow to infinity and non-zero values that underflow to zero are refused.
    pub fn parse(text: &[u8]) -> Option<Self> {
        if text.is_empty() || text.len() >= MAX_TEXT_LEN {
            return None;
        }
        let (negative, unsigned) = match text[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        if unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"infinity") {
            return Some(Self {
                negative,
                magnitude: Magnitude::Infinite,
            });
        }
        let value = match unsigned {
            [b'0', b'x' | b'X', hex @ ..] => parse_hex(negative, hex)?,
            _ => parse_decimal(negative, unsigned)?,
        };
        // strtold reports ERANGE for overflow and for non-zero input that rounds to zero.
        match value.magnitude {
            Magnitude::Finite { .. } => Some(value),
            Magnitude::Infinite | Magnitude::NaN => None,
        }
    }

    /// The nearest `f64` (precision beyond 53 bits is dropped; out-of-range values saturate).
    pub fn to_f64(self) -> f64 {
        let value = match self.magnitude {
            Magnitude::Finite { mantissa, exponent } => {
                // Scale in two steps so huge or tiny exponents saturate instead of overflowing powi.
                let exponent = exponent.clamp(-4000, 4000) as i32;
                (mantissa as f64) * 2f64.powi(exponent / 2) * 2f64.powi(exponent - exponent / 2)
            }
            Magnitude::Infinite => f64::INFINITY,
            Magnitude::NaN => f64::NAN,
        };
        if self.negative {
            -value
        } else {
            value
        }
    }

    /// `self × factor`, rounded once to the nearest long double as the x87 unit does (the product of a
    /// 64-bit mantissa and a 64-bit integer is exact before rounding).
    pub fn mul_int(self, factor: u64) -> LongDouble {
        match self.magnitude {
            Magnitude::Finite { mantissa, exponent } => round(
                self.negative,
                u128::from(mantissa) * u128::from(factor),
                exponent,
                false,
            ),
            _ if factor == 0 => LongDouble {
                negative: false,
                magnitude: Magnitude::NaN,
            },
            _ => self,
        }
    }

    /// C's `(long long)ceill(x)`: `None` for NaN and for values above `i64::MAX`; values below
    /// `i64::MIN` (and negative infinity) give `i64::MIN`, the x87 conversion's "indefinite" result.
    pub fn ceil_to_i64(self) -> Option<i64> {
        let (mantissa, exponent) = match self.magnitude {
            Magnitude::NaN => return None,
            Magnitude::Infinite => return if self.negative { Some(i64::MIN) } else { None },
            Magnitude::Finite { mantissa, exponent } => (mantissa, exponent),
        };
        // |x| = whole + fraction, with whole and the presence of a fraction exact.
        let (whole, has_fraction) = if exponent >= 0 {
            if exponent >= 64 || (u128::from(mantissa) << exponent) > u128::from(u64::MAX) {
                (u128::MAX, false)
            } else {
                (u128::from(mantissa) << exponent, false)
            }
        } else if exponent <= -64 {
            (0, mantissa != 0)
        } else {
            let shift = exponent.unsigned_abs() as u32;
            (
                u128::from(mantissa >> shift),
                mantissa & ((1u64 << shift) - 1) != 0,
            )
        };
        if self.negative {
            // ceil moves a negative value towards zero: drop the fraction.
            return Some(if whole > i64::MAX as u128 + 1 {
                i64::MIN
            } else {
                (whole as i128).wrapping_neg() as i64
            });
        }
        let ceiling = whole.saturating_add(u128::from(has_fraction));
        i64::try_from(ceiling).ok()
    }

    /// True unless the value is infinite or NaN.
    pub fn is_finite(self) -> bool {
        matches!(self.magnitude, Magnitude::Finite { .. })
    }

    /// Appends the text `ld2string` produces in human mode: `%.17Lf`, then trailing zeros (and a bare
    /// point) removed, with `-0` printed as `0`.
    pub fn format_human(self, out: &mut Vec<u8>) {
        let (mantissa, exponent) = match self.magnitude {
            Magnitude::NaN => return out.extend_from_slice(b"nan"),
            Magnitude::Infinite => {
                return out.extend_from_slice(if self.negative { b"-inf" } else { b"inf" })
            }
            Magnitude::Finite { mantissa, exponent } => (mantissa, exponent),
        };
        if exponent >= 0 {
            // An integer: %.17Lf prints 17 zeros after the point, all trimmed.
            if mantissa != 0 && self.negative {
                out.push(b'-');
            }
            if exponent < 64 {
                let integer = u128::from(mantissa) << exponent;
                out.extend_from_slice(itoa::Buffer::new().format(integer).as_bytes());
            } else {
                let mut integer = BigUint::from_u64(mantissa);
                integer.shl(exponent as u64);
                integer.write_decimal(out);
            }
            return;
        }
        // value × 10^17 = mantissa × 10^17 / 2^-exponent, rounded half to even like glibc's printf.
        let scaled = u128::from(mantissa) * 10u128.pow(FRACTION_DIGITS);
        let shift = exponent.unsigned_abs();
        let rounded = if shift >= 128 {
            // scaled < 2^121, so the value is below half a unit of the last printed digit.
            0
        } else {
            let quotient = scaled >> shift;
            let remainder = scaled & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            let round_up = remainder > half || (remainder == half && quotient & 1 == 1);
            quotient + u128::from(round_up)
        };
        if rounded == 0 {
            out.push(b'0');
            return;
        }
        if self.negative {
            out.push(b'-');
        }
        let unit = 10u128.pow(FRACTION_DIGITS);
        let integer = rounded / unit;
        let fraction = rounded % unit;
        out.extend_from_slice(itoa::Buffer::new().format(integer).as_bytes());
        if fraction != 0 {
            let mut digits = [b'0'; FRACTION_DIGITS as usize];
            let mut rest = fraction;
            for slot in digits.iter_mut().rev() {
                *slot = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            let significant = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
            out.push(b'.');
            out.extend_from_slice(&digits[..significant]);
        }
    }

    /// The human-mode text as a new vector (see [`LongDouble::format_human`]).
    pub fn to_human_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        self.format_human(&mut out);
        out
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// IEEE addition rounded to nearest, ties to even, as the x87 unit does in extended precision.
    fn add(self, other: LongDouble) -> LongDouble {
        let nan = LongDouble {
            negative: false,
            magnitude: Magnitude::NaN,
        };
        let (
            Magnitude::Finite {
                mantissa: mantissa_a,
                exponent: exponent_a,
            },
            Magnitude::Finite {
                mantissa: mantissa_b,
                exponent: exponent_b,
            },
        ) = (self.magnitude, other.magnitude)
        else {
            return match (self.magnitude, other.magnitude) {
                (Magnitude::NaN, _) | (_, Magnitude::NaN) => nan,
                (Magnitude::Infinite, Magnitude::Infinite) if self.negative != other.negative => {
                    nan
                }
                (Magnitude::Infinite, _) => self,
                _ => other,
            };
        };
        if mantissa_a == 0 || mantissa_b == 0 {
            if mantissa_a != 0 {
                return self;
            }
            if mantissa_b != 0 {
                return other;
            }
            return LongDouble {
                negative: self.negative && other.negative,
                magnitude: ZERO,
            };
        }
        // Order by exponent, then line the smaller operand up under the larger one with 62 guard bits;
        // bits shifted out below those are folded into the lowest bit (sticky), which keeps rounding
        // exact.
        let ((big, big_exponent, big_negative), (small, small_exponent, small_negative)) =
            if exponent_a >= exponent_b {
                (
                    (mantissa_a, exponent_a, self.negative),
                    (mantissa_b, exponent_b, other.negative),
                )
            } else {
                (
                    (mantissa_b, exponent_b, other.negative),
                    (mantissa_a, exponent_a, self.negative),
                )
            };
        const GUARD_BITS: u32 = 62;
        let big_wide = u128::from(big) << GUARD_BITS;
        let small_wide = u128::from(small) << GUARD_BITS;
        let distance = (big_exponent - small_exponent) as u64;
        let small_aligned = if distance >= 128 {
            1
        } else {
            let shifted = small_wide >> distance;
            let lost = small_wide & ((1u128 << distance) - 1);
            shifted | u128::from(lost != 0)
        };
        let base_exponent = big_exponent - i64::from(GUARD_BITS);
        if big_negative == small_negative {
            return round(big_negative, big_wide + small_aligned, base_exponent, false);
        }
        match big_wide.cmp(&small_aligned) {
            Ordering::Equal => LongDouble {
                negative: false,
                magnitude: ZERO,
            },
            Ordering::Greater => {
                round(big_negative, big_wide - small_aligned, base_exponent, false)
            }
            Ordering::Less => round(
                small_negative,
                small_aligned - big_wide,
                base_exponent,
                false,
            ),
        }
    }
}

/// Rounds `(magnitude + ε) × 2^exponent` to the nearest long double (ties to even), where ε is a
/// positive amount below one unit when `sticky` is set and zero otherwise. Callers that set `sticky`
/// pass a magnitude of at least 65 bits.
fn round(negative: bool, magnitude: u128, exponent: i64, sticky: bool) -> LongDouble {
    if magnitude == 0 {
        return LongDouble {
            negative,
            magnitude: ZERO,
        };
    }
    let bits = i64::from(128 - magnitude.leading_zeros());
    let shift = (bits - 64).max(MIN_EXPONENT - exponent);
    let (mut mantissa, mut new_exponent) = if shift <= 0 {
        (magnitude << shift.unsigned_abs(), exponent + shift)
    } else if shift > 128 {
        // Everything is below half of the smallest subnormal.
        (0, exponent + shift)
    } else {
        let shift_bits = shift as u32;
        let (quotient, remainder) = if shift_bits == 128 {
            (0, magnitude)
        } else {
            (
                magnitude >> shift_bits,
                magnitude & ((1u128 << shift_bits) - 1),
            )
        };
        let half = 1u128 << (shift_bits - 1);
        let round_up = remainder > half || (remainder == half && (sticky || quotient & 1 == 1));
        (quotient + u128::from(round_up), exponent + shift)
    };
    if mantissa == 1u128 << 64 {
        mantissa >>= 1;
        new_exponent += 1;
    }
    if mantissa == 0 {
        return LongDouble {
            negative,
            magnitude: ZERO,
        };
    }
    if new_exponent > MAX_EXPONENT {
        return LongDouble {
            negative,
            magnitude: Magnitude::Infinite,
        };
    }
    LongDouble {
        negative,
        magnitude: Magnitude::Finite {
            mantissa: mantissa as u64,
            exponent: new_exponent,
        },
    }
}

/// The zero or underflow outcome of a parse: exact zeros are accepted, rounded-away values are not.
fn checked_nonzero(value: LongDouble) -> Option<LongDouble> {
    match value.magnitude {
        Magnitude::Finite { mantissa: 0, .. } => None,
        _ => Some(value),
    }
}

/// Reads `[+|-]digits` after an exponent marker; the value saturates at `EXPONENT_CAP`.
fn parse_exponent(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |acc, &d| {
        (acc * 10 + i64::from(d - b'0')).min(EXPONENT_CAP)
    });
    Some(if negative { -value } else { value })
}

/// `hexdigits[.hexdigits][p[+|-]digits]` with at least one hex digit.
fn parse_hex(negative: bool, text: &[u8]) -> Option<LongDouble> {
    let exponent_at = text.iter().position(|&b| b == b'p' || b == b'P');
    let (mantissa_text, binary_exponent) = match exponent_at {
        Some(at) => (&text[..at], parse_exponent(&text[at + 1..])?),
        None => (text, 0),
    };
    let mut mantissa: u128 = 0;
    let mut exponent: i64 = 0;
    let mut sticky = false;
    let mut seen_digit = false;
    let mut in_fraction = false;
    for &b in mantissa_text {
        if b == b'.' {
            if in_fraction {
                return None;
            }
            in_fraction = true;
            continue;
        }
        let digit = char::from(b).to_digit(16)?;
        seen_digit = true;
        if mantissa >> 124 == 0 {
            mantissa = (mantissa << 4) | u128::from(digit);
            if in_fraction {
                exponent -= 4;
            }
        } else {
            sticky |= digit != 0;
            if !in_fraction {
                exponent += 4;
            }
        }
    }
    if !seen_digit {
        return None;
    }
    if mantissa == 0 {
        return Some(LongDouble {
            negative,
            magnitude: ZERO,
        });
    }
    checked_nonzero(round(
        negative,
        mantissa,
        exponent + binary_exponent,
        sticky,
    ))
}

/// `digits[.digits][(e|E)[+|-]digits]` or `.digits...` with at least one mantissa digit.
fn parse_decimal(negative: bool, text: &[u8]) -> Option<LongDouble> {
    let exponent_at = text.iter().position(|&b| b == b'e' || b == b'E');
    let (mantissa_text, written_exponent) = match exponent_at {
        Some(at) => (&text[..at], parse_exponent(&text[at + 1..])?),
        None => (text, 0),
    };
    // Significant digits without leading zeros; the value is digits × 10^exponent.
    let mut digits: Vec<u8> = Vec::with_capacity(mantissa_text.len());
    let mut exponent: i64 = 0;
    let mut seen_digit = false;
    let mut in_fraction = false;
    for &b in mantissa_text {
        match b {
            b'.' if !in_fraction => in_fraction = true,
            b'0'..=b'9' => {
                seen_digit = true;
                if b != b'0' || !digits.is_empty() {
                    digits.push(b - b'0');
                }
                if in_fraction {
                    exponent -= 1;
                }
            }
            _ => return None,
        }
    }
    if !seen_digit {
        return None;
    }
    while digits.last() == Some(&0) {
        digits.pop();
        exponent += 1;
    }
    if digits.is_empty() {
        return Some(LongDouble {
            negative,
            magnitude: ZERO,
        });
    }
    let exponent = exponent + written_exponent;
    let count = digits.len() as i64;
    // Beyond these bounds the value certainly overflows (≥ 10^4934) or rounds to zero (< 10^-4952).
    if count - 1 + exponent > 4933 || count + exponent < -4951 {
        return None;
    }
    let numerator = BigUint::from_decimal_digits(&digits);
    let value = if exponent >= 0 {
        let mut whole = numerator;
        whole.mul_pow10(exponent as u64);
        let bits = whole.bit_len();
        if bits <= 128 {
            round(negative, whole.low_u128(), 0, false)
        } else {
            let drop = bits - 128;
            let (top, sticky) = whole.shifted_u128(drop);
            round(negative, top, drop as i64, sticky)
        }
    } else {
        let mut denominator = BigUint::from_u64(1);
        denominator.mul_pow10(exponent.unsigned_abs());
        // Scale so that the quotient has 126 or 127 bits: plenty for the 64-bit mantissa and its
        // rounding, with the remainder as the sticky bit.
        let scale = 126 + denominator.bit_len() as i64 - numerator.bit_len() as i64;
        let mut scaled_numerator = numerator;
        if scale >= 0 {
            scaled_numerator.shl(scale as u64);
        } else {
            denominator.shl(scale.unsigned_abs());
        }
        let (quotient, inexact) = scaled_numerator.div_to_u128(&denominator);
        round(negative, quotient, -scale, inexact)
    };
    checked_nonzero(value)
}

/// A minimal unsigned big integer (little-endian 64-bit limbs) for exact decimal ↔ binary conversion.
#[derive(Debug, Clone)]
struct BigUint {
    limbs: Vec<u64>,
}

impl BigUint {
    fn from_u64(value: u64) -> Self {
        let mut result = Self { limbs: vec![value] };
        result.trim();
        result
    }

    fn from_decimal_digits(digits: &[u8]) -> Self {
        let mut result = Self { limbs: Vec::new() };
        for chunk in digits.chunks(19) {
            let chunk_value = chunk.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d));
            result.mul_add_small(10u64.pow(chunk.len() as u32), chunk_value);
        }
        result
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn mul_add_small(&mut self, multiplier: u64, addend: u64) {
        let mut carry = u128::from(addend);
        for limb in &mut self.limbs {
            let product = u128::from(*limb) * u128::from(multiplier) + carry;
            *limb = product as u64;
            carry = product >> 64;
        }
        if carry != 0 {
            self.limbs.push(carry as u64);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut power: u64) {
        while power >= 19 {
            self.mul_add_small(TEN_POW_19, 0);
            power -= 19;
        }
        if power > 0 {
            self.mul_add_small(10u64.pow(power as u32), 0);
        }
    }

    fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() as u64 * 64 - u64::from(top.leading_zeros()),
        }
    }

    fn shl(&mut self, bits: u64) {
        if self.is_zero() {
            return;
        }
        let limb_shift = (bits / 64) as usize;
        let bit_shift = (bits % 64) as u32;
        if bit_shift != 0 {
            let mut carry = 0u64;
            for limb in &mut self.limbs {
                let next_carry = *limb >> (64 - bit_shift);
                *limb = (*limb << bit_shift) | carry;
                carry = next_carry;
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        if limb_shift > 0 {
            self.limbs.splice(0..0, std::iter::repeat_n(0, limb_shift));
        }
    }

    fn shr1(&mut self) {
        let mut carry = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let next_carry = *limb & 1;
            *limb = (*limb >> 1) | (carry << 63);
            carry = next_carry;
        }
        self.trim();
    }

    fn compare(&self, other: &Self) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// `self -= other`; requires `self >= other`.
    fn sub_assign(&mut self, other: &Self) {
        let mut borrow = false;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let subtrahend = other.limbs.get(i).copied().unwrap_or(0);
            let (partial, borrow_a) = limb.overflowing_sub(subtrahend);
            let (result, borrow_b) = partial.overflowing_sub(u64::from(borrow));
            *limb = result;
            borrow = borrow_a || borrow_b;
        }
        self.trim();
    }

    /// The lowest 128 bits.
    fn low_u128(&self) -> u128 {
        let low = self.limbs.first().copied().unwrap_or(0);
        let high = self.limbs.get(1).copied().unwrap_or(0);
        u128::from(low) | (u128::from(high) << 64)
    }

    /// `self >> bits` (which must fit in 128 bits) and whether any shifted-out bit was set.
    fn shifted_u128(&self, bits: u64) -> (u128, bool) {
        let limb_shift = (bits / 64) as usize;
        let bit_shift = (bits % 64) as u32;
        let limb = |i: usize| self.limbs.get(i).copied().unwrap_or(0);
        let mut words = [0u64; 2];
        for (k, word) in words.iter_mut().enumerate() {
            let low = limb(limb_shift + k);
            let high = limb(limb_shift + k + 1);
            *word = if bit_shift == 0 {
                low
            } else {
                (low >> bit_shift) | (high << (64 - bit_shift))
            };
        }
        let lost_limbs = self.limbs.iter().take(limb_shift).any(|&l| l != 0);
        let lost_bits = bit_shift != 0 && limb(limb_shift) & ((1u64 << bit_shift) - 1) != 0;
        (
            u128::from(words[0]) | (u128::from(words[1]) << 64),
            lost_limbs || lost_bits,
        )
    }

    /// `self / divisor` for a quotient known to fit in 128 bits, and whether the division was inexact.
    fn div_to_u128(mut self, divisor: &Self) -> (u128, bool) {
        let mut shifted = divisor.clone();
        shifted.shl(127);
        let mut quotient = 0u128;
        for bit in (0..128).rev() {
            if self.compare(&shifted) != Ordering::Less {
                self.sub_assign(&shifted);
                quotient |= 1u128 << bit;
            }
            shifted.shr1();
        }
        (quotient, !self.is_zero())
    }

    /// Divides by a small number in place, returning the remainder.
    fn div_rem_small(&mut self, divisor: u64) -> u64 {
        let mut remainder = 0u128;
        for limb in self.limbs.iter_mut().rev() {
            let current = (remainder << 64) | u128::from(*limb);
            *limb = (current / u128::from(divisor)) as u64;
            remainder = current % u128::from(divisor);
        }
        self.trim();
        remainder as u64
    }

    fn write_decimal(mut self, out: &mut Vec<u8>) {
        let mut chunks = Vec::new();
        while !self.is_zero() {
            chunks.push(self.div_rem_small(TEN_POW_19));
        }
        let Some((&first, rest)) = chunks.split_last() else {
            out.push(b'0');
            return;
        };
        out.extend_from_slice(itoa::Buffer::new().format(first).as_bytes());
        for &chunk in rest.iter().rev() {
            let mut digits = [b'0'; 19];
            let mut value = chunk;
            for slot in digits.iter_mut().rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
            out.extend_from_slice(&digits);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> Option<String> {
        let total = LongDouble::parse(a.as_bytes())? + LongDouble::parse(b.as_bytes())?;
        total
            .is_finite()
            .then(|| String::from_utf8_lossy(&total.to_human_bytes()).into_owned())
    }

    /// Replies of the real valkey-server 9.1.2 to `SET k a` + `INCRBYFLOAT k b`.
    #[test]
    fn matches_valkey_incrbyfloat() {
        let cases = [
            ("10.5", "0.1", "10.6"),
            ("0", "3.0e3", "3000"),
            ("0", "5.0e-3", "0.005"),
            ("-5", "2", "-3"),
            ("0", "+1.5", "1.5"),
            ("0", "-0", "0"),
            ("0", ".5", "0.5"),
            ("0", "5.", "5"),
            ("0", "0.000003814697265625", "0.00000381469726562"),
            ("0", "0.000011444091796875", "0.00001144409179688"),
            ("0", "1e-18", "0"),
            ("0", "-1e-18", "0"),
            ("0", "1.5e-17", "0.00000000000000002"),
            ("0", "0.3", "0.3"),
            (
                "0",
                "123456789012345678901234567890",
                "123456789012345678899921813504",
            ),
            ("0", "9223372036854775807", "9223372036854775807"),
            ("0", "18446744073709551615", "18446744073709551615"),
            ("0", "18446744073709551617", "18446744073709551616"),
            (
                "0",
                "3.14159265358979323846264338327950288",
                "3.14159265358979324",
            ),
            ("0", "1e-5", "0.00001"),
            ("0", "1.23456789012345678e-10", "0.00000000012345679"),
            ("1.5", "1.5", "3"),
            ("0", "0e99999999", "0"),
            ("0", "0x10", "16"),
            ("0", "0x1p-3", "0.125"),
            ("0", "0X1P+4", "16"),
            ("0", "0x.8", "0.5"),
            ("0", "0x1.8p1", "3"),
            ("0", "1E5", "100000"),
            ("0", "00012", "12"),
            ("0", "5e-4951", "0"),
            ("0", "1.9e-4951", "0"),
            ("0", "0.0000000000000000050", "0"),
            ("0", "0.0000000000000000051", "0.00000000000000001"),
            ("0", "-0.0000000000000000051", "-0.00000000000000001"),
            ("0", "0.00000000000000002500000", "0.00000000000000002"),
            ("0", "0.000000000000000025000001", "0.00000000000000003"),
            ("1.1", "2.2", "3.3"),
            ("3", "-2.9", "0.1"),
            ("10", "-10", "0"),
            ("-10", "-10.25", "-20.25"),
            ("0", "1e103", "99999999999999999997300619350"),
        ];
        for (a, b, expected) in cases {
            let got = sum(a, b).unwrap_or_default();
            assert!(
                got.starts_with(expected),
                "{a} + {b}: got {got}, want {expected}"
            );
            if expected.len() < 29 {
                assert_eq!(got, expected, "{a} + {b}");
            }
        }
    }

    #[test]
    fn huge_values_print_every_digit() {
        let got = sum("0", "1e308").unwrap_or_default();
        assert_eq!(got.len(), 308);
        assert!(got.starts_with("9999999999999999999668587965584564566056"));
        let max = sum("0", "1.18973149535723176502e+4932").unwrap_or_default();
        assert_eq!(max.len(), 4933);
        assert!(max.starts_with(
            "11897314953572317650212638530309702051690633222946242004403237338917370055229707226164102903365288828535456978074955773144274431536702884341981255738537436786735932007069732632019159182829615243655295"
        ));
        assert!(max.ends_with("86811989770240"));
    }

    #[test]
    fn refused_and_non_finite() {
        for bad in [
            "",
            " 1",
            "1 ",
            "\t1",
            "1e",
            "1e+",
            "0x",
            "nan",
            "nan(123)",
            "abc",
            "1_0",
            "1\x002",
            "1e4933",
            "1e-4960",
            "1e-99999999",
            "..5",
            "1..",
            "+-1",
            "-",
        ] {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(LongDouble::parse(&[b'1'; 5120]), None);
        let mut long_zero = b"0.".to_vec();
        long_zero.extend(std::iter::repeat_n(b'0', 6000));
        assert_eq!(LongDouble::parse(&long_zero), None);
        for infinite in ["inf", "-inf", "INF", "infinity", "-Infinity"] {
            assert!(LongDouble::parse(infinite.as_bytes()).is_some_and(|v| !v.is_finite()));
        }
        assert_eq!(sum("0", "inf"), None);
        assert_eq!(sum("1e4932", "1e4932"), None);
        let infinite = LongDouble {
            negative: false,
            magnitude: Magnitude::Infinite,
        };
        let minus_infinite = LongDouble {
            negative: true,
            magnitude: Magnitude::Infinite,
        };
        assert_eq!((infinite + minus_infinite).magnitude, Magnitude::NaN);
    }

    #[test]
    fn integers_convert_exactly() {
        for n in [0, 1, -1, i64::MAX, i64::MIN, 1 << 62, -12345] {
            let text = LongDouble::from_i64(n).to_human_bytes();
            assert_eq!(text, n.to_string().into_bytes());
        }
    }

    #[test]
    fn subnormals_round_correctly() {
        // The smallest subnormal is 2^-16445 ≈ 3.6452e-4951; half of it rounds to even (zero).
        let smallest = LongDouble::parse(b"3.6452e-4951");
        assert_eq!(
            smallest.map(|v| v.magnitude),
            Some(Magnitude::Finite {
                mantissa: 1,
                exponent: MIN_EXPONENT
            })
        );
        assert_eq!(LongDouble::parse(b"1.8e-4951"), None);
        assert_eq!(
            LongDouble::parse(b"0x1p-16445").map(|v| v.magnitude),
            Some(Magnitude::Finite {
                mantissa: 1,
                exponent: MIN_EXPONENT
            })
        );
        assert_eq!(LongDouble::parse(b"0x1p-16446"), None);
    }
}
