//! The `ferry` binary: `serve` runs the Valkey-compatible server; later issues add `migrate`, `rdb`,
//! `aof` and `compat`.

use anyhow::Context as _;

mod aof_cmd;
mod compat;
mod progress;
mod rdb_cmd;
mod rdb_dump;

/// jemalloc, as Valkey's default build uses: its size classes (8, 16, 32, 48 ...) fit ferry's compact
/// keyspace entries tightly, and it keeps fragmentation low under churn.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A C string pointer jemalloc reads at start-up.
#[repr(transparent)]
struct MallocConf(*const std::ffi::c_char);

// SAFETY: the pointer refers to an immutable static byte string.
unsafe impl Sync for MallocConf {}

/// jemalloc options: a background thread returns freed pages to the OS (as Valkey's
/// `jemalloc-bg-thread yes` does), so memory freed by a table resize or a FLUSHALL does not linger in RSS.
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: MallocConf = MallocConf(c"background_thread:true".as_ptr());
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ferry",
    version,
    about = "A Valkey-compatible server, and the tools to move Redis onto it"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server. Accepts a valkey.conf/redis.conf path and any directive as `--name value`,
    /// like valkey-server: `ferry serve --port 7000 --save "" --appendonly no`.
    Serve {
        /// An optional config file, then directives as `--name value...`.
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "CONFIG_FILE] [--DIRECTIVE VALUE"
        )]
        args: Vec<String>,
    },
    /// Differential compatibility testing: compare a server's replies with a reference's.
    Compat(compat::CompatArgs),
    /// Inspect, export and convert RDB files (every Redis version 1-12 and Valkey 9's VALKEY080).
    Rdb {
        #[command(subcommand)]
        command: rdb_cmd::RdbCommand,
    },
    /// Inspect and export AOFs (single files, RDB preambles, multi-part appendonlydir).
    Aof {
        #[command(subcommand)]
        command: aof_cmd::AofCommand,
    },
}

fn serve(args: Vec<String>) -> anyhow::Result<()> {
    let (file, directives) = match args.first() {
        Some(first) if !first.starts_with("--") => (Some(first.clone()), &args[1..]),
        _ => (None, &args[..]),
    };
    let file_text = match &file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("Fatal error, can't open config file '{path}'"))?,
        ),
        None => None,
    };
    // Made absolute before loading: a `dir` directive changes the working directory.
    let config_path = file
        .as_ref()
        .map(|path| std::env::current_dir().unwrap_or_default().join(path));
    let mut config = match ferry_server::Config::load(file_text.as_deref(), directives) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    if let Some(path) = &config_path {
        config.set_config_file(path);
    }
    ferry_server::run(config, |port| {
        eprintln!(
            "ferry {} ready to accept connections on port {port}",
            env!("CARGO_PKG_VERSION")
        );
    })?;
    Ok(())
}

/// A closed stdout (`ferry rdb dump ... | head`) ends the command quietly.
fn exit_quietly_on_closed_pipe(result: anyhow::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(error)
            if error.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(())
        }
        other => other,
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { args } => serve(args),
        Command::Compat(args) => compat::main(args),
        Command::Rdb { command } => exit_quietly_on_closed_pipe(rdb_cmd::run(command)),
        Command::Aof { command } => exit_quietly_on_closed_pipe(aof_cmd::run(command)),
    }
}
