//! What the server's socket-level tests share: an in-process server on an ephemeral port and a raw
//! RESP connection that sends commands and reads whole replies.

// Each test binary compiles this module and uses only some of it.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use ferry_resp::frame::parse_frame;

/// How long a read waits for a reply before the test fails.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a server in-process on an ephemeral loopback port, with `extra` configuration arguments
/// (`["--requirepass", "secret"]`), and returns the port.
pub fn start_server(extra: &[&str]) -> u16 {
    let mut args: Vec<String> = ["--port", "0", "--bind", "127.0.0.1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let config = ferry_server::Config::load(None, &args).expect("valid test configuration");
    let (ready, port) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = ferry_server::run(config, move |port| {
            let _ = ready.send(port);
        });
    });
    port.recv_timeout(Duration::from_secs(10))
        .expect("server did not start")
}

/// A raw RESP connection.
pub struct Conn {
    /// The socket, for tests that look at addresses or write raw bytes.
    pub stream: TcpStream,
    buffered: Vec<u8>,
}

impl Conn {
    /// Connects to the server on `port`.
    pub fn open(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .expect("timeout");
        Self {
            stream,
            buffered: Vec::new(),
        }
    }

    /// Sends one command as a multibulk request without reading the reply.
    pub fn send(&mut self, args: &[&str]) {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send_bytes(&args);
    }

    /// [`Conn::send`] with binary arguments.
    pub fn send_bytes(&mut self, args: &[&[u8]]) {
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg);
            request.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&request).expect("write");
    }

    /// Reads one whole reply and returns its raw bytes; `None` when the server closed the connection.
    /// Fails the test when nothing arrives in time.
    pub fn read_reply(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some((_, used)) = parse_frame(&self.buffered).expect("well-formed reply") {
                return Some(self.buffered.drain(..used).collect());
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buffered.extend_from_slice(&chunk[..n]),
                Err(error) if error.kind() == ErrorKind::ConnectionReset => return None,
                Err(error) if is_timeout(&error) => panic!("no reply in time"),
                Err(error) => panic!("read failed: {error}"),
            }
        }
    }

    /// Reads one reply as text; fails the test when the connection closed.
    pub fn read_text(&mut self) -> String {
        let reply = self.read_reply().expect("connection closed");
        String::from_utf8_lossy(&reply).into_owned()
    }

    /// Sends a command and returns its reply as text.
    pub fn call(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.read_text()
    }

    /// The id CLIENT ID reports.
    pub fn id(&mut self) -> String {
        self.call(&["CLIENT", "ID"])
            .trim_start_matches(':')
            .trim_end()
            .to_string()
    }

    /// True when nothing arrives within `wait` (what does arrive stays buffered for the next read).
    pub fn silent_for(&mut self, wait: Duration) -> bool {
        if !self.buffered.is_empty() {
            return false;
        }
        self.stream.set_read_timeout(Some(wait)).expect("timeout");
        let mut chunk = [0u8; 64];
        let silent = match self.stream.read(&mut chunk) {
            Ok(n) => {
                self.buffered.extend_from_slice(&chunk[..n]);
                false
            }
            Err(error) => is_timeout(&error),
        };
        self.stream
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .expect("timeout");
        silent
    }
}

fn is_timeout(error: &std::io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}
