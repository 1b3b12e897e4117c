//! Reading the corpus manifests: byte strings are latin-1 text (one char per byte), long repetitive
//! values are `{"repeat": unit, "count": n}`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferry_rdb::value::{RdbValue, StreamValue};
use serde_json::Value as Json;

/// The corpus directory.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// Parses a corpus JSON file.
pub fn load(name: &str) -> Json {
    let text = std::fs::read_to_string(corpus_dir().join(name)).expect("manifest readable");
    serde_json::from_str(&text).expect("manifest is JSON")
}

/// Manifest text to bytes.
pub fn bytes(value: &Json) -> Vec<u8> {
    match value {
        Json::String(text) => text.chars().map(|c| c as u32 as u8).collect(),
        Json::Object(map) => {
            let unit = bytes(&map["repeat"]);
            unit.repeat(map["count"].as_u64().expect("count") as usize)
        }
        other => panic!("not a byte string: {other}"),
    }
}

/// Manifest score text to f64.
pub fn score(value: &Json) -> f64 {
    let text = value.as_str().expect("score text");
    match text {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => text.parse().expect("score parses"),
    }
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Checks `actual` against a manifest key entry; returns a description of the first difference.
pub fn check_value(entry: &Json, actual: &RdbValue<'_>) -> Result<(), String> {
    let expected = &entry["value"];
    match (entry["type"].as_str().unwrap_or(""), actual) {
        ("string", RdbValue::String(value)) => (bytes(expected) == value.as_ref())
            .then_some(())
            .ok_or_else(|| format!("string differs: {:?}", show(value))),
        ("list", RdbValue::List(items)) => {
            let want: Vec<Vec<u8>> = expected.as_array().unwrap().iter().map(bytes).collect();
            let got: Vec<Vec<u8>> = items.iter().map(|i| i.to_vec()).collect();
            (want == got)
                .then_some(())
                .ok_or_else(|| format!("list differs ({} vs {} items)", want.len(), got.len()))
        }
        ("set", RdbValue::Set(items)) => {
            let mut want: Vec<Vec<u8>> = expected.as_array().unwrap().iter().map(bytes).collect();
            let mut got: Vec<Vec<u8>> = items.iter().map(|i| i.to_vec()).collect();
            want.sort();
            got.sort();
            (want == got)
                .then_some(())
                .ok_or_else(|| "set differs".to_string())
        }
        ("zset", RdbValue::SortedSet(members)) => {
            let mut want: Vec<(Vec<u8>, f64)> = expected
                .as_array()
                .unwrap()
                .iter()
                .map(|pair| (bytes(&pair[0]), score(&pair[1])))
                .collect();
            let mut got: Vec<(Vec<u8>, f64)> =
                members.iter().map(|(m, s)| (m.to_vec(), *s)).collect();
            let order = |a: &(Vec<u8>, f64), b: &(Vec<u8>, f64)| {
                a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0))
            };
            want.sort_by(order);
            got.sort_by(order);
            (want == got)
                .then_some(())
                .ok_or_else(|| format!("zset differs: {got:?}"))
        }
        ("hash", RdbValue::Hash(fields)) => {
            let want: BTreeMap<Vec<u8>, Vec<u8>> = expected
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (bytes(&Json::String(k.clone())), bytes(v)))
                .collect();
            let got: BTreeMap<Vec<u8>, Vec<u8>> = fields
                .iter()
                .map(|f| (f.field.to_vec(), f.value.to_vec()))
                .collect();
            if want != got || got.len() != fields.len() {
                return Err("hash fields differ".into());
            }
            let want_ttls: BTreeMap<Vec<u8>, i64> = entry
                .get("field_expire_ms")
                .and_then(Json::as_object)
                .map(|map| {
                    map.iter()
                        .map(|(k, v)| (bytes(&Json::String(k.clone())), v.as_i64().unwrap()))
                        .collect()
                })
                .unwrap_or_default();
            let got_ttls: BTreeMap<Vec<u8>, i64> = fields
                .iter()
                .filter_map(|f| f.expire_ms.map(|e| (f.field.to_vec(), e)))
                .collect();
            (want_ttls == got_ttls)
                .then_some(())
                .ok_or_else(|| format!("field TTLs differ: {got_ttls:?}"))
        }
        ("stream", RdbValue::Stream(stream)) => check_stream(expected, stream),
        (module_type, RdbValue::Module(module)) => {
            let want = expected["module_type"].as_str().unwrap_or(module_type);
            (module.module.name() == want)
                .then_some(())
                .ok_or_else(|| format!("module {} is not {want}", module.module.name()))
        }
        (kind, other) => Err(format!("expected a {kind}, read {:?}", other.kind())),
    }
}

fn check_stream(expected: &Json, stream: &StreamValue) -> Result<(), String> {
    let id = |s: &ferry_rdb::StreamId| s.to_string();
    let entries: Vec<Json> = stream
        .entries
        .iter()
        .map(|e| {
            let flat: Vec<Json> = e
                .fields
                .iter()
                .flat_map(|(f, v)| [f, v])
                .map(|b| Json::String(b.iter().map(|&c| char::from(c)).collect()))
                .collect();
            serde_json::json!([id(&e.id), flat])
        })
        .collect();
    if Json::Array(entries) != expected["entries"] {
        return Err("stream entries differ".into());
    }
    if expected["length"].as_u64() != Some(stream.meta.length) {
        return Err("stream length differs".into());
    }
    if expected["last_id"].as_str() != Some(&id(&stream.meta.last_id)) {
        return Err("stream last id differs".into());
    }
    if let Some(added) = expected.get("entries_added") {
        if added.as_u64() != stream.meta.entries_added {
            return Err("entries added differs".into());
        }
    }
    if let Some(max_deleted) = expected.get("max_deleted_entry_id") {
        if max_deleted.as_str().map(str::to_string) != stream.meta.max_deleted_id.as_ref().map(id) {
            return Err("max deleted id differs".into());
        }
    }
    if let Some(first) = expected.get("recorded_first_entry_id") {
        if first.as_str().map(str::to_string) != stream.meta.first_id.as_ref().map(id) {
            return Err("first id differs".into());
        }
    }
    let groups = expected["groups"].as_array().unwrap();
    if groups.len() != stream.groups.len() {
        return Err("group count differs".into());
    }
    for (want, got) in groups.iter().zip(&stream.groups) {
        if bytes(&want["name"]) != got.group.name
            || want["last_id"].as_str() != Some(&id(&got.group.last_id))
        {
            return Err("group name or last id differs".into());
        }
        let entries_read = got.group.entries_read.filter(|&n| n >= 0);
        if !want["entries_read"].is_null() && want["entries_read"].as_i64() != entries_read {
            return Err(format!(
                "entries read differs: {:?}",
                got.group.entries_read
            ));
        }
        // pending: [id, consumer, delivery time, count]
        let owner = |pending_id: &ferry_rdb::StreamId| {
            got.consumers
                .iter()
                .find(|c| c.pending.contains(pending_id))
                .map(|c| c.consumer.name.clone())
                .unwrap_or_default()
        };
        let pending: Vec<Json> = got
            .pending
            .iter()
            .map(|p| {
                serde_json::json!([
                    id(&p.id),
                    owner(&p.id)
                        .iter()
                        .map(|&c| char::from(c))
                        .collect::<String>(),
                    p.delivery_time_ms,
                    p.delivery_count
                ])
            })
            .collect();
        if Json::Array(pending) != want["pending"] {
            return Err("group pending entries differ".into());
        }
        let consumers = want["consumers"].as_array().unwrap();
        if consumers.len() != got.consumers.len() {
            return Err("consumer count differs".into());
        }
        for (want, got) in consumers.iter().zip(&got.consumers) {
            let ids: Vec<Json> = got.pending.iter().map(|p| Json::String(id(p))).collect();
            if bytes(&want["name"]) != got.consumer.name
                || want["seen_time"].as_i64() != Some(got.consumer.seen_time_ms)
                || Json::Array(ids) != want["pending"]
            {
                return Err("consumer differs".into());
            }
            if let Some(active) = want.get("active_time") {
                if active.as_i64() != got.consumer.active_time_ms {
                    return Err("consumer active time differs".into());
                }
            }
        }
    }
    Ok(())
}
