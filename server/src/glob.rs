//! Glob-style pattern matching with Valkey's exact rules (`stringmatchlen`): `*`, `?`, `[...]` classes
//! with ranges and `^` negation, and backslash escapes. Used by KEYS, SCAN MATCH and friends.
//!
//! Valkey's matcher is C over NUL-terminated strings and some of its edge cases follow from that; they
//! are reproduced on purpose: reading one byte past the pattern yields 0, range bounds compare as
//! *signed* chars (so `[a-\xff]` is the range -1..='a'), an escaped character inside a class compares
//! case-sensitively even in nocase mode, and an unterminated class ends at the end of the pattern.

/// Deepest `*` nesting explored before giving up, as Valkey does to bound pathological patterns.
const MAX_NESTING: u32 = 1000;

/// True when `string` matches `pattern`. With `nocase`, ASCII letters compare case-insensitively.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_from(pattern, string, nocase, &mut skip_longer, 0)
}

/// C's `tolower` in the "C" locale on a `char` value (negative for bytes >= 0x80, left unchanged).
fn fold(byte: i32, nocase: bool) -> i32 {
    if nocase && (i32::from(b'A')..=i32::from(b'Z')).contains(&byte) {
        byte + 32
    } else {
        byte
    }
}

/// A byte as C's signed `char`.
fn signed(byte: u8) -> i32 {
    i32::from(byte as i8)
}

fn same(a: u8, b: u8, nocase: bool) -> bool {
    fold(signed(a), nocase) == fold(signed(b), nocase)
}

fn match_from(
    pattern: &[u8],
    string: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    // The byte at `i`, or the terminating NUL C would read past the end.
    let at = |i: usize| pattern.get(i).copied().unwrap_or(0);
    let (mut p, mut s) = (0, 0);
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => {
                while at(p + 1) == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                while s < string.len() {
                    let rest = &pattern[p + 1..];
                    if match_from(rest, &string[s..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                // The rest of the pattern matches nowhere in the rest of the string, so making an
                // earlier `*` swallow more cannot help either.
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let negate = at(p) == b'^';
                if negate {
                    p += 1;
                }
                let mut matched = false;
                loop {
                    let remaining = pattern.len() - p;
                    if at(p) == b'\\' && remaining >= 2 {
                        p += 1;
                        if pattern[p] == string[s] {
                            matched = true;
                        }
                    } else if at(p) == b']' {
                        break;
                    } else if remaining == 0 {
                        // Unterminated class: stop on its last byte, which the step below consumes.
                        p -= 1;
                        break;
                    } else if remaining >= 3 && pattern[p + 1] == b'-' {
                        let mut start = fold(signed(pattern[p]), nocase);
                        let mut end = fold(signed(pattern[p + 2]), nocase);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let c = fold(signed(string[s]), nocase);
                        p += 2;
                        if (start..=end).contains(&c) {
                            matched = true;
                        }
                    } else if same(pattern[p], string[s], nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if negate {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            byte => {
                let literal = if byte == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    pattern[p]
                } else {
                    byte
                };
                if !same(literal, string[s], nocase) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while at(p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == pattern.len() && s == string.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    /// Cases checked against valkey-server 9.1.2 with KEYS.
    #[test]
    fn matches_like_valkey() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"*", b"anything", true),
            (b"*", b"", false),
            (b"**", b"", false),
            (b"", b"", true),
            (b"", b"a", false),
            (b"h?llo", b"hello", true),
            (b"h?llo", b"hllo", false),
            (b"h*llo", b"heeeello", true),
            (b"h*llo", b"hllo", true),
            (b"h[ae]llo", b"hallo", true),
            (b"h[ae]llo", b"hillo", false),
            (b"h[^e]llo", b"hello", false),
            (b"h[^e]llo", b"hallo", true),
            (b"h[a-b]llo", b"hbllo", true),
            (b"h[b-a]llo", b"hbllo", true),
            (b"h\\*llo", b"h*llo", true),
            (b"h\\*llo", b"hello", false),
            (b"*a", b"", false),
            (b"a*", b"a", true),
            (b"a**b", b"aXXb", true),
            (b"a\\", b"a\\", true),
            (b"[abc", b"a", true),
            (b"[abc", b"c", true),
            (b"[abc", b"ab", false),
            (b"a[", b"ab", false),
            (b"a[^", b"ab", true),
            (b"[a-]", b"]", true),
            (b"[a-]", b"-", false),
            (b"[]]", b"]", false),
            (b"[]a]", b"a", false),
            (b"[\\]]", b"]", true),
            (b"[\\", b"\\", true),
            (b"[^]", b"x", true),
            (b"[]", b"x", false),
            (b"user:*:name", b"user:1:name", true),
            (b"user:*:name", b"user:1:age", false),
            (b"*a*b*c", b"xaybzc", true),
            (b"*a*b*c", b"xaybz", false),
            (b"\\", b"\\", true),
            (b"a*\\", b"ab\\", true),
            (b"[a-\xff]", b"A", true),
            (b"[a-\xff]", b"\x80", false),
            (b"[a-\xff]", b"\xff", true),
            (b"[\x80-\xff]", b"\x90", true),
            (b"[\x80-\xff]", b"a", false),
        ];
        for &(pattern, string, expected) in cases {
            assert_eq!(
                glob_match(pattern, string, false),
                expected,
                "{:?} ~ {:?}",
                String::from_utf8_lossy(pattern),
                String::from_utf8_lossy(string)
            );
        }
    }

    #[test]
    fn nocase_folds_ascii_letters_but_not_escapes_inside_classes() {
        assert!(glob_match(b"HELLO", b"hello", true));
        assert!(glob_match(b"h[A-C]llo", b"hbllo", true));
        assert!(glob_match(b"[B]", b"b", true));
        assert!(!glob_match(b"[\\B]", b"b", true));
        assert!(glob_match(b"\\B", b"b", true));
        assert!(!glob_match(b"HELLO", b"hello", false));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let pattern = b"a*"
            .repeat(60)
            .into_iter()
            .chain(*b"b")
            .collect::<Vec<_>>();
        let string = vec![b'a'; 200];
        assert!(!glob_match(&pattern, &string, false));
        // Nesting deeper than Valkey's limit of 1000 stars gives up without a match.
        let deep = b"*a".repeat(1100);
        assert!(!glob_match(&deep, &vec![b'a'; 1100], false));
        assert!(glob_match(&b"*a".repeat(900), &vec![b'a'; 900], false));
    }
}
