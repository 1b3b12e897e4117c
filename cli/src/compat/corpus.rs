//! The case corpus `compat run` and `compat matrix` replay: `compat-tests/cases/*.toml`, embedded into the
//! binary at build time (see `build.rs`) so an installed `ferry` works from any directory; `--suite DIR`
//! reads another directory instead.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ferry_compat::cases::{load_dir, parse_cases, EXTENSION};
use ferry_compat::CaseFile;

/// (file name, contents) of every embedded case file, sorted by name.
static EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/corpus.rs"));

/// The embedded corpus, parsed.
pub fn embedded() -> anyhow::Result<Vec<CaseFile>> {
    EMBEDDED
        .iter()
        .map(|(name, text)| {
            let cases = parse_cases(name, text)?;
            Ok(CaseFile {
                name: name
                    .strip_suffix(EXTENSION)
                    .and_then(|stem| stem.strip_suffix('.'))
                    .unwrap_or(name)
                    .to_string(),
                path: PathBuf::from(name),
                cases,
            })
        })
        .collect()
}

/// The case files of `suite`, or the embedded corpus.
pub fn load(suite: Option<&Path>) -> anyhow::Result<Vec<CaseFile>> {
    match suite {
        Some(dir) => load_dir(dir).with_context(|| format!("loading the suite {}", dir.display())),
        None => embedded(),
    }
}

/// How a case file is named in reports (`strings.toml`).
pub fn label(file: &CaseFile) -> String {
    file.path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_corpus_matches_the_case_directory() {
        let embedded = embedded().unwrap();
        let on_disk =
            load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../compat-tests/cases")).unwrap();
        let names = |files: &[CaseFile]| files.iter().map(label).collect::<Vec<_>>();
        assert_eq!(names(&embedded), names(&on_disk));
        assert!(embedded.iter().any(|f| f.name == "strings"));
        for (a, b) in embedded.iter().zip(&on_disk) {
            assert_eq!(a.cases, b.cases, "{}", a.name);
        }
    }
}
