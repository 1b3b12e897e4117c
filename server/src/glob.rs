//! Glob-style pattern matching with Valkey's exact rules (`stringmatchlen`): `*`, `?`, `[...]` classes
//! with ranges and `^` negation, and backslash escapes. Used by KEYS, SCAN MATCH and friends.

/// Deepest `*` nesting explored before giving up, as Valkey does to bound pathological patterns.
const MAX_NESTING: u32 = 1000;

/// True when `string` matches `pattern`. With `nocase`, ASCII letters compare case-insensitively.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

fn fold(b: u8, nocase: bool) -> u8 {
    if nocase {
        b.to_ascii_lowercase()
    } else {
        b
    }
}

fn match_impl(
    mut pattern: &[u8],
    mut string: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    while !pattern.is_empty() && !string.is_empty() {
        match pattern[0] {
            b'*' => {
                while pattern.len() > 1 && pattern[1] == b'*' {
                    pattern = &pattern[1..];
                }
                if pattern.len() == 1 {
                    return true;
                }
                while !string.is_empty() {
                    if match_impl(&pattern[1..], string, nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    string = &string[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => string = &string[1..],
            b'[' => {
                pattern = &pattern[1..];
                let negate = pattern.first() == Some(&b'^');
                if negate {
                    pattern = &pattern[1..];
                }
                let mut matched = false;
                loop {
                    if pattern.first() == Some(&b'\\') && pattern.len() >= 2 {
                        pattern = &pattern[1..];
                        if pattern[0] == string[0] {
                            matched = true;
                        }
                    } else if pattern.first() == Some(&b']') {
                        break;
                    } else if pattern.is_empty() {
                        // An unterminated class: step back so the outer loop's advance ends the pattern.
                        break;
                    } else if pattern.len() >= 3 && pattern[1] == b'-' {
                        let (mut start, mut end) = (pattern[0], pattern[2]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let (start, end, c) = (
                            fold(start, nocase),
                            fold(end, nocase),
                            fold(string[0], nocase),
                        );
                        pattern = &pattern[2..];
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if fold(pattern[0], nocase) == fold(string[0], nocase) {
                        matched = true;
                    }
                    pattern = &pattern[1..];
                }
                let matched = if negate { !matched } else { matched };
                if !matched {
                    return false;
                }
                string = &string[1..];
                if pattern.is_empty() {
                    // Unterminated class consumed the whole pattern.
                    return string.is_empty();
                }
            }
            b'\\' if pattern.len() >= 2 => {
                pattern = &pattern[1..];
                if fold(pattern[0], nocase) != fold(string[0], nocase) {
                    return false;
                }
                string = &string[1..];
            }
            literal => {
                if fold(literal, nocase) != fold(string[0], nocase) {
                    return false;
                }
                string = &string[1..];
            }
        }
        pattern = &pattern[1..];
        if string.is_empty() {
            while pattern.first() == Some(&b'*') {
                pattern = &pattern[1..];
            }
            break;
        }
    }
    pattern.is_empty() && string.is_empty()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn valkey_glob_cases() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything", true),
            ("h?llo", "hello", true),
            ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[^e]llo", "hallo", true),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hbllo", true),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("*a", "", false),
            ("", "", true),
            ("a*", "a", true),
            ("a**b", "aXXb", true),
            ("[abc", "a", true),
            ("[\\]]", "]", true),
            ("user:*:name", "user:1:name", true),
            ("user:*:name", "user:1:age", false),
        ];
        for &(pattern, string, expected) in cases {
            assert_eq!(
                glob_match(pattern.as_bytes(), string.as_bytes(), false),
                expected,
                "{pattern} ~ {string}"
            );
        }
        assert!(glob_match(b"HELLO", b"hello", true));
    }
}
