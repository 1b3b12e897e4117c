//! `ferry compat replay`: plays a capture file (see `capture`) or an AOF back against a reference and
//! a target. A capture keeps its interleaving: one connection per captured client, each
//! command sent in captured order, with a SELECT first whenever the connection's database differs from
//! the captured one. AUTH is skipped (MONITOR redacts its arguments); a command that may block is sent
//! without waiting and its reply read before its client's next command. An AOF — a plain file, one with
//! an RDB preamble, or a multi-part `appendonlydir` / manifest — is one client: the preamble's keys as
//! the commands that rebuild them (as `ferry aof dump --format resp` writes them), then the logged
//! commands; its steps are numbered by command, from 1.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context as _};
use clap::Args;
use ferry_compat::{Action, Origin, Step};
use ferry_resp::frame::parse_frame;
use ferry_resp::Frame;

use super::capture::{parse_capture, Record};
use super::outcome::{chunk_units, Outcome, CHUNK};
use super::{endpoint, progress, ReportArgs, ServerPair};
use crate::rdb_dump::{DumpFormat, Dumper, Filter};

/// `ferry compat replay`
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A capture file (JSON lines from `ferry compat capture`), an AOF file, a manifest or an
    /// `appendonlydir`.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    servers: ServerPair,
    #[command(flatten)]
    report: ReportArgs,
}

/// What a replay file turned into.
#[derive(Debug)]
pub struct Replay {
    /// The steps, in order; `line` is the line of the file each came from.
    pub steps: Vec<Step>,
    /// Commands left out, with why.
    pub skipped: Vec<String>,
}

/// Replays the file and reports. Returns whether every divergence was allowed.
pub fn replay(args: ReplayArgs) -> anyhow::Result<bool> {
    let allow = args.report.allow_list()?;
    let name = file_label(&args.file);
    let replay = load(&args.file)?;
    for note in &replay.skipped {
        eprintln!("note: {note}");
    }
    if replay.steps.is_empty() {
        bail!("{} holds no command to replay", args.file.display());
    }
    let (reference, target) = args.servers.open()?;
    let bar = progress::bar(
        replay.steps.len() as u64,
        args.report.interactive(),
        "replaying",
    );
    let mut runner = endpoint::runner(&reference, &target, args.servers.reply_timeout());
    let mut chunk_starts = Vec::new();
    let started = Instant::now();
    let steps = replay.steps.iter().enumerate().map(|(index, step)| {
        if index % CHUNK == 0 {
            chunk_starts.push(Instant::now());
        }
        bar.inc(1);
        step
    });
    let result = runner.run_steps(&name, "replay", steps);
    chunk_starts.push(Instant::now());
    bar.finish_and_clear();
    let seconds: Vec<f64> = chunk_starts
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect();
    let report = runner.into_report();
    // The first step of each line: a deferred read carries its blocking command's earlier line.
    let mut first_step_of_line = std::collections::BTreeMap::new();
    for (index, step) in replay.steps.iter().enumerate() {
        first_step_of_line.entry(step.line).or_insert(index);
    }
    let units = chunk_units(
        &name,
        replay.steps.len(),
        &report,
        0,
        |d| match &d.origin {
            Origin::Case { line, .. } => first_step_of_line.get(line).copied(),
            _ => None,
        },
        &seconds,
    );
    let outcome = Outcome::new(report, units, allow, started.elapsed().as_secs_f64());
    if let Err(error) = result {
        eprint!("{}", outcome.report.summary());
        bail!("the replay stopped: {error}");
    }
    args.report.emit(&outcome)?;
    Ok(outcome.passed())
}

/// Turns a capture file or an AOF (file, manifest or directory) into steps.
pub fn load(path: &Path) -> anyhow::Result<Replay> {
    let name = file_label(path);
    if path.is_file() && starts_like_capture(path)? {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok(capture_steps(&parse_capture(&name, &text)?));
    }
    let mut dumper = Dumper::new(Vec::new(), DumpFormat::Resp, Filter::default());
    let truncation = crate::aof_cmd::dump_into(path, &mut dumper)
        .with_context(|| format!("{name} is neither a capture file (JSON lines) nor an AOF"))?;
    let resp = dumper.finish()?;
    let mut skipped = Vec::new();
    if let Some(cut) = truncation {
        skipped.push(format!(
            "{} ends inside a command: replayed up to byte {}, as aof-load-truncated does",
            cut.path.display(),
            cut.valid_len
        ));
    }
    Ok(Replay {
        steps: resp_steps(&resp)?,
        skipped,
    })
}

/// Whether the file's first non-blank byte opens a JSON object (a capture).
fn starts_like_capture(path: &Path) -> anyhow::Result<bool> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|file| file.take(4096).read_to_end(&mut head))
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

fn upper_name(argv: &[Vec<u8>]) -> Vec<u8> {
    argv.first()
        .map(|n| n.to_ascii_uppercase())
        .unwrap_or_default()
}

/// Commands that may block their connection until another client acts (XREAD and XREADGROUP only
/// with BLOCK).
const BLOCKING: &[&[u8]] = &[
    b"BLPOP",
    b"BRPOP",
    b"BRPOPLPUSH",
    b"BLMOVE",
    b"BLMPOP",
    b"BZPOPMIN",
    b"BZPOPMAX",
    b"BZMPOP",
    b"WAIT",
    b"WAITAOF",
];

/// The pause after sending a command that may block, in milliseconds.
const BLOCKING_PAUSE_MS: u64 = 50;

fn may_block(name: &[u8], argv: &[Vec<u8>]) -> bool {
    BLOCKING.contains(&name)
        || (matches!(name, b"XREAD" | b"XREADGROUP")
            && argv.iter().any(|arg| arg.eq_ignore_ascii_case(b"BLOCK")))
}

/// One connection per captured client; SELECT inserted when the captured db differs from the
/// connection's (unknown before its first command, and again after QUIT).
///
/// MONITOR shows a blocking command when it starts to wait, before the command of another client that
/// serves it; so a command that may block is sent without waiting, and its reply is read just before
/// that client's next command (after a short pause, so it reaches the servers before the commands of
/// other clients). One still waiting at the end of the capture is not compared.
pub fn capture_steps(records: &[Record]) -> Replay {
    let mut steps = Vec::with_capacity(records.len());
    let mut skipped_auth = 0usize;
    let mut dbs: Vec<Option<u32>> = Vec::new();
    // Per client, the line of a blocking command whose reply is not read yet.
    let mut waiting: Vec<Option<usize>> = Vec::new();
    for record in records {
        let name = upper_name(&record.argv);
        if name == b"AUTH" {
            skipped_auth += 1;
            continue;
        }
        if dbs.len() <= record.client {
            dbs.resize(record.client + 1, None);
            waiting.resize(record.client + 1, None);
        }
        if let Some(line) = waiting[record.client].take() {
            steps.push(Step {
                line,
                client: record.client,
                action: Action::Read,
            });
        }
        let db = &mut dbs[record.client];
        if name != b"SELECT" && *db != Some(record.db) {
            steps.push(Step {
                line: record.line,
                client: record.client,
                action: Action::Command(vec![
                    b"SELECT".to_vec(),
                    record.db.to_string().into_bytes(),
                ]),
            });
        }
        let blocks = may_block(&name, &record.argv);
        let action = if blocks {
            waiting[record.client] = Some(record.line);
            Action::Send(record.argv.clone())
        } else {
            Action::Command(record.argv.clone())
        };
        steps.push(Step {
            line: record.line,
            client: record.client,
            action,
        });
        if blocks {
            // Let it reach the servers (and block) before another connection's command races it.
            steps.push(Step {
                line: record.line,
                client: record.client,
                action: Action::Sleep(BLOCKING_PAUSE_MS),
            });
        }
        *db = match name.as_slice() {
            b"QUIT" => None,
            b"RESET" => Some(0),
            _ => Some(record.db),
        };
    }
    let mut skipped = Vec::new();
    if skipped_auth > 0 {
        skipped.push(format!(
            "{skipped_auth} AUTH commands skipped (MONITOR redacts their arguments)"
        ));
    }
    let still_waiting = waiting.iter().flatten().count();
    if still_waiting > 0 {
        skipped.push(format!(
            "{still_waiting} blocking commands still waiting at the end of the capture: their replies are not compared"
        ));
    }
    Replay { steps, skipped }
}

/// The commands of a RESP stream (arrays of bulk strings, as the AOF dump writes them), numbered from 1.
fn resp_steps(resp: &[u8]) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    let mut pos = 0;
    while pos < resp.len() {
        let number = steps.len() + 1;
        let (frame, used) = match parse_frame(&resp[pos..]) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => bail!("command {number}: cut short"),
            Err(error) => bail!("command {number}: not RESP: {error}"),
        };
        let argv = match frame {
            Frame::Array(Some(items)) if !items.is_empty() => items
                .into_iter()
                .map(|item| match item {
                    Frame::Bulk(Some(bytes)) => Some(bytes),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>(),
            _ => None,
        };
        let Some(argv) = argv else {
            bail!("command {number}: expected an array of bulk strings");
        };
        steps.push(Step {
            line: number,
            client: 1,
            action: Action::Command(argv),
        });
        pos += used;
    }
    Ok(steps)
}

/// The file name for reports.
pub fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: usize, client: usize, db: u32, argv: &[&str]) -> Record {
        Record {
            line,
            client,
            addr: format!("127.0.0.1:{client}"),
            db,
            time_us: 0,
            argv: argv.iter().map(|a| a.as_bytes().to_vec()).collect(),
        }
    }

    fn commands(steps: &[Step]) -> Vec<(usize, String)> {
        steps
            .iter()
            .map(|step| match &step.action {
                Action::Command(argv) => (
                    step.client,
                    argv.iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                other => (step.client, format!("{other:?}")),
            })
            .collect()
    }

    #[test]
    fn captures_select_the_captured_database() {
        let replay = capture_steps(&[
            record(2, 1, 0, &["SET", "a", "1"]),
            record(3, 2, 3, &["GET", "a"]),
            record(4, 1, 5, &["SELECT", "5"]),
            record(5, 1, 5, &["GET", "a"]),
            record(6, 2, 3, &["auth", "(redacted)"]),
            record(7, 2, 3, &["QUIT"]),
            record(8, 2, 3, &["GET", "b"]),
        ]);
        assert_eq!(
            commands(&replay.steps),
            vec![
                (1, "SELECT 0".into()),
                (1, "SET a 1".into()),
                (2, "SELECT 3".into()),
                (2, "GET a".into()),
                (1, "SELECT 5".into()),
                (1, "GET a".into()),
                (2, "QUIT".into()),
                (2, "SELECT 3".into()),
                (2, "GET b".into()),
            ]
        );
        assert_eq!(replay.skipped.len(), 1);
        assert_eq!(replay.steps[3].line, 3);
    }

    #[test]
    fn blocking_commands_are_read_before_their_clients_next_command() {
        let replay = capture_steps(&[
            record(2, 1, 0, &["BLPOP", "l", "0"]),
            record(3, 2, 0, &["RPUSH", "l", "a"]),
            record(4, 1, 0, &["GET", "k"]),
            record(5, 2, 0, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]),
            record(6, 1, 0, &["XREAD", "STREAMS", "s", "0"]),
        ]);
        let actions: Vec<_> = replay
            .steps
            .iter()
            .filter(|s| !matches!(&s.action, Action::Command(argv) if argv[0] == b"SELECT"))
            .filter(|s| s.action != Action::Sleep(BLOCKING_PAUSE_MS))
            .map(|s| (s.line, s.client, s.action.clone()))
            .collect();
        let argv = |words: &[&str]| words.iter().map(|w| w.as_bytes().to_vec()).collect();
        assert_eq!(
            actions,
            vec![
                (2, 1, Action::Send(argv(&["BLPOP", "l", "0"]))),
                (3, 2, Action::Command(argv(&["RPUSH", "l", "a"]))),
                (2, 1, Action::Read),
                (4, 1, Action::Command(argv(&["GET", "k"]))),
                (
                    5,
                    2,
                    Action::Send(argv(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]))
                ),
                (6, 1, Action::Command(argv(&["XREAD", "STREAMS", "s", "0"]))),
            ]
        );
        assert!(
            replay.skipped[0].starts_with("1 blocking commands still waiting"),
            "{:?}",
            replay.skipped
        );
    }

    fn load_bytes(name: &str, bytes: &[u8]) -> anyhow::Result<Replay> {
        let dir = std::env::temp_dir().join(format!("ferry-replay-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let replay = load(&path);
        std::fs::remove_file(&path).ok();
        replay
    }

    #[test]
    fn reads_plain_aof() {
        let aof = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:1700000000\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\nb\r\n*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nEXEC\r\n";
        let replay = load_bytes("appendonly.aof", aof).unwrap();
        assert_eq!(
            commands(&replay.steps),
            vec![
                (1, "SELECT 0".into()),
                (1, "SET k a\nb".into()),
                (1, "MULTI".into()),
                (1, "EXEC".into())
            ]
        );
        assert_eq!(
            replay.steps.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert!(replay.skipped.is_empty());
        // A cut last command is dropped and reported, as aof-load-truncated does.
        let replay = load_bytes("cut.aof", b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI").unwrap();
        assert_eq!(commands(&replay.steps), vec![(1, "PING".into())]);
        assert!(replay.skipped[0].contains("ends inside a command"));
        assert!(load_bytes("a.aof", b"*1\r\n:1\r\n").is_err());
        assert!(load_bytes("b.aof", b"hello").is_err());
    }

    #[test]
    fn an_rdb_preamble_becomes_the_commands_that_rebuild_it() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../rdb/tests/corpus/valkey-9.1/aof/appendonlydir");
        let replay = load(&corpus).unwrap();
        let names: std::collections::BTreeSet<String> = replay
            .steps
            .iter()
            .filter_map(|step| match &step.action {
                Action::Command(argv) => {
                    Some(String::from_utf8_lossy(&argv[0]).to_ascii_uppercase())
                }
                _ => None,
            })
            .collect();
        assert!(names.contains("SET"), "{names:?}");
        assert!(replay.steps.len() > 10);
    }
}
