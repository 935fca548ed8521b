//! Small utilities every domain uses, written once: the time, random tokens, hashing.

use chrono::NaiveDateTime;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Now, in UTC, as stored (rows keep naive UTC times).
pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Lower-case hexadecimal of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A random secret of `bytes` bytes from the operating system's generator, as hex.
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex(&b)
}

/// SHA-256 of a text, as hex (how one-time secrets are stored).
pub fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_and_hashes_are_lower_case_and_of_the_right_length() {
        assert_eq!(super::hex(&[0, 15, 255]), "000fff");
        let a = super::random_hex(32);
        assert_eq!(a.len(), 64);
        assert_ne!(a, super::random_hex(32));
        assert_eq!(
            super::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
