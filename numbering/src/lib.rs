//! A number typed in a phone field, read against the chosen country's plan (`PhoneCountry`, from
//! `GET /v1/countries/{country}`) the way core reads it on the edge: the widget says "too short"
//! or "not a personal number" only where the edge would, and groups the digits as the country
//! writes them. Core's reader and this one share the text rules below; the tests hold the two
//! against each other for every region's examples.
//!
//! The plan's patterns are libphonenumber's, run by whatever engine the caller has
//! (`Patterns`): the browser's `RegExp` in the widget, so the wasm carries no regex engine.

pub mod text;

use ringproof_api::{NumberRule, PhoneCountry, RegionRules};
use text::{
    ascii_digit, expand, is_plus, is_punctuation, is_viable, normalise_digits, tail, written_digits,
};

/// libphonenumber's bounds on a national significant number's length.
pub const MIN_NSN: usize = 2;
pub const MAX_NSN: usize = 17;

/// Unicode's letters and numbers. The widget asks the browser rather than carry Unicode's
/// tables in its wasm.
pub trait Letters {
    /// A letter or a number of any script (what libphonenumber's `\w` means, `_` aside).
    fn is_alphanumeric(&self, c: char) -> bool;
}

/// Rust's own tables: core's and the tests'.
pub struct Unicode;

impl Letters for Unicode {
    fn is_alphanumeric(&self, c: char) -> bool {
        c.is_alphanumeric()
    }
}

/// A regular expression's source matching `pattern` over a whole text (`WHOLE`, Java's
/// `matches`) or at its start (`START`, Java's `lookingAt`), its groups numbered as written.
fn source(pattern: &str, whole: bool) -> String {
    text::join(&["^(?:", pattern, if whole { ")$" } else { ")" }])
}

const WHOLE: bool = true;
const START: bool = false;

/// A regular-expression engine, and what it says of letters.
pub trait Patterns: Letters {
    /// Runs `source`, a whole regular expression, on `text`: the match and then each group
    /// (`None` for a group that took no part), or `None` where it does not match.
    fn exec(&self, source: &str, text: &str) -> Option<Vec<Option<String>>>;
}

/// Why a number typed nationally cannot be verified, as core's `PhoneProblem` says it (the
/// same codes). The discriminants are the reasons' places in core's order (`empty`,
/// `not_a_number`, `letters`, `needs_country`, `unknown_country_code`, `too_short`, `too_long`,
/// `does_not_exist`, `service_number`), so the widget finds a sentence by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Empty = 0,
    NotANumber = 1,
    Letters = 2,
    TooShort = 5,
    TooLong = 6,
    DoesNotExist = 7,
    ServiceNumber = 8,
}

impl Problem {
    pub fn code(self) -> &'static str {
        match self {
            Problem::Empty => "empty",
            Problem::NotANumber => "not_a_number",
            Problem::Letters => "letters",
            Problem::TooShort => "too_short",
            Problem::TooLong => "too_long",
            Problem::DoesNotExist => "does_not_exist",
            Problem::ServiceNumber => "service_number",
        }
    }
}

/// What a national significant number's length says (libphonenumber's `ValidationResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Possible,
    PossibleLocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

/// libphonenumber's `testNumberLength`, for `lengths` sorted and `local` apart from them.
pub fn test_length(len: usize, lengths: &[u16], local: &[u16]) -> Length {
    let len = len as u16;
    let (Some(&min), Some(&max)) = (lengths.first(), lengths.last()) else {
        return Length::Invalid;
    };
    if local.contains(&len) {
        Length::PossibleLocalOnly
    } else if len == min {
        Length::Possible
    } else if len < min {
        Length::TooShort
    } else if len > max {
        Length::TooLong
    } else if lengths.contains(&len) {
        Length::Possible
    } else {
        Length::Invalid
    }
}

/// Letters (and numbers that are not digits, `½`), or an extension's marks (`x`, `#`, `;`, `,`,
/// `~`, as libphonenumber reads them): not the number of a phone, core refuses them.
pub fn has_letters(letters: &impl Letters, number: &str) -> bool {
    let lettered = |c: char| {
        c == 'x' || (letters.is_alphanumeric(c) && ascii_digit(c).is_none() && !is_punctuation(c))
    };
    number.contains(lettered) || number.contains(['#', ';', ',', '~', '\u{FF5E}'])
}

/// The longest text read as a number: a number with generous punctuation fits.
pub const MAX_INPUT_CHARS: usize = 64;

/// A number written nationally, as read.
struct National {
    nsn: String,
    /// How many leading typed digits are not part of `nsn` (`None` where a rule rewrote them).
    dropped: Option<usize>,
    /// Too few digits follow the national prefix for any number (core's `short_after_prefix`).
    short_after_prefix: bool,
}

struct Reader<'a, P: Patterns> {
    engine: &'a P,
    plan: &'a PhoneCountry,
}

impl<P: Patterns> Reader<'_, P> {
    fn whole(&self, pattern: &str, text: &str) -> bool {
        self.engine.exec(&source(pattern, WHOLE), text).is_some()
    }

    fn fits(&self, rule: &NumberRule, nsn: &str) -> bool {
        (rule.lengths.is_empty() || rule.lengths.contains(&(nsn.len() as u16)))
            && self.whole(&rule.pattern, nsn)
    }

    fn own(&self) -> Option<&RegionRules> {
        self.plan
            .regions
            .iter()
            .find(|r| r.country == self.plan.country)
    }

    fn own_length(&self, digits: &str) -> Length {
        match self.own() {
            Some(r) => test_length(digits.len(), &r.general.lengths, &r.local_lengths),
            None => Length::Invalid,
        }
    }

    fn general_matches(&self, digits: &str) -> bool {
        self.own()
            .is_some_and(|r| self.whole(&r.general.pattern, digits))
    }

    /// Whether the digits (a plus aside) begin with the country's international prefix: a
    /// number written so is international, and read by the edge.
    fn after_international_prefix(&self, digits: &str) -> bool {
        let Some(idd) = &self.plan.international_prefix else {
            return false;
        };
        match self.engine.exec(&source(idd, START), digits) {
            Some(groups) => {
                let end = groups
                    .first()
                    .and_then(|g| g.as_ref())
                    .map_or(0, String::len);
                !tail(digits, end).starts_with('0')
            }
            None => false,
        }
    }

    /// libphonenumber's `maybeStripNationalPrefixAndCarrierCode`: the number without its
    /// national prefix, how many typed digits the prefix was (`None` when a transform rule
    /// rewrote it instead of dropping it), and whether it was stripped at all.
    fn strip_prefix(&self, number: &str) -> (String, Option<usize>, bool) {
        let unchanged = (number.to_owned(), Some(0), false);
        let Some(pattern) = self.plan.national_prefix_for_parsing.as_deref() else {
            return unchanged;
        };
        let Some(groups) = self.engine.exec(&source(pattern, START), number) else {
            return unchanged;
        };
        let end = groups
            .first()
            .and_then(|g| g.as_ref())
            .map_or(0, String::len);
        let last_matched = groups.len() == 1 || groups.last().is_some_and(Option::is_some);
        let (candidate, dropped) = match &self.plan.national_prefix_transform_rule {
            Some(rule) if last_matched => {
                let rewritten = text::join(&[&expand(rule, &groups), tail(number, end)]);
                // A rule that keeps the end of what it matched (Gabon's `0(60…)` → `$1`)
                // still only drops the digits in front.
                let dropped = number
                    .ends_with(rewritten.as_str())
                    .then(|| number.len() - rewritten.len());
                (rewritten, dropped)
            }
            _ => (tail(number, end).to_owned(), Some(end)),
        };
        if self.general_matches(number) && !self.general_matches(&candidate) {
            return unchanged;
        }
        (candidate, dropped, true)
    }

    /// The digits after the country's own calling code, where they start with it, and its
    /// length. Compared as a number: the widget's wasm formats no integers for it.
    fn after_own_code<'d>(&self, digits: &'d str) -> Option<(usize, &'d str)> {
        let code = u32::from(self.plan.dial_code);
        let len = code.checked_ilog10()? as usize + 1;
        let head = digits.get(..len)?;
        let value = head
            .bytes()
            .fold(0u32, |v, b| v * 10 + u32::from(b.wrapping_sub(b'0')));
        (value == code).then(|| (len, tail(digits, len)))
    }

    /// The national significant number of digits written nationally, and how many leading
    /// typed digits are not part of it (`None` when the prefix was rewritten).
    fn national(&self, digits: &str) -> National {
        let mut nsn = digits.to_owned();
        let mut dropped = Some(0);
        let mut with_code = false;
        if let Some((code_len, rest)) = self.after_own_code(digits) {
            // Written with the country code but no `+` ("1 650 253 0000" in the US).
            let (stripped, by_prefix, _) = self.strip_prefix(rest);
            if (!self.general_matches(digits) && self.general_matches(&stripped))
                || self.own_length(digits) == Length::TooLong
            {
                nsn = stripped;
                dropped = by_prefix.map(|d| d + code_len);
                with_code = true;
            }
        }
        let unstripped = |nsn, dropped, short_after_prefix| National {
            nsn,
            dropped,
            short_after_prefix,
        };
        if nsn.len() < MIN_NSN {
            return unstripped(nsn, dropped, false);
        }
        let (stripped, by_prefix, changed) = self.strip_prefix(&nsn);
        match self.own_length(&stripped) {
            Length::Possible | Length::TooLong => National {
                nsn: stripped,
                dropped: dropped.zip(by_prefix).map(|(a, b)| a + b),
                short_after_prefix: false,
            },
            Length::TooShort | Length::PossibleLocalOnly => {
                unstripped(nsn, dropped, changed && !with_code)
            }
            Length::Invalid => unstripped(nsn, dropped, false),
        }
    }

    /// libphonenumber's region for the number, then its type there: `Some(personal)` where the
    /// number is valid.
    fn personal(&self, nsn: &str) -> Option<bool> {
        let regions = &self.plan.regions;
        let kind = |r: &RegionRules| -> Option<bool> {
            if !self.fits(&r.general, nsn) {
                return None;
            }
            r.types
                .iter()
                .find(|t| self.fits(&t.rule, nsn))
                .map(|t| t.personal)
        };
        let region = if regions.len() == 1 {
            regions.first()
        } else {
            regions.iter().find(|r| match &r.leading_digits {
                Some(lead) => self.engine.exec(&source(lead, START), nsn).is_some(),
                None => kind(r).is_some(),
            })
        }?;
        kind(region)
    }
}

/// Whether the visitor wrote the number internationally (`+44…`, or the country's own
/// international prefix such as `00 44…`): the edge reads it then, whatever country is chosen.
pub fn is_international<P: Patterns>(engine: &P, plan: &PhoneCountry, typed: &str) -> bool {
    // The first `+` or digit, not the possible number: a lone `+` just typed has no number yet.
    let first = typed
        .chars()
        .find(|c| is_plus(*c) || ascii_digit(*c).is_some());
    first.is_some_and(is_plus)
        || Reader { engine, plan }.after_international_prefix(&normalise_digits(typed))
}

/// Why the number typed with `plan`'s country chosen cannot be verified, as the edge would say
/// it; `None` where the edge would accept it, or where it is written internationally (the edge
/// reads it then).
pub fn problem<P: Patterns>(engine: &P, plan: &PhoneCountry, typed: &str) -> Option<Problem> {
    if typed.trim().is_empty() {
        return Some(Problem::Empty);
    }
    if typed.trim().chars().nth(MAX_INPUT_CHARS).is_some() {
        return Some(Problem::TooLong);
    }
    let number = text::possible_number(engine, typed);
    if has_letters(engine, number) {
        return Some(Problem::Letters);
    }
    if !is_viable(number) {
        return Some(Problem::NotANumber);
    }
    if is_international(engine, plan, typed) {
        return None;
    }
    let reader = Reader { engine, plan };
    let National {
        nsn,
        short_after_prefix,
        ..
    } = reader.national(&normalise_digits(number));
    if nsn.len() < MIN_NSN {
        return Some(Problem::TooShort);
    }
    if nsn.len() > MAX_NSN {
        return Some(Problem::TooLong);
    }
    match reader.personal(&nsn) {
        Some(true) => None,
        Some(false) => Some(Problem::ServiceNumber),
        None if short_after_prefix => Some(Problem::TooShort),
        None => Some(match plan.regions.first() {
            Some(main) => {
                match test_length(nsn.len(), &main.general.lengths, &main.local_lengths) {
                    Length::TooShort | Length::PossibleLocalOnly => Problem::TooShort,
                    Length::TooLong => Problem::TooLong,
                    _ => Problem::DoesNotExist,
                }
            }
            None => Problem::DoesNotExist,
        }),
    }
}

/// The number grouped as people write it in the country once it matches one of its formats,
/// the national prefix typed kept in front; the typed digits as they are before (and where a
/// prefix is rewritten rather than dropped, as Argentina's is).
pub fn format_national<P: Patterns>(engine: &P, plan: &PhoneCountry, typed: &str) -> String {
    if is_international(engine, plan, typed) {
        return typed.to_owned();
    }
    let all: String = typed.chars().filter_map(ascii_digit).collect();
    let reader = Reader { engine, plan };
    let National {
        nsn,
        dropped: Some(dropped),
        ..
    } = reader.national(&all)
    else {
        return all;
    };
    let prefix = all.get(..dropped).unwrap_or_default();
    for f in &plan.formats {
        if let Some(lead) = &f.leading_digits {
            if engine.exec(&source(lead, START), &nsn).is_none() {
                continue;
            }
        }
        let Some(groups) = engine.exec(&source(&f.pattern, WHOLE), &nsn) else {
            continue;
        };
        // The prefix as the country writes it in front of the first group (`8 (912) …`).
        let with_prefix = f
            .national_prefix_rule
            .as_deref()
            .filter(|r| written_digits(r) == prefix);
        let grouped = match with_prefix {
            Some(rule) => expand(&text::first_group_with(&f.format, rule), &groups),
            None if prefix.is_empty() => expand(&f.format, &groups),
            None => text::join(&[prefix, " ", &expand(&f.format, &groups)]),
        };
        // A format that adds or drops digits (Argentina's mobiles gain a `15`) would change
        // what the visitor typed under their cursor.
        if normalise_digits(&grouped) == all {
            return grouped;
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the plus matters here; no plan pattern is run for it.
    struct NoPatterns;

    impl Letters for NoPatterns {
        fn is_alphanumeric(&self, c: char) -> bool {
            Unicode.is_alphanumeric(c)
        }
    }

    impl Patterns for NoPatterns {
        fn exec(&self, _: &str, _: &str) -> Option<Vec<Option<String>>> {
            None
        }
    }

    #[test]
    fn a_plus_alone_is_the_start_of_an_international_number() {
        let plan = PhoneCountry {
            country: "GB".into(),
            dial_code: 44,
            national_prefix: Some("0".into()),
            national_prefix_for_parsing: None,
            national_prefix_transform_rule: None,
            example: None,
            international_prefix: None,
            regions: vec![],
            formats: vec![],
        };
        for typed in ["+", " +", "+4", "＋44 7400"] {
            assert!(is_international(&NoPatterns, &plan, typed), "{typed:?}");
            assert_eq!(format_national(&NoPatterns, &plan, typed), typed);
        }
        assert!(!is_international(&NoPatterns, &plan, "07400"));
        assert_eq!(format_national(&NoPatterns, &plan, "07 400"), "07400");
    }
}
