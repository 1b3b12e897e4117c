//! The command table and the context handlers run in. Each family module exports a static slice of
//! `CommandSpec`s; together they are the one table that drives dispatch, arity errors and COMMAND.

pub mod bitmaps;
pub mod connection;
pub mod dump;
pub mod geo;
pub mod hashes;
pub mod hyperloglog;
pub mod introspection;
pub mod keys;
pub mod lists;
pub mod pubsub;
mod scan;
pub mod server_admin;
pub mod sets;
pub mod sort;
pub mod sorted_sets;
pub mod strings;
pub mod transactions;

use foldhash::HashMap;
use foldhash::HashMapExt as _;
use std::sync::OnceLock;

use ferry_resp::number::{parse_f64, parse_i64};
use ferry_resp::{Argv, ReplyBuffer};

use crate::blocking::{BlockRequest, TimeoutReply};
use crate::client::Client;
use crate::error::{CommandError, CommandResult, NOT_FLOAT, NOT_INTEGER};
use crate::keyspace::Db;
use crate::server::Server;
use crate::types::Value;

/// Command flags (`COMMAND INFO` flags and dispatch rules).
pub mod flags {
    /// May modify the keyspace.
    pub const WRITE: u32 = 1 << 0;
    /// Only reads.
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory: refused when over maxmemory.
    pub const DENYOOM: u32 = 1 << 2;
    /// Administrative.
    pub const ADMIN: u32 = 1 << 3;
    /// Pub/sub related.
    pub const PUBSUB: u32 = 1 << 4;
    /// Not allowed from scripts.
    pub const NOSCRIPT: u32 = 1 << 5;
    /// May block the client.
    pub const BLOCKING: u32 = 1 << 6;
    /// Allowed while loading.
    pub const LOADING: u32 = 1 << 7;
    /// Allowed on a stale replica.
    pub const STALE: u32 = 1 << 8;
    /// Not shown to MONITOR.
    pub const SKIP_MONITOR: u32 = 1 << 9;
    /// Not recorded in the slow log.
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    /// O(1) or O(log N).
    pub const FAST: u32 = 1 << 11;
    /// Allowed before authentication.
    pub const NO_AUTH: u32 = 1 << 12;
    /// May replicate even though it is not a write.
    pub const MAY_REPLICATE: u32 = 1 << 13;
    /// Not allowed inside MULTI.
    pub const NO_MULTI: u32 = 1 << 14;
    /// Allowed while a script is busy.
    pub const ALLOW_BUSY: u32 = 1 << 15;
    /// Key arguments are found by a function, not by first/last/step.
    pub const MOVABLE_KEYS: u32 = 1 << 16;
    /// Runs immediately even inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET).
    pub const TRANSACTION_CONTROL: u32 = 1 << 17;
    /// Keys are optional (e.g. with numkeys 0 allowed).
    pub const NO_MANDATORY_KEYS: u32 = 1 << 18;

    /// Flag names in the order COMMAND INFO lists them.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories (`COMMAND INFO` categories).
pub mod acl {
    /// @keyspace
    pub const KEYSPACE: u64 = 1 << 0;
    /// @read
    pub const READ: u64 = 1 << 1;
    /// @write
    pub const WRITE: u64 = 1 << 2;
    /// @set
    pub const SET: u64 = 1 << 3;
    /// @sortedset
    pub const SORTEDSET: u64 = 1 << 4;
    /// @list
    pub const LIST: u64 = 1 << 5;
    /// @hash
    pub const HASH: u64 = 1 << 6;
    /// @string
    pub const STRING: u64 = 1 << 7;
    /// @bitmap
    pub const BITMAP: u64 = 1 << 8;
    /// @hyperloglog
    pub const HYPERLOGLOG: u64 = 1 << 9;
    /// @geo
    pub const GEO: u64 = 1 << 10;
    /// @stream
    pub const STREAM: u64 = 1 << 11;
    /// @pubsub
    pub const PUBSUB: u64 = 1 << 12;
    /// @admin
    pub const ADMIN: u64 = 1 << 13;
    /// @fast
    pub const FAST: u64 = 1 << 14;
    /// @slow
    pub const SLOW: u64 = 1 << 15;
    /// @blocking
    pub const BLOCKING: u64 = 1 << 16;
    /// @dangerous
    pub const DANGEROUS: u64 = 1 << 17;
    /// @connection
    pub const CONNECTION: u64 = 1 << 18;
    /// @transaction
    pub const TRANSACTION: u64 = 1 << 19;
    /// @scripting
    pub const SCRIPTING: u64 = 1 << 20;

    /// Category names in bit order.
    pub const NAMES: &[(u64, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}

/// A command handler: parses `ctx.argv`, runs, and writes exactly one reply (or returns an error,
/// having written nothing).
pub type Handler = fn(&mut Ctx<'_>) -> CommandResult;

/// Where a command's key arguments are.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// Index of the first key (0 when the command has no keys).
    pub first: i32,
    /// Index of the last key; negative counts from the end (-1 = last argument).
    pub last: i32,
    /// Distance between keys.
    pub step: i32,
}

/// No key arguments.
pub const NO_KEYS: KeySpec = KeySpec {
    first: 0,
    last: 0,
    step: 0,
};
/// One key at index 1.
pub const KEY1: KeySpec = KeySpec {
    first: 1,
    last: 1,
    step: 1,
};
/// Keys at 1 and 2 (LMOVE, SMOVE, RENAME, COPY, LCS, GEOSEARCHSTORE, ZRANGESTORE).
pub const TWO_KEYS: KeySpec = KeySpec {
    first: 1,
    last: 2,
    step: 1,
};
/// Every argument from 1 on is a key (DEL, MGET, SINTER).
pub const ALL_KEYS: KeySpec = KeySpec {
    first: 1,
    last: -1,
    step: 1,
};
/// Every argument from 1 on but the last, a timeout (BLPOP, BZPOPMIN).
pub const KEYS_BEFORE_TIMEOUT: KeySpec = KeySpec {
    first: 1,
    last: -2,
    step: 1,
};

/// One entry of the command table.
pub struct CommandSpec {
    /// Lowercase name (`get`, or the subcommand's own name for a subcommand).
    pub name: &'static str,
    /// Full name used in messages and stats (`get`, `config|get`).
    pub full_name: &'static str,
    /// Valkey's arity: exact count when positive, minimum when negative (counting the name).
    pub arity: i32,
    /// `flags::*` bits.
    pub flags: u32,
    /// `acl::*` bits.
    pub acl: u64,
    /// Key positions.
    pub keys: KeySpec,
    /// Finds the key indexes for commands with `MOVABLE_KEYS`.
    pub movable_keys: Option<fn(&Argv) -> Vec<usize>>,
    /// The implementation; `None` for a container whose subcommands do the work.
    pub handler: Option<Handler>,
    /// Subcommands of a container command (CONFIG, CLIENT, OBJECT ...).
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// A plain command.
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        acl: u64,
        keys: KeySpec,
        handler: Handler,
    ) -> Self {
        Self {
            name,
            full_name: name,
            arity,
            flags,
            acl,
            keys,
            movable_keys: None,
            handler: Some(handler),
            subcommands: &[],
        }
    }

    /// A container command whose work is done by `subcommands`.
    pub const fn container(
        name: &'static str,
        arity: i32,
        flags: u32,
        acl: u64,
        subcommands: &'static [CommandSpec],
    ) -> Self {
        Self {
            name,
            full_name: name,
            arity,
            flags,
            acl,
            keys: NO_KEYS,
            movable_keys: None,
            handler: None,
            subcommands,
        }
    }

    /// A subcommand; `full_name` is `parent|name`.
    pub const fn sub(
        name: &'static str,
        full_name: &'static str,
        arity: i32,
        flags: u32,
        acl: u64,
        keys: KeySpec,
        handler: Handler,
    ) -> Self {
        Self {
            name,
            full_name,
            arity,
            flags,
            acl,
            keys,
            movable_keys: None,
            handler: Some(handler),
            subcommands: &[],
        }
    }

    /// Adds a key-finding function (and implies `MOVABLE_KEYS`).
    pub const fn with_movable_keys(mut self, find: fn(&Argv) -> Vec<usize>) -> Self {
        self.movable_keys = Some(find);
        self.flags |= flags::MOVABLE_KEYS;
        self
    }

    /// True when `argc` satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }

    /// True when the command has `flag`.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// The indexes of the key arguments in `argv`.
    pub fn key_indexes(&self, argv: &Argv) -> Vec<usize> {
        if let Some(find) = self.movable_keys {
            return find(argv);
        }
        if self.keys.first <= 0 {
            return Vec::new();
        }
        let argc = argv.len() as i32;
        let last = if self.keys.last < 0 {
            argc + self.keys.last
        } else {
            self.keys.last
        };
        let step = self.keys.step.max(1);
        (self.keys.first..=last.min(argc - 1))
            .step_by(step as usize)
            .map(|i| i as usize)
            .collect()
    }

    /// Finds a subcommand by name, case-insensitively.
    pub fn subcommand(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }
}

/// Every family's commands.
pub fn families() -> [&'static [CommandSpec]; 16] {
    [
        strings::COMMANDS,
        hashes::COMMANDS,
        keys::COMMANDS,
        bitmaps::COMMANDS,
        hyperloglog::COMMANDS,
        connection::COMMANDS,
        server_admin::COMMANDS,
        introspection::COMMANDS,
        transactions::COMMANDS,
        lists::COMMANDS,
        sets::COMMANDS,
        sorted_sets::COMMANDS,
        geo::COMMANDS,
        dump::COMMANDS,
        sort::COMMANDS,
        pubsub::COMMANDS,
    ]
}

fn table() -> &'static HashMap<&'static [u8], &'static CommandSpec> {
    static TABLE: OnceLock<HashMap<&'static [u8], &'static CommandSpec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        for family in families() {
            for spec in family {
                map.insert(spec.name.as_bytes(), spec);
            }
        }
        map
    })
}

/// Finds a top-level command by name, case-insensitively, without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut lower = [0u8; 32];
    if name.len() > lower.len() {
        return None;
    }
    for (dst, src) in lower.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    table().get(&lower[..name.len()]).copied()
}

/// Every top-level command.
pub fn all_commands() -> impl Iterator<Item = &'static CommandSpec> {
    families().into_iter().flat_map(|family| family.iter())
}

/// What a handler runs with.
pub struct Ctx<'a> {
    /// The server state.
    pub server: &'a mut Server,
    /// The calling connection.
    pub client: &'a mut Client,
    /// The command's arguments, name included.
    pub argv: &'a Argv,
    /// The command being run.
    pub spec: &'static CommandSpec,
    /// The time the command started, Unix ms: every expiry check in one command uses it.
    pub now_ms: i64,
    /// The selected database index.
    pub db_index: usize,
}

impl Ctx<'_> {
    /// The reply buffer.
    pub fn reply(&mut self) -> &mut ReplyBuffer {
        &mut self.client.reply
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        &mut self.server.dbs[self.db_index]
    }

    /// Argument `index`.
    pub fn arg(&self, index: usize) -> &[u8] {
        &self.argv[index]
    }

    /// Number of arguments, name included.
    pub fn argc(&self) -> usize {
        self.argv.len()
    }

    /// True when argument `index` equals `word`, ignoring ASCII case.
    pub fn arg_is(&self, index: usize, word: &str) -> bool {
        self.argv
            .get(index)
            .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
    }

    /// Argument `index` as an i64, or Valkey's "not an integer" error.
    pub fn arg_i64(&self, index: usize) -> Result<i64, CommandError> {
        parse_i64(&self.argv[index]).ok_or(NOT_INTEGER)
    }

    /// Argument `index` as a double, or Valkey's "not a valid float" error.
    pub fn arg_f64(&self, index: usize) -> Result<f64, CommandError> {
        parse_f64(&self.argv[index]).ok_or(NOT_FLOAT)
    }

    /// Looks `key` up for reading in the selected db: expires it if due and counts a keyspace hit or
    /// miss (Valkey's `lookupKeyRead`).
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&Value> {
        let now = self.now_ms;
        let db = &mut self.server.dbs[self.db_index];
        let found = db.get_read(key, now).is_some();
        if found {
            self.server.stats.keyspace_hits += 1;
        } else {
            self.server.stats.keyspace_misses += 1;
        }
        self.server.dbs[self.db_index].peek(key)
    }

    /// Looks `key` up for writing in the selected db, expiring it if due (Valkey's `lookupKeyWrite`).
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Value> {
        let now = self.now_ms;
        self.server.dbs[self.db_index].get_mut(key, now)
    }

    /// False where a blocking command must not block (inside MULTI/EXEC): it then replies as on timeout.
    pub fn may_block(&self) -> bool {
        !self.client.in_exec
    }

    /// Parks the client on `keys` of the selected db until one is modified or `deadline_ms` passes
    /// (see [`crate::blocking`]). The handler returns `Ok(())` without replying; the command is re-run
    /// from scratch when a key changes, and keeps its original deadline.
    pub fn block_on_keys(
        &mut self,
        keys: Vec<Vec<u8>>,
        deadline_ms: Option<i64>,
        on_timeout: TimeoutReply,
    ) {
        self.client.block_request = Some(BlockRequest {
            keys,
            deadline_ms,
            on_timeout,
        });
    }

    /// Announces a keyspace event on `key` of the selected db (`notify-keyspace-events`); `class` is a
    /// `crate::notify::class` bit, `event` Valkey's event name.
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        self.notify_in(self.db_index, class, event, key);
    }

    /// Like [`Ctx::notify`] for a key of database `db` (MOVE, COPY ... DB).
    pub fn notify_in(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        // Keys the command's lookups expired or created were announced at that moment in Valkey:
        // first.
        crate::notify::announce_key_events(self.server);
        crate::notify::keyspace_event(self.server, class, event, key, db);
    }

    /// Marks `key` of the selected db as modified (WATCH) and counts a change for persistence.
    pub fn key_modified(&mut self, key: &[u8]) {
        self.server.touch_key(self.db_index, key);
        self.server.stats.dirty += 1;
    }
}

/// Lowercases an ASCII command name for messages.
pub fn lowercase(name: &[u8]) -> String {
    String::from_utf8_lossy(name).to_ascii_lowercase()
}

/// Writes a HELP reply the way Valkey's `addReplyHelp` does: a heading naming the command as typed
/// (uppercased), the `lines`, then the HELP entry itself.
pub fn reply_help(reply: &mut ReplyBuffer, command: &[u8], lines: &[&str]) {
    reply.array(lines.len() + 3);
    let heading = format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        String::from_utf8_lossy(command).to_ascii_uppercase()
    );
    reply.simple(heading.as_bytes());
    for line in lines {
        reply.simple(line.as_bytes());
    }
    reply.simple(b"HELP");
    reply.simple(b"    Print this help.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_has_heading_and_footer() {
        let mut reply = ReplyBuffer::new();
        reply_help(&mut reply, b"config", &["A", "    a"]);
        assert_eq!(
            reply.as_bytes(),
            b"*5\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+A\r\n+    a\r\n+HELP\r\n+    Print this help.\r\n"
        );
    }
}
