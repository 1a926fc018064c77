use super::*;
use crate::providers::{ProviderId, Sent};
use crate::session::tests::{code_of, start, wrong, CODE_KEY, T0};

const KEY: &[u8] = b"token key";

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

#[test]
fn a_number_is_kept_only_as_hash_country_and_last_two() {
    let (s, _) = start(Channel::Sms);
    let m = mark(KEY, &s.phone);
    assert_eq!(m.country.as_deref(), Some("GB"));
    assert_eq!(m.last_two, "56");
    assert_eq!(m.hash.len(), 32);
    assert!(!m.hash.contains("7400123456"));
    assert_eq!(m, mark(KEY, &s.phone), "one number, one hash");
    assert_ne!(m.hash, mark(b"another key", &s.phone).hash);
    let other = crate::phone::normalise("+447400123457", None).unwrap();
    assert_ne!(m.hash, mark(KEY, &other).hash);
    let row = between(None, &s, KEY, T0)[0].values();
    assert!(
        row.iter()
            .all(|v| !matches!(v, Value::Text(t) if t.contains("7400123456"))),
        "{row:?}"
    );
}

#[test]
fn an_sms_verification_tells_its_whole_life() {
    let (s0, d) = start(Channel::Sms);
    let started = between(None, &s0, KEY, T0);
    assert_eq!(kinds(&started), ["started"]);
    assert_eq!(started[0].client_transaction_id.as_deref(), Some("ctx-9"));
    assert_eq!(started[0].channel, Some(Channel::Sms));

    let mut s1 = s0.clone();
    let sent = Sent {
        reference: "r1".into(),
        caller_hint: None,
        provider: Some(ProviderId::Telesign),
    };
    s1.on_sent(1, Ok(sent), T0.plus_secs(1));
    let e = between(Some(&s0), &s1, KEY, T0.plus_secs(1));
    assert_eq!(kinds(&e), ["sent"]);
    assert_eq!(e[0].provider.as_deref(), Some("telesign"));

    let mut s2 = s1.clone();
    s2.on_delivery(
        "r1",
        crate::providers::DeliveryEvent::Delivered,
        T0.plus_secs(3),
    );
    s2.record_cost(Cost {
        reference: "r1".into(),
        price: Some("-0.0075".into()),
        currency: Some("USD".into()),
        mcc: None,
        mnc: None,
        message_parts_count: None,
    });
    let e = between(Some(&s1), &s2, KEY, T0.plus_secs(3));
    assert_eq!(kinds(&e), ["delivered", "cost"]);
    assert_eq!(e[1].cost_micros, Some(7_500));

    let mut s3 = s2.clone();
    s3.check_code(&wrong(&code_of(&d)), CODE_KEY, T0.plus_secs(9))
        .unwrap();
    let e = between(Some(&s2), &s3, KEY, T0.plus_secs(9));
    assert_eq!(kinds(&e), ["check"]);
    assert_eq!(e[0].detail.as_deref(), Some("wrong"));

    let mut s4 = s3.clone();
    s4.check_code(&code_of(&d), CODE_KEY, T0.plus_secs(20))
        .unwrap();
    let e = between(Some(&s3), &s4, KEY, T0.plus_secs(20));
    assert_eq!(kinds(&e), ["check", "verified"]);
    assert_eq!(e[0].detail.as_deref(), Some("right"));
    assert_eq!(e[1].secs, Some(20));

    let mut s5 = s4.clone();
    if let State::Verified { token_spent, .. } = &mut s5.state {
        *token_spent = true;
    }
    assert_eq!(kinds(&between(Some(&s4), &s5, KEY, T0)), ["redeemed"]);
    // Saving the same session again records nothing twice.
    assert!(between(Some(&s5), &s5, KEY, T0).is_empty());
}

#[test]
fn a_missed_call_shows_a_number_and_a_switch_is_an_attempt() {
    let (s0, _) = start(Channel::MissedCall);
    assert_eq!(kinds(&between(None, &s0, KEY, T0)), ["started", "sent"]);
    let mut s1 = s0.clone();
    crate::session::tests::begin(&mut s1, Channel::Sms, T0.plus_secs(60)).unwrap();
    let e = between(Some(&s0), &s1, KEY, T0.plus_secs(60));
    assert_eq!(kinds(&e), ["attempt"]);
    assert_eq!(e[0].channel, Some(Channel::Sms));
}

#[test]
fn a_failure_says_why_and_an_expiry_is_recorded_at_its_end() {
    let (s0, _) = start(Channel::Sms);
    let mut s1 = s0.clone();
    s1.on_sent(1, Err(FailureReason::ProviderError), T0);
    let e = between(Some(&s0), &s1, KEY, T0);
    assert_eq!(kinds(&e), ["failed"]);
    assert_eq!(
        e[0].detail.as_deref(),
        Some(FailureReason::ProviderError.code())
    );
    assert!(expired(&s0, KEY, T0).is_none(), "still pending");
    let end = s0.attempt.expires_at;
    let x = expired(&s0, KEY, end.plus_secs(1)).unwrap();
    assert_eq!((x.kind, x.at), (Kind::Expired, end));
    assert!(
        expired(&s1, KEY, end.plus_secs(1)).is_none(),
        "failed, not expired"
    );
}

#[test]
fn a_test_keys_session_records_nothing() {
    let (mut s, _) = start(Channel::Sms);
    s.test = true;
    assert!(between(None, &s, KEY, T0).is_empty());
    assert!(expired(&s, KEY, s.attempt.expires_at.plus_secs(1)).is_none());
}

#[test]
fn prices_read_as_millionths_whatever_their_sign() {
    let cost = |p: &str| Cost {
        reference: "r".into(),
        price: Some(p.into()),
        currency: None,
        mcc: None,
        mnc: None,
        message_parts_count: None,
    };
    for (text, micros) in [
        ("0.0075", Some(7_500)),
        ("-0.0075", Some(7_500)),
        ("1", Some(1_000_000)),
        ("12.5", Some(12_500_000)),
        (".5", Some(500_000)),
        ("0.12345678", Some(123_456)),
        ("", None),
        ("abc", None),
        ("1e3", None),
        ("-", None),
        ("9999999999999999", None),
    ] {
        assert_eq!(price_micros(&cost(text)), micros, "{text:?}");
    }
}

#[test]
fn retention_rolls_up_before_it_deletes() {
    let now = Timestamp(200 * DAY_MS + 5_000);
    let steps = retention(now);
    let sql: Vec<&str> = steps.iter().map(|(s, _)| *s).collect();
    let roll = sql
        .iter()
        .position(|s| s.starts_with("INSERT INTO daily"))
        .unwrap();
    let drop = sql
        .iter()
        .position(|s| s.starts_with("DELETE FROM events"))
        .unwrap();
    assert!(roll < drop);
    assert_eq!(steps[drop].1, vec![Value::Int(110 * DAY_MS as i64)]);
    assert_eq!(
        steps[roll].1,
        vec![Value::Int(200 * DAY_MS as i64)],
        "whole days only"
    );
    assert_eq!(steps[0].1, vec![Value::Int(198)], "the last two days again");
}

#[test]
fn callback_attempts_say_how_the_site_answered() {
    let detail = |r| callback("s", "v", &r, T0).map(|e| e.detail.unwrap());
    assert_eq!(
        detail(AttemptResult::Answered(204)).as_deref(),
        Some("delivered")
    );
    assert_eq!(
        detail(AttemptResult::Answered(500)).as_deref(),
        Some("http_500")
    );
    assert_eq!(
        detail(AttemptResult::Answered(302)).as_deref(),
        Some("http_302")
    );
    assert_eq!(detail(AttemptResult::TimedOut).as_deref(), Some("timeout"));
    assert_eq!(
        detail(AttemptResult::ConnectionFailed).as_deref(),
        Some("unreachable")
    );
    assert_eq!(detail(AttemptResult::NoCallback), None);
    let e = callback("s", "v", &AttemptResult::TimedOut, T0).unwrap();
    assert_eq!(
        (e.kind, e.verification_id.as_deref()),
        (Kind::Callback, Some("v"))
    );
}

#[test]
fn refusals_become_rows_at_a_bounded_rate_and_never_for_test_keys() {
    let mut s = RefusalSampler::default();
    let written = (0..100).filter(|_| s.admit("rp_site_a", T0)).count();
    assert_eq!(written as u32, REFUSALS_PER_SITE_PER_MINUTE);
    assert!(s.admit("rp_site_b", T0), "each site has its own");
    assert!(s.admit("rp_site_a", T0.plus_secs(60)), "a new minute");
    assert!(!s.admit(crate::test_keys::SITE_VERIFIES, T0));
}

#[test]
fn a_numbers_block_leaves_out_its_last_six_digits() {
    let uk = crate::phone::normalise("+447400123456", None).unwrap();
    assert_eq!(block_of(&uk), "+447400");
    assert_eq!(mark(KEY, &uk).block, "+447400");
    // Never empty, never the whole number, for the shortest numbers too.
    let short = crate::phone::normalise("+2901234", None);
    if let Ok(n) = short {
        let b = block_of(&n);
        assert!(b.len() >= 2 && b.len() < n.as_str().len(), "{b}");
    }
}

#[test]
fn every_job_has_its_cron_in_wrangler_toml_and_each_cron_its_job() {
    let toml = include_str!("../../../edge/wrangler.toml");
    let line = toml
        .lines()
        .find(|l| l.trim_start().starts_with("crons"))
        .expect("wrangler.toml names its crons");
    for job in Job::ALL {
        assert!(
            line.contains(&format!("\"{}\"", job.cron())),
            "{job:?} in {line}"
        );
        assert_eq!(Job::of(job.cron()), Some(job));
    }
    assert_eq!(
        line.matches('"').count(),
        2 * Job::ALL.len(),
        "no cron without a job: {line}"
    );
    assert_eq!(Job::of("0 * * * *"), None);
}
