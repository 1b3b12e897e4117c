//! Command errors: the text a failing command replies with, exactly as Valkey words it.

use std::borrow::Cow;

/// A command failure; the message is sent as a RESP error. It starts with its error code
/// (`ERR`, `WRONGTYPE`, `EXECABORT` ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError(pub Cow<'static, str>);

impl CommandError {
    /// An error with a fixed message.
    pub const fn fixed(message: &'static str) -> Self {
        Self(Cow::Borrowed(message))
    }

    /// An error with a formatted message.
    pub fn owned(message: String) -> Self {
        Self(Cow::Owned(message))
    }

    /// The message including its error code.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl From<String> for CommandError {
    fn from(message: String) -> Self {
        Self::owned(message)
    }
}

/// What a command handler returns.
pub type CommandResult = Result<(), CommandError>;

/// `WRONGTYPE`: the key holds another type.
pub const WRONG_TYPE: CommandError =
    CommandError::fixed("WRONGTYPE Operation against a key holding the wrong kind of value");
/// Generic syntax error.
pub const SYNTAX: CommandError = CommandError::fixed("ERR syntax error");
/// An argument that should be an integer.
pub const NOT_INTEGER: CommandError =
    CommandError::fixed("ERR value is not an integer or out of range");
/// An argument that should be a float.
pub const NOT_FLOAT: CommandError = CommandError::fixed("ERR value is not a valid float");
/// A key that must exist does not.
pub const NO_SUCH_KEY: CommandError = CommandError::fixed("ERR no such key");
/// SELECT/MOVE/COPY/SWAPDB with a bad database index.
pub const DB_INDEX_OUT_OF_RANGE: CommandError = CommandError::fixed("ERR DB index is out of range");
/// Integer overflow in INCR/DECR and friends.
pub const OVERFLOW: CommandError = CommandError::fixed("ERR increment or decrement would overflow");

/// `ERR wrong number of arguments for '<name>' command`.
pub fn wrong_arity(full_name: &str) -> CommandError {
    CommandError::owned(format!(
        "ERR wrong number of arguments for '{full_name}' command"
    ))
}

/// `ERR invalid expire time in '<name>' command`.
pub fn invalid_expire(command_name: &str) -> CommandError {
    CommandError::owned(format!(
        "ERR invalid expire time in '{command_name}' command"
    ))
}

/// An argument as C's `%.Ns` prints it into an error text: up to its first NUL byte and at most `max`
/// bytes (`usize::MAX` for plain `%s`), invalid UTF-8 replaced.
pub fn c_str(arg: &[u8], max: usize) -> Cow<'_, str> {
    let end = arg
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(arg.len())
        .min(max);
    String::from_utf8_lossy(&arg[..end])
}
