//! The library's error type: failures of the harness itself (a missing binary, a server that does not
//! start, an unreadable case file). Divergences between servers are data, reported by `report`, never errors.

use std::path::PathBuf;

/// What went wrong while setting up or driving the servers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A reference binary could not be found.
    #[error(
        "{what} not found ({detail}); run scripts/install-refs.sh or set {env_var} to its path"
    )]
    BinaryMissing {
        /// Which server, e.g. "valkey-server 9.1".
        what: String,
        /// Where it was looked for and why that failed.
        detail: String,
        /// The environment variable that overrides the location.
        env_var: String,
    },
    /// A server process could not be spawned.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The binary.
        program: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A server exited before answering PING.
    #[error("{program} exited during startup ({status}); its log:\n{log}")]
    ServerExited {
        /// The binary.
        program: PathBuf,
        /// Its exit status.
        status: String,
        /// The tail of what it printed.
        log: String,
    },
    /// A server did not answer PING in time.
    #[error("{program} did not answer PING on port {port} within {seconds} s; its log:\n{log}")]
    StartTimeout {
        /// The binary.
        program: PathBuf,
        /// The port it was told to use.
        port: u16,
        /// How long we waited.
        seconds: u64,
        /// The tail of what it printed.
        log: String,
    },
    /// A case file does not parse.
    #[error("{file}:{line}: {message}")]
    CaseSyntax {
        /// The file (as given).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A server refused the setup step of a case or stream (for example FLUSHALL failed on the reference).
    #[error("setup failed on the {side}: {message}")]
    Setup {
        /// "reference" or "target".
        side: &'static str,
        /// What happened.
        message: String,
    },
    /// Any other I/O failure (temp dirs, case directories, connecting).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with what was being attempted.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
