//! Case files: `compat-tests/cases/*.toml`, one `[[case]]` table per case (the format is in
//! compat-tests/README.md and [`spec`]), loaded into [`CaseFile`]s of [`Case`]s of [`Step`]s. Each case
//! runs alone on freshly flushed servers with fresh connections.

mod spec;
mod split;

use std::path::{Path, PathBuf};

use crate::error::Error;

pub use split::{split_args, unescape};

/// The extension of case files.
pub const EXTENSION: &str = "toml";

/// The highest connection number a `client` step accepts.
pub const MAX_CLIENTS: usize = 16;

/// The longest pause a `sleep` step accepts, in milliseconds.
pub const MAX_SLEEP_MS: u64 = 10_000;

/// What one step of a case does.
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

/// One step of a case.
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
    /// Its name, unique within its file.
    pub name: String,
    /// What it checks, when the file says.
    pub description: Option<String>,
    /// Labels to select cases by (`ferry compat run --tag`).
    pub tags: Vec<String>,
    /// 1-based line of its `[[case]]` header.
    pub line: usize,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// A parsed case file.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// The file name without its extension (the family, e.g. "strings").
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// Its cases, in order.
    pub cases: Vec<Case>,
}

/// Loads every `*.toml` file of a directory, sorted by name. A `*.txt` file is refused: it is a case
/// file in the retired line format, which would otherwise be skipped without a word.
pub fn load_dir(dir: &Path) -> Result<Vec<CaseFile>, Error> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("reading case directory {}", dir.display()), e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        match path.extension().and_then(|ext| ext.to_str()) {
            Some(EXTENSION) => paths.push(path),
            Some("txt") => {
                return Err(Error::CaseSyntax {
                    file: path.display().to_string(),
                    line: 1,
                    message: "case files are TOML now (see compat-tests/README.md); convert \
                              this one and remove it"
                        .to_string(),
                })
            }
            _ => {}
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
    let text = std::str::from_utf8(text).map_err(|e| Error::CaseSyntax {
        file: file.to_string(),
        line: text[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
        message: "not UTF-8 (write other bytes as \\xHH escapes in double quotes)".to_string(),
    })?;
    spec::parse(file, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    const EXAMPLE: &str = r#"# a file comment
[[case]]
name = "first case"
description = "two clients"
tags = ["blocking", "multi-client"]
steps = [
    'SET k "a b\x00"',
    { client = 2 },
    'GET k',   # a comment

    { raw = '*1\r\n$4\r\nPING\r\n' },
    { sleep = 10 },
    { send = 'BLPOP l 0' },
    { read = true },
]

[[case]]
name = "second"
steps = ["ECHO 'it\\'s'", { raw = "PING\r\n" }]
"#;

    #[test]
    fn parses_cases_and_directives() {
        let cases = parse_cases("t.toml", EXAMPLE.as_bytes()).unwrap();
        assert_eq!(cases.len(), 2);
        let first = &cases[0];
        assert_eq!(first.name, "first case");
        assert_eq!(first.description.as_deref(), Some("two clients"));
        assert_eq!(first.tags, ["blocking", "multi-client"]);
        assert_eq!(first.line, 2);
        let steps = &first.steps;
        assert_eq!(steps.len(), 6, "{steps:?}");
        assert_eq!(
            steps[0],
            Step {
                line: 7,
                client: 1,
                action: Action::Command(vec![b"SET".to_vec(), b"k".to_vec(), b"a b\0".to_vec()]),
            }
        );
        assert_eq!((steps[1].line, steps[1].client), (9, 2));
        assert_eq!(steps[1].action, Action::Command(argv(&["GET", "k"])));
        assert_eq!(
            steps[2].action,
            Action::Raw(b"*1\r\n$4\r\nPING\r\n".to_vec())
        );
        assert_eq!(steps[2].line, 11);
        assert_eq!(steps[3].action, Action::Sleep(10));
        assert_eq!(steps[4].action, Action::Send(argv(&["BLPOP", "l", "0"])));
        assert_eq!(steps[5].action, Action::Read);
        assert!(steps.iter().skip(1).all(|s| s.client == 2));
        let second = &cases[1];
        assert_eq!((second.line, second.description.clone()), (17, None));
        // Each case starts on connection 1; a TOML basic string's own escapes arrive decoded.
        assert_eq!(second.steps[0].client, 1);
        assert_eq!(
            second.steps[0].action,
            Action::Command(argv(&["ECHO", "it's"]))
        );
        assert_eq!(second.steps[1].action, Action::Raw(b"PING\r\n".to_vec()));
    }

    fn error(text: &str) -> String {
        parse_cases("x.toml", text.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_the_file_line_case_and_step() {
        let case =
            |steps: &str| format!("[[case]]\nname = \"c\"\nsteps = [\n  'PING',\n  {steps},\n]\n");
        let cases = [
            ("{ client = 0 }", "client takes a number from 1 to 16"),
            ("{ client = 17 }", "client takes a number from 1 to 16"),
            ("{ client = -1 }", "invalid value"),
            ("{ sleep = 10001 }", "sleep takes milliseconds"),
            ("{ read = false }", "read takes true"),
            ("{ bogus = 1 }", "unknown field `bogus`"),
            ("{ send = 'A', read = true }", "exactly one of"),
            ("{}", "exactly one of"),
            ("{ send = '' }", "an empty command"),
            ("'   '", "an empty command"),
            ("'SET \"k'", "unbalanced double quotes"),
            ("{ raw = 'a\\' }", "raw: a lone backslash"),
            ("42", "a command string"),
        ];
        for (step, expected) in cases {
            let message = error(&case(step));
            assert!(
                message.starts_with("x.toml:5: case \"c\", step 2: ") && message.contains(expected),
                "{step}: {message}"
            );
        }
        let message = error(
            "[[case]]\nname = \"a\"\nsteps = ['PING']\n\n[[case]]\nnam = \"b\"\nsteps = []\n",
        );
        assert!(
            message.starts_with("x.toml:6: case 2: unknown field `nam`"),
            "{message}"
        );
        let message = error(
            "[[case]]\nname = \"a\"\nsteps = ['PING']\n[[case]]\nname = \"a\"\nsteps = ['PING']\n",
        );
        assert!(
            message.contains("x.toml:4: case \"a\": another case of this file (line 1)"),
            "{message}"
        );
        let message = error("[[case]]\nname = \"a\"\nsteps = []\n");
        assert!(message.contains("at least one step"), "{message}");
        let message = error("[[case]]\nname = \"a\"\ntags = [\"two words\"]\nsteps = ['PING']\n");
        assert!(message.contains("one word"), "{message}");
        let message = error("[[case]]\nname = \"a\"\nsteps = ['PING'\n");
        assert!(message.starts_with("x.toml:"), "{message}");
        let message = parse_cases("x.toml", b"[[case]]\nname = \"\xff\"\n")
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("x.toml:2: not UTF-8"), "{message}");
    }

    #[test]
    fn the_readme_example_parses() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("```toml\n")
            .expect("README has a ```toml example")
            + 8;
        let end = start + readme[start..].find("```").expect("the example ends");
        let cases = parse_cases("README.md", &readme.as_bytes()[start..end]).unwrap();
        let steps = &cases[0].steps;
        assert_eq!(steps.len(), 7);
        assert_eq!(steps[1].action, Action::Command(argv(&["ECHO", "it's"])));
        assert_eq!(steps[3].action, Action::Raw(b"*1\r\nfoo\r\n".to_vec()));
        assert_eq!(cases[0].tags, ["blocking", "multi-client"]);
    }

    #[test]
    fn a_directory_still_holding_old_text_files_is_refused() {
        let dir = std::env::temp_dir().join(format!("ferry-cases-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.toml"), EXAMPLE).unwrap();
        let loaded = load_dir(&dir).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].name, "a");
        std::fs::write(dir.join("b.txt"), "=== old\nPING\n").unwrap();
        let message = load_dir(&dir).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            message.contains("b.txt:1: case files are TOML now"),
            "{message}"
        );
    }
}
