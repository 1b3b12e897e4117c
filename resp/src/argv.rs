//! `Argv`: the arguments of one command, stored in a single reusable byte arena so that parsing a
//! pipelined stream allocates nothing once the buffers have grown.

use std::ops::Index;

/// The arguments of one command. Cleared and refilled for each command; `clone` makes an owned copy
/// (used to queue commands in MULTI or park a blocked command).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Argv {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl Argv {
    /// An empty argument vector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds an argument vector from anything that yields byte slices.
    pub fn from_parts<I, A>(parts: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: AsRef<[u8]>,
    {
        let mut argv = Self::new();
        for part in parts {
            argv.push(part.as_ref());
        }
        argv
    }

    /// Removes every argument, keeping the allocations.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.spans.clear();
    }

    /// Appends one argument.
    pub fn push(&mut self, arg: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(arg);
        self.spans.push((start, self.bytes.len()));
    }

    /// Number of arguments.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The argument at `index`, if present.
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.spans
            .get(index)
            .map(|&(start, end)| &self.bytes[start..end])
    }

    /// Iterates over the arguments in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.spans
            .iter()
            .map(|&(start, end)| &self.bytes[start..end])
    }

    /// Total bytes of all arguments.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Replaces the argument at `index` (used when a command is rewritten for propagation).
    pub fn set(&mut self, index: usize, arg: &[u8]) {
        let mut rebuilt = Argv::new();
        for (i, old) in self.iter().enumerate() {
            rebuilt.push(if i == index { arg } else { old });
        }
        *self = rebuilt;
    }
}

impl Index<usize> for Argv {
    type Output = [u8];

    fn index(&self, index: usize) -> &[u8] {
        let (start, end) = self.spans[index];
        &self.bytes[start..end]
    }
}

impl std::fmt::Debug for Argv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}
