//! TeleSign SMS Verify: we choose the 6-digit code, TeleSign texts it, and later posts a
//! delivery callback. Requests are signed with TeleSign's `TSA` HMAC-SHA256 scheme.

use super::{status_failure, Answer, CodeProvider, CodeSend, Outgoing, ProviderId, Sent};
use super::{Cost, DeliveryEvent};
use crate::failure::FailureReason;
use crate::texts::Language;
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const PATH: &str = "/v1/verify/sms";
const FORM: &str = "application/x-www-form-urlencoded";
const AUTH_METHOD: &str = "HMAC-SHA256";

#[derive(Debug, Clone)]
pub struct Credentials {
    pub base_url: String,
    pub customer_id: String,
    /// Base64, as TeleSign issues it.
    pub api_key: String,
}

impl CodeProvider for Credentials {
    fn id(&self) -> ProviderId {
        ProviderId::Telesign
    }

    fn request(&self, send: &CodeSend<'_>) -> Result<Outgoing, FailureReason> {
        let d = send.dispatch;
        sms_verify(
            self,
            d.phone.digits(),
            send.code,
            &template(&d.domain, d.language),
            &send.date,
            &send.nonce,
        )
    }

    fn read_answer(&self, answer: &Answer, _send: &CodeSend<'_>) -> Result<Sent, FailureReason> {
        read_answer(answer)
    }
}

/// The text: TeleSign puts our code where `$$CODE$$` stands. The last line is the WebOTP
/// format (`@host #code`), so browsers on the visitor's phone can offer to fill the code in.
/// `site_domain` is the site's configured domain, never a request header: it lands in a text
/// sent from the operator's sender. Without one the WebOTP line is left out. The body is in
/// the visitor's language when the widget said it, English otherwise.
pub fn template(site_domain: &str, language: Option<Language>) -> String {
    let body = language.unwrap_or(Language::English).sms_body();
    if site_domain.is_empty() {
        return body.to_owned();
    }
    format!("{body}\n\n@{site_domain} #$$CODE$$")
}

#[derive(Serialize)]
struct SmsVerify<'a> {
    phone_number: &'a str,
    verify_code: &'a str,
    template: &'a str,
}

/// `date` is RFC 2616 and `nonce` unique per request: both are signed, which is what stops
/// a captured request from being replayed.
pub fn sms_verify(
    creds: &Credentials,
    phone_digits: &str,
    code: &str,
    template: &str,
    date: &str,
    nonce: &str,
) -> Result<Outgoing, FailureReason> {
    let body = serde_urlencoded::to_string(SmsVerify {
        phone_number: phone_digits,
        verify_code: code,
        template,
    })
    .map_err(|_| FailureReason::ProviderError)?;
    let signature = sign(creds, "POST", FORM, date, nonce, &body, PATH)?;
    Ok(Outgoing {
        method: "POST",
        url: format!("{}{PATH}", creds.base_url.trim_end_matches('/')),
        headers: vec![
            (
                "Authorization".into(),
                format!("TSA {}:{signature}", creds.customer_id),
            ),
            ("Date".into(), date.into()),
            ("Content-Type".into(), FORM.into()),
            ("x-ts-auth-method".into(), AUTH_METHOD.into()),
            ("x-ts-nonce".into(), nonce.into()),
        ],
        body: Some(body),
    })
}

/// TeleSign's string to sign: method, content type, date, the two `x-ts-` headers, the body
/// (when there is one) and the resource path, joined by newlines; HMAC-SHA256 under the
/// base64-decoded API key, base64-encoded.
pub fn sign(
    creds: &Credentials,
    method: &str,
    content_type: &str,
    date: &str,
    nonce: &str,
    body: &str,
    resource: &str,
) -> Result<String, FailureReason> {
    let key = STANDARD
        .decode(creds.api_key.trim())
        .map_err(|_| FailureReason::ProviderMisconfigured)?;
    let mut s = format!(
        "{method}\n{content_type}\n{date}\nx-ts-auth-method:{AUTH_METHOD}\nx-ts-nonce:{nonce}"
    );
    if !content_type.is_empty() && !body.is_empty() {
        s.push('\n');
        s.push_str(body);
    }
    s.push('\n');
    s.push_str(resource);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(s.as_bytes());
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether `authorization` (the delivery callback's `Authorization` header) is TeleSign's
/// signature of `body`: HMAC-SHA256 of the body under the base64-decoded API key, base64, as
/// TeleSign's SDKs check it (`verify_telesign_callback_signature`). Compared in constant time.
pub fn callback_signature_holds(api_key: &str, body: &[u8], authorization: &str) -> bool {
    let Ok(key) = STANDARD.decode(api_key.trim()) else {
        return false;
    };
    let Ok(given) = STANDARD.decode(authorization.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Status {
    pub code: i64,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub updated_on: Option<String>,
}

#[derive(Deserialize)]
struct VerifyAnswer {
    reference_id: Option<String>,
    status: Option<Status>,
}

/// Reads the answer to the send. TeleSign answers 200 with status 290 ("in progress") when it
/// has taken the message.
pub fn read_answer(answer: &Answer) -> Result<Sent, FailureReason> {
    if let Some(f) = status_failure(answer.status) {
        return Err(f);
    }
    let a: VerifyAnswer =
        serde_json::from_str(&answer.body).map_err(|_| FailureReason::ProviderError)?;
    match (a.reference_id, a.status.map(|s| classify(s.code))) {
        (Some(r), Some(SmsState::InProgress | SmsState::Delivered)) if !r.is_empty() => Ok(Sent {
            reference: r,
            caller_hint: None,
            provider: None,
        }),
        (_, Some(SmsState::Undelivered)) => Err(FailureReason::SmsUndelivered),
        _ => Err(FailureReason::ProviderError),
    }
}

/// The delivery callback, field for field as TeleSign documents it. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Callback {
    pub status: Status,
    pub reference_id: String,
    #[serde(default)]
    pub submit_timestamp: Option<String>,
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    #[serde(default)]
    pub verify: Option<Verify>,
    #[serde(default)]
    pub sub_resource: Option<String>,
    #[serde(default)]
    pub additional_info: Option<AdditionalInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Verify {
    #[serde(default)]
    pub code_state: Option<String>,
    #[serde(default)]
    pub code_entered: Option<String>,
}

/// Only present when the account has these features: every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct AdditionalInfo {
    #[serde(default)]
    pub message_parts_count: Option<u32>,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub mnc: Option<String>,
    #[serde(default)]
    pub mcc: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsState {
    Delivered,
    InProgress,
    Undelivered,
}

/// TeleSign's transaction status codes: 200 delivered to the handset; 203 (to the gateway),
/// 250 (final status unknown), 290 to 295 (in progress, queued, delayed) say nothing final,
/// so the code may still arrive; every other code is a delivery failure.
pub fn classify(code: i64) -> SmsState {
    match code {
        200 => SmsState::Delivered,
        203 | 250 | 290..=295 => SmsState::InProgress,
        _ => SmsState::Undelivered,
    }
}

impl Callback {
    /// What the callback says the message cost, when the account has TeleSign's pricing
    /// package (`additional_info`).
    pub fn cost(&self) -> Option<Cost> {
        let i = self.additional_info.clone()?;
        Some(Cost {
            reference: self.reference_id.clone(),
            price: i.price,
            currency: i.currency,
            mcc: i.mcc,
            mnc: i.mnc,
            message_parts_count: i.message_parts_count,
        })
    }

    pub fn event(&self) -> DeliveryEvent {
        match classify(self.status.code) {
            SmsState::Delivered => DeliveryEvent::Delivered,
            SmsState::InProgress => DeliveryEvent::InProgress,
            SmsState::Undelivered => DeliveryEvent::Failed(FailureReason::SmsUndelivered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            base_url: "https://rest-ww.telesign.com".into(),
            customer_id: "FFFFFFFF-EEEE-DDDD-1234-AB1234567890".into(),
            api_key: "RW1wdHlLZXlFbXB0eUtleUVtcHR5S2V5RW1wdHlLZXk=".into(),
        }
    }

    /// The expected values were produced by the official SDK (PyPI `telesign` 4.1.1,
    /// `RestClient.generate_telesign_headers`) with the same date, nonce and fields.
    #[test]
    fn signs_exactly_as_the_official_sdk() {
        let r = sms_verify(
            &creds(),
            "447400123456",
            "123456",
            "Your code is $$CODE$$.\n\n@shop.example #$$CODE$$",
            "Mon, 23 Nov 2026 06:05:08 GMT",
            "A1592C6F-E384-4CDB-BC42-C3AB970369E9",
        )
        .unwrap();
        assert_eq!(r.url, "https://rest-ww.telesign.com/v1/verify/sms");
        assert_eq!(
            r.body.as_deref(),
            Some("phone_number=447400123456&verify_code=123456&template=Your+code+is+%24%24CODE%24%24.%0A%0A%40shop.example+%23%24%24CODE%24%24")
        );
        let auth = &r
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .unwrap()
            .1;
        assert_eq!(
            auth,
            "TSA FFFFFFFF-EEEE-DDDD-1234-AB1234567890:LDfCzCvQ6t2YRdb1yk4UaGedd3U2A4lhYQrB3ZqXAKc="
        );
    }

    #[test]
    fn a_callback_holds_only_with_its_own_signature() {
        let key = STANDARD.encode(b"telesign api key bytes");
        let body = br#"{"reference_id":"ABC","status":{"code":200}}"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"telesign api key bytes").unwrap();
        mac.update(body);
        let signed = STANDARD.encode(mac.finalize().into_bytes());
        assert!(callback_signature_holds(&key, body, &signed));
        let altered = br#"{"reference_id":"ABD","status":{"code":200}}"#;
        assert!(!callback_signature_holds(&key, altered, &signed));
        let other = STANDARD.encode(b"another key");
        assert!(!callback_signature_holds(&other, body, &signed));
        for bad in ["", "not base64!", "TSA id:sig"] {
            assert!(!callback_signature_holds(&key, body, bad), "{bad}");
        }
    }

    #[test]
    fn a_key_that_is_not_base64_is_a_configuration_error() {
        let mut c = creds();
        c.api_key = "not base64!".into();
        assert_eq!(
            sms_verify(&c, "1", "2", "t", "d", "n").unwrap_err(),
            FailureReason::ProviderMisconfigured
        );
    }

    #[test]
    fn template_carries_the_webotp_line() {
        let t = template("shop.example", None);
        assert!(t.ends_with("\n\n@shop.example #$$CODE$$"), "{t}");
        assert!(t.starts_with("Your verification code is $$CODE$$."));
        assert!(!template("", None).contains('@'));
    }

    #[test]
    fn template_follows_the_visitors_language() {
        let t = template("shop.example", Some(Language::Japanese));
        assert!(t.starts_with("認証コードは $$CODE$$"), "{t}");
        // The WebOTP line is the browser's format, the same in every language.
        assert!(t.ends_with("\n\n@shop.example #$$CODE$$"), "{t}");
    }

    #[test]
    fn reads_the_send_answer() {
        let ok = Answer {
            status: 200,
            body: r#"{"reference_id":"B56A497ABD3C0E04912DE21B6A3A8F59","sub_resource":"sms","errors":[],"status":{"updated_on":"2026-11-23T06:05:08Z","code":290,"description":"Message in progress"},"verify":{"code_state":"UNKNOWN","code_entered":""}}"#.into(),
        };
        assert_eq!(
            read_answer(&ok).unwrap().reference,
            "B56A497ABD3C0E04912DE21B6A3A8F59"
        );
        for (status, body, want) in [
            (200, "{", FailureReason::ProviderError),
            (
                200,
                r#"{"status":{"code":290}}"#,
                FailureReason::ProviderError,
            ),
            (
                200,
                r#"{"reference_id":"X","status":{"code":211,"description":"Device not reachable"}}"#,
                FailureReason::SmsUndelivered,
            ),
            (
                401,
                r#"{"errors":[{"code":-30000}]}"#,
                FailureReason::ProviderMisconfigured,
            ),
            (400, r#"{"errors":[]}"#, FailureReason::ProviderError),
            (500, "oops", FailureReason::ProviderUnavailable),
        ] {
            assert_eq!(
                read_answer(&Answer {
                    status,
                    body: body.into()
                }),
                Err(want),
                "{status} {body}"
            );
        }
    }

    const SEED_CALLBACK: &str = r#"{
"status": {"updated_on": "2016-07-08T20:52:46.417428Z", "code": 200, "description": "Delivered to handset"},
"submit_timestamp": "2016-07-08T20:52:41.203000Z",
"errors": [],
"reference_id": "2557312299CC1304904080F4BE17BFB4",
"verify": {"code_state": "UNKNOWN", "code_entered": null},
"sub_resource": "sms",
"additional_info": {"message_parts_count": 1, "price": "0.5112", "mnc": "03", "mcc": "220", "currency": "USD"}
}"#;

    #[test]
    fn reads_the_seed_callback_field_for_field() {
        let c: Callback = serde_json::from_str(SEED_CALLBACK).unwrap();
        assert_eq!(c.reference_id, "2557312299CC1304904080F4BE17BFB4");
        assert_eq!(c.status.code, 200);
        assert_eq!(c.status.description, "Delivered to handset");
        assert_eq!(
            c.verify.as_ref().unwrap().code_state.as_deref(),
            Some("UNKNOWN")
        );
        assert_eq!(c.verify.as_ref().unwrap().code_entered, None);
        assert_eq!(c.sub_resource.as_deref(), Some("sms"));
        let info = c.additional_info.clone().unwrap();
        assert_eq!(info.price.as_deref(), Some("0.5112"));
        assert_eq!(info.currency.as_deref(), Some("USD"));
        assert_eq!(
            (info.mcc.as_deref(), info.mnc.as_deref()),
            (Some("220"), Some("03"))
        );
        assert_eq!(info.message_parts_count, Some(1));
        assert_eq!(c.event(), DeliveryEvent::Delivered);
        assert_eq!(
            c.cost(),
            Some(Cost {
                reference: "2557312299CC1304904080F4BE17BFB4".into(),
                price: Some("0.5112".into()),
                currency: Some("USD".into()),
                mcc: Some("220".into()),
                mnc: Some("03".into()),
                message_parts_count: Some(1),
            })
        );
    }

    #[test]
    fn callback_without_optional_packages_and_with_new_fields() {
        let c: Callback = serde_json::from_str(
            r#"{"status":{"code":211,"description":"Device not reachable"},"reference_id":"R","brand_new":true}"#,
        )
        .unwrap();
        assert_eq!(
            c.event(),
            DeliveryEvent::Failed(FailureReason::SmsUndelivered)
        );
        assert_eq!(c.additional_info, None);
        assert_eq!(c.cost(), None, "no pricing package, no cost");
    }

    #[test]
    fn status_codes_classify() {
        assert_eq!(classify(200), SmsState::Delivered);
        for c in [203, 250, 290, 291, 292, 295] {
            assert_eq!(classify(c), SmsState::InProgress, "{c}");
        }
        for c in [207, 210, 211, 220, 221, 229, 230, 502] {
            assert_eq!(classify(c), SmsState::Undelivered, "{c}");
        }
    }
}
