//! `ferry rdb` and `ferry aof` end to end: JSON and RESP dumps of the corpus, `info` reports, the
//! converter's refusal and `--lossy` report, and the real-server round trip (scripts/rdb-roundtrip.sh:
//! converted files loaded by Valkey 9.1, Redis 8.2 and Redis 7.0, RESP dumps piped into Valkey 9.1,
//! every key compared with the corpus manifest). The round trip needs the reference servers
//! (`scripts/install-refs.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn ferry() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus(file: &str) -> PathBuf {
    root().join("rdb/tests/corpus").join(file)
}

fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().expect("ferry runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn json_dump_is_one_valid_object_per_key() {
    for file in [
        "valkey-9.1/all-types.rdb",
        "redis-8.2/all-types.rdb",
        "legacy/v9-stream.rdb",
    ] {
        let (ok, stdout, stderr) = run(ferry()
            .args(["rdb", "dump", "--format", "json"])
            .arg(corpus(file)));
        assert!(ok, "{file}: {stderr}");
        let mut keys = 0;
        for line in stdout.lines() {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{file}: {e}: {}", &line[..line.len().min(200)]));
            keys += usize::from(value.get("key").is_some());
        }
        assert!(keys > 0, "{file}");
    }
    let (_, stdout, _) = run(ferry()
        .args([
            "rdb", "dump", "--format", "json", "--type", "hash", "--match", "hash:ttl",
        ])
        .arg(corpus("valkey-9.1/all-types.rdb")));
    let value: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(value["value"]["a"]["expire_ms"], 4_102_444_800_000i64);
    assert_eq!(value["value"]["c"], "300");
}

#[test]
fn info_reports_versions_types_and_refusals() {
    let (ok, stdout, stderr) = run(ferry()
        .args(["rdb", "info", "--json"])
        .arg(corpus("redis-8.2/all-types.rdb")));
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["version"], "REDIS0012");
    assert_eq!(report["functions"][0], "corpuslib");
    let targets = report["targets"].as_array().unwrap();
    let valkey9 = targets.iter().find(|t| t["target"] == "valkey-9").unwrap();
    assert!(valkey9["refused"].as_object().unwrap().is_empty());
    let valkey8 = targets.iter().find(|t| t["target"] == "valkey-8").unwrap();
    assert_eq!(valkey8["refused"]["hash field TTLs"], 3);

    let (ok, stdout, _) = run(ferry()
        .args(["rdb", "info", "--json"])
        .arg(corpus("redis-8.2/module.rdb")));
    assert!(ok);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["modules"][0]["name"], "graphdata");
}

#[test]
fn convert_refuses_or_drops_and_lists() {
    let dir = std::env::temp_dir().join(format!("ferry-cli-convert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.rdb");
    let (ok, _, stderr) = run(ferry()
        .args(["rdb", "convert"])
        .arg(corpus("redis-8.2/module.rdb"))
        .arg(&out)
        .args(["--target", "valkey-9"]));
    assert!(!ok);
    assert!(
        stderr.contains("module value of type 'graphdata'"),
        "{stderr}"
    );
    assert!(!out.exists(), "a refused conversion leaves no output");
    let (ok, stdout, stderr) = run(ferry()
        .args(["rdb", "convert", "--lossy", "--json"])
        .arg(corpus("redis-8.2/module.rdb"))
        .arg(&out)
        .args(["--target", "valkey-9"]));
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["keys"], 1);
    assert_eq!(report["dropped"].as_array().unwrap().len(), 3);
    let (ok, stdout, _) = run(ferry().args(["rdb", "info", "--json"]).arg(&out));
    assert!(ok);
    assert!(stdout.contains("\"VALKEY080\""));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn aof_info_and_dump() {
    let dir = corpus("valkey-9.1/aof/appendonlydir");
    let (ok, stdout, stderr) = run(ferry().args(["aof", "info", "--json"]).arg(&dir));
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["files"].as_array().unwrap().len(), 2);
    assert_eq!(report["files"][0]["rdb_preamble"], "VALKEY080");
    assert!(report["commands"]["SET"].as_u64().unwrap() > 0);
    let (ok, _, stderr) = run(ferry()
        .args(["aof", "info"])
        .arg(corpus("valkey-9.1/aof/corrupt-middle.aof")));
    assert!(!ok);
    assert!(stderr.contains("bad file format"), "{stderr}");
    let (ok, stdout, stderr) = run(ferry()
        .args(["aof", "dump", "--format", "resp"])
        .arg(corpus("redis-7.0/aof/truncated.aof")));
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with('*'));
    assert!(stderr.contains("aof-load-truncated"), "{stderr}");
}

#[test]
fn real_servers_load_what_ferry_writes() {
    let status = Command::new("bash")
        .arg(root().join("scripts/rdb-roundtrip.sh"))
        .env("FERRY", env!("CARGO_BIN_EXE_ferry"))
        .current_dir(root())
        .status()
        .expect("bash runs");
    assert!(
        status.success(),
        "round trip through real servers failed (see output above)"
    );
}
