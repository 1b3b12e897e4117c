//! The allow file: divergences that are known and accepted, so `ferry compat run` exits 0 when only
//! those remain. One pattern per line, then `#` and the reason (required: an allowance nobody can explain
//! is a bug report waiting to be lost):
//!
//! ```text
//! ZRANK * * WITHSCORE   # Redis 7.0 has no WITHSCORE (added in 7.2)
//! OBJECT ENCODING       # list encodings differ between 7.0 and 9.1
//! strings.toml:941      # proto-max-bulk-len needs CONFIG SET (not in ferry yet)
//! keys.toml             # a whole case file
//! ```
//!
//! A pattern whose single word contains `.` or `:` names a place: `FILE:LINE` (a case-file line or a
//! replay-file line) or `FILE` (every line of it). Any other pattern is a command prefix, split like a
//! case-file command: the command name and leading arguments, compared case-insensitively; `*` matches any
//! one argument. Blank lines and lines starting with `#` are ignored.

use std::path::Path;

use anyhow::Context as _;
use ferry_compat::cases::split_args;
use ferry_compat::{Divergence, Origin};

/// What one allow line matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// A case file or replay file, optionally one line of it.
    Place {
        /// The file name as reports show it (e.g. `strings.toml`).
        file: String,
        /// The line, or every line.
        line: Option<usize>,
    },
    /// The request starts with these words (`*` = any one argument).
    Command(Vec<Vec<u8>>),
}

/// One allow line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// What it matches.
    pub pattern: Pattern,
    /// Why the divergence is accepted.
    pub reason: String,
    /// Where it was written (`FILE:LINE`), for warnings.
    pub source: String,
}

/// The parsed allow file.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    /// Its lines, in order; the first match wins.
    pub entries: Vec<Allowance>,
}

impl AllowList {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> anyhow::Result<AllowList> {
        let text = std::fs::read(path)
            .with_context(|| format!("reading the allow file {}", path.display()))?;
        AllowList::parse(&path.display().to_string(), &text)
    }

    /// Parses the text of an allow file; `name` labels error messages.
    pub fn parse(name: &str, text: &[u8]) -> anyhow::Result<AllowList> {
        let mut entries = Vec::new();
        for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line_no = index + 1;
            let line = raw.strip_suffix(b"\r").unwrap_or(raw).trim_ascii();
            if line.is_empty() || line.starts_with(b"#") {
                continue;
            }
            let (pattern_text, reason) = split_comment(line);
            let reason = reason.map(|r| String::from_utf8_lossy(r).trim().to_string());
            let Some(reason) = reason.filter(|r| !r.is_empty()) else {
                anyhow::bail!(
                    "{name}:{line_no}: say why after `#` (e.g. `ZRANK  # Redis 7.0 lacks WITHSCORE`)"
                );
            };
            let words =
                split_args(pattern_text).map_err(|e| anyhow::anyhow!("{name}:{line_no}: {e}"))?;
            let pattern = match words.as_slice() {
                [] => anyhow::bail!("{name}:{line_no}: a reason without a pattern"),
                [word] if word.contains(&b'.') || word.contains(&b':') => {
                    place(word).with_context(|| format!("{name}:{line_no}"))?
                }
                _ => Pattern::Command(words),
            };
            entries.push(Allowance {
                pattern,
                reason,
                source: format!("{name}:{line_no}"),
            });
        }
        Ok(AllowList { entries })
    }

    /// The index of the first entry that allows this divergence.
    pub fn find(&self, divergence: &Divergence) -> Option<usize> {
        let argv = split_args(divergence.request.as_bytes()).unwrap_or_default();
        self.entries
            .iter()
            .position(|entry| entry.pattern.matches(&divergence.origin, &argv))
    }
}

fn place(word: &[u8]) -> anyhow::Result<Pattern> {
    let text = String::from_utf8_lossy(word).into_owned();
    match text.rsplit_once(':') {
        Some((file, line)) => {
            let line = line
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .with_context(|| format!("{text:?}: the line after `:` must be a number"))?;
            Ok(Pattern::Place {
                file: file.to_string(),
                line: Some(line),
            })
        }
        None => Ok(Pattern::Place {
            file: text,
            line: None,
        }),
    }
}

/// Splits `pattern  # reason` at the first `#` that starts a word outside quotes.
fn split_comment(line: &[u8]) -> (&[u8], Option<&[u8]>) {
    let mut quote: Option<u8> = None;
    let mut pos = 0;
    while pos < line.len() {
        let byte = line[pos];
        match quote {
            Some(_) if byte == b'\\' => pos += 1,
            Some(q) if byte == q => quote = None,
            Some(_) => {}
            None if byte == b'"' || byte == b'\'' => quote = Some(byte),
            None if byte == b'#' && (pos == 0 || line[pos - 1].is_ascii_whitespace()) => {
                return (&line[..pos], Some(&line[pos + 1..]));
            }
            None => {}
        }
        pos += 1;
    }
    (line, None)
}

impl Pattern {
    /// Whether a divergence at `origin` on request `argv` is covered.
    pub fn matches(&self, origin: &Origin, argv: &[Vec<u8>]) -> bool {
        match self {
            Pattern::Place { file, line } => match origin {
                Origin::Case {
                    file: origin_file,
                    line: origin_line,
                    ..
                } => {
                    (origin_file == file || origin_file.ends_with(&format!("/{file}")))
                        && line.is_none_or(|line| line == *origin_line)
                }
                _ => false,
            },
            Pattern::Command(words) => {
                argv.len() >= words.len()
                    && words
                        .iter()
                        .zip(argv)
                        .all(|(word, arg)| word == b"*" || word.eq_ignore_ascii_case(arg))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn divergence(origin: Origin, request: &str) -> Divergence {
        Divergence {
            origin,
            client: 1,
            request: request.to_string(),
            reference: String::new(),
            target: String::new(),
        }
    }

    fn case(file: &str, line: usize) -> Origin {
        Origin::Case {
            file: file.into(),
            case: "c".into(),
            line,
        }
    }

    const TEXT: &str = "# known differences\n\
        \n\
        ZRANK * * WITHSCORE   # Redis 7.0 lacks WITHSCORE\n\
        object encoding       # encodings differ\n\
        strings.toml:941       # needs CONFIG SET\n\
        keys.toml              # whole file\n\
        SET \"a #b\" x         # quoted hash is not a comment\n";

    #[test]
    fn parses_patterns_and_reasons() {
        let list = AllowList::parse("allow", TEXT.as_bytes()).unwrap();
        assert_eq!(list.entries.len(), 5);
        assert_eq!(list.entries[0].reason, "Redis 7.0 lacks WITHSCORE");
        assert_eq!(list.entries[0].source, "allow:3");
        assert_eq!(
            list.entries[2].pattern,
            Pattern::Place {
                file: "strings.toml".into(),
                line: Some(941)
            }
        );
        assert_eq!(
            list.entries[4].pattern,
            Pattern::Command(vec![b"SET".to_vec(), b"a #b".to_vec(), b"x".to_vec()])
        );
    }

    #[test]
    fn matches_commands_and_places() {
        let list = AllowList::parse("allow", TEXT.as_bytes()).unwrap();
        let random = Origin::Random { seed: 1, index: 0 };
        assert_eq!(
            list.find(&divergence(random.clone(), "zrank z b withscore")),
            Some(0)
        );
        assert_eq!(list.find(&divergence(random.clone(), "ZRANK z b")), None);
        assert_eq!(
            list.find(&divergence(random.clone(), "OBJECT ENCODING l")),
            Some(1)
        );
        assert_eq!(
            list.find(&divergence(random.clone(), "OBJECT FREQ l")),
            None
        );
        assert_eq!(
            list.find(&divergence(case("strings.toml", 941), "GET k")),
            Some(2)
        );
        assert_eq!(
            list.find(&divergence(case("strings.toml", 942), "GET k")),
            None
        );
        assert_eq!(
            list.find(&divergence(case("suite/keys.toml", 7), "GET k")),
            Some(3)
        );
        assert_eq!(list.find(&divergence(random, "SET \"a #b\" x y")), Some(4));
    }

    #[test]
    fn a_reason_is_required() {
        let error = AllowList::parse("allow", b"ZRANK\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("allow:1"), "{error}");
        assert!(AllowList::parse("allow", b"ZRANK #  \n").is_err());
        assert!(AllowList::parse("allow", b"# only a comment\n   # indented\n").is_ok());
        assert!(AllowList::parse("allow", b"a.toml:x # bad line\n").is_err());
        assert!(AllowList::parse("allow", b"\"unbalanced # r\n").is_err());
    }
}
