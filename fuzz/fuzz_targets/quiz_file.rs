//! Quiz files: what loads obeys the format's rules, can be drawn and answered for full marks,
//! survives storage as JSON, and exports to GIFT that imports again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| academy_fuzz::checks::quiz_file(data));
