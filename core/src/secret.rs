//! Secrets at rest and their comparison.
//!
//! Site secrets and provider secrets are long random strings, so a single SHA-256 is enough to
//! store them (no password stretching needed); comparisons run in constant time so response
//! timing reveals nothing about how much of a guess was right.
//!
//! A site secret is also the key its callbacks are signed with, so the edge must be able to
//! produce it again, yet KV must not hold it. It is therefore derived: an HMAC, under the
//! deployment's `SITE_SECRET_KEY`, of the site key and a random salt that KV does keep. Reading
//! KV gives neither the secret nor a way to sign; rotating the secret draws a new salt.

use crate::random::Randomness;
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A third party's secret a site gives us (its Turnstile secret), sealed for KV: ChaCha20-
/// Poly1305 under a key derived from the deployment's `master` key, bound to the site, so
/// KV alone reveals nothing and a sealed value cannot be moved to another site.
pub fn seal(master: &[u8], site_key: &str, plain: &str, rng: &mut impl Randomness) -> String {
    let mut nonce = [0u8; 12];
    rng.fill(&mut nonce);
    let payload = Payload {
        msg: plain.as_bytes(),
        aad: site_key.as_bytes(),
    };
    let sealed = sealing_cipher(master)
        .encrypt(Nonce::from_slice(&nonce), payload)
        .expect("ChaCha20-Poly1305 seals any length we store");
    let mut out = nonce.to_vec();
    out.extend(sealed);
    format!(
        "sealed.v1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
    )
}

/// The secret [`seal`] sealed for `site_key`, or `None` if it was not (or was tampered with).
pub fn open(master: &[u8], site_key: &str, sealed: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sealed.strip_prefix("sealed.v1.")?)
        .ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, body) = bytes.split_at(12);
    let payload = Payload {
        msg: body,
        aad: site_key.as_bytes(),
    };
    let plain = sealing_cipher(master)
        .decrypt(Nonce::from_slice(nonce), payload)
        .ok()?;
    String::from_utf8(plain).ok()
}

fn sealing_cipher(master: &[u8]) -> ChaCha20Poly1305 {
    let key = hmac(master, &[b"ringproof third-party secret sealing v1"]);
    <ChaCha20Poly1305 as chacha20poly1305::KeyInit>::new(&key.into())
}

/// The site secret for `site_key` and `salt` under the deployment's `master` key.
pub fn derive_site_secret(master: &[u8], site_key: &str, salt: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(master).expect("HMAC takes any key length");
    // Length-prefixed so no two (site key, salt) pairs share an input.
    mac.update(b"ringproof site secret v1\0");
    mac.update(&(site_key.len() as u64).to_be_bytes());
    mac.update(site_key.as_bytes());
    mac.update(salt.as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!(
        "rp_secret_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The same key as Standard Webhooks libraries take it: `whsec_` and the base64 of its bytes.
pub fn webhook_secret(site_secret: &str) -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(site_secret.as_bytes())
    )
}

/// Hex SHA-256 of a secret, as stored.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether `candidate` is the secret whose hash is `stored_hash`.
pub fn matches_hash(candidate: &str, stored_hash: &str) -> bool {
    equal(hash(candidate).as_bytes(), stored_hash.as_bytes())
}

/// Constant-time equality, HMAC-SHA256 over parts and hex: one of each, shared with the
/// signatures.
pub use ringproof_signature::{equal, hex, hmac};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_site_and_key() {
        let mut rng = crate::random::testing::Seeded(5);
        let sealed = seal(b"master", "rp_site_a", "0x4AAAsecret", &mut rng);
        assert!(!sealed.contains("0x4AAA"));
        assert_eq!(
            open(b"master", "rp_site_a", &sealed).as_deref(),
            Some("0x4AAAsecret")
        );
        assert_eq!(
            open(b"master", "rp_site_b", &sealed),
            None,
            "moved to another site"
        );
        assert_eq!(open(b"other", "rp_site_a", &sealed), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        assert_eq!(open(b"master", "rp_site_a", &tampered), None);
        assert_ne!(
            sealed,
            seal(b"master", "rp_site_a", "0x4AAAsecret", &mut rng)
        );
    }

    #[test]
    fn hash_matches_only_its_secret() {
        let h = hash("s3cret");
        assert_eq!(h.len(), 64);
        assert!(matches_hash("s3cret", &h));
        assert!(!matches_hash("s3cres", &h));
        assert!(!matches_hash("", &h));
    }

    #[test]
    fn derived_secrets_depend_on_every_input() {
        let a = derive_site_secret(b"master", "rp_site_a", "salt1");
        assert!(a.starts_with("rp_secret_") && a.len() == "rp_secret_".len() + 43);
        assert_eq!(a, derive_site_secret(b"master", "rp_site_a", "salt1"));
        assert_ne!(a, derive_site_secret(b"master2", "rp_site_a", "salt1"));
        assert_ne!(a, derive_site_secret(b"master", "rp_site_b", "salt1"));
        assert_ne!(a, derive_site_secret(b"master", "rp_site_a", "salt2"));
        // The length prefix keeps the site key and the salt apart.
        assert_ne!(
            derive_site_secret(b"m", "ab", "c"),
            derive_site_secret(b"m", "a", "bc")
        );
    }

    #[test]
    fn webhook_secret_is_the_secret_in_base64() {
        assert_eq!(webhook_secret("rp_secret_x"), "whsec_cnBfc2VjcmV0X3g=");
    }

    #[test]
    fn equal_needs_same_length_and_bytes() {
        assert!(equal(b"abc", b"abc"));
        assert!(!equal(b"abc", b"abd"));
        assert!(!equal(b"abc", b"abcd"));
    }
}
