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
