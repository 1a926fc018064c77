//! How Ringproof signs what it sends a site, both keyed with the site secret's bytes: the
//! one part of Ringproof a site's server needs (through `ringproof-sdk`), so it stands alone.
//!
//! - JSON callbacks follow Standard Webhooks: `webhook-signature: v1,<base64 HMAC-SHA256 of
//!   "<webhook-id>.<webhook-timestamp>.<body>">`, so that scheme's libraries verify them
//!   unchanged (they take the key as `whsec_` + base64, see `ringproof_core::secret::webhook_secret`).
//! - OneRing GET callbacks carry `SignedAt` (Unix seconds) and `Signature`: lowercase hex
//!   HMAC-SHA256 of `"<SignedAt>.<canonical query>"`, where the canonical query is every
//!   parameter but `Signature`, sorted by name then value, each name and value percent-encoded
//!   (RFC 3986: only `A-Z a-z 0-9 - . _ ~` left as they are) and joined as `name=value` by `&`.
//!   Sorting and re-encoding make it survive proxies that reorder or re-escape a query.
//!
//! Both carry their signing time, and both verifiers refuse a signature more than
//! [`TOLERANCE_SECS`] away from their clock: a captured callback cannot be replayed later.
//! Retries are signed afresh, so a late retry is still accepted.

use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use thiserror::Error;

/// How far a signature's time may be from the verifier's clock, either way.
pub const TOLERANCE_SECS: u64 = 5 * 60;

/// The query parameters a signed OneRing GET adds to the seed's.
pub const EVENT_ID: &str = "EventId";
pub const SIGNED_AT: &str = "SignedAt";
pub const SIGNATURE: &str = "Signature";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("the callback has no {0}")]
    Missing(&'static str),
    #[error("the signing time is not a number of seconds")]
    BadTimestamp,
    #[error("the signature is more than 5 minutes old or ahead: a replay, or a wrong clock")]
    Stale,
    #[error("the signature does not match: wrong secret, or the callback was changed")]
    Mismatch,
}

impl SignatureError {
    /// Stable codes, for logs and for the SDK's callers.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Missing(_) => "signature_missing",
            SignatureError::BadTimestamp => "signature_bad_timestamp",
            SignatureError::Stale => "signature_stale",
            SignatureError::Mismatch => "signature_mismatch",
        }
    }
}

/// HMAC-SHA256 of `parts`, in order, under `key`: every keyed hash in Ringproof.
pub fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Constant-time equality of two byte strings (the length is not secret).
pub fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn fresh(signed_at: &str, now_secs: u64) -> Result<u64, SignatureError> {
    let t: u64 = signed_at
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if t.abs_diff(now_secs) > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(t)
}

/// What a site's server hands its page with a ClientTransactionId: hex HMAC-SHA256 of
/// `ringproof-ctid:` and the id under the site secret. Only the site's server can make it, so
/// only it can bind an id to a verification; a page's script cannot squat the site's ids.
pub fn transaction_signature(key: &[u8], client_transaction_id: &str) -> String {
    hex(&hmac(
        key,
        &[b"ringproof-ctid:", client_transaction_id.as_bytes()],
    ))
}

/// Whether `given` is [`transaction_signature`] of the id, compared in constant time.
pub fn transaction_signature_holds(key: &[u8], client_transaction_id: &str, given: &str) -> bool {
    let expected = transaction_signature(key, client_transaction_id);
    equal(
        expected.as_bytes(),
        given.trim().to_ascii_lowercase().as_bytes(),
    )
}

/// `webhook-signature` for a JSON callback.
pub fn webhook_signature(key: &[u8], id: &str, timestamp: u64, body: &str) -> String {
    let ts = timestamp.to_string();
    let sig = hmac(
        key,
        &[id.as_bytes(), b".", ts.as_bytes(), b".", body.as_bytes()],
    );
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(sig)
    )
}

/// Checks a JSON callback's three headers against its raw body. The signature header may list
/// several space-separated signatures (as during a key rotation); one valid `v1` is enough.
pub fn verify_webhook(
    key: &[u8],
    id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &str,
    now_secs: u64,
) -> Result<(), SignatureError> {
    let id = id.ok_or(SignatureError::Missing("webhook-id header"))?;
    let timestamp = timestamp.ok_or(SignatureError::Missing("webhook-timestamp header"))?;
    let signature = signature.ok_or(SignatureError::Missing("webhook-signature header"))?;
    let t = fresh(timestamp, now_secs)?;
    let expected = webhook_signature(key, id, t, body);
    let ok = signature
        .split_whitespace()
        .any(|s| s.starts_with("v1,") && equal(s.as_bytes(), expected.as_bytes()));
    ok.then_some(()).ok_or(SignatureError::Mismatch)
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED_KEPT).to_string()
}

/// What RFC 3986 escapes: everything but `A-Z a-z 0-9 - . _ ~`.
const UNRESERVED_KEPT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The canonical form of `pairs`, leaving out any `Signature`.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != SIGNATURE)
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The `Signature` of a query whose `SignedAt` is `signed_at`.
pub fn query_signature(key: &[u8], pairs: &[(String, String)], signed_at: u64) -> String {
    let sig = hmac(
        key,
        &[
            signed_at.to_string().as_bytes(),
            b".",
            canonical_query(pairs).as_bytes(),
        ],
    );
    hex(&sig)
}

/// Checks a OneRing GET callback's raw query string (what follows `?`) and answers its
/// parameters, decoded.
pub fn verify_query(
    key: &[u8],
    raw_query: &str,
    now_secs: u64,
) -> Result<Vec<(String, String)>, SignatureError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw_query)
        .map_err(|_| SignatureError::Missing("readable query"))?;
    let get = |name: &'static str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or(SignatureError::Missing(name))
    };
    let presented = get(SIGNATURE)?;
    let t = fresh(get(SIGNED_AT)?, now_secs)?;
    let expected = query_signature(key, &pairs, t);
    if !equal(
        presented.to_ascii_lowercase().as_bytes(),
        expected.as_bytes(),
    ) {
        return Err(SignatureError::Mismatch);
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_signatures_bind_id_and_secret() {
        let sig = transaction_signature(b"rp_secret_a", "order-42");
        assert_eq!(sig.len(), 64);
        assert!(transaction_signature_holds(
            b"rp_secret_a",
            "order-42",
            &sig
        ));
        assert!(transaction_signature_holds(
            b"rp_secret_a",
            "order-42",
            &sig.to_uppercase()
        ));
        assert!(!transaction_signature_holds(
            b"rp_secret_b",
            "order-42",
            &sig
        ));
        assert!(!transaction_signature_holds(
            b"rp_secret_a",
            "order-43",
            &sig
        ));
        assert!(!transaction_signature_holds(b"rp_secret_a", "order-42", ""));
    }

    const KEY: &[u8] = b"rp_secret_test";

    #[test]
    fn webhook_signature_matches_the_standard_webhooks_example() {
        // The specification's own example: key `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`,
        // id `msg_p5jXN8AQM9LWM0D4loKWxJek`, timestamp 1614265330, body `{"test": 2432232314}`.
        let key = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap();
        assert_eq!(
            webhook_signature(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn webhook_verification_refuses_changes_staleness_and_absence() {
        let (id, t, body) = ("msg_1", 1_700_000_000, r#"{"a":1}"#);
        let sig = webhook_signature(KEY, id, t, body);
        let ts = t.to_string();
        let check = |key: &[u8], body: &str, now: u64| {
            verify_webhook(key, Some(id), Some(&ts), Some(&sig), body, now)
        };
        assert_eq!(check(KEY, body, t + 299), Ok(()));
        assert_eq!(check(KEY, body, t - 299), Ok(()));
        assert_eq!(check(KEY, body, t + 301), Err(SignatureError::Stale));
        assert_eq!(check(KEY, r#"{"a":2}"#, t), Err(SignatureError::Mismatch));
        assert_eq!(check(b"other", body, t), Err(SignatureError::Mismatch));
        let several = format!("v1,bm90IGl0 {sig}");
        assert_eq!(
            verify_webhook(KEY, Some(id), Some(&ts), Some(&several), body, t),
            Ok(())
        );
        assert_eq!(
            verify_webhook(KEY, Some(id), Some(&ts), None, body, t),
            Err(SignatureError::Missing("webhook-signature header"))
        );
        assert_eq!(
            verify_webhook(KEY, Some(id), Some("soon"), Some(&sig), body, t),
            Err(SignatureError::BadTimestamp)
        );
        // The id is signed: the same body under another id does not pass.
        assert_eq!(
            verify_webhook(KEY, Some("msg_2"), Some(&ts), Some(&sig), body, t),
            Err(SignatureError::Mismatch)
        );
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn canonical_query_sorts_encodes_and_drops_the_signature() {
        let q = pairs(&[
            ("b", "x y"),
            ("Signature", "zz"),
            ("a", "2+2=4/ü"),
            ("a", "1"),
        ]);
        assert_eq!(canonical_query(&q), "a=1&a=2%2B2%3D4%2F%C3%BC&b=x%20y");
    }

    #[test]
    fn signed_query_verifies_in_any_order_and_encoding_only() {
        let t = 1_700_000_000;
        let mut q = pairs(&[
            ("VerifiedMobileNumber", "447400123456"),
            ("ClientTransactionId", "order 42"),
            ("SignedAt", "1700000000"),
        ]);
        let sig = query_signature(KEY, &q, t);
        q.push(("Signature".into(), sig.clone()));
        let raw = serde_urlencoded::to_string(&q).unwrap();
        assert_eq!(verify_query(KEY, &raw, t + 10).unwrap(), q);
        // Reordered and re-escaped by a proxy: still the same query.
        let reordered = format!(
            "Signature={sig}&SignedAt=1700000000&ClientTransactionId=order%2042&VerifiedMobileNumber=447400123456"
        );
        assert!(verify_query(KEY, &reordered, t).is_ok());
        let changed = raw.replace("447400123456", "447400123457");
        assert_eq!(
            verify_query(KEY, &changed, t),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_query(KEY, &raw, t + TOLERANCE_SECS + 1),
            Err(SignatureError::Stale)
        );
        let unsigned = raw.replace("Signature=", "Sig=");
        assert_eq!(
            verify_query(KEY, &unsigned, t),
            Err(SignatureError::Missing("Signature"))
        );
        // Moving the time means re-signing, which needs the key.
        let moved = raw.replace("SignedAt=1700000000", "SignedAt=1700000500");
        assert_eq!(
            verify_query(KEY, &moved, t + 500),
            Err(SignatureError::Mismatch)
        );
    }
}
