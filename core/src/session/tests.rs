use super::*;
use crate::phone::{from_network, normalise};
use crate::random::testing::Seeded;

const KEY: &[u8] = b"token key";
pub(crate) const CODE_KEY: &[u8] = b"code key";
pub(crate) const T0: Timestamp = Timestamp(1_795_413_908_000);
const ALL: [Channel; 4] = [
    Channel::MissedCall,
    Channel::FlashCall,
    Channel::Sms,
    Channel::VoiceCall,
];

/// One of the inbound numbers the tests' sites call from.
fn line(n: &str) -> E164 {
    from_network(n).unwrap()
}

fn new_session() -> NewSession {
    NewSession {
        id: "v1".into(),
        site_key: "site".into(),
        phone: normalise("+447400123456", None).unwrap(),
        origin: "https://shop.example".into(),
        domain: "shop.example".into(),
        language: None,
        client_transaction_id: Some("ctx-9".into()),
        channels: ALL.to_vec(),
        test: false,
        action: Some("signup".into()),
        cdata: None,
    }
}

pub(crate) fn start(channel: Channel) -> (Session, Dispatch) {
    let mut rng = Seeded(42);
    let mut issuer = Issuer {
        rng: &mut rng,
        code_key: CODE_KEY,
        policy: Policy::default(),
    };
    Session::start(
        new_session(),
        channel,
        Some(line("+442079460001")),
        &mut issuer,
        T0,
    )
    .unwrap()
}

pub(crate) fn begin(
    s: &mut Session,
    channel: Channel,
    now: Timestamp,
) -> Result<Dispatch, ApiError> {
    let mut rng = Seeded(now.millis());
    let mut issuer = Issuer {
        rng: &mut rng,
        code_key: CODE_KEY,
        policy: Policy::default(),
    };
    s.begin(channel, Some(line("+442079460002")), &mut issuer, now)
}

pub(crate) fn code_of(d: &Dispatch) -> String {
    match &d.payload {
        Payload::SendCode { code } => code.clone(),
        other => panic!("no code: {other:?}"),
    }
}

pub(crate) fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect()
}

pub(crate) fn n(s: &str) -> E164 {
    from_network(s).unwrap()
}

pub(crate) fn done(step: CheckStep) -> CheckResult {
    match step {
        CheckStep::Done(r) => r,
        other => panic!("expected a result: {other:?}"),
    }
}

pub(crate) fn sent(s: &mut Session, reference: &str) {
    let attempt = s.attempt.ordinal;
    s.on_sent(
        attempt,
        Ok(Sent {
            reference: reference.into(),
            caller_hint: None,
            provider: None,
        }),
        T0,
    );
}

// ------------------------------------------------------------------ missed call

#[test]
fn the_right_call_verifies_and_yields_a_token() {
    let (mut s, d) = start(Channel::MissedCall);
    assert_eq!(
        d.payload,
        Payload::AwaitCall {
            inbound_number: line("+442079460001")
        }
    );
    assert_eq!(s.status(T0), VerificationStatus::Pending);
    assert_eq!(s.view(KEY, "https://e", T0).token, None);
    let at = T0.plus_secs(30);
    let out = s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
    assert_eq!(out, CallOutcome::Verified);
    let v = s.view(KEY, "https://e", at);
    assert_eq!(v.status, VerificationStatus::Verified);
    assert!(v.token.is_some());
}

#[test]
fn a_missed_call_with_no_free_line_fails_at_once_and_offers_the_rest() {
    let mut rng = Seeded(42);
    let mut issuer = Issuer {
        rng: &mut rng,
        code_key: CODE_KEY,
        policy: Policy::default(),
    };
    let (mut s, d) =
        Session::start(new_session(), Channel::MissedCall, None, &mut issuer, T0).unwrap();
    assert_eq!(d.payload, Payload::NoLine);
    let v = s.view(KEY, "https://e", T0);
    assert_eq!(v.status, VerificationStatus::Failed);
    assert_eq!(v.failure.map(|f| f.code), Some("no_free_line".to_owned()));
    assert_eq!(
        v.other_channels,
        [Channel::FlashCall, Channel::Sms, Channel::VoiceCall]
    );
    assert_eq!(v.number_image_url, None, "no number to call");
    // The visitor switches at once: no cool-down on an attempt that never ran.
    let summary = s.summary_at(T0);
    assert_eq!(summary.may_begin(Channel::Sms, T0), Ok(()));
    assert!(begin(&mut s, Channel::Sms, T0).is_ok());
    assert_eq!(s.status(T0), VerificationStatus::Pending);
}

#[test]
fn repeated_webhook_is_harmless() {
    let (mut s, _) = start(Channel::MissedCall);
    let at = T0.plus_secs(30);
    s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
    let before = s.clone();
    let again = s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at.plus_secs(5));
    assert_eq!(again, CallOutcome::Repeat);
    assert_eq!(s, before);
}

#[test]
fn other_callers_and_numbers_change_nothing_but_the_count() {
    let (mut s, _) = start(Channel::MissedCall);
    let at = T0.plus_secs(30);
    assert_eq!(
        s.on_missed_call(&n("447400999999"), &n("442079460001"), at, at),
        CallOutcome::Unmatched
    );
    assert_eq!(
        s.on_missed_call(&n("447400123456"), &n("442079460002"), at, at),
        CallOutcome::Unmatched
    );
    assert_eq!(s.status(at), VerificationStatus::Pending);
    assert_eq!(s.unmatched_calls, 2);
}

#[test]
fn late_or_early_calls_do_not_verify() {
    let (mut s, _) = start(Channel::MissedCall);
    let late = s.attempt.expires_at.plus_secs(1);
    assert_eq!(
        s.on_missed_call(&n("447400123456"), &n("442079460001"), late, late),
        CallOutcome::TooLate
    );
    assert_eq!(s.status(late), VerificationStatus::Expired);
    let (mut s, _) = start(Channel::MissedCall);
    let early = Timestamp(T0.millis() - 10 * 60 * 1000);
    assert_eq!(
        s.on_missed_call(&n("447400123456"), &n("442079460001"), early, T0),
        CallOutcome::TooLate
    );
}

#[test]
fn a_missed_call_does_not_verify_a_code_attempt() {
    let (mut s, _) = start(Channel::Sms);
    let at = T0.plus_secs(30);
    assert_eq!(
        s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at),
        CallOutcome::Unmatched
    );
    assert_eq!(s.status(at), VerificationStatus::Pending);
}

#[test]
fn missed_call_view_has_the_image_and_no_code() {
    let (s, _) = start(Channel::MissedCall);
    let v = s.view(KEY, "https://edge.example", T0);
    assert_eq!(
        v.number_image_url.as_deref(),
        Some("https://edge.example/v1/verifications/v1/number.svg")
    );
    assert_eq!(v.call_to_uri.as_deref(), Some("tel:+442079460001"));
    assert_eq!((v.code_length, v.checks_left), (None, None));
    assert_eq!(
        v.other_channels,
        [Channel::FlashCall, Channel::Sms, Channel::VoiceCall]
    );
}

// ------------------------------------------------------------------ codes

#[test]
fn right_code_verifies_once() {
    let (mut s, d) = start(Channel::Sms);
    let code = code_of(&d);
    assert_eq!(code.len(), 6);
    let v = s.view(KEY, "https://e", T0);
    assert_eq!((v.code_length, v.checks_left), (Some(6), Some(5)));
    assert_eq!(v.number_image_url, None);
    assert!(
        !serde_json::to_string(&s).unwrap().contains(&code),
        "the code is never stored"
    );
    let r = done(s.check_code(&code, CODE_KEY, T0.plus_secs(20)).unwrap());
    assert_eq!(r.status, VerificationStatus::Verified);
    assert_eq!(r.checks_left, 4);
    assert!(s.view(KEY, "https://e", T0.plus_secs(21)).token.is_some());
    assert_eq!(
        s.check_code(&code, CODE_KEY, T0.plus_secs(22)),
        Err(ApiError::NotPending(VerificationStatus::Verified)),
        "single use"
    );
}

#[test]
fn wrong_codes_spend_checks_until_none_are_left() {
    let (mut s, d) = start(Channel::Sms);
    let bad = wrong(&code_of(&d));
    for left in (1..5).rev() {
        let r = done(s.check_code(&bad, CODE_KEY, T0).unwrap());
        assert_eq!(
            (r.status, r.checks_left),
            (VerificationStatus::Pending, left)
        );
    }
    let r = done(s.check_code(&bad, CODE_KEY, T0).unwrap());
    assert_eq!((r.status, r.checks_left), (VerificationStatus::Failed, 0));
    assert_eq!(
        s.check_code(&code_of(&d), CODE_KEY, T0),
        Err(ApiError::TooManyAttempts),
        "even the right code is refused once the checks are spent"
    );
    assert_eq!(
        s.view(KEY, "https://e", T0).failure.unwrap().code,
        "too_many_attempts"
    );
}

#[test]
fn flash_call_code_has_four_digits_and_three_checks() {
    let (mut s, d) = start(Channel::FlashCall);
    let code = code_of(&d);
    assert_eq!(code.len(), 4);
    let bad = wrong(&code);
    for _ in 0..2 {
        done(s.check_code(&bad, CODE_KEY, T0).unwrap());
    }
    let r = done(s.check_code(&bad, CODE_KEY, T0).unwrap());
    assert_eq!((r.status, r.checks_left), (VerificationStatus::Failed, 0));
}

#[test]
fn malformed_codes_cost_nothing() {
    let (mut s, _) = start(Channel::Sms);
    assert!(matches!(
        s.check_code("12345", CODE_KEY, T0),
        Err(ApiError::InvalidRequest(_))
    ));
    assert_eq!(s.attempt.code.as_ref().unwrap().checks_left, 5);
}

#[test]
fn expired_codes_are_refused() {
    let (mut s, d) = start(Channel::Sms);
    let late = T0.plus_secs(ATTEMPT_SECS);
    assert_eq!(
        s.check_code(&code_of(&d), CODE_KEY, late),
        Err(ApiError::Expired)
    );
}

#[test]
fn missed_call_takes_no_code() {
    let (mut s, _) = start(Channel::MissedCall);
    assert_eq!(
        s.check_code("123456", CODE_KEY, T0),
        Err(ApiError::CodeNotExpected(Channel::MissedCall))
    );
}

#[test]
fn what_the_session_refuses_by_itself_spends_nothing() {
    let (mut s, _) = start(Channel::MissedCall);
    assert_eq!(
        s.spend_check("123456", T0),
        Err(ApiError::CodeNotExpected(Channel::MissedCall))
    );
    let (mut s, d) = start(Channel::Sms);
    let late = T0.plus_secs(ATTEMPT_SECS);
    assert_eq!(s.spend_check(&code_of(&d), late), Err(ApiError::Expired));
    assert_eq!(s.attempt.code.as_ref().unwrap().checks_left, 5);
    // A check spent on a locked number is gone, and the last one fails the verification as
    // a last wrong code does, so its page and its site hear the end.
    for _ in 0..4 {
        s.spend_locked_check(&code_of(&d), T0).unwrap();
        assert_eq!(s.status(T0), VerificationStatus::Pending);
    }
    s.spend_locked_check(&code_of(&d), T0).unwrap();
    assert_eq!(s.status(T0), VerificationStatus::Failed);
    assert_eq!(
        s.view(KEY, "https://e", T0).failure.unwrap().code,
        "too_many_attempts"
    );
    assert_eq!(
        s.check_code(&code_of(&d), CODE_KEY, T0),
        Err(ApiError::TooManyAttempts)
    );
}

#[test]
fn voice_codes_go_to_the_provider_after_spending_a_check() {
    let (mut s, d) = start(Channel::VoiceCall);
    sent(&mut s, "778899");
    let code = code_of(&d);
    let step = s.check_code(&code, CODE_KEY, T0).unwrap();
    assert_eq!(
        step,
        CheckStep::AskProvider {
            attempt: 1,
            reference: "778899".into(),
            code: code.clone(),
            local_match: true
        }
    );
    assert_eq!(s.attempt.code.as_ref().unwrap().checks_left, 4);
    let r = s.on_verdict(1, Ok(true), T0);
    assert_eq!(r.status, VerificationStatus::Verified);
    assert_eq!(
        s.on_verdict(1, Ok(false), T0).status,
        VerificationStatus::Verified,
        "a late verdict changes nothing"
    );
}

#[test]
fn a_voice_verdict_needs_the_provider_and_our_hash_to_agree() {
    assert_eq!(CheckStep::verdict(true, Ok(true)), Ok(true));
    assert_eq!(CheckStep::verdict(false, Ok(true)), Ok(false));
    assert_eq!(CheckStep::verdict(true, Ok(false)), Ok(false));
    let unsure = Err(FailureReason::ProviderUnavailable);
    assert_eq!(CheckStep::verdict(true, unsure), unsure);
    assert!(found_wrong(&Ok(false)));
    assert!(!found_wrong(&Ok(true)));
    assert!(
        !found_wrong(&unsure),
        "a provider that could not say blames no one"
    );
}

#[test]
fn a_test_keys_voice_code_is_its_own_verdict() {
    let (mut s, d) = start(Channel::VoiceCall);
    s.test = true;
    s.on_sent(
        1,
        Ok(Sent {
            reference: "test-1".into(),
            caller_hint: None,
            provider: None,
        }),
        T0,
    );
    let step = s.check_code(&code_of(&d), CODE_KEY, T0).unwrap();
    assert!(
        matches!(step, CheckStep::Done(ref r) if r.status == VerificationStatus::Verified),
        "{step:?}"
    );
}

/// Twilio's Voice API speaks our code and keeps no copy: our hash is the only verdict.
#[test]
fn a_voice_code_twilio_spoke_is_checked_here_alone() {
    let (mut s, d) = start(Channel::VoiceCall);
    s.on_sent(
        1,
        Ok(Sent {
            reference: "CA1".into(),
            caller_hint: None,
            provider: Some(ProviderId::TwilioVoice),
        }),
        T0,
    );
    let code = code_of(&d);
    let r = done(s.check_code(&wrong(&code), CODE_KEY, T0).unwrap());
    assert_eq!((r.status, r.checks_left), (VerificationStatus::Pending, 4));
    let r = done(s.check_code(&code, CODE_KEY, T0).unwrap());
    assert_eq!(r.status, VerificationStatus::Verified);
}

/// A code sent but not reported delivered is given up on after the channel's fallback time:
/// the view says when, while there is another channel and the attempt is pending.
#[test]
fn a_late_code_offers_the_next_channel() {
    let (mut s, _) = start(Channel::Sms);
    assert_eq!(s.view(KEY, "e", T0).fallback_at, None, "nothing sent yet");
    sent(&mut s, "ref-1");
    let at = T0.plus_secs(fallback_secs(Channel::Sms));
    assert_eq!(s.fallback_at(T0), Some(at));
    assert_eq!(s.view(KEY, "e", T0).fallback_at, Some(at.to_rfc3339()));
    // Delivered: nothing to give up on.
    assert!(s.on_delivery("ref-1", DeliveryEvent::Delivered, T0.plus_secs(3)));
    assert_eq!(s.view(KEY, "e", T0.plus_secs(3)).fallback_at, None);
    // A site with one channel has nothing to offer.
    let (mut only, _) = start(Channel::Sms);
    only.channels = vec![Channel::Sms];
    sent(&mut only, "ref-2");
    assert_eq!(only.fallback_at(T0), None);
    assert!(fallback_secs(Channel::FlashCall) < fallback_secs(Channel::VoiceCall));
    // Phone Confirm never reports delivery: nothing would ever arrive to wait for.
    let (mut quiet, _) = start(Channel::VoiceCall);
    quiet.on_sent(
        1,
        Ok(Sent {
            reference: "7788".into(),
            caller_hint: None,
            provider: Some(ProviderId::PhoneConfirm),
        }),
        T0,
    );
    assert_eq!(quiet.fallback_at(T0), None);
    // Never before the other channels may be chosen.
    let (mut flash, _) = start(Channel::FlashCall);
    sent(&mut flash, "uuid");
    let at = flash.fallback_at(T0).unwrap();
    assert!(at >= flash.attempt.resend_at, "{at:?}");
}

#[test]
fn voice_verify_fault_fails_the_attempt() {
    let (mut s, d) = start(Channel::VoiceCall);
    sent(&mut s, "778899");
    s.check_code(&code_of(&d), CODE_KEY, T0).unwrap();
    let r = s.on_verdict(1, Err(FailureReason::ProviderUnavailable), T0);
    assert_eq!(r.status, VerificationStatus::Failed);
    assert_eq!(
        s.view(KEY, "e", T0).failure.unwrap().code,
        "provider_unavailable"
    );
}

#[test]
fn voice_code_without_a_placed_call_is_wrong() {
    let (mut s, d) = start(Channel::VoiceCall);
    let r = done(s.check_code(&code_of(&d), CODE_KEY, T0).unwrap());
    assert_eq!(r.status, VerificationStatus::Pending);
    assert_eq!(r.checks_left, 4);
}

// ------------------------------------------------------------------ providers' reports

#[test]
fn provider_failure_fails_the_attempt_with_its_reason() {
    let (mut s, _) = start(Channel::Sms);
    s.on_sent(1, Err(FailureReason::ProviderUnavailable), T0);
    assert_eq!(s.status(T0), VerificationStatus::Failed);
    let v = s.view(KEY, "https://e", T0);
    assert_eq!(v.failure.unwrap().code, "provider_unavailable");
    assert_eq!(v.resend_at, None, "nothing to wait for");
}

#[test]
fn deliveries_apply_to_the_current_attempt_only_and_once() {
    let (mut s, _) = start(Channel::FlashCall);
    s.on_sent(
        1,
        Ok(Sent {
            reference: "uuid-1".into(),
            caller_hint: Some("+42122220••••".into()),
            provider: Some(ProviderId::Mcn),
        }),
        T0,
    );
    assert_eq!(s.attempt.delivery, Some(Delivery::Sent));
    assert!(!s.on_delivery("other", DeliveryEvent::Delivered, T0));
    assert!(s.on_delivery("uuid-1", DeliveryEvent::Delivered, T0));
    assert!(
        !s.on_delivery("uuid-1", DeliveryEvent::Delivered, T0),
        "a repeat changes nothing"
    );
    assert!(!s.on_delivery("uuid-1", DeliveryEvent::NotAnswered, T0));
    assert_eq!(s.attempt.delivery, Some(Delivery::Delivered));
    assert_eq!(
        s.view(KEY, "https://e", T0).caller_hint.as_deref(),
        Some("+42122220••••")
    );
    assert!(s.on_delivery("uuid-1", DeliveryEvent::Failed(FailureReason::LineBusy), T0));
    assert_eq!(s.status(T0), VerificationStatus::Failed);
}

#[test]
fn a_report_that_outruns_its_send_is_applied_once_the_send_is_told() {
    // The edge binds a reference and tells the session of the send at once: a fast webhook
    // may reach the session first.
    let (mut s, _) = start(Channel::Sms);
    let failed = DeliveryEvent::Failed(FailureReason::LineBusy);
    assert!(
        !s.on_delivery("ts-1", failed, T0),
        "nothing to apply it to yet"
    );
    assert!(!s.on_delivery("ts-other", DeliveryEvent::Delivered, T0));
    assert_eq!(s.status(T0), VerificationStatus::Pending);
    let sent = |reference: &str| Sent {
        reference: reference.into(),
        caller_hint: None,
        provider: Some(ProviderId::Telesign),
    };
    s.on_sent(1, Ok(sent("ts-1")), T0);
    assert_eq!(
        s.status(T0),
        VerificationStatus::Failed,
        "the early report applied"
    );
    assert!(s.early.is_empty());

    // Only a send's own reports, and never more than a few kept.
    let (mut s, _) = start(Channel::Sms);
    for _ in 0..20 {
        s.on_delivery("ts-9", DeliveryEvent::Delivered, T0);
    }
    assert!(s.early.len() <= 4);
    s.on_sent(1, Ok(sent("ts-2")), T0);
    assert_eq!(
        s.attempt.delivery,
        Some(Delivery::Sent),
        "another send's reports ignored"
    );
    assert!(s.early.is_empty());
}

#[test]
fn costs_are_kept_once_per_reference() {
    let (mut s, _) = start(Channel::Sms);
    let cost = Cost {
        reference: "R".into(),
        price: Some("0.5112".into()),
        currency: Some("USD".into()),
        mcc: Some("220".into()),
        mnc: Some("03".into()),
        message_parts_count: Some(1),
    };
    s.record_cost(cost.clone());
    s.record_cost(cost.clone());
    assert_eq!(s.costs, vec![cost]);
    assert_eq!(s.finished_record(T0).costs.len(), 1);
}

// ------------------------------------------------------------------ resend and switch

#[test]
fn resend_waits_for_the_cool_down_while_pending() {
    let (mut s, _) = start(Channel::Sms);
    assert_eq!(
        begin(&mut s, Channel::Sms, T0.plus_secs(10)),
        Err(ApiError::ResendTooSoon(20))
    );
    assert_eq!(
        begin(&mut s, Channel::VoiceCall, T0.plus_secs(29)),
        Err(ApiError::ResendTooSoon(1))
    );
    let d = begin(&mut s, Channel::Sms, T0.plus_secs(30)).unwrap();
    assert_eq!(d.attempt, 2);
    assert_eq!(s.attempt.code.as_ref().unwrap().checks_left, 5);
}

#[test]
fn the_old_code_dies_with_its_attempt() {
    let (mut s, first) = start(Channel::Sms);
    let second = begin(&mut s, Channel::Sms, T0.plus_secs(30)).unwrap();
    let old = code_of(&first);
    if old != code_of(&second) {
        let r = done(s.check_code(&old, CODE_KEY, T0.plus_secs(31)).unwrap());
        assert_eq!(r.status, VerificationStatus::Pending);
    }
}

#[test]
fn switch_after_failure_needs_no_wait_and_keeps_the_number() {
    let (mut s, _) = start(Channel::FlashCall);
    s.on_sent(1, Err(FailureReason::ProviderError), T0);
    let d = begin(&mut s, Channel::Sms, T0.plus_secs(1)).unwrap();
    assert_eq!(d.phone.as_str(), "+447400123456");
    assert_eq!(d.channel, Channel::Sms);
    assert_eq!(s.status(T0.plus_secs(1)), VerificationStatus::Pending);
    assert_eq!(s.view(KEY, "e", T0.plus_secs(1)).failure, None);
}

#[test]
fn switch_to_missed_call_assigns_a_number() {
    let (mut s, _) = start(Channel::Sms);
    let d = begin(&mut s, Channel::MissedCall, T0.plus_secs(30)).unwrap();
    assert_eq!(
        d.payload,
        Payload::AwaitCall {
            inbound_number: line("+442079460002")
        }
    );
    assert_eq!(s.attempt.code, None);
}

#[test]
fn channels_the_site_does_not_offer_are_refused() {
    let (mut s, _) = start(Channel::Sms);
    s.channels = vec![Channel::Sms];
    assert_eq!(
        begin(&mut s, Channel::VoiceCall, T0.plus_secs(60)),
        Err(ApiError::ChannelNotAvailable(Channel::VoiceCall))
    );
}

#[test]
fn sends_are_capped() {
    let (mut s, _) = start(Channel::Sms);
    let mut t = T0;
    for _ in 1..MAX_SENDS {
        t = t.plus_secs(30);
        begin(&mut s, Channel::Sms, t).unwrap();
    }
    assert_eq!(
        begin(&mut s, Channel::Sms, t.plus_secs(30)),
        Err(ApiError::TooManySends)
    );
}

#[test]
fn nothing_begins_after_verification() {
    let (mut s, d) = start(Channel::Sms);
    done(s.check_code(&code_of(&d), CODE_KEY, T0).unwrap());
    assert_eq!(
        begin(&mut s, Channel::Sms, T0.plus_secs(60)),
        Err(ApiError::NotPending(VerificationStatus::Verified))
    );
}

// ------------------------------------------------------------------ tokens and retention

#[test]
fn token_redeems_once_within_five_minutes() {
    let (mut s, _) = start(Channel::MissedCall);
    let at = T0.plus_secs(30);
    s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
    let t = s.view(KEY, "e", at).token.unwrap();
    let mut late = s.clone();
    assert_eq!(
        s.clone()
            .redeem_for("rp_other_site", KEY, &t, at.plus_secs(10)),
        Err(SiteverifyError::InvalidInputResponse),
        "another site's secret redeems nothing"
    );
    let site_key = s.site_key.clone();
    let ok = s.redeem_for(&site_key, KEY, &t, at.plus_secs(10)).unwrap();
    assert!(ok.success);
    assert_eq!(ok.phone.as_deref(), Some("+447400123456"));
    assert_eq!(ok.channel, Some(Channel::MissedCall));
    assert_eq!(ok.client_transaction_id.as_deref(), Some("ctx-9"));
    assert_eq!(
        s.redeem(KEY, &t, at.plus_secs(11)),
        Err(SiteverifyError::TimeoutOrDuplicate)
    );
    assert_eq!(
        s.view(KEY, "e", at.plus_secs(12)).token,
        None,
        "a spent token is not shown again"
    );
    assert_eq!(
        late.redeem(KEY, &t, at.plus_secs(TOKEN_TTL_SECS)),
        Err(SiteverifyError::TimeoutOrDuplicate)
    );
}

#[test]
fn siteverify_names_the_code_channel() {
    let (mut s, d) = start(Channel::VoiceCall);
    sent(&mut s, "t1");
    s.check_code(&code_of(&d), CODE_KEY, T0).unwrap();
    s.on_verdict(1, Ok(true), T0);
    let t = s.view(KEY, "e", T0).token.unwrap();
    assert_eq!(
        s.redeem(KEY, &t, T0).unwrap().channel,
        Some(Channel::VoiceCall)
    );
}

#[test]
fn forged_or_premature_tokens_fail() {
    let (mut s, _) = start(Channel::MissedCall);
    let forged = token::issue(b"wrong key", "v1", T0);
    assert_eq!(
        s.redeem(KEY, &forged, T0),
        Err(SiteverifyError::InvalidInputResponse)
    );
    let at = T0.plus_secs(30);
    s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
    assert_eq!(
        s.redeem(KEY, &forged, at),
        Err(SiteverifyError::InvalidInputResponse)
    );
}

#[test]
fn retention_covers_the_token_window() {
    let (mut s, _) = start(Channel::MissedCall);
    assert!(s.retain_until() > s.attempt.expires_at);
    let at = Timestamp(s.attempt.expires_at.millis() - 1000);
    s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
    assert!(s.retain_until() >= at.plus_secs(TOKEN_TTL_SECS));
}

/// The attempt's length is the deployment's policy (`ATTEMPT_SECS`), ten minutes by default.
#[test]
fn the_policy_sets_the_attempts_length() {
    assert_eq!(Policy::default().attempt_secs, 600);
    let mut rng = Seeded(1);
    let mut issuer = Issuer {
        rng: &mut rng,
        code_key: CODE_KEY,
        policy: Policy {
            attempt_secs: 4,
            ..Policy::default()
        },
    };
    let (s, _) = Session::start(new_session(), Channel::Sms, None, &mut issuer, T0).unwrap();
    assert_eq!(s.attempt.expires_at, T0.plus_secs(4));
    assert_eq!(s.next_wake(T0), T0.plus_secs(4));
}

/// Pages following a verification live hear it expire: its object wakes at the attempt's end
/// (ten minutes, the README's figure), then again only to forget it.
#[test]
fn the_object_wakes_when_the_attempt_ends_then_to_forget() {
    let (mut s, _) = start(Channel::MissedCall);
    assert_eq!(s.next_wake(T0), T0.plus_secs(600));
    let ended = T0.plus_secs(600);
    assert_eq!(s.next_wake(ended), s.retain_until());
    assert!(s.retain_until() > ended);
    let at = T0.plus_secs(30);
    s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
    // Verified: nothing changes by itself until the session may be forgotten.
    assert_eq!(s.next_wake(at), s.retain_until());
}

#[test]
fn the_site_can_look_up_its_transaction() {
    let (mut s, d) = start(Channel::Sms);
    let open = s.transaction_view(T0).unwrap();
    assert_eq!(open.client_transaction_id, "ctx-9");
    assert_eq!(
        (open.status, open.finished_at),
        (VerificationStatus::Pending, None)
    );
    s.check_code(&code_of(&d), CODE_KEY, T0.plus_secs(5))
        .unwrap();
    let done = s.transaction_view(T0.plus_secs(6)).unwrap();
    assert_eq!(done.status, VerificationStatus::Verified);
    assert_eq!(done.finished_at, Some(T0.plus_secs(5).to_rfc3339()));
    s.client_transaction_id = None;
    assert_eq!(s.transaction_view(T0), None);
}

#[test]
fn finished_record_names_the_failure() {
    let (mut s, _) = start(Channel::FlashCall);
    s.on_sent(1, Err(FailureReason::ProviderBilling), T0);
    let r = s.finished_record(T0.plus_secs(1000));
    assert_eq!(r.status, VerificationStatus::Failed);
    assert_eq!(r.failure, Some(FailureReason::ProviderBilling));
    assert_eq!(r.attempts, 1);
    assert_eq!(s.record_to_keep(T0.plus_secs(1000)), Some(r));
    s.test = true;
    assert_eq!(
        s.record_to_keep(T0.plus_secs(1000)),
        None,
        "a test key's keeps none"
    );
}

#[test]
fn a_repeated_or_late_call_changes_nothing_to_save() {
    let (mut s, _) = start(Channel::MissedCall);
    let at = T0.plus_secs(30);
    let before = s.clone();
    assert_eq!(
        s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at),
        CallOutcome::Verified
    );
    assert_ne!(s, before);
    let verified = s.clone();
    assert_eq!(
        s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at),
        CallOutcome::Repeat
    );
    assert_eq!(s, verified, "a repeat is not saved");
    let (mut late, _) = start(Channel::MissedCall);
    let before = late.clone();
    let after_end = T0.plus_secs(100_000);
    assert_eq!(
        late.on_missed_call(&n("447400123456"), &n("442079460001"), after_end, after_end),
        CallOutcome::TooLate
    );
    assert_eq!(late, before, "a late call is not saved");
    let (mut wrong, _) = start(Channel::MissedCall);
    let before = wrong.clone();
    assert_eq!(
        wrong.on_missed_call(&n("447400999999"), &n("442079460001"), at, at),
        CallOutcome::Unmatched
    );
    assert_ne!(wrong, before, "an unmatched call is counted, so saved");
}

#[test]
fn an_expired_unspent_token_is_renewed_without_another_send() {
    let (mut s, _) = start(Channel::MissedCall);
    let at = T0.plus_secs(30);
    s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
    // Shown to the second, rounded up: the page never drops a token the edge still takes.
    let (mut odd, _) = start(Channel::MissedCall);
    let half = Timestamp(at.millis() + 500);
    odd.on_missed_call(&n("447400123456"), &n("442079460001"), half, half);
    assert_eq!(
        odd.view(KEY, "e", half).token_expires_at.as_deref(),
        Some(at.plus_secs(301).to_rfc3339().as_str())
    );
    let first = s.view(KEY, "e", at);
    let old = first.token.unwrap();
    // The widget is told when the token dies: five minutes after it was issued.
    assert_eq!(
        first.token_expires_at.as_deref(),
        Some(at.plus_secs(300).to_rfc3339().as_str())
    );
    // A live token is kept as it is.
    s.renew_token(at.plus_secs(60)).unwrap();
    assert_eq!(
        s.view(KEY, "e", at.plus_secs(60)).token.as_deref(),
        Some(old.as_str())
    );
    let later = at.plus_secs(301);
    assert_eq!(s.view(KEY, "e", later).token, None, "expired");
    s.renew_token(later).unwrap();
    let renewed = s.view(KEY, "e", later);
    let fresh = renewed.token.clone().unwrap();
    assert_ne!(fresh, old);
    assert_eq!(s.sends, 1, "no second call or SMS");
    assert!(s.retain_until() >= later.plus_secs(300));
    assert_eq!(
        s.clone().redeem(KEY, &old, later),
        Err(SiteverifyError::InvalidInputResponse),
        "the old token stays dead"
    );
    let ok = s.redeem(KEY, &fresh, later.plus_secs(299)).unwrap();
    assert_eq!(
        ok.verified_at,
        Some(at.to_rfc3339()),
        "still the same verification"
    );
    // Spent once: no more tokens, so one verification is one redemption.
    assert_eq!(s.renew_token(later.plus_secs(400)), Err(ApiError::Expired));
}

#[test]
fn renewal_ends_ten_minutes_after_verification() {
    let (mut s, _) = start(Channel::MissedCall);
    let at = T0.plus_secs(30);
    s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
    assert_eq!(s.clone().renew_token(at.plus_secs(599)), Ok(()));
    assert_eq!(s.renew_token(at.plus_secs(600)), Err(ApiError::Expired));
    let (mut pending, _) = start(Channel::MissedCall);
    assert!(matches!(
        pending.renew_token(T0),
        Err(ApiError::InvalidRequest(_))
    ));
}

#[test]
fn siteverify_echoes_the_page_host_action_and_cdata() {
    let (mut s, _) = start(Channel::MissedCall);
    s.cdata = Some("order-7".into());
    let at = T0.plus_secs(30);
    s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
    let t = s.view(KEY, "e", at).token.unwrap();
    let ok = s.redeem(KEY, &t, at).unwrap();
    assert_eq!(ok.hostname.as_deref(), Some("shop.example"));
    assert_eq!(ok.action.as_deref(), Some("signup"));
    assert_eq!(ok.cdata.as_deref(), Some("order-7"));
    assert!(!ok.test);
}

#[test]
fn a_test_session_takes_the_documented_code() {
    let mut new = new_session();
    new.test = true;
    let mut rng = Seeded(7);
    let mut issuer = Issuer {
        rng: &mut rng,
        code_key: CODE_KEY,
        policy: Policy::default(),
    };
    let (mut s, d) = Session::start(new, Channel::Sms, None, &mut issuer, T0).unwrap();
    assert_eq!(code_of(&d), "123456");
    let view = s.view(KEY, "e", T0);
    assert!(view.test);
    assert_eq!(
        view.test_code.as_deref(),
        Some("123456"),
        "shown to the page"
    );
    let (real, _) = start(Channel::Sms);
    assert_eq!(real.view(KEY, "e", T0).test_code, None, "never a real code");
    sent(&mut s, "t1");
    assert!(matches!(
        s.check_code("123456", CODE_KEY, T0).unwrap(),
        CheckStep::Done(CheckResult {
            status: VerificationStatus::Verified,
            ..
        })
    ));
    let t = s.view(KEY, "e", T0).token.unwrap();
    assert!(s.redeem(KEY, &t, T0).unwrap().test);
}

#[test]
fn only_leaving_a_missed_call_frees_its_line_and_only_a_code_not_verified_was_wrong() {
    let (call, _) = start(Channel::MissedCall);
    let summary = call.summary_at(T0);
    assert!(summary.leaves_line(Channel::Sms));
    assert!(summary.leaves_line(Channel::VoiceCall));
    assert!(
        !summary.leaves_line(Channel::MissedCall),
        "a new call keeps a line"
    );
    let (sms, _) = start(Channel::Sms);
    assert!(!sms.summary_at(T0).leaves_line(Channel::MissedCall));
    let result = |status| CheckResult {
        status,
        checks_left: 2,
        view: None,
    };
    assert!(!compared_wrong(&result(VerificationStatus::Verified)));
    assert!(compared_wrong(&result(VerificationStatus::Pending)));
    assert!(compared_wrong(&result(VerificationStatus::Failed)));
}

#[test]
fn a_deployment_policy_replaces_only_the_numbers_it_names() {
    assert_eq!(Policy::from_vars(|_| None), Policy::default());
    let p = Policy::from_vars(|name| match name {
        "TOKEN_TTL_SECS" => Some("5".into()),
        "ATTEMPT_SECS" => Some("later".into()),
        _ => None,
    });
    assert_eq!(p.token_ttl_secs, 5);
    assert_eq!(p.attempt_secs, Policy::default().attempt_secs);
    assert_eq!(
        p.resend_cooldown_secs,
        Policy::default().resend_cooldown_secs
    );
}

#[test]
fn a_checks_answer_shows_the_view_with_the_token_only_to_its_own_page() {
    let (mut s, d) = start(Channel::Sms);
    sent(&mut s, "r1");
    let right = done(s.check_code(&code_of(&d), CODE_KEY, T0).unwrap());
    assert_eq!(right.view, None, "the object adds the view");
    let own = s.answer_check(right.clone(), Follower::OwnPage, (KEY, "https://edge"), T0);
    let view = own.view.as_deref().unwrap();
    assert_eq!(view.status, VerificationStatus::Verified);
    assert_eq!(view.token, s.view(KEY, "https://edge", T0).token);
    assert!(view.token.is_some());
    let unnamed = s.answer_check(right.clone(), Follower::Unnamed, (KEY, "https://edge"), T0);
    assert_eq!(
        unnamed.view.as_deref().unwrap().token,
        None,
        "a server sees no token"
    );
    let demo = s.answer_check(right, Follower::Unnamed, (KEY, "https://shop.example"), T0);
    assert!(
        demo.view.unwrap().token.is_some(),
        "the edge's own demo page reads without an Origin"
    );
}
