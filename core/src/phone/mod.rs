//! Reading the numbers visitors type and the numbers providers report.

mod format;
mod kind;
mod metadata;
mod read;

pub use kind::Kind;

use crate::ApiError;
use metadata::Length;
use read::Number;
use ringproof_api::{DialCode, NumberFormat, NumberRule, PhoneCountry, RegionRules, TypeRule};
use serde::{Deserialize, Serialize};

/// A phone number in E.164 form (`+447400123456`): read once, where it enters (a visitor's
/// input, a provider's report), then passed around typed. Stored as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct E164(String);

impl E164 {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Why a visitor's number is refused: a stable code (`error.reason` beside `invalid_phone`)
/// and a sentence that says what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneProblem {
    Empty,
    NotANumber,
    Letters,
    NeedsCountry,
    UnknownCountryCode,
    TooShort,
    TooLong,
    DoesNotExist,
    ServiceNumber,
}

impl PhoneProblem {
    pub fn code(self) -> &'static str {
        match self {
            PhoneProblem::Empty => "empty",
            PhoneProblem::NotANumber => "not_a_number",
            PhoneProblem::Letters => "letters",
            PhoneProblem::NeedsCountry => "needs_country",
            PhoneProblem::UnknownCountryCode => "unknown_country_code",
            PhoneProblem::TooShort => "too_short",
            PhoneProblem::TooLong => "too_long",
            PhoneProblem::DoesNotExist => "does_not_exist",
            PhoneProblem::ServiceNumber => "service_number",
        }
    }

    pub fn sentence(self) -> &'static str {
        match self {
            PhoneProblem::Empty => "Please enter a phone number.",
            PhoneProblem::NotANumber => "That does not look like a phone number.",
            PhoneProblem::Letters => {
                "Please enter only the digits of the number, without letters or an extension."
            }
            PhoneProblem::NeedsCountry => {
                "Please choose the country, or enter the number in international form, starting with + and the country code."
            }
            PhoneProblem::UnknownCountryCode => {
                "No country has that country code. Please check the digits after the +."
            }
            PhoneProblem::TooShort => "That number is too short.",
            PhoneProblem::TooLong => "That number is too long.",
            PhoneProblem::DoesNotExist => {
                "That number does not exist in the numbering plan of its country."
            }
            PhoneProblem::ServiceNumber => {
                "Please enter a personal phone number, not a service or premium number."
            }
        }
    }
}

/// Reads a number a visitor typed, as libphonenumber reads it, and keeps it only if it is a
/// valid number a person answers (`Kind::is_personal`). International form (`+44 7400 123456`)
/// is read without the hint; a national form (`07400 123456`, or `0044…` with the hint's own
/// international prefix) with `country`, an ISO 3166-1 alpha-2 code.
pub fn normalise(input: &str, country: Option<&str>) -> Result<E164, ApiError> {
    read_typed(input, country).map(|(number, _)| number)
}

/// `normalise`, with the number's type.
pub fn read_typed(input: &str, country: Option<&str>) -> Result<(E164, Kind), ApiError> {
    let input = input.trim();
    let refuse = |p: PhoneProblem| ApiError::InvalidPhone(p);
    if input.is_empty() {
        return Err(refuse(PhoneProblem::Empty));
    }
    if input.chars().count() > ringproof_numbering::MAX_INPUT_CHARS {
        return Err(refuse(PhoneProblem::TooLong));
    }
    let hint = match country.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            metadata::by_region(&c.to_ascii_uppercase())
        }
        Some(c) => {
            return Err(ApiError::InvalidRequest(format!(
                "`country` must be an ISO 3166-1 alpha-2 code, not {c:?}."
            )))
        }
        None => None,
    };
    let number = read::read(input, hint).map_err(refuse)?;
    let Some(kind) = kind::kind(&number) else {
        if number.short_after_prefix {
            return Err(refuse(PhoneProblem::TooShort));
        }
        return Err(refuse(match kind::length(&number) {
            // A number dialled only within its area lacks its area code: too short elsewhere.
            Length::TooShort | Length::PossibleLocalOnly => PhoneProblem::TooShort,
            Length::TooLong => PhoneProblem::TooLong,
            _ => PhoneProblem::DoesNotExist,
        }));
    };
    if !kind.is_personal() {
        return Err(refuse(PhoneProblem::ServiceNumber));
    }
    Ok((E164::from(&number), kind))
}

impl From<&Number> for E164 {
    fn from(n: &Number) -> Self {
        E164(format!("+{}{}", n.code, n.nsn))
    }
}

impl E164 {
    /// The number as `read` holds it; every `E164` was made from one.
    fn number(&self) -> Option<Number> {
        read::read(&self.0, None).ok()
    }

    /// RFC 3966's `tel:` URI: what a phone dials when the link is tapped or its QR code scanned.
    pub fn tel_uri(&self) -> String {
        format!("tel:{}", self.0)
    }

    /// The digits without the `+`, as most provider APIs want them.
    pub fn digits(&self) -> &str {
        self.0.trim_start_matches('+')
    }

    /// The ISO 3166-1 region the number belongs to (`GB`), where the numbering plan says.
    pub fn region(&self) -> Option<String> {
        let plan = kind::plan_of(&self.number()?)?;
        let id = plan.id();
        (id.len() == 2 && id.bytes().all(|b| b.is_ascii_uppercase())).then(|| id.to_owned())
    }

    /// The number as people read it (`+44 7400 123456`), for the number image.
    pub fn international(&self) -> String {
        match self.number() {
            Some(n) => format::international(n.code, &n.nsn),
            None => self.0.clone(),
        }
    }

    /// The number as written at home (`07400 123456`), its calling code's main region's way.
    pub fn national(&self) -> String {
        match self.number() {
            Some(n) => format::national(n.code, &n.nsn),
            None => self.0.clone(),
        }
    }

    /// The country calling code and the national significant number (`44`, `7400123456`).
    pub fn split(&self) -> Option<(u16, String)> {
        let n = self.number()?;
        Some((n.code, n.nsn))
    }
}

/// Reads a number as a telephony provider reports it: E.164, perhaps without its `+`.
/// Returns `None` for anything unreadable (withheld caller IDs, for one).
pub fn from_network(reported: &str) -> Option<E164> {
    let digits: String = reported.chars().filter(|c| !c.is_whitespace()).collect();
    let with_plus = if digits.starts_with('+') {
        digits
    } else {
        format!("+{digits}")
    };
    read::read(&with_plus, None).ok().map(|n| E164::from(&n))
}

/// What a phone field needs to know of `country` (ISO 3166-1 alpha-2) to read a number
/// written the way people write it there. `None` for a code the numbering plan does not have.
pub fn country_plan(country: &str) -> Option<PhoneCountry> {
    let id = country.trim().to_ascii_uppercase();
    let plan = metadata::by_region(&id)?;
    // Tristan da Cunha has no mobile numbers in the plan: its example is a fixed line's.
    let example_of = plan
        .descriptors()
        .mobile()
        .or_else(|| plan.descriptors().fixed_line());
    let code = plan.country_code();
    // As libphonenumber writes it at home (Kazakhstan's numbers the way Russia's are), where
    // that reads back as the same number: Argentina's mobiles are written at home with a `9`
    // libphonenumber would not read, and are shown without the prefix instead.
    let example = example_of.and_then(|d| d.example()).and_then(|nsn| {
        let e164 = format!("+{code}{nsn}");
        [
            format::national(code, nsn),
            format::national_without_prefix(code, nsn),
        ]
        .into_iter()
        .find(|written| normalise(written, Some(&id)).is_ok_and(|n| n.as_str() == e164))
    });
    // Regions that share a calling code and have no formats of their own borrow the main
    // region's, as libphonenumber does when it formats their numbers.
    let formats_of = if plan.formats().is_empty() {
        metadata::main_of(code).unwrap_or(plan)
    } else {
        plan
    };
    let formats = formats_of
        .formats()
        .iter()
        .map(|f| NumberFormat {
            pattern: metadata::compact(f.pattern().as_str()),
            format: f.format().to_owned(),
            leading_digits: f
                .leading_digits()
                .last()
                .map(|r| metadata::compact(r.as_str())),
            national_prefix_rule: format::national_prefix_rule(formats_of, f),
        })
        .collect();
    let (prefix_pattern, prefix_rule) = match metadata::prefix_for_parsing(plan) {
        Some((p, r)) => (Some(p), r.map(str::to_owned)),
        None => (None, None),
    };
    Some(PhoneCountry {
        country: id,
        dial_code: code,
        national_prefix: plan.national_prefix().map(str::to_owned),
        national_prefix_for_parsing: prefix_pattern,
        national_prefix_transform_rule: prefix_rule,
        example,
        international_prefix: plan
            .international_prefix()
            .map(|p| metadata::compact(p.as_str())),
        regions: metadata::by_code(code)
            .into_iter()
            .map(region_rules)
            .collect(),
        formats,
    })
}

fn general_rule(plan: metadata::Plan) -> NumberRule {
    NumberRule {
        pattern: plan
            .descriptors()
            .get(metadata::Type::Unknown)
            .map(|g| metadata::compact(g.national_number().as_str()))
            .unwrap_or_default(),
        lengths: metadata::general_lengths(plan).0,
    }
}

/// A region's types as `kind::kind_in` tries them, for a phone field to say the same.
fn region_rules(plan: metadata::Plan) -> RegionRules {
    let types = kind::ORDER
        .iter()
        .filter_map(|(t, k)| {
            let d = plan.descriptors().get(*t)?;
            Some(TypeRule {
                rule: NumberRule {
                    pattern: metadata::compact(d.national_number().as_str()),
                    lengths: d.possible_length().to_vec(),
                },
                personal: k.is_personal(),
            })
        })
        .collect::<Vec<_>>();
    let mut types = types;
    // Where the mobile pattern is the fixed line's, libphonenumber never tries it apart.
    if kind::same_fixed_and_mobile(plan) {
        types.pop();
    }
    RegionRules {
        country: plan.id().to_owned(),
        leading_digits: plan.leading_digits().map(|l| metadata::compact(l.as_str())),
        general: general_rule(plan),
        local_lengths: metadata::general_lengths(plan).1,
        types,
    }
}

/// How long a page's browser may keep a site's country list: the same for every visit of
/// this visitor, and nothing secret. A plan changes only with a deploy, so it keeps longer.
pub const COUNTRIES_CACHE_SECS: u32 = 600;
pub const PLAN_CACHE_SECS: u32 = 3600;

/// The widget's picker for a site accepting `allowed`: its countries, and the visitor's own
/// (`seen`, as Cloudflare saw the connection) chosen with its plan when the site accepts it,
/// so the widget carries no metadata of its own.
pub fn picker(allowed: &[String], seen: Option<&str>) -> ringproof_api::PhoneCountries {
    let countries = dial_codes(allowed);
    let default_country = seen
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| countries.iter().any(|d| &d.country == c));
    let plan = default_country.as_deref().and_then(country_plan);
    ringproof_api::PhoneCountries {
        default_country,
        countries,
        plan,
    }
}

/// The countries a site accepts with their calling codes, in its order; every country, by
/// code, when it accepts all (`allowed` empty). A picker needs no more until one is chosen.
pub fn dial_codes(allowed: &[String]) -> Vec<DialCode> {
    let code = |id: &str| {
        let meta = metadata::by_region(id)?;
        Some(DialCode {
            country: meta.id().to_owned(),
            dial_code: meta.country_code(),
        })
    };
    if allowed.is_empty() {
        let mut all: Vec<DialCode> = metadata::all()
            .iter()
            .filter(|m| m.id().len() == 2 && m.id().bytes().all(|b| b.is_ascii_uppercase()))
            .filter_map(|m| code(m.id()))
            .collect();
        all.sort_by(|a, b| a.country.cmp(&b.country));
        all.dedup();
        all
    } else {
        allowed
            .iter()
            .filter_map(|c| code(&c.trim().to_ascii_uppercase()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picker_chooses_the_visitors_country_only_when_the_site_takes_it() {
        let sites = vec!["SK".to_owned(), "GB".to_owned()];
        let p = picker(&sites, Some("gb"));
        assert_eq!(p.default_country.as_deref(), Some("GB"));
        assert_eq!(p.plan.map(|plan| plan.country), Some("GB".to_owned()));
        let ids: Vec<_> = p.countries.iter().map(|d| d.country.as_str()).collect();
        assert_eq!(ids, ["SK", "GB"]);
        let elsewhere = picker(&sites, Some("FR"));
        assert_eq!((elsewhere.default_country, elsewhere.plan), (None, None));
        assert_eq!(picker(&sites, None).default_country, None);
        assert_eq!(
            picker(&[], Some("FR")).default_country.as_deref(),
            Some("FR")
        );
    }

    #[test]
    fn international_and_national_forms_agree() {
        let a = normalise("+44 7400 123456", None).unwrap();
        let b = normalise("07400 123456", Some("gb")).unwrap();
        let c = normalise("0044 7400-123-456", Some("GB")).unwrap();
        assert_eq!(a.as_str(), "+447400123456");
        assert_eq!(a, b);
        assert_eq!(a, c);
        // Pasted the way numbers are printed, with the optional national prefix in brackets.
        assert_eq!(normalise("+44 (0) 7400-123 456", Some("GB")), Ok(a));
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for (input, country) in [
            ("", None),
            ("hello", None),
            ("+44 12", None),
            ("07400 123456", None),
        ] {
            let e = normalise(input, country).unwrap_err();
            assert_eq!(e.code(), "invalid_phone", "{input}");
        }
    }

    #[test]
    fn too_few_digits_after_the_national_prefix_are_too_short() {
        for typed in ["07400", "07400 12", "0"] {
            let e = normalise(typed, Some("GB")).unwrap_err();
            assert!(
                matches!(
                    e,
                    ApiError::InvalidPhone(PhoneProblem::TooShort | PhoneProblem::NotANumber)
                ),
                "{typed}: {e:?}"
            );
        }
        assert_eq!(
            normalise("07400 12", Some("GB")),
            Err(ApiError::InvalidPhone(PhoneProblem::TooShort))
        );
    }

    #[test]
    fn extensions_and_pasted_marks() {
        for typed in [
            "+358 18 12345～67",
            "+44 7400 123~456",
            "+44 7400 123456,123",
        ] {
            assert_eq!(
                normalise(typed, None),
                Err(ApiError::InvalidPhone(PhoneProblem::Letters)),
                "{typed}"
            );
        }
        let n = normalise(
            "\u{2066}+44\u{202F}7400\u{2009}123456\u{200F}\u{2069}",
            Some("IL"),
        );
        assert_eq!(n.unwrap().as_str(), "+447400123456");
        let long = format!(
            "My mobile, for calls during the day: {}",
            "07400 123456 ".repeat(3)
        );
        assert_eq!(
            normalise(&long, Some("GB")),
            Err(ApiError::InvalidPhone(PhoneProblem::TooLong))
        );
        // Every region has a plan, Tristan da Cunha's without mobiles too.
        assert!(country_plan("TA").is_some());
    }

    #[test]
    fn rejects_premium_numbers() {
        let e = normalise("+44 909 8790000", None).unwrap_err();
        assert_eq!(e.code(), "invalid_phone");
    }

    #[test]
    fn bad_country_hint_is_a_request_error() {
        let e = normalise("07400 123456", Some("Britain")).unwrap_err();
        assert_eq!(e.code(), "invalid_request");
    }

    #[test]
    fn splits_into_country_code_and_national_number() {
        let n = normalise("+44 7400 123456", None).unwrap();
        assert_eq!(n.digits(), "447400123456");
        assert_eq!(n.split(), Some((44, "7400123456".to_owned())));
        assert_eq!(n.region().as_deref(), Some("GB"));
    }

    #[test]
    fn reads_as_people_write_it_and_stores_as_e164() {
        let n = normalise("07400123456", Some("GB")).unwrap();
        assert_eq!(n.international(), "+44 7400 123456");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"+447400123456\"");
    }

    #[test]
    fn country_plans_say_how_numbers_are_written() {
        let gb = country_plan("gb").unwrap();
        assert_eq!((gb.country.as_str(), gb.dial_code), ("GB", 44));
        assert_eq!(gb.national_prefix.as_deref(), Some("0"));
        let example = gb.example.clone().unwrap();
        assert!(example.starts_with("07"), "{example}");
        // The example is a mobile number the engine itself accepts.
        assert!(normalise(&example, Some("GB")).is_ok());
        // Britain shares +44 with Guernsey, the Isle of Man and Jersey: main region first.
        let regions: Vec<&str> = gb.regions.iter().map(|r| r.country.as_str()).collect();
        assert_eq!(regions, ["GB", "GG", "IM", "JE"]);
        let own = &gb.regions[0];
        assert_eq!(own.general.lengths, vec![7, 9, 10]);
        assert!(own
            .types
            .iter()
            .any(|t| t.personal && t.rule.pattern.starts_with("7(?:")));
        assert!(own.types.iter().any(|t| !t.personal));
        let patterns = gb
            .formats
            .iter()
            .flat_map(|f| [Some(&f.pattern), f.leading_digits.as_ref()]);
        let rules = gb.regions.iter().flat_map(|r| {
            std::iter::once(&r.general.pattern).chain(r.types.iter().map(|t| &t.rule.pattern))
        });
        for p in patterns.flatten().chain(rules) {
            assert!(
                !p.chars().any(char::is_whitespace),
                "a browser reads {p:?} literally"
            );
        }
        assert!(gb.formats.iter().any(|f| f.format.contains("$1")));
        // Canada writes its numbers as the United States do: the main region's formats.
        let ca = country_plan("CA").unwrap();
        assert_eq!(ca.formats, country_plan("US").unwrap().formats);
        assert!(!ca.formats.is_empty());
        assert_eq!(ca.regions[0].country, "US");
        // Argentina reads its prefix with a rule, not as a bare `0`.
        let ar = country_plan("AR").unwrap();
        assert!(ar.national_prefix_for_parsing.is_some());
        assert!(ar.national_prefix_transform_rule.is_some());
        let india = country_plan("IN").unwrap();
        assert_eq!(india.dial_code, 91);
        assert_eq!(country_plan("XX"), None);
        let all = dial_codes(&[]);
        assert!(all.len() > 200, "{}", all.len());
        assert!(all.windows(2).all(|w| w[0].country < w[1].country));
        assert!(all.iter().any(|c| c.country == "GB" && c.dial_code == 44));
        let some = dial_codes(&["SK".into(), "ru".into(), "XX".into()]);
        let ids: Vec<&str> = some.iter().map(|c| c.country.as_str()).collect();
        assert_eq!(ids, ["SK", "RU"]);
    }

    #[test]
    fn network_numbers_may_lack_the_plus() {
        assert_eq!(
            from_network("447400123456").unwrap().as_str(),
            "+447400123456"
        );
        assert_eq!(
            from_network("+44 7400 123456").unwrap().as_str(),
            "+447400123456"
        );
        assert_eq!(from_network("anonymous"), None);
    }
}
