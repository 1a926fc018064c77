//! The README's figures, read from the README and written here as the numbers it says, not
//! as the constants they test: changing a constant without the README (or the README without
//! the code) turns one of these red.

use ringproof_core::failure::FailureReason;
use ringproof_core::session::{Policy, MAX_SENDS, RENEW_WITHIN_SECS};
use ringproof_core::{callback, keys};
use std::collections::BTreeSet;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

/// The README's text with its line breaks taken out, so a phrase may span lines.
fn prose() -> String {
    readme().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn says(phrase: &str) {
    assert!(
        prose().contains(phrase),
        "the README no longer says {phrase:?}"
    );
}

/// "5 s", "5 min", "2 h" in seconds.
fn seconds(figure: &str) -> u64 {
    let (n, unit) = figure.trim().split_once(' ').expect("a number and a unit");
    let n: u64 = n.parse().expect("a number");
    n * match unit {
        "s" => 1,
        "min" => 60,
        "h" => 3600,
        other => panic!("unit {other:?}"),
    }
}

#[test]
fn callbacks_are_retried_on_the_readmes_schedule() {
    let text = prose();
    let from = text
        .find("is retried after ")
        .expect("the README's retry schedule")
        + "is retried after ".len();
    let to = from + text[from..].find(" (about").expect("its total");
    let listed: Vec<u64> = text[from..to]
        .replace(" and ", ", ")
        .split(", ")
        .map(seconds)
        .collect();
    assert_eq!(listed, [5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
    assert_eq!(callback::schedule(None), listed);
    says("(about 27 hours)");
    let total: u64 = listed.iter().sum();
    assert!((27 * 3600..28 * 3600).contains(&total), "{total} s");
    says("anything but a 2xx within 10 seconds is retried");
    assert_eq!(callback::TIMEOUT_SECS, 10);
}

#[test]
fn a_token_lives_five_minutes_and_renews_for_ten() {
    says("A token lives 5 minutes.");
    says("valid for 5 minutes, single use");
    assert_eq!(Policy::default().token_ttl_secs, 300);
    says("for 10 minutes after the verification");
    assert_eq!(RENEW_WITHIN_SECS, 600);
}

#[test]
fn an_attempt_lasts_ten_minutes_and_five_sends_at_most() {
    says("valid 10 minutes, single use, stored only as an HMAC");
    assert_eq!(Policy::default().attempt_secs, 600);
    says("429 `too_many_sends` after 5 sends");
    assert_eq!(MAX_SENDS, 5);
}

#[test]
fn finished_records_are_kept_thirty_days() {
    says("a finished one is kept 30 days");
    assert_eq!(keys::FINISHED_TTL_SECS, 30 * 24 * 3600);
    assert_eq!(callback::KEEP_SECS, 30 * 24 * 3600);
}

/// Every failure code the engine can end a verification with is in the README's list, and the
/// list names nothing else.
#[test]
fn the_readmes_failure_codes_are_the_engines() {
    let text = prose();
    let from = text
        .find("Failure codes a verification can end with")
        .expect("the README's failure codes");
    let to = from + text[from..].find("Codes are 6 digits").expect("its end");
    let listed: BTreeSet<String> = text[from..to]
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .filter(|w| !["message", "sends_per_number_per_hour"].contains(w))
        .map(str::to_owned)
        .collect();
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/failure.rs")).unwrap();
    let body = source
        .split("pub fn code(")
        .nth(1)
        .and_then(|s| s.split("pub fn message(").next())
        .expect("FailureReason::code");
    let engine: BTreeSet<String> = body
        .split("=> \"")
        .skip(1)
        .map(|arm| arm.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(listed, engine);
    // Each one reads back as the reason that writes it.
    for code in &listed {
        let reason: FailureReason = serde_json::from_str(&format!("\"{code}\"")).unwrap();
        assert_eq!(reason.code(), code);
    }
}

/// The Defences table's Default column, each phrase as the README writes it and each figure
/// as a number here.
#[test]
fn the_defences_defaults_are_the_readmes() {
    use ringproof_core::{ids, limits, line, pow, site};
    says("`pending_calls_per_number`: 3 per site, 2 per client (200 across all sites)");
    assert_eq!(limits::PENDING_CALLS_PER_NUMBER, 3);
    assert_eq!(line::CLIENT_HELD_MAX, 2);
    assert_eq!(line::HELD_MAX, 200);
    says("doubles with every 50 paid sends and refusals of the site in 10 minutes, up to 8 times");
    assert_eq!(pow::PRESSURE_STEP, 50);
    assert_eq!(pow::PRESSURE_WINDOW_SECS, 600);
    assert_eq!(1 << pow::PRESSURE_DOUBLINGS_MAX, 8);
    says("`sends_per_range_per_10_min`: 8; `RANGE_SENDS_PER_10_MIN`: 40");
    assert_eq!(limits::SHARED_RANGE_SENDS_PER_10_MIN, 40);
    says("`sends_per_number_per_hour`: 10 per site; `SENDS_PER_NUMBER_PER_HOUR`: 20");
    assert_eq!(limits::SHARED_SENDS_PER_NUMBER_PER_HOUR, 20);
    says("4 per verification; 30 per client per 10 minutes");
    assert_eq!(ringproof_core::live::MAX_FOLLOWERS, 4);
    assert_eq!(limits::SOCKETS_PER_CLIENT_PER_10_MIN, 30);
    says("an IPv6 /64, and its /48 at 16 times the limit");
    assert_eq!(ringproof_core::client::NETWORKS_PER_ALLOCATION, 16);
    says("`pow_max_number`: 200,000 (about 0.1 s in the widget)");
    assert_eq!(limits::POW_MAX_NUMBER, 200_000);
    says(
        "`sends_per_client_per_hour`: 10; `starts_per_client_per_hour`: 30 (429 `too_many_starts`)",
    );
    assert_eq!(limits::SENDS_PER_CLIENT_PER_HOUR, 10);
    assert_eq!(limits::STARTS_PER_CLIENT_PER_HOUR, 30);
    says("`sends_per_site_per_hour`: 200; `sends_per_site_per_day`: 2,000; `daily_spend_cap`: `\"50.00\"` `spend_currency` `USD`");
    assert_eq!(limits::SENDS_PER_SITE_PER_HOUR, 200);
    assert_eq!(limits::SENDS_PER_SITE_PER_DAY, 2_000);
    assert_eq!(limits::DAILY_SPEND_CAP, "50.00");
    assert_eq!(limits::SPEND_CURRENCY, "USD");
    says("within 10 minutes; past it the range is blocked for an hour on that site only");
    assert_eq!(limits::RANGE_WINDOW_SECS, 600);
    assert_eq!(limits::RANGE_BLOCK_SECS, 3600);
    assert_eq!(limits::SENDS_PER_RANGE_PER_10_MIN, 8);
    says("(the number without its last 3 digits)");
    assert_eq!(limits::RANGE_DIGITS, 3);
    says("`failed_checks_per_number_per_day`: 10");
    assert_eq!(limits::FAILED_CHECKS_PER_NUMBER_PER_DAY, 10);
    says("300 starts per hour per address over every test key");
    assert_eq!(limits::TEST_STARTS_PER_CLIENT_PER_HOUR, 300);
    says("`sends_per_number_per_hour` codes in the last hour, default 10");
    assert_eq!(site::DEFAULT_SENDS_PER_NUMBER_PER_HOUR, 10);
    says("| 32 / 255 characters |");
    assert_eq!((ids::ACTION_MAX, ids::CDATA_MAX), (32, 255));
    says("defaults above; counts are at most 5,000)");
    assert_eq!(ringproof_core::throttle::HITS_MAX, 5_000);
}
