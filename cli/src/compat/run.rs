//! `ferry compat run`: the case corpus (built in, or `--suite DIR`) and seeded random streams, sent to a
//! reference and a target in lockstep; one report unit per case and per chunk of a stream.

use std::time::Instant;

use anyhow::bail;
use clap::Args;
use ferry_compat::{CaseFile, Family, Generator, Origin, Runner, SuiteOptions};
use indicatif::ProgressBar;

use super::outcome::{chunk_units, Outcome, Unit, CHUNK};
use super::{corpus, endpoint, progress, ReportArgs, ServerPair};

/// `ferry compat run`
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    servers: ServerPair,
    /// Case files from this directory (every *.toml) instead of the built-in corpus.
    #[arg(long, value_name = "DIR")]
    suite: Option<std::path::PathBuf>,
    /// Skip the case files (random streams only).
    #[arg(long)]
    no_cases: bool,
    /// Random commands per seed (0: no random streams).
    #[arg(long, value_name = "N", default_value_t = 0)]
    random: usize,
    /// Seeds of the random streams, comma-separated.
    #[arg(long, value_name = "S", value_delimiter = ',', default_value = "1")]
    seed: Vec<u64>,
    /// Only these case files (by stem: strings, keys, ...) and random families (strings keys bitmaps
    /// hyperloglog hashes sets transactions lists sorted_sets geo), comma-separated.
    #[arg(long, value_name = "FAMILY", value_delimiter = ',')]
    only: Vec<String>,
    /// Only the case with this name (case-insensitive; `FILE:NAME` picks within one case file), or
    /// when no name is equal, the cases whose name contains this text: runs a single case alone.
    #[arg(long, value_name = "NAME")]
    case: Option<String>,
    /// Only the cases carrying one of these tags, comma-separated.
    #[arg(long, value_name = "TAG", value_delimiter = ',')]
    tag: Vec<String>,
    /// Print the selected cases (file, name, steps, tags, description) and exit without running.
    #[arg(long)]
    list: bool,
    #[command(flatten)]
    report: ReportArgs,
}

/// Runs the comparison and reports it. Returns whether every divergence was allowed.
pub fn run(args: RunArgs) -> anyhow::Result<bool> {
    let allow = args.report.allow_list()?;
    let mut files = if args.no_cases {
        Vec::new()
    } else {
        corpus::load(args.suite.as_deref())?
    };
    let options = SuiteOptions {
        seeds: args.seed.clone(),
        count: args.random,
        only: (!args.only.is_empty()).then(|| {
            args.only
                .iter()
                .map(|o| o.trim().to_ascii_lowercase())
                .collect()
        }),
        ..SuiteOptions::default()
    };
    check_only(&options, &files)?;
    files.retain(|file| options.includes(&file.name));
    if let Some(wanted) = &args.case {
        select_cases(&mut files, wanted);
        if files.is_empty() {
            bail!("no case matches --case {wanted}");
        }
    }
    if !args.tag.is_empty() {
        select_tags(&mut files, &args.tag);
        if files.is_empty() {
            bail!("no case carries a tag of --tag {}", args.tag.join(","));
        }
    }
    if args.list {
        super::print_stdout(&list(&files));
        return Ok(true);
    }
    let families = if args.random > 0 {
        options.families()
    } else {
        Vec::new()
    };
    if files.is_empty() && families.is_empty() {
        bail!("nothing to run: no case file selected and no random stream (--random N)");
    }
    let (reference, target) = args.servers.open()?;
    let steps: usize = files
        .iter()
        .flat_map(|f| &f.cases)
        .map(|c| c.steps.len())
        .sum();
    let random_total = if families.is_empty() {
        0
    } else {
        options.seeds.len() * options.count
    };
    let bar = progress::bar(
        (steps + random_total) as u64,
        args.report.interactive(),
        "comparing",
    );
    let mut runner = endpoint::runner(&reference, &target, args.servers.reply_timeout());
    let mut units = Vec::new();
    let started = Instant::now();
    let result = drive(&mut runner, &files, &families, &options, &bar, &mut units);
    bar.finish_and_clear();
    let outcome = Outcome::new(
        runner.into_report(),
        units,
        allow,
        started.elapsed().as_secs_f64(),
    );
    if let Err(error) = result {
        eprint!("{}", outcome.report.summary());
        for (side, endpoint) in [("reference", &reference), ("target", &target)] {
            if let Some(log) = endpoint.log_tail() {
                eprintln!("{side} log:\n{log}");
            }
        }
        bail!("the run stopped: {error}");
    }
    args.report.emit(&outcome)?;
    Ok(outcome.passed())
}

/// Keeps only the cases named `wanted`, or when none is, those whose name contains it (`FILE:NAME`
/// restricts the file too), and drops files left without cases.
fn select_cases(files: &mut Vec<CaseFile>, wanted: &str) {
    let wanted = wanted.to_ascii_lowercase();
    let (file_part, name_part) = match wanted.split_once(':') {
        Some((file, name)) => {
            let stem = file.strip_suffix(".toml").unwrap_or(file);
            (Some(stem.to_string()), name.to_string())
        }
        None => (None, wanted),
    };
    for file in files.iter_mut() {
        if file_part
            .as_ref()
            .is_some_and(|f| *f != file.name.to_ascii_lowercase())
        {
            file.cases.clear();
        }
    }
    let exact = files
        .iter()
        .flat_map(|file| &file.cases)
        .any(|case| case.name.eq_ignore_ascii_case(&name_part));
    for file in files.iter_mut() {
        file.cases.retain(|case| {
            let name = case.name.to_ascii_lowercase();
            if exact {
                name == name_part
            } else {
                name.contains(&name_part)
            }
        });
    }
    files.retain(|file| !file.cases.is_empty());
}

/// Keeps only the cases carrying one of `tags` (case-insensitive), and drops files left without cases.
fn select_tags(files: &mut Vec<CaseFile>, tags: &[String]) {
    for file in files.iter_mut() {
        file.cases.retain(|case| {
            case.tags.iter().any(|tag| {
                tags.iter()
                    .any(|wanted| wanted.trim().eq_ignore_ascii_case(tag))
            })
        });
    }
    files.retain(|file| !file.cases.is_empty());
}

/// One line per case: `file:line  name  (N steps) [tags]`, then its description indented.
fn list(files: &[CaseFile]) -> String {
    let mut out = String::new();
    for file in files {
        let label = corpus::label(file);
        for case in &file.cases {
            out.push_str(&format!(
                "{label}:{}  {}  ({} steps)",
                case.line,
                case.name,
                case.steps.len()
            ));
            if !case.tags.is_empty() {
                out.push_str(&format!(" [{}]", case.tags.join(", ")));
            }
            out.push('\n');
            if let Some(description) = &case.description {
                out.push_str(&format!("    {description}\n"));
            }
        }
    }
    out
}

/// Rejects `--only` names that are neither a selected case file nor a random family.
fn check_only(options: &SuiteOptions, files: &[CaseFile]) -> anyhow::Result<()> {
    let Some(only) = &options.only else {
        return Ok(());
    };
    let mut known: Vec<String> = files.iter().map(|f| f.name.to_ascii_lowercase()).collect();
    known.extend(Family::ALL.iter().map(|f| f.name().to_string()));
    known.sort();
    known.dedup();
    let unknown: Vec<&String> = only.iter().filter(|name| !known.contains(name)).collect();
    if !unknown.is_empty() {
        bail!(
            "--only: unknown name(s) {unknown:?}; known: {}",
            known.join(", ")
        );
    }
    Ok(())
}

fn drive(
    runner: &mut Runner,
    files: &[CaseFile],
    families: &[Family],
    options: &SuiteOptions,
    bar: &ProgressBar,
    units: &mut Vec<Unit>,
) -> Result<(), ferry_compat::Error> {
    for file in files {
        let label = corpus::label(file);
        for case in &file.cases {
            let first = runner.report().divergences.len();
            let started = Instant::now();
            runner.run_case(&label, case)?;
            bar.inc(case.steps.len() as u64);
            units.push(Unit {
                suite: label.clone(),
                name: case.name.clone(),
                divergences: (first..runner.report().divergences.len()).collect(),
                seconds: started.elapsed().as_secs_f64(),
            });
        }
    }
    if families.is_empty() {
        return Ok(());
    }
    for &seed in &options.seeds {
        let first = runner.report().divergences.len();
        let mut chunk_starts = Vec::new();
        let stream = Generator::with_families(seed, families)
            .take(options.count)
            .enumerate()
            .map(|(index, command)| {
                if index % CHUNK == 0 {
                    chunk_starts.push(Instant::now());
                }
                bar.inc(1);
                command
            });
        runner.run_stream(seed, stream)?;
        chunk_starts.push(Instant::now());
        let seconds: Vec<f64> = chunk_starts
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        units.extend(chunk_units(
            &format!("random seed {seed}"),
            options.count,
            runner.report(),
            first,
            |divergence| match divergence.origin {
                Origin::Random {
                    seed: origin_seed,
                    index,
                } if origin_seed == seed => Some(index),
                _ => None,
            },
            &seconds,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_compat::cases::parse_cases;

    fn files() -> Vec<CaseFile> {
        let text = b"[[case]]\nname = 'getrange'\ntags = ['ranges']\nsteps = ['PING']\n\n\
                     [[case]]\nname = 'getrange negative'\ndescription = 'from the end'\nsteps = ['PING', 'PING']\n\n\
                     [[case]]\nname = 'setrange'\ntags = ['ranges', 'slow']\nsteps = ['PING']\n";
        let other = b"[[case]]\nname = 'getrange'\nsteps = ['PING']\n";
        vec![
            CaseFile {
                name: "strings".into(),
                path: "strings.toml".into(),
                cases: parse_cases("strings.toml", text).unwrap(),
            },
            CaseFile {
                name: "other".into(),
                path: "other.toml".into(),
                cases: parse_cases("other.toml", other).unwrap(),
            },
        ]
    }

    fn names(files: &[CaseFile]) -> Vec<String> {
        files
            .iter()
            .flat_map(|f| f.cases.iter().map(|c| format!("{}:{}", f.name, c.name)))
            .collect()
    }

    #[test]
    fn an_exact_name_selects_one_case_alone() {
        let mut selected = files();
        select_cases(&mut selected, "strings.toml:GETRANGE");
        assert_eq!(names(&selected), ["strings:getrange"]);
        let mut selected = files();
        select_cases(&mut selected, "getrange");
        assert_eq!(names(&selected), ["strings:getrange", "other:getrange"]);
        let mut selected = files();
        select_cases(&mut selected, "range neg");
        assert_eq!(names(&selected), ["strings:getrange negative"]);
        let mut selected = files();
        select_cases(&mut selected, "nothing");
        assert!(selected.is_empty());
    }

    #[test]
    fn tags_select_and_list_shows_them() {
        let mut selected = files();
        select_tags(&mut selected, &["SLOW".to_string()]);
        assert_eq!(names(&selected), ["strings:setrange"]);
        let text = list(&files());
        assert!(
            text.contains("strings.toml:1  getrange  (1 steps) [ranges]\n"),
            "{text}"
        );
        assert!(
            text.contains("getrange negative  (2 steps)\n    from the end\n"),
            "{text}"
        );
    }
}
