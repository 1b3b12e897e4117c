//! Server configuration: one table of parameters drives config-file parsing, `--name value` arguments,
//! CONFIG GET/SET/REWRITE and defaults, with Valkey 9.1's names, aliases, value syntax, bounds and error
//! texts. Values are kept in their CONFIG GET form, with the number each one stands for cached beside it.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use ferry_resp::number::{parse_f64, parse_i64};

/// The kind of value a parameter holds, with its parsing rules (Valkey's config types).
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes`/`no`.
    Bool,
    /// `yes`/`no`, but `yes` is refused: ferry has no active defragmentation (`activedefrag`).
    NoDefrag,
    /// A decimal integer (Valkey's `string2ll`) within bounds.
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// An integer stored in a 64-bit unsigned C type: any decimal integer is accepted and negative
    /// values wrap, as in Valkey.
    UnsignedInt,
    /// A byte count accepting `b`, `k`, `kb`, `m`, `mb`, `g`, `gb` suffixes (Valkey's `memtoull`).
    Memory {
        /// Smallest accepted value (a negative bound also accepts plain negative integers).
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// A byte count stored in a 64-bit unsigned C type.
    UnsignedMemory,
    /// A byte count or a percentage (`10%`, kept as -10): `maxmemory-clients`.
    MemoryOrPercent {
        /// Smallest value; `-min` is the largest percentage.
        min: i64,
        /// Largest byte count.
        max: i64,
    },
    /// An octal number up to `max` (`unixsocketperm`).
    Octal {
        /// Largest accepted value.
        max: i64,
    },
    /// Free text; empty is a value of its own.
    Str,
    /// Free text where empty means "not set" (not written by CONFIG REWRITE).
    OptStr,
    /// Text with a validity check.
    Checked(Check),
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
    /// One of a set of words where some are synonyms (same number); CONFIG GET shows the first.
    ValueEnum(&'static [(&'static str, u32)]),
    /// Any combination of flag words (`shutdown-on-sigint save now`).
    FlagSet(&'static [(&'static str, u32)]),
    /// `save`: pairs of seconds and changes, or empty.
    SavePoints,
    /// `bind`: up to 16 addresses.
    AddressList,
    /// `client-output-buffer-limit`: `<class> <hard> <soft> <seconds>` groups.
    OutputBufferLimits,
    /// `oom-score-adj-values`: three integers.
    OomScoreAdjValues,
    /// `notify-keyspace-events`: event class characters.
    KeyspaceEvents,
    /// `dir`: changes the working directory.
    Dir,
    /// `replicaof`: `<host> <port>` or `no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles`: a list of percentiles.
    Percentiles,
    /// A parameter Valkey lists but refuses to set in this build; the text is the error.
    Unsupported(&'static str),
}

/// Validity checks of text parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `dbfilename`: a non-empty file name without a directory.
    DbFilename,
    /// `appendfilename`.
    AofFilename,
    /// `appenddirname`.
    AofDirname,
    /// `cluster-config-file`: not empty.
    ClusterConfigFile,
    /// `cluster-announce-hostname`: letters, digits, `-` and `.`.
    Hostname,
    /// `cluster-announce-human-nodename`: printable characters without spaces.
    Nodename,
    /// An IPv4 address or empty.
    Ipv4,
    /// An IPv6 address or empty.
    Ipv6,
    /// `locale-collate`: a locale name the C library knows.
    Locale,
}

impl Check {
    /// True when an empty value means "not set" (Valkey's `EMPTY_STRING_IS_NULL`).
    fn empty_is_unset(self) -> bool {
        matches!(
            self,
            Check::Hostname | Check::Nodename | Check::Ipv4 | Check::Ipv6
        )
    }
}

/// Refused by CONFIG SET.
const IMMUTABLE: u8 = 1 << 0;
/// Refused by CONFIG SET unless `enable-protected-configs` allows it.
const PROTECTED: u8 = 1 << 1;
/// Only listed by CONFIG GET when asked for by its exact name.
const HIDDEN: u8 = 1 << 2;

/// One configuration parameter.
#[derive(Debug)]
pub struct Param {
    /// Canonical name.
    pub name: &'static str,
    /// Older name also accepted (and listed by CONFIG GET patterns), if any.
    pub alias: Option<&'static str>,
    /// Value syntax.
    pub kind: Kind,
    /// Default value, in CONFIG GET form.
    pub default: &'static str,
    flags: u8,
}

impl Param {
    /// Marks the parameter as refused by CONFIG SET.
    pub const fn immutable(mut self) -> Self {
        self.flags |= IMMUTABLE;
        self
    }

    /// Marks the parameter as settable only when `enable-protected-configs` allows it.
    pub const fn protected(mut self) -> Self {
        self.flags |= PROTECTED;
        self
    }

    /// Hides the parameter from CONFIG GET patterns.
    pub const fn hidden(mut self) -> Self {
        self.flags |= HIDDEN;
        self
    }

    /// True when CONFIG SET refuses to change it.
    pub fn is_immutable(&self) -> bool {
        self.flags & IMMUTABLE != 0
    }

    /// True for configs Valkey calls "multi-arg": their value is a list of words.
    fn is_multi_arg(&self) -> bool {
        matches!(
            self.kind,
            Kind::FlagSet(_)
                | Kind::SavePoints
                | Kind::AddressList
                | Kind::OutputBufferLimits
                | Kind::OomScoreAdjValues
                | Kind::ReplicaOf
                | Kind::Percentiles
        )
    }
}

/// A mutable parameter.
pub const fn param(name: &'static str, kind: Kind, default: &'static str) -> Param {
    Param {
        name,
        alias: None,
        kind,
        default,
        flags: 0,
    }
}

/// An immutable parameter.
pub const fn fixed(name: &'static str, kind: Kind, default: &'static str) -> Param {
    param(name, kind, default).immutable()
}

/// A mutable parameter with an older alias.
pub const fn aliased(
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
        flags: 0,
    }
}

/// A C `int`.
pub const INT: Kind = Kind::Int {
    min: i32::MIN as i64,
    max: i32::MAX as i64,
};
/// A non-negative C `int`.
pub const NON_NEGATIVE: Kind = Kind::Int {
    min: 0,
    max: i32::MAX as i64,
};
/// A non-negative C `long`.
pub const LONG: Kind = Kind::Int {
    min: 0,
    max: i64::MAX,
};
/// A non-negative byte count.
pub const MEMORY: Kind = Kind::Memory {
    min: 0,
    max: i64::MAX,
};
/// `shutdown-on-sigint` / `shutdown-on-sigterm` flags.
const SHUTDOWN_ON_SIGNAL: Kind = Kind::FlagSet(&[
    ("default", 0),
    ("save", 1),
    ("nosave", 2),
    ("now", 4),
    ("force", 8),
    ("safe", 16),
    ("failover", 32),
]);

/// Every parameter of Valkey 9.1, in Valkey's table order (grouped by type). Parameters ferry does not
/// act on are accepted and reported like Valkey does, so tools that read or set them keep working.
pub static PARAMS: &[Param] = &[
    param("rdbchecksum", Kind::Bool, "yes").immutable(),
    param("daemonize", Kind::Bool, "no").immutable(),
    param("always-show-logo", Kind::Bool, "no").immutable(),
    param("protected-mode", Kind::Bool, "yes"),
    param("rdbcompression", Kind::Bool, "yes"),
    param("rdb-del-sync-files", Kind::Bool, "no"),
    param("activerehashing", Kind::Bool, "yes"),
    param("stop-writes-on-bgsave-error", Kind::Bool, "yes"),
    param("set-proc-title", Kind::Bool, "yes").immutable(),
    param("lazyfree-lazy-eviction", Kind::Bool, "yes"),
    param("lazyfree-lazy-expire", Kind::Bool, "yes"),
    param("lazyfree-lazy-server-del", Kind::Bool, "yes"),
    param("lazyfree-lazy-user-del", Kind::Bool, "yes"),
    param("lazyfree-lazy-user-flush", Kind::Bool, "yes"),
    param("repl-disable-tcp-nodelay", Kind::Bool, "no"),
    param("repl-diskless-sync", Kind::Bool, "yes"),
    param("dual-channel-replication-enabled", Kind::Bool, "no"),
    param("aof-rewrite-incremental-fsync", Kind::Bool, "yes"),
    param("no-appendfsync-on-rewrite", Kind::Bool, "no"),
    param("cluster-require-full-coverage", Kind::Bool, "yes"),
    param("rdb-save-incremental-fsync", Kind::Bool, "yes"),
    param("aof-load-truncated", Kind::Bool, "yes"),
    param("aof-use-rdb-preamble", Kind::Bool, "yes"),
    param("aof-timestamp-enabled", Kind::Bool, "no"),
    aliased(
        "cluster-replica-no-failover",
        "cluster-slave-no-failover",
        Kind::Bool,
        "no",
    ),
    aliased("replica-lazy-flush", "slave-lazy-flush", Kind::Bool, "yes"),
    aliased(
        "replica-serve-stale-data",
        "slave-serve-stale-data",
        Kind::Bool,
        "yes",
    ),
    aliased("replica-read-only", "slave-read-only", Kind::Bool, "yes"),
    aliased(
        "replica-ignore-maxmemory",
        "slave-ignore-maxmemory",
        Kind::Bool,
        "yes",
    ),
    param("jemalloc-bg-thread", Kind::Bool, "yes"),
    param("activedefrag", Kind::NoDefrag, "no"),
    param("syslog-enabled", Kind::Bool, "no").immutable(),
    param("cluster-enabled", Kind::Bool, "no").immutable(),
    param("appendonly", Kind::Bool, "no"),
    param("cluster-allow-reads-when-down", Kind::Bool, "no"),
    param("cluster-allow-pubsubshard-when-down", Kind::Bool, "yes"),
    param("crash-log-enabled", Kind::Bool, "yes"),
    param("crash-memcheck-enabled", Kind::Bool, "yes"),
    param("use-exit-on-panic", Kind::Bool, "no").hidden(),
    param("disable-thp", Kind::Bool, "yes").immutable(),
    param("cluster-allow-replica-migration", Kind::Bool, "yes"),
    param("replica-announced", Kind::Bool, "yes"),
    param("latency-tracking", Kind::Bool, "yes"),
    param("aof-disable-auto-gc", Kind::Bool, "no").hidden(),
    param("replica-ignore-disk-write-errors", Kind::Bool, "no"),
    param("extended-redis-compatibility", Kind::Bool, "no"),
    param("enable-debug-assert", Kind::Bool, "no")
        .immutable()
        .hidden(),
    param("cluster-slot-stats-enabled", Kind::Bool, "no"),
    param("hide-user-data-from-log", Kind::Bool, "yes"),
    param("import-mode", Kind::Bool, "no"),
    param("mptcp", Kind::Bool, "no").immutable(),
    param("repl-mptcp", Kind::Bool, "no").immutable(),
    param("aclfile", Kind::Str, "").immutable(),
    param("unixsocket", Kind::OptStr, "").immutable(),
    param("unixsocketgroup", Kind::OptStr, "").immutable(),
    param("pidfile", Kind::OptStr, "").immutable(),
    aliased("replica-announce-ip", "slave-announce-ip", Kind::OptStr, ""),
    aliased("primaryuser", "masteruser", Kind::OptStr, ""),
    param("cluster-announce-ip", Kind::OptStr, ""),
    param(
        "cluster-announce-client-ipv4",
        Kind::Checked(Check::Ipv4),
        "",
    ),
    param(
        "cluster-announce-client-ipv6",
        Kind::Checked(Check::Ipv6),
        "",
    ),
    param(
        "cluster-config-file",
        Kind::Checked(Check::ClusterConfigFile),
        "nodes.conf",
    )
    .immutable(),
    param(
        "cluster-announce-hostname",
        Kind::Checked(Check::Hostname),
        "",
    ),
    param(
        "cluster-announce-human-nodename",
        Kind::Checked(Check::Nodename),
        "",
    ),
    param("syslog-ident", Kind::Str, "valkey").immutable(),
    param("dbfilename", Kind::Checked(Check::DbFilename), "dump.rdb").protected(),
    param(
        "appendfilename",
        Kind::Checked(Check::AofFilename),
        "appendonly.aof",
    )
    .immutable(),
    param(
        "appenddirname",
        Kind::Checked(Check::AofDirname),
        "appendonlydir",
    )
    .immutable(),
    aliased("server-cpulist", "server_cpulist", Kind::OptStr, "").immutable(),
    aliased("bio-cpulist", "bio_cpulist", Kind::OptStr, "").immutable(),
    aliased(
        "aof-rewrite-cpulist",
        "aof_rewrite_cpulist",
        Kind::OptStr,
        "",
    )
    .immutable(),
    aliased("bgsave-cpulist", "bgsave_cpulist", Kind::OptStr, "").immutable(),
    param("ignore-warnings", Kind::Str, ""),
    param(
        "proc-title-template",
        Kind::Str,
        "{title} {listen-addr} {server-mode}",
    ),
    param("bind-source-addr", Kind::OptStr, ""),
    param("logfile", Kind::Str, "").immutable(),
    param("locale-collate", Kind::Checked(Check::Locale), ""),
    param("debug-context", Kind::Str, "").hidden(),
    aliased("primaryauth", "masterauth", Kind::OptStr, ""),
    param("requirepass", Kind::OptStr, ""),
    param("availability-zone", Kind::Str, ""),
    param("hash-seed", Kind::OptStr, "").immutable(),
    param(
        "supervised",
        Kind::Enum(&["upstart", "systemd", "auto", "no"]),
        "no",
    )
    .immutable(),
    param(
        "syslog-facility",
        Kind::Enum(&[
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
        ]),
        "local0",
    )
    .immutable(),
    param(
        "repl-diskless-load",
        Kind::Enum(&["disabled", "on-empty-db", "swapdb", "flush-before-load"]),
        "disabled",
    ),
    param(
        "loglevel",
        Kind::Enum(&["debug", "verbose", "notice", "warning", "nothing"]),
        "notice",
    ),
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
    param(
        "appendfsync",
        Kind::Enum(&["everysec", "always", "no"]),
        "everysec",
    ),
    param(
        "oom-score-adj",
        Kind::ValueEnum(&[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)]),
        "no",
    ),
    param(
        "acl-pubsub-default",
        Kind::Enum(&["allchannels", "resetchannels"]),
        "resetchannels",
    ),
    param(
        "enable-protected-configs",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    )
    .immutable(),
    param(
        "enable-debug-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    )
    .immutable(),
    param(
        "enable-module-command",
        Kind::Enum(&["no", "yes", "local"]),
        "no",
    )
    .immutable(),
    param(
        "cluster-preferred-endpoint-type",
        Kind::Enum(&["ip", "hostname", "unknown-endpoint"]),
        "ip",
    ),
    param(
        "propagation-error-behavior",
        Kind::Enum(&["ignore", "panic", "panic-on-replicas"]),
        "ignore",
    ),
    param("shutdown-on-sigint", SHUTDOWN_ON_SIGNAL, "default"),
    param("shutdown-on-sigterm", SHUTDOWN_ON_SIGNAL, "default"),
    param(
        "log-format",
        Kind::Enum(&["legacy", "logfmt", "json"]),
        "legacy",
    ),
    param(
        "log-timestamp-format",
        Kind::Enum(&["legacy", "iso8601", "milliseconds"]),
        "legacy",
    ),
    param(
        "cluster-config-save-behavior",
        Kind::Enum(&["sync", "best-effort"]),
        "sync",
    ),
    param(
        "rdb-version-check",
        Kind::Enum(&["strict", "relaxed"]),
        "strict",
    ),
    param(
        "tls-auth-clients-user",
        Kind::Enum(&["CN", "URI", "off"]),
        "off",
    ),
    param(
        "databases",
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        "16",
    )
    .immutable(),
    param("port", Kind::Int { min: 0, max: 65535 }, "6379"),
    param("io-threads", Kind::Int { min: 1, max: 256 }, "1"),
    param(
        "prefetch-batch-max-size",
        Kind::Int { min: 0, max: 128 },
        "16",
    ),
    param("auto-aof-rewrite-percentage", NON_NEGATIVE, "100"),
    aliased(
        "cluster-replica-validity-factor",
        "cluster-slave-validity-factor",
        NON_NEGATIVE,
        "10",
    ),
    aliased("list-max-listpack-size", "list-max-ziplist-size", INT, "-2"),
    param("tcp-keepalive", NON_NEGATIVE, "300"),
    param("cluster-migration-barrier", NON_NEGATIVE, "1"),
    param(
        "active-defrag-cycle-min",
        Kind::Int { min: 1, max: 99 },
        "1",
    ),
    param(
        "active-defrag-cycle-max",
        Kind::Int { min: 1, max: 99 },
        "25",
    ),
    param(
        "active-defrag-threshold-lower",
        Kind::Int { min: 0, max: 1000 },
        "10",
    ),
    param(
        "active-defrag-threshold-upper",
        Kind::Int { min: 0, max: 1000 },
        "100",
    ),
    param("lfu-log-factor", NON_NEGATIVE, "10"),
    param("lfu-decay-time", NON_NEGATIVE, "1"),
    aliased("replica-priority", "slave-priority", NON_NEGATIVE, "100"),
    param("repl-diskless-sync-delay", NON_NEGATIVE, "5"),
    param("maxmemory-samples", Kind::Int { min: 1, max: 64 }, "5"),
    param(
        "maxmemory-eviction-tenacity",
        Kind::Int { min: 0, max: 100 },
        "10",
    ),
    param("timeout", NON_NEGATIVE, "0"),
    aliased(
        "replica-announce-port",
        "slave-announce-port",
        Kind::Int { min: 0, max: 65535 },
        "0",
    ),
    param("tcp-backlog", NON_NEGATIVE, "511").immutable(),
    param("cluster-port", Kind::Int { min: 0, max: 65535 }, "0").immutable(),
    param(
        "cluster-announce-bus-port",
        Kind::Int { min: 0, max: 65535 },
        "0",
    ),
    param(
        "cluster-announce-port",
        Kind::Int { min: 0, max: 65535 },
        "0",
    ),
    param(
        "cluster-announce-tls-port",
        Kind::Int { min: 0, max: 65535 },
        "0",
    ),
    param(
        "repl-timeout",
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        "60",
    ),
    aliased(
        "repl-ping-replica-period",
        "repl-ping-slave-period",
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        "10",
    ),
    param("list-compress-depth", NON_NEGATIVE, "0"),
    param("rdb-key-save-delay", INT, "0").hidden(),
    param("key-load-delay", INT, "0").hidden(),
    param("active-expire-effort", Kind::Int { min: 1, max: 10 }, "1"),
    param("hz", NON_NEGATIVE, "10"),
    aliased(
        "min-replicas-to-write",
        "min-slaves-to-write",
        NON_NEGATIVE,
        "0",
    ),
    aliased(
        "min-replicas-max-lag",
        "min-slaves-max-lag",
        NON_NEGATIVE,
        "10",
    ),
    param("watchdog-period", NON_NEGATIVE, "0").hidden(),
    param("shutdown-timeout", NON_NEGATIVE, "10"),
    param("repl-diskless-sync-max-replicas", NON_NEGATIVE, "0"),
    param(
        "active-defrag-cycle-us",
        Kind::Int {
            min: 0,
            max: 100000,
        },
        "500",
    ),
    param(
        "cluster-announce-client-port",
        Kind::Int { min: 0, max: 65535 },
        "0",
    ),
    param(
        "cluster-announce-client-tls-port",
        Kind::Int { min: 0, max: 65535 },
        "0",
    ),
    param(
        "cluster-databases",
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        "1",
    )
    .immutable(),
    param(
        "cluster-manual-failover-timeout",
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        "5000",
    ),
    param(
        "rdma-completion-vector",
        Kind::Int { min: -1, max: 1024 },
        "-1",
    )
    .immutable(),
    param("rdma-port", Kind::Int { min: 0, max: 65535 }, "0"),
    param(
        "rdma-rx-size",
        Kind::Int {
            min: 65536,
            max: 16777216,
        },
        "1048576",
    )
    .immutable(),
    param("tls-auto-reload-interval", NON_NEGATIVE, "0"),
    param(
        "maxclients",
        Kind::Int {
            min: 1,
            max: u32::MAX as i64,
        },
        "10000",
    ),
    param("unixsocketperm", Kind::Octal { max: 0o777 }, "0").immutable(),
    param(
        "socket-mark-id",
        Kind::Int {
            min: 0,
            max: u32::MAX as i64,
        },
        "0",
    )
    .immutable(),
    param(
        "max-new-connections-per-cycle",
        Kind::Int { min: 1, max: 1000 },
        "10",
    ),
    param(
        "max-new-tls-connections-per-cycle",
        Kind::Int { min: 1, max: 1000 },
        "1",
    ),
    param(
        "active-defrag-max-scan-fields",
        Kind::Int {
            min: 1,
            max: i64::MAX,
        },
        "1000",
    ),
    param("acllog-max-len", LONG, "128"),
    param("cluster-blacklist-ttl", Kind::UnsignedInt, "60"),
    param("cluster-slot-migration-log-max-len", LONG, "1000"),
    aliased(
        "commandlog-execution-slower-than",
        "slowlog-log-slower-than",
        Kind::Int {
            min: -1,
            max: i64::MAX,
        },
        "10000",
    ),
    aliased(
        "commandlog-slow-execution-max-len",
        "slowlog-max-len",
        LONG,
        "128",
    ),
    param(
        "commandlog-request-larger-than",
        Kind::Int {
            min: -1,
            max: i64::MAX,
        },
        "1048576",
    ),
    param("commandlog-large-request-max-len", LONG, "128"),
    param(
        "commandlog-reply-larger-than",
        Kind::Int {
            min: -1,
            max: i64::MAX,
        },
        "1048576",
    ),
    param("commandlog-large-reply-max-len", LONG, "128"),
    aliased("busy-reply-threshold", "lua-time-limit", LONG, "5000"),
    param("cluster-node-timeout", LONG, "15000"),
    param("cluster-ping-interval", LONG, "0").hidden(),
    param("latency-monitor-threshold", LONG, "0"),
    param(
        "proto-max-bulk-len",
        Kind::Memory {
            min: 1048576,
            max: i64::MAX,
        },
        "536870912",
    ),
    param("stream-node-max-entries", LONG, "100"),
    param(
        "repl-backlog-size",
        Kind::Memory {
            min: 1,
            max: i64::MAX,
        },
        "10485760",
    ),
    param("maxmemory", Kind::UnsignedMemory, "0"),
    param("cluster-link-sendbuf-limit", Kind::UnsignedMemory, "0"),
    aliased(
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        LONG,
        "512",
    ),
    param("set-max-intset-entries", LONG, "512"),
    param("set-max-listpack-entries", LONG, "128"),
    param("set-max-listpack-value", LONG, "64"),
    aliased(
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
        LONG,
        "128",
    ),
    param(
        "active-defrag-ignore-bytes",
        Kind::Memory {
            min: 1,
            max: i64::MAX,
        },
        "104857600",
    ),
    aliased(
        "hash-max-listpack-value",
        "hash-max-ziplist-value",
        MEMORY,
        "64",
    ),
    param("stream-node-max-bytes", MEMORY, "4096"),
    aliased(
        "zset-max-listpack-value",
        "zset-max-ziplist-value",
        MEMORY,
        "64",
    ),
    param("hll-sparse-max-bytes", MEMORY, "3000"),
    param("tracking-table-max-keys", LONG, "1000000"),
    param(
        "client-query-buffer-limit",
        Kind::Memory {
            min: 1048576,
            max: i64::MAX,
        },
        "1073741824",
    ),
    param(
        "maxmemory-clients",
        Kind::MemoryOrPercent {
            min: -100,
            max: i64::MAX,
        },
        "0",
    ),
    param("repl-backlog-ttl", LONG, "3600"),
    param("auto-aof-rewrite-min-size", MEMORY, "67108864"),
    param(
        "slot-migration-max-failover-repl-bytes",
        Kind::Memory {
            min: -1,
            max: i64::MAX,
        },
        "0",
    ),
    param(
        "loading-process-events-interval-bytes",
        Kind::Int {
            min: 1024,
            max: i32::MAX as i64,
        },
        "2097152",
    )
    .hidden(),
    param("tls-port", Kind::Int { min: 0, max: 65535 }, "0"),
    param("tls-session-cache-size", NON_NEGATIVE, "20480"),
    param("tls-session-cache-timeout", NON_NEGATIVE, "300"),
    param("tls-cluster", Kind::Bool, "no"),
    param("tls-replication", Kind::Bool, "no"),
    param(
        "tls-auth-clients",
        Kind::Enum(&["no", "yes", "optional"]),
        "yes",
    ),
    param("tls-prefer-server-ciphers", Kind::Bool, "no"),
    param("tls-session-caching", Kind::Bool, "yes"),
    param("tls-cert-file", Kind::OptStr, ""),
    param("tls-key-file", Kind::OptStr, ""),
    param("tls-key-file-pass", Kind::OptStr, ""),
    param("tls-client-cert-file", Kind::OptStr, ""),
    param("tls-client-key-file", Kind::OptStr, ""),
    param("tls-client-key-file-pass", Kind::OptStr, ""),
    param("tls-dh-params-file", Kind::OptStr, ""),
    param("tls-ca-cert-file", Kind::OptStr, ""),
    param("tls-ca-cert-dir", Kind::OptStr, ""),
    param("tls-protocols", Kind::OptStr, ""),
    param("tls-ciphers", Kind::OptStr, ""),
    param("tls-ciphersuites", Kind::OptStr, ""),
    param("dir", Kind::Dir, "").protected(),
    param("save", Kind::SavePoints, "3600 1 300 100 60 10000"),
    param(
        "client-output-buffer-limit",
        Kind::OutputBufferLimits,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    param("oom-score-adj-values", Kind::OomScoreAdjValues, "0 200 800"),
    param("notify-keyspace-events", Kind::KeyspaceEvents, ""),
    // Valkey's compiled-in default is `* -::*` guarded by protected mode; ferry listens on loopback
    // only unless told otherwise, as Valkey's shipped valkey.conf does.
    param("bind", Kind::AddressList, "127.0.0.1 -::1"),
    param(
        "rdma-bind",
        Kind::Unsupported("No RDMA building support."),
        "",
    ),
    aliased("replicaof", "slaveof", Kind::ReplicaOf, "").immutable(),
    param(
        "latency-tracking-info-percentiles",
        Kind::Percentiles,
        "50 99 99.9",
    ),
];

/// A configuration error, worded like Valkey's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A directive ferry does not know.
    #[error("Bad directive or wrong number of arguments")]
    BadDirective,
    /// A known directive with the wrong number of arguments.
    #[error("wrong number of arguments")]
    WrongArgs,
    /// A value that does not parse for its parameter.
    #[error("{0}")]
    BadValue(String),
    /// CONFIG SET of a parameter that cannot change at run time.
    #[error("can't set immutable config")]
    Immutable,
}

/// Name → index into `PARAMS`, for canonical names and aliases, lowercase. Hot paths read parameters
/// by name once per request, so the map uses foldhash rather than SipHash (≈ 6× fewer instructions).
type ParamIndex = HashMap<&'static str, (usize, bool), foldhash::fast::FixedState>;

fn index() -> &'static ParamIndex {
    static INDEX: OnceLock<ParamIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = ParamIndex::default();
        for (position, param) in PARAMS.iter().enumerate() {
            map.insert(param.name, (position, false));
            if let Some(alias) = param.alias {
                map.insert(alias, (position, true));
            }
        }
        map
    })
}

/// Finds a parameter by its name or alias, case-insensitively: its index and whether `name` is the alias.
fn lookup(name: &str) -> Option<(usize, bool)> {
    let index = index();
    if let Some(found) = index.get(name) {
        return Some(*found);
    }
    index.get(name.to_ascii_lowercase().as_str()).copied()
}

/// Finds a parameter by its name or alias, case-insensitively.
pub fn find_param(name: &str) -> Option<&'static Param> {
    lookup(name).map(|(position, _)| &PARAMS[position])
}

/// Parses a byte count with Valkey's `memtoull` rules: digits then an optional unit (`b`, `k`, `kb`, `m`,
/// `mb`, `g`, `gb`, any case); an empty number counts as 0 and the multiplication wraps like C's.
pub fn parse_memory(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b'-') {
        return None;
    }
    let digits_end = bytes
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(bytes.len());
    let multiplier: u64 = match text[digits_end..].to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let digits = &text[..digits_end];
    if digits.len() >= 128 {
        return None;
    }
    let value = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().ok()?
    };
    Some(value.wrapping_mul(multiplier))
}

/// C's `strtoll(text, &end, base)` where the whole text must be consumed: leading spaces and a sign are
/// allowed, an empty text is 0, and out-of-range values saturate.
fn strtoll_whole(text: &str, base: u32) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Some(0);
    }
    let mut at = 0;
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        at += 1;
    }
    let mut negative = false;
    if at < bytes.len() && (bytes[at] == b'+' || bytes[at] == b'-') {
        negative = bytes[at] == b'-';
        at += 1;
    }
    let digits_start = at;
    let mut value: i128 = 0;
    while at < bytes.len() {
        let Some(digit) = char::from(bytes[at]).to_digit(base) else {
            break;
        };
        value = (value * i128::from(base) + i128::from(digit)).min(i128::from(u64::MAX) + 1);
        at += 1;
    }
    if at == digits_start || at != bytes.len() {
        return None;
    }
    if negative {
        value = -value;
    }
    Some(value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// Splits a CONFIG SET value of a multi-arg parameter on single spaces, as Valkey's `sdssplitlen` does
/// (two spaces make an empty word; an empty value has no words).
fn split_spaces(value: &str) -> Vec<String> {
    if value.is_empty() {
        return Vec::new();
    }
    value.split(' ').map(str::to_string).collect()
}

/// Keyspace event class bits (Valkey's `NOTIFY_*`).
pub mod notify {
    /// `K`: keyspace events.
    pub const KEYSPACE: u32 = 1 << 0;
    /// `E`: keyevent events.
    pub const KEYEVENT: u32 = 1 << 1;
    /// `g`: generic commands.
    pub const GENERIC: u32 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u32 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u32 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u32 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// `z`: sorted set commands.
    pub const ZSET: u32 = 1 << 7;
    /// `x`: expired keys.
    pub const EXPIRED: u32 = 1 << 8;
    /// `e`: evicted keys.
    pub const EVICTED: u32 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// `m`: key misses (not part of `A`).
    pub const KEY_MISS: u32 = 1 << 11;
    /// `d`: module key types.
    pub const MODULE: u32 = 1 << 13;
    /// `n`: new keys (not part of `A`).
    pub const NEW: u32 = 1 << 14;
    /// `A`: every class but `m` and `n`.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// Parses `notify-keyspace-events` classes; `None` for an unknown character.
pub fn keyspace_events_from_str(classes: &str) -> Option<u32> {
    let mut flags = 0;
    for c in classes.chars() {
        flags |= match c {
            'A' => notify::ALL,
            'g' => notify::GENERIC,
            '$' => notify::STRING,
            'l' => notify::LIST,
            's' => notify::SET,
            'h' => notify::HASH,
            'z' => notify::ZSET,
            'x' => notify::EXPIRED,
            'e' => notify::EVICTED,
            'K' => notify::KEYSPACE,
            'E' => notify::KEYEVENT,
            't' => notify::STREAM,
            'm' => notify::KEY_MISS,
            'd' => notify::MODULE,
            'n' => notify::NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// Formats keyspace event classes the way CONFIG GET shows them.
pub fn keyspace_events_to_string(flags: u32) -> String {
    let mut text = String::new();
    if flags & notify::ALL == notify::ALL {
        text.push('A');
    } else {
        for (bit, c) in [
            (notify::GENERIC, 'g'),
            (notify::STRING, '$'),
            (notify::LIST, 'l'),
            (notify::SET, 's'),
            (notify::HASH, 'h'),
            (notify::ZSET, 'z'),
            (notify::EXPIRED, 'x'),
            (notify::EVICTED, 'e'),
            (notify::STREAM, 't'),
            (notify::MODULE, 'd'),
            (notify::NEW, 'n'),
        ] {
            if flags & bit != 0 {
                text.push(c);
            }
        }
    }
    for (bit, c) in [
        (notify::KEYSPACE, 'K'),
        (notify::KEYEVENT, 'E'),
        (notify::KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            text.push(c);
        }
    }
    text
}

/// Client classes of `client-output-buffer-limit`, in Valkey's order, with the names CONFIG GET and
/// CONFIG REWRITE use.
const BUFFER_CLASSES: [(&str, &str); 3] = [
    ("normal", "normal"),
    ("slave", "replica"),
    ("pubsub", "pubsub"),
];

/// One class's output buffer limits: hard bytes, soft bytes, soft seconds.
pub type BufferLimit = (u64, u64, i64);

/// The limits of each class (normal, replica, pubsub) from `client-output-buffer-limit`'s stored text.
pub fn parse_buffer_limits(text: &str) -> [BufferLimit; 3] {
    let words: Vec<&str> = text.split(' ').collect();
    let mut limits = [(0, 0, 0); 3];
    for (class, group) in words.chunks(4).enumerate().take(3) {
        if let [_, hard, soft, seconds] = group {
            limits[class] = (
                hard.parse().unwrap_or_default(),
                soft.parse().unwrap_or_default(),
                seconds.parse().unwrap_or_default(),
            );
        }
    }
    limits
}

/// Formats a percentile like C's `%f` with trailing zeros (and a trailing point) removed.
fn format_percentile(value: f64) -> String {
    let text = format!("{value:.6}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// True when `name` is a bare file name (no directory part), like Valkey's `pathIsBaseName`.
fn is_base_name(name: &str) -> bool {
    !name.contains('/')
}

fn check_text(check: Check, value: &str) -> Result<(), String> {
    let fail = |message: &str| Err(message.to_string());
    match check {
        Check::DbFilename | Check::AofFilename | Check::AofDirname => {
            let (name, what) = match check {
                Check::DbFilename => ("dbfilename", "filename"),
                Check::AofFilename => ("appendfilename", "filename"),
                _ => ("appenddirname", "dirname"),
            };
            if value.is_empty() {
                return Err(format!("{name} can't be empty"));
            }
            if !is_base_name(value) {
                return Err(format!("{name} can't be a path, just a {what}"));
            }
            Ok(())
        }
        Check::ClusterConfigFile if value.is_empty() => fail("cluster-config-file can't be empty"),
        Check::ClusterConfigFile => Ok(()),
        Check::Hostname => {
            if value.len() >= 256 {
                return fail("Hostnames must be less than 256 characters");
            }
            if value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            {
                Ok(())
            } else {
                fail("Hostnames may only contain alphanumeric characters, hyphens or dots")
            }
        }
        Check::Nodename => {
            if value.bytes().all(|b| b.is_ascii_graphic()) {
                Ok(())
            } else {
                fail("Announced human node name contained invalid character")
            }
        }
        Check::Ipv4 => {
            if value.is_empty() || value.parse::<std::net::Ipv4Addr>().is_ok() {
                Ok(())
            } else {
                fail("Invalid IPv4 address")
            }
        }
        Check::Ipv6 => {
            if value.is_empty() || value.parse::<std::net::Ipv6Addr>().is_ok() {
                Ok(())
            } else {
                fail("Invalid IPv6 address")
            }
        }
        Check::Locale => {
            if matches!(value, "" | "C" | "POSIX") || locale_exists(value) {
                Ok(())
            } else {
                fail("Invalid locale name")
            }
        }
    }
}

/// True when the C library has `name` installed (as `setlocale` would find it).
fn locale_exists(name: &str) -> bool {
    let normalised = name.replace("UTF-8", "utf8").replace("utf-8", "utf8");
    ["/usr/lib/locale", "/usr/share/locale"]
        .iter()
        .any(|dir| Path::new(dir).join(name).exists() || Path::new(dir).join(&normalised).exists())
}

/// Whether a parameter is being set from the configuration file (some multi-word values accumulate
/// over several lines there) or by CONFIG SET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    File,
    ConfigSet,
}

/// A value in CONFIG GET form and the number it stands for (0 when not numeric).
#[derive(Debug, Clone, PartialEq)]
struct Value {
    text: String,
    number: i64,
}

impl Value {
    fn new(text: impl Into<String>, number: i64) -> Self {
        Self {
            text: text.into(),
            number,
        }
    }
}

fn bounds_error(min: i64, max: i64) -> String {
    format!("argument must be between {min} and {max} inclusive")
}

/// Parses `args` for `param` into its new value, with Valkey's checks and error texts. `current` is the
/// present value (some parameters update only part of it).
fn parse_value(
    param: &Param,
    args: &[String],
    current: &Value,
    source: Source,
) -> Result<Value, String> {
    let single = || args.first().map(String::as_str).unwrap_or_default();
    match param.kind {
        Kind::Bool | Kind::NoDefrag => match single().to_ascii_lowercase().as_str() {
            "yes" if matches!(param.kind, Kind::NoDefrag) => Err("Active defragmentation cannot be enabled: it requires a server compiled with a modified Jemalloc like the one shipped by default with the source distribution".into()),
            "yes" => Ok(Value::new("yes", 1)),
            "no" => Ok(Value::new("no", 0)),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int { min, max } => {
            let n = parse_i64(single().as_bytes())
                .ok_or("argument couldn't be parsed into an integer")?;
            if n < min || n > max {
                return Err(bounds_error(min, max));
            }
            let n = if param.name == "hz" { n.clamp(1, 500) } else { n };
            Ok(Value::new(n.to_string(), n))
        }
        Kind::UnsignedInt => {
            let n = parse_i64(single().as_bytes())
                .ok_or("argument couldn't be parsed into an integer")?;
            Ok(Value::new(n.to_string(), n))
        }
        Kind::Memory { min, max } => {
            let n = match parse_memory(single()) {
                Some(bytes) => bytes as i64,
                None if min < 0 => {
                    parse_i64(single().as_bytes()).ok_or("argument must be a memory value")?
                }
                None => return Err("argument must be a memory value".into()),
            };
            if n < min || n > max {
                return Err(bounds_error(min, max));
            }
            Ok(Value::new((n as u64).to_string(), n))
        }
        Kind::UnsignedMemory => {
            let bytes = parse_memory(single()).ok_or("argument must be a memory value")?;
            Ok(Value::new(bytes.to_string(), bytes as i64))
        }
        Kind::MemoryOrPercent { min, max } => {
            let text = single();
            let n = match parse_memory(text) {
                Some(bytes) => bytes as i64,
                None => text
                    .strip_suffix('%')
                    .filter(|digits| !digits.is_empty())
                    .and_then(|digits| parse_i64(digits.as_bytes()))
                    .filter(|percent| *percent >= 0)
                    .map(|percent| -percent)
                    .ok_or("argument must be a memory or percent value")?,
            };
            if n < 0 {
                if n < min {
                    return Err(format!(
                        "percentage argument must be less or equal to {}",
                        -min
                    ));
                }
                return Ok(Value::new(format!("{}%", -n), n));
            }
            if n > max {
                return Err(bounds_error(min, max));
            }
            Ok(Value::new((n as u64).to_string(), n))
        }
        Kind::Octal { max } => {
            let n = strtoll_whole(single(), 8)
                .ok_or("argument couldn't be parsed as an octal number")?;
            if n < 0 || n > max {
                return Err(format!(
                    "argument must be between {:o} and {:o} inclusive",
                    0, max
                ));
            }
            Ok(Value::new(format!("{n:o}"), n))
        }
        Kind::Unsupported(message) => Err(message.to_string()),
        Kind::Str | Kind::OptStr => Ok(Value::new(single(), 0)),
        Kind::Checked(check) => {
            check_text(check, single())?;
            Ok(Value::new(single(), 0))
        }
        Kind::Enum(words) => {
            let text = single();
            match words.iter().position(|w| w.eq_ignore_ascii_case(text)) {
                Some(position) if args.len() == 1 => {
                    Ok(Value::new(words[position], position as i64))
                }
                _ => Err(format!(
                    "argument(s) must be one of the following: {}",
                    words.join(", ")
                )),
            }
        }
        Kind::ValueEnum(words) => {
            let found = words
                .iter()
                .find(|(word, _)| word.eq_ignore_ascii_case(single()))
                .filter(|_| args.len() == 1);
            let Some((_, number)) = found else {
                return Err(enum_error(words));
            };
            let canonical = words
                .iter()
                .find(|(_, n)| n == number)
                .map_or("unknown", |(word, _)| *word);
            Ok(Value::new(canonical, i64::from(*number)))
        }
        Kind::FlagSet(words) => {
            if args.is_empty() {
                return Err(enum_error(words));
            }
            let mut flags = 0;
            for arg in args {
                let Some((_, bit)) = words.iter().find(|(word, _)| word.eq_ignore_ascii_case(arg))
                else {
                    return Err(enum_error(words));
                };
                flags |= bit;
            }
            if flags & 1 != 0 && flags & 2 != 0 {
                return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
            }
            Ok(Value::new(flag_names(words, flags), i64::from(flags)))
        }
        Kind::SavePoints => parse_save(args),
        Kind::AddressList => {
            if args.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            let addresses: Vec<&str> = if args.len() == 1 && args[0].is_empty() {
                Vec::new()
            } else {
                args.iter().map(String::as_str).collect()
            };
            if source == Source::ConfigSet && !addresses.iter().all(|a| bindable(a)) {
                return Err("Failed to bind to specified addresses.".into());
            }
            Ok(Value::new(addresses.join(" "), 0))
        }
        Kind::OutputBufferLimits => parse_buffer_limit_args(args, current),
        Kind::OomScoreAdjValues => {
            if args.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut values = Vec::with_capacity(3);
            for arg in args {
                match strtoll_whole(arg, 10) {
                    Some(n) if (-2000..=2000).contains(&n) => values.push(n.to_string()),
                    _ => {
                        return Err(
                            "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                                .into(),
                        )
                    }
                }
            }
            Ok(Value::new(values.join(" "), 0))
        }
        Kind::KeyspaceEvents => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            let flags = keyspace_events_from_str(single())
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
            Ok(Value::new(keyspace_events_to_string(flags), i64::from(flags)))
        }
        Kind::Dir => {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            if single().is_empty() {
                return Err("dir can't be empty".into());
            }
            std::env::set_current_dir(single()).map_err(|e| os_error_text(&e))?;
            let cwd = std::env::current_dir().map_err(|e| os_error_text(&e))?;
            Ok(Value::new(cwd.display().to_string(), 0))
        }
        Kind::ReplicaOf => {
            if args.len() != 2 {
                return Err("wrong number of arguments".into());
            }
            if args[0].eq_ignore_ascii_case("no") && args[1].eq_ignore_ascii_case("one") {
                return Ok(Value::new("", 0));
            }
            match strtoll_whole(&args[1], 10) {
                Some(port) if (0..=65535).contains(&port) && !args[1].is_empty() => {
                    Ok(Value::new(format!("{} {port}", args[0]), port))
                }
                _ => Err("Invalid primary port".into()),
            }
        }
        Kind::Percentiles => {
            if args.len() == 1 && args[0].is_empty() {
                return Ok(Value::new("", 0));
            }
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                let value = parse_f64(arg.as_bytes())
                    .filter(|v| !v.is_nan())
                    .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&value) {
                    return Err(
                        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                            .into(),
                    );
                }
                values.push(format_percentile(value));
            }
            Ok(Value::new(values.join(" "), 0))
        }
    }
}

fn enum_error(words: &[(&str, u32)]) -> String {
    let names: Vec<&str> = words.iter().map(|(word, _)| *word).collect();
    format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    )
}

/// Names of `flags` the way Valkey's `configEnumGetName` lists bit flags.
fn flag_names(words: &[(&str, u32)], flags: u32) -> String {
    if let Some((word, _)) = words.iter().find(|(_, bit)| *bit == flags) {
        return (*word).to_string();
    }
    let mut unmatched = flags;
    let mut names = Vec::new();
    for (word, bit) in words {
        if *bit != 0 && unmatched & bit == *bit {
            names.push(*word);
            unmatched &= !bit;
        }
    }
    if names.is_empty() || unmatched != 0 {
        "unknown".to_string()
    } else {
        names.join(" ")
    }
}

/// True when `address` (as written in `bind`) is an address ferry can listen on; optional ones (`-`
/// prefix) always are.
fn bindable(address: &str) -> bool {
    if address.starts_with('-') {
        return true;
    }
    matches!(address, "*" | "::*") || address.parse::<std::net::IpAddr>().is_ok()
}

/// The C library's text for an I/O error (`strerror`), without Rust's "(os error N)" suffix.
fn os_error_text(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

fn parse_save(args: &[String]) -> Result<Value, String> {
    let args: &[String] = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    if !args.len().is_multiple_of(2) {
        return Err("Invalid save parameters".into());
    }
    let mut points = Vec::with_capacity(args.len());
    for (position, arg) in args.iter().enumerate() {
        let value = strtoll_whole(arg, 10).ok_or("Invalid save parameters")?;
        let seconds = position % 2 == 0;
        if (seconds && value < 1) || (!seconds && value < 0) {
            return Err("Invalid save parameters".into());
        }
        // Seconds are a time_t, changes a C int.
        points.push(if seconds {
            value.to_string()
        } else {
            (value as i32).to_string()
        });
    }
    Ok(Value::new(points.join(" "), 0))
}

fn parse_buffer_limit_args(args: &[String], current: &Value) -> Result<Value, String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits = parse_buffer_limits(&current.text);
    let mut updates = Vec::new();
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = parse_memory(&group[1]);
        let soft = parse_memory(&group[2]);
        // soft_seconds is parsed with strtoll into a C int.
        let seconds = strtoll_whole(&group[3], 10).map(|s| s as i32);
        match (hard, soft, seconds) {
            (Some(hard), Some(soft), Some(seconds)) if seconds >= 0 => {
                updates.push((class, (hard, soft, i64::from(seconds))));
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                )
            }
        }
    }
    for (class, limit) in updates {
        limits[class] = limit;
    }
    let text = BUFFER_CLASSES
        .iter()
        .zip(limits)
        .map(|((name, _), (hard, soft, seconds))| format!("{name} {hard} {soft} {seconds}"))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Value::new(text, 0))
}

/// The current value of every parameter, plus the path of the configuration file, if any.
#[derive(Clone)]
pub struct Config {
    values: Vec<Value>,
    config_file: Option<PathBuf>,
    /// Changes whenever any value changes, so readers can cache derived settings cheaply.
    generation: u64,
}

/// A generation number never handed out before.
fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Default for Config {
    fn default() -> Self {
        let mut values: Vec<Value> = PARAMS
            .iter()
            .map(|param| {
                let number = match param.kind {
                    Kind::Bool | Kind::NoDefrag => i64::from(param.default == "yes"),
                    Kind::Enum(words) => words
                        .iter()
                        .position(|w| *w == param.default)
                        .unwrap_or_default() as i64,
                    Kind::MemoryOrPercent { .. } => match param.default.strip_suffix('%') {
                        Some(percent) => -percent.parse::<i64>().unwrap_or_default(),
                        None => param.default.parse().unwrap_or_default(),
                    },
                    Kind::UnsignedMemory => param.default.parse::<u64>().unwrap_or_default() as i64,
                    Kind::Octal { .. } => i64::from_str_radix(param.default, 8).unwrap_or_default(),
                    _ => param.default.parse().unwrap_or_default(),
                };
                Value::new(param.default, number)
            })
            .collect();
        // Valkey's default `dir` is the working directory it starts in.
        if let (Some((position, _)), Ok(cwd)) = (lookup("dir"), std::env::current_dir()) {
            values[position] = Value::new(cwd.display().to_string(), 0);
        }
        Self {
            values,
            config_file: None,
            generation: next_generation(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                PARAMS
                    .iter()
                    .zip(&self.values)
                    .map(|(p, v)| (p.name, &v.text)),
            )
            .finish()
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

/// Directives Valkey still accepts in a config file and ignores (with their argument count).
const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
    "io-threads-do-reads",
];

/// One match of CONFIG GET: the name to show and the parameter's index.
type Match = (String, usize);

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
        // The default save points are replaced by the first `save` line; later ones add to it.
        let mut save_seen = false;
        for (index, line) in text.split('\n').enumerate() {
            let trimmed = line.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
            let fail = |error| ConfigLoadError {
                version: env!("CARGO_PKG_VERSION"),
                line: index + 1,
                text: trimmed.to_string(),
                error,
            };
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let words = split_config_line(trimmed).ok_or_else(|| {
                fail(ConfigError::BadValue(
                    "Unbalanced quotes in configuration line".into(),
                ))
            })?;
            let Some((name, values)) = words.split_first() else {
                continue;
            };
            let Some((position, _)) = lookup(name) else {
                if DEPRECATED.iter().any(|d| d.eq_ignore_ascii_case(name)) && values.len() == 1 {
                    continue;
                }
                return Err(fail(ConfigError::BadDirective));
            };
            let param = &PARAMS[position];
            let args: Vec<String> = if param.is_multi_arg() {
                if values.len() == 1 && !values[0].is_empty() {
                    split_config_line(&values[0]).ok_or_else(|| {
                        fail(ConfigError::BadValue(
                            "Unbalanced quotes in configuration line".into(),
                        ))
                    })?
                } else {
                    values.to_vec()
                }
            } else if values.len() == 1 {
                values.to_vec()
            } else {
                return Err(fail(ConfigError::WrongArgs));
            };
            let mut value = parse_value(param, &args, &config.values[position], Source::File)
                .map_err(|e| fail(ConfigError::BadValue(e)))?;
            if matches!(param.kind, Kind::SavePoints) {
                let previous = &config.values[position].text;
                if save_seen && !previous.is_empty() && !value.text.is_empty() {
                    value.text = format!("{previous} {}", value.text);
                }
                save_seen = true;
            }
            config.values[position] = value;
            config.generation = next_generation();
        }
        Ok(config)
    }

    /// Remembers the configuration file the server was started with (CONFIG REWRITE rewrites it). A
    /// relative path is made absolute against the current directory, as Valkey does.
    pub fn set_config_file(&mut self, path: &Path) {
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|cwd| cwd.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        };
        self.config_file = Some(absolute);
    }

    /// The configuration file the server was started with, if any.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    fn position(name: &str) -> Option<usize> {
        lookup(name).map(|(position, _)| position)
    }

    /// The value of `name` (canonical name or alias), in CONFIG GET form; empty for an unknown name.
    pub fn get(&self, name: &str) -> &str {
        Self::position(name).map_or("", |p| self.values[p].text.as_str())
    }

    /// The number a parameter stands for: integers and byte counts (a percentage of
    /// `maxmemory-clients` is negative), 1/0 for yes/no, the position of an enum word, the flag bits
    /// of `notify-keyspace-events`.
    pub fn get_i64(&self, name: &str) -> i64 {
        Self::position(name).map_or(0, |p| self.values[p].number)
    }

    /// The value of a parameter held in an unsigned C type (`maxmemory`).
    pub fn get_u64(&self, name: &str) -> u64 {
        self.get_i64(name) as u64
    }

    /// The value of a yes/no parameter.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) == "yes"
    }

    /// A number that changes whenever any value changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Changes one parameter at run time (CONFIG SET of a single pair), with Valkey's checks.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let param = find_param(name).ok_or(ConfigError::BadDirective)?;
        if param.is_immutable() {
            return Err(ConfigError::Immutable);
        }
        self.set_initial(name, value)
    }

    /// Sets a value without the immutability check (used at start-up and by tests).
    pub fn set_initial(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let position = Self::position(name).ok_or(ConfigError::BadDirective)?;
        let param = &PARAMS[position];
        let args = if param.is_multi_arg() {
            split_spaces(value)
        } else {
            vec![value.to_string()]
        };
        let parsed = parse_value(param, &args, &self.values[position], Source::ConfigSet)
            .map_err(ConfigError::BadValue)?;
        self.values[position] = parsed;
        self.generation = next_generation();
        Ok(())
    }

    /// CONFIG SET with any number of name/value pairs: all are set or none, and the error is the reply
    /// Valkey gives (without the `ERR ` prefix). `allow_protected` says whether `dir` and `dbfilename`
    /// may change (`enable-protected-configs` for this client).
    pub fn set_many(
        &mut self,
        pairs: &[(String, String)],
        allow_protected: bool,
    ) -> Result<(), String> {
        // Valkey registers an alias as a config of its own: naming a parameter and its alias in one
        // CONFIG SET is not a duplicate.
        let mut positions: Vec<usize> = Vec::with_capacity(pairs.len());
        let mut names: Vec<(usize, bool)> = Vec::with_capacity(pairs.len());
        let mut failure: Option<(String, &str)> = None;
        for (name, _) in pairs {
            let Some((position, is_alias)) = lookup(name) else {
                if failure.is_none() {
                    return Err(format!(
                        "Unknown option or number of arguments for CONFIG SET - '{name}'"
                    ));
                }
                continue;
            };
            if failure.is_some() {
                continue;
            }
            let param = &PARAMS[position];
            if param.is_immutable() {
                failure = Some((name.clone(), "can't set immutable config"));
            } else if param.flags & PROTECTED != 0 && !allow_protected {
                failure = Some((name.clone(), "can't set protected config"));
            } else if names.contains(&(position, is_alias)) {
                failure = Some((name.clone(), "duplicate parameter"));
            }
            positions.push(position);
            names.push((position, is_alias));
        }
        if let Some((name, reason)) = failure {
            return Err(format!(
                "CONFIG SET failed (possibly related to argument '{name}') - {reason}"
            ));
        }
        let backup = self.values.clone();
        let cwd = std::env::current_dir().ok();
        for ((name, value), position) in pairs.iter().zip(positions) {
            let param = &PARAMS[position];
            let args = if param.is_multi_arg() {
                split_spaces(value)
            } else {
                vec![value.clone()]
            };
            match parse_value(param, &args, &self.values[position], Source::ConfigSet) {
                Ok(parsed) => {
                    self.values[position] = parsed;
                    self.generation = next_generation();
                }
                Err(reason) => {
                    self.values = backup;
                    if let Some(cwd) = cwd {
                        let _ = std::env::set_current_dir(cwd);
                    }
                    // Valkey names the parameter as registered: the alias when the alias was used.
                    let shown = match lookup(name) {
                        Some((_, true)) => param.alias.unwrap_or(param.name),
                        _ => param.name,
                    };
                    return Err(format!(
                        "CONFIG SET failed (possibly related to argument '{shown}') - {reason}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// CONFIG GET: the parameters matching any of `patterns`, as (name shown, value) pairs. An exact
    /// name (no `*`, `?` or `[`) is shown as typed and may name a hidden parameter; patterns match
    /// canonical names and aliases, case-insensitively.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut matches: Vec<Match> = Vec::new();
        let seen = |matches: &Vec<Match>, name: &str| {
            matches
                .iter()
                .any(|(shown, _)| shown.eq_ignore_ascii_case(name))
        };
        for pattern in patterns {
            let text = String::from_utf8_lossy(pattern);
            if !pattern.iter().any(|b| matches!(b, b'[' | b'*' | b'?')) {
                if seen(&matches, &text) {
                    continue;
                }
                if let Some((position, _)) = lookup(&text) {
                    matches.push((text.into_owned(), position));
                }
                continue;
            }
            for (position, param) in PARAMS.iter().enumerate() {
                if param.flags & HIDDEN != 0 {
                    continue;
                }
                for name in std::iter::once(param.name).chain(param.alias) {
                    if !seen(&matches, name)
                        && crate::glob::glob_match(pattern, name.as_bytes(), true)
                    {
                        matches.push((name.to_string(), position));
                    }
                }
            }
        }
        matches
            .into_iter()
            .map(|(shown, position)| (shown, self.values[position].text.clone()))
            .collect()
    }

    /// Every parameter with its current value, in table order.
    pub fn entries(&self) -> impl Iterator<Item = (&'static Param, &str)> + '_ {
        PARAMS
            .iter()
            .zip(&self.values)
            .map(|(param, value)| (param, value.text.as_str()))
    }

    /// CONFIG REWRITE: rewrites the configuration file the server was started with, keeping comments,
    /// unknown lines and the order of known ones, as Valkey does. Returns the error text Valkey replies
    /// with (without `ERR `).
    pub fn rewrite(&self) -> Result<(), String> {
        let Some(path) = self.config_file.as_deref() else {
            return Err("The server is running without a config file".into());
        };
        let old = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(format!("Rewriting config file: {}", os_error_text(&error))),
        };
        let content = self.rewritten_text(&old);
        write_atomically(path, &content)
            .map_err(|error| format!("Rewriting config file: {}", os_error_text(&error)))
    }

    /// The new text of a configuration file whose current text is `old`.
    fn rewritten_text(&self, old: &str) -> String {
        let mut state = RewriteState::read(old);
        for (param, value) in PARAMS.iter().zip(&self.values) {
            self.rewrite_param(&mut state, param, value);
        }
        state.finish()
    }

    fn rewrite_param(&self, state: &mut RewriteState, param: &Param, value: &Value) {
        let name = param.name;
        let text = value.text.as_str();
        let differs = text != param.default;
        match param.kind {
            Kind::Bool
            | Kind::NoDefrag
            | Kind::Int { .. }
            | Kind::UnsignedInt
            | Kind::Octal { .. }
            | Kind::Enum(_)
            | Kind::ValueEnum(_)
            | Kind::FlagSet(_) => state.rewrite(name, format!("{name} {text}"), differs),
            Kind::Memory { .. } | Kind::UnsignedMemory | Kind::MemoryOrPercent { .. } => {
                let shown =
                    if value.number < 0 && matches!(param.kind, Kind::MemoryOrPercent { .. }) {
                        text.to_string()
                    } else {
                        format_memory(value.number)
                    };
                state.rewrite(name, format!("{name} {shown}"), differs);
            }
            Kind::Str => state.rewrite(name, format!("{name} {}", repr(text)), differs),
            Kind::Checked(check) if !check.empty_is_unset() => {
                state.rewrite(name, format!("{name} {}", repr(text)), differs)
            }
            Kind::OptStr | Kind::Checked(_) | Kind::Unsupported(_) => {
                if text.is_empty() {
                    state.mark_processed(name);
                } else {
                    state.rewrite(name, format!("{name} {}", repr(text)), true);
                }
            }
            Kind::SavePoints => {
                if text.is_empty() {
                    state.rewrite(name, format!("{name} \"\""), true);
                } else {
                    state.rewrite(name, format!("{name} {text}"), true);
                }
                state.mark_processed(name);
            }
            Kind::AddressList => {
                if !differs {
                    state.mark_processed(name);
                } else if text.is_empty() {
                    state.rewrite(name, format!("{name} \"\""), true);
                } else {
                    state.rewrite(name, format!("{name} {text}"), true);
                }
            }
            Kind::OutputBufferLimits => {
                let defaults = parse_buffer_limits(param.default);
                let current = parse_buffer_limits(text);
                for ((_, class), (limit, default)) in
                    BUFFER_CLASSES.iter().zip(current.iter().zip(defaults))
                {
                    let (hard, soft, seconds) = *limit;
                    let line = format!(
                        "{name} {class} {} {} {seconds}",
                        format_memory(hard as i64),
                        format_memory(soft as i64)
                    );
                    state.rewrite(name, line, *limit != default);
                }
            }
            Kind::OomScoreAdjValues => state.rewrite(name, format!("{name} {text}"), differs),
            Kind::KeyspaceEvents => {
                state.rewrite(name, format!("{name} {}", repr(text)), !text.is_empty())
            }
            Kind::Dir => state.rewrite(name, format!("{name} {}", repr(text)), true),
            Kind::ReplicaOf => {
                if text.is_empty() {
                    state.mark_processed(name);
                } else {
                    state.rewrite(name, format!("{name} {text}"), true);
                }
            }
            Kind::Percentiles => {
                let shown = if text.is_empty() { "\"\"" } else { text };
                state.rewrite(name, format!("{name} {shown}"), true);
            }
        }
    }
}

/// Formats a byte count for a config file like Valkey's `rewriteConfigFormatMemory`.
fn format_memory(bytes: i64) -> String {
    const GB: i64 = 1024 * 1024 * 1024;
    const MB: i64 = 1024 * 1024;
    const KB: i64 = 1024;
    if bytes != 0 && bytes % GB == 0 {
        format!("{}gb", bytes / GB)
    } else if bytes != 0 && bytes % MB == 0 {
        format!("{}mb", bytes / MB)
    } else if bytes != 0 && bytes % KB == 0 {
        format!("{}kb", bytes / KB)
    } else {
        bytes.to_string()
    }
}

/// Quotes `text` like Valkey's `sdscatrepr`.
pub fn repr(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for &b in text.as_bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out.push('"');
    out
}

/// Splits a configuration line into words like Valkey's `sdssplitargs`; `None` for unbalanced quotes.
fn split_config_line(line: &str) -> Option<Vec<String>> {
    let mut argv = ferry_resp::Argv::new();
    ferry_resp::request::split_inline_args(line.as_bytes(), &mut argv).ok()?;
    Some(
        argv.iter()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect(),
    )
}

/// Directives a config file may hold besides parameters; CONFIG REWRITE leaves their lines alone.
const OTHER_DIRECTIVES: &[&str] = &[
    "include",
    "rename-command",
    "user",
    "loadmodule",
    "sentinel",
];

/// The first line CONFIG REWRITE appends to a file.
const SIGNATURE: &str = "# Generated by CONFIG REWRITE";

/// The lines of a configuration file being rewritten (Valkey's `rewriteConfigState`).
struct RewriteState {
    lines: Vec<String>,
    /// Canonical option name → the lines that set it, in file order, not yet reused.
    option_lines: HashMap<String, Vec<usize>>,
    /// Options handled by the rewrite: their unused old lines are blanked.
    processed: Vec<String>,
    needs_signature: bool,
}

impl RewriteState {
    fn read(old: &str) -> Self {
        let mut state = RewriteState {
            lines: Vec::new(),
            option_lines: HashMap::new(),
            processed: Vec::new(),
            needs_signature: true,
        };
        if old.is_empty() {
            return state;
        }
        for raw in old.split('\n') {
            let line = raw.trim_matches(|c| matches!(c, '\r' | '\n' | '\t' | ' '));
            if line.is_empty() || line.starts_with('#') {
                if line == SIGNATURE {
                    state.needs_signature = false;
                }
                state.lines.push(line.to_string());
                continue;
            }
            let words = split_config_line(line);
            let option =
                words
                    .as_ref()
                    .and_then(|w| w.first())
                    .and_then(|first| match lookup(first) {
                        Some((position, _)) => Some(PARAMS[position].name.to_string()),
                        None if OTHER_DIRECTIVES
                            .iter()
                            .any(|d| d.eq_ignore_ascii_case(first)) =>
                        {
                            Some(first.to_ascii_lowercase())
                        }
                        None => None,
                    });
            match option {
                Some(option) => {
                    state
                        .option_lines
                        .entry(option)
                        .or_default()
                        .push(state.lines.len());
                    state.lines.push(line.to_string());
                }
                None => state.lines.push(format!("# ??? {line}")),
            }
        }
        state
    }

    fn mark_processed(&mut self, option: &str) {
        if !self.processed.iter().any(|p| p == option) {
            self.processed.push(option.to_string());
        }
    }

    /// Puts `line` in place of the next old line of `option`, or appends it when `force` is set.
    fn rewrite(&mut self, option: &str, line: String, force: bool) {
        self.mark_processed(option);
        let reuse = self
            .option_lines
            .get_mut(option)
            .filter(|lines| !lines.is_empty())
            .map(|lines| lines.remove(0));
        match reuse {
            Some(at) => self.lines[at] = line,
            None if force => {
                if self.needs_signature {
                    self.lines.push(SIGNATURE.to_string());
                    self.needs_signature = false;
                }
                self.lines.push(line);
            }
            None => {}
        }
    }

    /// Blanks the leftover lines of processed options and joins the lines, collapsing runs of empty
    /// lines into one.
    fn finish(mut self) -> String {
        for (option, lines) in &self.option_lines {
            if self.processed.iter().any(|p| p == option) {
                for &at in lines {
                    self.lines[at].clear();
                }
            }
        }
        let mut content = String::new();
        let mut was_empty = false;
        for line in &self.lines {
            if line.is_empty() {
                if was_empty {
                    continue;
                }
                was_empty = true;
            } else {
                was_empty = false;
            }
            content.push_str(line);
            content.push('\n');
        }
        content
    }
}

/// Replaces `path` with `content` atomically: a temporary file in the same directory, fsync, rename.
fn write_atomically(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{:06}", std::process::id() % 1_000_000));
    let temporary = PathBuf::from(temporary);
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(content.as_bytes())?;
        file.sync_all()?;
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
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
            text.push_str(&repr(arg));
        }
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(words: &[&str]) -> Vec<(String, String)> {
        words
            .chunks(2)
            .map(|p| (p[0].to_string(), p[1].to_string()))
            .collect()
    }

    #[test]
    fn names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for param in PARAMS {
            for name in std::iter::once(param.name).chain(param.alias) {
                assert!(seen.insert(name), "{name} is listed twice in PARAMS");
            }
        }
    }

    #[test]
    fn defaults_parse_as_their_own_kind() {
        let config = Config::default();
        for param in PARAMS {
            if matches!(
                param.kind,
                Kind::Dir | Kind::ReplicaOf | Kind::Unsupported(_)
            ) {
                continue;
            }
            let mut copy = config.clone();
            assert_eq!(
                copy.set_initial(param.name, param.default),
                Ok(()),
                "{}",
                param.name
            );
            assert_eq!(copy.get(param.name), param.default, "{}", param.name);
        }
    }

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
    fn file_save_lines_add_up_and_multi_arg_values_split() {
        let config = Config::load(
            Some("save 900 1\nsave 300 10\nclient-output-buffer-limit \"pubsub 1mb 2mb 3\"\n"),
            &[],
        )
        .unwrap();
        assert_eq!(config.get("save"), "900 1 300 10");
        assert_eq!(
            config.get("client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3"
        );
    }

    #[test]
    fn load_errors_name_their_line() {
        let err = Config::load(Some("port 1\nfoo bar\n"), &[]).unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.error, ConfigError::BadDirective);
        let err = Config::load(Some("hz 1 2\n"), &[]).unwrap_err();
        assert_eq!(err.error, ConfigError::WrongArgs);
        let err = Config::load(Some("hz x\n"), &[]).unwrap_err();
        assert_eq!(
            err.to_string().lines().last(),
            Some("argument couldn't be parsed into an integer")
        );
        assert!(Config::load(Some("list-max-ziplist-entries 5\n"), &[]).is_ok());
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("1GB"), Some(1 << 30));
        assert_eq!(parse_memory("10k"), Some(10_000));
        assert_eq!(parse_memory(""), Some(0));
        assert_eq!(parse_memory("kb"), Some(0));
        assert_eq!(parse_memory("05"), Some(5));
        assert_eq!(parse_memory("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_memory("18446744073709551616"), None);
        assert_eq!(parse_memory("-1"), None);
        assert_eq!(parse_memory("+5"), None);
        assert_eq!(parse_memory(" 5"), None);
        assert_eq!(parse_memory("1t"), None);
        assert_eq!(parse_memory("x"), None);
    }

    #[test]
    fn config_set_errors_match_valkey() {
        let mut config = Config::default();
        let set = |config: &mut Config, words: &[&str]| config.set_many(&pairs(words), false);
        assert_eq!(
            set(&mut config, &["hz", "abc"]),
            Err("CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer".into())
        );
        assert_eq!(
            set(&mut config, &["HZ", "-1"]),
            Err("CONFIG SET failed (possibly related to argument 'hz') - argument must be between 0 and 2147483647 inclusive".into())
        );
        assert_eq!(
            set(&mut config, &["nosuch", "1"]),
            Err("Unknown option or number of arguments for CONFIG SET - 'nosuch'".into())
        );
        assert_eq!(
            set(&mut config, &["daemonize", "no", "nosuch", "1"]),
            Err("CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config".into())
        );
        assert_eq!(
            set(&mut config, &["slave-read-only", "no", "SLAVE-read-only", "no"]),
            Err("CONFIG SET failed (possibly related to argument 'SLAVE-read-only') - duplicate parameter".into())
        );
        assert_eq!(
            set(
                &mut config,
                &["replica-read-only", "yes", "slave-read-only", "yes"]
            ),
            Ok(())
        );
        assert_eq!(
            set(&mut config, &["dir", "/tmp"]),
            Err("CONFIG SET failed (possibly related to argument 'dir') - can't set protected config".into())
        );
        assert_eq!(
            set(&mut config, &["slave-read-only", "maybe"]),
            Err("CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'".into())
        );
        // All or nothing: the valid first pair is rolled back.
        assert!(set(&mut config, &["maxclients", "5", "hz", "x"]).is_err());
        assert_eq!(config.get("maxclients"), "10000");
        assert_eq!(set(&mut config, &["maxclients", "5", "hz", "1000"]), Ok(()));
        assert_eq!(config.get_i64("maxclients"), 5);
        assert_eq!(config.get("hz"), "500");
    }

    #[test]
    fn numeric_kinds_wrap_and_format_like_valkey() {
        let mut config = Config::default();
        config.set("cluster-blacklist-ttl", "-1").unwrap();
        assert_eq!(config.get("cluster-blacklist-ttl"), "-1");
        config.set("maxmemory", "20000000000gb").unwrap();
        assert_eq!(config.get("maxmemory"), "3028092406290448384");
        config.set("maxmemory", "18446744073709551615").unwrap();
        assert_eq!(config.get_u64("maxmemory"), u64::MAX);
        config.set("maxmemory-clients", "10%").unwrap();
        assert_eq!(config.get("maxmemory-clients"), "10%");
        assert_eq!(config.get_i64("maxmemory-clients"), -10);
        assert_eq!(
            config.set("maxmemory-clients", "101%"),
            Err(ConfigError::BadValue(
                "percentage argument must be less or equal to 100".into()
            ))
        );
        config
            .set("slot-migration-max-failover-repl-bytes", "-1")
            .unwrap();
        assert_eq!(
            config.get("slot-migration-max-failover-repl-bytes"),
            "18446744073709551615"
        );
        assert!(config.set("hash-max-listpack-value", "-1").is_err());
        assert_eq!(
            config.set("maxclients", "-1"),
            Err(ConfigError::BadValue(
                "argument must be between 1 and 4294967295 inclusive".into()
            ))
        );
    }

    #[test]
    fn enums_flags_and_lists() {
        let mut config = Config::default();
        config.set("oom-score-adj", "relative").unwrap();
        assert_eq!(config.get("oom-score-adj"), "yes");
        config.set("shutdown-on-sigterm", "now save").unwrap();
        assert_eq!(config.get("shutdown-on-sigterm"), "save now");
        assert!(config.set("shutdown-on-sigterm", "save nosave").is_err());
        config.set("notify-keyspace-events", "KEA").unwrap();
        assert_eq!(config.get("notify-keyspace-events"), "AKE");
        config.set("notify-keyspace-events", "nA").unwrap();
        assert_eq!(config.get("notify-keyspace-events"), "A");
        assert_eq!(
            config.get_i64("notify-keyspace-events"),
            i64::from(notify::ALL | notify::NEW)
        );
        config.set("save", "100 5 10 1").unwrap();
        assert_eq!(config.get("save"), "100 5 10 1");
        assert!(config.set("save", "100  5").is_err());
        config.set("save", "").unwrap();
        assert_eq!(config.get("save"), "");
        config
            .set("latency-tracking-info-percentiles", "50.0 99.90 1")
            .unwrap();
        assert_eq!(config.get("latency-tracking-info-percentiles"), "50 99.9 1");
        config
            .set("client-output-buffer-limit", "replica 1gb 0 0")
            .unwrap();
        assert_eq!(
            config.get("client-output-buffer-limit"),
            "normal 0 0 0 slave 1073741824 0 0 pubsub 33554432 8388608 60"
        );
        assert_eq!(
            config.set("enable-debug-command", "yes"),
            Err(ConfigError::Immutable)
        );
    }

    #[test]
    fn config_get_names_and_patterns() {
        let config = Config::default();
        let get = |patterns: &[&str]| {
            let patterns: Vec<&[u8]> = patterns.iter().map(|p| p.as_bytes()).collect();
            config.get_matching(&patterns)
        };
        assert_eq!(get(&["HZ", "hz"]), [("HZ".to_string(), "10".to_string())]);
        let names: Vec<String> = get(&["*read-only"]).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["replica-read-only", "slave-read-only"]);
        assert!(get(&["key-load-*"]).is_empty());
        assert_eq!(get(&["key-load-delay"]).len(), 1);
        assert!(get(&["nosuch"]).is_empty());
        assert_eq!(get(&["maxmemory*", "maxmemory"]).len(), 5);
    }

    #[test]
    fn rewrite_keeps_the_file_shape() {
        let old = "# my config\nport 7701\n\n\n# comment two\nsave 900 1\nsave 300 10\nslave-read-only yes\nhz 15\nmaxmemory 100mb\nbind 127.0.0.1\nrequirepass \"\"\nlogfile \"\"\nnotify-keyspace-events Ex\nmystery 1\n";
        let mut config = Config::load(Some(&old.replace("mystery 1\n", "")), &[]).unwrap();
        config.set("maxmemory-policy", "allkeys-lru").unwrap();
        config.set("timeout", "5").unwrap();
        let text = config.rewritten_text(old);
        let dir = config.get("dir").to_string();
        assert_eq!(
            text,
            format!(
                "# my config\nport 7701\n\n# comment two\nsave 900 1 300 10\n\nreplica-read-only yes\nhz 15\nmaxmemory 100mb\nbind 127.0.0.1\n\nlogfile \"\"\nnotify-keyspace-events \"xE\"\n# ??? mystery 1\n\n# Generated by CONFIG REWRITE\nmaxmemory-policy allkeys-lru\ntimeout 5\ndir {}\nlatency-tracking-info-percentiles 50 99 99.9\n",
                repr(&dir)
            )
        );
        // Rewriting again only keeps the file's final newline as an empty line, as Valkey does.
        let again = Config::load(Some(&text.replace("# ??? mystery 1\n", "")), &[]).unwrap();
        assert_eq!(again.rewritten_text(&text), format!("{text}\n"));
    }

    #[test]
    fn rewrite_without_file_fails() {
        assert_eq!(
            Config::default().rewrite(),
            Err("The server is running without a config file".into())
        );
    }

    #[test]
    fn memory_values_are_rewritten_with_units() {
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(3 << 20), "3mb");
        assert_eq!(format_memory(2048), "2kb");
        assert_eq!(format_memory(1000), "1000");
    }
}
