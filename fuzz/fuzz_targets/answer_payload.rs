//! Answer payloads: validating and grading any JSON answer against every kind of shipped
//! question never panics and scores between 0 and the question's points.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| academy_fuzz::checks::answer_payload(data));
