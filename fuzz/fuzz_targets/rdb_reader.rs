//! Fuzzes the RDB reader: any input must end in items, a clean end or a typed error — never a panic,
//! a hang or an unbounded allocation. Inputs starting with a valid header reach the value decoders;
//! the checksum is not verified so mutations are not all rejected at the end. The same bytes are also
//! tried as a DUMP payload body.

#![no_main]

use ferry_rdb::reader::{ModulePolicy, RdbReader, ReaderOptions};
use ferry_rdb::RdbVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = ReaderOptions {
        verify_checksum: false,
        modules: ModulePolicy::Skip,
    };
    let mut file = data.to_vec();
    if !file.starts_with(b"REDIS") && !file.starts_with(b"VALKEY") {
        let mut with_header = b"REDIS0012".to_vec();
        with_header.extend_from_slice(data);
        file = with_header;
    }
    if let Ok(reader) = RdbReader::with_options(file.as_slice(), options) {
        for item in reader.take(100_000) {
            if item.is_err() {
                break;
            }
        }
    }
    for version in [RdbVersion::VALKEY_9, RdbVersion::REDIS_8] {
        let reader = RdbReader::for_payload(data, version, options);
        for item in reader.take(100_000) {
            if item.is_err() {
                break;
            }
        }
    }
});
