//! The Worker's configuration, its clock and its randomness.

use ringproof_core::admin::Deployment;
use ringproof_core::carriers::{self, InboundNumber};
use ringproof_core::providers::routes::Routes;
use ringproof_core::providers::{mcn, phone_confirm, telesign, twilio, Config};
use ringproof_core::session::Policy;
use ringproof_core::{ApiError, Randomness, Timestamp};
use std::cell::{Cell, OnceCell, RefCell};
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

/// Secrets without which no request can be served safely.
const REQUIRED: [&str; 2] = ["TOKEN_KEY", "SITE_SECRET_KEY"];

/// The required secrets this deployment lacks. Checked before every request (a few lookups in
/// the environment), so a deployment missing one says which on its first request rather than
/// answering 500 somewhere later.
pub fn missing_secrets(env: &Env) -> Vec<&'static str> {
    // Once all are there, they stay for the isolate's life: a secret is changed by a deploy,
    // which starts new isolates.
    if COMPLETE.with(Cell::get) {
        return Vec::new();
    }
    let missing: Vec<&'static str> = REQUIRED
        .into_iter()
        .filter(|name| secret(env, name).is_err())
        .collect();
    COMPLETE.with(|c| c.set(missing.is_empty()));
    missing
}

thread_local! {
    static COMPLETE: Cell<bool> = const { Cell::new(false) };
    static DEPLOYMENT: OnceCell<Deployment> = const { OnceCell::new() };
    static KEYS: RefCell<Vec<(&'static str, Vec<u8>)>> = const { RefCell::new(Vec::new()) };
}

/// Local development (`cargo xtask dev` and the tests) may call back to loopback addresses.
/// Read once per isolate: every request asks.
pub fn deployment(env: &Env) -> Deployment {
    DEPLOYMENT.with(|d| {
        *d.get_or_init(|| match optional(env, "LOCAL_DEVELOPMENT").as_deref() {
            Some("true") => Deployment::LocalDevelopment,
            _ => Deployment::Production,
        })
    })
}

/// The key that signs verification tokens.
pub fn token_key(env: &Env) -> Result<Vec<u8>, ApiError> {
    key(env, "TOKEN_KEY")
}

/// The key site secrets are derived from (see `ringproof_core::secret`). Changing it changes
/// every site's secret: rotate each site's secret after.
pub fn site_secret_key(env: &Env) -> Result<Vec<u8>, ApiError> {
    key(env, "SITE_SECRET_KEY")
}

/// A required key, read from the environment once per isolate (as [`missing_secrets`] is
/// sure of them once found): most requests and every status read need one.
fn key(env: &Env, name: &'static str) -> Result<Vec<u8>, ApiError> {
    if let Some(k) = KEYS.with(|keys| {
        let keys = keys.borrow();
        keys.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| k.clone())
    }) {
        return Ok(k);
    }
    let k = secret(env, name)?.into_bytes();
    KEYS.with(|keys| keys.borrow_mut().push((name, k.clone())));
    Ok(k)
}

/// Waits between callback attempts; `CALLBACK_RETRY_SECS` shortens them for tests.
pub fn callback_schedule(env: &Env) -> Vec<u64> {
    ringproof_core::callback::schedule(optional(env, "CALLBACK_RETRY_SECS").as_deref())
}

/// How long a site's callback URL may take to answer: `CALLBACK_TIMEOUT_SECS` shortens
/// `callback::TIMEOUT_SECS` for tests.
pub fn callback_timeout(env: &Env) -> std::time::Duration {
    let configured = optional(env, "CALLBACK_TIMEOUT_SECS");
    std::time::Duration::from_secs(ringproof_core::callback::timeout_secs(
        configured.as_deref(),
    ))
}

/// The sandbox provider answers only where the configuration switches it on: the local
/// development configuration does, `wrangler.toml` (production) does not.
pub fn sandbox_enabled(env: &Env) -> bool {
    env.var("SANDBOX")
        .map(|v| v.to_string() == "true")
        .unwrap_or(false)
}

/// Codes are hashed under the token key; `ringproof_core::code` separates the two uses.
pub fn code_key(env: &Env) -> Result<Vec<u8>, ApiError> {
    token_key(env)
}

/// `RESEND_COOLDOWN_SECS` and `TOKEN_TTL_SECS` shorten the cool-down and the token's life for
/// tests; production keeps the defaults.
pub fn policy(env: &Env) -> Policy {
    Policy::from_vars(|name| optional(env, name))
}

/// A provider is configured when its base URL (a variable) and its credentials (secrets) are
/// all present; a channel whose provider is not fails with `provider_misconfigured`.
pub fn providers(env: &Env) -> Config {
    let get = |name: &str| optional(env, name);
    Config {
        mcn: (|| {
            Some(mcn::Credentials {
                base_url: get("MCN_BASE_URL")?,
                token: get("MCN_TOKEN")?,
            })
        })(),
        telesign: (|| {
            Some(telesign::Credentials {
                base_url: get("TELESIGN_BASE_URL")?,
                customer_id: get("TELESIGN_CUSTOMER_ID")?,
                api_key: get("TELESIGN_API_KEY")?,
            })
        })(),
        phone_confirm: (|| {
            Some(phone_confirm::Credentials {
                base_url: get("PHONE_CONFIRM_BASE_URL")?,
                api_key: get("PHONE_CONFIRM_API_KEY")?,
                domain: get("PHONE_CONFIRM_DOMAIN")?,
            })
        })(),
        twilio_messaging: twilio(env, "TWILIO_FROM").map(twilio::Messaging),
        twilio_voice: twilio(env, "TWILIO_VOICE_FROM")
            .or_else(|| twilio(env, "TWILIO_FROM").filter(twilio::Credentials::places_calls))
            .map(twilio::Voice),
    }
}

/// Twilio's account, sending from the number (or Messaging Service) in `from_var`.
fn twilio(env: &Env, from_var: &str) -> Option<twilio::Credentials> {
    let get = |name: &str| optional(env, name);
    Some(twilio::Credentials {
        base_url: get("TWILIO_BASE_URL").unwrap_or_else(|| twilio::DEFAULT_BASE_URL.to_owned()),
        account_sid: get("TWILIO_ACCOUNT_SID")?,
        auth_token: get("TWILIO_AUTH_TOKEN")?,
        from: get(from_var)?,
    })
}

/// The operator's `PROVIDER_ROUTES`: a list that does not read is logged, and the default
/// order serves until it is fixed.
pub fn provider_routes(env: &Env) -> Routes {
    let given = optional(env, "PROVIDER_ROUTES");
    Routes::parse(given.as_deref()).unwrap_or_else(|e| {
        worker::console_error!("{e} (operator action needed); the default order is used");
        Routes::default()
    })
}

/// A failing provider's first cool-down (`PROVIDER_COOL_DOWN_SECS`, which tests shorten).
pub fn provider_cool_down(env: &Env) -> u64 {
    ringproof_core::providers::health::cool_down_from_var(
        optional(env, "PROVIDER_COOL_DOWN_SECS").as_deref(),
    )
}

/// The deployment's missed-call numbers and their carriers (`INBOUND_NUMBERS`). An entry that
/// does not read is logged and left out: no call to it is believed until the operator fixes it.
pub fn inbound_numbers(env: &Env) -> Vec<InboundNumber> {
    let list = optional(env, "INBOUND_NUMBERS").unwrap_or_default();
    let (numbers, problems) = carriers::parse_inbound_numbers(&list);
    for p in problems {
        worker::console_error!("INBOUND_NUMBERS: {p} (operator action needed)");
    }
    numbers
}

/// Where Telnyx's call commands go, when the deployment has its API key.
pub fn telnyx_api(env: &Env) -> Option<carriers::telnyx::Api> {
    Some(carriers::telnyx::Api {
        base_url: optional(env, "TELNYX_BASE_URL")
            .unwrap_or_else(|| carriers::telnyx::DEFAULT_BASE_URL.to_owned()),
        api_key: optional(env, "TELNYX_API_KEY")?,
    })
}

fn optional(env: &Env, name: &str) -> Option<String> {
    secret(env, name).ok()
}
