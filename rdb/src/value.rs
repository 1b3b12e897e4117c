//! Whole values: what the writer takes and what DUMP payloads decode to. [`RdbValue`] borrows or owns
//! its elements (`Cow`), so the server can hand its collections to the writer without copying them and
//! the converter can pass along what the reader produced.

use std::borrow::Cow;
use std::io::Read;

use crate::error::Result;
use crate::reader::{
    Element, Item, ModuleValue, RdbReader, StreamConsumer, StreamEntry, StreamGroup, StreamMeta,
    StreamPending,
};
use crate::types::{StreamId, ValueKind};

/// A hash field with its optional expiry.
#[derive(Debug, Clone, PartialEq)]
pub struct HashField<'a> {
    /// Field name.
    pub field: Cow<'a, [u8]>,
    /// Value.
    pub value: Cow<'a, [u8]>,
    /// Absolute expiry, Unix ms.
    pub expire_ms: Option<i64>,
}

/// A consumer and the IDs it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConsumerValue {
    /// The consumer.
    pub consumer: StreamConsumer,
    /// IDs of its pending entries (each is in the group's pending list).
    pub pending: Vec<StreamId>,
}

/// A consumer group with its pending entries and consumers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamGroupValue {
    /// The group.
    pub group: StreamGroup,
    /// The group's pending entries list.
    pub pending: Vec<StreamPending>,
    /// Its consumers.
    pub consumers: Vec<StreamConsumerValue>,
}

/// A whole stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamValue {
    /// Live entries in ID order.
    pub entries: Vec<StreamEntry>,
    /// Length, IDs and counters.
    pub meta: StreamMeta,
    /// Consumer groups.
    pub groups: Vec<StreamGroupValue>,
}

/// A complete value.
#[derive(Debug, Clone, PartialEq)]
pub enum RdbValue<'a> {
    /// A string.
    String(Cow<'a, [u8]>),
    /// A list, in order.
    List(Vec<Cow<'a, [u8]>>),
    /// A set's members.
    Set(Vec<Cow<'a, [u8]>>),
    /// A sorted set's members and scores.
    SortedSet(Vec<(Cow<'a, [u8]>, f64)>),
    /// A hash's fields.
    Hash(Vec<HashField<'a>>),
    /// A stream.
    Stream(Box<StreamValue>),
    /// A module value that was skipped (it cannot be written).
    Module(ModuleValue),
}

impl RdbValue<'_> {
    /// The logical type.
    pub fn kind(&self) -> ValueKind {
        match self {
            RdbValue::String(_) => ValueKind::String,
            RdbValue::List(_) => ValueKind::List,
            RdbValue::Set(_) => ValueKind::Set,
            RdbValue::SortedSet(_) => ValueKind::SortedSet,
            RdbValue::Hash(_) => ValueKind::Hash,
            RdbValue::Stream(_) => ValueKind::Stream,
            RdbValue::Module(_) => ValueKind::Module,
        }
    }

    /// Number of elements (1 for strings and module values, entries for streams).
    pub fn len(&self) -> usize {
        match self {
            RdbValue::String(_) | RdbValue::Module(_) => 1,
            RdbValue::List(items) | RdbValue::Set(items) => items.len(),
            RdbValue::SortedSet(members) => members.len(),
            RdbValue::Hash(fields) => fields.len(),
            RdbValue::Stream(stream) => stream.entries.len(),
        }
    }

    /// True for an empty collection.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Assembles a value from a key's elements.
#[derive(Debug)]
pub struct ValueBuilder {
    value: RdbValue<'static>,
}

impl ValueBuilder {
    /// An empty value of `kind`.
    pub fn new(kind: ValueKind) -> Self {
        let value = match kind {
            ValueKind::String => RdbValue::String(Cow::Borrowed(b"")),
            ValueKind::List => RdbValue::List(Vec::new()),
            ValueKind::Set => RdbValue::Set(Vec::new()),
            ValueKind::SortedSet => RdbValue::SortedSet(Vec::new()),
            ValueKind::Hash => RdbValue::Hash(Vec::new()),
            ValueKind::Stream => RdbValue::Stream(Box::new(StreamValue {
                entries: Vec::new(),
                meta: StreamMeta {
                    length: 0,
                    last_id: StreamId::default(),
                    first_id: None,
                    max_deleted_id: None,
                    entries_added: None,
                    groups: 0,
                },
                groups: Vec::new(),
            })),
            ValueKind::Module => RdbValue::Module(ModuleValue {
                module: crate::types::ModuleId(0),
                size: 0,
            }),
        };
        Self { value }
    }

    /// Adds one element; elements of another type are ignored (the reader never mixes them).
    pub fn push(&mut self, element: Element) {
        match (&mut self.value, element) {
            (RdbValue::String(value), Element::String(bytes)) => *value = Cow::Owned(bytes),
            (RdbValue::List(items), Element::ListItem(item)) => items.push(Cow::Owned(item)),
            (RdbValue::Set(items), Element::SetMember(member)) => items.push(Cow::Owned(member)),
            (RdbValue::SortedSet(members), Element::ZsetMember { member, score }) => {
                members.push((Cow::Owned(member), score))
            }
            (
                RdbValue::Hash(fields),
                Element::HashField {
                    field,
                    value,
                    expire_ms,
                },
            ) => fields.push(HashField {
                field: Cow::Owned(field),
                value: Cow::Owned(value),
                expire_ms,
            }),
            (RdbValue::Stream(stream), element) => match element {
                Element::StreamEntry(entry) => stream.entries.push(entry),
                Element::StreamMeta(meta) => stream.meta = meta,
                Element::StreamGroup(group) => stream.groups.push(StreamGroupValue {
                    group,
                    pending: Vec::new(),
                    consumers: Vec::new(),
                }),
                Element::StreamPending(pending) => {
                    if let Some(group) = stream.groups.last_mut() {
                        group.pending.push(pending);
                    }
                }
                Element::StreamConsumer(consumer) => {
                    if let Some(group) = stream.groups.last_mut() {
                        group.consumers.push(StreamConsumerValue {
                            consumer,
                            pending: Vec::new(),
                        });
                    }
                }
                Element::StreamConsumerPending(id) => {
                    if let Some(consumer) = stream
                        .groups
                        .last_mut()
                        .and_then(|group| group.consumers.last_mut())
                    {
                        consumer.pending.push(id);
                    }
                }
                _ => {}
            },
            (RdbValue::Module(value), Element::Module(module)) => *value = module,
            _ => {}
        }
    }

    /// The assembled value.
    pub fn finish(self) -> RdbValue<'static> {
        self.value
    }
}

impl<R: Read> RdbReader<R> {
    /// Reads the rest of the current key's value (after [`Item::Key`]) up to its [`Item::KeyEnd`].
    pub fn read_value(&mut self, kind: ValueKind) -> Result<RdbValue<'static>> {
        let mut builder = ValueBuilder::new(kind);
        while let Some(item) = self.next_item()? {
            match item {
                Item::Element(element) => builder.push(element),
                _ => break,
            }
        }
        Ok(builder.finish())
    }
}
