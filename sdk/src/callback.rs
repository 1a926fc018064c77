//! Verifying Ringproof's callbacks. Both kinds are signed with your site secret and carry their
//! signing time; anything more than five minutes from your clock is refused, so a captured
//! callback cannot be replayed. Retries carry the same event id: keep the ids you have handled
//! and drop repeats.

use crate::Error;
use ringproof_api::{CallbackEvent, OneRingCallback};
use ringproof_signature as signature;

/// The three Standard Webhooks headers of a JSON callback, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

impl<'a> WebhookHeaders<'a> {
    /// Picks the three headers out of any list of `(name, value)` pairs, names in any case.
    pub fn from_pairs<I>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut h = WebhookHeaders::default();
        for (k, v) in pairs {
            match k.to_ascii_lowercase().as_str() {
                "webhook-id" => h.id = Some(v),
                "webhook-timestamp" => h.timestamp = Some(v),
                "webhook-signature" => h.signature = Some(v),
                _ => {}
            }
        }
        h
    }
}

/// Verifies a JSON callback against its raw body (the bytes as received, before any JSON
/// parsing) at `now_secs` (Unix seconds), and parses it.
pub fn verify_json_at(
    secret: &str,
    headers: WebhookHeaders<'_>,
    body: &str,
    now_secs: u64,
) -> Result<CallbackEvent, Error> {
    signature::verify_webhook(
        secret.as_bytes(),
        headers.id,
        headers.timestamp,
        headers.signature,
        body,
        now_secs,
    )?;
    serde_json::from_str(body).map_err(|e| Error::Payload(e.to_string()))
}

/// [`verify_json_at`] with the system clock.
pub fn verify_json(
    secret: &str,
    headers: WebhookHeaders<'_>,
    body: &str,
) -> Result<CallbackEvent, Error> {
    verify_json_at(secret, headers, body, unix_now())
}

/// A verified OneRing GET callback: the seed's fields, the event id to deduplicate on, and the
/// query's other parameters (those of your own callback URL).
#[derive(Debug, Clone, PartialEq)]
pub struct OneRingNotice {
    pub fields: OneRingCallback,
    pub event_id: String,
    pub all_parameters: Vec<(String, String)>,
}

/// Verifies a OneRing GET callback from its raw query string (what follows `?`).
pub fn verify_onering_at(
    secret: &str,
    raw_query: &str,
    now_secs: u64,
) -> Result<OneRingNotice, Error> {
    let pairs = signature::verify_query(secret.as_bytes(), raw_query, now_secs)?;
    let fields: OneRingCallback =
        serde_urlencoded::from_str(raw_query).map_err(|e| Error::Payload(e.to_string()))?;
    let event_id = pairs
        .iter()
        .find(|(k, _)| k == signature::EVENT_ID)
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    Ok(OneRingNotice {
        fields,
        event_id,
        all_parameters: pairs,
    })
}

/// [`verify_onering_at`] with the system clock.
pub fn verify_onering(secret: &str, raw_query: &str) -> Result<OneRingNotice, Error> {
    verify_onering_at(secret, raw_query, unix_now())
}

// A site's server has a clock; the ban on reading it is for the Worker's wasm.
#[allow(clippy::disallowed_methods)]
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringproof_api::CallbackType;

    const SECRET: &str = "rp_secret_example";

    fn body() -> String {
        r#"{"type":"verification.verified","timestamp":"2026-11-23T10:00:00Z","data":{"verification_id":"v1","client_transaction_id":"order-7","phone":"+447400123456","channel":"sms","status":"verified","created_at":"2026-11-23T09:59:00Z","finished_at":"2026-11-23T10:00:00Z","attempts":1,"costs":[]}}"#.to_owned()
    }

    #[test]
    fn a_signed_json_callback_parses_and_a_changed_one_does_not() {
        let t = 1_795_000_000;
        let sig = signature::webhook_signature(SECRET.as_bytes(), "evt_v1", t, &body());
        let ts = t.to_string();
        let pairs = [
            ("Webhook-Id", "evt_v1"),
            ("webhook-timestamp", ts.as_str()),
            ("WEBHOOK-SIGNATURE", sig.as_str()),
            ("content-type", "application/json"),
        ];
        let h = WebhookHeaders::from_pairs(pairs);
        let event = verify_json_at(SECRET, h, &body(), t + 5).unwrap();
        assert_eq!(event.kind, CallbackType::Verified);
        assert_eq!(event.data.client_transaction_id.as_deref(), Some("order-7"));
        let changed = body().replace("order-7", "order-8");
        let e = verify_json_at(SECRET, h, &changed, t).unwrap_err();
        assert_eq!(e.code(), "signature_mismatch");
        let e = verify_json_at(SECRET, h, &body(), t + 3600).unwrap_err();
        assert_eq!(e.code(), "signature_stale");
    }

    #[test]
    fn a_signed_onering_query_gives_the_seed_fields() {
        let t = 1_795_000_000u64;
        let mut pairs: Vec<(String, String)> = [
            ("VerifiedMobileNumber", "447400123456"),
            ("VerificationChannel", "+442079460001"),
            ("ActivityTokenId", "v1"),
            ("ClientTransactionId", "order-7"),
            ("MobileStatus", "verified"),
            ("TransactionTime", "2026-11-23T10:00:00Z"),
            ("CustomerCallTime", "2026-11-23T09:59:58Z"),
            ("EventId", "evt_v1"),
            ("SignedAt", "1795000000"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let sig = signature::query_signature(SECRET.as_bytes(), &pairs, t);
        pairs.push(("Signature".into(), sig));
        let raw = serde_urlencoded::to_string(&pairs).unwrap();
        let notice = verify_onering_at(SECRET, &raw, t).unwrap();
        assert_eq!(notice.fields.verified_mobile_number, "447400123456");
        assert_eq!(notice.fields.mobile_status, "verified");
        assert_eq!(notice.event_id, "evt_v1");
        assert!(verify_onering_at("rp_secret_other", &raw, t).is_err());
    }
}
