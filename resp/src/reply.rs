//! Reply encoder: command handlers append replies to a `ReplyBuffer`, which knows the connection's protocol
//! version (RESP2 or RESP3) and picks the right wire type, so no handler ever writes to a socket.

use crate::number::format_f64;

/// A growing buffer of encoded replies for one connection.
#[derive(Debug, Default, Clone)]
pub struct ReplyBuffer {
    out: Vec<u8>,
    resp3: bool,
}

/// A placeholder for an aggregate length that is only known after its elements are written.
#[derive(Debug, Clone, Copy)]
#[must_use = "a deferred length must be filled in"]
pub struct DeferredLen {
    position: usize,
    kind: u8,
}

impl ReplyBuffer {
    /// An empty RESP2 buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Switches between RESP2 (`false`) and RESP3 (`true`) for the replies that follow.
    pub fn set_resp3(&mut self, resp3: bool) {
        self.resp3 = resp3;
    }

    /// True when replies are encoded as RESP3.
    pub fn is_resp3(&self) -> bool {
        self.resp3
    }

    /// The encoded bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    /// Number of encoded bytes so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Drops everything after `len` bytes (used to discard a partial reply).
    pub fn truncate(&mut self, len: usize) {
        self.out.truncate(len);
    }

    /// Empties the buffer, keeping its allocation.
    pub fn clear(&mut self) {
        self.out.clear();
    }

    /// Takes the encoded bytes out, leaving the buffer empty.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Gives back a buffer taken with [`ReplyBuffer::take`] once its bytes were written, so its
    /// allocation is reused (ignored if new replies arrived meanwhile).
    pub fn recycle(&mut self, mut buffer: Vec<u8>) {
        if self.out.is_empty() {
            buffer.clear();
            self.out = buffer;
        }
    }

    /// Appends bytes that are already valid RESP.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// `prefix`, the decimal `n` and CRLF. Most lengths and counts are below 100: those are written as
    /// one small slice without the general integer formatter.
    fn header(&mut self, prefix: u8, n: i64) {
        match n {
            0..=9 => self
                .out
                .extend_from_slice(&[prefix, b'0' + n as u8, b'\r', b'\n']),
            10..=99 => self.out.extend_from_slice(&[
                prefix,
                b'0' + (n / 10) as u8,
                b'0' + (n % 10) as u8,
                b'\r',
                b'\n',
            ]),
            _ => {
                self.out.push(prefix);
                self.out
                    .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
                self.out.extend_from_slice(b"\r\n");
            }
        }
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.out.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string (`+text`). Newlines in `text` are replaced by spaces, as Valkey does.
    pub fn simple(&mut self, text: &[u8]) {
        self.out.push(b'+');
        self.push_line(text);
    }

    /// An error reply. `text` is the whole message including its code (`ERR ...`, `WRONGTYPE ...`); a leading
    /// `-` is added if missing. Newlines are replaced by spaces.
    pub fn error(&mut self, text: &str) {
        if !text.starts_with('-') {
            self.out.push(b'-');
        }
        self.push_line(text.as_bytes());
    }

    fn push_line(&mut self, text: &[u8]) {
        self.out.extend(
            text.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.out.extend_from_slice(b"\r\n");
    }

    /// An integer (`:n`).
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    /// A bulk string.
    pub fn bulk(&mut self, bytes: &[u8]) {
        // Header (at most 22 bytes), payload and CRLF with one capacity check.
        self.out.reserve(bytes.len() + 24);
        self.header(b'$', bytes.len() as i64);
        self.out.extend_from_slice(bytes);
        self.out.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal text of `n`.
    pub fn bulk_int(&mut self, n: i64) {
        let mut digits = itoa::Buffer::new();
        self.bulk(digits.format(n).as_bytes());
    }

    /// A bulk string made of two parts written back to back.
    pub fn bulk_concat(&mut self, first: &[u8], second: &[u8]) {
        self.header(b'$', (first.len() + second.len()) as i64);
        self.out.extend_from_slice(first);
        self.out.extend_from_slice(second);
        self.out.extend_from_slice(b"\r\n");
    }

    /// The null reply: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        self.out
            .extend_from_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    /// An array header for `len` elements.
    pub fn array(&mut self, len: usize) {
        self.header(b'*', len as i64);
    }

    /// A map header for `len` key/value pairs (a flat array of `2 × len` in RESP2).
    pub fn map(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'%', len as i64);
        } else {
            self.header(b'*', 2 * len as i64);
        }
    }

    /// A set header (an array in RESP2).
    pub fn set(&mut self, len: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, len as i64);
    }

    /// A push header (RESP3 out-of-band data; an array in RESP2).
    pub fn push(&mut self, len: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, len as i64);
    }

    /// An attribute header (RESP3 only; callers must not use it in RESP2).
    pub fn attribute(&mut self, len: usize) {
        self.header(b'|', len as i64);
    }

    /// A double: RESP3 `,` type, a bulk string of Valkey's `d2string` text in RESP2.
    pub fn double(&mut self, value: f64) {
        let mut text = Vec::with_capacity(crate::number::MAX_F64_CHARS);
        format_f64(value, &mut text);
        if self.resp3 {
            self.out.push(b',');
            self.out.extend_from_slice(&text);
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&text);
        }
    }

    /// A boolean: RESP3 `#t`/`#f`, the integer 1/0 in RESP2.
    pub fn boolean(&mut self, value: bool) {
        if self.resp3 {
            self.out
                .extend_from_slice(if value { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(i64::from(value));
        }
    }

    /// A verbatim string with a 3-letter format (`txt`): RESP3 `=`, a bulk string in RESP2.
    pub fn verbatim(&mut self, format: &[u8; 3], text: &[u8]) {
        if self.resp3 {
            self.header(b'=', (text.len() + 4) as i64);
            self.out.extend_from_slice(format);
            self.out.push(b':');
            self.out.extend_from_slice(text);
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A big number (RESP3 `(`, a bulk string in RESP2).
    pub fn big_number(&mut self, digits: &[u8]) {
        if self.resp3 {
            self.out.push(b'(');
            self.out.extend_from_slice(digits);
            self.out.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits);
        }
    }

    /// Starts an array whose length is filled in later with [`ReplyBuffer::finish_deferred`].
    pub fn deferred_array(&mut self) -> DeferredLen {
        self.deferred(b'*')
    }

    /// Starts a map whose pair count is filled in later.
    pub fn deferred_map(&mut self) -> DeferredLen {
        self.deferred(if self.resp3 { b'%' } else { b'M' })
    }

    /// Starts a set whose length is filled in later.
    pub fn deferred_set(&mut self) -> DeferredLen {
        self.deferred(if self.resp3 { b'~' } else { b'*' })
    }

    fn deferred(&mut self, kind: u8) -> DeferredLen {
        DeferredLen {
            position: self.out.len(),
            kind,
        }
    }

    /// Writes the length of a deferred aggregate now that `len` elements (pairs for a map) were written.
    pub fn finish_deferred(&mut self, deferred: DeferredLen, len: usize) {
        let (prefix, count) = match deferred.kind {
            b'M' => (b'*', 2 * len),
            kind => (kind, len),
        };
        let mut header = Vec::with_capacity(24);
        header.push(prefix);
        header.extend_from_slice(itoa::Buffer::new().format(count).as_bytes());
        header.extend_from_slice(b"\r\n");
        self.out
            .splice(deferred.position..deferred.position, header);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_encodings() {
        let mut reply = ReplyBuffer::new();
        reply.null();
        reply.map(1);
        reply.double(1.5);
        reply.boolean(true);
        assert_eq!(reply.as_bytes(), b"$-1\r\n*2\r\n$3\r\n1.5\r\n:1\r\n");
        let mut reply = ReplyBuffer::new();
        reply.set_resp3(true);
        reply.null();
        reply.map(1);
        reply.double(1.5);
        reply.boolean(true);
        assert_eq!(reply.as_bytes(), b"_\r\n%1\r\n,1.5\r\n#t\r\n");
    }

    #[test]
    fn deferred_lengths() {
        let mut reply = ReplyBuffer::new();
        reply.int(7);
        let pending = reply.deferred_map();
        reply.bulk(b"a");
        reply.bulk(b"b");
        reply.finish_deferred(pending, 1);
        assert_eq!(reply.as_bytes(), b":7\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    }

    #[test]
    fn errors_get_a_dash_and_lose_newlines() {
        let mut reply = ReplyBuffer::new();
        reply.error("ERR bad\r\nthing");
        reply.error("-WRONGTYPE x");
        assert_eq!(reply.as_bytes(), b"-ERR bad  thing\r\n-WRONGTYPE x\r\n");
    }
}
