//! Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET and CLIENT.

use crate::commands::{acl, flags, CommandSpec, Ctx, NO_KEYS};
use crate::error::{CommandError, CommandResult, DB_INDEX_OUT_OF_RANGE};

const CONN: u64 = acl::CONNECTION;

/// Connection commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, flags::FAST, acl::FAST | CONN, NO_KEYS, ping),
    CommandSpec::new(
        "echo",
        2,
        flags::LOADING | flags::STALE | flags::FAST,
        acl::FAST | CONN,
        NO_KEYS,
        echo,
    ),
    CommandSpec::new(
        "select",
        2,
        flags::LOADING | flags::STALE | flags::FAST | flags::ALLOW_BUSY,
        acl::FAST | CONN,
        NO_KEYS,
        select,
    ),
    CommandSpec::new(
        "quit",
        -1,
        flags::ALLOW_BUSY
            | flags::NOSCRIPT
            | flags::LOADING
            | flags::STALE
            | flags::FAST
            | flags::NO_AUTH
            | flags::TRANSACTION_CONTROL,
        acl::FAST | CONN,
        NO_KEYS,
        quit,
    ),
];

fn ping(ctx: &mut Ctx<'_>) -> CommandResult {
    match ctx.argc() {
        1 => ctx.reply().simple(b"PONG"),
        2 => {
            let message = ctx.argv[1].to_vec();
            ctx.reply().bulk(&message);
        }
        _ => return Err(crate::error::wrong_arity("ping")),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx<'_>) -> CommandResult {
    let message = ctx.argv[1].to_vec();
    ctx.reply().bulk(&message);
    Ok(())
}

fn select(ctx: &mut Ctx<'_>) -> CommandResult {
    let index = ctx
        .arg_i64(1)
        .map_err(|_| CommandError::fixed("ERR value is not an integer or out of range"))?;
    if index < 0 || index as usize >= ctx.server.dbs.len() {
        return Err(DB_INDEX_OUT_OF_RANGE);
    }
    ctx.client.shared.borrow_mut().db = index as usize;
    ctx.reply().ok();
    Ok(())
}

fn quit(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.client.close_after_reply = true;
    ctx.reply().ok();
    Ok(())
}
