//! Module files (TOML front matter + Markdown body): what loads obeys the front-matter rules
//! and renders without script; problems point inside the file; `load_course` agrees.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| academy_fuzz::checks::module_file(data));
