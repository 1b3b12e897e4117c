//! What SCAN, SSCAN, HSCAN and ZSCAN share, as Valkey's `scanGenericCommand` does: the cursor syntax,
//! the MATCH / COUNT / TYPE / NOVALUES / NOSCORES options with their errors, and the sampling loop
//! that stops after COUNT elements or 10 × COUNT further buckets.

use ferry_resp::number::parse_i64;

use crate::error::{c_str, CommandError, NOT_INTEGER, SYNTAX};

/// Valkey's reply to a cursor that does not parse.
pub(crate) const INVALID_CURSOR: CommandError = CommandError::fixed("ERR invalid cursor");

/// Type names SCAN TYPE accepts.
const TYPE_NAMES: &[&str] = &["string", "list", "set", "zset", "hash", "stream"];

/// Which of the four commands is parsing: each accepts one option the others refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanKind {
    /// SCAN: TYPE.
    Keys,
    /// SSCAN.
    Set,
    /// HSCAN: NOVALUES.
    Hash,
    /// ZSCAN: NOSCORES.
    SortedSet,
}

/// The parsed options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScanOptions<'a> {
    /// COUNT: elements to sample (default 10).
    pub count: i64,
    /// MATCH, left out when it is `*` (which matches everything).
    pub pattern: Option<&'a [u8]>,
    /// SCAN's TYPE, as the canonical type name.
    pub type_filter: Option<&'static str>,
    /// HSCAN's NOVALUES or ZSCAN's NOSCORES: names only.
    pub names_only: bool,
}

impl<'a> ScanOptions<'a> {
    /// Parses the option words in `args` (everything after the cursor) for `kind`.
    pub(crate) fn parse(
        args: impl ExactSizeIterator<Item = &'a [u8]>,
        kind: ScanKind,
    ) -> Result<Self, CommandError> {
        let mut options = ScanOptions {
            count: 10,
            pattern: None,
            type_filter: None,
            names_only: false,
        };
        let mut args = args;
        while let Some(word) = args.next() {
            let has_value = args.len() >= 1;
            let is = |name: &str| word.eq_ignore_ascii_case(name.as_bytes());
            if is("count") && has_value {
                let value = args.next().unwrap_or_default();
                options.count = parse_i64(value).ok_or(NOT_INTEGER)?;
                if options.count < 1 {
                    return Err(SYNTAX);
                }
            } else if is("match") && has_value {
                let pattern = args.next().unwrap_or_default();
                options.pattern = Some(pattern).filter(|p| *p != b"*");
            } else if is("type") && has_value && kind == ScanKind::Keys {
                let name = args.next().unwrap_or_default();
                let Some(&known) = TYPE_NAMES
                    .iter()
                    .find(|t| t.as_bytes().eq_ignore_ascii_case(name))
                else {
                    return Err(CommandError::owned(format!(
                        "ERR unknown type name '{}'",
                        c_str(name, usize::MAX)
                    )));
                };
                options.type_filter = Some(known);
            } else if is("novalues") {
                if kind != ScanKind::Hash {
                    return Err(CommandError::fixed(
                        "ERR NOVALUES option can only be used in HSCAN",
                    ));
                }
                options.names_only = true;
            } else if is("noscores") {
                if kind != ScanKind::SortedSet {
                    return Err(CommandError::fixed(
                        "ERR NOSCORES option can only be used in ZSCAN",
                    ));
                }
                options.names_only = true;
            } else {
                return Err(SYNTAX);
            }
        }
        Ok(options)
    }
}

/// Runs scan steps from `cursor` until the table is done (cursor 0), `count` elements were sampled,
/// or 10 × `count` further steps found too few (so a sparse table cannot block the server). `step`
/// visits one bucket from the cursor it is given and returns the next cursor and how many elements
/// it saw. Returns the cursor to hand back to the client.
pub(crate) fn sample(cursor: u64, count: i64, mut step: impl FnMut(u64) -> (u64, i64)) -> u64 {
    let mut cursor = cursor;
    let mut sampled: i64 = 0;
    let mut steps_left = count.saturating_mul(10);
    loop {
        let (next, seen) = step(cursor);
        cursor = next;
        sampled += seen;
        if cursor == 0 || steps_left == 0 || sampled >= count {
            return cursor;
        }
        steps_left -= 1;
    }
}

/// Valkey's `string2ull` on a cursor argument read as a C string: a non-negative decimal `long long`,
/// or else anything `strtoull` takes whole (leading whitespace, a sign, digits, no overflow; a minus
/// negates modulo 2^64).
pub(crate) fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let arg = &arg[..arg.iter().position(|&b| b == 0).unwrap_or(arg.len())];
    if let Some(value) = parse_i64(arg) {
        return u64::try_from(value).ok();
    }
    let mut rest = arg;
    while let [b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r', tail @ ..] = rest {
        rest = tail;
    }
    let (negative, digits) = match rest {
        [b'-', tail @ ..] => (true, tail),
        [b'+', tail @ ..] => (false, tail),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for digit in digits {
        value = value
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str], kind: ScanKind) -> Result<ScanOptions<'static>, CommandError> {
        let words: Vec<&'static [u8]> = words
            .iter()
            .map(|w| &*Box::leak(w.as_bytes().to_vec().into_boxed_slice()))
            .collect();
        ScanOptions::parse(words.into_iter(), kind)
    }

    #[test]
    fn options_and_their_errors() {
        let options = parse(&["MATCH", "a*", "count", "5"], ScanKind::Set).unwrap();
        assert_eq!(
            (options.count, options.pattern),
            (5, Some(&b"a*"[..])),
            "MATCH and COUNT"
        );
        assert_eq!(parse(&["match", "*"], ScanKind::Set).unwrap().pattern, None);
        assert_eq!(
            parse(&["type", "ZSET"], ScanKind::Keys)
                .unwrap()
                .type_filter,
            Some("zset")
        );
        let message = |words: &[&str], kind| parse(words, kind).unwrap_err().message().to_string();
        assert_eq!(
            message(&["type", "x\0y"], ScanKind::Keys),
            "ERR unknown type name 'x'"
        );
        assert_eq!(message(&["type", "set"], ScanKind::Set), "ERR syntax error");
        assert_eq!(message(&["count", "0"], ScanKind::Hash), "ERR syntax error");
        assert_eq!(message(&["count"], ScanKind::Hash), "ERR syntax error");
        assert_eq!(
            message(&["count", "x"], ScanKind::Hash),
            "ERR value is not an integer or out of range"
        );
        assert_eq!(
            message(&["novalues"], ScanKind::SortedSet),
            "ERR NOVALUES option can only be used in HSCAN"
        );
        assert_eq!(
            message(&["noscores"], ScanKind::Keys),
            "ERR NOSCORES option can only be used in ZSCAN"
        );
        assert!(parse(&["NOVALUES"], ScanKind::Hash).unwrap().names_only);
        assert!(
            parse(&["noscores"], ScanKind::SortedSet)
                .unwrap()
                .names_only
        );
    }

    #[test]
    fn sampling_stops_at_count_or_after_ten_times_count_steps() {
        // Every step sees 3 elements: COUNT 5 takes two steps.
        let mut steps = 0;
        assert_eq!(
            sample(1, 5, |c| {
                steps += 1;
                (c + 1, 3)
            }),
            3
        );
        assert_eq!(steps, 2);
        // Empty buckets: 1 + 10 × COUNT steps, then the cursor is handed back.
        let mut steps = 0;
        sample(1, 2, |c| {
            steps += 1;
            (c + 1, 0)
        });
        assert_eq!(steps, 21);
        assert_eq!(sample(7, 10, |_| (0, 1)), 0);
    }

    /// Cursors checked against valkey-server 9.1.2.
    #[test]
    fn cursors_parse_like_string2ull() {
        let valid: &[(&[u8], u64)] = &[
            (b"0", 0),
            (b"17", 17),
            (b"01", 1),
            (b"+1", 1),
            (b" 1", 1),
            (b"\t5", 5),
            (b"\n7", 7),
            (b" +3", 3),
            (b"-0", 0),
            (b" -0", 0),
            (b"-18446744073709551615", 1),
            (b"-9223372036854775809", 9223372036854775807),
            (b"9223372036854775808", 9223372036854775808),
            (b"18446744073709551615", u64::MAX),
            (b"00000000000000000000000000012", 12),
            (b"3\0junk", 3),
        ];
        for &(text, expected) in valid {
            assert_eq!(parse_cursor(text), Some(expected), "{text:?}");
        }
        let invalid: &[&[u8]] = &[
            b"",
            b"-1",
            b"abc",
            b"1 ",
            b"0x10",
            b"1e3",
            b"  ",
            b"+",
            b"-",
            b"+-3",
            b"18446744073709551616",
            b"99999999999999999999",
            b"-99999999999999999999",
        ];
        for &text in invalid {
            assert_eq!(parse_cursor(text), None, "{text:?}");
        }
    }
}
