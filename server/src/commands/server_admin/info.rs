//! INFO: the report text, section by section, with Valkey 9.1's section names, field names and order.
//! Fields about features ferry does not have (TLS, replication links, forks, defragmentation, I/O
//! threads) report the values an idle Valkey reports.

use std::fmt::Write as _;

use crate::server::{unix_ms, unix_us, PauseKind, Server};
use crate::stats::{bytes_to_human, cpu_usage, memory_usage, total_system_memory};

/// Every section, in the order INFO prints them, with the names that select it.
const SECTIONS: &[(&str, &[&str])] = &[
    ("Server", &["server"]),
    ("TLS", &["tls"]),
    ("Clients", &["clients"]),
    ("Memory", &["memory"]),
    ("Persistence", &["persistence"]),
    ("Stats", &["stats"]),
    ("Replication", &["replication"]),
    ("CPU", &["cpu"]),
    ("Modules", &["modules", "module_list"]),
    ("Commandstats", &["commandstats"]),
    ("Errorstats", &["errorstats"]),
    ("Latencystats", &["latencystats"]),
    ("Cluster", &["cluster"]),
    ("Cluster Info", &["cluster_info"]),
    ("Scripting Engines", &["scriptingengines"]),
    ("Keyspace", &["keyspace"]),
    ("Debug", &["debug"]),
];

/// Sections printed by INFO without arguments (and by `default`).
const DEFAULT_SECTIONS: &[&str] = &[
    "Server",
    "Clients",
    "Memory",
    "Persistence",
    "Stats",
    "Replication",
    "CPU",
    "Modules",
    "Errorstats",
    "Cluster",
    "Keyspace",
];

/// Sections `all` and `everything` leave out.
const EXPLICIT_ONLY: &[&str] = &["Debug"];

/// Which sections `args` (INFO's arguments, after the command name) select.
fn selected_sections(args: &[&[u8]]) -> Vec<&'static str> {
    let mut wanted: Vec<&'static str> = Vec::new();
    if args.is_empty() {
        wanted.extend(DEFAULT_SECTIONS);
    }
    for arg in args {
        let name = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match name.as_str() {
            "default" => wanted.extend(DEFAULT_SECTIONS),
            "all" | "everything" => wanted.extend(
                SECTIONS
                    .iter()
                    .map(|(title, _)| *title)
                    .filter(|title| !EXPLICIT_ONLY.contains(title)),
            ),
            _ => {
                if let Some((title, _)) = SECTIONS
                    .iter()
                    .find(|(_, names)| names.contains(&name.as_str()))
                {
                    wanted.push(title);
                }
            }
        }
    }
    SECTIONS
        .iter()
        .map(|(title, _)| *title)
        .filter(|title| wanted.contains(title))
        .collect()
}

/// The INFO text for `args`.
pub fn report(server: &Server, args: &[&[u8]]) -> String {
    let mut text = String::new();
    for (index, title) in selected_sections(args).into_iter().enumerate() {
        if index > 0 {
            text.push_str("\r\n");
        }
        let _ = write!(text, "# {title}\r\n");
        let mut section = Section(&mut text);
        match title {
            "Server" => server_section(server, &mut section),
            "TLS" => tls_section(&mut section),
            "Clients" => clients_section(server, &mut section),
            "Memory" => memory_section(server, &mut section),
            "Persistence" => persistence_section(server, &mut section),
            "Stats" => stats_section(server, &mut section),
            "Replication" => replication_section(server, &mut section),
            "CPU" => cpu_section(server, &mut section),
            "Commandstats" => commandstats_section(server, &mut section),
            "Errorstats" => errorstats_section(server, &mut section),
            "Cluster" => section.field("cluster_enabled", 0),
            "Scripting Engines" => {
                section.field("engines_count", 0);
                section.field("engines_total_used_memory", 0);
                section.field("engines_total_memory_overhead", 0);
            }
            "Keyspace" => keyspace_section(server, &mut section),
            "Debug" => debug_section(&mut section),
            // Modules, Latencystats and Cluster Info have nothing to report in ferry.
            _ => {}
        }
    }
    text
}

/// Appends `name:value` lines to a section.
struct Section<'a>(&'a mut String);

impl Section<'_> {
    fn field(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = write!(self.0, "{name}:{value}\r\n");
    }
}

/// `uname -s`, `uname -r` and the machine, like Valkey's `os` field.
fn os_name() -> String {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let system = match read("/proc/sys/kernel/ostype") {
        name if name.is_empty() => std::env::consts::OS.to_string(),
        name => name,
    };
    format!(
        "{system} {} {}",
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}

/// A build id in Valkey's format (16 hex digits), derived from ferry's version.
fn build_id() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in env!("CARGO_PKG_VERSION").bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn server_section(server: &Server, s: &mut Section<'_>) {
    let now_us = unix_us();
    let uptime = (now_us / 1000 - server.started_ms).max(0) / 1000;
    let hz = server.config.get_i64("hz");
    s.field("redis_version", "7.2.4");
    s.field("server_name", "valkey");
    s.field("valkey_version", "9.1.2");
    s.field("valkey_release_stage", "ga");
    s.field("redis_git_sha1", "00000000");
    s.field("redis_git_dirty", 0);
    s.field("redis_build_id", build_id());
    s.field("server_mode", "standalone");
    s.field("os", os_name());
    s.field("arch_bits", usize::BITS);
    s.field("monotonic_clock", "POSIX clock_gettime");
    s.field("multiplexing_api", "epoll");
    s.field("gcc_version", "0.0.0");
    s.field("process_id", std::process::id());
    s.field("process_supervised", "no");
    s.field("run_id", &server.run_id);
    s.field("tcp_port", server.port);
    s.field("server_time_usec", now_us);
    s.field("uptime_in_seconds", uptime);
    s.field("uptime_in_days", uptime / 86400);
    s.field("hz", hz);
    s.field("configured_hz", hz);
    s.field("clients_hz", hz);
    s.field("lru_clock", (now_us / 1_000_000) & ((1 << 24) - 1));
    s.field(
        "executable",
        std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    s.field(
        "config_file",
        server
            .config
            .config_file()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    );
    s.field("io_threads_active", 0);
    s.field("availability_zone", server.config.get("availability-zone"));
    let mut listener = String::from("name=tcp");
    for address in server
        .config
        .get("bind")
        .split(' ')
        .filter(|a| !a.is_empty())
    {
        let _ = write!(listener, ",bind={address}");
    }
    let _ = write!(listener, ",port={}", server.port);
    s.field("listener0", listener);
    s.field("ferry_version", env!("CARGO_PKG_VERSION"));
}

fn tls_section(s: &mut Section<'_>) {
    for side in ["server", "client", "ca"] {
        s.field(&format!("tls_{side}_cert_serial"), "none");
        s.field(&format!("tls_{side}_cert_expires_in_seconds"), 0);
    }
}

fn clients_section(server: &Server, s: &mut Section<'_>) {
    let watching = server
        .clients
        .values()
        .filter(|c| c.borrow().watched_keys > 0)
        .count();
    s.field("connected_clients", server.clients.len());
    s.field("cluster_connections", 0);
    s.field("maxclients", server.config.get_i64("maxclients"));
    s.field("client_recent_max_input_buffer", 0);
    s.field("client_recent_max_output_buffer", 0);
    s.field("blocked_clients", server.blocking.len());
    s.field("tracking_clients", 0);
    s.field("pubsub_clients", server.pubsub.client_count());
    s.field("watching_clients", watching);
    s.field("clients_in_timeout_table", 0);
    s.field("total_watched_keys", server.watched_keys.len());
    s.field("total_blocking_keys", 0);
    s.field("total_blocking_keys_on_nokey", 0);
    let now = unix_ms();
    match server.pause.filter(|p| p.until_ms > now) {
        Some(pause) => {
            s.field("paused_reason", "client_pause");
            s.field(
                "paused_actions",
                match pause.kind {
                    PauseKind::All => "all",
                    PauseKind::Write => "write",
                },
            );
            s.field("paused_timeout_milliseconds", pause.until_ms - now);
        }
        None => {
            s.field("paused_reason", "none");
            s.field("paused_actions", "none");
            s.field("paused_timeout_milliseconds", 0);
        }
    }
}

/// `numerator / denominator` as Valkey prints ratios (`%.2f`), 0 when the denominator is 0.
fn ratio(numerator: u64, denominator: u64) -> String {
    if denominator == 0 {
        "0.00".to_string()
    } else {
        format!("{:.2}", numerator as f64 / denominator as f64)
    }
}

fn memory_section(server: &Server, s: &mut Section<'_>) {
    let usage = memory_usage();
    let used = usage.allocated;
    let rss = usage.resident;
    let peak = server.stats.peak_memory.max(used);
    let startup = server.startup_memory.min(used);
    let keys: usize = server.dbs.iter().map(|db| db.len()).sum();
    let expires: usize = server.dbs.iter().map(|db| db.expires_len()).sum();
    // Per-entry hash table cost, estimated like Valkey's dictionary overhead.
    let overhead = (startup + (keys as u64 + expires as u64) * 16).min(used);
    let dataset = used - overhead;
    let maxmemory = server.config.get_u64("maxmemory");
    s.field("used_memory", used);
    s.field("used_memory_human", bytes_to_human(used));
    s.field("used_memory_rss", rss);
    s.field("used_memory_rss_human", bytes_to_human(rss));
    s.field("used_memory_peak", peak);
    s.field("used_memory_peak_human", bytes_to_human(peak));
    s.field(
        "used_memory_peak_perc",
        format!("{:.2}%", used as f64 * 100.0 / peak.max(1) as f64),
    );
    s.field("used_memory_overhead", overhead);
    s.field("used_memory_startup", startup);
    s.field("used_memory_dataset", dataset);
    s.field(
        "used_memory_dataset_perc",
        format!(
            "{:.2}%",
            dataset as f64 * 100.0 / (used - startup).max(1) as f64
        ),
    );
    s.field("allocator_allocated", used);
    s.field("allocator_active", rss);
    s.field("allocator_resident", rss);
    s.field("allocator_muzzy", 0);
    let system = total_system_memory();
    s.field("total_system_memory", system);
    s.field("total_system_memory_human", bytes_to_human(system));
    for name in ["used_memory_lua", "used_memory_vm_eval"] {
        s.field(name, 0);
    }
    s.field("used_memory_lua_human", "0B");
    for name in [
        "used_memory_scripts_eval",
        "number_of_cached_scripts",
        "number_of_functions",
        "number_of_libraries",
        "used_memory_vm_functions",
        "used_memory_vm_total",
    ] {
        s.field(name, 0);
    }
    s.field("used_memory_vm_total_human", "0B");
    s.field("used_memory_functions", 0);
    s.field("used_memory_scripts", 0);
    s.field("used_memory_scripts_human", "0B");
    s.field("maxmemory", maxmemory);
    s.field("maxmemory_human", bytes_to_human(maxmemory));
    s.field("maxmemory_policy", server.config.get("maxmemory-policy"));
    s.field("allocator_frag_ratio", "1.00");
    s.field("allocator_frag_bytes", 0);
    s.field("allocator_rss_ratio", "1.00");
    s.field("allocator_rss_bytes", 0);
    s.field("rss_overhead_ratio", "1.00");
    s.field("rss_overhead_bytes", 0);
    s.field("mem_fragmentation_ratio", ratio(rss, used));
    s.field("mem_fragmentation_bytes", rss as i64 - used as i64);
    for name in [
        "mem_not_counted_for_evict",
        "mem_replication_backlog",
        "mem_total_replication_buffers",
        "mem_replicas_repl_buffer",
        "mem_clients_slaves",
        "mem_clients_normal",
        "mem_cluster_links",
        "mem_cluster_slot_import",
        "mem_cluster_slot_export",
        "mem_aof_buffer",
    ] {
        s.field(name, 0);
    }
    s.field("mem_allocator", "libc");
    s.field("mem_overhead_db_hashtable_rehashing", 0);
    s.field("active_defrag_running", 0);
    s.field("lazyfree_pending_objects", 0);
    s.field("lazyfreed_objects", 0);
}

fn persistence_section(server: &Server, s: &mut Section<'_>) {
    for name in [
        "loading",
        "async_loading",
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
    ] {
        s.field(name, 0);
    }
    s.field("current_fork_perc", "0.00");
    s.field("current_save_keys_processed", 0);
    s.field("current_save_keys_total", 0);
    s.field("rdb_changes_since_last_save", server.stats.dirty);
    s.field("rdb_bgsave_in_progress", 0);
    s.field("rdb_last_save_time", server.last_save_ms / 1000);
    s.field("rdb_last_bgsave_status", "ok");
    s.field("rdb_last_bgsave_time_sec", -1);
    s.field("rdb_current_bgsave_time_sec", -1);
    s.field("rdb_saves", 0);
    s.field("rdb_last_cow_size", 0);
    s.field("rdb_last_load_keys_expired", 0);
    s.field("rdb_last_load_keys_loaded", 0);
    s.field(
        "aof_enabled",
        i32::from(server.config.get_bool("appendonly")),
    );
    s.field("aof_rewrite_in_progress", 0);
    s.field("aof_rewrite_scheduled", 0);
    s.field("aof_last_rewrite_time_sec", -1);
    s.field("aof_current_rewrite_time_sec", -1);
    s.field("aof_last_bgrewrite_status", "ok");
    s.field("aof_rewrites", 0);
    s.field("aof_rewrites_consecutive_failures", 0);
    s.field("aof_last_write_status", "ok");
    s.field("aof_last_cow_size", 0);
    s.field("module_fork_in_progress", 0);
    s.field("module_fork_last_cow_size", 0);
    s.field("slot_migration_fork_in_progress", 0);
}

fn stats_section(server: &Server, s: &mut Section<'_>) {
    let stats = &server.stats;
    let kbps = |bytes_per_sec: u64| format!("{:.2}", bytes_per_sec as f64 / 1024.0);
    s.field(
        "total_connections_received",
        stats.total_connections_received,
    );
    s.field("total_commands_processed", stats.total_commands_processed);
    s.field("instantaneous_ops_per_sec", stats.ops_per_sec.per_second());
    s.field("total_net_input_bytes", stats.total_net_input_bytes);
    s.field("total_net_output_bytes", stats.total_net_output_bytes);
    for name in [
        "total_net_repl_input_bytes",
        "total_net_repl_output_bytes",
        "total_net_cluster_slot_import_bytes",
        "total_net_cluster_slot_export_bytes",
    ] {
        s.field(name, 0);
    }
    s.field(
        "instantaneous_input_kbps",
        kbps(stats.input_bytes_per_sec.per_second()),
    );
    s.field(
        "instantaneous_output_kbps",
        kbps(stats.output_bytes_per_sec.per_second()),
    );
    s.field("instantaneous_input_repl_kbps", "0.00");
    s.field("instantaneous_output_repl_kbps", "0.00");
    s.field("rejected_connections", stats.rejected_connections);
    s.field("sync_full", 0);
    s.field("sync_partial_ok", 0);
    s.field("sync_partial_err", 0);
    s.field("expired_keys", server.expired_keys());
    s.field("expired_fields", stats.expired_fields);
    s.field("expired_stale_perc", "0.00");
    s.field("expired_keys_with_volatile_items_stale_perc", "0.00");
    s.field("expired_time_cap_reached_count", 0);
    s.field("expire_cycle_cpu_milliseconds", 0);
    s.field("evicted_keys", stats.evicted_keys);
    for name in [
        "evicted_clients",
        "evicted_scripts",
        "total_eviction_exceeded_time",
        "current_eviction_exceeded_time",
    ] {
        s.field(name, 0);
    }
    s.field("keyspace_hits", stats.keyspace_hits);
    s.field("keyspace_misses", stats.keyspace_misses);
    s.field("pubsub_channels", server.pubsub.channel_count());
    s.field("pubsub_patterns", server.pubsub.pattern_count());
    s.field("pubsubshard_channels", server.pubsub.shard_channel_count());
    for name in [
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
        "unexpected_error_replies",
    ] {
        s.field(name, 0);
    }
    s.field("total_error_replies", stats.total_error_replies);
    s.field("dump_payload_sanitizations", 0);
    s.field("total_reads_processed", 0);
    s.field("total_writes_processed", 0);
    for name in [
        "io_threaded_reads_processed",
        "io_threaded_writes_processed",
        "io_threaded_freed_objects",
        "io_threaded_accept_processed",
        "io_threaded_poll_processed",
        "io_threaded_total_prefetch_batches",
        "io_threaded_total_prefetch_entries",
        "client_query_buffer_limit_disconnections",
    ] {
        s.field(name, 0);
    }
    s.field(
        "client_output_buffer_limit_disconnections",
        stats.output_buffer_limit_disconnections,
    );
    for name in [
        "reply_buffer_shrinks",
        "reply_buffer_expands",
        "eventloop_cycles",
        "eventloop_duration_sum",
    ] {
        s.field(name, 0);
    }
    let command_usec: u64 = stats.command_stats().map(|(_, c)| c.usec).sum();
    s.field("eventloop_duration_cmd_sum", command_usec);
    for name in [
        "instantaneous_eventloop_cycles_per_sec",
        "instantaneous_eventloop_duration_usec",
        "acl_access_denied_auth",
        "acl_access_denied_cmd",
        "acl_access_denied_key",
        "acl_access_denied_channel",
        "acl_access_denied_tls_cert",
        "acl_access_denied_db",
    ] {
        s.field(name, 0);
    }
}

fn replication_section(server: &Server, s: &mut Section<'_>) {
    s.field("role", "master");
    s.field("connected_slaves", 0);
    s.field("replicas_waiting_psync", 0);
    s.field("master_failover_state", "no-failover");
    s.field("master_replid", &server.replication_id);
    s.field("master_replid2", "0".repeat(40));
    s.field("master_repl_offset", 0);
    s.field("second_repl_offset", -1);
    s.field("repl_backlog_active", 0);
    s.field(
        "repl_backlog_size",
        server.config.get_i64("repl-backlog-size"),
    );
    s.field("repl_backlog_first_byte_offset", 0);
    s.field("repl_backlog_histlen", 0);
}

fn cpu_section(server: &Server, s: &mut Section<'_>) {
    let (process, children, thread) = cpu_usage();
    s.field("used_cpu_sys", format!("{:.6}", process.0));
    s.field("used_cpu_user", format!("{:.6}", process.1));
    s.field("used_cpu_sys_children", format!("{:.6}", children.0));
    s.field("used_cpu_user_children", format!("{:.6}", children.1));
    s.field("used_cpu_sys_main_thread", format!("{:.6}", thread.0));
    s.field("used_cpu_user_main_thread", format!("{:.6}", thread.1));
    let busy_usec: u64 = server.stats.command_stats().map(|(_, c)| c.usec).sum();
    s.field(
        "used_active_time_main_thread",
        format!("{:.6}", busy_usec as f64 / 1_000_000.0),
    );
}

fn commandstats_section(server: &Server, s: &mut Section<'_>) {
    let mut commands: Vec<(&'static str, &crate::stats::CommandStats)> =
        server.stats.command_stats().collect();
    commands.sort_by_key(|(name, _)| *name);
    for (name, stats) in commands {
        if stats.calls == 0 && stats.failed_calls == 0 && stats.rejected_calls == 0 {
            continue;
        }
        let per_call = if stats.calls == 0 {
            0.0
        } else {
            stats.usec as f64 / stats.calls as f64
        };
        s.field(
            &format!("cmdstat_{name}"),
            format!(
                "calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}",
                stats.calls, stats.usec, stats.rejected_calls, stats.failed_calls
            ),
        );
    }
}

fn errorstats_section(server: &Server, s: &mut Section<'_>) {
    let mut codes: Vec<(&String, &u64)> = server.stats.error_replies.iter().collect();
    codes.sort();
    for (code, count) in codes {
        s.field(&format!("errorstat_{code}"), format!("count={count}"));
    }
}

/// Keys sampled from a database's first entries to estimate `avg_ttl` without walking all of it.
const AVG_TTL_SAMPLE: usize = 1024;

fn keyspace_section(server: &Server, s: &mut Section<'_>) {
    let now = unix_ms();
    for (index, db) in server.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let expires = db.expires_len();
        let mut ttl_sum: i128 = 0;
        let mut ttl_count: i128 = 0;
        if expires > 0 {
            for (key, _) in db.iter().take(AVG_TTL_SAMPLE) {
                if let Some(at) = db.expire_at(key) {
                    ttl_sum += i128::from((at - now).max(0));
                    ttl_count += 1;
                }
            }
        }
        let avg_ttl = if ttl_count == 0 {
            0
        } else {
            ttl_sum / ttl_count
        };
        s.field(
            &format!("db{index}"),
            format!(
                "keys={},expires={expires},avg_ttl={avg_ttl},keys_with_volatile_items={}",
                db.len(),
                db.volatile_keys_len()
            ),
        );
    }
}

fn debug_section(s: &mut Section<'_>) {
    for name in [
        "eventloop_duration_aof_sum",
        "eventloop_duration_cron_sum",
        "eventloop_duration_max",
        "eventloop_cmd_per_cycle_max",
        "io_threaded_reads_pending",
        "io_threaded_writes_pending",
    ] {
        s.field(name, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(args: &[&str]) -> Vec<&'static str> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        selected_sections(&args)
    }

    #[test]
    fn section_selection_follows_valkey() {
        assert_eq!(titles(&[]), DEFAULT_SECTIONS);
        assert_eq!(titles(&["keyspace", "SERVER"]), ["Server", "Keyspace"]);
        assert_eq!(
            titles(&["default", "commandstats"]),
            [
                "Server",
                "Clients",
                "Memory",
                "Persistence",
                "Stats",
                "Replication",
                "CPU",
                "Modules",
                "Commandstats",
                "Errorstats",
                "Cluster",
                "Keyspace"
            ]
        );
        assert_eq!(titles(&["everything"]).len(), SECTIONS.len() - 1);
        assert!(titles(&["nosuch"]).is_empty());
        assert_eq!(titles(&["module_list"]), ["Modules"]);
    }

    #[test]
    fn sections_are_separated_by_a_blank_line() {
        let server = Server::new(crate::config::Config::default());
        let text = report(&server, &[b"cluster", b"keyspace"]);
        assert_eq!(text, "# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\n");
    }
}
