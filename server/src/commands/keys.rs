//! Generic keyspace commands: DEL, EXISTS, TYPE, SCAN, EXPIRE and the rest.

use crate::commands::{acl, flags, CommandSpec, Ctx, KeySpec, NO_KEYS};
use crate::error::CommandResult;

const ALL_KEYS: KeySpec = KeySpec {
    first: 1,
    last: -1,
    step: 1,
};

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
    CommandSpec::new(
        "dbsize",
        1,
        flags::READONLY | flags::FAST,
        acl::KEYSPACE | acl::READ | acl::FAST,
        NO_KEYS,
        dbsize,
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
        "exists",
        -2,
        flags::READONLY | flags::FAST,
        acl::KEYSPACE | acl::READ | acl::FAST,
        ALL_KEYS,
        exists,
    ),
];

fn del(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut removed = 0;
    for index in 1..ctx.argc() {
        let now = ctx.now_ms;
        let db = &mut ctx.server.dbs[ctx.db_index];
        db.expire_if_needed(&ctx.argv[index], now);
        if db.remove(&ctx.argv[index]).is_some() {
            removed += 1;
            ctx.key_modified(&ctx.argv[index]);
        }
    }
    ctx.reply().int(removed);
    Ok(())
}

fn exists(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut found = 0;
    for index in 1..ctx.argc() {
        let now = ctx.now_ms;
        if ctx.server.dbs[ctx.db_index].contains(&ctx.argv[index], now) {
            found += 1;
        }
    }
    ctx.reply().int(found);
    Ok(())
}

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
