//! E-mail headers: whatever the name, subject, address and template values, the built
//! message has no CR/LF inside a header value, only the expected fields, and one recipient.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| academy_fuzz::checks::email_headers(data));
