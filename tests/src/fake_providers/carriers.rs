//! The carriers that rent the deployment its missed-call numbers, placing calls: each sends its
//! incoming-call webhook as its documentation gives it, signed with its own algorithm by code
//! written here from that documentation (not the edge's), and checked against each carrier's
//! official SDK in the tests. Telnyx's Call Control API is faked too: the edge's reject command
//! for a parked call lands here and is recorded.

use super::{random_hex, FakeProviders, Provider};
use crate::harness::OsRandom;
use crate::http::{self, Reply};
use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::{Signer, SigningKey};
use hmac::{Hmac, Mac};
use ringproof_core::carriers::Carrier;
use ringproof_core::Randomness;
use serde_json::json;
use sha1::Sha1;
use sha2::Sha256;

/// The carriers' keys, as each carrier's console shows them to the operator.
#[derive(Debug, Clone)]
pub struct CarrierKeys {
    pub twilio_auth_token: String,
    /// The seed of Telnyx's Ed25519 signing key (Telnyx keeps it; operators get the public key).
    pub telnyx_seed: [u8; 32],
    pub telnyx_api_key: String,
    pub plivo_auth_token: String,
    /// `whsec_…`, as Standard Webhooks libraries take it.
    pub generic_secret: String,
}

impl CarrierKeys {
    pub fn generate() -> Self {
        let mut rng = OsRandom;
        let mut seed = [0u8; 32];
        rng.fill(&mut seed);
        let mut generic = [0u8; 24];
        rng.fill(&mut generic);
        CarrierKeys {
            twilio_auth_token: random_hex(16),
            telnyx_seed: seed,
            telnyx_api_key: format!("KEY{}", rng.token(30)),
            plivo_auth_token: rng.token(40),
            generic_secret: format!("whsec_{}", STANDARD.encode(generic)),
        }
    }

    /// What the operator pastes as `TELNYX_PUBLIC_KEY`.
    pub fn telnyx_public_key(&self) -> String {
        STANDARD.encode(
            SigningKey::from_bytes(&self.telnyx_seed)
                .verifying_key()
                .to_bytes(),
        )
    }

    /// The secret each carrier's webhook is checked with, by its deployment variable name.
    pub fn key_of(&self, carrier: Carrier) -> String {
        match carrier {
            Carrier::Twilio => self.twilio_auth_token.clone(),
            Carrier::Telnyx => self.telnyx_public_key(),
            Carrier::Plivo => self.plivo_auth_token.clone(),
            Carrier::Generic => self.generic_secret.clone(),
        }
    }
}

/// A webhook request as a carrier sends it.
#[derive(Debug, Clone)]
pub struct CarrierRequest {
    pub url: String,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl CarrierRequest {
    pub fn send(&self) -> Result<Reply, String> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        http::post(&self.url, self.content_type, &self.body, &headers)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The same request with `name` set to `value` (or removed), to forge or strip it.
    pub fn with_header(&self, name: &str, value: Option<&str>) -> Self {
        let mut r = self.clone();
        r.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            r.headers.push((name.to_owned(), v.to_owned()));
        }
        r
    }
}

fn digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// Twilio's `X-Twilio-Signature`: HMAC-SHA1 of the URL and the sorted names and values.
pub fn twilio_signature(token: &str, url: &str, params: &[(&str, String)]) -> String {
    let mut sorted: Vec<_> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    let mut text = url.to_owned();
    for (k, v) in sorted {
        text.push_str(k);
        text.push_str(v);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Plivo's `X-Plivo-Signature-V3` for a POST to a URL without a query.
pub fn plivo_signature(token: &str, url: &str, params: &[(&str, String)], nonce: &str) -> String {
    let mut sorted: Vec<_> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    let joined: String = sorted.iter().map(|(k, v)| format!("{k}{v}")).collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).expect("any key length");
    mac.update(format!("{url}?{joined}.{nonce}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Standard Webhooks' `webhook-signature`.
pub fn standard_signature(secret: &str, id: &str, at: u64, body: &str) -> String {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("the fake's secret is whsec_ and base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{at}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

fn form(params: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(params).expect("pairs encode")
}

/// The incoming-call webhook `carrier` sends to `edge_base` when `caller` dials `called` (both
/// E.164), signed at `at` (Unix seconds; only Telnyx and Standard Webhooks sign a time).
pub fn incoming_call(
    keys: &CarrierKeys,
    carrier: Carrier,
    edge_base: &str,
    caller: &str,
    called: &str,
    at: u64,
) -> CarrierRequest {
    let url = format!("{edge_base}{}", carrier.path());
    let h = |k: &str, v: String| (k.to_owned(), v);
    match carrier {
        Carrier::Twilio => {
            // Twilio's documented parameters for an incoming call, in its order.
            let params = [
                ("Called", called.to_owned()),
                ("ToState", String::new()),
                ("CallerCountry", "GB".to_owned()),
                ("Direction", "inbound".to_owned()),
                ("CallerState", String::new()),
                ("ToZip", String::new()),
                ("CallSid", format!("CA{}", random_hex(16))),
                ("To", called.to_owned()),
                ("CallerZip", String::new()),
                ("ToCountry", "GB".to_owned()),
                (
                    "CallToken",
                    format!("%7B%22parentCallInfoToken%22%3A%22{}%22%7D", random_hex(8)),
                ),
                ("ApiVersion", "2010-04-01".to_owned()),
                ("CalledZip", String::new()),
                ("CalledCity", String::new()),
                ("CallStatus", "ringing".to_owned()),
                ("From", caller.to_owned()),
                ("AccountSid", format!("AC{}", random_hex(16))),
                ("CalledCountry", "GB".to_owned()),
                ("CallerCity", String::new()),
                ("ToCity", String::new()),
                ("FromCountry", "GB".to_owned()),
                ("Caller", caller.to_owned()),
                ("FromCity", String::new()),
                ("CalledState", String::new()),
                ("FromZip", String::new()),
                ("FromState", String::new()),
            ];
            CarrierRequest {
                headers: vec![
                    h(
                        "X-Twilio-Signature",
                        twilio_signature(&keys.twilio_auth_token, &url, &params),
                    ),
                    h("I-Twilio-Idempotency-Token", random_hex(16)),
                    h("User-Agent", "TwilioProxy/1.1".into()),
                ],
                url,
                content_type: "application/x-www-form-urlencoded",
                body: form(&params),
            }
        }
        Carrier::Telnyx => {
            let id = random_hex(16);
            let body = json!({
                "data": {
                    "event_type": "call.initiated",
                    "id": format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]),
                    "occurred_at": ringproof_core::Timestamp(at * 1000).to_rfc3339(),
                    "payload": {
                        "call_control_id": format!("v3:{}", random_hex(24)),
                        "call_leg_id": random_hex(16),
                        "call_session_id": random_hex(16),
                        "client_state": null,
                        "connection_id": "1684641123236054244",
                        "direction": "incoming",
                        "from": caller,
                        "start_time": ringproof_core::Timestamp(at * 1000).to_rfc3339(),
                        "state": "parked",
                        "to": called
                    },
                    "record_type": "event"
                },
                "meta": {"attempt": 1, "delivered_to": url}
            })
            .to_string();
            let signature =
                SigningKey::from_bytes(&keys.telnyx_seed).sign(format!("{at}|{body}").as_bytes());
            CarrierRequest {
                headers: vec![
                    h(
                        "telnyx-signature-ed25519",
                        STANDARD.encode(signature.to_bytes()),
                    ),
                    h("telnyx-timestamp", at.to_string()),
                    h("User-Agent", "telnyx-webhooks".into()),
                ],
                url,
                content_type: "application/json",
                body,
            }
        }
        Carrier::Plivo => {
            // Plivo writes numbers without their +.
            let params = [
                ("BillRate", "0.00850".to_owned()),
                ("CallStatus", "ringing".to_owned()),
                ("CallUUID", {
                    let u = random_hex(16);
                    format!(
                        "{}-{}-{}-{}-{}",
                        &u[..8],
                        &u[8..12],
                        &u[12..16],
                        &u[16..20],
                        &u[20..]
                    )
                }),
                ("CallerName", String::new()),
                ("Direction", "inbound".to_owned()),
                ("Event", "StartApp".to_owned()),
                ("From", digits(caller)),
                ("SessionStart", "2026-12-06 10:00:00.000000".to_owned()),
                ("To", digits(called)),
            ];
            let nonce = random_digits_nonce();
            CarrierRequest {
                headers: vec![
                    h(
                        "X-Plivo-Signature-V3",
                        plivo_signature(&keys.plivo_auth_token, &url, &params, &nonce),
                    ),
                    h("X-Plivo-Signature-V3-Nonce", nonce),
                    h("User-Agent", "PlivoHTTPClient".into()),
                ],
                url,
                content_type: "application/x-www-form-urlencoded",
                body: form(&params),
            }
        }
        Carrier::Generic => {
            let body = json!({
                "caller": digits(caller),
                "called": called,
                "call_time": ringproof_core::Timestamp(at * 1000).to_rfc3339(),
            })
            .to_string();
            let id = format!("msg_{}", random_hex(12));
            CarrierRequest {
                headers: vec![
                    h(
                        "webhook-signature",
                        standard_signature(&keys.generic_secret, &id, at, &body),
                    ),
                    h("webhook-id", id),
                    h("webhook-timestamp", at.to_string()),
                ],
                url,
                content_type: "application/json",
                body,
            }
        }
    }
}

fn random_digits_nonce() -> String {
    super::random_digits(20)
}

impl FakeProviders {
    /// `caller` dials `called` through `carrier`: its webhook reaches the edge now.
    pub fn dial(&self, carrier: Carrier, caller: &str, called: &str) -> Result<Reply, String> {
        let config = self.config();
        if config.edge_base.is_empty() {
            return Err("the edge's address is not known: call set_edge_base first".into());
        }
        let at = super::now().secs();
        incoming_call(
            &config.carriers,
            carrier,
            &config.edge_base,
            caller,
            called,
            at,
        )
        .send()
    }

    /// The reject commands the edge sent Telnyx's Call Control API.
    pub fn telnyx_rejects(&self) -> Vec<String> {
        self.requests_to(Provider::Telnyx)
            .into_iter()
            .filter(|r| r.auth_ok && r.path.ends_with("/actions/reject"))
            .map(|r| r.path)
            .collect()
    }
}
