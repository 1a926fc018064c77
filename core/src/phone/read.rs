//! libphonenumber's `parse`, step for step, on the metadata as its build would have it: the
//! country hint reads only a number written nationally; a `+` or the hint's international
//! prefix says the country code follows, and the number is then read with that code's plan.
//! The `phonenumber` crate strips the hint's national prefix after a `+CC` and keeps national
//! numbers as integers (their leading zeros lost), so core reads numbers here instead.

use super::metadata::{self, Length, Plan};
use super::PhoneProblem;
use ringproof_numbering::text::{expand, is_plus, is_viable, normalise_digits, possible_number};
use ringproof_numbering::Unicode;

/// A number as libphonenumber holds it: calling code and national significant number, its
/// leading zeros kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    pub code: u16,
    pub nsn: String,
    /// Written nationally, and too few digits follow the national prefix for any number: the
    /// prefix was kept as part of the number (libphonenumber's way), but the visitor is told
    /// "too short", not "does not exist".
    pub short_after_prefix: bool,
}

use ringproof_numbering::{MAX_NSN, MIN_NSN};
const MAX_CODE_DIGITS: usize = 3;

/// How the number says its calling code, once any international prefix is gone.
enum Written {
    International(String),
    National(String),
}

/// libphonenumber's `maybeStripInternationalPrefixAndNormalize`.
fn international_prefix(number: &str, hint: Option<Plan>) -> Written {
    let after_plus = number.trim_start_matches(is_plus);
    if after_plus.len() != number.len() {
        return Written::International(normalise_digits(after_plus));
    }
    let digits = normalise_digits(number);
    let idd = hint
        .and_then(|p| p.international_prefix())
        .and_then(|p| metadata::start(p.as_str()));
    if let Some(m) = idd.and_then(|r| r.find(&digits)) {
        // A calling code never starts with 0: `0` after the prefix means it was not one.
        if !digits[m.end()..].starts_with('0') {
            return Written::International(digits[m.end()..].to_owned());
        }
    }
    Written::National(digits)
}

/// libphonenumber's `extractCountryCode`: the shortest leading digits that are a calling code.
fn calling_code(digits: &str) -> Option<(u16, &str)> {
    if digits.starts_with('0') {
        return None;
    }
    (1..=MAX_CODE_DIGITS.min(digits.len())).find_map(|n| {
        let code: u16 = digits[..n].parse().ok()?;
        metadata::has_code(code).then(|| (code, &digits[n..]))
    })
}

/// libphonenumber's `maybeExtractCountryCode`: `Some` with the code and the rest when the
/// number says its calling code (or, written nationally, starts with the hint's own).
fn extract_code(number: &str, hint: Option<Plan>) -> Result<Option<(u16, String)>, PhoneProblem> {
    match international_prefix(number, hint) {
        Written::International(digits) => {
            if digits.len() <= MIN_NSN {
                return Err(PhoneProblem::TooShort);
            }
            calling_code(&digits)
                .map(|(code, rest)| Some((code, rest.to_owned())))
                .ok_or(PhoneProblem::UnknownCountryCode)
        }
        Written::National(digits) => {
            let Some(plan) = hint else { return Ok(None) };
            let code = plan.country_code();
            let Some(rest) = digits.strip_prefix(&code.to_string()) else {
                return Ok(None);
            };
            let general = plan.descriptors().get(metadata::Type::Unknown);
            let general_matches =
                |n: &str| general.is_some_and(|g| metadata::matches_pattern(n, g));
            let (stripped, _) = strip_national_prefix(rest, plan);
            // Written with the country code but no `+` ("1 650 253 0000" in the US): the code
            // goes when the number only makes sense without it.
            if (!general_matches(&digits) && general_matches(&stripped))
                || metadata::test_length(&digits, plan) == Length::TooLong
            {
                return Ok(Some((code, stripped)));
            }
            Ok(None)
        }
    }
}

/// libphonenumber's `maybeStripNationalPrefixAndCarrierCode`: the number without the national
/// prefix (or as the plan's transform rule rewrites it), unless that would leave a number the
/// plan has no place for while the number as written has one. `true` when it changed.
pub fn strip_national_prefix(number: &str, plan: Plan) -> (String, bool) {
    let unchanged = (number.to_owned(), false);
    let Some((pattern, rule)) = metadata::prefix_for_parsing(plan) else {
        return unchanged;
    };
    let Some(prefix) = metadata::start(&pattern) else {
        return unchanged;
    };
    let Some(caps) = prefix.captures(number) else {
        return unchanged;
    };
    let general = plan.descriptors().get(metadata::Type::Unknown);
    let fits = |n: &str| general.is_some_and(|g| metadata::matches_pattern(n, g));
    let whole = caps.get(0).map_or(0, |m| m.end());
    let groups = caps.len() - 1;
    let last_group_matched = groups == 0 || caps.get(groups).is_some();
    let candidate = match rule {
        Some(rule) if last_group_matched => {
            format!(
                "{}{}",
                expand(rule, &metadata::groups(&caps)),
                &number[whole..]
            )
        }
        _ => number[whole..].to_owned(),
    };
    if fits(number) && !fits(&candidate) {
        return unchanged;
    }
    (candidate, true)
}

/// Reads typed text as libphonenumber's `parse(text, hint)` does; a hint is only used for a
/// number written nationally.
pub fn read(input: &str, hint: Option<Plan>) -> Result<Number, PhoneProblem> {
    let number = possible_number(&Unicode, input);
    // libphonenumber would read letters as a keypad's digits and `x` or `#` as an extension's
    // mark: neither is how a visitor gives the number of the phone in their hand.
    if ringproof_numbering::has_letters(&Unicode, number) {
        return Err(PhoneProblem::Letters);
    }
    if !is_viable(number) {
        return Err(PhoneProblem::NotANumber);
    }
    if hint.is_none() && !number.starts_with(is_plus) {
        return Err(PhoneProblem::NeedsCountry);
    }
    let extracted = match extract_code(number, hint) {
        Err(PhoneProblem::UnknownCountryCode) if number.starts_with(is_plus) => {
            // "+00 44 …": read again as if the plus were not there.
            match extract_code(number.trim_start_matches(is_plus), hint)? {
                Some(found) => Some(found),
                None => return Err(PhoneProblem::UnknownCountryCode),
            }
        }
        other => other?,
    };
    let written_nationally = extracted.is_none();
    let (code, nsn, plan) = match extracted {
        Some((code, rest)) => (code, rest, metadata::main_of(code)),
        None => {
            // Written nationally: `hint` is there (checked above).
            let plan = hint.ok_or(PhoneProblem::NeedsCountry)?;
            (plan.country_code(), normalise_digits(number), Some(plan))
        }
    };
    if nsn.len() < MIN_NSN {
        return Err(PhoneProblem::TooShort);
    }
    let mut short_after_prefix = false;
    let nsn = match plan {
        Some(plan) => {
            let (stripped, changed) = strip_national_prefix(&nsn, plan);
            match metadata::test_length(&stripped, plan) {
                Length::TooShort | Length::PossibleLocalOnly => {
                    short_after_prefix = changed && written_nationally;
                    nsn
                }
                Length::Invalid => nsn,
                Length::Possible | Length::TooLong => stripped,
            }
        }
        None => nsn,
    };
    if nsn.len() < MIN_NSN {
        return Err(PhoneProblem::TooShort);
    }
    if nsn.len() > MAX_NSN {
        return Err(PhoneProblem::TooLong);
    }
    Ok(Number {
        code,
        nsn,
        short_after_prefix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb() -> Option<Plan> {
        metadata::by_region("GB")
    }

    #[test]
    fn a_hint_never_rewrites_an_international_number() {
        let us = metadata::by_region("US");
        let de = read("+49 1512 3456789", us).unwrap();
        assert_eq!((de.code, de.nsn.as_str()), (49, "15123456789"));
        let idd = read("011 49 1512 3456789", us).unwrap();
        assert_eq!(idd, de);
    }

    #[test]
    fn leading_zeros_are_kept() {
        let ci = read("+225 01 23 45 6789", None).unwrap();
        assert_eq!(ci.nsn, "0123456789");
        let it = read("06 1234 5678", metadata::by_region("IT")).unwrap();
        assert_eq!((it.code, it.nsn.as_str()), (39, "0612345678"));
    }

    #[test]
    fn national_forms_need_a_country() {
        assert_eq!(read("07400 123456", None), Err(PhoneProblem::NeedsCountry));
        assert_eq!(read("07400 123456", gb()).unwrap().nsn, "7400123456");
        assert_eq!(
            read("+999 1234 5678", None),
            Err(PhoneProblem::UnknownCountryCode)
        );
        assert_eq!(read("+44 7400 ext 12", None), Err(PhoneProblem::Letters));
        assert_eq!(
            read("+44 7400 123456 x12", None),
            Err(PhoneProblem::Letters)
        );
        assert_eq!(read("--", gb()), Err(PhoneProblem::NotANumber));
    }

    #[test]
    fn a_transform_rule_rewrites_the_national_prefix() {
        // Argentina: "0 11 15 …" is the mobile "9 11 …".
        let ar = read("011 15-2345-6789", metadata::by_region("AR")).unwrap();
        assert_eq!(ar.nsn, "91123456789");
    }
}
