//! Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH, with Valkey's semantics — EXECABORT after a
//! queueing error, and WATCH invalidated by writes, flushes, swaps and expiry.

use crate::client::{Client, MultiState};
use crate::commands::{acl, flags, CommandSpec, Ctx, NO_KEYS};
use crate::error::CommandResult;
use crate::exec;
use crate::server::Server;

const TX: u32 = flags::NOSCRIPT
    | flags::LOADING
    | flags::STALE
    | flags::FAST
    | flags::ALLOW_BUSY
    | flags::TRANSACTION_CONTROL;
const TX_ACL: u64 = acl::FAST | acl::TRANSACTION;

/// Transaction commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("multi", 1, TX | flags::NO_MULTI, TX_ACL, NO_KEYS, multi),
    CommandSpec::new(
        "exec",
        1,
        flags::NOSCRIPT
            | flags::LOADING
            | flags::STALE
            | flags::SKIP_SLOWLOG
            | flags::TRANSACTION_CONTROL,
        acl::SLOW | acl::TRANSACTION,
        NO_KEYS,
        exec_command,
    ),
    CommandSpec::new("discard", 1, TX, TX_ACL, NO_KEYS, discard),
    CommandSpec::new(
        "watch",
        -2,
        TX | flags::NO_MULTI,
        TX_ACL,
        crate::commands::KeySpec {
            first: 1,
            last: -1,
            step: 1,
        },
        watch,
    ),
    CommandSpec::new("unwatch", 1, TX, TX_ACL, NO_KEYS, unwatch),
];

fn multi(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.client.multi.is_some() {
        return Err(crate::error::CommandError::fixed(
            "ERR MULTI calls can not be nested",
        ));
    }
    ctx.client.multi = Some(MultiState::default());
    ctx.client.shared.borrow_mut().in_multi = true;
    ctx.reply().ok();
    Ok(())
}

fn discard(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.client.multi.is_none() {
        return Err(crate::error::CommandError::fixed(
            "ERR DISCARD without MULTI",
        ));
    }
    end_transaction(ctx.server, ctx.client);
    ctx.reply().ok();
    Ok(())
}

/// Leaves MULTI state and forgets every watched key.
fn end_transaction(server: &mut Server, client: &mut Client) {
    client.multi = None;
    client.shared.borrow_mut().in_multi = false;
    unwatch_all(server, client);
}

/// True when a key watched while it existed has expired since (Valkey aborts EXEC then).
fn watched_key_expired(server: &Server, client: &Client, now_ms: i64) -> bool {
    client.watched.iter().any(|(db, key, expired_at_watch)| {
        !expired_at_watch && server.dbs[*db].is_expired(key, now_ms)
    })
}

fn exec_command(ctx: &mut Ctx<'_>) -> CommandResult {
    let Some(multi) = ctx.client.multi.take() else {
        return Err(crate::error::CommandError::fixed("ERR EXEC without MULTI"));
    };
    if multi.error {
        end_transaction(ctx.server, ctx.client);
        return Err(crate::error::CommandError::fixed(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    let aborted = ctx.client.shared.borrow().dirty_cas
        || watched_key_expired(ctx.server, ctx.client, ctx.now_ms);
    end_transaction(ctx.server, ctx.client);
    if aborted {
        ctx.reply().null_array();
        return Ok(());
    }
    ctx.reply().array(multi.queued.len());
    ctx.client.in_exec = true;
    for argv in &multi.queued {
        match exec::resolve(argv) {
            Ok(spec) => exec::call(ctx.server, ctx.client, argv, spec),
            Err(error) => ctx.reply().error(error.message()),
        }
    }
    ctx.client.in_exec = false;
    Ok(())
}

fn watch(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.client.multi.is_some() {
        return Err(crate::error::CommandError::fixed(
            "ERR WATCH inside MULTI is not allowed",
        ));
    }
    let id = ctx.client.id();
    for index in 1..ctx.argc() {
        let key = ctx.arg(index).to_vec();
        if ctx
            .client
            .watched
            .iter()
            .any(|(db, k, _)| *db == ctx.db_index && *k == key)
        {
            continue;
        }
        let db = &ctx.server.dbs[ctx.db_index];
        let expired = db.peek(&key).is_some() && db.is_expired(&key, ctx.now_ms);
        ctx.server
            .watched_keys
            .entry((ctx.db_index, key.clone()))
            .or_default()
            .push(id);
        ctx.client.watched.push((ctx.db_index, key, expired));
    }
    ctx.client.shared.borrow_mut().watched_keys = ctx.client.watched.len();
    ctx.reply().ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx<'_>) -> CommandResult {
    unwatch_all(ctx.server, ctx.client);
    ctx.reply().ok();
    Ok(())
}

/// Forgets every key `client` watches and clears its dirty flag.
pub fn unwatch_all(server: &mut Server, client: &mut Client) {
    let id = client.id();
    for (db, key, _) in client.watched.drain(..) {
        let slot = (db, key);
        if let Some(watchers) = server.watched_keys.get_mut(&slot) {
            watchers.retain(|&w| w != id);
            if watchers.is_empty() {
                server.watched_keys.remove(&slot);
            }
        }
    }
    let mut shared = client.shared.borrow_mut();
    shared.dirty_cas = false;
    shared.watched_keys = 0;
}
