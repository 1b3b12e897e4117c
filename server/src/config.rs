//! Server configuration: one table of parameters drives config-file parsing, `--name value` arguments,
//! CONFIG GET/SET/REWRITE and defaults, with Valkey's names, value syntax and error texts.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// The kind of value a parameter holds, with its parsing rules.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes`/`no`.
    Bool,
    /// An integer within bounds.
    Int { min: i64, max: i64 },
    /// A byte count accepting `k`, `kb`, `m`, `mb`, `g`, `gb` suffixes.
    Memory { min: i64, max: i64 },
    /// Free text.
    Str,
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
    /// `save`: pairs of seconds and changes, or empty.
    SavePoints,
    /// `bind`: a list of addresses.
    AddressList,
}

/// One configuration parameter.
#[derive(Debug)]
pub struct Param {
    /// Canonical name.
    pub name: &'static str,
    /// Older name also accepted (and listed by CONFIG GET patterns), if any.
    pub alias: Option<&'static str>,
    /// Value syntax.
    pub kind: Kind,
    /// Default value, in config-file syntax.
    pub default: &'static str,
    /// True when CONFIG SET refuses to change it.
    pub immutable: bool,
}

const fn param(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        immutable: false,
    }
}

const fn fixed(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        immutable: true,
    }
}

const fn aliased(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias: Some(alias),
        kind,
        default,
        immutable: false,
    }
}

const INT: Kind = Kind::Int {
    min: i32::MIN as i64,
    max: i32::MAX as i64,
};
const NON_NEGATIVE: Kind = Kind::Int {
    min: 0,
    max: i32::MAX as i64,
};
const LONG: Kind = Kind::Int {
    min: 0,
    max: i64::MAX,
};
const MEMORY: Kind = Kind::Memory {
    min: 0,
    max: i64::MAX,
};

/// Every parameter ferry understands.
pub static PARAMS: &[Param] = &[
    param("port", Kind::Int { min: 0, max: 65535 }, "6379"),
    param("bind", Kind::AddressList, "* -::*"),
    param("protected-mode", Kind::Bool, "yes"),
    param("requirepass", Kind::Str, ""),
    fixed(
        "databases",
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        "16",
    ),
    param("hz", INT, "10"),
    param("timeout", NON_NEGATIVE, "0"),
    param("tcp-keepalive", NON_NEGATIVE, "300"),
    fixed("tcp-backlog", NON_NEGATIVE, "511"),
    param(
        "maxclients",
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        "10000",
    ),
    param(
        "proto-max-bulk-len",
        Kind::Memory {
            min: 1024 * 1024,
            max: i64::MAX,
        },
        "536870912",
    ),
    param(
        "client-query-buffer-limit",
        Kind::Memory {
            min: 1024 * 1024,
            max: i64::MAX,
        },
        "1073741824",
    ),
    param("maxmemory", MEMORY, "0"),
    param(
        "maxmemory-policy",
        Kind::Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ]),
        "noeviction",
    ),
    param("dir", Kind::Str, ""),
    param("dbfilename", Kind::Str, "dump.rdb"),
    param("save", Kind::SavePoints, "3600 1 300 100 60 10000"),
    param("appendonly", Kind::Bool, "no"),
    fixed("appendfilename", Kind::Str, "appendonly.aof"),
    fixed("appenddirname", Kind::Str, "appendonlydir"),
    param(
        "appendfsync",
        Kind::Enum(&["always", "everysec", "no"]),
        "everysec",
    ),
    fixed("daemonize", Kind::Bool, "no"),
    param(
        "loglevel",
        Kind::Enum(&["debug", "verbose", "notice", "warning", "nothing"]),
        "notice",
    ),
    fixed("logfile", Kind::Str, ""),
    fixed("pidfile", Kind::Str, ""),
    fixed(
        "enable-debug-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    ),
    fixed("io-threads", Kind::Int { min: 1, max: 256 }, "1"),
    param("lazyfree-lazy-user-flush", Kind::Bool, "yes"),
    param("lazyfree-lazy-user-del", Kind::Bool, "yes"),
    param(
        "slowlog-log-slower-than",
        Kind::Int {
            min: -1,
            max: i64::MAX,
        },
        "10000",
    ),
    param("slowlog-max-len", LONG, "128"),
    param("latency-monitor-threshold", LONG, "0"),
    param("active-expire-effort", Kind::Int { min: 1, max: 10 }, "1"),
    aliased("replica-read-only", "slave-read-only", Kind::Bool, "yes"),
    param("notify-keyspace-events", Kind::Str, ""),
    param("hll-sparse-max-bytes", MEMORY, "3000"),
    param("lfu-log-factor", NON_NEGATIVE, "10"),
    param("lfu-decay-time", NON_NEGATIVE, "1"),
];

/// A configuration error, worded like Valkey's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A directive ferry does not know, or with the wrong number of arguments.
    #[error("Bad directive or wrong number of arguments")]
    BadDirective,
    /// A value that does not parse for its parameter.
    #[error("{0}")]
    BadValue(String),
    /// CONFIG SET of a parameter that cannot change at run time.
    #[error("can't set immutable config")]
    Immutable,
}

/// Finds a parameter by its name or alias, case-insensitively.
pub fn find_param(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| {
        p.name.eq_ignore_ascii_case(name) || p.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// Parses a byte count with Valkey's `memtoull` suffixes.
pub fn parse_memory(text: &str) -> Option<i64> {
    let lower = text.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let multiplier: i64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let value: i64 = digits.parse().ok()?;
    value.checked_mul(multiplier)
}

/// Normalises `value` for `param`, returning the stored text or the error message Valkey gives.
fn normalise(param: &Param, value: &str) -> Result<String, String> {
    match param.kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int { min, max } => {
            let n: i64 = value
                .parse()
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(n.to_string())
        }
        Kind::Memory { min, max } => {
            let n =
                parse_memory(value).ok_or_else(|| "argument must be a memory value".to_string())?;
            if n < min || n > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(n.to_string())
        }
        Kind::Str => Ok(value.to_string()),
        Kind::Enum(words) => words
            .iter()
            .find(|w| w.eq_ignore_ascii_case(value))
            .map(|w| (*w).to_string())
            .ok_or_else(|| {
                "argument(s) must be one of the following: ".to_string() + &words.join(", ")
            }),
        Kind::SavePoints => {
            let parts: Vec<&str> = value.split_whitespace().collect();
            if !parts.len().is_multiple_of(2)
                || parts
                    .iter()
                    .any(|p| p.parse::<i64>().map_or(true, |n| n < 0))
            {
                return Err("Invalid save parameters".into());
            }
            Ok(parts.join(" "))
        }
        Kind::AddressList => {
            let parts: Vec<&str> = value.split_whitespace().collect();
            if parts.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            Ok(parts.join(" "))
        }
    }
}

/// The current value of every parameter, in config-file syntax.
#[derive(Clone)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    /// Changes whenever a value changes (unique across all `Config`s), so that state derived from the
    /// configuration can be refreshed cheaply.
    generation: u64,
}

/// A generation number never handed out before.
fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Default for Config {
    fn default() -> Self {
        let mut values = BTreeMap::new();
        for param in PARAMS {
            values.insert(param.name, param.default.to_string());
        }
        // Valkey's default `dir` is the working directory it starts in.
        if let Ok(cwd) = std::env::current_dir() {
            values.insert("dir", cwd.display().to_string());
        }
        Self {
            values,
            generation: next_generation(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.values.iter()).finish()
    }
}

/// Where a configuration error was found while loading a file or arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\n*** FATAL CONFIG FILE ERROR (ferry {version}) ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{error}")]
pub struct ConfigLoadError {
    /// ferry's version.
    pub version: &'static str,
    /// 1-based line number in the combined configuration text.
    pub line: usize,
    /// The offending line.
    pub text: String,
    /// What was wrong.
    pub error: ConfigError,
}

impl Config {
    /// Builds a configuration from an optional config file's text and `--name value ...` arguments,
    /// which are appended as further lines (so they win), exactly as valkey-server does.
    pub fn load(file_text: Option<&str>, args: &[String]) -> Result<Self, ConfigLoadError> {
        let mut text = file_text.unwrap_or_default().to_string();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&args_to_config_text(args));
        let mut config = Config::default();
        for (index, line) in text.lines().enumerate() {
            let fail = |error| ConfigLoadError {
                version: env!("CARGO_PKG_VERSION"),
                line: index + 1,
                text: line.trim().to_string(),
                error,
            };
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut argv = ferry_resp::Argv::new();
            ferry_resp::request::split_inline_args(trimmed.as_bytes(), &mut argv).map_err(
                |_| {
                    fail(ConfigError::BadValue(
                        "Unbalanced quotes in configuration line".into(),
                    ))
                },
            )?;
            let words: Vec<String> = argv
                .iter()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            let Some((name, values)) = words.split_first() else {
                continue;
            };
            let param = find_param(name).ok_or_else(|| fail(ConfigError::BadDirective))?;
            let value = match param.kind {
                Kind::SavePoints | Kind::AddressList => values.join(" "),
                _ if values.len() == 1 => values[0].clone(),
                _ => return Err(fail(ConfigError::BadDirective)),
            };
            let stored = normalise(param, &value).map_err(|e| fail(ConfigError::BadValue(e)))?;
            config.values.insert(param.name, stored);
        }
        Ok(config)
    }

    /// The value of `name` (canonical name), in config-file syntax.
    pub fn get(&self, name: &str) -> &str {
        self.values
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The value of an integer or memory parameter.
    pub fn get_i64(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or_default()
    }

    /// The value of a yes/no parameter.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) == "yes"
    }

    /// Changes a parameter at run time (CONFIG SET), with Valkey's checks.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let param = find_param(name).ok_or(ConfigError::BadDirective)?;
        if param.immutable {
            return Err(ConfigError::Immutable);
        }
        let stored = normalise(param, value).map_err(ConfigError::BadValue)?;
        self.values.insert(param.name, stored);
        self.generation = next_generation();
        Ok(())
    }

    /// Sets a value without the immutability check (used at start-up and by tests).
    pub fn set_initial(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let param = find_param(name).ok_or(ConfigError::BadDirective)?;
        let stored = normalise(param, value).map_err(ConfigError::BadValue)?;
        self.values.insert(param.name, stored);
        self.generation = next_generation();
        Ok(())
    }

    /// A number that changes whenever any value changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Every parameter with its current value, in table order.
    pub fn entries(&self) -> impl Iterator<Item = (&'static Param, &str)> + '_ {
        PARAMS.iter().map(|p| (p, self.get(p.name)))
    }
}

/// Turns `--port 7000 --save "" --appendonly no` into config-file lines, quoting each value.
fn args_to_config_text(args: &[String]) -> String {
    let mut text = String::new();
    let mut first = true;
    for arg in args {
        if let Some(name) = arg.strip_prefix("--") {
            if !first {
                text.push('\n');
            }
            text.push_str(name);
            first = false;
        } else {
            text.push(' ');
            text.push('"');
            for c in arg.chars() {
                if c == '"' || c == '\\' {
                    text.push('\\');
                }
                text.push(c);
            }
            text.push('"');
        }
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_override_file() {
        let config = Config::load(
            Some("port 7000\nsave 900 1\n"),
            &["--port".into(), "7001".into()],
        )
        .unwrap();
        assert_eq!(config.get("port"), "7001");
        assert_eq!(config.get("save"), "900 1");
        let config = Config::load(
            None,
            &[
                "--save".into(),
                "".into(),
                "--appendonly".into(),
                "no".into(),
            ],
        )
        .unwrap();
        assert_eq!(config.get("save"), "");
    }

    #[test]
    fn unknown_directive_is_reported_with_its_line() {
        let err = Config::load(Some("port 1\nfoo bar\n"), &[]).unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.error, ConfigError::BadDirective);
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("10k"), Some(10_000));
        assert_eq!(parse_memory("x"), None);
    }
}
