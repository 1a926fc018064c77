//! Solves the edge's proof-of-work challenges as the widget does, for scenarios that drive the
//! API without a browser (and for the attacker's side of the abuse scenarios).

use crate::http;
use ringproof_api::{paths, PowChallenge};

/// Who fetches a challenge, and for what: a challenge pays only for the client that fetched it
/// and, for a resend or a switch, for its verification.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asker<'a> {
    /// Sent as `CF-Connecting-IP`, as Cloudflare would; `None` for the harness's own address.
    pub client_ip: Option<&'a str>,
    /// The verification a resend or a switch is for.
    pub verification: Option<&'a str>,
}

/// A fresh challenge of `site_key` for a start from a page at `origin`, solved; `None` when
/// the edge gives none (unknown site, foreign origin).
pub fn solved(base_url: &str, site_key: &str, origin: &str) -> Option<String> {
    solved_by(base_url, site_key, origin, Asker::default())
}

/// As [`solved`], fetched by `asker`.
pub fn solved_by(base_url: &str, site_key: &str, origin: &str, asker: Asker) -> Option<String> {
    solve(&challenge(base_url, site_key, origin, asker)?)
}

/// A challenge as the edge hands it out, unsolved.
pub fn challenge(
    base_url: &str,
    site_key: &str,
    origin: &str,
    asker: Asker,
) -> Option<PowChallenge> {
    let mut url = format!("{base_url}{}", paths::challenge(site_key));
    if let Some(id) = asker.verification {
        url.push_str(&format!("&verification={id}"));
    }
    let mut headers = vec![("Origin", origin)];
    if let Some(ip) = asker.client_ip {
        headers.push(("CF-Connecting-IP", ip));
    }
    let r = http::get_with(&url, &headers).ok()?;
    if r.status != 200 {
        return None;
    }
    serde_json::from_str(&r.body).ok()
}

/// The solution of `c`, as the widget submits it.
pub fn solve(c: &PowChallenge) -> Option<String> {
    ringproof_core::pow::solve(c).map(|s| ringproof_core::pow::encode(&s))
}
