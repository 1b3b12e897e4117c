//! Publish/subscribe commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and the PUBSUB
//! introspection container, with Valkey's confirmations, counts and texts. The registry itself is
//! `crate::pubsub`; the RESP2 subscribed-context rule is applied by the dispatcher (`exec.rs`).

use crate::commands::{acl, flags, reply_help, CommandSpec, Ctx, KeySpec, KEY1, NO_KEYS};
use crate::error::{CommandError, CommandResult};
use crate::pubsub::Kind;

const SUBSCRIBE_FLAGS: u32 = flags::PUBSUB | flags::NOSCRIPT | flags::LOADING | flags::STALE;
const PUBLISH_FLAGS: u32 = flags::PUBSUB | flags::LOADING | flags::STALE | flags::FAST;
const INTROSPECTION_FLAGS: u32 = flags::PUBSUB | flags::LOADING | flags::STALE;
const SLOW: u64 = acl::PUBSUB | acl::SLOW;
/// Shard channels are declared as (non-key) key arguments, for cluster slot routing.
const ALL_CHANNELS: KeySpec = KeySpec {
    first: 1,
    last: -1,
    step: 1,
};

/// The subcommands of PUBSUB.
static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::sub(
        "channels",
        "pubsub|channels",
        -2,
        INTROSPECTION_FLAGS,
        SLOW,
        NO_KEYS,
        channels,
    ),
    CommandSpec::sub(
        "help",
        "pubsub|help",
        2,
        flags::LOADING | flags::STALE,
        acl::SLOW,
        NO_KEYS,
        help,
    ),
    CommandSpec::sub(
        "numpat",
        "pubsub|numpat",
        2,
        INTROSPECTION_FLAGS,
        SLOW,
        NO_KEYS,
        numpat,
    ),
    CommandSpec::sub(
        "numsub",
        "pubsub|numsub",
        -2,
        INTROSPECTION_FLAGS,
        SLOW,
        NO_KEYS,
        numsub,
    ),
    CommandSpec::sub(
        "shardchannels",
        "pubsub|shardchannels",
        -2,
        INTROSPECTION_FLAGS,
        SLOW,
        NO_KEYS,
        shardchannels,
    ),
    CommandSpec::sub(
        "shardnumsub",
        "pubsub|shardnumsub",
        -2,
        INTROSPECTION_FLAGS,
        SLOW,
        NO_KEYS,
        shardnumsub,
    ),
];

/// Publish/subscribe commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("subscribe", -2, SUBSCRIBE_FLAGS, SLOW, NO_KEYS, subscribe),
    CommandSpec::new(
        "unsubscribe",
        -1,
        SUBSCRIBE_FLAGS,
        SLOW,
        NO_KEYS,
        unsubscribe,
    ),
    CommandSpec::new("psubscribe", -2, SUBSCRIBE_FLAGS, SLOW, NO_KEYS, psubscribe),
    CommandSpec::new(
        "punsubscribe",
        -1,
        SUBSCRIBE_FLAGS,
        SLOW,
        NO_KEYS,
        punsubscribe,
    ),
    CommandSpec::new(
        "ssubscribe",
        -2,
        SUBSCRIBE_FLAGS,
        SLOW,
        ALL_CHANNELS,
        ssubscribe,
    ),
    CommandSpec::new(
        "sunsubscribe",
        -1,
        SUBSCRIBE_FLAGS,
        SLOW,
        ALL_CHANNELS,
        sunsubscribe,
    ),
    CommandSpec::new(
        "publish",
        3,
        PUBLISH_FLAGS,
        acl::PUBSUB | acl::FAST,
        NO_KEYS,
        publish,
    ),
    CommandSpec::new(
        "spublish",
        3,
        PUBLISH_FLAGS,
        acl::PUBSUB | acl::FAST,
        KEY1,
        spublish,
    ),
    CommandSpec::container("pubsub", -2, 0, acl::SLOW, PUBSUB_SUBCOMMANDS),
];

/// The commands a RESP2 connection may run while it holds subscriptions.
pub fn allowed_when_subscribed(spec: &CommandSpec) -> bool {
    matches!(
        spec.full_name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// The error a RESP2 subscribed connection gets for any other command.
pub fn not_allowed_when_subscribed(spec: &CommandSpec) -> CommandError {
    CommandError::owned(format!(
        "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are \
         allowed in this context",
        spec.full_name
    ))
}

fn subscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    subscribe_to(ctx, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    subscribe_to(ctx, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    // Valkey denies blocking inside EXEC; SUBSCRIBE and PSUBSCRIBE are let through there for
    // backward compatibility, SSUBSCRIBE is not.
    if ctx.client.in_exec {
        return Err(CommandError::fixed(
            "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    subscribe_to(ctx, Kind::ShardChannel)
}

fn unsubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    unsubscribe_from(ctx, Kind::Channel)
}

fn punsubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    unsubscribe_from(ctx, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut Ctx<'_>) -> CommandResult {
    unsubscribe_from(ctx, Kind::ShardChannel)
}

/// One confirmation per argument, each with the count after it, even for a repeated name.
fn subscribe_to(ctx: &mut Ctx<'_>, kind: Kind) -> CommandResult {
    let shared = ctx.client.shared.clone();
    for name in ctx.argv.iter().skip(1) {
        ctx.server.pubsub.subscribe(kind, &shared, name);
        let count = shared.borrow().subscriptions.reported(kind);
        let reply = &mut ctx.client.reply;
        reply.push(3);
        reply.bulk(kind.subscribe_word());
        reply.bulk(name);
        reply.int(count as i64);
    }
    Ok(())
}

/// One confirmation per name; without names, one per current subscription of the kind, or a single
/// confirmation with a null name when there is none.
fn unsubscribe_from(ctx: &mut Ctx<'_>, kind: Kind) -> CommandResult {
    let id = ctx.client.id();
    let names: Vec<Vec<u8>> = if ctx.argc() == 1 {
        ctx.server.pubsub.subscriptions(kind, id)
    } else {
        ctx.argv.iter().skip(1).map(<[u8]>::to_vec).collect()
    };
    if names.is_empty() {
        let count = ctx.server.pubsub.counts(id).reported(kind);
        let reply = &mut ctx.client.reply;
        reply.push(3);
        reply.bulk(kind.unsubscribe_word());
        reply.null();
        reply.int(count as i64);
        return Ok(());
    }
    for name in names {
        ctx.server.pubsub.unsubscribe(kind, id, &name);
        let count = ctx.server.pubsub.counts(id).reported(kind);
        let reply = &mut ctx.client.reply;
        reply.push(3);
        reply.bulk(kind.unsubscribe_word());
        reply.bulk(&name);
        reply.int(count as i64);
    }
    Ok(())
}

fn publish(ctx: &mut Ctx<'_>) -> CommandResult {
    publish_to(ctx, false)
}

fn spublish(ctx: &mut Ctx<'_>) -> CommandResult {
    publish_to(ctx, true)
}

fn publish_to(ctx: &mut Ctx<'_>, shard: bool) -> CommandResult {
    let published = ctx.server.pubsub.publish(
        shard,
        &ctx.argv[1],
        &ctx.argv[2],
        &ctx.server.config,
        ctx.now_ms,
    );
    ctx.server.stats.output_buffer_limit_disconnections += published.disconnected as u64;
    ctx.reply().int(published.receivers as i64);
    Ok(())
}

/// PUBSUB CHANNELS and SHARDCHANNELS take at most one pattern; more is Valkey's generic subcommand
/// error naming the subcommand as typed.
fn list_channels(ctx: &mut Ctx<'_>, shard: bool) -> CommandResult {
    if ctx.argc() > 3 {
        return Err(CommandError::owned(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(ctx.arg(1))
        )));
    }
    let pattern = ctx.argv.get(2);
    let names = ctx.server.pubsub.channel_names(shard, pattern);
    let reply = &mut ctx.client.reply;
    reply.array(names.len());
    for name in names {
        reply.bulk(name);
    }
    Ok(())
}

fn channels(ctx: &mut Ctx<'_>) -> CommandResult {
    list_channels(ctx, false)
}

fn shardchannels(ctx: &mut Ctx<'_>) -> CommandResult {
    list_channels(ctx, true)
}

fn count_subscribers(ctx: &mut Ctx<'_>, shard: bool) -> CommandResult {
    let reply = &mut ctx.client.reply;
    reply.array((ctx.argv.len() - 2) * 2);
    for channel in ctx.argv.iter().skip(2) {
        reply.bulk(channel);
        reply.int(ctx.server.pubsub.subscriber_count(shard, channel) as i64);
    }
    Ok(())
}

fn numsub(ctx: &mut Ctx<'_>) -> CommandResult {
    count_subscribers(ctx, false)
}

fn shardnumsub(ctx: &mut Ctx<'_>) -> CommandResult {
    count_subscribers(ctx, true)
}

fn numpat(ctx: &mut Ctx<'_>) -> CommandResult {
    let patterns = ctx.server.pubsub.pattern_count();
    ctx.reply().int(patterns as i64);
    Ok(())
}

static PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

fn help(ctx: &mut Ctx<'_>) -> CommandResult {
    reply_help(&mut ctx.client.reply, &ctx.argv[0], PUBSUB_HELP);
    Ok(())
}
