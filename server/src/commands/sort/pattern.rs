//! SORT's BY and GET patterns (Valkey's `lookupKeyByPattern`): the first `*` is replaced by the
//! element to name a key, whose string value is used; `key*->field` reads a field of a hash instead;
//! `#` is the element itself.

use std::borrow::Cow;

use super::order::c_str;
use crate::commands::Ctx;
use crate::types::Value;

/// A parsed BY or GET pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern<'p> {
    /// `#`: the element itself.
    Element,
    /// No `*` before the first NUL byte: names no key, so every lookup finds nothing.
    Constant,
    /// `prefix*suffix`, or `prefix*suffix->field` for a hash field.
    Key {
        /// What comes before the `*`.
        prefix: &'p [u8],
        /// What comes after the `*` (up to `->` when there is a field).
        suffix: &'p [u8],
        /// The hash field after the first `->` following the `*`, when it is not empty.
        field: Option<&'p [u8]>,
    },
}

impl<'p> Pattern<'p> {
    /// Splits `pattern` the way Valkey does: the `*` and the `->` are searched for as in a C string
    /// (up to the first NUL), but the parts are taken from the whole argument.
    pub fn parse(pattern: &'p [u8]) -> Pattern<'p> {
        if pattern.first() == Some(&b'#') && pattern.get(1).is_none_or(|&b| b == 0) {
            return Pattern::Element;
        }
        let text = c_str(pattern);
        let Some(star) = text.iter().position(|&b| b == b'*') else {
            return Pattern::Constant;
        };
        let arrow = text[star + 1..]
            .windows(2)
            .position(|pair| pair == b"->")
            .map(|at| star + 1 + at)
            .filter(|&at| at + 2 < text.len());
        let (suffix, field) = match arrow {
            Some(at) => (&pattern[star + 1..at], Some(&pattern[at + 2..])),
            None => (&pattern[star + 1..], None),
        };
        Pattern::Key {
            prefix: &pattern[..star],
            suffix,
            field,
        }
    }

    /// The value the pattern finds for `element`, looked up like a read (expiring a due key and
    /// counting a keyspace hit or miss). Nothing when the key is missing or of the wrong type (a
    /// string without a field, a hash with one) or the field is missing.
    pub fn lookup<'e>(&self, ctx: &mut Ctx<'_>, element: &'e [u8]) -> Option<Cow<'e, [u8]>> {
        let (prefix, suffix, field) = match *self {
            Pattern::Element => return Some(Cow::Borrowed(element)),
            Pattern::Constant => return None,
            Pattern::Key {
                prefix,
                suffix,
                field,
            } => (prefix, suffix, field),
        };
        let mut key = Vec::with_capacity(prefix.len() + element.len() + suffix.len());
        key.extend_from_slice(prefix);
        key.extend_from_slice(element);
        key.extend_from_slice(suffix);
        let now_ms = ctx.now_ms;
        match (ctx.lookup_read(&key)?, field) {
            (Value::Str(value), None) => Some(Cow::Owned(value.to_vec())),
            (Value::Hash(hash), Some(field)) => hash
                .as_ref()
                .get(field, now_ms)
                .map(|item| Cow::Owned(item.to_vec())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'p>(prefix: &'p [u8], suffix: &'p [u8], field: Option<&'p [u8]>) -> Pattern<'p> {
        Pattern::Key {
            prefix,
            suffix,
            field,
        }
    }

    #[test]
    fn patterns_split_like_valkey() {
        assert_eq!(Pattern::parse(b"#"), Pattern::Element);
        assert_eq!(Pattern::parse(b"#\0x"), Pattern::Element);
        assert_eq!(Pattern::parse(b"#*"), key(b"#", b"", None));
        assert_eq!(Pattern::parse(b"nosort"), Pattern::Constant);
        assert_eq!(Pattern::parse(b"a\0*"), Pattern::Constant);
        assert_eq!(Pattern::parse(b"w_*"), key(b"w_", b"", None));
        assert_eq!(Pattern::parse(b"h_*_x->f"), key(b"h_", b"_x", Some(b"f")));
        assert_eq!(Pattern::parse(b"h_*->"), key(b"h_", b"->", None));
        assert_eq!(Pattern::parse(b"h_*->->f"), key(b"h_", b"", Some(b"->f")));
        assert_eq!(Pattern::parse(b"->*->f"), key(b"->", b"", Some(b"f")));
        assert_eq!(Pattern::parse(b"h*->\0f"), key(b"h", b"->\0f", None));
        assert_eq!(Pattern::parse(b"h*->f\0g"), key(b"h", b"", Some(b"f\0g")));
        assert_eq!(Pattern::parse(b"h*\0->f"), key(b"h", b"\0->f", None));
    }
}
