//! Sorted-set commands as Valkey 9.1 implements them: ZADD/ZINCRBY with every option, removals by
//! member, rank, score and lex range, the unified ZRANGE (and the older ZRANGEBYSCORE/BYLEX/ZREVRANGE*
//! forms, ZRANGESTORE), ranks and scores, ZUNION/ZINTER/ZDIFF with their STORE forms and ZINTERCARD,
//! ZRANDMEMBER, the pops (ZPOPMIN/ZPOPMAX/ZMPOP and the blocking BZPOPMIN/BZPOPMAX/BZMPOP) and ZSCAN.

use std::collections::HashMap;

use ferry_resp::number::parse_i64;
use ferry_resp::{Argv, ReplyBuffer};
use rand::Rng;

use crate::blocking::{parse_timeout, TimeoutReply};
use crate::commands::scan::{parse_cursor, sample, ScanKind, ScanOptions, INVALID_CURSOR};
use crate::commands::{acl, flags, CommandSpec, Ctx, KEY1, KEYS_BEFORE_TIMEOUT, NO_KEYS, TWO_KEYS};
use crate::error::{
    wrong_arity, CommandError, CommandResult, NOT_FLOAT, NOT_INTEGER, SYNTAX, WRONG_TYPE,
};
use crate::glob::glob_match;
use crate::notify::class;
use crate::server::Server;
use crate::types::set::{Member, SetRef};
use crate::types::zset::score::{parse_bound, parse_score};
use crate::types::zset::{AddFlags, Added, LexBound, Limits, Range, ZSet};
use crate::types::Value;

const READ_FAST: u32 = flags::READONLY | flags::FAST;
const WRITE_FAST: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const ACL_READ_FAST: u64 = acl::READ | acl::SORTEDSET | acl::FAST;
const ACL_READ_SLOW: u64 = acl::READ | acl::SORTEDSET | acl::SLOW;
const ACL_WRITE_FAST: u64 = acl::WRITE | acl::SORTEDSET | acl::FAST;
const ACL_WRITE_SLOW: u64 = acl::WRITE | acl::SORTEDSET | acl::SLOW;

/// Sorted-set commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, WRITE_FAST, ACL_WRITE_FAST, KEY1, zadd),
    CommandSpec::new("zincrby", 4, WRITE_FAST, ACL_WRITE_FAST, KEY1, zincrby),
    CommandSpec::new(
        "zrem",
        -3,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        zrem,
    ),
    CommandSpec::new("zcard", 2, READ_FAST, ACL_READ_FAST, KEY1, zcard),
    CommandSpec::new("zscore", 3, READ_FAST, ACL_READ_FAST, KEY1, zscore),
    CommandSpec::new("zmscore", -3, READ_FAST, ACL_READ_FAST, KEY1, zmscore),
    CommandSpec::new("zrank", -3, READ_FAST, ACL_READ_FAST, KEY1, zrank),
    CommandSpec::new("zrevrank", -3, READ_FAST, ACL_READ_FAST, KEY1, zrevrank),
    CommandSpec::new("zcount", 4, READ_FAST, ACL_READ_FAST, KEY1, zcount),
    CommandSpec::new("zlexcount", 4, READ_FAST, ACL_READ_FAST, KEY1, zlexcount),
    CommandSpec::new("zrange", -4, flags::READONLY, ACL_READ_SLOW, KEY1, zrange),
    CommandSpec::new(
        "zrangestore",
        -5,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        TWO_KEYS,
        zrangestore,
    ),
    CommandSpec::new(
        "zrevrange",
        -4,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        zrevrange,
    ),
    CommandSpec::new(
        "zrangebyscore",
        -4,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        zrangebyscore,
    ),
    CommandSpec::new(
        "zrevrangebyscore",
        -4,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        zrevrangebyscore,
    ),
    CommandSpec::new(
        "zrangebylex",
        -4,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        zrangebylex,
    ),
    CommandSpec::new(
        "zrevrangebylex",
        -4,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        zrevrangebylex,
    ),
    CommandSpec::new(
        "zremrangebyrank",
        4,
        flags::WRITE,
        ACL_WRITE_SLOW,
        KEY1,
        zremrangebyrank,
    ),
    CommandSpec::new(
        "zremrangebyscore",
        4,
        flags::WRITE,
        ACL_WRITE_SLOW,
        KEY1,
        zremrangebyscore,
    ),
    CommandSpec::new(
        "zremrangebylex",
        4,
        flags::WRITE,
        ACL_WRITE_SLOW,
        KEY1,
        zremrangebylex,
    ),
    CommandSpec::new(
        "zunion",
        -3,
        flags::READONLY,
        ACL_READ_SLOW,
        NO_KEYS,
        zunion,
    )
    .with_movable_keys(numkeys_at_1),
    CommandSpec::new(
        "zinter",
        -3,
        flags::READONLY,
        ACL_READ_SLOW,
        NO_KEYS,
        zinter,
    )
    .with_movable_keys(numkeys_at_1),
    CommandSpec::new("zdiff", -3, flags::READONLY, ACL_READ_SLOW, NO_KEYS, zdiff)
        .with_movable_keys(numkeys_at_1),
    CommandSpec::new(
        "zintercard",
        -3,
        flags::READONLY,
        ACL_READ_SLOW,
        NO_KEYS,
        zintercard,
    )
    .with_movable_keys(numkeys_at_1),
    CommandSpec::new(
        "zunionstore",
        -4,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        KEY1,
        zunionstore,
    )
    .with_movable_keys(destination_and_numkeys_at_2),
    CommandSpec::new(
        "zinterstore",
        -4,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        KEY1,
        zinterstore,
    )
    .with_movable_keys(destination_and_numkeys_at_2),
    CommandSpec::new(
        "zdiffstore",
        -4,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        KEY1,
        zdiffstore,
    )
    .with_movable_keys(destination_and_numkeys_at_2),
    CommandSpec::new(
        "zrandmember",
        -2,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        zrandmember,
    ),
    CommandSpec::new(
        "zpopmin",
        -2,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        zpopmin,
    ),
    CommandSpec::new(
        "zpopmax",
        -2,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        zpopmax,
    ),
    CommandSpec::new("zmpop", -4, flags::WRITE, ACL_WRITE_SLOW, NO_KEYS, zmpop)
        .with_movable_keys(numkeys_at_1),
    CommandSpec::new(
        "bzpopmin",
        -3,
        flags::WRITE | flags::BLOCKING | flags::FAST,
        ACL_WRITE_FAST | acl::BLOCKING,
        KEYS_BEFORE_TIMEOUT,
        bzpopmin,
    ),
    CommandSpec::new(
        "bzpopmax",
        -3,
        flags::WRITE | flags::BLOCKING | flags::FAST,
        ACL_WRITE_FAST | acl::BLOCKING,
        KEYS_BEFORE_TIMEOUT,
        bzpopmax,
    ),
    CommandSpec::new(
        "bzmpop",
        -5,
        flags::WRITE | flags::BLOCKING,
        ACL_WRITE_SLOW | acl::BLOCKING,
        NO_KEYS,
        bzmpop,
    )
    .with_movable_keys(numkeys_at_2),
    CommandSpec::new("zscan", -3, flags::READONLY, ACL_READ_SLOW, KEY1, zscan),
];

const RANGE_NOT_FLOAT: CommandError = CommandError::fixed("ERR min or max is not a float");
const RANGE_NOT_LEX: CommandError =
    CommandError::fixed("ERR min or max not valid string range item");
const NAN_RESULT: CommandError = CommandError::fixed("ERR resulting score is not a number (NaN)");
const XX_AND_NX: CommandError =
    CommandError::fixed("ERR XX and NX options at the same time are not compatible");
const GT_LT_NX: CommandError =
    CommandError::fixed("ERR GT, LT, and/or NX options at the same time are not compatible");
const INCR_ONE_PAIR: CommandError =
    CommandError::fixed("ERR INCR option supports a single increment-element pair");
const LIMIT_NEEDS_BY: CommandError = CommandError::fixed(
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
);
const LEX_NO_WITHSCORES: CommandError =
    CommandError::fixed("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
const NOT_POSITIVE: CommandError =
    CommandError::fixed("ERR value is out of range, must be positive");
const WEIGHT_NOT_FLOAT: CommandError = CommandError::fixed("ERR weight value is not a float");
const LIMIT_NEGATIVE: CommandError = CommandError::fixed("ERR LIMIT can't be negative");
const NUMKEYS_NOT_POSITIVE: CommandError =
    CommandError::fixed("ERR numkeys should be greater than 0");
const COUNT_NOT_POSITIVE: CommandError = CommandError::fixed("ERR count should be greater than 0");
const OUT_OF_RANGE: CommandError = CommandError::fixed("ERR value is out of range");

// ---------------------------------------------------------------------------------------------------
// Key finders.

/// The keys named by a `numkeys` argument at `at`, starting right after it.
fn keys_after_numkeys(argv: &Argv, at: usize) -> Vec<usize> {
    let Some(count) = argv.get(at).and_then(parse_i64) else {
        return Vec::new();
    };
    match usize::try_from(count) {
        Ok(count) if count > 0 && at + count < argv.len() => (at + 1..=at + count).collect(),
        _ => Vec::new(),
    }
}

fn numkeys_at_1(argv: &Argv) -> Vec<usize> {
    keys_after_numkeys(argv, 1)
}

fn numkeys_at_2(argv: &Argv) -> Vec<usize> {
    keys_after_numkeys(argv, 2)
}

fn destination_and_numkeys_at_2(argv: &Argv) -> Vec<usize> {
    let mut keys = vec![1];
    keys.extend(keys_after_numkeys(argv, 2));
    keys
}

// ---------------------------------------------------------------------------------------------------
// Shared helpers (also used by the geo commands).

/// The configured listpack thresholds.
pub(crate) fn limits(server: &Server) -> Limits {
    let read = |name: &str| usize::try_from(server.config.get_i64(name)).unwrap_or(0);
    Limits {
        max_entries: read("zset-max-listpack-entries"),
        max_value: read("zset-max-listpack-value"),
    }
}

/// Looks `key` up for reading (counting a hit or miss): `None` when missing, WRONGTYPE for other types.
pub(crate) fn read_zset<'s>(
    server: &'s mut Server,
    db: usize,
    key: &[u8],
    now_ms: i64,
) -> Result<Option<&'s ZSet>, CommandError> {
    let value = server.dbs[db].get_read(key, now_ms);
    if value.is_some() {
        server.stats.keyspace_hits += 1;
    } else {
        server.stats.keyspace_misses += 1;
    }
    as_zset(value)
}

/// The sorted set in `value`, or WRONGTYPE.
// Other value types arrive with their families; until then the fallback arm cannot match.
#[allow(unreachable_patterns)]
pub(crate) fn as_zset(value: Option<&Value>) -> Result<Option<&ZSet>, CommandError> {
    match value {
        None => Ok(None),
        Some(Value::ZSet(zset)) => Ok(Some(zset)),
        Some(_) => Err(WRONG_TYPE),
    }
}

/// Looks `key` up for writing: `None` when missing, WRONGTYPE for other types.
#[allow(unreachable_patterns)]
fn write_zset<'s>(
    server: &'s mut Server,
    db: usize,
    key: &[u8],
    now_ms: i64,
) -> Result<Option<&'s mut ZSet>, CommandError> {
    match server.dbs[db].get_mut(key, now_ms) {
        None => Ok(None),
        Some(Value::ZSet(zset)) => Ok(Some(zset)),
        Some(_) => Err(WRONG_TYPE),
    }
}

/// After a write: deletes the key when the set became empty (Valkey never keeps an empty collection).
/// Returns true when the key was deleted.
fn settle(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let now = ctx.now_ms;
    let empty = match ctx.db().get_mut(key, now) {
        Some(Value::ZSet(zset)) => zset.is_empty(),
        _ => false,
    };
    if empty {
        ctx.db().remove(key);
    }
    empty
}

/// Stores a computed result under `destination` like Valkey's *STORE commands: the set (encoded as a
/// stored result), replacing any value and TTL, or deletes `destination` when the result is empty.
/// Replies with the number of elements.
pub(crate) fn store_result(ctx: &mut Ctx<'_>, destination: &[u8], pairs: Vec<(Vec<u8>, f64)>) {
    let count = pairs.len();
    if count == 0 {
        if ctx.db().remove(destination).is_some() {
            ctx.key_modified(destination);
            ctx.notify(class::GENERIC, "del", destination);
        }
        ctx.reply().int(0);
        return;
    }
    let zset = ZSet::from_pairs(pairs, limits(ctx.server));
    ctx.db().set(destination, Value::ZSet(zset));
    ctx.key_modified(destination);
    ctx.notify(class::ZSET, store_event(ctx.spec.full_name), destination);
    ctx.reply().int(count as i64);
}

/// The event a storing command announces: its own name, except GEORADIUS and GEORADIUSBYMEMBER with
/// STORE, which announce `georadiusstore`.
fn store_event(command: &'static str) -> &'static str {
    if command.starts_with("georadius") {
        "georadiusstore"
    } else {
        command
    }
}

/// Announces `event` after elements left the sorted set under `key`, and `del` when that `emptied`
/// it away.
fn removed_elements(ctx: &mut Ctx<'_>, key: &[u8], event: &str, emptied: bool) {
    ctx.notify(class::ZSET, event, key);
    if emptied {
        ctx.notify(class::GENERIC, "del", key);
    }
}

/// Argument `index` as a `long` (Valkey's `getLongFromObjectOrReply`).
fn arg_long(ctx: &Ctx<'_>, index: usize) -> Result<i64, CommandError> {
    parse_i64(ctx.arg(index)).ok_or(NOT_INTEGER)
}

/// Argument `index` as a `long` in `min..=max`; `message` replaces both errors when given (Valkey's
/// `getRangeLongFromObjectOrReply`).
fn arg_long_in(
    ctx: &Ctx<'_>,
    index: usize,
    min: i64,
    max: i64,
    message: Option<CommandError>,
) -> Result<i64, CommandError> {
    let value = parse_i64(ctx.arg(index)).ok_or_else(|| message.clone().unwrap_or(NOT_INTEGER))?;
    if value < min || value > max {
        return Err(message.unwrap_or_else(|| {
            CommandError::owned(format!(
                "ERR value is out of range, value must between {min} and {max}"
            ))
        }));
    }
    Ok(value)
}

/// Header of a list of (member, score) results: flat in RESP2, one pair array each in RESP3.
fn pairs_header(reply: &mut ReplyBuffer, count: usize, withscores: bool) {
    if withscores && !reply.is_resp3() {
        reply.array(count * 2);
    } else {
        reply.array(count);
    }
}

/// One (member, score) result.
fn reply_pair(reply: &mut ReplyBuffer, member: &[u8], score: f64, withscores: bool) {
    if withscores && reply.is_resp3() {
        reply.array(2);
    }
    reply.bulk(member);
    if withscores {
        reply.double(score);
    }
}

// ---------------------------------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM.

fn zadd(ctx: &mut Ctx<'_>) -> CommandResult {
    zadd_generic(ctx, false)
}

fn zincrby(ctx: &mut Ctx<'_>) -> CommandResult {
    zadd_generic(ctx, true)
}

fn zadd_generic(ctx: &mut Ctx<'_>, incr_command: bool) -> CommandResult {
    let argv = ctx.argv;
    let mut flags = AddFlags {
        incr: incr_command,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut at = 2;
    while at < argv.len() {
        let option = argv[at].to_ascii_lowercase();
        match option.as_slice() {
            b"nx" => flags.nx = true,
            b"xx" => flags.xx = true,
            b"ch" => ch = true,
            b"incr" => flags.incr = true,
            b"gt" => flags.gt = true,
            b"lt" => flags.lt = true,
            _ => break,
        }
        at += 1;
    }
    let elements = argv.len() - at;
    if elements % 2 == 1 || elements == 0 {
        return Err(SYNTAX);
    }
    let elements = elements / 2;
    if flags.nx && flags.xx {
        return Err(XX_AND_NX);
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(GT_LT_NX);
    }
    if flags.incr && elements > 1 {
        return Err(INCR_ONE_PAIR);
    }
    let mut pairs = Vec::with_capacity(elements);
    for j in 0..elements {
        let score = parse_score(&argv[at + 2 * j]).ok_or(NOT_FLOAT)?;
        pairs.push((score, &argv[at + 2 * j + 1][..]));
    }
    zadd_apply(ctx, &argv[1], flags, ch, &pairs)
}

/// The part of ZADD after argument checks (GEOADD joins here): creates or converts the set, adds each
/// element and replies.
pub(crate) fn zadd_apply(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    flags: AddFlags,
    ch: bool,
    pairs: &[(f64, &[u8])],
) -> CommandResult {
    let limits = limits(ctx.server);
    let longest = pairs.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let exists = match write_zset(ctx.server, db, key, now)? {
        Some(zset) => {
            zset.maybe_convert(pairs.len(), longest, limits);
            true
        }
        None => false,
    };
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0usize);
    let mut last_score = 0.0;
    let mut nan = false;
    if exists || !flags.xx {
        if !exists {
            let zset = ZSet::with_hint(pairs.len(), longest, limits);
            ctx.db().set(key, Value::ZSet(zset));
        }
        if let Some(zset) = write_zset(ctx.server, db, key, now)? {
            for &(score, member) in pairs {
                match zset.add(member, score, flags, limits) {
                    Added::Nan => {
                        nan = true;
                        break;
                    }
                    Added::Skipped => {}
                    Added::New(score) => {
                        added += 1;
                        processed += 1;
                        last_score = score;
                    }
                    Added::Updated(score) => {
                        updated += 1;
                        processed += 1;
                        last_score = score;
                    }
                    Added::Same(score) => {
                        processed += 1;
                        last_score = score;
                    }
                }
            }
        }
        settle(ctx, key);
    }
    if added > 0 || updated > 0 {
        ctx.key_modified(key);
        ctx.notify(class::ZSET, if flags.incr { "zincr" } else { "zadd" }, key);
    }
    if nan {
        return Err(NAN_RESULT);
    }
    let reply = ctx.reply();
    if flags.incr {
        if processed > 0 {
            reply.double(last_score);
        } else {
            reply.null();
        }
    } else {
        reply.int(if ch { added + updated } else { added });
    }
    Ok(())
}

fn zrem(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let Some(zset) = write_zset(ctx.server, db, key, now)? else {
        ctx.reply().int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for member in argv.iter().skip(2) {
        if zset.remove(member) {
            deleted += 1;
        }
        if zset.is_empty() {
            break;
        }
    }
    let emptied = settle(ctx, key);
    if deleted > 0 {
        ctx.key_modified(key);
        removed_elements(ctx, key, "zrem", emptied);
    }
    ctx.reply().int(deleted);
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Reads of single elements.

fn zcard(ctx: &mut Ctx<'_>) -> CommandResult {
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let len = read_zset(ctx.server, db, &ctx.argv[1], now)?.map_or(0, ZSet::len);
    ctx.reply().int(len as i64);
    Ok(())
}

fn zscore(ctx: &mut Ctx<'_>) -> CommandResult {
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let score = read_zset(ctx.server, db, &ctx.argv[1], now)?.and_then(|z| z.score(&ctx.argv[2]));
    match score {
        Some(score) => ctx.reply().double(score),
        None => ctx.reply().null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let zset = read_zset(ctx.server, db, &argv[1], now)?;
    let reply = &mut ctx.client.reply;
    reply.array(argv.len() - 2);
    for member in argv.iter().skip(2) {
        match zset.and_then(|z| z.score(member)) {
            Some(score) => reply.double(score),
            None => reply.null(),
        }
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx<'_>) -> CommandResult {
    rank_generic(ctx, false)
}

fn zrevrank(ctx: &mut Ctx<'_>) -> CommandResult {
    rank_generic(ctx, true)
}

fn rank_generic(ctx: &mut Ctx<'_>, reverse: bool) -> CommandResult {
    let argv = ctx.argv;
    if argv.len() > 4 {
        return Err(wrong_arity(ctx.spec.full_name));
    }
    let withscore = if argv.len() == 4 {
        if !ctx.arg_is(3, "withscore") {
            return Err(SYNTAX);
        }
        true
    } else {
        false
    };
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let zset = read_zset(ctx.server, db, &argv[1], now)?;
    let found = zset.and_then(|z| z.rank(&argv[2]).map(|(rank, score)| (rank, score, z.len())));
    let reply = &mut ctx.client.reply;
    match found {
        Some((rank, score, len)) => {
            let rank = if reverse { len - 1 - rank } else { rank };
            if withscore {
                reply.array(2);
                reply.int(rank as i64);
                reply.double(score);
            } else {
                reply.int(rank as i64);
            }
        }
        None if withscore => reply.null_array(),
        None => reply.null(),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Ranges.

/// Parses a score range (Valkey's `zslParseRange`).
fn score_range(min: &[u8], max: &[u8]) -> Result<Range, CommandError> {
    let (min, min_exclusive) = parse_bound(min).ok_or(RANGE_NOT_FLOAT)?;
    let (max, max_exclusive) = parse_bound(max).ok_or(RANGE_NOT_FLOAT)?;
    Ok(Range::Score {
        min,
        min_exclusive,
        max,
        max_exclusive,
    })
}

/// Parses a lexicographic range (Valkey's `zsetParseLexRange`).
fn lex_range(min: &[u8], max: &[u8]) -> Result<Range, CommandError> {
    match (LexBound::parse(min), LexBound::parse(max)) {
        (Some(min), Some(max)) => Ok(Range::Lex { min, max }),
        _ => Err(RANGE_NOT_LEX),
    }
}

fn zcount(ctx: &mut Ctx<'_>) -> CommandResult {
    let range = score_range(ctx.arg(2), ctx.arg(3))?;
    count_generic(ctx, &range)
}

fn zlexcount(ctx: &mut Ctx<'_>) -> CommandResult {
    let range = lex_range(ctx.arg(2), ctx.arg(3))?;
    count_generic(ctx, &range)
}

fn count_generic(ctx: &mut Ctx<'_>, range: &Range) -> CommandResult {
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let count = read_zset(ctx.server, db, &ctx.argv[1], now)?.map_or(0, |z| z.count_in(range));
    ctx.reply().int(count as i64);
    Ok(())
}

/// How a ZRANGE-style command selects elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeKind {
    Rank,
    Score,
    Lex,
}

/// A parsed ZRANGE-style query.
enum Query {
    /// Ranks `start..=end`, negative from the end.
    Rank(i64, i64),
    /// A score or lex range with a LIMIT.
    Range {
        range: Range,
        offset: i64,
        limit: i64,
    },
}

/// Calls `emit` with each element a query selects, in reply order.
fn run_query(zset: &ZSet, query: &Query, reverse: bool, mut emit: impl FnMut(&[u8], f64)) {
    match query {
        Query::Rank(start, end) => {
            let Some((from, count)) = rank_span(zset.len(), *start, *end) else {
                return;
            };
            let first = if reverse { zset.len() - 1 - from } else { from };
            let mut left = count;
            zset.visit(first, reverse, |member, score| {
                emit(member, score);
                left -= 1;
                left > 0
            });
        }
        Query::Range {
            range,
            offset,
            limit,
        } => {
            let Some(start) = zset.range_start(range, *offset, reverse) else {
                return;
            };
            let mut limit = *limit;
            // A negative limit never reaches zero: no limit.
            zset.visit(start, reverse, |member, score| {
                if limit == 0 {
                    return false;
                }
                limit = limit.wrapping_sub(1);
                let inside = if reverse {
                    range.gte_min(member, score)
                } else {
                    range.lte_max(member, score)
                };
                if inside {
                    emit(member, score);
                }
                inside
            });
        }
    }
}

/// Valkey's rank sanitising: the first rank and the count of `start..=end` in a set of `len`, or
/// `None` when the span is empty.
fn rank_span(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 {
        start.saturating_add(len)
    } else {
        start
    };
    let mut end = if end < 0 {
        end.saturating_add(len)
    } else {
        end
    };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, (end - start + 1) as usize))
}

fn zrange(ctx: &mut Ctx<'_>) -> CommandResult {
    range_generic(ctx, 1, false, None, None)
}

fn zrangestore(ctx: &mut Ctx<'_>) -> CommandResult {
    range_generic(ctx, 2, true, None, None)
}

fn zrevrange(ctx: &mut Ctx<'_>) -> CommandResult {
    range_generic(ctx, 1, false, Some(RangeKind::Rank), Some(true))
}

fn zrangebyscore(ctx: &mut Ctx<'_>) -> CommandResult {
    range_generic(ctx, 1, false, Some(RangeKind::Score), Some(false))
}

fn zrevrangebyscore(ctx: &mut Ctx<'_>) -> CommandResult {
    range_generic(ctx, 1, false, Some(RangeKind::Score), Some(true))
}

fn zrangebylex(ctx: &mut Ctx<'_>) -> CommandResult {
    range_generic(ctx, 1, false, Some(RangeKind::Lex), Some(false))
}

fn zrevrangebylex(ctx: &mut Ctx<'_>) -> CommandResult {
    range_generic(ctx, 1, false, Some(RangeKind::Lex), Some(true))
}

/// ZRANGE, ZRANGESTORE and the older forms (Valkey's `zrangeGenericCommand`): `source` is the index
/// of the source key; `kind` and `reverse` are fixed by the older forms and chosen by options otherwise.
fn range_generic(
    ctx: &mut Ctx<'_>,
    source: usize,
    store: bool,
    fixed_kind: Option<RangeKind>,
    fixed_reverse: Option<bool>,
) -> CommandResult {
    let argv = ctx.argv;
    let (mut kind, mut reverse) = (fixed_kind, fixed_reverse);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = source + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        if !store && ctx.arg_is(j, "withscores") {
            withscores = true;
        } else if ctx.arg_is(j, "limit") && left >= 2 {
            offset = arg_long(ctx, j + 1)?;
            limit = arg_long(ctx, j + 2)?;
            j += 2;
        } else if fixed_reverse.is_none() && ctx.arg_is(j, "rev") && reverse.is_none() {
            reverse = Some(true);
        } else if fixed_kind.is_none() && kind.is_none() && ctx.arg_is(j, "bylex") {
            kind = Some(RangeKind::Lex);
        } else if fixed_kind.is_none() && kind.is_none() && ctx.arg_is(j, "byscore") {
            kind = Some(RangeKind::Score);
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let kind = kind.unwrap_or(RangeKind::Rank);
    let reverse = reverse.unwrap_or(false);
    if limit != -1 && kind == RangeKind::Rank {
        return Err(LIMIT_NEEDS_BY);
    }
    if withscores && kind == RangeKind::Lex {
        return Err(LEX_NO_WITHSCORES);
    }
    let (mut min_at, mut max_at) = (source + 1, source + 2);
    if reverse && kind != RangeKind::Rank {
        std::mem::swap(&mut min_at, &mut max_at);
    }
    let query = match kind {
        RangeKind::Rank => Query::Rank(arg_long(ctx, min_at)?, arg_long(ctx, max_at)?),
        RangeKind::Score => Query::Range {
            range: score_range(&argv[min_at], &argv[max_at])?,
            offset,
            limit,
        },
        RangeKind::Lex => Query::Range {
            range: lex_range(&argv[min_at], &argv[max_at])?,
            offset,
            limit,
        },
    };
    let (db, now) = (ctx.db_index, ctx.now_ms);
    if store {
        let mut pairs = Vec::new();
        if let Some(zset) = read_zset(ctx.server, db, &argv[source], now)? {
            run_query(zset, &query, reverse, |member, score| {
                pairs.push((member.to_vec(), score));
            });
        }
        store_result(ctx, &argv[1], pairs);
        return Ok(());
    }
    let Some(zset) = read_zset(ctx.server, db, &argv[source], now)? else {
        ctx.client.reply.array(0);
        return Ok(());
    };
    let reply = &mut ctx.client.reply;
    let pending = reply.deferred_array();
    let mut count = 0;
    run_query(zset, &query, reverse, |member, score| {
        reply_pair(reply, member, score, withscores);
        count += 1;
    });
    let resp2_pairs = withscores && !reply.is_resp3();
    reply.finish_deferred(pending, if resp2_pairs { count * 2 } else { count });
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx<'_>) -> CommandResult {
    let start = arg_long(ctx, 2)?;
    let end = arg_long(ctx, 3)?;
    remove_range_generic(ctx, None, (start, end))
}

fn zremrangebyscore(ctx: &mut Ctx<'_>) -> CommandResult {
    let range = score_range(ctx.arg(2), ctx.arg(3))?;
    remove_range_generic(ctx, Some(range), (0, 0))
}

fn zremrangebylex(ctx: &mut Ctx<'_>) -> CommandResult {
    let range = lex_range(ctx.arg(2), ctx.arg(3))?;
    remove_range_generic(ctx, Some(range), (0, 0))
}

/// ZREMRANGEBY*: by `range` when given, else by the ranks `ranks`.
fn remove_range_generic(
    ctx: &mut Ctx<'_>,
    range: Option<Range>,
    ranks: (i64, i64),
) -> CommandResult {
    let key = &ctx.argv[1];
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let Some(zset) = write_zset(ctx.server, db, key, now)? else {
        ctx.reply().int(0);
        return Ok(());
    };
    let deleted = match &range {
        Some(range) => zset.remove_in(range),
        None => match rank_span(zset.len(), ranks.0, ranks.1) {
            Some((start, count)) => zset.remove_ranks(start, start + count - 1),
            None => 0,
        },
    };
    if deleted > 0 {
        let emptied = settle(ctx, key);
        ctx.key_modified(key);
        // The event is the command's own name: zremrangebyrank, zremrangebyscore, zremrangebylex.
        removed_elements(ctx, key, ctx.spec.full_name, emptied);
    }
    ctx.reply().int(deleted as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Valkey's `zunionInterAggregate`.
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            // inf + -inf: Valkey keeps 0 rather than NaN.
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

/// What an input key of ZUNION and friends holds: plain sets count as sorted sets whose scores are 1.
enum Input<'a> {
    Missing,
    ZSet(&'a ZSet),
    Set(SetRef<'a>),
}

/// The input held by `value`, or WRONGTYPE for anything but a sorted set or a set.
#[allow(unreachable_patterns)]
fn as_input(value: Option<&Value>) -> Result<Input<'_>, CommandError> {
    match value {
        None => Ok(Input::Missing),
        Some(Value::ZSet(zset)) => Ok(Input::ZSet(zset)),
        Some(Value::Set(set)) => Ok(Input::Set(set.view())),
        Some(_) => Err(WRONG_TYPE),
    }
}

/// An input of ZUNION and friends with its weight.
struct Source<'a> {
    input: Input<'a>,
    weight: f64,
}

impl Source<'_> {
    fn len(&self) -> usize {
        match &self.input {
            Input::Missing => 0,
            Input::ZSet(zset) => zset.len(),
            Input::Set(set) => set.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.input {
            Input::Missing => None,
            Input::ZSet(zset) => zset.score(member),
            Input::Set(set) => set.contains(Member::Bytes(member)).then_some(1.0),
        }
    }

    /// Calls `f` with each element until it returns false.
    fn visit(&self, mut f: impl FnMut(&[u8], f64) -> bool) {
        match &self.input {
            Input::Missing => {}
            Input::ZSet(zset) => zset.visit(0, false, f),
            Input::Set(set) => {
                for member in set.iter() {
                    if !member.with_text(|text| f(text, 1.0)) {
                        return;
                    }
                }
            }
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        self.visit(|member, score| {
            f(member, score);
            true
        });
    }
}

fn zunion(ctx: &mut Ctx<'_>) -> CommandResult {
    set_op_generic(ctx, None, 1, SetOp::Union, false)
}

fn zinter(ctx: &mut Ctx<'_>) -> CommandResult {
    set_op_generic(ctx, None, 1, SetOp::Inter, false)
}

fn zdiff(ctx: &mut Ctx<'_>) -> CommandResult {
    set_op_generic(ctx, None, 1, SetOp::Diff, false)
}

fn zintercard(ctx: &mut Ctx<'_>) -> CommandResult {
    set_op_generic(ctx, None, 1, SetOp::Inter, true)
}

fn zunionstore(ctx: &mut Ctx<'_>) -> CommandResult {
    set_op_generic(ctx, Some(1), 2, SetOp::Union, false)
}

fn zinterstore(ctx: &mut Ctx<'_>) -> CommandResult {
    set_op_generic(ctx, Some(1), 2, SetOp::Inter, false)
}

fn zdiffstore(ctx: &mut Ctx<'_>) -> CommandResult {
    set_op_generic(ctx, Some(1), 2, SetOp::Diff, false)
}

/// Valkey's `zunionInterDiffGenericCommand`.
fn set_op_generic(
    ctx: &mut Ctx<'_>,
    destination: Option<usize>,
    numkeys_at: usize,
    op: SetOp,
    cardinality_only: bool,
) -> CommandResult {
    let argv = ctx.argv;
    let numkeys = arg_long(ctx, numkeys_at)?;
    if numkeys < 1 {
        return Err(CommandError::owned(format!(
            "ERR at least 1 input key is needed for '{}' command",
            ctx.spec.full_name
        )));
    }
    let numkeys = numkeys as u64;
    if numkeys > (argv.len() - numkeys_at - 1) as u64 {
        return Err(SYNTAX);
    }
    let numkeys = numkeys as usize;
    let keys: Vec<&[u8]> = argv.iter().skip(numkeys_at + 1).take(numkeys).collect();
    let (db, now) = (ctx.db_index, ctx.now_ms);
    for key in &keys {
        let value = ctx.server.dbs[db].get_read(key, now);
        if value.is_some() {
            ctx.server.stats.keyspace_hits += 1;
        } else {
            ctx.server.stats.keyspace_misses += 1;
        }
        as_input(value)?;
    }
    let mut weights = vec![1.0; numkeys];
    let mut how = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    let mut j = numkeys_at + 1 + numkeys;
    while j < argv.len() {
        let remaining = argv.len() - j;
        if op != SetOp::Diff && !cardinality_only && remaining > numkeys && ctx.arg_is(j, "weights")
        {
            for (i, weight) in weights.iter_mut().enumerate() {
                *weight = parse_score(&argv[j + 1 + i]).ok_or(WEIGHT_NOT_FLOAT)?;
            }
            j += 1 + numkeys;
        } else if op != SetOp::Diff
            && !cardinality_only
            && remaining >= 2
            && ctx.arg_is(j, "aggregate")
        {
            how = if ctx.arg_is(j + 1, "sum") {
                Aggregate::Sum
            } else if ctx.arg_is(j + 1, "min") {
                Aggregate::Min
            } else if ctx.arg_is(j + 1, "max") {
                Aggregate::Max
            } else {
                return Err(SYNTAX);
            };
            j += 2;
        } else if destination.is_none() && !cardinality_only && ctx.arg_is(j, "withscores") {
            withscores = true;
            j += 1;
        } else if cardinality_only && remaining >= 2 && ctx.arg_is(j, "limit") {
            limit = arg_long_in(ctx, j + 1, 0, i64::MAX, Some(LIMIT_NEGATIVE))?;
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }

    let dbs = &ctx.server.dbs[db];
    let mut sources: Vec<Source<'_>> = Vec::with_capacity(numkeys);
    for (key, weight) in keys.iter().zip(weights) {
        sources.push(Source {
            input: as_input(dbs.peek(key))?,
            weight,
        });
    }
    if op != SetOp::Diff {
        // Smallest first, like Valkey (its qsort is a stable merge sort here).
        sources.sort_by_key(Source::len);
    }
    if cardinality_only {
        let count = intersection_count(&sources, limit);
        ctx.reply().int(count as i64);
        return Ok(());
    }
    let mut result = match op {
        SetOp::Union => union(&sources, how),
        SetOp::Inter => intersection(&sources, how),
        SetOp::Diff => difference(&sources),
    };
    drop(sources);
    if let Some(destination) = destination {
        store_result(ctx, &argv[destination], result);
        return Ok(());
    }
    result.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    let reply = &mut ctx.client.reply;
    pairs_header(reply, result.len(), withscores);
    for (member, score) in &result {
        reply_pair(reply, member, *score, withscores);
    }
    Ok(())
}

/// `weight * score`, with NaN (0 × inf) read as 0.
fn weighted(weight: f64, score: f64) -> f64 {
    let value = weight * score;
    if value.is_nan() {
        0.0
    } else {
        value
    }
}

fn union(sources: &[Source<'_>], how: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let mut scores: HashMap<Vec<u8>, f64> = HashMap::new();
    for source in sources {
        source.for_each(|member, score| {
            let value = weighted(source.weight, score);
            match scores.get_mut(member) {
                Some(total) => aggregate(total, value, how),
                None => {
                    scores.insert(member.to_vec(), value);
                }
            }
        });
    }
    scores.into_iter().collect()
}

fn intersection(sources: &[Source<'_>], how: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let mut result = Vec::new();
    let Some((first, others)) = sources.split_first() else {
        return result;
    };
    first.for_each(|member, score| {
        let mut total = weighted(first.weight, score);
        for other in others {
            match other.score(member) {
                Some(value) => aggregate(&mut total, value * other.weight, how),
                None => return,
            }
        }
        result.push((member.to_vec(), total));
    });
    result
}

/// ZINTERCARD: members in every input, counting up to `limit` (0 = no limit).
fn intersection_count(sources: &[Source<'_>], limit: i64) -> usize {
    let mut count = 0usize;
    let Some((first, others)) = sources.split_first() else {
        return 0;
    };
    first.visit(|member, _| {
        if others.iter().all(|other| other.score(member).is_some()) {
            count += 1;
            if limit > 0 && count as u64 >= limit as u64 {
                return false;
            }
        }
        true
    });
    count
}

fn difference(sources: &[Source<'_>]) -> Vec<(Vec<u8>, f64)> {
    let mut result = Vec::new();
    let Some((first, others)) = sources.split_first() else {
        return result;
    };
    first.for_each(|member, score| {
        if others.iter().all(|other| other.score(member).is_none()) {
            result.push((member.to_vec(), score));
        }
    });
    result
}

// ---------------------------------------------------------------------------------------------------
// ZRANDMEMBER.

fn zrandmember(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let (db, now) = (ctx.db_index, ctx.now_ms);
    if argv.len() < 3 {
        read_zset(ctx.server, db, &argv[1], now)?;
        let Server { dbs, rng, .. } = &mut *ctx.server;
        let picked = as_zset(dbs[db].peek(&argv[1]))?
            .filter(|zset| !zset.is_empty())
            .and_then(|zset| zset.get(rng.gen_range(0..zset.len())));
        match picked {
            Some((member, _)) => ctx.client.reply.bulk(&member),
            None => ctx.client.reply.null(),
        }
        return Ok(());
    }
    let count = arg_long_in(ctx, 2, -i64::MAX, i64::MAX, None)?;
    if argv.len() > 4 || (argv.len() == 4 && !ctx.arg_is(3, "withscores")) {
        return Err(SYNTAX);
    }
    let withscores = argv.len() == 4;
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(OUT_OF_RANGE);
    }
    read_zset(ctx.server, db, &argv[1], now)?;
    let Server { dbs, rng, .. } = &mut *ctx.server;
    let reply = &mut ctx.client.reply;
    let zset = match as_zset(dbs[db].peek(&argv[1]))? {
        Some(zset) if count != 0 && !zset.is_empty() => zset,
        _ => {
            reply.array(0);
            return Ok(());
        }
    };
    let size = zset.len();
    let wanted = count.unsigned_abs();
    let resp2_pairs = withscores && !reply.is_resp3();
    if count < 0 || wanted == 1 {
        // With repetitions, in random order.
        let items = if resp2_pairs {
            wanted.saturating_mul(2)
        } else {
            wanted
        };
        reply.array(items as usize);
        for _ in 0..wanted {
            if let Some((member, score)) = zset.get(rng.gen_range(0..size)) {
                reply_pair(reply, &member, score, withscores);
            }
        }
        return Ok(());
    }
    let ranks: Vec<usize> = if wanted >= size as u64 {
        (0..size).rev().collect()
    } else {
        distinct_ranks(rng, size, wanted as usize)
    };
    pairs_header(reply, ranks.len(), withscores);
    for rank in ranks {
        if let Some((member, score)) = zset.get(rank) {
            reply_pair(reply, &member, score, withscores);
        }
    }
    Ok(())
}

/// `count` distinct ranks below `size` in random order (Floyd's sampling, then a shuffle).
fn distinct_ranks(rng: &mut impl Rng, size: usize, count: usize) -> Vec<usize> {
    let mut chosen = std::collections::HashSet::with_capacity(count);
    let mut ranks = Vec::with_capacity(count);
    for upper in size - count..size {
        let pick = rng.gen_range(0..=upper);
        let rank = if chosen.insert(pick) { pick } else { upper };
        chosen.insert(rank);
        ranks.push(rank);
    }
    rand::seq::SliceRandom::shuffle(ranks.as_mut_slice(), rng);
    ranks
}

// ---------------------------------------------------------------------------------------------------
// Pops.

/// How a pop replies (Valkey's `genericZpopCommand` flags).
#[derive(Debug, Clone, Copy)]
struct PopReply {
    /// Name the key in the reply (BZPOP*, ZMPOP, BZMPOP).
    with_key: bool,
    /// One array per (member, score) pair.
    nested: bool,
    /// Null (rather than an empty array) when nothing could be popped.
    null_when_empty: bool,
}

/// Pops up to `count` elements (`None`: one, single-pop form) from the first existing key of `keys`.
fn pop_generic(
    ctx: &mut Ctx<'_>,
    keys: &[Vec<u8>],
    max: bool,
    count: Option<u64>,
    how: PopReply,
) -> CommandResult {
    let (db, now) = (ctx.db_index, ctx.now_ms);
    let mut found = None;
    for key in keys {
        if write_zset(ctx.server, db, key, now)?.is_some() {
            found = Some(key);
            break;
        }
    }
    let Some(key) = found else {
        if how.null_when_empty {
            ctx.reply().null_array();
        } else {
            ctx.reply().array(0);
        }
        return Ok(());
    };
    if count == Some(0) {
        ctx.reply().array(0);
        return Ok(());
    }
    let Some(zset) = write_zset(ctx.server, db, key, now)? else {
        return Ok(());
    };
    let wanted = count.unwrap_or(1);
    let take = wanted.min(zset.len() as u64) as usize;
    let reply = &mut ctx.client.reply;
    match (how.nested, how.with_key) {
        (false, false) => reply.array(take * 2),
        (true, false) => reply.array(take),
        (false, true) => {
            reply.array(take * 2 + 1);
            reply.bulk(key);
        }
        (true, true) => {
            reply.array(2);
            reply.bulk(key);
            reply.array(take);
        }
    }
    for _ in 0..take {
        let Some((member, score)) = zset.pop(max) else {
            break;
        };
        if how.nested {
            reply.array(2);
        }
        reply.bulk(&member);
        reply.double(score);
    }
    let emptied = settle(ctx, key);
    ctx.key_modified(key);
    if take > 0 {
        removed_elements(ctx, key, if max { "zpopmax" } else { "zpopmin" }, emptied);
    }
    Ok(())
}

fn zpopmin(ctx: &mut Ctx<'_>) -> CommandResult {
    zpop_generic(ctx, false)
}

fn zpopmax(ctx: &mut Ctx<'_>) -> CommandResult {
    zpop_generic(ctx, true)
}

fn zpop_generic(ctx: &mut Ctx<'_>, max: bool) -> CommandResult {
    if ctx.argc() > 3 {
        return Err(SYNTAX);
    }
    let count = if ctx.argc() == 3 {
        Some(arg_long_in(ctx, 2, 0, i64::MAX, Some(NOT_POSITIVE))? as u64)
    } else {
        None
    };
    let how = PopReply {
        with_key: false,
        nested: ctx.client.reply.is_resp3() && count.is_some(),
        null_when_empty: false,
    };
    let keys = [ctx.arg(1).to_vec()];
    pop_generic(ctx, &keys, max, count, how)
}

/// Parses ZMPOP/BZMPOP arguments after the optional timeout: (keys, max, count).
fn parse_mpop(ctx: &Ctx<'_>, numkeys_at: usize) -> Result<(Vec<Vec<u8>>, bool, u64), CommandError> {
    let argc = ctx.argc();
    let numkeys = arg_long_in(ctx, numkeys_at, 1, i64::MAX, Some(NUMKEYS_NOT_POSITIVE))? as u64;
    let where_at = (numkeys_at as u64)
        .checked_add(numkeys)
        .and_then(|n| n.checked_add(1))
        .filter(|&at| at < argc as u64)
        .ok_or(SYNTAX)? as usize;
    let max = if ctx.arg_is(where_at, "min") {
        false
    } else if ctx.arg_is(where_at, "max") {
        true
    } else {
        return Err(SYNTAX);
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < argc {
        if count.is_none() && ctx.arg_is(j, "count") && j + 1 < argc {
            count = Some(arg_long_in(ctx, j + 1, 1, i64::MAX, Some(COUNT_NOT_POSITIVE))? as u64);
            j += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    let keys = ctx
        .argv
        .iter()
        .take(where_at)
        .skip(numkeys_at + 1)
        .map(<[u8]>::to_vec)
        .collect();
    Ok((keys, max, count.unwrap_or(1)))
}

fn zmpop(ctx: &mut Ctx<'_>) -> CommandResult {
    let (keys, max, count) = parse_mpop(ctx, 1)?;
    let how = PopReply {
        with_key: true,
        nested: true,
        null_when_empty: true,
    };
    pop_generic(ctx, &keys, max, Some(count), how)
}

fn bzpopmin(ctx: &mut Ctx<'_>) -> CommandResult {
    bzpop_generic(ctx, false)
}

fn bzpopmax(ctx: &mut Ctx<'_>) -> CommandResult {
    bzpop_generic(ctx, true)
}

fn bzpop_generic(ctx: &mut Ctx<'_>, max: bool) -> CommandResult {
    let argc = ctx.argc();
    let deadline = parse_timeout(ctx.arg(argc - 1), ctx.now_ms)?;
    let keys: Vec<Vec<u8>> = ctx
        .argv
        .iter()
        .take(argc - 1)
        .skip(1)
        .map(<[u8]>::to_vec)
        .collect();
    let how = PopReply {
        with_key: true,
        nested: false,
        null_when_empty: false,
    };
    blocking_pop(ctx, keys, max, None, how, deadline)
}

fn bzmpop(ctx: &mut Ctx<'_>) -> CommandResult {
    let (keys, max, count) = parse_mpop(ctx, 2)?;
    let deadline = parse_timeout(ctx.arg(1), ctx.now_ms)?;
    let how = PopReply {
        with_key: true,
        nested: true,
        null_when_empty: true,
    };
    blocking_pop(ctx, keys, max, Some(count), how, deadline)
}

/// Valkey's `blockingGenericZpopCommand`: pops from the first non-empty key, or blocks on all of them
/// (inside MULTI it replies as on timeout instead).
fn blocking_pop(
    ctx: &mut Ctx<'_>,
    keys: Vec<Vec<u8>>,
    max: bool,
    count: Option<u64>,
    how: PopReply,
    deadline: Option<i64>,
) -> CommandResult {
    let (db, now) = (ctx.db_index, ctx.now_ms);
    for key in &keys {
        match write_zset(ctx.server, db, key, now)? {
            Some(zset) if !zset.is_empty() => {
                return pop_generic(ctx, std::slice::from_ref(key), max, count, how);
            }
            _ => {}
        }
    }
    if !ctx.may_block() {
        ctx.reply().null_array();
        return Ok(());
    }
    ctx.block_on_keys(keys, deadline, TimeoutReply::NullArray);
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// ZSCAN.

fn zscan(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let cursor = parse_cursor(ctx.arg(2)).ok_or(INVALID_CURSOR)?;
    let (db, now) = (ctx.db_index, ctx.now_ms);
    if read_zset(ctx.server, db, &argv[1], now)?.is_none() {
        let reply = &mut ctx.client.reply;
        reply.array(2);
        reply.bulk(b"0");
        reply.array(0);
        return Ok(());
    }
    let options = ScanOptions::parse(argv.iter().skip(3), ScanKind::SortedSet)?;
    let Some(zset) = as_zset(ctx.server.dbs[db].peek(&argv[1]))? else {
        return Ok(());
    };
    let mut found: Vec<Vec<u8>> = Vec::new();
    let cursor = sample(cursor, options.count, |cursor| {
        let mut seen = 0;
        let next = zset.scan_step(cursor, |member, score| {
            seen += 1;
            if options
                .pattern
                .is_some_and(|p| !glob_match(p, member, false))
            {
                return;
            }
            found.push(member.to_vec());
            if !options.names_only {
                found.push(score.to_vec());
            }
        });
        (next, seen)
    });
    let reply = &mut ctx.client.reply;
    reply.array(2);
    reply.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    reply.array(found.len());
    for item in &found {
        reply.bulk(item);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_spans_follow_valkey() {
        assert_eq!(rank_span(5, 0, -1), Some((0, 5)));
        assert_eq!(rank_span(5, -2, -1), Some((3, 2)));
        assert_eq!(rank_span(5, -100, 2), Some((0, 3)));
        assert_eq!(rank_span(5, 3, 1), None);
        assert_eq!(rank_span(5, 5, 10), None);
        assert_eq!(rank_span(5, 1, 100), Some((1, 4)));
        assert_eq!(rank_span(5, i64::MIN, i64::MAX), Some((0, 5)));
        assert_eq!(rank_span(0, 0, -1), None);
    }

    #[test]
    fn aggregation_keeps_zero_for_infinite_sums() {
        let mut total = f64::INFINITY;
        aggregate(&mut total, f64::NEG_INFINITY, Aggregate::Sum);
        assert_eq!(total, 0.0);
        aggregate(&mut total, -1.0, Aggregate::Min);
        assert_eq!(total, -1.0);
        aggregate(&mut total, 5.0, Aggregate::Max);
        assert_eq!(total, 5.0);
        assert_eq!(weighted(0.0, f64::INFINITY), 0.0);
    }

    #[test]
    fn distinct_ranks_are_distinct() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        for (size, count) in [(10, 3), (10, 9), (1000, 500), (5, 1)] {
            let mut ranks = distinct_ranks(&mut rng, size, count);
            ranks.sort_unstable();
            ranks.dedup();
            assert_eq!(ranks.len(), count);
            assert!(ranks.iter().all(|&r| r < size));
        }
    }
}
