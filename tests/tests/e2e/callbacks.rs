//! Issue 4: signed callbacks to the site, delivered at least once. The receiver plays the
//! site: it fails, hangs or recovers as each scenario tells it.

use crate::{visitor_e164, visitor_phone, Ctx, Scenario, ORIGIN};
use ringproof_api::{CallbackEvent, CallbackFormat, CallbackType, Callbacks, Channel};
use ringproof_core::signature::{self, SignatureError};
use ringproof_tests::callback_receiver::{Answer, Received, REDIRECTED};
use ringproof_tests::fake_providers::{Mode, Provider, SmsOutcome};
use ringproof_tests::harness::SandboxSite;
use ringproof_tests::http::{self, Reply};
use serde_json::json;
use std::time::Duration;

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    json_callbacks_are_signed_and_retried_until_the_site_recovers,
    a_hung_site_times_out_and_hears_again,
    a_site_that_never_recovers_is_given_up_after_the_schedule,
    a_final_failure_is_called_back_with_its_reason,
    callbacks_follow_a_secret_rotation,
    a_redirecting_site_is_not_followed,
    costs_reported_after_the_code_reach_the_callback,
];

const WAIT: Duration = Duration::from_secs(30);

/// A site of its own whose callback is the receiver's `path`.
pub fn site_calling_back(
    ctx: &Ctx,
    channels: &[Channel],
    path: &str,
    format: CallbackFormat,
) -> SandboxSite {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "Callbacks", &["http://localhost:*"]);
    site.channels = channels.to_vec();
    site.callback_url = Some(ctx.receiver.url(path));
    site.callback_format = format;
    ctx.edge.put_site(&site).unwrap();
    creds
}

/// Starts a missed-call verification with a fresh ClientTransactionId and makes the call.
pub fn verify_by_call(ctx: &Ctx, site: &SandboxSite) -> (String, String) {
    verify_by_call_as(ctx, site, crate::unique_ctid())
}

/// [`verify_by_call`] with a ClientTransactionId of the caller's choosing.
pub fn verify_by_call_as(ctx: &Ctx, site: &SandboxSite, ctid: String) -> (String, String) {
    let r = ctx.create(
        json!({"site_key": site.site_key, "phone": visitor_phone(), "channel": "missed_call",
               "client_transaction_signature": crate::signed(&site.secret, &ctid),
               "client_transaction_id": ctid}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    ctx.call(&created);
    (
        created["verification_id"].as_str().unwrap().to_owned(),
        ctid,
    )
}

pub fn deliveries(ctx: &Ctx, id: &str, secret: &str) -> Reply {
    let auth = format!("Bearer {secret}");
    http::get_with(
        &ctx.url(&format!("/v1/verifications/{id}/callbacks")),
        &[("Authorization", auth.as_str())],
    )
    .unwrap()
}

fn delivery_log(ctx: &Ctx, id: &str, secret: &str) -> Callbacks {
    let r = deliveries(ctx, id, secret);
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// Polls the delivery log until its state is `state`.
pub fn wait_for_state(ctx: &Ctx, id: &str, secret: &str, state: &str) -> Callbacks {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let log = delivery_log(ctx, id, secret);
        let now = serde_json::to_value(&log).unwrap();
        if now["deliveries"][0]["state"] == state || std::time::Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Checks a JSON callback as a site would, with the site's secret, at `now`.
pub fn check_json(
    site: &SandboxSite,
    r: &Received,
    now: u64,
) -> Result<CallbackEvent, SignatureError> {
    signature::verify_webhook(
        site.secret.as_bytes(),
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.header("webhook-signature"),
        &r.body,
        now,
    )?;
    Ok(serde_json::from_str(&r.body).expect("a callback event"))
}

fn json_callbacks_are_signed_and_retried_until_the_site_recovers(ctx: &Ctx) {
    let path = "/hooks/recovers";
    ctx.receiver
        .plan(path, &[Answer::Status(500), Answer::Status(503)]);
    let site = site_calling_back(ctx, &[Channel::MissedCall], path, CallbackFormat::Json);
    let (id, ctid) = verify_by_call(ctx, &site);

    let got = ctx.receiver.wait_for(path, 3, WAIT);
    assert_eq!(
        got.len(),
        3,
        "two failures, then the retry that lands: {}",
        deliveries(ctx, &id, &site.secret).body
    );
    let now = crate::now_secs();
    for r in &got {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("content-type"), Some("application/json"));
        // The idempotency key is the same on every attempt.
        assert_eq!(r.header("webhook-id"), Some(format!("evt_{id}").as_str()));
        let event = check_json(&site, r, now).expect("each attempt is signed afresh");
        assert_eq!(event.kind, CallbackType::Verified);
        assert_eq!(event.data.verification_id, id);
        assert_eq!(
            event.data.client_transaction_id.as_deref(),
            Some(ctid.as_str())
        );
        assert_eq!(event.data.phone, visitor_e164());
        assert_eq!(event.data.channel, Channel::MissedCall);
        assert!(event.data.call_time.is_some());
    }
    assert_eq!(got[0].body, got[2].body, "the same event, byte for byte");
    // Backoff: the test deployment waits 1 s, then 2 s (production: 5 s, 5 min, ... 27 h).
    let gaps: Vec<f64> = got
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs_f64())
        .collect();
    assert!(gaps[0] >= 0.9 && gaps[1] >= 1.9, "backoff grows: {gaps:?}");

    // A captured callback cannot be replayed later, nor checked with another secret.
    assert_eq!(
        check_json(&site, &got[2], now + signature::TOLERANCE_SECS + 60).unwrap_err(),
        SignatureError::Stale
    );
    assert_eq!(
        check_json(&ctx.edge.sandbox, &got[2], now).unwrap_err(),
        SignatureError::Mismatch
    );

    let log = wait_for_state(ctx, &id, &site.secret, "delivered");
    let d = &log.deliveries[0];
    assert_eq!(d.event_id, format!("evt_{id}"));
    let statuses: Vec<Option<u16>> = d.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(200)]);
    assert_eq!(d.next_attempt_at, None);

    // The log is the site's own: another secret sees nothing, no secret gets 401.
    assert!(delivery_log(ctx, &id, &ctx.edge.sandbox.secret)
        .deliveries
        .is_empty());
    assert_eq!(deliveries(ctx, &id, "rp_secret_wrong").status, 401);
    assert_eq!(deliveries(ctx, &id, "").status, 401);
}

/// A 3xx is the site's (failed) answer, never followed: the signed POST would become a GET
/// elsewhere, or carry its signature to another host.
fn a_redirecting_site_is_not_followed(ctx: &Ctx) {
    let path = "/hooks/redirects";
    ctx.receiver.plan(path, &[Answer::Redirect]);
    let site = site_calling_back(ctx, &[Channel::MissedCall], path, CallbackFormat::Json);
    let (id, _) = verify_by_call(ctx, &site);
    let got = ctx.receiver.wait_for(path, 2, WAIT);
    assert_eq!(got.len(), 2, "the redirect, then the retry that lands");
    assert_eq!(got[0].answered, Answer::Redirect);
    let log = wait_for_state(ctx, &id, &site.secret, "delivered");
    let statuses: Vec<Option<u16>> = log.deliveries[0]
        .attempts
        .iter()
        .map(|a| a.status)
        .collect();
    assert_eq!(statuses, [Some(307), Some(200)]);
    assert!(
        ctx.receiver.received(REDIRECTED).is_empty(),
        "nothing followed the redirect"
    );
}

fn a_hung_site_times_out_and_hears_again(ctx: &Ctx) {
    let path = "/hooks/hangs";
    ctx.receiver.plan(path, &[Answer::Hang]);
    let site = site_calling_back(ctx, &[Channel::MissedCall], path, CallbackFormat::Json);
    let (id, _) = verify_by_call(ctx, &site);
    let got = ctx.receiver.wait_for(path, 2, WAIT);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    let log = wait_for_state(ctx, &id, &site.secret, "delivered");
    let a = &log.deliveries[0].attempts;
    assert_eq!(a[0].error.as_deref(), Some("timeout"), "{a:?}");
    // The test deployment's deadline is 2 s.
    assert!(a[0].duration_ms >= 1900, "{a:?}");
    assert_eq!(a[1].status, Some(200));
}

fn a_site_that_never_recovers_is_given_up_after_the_schedule(ctx: &Ctx) {
    let path = "/hooks/down";
    ctx.receiver.plan(path, &[Answer::Status(500); 10]);
    let site = site_calling_back(ctx, &[Channel::MissedCall], path, CallbackFormat::Json);
    let (id, _) = verify_by_call(ctx, &site);
    let log = wait_for_state(ctx, &id, &site.secret, "gave_up");
    let d = &log.deliveries[0];
    assert_eq!(serde_json::to_value(d.state).unwrap(), "gave_up", "{d:?}");
    // The first attempt and one retry per step of the test schedule (1 s, 2 s, 2 s).
    assert_eq!(d.attempts.len(), 4, "{d:?}");
    assert_eq!(d.next_attempt_at, None);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        ctx.receiver.received(path).len(),
        4,
        "nothing after giving up"
    );
}

fn a_final_failure_is_called_back_with_its_reason(ctx: &Ctx) {
    let path = "/hooks/failure";
    let site = site_calling_back(ctx, &[Channel::FlashCall], path, CallbackFormat::Json);
    let failing = ctx.edge.fakes.in_mode(Provider::Mcn, Mode::ServerError);
    let created = ctx.start_on(&site, Channel::FlashCall);
    let id = created["verification_id"].as_str().unwrap().to_owned();
    // Each send fails at once, so no cool-down applies; the fifth is the last allowed.
    for _ in 1..ringproof_core::session::MAX_SENDS {
        let r = ctx.act(&id, "resend", json!({}));
        assert_eq!(r.status, 200, "{}", r.body);
    }
    drop(failing);
    let r = ctx.act(&id, "resend", json!({}));
    assert_eq!(
        (r.status, r.error_code()),
        (429, "too_many_sends".into()),
        "no sixth send: {}",
        r.body
    );
    let got = ctx.receiver.wait_for(path, 1, WAIT);
    assert_eq!(got.len(), 1, "a failure with no send left is final at once");
    let event = check_json(&site, &got[0], crate::now_secs()).unwrap();
    assert_eq!(event.kind, CallbackType::Failed);
    assert_eq!(event.data.attempts, ringproof_core::session::MAX_SENDS);
    let failure = event.data.failure.expect("a reason");
    assert_eq!(failure.code, "provider_unavailable", "{failure:?}");
    assert!(!failure.message.is_empty());
}

fn callbacks_follow_a_secret_rotation(ctx: &Ctx) {
    let r = crate::e2e::sites::admin(
        ctx,
        "POST",
        "",
        Some(
            json!({"title": "Rotating shop", "domains": ["http://localhost:*"],
                    "channels": ["missed_call"], "callback_url": ctx.receiver.url("/hooks/rotated")}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let key = created["site"]["site_key"].as_str().unwrap().to_owned();
    let r = crate::e2e::sites::admin(ctx, "POST", &format!("/{key}/rotate-secret"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    let rotated = r.json();
    let fresh = rotated["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        rotated["webhook_secret"].as_str().unwrap(),
        ringproof_core::secret::webhook_secret(&fresh)
    );
    let site = SandboxSite {
        site_key: key,
        secret: fresh,
        ..Default::default()
    };
    let (_, _) = verify_by_call(ctx, &site);
    let got = ctx.receiver.wait_for("/hooks/rotated", 1, WAIT);
    assert_eq!(got.len(), 1);
    check_json(&site, &got[0], crate::now_secs()).expect("signed with the new secret");
    let old = SandboxSite {
        secret: created["secret"].as_str().unwrap().to_owned(),
        ..site
    };
    assert_eq!(
        check_json(&old, &got[0], crate::now_secs()).unwrap_err(),
        SignatureError::Mismatch
    );
}

/// TeleSign's delivery report, with its price, may come after the visitor typed the code: a
/// callback still being retried carries it, and the transaction lookup always has it.
fn costs_reported_after_the_code_reach_the_callback(ctx: &Ctx) {
    let path = "/hooks/costs";
    ctx.receiver.plan(path, &[Answer::Status(500)]);
    let site = site_calling_back(ctx, &[Channel::Sms], path, CallbackFormat::Json);
    let ctid = crate::unique_ctid();
    let r = ctx.create(
        json!({"site_key": site.site_key, "phone": visitor_phone(), "channel": "sms",
               "client_transaction_signature": crate::signed(&site.secret, &ctid),
               "client_transaction_id": ctid}),
        Some(ORIGIN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["verification_id"].as_str().unwrap().to_owned();
    let sms = ctx
        .edge
        .fakes
        .last_message(visitor_e164())
        .expect("the SMS");
    let r = ctx.act(&id, "check", json!({ "code": sms.code }));
    assert_eq!(r.json()["status"], "verified", "{}", r.body);
    ctx.edge
        .fakes
        .fire_sms(&sms.reference, SmsOutcome::Delivered)
        .unwrap();

    let got = ctx.receiver.wait_for(path, 2, WAIT);
    assert_eq!(got.len(), 2, "a failure, then the retry");
    let event = check_json(&site, &got[1], crate::now_secs()).unwrap();
    let cost = event
        .data
        .costs
        .first()
        .expect("the retry carries the cost");
    assert_eq!(
        (cost.price.as_deref(), cost.currency.as_deref()),
        (Some("0.5112"), Some("USD"))
    );
    assert_eq!(cost.reference, sms.reference);
    let auth = format!("Bearer {}", site.secret);
    let t = http::get_with(
        &ctx.url(&format!("/v1/transactions/{ctid}")),
        &[("Authorization", auth.as_str())],
    )
    .unwrap()
    .json();
    assert_eq!(t["costs"][0]["price"], "0.5112", "{t}");
}
