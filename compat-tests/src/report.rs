//! Divergences and statistics of a differential run, and their text rendering.

use std::collections::BTreeMap;
use std::fmt;

use crate::client::Response;

/// Where a command came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of a case file.
    Case {
        /// The case file name, e.g. "strings.txt".
        file: String,
        /// The case name.
        case: String,
        /// 1-based line in the file.
        line: usize,
    },
    /// A command of a seeded random stream.
    Random {
        /// The stream's seed.
        seed: u64,
        /// 0-based position in the stream.
        index: usize,
    },
    /// Harness setup (FLUSHALL before a case or stream).
    Setup,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Case { file, case, line } => write!(f, "{file}:{line} [{case}]"),
            Origin::Random { seed, index } => write!(f, "seed {seed} #{index}"),
            Origin::Setup => write!(f, "setup"),
        }
    }
}

/// One command whose replies differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// Where the command came from.
    pub origin: Origin,
    /// The connection (1-based) it ran on.
    pub client: usize,
    /// The request, escaped (a command line, or `@raw "..."`).
    pub request: String,
    /// The reference's reply, escaped.
    pub reference: String,
    /// The target's reply, escaped.
    pub target: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}", self.origin)?;
        if self.client != 1 {
            write!(f, " client {}", self.client)?;
        }
        writeln!(f, "] {}", self.request)?;
        writeln!(f, "    reference: {}", self.reference)?;
        write!(f, "    target:    {}", self.target)
    }
}

/// Per-command counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommandStats {
    /// Times sent.
    pub sent: u64,
    /// Times the replies differed.
    pub divergent: u64,
}

/// The outcome of a differential run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// A name for the reference side.
    pub reference_label: String,
    /// A name for the target side.
    pub target_label: String,
    /// Every divergence, in order.
    pub divergences: Vec<Divergence>,
    /// Counters by command name (with the subcommand for container commands, e.g. "OBJECT ENCODING").
    pub stats: BTreeMap<String, CommandStats>,
    /// Cases run.
    pub cases: usize,
    /// Random streams run.
    pub streams: usize,
    /// Commands (and raw requests) compared.
    pub commands: u64,
}

/// The longest escaped reply shown in a report line.
const MAX_SHOWN_CHARS: usize = 400;

impl Report {
    /// An empty report.
    pub fn new(reference_label: impl Into<String>, target_label: impl Into<String>) -> Report {
        Report {
            reference_label: reference_label.into(),
            target_label: target_label.into(),
            ..Report::default()
        }
    }

    /// Whether nothing diverged.
    pub fn is_clean(&self) -> bool {
        self.divergences.is_empty()
    }

    /// Counts one comparison of `command_key`.
    pub fn count(&mut self, command_key: &str, diverged: bool) {
        let stats = self.stats.entry(command_key.to_string()).or_default();
        stats.sent += 1;
        if diverged {
            stats.divergent += 1;
        }
        self.commands += 1;
    }

    /// Adds the counts and divergences of another report.
    pub fn merge(&mut self, other: Report) {
        self.divergences.extend(other.divergences);
        for (name, stats) in other.stats {
            let mine = self.stats.entry(name).or_default();
            mine.sent += stats.sent;
            mine.divergent += stats.divergent;
        }
        self.cases += other.cases;
        self.streams += other.streams;
        self.commands += other.commands;
    }

    /// A one-paragraph summary and the per-command table of the commands that diverged.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{} vs {}: {} cases, {} random streams, {} commands compared, {} divergences\n",
            self.reference_label,
            self.target_label,
            self.cases,
            self.streams,
            self.commands,
            self.divergences.len()
        );
        let divergent: Vec<_> = self.stats.iter().filter(|(_, s)| s.divergent > 0).collect();
        if !divergent.is_empty() {
            out.push_str("divergent commands (divergent / sent):\n");
            for (name, stats) in divergent {
                out.push_str(&format!(
                    "  {name:<24} {:>6} / {}\n",
                    stats.divergent, stats.sent
                ));
            }
        }
        out
    }

    /// The summary followed by the first `max_listed` divergences (all of them when `None`).
    pub fn render(&self, max_listed: Option<usize>) -> String {
        let mut out = self.summary();
        let limit = max_listed.unwrap_or(usize::MAX);
        for divergence in self.divergences.iter().take(limit) {
            out.push_str(&divergence.to_string());
            out.push('\n');
        }
        if self.divergences.len() > limit {
            out.push_str(&format!(
                "... and {} more divergences\n",
                self.divergences.len() - limit
            ));
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(None))
    }
}

/// Renders bytes as a double-quoted string with redis-cli style escapes.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// Renders a command line: arguments escaped only when they need quoting.
pub fn format_command(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|arg| {
            let plain = !arg.is_empty()
                && arg
                    .iter()
                    .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
            if plain {
                String::from_utf8_lossy(arg).into_owned()
            } else {
                escape(arg)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders a response for a report line, shortened when very long.
pub fn format_response(response: &Response) -> String {
    let text = match response {
        Response::Reply(reply) => escape(&reply.raw),
        Response::Closed => "<connection closed>".to_string(),
        Response::Timeout => "<no reply before the timeout>".to_string(),
        Response::Malformed { raw, error } => format!("<not RESP: {error}> {}", escape(raw)),
    };
    shorten(text)
}

fn shorten(text: String) -> String {
    if text.chars().count() <= MAX_SHOWN_CHARS {
        return text;
    }
    let cut: String = text.chars().take(MAX_SHOWN_CHARS).collect();
    format!("{cut}... ({} chars)", text.chars().count())
}

/// The name under which a command is counted: upper-case, with the subcommand for container commands.
pub fn command_key(argv: &[Vec<u8>]) -> String {
    const CONTAINERS: &[&str] = &[
        "ACL",
        "CLIENT",
        "CLUSTER",
        "COMMAND",
        "COMMANDLOG",
        "CONFIG",
        "DEBUG",
        "FUNCTION",
        "LATENCY",
        "MEMORY",
        "MODULE",
        "OBJECT",
        "PUBSUB",
        "SCRIPT",
        "SLOWLOG",
        "XGROUP",
        "XINFO",
    ];
    let Some(name) = argv.first() else {
        return "(empty)".to_string();
    };
    let name = String::from_utf8_lossy(name).to_ascii_uppercase();
    match argv.get(1) {
        Some(sub) if CONTAINERS.contains(&name.as_str()) => {
            format!(
                "{name} {}",
                String::from_utf8_lossy(sub).to_ascii_uppercase()
            )
        }
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_redis_cli() {
        assert_eq!(escape(b"a\"b\\\r\n\x00\xff"), r#""a\"b\\\r\n\x00\xff""#);
        assert_eq!(
            format_command(&[b"SET".to_vec(), b"a b".to_vec(), Vec::new(), b"x".to_vec()]),
            r#"SET "a b" "" x"#
        );
        assert_eq!(
            command_key(&[b"object".to_vec(), b"encoding".to_vec()]),
            "OBJECT ENCODING"
        );
        assert_eq!(command_key(&[b"get".to_vec(), b"k".to_vec()]), "GET");
    }

    #[test]
    fn counts_and_renders() {
        let mut report = Report::new("valkey", "ferry");
        report.count("GET", false);
        report.count("INCR", true);
        report.divergences.push(Divergence {
            origin: Origin::Random { seed: 1, index: 4 },
            client: 1,
            request: "INCR k".into(),
            reference: "\":1\\r\\n\"".into(),
            target: "\"-ERR\\r\\n\"".into(),
        });
        let text = report.render(Some(0));
        assert!(
            text.contains("2 commands compared, 1 divergences"),
            "{text}"
        );
        assert!(text.contains("INCR"), "{text}");
        assert!(text.contains("... and 1 more"), "{text}");
        assert!(report.to_string().contains("[seed 1 #4] INCR k"));
    }
}
