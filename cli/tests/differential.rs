//! Differential tests: ferry against the reference Valkey 9.1 server. Every case file under
//! `compat-tests/cases/` and seeded random command streams run against both in lockstep; any reply that
//! differs (after the normalisation table) fails the test with the full list. Replay a part with
//! `FERRY_COMPAT_ONLY=strings`, `FERRY_COMPAT_SEED=3`, `FERRY_COMPAT_COUNT=500` (see `ferry_compat::suite`).
//! A missing Valkey binary fails the tests with the install hint: run `scripts/install-refs.sh`.

use std::path::PathBuf;
use std::time::Duration;

use ferry_compat::report::{escape, format_response};
use ferry_compat::suite::{run_cases, run_random};
use ferry_compat::{Reference, Response, Runner, Server, ServerSpec, SuiteOptions};

fn start(spec: ServerSpec) -> Server {
    let label = spec.label.clone();
    spec.start()
        .unwrap_or_else(|error| panic!("cannot start {label}: {error}"))
}

fn valkey() -> Server {
    let spec = Reference::Valkey91
        .spec()
        .unwrap_or_else(|error| panic!("the reference server is required: {error}"));
    start(spec)
}

fn ferry() -> Server {
    start(ServerSpec::ferry(env!("CARGO_BIN_EXE_ferry")))
}

fn options() -> SuiteOptions {
    SuiteOptions::from_env().unwrap_or_else(|error| panic!("{error}"))
}

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../compat-tests/cases")
}

/// Runs `body` on a runner between the two servers and fails with the report if anything diverged.
fn differential(
    run: &str,
    reference: &Server,
    target: &Server,
    options: &SuiteOptions,
    body: impl FnOnce(&mut Runner) -> Result<(), ferry_compat::Error>,
) {
    let mut runner = Runner::new(reference.addr(), target.addr())
        .with_labels(reference.spec().label.clone(), target.spec().label.clone());
    let outcome = body(&mut runner);
    let report = runner.into_report();
    let text = options
        .finish(run, &report)
        .unwrap_or_else(|error| panic!("{error}"));
    if let Err(error) = outcome {
        panic!(
            "the run stopped: {error}\n{text}\nreference log:\n{}\ntarget log:\n{}",
            reference.log_tail(),
            target.log_tail()
        );
    }
    assert!(report.is_clean(), "{text}");
    eprintln!("{}", report.summary());
}

#[test]
fn ferry_matches_valkey_on_case_files() {
    let options = options();
    let (reference, target) = (valkey(), ferry());
    differential("cases", &reference, &target, &options, |runner| {
        run_cases(runner, &cases_dir(), &options)
    });
}

#[test]
fn ferry_matches_valkey_on_random_commands() {
    let options = options();
    let (reference, target) = (valkey(), ferry());
    differential("random", &reference, &target, &options, |runner| {
        run_random(runner, &options)
    });
}

/// Two Valkey processes must agree on everything: this proves the generator avoids replies that
/// legitimately differ, and the normaliser relaxes what does (hash order, clocks, ids).
#[test]
fn valkey_vs_valkey_is_clean() {
    let options = options();
    let (reference, target) = (valkey(), valkey());
    differential(
        "valkey-vs-valkey",
        &reference,
        &target,
        &options,
        |runner| {
            run_cases(runner, &cases_dir(), &options)?;
            run_random(runner, &options)
        },
    );
}

/// Malformed requests: the same error reply, and the server closes the connection.
#[test]
fn malformed_protocol_gets_valkey_errors_and_closes() {
    let (reference, target) = (valkey(), ferry());
    let too_big_inline = vec![b'a'; 70_000];
    let too_big_count = [b"*".as_slice(), &vec![b'1'; 70_000]].concat();
    let requests: Vec<(&str, Vec<u8>)> = vec![
        ("invalid multibulk length", b"*abc\r\n".to_vec()),
        (
            "multibulk length beyond INT_MAX",
            b"*3000000000\r\n".to_vec(),
        ),
        ("expected '$'", b"*1\r\nfoo\r\n".to_vec()),
        ("invalid bulk length", b"*1\r\n$abc\r\n".to_vec()),
        ("negative bulk length", b"*1\r\n$-5\r\n".to_vec()),
        (
            "bulk length beyond proto-max-bulk-len",
            b"*1\r\n$536870913\r\n".to_vec(),
        ),
        ("unbalanced quotes in inline", b"SET \"abc\r\n".to_vec()),
        (
            "unbalanced single quotes in inline",
            b"ECHO 'abc\r\n".to_vec(),
        ),
        ("too big inline request", too_big_inline),
        ("too big multibulk count", too_big_count),
    ];
    let mut failures = Vec::new();
    for (what, bytes) in &requests {
        let mut outcome = Vec::new();
        for server in [&reference, &target] {
            let mut client = server
                .connect()
                .unwrap_or_else(|error| panic!("connecting to {}: {error}", server.spec().label));
            client
                .set_timeout(Duration::from_secs(3))
                .unwrap_or_else(|error| panic!("{error}"));
            let reply = client.call_raw(bytes);
            let closed = client.wait_closed();
            outcome.push((reply, closed));
        }
        let (reference_reply, reference_closed) = &outcome[0];
        let (target_reply, target_closed) = &outcome[1];
        let is_protocol_error = matches!(
            reference_reply,
            Response::Reply(r) if r.raw.starts_with(b"-ERR Protocol error")
        );
        assert!(
            is_protocol_error && *reference_closed,
            "{what}: the reference did not answer a protocol error and close: {}",
            format_response(reference_reply)
        );
        if reference_reply != target_reply || reference_closed != target_closed {
            failures.push(format!(
                "{what}: request {}\n    reference: {} (closed: {reference_closed})\n    target:    {} (closed: {target_closed})",
                shorten(&escape(bytes)),
                format_response(reference_reply),
                format_response(target_reply),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn shorten(text: &str) -> String {
    if text.len() > 80 {
        format!("{}... ({} chars)", &text[..80], text.len())
    } else {
        text.to_string()
    }
}
