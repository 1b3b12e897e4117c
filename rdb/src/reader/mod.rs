//! The streaming RDB reader: `std::io::Read` in, a pull API out. [`RdbReader::next_item`] yields the
//! file's metadata items, then each key as [`Item::Key`], its value's elements as [`Item::Element`]
//! and [`Item::KeyEnd`]. Collections are never materialised: memory stays bounded by the largest single
//! RDB string (an element, or one compact container), whatever the size of the key or the file.
//!
//! ```no_run
//! # fn main() -> Result<(), ferry_rdb::RdbError> {
//! use ferry_rdb::reader::{Item, RdbReader};
//! let file = std::fs::File::open("dump.rdb").unwrap();
//! let mut reader = RdbReader::new(file)?;
//! while let Some(item) = reader.next_item()? {
//!     if let Item::Key(header) = item {
//!         println!("{}", String::from_utf8_lossy(&header.key));
//!     }
//! }
//! # Ok(()) }
//! ```

pub(crate) mod input;
mod stream;
mod value;

use std::io::Read;

use crate::error::{ErrorKind, RdbError, Result};
use crate::types::{Family, HeaderError, ModuleId, RdbType, RdbVersion, StreamId};
use input::Input;
use value::ValueState;

/// What to do with module values (§7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModulePolicy {
    /// Skip them, yielding their name and size.
    #[default]
    Skip,
    /// Fail with [`ErrorKind::ModuleRefused`].
    Refuse,
}

/// Reader settings.
#[derive(Debug, Clone, Copy)]
pub struct ReaderOptions {
    /// Verify the trailing CRC-64 (§9).
    pub verify_checksum: bool,
    /// Module value handling.
    pub modules: ModulePolicy,
    /// Ignore bytes after a DUMP payload's value instead of refusing them (Valkey's RESTORE reads the
    /// value and never looks further).
    pub payload_trailing_bytes: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        Self {
            verify_checksum: true,
            modules: ModulePolicy::Skip,
            payload_trailing_bytes: false,
        }
    }
}

/// A key's header: everything but the value.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyHeader {
    /// Database number.
    pub db: u64,
    /// The key name.
    pub key: Vec<u8>,
    /// Absolute expiry time in Unix milliseconds.
    pub expire_ms: Option<i64>,
    /// LRU idle time in seconds (opcode 248).
    pub lru_idle: Option<u64>,
    /// LFU counter (opcode 249).
    pub lfu_freq: Option<u8>,
    /// The value's type and encoding.
    pub rdb_type: RdbType,
    /// Byte offset of the key's first byte (its first metadata opcode or its type byte).
    pub offset: u64,
}

/// A stream entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    /// Its ID.
    pub id: StreamId,
    /// Field/value pairs in order.
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// A stream's metadata, yielded after its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamMeta {
    /// Live entries.
    pub length: u64,
    /// Last ID ever added.
    pub last_id: StreamId,
    /// First live entry ID (types 19, 21).
    pub first_id: Option<StreamId>,
    /// Largest deleted ID (types 19, 21).
    pub max_deleted_id: Option<StreamId>,
    /// Entries ever added (types 19, 21).
    pub entries_added: Option<u64>,
    /// Number of consumer groups that follow.
    pub groups: u64,
}

/// A consumer group; its pending entries and consumers follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamGroup {
    /// Group name.
    pub name: Vec<u8>,
    /// Last delivered ID.
    pub last_id: StreamId,
    /// Logical reads counter (types 19, 21; −1 = unknown).
    pub entries_read: Option<i64>,
}

/// An entry of a group's pending entries list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamPending {
    /// The pending entry's ID.
    pub id: StreamId,
    /// Last delivery time, Unix ms.
    pub delivery_time_ms: i64,
    /// Number of deliveries.
    pub delivery_count: u64,
}

/// A consumer of the current group; the IDs it owns follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConsumer {
    /// Consumer name.
    pub name: Vec<u8>,
    /// Last interaction time, Unix ms.
    pub seen_time_ms: i64,
    /// Last successful read/claim time (type 21).
    pub active_time_ms: Option<i64>,
}

/// A skipped module value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleValue {
    /// The module type.
    pub module: ModuleId,
    /// Bytes of annotated data skipped.
    pub size: u64,
}

/// One piece of a key's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// A string value (the only element of a string key).
    String(Vec<u8>),
    /// A list element, in order.
    ListItem(Vec<u8>),
    /// A set member.
    SetMember(Vec<u8>),
    /// A sorted set member.
    ZsetMember {
        /// Member.
        member: Vec<u8>,
        /// Score.
        score: f64,
    },
    /// A hash field.
    HashField {
        /// Field name.
        field: Vec<u8>,
        /// Value.
        value: Vec<u8>,
        /// Field expiry, Unix ms.
        expire_ms: Option<i64>,
    },
    /// A stream entry.
    StreamEntry(StreamEntry),
    /// The stream's metadata (after all entries).
    StreamMeta(StreamMeta),
    /// A consumer group.
    StreamGroup(StreamGroup),
    /// A pending entry of the last group.
    StreamPending(StreamPending),
    /// A consumer of the last group.
    StreamConsumer(StreamConsumer),
    /// An ID owned by the last consumer.
    StreamConsumerPending(StreamId),
    /// A module value (skipped).
    Module(ModuleValue),
}

/// One item of an RDB file.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An AUX field (§4.1).
    Aux {
        /// Field name.
        name: Vec<u8>,
        /// Field value.
        value: Vec<u8>,
    },
    /// Following keys belong to `db`.
    SelectDb {
        /// Database number.
        db: u64,
    },
    /// Sizing hint for the current database.
    ResizeDb {
        /// Keys.
        keys: u64,
        /// Keys with an expiry.
        expires: u64,
    },
    /// Sizing hint for a cluster slot.
    SlotInfo {
        /// Slot number.
        slot: u64,
        /// Keys.
        keys: u64,
        /// Keys with an expiry.
        expires: u64,
    },
    /// A function library's source.
    Function {
        /// The library code.
        code: Vec<u8>,
    },
    /// Module auxiliary data (skipped).
    ModuleAux {
        /// Module type.
        module: ModuleId,
        /// The `when` argument (before/after keys).
        when: u64,
        /// Bytes skipped.
        size: u64,
    },
    /// Valkey cluster slot import state.
    SlotImport {
        /// Migration job name.
        job_name: Vec<u8>,
        /// Slot ranges, inclusive.
        ranges: Vec<(u64, u64)>,
    },
    /// A key starts; its elements and [`Item::KeyEnd`] follow.
    Key(KeyHeader),
    /// A piece of the current key's value.
    Element(Element),
    /// The current key is complete.
    KeyEnd,
}

/// What the trailing checksum said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// Stored and matching.
    Verified(u64),
    /// Stored but not checked (verification off).
    Unchecked(u64),
    /// Stored as 0: the writer had checksums disabled.
    Disabled,
    /// Versions below 5 have none.
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    File,
    /// A DUMP payload body: a type byte and a value, nothing else.
    Payload,
}

enum State {
    Items,
    /// A string key (the common case, kept cheap): its value, then the end of the key.
    String(Option<Vec<u8>>),
    Value(Box<ValueState>),
    Done,
}

/// Metadata collected for the next key.
#[derive(Default)]
struct Pending {
    offset: Option<u64>,
    expire_ms: Option<i64>,
    lru_idle: Option<u64>,
    lfu_freq: Option<u8>,
}

/// The streaming reader.
pub struct RdbReader<R> {
    input: Input<R>,
    version: RdbVersion,
    options: ReaderOptions,
    mode: Mode,
    state: State,
    db: u64,
    pending: Pending,
    /// The key being read, for error messages (a reused buffer).
    current_key: Vec<u8>,
    in_key: bool,
    checksum: Option<Checksum>,
}

impl<R: Read> RdbReader<R> {
    /// Reads the header of an RDB file with default options.
    pub fn new(inner: R) -> Result<Self> {
        Self::with_options(inner, ReaderOptions::default())
    }

    /// Reads the header of an RDB file.
    pub fn with_options(inner: R, options: ReaderOptions) -> Result<Self> {
        let mut input = Input::new(inner, options.verify_checksum);
        let header = read_header(&mut input)?;
        let version = RdbVersion::parse_header(&header).map_err(|error| match error {
            HeaderError::BadMagic(text) => RdbError::new(ErrorKind::BadMagic(text), 0),
            HeaderError::Unsupported(text) => RdbError::new(ErrorKind::UnsupportedVersion(text), 0),
        })?;
        Ok(Self::from_parts(input, version, options, Mode::File))
    }

    /// A reader over a DUMP payload body (type byte and value, without the version and CRC trailer)
    /// written with `version`. It yields one key with an empty name.
    pub fn for_payload(inner: R, version: RdbVersion, options: ReaderOptions) -> Self {
        let input = Input::new(inner, false);
        Self::from_parts(input, version, options, Mode::Payload)
    }

    fn from_parts(
        input: Input<R>,
        version: RdbVersion,
        options: ReaderOptions,
        mode: Mode,
    ) -> Self {
        Self {
            input,
            version,
            options,
            mode,
            state: State::Items,
            db: 0,
            pending: Pending::default(),
            current_key: Vec::new(),
            in_key: false,
            checksum: None,
        }
    }

    /// The file's version.
    pub fn version(&self) -> RdbVersion {
        self.version
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.input.offset()
    }

    /// The checksum outcome, once the EOF opcode has been read.
    pub fn checksum(&self) -> Option<Checksum> {
        self.checksum
    }

    /// The bytes after the RDB (read ahead into the buffer) and the underlying reader: an AOF with an
    /// RDB preamble continues there.
    pub fn into_remainder(self) -> (Vec<u8>, R) {
        self.input.into_parts()
    }

    /// The next item, `None` after the end of the file. After an error the reader is finished.
    #[inline]
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        let result = self.advance();
        if let Err(error) = result {
            self.state = State::Done;
            let key = self.in_key.then_some(self.current_key.as_slice());
            return Err(error.in_key(key));
        }
        result
    }

    #[inline]
    fn advance(&mut self) -> Result<Option<Item>> {
        match &mut self.state {
            State::Done => Ok(None),
            State::String(value) => match value.take() {
                Some(value) => Ok(Some(Item::Element(Element::String(value)))),
                None => self.end_key(),
            },
            State::Value(value) => match value.next(&mut self.input)? {
                Some(element) => Ok(Some(Item::Element(element))),
                None => self.end_key(),
            },
            State::Items => self.next_top_level(),
        }
    }

    #[inline]
    fn end_key(&mut self) -> Result<Option<Item>> {
        self.in_key = false;
        self.state = State::Items;
        if self.mode == Mode::Payload {
            self.state = State::Done;
            if !self.options.payload_trailing_bytes && !self.input.at_end()? {
                return Err(self.input.corrupt("data after the payload's value"));
            }
        }
        Ok(Some(Item::KeyEnd))
    }

    #[inline]
    fn next_top_level(&mut self) -> Result<Option<Item>> {
        loop {
            let offset = self.input.offset();
            let byte = self.input.u8()?;
            if self.mode == Mode::Payload {
                return self.start_key(byte, offset).map(Some);
            }
            match byte {
                0xFF => {
                    self.finish()?;
                    return Ok(None);
                }
                0xFE => {
                    self.db = self.input.length()?;
                    return Ok(Some(Item::SelectDb { db: self.db }));
                }
                0xFD => {
                    self.pending.offset.get_or_insert(offset);
                    let seconds = i32::from_le_bytes(self.input.array()?);
                    self.pending.expire_ms = Some(i64::from(seconds) * 1000);
                }
                0xFC => {
                    self.pending.offset.get_or_insert(offset);
                    self.pending.expire_ms = Some(self.input.i64_le()?);
                }
                0xFB => {
                    let keys = self.input.length()?;
                    let expires = self.input.length()?;
                    return Ok(Some(Item::ResizeDb { keys, expires }));
                }
                0xFA => {
                    let name = self.input.string()?;
                    let value = self.input.string()?;
                    return Ok(Some(Item::Aux { name, value }));
                }
                0xF9 => {
                    self.pending.offset.get_or_insert(offset);
                    self.pending.lfu_freq = Some(self.input.u8()?);
                }
                0xF8 => {
                    self.pending.offset.get_or_insert(offset);
                    self.pending.lru_idle = Some(self.input.length()?);
                }
                0xF7 => return self.module_aux().map(Some),
                0xF6 => {
                    return Err(self.unsupported(
                        "function library in the Redis 7.0 release-candidate format (opcode 246)",
                    ))
                }
                0xF5 => {
                    let code = self.input.string()?;
                    return Ok(Some(Item::Function { code }));
                }
                0xF4 => {
                    let slot = self.input.length()?;
                    let keys = self.input.length()?;
                    let expires = self.input.length()?;
                    return Ok(Some(Item::SlotInfo {
                        slot,
                        keys,
                        expires,
                    }));
                }
                0xF3 if self.version.family() == Family::Valkey => {
                    let job_name = self.input.string()?;
                    let count = self.input.length()?;
                    let mut ranges = Vec::new();
                    for _ in 0..count {
                        let start = self.input.length()?;
                        let end = self.input.length()?;
                        ranges.push((start, end));
                    }
                    return Ok(Some(Item::SlotImport { job_name, ranges }));
                }
                0xF3 if self.version.number >= 13 => {
                    return Err(self.unsupported("per-key metadata (opcode 243 in RDB 13)"))
                }
                _ => return self.start_key(byte, offset).map(Some),
            }
        }
    }

    fn unsupported(&self, what: &str) -> RdbError {
        self.input.error(ErrorKind::Unsupported(what.to_string()))
    }

    #[inline]
    fn start_key(&mut self, byte: u8, offset: u64) -> Result<Item> {
        let Some(rdb_type) = RdbType::from_byte(byte, self.version) else {
            if byte == 26 && self.version.number == 13 {
                return Err(
                    self.unsupported("stream with idempotent-producer state (type 26 in RDB 13)")
                );
            }
            return Err(RdbError::new(
                ErrorKind::UnknownType {
                    type_byte: byte,
                    version: self.version.number,
                },
                offset,
            ));
        };
        let pending = std::mem::take(&mut self.pending);
        let key = if self.mode == Mode::Payload {
            Vec::new()
        } else {
            self.input.string()?
        };
        self.current_key.clear();
        self.current_key.extend_from_slice(&key);
        self.in_key = true;
        self.state = if rdb_type == RdbType::String {
            State::String(Some(self.input.string()?))
        } else {
            State::Value(Box::new(ValueState::start(
                &mut self.input,
                rdb_type,
                self.options.modules,
            )?))
        };
        Ok(Item::Key(KeyHeader {
            db: self.db,
            key,
            expire_ms: pending.expire_ms,
            lru_idle: pending.lru_idle,
            lfu_freq: pending.lfu_freq,
            rdb_type,
            offset: pending.offset.unwrap_or(offset),
        }))
    }

    fn module_aux(&mut self) -> Result<Item> {
        let module = ModuleId(self.input.length()?);
        let when_opcode = self.input.length()?;
        if when_opcode != 2 {
            return Err(self
                .input
                .corrupt("module aux data without its 'when' field"));
        }
        let when = self.input.length()?;
        if self.options.modules == ModulePolicy::Refuse {
            return Err(self.input.error(ErrorKind::ModuleRefused(module.name())));
        }
        let size = value::skip_module_body(&mut self.input)?;
        Ok(Item::ModuleAux { module, when, size })
    }

    fn finish(&mut self) -> Result<()> {
        self.state = State::Done;
        if !self.version.has_checksum() {
            self.checksum = Some(Checksum::Absent);
            return Ok(());
        }
        let computed = self.input.take_checksum();
        let stored = u64::from_le_bytes(self.input.array()?);
        self.checksum = Some(match computed {
            _ if stored == 0 => Checksum::Disabled,
            Some(computed) if computed != stored => {
                return Err(RdbError::new(
                    ErrorKind::Checksum { stored, computed },
                    self.input.offset() - 8,
                ))
            }
            Some(_) => Checksum::Verified(stored),
            None => Checksum::Unchecked(stored),
        });
        Ok(())
    }
}

fn read_header<R: Read>(input: &mut Input<R>) -> Result<[u8; 9]> {
    input.array::<9>().map_err(|error| match error.kind {
        ErrorKind::UnexpectedEof => {
            RdbError::new(ErrorKind::BadMagic("a file shorter than 9 bytes".into()), 0)
        }
        _ => error,
    })
}

impl<R: Read> Iterator for RdbReader<R> {
    type Item = Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item().transpose()
    }
}
