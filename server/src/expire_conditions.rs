//! The NX / XX / GT / LT options shared by EXPIRE and its kin (keys) and HEXPIRE and its kin (hash
//! fields): Valkey's `parseExtendedExpireArgumentsOrReply` and the rule deciding whether a new expiry
//! may replace the current one.

use crate::error::{c_str, CommandError};

/// The NX / XX / GT / LT options of an expire command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpireConditions {
    /// Only keys or fields without a TTL.
    pub nx: bool,
    /// Only keys or fields with a TTL.
    pub xx: bool,
    /// Only when the new expiry is later (no TTL counts as infinite).
    pub gt: bool,
    /// Only when the new expiry is sooner (no TTL counts as infinite).
    pub lt: bool,
}

impl ExpireConditions {
    /// Parses the option words with Valkey's texts for unknown options and conflicts.
    pub fn parse<'a>(options: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, CommandError> {
        let mut conditions = Self::default();
        for option in options {
            if option.eq_ignore_ascii_case(b"nx") {
                conditions.nx = true;
            } else if option.eq_ignore_ascii_case(b"xx") {
                conditions.xx = true;
            } else if option.eq_ignore_ascii_case(b"gt") {
                conditions.gt = true;
            } else if option.eq_ignore_ascii_case(b"lt") {
                conditions.lt = true;
            } else {
                return Err(CommandError::owned(format!(
                    "ERR Unsupported option {}",
                    c_str(option, usize::MAX)
                )));
            }
        }
        if conditions.nx && (conditions.xx || conditions.gt || conditions.lt) {
            return Err(CommandError::fixed(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if conditions.gt && conditions.lt {
            return Err(CommandError::fixed(
                "ERR GT and LT options at the same time are not compatible",
            ));
        }
        Ok(conditions)
    }

    /// True when the options forbid replacing `current` (the absolute expiry, `None` for no TTL) with
    /// `new_expiry_ms`.
    pub fn refuse(self, current: Option<i64>, new_expiry_ms: i64) -> bool {
        (self.nx && current.is_some())
            || (self.xx && current.is_none())
            || (self.gt && current.is_none_or(|at| new_expiry_ms <= at))
            || (self.lt && current.is_some_and(|at| new_expiry_ms >= at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_conflicts() {
        let parse = |words: &[&str]| ExpireConditions::parse(words.iter().map(|w| w.as_bytes()));
        assert_eq!(
            parse(&["Gt"]).unwrap(),
            ExpireConditions {
                gt: true,
                ..Default::default()
            }
        );
        assert_eq!(
            parse(&["nx", "xx"]).unwrap_err().message(),
            "ERR NX and XX, GT or LT options at the same time are not compatible"
        );
        assert_eq!(
            parse(&["gt", "lt"]).unwrap_err().message(),
            "ERR GT and LT options at the same time are not compatible"
        );
        assert_eq!(
            parse(&["abc\0def"]).unwrap_err().message(),
            "ERR Unsupported option abc"
        );
    }

    #[test]
    fn refusal_rules() {
        let gt = ExpireConditions {
            gt: true,
            ..Default::default()
        };
        assert!(gt.refuse(None, 10));
        assert!(gt.refuse(Some(10), 10));
        assert!(!gt.refuse(Some(10), 11));
        let lt = ExpireConditions {
            lt: true,
            ..Default::default()
        };
        assert!(!lt.refuse(None, 10));
        assert!(lt.refuse(Some(10), 10));
    }
}
