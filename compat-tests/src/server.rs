//! Starts a server binary (valkey-server, redis-server or ferry) on an ephemeral loopback port with a
//! private data directory, waits until it answers PING, and stops it (SIGTERM, then SIGKILL) on drop.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferry_resp::Frame;

use crate::client::{Client, Response};
use crate::error::Error;

/// How long a server may take to answer its first PING.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How many ports to try when another process grabs the one we picked.
const PORT_ATTEMPTS: usize = 5;

/// How to launch one server: the binary, arguments before the directives, and extra directives.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// The binary.
    pub program: PathBuf,
    /// Arguments before the directives (`["serve"]` for ferry, nothing for valkey/redis).
    pub prefix_args: Vec<String>,
    /// Directives added after the standard ones, e.g. `["--maxmemory", "10mb"]`.
    pub extra_args: Vec<String>,
    /// A short name for reports ("valkey 9.1", "ferry").
    pub label: String,
}

impl ServerSpec {
    /// A valkey-server or redis-server binary.
    pub fn redis_like(program: impl Into<PathBuf>, label: impl Into<String>) -> ServerSpec {
        ServerSpec {
            program: program.into(),
            prefix_args: Vec::new(),
            extra_args: Vec::new(),
            label: label.into(),
        }
    }

    /// The ferry binary, started as `ferry serve ...`.
    pub fn ferry(program: impl Into<PathBuf>) -> ServerSpec {
        ServerSpec {
            program: program.into(),
            prefix_args: vec!["serve".to_string()],
            extra_args: Vec::new(),
            label: "ferry".to_string(),
        }
    }

    /// Adds directives (`--name value ...`) after the standard ones.
    pub fn with_args<I, S>(mut self, args: I) -> ServerSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extra_args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Starts the server and waits until it answers PING.
    pub fn start(&self) -> Result<Server, Error> {
        if !self.program.is_file() {
            return Err(Error::Spawn {
                program: self.program.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let dir = TempDir::new()?;
            let port = free_port()?;
            match self.start_on(port, dir) {
                Ok(server) => return Ok(server),
                Err(StartFailure::PortTaken(error)) => last_error = Some(error),
                Err(StartFailure::Fatal(error)) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::Setup {
            side: "server",
            message: "no free port found".to_string(),
        }))
    }

    fn start_on(&self, port: u16, dir: TempDir) -> Result<Server, StartFailure> {
        let log_path = dir.path.join("server.log");
        let log = File::create(&log_path)
            .map_err(|e| StartFailure::Fatal(Error::io("creating the server log", e)))?;
        let log_err = log
            .try_clone()
            .map_err(|e| StartFailure::Fatal(Error::io("cloning the server log", e)))?;
        let mut command = Command::new(&self.program);
        command
            .args(&self.prefix_args)
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .arg("--dir")
            .arg(&dir.path)
            .args(["--enable-debug-command", "yes"])
            .args(&self.extra_args)
            .current_dir(&dir.path)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        let child = command.spawn().map_err(|source| {
            StartFailure::Fatal(Error::Spawn {
                program: self.program.clone(),
                source,
            })
        })?;
        let mut server = Server {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            spec: self.clone(),
            log_path,
            dir,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = server.log_tail();
                let error = Error::ServerExited {
                    program: self.program.clone(),
                    status: status.to_string(),
                    log: log.clone(),
                };
                return Err(if log.contains("Address already in use") {
                    StartFailure::PortTaken(error)
                } else {
                    StartFailure::Fatal(error)
                });
            }
            if server.answers_ping() {
                // Make sure it was our process that answered, not another one holding the port.
                std::thread::sleep(Duration::from_millis(20));
                if let Ok(None) = server.child.try_wait() {
                    return Ok(server);
                }
                continue;
            }
            if Instant::now() >= deadline {
                return Err(StartFailure::Fatal(Error::StartTimeout {
                    program: self.program.clone(),
                    port,
                    seconds: START_TIMEOUT.as_secs(),
                    log: server.log_tail(),
                }));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

enum StartFailure {
    PortTaken(Error),
    Fatal(Error),
}

/// A running server; stopped and its directory removed on drop.
#[derive(Debug)]
pub struct Server {
    child: Child,
    addr: SocketAddr,
    spec: ServerSpec,
    log_path: PathBuf,
    // Declared last so it is removed after the process has been stopped in `drop`.
    dir: TempDir,
}

impl Server {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How it was started.
    pub fn spec(&self) -> &ServerSpec {
        &self.spec
    }

    /// Its private data directory.
    pub fn dir(&self) -> &Path {
        &self.dir.path
    }

    /// Opens a new connection.
    pub fn connect(&self) -> Result<Client, Error> {
        Client::connect(self.addr)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last part of what the server printed (for error messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read(&self.log_path).unwrap_or_default();
        let start = text.len().saturating_sub(4000);
        String::from_utf8_lossy(&text[start..]).into_owned()
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut client) = Client::connect(self.addr) else {
            return false;
        };
        if client.set_timeout(Duration::from_secs(1)).is_err() {
            return false;
        }
        matches!(
            client.call(&["PING"]),
            Response::Reply(reply) if reply.frame == Frame::Simple(b"PONG".to_vec())
        )
    }

    /// Stops the process: SIGTERM, then SIGKILL if it has not exited after a few seconds.
    pub fn stop(&mut self) {
        if !self.is_running() {
            return;
        }
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) only sends a signal; the pid is our own child, not yet reaped (we have
            // just seen it running), so it cannot name an unrelated process.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !self.is_running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A directory under the system temp dir, removed on drop.
#[derive(Debug)]
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> Result<TempDir, Error> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "ferry-compat-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Asks the kernel for a free loopback port (bind port 0, read it, release it).
fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| Error::io("binding an ephemeral port", e))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| Error::io("reading the ephemeral port", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_a_clear_error() {
        let error = ServerSpec::redis_like("/nonexistent/valkey-server", "x")
            .start()
            .unwrap_err()
            .to_string();
        assert!(error.contains("/nonexistent/valkey-server"), "{error}");
    }

    #[test]
    fn a_binary_that_exits_reports_its_output() {
        // `sh` treats `--port` as an invalid option and exits at once.
        let error = ServerSpec::redis_like("/bin/sh", "sh").start().unwrap_err();
        assert!(matches!(error, Error::ServerExited { .. }), "{error}");
    }
}
