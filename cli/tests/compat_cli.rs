//! End-to-end tests of `ferry compat`: the installed binary run against real servers (Valkey 9.1 as
//! reference; ferry, Valkey or Redis 7.0 as target). Needs the reference binaries
//! (`scripts/install-refs.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ferry_compat::client::encode_command;
use ferry_compat::{Reference, Server, ServerSpec};
use serde_json::Value;

fn ferry_bin() -> &'static str {
    env!("CARGO_BIN_EXE_ferry")
}

fn binary(reference: Reference) -> PathBuf {
    reference
        .locate()
        .unwrap_or_else(|error| panic!("a reference server is required: {error}"))
}

fn redis_diff_suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../compat-tests/cases-redis-diff")
}

/// A private directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "ferry-compat-cli-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `ferry compat ARGS` from `cwd` (a directory far from the repository, so the built-in corpus
/// must come from the binary itself).
fn compat(cwd: &Path, args: &[&str]) -> Output {
    Command::new(ferry_bin())
        .arg("compat")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", describe(output)))
}

fn divergence<'a>(report: &'a Value, request: &str) -> &'a Value {
    report["divergences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["request"] == request)
        .unwrap_or_else(|| panic!("no divergence for {request}: {report:#}"))
}

fn valkey_vs_redis7(dir: &Path, extra: &[&str]) -> Output {
    let valkey = binary(Reference::Valkey91);
    let redis7 = binary(Reference::Redis70);
    let suite = redis_diff_suite();
    let mut args = vec![
        "run",
        "--reference-bin",
        valkey.to_str().unwrap(),
        "--target-bin",
        redis7.to_str().unwrap(),
        "--suite",
        suite.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    compat(dir, &args)
}

#[test]
fn run_against_ferry_on_a_clean_subset_exits_zero() {
    let dir = TempDir::new();
    let valkey = binary(Reference::Valkey91);
    let output = compat(
        &dir.0,
        &[
            "run",
            "--reference-bin",
            valkey.to_str().unwrap(),
            "--target-bin",
            ferry_bin(),
            "--only",
            "bitmaps",
            "--random",
            "300",
            "--seed",
            "4",
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(report["passed"], true);
    assert_eq!(report["divergence_count"], 0);
    assert!(report["cases"].as_u64().unwrap() >= 20, "{report:#}");
    assert_eq!(report["streams"], 1);
    assert!(report["target"].as_str().unwrap().starts_with("ferry"));
    assert!(report["reference"].as_str().unwrap().contains("9.1"));
    let table = compat(
        &dir.0,
        &[
            "run",
            "--reference-bin",
            valkey.to_str().unwrap(),
            "--target-bin",
            ferry_bin(),
            "--only",
            "bitmaps",
        ],
    );
    assert_eq!(table.status.code(), Some(0), "{}", describe(&table));
    assert!(String::from_utf8_lossy(&table.stdout).contains("result: PASS"));
}

#[test]
fn a_single_case_runs_alone() {
    let dir = TempDir::new();
    let valkey = binary(Reference::Valkey91);
    let run = |case: &str| {
        compat(
            &dir.0,
            &[
                "run",
                "--reference-bin",
                valkey.to_str().unwrap(),
                "--target-bin",
                ferry_bin(),
                "--case",
                case,
                "--json",
            ],
        )
    };
    let output = run("strings:getrange");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert!(report["cases"].as_u64().unwrap() >= 1, "{report:#}");
    assert!(report["cases"].as_u64().unwrap() <= 3, "{report:#}");
    let missing = run("no such case anywhere");
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));
}

#[test]
fn redis7_differences_are_reported_in_json() {
    let dir = TempDir::new();
    let output = valkey_vs_redis7(&dir.0, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(report["passed"], false);
    let zrank = divergence(&report, "ZRANK z b WITHSCORE");
    assert_eq!(zrank["command"], "ZRANK");
    assert_eq!(zrank["reference"], r#""*2\r\n:1\r\n$1\r\n2\r\n""#);
    assert!(
        zrank["target"]
            .as_str()
            .unwrap()
            .contains("wrong number of arguments for 'zrank'"),
        "{zrank}"
    );
    assert_eq!(zrank["origin"]["file"], "redis7.toml");
    let list = divergence(&report, "OBJECT ENCODING l");
    assert_eq!(list["reference"], r#""$8\r\nlistpack\r\n""#);
    assert_eq!(list["target"], r#""$9\r\nquicklist\r\n""#);
    let set = divergence(&report, "OBJECT ENCODING s");
    assert_eq!(set["target"], r#""$9\r\nhashtable\r\n""#);
    let bitcount = divergence(&report, "BITCOUNT b 0");
    assert_eq!(bitcount["reference"], r#"":26\r\n""#);
    assert_eq!(bitcount["target"], r#""-ERR syntax error\r\n""#);
    let commands = report["commands"].as_array().unwrap();
    let lrange = commands.iter().find(|c| c["command"] == "LRANGE").unwrap();
    assert_eq!(
        (lrange["sent"].as_u64(), lrange["divergent"].as_u64()),
        (Some(1), Some(0))
    );
}

#[test]
fn the_allow_file_accepts_known_divergences() {
    let dir = TempDir::new();
    let all = dir.file(
        "allow.txt",
        b"# Redis 7.0 as target\n\
          ZRANK * * WITHSCORE      # no WITHSCORE before 7.2\n\
          zrevrank * * withscore   # same\n\
          OBJECT ENCODING          # listpack lists and sets since 7.2\n\
          redis7.toml:41           # BITCOUNT key start is new\n\
          GETDEL                   # matches nothing: reported as stale\n",
    );
    let output = valkey_vs_redis7(&dir.0, &["--allow", all.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("result: PASS"), "{text}");
    assert!(text.contains("allow.txt:6 matched nothing"), "{text}");
    assert!(text.contains("listpack lists and sets since 7.2"), "{text}");

    let partial = dir.file(
        "partial.txt",
        b"ZRANK # a\nZREVRANK # b\nOBJECT ENCODING # c\n",
    );
    let output = valkey_vs_redis7(&dir.0, &["--allow", partial.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(report["unallowed_count"], 1, "{report:#}");
    assert_eq!(
        divergence(&report, "ZRANK z b WITHSCORE")["allow_reason"],
        "a"
    );
    assert_eq!(divergence(&report, "BITCOUNT b 0")["allowed"], false);

    let unexplained = dir.file("bad.txt", b"ZRANK\n");
    let output = valkey_vs_redis7(&dir.0, &["--allow", unexplained.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.txt:1"));
}

#[test]
fn junit_output_is_well_formed_xml() {
    let dir = TempDir::new();
    let path = dir.0.join("report.xml");
    let output = valkey_vs_redis7(
        &dir.0,
        &[
            "--random",
            "600",
            "--seed",
            "2",
            "--only",
            "redis7,strings",
            "--format",
            "junit",
            "-o",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let xml = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: Vec<_> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(names, ["redis7.toml", "random seed 2"]);
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 4);
    assert_eq!(suites[0].attribute("tests"), Some("4"));
    assert_eq!(suites[0].attribute("failures"), Some("4"));
    let zrank = cases
        .iter()
        .find(|c| c.attribute("name") == Some("zrank withscore"))
        .unwrap();
    let failure = zrank
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(failure.text().unwrap().contains("ZRANK z b WITHSCORE"));
    let chunks: Vec<_> = suites[1]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").unwrap())
        .collect();
    assert_eq!(chunks, ["commands 0-499", "commands 500-599"]);
    for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        assert!(case.attribute("time").unwrap().parse::<f64>().is_ok());
    }
}

/// Whether a MONITOR client is connected to the server.
fn monitor_attached(server: &Server) -> bool {
    let mut client = server.connect().unwrap();
    let reply = client.call(&["CLIENT", "LIST"]);
    let text = String::from_utf8_lossy(&reply.reply().unwrap().raw).into_owned();
    text.contains("cmd=monitor")
}

#[test]
fn capture_then_replay_round_trips() {
    let dir = TempDir::new();
    let valkey = binary(Reference::Valkey91);
    let live = ServerSpec::redis_like(&valkey, "live").start().unwrap();
    let capture_file = dir.0.join("capture.jsonl");
    let url = format!("redis://127.0.0.1:{}", live.port());
    let mut capture = Command::new(ferry_bin())
        .args(["compat", "capture", &url, "--seconds", "2", "--out"])
        .arg(&capture_file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !monitor_attached(&live) {
        assert!(
            Instant::now() < deadline,
            "the capture never attached MONITOR"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Two clients, interleaved: databases, binary data, a transaction, an error.
    let mut first = live.connect().unwrap();
    let mut second = live.connect().unwrap();
    first.call(&["SET", "counter", "10"]);
    second.call(&["SELECT", "2"]);
    second.call(&[b"SET".as_slice(), b"bin", b"\xff\x00\r\n"]);
    first.call(&["INCRBY", "counter", "5"]);
    second.call(&["GET", "bin"]);
    first.call(&["MULTI"]);
    first.call(&["APPEND", "counter", "x"]);
    second.call(&["INCR", "bin"]);
    first.call(&["INCR", "counter"]);
    first.call(&["EXEC"]);
    second.call(&["GET", "counter"]);
    first.call(&["GET", "counter"]);
    // A blocking pop served by the other client: MONITOR shows it before the push that serves it.
    first.send_raw(&encode_command(&["BLPOP", "queue", "0"]));
    std::thread::sleep(Duration::from_millis(50));
    second.call(&["SELECT", "0"]);
    second.call(&["RPUSH", "queue", "job"]);
    assert_eq!(
        first.read_reply().reply().map(|r| r.raw.clone()),
        Some(b"*2\r\n$5\r\nqueue\r\n$3\r\njob\r\n".to_vec())
    );
    first.call(&["LLEN", "queue"]);
    let status = capture.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(capture.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("from 2 clients"), "{stderr}");
    let text = std::fs::read_to_string(&capture_file).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["ferry_capture"], 1);
    assert_eq!(lines.len(), 1 + 16, "{text}");
    assert_eq!(lines[2]["client"], 2);
    assert_eq!(lines[3]["argv_base64"][2], "/wANCg==");
    assert_eq!(lines[3]["db"], 2);

    let output = compat(
        &dir.0,
        &[
            "replay",
            capture_file.to_str().unwrap(),
            "--reference-bin",
            valkey.to_str().unwrap(),
            "--target-bin",
            ferry_bin(),
            "--json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report = json(&output);
    assert_eq!(report["divergence_count"], 0, "{report:#}");
    // 16 commands, plus SELECT 0 before the first client's first command (the second one's is a SELECT).
    assert_eq!(report["commands_compared"], 17, "{report:#}");
    let blpop = report["commands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["command"] == "BLPOP")
        .unwrap_or_else(|| panic!("BLPOP was not compared: {report:#}"));
    assert_eq!(
        (blpop["sent"].as_u64(), blpop["divergent"].as_u64()),
        (Some(1), Some(0))
    );

    // Replaying against Redis 7.0 as target works the same way and finds nothing either.
    let redis7 = binary(Reference::Redis70);
    let output = compat(
        &dir.0,
        &[
            "replay",
            capture_file.to_str().unwrap(),
            "--reference-bin",
            valkey.to_str().unwrap(),
            "--target-bin",
            redis7.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

/// `ferry compat replay FILE --json` with Valkey 9.1 as the reference and ferry as the target.
fn replay_against_valkey(dir: &TempDir, file: &Path) -> std::process::Output {
    let valkey = binary(Reference::Valkey91);
    compat(
        &dir.0,
        &[
            "replay",
            file.to_str().unwrap(),
            "--reference-bin",
            valkey.to_str().unwrap(),
            "--target-bin",
            ferry_bin(),
            "--json",
        ],
    )
}

#[test]
fn an_aof_file_replays_as_one_client() {
    let dir = TempDir::new();
    let aof = dir.file(
        "appendonly.aof",
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:1700000000\r\n\
          *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n\
          *1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*1\r\n$4\r\nEXEC\r\n\
          *2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
    );
    let output = replay_against_valkey(&dir, &aof);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(json(&output)["commands_compared"], 6);
}

#[test]
fn a_multi_part_aof_with_an_rdb_preamble_replays() {
    // Valkey 9.1's own appendonlydir: an RDB base (strings, a list, a set, a sorted set, a hash,
    // expiries, two databases) and an incremental file with a transaction.
    let dir = TempDir::new();
    let aof = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rdb/tests/corpus/valkey-9.1/aof/appendonlydir");
    let output = replay_against_valkey(&dir, &aof);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let compared = json(&output)["commands_compared"].as_u64().unwrap();
    assert!(compared > 20, "{compared} commands compared");
}

#[test]
fn matrix_writes_a_generated_markdown_matrix() {
    let dir = TempDir::new();
    let suite = dir.0.join("suite");
    std::fs::create_dir_all(&suite).unwrap();
    std::fs::write(
        suite.join("mini.toml"),
        "[[case]]\nname = \"strings\"\nsteps = ['SET k 1', 'INCR k', 'GET k', 'NOSUCHCOMMAND']\n",
    )
    .unwrap();
    let out = dir.0.join("COMPATIBILITY.md");
    let output = compat(
        &dir.0,
        &[
            "matrix",
            "--servers",
            "valkey9,ferry",
            "--suite",
            suite.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("> Generated by `ferry compat matrix --servers valkey9,ferry --suite"),
        "{text}"
    );
    assert!(text.contains("| command | valkey 9.1.2 | ferry "), "{text}");
    assert!(text.contains("| INCR | same | same |"), "{text}");
    assert!(text.contains("| NOSUCHCOMMAND | same | same |"), "{text}");
    assert!(
        text.contains("### valkey 9.1.2\n\nNo differences."),
        "{text}"
    );
}

#[test]
fn a_server_holding_keys_is_not_flushed_without_consent() {
    let dir = TempDir::new();
    let valkey = binary(Reference::Valkey91);
    let live = ServerSpec::redis_like(&valkey, "live").start().unwrap();
    live.connect().unwrap().call(&["SET", "precious", "1"]);
    let url = format!("redis://127.0.0.1:{}", live.port());
    let output = compat(
        &dir.0,
        &[
            "run",
            "--reference",
            &url,
            "--target-bin",
            ferry_bin(),
            "--only",
            "bitmaps",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-flush"));
    let mut client = live.connect().unwrap();
    assert_eq!(
        client.call(&["GET", "precious"]).reply().unwrap().raw,
        b"$1\r\n1\r\n"
    );
    let missing = compat(&dir.0, &["run", "--target-bin", ferry_bin()]);
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--reference"));
}
