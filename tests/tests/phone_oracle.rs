//! Core reads numbers as Google's libphonenumber does. `tests/python/phone_oracle.py` (PyPI
//! `phonenumbers`, pinned in `xtask/python/requirements.txt` to the metadata the `phonenumber`
//! crate bundles) writes what libphonenumber says of every region's example numbers of every
//! type, typed the ways people type them, with and without a country hint, and of invalid
//! variants; every answer of `phone::read_typed` is held against it: the same E.164, the same
//! validity, the same type, and a refusal whose reason is libphonenumber's (a number dialled
//! only within its area, or one with too few digits after its national prefix, is "too
//! short"; the oracle marks the second).

use ringproof_core::error::ApiError;
use ringproof_core::phone::{self, PhoneProblem};
use serde_json::Value;
use std::collections::BTreeMap;

/// What core should answer, from libphonenumber's verdict.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    Accepted { e164: String, kind: String },
    Refused(Vec<PhoneProblem>),
}

/// The types a person answers: what `Kind::is_personal` accepts, by libphonenumber's names.
const PERSONAL: [&str; 5] = [
    "FIXED_LINE",
    "MOBILE",
    "FIXED_LINE_OR_MOBILE",
    "VOIP",
    "PERSONAL_NUMBER",
];

/// Where we refuse what libphonenumber reads, on purpose: the only disagreements allowed.
fn policy(input: &str) -> Option<PhoneProblem> {
    let number = ringproof_numbering::text::possible_number(&ringproof_numbering::Unicode, input);
    if input.trim().chars().count() > ringproof_numbering::MAX_INPUT_CHARS {
        // A sentence around a number is not a number typed in a phone field.
        Some(PhoneProblem::TooLong)
    } else if ringproof_numbering::has_letters(&ringproof_numbering::Unicode, number) {
        // libphonenumber reads letters as a keypad's digits and `x`, `#`, `,`, `~` as an
        // extension's marks: we verify the phone itself, not a vanity name or an extension.
        Some(PhoneProblem::Letters)
    } else {
        None
    }
}

fn expected(case: &Value) -> Expected {
    let text = |k: &str| case[k].as_str().unwrap_or_default().to_owned();
    if let Some(p) = policy(&text("input")) {
        return Expected::Refused(vec![p]);
    }
    if let Some(error) = case["error"].as_str() {
        return Expected::Refused(match error {
            // A national form without a hint, or no calling code after the `+`.
            "INVALID_COUNTRY_CODE" => {
                vec![PhoneProblem::NeedsCountry, PhoneProblem::UnknownCountryCode]
            }
            // Nothing typed at all is told apart from something that is not a number.
            "NOT_A_NUMBER" if text("input").trim().is_empty() => vec![PhoneProblem::Empty],
            "NOT_A_NUMBER" => vec![PhoneProblem::NotANumber],
            "TOO_SHORT_AFTER_IDD" | "TOO_SHORT_NSN" => vec![PhoneProblem::TooShort],
            "TOO_LONG" => vec![PhoneProblem::TooLong],
            other => panic!("unknown parse error {other}"),
        });
    }
    if case["valid"] != Value::Bool(true) {
        if case["short_after_prefix"] == Value::Bool(true) {
            return Expected::Refused(vec![PhoneProblem::TooShort]);
        }
        return Expected::Refused(vec![match case["possible"].as_str() {
            // Dialled only within its area, the number lacks its area code.
            Some("TOO_SHORT" | "IS_POSSIBLE_LOCAL_ONLY") => PhoneProblem::TooShort,
            Some("TOO_LONG") => PhoneProblem::TooLong,
            _ => PhoneProblem::DoesNotExist,
        }]);
    }
    let kind = text("type");
    if PERSONAL.contains(&kind.as_str()) {
        Expected::Accepted {
            e164: text("e164"),
            kind,
        }
    } else {
        Expected::Refused(vec![PhoneProblem::ServiceNumber])
    }
}

fn oracle() -> Vec<Value> {
    let v = ringproof_tests::python::run_json("phone_oracle.py", &[]);
    // The crate's metadata version is in its own version's build part (`0.3.10+9.0.33`).
    assert_eq!(
        v["phonenumbers"], "9.0.33",
        "pin phonenumbers to the crate's metadata"
    );
    v["cases"].as_array().expect("cases").clone()
}

#[test]
fn every_number_is_read_as_libphonenumber_reads_it() {
    let cases = oracle();
    assert!(cases.len() > 50_000, "{} cases", cases.len());
    let mut disagreements: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut accepted = 0;
    for case in &cases {
        let input = case["input"].as_str().unwrap();
        let hint = case["hint"].as_str();
        let want = expected(case);
        let got = phone::read_typed(input, hint);
        let class = match (&want, &got) {
            (Expected::Accepted { e164, kind }, Ok((n, k))) => {
                accepted += 1;
                if n.as_str() != e164 {
                    Some("stored as another number")
                } else if k.as_str() != kind {
                    Some("another type")
                } else {
                    None
                }
            }
            (Expected::Accepted { .. }, Err(_)) => Some("valid number refused"),
            (Expected::Refused(_), Ok(_)) => Some("invalid number accepted"),
            (Expected::Refused(reasons), Err(ApiError::InvalidPhone(p))) => {
                (!reasons.contains(p)).then_some("refused for another reason")
            }
            (Expected::Refused(_), Err(_)) => Some("refused as a bad request"),
        };
        if let Some(class) = class {
            disagreements
                .entry(class.to_owned())
                .or_default()
                .push(format!(
                    "{input:?} hint {hint:?}: libphonenumber {want:?}, core {got:?}"
                ));
        }
    }
    assert!(accepted > 20_000, "{accepted} accepted");
    let report: Vec<String> = disagreements
        .iter()
        .map(|(class, cases)| {
            let shown: Vec<&String> = cases.iter().take(8).collect();
            format!(
                "{class}: {}\n  {}",
                cases.len(),
                shown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n  ")
            )
        })
        .collect();
    assert!(
        disagreements.is_empty(),
        "{} cases, disagreements with libphonenumber:\n{}",
        cases.len(),
        report.join("\n")
    );
}

/// The widget finds its sentence for a `Problem` by its discriminant, which is the reason's place
/// in core's order: the same code at the same place.
#[test]
fn the_widgets_problems_are_numbered_as_cores_reasons() {
    use ringproof_numbering::Problem;
    let core_order = [
        PhoneProblem::Empty,
        PhoneProblem::NotANumber,
        PhoneProblem::Letters,
        PhoneProblem::NeedsCountry,
        PhoneProblem::UnknownCountryCode,
        PhoneProblem::TooShort,
        PhoneProblem::TooLong,
        PhoneProblem::DoesNotExist,
        PhoneProblem::ServiceNumber,
    ];
    for p in [
        Problem::Empty,
        Problem::NotANumber,
        Problem::Letters,
        Problem::TooShort,
        Problem::TooLong,
        Problem::DoesNotExist,
        Problem::ServiceNumber,
    ] {
        assert_eq!(core_order[p as usize].code(), p.code(), "{p:?}");
    }
    let widget = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../widget/src/i18n.rs"
    ))
    .unwrap();
    let mut at = 0;
    for reason in core_order {
        let entry = format!("(\"{}\", \"phone.{}\")", reason.code(), reason.code());
        let found = widget[at..]
            .find(&entry)
            .unwrap_or_else(|| panic!("{entry} in order"));
        at += found + entry.len();
    }
}

/// The regex crate as the widget's engine (the browser's `RegExp` there): libphonenumber's
/// patterns mean the same in both.
#[derive(Default)]
struct RegexEngine(std::cell::RefCell<std::collections::HashMap<String, regex::Regex>>);

impl ringproof_numbering::Letters for RegexEngine {
    fn is_alphanumeric(&self, c: char) -> bool {
        c.is_alphanumeric()
    }
}

impl ringproof_numbering::Patterns for RegexEngine {
    fn exec(&self, source: &str, text: &str) -> Option<Vec<Option<String>>> {
        let mut cache = self.0.borrow_mut();
        let re = cache
            .entry(source.to_owned())
            .or_insert_with(|| regex::Regex::new(source).expect("a plan's pattern compiles"));
        let caps = re.captures(text)?;
        Some(
            caps.iter()
                .map(|g| g.map(|m| m.as_str().to_owned()))
                .collect(),
        )
    }
}

/// The widget's check before sending (`ringproof_numbering::problem`, with the plan the edge
/// sends for the chosen country) says what the edge says of every number typed with a country
/// chosen: nothing where the edge accepts it, the edge's own reason where it refuses it. Its
/// grouping keeps every digit, and groups wherever the country writes the number in groups.
#[test]
fn the_widget_checks_and_groups_as_the_edge_reads() {
    let cases = oracle();
    let engine = RegexEngine::default();
    let mut plans = BTreeMap::new();
    let mut disagreements: Vec<String> = Vec::new();
    let (mut checked, mut grouped) = (0, 0);
    for case in &cases {
        let Some(hint) = case["hint"].as_str() else {
            continue;
        };
        let Some(plan) = plans
            .entry(hint.to_owned())
            .or_insert_with(|| phone::country_plan(hint))
            .as_ref()
        else {
            continue;
        };
        let input = case["input"].as_str().unwrap();
        let widget = ringproof_numbering::problem(&engine, plan, input);
        let edge = phone::read_typed(input, Some(hint));
        let international = ringproof_numbering::is_international(&engine, plan, input);
        checked += 1;
        let agree = match (&widget, &edge) {
            (None, Ok(_)) => true,
            (None, Err(_)) => international,
            (Some(w), Err(ApiError::InvalidPhone(e))) => w.code() == e.code(),
            (Some(_), _) => false,
        };
        if !agree {
            disagreements.push(format!(
                "{input:?} in {hint}: widget {widget:?}, edge {edge:?}"
            ));
        }
        if let (Ok((number, _)), false) = (&edge, international) {
            let shown = ringproof_numbering::format_national(&engine, plan, input);
            let digits = |s: &str| -> String {
                s.chars()
                    .filter_map(ringproof_numbering::text::ascii_digit)
                    .collect()
            };
            if digits(&shown) != digits(input) {
                disagreements.push(format!("{input:?} in {hint}: grouped as {shown:?}"));
            }
            // Typed as written at home (its digits, prefix and all), shown as written at home;
            // Argentina's mobiles, written at home with a `15` they do not have, stay as typed.
            let home = number.national();
            if digits(&home) == digits(input) && hint == number.region().unwrap_or_default() {
                grouped += 1;
                if shown != home {
                    disagreements.push(format!(
                        "{input:?} in {hint}: shown as {shown:?}, at home {home:?}"
                    ));
                }
            }
        }
    }
    // Each country's placeholder is a number the edge takes written so, and the widget too.
    for d in phone::dial_codes(&[]) {
        plans
            .entry(d.country.clone())
            .or_insert_with(|| phone::country_plan(&d.country));
    }
    assert!(
        plans.values().flatten().count() > 230,
        "every region has a plan"
    );
    for (country, plan) in plans.iter().filter_map(|(c, p)| Some((c, p.as_ref()?))) {
        let Some(example) = &plan.example else {
            continue;
        };
        let edge = phone::read_typed(example, Some(country));
        let widget = ringproof_numbering::problem(&engine, plan, example);
        if edge.is_err() || widget.is_some() {
            disagreements.push(format!(
                "{country}'s example {example:?}: widget {widget:?}, edge {edge:?}"
            ));
        }
    }
    assert!(checked > 40_000, "{checked} checked");
    assert!(grouped > 1_500, "{grouped} grouped");
    assert!(
        disagreements.is_empty(),
        "{} of {checked} disagree:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
