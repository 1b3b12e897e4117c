//! The AOF reader (docs/RDB_FORMAT.md §11): a single AOF file, a file with an RDB preamble, or a
//! multi-part directory with its manifest (base, incremental and history files). Commands are yielded
//! one at a time; a truncated tail of the last file is handled as `aof-load-truncated yes` does (the
//! partial command — or an unfinished MULTI — is dropped and reported), a malformed middle is an error
//! naming the file and byte offset.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use crate::error::{escape_bytes, RdbError};
use crate::reader::{Item, RdbReader, ReaderOptions};

/// What a file of a multi-part AOF is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AofFileKind {
    /// The base: an RDB or a RESP rewrite.
    Base,
    /// Incremental commands after the base.
    Incr,
    /// Left over from a rewrite; not loaded.
    History,
    /// A standalone AOF file (no manifest).
    Single,
}

/// One file of the AOF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofFile {
    /// Its path.
    pub path: PathBuf,
    /// Its role.
    pub kind: AofFileKind,
    /// Sequence number from the manifest.
    pub seq: Option<u64>,
}

/// An item of an AOF.
#[derive(Debug, Clone, PartialEq)]
pub enum AofItem {
    /// A file starts (index into [`AofReader::files`]).
    FileStart(usize),
    /// An item of the current file's RDB preamble.
    Rdb(Item),
    /// A command as the server executed it.
    Command(Vec<Vec<u8>>),
    /// A `#TS:<unix seconds>` annotation.
    Timestamp(i64),
}

/// Where the tail was cut when the last file ended inside a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The file.
    pub path: PathBuf,
    /// Offset of the first dropped byte; everything before it was read.
    pub valid_len: u64,
    /// Commands of an unfinished MULTI that were dropped.
    pub dropped_transaction: usize,
}

/// An AOF that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AofError {
    /// A file or the manifest could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The manifest is malformed.
    #[error("{path}: bad manifest line {line}: {reason}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Bad RESP in the middle of a file (not a truncated tail).
    #[error("{path}: bad file format reading the append only file at byte {offset}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// Byte offset in the file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A file other than the last ends inside a command.
    #[error(
        "{path}: unexpected end of file at byte {offset} (only the last AOF file may be truncated)"
    )]
    TruncatedMiddle {
        /// The file.
        path: PathBuf,
        /// Where it ends.
        offset: u64,
    },
    /// The RDB preamble is corrupt.
    #[error("{path}: RDB preamble: {source}")]
    Preamble {
        /// The file.
        path: PathBuf,
        /// The RDB error.
        source: RdbError,
    },
}

/// Splits a manifest line into arguments as `sdssplitargs` does (quotes and escapes).
fn split_args(line: &str) -> Option<Vec<String>> {
    let mut args = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return Some(args);
        };
        let mut arg = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                let c = chars.next()?;
                if c == first {
                    break;
                }
                if c == '\\' && first == '"' {
                    let escaped = chars.next()?;
                    arg.push(match escaped {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'b' => '\u{8}',
                        'a' => '\u{7}',
                        'x' => {
                            let hex: String = [chars.next()?, chars.next()?].iter().collect();
                            char::from(u8::from_str_radix(&hex, 16).ok()?)
                        }
                        other => other,
                    });
                } else if c == '\\' && chars.peek() == Some(&'\'') {
                    arg.push(chars.next()?);
                } else {
                    arg.push(c);
                }
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                return None;
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                arg.push(c);
                chars.next();
            }
        }
        args.push(arg);
    }
}

/// Parses a manifest into its files, in load order (base, then incr in order; history last).
pub fn parse_manifest(path: &Path) -> Result<Vec<AofFile>, AofError> {
    let text = std::fs::read_to_string(path).map_err(|source| AofError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut files = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let bad = |reason: &str| AofError::Manifest {
            path: path.to_path_buf(),
            line: index + 1,
            reason: reason.to_string(),
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let args = split_args(line).ok_or_else(|| bad("unbalanced quotes"))?;
        if args.len() % 2 != 0 {
            return Err(bad("odd number of words"));
        }
        let (mut name, mut seq, mut kind) = (None, None, None);
        for pair in args.chunks(2) {
            match pair[0].as_str() {
                "file" => name = Some(pair[1].clone()),
                "seq" => seq = Some(pair[1].parse::<u64>().map_err(|_| bad("bad seq"))?),
                "type" => {
                    kind = Some(match pair[1].as_str() {
                        "b" => AofFileKind::Base,
                        "i" => AofFileKind::Incr,
                        "h" => AofFileKind::History,
                        _ => return Err(bad("unknown file type")),
                    })
                }
                _ => {} // unknown keys are ignored, as by the servers
            }
        }
        let name = name.ok_or_else(|| bad("no file name"))?;
        if name.contains('/') {
            return Err(bad("file name with a path"));
        }
        files.push(AofFile {
            path: dir.join(name),
            kind: kind.ok_or_else(|| bad("no file type"))?,
            seq,
        });
    }
    if files.iter().filter(|f| f.kind == AofFileKind::Base).count() > 1 {
        return Err(AofError::Manifest {
            path: path.to_path_buf(),
            line: 0,
            reason: "more than one base file".into(),
        });
    }
    files.sort_by_key(|f| match f.kind {
        AofFileKind::Base => 0,
        AofFileKind::Incr | AofFileKind::Single => 1,
        AofFileKind::History => 2,
    });
    Ok(files)
}

/// Finds the files of the AOF at `path`: a directory holding a manifest, a manifest, or one file.
pub fn locate(path: &Path) -> Result<Vec<AofFile>, AofError> {
    let io_error = |source| AofError::Io {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if metadata.is_dir() {
        let mut manifests = Vec::new();
        for entry in std::fs::read_dir(path).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            if entry.file_name().to_string_lossy().ends_with(".manifest") {
                manifests.push(entry.path());
            }
        }
        match manifests.as_slice() {
            [manifest] => parse_manifest(manifest),
            [] => Err(io_error(io::Error::new(
                io::ErrorKind::NotFound,
                "no .manifest file in the directory",
            ))),
            _ => Err(io_error(io::Error::new(
                io::ErrorKind::InvalidData,
                "more than one .manifest file in the directory",
            ))),
        }
    } else if path.to_string_lossy().ends_with(".manifest") {
        parse_manifest(path)
    } else {
        Ok(vec![AofFile {
            path: path.to_path_buf(),
            kind: AofFileKind::Single,
            seq: None,
        }])
    }
}

/// RESP command input with a byte offset.
struct Commands {
    input: Box<dyn BufRead>,
    offset: u64,
}

/// Outcome of reading one command.
enum Parsed {
    Command(Vec<Vec<u8>>),
    Timestamp(i64),
    End,
    /// The input ended inside a command starting at this offset.
    Truncated(u64),
}

impl Commands {
    /// Reads a line ending in CRLF; `None` at a clean end of input.
    fn line(&mut self, max: usize) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let read = (&mut self.input)
            .take(max as u64 + 2)
            .read_until(b'\n', &mut line)?;
        self.offset += read as u64;
        if read == 0 {
            return Ok(None);
        }
        Ok(Some(line))
    }

    fn next(&mut self, path: &Path) -> Result<Parsed, AofError> {
        let start = self.offset;
        let io_error = |source| AofError::Io {
            path: path.to_path_buf(),
            source,
        };
        let format = |offset: u64, reason: &str| AofError::Format {
            path: path.to_path_buf(),
            offset,
            reason: reason.to_string(),
        };
        let Some(header) = self.line(64 * 1024).map_err(io_error)? else {
            return Ok(Parsed::End);
        };
        if !header.ends_with(b"\r\n") {
            // As Valkey: a partial line is a truncated tail only if it starts like a command.
            if header.len() > 64 * 1024 || !matches!(header[0], b'*' | b'#') {
                return Err(format(start, "expected '*<count>'"));
            }
            return Ok(Parsed::Truncated(start));
        }
        let header = &header[..header.len() - 2];
        if let Some(annotation) = header.strip_prefix(b"#") {
            if let Some(ts) = annotation.strip_prefix(b"TS:") {
                let seconds = std::str::from_utf8(ts)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format(start, "bad #TS annotation"))?;
                return Ok(Parsed::Timestamp(seconds));
            }
            return self.next(path);
        }
        let count = header
            .strip_prefix(b"*")
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                format(
                    start,
                    &format!(
                        "expected '*<count>', found '{}'",
                        escape_bytes(&header[..header.len().min(40)])
                    ),
                )
            })?;
        let mut args = Vec::with_capacity(count.min(1024) as usize);
        for _ in 0..count {
            let arg_start = self.offset;
            let Some(line) = self.line(32).map_err(io_error)? else {
                return Ok(Parsed::Truncated(start));
            };
            if !line.ends_with(b"\r\n") {
                if line.len() > 32 || line[0] != b'$' {
                    return Err(format(arg_start, "expected '$<length>'"));
                }
                return Ok(Parsed::Truncated(start));
            }
            let len = line[..line.len() - 2]
                .strip_prefix(b"$")
                .and_then(|n| std::str::from_utf8(n).ok())
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| format(arg_start, "expected '$<length>'"))?;
            let mut arg = Vec::with_capacity(len.min(1 << 20) as usize);
            let read = (&mut self.input)
                .take(len + 2)
                .read_to_end(&mut arg)
                .map_err(io_error)?;
            self.offset += read as u64;
            if (read as u64) < len + 2 {
                return Ok(Parsed::Truncated(start));
            }
            if !arg.ends_with(b"\r\n") {
                return Err(format(self.offset - 2, "argument not followed by CRLF"));
            }
            arg.truncate(arg.len() - 2);
            args.push(arg);
        }
        Ok(Parsed::Command(args))
    }
}

enum Stage {
    NextFile,
    Preamble(Box<RdbReader<BufReader<File>>>),
    Commands(Commands),
    Done,
}

/// Reads an AOF item by item.
pub struct AofReader {
    files: Vec<AofFile>,
    /// Index of the file being read.
    current: usize,
    stage: Stage,
    /// Commands of an open MULTI, with the offset of the MULTI.
    transaction: Option<(u64, Vec<Vec<Vec<u8>>>)>,
    ready: std::collections::VecDeque<AofItem>,
    truncation: Option<Truncation>,
    options: ReaderOptions,
}

impl AofReader {
    /// Opens the AOF at `path` (directory, manifest or single file).
    pub fn open(path: &Path) -> Result<Self, AofError> {
        let files = locate(path)?;
        Ok(Self {
            files,
            current: 0,
            stage: Stage::NextFile,
            transaction: None,
            ready: Default::default(),
            truncation: None,
            options: ReaderOptions::default(),
        })
    }

    /// All files, in load order (history files last; they are listed but not read).
    pub fn files(&self) -> &[AofFile] {
        &self.files
    }

    /// Set once the end is reached if the tail was truncated.
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_ref()
    }

    fn loaded_files(&self) -> usize {
        self.files
            .iter()
            .filter(|f| f.kind != AofFileKind::History)
            .count()
    }

    /// The next item, `None` at the end.
    pub fn next_item(&mut self) -> Result<Option<AofItem>, AofError> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Ok(Some(item));
            }
            match &mut self.stage {
                Stage::Done => return Ok(None),
                Stage::NextFile => {
                    if self.current >= self.loaded_files() {
                        self.stage = Stage::Done;
                        continue;
                    }
                    let path = self.files[self.current].path.clone();
                    let file = File::open(&path).map_err(|source| AofError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    let mut input = BufReader::with_capacity(64 * 1024, file);
                    let head = input.fill_buf().map_err(|source| AofError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    self.stage = if head.starts_with(b"REDIS") || head.starts_with(b"VALKEY") {
                        let reader = RdbReader::with_options(input, self.options)
                            .map_err(|source| AofError::Preamble { path, source })?;
                        Stage::Preamble(Box::new(reader))
                    } else {
                        Stage::Commands(Commands {
                            input: Box::new(input),
                            offset: 0,
                        })
                    };
                    return Ok(Some(AofItem::FileStart(self.current)));
                }
                Stage::Preamble(reader) => {
                    match reader.next_item() {
                        Ok(Some(item)) => return Ok(Some(AofItem::Rdb(item))),
                        Ok(None) => {}
                        Err(source) => {
                            return Err(AofError::Preamble {
                                path: self.files[self.current].path.clone(),
                                source,
                            })
                        }
                    }
                    let offset = reader.offset();
                    let Stage::Preamble(reader) = std::mem::replace(&mut self.stage, Stage::Done)
                    else {
                        continue;
                    };
                    let (buffered, rest) = reader.into_remainder();
                    self.stage = Stage::Commands(Commands {
                        input: Box::new(Cursor::new(buffered).chain(rest)),
                        offset,
                    });
                }
                Stage::Commands(commands) => {
                    let path = self.files[self.current].path.clone();
                    let parsed = commands.next(&path)?;
                    let offset = commands.offset;
                    match parsed {
                        Parsed::Command(args) => self.command(args, offset),
                        Parsed::Timestamp(seconds) => return Ok(Some(AofItem::Timestamp(seconds))),
                        Parsed::End => self.end_of_file(path, offset, None)?,
                        Parsed::Truncated(at) => self.end_of_file(path, at, Some(at))?,
                    }
                }
            }
        }
    }

    fn command(&mut self, args: Vec<Vec<u8>>, end_offset: u64) {
        let name = args[0].to_ascii_uppercase();
        match (&mut self.transaction, name.as_slice()) {
            (None, b"MULTI") => {
                let start = end_offset - resp_len(&args);
                self.transaction = Some((start, vec![args]));
            }
            (Some((_, queued)), b"EXEC") => {
                queued.push(args);
                let queued = std::mem::take(queued);
                self.transaction = None;
                self.ready.extend(queued.into_iter().map(AofItem::Command));
            }
            (Some((_, queued)), _) => queued.push(args),
            (None, _) => self.ready.push_back(AofItem::Command(args)),
        }
    }

    fn end_of_file(
        &mut self,
        path: PathBuf,
        offset: u64,
        truncated_at: Option<u64>,
    ) -> Result<(), AofError> {
        let last = self.current + 1 == self.loaded_files();
        if let Some(at) = truncated_at {
            if !last {
                return Err(AofError::TruncatedMiddle { path, offset: at });
            }
        }
        if last {
            let open = self.transaction.take();
            if truncated_at.is_some() || open.is_some() {
                let valid_len = open
                    .as_ref()
                    .map_or(offset, |(start, _)| *start.min(&offset));
                self.truncation = Some(Truncation {
                    path,
                    valid_len,
                    dropped_transaction: open.map_or(0, |(_, queued)| queued.len()),
                });
            }
        }
        self.current += 1;
        self.stage = Stage::NextFile;
        Ok(())
    }
}

/// Bytes of a command in RESP form (to find where a MULTI started).
fn resp_len(args: &[Vec<u8>]) -> u64 {
    let digits = |n: usize| n.to_string().len() as u64;
    let mut total = 1 + digits(args.len()) + 2;
    for arg in args {
        total += 1 + digits(arg.len()) + 2 + arg.len() as u64 + 2;
    }
    total
}

impl Iterator for AofReader {
    type Item = Result<AofItem, AofError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_item().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines_split_like_sdssplitargs() {
        assert_eq!(
            split_args(r#"file "a b.aof" seq 1 type b"#).unwrap(),
            vec!["file", "a b.aof", "seq", "1", "type", "b"]
        );
        assert_eq!(
            split_args(r#"file "x\x41\n""#).unwrap(),
            vec!["file", "xA\n"]
        );
        assert!(split_args(r#"file "open"#).is_none());
    }

    fn read_all(bytes: &[u8]) -> (Vec<AofItem>, Option<Truncation>, Option<AofError>) {
        let dir = std::env::temp_dir().join(format!("ferry-aof-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}.aof", crate::CRC64.checksum(bytes)));
        std::fs::write(&path, bytes).unwrap();
        let mut reader = AofReader::open(&path).unwrap();
        let mut items = Vec::new();
        let mut error = None;
        loop {
            match reader.next_item() {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        std::fs::remove_file(&path).ok();
        (items, reader.truncation().cloned(), error)
    }

    fn commands(items: &[AofItem]) -> Vec<String> {
        items
            .iter()
            .filter_map(|i| match i {
                AofItem::Command(args) => Some(
                    args.iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                _ => None,
            })
            .collect()
    }

    const SET: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";

    #[test]
    fn commands_timestamps_and_transactions() {
        let mut file = b"#TS:1700000000\r\n".to_vec();
        file.extend_from_slice(SET);
        file.extend_from_slice(
            b"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n",
        );
        let (items, truncation, error) = read_all(&file);
        assert!(error.is_none() && truncation.is_none());
        assert!(items.contains(&AofItem::Timestamp(1_700_000_000)));
        assert_eq!(commands(&items), vec!["SET k v", "MULTI", "INCR n", "EXEC"]);
    }

    #[test]
    fn truncated_tail_and_open_multi() {
        let mut file = SET.to_vec();
        file.extend_from_slice(&SET[..10]);
        let (items, truncation, error) = read_all(&file);
        assert!(error.is_none());
        assert_eq!(commands(&items), vec!["SET k v"]);
        assert_eq!(truncation.unwrap().valid_len, SET.len() as u64);

        let mut file = SET.to_vec();
        file.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
        file.extend_from_slice(SET);
        let (items, truncation, _) = read_all(&file);
        assert_eq!(commands(&items), vec!["SET k v"]);
        let truncation = truncation.unwrap();
        assert_eq!(truncation.valid_len, SET.len() as u64);
        assert_eq!(truncation.dropped_transaction, 2);
    }

    #[test]
    fn garbage_is_an_error_with_its_offset() {
        let mut file = SET.to_vec();
        file.extend_from_slice(b"!oops\r\n");
        file.extend_from_slice(SET);
        let (_, _, error) = read_all(&file);
        match error {
            Some(AofError::Format { offset, .. }) => assert_eq!(offset, SET.len() as u64),
            other => panic!("{other:?}"),
        }
    }
}
