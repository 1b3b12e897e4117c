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
    /// Case files from this directory (every *.txt) instead of the built-in corpus.
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
    /// hyperloglog sets transactions), comma-separated.
    #[arg(long, value_name = "FAMILY", value_delimiter = ',')]
    only: Vec<String>,
    /// Only the cases whose name contains this text (case-insensitive), or `FILE:NAME` to pick within
    /// one case file: runs a single case alone.
    #[arg(long, value_name = "NAME")]
    case: Option<String>,
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

/// Keeps only the cases whose name contains `wanted` (`FILE:NAME` restricts the file too), and drops
/// files left without cases.
fn select_cases(files: &mut Vec<CaseFile>, wanted: &str) {
    let wanted = wanted.to_ascii_lowercase();
    let (file_part, name_part) = match wanted.split_once(':') {
        Some((file, name)) => (
            Some(file.trim_end_matches(".txt").to_string()),
            name.to_string(),
        ),
        None => (None, wanted),
    };
    for file in files.iter_mut() {
        if file_part
            .as_ref()
            .is_some_and(|f| *f != file.name.to_ascii_lowercase())
        {
            file.cases.clear();
        }
        file.cases
            .retain(|case| case.name.to_ascii_lowercase().contains(&name_part));
    }
    files.retain(|file| !file.cases.is_empty());
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
