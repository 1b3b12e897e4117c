//! Incremental decoder for client requests: RESP multibulk arrays and inline commands, with Valkey's
//! limits and its exact protocol error texts. After a protocol error the server replies with the error
//! and closes the connection.

use crate::argv::Argv;
use crate::number::parse_i64;

/// Longest inline request, and longest multibulk/bulk header line, Valkey accepts (PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

/// Limits that depend on configuration and on the connection's authentication state.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`: the largest bulk argument accepted.
    pub max_bulk_len: i64,
    /// True while the connection must still authenticate: multibulk counts above 10 and bulks above
    /// 16384 bytes are then refused.
    pub auth_required: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bulk_len: 512 * 1024 * 1024,
            auth_required: false,
        }
    }
}

/// A malformed request. `Display` gives the exact error text Valkey replies with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An inline request without a newline in the first 64 KiB.
    #[error("Protocol error: too big inline request")]
    TooBigInline,
    /// A multibulk header line longer than 64 KiB.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// A multibulk count that is not a number or exceeds `INT_MAX`.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// More than 10 arguments before authentication.
    #[error("Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// A bulk above 16384 bytes before authentication.
    #[error("Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
    /// A bulk header line longer than 64 KiB.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// Something other than `$` where a bulk header was expected.
    #[error("Protocol error: expected '$', got '{}'", char::from(*.0))]
    ExpectedDollar(u8),
    /// A bulk length that is not a number, negative, or above `proto-max-bulk-len`.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// An inline request with an unterminated quote.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
}

/// What one call to [`RequestParser::parse`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command is in the `Argv`; `consumed` bytes of the buffer were used.
    Command { consumed: usize },
    /// An empty request (blank inline line, `*0` or `*-1`): nothing to run; skip `consumed` bytes.
    Empty { consumed: usize },
    /// More bytes are needed. `consumed` bytes (whole arguments already copied into the `Argv`) may be
    /// dropped from the buffer; keep the rest and call again with more data appended.
    Incomplete { consumed: usize },
}

/// Decoder state carried between reads: a multibulk request may arrive in many pieces.
#[derive(Debug, Default, Clone)]
pub struct RequestParser {
    /// Arguments of the current multibulk request still to read; 0 when between requests.
    multibulk_remaining: i64,
    /// Length of the bulk being read, once its header has been seen.
    bulk_len: Option<usize>,
}

impl RequestParser {
    /// A parser between requests.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when a multibulk request has been started but not finished.
    pub fn in_progress(&self) -> bool {
        self.multibulk_remaining > 0
    }

    /// Parses at most one request from the start of `buf` into `argv`. `argv` must be cleared by the
    /// caller before a new request starts (it is left alone while a request is in progress).
    pub fn parse(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        argv: &mut Argv,
    ) -> Result<Parsed, ProtocolError> {
        if self.multibulk_remaining == 0 {
            match buf.first() {
                None => return Ok(Parsed::Incomplete { consumed: 0 }),
                Some(b'*') => {}
                Some(_) => return parse_inline(buf, argv),
            }
        }
        self.parse_multibulk(buf, limits, argv)
    }

    fn parse_multibulk(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        argv: &mut Argv,
    ) -> Result<Parsed, ProtocolError> {
        let mut pos = 0;
        if self.multibulk_remaining == 0 {
            let Some(cr) = find_before_nul(buf, b'\r') else {
                if buf.len() > INLINE_MAX_SIZE {
                    return Err(ProtocolError::TooBigMultibulkCount);
                }
                return Ok(Parsed::Incomplete { consumed: 0 });
            };
            if cr + 2 > buf.len() {
                return Ok(Parsed::Incomplete { consumed: 0 });
            }
            let count = parse_i64(&buf[1..cr]).ok_or(ProtocolError::InvalidMultibulkLength)?;
            if count > i64::from(i32::MAX) {
                return Err(ProtocolError::InvalidMultibulkLength);
            }
            if count > 10 && limits.auth_required {
                return Err(ProtocolError::UnauthenticatedMultibulkLength);
            }
            pos = cr + 2;
            if count <= 0 {
                return Ok(Parsed::Empty { consumed: pos });
            }
            self.multibulk_remaining = count;
        }

        while self.multibulk_remaining > 0 {
            let bulk_len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let rest = &buf[pos..];
                    if let Some((len, used)) = small_bulk_header(rest, limits) {
                        // The common case, `$<up to 5 digits>\r\n`, without the general checks.
                        pos += used;
                        self.bulk_len = Some(len);
                        len
                    } else {
                        let Some(cr) = find_before_nul(rest, b'\r') else {
                            if rest.len() > INLINE_MAX_SIZE {
                                return Err(ProtocolError::TooBigBulkCount);
                            }
                            break;
                        };
                        if cr + 2 > rest.len() {
                            break;
                        }
                        if rest[0] != b'$' {
                            return Err(ProtocolError::ExpectedDollar(rest[0]));
                        }
                        let len = match parse_i64(&rest[1..cr]) {
                            Some(len) if len >= 0 && len <= limits.max_bulk_len => len,
                            _ => return Err(ProtocolError::InvalidBulkLength),
                        };
                        if len > 16384 && limits.auth_required {
                            return Err(ProtocolError::UnauthenticatedBulkLength);
                        }
                        pos += cr + 2;
                        let len =
                            usize::try_from(len).map_err(|_| ProtocolError::InvalidBulkLength)?;
                        self.bulk_len = Some(len);
                        len
                    }
                }
            };
            if buf.len() - pos < bulk_len + 2 {
                break;
            }
            argv.push(&buf[pos..pos + bulk_len]);
            pos += bulk_len + 2;
            self.bulk_len = None;
            self.multibulk_remaining -= 1;
        }

        if self.multibulk_remaining == 0 {
            Ok(Parsed::Command { consumed: pos })
        } else {
            Ok(Parsed::Incomplete { consumed: pos })
        }
    }
}

/// Parses a bulk header of one to five digits without a leading zero (`$3\r\n`), the shape nearly every
/// argument has, returning the length and the header's size. Anything else — longer numbers, signs,
/// missing bytes, lengths the limits refuse — returns `None` for the general path to handle, errors
/// included.
fn small_bulk_header(rest: &[u8], limits: &Limits) -> Option<(usize, usize)> {
    if rest.first() != Some(&b'$') {
        return None;
    }
    let mut len = 0usize;
    let mut index = 1;
    while index < rest.len() && index <= 5 && rest[index].is_ascii_digit() {
        len = len * 10 + usize::from(rest[index] - b'0');
        index += 1;
    }
    let digits = index - 1;
    let well_formed = digits > 0 && (digits == 1 || rest[1] != b'0');
    let short_enough = len <= 16384 || !limits.auth_required;
    if well_formed
        && short_enough
        && (len as i64) <= limits.max_bulk_len
        && rest.get(index) == Some(&b'\r')
        && index + 1 < rest.len()
    {
        Some((len, index + 2))
    } else {
        None
    }
}

/// Position of `needle` in `haystack`, searching like C's `strchr` on a NUL-terminated buffer: a NUL byte
/// ends the search (Valkey's query buffer is an sds string searched with `strchr`).
fn find_before_nul(haystack: &[u8], needle: u8) -> Option<usize> {
    haystack
        .iter()
        .position(|&b| b == needle || b == 0)
        .filter(|&i| haystack[i] == needle)
}

fn parse_inline(buf: &[u8], argv: &mut Argv) -> Result<Parsed, ProtocolError> {
    let Some(newline) = find_before_nul(buf, b'\n') else {
        if buf.len() > INLINE_MAX_SIZE {
            return Err(ProtocolError::TooBigInline);
        }
        return Ok(Parsed::Incomplete { consumed: 0 });
    };
    let line_end = if newline > 0 && buf[newline - 1] == b'\r' {
        newline - 1
    } else {
        newline
    };
    split_inline_args(&buf[..line_end], argv)?;
    let consumed = newline + 1;
    if argv.is_empty() {
        Ok(Parsed::Empty { consumed })
    } else {
        Ok(Parsed::Command { consumed })
    }
}

/// Valkey's `isspace` set for the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits an inline request line into arguments with Valkey 9's quoting rules: double quotes with
/// backslash escapes (`\n \r \t \b \a \xHH`), single quotes with `\'`; quotes may open and close anywhere
/// inside an argument (`a"b c"d` is one argument `ab cd`), and only whitespace outside quotes ends it.
/// An unterminated quote is an error. A NUL byte ends the line, as it does in C.
pub fn split_inline_args(line: &[u8], argv: &mut Argv) -> Result<(), ProtocolError> {
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0;
    let mut current = Vec::new();
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Ok(());
        }
        let (mut in_double, mut in_single, mut done) = (false, false, false);
        current.clear();
        while !done {
            let c = at(p);
            if in_double {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && hex_value(at(p + 2)).is_some()
                    && hex_value(at(p + 3)).is_some()
                {
                    let high = hex_value(at(p + 2)).unwrap_or(0);
                    let low = hex_value(at(p + 3)).unwrap_or(0);
                    current.push(high * 16 + low);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    in_double = false;
                } else if c == 0 {
                    return Err(ProtocolError::UnbalancedQuotes);
                } else {
                    current.push(c);
                }
            } else if in_single {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    in_single = false;
                } else if c == 0 {
                    return Err(ProtocolError::UnbalancedQuotes);
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    other => current.push(other),
                }
            }
            if p < line.len() {
                p += 1;
            }
        }
        argv.push(&current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut parser = RequestParser::new();
        let mut argv = Argv::new();
        let mut commands = Vec::new();
        let mut pos = 0;
        loop {
            match parser.parse(&input[pos..], &Limits::default(), &mut argv)? {
                Parsed::Command { consumed } => {
                    pos += consumed;
                    commands.push(argv.iter().map(<[u8]>::to_vec).collect());
                    argv.clear();
                }
                Parsed::Empty { consumed } => pos += consumed,
                Parsed::Incomplete { .. } => return Ok(commands),
            }
        }
    }

    #[test]
    fn multibulk_and_inline_mix() {
        let got =
            parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n  set \"a b\" 'c\\'d'\r\n").unwrap();
        assert_eq!(
            got,
            vec![
                vec![b"GET".to_vec(), b"k".to_vec()],
                vec![b"PING".to_vec()],
                vec![b"set".to_vec(), b"a b".to_vec(), b"c'd".to_vec()]
            ]
        );
    }

    #[test]
    fn byte_at_a_time_gives_same_result() {
        let input = b"*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$10\r\n0123456789\r\n";
        let mut parser = RequestParser::new();
        let mut argv = Argv::new();
        let mut buffered = Vec::new();
        let mut done = false;
        for &b in input {
            buffered.push(b);
            match parser
                .parse(&buffered, &Limits::default(), &mut argv)
                .unwrap()
            {
                Parsed::Command { consumed } => {
                    buffered.drain(..consumed);
                    done = true;
                }
                Parsed::Incomplete { consumed } | Parsed::Empty { consumed } => {
                    buffered.drain(..consumed);
                }
            }
        }
        assert!(done);
        assert_eq!(argv, Argv::from_parts(["SET", "hello", "0123456789"]));
    }

    #[test]
    fn protocol_errors_have_valkey_texts() {
        let cases: &[(&[u8], &str)] = &[
            (b"*abc\r\n", "Protocol error: invalid multibulk length"),
            (
                b"*3000000000\r\n",
                "Protocol error: invalid multibulk length",
            ),
            (b"*1\r\nfoo\r\n", "Protocol error: expected 'f', got 'f'"),
            (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
            (b"*1\r\n$x\r\n", "Protocol error: invalid bulk length"),
            (
                b"set \"a\r\n",
                "Protocol error: unbalanced quotes in request",
            ),
            (
                b"set 'a\r\n",
                "Protocol error: unbalanced quotes in request",
            ),
        ];
        for (input, text) in cases {
            let err = parse_all(input).unwrap_err();
            let expected = text.replace("expected 'f', got 'f'", "expected '$', got 'f'");
            assert_eq!(
                err.to_string(),
                expected,
                "input {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn oversized_lines_are_refused() {
        let long = vec![b'a'; INLINE_MAX_SIZE + 1];
        assert_eq!(parse_all(&long).unwrap_err(), ProtocolError::TooBigInline);
        let mut mbulk = b"*".to_vec();
        mbulk.extend(vec![b'1'; INLINE_MAX_SIZE + 1]);
        assert_eq!(
            parse_all(&mbulk).unwrap_err(),
            ProtocolError::TooBigMultibulkCount
        );
        let limits = Limits {
            max_bulk_len: 10,
            auth_required: false,
        };
        let mut parser = RequestParser::new();
        let err = parser
            .parse(b"*1\r\n$11\r\n", &limits, &mut Argv::new())
            .unwrap_err();
        assert_eq!(err, ProtocolError::InvalidBulkLength);
    }

    #[test]
    fn unauthenticated_limits() {
        let limits = Limits {
            auth_required: true,
            ..Limits::default()
        };
        let mut parser = RequestParser::new();
        let err = parser
            .parse(b"*11\r\n", &limits, &mut Argv::new())
            .unwrap_err();
        assert_eq!(err, ProtocolError::UnauthenticatedMultibulkLength);
        let mut parser = RequestParser::new();
        let err = parser
            .parse(b"*1\r\n$16385\r\n", &limits, &mut Argv::new())
            .unwrap_err();
        assert_eq!(err, ProtocolError::UnauthenticatedBulkLength);
    }

    #[test]
    fn empty_requests_are_skipped() {
        assert_eq!(
            parse_all(b"\r\n*0\r\n*-1\r\n   \r\nPING\r\n").unwrap(),
            vec![vec![b"PING".to_vec()]]
        );
    }

    #[test]
    fn quotes_open_and_close_inside_an_argument() {
        let mut argv = Argv::new();
        split_inline_args(b"ECHO \"abc\"d 'a'b a\"b c\"d \"a\"'b'", &mut argv).unwrap();
        assert_eq!(
            argv,
            Argv::from_parts(["ECHO", "abcd", "ab", "ab cd", "ab"])
        );
    }

    #[test]
    fn inline_escapes() {
        let mut argv = Argv::new();
        split_inline_args(b"\"\\x41\\n\\t\" plain", &mut argv).unwrap();
        assert_eq!(argv, Argv::from_parts([&b"A\n\t"[..], b"plain"]));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = parse_all(&input);
        }

        #[test]
        fn encoded_commands_round_trip(args in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), 1..8)) {
            let mut wire = format!("*{}\r\n", args.len()).into_bytes();
            for arg in &args {
                wire.extend(format!("${}\r\n", arg.len()).bytes());
                wire.extend(arg);
                wire.extend(b"\r\n");
            }
            let parsed = parse_all(&wire).unwrap();
            proptest::prop_assert_eq!(parsed, vec![args]);
        }
    }
}
