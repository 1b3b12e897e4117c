//! DUMP payloads written by Redis 7.0, Redis 8.2 and Valkey 9.1 decode to the manifest's values, and
//! re-encode to payloads that decode back equal.

use ferry_rdb::dump;
use ferry_rdb::RdbVersion;
use serde_json::Value as Json;

use super::manifest::{self, check_value};

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn server_payloads_decode_and_reencode() {
    let payloads = manifest::load("dump-payloads.json");
    let manifests = manifest::load("rdb-manifest.json");
    let mut decoded = 0;
    for (server, list) in payloads.as_object().unwrap() {
        let file = manifests
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["file"] == Json::String(format!("{server}/all-types.rdb")))
            .unwrap();
        for payload in list.as_array().unwrap() {
            let key = &payload["key"];
            let entry = file["keys"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| &k["key"] == key && k["db"] == 0)
                .unwrap();
            let bytes = hex(payload["payload_hex"].as_str().unwrap());
            let (value, version) =
                dump::decode(&bytes).unwrap_or_else(|e| panic!("{server} {key}: {e}"));
            check_value(entry, &value).unwrap_or_else(|d| panic!("{server} {key}: {d}"));
            let again = dump::encode(&value, RdbVersion::VALKEY_9).unwrap();
            let (round, _) = dump::decode(&again).unwrap();
            check_value(entry, &round).unwrap_or_else(|d| panic!("{server} {key} re-encoded: {d}"));
            assert!(version.is_supported());
            decoded += 1;
        }
    }
    assert!(decoded > 50, "only {decoded} payloads");
}
