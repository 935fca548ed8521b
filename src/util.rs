//! Small utilities every domain uses, written once: the time, random tokens, hashing.

use chrono::NaiveDateTime;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The service's clock: the system's time, moved by an offset that only tests set (to see a
/// credential expire or a deadline pass without rewriting rows). Cheap to clone; clones share
/// the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// Now by this clock, in UTC, to the microsecond: the finest time PostgreSQL keeps, so a
    /// time stored on SQLite is the same after a move to PostgreSQL and back (with nanoseconds,
    /// `academy export`/`import` dropped the last three digits of every stored time).
    pub fn now(&self) -> NaiveDateTime {
        use chrono::SubsecRound;
        let offset = self.offset_ms.load(std::sync::atomic::Ordering::Relaxed);
        (chrono::Utc::now().naive_utc() + chrono::Duration::milliseconds(offset)).trunc_subsecs(6)
    }

    /// A clock that reads `at` now and runs on from there (the demo dates its history at the
    /// time it happened).
    pub fn at(at: NaiveDateTime) -> Clock {
        let clock = Clock::default();
        clock.set(at);
        clock
    }

    /// Sets this clock (and every clone of it) to read `at` now.
    pub fn set(&self, at: NaiveDateTime) {
        let offset = (at - chrono::Utc::now().naive_utc()).num_milliseconds();
        self.offset_ms
            .store(offset, std::sync::atomic::Ordering::Relaxed);
    }

    /// Moves this clock (and every clone of it) forward by `by` (for tests).
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), std::sync::atomic::Ordering::Relaxed);
    }
}

thread_local! {
    static CLOCK: std::cell::RefCell<Option<Clock>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `clock` as the time [`now`] tells on this thread (the database handle does this
/// around every unit of work, so every service sees its service's clock).
pub fn with_clock<T>(clock: &Clock, f: impl FnOnce() -> T) -> T {
    let before = CLOCK.with(|c| c.replace(Some(clock.clone())));
    let out = f();
    CLOCK.with(|c| *c.borrow_mut() = before);
    out
}

/// Sets `clock` as the time [`now`] tells on this thread until the guard is dropped (the demo
/// seeds each part of its history at its own date).
pub fn clock_guard(clock: Clock) -> ClockGuard {
    ClockGuard(CLOCK.with(|c| c.replace(Some(clock))))
}

/// Puts back the clock that was in force before [`clock_guard`].
pub struct ClockGuard(Option<Clock>);

impl Drop for ClockGuard {
    fn drop(&mut self) {
        let before = self.0.take();
        CLOCK.with(|c| *c.borrow_mut() = before);
    }
}

/// Now, in UTC, as stored (rows keep naive UTC times): by the clock of the service whose work
/// runs on this thread, else the system's.
pub fn now() -> NaiveDateTime {
    use chrono::SubsecRound;
    CLOCK
        .with(|c| c.borrow().as_ref().map(Clock::now))
        .unwrap_or_else(|| chrono::Utc::now().naive_utc().trunc_subsecs(6))
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
