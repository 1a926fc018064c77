use super::*;
use crate::failure::FailureReason;
use crate::providers::Cost;
use crate::session::tests::{begin, code_of, n, sent, start, CODE_KEY, T0};
use crate::session::MAX_SENDS;
use crate::signature::{verify_query, verify_webhook};
use ringproof_api::Channel;

const KEY: &[u8] = b"rp_secret_site";

fn verified_by_call() -> Event {
    let (mut s, _) = start(Channel::MissedCall);
    s.on_missed_call(
        &n("447400123456"),
        &n("442079460001"),
        T0.plus_secs(5),
        T0.plus_secs(7),
    );
    event(&s, T0.plus_secs(7)).expect("verified is final")
}

#[test]
fn pending_and_retryable_failures_yield_no_event_yet() {
    let (mut s, _) = start(Channel::Sms);
    assert_eq!(event(&s, T0), None);
    s.on_sent(1, Err(FailureReason::ProviderError), T0);
    // The visitor may still try another way: not final until the session's end.
    assert_eq!(event(&s, T0.plus_secs(1)), None);
    let e = event(&s, s.retain_until()).expect("final at the end");
    assert_eq!(e.kind, CallbackType::Failed);
    assert_eq!(e.outcome.status, VerificationStatus::Failed);
    assert_eq!(e.outcome.failure.unwrap().code, "provider_error");
}

#[test]
fn a_failure_with_no_send_left_is_final_at_once() {
    let (mut s, _) = start(Channel::Sms);
    let mut t = T0;
    for _ in 1..MAX_SENDS {
        s.on_sent(s.attempt.ordinal, Err(FailureReason::ProviderError), t);
        t = t.plus_secs(1);
        begin(&mut s, Channel::Sms, t).unwrap();
    }
    assert_eq!(event(&s, t), None, "the last attempt is still pending");
    s.on_sent(s.attempt.ordinal, Err(FailureReason::ProviderError), t);
    let e = event(&s, t).expect("no send left");
    assert_eq!(e.outcome.attempts, MAX_SENDS);
}

#[test]
fn an_expired_verification_is_reported_as_expired() {
    let (s, _) = start(Channel::Sms);
    let e = event(&s, s.retain_until()).unwrap();
    assert_eq!(e.outcome.status, VerificationStatus::Expired);
    assert_eq!(e.outcome.failure.unwrap().code, "expired");
}

#[test]
fn a_verified_code_carries_costs_and_the_transaction() {
    let (mut s, d) = start(Channel::Sms);
    sent(&mut s, "ref-1");
    s.record_cost(Cost {
        reference: "ref-1".into(),
        price: Some("0.0065".into()),
        currency: Some("USD".into()),
        mcc: None,
        mnc: None,
        message_parts_count: Some(1),
    });
    s.check_code(&code_of(&d), CODE_KEY, T0.plus_secs(9))
        .unwrap();
    let e = event(&s, T0.plus_secs(9)).unwrap();
    assert_eq!(e.id, "evt_v1");
    assert_eq!(e.kind, CallbackType::Verified);
    let o = &e.outcome;
    assert_eq!(o.client_transaction_id.as_deref(), Some("ctx-9"));
    assert_eq!(o.phone, "+447400123456");
    assert_eq!(o.channel, Channel::Sms);
    assert_eq!(o.failure, None);
    assert_eq!(o.costs[0].price.as_deref(), Some("0.0065"));
    assert_eq!(o.costs[0].currency.as_deref(), Some("USD"));
    assert_eq!(costs(&s), o.costs);
}

#[test]
fn json_callbacks_are_standard_webhooks() {
    let e = verified_by_call();
    let now = T0.plus_secs(10);
    let out = request(
        &e,
        CallbackFormat::Json,
        "https://shop.example/hook",
        KEY,
        now,
    );
    assert_eq!(
        (out.method, out.url.as_str()),
        ("POST", "https://shop.example/hook")
    );
    let header = |name: &str| {
        out.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let body = out.body.as_deref().unwrap();
    assert_eq!(header("webhook-id"), Some("evt_v1"));
    assert_eq!(
        header("webhook-timestamp"),
        Some(now.secs().to_string().as_str())
    );
    assert_eq!(
        verify_webhook(
            KEY,
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature"),
            body,
            now.secs()
        ),
        Ok(())
    );
    let parsed: CallbackEvent = serde_json::from_str(body).unwrap();
    assert_eq!(parsed.kind, CallbackType::Verified);
    assert_eq!(parsed.data, e.outcome);
    assert_eq!(parsed.data.call_time, Some(T0.plus_secs(5).to_rfc3339()));
    // A retry sends the same bytes under the same id, signed at its own time.
    let later = request(
        &e,
        CallbackFormat::Json,
        "https://shop.example/hook",
        KEY,
        now.plus_secs(600),
    );
    assert_eq!(later.body, out.body);
    assert_ne!(later.headers[3], out.headers[3]);
}

#[test]
fn onering_callbacks_carry_the_seed_fields_signed() {
    let e = verified_by_call();
    let now = T0.plus_secs(10);
    let out = request(
        &e,
        CallbackFormat::OneringGet,
        "https://shop.example/cb.aspx?shop=main%20site",
        KEY,
        now,
    );
    assert_eq!(out.method, "GET");
    let (base, query) = out.url.split_once('?').unwrap();
    assert_eq!(base, "https://shop.example/cb.aspx");
    let names: Vec<String> = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        names,
        [
            "shop",
            "VerifiedMobileNumber",
            "VerificationChannel",
            "ActivityTokenId",
            "ClientTransactionId",
            "MobileStatus",
            "TransactionTime",
            "CustomerCallTime",
            "EventId",
            "SignedAt",
            "Signature"
        ]
    );
    let pairs = verify_query(KEY, query, now.secs() + 60).unwrap();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(get("VerifiedMobileNumber"), "447400123456");
    assert_eq!(get("VerificationChannel"), "+442079460001");
    assert_eq!(get("ActivityTokenId"), "v1");
    assert_eq!(get("ClientTransactionId"), "ctx-9");
    assert_eq!(get("MobileStatus"), "verified");
    assert_eq!(get("CustomerCallTime"), T0.plus_secs(5).to_rfc3339());
    assert_eq!(get("shop"), "main site");
    assert_eq!(
        verify_query(b"another secret", query, now.secs()),
        Err(crate::signature::SignatureError::Mismatch)
    );
}

#[test]
fn onering_sites_hear_only_of_verified_numbers() {
    assert!(carries(CallbackFormat::OneringGet, CallbackType::Verified));
    assert!(!carries(CallbackFormat::OneringGet, CallbackType::Failed));
    assert!(carries(CallbackFormat::Json, CallbackType::Failed));
}

#[test]
fn deliveries_back_off_and_give_up_after_the_schedule() {
    let mut d = Callback::new(verified_by_call(), CallbackFormat::Json, T0);
    assert!(d.is_due(T0));
    let mut t = T0;
    let mut waits = vec![];
    while d.state == CallbackState::Pending {
        assert!(d.is_due(t));
        d.record(AttemptResult::Answered(500), t, t.plus_secs(1), &RETRY_SECS);
        if let Some(next) = d.next_at {
            waits.push(next.secs() - t.secs() - 1);
            assert!(!d.is_due(
                next.plus_secs(0)
                    .millis()
                    .checked_sub(1)
                    .map(Timestamp)
                    .unwrap()
            ));
            t = next;
        }
    }
    assert_eq!(waits, RETRY_SECS);
    assert_eq!(d.state, CallbackState::GaveUp);
    assert_eq!(d.attempts.len(), RETRY_SECS.len() + 1);
    let total: u64 = RETRY_SECS.iter().sum();
    assert!(total >= 24 * 3600, "retries span at least a day: {total} s");
    assert_eq!(
        d.wake_at(),
        d.attempts.last().unwrap().at.plus_secs(KEEP_SECS)
    );
}

#[test]
fn a_2xx_delivers_and_other_faults_retry() {
    let mut d = Callback::new(verified_by_call(), CallbackFormat::Json, T0);
    d.record(AttemptResult::TimedOut, T0, T0.plus_secs(10), &[1, 2]);
    assert_eq!(d.next_at, Some(T0.plus_secs(11)));
    d.record(
        AttemptResult::ConnectionFailed,
        T0.plus_secs(11),
        T0.plus_secs(11),
        &[1, 2],
    );
    assert_eq!(d.next_at, Some(T0.plus_secs(13)));
    d.record(
        AttemptResult::Answered(204),
        T0.plus_secs(13),
        T0.plus_secs(13),
        &[1, 2],
    );
    assert_eq!(d.state, CallbackState::Delivered);
    assert!(!d.is_due(T0.plus_secs(100)));
    let v = d.view();
    assert_eq!(v.event_id, "evt_v1");
    let seen: Vec<_> = v
        .attempts
        .iter()
        .map(|a| (a.status, a.error.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (None, Some("timeout")),
            (None, Some("connection_failed")),
            (Some(204), None)
        ]
    );
    assert_eq!(v.attempts[0].duration_ms, 10_000);
    assert_eq!(v.next_attempt_at, None);
}

#[test]
fn a_site_without_a_callback_is_given_up_at_once() {
    let mut d = Callback::new(verified_by_call(), CallbackFormat::Json, T0);
    d.record(AttemptResult::NoCallback, T0, T0, &RETRY_SECS);
    assert_eq!(d.state, CallbackState::GaveUp);
}

#[test]
fn the_schedule_can_be_shortened_but_not_broken() {
    assert_eq!(schedule(None), RETRY_SECS);
    assert_eq!(schedule(Some("1, 2,4")), [1, 2, 4]);
    assert_eq!(schedule(Some("1,x")), RETRY_SECS);
    assert_eq!(schedule(Some("")), RETRY_SECS);
}

#[test]
fn a_test_callback_is_signed_as_a_real_one_and_says_it_is_a_test() {
    let e = test_event("rp_site_x", &mut crate::random::testing::Seeded(5), T0);
    let nonce = e.id.strip_prefix("evt_test_").unwrap();
    assert_eq!(nonce.len(), 16, "12 random bytes");
    assert_eq!(e.outcome.verification_id, format!("test_{nonce}"));
    let another = test_event("rp_site_x", &mut crate::random::testing::Seeded(6), T0);
    assert_ne!(another.id, e.id, "two tests are kept apart");
    assert_eq!(e.outcome.phone, TEST_PHONE);
    assert!(
        crate::phone::normalise(TEST_PHONE, None).is_ok(),
        "a number a site can parse"
    );
    let out = request(
        &e,
        CallbackFormat::Json,
        "https://shop.example/hook",
        KEY,
        T0,
    );
    let header = |n: &str| {
        out.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let body = out.body.clone().unwrap();
    assert!(verify_webhook(
        KEY,
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
        &body,
        T0.secs(),
    )
    .is_ok());
    let onering = request(
        &e,
        CallbackFormat::OneringGet,
        "https://shop.example/hook",
        KEY,
        T0,
    );
    assert!(
        onering.url.contains("ringproof-test-callback"),
        "{}",
        onering.url
    );
}

#[test]
fn send_again_revives_only_a_delivery_that_gave_up() {
    let schedule = [1];
    let mut d = Callback::new(verified_by_call(), CallbackFormat::Json, T0);
    assert!(!d.again(T0), "still trying");
    d.record(AttemptResult::Answered(500), T0, T0, &schedule);
    d.record(
        AttemptResult::Answered(500),
        T0.plus_secs(1),
        T0.plus_secs(1),
        &schedule,
    );
    assert_eq!(d.state, CallbackState::GaveUp);
    assert!(d.again(T0.plus_secs(60)));
    assert!(d.is_due(T0.plus_secs(60)));
    d.record(
        AttemptResult::Answered(503),
        T0.plus_secs(60),
        T0.plus_secs(60),
        &schedule,
    );
    assert_eq!(
        d.state,
        CallbackState::GaveUp,
        "one more try, then gives up again"
    );
    assert!(d.again(T0.plus_secs(90)));
    d.record(
        AttemptResult::Answered(204),
        T0.plus_secs(90),
        T0.plus_secs(90),
        &schedule,
    );
    assert_eq!(d.state, CallbackState::Delivered);
    assert!(!d.again(T0.plus_secs(99)), "delivered stays delivered");
}

#[test]
fn an_event_goes_signed_to_the_sites_url_or_says_why_not() {
    let master = b"the deployment's master key";
    let creds = crate::site::Credentials::for_site(
        "rp_site_x".into(),
        &mut crate::random::testing::Seeded(9),
        master,
    );
    let mut site = crate::test_keys::site(crate::test_keys::SITE_MISSED_CALL).unwrap();
    site.site_key = creds.site_key.clone();
    site.secret_salt = Some(creds.salt.clone());
    site.callback_url = Some("https://shop.example/hook".into());
    site.callback_format = CallbackFormat::Json;
    let event = verified_by_call();
    let out = address(&event, Some(&site), Some(master), T0).unwrap();
    assert_eq!(out.url, "https://shop.example/hook");
    let header = |name: &str| {
        out.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // Signed with the site's own secret, as its owner was shown it.
    assert_eq!(
        verify_webhook(
            creds.secret.as_bytes(),
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature"),
            out.body.as_deref().unwrap(),
            T0.secs()
        ),
        Ok(())
    );
    assert_eq!(address(&event, None, Some(master), T0), Err(Unsent::NoSite));
    assert_eq!(
        address(&event, Some(&site), None, T0),
        Err(Unsent::Unsigned)
    );
    let unsalted = crate::site::Site {
        secret_salt: None,
        ..site.clone()
    };
    assert_eq!(
        address(&event, Some(&unsalted), Some(master), T0),
        Err(Unsent::Unsigned)
    );
    let no_url = crate::site::Site {
        callback_url: None,
        ..site.clone()
    };
    assert_eq!(
        address(&event, Some(&no_url), Some(master), T0),
        Err(Unsent::NoCallbackUrl)
    );
    // OneRing's form carries verified numbers only, and no alerts.
    let onering = crate::site::Site {
        callback_format: CallbackFormat::OneringGet,
        ..site.clone()
    };
    assert!(address(&event, Some(&onering), Some(master), T0).is_ok());
    assert_eq!(
        recipient(Some(&onering), None, Some(master)),
        Err(Unsent::NotCarried)
    );
    assert_eq!(
        recipient(Some(&onering), Some(CallbackType::Failed), Some(master)),
        Err(Unsent::NotCarried)
    );
    // Ours to fix is retried; what the site does not want ends the delivery.
    assert_eq!(Unsent::Unsigned.attempt(), AttemptResult::ConnectionFailed);
    for wants_none in [Unsent::NoSite, Unsent::NoCallbackUrl, Unsent::NotCarried] {
        assert_eq!(wants_none.attempt(), AttemptResult::NoCallback);
    }
    assert_eq!(Unsent::NotCarried.code(), "format_without_alerts");
    assert_eq!(Unsent::NoCallbackUrl.error().code(), "invalid_request");
}

#[test]
fn attempts_are_named_as_the_console_shows_them() {
    use crate::providers::SendError;
    let named = |r: AttemptResult| r.outcome();
    assert_eq!(
        named(AttemptResult::Answered(204)).as_deref(),
        Some("delivered")
    );
    assert_eq!(
        named(AttemptResult::Answered(302)).as_deref(),
        Some("http_302")
    );
    assert_eq!(named(AttemptResult::TimedOut).as_deref(), Some("timeout"));
    assert_eq!(
        named(AttemptResult::ConnectionFailed).as_deref(),
        Some("unreachable")
    );
    assert_eq!(named(AttemptResult::NoCallback), None);
    assert!(AttemptResult::Answered(200).delivered());
    assert!(!AttemptResult::Answered(500).delivered());
    assert_eq!(AttemptResult::Answered(500).status(), Some(500));
    assert_eq!(AttemptResult::TimedOut.status(), None);
    assert_eq!(
        AttemptResult::unanswered(SendError::TimedOut),
        AttemptResult::TimedOut
    );
    for e in [SendError::ConnectionFailed, SendError::Unsendable] {
        assert_eq!(
            AttemptResult::unanswered(e),
            AttemptResult::ConnectionFailed
        );
    }
    assert_eq!(
        SendError::Unsendable.failure(),
        FailureReason::ProviderError
    );
    for e in [SendError::ConnectionFailed, SendError::TimedOut] {
        assert_eq!(e.failure(), FailureReason::ProviderUnavailable);
        assert!(crate::providers::fails_over(e.failure()));
    }
}

#[test]
fn a_delivery_takes_costs_while_pending_and_is_forgotten_after_it_is_kept() {
    let mut d = Callback::new(verified_by_call(), CallbackFormat::Json, T0);
    let cost = ProviderCost {
        reference: "ref".into(),
        price: Some("0.05".into()),
        currency: Some("USD".into()),
    };
    assert!(d.take_costs(vec![cost.clone()]));
    assert_eq!(d.event.outcome.costs, std::slice::from_ref(&cost));
    assert!(!d.may_forget(T0.plus_secs(KEEP_SECS * 2)), "pending: never");
    d.record(
        AttemptResult::Answered(200),
        T0,
        T0.plus_secs(1),
        &RETRY_SECS,
    );
    assert!(!d.take_costs(vec![]), "sent: the costs it carried stay");
    assert_eq!(d.event.outcome.costs, [cost]);
    let kept_until = d.wake_at();
    assert!(!d.may_forget(
        kept_until
            .plus_secs(0)
            .millis()
            .checked_sub(1)
            .map(Timestamp)
            .unwrap()
    ));
    assert!(d.may_forget(kept_until));
}

#[test]
fn only_a_site_with_a_url_and_a_format_that_carries_the_kind_wants_it() {
    let mut site = crate::test_keys::site(crate::test_keys::SITE_MISSED_CALL).unwrap();
    site.callback_url = None;
    assert!(!wants(&site, CallbackType::Verified));
    site.callback_url = Some("https://shop.example/hook".into());
    site.callback_format = CallbackFormat::OneringGet;
    assert!(wants(&site, CallbackType::Verified));
    assert!(!wants(&site, CallbackType::Failed));
    site.callback_format = CallbackFormat::Json;
    assert!(wants(&site, CallbackType::Failed));
}

#[test]
fn a_deployment_may_shorten_the_callback_timeout_only_with_a_number() {
    assert_eq!(timeout_secs(None), TIMEOUT_SECS);
    assert_eq!(timeout_secs(Some(" 2 ")), 2);
    assert_eq!(timeout_secs(Some("soon")), TIMEOUT_SECS);
}
