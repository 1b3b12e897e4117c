//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE and the PFDEBUG/PFSELFTEST debugging commands,
//! over Valkey's dense/sparse string representation (see `types::hll`).

use crate::commands::bitmaps::{as_string, as_string_mut, keyword_is};
use crate::commands::{acl, flags, CommandSpec, Ctx, KeySpec, KEY1};
use crate::error::{c_str, CommandError, CommandResult};
use crate::notify::class;
use crate::types::hll::{self, Corrupt, REGISTERS};
use crate::types::{Str, Value};

/// HyperLogLog commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "pfadd",
        -2,
        flags::WRITE | flags::DENYOOM | flags::FAST,
        acl::WRITE | acl::HYPERLOGLOG | acl::FAST,
        KEY1,
        pfadd,
    ),
    CommandSpec::new(
        "pfcount",
        -2,
        flags::READONLY,
        acl::READ | acl::HYPERLOGLOG | acl::SLOW,
        KeySpec {
            first: 1,
            last: -1,
            step: 1,
        },
        pfcount,
    ),
    CommandSpec::new(
        "pfmerge",
        -2,
        flags::WRITE | flags::DENYOOM,
        acl::WRITE | acl::HYPERLOGLOG | acl::SLOW,
        KeySpec {
            first: 1,
            last: -1,
            step: 1,
        },
        pfmerge,
    ),
    CommandSpec::new(
        "pfdebug",
        3,
        flags::WRITE | flags::DENYOOM | flags::ADMIN,
        acl::WRITE | acl::HYPERLOGLOG | acl::ADMIN | acl::SLOW | acl::DANGEROUS,
        KeySpec {
            first: 2,
            last: 2,
            step: 1,
        },
        pfdebug,
    ),
    CommandSpec::new(
        "pfselftest",
        1,
        flags::ADMIN,
        acl::HYPERLOGLOG | acl::ADMIN | acl::SLOW | acl::DANGEROUS,
        crate::commands::NO_KEYS,
        pfselftest,
    ),
];

const NOT_HLL: CommandError =
    CommandError::fixed("WRONGTYPE Key is not a valid HyperLogLog string value.");
const CORRUPT: CommandError = CommandError::fixed("INVALIDOBJ Corrupted HLL object detected");

impl From<Corrupt> for CommandError {
    fn from(_: Corrupt) -> Self {
        CORRUPT
    }
}

/// `hll-sparse-max-bytes`.
fn sparse_max_bytes(ctx: &Ctx<'_>) -> usize {
    usize::try_from(ctx.server.config.get_i64("hll-sparse-max-bytes")).unwrap_or(0)
}

/// The HyperLogLog bytes in `value`: WRONGTYPE for other types, the HLL-specific WRONGTYPE for strings
/// that are not HyperLogLogs. Integer-encoded strings never are.
fn hll_bytes(value: &Value) -> Result<&[u8], CommandError> {
    match as_string(value)? {
        Str::Embstr(bytes) if hll::is_valid(bytes) => Ok(bytes),
        Str::Raw(bytes) if hll::is_valid(bytes) => Ok(bytes),
        _ => Err(NOT_HLL),
    }
}

/// Like [`hll_bytes`], for modification: the value becomes `raw`, as Valkey unshares it.
fn hll_bytes_mut(value: &mut Value) -> Result<&mut Vec<u8>, CommandError> {
    hll_bytes(value)?;
    Ok(as_string_mut(value)?.make_raw())
}

fn pfadd(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let key = &argv[1];
    let max_bytes = sparse_max_bytes(ctx);
    let now = ctx.now_ms;
    let db = &mut ctx.server.dbs[ctx.db_index];
    let mut updated: u64 = 0;
    if db.get_mut(key, now).is_none() {
        db.set(key, Value::Str(Str::raw(hll::new_sparse())));
        updated += 1;
    }
    let value = db.get_mut(key, now).ok_or(CORRUPT)?;
    let hll = hll_bytes_mut(value)?;
    for element in argv.iter().skip(2) {
        if hll::add(hll, element, max_bytes)? {
            updated += 1;
        }
    }
    if updated > 0 {
        hll::invalidate_cache(hll);
        ctx.key_modified(key);
        ctx.notify(class::STRING, "pfadd", key);
        ctx.server.stats.dirty += updated - 1;
    }
    ctx.reply().int(i64::from(updated > 0));
    Ok(())
}

fn pfcount(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    if argv.len() > 2 {
        let mut registers = [0u8; REGISTERS];
        for key in argv.iter().skip(1) {
            if let Some(value) = ctx.lookup_read(key) {
                hll::merge_into(&mut registers, hll_bytes(value)?)?;
            }
        }
        let card = hll::count_registers(&registers);
        ctx.reply().int(card as i64);
        return Ok(());
    }

    let key = &argv[1];
    let Some(value) = ctx.lookup_read(key) else {
        ctx.reply().int(0);
        return Ok(());
    };
    hll_bytes(value)?;
    let now = ctx.now_ms;
    let value = ctx.db().get_mut(key, now).ok_or(CORRUPT)?;
    let hll = hll_bytes_mut(value)?;
    let card = match hll::cached_cardinality(hll) {
        Some(card) => card,
        None => {
            let card = hll::count(hll)?;
            hll::set_cached_cardinality(hll, card);
            ctx.key_modified(key);
            card
        }
    };
    ctx.reply().int(card as i64);
    Ok(())
}

fn pfmerge(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let mut registers = [0u8; REGISTERS];
    let mut any_dense = false;
    // The destination is one of the inputs.
    for key in argv.iter().skip(1) {
        if let Some(value) = ctx.lookup_read(key) {
            let bytes = hll_bytes(value)?;
            any_dense |= hll::is_dense(bytes);
            hll::merge_into(&mut registers, bytes)?;
        }
    }
    let dest = &argv[1];
    let max_bytes = sparse_max_bytes(ctx);
    let now = ctx.now_ms;
    let db = &mut ctx.server.dbs[ctx.db_index];
    if db.get_mut(dest, now).is_none() {
        db.set(dest, Value::Str(Str::raw(hll::new_sparse())));
    }
    let value = db.get_mut(dest, now).ok_or(CORRUPT)?;
    let hll = hll_bytes_mut(value)?;
    if any_dense {
        hll::to_dense(hll)?;
    }
    for (index, &count) in registers.iter().enumerate() {
        if count > 0 {
            // Valkey ignores a failure here: the destination was already checked while merging.
            let _ = hll::raise(hll, index, count, max_bytes);
        }
    }
    hll::invalidate_cache(hll);
    ctx.key_modified(dest);
    ctx.notify(class::STRING, "pfadd", dest);
    ctx.reply().ok();
    Ok(())
}

/// What a PFDEBUG subcommand answers.
enum DebugReply {
    Registers(Vec<u8>),
    Text(String),
    Status(&'static str),
    Converted(bool),
}

fn pfdebug(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let subcommand = &argv[1];
    let now = ctx.now_ms;
    let Some(value) = ctx.db().get_mut(&argv[2], now) else {
        return Err(CommandError::fixed("ERR The specified key does not exist"));
    };
    let hll = hll_bytes_mut(value)?;
    let mut converted = false;
    let reply = if keyword_is(subcommand, "getreg") {
        if !hll::is_dense(hll) {
            hll::to_dense(hll)?;
            converted = true;
        }
        DebugReply::Registers(hll::dense_registers(hll))
    } else if keyword_is(subcommand, "decode") {
        if hll::is_dense(hll) {
            return Err(CommandError::fixed("ERR HLL encoding is not sparse"));
        }
        DebugReply::Text(hll::decode_sparse(hll))
    } else if keyword_is(subcommand, "encoding") {
        DebugReply::Status(if hll::is_dense(hll) {
            "dense"
        } else {
            "sparse"
        })
    } else if keyword_is(subcommand, "todense") {
        if !hll::is_dense(hll) {
            hll::to_dense(hll)?;
            converted = true;
        }
        DebugReply::Converted(converted)
    } else {
        return Err(CommandError::owned(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            c_str(subcommand, usize::MAX)
        )));
    };
    if converted {
        // Valkey counts the encoding change for propagation without signalling the key.
        ctx.server.stats.dirty += 1;
    }
    let out = ctx.reply();
    match reply {
        DebugReply::Registers(registers) => {
            out.array(registers.len());
            for register in registers {
                out.int(i64::from(register));
            }
        }
        DebugReply::Text(text) => out.bulk(text.as_bytes()),
        DebugReply::Status(text) => out.simple(text.as_bytes()),
        DebugReply::Converted(done) => out.int(i64::from(done)),
    }
    Ok(())
}

fn pfselftest(ctx: &mut Ctx<'_>) -> CommandResult {
    let max_bytes = sparse_max_bytes(ctx);
    hll::self_test(&mut ctx.server.rng, max_bytes).map_err(CommandError::owned)?;
    ctx.reply().ok();
    Ok(())
}
