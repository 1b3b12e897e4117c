//! Fuzzes RESTORE's path from network bytes to a stored value: a DUMP payload (the first input byte
//! picks the RDB version the trailer declares, the checksum is made valid so mutations reach the
//! decoders) goes through `rdb_bridge::restore_payload` with the default encoding limits. It must
//! end in a value or a typed error, never a panic; a value it accepts must DUMP to a payload that
//! restores again (what Valkey 9.1 would then read back from ferry).

#![no_main]

use ferry_rdb::dump::seal;
use ferry_rdb::RdbVersion;
use ferry_server::rdb_bridge::{dump_payload, restore_payload, Limits};
use ferry_server::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let version = match selector % 4 {
        0 => RdbVersion::VALKEY_9,
        1 => RdbVersion::REDIS_8,
        2 => RdbVersion::RDB_11,
        _ => RdbVersion::REDIS_7_0,
    };
    let limits = Limits::from_config(&Config::default());
    let payload = seal(body.to_vec(), version);
    if let Ok(value) = restore_payload(&payload, 3, &limits) {
        let again = dump_payload(&value);
        assert!(
            restore_payload(&again, 3, &limits).is_ok(),
            "ferry's own DUMP of an accepted value must restore"
        );
    }
});
