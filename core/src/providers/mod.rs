//! The telephony providers' wire formats, as their documentation gives them
//! (`shared/seeds/`): requests are built and answers read here, without I/O; the Worker only
//! sends the bytes.

pub mod mcn;
pub mod phone_confirm;
pub mod telesign;

use crate::failure::FailureReason;

/// A request to a provider, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// What a provider told us when it accepted a send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sent {
    /// The provider's id for this call or message; its webhooks name it.
    pub reference: String,
    /// Flash call: the calling number with the code masked.
    pub caller_hint: Option<String>,
}

/// A provider's answer, as the Worker received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Why a provider's HTTP status alone means failure, if it does.
pub fn status_failure(status: u16) -> Option<FailureReason> {
    match status {
        200..=299 => None,
        401 | 403 => Some(FailureReason::ProviderMisconfigured),
        400..=499 => Some(FailureReason::ProviderError),
        _ => Some(FailureReason::ProviderUnavailable),
    }
}

/// Provider credentials and base URLs, from the deployment's secrets and variables.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub mcn: Option<mcn::Credentials>,
    pub telesign: Option<telesign::Credentials>,
    pub phone_confirm: Option<phone_confirm::Credentials>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_who_is_at_fault() {
        assert_eq!(status_failure(200), None);
        assert_eq!(status_failure(204), None);
        assert_eq!(
            status_failure(401),
            Some(FailureReason::ProviderMisconfigured)
        );
        assert_eq!(status_failure(422), Some(FailureReason::ProviderError));
        assert_eq!(
            status_failure(502),
            Some(FailureReason::ProviderUnavailable)
        );
        assert_eq!(
            status_failure(302),
            Some(FailureReason::ProviderUnavailable)
        );
    }
}
