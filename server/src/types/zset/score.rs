//! Score text as Valkey 9.1 reads and writes it: its fast_float-based `strtod` (no leading spaces, no
//! hexadecimal, a leading `+` allowed, `inf`/`infinity`/`nan` in any case), the strict form used for
//! ZADD scores and weights, the lenient C-string form of range bounds, the text stored in listpacks
//! and the `%.17Lg` text ZSCAN prints for the large encoding.

use ferry_resp::number::format_f64;

/// Parses the longest prefix of `text` that is a number in fast_float's general format. Returns the
/// value and the number of bytes used; `(0.0, 0)` when there is no number at the start.
pub fn strtod_prefix(text: &[u8]) -> (f64, usize) {
    let mut i = 0;
    let negative = match text.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let rest = &text[i..];
    let starts_with =
        |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    if starts_with(b"nan") {
        let mut end = i + 3;
        // An optional "(n-char-sequence)".
        if text.get(end) == Some(&b'(') {
            let close = text[end + 1..]
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'));
            if let Some(len) = close {
                if text[end + 1 + len] == b')' {
                    end += len + 2;
                }
            }
        }
        return (f64::NAN, end);
    }
    if starts_with(b"inf") {
        let used = if starts_with(b"infinity") { 8 } else { 3 };
        let value = if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        return (value, i + used);
    }
    let start = i;
    let mut digits = 0;
    while text.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
        digits += 1;
    }
    if text.get(i) == Some(&b'.') {
        i += 1;
        while text.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return (0.0, 0);
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(text.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exponent_start = j;
        while text.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        if j > exponent_start {
            i = j;
        }
    }
    let magnitude = std::str::from_utf8(&text[start..i])
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(0.0);
    (if negative { -magnitude } else { magnitude }, i)
}

/// True when the mantissa of a decimal number (before any exponent) has a non-zero digit.
fn has_nonzero_mantissa(text: &[u8]) -> bool {
    text.iter()
        .take_while(|&&b| b != b'e' && b != b'E')
        .any(|&b| (b'1'..=b'9').contains(&b))
}

/// A score, weight or coordinate argument (Valkey's `getDoubleFromObject`): the whole text must be a
/// number; NaN and values that overflow to infinity or underflow to zero are refused.
pub fn parse_score(text: &[u8]) -> Option<f64> {
    let (value, used) = strtod_prefix(text);
    if used == 0 || used != text.len() || value.is_nan() {
        return None;
    }
    let literal_infinity = text.iter().any(|b| b.eq_ignore_ascii_case(&b'i'));
    if value.is_infinite() && !literal_infinity {
        return None;
    }
    if value == 0.0 && has_nonzero_mantissa(text) {
        return None;
    }
    Some(value)
}

/// A score range bound: an optional `(` for an exclusive bound, then a number. Like Valkey, the number is
/// read as a C string: parsing may stop at a NUL byte, an empty number is 0, and overflow is accepted as
/// an infinity. Returns (value, exclusive).
pub fn parse_bound(text: &[u8]) -> Option<(f64, bool)> {
    let (exclusive, number) = match text.split_first() {
        Some((b'(', rest)) => (true, rest),
        _ => (false, text),
    };
    let (value, used) = strtod_prefix(number);
    let ends_cleanly = used == number.len() || number[used] == 0;
    (ends_cleanly && !value.is_nan()).then_some((value, exclusive))
}

/// Valkey's `double2ll`: the integer a score is stored as in a listpack, when it has one.
pub fn as_integer(score: f64) -> Option<i64> {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if !(-LIMIT..=LIMIT).contains(&score) {
        return None;
    }
    let integer = score as i64;
    (integer as f64 == score).then_some(integer)
}

/// The text a listpack stores for `score` (an integer when `double2ll` accepts it, which turns `-0`
/// into `0`; otherwise `d2string`).
pub fn stored_text(score: f64, out: &mut Vec<u8>) {
    match as_integer(score) {
        Some(integer) => out.extend_from_slice(itoa::Buffer::new().format(integer).as_bytes()),
        None => format_f64(score, out),
    }
}

/// Reads back a score stored as text in a listpack.
pub fn parse_stored(text: &[u8]) -> f64 {
    strtod_prefix(text).0
}

/// `%.17Lg` of a double, as ZSCAN prints the scores of the large encoding.
pub fn format_g17(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value.is_nan() {
        return "nan".to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let scientific = format!("{value:.16e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..17).contains(&exponent) {
        let mantissa = trim_fraction(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let decimals = (16 - exponent) as usize;
    trim_fraction(&format!("{value:.decimals$}")).to_string()
}

/// Drops trailing zeros after a decimal point, and the point itself when nothing follows it.
fn trim_fraction(text: &str) -> &str {
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_like_valkey_9_1() {
        for (text, value) in [
            ("1", 1.0),
            ("+1", 1.0),
            ("-.5e-1", -0.05),
            ("1.", 1.0),
            (".5", 0.5),
            ("01", 1.0),
            ("Infinity", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("+inf", f64::INFINITY),
            ("1e-320", 1e-320),
            ("1E5", 1e5),
        ] {
            assert_eq!(parse_score(text.as_bytes()), Some(value), "{text}");
        }
        for text in [
            "", " 1", "1 ", "0x10", "nan", "1e400", "-1e400", "1e-400", "1\0", "infinit", "1e",
            "1e+", "+-1", "abc", ".", "-",
        ] {
            assert_eq!(parse_score(text.as_bytes()), None, "{text:?}");
        }
    }

    #[test]
    fn bounds_parse_like_valkey_9_1() {
        assert_eq!(parse_bound(b""), Some((0.0, false)));
        assert_eq!(parse_bound(b"("), Some((0.0, true)));
        assert_eq!(parse_bound(b"(1.5"), Some((1.5, true)));
        assert_eq!(parse_bound(b"1\0abc"), Some((1.0, false)));
        assert_eq!(parse_bound(b"\0"), Some((0.0, false)));
        assert_eq!(parse_bound(b"1e400"), Some((f64::INFINITY, false)));
        assert_eq!(parse_bound(b"1e-400"), Some((0.0, false)));
        for text in [" 1", "0x1", "nan", "((1", "1e", "1 ", "\t1", "-nan"] {
            assert_eq!(parse_bound(text.as_bytes()), None, "{text:?}");
        }
    }

    #[test]
    fn listpack_text_and_g17() {
        let text = |score: f64| {
            let mut out = Vec::new();
            stored_text(score, &mut out);
            String::from_utf8(out).unwrap_or_default()
        };
        assert_eq!(text(-0.0), "0");
        assert_eq!(text(3.0), "3");
        assert_eq!(text(0.1), "0.1");
        assert_eq!(text(4611686018427387904.0), "4611686018427387904");
        assert_eq!(text(1e300), "1e+300");
        assert_eq!(format_g17(0.1), "0.10000000000000001");
        assert_eq!(format_g17(1.0), "1");
        assert_eq!(format_g17(1.5), "1.5");
        assert_eq!(format_g17(1e20), "1e+20");
        assert_eq!(format_g17(123456789.0), "123456789");
        assert_eq!(format_g17(1e-5), "1.0000000000000001e-05");
        assert_eq!(format_g17(0.0001), "0.0001");
        assert_eq!(format_g17(-0.0), "-0");
        assert_eq!(format_g17(f64::NEG_INFINITY), "-inf");
    }
}
