//! Decides whether a reference reply and a target reply are equivalent. By default they must be
//! byte-identical; a small table, keyed by command name, relaxes only what legitimately differs between
//! two correct servers (hash-order of unordered collections, clocks, randomness, process details). Error
//! replies, number formatting and reply types are never relaxed: an error reply is always compared
//! byte for byte.

use ferry_resp::frame::parse_frame;
use ferry_resp::number::parse_i64;
use ferry_resp::Frame;

use crate::client::{Reply, Response};

/// How the replies of one command are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// Byte-identical (the default).
    Exact,
    /// The same aggregate with the same elements in any order (KEYS, SMEMBERS, ...).
    UnorderedElements,
    /// The same aggregate (flat array or map) with the same field/value pairs in any order (HGETALL, ...).
    UnorderedPairs,
    /// A SCAN-family reply `[cursor, elements]`: when the request cursor (argument `cursor_arg`) is 0 and
    /// both reply cursors are 0 the scan covered everything and the elements are compared as unordered
    /// (pairs when `pairs`); when both cursors are non-zero only the shape is compared.
    Scan {
        /// Index of the cursor argument.
        cursor_arg: usize,
        /// Elements come in field/value pairs (HSCAN, ZSCAN).
        pairs: bool,
    },
    /// Both a nil or both a bulk string (RANDOMKEY).
    NilOrBulk,
    /// Integers (or arrays of integers) equal within this tolerance when both are non-negative;
    /// negative values (no key, no TTL) must be equal (TTL, PTTL, EXPIRETIME, ...).
    Tolerance(i64),
    /// Both integers, any value (CLIENT ID, LASTSAVE, MEMORY USAGE).
    AnyInteger,
    /// The same reply type, and the same aggregate length: for replies chosen at random (SRANDMEMBER).
    SameShape,
    /// Members drawn at random (SPOP, SRANDMEMBER): the same shape, every element a bulk string; when
    /// the count (argument `count_arg`) is non-negative the target's members are distinct, and when
    /// the reference gave fewer than the count (the whole set) both gave the same members.
    RandomMembers {
        /// Index of the count argument.
        count_arg: usize,
    },
    /// INFO: the same section headers in order; the listed fields of the reference present in the
    /// target with a value of the same kind (see [`INFO_FIELDS`]).
    InfoFields,
    /// CLIENT LIST / CLIENT INFO: the same number of lines; per line, the listed fields of the reference
    /// present in the target with a value of the same kind (see [`CLIENT_FIELDS`]).
    ClientFields,
    /// TIME: both arrays of two bulk strings holding integers.
    Time,
    /// HELLO: the same fields and values, except `id`, which need only be an integer in both.
    Hello,
    /// DUMP: both nil, or two payloads with the same type byte and version whose values decode equal;
    /// set members and hash fields in any order (see [`dump_payloads`]).
    DumpPayload,
}

/// Which invocations of a command a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matcher {
    /// Any arguments.
    Any,
    /// The first argument is this subcommand (case-insensitive).
    Sub(&'static str),
    /// No arguments at all.
    NoArgs,
    /// This word (case-insensitive) is among the arguments after the key.
    Option(&'static str),
}

/// One row of the rule table.
#[derive(Debug, Clone, Copy)]
pub struct RuleEntry {
    /// Upper-case command name.
    pub command: &'static str,
    /// Which invocations.
    pub matcher: Matcher,
    /// How their replies are compared.
    pub rule: Rule,
}

const fn entry(command: &'static str, matcher: Matcher, rule: Rule) -> RuleEntry {
    RuleEntry {
        command,
        matcher,
        rule,
    }
}

/// The normalisation table: every command not listed here is compared byte for byte. Add a row to
/// relax a command; add a `Rule` variant (and its arm in `equivalent_replies`) for a new kind of
/// relaxation.
pub static RULES: &[RuleEntry] = &[
    // Unordered collections (hash-table iteration order differs between processes).
    entry("KEYS", Matcher::Any, Rule::UnorderedElements),
    entry("SMEMBERS", Matcher::Any, Rule::UnorderedElements),
    entry("SINTER", Matcher::Any, Rule::UnorderedElements),
    entry("SUNION", Matcher::Any, Rule::UnorderedElements),
    entry("SDIFF", Matcher::Any, Rule::UnorderedElements),
    entry("HKEYS", Matcher::Any, Rule::UnorderedElements),
    entry("HVALS", Matcher::Any, Rule::UnorderedElements),
    entry("HGETALL", Matcher::Any, Rule::UnorderedPairs),
    entry("CONFIG", Matcher::Sub("GET"), Rule::UnorderedPairs),
    entry("COMMAND", Matcher::NoArgs, Rule::UnorderedElements),
    entry("COMMAND", Matcher::Sub("LIST"), Rule::UnorderedElements),
    entry("COMMAND", Matcher::Sub("INFO"), Rule::UnorderedElements),
    entry("COMMAND", Matcher::Sub("DOCS"), Rule::UnorderedPairs),
    entry("PUBSUB", Matcher::Sub("CHANNELS"), Rule::UnorderedElements),
    entry(
        "PUBSUB",
        Matcher::Sub("SHARDCHANNELS"),
        Rule::UnorderedElements,
    ),
    entry(
        "SCAN",
        Matcher::Any,
        Rule::Scan {
            cursor_arg: 1,
            pairs: false,
        },
    ),
    entry(
        "SSCAN",
        Matcher::Any,
        Rule::Scan {
            cursor_arg: 2,
            pairs: false,
        },
    ),
    // HSCAN ... NOVALUES lists fields only, so its elements are not pairs.
    entry(
        "HSCAN",
        Matcher::Option("NOVALUES"),
        Rule::Scan {
            cursor_arg: 2,
            pairs: false,
        },
    ),
    entry(
        "HSCAN",
        Matcher::Any,
        Rule::Scan {
            cursor_arg: 2,
            pairs: true,
        },
    ),
    entry(
        "ZSCAN",
        Matcher::Any,
        Rule::Scan {
            cursor_arg: 2,
            pairs: true,
        },
    ),
    // Randomness.
    entry("RANDOMKEY", Matcher::Any, Rule::NilOrBulk),
    entry(
        "SRANDMEMBER",
        Matcher::Any,
        Rule::RandomMembers { count_arg: 2 },
    ),
    entry("SPOP", Matcher::Any, Rule::RandomMembers { count_arg: 2 }),
    entry("HRANDFIELD", Matcher::Any, Rule::SameShape),
    entry("ZRANDMEMBER", Matcher::Any, Rule::SameShape),
    // Clocks: the two servers run the same command a few milliseconds apart.
    entry("TTL", Matcher::Any, Rule::Tolerance(1)),
    entry("PTTL", Matcher::Any, Rule::Tolerance(1000)),
    entry("EXPIRETIME", Matcher::Any, Rule::Tolerance(1)),
    entry("PEXPIRETIME", Matcher::Any, Rule::Tolerance(1000)),
    entry("HTTL", Matcher::Any, Rule::Tolerance(1)),
    entry("HPTTL", Matcher::Any, Rule::Tolerance(1000)),
    entry("HEXPIRETIME", Matcher::Any, Rule::Tolerance(1)),
    entry("HPEXPIRETIME", Matcher::Any, Rule::Tolerance(1000)),
    entry("OBJECT", Matcher::Sub("IDLETIME"), Rule::Tolerance(1)),
    entry("TIME", Matcher::Any, Rule::Time),
    entry("LASTSAVE", Matcher::Any, Rule::AnyInteger),
    // Process details.
    entry("CLIENT", Matcher::Sub("ID"), Rule::AnyInteger),
    entry("CLIENT", Matcher::Sub("LIST"), Rule::ClientFields),
    entry("CLIENT", Matcher::Sub("INFO"), Rule::ClientFields),
    entry("MEMORY", Matcher::Sub("USAGE"), Rule::AnyInteger),
    entry("INFO", Matcher::Any, Rule::InfoFields),
    entry("HELLO", Matcher::Any, Rule::Hello),
    // Serialised values: hash tables are written in their iteration order.
    entry("DUMP", Matcher::Any, Rule::DumpPayload),
];

/// How a field's value is compared in INFO and CLIENT LIST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Byte-identical.
    Exact,
    /// Any integer.
    Integer,
    /// Any number (integer or decimal).
    Float,
    /// Anything (only its presence is checked).
    Text,
    /// A keyspace line `keys=..,expires=..,avg_ttl=..`: keys and expires equal, the other sub-fields present.
    Keyspace,
}

/// INFO fields checked by [`Rule::InfoFields`]; `db*` lines are [`FieldKind::Keyspace`].
pub static INFO_FIELDS: &[(&str, FieldKind)] = &[
    // Server
    ("redis_version", FieldKind::Exact),
    ("server_name", FieldKind::Text),
    ("valkey_version", FieldKind::Exact),
    ("redis_mode", FieldKind::Exact),
    ("server_mode", FieldKind::Exact),
    ("os", FieldKind::Text),
    ("arch_bits", FieldKind::Exact),
    ("multiplexing_api", FieldKind::Text),
    ("process_id", FieldKind::Integer),
    ("run_id", FieldKind::Text),
    ("tcp_port", FieldKind::Integer),
    ("server_time_usec", FieldKind::Integer),
    ("uptime_in_seconds", FieldKind::Integer),
    ("uptime_in_days", FieldKind::Integer),
    ("hz", FieldKind::Exact),
    ("configured_hz", FieldKind::Exact),
    ("lru_clock", FieldKind::Integer),
    ("executable", FieldKind::Text),
    ("config_file", FieldKind::Text),
    ("io_threads_active", FieldKind::Exact),
    // Clients
    ("connected_clients", FieldKind::Integer),
    ("maxclients", FieldKind::Exact),
    ("blocked_clients", FieldKind::Integer),
    ("tracking_clients", FieldKind::Integer),
    ("pubsub_clients", FieldKind::Integer),
    ("watching_clients", FieldKind::Integer),
    ("total_watched_keys", FieldKind::Integer),
    ("total_blocking_keys", FieldKind::Integer),
    // Memory
    ("used_memory", FieldKind::Integer),
    ("used_memory_human", FieldKind::Text),
    ("used_memory_rss", FieldKind::Integer),
    ("used_memory_peak", FieldKind::Integer),
    ("maxmemory", FieldKind::Exact),
    ("maxmemory_human", FieldKind::Exact),
    ("maxmemory_policy", FieldKind::Exact),
    ("mem_fragmentation_ratio", FieldKind::Float),
    ("mem_allocator", FieldKind::Text),
    ("lazyfree_pending_objects", FieldKind::Integer),
    // Persistence
    ("loading", FieldKind::Exact),
    ("rdb_changes_since_last_save", FieldKind::Integer),
    ("rdb_bgsave_in_progress", FieldKind::Exact),
    ("rdb_last_save_time", FieldKind::Integer),
    ("rdb_last_bgsave_status", FieldKind::Exact),
    ("aof_enabled", FieldKind::Exact),
    ("aof_rewrite_in_progress", FieldKind::Exact),
    ("aof_last_bgrewrite_status", FieldKind::Exact),
    ("aof_last_write_status", FieldKind::Exact),
    // Stats
    ("total_connections_received", FieldKind::Integer),
    ("total_commands_processed", FieldKind::Integer),
    ("instantaneous_ops_per_sec", FieldKind::Integer),
    ("total_net_input_bytes", FieldKind::Integer),
    ("total_net_output_bytes", FieldKind::Integer),
    ("rejected_connections", FieldKind::Integer),
    ("expired_keys", FieldKind::Integer),
    ("evicted_keys", FieldKind::Integer),
    ("keyspace_hits", FieldKind::Integer),
    ("keyspace_misses", FieldKind::Integer),
    ("pubsub_channels", FieldKind::Integer),
    ("pubsub_patterns", FieldKind::Integer),
    ("total_error_replies", FieldKind::Integer),
    // Replication
    ("role", FieldKind::Exact),
    ("connected_slaves", FieldKind::Exact),
    ("master_replid", FieldKind::Text),
    ("master_repl_offset", FieldKind::Integer),
    ("repl_backlog_active", FieldKind::Integer),
    // CPU
    ("used_cpu_sys", FieldKind::Float),
    ("used_cpu_user", FieldKind::Float),
    // Cluster
    ("cluster_enabled", FieldKind::Exact),
];

/// CLIENT LIST / CLIENT INFO fields checked by [`Rule::ClientFields`].
pub static CLIENT_FIELDS: &[(&str, FieldKind)] = &[
    ("id", FieldKind::Integer),
    ("addr", FieldKind::Text),
    ("laddr", FieldKind::Text),
    ("fd", FieldKind::Integer),
    ("name", FieldKind::Exact),
    ("age", FieldKind::Integer),
    ("idle", FieldKind::Integer),
    ("flags", FieldKind::Exact),
    ("db", FieldKind::Exact),
    ("sub", FieldKind::Exact),
    ("psub", FieldKind::Exact),
    ("ssub", FieldKind::Exact),
    ("multi", FieldKind::Exact),
    ("watch", FieldKind::Exact),
    ("qbuf", FieldKind::Integer),
    ("qbuf-free", FieldKind::Integer),
    ("argv-mem", FieldKind::Integer),
    ("multi-mem", FieldKind::Integer),
    ("obl", FieldKind::Integer),
    ("oll", FieldKind::Integer),
    ("omem", FieldKind::Integer),
    ("tot-mem", FieldKind::Integer),
    ("events", FieldKind::Text),
    ("cmd", FieldKind::Exact),
    ("user", FieldKind::Exact),
    ("redir", FieldKind::Exact),
    ("resp", FieldKind::Exact),
    ("lib-name", FieldKind::Exact),
    ("lib-ver", FieldKind::Exact),
];

/// The rule for one command line.
pub fn rule_for<A: AsRef<[u8]>>(argv: &[A]) -> Rule {
    let Some(name) = argv.first() else {
        return Rule::Exact;
    };
    let sub = argv.get(1).map(AsRef::as_ref);
    RULES
        .iter()
        .find(|e| {
            e.command.as_bytes().eq_ignore_ascii_case(name.as_ref())
                && match e.matcher {
                    Matcher::Any => true,
                    Matcher::NoArgs => argv.len() == 1,
                    Matcher::Sub(s) => {
                        sub.is_some_and(|sub| sub.eq_ignore_ascii_case(s.as_bytes()))
                    }
                    Matcher::Option(word) => argv
                        .iter()
                        .skip(2)
                        .any(|arg| arg.as_ref().eq_ignore_ascii_case(word.as_bytes())),
                }
        })
        .map_or(Rule::Exact, |e| e.rule)
}

/// Whether the two responses to `argv` are equivalent. `queued` holds the commands an EXEC runs (as
/// they were acknowledged with +QUEUED), so each element of EXEC's reply is compared by its own rule.
pub fn equivalent<A: AsRef<[u8]>>(
    argv: &[A],
    queued: Option<&[Vec<Vec<u8>>]>,
    reference: &Response,
    target: &Response,
) -> bool {
    match (reference, target) {
        (Response::Reply(r), Response::Reply(t)) => {
            let is_exec = argv
                .first()
                .is_some_and(|n| n.as_ref().eq_ignore_ascii_case(b"EXEC"));
            match queued {
                Some(queued) if is_exec => equivalent_exec(queued, r, t),
                _ => equivalent_replies(rule_for(argv), argv, r, t),
            }
        }
        (Response::Closed, Response::Closed) => true,
        // A reply that is owed and never comes is a divergence even when both sides are silent: two
        // servers that hang, or a read that waits past the timeout, prove nothing about agreement.
        (Response::Timeout, _) | (_, Response::Timeout) => false,
        (Response::Malformed { raw: a, .. }, Response::Malformed { raw: b, .. }) => a == b,
        _ => false,
    }
}

fn equivalent_exec(queued: &[Vec<Vec<u8>>], r: &Reply, t: &Reply) -> bool {
    if r.raw == t.raw {
        return true;
    }
    let (Frame::Array(Some(ref_items)), Frame::Array(Some(_))) = (&r.frame, &t.frame) else {
        return false;
    };
    if ref_items.len() != queued.len() || header(&r.raw) != header(&t.raw) {
        return false;
    }
    let (Some(ref_children), Some(target_children)) = (children(r), children(t)) else {
        return false;
    };
    ref_children
        .iter()
        .zip(&target_children)
        .zip(queued)
        .all(|((rc, tc), argv)| equivalent_replies(rule_for(argv), argv, rc, tc))
}

/// Compares two replies under a rule.
pub fn equivalent_replies<A: AsRef<[u8]>>(rule: Rule, argv: &[A], r: &Reply, t: &Reply) -> bool {
    if r.raw == t.raw {
        return true;
    }
    let is_error = |f: &Frame| matches!(f, Frame::Error(_));
    if rule == Rule::Exact || is_error(&r.frame) || is_error(&t.frame) {
        return false;
    }
    match rule {
        Rule::Exact => false,
        Rule::UnorderedElements => unordered(r, t, false),
        Rule::UnorderedPairs => unordered(r, t, true),
        Rule::Scan { cursor_arg, pairs } => scan(argv, cursor_arg, pairs, r, t),
        Rule::NilOrBulk => matches!(
            (&r.frame, &t.frame),
            (Frame::Bulk(None), Frame::Bulk(None))
                | (Frame::Null, Frame::Null)
                | (Frame::Bulk(Some(_)), Frame::Bulk(Some(_)))
        ),
        Rule::Tolerance(tolerance) => within_tolerance(&r.frame, &t.frame, tolerance),
        Rule::AnyInteger => matches!((&r.frame, &t.frame), (Frame::Integer(_), Frame::Integer(_))),
        Rule::SameShape => same_shape(&r.frame, &t.frame),
        Rule::RandomMembers { count_arg } => random_members(argv, count_arg, r, t),
        Rule::InfoFields => info_fields(&r.frame, &t.frame),
        Rule::ClientFields => client_fields(&r.frame, &t.frame),
        Rule::Time => is_time(&r.frame) && is_time(&t.frame),
        Rule::Hello => hello(r, t),
        Rule::DumpPayload => match (&r.frame, &t.frame) {
            (Frame::Bulk(Some(a)), Frame::Bulk(Some(b))) => dump_payloads(a, b),
            _ => false,
        },
    }
}

/// True when two DUMP payloads hold the same value: the same type byte and version, and values that
/// decode equal, comparing set members and hash fields (with their TTLs) as unordered collections.
/// Everything else (strings, lists, sorted sets) must decode identically, in order.
pub fn dump_payloads(reference: &[u8], target: &[u8]) -> bool {
    use ferry_rdb::value::RdbValue;
    let (Ok((a, version_a)), Ok((b, version_b))) = (
        ferry_rdb::dump::decode(reference),
        ferry_rdb::dump::decode(target),
    ) else {
        return false;
    };
    if version_a != version_b || reference.first() != target.first() {
        return false;
    }
    match (a, b) {
        (RdbValue::Set(mut a), RdbValue::Set(mut b)) => {
            a.sort_unstable();
            b.sort_unstable();
            a == b
        }
        (RdbValue::Hash(mut a), RdbValue::Hash(mut b)) => {
            a.sort_unstable_by(|x, y| x.field.cmp(&y.field));
            b.sort_unstable_by(|x, y| x.field.cmp(&y.field));
            a == b
        }
        (a, b) => a == b,
    }
}

/// The first line of a reply (its type and length header).
fn header(raw: &[u8]) -> &[u8] {
    raw.windows(2)
        .position(|w| w == b"\r\n")
        .map_or(raw, |end| &raw[..end])
}

/// The elements of an aggregate reply, each with its own exact bytes (a map yields key, value, ...).
fn children(reply: &Reply) -> Option<Vec<Reply>> {
    let expected = match &reply.frame {
        Frame::Array(Some(items)) | Frame::Set(items) | Frame::Push(items) => items.len(),
        Frame::Map(pairs) => pairs.len() * 2,
        _ => return None,
    };
    let mut pos = header(&reply.raw).len() + 2;
    let mut out = Vec::with_capacity(expected);
    while out.len() < expected {
        let rest = reply.raw.get(pos..)?;
        let (frame, used) = parse_frame(rest).ok()??;
        out.push(Reply {
            frame,
            raw: rest[..used].to_vec(),
        });
        pos += used;
    }
    Some(out)
}

fn unordered(r: &Reply, t: &Reply, pairs: bool) -> bool {
    if header(&r.raw) != header(&t.raw) {
        return false;
    }
    let (Some(a), Some(b)) = (children(r), children(t)) else {
        return false;
    };
    // An odd element count cannot be pairs: never equivalent, whatever the other side holds.
    match (sorted_raw(&a, pairs), sorted_raw(&b, pairs)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn sorted_raw(items: &[Reply], pairs: bool) -> Option<Vec<Vec<u8>>> {
    let mut keys: Vec<Vec<u8>> = if pairs {
        let chunks = items.chunks_exact(2);
        if !chunks.remainder().is_empty() {
            return None;
        }
        chunks
            .map(|pair| [pair[0].raw.as_slice(), pair[1].raw.as_slice()].concat())
            .collect()
    } else {
        items.iter().map(|item| item.raw.clone()).collect()
    };
    keys.sort();
    Some(keys)
}

fn scan<A: AsRef<[u8]>>(argv: &[A], cursor_arg: usize, pairs: bool, r: &Reply, t: &Reply) -> bool {
    let (Some(rc), Some(tc)) = (children(r), children(t)) else {
        return false;
    };
    let ([r_cursor, r_items], [t_cursor, t_items]) = (rc.as_slice(), tc.as_slice()) else {
        return false;
    };
    let zero = |f: &Frame| *f == Frame::Bulk(Some(b"0".to_vec()));
    let bulk = |f: &Frame| matches!(f, Frame::Bulk(Some(_)));
    if !bulk(&r_cursor.frame) || !bulk(&t_cursor.frame) {
        return false;
    }
    let started_at_zero = argv.get(cursor_arg).is_some_and(|c| c.as_ref() == b"0");
    // ZSCAN NOSCORES and HSCAN NOVALUES list members alone.
    let pairs = pairs
        && !argv.iter().skip(cursor_arg + 1).any(|arg| {
            let arg = arg.as_ref();
            arg.eq_ignore_ascii_case(b"noscores") || arg.eq_ignore_ascii_case(b"novalues")
        });
    match (zero(&r_cursor.frame), zero(&t_cursor.frame)) {
        (true, true) if started_at_zero => unordered(r_items, t_items, pairs),
        // A later page, or a scan still under way: how keys spread over pages is the server's choice.
        (true, true) | (false, false) => is_array(&r_items.frame) && is_array(&t_items.frame),
        _ => false,
    }
}

fn is_array(frame: &Frame) -> bool {
    matches!(frame, Frame::Array(Some(_)))
}

fn within_tolerance(r: &Frame, t: &Frame, tolerance: i64) -> bool {
    match (r, t) {
        (Frame::Integer(a), Frame::Integer(b)) => {
            a == b || (*a >= 0 && *b >= 0 && a.abs_diff(*b) <= tolerance.unsigned_abs())
        }
        (Frame::Array(Some(a)), Frame::Array(Some(b))) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| within_tolerance(x, y, tolerance))
        }
        _ => r == t,
    }
}

fn same_shape(r: &Frame, t: &Frame) -> bool {
    use std::mem::discriminant;
    if discriminant(r) != discriminant(t) {
        return false;
    }
    match (r, t) {
        (Frame::Array(a), Frame::Array(b)) => a.as_ref().map(Vec::len) == b.as_ref().map(Vec::len),
        (Frame::Bulk(a), Frame::Bulk(b)) => a.is_some() == b.is_some(),
        (Frame::Set(a), Frame::Set(b)) => a.len() == b.len(),
        (Frame::Map(a), Frame::Map(b)) => a.len() == b.len(),
        _ => true,
    }
}

fn random_members<A: AsRef<[u8]>>(argv: &[A], count_arg: usize, r: &Reply, t: &Reply) -> bool {
    if !same_shape(&r.frame, &t.frame) {
        return false;
    }
    let (Some(ref_items), Some(target_items)) = (children(r), children(t)) else {
        // A single member or nil: the shape is all that can be compared.
        return true;
    };
    let is_bulk = |item: &Reply| matches!(item.frame, Frame::Bulk(Some(_)));
    if !ref_items.iter().all(is_bulk) || !target_items.iter().all(is_bulk) {
        return false;
    }
    let Some(count) = argv.get(count_arg).and_then(|c| parse_i64(c.as_ref())) else {
        return true;
    };
    if count < 0 {
        return true;
    }
    let (Some(ref_sorted), Some(target_sorted)) = (
        sorted_raw(&ref_items, false),
        sorted_raw(&target_items, false),
    ) else {
        return false;
    };
    let distinct = target_sorted.windows(2).all(|pair| pair[0] != pair[1]);
    let whole_set = (ref_items.len() as i64) < count;
    distinct && (!whole_set || ref_sorted == target_sorted)
}

fn is_time(frame: &Frame) -> bool {
    let Frame::Array(Some(items)) = frame else {
        return false;
    };
    items.len() == 2
        && items
            .iter()
            .all(|item| matches!(item, Frame::Bulk(Some(text)) if parse_i64(text).is_some()))
}

/// The text of a bulk or verbatim reply, if the two replies have the same type.
fn text_pair<'a>(r: &'a Frame, t: &'a Frame) -> Option<(&'a [u8], &'a [u8])> {
    match (r, t) {
        (Frame::Bulk(Some(a)), Frame::Bulk(Some(b))) => Some((a, b)),
        (Frame::Verbatim(fa, a), Frame::Verbatim(fb, b)) if fa == fb => Some((a, b)),
        _ => None,
    }
}

fn value_matches(kind: FieldKind, a: &[u8], b: &[u8]) -> bool {
    let number = |v: &[u8]| {
        std::str::from_utf8(v)
            .ok()
            .is_some_and(|s| s.parse::<f64>().is_ok_and(f64::is_finite))
    };
    match kind {
        FieldKind::Exact => a == b,
        FieldKind::Integer => parse_i64(a).is_some() && parse_i64(b).is_some(),
        FieldKind::Float => number(a) && number(b),
        FieldKind::Text => true,
        FieldKind::Keyspace => keyspace_matches(a, b),
    }
}

/// Splits `a=1<sep>b=2` into name/value pairs.
fn split_fields(text: &[u8], separator: u8) -> Fields {
    text.split(|&c| c == separator)
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.iter().position(|&c| c == b'=') {
            Some(eq) => (kv[..eq].to_vec(), kv[eq + 1..].to_vec()),
            None => (kv.to_vec(), Vec::new()),
        })
        .collect()
}

fn keyspace_matches(a: &[u8], b: &[u8]) -> bool {
    let (fa, fb) = (split_fields(a, b','), split_fields(b, b','));
    fa.iter().all(|(name, value)| {
        let Some((_, other)) = fb.iter().find(|(n, _)| n == name) else {
            return false;
        };
        match name.as_slice() {
            b"keys" | b"expires" => value == other,
            _ => true,
        }
    })
}

fn info_kind(name: &[u8]) -> Option<FieldKind> {
    if name.len() > 2 && name.starts_with(b"db") && name[2..].iter().all(u8::is_ascii_digit) {
        return Some(FieldKind::Keyspace);
    }
    INFO_FIELDS
        .iter()
        .find(|(field, _)| field.as_bytes() == name)
        .map(|(_, kind)| *kind)
}

fn info_fields(r: &Frame, t: &Frame) -> bool {
    let Some((a, b)) = text_pair(r, t) else {
        return false;
    };
    let parse = |text: &[u8]| -> (Vec<Vec<u8>>, Fields) {
        let mut headers = Vec::new();
        let mut fields = Vec::new();
        for line in text.split(|&c| c == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.starts_with(b"#") {
                headers.push(line.to_vec());
            } else if let Some(colon) = line.iter().position(|&c| c == b':') {
                fields.push((line[..colon].to_vec(), line[colon + 1..].to_vec()));
            }
        }
        (headers, fields)
    };
    let ((ha, fa), (hb, fb)) = (parse(a), parse(b));
    ha == hb && fields_match(&fa, &fb, info_kind)
}

/// `name`/`value` pairs of an INFO section or a CLIENT LIST line.
type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn fields_match(
    reference: &[(Vec<u8>, Vec<u8>)],
    target: &[(Vec<u8>, Vec<u8>)],
    kind_of: impl Fn(&[u8]) -> Option<FieldKind>,
) -> bool {
    reference.iter().all(|(name, value)| match kind_of(name) {
        None => true,
        Some(kind) => target
            .iter()
            .find(|(n, _)| n == name)
            .is_some_and(|(_, other)| value_matches(kind, value, other)),
    })
}

fn client_kind(name: &[u8]) -> Option<FieldKind> {
    CLIENT_FIELDS
        .iter()
        .find(|(field, _)| field.as_bytes() == name)
        .map(|(_, kind)| *kind)
}

fn client_fields(r: &Frame, t: &Frame) -> bool {
    let Some((a, b)) = text_pair(r, t) else {
        return false;
    };
    let lines = |text: &[u8]| -> Vec<Fields> {
        text.split(|&c| c == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| split_fields(line, b' '))
            .collect()
    };
    let (la, lb) = (lines(a), lines(b));
    la.len() == lb.len()
        && la
            .iter()
            .zip(&lb)
            .all(|(x, y)| fields_match(x, y, client_kind))
}

fn hello(r: &Reply, t: &Reply) -> bool {
    if header(&r.raw) != header(&t.raw) {
        return false;
    }
    let (Some(a), Some(b)) = (children(r), children(t)) else {
        return false;
    };
    let (pairs_a, pairs_b) = (a.chunks_exact(2), b.chunks_exact(2));
    if a.len() != b.len() || !pairs_a.remainder().is_empty() {
        return false;
    }
    pairs_a.zip(pairs_b).all(|(x, y)| {
        let is_id = matches!(&x[0].frame, Frame::Bulk(Some(k)) | Frame::Simple(k) if k == b"id");
        x[0].raw == y[0].raw
            && (x[1].raw == y[1].raw
                || is_id
                    && matches!(
                        (&x[1].frame, &y[1].frame),
                        (Frame::Integer(_), Frame::Integer(_))
                    ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(raw: &[u8]) -> Response {
        let (frame, used) = parse_frame(raw).unwrap().unwrap();
        assert_eq!(used, raw.len());
        Response::Reply(Reply {
            frame,
            raw: raw.to_vec(),
        })
    }

    fn same(argv: &[&str], a: &[u8], b: &[u8]) -> bool {
        equivalent(argv, None, &reply(a), &reply(b))
    }

    #[test]
    fn dump_payloads_compare_sets_and_hashes_unordered() {
        use ferry_rdb::dump::seal;
        use ferry_rdb::RdbVersion;
        let valkey = |body: &[u8]| seal(body.to_vec(), RdbVersion::VALKEY_9);
        let set_ab = valkey(b"\x02\x02\x01a\x01b");
        assert!(dump_payloads(&set_ab, &valkey(b"\x02\x02\x01b\x01a")));
        assert!(!dump_payloads(&set_ab, &valkey(b"\x02\x02\x01b\x01c")));
        assert!(!dump_payloads(
            &set_ab,
            &seal(b"\x02\x02\x01a\x01b".to_vec(), RdbVersion::RDB_11)
        ));
        // Lists keep their order, and the type byte must agree.
        let list_ab = valkey(b"\x01\x02\x01a\x01b");
        assert!(!dump_payloads(&list_ab, &valkey(b"\x01\x02\x01b\x01a")));
        assert!(!dump_payloads(&set_ab, &list_ab));
        let hash = valkey(b"\x04\x02\x01f\x01v\x01g\x01w");
        assert!(dump_payloads(
            &hash,
            &valkey(b"\x04\x02\x01g\x01w\x01f\x01v")
        ));
        assert!(!dump_payloads(
            &hash,
            &valkey(b"\x04\x02\x01g\x01x\x01f\x01v")
        ));
        let raw = |payload: &[u8]| {
            let mut raw = format!("${}\r\n", payload.len()).into_bytes();
            raw.extend_from_slice(payload);
            raw.extend_from_slice(b"\r\n");
            raw
        };
        assert!(same(
            &["DUMP", "s"],
            &raw(&set_ab),
            &raw(&valkey(b"\x02\x02\x01b\x01a"))
        ));
        assert!(!same(&["DUMP", "s"], &raw(&set_ab), b"$-1\r\n"));
    }

    #[test]
    fn exact_by_default_and_errors_never_relaxed() {
        assert!(same(&["GET", "k"], b"$1\r\na\r\n", b"$1\r\na\r\n"));
        assert!(!same(&["GET", "k"], b"$1\r\na\r\n", b"+a\r\n"));
        assert!(!same(&["TTL", "k"], b"-ERR x\r\n", b"-ERR y\r\n"));
        assert!(!same(&["KEYS", "*"], b"-ERR x\r\n", b"*0\r\n"));
        assert!(!same(
            &["INCRBYFLOAT", "k", "1"],
            b"$3\r\n1.0\r\n",
            b"$1\r\n1\r\n"
        ));
    }

    #[test]
    fn unordered_collections() {
        let a = b"*2\r\n$1\r\na\r\n$1\r\nb\r\n";
        let b = b"*2\r\n$1\r\nb\r\n$1\r\na\r\n";
        assert!(same(&["KEYS", "*"], a, b));
        assert!(!same(&["MGET", "a", "b"], a, b));
        assert!(!same(&["KEYS", "*"], a, b"*2\r\n$1\r\nb\r\n$1\r\nc\r\n"));
        assert!(!same(&["KEYS", "*"], a, b"~2\r\n$1\r\nb\r\n$1\r\na\r\n"));
        assert!(same(
            &["smembers", "s"],
            b"~2\r\n:1\r\n:2\r\n",
            b"~2\r\n:2\r\n:1\r\n"
        ));
        // Pairs move together.
        let h1 = b"*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n";
        let h2 = b"*4\r\n$1\r\ng\r\n$1\r\n2\r\n$1\r\nf\r\n$1\r\n1\r\n";
        let h3 = b"*4\r\n$1\r\ng\r\n$1\r\n1\r\n$1\r\nf\r\n$1\r\n2\r\n";
        assert!(same(&["HGETALL", "h"], h1, h2));
        assert!(!same(&["HGETALL", "h"], h1, h3));
        assert!(same(
            &["HGETALL", "h"],
            b"%2\r\n$1\r\nf\r\n:1\r\n$1\r\ng\r\n:2\r\n",
            b"%2\r\n$1\r\ng\r\n:2\r\n$1\r\nf\r\n:1\r\n"
        ));
    }

    #[test]
    fn scan_covering_everything_is_unordered() {
        let a = b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n";
        let b = b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n";
        assert!(same(&["SCAN", "0", "COUNT", "1000"], a, b));
        assert!(!same(
            &["SCAN", "0"],
            a,
            b"*2\r\n$1\r\n5\r\n*1\r\n$1\r\nb\r\n"
        ));
        assert!(same(
            &["SSCAN", "s", "0"],
            b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n",
            b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
        ));
        // ZSCAN pairs move together; with NOSCORES the members stand alone.
        let z1 = b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n";
        let z2 = b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n";
        let z3 = b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\n2\r\n";
        assert!(same(&["ZSCAN", "z", "0"], z1, z2));
        assert!(!same(&["ZSCAN", "z", "0"], z1, z3));
        let m1 = b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";
        let m2 = b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n";
        assert!(same(&["ZSCAN", "z", "0", "NOSCORES"], m1, m2));
        assert!(same(&["HSCAN", "h", "0", "novalues"], m1, m2));
    }

    #[test]
    fn hscan_novalues_lists_single_fields() {
        let a = b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n";
        let b = b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n";
        assert!(same(&["HSCAN", "h", "0", "COUNT", "100", "novalues"], a, b));
        assert!(!same(&["HSCAN", "h", "0", "COUNT", "100"], a, b));
        let pairs = b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n";
        let swapped = b"*2\r\n$1\r\n0\r\n*4\r\n$1\r\ng\r\n$1\r\n2\r\n$1\r\nf\r\n$1\r\n1\r\n";
        assert!(same(&["HSCAN", "h", "0"], pairs, swapped));
    }

    #[test]
    fn clocks_and_randomness() {
        assert!(same(&["TTL", "k"], b":100\r\n", b":99\r\n"));
        assert!(!same(&["TTL", "k"], b":100\r\n", b":98\r\n"));
        assert!(!same(&["TTL", "k"], b":-1\r\n", b":-2\r\n"));
        assert!(!same(&["TTL", "k"], b":-1\r\n", b":0\r\n"));
        assert!(same(&["PTTL", "k"], b":100000\r\n", b":99100\r\n"));
        assert!(same(
            &["HTTL", "h", "FIELDS", "1", "f"],
            b"*1\r\n:10\r\n",
            b"*1\r\n:9\r\n"
        ));
        assert!(same(&["RANDOMKEY"], b"$1\r\na\r\n", b"$1\r\nb\r\n"));
        // Random members: distinct for a non-negative count, the whole set when fewer came back.
        let ab = b"*2\r\n$1\r\na\r\n$1\r\nb\r\n";
        let ac = b"*2\r\n$1\r\na\r\n$1\r\nc\r\n";
        let aa = b"*2\r\n$1\r\na\r\n$1\r\na\r\n";
        assert!(same(&["SRANDMEMBER", "s", "2"], ab, ac));
        assert!(!same(&["SRANDMEMBER", "s", "2"], ab, aa));
        assert!(same(&["SRANDMEMBER", "s", "-2"], ab, aa));
        assert!(!same(&["SRANDMEMBER", "s", "5"], ab, ac));
        assert!(same(
            &["SRANDMEMBER", "s", "5"],
            ab,
            b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"
        ));
        assert!(!same(
            &["SRANDMEMBER", "s", "2"],
            ab,
            b"*2\r\n$1\r\na\r\n:1\r\n"
        ));
        assert!(same(&["SPOP", "s"], b"$1\r\na\r\n", b"$1\r\nb\r\n"));
        assert!(!same(&["SPOP", "s"], b"$1\r\na\r\n", b"$-1\r\n"));
        assert!(same(
            &["SPOP", "s", "2"],
            b"~2\r\n$1\r\na\r\n$1\r\nb\r\n",
            b"~2\r\n$1\r\nc\r\n$1\r\nb\r\n"
        ));
        assert!(!same(
            &["SPOP", "s", "2"],
            b"~2\r\n$1\r\na\r\n$1\r\nb\r\n",
            b"*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
        ));
        assert!(!same(&["RANDOMKEY"], b"$1\r\na\r\n", b"$-1\r\n"));
        assert!(same(
            &["TIME"],
            b"*2\r\n$2\r\n17\r\n$1\r\n5\r\n",
            b"*2\r\n$2\r\n18\r\n$1\r\n9\r\n"
        ));
        assert!(!same(
            &["TIME"],
            b"*2\r\n$2\r\n17\r\n$1\r\n5\r\n",
            b"*2\r\n:18\r\n:9\r\n"
        ));
        assert!(same(&["CLIENT", "ID"], b":3\r\n", b":7\r\n"));
        assert!(!same(
            &["CLIENT", "GETNAME"],
            b"$1\r\na\r\n",
            b"$1\r\nb\r\n"
        ));
    }

    #[test]
    fn info_and_client_fields() {
        let a = b"# Server\r\nredis_version:7.2.4\r\nprocess_id:1\r\nunlisted:x\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=5\r\n";
        let b = b"# Server\r\nredis_version:7.2.4\r\nprocess_id:99\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n";
        let bulk = |t: &[u8]| [format!("${}\r\n", t.len()).as_bytes(), t, b"\r\n"].concat();
        assert!(same(&["INFO"], &bulk(a), &bulk(b)));
        let c = b"# Server\r\nredis_version:7.2.5\r\nprocess_id:99\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n";
        assert!(!same(&["INFO"], &bulk(a), &bulk(c)));
        let d = b"# Server\r\nredis_version:7.2.4\r\nprocess_id:x\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n";
        assert!(!same(&["INFO"], &bulk(a), &bulk(d)));
        let e = b"# Server\r\nredis_version:7.2.4\r\nprocess_id:1\r\n\r\n# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n";
        assert!(!same(&["INFO"], &bulk(a), &bulk(e)));

        let c1 = b"id=3 addr=127.0.0.1:1 fd=8 name= flags=N db=0 cmd=client|info\n";
        let c2 = b"id=9 addr=127.0.0.1:2 fd=9 name= flags=N db=0 cmd=client|info\n";
        let c3 = b"id=9 addr=127.0.0.1:2 fd=9 name= flags=x db=0 cmd=client|info\n";
        assert!(same(&["CLIENT", "INFO"], &bulk(c1), &bulk(c2)));
        assert!(!same(&["CLIENT", "INFO"], &bulk(c1), &bulk(c3)));
    }

    #[test]
    fn hello_ignores_only_the_id() {
        let a = b"%2\r\n$6\r\nserver\r\n$6\r\nvalkey\r\n$2\r\nid\r\n:3\r\n";
        let b = b"%2\r\n$6\r\nserver\r\n$6\r\nvalkey\r\n$2\r\nid\r\n:8\r\n";
        let c = b"%2\r\n$6\r\nserver\r\n$5\r\nferry\r\n$2\r\nid\r\n:8\r\n";
        assert!(same(&["HELLO", "3"], a, b));
        assert!(!same(&["HELLO", "3"], a, c));
    }

    #[test]
    fn exec_elements_follow_their_own_rules() {
        let queued = vec![
            vec![b"KEYS".to_vec(), b"*".to_vec()],
            vec![b"GET".to_vec(), b"k".to_vec()],
        ];
        let a = reply(b"*2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nv\r\n");
        let b = reply(b"*2\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nv\r\n");
        let c = reply(b"*2\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nw\r\n");
        assert!(equivalent(&["EXEC"], Some(&queued), &a, &b));
        assert!(!equivalent(&["EXEC"], Some(&queued), &a, &c));
        assert!(!equivalent(&["EXEC"], None, &a, &b));
    }

    #[test]
    fn connection_outcomes() {
        assert!(equivalent(
            &["QUIT"],
            None,
            &Response::Closed,
            &Response::Closed
        ));
        assert!(!equivalent(
            &["PING"],
            None,
            &Response::Closed,
            &reply(b"+PONG\r\n")
        ));
        assert!(!equivalent(
            &["PING"],
            None,
            &Response::Timeout,
            &Response::Closed
        ));
        assert!(!equivalent(
            &["PING"],
            None,
            &Response::Timeout,
            &Response::Timeout
        ));
    }
}
