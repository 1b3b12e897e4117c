//! Every corpus file converted for every target reads back with every key equal (what the target
//! cannot hold — module values, field TTLs before Valkey 9 — dropped as `--lossy` does).

use std::fs::File;

use ferry_rdb::convert::{convert, ConvertOptions, Target};
use ferry_rdb::reader::RdbReader;
use serde_json::Value as Json;

use super::manifest::{self, bytes, check_value};
use super::rdb_corpus::read_file;

#[test]
fn corpus_converts_to_every_target() {
    let manifests = manifest::load("rdb-manifest.json");
    let out_dir = std::env::temp_dir().join(format!("ferry-rdb-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    for file in manifests.as_array().unwrap() {
        let name = file["file"].as_str().unwrap();
        for target in Target::ALL {
            let source = File::open(manifest::corpus_dir().join(name)).unwrap();
            let reader = RdbReader::new(std::io::BufReader::new(source)).unwrap();
            let options = ConvertOptions {
                target,
                lossy: true,
                compress: true,
            };
            let (bytes_out, _report) = convert(reader, Vec::new(), options, |_| {})
                .unwrap_or_else(|e| panic!("{name} -> {target}: {e}"));
            let path = out_dir.join("converted.rdb");
            std::fs::write(&path, &bytes_out).unwrap();
            let contents = read_file(&path);
            let expected: Vec<&Json> = file["keys"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|k| k["value"].get("module_type").is_none())
                .collect();
            assert_eq!(
                contents.keys.len(),
                expected.len(),
                "{name} -> {target}: key count"
            );
            for entry in expected {
                let mut entry = entry.clone();
                if !target.has_field_ttls() {
                    entry.as_object_mut().unwrap().remove("field_expire_ms");
                }
                if target == Target::Redis70 && entry["type"] == "stream" {
                    // Stream format 2 has no consumer active time.
                    for group in entry["value"]["groups"]
                        .as_array_mut()
                        .into_iter()
                        .flatten()
                    {
                        for consumer in group["consumers"].as_array_mut().into_iter().flatten() {
                            consumer.as_object_mut().unwrap().remove("active_time");
                        }
                    }
                }
                let id = (entry["db"].as_u64().unwrap(), bytes(&entry["key"]));
                let (header, value) = &contents.keys[&id];
                if let Err(difference) = check_value(&entry, value) {
                    panic!("{name} -> {target}: key {}: {difference}", entry["key"]);
                }
                assert_eq!(header.expire_ms, entry["expire_ms"].as_i64());
                assert!(header.rdb_type.min_version() <= target.version().number);
            }
            assert_eq!(
                contents.functions.len(),
                file["functions"].as_array().unwrap().len(),
                "{name} -> {target}: functions"
            );
        }
    }
    std::fs::remove_dir_all(&out_dir).ok();
}
