//! Cloudflare Turnstile's server-side check, for sites that put a Turnstile widget in the same
//! form: the edge sends the page's single-use token to siteverify with the site's Turnstile
//! secret before a verification starts. Built and read here; the Worker sends the bytes.

use crate::providers::{Answer, Outgoing};
use serde::Deserialize;

/// Turnstile's siteverify endpoint; `TURNSTILE_SITEVERIFY_URL` replaces it in tests.
pub const SITEVERIFY_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/// Why a token did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Turnstile said no: its `error-codes` (`invalid-input-response`, `timeout-or-duplicate`…).
    Rejected(Vec<String>),
    /// A token solved on another host than the page that sent it.
    WrongHostname(String),
    /// Not Turnstile's answer format.
    Unreadable,
    /// Turnstile itself failed (a 5xx): nothing is known of the token.
    Unavailable,
}

impl Refusal {
    /// What the page is told: Turnstile's own failure is not the visitor's.
    pub fn error(&self) -> crate::ApiError {
        match self {
            Refusal::Unavailable => crate::ApiError::TurnstileUnavailable,
            _ => crate::ApiError::TurnstileFailed,
        }
    }
}

/// How long siteverify may take before the start is refused as `turnstile_unavailable`.
pub const DEADLINE_SECS: u64 = 5;

/// Turnstile's tokens are at most this long; a longer one is not worth sending.
pub const TOKEN_MAX: usize = 2048;

/// The token a page presented, if it is one worth sending to siteverify.
pub fn presented(token: Option<&str>) -> Option<&str> {
    token.filter(|t| !t.is_empty() && t.len() <= TOKEN_MAX)
}

#[derive(Deserialize)]
struct Verdict {
    success: bool,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default, rename = "error-codes")]
    error_codes: Vec<String>,
}

/// The form-encoded POST Turnstile documents: `secret`, `response`, `remoteip` and an
/// `idempotency_key`, so a retried request cannot spend the token twice.
/// `client_ip` goes as `remoteip` only when it is an address (a local edge may know none).
pub fn siteverify(
    url: &str,
    secret: &str,
    token: &str,
    client_ip: &str,
    rng: &mut impl crate::Randomness,
) -> Outgoing {
    let idempotency_key = rng.token(16);
    let idempotency_key = idempotency_key.as_str();
    let mut fields = vec![("secret", secret), ("response", token)];
    if client_ip.parse::<std::net::IpAddr>().is_ok() {
        fields.push(("remoteip", client_ip));
    }
    fields.push(("idempotency_key", idempotency_key));
    Outgoing {
        method: "POST",
        url: url.to_owned(),
        headers: vec![(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: Some(serde_urlencoded::to_string(&fields).unwrap_or_default()),
    }
}

/// The host a page at `page_origin` is on, which Turnstile's answer must name.
pub fn host_of(page_origin: &str) -> String {
    crate::origin::Origin::parse(page_origin)
        .map(|o| o.host().to_owned())
        .unwrap_or_default()
}

/// Reads siteverify's answer for a page on `host`.
pub fn read(answer: &Answer, host: &str) -> Result<(), Refusal> {
    if answer.status >= 500 {
        return Err(Refusal::Unavailable);
    }
    let v: Verdict = serde_json::from_str(&answer.body).map_err(|_| Refusal::Unreadable)?;
    if !v.success {
        return Err(Refusal::Rejected(v.error_codes));
    }
    match v.hostname {
        Some(h) if h.eq_ignore_ascii_case(host) => Ok(()),
        other => Err(Refusal::WrongHostname(other.unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Answer {
        Answer {
            status: 200,
            body: body.into(),
        }
    }

    #[test]
    fn turnstiles_own_failure_is_not_the_visitors() {
        let down = Answer {
            status: 503,
            body: String::new(),
        };
        assert_eq!(read(&down, "a.example"), Err(Refusal::Unavailable));
        assert_eq!(
            Refusal::Unavailable.error(),
            crate::ApiError::TurnstileUnavailable
        );
        assert_eq!(
            Refusal::Rejected(vec![]).error(),
            crate::ApiError::TurnstileFailed
        );
        assert_eq!(presented(Some("t")), Some("t"));
        assert_eq!(presented(Some("")), None);
        assert_eq!(presented(Some(&"t".repeat(TOKEN_MAX + 1))), None);
        assert_eq!(presented(None), None);
    }

    #[test]
    fn the_request_is_turnstiles_form() {
        use crate::random::testing::Seeded;
        use crate::Randomness;
        let key = Seeded(1).token(16);
        let out = siteverify(
            SITEVERIFY_URL,
            "0x4AAA",
            "tok",
            "203.0.113.1",
            &mut Seeded(1),
        );
        assert_eq!(out.method, "POST");
        assert_eq!(
            out.body,
            Some(format!(
                "secret=0x4AAA&response=tok&remoteip=203.0.113.1&idempotency_key={key}"
            ))
        );
        // No address known: no remoteip, rather than a word Turnstile would refuse.
        let out = siteverify(SITEVERIFY_URL, "0x4AAA", "tok", "unknown", &mut Seeded(1));
        assert_eq!(
            out.body,
            Some(format!("secret=0x4AAA&response=tok&idempotency_key={key}"))
        );
        let again = siteverify(SITEVERIFY_URL, "0x4AAA", "tok", "unknown", &mut Seeded(2));
        assert_ne!(again.body, out.body, "each call its own idempotency key");
        assert_eq!(host_of("https://shop.example:8443"), "shop.example");
        assert_eq!(host_of("not an origin"), "");
    }

    #[test]
    fn verdicts_as_turnstile_documents_them() {
        let ok = r#"{"success":true,"challenge_ts":"2026-12-01T10:00:00.000Z","hostname":"shop.example","error-codes":[],"action":"","cdata":""}"#;
        assert_eq!(read(&answer(ok), "shop.example"), Ok(()));
        assert_eq!(
            read(&answer(ok), "evil.example"),
            Err(Refusal::WrongHostname("shop.example".into()))
        );
        let spent = r#"{"success":false,"error-codes":["timeout-or-duplicate"]}"#;
        assert_eq!(
            read(&answer(spent), "shop.example"),
            Err(Refusal::Rejected(vec!["timeout-or-duplicate".into()]))
        );
        assert_eq!(read(&answer("<html>"), "x"), Err(Refusal::Unreadable));
    }
}
