//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, SHUTDOWN, CONFIG, INFO, TIME, DEBUG, MONITOR.

use crate::commands::{acl, flags, CommandSpec, Ctx, NO_KEYS};
use crate::error::CommandResult;

/// Server commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dbsize", 1, flags::READONLY | flags::FAST, acl::KEYSPACE | acl::READ | acl::FAST, NO_KEYS, dbsize),
    CommandSpec::new("flushall", -1, flags::WRITE, acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS, NO_KEYS, flushall),
    CommandSpec::new(
        "shutdown",
        -1,
        flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::NO_MULTI | flags::ALLOW_BUSY,
        acl::ADMIN | acl::SLOW | acl::DANGEROUS,
        NO_KEYS,
        shutdown,
    ),
];

fn dbsize(ctx: &mut Ctx<'_>) -> CommandResult {
    let len = ctx.db().len() as i64;
    ctx.reply().int(len);
    Ok(())
}

fn flushall(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.server.touch_all_keys(None);
    for db in &mut ctx.server.dbs {
        db.clear();
    }
    ctx.server.stats.dirty += 1;
    ctx.reply().ok();
    Ok(())
}

fn shutdown(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.server.shutdown_requested = true;
    ctx.client.close_after_reply = true;
    Ok(())
}
