//! DUMP and RESTORE across servers: keys of every type and encoding (small and large, integers, key
//! TTLs, hash field TTLs where the server has them) are created on Redis 7.0, Redis 8.2 and Valkey 9.1,
//! dumped there and restored into ferry, then compared through commands; ferry's own DUMP payloads
//! are restored into Valkey 9.1 and compared the same way, and DEBUG OBJECT's `serializedlength`
//! agrees with Valkey's for every key. Needs the reference servers (`scripts/install-refs.sh`).

use ferry_compat::{Client, Reference, Response, Server, ServerSpec};
use ferry_resp::Frame;

fn start(spec: ServerSpec) -> Server {
    let label = spec.label.clone();
    spec.start()
        .unwrap_or_else(|error| panic!("cannot start {label}: {error}"))
}

fn reference(which: Reference) -> Server {
    start(
        which
            .spec()
            .unwrap_or_else(|error| panic!("the reference server is required: {error}")),
    )
}

fn ferry() -> Server {
    start(ServerSpec::ferry(env!("CARGO_BIN_EXE_ferry")))
}

fn connect(server: &Server) -> Client {
    server
        .connect()
        .unwrap_or_else(|error| panic!("cannot connect to {}: {error}", server.spec().label))
}

fn call(client: &mut Client, argv: &[Vec<u8>]) -> Frame {
    match client.call(argv) {
        Response::Reply(reply) => reply.frame,
        other => panic!(
            "no reply to {:?}: {other:?}",
            String::from_utf8_lossy(&argv[0])
        ),
    }
}

fn args(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

fn run(client: &mut Client, words: &[&str]) -> Frame {
    call(client, &args(words))
}

/// Runs `argv` and fails on an error reply.
fn ok(client: &mut Client, argv: Vec<Vec<u8>>) {
    if let Frame::Error(text) = call(client, &argv) {
        panic!(
            "{:?} failed: {}",
            String::from_utf8_lossy(&argv[0]),
            String::from_utf8_lossy(&text)
        );
    }
}

/// A far-future absolute expiry (2100-01-01) so nothing expires during the test.
const FAR_FUTURE_MS: &str = "4102444800000";

/// Creates keys of every type and encoding; returns their names.
fn populate(client: &mut Client, field_ttls: bool) -> Vec<String> {
    let mut keys = Vec::new();
    let mut add = |client: &mut Client, key: &str, command: &str, items: Vec<String>| {
        let mut argv = vec![command.as_bytes().to_vec(), key.as_bytes().to_vec()];
        argv.extend(items.into_iter().map(String::into_bytes));
        ok(client, argv);
        keys.push(key.to_string());
    };
    let strings: [(&str, String); 8] = [
        ("s:int8", "-5".into()),
        ("s:int32", "70000".into()),
        ("s:int64", "9223372036854775807".into()),
        ("s:noncanonical", "007".into()),
        ("s:embstr", "hello world".into()),
        ("s:lzf", "ab".repeat(500)),
        (
            "s:raw",
            (0..300)
                .map(|i| char::from(33 + (i * 7919 % 90) as u8))
                .collect(),
        ),
        ("s:empty", String::new()),
    ];
    for (key, value) in strings {
        add(client, key, "SET", vec![value]);
    }
    add(
        client,
        "l:small",
        "RPUSH",
        vec!["a".into(), "1".into(), "-300".into()],
    );
    add(
        client,
        "l:big",
        "RPUSH",
        (0..3000).map(|i| format!("item-{i}")).collect(),
    );
    add(
        client,
        "l:long",
        "RPUSH",
        vec!["x".repeat(10_000), "y".into()],
    );
    add(
        client,
        "set:intset",
        "SADD",
        (0..20).map(|i| (i * 1000 - 5).to_string()).collect(),
    );
    add(
        client,
        "set:bigints",
        "SADD",
        (0..700).map(|i| i.to_string()).collect(),
    );
    add(
        client,
        "set:small",
        "SADD",
        vec!["a".into(), "b".into(), "3".into()],
    );
    add(
        client,
        "set:table",
        "SADD",
        (0..300).map(|i| format!("m-{i}")).collect(),
    );
    add(
        client,
        "h:small",
        "HSET",
        vec!["a".into(), "1".into(), "b".into(), "x".repeat(40)],
    );
    add(client, "h:long", "HSET", vec!["f".into(), "v".repeat(100)]);
    add(
        client,
        "h:table",
        "HSET",
        (0..700)
            .flat_map(|i| [format!("f{i}"), i.to_string()])
            .collect(),
    );
    add(
        client,
        "z:small",
        "ZADD",
        ["1.5 a", "-2 b", "inf c", "0.1 d", "1e300 e"]
            .iter()
            .flat_map(|pair| pair.split(' ').map(str::to_string))
            .collect(),
    );
    add(
        client,
        "z:big",
        "ZADD",
        (0..300)
            .flat_map(|i| [format!("{}", f64::from(i) / 3.0), format!("m{i}")])
            .collect(),
    );
    add(client, "ttl:key", "SET", vec!["v".into()]);
    ok(client, args(&["PEXPIREAT", "ttl:key", FAR_FUTURE_MS]));
    if field_ttls {
        for (key, count) in [("h:ttl-small", 3), ("h:ttl-big", 600)] {
            add(
                client,
                key,
                "HSET",
                (0..count)
                    .flat_map(|i| [format!("f{i}"), format!("v{i}")])
                    .collect(),
            );
            ok(
                client,
                args(&["HPEXPIREAT", key, FAR_FUTURE_MS, "FIELDS", "2", "f0", "f1"]),
            );
        }
    }
    keys
}

/// What a key holds, read through commands, in a comparable form: type, TTL, contents (sets and
/// hashes sorted) and, with `field_ttls`, hash field expiry times.
fn describe(client: &mut Client, key: &str, field_ttls: bool) -> String {
    let kind = match run(client, &["TYPE", key]) {
        Frame::Simple(name) => String::from_utf8_lossy(&name).into_owned(),
        other => panic!("TYPE {key}: {other:?}"),
    };
    let ttl = format!("{:?}", run(client, &["PEXPIRETIME", key]));
    let contents = match kind.as_str() {
        "string" => format!("{:?}", run(client, &["GET", key])),
        "list" => format!("{:?}", run(client, &["LRANGE", key, "0", "-1"])),
        "set" => sorted(run(client, &["SMEMBERS", key])),
        // Scores compared as numbers: Redis 7.0 prints them with 17 digits, Valkey shortest.
        "zset" => match run(client, &["ZRANGE", key, "0", "-1", "WITHSCORES"]) {
            Frame::Array(Some(items)) => items
                .chunks(2)
                .map(|pair| match pair {
                    [Frame::Bulk(Some(member)), Frame::Bulk(Some(score))] => {
                        let score: f64 = String::from_utf8_lossy(score).parse().unwrap_or(f64::NAN);
                        format!("{}={score:?}", String::from_utf8_lossy(member))
                    }
                    other => panic!("ZRANGE {key}: {other:?}"),
                })
                .collect::<Vec<_>>()
                .join(","),
            other => panic!("ZRANGE {key}: {other:?}"),
        },
        "hash" => {
            let fields = match run(client, &["HKEYS", key]) {
                Frame::Array(Some(fields)) => fields,
                other => panic!("HKEYS {key}: {other:?}"),
            };
            let mut lines: Vec<String> = fields
                .into_iter()
                .map(|field| {
                    let Frame::Bulk(Some(field)) = field else {
                        panic!("HKEYS {key} gave a non-bulk");
                    };
                    let name = String::from_utf8_lossy(&field).into_owned();
                    let value = run(client, &["HGET", key, &name]);
                    let expiry = if field_ttls {
                        run(client, &["HPEXPIRETIME", key, "FIELDS", "1", &name])
                    } else {
                        Frame::Null
                    };
                    format!("{name}={value:?}@{expiry:?}")
                })
                .collect();
            lines.sort();
            lines.join(",")
        }
        other => panic!("unexpected type {other} for {key}"),
    };
    format!("{kind} ttl={ttl} {contents}")
}

fn sorted(frame: Frame) -> String {
    match frame {
        Frame::Array(Some(mut items)) | Frame::Set(mut items) => {
            items.sort_by_key(|item| format!("{item:?}"));
            format!("{items:?}")
        }
        other => format!("{other:?}"),
    }
}

fn dump(client: &mut Client, key: &str) -> Vec<u8> {
    match run(client, &["DUMP", key]) {
        Frame::Bulk(Some(payload)) => payload,
        other => panic!("DUMP {key}: {other:?}"),
    }
}

/// Restores `payload` as `key` with the TTL `source` has on it; returns the reply.
fn restore(target: &mut Client, key: &str, payload: Vec<u8>, expire_at: &Frame) -> Frame {
    let ttl = match expire_at {
        Frame::Integer(at) if *at > 0 => at.to_string(),
        _ => "0".to_string(),
    };
    let mut argv = args(&["RESTORE", key, &ttl]);
    argv.push(payload);
    argv.extend(args(&["ABSTTL"]));
    call(target, &argv)
}

/// Copies every key from `source` to `target` through DUMP/RESTORE and checks they read the same
/// (field TTLs too when both have them); with `same_encodings` OBJECT ENCODING must agree too.
fn copy_and_compare(
    source: &mut Client,
    target: &mut Client,
    keys: &[String],
    field_ttls: bool,
    same_encodings: bool,
) {
    for key in keys {
        let payload = dump(source, key);
        let expire_at = run(source, &["PEXPIRETIME", key]);
        let reply = restore(target, key, payload, &expire_at);
        assert_eq!(reply, Frame::Simple(b"OK".to_vec()), "RESTORE {key}");
        assert_eq!(
            describe(source, key, field_ttls),
            describe(target, key, field_ttls),
            "{key}"
        );
        if same_encodings {
            assert_eq!(
                run(source, &["OBJECT", "ENCODING", key]),
                run(target, &["OBJECT", "ENCODING", key]),
                "OBJECT ENCODING {key}"
            );
        }
    }
}

fn source_into_ferry(which: Reference, field_ttls: bool, same_encodings: bool) {
    let (source_server, ferry_server) = (reference(which), ferry());
    let (mut source, mut target) = (connect(&source_server), connect(&ferry_server));
    let keys = populate(&mut source, field_ttls);
    copy_and_compare(&mut source, &mut target, &keys, field_ttls, same_encodings);
}

#[test]
fn redis_7_0_payloads_restore_into_ferry() {
    source_into_ferry(Reference::Redis70, false, false);
}

#[test]
fn redis_8_2_payloads_restore_into_ferry() {
    // RDB 12 with Redis's own field-TTL hash types (24, 25): a superset of what Valkey accepts.
    source_into_ferry(Reference::Redis82, true, false);
}

#[test]
fn valkey_9_1_payloads_restore_into_ferry_with_the_same_encodings() {
    source_into_ferry(Reference::Valkey91, true, true);
}

#[test]
fn ferry_payloads_restore_into_valkey_and_lengths_agree() {
    let (valkey_server, ferry_server) = (reference(Reference::Valkey91), ferry());
    let (mut valkey, mut ferry) = (connect(&valkey_server), connect(&ferry_server));
    let keys = populate(&mut ferry, true);
    populate(&mut valkey, true);
    for key in &keys {
        let length = |client: &mut Client| match run(client, &["DEBUG", "OBJECT", key]) {
            Frame::Simple(text) => String::from_utf8_lossy(&text)
                .split(' ')
                .find(|part| part.starts_with("serializedlength:"))
                .map(str::to_string),
            other => panic!("DEBUG OBJECT {key}: {other:?}"),
        };
        assert_eq!(length(&mut valkey), length(&mut ferry), "{key}");
    }
    ok(&mut valkey, args(&["FLUSHALL"]));
    copy_and_compare(&mut ferry, &mut valkey, &keys, true, true);
}

#[test]
fn older_servers_refuse_ferry_payloads_by_version() {
    // ferry writes RDB 80 like Valkey 9.1; Redis 7.0 (10) and 8.2 (12) refuse newer versions.
    let ferry_server = ferry();
    let mut ferry = connect(&ferry_server);
    ok(&mut ferry, args(&["SET", "k", "v"]));
    let payload = dump(&mut ferry, "k");
    assert_eq!(&payload[payload.len() - 10..payload.len() - 8], &[80, 0]);
    for which in [Reference::Redis70, Reference::Redis82] {
        let server = reference(which);
        let mut client = connect(&server);
        assert_eq!(
            restore(&mut client, "k", payload.clone(), &Frame::Integer(0)),
            Frame::Error(b"ERR DUMP payload version or checksum are wrong".to_vec()),
            "{}",
            which.label()
        );
    }
}
