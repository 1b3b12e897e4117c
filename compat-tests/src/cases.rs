//! Case files: `compat-tests/cases/*.txt`. Each case is a `=== name` header followed by one command per
//! line (arguments split like redis-cli), `#` comment lines and directives: `@client N` (later lines use
//! connection N), `@raw "bytes"` (send raw bytes, read one reply, then probe whether the connection
//! closed), `@send CMD ...` (send without reading, for blocking commands), `@read` (read the reply owed
//! to the oldest `@send` of the current connection), `@sleep MS`.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The highest connection number `@client` accepts.
pub const MAX_CLIENTS: usize = 16;

/// The longest pause `@sleep` accepts, in milliseconds.
pub const MAX_SLEEP_MS: u64 = 10_000;

/// What one line of a case does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send a command (as a multibulk array) and read one reply.
    Command(Vec<Vec<u8>>),
    /// Send raw bytes, read one reply, then probe whether the connection was closed.
    Raw(Vec<u8>),
    /// Send a command without reading its reply (a blocking command, a subscription).
    Send(Vec<Vec<u8>>),
    /// Read the reply owed to the oldest unread `Send` of this connection (or a pushed message).
    Read,
    /// Pause.
    Sleep(u64),
}

/// One line of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based line number in the file.
    pub line: usize,
    /// Which connection (1-based) it uses.
    pub client: usize,
    /// What it does.
    pub action: Action,
}

/// One test case: run on freshly flushed servers with fresh connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The text after `===`.
    pub name: String,
    /// 1-based line of the header.
    pub line: usize,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// A parsed case file.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// The file name without `.txt` (the family, e.g. "strings").
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// Its cases, in order.
    pub cases: Vec<Case>,
}

/// Loads every `*.txt` file of a directory, sorted by name.
pub fn load_dir(dir: &Path) -> Result<Vec<CaseFile>, Error> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("reading case directory {}", dir.display()), e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "txt") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths.iter().map(|path| load_file(path)).collect()
}

/// Loads one case file.
pub fn load_file(path: &Path) -> Result<CaseFile, Error> {
    let text =
        std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let name = path
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(CaseFile {
        name,
        path: path.to_path_buf(),
        cases: parse_cases(&label, &text)?,
    })
}

/// Parses the text of a case file; `file` names it in error messages.
pub fn parse_cases(file: &str, text: &[u8]) -> Result<Vec<Case>, Error> {
    let mut cases: Vec<Case> = Vec::new();
    let mut client = 1;
    for (index, raw_line) in text.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let error = |message: String| Error::CaseSyntax {
            file: file.to_string(),
            line: line_no,
            message,
        };
        let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix(b"===") {
            cases.push(Case {
                name: String::from_utf8_lossy(name.trim_ascii()).into_owned(),
                line: line_no,
                steps: Vec::new(),
            });
            client = 1;
            continue;
        }
        let Some(case) = cases.last_mut() else {
            return Err(error(
                "command before the first `=== name` header".to_string(),
            ));
        };
        let words = split_args(trimmed).map_err(|m| error(m.to_string()))?;
        let action = match words.first().map(Vec::as_slice) {
            Some(b"@client") => {
                client = directive_number(&words, 1, MAX_CLIENTS as u64).map_err(&error)? as usize;
                continue;
            }
            Some(b"@sleep") => {
                Action::Sleep(directive_number(&words, 0, MAX_SLEEP_MS).map_err(&error)?)
            }
            Some(b"@send") if words.len() > 1 => Action::Send(words[1..].to_vec()),
            Some(b"@read") if words.len() == 1 => Action::Read,
            Some(b"@raw") => match words.as_slice() {
                [_, bytes] => Action::Raw(bytes.clone()),
                _ => {
                    return Err(error(
                        "@raw takes exactly one (quoted) argument".to_string(),
                    ))
                }
            },
            Some(other) if other.starts_with(b"@") => {
                return Err(error(format!(
                    "unknown or malformed directive {}",
                    String::from_utf8_lossy(other)
                )))
            }
            _ => Action::Command(words),
        };
        case.steps.push(Step {
            line: line_no,
            client,
            action,
        });
    }
    Ok(cases)
}

fn directive_number(words: &[Vec<u8>], min: u64, max: u64) -> Result<u64, String> {
    let name = String::from_utf8_lossy(&words[0]).into_owned();
    let [_, value] = words else {
        return Err(format!("{name} takes exactly one number"));
    };
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("{name} takes a number from {min} to {max}"))
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
                        let next = line.get(pos + 1).copied();
                        let hex = line
                            .get(pos + 2..pos + 4)
                            .and_then(|h| std::str::from_utf8(h).ok())
                            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                            .and_then(|h| u8::from_str_radix(h, 16).ok());
                        match (next, hex) {
                            (Some(b'x'), Some(value)) => {
                                current.push(value);
                                pos += 4;
                                continue;
                            }
                            (Some(escaped), _) => {
                                current.push(match escaped {
                                    b'n' => b'\n',
                                    b'r' => b'\r',
                                    b't' => b'\t',
                                    b'b' => 0x08,
                                    b'a' => 0x07,
                                    other => other,
                                });
                                pos += 2;
                                continue;
                            }
                            (None, _) => return Err("unbalanced double quotes"),
                        }
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
        assert!(split_args(br#"SET "abc"d"#).is_err());
        assert!(split_args(b"SET 'abc").is_err());
        assert!(split("   ").is_empty());
    }

    #[test]
    fn parses_cases_and_directives() {
        let text = b"# header comment\n\
            === first case\n\
            SET k 1\n\
            @client 2\n\
            GET k\n\
            \n\
            @raw \"*1\\r\\n$4\\r\\nPING\\r\\n\"\n\
            @sleep 10\n\
            @send BLPOP l 0\n\
            @read\n\
            === second\r\n\
            # inside\n\
            PING\n";
        let cases = parse_cases("t.txt", text).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].name, "first case");
        assert_eq!(cases[0].line, 2);
        let steps = &cases[0].steps;
        assert_eq!(steps.len(), 6);
        assert_eq!(
            steps[4].action,
            Action::Send(vec![b"BLPOP".to_vec(), b"l".to_vec(), b"0".to_vec()])
        );
        assert_eq!(steps[5].action, Action::Read);
        assert_eq!(steps[0].client, 1);
        assert_eq!(steps[1].client, 2);
        assert_eq!(steps[1].line, 5);
        assert_eq!(
            steps[2].action,
            Action::Raw(b"*1\r\n$4\r\nPING\r\n".to_vec())
        );
        assert_eq!(steps[2].client, 2);
        assert_eq!(steps[3].action, Action::Sleep(10));
        assert_eq!(cases[1].name, "second");
        assert_eq!(cases[1].steps[0].client, 1);
        assert_eq!(
            cases[1].steps[0].action,
            Action::Command(vec![b"PING".to_vec()])
        );
    }

    #[test]
    fn reports_syntax_errors_with_line_numbers() {
        let err = parse_cases("x.txt", b"PING\n").unwrap_err().to_string();
        assert!(err.starts_with("x.txt:1:"), "{err}");
        let err = parse_cases("x.txt", b"=== a\n@client 0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.txt:2:"), "{err}");
        assert!(parse_cases("x.txt", b"=== a\n@bogus\n").is_err());
        assert!(parse_cases("x.txt", b"=== a\n@raw a b\n").is_err());
        assert!(parse_cases("x.txt", b"=== a\n@send\n").is_err());
        assert!(parse_cases("x.txt", b"=== a\n@read x\n").is_err());
        assert!(parse_cases("x.txt", b"=== a\nSET \"k\n").is_err());
    }
}
