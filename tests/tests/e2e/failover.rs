//! Issue 24: more than one provider per channel, and failover. India's routes have two
//! providers each in the scenarios' deployment (`harness::TEST_ROUTES`): TeleSign then Twilio's
//! Messaging API for SMS, Phone Confirm then Twilio's Voice API for voice. A provider taken
//! down mid-run must cost the visitor nothing: the send goes to the next one, and after three
//! failures in a row the down one is skipped (its breaker, shared by the deployment, opens)
//! until a probe after its cool-down finds it back.

use crate::e2e::attacks::start_with as start;
use crate::{Ctx, Scenario};
use ringproof_api::{Channel, SiteLimits};
use ringproof_tests::fake_providers::{Mode, Provider, TwilioStatus};
use ringproof_tests::harness::SandboxSite;
use ringproof_tests::http;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub const SCENARIOS: &[(&str, Scenario)] = scenarios![
    a_down_sms_provider_is_routed_around_without_the_visitor_noticing,
    a_down_voice_provider_is_routed_around,
];

fn site(ctx: &Ctx, channels: &[Channel]) -> SandboxSite {
    let creds = SandboxSite::generate(&ctx.edge.secrets);
    let mut site = ctx.edge.site(&creds, "Failover", &["http://localhost:*"]);
    site.channels = channels.to_vec();
    site.limits = SiteLimits {
        paid_countries: Some(vec!["*".into()]),
        pow_max_number: Some(ringproof_core::limits::POW_MAX_NUMBER_RANGE.0),
        ..Default::default()
    };
    ctx.edge.put_site(&site).unwrap();
    creds
}

fn breakers(ctx: &Ctx) -> Vec<Value> {
    let anyone = http::get(&ctx.url("/v1/admin/providers")).unwrap();
    assert_eq!(
        (anyone.status, anyone.error_code().as_str()),
        (401, "unauthorized"),
        "the operator's view only"
    );
    let r = http::get_with(
        &ctx.url("/v1/admin/providers"),
        &[(
            "Authorization",
            &format!("Bearer {}", ctx.edge.secrets.admin_token),
        )],
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["breakers"].as_array().unwrap().clone()
}

fn breaker(ctx: &Ctx, provider: &str, country: &str) -> Option<Value> {
    breakers(ctx)
        .into_iter()
        .find(|b| b["provider"] == provider && b["country"] == country)
}

/// The breaker once it is in `state`: sends tell the health object after their answer, so it
/// may take a moment.
fn breaker_in(ctx: &Ctx, provider: &str, country: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let b = breaker(ctx, provider, country);
        match b {
            Some(b) if b["state"] == state => return b,
            other if Instant::now() > deadline => {
                panic!("{provider} in {country} never became {state}: {other:?}")
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Starts an SMS verification of `phone`, and answers (the view, how long the start took).
fn sms_start(ctx: &Ctx, site: &SandboxSite, phone: &str) -> (Value, Duration) {
    let t = Instant::now();
    let r = start(ctx, site, phone, "sms", "198.51.100.90");
    let took = t.elapsed();
    assert_eq!(r.status, 201, "{}", r.body);
    (r.json(), took)
}

fn check(ctx: &Ctx, id: &str, code: &str) -> Value {
    let r = http::post_json(
        &ctx.url(&format!("/v1/verifications/{id}/check")),
        &json!({"code": code}),
        &[("Origin", crate::ORIGIN)],
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn a_down_sms_provider_is_routed_around_without_the_visitor_noticing(ctx: &Ctx) {
    let fakes = &ctx.edge.fakes;
    let site = site(ctx, &[Channel::Sms, Channel::VoiceCall]);
    let phones: Vec<String> = (0..6).map(|i| format!("+91987650{i:04}")).collect();

    // TeleSign hangs: the visitor's code goes out through Twilio once TeleSign's deadline
    // passes, and the visitor sees a code sent, nothing else.
    let (view, hung_for) = {
        let _down = fakes.in_mode(Provider::TeleSign, Mode::Hang);
        sms_start(ctx, &site, &phones[0])
    };
    assert_eq!(view["status"], "pending", "{view}");
    assert_eq!(view["delivery"], "sent", "{view}");
    assert!(view.get("failure").is_none(), "{view}");
    let got = fakes
        .last_message(&phones[0])
        .expect("the phone got the code");
    assert!(
        got.reference.starts_with("SM"),
        "Twilio carried it: {got:?}"
    );
    assert_eq!(fakes.requests_for(Provider::TeleSign, &phones[0]).len(), 1);
    let id = view["verification_id"].as_str().unwrap();
    // Twilio reports delivery, signed; then the visitor types the code.
    let r = fakes
        .fire_twilio_status(&got.reference, TwilioStatus::Delivered)
        .unwrap();
    assert_eq!(
        (r.status, r.json()["outcome"].as_str()),
        (200, Some("applied")),
        "{}",
        r.body
    );
    assert_eq!(ctx.status(id)["delivery"], "delivered");
    // The status callback is believed only with Twilio's signature over our URL: a stranger's
    // "failed", unsigned or signed with another token, changes nothing.
    let url = ctx.url("/v1/providers/twilio/status");
    let forged = format!("MessageSid={}&MessageStatus=failed", got.reference);
    let params = [
        ("MessageSid", got.reference.clone()),
        ("MessageStatus", "failed".to_owned()),
    ];
    let wrong_token = ringproof_tests::fake_providers::twilio_signature("not-ours", &url, &params);
    for (headers, code) in [
        (vec![], "carrier_unsigned"),
        (
            vec![("X-Twilio-Signature", wrong_token.as_str())],
            "carrier_signature_mismatch",
        ),
    ] {
        let r = http::post(&url, "application/x-www-form-urlencoded", &forged, &headers).unwrap();
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (401, code),
            "{}",
            r.body
        );
    }
    assert_eq!(ctx.status(id)["delivery"], "delivered");
    assert_eq!(check(ctx, id, &got.code)["status"], "verified");

    // TeleSign answers 500 now: two more failures in a row open its breaker in India…
    let down = fakes.in_mode(Provider::TeleSign, Mode::ServerError);
    let mut switch = vec![hung_for];
    for phone in &phones[1..3] {
        let (view, took) = sms_start(ctx, &site, phone);
        assert_eq!(view["delivery"], "sent", "{view}");
        assert!(fakes
            .last_message(phone)
            .unwrap()
            .reference
            .starts_with("SM"));
        switch.push(took);
    }
    let open = breaker_in(ctx, "telesign", "IN", "open");
    assert_eq!(open["last_failure"], "provider_unavailable", "{open}");
    // …so the next visitor's send goes straight to Twilio: TeleSign is not even asked.
    let (view, skipped_in) = sms_start(ctx, &site, &phones[3]);
    assert_eq!(view["delivery"], "sent", "{view}");
    assert!(fakes
        .requests_for(Provider::TeleSign, &phones[3])
        .is_empty());
    // Another country's route is its own: GB's has TeleSign alone, and its breaker is closed.
    assert!(breaker(ctx, "telesign", "GB").is_none_or(|b| b["state"] == "closed"));
    drop(down);

    // After the cool-down (3 s here) one send probes TeleSign, finds it back, and closes it.
    std::thread::sleep(Duration::from_millis(3200));
    let (view, _) = sms_start(ctx, &site, &phones[4]);
    assert_eq!(view["delivery"], "sent", "{view}");
    assert_eq!(fakes.requests_for(Provider::TeleSign, &phones[4]).len(), 1);
    assert!(!fakes
        .last_message(&phones[4])
        .unwrap()
        .reference
        .starts_with("SM"));
    let closed = breaker_in(ctx, "telesign", "IN", "closed");
    assert_eq!(closed["openings_last_hour"], 1, "{closed}");
    eprintln!(
        "failover: time to switch with TeleSign hanging {:?}, answering 500 {:?}, once skipped {:?}; sends lost 0",
        switch[0],
        &switch[1..],
        skipped_in
    );
}

fn a_down_voice_provider_is_routed_around(ctx: &Ctx) {
    let fakes = &ctx.edge.fakes;
    let site = site(ctx, &[Channel::VoiceCall, Channel::Sms]);
    let phone = "+919876510001";
    let _down = fakes.in_mode(Provider::PhoneConfirm, Mode::ServerError);
    let r = start(ctx, &site, phone, "voice_call", "198.51.100.91");
    assert_eq!(r.status, 201, "{}", r.body);
    let view = r.json();
    assert_eq!(view["delivery"], "sent", "{view}");
    let got = fakes.last_message(phone).expect("the call spoke the code");
    assert_eq!(got.channel, "voice_call");
    assert!(got.reference.starts_with("CA"), "Twilio called: {got:?}");
    assert!(
        got.text.unwrap().contains("<Say"),
        "TwiML that says the code"
    );
    // Twilio does not check codes: ours is the only verdict, and Phone Confirm is not asked.
    let id = view["verification_id"].as_str().unwrap();
    let asked = fakes.requests_to(Provider::PhoneConfirm).len();
    assert_eq!(check(ctx, id, "000000")["status"], "pending");
    assert_eq!(check(ctx, id, &got.code)["status"], "verified");
    assert_eq!(fakes.requests_to(Provider::PhoneConfirm).len(), asked);
}
