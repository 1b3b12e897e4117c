//! Keyspace notifications (`notify-keyspace-events`): a command that changes a key announces it with
//! one call, [`keyspace_event`], which publishes `__keyspace@<db>__:<key>` → event and
//! `__keyevent@<db>__:<event>` → key when the event's class and the K/E flags are enabled, with Valkey's
//! event names.
//!
//! Expiry, key creation and read misses happen inside `keyspace::Db` (expiry on any lookup, or in the
//! active cycle), which knows nothing of the server: while their events are enabled a database
//! records them in order (`keyspace::events`), and they are announced before the next event of the
//! command and after it (or after the active cycle), so the order matches Valkey's, where the event
//! fires at that very moment.

use crate::config::{notify, Config};
use crate::keyspace::events::{KeyEvent, Recorded};
use crate::server::Server;

pub use crate::config::notify as class;

/// The configured event classes, read again only when the configuration changed (every write
/// command asks).
#[derive(Debug, Default)]
pub struct EventClasses {
    config_generation: Option<u64>,
    flags: u32,
    /// True while databases record changes for announcement (see [`before_command`]).
    recording: bool,
}

impl EventClasses {
    /// The `notify-keyspace-events` flag bits.
    pub fn flags(&mut self, config: &Config) -> u32 {
        self.refresh(config);
        self.flags
    }

    /// Reads the flags again if the configuration changed; returns true when it did.
    fn refresh(&mut self, config: &Config) -> bool {
        if self.config_generation == Some(config.generation()) {
            return false;
        }
        self.config_generation = Some(config.generation());
        self.flags = config.get_i64("notify-keyspace-events") as u32;
        true
    }
}

/// True when events of `class` would be published under `flags`.
fn publishes(flags: u32, class: u32) -> bool {
    flags & class != 0 && flags & (notify::KEYSPACE | notify::KEYEVENT) != 0
}

/// Before a command (or the active expiry cycle): after a configuration change, tells every database
/// which of the changes below its handlers (expiry, creation, read misses, reclaimed fields) to record.
pub fn before_command(server: &mut Server) {
    if !server.keyspace_events.refresh(&server.config) {
        return;
    }
    let flags = server.keyspace_events.flags;
    let expired = publishes(flags, notify::EXPIRED);
    let recorded = Recorded {
        expired,
        created: publishes(flags, notify::NEW),
        missed: publishes(flags, notify::KEY_MISS),
        // Fields reclaimed by the active cycle announce `hexpired` (class x) and, for an emptied
        // hash, `del` (class g).
        items_expired: expired || publishes(flags, notify::GENERIC),
    };
    server.keyspace_events.recording = recorded != Recorded::default();
    for db in &mut server.dbs {
        db.events.record(recorded);
    }
}

/// Announces what the databases recorded since the last announcement, in order: `expired`, `new`,
/// `keymiss`, and `hexpired` (with `del` when that emptied the hash).
pub fn announce_key_events(server: &mut Server) {
    if !server.keyspace_events.recording {
        return;
    }
    for db in 0..server.dbs.len() {
        for (event, key) in server.dbs[db].events.take() {
            match event {
                KeyEvent::Expired => keyspace_event(server, notify::EXPIRED, "expired", &key, db),
                KeyEvent::Created => keyspace_event(server, notify::NEW, "new", &key, db),
                KeyEvent::Missed => keyspace_event(server, notify::KEY_MISS, "keymiss", &key, db),
                KeyEvent::ItemsExpired { emptied } => {
                    keyspace_event(server, notify::EXPIRED, "hexpired", &key, db);
                    if emptied {
                        keyspace_event(server, notify::GENERIC, "del", &key, db);
                    }
                }
            }
        }
    }
}

/// Announces `event` (of class `class`, a `config::notify` bit) on `key` of database `db`.
pub fn keyspace_event(server: &mut Server, class: u32, event: &str, key: &[u8], db: usize) {
    let flags = server.keyspace_events.flags(&server.config);
    if flags & class == 0 {
        return;
    }
    let now_ms = crate::server::unix_ms();
    if flags & notify::KEYSPACE != 0 {
        let channel = channel_name("__keyspace@", db, key);
        publish(server, &channel, event.as_bytes(), now_ms);
    }
    if flags & notify::KEYEVENT != 0 {
        let channel = channel_name("__keyevent@", db, event.as_bytes());
        publish(server, &channel, key, now_ms);
    }
}

fn channel_name(prefix: &str, db: usize, suffix: &[u8]) -> Vec<u8> {
    let mut channel = Vec::with_capacity(prefix.len() + 24 + suffix.len());
    channel.extend_from_slice(prefix.as_bytes());
    channel.extend_from_slice(itoa::Buffer::new().format(db).as_bytes());
    channel.extend_from_slice(b"__:");
    channel.extend_from_slice(suffix);
    channel
}

fn publish(server: &mut Server, channel: &[u8], message: &[u8], now_ms: i64) {
    let published = server
        .pubsub
        .publish(false, channel, message, &server.config, now_ms);
    server.stats.output_buffer_limit_disconnections += published.disconnected as u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_follow_valkey() {
        assert_eq!(channel_name("__keyspace@", 0, b"k"), b"__keyspace@0__:k");
        assert_eq!(
            channel_name("__keyevent@", 15, b"set"),
            b"__keyevent@15__:set"
        );
    }

    #[test]
    fn classes_are_reread_after_a_change() {
        let mut config = Config::default();
        let mut classes = EventClasses::default();
        assert_eq!(classes.flags(&config), 0);
        config
            .set("notify-keyspace-events", "K$")
            .expect("valid classes");
        assert_eq!(classes.flags(&config), notify::KEYSPACE | notify::STRING);
    }
}
