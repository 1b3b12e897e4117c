//! Runs cases and random streams against a reference server and a target in lockstep: every request
//! goes to the reference, then to the target, and the two replies are compared under the
//! normalisation rules. Divergences are collected in a [`Report`].

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use ferry_resp::Frame;

use crate::cases::{Action, Case, CaseFile, Step};
use crate::client::{Client, Response, DEFAULT_REPLY_TIMEOUT};
use crate::error::Error;
use crate::normalise::equivalent;
use crate::random::Command;
use crate::report::{
    command_key, escape, format_command, format_response, Divergence, Origin, Report,
};

/// What the runner knows about one connection: MULTI state (as the reference acknowledged it) and
/// commands sent with a `send` step whose replies are not read yet.
#[derive(Debug, Default)]
struct Session {
    queued: Option<Vec<Command>>,
    unread: VecDeque<Command>,
}

/// One server's connections, opened on first use and reopened after the server closed one.
#[derive(Debug)]
struct Side {
    name: &'static str,
    addr: SocketAddr,
    /// Commands sent on every new connection before it is used (AUTH, SELECT).
    setup: Vec<Command>,
    /// How long a reply may take.
    reply_timeout: Duration,
    /// Set after a reply of the current case went unanswered: the case has diverged, and its later
    /// replies get only [`AFTER_TIMEOUT`] each, so its remaining steps (which restore any server-wide
    /// setting the case changed) still run without each costing the full timeout.
    degraded: bool,
    clients: Vec<Option<Client>>,
}

/// How long each reply may take for the rest of a case after one went unanswered.
const AFTER_TIMEOUT: Duration = Duration::from_millis(250);

impl Side {
    fn new(name: &'static str, addr: SocketAddr) -> Side {
        Side {
            name,
            addr,
            setup: Vec::new(),
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
            degraded: false,
            clients: Vec::new(),
        }
    }

    /// The reply timeout in force.
    fn timeout(&self) -> Duration {
        if self.degraded {
            AFTER_TIMEOUT.min(self.reply_timeout)
        } else {
            self.reply_timeout
        }
    }

    /// Shortens the reply timeout of every connection for the rest of the case.
    fn degrade(&mut self) -> Result<(), Error> {
        self.degraded = true;
        let timeout = self.timeout();
        for client in self.clients.iter().flatten() {
            client.set_timeout(timeout)?;
        }
        Ok(())
    }

    fn client(&mut self, index: usize) -> Result<&mut Client, Error> {
        if self.clients.len() <= index {
            self.clients.resize_with(index + 1, || None);
        }
        let timeout = self.timeout();
        let slot = &mut self.clients[index];
        if slot.as_ref().is_none_or(Client::is_dead) {
            let mut client = Client::connect(self.addr)?;
            if timeout != DEFAULT_REPLY_TIMEOUT {
                client.set_timeout(timeout)?;
            }
            for argv in &self.setup {
                let reply = client.call(argv);
                if !matches!(reply.frame(), Some(frame) if !matches!(frame, Frame::Error(_))) {
                    return Err(Error::Setup {
                        side: self.name,
                        message: format!(
                            "{} on a new connection answered {}",
                            argv.first()
                                .map_or(String::new(), |name| String::from_utf8_lossy(name)
                                    .into_owned()),
                            format_response(&reply)
                        ),
                    });
                }
            }
            *slot = Some(client);
        }
        slot.as_mut().ok_or_else(|| Error::Setup {
            side: "runner",
            message: "connection slot vanished".to_string(),
        })
    }

    fn close_all(&mut self) {
        self.clients.clear();
        self.degraded = false;
    }

    /// Whether the server still answers a PING on a new connection within the reply timeout (any reply
    /// will do: it shows the server is not hanging).
    fn responds(&self) -> bool {
        let Ok(mut client) = Client::connect(self.addr) else {
            return false;
        };
        if client.set_timeout(self.reply_timeout).is_err() {
            return false;
        }
        matches!(client.call(&[b"PING"]), Response::Reply(_))
    }
}

/// Drives a reference and a target in lockstep and collects divergences.
#[derive(Debug)]
pub struct Runner {
    reference: Side,
    target: Side,
    sessions: Vec<Session>,
    report: Report,
    resync_on_divergence: bool,
    /// Set when a request of the current case or stream went unanswered.
    timed_out: bool,
}

impl Runner {
    /// A runner comparing `target` against `reference`.
    pub fn new(reference: SocketAddr, target: SocketAddr) -> Runner {
        Runner {
            reference: Side::new("reference", reference),
            target: Side::new("target", target),
            sessions: Vec::new(),
            report: Report::new(format!("reference {reference}"), format!("target {target}")),
            resync_on_divergence: true,
            timed_out: false,
        }
    }

    /// Names the two sides in the report.
    pub fn with_labels(
        mut self,
        reference: impl Into<String>,
        target: impl Into<String>,
    ) -> Runner {
        self.report.reference_label = reference.into();
        self.report.target_label = target.into();
        self
    }

    /// Commands each new connection sends before it is used, per side: `AUTH` and `SELECT` for a server
    /// given by URL. A setup command answered with an error stops the run with [`Error::Setup`].
    pub fn with_connection_setup(
        mut self,
        reference: Vec<Command>,
        target: Vec<Command>,
    ) -> Runner {
        self.reference.setup = reference;
        self.target.setup = target;
        self
    }

    /// How long each reply may take on both sides before it counts as unanswered (default
    /// [`DEFAULT_REPLY_TIMEOUT`]); a slow target (a debug build, a loaded machine) needs more.
    pub fn with_reply_timeout(mut self, timeout: Duration) -> Runner {
        self.reference.reply_timeout = timeout;
        self.target.reply_timeout = timeout;
        self
    }

    /// Whether a random stream is resynchronised (fresh connections, FLUSHALL on both) after a
    /// divergence, so one difference does not cascade into many. On by default.
    pub fn resync_on_divergence(mut self, enabled: bool) -> Runner {
        self.resync_on_divergence = enabled;
        self
    }

    /// The report so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Ends the run and returns the report.
    pub fn into_report(self) -> Report {
        self.report
    }

    /// Runs every case of a file.
    pub fn run_case_file(&mut self, file: &CaseFile) -> Result<(), Error> {
        let label = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.name.clone());
        for case in &file.cases {
            self.run_case(&label, case)?;
        }
        Ok(())
    }

    /// Runs one case on fresh connections after FLUSHALL; its connections are closed at the end. Once
    /// a reply went unanswered the case has diverged: its later steps still run (the last ones often
    /// restore a setting the case changed) but each reply may only take [`AFTER_TIMEOUT`].
    pub fn run_case(&mut self, file: &str, case: &Case) -> Result<(), Error> {
        self.run_case_steps(file, &case.name, &case.steps, true)
    }

    /// Runs steps as one case named `case` (FLUSHALL first, fresh connections, closed at the end). Steps
    /// are pulled one at a time, so a long replay can be generated lazily and its progress observed.
    pub fn run_steps<'s, I>(&mut self, file: &str, case: &str, steps: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = &'s Step>,
    {
        self.run_case_steps(file, case, steps, false)
    }

    fn run_case_steps<'s, I>(
        &mut self,
        file: &str,
        case: &str,
        steps: I,
        hurry_after_timeout: bool,
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = &'s Step>,
    {
        self.reset()?;
        self.report.cases += 1;
        self.timed_out = false;
        for step in steps {
            let origin = Origin::Case {
                file: file.to_string(),
                case: case.to_string(),
                line: step.line,
            };
            self.run_step(origin, step)?;
            if hurry_after_timeout && self.timed_out && !self.reference.degraded {
                self.reference.degrade()?;
                self.target.degrade()?;
            }
        }
        self.close_all();
        Ok(())
    }

    /// Runs a random stream on connection 1 after FLUSHALL.
    pub fn run_stream<I>(&mut self, seed: u64, commands: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = Command>,
    {
        self.reset()?;
        self.report.streams += 1;
        for (index, argv) in commands.into_iter().enumerate() {
            let origin = Origin::Random { seed, index };
            let diverged = self.exchange(origin, 1, &argv)?;
            if diverged && self.resync_on_divergence {
                self.reset()?;
            }
        }
        self.close_all();
        Ok(())
    }

    fn run_step(&mut self, origin: Origin, step: &Step) -> Result<(), Error> {
        match &step.action {
            Action::Command(argv) => {
                self.exchange(origin, step.client, argv)?;
            }
            Action::Raw(bytes) => self.raw(origin, step.client, bytes)?,
            Action::Send(argv) => {
                self.reference.client(step.client)?.send_raw(&encode(argv));
                self.target.client(step.client)?.send_raw(&encode(argv));
                self.session(step.client).unread.push_back(argv.clone());
            }
            Action::Read => self.read_sent(origin, step.client)?,
            Action::Sleep(ms) => std::thread::sleep(Duration::from_millis(*ms)),
        }
        Ok(())
    }

    fn session(&mut self, client: usize) -> &mut Session {
        if self.sessions.len() <= client {
            self.sessions.resize_with(client + 1, Session::default);
        }
        &mut self.sessions[client]
    }

    /// Sends a command to both sides, compares, records. Returns whether it diverged.
    fn exchange(&mut self, origin: Origin, client: usize, argv: &Command) -> Result<bool, Error> {
        let reference = self.reference.client(client)?.call(argv);
        let target = self.target.client(client)?.call(argv);
        let diverged = self.compare(origin, client, argv, &reference, &target);
        self.check_timeouts([&reference, &target])?;
        Ok(diverged)
    }

    /// After a request went unanswered, checks that the silent side still answers a PING on a new
    /// connection, and stops the run if it does not: a server that hangs would otherwise cost the full
    /// reply timeout on every request that follows.
    fn check_timeouts(&mut self, responses: [&Response; 2]) -> Result<(), Error> {
        let [reference, target] = responses.map(|response| *response == Response::Timeout);
        if !reference && !target {
            return Ok(());
        }
        self.timed_out = true;
        for (side, silent) in [(&self.reference, reference), (&self.target, target)] {
            if silent && !side.responds() {
                return Err(Error::Setup {
                    side: side.name,
                    message: "stopped answering: a PING on a new connection got no reply either"
                        .to_string(),
                });
            }
        }
        Ok(())
    }

    /// Reads the reply owed to the oldest `send` step of this client on both sides. Only here and after
    /// a command is a reply owed: a `send` whose reply is never read (a blocking command left waiting
    /// when the case ends) is not compared, so it cannot time out.
    fn read_sent(&mut self, origin: Origin, client: usize) -> Result<(), Error> {
        let argv = self.session(client).unread.pop_front().unwrap_or_default();
        let reference = self.reference.client(client)?.read_reply();
        let target = self.target.client(client)?.read_reply();
        self.compare(origin, client, &argv, &reference, &target);
        self.check_timeouts([&reference, &target])
    }

    fn compare(
        &mut self,
        origin: Origin,
        client: usize,
        argv: &Command,
        reference: &Response,
        target: &Response,
    ) -> bool {
        let session = self.session(client);
        // A reply that is owed and never comes is a divergence even when both sides are silent: two
        // servers that hang, or a read that waits past the timeout, prove nothing about agreement.
        let same = equivalent(argv, session.queued.as_deref(), reference, target);
        track_transaction(session, argv, reference);
        if reference.ends_connection() {
            *session = Session::default();
        }
        self.report.count(&command_key(argv), !same);
        if !same {
            self.report.divergences.push(Divergence {
                origin,
                client,
                request: format_command(argv),
                reference: format_response(reference),
                target: format_response(target),
            });
        }
        !same
    }

    /// Sends raw bytes, reads one reply, then probes whether the server closed the connection.
    fn raw(&mut self, origin: Origin, client: usize, bytes: &[u8]) -> Result<(), Error> {
        let exchange = |side: &mut Side| -> Result<(Response, Response), Error> {
            let connection = side.client(client)?;
            let reply = connection.call_raw(bytes);
            let after = if reply.ends_connection() {
                Response::Closed
            } else {
                connection.probe()
            };
            Ok((reply, after))
        };
        let (ref_reply, ref_after) = exchange(&mut self.reference)?;
        let (target_reply, target_after) = exchange(&mut self.target)?;
        let no_command: &[&[u8]] = &[];
        let same = equivalent(no_command, None, &ref_reply, &target_reply)
            && equivalent(no_command, None, &ref_after, &target_after);
        *self.session(client) = Session::default();
        self.report.count("@raw", !same);
        if !same {
            let show = |reply: &Response, after: &Response| {
                format!("{}, then {}", format_response(reply), describe_probe(after))
            };
            self.report.divergences.push(Divergence {
                origin,
                client,
                request: format!("@raw {}", escape(bytes)),
                reference: show(&ref_reply, &ref_after),
                target: show(&target_reply, &target_after),
            });
        }
        self.check_timeouts([&ref_reply, &target_reply])
    }

    /// Closes every connection and empties both servers with FLUSHALL on a fresh connection.
    fn reset(&mut self) -> Result<(), Error> {
        self.close_all();
        for (side, name) in [
            (&mut self.reference, "reference"),
            (&mut self.target, "target"),
        ] {
            let reply = side.client(1)?.call(&["FLUSHALL"]);
            if reply.frame() != Some(&Frame::Simple(b"OK".to_vec())) {
                return Err(Error::Setup {
                    side: name,
                    message: format!("FLUSHALL answered {}", format_response(&reply)),
                });
            }
        }
        Ok(())
    }

    fn close_all(&mut self) {
        self.reference.close_all();
        self.target.close_all();
        self.sessions.clear();
    }
}

fn encode(argv: &Command) -> Vec<u8> {
    crate::client::encode_command(argv)
}

fn describe_probe(after: &Response) -> String {
    match after {
        Response::Closed => "connection closed".to_string(),
        other => format!("connection open (PING probe: {})", format_response(other)),
    }
}

/// Follows MULTI/EXEC from the reference's replies so EXEC's reply can be compared element by element.
fn track_transaction(session: &mut Session, argv: &Command, reference: &Response) {
    let name = argv
        .first()
        .map(|n| n.to_ascii_uppercase())
        .unwrap_or_default();
    let frame = reference.frame();
    match name.as_slice() {
        b"MULTI" if frame == Some(&Frame::Simple(b"OK".to_vec())) => {
            session.queued = Some(Vec::new())
        }
        b"EXEC" | b"DISCARD" | b"RESET" => session.queued = None,
        _ => {
            if let Some(queued) = session.queued.as_mut() {
                if frame == Some(&Frame::Simple(b"QUEUED".to_vec())) {
                    queued.push(argv.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::parse_cases;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A fake server: every read is one request; `answer` maps the request bytes to reply bytes.
    fn fake(answer: fn(&[u8]) -> Vec<u8>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for socket in listener.incoming() {
                let Ok(mut socket) = socket else { return };
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = socket.read(&mut buf) {
                        if n == 0 || socket.write_all(&answer(&buf[..n])).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn reference(request: &[u8]) -> Vec<u8> {
        if contains(request, b"FLUSHALL") || contains(request, b"MULTI") {
            b"+OK\r\n".to_vec()
        } else if contains(request, b"KEYS") {
            b"*2\r\n$1\r\na\r\n$1\r\nb\r\n".to_vec()
        } else {
            b":1\r\n".to_vec()
        }
    }

    fn target(request: &[u8]) -> Vec<u8> {
        if contains(request, b"KEYS") {
            b"*2\r\n$1\r\nb\r\n$1\r\na\r\n".to_vec()
        } else if contains(request, b"INCR") {
            b":2\r\n".to_vec()
        } else {
            reference(request)
        }
    }

    fn argv(words: &[&str]) -> Command {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn stream_divergences_are_recorded_with_their_origin() {
        let mut runner = Runner::new(fake(reference), fake(target));
        let stream = vec![
            argv(&["GET", "k"]),
            argv(&["INCR", "k"]),
            argv(&["KEYS", "*"]),
        ];
        runner.run_stream(9, stream).unwrap();
        let report = runner.into_report();
        assert_eq!(report.commands, 3);
        assert_eq!(report.divergences.len(), 1, "{report}");
        let divergence = &report.divergences[0];
        assert_eq!(divergence.origin, Origin::Random { seed: 9, index: 1 });
        assert_eq!(divergence.request, "INCR k");
        assert_eq!(divergence.reference, r#"":1\r\n""#);
        assert_eq!(divergence.target, r#"":2\r\n""#);
        assert_eq!(report.stats["INCR"].divergent, 1);
        assert_eq!(report.stats["KEYS"].divergent, 0);
    }

    fn refuses_auth(request: &[u8]) -> Vec<u8> {
        if contains(request, b"AUTH") {
            b"-WRONGPASS invalid username-password pair\r\n".to_vec()
        } else {
            reference(request)
        }
    }

    #[test]
    fn new_connections_send_the_setup_commands() {
        let setup = vec![argv(&["AUTH", "secret"]), argv(&["SELECT", "2"])];
        let mut runner = Runner::new(fake(reference), fake(reference))
            .with_connection_setup(setup.clone(), setup.clone());
        runner.run_stream(1, vec![argv(&["GET", "k"])]).unwrap();
        assert!(runner.report().is_clean());
        let mut runner = Runner::new(fake(reference), fake(refuses_auth))
            .with_connection_setup(setup.clone(), setup);
        let error = runner.run_stream(1, vec![argv(&["GET", "k"])]).unwrap_err();
        assert!(
            matches!(&error, Error::Setup { side: "target", message } if message.contains("WRONGPASS")),
            "{error}"
        );
    }

    #[test]
    fn cases_use_their_clients_and_lines() {
        let text = b"[[case]]\nname = 'two clients'\nsteps = ['GET k', { client = 2 }, 'INCR k']\n";
        let cases = parse_cases("t.toml", text).unwrap();
        let mut runner = Runner::new(fake(reference), fake(target));
        runner.run_case("t.toml", &cases[0]).unwrap();
        let report = runner.into_report();
        assert_eq!(report.cases, 1);
        assert_eq!(report.divergences.len(), 1);
        assert_eq!(report.divergences[0].client, 2);
        assert_eq!(
            report.divergences[0].origin,
            Origin::Case {
                file: "t.toml".into(),
                case: "two clients".into(),
                line: 3
            }
        );
    }

    /// Answers like `reference`, except that a request naming HANG never gets a reply.
    fn hangs(request: &[u8]) -> Vec<u8> {
        if contains(request, b"HANG") {
            Vec::new()
        } else {
            reference(request)
        }
    }

    /// Runs one case between two servers that both hang on HANG, with a short reply timeout (long
    /// enough for FLUSHALL on a loaded machine).
    fn run_hanging(steps: &str) -> Result<Report, Error> {
        let text = format!("[[case]]\nname = 'hang'\nsteps = [\n{steps}\n]\n");
        let cases = parse_cases("t.toml", text.as_bytes()).unwrap();
        let mut runner =
            Runner::new(fake(hangs), fake(hangs)).with_reply_timeout(Duration::from_millis(500));
        runner.run_case("t.toml", &cases[0])?;
        Ok(runner.into_report())
    }

    #[test]
    fn a_reply_owed_by_both_sides_and_never_sent_is_a_divergence() {
        let silent = "<no reply before the timeout>";
        // A command owes a reply.
        let report = run_hanging("'GET k',\n'HANG'").unwrap();
        assert_eq!(report.divergences.len(), 1, "{report}");
        let divergence = &report.divergences[0];
        assert_eq!(
            (divergence.request.as_str(), divergence.origin.clone()),
            (
                "HANG",
                Origin::Case {
                    file: "t.toml".into(),
                    case: "hang".into(),
                    line: 5
                }
            )
        );
        assert_eq!(
            (divergence.reference.as_str(), divergence.target.as_str()),
            (silent, silent)
        );
        // So does a read of a sent command. (Nothing else goes to client 1 meanwhile: the fake server
        // would take a second request arriving with HANG in one read for part of it.)
        let report = run_hanging(
            "{ send = 'HANG' },\n{ client = 2 },\n'PING',\n{ client = 1 },\n{ read = true }",
        )
        .unwrap();
        assert_eq!(report.divergences.len(), 1, "{report}");
        assert_eq!(report.divergences[0].request, "HANG");
        assert_eq!(
            report.divergences[0].origin,
            Origin::Case {
                file: "t.toml".into(),
                case: "hang".into(),
                line: 8
            }
        );
        // And raw bytes.
        let report = run_hanging("{ raw = 'HANG\\r\\n' }").unwrap();
        assert_eq!(report.divergences.len(), 1, "{report}");
        // A sent command whose reply is never read owes nothing.
        let report = run_hanging("{ send = 'HANG' },\n{ client = 2 },\n'PING'").unwrap();
        assert!(report.is_clean(), "{report}");
        assert_eq!(report.commands, 1);
        // After an unanswered request the rest of the case still runs, with short timeouts (the
        // servers still answer PING, so the run goes on).
        let started = std::time::Instant::now();
        // Six unanswered requests on two sides: 6 s at the full 500 ms, 3.5 s when hurried.
        let report = run_hanging(&["'HANG'"; 6].join(",\n")).unwrap();
        assert_eq!(report.divergences.len(), 6, "{report}");
        assert!(
            started.elapsed() < Duration::from_millis(5000),
            "{:?}",
            started.elapsed()
        );
        // A server that answers nothing at all stops the run.
        let text = "[[case]]\nname = 'dead'\nsteps = ['GET k']\n";
        let cases = parse_cases("t.toml", text.as_bytes()).unwrap();
        let silent_after_flush = |request: &[u8]| {
            if contains(request, b"FLUSHALL") {
                b"+OK\r\n".to_vec()
            } else {
                Vec::new()
            }
        };
        let mut runner = Runner::new(fake(hangs), fake(silent_after_flush))
            .with_reply_timeout(Duration::from_millis(500));
        let error = runner.run_case("t.toml", &cases[0]).unwrap_err();
        assert!(
            matches!(&error, Error::Setup { side: "target", message } if message.contains("stopped answering")),
            "{error}"
        );
    }

    #[test]
    fn exec_replies_are_compared_per_queued_command() {
        let mut session = Session::default();
        let ok = Response::Reply(crate::client::Reply {
            frame: Frame::Simple(b"OK".to_vec()),
            raw: b"+OK\r\n".to_vec(),
        });
        let queued = Response::Reply(crate::client::Reply {
            frame: Frame::Simple(b"QUEUED".to_vec()),
            raw: b"+QUEUED\r\n".to_vec(),
        });
        track_transaction(&mut session, &argv(&["multi"]), &ok);
        track_transaction(&mut session, &argv(&["KEYS", "*"]), &queued);
        track_transaction(&mut session, &argv(&["GET", "k"]), &queued);
        assert_eq!(session.queued.as_ref().map(Vec::len), Some(2));
        track_transaction(&mut session, &argv(&["EXEC"]), &ok);
        assert_eq!(session.queued, None);
    }
}
