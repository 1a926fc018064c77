//! Why an attempt failed, in words a visitor understands and with a code a program can rely on.

use ringproof_api::ErrorDetail;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// Timed out, could not connect, or answered 5xx.
    ProviderUnavailable,
    /// Refused the request (4xx), or answered something we could not read.
    ProviderError,
    /// Our credentials are missing or were refused: the operator must fix the deployment.
    ProviderMisconfigured,
    /// Phone Confirm's 503: the configured domain is not one of the account's trusted domains.
    ProviderDomainUnauthorized,
    /// MCN's q931 41: the account could not pay for the call. Ours, not the visitor's.
    ProviderBilling,
    LineBusy,
    /// MCN's q931 31: the visitor's operator rejected the call.
    CallRejected,
    NumberUnavailable,
    SmsUndelivered,
    TooManyAttempts,
    /// The number has been sent as many codes as the site allows in an hour.
    NumberRateLimited,
    /// This client (IP address) caused as many paid sends as the site allows in an hour.
    ClientRateLimited,
    /// The site sent as many codes as it allows in an hour or a day.
    SiteRateLimited,
    /// A burst of sends to this number's range: the range is blocked for a while.
    RangeBlocked,
    /// What providers reported charging the site today reached its daily cap.
    SpendCapReached,
    /// Every number the visitor could be asked to call waits for another verification of their
    /// number: the site's other ways are offered at once.
    NoFreeLine,
}

impl FailureReason {
    pub fn code(self) -> &'static str {
        match self {
            FailureReason::ProviderUnavailable => "provider_unavailable",
            FailureReason::ProviderError => "provider_error",
            FailureReason::ProviderMisconfigured => "provider_misconfigured",
            FailureReason::ProviderDomainUnauthorized => "provider_domain_unauthorized",
            FailureReason::ProviderBilling => "provider_billing",
            FailureReason::LineBusy => "line_busy",
            FailureReason::CallRejected => "call_rejected",
            FailureReason::NumberUnavailable => "number_unavailable",
            FailureReason::SmsUndelivered => "sms_undelivered",
            FailureReason::TooManyAttempts => "too_many_attempts",
            FailureReason::NumberRateLimited => "number_rate_limited",
            FailureReason::ClientRateLimited => "client_rate_limited",
            FailureReason::SiteRateLimited => "site_rate_limited",
            FailureReason::RangeBlocked => "range_blocked",
            FailureReason::SpendCapReached => "spend_cap_reached",
            FailureReason::NoFreeLine => "no_free_line",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            FailureReason::ProviderUnavailable => {
                "The service that places this call or sends this code did not respond. Please try another way."
            }
            FailureReason::ProviderError => {
                "The service that places this call or sends this code could not do it. Please try another way."
            }
            FailureReason::ProviderMisconfigured | FailureReason::ProviderDomainUnauthorized => {
                "This way of verifying is not set up correctly on our side. Please try another way."
            }
            FailureReason::ProviderBilling => {
                "The call could not be placed because of a problem on our side, not yours. Please try another way."
            }
            FailureReason::LineBusy => {
                "Your line was busy, so the call did not get through. Please try again or try another way."
            }
            FailureReason::CallRejected => {
                "Your mobile operator rejected the call. Please try another way."
            }
            FailureReason::NumberUnavailable => {
                "We could not reach your number. Check it, or try another way."
            }
            FailureReason::SmsUndelivered => {
                "The text message could not be delivered to your phone. Please try another way."
            }
            FailureReason::TooManyAttempts => {
                "Too many wrong codes. Please try another way."
            }
            FailureReason::NumberRateLimited => {
                "Too many codes were sent to this number recently. Please try another way, or try again later."
            }
            FailureReason::ClientRateLimited => {
                "Too many codes were asked for from your connection recently. Please try another way, or try again later."
            }
            FailureReason::SiteRateLimited | FailureReason::SpendCapReached => {
                "This site cannot send more codes right now. Please try another way, or try again later."
            }
            FailureReason::RangeBlocked => {
                "Codes to numbers like yours are paused for a while. Please try another way, or try again later."
            }
            FailureReason::NoFreeLine => {
                "Every number we could ask you to call is busy with another check of your number. Please choose another way."
            }
        }
    }

    /// Failures that are ours to fix are logged for the operator.
    pub fn is_operator_fault(self) -> bool {
        matches!(
            self,
            FailureReason::ProviderMisconfigured
                | FailureReason::ProviderDomainUnauthorized
                | FailureReason::ProviderBilling
        )
    }

    pub fn detail(self) -> ErrorDetail {
        ErrorDetail {
            code: self.code().to_owned(),
            message: self.message().to_owned(),
            retry_after: None,
            reason: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_serialised_names() {
        for r in [
            FailureReason::ProviderUnavailable,
            FailureReason::ProviderDomainUnauthorized,
            FailureReason::LineBusy,
            FailureReason::TooManyAttempts,
        ] {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.code())
            );
        }
    }

    #[test]
    fn billing_does_not_blame_the_visitor() {
        let m = FailureReason::ProviderBilling.message();
        assert!(m.contains("not yours"), "{m}");
        assert!(FailureReason::ProviderBilling.is_operator_fault());
        assert!(!FailureReason::LineBusy.is_operator_fault());
    }
}
