//! How SORT orders elements: the weights it accepts and the byte collation it uses (the partial
//! quicksort it runs when a BY pattern meets a LIMIT is `crate::pqsort`).
//!
//! Valkey compares ALPHA elements with `strcoll`. valkey-server takes its collation locale from the
//! environment (`locale-collate` is empty by default); in the `C` and `C.UTF-8` locales `strcoll`
//! compares the bytes as unsigned values up to the first NUL, which is what [`collate`] does.

use std::cmp::Ordering;

/// The bytes of `bytes` a C string function sees: everything before the first NUL.
pub fn c_str(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// `strcoll` in the `C`/`C.UTF-8` locales: unsigned bytes up to the first NUL.
pub fn collate(a: &[u8], b: &[u8]) -> Ordering {
    c_str(a).cmp(c_str(b))
}

/// A weight as Valkey 9.1's SORT reads it, or `None` when it "can't be converted into double".
///
/// The text up to the first NUL must be a whole decimal number (`[+|-]digits[.digits][e[+|-]digits]`,
/// either side of the point may be empty but not both) or `inf`/`infinity` in any case: no spaces,
/// no hexadecimal. NaN, values that overflow to infinity and non-zero values that underflow to zero
/// are refused; subnormal results are accepted.
pub fn parse_weight(bytes: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(c_str(bytes)).ok()?;
    let value: f64 = text.parse().ok()?;
    if value.is_nan() {
        return None;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if value.is_infinite()
        && !(unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity"))
    {
        return None;
    }
    if value == 0.0 {
        let mantissa = unsigned.split(['e', 'E']).next().unwrap_or("");
        if mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            return None;
        }
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_valkey() {
        for (text, expected) in [
            (&b"1"[..], Some(1.0)),
            (b"+.5", Some(0.5)),
            (b"5.", Some(5.0)),
            (b"-.5e-3", Some(-0.0005)),
            (b"1e+5", Some(1e5)),
            (b"0e-999", Some(0.0)),
            (b"-Infinity", Some(f64::NEG_INFINITY)),
            (b"INF", Some(f64::INFINITY)),
            (b"1\0zz", Some(1.0)),
            (b"2.5e-324", Some(5e-324)),
        ] {
            assert_eq!(parse_weight(text), expected, "{text:?}");
        }
        for text in [
            &b""[..],
            b" 1",
            b"1 ",
            b"0x10",
            b"1e",
            b"e5",
            b".",
            b"nan",
            b"-nan",
            b"1e400",
            b"1e-400",
            b"2.4e-324",
            b"\x001",
            b"+-1",
            b"infx",
            b"\xff",
        ] {
            assert_eq!(parse_weight(text), None, "{text:?}");
        }
    }

    #[test]
    fn collation_stops_at_nul() {
        assert_eq!(collate(b"a\0c", b"a\0b"), Ordering::Equal);
        assert_eq!(collate(b"a", b"a\0b"), Ordering::Equal);
        assert_eq!(collate(b"\x80", b"z"), Ordering::Greater);
        assert_eq!(collate(b"B", b"a"), Ordering::Less);
    }
}
