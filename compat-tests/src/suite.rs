//! The standard differential run: every case file plus seeded random streams, configured from the
//! environment so a failing seed or family can be replayed alone.
//!
//! - `FERRY_COMPAT_SEED`: one seed or a comma-separated list (default `1,2,3,4,5`).
//! - `FERRY_COMPAT_COUNT`: commands per seed (default 2000).
//! - `FERRY_COMPAT_ONLY`: comma-separated names; only these random families and case files
//!   (file stem, e.g. `strings` for `strings.txt`) run.
//! - `FERRY_COMPAT_REPORT`: a directory to write each run's full report to (`<dir>/<run name>.txt`).
//! - `FERRY_COMPAT_MAX_SHOWN`: how many divergences a failure message lists (default 1000).

use std::path::{Path, PathBuf};

use crate::cases::load_dir;
use crate::diff::Runner;
use crate::error::Error;
use crate::random::{Family, Generator};
use crate::report::Report;

/// The seeds run by default.
pub const DEFAULT_SEEDS: &[u64] = &[1, 2, 3, 4, 5];

/// Commands per seed by default.
pub const DEFAULT_COUNT: usize = 2000;

/// Divergences listed in a failure message by default.
pub const DEFAULT_MAX_SHOWN: usize = 1000;

/// What a run covers.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Seeds of the random streams.
    pub seeds: Vec<u64>,
    /// Commands per stream.
    pub count: usize,
    /// When set, only these families / case files.
    pub only: Option<Vec<String>>,
    /// A directory to write full reports to.
    pub report_dir: Option<PathBuf>,
    /// How many divergences a failure message lists.
    pub max_shown: usize,
}

impl Default for SuiteOptions {
    fn default() -> SuiteOptions {
        SuiteOptions {
            seeds: DEFAULT_SEEDS.to_vec(),
            count: DEFAULT_COUNT,
            only: None,
            report_dir: None,
            max_shown: DEFAULT_MAX_SHOWN,
        }
    }
}

fn env_error(var: &str, value: &str, expected: &str) -> Error {
    Error::Setup {
        side: "environment",
        message: format!("{var}={value:?}: expected {expected}"),
    }
}

impl SuiteOptions {
    /// The defaults, overridden by the `FERRY_COMPAT_*` environment variables.
    pub fn from_env() -> Result<SuiteOptions, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut options = SuiteOptions::default();
        if let Some(value) = var("FERRY_COMPAT_SEED") {
            options.seeds = value
                .split(',')
                .map(|s| s.trim().parse::<u64>())
                .collect::<Result<_, _>>()
                .map_err(|_| env_error("FERRY_COMPAT_SEED", &value, "comma-separated integers"))?;
        }
        if let Some(value) = var("FERRY_COMPAT_COUNT") {
            options.count = value
                .trim()
                .parse()
                .map_err(|_| env_error("FERRY_COMPAT_COUNT", &value, "an integer"))?;
        }
        if let Some(value) = var("FERRY_COMPAT_ONLY") {
            options.only = Some(
                value
                    .split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect(),
            );
        }
        options.report_dir = var("FERRY_COMPAT_REPORT").map(PathBuf::from);
        if let Some(value) = var("FERRY_COMPAT_MAX_SHOWN") {
            options.max_shown = value
                .trim()
                .parse()
                .map_err(|_| env_error("FERRY_COMPAT_MAX_SHOWN", &value, "an integer"))?;
        }
        Ok(options)
    }

    /// Whether a family or case file (by name) is selected.
    pub fn includes(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| o.eq_ignore_ascii_case(name)))
    }

    /// The random families selected.
    pub fn families(&self) -> Vec<Family> {
        Family::ALL
            .iter()
            .copied()
            .filter(|f| self.includes(f.name()))
            .collect()
    }

    /// Writes the full report to `<report_dir>/<run>.txt` (when a directory is set) and returns the
    /// text a failing test shows.
    pub fn finish(&self, run: &str, report: &Report) -> Result<String, Error> {
        let mut text = report.render(Some(self.max_shown));
        if let Some(dir) = &self.report_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
            let path = dir.join(format!("{run}.txt"));
            std::fs::write(&path, report.render(None))
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
            text.push_str(&format!("full report: {}\n", path.display()));
        }
        Ok(text)
    }
}

/// The case directory of this crate (`compat-tests/cases`).
pub fn default_cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// Runs every selected case file of `dir`.
pub fn run_cases(runner: &mut Runner, dir: &Path, options: &SuiteOptions) -> Result<(), Error> {
    for file in load_dir(dir)? {
        if options.includes(&file.name) {
            runner.run_case_file(&file)?;
        }
    }
    Ok(())
}

/// Runs one random stream per seed over the selected families.
pub fn run_random(runner: &mut Runner, options: &SuiteOptions) -> Result<(), Error> {
    for stream in random_streams(options) {
        let commands = Generator::with_families(stream.seed, &stream.families).take(stream.len);
        runner.run_stream(stream.seed, commands)?;
    }
    Ok(())
}

/// One seeded random stream of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomStream {
    /// Its seed.
    pub seed: u64,
    /// The families it draws from, with their default weights.
    pub families: Vec<Family>,
    /// Commands.
    pub len: usize,
}

/// The random streams a run sends, in order: per seed a mixed stream of the selected families,
/// then, when several families are selected, per family that asks for one (its `own_stream_len`)
/// per seed a stream of that family alone — the same stream `FERRY_COMPAT_ONLY=<family>` runs, so
/// a divergence replays the same way.
pub fn random_streams(options: &SuiteOptions) -> Vec<RandomStream> {
    let families = options.families();
    if families.is_empty() {
        return Vec::new();
    }
    let mut streams: Vec<RandomStream> = options
        .seeds
        .iter()
        .map(|&seed| RandomStream {
            seed,
            families: families.clone(),
            len: options.count,
        })
        .collect();
    if families.len() > 1 {
        for &family in &families {
            let len = family.own_stream_len();
            if len == 0 {
                continue;
            }
            streams.extend(options.seeds.iter().map(|&seed| RandomStream {
                seed,
                families: vec![family],
                len,
            }));
        }
    }
    streams
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the default run promises: over 10,000 random commands of the foundation's families
    /// (strings, keys, bitmaps, HyperLogLog, transactions) and over 50,000 of the collections'
    /// (hashes, sets, lists, sorted sets, geo, SORT), counted by the family that produced each.
    #[test]
    fn the_default_run_covers_each_group_of_families() {
        let mut counts = std::collections::HashMap::<Family, usize>::new();
        for stream in random_streams(&SuiteOptions::default()) {
            let mut generator = Generator::with_families(stream.seed, &stream.families);
            for _ in 0..stream.len {
                generator.next_command();
                let family = generator.last_family().expect("a family");
                *counts.entry(family).or_default() += 1;
            }
        }
        let total = |families: &[Family]| -> usize {
            families
                .iter()
                .map(|f| counts.get(f).copied().unwrap_or(0))
                .sum()
        };
        let foundation = total(&[
            Family::Strings,
            Family::Keys,
            Family::Bitmaps,
            Family::HyperLogLog,
            Family::Transactions,
        ]);
        let collections = total(&[
            Family::Hashes,
            Family::Sets,
            Family::Lists,
            Family::SortedSets,
            Family::Geo,
            Family::Sort,
        ]);
        assert!(
            foundation >= 10_000,
            "{foundation} foundation commands: {counts:?}"
        );
        assert!(
            collections >= 50_000,
            "{collections} collection commands: {counts:?}"
        );
    }

    #[test]
    fn selection_by_name() {
        let mut options = SuiteOptions::default();
        assert!(options.includes("strings"));
        assert_eq!(options.families().len(), Family::ALL.len());
        options.only = Some(vec!["keys".into(), "basics".into()]);
        assert!(options.includes("basics"));
        assert!(!options.includes("strings"));
        assert_eq!(options.families(), vec![Family::Keys]);
    }
}
