//! The result of a `compat run` or `compat replay`: the harness's report, the units it ran (one per case,
//! one per chunk of a random stream or replay, for JUnit), and which divergences the allow file accepts.

use std::collections::BTreeMap;

use ferry_compat::cases::split_args;
use ferry_compat::report::command_key;
use ferry_compat::{Divergence, Report};

use super::allow::{AllowList, Allowance};

/// Commands per JUnit test case when a random stream or a replay is cut into chunks.
pub const CHUNK: usize = 500;

/// One test unit: a case of a case file, or a chunk of a random stream or replay.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The group it belongs to (`strings.txt`, `random seed 3`, `capture.jsonl`).
    pub suite: String,
    /// Its name (the case name, `commands 0-499`).
    pub name: String,
    /// Indices into the report's divergences.
    pub divergences: Vec<usize>,
    /// Wall-clock seconds it took.
    pub seconds: f64,
}

/// A finished run.
#[derive(Debug)]
pub struct Outcome {
    /// Counters and divergences.
    pub report: Report,
    /// What ran, in order.
    pub units: Vec<Unit>,
    /// The allow file used (empty when none).
    pub allow: AllowList,
    /// Per divergence: the allow entry that accepts it.
    pub allowed: Vec<Option<usize>>,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

/// One row of the per-command table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRow {
    /// Command name (with the subcommand for container commands).
    pub command: String,
    /// Times sent.
    pub sent: u64,
    /// Times the replies differed.
    pub divergent: u64,
    /// How many of those the allow file accepts.
    pub allowed: u64,
    /// The first divergence not allowed (or the first allowed one when all are), as an index.
    pub example: Option<usize>,
}

/// The name a divergence is counted under, as in the report's statistics.
pub fn divergence_key(divergence: &Divergence) -> String {
    if divergence.request.starts_with("@raw") {
        return "@raw".to_string();
    }
    command_key(&split_args(divergence.request.as_bytes()).unwrap_or_default())
}

impl Outcome {
    /// Matches every divergence against the allow list.
    pub fn new(report: Report, units: Vec<Unit>, allow: AllowList, seconds: f64) -> Outcome {
        let allowed = report.divergences.iter().map(|d| allow.find(d)).collect();
        Outcome {
            report,
            units,
            allow,
            allowed,
            seconds,
        }
    }

    /// Divergences the allow file does not accept.
    pub fn unallowed(&self) -> usize {
        self.allowed.iter().filter(|a| a.is_none()).count()
    }

    /// Whether the run passes: every divergence is allowed.
    pub fn passed(&self) -> bool {
        self.unallowed() == 0
    }

    /// Allow entries that matched nothing (stale once the divergence is fixed).
    pub fn unused_allowances(&self) -> Vec<&Allowance> {
        self.allow
            .entries
            .iter()
            .enumerate()
            .filter(|(index, _)| !self.allowed.contains(&Some(*index)))
            .map(|(_, entry)| entry)
            .collect()
    }

    /// Per-command counters, sorted by name; with `all` false only commands that diverged.
    pub fn command_rows(&self, all: bool) -> Vec<CommandRow> {
        let mut rows: BTreeMap<String, CommandRow> = self
            .report
            .stats
            .iter()
            .filter(|(_, stats)| all || stats.divergent > 0)
            .map(|(name, stats)| {
                let row = CommandRow {
                    command: name.clone(),
                    sent: stats.sent,
                    divergent: stats.divergent,
                    allowed: 0,
                    example: None,
                };
                (name.clone(), row)
            })
            .collect();
        for (index, divergence) in self.report.divergences.iter().enumerate() {
            let Some(row) = rows.get_mut(&divergence_key(divergence)) else {
                continue;
            };
            let is_allowed = self.allowed[index].is_some();
            if is_allowed {
                row.allowed += 1;
            }
            let replace = match row.example {
                None => true,
                Some(current) => self.allowed[current].is_some() && !is_allowed,
            };
            if replace {
                row.example = Some(index);
            }
        }
        rows.into_values().collect()
    }
}

/// Units for a random stream or replay of `count` commands, cut into chunks of [`CHUNK`]: `position`
/// gives each divergence's 0-based position in the stream (None when it belongs to another stream), and
/// `chunk_seconds` the time each chunk took.
pub fn chunk_units(
    suite: &str,
    count: usize,
    report: &Report,
    first_divergence: usize,
    position: impl Fn(&Divergence) -> Option<usize>,
    chunk_seconds: &[f64],
) -> Vec<Unit> {
    let chunks = count.div_ceil(CHUNK).max(1);
    let mut units: Vec<Unit> = (0..chunks)
        .map(|chunk| {
            let start = chunk * CHUNK;
            let end = (start + CHUNK).min(count).max(start + 1) - 1;
            Unit {
                suite: suite.to_string(),
                name: format!("commands {start}-{end}"),
                divergences: Vec::new(),
                seconds: chunk_seconds.get(chunk).copied().unwrap_or(0.0),
            }
        })
        .collect();
    for (index, divergence) in report.divergences.iter().enumerate().skip(first_divergence) {
        if let Some(position) = position(divergence) {
            let chunk = (position / CHUNK).min(chunks - 1);
            units[chunk].divergences.push(index);
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_compat::Origin;

    fn divergence(index: usize, request: &str) -> Divergence {
        Divergence {
            origin: Origin::Random { seed: 1, index },
            client: 1,
            request: request.into(),
            reference: "\"+OK\\r\\n\"".into(),
            target: "\"-ERR\\r\\n\"".into(),
        }
    }

    fn report() -> Report {
        let mut report = Report::new("ref", "tgt");
        for (i, request) in ["GET k", "OBJECT ENCODING k", "GET j", "SET k v"]
            .iter()
            .enumerate()
        {
            let key = command_key(&split_args(request.as_bytes()).unwrap());
            report.count(&key, i != 3);
            if i != 3 {
                report.divergences.push(divergence(i * 400, request));
            }
        }
        report
    }

    #[test]
    fn rows_prefer_an_unallowed_example() {
        let allow = AllowList::parse("a", b"GET k # known\n").unwrap();
        let outcome = Outcome::new(report(), Vec::new(), allow, 0.0);
        assert_eq!(outcome.unallowed(), 2);
        let rows = outcome.command_rows(false);
        let names: Vec<_> = rows.iter().map(|r| r.command.as_str()).collect();
        assert_eq!(names, ["GET", "OBJECT ENCODING"]);
        assert_eq!((rows[0].divergent, rows[0].allowed), (2, 1));
        assert_eq!(rows[0].example, Some(2));
        assert_eq!(outcome.command_rows(true).len(), 3);
        assert!(outcome.unused_allowances().is_empty());
    }

    #[test]
    fn chunks_cover_the_stream() {
        let report = report();
        let units = chunk_units(
            "random seed 1",
            1001,
            &report,
            0,
            |d| match d.origin {
                Origin::Random { index, .. } => Some(index),
                _ => None,
            },
            &[1.0],
        );
        let names: Vec<_> = units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            ["commands 0-499", "commands 500-999", "commands 1000-1000"]
        );
        assert_eq!(units[0].divergences, vec![0, 1]);
        assert_eq!(units[1].divergences, vec![2]);
        assert_eq!(units[0].seconds, 1.0);
        assert_eq!(units[1].seconds, 0.0);
    }
}
