//! Fuzzes the AOF reader: any single-file AOF (RESP commands, inline-looking garbage, an RDB
//! preamble) and any manifest text must end in items, a clean end, a truncation report or a typed
//! error — never a panic, a hang or an unbounded allocation. The reader works on paths, so each input
//! is written to a per-process file on tmpfs first.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use ferry_rdb::aof::{parse_manifest, AofReader};
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("ferry-fuzz-aof-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let file = scratch().join("fuzz.aof");
    std::fs::write(&file, data).expect("scratch file");
    if let Ok(mut reader) = AofReader::open(&file) {
        for _ in 0..100_000 {
            match reader.next_item() {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        let _ = reader.truncation();
    }
    let manifest = scratch().join("fuzz.aof.manifest");
    std::fs::write(&manifest, data).expect("scratch file");
    let _ = parse_manifest(&manifest);
});
