//! SORT and SORT_RO as in Valkey 9.1 (`sort.c`): the elements of a list, set or sorted set, sorted
//! numerically or (ALPHA) by their bytes, by themselves or by weights other keys hold (BY), limited
//! (LIMIT), replaced by values other keys hold (GET), replied or stored as a list (STORE).
//!
//! Not done, for want of the machinery: keyspace notifications (`sortstore`, `del`), the cluster-mode
//! and ACL refusals of BY/GET, and the forced ALPHA order for `BY nosort` on a set inside a script.

mod order;
mod pattern;

use std::cmp::Ordering;

use ferry_resp::Argv;

use crate::commands::lists::fill;
use crate::commands::{acl, flags, CommandSpec, Ctx, KEY1};
use crate::error::{CommandError, CommandResult, SYNTAX, WRONG_TYPE};
use crate::notify::class;
use crate::pqsort::partial_sort;
use crate::types::list::{List, ListData, Quicklist};
use crate::types::Value;
use order::{c_str, collate, parse_weight};
use pattern::Pattern;

const ACL_TYPES: u64 = acl::SET | acl::SORTEDSET | acl::LIST | acl::SLOW | acl::DANGEROUS;

/// The SORT family's commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "sort",
        -2,
        flags::WRITE | flags::DENYOOM,
        acl::WRITE | ACL_TYPES,
        KEY1,
        sort,
    )
    .with_movable_keys(sort_keys),
    CommandSpec::new(
        "sort_ro",
        -2,
        flags::READONLY,
        acl::READ | ACL_TYPES,
        KEY1,
        sort_ro,
    )
    .with_movable_keys(sort_ro_keys),
];

const NOT_DOUBLE: CommandError =
    CommandError::fixed("ERR One or more scores can't be converted into double");

/// Valkey's `sortGetKeys`: the key to sort and the destination of the last STORE. Option words are
/// skipped with as many arguments as they take (LIMIT two, GET and BY one); any other word may be
/// STORE.
fn sort_keys(argv: &Argv) -> Vec<usize> {
    let mut keys = vec![1];
    let mut destination = None;
    let mut at = 2;
    while at < argv.len() {
        let word = &argv[at];
        if word.eq_ignore_ascii_case(b"limit") {
            at += 2;
        } else if word.eq_ignore_ascii_case(b"get") || word.eq_ignore_ascii_case(b"by") {
            at += 1;
        } else if word.eq_ignore_ascii_case(b"store") && at + 1 < argv.len() {
            destination = Some(at + 1);
        }
        at += 1;
    }
    keys.extend(destination);
    keys
}

/// SORT_RO has only the key to sort.
fn sort_ro_keys(_argv: &Argv) -> Vec<usize> {
    vec![1]
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]
fn sort(ctx: &mut Ctx<'_>) -> CommandResult {
    sort_generic(ctx, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
fn sort_ro(ctx: &mut Ctx<'_>) -> CommandResult {
    sort_generic(ctx, true)
}

/// What the arguments after the key ask for.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    /// The last BY pattern.
    by: Option<&'a [u8]>,
    /// Some BY pattern had no `*`: keep the natural order (Valkey never clears this once set).
    dont_sort: bool,
    gets: Vec<Pattern<'a>>,
    store: Option<&'a [u8]>,
}

/// Parses the options in order; the first bad one decides the error.
fn parse_options<'a>(
    ctx: &Ctx<'_>,
    argv: &'a Argv,
    readonly: bool,
) -> Result<Options<'a>, CommandError> {
    let mut options = Options {
        desc: false,
        alpha: false,
        limit_start: 0,
        limit_count: -1,
        by: None,
        dont_sort: false,
        gets: Vec::new(),
        store: None,
    };
    let mut at = 2;
    while at < argv.len() {
        let left = argv.len() - at - 1;
        if ctx.arg_is(at, "asc") {
            options.desc = false;
        } else if ctx.arg_is(at, "desc") {
            options.desc = true;
        } else if ctx.arg_is(at, "alpha") {
            options.alpha = true;
        } else if ctx.arg_is(at, "limit") && left >= 2 {
            options.limit_start = ctx.arg_i64(at + 1)?;
            options.limit_count = ctx.arg_i64(at + 2)?;
            at += 2;
        } else if !readonly && ctx.arg_is(at, "store") && left >= 1 {
            options.store = Some(&argv[at + 1]);
            at += 1;
        } else if ctx.arg_is(at, "by") && left >= 1 {
            let by = &argv[at + 1];
            options.by = Some(by);
            if !c_str(by).contains(&b'*') {
                options.dont_sort = true;
            }
            at += 1;
        } else if ctx.arg_is(at, "get") && left >= 1 {
            options.gets.push(Pattern::parse(&argv[at + 1]));
            at += 1;
        } else {
            return Err(SYNTAX);
        }
        at += 1;
    }
    Ok(options)
}

/// The kind of value being sorted (a missing key sorts like an empty list).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// One element to sort, with what it sorts by.
struct Item {
    element: Vec<u8>,
    /// The numeric weight (0 when a BY key is missing).
    score: f64,
    /// The ALPHA weight from a BY pattern (`None` when the key is missing).
    weight: Option<Vec<u8>>,
}

impl Item {
    fn new(element: Vec<u8>) -> Item {
        Item {
            element,
            score: 0.0,
            weight: None,
        }
    }
}

/// Valkey's `sortCommandGeneric`.
fn sort_generic(ctx: &mut Ctx<'_>, readonly: bool) -> CommandResult {
    let argv = ctx.argv;
    let mut options = parse_options(ctx, argv, readonly)?;
    let key = &argv[1];
    let kind = match ctx.lookup_read(key) {
        None | Some(Value::List(_)) => Kind::List,
        Some(Value::Set(_)) => Kind::Set,
        Some(Value::ZSet(_)) => Kind::ZSet,
        Some(_) => return Err(WRONG_TYPE),
    };
    // A set has no order of its own to keep: a stored result is sorted so that it does not depend
    // on the set's layout.
    if options.dont_sort && kind == Kind::Set && options.store.is_some() {
        options.dont_sort = false;
        options.alpha = true;
        options.by = None;
    }
    if kind == Kind::ZSet {
        if let Some(Value::ZSet(zset)) = ctx.db().peek_mut(key) {
            zset.convert_to_skiplist();
        }
    }
    let len = match ctx.db().peek(key) {
        Some(Value::List(list)) => list.len(),
        Some(Value::Set(set)) => set.len(),
        Some(Value::ZSet(zset)) => zset.len(),
        _ => 0,
    } as i64;
    let (start, end) = limit_range(len, options.limit_start, options.limit_count);
    let output_len = (end - start + 1).max(0) as usize;

    // A list or sorted set kept in its natural order only loads the range asked for.
    let ranged = options.dont_sort && kind != Kind::Set;
    let mut items = if ranged {
        load_range(ctx, key, start.max(0) as usize, output_len, options.desc)
    } else {
        load_all(ctx, key)
    };
    let (start, end) = if ranged {
        (0, output_len as i64 - 1)
    } else {
        (start, end)
    };

    if !options.dont_sort {
        load_weights(
            ctx,
            &mut items,
            options.by.map(Pattern::parse),
            options.alpha,
        )?;
        let mut compare = comparator(&options);
        if options.by.is_some() && (start != 0 || end != len - 1) {
            if output_len > 0 {
                partial_sort(&mut items, start as usize, end as usize, &mut compare);
            }
        } else {
            items.sort_by(compare);
        }
    }

    let selected = if output_len > 0 {
        items.get(start as usize..=end as usize).unwrap_or_default()
    } else {
        &[]
    };
    match options.store {
        None => reply_items(ctx, selected, &options.gets),
        Some(destination) => store_items(ctx, destination, selected, &options.gets),
    }
    Ok(())
}

/// Sets what each item sorts by: the value its BY pattern finds (left unset when there is none), or
/// the element itself. Numeric weights must all convert, else the whole sort fails.
fn load_weights(
    ctx: &mut Ctx<'_>,
    items: &mut [Item],
    by: Option<Pattern<'_>>,
    alpha: bool,
) -> Result<(), CommandError> {
    let mut convertible = true;
    for item in items {
        let score = match by {
            Some(pattern) => {
                let Some(weight) = pattern.lookup(ctx, &item.element) else {
                    continue;
                };
                if alpha {
                    item.weight = Some(weight.into_owned());
                    continue;
                }
                parse_weight(&weight)
            }
            // ALPHA without BY compares the elements themselves.
            None if alpha => continue,
            None => parse_weight(&item.element),
        };
        match score {
            Some(score) => item.score = score,
            None => convertible = false,
        }
    }
    if convertible {
        Ok(())
    } else {
        Err(NOT_DOUBLE)
    }
}

/// LIMIT applied the way Valkey clamps it: `(start, end)` positions, `end < start` when nothing is
/// selected.
fn limit_range(len: i64, limit_start: i64, limit_count: i64) -> (i64, i64) {
    let mut start = limit_start.clamp(0, len);
    let count = limit_count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    (start, end.min(len - 1))
}

/// `count` elements of the list or sorted set under `key` in their natural order from position
/// `start`, counted from the tail when `desc`.
fn load_range(ctx: &mut Ctx<'_>, key: &[u8], start: usize, count: usize, desc: bool) -> Vec<Item> {
    let mut items = Vec::with_capacity(count);
    if count == 0 {
        return items;
    }
    match ctx.db().peek(key) {
        Some(Value::List(list)) => {
            let view = list.view();
            let first = if desc { view.len() - 1 - start } else { start };
            items.extend(
                view.iter_from(first, desc)
                    .take(count)
                    .map(|entry| Item::new(entry.to_vec())),
            );
        }
        Some(Value::ZSet(zset)) => {
            let first = if desc { zset.len() - 1 - start } else { start };
            zset.visit(first, desc, |member, _| {
                items.push(Item::new(member.to_vec()));
                items.len() < count
            });
        }
        _ => {}
    }
    items
}

/// Every element of the value under `key`, in its natural order.
fn load_all(ctx: &mut Ctx<'_>, key: &[u8]) -> Vec<Item> {
    match ctx.db().peek(key) {
        Some(Value::List(list)) => list
            .view()
            .iter(false)
            .map(|entry| Item::new(entry.to_vec()))
            .collect(),
        Some(Value::Set(set)) => set
            .view()
            .iter()
            .map(|member| Item::new(member.to_vec()))
            .collect(),
        Some(Value::ZSet(zset)) => {
            let mut items = Vec::with_capacity(zset.len());
            zset.visit(0, false, |member, _| {
                items.push(Item::new(member.to_vec()));
                true
            });
            items
        }
        _ => Vec::new(),
    }
}

/// Valkey's `sortCompare`. Numeric weights that are equal fall back to the elements' bytes, so the
/// result does not depend on the input order; ALPHA weights that are equal stay equal. A STORE
/// compares bytes even for ALPHA (no collation), and a missing BY weight sorts first.
fn comparator(options: &Options<'_>) -> impl FnMut(&Item, &Item) -> Ordering {
    let (alpha, by_pattern, store, desc) = (
        options.alpha,
        options.by.is_some(),
        options.store.is_some(),
        options.desc,
    );
    let text_order = move |a: &[u8], b: &[u8]| if store { a.cmp(b) } else { collate(a, b) };
    move |a: &Item, b: &Item| {
        let order = if !alpha {
            if a.score > b.score {
                Ordering::Greater
            } else if a.score < b.score {
                Ordering::Less
            } else {
                a.element.cmp(&b.element)
            }
        } else if by_pattern {
            match (&a.weight, &b.weight) {
                (Some(x), Some(y)) => text_order(x, y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            }
        } else {
            text_order(&a.element, &b.element)
        };
        if desc {
            order.reverse()
        } else {
            order
        }
    }
}

/// Replies with the selected elements, or for each the values the GET patterns find.
fn reply_items(ctx: &mut Ctx<'_>, items: &[Item], gets: &[Pattern<'_>]) {
    let len = items.len() * gets.len().max(1);
    ctx.reply().array(len);
    for item in items {
        if gets.is_empty() {
            ctx.reply().bulk(&item.element);
        }
        for pattern in gets {
            match pattern.lookup(ctx, &item.element) {
                Some(value) => ctx.reply().bulk(&value),
                None => ctx.reply().null(),
            }
        }
    }
}

/// Stores the selected elements (or the GET values, an empty string for each missing one) as a list
/// under `destination`, replacing it, or deletes `destination` when there is nothing to store.
/// Replies with the stored length.
fn store_items(ctx: &mut Ctx<'_>, destination: &[u8], items: &[Item], gets: &[Pattern<'_>]) {
    let fill = fill(ctx.server);
    let mut quicklist = Quicklist::new(fill);
    for item in items {
        if gets.is_empty() {
            quicklist.push_back(&item.element);
        }
        for pattern in gets {
            let value = pattern.lookup(ctx, &item.element);
            quicklist.push_back(value.as_deref().unwrap_or_default());
        }
    }
    let len = quicklist.len();
    if len > 0 {
        let list = List::from_data(ListData::from_quicklist(quicklist, fill));
        ctx.db().set(destination, Value::List(list));
        ctx.key_modified(destination);
        ctx.notify(class::LIST, "sortstore", destination);
        // Valkey counts one change per stored element.
        ctx.server.stats.dirty += len as u64 - 1;
    } else if ctx.db().remove(destination).is_some() {
        ctx.key_modified(destination);
        ctx.notify(class::GENERIC, "del", destination);
    }
    ctx.reply().int(len as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Argv {
        Argv::from_parts(words.iter().map(|w| w.as_bytes()))
    }

    #[test]
    fn keys_include_the_last_store() {
        assert_eq!(sort_keys(&argv(&["sort", "k", "STORE", "d"])), vec![1, 3]);
        assert_eq!(
            sort_keys(&argv(&["sort", "k", "store", "d", "STORE", "e"])),
            vec![1, 5]
        );
        assert_eq!(
            sort_keys(&argv(&["sort", "k", "LIMIT", "store", "d"])),
            vec![1]
        );
        assert_eq!(
            sort_keys(&argv(&["sort", "k", "get", "store", "d"])),
            vec![1]
        );
        assert_eq!(sort_keys(&argv(&["sort", "k", "store"])), vec![1]);
        assert_eq!(
            sort_ro_keys(&argv(&["sort_ro", "k", "store", "d"])),
            vec![1]
        );
    }

    #[test]
    fn limits_clamp_like_valkey() {
        assert_eq!(limit_range(5, 0, -1), (0, 4));
        assert_eq!(limit_range(5, 1, 2), (1, 2));
        assert_eq!(limit_range(5, -3, 2), (0, 1));
        assert_eq!(limit_range(5, 3, 100), (3, 4));
        assert_eq!(limit_range(5, 0, 0), (0, -1));
        assert_eq!(limit_range(5, 5, 1), (4, 3));
        assert_eq!(limit_range(5, i64::MAX, i64::MAX), (4, 3));
        assert_eq!(limit_range(5, 2, i64::MIN), (2, 4));
        assert_eq!(limit_range(0, 0, -1), (-1, -2));
    }
}
