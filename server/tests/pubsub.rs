//! Publish/subscribe over real sockets, for what the differential case files cannot express: many
//! subscribers at once, subscribers that disconnect, INFO counts, replies whose order is Valkey's hash
//! order (UNSUBSCRIBE of everything, several matching patterns), MONITOR lines and the idle timeout.

use std::time::{Duration, Instant};

mod common;
use common::{start_server, Conn};

/// A RESP2 push of bulk strings followed by an integer, as subscribe confirmations are.
fn confirmation(kind: &str, name: &str, count: usize) -> String {
    format!(
        "*3\r\n${}\r\n{kind}\r\n${}\r\n{name}\r\n:{count}\r\n",
        kind.len(),
        name.len()
    )
}

fn message(channel: &str, payload: &str) -> String {
    format!(
        "*3\r\n$7\r\nmessage\r\n${}\r\n{channel}\r\n${}\r\n{payload}\r\n",
        channel.len(),
        payload.len()
    )
}

fn pmessage(pattern: &str, channel: &str, payload: &str) -> String {
    format!(
        "*4\r\n$8\r\npmessage\r\n${}\r\n{pattern}\r\n${}\r\n{channel}\r\n${}\r\n{payload}\r\n",
        pattern.len(),
        channel.len(),
        payload.len()
    )
}

/// An integer field of INFO.
fn info_field(conn: &mut Conn, name: &str) -> i64 {
    let info = conn.call(&["INFO", "everything"]);
    let prefix = format!("{name}:");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in INFO"))
}

/// Waits until INFO shows `count` subscribed connections (a disconnection is noticed asynchronously).
fn wait_pubsub_clients(conn: &mut Conn, count: i64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while info_field(conn, "pubsub_clients") != count {
        assert!(Instant::now() < deadline, "expected {count} pubsub clients");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn info_counts_channels_patterns_shard_channels_and_clients() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut first = Conn::open(port);
    let mut second = Conn::open(port);
    first.call(&["SUBSCRIBE", "a"]);
    first.call(&["PSUBSCRIBE", "p*"]);
    second.call(&["SUBSCRIBE", "a"]);
    second.call(&["SUBSCRIBE", "b"]);
    second.call(&["SSUBSCRIBE", "s"]);
    assert_eq!(info_field(&mut admin, "pubsub_channels"), 2);
    assert_eq!(info_field(&mut admin, "pubsub_patterns"), 1);
    assert_eq!(info_field(&mut admin, "pubsubshard_channels"), 1);
    assert_eq!(info_field(&mut admin, "pubsub_clients"), 2);
    second.call(&["RESET"]);
    assert_eq!(info_field(&mut admin, "pubsub_channels"), 1);
    assert_eq!(info_field(&mut admin, "pubsubshard_channels"), 0);
    assert_eq!(info_field(&mut admin, "pubsub_clients"), 1);
}

#[test]
fn a_disconnecting_subscriber_leaves_nothing_behind() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut subscriber = Conn::open(port);
    subscriber.call(&["SUBSCRIBE", "gone"]);
    subscriber.call(&["PSUBSCRIBE", "go*"]);
    subscriber.call(&["SSUBSCRIBE", "gone"]);
    wait_pubsub_clients(&mut admin, 1);
    drop(subscriber);
    wait_pubsub_clients(&mut admin, 0);
    assert_eq!(admin.call(&["PUBLISH", "gone", "x"]), ":0\r\n");
    assert_eq!(admin.call(&["SPUBLISH", "gone", "x"]), ":0\r\n");
    assert_eq!(admin.call(&["PUBSUB", "NUMPAT"]), ":0\r\n");
    assert_eq!(admin.call(&["PUBSUB", "CHANNELS"]), "*0\r\n");
    assert_eq!(admin.call(&["PUBSUB", "SHARDCHANNELS"]), "*0\r\n");
    assert_eq!(info_field(&mut admin, "pubsub_channels"), 0);
    assert_eq!(info_field(&mut admin, "pubsub_patterns"), 0);
    assert_eq!(info_field(&mut admin, "pubsubshard_channels"), 0);
}

#[test]
fn many_subscribers_each_receive_every_message_in_order() {
    let port = start_server(&[]);
    let mut publisher = Conn::open(port);
    let mut direct: Vec<Conn> = (0..120).map(|_| Conn::open(port)).collect();
    let mut by_pattern: Vec<Conn> = (0..30).map(|_| Conn::open(port)).collect();
    for conn in &mut direct {
        assert_eq!(
            conn.call(&["SUBSCRIBE", "fan"]),
            confirmation("subscribe", "fan", 1)
        );
    }
    for conn in &mut by_pattern {
        conn.call(&["PSUBSCRIBE", "f?n"]);
    }
    assert_eq!(
        publisher.call(&["PUBSUB", "NUMSUB", "fan"]),
        "*2\r\n$3\r\nfan\r\n:120\r\n"
    );
    for n in 0..20 {
        assert_eq!(
            publisher.call(&["PUBLISH", "fan", &format!("m{n}")]),
            ":150\r\n"
        );
    }
    for conn in &mut direct {
        for n in 0..20 {
            assert_eq!(conn.read_text(), message("fan", &format!("m{n}")));
        }
        assert!(conn.silent_for(Duration::from_millis(1)));
    }
    for conn in &mut by_pattern {
        for n in 0..20 {
            assert_eq!(conn.read_text(), pmessage("f?n", "fan", &format!("m{n}")));
        }
    }
    // Half of them leave; the rest still get everything.
    for conn in direct.iter_mut().step_by(2) {
        assert_eq!(
            conn.call(&["UNSUBSCRIBE", "fan"]),
            confirmation("unsubscribe", "fan", 0)
        );
    }
    assert_eq!(publisher.call(&["PUBLISH", "fan", "last"]), ":90\r\n");
    for (index, conn) in direct.iter_mut().enumerate() {
        if index % 2 == 1 {
            assert_eq!(conn.read_text(), message("fan", "last"));
        } else {
            assert_eq!(conn.call(&["PING"]), "+PONG\r\n");
        }
    }
}

#[test]
fn large_messages_and_pipelined_publishes_arrive_intact() {
    let port = start_server(&[]);
    let mut publisher = Conn::open(port);
    let mut subscriber = Conn::open(port);
    subscriber.call(&["SUBSCRIBE", "big"]);
    let payload = vec![b'x'; 3 * 1024 * 1024];
    publisher.send_bytes(&[b"PUBLISH", b"big", &payload]);
    for n in 0..100 {
        publisher.send_bytes(&[b"PUBLISH", b"big", format!("{n}").as_bytes()]);
    }
    assert_eq!(publisher.read_text(), ":1\r\n");
    for _ in 0..100 {
        assert_eq!(publisher.read_text(), ":1\r\n");
    }
    let frame = subscriber.read_reply().expect("the large message");
    assert_eq!(frame.len(), 3 * 1024 * 1024 + 38);
    assert!(frame.ends_with(b"xxx\r\n"));
    for n in 0..100 {
        assert_eq!(subscriber.read_text(), message("big", &format!("{n}")));
    }
}

#[test]
fn unsubscribing_from_everything_confirms_each_subscription() {
    let port = start_server(&[]);
    let mut conn = Conn::open(port);
    conn.send_bytes(&[b"SUBSCRIBE", b"a", b"b", b"c"]);
    for _ in 0..3 {
        conn.read_text();
    }
    conn.send_bytes(&[b"PSUBSCRIBE", b"x*", b"y*"]);
    conn.read_text();
    conn.read_text();
    conn.send_bytes(&[b"UNSUBSCRIBE"]);
    // One confirmation per channel, in the registry's order, counting down (patterns still held).
    let mut names: Vec<String> = (0..3)
        .map(|index| {
            let reply = conn.read_text();
            assert!(
                reply.starts_with("*3\r\n$11\r\nunsubscribe\r\n$1\r\n"),
                "{reply}"
            );
            assert!(reply.ends_with(&format!(":{}\r\n", 4 - index)), "{reply}");
            reply[26..27].to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["a", "b", "c"]);
    conn.send_bytes(&[b"PUNSUBSCRIBE"]);
    let first = conn.read_text();
    let second = conn.read_text();
    assert!(first.ends_with(":1\r\n") && second.ends_with(":0\r\n"));
    assert_eq!(conn.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn every_matching_pattern_delivers_once() {
    let port = start_server(&[]);
    let mut publisher = Conn::open(port);
    let mut subscriber = Conn::open(port);
    subscriber.send_bytes(&[b"PSUBSCRIBE", b"*", b"n*", b"x*"]);
    for _ in 0..3 {
        subscriber.read_text();
    }
    subscriber.call(&["SUBSCRIBE", "news"]);
    assert_eq!(publisher.call(&["PUBLISH", "news", "m"]), ":3\r\n");
    // The channel first, then the patterns in the registry's order.
    assert_eq!(subscriber.read_text(), message("news", "m"));
    let mut patterns = vec![subscriber.read_text(), subscriber.read_text()];
    patterns.sort();
    assert_eq!(
        patterns,
        [pmessage("*", "news", "m"), pmessage("n*", "news", "m")]
    );
    assert!(subscriber.silent_for(Duration::from_millis(50)));
}

#[test]
fn monitor_shows_subscriptions_and_publishes_after_the_messages() {
    let port = start_server(&[]);
    let mut monitor = Conn::open(port);
    let mut publisher = Conn::open(port);
    assert_eq!(monitor.call(&["MONITOR"]), "+OK\r\n");
    // A MONITOR connection may subscribe too (flags OP); the message comes before the line for the
    // PUBLISH that sent it.
    assert_eq!(
        monitor.call(&["SUBSCRIBE", "m"]),
        confirmation("subscribe", "m", 1)
    );
    assert!(monitor.read_text().ends_with("] \"SUBSCRIBE\" \"m\"\r\n"));
    assert_eq!(publisher.call(&["PUBLISH", "m", "hi"]), ":1\r\n");
    assert_eq!(monitor.read_text(), message("m", "hi"));
    assert!(monitor
        .read_text()
        .ends_with("] \"PUBLISH\" \"m\" \"hi\"\r\n"));
    let list = publisher.call(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert!(list.contains(" flags=OP "), "{list}");
    assert!(list.contains(" sub=1 psub=0 ssub=0 "), "{list}");
}

#[test]
fn subscribers_are_exempt_from_the_idle_timeout() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut subscriber = Conn::open(port);
    let mut idle = Conn::open(port);
    subscriber.call(&["SUBSCRIBE", "t"]);
    idle.call(&["PING"]);
    admin.call(&["CONFIG", "SET", "timeout", "1"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Keep the admin connection busy so only `idle` and `subscriber` go idle.
        admin.call(&["PING"]);
        if idle.silent_for(Duration::from_millis(100)) {
            assert!(
                Instant::now() < deadline,
                "the idle client was never closed"
            );
            continue;
        }
        assert!(
            idle.read_reply().is_none(),
            "the idle client should be closed"
        );
        break;
    }
    assert_eq!(admin.call(&["PUBLISH", "t", "still"]), ":1\r\n");
    assert_eq!(subscriber.read_text(), message("t", "still"));
    admin.call(&["CONFIG", "SET", "timeout", "0"]);
}

#[test]
fn a_subscriber_that_does_not_read_is_closed_at_the_pubsub_output_limit() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut publisher = Conn::open(port);
    let mut reader = Conn::open(port);
    let mut stalled = Conn::open(port);
    admin.call(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 1mb 0 0",
    ]);
    reader.call(&["SUBSCRIBE", "flood"]);
    stalled.call(&["SUBSCRIBE", "flood"]);
    let payload = vec![b'y'; 64 * 1024];
    // Far more than the socket buffers and the limit hold; the reader keeps up.
    for _ in 0..256 {
        publisher.send_bytes(&[b"PUBLISH", b"flood", &payload]);
        publisher.read_text();
        let frame = reader.read_reply().expect("the reader's message");
        assert_eq!(frame.len(), payload.len() + 38);
    }
    wait_pubsub_clients(&mut admin, 1);
    assert_eq!(
        info_field(&mut admin, "client_output_buffer_limit_disconnections"),
        1
    );
    assert_eq!(publisher.call(&["PUBLISH", "flood", "x"]), ":1\r\n");
    admin.call(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "pubsub 32mb 8mb 60",
    ]);
    // The stalled connection was closed: whatever it had received, it ends.
    while stalled.read_reply().is_some() {}
}
