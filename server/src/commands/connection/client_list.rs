//! The pieces CLIENT LIST, CLIENT INFO and CLIENT KILL share: the one-line description of a connection
//! (Valkey 9.1's field set, in its order) and the filter options (`ID`, `TYPE`, `NAME`, `NOT-NAME` ...)
//! with Valkey's parsing rules and error texts.

use std::fmt::Write as _;

use ferry_resp::number::parse_i64;
use ferry_resp::Argv;

use crate::client::{ClientId, ClientShared};
use crate::error::{CommandError, SYNTAX};

/// Reply buffer size reported as `rbs` (Valkey's PROTO_REPLY_CHUNK_BYTES).
const REPLY_BUFFER_BYTES: usize = 16 * 1024;

/// Flag letters CLIENT LIST may show; a FLAGS filter may only use these.
const KNOWN_FLAGS: &[u8] = b"ABEIMNOPRSTUbcdeirtux";

/// What kind of connection a client is (`TYPE` filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// An ordinary client.
    Normal,
    /// A replica connected to this server.
    Replica,
    /// The primary this server replicates from.
    Primary,
    /// A client in RESP2 subscribed mode.
    PubSub,
}

impl ClientKind {
    /// Parses a type name as CLIENT LIST/KILL accept it (`slave` and `master` are old names).
    pub fn from_name(name: &[u8]) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        match lower.as_slice() {
            b"normal" => Some(Self::Normal),
            b"replica" | b"slave" => Some(Self::Replica),
            b"primary" | b"master" => Some(Self::Primary),
            b"pubsub" => Some(Self::PubSub),
            _ => None,
        }
    }

    /// The kind of a connected client: a subscriber (whatever its protocol) is `pubsub`; every other
    /// connection, MONITOR included (Valkey counts it as normal too), is a normal client, as
    /// replication does not exist yet.
    pub fn of(client: &ClientShared) -> Self {
        if client.subscriptions.any() {
            Self::PubSub
        } else {
            Self::Normal
        }
    }
}

/// What only the connection running the command knows about itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalState {
    /// Bytes of the command being run (`argv-mem`).
    pub argv_mem: usize,
    /// Inside MULTI: queued commands and their bytes.
    pub multi: Option<(usize, usize)>,
    /// Reply bytes buffered and not yet written.
    pub output_len: usize,
    /// The connection closes once its replies are written.
    pub close_after_reply: bool,
}

/// A connection as CLIENT LIST sees it, with the derived fields filters look at.
pub struct ClientView<'a> {
    shared: &'a ClientShared,
    local: LocalState,
    flags: String,
    capa: &'static str,
}

impl<'a> ClientView<'a> {
    /// Describes `shared`; `local` is given for the calling connection only.
    pub fn new(shared: &'a ClientShared, local: Option<LocalState>) -> Self {
        let local = local.unwrap_or(LocalState {
            multi: shared
                .in_multi
                .then(|| (shared.multi_queued.unwrap_or(0), shared.multi_mem)),
            ..LocalState::default()
        });
        let mut flags = String::new();
        if shared.monitor {
            flags.push('O');
        }
        if shared.subscriptions.any() {
            flags.push('P');
        }
        if local.multi.is_some() {
            flags.push('x');
        }
        if shared.blocked {
            flags.push('b');
        }
        if shared.dirty_cas {
            flags.push('d');
        }
        if local.close_after_reply {
            flags.push('c');
        }
        if shared.no_evict {
            flags.push('e');
        }
        if shared.no_touch {
            flags.push('T');
        }
        if shared.import_source {
            flags.push('I');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let capa = if shared.capa_redirect { "r" } else { "" };
        Self {
            shared,
            local,
            flags,
            capa,
        }
    }

    /// Appends the description line (without its newline) to `out`.
    pub fn write_line(&self, out: &mut String, now_ms: i64) {
        let c = self.shared;
        let (multi, multi_mem) = match self.local.multi {
            Some((queued, bytes)) => (queued as i64, bytes),
            None => (c.multi_queued.map_or(-1, |_| 0), 0),
        };
        let client_struct = std::mem::size_of::<ClientShared>() + 512;
        let total_mem = client_struct
            + REPLY_BUFFER_BYTES
            + self.local.argv_mem
            + multi_mem
            + self.local.output_len
            + c.name.len()
            + c.lib_name.len()
            + c.lib_ver.len();
        let _ = write!(
            out,
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} capa={} db={} sub={} psub={} \
             ssub={} multi={} watch={} qbuf=0 qbuf-free=0 argv-mem={} multi-mem={} rbs={} rbp={} \
             obl={} oll=0 omem=0 tot-mem={} events=r cmd={} user=default redir=-1 resp={} \
             lib-name={} lib-ver={} tot-net-in={} tot-net-out={} tot-cmds={}",
            c.id,
            c.addr,
            c.local_addr,
            c.fd,
            String::from_utf8_lossy(&c.name),
            self.age_seconds(now_ms),
            self.idle_seconds(now_ms),
            self.flags,
            self.capa,
            c.db,
            c.subscriptions.channels,
            c.subscriptions.patterns,
            c.subscriptions.shard_channels,
            multi,
            c.watched_keys,
            self.local.argv_mem,
            multi_mem,
            REPLY_BUFFER_BYTES,
            self.local.output_len,
            self.local.output_len,
            total_mem,
            c.last_command,
            c.resp,
            String::from_utf8_lossy(&c.lib_name),
            String::from_utf8_lossy(&c.lib_ver),
            c.net_input_bytes,
            c.net_output_bytes,
            c.commands_processed,
        );
    }

    fn age_seconds(&self, now_ms: i64) -> i64 {
        now_ms / 1000 - self.shared.created_ms / 1000
    }

    fn idle_seconds(&self, now_ms: i64) -> i64 {
        now_ms / 1000 - self.shared.last_interaction_ms / 1000
    }
}

/// A filter and its negation (`NAME` / `NOT-NAME`); the last occurrence of each wins.
#[derive(Debug, Clone)]
struct Either<T> {
    is: Option<T>,
    not: Option<T>,
}

impl<T> Default for Either<T> {
    fn default() -> Self {
        Self {
            is: None,
            not: None,
        }
    }
}

impl<T> Either<T> {
    fn set(&mut self, negated: bool, value: T) {
        if negated {
            self.not = Some(value);
        } else {
            self.is = Some(value);
        }
    }

    fn holds(&self, test: impl Fn(&T) -> bool) -> bool {
        self.is.as_ref().is_none_or(&test) && self.not.as_ref().is_none_or(|v| !test(v))
    }
}

/// The filters of CLIENT LIST and CLIENT KILL. Every given filter must hold.
#[derive(Debug, Clone, Default)]
pub struct ClientFilter {
    ids: Either<Vec<ClientId>>,
    kind: Either<ClientKind>,
    user: Either<Vec<u8>>,
    addr: Either<Vec<u8>>,
    local_addr: Either<Vec<u8>>,
    ip: Either<Vec<u8>>,
    name: Either<Vec<u8>>,
    lib_name: Either<Vec<u8>>,
    lib_ver: Either<Vec<u8>>,
    flags: Either<Vec<u8>>,
    capa: Either<Vec<u8>>,
    db: Either<usize>,
    max_age: Option<i64>,
    min_idle: Option<i64>,
    /// SKIPME; `None` leaves the command's default.
    pub skip_me: Option<bool>,
}

/// Formats `%s` of a C string argument for an error message.
fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

impl ClientFilter {
    /// A filter matching only the connection with address `addr` (the old `CLIENT KILL addr` form).
    pub fn by_addr(addr: &[u8]) -> Self {
        let mut filter = Self::default();
        filter.addr.set(false, addr.to_vec());
        filter
    }

    /// Parses the options in `argv[start..]`; `databases` bounds the DB filter.
    pub fn parse(argv: &Argv, start: usize, databases: usize) -> Result<Self, CommandError> {
        let mut filter = Self::default();
        let mut i = start;
        while i < argv.len() {
            let option = argv[i].to_ascii_lowercase();
            let (negated, name) = match option.strip_prefix(b"not-") {
                Some(rest) => (true, rest),
                None => (false, option.as_slice()),
            };
            if name == b"id" {
                // IDs run until the first argument that is not an integer.
                i += 1;
                let mut ids = Vec::new();
                while let Some(id) = argv.get(i).and_then(parse_i64) {
                    if id <= 0 {
                        return Err(CommandError::fixed(
                            "ERR client-id should be greater than 0",
                        ));
                    }
                    ids.push(id as ClientId);
                    i += 1;
                }
                let slot = if negated {
                    &mut filter.ids.not
                } else {
                    &mut filter.ids.is
                };
                slot.get_or_insert_with(Vec::new).extend(ids);
                continue;
            }
            let Some(value) = argv.get(i + 1) else {
                return Err(SYNTAX);
            };
            match name {
                b"type" => {
                    let kind = ClientKind::from_name(value).ok_or_else(|| {
                        CommandError::owned(format!("ERR Unknown client type '{}'", text(value)))
                    })?;
                    filter.kind.set(negated, kind);
                }
                b"user" => {
                    if value != b"default" {
                        return Err(CommandError::owned(format!(
                            "ERR No such user '{}'",
                            text(value)
                        )));
                    }
                    filter.user.set(negated, value.to_vec());
                }
                b"addr" => filter.addr.set(negated, value.to_vec()),
                b"laddr" => filter.local_addr.set(negated, value.to_vec()),
                b"ip" => filter.ip.set(negated, value.to_vec()),
                b"name" => filter.name.set(negated, value.to_vec()),
                b"lib-name" => filter.lib_name.set(negated, value.to_vec()),
                b"lib-ver" => filter.lib_ver.set(negated, value.to_vec()),
                b"flags" => {
                    if !value.iter().all(|b| KNOWN_FLAGS.contains(b)) {
                        return Err(CommandError::owned(format!(
                            "ERR Unknown flags found in the {} filter: {}",
                            if negated { "NOT-FLAGS" } else { "provided" },
                            text(value)
                        )));
                    }
                    filter.flags.set(negated, value.to_vec());
                }
                b"capa" => {
                    if !value.iter().all(|&b| b == b'r') {
                        return Err(CommandError::owned(format!(
                            "ERR Unknown capa found in the {} filter: {}",
                            if negated { "NOT-CAPA" } else { "provided" },
                            text(value)
                        )));
                    }
                    filter.capa.set(negated, value.to_vec());
                }
                b"db" => {
                    let label = if negated { "NOT-DB" } else { "DB" };
                    let db = parse_i64(value).ok_or_else(|| {
                        CommandError::owned(format!(
                            "ERR {label} is not an integer or out of range"
                        ))
                    })?;
                    if db < 0 || db >= databases as i64 {
                        return Err(CommandError::owned(format!(
                            "ERR {label} number should be between 0 and {}",
                            databases.saturating_sub(1)
                        )));
                    }
                    filter.db.set(negated, db as usize);
                }
                b"maxage" if !negated => {
                    filter.max_age = Some(positive(value, "maxage")?);
                }
                b"idle" if !negated => {
                    filter.min_idle = Some(positive(value, "idle")?);
                }
                b"skipme" if !negated => {
                    filter.skip_me = Some(if value.eq_ignore_ascii_case(b"yes") {
                        true
                    } else if value.eq_ignore_ascii_case(b"no") {
                        false
                    } else {
                        return Err(SYNTAX);
                    });
                }
                _ => return Err(SYNTAX),
            }
            i += 2;
        }
        Ok(filter)
    }

    /// True when `client` passes every filter (SKIPME is the caller's business).
    pub fn matches(&self, client: &ClientView<'_>, now_ms: i64) -> bool {
        let c = client.shared;
        let has_all = |wanted: &Vec<u8>, present: &str| {
            wanted
                .iter()
                .all(|letter| present.as_bytes().contains(letter))
        };
        let set_and_equal =
            |wanted: &Vec<u8>, actual: &[u8]| !actual.is_empty() && wanted == actual;
        self.ids.holds(|ids| ids.contains(&c.id))
            && self.kind.holds(|kind| *kind == ClientKind::of(c))
            && self.user.holds(|_| true)
            && self
                .addr
                .holds(|addr| *addr == c.addr.to_string().as_bytes())
            && self
                .local_addr
                .holds(|addr| *addr == c.local_addr.to_string().as_bytes())
            && self
                .ip
                .holds(|ip| *ip == c.addr.ip().to_string().as_bytes())
            && self.name.holds(|name| set_and_equal(name, &c.name))
            && self.lib_name.holds(|name| set_and_equal(name, &c.lib_name))
            && self.lib_ver.holds(|ver| set_and_equal(ver, &c.lib_ver))
            && self.flags.holds(|flags| has_all(flags, &client.flags))
            && self.capa.holds(|capa| has_all(capa, client.capa))
            && self.db.holds(|db| *db == c.db)
            && self
                .max_age
                .is_none_or(|max_age| client.age_seconds(now_ms) >= max_age)
            && self
                .min_idle
                .is_none_or(|idle| client.idle_seconds(now_ms) >= idle)
    }
}

/// Parses a MAXAGE/IDLE value: an integer above zero.
fn positive(value: &[u8], label: &str) -> Result<i64, CommandError> {
    let n = parse_i64(value).ok_or_else(|| {
        CommandError::owned(format!("ERR {label} is not an integer or out of range"))
    })?;
    if n <= 0 {
        return Err(CommandError::owned(format!(
            "ERR {label} should be greater than 0"
        )));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> ClientShared {
        let addr = "127.0.0.1:5000".parse().unwrap();
        let local = "127.0.0.1:6379".parse().unwrap();
        ClientShared::new(7, addr, local, 9, 1_000_000)
    }

    fn parse(args: &[&str]) -> Result<ClientFilter, CommandError> {
        let mut parts = vec!["client", "list"];
        parts.extend_from_slice(args);
        ClientFilter::parse(&Argv::from_parts(parts), 2, 16)
    }

    fn matches(args: &[&str], client: &ClientShared) -> bool {
        let filter = parse(args).unwrap();
        filter.matches(&ClientView::new(client, None), 1_000_000)
    }

    #[test]
    fn ids_run_until_a_non_integer_and_accumulate() {
        let client = shared();
        assert!(matches(&["id", "7", "8", "type", "normal"], &client));
        assert!(matches(&["id", "99", "id", "7"], &client));
        assert!(!matches(&["id", "type", "normal"], &client));
        assert!(matches(&["not-id", "type", "normal"], &client));
        assert!(!matches(&["id", "7", "not-id", "7"], &client));
        assert_eq!(parse(&["id", "7", "abc"]).unwrap_err(), SYNTAX);
        assert_eq!(
            parse(&["id", "7", "0"]).unwrap_err().message(),
            "ERR client-id should be greater than 0"
        );
    }

    #[test]
    fn string_filters_need_a_set_value() {
        let mut client = shared();
        assert!(!matches(&["name", ""], &client));
        assert!(matches(&["not-name", ""], &client));
        client.name = b"worker".to_vec();
        assert!(matches(&["name", "other", "name", "worker"], &client));
        assert!(!matches(&["name", "Worker"], &client));
        assert!(matches(
            &["ip", "127.0.0.1", "addr", "127.0.0.1:5000"],
            &client
        ));
        assert!(!matches(&["not-laddr", "127.0.0.1:6379"], &client));
    }

    #[test]
    fn flag_filters_need_every_letter() {
        let mut client = shared();
        client.no_touch = true;
        client.no_evict = true;
        assert!(matches(&["flags", "Te"], &client));
        assert!(matches(&["flags", ""], &client));
        assert!(!matches(&["flags", "N"], &client));
        assert!(matches(&["not-flags", "xT"], &client));
        assert!(!matches(&["not-flags", ""], &client));
        assert_eq!(
            parse(&["not-flags", "Z"]).unwrap_err().message(),
            "ERR Unknown flags found in the NOT-FLAGS filter: Z"
        );
    }

    #[test]
    fn numeric_filter_errors() {
        assert_eq!(
            parse(&["db", "16"]).unwrap_err().message(),
            "ERR DB number should be between 0 and 15"
        );
        assert_eq!(
            parse(&["not-db", "x"]).unwrap_err().message(),
            "ERR NOT-DB is not an integer or out of range"
        );
        assert_eq!(
            parse(&["maxage", "0"]).unwrap_err().message(),
            "ERR maxage should be greater than 0"
        );
        assert_eq!(parse(&["not-maxage", "5"]).unwrap_err(), SYNTAX);
        assert_eq!(parse(&["type", "normal", "name"]).unwrap_err(), SYNTAX);
    }

    #[test]
    fn description_has_valkey_fields_in_order() {
        let client = shared();
        let mut line = String::new();
        ClientView::new(&client, None).write_line(&mut line, 1_000_000);
        let names: Vec<&str> = line
            .split(' ')
            .map(|field| field.split('=').next().unwrap_or(""))
            .collect();
        assert_eq!(
            names.join(" "),
            "id addr laddr fd name age idle flags capa db sub psub ssub multi watch qbuf qbuf-free \
             argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp lib-name \
             lib-ver tot-net-in tot-net-out tot-cmds"
        );
        assert!(line.contains(" flags=N capa= db=0 "));
        assert!(line.contains(" multi=-1 "));
    }
}
