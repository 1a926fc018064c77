use super::*;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};

const NOW: Timestamp = Timestamp(1_780_000_000_000);

fn delivered<'a>(url: &'a str, headers: &'a [(String, String)], body: &'a str) -> Delivered<'a> {
    Delivered { url, headers, body }
}

fn h(name: &str, value: &str) -> (String, String) {
    (name.into(), value.into())
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| h(k, v)).collect()
}

#[test]
fn twilio_signs_as_its_documentation_shows() {
    // The example in Twilio's "Webhooks security" page, which its RequestValidator also gives.
    let params = pairs(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]);
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(
        twilio::signature("12345", url, &params),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
}

const TWILIO_URL: &str = "https://edge.example/v1/carriers/twilio";
const TWILIO_BODY: &str = "AccountSid=AC1&CallSid=CA42&CallStatus=ringing&Direction=inbound&From=%2B447400123456&To=%2B442079460001";

fn twilio_signed(url: &str) -> Vec<(String, String)> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(TWILIO_BODY).unwrap();
    vec![h(
        "X-Twilio-Signature",
        &twilio::signature("token", url, &params),
    )]
}

#[test]
fn a_signed_twilio_call_is_read_and_anything_else_refused() {
    let headers = twilio_signed(TWILIO_URL);
    let call = twilio::read("token", &delivered(TWILIO_URL, &headers, TWILIO_BODY)).unwrap();
    assert_eq!(
        call,
        InboundCall {
            caller: "+447400123456".into(),
            called: "+442079460001".into(),
            call_id: Some("CA42".into()),
            at: None
        }
    );
    // Signed with the port spelled out: Twilio's own validator takes both spellings.
    let with_port = twilio_signed("https://edge.example:443/v1/carriers/twilio");
    assert!(twilio::read("token", &delivered(TWILIO_URL, &with_port, TWILIO_BODY)).is_ok());

    let other_key = twilio::read("other", &delivered(TWILIO_URL, &headers, TWILIO_BODY));
    assert_eq!(other_key, Err(Refusal::Forged));
    let changed = TWILIO_BODY.replace("123456", "999999");
    let r = twilio::read("token", &delivered(TWILIO_URL, &headers, &changed));
    assert_eq!(r, Err(Refusal::Forged));
    let elsewhere = twilio::read(
        "token",
        &delivered(
            "https://evil.example/v1/carriers/twilio",
            &headers,
            TWILIO_BODY,
        ),
    );
    assert_eq!(elsewhere, Err(Refusal::Forged));
    let unsigned = twilio::read("token", &delivered(TWILIO_URL, &[], TWILIO_BODY));
    assert_eq!(unsigned.unwrap_err().code(), "carrier_unsigned");
}

#[test]
fn plivo_signs_its_v3_way() {
    // Values computed with the official Plivo SDK's `validate_v3_signature` helpers.
    let params = pairs(&[
        ("From", "919876543210"),
        ("To", "918047100000"),
        ("CallUUID", "abc-123"),
    ]);
    let url = "https://answer.example.com/v1/carriers/plivo";
    let sig = plivo::signature("token-1", url, &params, "12345");
    assert_eq!(sig, "cOLGlHadS7y3f1iNZaGz/46pi9bHPgrg05moxElN8E4=");
    let with_query = plivo::signature(
        "token-1",
        "https://answer.example.com/v1/carriers/plivo?b=2&a=1",
        &params[..1],
        "12345",
    );
    assert_eq!(with_query, "RgWDlJn/qm9yX3NcILQRrz8TCFkNtheFG3BR3TeY1sQ=");
    let body = serde_urlencoded::to_string(&params).unwrap();
    let headers = vec![
        h("X-Plivo-Signature-V3", &format!("old,{sig}")),
        h("X-Plivo-Signature-V3-Nonce", "12345"),
    ];
    let call = plivo::read("token-1", &delivered(url, &headers, &body)).unwrap();
    assert_eq!(call.caller, "919876543210");
    assert_eq!(call.call_id.as_deref(), Some("abc-123"));
    let other_nonce = vec![
        h("X-Plivo-Signature-V3", &sig),
        h("X-Plivo-Signature-V3-Nonce", "12346"),
    ];
    let r = plivo::read("token-1", &delivered(url, &other_nonce, &body));
    assert_eq!(r, Err(Refusal::Forged));
    let no_nonce = vec![h("X-Plivo-Signature-V3", &sig)];
    let r = plivo::read("token-1", &delivered(url, &no_nonce, &body));
    assert!(matches!(r, Err(Refusal::Unsigned(_))));
}

fn telnyx_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn telnyx_public() -> String {
    base64::engine::general_purpose::STANDARD.encode(telnyx_key().verifying_key().to_bytes())
}

fn telnyx_event(event_type: &str, direction: &str) -> String {
    serde_json::json!({
        "data": {
            "event_type": event_type,
            "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
            "occurred_at": "2026-06-01T10:00:00.000000Z",
            "payload": {
                "call_control_id": "v3:abc",
                "call_leg_id": "leg",
                "call_session_id": "session",
                "connection_id": "7267",
                "direction": direction,
                "from": "+447400123456",
                "to": "+442079460002",
                "state": "parked"
            },
            "record_type": "event"
        },
        "meta": {"attempt": 1, "delivered_to": "https://edge.example/v1/carriers/telnyx"}
    })
    .to_string()
}

fn telnyx_headers(body: &str, at: u64) -> Vec<(String, String)> {
    let sig = telnyx_key().sign(format!("{at}|{body}").as_bytes());
    vec![
        h(
            "Telnyx-Signature-Ed25519",
            &base64::engine::general_purpose::STANDARD.encode(sig.to_bytes()),
        ),
        h("Telnyx-Timestamp", &at.to_string()),
    ]
}

#[test]
fn telnyx_events_are_read_when_signed_recently() {
    let body = telnyx_event("call.initiated", "incoming");
    let now = NOW.secs();
    let headers = telnyx_headers(&body, now - 10);
    let url = "https://edge.example/v1/carriers/telnyx";
    let call = telnyx::read(&telnyx_public(), &delivered(url, &headers, &body), NOW)
        .unwrap()
        .unwrap();
    assert_eq!(call.called, "+442079460002");
    assert_eq!(call.call_id.as_deref(), Some("v3:abc"));
    assert!(call.at.is_some());

    let stale = telnyx_headers(&body, now - STALE_AFTER_SECS - 1);
    let r = telnyx::read(&telnyx_public(), &delivered(url, &stale, &body), NOW);
    assert_eq!(r, Err(Refusal::Stale));
    // The timestamp is signed: moving it forward breaks the signature.
    let mut moved = telnyx_headers(&body, now - STALE_AFTER_SECS - 1);
    moved[1].1 = now.to_string();
    let r = telnyx::read(&telnyx_public(), &delivered(url, &moved, &body), NOW);
    assert_eq!(r, Err(Refusal::Forged));
    let other = SigningKey::from_bytes(&[8u8; 32]);
    let other_public =
        base64::engine::general_purpose::STANDARD.encode(other.verifying_key().to_bytes());
    let r = telnyx::read(&other_public, &delivered(url, &headers, &body), NOW);
    assert_eq!(r, Err(Refusal::Forged));

    for (event, direction) in [("call.hangup", "incoming"), ("call.initiated", "outgoing")] {
        let body = telnyx_event(event, direction);
        let headers = telnyx_headers(&body, now);
        let r = telnyx::read(&telnyx_public(), &delivered(url, &headers, &body), NOW);
        assert_eq!(r, Ok(None), "{event} {direction} is not a call to route");
    }
}

#[test]
fn telnyx_is_told_to_reject_the_call() {
    let api = telnyx::Api {
        base_url: "https://api.telnyx.com/".into(),
        api_key: "KEY".into(),
    };
    let out = telnyx::reject(&api, "v3:a/b").unwrap();
    assert_eq!(
        out.url,
        "https://api.telnyx.com/v2/calls/v3:a%2Fb/actions/reject"
    );
    assert_eq!(out.body.as_deref(), Some(r#"{"cause":"USER_BUSY"}"#));
    assert!(out.headers.contains(&h("Authorization", "Bearer KEY")));
    let answer = |status| crate::providers::Answer {
        status,
        body: String::new(),
    };
    assert!(telnyx::reject_taken(&answer(200)));
    assert!(telnyx::reject_taken(&answer(204)));
    assert!(!telnyx::reject_taken(&answer(422)), "a call already gone");
    assert!(!telnyx::reject_taken(&answer(302)));
}

#[test]
fn the_generic_adapter_is_signed_as_standard_webhooks_sign() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let key = base64::engine::general_purpose::STANDARD
        .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .unwrap();
    let body =
        r#"{"caller":"447400123456","called":"+442079460003","call_time":"2026-06-01T10:00:00Z"}"#;
    let at = NOW.secs();
    let sig = ringproof_signature::webhook_signature(&key, "msg_1", at, body);
    let headers = vec![
        h("webhook-id", "msg_1"),
        h("webhook-timestamp", &at.to_string()),
        h("webhook-signature", &sig),
    ];
    let url = "https://edge.example/v1/carriers/generic";
    let call = generic::read(secret, &delivered(url, &headers, body), NOW).unwrap();
    assert_eq!(
        call.call_id.as_deref(),
        Some("msg_1"),
        "the delivery names the call"
    );
    let later = NOW.plus_secs(STALE_AFTER_SECS + 1);
    let r = generic::read(secret, &delivered(url, &headers, body), later);
    assert_eq!(r, Err(Refusal::Stale));
    let r = generic::read(secret, &delivered(url, &headers[..2], body), NOW);
    assert!(matches!(r, Err(Refusal::Unsigned(_))));
    let r = generic::read("not-whsec", &delivered(url, &headers, body), NOW);
    assert!(matches!(r, Err(Refusal::NotConfigured(_))));
}

#[test]
fn no_key_no_report() {
    let r = read(
        Carrier::Twilio,
        None,
        &delivered(TWILIO_URL, &[], TWILIO_BODY),
        NOW,
    );
    assert_eq!(r, Err(Refusal::NotConfigured("TWILIO_AUTH_TOKEN")));
    assert_eq!(r.unwrap_err().status(), 503);
}

#[test]
fn inbound_numbers_name_their_carrier() {
    let (numbers, problems) =
        parse_inbound_numbers(" +442079460001=twilio, +442079460002=telnyx,+442079460003 ,");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(numbers.len(), 3);
    assert_eq!(numbers[0].carrier, Carrier::Twilio);
    assert_eq!(numbers[2].carrier, Carrier::Generic);
    // A typo costs its own entry only.
    let (kept, problems) =
        parse_inbound_numbers("+442079460001=vonage,442079460002,+442079460004=plivo");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].carrier, Carrier::Plivo);
    assert_eq!(problems.len(), 2);
    assert!(
        problems[0].contains("twilio, telnyx, plivo, generic"),
        "{problems:?}"
    );
    assert!(problems[1].contains("E.164"), "{problems:?}");

    let call = |called: &str| InboundCall {
        caller: "447400123456".into(),
        called: called.into(),
        call_id: None,
        at: None,
    };
    let (caller, called) = admit(&numbers, Carrier::Twilio, &call("+442079460001"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (caller.as_str(), called.as_str()),
        ("+447400123456", "+442079460001")
    );
    // Plivo writes numbers without their +.
    assert!(admit(&numbers, Carrier::Generic, &call("442079460003")).is_ok());
    // A Twilio-signed report of a call to a Telnyx number, or to a number not ours, is refused.
    assert_eq!(
        admit(&numbers, Carrier::Twilio, &call("+442079460002")),
        Err(Refusal::NotOurNumber)
    );
    assert_eq!(
        admit(&numbers, Carrier::Twilio, &call("+442079469999")),
        Err(Refusal::NotOurNumber)
    );
    let withheld = InboundCall {
        caller: "anonymous".into(),
        ..call("+442079460001")
    };
    assert_eq!(admit(&numbers, Carrier::Twilio, &withheld), Ok(None));
}

#[test]
fn carriers_are_told_to_refuse_the_call_unanswered() {
    let (ty, body) = answer(Carrier::Twilio, Some(CallOutcome::Verified));
    assert_eq!(ty, "text/xml");
    assert!(body.contains(r#"<Reject reason="busy"/>"#));
    let (_, body) = answer(Carrier::Plivo, None);
    assert!(body.contains(r#"<Hangup reason="busy"/>"#));
    let (ty, body) = answer(Carrier::Generic, Some(CallOutcome::Unmatched));
    assert_eq!(
        (ty, body.as_str()),
        ("application/json", r#"{"outcome":"unmatched"}"#)
    );
    for o in [
        CallOutcome::Verified,
        CallOutcome::Repeat,
        CallOutcome::Unmatched,
        CallOutcome::TooLate,
    ] {
        assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
    }
    for c in Carrier::ALL {
        assert_eq!(Carrier::from_name(c.name()), Some(c));
    }
}
