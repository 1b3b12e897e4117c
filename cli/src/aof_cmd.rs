//! `ferry aof info|dump`: inspect and export an AOF — a single file, a file with an RDB preamble, or a
//! multi-part `appendonlydir` with its manifest.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use ferry_rdb::aof::{AofFileKind, AofItem, AofReader, Truncation};
use ferry_rdb::reader::Item;
use serde_json::json;

use crate::rdb_dump::{DumpFormat, Dumper, Filter};

/// The `aof` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AofCommand {
    /// Files, RDB preamble, commands by name, timestamps and whether the tail was truncated.
    Info {
        /// An AOF file, an `appendonlydir` directory or its `.manifest`.
        path: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Every command (and the preamble's keys) as RESP or JSON lines.
    Dump {
        /// An AOF file, an `appendonlydir` directory or its `.manifest`.
        path: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "resp")]
        format: DumpFormat,
    },
}

/// Runs an `aof` subcommand.
pub fn run(command: AofCommand) -> anyhow::Result<()> {
    match command {
        AofCommand::Info { path, json } => info(&path, json),
        AofCommand::Dump { path, format } => dump(&path, format),
    }
}

fn kind_name(kind: AofFileKind) -> &'static str {
    match kind {
        AofFileKind::Base => "base",
        AofFileKind::Incr => "incr",
        AofFileKind::History => "history (not loaded)",
        AofFileKind::Single => "single file",
    }
}

#[derive(Default)]
struct FileStats {
    preamble_keys: u64,
    preamble_version: Option<String>,
    commands: u64,
}

fn info(path: &Path, as_json: bool) -> anyhow::Result<()> {
    let mut reader = AofReader::open(path)?;
    let files = reader.files().to_vec();
    let mut stats: Vec<FileStats> = files.iter().map(|_| FileStats::default()).collect();
    let mut commands: BTreeMap<String, u64> = BTreeMap::new();
    let (mut first_ts, mut last_ts) = (None, None);
    let mut current = 0usize;
    let mut error = None;
    loop {
        match reader.next_item() {
            Ok(Some(AofItem::FileStart(index))) => current = index,
            Ok(Some(AofItem::Rdb(Item::Key(_)))) => stats[current].preamble_keys += 1,
            Ok(Some(AofItem::Rdb(_))) => {}
            Ok(Some(AofItem::Command(args))) => {
                stats[current].commands += 1;
                let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
                *commands.entry(name).or_default() += 1;
            }
            Ok(Some(AofItem::Timestamp(seconds))) => {
                first_ts.get_or_insert(seconds);
                last_ts = Some(seconds);
            }
            Ok(None) => break,
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    for (file, stat) in files.iter().zip(&mut stats) {
        if file.kind != AofFileKind::History {
            let mut head = Vec::with_capacity(9);
            if let Ok(opened) = std::fs::File::open(&file.path) {
                opened.take(9).read_to_end(&mut head).ok();
            }
            if head.starts_with(b"REDIS") || head.starts_with(b"VALKEY") {
                stat.preamble_version = Some(String::from_utf8_lossy(&head).into_owned());
            }
        }
    }
    let truncation = reader.truncation().cloned();
    if as_json {
        let report = json!({
            "path": path.display().to_string(),
            "files": files.iter().zip(&stats).map(|(f, s)| json!({
                "path": f.path.display().to_string(),
                "kind": kind_name(f.kind),
                "seq": f.seq,
                "size": std::fs::metadata(&f.path).map(|m| m.len()).ok(),
                "rdb_preamble": s.preamble_version,
                "preamble_keys": s.preamble_keys,
                "commands": s.commands,
            })).collect::<Vec<_>>(),
            "commands": commands,
            "first_timestamp": first_ts,
            "last_timestamp": last_ts,
            "truncated": truncation.as_ref().map(|t| json!({
                "path": t.path.display().to_string(),
                "valid_bytes": t.valid_len,
                "dropped_transaction_commands": t.dropped_transaction,
            })),
            "error": error,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let mut out = io::stdout().lock();
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED).set_header([
            "file",
            "kind",
            "bytes",
            "RDB preamble",
            "commands",
        ]);
        for (file, stat) in files.iter().zip(&stats) {
            let preamble = stat
                .preamble_version
                .as_ref()
                .map_or_else(String::new, |v| format!("{v}, {} keys", stat.preamble_keys));
            table.add_row([
                file.path.display().to_string(),
                kind_name(file.kind).to_string(),
                std::fs::metadata(&file.path)
                    .map(|m| m.len().to_string())
                    .unwrap_or_default(),
                preamble,
                stat.commands.to_string(),
            ]);
        }
        writeln!(out, "{table}")?;
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_header(["command", "count"]);
        for (name, count) in &commands {
            table.add_row([name.clone(), count.to_string()]);
        }
        writeln!(out, "\n{table}")?;
        if let (Some(first), Some(last)) = (first_ts, last_ts) {
            writeln!(out, "\nTimestamps #TS:{first} .. #TS:{last}")?;
        }
        if let Some(t) = &truncation {
            writeln!(
                out,
                "\nTruncated tail: {} is valid up to byte {}{} (as aof-load-truncated yes loads it)",
                t.path.display(),
                t.valid_len,
                if t.dropped_transaction > 0 {
                    format!("; an unfinished MULTI of {} commands is dropped", t.dropped_transaction)
                } else {
                    String::new()
                }
            )?;
        }
        if let Some(error) = &error {
            writeln!(out, "\nError: {error}")?;
        }
    }
    match error {
        Some(error) => anyhow::bail!("{error}"),
        None => Ok(()),
    }
}

fn dump(path: &Path, format: DumpFormat) -> anyhow::Result<()> {
    let stdout = io::stdout().lock();
    let mut dumper = Dumper::new(
        BufWriter::with_capacity(1 << 20, stdout),
        format,
        Filter::default(),
    );
    let truncation = dump_into(path, &mut dumper)?;
    dumper.finish()?;
    if let Some(t) = truncation {
        eprintln!(
            "ferry: {} ends inside a command; read up to byte {} as aof-load-truncated does",
            t.path.display(),
            t.valid_len
        );
    }
    Ok(())
}

/// Writes the whole AOF at `path` (a file, a manifest or an `appendonlydir`) through `dumper`: the
/// keys of an RDB preamble as the commands that rebuild them, then the logged commands. Returns where
/// the tail was cut when the last file ends inside a command (read as `aof-load-truncated` does).
pub fn dump_into<W: Write>(
    path: &Path,
    dumper: &mut Dumper<W>,
) -> anyhow::Result<Option<Truncation>> {
    let mut reader = AofReader::open(path)?;
    let files = reader.files().to_vec();
    let mut current = String::new();
    while let Some(item) = reader
        .next_item()
        .with_context(|| path.display().to_string())?
    {
        match item {
            AofItem::FileStart(index) => current = files[index].path.display().to_string(),
            AofItem::Rdb(item) => dumper.item(item)?,
            AofItem::Command(args) => dumper.command(&args, &current)?,
            AofItem::Timestamp(seconds) => dumper.timestamp(seconds)?,
        }
    }
    Ok(reader.truncation().cloned())
}
