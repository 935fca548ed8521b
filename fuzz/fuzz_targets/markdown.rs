//! Markdown render + sanitise: never fails below the size limit; no script, event handler
//! or non-http(s)/mailto URL survives (`academy::course::render::render_markdown`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| academy_fuzz::checks::markdown(data));
