//! Twilio Programmable Voice's incoming-call webhook: a form-encoded POST (`CallSid`, `From`,
//! `To`, `CallStatus`, …) signed in `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with the
//! account's auth token, of the full URL Twilio called followed by every parameter's name and
//! value, sorted by name. Answered with TwiML `<Reject>`, so the call is never answered or
//! billed.

use super::{field, form, Delivered, InboundCall, Refusal};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// "busy": the caller hears a busy tone, as a missed call should sound.
pub const REJECT: &str =
    r#"<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy"/></Response>"#;

/// `X-Twilio-Signature` for a form POST to `url`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Twilio signs the URL as configured, which may or may not spell out the default port; its
/// own validator accepts either, and so does this.
fn url_spellings(url: &str) -> Vec<String> {
    let mut spellings = vec![url.to_owned()];
    if let Ok(parsed) = url::Url::parse(url) {
        if let (Some(host), None, Some(port)) = (
            parsed.host_str(),
            parsed.port(),
            parsed.port_or_known_default(),
        ) {
            let mut rest = parsed.path().to_owned();
            if let Some(q) = parsed.query() {
                rest = format!("{rest}?{q}");
            }
            spellings.push(format!("{}://{host}:{port}{rest}", parsed.scheme()));
        }
    }
    spellings
}

/// Any Twilio webhook's parameters, once its signature holds (incoming calls here, and the
/// status callbacks of the code provider, `providers::twilio`).
pub fn verify(auth_token: &str, req: &Delivered<'_>) -> Result<Vec<(String, String)>, Refusal> {
    let given = req
        .header(SIGNATURE_HEADER)
        .ok_or(Refusal::Unsigned("X-Twilio-Signature header"))?;
    let params = form(req.body)?;
    let holds = url_spellings(req.url).iter().any(|url| {
        ringproof_signature::equal(
            signature(auth_token, url, &params).as_bytes(),
            given.trim().as_bytes(),
        )
    });
    holds.then_some(params).ok_or(Refusal::Forged)
}

pub fn read(auth_token: &str, req: &Delivered<'_>) -> Result<InboundCall, Refusal> {
    let params = verify(auth_token, req)?;
    Ok(InboundCall {
        caller: field(&params, "From")?.to_owned(),
        called: field(&params, "To")?.to_owned(),
        call_id: Some(field(&params, "CallSid")?.to_owned()),
        at: None,
    })
}
