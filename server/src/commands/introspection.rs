//! Introspection of the command table: COMMAND (COUNT, LIST, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS,
//! HELP). Replies for the commands ferry has are replayed from `command_data.json`, which
//! `scripts/gen-command-data.py` records from a real Valkey 9.1 (COMMAND INFO and COMMAND DOCS of
//! every command), so they match byte for byte; only commands in ferry's table are reported.

use std::collections::HashMap;
use std::sync::OnceLock;

use ferry_resp::{Argv, ReplyBuffer};
use serde_json::Value as Json;

use crate::commands::{acl, all_commands, flags, lookup, CommandSpec, Ctx, NO_KEYS};
use crate::error::{CommandError, CommandResult, SYNTAX};

const INTROSPECT: u32 = flags::LOADING | flags::STALE;
const INTROSPECT_ACL: u64 = acl::SLOW | acl::CONNECTION;

static COMMAND_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::sub(
        "count",
        "command|count",
        2,
        INTROSPECT,
        INTROSPECT_ACL,
        NO_KEYS,
        count,
    ),
    CommandSpec::sub(
        "docs",
        "command|docs",
        -2,
        INTROSPECT,
        INTROSPECT_ACL,
        NO_KEYS,
        docs,
    ),
    CommandSpec::sub(
        "getkeys",
        "command|getkeys",
        -3,
        INTROSPECT,
        INTROSPECT_ACL,
        NO_KEYS,
        getkeys,
    ),
    CommandSpec::sub(
        "getkeysandflags",
        "command|getkeysandflags",
        -3,
        INTROSPECT,
        INTROSPECT_ACL,
        NO_KEYS,
        getkeys_and_flags,
    ),
    CommandSpec::sub(
        "help",
        "command|help",
        2,
        INTROSPECT,
        INTROSPECT_ACL,
        NO_KEYS,
        help,
    ),
    CommandSpec::sub(
        "info",
        "command|info",
        -2,
        INTROSPECT,
        INTROSPECT_ACL,
        NO_KEYS,
        info,
    ),
    CommandSpec::sub(
        "list",
        "command|list",
        -2,
        INTROSPECT,
        INTROSPECT_ACL,
        NO_KEYS,
        list,
    ),
];

/// Introspection commands. COMMAND without a subcommand lists every command.
pub static COMMANDS: &[CommandSpec] = &[CommandSpec {
    handler: Some(all_info),
    ..CommandSpec::container(
        "command",
        -1,
        INTROSPECT,
        INTROSPECT_ACL,
        COMMAND_SUBCOMMANDS,
    )
}];

/// A reply recorded from Valkey: the JSON tree of `command_data.json`, typed.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Simple(Box<str>),
    Bulk(Box<str>),
    Int(i64),
    Null,
    Array(Vec<Node>),
    Set(Vec<Node>),
    /// Keys and values, alternating.
    Map(Vec<Node>),
}

impl Node {
    fn from_json(json: &Json) -> Node {
        match json {
            Json::String(text) if text.starts_with('+') => Node::Simple(text[1..].into()),
            Json::String(text) => Node::Bulk(text.strip_prefix('$').unwrap_or(text).into()),
            Json::Number(n) => Node::Int(n.as_i64().unwrap_or_default()),
            Json::Array(items) => Node::Array(items.iter().map(Node::from_json).collect()),
            Json::Object(object) => {
                let items = |key: &str| {
                    object
                        .get(key)
                        .and_then(Json::as_array)
                        .map(|items| items.iter().map(Node::from_json).collect())
                };
                if let Some(items) = items("%") {
                    Node::Map(items)
                } else {
                    Node::Set(items("~").unwrap_or_default())
                }
            }
            Json::Null | Json::Bool(_) => Node::Null,
        }
    }

    fn write(&self, reply: &mut ReplyBuffer) {
        match self {
            Node::Simple(text) => reply.simple(text.as_bytes()),
            Node::Bulk(text) => reply.bulk(text.as_bytes()),
            Node::Int(n) => reply.int(*n),
            Node::Null => reply.null(),
            Node::Array(items) | Node::Set(items) | Node::Map(items) => {
                match self {
                    Node::Array(_) => reply.array(items.len()),
                    Node::Set(_) => reply.set(items.len()),
                    _ => reply.map(items.len() / 2),
                }
                for item in items {
                    item.write(reply);
                }
            }
        }
    }

    fn text(&self) -> &str {
        match self {
            Node::Simple(text) | Node::Bulk(text) => text,
            _ => "",
        }
    }

    fn int(&self) -> i64 {
        match self {
            Node::Int(n) => *n,
            _ => 0,
        }
    }

    fn items(&self) -> &[Node] {
        match self {
            Node::Array(items) | Node::Set(items) | Node::Map(items) => items,
            _ => &[],
        }
    }

    /// The value under `key` in a map.
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(items) => items
                .chunks(2)
                .find(|pair| pair[0].text() == key)
                .map(|pair| &pair[1]),
            _ => None,
        }
    }
}

/// Where a key specification starts looking for keys.
#[derive(Debug, Clone, PartialEq)]
enum BeginSearch {
    Index(i64),
    Keyword { keyword: String, start_from: i64 },
    Unknown,
}

/// How a key specification finds the keys once it has started.
#[derive(Debug, Clone, PartialEq)]
enum FindKeys {
    Range {
        last_key: i64,
        key_step: i64,
        limit: i64,
    },
    KeyNum {
        key_num_index: i64,
        first_key: i64,
        key_step: i64,
    },
    Unknown,
}

/// One key specification of a command (COMMAND INFO's `key_specs`).
#[derive(Debug, Clone)]
struct KeySpecData {
    flags: Vec<Node>,
    begin: BeginSearch,
    find: FindKeys,
}

impl KeySpecData {
    fn from_node(node: &Node) -> KeySpecData {
        let spec_int = |section: Option<&Node>, key: &str| {
            section
                .and_then(|s| s.get("spec"))
                .and_then(|s| s.get(key))
                .map_or(0, Node::int)
        };
        let begin_node = node.get("begin_search");
        let begin = match begin_node.and_then(|b| b.get("type")).map(Node::text) {
            Some("index") => BeginSearch::Index(spec_int(begin_node, "index")),
            Some("keyword") => BeginSearch::Keyword {
                keyword: begin_node
                    .and_then(|b| b.get("spec"))
                    .and_then(|s| s.get("keyword"))
                    .map(|k| k.text().to_string())
                    .unwrap_or_default(),
                start_from: spec_int(begin_node, "startfrom"),
            },
            _ => BeginSearch::Unknown,
        };
        let find_node = node.get("find_keys");
        let find = match find_node.and_then(|f| f.get("type")).map(Node::text) {
            Some("range") => FindKeys::Range {
                last_key: spec_int(find_node, "lastkey"),
                key_step: spec_int(find_node, "keystep"),
                limit: spec_int(find_node, "limit"),
            },
            Some("keynum") => FindKeys::KeyNum {
                key_num_index: spec_int(find_node, "keynumidx"),
                first_key: spec_int(find_node, "firstkey"),
                key_step: spec_int(find_node, "keystep"),
            },
            _ => FindKeys::Unknown,
        };
        KeySpecData {
            flags: node
                .get("flags")
                .map(|f| f.items().to_vec())
                .unwrap_or_default(),
            begin,
            find,
        }
    }

    fn has_flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f.text() == name)
    }
}

/// What Valkey reports about one command or subcommand.
#[derive(Debug)]
struct CommandData {
    /// The COMMAND INFO entry, subcommands included.
    info: Node,
    /// The COMMAND DOCS entry.
    docs: Option<Node>,
    key_specs: Vec<KeySpecData>,
}

/// Recorded data by full name (`get`, `config|get`).
fn data() -> &'static HashMap<String, CommandData> {
    static DATA: OnceLock<HashMap<String, CommandData>> = OnceLock::new();
    DATA.get_or_init(|| {
        let json: Json =
            serde_json::from_str(include_str!("command_data.json")).unwrap_or(Json::Null);
        let mut map = HashMap::new();
        if let Json::Object(commands) = json {
            for (name, entry) in &commands {
                let info = entry.get("info").map(Node::from_json);
                let docs = entry.get("docs").map(Node::from_json);
                if let Some(info) = info {
                    add_command(&mut map, name, info, docs);
                }
            }
        }
        map
    })
}

fn add_command(map: &mut HashMap<String, CommandData>, name: &str, info: Node, docs: Option<Node>) {
    let subcommand_docs = docs.as_ref().and_then(|d| d.get("subcommands")).cloned();
    if let Some(subcommands) = info.items().get(9) {
        for sub_info in subcommands.items() {
            let sub_name = sub_info.items().first().map_or("", Node::text).to_string();
            let sub_docs = subcommand_docs
                .as_ref()
                .and_then(|d| d.get(&sub_name))
                .cloned();
            add_command(map, &sub_name, sub_info.clone(), sub_docs);
        }
    }
    let key_specs = info
        .items()
        .get(8)
        .map(|specs| specs.items().iter().map(KeySpecData::from_node).collect())
        .unwrap_or_default();
    map.insert(
        name.to_string(),
        CommandData {
            info,
            docs,
            key_specs,
        },
    );
}

/// Valkey's command flag names and the ferry flag each one corresponds to.
const FLAG_NAMES: &[(&str, u32)] = &[
    ("write", flags::WRITE),
    ("readonly", flags::READONLY),
    ("denyoom", flags::DENYOOM),
    ("admin", flags::ADMIN),
    ("pubsub", flags::PUBSUB),
    ("noscript", flags::NOSCRIPT),
    ("blocking", flags::BLOCKING),
    ("loading", flags::LOADING),
    ("stale", flags::STALE),
    ("skip_monitor", flags::SKIP_MONITOR),
    ("skip_commandlog", flags::SKIP_SLOWLOG),
    ("fast", flags::FAST),
    ("no_auth", flags::NO_AUTH),
    ("may_replicate", flags::MAY_REPLICATE),
    ("no_mandatory_keys", flags::NO_MANDATORY_KEYS),
    ("no_multi", flags::NO_MULTI),
    ("movablekeys", flags::MOVABLE_KEYS),
    ("allow_busy", flags::ALLOW_BUSY),
];

/// Writes the COMMAND INFO entry of `spec`, listing only the subcommands ferry has.
fn write_info(reply: &mut ReplyBuffer, spec: &CommandSpec) {
    let Some(recorded) = data().get(spec.full_name) else {
        write_info_from_spec(reply, spec);
        return;
    };
    let fields = recorded.info.items();
    reply.array(fields.len());
    for (index, field) in fields.iter().enumerate() {
        if index != 9 {
            field.write(reply);
            continue;
        }
        let present: Vec<&'static CommandSpec> = field
            .items()
            .iter()
            .filter_map(|sub| {
                let name = sub.items().first().map_or("", Node::text);
                spec.subcommands.iter().find(|s| s.full_name == name)
            })
            .collect();
        reply.array(present.len());
        for sub in present {
            write_info(reply, sub);
        }
    }
}

/// COMMAND INFO for a command Valkey does not have, built from ferry's table.
fn write_info_from_spec(reply: &mut ReplyBuffer, spec: &CommandSpec) {
    reply.array(10);
    reply.bulk(spec.full_name.as_bytes());
    reply.int(i64::from(spec.arity));
    let flag_names: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(_, bit)| spec.has(*bit))
        .map(|(name, _)| *name)
        .collect();
    reply.set(flag_names.len());
    for name in flag_names {
        reply.simple(name.as_bytes());
    }
    reply.int(i64::from(spec.keys.first));
    reply.int(i64::from(spec.keys.last));
    reply.int(i64::from(spec.keys.step));
    let categories: Vec<&str> = acl::NAMES
        .iter()
        .filter(|(bit, _)| spec.acl & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    reply.set(categories.len());
    for name in categories {
        reply.simple(format!("@{name}").as_bytes());
    }
    reply.set(0);
    reply.set(0);
    reply.array(spec.subcommands.len());
    for sub in spec.subcommands {
        write_info(reply, sub);
    }
}

/// Writes the COMMAND DOCS entry of `spec` (without its name), listing only subcommands ferry has.
fn write_docs(reply: &mut ReplyBuffer, spec: &CommandSpec) {
    let Some(Node::Map(items)) = data().get(spec.full_name).and_then(|d| d.docs.as_ref()) else {
        reply.map(0);
        return;
    };
    reply.map(items.len() / 2);
    for pair in items.chunks(2) {
        pair[0].write(reply);
        if pair[0].text() != "subcommands" {
            pair[1].write(reply);
            continue;
        }
        let present: Vec<(&str, &'static CommandSpec)> = pair[1]
            .items()
            .chunks(2)
            .filter_map(|sub| {
                let name = sub[0].text();
                spec.subcommands
                    .iter()
                    .find(|s| s.full_name == name)
                    .map(|s| (name, s))
            })
            .collect();
        reply.map(present.len());
        for (name, sub) in present {
            reply.bulk(name.as_bytes());
            write_docs(reply, sub);
        }
    }
}

/// Finds a command or subcommand by its full name (`get`, `config|get`), case-insensitively.
fn lookup_full_name(name: &[u8]) -> Option<&'static CommandSpec> {
    match name.iter().position(|&b| b == b'|') {
        None => lookup(name),
        Some(bar) => {
            let parent = lookup(&name[..bar])?;
            parent.subcommand(&name[bar + 1..])
        }
    }
}

fn all_info(ctx: &mut Ctx<'_>) -> CommandResult {
    let commands: Vec<&'static CommandSpec> = all_commands().collect();
    let reply = ctx.reply();
    reply.array(commands.len());
    for spec in commands {
        write_info(reply, spec);
    }
    Ok(())
}

fn count(ctx: &mut Ctx<'_>) -> CommandResult {
    let total = all_commands().count() as i64;
    ctx.reply().int(total);
    Ok(())
}

fn info(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.argc() == 2 {
        return all_info(ctx);
    }
    let names: Vec<Vec<u8>> = ctx.argv.iter().skip(2).map(|a| a.to_vec()).collect();
    let reply = ctx.reply();
    reply.array(names.len());
    for name in &names {
        match lookup_full_name(name) {
            Some(spec) => write_info(reply, spec),
            None => reply.null(),
        }
    }
    Ok(())
}

fn docs(ctx: &mut Ctx<'_>) -> CommandResult {
    let specs: Vec<&'static CommandSpec> = if ctx.argc() == 2 {
        all_commands().collect()
    } else {
        ctx.argv
            .iter()
            .skip(2)
            .filter_map(|name| lookup_full_name(name))
            .collect()
    };
    let reply = ctx.reply();
    reply.map(specs.len());
    for spec in specs {
        reply.bulk(spec.full_name.as_bytes());
        write_docs(reply, spec);
    }
    Ok(())
}

/// The ACL categories of a command as COMMAND INFO lists them (without `@`).
fn categories(spec: &CommandSpec) -> Vec<String> {
    match data().get(spec.full_name) {
        Some(recorded) => recorded
            .info
            .items()
            .get(6)
            .map(|set| {
                set.items()
                    .iter()
                    .map(|c| c.text().trim_start_matches('@').to_string())
                    .collect()
            })
            .unwrap_or_default(),
        None => acl::NAMES
            .iter()
            .filter(|(bit, _)| spec.acl & bit != 0)
            .map(|(_, name)| (*name).to_string())
            .collect(),
    }
}

fn list(ctx: &mut Ctx<'_>) -> CommandResult {
    let filter: Option<(Vec<u8>, Vec<u8>)> = match ctx.argc() {
        2 => None,
        5 if ctx.arg_is(2, "filterby") => {
            let kind = ctx.arg(3).to_ascii_lowercase();
            if !matches!(kind.as_slice(), b"module" | b"aclcat" | b"pattern") {
                return Err(SYNTAX);
            }
            Some((kind, ctx.arg(4).to_vec()))
        }
        _ => return Err(SYNTAX),
    };
    let keep = |spec: &CommandSpec| match &filter {
        None => true,
        // ferry has no modules.
        Some((kind, _)) if kind == b"module" => false,
        Some((kind, category)) if kind == b"aclcat" => {
            let category = String::from_utf8_lossy(category);
            categories(spec)
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&category))
        }
        Some((_, pattern)) => crate::glob::glob_match(pattern, spec.full_name.as_bytes(), true),
    };
    let mut names = Vec::new();
    for spec in all_commands() {
        if keep(spec) {
            names.push(spec.full_name);
        }
        for sub in spec.subcommands {
            if keep(sub) {
                names.push(sub.full_name);
            }
        }
    }
    let reply = ctx.reply();
    reply.array(names.len());
    for name in names {
        reply.bulk(name.as_bytes());
    }
    Ok(())
}

fn help(ctx: &mut Ctx<'_>) -> CommandResult {
    let command = ctx.argv[0].to_vec();
    crate::commands::reply_help(
        ctx.reply(),
        &command,
        &[
            "(no subcommand)",
            "    Return details about all commands.",
            "COUNT",
            "    Return the total number of commands in this server.",
            "LIST",
            "    Return a list of all commands in this server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full command.",
        ],
    );
    Ok(())
}

/// A key found in a command's arguments: its position and the flags of the spec that found it.
type KeyRef = (usize, Vec<Node>);

/// Finds the keys of `argv` with the command's key specifications, like Valkey's
/// `getKeysUsingKeySpecs`; `None` when a spec does not fit the arguments.
fn keys_from_specs(specs: &[KeySpecData], argv: &Argv, arity: i32) -> Option<Vec<KeyRef>> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    for spec in specs {
        if spec.has_flag("not_key") {
            continue;
        }
        let mut first = match &spec.begin {
            BeginSearch::Index(index) => *index,
            BeginSearch::Keyword {
                keyword,
                start_from,
            } => {
                let start = if *start_from > 0 {
                    *start_from
                } else {
                    argc + start_from
                };
                let end = if *start_from > 0 { argc - 1 } else { 1 };
                // Like Valkey, the scan stops before `end`: a keyword there could not be followed
                // by a key.
                let mut found = 0;
                let mut at = start;
                while at != end {
                    if at >= argc || at < 1 {
                        break;
                    }
                    if argv[at as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = at + 1;
                        break;
                    }
                    at += if start <= end { 1 } else { -1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            BeginSearch::Unknown => return None,
        };
        let (last, step) = match spec.find {
            FindKeys::Range {
                last_key,
                key_step,
                limit,
            } => {
                let last = if last_key >= 0 {
                    first + last_key
                } else if limit == 0 {
                    argc + last_key
                } else {
                    first + ((argc - first) / limit + last_key)
                };
                (last, key_step)
            }
            FindKeys::KeyNum {
                key_num_index,
                first_key,
                key_step,
            } => {
                if key_num_index >= argc {
                    return None;
                }
                let count_at = first + key_num_index;
                let count = argv
                    .get(count_at as usize)
                    .and_then(ferry_resp::number::parse_i64)
                    .filter(|n| *n >= 0)?;
                first += first_key;
                (first + count - 1, key_step)
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut at = first;
        while at <= last {
            if at >= argc || at < first {
                if arity < 0 {
                    at += step.max(1);
                    continue;
                }
                return None;
            }
            keys.push((at as usize, spec.flags.clone()));
            at += step.max(1);
        }
        if spec.has_flag("incomplete") {
            return None;
        }
    }
    Some(keys)
}

/// The flags of a key whose spec says they depend on the arguments ("variable_flags"), decided the
/// way the command's own key finder in Valkey decides them.
fn resolve_variable_flags(command: &str, argv: &Argv, spec_flags: &[Node]) -> Vec<Node> {
    let simple = |names: &[&str]| names.iter().map(|n| Node::Simple((*n).into())).collect();
    let words = || argv.iter().skip(2).map(|a| a.to_ascii_lowercase());
    match command {
        // SET reads the old value only with GET.
        "set" if words().skip(1).any(|w| w == b"get") => simple(&["RW", "access", "update"]),
        "set" => simple(&["OW", "update"]),
        // BITFIELD writes only with a complete SET or INCRBY operation.
        "bitfield" => {
            let mut at = 2;
            let mut writes = false;
            while at < argv.len() {
                let remaining = argv.len() - at - 1;
                let word = argv[at].to_ascii_lowercase();
                if word == b"get" && remaining >= 2 {
                    at += 2;
                } else if (word == b"set" || word == b"incrby") && remaining >= 3 {
                    writes = true;
                    break;
                } else if word == b"overflow" && remaining >= 1 {
                    at += 1;
                }
                at += 1;
            }
            if writes {
                simple(&["RW", "access", "update"])
            } else {
                simple(&["RO", "access"])
            }
        }
        _ => spec_flags
            .iter()
            .filter(|f| f.text() != "variable_flags")
            .cloned()
            .collect(),
    }
}

/// The command in `argv` and its keys with their flags, or the error COMMAND GETKEYS replies with.
fn find_keys(argv: &Argv) -> Result<(&'static CommandSpec, Vec<KeyRef>), CommandError> {
    let name = &argv[0];
    let mut spec = lookup(name).ok_or(CommandError::fixed("ERR Invalid command specified"))?;
    if !spec.subcommands.is_empty() && argv.len() >= 2 {
        spec = spec
            .subcommand(&argv[1])
            .ok_or(CommandError::fixed("ERR Invalid command specified"))?;
    }
    let recorded = data().get(spec.full_name);
    let specs: &[KeySpecData] = recorded.map_or(&[], |d| &d.key_specs);
    let has_specs = specs.iter().any(|s| !s.has_flag("not_key"));
    let variable_flags = specs.iter().any(|s| s.has_flag("variable_flags"));
    let has_keys =
        has_specs || spec.movable_keys.is_some() || (recorded.is_none() && spec.keys.first > 0);
    if !has_keys {
        return Err(CommandError::fixed("ERR The command has no key arguments"));
    }
    if !spec.arity_ok(argv.len()) {
        return Err(CommandError::fixed(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    if has_specs {
        if let Some(mut keys) = keys_from_specs(specs, argv, spec.arity) {
            if variable_flags {
                for (_, key_flags) in &mut keys {
                    *key_flags = resolve_variable_flags(spec.full_name, argv, key_flags);
                }
            }
            return Ok((spec, keys));
        }
    }
    // ferry's own key finder: flags come from the first key specification.
    let flags = specs.first().map(|s| s.flags.clone()).unwrap_or_default();
    let indexes = if spec.movable_keys.is_some() || recorded.is_none() {
        spec.key_indexes(argv)
    } else {
        Vec::new()
    };
    Ok((
        spec,
        indexes.into_iter().map(|i| (i, flags.clone())).collect(),
    ))
}

fn getkeys_reply(ctx: &mut Ctx<'_>, with_flags: bool) -> CommandResult {
    let mut argv = Argv::new();
    for arg in ctx.argv.iter().skip(2) {
        argv.push(arg);
    }
    let (spec, keys) = find_keys(&argv)?;
    if keys.is_empty() && !spec.has(flags::NO_MANDATORY_KEYS) {
        return Err(CommandError::fixed(
            "ERR Invalid arguments specified for command",
        ));
    }
    let reply = ctx.reply();
    reply.array(keys.len());
    for (position, key_flags) in keys {
        if with_flags {
            reply.array(2);
            reply.bulk(&argv[position]);
            reply.set(key_flags.len());
            for flag in &key_flags {
                flag.write(reply);
            }
        } else {
            reply.bulk(&argv[position]);
        }
    }
    Ok(())
}

fn getkeys(ctx: &mut Ctx<'_>) -> CommandResult {
    getkeys_reply(ctx, false)
}

fn getkeys_and_flags(ctx: &mut Ctx<'_>) -> CommandResult {
    getkeys_reply(ctx, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command and subcommand in ferry's table must agree with what Valkey 9.1 reports about it:
    /// arity, flags, first/last/step key positions and ACL categories. Lists every mismatch at once.
    #[test]
    fn command_table_matches_valkey() {
        let mut problems = Vec::new();
        let mut specs: Vec<&'static CommandSpec> = Vec::new();
        for spec in all_commands() {
            specs.push(spec);
            specs.extend(spec.subcommands.iter());
        }
        for spec in specs {
            let name = spec.full_name;
            let Some(recorded) = data().get(name) else {
                problems.push(format!("{name}: not a Valkey 9.1 command"));
                continue;
            };
            let fields = recorded.info.items();
            let arity = fields.get(1).map_or(0, Node::int);
            if i64::from(spec.arity) != arity {
                problems.push(format!("{name}: arity {} (Valkey {arity})", spec.arity));
            }
            let valkey_flags: Vec<&str> = fields
                .get(2)
                .map(|f| f.items().iter().map(Node::text).collect())
                .unwrap_or_default();
            for (flag, bit) in FLAG_NAMES {
                let ours = spec.has(*bit);
                let theirs = valkey_flags.contains(flag);
                if ours != theirs {
                    problems.push(format!(
                        "{name}: flag {flag} {} (Valkey {})",
                        if ours { "set" } else { "missing" },
                        if theirs { "has it" } else { "does not" }
                    ));
                }
            }
            let positions = (
                i64::from(spec.keys.first),
                i64::from(spec.keys.last),
                i64::from(spec.keys.step),
            );
            let valkey_positions = (
                fields.get(3).map_or(0, Node::int),
                fields.get(4).map_or(0, Node::int),
                fields.get(5).map_or(0, Node::int),
            );
            if positions != valkey_positions {
                problems.push(format!(
                    "{name}: first/last/step {positions:?} (Valkey {valkey_positions:?})"
                ));
            }
            let mut ours: Vec<String> = acl::NAMES
                .iter()
                .filter(|(bit, _)| spec.acl & bit != 0)
                .map(|(_, category)| (*category).to_string())
                .collect();
            let mut theirs = categories(spec);
            ours.sort();
            theirs.sort();
            if ours != theirs {
                problems.push(format!(
                    "{name}: ACL categories {ours:?} (Valkey {theirs:?})"
                ));
            }
        }
        assert!(
            problems.is_empty(),
            "{} command table mismatches:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }

    #[test]
    fn data_covers_valkey_commands() {
        assert_eq!(
            data().keys().filter(|name| !name.contains('|')).count(),
            257
        );
        assert!(data().contains_key("config|get"));
    }

    fn argv(words: &[&str]) -> Argv {
        let mut argv = Argv::new();
        for word in words {
            argv.push(word.as_bytes());
        }
        argv
    }

    fn specs(name: &str) -> &'static [KeySpecData] {
        &data()[name].key_specs
    }

    fn positions(keys: Option<Vec<KeyRef>>) -> Option<Vec<usize>> {
        keys.map(|keys| keys.into_iter().map(|(at, _)| at).collect())
    }

    #[test]
    fn key_specs_find_keys_like_valkey() {
        let find = |name: &str, words: &[&str], arity| {
            positions(keys_from_specs(specs(name), &argv(words), arity))
        };
        assert_eq!(
            find("mset", &["mset", "a", "1", "b", "2"], -3),
            Some(vec![1, 3])
        );
        assert_eq!(
            find(
                "zunionstore",
                &["zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
                -4
            ),
            Some(vec![1, 3, 4])
        );
        assert_eq!(
            find("zunionstore", &["zunionstore", "d", "x", "a"], -4),
            None
        );
        assert_eq!(
            find(
                "xread",
                &["xread", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0"],
                -4
            ),
            Some(vec![4, 5])
        );
        // No keys is "invalid" for a key-number spec: Valkey then asks the command's own finder.
        assert_eq!(find("eval", &["eval", "s", "0"], -3), None);
        assert_eq!(find("get", &["get", "k"], 2), Some(vec![1]));
    }
}
