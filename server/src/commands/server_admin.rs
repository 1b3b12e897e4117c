//! Server commands: SHUTDOWN, CONFIG, INFO, TIME, DEBUG, MONITOR.

use crate::commands::{acl, flags, CommandSpec, Ctx, NO_KEYS};
use crate::error::CommandResult;

/// Server commands.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "shutdown",
    -1,
    flags::ADMIN
        | flags::NOSCRIPT
        | flags::LOADING
        | flags::STALE
        | flags::NO_MULTI
        | flags::ALLOW_BUSY,
    acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    NO_KEYS,
    shutdown,
)];

fn shutdown(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.server.shutdown_requested = true;
    ctx.client.close_after_reply = true;
    Ok(())
}
