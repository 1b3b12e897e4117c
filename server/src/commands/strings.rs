//! String commands: GET, SET and their variants (GETEX GETDEL GETSET SETNX SETEX PSETEX), the
//! multi-key forms (MGET MSET MSETNX MSETEX), counters (INCR DECR INCRBY DECRBY INCRBYFLOAT), byte
//! ranges (APPEND STRLEN GETRANGE SUBSTR SETRANGE), LCS and DELIFEQ.

use ferry_resp::number::parse_i64;
use ferry_resp::{Argv, ReplyBuffer};

use crate::commands::{acl, flags, CommandSpec, Ctx, KeySpec, ALL_KEYS, KEY1, NO_KEYS, TWO_KEYS};
use crate::error::{
    invalid_expire, wrong_arity, CommandError, CommandResult, NOT_FLOAT, NOT_INTEGER, OVERFLOW,
    SYNTAX, WRONG_TYPE,
};
use crate::notify::class;
use crate::server::Server;
use crate::types::long_double::LongDouble;
use crate::types::{Str, Value};
use foldhash::HashSet;

const READ_FAST: u32 = flags::READONLY | flags::FAST;
const WRITE_FAST: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const WRITE_SLOW: u32 = flags::WRITE | flags::DENYOOM;
const ACL_READ_FAST: u64 = acl::READ | acl::STRING | acl::FAST;
const ACL_READ_SLOW: u64 = acl::READ | acl::STRING | acl::SLOW;
const ACL_WRITE_FAST: u64 = acl::WRITE | acl::STRING | acl::FAST;
const ACL_WRITE_SLOW: u64 = acl::WRITE | acl::STRING | acl::SLOW;

/// Keys at 1, 3, 5 ... (MSET, MSETNX).
const KEY_VALUE_PAIRS: KeySpec = KeySpec {
    first: 1,
    last: -1,
    step: 2,
};

/// String commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, READ_FAST, ACL_READ_FAST, KEY1, get),
    CommandSpec::new("set", -3, WRITE_SLOW, ACL_WRITE_SLOW, KEY1, set),
    CommandSpec::new(
        "getex",
        -2,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        getex,
    ),
    CommandSpec::new(
        "getdel",
        2,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        getdel,
    ),
    CommandSpec::new("getset", 3, WRITE_FAST, ACL_WRITE_FAST, KEY1, getset),
    CommandSpec::new("setnx", 3, WRITE_FAST, ACL_WRITE_FAST, KEY1, setnx),
    CommandSpec::new("setex", 4, WRITE_SLOW, ACL_WRITE_SLOW, KEY1, setex),
    CommandSpec::new("psetex", 4, WRITE_SLOW, ACL_WRITE_SLOW, KEY1, psetex),
    CommandSpec::new("mget", -2, READ_FAST, ACL_READ_FAST, ALL_KEYS, mget),
    CommandSpec::new(
        "mset",
        -3,
        WRITE_SLOW,
        ACL_WRITE_SLOW,
        KEY_VALUE_PAIRS,
        mset,
    ),
    CommandSpec::new(
        "msetnx",
        -3,
        WRITE_SLOW,
        ACL_WRITE_SLOW,
        KEY_VALUE_PAIRS,
        msetnx,
    ),
    CommandSpec::new(
        "msetex",
        -4,
        WRITE_SLOW,
        ACL_WRITE_SLOW,
        // The keys are found through `numkeys`.
        NO_KEYS,
        msetex,
    )
    .with_movable_keys(msetex_keys),
    CommandSpec::new("incr", 2, WRITE_FAST, ACL_WRITE_FAST, KEY1, incr),
    CommandSpec::new("decr", 2, WRITE_FAST, ACL_WRITE_FAST, KEY1, decr),
    CommandSpec::new("incrby", 3, WRITE_FAST, ACL_WRITE_FAST, KEY1, incrby),
    CommandSpec::new("decrby", 3, WRITE_FAST, ACL_WRITE_FAST, KEY1, decrby),
    CommandSpec::new(
        "incrbyfloat",
        3,
        WRITE_FAST,
        ACL_WRITE_FAST,
        KEY1,
        incrbyfloat,
    ),
    CommandSpec::new("append", 3, WRITE_FAST, ACL_WRITE_FAST, KEY1, append),
    CommandSpec::new("strlen", 2, READ_FAST, ACL_READ_FAST, KEY1, strlen),
    CommandSpec::new(
        "getrange",
        4,
        flags::READONLY,
        ACL_READ_SLOW,
        KEY1,
        getrange,
    ),
    CommandSpec::new("substr", 4, flags::READONLY, ACL_READ_SLOW, KEY1, getrange),
    CommandSpec::new("setrange", 4, WRITE_SLOW, ACL_WRITE_SLOW, KEY1, setrange),
    CommandSpec::new("lcs", -3, flags::READONLY, ACL_READ_SLOW, TWO_KEYS, lcs),
    CommandSpec::new(
        "delifeq",
        3,
        flags::WRITE | flags::FAST,
        ACL_WRITE_FAST,
        KEY1,
        delifeq,
    ),
];

const OFFSET_OUT_OF_RANGE: CommandError = CommandError::fixed("ERR offset is out of range");
const TOO_BIG: CommandError =
    CommandError::fixed("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
const DECREMENT_OVERFLOW: CommandError = CommandError::fixed("ERR decrement would overflow");
const NOT_FINITE: CommandError = CommandError::fixed("ERR increment would produce NaN or Infinity");
const INVALID_NUMKEYS: CommandError =
    CommandError::fixed("ERR invalid numkeys value or out of range");
const LCS_NOT_STRINGS: CommandError =
    CommandError::fixed("ERR The specified keys must contain string values");
const LCS_LEN_AND_IDX: CommandError =
    CommandError::fixed("ERR If you want both the length and indexes, please just use IDX.");
const LCS_TOO_LONG: CommandError = CommandError::fixed("ERR String too long for LCS");
const LCS_TABLE_TOO_BIG: CommandError = CommandError::fixed(
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
);
const LCS_NO_MEMORY: CommandError =
    CommandError::fixed("ERR Insufficient memory, failed allocating transient memory for LCS");

/// The string held by `value`, or WRONGTYPE.
// Other value types arrive with their families; until then the fallback arm cannot match.
#[allow(unreachable_patterns)]
fn as_str(value: &Value) -> Result<&Str, CommandError> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(WRONG_TYPE),
    }
}

/// The string held by `value`, mutably, or WRONGTYPE.
#[allow(unreachable_patterns)]
fn as_str_mut(value: &mut Value) -> Result<&mut Str, CommandError> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(WRONG_TYPE),
    }
}

/// Looks `key` up for reading (Valkey's `lookupKeyRead`): expires it if due and counts a keyspace hit or
/// miss, with one dictionary lookup and without borrowing the client.
fn read_value<'s>(
    server: &'s mut Server,
    db_index: usize,
    key: &[u8],
    now_ms: i64,
) -> Option<&'s Value> {
    let value = server.dbs[db_index].get_read(key, now_ms);
    if value.is_some() {
        server.stats.keyspace_hits += 1;
    } else {
        server.stats.keyspace_misses += 1;
    }
    value
}

/// Replies with a string value as a bulk string.
fn reply_str(reply: &mut ReplyBuffer, value: &Str) {
    match value {
        Str::Int(n) => reply.bulk_int(*n),
        Str::Embstr(bytes) => reply.bulk(bytes),
        Str::Raw(bytes) => reply.bulk(bytes),
    }
}

/// True when the selected db holds a live TTL for `key` (after lazy expiry).
fn has_ttl(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    ctx.db().expire_at(key).is_some()
}

/// The configured `proto-max-bulk-len`: the longest string a command may build.
fn bulk_limit(ctx: &Ctx<'_>) -> i64 {
    ctx.server.config.get_i64("proto-max-bulk-len")
}

/// Valkey's `checkStringLength`: refuses results longer than `limit` (`proto-max-bulk-len`).
fn check_length(limit: i64, size: usize, append: usize) -> CommandResult {
    if size as i128 + append as i128 > i128::from(limit) {
        return Err(TOO_BIG);
    }
    Ok(())
}

fn get(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    match read_value(ctx.server, ctx.db_index, key, ctx.now_ms) {
        None => ctx.client.reply.null(),
        Some(value) => reply_str(&mut ctx.client.reply, as_str(value)?),
    }
    Ok(())
}

/// How an expiry argument is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireForm {
    /// EX: seconds from now.
    Seconds,
    /// PX: milliseconds from now.
    Milliseconds,
    /// EXAT: Unix time in seconds.
    UnixSeconds,
    /// PXAT: Unix time in milliseconds.
    UnixMilliseconds,
}

impl ExpireForm {
    fn from_word(word: &[u8]) -> Option<Self> {
        [
            (&b"ex"[..], ExpireForm::Seconds),
            (b"px", ExpireForm::Milliseconds),
            (b"exat", ExpireForm::UnixSeconds),
            (b"pxat", ExpireForm::UnixMilliseconds),
        ]
        .into_iter()
        .find(|(name, _)| word.eq_ignore_ascii_case(name))
        .map(|(_, form)| form)
    }

    fn in_seconds(self) -> bool {
        matches!(self, ExpireForm::Seconds | ExpireForm::UnixSeconds)
    }

    fn relative(self) -> bool {
        matches!(self, ExpireForm::Seconds | ExpireForm::Milliseconds)
    }
}

/// Which command's options are being parsed (each accepts a different subset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptionsOf {
    Set,
    GetEx,
    MSetEx,
}

/// Parsed `[NX|XX|IFEQ v] [GET] [EX|PX|EXAT|PXAT n|KEEPTTL|PERSIST]` options.
#[derive(Debug, Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    /// Argument index of the IFEQ comparison value.
    if_eq: Option<usize>,
    /// The expiry form and the argument index of its value (the last one given wins).
    expire: Option<(ExpireForm, usize)>,
}

/// Valkey's `parseExtendedStringArgumentsOrReply`: options may repeat, but conflicting ones (NX with XX
/// or IFEQ, two different expiry forms, an expiry with KEEPTTL or PERSIST) are a syntax error.
fn parse_options(argv: &Argv, start: usize, of: OptionsOf) -> Result<SetOptions, CommandError> {
    let mut options = SetOptions::default();
    let mut index = start;
    while index < argv.len() {
        let word = &argv[index];
        let has_value = index + 1 < argv.len();
        let is = |name: &str| word.eq_ignore_ascii_case(name.as_bytes());
        let sets = of != OptionsOf::GetEx;
        if is("nx") && sets && !options.xx && options.if_eq.is_none() {
            options.nx = true;
        } else if is("xx") && sets && !options.nx && options.if_eq.is_none() {
            options.xx = true;
        } else if is("ifeq")
            && of == OptionsOf::Set
            && !options.nx
            && !options.xx
            && options.if_eq.is_none()
            && has_value
        {
            options.if_eq = Some(index + 1);
            index += 1;
        } else if is("get") && of == OptionsOf::Set {
            options.get = true;
        } else if is("keepttl") && sets && options.expire.is_none() {
            options.keep_ttl = true;
        } else if is("persist") && of == OptionsOf::GetEx && options.expire.is_none() {
            options.persist = true;
        } else if let Some(form) = ExpireForm::from_word(word).filter(|&form| {
            has_value
                && !options.keep_ttl
                && !options.persist
                && options.expire.is_none_or(|(given, _)| given == form)
        }) {
            options.expire = Some((form, index + 1));
            index += 1;
        } else {
            return Err(SYNTAX);
        }
        index += 1;
    }
    Ok(options)
}

/// Valkey's `getExpireMillisecondsOrReply`: the absolute expiry in Unix ms for an expiry argument, or
/// an error for a non-integer, a non-positive value or one that overflows once converted.
fn expire_at_ms(ctx: &Ctx<'_>, form: ExpireForm, index: usize) -> Result<i64, CommandError> {
    let invalid = || invalid_expire(ctx.spec.full_name);
    let given = parse_i64(&ctx.argv[index]).ok_or(NOT_INTEGER)?;
    if given <= 0 || (form.in_seconds() && given > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut at = if form.in_seconds() {
        given * 1000
    } else {
        given
    };
    if form.relative() {
        at = at.checked_add(ctx.now_ms).ok_or_else(invalid)?;
    }
    if at <= 0 {
        return Err(invalid());
    }
    Ok(at)
}

/// What SET-like commands reply when they set the key and when a condition stops them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetReply {
    /// `+OK`, or a null when not set (SET, SETEX, PSETEX).
    Ok,
    /// `1`, or `0` when not set (SETNX).
    One,
}

/// The SET family (SET, SETNX, SETEX, PSETEX, GETSET), after Valkey's `setGenericCommand`.
fn set_generic(
    ctx: &mut Ctx<'_>,
    value_index: usize,
    options: &SetOptions,
    replies: SetReply,
) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let value = &argv[value_index];
    let expire_at = match options.expire {
        Some((form, index)) => Some(expire_at_ms(ctx, form, index)?),
        None => None,
    };
    let now = ctx.now_ms;
    if options.get {
        // The old value is the reply; WRONGTYPE stops the command before anything is written.
        match read_value(ctx.server, ctx.db_index, key, now) {
            None => ctx.client.reply.null(),
            Some(old) => reply_str(&mut ctx.client.reply, as_str(old)?),
        }
    }
    let db = ctx.db();
    db.expire_if_needed(key, now);
    let current = db.peek(key);
    let found = current.is_some();
    let if_eq_failed = match (options.if_eq, current) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(index), Some(old)) => !as_str(old)?.text_eq(&argv[index]),
    };
    if if_eq_failed || (options.nx && found) || (options.xx && !found) {
        if !options.get {
            match replies {
                SetReply::Ok => ctx.reply().null(),
                SetReply::One => ctx.reply().int(0),
            }
        }
        return Ok(());
    }
    match expire_at {
        Some(at) if at <= now => {
            // Already in the past: the key goes away instead of being stored.
            if found {
                ctx.db().remove(key);
                ctx.key_modified(key);
                ctx.notify(class::EXPIRED, "expired", key);
            }
        }
        _ => {
            let had_ttl = found && has_ttl(ctx, key);
            let stored = Value::Str(Str::for_key(value, key.len(), had_ttl));
            let db = ctx.db();
            match expire_at {
                Some(at) => db.set_with_expire(key, stored, Some(at)),
                None if options.keep_ttl => db.set_keep_ttl(key, stored),
                None => db.set(key, stored),
            }
            ctx.key_modified(key);
            ctx.notify(class::STRING, "set", key);
            if expire_at.is_some() {
                ctx.notify(class::GENERIC, "expire", key);
            }
        }
    }
    if !options.get {
        match replies {
            SetReply::Ok => ctx.reply().ok(),
            SetReply::One => ctx.reply().int(1),
        }
    }
    Ok(())
}

fn set(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = parse_options(ctx.argv, 3, OptionsOf::Set)?;
    set_generic(ctx, 2, &options, SetReply::Ok)
}

fn setnx(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = SetOptions {
        nx: true,
        ..SetOptions::default()
    };
    set_generic(ctx, 2, &options, SetReply::One)
}

fn setex(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = SetOptions {
        expire: Some((ExpireForm::Seconds, 2)),
        ..SetOptions::default()
    };
    set_generic(ctx, 3, &options, SetReply::Ok)
}

fn psetex(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = SetOptions {
        expire: Some((ExpireForm::Milliseconds, 2)),
        ..SetOptions::default()
    };
    set_generic(ctx, 3, &options, SetReply::Ok)
}

fn getset(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = SetOptions {
        get: true,
        ..SetOptions::default()
    };
    set_generic(ctx, 2, &options, SetReply::Ok)
}

fn getex(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let options = parse_options(argv, 2, OptionsOf::GetEx)?;
    let expire_at = match options.expire {
        Some((form, index)) => Some(expire_at_ms(ctx, form, index)?),
        None => None,
    };
    let now = ctx.now_ms;
    match read_value(ctx.server, ctx.db_index, key, now) {
        None => {
            ctx.client.reply.null();
            return Ok(());
        }
        Some(value) => reply_str(&mut ctx.client.reply, as_str(value)?),
    }
    if let Some(at) = expire_at {
        // Only EXAT/PXAT can be in the past: EX/PX add a positive amount to now.
        if at <= now {
            ctx.db().remove(key);
            ctx.key_modified(key);
            ctx.notify(class::EXPIRED, "expired", key);
        } else {
            ctx.db().set_expire(key, at);
            ctx.key_modified(key);
            ctx.notify(class::GENERIC, "expire", key);
        }
    } else if options.persist && ctx.db().persist(key) {
        ctx.key_modified(key);
        ctx.notify(class::GENERIC, "persist", key);
    }
    Ok(())
}

fn getdel(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    match read_value(ctx.server, ctx.db_index, key, ctx.now_ms) {
        None => {
            ctx.client.reply.null();
            return Ok(());
        }
        Some(value) => reply_str(&mut ctx.client.reply, as_str(value)?),
    }
    ctx.db().remove(key);
    ctx.key_modified(key);
    ctx.notify(class::GENERIC, "del", key);
    Ok(())
}

fn mget(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    ctx.client.reply.array(argv.len() - 1);
    for key in argv.iter().skip(1) {
        match read_value(ctx.server, ctx.db_index, key, ctx.now_ms) {
            Some(Value::Str(value)) => reply_str(&mut ctx.client.reply, value),
            // Missing keys and keys of other types both read as null.
            _ => ctx.client.reply.null(),
        }
    }
    Ok(())
}

/// Stores each key/value pair of `argv[first..end]` with SET semantics: the TTL is dropped unless
/// `keep_ttl`, and `expire_at` is applied to each key as soon as it is stored (so a key repeated later
/// in the same command already has a TTL, which matters for its encoding).
fn store_pairs(
    ctx: &mut Ctx<'_>,
    first: usize,
    end: usize,
    keep_ttl: bool,
    expire_at: Option<i64>,
) {
    let argv = ctx.argv;
    let now = ctx.now_ms;
    for index in (first..end).step_by(2) {
        let key = &argv[index];
        ctx.db().expire_if_needed(key, now);
        let had_ttl = has_ttl(ctx, key);
        let stored = Value::Str(Str::for_key(&argv[index + 1], key.len(), had_ttl));
        let db = ctx.db();
        match expire_at {
            Some(at) => db.set_with_expire(key, stored, Some(at)),
            None if keep_ttl => db.set_keep_ttl(key, stored),
            None => db.set(key, stored),
        }
        ctx.key_modified(key);
        ctx.notify(class::STRING, "set", key);
        if expire_at.is_some() {
            ctx.notify(class::GENERIC, "expire", key);
        }
    }
}

/// True when any key of the pairs in `argv[first..end]` exists (expiring keys first).
fn any_key_exists(ctx: &mut Ctx<'_>, first: usize, end: usize, want_all: bool) -> bool {
    let argv = ctx.argv;
    let now = ctx.now_ms;
    let mut found = 0;
    for index in (first..end).step_by(2) {
        if ctx.db().contains(&argv[index], now) {
            found += 1;
        }
    }
    if want_all {
        found == (end - first) / 2
    } else {
        found > 0
    }
}

fn mset(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.argc().is_multiple_of(2) {
        return Err(wrong_arity(ctx.spec.full_name));
    }
    store_pairs(ctx, 1, ctx.argc(), false, None);
    ctx.reply().ok();
    Ok(())
}

fn msetnx(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.argc().is_multiple_of(2) {
        return Err(wrong_arity(ctx.spec.full_name));
    }
    if any_key_exists(ctx, 1, ctx.argc(), false) {
        ctx.reply().int(0);
        return Ok(());
    }
    store_pairs(ctx, 1, ctx.argc(), false, None);
    ctx.reply().int(1);
    Ok(())
}

/// MSETEX's `numkeys`: 1 to `i32::MAX`.
fn msetex_numkeys(argv: &Argv) -> Option<usize> {
    let numkeys = parse_i64(argv.get(1)?)?;
    (1..=i64::from(i32::MAX))
        .contains(&numkeys)
        .then_some(numkeys as usize)
}

/// MSETEX's key positions: 2, 4, ... for `numkeys` keys (none when `numkeys` is invalid).
fn msetex_keys(argv: &Argv) -> Vec<usize> {
    match msetex_numkeys(argv) {
        Some(numkeys) if 2 + 2 * numkeys <= argv.len() => (0..numkeys).map(|i| 2 + 2 * i).collect(),
        _ => Vec::new(),
    }
}

/// MSETEX numkeys key value [key value ...] [NX|XX] [EX|PX|EXAT|PXAT n|KEEPTTL]: replies 1 when the
/// keys were set (or, with an expiry in the past, removed) and 0 when NX/XX stopped it.
fn msetex(ctx: &mut Ctx<'_>) -> CommandResult {
    let numkeys = msetex_numkeys(ctx.argv).ok_or(INVALID_NUMKEYS)?;
    let end = 2 + 2 * numkeys;
    if end > ctx.argc() {
        return Err(SYNTAX);
    }
    let options = parse_options(ctx.argv, end, OptionsOf::MSetEx)?;
    let expire_at = match options.expire {
        Some((form, index)) => Some(expire_at_ms(ctx, form, index)?),
        None => None,
    };
    if (options.nx && any_key_exists(ctx, 2, end, false))
        || (options.xx && !any_key_exists(ctx, 2, end, true))
    {
        ctx.reply().int(0);
        return Ok(());
    }
    let argv = ctx.argv;
    let now = ctx.now_ms;
    match expire_at {
        Some(at) if at <= now => {
            // Valkey stores the keys with their (past) expiry, then expires each: the events say so.
            for index in (2..end).step_by(2) {
                ctx.notify(class::STRING, "set", &argv[index]);
                ctx.notify(class::GENERIC, "expire", &argv[index]);
            }
            let mut expired: HashSet<&[u8]> = HashSet::default();
            for index in (2..end).step_by(2) {
                let key = &argv[index];
                ctx.db().expire_if_needed(key, now);
                if ctx.db().remove(key).is_some() {
                    ctx.key_modified(key);
                }
                if expired.insert(key) {
                    ctx.notify(class::EXPIRED, "expired", key);
                }
            }
        }
        Some(at) => store_pairs(ctx, 2, end, true, Some(at)),
        None => store_pairs(ctx, 2, end, options.keep_ttl, None),
    }
    ctx.reply().int(1);
    Ok(())
}

/// INCR/DECR/INCRBY/DECRBY: adds `increment` to the integer under the key (0 when missing), keeping
/// its TTL.
fn incr_decr(ctx: &mut Ctx<'_>, increment: i64) -> CommandResult {
    let key = &ctx.argv[1];
    let now = ctx.now_ms;
    let result = match ctx.db().get_mut(key, now) {
        None => {
            let result = increment;
            ctx.db().set(key, Value::Str(Str::Int(result)));
            result
        }
        Some(value) => {
            let current = as_str_mut(value)?;
            let old = match current {
                Str::Int(n) => *n,
                Str::Embstr(bytes) => parse_i64(bytes).ok_or(NOT_INTEGER)?,
                Str::Raw(bytes) => parse_i64(bytes).ok_or(NOT_INTEGER)?,
            };
            let result = old.checked_add(increment).ok_or(OVERFLOW)?;
            *current = Str::Int(result);
            result
        }
    };
    ctx.key_modified(key);
    ctx.notify(class::STRING, "incrby", key);
    ctx.reply().int(result);
    Ok(())
}

fn incr(ctx: &mut Ctx<'_>) -> CommandResult {
    incr_decr(ctx, 1)
}

fn decr(ctx: &mut Ctx<'_>) -> CommandResult {
    incr_decr(ctx, -1)
}

fn incrby(ctx: &mut Ctx<'_>) -> CommandResult {
    let increment = ctx.arg_i64(2)?;
    incr_decr(ctx, increment)
}

fn decrby(ctx: &mut Ctx<'_>) -> CommandResult {
    let decrement = ctx.arg_i64(2)?;
    let increment = decrement.checked_neg().ok_or(DECREMENT_OVERFLOW)?;
    incr_decr(ctx, increment)
}

/// INCRBYFLOAT: adds in C `long double` and stores the sum as text (never the int encoding), keeping
/// the TTL.
fn incrbyfloat(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    let now = ctx.now_ms;
    let (current, found) = match ctx.db().get(key, now) {
        None => (LongDouble::from_i64(0), false),
        Some(value) => {
            let current = match as_str(value)? {
                Str::Int(n) => LongDouble::from_i64(*n),
                Str::Embstr(bytes) => LongDouble::parse(bytes).ok_or(NOT_FLOAT)?,
                Str::Raw(bytes) => LongDouble::parse(bytes).ok_or(NOT_FLOAT)?,
            };
            (current, true)
        }
    };
    let increment = LongDouble::parse(&ctx.argv[2]).ok_or(NOT_FLOAT)?;
    let sum = current + increment;
    if !sum.is_finite() {
        return Err(NOT_FINITE);
    }
    let text = sum.to_human_bytes();
    let had_ttl = found && has_ttl(ctx, key);
    let stored = Value::Str(Str::text_for_key(&text, key.len(), had_ttl));
    ctx.db().set_keep_ttl(key, stored);
    ctx.key_modified(key);
    ctx.notify(class::STRING, "incrbyfloat", key);
    ctx.reply().bulk(&text);
    Ok(())
}

fn append(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let suffix = &argv[2];
    let now = ctx.now_ms;
    let limit = bulk_limit(ctx);
    let db = ctx.db();
    let total = match db.get_mut(key, now) {
        None => {
            db.set(key, Value::Str(Str::for_key(suffix, key.len(), false)));
            suffix.len()
        }
        Some(value) => {
            let current = as_str_mut(value)?;
            check_length(limit, current.len(), suffix.len())?;
            let bytes = current.make_raw();
            bytes.extend_from_slice(suffix);
            bytes.len()
        }
    };
    ctx.key_modified(key);
    ctx.notify(class::STRING, "append", key);
    ctx.reply().int(total as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    let len = match read_value(ctx.server, ctx.db_index, key, ctx.now_ms) {
        None => 0,
        Some(value) => as_str(value)?.len(),
    };
    ctx.reply().int(len as i64);
    Ok(())
}

/// The byte range GETRANGE returns for `start`/`end` (inclusive, negative from the end) over `len`
/// bytes, or `None` for the empty string.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let start = if start < 0 { start + len } else { start }.max(0);
    let end = if end < 0 { end + len } else { end }.max(0).min(len - 1);
    (len > 0 && start <= end).then_some((start as usize, end as usize))
}

fn getrange(ctx: &mut Ctx<'_>) -> CommandResult {
    let start = ctx.arg_i64(2)?;
    let end = ctx.arg_i64(3)?;
    let key = &ctx.argv[1];
    let reply = &mut ctx.client.reply;
    match read_value(ctx.server, ctx.db_index, key, ctx.now_ms) {
        None => reply.bulk(b""),
        Some(value) => {
            let mut scratch = itoa::Buffer::new();
            let bytes = as_str(value)?.as_bytes(&mut scratch);
            match clamp_range(start, end, bytes.len()) {
                Some((from, to)) => reply.bulk(&bytes[from..=to]),
                None => reply.bulk(b""),
            }
        }
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx<'_>) -> CommandResult {
    let offset = ctx.arg_i64(2)?;
    if offset < 0 {
        return Err(OFFSET_OUT_OF_RANGE);
    }
    let offset = offset as usize;
    let argv = ctx.argv;
    let key = &argv[1];
    let patch = &argv[3];
    let end = offset.saturating_add(patch.len());
    let now = ctx.now_ms;
    let limit = bulk_limit(ctx);
    let db = ctx.db();
    // An empty patch writes nothing: a missing key stays missing, an existing one keeps its encoding.
    let (total, changed) = match db.get_mut(key, now) {
        None if patch.is_empty() => (0, false),
        None => {
            check_length(limit, offset, patch.len())?;
            let mut bytes = vec![0; end];
            bytes[offset..].copy_from_slice(patch);
            db.set(key, Value::Str(Str::raw(bytes)));
            (end, true)
        }
        Some(value) => {
            let current = as_str_mut(value)?;
            if patch.is_empty() {
                (current.len(), false)
            } else {
                check_length(limit, offset, patch.len())?;
                let bytes = current.make_raw();
                if bytes.len() < end {
                    bytes.resize(end, 0);
                }
                bytes[offset..end].copy_from_slice(patch);
                (bytes.len(), true)
            }
        }
    };
    if changed {
        ctx.key_modified(key);
        ctx.notify(class::STRING, "setrange", key);
    }
    ctx.reply().int(total as i64);
    Ok(())
}

fn delifeq(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let now = ctx.now_ms;
    let matches = match ctx.db().get(key, now) {
        None => false,
        Some(value) => as_str(value)?.text_eq(&argv[2]),
    };
    if matches {
        ctx.db().remove(key);
        ctx.key_modified(key);
        ctx.notify(class::GENERIC, "del", key);
    }
    ctx.reply().int(i64::from(matches));
    Ok(())
}

/// One common run reported by LCS IDX: inclusive ranges in each string.
struct LcsMatch {
    a_start: u32,
    a_end: u32,
    b_start: u32,
    b_end: u32,
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN], with Valkey's dynamic-programming table
/// and its backtracking order (which decides the reported matches).
fn lcs(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let now = ctx.now_ms;
    // Both keys are looked up before either is checked, as Valkey does.
    let mut texts = [None, None];
    let mut wrong_type = false;
    for (slot, key) in texts.iter_mut().zip([&argv[1], &argv[2]]) {
        if let Some(value) = read_value(ctx.server, ctx.db_index, key, now) {
            match as_str(value) {
                Ok(s) => *slot = Some(s.to_vec()),
                Err(_) => wrong_type = true,
            }
        }
    }
    if wrong_type {
        return Err(LCS_NOT_STRINGS);
    }
    let [a, b] = texts.map(Option::unwrap_or_default);

    let (mut want_len, mut want_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len: i64 = 0;
    let mut index = 3;
    while index < argv.len() {
        let word = &argv[index];
        let has_value = index + 1 < argv.len();
        if word.eq_ignore_ascii_case(b"idx") {
            want_idx = true;
        } else if word.eq_ignore_ascii_case(b"len") {
            want_len = true;
        } else if word.eq_ignore_ascii_case(b"withmatchlen") {
            with_match_len = true;
        } else if word.eq_ignore_ascii_case(b"minmatchlen") && has_value {
            min_match_len = ctx.arg_i64(index + 1)?.max(0);
            index += 1;
        } else {
            return Err(SYNTAX);
        }
        index += 1;
    }
    if want_len && want_idx {
        return Err(LCS_LEN_AND_IDX);
    }
    let limit = u32::MAX as usize - 1;
    if a.len() >= limit || b.len() >= limit {
        return Err(LCS_TOO_LONG);
    }
    let (a_len, b_len) = (a.len(), b.len());
    let width = b_len + 1;
    let cells = (a_len as u64 + 1) * (b_len as u64 + 1);
    let table_bytes = cells.checked_mul(4).ok_or(LCS_NO_MEMORY)?;
    if table_bytes > bulk_limit(ctx).max(0) as u64 {
        return Err(LCS_TABLE_TOO_BIG);
    }
    let mut table: Vec<u32> = Vec::new();
    table
        .try_reserve_exact(cells as usize)
        .map_err(|_| LCS_NO_MEMORY)?;
    table.resize(cells as usize, 0);
    // table[i * width + j] = LCS length of a[..i] and b[..j].
    for i in 1..=a_len {
        for j in 1..=b_len {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[a_len * width + b_len];

    if want_len {
        ctx.reply().int(i64::from(total));
        return Ok(());
    }
    // Walk back from the end, collecting the common subsequence and its contiguous runs.
    let mut common = vec![0u8; total as usize];
    let mut remaining = total as usize;
    let mut matches = Vec::new();
    let mut run: Option<LcsMatch> = None;
    let (mut i, mut j) = (a_len, b_len);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            common[remaining - 1] = a[i - 1];
            let (ai, bj) = (i as u32 - 1, j as u32 - 1);
            match run.as_mut() {
                None => {
                    run = Some(LcsMatch {
                        a_start: ai,
                        a_end: ai,
                        b_start: bj,
                        b_end: bj,
                    })
                }
                Some(current) if current.a_start == ai + 1 && current.b_start == bj + 1 => {
                    current.a_start = ai;
                    current.b_start = bj;
                }
                Some(_) => emit = true,
            }
            if run
                .as_ref()
                .is_some_and(|current| current.a_start == 0 || current.b_start == 0)
            {
                emit = true;
            }
            remaining -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = run.is_some();
        }
        if emit {
            if let Some(current) = run.take() {
                let length = i64::from(current.a_end - current.a_start + 1);
                if min_match_len == 0 || length >= min_match_len {
                    matches.push(current);
                }
            }
        }
    }

    let reply = ctx.reply();
    if !want_idx {
        reply.bulk(&common);
        return Ok(());
    }
    reply.map(2);
    reply.bulk(b"matches");
    reply.array(matches.len());
    for found in &matches {
        reply.array(if with_match_len { 3 } else { 2 });
        reply.array(2);
        reply.int(i64::from(found.a_start));
        reply.int(i64::from(found.a_end));
        reply.array(2);
        reply.int(i64::from(found.b_start));
        reply.int(i64::from(found.b_end));
        if with_match_len {
            reply.int(i64::from(found.a_end - found.a_start + 1));
        }
    }
    reply.bulk(b"len");
    reply.int(i64::from(total));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &str) -> Argv {
        Argv::from_parts(words.split(' '))
    }

    #[test]
    fn option_conflicts() {
        let parse = |words: &str, start, of| parse_options(&argv(words), start, of).is_ok();
        assert!(parse("set k v nx nx get get", 3, OptionsOf::Set));
        assert!(parse("set k v ex 10 ex 20", 3, OptionsOf::Set));
        assert!(parse("set k v ifeq x get keepttl", 3, OptionsOf::Set));
        for bad in [
            "set k v nx xx",
            "set k v ifeq a nx",
            "set k v xx ifeq a",
            "set k v ifeq a ifeq a",
            "set k v ifeq",
            "set k v ex 1 px 1",
            "set k v keepttl ex 1",
            "set k v ex",
            "set k v persist",
        ] {
            assert!(!parse(bad, 3, OptionsOf::Set), "{bad}");
        }
        assert!(parse("getex k persist persist", 2, OptionsOf::GetEx));
        assert!(!parse("getex k persist ex 1", 2, OptionsOf::GetEx));
        assert!(!parse("getex k nx", 2, OptionsOf::GetEx));
        assert!(!parse("msetex 1 k v get", 4, OptionsOf::MSetEx));
        assert!(parse("msetex 1 k v xx xx keepttl", 4, OptionsOf::MSetEx));
    }

    #[test]
    fn getrange_clamping() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-100, -100, 5), Some((0, 0)));
        assert_eq!(clamp_range(-1, -5, 5), None);
        assert_eq!(clamp_range(-2, 2, 5), None);
        assert_eq!(clamp_range(0, -100, 5), Some((0, 0)));
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 5), Some((0, 4)));
        assert_eq!(clamp_range(0, 0, 0), None);
    }

    #[test]
    fn msetex_key_positions() {
        assert_eq!(msetex_keys(&argv("msetex 2 a 1 b 2 ex 10")), vec![2, 4]);
        assert!(msetex_keys(&argv("msetex 3 a 1 b 2")).is_empty());
        assert!(msetex_keys(&argv("msetex 0 a 1")).is_empty());
    }
}
