//! Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.

use crate::commands::CommandSpec;

/// Bitmap commands.
pub static COMMANDS: &[CommandSpec] = &[];
