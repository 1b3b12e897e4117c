//! Generic keyspace commands: DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, MOVE, COPY, the EXPIRE and TTL
//! families, TOUCH, OBJECT, DBSIZE, FLUSHDB, FLUSHALL and SWAPDB.

use ferry_resp::number::parse_i64;

use crate::commands::scan::{parse_cursor, sample, ScanKind, ScanOptions, INVALID_CURSOR};
use crate::commands::{acl, flags, CommandSpec, Ctx, KeySpec, ALL_KEYS, KEY1, NO_KEYS, TWO_KEYS};
use crate::error::{
    invalid_expire, CommandError, CommandResult, DB_INDEX_OUT_OF_RANGE, NOT_INTEGER, NO_SUCH_KEY,
    SYNTAX,
};
use crate::expire_conditions::ExpireConditions;
use crate::glob::glob_match;
use crate::keyspace::access;
use crate::keyspace::events::KeyEvent;
use crate::notify::class;

const OBJECT_KEY: KeySpec = KeySpec {
    first: 2,
    last: 2,
    step: 1,
};

const READ_FAST: (u32, u64) = (
    flags::READONLY | flags::FAST,
    acl::KEYSPACE | acl::READ | acl::FAST,
);
const WRITE_FAST: (u32, u64) = (
    flags::WRITE | flags::FAST,
    acl::KEYSPACE | acl::WRITE | acl::FAST,
);
const OBJECT_READ: (u32, u64) = (flags::READONLY, acl::KEYSPACE | acl::READ | acl::SLOW);

static OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::sub(
        "encoding",
        "object|encoding",
        3,
        OBJECT_READ.0,
        OBJECT_READ.1,
        OBJECT_KEY,
        object_encoding,
    ),
    CommandSpec::sub(
        "freq",
        "object|freq",
        3,
        OBJECT_READ.0,
        OBJECT_READ.1,
        OBJECT_KEY,
        object_freq,
    ),
    CommandSpec::sub(
        "help",
        "object|help",
        2,
        flags::LOADING | flags::STALE,
        acl::KEYSPACE | acl::SLOW,
        NO_KEYS,
        object_help,
    ),
    CommandSpec::sub(
        "idletime",
        "object|idletime",
        3,
        OBJECT_READ.0,
        OBJECT_READ.1,
        OBJECT_KEY,
        object_idletime,
    ),
    CommandSpec::sub(
        "refcount",
        "object|refcount",
        3,
        OBJECT_READ.0,
        OBJECT_READ.1,
        OBJECT_KEY,
        object_refcount,
    ),
];

/// Generic keyspace commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "del",
        -2,
        flags::WRITE,
        acl::KEYSPACE | acl::WRITE | acl::SLOW,
        ALL_KEYS,
        del,
    ),
    CommandSpec::new("unlink", -2, WRITE_FAST.0, WRITE_FAST.1, ALL_KEYS, del),
    CommandSpec::new("exists", -2, READ_FAST.0, READ_FAST.1, ALL_KEYS, exists),
    CommandSpec::new("type", 2, READ_FAST.0, READ_FAST.1, KEY1, type_command),
    CommandSpec::new(
        "keys",
        2,
        flags::READONLY,
        acl::KEYSPACE | acl::READ | acl::SLOW | acl::DANGEROUS,
        NO_KEYS,
        keys,
    ),
    CommandSpec::new(
        "scan",
        -2,
        flags::READONLY,
        acl::KEYSPACE | acl::READ | acl::SLOW,
        NO_KEYS,
        scan,
    ),
    CommandSpec::new(
        "randomkey",
        1,
        flags::READONLY,
        acl::KEYSPACE | acl::READ | acl::SLOW,
        NO_KEYS,
        randomkey,
    ),
    CommandSpec::new(
        "rename",
        3,
        flags::WRITE,
        acl::KEYSPACE | acl::WRITE | acl::SLOW,
        TWO_KEYS,
        rename,
    ),
    CommandSpec::new(
        "renamenx",
        3,
        WRITE_FAST.0,
        WRITE_FAST.1,
        TWO_KEYS,
        renamenx,
    ),
    CommandSpec::new("move", 3, WRITE_FAST.0, WRITE_FAST.1, KEY1, move_command),
    CommandSpec::new(
        "copy",
        -3,
        flags::WRITE | flags::DENYOOM,
        acl::KEYSPACE | acl::WRITE | acl::SLOW,
        TWO_KEYS,
        copy,
    ),
    CommandSpec::new("expire", -3, WRITE_FAST.0, WRITE_FAST.1, KEY1, expire),
    CommandSpec::new("pexpire", -3, WRITE_FAST.0, WRITE_FAST.1, KEY1, pexpire),
    CommandSpec::new("expireat", -3, WRITE_FAST.0, WRITE_FAST.1, KEY1, expireat),
    CommandSpec::new("pexpireat", -3, WRITE_FAST.0, WRITE_FAST.1, KEY1, pexpireat),
    CommandSpec::new("ttl", 2, READ_FAST.0, READ_FAST.1, KEY1, ttl),
    CommandSpec::new("pttl", 2, READ_FAST.0, READ_FAST.1, KEY1, pttl),
    CommandSpec::new("expiretime", 2, READ_FAST.0, READ_FAST.1, KEY1, expiretime),
    CommandSpec::new(
        "pexpiretime",
        2,
        READ_FAST.0,
        READ_FAST.1,
        KEY1,
        pexpiretime,
    ),
    CommandSpec::new("persist", 2, WRITE_FAST.0, WRITE_FAST.1, KEY1, persist),
    CommandSpec::new("touch", -2, READ_FAST.0, READ_FAST.1, ALL_KEYS, touch),
    CommandSpec::container("object", -2, 0, acl::SLOW, OBJECT_SUBCOMMANDS),
    CommandSpec::new("dbsize", 1, READ_FAST.0, READ_FAST.1, NO_KEYS, dbsize),
    CommandSpec::new(
        "flushdb",
        -1,
        flags::WRITE,
        acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS,
        NO_KEYS,
        flushdb,
    ),
    CommandSpec::new(
        "flushall",
        -1,
        flags::WRITE,
        acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS,
        NO_KEYS,
        flushall,
    ),
    CommandSpec::new(
        "swapdb",
        3,
        WRITE_FAST.0,
        WRITE_FAST.1 | acl::DANGEROUS,
        NO_KEYS,
        swapdb,
    ),
];

const SAME_OBJECT: CommandError =
    CommandError::fixed("ERR source and destination objects are the same");
const INT_OUT_OF_RANGE: CommandError =
    CommandError::fixed("ERR value is out of range, value must between -2147483648 and 2147483647");

/// Argument `index` as a C `int` (Valkey's `getIntFromObjectOrReply`); `message` replaces both the
/// "not an integer" and the "out of range" error when given.
fn arg_int(
    ctx: &Ctx<'_>,
    index: usize,
    message: Option<&'static str>,
) -> Result<i32, CommandError> {
    let custom = message.map(CommandError::fixed);
    let value = parse_i64(ctx.arg(index)).ok_or_else(|| custom.clone().unwrap_or(NOT_INTEGER))?;
    i32::try_from(value).map_err(|_| custom.unwrap_or(INT_OUT_OF_RANGE))
}

/// Argument `index` as a database index of this server.
fn arg_db_index(ctx: &Ctx<'_>, index: usize) -> Result<usize, CommandError> {
    let db = arg_int(ctx, index, None)?;
    usize::try_from(db)
        .ok()
        .filter(|&db| db < ctx.server.dbs.len())
        .ok_or(DB_INDEX_OUT_OF_RANGE)
}

/// Valkey's `lookupKeyReadWithFlags(LOOKUP_NOTOUCH)`: expires `key` if due and counts a keyspace hit
/// or miss, without counting as an access. True when the key exists.
fn exists_untouched(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let found = exists_quietly(ctx, key);
    if !found {
        ctx.db().events.note(KeyEvent::Missed, key);
    }
    found
}

/// Like [`exists_untouched`] without a `keymiss` event (`LOOKUP_NONOTIFY` too: OBJECT).
fn exists_quietly(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let now = ctx.now_ms;
    let found = ctx.server.dbs[ctx.db_index].contains(key, now);
    if found {
        ctx.server.stats.keyspace_hits += 1;
    } else {
        ctx.server.stats.keyspace_misses += 1;
    }
    found
}

fn del(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let mut removed = 0;
    for key in argv.iter().skip(1) {
        let now = ctx.now_ms;
        let db = &mut ctx.server.dbs[ctx.db_index];
        if db.expire_if_needed(key, now) {
            continue;
        }
        if db.remove(key).is_some() {
            removed += 1;
            ctx.key_modified(key);
            ctx.notify(class::GENERIC, "del", key);
        }
    }
    ctx.reply().int(removed);
    Ok(())
}

fn exists(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let mut found = 0;
    for key in argv.iter().skip(1) {
        if exists_untouched(ctx, key) {
            found += 1;
        }
    }
    ctx.reply().int(found);
    Ok(())
}

fn type_command(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    let name = if exists_untouched(ctx, key) {
        ctx.db().peek(key).map_or("none", |value| value.type_name())
    } else {
        "none"
    };
    ctx.reply().simple(name.as_bytes());
    Ok(())
}

fn keys(ctx: &mut Ctx<'_>) -> CommandResult {
    let pattern = &ctx.argv[1];
    let all_keys = pattern == b"*";
    let now = ctx.now_ms;
    let db = &ctx.server.dbs[ctx.db_index];
    let reply = &mut ctx.client.reply;
    let deferred = reply.deferred_array();
    let mut count = 0;
    // Like Valkey, logically expired keys are skipped but not deleted.
    for (key, _) in db.iter() {
        if (all_keys || glob_match(pattern, key, false)) && !db.is_expired(key, now) {
            reply.bulk(key);
            count += 1;
        }
    }
    reply.finish_deferred(deferred, count);
    Ok(())
}

fn scan(ctx: &mut Ctx<'_>) -> CommandResult {
    let cursor = parse_cursor(ctx.arg(1)).ok_or(INVALID_CURSOR)?;
    let argv = ctx.argv;
    let options = ScanOptions::parse(argv.iter().skip(2), ScanKind::Keys)?;
    let db = &mut ctx.server.dbs[ctx.db_index];
    let mut found: Vec<Vec<u8>> = Vec::new();
    let cursor = sample(cursor, options.count, |cursor| {
        let mut seen = 0;
        let next = db.scan(cursor, |key, value| {
            seen += 1;
            if options.type_filter.is_some_and(|t| value.type_name() != t) {
                return;
            }
            if options.pattern.is_some_and(|p| !glob_match(p, key, false)) {
                return;
            }
            found.push(key.to_vec());
        });
        (next, seen)
    });
    // Keys that matched but are logically expired are deleted now and left out.
    let now = ctx.now_ms;
    found.retain(|key| !db.expire_if_needed(key, now));

    let reply = &mut ctx.client.reply;
    reply.array(2);
    reply.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    reply.array(found.len());
    for key in &found {
        reply.bulk(key);
    }
    Ok(())
}

fn randomkey(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = ctx.now_ms;
    let server = &mut *ctx.server;
    match server.dbs[ctx.db_index].random_key(now, &mut server.rng) {
        Some(key) => ctx.reply().bulk(&key),
        None => ctx.reply().null(),
    }
    Ok(())
}

fn rename(ctx: &mut Ctx<'_>) -> CommandResult {
    rename_generic(ctx, false)
}

fn renamenx(ctx: &mut Ctx<'_>) -> CommandResult {
    rename_generic(ctx, true)
}

fn rename_generic(ctx: &mut Ctx<'_>, nx: bool) -> CommandResult {
    let argv = ctx.argv;
    let (source, destination) = (&argv[1], &argv[2]);
    if ctx.lookup_write(source).is_none() {
        return Err(NO_SUCH_KEY);
    }
    if source == destination {
        if nx {
            ctx.reply().int(0);
        } else {
            ctx.reply().ok();
        }
        return Ok(());
    }
    if ctx.lookup_write(destination).is_some() && nx {
        ctx.reply().int(0);
        return Ok(());
    }
    // The value moves into a new object (as in Valkey 9), so it starts a fresh access history.
    let db = ctx.db();
    let expire_at_ms = db.expire_at(source);
    if let Some(value) = db.remove(source) {
        db.remove(destination);
        db.set_with_expire(destination, value, expire_at_ms);
    }
    ctx.key_modified(source);
    ctx.server.touch_key(ctx.db_index, destination);
    ctx.notify(class::GENERIC, "rename_from", source);
    ctx.notify(class::GENERIC, "rename_to", destination);
    if nx {
        ctx.reply().int(1);
    } else {
        ctx.reply().ok();
    }
    Ok(())
}

fn move_command(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    let target = arg_db_index(ctx, 2)?;
    if target == ctx.db_index {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now_ms;
    if ctx.lookup_write(key).is_none() || ctx.server.dbs[target].get_mut(key, now).is_some() {
        ctx.reply().int(0);
        return Ok(());
    }
    // Like RENAME, the moved value starts a fresh access history.
    let expire_at_ms = ctx.db().expire_at(key);
    if let Some(value) = ctx.db().remove(key) {
        ctx.server.dbs[target].set_with_expire(key, value, expire_at_ms);
    }
    ctx.key_modified(key);
    ctx.server.touch_key(target, key);
    ctx.notify(class::GENERIC, "move_from", key);
    ctx.notify_in(target, class::GENERIC, "move_to", key);
    ctx.reply().int(1);
    Ok(())
}

fn copy(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let (source, destination) = (&argv[1], &argv[2]);
    let mut replace = false;
    let mut target = ctx.db_index;
    let mut index = 3;
    while index < argv.len() {
        if ctx.arg_is(index, "replace") {
            replace = true;
        } else if ctx.arg_is(index, "db") && index + 1 < argv.len() {
            target = arg_db_index(ctx, index + 1)?;
            index += 1;
        } else {
            return Err(SYNTAX);
        }
        index += 1;
    }
    if target == ctx.db_index && source == destination {
        return Err(SAME_OBJECT);
    }
    let Some(value) = ctx.lookup_read(source).cloned() else {
        ctx.reply().int(0);
        return Ok(());
    };
    let expire_at_ms = ctx.db().expire_at(source);
    let now = ctx.now_ms;
    let target_db = &mut ctx.server.dbs[target];
    if target_db.get_mut(destination, now).is_some() {
        if !replace {
            ctx.reply().int(0);
            return Ok(());
        }
        target_db.remove(destination);
    }
    // A copy is a new object: it starts with a fresh access history.
    target_db.set_with_expire(destination, value, expire_at_ms);
    ctx.server.touch_key(target, destination);
    ctx.server.stats.dirty += 1;
    ctx.notify_in(target, class::GENERIC, "copy_to", destination);
    ctx.reply().int(1);
    Ok(())
}

fn expire(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = ctx.now_ms;
    expire_generic(ctx, now, true)
}

fn pexpire(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = ctx.now_ms;
    expire_generic(ctx, now, false)
}

fn expireat(ctx: &mut Ctx<'_>) -> CommandResult {
    expire_generic(ctx, 0, true)
}

fn pexpireat(ctx: &mut Ctx<'_>) -> CommandResult {
    expire_generic(ctx, 0, false)
}

/// The EXPIRE family: argument 2 is in seconds or milliseconds, relative to `base_ms` (the command's
/// time, or 0 for the absolute *AT forms); NX, XX, GT and LT may follow.
fn expire_generic(ctx: &mut Ctx<'_>, base_ms: i64, seconds: bool) -> CommandResult {
    let argv = ctx.argv;
    let conditions = ExpireConditions::parse(argv.iter().skip(3))?;

    let mut when = ctx.arg_i64(2)?;
    if seconds {
        when = when
            .checked_mul(1000)
            .ok_or_else(|| invalid_expire(ctx.spec.full_name))?;
    }
    when = when
        .checked_add(base_ms)
        .ok_or_else(|| invalid_expire(ctx.spec.full_name))?;

    let key = &argv[1];
    if ctx.lookup_write(key).is_none() {
        ctx.reply().int(0);
        return Ok(());
    }
    let current = ctx.db().expire_at(key);
    if conditions.refuse(current, when) {
        ctx.reply().int(0);
        return Ok(());
    }
    if when <= ctx.now_ms {
        // A time in the past deletes the key (not counted as an expiry, like Valkey).
        ctx.db().remove(key);
        ctx.key_modified(key);
        ctx.notify(class::EXPIRED, "expired", key);
    } else {
        ctx.db().set_expire(key, when);
        ctx.key_modified(key);
        ctx.notify(class::GENERIC, "expire", key);
    }
    ctx.reply().int(1);
    Ok(())
}

fn ttl(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, false, false)
}

fn pttl(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, true, false)
}

fn expiretime(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, false, true)
}

fn pexpiretime(ctx: &mut Ctx<'_>) -> CommandResult {
    ttl_generic(ctx, true, true)
}

/// TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1 without a TTL, otherwise the
/// remaining (or absolute) time in milliseconds or rounded seconds.
fn ttl_generic(ctx: &mut Ctx<'_>, milliseconds: bool, absolute: bool) -> CommandResult {
    let key = &ctx.argv[1];
    if !exists_untouched(ctx, key) {
        ctx.reply().int(-2);
        return Ok(());
    }
    let Some(expire_at_ms) = ctx.db().expire_at(key) else {
        ctx.reply().int(-1);
        return Ok(());
    };
    let time = if absolute {
        expire_at_ms
    } else {
        expire_at_ms.saturating_sub(ctx.now_ms)
    }
    .max(0);
    let reply = if milliseconds {
        time
    } else {
        time / 1000 + i64::from(time % 1000 >= 500)
    };
    ctx.reply().int(reply);
    Ok(())
}

fn persist(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    if ctx.lookup_write(key).is_some() && ctx.db().persist(key) {
        ctx.key_modified(key);
        ctx.notify(class::GENERIC, "persist", key);
        ctx.reply().int(1);
    } else {
        ctx.reply().int(0);
    }
    Ok(())
}

fn touch(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let mut touched = 0;
    for key in argv.iter().skip(1) {
        if ctx.lookup_read(key).is_some() {
            touched += 1;
        }
    }
    ctx.reply().int(touched);
    Ok(())
}

fn object_encoding(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[2];
    let encoding = if exists_quietly(ctx, key) {
        ctx.db().peek(key).map(|value| value.encoding_name())
    } else {
        None
    };
    match encoding {
        Some(name) => ctx.reply().bulk(name.as_bytes()),
        None => ctx.reply().null(),
    }
    Ok(())
}

fn object_refcount(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[2];
    // Valkey 9 embeds the key in each value object, so values are never shared: always 1.
    if exists_quietly(ctx, key) {
        ctx.reply().int(1);
    } else {
        ctx.reply().null();
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[2];
    if !exists_quietly(ctx, key) {
        ctx.reply().null();
        return Ok(());
    }
    if access::policy().lfu {
        return Err(CommandError::fixed(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let idle = ctx.db().idle_seconds(key).unwrap_or_default();
    ctx.reply().int(i64::try_from(idle).unwrap_or(i64::MAX));
    Ok(())
}

fn object_freq(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[2];
    if !exists_quietly(ctx, key) {
        ctx.reply().null();
        return Ok(());
    }
    if !access::policy().lfu {
        return Err(CommandError::fixed(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note \
             that when switching between policies at runtime LRU and LFU data will take some time to \
             adjust.",
        ));
    }
    let frequency = ctx.db().access_frequency(key).unwrap_or_default();
    ctx.reply().int(i64::from(frequency));
    Ok(())
}

const OBJECT_HELP: &[&str] = &[
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
];

fn object_help(ctx: &mut Ctx<'_>) -> CommandResult {
    crate::commands::reply_help(ctx.reply(), b"object", OBJECT_HELP);
    Ok(())
}

fn dbsize(ctx: &mut Ctx<'_>) -> CommandResult {
    let len = ctx.db().len() as i64;
    ctx.reply().int(len);
    Ok(())
}

/// Checks FLUSHDB/FLUSHALL's optional SYNC or ASYNC. Both free synchronously here: the replies are
/// the same.
fn check_flush_options(ctx: &Ctx<'_>) -> CommandResult {
    match ctx.argc() {
        1 => Ok(()),
        2 if ctx.arg_is(1, "sync") || ctx.arg_is(1, "async") => Ok(()),
        _ => Err(SYNTAX),
    }
}

fn flushdb(ctx: &mut Ctx<'_>) -> CommandResult {
    check_flush_options(ctx)?;
    ctx.server.touch_all_keys(Some(ctx.db_index));
    let db = ctx.db();
    let removed = db.len() as u64;
    db.clear();
    ctx.server.stats.dirty += removed;
    ctx.reply().ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx<'_>) -> CommandResult {
    check_flush_options(ctx)?;
    ctx.server.touch_all_keys(None);
    let mut removed = 0;
    for db in &mut ctx.server.dbs {
        removed += db.len() as u64;
        db.clear();
    }
    ctx.server.stats.dirty += removed;
    ctx.reply().ok();
    Ok(())
}

fn swapdb(ctx: &mut Ctx<'_>) -> CommandResult {
    let first = arg_int(ctx, 1, Some("ERR invalid first DB index"))?;
    let second = arg_int(ctx, 2, Some("ERR invalid second DB index"))?;
    let dbs = ctx.server.dbs.len();
    let index = |db: i32| usize::try_from(db).ok().filter(|&db| db < dbs);
    let (Some(first), Some(second)) = (index(first), index(second)) else {
        return Err(DB_INDEX_OUT_OF_RANGE);
    };
    if first != second {
        // Transactions watching a key that exists on either side before or after the swap abort.
        ctx.server.touch_all_keys(Some(first));
        ctx.server.touch_all_keys(Some(second));
        let (low, high) = (first.min(second), first.max(second));
        let (head, tail) = ctx.server.dbs.split_at_mut(high);
        head[low].swap(&mut tail[0]);
        ctx.server.touch_all_keys(Some(first));
        ctx.server.touch_all_keys(Some(second));
    }
    ctx.server.stats.dirty += 1;
    ctx.reply().ok();
    Ok(())
}
