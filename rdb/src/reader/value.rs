//! The value of one key, yielded element by element (§6): counted sequences are read one element per
//! call; compact containers (one RDB string each) are decoded whole — they are bounded by the servers'
//! compact-encoding thresholds — and then handed out one element at a time.

use std::io::Read;

use super::input::{parse_score, Input};
use super::stream::StreamState;
use super::{Element, ModulePolicy, ModuleValue};
use crate::containers;
use crate::error::{ErrorKind, Result};
use crate::listpack::Listpack;
use crate::types::{ModuleId, RdbType};

/// A plain, counted sequence's element shape.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counted {
    List,
    Set,
    ZsetText,
    ZsetBinary,
    Hash,
    /// Redis 24 (`Some(min_expire)`) or 22 pre-GA (`None`: TTLs are absolute).
    RedisTtlHash(Option<u64>),
    ValkeyTtlHash,
}

/// How decoded container elements group into value elements.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Grouping {
    List,
    Set,
    ZsetPairs,
    HashPairs,
    HashTriples,
}

impl Grouping {
    fn width(self) -> usize {
        match self {
            Grouping::List | Grouping::Set => 1,
            Grouping::ZsetPairs | Grouping::HashPairs => 2,
            Grouping::HashTriples => 3,
        }
    }
}

/// Progress through one value.
pub(crate) enum ValueState {
    /// A value made of one element (strings, module values).
    Single(Option<Element>),
    Counted {
        remaining: u64,
        shape: Counted,
    },
    Decoded {
        items: std::vec::IntoIter<Vec<u8>>,
        grouping: Grouping,
    },
    Quicklist {
        nodes_left: u64,
        listpack_nodes: bool,
        items: std::vec::IntoIter<Vec<u8>>,
    },
    Stream(Box<StreamState>),
}

fn decode_listpack(bytes: Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
    let listpack = Listpack::from_bytes(bytes).map_err(|e| e.to_string())?;
    Ok(listpack.iter().map(|e| e.to_vec()).collect())
}

/// An intset's members as decimal texts, after checking it fully (§8.3).
fn intset_entries(blob: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    crate::intset::validate(blob).map_err(|error| error.to_string())?;
    Ok(crate::intset::IntsetRef::new(blob)
        .iter()
        .map(|value| itoa::Buffer::new().format(value).as_bytes().to_vec())
        .collect())
}

/// The compact containers (§8).
#[derive(Debug, Clone, Copy)]
enum Container {
    Listpack,
    Ziplist,
    Intset,
    Zipmap,
}

/// Reads a container blob and decodes it for iteration.
fn container<R: Read>(
    input: &mut Input<R>,
    container: Container,
    grouping: Grouping,
) -> Result<ValueState> {
    let blob = input.string()?;
    let (items, what) = match container {
        Container::Listpack => (decode_listpack(blob), "listpack"),
        Container::Ziplist => (
            containers::ziplist_entries(&blob).map_err(str::to_string),
            "ziplist",
        ),
        Container::Intset => (intset_entries(&blob), "intset"),
        Container::Zipmap => (
            containers::zipmap_entries(&blob).map_err(str::to_string),
            "zipmap",
        ),
    };
    items
        .and_then(|items| decoded(items, grouping, what))
        .map_err(|reason| input.corrupt(reason))
}

fn decoded(items: Vec<Vec<u8>>, grouping: Grouping, what: &str) -> Result<ValueState, String> {
    if !items.len().is_multiple_of(grouping.width()) {
        return Err(format!(
            "{what} holds {} elements, not a multiple of {}",
            items.len(),
            grouping.width()
        ));
    }
    Ok(ValueState::Decoded {
        items: items.into_iter(),
        grouping,
    })
}

impl ValueState {
    /// Reads the start of a value of `rdb_type` (its count, or its whole compact container).
    pub fn start<R: Read>(
        input: &mut Input<R>,
        rdb_type: RdbType,
        modules: ModulePolicy,
    ) -> Result<Self> {
        let counted = |input: &mut Input<R>, shape| -> Result<Self> {
            Ok(ValueState::Counted {
                remaining: input.length()?,
                shape,
            })
        };
        Ok(match rdb_type {
            RdbType::String => ValueState::Single(Some(Element::String(input.string()?))),
            RdbType::List => counted(input, Counted::List)?,
            RdbType::Set => counted(input, Counted::Set)?,
            RdbType::Zset => counted(input, Counted::ZsetText)?,
            RdbType::Zset2 => counted(input, Counted::ZsetBinary)?,
            RdbType::Hash => counted(input, Counted::Hash)?,
            RdbType::HashMetadataPreGa => counted(input, Counted::RedisTtlHash(None))?,
            RdbType::HashMetadata => {
                let min_expire = u64::from_le_bytes(input.array()?);
                counted(input, Counted::RedisTtlHash(Some(min_expire)))?
            }
            RdbType::ValkeyHash2 => counted(input, Counted::ValkeyTtlHash)?,
            RdbType::HashZipmap => container(input, Container::Zipmap, Grouping::HashPairs)?,
            RdbType::ListZiplist => container(input, Container::Ziplist, Grouping::List)?,
            RdbType::ZsetZiplist => container(input, Container::Ziplist, Grouping::ZsetPairs)?,
            RdbType::HashZiplist => container(input, Container::Ziplist, Grouping::HashPairs)?,
            RdbType::SetIntset => container(input, Container::Intset, Grouping::Set)?,
            RdbType::SetListpack => container(input, Container::Listpack, Grouping::Set)?,
            RdbType::ZsetListpack => container(input, Container::Listpack, Grouping::ZsetPairs)?,
            RdbType::HashListpack => container(input, Container::Listpack, Grouping::HashPairs)?,
            RdbType::HashListpackEx => {
                // The minimum field expiry, informational only.
                input.skip(8)?;
                container(input, Container::Listpack, Grouping::HashTriples)?
            }
            RdbType::HashListpackExPreGa => {
                container(input, Container::Listpack, Grouping::HashTriples)?
            }
            RdbType::ListQuicklist | RdbType::ListQuicklist2 => ValueState::Quicklist {
                nodes_left: input.length()?,
                listpack_nodes: rdb_type == RdbType::ListQuicklist2,
                items: Vec::new().into_iter(),
            },
            RdbType::StreamListpacks => ValueState::Stream(Box::new(StreamState::start(input, 1)?)),
            RdbType::StreamListpacks2 => {
                ValueState::Stream(Box::new(StreamState::start(input, 2)?))
            }
            RdbType::StreamListpacks3 => {
                ValueState::Stream(Box::new(StreamState::start(input, 3)?))
            }
            RdbType::Module2 => {
                let module = ModuleId(input.length()?);
                if modules == ModulePolicy::Refuse {
                    return Err(input.error(ErrorKind::ModuleRefused(module.name())));
                }
                let size = skip_module_body(input)?;
                ValueState::Single(Some(Element::Module(ModuleValue { module, size })))
            }
            RdbType::ModulePreGa => {
                return Err(input.error(ErrorKind::Unsupported(
                    "module value in the pre-release format (type 6), which cannot be skipped"
                        .into(),
                )))
            }
        })
    }

    /// The next element, `None` when the value is complete.
    pub fn next<R: Read>(&mut self, input: &mut Input<R>) -> Result<Option<Element>> {
        match self {
            ValueState::Single(element) => Ok(element.take()),
            ValueState::Counted { remaining, shape } => {
                if *remaining == 0 {
                    return Ok(None);
                }
                *remaining -= 1;
                read_counted(input, *shape).map(Some)
            }
            ValueState::Decoded { items, grouping } => {
                let Some(first) = items.next() else {
                    return Ok(None);
                };
                // The container was checked to hold whole groups.
                let mut next = || items.next().unwrap_or_default();
                Ok(Some(match grouping {
                    Grouping::List => Element::ListItem(first),
                    Grouping::Set => Element::SetMember(first),
                    Grouping::ZsetPairs => {
                        let score_text = next();
                        let score = parse_score(&score_text)
                            .filter(|s| !s.is_nan())
                            .ok_or_else(|| input.corrupt("invalid score in a sorted set"))?;
                        Element::ZsetMember {
                            member: first,
                            score,
                        }
                    }
                    Grouping::HashPairs => Element::HashField {
                        field: first,
                        value: next(),
                        expire_ms: None,
                    },
                    Grouping::HashTriples => {
                        let value = next();
                        let ttl_text = next();
                        let expire: i64 = std::str::from_utf8(&ttl_text)
                            .ok()
                            .and_then(|s| s.parse().ok())
                            .ok_or_else(|| input.corrupt("invalid field expiry in a hash"))?;
                        Element::HashField {
                            field: first,
                            value,
                            expire_ms: (expire != 0).then_some(expire),
                        }
                    }
                }))
            }
            ValueState::Quicklist {
                nodes_left,
                listpack_nodes,
                items,
            } => loop {
                if let Some(item) = items.next() {
                    return Ok(Some(Element::ListItem(item)));
                }
                if *nodes_left == 0 {
                    return Ok(None);
                }
                *nodes_left -= 1;
                if *listpack_nodes {
                    let container = input.length()?;
                    match container {
                        1 => return Ok(Some(Element::ListItem(input.string()?))),
                        2 => {
                            let blob = input.string()?;
                            *items = decode_listpack(blob)
                                .map_err(|reason| input.corrupt(reason))?
                                .into_iter();
                        }
                        _ => {
                            return Err(input.corrupt(format!(
                                "quicklist node has unknown container {container}"
                            )))
                        }
                    }
                } else {
                    let blob = input.string()?;
                    *items = containers::ziplist_entries(&blob)
                        .map_err(|reason| input.corrupt(reason))?
                        .into_iter();
                }
            },
            ValueState::Stream(stream) => stream.next(input),
        }
    }
}

fn read_counted<R: Read>(input: &mut Input<R>, shape: Counted) -> Result<Element> {
    Ok(match shape {
        Counted::List => Element::ListItem(input.string()?),
        Counted::Set => Element::SetMember(input.string()?),
        Counted::ZsetText | Counted::ZsetBinary => {
            let member = input.string()?;
            let score = if matches!(shape, Counted::ZsetText) {
                input.text_double()?
            } else {
                input.f64_le()?
            };
            if score.is_nan() {
                return Err(input.corrupt("sorted set score is NaN"));
            }
            Element::ZsetMember { member, score }
        }
        Counted::Hash => Element::HashField {
            field: input.string()?,
            value: input.string()?,
            expire_ms: None,
        },
        Counted::RedisTtlHash(min_expire) => {
            let ttl = input.length()?;
            let expire_ms = match (ttl, min_expire) {
                (0, _) => None,
                (ttl, Some(min)) => Some(min.wrapping_add(ttl).wrapping_sub(1) as i64),
                (ttl, None) => Some(ttl as i64),
            };
            Element::HashField {
                field: input.string()?,
                value: input.string()?,
                expire_ms,
            }
        }
        Counted::ValkeyTtlHash => {
            let field = input.string()?;
            let value = input.string()?;
            let expire = input.i64_le()?;
            Element::HashField {
                field,
                value,
                expire_ms: (expire != -1).then_some(expire),
            }
        }
    })
}

/// Skips an annotated module body (§7) up to its EOF opcode; returns the bytes skipped.
pub(crate) fn skip_module_body<R: Read>(input: &mut Input<R>) -> Result<u64> {
    let start = input.offset();
    loop {
        let opcode = input.length()?;
        match opcode {
            0 => return Ok(input.offset() - start),
            1 | 2 => {
                input.length()?;
            }
            3 => input.skip(4)?,
            4 => input.skip(8)?,
            5 => {
                input.skip_string()?;
            }
            _ => return Err(input.corrupt(format!("unknown module opcode {opcode}"))),
        }
    }
}
