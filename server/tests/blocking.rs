//! Blocking list commands over real sockets, for what the differential case files cannot express:
//! CLIENT UNBLOCK (it needs the blocked client's id), clients that disconnect while blocked, the order
//! in which timeouts fire, and FIFO service among many waiting clients.

use std::time::{Duration, Instant};

mod common;
use common::{start_server, Conn};

/// The number INFO reports as `blocked_clients`.
fn blocked_clients(conn: &mut Conn) -> usize {
    let info = conn.call(&["INFO", "clients"]);
    info.lines()
        .find_map(|line| line.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("blocked_clients in INFO")
}

/// Waits until exactly `count` clients are blocked (so a test never races a command in flight).
fn wait_blocked(conn: &mut Conn, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while blocked_clients(conn) != count {
        assert!(
            Instant::now() < deadline,
            "expected {count} blocked clients"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn client_unblock_ends_a_blocking_pop_with_a_timeout_or_an_error() {
    let port = start_server(&[]);
    let mut blocked = Conn::open(port);
    let mut admin = Conn::open(port);
    let id = blocked.id();

    blocked.send(&["BLPOP", "l", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", &id]), ":1\r\n");
    assert_eq!(blocked.read_text(), "*-1\r\n");

    // BLMOVE replies with a null array on timeout too, although inside MULTI it replies a null bulk.
    blocked.send(&["BLMOVE", "s", "d", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), ":1\r\n");
    assert_eq!(blocked.read_text(), "*-1\r\n");

    blocked.send(&["BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "2"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", &id, "ERROR"]), ":1\r\n");
    assert_eq!(
        blocked.read_text(),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(admin.call(&["CLIENT", "UNBLOCK", &id]), ":0\r\n");

    // Nothing is left waiting: a push stays in the list.
    assert_eq!(admin.call(&["RPUSH", "l", "x"]), ":1\r\n");
    assert_eq!(admin.call(&["LLEN", "l"]), ":1\r\n");
    assert_eq!(blocked.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_client_that_disconnects_while_blocked_leaves_nothing_behind() {
    let port = start_server(&[]);
    let mut other = Conn::open(port);
    {
        let mut gone = Conn::open(port);
        gone.send(&["BLPOP", "l", "0"]);
        let mut mover = Conn::open(port);
        mover.send(&["BLMOVE", "src", "l", "LEFT", "LEFT", "0"]);
        wait_blocked(&mut other, 2);
    }
    wait_blocked(&mut other, 0);
    assert_eq!(other.call(&["RPUSH", "l", "a"]), ":1\r\n");
    assert_eq!(other.call(&["RPUSH", "src", "b"]), ":1\r\n");
    assert_eq!(other.call(&["LRANGE", "l", "0", "-1"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(other.call(&["LLEN", "src"]), ":1\r\n");

    // A new client blocking on the same key is served normally.
    let mut waiting = Conn::open(port);
    waiting.send(&["BLPOP", "fresh", "0"]);
    wait_blocked(&mut other, 1);
    assert_eq!(other.call(&["RPUSH", "fresh", "v"]), ":1\r\n");
    assert_eq!(waiting.read_text(), "*2\r\n$5\r\nfresh\r\n$1\r\nv\r\n");
}

#[test]
fn timeouts_fire_in_deadline_order_and_later_clients_are_still_served() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut slow = Conn::open(port);
    let mut fast = Conn::open(port);
    let mut forever = Conn::open(port);
    let started = Instant::now();
    slow.send(&["BLPOP", "l", "0.6"]);
    wait_blocked(&mut admin, 1);
    fast.send(&["BRPOP", "l", "0.2"]);
    wait_blocked(&mut admin, 2);
    forever.send(&["BLPOP", "l", "0"]);
    wait_blocked(&mut admin, 3);

    assert_eq!(fast.read_text(), "*-1\r\n");
    let fast_done = started.elapsed();
    assert_eq!(slow.read_text(), "*-1\r\n");
    let slow_done = started.elapsed();
    assert!(fast_done >= Duration::from_millis(200), "{fast_done:?}");
    assert!(slow_done >= Duration::from_millis(600), "{slow_done:?}");
    assert!(fast_done < slow_done);

    wait_blocked(&mut admin, 1);
    assert_eq!(admin.call(&["RPUSH", "l", "a"]), ":1\r\n");
    assert_eq!(forever.read_text(), "*2\r\n$1\r\nl\r\n$1\r\na\r\n");
}

#[test]
fn a_rerun_that_finds_nothing_keeps_the_original_deadline() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut blocked = Conn::open(port);
    let started = Instant::now();
    blocked.send(&["BLPOP", "l", "0.5"]);
    wait_blocked(&mut admin, 1);
    std::thread::sleep(Duration::from_millis(300));
    // The key changes but holds no list: the client stays blocked, its deadline unchanged.
    assert_eq!(admin.call(&["SET", "l", "text"]), "+OK\r\n");
    assert!(blocked.silent_for(Duration::from_millis(50)));
    assert_eq!(blocked.read_text(), "*-1\r\n");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    assert!(waited < Duration::from_millis(750), "{waited:?}");
}

#[test]
fn many_blocked_clients_are_served_first_come_first_served() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut clients: Vec<Conn> = Vec::new();
    for waiting in 1..=6 {
        let mut conn = Conn::open(port);
        if waiting % 2 == 0 {
            conn.send(&["BRPOP", "other", "l", "0"]);
        } else {
            conn.send(&["BLMPOP", "0", "1", "l", "LEFT"]);
        }
        wait_blocked(&mut admin, waiting);
        clients.push(conn);
    }
    assert_eq!(admin.call(&["RPUSH", "l", "1", "2", "3", "4"]), ":4\r\n");
    // BLMPOP LEFT takes the head, BRPOP the tail: 1, 4, 2, 3 in the order the clients blocked.
    assert_eq!(clients[0].read_text(), "*2\r\n$1\r\nl\r\n*1\r\n$1\r\n1\r\n");
    assert_eq!(clients[1].read_text(), "*2\r\n$1\r\nl\r\n$1\r\n4\r\n");
    assert_eq!(clients[2].read_text(), "*2\r\n$1\r\nl\r\n*1\r\n$1\r\n2\r\n");
    assert_eq!(clients[3].read_text(), "*2\r\n$1\r\nl\r\n$1\r\n3\r\n");
    wait_blocked(&mut admin, 2);
    assert_eq!(admin.call(&["EXISTS", "l"]), ":0\r\n");
    assert_eq!(admin.call(&["LPUSH", "other", "x"]), ":1\r\n");
    assert_eq!(clients[5].read_text(), "*2\r\n$5\r\nother\r\n$1\r\nx\r\n");
    assert!(clients[4].silent_for(Duration::from_millis(50)));
}
