use super::*;
use ProviderId::{Telesign as T, TwilioMessaging as W};

const T0: Timestamp = Timestamp(1_780_000_000_000);
const ROUTE: [ProviderId; 2] = [T, W];

fn fail(h: &mut Health, p: ProviderId, at: Timestamp) -> Option<Opened> {
    h.record(
        p,
        "GB",
        Event::Failed {
            reason: FailureReason::ProviderUnavailable,
        },
        at,
    )
}

fn accept(h: &mut Health, p: ProviderId, reference: &str, at: Timestamp) {
    h.record(
        p,
        "GB",
        Event::Accepted {
            reference: Some(reference.into()),
        },
        at,
    );
}

fn order(h: &mut Health, at: Timestamp) -> Vec<ProviderId> {
    h.order(&ROUTE, "GB", at).0
}

#[test]
fn three_failures_in_a_row_skip_a_provider_for_its_cool_down() {
    let mut h = Health::default();
    assert_eq!(order(&mut h, T0), ROUTE);
    assert!(fail(&mut h, T, T0).is_none());
    accept(&mut h, T, "r1", T0.plus_secs(1));
    // A success in between: the count starts again.
    assert!(fail(&mut h, T, T0.plus_secs(2)).is_none());
    assert!(fail(&mut h, T, T0.plus_secs(3)).is_none());
    assert!(h.troubled().is_empty(), "failing, but still closed");
    let opened = fail(&mut h, T, T0.plus_secs(4)).expect("the third in a row opens it");
    assert_eq!(h.troubled(), [(T, "GB".to_owned())]);
    assert_eq!(opened.why, "provider_unavailable");
    assert_eq!(opened.until, T0.plus_secs(4 + COOL_DOWN_SECS));
    // Skipped, not dropped: it is still tried last, so a visitor is never left without a try.
    assert_eq!(order(&mut h, T0.plus_secs(5)), [W, T]);
    // Another country's breaker is its own.
    assert_eq!(h.order(&ROUTE, "IN", T0.plus_secs(5)).0, ROUTE);
}

#[test]
fn after_the_cool_down_one_probe_closes_or_reopens_it_for_longer() {
    let mut h = Health::default();
    for i in 0..3 {
        fail(&mut h, T, T0.plus_secs(i));
    }
    let end = T0.plus_secs(2 + COOL_DOWN_SECS);
    assert_eq!(order(&mut h, end), ROUTE, "the probe goes first");
    assert_eq!(
        order(&mut h, end.plus_secs(1)),
        [W, T],
        "one probe at a time"
    );
    let reopened = fail(&mut h, T, end.plus_secs(2)).expect("a failed probe reopens it");
    assert_eq!(
        reopened.until,
        end.plus_secs(2 + 2 * COOL_DOWN_SECS),
        "twice as long"
    );
    let end = end.plus_secs(2 + 2 * COOL_DOWN_SECS);
    assert_eq!(order(&mut h, end), ROUTE);
    accept(&mut h, T, "probe", end);
    assert_eq!(order(&mut h, end.plus_secs(1)), ROUTE);
    let view = &h.views(end.plus_secs(1))[0];
    assert_eq!(
        (view.state, view.openings_last_hour),
        (BreakerState::Closed, 2)
    );
}

/// Sends in flight when it opened, and sends tried anyway while every provider is skipped,
/// fail without making the cool-down longer: only a probe's failure does.
#[test]
fn failures_while_open_do_not_lengthen_the_cool_down() {
    let mut h = Health::default();
    for i in 0..3 {
        fail(&mut h, T, T0.plus_secs(i));
    }
    for i in 3..10 {
        assert!(fail(&mut h, T, T0.plus_secs(i)).is_none(), "no reopening");
    }
    let view = &h.views(T0.plus_secs(10))[0];
    assert_eq!(view.openings_last_hour, 1);
    assert_eq!(
        view.open_until.as_deref(),
        Some(T0.plus_secs(2 + COOL_DOWN_SECS).to_rfc3339().as_str())
    );
    assert!(!view.keeps_failing);
}

#[test]
fn a_healthy_route_leaves_nothing_to_store() {
    let mut h = Health::default();
    assert_eq!(order(&mut h, T0), ROUTE);
    assert_eq!(h, Health::default());
}

#[test]
fn a_lost_probe_lets_the_next_send_probe() {
    let mut h = Health::default();
    for i in 0..3 {
        fail(&mut h, T, T0.plus_secs(i));
    }
    let end = T0.plus_secs(2 + COOL_DOWN_SECS);
    assert_eq!(order(&mut h, end), ROUTE);
    assert_eq!(order(&mut h, end.plus_secs(PROBE_SECS)), ROUTE);
}

#[test]
fn a_provider_that_stops_reporting_is_opened() {
    let mut h = Health::default();
    for i in 0..3 {
        accept(&mut h, T, &format!("r{i}"), T0.plus_secs(i));
    }
    // A report after them: those sent before it may just be slow.
    h.reported(T, "r0", T0.plus_secs(10));
    assert_eq!(
        order(&mut h, T0.plus_secs(10 + 2 * REPORT_WITHIN_SECS)),
        ROUTE
    );
    // Three sends after the last report, none reported in time, open it.
    for i in 0..3 {
        accept(&mut h, T, &format!("s{i}"), T0.plus_secs(20 + i));
    }
    assert_eq!(
        order(&mut h, T0.plus_secs(20 + REPORT_WITHIN_SECS)),
        ROUTE,
        "not yet"
    );
    let (order, opened) = h.order(&ROUTE, "GB", T0.plus_secs(22 + REPORT_WITHIN_SECS));
    assert_eq!(order, [W, T]);
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].why, "no_delivery_reports");
    // One reported in time would have kept it.
    let mut h = Health::default();
    for i in 0..3 {
        accept(&mut h, T, &format!("s{i}"), T0.plus_secs(i));
    }
    h.reported(T, "s2", T0.plus_secs(30));
    assert_eq!(
        order_of(&mut h, T0.plus_secs(2 + REPORT_WITHIN_SECS)),
        ROUTE
    );
}

fn order_of(h: &mut Health, at: Timestamp) -> Vec<ProviderId> {
    h.order(&ROUTE, "GB", at).0
}

#[test]
fn a_provider_opened_three_times_in_an_hour_keeps_failing() {
    let mut h = Health {
        cool_down_secs: 1,
        ..Default::default()
    };
    let mut at = T0;
    let mut last = None;
    for _ in 0..3 {
        for _ in 0..3 {
            at = at.plus_secs(1);
            if let Some(o) = fail(&mut h, T, at) {
                last = Some(o);
                break;
            }
        }
        at = at.plus_secs(COOL_DOWN_MAX_SECS);
        order(&mut h, at);
    }
    assert!(last.unwrap().keeps_failing);
    assert!(h.views(at)[0].keeps_failing);
    // An hour on, quiet and closed after a good probe, it is forgotten.
    accept(&mut h, T, "ok", at);
    h.reported(T, "ok", at);
    h.prune(at.plus_secs(HOUR_SECS + 1));
    assert!(h.views(at.plus_secs(HOUR_SECS + 1)).is_empty());
}

#[test]
fn an_isolate_asks_again_when_what_it_heard_is_stale_troubled_or_failed() {
    let mut seen = TroubleSeen::default();
    assert!(!seen.lets_pass(&ROUTE, "GB", T0), "heard nothing yet");
    seen.heard(vec![], T0);
    assert!(seen.lets_pass(&ROUTE, "GB", T0.plus_secs(1)));
    assert!(
        !seen.lets_pass(&ROUTE, "GB", T0.plus_secs(TROUBLE_FRESH_SECS)),
        "stale"
    );
    seen.heard(vec![(W, "IN".to_owned())], T0);
    assert!(
        !seen.lets_pass(&ROUTE, "IN", T0),
        "a candidate troubled there"
    );
    assert!(seen.lets_pass(&ROUTE, "GB", T0), "troubled elsewhere only");
    assert!(seen.lets_pass(&[T], "IN", T0), "another provider's trouble");
    seen.failed();
    assert!(!seen.lets_pass(&ROUTE, "GB", T0));
}

#[test]
fn a_deployment_may_shorten_the_first_cool_down_within_bounds() {
    assert_eq!(cool_down_from_var(None), COOL_DOWN_SECS);
    assert_eq!(cool_down_from_var(Some(" 2 ")), 2);
    assert_eq!(cool_down_from_var(Some("0")), COOL_DOWN_SECS, "never none");
    assert_eq!(cool_down_from_var(Some("soon")), COOL_DOWN_SECS);
    assert_eq!(
        cool_down_from_var(Some("86400")),
        COOL_DOWN_SECS,
        "no longer than a breaker's longest"
    );
}
