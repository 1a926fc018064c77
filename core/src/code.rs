//! One-time codes: drawn from a CSPRNG, kept only as a keyed hash, compared in constant time.
//!
//! The hash is an HMAC under a server secret and bound to one attempt of one verification, so a
//! leaked record can neither be brute-forced offline (a 6-digit space is tiny) nor replayed
//! against another attempt.

use crate::random::Randomness;
use crate::secret;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What is stored of a code: never the code itself.
/// The code a test key's verification accepts, cut to the channel's length (`1234` for a
/// flash call, whose code is the calling number's last four digits).
pub const TEST_CODE: &str = "123456";

/// The fixed code for a test key's code of `length` digits.
pub fn test_code(length: u8) -> String {
    TEST_CODE
        .chars()
        .cycle()
        .take(usize::from(length))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCode {
    pub hash: String,
    pub length: u8,
    /// Wrong codes that may still be tried. A check spends one before it is evaluated.
    pub checks_left: u32,
}

/// A fresh code of `length` digits, bound to `binding` (verification id and attempt).
/// Returns the code, to be handed to the provider once, and what to store.
pub fn issue(
    rng: &mut impl Randomness,
    key: &[u8],
    binding: &str,
    length: u8,
    checks: u32,
) -> (String, StoredCode) {
    let code: String = (0..length)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect();
    let stored = stored(key, binding, &code, checks);
    (code, stored)
}

/// What is kept of `code`: its keyed hash, never the digits.
pub fn stored(key: &[u8], binding: &str, code: &str, checks: u32) -> StoredCode {
    StoredCode {
        hash: keyed_hash(key, binding, code),
        length: code.len() as u8,
        checks_left: checks,
    }
}

impl StoredCode {
    pub fn matches(&self, key: &[u8], binding: &str, candidate: &str) -> bool {
        secret::equal(
            keyed_hash(key, binding, candidate).as_bytes(),
            self.hash.as_bytes(),
        )
    }
}

/// Reads what a visitor typed: digits, perhaps spaced or dashed. `None` if it cannot be a code
/// of this length, so a typo does not cost a check.
pub fn normalise(typed: &str, length: u8) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == usize::from(length) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

fn keyed_hash(key: &[u8], binding: &str, code: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    // Domain separation: the same key also signs tokens.
    mac.update(b"ringproof code\0");
    mac.update(binding.as_bytes());
    mac.update(b"\0");
    mac.update(code.as_bytes());
    secret::hex(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::testing::Seeded;

    #[test]
    fn issued_code_matches_only_itself_and_its_binding() {
        let (code, stored) = issue(&mut Seeded(5), b"k", "v1/1", 6, 5);
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert!(!stored.hash.contains(&code));
        assert!(stored.matches(b"k", "v1/1", &code));
        assert!(!stored.matches(b"k", "v1/2", &code));
        assert!(!stored.matches(b"other", "v1/1", &code));
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert!(!stored.matches(b"k", "v1/1", wrong));
    }

    #[test]
    fn codes_cover_every_digit() {
        let mut rng = Seeded(11);
        let mut seen = [false; 10];
        for _ in 0..50 {
            let (c, _) = issue(&mut rng, b"k", "b", 4, 3);
            for b in c.bytes() {
                seen[usize::from(b - b'0')] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn typed_codes_are_read_leniently_but_strictly_sized() {
        assert_eq!(normalise(" 123-456 ", 6).as_deref(), Some("123456"));
        assert_eq!(normalise("12345", 6), None);
        assert_eq!(normalise("12a456", 6), None);
        assert_eq!(normalise("１２３４", 4), None, "only ASCII digits");
    }
}
