//! Number parsing and formatting exactly as Valkey does it: `string2ll` for integers, `strtod` with
//! Valkey's extra checks for doubles, and `d2string` (shortest round-trip digits in fpconv's layout) for
//! printing doubles.

use std::io::Write as _;

/// Parses a signed 64-bit integer with Valkey's `string2ll` rules: optional `-`, no `+`, no leading zeros,
/// no spaces, at most 20 characters, no overflow.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() >= 21 {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let (&first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut value = u64::from(first - b'0');
    for &b in rest {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if negative {
        if value > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((value as i64).wrapping_neg())
    } else {
        i64::try_from(value).ok()
    }
}

/// Parses a double like Valkey's `getDoubleFromObject`/`string2d`: the whole string must be a number
/// `strtod` accepts, with no leading space; NaN, overflow to infinity and underflow to zero are refused.
/// `inf`, `+inf`, `-inf`, `infinity` (any case) are accepted.
pub fn parse_f64(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        let magnitude = parse_hex_float(hex)?;
        return Some(if negative { -magnitude } else { magnitude });
    }
    if !is_decimal_float(unsigned.as_bytes()) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    if value.is_infinite() || value.is_nan() {
        return None;
    }
    if value == 0.0 && mantissa_has_nonzero_digit(unsigned.as_bytes()) {
        return None;
    }
    Some(value)
}

/// `digits [. digits] [(e|E) [+|-] digits]` with at least one mantissa digit: the decimal form strtod reads.
fn is_decimal_float(bytes: &[u8]) -> bool {
    let mut i = 0;
    let mut mantissa_digits = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        mantissa_digits += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return false;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let exponent_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == exponent_start {
            return false;
        }
    }
    i == bytes.len()
}

fn mantissa_has_nonzero_digit(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .take_while(|&&b| b != b'e' && b != b'E')
        .any(|&b| (b'1'..=b'9').contains(&b))
}

/// Parses the part of a C hexadecimal float after `0x`: hex digits, optional fraction, optional `p` exponent.
fn parse_hex_float(text: &str) -> Option<f64> {
    let (mantissa_text, exponent) = match text.split_once('p') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa_text.split_once('.').unwrap_or((mantissa_text, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let value = value * 2f64.powi(exponent);
    value.is_finite().then_some(value)
}

/// Longest text [`format_f64`] produces.
pub const MAX_F64_CHARS: usize = 32;

/// Formats a double the way Valkey's `d2string` does: `nan`, `inf`, `-inf`, `0`/`-0`, integers that fit
/// comfortably in an i64 as integers, otherwise the shortest round-trip digits laid out like fpconv
/// (plain up to 21 digits, `0.000001`-style down to 1e-6, scientific with a signed, unpadded exponent
/// beyond: `1e-7`, `1e+21`).
pub fn format_f64(value: f64, out: &mut Vec<u8>) {
    if value.is_nan() {
        out.extend_from_slice(b"nan");
    } else if value.is_infinite() {
        out.extend_from_slice(if value < 0.0 { b"-inf" } else { b"inf" });
    } else if value == 0.0 {
        out.extend_from_slice(if value.is_sign_negative() {
            b"-0"
        } else {
            b"0"
        });
    } else if value >= -(i64::MAX / 2) as f64
        && value <= (i64::MAX / 2) as f64
        && value.fract() == 0.0
    {
        out.extend_from_slice(itoa::Buffer::new().format(value as i64).as_bytes());
    } else {
        format_shortest(value, out);
    }
}

/// Convenience wrapper around [`format_f64`] returning a `String`.
pub fn f64_to_string(value: f64) -> String {
    let mut out = Vec::with_capacity(MAX_F64_CHARS);
    format_f64(value, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn format_shortest(value: f64, out: &mut Vec<u8>) {
    // Rust's `{:e}` yields the shortest digits that round-trip, e.g. "-1.2345e-7".
    let mut scratch = [0u8; 40];
    let mut cursor = std::io::Cursor::new(&mut scratch[..]);
    if write!(cursor, "{:e}", value.abs()).is_err() {
        return;
    }
    let written = cursor.position() as usize;
    let text = &scratch[..written];
    let Some(e_pos) = text.iter().position(|&b| b == b'e') else {
        return;
    };
    let mut digits = [0u8; 20];
    let mut ndigits = 0;
    for &b in &text[..e_pos] {
        if b.is_ascii_digit() && ndigits < digits.len() {
            digits[ndigits] = b;
            ndigits += 1;
        }
    }
    let exponent: i32 = std::str::from_utf8(&text[e_pos + 1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if value < 0.0 {
        out.push(b'-');
    }
    emit_digits(&digits[..ndigits], exponent - (ndigits as i32 - 1), out);
}

/// Lays out `digits × 10^k` like fpconv's `emit_digits`.
fn emit_digits(digits: &[u8], k: i32, out: &mut Vec<u8>) {
    let ndigits = digits.len() as i32;
    let exp = (k + ndigits - 1).abs();
    if k >= 0 && exp < ndigits + 7 {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', k as usize));
        return;
    }
    if k < 0 && (k > -7 || exp < 4) {
        let offset = ndigits - k.abs();
        if offset <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-offset) as usize));
            out.extend_from_slice(digits);
        } else {
            out.extend_from_slice(&digits[..offset as usize]);
            out.push(b'.');
            out.extend_from_slice(&digits[offset as usize..]);
        }
        return;
    }
    out.push(digits[0]);
    if ndigits > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..]);
    }
    out.push(b'e');
    out.push(if k + ndigits - 1 < 0 { b'-' } else { b'+' });
    out.extend_from_slice(itoa::Buffer::new().format(exp).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        for ok in [
            "0",
            "1",
            "-1",
            "9223372036854775807",
            "-9223372036854775808",
            "10",
        ] {
            assert_eq!(parse_i64(ok.as_bytes()), ok.parse().ok(), "{ok}");
        }
        for bad in [
            "",
            "-",
            "+1",
            "01",
            "-0",
            " 1",
            "1 ",
            "9223372036854775808",
            "1a",
            "-9223372036854775809",
        ] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn strtod_rules() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        for bad in ["", " 1", "1 ", "nan", "abc", "1e", "1e400", "1e-400", "."] {
            assert_eq!(parse_f64(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(parse_f64(b"0e0"), Some(0.0));
    }

    #[test]
    fn d2string_layout() {
        let cases = [
            (1.5, "1.5"),
            (0.1, "0.1"),
            (-0.0, "-0"),
            (3.0, "3"),
            (1e-7, "1e-7"),
            (1.23e-5, "1.23e-5"),
            (0.000123, "0.000123"),
            (1e300, "1e+300"),
            (2.71, "2.71"),
            (4611686018427387904.0 * 4.0, "18446744073709552000"),
            (f64::INFINITY, "inf"),
            (1234567.125, "1234567.125"),
            (1e21, "1e+21"),
            (1e-6, "0.000001"),
            (5e-324, "5e-324"),
            (-2.5e-10, "-2.5e-10"),
            (12345678901234567890123.0, "12345678901234568000000"),
        ];
        for (value, text) in cases {
            assert_eq!(f64_to_string(value), text, "{value:e}");
        }
    }
}
