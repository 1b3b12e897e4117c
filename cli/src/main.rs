//! The `ferry` binary: `serve` runs the Valkey-compatible server; later issues add `migrate`, `rdb`,
//! `aof` and `compat`.

use anyhow::Context as _;
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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { args } => serve(args),
    }
}
