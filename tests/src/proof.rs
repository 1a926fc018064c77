//! Solves the edge's proof-of-work challenges as the widget does, for scenarios that drive the
//! API without a browser (and for the attacker's side of the abuse scenarios).

use crate::http;
use ringproof_api::PowChallenge;

/// A fresh challenge of `site_key` for a page at `origin`, solved; `None` when the edge gives
/// none (unknown site, foreign origin).
pub fn solved(base_url: &str, site_key: &str, origin: &str) -> Option<String> {
    let url = format!("{base_url}/v1/challenge?site_key={site_key}");
    let r = http::get_with(&url, &[("Origin", origin)]).ok()?;
    if r.status != 200 {
        return None;
    }
    let c: PowChallenge = serde_json::from_str(&r.body).ok()?;
    ringproof_core::pow::solve(&c).map(|s| ringproof_core::pow::encode(&s))
}
