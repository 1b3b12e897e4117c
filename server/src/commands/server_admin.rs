//! Server administration: CONFIG (GET, SET, RESETSTAT, REWRITE, HELP), INFO, TIME, LASTSAVE, DEBUG,
//! MONITOR and SHUTDOWN, plus the check that keeps DEBUG to the clients `enable-debug-command` allows.

mod debug;
mod info;

use crate::client::Client;
use crate::commands::{acl, flags, CommandSpec, Ctx, NO_KEYS};
use crate::error::{CommandError, CommandResult, SYNTAX};
use crate::server::{unix_us, Server};

const ADMIN: u32 = flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE;
const ADMIN_ACL: u64 = acl::ADMIN | acl::SLOW | acl::DANGEROUS;

static CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::sub(
        "get",
        "config|get",
        -3,
        ADMIN,
        ADMIN_ACL,
        NO_KEYS,
        config_get,
    ),
    CommandSpec::sub(
        "help",
        "config|help",
        2,
        flags::LOADING | flags::STALE,
        acl::SLOW,
        NO_KEYS,
        config_help,
    ),
    CommandSpec::sub(
        "resetstat",
        "config|resetstat",
        2,
        ADMIN,
        ADMIN_ACL,
        NO_KEYS,
        config_resetstat,
    ),
    CommandSpec::sub(
        "rewrite",
        "config|rewrite",
        2,
        ADMIN,
        ADMIN_ACL,
        NO_KEYS,
        config_rewrite,
    ),
    CommandSpec::sub(
        "set",
        "config|set",
        -4,
        ADMIN,
        ADMIN_ACL,
        NO_KEYS,
        config_set,
    ),
];

/// Server commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::container("config", -2, 0, acl::SLOW, CONFIG_SUBCOMMANDS),
    CommandSpec::new(
        "info",
        -1,
        flags::LOADING | flags::STALE,
        acl::SLOW | acl::DANGEROUS,
        NO_KEYS,
        info,
    ),
    CommandSpec::new(
        "time",
        1,
        flags::LOADING | flags::STALE | flags::FAST,
        acl::FAST,
        NO_KEYS,
        time,
    ),
    CommandSpec::new(
        "lastsave",
        1,
        flags::LOADING | flags::STALE | flags::FAST,
        acl::ADMIN | acl::FAST | acl::DANGEROUS,
        NO_KEYS,
        lastsave,
    ),
    CommandSpec::new("debug", -2, ADMIN, ADMIN_ACL, NO_KEYS, debug::debug),
    CommandSpec::new("monitor", 1, ADMIN, ADMIN_ACL, NO_KEYS, monitor),
    CommandSpec::new(
        "shutdown",
        -1,
        ADMIN | flags::NO_MULTI | flags::ALLOW_BUSY,
        ADMIN_ACL,
        NO_KEYS,
        shutdown,
    ),
];

/// True when a client may use an action that `setting` (`enable-debug-command`,
/// `enable-protected-configs`) guards: `yes`, or `local` for a loopback connection.
fn protected_action_allowed(setting: &str, client: &Client) -> bool {
    match setting {
        "yes" => true,
        "local" => client.shared.borrow().addr.ip().is_loopback(),
        _ => false,
    }
}

/// Rejects DEBUG unless `enable-debug-command` allows this client. The dispatcher runs this right after
/// the arity check, before authentication, as Valkey does for its protected commands.
pub fn check_protected(
    server: &Server,
    client: &Client,
    spec: &CommandSpec,
) -> Result<(), CommandError> {
    if spec.full_name != "debug"
        || protected_action_allowed(server.config.get("enable-debug-command"), client)
    {
        return Ok(());
    }
    Err(CommandError::fixed(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
    ))
}

fn config_get(ctx: &mut Ctx<'_>) -> CommandResult {
    let patterns: Vec<&[u8]> = ctx.argv.iter().skip(2).collect();
    let matches = ctx.server.config.get_matching(&patterns);
    let reply = &mut ctx.client.reply;
    reply.map(matches.len());
    for (name, value) in &matches {
        reply.bulk(name.as_bytes());
        reply.bulk(value.as_bytes());
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx<'_>) -> CommandResult {
    if !ctx.argc().is_multiple_of(2) {
        return Err(SYNTAX);
    }
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let pairs: Vec<(String, String)> = (2..ctx.argc())
        .step_by(2)
        .map(|i| (text(ctx.arg(i)), text(ctx.arg(i + 1))))
        .collect();
    let allow_protected = protected_action_allowed(
        ctx.server.config.get("enable-protected-configs"),
        ctx.client,
    );
    ctx.server
        .config
        .set_many(&pairs, allow_protected)
        .map_err(|message| CommandError::owned(format!("ERR {message}")))?;
    ctx.reply().ok();
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.server.reset_stats();
    ctx.reply().ok();
    Ok(())
}

fn config_rewrite(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.server
        .config
        .rewrite()
        .map_err(|message| CommandError::owned(format!("ERR {message}")))?;
    ctx.reply().ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx<'_>) -> CommandResult {
    let command = ctx.argv[0].to_vec();
    crate::commands::reply_help(
        ctx.reply(),
        &command,
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

fn info(ctx: &mut Ctx<'_>) -> CommandResult {
    let args: Vec<&[u8]> = ctx.argv.iter().skip(1).collect();
    let text = info::report(ctx.server, &args);
    ctx.reply().verbatim(b"txt", text.as_bytes());
    Ok(())
}

fn time(ctx: &mut Ctx<'_>) -> CommandResult {
    let now = unix_us();
    let reply = ctx.reply();
    reply.array(2);
    reply.bulk_int(now / 1_000_000);
    reply.bulk_int(now % 1_000_000);
    Ok(())
}

fn lastsave(ctx: &mut Ctx<'_>) -> CommandResult {
    let seconds = ctx.server.last_save_ms / 1000;
    ctx.reply().int(seconds);
    Ok(())
}

fn monitor(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = ctx.client.id();
    // A client already in MONITOR mode gets no reply at all, as in Valkey.
    if ctx.server.monitors.contains(&id) {
        return Ok(());
    }
    ctx.server.monitors.push(id);
    ctx.client.shared.borrow_mut().monitor = true;
    ctx.reply().ok();
    Ok(())
}

/// What SHUTDOWN was asked to do.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ShutdownOptions {
    save: bool,
    nosave: bool,
    now: bool,
    force: bool,
    /// SAFE and FAILOVER concern cluster nodes; ferry accepts and ignores them.
    cluster: bool,
    abort: bool,
}

fn parse_shutdown(args: &[&[u8]]) -> Result<ShutdownOptions, CommandError> {
    let mut options = ShutdownOptions::default();
    for arg in args {
        let flag = match arg.to_ascii_lowercase().as_slice() {
            b"nosave" => &mut options.nosave,
            b"save" => &mut options.save,
            b"now" => &mut options.now,
            b"force" => &mut options.force,
            b"safe" | b"failover" => &mut options.cluster,
            b"abort" => &mut options.abort,
            _ => return Err(SYNTAX),
        };
        *flag = true;
    }
    let any_flag =
        options.save || options.nosave || options.now || options.force || options.cluster;
    if (options.abort && any_flag) || (options.save && options.nosave) {
        return Err(SYNTAX);
    }
    Ok(options)
}

/// Saves the dataset before exiting. ferry cannot write RDB files yet, so a shutdown that must save
/// fails (or, with FORCE, exits anyway), as Valkey does when its final save fails.
fn save_before_shutdown(_server: &mut Server) -> Result<(), String> {
    Err("saving the dataset is not supported yet".to_string())
}

fn shutdown(ctx: &mut Ctx<'_>) -> CommandResult {
    let args: Vec<&[u8]> = ctx.argv.iter().skip(1).collect();
    let options = parse_shutdown(&args)?;
    if options.abort {
        // ferry never waits for replicas before exiting, so no shutdown is ever in progress.
        return Err(CommandError::fixed("ERR No shutdown in progress."));
    }
    let save_points = !ctx.server.config.get("save").is_empty();
    if (save_points && !options.nosave) || options.save {
        if let Err(reason) = save_before_shutdown(ctx.server) {
            if !options.force {
                eprintln!("Error trying to save the DB, can't exit: {reason}");
                return Err(CommandError::fixed(
                    "ERR Errors trying to SHUTDOWN. Check logs.",
                ));
            }
            eprintln!("Error trying to save the DB. Exit anyway: {reason}");
        }
    }
    ctx.server.shutdown_requested = true;
    ctx.client.close_after_reply = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_options_follow_valkey() {
        let parse = |args: &[&str]| {
            let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
            parse_shutdown(&args)
        };
        assert!(parse(&["NOSAVE", "now", "Force"]).is_ok());
        assert_eq!(parse(&["save", "nosave"]), Err(SYNTAX));
        assert_eq!(parse(&["abort", "now"]), Err(SYNTAX));
        assert_eq!(parse(&["bogus"]), Err(SYNTAX));
        assert!(parse(&["abort"]).is_ok_and(|o| o.abort));
    }
}
