//! Errors a caller can cause or see, each with a stable code and an HTTP status.

use ringproof_api::{Channel, VerificationStatus};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The largest request body any endpoint reads; larger ones get 413 before they are read whole.
pub const BODY_MAX: usize = 16 * 1024;

/// Every error the public API answers with. The `code` is stable; the message is for humans.
/// It crosses between the Worker and its Durable Objects as itself (serde), so an object's
/// refusal reaches the caller unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "detail", rename_all = "snake_case")]
pub enum ApiError {
    #[error("The request body is not valid: {0}")]
    InvalidRequest(String),
    #[error("{}", .0.sentence())]
    InvalidPhone(crate::phone::PhoneProblem),
    /// The public API and the admin API alike.
    #[error("No site has this site key.")]
    UnknownSite,
    #[error("This page's origin is not allowed to use this site key.")]
    OriginNotAllowed,
    #[error("The {} channel is not available for this site.", .0.as_str())]
    ChannelNotAvailable(Channel),
    #[error("No verification has this id, or it has been deleted.")]
    VerificationNotFound,
    #[error("The credentials are missing or not valid.")]
    Unauthorized,
    #[error("Numbers from this country cannot be verified on this site.")]
    CountryNotAllowed,
    #[error("This ClientTransactionId has been used already on this site.")]
    DuplicateTransaction,
    #[error("No verification has this ClientTransactionId on this site.")]
    TransactionNotFound,
    #[error("The sandbox provider is switched off on this deployment.")]
    SandboxDisabled,
    #[error("This verification is already {}.", .0.as_str())]
    NotPending(VerificationStatus),
    #[error("This verification has expired. Please start again.")]
    Expired,
    #[error("Too many wrong codes. Please try another way or start again.")]
    TooManyAttempts,
    #[error("Please wait {0} seconds before asking again.")]
    ResendTooSoon(u64),
    #[error(
        "This verification has sent as many codes and calls as it may. Please start again later."
    )]
    TooManySends,
    #[error("This channel does not use a code: {}.", .0.as_str())]
    CodeNotExpected(Channel),
    #[error("No such endpoint.")]
    NotFound,
    #[error("This endpoint does not accept that method.")]
    MethodNotAllowed,
    #[error("Every number we can ask you to call is waiting for another verification of your number. Please try again in {0} seconds, or try another way.")]
    LinesBusy(u64),
    #[error("Codes cannot be sent to numbers from this country on this site. Please use the missed call, if offered.")]
    PaidChannelNotAllowed,
    #[error("Too many verifications were started from your connection. Please try again in {0} seconds.")]
    TooManyStarts(u64),
    #[error("Too many wrong codes were tried for this number today. Please try again in {} minutes.", .0.div_ceil(60))]
    NumberLocked(u64),
    #[error(
        "This site checks that a person is there first: the page's Turnstile token is missing."
    )]
    TurnstileRequired,
    #[error("The check that a person is there did not pass. Please complete it again.")]
    TurnstileFailed,
    #[error("The check that a person is there could not be reached. Please try again.")]
    TurnstileUnavailable,
    #[error("A client_transaction_id needs the client_transaction_signature your server makes with the site secret.")]
    TransactionUnsigned,
    #[error(
        "This needs the anti-abuse check the widget solves first. Please reload and try again."
    )]
    ProofRequired,
    #[error("The anti-abuse check was not valid, or was used already. Please try again.")]
    ProofInvalid,
    #[error("The request body is larger than {0} bytes.")]
    /// Over [`BODY_MAX`].
    BodyTooLarge(usize),
    #[error("The sandbox acts only on the sandbox site's verifications.")]
    SandboxSiteOnly,
    #[error("Too many windows are following this verification. Please close one.")]
    TooManyFollowers,
    #[error("This deployment is missing required configuration: {0}. The operator must set it (wrangler secret put).")]
    DeploymentMisconfigured(String),
    #[error("Please sign in to the console first.")]
    SignInRequired,
    #[error("This account may not offer the {} channel yet: the operator grants paid channels.", .0.as_str())]
    ChannelNotGranted(Channel),
    #[error(
        "This account may have at most {0} activities. Delete one, or ask the operator for more."
    )]
    TooManyActivities(u32),
    #[error("This account is suspended. Please contact the operator.")]
    AccountSuspended,
    #[error("The operator has suspended this activity. Please contact the operator.")]
    ActivitySuspended,
    #[error("This needs the operator's account.")]
    OperatorOnly,
    #[error("The console's history is not reachable right now. Please try again.")]
    HistoryUnavailable,
    #[error("Too many test callbacks this hour. Please try again in {} minutes.", .0.div_ceil(60))]
    TooManyTestCallbacks(u64),
    #[error("The console was asked for figures too often. Please try again in {0} seconds.")]
    HistoryRateLimited(u64),
    /// Our fault. The detail is logged, never sent to the caller.
    #[error("Something went wrong on our side. Please try again.")]
    Internal(String),
}

impl ApiError {
    /// The codes only the console's API answers (`/console/api`, in English): the widget never
    /// meets them, so its catalogs need no words for them.
    pub const CONSOLE_ONLY: [&'static str; 9] = [
        "sign_in_required",
        "channel_not_granted",
        "too_many_activities",
        "account_suspended",
        "operator_only",
        "history_unavailable",
        "too_many_test_callbacks",
        "history_rate_limited",
        "activity_suspended",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::InvalidPhone(_) => "invalid_phone",
            ApiError::UnknownSite => "unknown_site",
            ApiError::OriginNotAllowed => "origin_not_allowed",
            ApiError::ChannelNotAvailable(_) => "channel_not_available",
            ApiError::VerificationNotFound => "verification_not_found",
            ApiError::Unauthorized => "unauthorized",
            ApiError::CountryNotAllowed => "country_not_allowed",
            ApiError::DuplicateTransaction => "duplicate_transaction",
            ApiError::TransactionNotFound => "transaction_not_found",
            ApiError::SandboxDisabled => "sandbox_disabled",
            ApiError::NotPending(_) => "not_pending",
            ApiError::Expired => "expired",
            ApiError::TooManyAttempts => "too_many_attempts",
            ApiError::ResendTooSoon(_) => "resend_too_soon",
            ApiError::TooManySends => "too_many_sends",
            ApiError::CodeNotExpected(_) => "code_not_expected",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::LinesBusy(_) => "lines_busy",
            ApiError::PaidChannelNotAllowed => "paid_channel_not_allowed",
            ApiError::ProofRequired => "proof_required",
            ApiError::TurnstileRequired => "turnstile_required",
            ApiError::TurnstileFailed => "turnstile_failed",
            ApiError::TurnstileUnavailable => "turnstile_unavailable",
            ApiError::TransactionUnsigned => "transaction_id_unsigned",
            ApiError::ProofInvalid => "proof_invalid",
            ApiError::TooManyStarts(_) => "too_many_starts",
            ApiError::NumberLocked(_) => "number_locked",
            ApiError::BodyTooLarge(_) => "body_too_large",
            ApiError::SandboxSiteOnly => "sandbox_site_only",
            ApiError::TooManyFollowers => "too_many_followers",
            ApiError::DeploymentMisconfigured(_) => "deployment_misconfigured",
            ApiError::SignInRequired => "sign_in_required",
            ApiError::ChannelNotGranted(_) => "channel_not_granted",
            ApiError::TooManyActivities(_) => "too_many_activities",
            ApiError::AccountSuspended => "account_suspended",
            ApiError::ActivitySuspended => "activity_suspended",
            ApiError::OperatorOnly => "operator_only",
            ApiError::HistoryUnavailable => "history_unavailable",
            ApiError::TooManyTestCallbacks(_) => "too_many_test_callbacks",
            ApiError::HistoryRateLimited(_) => "history_rate_limited",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// A refusal by one of the defences against abuse: counted per site and day, so an
    /// operator sees what they stop (`GET /v1/admin/sites/{key}/refusals`).
    pub fn is_defence(&self) -> bool {
        matches!(
            self,
            ApiError::OriginNotAllowed
                | ApiError::LinesBusy(_)
                | ApiError::TooManyStarts(_)
                | ApiError::PaidChannelNotAllowed
                | ApiError::ProofRequired
                | ApiError::ProofInvalid
                | ApiError::NumberLocked(_)
                | ApiError::TurnstileRequired
                | ApiError::TurnstileFailed
                | ApiError::TransactionUnsigned
                | ApiError::SandboxSiteOnly
                | ApiError::TooManyFollowers
        )
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::InvalidRequest(_)
            | ApiError::InvalidPhone(_)
            | ApiError::ChannelNotAvailable(_)
            | ApiError::PaidChannelNotAllowed
            | ApiError::ProofRequired
            | ApiError::TurnstileRequired
            | ApiError::TransactionUnsigned
            | ApiError::CountryNotAllowed => 400,
            ApiError::Unauthorized | ApiError::SignInRequired => 401,
            ApiError::ChannelNotGranted(_)
            | ApiError::TooManyActivities(_)
            | ApiError::AccountSuspended
            | ApiError::ActivitySuspended
            | ApiError::OperatorOnly => 403,
            ApiError::OriginNotAllowed
            | ApiError::SandboxDisabled
            | ApiError::SandboxSiteOnly
            | ApiError::ProofInvalid
            | ApiError::TurnstileFailed => 403,
            ApiError::BodyTooLarge(_) => 413,
            ApiError::DeploymentMisconfigured(_)
            | ApiError::TurnstileUnavailable
            | ApiError::HistoryUnavailable => 503,
            ApiError::UnknownSite
            | ApiError::TransactionNotFound
            | ApiError::VerificationNotFound
            | ApiError::NotFound => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::NotPending(_)
            | ApiError::CodeNotExpected(_)
            | ApiError::DuplicateTransaction => 409,
            ApiError::Expired => 410,
            ApiError::TooManyAttempts
            | ApiError::ResendTooSoon(_)
            | ApiError::TooManySends
            | ApiError::LinesBusy(_)
            | ApiError::TooManyStarts(_)
            | ApiError::NumberLocked(_)
            | ApiError::TooManyFollowers
            | ApiError::TooManyTestCallbacks(_)
            | ApiError::HistoryRateLimited(_) => 429,
            ApiError::Internal(_) => 500,
        }
    }

    /// The body sent to the caller. Internal details stay out of it.
    pub fn body(&self) -> ringproof_api::ErrorBody {
        ringproof_api::ErrorBody {
            error: ringproof_api::ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                retry_after: match self {
                    ApiError::ResendTooSoon(secs)
                    | ApiError::LinesBusy(secs)
                    | ApiError::TooManyStarts(secs)
                    | ApiError::NumberLocked(secs)
                    | ApiError::TooManyTestCallbacks(secs)
                    | ApiError::HistoryRateLimited(secs) => Some(*secs),
                    _ => None,
                },
                reason: match self {
                    ApiError::InvalidPhone(p) => Some(p.code().to_owned()),
                    _ => None,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_the_body() {
        let e = ApiError::Internal("kv binding SITES missing".into());
        let body = serde_json::to_string(&e.body()).unwrap();
        assert!(!body.contains("SITES"), "{body}");
        assert_eq!(e.status(), 500);
    }

    #[test]
    fn waiting_errors_say_how_long() {
        let body = ApiError::ResendTooSoon(17).body();
        assert_eq!(body.error.code, "resend_too_soon");
        assert_eq!(body.error.retry_after, Some(17));
        assert_eq!(ApiError::ResendTooSoon(17).status(), 429);
        assert_eq!(ApiError::TooManyAttempts.status(), 429);
        assert_eq!(ApiError::Expired.status(), 410);
        assert_eq!(ApiError::TooManyAttempts.body().error.retry_after, None);
    }

    #[test]
    fn errors_cross_objects_as_themselves() {
        for e in [
            ApiError::ChannelNotAvailable(Channel::Sms),
            ApiError::NotPending(VerificationStatus::Verified),
            ApiError::LinesBusy(12),
            ApiError::Internal("kv down".into()),
            ApiError::UnknownSite,
        ] {
            let wire = serde_json::to_string(&e).unwrap();
            assert_eq!(
                serde_json::from_str::<ApiError>(&wire).unwrap(),
                e,
                "{wire}"
            );
        }
        assert_eq!(
            ApiError::NotPending(VerificationStatus::Verified).to_string(),
            "This verification is already verified."
        );
    }

    #[test]
    fn caller_errors_are_4xx() {
        for e in [
            ApiError::InvalidRequest("x".into()),
            ApiError::InvalidPhone(crate::phone::PhoneProblem::TooShort),
            ApiError::UnknownSite,
            ApiError::OriginNotAllowed,
            ApiError::Unauthorized,
        ] {
            assert!((400..500).contains(&e.status()), "{e:?}");
        }
    }
}
