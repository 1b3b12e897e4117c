//! Networking: the listener, one task per connection on a single-threaded runtime, and the periodic
//! server cron. A connection task reads what the socket has, runs every complete command in it while
//! holding the server state, then writes all the replies in one batch.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use ferry_resp::request::Parsed;
use ferry_resp::{Argv, Limits, RequestParser};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::client::{Client, ClientShared};
use crate::config::Config;
use crate::exec::{self, Flow};
use crate::server::{unix_ms, Server};

/// Errors that stop the server from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// No configured address could be bound.
    #[error("Failed listening on port {port} (tcp), aborting: {source}")]
    Bind {
        /// The port.
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime could not start.
    #[error("could not start the runtime: {0}")]
    Runtime(std::io::Error),
}

/// Bytes read per socket read.
const READ_CHUNK: usize = 16 * 1024;
/// Replies are flushed once this many bytes are buffered, even mid-pipeline.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// Runs the server until SHUTDOWN or a termination signal. Calls `on_ready` with the bound port once
/// listening (useful for `--port 0`).
pub fn run(config: Config, on_ready: impl FnOnce(u16)) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, serve(config, on_ready))
}

async fn bind(config: &Config) -> Result<Vec<TcpListener>, ServeError> {
    let port = config.get_i64("port") as u16;
    let mut listeners = Vec::new();
    let mut first_error = None;
    let mut bound_port = port;
    for address in config.get("bind").split_whitespace() {
        let (optional, address) = match address.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, address),
        };
        let host = match address {
            "*" => "0.0.0.0",
            "::*" => "::",
            other => other,
        };
        let ip: std::net::IpAddr = match host.parse() {
            Ok(ip) => ip,
            Err(_) if optional => continue,
            Err(_) => {
                return Err(ServeError::Bind {
                    port,
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("bad address {address}"),
                    ),
                })
            }
        };
        match listen(SocketAddr::new(ip, bound_port), config) {
            Ok(listener) => {
                if bound_port == 0 {
                    bound_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
                }
                listeners.push(listener);
            }
            Err(_) if optional => {}
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    if let Some(source) = first_error {
        return Err(ServeError::Bind { port, source });
    }
    if listeners.is_empty() {
        return Err(ServeError::Bind {
            port,
            source: std::io::Error::new(
                std::io::ErrorKind::AddrNotAvailable,
                "no address could be bound",
            ),
        });
    }
    Ok(listeners)
}

fn listen(addr: SocketAddr, config: &Config) -> std::io::Result<TcpListener> {
    let domain = if addr.is_ipv6() {
        socket2::Domain::IPV6
    } else {
        socket2::Domain::IPV4
    };
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(config.get_i64("tcp-backlog").clamp(1, i32::MAX as i64) as i32)?;
    TcpListener::from_std(socket.into())
}

async fn serve(config: Config, on_ready: impl FnOnce(u16)) -> Result<(), ServeError> {
    let listeners = bind(&config).await?;
    let port = listeners[0].local_addr().map(|a| a.port()).unwrap_or(0);
    let mut server = Server::new(config);
    server.port = port;
    let state = Rc::new(RefCell::new(server));
    let shutdown = Rc::new(Notify::new());
    for listener in listeners {
        tokio::task::spawn_local(accept_loop(listener, state.clone(), shutdown.clone()));
    }
    tokio::task::spawn_local(cron(state.clone(), shutdown.clone()));
    on_ready(port);
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = shutdown.notified() => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match terminate.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
    }
    Ok(())
}

/// Periodic work: active expiry, pause expiry, shutdown detection (Valkey's `serverCron`).
async fn cron(state: Rc<RefCell<Server>>, shutdown: Rc<Notify>) {
    loop {
        let hz = state.borrow().config.get_i64("hz").clamp(1, 500) as u64;
        tokio::time::sleep(Duration::from_millis(1000 / hz)).await;
        let mut server = state.borrow_mut();
        if server.shutdown_requested {
            shutdown.notify_one();
            return;
        }
        server.active_expire_cycle();
        server.cron_stats();
        server.close_idle_clients();
        if server.pause.is_some_and(|p| p.until_ms <= unix_ms()) {
            server.pause = None;
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Rc<RefCell<Server>>, shutdown: Rc<Notify>) {
    loop {
        let Ok((stream, addr)) = listener.accept().await else {
            continue;
        };
        let local_addr = stream.local_addr().unwrap_or(addr);
        let _ = stream.set_nodelay(true);
        tokio::task::spawn_local(connection(
            stream,
            addr,
            local_addr,
            state.clone(),
            shutdown.clone(),
        ));
    }
}

fn register(
    state: &Rc<RefCell<Server>>,
    stream: &TcpStream,
    addr: SocketAddr,
    local_addr: SocketAddr,
) -> Option<Client> {
    let mut server = state.borrow_mut();
    server.stats.total_connections_received += 1;
    let max_clients = server.config.get_i64("maxclients").max(1) as usize;
    if server.clients.len() >= max_clients {
        server.stats.rejected_connections += 1;
        return None;
    }
    let id = server.next_client_id;
    server.next_client_id += 1;
    let now = unix_ms();
    use std::os::fd::AsRawFd;
    let shared = Rc::new(RefCell::new(ClientShared::new(
        id,
        addr,
        local_addr,
        i64::from(stream.as_raw_fd()),
        now,
    )));
    server.clients.insert(id, shared.clone());
    let authenticated = server.config.get("requirepass").is_empty();
    Some(Client::new(shared, authenticated))
}

fn unregister(state: &Rc<RefCell<Server>>, client: &RefCell<Client>) {
    let mut server = state.borrow_mut();
    let mut client = client.borrow_mut();
    let id = client.id();
    crate::commands::transactions::unwatch_all(&mut server, &mut client);
    server.blocking.forget(id);
    server.pubsub.forget(id);
    server.clients.remove(&id);
    server.monitors.retain(|&m| m != id);
}

/// What the connection does after a batch of commands.
enum Next {
    /// Wait for more input (or a wake-up).
    Read,
    /// Go on with buffered input right away (stopped early to flush a large reply).
    Continue,
    /// A command is held back by CLIENT PAUSE: try it again shortly.
    RetryLater,
    /// The client is parked by a blocking command.
    Parked,
    /// Close the connection.
    Close,
}

/// Runs every complete command in `input` while holding the server state; returns how many bytes were
/// used and what to do next. `argv` keeps a command that must be retried (CLIENT PAUSE).
fn run_buffered(
    state: &Rc<RefCell<Server>>,
    client_cell: &Rc<RefCell<Client>>,
    parser: &mut RequestParser,
    argv: &mut Argv,
    retry_pending: &mut bool,
    input: &[u8],
) -> (usize, Next) {
    let mut server = state.borrow_mut();
    let mut client = client_cell.borrow_mut();
    client.take_pushed_output();
    let mut consumed = 0;
    let next = if input.is_empty() && !*retry_pending {
        // Woken only to send pushed output (a subscriber): nothing to parse.
        Next::Read
    } else {
        let max_bulk_len = server.config.get_i64("proto-max-bulk-len");
        loop {
            if *retry_pending {
                let flow = exec::execute(&mut server, &mut client, argv);
                client.take_pushed_output();
                match flow {
                    Flow::Retry => break Next::RetryLater,
                    Flow::Close => break Next::Close,
                    Flow::Block => {
                        let request = client.block_request.take();
                        let db = client.db();
                        if let Some(request) = request {
                            client.shared.borrow_mut().blocked = true;
                            let id = client.id();
                            server.blocking.park(
                                id,
                                client_cell.clone(),
                                argv.clone(),
                                db,
                                request,
                            );
                        }
                        *retry_pending = false;
                        argv.clear();
                        break Next::Parked;
                    }
                    Flow::Continue => {}
                }
                *retry_pending = false;
                argv.clear();
            }
            if client.reply.len() >= FLUSH_THRESHOLD {
                break Next::Continue;
            }
            let limits = Limits {
                max_bulk_len,
                auth_required: !client.authenticated,
            };
            match parser.parse(&input[consumed..], &limits, argv) {
                Ok(Parsed::Command { consumed: used }) => {
                    consumed += used;
                    *retry_pending = true;
                }
                Ok(Parsed::Empty { consumed: used }) => {
                    consumed += used;
                    argv.clear();
                }
                Ok(Parsed::Incomplete { consumed: used }) => {
                    consumed += used;
                    break Next::Read;
                }
                Err(error) => {
                    server.stats.count_error("ERR");
                    client.reply.error(&format!("ERR {error}"));
                    break Next::Close;
                }
            }
        }
    };
    server.stats.total_net_input_bytes += consumed as u64;
    server.stats.total_net_output_bytes += client.reply.len() as u64;
    let mut shared = client.shared.borrow_mut();
    shared.net_input_bytes += consumed as u64;
    shared.net_output_bytes += client.reply.len() as u64;
    (consumed, next)
}

/// Writes the client's pending replies and pushed output. No borrow is held across the writes.
async fn flush(client_cell: &RefCell<Client>, stream: &mut TcpStream) -> std::io::Result<()> {
    let shared = client_cell.borrow().shared.clone();
    let mut woken = false;
    let replies = client_cell.borrow_mut().reply.take();
    let written = write_unless_killed(stream, &replies, &shared, &mut woken).await;
    client_cell.borrow_mut().reply.recycle(replies);
    written?;
    let pushed = std::mem::take(&mut shared.borrow_mut().outbox);
    write_unless_killed(stream, &pushed, &shared, &mut woken).await?;
    if woken {
        // A wake-up consumed while writing may announce output still to send.
        shared.borrow().wakeup.notify_one();
    }
    Ok(())
}

/// Writes all of `bytes`, but gives up when the connection is killed meanwhile: a subscriber closed
/// for its output buffer limit may never read again, so its write must not wait for ever. Sets
/// `woken` when it consumed a wake-up of the connection.
async fn write_unless_killed(
    stream: &TcpStream,
    bytes: &[u8],
    shared: &RefCell<ClientShared>,
    woken: &mut bool,
) -> std::io::Result<()> {
    let mut written = 0;
    while written < bytes.len() {
        match stream.try_write(&bytes[written..]) {
            Ok(count) => written += count,
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                let wakeup = shared.borrow().wakeup.clone();
                tokio::select! {
                    biased;
                    ready = stream.writable() => ready?,
                    _ = wakeup.notified() => {
                        *woken = true;
                        if shared.borrow().kill {
                            return Err(std::io::ErrorKind::ConnectionAborted.into());
                        }
                    }
                }
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Waits while the client is parked by a blocking command: until it is served (its reply is then in its
/// buffer), its timeout passes, it is killed, or the peer goes away. Input that arrives meanwhile is kept
/// for later; pushed output is written as it comes. Returns false when the connection must close.
async fn wait_while_parked(
    state: &Rc<RefCell<Server>>,
    client_cell: &RefCell<Client>,
    stream: &TcpStream,
    input: &mut Vec<u8>,
) -> bool {
    let (id, shared) = {
        let client = client_cell.borrow();
        (client.id(), client.shared.clone())
    };
    let wakeup = shared.borrow().wakeup.clone();
    loop {
        if shared.borrow().kill {
            return false;
        }
        let deadline = {
            let server = state.borrow();
            if !server.blocking.is_parked(id) {
                return true;
            }
            server.blocking.deadline(id)
        };
        let sleep = async {
            match deadline {
                Some(at) => {
                    tokio::time::sleep(Duration::from_millis((at - unix_ms()).max(0) as u64)).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = wakeup.notified() => {
                // Still parked: what others pushed (a subscriber's messages) goes out now, as Valkey
                // writes it to a blocked client. Once served, the reply must go first instead.
                if state.borrow().blocking.is_parked(id) {
                    // A parked command writes no reply: the buffer can only hold pushed output
                    // moved there when the command was re-run and blocked again.
                    let mut pushed = client_cell.borrow_mut().reply.take();
                    pushed.append(&mut shared.borrow_mut().outbox);
                    let mut woken = false;
                    if write_unless_killed(stream, &pushed, &shared, &mut woken).await.is_err() {
                        return false;
                    }
                    if woken {
                        wakeup.notify_one();
                    }
                }
            }
            _ = sleep => {
                state.borrow_mut().blocking.time_out(id);
            }
            ready = stream.readable() => {
                if ready.is_err() || !read_available(stream, input) {
                    return false;
                }
            }
        }
    }
}

async fn connection(
    mut stream: TcpStream,
    addr: SocketAddr,
    local_addr: SocketAddr,
    state: Rc<RefCell<Server>>,
    shutdown: Rc<Notify>,
) {
    if refused_by_protected_mode(&state.borrow(), addr) {
        let _ = stream.write_all(PROTECTED_MODE_DENIED.as_bytes()).await;
        return;
    }
    let Some(client) = register(&state, &stream, addr, local_addr) else {
        let _ = stream
            .write_all(b"-ERR max number of clients reached\r\n")
            .await;
        return;
    };
    let shared = client.shared.clone();
    let wakeup = shared.borrow().wakeup.clone();
    let client_cell = Rc::new(RefCell::new(client));
    let mut input: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut parser = RequestParser::new();
    let mut argv = Argv::new();
    let mut retry_pending = false;
    loop {
        if input.len() as i64 > state.borrow().config.get_i64("client-query-buffer-limit") {
            // Valkey closes a client whose unprocessed input outgrows client-query-buffer-limit.
            break;
        }
        if shared.borrow().kill {
            // Killed (CLIENT KILL) while waiting for a pause to end or with input still buffered.
            break;
        }
        let (consumed, next) = run_buffered(
            &state,
            &client_cell,
            &mut parser,
            &mut argv,
            &mut retry_pending,
            &input,
        );
        input.drain(..consumed);
        if state.borrow().shutdown_requested {
            shutdown.notify_one();
        }
        if flush(&client_cell, &mut stream).await.is_err() || shared.borrow().kill {
            break;
        }
        match next {
            Next::Close => break,
            Next::Continue => continue,
            Next::RetryLater => {
                // Held back by CLIENT PAUSE: try again shortly, without reading more input.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            Next::Parked => {
                if !wait_while_parked(&state, &client_cell, &stream, &mut input).await {
                    break;
                }
                continue;
            }
            Next::Read => {}
        }
        tokio::select! {
            biased;
            _ = wakeup.notified() => {}
            ready = stream.readable() => {
                if ready.is_err() || !read_available(&stream, &mut input) {
                    break;
                }
            }
        }
    }
    let _ = stream.shutdown().await;
    unregister(&state, &client_cell);
}

/// The reply a non-loopback client gets in protected mode, Valkey's text.
const PROTECTED_MODE_DENIED: &str = "-DENIED Running in protected mode because protected mode is enabled and no \
password is set for the default user. In this mode connections are only accepted from the loopback interface. \
If you want to connect from external computers, you may adopt one of the following solutions: 1) Just disable \
protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting from \
the same host the server is running, however MAKE SURE it's not publicly accessible from internet if you do so. \
Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by \
editing the configuration file, and setting the protected mode option to 'no', and then restarting the server. \
3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. \
4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in \
order for the server to start accepting connections from the outside.\r\n";

/// True when protected mode refuses a connection from `addr`: protected mode is on, no password is set,
/// and the peer is not on the loopback interface.
fn refused_by_protected_mode(server: &Server, addr: SocketAddr) -> bool {
    let loopback = match addr.ip() {
        std::net::IpAddr::V4(ip) => ip.is_loopback(),
        std::net::IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    !loopback
        && server.config.get_bool("protected-mode")
        && server.config.get("requirepass").is_empty()
}

/// Reads what the socket has into `input`. Returns false when the peer closed or the socket failed.
fn read_available(stream: &TcpStream, input: &mut Vec<u8>) -> bool {
    input.reserve(READ_CHUNK);
    let room = input.capacity() - input.len();
    match stream.try_read_buf(input) {
        Ok(0) => false,
        Ok(read) => {
            if read < room {
                // A short read drained the kernel buffer: mark the socket not ready now, saving the
                // read that would only return EAGAIN before the next readiness event.
                let _ = stream.try_io(tokio::io::Interest::READABLE, || {
                    Err::<(), _>(std::io::Error::from(std::io::ErrorKind::WouldBlock))
                });
            }
            true
        }
        Err(error) => error.kind() == std::io::ErrorKind::WouldBlock,
    }
}
