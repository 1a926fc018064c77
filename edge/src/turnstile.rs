//! Cloudflare Turnstile's siteverify, for sites with a Turnstile secret (see
//! `ringproof_core::turnstile`): checked before a verification starts, failing closed.

use crate::env::{secret, site_secret_key, CryptoRng};
use crate::error::Outcome;
use crate::outbound::{self, Redirects};
use ringproof_core::site::Site;
use ringproof_core::turnstile::{self, SITEVERIFY_URL};
use ringproof_core::ApiError;
use std::time::Duration;
use worker::Env;

/// Passes when the site has no Turnstile secret, or Turnstile accepts `token` as solved on
/// the page's own host.
pub async fn check(
    env: &Env,
    site: &Site,
    token: Option<&str>,
    page_origin: &str,
    client_ip: &str,
) -> Outcome<()> {
    let Some(sealed) = &site.turnstile_secret else {
        return Ok(());
    };
    let site_secret = ringproof_core::secret::open(&site_secret_key(env)?, &site.site_key, sealed)
        .ok_or_else(|| {
            ApiError::Internal(format!(
                "site {}: its Turnstile secret does not open",
                site.site_key
            ))
        })?;
    let token = turnstile::presented(token).ok_or(ApiError::TurnstileRequired)?;
    let host = turnstile::host_of(page_origin);
    let url = secret(env, "TURNSTILE_SITEVERIFY_URL").unwrap_or_else(|_| SITEVERIFY_URL.into());
    let out = turnstile::siteverify(&url, &site_secret, token, client_ip, &mut CryptoRng);
    let answer = outbound::send(
        out,
        Duration::from_secs(turnstile::DEADLINE_SECS),
        Redirects::Refuse,
    )
    .await
    .map_err(|_| ApiError::TurnstileUnavailable)?;
    turnstile::read(&answer, &host).map_err(|refusal| {
        worker::console_warn!("turnstile refused for site {}: {refusal:?}", site.site_key);
        refusal.error()
    })
}
