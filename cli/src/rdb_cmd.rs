//! `ferry rdb info|dump|memory|convert`: inspect, export, size and rewrite RDB files with the
//! streaming reader of `ferry-rdb`. Tables for people, `--json` (or `--format`) for machines.

use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use ferry_rdb::convert::{self, loss, ConvertError, ConvertOptions, Loss, Target};
use ferry_rdb::error::escape_bytes;
use ferry_rdb::reader::{Checksum, Element, Item, KeyHeader, RdbReader};
use ferry_rdb::ValueKind;
use serde_json::json;

use crate::progress::{self, ProgressReader};
use crate::rdb_dump::{DumpFormat, Dumper, Filter};

fn parse_target(name: &str) -> Result<Target, String> {
    Target::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        format!("unknown target '{name}' (one of: {})", names.join(", "))
    })
}

fn parse_kind(name: &str) -> Result<ValueKind, String> {
    ValueKind::from_name(name).ok_or_else(|| {
        format!("unknown type '{name}' (string, list, set, zset, hash, stream, module)")
    })
}

/// Output of `rdb memory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MemoryFormat {
    /// Top keys and prefix totals as tables.
    Table,
    /// One row per key (streamed).
    Csv,
    /// Totals, top keys and prefixes as one JSON object.
    Json,
}

/// The `rdb` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RdbCommand {
    /// Header, version, aux fields, keys per database and type, expiring keys, functions, modules,
    /// and what each target would refuse.
    Info {
        /// The RDB file.
        file: PathBuf,
        /// Also list the keys this target cannot hold (valkey-9, valkey-8, redis-7, redis-7.0).
        #[arg(long, value_parser = parse_target)]
        target: Option<Target>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Every key as RESP commands or JSON lines, streamed.
    Dump {
        /// The RDB file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: DumpFormat,
        /// Only this database.
        #[arg(long)]
        db: Option<u64>,
        /// Only keys matching this glob pattern.
        #[arg(long = "match", value_name = "PATTERN")]
        pattern: Option<String>,
        /// Only keys of this type.
        #[arg(long = "type", value_name = "TYPE", value_parser = parse_kind)]
        kind: Option<ValueKind>,
    },
    /// Estimated memory per key, the biggest keys and totals by key prefix.
    Memory {
        /// The RDB file.
        file: PathBuf,
        /// How many of the biggest keys to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: MemoryFormat,
        /// The key prefix ends at the first occurrence of this separator.
        #[arg(long, default_value = ":")]
        separator: String,
    },
    /// Rewrites a file for another server, lowering encodings it cannot read.
    Convert {
        /// The source RDB file (any version ferry reads).
        input: PathBuf,
        /// The file to write.
        output: PathBuf,
        /// The server that will load the output.
        #[arg(long, value_parser = parse_target)]
        target: Target,
        /// Drop what the target cannot represent (listed) instead of refusing.
        #[arg(long)]
        lossy: bool,
        /// Do not LZF-compress long strings.
        #[arg(long)]
        no_compression: bool,
        /// Machine-readable report.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an `rdb` subcommand.
pub fn run(command: RdbCommand) -> anyhow::Result<()> {
    match command {
        RdbCommand::Info { file, target, json } => info(&file, target, json),
        RdbCommand::Dump {
            file,
            format,
            db,
            pattern,
            kind,
        } => dump(
            &file,
            format,
            Filter {
                db,
                pattern: pattern.map(String::into_bytes),
                kind,
            },
        ),
        RdbCommand::Memory {
            file,
            top,
            format,
            separator,
        } => memory(&file, top, format, separator.as_bytes()),
        RdbCommand::Convert {
            input,
            output,
            target,
            lossy,
            no_compression,
            json,
        } => convert_file(&input, &output, target, lossy, !no_compression, json),
    }
}

type Input = BufReader<ProgressReader<File>>;

/// Opens an RDB file with a progress bar.
fn open(
    path: &Path,
    message: &str,
) -> anyhow::Result<(RdbReader<Input>, indicatif::ProgressBar, u64)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress::bar(len, message);
    let input = BufReader::with_capacity(256 * 1024, ProgressReader::new(file, bar.clone()));
    let reader = RdbReader::new(input).with_context(|| format!("{}", path.display()))?;
    Ok((reader, bar, len))
}

fn text(bytes: &[u8]) -> String {
    escape_bytes(bytes)
}

/// Library name from `#!lua name=<lib>`.
fn library_name(code: &[u8]) -> String {
    let first_line = code.split(|&b| b == b'\n').next().unwrap_or_default();
    let first_line = String::from_utf8_lossy(first_line);
    first_line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("name="))
        .unwrap_or("?")
        .to_string()
}

#[derive(Default)]
struct DbStats {
    keys: u64,
    expiring: u64,
    by_kind: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
struct EncodingStats {
    keys: u64,
    elements: u64,
}

fn info(path: &Path, only_target: Option<Target>, as_json: bool) -> anyhow::Result<()> {
    let (mut reader, bar, len) = open(path, "reading")?;
    let version = reader.version();
    let mut aux: Vec<(String, String)> = Vec::new();
    let mut dbs: BTreeMap<u64, DbStats> = BTreeMap::new();
    let mut encodings: BTreeMap<(&'static str, &'static str), EncodingStats> = BTreeMap::new();
    let mut functions: Vec<String> = Vec::new();
    let mut modules: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut slot_hints = 0u64;
    let mut field_ttl_keys = 0u64;
    let mut empty_keys = 0u64;
    // per target: loss kind -> keys affected, and a sample of affected keys
    let mut refusals: BTreeMap<&'static str, BTreeMap<String, u64>> = BTreeMap::new();
    let mut affected: Vec<String> = Vec::new();
    let mut current: Option<KeyHeader> = None;
    let mut current_elements = 0u64;
    let mut current_losses: Vec<(Target, Loss)> = Vec::new();
    let mut has_ttl_field = false;
    while let Some(item) = reader
        .next_item()
        .with_context(|| path.display().to_string())?
    {
        for target in Target::ALL {
            if let Some(lost) = loss(&item, target) {
                if current.is_some() {
                    if !current_losses.contains(&(target, lost.clone())) {
                        current_losses.push((target, lost));
                    }
                } else {
                    *refusals
                        .entry(target.name())
                        .or_default()
                        .entry(lost.to_string())
                        .or_default() += 1;
                }
            }
        }
        match item {
            Item::Aux { name, value } => aux.push((text(&name), text(&value))),
            Item::Function { code } => functions.push(library_name(&code)),
            Item::ModuleAux { module, .. } => modules.entry(module.name()).or_default().1 += 1,
            Item::SlotInfo { .. } => slot_hints += 1,
            Item::Key(header) => {
                current_elements = 0;
                has_ttl_field = false;
                current = Some(header);
            }
            Item::Element(element) => {
                // Streams count their entries, not their metadata pieces.
                let counts = !matches!(
                    element,
                    Element::StreamMeta(_)
                        | Element::StreamGroup(_)
                        | Element::StreamPending(_)
                        | Element::StreamConsumer(_)
                        | Element::StreamConsumerPending(_)
                );
                current_elements += u64::from(counts);
                match element {
                    Element::Module(module) => {
                        modules.entry(module.module.name()).or_default().0 += 1
                    }
                    Element::HashField {
                        expire_ms: Some(_), ..
                    } => has_ttl_field = true,
                    _ => {}
                }
            }
            Item::KeyEnd => {
                let Some(header) = current.take() else {
                    continue;
                };
                let kind = header.rdb_type.kind();
                let db = dbs.entry(header.db).or_default();
                db.keys += 1;
                db.expiring += u64::from(header.expire_ms.is_some());
                *db.by_kind.entry(kind.name()).or_default() += 1;
                let encoding = encodings
                    .entry((kind.name(), header.rdb_type.encoding_name()))
                    .or_default();
                encoding.keys += 1;
                encoding.elements += current_elements;
                field_ttl_keys += u64::from(has_ttl_field);
                if current_elements == 0 && kind != ValueKind::String {
                    empty_keys += 1;
                }
                for (target, lost) in current_losses.drain(..) {
                    *refusals
                        .entry(target.name())
                        .or_default()
                        .entry(lost.to_string())
                        .or_default() += 1;
                    if Some(target) == only_target && affected.len() < 1000 {
                        affected.push(format!("db {} '{}': {lost}", header.db, text(&header.key)));
                    }
                }
            }
            _ => {}
        }
    }
    bar.finish_and_clear();
    let checksum = match reader.checksum() {
        Some(Checksum::Verified(value)) => format!("verified ({value:016x})"),
        Some(Checksum::Unchecked(value)) => format!("not checked ({value:016x})"),
        Some(Checksum::Disabled) => "disabled by the writer (0)".to_string(),
        Some(Checksum::Absent) | None => "none (version < 5)".to_string(),
    };
    let total_keys: u64 = dbs.values().map(|d| d.keys).sum();
    let total_expiring: u64 = dbs.values().map(|d| d.expiring).sum();
    let targets: Vec<Target> = only_target.map_or(Target::ALL.to_vec(), |t| vec![t]);

    if as_json {
        let report = json!({
            "file": path.display().to_string(),
            "size": len,
            "version": version.to_string(),
            "version_number": version.number,
            "checksum": checksum,
            "aux": aux.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "keys": total_keys,
            "expiring_keys": total_expiring,
            "hash_keys_with_field_ttls": field_ttl_keys,
            "empty_keys": empty_keys,
            "slot_info_items": slot_hints,
            "databases": dbs.iter().map(|(db, s)| json!({
                "db": db, "keys": s.keys, "expiring": s.expiring, "types": s.by_kind,
            })).collect::<Vec<_>>(),
            "encodings": encodings.iter().map(|((kind, encoding), s)| json!({
                "type": kind, "encoding": encoding, "keys": s.keys, "elements": s.elements,
            })).collect::<Vec<_>>(),
            "functions": functions,
            "modules": modules.iter().map(|(name, (values, aux))| json!({
                "name": name, "values": values, "aux": aux,
            })).collect::<Vec<_>>(),
            "targets": targets.iter().map(|t| json!({
                "target": t.name(),
                "version": t.version().to_string(),
                "refused": refusals.get(t.name()).cloned().unwrap_or_default(),
            })).collect::<Vec<_>>(),
            "refused_keys": affected,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }

    let mut out = io::stdout().lock();
    writeln!(out, "File       {} ({len} bytes)", path.display())?;
    writeln!(out, "Version    {version} (RDB {})", version.number)?;
    writeln!(out, "Checksum   {checksum}")?;
    writeln!(
        out,
        "Keys       {total_keys} ({total_expiring} with an expiry, {field_ttl_keys} hashes with field TTLs)"
    )?;
    if !aux.is_empty() {
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_header(["aux field", "value"]);
        for (name, value) in &aux {
            table.add_row([name.as_str(), value.as_str()]);
        }
        writeln!(out, "\n{table}")?;
    }
    let kinds = ["string", "list", "set", "zset", "hash", "stream", "module"];
    let mut table = Table::new();
    let mut header = vec!["db", "keys", "expiring"];
    header.extend(kinds);
    table.load_style(UTF8_FULL_CONDENSED).set_header(header);
    for (db, stats) in &dbs {
        let mut row = vec![
            db.to_string(),
            stats.keys.to_string(),
            stats.expiring.to_string(),
        ];
        row.extend(
            kinds
                .iter()
                .map(|k| stats.by_kind.get(k).copied().unwrap_or(0).to_string()),
        );
        table.add_row(row);
    }
    writeln!(out, "\n{table}")?;
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header([
        "type",
        "encoding in file",
        "keys",
        "elements",
    ]);
    for ((kind, encoding), stats) in &encodings {
        table.add_row([
            kind.to_string(),
            encoding.to_string(),
            stats.keys.to_string(),
            stats.elements.to_string(),
        ]);
    }
    writeln!(out, "\n{table}")?;
    if !functions.is_empty() {
        writeln!(out, "\nFunction libraries: {}", functions.join(", "))?;
    }
    if !modules.is_empty() {
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_header(["module type", "values", "aux items"]);
        for (name, (values, aux)) in &modules {
            table.add_row([name.clone(), values.to_string(), aux.to_string()]);
        }
        writeln!(out, "\n{table}")?;
    }
    if slot_hints > 0 {
        writeln!(out, "\nSlot info hints: {slot_hints}")?;
    }
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header([
        "target",
        "writes",
        "would refuse (use --lossy to drop)",
    ]);
    for target in &targets {
        let refused = refusals.get(target.name()).map_or_else(
            || "nothing".to_string(),
            |losses| {
                losses
                    .iter()
                    .map(|(what, n)| format!("{n} × {what}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            },
        );
        table.add_row([
            target.name().to_string(),
            target.version().to_string(),
            refused,
        ]);
    }
    writeln!(out, "\n{table}")?;
    for line in &affected {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

fn dump(path: &Path, format: DumpFormat, filter: Filter) -> anyhow::Result<()> {
    let (mut reader, bar, _) = open(path, "dumping")?;
    let stdout = io::stdout().lock();
    let mut dumper = Dumper::new(BufWriter::with_capacity(1 << 20, stdout), format, filter);
    loop {
        match reader.next_item() {
            Ok(Some(item)) => dumper.item(item)?,
            Ok(None) => break,
            Err(error) => return Err(error).context(path.display().to_string()),
        }
    }
    bar.finish_and_clear();
    let skipped = dumper.modules_skipped;
    dumper.finish()?;
    if skipped > 0 {
        eprintln!("ferry: {skipped} module value(s) have no RESP form and were skipped");
    }
    Ok(())
}

/// Element statistics of one key, for the memory estimate.
#[derive(Default)]
struct KeySize {
    elements: u64,
    bytes: u64,
    max_element: u64,
    all_integers: bool,
    stream_entries: u64,
    module_bytes: u64,
    /// A hash field has a TTL (Valkey keeps such hashes as hashtables).
    field_ttls: bool,
}

const ENTRY_OVERHEAD: u64 = 48;

/// An estimate of what the key takes in a Valkey 9 server: the keyspace entry, the object and its
/// encoding, using the default compact-encoding thresholds. Per-element overheads were calibrated
/// against `MEMORY USAGE` of Valkey 9.1 on the corpus (within about ±30% for collections).
fn estimate(header: &KeyHeader, size: &KeySize) -> (u64, &'static str) {
    let key =
        ENTRY_OVERHEAD + header.key.len() as u64 + if header.expire_ms.is_some() { 8 } else { 0 };
    let small = |entries: u64, max_entries: u64| entries <= max_entries && size.max_element <= 64;
    let (value, encoding) = match header.rdb_type.kind() {
        ValueKind::String => {
            if size.all_integers && size.bytes <= 20 {
                (0, "int")
            } else if size.bytes <= 44 {
                (size.bytes, "embstr")
            } else {
                (size.bytes + 16, "raw")
            }
        }
        ValueKind::List => {
            let payload = size.bytes + 2 * size.elements;
            (payload + payload.div_ceil(8192) * 32 + 16, "quicklist")
        }
        ValueKind::Set => {
            if size.all_integers && size.elements <= 512 {
                (8 + 8 * size.elements, "intset")
            } else if small(size.elements, 128) {
                (size.bytes + 2 * size.elements + 7, "listpack")
            } else {
                (size.bytes + 32 * size.elements, "hashtable")
            }
        }
        ValueKind::SortedSet => {
            if small(size.elements, 128) {
                (size.bytes + 12 * size.elements + 7, "listpack")
            } else {
                (size.bytes + 74 * size.elements, "skiplist")
            }
        }
        ValueKind::Hash => {
            if small(size.elements, 512) && !size.field_ttls {
                (size.bytes + 4 * size.elements + 7, "listpack")
            } else {
                (size.bytes + 36 * size.elements, "hashtable")
            }
        }
        ValueKind::Stream => (size.bytes + 12 * size.stream_entries + 128, "stream"),
        ValueKind::Module => (size.module_bytes, "module"),
    };
    (key + value, encoding)
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Ranked {
    bytes: u64,
    db: u64,
    key: Vec<u8>,
    kind: &'static str,
    encoding: &'static str,
    elements: u64,
}

fn memory(path: &Path, top: usize, format: MemoryFormat, separator: &[u8]) -> anyhow::Result<()> {
    let (mut reader, bar, _) = open(path, "sizing")?;
    let mut csv = (format == MemoryFormat::Csv).then(|| BufWriter::new(io::stdout().lock()));
    if let Some(out) = &mut csv {
        writeln!(
            out,
            "db,key,type,encoding,size_in_bytes,elements,largest_element,expire_ms"
        )?;
    }
    let mut biggest: BinaryHeap<std::cmp::Reverse<Ranked>> = BinaryHeap::new();
    let mut prefixes: HashMap<Vec<u8>, (u64, u64)> = HashMap::new();
    let mut by_kind: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
    let (mut total_keys, mut total_bytes) = (0u64, 0u64);
    let mut current: Option<(KeyHeader, KeySize)> = None;
    while let Some(item) = reader
        .next_item()
        .with_context(|| path.display().to_string())?
    {
        match item {
            Item::Key(header) => {
                let size = KeySize {
                    all_integers: true,
                    ..Default::default()
                };
                current = Some((header, size));
            }
            Item::Element(element) => {
                let Some((_, size)) = &mut current else {
                    continue;
                };
                size.elements += 1;
                let mut add = |bytes: &[u8], integer_candidate: bool| {
                    size.bytes += bytes.len() as u64;
                    size.max_element = size.max_element.max(bytes.len() as u64);
                    if integer_candidate {
                        size.all_integers &= std::str::from_utf8(bytes)
                            .ok()
                            .and_then(|s| s.parse::<i64>().ok())
                            .is_some_and(|n| n.to_string().as_bytes() == bytes);
                    }
                };
                match &element {
                    Element::String(v) | Element::ListItem(v) | Element::SetMember(v) => {
                        add(v, true)
                    }
                    Element::ZsetMember { member, .. } => add(member, false),
                    Element::HashField {
                        field,
                        value,
                        expire_ms,
                    } => {
                        add(field, false);
                        add(value, false);
                        size.field_ttls |= expire_ms.is_some();
                    }
                    Element::StreamEntry(entry) => {
                        size.stream_entries += 1;
                        for (field, value) in &entry.fields {
                            add(field, false);
                            add(value, false);
                        }
                    }
                    Element::Module(module) => size.module_bytes += module.size,
                    _ => {}
                }
            }
            Item::KeyEnd => {
                let Some((header, size)) = current.take() else {
                    continue;
                };
                let (bytes, encoding) = estimate(&header, &size);
                let kind = header.rdb_type.kind().name();
                total_keys += 1;
                total_bytes += bytes;
                let entry = by_kind.entry(kind).or_default();
                entry.0 += 1;
                entry.1 += bytes;
                let prefix = match header
                    .key
                    .windows(separator.len().max(1))
                    .position(|w| !separator.is_empty() && w == separator)
                {
                    Some(at) => header.key[..at].to_vec(),
                    None => header.key.clone(),
                };
                let entry = prefixes.entry(prefix).or_default();
                entry.0 += 1;
                entry.1 += bytes;
                if let Some(out) = &mut csv {
                    let key = text(&header.key).replace('"', "\"\"");
                    writeln!(
                        out,
                        "{},\"{key}\",{kind},{encoding},{bytes},{},{},{}",
                        header.db,
                        size.elements,
                        size.max_element,
                        header.expire_ms.map(|e| e.to_string()).unwrap_or_default()
                    )?;
                }
                biggest.push(std::cmp::Reverse(Ranked {
                    bytes,
                    db: header.db,
                    key: header.key,
                    kind,
                    encoding,
                    elements: size.elements,
                }));
                if biggest.len() > top {
                    biggest.pop();
                }
            }
            _ => {}
        }
    }
    bar.finish_and_clear();
    if let Some(mut out) = csv {
        out.flush()?;
        return Ok(());
    }
    let mut top_keys: Vec<Ranked> = biggest.into_iter().map(|r| r.0).collect();
    top_keys.sort_by(|a, b| b.cmp(a));
    let mut prefix_rows: Vec<(Vec<u8>, (u64, u64))> = prefixes.into_iter().collect();
    prefix_rows.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then_with(|| a.0.cmp(&b.0)));
    prefix_rows.truncate(top.max(20));
    if format == MemoryFormat::Json {
        let report = json!({
            "keys": total_keys,
            "estimated_bytes": total_bytes,
            "by_type": by_kind.iter().map(|(k, (n, b))| (k.to_string(), json!({"keys": n, "bytes": b})))
                .collect::<serde_json::Map<_, _>>(),
            "top_keys": top_keys.iter().map(|r| json!({
                "db": r.db, "key": text(&r.key), "type": r.kind, "encoding": r.encoding,
                "bytes": r.bytes, "elements": r.elements,
            })).collect::<Vec<_>>(),
            "prefixes": prefix_rows.iter().map(|(p, (n, b))| json!({
                "prefix": text(p), "keys": n, "bytes": b,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{total_keys} keys, about {total_bytes} bytes in memory (estimate)"
    )?;
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(["type", "keys", "bytes"]);
    for (kind, (keys, bytes)) in &by_kind {
        table.add_row([kind.to_string(), keys.to_string(), bytes.to_string()]);
    }
    writeln!(out, "\n{table}")?;
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(["db", "key", "type", "encoding", "elements", "bytes"]);
    for r in &top_keys {
        table.add_row([
            r.db.to_string(),
            text(&r.key),
            r.kind.to_string(),
            r.encoding.to_string(),
            r.elements.to_string(),
            r.bytes.to_string(),
        ]);
    }
    writeln!(out, "\nBiggest keys\n{table}")?;
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(["prefix", "keys", "bytes"]);
    for (prefix, (keys, bytes)) in &prefix_rows {
        table.add_row([text(prefix), keys.to_string(), bytes.to_string()]);
    }
    writeln!(out, "\nBy prefix\n{table}")?;
    Ok(())
}

fn convert_file(
    input: &Path,
    output: &Path,
    target: Target,
    lossy: bool,
    compress: bool,
    as_json: bool,
) -> anyhow::Result<()> {
    let (reader, bar, _) = open(input, "converting")?;
    let mut temporary = output.as_os_str().to_owned();
    temporary.push(".ferry-tmp");
    let temporary = PathBuf::from(temporary);
    let file = File::create(&temporary)
        .with_context(|| format!("cannot create {}", temporary.display()))?;
    let options = ConvertOptions {
        target,
        lossy,
        compress,
    };
    let result = convert::convert(
        reader,
        BufWriter::with_capacity(1 << 20, file),
        options,
        |_| {},
    );
    bar.finish_and_clear();
    let report = match result {
        Ok((writer, report)) => {
            writer
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|file| file.sync_all())
                .with_context(|| format!("writing {}", temporary.display()))?;
            std::fs::rename(&temporary, output)
                .with_context(|| format!("renaming to {}", output.display()))?;
            report
        }
        Err(error) => {
            std::fs::remove_file(&temporary).ok();
            if let ConvertError::Refused { report, .. } = &error {
                if as_json {
                    let list: Vec<String> = report.dropped.iter().map(|d| d.to_string()).collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&json!({"refused": list}))?
                    );
                } else {
                    for dropped in &report.dropped {
                        eprintln!("  {dropped}");
                    }
                }
            }
            bail!("{}: {error}", input.display());
        }
    };
    let dropped: Vec<String> = report.dropped.iter().map(|d| d.to_string()).collect();
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "output": output.display().to_string(),
                "target": target.name(),
                "version": target.version().to_string(),
                "keys": report.keys,
                "functions": report.functions,
                "empty_keys_skipped": report.empty_skipped,
                "dropped": dropped,
            }))?
        );
    } else {
        println!(
            "wrote {} ({} for {target}): {} keys, {} function libraries",
            output.display(),
            target.version(),
            report.keys,
            report.functions
        );
        if report.empty_skipped > 0 {
            println!("skipped {} empty collections", report.empty_skipped);
        }
        if !dropped.is_empty() {
            println!("dropped ({}):", dropped.len());
            for line in &dropped {
                println!("  {line}");
            }
        }
        if report.max_db >= 16 {
            println!(
                "note: keys in database {}; the target needs `databases {}` or more",
                report.max_db,
                report.max_db + 1
            );
        }
    }
    Ok(())
}
