//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, over Valkey's dense/sparse string representation.

use crate::commands::CommandSpec;

/// HyperLogLog commands.
pub static COMMANDS: &[CommandSpec] = &[];
