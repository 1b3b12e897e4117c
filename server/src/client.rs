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
    /// Bytes pushed by other connections (MONITOR lines, later pub/sub messages) waiting to be written.
    pub outbox: Vec<u8>,
    /// Wakes the connection task to flush `outbox` or notice `kill`.
    pub wakeup: Rc<Notify>,
    /// True for a connection in MONITOR mode.
    pub monitor: bool,
    /// True while the connection is inside MULTI.
    pub in_multi: bool,
    /// CLIENT NO-EVICT.
    pub no_evict: bool,
    /// CLIENT NO-TOUCH.
    pub no_touch: bool,
    /// Number of watched keys.
    pub watched_keys: usize,
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
}
