//! Connection commands: PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH and CLIENT with its
//! subcommands, with Valkey 9.1's replies and error texts.

mod client_list;

use ferry_resp::number::parse_i64;

use crate::client::{queued_command_bytes, ReplyMode};
use crate::commands::{acl, flags, CommandSpec, Ctx, NO_KEYS};
use crate::error::{
    wrong_arity, CommandError, CommandResult, DB_INDEX_OUT_OF_RANGE, NOT_INTEGER, SYNTAX,
};
use crate::server::{unix_ms, Pause, PauseKind};
use client_list::{ClientFilter, ClientView, LocalState};

/// The Valkey version ferry is compatible with (HELLO `version`).
pub const VALKEY_VERSION: &str = "9.1.2";
/// The Redis version Valkey claims with `extended-redis-compatibility yes`.
pub const REDIS_VERSION: &str = "7.2.4";

const CONN: u64 = acl::CONNECTION;
const SLOW_CONN: u64 = acl::SLOW | CONN;
const ADMIN_CONN: u64 = acl::ADMIN | acl::SLOW | acl::DANGEROUS | CONN;
/// Flags every CLIENT subcommand but HELP has.
const CLIENT_FLAGS: u32 = flags::NOSCRIPT | flags::LOADING | flags::STALE;
/// Flags of the commands a connection may send before authenticating.
const PRE_AUTH_FLAGS: u32 = flags::NOSCRIPT
    | flags::LOADING
    | flags::STALE
    | flags::FAST
    | flags::NO_AUTH
    | flags::ALLOW_BUSY;

const fn client_sub(
    name: &'static str,
    full_name: &'static str,
    arity: i32,
    flags: u32,
    acl: u64,
    handler: crate::commands::Handler,
) -> CommandSpec {
    CommandSpec::sub(name, full_name, arity, flags, acl, NO_KEYS, handler)
}

static CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    client_sub(
        "caching",
        "client|caching",
        3,
        CLIENT_FLAGS | flags::ALLOW_BUSY,
        SLOW_CONN,
        client_caching,
    ),
    client_sub(
        "capa",
        "client|capa",
        -3,
        CLIENT_FLAGS | flags::ALLOW_BUSY,
        SLOW_CONN,
        client_capa,
    ),
    client_sub(
        "getname",
        "client|getname",
        2,
        CLIENT_FLAGS | flags::ALLOW_BUSY,
        SLOW_CONN,
        client_getname,
    ),
    client_sub(
        "getredir",
        "client|getredir",
        2,
        CLIENT_FLAGS | flags::ALLOW_BUSY,
        SLOW_CONN,
        client_getredir,
    ),
    client_sub(
        "help",
        "client|help",
        2,
        flags::LOADING | flags::STALE,
        SLOW_CONN,
        client_help,
    ),
    client_sub(
        "id",
        "client|id",
        2,
        CLIENT_FLAGS | flags::ALLOW_BUSY,
        SLOW_CONN,
        client_id,
    ),
    client_sub(
        "import-source",
        "client|import-source",
        3,
        CLIENT_FLAGS,
        SLOW_CONN,
        client_import_source,
    ),
    client_sub(
        "info",
        "client|info",
        2,
        CLIENT_FLAGS,
        SLOW_CONN,
        client_info,
    ),
    client_sub(
        "kill",
        "client|kill",
        -3,
        CLIENT_FLAGS | flags::ADMIN,
        ADMIN_CONN,
        client_kill,
    ),
    client_sub(
        "list",
        "client|list",
        -2,
        CLIENT_FLAGS | flags::ADMIN,
        ADMIN_CONN,
        client_list,
    ),
    client_sub(
        "no-evict",
        "client|no-evict",
        3,
        CLIENT_FLAGS | flags::ADMIN | flags::ALLOW_BUSY,
        ADMIN_CONN,
        client_no_evict,
    ),
    client_sub(
        "no-touch",
        "client|no-touch",
        3,
        CLIENT_FLAGS | flags::ALLOW_BUSY,
        SLOW_CONN,
        client_no_touch,
    ),
    client_sub(
        "pause",
        "client|pause",
        -3,
        CLIENT_FLAGS | flags::ADMIN,
        ADMIN_CONN,
        client_pause,
    ),
    client_sub(
        "reply",
        "client|reply",
        3,
        CLIENT_FLAGS | flags::NO_MULTI | flags::ALLOW_BUSY,
        SLOW_CONN,
        client_reply,
    ),
    client_sub(
        "setinfo",
        "client|setinfo",
        4,
        CLIENT_FLAGS | flags::ALLOW_BUSY,
        SLOW_CONN,
        client_setinfo,
    ),
    client_sub(
        "setname",
        "client|setname",
        3,
        CLIENT_FLAGS | flags::ALLOW_BUSY,
        SLOW_CONN,
        client_setname,
    ),
    client_sub(
        "trackinginfo",
        "client|trackinginfo",
        2,
        CLIENT_FLAGS,
        SLOW_CONN,
        client_trackinginfo,
    ),
    client_sub(
        "unblock",
        "client|unblock",
        -3,
        CLIENT_FLAGS | flags::ADMIN,
        ADMIN_CONN,
        client_unblock,
    ),
    client_sub(
        "unpause",
        "client|unpause",
        2,
        CLIENT_FLAGS | flags::ADMIN,
        ADMIN_CONN,
        client_unpause,
    ),
];

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
        PRE_AUTH_FLAGS | flags::TRANSACTION_CONTROL,
        acl::FAST | CONN,
        NO_KEYS,
        quit,
    ),
    CommandSpec::new(
        "reset",
        1,
        PRE_AUTH_FLAGS | flags::TRANSACTION_CONTROL,
        acl::FAST | CONN,
        NO_KEYS,
        reset,
    ),
    CommandSpec::new(
        "hello",
        -1,
        PRE_AUTH_FLAGS,
        acl::FAST | CONN,
        NO_KEYS,
        hello,
    ),
    CommandSpec::new("auth", -2, PRE_AUTH_FLAGS, acl::FAST | CONN, NO_KEYS, auth),
    CommandSpec::container("client", -2, 0, acl::SLOW, CLIENT_SUBCOMMANDS),
];

const WRONGPASS: CommandError =
    CommandError::fixed("WRONGPASS invalid username-password pair or user is disabled.");
const INVALID_NAME: CommandError =
    CommandError::fixed("ERR Client names cannot contain spaces, newlines or special characters.");

fn ping(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.argc() <= 2
        && !ctx.client.reply.is_resp3()
        && ctx.client.shared.borrow().subscriptions.any()
    {
        // A RESP2 subscriber can only read pushed arrays, so PING answers in that shape.
        let message = ctx.argv.get(1).unwrap_or_default().to_vec();
        let reply = ctx.reply();
        reply.array(2);
        reply.bulk(b"pong");
        reply.bulk(&message);
        return Ok(());
    }
    match ctx.argc() {
        1 => ctx.reply().simple(b"PONG"),
        2 => {
            let message = ctx.argv[1].to_vec();
            ctx.reply().bulk(&message);
        }
        _ => return Err(wrong_arity("ping")),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx<'_>) -> CommandResult {
    let message = ctx.argv[1].to_vec();
    ctx.reply().bulk(&message);
    Ok(())
}

fn select(ctx: &mut Ctx<'_>) -> CommandResult {
    let index = ctx.arg_i64(1)?;
    if i32::try_from(index).is_err() {
        return Err(CommandError::fixed(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
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

/// True when `user`/`password` log in. Only the default user exists: it has no password (and accepts
/// any) while `requirepass` is empty.
fn credentials_valid(ctx: &Ctx<'_>, user: &[u8], password: &[u8]) -> bool {
    let required = ctx.server.config.get("requirepass");
    user == b"default" && (required.is_empty() || required.as_bytes() == password)
}

fn auth(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.argc() > 3 {
        return Err(SYNTAX);
    }
    let (user, password) = if ctx.argc() == 2 {
        if ctx.server.config.get("requirepass").is_empty() {
            return Err(CommandError::fixed(
                "ERR AUTH <password> called without any password configured for the default user. \
                 Are you sure your configuration is correct?",
            ));
        }
        (&b"default"[..], ctx.arg(1))
    } else {
        (ctx.arg(1), ctx.arg(2))
    };
    if !credentials_valid(ctx, user, password) {
        return Err(WRONGPASS);
    }
    ctx.client.authenticated = true;
    ctx.reply().ok();
    Ok(())
}

/// True when `value` may be shown in CLIENT LIST: printable ASCII without spaces.
fn valid_attribute(value: &[u8]) -> bool {
    value.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

fn hello(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut protocol = None;
    let mut next = 1;
    if ctx.argc() >= 2 {
        let version = parse_i64(ctx.arg(1)).ok_or(CommandError::fixed(
            "ERR Protocol version is not an integer or out of range",
        ))?;
        if !(2..=3).contains(&version) {
            return Err(CommandError::fixed("NOPROTO unsupported protocol version"));
        }
        protocol = Some(version as u8);
        next = 2;
    }
    let mut credentials = None;
    let mut name = None;
    while next < ctx.argc() {
        let remaining = ctx.argc() - 1 - next;
        if ctx.arg_is(next, "auth") && remaining >= 2 {
            credentials = Some((next + 1, next + 2));
            next += 3;
        } else if ctx.arg_is(next, "setname") && remaining >= 1 {
            if !valid_attribute(ctx.arg(next + 1)) {
                return Err(INVALID_NAME);
            }
            name = Some(next + 1);
            next += 2;
        } else {
            return Err(CommandError::owned(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(ctx.arg(next))
            )));
        }
    }
    if let Some((user, password)) = credentials {
        if !credentials_valid(ctx, ctx.arg(user), ctx.arg(password)) {
            return Err(WRONGPASS);
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated {
        return Err(CommandError::fixed(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time",
        ));
    }
    if let Some(index) = name {
        ctx.client.shared.borrow_mut().name = ctx.arg(index).to_vec();
    }
    if let Some(version) = protocol {
        ctx.client.set_resp(version);
    }
    let redis_compat = ctx.server.config.get_bool("extended-redis-compatibility");
    let mode = if ctx.server.config.get_bool("cluster-enabled") {
        "cluster"
    } else {
        "standalone"
    };
    let (resp, id) = {
        let shared = ctx.client.shared.borrow();
        (shared.resp, shared.id)
    };
    let reply = ctx.reply();
    reply.map(7);
    reply.bulk(b"server");
    reply.bulk(if redis_compat { b"redis" } else { b"valkey" });
    reply.bulk(b"version");
    reply.bulk(
        if redis_compat {
            REDIS_VERSION
        } else {
            VALKEY_VERSION
        }
        .as_bytes(),
    );
    reply.bulk(b"proto");
    reply.int(i64::from(resp));
    reply.bulk(b"id");
    reply.int(id as i64);
    reply.bulk(b"mode");
    reply.bulk(mode.as_bytes());
    reply.bulk(b"role");
    reply.bulk(b"master");
    reply.bulk(b"modules");
    // Valkey 9.1 runs Lua scripting as a built-in module and lists it here.
    reply.array(1);
    reply.map(4);
    reply.bulk(b"name");
    reply.bulk(b"lua");
    reply.bulk(b"ver");
    reply.int(1);
    reply.bulk(b"path");
    reply.bulk(b"lua");
    reply.bulk(b"args");
    reply.array(0);
    Ok(())
}

/// RESET: back to the state of a new connection, keeping the library name and version and CAPA.
fn reset(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = ctx.client.id();
    ctx.server.monitors.retain(|&monitor| monitor != id);
    ctx.server.pubsub.forget(id);
    ctx.client.multi = None;
    crate::commands::transactions::unwatch_all(ctx.server, ctx.client);
    {
        let mut shared = ctx.client.shared.borrow_mut();
        shared.monitor = false;
        shared.in_multi = false;
        shared.db = 0;
        shared.name.clear();
        shared.no_evict = false;
        shared.no_touch = false;
        shared.import_source = false;
    }
    ctx.client.set_resp(2);
    ctx.client.authenticated = ctx.server.config.get("requirepass").is_empty();
    // REPLY OFF ends; a pending SKIP still swallows this very reply, as in Valkey.
    if ctx.client.reply_mode != ReplyMode::Skip {
        ctx.client.reply_mode = ReplyMode::On;
    }
    ctx.reply().simple(b"RESET");
    Ok(())
}

static CLIENT_HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "CAPA <option> [options...]",
    "    The client claims its some capability options. Options are:",
    "    * REDIRECT",
    "      The client can handle redirection during primary and replica failover in standalone mode.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address.",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to the specified local address.",
    "    * TYPE (NORMAL|PRIMARY|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "    * ID <client-id> [<client-id>...]",
    "      Kill connections by client IDs.",
    "    * MAXAGE <maxage>",
    "      Kill connections older than the specified age.",
    "    * FLAGS <flags>",
    "      Kill connections that include the specified flags.",
    "    * NAME <client-name>",
    "      Kill connections with the specified name.",
    "    * IDLE <idle>",
    "      Kill connections with idle time greater than or equal to <idle> seconds.",
    "    * LIB-NAME <library-name>",
    "      Kill connections with the specified library name.",
    "    * LIB-VER <library-version>",
    "      Kill connections with the specified library version.",
    "    * DB <db-id>",
    "      Kill connections currently operating on the specified database ID.",
    "    * CAPA <capa>",
    "      Kill connections currently with the specified capa.",
    "    * IP <ip>",
    "      Kill connections made from the specified ip.",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|PRIMARY|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "    * USER <username>",
    "      Return clients authenticated by <username>.",
    "    * ADDR <ip:port>",
    "      Return clients connected from the specified address.",
    "    * LADDR <ip:port>",
    "      Return clients connected to the specified local address.",
    "    * ID <client-id> [<client-id>...]",
    "      Return clients with the specified IDs.",
    "    * SKIPME (YES|NO)",
    "      Exclude the current client from the list (default: no).",
    "    * MAXAGE <maxage>",
    "      List connections older than the specified age.",
    "    * FLAGS <flags>",
    "      Return clients with the specified flags.",
    "    * NAME <client-name>",
    "      Return clients with the specified name.",
    "    * IDLE <idle>",
    "      Return clients with idle time greater than or equal to <idle> seconds.",
    "    * LIB-NAME <lib-name>",
    "      Return clients with the specified lib name.",
    "    * LIB-VER <lib-version>",
    "      Return clients with the specified lib version.",
    "    * DB <db-id>",
    "      Return clients currently operating on the specified database ID.",
    "    * CAPA <capa>",
    "      Return connections currently with the specified capa.",
    "    * IP <ip>",
    "      Return connections made from the specified ip.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "IMPORT-SOURCE (ON|OFF)",
    "    Mark this connection as an import source if import-mode is enabled.",
    "    Sync tools can set their connections into 'import-source' state to visit",
    "    expired keys.",
];

fn client_help(ctx: &mut Ctx<'_>) -> CommandResult {
    crate::commands::reply_help(ctx.reply(), b"client", CLIENT_HELP);
    Ok(())
}

fn client_id(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = ctx.client.id();
    ctx.reply().int(id as i64);
    Ok(())
}

fn client_setname(ctx: &mut Ctx<'_>) -> CommandResult {
    if !valid_attribute(ctx.arg(2)) {
        return Err(INVALID_NAME);
    }
    ctx.client.shared.borrow_mut().name = ctx.arg(2).to_vec();
    ctx.reply().ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx<'_>) -> CommandResult {
    let name = ctx.client.shared.borrow().name.clone();
    if name.is_empty() {
        ctx.reply().null();
    } else {
        ctx.reply().bulk(&name);
    }
    Ok(())
}

fn client_setinfo(ctx: &mut Ctx<'_>) -> CommandResult {
    let attribute = ctx.arg(2);
    let is_name = attribute.eq_ignore_ascii_case(b"lib-name");
    if !is_name && !attribute.eq_ignore_ascii_case(b"lib-ver") {
        return Err(CommandError::owned(format!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(attribute)
        )));
    }
    if !valid_attribute(ctx.arg(3)) {
        return Err(CommandError::owned(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(attribute)
        )));
    }
    let value = ctx.arg(3).to_vec();
    {
        let mut shared = ctx.client.shared.borrow_mut();
        if is_name {
            shared.lib_name = value;
        } else {
            shared.lib_ver = value;
        }
    }
    ctx.reply().ok();
    Ok(())
}

/// Parses an ON/OFF argument; anything else is a syntax error.
fn on_off(ctx: &Ctx<'_>, index: usize) -> Result<bool, CommandError> {
    if ctx.arg_is(index, "on") {
        Ok(true)
    } else if ctx.arg_is(index, "off") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn client_no_evict(ctx: &mut Ctx<'_>) -> CommandResult {
    let on = on_off(ctx, 2)?;
    ctx.client.shared.borrow_mut().no_evict = on;
    ctx.reply().ok();
    Ok(())
}

fn client_no_touch(ctx: &mut Ctx<'_>) -> CommandResult {
    let on = on_off(ctx, 2)?;
    ctx.client.shared.borrow_mut().no_touch = on;
    ctx.reply().ok();
    Ok(())
}

fn client_import_source(ctx: &mut Ctx<'_>) -> CommandResult {
    if !ctx.server.config.get_bool("import-mode") && !ctx.arg_is(2, "off") {
        return Err(CommandError::fixed("ERR Server is not in import mode"));
    }
    let on = on_off(ctx, 2)?;
    ctx.client.shared.borrow_mut().import_source = on;
    ctx.reply().ok();
    Ok(())
}

fn client_capa(ctx: &mut Ctx<'_>) -> CommandResult {
    if (2..ctx.argc()).any(|index| ctx.arg_is(index, "redirect")) {
        ctx.client.shared.borrow_mut().capa_redirect = true;
    }
    ctx.reply().ok();
    Ok(())
}

fn client_reply(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.arg_is(2, "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.reply().ok();
    } else if ctx.arg_is(2, "off") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if ctx.arg_is(2, "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(SYNTAX);
    }
    Ok(())
}

/// What the calling connection knows about itself for CLIENT INFO/LIST.
fn local_state(ctx: &Ctx<'_>) -> LocalState {
    LocalState {
        argv_mem: ctx.argv.byte_len(),
        multi: ctx.client.multi.as_ref().map(|multi| {
            let bytes = multi.queued.iter().map(queued_command_bytes).sum();
            (multi.queued.len(), bytes)
        }),
        output_len: ctx.client.reply.len(),
        close_after_reply: ctx.client.close_after_reply,
    }
}

fn client_info(ctx: &mut Ctx<'_>) -> CommandResult {
    let local = local_state(ctx);
    let mut text = String::new();
    ClientView::new(&ctx.client.shared.borrow(), Some(local)).write_line(&mut text, ctx.now_ms);
    text.push('\n');
    ctx.reply().verbatim(b"txt", text.as_bytes());
    Ok(())
}

fn client_list(ctx: &mut Ctx<'_>) -> CommandResult {
    let filter = match ctx.argc() {
        2 => ClientFilter::default(),
        3 => return Err(SYNTAX),
        _ => ClientFilter::parse(ctx.argv, 2, ctx.server.dbs.len())?,
    };
    let skip_me = filter.skip_me.unwrap_or(false);
    let my_id = ctx.client.id();
    let local = local_state(ctx);
    let mut text = String::new();
    for (&id, shared) in &ctx.server.clients {
        if skip_me && id == my_id {
            continue;
        }
        let shared = shared.borrow();
        let view = ClientView::new(&shared, (id == my_id).then_some(local));
        if filter.matches(&view, ctx.now_ms) {
            view.write_line(&mut text, ctx.now_ms);
            text.push('\n');
        }
    }
    ctx.reply().verbatim(b"txt", text.as_bytes());
    Ok(())
}

/// CLIENT KILL addr | CLIENT KILL filter...: closes every matching connection. Another connection is
/// dropped from the registry at once and its task woken to close the socket; the caller itself
/// closes after this reply.
fn client_kill(ctx: &mut Ctx<'_>) -> CommandResult {
    let old_form = ctx.argc() == 3;
    let filter = if old_form {
        ClientFilter::by_addr(ctx.arg(2))
    } else {
        ClientFilter::parse(ctx.argv, 2, ctx.server.dbs.len())?
    };
    // The old form may kill the caller; the new one skips it unless SKIPME NO.
    let skip_me = !old_form && filter.skip_me.unwrap_or(true);
    let my_id = ctx.client.id();
    let local = local_state(ctx);
    let mut victims = Vec::new();
    for (&id, shared) in &ctx.server.clients {
        if skip_me && id == my_id {
            continue;
        }
        let shared = shared.borrow();
        let view = ClientView::new(&shared, (id == my_id).then_some(local));
        if filter.matches(&view, ctx.now_ms) {
            victims.push(id);
        }
    }
    let mut close_me = false;
    for &id in &victims {
        if id == my_id {
            close_me = true;
            continue;
        }
        if let Some(shared) = ctx.server.clients.remove(&id) {
            let mut shared = shared.borrow_mut();
            shared.kill = true;
            shared.wakeup.notify_one();
        }
        ctx.server.monitors.retain(|&monitor| monitor != id);
        ctx.server.pubsub.forget(id);
    }
    if old_form {
        if victims.is_empty() {
            return Err(CommandError::fixed("ERR No such client"));
        }
        ctx.reply().ok();
    } else {
        ctx.reply().int(victims.len() as i64);
    }
    if close_me {
        ctx.client.close_after_reply = true;
    }
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE|ALL]: a later end time and the stricter mode win over an active pause.
fn client_pause(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut kind = PauseKind::All;
    // Valkey only looks at the mode when it is the last argument.
    if ctx.argc() == 4 {
        if ctx.arg_is(3, "write") {
            kind = PauseKind::Write;
        } else if !ctx.arg_is(3, "all") {
            return Err(CommandError::fixed(
                "ERR CLIENT PAUSE mode must be WRITE or ALL",
            ));
        }
    }
    let timeout = parse_i64(ctx.arg(2)).ok_or(CommandError::fixed(
        "ERR timeout is not an integer or out of range",
    ))?;
    if timeout < 0 {
        return Err(CommandError::fixed("ERR timeout is negative"));
    }
    let now = ctx.now_ms;
    let until_ms = if timeout > 0 {
        now.checked_add(timeout)
            .ok_or(CommandError::fixed("ERR timeout is out of range"))?
    } else {
        0
    };
    let active = ctx.server.pause.filter(|pause| pause.until_ms > unix_ms());
    if let Some(active) = active {
        if active.kind == PauseKind::All {
            kind = PauseKind::All;
        }
    }
    let until_ms = until_ms.max(active.map_or(0, |pause| pause.until_ms));
    ctx.server.pause = Some(Pause { kind, until_ms });
    ctx.reply().ok();
    Ok(())
}

fn client_unpause(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.server.pause = None;
    ctx.reply().ok();
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends a blocking command's wait as if it timed out, or with an
/// UNBLOCKED error. Like Valkey, the reason is only checked when it is the last argument.
fn client_unblock(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.argc() == 4 && !ctx.arg_is(3, "timeout") && !ctx.arg_is(3, "error") {
        return Err(CommandError::fixed(
            "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
        ));
    }
    let id = parse_i64(ctx.arg(2)).ok_or(NOT_INTEGER)?;
    let unblocked = match u64::try_from(id) {
        Ok(id) if ctx.argc() == 4 && ctx.arg_is(3, "error") => ctx
            .server
            .blocking
            .fail(id, "UNBLOCKED client unblocked via CLIENT UNBLOCK"),
        Ok(id) => ctx.server.blocking.time_out(id),
        Err(_) => false,
    };
    ctx.reply().int(i64::from(unblocked));
    Ok(())
}

// Client-side caching (CLIENT TRACKING) is not implemented, so tracking is always off: the
// subcommands that only report or depend on it answer as Valkey does for a non-tracking client.

fn client_caching(_ctx: &mut Ctx<'_>) -> CommandResult {
    Err(CommandError::fixed(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or \
         OPTOUT mode enabled",
    ))
}

fn client_getredir(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.reply().int(-1);
    Ok(())
}

fn client_trackinginfo(ctx: &mut Ctx<'_>) -> CommandResult {
    let reply = ctx.reply();
    reply.map(3);
    reply.bulk(b"flags");
    reply.set(1);
    reply.bulk(b"off");
    reply.bulk(b"redirect");
    reply.int(-1);
    reply.bulk(b"prefixes");
    reply.array(0);
    Ok(())
}
