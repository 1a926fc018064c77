//! OneRing's API (`shared/seeds/onering-missed-call.txt`): its refusals and how it writes
//! numbers. The edge's `routes/onering.rs` speaks it over HTTP.

use crate::error::ApiError;

/// The reasons a OneRing request can fail with, as `Failed#<reason>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    MissingParameter,
    InvalidApiKey,
    DomainNotAllowed,
    InvalidMobileNumber,
    CountryNotAllowed,
    DuplicateClientTransactionId,
    ChannelNotAvailable,
    /// Ours: a page's request carried no solved challenge (`proof`), or a spent one.
    ProofRequired,
    /// Ours: the site checks Turnstile and the page's token was missing or refused.
    TurnstileFailed,
    ServiceUnavailable,
}

impl Refusal {
    pub fn name(self) -> &'static str {
        match self {
            Refusal::MissingParameter => "MissingParameter",
            Refusal::InvalidApiKey => "InvalidApiKey",
            Refusal::DomainNotAllowed => "DomainNotAllowed",
            Refusal::InvalidMobileNumber => "InvalidMobileNumber",
            Refusal::CountryNotAllowed => "CountryNotAllowed",
            Refusal::DuplicateClientTransactionId => "DuplicateClientTransactionId",
            Refusal::ChannelNotAvailable => "ChannelNotAvailable",
            Refusal::ProofRequired => "ProofRequired",
            Refusal::TurnstileFailed => "TurnstileFailed",
            Refusal::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// OneRing's `Message`: `Failed#<reason>`.
    pub fn message(self) -> String {
        format!("Failed#{}", self.name())
    }

    /// How an error of our own API reads in OneRing's. Anything it has no name for is
    /// "try again later": busy lines and start limits pass, and our own faults are logged.
    pub fn from_error(e: &ApiError) -> Self {
        match e {
            ApiError::InvalidPhone(_) => Refusal::InvalidMobileNumber,
            ApiError::CountryNotAllowed => Refusal::CountryNotAllowed,
            ApiError::DuplicateTransaction => Refusal::DuplicateClientTransactionId,
            ApiError::ChannelNotAvailable(_) => Refusal::ChannelNotAvailable,
            ApiError::OriginNotAllowed => Refusal::DomainNotAllowed,
            ApiError::ProofRequired | ApiError::ProofInvalid => Refusal::ProofRequired,
            ApiError::TurnstileRequired | ApiError::TurnstileFailed => Refusal::TurnstileFailed,
            _ => Refusal::ServiceUnavailable,
        }
    }

    /// Whether a page should be able to read this refusal: every one but those that say the
    /// page, or its credentials, are not the site's.
    pub fn readable_by_page(self) -> bool {
        !matches!(
            self,
            Refusal::DomainNotAllowed | Refusal::InvalidApiKey | Refusal::MissingParameter
        )
    }
}

/// A `MobileNumber` as OneRing writes it: national, in the site's first country; a site open
/// to every country gets its numbers with their country code and no `+`, as OneRing's
/// callbacks write them. Answers the number to read and the country to read it in.
pub fn mobile_number<'a>(
    mobile: &str,
    allowed_countries: &'a [String],
) -> (String, Option<&'a str>) {
    let country = allowed_countries.first().map(String::as_str);
    let phone = match country {
        None if mobile.bytes().all(|b| b.is_ascii_digit()) => format!("+{mobile}"),
        _ => mobile.to_owned(),
    };
    (phone, country)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringproof_api::Channel;

    #[test]
    fn errors_map_to_the_seeds_reasons() {
        let cases = [
            (
                ApiError::InvalidPhone(crate::phone::PhoneProblem::NotANumber),
                "Failed#InvalidMobileNumber",
            ),
            (ApiError::CountryNotAllowed, "Failed#CountryNotAllowed"),
            (
                ApiError::DuplicateTransaction,
                "Failed#DuplicateClientTransactionId",
            ),
            (
                ApiError::ChannelNotAvailable(Channel::MissedCall),
                "Failed#ChannelNotAvailable",
            ),
            (ApiError::LinesBusy(3), "Failed#ServiceUnavailable"),
            (ApiError::Internal("kv".into()), "Failed#ServiceUnavailable"),
        ];
        for (e, message) in cases {
            assert_eq!(Refusal::from_error(&e).message(), message, "{e:?}");
        }
        assert!(!Refusal::DomainNotAllowed.readable_by_page());
        assert!(Refusal::CountryNotAllowed.readable_by_page());
    }

    #[test]
    fn numbers_are_national_unless_the_site_takes_every_country() {
        let gb = vec!["GB".to_owned()];
        assert_eq!(
            mobile_number("07400123456", &gb),
            ("07400123456".into(), Some("GB"))
        );
        assert_eq!(
            mobile_number("447400123456", &[]),
            ("+447400123456".into(), None)
        );
        assert_eq!(mobile_number("+44 7400", &[]), ("+44 7400".into(), None));
    }
}
