//! Connection commands over real sockets: CLIENT KILL really closes the other connection, CLIENT
//! PAUSE holds commands back and lets them run once it ends, CLIENT REPLY, HELLO, RESET and AUTH.

use std::time::{Duration, Instant};

mod common;
use common::{start_server, Conn};

#[test]
fn client_kill_closes_the_other_connection() {
    let port = start_server(&[]);
    let mut killer = Conn::open(port);
    let mut victim = Conn::open(port);
    assert_eq!(victim.call(&["CLIENT", "SETNAME", "victim"]), "+OK\r\n");
    assert_eq!(killer.call(&["CLIENT", "KILL", "NAME", "victim"]), ":1\r\n");
    victim.send(&["PING"]);
    assert_eq!(victim.read_reply(), None);
    assert_eq!(killer.call(&["CLIENT", "KILL", "NAME", "victim"]), ":0\r\n");
    assert_eq!(
        killer.call(&["CLIENT", "LIST", "NAME", "victim"]),
        "$0\r\n\r\n"
    );
}

#[test]
fn client_kill_by_address_and_self() {
    let port = start_server(&[]);
    let mut killer = Conn::open(port);
    let mut victim = Conn::open(port);
    // A round trip makes sure the server has registered the connection.
    assert_eq!(victim.call(&["PING"]), "+PONG\r\n");
    let address = victim.stream.local_addr().expect("address").to_string();
    assert_eq!(killer.call(&["CLIENT", "KILL", &address]), "+OK\r\n");
    assert_eq!(victim.read_reply(), None);
    assert_eq!(
        killer.call(&["CLIENT", "KILL", &address]),
        "-ERR No such client\r\n"
    );
    let my_id = killer.id();
    assert_eq!(killer.call(&["CLIENT", "KILL", "ID", &my_id]), ":0\r\n");
    assert_eq!(
        killer.call(&["CLIENT", "KILL", "ID", &my_id, "SKIPME", "no"]),
        ":1\r\n"
    );
    killer.send(&["PING"]);
    assert_eq!(killer.read_reply(), None);
}

#[test]
fn killed_client_waiting_on_a_pause_never_runs_its_command() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut writer = Conn::open(port);
    let writer_id = writer.id();
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "10000", "WRITE"]),
        "+OK\r\n"
    );
    writer.send(&["SET", "k", "v"]);
    assert!(writer.silent_for(Duration::from_millis(150)));
    assert_eq!(admin.call(&["CLIENT", "KILL", "ID", &writer_id]), ":1\r\n");
    assert_eq!(writer.read_reply(), None);
    assert_eq!(admin.call(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(admin.call(&["GET", "k"]), "$-1\r\n");
}

#[test]
fn write_pause_holds_writes_until_it_ends() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut client = Conn::open(port);
    assert_eq!(admin.call(&["CLIENT", "PAUSE", "400", "WRITE"]), "+OK\r\n");
    let started = Instant::now();
    assert_eq!(client.call(&["GET", "k"]), "$-1\r\n");
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(client.call(&["SET", "k", "v"]), "+OK\r\n");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(client.call(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn unpause_releases_waiting_clients() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut client = Conn::open(port);
    assert_eq!(
        admin.call(&["CLIENT", "PAUSE", "60000", "WRITE"]),
        "+OK\r\n"
    );
    client.send(&["SET", "k", "v"]);
    assert!(client.silent_for(Duration::from_millis(200)));
    let released = Instant::now();
    assert_eq!(admin.call(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(client.read_reply().as_deref(), Some(&b"+OK\r\n"[..]));
    assert!(released.elapsed() < Duration::from_secs(2));
}

#[test]
fn all_pause_holds_every_command_including_unpause() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut client = Conn::open(port);
    assert_eq!(admin.call(&["CLIENT", "PAUSE", "400", "ALL"]), "+OK\r\n");
    let started = Instant::now();
    assert_eq!(client.call(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(client.call(&["PING"]), "+PONG\r\n");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn write_pause_holds_queued_writes_but_not_read_only_exec() {
    let port = start_server(&[]);
    let mut admin = Conn::open(port);
    let mut client = Conn::open(port);
    assert_eq!(client.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(client.call(&["GET", "k"]), "+QUEUED\r\n");
    assert_eq!(admin.call(&["CLIENT", "PAUSE", "400", "WRITE"]), "+OK\r\n");
    let started = Instant::now();
    assert_eq!(client.call(&["EXEC"]), "*1\r\n$-1\r\n");
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(client.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(client.call(&["SET", "k", "v"]), "+QUEUED\r\n");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(client.call(&["EXEC"]), "*1\r\n+OK\r\n");
}

#[test]
fn client_reply_off_and_skip_drop_replies() {
    let port = start_server(&[]);
    let mut client = Conn::open(port);
    client.send(&["CLIENT", "REPLY", "OFF"]);
    client.send(&["PING"]);
    client.send(&["SET", "k", "v"]);
    assert_eq!(client.call(&["CLIENT", "REPLY", "ON"]), "+OK\r\n");
    client.send(&["CLIENT", "REPLY", "SKIP"]);
    client.send(&["ECHO", "dropped"]);
    assert_eq!(client.call(&["ECHO", "kept"]), "$4\r\nkept\r\n");
    assert_eq!(client.call(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn hello_switches_protocol_and_reset_restores_defaults() {
    let port = start_server(&[]);
    let mut client = Conn::open(port);
    let hello = client.call(&["HELLO", "3", "SETNAME", "worker"]);
    assert!(hello.starts_with("%7\r\n$6\r\nserver\r\n$6\r\nvalkey\r\n"));
    assert!(hello.contains("$5\r\nproto\r\n:3\r\n"));
    assert_eq!(client.call(&["CLIENT", "GETNAME"]), "$6\r\nworker\r\n");
    assert_eq!(
        client.call(&["CLIENT", "TRACKINGINFO"]),
        "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
    );
    assert_eq!(client.call(&["SELECT", "3"]), "+OK\r\n");
    assert_eq!(client.call(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(client.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(client.call(&["RESET"]), "+RESET\r\n");
    assert_eq!(client.call(&["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(client.call(&["GET", "k"]), "$-1\r\n");
    assert_eq!(client.call(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    let info = client.call(&["CLIENT", "INFO"]);
    assert!(info.starts_with('$'), "RESP2 again after RESET: {info}");
    assert!(info.contains(" db=0 ") && info.contains(" resp=2 "));
}

#[test]
fn requirepass_gates_commands_until_auth() {
    let port = start_server(&["--requirepass", "secret"]);
    let mut client = Conn::open(port);
    assert_eq!(
        client.call(&["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert!(client
        .call(&["HELLO", "3"])
        .starts_with("-NOAUTH HELLO must be called"));
    assert_eq!(
        client.call(&["AUTH", "wrong"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(client.call(&["AUTH", "default", "secret"]), "+OK\r\n");
    assert_eq!(client.call(&["PING"]), "+PONG\r\n");
    assert_eq!(client.call(&["RESET"]), "+RESET\r\n");
    assert_eq!(
        client.call(&["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    let hello = client.call(&["HELLO", "2", "AUTH", "default", "secret"]);
    assert!(hello.starts_with("*14\r\n"));
    assert_eq!(client.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn client_list_shows_every_connection_in_id_order() {
    let port = start_server(&[]);
    let mut first = Conn::open(port);
    let mut second = Conn::open(port);
    let first_id = first.id();
    let second_id = second.id();
    assert_eq!(second.call(&["CLIENT", "SETNAME", "second"]), "+OK\r\n");
    let list = first.call(&["CLIENT", "LIST"]);
    let lines: Vec<&str> = list
        .split("\r\n")
        .nth(1)
        .expect("list body")
        .lines()
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with(&format!("id={first_id} ")));
    assert!(lines[0].contains(" cmd=client|list "));
    assert!(lines[1].starts_with(&format!("id={second_id} ")));
    assert!(lines[1].contains(" name=second ") && lines[1].contains(" cmd=client|setname "));
    let only_second = first.call(&["CLIENT", "LIST", "ID", &second_id]);
    assert_eq!(only_second.matches("id=").count(), 1);
    let skip_me = first.call(&["CLIENT", "LIST", "SKIPME", "yes"]);
    assert!(!skip_me.contains(&format!("id={first_id} ")));
}

#[test]
fn idle_clients_are_closed_after_timeout_and_active_ones_stay() {
    let port = start_server(&["--timeout", "1"]);
    let mut idle = Conn::open(port);
    assert_eq!(idle.call(&["PING"]), "+PONG\r\n");
    std::thread::sleep(Duration::from_millis(2500));
    idle.send(&["PING"]);
    assert_eq!(idle.read_reply(), None, "an idle client outlives `timeout`");
    let mut busy = Conn::open(port);
    for _ in 0..5 {
        assert_eq!(busy.call(&["PING"]), "+PONG\r\n");
        std::thread::sleep(Duration::from_millis(400));
    }
}
