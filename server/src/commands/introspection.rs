//! Introspection of the command table: COMMAND (COUNT, INFO, LIST, GETKEYS, DOCS).

use crate::commands::{acl, all_commands, flags, CommandSpec, Ctx, NO_KEYS};
use crate::error::CommandResult;

const INTROSPECT: u32 = flags::LOADING | flags::STALE;

static COMMAND_SUBCOMMANDS: &[CommandSpec] = &[CommandSpec::sub(
    "count",
    "command|count",
    2,
    INTROSPECT,
    acl::SLOW | acl::CONNECTION,
    NO_KEYS,
    count,
)];

/// Introspection commands.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::container(
    "command",
    -1,
    INTROSPECT,
    acl::SLOW | acl::CONNECTION,
    COMMAND_SUBCOMMANDS,
)];

fn count(ctx: &mut Ctx<'_>) -> CommandResult {
    let total = all_commands().count() as i64;
    ctx.reply().int(total);
    Ok(())
}
