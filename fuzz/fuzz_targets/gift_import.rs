//! GIFT import: errors point inside the file; what imports obeys the documented rules,
//! exports and imports back unchanged, and can be served and answered for full marks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| academy_fuzz::checks::gift_import(data));
