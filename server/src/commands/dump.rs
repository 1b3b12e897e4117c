//! DUMP and RESTORE: a key's value as a DUMP payload (docs/RDB_FORMAT.md §10) and back. The value
//! conversions live in `rdb_bridge`; this module parses the options and applies Valkey's order of
//! checks, TTL rules and access-history options.

use ferry_resp::number::parse_i64;

use crate::commands::{acl, flags, CommandSpec, Ctx, KEY1};
use crate::error::{CommandError, CommandResult, NOT_INTEGER, SYNTAX};
use crate::notify::class;
use crate::rdb_bridge::{self, Limits, LoadError};

/// The commands of this module.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "dump",
        2,
        flags::READONLY,
        acl::KEYSPACE | acl::READ | acl::SLOW,
        KEY1,
        dump,
    ),
    CommandSpec::new(
        "restore",
        -4,
        flags::WRITE | flags::DENYOOM,
        acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS,
        KEY1,
        restore,
    ),
];

const BUSY_KEY: CommandError = CommandError::fixed("BUSYKEY Target key name already exists.");
const BAD_PAYLOAD: CommandError =
    CommandError::fixed("ERR DUMP payload version or checksum are wrong");
const BAD_DATA: CommandError = CommandError::fixed("ERR Bad data format");
const INVALID_TTL: CommandError = CommandError::fixed("ERR Invalid TTL value, must be >= 0");
const INVALID_IDLETIME: CommandError =
    CommandError::fixed("ERR Invalid IDLETIME value, must be >= 0");
const INVALID_FREQ: CommandError =
    CommandError::fixed("ERR Invalid FREQ value, must be >= 0 and <= 255");

/// DUMP key
fn dump(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let payload = ctx.lookup_read(&argv[1]).map(rdb_bridge::dump_payload);
    match payload {
        Some(payload) => ctx.reply().bulk(&payload),
        None => ctx.reply().null(),
    }
    Ok(())
}

/// RESTORE's options after the payload.
#[derive(Debug, Default)]
struct Options {
    replace: bool,
    absolute_ttl: bool,
    idle_seconds: Option<i64>,
    frequency: Option<u8>,
}

/// Parses the options as Valkey does: IDLETIME and FREQ exclude each other (the second is a syntax
/// error), and each value is checked as soon as it is read.
fn parse_options(ctx: &Ctx<'_>) -> Result<Options, CommandError> {
    let mut options = Options::default();
    let mut index = 4;
    while index < ctx.argc() {
        let has_value = index + 1 < ctx.argc();
        if ctx.arg_is(index, "replace") {
            options.replace = true;
        } else if ctx.arg_is(index, "absttl") {
            options.absolute_ttl = true;
        } else if ctx.arg_is(index, "idletime") && has_value && options.frequency.is_none() {
            let idle = parse_i64(ctx.arg(index + 1)).ok_or(NOT_INTEGER)?;
            if idle < 0 {
                return Err(INVALID_IDLETIME);
            }
            options.idle_seconds = Some(idle);
            index += 1;
        } else if ctx.arg_is(index, "freq") && has_value && options.idle_seconds.is_none() {
            let freq = parse_i64(ctx.arg(index + 1)).ok_or(NOT_INTEGER)?;
            options.frequency = Some(u8::try_from(freq).map_err(|_| INVALID_FREQ)?);
            index += 1;
        } else {
            return Err(SYNTAX);
        }
        index += 1;
    }
    Ok(options)
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
fn restore(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let options = parse_options(ctx)?;
    if !options.replace && ctx.lookup_write(key).is_some() {
        return Err(BUSY_KEY);
    }
    let ttl = parse_i64(ctx.arg(2)).ok_or(NOT_INTEGER)?;
    if ttl < 0 {
        return Err(INVALID_TTL);
    }
    let limits = Limits::from_config(&ctx.server.config);
    let value =
        rdb_bridge::restore_payload(&argv[3], key.len(), &limits).map_err(|error| match error {
            LoadError::VersionOrChecksum => BAD_PAYLOAD,
            LoadError::BadData(_) => BAD_DATA,
            LoadError::Unsupported(kind) => CommandError::owned(format!(
                "ERR Bad data format: {kind} values are not supported by this server yet"
            )),
        })?;
    let deleted = options.replace && ctx.db().remove(key).is_some();
    let now = ctx.now_ms;
    // Valkey adds without an overflow check: a TTL too large wraps into the past.
    let expire_at_ms = match ttl {
        0 => None,
        ttl if options.absolute_ttl => Some(ttl),
        ttl => Some(ttl.wrapping_add(now)),
    };
    if expire_at_ms.is_some_and(|at| at <= now) {
        if deleted {
            ctx.key_modified(key);
            ctx.notify(class::GENERIC, "del", key);
        }
        ctx.reply().ok();
        return Ok(());
    }
    let db = ctx.db();
    db.set_with_expire(key, value, expire_at_ms);
    db.restore_access(key, options.idle_seconds, options.frequency);
    ctx.key_modified(key);
    ctx.notify(class::GENERIC, "restore", key);
    ctx.reply().ok();
    Ok(())
}
