//! Client-side frame parser: decodes any RESP2/RESP3 reply a server sends into a `Frame` tree, keeping
//! the exact wire type so the differential suite can compare replies byte for byte and type for type.

use crate::number::parse_i64;

/// One RESP value as it appeared on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `+text`
    Simple(Vec<u8>),
    /// `-text`
    Error(Vec<u8>),
    /// `:n`
    Integer(i64),
    /// `$len` bulk string; `None` for `$-1`.
    Bulk(Option<Vec<u8>>),
    /// `*len` array; `None` for `*-1`.
    Array(Option<Vec<Frame>>),
    /// RESP3 `_`
    Null,
    /// RESP3 `,` double, kept as its text.
    Double(Vec<u8>),
    /// RESP3 `#t`/`#f`
    Boolean(bool),
    /// RESP3 `=` verbatim string: format and text.
    Verbatim(Vec<u8>, Vec<u8>),
    /// RESP3 `(` big number, kept as its digits.
    BigNumber(Vec<u8>),
    /// RESP3 `%` map.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~` set.
    Set(Vec<Frame>),
    /// RESP3 `>` push.
    Push(Vec<Frame>),
    /// RESP3 `|` attribute, followed by the value it annotates.
    Attribute(Vec<(Frame, Frame)>, Box<Frame>),
}

/// A reply stream that is not valid RESP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// An unknown type byte.
    #[error("unknown RESP type byte {0:#04x} at offset {1}")]
    UnknownType(u8, usize),
    /// A length or integer that does not parse.
    #[error("invalid number in RESP header at offset {0}")]
    InvalidNumber(usize),
    /// A bulk not followed by CRLF.
    #[error("missing CRLF after bulk data at offset {0}")]
    MissingCrlf(usize),
    /// Aggregates nested deeper than [`MAX_DEPTH`].
    #[error("RESP aggregates nested deeper than {MAX_DEPTH} at offset {0}")]
    TooDeep(usize),
}

/// Deepest aggregate nesting accepted (bounds recursion on hostile input).
pub const MAX_DEPTH: usize = 512;

/// Parses one frame from the start of `buf`. Returns the frame and the bytes it used, or `Ok(None)` when
/// `buf` does not yet hold a whole frame.
pub fn parse_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
    let mut pos = 0;
    match parse_at(buf, &mut pos, 0)? {
        Some(frame) => Ok(Some((frame, pos))),
        None => Ok(None),
    }
}

fn line(buf: &[u8], pos: &mut usize) -> Option<(usize, usize)> {
    let start = *pos;
    let rel = buf.get(start..)?.windows(2).position(|w| w == b"\r\n")?;
    *pos = start + rel + 2;
    Some((start, start + rel))
}

fn number(buf: &[u8], start: usize, end: usize) -> Result<i64, FrameError> {
    parse_i64(&buf[start..end]).ok_or(FrameError::InvalidNumber(start))
}

fn parse_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Frame>, FrameError> {
    if depth > MAX_DEPTH {
        return Err(FrameError::TooDeep(*pos));
    }
    let Some(&kind) = buf.get(*pos) else {
        return Ok(None);
    };
    let type_pos = *pos;
    *pos += 1;
    let Some((start, end)) = line(buf, pos) else {
        return Ok(None);
    };
    let text = || buf[start..end].to_vec();
    let frame = match kind {
        b'+' => Frame::Simple(text()),
        b'-' => Frame::Error(text()),
        b':' => Frame::Integer(number(buf, start, end)?),
        b',' => Frame::Double(text()),
        b'(' => Frame::BigNumber(text()),
        b'_' => Frame::Null,
        b'#' => Frame::Boolean(&buf[start..end] == b"t"),
        b'$' | b'=' | b'!' => {
            let len = number(buf, start, end)?;
            if len < 0 {
                return Ok(Some(Frame::Bulk(None)));
            }
            let len = len as usize;
            if buf.len() < *pos + len + 2 {
                return Ok(None);
            }
            let data = buf[*pos..*pos + len].to_vec();
            if &buf[*pos + len..*pos + len + 2] != b"\r\n" {
                return Err(FrameError::MissingCrlf(*pos + len));
            }
            *pos += len + 2;
            match kind {
                b'=' if data.len() >= 4 => Frame::Verbatim(data[..3].to_vec(), data[4..].to_vec()),
                b'!' => Frame::Error(data),
                _ => Frame::Bulk(Some(data)),
            }
        }
        b'*' | b'~' | b'>' => {
            let len = number(buf, start, end)?;
            if len < 0 {
                return Ok(Some(Frame::Array(None)));
            }
            let mut items = Vec::with_capacity((len as usize).min(1024));
            for _ in 0..len {
                match parse_at(buf, pos, depth + 1)? {
                    Some(item) => items.push(item),
                    None => return Ok(None),
                }
            }
            match kind {
                b'*' => Frame::Array(Some(items)),
                b'~' => Frame::Set(items),
                _ => Frame::Push(items),
            }
        }
        b'%' | b'|' => {
            let len = number(buf, start, end)?;
            let mut pairs = Vec::with_capacity((len.max(0) as usize).min(1024));
            for _ in 0..len {
                let Some(key) = parse_at(buf, pos, depth + 1)? else {
                    return Ok(None);
                };
                let Some(value) = parse_at(buf, pos, depth + 1)? else {
                    return Ok(None);
                };
                pairs.push((key, value));
            }
            if kind == b'%' {
                Frame::Map(pairs)
            } else {
                let Some(value) = parse_at(buf, pos, depth + 1)? else {
                    return Ok(None);
                };
                Frame::Attribute(pairs, Box::new(value))
            }
        }
        other => return Err(FrameError::UnknownType(other, type_pos)),
    };
    Ok(Some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_frames() {
        let wire = b"*3\r\n$3\r\nfoo\r\n:5\r\n%1\r\n+a\r\n,1.5\r\nextra";
        let (frame, used) = parse_frame(wire).unwrap().unwrap();
        assert_eq!(used, wire.len() - 5);
        assert_eq!(
            frame,
            Frame::Array(Some(vec![
                Frame::Bulk(Some(b"foo".to_vec())),
                Frame::Integer(5),
                Frame::Map(vec![(
                    Frame::Simple(b"a".to_vec()),
                    Frame::Double(b"1.5".to_vec())
                )]),
            ]))
        );
        assert_eq!(parse_frame(b"$5\r\nab").unwrap(), None);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let wire = b"*1\r\n".repeat(100_000);
        assert!(matches!(parse_frame(&wire), Err(FrameError::TooDeep(_))));
    }
}
