//! Set commands as in Valkey 9.1: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER
//! SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN. Besides the replies,
//! the encodings of the sets they create or change follow Valkey's algorithms step by step (which set
//! a STORE result starts from, which DIFF algorithm runs, how SPOP rebuilds a set), because OBJECT
//! ENCODING shows the outcome.
//!
//! Not yet done, for want of the machinery: keyspace notifications, and what SPOP propagates to
//! replicas and the AOF. Valkey 9.1 writes `SREM key member` for a single SPOP; for SPOP with a count
//! below the size, `SREM key m1 m2 ...` with the members handed out, in batches of at most 1024; for
//! a count that takes the whole set, `UNLINK key` (`DEL key` when `lazyfree-lazy-server-del` is no);
//! for a count of 0, nothing.

use std::collections::HashSet;

use ferry_resp::number::parse_i64;
use ferry_resp::{Argv, ReplyBuffer};
use rand::Rng;

use crate::commands::scan::{parse_cursor, sample, ScanKind, ScanOptions, INVALID_CURSOR};
use crate::commands::{acl, flags, CommandSpec, Ctx, ALL_KEYS, KEY1, NO_KEYS, TWO_KEYS};
use crate::error::{CommandError, CommandResult, NOT_INTEGER, SYNTAX, WRONG_TYPE};
use crate::glob::glob_match;
use crate::keyspace::Db;
use crate::notify::class;
use crate::types::set::{Encoding, Limits, Member, SetData, SetRef};
use crate::types::{Set, Str, Value};

const READ_FAST: u32 = flags::READONLY | flags::FAST;
const ACL_READ_FAST: u64 = acl::READ | acl::SET | acl::FAST;
const ACL_READ_SLOW: u64 = acl::READ | acl::SET | acl::SLOW;
const ACL_WRITE_FAST: u64 = acl::WRITE | acl::SET | acl::FAST;
const ACL_WRITE_SLOW: u64 = acl::WRITE | acl::SET | acl::SLOW;

/// Set commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "sadd",
        -3,
        flags::WRITE | flags::DENYOOM | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        sadd,
    ),
    CommandSpec::new(
        "srem",
        -3,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        srem,
    ),
    CommandSpec::new(
        "smembers",
        2,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        smembers,
    ),
    CommandSpec::new("sismember", 3, READ_FAST, ACL_READ_FAST, KEY1, sismember),
    CommandSpec::new("smismember", -3, READ_FAST, ACL_READ_FAST, KEY1, smismember),
    CommandSpec::new("scard", 2, READ_FAST, ACL_READ_FAST, KEY1, scard),
    CommandSpec::new(
        "spop",
        -2,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        spop,
    ),
    CommandSpec::new(
        "srandmember",
        -2,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        srandmember,
    ),
    CommandSpec::new(
        "smove",
        4,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        TWO_KEYS,
        smove,
    ),
    CommandSpec::new(
        "sinter",
        -2,
        flags::READONLY,
        ACL_READ_SLOW,
        ALL_KEYS,
        sinter,
    ),
    CommandSpec::new(
        "sintercard",
        -3,
        flags::READONLY,
        ACL_READ_SLOW,
        // The keys are found through `numkeys`.
        NO_KEYS,
        sintercard,
    )
    .with_movable_keys(sintercard_keys),
    CommandSpec::new(
        "sinterstore",
        -3,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        ALL_KEYS,
        sinterstore,
    ),
    CommandSpec::new(
        "sunion",
        -2,
        flags::READONLY,
        ACL_READ_SLOW,
        ALL_KEYS,
        sunion,
    ),
    CommandSpec::new(
        "sunionstore",
        -3,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        ALL_KEYS,
        sunionstore,
    ),
    CommandSpec::new("sdiff", -2, flags::READONLY, ACL_READ_SLOW, ALL_KEYS, sdiff),
    CommandSpec::new(
        "sdiffstore",
        -3,
        flags::WRITE | flags::DENYOOM,
        ACL_WRITE_SLOW,
        ALL_KEYS,
        sdiffstore,
    ),
    CommandSpec::new("sscan", -3, flags::READONLY, ACL_READ_SLOW, KEY1, sscan),
];

const MUST_BE_POSITIVE: &str = "ERR value is out of range, must be positive";
const NUMKEYS_NOT_POSITIVE: &str = "ERR numkeys should be greater than 0";
const TOO_MANY_NUMKEYS: CommandError =
    CommandError::fixed("ERR Number of keys can't be greater than number of args");
const NEGATIVE_LIMIT: &str = "ERR LIMIT can't be negative";

/// SPOP rebuilds the set from the members it keeps once it hands out more than this many times
/// the number it keeps (Valkey's `SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;
/// SRANDMEMBER copies the whole set and discards members when it wants more than a third of them
/// (Valkey's `SRANDMEMBER_SUB_STRATEGY_MUL`).
const SRANDMEMBER_SUB_STRATEGY_MUL: usize = 3;

/// Valkey's `getRangeLongFromObjectOrReply`: an integer in `min..=max`, or `message` (Valkey's
/// generic texts when there is none).
fn parse_range(
    arg: &[u8],
    min: i64,
    max: i64,
    message: Option<&'static str>,
) -> Result<i64, CommandError> {
    let fixed = |generic: CommandError| message.map_or(generic, CommandError::fixed);
    let value = parse_i64(arg).ok_or_else(|| fixed(NOT_INTEGER))?;
    if value < min || value > max {
        return Err(fixed(CommandError::owned(format!(
            "ERR value is out of range, value must between {min} and {max}"
        ))));
    }
    Ok(value)
}

/// Valkey's `getPositiveLongFromObjectOrReply`.
fn parse_positive(arg: &[u8], message: &'static str) -> Result<usize, CommandError> {
    Ok(parse_range(arg, 0, i64::MAX, Some(message))? as usize)
}

/// Valkey's `lookupKeyRead` + `checkType`: whether `key` holds a set (false when missing); counts a
/// keyspace hit or miss and the access.
fn lookup_read(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, CommandError> {
    match ctx.lookup_read(key) {
        None => Ok(false),
        Some(Value::Set(_)) => Ok(true),
        Some(_) => Err(WRONG_TYPE),
    }
}

/// Valkey's `lookupKeyWrite` + `checkType`.
fn lookup_write(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<bool, CommandError> {
    match ctx.lookup_write(key) {
        None => Ok(false),
        Some(Value::Set(_)) => Ok(true),
        Some(_) => Err(WRONG_TYPE),
    }
}

/// The set stored under `key`, already looked up (no access is counted).
fn peek_set<'d>(db: &'d Db, key: &[u8]) -> Option<&'d Set> {
    match db.peek(key) {
        Some(Value::Set(set)) => Some(set),
        _ => None,
    }
}

/// Runs `change` on the set under `key` (already looked up) taken apart, puts it back, and deletes
/// the key when the set ended up empty. Returns `change`'s result.
fn modify_set<R>(db: &mut Db, key: &[u8], change: impl FnOnce(&mut SetData) -> R) -> Option<R> {
    let slot = db.peek_mut(key)?;
    let placeholder = Value::Str(Str::Int(0));
    let Value::Set(set) = std::mem::replace(slot, placeholder) else {
        return None;
    };
    let mut data = set.into_data();
    let result = change(&mut data);
    let empty = data.is_empty();
    *slot = Value::Set(Set::from_data(data));
    if empty {
        db.remove(key);
    }
    Some(result)
}

/// Marks `key` modified (WATCH) and counts `changes` changes for persistence, as Valkey's
/// `signalModifiedKey` plus `server.dirty += changes`.
fn modified(ctx: &mut Ctx<'_>, key: &[u8], changes: usize) {
    ctx.key_modified(key);
    ctx.server.stats.dirty += (changes as u64).saturating_sub(1);
}

/// Announces `event` after members left the set under `key`, and `del` when that emptied it.
fn removed_members(ctx: &mut Ctx<'_>, key: &[u8], event: &str) {
    ctx.notify(class::SET, event, key);
    if ctx.db().peek(key).is_none() {
        ctx.notify(class::GENERIC, "del", key);
    }
}

fn reply_member(reply: &mut ReplyBuffer, member: Member<'_>) {
    match member {
        Member::Int(n) => reply.bulk_int(n),
        Member::Bytes(bytes) => reply.bulk(bytes),
    }
}

fn reply_members<'a>(
    reply: &mut ReplyBuffer,
    len: usize,
    members: impl Iterator<Item = Member<'a>>,
) {
    reply.set(len);
    for member in members {
        reply_member(reply, member);
    }
}

fn limits(ctx: &Ctx<'_>) -> Limits {
    Limits::from_config(&ctx.server.config)
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let exists = lookup_write(ctx, key)?;
    let limits = limits(ctx);
    let members: Vec<&[u8]> = argv.iter().skip(2).collect();
    let add_all = |data: &mut SetData| {
        members
            .iter()
            .filter(|member| data.add(Member::Bytes(member), &limits))
            .count()
    };
    let added = if exists {
        modify_set(ctx.db(), key, |data| {
            data.maybe_convert(members.len(), &limits);
            add_all(data)
        })
        .unwrap_or(0)
    } else {
        let mut data = SetData::create(&argv[2], members.len(), &limits);
        let added = add_all(&mut data);
        ctx.db().set(key, Value::Set(Set::from_data(data)));
        added
    };
    if added > 0 {
        modified(ctx, key, added);
        ctx.notify(class::SET, "sadd", key);
    }
    ctx.reply().int(added as i64);
    Ok(())
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    if !lookup_write(ctx, key)? {
        ctx.reply().int(0);
        return Ok(());
    }
    let removed = modify_set(ctx.db(), key, |data| {
        let mut removed = 0;
        for member in argv.iter().skip(2) {
            if data.remove(Member::Bytes(member)) {
                removed += 1;
                if data.is_empty() {
                    break;
                }
            }
        }
        removed
    })
    .unwrap_or(0);
    if removed > 0 {
        modified(ctx, key, removed);
        removed_members(ctx, key, "srem");
    }
    ctx.reply().int(removed as i64);
    Ok(())
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let (source, destination, member) = (&argv[1], &argv[2], &argv[3]);
    // Both keys are looked up before anything is checked, as in Valkey.
    let source_value = ctx.lookup_write(source).map(|v| matches!(v, Value::Set(_)));
    let destination_value = ctx
        .lookup_write(destination)
        .map(|v| matches!(v, Value::Set(_)));
    let Some(source_is_set) = source_value else {
        ctx.reply().int(0);
        return Ok(());
    };
    if !source_is_set || destination_value == Some(false) {
        return Err(WRONG_TYPE);
    }
    let member = Member::Bytes(member);
    if source == destination {
        let present = peek_set(ctx.db(), source).is_some_and(|set| set.view().contains(member));
        ctx.reply().int(i64::from(present));
        return Ok(());
    }
    if !modify_set(ctx.db(), source, |data| data.remove(member)).unwrap_or(false) {
        ctx.reply().int(0);
        return Ok(());
    }
    let limits = limits(ctx);
    modified(ctx, source, 1);
    removed_members(ctx, source, "srem");
    let added = if destination_value.is_some() {
        modify_set(ctx.db(), destination, |data| data.add(member, &limits)).unwrap_or(false)
    } else {
        let mut data = SetData::create(&argv[3], 1, &limits);
        data.add(member, &limits);
        ctx.db().set(destination, Value::Set(Set::from_data(data)));
        true
    };
    if added {
        modified(ctx, destination, 1);
        ctx.notify(class::SET, "sadd", destination);
    }
    ctx.reply().int(1);
    Ok(())
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    lookup_read(ctx, &argv[1])?;
    let present = peek_set(ctx.db(), &argv[1])
        .is_some_and(|set| set.view().contains(Member::Bytes(&argv[2])));
    ctx.reply().int(i64::from(present));
    Ok(())
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    lookup_read(ctx, &argv[1])?;
    let set = peek_set(&ctx.server.dbs[ctx.db_index], &argv[1]);
    let reply = &mut ctx.client.reply;
    reply.array(argv.len() - 2);
    for member in argv.iter().skip(2) {
        let present = set.is_some_and(|set| set.view().contains(Member::Bytes(member)));
        reply.int(i64::from(present));
    }
    Ok(())
}

/// SCARD key
fn scard(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    lookup_read(ctx, key)?;
    let len = peek_set(ctx.db(), key).map_or(0, Set::len);
    ctx.reply().int(len as i64);
    Ok(())
}

/// SPOP key [count]
fn spop(ctx: &mut Ctx<'_>) -> CommandResult {
    match ctx.argc() {
        2 => spop_one(ctx),
        3 => spop_count(ctx),
        _ => Err(SYNTAX),
    }
}

fn spop_one(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    if !lookup_write(ctx, key)? {
        ctx.reply().null();
        return Ok(());
    }
    let server = &mut *ctx.server;
    let rng = &mut server.rng;
    let popped = modify_set(&mut server.dbs[ctx.db_index], key, |data| {
        data.pop_random(rng)
    });
    match popped.flatten() {
        Some(member) => {
            ctx.reply().bulk(&member);
            modified(ctx, key, 1);
            removed_members(ctx, key, "spop");
        }
        None => ctx.reply().null(),
    }
    Ok(())
}

fn spop_count(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let count = parse_positive(&argv[2], MUST_BE_POSITIVE)?;
    if !lookup_write(ctx, key)? || count == 0 {
        ctx.reply().set(0);
        return Ok(());
    }
    let size = peek_set(ctx.db(), key).map_or(0, Set::len);
    if count >= size {
        // Valkey hands the set out through SUNION's code, which looks the key up again.
        ctx.lookup_read(key);
    }
    let limits = limits(ctx);
    let db_index = ctx.db_index;
    let server = &mut *ctx.server;
    let reply = &mut ctx.client.reply;
    let db = &mut server.dbs[db_index];
    if count >= size {
        // Everything: hand the whole set out and delete the key.
        if let Some(set) = peek_set(db, key) {
            reply_members(reply, size, set.view().iter());
        }
        db.remove(key);
        modified(ctx, key, size);
        removed_members(ctx, key, "spop");
        return Ok(());
    }
    let remaining = size - count;
    let rng = &mut server.rng;
    reply.set(count);
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        // Few members leave: take them out one by one.
        modify_set(db, key, |data| {
            for _ in 0..count {
                if let Some(member) = data.pop_random(rng) {
                    reply.bulk(&member);
                }
            }
        });
    } else {
        // Most members leave: build a new set from the ones that stay and hand out the old one.
        let Some(set) = peek_set(db, key) else {
            return Ok(());
        };
        let view = set.view();
        let kept_encoding = match view.encoding() {
            Encoding::Intset => Encoding::Intset,
            Encoding::Listpack | Encoding::Hashtable => Encoding::Listpack,
        };
        let mut kept = SetData::empty(kept_encoding);
        for member in sample_distinct(view, remaining, rng) {
            kept.add(member, &limits);
        }
        let kept_view = kept.view();
        for member in view.iter().filter(|m| !kept_view.contains(*m)) {
            reply_member(reply, member);
        }
        if let Some(slot) = db.peek_mut(key) {
            *slot = Value::Set(Set::from_data(kept));
        }
    }
    modified(ctx, key, count);
    removed_members(ctx, key, "spop");
    Ok(())
}

/// `count` distinct members of `set` (fewer than it has), chosen at random.
fn sample_distinct<'a>(set: SetRef<'a>, count: usize, rng: &mut impl Rng) -> Vec<Member<'a>> {
    let size = set.len();
    if count.saturating_mul(SRANDMEMBER_SUB_STRATEGY_MUL) > size
        || !matches!(set, SetRef::Hashtable(_))
    {
        // A partial Fisher-Yates shuffle of all the members.
        let mut all: Vec<Member<'a>> = set.iter().collect();
        let count = count.min(all.len());
        for index in 0..count {
            let other = rng.gen_range(index..all.len());
            all.swap(index, other);
        }
        all.truncate(count);
        return all;
    }
    // Few of many: draw until enough distinct members turned up.
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(count);
    let mut chosen = Vec::with_capacity(count);
    while chosen.len() < count {
        let Some(member) = set.random(rng) else {
            break;
        };
        if seen.insert(member.to_vec()) {
            chosen.push(member);
        }
    }
    chosen
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let count = match ctx.argc() {
        2 => None,
        3 => Some(parse_range(&argv[2], -i64::MAX, i64::MAX, None)?),
        _ => return Err(SYNTAX),
    };
    lookup_read(ctx, key)?;
    let server = &mut *ctx.server;
    let reply = &mut ctx.client.reply;
    let set = peek_set(&server.dbs[ctx.db_index], key);
    let rng = &mut server.rng;
    let Some(count) = count else {
        match set.and_then(|set| set.view().random(rng)) {
            Some(member) => reply_member(reply, member),
            None => reply.null(),
        }
        return Ok(());
    };
    let Some(set) = set.filter(|_| count != 0) else {
        reply.array(0);
        return Ok(());
    };
    let view = set.view();
    let wanted = count.unsigned_abs() as usize;
    if count < 0 || wanted == 1 {
        // Members may repeat; written as they are drawn, as Valkey streams them.
        reply.array(wanted);
        for _ in 0..wanted {
            if let Some(member) = view.random(rng) {
                reply_member(reply, member);
            }
        }
        return Ok(());
    }
    let size = view.len();
    if wanted >= size {
        reply.array(size);
        for member in view.iter() {
            reply_member(reply, member);
        }
        return Ok(());
    }
    let chosen = sample_distinct(view, wanted, rng);
    reply.array(chosen.len());
    for member in chosen {
        reply_member(reply, member);
    }
    Ok(())
}

/// Looks up every key of `keys` as SINTER/SUNION/SDIFF do: a key of another type stops everything
/// with WRONGTYPE (keys after it are not looked up); a missing key counts as an empty set.
fn lookup_all(ctx: &mut Ctx<'_>, keys: &[&[u8]]) -> Result<(), CommandError> {
    for key in keys {
        lookup_read(ctx, key)?;
    }
    Ok(())
}

/// Stores `result` under `destination` (replacing any value and its TTL) or, when it is empty,
/// deletes `destination`; replies with the stored cardinality. `event` names the store for keyspace
/// notifications.
fn store_result(ctx: &mut Ctx<'_>, destination: &[u8], result: SetData, event: &str) {
    let len = result.len();
    if len > 0 {
        ctx.db()
            .set(destination, Value::Set(Set::from_data(result)));
        modified(ctx, destination, 1);
        ctx.notify(class::SET, event, destination);
    } else if ctx.db().remove(destination).is_some() {
        modified(ctx, destination, 1);
        ctx.notify(class::GENERIC, "del", destination);
    }
    ctx.reply().int(len as i64);
}

/// What SINTER and its variants do with the intersection.
#[derive(Clone, Copy)]
enum InterOutput<'k> {
    /// Reply with the members (SINTER, SMEMBERS).
    Reply,
    /// Reply with the count, stopping at a limit when non-zero (SINTERCARD).
    Count(usize),
    /// Store under this key (SINTERSTORE).
    Store(&'k [u8]),
}

/// Valkey's `sinterGenericCommand`.
fn sinter_generic(ctx: &mut Ctx<'_>, keys: &[&[u8]], output: InterOutput<'_>) -> CommandResult {
    lookup_all(ctx, keys)?;
    let limits = limits(ctx);
    let db = &ctx.server.dbs[ctx.db_index];
    let found: Option<Vec<&Set>> = keys.iter().map(|key| peek_set(db, key)).collect();
    let Some(mut sets) = found else {
        // An empty set empties the intersection.
        match output {
            InterOutput::Store(destination) => store_result(
                ctx,
                destination,
                SetData::empty(Encoding::Intset),
                "sinterstore",
            ),
            InterOutput::Count(_) => ctx.reply().int(0),
            InterOutput::Reply => ctx.reply().set(0),
        }
        return Ok(());
    };
    // Smallest first: its members are the candidates.
    sets.sort_by_key(|set| set.len());
    let smallest = sets[0];
    let first = smallest.view();
    let others: Vec<SetRef<'_>> = sets[1..]
        .iter()
        .filter(|set| !std::ptr::eq(**set, smallest))
        .map(|set| set.view())
        .collect();
    let mut common = first
        .iter()
        .filter(|member| others.iter().all(|other| other.contains(*member)));
    match output {
        InterOutput::Count(limit) => {
            let mut count = 0;
            for _ in common.by_ref() {
                count += 1;
                if limit != 0 && count >= limit {
                    break;
                }
            }
            ctx.client.reply.int(count as i64);
        }
        InterOutput::Reply => {
            let reply = &mut ctx.client.reply;
            let deferred = reply.deferred_set();
            let mut count = 0;
            for member in common {
                reply_member(reply, member);
                count += 1;
            }
            reply.finish_deferred(deferred, count);
        }
        InterOutput::Store(destination) => {
            let mut result = SetData::empty(match first.encoding() {
                Encoding::Intset => Encoding::Intset,
                Encoding::Listpack | Encoding::Hashtable => Encoding::Listpack,
            });
            let from_hashtable = first.encoding() == Encoding::Hashtable;
            let mut only_integers = true;
            for member in common {
                if let Member::Bytes(text) = member {
                    // Valkey notices integers given as text only in hashtables.
                    only_integers &= from_hashtable && parse_i64(text).is_some();
                }
                result.add(member, &limits);
            }
            if only_integers && !result.is_empty() {
                result.maybe_convert_to_intset(&limits);
            }
            store_result(ctx, destination, result, "sinterstore");
        }
    }
    Ok(())
}

/// SMEMBERS key
fn smembers(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    sinter_generic(ctx, &[&argv[1]], InterOutput::Reply)
}

/// SINTER key [key ...]
fn sinter(ctx: &mut Ctx<'_>) -> CommandResult {
    let keys: Vec<&[u8]> = ctx.argv.iter().skip(1).collect();
    sinter_generic(ctx, &keys, InterOutput::Reply)
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let keys: Vec<&[u8]> = argv.iter().skip(2).collect();
    sinter_generic(ctx, &keys, InterOutput::Store(&argv[1]))
}

/// SINTERCARD's `numkeys`, if it is a valid count of the keys that follow.
fn sintercard_numkeys(argv: &Argv) -> Option<usize> {
    let numkeys = usize::try_from(parse_i64(argv.get(1)?)?).ok()?;
    (numkeys >= 1 && numkeys <= argv.len() - 2).then_some(numkeys)
}

/// The key positions of SINTERCARD numkeys key [key ...] [LIMIT limit].
fn sintercard_keys(argv: &Argv) -> Vec<usize> {
    sintercard_numkeys(argv).map_or_else(Vec::new, |numkeys| (2..2 + numkeys).collect())
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let numkeys = parse_range(&argv[1], 1, i64::MAX, Some(NUMKEYS_NOT_POSITIVE))? as usize;
    if numkeys > argv.len() - 2 {
        return Err(TOO_MANY_NUMKEYS);
    }
    let mut limit = 0;
    let mut index = 2 + numkeys;
    while index < argv.len() {
        if ctx.arg_is(index, "limit") && index + 1 < argv.len() {
            limit = parse_positive(&argv[index + 1], NEGATIVE_LIMIT)?;
            index += 2;
        } else {
            return Err(SYNTAX);
        }
    }
    let keys: Vec<&[u8]> = argv.iter().skip(2).take(numkeys).collect();
    sinter_generic(ctx, &keys, InterOutput::Count(limit))
}

/// Union or difference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOperation {
    Union,
    Diff,
}

/// Valkey's `sunionDiffGenericCommand`: replies with the result, or stores it under `destination`.
fn sunion_diff(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    destination: Option<&[u8]>,
    operation: SetOperation,
) -> CommandResult {
    lookup_all(ctx, keys)?;
    let limits = limits(ctx);
    let db = &ctx.server.dbs[ctx.db_index];
    let sets: Vec<Option<&Set>> = keys.iter().map(|key| peek_set(db, key)).collect();
    let result = union_or_diff(&sets, destination.is_some(), operation, &limits);
    match destination {
        Some(destination) => {
            let event = match operation {
                SetOperation::Union => "sunionstore",
                SetOperation::Diff => "sdiffstore",
            };
            store_result(ctx, destination, result, event);
        }
        None => {
            let view = result.view();
            reply_members(&mut ctx.client.reply, view.len(), view.iter());
        }
    }
    Ok(())
}

/// Computes a union or difference the way Valkey builds it, so the result ends up in the same
/// encoding.
fn union_or_diff(
    sets: &[Option<&Set>],
    storing: bool,
    operation: SetOperation,
    limits: &Limits,
) -> SetData {
    let all_intsets = sets
        .iter()
        .flatten()
        .all(|set| set.encoding() == Encoding::Intset);
    // A stored result always starts as an intset and converts as members arrive; a reply is built
    // in a hashtable unless every input is an intset.
    let mut result = SetData::empty(if storing || all_intsets {
        Encoding::Intset
    } else {
        Encoding::Hashtable
    });
    let first = sets.first().copied().flatten();
    let same_as_first =
        |set: &Option<&Set>| matches!((first, set), (Some(a), Some(b)) if std::ptr::eq(a, *b));
    match operation {
        SetOperation::Union => {
            for set in sets.iter().flatten() {
                for member in set.view().iter() {
                    result.add(member, limits);
                }
            }
        }
        SetOperation::Diff => {
            let Some(first) = first else {
                return result;
            };
            if sets[1..].iter().any(same_as_first) {
                return result;
            }
            let present: Vec<&Set> = sets.iter().flatten().copied().collect();
            let first_work = present.len() * first.len() / 2;
            let total_work: usize = present.iter().map(|set| set.len()).sum();
            if first_work <= total_work {
                // Algorithm 1: keep each member of the first set that no other set has, checking
                // the bigger sets first.
                let mut others: Vec<SetRef<'_>> =
                    sets[1..].iter().flatten().map(|set| set.view()).collect();
                others.sort_by_key(|set| std::cmp::Reverse(set.len()));
                for member in first.view().iter() {
                    if !others.iter().any(|other| other.contains(member)) {
                        result.add(member, limits);
                    }
                }
            } else {
                // Algorithm 2: copy the first set, then remove the members of the others.
                for member in first.view().iter() {
                    result.add(member, limits);
                }
                for set in sets[1..].iter().flatten() {
                    if result.is_empty() {
                        break;
                    }
                    for member in set.view().iter() {
                        result.remove(member);
                    }
                }
            }
        }
    }
    result
}

/// SUNION key [key ...]
fn sunion(ctx: &mut Ctx<'_>) -> CommandResult {
    let keys: Vec<&[u8]> = ctx.argv.iter().skip(1).collect();
    sunion_diff(ctx, &keys, None, SetOperation::Union)
}

/// SUNIONSTORE destination key [key ...]
fn sunionstore(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let keys: Vec<&[u8]> = argv.iter().skip(2).collect();
    sunion_diff(ctx, &keys, Some(&argv[1]), SetOperation::Union)
}

/// SDIFF key [key ...]
fn sdiff(ctx: &mut Ctx<'_>) -> CommandResult {
    let keys: Vec<&[u8]> = ctx.argv.iter().skip(1).collect();
    sunion_diff(ctx, &keys, None, SetOperation::Diff)
}

/// SDIFFSTORE destination key [key ...]
fn sdiffstore(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let keys: Vec<&[u8]> = argv.iter().skip(2).collect();
    sunion_diff(ctx, &keys, Some(&argv[1]), SetOperation::Diff)
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let cursor = parse_cursor(&argv[2]).ok_or(INVALID_CURSOR)?;
    if !lookup_read(ctx, key)? {
        let reply = ctx.reply();
        reply.array(2);
        reply.bulk(b"0");
        reply.array(0);
        return Ok(());
    }
    let options = ScanOptions::parse(argv.iter().skip(3), ScanKind::Set)?;
    let pattern = options.pattern;
    let matches = |text: &[u8]| pattern.is_none_or(|p| glob_match(p, text, false));
    let Some(set) = peek_set(&ctx.server.dbs[ctx.db_index], key) else {
        return Ok(());
    };
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut next_cursor = 0;
    match set.view() {
        SetRef::Hashtable(table) => {
            next_cursor = sample(cursor, options.count, |cursor| {
                let mut seen = 0;
                let next = table.scan(cursor, |member, ()| {
                    seen += 1;
                    if matches(member) {
                        found.push(member.to_vec());
                    }
                });
                (next, seen)
            });
        }
        // Compact encodings are small: everything in one call.
        view => {
            for member in view.iter() {
                member.with_text(|text| {
                    if matches(text) {
                        found.push(text.to_vec());
                    }
                });
            }
        }
    }
    let reply = &mut ctx.client.reply;
    reply.array(2);
    reply.bulk(itoa::Buffer::new().format(next_cursor).as_bytes());
    reply.array(found.len());
    for member in &found {
        reply.bulk(member);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    fn set_of(members: &[&str]) -> Set {
        let limits = Limits::default();
        let mut data = SetData::create(members[0].as_bytes(), members.len(), &limits);
        for member in members {
            data.add(Member::Bytes(member.as_bytes()), &limits);
        }
        Set::from_data(data)
    }

    fn texts(data: &SetData) -> Vec<Vec<u8>> {
        let mut all: Vec<Vec<u8>> = data.view().iter().map(Member::to_vec).collect();
        all.sort();
        all
    }

    #[test]
    fn range_errors_use_valkeys_texts() {
        let message = |result: Result<i64, CommandError>| result.err().map(|e| e.0.into_owned());
        assert_eq!(parse_range(b"-5", -i64::MAX, i64::MAX, None), Ok(-5));
        assert_eq!(
            message(parse_range(b"-9223372036854775808", -i64::MAX, i64::MAX, None)).as_deref(),
            Some("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(
            message(parse_range(b"x", 0, 5, None)).as_deref(),
            Some("ERR value is not an integer or out of range")
        );
        assert_eq!(
            parse_positive(b"abc", MUST_BE_POSITIVE).err(),
            Some(CommandError::fixed(MUST_BE_POSITIVE))
        );
        assert_eq!(
            parse_positive(b"-1", NEGATIVE_LIMIT).err(),
            Some(CommandError::fixed(NEGATIVE_LIMIT))
        );
        assert_eq!(parse_positive(b"0", NEGATIVE_LIMIT), Ok(0));
    }

    #[test]
    fn sintercard_keys_follow_numkeys() {
        let argv = |words: &[&str]| Argv::from_parts(words.iter().map(|w| w.as_bytes()));
        assert_eq!(
            sintercard_keys(&argv(&["sintercard", "2", "a", "b", "LIMIT", "1"])),
            vec![2, 3]
        );
        assert!(sintercard_keys(&argv(&["sintercard", "3", "a", "b"])).is_empty());
        assert!(sintercard_keys(&argv(&["sintercard", "0", "a"])).is_empty());
        assert!(sintercard_keys(&argv(&["sintercard", "x", "a"])).is_empty());
    }

    #[test]
    fn unions_and_differences() {
        let limits = Limits::default();
        let a = set_of(&["1", "2", "3"]);
        let b = set_of(&["3", "x"]);
        let union = union_or_diff(
            &[Some(&a), None, Some(&b)],
            true,
            SetOperation::Union,
            &limits,
        );
        assert_eq!(union.encoding(), Encoding::Listpack);
        assert_eq!(texts(&union), [b"1", b"2", b"3", b"x"].map(|t| t.to_vec()));
        let diff = union_or_diff(&[Some(&a), Some(&b)], true, SetOperation::Diff, &limits);
        assert_eq!(diff.encoding(), Encoding::Intset);
        assert_eq!(texts(&diff), [b"1", b"2"].map(|t| t.to_vec()));
        // The same set twice, or a missing first set, gives nothing.
        assert!(union_or_diff(&[Some(&a), Some(&a)], true, SetOperation::Diff, &limits).is_empty());
        assert!(union_or_diff(&[None, Some(&a)], true, SetOperation::Diff, &limits).is_empty());
        // A reply is built in a hashtable unless every input is an intset.
        let reply = union_or_diff(&[Some(&a), Some(&b)], false, SetOperation::Union, &limits);
        assert_eq!(reply.encoding(), Encoding::Hashtable);
        let reply = union_or_diff(&[Some(&a)], false, SetOperation::Union, &limits);
        assert_eq!(reply.encoding(), Encoding::Intset);
    }

    #[test]
    fn difference_algorithm_two_keeps_what_it_grew_into() {
        let limits = Limits::default();
        let many: Vec<String> = (0..129).map(|i| format!("m{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let big = set_of(&many);
        let (one, two) = (set_of(&["m0"]), set_of(&["m1"]));
        // Against one small set the first algorithm runs and the result fits a listpack.
        let result = union_or_diff(&[Some(&big), Some(&one)], true, SetOperation::Diff, &limits);
        assert_eq!((result.len(), result.encoding()), (128, Encoding::Listpack));
        // Against two, copying the big set first wins and leaves a hashtable.
        let result = union_or_diff(
            &[Some(&big), Some(&one), Some(&two)],
            true,
            SetOperation::Diff,
            &limits,
        );
        assert_eq!(
            (result.len(), result.encoding()),
            (127, Encoding::Hashtable)
        );
    }

    #[test]
    fn samples_are_distinct_members() {
        let mut rng = SmallRng::seed_from_u64(3);
        let members: Vec<String> = (0..600).map(|i| format!("m{i}")).collect();
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        for set in [
            set_of(&members),
            set_of(&members[..50]),
            set_of(&["1", "2", "3", "4"]),
        ] {
            let view = set.view();
            for count in [1, 2, view.len() / 3, view.len() / 2, view.len() - 1] {
                let chosen = sample_distinct(view, count, &mut rng);
                assert_eq!(chosen.len(), count);
                let distinct: HashSet<Vec<u8>> = chosen.iter().map(|m| m.to_vec()).collect();
                assert_eq!(distinct.len(), count);
                assert!(chosen.iter().all(|m| view.contains(*m)));
            }
        }
    }
}
