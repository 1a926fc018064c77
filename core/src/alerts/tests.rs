use super::*;

fn row(site: &str, window: &str, key: &str, sent: u64, delivered: u64, verified: u64) -> WindowRow {
    WindowRow {
        site_key: site.into(),
        window: window.into(),
        key: Some(key.into()),
        sent,
        delivered,
        verified,
    }
}

#[test]
fn sends_rising_while_conversion_collapses_is_pumping() {
    let rows = [
        row("s", "before", "GB", 70, 60, 56),
        row("s", "recent", "GB", 40, 5, 3),
    ];
    let alerts = judge(&rows, &[], &[]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        (alerts[0].kind, alerts[0].key.as_str()),
        (AlertKind::Pumping, "GB")
    );
    assert!(
        alerts[0].summary.contains("40 codes"),
        "{}",
        alerts[0].summary
    );
}

#[test]
fn a_busy_day_that_still_converts_is_not_pumping() {
    let rows = [
        row("s", "before", "GB", 70, 60, 56),
        row("s", "recent", "GB", 60, 50, 45),
    ];
    assert!(judge(&rows, &[], &[]).is_empty());
}

#[test]
fn a_poor_day_without_more_sends_is_not_pumping() {
    // Conversion fell, but sends did not rise: a bad day, not an attack.
    let rows = [
        row("s", "before", "GB", 210, 190, 180),
        row("s", "recent", "GB", 25, 10, 5),
    ];
    assert!(judge(&rows, &[], &[]).is_empty());
}

#[test]
fn a_few_sends_are_noise() {
    let rows = [row("s", "recent", "ZZ", PUMPING_MIN_SENDS - 1, 0, 0)];
    assert!(judge(&rows, &[], &[]).is_empty());
}

#[test]
fn a_new_country_is_judged_against_the_floor() {
    let flood = [row("s", "recent", "ZZ", 50, 0, 2)];
    assert_eq!(judge(&flood, &[], &[]).len(), 1);
    let real = [row("s", "recent", "ZZ", 50, 40, 35)];
    assert!(judge(&real, &[], &[]).is_empty());
}

#[test]
fn each_activity_is_judged_on_its_own() {
    let rows = [
        row("a", "before", "GB", 70, 60, 56),
        row("a", "recent", "GB", 40, 5, 3),
        row("b", "before", "GB", 70, 60, 20),
        row("b", "recent", "GB", 30, 25, 9),
    ];
    let alerts = judge(&rows, &[], &[]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].site_key, "a");
}

#[test]
fn a_channel_that_stops_delivering_is_an_outage() {
    let rows = [
        row("s", "before", "sms", 100, 90, 70),
        row("s", "recent", "sms", 8, 0, 0),
    ];
    let alerts = judge(&[], &rows, &[]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (alerts[0].kind, alerts[0].key.as_str()),
        (AlertKind::DeliveryStopped, "sms")
    );
    // One delivered, or too few sends, or a channel that never delivered much: no outage.
    for recent in [
        row("s", "recent", "sms", 8, 1, 0),
        row("s", "recent", "sms", 4, 0, 0),
    ] {
        assert!(judge(&[], &[rows[0].clone(), recent], &[]).is_empty());
    }
    let poor = [
        row("s", "before", "sms", 100, 30, 20),
        row("s", "recent", "sms", 8, 0, 0),
    ];
    assert!(judge(&[], &poor, &[]).is_empty());
}

#[test]
fn the_windows_are_the_last_day_and_hour_and_the_week_before() {
    let now = Timestamp(30 * 86_400_000);
    let [(_, country), (_, channel), (_, block)] = queries(now);
    assert_eq!(country[0], Value::Int(29 * 86_400_000));
    assert_eq!(
        block, country,
        "blocks are judged over the country's windows"
    );
    assert_eq!(country[1], Value::Int(22 * 86_400_000));
    assert_eq!(channel[0], Value::Int(30 * 86_400_000 - 3_600_000));
    assert_eq!(country[2], Value::Int(now.millis() as i64));
}

#[test]
fn an_open_alert_is_told_once() {
    let judged = judge(
        &[
            row("s", "before", "GB", 70, 60, 56),
            row("s", "recent", "GB", 40, 5, 3),
        ],
        &[],
        &[],
    );
    let (fresh, seen) = sort(judged.clone(), &[]);
    assert_eq!((fresh.len(), seen.len()), (1, 0));
    let open = [OpenAlert {
        site_key: "s".into(),
        kind: "pumping".into(),
        key: "GB".into(),
    }];
    let (fresh, seen) = sort(judged, &open);
    assert_eq!((fresh.len(), seen.len()), (0, 1));
    let other = [OpenAlert {
        site_key: "t".into(),
        kind: "pumping".into(),
        key: "GB".into(),
    }];
    assert_eq!(
        sort(seen, &other).0.len(),
        1,
        "another site's alert is not this one"
    );
}

#[test]
fn the_site_hears_a_signed_alert() {
    let now = Timestamp(1_795_413_908_000);
    let alert = Alert {
        site_key: "s".into(),
        kind: AlertKind::Pumping,
        key: "GB".into(),
        summary: "x".into(),
    };
    let out = request(&alert, "https://shop.example/hook", b"secret", now);
    let h = |n: &str| {
        out.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let body = out.body.clone().unwrap();
    assert!(body.contains("\"type\":\"alert.opened\""), "{body}");
    crate::signature::verify_webhook(
        b"secret",
        h("webhook-id"),
        h("webhook-timestamp"),
        h("webhook-signature"),
        &body,
        now.secs(),
    )
    .unwrap();
}

/// A pumper's block hides inside a country of honest visitors: the country's conversion holds,
/// the block's collapses, and the alert names the block.
#[test]
fn a_pumped_block_is_told_even_when_its_country_looks_well() {
    let country = [
        row("s", "before", "GB", 700, 650, 600),
        row("s", "recent", "GB", 140, 110, 85),
    ];
    let blocks = [
        row("s", "before", "+447700", 700, 650, 600),
        row("s", "recent", "+447700", 100, 95, 84),
        row("s", "recent", "+447400", 40, 15, 1),
    ];
    assert!(judge(&country, &[], &[]).is_empty(), "GB alone looks well");
    let alerts = judge(&country, &[], &blocks);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        (alerts[0].kind, alerts[0].key.as_str()),
        (AlertKind::Pumping, "+447400")
    );
    assert!(
        alerts[0].summary.contains("numbers starting +447400"),
        "{}",
        alerts[0].summary
    );
}
