//! Hash commands as Valkey 9.1 has them: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS
//! HVALS HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, and hash field expiration: HEXPIRE HPEXPIRE
//! HEXPIREAT HPEXPIREAT HTTL HPTTL HEXPIRETIME HPEXPIRETIME HPERSIST HSETEX HGETEX HGETDEL.

use ferry_rdb::listpack::Entry;
use ferry_resp::number::parse_i64;
use ferry_resp::ReplyBuffer;

use crate::commands::scan::{parse_cursor, sample, ScanKind, ScanOptions, INVALID_CURSOR};
use crate::commands::{acl, flags, CommandSpec, Ctx, KEY1};
use crate::error::{
    invalid_expire, wrong_arity, CommandError, CommandResult, NOT_FLOAT, OVERFLOW, SYNTAX,
    WRONG_TYPE,
};
use crate::glob::glob_match;
use crate::keyspace::events::KeyEvent;
use crate::keyspace::Db;
use crate::notify::class;
use crate::server::Server;
use crate::stats::Stats;
use crate::types::hash::{
    ExpireConditions, ExpireOutcome, HashData, HashRef, Item, Limits, SetOutcome,
};
use crate::types::long_double::LongDouble;
use crate::types::Str;
use crate::types::Value;

const READ_FAST: u32 = flags::READONLY | flags::FAST;
const WRITE_FAST: u32 = flags::WRITE | flags::FAST;
const WRITE_GROW_FAST: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const ACL_READ_FAST: u64 = acl::READ | acl::HASH | acl::FAST;
const ACL_READ_SLOW: u64 = acl::READ | acl::HASH | acl::SLOW;
const ACL_WRITE_FAST: u64 = acl::WRITE | acl::HASH | acl::FAST;

/// Hash commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hset", -4, WRITE_GROW_FAST, ACL_WRITE_FAST, KEY1, hset),
    CommandSpec::new("hmset", -4, WRITE_GROW_FAST, ACL_WRITE_FAST, KEY1, hset),
    CommandSpec::new("hsetnx", 4, WRITE_GROW_FAST, ACL_WRITE_FAST, KEY1, hsetnx),
    CommandSpec::new("hget", 3, READ_FAST, ACL_READ_FAST, KEY1, hget),
    CommandSpec::new("hmget", -3, READ_FAST, ACL_READ_FAST, KEY1, hmget),
    CommandSpec::new("hdel", -3, WRITE_FAST, ACL_WRITE_FAST, KEY1, hdel),
    CommandSpec::new("hlen", 2, READ_FAST, ACL_READ_FAST, KEY1, hlen),
    CommandSpec::new("hstrlen", 3, READ_FAST, ACL_READ_FAST, KEY1, hstrlen),
    CommandSpec::new("hexists", 3, READ_FAST, ACL_READ_FAST, KEY1, hexists),
    CommandSpec::new("hkeys", 2, flags::READONLY, ACL_READ_SLOW, KEY1, hkeys),
    CommandSpec::new("hvals", 2, flags::READONLY, ACL_READ_SLOW, KEY1, hvals),
    CommandSpec::new("hgetall", 2, flags::READONLY, ACL_READ_SLOW, KEY1, hgetall),
    CommandSpec::new("hincrby", 4, WRITE_GROW_FAST, ACL_WRITE_FAST, KEY1, hincrby),
    CommandSpec::new(
        "hincrbyfloat",
        4,
        WRITE_GROW_FAST,
        ACL_WRITE_FAST,
        KEY1,
        hincrbyfloat,
    ),
    CommandSpec::new(
        "hrandfield",
        -2,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        hrandfield,
    ),
    CommandSpec::new("hscan", -3, flags::READONLY, ACL_READ_SLOW, KEY1, hscan),
    CommandSpec::new("hexpire", -6, WRITE_FAST, ACL_WRITE_FAST, KEY1, hexpire),
    CommandSpec::new("hpexpire", -6, WRITE_FAST, ACL_WRITE_FAST, KEY1, hpexpire),
    CommandSpec::new("hexpireat", -6, WRITE_FAST, ACL_WRITE_FAST, KEY1, hexpireat),
    CommandSpec::new(
        "hpexpireat",
        -6,
        WRITE_FAST,
        ACL_WRITE_FAST,
        KEY1,
        hpexpireat,
    ),
    CommandSpec::new("httl", -5, READ_FAST, ACL_READ_FAST, KEY1, httl),
    CommandSpec::new("hpttl", -5, READ_FAST, ACL_READ_FAST, KEY1, hpttl),
    CommandSpec::new(
        "hexpiretime",
        -5,
        READ_FAST,
        ACL_READ_FAST,
        KEY1,
        hexpiretime,
    ),
    CommandSpec::new(
        "hpexpiretime",
        -5,
        READ_FAST,
        ACL_READ_FAST,
        KEY1,
        hpexpiretime,
    ),
    CommandSpec::new("hpersist", -5, WRITE_FAST, ACL_WRITE_FAST, KEY1, hpersist),
    CommandSpec::new("hsetex", -6, WRITE_GROW_FAST, ACL_WRITE_FAST, KEY1, hsetex),
    CommandSpec::new("hgetex", -5, WRITE_FAST, ACL_WRITE_FAST, KEY1, hgetex),
    CommandSpec::new("hgetdel", -5, WRITE_FAST, ACL_WRITE_FAST, KEY1, hgetdel),
];

const NUMFIELDS: CommandError = CommandError::fixed(
    "ERR numfields should be greater than 0 and match the provided number of fields",
);
const HASH_NOT_INTEGER: CommandError = CommandError::fixed("ERR hash value is not an integer");
const HASH_NOT_FLOAT: CommandError = CommandError::fixed("ERR hash value is not a float");
const INCREMENT_NOT_FINITE: CommandError = CommandError::fixed("ERR value is NaN or Infinity");
const RESULT_NOT_FINITE: CommandError =
    CommandError::fixed("ERR increment would produce NaN or Infinity");
const COUNT_OUT_OF_RANGE: CommandError = CommandError::fixed(
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
);
const OUT_OF_RANGE: CommandError = CommandError::fixed("ERR value is out of range");

/// The listpack limits from the configuration.
fn limits(ctx: &Ctx<'_>) -> Limits {
    let get = |name: &str| usize::try_from(ctx.server.config.get_i64(name)).unwrap_or(0);
    Limits {
        max_entries: get("hash-max-listpack-entries"),
        max_value: get("hash-max-listpack-value"),
    }
}

/// Replies with a stored field or value as a bulk string.
fn reply_item(reply: &mut ReplyBuffer, item: Item<'_>) {
    match item {
        Entry::Int(n) => reply.bulk_int(n),
        Entry::Bytes(bytes) => reply.bulk(bytes),
    }
}

/// Length of a stored field or value's text.
fn item_len(item: Item<'_>) -> usize {
    match item {
        Entry::Int(n) => itoa::Buffer::new().format(n).len(),
        Entry::Bytes(bytes) => bytes.len(),
    }
}

/// Looks `key` up for reading (Valkey's `lookupKeyRead`): counts a keyspace hit or miss; WRONGTYPE when
/// it holds another type.
fn read_hash<'s>(
    server: &'s mut Server,
    db_index: usize,
    key: &[u8],
    now_ms: i64,
) -> Result<Option<HashRef<'s>>, CommandError> {
    read_hash_in(&mut server.dbs[db_index], &mut server.stats, key, now_ms)
}

/// [`read_hash`] on one database, leaving the rest of the server free to borrow (the random
/// generator of HRANDFIELD).
fn read_hash_in<'s>(
    db: &'s mut Db,
    stats: &mut Stats,
    key: &[u8],
    now_ms: i64,
) -> Result<Option<HashRef<'s>>, CommandError> {
    let value = db.get_read(key, now_ms);
    if value.is_some() {
        stats.keyspace_hits += 1;
    } else {
        stats.keyspace_misses += 1;
    }
    match value {
        None => Ok(None),
        Some(Value::Hash(hash)) => Ok(Some(hash.as_ref())),
        Some(_) => Err(WRONG_TYPE),
    }
}

/// How a write command looks its key up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// `lookupKeyWrite`: a missing key is left alone.
    Write,
    /// `lookupKeyRead` (HGETEX): like `Write`, but counts a keyspace hit or miss.
    Read,
    /// A missing key gets a new, empty hash (stored only if it ends up with fields).
    Create,
}

/// Runs `apply` on the hash under `key` (told whether the key existed), then keeps the keyspace right:
/// a hash left empty is deleted, and a change in whether it has fields with a TTL is recorded.
/// `Ok(None)` when the key is missing and not created.
fn modify_hash<T>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    lookup: Lookup,
    apply: impl FnOnce(&mut HashData, bool) -> Result<T, CommandError>,
) -> Result<Option<T>, CommandError> {
    let now = ctx.now_ms;
    let server = &mut *ctx.server;
    let db = &mut server.dbs[ctx.db_index];
    let Some(value) = db.get_mut(key, now) else {
        if lookup == Lookup::Read {
            server.stats.keyspace_misses += 1;
            db.events.note(KeyEvent::Missed, key);
        }
        if lookup != Lookup::Create {
            return Ok(None);
        }
        let mut data = HashData::new();
        let result = apply(&mut data, false)?;
        if !data.is_empty() {
            db.set(key, Value::Hash(data.into_hash()));
        }
        return Ok(Some(result));
    };
    if lookup == Lookup::Read {
        server.stats.keyspace_hits += 1;
    }
    // Take the hash out (leaving a placeholder that costs no allocation), edit it, put it back.
    let mut data = match std::mem::replace(value, Value::Str(Str::Int(0))) {
        Value::Hash(hash) => hash.into_data(),
        other => {
            *value = other;
            return Err(WRONG_TYPE);
        }
    };
    let was_volatile = data.has_volatile_fields();
    let result = apply(&mut data, true);
    let (empty, volatile) = (data.is_empty(), data.has_volatile_fields());
    *value = Value::Hash(data.into_hash());
    if empty {
        db.remove(key);
    } else if volatile != was_volatile {
        db.set_volatile_items(key, volatile);
    }
    result.map(Some)
}

/// Announces `event` on the hash under `key`, then `del` when the change emptied it away.
fn hash_event(ctx: &mut Ctx<'_>, key: &[u8], event: &str) {
    ctx.notify(class::HASH, event, key);
    if ctx.db().peek(key).is_none() {
        ctx.notify(class::GENERIC, "del", key);
    }
}

/// The arguments of a command as slices (the argument vector cannot be sliced itself).
fn args<'a>(ctx: &Ctx<'a>) -> Vec<&'a [u8]> {
    ctx.argv.iter().collect()
}

fn hset(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.argc() % 2 == 1 {
        return Err(wrong_arity(ctx.spec.full_name));
    }
    let args = args(ctx);
    let (limits, now) = (limits(ctx), ctx.now_ms);
    let pairs = &args[2..];
    let (created, expired) = modify_hash(ctx, args[1], Lookup::Create, |hash, _| {
        hash.convert_for_input(pairs, limits);
        let (mut created, mut expired) = (0, 0);
        for pair in pairs.chunks_exact(2) {
            let outcome = hash.set(pair[0], pair[1], None, false, limits, now);
            created += i64::from(outcome.created());
            expired += u64::from(outcome == SetOutcome::ReplacedExpired);
        }
        Ok((created, expired))
    })?
    .unwrap_or_default();
    ctx.server.stats.expired_fields += expired;
    ctx.key_modified(args[1]);
    ctx.notify(class::HASH, "hset", args[1]);
    if ctx.spec.full_name == "hset" {
        ctx.reply().int(created);
    } else {
        ctx.reply().ok();
    }
    Ok(())
}

fn hsetnx(ctx: &mut Ctx<'_>) -> CommandResult {
    let args = args(ctx);
    let (limits, now) = (limits(ctx), ctx.now_ms);
    let outcome = modify_hash(ctx, args[1], Lookup::Create, |hash, _| {
        if hash.contains(args[2], now) {
            return Ok(None);
        }
        hash.convert_for_input(&args[2..4], limits);
        Ok(Some(hash.set(args[2], args[3], None, true, limits, now)))
    })?
    .flatten();
    match outcome {
        None => ctx.reply().int(0),
        Some(outcome) => {
            ctx.server.stats.expired_fields += u64::from(outcome == SetOutcome::ReplacedExpired);
            ctx.key_modified(args[1]);
            ctx.notify(class::HASH, "hset", args[1]);
            ctx.reply().int(1);
        }
    }
    Ok(())
}

fn hget(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let now = ctx.now_ms;
    let hash = read_hash(ctx.server, ctx.db_index, &argv[1], now)?;
    let reply = &mut ctx.client.reply;
    match hash.and_then(|hash| hash.get(&argv[2], now)) {
        Some(value) => reply_item(reply, value),
        None => reply.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let now = ctx.now_ms;
    let hash = read_hash(ctx.server, ctx.db_index, &argv[1], now)?;
    let reply = &mut ctx.client.reply;
    reply.array(argv.len() - 2);
    for field in argv.iter().skip(2) {
        match hash.and_then(|hash| hash.get(field, now)) {
            Some(value) => reply_item(reply, value),
            None => reply.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx<'_>) -> CommandResult {
    let args = args(ctx);
    let now = ctx.now_ms;
    let deleted = modify_hash(ctx, args[1], Lookup::Write, |hash, _| {
        let mut deleted = 0;
        for field in &args[2..] {
            if hash.remove(field, now) {
                deleted += 1;
                if hash.is_empty() {
                    break;
                }
            }
        }
        Ok(deleted)
    })?
    .unwrap_or(0);
    if deleted > 0 {
        ctx.key_modified(args[1]);
        hash_event(ctx, args[1], "hdel");
    }
    ctx.reply().int(deleted);
    Ok(())
}

fn hlen(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = ctx.now_ms;
    let len = read_hash(ctx.server, ctx.db_index, &ctx.argv[1], now)?.map_or(0, HashRef::len);
    ctx.reply().int(len as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let now = ctx.now_ms;
    let hash = read_hash(ctx.server, ctx.db_index, &argv[1], now)?;
    let len = hash
        .and_then(|hash| hash.get(&argv[2], now))
        .map_or(0, item_len);
    ctx.reply().int(len as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let now = ctx.now_ms;
    let hash = read_hash(ctx.server, ctx.db_index, &argv[1], now)?;
    let found = hash.is_some_and(|hash| hash.contains(&argv[2], now));
    ctx.reply().int(i64::from(found));
    Ok(())
}

/// HKEYS, HVALS and HGETALL: the live fields, values or both (a map in RESP3).
fn get_all(ctx: &mut Ctx<'_>, fields: bool, values: bool) -> CommandResult {
    let now = ctx.now_ms;
    let hash = read_hash(ctx.server, ctx.db_index, &ctx.argv[1], now)?;
    let reply = &mut ctx.client.reply;
    let both = fields && values;
    let Some(hash) = hash else {
        if both {
            reply.map(0);
        } else {
            reply.array(0);
        }
        return Ok(());
    };
    let pending = if both {
        reply.deferred_map()
    } else {
        reply.deferred_array()
    };
    let mut count = 0;
    hash.for_each(now, |field, value| {
        if fields {
            reply_item(reply, field);
        }
        if values {
            reply_item(reply, value);
        }
        count += 1;
    });
    reply.finish_deferred(pending, count);
    Ok(())
}

fn hkeys(ctx: &mut Ctx<'_>) -> CommandResult {
    get_all(ctx, true, false)
}

fn hvals(ctx: &mut Ctx<'_>) -> CommandResult {
    get_all(ctx, false, true)
}

fn hgetall(ctx: &mut Ctx<'_>) -> CommandResult {
    get_all(ctx, true, true)
}

fn hincrby(ctx: &mut Ctx<'_>) -> CommandResult {
    let args = args(ctx);
    let increment = ctx.arg_i64(3)?;
    let (limits, now) = (limits(ctx), ctx.now_ms);
    let (result, outcome) = modify_hash(ctx, args[1], Lookup::Create, |hash, _| {
        let (current, expiry) = match hash.get_with_expiry(args[2], now) {
            None => (0, None),
            Some((Entry::Int(n), expiry)) => (n, expiry),
            Some((Entry::Bytes(text), expiry)) => {
                (parse_i64(text).ok_or(HASH_NOT_INTEGER)?, expiry)
            }
        };
        let result = current.checked_add(increment).ok_or(OVERFLOW)?;
        let text = itoa::Buffer::new().format(result).as_bytes().to_vec();
        Ok((result, hash.set(args[2], &text, expiry, false, limits, now)))
    })?
    .unwrap_or((0, SetOutcome::Updated));
    ctx.server.stats.expired_fields += u64::from(outcome == SetOutcome::ReplacedExpired);
    ctx.key_modified(args[1]);
    ctx.notify(class::HASH, "hincrby", args[1]);
    ctx.reply().int(result);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx<'_>) -> CommandResult {
    let args = args(ctx);
    let increment = LongDouble::parse(args[3]).ok_or(NOT_FLOAT)?;
    if !increment.is_finite() {
        return Err(INCREMENT_NOT_FINITE);
    }
    let (limits, now) = (limits(ctx), ctx.now_ms);
    let (text, outcome) = modify_hash(ctx, args[1], Lookup::Create, |hash, _| {
        let (current, expiry) = match hash.get_with_expiry(args[2], now) {
            None => (LongDouble::from_i64(0), None),
            Some((Entry::Int(n), expiry)) => (LongDouble::from_i64(n), expiry),
            Some((Entry::Bytes(text), expiry)) => {
                (LongDouble::parse(text).ok_or(HASH_NOT_FLOAT)?, expiry)
            }
        };
        let sum = current + increment;
        if !sum.is_finite() {
            return Err(RESULT_NOT_FINITE);
        }
        let text = sum.to_human_bytes();
        let outcome = hash.set(args[2], &text, expiry, false, limits, now);
        Ok((text, outcome))
    })?
    .unwrap_or((Vec::new(), SetOutcome::Updated));
    ctx.server.stats.expired_fields += u64::from(outcome == SetOutcome::ReplacedExpired);
    ctx.key_modified(args[1]);
    ctx.notify(class::HASH, "hincrbyfloat", args[1]);
    ctx.reply().bulk(&text);
    Ok(())
}

fn hrandfield(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let now = ctx.now_ms;
    if argv.len() < 3 {
        let server = &mut *ctx.server;
        let db = &mut server.dbs[ctx.db_index];
        let hash = read_hash_in(db, &mut server.stats, &argv[1], now)?;
        let reply = &mut ctx.client.reply;
        match hash.and_then(|hash| hash.random_field(now, &mut server.rng)) {
            Some((field, _)) => reply_item(reply, field),
            None => reply.null(),
        }
        return Ok(());
    }
    let count = ctx.arg_i64(2)?;
    if count == i64::MIN {
        return Err(COUNT_OUT_OF_RANGE);
    }
    let with_values = argv.len() == 4 && ctx.arg_is(3, "withvalues");
    if argv.len() > 4 || (argv.len() == 4 && !with_values) {
        return Err(SYNTAX);
    }
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(OUT_OF_RANGE);
    }
    let server = &mut *ctx.server;
    let db = &mut server.dbs[ctx.db_index];
    let Some(hash) = read_hash_in(db, &mut server.stats, &argv[1], now)? else {
        ctx.client.reply.array(0);
        return Ok(());
    };
    let reply = &mut ctx.client.reply;
    if count == 0 {
        reply.array(0);
        return Ok(());
    }
    let resp3 = reply.is_resp3();
    let pending = reply.deferred_array();
    let mut picked = 0;
    hash.random_fields(
        count.unsigned_abs() as usize,
        count > 0,
        now,
        &mut server.rng,
        |field, value| {
            if with_values && resp3 {
                reply.array(2);
            }
            reply_item(reply, field);
            if with_values {
                reply_item(reply, value);
            }
            picked += 1;
        },
    );
    let elements = if with_values && !resp3 {
        picked * 2
    } else {
        picked
    };
    reply.finish_deferred(pending, elements);
    Ok(())
}

fn hscan(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let now = ctx.now_ms;
    let cursor = parse_cursor(&argv[2]).ok_or(INVALID_CURSOR)?;
    let Some(hash) = read_hash(ctx.server, ctx.db_index, &argv[1], now)? else {
        let reply = &mut ctx.client.reply;
        reply.array(2);
        reply.bulk(b"0");
        reply.array(0);
        return Ok(());
    };
    let options = ScanOptions::parse(argv.iter().skip(3), ScanKind::Hash)?;
    let no_values = options.names_only;
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let cursor = sample(cursor, options.count, |cursor| {
        let mut seen = 0;
        let next = hash.scan(cursor, now, |field, value| {
            seen += 1;
            let field = field.to_vec();
            if options.pattern.is_none_or(|p| glob_match(p, &field, false)) {
                let value = if no_values {
                    Vec::new()
                } else {
                    value.to_vec()
                };
                found.push((field, value));
            }
        });
        (next, seen)
    });
    let reply = &mut ctx.client.reply;
    reply.array(2);
    reply.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    reply.array(if no_values {
        found.len()
    } else {
        found.len() * 2
    });
    for (field, value) in found {
        reply.bulk(&field);
        if !no_values {
            reply.bulk(&value);
        }
    }
    Ok(())
}

/// Where the fields of a `FIELDS numfields field ...` block start, after checking that `numfields`
/// (at `fields_at + 1`) is a positive integer matching the arguments that follow, `per_field` of them
/// per field.
fn fields_block(
    ctx: &Ctx<'_>,
    fields_at: Option<usize>,
    per_field: i64,
) -> Result<usize, CommandError> {
    let Some(fields_at) = fields_at else {
        return Err(NUMFIELDS);
    };
    let count = ctx.arg_i64(fields_at + 1)?;
    let first = fields_at + 2;
    let available = (ctx.argc() - first) as i64;
    if count <= 0 || count > i64::MAX / per_field || count * per_field != available {
        return Err(NUMFIELDS);
    }
    Ok(first)
}

/// Index of the first `FIELDS` word in `from..argc - 1` (it needs at least one argument after it).
fn find_fields(ctx: &Ctx<'_>, from: usize) -> Option<usize> {
    (from..ctx.argc().saturating_sub(1)).find(|&index| ctx.arg_is(index, "fields"))
}

/// The fixed `FIELDS numfields field ...` block at argument 2 of HTTL & co., HPERSIST and HGETDEL:
/// a missing FIELDS word is a syntax error; a count mismatch is `mismatch`.
fn fixed_fields_block(ctx: &Ctx<'_>, mismatch: CommandError) -> Result<usize, CommandError> {
    if !ctx.arg_is(2, "fields") {
        return Err(SYNTAX);
    }
    let count = ctx.arg_i64(3)?;
    if count <= 0 || count != (ctx.argc() - 4) as i64 {
        return Err(mismatch);
    }
    Ok(4)
}

/// Valkey's `convertExpireArgumentToUnixTime`: a non-negative integer in seconds or milliseconds from
/// `base_ms` (0 for the absolute forms), as Unix milliseconds.
fn expire_time(
    ctx: &Ctx<'_>,
    index: usize,
    base_ms: i64,
    seconds: bool,
) -> Result<i64, CommandError> {
    let invalid = || invalid_expire(ctx.spec.full_name);
    let mut when = ctx.arg_i64(index)?;
    if when < 0 {
        return Err(invalid());
    }
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    when.checked_add(base_ms).ok_or_else(invalid)
}

fn hexpire(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = ctx.now_ms;
    hexpire_generic(ctx, now, true)
}

fn hpexpire(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = ctx.now_ms;
    hexpire_generic(ctx, now, false)
}

fn hexpireat(ctx: &mut Ctx<'_>) -> CommandResult {
    hexpire_generic(ctx, 0, true)
}

fn hpexpireat(ctx: &mut Ctx<'_>) -> CommandResult {
    hexpire_generic(ctx, 0, false)
}

/// The NX / XX / GT / LT options in arguments `3..end`.
fn expire_conditions(ctx: &Ctx<'_>, end: usize) -> Result<ExpireConditions, CommandError> {
    ExpireConditions::parse((3..end).map(|index| ctx.arg(index)))
}

/// HEXPIRE, HPEXPIRE, HEXPIREAT and HPEXPIREAT: argument 2 relative to `base_ms` (0 for the absolute
/// forms), conditions, then the FIELDS block; one reply code per field.
fn hexpire_generic(ctx: &mut Ctx<'_>, base_ms: i64, seconds: bool) -> CommandResult {
    let fields_at = find_fields(ctx, 3);
    let conditions = match fields_at {
        Some(at) => expire_conditions(ctx, at)?,
        None => ExpireConditions::default(),
    };
    let first = fields_block(ctx, fields_at, 1)?;
    let when = expire_time(ctx, 2, base_ms, seconds)?;
    let args = args(ctx);
    let now = ctx.now_ms;
    let fields = &args[first..];
    let codes = modify_hash(ctx, args[1], Lookup::Write, |hash, _| {
        Ok(fields
            .iter()
            .map(|field| hash.set_expiry(field, when, conditions, now))
            .collect::<Vec<_>>())
    })?;
    let codes = codes.unwrap_or_else(|| vec![ExpireOutcome::NoField; fields.len()]);
    let deleted = codes
        .iter()
        .filter(|&&c| c == ExpireOutcome::Deleted)
        .count();
    ctx.server.stats.expired_fields += deleted as u64;
    if codes
        .iter()
        .any(|&c| c == ExpireOutcome::Deleted || c == ExpireOutcome::Set)
    {
        ctx.key_modified(args[1]);
    }
    if codes.contains(&ExpireOutcome::Set) {
        ctx.notify(class::HASH, "hexpire", args[1]);
    }
    if deleted > 0 {
        hash_event(ctx, args[1], "hexpired");
    }
    let reply = ctx.reply();
    reply.array(codes.len());
    for code in codes {
        reply.int(code.code());
    }
    Ok(())
}

fn httl(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = ctx.now_ms;
    ttl_generic(ctx, now, false)
}

fn hpttl(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = ctx.now_ms;
    ttl_generic(ctx, now, true)
}

fn hexpiretime(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, 0, false)
}

fn hpexpiretime(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, 0, true)
}

/// HTTL, HPTTL, HEXPIRETIME and HPEXPIRETIME: per field -2 (no such field), -1 (no TTL) or the time
/// left from `base_ms` (0 for the absolute forms), in milliseconds or rounded seconds.
fn ttl_generic(ctx: &mut Ctx<'_>, base_ms: i64, milliseconds: bool) -> CommandResult {
    let first = fixed_fields_block(ctx, SYNTAX)?;
    let argv = ctx.argv;
    let now = ctx.now_ms;
    let hash = read_hash(ctx.server, ctx.db_index, &argv[1], now)?;
    let reply = &mut ctx.client.reply;
    reply.array(argv.len() - first);
    for field in argv.iter().skip(first) {
        let code = match hash.and_then(|hash| hash.get_with_expiry(field, now)) {
            None => -2,
            Some((_, None)) => -1,
            Some((_, Some(at))) => {
                let left = at.saturating_sub(base_ms).max(0);
                if milliseconds {
                    left
                } else {
                    (left + 500) / 1000
                }
            }
        };
        reply.int(code);
    }
    Ok(())
}

fn hpersist(ctx: &mut Ctx<'_>) -> CommandResult {
    let first = fixed_fields_block(ctx, NUMFIELDS)?;
    let args = args(ctx);
    let now = ctx.now_ms;
    let fields = &args[first..];
    let codes = modify_hash(ctx, args[1], Lookup::Write, |hash, _| {
        Ok(fields
            .iter()
            .map(|field| hash.persist(field, now).code())
            .collect::<Vec<_>>())
    })?
    .unwrap_or_else(|| vec![-2; fields.len()]);
    if codes.contains(&1) {
        ctx.key_modified(args[1]);
        ctx.notify(class::HASH, "hpersist", args[1]);
    }
    let reply = ctx.reply();
    reply.array(codes.len());
    for code in codes {
        reply.int(code);
    }
    Ok(())
}

fn hgetdel(ctx: &mut Ctx<'_>) -> CommandResult {
    let first = fixed_fields_block(ctx, NUMFIELDS)?;
    let args = args(ctx);
    let now = ctx.now_ms;
    let fields = &args[first..];
    let found = modify_hash(ctx, args[1], Lookup::Write, |hash, _| {
        let mut values = Vec::with_capacity(fields.len());
        for field in fields {
            let value = hash.get(field, now).map(|item| item.to_vec());
            if value.is_some() {
                hash.remove(field, now);
            }
            values.push(value);
        }
        Ok(values)
    })?
    .unwrap_or_else(|| vec![None; fields.len()]);
    if found.iter().any(Option::is_some) {
        ctx.key_modified(args[1]);
        hash_event(ctx, args[1], "hdel");
    }
    let reply = ctx.reply();
    reply.array(found.len());
    for value in found {
        match value {
            Some(value) => reply.bulk(&value),
            None => reply.null(),
        }
    }
    Ok(())
}

/// The expiration options of HSETEX and HGETEX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiration {
    /// No option.
    None,
    /// EX / PX / EXAT / PXAT: the argument index of the time, in seconds or not, relative or not.
    At {
        index: usize,
        seconds: bool,
        relative: bool,
    },
    /// KEEPTTL (HSETEX).
    KeepTtl,
    /// PERSIST (HGETEX).
    Persist,
}

/// The options of HSETEX (`set`) or HGETEX, parsed like Valkey's `parseExtendedCommandArgumentsOrReply`
/// over arguments `2..end`: each option may repeat but not combine with a conflicting one.
#[derive(Debug, Clone, Copy)]
struct ExtendedOptions {
    nx: bool,
    xx: bool,
    fnx: bool,
    fxx: bool,
    expiration: Expiration,
}

fn extended_options(
    ctx: &Ctx<'_>,
    fields_at: Option<usize>,
    set: bool,
) -> Result<ExtendedOptions, CommandError> {
    let mut options = ExtendedOptions {
        nx: false,
        xx: false,
        fnx: false,
        fxx: false,
        expiration: Expiration::None,
    };
    // Without a FIELDS block the options are not looked at (the count error comes first).
    let end = fields_at.unwrap_or(0);
    let mut index = 2;
    while index < end {
        let is = |word: &str| ctx.arg_is(index, word);
        let has_next = index + 1 < end;
        let timed = matches!(options.expiration, Expiration::At { .. });
        let time_form = [
            ("ex", true, true),
            ("px", false, true),
            ("exat", true, false),
            ("pxat", false, false),
        ]
        .into_iter()
        .find(|(word, _, _)| is(word));
        if set && is("nx") && !options.xx {
            options.nx = true;
        } else if set && is("xx") && !options.nx {
            options.xx = true;
        } else if set && is("fnx") && !options.fxx {
            options.fnx = true;
        } else if set && is("fxx") && !options.fnx {
            options.fxx = true;
        } else if set && is("keepttl") && !timed {
            options.expiration = Expiration::KeepTtl;
        } else if !set && is("persist") && !timed {
            options.expiration = Expiration::Persist;
        } else if let Some((_, seconds, relative)) = time_form {
            // The same form may repeat (the last one wins); different forms conflict.
            let compatible = match options.expiration {
                Expiration::None => true,
                Expiration::At {
                    seconds: s,
                    relative: r,
                    ..
                } => s == seconds && r == relative,
                Expiration::KeepTtl | Expiration::Persist => false,
            };
            if !compatible || !has_next {
                return Err(SYNTAX);
            }
            index += 1;
            options.expiration = Expiration::At {
                index,
                seconds,
                relative,
            };
        } else {
            return Err(SYNTAX);
        }
        index += 1;
    }
    Ok(options)
}

impl Expiration {
    /// The absolute expiry this option sets, if any.
    fn resolve(self, ctx: &Ctx<'_>) -> Result<Option<i64>, CommandError> {
        match self {
            Expiration::At {
                index,
                seconds,
                relative,
            } => {
                let base = if relative { ctx.now_ms } else { 0 };
                expire_time(ctx, index, base, seconds).map(Some)
            }
            Expiration::None | Expiration::KeepTtl | Expiration::Persist => Ok(None),
        }
    }
}

fn hsetex(ctx: &mut Ctx<'_>) -> CommandResult {
    let fields_at = find_fields(ctx, 1);
    let options = extended_options(ctx, fields_at, true)?;
    let first = fields_block(ctx, fields_at, 2)?;
    let args = args(ctx);
    let (limits, now) = (limits(ctx), ctx.now_ms);
    let pairs = &args[first..];
    // A bad expiry is reported only after the type and NX/XX checks, as Valkey does.
    let when = options.expiration.resolve(ctx);
    let when_for_events = when.clone().ok().flatten();
    let outcome = modify_hash(ctx, args[1], Lookup::Create, |hash, existed| {
        if (options.nx && existed) || (options.xx && !existed) {
            return Ok(None);
        }
        let when = when.clone()?;
        if options.fnx || options.fxx {
            let all_ok = pairs.chunks_exact(2).all(|pair| {
                let present = hash.contains(pair[0], now);
                if options.fnx {
                    !present
                } else {
                    present
                }
            });
            if !all_ok {
                return Ok(None);
            }
        }
        let mut expired = 0u64;
        let mut changed = false;
        match when {
            Some(at) if at <= now => {
                for pair in pairs.chunks_exact(2) {
                    if hash.remove(pair[0], now) {
                        expired += 1;
                        changed = true;
                    }
                }
            }
            _ => {
                let keep_ttl = options.expiration == Expiration::KeepTtl;
                for pair in pairs.chunks_exact(2) {
                    let outcome = hash.set(pair[0], pair[1], when, keep_ttl, limits, now);
                    expired += u64::from(outcome == SetOutcome::ReplacedExpired);
                }
                changed = true;
            }
        }
        Ok(Some((expired, changed)))
    })?
    .flatten();
    match outcome {
        None => ctx.reply().int(0),
        Some((expired, changed)) => {
            ctx.server.stats.expired_fields += expired;
            if changed {
                ctx.key_modified(args[1]);
            }
            // Valkey stores the fields, sets their expiry, then expires them when it is past.
            ctx.notify(class::HASH, "hset", args[1]);
            match when_for_events {
                Some(at) if at <= now => {
                    ctx.notify(class::HASH, "hexpire", args[1]);
                    hash_event(ctx, args[1], "hexpired");
                }
                Some(_) => ctx.notify(class::HASH, "hexpire", args[1]),
                None => {}
            }
            ctx.reply().int(1);
        }
    }
    Ok(())
}

fn hgetex(ctx: &mut Ctx<'_>) -> CommandResult {
    let fields_at = find_fields(ctx, 1);
    let options = extended_options(ctx, fields_at, false)?;
    let first = fields_block(ctx, fields_at, 1)?;
    let args = args(ctx);
    let now = ctx.now_ms;
    let fields = &args[first..];
    let when = options.expiration.resolve(ctx);
    let when_for_events = when.clone().ok().flatten();
    let persist = options.expiration == Expiration::Persist;
    let result = modify_hash(ctx, args[1], Lookup::Read, |hash, _| {
        let when = when.clone()?;
        let (mut changes, mut expired) = (0, 0u64);
        let mut values = Vec::with_capacity(fields.len());
        for field in fields {
            values.push(hash.get(field, now).map(|item| item.to_vec()));
            let changed = match when {
                Some(at) if at <= now => {
                    let removed = hash.remove(field, now);
                    expired += u64::from(removed);
                    removed
                }
                Some(at) => {
                    hash.set_expiry(field, at, ExpireConditions::default(), now)
                        == ExpireOutcome::Set
                }
                None if persist => hash.persist(field, now).code() == 1,
                None => false,
            };
            changes += usize::from(changed);
        }
        Ok((values, changes, expired))
    })?;
    let values = match result {
        Some((values, changes, expired)) => {
            ctx.server.stats.expired_fields += expired;
            if changes > 0 {
                ctx.key_modified(args[1]);
                match when_for_events {
                    Some(at) if at <= now => hash_event(ctx, args[1], "hexpired"),
                    Some(_) => ctx.notify(class::HASH, "hexpire", args[1]),
                    None => ctx.notify(class::HASH, "hpersist", args[1]),
                }
            }
            values
        }
        None => {
            // A missing key: nothing to change, but a bad expiry is still an error.
            when?;
            vec![None; fields.len()]
        }
    };
    let reply = ctx.reply();
    reply.array(values.len());
    for value in values {
        match value {
            Some(value) => reply.bulk(&value),
            None => reply.null(),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_like_string2ull() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"-1"), None);
        assert_eq!(parse_cursor(b"x"), None);
    }
}
