//! Blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...): clients parked on keys until one of them is
//! modified or their timeout passes.
//!
//! A handler that finds nothing to serve calls [`Ctx::block_on_keys`](crate::commands::Ctx::block_on_keys)
//! and returns without replying. The connection then parks: the server keeps the client (its state lives in
//! an `Rc<RefCell<Client>>` the parked task does not borrow) and, for each key, a FIFO queue of the clients
//! waiting on it. Every write marks its key modified; if clients wait on that key it becomes *ready*.
//! After each top-level command (after the whole of EXEC), [`serve_ready_keys`] re-runs the parked
//! commands from scratch, oldest first per key: a command that now finds data replies and its client is
//! woken; one that still finds nothing blocks again and keeps its place. This is how Valkey 7+ works, and
//! it means a blocked command always sees exactly the state a fresh call would.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use ferry_resp::Argv;

use crate::client::{Client, ClientId};
use crate::error::CommandError;
use crate::exec;
use crate::server::Server;
use crate::types::long_double::LongDouble;

/// What a blocked command replies when its timeout passes (or CLIENT UNBLOCK ... TIMEOUT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    /// `*-1` (RESP2) / `_` (RESP3): BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP.
    NullArray,
    /// `$-1` (RESP2) / `_` (RESP3): BLMOVE, BRPOPLPUSH.
    NullBulk,
}

/// A handler's request to park its client.
#[derive(Debug, Clone)]
pub struct BlockRequest {
    /// Keys of the selected database to wait on.
    pub keys: Vec<Vec<u8>>,
    /// Absolute Unix ms after which the command times out; `None` waits for ever.
    pub deadline_ms: Option<i64>,
    /// The reply on timeout.
    pub on_timeout: TimeoutReply,
}

/// A parked client.
struct Parked {
    client: Rc<RefCell<Client>>,
    argv: Argv,
    db: usize,
    keys: Vec<Vec<u8>>,
    deadline_ms: Option<i64>,
    on_timeout: TimeoutReply,
}

/// Every parked client, the per-key FIFO queues, and the keys modified since the last serving round.
#[derive(Default)]
pub struct Blocking {
    parked: HashMap<ClientId, Parked>,
    queues: HashMap<(usize, Vec<u8>), VecDeque<ClientId>>,
    ready: VecDeque<(usize, Vec<u8>)>,
    ready_set: HashSet<(usize, Vec<u8>)>,
}

impl Blocking {
    /// Number of parked clients (INFO `blocked_clients`).
    pub fn len(&self) -> usize {
        self.parked.len()
    }

    /// True when no client is parked.
    pub fn is_empty(&self) -> bool {
        self.parked.is_empty()
    }

    /// True when a modified key has clients waiting on it.
    pub fn has_ready_keys(&self) -> bool {
        !self.ready.is_empty()
    }

    /// True when `id` is parked.
    pub fn is_parked(&self, id: ClientId) -> bool {
        self.parked.contains_key(&id)
    }

    /// The deadline of a parked client.
    pub fn deadline(&self, id: ClientId) -> Option<i64> {
        self.parked.get(&id).and_then(|p| p.deadline_ms)
    }

    /// Records that `key` of `db` was modified: if clients wait on it, it is served after the command.
    pub fn key_modified(&mut self, db: usize, key: &[u8]) {
        if self.queues.is_empty() {
            return;
        }
        let slot = (db, key.to_vec());
        if self.queues.contains_key(&slot) && self.ready_set.insert(slot.clone()) {
            self.ready.push_back(slot);
        }
    }

    /// Marks every waited-on key of `db` (or of every db with `None`) as ready (FLUSHALL, SWAPDB...).
    pub fn all_keys_modified(&mut self, db: Option<usize>) {
        let slots: Vec<(usize, Vec<u8>)> = self
            .queues
            .keys()
            .filter(|(d, _)| db.is_none_or(|wanted| wanted == *d))
            .cloned()
            .collect();
        for (d, key) in slots {
            self.key_modified(d, &key);
        }
    }

    /// Parks client `id` (whose state is `client`; the caller may hold it borrowed), which ran `argv`
    /// in `db` and asked to block.
    pub fn park(
        &mut self,
        id: ClientId,
        client: Rc<RefCell<Client>>,
        argv: Argv,
        db: usize,
        request: BlockRequest,
    ) {
        for key in &request.keys {
            let queue = self.queues.entry((db, key.clone())).or_default();
            if !queue.contains(&id) {
                queue.push_back(id);
            }
        }
        self.parked.insert(
            id,
            Parked {
                client,
                argv,
                db,
                keys: request.keys,
                deadline_ms: request.deadline_ms,
                on_timeout: request.on_timeout,
            },
        );
    }

    /// Removes `id` from every queue. Returns the parked state if it was parked.
    fn unpark(&mut self, id: ClientId) -> Option<Parked> {
        let parked = self.parked.remove(&id)?;
        for key in &parked.keys {
            let slot = (parked.db, key.clone());
            if let Some(queue) = self.queues.get_mut(&slot) {
                queue.retain(|&waiting| waiting != id);
                if queue.is_empty() {
                    self.queues.remove(&slot);
                }
            }
        }
        Some(parked)
    }

    /// Forgets a client that disconnected while parked.
    pub fn forget(&mut self, id: ClientId) {
        self.unpark(id);
    }

    /// Ends a parked client's wait with its timeout reply (timeout, or CLIENT UNBLOCK ... TIMEOUT).
    /// Returns false when it was not parked.
    pub fn time_out(&mut self, id: ClientId) -> bool {
        let Some(parked) = self.unpark(id) else {
            return false;
        };
        let mut client = parked.client.borrow_mut();
        match parked.on_timeout {
            TimeoutReply::NullArray => client.reply.null_array(),
            TimeoutReply::NullBulk => client.reply.null(),
        }
        wake(&client);
        true
    }

    /// Ends a parked client's wait with an error reply (CLIENT UNBLOCK ... ERROR).
    pub fn fail(&mut self, id: ClientId, message: &str) -> bool {
        let Some(parked) = self.unpark(id) else {
            return false;
        };
        let mut client = parked.client.borrow_mut();
        client.reply.error(message);
        wake(&client);
        true
    }
}

fn wake(client: &Client) {
    let mut shared = client.shared.borrow_mut();
    shared.blocked = false;
    shared.wakeup.notify_one();
}

/// Re-runs the commands of clients waiting on keys modified since the last round, oldest first per key,
/// until no ready key is left (a served command may itself make more keys ready, as BLMOVE does).
pub fn serve_ready_keys(server: &mut Server) {
    while let Some(slot) = server.blocking.ready.pop_front() {
        server.blocking.ready_set.remove(&slot);
        let waiting: Vec<ClientId> = match server.blocking.queues.get(&slot) {
            Some(queue) => queue.iter().copied().collect(),
            None => continue,
        };
        for id in waiting {
            let (db, key) = (slot.0, &slot.1);
            if server.dbs[db].peek(key).is_none() {
                break;
            }
            let Some(parked) = server.blocking.parked.get(&id) else {
                continue;
            };
            let (client_rc, argv) = (parked.client.clone(), parked.argv.clone());
            let Ok(mut client) = client_rc.try_borrow_mut() else {
                continue;
            };
            let Ok(spec) = exec::resolve(&argv) else {
                continue;
            };
            // What was pushed to it before this moment precedes its reply.
            client.take_pushed_output();
            client.reprocessing_blocked = true;
            exec::call(server, &mut client, &argv, spec);
            client.reprocessing_blocked = false;
            if client.block_request.take().is_some() {
                // Still nothing for it: it keeps its place in every queue.
                continue;
            }
            drop(client);
            server.blocking.unpark(id);
            wake(&client_rc.borrow());
        }
    }
}

/// Parses a blocking timeout in seconds (fractions allowed) into an absolute deadline, with Valkey's
/// checks and texts; 0 means wait for ever.
pub fn parse_timeout(arg: &[u8], now_ms: i64) -> Result<Option<i64>, CommandError> {
    let not_float = || CommandError::fixed("ERR timeout is not a float or out of range");
    let out_of_range = || CommandError::fixed("ERR timeout is out of range");
    let seconds = LongDouble::parse(arg).ok_or_else(not_float)?;
    // Valkey scales to milliseconds and rounds up in long double: `-0.001` becomes 0 (wait for
    // ever), as 0.001 is slightly below one thousandth there.
    let millis = seconds
        .mul_int(1000)
        .ceil_to_i64()
        .ok_or_else(out_of_range)?;
    if millis < 0 {
        return Err(CommandError::fixed("ERR timeout is negative"));
    }
    if millis == 0 {
        return Ok(None);
    }
    if millis > i64::MAX - now_ms {
        return Err(out_of_range());
    }
    Ok(Some(now_ms + millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_like_valkey() {
        let now = 1_000;
        assert_eq!(parse_timeout(b"0", now), Ok(None));
        assert_eq!(parse_timeout(b"1.5", now), Ok(Some(2_500)));
        assert_eq!(parse_timeout(b"0.0001", now), Ok(Some(1_001)));
        assert_eq!(
            parse_timeout(b"-1", now).unwrap_err().message(),
            "ERR timeout is negative"
        );
        assert_eq!(
            parse_timeout(b"abc", now).unwrap_err().message(),
            "ERR timeout is not a float or out of range"
        );
        assert_eq!(
            parse_timeout(b"inf", now).unwrap_err().message(),
            "ERR timeout is out of range"
        );
        // Long double arithmetic, as Valkey: 0.001 × 1000 stays just below 1.
        assert_eq!(parse_timeout(b"-0.001", now), Ok(None));
        assert_eq!(parse_timeout(b"0.001", now), Ok(Some(1_001)));
        assert_eq!(
            parse_timeout(b"-0.0015", now).unwrap_err().message(),
            "ERR timeout is negative"
        );
        assert_eq!(
            parse_timeout(b"-inf", now).unwrap_err().message(),
            "ERR timeout is negative"
        );
        assert_eq!(
            parse_timeout(b"9223372036854775.807", now)
                .unwrap_err()
                .message(),
            "ERR timeout is out of range"
        );
    }
}
