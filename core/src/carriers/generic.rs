//! The generic adapter, for a carrier with no reader here: the operator's own adapter POSTs
//! `MissedCallWebhook` JSON, signed as Standard Webhooks sign (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature`) with the `whsec_` secret the deployment holds as
//! `MISSED_CALL_WEBHOOK_SECRET`, so any Standard Webhooks library can sign it.

use super::{Delivered, InboundCall, Refusal};
use crate::Timestamp;
use base64::Engine;
use ringproof_api::MissedCallWebhook;
use ringproof_signature::SignatureError;

pub fn read(secret: &str, req: &Delivered<'_>, now: Timestamp) -> Result<InboundCall, Refusal> {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|k| base64::engine::general_purpose::STANDARD.decode(k).ok())
        .ok_or(Refusal::NotConfigured(
            "MISSED_CALL_WEBHOOK_SECRET of the form whsec_<base64>",
        ))?;
    let id = req.header("webhook-id");
    ringproof_signature::verify_webhook(
        &key,
        id,
        req.header("webhook-timestamp"),
        req.header("webhook-signature"),
        req.body,
        now.secs(),
    )
    .map_err(|e| match e {
        SignatureError::Missing(what) => Refusal::Unsigned(what),
        SignatureError::Stale => Refusal::Stale,
        SignatureError::BadTimestamp | SignatureError::Mismatch => Refusal::Forged,
    })?;
    let call: MissedCallWebhook = serde_json::from_str(req.body)
        .map_err(|e| Refusal::Malformed(format!("not a missed-call report: {e}")))?;
    let at = Timestamp::parse_rfc3339(&call.call_time)
        .ok_or_else(|| Refusal::Malformed("call_time must be an RFC 3339 date-time".into()))?;
    Ok(InboundCall {
        caller: call.caller,
        called: call.called,
        // A retried delivery keeps its webhook-id: without a call id, that names the call.
        call_id: call.call_id.or_else(|| id.map(str::to_owned)),
        at: Some(at),
    })
}
