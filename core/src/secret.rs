//! Secrets at rest and their comparison.
//!
//! Site secrets and provider secrets are long random strings, so a single SHA-256 is enough to
//! store them (no password stretching needed); comparisons run in constant time so response
//! timing reveals nothing about how much of a guess was right.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Hex SHA-256 of a secret, as stored.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether `candidate` is the secret whose hash is `stored_hash`.
pub fn matches_hash(candidate: &str, stored_hash: &str) -> bool {
    equal(hash(candidate).as_bytes(), stored_hash.as_bytes())
}

/// Constant-time equality of two byte strings (the length is not secret).
pub fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_only_its_secret() {
        let h = hash("s3cret");
        assert_eq!(h.len(), 64);
        assert!(matches_hash("s3cret", &h));
        assert!(!matches_hash("s3cres", &h));
        assert!(!matches_hash("", &h));
    }

    #[test]
    fn equal_needs_same_length_and_bytes() {
        assert!(equal(b"abc", b"abc"));
        assert!(!equal(b"abc", b"abd"));
        assert!(!equal(b"abc", b"abcd"));
    }
}
