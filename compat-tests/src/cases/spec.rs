//! The TOML case-file format, deserialized with serde and then checked and turned into [`Case`]s: one
//! `[[case]]` table per case with `name`, optional `description` and `tags`, and `steps`, an array of
//! command strings (split like redis-cli) and one-key directive tables (`{ client = 2 }`,
//! `{ send = 'BLPOP l 5' }`, `{ read = true }`, `{ raw = '*1\r\n' }`, `{ sleep = 150 }`).
//!
//! Errors name the file, the line, the case and the step: serde's own errors carry a byte span, which
//! [`locate`] maps back to a case and a step through toml's spanned document tree.

use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::split::{split_args, unescape};
use super::{Action, Case, Step, MAX_CLIENTS, MAX_SLEEP_MS};
use crate::error::Error;

/// A whole case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    #[serde(default)]
    case: Vec<Spanned<CaseSpec>>,
}

/// One `[[case]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    name: String,
    description: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    steps: Vec<Spanned<StepSpec>>,
}

/// One entry of `steps`: a command string or a directive table.
#[derive(Debug)]
enum StepSpec {
    Command(String),
    Directive(Directive),
}

/// A directive table; exactly one key is set. A new directive is a new field here and an arm in
/// [`directive_action`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Directive {
    /// Later steps use this connection (1..=MAX_CLIENTS).
    client: Option<u64>,
    /// Send a command without reading its reply.
    send: Option<String>,
    /// Read the reply owed to the oldest `send` (must be `true`).
    read: Option<bool>,
    /// Raw bytes, with redis-cli escapes.
    raw: Option<String>,
    /// Milliseconds to pause.
    sleep: Option<u64>,
}

impl<'de> Deserialize<'de> for StepSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<StepSpec, D::Error> {
        struct StepVisitor;

        impl<'de> Visitor<'de> for StepVisitor {
            type Value = StepSpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command string ('GET k') or a directive table ({ client = 2 })")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<StepSpec, E> {
                Ok(StepSpec::Command(text.to_string()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StepSpec, A::Error> {
                Directive::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(StepSpec::Directive)
            }
        }

        deserializer.deserialize_any(StepVisitor)
    }
}

/// Where in the file a message applies: the case (by name, or by position when it has none yet) and
/// the step (1-based).
#[derive(Debug, Default)]
struct Place {
    case: Option<String>,
    step: Option<usize>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.case, self.step) {
            (Some(case), Some(step)) => write!(f, "{case}, step {step}: "),
            (Some(case), None) => write!(f, "{case}: "),
            _ => Ok(()),
        }
    }
}

fn case_label(index: usize, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("case {name:?}"),
        None => format!("case {}", index + 1),
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Finds the case and step a byte offset falls into, from the spanned document tree (parsed leniently,
/// so a syntax error still finds the cases before it).
fn locate(text: &str, offset: usize) -> Place {
    let (document, _) = toml::de::DeTable::parse_recoverable(text);
    let Some(cases) = document
        .get_ref()
        .get("case")
        .and_then(|value| value.get_ref().as_array())
    else {
        return Place::default();
    };
    // A case's span is its `[[case]]` header: the offset belongs to the last header before it.
    let Some((index, case)) = cases
        .iter()
        .enumerate()
        .rfind(|(_, case)| case.span().start <= offset)
    else {
        return Place::default();
    };
    let table = case.get_ref().as_table();
    let name = table
        .and_then(|t| t.get("name"))
        .and_then(|name| name.get_ref().as_str());
    let step = table
        .and_then(|t| t.get("steps"))
        .and_then(|steps| steps.get_ref().as_array())
        .and_then(|steps| steps.iter().position(|step| step.span().contains(&offset)));
    Place {
        case: Some(case_label(index, name)),
        step: step.map(|index| index + 1),
    }
}

/// Parses the text of a TOML case file; `file` names it in error messages.
pub fn parse(file: &str, text: &str) -> Result<Vec<Case>, Error> {
    let error = |span: Option<Range<usize>>, place: &Place, message: &str| Error::CaseSyntax {
        file: file.to_string(),
        line: span.map_or(0, |span| line_of(text, span.start)),
        message: format!("{place}{message}"),
    };
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        let place = e
            .span()
            .map_or_else(Place::default, |span| locate(text, span.start));
        error(e.span(), &place, e.message().trim_end())
    })?;
    let mut cases: Vec<Case> = Vec::with_capacity(spec.case.len());
    for (index, spanned) in spec.case.iter().enumerate() {
        let span = spanned.span();
        let case = spanned.get_ref();
        let place = Place {
            case: Some(case_label(index, Some(&case.name))),
            step: None,
        };
        if case.name.trim().is_empty() {
            return Err(error(Some(span), &place, "the name is empty"));
        }
        if let Some(earlier) = cases.iter().find(|c| c.name == case.name) {
            return Err(error(
                Some(span),
                &place,
                &format!(
                    "another case of this file (line {}) has the same name",
                    earlier.line
                ),
            ));
        }
        if let Some(bad) = case
            .tags
            .iter()
            .find(|tag| tag.is_empty() || tag.contains(|c: char| c.is_whitespace() || c == ','))
        {
            return Err(error(
                Some(span),
                &place,
                &format!("tag {bad:?} must be one word (no spaces or commas)"),
            ));
        }
        if case.steps.is_empty() {
            return Err(error(Some(span), &place, "a case needs at least one step"));
        }
        let mut steps = Vec::with_capacity(case.steps.len());
        let mut client = 1;
        for (step_index, step) in case.steps.iter().enumerate() {
            let place = Place {
                case: place.case.clone(),
                step: Some(step_index + 1),
            };
            let line = line_of(text, step.span().start);
            let action = step_action(step.get_ref(), &mut client)
                .map_err(|message| error(Some(step.span()), &place, &message))?;
            if let Some(action) = action {
                steps.push(Step {
                    line,
                    client,
                    action,
                });
            }
        }
        cases.push(Case {
            name: case.name.clone(),
            description: case.description.clone(),
            tags: case.tags.clone(),
            line: line_of(text, span.start),
            steps,
        });
    }
    Ok(cases)
}

/// Splits a command string; an empty command is refused.
fn command(text: &str) -> Result<Vec<Vec<u8>>, String> {
    let words = split_args(text.as_bytes()).map_err(|e| format!("{e} in {text:?}"))?;
    if words.is_empty() {
        return Err("an empty command".to_string());
    }
    Ok(words)
}

/// What one step does; `None` for `client`, which only changes the connection of later steps.
fn step_action(step: &StepSpec, client: &mut usize) -> Result<Option<Action>, String> {
    match step {
        StepSpec::Command(text) => command(text).map(|argv| Some(Action::Command(argv))),
        StepSpec::Directive(directive) => directive_action(directive, client),
    }
}

fn directive_action(directive: &Directive, client: &mut usize) -> Result<Option<Action>, String> {
    let Directive {
        client: new_client,
        send,
        read,
        raw,
        sleep,
    } = directive;
    let keys = [
        new_client.is_some(),
        send.is_some(),
        read.is_some(),
        raw.is_some(),
        sleep.is_some(),
    ];
    if keys.iter().filter(|&&set| set).count() != 1 {
        return Err(
            "a directive table holds exactly one of client, send, read, raw, sleep".to_string(),
        );
    }
    if let Some(number) = new_client {
        if !(1..=MAX_CLIENTS as u64).contains(number) {
            return Err(format!("client takes a number from 1 to {MAX_CLIENTS}"));
        }
        *client = *number as usize;
        return Ok(None);
    }
    let action = if let Some(text) = send {
        Action::Send(command(text)?)
    } else if let Some(read) = read {
        if !read {
            return Err("read takes true (leave the step out otherwise)".to_string());
        }
        Action::Read
    } else if let Some(text) = raw {
        Action::Raw(unescape(text.as_bytes()).map_err(|e| format!("raw: {e}"))?)
    } else if let Some(ms) = sleep {
        if *ms > MAX_SLEEP_MS {
            return Err(format!("sleep takes milliseconds from 0 to {MAX_SLEEP_MS}"));
        }
        Action::Sleep(*ms)
    } else {
        return Err("a directive table holds exactly one key".to_string());
    };
    Ok(Some(action))
}
