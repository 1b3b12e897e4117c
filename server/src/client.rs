//! Per-connection state. `Client` is owned by the connection task; `ClientShared` holds what other
//! connections must see or change (CLIENT LIST/KILL, MONITOR output, WATCH invalidation).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;

use ferry_resp::{Argv, ReplyBuffer};
use tokio::sync::Notify;

/// A unique, increasing client id (CLIENT ID).
pub type ClientId = u64;

/// State other connections may read or change.
#[derive(Debug)]
pub struct ClientShared {
    /// CLIENT ID.
    pub id: ClientId,
    /// Peer address.
    pub addr: SocketAddr,
    /// Local address.
    pub local_addr: SocketAddr,
    /// File descriptor number, as CLIENT LIST shows it.
    pub fd: i64,
    /// CLIENT SETNAME.
    pub name: Vec<u8>,
    /// CLIENT SETINFO lib-name.
    pub lib_name: Vec<u8>,
    /// CLIENT SETINFO lib-ver.
    pub lib_ver: Vec<u8>,
    /// Selected database.
    pub db: usize,
    /// Protocol version (2 or 3).
    pub resp: u8,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// Last command time, Unix ms.
    pub last_interaction_ms: i64,
    /// Full name of the last command run (`client|list`).
    pub last_command: &'static str,
    /// Set when the connection must close (CLIENT KILL, SHUTDOWN).
    pub kill: bool,
    /// Set when a watched key was modified: EXEC must abort.
    pub dirty_cas: bool,
    /// Bytes pushed by other connections (MONITOR lines, pub/sub messages) waiting to be written.
    pub outbox: Vec<u8>,
    /// Wakes the connection task to flush `outbox` or notice `kill`.
    pub wakeup: Rc<Notify>,
    /// True for a connection in MONITOR mode.
    pub monitor: bool,
    /// Pub/sub subscriptions held, kept up to date by `crate::pubsub` (CLIENT LIST, subscribed mode).
    pub subscriptions: crate::pubsub::SubscriptionCounts,
    /// True while the connection is inside MULTI.
    pub in_multi: bool,
    /// CLIENT NO-EVICT.
    pub no_evict: bool,
    /// CLIENT NO-TOUCH.
    pub no_touch: bool,
    /// Number of watched keys.
    pub watched_keys: usize,
    /// True while parked by a blocking command (CLIENT LIST flag `b`).
    pub blocked: bool,
    /// CLIENT CAPA REDIRECT.
    pub capa_redirect: bool,
    /// CLIENT IMPORT-SOURCE.
    pub import_source: bool,
    /// Commands queued in the open transaction; `None` until the connection first used MULTI (Valkey
    /// then shows `multi=-1`, afterwards 0 outside a transaction).
    pub multi_queued: Option<usize>,
    /// Estimated bytes held by the queued commands (CLIENT LIST `multi-mem`).
    pub multi_mem: usize,
    /// Bytes read from the connection.
    pub net_input_bytes: u64,
    /// Bytes written to the connection.
    pub net_output_bytes: u64,
    /// Commands run for this connection.
    pub commands_processed: u64,
}

impl ClientShared {
    /// The state of a connection accepted at `now_ms`.
    pub fn new(
        id: ClientId,
        addr: SocketAddr,
        local_addr: SocketAddr,
        fd: i64,
        now_ms: i64,
    ) -> Self {
        Self {
            id,
            addr,
            local_addr,
            fd,
            name: Vec::new(),
            lib_name: Vec::new(),
            lib_ver: Vec::new(),
            db: 0,
            resp: 2,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_command: "NULL",
            kill: false,
            dirty_cas: false,
            outbox: Vec::new(),
            wakeup: Rc::new(Notify::new()),
            monitor: false,
            subscriptions: crate::pubsub::SubscriptionCounts::default(),
            in_multi: false,
            no_evict: false,
            no_touch: false,
            watched_keys: 0,
            blocked: false,
            capa_redirect: false,
            import_source: false,
            multi_queued: None,
            multi_mem: 0,
            net_input_bytes: 0,
            net_output_bytes: 0,
            commands_processed: 0,
        }
    }
}

/// How replies are currently suppressed (CLIENT REPLY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// Replies are sent.
    #[default]
    On,
    /// No replies until CLIENT REPLY ON.
    Off,
    /// The next command's reply is dropped.
    SkipNext,
    /// The current command's reply is dropped (SKIP was set by the previous command).
    Skip,
}

/// A queued MULTI transaction.
#[derive(Debug, Default)]
pub struct MultiState {
    /// Commands queued since MULTI.
    pub queued: Vec<Argv>,
    /// Set when a command failed to queue: EXEC replies EXECABORT.
    pub error: bool,
}

/// Connection-local state, owned by the connection task.
pub struct Client {
    /// State visible to other connections.
    pub shared: Rc<RefCell<ClientShared>>,
    /// True once AUTH succeeded (or when no password is required).
    pub authenticated: bool,
    /// Open transaction, if inside MULTI.
    pub multi: Option<MultiState>,
    /// Keys watched by WATCH, as (db, key, expired-at-watch-time).
    pub watched: Vec<(usize, Vec<u8>, bool)>,
    /// CLIENT REPLY state.
    pub reply_mode: ReplyMode,
    /// Encoded replies waiting to be written.
    pub reply: ReplyBuffer,
    /// Set by QUIT and protocol errors: close after flushing replies.
    pub close_after_reply: bool,
    /// Set by a handler that wants to block (see `blocking`); taken by the dispatcher.
    pub block_request: Option<crate::blocking::BlockRequest>,
    /// True while a parked command is re-run because one of its keys changed.
    pub reprocessing_blocked: bool,
    /// True while EXEC runs the queued commands (blocking commands must not block then).
    pub in_exec: bool,
    /// The top-level table entry of the last command looked up (a lookup cache for pipelines).
    pub last_top_command: Option<&'static crate::commands::CommandSpec>,
}

impl Client {
    /// A new client.
    pub fn new(shared: Rc<RefCell<ClientShared>>, authenticated: bool) -> Self {
        Self {
            shared,
            authenticated,
            multi: None,
            watched: Vec::new(),
            reply_mode: ReplyMode::On,
            reply: ReplyBuffer::new(),
            close_after_reply: false,
            block_request: None,
            reprocessing_blocked: false,
            in_exec: false,
            last_top_command: None,
        }
    }

    /// The client's id.
    pub fn id(&self) -> ClientId {
        self.shared.borrow().id
    }

    /// The selected database.
    pub fn db(&self) -> usize {
        self.shared.borrow().db
    }

    /// Switches the protocol version (HELLO, RESET) for the replies that follow.
    pub fn set_resp(&mut self, resp: u8) {
        self.shared.borrow_mut().resp = resp;
        self.reply.set_resp3(resp == 3);
    }

    /// Moves pushed output (pub/sub messages, MONITOR lines) into the reply buffer. Called before a
    /// batch (what others pushed meanwhile precedes the replies to come, as in Valkey's single output
    /// buffer), after each command (what the command pushed to its own connection follows its reply,
    /// as Valkey defers it) and before a parked command is re-run. Both buffers keep their allocations.
    pub fn take_pushed_output(&mut self) {
        let mut shared = self.shared.borrow_mut();
        if !shared.outbox.is_empty() {
            self.reply.raw(&shared.outbox);
            shared.outbox.clear();
        }
    }

    /// Copies the transaction counters into the shared state, where CLIENT LIST of another connection
    /// reads them. Called after every command; O(1), as at most one command is queued per call.
    pub fn mirror_multi_state(&self) {
        let mut shared = self.shared.borrow_mut();
        match &self.multi {
            Some(multi) => {
                let queued = multi.queued.len();
                let before = shared.multi_queued.unwrap_or(0);
                if queued == before + 1 {
                    if let Some(last) = multi.queued.last() {
                        shared.multi_mem += queued_command_bytes(last);
                    }
                } else if queued != before {
                    shared.multi_mem = multi.queued.iter().map(queued_command_bytes).sum();
                }
                shared.multi_queued = Some(queued);
            }
            None => {
                if shared.multi_queued.is_some_and(|queued| queued > 0) {
                    shared.multi_queued = Some(0);
                    shared.multi_mem = 0;
                }
            }
        }
    }
}

/// Memory a queued command holds, counted like Valkey's `multi-mem`: argument bytes plus one pointer
/// per argument.
pub fn queued_command_bytes(argv: &Argv) -> usize {
    argv.byte_len() + argv.len() * std::mem::size_of::<usize>()
}
