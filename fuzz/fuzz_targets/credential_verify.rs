//! Credential verification: a token that is not the issued one (byte for byte, after the
//! white space verification trims) never verifies, online (`verify_jwt`) or offline.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| academy_fuzz::checks::credential_verify(data));
