use super::*;

const NOW: Timestamp = Timestamp(200 * DAY_MS + 3_600_000);

fn row(kind: &str, channel: &str, country: &str, secs: Option<u64>) -> BreakdownRow {
    BreakdownRow {
        kind: kind.into(),
        channel: Some(channel.into()),
        country: Some(country.into()),
        secs,
    }
}

fn rows() -> Rows {
    Rows {
        funnel: FunnelRow {
            started: 4,
            sent: 4,
            delivered: 3,
            verified: 2,
            redeemed: 1,
        },
        breakdown: vec![
            row("started", "sms", "GB", None),
            row("started", "sms", "GB", None),
            row("started", "missed_call", "IN", None),
            row("started", "sms", "IN", None),
            row("attempt", "voice_call", "IN", None),
            row("verified", "sms", "GB", Some(30)),
            row("verified", "voice_call", "IN", Some(90)),
        ],
        spend: vec![SpendRow {
            currency: "USD".into(),
            micros: 30_000,
        }],
        refusals: vec![CountRow {
            key: Some("too_many_starts".into()),
            count: 7,
        }],
        callbacks: vec![CallbackRow {
            verification_id: "v9".into(),
            attempts: 3,
            last_at: NOW.millis(),
            last_outcome: Some("http_500".into()),
        }],
        days: vec![
            DayRow {
                day: 199,
                started: Some(1),
                verified: Some(1),
                cost_micros: Some(7_500),
            },
            DayRow {
                day: 200,
                started: Some(3),
                verified: Some(1),
                cost_micros: None,
            },
            // A rollup for a day the raw rows cover too adds up rather than overwrites.
            DayRow {
                day: 199,
                started: Some(2),
                verified: None,
                cost_micros: Some(2_500),
            },
        ],
    }
}

#[test]
fn figures_per_channel_and_country() {
    let i = shape("s", Period::last(2, NOW), rows());
    assert_eq!(i.funnel.started, 4);
    assert_eq!(i.funnel.redeemed, 1);
    let sms = i.by_channel.iter().find(|b| b.key == "sms").unwrap();
    assert_eq!(
        (sms.started, sms.verified, sms.median_secs),
        (3, 1, Some(30))
    );
    assert!((sms.conversion - 1.0 / 3.0).abs() < 1e-9);
    let voice = i.by_channel.iter().find(|b| b.key == "voice_call").unwrap();
    assert_eq!(
        (voice.started, voice.verified),
        (1, 1),
        "a switch counts for its channel"
    );
    let india = i.by_country.iter().find(|b| b.key == "IN").unwrap();
    assert_eq!(
        (india.started, india.verified, india.median_secs),
        (2, 1, Some(90))
    );
    assert_eq!(i.by_country[0].key, "GB", "the busiest first");
    assert_eq!(i.spend[0].total, "0.0300");
    assert_eq!(i.spend[0].per_verified.as_deref(), Some("0.0150"));
    assert_eq!(i.refusals[0].count, 7);
    assert_eq!(i.failing_callbacks[0].last_outcome, "http_500");
}

#[test]
fn every_day_of_the_period_has_a_point() {
    let i = shape("s", Period::last(3, NOW), rows());
    let days: Vec<(&str, u64, u64)> = i
        .days
        .iter()
        .map(|d| (d.day.as_str(), d.started, d.verified))
        .collect();
    assert_eq!(days.len(), 3);
    assert_eq!(days[0].1, 0, "a quiet day is zero");
    assert_eq!((days[1].1, days[1].2), (3, 1));
    assert_eq!(i.days[1].cost, "0.0100", "raw and rolled-up costs add up");
    assert_eq!(i.days[0].cost, "0.0000");
    assert_eq!((days[2].1, days[2].2), (3, 1));
}

#[test]
fn nothing_started_reads_as_zero_not_a_division_by_zero() {
    let empty = Rows {
        funnel: FunnelRow::default(),
        breakdown: vec![row("verified", "sms", "GB", Some(5))],
        spend: vec![SpendRow {
            currency: "EUR".into(),
            micros: 1,
        }],
        refusals: vec![],
        callbacks: vec![],
        days: vec![],
    };
    let i = shape("s", Period::last(1, NOW), empty);
    assert_eq!(i.by_channel[0].conversion, 0.0);
    assert_eq!(i.spend[0].per_verified, None);
}

#[test]
fn periods_are_whole_days_and_older_days_come_from_rollups() {
    let p = Period::last(7, NOW);
    assert_eq!(p.from, Timestamp(194 * DAY_MS));
    assert!(p.to > NOW);
    assert_eq!(Period::last(0, NOW).from, Timestamp(200 * DAY_MS));
    let long = Period::last(10_000, NOW);
    assert_eq!(day_of(long.from), 200 + 1 - MAX_DAYS.min(201));
    let q = queries("s", Period::last(365, NOW), NOW);
    // The raw part starts 90 days back; the rollups cover the days before it.
    assert_eq!(q[0].values[1], Value::Int(((200 - 90) * DAY_MS) as i64));
    assert_eq!(
        q[5].values[3],
        Value::Int(day_of(Period::last(365, NOW).from) as i64)
    );
    assert_eq!(q[5].values[4], Value::Int(110));
}

#[test]
fn medians_and_money() {
    assert_eq!(median(&mut [5, 1, 3]), Some(3));
    assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
    assert_eq!(median(&mut []), None);
    assert_eq!(money(7_500), "0.0075");
    assert_eq!(money(1_234_567), "1.2346");
    assert_eq!(money(-50), "-0.0001");
}

#[test]
fn log_lines_are_masked_and_csv_is_safe() {
    let line = log_line(LogRow {
        verification_id: "v1".into(),
        started_at: NOW.millis(),
        client_transaction_id: Some("=HYPERLINK(\"x\")".into()),
        country: Some("GB".into()),
        last_two: Some("56".into()),
        first_channel: Some("sms".into()),
        verified_channel: None,
        verified_at: None,
        failure: None,
        expired: Some(1),
        redeemed: Some(0),
        cost_micros: Some(7_500),
        currency: Some("USD".into()),
    });
    assert_eq!(line.status, "expired");
    assert_eq!(line.number, "GB ••••••56");
    assert_eq!(line.cost.as_deref(), Some("0.0075"));
    let text = csv(&[line]);
    let body = text.lines().nth(1).unwrap();
    assert!(body.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{body}");
    assert!(text.starts_with("verification_id,"));
}

#[test]
fn the_operator_sees_every_site_and_an_owner_only_theirs() {
    let q = queries(ALL_SITES, Period::last(7, NOW), NOW);
    for query in &q {
        assert!(query.sql.contains("?1 = '*'"), "{}", query.sql);
    }
    // No site key is `*`: an owner's key can never widen their query.
    assert!(!crate::keys::is_id(ALL_SITES));
    assert!(per_site_query(Period::last(7, NOW), NOW)
        .sql
        .contains("GROUP BY site_key"));
}

#[test]
fn a_period_out_of_range_or_a_long_search_is_refused_not_changed() {
    assert_eq!(
        Period::asked(None, NOW).unwrap(),
        Period::last(DEFAULT_DAYS, NOW)
    );
    assert_eq!(Period::asked(Some("7"), NOW).unwrap(), Period::last(7, NOW));
    let max = MAX_DAYS.to_string();
    assert_eq!(
        Period::asked(Some(&max), NOW).unwrap(),
        Period::last(MAX_DAYS, NOW)
    );
    let over = (MAX_DAYS + 1).to_string();
    for bad in ["0", "-1", "seven", "", over.as_str()] {
        let e = Period::asked(Some(bad), NOW).unwrap_err();
        assert_eq!(e.code(), "invalid_request", "{bad:?}");
    }
    let period = Period::last(7, NOW);
    let longest = "x".repeat(SEARCH_MAX);
    assert!(log_query("s", period, NOW, &longest).is_ok());
    let refused = log_query("s", period, NOW, &format!("{longest}x")).err();
    assert_eq!(refused.map(|e| e.code()), Some("invalid_request"));
}
