//! The API's paths, in one place. The edge's route table matches these segments; the widget,
//! the SDK, core's views and the tests build their URLs with these functions, so a path is
//! spelled once.

/// The version every path of the public API starts with.
pub const V1: &str = "v1";
pub const VERIFICATIONS: &str = "verifications";
pub const CHALLENGE: &str = "challenge";
pub const COUNTRIES: &str = "countries";
pub const SITEVERIFY: &str = "siteverify";
pub const TRANSACTIONS: &str = "transactions";
pub const SANDBOX: &str = "sandbox";
/// The sandbox's stand-in for a carrier's report of a call.
pub const SANDBOX_MISSED_CALL: &str = "missed-call";

/// Where carriers report calls (`/v1/carriers/{carrier}`) and providers report deliveries
/// (`/v1/providers/{provider}/…`).
pub const CARRIERS: &str = "carriers";
pub const PROVIDERS: &str = "providers";
/// The providers whose webhooks the edge takes: MCN's CDR and TeleSign's delivery callback
/// (each followed by the deployment's webhook secret), and Twilio's status callback.
pub const MCN: &str = "mcn";
pub const TELESIGN: &str = "telesign";
pub const TWILIO: &str = "twilio";
pub const TWILIO_STATUS: &str = "status";

/// What follows a verification's id.
pub const NUMBER_IMAGE: &str = "number.svg";
pub const CALL_QR: &str = "call.svg";
pub const CHECK: &str = "check";
pub const RESEND: &str = "resend";
pub const SWITCH: &str = "switch";
/// A fresh token for one that expired unspent.
pub const TOKEN: &str = "token";
/// The WebSocket that pushes each change.
pub const LIVE: &str = "live";
/// The site server's log of the verification's callbacks.
pub const CALLBACKS: &str = "callbacks";

/// `/v1/verifications`: starts one.
pub fn verifications() -> String {
    format!("/{V1}/{VERIFICATIONS}")
}

/// `/v1/verifications/{id}`: its status.
pub fn verification(id: &str) -> String {
    format!("/{V1}/{VERIFICATIONS}/{id}")
}

/// `/v1/verifications/{id}/{what}`, `what` one of the constants above ([`CHECK`], [`LIVE`]…).
pub fn of_verification(id: &str, what: &str) -> String {
    format!("/{V1}/{VERIFICATIONS}/{id}/{what}")
}

/// `/v1/challenge?site_key=…`, for a site key (URL-safe by construction).
pub fn challenge(site_key: &str) -> String {
    format!("/{V1}/{CHALLENGE}?site_key={site_key}")
}

/// `/v1/countries?site_key=…`: the countries a site accepts.
pub fn countries(site_key: &str) -> String {
    format!("/{V1}/{COUNTRIES}?site_key={site_key}")
}

/// `/v1/countries/{country}?site_key=…`: one country's numbering plan.
pub fn country(country: &str, site_key: &str) -> String {
    format!("/{V1}/{COUNTRIES}/{country}?site_key={site_key}")
}

/// `/v1/siteverify`.
pub fn siteverify() -> String {
    format!("/{V1}/{SITEVERIFY}")
}

/// `/v1/transactions/{client transaction id}`.
pub fn transaction(client_transaction_id: &str) -> String {
    format!("/{V1}/{TRANSACTIONS}/{client_transaction_id}")
}

/// `/v1/carriers/{carrier}`: a carrier's incoming-call webhook.
pub fn carrier(name: &str) -> String {
    format!("/{V1}/{CARRIERS}/{name}")
}

/// `/v1/providers/{provider}/{rest}`: a provider's delivery webhook.
pub fn provider(name: &str, rest: &str) -> String {
    format!("/{V1}/{PROVIDERS}/{name}/{rest}")
}

/// `/v1/sandbox/missed-call`.
pub fn sandbox_missed_call() -> String {
    format!("/{V1}/{SANDBOX}/{SANDBOX_MISSED_CALL}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_the_documentation_writes_them() {
        assert_eq!(verifications(), "/v1/verifications");
        assert_eq!(verification("abc"), "/v1/verifications/abc");
        assert_eq!(of_verification("abc", CHECK), "/v1/verifications/abc/check");
        assert_eq!(
            of_verification("abc", NUMBER_IMAGE),
            "/v1/verifications/abc/number.svg"
        );
        assert_eq!(challenge("k"), "/v1/challenge?site_key=k");
        assert_eq!(country("GB", "k"), "/v1/countries/GB?site_key=k");
        assert_eq!(siteverify(), "/v1/siteverify");
        assert_eq!(transaction("t-1"), "/v1/transactions/t-1");
        assert_eq!(sandbox_missed_call(), "/v1/sandbox/missed-call");
        assert_eq!(carrier("twilio"), "/v1/carriers/twilio");
        assert_eq!(provider("twilio", "status"), "/v1/providers/twilio/status");
    }
}
