//! Server-wide counters reported by INFO and reset by CONFIG RESETSTAT, the sampled "instantaneous"
//! rates, and readings of the process's memory and CPU use.

use foldhash::HashMap;

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

/// Distinct error codes tracked by INFO errorstats before tracking stops, as in Valkey.
const ERROR_CODES_LIMIT: usize = 128;

/// Samples kept per instantaneous metric (Valkey's `STATS_METRIC_SAMPLES`).
const METRIC_SAMPLES: usize = 16;

/// Minimum time between two samples of the instantaneous metrics.
const METRIC_SAMPLE_PERIOD_MS: i64 = 100;

/// A rate estimated from periodic samples of a growing counter (Valkey's `trackInstantaneousMetric`).
#[derive(Debug, Default, Clone)]
pub struct InstantMetric {
    samples: [u64; METRIC_SAMPLES],
    next: usize,
    last_time_ms: i64,
    last_reading: u64,
}

impl InstantMetric {
    /// Records the counter's value `reading` at `now_ms`.
    pub fn sample(&mut self, reading: u64, now_ms: i64) {
        if self.last_time_ms > 0 {
            let elapsed = (now_ms - self.last_time_ms).max(1) as u64;
            let delta = reading.saturating_sub(self.last_reading);
            self.samples[self.next] = delta * 1000 / elapsed;
            self.next = (self.next + 1) % METRIC_SAMPLES;
        }
        self.last_time_ms = now_ms;
        self.last_reading = reading;
    }

    /// The average rate per second over the kept samples.
    pub fn per_second(&self) -> u64 {
        self.samples.iter().sum::<u64>() / METRIC_SAMPLES as u64
    }
}

/// Counters for INFO stats.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Clients closed for going over their output buffer limit.
    pub output_buffer_limit_disconnections: u64,
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
    /// Hash fields removed because their TTL passed (INFO `expired_fields`).
    pub expired_fields: u64,
    /// Error replies sent, by error code (INFO errorstats).
    pub error_replies: HashMap<String, u64>,
    /// Every error reply sent (INFO `total_error_replies`), also counted once error codes stop being
    /// tracked.
    pub total_error_replies: u64,
    /// Statistics per command, keyed by the address of its static table entry (cheaper to hash than
    /// its name on every call), with the full name (`config|get`) kept for reports.
    commands: HashMap<usize, (&'static str, CommandStats)>,
    /// Writes since the last save (INFO persistence `rdb_changes_since_last_save`).
    pub dirty: u64,
    /// Sum of the databases' expired-key counters at the last CONFIG RESETSTAT: INFO `expired_keys` is
    /// the growth since then.
    pub expired_keys_at_reset: u64,
    /// Highest `used_memory` seen (INFO `used_memory_peak`).
    pub peak_memory: u64,
    /// Commands per second.
    pub ops_per_sec: InstantMetric,
    /// Bytes read per second.
    pub input_bytes_per_sec: InstantMetric,
    /// Bytes written per second.
    pub output_bytes_per_sec: InstantMetric,
}

impl Stats {
    /// The counters of `spec`, created on first use.
    pub fn command(&mut self, spec: &'static crate::commands::CommandSpec) -> &mut CommandStats {
        let key = spec as *const crate::commands::CommandSpec as usize;
        &mut self
            .commands
            .entry(key)
            .or_insert_with(|| (spec.full_name, CommandStats::default()))
            .1
    }

    /// Every command's counters with its full name, in no particular order.
    pub fn command_stats(&self) -> impl Iterator<Item = (&'static str, &CommandStats)> + '_ {
        self.commands.values().map(|(name, stats)| (*name, stats))
    }

    /// Records an error reply under its code, like Valkey's `afterErrorReply`: the first word when a
    /// space follows it within 32 bytes, else `ERR`; once 128 codes are tracked, new ones count as
    /// `ERRORSTATS_OVERFLOW`.
    pub fn count_error(&mut self, message: &str) {
        self.total_error_replies += 1;
        let text = message.trim_start_matches('-');
        let code = match text.as_bytes().iter().take(31).position(|&b| b == b' ') {
            Some(end) => &text[..end],
            None => "ERR",
        };
        if let Some(count) = self.error_replies.get_mut(code) {
            *count += 1;
        } else if self.error_replies.len() < ERROR_CODES_LIMIT {
            self.error_replies.insert(code.to_string(), 1);
        } else {
            *self
                .error_replies
                .entry("ERRORSTATS_OVERFLOW".to_string())
                .or_default() += 1;
        }
    }

    /// Samples the instantaneous metrics, at most once per [`METRIC_SAMPLE_PERIOD_MS`]; returns whether
    /// it did.
    pub fn sample_metrics(&mut self, now_ms: i64) -> bool {
        if now_ms - self.ops_per_sec.last_time_ms < METRIC_SAMPLE_PERIOD_MS {
            return false;
        }
        self.ops_per_sec
            .sample(self.total_commands_processed, now_ms);
        self.input_bytes_per_sec
            .sample(self.total_net_input_bytes, now_ms);
        self.output_bytes_per_sec
            .sample(self.total_net_output_bytes, now_ms);
        true
    }

    /// Resets what CONFIG RESETSTAT resets; `expired_keys_now` is the databases' current expired-key
    /// total, which becomes the new zero.
    pub fn reset(&mut self, expired_keys_now: u64) {
        let dirty = self.dirty;
        *self = Stats {
            dirty,
            expired_keys_at_reset: expired_keys_now,
            ..Stats::default()
        };
    }
}

/// The process's memory use.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemoryUsage {
    /// Bytes handed out by the allocator and not yet freed (INFO `used_memory`).
    pub allocated: u64,
    /// Resident set size (INFO `used_memory_rss`).
    pub resident: u64,
}

/// Reads the process's memory use: the C allocator's in-use bytes (ferry uses the system allocator,
/// like the libc build of Valkey) and the resident set size from `/proc`.
pub fn memory_usage() -> MemoryUsage {
    let resident = resident_bytes();
    MemoryUsage {
        allocated: allocated_bytes().unwrap_or(resident),
        resident,
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn allocated_bytes() -> Option<u64> {
    // SAFETY: mallinfo2 only reads the allocator's statistics and has no preconditions.
    let info = unsafe { libc::mallinfo2() };
    Some((info.uordblks + info.hblkhd) as u64)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn allocated_bytes() -> Option<u64> {
    None
}

/// Size of a memory page, in bytes.
fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|text| text.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page_size())
}

/// Total physical memory (INFO `total_system_memory`), from `/proc/meminfo`.
pub fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// CPU time used, in seconds: (system, user).
pub type CpuTime = (f64, f64);

/// CPU time used by the whole process, by its children, and by the calling thread (the executor thread
/// when INFO runs): INFO cpu.
pub fn cpu_usage() -> (CpuTime, CpuTime, CpuTime) {
    (
        rusage(libc::RUSAGE_SELF),
        rusage(libc::RUSAGE_CHILDREN),
        rusage(libc::RUSAGE_THREAD),
    )
}

fn rusage(who: libc::c_int) -> CpuTime {
    // SAFETY: an all-zero rusage is a valid value, and getrusage only writes into the struct it is
    // given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return (0.0, 0.0);
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1_000_000.0;
    (seconds(usage.ru_stime), seconds(usage.ru_utime))
}

/// Formats a byte count like Valkey's `bytesToHuman` (`1.02M`, `320B`).
pub fn bytes_to_human(bytes: u64) -> String {
    let units = ["K", "M", "G", "T", "P", "E"];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let mut scaled = bytes as f64 / 1024.0;
    for unit in units {
        if scaled < 1024.0 || unit == "E" {
            return format!("{scaled:.2}{unit}");
        }
        scaled /= 1024.0;
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_match_valkey() {
        assert_eq!(bytes_to_human(320), "320B");
        assert_eq!(bytes_to_human(1068208), "1.02M");
        assert_eq!(bytes_to_human(33792), "33.00K");
        assert_eq!(bytes_to_human(25325268992), "23.59G");
    }

    #[test]
    fn instantaneous_rate_averages_samples() {
        let mut metric = InstantMetric::default();
        metric.sample(0, 1000);
        for step in 1..=16 {
            metric.sample(step * 100, 1000 + step as i64 * 100);
        }
        assert_eq!(metric.per_second(), 1000);
    }

    #[test]
    fn error_codes_are_capped() {
        let mut stats = Stats::default();
        for code in 0..200 {
            stats.count_error(&format!("E{code} x"));
        }
        stats.count_error("E0 again");
        stats.count_error("ERR_THIS_CODE_IS_FAR_TOO_LONG_TO_BE_ONE x");
        assert_eq!(stats.error_replies.len(), ERROR_CODES_LIMIT + 1);
        assert_eq!(stats.error_replies["E0"], 2);
        assert_eq!(stats.error_replies["ERRORSTATS_OVERFLOW"], 73);
        assert_eq!(stats.total_error_replies, 202);
    }
}
