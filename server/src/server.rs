//! The server state owned by the executor thread: databases, configuration, statistics and the
//! registry of connected clients.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::client::{ClientId, ClientShared};
use crate::config::Config;
use crate::keyspace::Db;
use crate::stats::Stats;

/// Current Unix time in milliseconds.
pub fn unix_ms() -> i64 {
    unix_us() / 1000
}

/// Current Unix time in microseconds.
pub fn unix_us() -> i64 {
    // Read twice per command (start and end), so call the vDSO clock directly rather than through
    // `SystemTime`, whose checked arithmetic costs more than the clock read itself.
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_REALTIME always exists on Linux.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    if status != 0 {
        return SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or_default();
    }
    now.tv_sec * 1_000_000 + now.tv_nsec / 1000
}

/// Which commands a CLIENT PAUSE holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseKind {
    /// Every command.
    All,
    /// Commands that may write.
    Write,
}

/// An active CLIENT PAUSE.
#[derive(Debug, Clone, Copy)]
pub struct Pause {
    /// What is held back.
    pub kind: PauseKind,
    /// When the pause ends, Unix ms.
    pub until_ms: i64,
}

/// Everything the executor owns.
pub struct Server {
    /// The databases, `databases` of them.
    pub dbs: Vec<Db>,
    /// Current configuration.
    pub config: Config,
    /// Counters for INFO.
    pub stats: Stats,
    /// Connected clients by id.
    pub clients: BTreeMap<ClientId, Rc<RefCell<ClientShared>>>,
    /// The id the next connection gets.
    pub next_client_id: ClientId,
    /// Start time, Unix ms.
    pub started_ms: i64,
    /// 40 hex characters identifying this run (INFO `run_id`).
    pub run_id: String,
    /// The port actually listened on.
    pub port: u16,
    /// Random source for RANDOMKEY, sampling and the like.
    pub rng: SmallRng,
    /// WATCHed keys: (db, key) → clients watching it.
    pub watched_keys: HashMap<(usize, Vec<u8>), Vec<ClientId>>,
    /// Clients in MONITOR mode.
    pub monitors: Vec<ClientId>,
    /// Active CLIENT PAUSE, if any.
    pub pause: Option<Pause>,
    /// Set by SHUTDOWN: the listener stops and the process exits.
    pub shutdown_requested: bool,
    /// DEBUG SET-ACTIVE-EXPIRE.
    pub active_expire_enabled: bool,
    /// Clients parked by blocking commands.
    pub blocking: crate::blocking::Blocking,
    /// Pub/sub subscriptions.
    pub pubsub: crate::pubsub::PubSub,
    /// `notify-keyspace-events`, cached.
    pub keyspace_events: crate::notify::EventClasses,
    /// Unix ms of the last successful save (INFO `rdb_last_save_time`).
    pub last_save_ms: i64,
    /// The replication ID (INFO `master_replid`): 40 hex characters, distinct from `run_id`.
    pub replication_id: String,
    /// Allocator bytes in use once the server was set up (INFO `used_memory_startup`).
    pub startup_memory: u64,
}

impl Server {
    /// A server with empty databases for `config`.
    pub fn new(config: Config) -> Self {
        let databases = config.get_i64("databases").max(1) as usize;
        let mut rng = SmallRng::from_entropy();
        let mut random_hex = || -> String {
            (0..40)
                .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
                .collect()
        };
        let run_id = random_hex();
        let replication_id = random_hex();
        let now = unix_ms();
        Self {
            dbs: (0..databases).map(|_| Db::new()).collect(),
            config,
            stats: Stats::default(),
            clients: BTreeMap::new(),
            next_client_id: 1,
            started_ms: now,
            run_id,
            port: 0,
            rng,
            watched_keys: HashMap::new(),
            monitors: Vec::new(),
            pause: None,
            shutdown_requested: false,
            active_expire_enabled: true,
            blocking: crate::blocking::Blocking::default(),
            pubsub: crate::pubsub::PubSub::default(),
            keyspace_events: crate::notify::EventClasses::default(),
            last_save_ms: now,
            replication_id,
            startup_memory: crate::stats::memory_usage().allocated,
        }
    }

    /// Keys removed by expiry in every database since the last CONFIG RESETSTAT (INFO `expired_keys`).
    pub fn expired_keys(&self) -> u64 {
        let total: u64 = self.dbs.iter().map(|db| db.expired_count).sum();
        total.saturating_sub(self.stats.expired_keys_at_reset)
    }

    /// CONFIG RESETSTAT: zeroes the INFO counters, command and error statistics.
    pub fn reset_stats(&mut self) {
        let expired_total = self.dbs.iter().map(|db| db.expired_count).sum();
        self.stats.reset(expired_total);
    }

    /// Periodic statistics work run by the server cron: samples the instantaneous rates and tracks the
    /// memory peak.
    pub fn cron_stats(&mut self) {
        if !self.stats.sample_metrics(unix_ms()) {
            return;
        }
        let used = crate::stats::memory_usage().allocated;
        self.stats.peak_memory = self.stats.peak_memory.max(used);
    }

    /// Marks `key` in `db` as modified: transactions watching it will abort (Valkey's `signalModifiedKey`).
    pub fn touch_key(&mut self, db: usize, key: &[u8]) {
        self.blocking.key_modified(db, key);
        if self.watched_keys.is_empty() {
            return;
        }
        if let Some(watchers) = self.watched_keys.get(&(db, key.to_vec())) {
            for id in watchers {
                if let Some(client) = self.clients.get(id) {
                    client.borrow_mut().dirty_cas = true;
                }
            }
        }
    }

    /// Marks every watched key of `db` (or of every db with `None`) that exists as modified: used by
    /// FLUSHDB, FLUSHALL and SWAPDB.
    pub fn touch_all_keys(&mut self, db: Option<usize>) {
        self.blocking.all_keys_modified(db);
        let now = unix_ms();
        let mut dirty = Vec::new();
        for ((watched_db, key), watchers) in &self.watched_keys {
            if db.is_some_and(|d| d != *watched_db) {
                continue;
            }
            if self.dbs[*watched_db].peek(key).is_some()
                && !self.dbs[*watched_db].is_expired(key, now)
            {
                dirty.extend(watchers.iter().copied());
            }
        }
        for id in dirty {
            if let Some(client) = self.clients.get(&id) {
                client.borrow_mut().dirty_cas = true;
            }
        }
    }

    /// Runs one active expiry cycle over every database, bounded in time like Valkey's slow cycle.
    pub fn active_expire_cycle(&mut self) {
        if !self.active_expire_enabled {
            return;
        }
        crate::notify::before_command(self);
        let effort = self.config.get_i64("active-expire-effort").clamp(1, 10) as usize;
        let per_loop = 20 + 5 * (effort - 1);
        let started = std::time::Instant::now();
        let budget = std::time::Duration::from_millis(25);
        let now = unix_ms();
        for db in &mut self.dbs {
            loop {
                if db.expires_len() == 0 || started.elapsed() > budget {
                    break;
                }
                let (sampled, expired) = db.expire_sample(per_loop, now, &mut self.rng);
                if sampled == 0 || expired * 100 / sampled <= 10 {
                    break;
                }
            }
            // Hash fields with their own TTL: Valkey's second job reclaims up to four times as many
            // fields per key as it samples keys.
            loop {
                if db.volatile_keys_len() == 0 || started.elapsed() > budget {
                    break;
                }
                let (sampled, with_expired, reclaimed) =
                    db.expire_items_sample(per_loop, per_loop * 4, now, &mut self.rng);
                self.stats.expired_fields += reclaimed as u64;
                if sampled == 0 || with_expired * 100 / sampled <= 10 {
                    break;
                }
            }
        }
        crate::notify::announce_key_events(self);
    }

    /// Closes clients idle for longer than `timeout` seconds (0 disables it). Like Valkey, clients parked
    /// by a blocking command, MONITOR clients and subscribers are left alone.
    pub fn close_idle_clients(&mut self) {
        let timeout_s = self.config.get_i64("timeout");
        if timeout_s <= 0 {
            return;
        }
        let cutoff = unix_ms() - timeout_s * 1000;
        for client in self.clients.values() {
            let mut client = client.borrow_mut();
            if client.last_interaction_ms < cutoff
                && !client.blocked
                && !client.monitor
                && !client.subscriptions.any()
                && !client.kill
            {
                client.kill = true;
                client.wakeup.notify_one();
            }
        }
    }

    /// Appends `line` to every MONITOR client's output and wakes them.
    pub fn feed_monitors(&mut self, line: &[u8]) {
        for id in &self.monitors {
            if let Some(client) = self.clients.get(id) {
                let mut client = client.borrow_mut();
                client.outbox.extend_from_slice(line);
                client.wakeup.notify_one();
            }
        }
    }
}
