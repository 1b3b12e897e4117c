//! List commands: pushes (LPUSH RPUSH LPUSHX RPUSHX LINSERT), pops (LPOP RPOP LMPOP), moves (LMOVE
//! RPOPLPUSH), reads (LRANGE LLEN LINDEX LPOS), edits (LSET LREM LTRIM) and the blocking forms (BLPOP
//! BRPOP BLMPOP BLMOVE BRPOPLPUSH), with Valkey 9.1's replies, error texts and encoding conversions.

use ferry_resp::number::parse_i64;
use ferry_resp::{Argv, ReplyBuffer};

use crate::blocking::{parse_timeout, TimeoutReply};
use crate::commands::{acl, flags, CommandSpec, Ctx, KEY1, KEYS_BEFORE_TIMEOUT, TWO_KEYS};
use crate::error::{
    wrong_arity, CommandError, CommandResult, NOT_INTEGER, NO_SUCH_KEY, SYNTAX, WRONG_TYPE,
};
use crate::notify::class;
use crate::server::Server;
use crate::types::list::{List, ListData, ListRef, Popped};
use crate::types::Value;

const WRITE_FAST: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const ACL_READ_SLOW: u64 = acl::READ | acl::LIST | acl::SLOW;
const ACL_WRITE_FAST: u64 = acl::WRITE | acl::LIST | acl::FAST;
const ACL_WRITE_SLOW: u64 = acl::WRITE | acl::LIST | acl::SLOW;

const BLOCKING_WRITE: u32 = flags::WRITE | flags::BLOCKING;
const ACL_BLOCKING: u64 = ACL_WRITE_SLOW | acl::BLOCKING;

/// List commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("lpush", -3, WRITE_FAST, ACL_WRITE_FAST, KEY1, lpush),
    CommandSpec::new("rpush", -3, WRITE_FAST, ACL_WRITE_FAST, KEY1, rpush),
    CommandSpec::new("lpushx", -3, WRITE_FAST, ACL_WRITE_FAST, KEY1, lpushx),
    CommandSpec::new("rpushx", -3, WRITE_FAST, ACL_WRITE_FAST, KEY1, rpushx),
    CommandSpec::new(
        "linsert",
        5,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        KEY1,
        linsert,
    ),
    CommandSpec::new(
        "lpop",
        -2,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        lpop,
    ),
    CommandSpec::new(
        "rpop",
        -2,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        rpop,
    ),
    CommandSpec::new(
        "lmpop",
        -4,
        flags::WRITE,
        ACL_WRITE_SLOW,
        // The keys are found through `numkeys`.
        crate::commands::NO_KEYS,
        lmpop,
    )
    .with_movable_keys(lmpop_keys),
    CommandSpec::new(
        "lmove",
        5,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        TWO_KEYS,
        lmove,
    ),
    CommandSpec::new(
        "rpoplpush",
        3,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        TWO_KEYS,
        rpoplpush,
    ),
    CommandSpec::new("lrange", 4, flags::READONLY, ACL_READ_SLOW, KEY1, lrange),
    CommandSpec::new(
        "llen",
        2,
        flags::READONLY | flags::FAST,
        acl::READ | acl::LIST | acl::FAST,
        KEY1,
        llen,
    ),
    CommandSpec::new("lindex", 3, flags::READONLY, ACL_READ_SLOW, KEY1, lindex),
    CommandSpec::new("lpos", -3, flags::READONLY, ACL_READ_SLOW, KEY1, lpos),
    CommandSpec::new(
        "lset",
        4,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        KEY1,
        lset,
    ),
    CommandSpec::new("lrem", 4, flags::WRITE, ACL_WRITE_SLOW, KEY1, lrem),
    CommandSpec::new("ltrim", 4, flags::WRITE, ACL_WRITE_SLOW, KEY1, ltrim),
    CommandSpec::new(
        "blpop",
        -3,
        BLOCKING_WRITE,
        ACL_BLOCKING,
        KEYS_BEFORE_TIMEOUT,
        blpop,
    ),
    CommandSpec::new(
        "brpop",
        -3,
        BLOCKING_WRITE,
        ACL_BLOCKING,
        KEYS_BEFORE_TIMEOUT,
        brpop,
    ),
    CommandSpec::new(
        "blmpop",
        -5,
        BLOCKING_WRITE,
        ACL_BLOCKING,
        // The keys are found through `numkeys`.
        crate::commands::NO_KEYS,
        blmpop,
    )
    .with_movable_keys(blmpop_keys),
    CommandSpec::new(
        "blmove",
        6,
        BLOCKING_WRITE | flags::DENYOOM,
        ACL_BLOCKING,
        TWO_KEYS,
        blmove,
    ),
    CommandSpec::new(
        "brpoplpush",
        4,
        BLOCKING_WRITE | flags::DENYOOM,
        ACL_BLOCKING,
        TWO_KEYS,
        brpoplpush,
    ),
];

const INDEX_OUT_OF_RANGE: CommandError = CommandError::fixed("ERR index out of range");
const MUST_BE_POSITIVE: CommandError =
    CommandError::fixed("ERR value is out of range, must be positive");
const RANK_ZERO: CommandError = CommandError::fixed(
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const COUNT_NEGATIVE: CommandError = CommandError::fixed("ERR COUNT can't be negative");
const MAXLEN_NEGATIVE: CommandError = CommandError::fixed("ERR MAXLEN can't be negative");
const NUMKEYS_NOT_POSITIVE: CommandError =
    CommandError::fixed("ERR numkeys should be greater than 0");
const COUNT_NOT_POSITIVE: CommandError = CommandError::fixed("ERR count should be greater than 0");
/// `getRangeLongFromObjectOrReply` between `-LONG_MAX` and `LONG_MAX` without a message of its own.
const OUT_OF_SIGNED_RANGE: CommandError = CommandError::fixed(
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
);

/// The configured `list-max-listpack-size`.
pub fn fill(server: &Server) -> i64 {
    server.config.get_i64("list-max-listpack-size")
}

/// The list held by `value`, or WRONGTYPE.
#[allow(unreachable_patterns)]
fn as_list(value: &Value) -> Result<&List, CommandError> {
    match value {
        Value::List(list) => Ok(list),
        _ => Err(WRONG_TYPE),
    }
}

/// The list held by `value`, mutably, or WRONGTYPE.
#[allow(unreachable_patterns)]
fn as_list_mut(value: &mut Value) -> Result<&mut List, CommandError> {
    match value {
        Value::List(list) => Ok(list),
        _ => Err(WRONG_TYPE),
    }
}

/// Looks `key` up for reading (counting a keyspace hit or miss) and checks it is a list.
fn read_list<'s>(
    server: &'s mut Server,
    db_index: usize,
    key: &[u8],
    now_ms: i64,
) -> Result<Option<&'s List>, CommandError> {
    let value = server.dbs[db_index].get_read(key, now_ms);
    if value.is_some() {
        server.stats.keyspace_hits += 1;
    } else {
        server.stats.keyspace_misses += 1;
    }
    value.map(as_list).transpose()
}

/// Looks `key` up for writing and checks it is a list.
fn write_list<'s>(
    server: &'s mut Server,
    db_index: usize,
    key: &[u8],
    now_ms: i64,
) -> Result<Option<&'s mut List>, CommandError> {
    server.dbs[db_index]
        .get_mut(key, now_ms)
        .map(as_list_mut)
        .transpose()
}

/// Records a change of `key` that counted `changes` towards the dirty counter (Valkey counts one per
/// element pushed or removed).
fn modified(ctx: &mut Ctx<'_>, key: &[u8], changes: u64) {
    ctx.key_modified(key);
    let stats = &mut ctx.server.stats;
    stats.dirty = stats.dirty.saturating_sub(1) + changes;
}

/// Valkey's `listElementsRemoved` after elements left the list under `key`: announces `event`,
/// deletes an emptied list (announcing `del`), otherwise lets a shrunken quicklist turn back into a
/// listpack.
fn elements_removed(ctx: &mut Ctx<'_>, key: &[u8], changes: u64, event: &str) {
    let fill = fill(ctx.server);
    let now = ctx.now_ms;
    let db = &mut ctx.server.dbs[ctx.db_index];
    let empty = match db.get_mut(key, now) {
        Some(Value::List(list)) if list.is_empty() => true,
        Some(Value::List(list)) => {
            list.after_shrink(fill);
            false
        }
        _ => false,
    };
    if empty {
        db.remove(key);
    }
    modified(ctx, key, changes);
    ctx.notify(class::LIST, event, key);
    if empty {
        ctx.notify(class::GENERIC, "del", key);
    }
}

/// The event a pop from one end announces.
fn pop_event(tail: bool) -> &'static str {
    if tail {
        "rpop"
    } else {
        "lpop"
    }
}

/// The event a push onto one end announces.
fn push_event(tail: bool) -> &'static str {
    if tail {
        "rpush"
    } else {
        "lpush"
    }
}

/// Replies with one element.
fn reply_popped(reply: &mut ReplyBuffer, popped: &Popped) {
    match popped {
        Popped::Int(n) => reply.bulk_int(*n),
        Popped::Bytes(bytes) => reply.bulk(bytes),
    }
}

/// Replies with one stored element.
fn reply_entry(reply: &mut ReplyBuffer, entry: ferry_rdb::listpack::Entry<'_>) {
    match entry {
        ferry_rdb::listpack::Entry::Int(n) => reply.bulk_int(n),
        ferry_rdb::listpack::Entry::Bytes(bytes) => reply.bulk(bytes),
    }
}

/// Valkey's `addListRangeReply`: elements `start..=end` (negative counting from the tail) as an array,
/// reversed when `reverse`.
fn reply_range(reply: &mut ReplyBuffer, list: ListRef<'_>, start: i64, end: i64, reverse: bool) {
    let len = list.len() as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        reply.array(0);
        return;
    }
    if end >= len {
        end = len - 1;
    }
    let count = (end - start + 1) as usize;
    reply.array(count);
    let from = if reverse { end } else { start };
    for entry in list.iter_from(from as usize, reverse).take(count) {
        reply_entry(reply, entry);
    }
}

/// Parses an integer argument the way `getLongFromObjectOrReply` does, with `message` for a bad one.
fn long_arg(ctx: &Ctx<'_>, index: usize, message: CommandError) -> Result<i64, CommandError> {
    parse_i64(ctx.arg(index)).ok_or(message)
}

/// `getRangeLongFromObjectOrReply` with one message for both failures.
fn ranged_arg(
    ctx: &Ctx<'_>,
    index: usize,
    min: i64,
    message: CommandError,
) -> Result<i64, CommandError> {
    let value = long_arg(ctx, index, message.clone())?;
    if value < min {
        return Err(message);
    }
    Ok(value)
}

/// LEFT or RIGHT: true for RIGHT (the tail).
fn parse_side(word: &[u8]) -> Result<bool, CommandError> {
    if word.eq_ignore_ascii_case(b"right") {
        Ok(true)
    } else if word.eq_ignore_ascii_case(b"left") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn lpush(ctx: &mut Ctx<'_>) -> CommandResult {
    push_generic(ctx, false, false)
}

fn rpush(ctx: &mut Ctx<'_>) -> CommandResult {
    push_generic(ctx, true, false)
}

fn lpushx(ctx: &mut Ctx<'_>) -> CommandResult {
    push_generic(ctx, false, true)
}

fn rpushx(ctx: &mut Ctx<'_>) -> CommandResult {
    push_generic(ctx, true, true)
}

/// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...].
fn push_generic(ctx: &mut Ctx<'_>, tail: bool, only_existing: bool) -> CommandResult {
    let fill = fill(ctx.server);
    let argv = ctx.argv;
    let key = &argv[1];
    let db = &mut ctx.server.dbs[ctx.db_index];
    let exists = match db.get_mut(key, ctx.now_ms) {
        Some(value) => {
            as_list_mut(value)?;
            true
        }
        None => false,
    };
    if !exists {
        if only_existing {
            ctx.reply().int(0);
            return Ok(());
        }
        db.set(key, Value::List(List::new()));
    }
    let Some(Value::List(list)) = db.get_mut(key, ctx.now_ms) else {
        return Err(WRONG_TYPE);
    };
    let added = argv.len() - 2;
    let bytes = argv.iter().skip(2).map(<[u8]>::len).sum();
    let len = list.modify(|data| {
        data.prepare_growth(bytes, added, fill);
        for element in argv.iter().skip(2) {
            data.push(element, tail);
        }
        data.len()
    });
    ctx.reply().int(len as i64);
    modified(ctx, key, added as u64);
    ctx.notify(class::LIST, push_event(tail), key);
    Ok(())
}

/// LINSERT key BEFORE|AFTER pivot element.
fn linsert(ctx: &mut Ctx<'_>) -> CommandResult {
    let after = if ctx.arg_is(2, "after") {
        true
    } else if ctx.arg_is(2, "before") {
        false
    } else {
        return Err(SYNTAX);
    };
    let fill = fill(ctx.server);
    let argv = ctx.argv;
    let Some(list) = write_list(ctx.server, ctx.db_index, &argv[1], ctx.now_ms)? else {
        ctx.reply().int(0);
        return Ok(());
    };
    let inserted = list.modify(|data| {
        // Like Valkey, convert for the new element before knowing whether the pivot exists.
        data.prepare_growth(argv[4].len(), 1, fill);
        data.insert(&argv[3], &argv[4], after)
    });
    if !inserted {
        ctx.reply().int(-1);
        return Ok(());
    }
    let len = list.len();
    ctx.reply().int(len as i64);
    modified(ctx, &argv[1], 1);
    ctx.notify(class::LIST, "linsert", &argv[1]);
    Ok(())
}

fn lpop(ctx: &mut Ctx<'_>) -> CommandResult {
    pop_generic(ctx, false)
}

fn rpop(ctx: &mut Ctx<'_>) -> CommandResult {
    pop_generic(ctx, true)
}

/// LPOP/RPOP key [count].
fn pop_generic(ctx: &mut Ctx<'_>, tail: bool) -> CommandResult {
    if ctx.argc() > 3 {
        return Err(wrong_arity(ctx.spec.full_name));
    }
    let count = if ctx.argc() == 3 {
        Some(ranged_arg(ctx, 2, 0, MUST_BE_POSITIVE)? as usize)
    } else {
        None
    };
    let argv = ctx.argv;
    let key = &argv[1];
    let Some(list) = write_list(ctx.server, ctx.db_index, key, ctx.now_ms)? else {
        match count {
            Some(_) => ctx.reply().null_array(),
            None => ctx.reply().null(),
        }
        return Ok(());
    };
    let reply = &mut ctx.client.reply;
    let removed = match count {
        Some(0) => {
            reply.array(0);
            return Ok(());
        }
        None => {
            let Some(popped) = list.modify(|data| data.pop(tail)) else {
                reply.null();
                return Ok(());
            };
            reply_popped(reply, &popped);
            1
        }
        Some(count) => list.modify(|data| pop_range(reply, data, count, tail)),
    };
    elements_removed(ctx, key, removed, pop_event(tail));
    Ok(())
}

/// Replies with up to `count` elements from one end as an array and removes them; returns how many.
fn pop_range(reply: &mut ReplyBuffer, list: &mut ListData, count: usize, tail: bool) -> u64 {
    let len = list.len();
    let taken = count.min(len);
    let start = if tail { len - taken } else { 0 };
    if tail {
        reply_range(reply, list.view(), -(taken as i64), -1, true);
    } else {
        reply_range(reply, list.view(), 0, taken as i64 - 1, false);
    }
    list.remove_range(start, taken);
    taken as u64
}

/// Where LMPOP-style arguments put `numkeys`, the keys and the options.
pub struct MultiPop {
    /// Index of the first key.
    pub first_key: usize,
    /// Number of keys.
    pub numkeys: usize,
    /// True to pop from the tail (RIGHT).
    pub tail: bool,
    /// Elements to pop at most.
    pub count: usize,
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` with `numkeys` at `numkeys_index`
/// (Valkey's `lmpopGenericCommand`).
pub fn parse_multi_pop(ctx: &Ctx<'_>, numkeys_index: usize) -> Result<MultiPop, CommandError> {
    let numkeys = ranged_arg(ctx, numkeys_index, 1, NUMKEYS_NOT_POSITIVE)? as usize;
    let side_index = numkeys_index
        .checked_add(numkeys)
        .and_then(|i| i.checked_add(1))
        .filter(|&i| i < ctx.argc())
        .ok_or(SYNTAX)?;
    let tail = parse_side(ctx.arg(side_index))?;
    let mut count = None;
    let mut index = side_index + 1;
    while index < ctx.argc() {
        let more = index + 1 < ctx.argc();
        if count.is_none() && ctx.arg_is(index, "count") && more {
            index += 1;
            count = Some(ranged_arg(ctx, index, 1, COUNT_NOT_POSITIVE)? as usize);
        } else {
            return Err(SYNTAX);
        }
        index += 1;
    }
    Ok(MultiPop {
        first_key: numkeys_index + 1,
        numkeys,
        tail,
        count: count.unwrap_or(1),
    })
}

/// The keys of an LMPOP-style command with `numkeys` at `numkeys_index`.
pub fn multi_pop_keys(argv: &Argv, numkeys_index: usize) -> Vec<usize> {
    let Some(numkeys) = argv.get(numkeys_index).and_then(parse_i64) else {
        return Vec::new();
    };
    let first = numkeys_index + 1;
    if numkeys < 1 || numkeys as u64 > argv.len().saturating_sub(first) as u64 {
        return Vec::new();
    }
    (first..first + numkeys as usize).collect()
}

fn lmpop_keys(argv: &Argv) -> Vec<usize> {
    multi_pop_keys(argv, 1)
}

/// Pops from the first non-empty list among the keys (Valkey's `mpopGenericCommand`): replies
/// `[key, [elements]]`, or returns `Ok(false)` having replied nothing when every list is empty.
pub fn multi_pop(ctx: &mut Ctx<'_>, pop: &MultiPop) -> Result<bool, CommandError> {
    let argv = ctx.argv;
    for key in argv.iter().skip(pop.first_key).take(pop.numkeys) {
        let Some(list) = write_list(ctx.server, ctx.db_index, key, ctx.now_ms)? else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        let reply = &mut ctx.client.reply;
        reply.array(2);
        reply.bulk(key);
        let removed = list.modify(|data| pop_range(reply, data, pop.count, pop.tail));
        elements_removed(ctx, key, removed, pop_event(pop.tail));
        return Ok(true);
    }
    Ok(false)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count].
fn lmpop(ctx: &mut Ctx<'_>) -> CommandResult {
    let pop = parse_multi_pop(ctx, 1)?;
    if !multi_pop(ctx, &pop)? {
        ctx.reply().null_array();
    }
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT.
fn lmove(ctx: &mut Ctx<'_>) -> CommandResult {
    let from_tail = parse_side(ctx.arg(3))?;
    let to_tail = parse_side(ctx.arg(4))?;
    move_element(ctx, from_tail, to_tail)?;
    Ok(())
}

/// RPOPLPUSH source destination.
fn rpoplpush(ctx: &mut Ctx<'_>) -> CommandResult {
    move_element(ctx, true, false)?;
    Ok(())
}

/// Valkey's `lmoveGenericCommand`: pops from the list at argument 1 and pushes onto the list at
/// argument 2, replying with the element. Returns `Ok(false)` having replied nil when the source does
/// not exist.
pub fn move_element(
    ctx: &mut Ctx<'_>,
    from_tail: bool,
    to_tail: bool,
) -> Result<bool, CommandError> {
    let fill = fill(ctx.server);
    let argv = ctx.argv;
    let (source, destination) = (&argv[1], &argv[2]);
    let now = ctx.now_ms;
    let db = &mut ctx.server.dbs[ctx.db_index];
    match db.get_mut(source, now) {
        None => {
            ctx.client.reply.null();
            return Ok(false);
        }
        Some(value) => {
            as_list_mut(value)?;
        }
    }
    if let Some(value) = db.get_mut(destination, now) {
        as_list_mut(value)?;
    }
    let Some(Value::List(list)) = db.get_mut(source, now) else {
        return Err(WRONG_TYPE);
    };
    let Some(popped) = list.modify(|data| data.pop(from_tail)) else {
        ctx.client.reply.null();
        return Ok(false);
    };
    let element = popped.to_vec();
    let push = |data: &mut ListData| {
        data.prepare_growth(popped.counted_bytes(), 1, fill);
        data.push(&element, to_tail);
    };
    if source == destination {
        list.modify(push);
    } else {
        if db.get_mut(destination, now).is_none() {
            db.set(destination, Value::List(List::new()));
        }
        if let Some(Value::List(target)) = db.get_mut(destination, now) {
            target.modify(push);
        }
    }
    modified(ctx, destination, 0);
    ctx.notify(class::LIST, push_event(to_tail), destination);
    reply_popped(&mut ctx.client.reply, &popped);
    elements_removed(ctx, source, 1, pop_event(from_tail));
    Ok(true)
}

/// LRANGE key start stop.
fn lrange(ctx: &mut Ctx<'_>) -> CommandResult {
    let start = ctx.arg_i64(2)?;
    let end = ctx.arg_i64(3)?;
    let argv = ctx.argv;
    match read_list(ctx.server, ctx.db_index, &argv[1], ctx.now_ms)? {
        None => ctx.client.reply.array(0),
        Some(list) => reply_range(&mut ctx.client.reply, list.view(), start, end, false),
    }
    Ok(())
}

/// LLEN key.
fn llen(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let len = read_list(ctx.server, ctx.db_index, &argv[1], ctx.now_ms)?.map_or(0, List::len);
    ctx.reply().int(len as i64);
    Ok(())
}

/// LINDEX key index.
fn lindex(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let Some(list) = read_list(ctx.server, ctx.db_index, &argv[1], ctx.now_ms)? else {
        ctx.client.reply.null();
        return Ok(());
    };
    let index = parse_i64(&argv[2]).ok_or(NOT_INTEGER)?;
    let reply = &mut ctx.client.reply;
    match list.view().get(index) {
        Some(entry) => reply_entry(reply, entry),
        None => reply.null(),
    }
    Ok(())
}

/// LSET key index element.
fn lset(ctx: &mut Ctx<'_>) -> CommandResult {
    let fill = fill(ctx.server);
    let argv = ctx.argv;
    let Some(list) = write_list(ctx.server, ctx.db_index, &argv[1], ctx.now_ms)? else {
        return Err(NO_SUCH_KEY);
    };
    let index = parse_i64(&argv[2]).ok_or(NOT_INTEGER)?;
    // Valkey passes the index through a C `int` (`listTypeReplaceAtIndex`): it wraps to 32 bits.
    let index = i64::from(index as i32);
    let replaced = list.modify(|data| {
        data.prepare_growth(argv[3].len(), 1, fill);
        let replaced = data.set(index, &argv[3]);
        if replaced {
            data.after_shrink(fill);
        }
        replaced
    });
    if !replaced {
        return Err(INDEX_OUT_OF_RANGE);
    }
    ctx.reply().ok();
    modified(ctx, &argv[1], 1);
    ctx.notify(class::LIST, "lset", &argv[1]);
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len].
fn lpos(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut index = 3;
    while index < ctx.argc() {
        let more = index + 1 < ctx.argc();
        if ctx.arg_is(index, "rank") && more {
            index += 1;
            rank = long_arg(ctx, index, NOT_INTEGER)?;
            if rank == i64::MIN {
                return Err(OUT_OF_SIGNED_RANGE);
            }
            if rank == 0 {
                return Err(RANK_ZERO);
            }
        } else if ctx.arg_is(index, "count") && more {
            index += 1;
            count = Some(ranged_arg(ctx, index, 0, COUNT_NEGATIVE)? as usize);
        } else if ctx.arg_is(index, "maxlen") && more {
            index += 1;
            maxlen = ranged_arg(ctx, index, 0, MAXLEN_NEGATIVE)? as usize;
        } else {
            return Err(SYNTAX);
        }
        index += 1;
    }
    let from_tail = rank < 0;
    let rank = rank.unsigned_abs();
    let argv = ctx.argv;
    let element = &argv[2];
    let reply = &mut ctx.client.reply;
    let Some(list) = read_list(ctx.server, ctx.db_index, &argv[1], ctx.now_ms)? else {
        match count {
            Some(_) => reply.array(0),
            None => reply.null(),
        }
        return Ok(());
    };
    let len = list.len();
    let deferred = count.map(|_| reply.deferred_array());
    let mut matches: u64 = 0;
    let mut found = 0;
    let mut first_match = None;
    for (scanned, entry) in list.view().iter(from_tail).enumerate() {
        if maxlen != 0 && scanned >= maxlen {
            break;
        }
        if !entry.eq_bytes(element) {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        let position = if from_tail {
            len - scanned - 1
        } else {
            scanned
        };
        match count {
            None => {
                first_match = Some(position);
                break;
            }
            Some(wanted) => {
                found += 1;
                reply.int(position as i64);
                if wanted != 0 && found >= wanted {
                    break;
                }
            }
        }
    }
    match deferred {
        Some(deferred) => reply.finish_deferred(deferred, found),
        None => match first_match {
            Some(position) => reply.int(position as i64),
            None => reply.null(),
        },
    }
    Ok(())
}

/// LREM key count element.
fn lrem(ctx: &mut Ctx<'_>) -> CommandResult {
    let to_remove = long_arg(ctx, 2, NOT_INTEGER)?;
    if to_remove == i64::MIN {
        return Err(OUT_OF_SIGNED_RANGE);
    }
    let argv = ctx.argv;
    let Some(list) = write_list(ctx.server, ctx.db_index, &argv[1], ctx.now_ms)? else {
        ctx.reply().int(0);
        return Ok(());
    };
    let limit = to_remove.unsigned_abs() as usize;
    let removed = list.modify(|data| data.remove_value(&argv[3], limit, to_remove < 0));
    ctx.reply().int(removed as i64);
    if removed > 0 {
        elements_removed(ctx, &argv[1], removed as u64, "lrem");
    }
    Ok(())
}

/// LTRIM key start stop.
fn ltrim(ctx: &mut Ctx<'_>) -> CommandResult {
    let start = ctx.arg_i64(2)?;
    let end = ctx.arg_i64(3)?;
    let argv = ctx.argv;
    let Some(list) = write_list(ctx.server, ctx.db_index, &argv[1], ctx.now_ms)? else {
        ctx.reply().ok();
        return Ok(());
    };
    let len = list.len() as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    let (left, right) = if start > end || start >= len {
        (len, 0)
    } else {
        if end >= len {
            end = len - 1;
        }
        (start, len - end - 1)
    };
    list.modify(|data| {
        data.remove_range(0, left as usize);
        let remaining = data.len();
        data.remove_range(remaining - right as usize, right as usize);
    });
    ctx.reply().ok();
    elements_removed(ctx, &argv[1], (left + right) as u64, "ltrim");
    Ok(())
}

/// True when one of `keys` holds a live list. A parked command re-run after a change only proceeds
/// then: Valkey serves a client blocked on a key only once that key holds the type it waits for, so a
/// key that became a string leaves it blocked rather than failing it with WRONGTYPE.
fn any_list(ctx: &mut Ctx<'_>, keys: &[Vec<u8>]) -> bool {
    let now = ctx.now_ms;
    let db = ctx.db();
    keys.iter().any(|key| {
        !db.is_expired(key, now)
            && matches!(db.peek(key), Some(Value::List(list)) if !list.is_empty())
    })
}

/// Parks the client on `keys`, or, where blocking is not allowed (inside MULTI), replies at once with
/// `instead`. A list command that times out always replies with a null array, even BLMOVE, whose
/// immediate reply is a null bulk string (Valkey's `replyToBlockedClientTimedOut`).
fn block(ctx: &mut Ctx<'_>, keys: Vec<Vec<u8>>, deadline_ms: Option<i64>, instead: TimeoutReply) {
    if ctx.may_block() {
        ctx.block_on_keys(keys, deadline_ms, TimeoutReply::NullArray);
    } else {
        match instead {
            TimeoutReply::NullArray => ctx.reply().null_array(),
            TimeoutReply::NullBulk => ctx.reply().null(),
        }
    }
}

fn blpop(ctx: &mut Ctx<'_>) -> CommandResult {
    blocking_pop(ctx, false)
}

fn brpop(ctx: &mut Ctx<'_>) -> CommandResult {
    blocking_pop(ctx, true)
}

/// BLPOP/BRPOP key [key ...] timeout: pops one element from the first non-empty list, replying
/// `[key, element]`, or blocks until one of the keys gets elements.
fn blocking_pop(ctx: &mut Ctx<'_>, tail: bool) -> CommandResult {
    let deadline = parse_timeout(ctx.arg(ctx.argc() - 1), ctx.now_ms)?;
    let argv = ctx.argv;
    let keys: Vec<Vec<u8>> = argv
        .iter()
        .skip(1)
        .take(argv.len() - 2)
        .map(<[u8]>::to_vec)
        .collect();
    if ctx.client.reprocessing_blocked && !any_list(ctx, &keys) {
        block(ctx, keys, deadline, TimeoutReply::NullArray);
        return Ok(());
    }
    for key in &keys {
        let Some(list) = write_list(ctx.server, ctx.db_index, key, ctx.now_ms)? else {
            continue;
        };
        let Some(popped) = list.modify(|data| data.pop(tail)) else {
            continue;
        };
        let reply = &mut ctx.client.reply;
        reply.array(2);
        reply.bulk(key);
        reply_popped(reply, &popped);
        elements_removed(ctx, key, 1, pop_event(tail));
        return Ok(());
    }
    block(ctx, keys, deadline, TimeoutReply::NullArray);
    Ok(())
}

fn blmpop_keys(argv: &Argv) -> Vec<usize> {
    multi_pop_keys(argv, 2)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count].
fn blmpop(ctx: &mut Ctx<'_>) -> CommandResult {
    let pop = parse_multi_pop(ctx, 2)?;
    let deadline = parse_timeout(ctx.arg(1), ctx.now_ms)?;
    let argv = ctx.argv;
    let keys: Vec<Vec<u8>> = argv
        .iter()
        .skip(pop.first_key)
        .take(pop.numkeys)
        .map(<[u8]>::to_vec)
        .collect();
    if ctx.client.reprocessing_blocked && !any_list(ctx, &keys) {
        block(ctx, keys, deadline, TimeoutReply::NullArray);
        return Ok(());
    }
    if !multi_pop(ctx, &pop)? {
        block(ctx, keys, deadline, TimeoutReply::NullArray);
    }
    Ok(())
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
fn blmove(ctx: &mut Ctx<'_>) -> CommandResult {
    let from_tail = parse_side(ctx.arg(3))?;
    let to_tail = parse_side(ctx.arg(4))?;
    let deadline = parse_timeout(ctx.arg(5), ctx.now_ms)?;
    blocking_move(ctx, from_tail, to_tail, deadline)
}

/// BRPOPLPUSH source destination timeout.
fn brpoplpush(ctx: &mut Ctx<'_>) -> CommandResult {
    let deadline = parse_timeout(ctx.arg(3), ctx.now_ms)?;
    blocking_move(ctx, true, false, deadline)
}

/// Valkey's `blmoveGenericCommand`: moves an element when the source exists, blocks on the source
/// otherwise.
fn blocking_move(
    ctx: &mut Ctx<'_>,
    from_tail: bool,
    to_tail: bool,
    deadline: Option<i64>,
) -> CommandResult {
    let source = ctx.arg(1).to_vec();
    let waits_on = std::slice::from_ref(&source);
    let still_waiting = ctx.client.reprocessing_blocked && !any_list(ctx, waits_on);
    if still_waiting || write_list(ctx.server, ctx.db_index, &source, ctx.now_ms)?.is_none() {
        block(ctx, vec![source], deadline, TimeoutReply::NullBulk);
        return Ok(());
    }
    move_element(ctx, from_tail, to_tail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Argv {
        Argv::from_parts(words.iter().map(|w| w.as_bytes()))
    }

    #[test]
    fn lmpop_key_positions() {
        assert_eq!(
            multi_pop_keys(&argv(&["lmpop", "2", "a", "b", "left"]), 1),
            vec![2, 3]
        );
        assert_eq!(
            multi_pop_keys(&argv(&["lmpop", "0", "a", "left"]), 1),
            Vec::<usize>::new()
        );
        assert_eq!(
            multi_pop_keys(&argv(&["lmpop", "x", "a", "left"]), 1),
            Vec::<usize>::new()
        );
        assert_eq!(
            multi_pop_keys(&argv(&["blmpop", "0", "1", "a", "left"]), 2),
            vec![3]
        );
        // Every declared key must be present (Valkey refuses the key spec otherwise).
        assert_eq!(
            multi_pop_keys(&argv(&["lmpop", "3", "a", "left"]), 1),
            Vec::<usize>::new()
        );
        assert_eq!(
            multi_pop_keys(&argv(&["lmpop", "2", "a", "b"]), 1),
            vec![2, 3]
        );
    }
}
