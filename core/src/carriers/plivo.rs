//! Plivo's answer URL for an incoming call (Plivo serves India, OneRing's market): a
//! form-encoded POST (`CallUUID`, `From`, `To`, `Direction`, …) signed in
//! `X-Plivo-Signature-V3` with its nonce in `X-Plivo-Signature-V3-Nonce`: base64 of
//! HMAC-SHA256, keyed with the auth token, of `<url>?<names and values, sorted, concatenated>`,
//! a dot and the nonce. Answered with `<Hangup reason="busy"/>` before the call is answered.

use super::{field, form, Delivered, InboundCall, Refusal};
use base64::Engine;

pub const SIGNATURE_HEADER: &str = "X-Plivo-Signature-V3";
pub const NONCE_HEADER: &str = "X-Plivo-Signature-V3-Nonce";

pub const HANG_UP_BUSY: &str = r#"<Response><Hangup reason="busy"/></Response>"#;

/// What Plivo signs for a POST to `url` with `params`, before the nonce: the URL without its
/// query; then `?` and the query's `name=value` pairs, sorted and joined by `&`, when either
/// there is a query or a body; a `.` when both; then the body's names and values, sorted, with
/// nothing between them.
fn signed_text(url: &str, params: &[(String, String)]) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let base = base.split('#').next().unwrap_or(base);
    let mut query: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut text = base.to_owned();
    if !query.is_empty() || !params.is_empty() {
        text.push('?');
        text.push_str(&query);
    }
    if !query.is_empty() && !params.is_empty() {
        text.push('.');
    }
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    for (k, v) in sorted {
        text.push_str(k);
        text.push_str(v);
    }
    text
}

/// `X-Plivo-Signature-V3` for a POST to `url` with this nonce.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)], nonce: &str) -> String {
    let text = format!("{}.{nonce}", signed_text(url, params));
    let mac = ringproof_signature::hmac(auth_token.as_bytes(), &[text.as_bytes()]);
    base64::engine::general_purpose::STANDARD.encode(mac)
}

pub fn read(auth_token: &str, req: &Delivered<'_>) -> Result<InboundCall, Refusal> {
    let given = req
        .header(SIGNATURE_HEADER)
        .ok_or(Refusal::Unsigned("X-Plivo-Signature-V3 header"))?;
    let nonce = req
        .header(NONCE_HEADER)
        .ok_or(Refusal::Unsigned("X-Plivo-Signature-V3-Nonce header"))?;
    let params = form(req.body)?;
    let expected = signature(auth_token, req.url, &params, nonce);
    // Plivo lists several signatures, comma-separated, while an auth token is being rotated.
    if !given
        .split(',')
        .any(|s| ringproof_signature::equal(s.trim().as_bytes(), expected.as_bytes()))
    {
        return Err(Refusal::Forged);
    }
    Ok(InboundCall {
        caller: field(&params, "From")?.to_owned(),
        called: field(&params, "To")?.to_owned(),
        call_id: Some(field(&params, "CallUUID")?.to_owned()),
        at: None,
    })
}
