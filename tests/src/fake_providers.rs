//! Fake telephony providers for tests and local development: one HTTP server that speaks MCN's
//! password call, TeleSign's SMS Verify and Phone Confirm's voice call as their documentation
//! (`shared/seeds/`) gives them, records every request so tests can compare the wire format
//! field by field, and fires each provider's webhooks back at the edge.
//!
//! Its TeleSign endpoint checks the `TSA` signature with its own implementation of TeleSign's
//! documented algorithm (not the edge's), so the edge's signer is checked by an independent one,
//! and that one is checked against the official SDK (see the tests).
//!
//! The demo page reads the simulated phone through a small control surface under `/__fake/`.

use crate::harness::OsRandom;
use crate::http::{self, Reply};
pub use crate::http_server::decode_form;
use crate::http_server::{read_request, write_response, ReadError, Request, Response};
use crate::watched::{self, Kind};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use ringproof_core::{Randomness, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod carriers;
mod faults;
mod mcn;
mod phone_confirm;
mod telesign;
mod turnstile;
mod twilio;
pub use carriers::{
    incoming_call, standard_signature, twilio_signature, CarrierKeys, CarrierRequest,
};
use faults::*;
use mcn::*;
use phone_confirm::*;
pub use telesign::callback_signature;
use telesign::*;
pub use twilio::TwilioStatus;
use twilio::*;

const MCN_PASSWORD_CALL: &str = "/mcn/api/protected/api/auth/passwordcall";
const TELESIGN_PREFIX: &str = "/telesign";
const TELESIGN_SMS_VERIFY: &str = "/telesign/v1/verify/sms";
const PHONE_CONFIRM_CALL: &str = "/phoneconfirm/api/call";
const PHONE_CONFIRM_VERIFY: &str = "/phoneconfirm/api/verify";
/// The account part of every `verification_uuid`, as in the seed's example.
const MCN_ACCOUNT: &str = "117793";
/// Flash calls come from the seed's example range; the last four digits are the code.
const MCN_CALLER_PREFIX: &str = "42122220";
const TSA_AUTH_METHOD: &str = "HMAC-SHA256";
const TSA_DATE_TOLERANCE_SECS: u64 = 15 * 60;
/// Longer than any timeout the edge puts on a provider, so the edge's gives up first.
const HANG_FOR: Duration = Duration::from_secs(60);
/// A client that stops sending halfway must not hold a thread for ever.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The demo polls the control surface every 1.5 s for as long as it runs: keep the newest only.
const MAX_RECORDED: usize = 10_000;
const AUTO_WEBHOOK_DELAY: Duration = Duration::from_secs(1);
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Who a request was for, from its path prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Mcn,
    TeleSign,
    #[serde(alias = "phone_confirm")]
    PhoneConfirm,
    /// Cloudflare Turnstile's siteverify.
    Turnstile,
    /// Telnyx's Call Control API, which the edge tells to reject a parked call.
    Telnyx,
    /// Twilio's Messaging and Voice APIs, as a code provider.
    Twilio,
    /// The fake's own `/__fake/` surface.
    Control,
    Unknown,
}

impl Provider {
    fn of_path(path: &str) -> Self {
        match path.split('/').nth(1) {
            Some("mcn") => Provider::Mcn,
            Some("telesign") => Provider::TeleSign,
            Some("phoneconfirm") => Provider::PhoneConfirm,
            Some("turnstile") => Provider::Turnstile,
            Some("telnyx") => Provider::Telnyx,
            Some("twilio") => Provider::Twilio,
            Some("__fake") => Provider::Control,
            _ => Provider::Unknown,
        }
    }

    fn is_telephony(self) -> bool {
        matches!(
            self,
            Provider::Mcn | Provider::TeleSign | Provider::PhoneConfirm | Provider::Twilio
        )
    }
}

/// How a provider behaves, to provoke each failure the edge must survive. Requests are
/// recorded whatever the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Ok,
    /// Reads the request and never answers (for a minute, then hangs up).
    Hang,
    /// 500 with an HTML page, as a load balancer in trouble answers.
    ServerError,
    /// 400 with an error body in the provider's own format.
    ClientError,
    /// 200 with a body that is cut off mid-JSON.
    Malformed,
    /// A well-formed refusal in the provider's own terms.
    Refuse,
    /// Phone Confirm's 503 for a domain the account does not trust (the others answer the
    /// same 503).
    UnauthorizedDomain,
    /// The account's key was revoked: every request fails the provider's own authentication
    /// and gets its own answer to a wrong key (401 from MCN and TeleSign).
    KeyRevoked,
}

/// The seed's CDR variants of a password call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McnOutcome {
    Answered,
    Busy,
    NotAnswered,
    /// Rejected by the receiving operator.
    Rejected,
    /// The account could not pay for the call.
    Billing,
    /// Any other Q.931 cause: the number is unavailable (1 is "unallocated number").
    Other,
}

impl McnOutcome {
    /// `(q931_status, final_status)` as the seed lists them.
    pub fn cdr(self) -> (u16, &'static str) {
        match self {
            McnOutcome::Answered => (16, "ANSWER"),
            McnOutcome::Busy => (17, "CANCEL"),
            McnOutcome::NotAnswered => (16, "CANCEL"),
            McnOutcome::Rejected => (31, "CANCEL"),
            McnOutcome::Billing => (41, "CANCEL"),
            McnOutcome::Other => (1, "CANCEL"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsOutcome {
    Delivered,
    Undelivered,
}

impl SmsOutcome {
    /// TeleSign's transaction status `(code, description)`.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            SmsOutcome::Delivered => (200, "Delivered to handset"),
            SmsOutcome::Undelivered => (211, "Device not reachable"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub provider: Provider,
    pub method: String,
    pub path: String,
    /// The URL's query, decoded, in order.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The provider's own authentication passed: Bearer token (MCN), TSA signature
    /// (TeleSign) or API key (Phone Confirm). True where a path has none to check.
    pub auth_ok: bool,
}

/// What the visitor's phone received from a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneMessage {
    /// `flash_call`, `sms` or `voice_call`.
    pub channel: String,
    /// The code spoken or texted; for a flash call, the caller number's last four digits.
    pub code: String,
    /// Flash call: the number that called, in E.164.
    pub caller: Option<String>,
    /// SMS: the text as the phone shows it; voice call: what the call says.
    pub text: Option<String>,
    /// The provider's id for the call or message, as its webhooks and APIs name it.
    pub reference: String,
}

#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Where webhooks go; often known only after the edge has started (`set_edge_base`).
    pub edge_base: String,
    pub mcn_token: String,
    pub mcn_webhook_secret: String,
    pub telesign_customer_id: String,
    /// Base64, as TeleSign issues it.
    pub telesign_api_key: String,
    pub telesign_webhook_secret: String,
    pub phoneconfirm_api_key: String,
    /// The trusted domain registered with the Phone Confirm account.
    pub phoneconfirm_domain: String,
    /// The secret key of a Turnstile widget, as a site owner would paste it.
    pub turnstile_secret: String,
    /// Local demo: fire the natural webhook by itself a second after each send.
    pub auto_webhooks: bool,
    /// The keys the carriers sign their incoming-call webhooks with.
    pub carriers: CarrierKeys,
    /// Twilio's account as a code provider (its auth token is the carrier's).
    pub twilio_account_sid: String,
    /// The Twilio number codes are sent from.
    pub twilio_from: String,
}

impl FakeConfig {
    /// Fresh credentials, so nothing that works against the fakes could work anywhere else.
    pub fn generate() -> Self {
        let mut rng = OsRandom;
        let mut key = [0u8; 32];
        rng.fill(&mut key);
        FakeConfig {
            edge_base: String::new(),
            mcn_token: rng.token(24),
            mcn_webhook_secret: rng.token(24),
            telesign_customer_id: customer_id(),
            telesign_api_key: STANDARD.encode(key),
            telesign_webhook_secret: rng.token(24),
            phoneconfirm_api_key: rng.token(18),
            phoneconfirm_domain: "localhost".into(),
            turnstile_secret: format!("0x4AAAAAAA{}", rng.token(20)),
            auto_webhooks: false,
            carriers: CarrierKeys::generate(),
            twilio_account_sid: format!("AC{}", random_hex(16)),
            twilio_from: "+15005550006".into(),
        }
    }
}

/// TeleSign customer IDs are upper-case UUIDs.
fn customer_id() -> String {
    let h = random_hex(16).to_uppercase();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[derive(Debug, Clone, Default)]
struct FlashCall {
    caller: String,
    called: String,
}

struct State {
    config: FakeConfig,
    modes: HashMap<Provider, Mode>,
    recorded: Vec<Recorded>,
    /// E.164 number → what it received last.
    phones: HashMap<String, PhoneMessage>,
    // The providers' own books. `clear` keeps them: a webhook or a verify may name a call
    // placed before it.
    flash_calls: HashMap<String, FlashCall>,
    sms_submitted: HashMap<String, Timestamp>,
    voice_codes: HashMap<String, String>,
    /// TeleSign refuses a nonce it has seen, which is what makes a captured request useless.
    tsa_nonces: HashSet<String>,
    /// Turnstile tokens handed out: the hostname each was solved on, and whether it is spent.
    turnstile_tokens: HashMap<String, (String, bool)>,
    /// Twilio's messages and calls, by SID, for their status callbacks.
    twilio_resources: HashMap<String, TwilioResource>,
}

impl State {
    /// A phone got `message`: the code and the number are watched for in the edge's log.
    fn received(&mut self, phone: String, message: PhoneMessage) {
        watched::watch(Kind::Phone, &phone);
        watched::watch(Kind::Code, &message.code);
        self.phones.insert(phone, message);
    }

    fn mode(&self, p: Provider) -> Mode {
        self.modes.get(&p).copied().unwrap_or_default()
    }

    fn record(&mut self, provider: Provider, req: &Request, auth_ok: bool) {
        if self.recorded.len() >= MAX_RECORDED {
            self.recorded.drain(..MAX_RECORDED / 10);
        }
        self.recorded.push(Recorded {
            provider,
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            headers: req.headers.clone(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            auth_ok,
        });
    }

    fn authenticate(&mut self, provider: Provider, req: &Request) -> Result<(), AuthError> {
        if self.mode(provider) == Mode::KeyRevoked {
            return Err(NOT_AUTHORIZED);
        }
        match provider {
            Provider::Mcn => {
                let expected = format!("Bearer {}", self.config.mcn_token);
                (req.header("authorization") == Some(expected.as_str()))
                    .then_some(())
                    .ok_or(NOT_AUTHORIZED)
            }
            Provider::TeleSign => {
                tsa_check(&self.config, req, now())?;
                let nonce = req.header("x-ts-nonce").unwrap_or_default().to_owned();
                self.tsa_nonces
                    .insert(nonce)
                    .then_some(())
                    .ok_or(TSA_NONCE_REUSED)
            }
            Provider::Twilio => {
                let basic = STANDARD.encode(format!(
                    "{}:{}",
                    self.config.twilio_account_sid, self.config.carriers.twilio_auth_token
                ));
                (req.header("authorization") == Some(format!("Basic {basic}").as_str()))
                    .then_some(())
                    .ok_or(NOT_AUTHORIZED)
            }
            Provider::Telnyx => {
                let expected = format!("Bearer {}", self.config.carriers.telnyx_api_key);
                (req.header("authorization") == Some(expected.as_str()))
                    .then_some(())
                    .ok_or(NOT_AUTHORIZED)
            }
            Provider::PhoneConfirm => (req.param("APIkey")
                == Some(self.config.phoneconfirm_api_key.as_str()))
            .then_some(())
            .ok_or(NOT_AUTHORIZED),
            // Turnstile's secret travels in the form; siteverify answers a wrong one itself.
            Provider::Turnstile | Provider::Control | Provider::Unknown => Ok(()),
        }
    }
}

/// A provider's failure mode, in force while this lives.
#[must_use = "the mode ends when the guard is dropped"]
pub struct ModeGuard<'f> {
    fakes: &'f FakeProviders,
    provider: Provider,
}

impl Drop for ModeGuard<'_> {
    fn drop(&mut self) {
        self.fakes.set_mode(self.provider, Mode::Ok);
    }
}

/// A running fake; clones share it.
#[derive(Clone)]
pub struct FakeProviders {
    pub base_url: String,
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl FakeProviders {
    /// Serves on `127.0.0.1:<port>` (any free port for `None`) on a background thread, for the
    /// life of the process.
    pub fn start(config: FakeConfig, port: Option<u16>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))?;
        let port = listener.local_addr()?.port();
        let fakes = FakeProviders {
            base_url: format!("http://127.0.0.1:{port}"),
            port,
            state: Arc::new(Mutex::new(State {
                config,
                modes: HashMap::new(),
                recorded: Vec::new(),
                phones: HashMap::new(),
                flash_calls: HashMap::new(),
                sms_submitted: HashMap::new(),
                voice_codes: HashMap::new(),
                tsa_nonces: HashSet::new(),
                turnstile_tokens: HashMap::new(),
                twilio_resources: HashMap::new(),
            })),
        };
        let server = fakes.clone();
        std::thread::Builder::new()
            .name("fake-providers".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let server = server.clone();
                    std::thread::spawn(move || server.serve(stream));
                }
            })?;
        Ok(fakes)
    }

    pub fn mcn_base(&self) -> String {
        format!("{}/mcn", self.base_url)
    }

    pub fn telesign_base(&self) -> String {
        format!("{}{TELESIGN_PREFIX}", self.base_url)
    }

    pub fn phoneconfirm_base(&self) -> String {
        format!("{}/phoneconfirm", self.base_url)
    }

    pub fn telnyx_base(&self) -> String {
        format!("{}/telnyx", self.base_url)
    }

    pub fn turnstile_siteverify_url(&self) -> String {
        format!("{}/turnstile/v0/siteverify", self.base_url)
    }

    /// What a visitor's Turnstile widget would put in the form after solving on `hostname`.
    pub fn turnstile_token(&self, hostname: &str) -> String {
        let token = format!("0.{}", random_hex(48));
        self.lock()
            .turnstile_tokens
            .insert(token.clone(), (hostname.to_owned(), false));
        token
    }

    /// The credentials the fakes accept (with the edge's address as last set).
    pub fn config(&self) -> FakeConfig {
        self.lock().config.clone()
    }

    pub fn set_mode(&self, p: Provider, m: Mode) {
        self.lock().modes.insert(p, m);
    }

    /// Puts `p` in mode `m` until the guard is dropped, also when a scenario fails half way:
    /// no later scenario meets a provider left failing.
    pub fn in_mode(&self, p: Provider, m: Mode) -> ModeGuard<'_> {
        self.set_mode(p, m);
        ModeGuard {
            fakes: self,
            provider: p,
        }
    }

    /// The edge's port is known only after wrangler has started, after the fakes.
    pub fn set_edge_base(&self, base: &str) {
        self.lock().config.edge_base = base.trim_end_matches('/').to_owned();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().recorded.clone()
    }

    pub fn requests_to(&self, p: Provider) -> Vec<Recorded> {
        let state = self.lock();
        state
            .recorded
            .iter()
            .filter(|r| r.provider == p)
            .cloned()
            .collect()
    }

    /// The requests to `p` that name `phone` (in any spelling, in the body or the query):
    /// one scenario's, however many others ran before it.
    pub fn requests_for(&self, p: Provider, phone: &str) -> Vec<Recorded> {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        // Phone Confirm sends the national number and the country code apart.
        let national = &digits[digits.len().saturating_sub(9)..];
        self.requests_to(p)
            .into_iter()
            .filter(|r| {
                let said: String = r
                    .query
                    .iter()
                    .map(|(_, v)| v.as_str())
                    .chain([r.body.as_str()])
                    .flat_map(str::chars)
                    .filter(char::is_ascii_digit)
                    .collect();
                said.contains(national)
            })
            .collect()
    }

    /// Forgets the recorded requests and what phones received. Modes stay, and so do the
    /// providers' records of calls and messages, which later webhooks and verifies name.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.recorded.clear();
        state.phones.clear();
    }

    /// What the visitor's phone "received" last: the code spoken or texted, or the caller
    /// number of the flash call. Any spelling of the number works (`+44 7400…`, `44 7400…`).
    pub fn last_message(&self, phone_e164: &str) -> Option<PhoneMessage> {
        self.lock().phones.get(&phone_key(phone_e164)).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock must not take every later test with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn serve(&self, stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
        let req = match read_request(&stream) {
            Ok(req) => req,
            Err(ReadError::Gone) => return,
            Err(ReadError::Refused(status, why)) => {
                return write_response(&stream, &Response::text(status, why))
            }
        };
        let provider = Provider::of_path(&req.path);
        let (auth, mode) = {
            let mut state = self.lock();
            let auth = state.authenticate(provider, &req);
            state.record(provider, &req, auth.is_ok());
            (auth, state.mode(provider))
        };
        let response = match provider {
            Provider::Control => self.control(&req).with_cors(),
            Provider::Unknown => Response::text(404, "no fake provider at this path"),
            _ if mode == Mode::Hang => {
                std::thread::sleep(HANG_FOR);
                return;
            }
            _ => fault(provider, mode).unwrap_or_else(|| self.answer(provider, &req, auth)),
        };
        write_response(&stream, &response);
    }

    fn answer(&self, provider: Provider, req: &Request, auth: Result<(), AuthError>) -> Response {
        match provider {
            Provider::Mcn => self.mcn(req, auth.is_ok()),
            Provider::TeleSign => self.telesign(req, auth),
            Provider::PhoneConfirm => self.phone_confirm(req, auth.is_ok()),
            Provider::Turnstile => self.turnstile(req),
            Provider::Telnyx => telnyx_command(req, auth.is_ok()),
            Provider::Twilio => self.twilio(req, auth.is_ok()),
            Provider::Control | Provider::Unknown => Response::text(404, "not a provider"),
        }
    }

    // ------------------------------------------------------------------ webhooks by themselves

    fn auto_fire(
        &self,
        fire: impl FnOnce(&FakeProviders) -> Result<Reply, String> + Send + 'static,
    ) {
        if !self.lock().config.auto_webhooks {
            return;
        }
        let fakes = self.clone();
        std::thread::spawn(move || {
            std::thread::sleep(AUTO_WEBHOOK_DELAY);
            match fire(&fakes) {
                Ok(r) if r.status < 300 => {}
                Ok(r) => eprintln!(
                    "fake providers: the edge refused a webhook: {} {}",
                    r.status, r.body
                ),
                Err(e) => eprintln!("fake providers: could not deliver a webhook: {e}"),
            }
        });
    }

    // ------------------------------------------------------------------ control surface

    /// The demo page's window on the fakes: it reads the simulated phone, provokes failures and
    /// fires webhooks by hand. The page is on the edge's origin, so every answer allows CORS.
    fn control(&self, req: &Request) -> Response {
        match (req.method.as_str(), req.path.as_str()) {
            ("OPTIONS", _) => Response::text(204, ""),
            ("GET", "/__fake/phone") => self.control_phone(req),
            ("GET", "/__fake/requests") => self.control_requests(req),
            ("POST", "/__fake/mode") => self.control_mode(req),
            ("POST", "/__fake/fire") => self.control_fire(req),
            ("POST", "/__fake/call") => self.control_call(req),
            _ => Response::json(
                404,
                json!({"error": "no such control: GET /__fake/phone?number=, GET /__fake/requests, POST /__fake/mode, POST /__fake/fire, POST /__fake/call"}),
            ),
        }
    }

    fn control_phone(&self, req: &Request) -> Response {
        match req.param("number").and_then(|n| self.last_message(n)) {
            Some(m) => Response::json(200, json!(m)),
            None => Response::json(404, json!({"error": "nothing received yet"})),
        }
    }

    /// All of them, or one provider's with `?provider=mcn`.
    fn control_requests(&self, req: &Request) -> Response {
        let only = req
            .param("provider")
            .and_then(|p| serde_json::from_value::<Provider>(json!(p)).ok());
        let list = match only {
            Some(p) => self.requests_to(p),
            None => self.requests(),
        };
        Response::json(200, json!(list))
    }

    fn control_mode(&self, req: &Request) -> Response {
        #[derive(Deserialize)]
        struct SetMode {
            provider: Provider,
            mode: Mode,
        }
        match serde_json::from_slice::<SetMode>(&req.body) {
            Ok(m) if m.provider.is_telephony() => {
                self.set_mode(m.provider, m.mode);
                Response::json(200, json!({"provider": m.provider, "mode": m.mode}))
            }
            _ => Response::json(
                400,
                json!({"error": "send {\"provider\": \"mcn|telesign|phoneconfirm\", \"mode\": \"ok|hang|server_error|client_error|malformed|refuse|unauthorized_domain\"}"}),
            ),
        }
    }

    fn control_fire(&self, req: &Request) -> Response {
        #[derive(Deserialize)]
        struct Fire {
            provider: Provider,
            #[serde(rename = "ref")]
            reference: String,
            outcome: Value,
        }
        let fire = serde_json::from_slice::<Fire>(&req.body).ok();
        let fired = fire.and_then(|f| match f.provider {
            Provider::Mcn => serde_json::from_value::<McnOutcome>(f.outcome)
                .ok()
                .map(|o| self.fire_mcn(&f.reference, o)),
            Provider::TeleSign => serde_json::from_value::<SmsOutcome>(f.outcome)
                .ok()
                .map(|o| self.fire_sms(&f.reference, o)),
            _ => None,
        });
        match fired {
            Some(Ok(r)) => {
                let body = serde_json::from_str::<Value>(&r.body).unwrap_or(Value::String(r.body));
                Response::json(200, json!({"edge_status": r.status, "edge_body": body}))
            }
            Some(Err(e)) => Response::json(502, json!({"error": e})),
            None => Response::json(
                400,
                json!({"error": "send {\"provider\": \"mcn\", \"ref\": \"…\", \"outcome\": \"answered|busy|not_answered|rejected|billing|other\"} or {\"provider\": \"telesign\", \"ref\": \"…\", \"outcome\": \"delivered|undelivered\"}"}),
            ),
        }
    }
}

impl FakeProviders {
    /// The demo's "call through the carrier": `{"from": "+44…", "to": "+44…"}` places the call
    /// as the carrier that rents `to` reports it (`"carrier"` names another, to see it refused).
    fn control_call(&self, req: &Request) -> Response {
        #[derive(Deserialize)]
        struct Call {
            carrier: Option<String>,
            from: String,
            to: String,
        }
        let Ok(call) = serde_json::from_slice::<Call>(&req.body) else {
            return Response::json(
                400,
                json!({"error": "send {\"from\": \"+E.164\", \"to\": \"+E.164\", \"carrier\"?: \"twilio|telnyx|plivo|generic\"}"}),
            );
        };
        let (from, to) = (phone_key(&call.from), phone_key(&call.to));
        let carrier = match call.carrier.as_deref() {
            Some(name) => ringproof_core::carriers::Carrier::from_name(name),
            None => crate::harness::rented_from(&to),
        };
        let Some(carrier) = carrier else {
            return Response::json(
                400,
                json!({"error": "no such carrier, or the number is not one of the sandbox's"}),
            );
        };
        match self.dial(carrier, &from, &to) {
            Ok(r) => Response::json(
                200,
                json!({"carrier": carrier.name(), "edge_status": r.status,
                       "outcome": r.call_outcome(), "edge_body": r.body}),
            ),
            Err(e) => Response::json(502, json!({"error": e})),
        }
    }
}

/// Telnyx's answer to a call command: `{"data":{"result":"ok"}}`, or its 401 for a wrong key.
fn telnyx_command(req: &Request, authorized: bool) -> Response {
    if !authorized {
        return Response::json(
            401,
            json!({"errors": [{"code": "10009", "title": "Authentication failed", "detail": "The API key is invalid."}]}),
        );
    }
    if req.method != "POST" || !req.path.ends_with("/actions/reject") {
        return Response::json(
            404,
            json!({"errors": [{"code": "10005", "title": "Resource not found"}]}),
        );
    }
    Response::json(200, json!({"data": {"result": "ok"}}))
}

fn post_webhook(edge_base: &str, path: &str, body: &Value) -> Result<Reply, String> {
    if edge_base.is_empty() {
        return Err("the edge's address is not known: call set_edge_base first".into());
    }
    http::post_json(&format!("{edge_base}{path}"), body, &[])
}

/// A provider's webhook whose body is signed in the `Authorization` header, as TeleSign's is.
fn post_signed_webhook(
    edge_base: &str,
    path: &str,
    body: &str,
    authorization: &str,
) -> Result<Reply, String> {
    if edge_base.is_empty() {
        return Err("the edge's address is not known: call set_edge_base first".into());
    }
    let headers = [("Authorization", authorization)];
    http::post(
        &format!("{edge_base}{path}"),
        "application/json",
        body,
        &headers,
    )
}

// ---------------------------------------------------------------------- small helpers

/// `+` and the digits: how phones are keyed whatever spelling a caller uses.
fn phone_key(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    format!("+{digits}")
}

fn is_digits(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// An E.164 number's digits, without the `+`.
fn is_phone_digits(s: &str) -> bool {
    is_digits(s, 7..=15)
}

fn now() -> Timestamp {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
}

/// TeleSign's timestamps carry microseconds, e.g. `2016-07-08T20:52:46.417428Z`.
fn rfc3339_micros(t: Timestamp) -> String {
    let whole = t.to_rfc3339();
    format!(
        "{}.{:06}Z",
        whole.trim_end_matches('Z'),
        (t.millis() % 1000) * 1000
    )
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    OsRandom.fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn random_digits(n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + OsRandom.below(10) as u8))
        .collect()
}

#[cfg(test)]
mod tests;
