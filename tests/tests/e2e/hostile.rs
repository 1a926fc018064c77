//! Issue 9: hostile traffic. Generated malformed requests over every endpoint (truncated and
//! oversized bodies, wrong types, odd encodings, huge numbers, bad UTF-8): none may answer
//! 5xx or break the connection.

use crate::{Ctx, Scenario, ORIGIN};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use ringproof_tests::http;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![malformed_requests_never_answer_5xx];

/// At least this many requests, as the issue asks.
const CASES: u32 = 2100;

/// Endpoints, with the method each takes; `{id}` and `{key}` are filled in per case.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/verifications"),
    ("GET", "/v1/verifications/{id}"),
    ("GET", "/v1/verifications/{id}/number.svg"),
    ("POST", "/v1/verifications/{id}/check"),
    ("POST", "/v1/verifications/{id}/resend"),
    ("POST", "/v1/verifications/{id}/switch"),
    ("GET", "/v1/verifications/{id}/callbacks"),
    ("GET", "/v1/challenge?site_key={key}"),
    ("POST", "/v1/siteverify"),
    ("GET", "/v1/transactions/{id}"),
    ("POST", "/v1/carriers/twilio"),
    ("POST", "/v1/carriers/telnyx"),
    ("POST", "/v1/carriers/plivo"),
    ("POST", "/v1/carriers/generic"),
    ("POST", "/v1/carriers/{id}"),
    ("POST", "/v1/providers/mcn/{id}"),
    ("POST", "/v1/providers/telesign/{id}"),
    ("GET", "/Apps/Plugin/NewMobileRecorded.ashx?ApiKey={key}&ActivityTokenId={id}&MobileNumber={id}&ClientTransactionId={id}"),
    ("POST", "/v1/sandbox/missed-call"),
    ("GET", "/v1/sandbox"),
    ("PATCH", "/v1/admin/sites/{key}"),
    ("OPTIONS", "/v1/verifications/{id}"),
    ("DELETE", "/v1/verifications/{id}"),
];

/// A value of the wrong type, an odd string, or a huge number.
fn odd_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        Just(serde_json::json!(1e308)),
        Just(serde_json::json!(u64::MAX)),
        "\\PC{0,40}".prop_map(serde_json::Value::String),
        Just(serde_json::json!("\u{0}\u{202e}%00%ZZ../../")),
        Just(serde_json::json!(["sms", {"nested": [1, 2, 3]}])),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(|b| serde_json::json!(b)),
    ]
}

/// A body: a valid-looking object with odd fields, truncated JSON, raw bytes, form encoding.
fn body(site_key: String, token_like: String) -> impl Strategy<Value = Vec<u8>> {
    let fields = [
        "site_key",
        "phone",
        "channel",
        "country",
        "client_transaction_id",
        "proof",
        "code",
        "secret",
        "response",
        "caller",
        "called",
        "call_time",
        "verification_id",
        "reference_id",
        "verification_call_uuid",
        "status",
        "title",
        "domains",
        "limits",
    ];
    let object = prop::collection::vec((prop::sample::select(fields.to_vec()), odd_value()), 0..8)
        .prop_map(move |pairs| {
            let mut m = serde_json::Map::new();
            m.insert("site_key".into(), serde_json::json!(site_key));
            m.insert("response".into(), serde_json::json!(token_like));
            for (k, v) in pairs {
                m.insert(k.to_owned(), v);
            }
            serde_json::Value::Object(m).to_string().into_bytes()
        })
        .boxed();
    prop_oneof![
        4 => object.clone(),
        2 => (object, any::<prop::sample::Index>()).prop_map(|(b, i)| {
            let cut = i.index(b.len().max(1));
            b[..cut].to_vec()
        }),
        2 => prop::collection::vec(any::<u8>(), 0..300),
        1 => Just(vec![0xff, 0xfe, b'{', 0xc3, 0x28, b'}']),
        1 => "[a-z=&%0-9]{0,80}".prop_map(String::into_bytes),
        1 => Just(vec![b'['; 5000]),
        1 => Just(format!("{{\"phone\":\"{}\"}}", "9".repeat(20_000)).into_bytes()),
    ]
}

fn id_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{0,30}",
        "%[0-9A-F]{2}[a-z%]{0,10}",
        "\\PC{0,12}".prop_map(|s| s
            .chars()
            .filter(|c| !c.is_control() && *c != '/' && *c != '?' && *c != '#')
            .collect()),
        Just("a".repeat(3000)),
        Just("..%2F..%2Fetc".to_owned()),
    ]
}

fn malformed_requests_never_answer_5xx(ctx: &Ctx) {
    let live = ctx.start();
    let live_id = live["verification_id"].as_str().unwrap().to_owned();
    let key = ctx.edge.sandbox.site_key.clone();
    let strategy = (
        prop::sample::select(ROUTES.to_vec()),
        prop_oneof![Just(live_id.clone()), id_like()],
        prop_oneof![Just(key.clone()), id_like()],
        body(key.clone(), format!("{live_id}.AAAA")),
        prop::sample::select(vec![
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain;charset=UTF-8",
            "multipart/form-data; boundary=x",
            "",
        ]),
        prop::option::of(prop::sample::select(vec![
            ORIGIN,
            "https://evil.example",
            "null",
            "http://a b",
        ])),
    );
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        },
        // Fixed, so a failure reproduces.
        TestRng::from_seed(RngAlgorithm::ChaCha, &[9; 32]),
    );
    let sent = std::cell::Cell::new(0u32);
    let result = runner.run(
        &strategy,
        |((method, path), id, k, body, content_type, origin)| {
            let enc = |s: &str| {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z'
                        | b'a'..=b'z'
                        | b'0'..=b'9'
                        | b'-'
                        | b'_'
                        | b'.'
                        | b'~'
                        | b'%' => (b as char).to_string(),
                        _ => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            };
            let path = path.replace("{id}", &enc(&id)).replace("{key}", &enc(&k));
            let mut headers: Vec<(&str, &str)> = Vec::new();
            if let Some(o) = origin {
                headers.push(("Origin", o));
            }
            let r = http::raw(method, &ctx.url(&path), content_type, &body, &headers);
            sent.set(sent.get() + 1);
            let r =
                r.map_err(|e| TestCaseError::fail(format!("{method} {path}: transport {e}")))?;
            prop_assert!(
                r.status < 500,
                "{} {} ({} bytes, {:?}) answered {}: {}",
                method,
                path,
                body.len(),
                content_type,
                r.status,
                r.body
            );
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(sent.get() >= 2000, "only {} requests", sent.get());
    println!("    {} malformed requests, no 5xx", sent.get());
    // The live verification is untouched by all of it.
    assert_eq!(ctx.status(&live_id)["status"], "pending");
}
