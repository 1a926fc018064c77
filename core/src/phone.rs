//! Reading the numbers visitors type and the numbers providers report.

use crate::ApiError;
use phonenumber::{country, Mode, Type};
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
