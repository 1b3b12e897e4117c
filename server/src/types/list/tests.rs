//! Tests of the list type against a plain `VecDeque` model, and of the quicklist node rules.

use std::collections::VecDeque;

use proptest::prelude::*;

use super::*;

fn contents(list: &ListData) -> Vec<Vec<u8>> {
    list.view()
        .iter(false)
        .map(|entry| entry.to_vec())
        .collect()
}

fn check_invariants(list: &ListData) {
    if let ListData::Quicklist(ql) = list {
        let total: usize = ql.nodes().iter().map(Node::count).sum();
        assert_eq!(total, ql.len(), "node counts add up to the length");
        assert!(
            ql.nodes().iter().all(|node| node.count() > 0),
            "no empty node"
        );
        for node in ql.nodes() {
            if let Node::Packed(lp) = node {
                assert!(ferry_rdb::listpack::validate(lp.as_bytes()).is_ok());
            }
        }
    }
}

#[test]
fn empty_list_is_a_listpack() {
    let list = ListData::new();
    assert_eq!(list.view().encoding_name(), "listpack");
    assert!(list.is_empty());
    assert_eq!(list.view().iter(false).count(), 0);
    assert_eq!(list.view().iter(true).count(), 0);
    assert_eq!(list.view().debug_fields(false), "");
}

#[test]
fn grows_into_a_quicklist_and_shrinks_back_below_half_the_limit() {
    let fill = -2;
    let mut list = ListData::new();
    let element = [b'a'; 10];
    let mut pushed = 0;
    while list.view().encoding_name() == "listpack" {
        list.prepare_growth(element.len(), 1, fill);
        list.push(&element, true);
        pushed += 1;
    }
    // 682 entries of 12 bytes plus header and terminator fill 8191 bytes; the next one converts.
    assert_eq!(pushed, 683);
    while list.view().encoding_name() == "quicklist" {
        assert!(list.pop(true).is_some());
        list.after_shrink(fill);
    }
    // The single node must be at most 4096 bytes: 340 entries.
    assert_eq!(list.len(), 340);
}

#[test]
fn huge_elements_get_plain_nodes() {
    let fill = -1;
    let mut list = ListData::new();
    let huge = vec![b'h'; 5000];
    list.prepare_growth(huge.len(), 1, fill);
    list.push(b"small", true);
    list.push(&huge, true);
    list.push(b"tail", true);
    let ListData::Quicklist(ql) = &list else {
        panic!("expected a quicklist")
    };
    assert!(matches!(ql.nodes()[1], Node::Plain(_)));
    assert_eq!(ql.nodes().len(), 3);
    assert_eq!(list.view().get(1).map(|e| e.to_vec()), Some(huge.clone()));
    assert!(list
        .view()
        .debug_fields(true)
        .starts_with(" ql_nodes:3 ql_avg_node:1.00 ql_listpack_max:-1"));
    // A small value replacing a plain node goes into a packed neighbour.
    assert!(list.set(1, b"mid"));
    assert_eq!(
        contents(&list),
        vec![b"small".to_vec(), b"mid".to_vec(), b"tail".to_vec()]
    );
    check_invariants(&list);
}

#[test]
fn node_limits_follow_the_fill_factor() {
    assert_eq!(quicklist::node_limit(-1), (4096, usize::MAX));
    assert_eq!(quicklist::node_limit(-5), (65536, usize::MAX));
    assert_eq!(quicklist::node_limit(-100), (65536, usize::MAX));
    assert_eq!(quicklist::node_limit(0), (usize::MAX, 1));
    assert_eq!(quicklist::node_limit(7), (usize::MAX, 7));
    assert!(quicklist::exceeds_limit(5, 8193, 1));
    assert!(quicklist::exceeds_limit(5, 100, 6));
    assert!(!quicklist::exceeds_limit(-2, 8192, 100_000));
    assert_eq!(Quicklist::new(100_000).fill(), 32767);
    assert_eq!(Quicklist::new(-9).fill(), -5);
}

#[derive(Debug, Clone)]
enum Op {
    Push(bool, Vec<u8>),
    Pop(bool),
    Set(i64, Vec<u8>),
    RemoveRange(usize, usize),
    RemoveValue(Vec<u8>, usize, bool),
    Insert(Vec<u8>, Vec<u8>, bool),
    Get(i64),
    Range(usize, bool),
}

fn element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => (0u8..6).prop_map(|n| n.to_string().into_bytes()),
        3 => proptest::collection::vec(b'a'..b'd', 0..4),
        2 => (1usize..300).prop_map(|n| vec![b'm'; n]),
        1 => (3000usize..5000).prop_map(|n| vec![b'L'; n]),
        1 => (8200usize..9000).prop_map(|n| vec![b'H'; n]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<bool>(), element()).prop_map(|(tail, e)| Op::Push(tail, e)),
        2 => any::<bool>().prop_map(Op::Pop),
        2 => (-20i64..20, element()).prop_map(|(i, e)| Op::Set(i, e)),
        1 => (0usize..20, 0usize..10).prop_map(|(s, c)| Op::RemoveRange(s, c)),
        1 => (element(), 0usize..3, any::<bool>()).prop_map(|(e, l, t)| Op::RemoveValue(e, l, t)),
        2 => (element(), element(), any::<bool>()).prop_map(|(p, e, a)| Op::Insert(p, e, a)),
        1 => (-20i64..20).prop_map(Op::Get),
        1 => (0usize..20, any::<bool>()).prop_map(|(i, r)| Op::Range(i, r)),
    ]
}

fn model_position(model: &VecDeque<Vec<u8>>, index: i64) -> Option<usize> {
    let len = model.len() as i64;
    let index = if index < 0 { len + index } else { index };
    (0..len).contains(&index).then_some(index as usize)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn behaves_like_a_deque(
        fill in prop_oneof![Just(-2i64), Just(-1), Just(0), Just(1), Just(2), Just(3), Just(5)],
        ops in proptest::collection::vec(op(), 1..80),
    ) {
        let mut list = ListData::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for op in ops {
            match op {
                Op::Push(tail, value) => {
                    list.prepare_growth(value.len(), 1, fill);
                    list.push(&value, tail);
                    if tail { model.push_back(value) } else { model.push_front(value) }
                }
                Op::Pop(tail) => {
                    let got = list.pop(tail).map(|p| p.to_vec());
                    let want = if tail { model.pop_back() } else { model.pop_front() };
                    prop_assert_eq!(got, want);
                    list.after_shrink(fill);
                }
                Op::Set(index, value) => {
                    list.prepare_growth(value.len(), 1, fill);
                    let done = list.set(index, &value);
                    let position = model_position(&model, index);
                    prop_assert_eq!(done, position.is_some());
                    if let Some(position) = position {
                        model[position] = value;
                    }
                    list.after_shrink(fill);
                }
                Op::RemoveRange(start, count) => {
                    list.remove_range(start, count);
                    let end = (start + count).min(model.len());
                    if start < end {
                        model.drain(start..end);
                    }
                    list.after_shrink(fill);
                }
                Op::RemoveValue(value, limit, from_tail) => {
                    let removed = list.remove_value(&value, limit, from_tail);
                    let mut expected = 0;
                    let positions: Vec<usize> = if from_tail {
                        (0..model.len()).rev().collect()
                    } else {
                        (0..model.len()).collect()
                    };
                    let mut doomed = Vec::new();
                    for position in positions {
                        if model[position] == value && (limit == 0 || expected < limit) {
                            doomed.push(position);
                            expected += 1;
                        }
                    }
                    doomed.sort_unstable();
                    for position in doomed.into_iter().rev() {
                        model.remove(position);
                    }
                    prop_assert_eq!(removed, expected);
                    list.after_shrink(fill);
                }
                Op::Insert(pivot, value, after) => {
                    list.prepare_growth(value.len(), 1, fill);
                    let done = list.insert(&pivot, &value, after);
                    let found = model.iter().position(|e| *e == pivot);
                    prop_assert_eq!(done, found.is_some());
                    if let Some(position) = found {
                        model.insert(if after { position + 1 } else { position }, value);
                    }
                }
                Op::Get(index) => {
                    let got = list.view().get(index).map(|e| e.to_vec());
                    let want = model_position(&model, index).map(|p| model[p].clone());
                    prop_assert_eq!(got, want);
                }
                Op::Range(index, reverse) => {
                    let got: Vec<Vec<u8>> = if index < list.len() {
                        list.view().iter_from(index, reverse).map(|e| e.to_vec()).collect()
                    } else {
                        Vec::new()
                    };
                    let want: Vec<Vec<u8>> = if index >= model.len() {
                        Vec::new()
                    } else if reverse {
                        model.iter().take(index + 1).rev().cloned().collect()
                    } else {
                        model.iter().skip(index).cloned().collect()
                    };
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(list.len(), model.len());
            check_invariants(&list);
        }
        prop_assert_eq!(contents(&list), model.iter().cloned().collect::<Vec<_>>());
        let backwards: Vec<Vec<u8>> = list.view().iter(true).map(|e| e.to_vec()).collect();
        prop_assert_eq!(backwards, model.iter().rev().cloned().collect::<Vec<_>>());
    }
}

#[test]
fn values_stay_small() {
    // A stored list is a byte-aligned pointer and its tag: `Value` stays 16 bytes.
    assert_eq!(std::mem::size_of::<List>(), 9);
    assert_eq!(std::mem::align_of::<List>(), 1);
    assert_eq!(std::mem::size_of::<crate::types::Value>(), 16);
}

#[test]
fn stored_lists_round_trip_through_modify() {
    let mut list = List::new();
    assert!(list.is_empty());
    assert_eq!(list.encoding_name(), "listpack");
    let len = list.modify(|data| {
        data.push(b"a", true);
        data.push(b"1", true);
        data.len()
    });
    assert_eq!(len, 2);
    assert_eq!(list.len(), 2);
    assert_eq!(list.view().get(-1).map(|e| e.to_vec()), Some(b"1".to_vec()));
    let copy = list.clone();
    assert_eq!(copy, list);
    // Growing past the limit stores a quicklist; shrinking back stores a listpack again.
    list.modify(|data| {
        data.prepare_growth(20_000, 1, -2);
        data.push(&[b'x'; 20_000], true);
    });
    assert_eq!(list.encoding_name(), "quicklist");
    assert_ne!(copy, list);
    assert!(list.debug_fields(false).contains("ql_nodes:2"));
    list.modify(|data| data.pop(true));
    list.after_shrink(-2);
    assert_eq!(list.encoding_name(), "listpack");
    assert_eq!(list, copy);
    assert_eq!(format!("{list:?}"), r#"["a", "1"]"#);
}

#[test]
fn loaded_nodes_keep_their_layout_unless_one_small_listpack() {
    let packed = |values: &[&str]| {
        let mut lp = Listpack::new();
        for value in values {
            lp.push_back(value.as_bytes());
        }
        Node::Packed(lp)
    };
    let single = ListData::from_nodes([packed(&["a", "b"]), packed(&[])], -2);
    assert_eq!(single.view().encoding_name(), "listpack");
    assert_eq!(contents(&single), vec![b"a".to_vec(), b"b".to_vec()]);
    let two = ListData::from_nodes([packed(&["a"]), Node::Plain(b"big".to_vec())], -2);
    assert_eq!(two.view().encoding_name(), "quicklist");
    assert_eq!(
        match &two {
            ListData::Quicklist(ql) => ql.nodes().len(),
            ListData::Listpack(_) => 1,
        },
        2
    );
    assert_eq!(two.len(), 2);
    // One node over the count limit stays a quicklist.
    let over = ListData::from_nodes([packed(&["a", "b", "c"])], 2);
    assert_eq!(over.view().encoding_name(), "quicklist");
    assert!(ListData::from_nodes([], -2).is_empty());
}
