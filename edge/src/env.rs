//! The Worker's configuration, its clock and its randomness.

use ringproof_core::{ApiError, Randomness, Timestamp};
use worker::Env;

pub fn now() -> Timestamp {
    Timestamp(worker::Date::now().as_millis())
}

/// `crypto.getRandomValues`, through getrandom's `wasm_js` backend.
pub struct CryptoRng;

impl Randomness for CryptoRng {
    fn fill(&mut self, buf: &mut [u8]) {
        // getrandom fails only when the platform has no CSPRNG, and Workers always have one:
        // going on with predictable bytes would be the real failure.
        getrandom::fill(buf).expect("crypto.getRandomValues is available in Workers");
    }
}

/// A secret the deployment must have (`wrangler secret put NAME`, or `.dev.vars` locally).
pub fn secret(env: &Env, name: &str) -> Result<String, ApiError> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::Internal(format!("secret {name} is not configured")))
}

/// The key that signs verification tokens.
pub fn token_key(env: &Env) -> Result<Vec<u8>, ApiError> {
    secret(env, "TOKEN_KEY").map(String::into_bytes)
}

/// The sandbox provider answers only where the configuration switches it on: the local
/// development configuration does, `wrangler.toml` (production) does not.
pub fn sandbox_enabled(env: &Env) -> bool {
    env.var("SANDBOX")
        .map(|v| v.to_string() == "true")
        .unwrap_or(false)
}
