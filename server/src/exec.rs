//! Command dispatch: looks a command up in the table and applies Valkey's checks in Valkey's order
//! (existence and arity, authentication, MULTI restrictions, pause), then queues it inside MULTI or calls
//! its handler. EXEC, scripts, AOF replay and replication all run commands through `call`.

use ferry_resp::Argv;

use crate::client::{Client, ReplyMode};
use crate::commands::{self, flags, CommandSpec, Ctx};
use crate::error::{c_str, wrong_arity, CommandError};
use crate::keyspace;
use crate::server::{unix_ms, unix_us, PauseKind, Server};

/// What the connection should do after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next command.
    Continue,
    /// Flush the replies and close the connection.
    Close,
    /// The command cannot run yet (CLIENT PAUSE): run the same arguments again later.
    Retry,
    /// The command blocked: the connection must park the client with the request left in
    /// `client.block_request` (see `blocking`).
    Block,
}

/// Resolves `argv` to a command (or subcommand), or the error Valkey gives when there is none or the
/// arity is wrong.
pub fn resolve(argv: &Argv) -> Result<&'static CommandSpec, CommandError> {
    resolve_with(argv, commands::lookup(&argv[0]))
}

/// Like [`resolve`], but first tries the command the client ran last: pipelines and benchmarks
/// repeat one command, and a case-insensitive compare of its name is cheaper than a table lookup.
fn resolve_cached(
    argv: &Argv,
    last: &mut Option<&'static CommandSpec>,
) -> Result<&'static CommandSpec, CommandError> {
    let name = &argv[0];
    let top = match *last {
        Some(spec) if spec.name.as_bytes().eq_ignore_ascii_case(name) => Some(spec),
        _ => commands::lookup(name),
    };
    *last = top;
    resolve_with(argv, top)
}

fn resolve_with(
    argv: &Argv,
    top: Option<&'static CommandSpec>,
) -> Result<&'static CommandSpec, CommandError> {
    let Some(spec) = top else {
        return Err(unknown_command(argv));
    };
    if spec.subcommands.is_empty() {
        return if spec.arity_ok(argv.len()) {
            Ok(spec)
        } else {
            Err(wrong_arity(spec.full_name))
        };
    }
    if argv.len() < 2 {
        // A container that also works alone (COMMAND) runs its own handler.
        return if spec.handler.is_some() && spec.arity_ok(argv.len()) {
            Ok(spec)
        } else {
            Err(wrong_arity(spec.full_name))
        };
    }
    match spec.subcommand(&argv[1]) {
        Some(sub) if sub.arity_ok(argv.len()) => Ok(sub),
        Some(sub) => Err(wrong_arity(sub.full_name)),
        None => Err(CommandError::owned(format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            c_str(&argv[1], 128),
            spec.name.to_ascii_uppercase()
        ))),
    }
}

fn unknown_command(argv: &Argv) -> CommandError {
    let mut args = String::new();
    for arg in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push('\'');
        args.push_str(&c_str(arg, room));
        args.push_str("' ");
    }
    CommandError::owned(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        c_str(&argv[0], 128),
        args
    ))
}

/// Runs one command from a client connection, with every check a client command goes through.
pub fn execute(server: &mut Server, client: &mut Client, argv: &Argv) -> Flow {
    let reply_start = client.reply.len();
    let flow = dispatch(server, client, argv);
    client.mirror_multi_state();
    if flow == Flow::Retry {
        // Nothing ran: a CLIENT REPLY SKIP still applies to the command when it runs.
        return flow;
    }
    if client.block_request.is_some() {
        // No reply yet: the reply mode applies when the parked command finally replies.
        return Flow::Block;
    }
    apply_reply_mode(client, reply_start);
    // Like Valkey, clients blocked on keys this command (or a whole EXEC) modified are served before
    // anything else runs.
    if server.blocking.has_ready_keys() {
        crate::blocking::serve_ready_keys(server);
    }
    flow
}

fn reject(
    server: &mut Server,
    client: &mut Client,
    error: &CommandError,
    spec: Option<&'static CommandSpec>,
) {
    if let Some(multi) = client.multi.as_mut() {
        multi.error = true;
    }
    if let Some(spec) = spec {
        server.stats.command(spec).rejected_calls += 1;
    }
    server.stats.count_error(error.message());
    client.reply.error(error.message());
}

/// The name CLIENT LIST shows as `cmd` for a command that failed to resolve: Valkey records the
/// command it looked up even when the arity is wrong, and NULL for an unknown (sub)command.
fn looked_up_name(argv: &Argv) -> &'static str {
    match commands::lookup(&argv[0]) {
        None => "NULL",
        Some(spec) if spec.subcommands.is_empty() || argv.len() < 2 => spec.full_name,
        Some(spec) => spec
            .subcommand(&argv[1])
            .map_or("NULL", |sub| sub.full_name),
    }
}

fn dispatch(server: &mut Server, client: &mut Client, argv: &Argv) -> Flow {
    let resolved = resolve_cached(argv, &mut client.last_top_command);
    // Set here rather than in `call`, so commands run by EXEC leave `exec` as the last command.
    client.shared.borrow_mut().last_command = match resolved {
        Ok(spec) => spec.full_name,
        Err(_) => looked_up_name(argv),
    };
    let spec = match resolved {
        Ok(spec) => spec,
        Err(error) => {
            let known = commands::lookup(&argv[0]);
            reject(server, client, &error, known);
            return Flow::Continue;
        }
    };
    if let Err(error) = commands::server_admin::check_protected(server, client, spec) {
        reject(server, client, &error, Some(spec));
        return Flow::Continue;
    }
    if !client.authenticated && !spec.has(flags::NO_AUTH) {
        reject(
            server,
            client,
            &CommandError::fixed("NOAUTH Authentication required."),
            Some(spec),
        );
        return Flow::Continue;
    }
    if client.multi.is_some() && spec.has(flags::NO_MULTI) {
        reject(
            server,
            client,
            &CommandError::owned(format!(
                "ERR Command '{}' not allowed inside a transaction",
                spec.full_name
            )),
            Some(spec),
        );
        return Flow::Continue;
    }
    if !client.reply.is_resp3()
        && client.shared.borrow().subscriptions.any()
        && !commands::pubsub::allowed_when_subscribed(spec)
    {
        let error = commands::pubsub::not_allowed_when_subscribed(spec);
        reject(server, client, &error, Some(spec));
        return Flow::Continue;
    }
    if let Some(pause) = server.pause {
        if pause.until_ms <= unix_ms() {
            server.pause = None;
        } else if pause_applies(pause.kind, spec, client) {
            return Flow::Retry;
        }
    }
    if client.multi.is_some() && !spec.has(flags::TRANSACTION_CONTROL) {
        if let Some(multi) = client.multi.as_mut() {
            multi.queued.push(argv.clone());
        }
        client.reply.simple(b"QUEUED");
        return Flow::Continue;
    }
    call(server, client, argv, spec);
    if client.close_after_reply {
        Flow::Close
    } else {
        Flow::Continue
    }
}

/// True when an active pause of `kind` holds back this command. Under a WRITE pause Valkey 9.1 holds
/// back writes even when they would only be queued inside MULTI, and EXEC only when its queue holds a
/// write (queued before the pause began).
fn pause_applies(kind: PauseKind, spec: &CommandSpec, client: &Client) -> bool {
    let may_write = |spec: &CommandSpec| spec.has(flags::WRITE) || spec.has(flags::MAY_REPLICATE);
    match kind {
        PauseKind::All => true,
        PauseKind::Write => {
            may_write(spec)
                || (spec.full_name == "exec"
                    && client.multi.as_ref().is_some_and(|multi| {
                        multi
                            .queued
                            .iter()
                            .any(|queued| resolve(queued).is_ok_and(may_write))
                    }))
        }
    }
}

/// Runs a resolved command's handler and records statistics. Used for client commands and for each
/// command of EXEC.
pub fn call(server: &mut Server, client: &mut Client, argv: &Argv, spec: &'static CommandSpec) {
    let Some(handler) = spec.handler else { return };
    let started_us = unix_us();
    let db_index = client.db();
    let allow_touch = {
        let mut shared = client.shared.borrow_mut();
        shared.last_interaction_ms = started_us / 1000;
        shared.commands_processed += 1;
        !shared.no_touch || spec.full_name == "touch"
    };
    keyspace::access::begin_command(&server.config, started_us / 1000, allow_touch);
    crate::notify::before_command(server);
    let mut ctx = Ctx {
        server,
        client,
        argv,
        spec,
        now_ms: started_us / 1000,
        db_index,
    };
    let result = handler(&mut ctx);
    let Ctx { server, client, .. } = ctx;
    crate::notify::announce_key_events(server);
    // Like Valkey, MONITOR shows a command once it ran (so EXEC follows the commands it ran), with
    // the database selected afterwards.
    if !server.monitors.is_empty() && !spec.has(flags::SKIP_MONITOR) && !spec.has(flags::ADMIN) {
        feed_monitors(server, client, argv, spec);
    }
    server.stats.total_commands_processed += 1;
    let stats = server.stats.command(spec);
    stats.calls += 1;
    stats.usec += (unix_us() - started_us).max(0) as u64;
    if let Err(error) = result {
        stats.failed_calls += 1;
        server.stats.count_error(error.message());
        client.reply.error(error.message());
    }
}

/// Which arguments MONITOR hides: passwords of AUTH and of HELLO's AUTH option (Valkey's
/// `redactClientCommandArgument`).
fn redacted(spec: &CommandSpec, argv: &Argv, index: usize) -> bool {
    match spec.full_name {
        "auth" => index >= 1,
        "hello" => argv
            .iter()
            .position(|a| a.eq_ignore_ascii_case(b"auth"))
            .is_some_and(|at| at >= 2 && (index == at + 1 || index == at + 2)),
        _ => false,
    }
}

fn feed_monitors(server: &mut Server, client: &Client, argv: &Argv, spec: &CommandSpec) {
    let (addr, db) = {
        let shared = client.shared.borrow();
        (shared.addr, shared.db)
    };
    let now_us = unix_us();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        now_us / 1_000_000,
        now_us % 1_000_000,
        db,
        addr
    );
    for (index, arg) in argv.iter().enumerate() {
        if redacted(spec, argv, index) {
            line.push_str(" \"(redacted)\"");
            continue;
        }
        line.push_str(" \"");
        for &b in arg {
            match b {
                b'\\' => line.push_str("\\\\"),
                b'"' => line.push_str("\\\""),
                b'\n' => line.push_str("\\n"),
                b'\r' => line.push_str("\\r"),
                b'\t' => line.push_str("\\t"),
                0x07 => line.push_str("\\a"),
                0x08 => line.push_str("\\b"),
                0x20..=0x7e => line.push(char::from(b)),
                other => line.push_str(&format!("\\x{other:02x}")),
            }
        }
        line.push('"');
    }
    line.push_str("\r\n");
    server.feed_monitors(line.as_bytes());
}

/// Drops the reply just written when CLIENT REPLY OFF or SKIP says so.
fn apply_reply_mode(client: &mut Client, reply_start: usize) {
    match client.reply_mode {
        ReplyMode::On => {}
        ReplyMode::Off => client.reply.truncate(reply_start),
        ReplyMode::Skip => {
            client.reply.truncate(reply_start);
            client.reply_mode = ReplyMode::On;
        }
        ReplyMode::SkipNext => client.reply_mode = ReplyMode::Skip,
    }
}
