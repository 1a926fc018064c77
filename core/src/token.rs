//! The proof a verified page hands to its server, checked once through siteverify.
//!
//! `rp1.<verification id>.<mac>` where the MAC is HMAC-SHA256 under the deployment's token key
//! over the id and the instant of verification. Nothing secret is stored: the verification's
//! Durable Object recomputes the MAC, and remembers only that the token was spent.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::time::Timestamp;

const PREFIX: &str = "rp1";

pub fn issue(key: &[u8], verification_id: &str, verified_at: Timestamp) -> String {
    format!(
        "{PREFIX}.{verification_id}.{}",
        URL_SAFE_NO_PAD.encode(mac(key, verification_id, verified_at))
    )
}

/// The verification id a token names, if it has the shape of a token at all.
pub fn verification_id(token: &str) -> Option<&str> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(PREFIX), Some(id), Some(_), None) if !id.is_empty() && id.len() <= 64 => Some(id),
        _ => None,
    }
}

/// Whether `token` is the one issued for this verification (constant-time).
pub fn is_valid(key: &[u8], token: &str, verification_id: &str, verified_at: Timestamp) -> bool {
    let expected = issue(key, verification_id, verified_at);
    crate::secret::equal(expected.as_bytes(), token.as_bytes())
}

fn mac(key: &[u8], id: &str, at: Timestamp) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(id.as_bytes());
    m.update(b"|");
    m.update(&at.millis().to_be_bytes());
    m.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_validate_and_name_their_verification() {
        let t = issue(b"key", "vid123", Timestamp(42));
        assert!(t.len() < 2048);
        assert_eq!(verification_id(&t), Some("vid123"));
        assert!(is_valid(b"key", &t, "vid123", Timestamp(42)));
    }

    #[test]
    fn any_change_invalidates() {
        let t = issue(b"key", "vid123", Timestamp(42));
        assert!(!is_valid(b"other", &t, "vid123", Timestamp(42)));
        assert!(!is_valid(b"key", &t, "vid124", Timestamp(42)));
        assert!(!is_valid(b"key", &t, "vid123", Timestamp(43)));
        let mut forged = t.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert!(!is_valid(b"key", &forged, "vid123", Timestamp(42)));
    }

    #[test]
    fn malformed_tokens_have_no_id() {
        for t in ["", "rp1", "rp1..x", "rp2.a.b", "rp1.a.b.c"] {
            assert_eq!(verification_id(t), None, "{t}");
        }
    }
}
