//! The keyspace changes a database records for keyspace notifications: expiry, creation, read misses
//! and reclaimed hash fields happen below any command handler, so `Db` notes them, in order, and
//! `crate::notify` announces them. Nothing is recorded unless its kind of event is enabled.

/// One recorded change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEvent {
    /// The key expired and was removed (`expired`).
    Expired,
    /// The key was created (`new`).
    Created,
    /// A read found no key (`keymiss`).
    Missed,
    /// The active cycle reclaimed expired items of the key (`hexpired`); `emptied` when that removed
    /// the key (`del`).
    ItemsExpired {
        /// The key went away.
        emptied: bool,
    },
}

/// Which kinds of change to record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    /// [`KeyEvent::Expired`].
    pub expired: bool,
    /// [`KeyEvent::Created`].
    pub created: bool,
    /// [`KeyEvent::Missed`].
    pub missed: bool,
    /// [`KeyEvent::ItemsExpired`].
    pub items_expired: bool,
}

/// The recorded changes of one database, oldest first.
#[derive(Debug, Default)]
pub struct EventLog {
    recorded: Recorded,
    events: Vec<(KeyEvent, Vec<u8>)>,
}

impl EventLog {
    /// Chooses what to record from now on.
    pub fn record(&mut self, recorded: Recorded) {
        self.recorded = recorded;
        if recorded == Recorded::default() {
            self.events = Vec::new();
        }
    }

    /// Notes `event` on `key` if its kind is recorded.
    pub fn note(&mut self, event: KeyEvent, key: &[u8]) {
        let wanted = match event {
            KeyEvent::Expired => self.recorded.expired,
            KeyEvent::Created => self.recorded.created,
            KeyEvent::Missed => self.recorded.missed,
            KeyEvent::ItemsExpired { .. } => self.recorded.items_expired,
        };
        if wanted {
            self.events.push((event, key.to_vec()));
        }
    }

    /// Takes the changes noted since the last call.
    pub fn take(&mut self) -> Vec<(KeyEvent, Vec<u8>)> {
        if self.events.is_empty() {
            Vec::new()
        } else {
            std::mem::take(&mut self.events)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_recorded_kinds_are_kept_in_order() {
        let mut log = EventLog::default();
        log.note(KeyEvent::Expired, b"a");
        assert!(log.take().is_empty());
        log.record(Recorded {
            expired: true,
            missed: true,
            ..Recorded::default()
        });
        log.note(KeyEvent::Expired, b"a");
        log.note(KeyEvent::Created, b"b");
        log.note(KeyEvent::Missed, b"a");
        assert_eq!(
            log.take(),
            vec![
                (KeyEvent::Expired, b"a".to_vec()),
                (KeyEvent::Missed, b"a".to_vec())
            ]
        );
        assert!(log.take().is_empty());
    }
}
