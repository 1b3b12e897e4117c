//! Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
//! Argument checks run in Valkey's order, so the first bad argument decides the error.

use ferry_resp::number::parse_i64;

use crate::commands::{acl, flags, CommandSpec, Ctx, KeySpec, KEY1};
use crate::error::{CommandError, CommandResult, NOT_INTEGER, SYNTAX, WRONG_TYPE};
use crate::notify::class;
use crate::types::bitfield::{self, Fit, OverflowMode};
use crate::types::{Str, Value};

/// Bitmap commands.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "setbit",
        4,
        flags::WRITE | flags::DENYOOM,
        acl::WRITE | acl::BITMAP | acl::SLOW,
        KEY1,
        setbit,
    ),
    CommandSpec::new(
        "getbit",
        3,
        flags::READONLY | flags::FAST,
        acl::READ | acl::BITMAP | acl::FAST,
        KEY1,
        getbit,
    ),
    CommandSpec::new(
        "bitcount",
        -2,
        flags::READONLY,
        acl::READ | acl::BITMAP | acl::SLOW,
        KEY1,
        bitcount,
    ),
    CommandSpec::new(
        "bitpos",
        -3,
        flags::READONLY,
        acl::READ | acl::BITMAP | acl::SLOW,
        KEY1,
        bitpos,
    ),
    CommandSpec::new(
        "bitop",
        -4,
        flags::WRITE | flags::DENYOOM,
        acl::WRITE | acl::BITMAP | acl::SLOW,
        KeySpec {
            first: 2,
            last: -1,
            step: 1,
        },
        bitop,
    ),
    CommandSpec::new(
        "bitfield",
        -2,
        flags::WRITE | flags::DENYOOM,
        acl::WRITE | acl::BITMAP | acl::SLOW,
        KEY1,
        bitfield_command,
    ),
    CommandSpec::new(
        "bitfield_ro",
        -2,
        flags::READONLY | flags::FAST,
        acl::READ | acl::BITMAP | acl::FAST,
        KEY1,
        bitfield_ro,
    ),
];

const BIT_OFFSET: CommandError =
    CommandError::fixed("ERR bit offset is not an integer or out of range");
const BIT_VALUE: CommandError = CommandError::fixed("ERR bit is not an integer or out of range");
const BIT_ARGUMENT: CommandError = CommandError::fixed("ERR The bit argument must be 1 or 0.");
const BITFIELD_TYPE: CommandError = CommandError::fixed(
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
);

/// The string in `value`, or WRONGTYPE for any other type.
#[allow(unreachable_patterns)]
pub(crate) fn as_string(value: &Value) -> Result<&Str, CommandError> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(WRONG_TYPE),
    }
}

/// The string in `value` for modification, or WRONGTYPE for any other type.
#[allow(unreachable_patterns)]
pub(crate) fn as_string_mut(value: &mut Value) -> Result<&mut Str, CommandError> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(WRONG_TYPE),
    }
}

/// Compares an argument with a keyword the way Valkey's `strcasecmp` does: the argument ends at its
/// first NUL byte.
pub(crate) fn keyword_is(arg: &[u8], word: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(word.as_bytes())
}

/// `proto-max-bulk-len`: the longest string a bit offset may reach.
fn max_bulk_len(ctx: &Ctx<'_>) -> i64 {
    ctx.server.config.get_i64("proto-max-bulk-len")
}

/// Parses a bit offset. With `field_bits`, `#N` means N fields of that width (BITFIELD).
fn parse_bit_offset(
    arg: &[u8],
    field_bits: Option<u32>,
    max_bulk: i64,
) -> Result<u64, CommandError> {
    let offset = match (arg.split_first(), field_bits) {
        (Some((b'#', digits)), Some(bits)) => {
            parse_i64(digits).map(|n| n.wrapping_mul(i64::from(bits)))
        }
        _ => parse_i64(arg),
    }
    .ok_or(BIT_OFFSET)?;
    if offset < 0 || (offset >> 3) >= max_bulk {
        return Err(BIT_OFFSET);
    }
    Ok(offset as u64)
}

/// The string under `key` for a bit write, created or zero-padded so that bit `max_bit` exists
/// (Valkey's `lookupStringForBitCommand`). Returns the bytes and whether the key was created or grown.
fn string_for_bit_write<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    max_bit: u64,
) -> Result<(&'c mut Vec<u8>, bool), CommandError> {
    let needed = usize::try_from(max_bit >> 3)
        .ok()
        .and_then(|byte| byte.checked_add(1))
        .ok_or(BIT_OFFSET)?;
    let now = ctx.now_ms;
    let db = &mut ctx.server.dbs[ctx.db_index];
    let mut grown = false;
    if db.get_mut(key, now).is_none() {
        db.set(key, Value::Str(Str::raw(vec![0; needed])));
        grown = true;
    }
    let value = db.get_mut(key, now).ok_or(WRONG_TYPE)?;
    let bytes = as_string_mut(value)?.make_raw();
    if bytes.len() < needed {
        bytes.resize(needed, 0);
        grown = true;
    }
    Ok((bytes, grown))
}

fn setbit(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let offset = parse_bit_offset(&argv[2], None, max_bulk_len(ctx))?;
    let on = parse_i64(&argv[3]).ok_or(BIT_VALUE)?;
    if on & !1 != 0 {
        return Err(BIT_VALUE);
    }
    let (bytes, grown) = string_for_bit_write(ctx, &argv[1], offset)?;
    let byte = &mut bytes[(offset >> 3) as usize];
    let mask = 1u8 << (7 - (offset & 7));
    let was_set = *byte & mask != 0;
    let changed = grown || was_set != (on == 1);
    if changed {
        if on == 1 {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
        ctx.key_modified(&argv[1]);
        ctx.notify(class::STRING, "setbit", &argv[1]);
    }
    ctx.reply().int(i64::from(was_set));
    Ok(())
}

fn getbit(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let offset = parse_bit_offset(&argv[2], None, max_bulk_len(ctx))?;
    let set = match ctx.lookup_read(&argv[1]) {
        None => false,
        Some(value) => {
            let mut scratch = itoa::Buffer::new();
            let bytes = as_string(value)?.as_bytes(&mut scratch);
            bitfield::get_unsigned(bytes, offset, 1) == 1
        }
    };
    ctx.reply().int(i64::from(set));
    Ok(())
}

/// A byte range resolved from BITCOUNT/BITPOS arguments, with masks for the bits outside a BIT range
/// in the first and last bytes.
struct ByteRange {
    start: i64,
    end: i64,
    first_mask: u8,
    last_mask: u8,
}

/// Valkey's index arithmetic for BITCOUNT/BITPOS ranges: negative indexes count from the end, both
/// ends are clamped, and BIT ranges become byte ranges with edge masks.
fn resolve_range(mut start: i64, mut end: i64, len: i64, in_bits: bool) -> ByteRange {
    let total = if in_bits { len << 3 } else { len };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    let mut range = ByteRange {
        start,
        end,
        first_mask: 0,
        last_mask: 0,
    };
    if in_bits && start <= end {
        range.first_mask = !((1u16 << (8 - (start & 7))) - 1) as u8;
        range.last_mask = ((1u16 << (7 - (end & 7))) - 1) as u8;
        range.start = start >> 3;
        range.end = end >> 3;
    }
    range
}

/// Parses the BYTE|BIT unit word.
fn parse_unit(arg: &[u8]) -> Result<bool, CommandError> {
    if keyword_is(arg, "bit") {
        Ok(true)
    } else if keyword_is(arg, "byte") {
        Ok(false)
    } else {
        Err(SYNTAX)
    }
}

fn bitcount(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let (bounds, in_bits) = parse_bounds(ctx, 2)?;
    let count = match ctx.lookup_read(&argv[1]) {
        None => 0,
        Some(value) => {
            let mut scratch = itoa::Buffer::new();
            let bytes = as_string(value)?.as_bytes(&mut scratch);
            count_range(bytes, bounds, in_bits)
        }
    };
    ctx.reply().int(count);
    Ok(())
}

/// The optional `start [end [BYTE|BIT]]` arguments of BITCOUNT and BITPOS from index `first`: the
/// bounds (`None` when absent) and whether they count bits. Checked in Valkey's order: start, the
/// unit, then end.
fn parse_bounds(ctx: &Ctx<'_>, first: usize) -> Result<(Bounds, bool), CommandError> {
    let argc = ctx.argc();
    if argc == first {
        return Ok((None, false));
    }
    if argc > first + 3 {
        return Err(SYNTAX);
    }
    let start = ctx.arg_i64(first)?;
    let in_bits = if argc == first + 3 {
        parse_unit(ctx.arg(first + 2))?
    } else {
        false
    };
    let end = if argc >= first + 2 {
        Some(ctx.arg_i64(first + 1)?)
    } else {
        None
    };
    Ok((Some((start, end)), in_bits))
}

/// A start offset and an optional end offset.
type Bounds = Option<(i64, Option<i64>)>;

fn count_range(bytes: &[u8], bounds: Bounds, in_bits: bool) -> i64 {
    let len = bytes.len() as i64;
    let range = match bounds {
        None => ByteRange {
            start: 0,
            end: len - 1,
            first_mask: 0,
            last_mask: 0,
        },
        Some((start, end)) => {
            let end = end.unwrap_or(len - 1);
            if start < 0 && end < 0 && start > end {
                return 0;
            }
            resolve_range(start, end, len, in_bits)
        }
    };
    if range.start > range.end {
        return 0;
    }
    let (start, end) = (range.start as usize, range.end as usize);
    let mut count = bitfield::popcount(&bytes[start..=end]);
    count -= u64::from((bytes[start] & range.first_mask).count_ones());
    count -= u64::from((bytes[end] & range.last_mask).count_ones());
    count as i64
}

fn bitpos(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let bit = ctx.arg_i64(2)?;
    if bit != 0 && bit != 1 {
        return Err(BIT_ARGUMENT);
    }
    let bit = bit == 1;
    let (bounds, in_bits) = parse_bounds(ctx, 3)?;
    let position = match ctx.lookup_read(&argv[1]) {
        None => {
            if bit {
                -1
            } else {
                0
            }
        }
        Some(value) => {
            let mut scratch = itoa::Buffer::new();
            let bytes = as_string(value)?.as_bytes(&mut scratch);
            find_bit(bytes, bit, bounds, in_bits)
        }
    };
    ctx.reply().int(position);
    Ok(())
}

/// BITPOS over an existing string, following Valkey's steps: the masked first byte, the whole bytes,
/// then the masked last byte. Without an explicit end, a search for 0 may answer the first bit past
/// the string.
fn find_bit(bytes: &[u8], bit: bool, bounds: Bounds, in_bits: bool) -> i64 {
    let len = bytes.len() as i64;
    let end_given = matches!(bounds, Some((_, Some(_))));
    let range = match bounds {
        None => ByteRange {
            start: 0,
            end: len - 1,
            first_mask: 0,
            last_mask: 0,
        },
        Some((start, end)) => resolve_range(start, end.unwrap_or(len - 1), len, in_bits),
    };
    if range.start > range.end {
        return -1;
    }
    let mask_byte = |byte: u8, mask: u8| if bit { byte & !mask } else { byte | mask };
    let mut start = range.start;
    let end = range.end;
    let mut remaining = end - start + 1;
    let position = 'search: {
        if range.first_mask != 0 {
            let mut byte = mask_byte(bytes[start as usize], range.first_mask);
            if range.last_mask != 0 && remaining == 1 {
                byte = mask_byte(byte, range.last_mask);
            }
            let position = bitfield::first_bit(&[byte], bit);
            if remaining == 1 || (position != -1 && position != 8) {
                break 'search position;
            }
            start += 1;
            remaining -= 1;
        }
        let whole = remaining - i64::from(range.last_mask != 0);
        if whole > 0 {
            let slice = &bytes[start as usize..(start + whole) as usize];
            let position = bitfield::first_bit(slice, bit);
            if remaining == whole || (position != -1 && position != whole << 3) {
                break 'search position;
            }
            start += whole;
            remaining -= whole;
        }
        bitfield::first_bit(&[mask_byte(bytes[end as usize], range.last_mask)], bit)
    };
    if end_given && !bit && position == remaining << 3 {
        return -1;
    }
    if position == -1 {
        -1
    } else {
        position + (start << 3)
    }
}

/// The BITOP operations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx<'_>) -> CommandResult {
    let argv = ctx.argv;
    let op = [
        ("and", BitOp::And),
        ("or", BitOp::Or),
        ("xor", BitOp::Xor),
        ("not", BitOp::Not),
    ]
    .into_iter()
    .find(|(name, _)| keyword_is(&argv[1], name))
    .map(|(_, op)| op)
    .ok_or(SYNTAX)?;
    if op == BitOp::Not && argv.len() != 4 {
        return Err(CommandError::fixed(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let mut result: Vec<u8> = Vec::new();
    for (i, key) in argv.iter().skip(3).enumerate() {
        let mut scratch = itoa::Buffer::new();
        let source: &[u8] = match ctx.lookup_read(key) {
            None => &[],
            Some(value) => as_string(value)?.as_bytes(&mut scratch),
        };
        if i == 0 {
            result.extend_from_slice(source);
            continue;
        }
        // Every input is taken as zero-padded to the longest one.
        if source.len() > result.len() {
            result.resize(source.len(), 0);
        }
        match op {
            BitOp::And => {
                for (out, byte) in result.iter_mut().zip(source) {
                    *out &= byte;
                }
                result[source.len()..].fill(0);
            }
            BitOp::Or => {
                for (out, byte) in result.iter_mut().zip(source) {
                    *out |= byte;
                }
            }
            BitOp::Xor => {
                for (out, byte) in result.iter_mut().zip(source) {
                    *out ^= byte;
                }
            }
            BitOp::Not => {}
        }
    }
    if op == BitOp::Not {
        for byte in &mut result {
            *byte = !*byte;
        }
    }
    let len = result.len();
    let dest = &argv[2];
    if len > 0 {
        ctx.db().set(dest, Value::Str(Str::raw(result)));
        ctx.key_modified(dest);
        ctx.notify(class::STRING, "set", dest);
    } else if ctx.db().remove(dest).is_some() {
        ctx.key_modified(dest);
        ctx.notify(class::GENERIC, "del", dest);
    }
    ctx.reply().int(len as i64);
    Ok(())
}

/// One BITFIELD operation.
#[derive(Clone, Copy)]
struct FieldOp {
    kind: FieldOpKind,
    offset: u64,
    bits: u32,
    signed: bool,
    overflow: OverflowMode,
}

#[derive(Clone, Copy)]
enum FieldOpKind {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// Parses `i<1..64>` or `u<1..63>`.
fn parse_field_type(arg: &[u8]) -> Result<(bool, u32), CommandError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(BITFIELD_TYPE),
    };
    let bits = parse_i64(&arg[1..]).ok_or(BITFIELD_TYPE)?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(BITFIELD_TYPE);
    }
    Ok((signed, bits as u32))
}

fn parse_field_ops(ctx: &Ctx<'_>) -> Result<Vec<FieldOp>, CommandError> {
    let argv = ctx.argv;
    let max_bulk = max_bulk_len(ctx);
    let mut ops = Vec::new();
    let mut overflow = OverflowMode::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let remaining = argv.len() - j - 1;
        let name = &argv[j];
        let wants_value = if keyword_is(name, "get") && remaining >= 2 {
            false
        } else if (keyword_is(name, "set") || keyword_is(name, "incrby")) && remaining >= 3 {
            true
        } else if keyword_is(name, "overflow") && remaining >= 1 {
            let mode = &argv[j + 1];
            overflow = if keyword_is(mode, "wrap") {
                OverflowMode::Wrap
            } else if keyword_is(mode, "sat") {
                OverflowMode::Sat
            } else if keyword_is(mode, "fail") {
                OverflowMode::Fail
            } else {
                return Err(CommandError::fixed("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(SYNTAX);
        };
        let (signed, bits) = parse_field_type(&argv[j + 1])?;
        let offset = parse_bit_offset(&argv[j + 2], Some(bits), max_bulk)?;
        let kind = if wants_value {
            let value = parse_i64(&argv[j + 3]).ok_or(NOT_INTEGER)?;
            if keyword_is(name, "set") {
                FieldOpKind::Set(value)
            } else {
                FieldOpKind::IncrBy(value)
            }
        } else {
            FieldOpKind::Get
        };
        ops.push(FieldOp {
            kind,
            offset,
            bits,
            signed,
            overflow,
        });
        j += if wants_value { 4 } else { 3 };
    }
    Ok(ops)
}

fn bitfield_command(ctx: &mut Ctx<'_>) -> CommandResult {
    bitfield_generic(ctx, false)
}

fn bitfield_ro(ctx: &mut Ctx<'_>) -> CommandResult {
    bitfield_generic(ctx, true)
}

/// Reads a field as the integer BITFIELD replies with.
fn read_field(bytes: &[u8], op: &FieldOp) -> i64 {
    if op.signed {
        bitfield::get_signed(bytes, op.offset, op.bits)
    } else {
        bitfield::get_unsigned(bytes, op.offset, op.bits) as i64
    }
}

fn bitfield_generic(ctx: &mut Ctx<'_>, read_only_command: bool) -> CommandResult {
    let argv = ctx.argv;
    let ops = parse_field_ops(ctx)?;
    let highest_write = ops
        .iter()
        .filter(|op| !matches!(op.kind, FieldOpKind::Get))
        .map(|op| op.offset + u64::from(op.bits) - 1)
        .max();

    let Some(highest_write) = highest_write else {
        let values: Vec<i64> = match ctx.lookup_read(&argv[1]) {
            None => vec![0; ops.len()],
            Some(value) => {
                let mut scratch = itoa::Buffer::new();
                let bytes = as_string(value)?.as_bytes(&mut scratch);
                ops.iter().map(|op| read_field(bytes, op)).collect()
            }
        };
        let reply = ctx.reply();
        reply.array(values.len());
        for value in values {
            reply.int(value);
        }
        return Ok(());
    };
    if read_only_command {
        return Err(CommandError::fixed(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }

    let (bytes, grown) = string_for_bit_write(ctx, &argv[1], highest_write)?;
    let mut results: Vec<Option<i64>> = Vec::with_capacity(ops.len());
    let mut changes: u64 = 0;
    for op in &ops {
        let (operand, is_incr) = match op.kind {
            FieldOpKind::Get => {
                results.push(Some(read_field(bytes, op)));
                continue;
            }
            FieldOpKind::Set(value) => (value, false),
            FieldOpKind::IncrBy(value) => (value, true),
        };
        let old = bitfield::get_unsigned(bytes, op.offset, op.bits);
        let old_value = read_field(bytes, op);
        let (fit, exact) = match (op.signed, is_incr) {
            (true, true) => (
                bitfield::check_signed(old_value, operand, op.bits, op.overflow),
                old_value.wrapping_add(operand) as u64,
            ),
            (true, false) => (
                bitfield::check_signed(operand, 0, op.bits, op.overflow),
                operand as u64,
            ),
            (false, true) => (
                bitfield::check_unsigned(old, operand, op.bits, op.overflow),
                old.wrapping_add(operand as u64),
            ),
            (false, false) => (
                bitfield::check_unsigned(operand as u64, 0, op.bits, op.overflow),
                operand as u64,
            ),
        };
        if fit != Fit::Fits && op.overflow == OverflowMode::Fail {
            results.push(None);
            continue;
        }
        let new = fit.replacement().unwrap_or(exact);
        bitfield::set_unsigned(bytes, op.offset, op.bits, new);
        results.push(Some(if is_incr { new as i64 } else { old_value }));
        // Compare as the field's own type: a signed field holds the sign-extended value.
        let old_full = if op.signed { old_value as u64 } else { old };
        if grown || old_full != new {
            changes += 1;
        }
    }
    if changes > 0 {
        ctx.key_modified(&argv[1]);
        ctx.notify(class::STRING, "setbit", &argv[1]);
        ctx.server.stats.dirty += changes - 1;
    }
    let reply = ctx.reply();
    reply.array(results.len());
    for result in results {
        match result {
            Some(value) => reply.int(value),
            None => reply.null(),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_valkey() {
        let bytes = b"foobar";
        assert_eq!(count_range(bytes, None, false), 26);
        assert_eq!(count_range(bytes, Some((0, Some(0))), false), 4);
        assert_eq!(count_range(bytes, Some((1, Some(1))), false), 6);
        assert_eq!(count_range(bytes, Some((5, Some(30))), true), 17);
        assert_eq!(count_range(bytes, Some((-1, Some(-2))), false), 0);
        assert_eq!(count_range(bytes, Some((1, None)), false), 22);
        assert_eq!(count_range(b"", Some((0, Some(-1))), true), 0);
    }

    #[test]
    fn bitpos_follows_valkey() {
        assert_eq!(find_bit(b"\xff\xf0\x00", false, None, false), 12);
        assert_eq!(find_bit(b"\x00\xff\xf0", true, Some((0, None)), false), 8);
        assert_eq!(
            find_bit(b"\x00\xff\xf0", true, Some((2, Some(-1))), false),
            16
        );
        assert_eq!(
            find_bit(b"\x00\xff\xf0", true, Some((7, Some(15))), true),
            8
        );
        assert_eq!(
            find_bit(b"\x00\xff\xf0", true, Some((7, Some(7))), true),
            -1
        );
        assert_eq!(find_bit(b"\xff\xff\xff", false, None, false), 24);
        assert_eq!(
            find_bit(b"\xff\xff\xff", false, Some((0, Some(-1))), false),
            -1
        );
        assert_eq!(find_bit(b"\xff\xff\xff", false, Some((0, None)), false), 24);
        assert_eq!(
            find_bit(b"\xff\xff\xff", false, Some((1, Some(20))), true),
            -1
        );
        assert_eq!(
            find_bit(b"\x00\x00\x01", true, Some((3, Some(23))), true),
            23
        );
    }

    #[test]
    fn keywords_stop_at_nul() {
        assert!(keyword_is(b"GET\0junk", "get"));
        assert!(!keyword_is(b"gets", "get"));
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_bit_offset(b"#3", Some(8), 512), Ok(24));
        assert_eq!(parse_bit_offset(b"#3", None, 512), Err(BIT_OFFSET));
        assert_eq!(parse_bit_offset(b"4095", None, 512), Ok(4095));
        assert_eq!(parse_bit_offset(b"4096", None, 512), Err(BIT_OFFSET));
        assert_eq!(
            parse_bit_offset(b"#9223372036854775807", Some(2), i64::MAX),
            Err(BIT_OFFSET)
        );
    }
}
