//! Fuzzes the server's request decoder: arbitrary bytes, fed whole and in two pieces, must never panic,
//! and splitting the input must not change what is parsed.
#![no_main]

use ferry_resp::request::Parsed;
use ferry_resp::{Argv, Limits, ProtocolError, RequestParser};
use libfuzzer_sys::fuzz_target;

/// Parses `chunks` as one stream arriving in pieces; returns the commands and the error, if any.
fn parse_stream(chunks: &[&[u8]], limits: &Limits) -> (Vec<Argv>, Option<ProtocolError>) {
    let mut parser = RequestParser::new();
    let mut argv = Argv::new();
    let mut buffer = Vec::new();
    let mut commands = Vec::new();
    for chunk in chunks {
        buffer.extend_from_slice(chunk);
        loop {
            match parser.parse(&buffer, limits, &mut argv) {
                Ok(Parsed::Command { consumed }) => {
                    buffer.drain(..consumed);
                    commands.push(argv.clone());
                    argv.clear();
                }
                Ok(Parsed::Empty { consumed }) => {
                    buffer.drain(..consumed);
                    argv.clear();
                }
                Ok(Parsed::Incomplete { consumed }) => {
                    buffer.drain(..consumed);
                    break;
                }
                Err(error) => return (commands, Some(error)),
            }
        }
    }
    (commands, None)
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_bulk_len: 1 << 20, auth_required: data.first().is_some_and(|b| b & 1 == 1) };
    let whole = parse_stream(&[data], &limits);
    let split_at = data.len() / 2;
    let split = parse_stream(&[&data[..split_at], &data[split_at..]], &limits);
    if whole.1.is_none() && split.1.is_none() {
        assert_eq!(whole.0, split.0);
    }
});
