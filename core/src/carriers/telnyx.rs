//! Telnyx Call Control: every call event of a connection is POSTed as JSON to one URL, signed
//! with Telnyx's Ed25519 key over `<telnyx-timestamp>|<body>` (`telnyx-signature-ed25519`, base64).
//! An incoming call arrives as `call.initiated` with `direction: "incoming"` and waits, parked,
//! for a command: we send `reject` with cause `USER_BUSY`, so it is never answered.

use super::{Delivered, InboundCall, Refusal, STALE_AFTER_SECS};
use crate::providers::Outgoing;
use crate::Timestamp;
use base64::Engine;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde::Deserialize;

pub const SIGNATURE_HEADER: &str = "telnyx-signature-ed25519";
pub const TIMESTAMP_HEADER: &str = "telnyx-timestamp";

/// Telnyx's API, unless the deployment names another (`TELNYX_BASE_URL`, the tests' fake).
pub const DEFAULT_BASE_URL: &str = "https://api.telnyx.com";
/// The reject command is sent after the webhook is answered; a call rings for seconds only.
pub const REJECT_DEADLINE_SECS: u64 = 5;

/// Where the reject command goes, and the API key it is sent with.
#[derive(Debug, Clone)]
pub struct Api {
    pub base_url: String,
    pub api_key: String,
}

#[derive(Deserialize)]
struct Webhook {
    data: Event,
}

#[derive(Deserialize)]
struct Event {
    event_type: String,
    occurred_at: Option<String>,
    payload: Payload,
}

#[derive(Deserialize)]
struct Payload {
    call_control_id: String,
    from: Option<String>,
    to: Option<String>,
    direction: Option<String>,
}

/// `public_key`: the base64 Ed25519 key in the Telnyx portal (Keys & Credentials → Public Key).
pub fn read(
    public_key: &str,
    req: &Delivered<'_>,
    now: Timestamp,
) -> Result<Option<InboundCall>, Refusal> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let signature = req
        .header(SIGNATURE_HEADER)
        .ok_or(Refusal::Unsigned("telnyx-signature-ed25519 header"))?;
    let timestamp = req
        .header(TIMESTAMP_HEADER)
        .ok_or(Refusal::Unsigned("telnyx-timestamp header"))?;
    let signed_at: u64 = timestamp.trim().parse().map_err(|_| Refusal::Forged)?;
    if signed_at.abs_diff(now.secs()) > STALE_AFTER_SECS {
        return Err(Refusal::Stale);
    }
    let key: [u8; 32] = b64
        .decode(public_key.trim())
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or(Refusal::NotConfigured("valid TELNYX_PUBLIC_KEY"))?;
    let key = VerifyingKey::from_bytes(&key)
        .map_err(|_| Refusal::NotConfigured("valid TELNYX_PUBLIC_KEY"))?;
    let signature: [u8; 64] = b64
        .decode(signature.trim())
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or(Refusal::Forged)?;
    let message = format!("{timestamp}|{}", req.body);
    key.verify(message.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| Refusal::Forged)?;

    let hook: Webhook = serde_json::from_str(req.body)
        .map_err(|e| Refusal::Malformed(format!("not a Call Control event: {e}")))?;
    let event = hook.data;
    let p = event.payload;
    if event.event_type != "call.initiated" || p.direction.as_deref() != Some("incoming") {
        return Ok(None);
    }
    let (Some(from), Some(to)) = (p.from, p.to) else {
        return Err(Refusal::Malformed(
            "an incoming call without from or to".into(),
        ));
    };
    Ok(Some(InboundCall {
        caller: from,
        called: to,
        call_id: Some(p.call_control_id),
        at: event
            .occurred_at
            .as_deref()
            .and_then(Timestamp::parse_rfc3339),
    }))
}

/// Whether Telnyx took the reject: any 2xx (Telnyx answers 200 with the call's command
/// result); anything else is logged, and the call ends on the caller's side anyway.
pub fn reject_taken(answer: &crate::providers::Answer) -> bool {
    crate::providers::status_failure(answer.status).is_none()
}

/// `POST /v2/calls/{call_control_id}/actions/reject`: the parked call is refused, unanswered.
pub fn reject(api: &Api, call_control_id: &str) -> Option<Outgoing> {
    let mut url = url::Url::parse(&api.base_url).ok()?;
    url.path_segments_mut().ok()?.pop_if_empty().extend([
        "v2",
        "calls",
        call_control_id,
        "actions",
        "reject",
    ]);
    Some(Outgoing {
        method: "POST",
        url: url.to_string(),
        headers: vec![
            ("Authorization".into(), format!("Bearer {}", api.api_key)),
            ("Content-Type".into(), "application/json".into()),
        ],
        body: Some(r#"{"cause":"USER_BUSY"}"#.into()),
    })
}
