//! Issue 14: how records end, end to end, on an edge whose attempts last 4 s. A verification
//! left alone expires, its site is told at the session's end, KV keeps its record for 30 days,
//! and its Durable Object forgets it.

use crate::e2e::callbacks::check_json;
use crate::e2e::live::opened_at;
use crate::{signed, visitor_e164, visitor_phone, Ctx, Scenario, ORIGIN};
use ringproof_api::{CallbackFormat, CallbackType, Channel};
use ringproof_tests::harness::{LocalEdge, SandboxSite};
use ringproof_tests::http;
use ringproof_tests::ws_client::{self, Frame, Handshake};
use serde_json::json;
use std::time::{Duration, Instant};

pub const SCENARIOS: &[(&str, Scenario)] =
    scenarios![an_ended_attempt_is_told_recorded_for_30_days_and_forgotten];

/// The README: finished verifications are kept 30 days.
const RECORD_DAYS: u64 = 30;

fn an_ended_attempt_is_told_recorded_for_30_days_and_forgotten(ctx: &Ctx) {
    let edge = LocalEdge::start_for_tests_changed(&[], &[("ATTEMPT_SECS", "4")])
        .expect("an edge with 4 s attempts");
    let path = "/hooks/lifetimes";
    let creds = SandboxSite::generate(&edge.secrets);
    let mut site = edge.site(&creds, "Lifetimes", &["http://localhost:*"]);
    site.channels = vec![Channel::MissedCall];
    site.callback_url = Some(ctx.receiver.url(path));
    site.callback_format = CallbackFormat::Json;
    edge.put_site(&site).unwrap();
    let ctid = crate::unique_ctid();
    let proof = ringproof_tests::proof::solved(&edge.base_url, &creds.site_key, ORIGIN);
    // Before the request: the session's end is counted from when its object made it, which a
    // slow answer must not move later than it was.
    let started = Instant::now();
    let r = http::post_json(
        &format!("{}/v1/verifications", edge.base_url),
        &json!({"site_key": creds.site_key, "phone": visitor_phone(), "channel": "missed_call",
                "proof": proof,
                "client_transaction_id": ctid,
                "client_transaction_signature": signed(&creds.secret, &ctid)}),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let id = created["verification_id"].as_str().unwrap().to_owned();

    let mut s = opened_at(&edge.base_url, &id);
    assert_eq!(s.next_json().unwrap()["status"], "pending");
    assert_eq!(s.next_json().unwrap()["status"], "expired");
    assert_eq!(s.frame().unwrap(), Frame::Close(1000));
    // The visitor's call, reported after the attempt's end, is too late and changes nothing.
    let called = created["call_to_uri"]
        .as_str()
        .unwrap()
        .trim_start_matches("tel:");
    let late = edge.call(visitor_e164(), called).unwrap();
    assert_eq!(
        (late.status, late.call_outcome()),
        (200, "too_late"),
        "{}",
        late.body
    );
    // Until the session's end the visitor may still try another way: nothing is told or
    // recorded yet.
    assert!(ctx.receiver.received(path).is_empty());
    assert_eq!(edge.kv_list("verification:").unwrap(), vec![]);
    let auth = format!("Bearer {}", creds.secret);
    let transaction_says_expired = || {
        let t = http::get_with(
            &format!("{}/v1/transactions/{ctid}", edge.base_url),
            &[("Authorization", auth.as_str())],
        )
        .unwrap();
        assert_eq!(
            (t.status, t.json()["status"].as_str()),
            (200, Some("expired")),
            "{}",
            t.body
        );
    };
    transaction_says_expired();

    // The session ends a minute (the clock skew allowed) past the attempt: the site is told.
    let got = ctx.receiver.wait_for(path, 1, Duration::from_secs(120));
    assert_eq!(got.len(), 1, "the expiry is called back once");
    let told_after = started.elapsed();
    assert!(
        told_after >= Duration::from_secs(60),
        "told {told_after:?} after the start: not before the session's end"
    );
    let event =
        check_json(&creds, &got[0], crate::now_secs()).expect("signed by the site's secret");
    assert_eq!(event.kind, CallbackType::Failed);
    assert_eq!(event.data.failure.expect("a reason").code, "expired");

    // KV holds the record, with its expiration 30 days on, as the operator's tool shows it.
    let listed = wait_until("the finished record in KV", || {
        let l = edge.kv_list("verification:")?;
        (!l.is_empty())
            .then_some(l)
            .ok_or_else(|| "none yet".to_owned())
    });
    let now = crate::now_secs();
    match &listed[..] {
        [(name, Some(expiration))] => {
            assert_eq!(*name, format!("verification:{id}"));
            let days = RECORD_DAYS * 86_400;
            assert!(
                (now + days - 300..=now + days + 5).contains(expiration),
                "expires at {expiration}, {} s from now, not in {RECORD_DAYS} days",
                expiration.saturating_sub(now)
            );
        }
        other => panic!("one record with an expiration, not {other:?}"),
    }

    // The object forgot the session: a page can no longer follow it nor read its view, and
    // the site's server still finds the transaction, from KV.
    let gone = wait_until(
        "the object to forget the session",
        || match ws_client::connect(
            &edge.base_url,
            &crate::e2e::live::live_path(&id),
            Some(ORIGIN),
        )? {
            Handshake::Refused { status, body } => Ok((status, body)),
            Handshake::Open(_) => Err("still followed".into()),
        },
    );
    assert_eq!(gone.0, 404, "{}", gone.1);
    let status = http::get_with(
        &format!("{}/v1/verifications/{id}", edge.base_url),
        &[("Origin", ORIGIN)],
    )
    .unwrap();
    assert_eq!(
        (status.status, status.error_code()),
        (404, "verification_not_found".into())
    );
    transaction_says_expired();
    // Told once, not again when the object forgot.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(ctx.receiver.received(path).len(), 1);
}

/// Retries `f` for 30 s.
fn wait_until<T>(what: &str, mut f: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if Instant::now() > deadline => panic!("waiting for {what}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}
