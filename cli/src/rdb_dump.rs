//! Streams RDB items out as RESP commands that recreate the data (`--format resp`) or as JSON lines,
//! one object per key (`--format json`). Both write each element as it arrives: memory stays bounded
//! by a batch of 64 elements (and, for streams, one consumer group's pending list).

use std::collections::HashMap;
use std::io::{self, Write};

use ferry_rdb::reader::{Element, Item, KeyHeader, StreamPending};
use ferry_rdb::writer::score_text;
use ferry_rdb::{StreamId, ValueKind};

/// Output format of `dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DumpFormat {
    /// RESP commands (SET, RPUSH, SADD, ZADD, HSET, XADD, ...), ready for `redis-cli --pipe`.
    Resp,
    /// One JSON object per line per key; byte strings that are not UTF-8 become {"hex": "..."}.
    Json,
}

/// Which keys to write.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this database.
    pub db: Option<u64>,
    /// Only keys matching this glob pattern.
    pub pattern: Option<Vec<u8>>,
    /// Only this type.
    pub kind: Option<ValueKind>,
}

impl Filter {
    fn accepts(&self, header: &KeyHeader) -> bool {
        self.db.is_none_or(|db| db == header.db)
            && self.kind.is_none_or(|kind| kind == header.rdb_type.kind())
            && self
                .pattern
                .as_ref()
                .is_none_or(|p| ferry_server::glob::glob_match(p, &header.key, false))
    }

    fn is_empty(&self) -> bool {
        self.db.is_none() && self.pattern.is_none() && self.kind.is_none()
    }
}

/// Elements per RPUSH/SADD/ZADD/HSET command.
const BATCH: usize = 64;

#[derive(Default)]
struct StreamDump {
    entries: u64,
    last_id: StreamId,
    group: Option<Vec<u8>>,
    pending: HashMap<StreamId, StreamPending>,
    consumer: Option<Vec<u8>>,
    /// JSON: inside the groups array / a group's pending array / consumers array.
    json_groups: u64,
    json_in_pending: bool,
    json_consumers: u64,
    json_consumer_ids: u64,
}

/// The stream state of the current key, created on first use.
fn stream(slot: &mut Option<Box<StreamDump>>) -> &mut StreamDump {
    slot.get_or_insert_with(Box::default)
}

/// Writes items in one of the formats.
pub struct Dumper<W: Write> {
    out: Output<W>,
    format: DumpFormat,
    filter: Filter,
    /// The key being written.
    header: Option<KeyHeader>,
    /// Arguments waiting for the next multi-element command.
    batch: Vec<Vec<u8>>,
    /// Hash fields of the batch that carry an expiry.
    batch_ttls: Vec<(Vec<u8>, i64)>,
    /// JSON: elements of the current array written so far.
    count: u64,
    /// Stream state (streams only).
    stream: Option<Box<StreamDump>>,
    /// Keys skipped by the filter: their elements are ignored until the key ends.
    skipping: bool,
    selected_db: Option<u64>,
    /// Keys written.
    pub keys: u64,
    /// Module values that could not be written.
    pub modules_skipped: u64,
}

/// Appends `<marker><n>\r\n` (a RESP array or bulk header).
#[inline(always)]
fn push_header(buf: &mut Vec<u8>, marker: u8, n: usize) {
    if n < 10 {
        buf.extend_from_slice(&[marker, b'0' + n as u8, b'\r', b'\n']);
    } else if n < 100 {
        buf.extend_from_slice(&[
            marker,
            b'0' + (n / 10) as u8,
            b'0' + (n % 10) as u8,
            b'\r',
            b'\n',
        ]);
    } else {
        buf.push(marker);
        buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        buf.extend_from_slice(b"\r\n");
    }
}

/// An output buffer: commands are assembled in memory and written out in 1 MB blocks.
pub struct Output<W: Write> {
    buf: Vec<u8>,
    inner: W,
}

const OUTPUT_BLOCK: usize = 1 << 20;

impl<W: Write> Output<W> {
    /// Buffers writes to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            buf: Vec::with_capacity(OUTPUT_BLOCK + 64 * 1024),
            inner,
        }
    }

    #[inline]
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= OUTPUT_BLOCK {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes one RESP command.
    #[inline]
    pub fn command(&mut self, args: &[&[u8]]) -> io::Result<()> {
        let buf = &mut self.buf;
        push_header(buf, b'*', args.len());
        for arg in args {
            push_header(buf, b'$', arg.len());
            buf.extend_from_slice(arg);
            buf.extend_from_slice(b"\r\n");
        }
        self.maybe_flush()
    }
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.maybe_flush()?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.inner.flush()
    }
}

/// Writes bytes as a JSON string, or `{"hex": "..."}` when they are not UTF-8.
pub fn write_json_bytes<W: Write>(out: &mut W, bytes: &[u8]) -> io::Result<()> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::to_writer(&mut *out, text).map_err(io::Error::other),
        Err(_) => {
            out.write_all(b"{\"hex\":\"")?;
            for byte in bytes {
                write!(out, "{byte:02x}")?;
            }
            out.write_all(b"\"}")
        }
    }
}

fn json_score<W: Write>(out: &mut W, score: f64) -> io::Result<()> {
    if score.is_finite() {
        write!(out, "{score}")
    } else {
        write!(out, "\"{}\"", String::from_utf8_lossy(&score_text(score)))
    }
}

fn id_text(id: StreamId) -> Vec<u8> {
    id.to_string().into_bytes()
}

fn int_text(n: impl itoa::Integer) -> Vec<u8> {
    itoa::Buffer::new().format(n).as_bytes().to_vec()
}

impl<W: Write> Dumper<W> {
    /// A dumper writing to `out`.
    pub fn new(out: W, format: DumpFormat, filter: Filter) -> Self {
        Self {
            out: Output::new(out),
            format,
            filter,
            header: None,
            batch: Vec::new(),
            batch_ttls: Vec::new(),
            count: 0,
            stream: None,
            skipping: false,
            selected_db: None,
            keys: 0,
            modules_skipped: 0,
        }
    }

    /// The output, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out.inner)
    }

    /// Writes a plain command (AOF dumps).
    pub fn command(&mut self, args: &[Vec<u8>], file: &str) -> io::Result<()> {
        match self.format {
            DumpFormat::Resp => {
                let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                self.out.command(&refs)
            }
            DumpFormat::Json => {
                self.out.write_all(b"{\"file\":")?;
                serde_json::to_writer(&mut self.out, file).map_err(io::Error::other)?;
                self.out.write_all(b",\"command\":[")?;
                for (index, arg) in args.iter().enumerate() {
                    if index > 0 {
                        self.out.write_all(b",")?;
                    }
                    write_json_bytes(&mut self.out, arg)?;
                }
                self.out.write_all(b"]}\n")
            }
        }
    }

    /// Writes a `#TS` annotation (JSON only; RESP has no comments).
    pub fn timestamp(&mut self, seconds: i64) -> io::Result<()> {
        if self.format == DumpFormat::Json {
            writeln!(self.out, "{{\"timestamp\":{seconds}}}")?;
        }
        Ok(())
    }

    /// Handles one RDB item.
    #[inline]
    pub fn item(&mut self, item: Item) -> io::Result<()> {
        match item {
            Item::Function { code } if self.filter.is_empty() => match self.format {
                DumpFormat::Resp => self.out.command(&[b"FUNCTION", b"LOAD", &code]),
                DumpFormat::Json => {
                    self.out.write_all(b"{\"type\":\"function\",\"code\":")?;
                    write_json_bytes(&mut self.out, &code)?;
                    self.out.write_all(b"}\n")
                }
            },
            Item::Key(header) => {
                self.skipping = !self.filter.accepts(&header);
                if self.skipping {
                    return Ok(());
                }
                if header.rdb_type.kind() == ValueKind::Module && self.format == DumpFormat::Resp {
                    self.modules_skipped += 1;
                    self.skipping = true;
                    return Ok(());
                }
                self.keys += 1;
                self.start_key(header)
            }
            Item::Element(element) if !self.skipping => self.element(element),
            Item::KeyEnd if !self.skipping => self.end_key(),
            _ => Ok(()),
        }
    }

    fn start_key(&mut self, header: KeyHeader) -> io::Result<()> {
        match self.format {
            DumpFormat::Resp => {
                if self.selected_db != Some(header.db) {
                    self.out.command(&[b"SELECT", &int_text(header.db)])?;
                    self.selected_db = Some(header.db);
                }
            }
            DumpFormat::Json => {
                write!(self.out, "{{\"db\":{},\"key\":", header.db)?;
                write_json_bytes(&mut self.out, &header.key)?;
                write!(
                    self.out,
                    ",\"type\":\"{}\",\"encoding\":\"{}\"",
                    header.rdb_type.kind().name(),
                    header.rdb_type.encoding_name()
                )?;
                if let Some(expire) = header.expire_ms {
                    write!(self.out, ",\"expire_ms\":{expire}")?;
                }
                let open = match header.rdb_type.kind() {
                    ValueKind::String | ValueKind::Module => "",
                    ValueKind::List | ValueKind::Set | ValueKind::SortedSet => "[",
                    ValueKind::Hash => "{",
                    ValueKind::Stream => "{\"entries\":[",
                };
                write!(self.out, ",\"value\":{open}")?;
            }
        }
        self.count = 0;
        self.header = Some(header);
        Ok(())
    }

    fn flush_batch(&mut self) -> io::Result<()> {
        let Some(header) = &self.header else {
            return Ok(());
        };
        if self.batch.is_empty() {
            return Ok(());
        }
        let verb: &[u8] = match header.rdb_type.kind() {
            ValueKind::List => b"RPUSH",
            ValueKind::Set => b"SADD",
            ValueKind::SortedSet => b"ZADD",
            _ => b"HSET",
        };
        let mut args: Vec<&[u8]> = Vec::with_capacity(self.batch.len() + 2);
        args.push(verb);
        args.push(&header.key);
        args.extend(self.batch.iter().map(Vec::as_slice));
        self.out.command(&args)?;
        for (field, expire) in &self.batch_ttls {
            self.out.command(&[
                b"HPEXPIREAT",
                &header.key,
                &int_text(*expire),
                b"FIELDS",
                b"1",
                field,
            ])?;
        }
        self.batch.clear();
        self.batch_ttls.clear();
        Ok(())
    }

    fn element(&mut self, element: Element) -> io::Result<()> {
        match self.format {
            DumpFormat::Resp => self.resp_element(element),
            DumpFormat::Json => self.json_element(element),
        }
    }

    fn resp_element(&mut self, element: Element) -> io::Result<()> {
        let Some(header) = &self.header else {
            return Ok(());
        };
        let key = &header.key;
        match element {
            Element::String(value) => {
                self.out.command(&[b"SET", key, &value])?;
            }
            Element::ListItem(item) | Element::SetMember(item) => self.batch.push(item),
            Element::ZsetMember { member, score } => {
                self.batch.push(score_text(score));
                self.batch.push(member);
            }
            Element::HashField {
                field,
                value,
                expire_ms,
            } => {
                if let Some(expire) = expire_ms {
                    self.batch_ttls.push((field.clone(), expire));
                }
                self.batch.push(field);
                self.batch.push(value);
            }
            Element::StreamEntry(entry) => {
                let id = id_text(entry.id);
                let mut args: Vec<&[u8]> = vec![b"XADD", key, &id];
                for (field, value) in &entry.fields {
                    args.push(field);
                    args.push(value);
                }
                self.out.command(&args)?;
                stream(&mut self.stream).entries += 1;
            }
            Element::StreamMeta(meta) => {
                stream(&mut self.stream).last_id = meta.last_id;
                let last = id_text(meta.last_id);
                if stream(&mut self.stream).entries == 0 {
                    // An empty stream: create it with a trimmed entry, then restore its IDs.
                    let id = if meta.last_id == StreamId::default() {
                        b"0-1".to_vec()
                    } else {
                        last.clone()
                    };
                    self.out
                        .command(&[b"XADD", key, b"MAXLEN", b"0", &id, b"x", b"y"])?;
                }
                let mut args: Vec<Vec<u8>> = vec![b"XSETID".to_vec(), key.clone(), last];
                if let (Some(added), Some(max_deleted)) = (meta.entries_added, meta.max_deleted_id)
                {
                    args.push(b"ENTRIESADDED".to_vec());
                    args.push(int_text(added));
                    args.push(b"MAXDELETEDID".to_vec());
                    args.push(id_text(max_deleted));
                }
                let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                self.out.command(&refs)?;
            }
            Element::StreamGroup(group) => {
                let last = id_text(group.last_id);
                let mut args: Vec<Vec<u8>> = vec![
                    b"XGROUP".to_vec(),
                    b"CREATE".to_vec(),
                    key.clone(),
                    group.name.clone(),
                    last,
                ];
                if let Some(read) = group.entries_read.filter(|&n| n >= 0) {
                    args.push(b"ENTRIESREAD".to_vec());
                    args.push(int_text(read));
                }
                let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                self.out.command(&refs)?;
                stream(&mut self.stream).group = Some(group.name);
                stream(&mut self.stream).pending.clear();
            }
            Element::StreamPending(pending) => {
                stream(&mut self.stream).pending.insert(pending.id, pending);
            }
            Element::StreamConsumer(consumer) => {
                let group = stream(&mut self.stream).group.clone().unwrap_or_default();
                self.out
                    .command(&[b"XGROUP", b"CREATECONSUMER", key, &group, &consumer.name])?;
                stream(&mut self.stream).consumer = Some(consumer.name);
            }
            Element::StreamConsumerPending(id) => {
                let group = stream(&mut self.stream).group.clone().unwrap_or_default();
                let consumer = stream(&mut self.stream)
                    .consumer
                    .clone()
                    .unwrap_or_default();
                let (time, count) = stream(&mut self.stream)
                    .pending
                    .get(&id)
                    .map_or((0, 1), |p| (p.delivery_time_ms, p.delivery_count));
                self.out.command(&[
                    b"XCLAIM",
                    key,
                    &group,
                    &consumer,
                    b"0",
                    &id_text(id),
                    b"TIME",
                    &int_text(time),
                    b"RETRYCOUNT",
                    &int_text(count),
                    b"FORCE",
                    b"JUSTID",
                ])?;
            }
            Element::Module(_) => {}
        }
        let full = self.batch.len() >= BATCH * 2;
        if full {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn json_element(&mut self, element: Element) -> io::Result<()> {
        if self.header.is_none() {
            return Ok(());
        }
        let out = &mut self.out;
        let separator = |out: &mut Output<W>, count: &mut u64| -> io::Result<()> {
            if *count > 0 {
                out.write_all(b",")?;
            }
            *count += 1;
            Ok(())
        };
        match element {
            Element::String(value) => write_json_bytes(out, &value)?,
            Element::ListItem(item) | Element::SetMember(item) => {
                separator(out, &mut self.count)?;
                write_json_bytes(out, &item)?;
            }
            Element::ZsetMember { member, score } => {
                separator(out, &mut self.count)?;
                out.write_all(b"[")?;
                write_json_bytes(out, &member)?;
                out.write_all(b",")?;
                json_score(out, score)?;
                out.write_all(b"]")?;
            }
            Element::HashField {
                field,
                value,
                expire_ms,
            } => {
                separator(out, &mut self.count)?;
                match std::str::from_utf8(&field) {
                    Ok(text) => serde_json::to_writer(&mut *out, text).map_err(io::Error::other)?,
                    Err(_) => {
                        let hex: String = field.iter().map(|b| format!("{b:02x}")).collect();
                        serde_json::to_writer(&mut *out, &format!("hex:{hex}"))
                            .map_err(io::Error::other)?;
                    }
                }
                out.write_all(b":")?;
                match expire_ms {
                    None => write_json_bytes(out, &value)?,
                    Some(expire) => {
                        out.write_all(b"{\"value\":")?;
                        write_json_bytes(out, &value)?;
                        write!(out, ",\"expire_ms\":{expire}}}")?;
                    }
                }
            }
            Element::StreamEntry(entry) => {
                separator(out, &mut self.count)?;
                write!(out, "{{\"id\":\"{}\",\"fields\":[", entry.id)?;
                for (index, (field, value)) in entry.fields.iter().enumerate() {
                    if index > 0 {
                        out.write_all(b",")?;
                    }
                    write_json_bytes(out, field)?;
                    out.write_all(b",")?;
                    write_json_bytes(out, value)?;
                }
                out.write_all(b"]}")?;
            }
            Element::StreamMeta(meta) => {
                write!(
                    out,
                    "],\"length\":{},\"last_id\":\"{}\"",
                    meta.length, meta.last_id
                )?;
                if let Some(first) = meta.first_id {
                    write!(out, ",\"first_id\":\"{first}\"")?;
                }
                if let Some(max_deleted) = meta.max_deleted_id {
                    write!(out, ",\"max_deleted_id\":\"{max_deleted}\"")?;
                }
                if let Some(added) = meta.entries_added {
                    write!(out, ",\"entries_added\":{added}")?;
                }
                out.write_all(b",\"groups\":[")?;
            }
            Element::StreamGroup(group) => {
                let stream = stream(&mut self.stream);
                close_group(out, stream)?;
                separator(out, &mut stream.json_groups)?;
                out.write_all(b"{\"name\":")?;
                write_json_bytes(out, &group.name)?;
                write!(out, ",\"last_id\":\"{}\"", group.last_id)?;
                if let Some(read) = group.entries_read {
                    write!(out, ",\"entries_read\":{read}")?;
                }
                out.write_all(b",\"pending\":[")?;
                stream.json_in_pending = true;
                stream.json_consumers = 0;
                stream.group = Some(group.name);
                self.count = 0;
            }
            Element::StreamPending(pending) => {
                separator(out, &mut self.count)?;
                write!(
                    out,
                    "{{\"id\":\"{}\",\"delivery_time_ms\":{},\"delivery_count\":{}}}",
                    pending.id, pending.delivery_time_ms, pending.delivery_count
                )?;
            }
            Element::StreamConsumer(consumer) => {
                let stream = stream(&mut self.stream);
                if stream.json_in_pending {
                    out.write_all(b"],\"consumers\":[")?;
                    stream.json_in_pending = false;
                } else {
                    out.write_all(b"]}")?;
                }
                separator(out, &mut stream.json_consumers)?;
                out.write_all(b"{\"name\":")?;
                write_json_bytes(out, &consumer.name)?;
                write!(out, ",\"seen_time_ms\":{}", consumer.seen_time_ms)?;
                if let Some(active) = consumer.active_time_ms {
                    write!(out, ",\"active_time_ms\":{active}")?;
                }
                out.write_all(b",\"pending\":[")?;
                stream.json_consumer_ids = 0;
            }
            Element::StreamConsumerPending(id) => {
                separator(out, &mut stream(&mut self.stream).json_consumer_ids)?;
                write!(out, "\"{id}\"")?;
            }
            Element::Module(module) => {
                write!(
                    out,
                    "{{\"module\":\"{}\",\"encoding_version\":{},\"size\":{}}}",
                    module.module.name(),
                    module.module.encoding_version(),
                    module.size
                )?;
            }
        }
        Ok(())
    }

    fn end_key(&mut self) -> io::Result<()> {
        self.flush_batch()?;
        let Some(header) = self.header.take() else {
            return Ok(());
        };
        match self.format {
            DumpFormat::Resp => {
                if let Some(expire) = header.expire_ms {
                    self.out
                        .command(&[b"PEXPIREAT", &header.key, &int_text(expire)])?;
                }
            }
            DumpFormat::Json => {
                let close: &[u8] = match header.rdb_type.kind() {
                    ValueKind::String | ValueKind::Module => b"}\n",
                    ValueKind::List | ValueKind::Set | ValueKind::SortedSet => b"]}\n",
                    ValueKind::Hash => b"}}\n",
                    ValueKind::Stream => {
                        if let Some(stream) = &mut self.stream {
                            close_group(&mut self.out, stream)?;
                        }
                        b"]}}\n"
                    }
                };
                self.out.write_all(close)?;
            }
        }
        self.stream = None;
        Ok(())
    }
}

/// Closes the JSON of the group being written, if any.
fn close_group<W: Write>(out: &mut W, stream: &mut StreamDump) -> io::Result<()> {
    if stream.group.take().is_some() {
        if stream.json_in_pending {
            out.write_all(b"],\"consumers\":[]}")?;
        } else {
            out.write_all(b"]}]}")?;
        }
        stream.json_in_pending = false;
    }
    Ok(())
}
