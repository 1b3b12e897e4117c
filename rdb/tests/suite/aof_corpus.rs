//! The corpus AOFs (multi-part directories, single files with and without an RDB preamble, a truncated
//! tail, an unfinished MULTI, a corrupt middle) are read and replayed into a small model of the
//! commands the generator used; the result must equal what the server held.

use std::collections::{BTreeMap, BTreeSet};

use ferry_rdb::aof::{AofError, AofItem, AofReader};
use ferry_rdb::reader::{Element, Item};
use serde_json::Value as Json;

use super::manifest::{self, bytes, score};

#[derive(Debug, Clone, PartialEq)]
enum Model {
    String(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Zset(BTreeMap<Vec<u8>, f64>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
}

#[derive(Default)]
struct Replay {
    db: u64,
    keys: BTreeMap<(u64, Vec<u8>), (Model, Option<i64>)>,
}

fn int(bytes: &[u8]) -> i64 {
    std::str::from_utf8(bytes).unwrap().parse().unwrap()
}

impl Replay {
    fn rdb(&mut self, item: Item, current: &mut Option<(u64, Vec<u8>)>) {
        match item {
            Item::Key(header) => {
                let model = match header.rdb_type.kind() {
                    ferry_rdb::ValueKind::String => Model::String(Vec::new()),
                    ferry_rdb::ValueKind::List => Model::List(Vec::new()),
                    ferry_rdb::ValueKind::Set => Model::Set(BTreeSet::new()),
                    ferry_rdb::ValueKind::SortedSet => Model::Zset(BTreeMap::new()),
                    ferry_rdb::ValueKind::Hash => Model::Hash(BTreeMap::new()),
                    other => panic!("unexpected {other:?} in an AOF preamble"),
                };
                let id = (header.db, header.key);
                self.keys.insert(id.clone(), (model, header.expire_ms));
                *current = Some(id);
            }
            Item::Element(element) => {
                let Some(id) = current else { return };
                let (model, _) = self.keys.get_mut(id).unwrap();
                match (model, element) {
                    (Model::String(s), Element::String(v)) => *s = v,
                    (Model::List(l), Element::ListItem(v)) => l.push(v),
                    (Model::Set(s), Element::SetMember(v)) => {
                        s.insert(v);
                    }
                    (Model::Zset(z), Element::ZsetMember { member, score }) => {
                        z.insert(member, score);
                    }
                    (Model::Hash(h), Element::HashField { field, value, .. }) => {
                        h.insert(field, value);
                    }
                    (model, element) => panic!("{element:?} in {model:?}"),
                }
            }
            _ => {}
        }
    }

    fn entry(&mut self, key: &[u8], empty: Model) -> &mut (Model, Option<i64>) {
        self.keys
            .entry((self.db, key.to_vec()))
            .or_insert((empty, None))
    }

    fn command(&mut self, args: &[Vec<u8>]) {
        let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
        let key = args.get(1).cloned().unwrap_or_default();
        match name.as_str() {
            "SELECT" => self.db = int(&args[1]) as u64,
            "MULTI" | "EXEC" => {}
            "SET" => {
                assert_eq!(args.len(), 3, "SET options are not modelled");
                self.keys
                    .insert((self.db, key), (Model::String(args[2].clone()), None));
            }
            "APPEND" => {
                if let Model::String(s) = &mut self.entry(&key, Model::String(Vec::new())).0 {
                    s.extend_from_slice(&args[2]);
                }
            }
            "INCR" | "INCRBY" => {
                let by = if name == "INCR" { 1 } else { int(&args[2]) };
                let (model, _) = self.entry(&key, Model::String(b"0".to_vec()));
                if let Model::String(s) = model {
                    *s = (int(s) + by).to_string().into_bytes();
                }
            }
            "DEL" => {
                for key in &args[1..] {
                    self.keys.remove(&(self.db, key.clone()));
                }
            }
            "RPUSH" | "LPUSH" => {
                if let Model::List(l) = &mut self.entry(&key, Model::List(Vec::new())).0 {
                    for v in &args[2..] {
                        if name == "RPUSH" {
                            l.push(v.clone());
                        } else {
                            l.insert(0, v.clone());
                        }
                    }
                }
            }
            "SADD" => {
                if let Model::Set(s) = &mut self.entry(&key, Model::Set(BTreeSet::new())).0 {
                    s.extend(args[2..].iter().cloned());
                }
            }
            "SREM" => {
                if let Some((Model::Set(s), _)) = self.keys.get_mut(&(self.db, key.clone())) {
                    for v in &args[2..] {
                        s.remove(v);
                    }
                    if s.is_empty() {
                        self.keys.remove(&(self.db, key));
                    }
                }
            }
            "HSET" | "HMSET" => {
                if let Model::Hash(h) = &mut self.entry(&key, Model::Hash(BTreeMap::new())).0 {
                    for pair in args[2..].chunks(2) {
                        h.insert(pair[0].clone(), pair[1].clone());
                    }
                }
            }
            "ZADD" => {
                if let Model::Zset(z) = &mut self.entry(&key, Model::Zset(BTreeMap::new())).0 {
                    for pair in args[2..].chunks(2) {
                        let text = Json::String(String::from_utf8_lossy(&pair[0]).into_owned());
                        z.insert(pair[1].clone(), score(&text));
                    }
                }
            }
            "PEXPIREAT" => {
                if let Some((_, expire)) = self.keys.get_mut(&(self.db, key)) {
                    *expire = Some(int(&args[2]));
                }
            }
            other => panic!("command {other} is not modelled"),
        }
    }
}

fn expected_model(entry: &Json) -> Model {
    let value = &entry["value"];
    match entry["type"].as_str().unwrap() {
        "string" => Model::String(bytes(value)),
        "list" => Model::List(value.as_array().unwrap().iter().map(bytes).collect()),
        "set" => Model::Set(value.as_array().unwrap().iter().map(bytes).collect()),
        "zset" => Model::Zset(
            value
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (bytes(&p[0]), score(&p[1])))
                .collect(),
        ),
        "hash" => Model::Hash(
            value
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (bytes(&Json::String(k.clone())), bytes(v)))
                .collect(),
        ),
        other => panic!("type {other}"),
    }
}

#[test]
fn corpus_aofs_replay_to_the_servers_state() {
    let manifests = manifest::load("aof-manifest.json");
    for entry in manifests.as_array().unwrap() {
        let name = entry
            .get("dir")
            .or_else(|| entry.get("file"))
            .and_then(Json::as_str)
            .unwrap();
        let mut reader = AofReader::open(&manifest::corpus_dir().join(name)).unwrap();
        let mut replay = Replay::default();
        let mut current = None;
        let mut timestamps = 0;
        let mut error: Option<AofError> = None;
        loop {
            match reader.next_item() {
                Ok(Some(AofItem::Rdb(item))) => replay.rdb(item, &mut current),
                Ok(Some(AofItem::Command(args))) => replay.command(&args),
                Ok(Some(AofItem::Timestamp(_))) => timestamps += 1,
                Ok(Some(AofItem::FileStart(_))) => replay.db = 0,
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        match entry["expect"].as_str().unwrap() {
            "error" => {
                let error = error.unwrap_or_else(|| panic!("{name}: expected an error"));
                assert!(matches!(error, AofError::Format { .. }), "{name}: {error}");
                continue;
            }
            "truncated" => assert!(reader.truncation().is_some(), "{name}: truncation"),
            _ => {
                if let Some(error) = error {
                    panic!("{name}: {error}");
                }
                if name.contains("open-multi") {
                    assert_eq!(
                        reader.truncation().unwrap().dropped_transaction,
                        2,
                        "{name}"
                    );
                } else {
                    assert!(reader.truncation().is_none(), "{name}");
                }
            }
        }
        if name.starts_with("valkey") {
            assert!(timestamps > 0, "{name}: #TS annotations");
        }
        let expected = entry["keys"].as_array().unwrap();
        assert_eq!(replay.keys.len(), expected.len(), "{name}: key count");
        for key in expected {
            let id = (key["db"].as_u64().unwrap(), bytes(&key["key"]));
            let (model, expire) = replay
                .keys
                .get(&id)
                .unwrap_or_else(|| panic!("{name}: {} missing", key["key"]));
            assert_eq!(model, &expected_model(key), "{name}: {}", key["key"]);
            assert_eq!(
                *expire,
                key["expire_ms"].as_i64(),
                "{name}: expiry of {}",
                key["key"]
            );
        }
    }
}
