//! The proof of work the edge asks for before a paid send (`ringproof_core::pow`, ALTCHA's
//! model): fetched, solved here in slices so the page stays responsive, sent as `proof`.

use crate::api::{self, network_error, Edge};
use crate::wire;
use ringproof_api::{paths, ErrorDetail, PowChallenge};
use sha2::{Digest, Sha256};
use wasm_bindgen_futures::JsFuture;

/// Numbers tried between two yields to the page's event loop.
const SLICE: u64 = 20_000;

/// A solved challenge of `site_key` (for `verification`'s resend or switch, when given),
/// base64 JSON as the edge takes it.
pub async fn solve(
    edge: &Edge,
    site_key: &str,
    verification: Option<&str>,
) -> Result<String, ErrorDetail> {
    let key = String::from(js_sys::encode_uri_component(site_key));
    let mut url = format!("{}{}", edge.base, paths::challenge(&key));
    if let Some(id) = verification {
        // Ids are URL-safe.
        url.push_str("&verification=");
        url.push_str(id);
    }
    let c = api::get(edge, &url, crate::read::challenge).await?;
    let target = decode_hex(&c.challenge).ok_or_else(network_error)?;
    let mut from = 0u64;
    while from <= c.maxnumber {
        let to = (from + SLICE).min(c.maxnumber.saturating_add(1));
        if let Some(number) = (from..to).find(|n| hash(&c.salt, *n)[..] == target[..]) {
            return encode(&c, number);
        }
        from = to;
        yield_to_page().await;
        if edge.stopped() {
            return Err(network_error());
        }
    }
    Err(network_error())
}

fn hash(salt: &str, n: u64) -> [u8; 32] {
    Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update(n.to_string().as_bytes())
        .finalize()
        .into()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// A `PowSolution`: the challenge's fields with the number found.
fn encode(c: &PowChallenge, number: u64) -> Result<String, ErrorDetail> {
    let solution = wire::object(&[
        ("algorithm", Some(&c.algorithm)),
        ("challenge", Some(&c.challenge)),
        ("salt", Some(&c.salt)),
        ("signature", Some(&c.signature)),
    ]);
    let _ = js_sys::Reflect::set(&solution, &"number".into(), &(number as f64).into());
    let json = wire::stringify(&solution).ok_or_else(network_error)?;
    let window = web_sys::window().ok_or_else(network_error)?;
    window.btoa(&json).map_err(|_| network_error())
}

async fn yield_to_page() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(&resolve);
        }
    });
    let _ = JsFuture::from(promise).await;
}
