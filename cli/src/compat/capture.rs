//! `ferry compat capture`: records live traffic through MONITOR into a replay file, and reads such files
//! back.
//!
//! A MONITOR line is `+<seconds>.<micros> [<db> <client address>] "arg" "arg" ...` with each argument
//! quoted and escaped as sdscatrepr does (`\\ \" \n \r \t \a \b \xHH`). Commands a script ran (`[0 lua]`)
//! are left out: replaying the EVAL runs them again.
//!
//! The replay file is JSON lines. The first line is a header,
//! `{"ferry_capture":1,"source":"redis://host:port","started_us":...}`; each further line is one command:
//! `{"client":1,"addr":"127.0.0.1:51234","db":0,"time_us":1700000000123456,"argv":["SET","k","v"]}`.
//! `client` numbers the captured connections from 1 in order of appearance. When an argument is not
//! UTF-8 the record carries `"argv_base64"` (every argument base64-encoded) instead of `"argv"`.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, BufWriter, ErrorKind, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use base64::prelude::{Engine as _, BASE64_STANDARD};
use clap::Args;
use ferry_compat::cases::split_args;
use ferry_compat::client::encode_command;
use serde::{Deserialize, Serialize};

use super::endpoint::RedisUrl;
use super::progress;

/// The replay file format version written in the header.
pub const FORMAT_VERSION: u32 = 1;

/// `ferry compat capture`
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// The server to watch: redis://[user:pass@]host:port.
    #[arg(value_name = "URL")]
    url: RedisUrl,
    /// How long to record.
    #[arg(long, value_name = "N")]
    seconds: u64,
    /// The replay file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print no progress.
    #[arg(long, short)]
    quiet: bool,
}

/// One parsed MONITOR line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorLine {
    /// When the command ran, in microseconds since the epoch.
    pub time_us: u64,
    /// The database it ran in.
    pub db: u32,
    /// The client's address (`127.0.0.1:51234`, `unix:/tmp/s.sock`, `lua`).
    pub addr: String,
    /// The command.
    pub argv: Vec<Vec<u8>>,
}

/// Parses one MONITOR line (with or without the leading `+` and the trailing CRLF).
pub fn parse_monitor_line(line: &[u8]) -> Option<MonitorLine> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"+").unwrap_or(line);
    let space = line.iter().position(|&b| b == b' ')?;
    let time_us = parse_timestamp(std::str::from_utf8(&line[..space]).ok()?)?;
    let rest = line[space + 1..].strip_prefix(b"[")?;
    let db_end = rest.iter().position(|&b| b == b' ')?;
    let db = std::str::from_utf8(&rest[..db_end]).ok()?.parse().ok()?;
    let rest = &rest[db_end + 1..];
    // The address ends at the first `] "`: an IPv6 address has its own brackets, followed by `:port`.
    let addr_end = rest.windows(3).position(|w| w == b"] \"")?;
    let addr = String::from_utf8_lossy(&rest[..addr_end]).into_owned();
    let argv = split_args(&rest[addr_end + 2..]).ok()?;
    if argv.is_empty() {
        return None;
    }
    Some(MonitorLine {
        time_us,
        db,
        addr,
        argv,
    })
}

fn parse_timestamp(text: &str) -> Option<u64> {
    let (seconds, micros) = text.split_once('.')?;
    if micros.len() != 6 {
        return None;
    }
    let seconds: u64 = seconds.parse().ok()?;
    let micros: u64 = micros.parse().ok()?;
    seconds.checked_mul(1_000_000)?.checked_add(micros)
}

/// The first line of a replay file.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    ferry_capture: u32,
    source: String,
    started_us: u64,
}

/// A command line of a replay file, as stored.
#[derive(Debug, Serialize, Deserialize)]
struct RecordJson {
    client: usize,
    addr: String,
    db: u32,
    time_us: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    argv: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    argv_base64: Option<Vec<String>>,
}

/// One captured command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its 1-based line in the replay file.
    pub line: usize,
    /// The captured connection (1-based).
    pub client: usize,
    /// That connection's address.
    pub addr: String,
    /// The database it ran in.
    pub db: u32,
    /// When it ran (microseconds since the epoch).
    pub time_us: u64,
    /// The command.
    pub argv: Vec<Vec<u8>>,
}

/// Serialises one record as a JSON line (without the newline).
pub fn record_json(client: usize, line: &MonitorLine) -> String {
    let text: Option<Vec<String>> = line
        .argv
        .iter()
        .map(|arg| String::from_utf8(arg.clone()).ok())
        .collect();
    let record = RecordJson {
        client,
        addr: line.addr.clone(),
        db: line.db,
        time_us: line.time_us,
        argv_base64: text.is_none().then(|| {
            line.argv
                .iter()
                .map(|a| BASE64_STANDARD.encode(a))
                .collect()
        }),
        argv: text,
    };
    serde_json::to_string(&record).unwrap_or_default()
}

/// Parses a replay file.
pub fn parse_capture(name: &str, text: &[u8]) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        if raw.trim_ascii().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_slice(raw)
            .with_context(|| format!("{name}:{line_no}: not a JSON object"))?;
        if let Some(version) = value.get("ferry_capture") {
            if version.as_u64() != Some(u64::from(FORMAT_VERSION)) {
                bail!("{name}:{line_no}: capture format {version} is not supported (this ferry reads {FORMAT_VERSION})");
            }
            continue;
        }
        let record: RecordJson = serde_json::from_value(value)
            .with_context(|| format!("{name}:{line_no}: not a capture record"))?;
        let argv = match (record.argv, record.argv_base64) {
            (Some(argv), None) => argv.into_iter().map(String::into_bytes).collect(),
            (None, Some(encoded)) => encoded
                .iter()
                .map(|a| BASE64_STANDARD.decode(a))
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("{name}:{line_no}: bad base64 in argv_base64"))?,
            _ => bail!("{name}:{line_no}: a record needs exactly one of argv and argv_base64"),
        };
        if argv.is_empty() || record.client == 0 {
            bail!("{name}:{line_no}: empty argv or client 0");
        }
        records.push(Record {
            line: line_no,
            client: record.client,
            addr: record.addr,
            db: record.db,
            time_us: record.time_us,
            argv,
        });
    }
    Ok(records)
}

/// Watches the server for `--seconds` and writes what it saw.
pub fn capture(args: CaptureArgs) -> anyhow::Result<()> {
    let addr = args.url.resolve()?;
    let source = args.url.display_safe();
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .with_context(|| format!("connecting to {source}"))?;
    let mut writer_stream = stream.try_clone().context("cloning the socket")?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    let mut setup: Vec<Vec<Vec<u8>>> = args
        .url
        .setup_commands()
        .into_iter()
        .filter(|argv| argv[0] == b"AUTH")
        .collect();
    setup.push(vec![b"MONITOR".to_vec()]);
    reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .context("setting a timeout")?;
    for argv in &setup {
        writer_stream
            .write_all(&encode_command(argv))
            .with_context(|| format!("writing to {source}"))?;
        line.clear();
        reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading from {source}"))?;
        if !line.starts_with(b"+") {
            bail!(
                "{} answered {}",
                String::from_utf8_lossy(&argv[0]),
                String::from_utf8_lossy(&line).trim_end()
            );
        }
    }
    let out = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut out = BufWriter::new(out);
    let header = Header {
        ferry_capture: FORMAT_VERSION,
        source: source.clone(),
        started_us: now_us(),
    };
    writeln!(out, "{}", serde_json::to_string(&header)?)?;
    let spinner = progress::spinner(!args.quiet);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut clients: HashMap<String, usize> = HashMap::new();
    let mut commands = 0u64;
    line.clear();
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        reader
            .get_ref()
            .set_read_timeout(Some((deadline - now).max(Duration::from_millis(1))))
            .context("setting a timeout")?;
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => bail!("{source} closed the MONITOR connection"),
            Ok(_) if line.ends_with(b"\n") => {
                if line.starts_with(b"-") {
                    bail!(
                        "{source} sent an error: {}",
                        String::from_utf8_lossy(&line).trim_end()
                    );
                }
                if let Some(parsed) = parse_monitor_line(&line).filter(|p| p.addr != "lua") {
                    let next = clients.len() + 1;
                    let client = *clients.entry(parsed.addr.clone()).or_insert(next);
                    writeln!(out, "{}", record_json(client, &parsed))?;
                    commands += 1;
                    spinner.set_message(format!(
                        "captured {commands} commands from {} clients",
                        clients.len()
                    ));
                }
                line.clear();
            }
            // A partial line stays in `line` and is completed by the next read.
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e).with_context(|| format!("reading from {source}")),
        }
    }
    out.flush()
        .with_context(|| format!("writing {}", args.out.display()))?;
    spinner.finish_and_clear();
    eprintln!(
        "captured {commands} commands from {} clients in {} s into {}",
        clients.len(),
        args.seconds,
        args.out.display()
    );
    Ok(())
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_monitor_lines() {
        let line = parse_monitor_line(
            b"+1795858576.867221 [0 127.0.0.1:39944] \"set\" \"k\" \"a b\\\"\\\\ \\x01\\xc3\\xa9\"\r\n",
        )
        .unwrap();
        assert_eq!(line.time_us, 1_795_858_576_867_221);
        assert_eq!(line.db, 0);
        assert_eq!(line.addr, "127.0.0.1:39944");
        assert_eq!(
            line.argv,
            vec![
                b"set".to_vec(),
                b"k".to_vec(),
                b"a b\"\\ \x01\xc3\xa9".to_vec()
            ]
        );
        let v6 = parse_monitor_line(b"1.000001 [15 [::1]:6000] \"PING\"").unwrap();
        assert_eq!((v6.db, v6.addr.as_str()), (15, "[::1]:6000"));
        let lua = parse_monitor_line(b"+1.000000 [0 lua] \"set\" \"z\" \"1\"").unwrap();
        assert_eq!(lua.addr, "lua");
        let unix = parse_monitor_line(b"+1.000000 [2 unix:/tmp/a b.sock] \"GET\" \"\"").unwrap();
        assert_eq!(unix.addr, "unix:/tmp/a b.sock");
        assert_eq!(unix.argv, vec![b"GET".to_vec(), Vec::new()]);
        for bad in [
            &b"+OK"[..],
            b"+1.5 [0 a] \"x\"",
            b"+x.000000 [0 a] \"x\"",
            b"+1.000000 [z a] \"x\"",
            b"+1.000000 [0 a]",
            b"+1.000000 [0 a] \"unterminated",
        ] {
            assert_eq!(
                parse_monitor_line(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn records_round_trip_text_and_binary() {
        let text = MonitorLine {
            time_us: 5,
            db: 3,
            addr: "127.0.0.1:1".into(),
            argv: vec![b"SET".to_vec(), b"k\n\"".to_vec()],
        };
        let binary = MonitorLine {
            argv: vec![b"SET".to_vec(), vec![0xff, 0]],
            ..text.clone()
        };
        let text_json = record_json(1, &text);
        assert!(
            text_json.contains("\"argv\":[\"SET\",\"k\\n\\\"\"]"),
            "{text_json}"
        );
        let binary_json = record_json(2, &binary);
        assert!(binary_json.contains("argv_base64"), "{binary_json}");
        let file = format!(
            "{{\"ferry_capture\":1,\"source\":\"redis://h:1\",\"started_us\":0}}\n{text_json}\n\n{binary_json}\n"
        );
        let records = parse_capture("c.jsonl", file.as_bytes()).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(
            (records[0].line, records[0].client, records[0].db),
            (2, 1, 3)
        );
        assert_eq!(records[0].argv, text.argv);
        assert_eq!((records[1].line, records[1].client), (4, 2));
        assert_eq!(records[1].argv, binary.argv);
    }

    #[test]
    fn rejects_bad_capture_files() {
        for bad in [
            "{\"ferry_capture\":2,\"source\":\"\",\"started_us\":0}",
            "not json",
            "{\"client\":1,\"addr\":\"a\",\"db\":0,\"time_us\":0}",
            "{\"client\":1,\"addr\":\"a\",\"db\":0,\"time_us\":0,\"argv\":[]}",
            "{\"client\":0,\"addr\":\"a\",\"db\":0,\"time_us\":0,\"argv\":[\"PING\"]}",
            "{\"client\":1,\"addr\":\"a\",\"db\":0,\"time_us\":0,\"argv_base64\":[\"!!\"]}",
        ] {
            let error = parse_capture("c.jsonl", bad.as_bytes()).unwrap_err();
            assert!(error.to_string().contains("c.jsonl:1"), "{error}");
        }
    }
}
