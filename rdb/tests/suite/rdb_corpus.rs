//! Every RDB file of the corpus is read and every key checked against its manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;

use ferry_rdb::reader::{Checksum, Item, RdbReader};
use ferry_rdb::value::RdbValue;
use ferry_rdb::RdbType;
use serde_json::Value as Json;

use super::manifest::{self, bytes, check_value};

/// What a file contained.
pub struct FileContents {
    pub keys: BTreeMap<(u64, Vec<u8>), (ferry_rdb::reader::KeyHeader, RdbValue<'static>)>,
    pub functions: Vec<Vec<u8>>,
    pub slot_info: usize,
    pub module_aux: usize,
    pub checksum: Option<Checksum>,
}

pub fn read_file(path: &std::path::Path) -> FileContents {
    let mut reader = RdbReader::new(File::open(path).expect("corpus file")).expect("header");
    let mut contents = FileContents {
        keys: BTreeMap::new(),
        functions: Vec::new(),
        slot_info: 0,
        module_aux: 0,
        checksum: None,
    };
    while let Some(item) = reader
        .next_item()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        match item {
            Item::Key(header) => {
                let value = reader
                    .read_value(header.rdb_type.kind())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let id = (header.db, header.key.clone());
                assert!(
                    contents.keys.insert(id, (header, value)).is_none(),
                    "duplicate key"
                );
            }
            Item::Function { code } => contents.functions.push(code),
            Item::SlotInfo { .. } => contents.slot_info += 1,
            Item::ModuleAux { .. } => contents.module_aux += 1,
            _ => {}
        }
    }
    contents.checksum = reader.checksum();
    contents
}

#[test]
fn every_key_of_every_file_matches_its_manifest() {
    let manifests = manifest::load("rdb-manifest.json");
    let mut types_seen = BTreeSet::new();
    for file in manifests.as_array().unwrap() {
        let name = file["file"].as_str().unwrap();
        let contents = read_file(&manifest::corpus_dir().join(name));
        let expected = file["keys"].as_array().unwrap();
        assert_eq!(contents.keys.len(), expected.len(), "{name}: key count");
        for entry in expected {
            let id = (entry["db"].as_u64().unwrap(), bytes(&entry["key"]));
            let (header, value) = contents
                .keys
                .get(&id)
                .unwrap_or_else(|| panic!("{name}: key {:?} missing", entry["key"]));
            types_seen.insert(format!("{:?}", header.rdb_type));
            if let Err(difference) = check_value(entry, value) {
                panic!("{name}: key {}: {difference}", entry["key"]);
            }
            assert_eq!(
                header.expire_ms,
                entry["expire_ms"].as_i64(),
                "{name}: expiry of {}",
                entry["key"]
            );
            if let Some(idle) = entry.get("lru_idle") {
                assert_eq!(header.lru_idle, idle.as_u64(), "{name}: idle");
            }
            if let Some(freq) = entry.get("lfu_freq") {
                assert_eq!(
                    header.lfu_freq.map(u64::from),
                    freq.as_u64(),
                    "{name}: freq"
                );
            }
            match file.get("hint").and_then(Json::as_str) {
                Some("lru") => assert!(header.lru_idle.is_some(), "{name}: LRU hint"),
                Some("lfu") => assert!(header.lfu_freq.is_some(), "{name}: LFU hint"),
                _ => {}
            }
        }
        let libraries: Vec<String> = file["functions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            contents.functions.len(),
            libraries.len(),
            "{name}: functions"
        );
        for (code, library) in contents.functions.iter().zip(&libraries) {
            let code = String::from_utf8_lossy(code);
            assert!(
                code.contains(&format!("name={library}")),
                "{name}: library {library}"
            );
        }
        let checksum = contents.checksum.expect("checksum state");
        match file.get("checksum").and_then(Json::as_str) {
            Some("disabled") => assert_eq!(checksum, Checksum::Disabled, "{name}"),
            _ if name.contains("v1-") || name.contains("v4-") => {
                assert_eq!(checksum, Checksum::Absent, "{name}")
            }
            _ => assert!(
                matches!(checksum, Checksum::Verified(_)),
                "{name}: {checksum:?}"
            ),
        }
        if file.get("modules").is_some() {
            assert!(contents.module_aux > 0, "{name}: module aux data");
        }
        if file.get("cluster").is_some() && name.starts_with("redis") {
            assert!(contents.slot_info > 0, "{name}: slot info");
        }
    }
    // Every type ferry reads appears somewhere in the corpus.
    let all = [
        RdbType::String,
        RdbType::List,
        RdbType::Set,
        RdbType::Zset,
        RdbType::Hash,
        RdbType::Zset2,
        RdbType::Module2,
        RdbType::HashZipmap,
        RdbType::ListZiplist,
        RdbType::SetIntset,
        RdbType::ZsetZiplist,
        RdbType::HashZiplist,
        RdbType::ListQuicklist,
        RdbType::StreamListpacks,
        RdbType::HashListpack,
        RdbType::ZsetListpack,
        RdbType::ListQuicklist2,
        RdbType::StreamListpacks2,
        RdbType::SetListpack,
        RdbType::StreamListpacks3,
        RdbType::HashMetadata,
        RdbType::HashListpackEx,
        RdbType::ValkeyHash2,
    ];
    let missing: Vec<String> = all
        .iter()
        .map(|t| format!("{t:?}"))
        .filter(|t| !types_seen.contains(t))
        .collect();
    assert!(
        missing.is_empty(),
        "types missing from the corpus: {missing:?}"
    );
}
