//! The redis-cli quoting rules case files use for commands: [`split_args`] splits a command line into
//! arguments, [`unescape`] decodes the escapes of a `raw` step.

/// Decodes the escape at `bytes[pos]` (a backslash) inside a double-quoted string: `\n \r \t \b \a`,
/// `\xHH`, and any other byte stands for itself (`\" \\`). Returns the byte and how many input bytes
/// the escape used, or `None` when the backslash ends the input.
fn decode_escape(bytes: &[u8], pos: usize) -> Option<(u8, usize)> {
    let next = *bytes.get(pos + 1)?;
    let hex = bytes
        .get(pos + 2..pos + 4)
        .and_then(|h| std::str::from_utf8(h).ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|h| u8::from_str_radix(h, 16).ok());
    match (next, hex) {
        (b'x', Some(value)) => Some((value, 4)),
        (escaped, _) => Some((
            match escaped {
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'b' => 0x08,
                b'a' => 0x07,
                other => other,
            },
            2,
        )),
    }
}

/// Decodes every escape of `text` as inside a redis-cli double-quoted argument (`\r \n \t \b \a \\`,
/// `\xHH`, a backslash before any other byte stands for that byte); quotes are ordinary bytes.
pub fn unescape(text: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(text.len());
    let mut pos = 0;
    while let Some(&byte) = text.get(pos) {
        if byte == b'\\' {
            let (decoded, used) =
                decode_escape(text, pos).ok_or("a lone backslash ends the text")?;
            out.push(decoded);
            pos += used;
        } else {
            out.push(byte);
            pos += 1;
        }
    }
    Ok(out)
}

/// Splits a line into arguments the way redis-cli does: whitespace separates; double quotes allow
/// `\n \r \t \b \a \" \\ \xHH` escapes; single quotes allow `\'`; a closing quote must be followed by
/// whitespace or the end of the line.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut args = Vec::new();
    let mut pos = 0;
    loop {
        while line.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        if pos >= line.len() {
            return Ok(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            let byte = line.get(pos).copied();
            if in_double {
                match byte {
                    None => return Err("unbalanced double quotes"),
                    Some(b'\\') => {
                        let (decoded, used) =
                            decode_escape(line, pos).ok_or("unbalanced double quotes")?;
                        current.push(decoded);
                        pos += used;
                        continue;
                    }
                    Some(b'"') => {
                        if line.get(pos + 1).is_some_and(|b| !b.is_ascii_whitespace()) {
                            return Err("closing quote must be followed by a space or nothing");
                        }
                        pos += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else if in_single {
                match byte {
                    None => return Err("unbalanced single quotes"),
                    Some(b'\\') if line.get(pos + 1) == Some(&b'\'') => {
                        current.push(b'\'');
                        pos += 2;
                        continue;
                    }
                    Some(b'\'') => {
                        if line.get(pos + 1).is_some_and(|b| !b.is_ascii_whitespace()) {
                            return Err("closing quote must be followed by a space or nothing");
                        }
                        pos += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else {
                match byte {
                    None => break,
                    Some(b) if b.is_ascii_whitespace() => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(other) => current.push(other),
                }
            }
            pos += 1;
        }
        args.push(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<Vec<u8>> {
        split_args(line.as_bytes()).unwrap()
    }

    #[test]
    fn splits_like_redis_cli() {
        assert_eq!(
            split("  SET  k v "),
            vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]
        );
        assert_eq!(
            split(r#"SET "a b\n\x41\"\\" 'it\'s' """#),
            vec![
                b"SET".to_vec(),
                b"a b\nA\"\\".to_vec(),
                b"it's".to_vec(),
                Vec::new()
            ]
        );
        assert_eq!(split(r#""\xzz""#), vec![b"xzz".to_vec()]);
        assert_eq!(split(r#"ab"cd""#), vec![b"abcd".to_vec()]);
        assert_eq!(split(r#""\xff\x00""#), vec![vec![0xff, 0x00]]);
        assert!(split_args(br#"SET "abc"#).is_err());
        assert!(split_args(br#"SET "abc\"#).is_err());
        assert!(split_args(br#"SET "abc"d"#).is_err());
        assert!(split_args(b"SET 'abc").is_err());
        assert!(split("   ").is_empty());
    }

    #[test]
    fn unescapes_like_a_double_quoted_argument() {
        assert_eq!(
            unescape(br#"*1\r\n$4\r\nPING\r\n"#).unwrap(),
            b"*1\r\n$4\r\nPING\r\n"
        );
        assert_eq!(
            unescape(br#"SET "a b\x41\"\\ 'c'\xff\xzz"#).unwrap(),
            b"SET \"a b\x41\"\\ 'c'\xffxzz"
        );
        // Real control bytes (a TOML basic string already decoded `\r\n`) pass through.
        assert_eq!(unescape(b"PING\r\n").unwrap(), b"PING\r\n");
        assert!(unescape(br#"abc\"#).is_err());
    }
}
