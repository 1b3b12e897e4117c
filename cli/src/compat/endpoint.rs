//! The two servers of a comparison: either a running server given as `redis://[user:pass@]host:port[/db]`
//! (every connection sends AUTH and SELECT as needed) or a server binary started on an ephemeral
//! loopback port for the duration of the run (`--reference-bin`, `--target-bin`).

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use ferry_compat::{Client, Command, Runner, Server, ServerSpec};
use ferry_resp::Frame;

/// The port a URL without one means.
const DEFAULT_PORT: u16 = 6379;

/// A parsed `redis://[user:pass@]host:port[/db]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// ACL user, when given.
    pub username: Option<String>,
    /// Password, when given.
    pub password: Option<String>,
    /// Database to SELECT, when given.
    pub db: Option<u32>,
}

impl FromStr for RedisUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<RedisUrl, String> {
        let rest = text
            .strip_prefix("redis://")
            .ok_or_else(|| format!("{text:?}: expected redis://[user:pass@]host:port[/db]"))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash + 1..]),
            None => (rest, ""),
        };
        let (credentials, host_port) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (username, password) = match credentials {
            None => (None, None),
            Some(credentials) => match credentials.split_once(':') {
                Some((user, pass)) => (
                    Some(percent_decode(user)?).filter(|u| !u.is_empty()),
                    Some(percent_decode(pass)?),
                ),
                // `redis://secret@host` is a password alone, as redis-cli reads it.
                None => (None, Some(percent_decode(credentials)?)),
            },
        };
        let (host, port) = split_host_port(host_port)?;
        let db = match path.trim_end_matches('/') {
            "" => None,
            digits => Some(
                digits
                    .parse::<u32>()
                    .map_err(|_| format!("{text:?}: the database {digits:?} is not a number"))?,
            ),
        };
        Ok(RedisUrl {
            host,
            port,
            username,
            password,
            db,
        })
    }
}

fn split_host_port(host_port: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| format!("{host_port:?}: unclosed [ in the host"))?;
        (host, after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{host_port:?}: no host"));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => port
            .parse()
            .map_err(|_| format!("{host_port:?}: the port {port:?} is not a number"))?,
    };
    Ok((host.to_string(), port))
}

/// Decodes `%XX` escapes (a password may hold `@`, `:` or `/`).
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    while pos < bytes.len() {
        if bytes[pos] == b'%' {
            let value = bytes
                .get(pos + 1..pos + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| format!("{text:?}: a % must be followed by two hex digits"))?;
            out.push(value);
            pos += 3;
        } else {
            out.push(bytes[pos]);
            pos += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{text:?}: the decoded text is not UTF-8"))
}

impl RedisUrl {
    /// The URL without its password, for reports.
    pub fn display_safe(&self) -> String {
        let user = match (&self.username, &self.password) {
            (Some(user), _) => format!("{user}@"),
            (None, Some(_)) => ":***@".to_string(),
            (None, None) => String::new(),
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let db = self.db.map(|db| format!("/{db}")).unwrap_or_default();
        format!("redis://{user}{host}:{}{db}", self.port)
    }

    /// The commands a new connection sends first: AUTH when credentials are given, SELECT for a db.
    pub fn setup_commands(&self) -> Vec<Command> {
        let mut commands = Vec::new();
        if let Some(password) = &self.password {
            let mut auth = vec![b"AUTH".to_vec()];
            if let Some(user) = &self.username {
                auth.push(user.as_bytes().to_vec());
            }
            auth.push(password.as_bytes().to_vec());
            commands.push(auth);
        }
        if let Some(db) = self.db {
            commands.push(vec![b"SELECT".to_vec(), db.to_string().into_bytes()]);
        }
        commands
    }

    /// Resolves the host to its first address.
    pub fn resolve(&self) -> anyhow::Result<SocketAddr> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .with_context(|| format!("resolving {}", self.host))?
            .next()
            .with_context(|| format!("{} resolves to no address", self.host))
    }
}

/// An absolute path for a server binary: servers run in a temporary directory, so a relative path must
/// be fixed first; a bare name (`redis-server`) is looked up in `PATH`.
fn resolve_program(program: &Path) -> anyhow::Result<PathBuf> {
    let bare = program.components().count() == 1 && !program.exists();
    if bare {
        let found = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|candidate| candidate.is_file())
        });
        if let Some(found) = found {
            return Ok(found);
        }
    }
    if !program.is_file() {
        bail!("{}: no such server binary", program.display());
    }
    std::path::absolute(program).with_context(|| format!("resolving {}", program.display()))
}

/// How to reach one side of a comparison.
#[derive(Debug, Clone)]
pub enum EndpointSpec {
    /// A running server.
    Url(RedisUrl),
    /// A server binary to start; a binary whose name contains "ferry" is started as `ferry serve`.
    Binary {
        /// The binary.
        program: PathBuf,
        /// Directives added after the standard ones.
        args: Vec<String>,
    },
}

impl EndpointSpec {
    /// The side given by a URL or a binary; exactly one of the two.
    pub fn from_options(
        side: &str,
        url: Option<RedisUrl>,
        binary: Option<PathBuf>,
        args: Vec<String>,
    ) -> anyhow::Result<EndpointSpec> {
        match (url, binary) {
            (Some(url), None) if args.is_empty() => Ok(EndpointSpec::Url(url)),
            (Some(_), None) => bail!("extra server arguments need --{side}-bin, not a URL"),
            (None, Some(program)) => Ok(EndpointSpec::Binary {
                program: resolve_program(&program)?,
                args,
            }),
            (Some(_), Some(_)) => bail!("give either --{side} URL or --{side}-bin PATH, not both"),
            (None, None) => {
                bail!("the {side} server is missing: give --{side} URL or --{side}-bin PATH")
            }
        }
    }

    /// A binary started as `ferry serve` or as a valkey/redis server.
    pub fn server_spec(program: &Path, args: &[String]) -> ServerSpec {
        let name = program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let spec = if name.contains("ferry") {
            ServerSpec::ferry(program)
        } else {
            ServerSpec::redis_like(program, name)
        };
        spec.with_args(args.iter().cloned())
    }

    /// Connects to the URL (checking it answers) or starts the binary.
    pub fn open(&self) -> anyhow::Result<Endpoint> {
        match self {
            EndpointSpec::Url(url) => {
                let addr = url.resolve()?;
                let setup = url.setup_commands();
                let mut client = connect_with(addr, &setup)
                    .with_context(|| format!("connecting to {}", url.display_safe()))?;
                let label = match server_version(&mut client) {
                    Some(version) => format!("{} ({version})", url.display_safe()),
                    None => url.display_safe(),
                };
                Ok(Endpoint {
                    addr,
                    setup,
                    label,
                    is_url: true,
                    server: None,
                })
            }
            EndpointSpec::Binary { program, args } => {
                let spec = EndpointSpec::server_spec(program, args);
                Endpoint::start(spec)
            }
        }
    }
}

/// A reachable server: its address, the commands each connection sends first, a name for reports, and
/// the process when we started it (stopped when this is dropped).
#[derive(Debug)]
pub struct Endpoint {
    /// Where it listens.
    pub addr: SocketAddr,
    /// AUTH/SELECT sent on every new connection.
    pub setup: Vec<Command>,
    /// A name for reports: the binary and its version, or the URL without the password.
    pub label: String,
    /// Whether it is a server given by URL (someone else's data may live there).
    pub is_url: bool,
    server: Option<Server>,
}

impl Endpoint {
    /// Starts a server binary on an ephemeral port.
    pub fn start(spec: ServerSpec) -> anyhow::Result<Endpoint> {
        let program = spec.program.display().to_string();
        let server = spec
            .start()
            .with_context(|| format!("starting {program}"))?;
        let addr = server.addr();
        let name = spec.label.clone();
        let label = match Client::connect(addr)
            .ok()
            .and_then(|mut c| server_version(&mut c))
        {
            Some(version) if !name.contains(&version) => format!("{name} {version}"),
            _ if name == "ferry" => format!("ferry {}", env!("CARGO_PKG_VERSION")),
            _ => name,
        };
        Ok(Endpoint {
            addr,
            setup: Vec::new(),
            label,
            is_url: false,
            server: Some(server),
        })
    }

    /// Opens a connection that has sent the setup commands.
    pub fn connect(&self) -> anyhow::Result<Client> {
        connect_with(self.addr, &self.setup)
    }

    /// The tail of the server's log, when we started it.
    pub fn log_tail(&self) -> Option<String> {
        self.server.as_ref().map(Server::log_tail)
    }

    /// Refuses to go on when a server given by URL holds keys: every run starts with FLUSHALL.
    pub fn check_empty(&self, allow_flush: bool) -> anyhow::Result<()> {
        if !self.is_url || allow_flush {
            return Ok(());
        }
        let mut client = self.connect()?;
        let keys = count_keys(&mut client);
        if keys > 0 {
            bail!(
                "{} holds {keys} keys; the run sends FLUSHALL before every case and would delete them \
                 (pass --allow-flush if that is intended)",
                self.label
            );
        }
        Ok(())
    }
}

/// A runner between two endpoints, labelled, with their connection setup and a reply timeout.
pub fn runner(reference: &Endpoint, target: &Endpoint, reply_timeout: Duration) -> Runner {
    Runner::new(reference.addr, target.addr)
        .with_labels(reference.label.clone(), target.label.clone())
        .with_connection_setup(reference.setup.clone(), target.setup.clone())
        .with_reply_timeout(reply_timeout)
}

fn connect_with(addr: SocketAddr, setup: &[Command]) -> anyhow::Result<Client> {
    let mut client = Client::connect(addr)?;
    for argv in setup {
        match client.call(argv).frame() {
            Some(Frame::Error(message)) => bail!(
                "{} failed: {}",
                String::from_utf8_lossy(&argv[0]),
                String::from_utf8_lossy(message)
            ),
            Some(_) => {}
            None => bail!("the server closed the connection during the setup"),
        }
    }
    Ok(client)
}

/// `valkey 9.1.2` / `redis 7.0.15` from INFO server, when the server has INFO.
fn server_version(client: &mut Client) -> Option<String> {
    let info = info_text(client, "server")?;
    let field = |name: &str| {
        info.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .map(|value| value.trim().to_string())
    };
    match (field("valkey_version"), field("redis_version")) {
        (Some(version), _) => Some(version),
        (None, Some(version)) => Some(version),
        (None, None) => None,
    }
}

fn info_text(client: &mut Client, section: &str) -> Option<String> {
    match client.call(&["INFO", section]).frame() {
        Some(Frame::Bulk(Some(text))) | Some(Frame::Verbatim(_, text)) => {
            Some(String::from_utf8_lossy(text).into_owned())
        }
        _ => None,
    }
}

/// Keys in all databases (INFO keyspace), or in the current one (DBSIZE) when INFO is unavailable.
fn count_keys(client: &mut Client) -> u64 {
    if let Some(info) = info_text(client, "keyspace") {
        return info
            .lines()
            .filter(|line| line.starts_with("db"))
            .filter_map(|line| {
                let keys = line.split_once("keys=")?.1;
                keys.split(',').next()?.trim().parse::<u64>().ok()
            })
            .sum();
    }
    match client.call(&["DBSIZE"]).frame() {
        Some(Frame::Integer(n)) => u64::try_from(*n).unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> RedisUrl {
        text.parse().unwrap()
    }

    #[test]
    fn parses_urls() {
        assert_eq!(
            url("redis://127.0.0.1:7000"),
            RedisUrl {
                host: "127.0.0.1".into(),
                port: 7000,
                username: None,
                password: None,
                db: None
            }
        );
        let full = url("redis://alice:p%40ss@cache.local:6380/3");
        assert_eq!(full.username.as_deref(), Some("alice"));
        assert_eq!(full.password.as_deref(), Some("p@ss"));
        assert_eq!(full.db, Some(3));
        assert_eq!(full.display_safe(), "redis://alice@cache.local:6380/3");
        assert_eq!(
            full.setup_commands(),
            vec![
                vec![b"AUTH".to_vec(), b"alice".to_vec(), b"p@ss".to_vec()],
                vec![b"SELECT".to_vec(), b"3".to_vec()]
            ]
        );
        let password_only = url("redis://:secret@h:1/");
        assert_eq!(password_only.username, None);
        assert_eq!(password_only.password.as_deref(), Some("secret"));
        assert_eq!(password_only.display_safe(), "redis://:***@h:1");
        assert_eq!(url("redis://h").port, 6379);
        let v6 = url("redis://[::1]:7001/0");
        assert_eq!((v6.host.as_str(), v6.port, v6.db), ("::1", 7001, Some(0)));
        assert_eq!(v6.display_safe(), "redis://[::1]:7001/0");
        for bad in [
            "http://h:1",
            "redis://h:port",
            "redis://:1",
            "redis://h:1/x",
            "redis://[::1:1",
            "redis://a:%zz@h",
        ] {
            assert!(bad.parse::<RedisUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_side_is_a_url_or_a_binary() {
        let u = Some(url("redis://h:1"));
        assert!(EndpointSpec::from_options("target", u.clone(), None, vec![]).is_ok());
        assert!(EndpointSpec::from_options("target", None, None, vec![]).is_err());
        assert!(
            EndpointSpec::from_options("target", u.clone(), Some("/bin/x".into()), vec![]).is_err()
        );
        assert!(EndpointSpec::from_options("target", u, None, vec!["--x".into()]).is_err());
        assert!(
            EndpointSpec::from_options("target", None, Some("/nonexistent/x".into()), vec![])
                .is_err()
        );
        let EndpointSpec::Binary { program, .. } =
            EndpointSpec::from_options("target", None, Some("sh".into()), vec![]).unwrap()
        else {
            panic!("not a binary")
        };
        assert!(program.is_absolute(), "{}", program.display());
        let spec = EndpointSpec::server_spec(Path::new("/opt/ferry"), &["--maxmemory".into()]);
        assert_eq!(spec.prefix_args, vec!["serve".to_string()]);
        assert_eq!(spec.extra_args, vec!["--maxmemory".to_string()]);
        let spec = EndpointSpec::server_spec(Path::new("/usr/bin/redis-server"), &[]);
        assert!(spec.prefix_args.is_empty());
    }
}
