//! `POST /v1/siteverify`, Turnstile's way: the site's server hands in its secret and the
//! page's token; the answer is always 200, with Turnstile's error codes when it fails.

use ringproof_api::{SiteverifyRequest, SiteverifyResponse};
use serde::{Deserialize, Serialize};

/// Why siteverify refused, by Turnstile's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SiteverifyError {
    /// Neither JSON nor a form.
    BadRequest,
    MissingInputSecret,
    InvalidInputSecret,
    MissingInputResponse,
    /// Wrong or forged token, another site's, or not verified.
    InvalidInputResponse,
    /// Spent already, or older than the token's life.
    TimeoutOrDuplicate,
}

impl SiteverifyError {
    pub fn code(self) -> &'static str {
        match self {
            SiteverifyError::BadRequest => "bad-request",
            SiteverifyError::MissingInputSecret => "missing-input-secret",
            SiteverifyError::InvalidInputSecret => "invalid-input-secret",
            SiteverifyError::MissingInputResponse => "missing-input-response",
            SiteverifyError::InvalidInputResponse => "invalid-input-response",
            SiteverifyError::TimeoutOrDuplicate => "timeout-or-duplicate",
        }
    }

    /// The answer that says so.
    pub fn answer(self) -> SiteverifyResponse {
        SiteverifyResponse {
            success: false,
            error_codes: vec![self.code().to_owned()],
            ..Default::default()
        }
    }
}

/// Reads the request, JSON or form-encoded as its `content_type` says (form unless it says
/// JSON), and refuses one without a secret. The secret is checked before the token is looked
/// at, as Turnstile does: a caller without it learns nothing about the token.
pub fn read(body: &str, content_type: Option<&str>) -> Result<SiteverifyRequest, SiteverifyError> {
    let is_json = content_type.is_some_and(|t| {
        t.trim_start()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    let input: SiteverifyRequest = if is_json {
        serde_json::from_str(body).map_err(|_| SiteverifyError::BadRequest)?
    } else {
        serde_urlencoded::from_str(body).map_err(|_| SiteverifyError::BadRequest)?
    };
    if input.secret.is_empty() {
        return Err(SiteverifyError::MissingInputSecret);
    }
    Ok(input)
}

/// The verification the token names, once the secret has been found good.
pub fn verification_of(response: &str) -> Result<&str, SiteverifyError> {
    if response.is_empty() {
        return Err(SiteverifyError::MissingInputResponse);
    }
    crate::token::verification_id(response).ok_or(SiteverifyError::InvalidInputResponse)
}

/// A test secret's answer for `response`, as Turnstile's dummy secrets answer: one always
/// fails, one always reads as spent, and one names the verification whose token it redeems.
pub fn with_test_secret(
    secret: crate::test_keys::Secret,
    response: &str,
) -> Result<&str, SiteverifyError> {
    use crate::test_keys::Secret;
    match secret {
        Secret::Fails => Err(SiteverifyError::InvalidInputResponse),
        Secret::Spent => Err(SiteverifyError::TimeoutOrDuplicate),
        Secret::Verifies => verification_of(response),
    }
}

/// Whether a test secret may redeem a token of the verification of `site_key`: a test key's
/// only, never a real site's (a real site's token is for its own secret).
pub fn test_secret_redeems(site_key: &str) -> Result<(), SiteverifyError> {
    if crate::test_keys::is_test_site(site_key) {
        Ok(())
    } else {
        Err(SiteverifyError::InvalidInputResponse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_secrets_answer_as_turnstiles_dummies_and_redeem_test_keys_only() {
        use crate::test_keys::Secret;
        let token = "whatever";
        assert_eq!(
            with_test_secret(Secret::Fails, token),
            Err(SiteverifyError::InvalidInputResponse)
        );
        assert_eq!(
            with_test_secret(Secret::Spent, token),
            Err(SiteverifyError::TimeoutOrDuplicate)
        );
        assert_eq!(
            with_test_secret(Secret::Verifies, ""),
            Err(SiteverifyError::MissingInputResponse)
        );
        assert_eq!(
            with_test_secret(Secret::Verifies, "not a token"),
            Err(SiteverifyError::InvalidInputResponse)
        );
        assert!(test_secret_redeems(crate::test_keys::SITE_MISSED_CALL).is_ok());
        assert_eq!(
            test_secret_redeems("rp_live_site"),
            Err(SiteverifyError::InvalidInputResponse)
        );
    }

    #[test]
    fn reads_json_and_forms_and_names_what_is_missing() {
        let json = Some("Application/JSON; charset=utf-8");
        let form = Some("application/x-www-form-urlencoded");
        let r = read(r#"{"secret":"s","response":"t"}"#, json).unwrap();
        assert_eq!((r.secret.as_str(), r.response.as_str()), ("s", "t"));
        let r = read("secret=s&response=t", form).unwrap();
        assert_eq!(r.response, "t");
        assert_eq!(read("secret=s&response=t", None).unwrap().secret, "s");
        assert_eq!(read("{", json), Err(SiteverifyError::BadRequest));
        assert_eq!(
            read(r#"{"secret":"s","response":"t"}"#, form),
            Err(SiteverifyError::MissingInputSecret),
            "JSON sent as a form is read as a form, which names no secret"
        );
        assert_eq!(
            read("response=t", form),
            Err(SiteverifyError::MissingInputSecret)
        );
        assert_eq!(
            verification_of(""),
            Err(SiteverifyError::MissingInputResponse)
        );
        assert_eq!(
            verification_of("not-a-token"),
            Err(SiteverifyError::InvalidInputResponse)
        );
        assert_eq!(verification_of("rp1.abc.mac"), Ok("abc"));
    }

    #[test]
    fn codes_are_turnstiles() {
        let a = SiteverifyError::TimeoutOrDuplicate.answer();
        assert!(!a.success);
        assert_eq!(a.error_codes, vec!["timeout-or-duplicate"]);
        assert_eq!(
            SiteverifyError::InvalidInputSecret.code(),
            "invalid-input-secret"
        );
    }
}
