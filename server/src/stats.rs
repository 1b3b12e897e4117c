//! Server-wide counters reported by INFO and reset by CONFIG RESETSTAT.

use std::collections::HashMap;

/// Per-command call statistics (INFO commandstats).
#[derive(Debug, Default, Clone)]
pub struct CommandStats {
    /// Successful and failed calls.
    pub calls: u64,
    /// Total time spent, in microseconds.
    pub usec: u64,
    /// Calls rejected before running (arity, auth, ...).
    pub rejected_calls: u64,
    /// Calls that ran and replied with an error.
    pub failed_calls: u64,
}

/// Counters for INFO stats.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Connections accepted.
    pub total_connections_received: u64,
    /// Commands processed.
    pub total_commands_processed: u64,
    /// Connections refused because of maxclients.
    pub rejected_connections: u64,
    /// Bytes read from clients.
    pub total_net_input_bytes: u64,
    /// Bytes written to clients.
    pub total_net_output_bytes: u64,
    /// Successful key lookups by read commands.
    pub keyspace_hits: u64,
    /// Failed key lookups by read commands.
    pub keyspace_misses: u64,
    /// Keys evicted by maxmemory.
    pub evicted_keys: u64,
    /// Error replies sent, by error code (INFO errorstats).
    pub error_replies: HashMap<String, u64>,
    /// Statistics per command full name (`config|get`).
    pub commands: HashMap<&'static str, CommandStats>,
    /// Writes since the last save (INFO persistence `rdb_changes_since_last_save`).
    pub dirty: u64,
}

impl Stats {
    /// Records an error reply under its code (the first word).
    pub fn count_error(&mut self, message: &str) {
        let code = message
            .trim_start_matches('-')
            .split(' ')
            .next()
            .unwrap_or("ERR");
        *self.error_replies.entry(code.to_string()).or_default() += 1;
    }

    /// Resets what CONFIG RESETSTAT resets.
    pub fn reset(&mut self) {
        let dirty = self.dirty;
        *self = Stats {
            dirty,
            ..Stats::default()
        };
    }
}
