//! String commands: GET, SET and the rest of the family.

use crate::commands::{acl, flags, CommandSpec, Ctx, KEY1};
use crate::error::{CommandResult, WRONG_TYPE};
use crate::types::{Str, Value};

/// String commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "get",
        2,
        flags::READONLY | flags::FAST,
        acl::READ | acl::STRING | acl::FAST,
        KEY1,
        get,
    ),
    CommandSpec::new(
        "set",
        -3,
        flags::WRITE | flags::DENYOOM,
        acl::WRITE | acl::STRING | acl::SLOW,
        KEY1,
        set,
    ),
];

fn get(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = ctx.now_ms;
    let key = &ctx.argv[1];
    match ctx.server.dbs[ctx.db_index].get(key, now) {
        None => ctx.client.reply.null(),
        Some(Value::Str(s)) => {
            let mut scratch = itoa::Buffer::new();
            ctx.client.reply.bulk(s.as_bytes(&mut scratch));
        }
    }
    Ok(())
}

fn set(ctx: &mut Ctx<'_>) -> CommandResult {
    let key = &ctx.argv[1];
    let value = Str::from_bytes(&ctx.argv[2]);
    ctx.server.dbs[ctx.db_index].set(key, Value::Str(value));
    ctx.key_modified(&ctx.argv[1]);
    ctx.reply().ok();
    let _ = WRONG_TYPE;
    Ok(())
}
