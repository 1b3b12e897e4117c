//! A blocking raw RESP client for the differential suite: it sends commands as multibulk arrays (or any
//! raw bytes) and reads exactly one reply, keeping both the parsed frame and the exact bytes, so replies
//! can be compared byte for byte. A closed connection, a silent server and malformed RESP are outcomes
//! to compare, not errors.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ferry_resp::frame::parse_frame;
use ferry_resp::Frame;

use crate::error::Error;

/// How long a reply may take before the exchange counts as [`Response::Timeout`].
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// One reply as it came off the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The decoded frame (RESP2 or RESP3).
    pub frame: Frame,
    /// The exact bytes of the frame.
    pub raw: Vec<u8>,
}

/// What reading one reply produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// A whole frame.
    Reply(Reply),
    /// The server closed the connection before a whole frame arrived.
    Closed,
    /// Nothing (or only part of a frame) arrived within the reply timeout.
    Timeout,
    /// The server sent bytes that are not RESP.
    Malformed {
        /// What was received.
        raw: Vec<u8>,
        /// Why it does not parse.
        error: String,
    },
}

impl Response {
    /// The reply, if this is one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Response::Reply(reply) => Some(reply),
            _ => None,
        }
    }

    /// The frame, if this is a reply.
    pub fn frame(&self) -> Option<&Frame> {
        self.reply().map(|reply| &reply.frame)
    }

    /// Whether the connection can no longer be used (closed, silent or desynchronised).
    pub fn ends_connection(&self) -> bool {
        !matches!(self, Response::Reply(_))
    }
}

/// A connection to one server.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    /// Bytes received beyond the last reply (a pipelined raw request may produce several).
    pending: Vec<u8>,
    /// Set once the connection is known to be unusable.
    dead: bool,
}

/// Encodes a command as a RESP multibulk array of bulk strings.
pub fn encode_command<A: AsRef<[u8]>>(argv: &[A]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(16 + argv.iter().map(|a| a.as_ref().len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for arg in argv {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

impl Client {
    /// Connects with the default reply timeout.
    pub fn connect(addr: SocketAddr) -> Result<Client, Error> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(|e| Error::io(format!("connecting to {addr}"), e))?;
        stream
            .set_nodelay(true)
            .map_err(|e| Error::io("setting TCP_NODELAY", e))?;
        let client = Client {
            stream,
            pending: Vec::new(),
            dead: false,
        };
        client.set_timeout(DEFAULT_REPLY_TIMEOUT)?;
        Ok(client)
    }

    /// Sets the read and write timeout.
    pub fn set_timeout(&self, timeout: Duration) -> Result<(), Error> {
        self.stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| self.stream.set_write_timeout(Some(timeout)))
            .map_err(|e| Error::io("setting socket timeouts", e))
    }

    /// Whether an earlier exchange found the connection closed, silent or desynchronised.
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// Sends a command and reads its reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> Response {
        self.call_raw(&encode_command(argv))
    }

    /// Sends raw bytes and reads one reply.
    pub fn call_raw(&mut self, bytes: &[u8]) -> Response {
        if self.send_raw(bytes) {
            self.read_reply()
        } else {
            Response::Closed
        }
    }

    /// Writes raw bytes. Returns false when the connection turned out to be closed.
    pub fn send_raw(&mut self, bytes: &[u8]) -> bool {
        if self.dead {
            return false;
        }
        match self.stream.write_all(bytes) {
            Ok(()) => true,
            Err(_) => {
                self.dead = true;
                false
            }
        }
    }

    /// Reads exactly one reply. Any bytes after it stay buffered for the next read.
    pub fn read_reply(&mut self) -> Response {
        if self.dead && self.pending.is_empty() {
            return Response::Closed;
        }
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match parse_frame(&self.pending) {
                Ok(Some((frame, used))) => {
                    let raw: Vec<u8> = self.pending.drain(..used).collect();
                    return Response::Reply(Reply { frame, raw });
                }
                Ok(None) => {}
                Err(error) => {
                    self.dead = true;
                    return Response::Malformed {
                        raw: std::mem::take(&mut self.pending),
                        error: error.to_string(),
                    };
                }
            }
            if self.dead {
                return Response::Closed;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.dead = true;
                    self.pending.clear();
                    return Response::Closed;
                }
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    self.dead = true;
                    return Response::Timeout;
                }
                Err(_) => {
                    self.dead = true;
                    self.pending.clear();
                    return Response::Closed;
                }
            }
        }
    }

    /// Finds out whether the server has closed (or is about to close) this connection: sends PING and
    /// reads one reply. A server that flagged the connection to close after its last reply answers with
    /// end-of-file; an open one answers the PING (or with a reply still owed to earlier raw bytes).
    pub fn probe(&mut self) -> Response {
        self.call(&["PING"])
    }

    /// Waits (up to the reply timeout) for the server to close the connection, discarding anything it
    /// sends. Returns true when it closed.
    pub fn wait_closed(&mut self) -> bool {
        if self.dead {
            return true;
        }
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.dead = true;
                    return true;
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return false;
                }
                Err(_) => {
                    self.dead = true;
                    return true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    #[test]
    fn encodes_multibulk() {
        assert_eq!(
            encode_command(&["SET", "k", ""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n".to_vec()
        );
    }

    /// A fake server that answers each read with canned bytes, then closes.
    fn fake_server(answers: Vec<&'static [u8]>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            for answer in answers {
                if socket.read(&mut buf).unwrap_or(0) == 0 {
                    return;
                }
                socket.write_all(answer).unwrap();
            }
        });
        addr
    }

    #[test]
    fn reads_one_reply_at_a_time_and_detects_close() {
        let addr = fake_server(vec![b"+OK\r\n:1\r\n", b"%1\r\n+a\r\n_\r\n"]);
        let mut client = Client::connect(addr).unwrap();
        let first = client.call(&["X"]);
        assert_eq!(first.reply().unwrap().raw, b"+OK\r\n");
        // The second reply was already buffered.
        assert_eq!(client.read_reply().frame(), Some(&Frame::Integer(1)));
        let third = client.call(&["Y"]);
        assert_eq!(
            third.frame(),
            Some(&Frame::Map(vec![(
                Frame::Simple(b"a".to_vec()),
                Frame::Null
            )]))
        );
        assert_eq!(client.call(&["Z"]), Response::Closed);
        assert!(client.is_dead());
    }

    #[test]
    fn malformed_reply_is_reported() {
        let addr = fake_server(vec![b"?what\r\n"]);
        let mut client = Client::connect(addr).unwrap();
        assert!(matches!(client.call(&["X"]), Response::Malformed { .. }));
    }
}
