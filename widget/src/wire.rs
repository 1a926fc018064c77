//! The edge's JSON, read from and written to the browser's own `JSON` object, field by field.
//!
//! The wire types are `ringproof_api`'s; only their serde code stays out of the wasm. serde_json
//! and the float formatting its error messages pull in cost the widget about 20 KB of gzip;
//! these few readers cost a fraction of that.

use js_sys::{Array, Object, Reflect};
use ringproof_api::{
    Channel, CheckResult, Delivery, ErrorDetail, PowChallenge, VerificationStatus, VerificationView,
};
use wasm_bindgen::{JsCast, JsValue};

pub fn field(v: &JsValue, name: &str) -> JsValue {
    Reflect::get(v, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

pub fn text(v: &JsValue, name: &str) -> Option<String> {
    field(v, name).as_string()
}

pub fn number(v: &JsValue, name: &str) -> Option<f64> {
    field(v, name).as_f64()
}

pub fn items(v: &JsValue, name: &str) -> Vec<JsValue> {
    field(v, name)
        .dyn_into::<Array>()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// A JSON object of string fields; `None`s are left out, as serde's `skip_serializing_if` does.
pub fn object(fields: &[(&str, Option<&str>)]) -> Object {
    let o = Object::new();
    for (k, v) in fields {
        if let Some(v) = v {
            let _ = Reflect::set(&o, &(*k).into(), &(*v).into());
        }
    }
    o
}

pub fn parse(text: &str) -> Option<JsValue> {
    js_sys::JSON::parse(text).ok()
}

pub fn stringify(v: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(v).ok().map(String::from)
}

pub fn error(v: &JsValue) -> Option<ErrorDetail> {
    Some(ErrorDetail {
        code: text(v, "code")?,
        message: text(v, "message").unwrap_or_default(),
        retry_after: number(v, "retry_after").map(|n| n as u64),
        reason: text(v, "reason"),
    })
}

/// `GET /v1/verifications/{id}`, and the answers to start, resend and switch.
pub fn view(v: &JsValue) -> Option<VerificationView> {
    Some(VerificationView {
        verification_id: text(v, "verification_id")?,
        status: VerificationStatus::parse(&text(v, "status")?)?,
        channel: Channel::parse(&text(v, "channel")?)?,
        expires_at: text(v, "expires_at")?,
        other_channels: items(v, "other_channels")
            .iter()
            .filter_map(|c| Channel::parse(&c.as_string()?))
            .collect(),
        number_image_url: text(v, "number_image_url"),
        call_to_uri: text(v, "call_to_uri"),
        call_qr_url: text(v, "call_qr_url"),
        caller_hint: text(v, "caller_hint"),
        code_length: number(v, "code_length").map(|n| n as u8),
        checks_left: number(v, "checks_left").map(|n| n as u32),
        delivery: text(v, "delivery").and_then(|d| Delivery::parse(&d)),
        resend_at: text(v, "resend_at"),
        fallback_at: text(v, "fallback_at"),
        failure: error(&field(v, "failure")),
        token: text(v, "token"),
        token_expires_at: text(v, "token_expires_at"),
        test: field(v, "test").as_bool().unwrap_or(false),
        test_code: text(v, "test_code"),
    })
}

pub fn check_result(v: &JsValue) -> Option<CheckResult> {
    Some(CheckResult {
        status: VerificationStatus::parse(&text(v, "status")?)?,
        checks_left: number(v, "checks_left")? as u32,
    })
}

pub fn challenge(v: &JsValue) -> Option<PowChallenge> {
    Some(PowChallenge {
        algorithm: text(v, "algorithm")?,
        challenge: text(v, "challenge")?,
        maxnumber: number(v, "maxnumber")? as u64,
        salt: text(v, "salt")?,
        signature: text(v, "signature")?,
    })
}
