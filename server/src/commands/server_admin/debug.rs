//! DEBUG: the subcommands ferry supports (SLEEP, OBJECT, SET-ACTIVE-EXPIRE, PROTOCOL, ERROR, LOG,
//! CHANGE-REPL-ID, HELP), with Valkey's argument counts, reply formats and error texts.

use ferry_resp::number::parse_f64;

use crate::commands::Ctx;
use crate::error::{CommandError, CommandResult, NO_SUCH_KEY};
use crate::types::Value;

/// DEBUG's help text: every subcommand Valkey 9.1 documents, so clients see the same help.
const HELP: &[&str] = &[
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a RESP protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate error replies.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid> [full]",
    "    Return hash table statistics of the specified database.",
    "HTSTATS-KEY <key> [full]",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "OBJECT <key> [fast]",
    "    Show low level info about `key` and associated value.",
    "    Some fields of the default behavior may be time consuming to fetch,",
    "    and `fast` can be passed to avoid fetching them.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets or -2 to drop all packets.",
    "CLOSE-CLUSTER-LINK-ON-PACKET-DROP <0|1>",
    "    This is valid only when DROP-CLUSTER-PACKET-FILTER is set to a valid packet type.",
    "    When set to 1, the cluster link is closed after dropping a packet based on the filter.",
    "DISABLE-CLUSTER-RANDOM-PING <0|1>",
    "    Disable sending cluster ping to a random node every second.",
    "DISABLE-CLUSTER-RECONNECTION <0|1>",
    "    Disable cluster reconnection of cluster nodes.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "PAUSE-AFTER-FORK <0|1>",
    "    Stop the server's main process after fork.",
    "DELAY-RDB-CLIENT-FREE-SECOND <seconds>",
    "    Grace period in seconds for replica main channel to establish psync.",
    "DICT-RESIZING <0|1>",
    "    Enable or disable the main dict and expire dict resizing.",
    "HASHTABLE-CAN-ABORT-SHRINK <0|1>",
    "    Enable or disable the hashtable shrink abort.",
    "CLIENT-ENFORCE-REPLY-LIST <0|1>",
    "    When set to 1, it enforces the use of the client reply list directly",
    "    and avoids using the client's static buffer.",
    "SLOTMIGRATION PREVENT-PAUSE <0|1>",
    "    When set to 1, slot migrations will be prevented from pausing on the source node.",
    "SLOTMIGRATION PREVENT-FAILOVER <0|1>",
    "    When set to 1, slot migrations will be prevented from performing the slot-level failover on the target node.",
    "FORCE-FREE-PRIMARY-ASYNC <0|1>",
    "    Force freeClient on primary to use async path.",
    "PROTECT-CLIENT <id>",
    "    Protect a client from being freed, forcing deferred close.",
    "FORCE-TLS-WRITE-ERROR <0|1>",
    "    Force TLS write error for testing.",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
];

/// DEBUG's error for an unknown subcommand or a wrong argument count, naming the subcommand as typed.
fn syntax_error(subcommand: &[u8]) -> CommandError {
    let end = subcommand
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(subcommand.len())
        .min(128);
    CommandError::owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
        String::from_utf8_lossy(&subcommand[..end])
    ))
}

/// C's `atoi`: leading spaces, a sign, then digits; anything else ends the number (0 if none).
fn atoi(text: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(text);
    let trimmed = text.trim_start();
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |acc, d| {
            acc.wrapping_mul(10).wrapping_add(i64::from(d - b'0'))
        });
    if negative {
        -value
    } else {
        value
    }
}

/// The DEBUG command.
pub fn debug(ctx: &mut Ctx<'_>) -> CommandResult {
    let subcommand = ctx.arg(1).to_ascii_lowercase();
    let argc = ctx.argc();
    match (subcommand.as_slice(), argc) {
        (b"help", 2) => {
            let command = ctx.argv[0].to_vec();
            crate::commands::reply_help(ctx.reply(), &command, HELP);
        }
        (b"sleep", 3) => {
            // Like strtod: text that is not a number sleeps for 0 seconds.
            let seconds = parse_f64(ctx.arg(2)).unwrap_or(0.0);
            if seconds.is_finite() && seconds > 0.0 {
                std::thread::sleep(std::time::Duration::from_secs_f64(seconds.min(1e9)));
            }
            ctx.reply().ok();
        }
        (b"set-active-expire", 3) => {
            ctx.server.active_expire_enabled = atoi(ctx.arg(2)) != 0;
            ctx.reply().ok();
        }
        (b"object", 3 | 4) => object(ctx)?,
        (b"protocol", 3) => protocol(ctx)?,
        (b"error", 3) => {
            return Err(CommandError::owned(format!(
                "-{}",
                String::from_utf8_lossy(ctx.arg(2))
            )));
        }
        (b"log", 3) => {
            eprintln!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.arg(2)));
            ctx.reply().ok();
        }
        (b"change-repl-id", 2) => {
            let id: String = (0..40)
                .map(|_| {
                    char::from_digit(rand::Rng::gen_range(&mut ctx.server.rng, 0..16), 16)
                        .unwrap_or('0')
                })
                .collect();
            ctx.server.replication_id = id;
            ctx.reply().ok();
        }
        _ => return Err(syntax_error(ctx.arg(1))),
    }
    Ok(())
}

fn object(ctx: &mut Ctx<'_>) -> CommandResult {
    let fast = ctx.argc() == 4 && ctx.arg_is(3, "fast");
    let db = &ctx.server.dbs[ctx.db_index];
    let Some(value) = db.peek(ctx.arg(2)) else {
        return Err(NO_SUCH_KEY);
    };
    // ferry keeps no per-key access clock yet: report the current LRU clock, idle for 0 seconds.
    let lru_clock = (crate::server::unix_ms() / 1000) & ((1 << 24) - 1);
    let mut text = format!(
        "Value at:{:p} refcount:1 encoding:{}",
        value as *const Value,
        value.encoding_name()
    );
    if !fast {
        text.push_str(&format!(
            " serializedlength:{}",
            crate::rdb_bridge::serialized_length(value)
        ));
    }
    text.push_str(&format!(" lru:{lru_clock} lru_seconds_idle:0"));
    if let Value::List(list) = value {
        text.push_str(&list.debug_fields(fast));
    }
    ctx.reply().simple(text.as_bytes());
    Ok(())
}

fn protocol(ctx: &mut Ctx<'_>) -> CommandResult {
    let name = ctx.arg(2).to_ascii_lowercase();
    let reply = &mut ctx.client.reply;
    let resp3 = reply.is_resp3();
    match name.as_slice() {
        b"string" => reply.bulk(b"Hello World"),
        b"integer" => reply.int(12345),
        // The value Valkey sends, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => reply.double(3.141),
        b"bignum" => reply.big_number(b"1234567999999999999999999999999999999"),
        b"null" => reply.null(),
        b"array" | b"set" => {
            if name == b"array" {
                reply.array(3);
            } else {
                reply.set(3);
            }
            for n in 0..3 {
                reply.int(n);
            }
        }
        b"map" => {
            reply.map(3);
            for n in 0..3 {
                reply.int(n);
                reply.boolean(n == 1);
            }
        }
        b"attrib" => {
            if resp3 {
                reply.attribute(1);
                reply.bulk(b"key-popularity");
                reply.array(2);
                reply.bulk(b"key:123");
                reply.int(90);
            }
            reply.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !resp3 {
                return Err(CommandError::fixed(
                    "ERR RESP2 is not supported by this command",
                ));
            }
            reply.push(2);
            reply.bulk(b"server-cpu-usage");
            reply.int(42);
            reply.bulk(b"Some real reply following the push reply");
        }
        b"verbatim" => reply.verbatim(b"txt", b"This is a verbatim\nstring"),
        b"true" => reply.boolean(true),
        b"false" => reply.boolean(false),
        _ => {
            return Err(CommandError::fixed(
                "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(atoi(b" -2x"), -2);
    }
}
