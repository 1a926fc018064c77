//! The deployment's settings: every secret and variable the edge reads, who chooses it, and what
//! it is for. `cargo xtask deploy` works from this list alone (it generates what nobody has to
//! choose, reads the rest from the operator's environment, and never carries a local-only one to
//! Cloudflare); a test in xtask holds it against the names the edge and core actually read.

/// Who provides a setting's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Random bytes nobody has to choose: generated on the first deploy, then never replaced,
    /// because everything signed with them (tokens, site secrets) would stop verifying.
    Generated,
    /// A provider's credential or the operator's own list: a Cloudflare secret, from the
    /// operator's environment.
    Secret,
    /// Not secret: a `[vars]` entry of `wrangler.toml`, replaced when the environment sets it.
    Var,
    /// Local development and the tests only (the sandbox, loopback callbacks, the fake
    /// Turnstile). A deployment that had one would weaken a defence, so deploy never sends it.
    LocalOnly,
}

#[derive(Debug)]
pub struct Setting {
    pub name: &'static str,
    pub source: Source,
    /// What goes without it, in a sentence an operator reads when deploy lists what is missing.
    pub purpose: &'static str,
}

const fn setting(name: &'static str, source: Source, purpose: &'static str) -> Setting {
    Setting {
        name,
        source,
        purpose,
    }
}

use Source::{Generated, LocalOnly, Secret, Var};

pub const SETTINGS: &[Setting] = &[
    setting(
        "TOKEN_KEY",
        Generated,
        "signs tokens; keys the numbers' hashes in the history",
    ),
    setting(
        "SITE_SECRET_KEY",
        Generated,
        "every site's secret derives from it",
    ),
    setting(
        "ADMIN_TOKEN",
        Generated,
        "guards the admin API and the console's operator view",
    ),
    setting(
        "OPERATOR_NUMBERS",
        Secret,
        "the operator's own numbers: their console accounts govern the deployment",
    ),
    setting("MCN_TOKEN", Secret, "flash call (MCN)"),
    setting(
        "MCN_WEBHOOK_SECRET",
        Secret,
        "flash call (MCN) delivery reports",
    ),
    setting("TELESIGN_CUSTOMER_ID", Secret, "SMS code (TeleSign)"),
    setting("TELESIGN_API_KEY", Secret, "SMS code (TeleSign)"),
    setting(
        "TELESIGN_WEBHOOK_SECRET",
        Secret,
        "SMS code (TeleSign) delivery reports",
    ),
    setting(
        "PHONE_CONFIRM_API_KEY",
        Secret,
        "voice code (Phone Confirm)",
    ),
    setting(
        "TWILIO_ACCOUNT_SID",
        Secret,
        "Twilio as the second SMS and voice provider",
    ),
    setting(
        "TWILIO_AUTH_TOKEN",
        Secret,
        "missed calls on Twilio numbers; Twilio SMS and voice",
    ),
    setting(
        "TELNYX_PUBLIC_KEY",
        Secret,
        "missed calls on Telnyx numbers",
    ),
    setting(
        "TELNYX_API_KEY",
        Secret,
        "rejecting missed calls on Telnyx numbers",
    ),
    setting("PLIVO_AUTH_TOKEN", Secret, "missed calls on Plivo numbers"),
    setting(
        "MISSED_CALL_WEBHOOK_SECRET",
        Secret,
        "missed calls through your own carrier adapter",
    ),
    setting("MCN_BASE_URL", Var, "flash call (MCN)"),
    setting("TELESIGN_BASE_URL", Var, "SMS code (TeleSign)"),
    setting("PHONE_CONFIRM_BASE_URL", Var, "voice code (Phone Confirm)"),
    setting(
        "PHONE_CONFIRM_DOMAIN",
        Var,
        "voice code (Phone Confirm): the trusted domain registered with it",
    ),
    setting("TWILIO_BASE_URL", Var, "Twilio's API (its own by default)"),
    setting("TWILIO_FROM", Var, "Twilio SMS: the sender"),
    setting("TWILIO_VOICE_FROM", Var, "Twilio voice: the caller id"),
    setting("TELNYX_BASE_URL", Var, "Telnyx's API (its own by default)"),
    setting(
        "INBOUND_NUMBERS",
        Var,
        "the missed call: the numbers that ring the edge, each with its carrier",
    ),
    setting(
        "PROVIDER_ROUTES",
        Var,
        "the order of providers per channel and country",
    ),
    setting(
        "PROVIDER_COOL_DOWN_SECS",
        Var,
        "how long a failing provider rests",
    ),
    setting(
        "PRICE_ESTIMATES",
        Var,
        "what a send is estimated to cost before the provider says",
    ),
    setting(
        "RANGE_SENDS_PER_10_MIN",
        Var,
        "codes sent to one number range in 10 minutes",
    ),
    setting(
        "SENDS_PER_NUMBER_PER_HOUR",
        Var,
        "codes sent to one number in an hour",
    ),
    setting(
        "RESEND_COOLDOWN_SECS",
        Var,
        "the wait before a code is sent again",
    ),
    setting(
        "TOKEN_TTL_SECS",
        Var,
        "how long a verification's token may be redeemed",
    ),
    setting("ATTEMPT_SECS", Var, "how long one attempt waits"),
    setting(
        "CALLBACK_RETRY_SECS",
        Var,
        "when a failed callback is tried again",
    ),
    setting(
        "CALLBACK_TIMEOUT_SECS",
        Var,
        "how long a site's callback URL may take",
    ),
    setting("SANDBOX", LocalOnly, "the demo's sandbox provider"),
    setting("SANDBOX_SITE_KEY", LocalOnly, "the demo's sandbox site"),
    setting("SANDBOX_PHONE_URL", LocalOnly, "the demo's fake phone"),
    setting(
        "LOCAL_DEVELOPMENT",
        LocalOnly,
        "callbacks to loopback addresses",
    ),
    setting(
        "TURNSTILE_SITEVERIFY_URL",
        LocalOnly,
        "the fake Turnstile of the tests",
    ),
];

pub fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

pub fn with_source(source: Source) -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().filter(move |s| s.source == source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_shaped_like_environment_variables() {
        let mut names: Vec<_> = SETTINGS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SETTINGS.len());
        for n in names {
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "{n}"
            );
        }
    }

    #[test]
    fn every_carrier_key_is_a_secret_setting() {
        for c in crate::carriers::Carrier::ALL {
            assert_eq!(find(c.key_name()).map(|s| s.source), Some(Secret), "{c:?}");
        }
    }

    #[test]
    fn the_edge_cannot_run_without_what_deploy_generates() {
        let generated: Vec<_> = with_source(Generated).map(|s| s.name).collect();
        assert_eq!(generated, ["TOKEN_KEY", "SITE_SECRET_KEY", "ADMIN_TOKEN"]);
    }
}
