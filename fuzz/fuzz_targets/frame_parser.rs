//! Fuzzes the client-side reply parser: arbitrary bytes must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((_, used))) = ferry_resp::frame::parse_frame(rest) {
        if used == 0 {
            break;
        }
        rest = &rest[used..];
    }
});
