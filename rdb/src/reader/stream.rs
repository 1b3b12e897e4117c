//! Streams (§6.3): node listpacks decoded one node at a time, then the metadata, consumer groups, their
//! pending entries and consumers, yielded piece by piece.

use std::io::Read;

use super::input::Input;
use super::{Element, StreamConsumer, StreamEntry, StreamGroup, StreamMeta, StreamPending};
use crate::error::Result;
use crate::listpack::{self, Entry, Listpack};
use crate::types::StreamId;

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Nodes,
    Meta,
    Groups,
    GroupPending,
    Consumers,
    ConsumerPending,
    Done,
}

/// Where the reader is inside a stream value.
pub(crate) struct StreamState {
    /// 1, 2 or 3 (types 15, 19, 21).
    format: u8,
    phase: Phase,
    nodes_left: u64,
    entries: std::vec::IntoIter<StreamEntry>,
    groups_left: u64,
    pending_left: u64,
    consumers_left: u64,
    consumer_pending_left: u64,
}

impl StreamState {
    /// Starts a stream of format 1–3; reads the node count.
    pub fn start<R: Read>(input: &mut Input<R>, format: u8) -> Result<Self> {
        let nodes_left = input.length()?;
        Ok(Self {
            format,
            phase: Phase::Nodes,
            nodes_left,
            entries: Vec::new().into_iter(),
            groups_left: 0,
            pending_left: 0,
            consumers_left: 0,
            consumer_pending_left: 0,
        })
    }

    /// The next piece of the stream, `None` after the last consumer of the last group.
    pub fn next<R: Read>(&mut self, input: &mut Input<R>) -> Result<Option<Element>> {
        loop {
            match self.phase {
                Phase::Nodes => {
                    if let Some(entry) = self.entries.next() {
                        return Ok(Some(Element::StreamEntry(entry)));
                    }
                    if self.nodes_left == 0 {
                        self.phase = Phase::Meta;
                        continue;
                    }
                    self.nodes_left -= 1;
                    let node_key = input.string()?;
                    let master: [u8; 16] = node_key
                        .as_slice()
                        .try_into()
                        .map_err(|_| input.corrupt("stream node key is not 16 bytes"))?;
                    let master = StreamId::from_be_bytes(&master);
                    let node = input.string()?;
                    let entries =
                        decode_node(master, node).map_err(|reason| input.corrupt(reason))?;
                    self.entries = entries.into_iter();
                }
                Phase::Meta => {
                    let length = input.length()?;
                    let last_id = read_id(input)?;
                    let (first_id, max_deleted_id, entries_added) = if self.format >= 2 {
                        let first = read_id(input)?;
                        let max_deleted = read_id(input)?;
                        (Some(first), Some(max_deleted), Some(input.length()?))
                    } else {
                        (None, None, None)
                    };
                    self.groups_left = input.length()?;
                    self.phase = Phase::Groups;
                    return Ok(Some(Element::StreamMeta(StreamMeta {
                        length,
                        last_id,
                        first_id,
                        max_deleted_id,
                        entries_added,
                        groups: self.groups_left,
                    })));
                }
                Phase::Groups => {
                    if self.groups_left == 0 {
                        self.phase = Phase::Done;
                        continue;
                    }
                    self.groups_left -= 1;
                    let name = input.string()?;
                    let last_id = read_id(input)?;
                    let entries_read = if self.format >= 2 {
                        Some(input.length()? as i64)
                    } else {
                        None
                    };
                    self.pending_left = input.length()?;
                    self.phase = Phase::GroupPending;
                    return Ok(Some(Element::StreamGroup(StreamGroup {
                        name,
                        last_id,
                        entries_read,
                    })));
                }
                Phase::GroupPending => {
                    if self.pending_left == 0 {
                        self.consumers_left = input.length()?;
                        self.phase = Phase::Consumers;
                        continue;
                    }
                    self.pending_left -= 1;
                    let id = StreamId::from_be_bytes(&input.array()?);
                    let delivery_time_ms = input.i64_le()?;
                    let delivery_count = input.length()?;
                    return Ok(Some(Element::StreamPending(StreamPending {
                        id,
                        delivery_time_ms,
                        delivery_count,
                    })));
                }
                Phase::Consumers => {
                    if self.consumers_left == 0 {
                        self.phase = Phase::Groups;
                        continue;
                    }
                    self.consumers_left -= 1;
                    let name = input.string()?;
                    let seen_time_ms = input.i64_le()?;
                    let active_time_ms = if self.format >= 3 {
                        Some(input.i64_le()?)
                    } else {
                        None
                    };
                    self.consumer_pending_left = input.length()?;
                    self.phase = Phase::ConsumerPending;
                    return Ok(Some(Element::StreamConsumer(StreamConsumer {
                        name,
                        seen_time_ms,
                        active_time_ms,
                    })));
                }
                Phase::ConsumerPending => {
                    if self.consumer_pending_left == 0 {
                        self.phase = Phase::Consumers;
                        continue;
                    }
                    self.consumer_pending_left -= 1;
                    let id = StreamId::from_be_bytes(&input.array()?);
                    return Ok(Some(Element::StreamConsumerPending(id)));
                }
                Phase::Done => return Ok(None),
            }
        }
    }
}

fn read_id<R: Read>(input: &mut Input<R>) -> Result<StreamId> {
    let ms = input.length()?;
    let seq = input.length()?;
    Ok(StreamId { ms, seq })
}

/// Reads listpack elements as a stream node needs them.
struct NodeCursor<'a> {
    iter: listpack::Iter<'a>,
}

impl<'a> NodeCursor<'a> {
    fn element(&mut self) -> Result<Entry<'a>, &'static str> {
        self.iter
            .next()
            .ok_or("stream node listpack ends inside an entry")
    }

    fn int(&mut self) -> Result<i64, &'static str> {
        match self.element()? {
            Entry::Int(value) => Ok(value),
            Entry::Bytes(bytes) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or("stream node has text where an integer belongs"),
        }
    }

    fn count(&mut self) -> Result<usize, &'static str> {
        usize::try_from(self.int()?).map_err(|_| "stream node has a negative count")
    }

    fn bytes(&mut self) -> Result<Vec<u8>, &'static str> {
        Ok(self.element()?.to_vec())
    }
}

/// Decodes one node listpack (§6.3.1) into its live entries.
pub(crate) fn decode_node(
    master: StreamId,
    bytes: Vec<u8>,
) -> Result<Vec<StreamEntry>, &'static str> {
    let node = Listpack::from_bytes(bytes).map_err(|_| "corrupt stream node listpack")?;
    if node.is_empty() {
        return Err("empty listpack inside stream");
    }
    let mut cursor = NodeCursor { iter: node.iter() };
    let live = cursor.count()?;
    let deleted = cursor.count()?;
    let master_field_count = cursor.count()?;
    let mut master_fields = Vec::with_capacity(master_field_count.min(1024));
    for _ in 0..master_field_count {
        master_fields.push(cursor.bytes()?);
    }
    if cursor.int()? != 0 {
        return Err("stream master entry is not zero-terminated");
    }
    let total = live
        .checked_add(deleted)
        .ok_or("stream node count overflows")?;
    let mut entries = Vec::with_capacity(live.min(1024));
    for _ in 0..total {
        let flags = cursor.int()?;
        let ms_delta = cursor.int()?;
        let seq_delta = cursor.int()?;
        let id = StreamId {
            ms: master.ms.wrapping_add(ms_delta as u64),
            seq: master.seq.wrapping_add(seq_delta as u64),
        };
        let mut fields = Vec::new();
        let expected_count = if flags & FLAG_SAMEFIELDS != 0 {
            for field in &master_fields {
                fields.push((field.clone(), cursor.bytes()?));
            }
            3 + master_fields.len()
        } else {
            let count = cursor.count()?;
            for _ in 0..count {
                let field = cursor.bytes()?;
                let value = cursor.bytes()?;
                fields.push((field, value));
            }
            4 + 2 * count
        };
        if cursor.count()? != expected_count {
            return Err("stream entry has a wrong lp-count");
        }
        if flags & FLAG_DELETED == 0 {
            entries.push(StreamEntry { id, fields });
        }
    }
    if cursor.iter.next().is_some() {
        return Err("stream node has data after its last entry");
    }
    if entries.len() != live {
        return Err("stream node live count does not match its entries");
    }
    Ok(entries)
}
