//! `ferry compat`: differential compatibility testing as a product. `run` replays the case corpus and
//! seeded random streams against a reference and a target; `capture` records live traffic through
//! MONITOR; `replay` plays a capture (or an AOF file) back against two servers; `matrix` compares several
//! servers with Valkey 9.1 and writes docs/COMPATIBILITY.md. Exit status: 0 when every divergence is
//! allowed, 1 when some are not, 2 when the run itself failed.

mod allow;
mod capture;
mod corpus;
mod endpoint;
mod matrix;
mod outcome;
mod output;
mod progress;
mod replay;
mod run;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use endpoint::{Endpoint, EndpointSpec, RedisUrl};
use outcome::Outcome;
use output::Format;

/// `ferry compat ...`
#[derive(Debug, Args)]
pub struct CompatArgs {
    #[command(subcommand)]
    command: Box<CompatCommand>,
}

#[derive(Debug, Subcommand)]
enum CompatCommand {
    /// Replay the case corpus and/or seeded random streams against a reference and a target server
    /// and report every reply that differs. Every case starts with FLUSHALL on both servers.
    Run(run::RunArgs),
    /// Record live traffic through MONITOR into a replay file (JSON lines, one per command).
    Capture(capture::CaptureArgs),
    /// Replay a capture file (or an AOF: plain, with an RDB preamble, or multi-part) against a
    /// reference and a target, one connection per captured client, in the captured order, and report
    /// every reply that differs.
    Replay(replay::ReplayArgs),
    /// Run the corpus against several servers with Valkey 9.1 as the reference and write a per-command
    /// compatibility matrix (docs/COMPATIBILITY.md).
    Matrix(matrix::MatrixArgs),
}

/// The reference and target servers of a comparison: each a URL or a binary to start.
#[derive(Debug, Args)]
struct ServerPair {
    /// The reference server: redis://[user:pass@]host:port[/db].
    #[arg(long, value_name = "URL")]
    reference: Option<RedisUrl>,
    /// Start this server binary as the reference, on an ephemeral loopback port.
    #[arg(long, value_name = "PATH")]
    reference_bin: Option<PathBuf>,
    /// A directive for the reference binary (repeatable): --reference-arg=--maxmemory --reference-arg=1gb.
    #[arg(long = "reference-arg", value_name = "ARG", allow_hyphen_values = true)]
    reference_args: Vec<String>,
    /// The target server: redis://[user:pass@]host:port[/db].
    #[arg(long, value_name = "URL")]
    target: Option<RedisUrl>,
    /// Start this server binary as the target (a name containing "ferry" runs as `ferry serve`).
    #[arg(long, value_name = "PATH")]
    target_bin: Option<PathBuf>,
    /// Run even when a server given by URL holds keys: every case starts with FLUSHALL.
    #[arg(long)]
    allow_flush: bool,
    /// Seconds a reply may take before it counts as unanswered (three unanswered requests stop the run).
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    reply_timeout: u64,
    /// Directives for the target binary, after `--`: `--target-bin ./ferry -- --maxmemory 1gb`.
    #[arg(last = true, value_name = "TARGET_DIRECTIVES")]
    target_args: Vec<String>,
}

impl ServerPair {
    /// Opens both sides (reference first) and refuses URL servers that hold keys.
    fn open(&self) -> anyhow::Result<(Endpoint, Endpoint)> {
        let reference = EndpointSpec::from_options(
            "reference",
            self.reference.clone(),
            self.reference_bin.clone(),
            self.reference_args.clone(),
        )?;
        let target = EndpointSpec::from_options(
            "target",
            self.target.clone(),
            self.target_bin.clone(),
            self.target_args.clone(),
        )?;
        let reference = reference.open().context("the reference server")?;
        let target = target.open().context("the target server")?;
        reference.check_empty(self.allow_flush)?;
        target.check_empty(self.allow_flush)?;
        Ok((reference, target))
    }

    /// The reply timeout.
    fn reply_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.reply_timeout)
    }
}

/// How the result is reported.
#[derive(Debug, Args)]
struct ReportArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Known divergences to accept: one pattern per line, then `# reason` (see docs/COMPAT.md).
    #[arg(long, value_name = "FILE")]
    allow: Option<PathBuf>,
    /// Write the report to this file instead of stdout (a one-line summary still goes to stderr).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// List every command in the table, not only divergent ones, and every divergence after it.
    #[arg(long)]
    all: bool,
}

impl ReportArgs {
    fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }

    /// Whether progress bars may be drawn.
    fn interactive(&self) -> bool {
        self.format() == Format::Table
    }

    fn allow_list(&self) -> anyhow::Result<allow::AllowList> {
        match &self.allow {
            Some(path) => allow::AllowList::load(path),
            None => Ok(allow::AllowList::default()),
        }
    }

    /// Prints (or writes) the report.
    fn emit(&self, outcome: &Outcome) -> anyhow::Result<()> {
        let text = output::render(outcome, self.format(), self.all);
        match &self.output {
            Some(path) => {
                std::fs::write(path, &text)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!(
                    "{} divergences ({} not allowed); report written to {}",
                    outcome.report.divergences.len(),
                    outcome.unallowed(),
                    path.display()
                );
            }
            None => print_stdout(&text),
        }
        Ok(())
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Runs a `ferry compat` subcommand and exits with its status (see the module documentation).
pub fn main(args: CompatArgs) -> anyhow::Result<()> {
    let passed = match *args.command {
        CompatCommand::Run(args) => run::run(args),
        CompatCommand::Capture(args) => capture::capture(args).map(|()| true),
        CompatCommand::Replay(args) => replay::replay(args),
        CompatCommand::Matrix(args) => matrix::matrix(args).map(|()| true),
    };
    // Every server this process started has been stopped by now (they live inside the subcommands).
    match passed {
        Ok(true) => Ok(()),
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::exit(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use ferry_compat::normalise::{Matcher, RULES};

    /// docs/COMPAT.md, checked against the rule table it documents.
    const COMPAT_DOC: &str = include_str!("../../../docs/COMPAT.md");

    /// The first three cells of the documentation row of each rule, in table order.
    fn expected_rows() -> Vec<String> {
        RULES
            .iter()
            .map(|entry| {
                let applies = match entry.matcher {
                    Matcher::Any => "any arguments".to_string(),
                    Matcher::NoArgs => "no arguments".to_string(),
                    Matcher::Sub(sub) => format!("subcommand {sub}"),
                    Matcher::Option(word) => format!("option {word}"),
                };
                format!("| {} | {applies} | `{:?}` |", entry.command, entry.rule)
            })
            .collect()
    }

    #[test]
    fn every_normalisation_rule_is_documented() {
        let start = COMPAT_DOC
            .find("<!-- rules:begin -->")
            .expect("docs/COMPAT.md lacks <!-- rules:begin -->");
        let end = COMPAT_DOC
            .find("<!-- rules:end -->")
            .expect("docs/COMPAT.md lacks <!-- rules:end -->");
        let documented: Vec<String> = COMPAT_DOC[start..end]
            .lines()
            .filter(|line| line.starts_with("| ") && line.contains('`'))
            .map(|line| {
                let cells: Vec<&str> = line.split(" | ").take(3).collect();
                format!("{} |", cells.join(" | "))
            })
            .collect();
        let expected = expected_rows();
        assert_eq!(
            documented,
            expected,
            "docs/COMPAT.md's rule table is out of sync with RULES in compat-tests/src/normalise.rs; \
             its rows must start with:\n{}",
            expected.join("\n")
        );
        for entry in RULES {
            let debug = format!("{:?}", entry.rule);
            let kind = debug.split([' ', '(']).next().unwrap_or_default();
            assert!(
                COMPAT_DOC[end..].contains(&format!("| `{kind}")),
                "docs/COMPAT.md does not explain the rule kind {kind}"
            );
        }
    }
}
