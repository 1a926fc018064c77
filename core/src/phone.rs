//! Reading the numbers visitors type and the numbers providers report.

use crate::ApiError;
use phonenumber::{country, Mode, Type};
use ringproof_api::{DialCode, NumberFormat, PhoneCountry};
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

/// Reads a number a visitor typed. International form (`+44 7400 123456`, `0044…`) needs no hint;
/// a national form (`07400 123456`) needs `country`, an ISO 3166-1 alpha-2 code.
pub fn normalise(input: &str, country: Option<&str>) -> Result<E164, ApiError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(ApiError::InvalidPhone(
            "Please enter a phone number.".into(),
        ));
    }
    if input.len() > 64 {
        return Err(ApiError::InvalidPhone(
            "That is too long to be a phone number.".into(),
        ));
    }
    let region = match country.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(c.to_ascii_uppercase().parse::<country::Id>().map_err(|_| {
            ApiError::InvalidRequest(format!(
                "`country` must be an ISO 3166-1 alpha-2 code, not {c:?}."
            ))
        })?),
        None => None,
    };
    let number = phonenumber::parse(region, input).map_err(|_| {
        ApiError::InvalidPhone(if region.is_none() && !input.starts_with('+') {
            "Please enter the number in international form, starting with + and the country code."
                .into()
        } else {
            "That does not look like a phone number.".into()
        })
    })?;
    if !number.is_valid() {
        return Err(ApiError::InvalidPhone(
            "That number does not exist in the numbering plan of its country.".into(),
        ));
    }
    match number.number_type(&phonenumber::metadata::DATABASE) {
        Type::Mobile
        | Type::FixedLineOrMobile
        | Type::FixedLine
        | Type::PersonalNumber
        | Type::Voip => {}
        _ => {
            return Err(ApiError::InvalidPhone(
                "Please enter a personal phone number, not a service or premium number.".into(),
            ))
        }
    }
    Ok(E164(number.format().mode(Mode::E164).to_string()))
}

impl E164 {
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
        let n = phonenumber::parse(None, &self.0).ok()?;
        n.country().id().map(|id| id.as_ref().to_owned())
    }

    /// The number as people read it (`+44 7400 123456`), for the number image.
    pub fn international(&self) -> String {
        phonenumber::parse(None, &self.0)
            .map(|n| n.format().mode(Mode::International).to_string())
            .unwrap_or_else(|_| self.0.clone())
    }

    /// The country calling code and the national significant number (`44`, `7400123456`).
    pub fn split(&self) -> Option<(u16, String)> {
        let n = phonenumber::parse(None, &self.0).ok()?;
        Some((n.code().value(), n.national().value().to_string()))
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
    let number = phonenumber::parse(None, &with_plus).ok()?;
    Some(E164(number.format().mode(Mode::E164).to_string()))
}

/// What a phone field needs to know of `country` (ISO 3166-1 alpha-2) to read a number
/// written the way people write it there. `None` for a code the numbering plan does not have.
pub fn country_plan(country: &str) -> Option<PhoneCountry> {
    let id = country.trim().to_ascii_uppercase();
    let meta = phonenumber::metadata::DATABASE.by_id(id.as_str())?;
    let mobile = meta.descriptors().mobile()?;
    let example = mobile.example().and_then(|e| {
        let region = id.parse::<country::Id>().ok()?;
        let n = phonenumber::parse(Some(region), e).ok()?;
        Some(n.format().mode(Mode::National).to_string())
    });
    let formats = meta
        .formats()
        .iter()
        .map(|f| NumberFormat {
            pattern: compact(f.pattern().as_str()),
            format: f.format().to_owned(),
            leading_digits: f.leading_digits().last().map(|r| compact(r.as_str())),
        })
        .collect();
    Some(PhoneCountry {
        country: id,
        dial_code: meta.country_code(),
        national_prefix: meta.national_prefix().map(str::to_owned),
        example,
        mobile_lengths: mobile.possible_length().to_vec(),
        mobile_pattern: compact(mobile.national_number().as_str()),
        formats,
    })
}

/// libphonenumber lays its patterns out over lines (its engine ignores the whitespace); a
/// browser's `RegExp` would not, so the plan carries them without it.
fn compact(pattern: &str) -> String {
    pattern.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The countries a site accepts with their calling codes, in its order; every country, by
/// code, when it accepts all (`allowed` empty). A picker needs no more until one is chosen.
pub fn dial_codes(allowed: &[String]) -> Vec<DialCode> {
    let db = &phonenumber::metadata::DATABASE;
    let code = |id: &str| {
        let meta = db.by_id(id)?;
        Some(DialCode {
            country: meta.id().to_owned(),
            dial_code: meta.country_code(),
        })
    };
    if allowed.is_empty() {
        let mut all: Vec<DialCode> = db
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
        assert_eq!(gb.mobile_lengths, vec![10]);
        let example = gb.example.clone().unwrap();
        assert!(example.starts_with("07"), "{example}");
        // The example is a mobile number the engine itself accepts.
        assert!(normalise(&example, Some("GB")).is_ok());
        assert!(
            gb.mobile_pattern.starts_with("7(?:"),
            "{}",
            gb.mobile_pattern
        );
        let patterns = gb
            .formats
            .iter()
            .flat_map(|f| [Some(&f.pattern), f.leading_digits.as_ref()]);
        for p in patterns.flatten().chain([&gb.mobile_pattern]) {
            assert!(
                !p.chars().any(char::is_whitespace),
                "a browser reads {p:?} literally"
            );
        }
        assert!(gb.formats.iter().any(|f| f.format.contains("$1")));
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
