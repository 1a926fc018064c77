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
            Some("__fake") => Provider::Control,
            _ => Provider::Unknown,
        }
    }

    fn is_telephony(self) -> bool {
        matches!(
            self,
            Provider::Mcn | Provider::TeleSign | Provider::PhoneConfirm
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
}

impl State {
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
            Provider::PhoneConfirm => (req.param("APIkey")
                == Some(self.config.phoneconfirm_api_key.as_str()))
            .then_some(())
            .ok_or(NOT_AUTHORIZED),
            // Turnstile's secret travels in the form; siteverify answers a wrong one itself.
            Provider::Turnstile | Provider::Control | Provider::Unknown => Ok(()),
        }
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

    /// Posts MCN's CDR webhook to the edge, with fields the edge does not read, as an MCN
    /// account's webhook template may add them.
    pub fn fire_mcn(&self, verification_uuid: &str, outcome: McnOutcome) -> Result<Reply, String> {
        let (q931, final_status) = outcome.cdr();
        let (config, call) = {
            let state = self.lock();
            let call = state.flash_calls.get(verification_uuid).cloned();
            (state.config.clone(), call.unwrap_or_default())
        };
        let body = json!({
            "verification_call_uuid": verification_uuid,
            "q931_status": q931,
            "final_status": final_status,
            "caller_number": call.caller,
            "called_number": call.called,
            "event": "password_call",
            "duration": 0,
        });
        let path = format!("/v1/providers/mcn/{}", config.mcn_webhook_secret);
        post_webhook(&config.edge_base, &path, &body)
    }

    /// Posts TeleSign's delivery callback to the edge, in the seed's shape.
    pub fn fire_sms(&self, reference_id: &str, outcome: SmsOutcome) -> Result<Reply, String> {
        let (code, description) = outcome.status();
        let updated = now();
        let (config, submitted) = {
            let state = self.lock();
            let submitted = state.sms_submitted.get(reference_id).copied();
            (state.config.clone(), submitted.unwrap_or(updated))
        };
        let body = json!({
            "status": {
                "updated_on": rfc3339_micros(updated),
                "code": code,
                "description": description,
            },
            "submit_timestamp": rfc3339_micros(submitted),
            "errors": [],
            "reference_id": reference_id,
            "verify": {"code_state": "UNKNOWN", "code_entered": null},
            "sub_resource": "sms",
            "additional_info": {
                "message_parts_count": 1,
                "price": "0.5112",
                "mnc": "03",
                "mcc": "220",
                "currency": "USD",
            },
        });
        let path = format!("/v1/providers/telesign/{}", config.telesign_webhook_secret);
        post_webhook(&config.edge_base, &path, &body)
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
            Provider::Control | Provider::Unknown => Response::text(404, "not a provider"),
        }
    }

    // ------------------------------------------------------------------ MCN password call

    fn mcn(&self, req: &Request, auth_ok: bool) -> Response {
        if (req.method.as_str(), req.path.as_str()) != ("POST", MCN_PASSWORD_CALL) {
            return mcn_error(404, "not found");
        }
        if !auth_ok {
            return mcn_error(401, "unauthorized");
        }
        let call = match PasswordCall::parse(&req.body) {
            Ok(call) => call,
            Err(why) => return mcn_error(400, &why),
        };
        let caller = format!("{MCN_CALLER_PREFIX}{}", call.code);
        let uuid = format!("{}_{MCN_ACCOUNT}", random_hex(6));
        {
            let mut state = self.lock();
            state.flash_calls.insert(
                uuid.clone(),
                FlashCall {
                    caller: caller.clone(),
                    called: call.phone.clone(),
                },
            );
            state.phones.insert(
                phone_key(&call.phone),
                PhoneMessage {
                    channel: "flash_call".into(),
                    code: call.code.clone(),
                    caller: Some(format!("+{caller}")),
                    text: None,
                    reference: uuid.clone(),
                },
            );
        }
        let answer = Response::json(
            200,
            json!({
                "ok": true,
                "caller_number": caller,
                "verification_code": call.code,
                "verification_uuid": uuid,
                "is_redirect": false,
            }),
        );
        self.auto_fire(move |f| f.fire_mcn(&uuid, McnOutcome::Answered));
        answer
    }

    // ------------------------------------------------------------------ TeleSign SMS Verify

    fn telesign(&self, req: &Request, auth: Result<(), AuthError>) -> Response {
        if (req.method.as_str(), req.path.as_str()) != ("POST", TELESIGN_SMS_VERIFY) {
            return telesign_error(404, NOT_FOUND_STATUS, -40004, "Resource not found");
        }
        if let Err(e) = auth {
            return telesign_error(401, NOT_AUTHORIZED_STATUS, e.code, e.description);
        }
        let form: HashMap<String, String> = decode_form(&String::from_utf8_lossy(&req.body))
            .into_iter()
            .collect();
        let phone = form.get("phone_number").filter(|p| is_phone_digits(p));
        let code = form.get("verify_code").filter(|c| is_digits(c, 3..=10));
        let (Some(phone), Some(code)) = (phone, code) else {
            let field = if phone.is_none() {
                "phone_number"
            } else {
                "verify_code"
            };
            let description = format!("Invalid Request: {field} Parameter");
            return telesign_error(400, NOT_ATTEMPTED_STATUS, -10001, &description);
        };
        let reference = random_hex(16).to_uppercase();
        let text = form.get("template").map_or_else(
            || format!("Your code is {code}"),
            |t| t.replace("$$CODE$$", code),
        );
        let submitted = now();
        {
            let mut state = self.lock();
            state.sms_submitted.insert(reference.clone(), submitted);
            state.phones.insert(
                phone_key(phone),
                PhoneMessage {
                    channel: "sms".into(),
                    code: code.clone(),
                    caller: None,
                    text: Some(text),
                    reference: reference.clone(),
                },
            );
        }
        let answer = Response::json(
            200,
            json!({
                "reference_id": reference,
                "sub_resource": "sms",
                "errors": [],
                "status": {
                    "updated_on": rfc3339_micros(submitted),
                    "code": 290,
                    "description": "Message in progress",
                },
                "verify": {"code_state": "UNKNOWN", "code_entered": ""},
            }),
        );
        self.auto_fire(move |f| f.fire_sms(&reference, SmsOutcome::Delivered));
        answer
    }

    // ------------------------------------------------------------------ Phone Confirm

    fn phone_confirm(&self, req: &Request, auth_ok: bool) -> Response {
        let action = match (req.method.as_str(), req.path.as_str()) {
            ("GET", PHONE_CONFIRM_CALL) => PhoneConfirmAction::Call,
            ("GET", PHONE_CONFIRM_VERIFY) => PhoneConfirmAction::Verify,
            _ => return Response::text(404, "no such Phone Confirm endpoint"),
        };
        let format = match req.param("type").map(str::to_ascii_lowercase).as_deref() {
            Some("xml") => Format::Xml,
            Some("json") => Format::Json,
            // The call must say which; a verify without it gets the JSON we always ask for.
            None if action == PhoneConfirmAction::Verify => Format::Json,
            _ => return pc_reply(Format::Json, "2", "invalid", "type must be json or xml", ""),
        };
        if !auth_ok {
            return pc_reply(format, "3", "invalid", "Invalid API key", "");
        }
        // The account is known by its key; the domain must be one it trusts.
        if req.param("domain") != Some(self.lock().config.phoneconfirm_domain.as_str()) {
            return Response::text(503, "unauthorized domain");
        }
        match action {
            PhoneConfirmAction::Call => self.place_call(req, format),
            PhoneConfirmAction::Verify => self.verify_call(req, format),
        }
    }

    fn place_call(&self, req: &Request, format: Format) -> Response {
        let phone = req.param("phone").filter(|p| is_digits(p, 4..=14));
        let country = req.param("country_code").filter(|c| is_digits(c, 1..=3));
        let code = req.param("code").filter(|c| is_digits(c, 4..=10));
        let redial_ok = ["redial_count", "redial_interval"].iter().all(|k| {
            req.param(k)
                .is_none_or(|v| v.is_empty() || is_digits(v, 1..=4))
        });
        let (Some(phone), Some(country), Some(code), true) = (phone, country, code, redial_ok)
        else {
            return pc_reply(format, "2", "invalid", "Missing or invalid parameter", "");
        };
        let transaction = format!("{}{}", 1 + OsRandom.below(9), random_digits(9));
        let number = format!("{country}{}", phone.trim_start_matches('0'));
        {
            let mut state = self.lock();
            state
                .voice_codes
                .insert(transaction.clone(), code.to_owned());
            state.phones.insert(
                phone_key(&number),
                PhoneMessage {
                    channel: "voice_call".into(),
                    code: code.to_owned(),
                    caller: None,
                    text: Some(spoken(code)),
                    reference: transaction.clone(),
                },
            );
        }
        pc_reply(format, "0", "valid", "Call placed", &transaction)
    }

    fn verify_call(&self, req: &Request, format: Format) -> Response {
        let transaction = req.param("transaction_number").unwrap_or_default();
        let expected = self.lock().voice_codes.get(transaction).cloned();
        match expected {
            None => pc_reply(format, "1", "invalid", "Unknown transaction", transaction),
            Some(code) if req.param("code") == Some(code.as_str()) => {
                pc_reply(format, "0", "valid", "Code verified", transaction)
            }
            Some(_) => pc_reply(format, "0", "invalid", "Code does not match", transaction),
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

    // ------------------------------------------------------------------ Turnstile siteverify

    /// Turnstile's answer, field for field: each token once, for its hostname, with the
    /// documented error codes.
    fn turnstile(&self, req: &Request) -> Response {
        let form: HashMap<String, String> = decode_form(&String::from_utf8_lossy(&req.body))
            .into_iter()
            .collect();
        let refuse = |code: &str| {
            Response::json(
                200,
                json!({"success": false, "error-codes": [code], "messages": []}),
            )
        };
        let mut state = self.lock();
        match form.get("secret") {
            None => return refuse("missing-input-secret"),
            Some(s) if *s != state.config.turnstile_secret => {
                return refuse("invalid-input-secret")
            }
            _ => {}
        }
        let Some(token) = form.get("response") else {
            return refuse("missing-input-response");
        };
        let Some((hostname, spent)) = state.turnstile_tokens.get_mut(token) else {
            return refuse("invalid-input-response");
        };
        if *spent {
            return refuse("timeout-or-duplicate");
        }
        *spent = true;
        Response::json(
            200,
            json!({"success": true, "challenge_ts": rfc3339_micros(now()), "hostname": hostname,
                   "error-codes": [], "action": "", "cdata": "", "metadata": {"interactive": false}}),
        )
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
            _ => Response::json(
                404,
                json!({"error": "no such control: GET /__fake/phone?number=, GET /__fake/requests, POST /__fake/mode, POST /__fake/fire"}),
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

fn post_webhook(edge_base: &str, path: &str, body: &Value) -> Result<Reply, String> {
    if edge_base.is_empty() {
        return Err("the edge's address is not known: call set_edge_base first".into());
    }
    http::post_json(&format!("{edge_base}{path}"), body, &[])
}

// ---------------------------------------------------------------------- MCN's wire format

struct PasswordCall {
    phone: String,
    code: String,
}

impl PasswordCall {
    fn parse(body: &[u8]) -> Result<Self, String> {
        let v: Value = serde_json::from_slice(body).map_err(|_| "the body is not JSON")?;
        let phone = v["phone_number"]
            .as_str()
            .filter(|p| is_phone_digits(p))
            .ok_or("phone_number must be the number's digits")?;
        let code = match v["verification_code"].as_str() {
            // MCN's documentation: left empty, the call comes from a random number.
            Some("") => random_digits(4),
            Some(c) if is_digits(c, 4..=4) => c.to_owned(),
            _ => return Err("verification_code must be 4 digits".into()),
        };
        if !matches!(v["is_with_redirect"], Value::Bool(_) | Value::Null) {
            return Err("is_with_redirect must be true or false".into());
        }
        Ok(PasswordCall {
            phone: phone.to_owned(),
            code,
        })
    }
}

fn mcn_error(status: u16, why: &str) -> Response {
    Response::json(status, json!({"ok": false, "error": why}))
}

// ---------------------------------------------------------------------- TeleSign's TSA scheme

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AuthError {
    code: i64,
    description: &'static str,
}

/// For providers whose refusals carry no code of their own.
const NOT_AUTHORIZED: AuthError = AuthError {
    code: -30000,
    description: "Invalid Customer ID / Signature",
};
// TeleSign's documented error codes for the checks its `TSA` scheme makes.
const TSA_INVALID: AuthError = NOT_AUTHORIZED;
const TSA_NO_DATE: AuthError = AuthError {
    code: -30007,
    description: "Missing required 'Date' or 'x-ts-date' header",
};
const TSA_BAD_AUTH_METHOD: AuthError = AuthError {
    code: -30008,
    description: "Invalid 'x-ts-auth-method' header.",
};
const TSA_BAD_DATE: AuthError = AuthError {
    code: -30009,
    description: "'Date' or 'x-ts-date' header is not RFC822 compliant",
};
const TSA_STALE_DATE: AuthError = AuthError {
    code: -30010,
    description: "'Date' or 'x-ts-date' header is not within tolerable range",
};
const TSA_BAD_NONCE: AuthError = AuthError {
    code: -30011,
    description: "'x-ts-nonce' header value is either too long or too short",
};
const TSA_NONCE_REUSED: AuthError = AuthError {
    code: -30012,
    description: "'x-ts-nonce' header value has been used recently",
};

/// Checks a request as TeleSign documents its `TSA` scheme (and its SDKs implement it):
/// HMAC-SHA256, under the base64-decoded API key, of the method, content type, date, the two
/// `x-ts-` headers, the body when there is one, and the resource path.
fn tsa_check(config: &FakeConfig, req: &Request, now: Timestamp) -> Result<(), AuthError> {
    let (customer_id, signature) = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("TSA "))
        .and_then(|a| a.rsplit_once(':'))
        .ok_or(TSA_INVALID)?;
    let auth_method = req.header("x-ts-auth-method").unwrap_or_default();
    if auth_method != TSA_AUTH_METHOD {
        return Err(TSA_BAD_AUTH_METHOD);
    }
    let date = req.header("date").ok_or(TSA_NO_DATE)?;
    let signed_at = parse_http_date(date).ok_or(TSA_BAD_DATE)?;
    if signed_at.secs().abs_diff(now.secs()) > TSA_DATE_TOLERANCE_SECS {
        return Err(TSA_STALE_DATE);
    }
    let nonce = req
        .header("x-ts-nonce")
        .filter(|n| (1..=255).contains(&n.len()))
        .ok_or(TSA_BAD_NONCE)?;
    let content_type = req.header("content-type").unwrap_or_default();
    let resource = req.path.strip_prefix(TELESIGN_PREFIX).unwrap_or(&req.path);
    let to_sign = tsa_string_to_sign(
        &req.method,
        content_type,
        date,
        auth_method,
        nonce,
        &req.body,
        resource,
    );
    let signed = customer_id == config.telesign_customer_id
        && hmac_matches(&config.telesign_api_key, &to_sign, signature);
    signed.then_some(()).ok_or(TSA_INVALID)
}

fn tsa_string_to_sign(
    method: &str,
    content_type: &str,
    date: &str,
    auth_method: &str,
    nonce: &str,
    body: &[u8],
    resource: &str,
) -> Vec<u8> {
    let mut s = format!(
        "{method}\n{content_type}\n{date}\nx-ts-auth-method:{auth_method}\nx-ts-nonce:{nonce}"
    )
    .into_bytes();
    if !content_type.is_empty() && !body.is_empty() {
        s.push(b'\n');
        s.extend_from_slice(body);
    }
    s.push(b'\n');
    s.extend_from_slice(resource.as_bytes());
    s
}

/// Constant-time, as a real server would compare.
fn hmac_matches(key_b64: &str, message: &[u8], signature_b64: &str) -> bool {
    let (Ok(key), Ok(signature)) = (STANDARD.decode(key_b64), STANDARD.decode(signature_b64))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.verify_slice(&signature).is_ok()
}

#[derive(Debug, Clone, Copy)]
struct TeleSignStatus(u16, &'static str);

const NOT_AUTHORIZED_STATUS: TeleSignStatus = TeleSignStatus(501, "Not authorized");
const NOT_ATTEMPTED_STATUS: TeleSignStatus = TeleSignStatus(500, "Transaction not attempted");
const NOT_FOUND_STATUS: TeleSignStatus = TeleSignStatus(502, "Not found");

/// TeleSign's error answer: a transaction status and the list of errors.
fn telesign_error(http: u16, status: TeleSignStatus, code: i64, description: &str) -> Response {
    Response::json(
        http,
        json!({
            "reference_id": null,
            "status": {"updated_on": rfc3339_micros(now()), "code": status.0, "description": status.1},
            "errors": [{"code": code, "description": description}],
        }),
    )
}

/// RFC 2616's preferred form, `Sun, 06 Nov 1994 08:49:37 GMT`: what TeleSign's SDKs send.
fn parse_http_date(s: &str) -> Option<Timestamp> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let day: u8 = day.parse().ok()?;
    Timestamp::parse_rfc3339(&format!("{year}-{month:02}-{day:02}T{time}Z"))
}

// ---------------------------------------------------------------------- Phone Confirm's format

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhoneConfirmAction {
    Call,
    Verify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// The four tags of every Phone Confirm answer.
fn pc_reply(
    format: Format,
    error: &str,
    status: &str,
    message: &str,
    transaction: &str,
) -> Response {
    match format {
        Format::Json => Response::json(
            200,
            json!({"error": error, "status": status, "message": message, "transaction_number": transaction}),
        ),
        Format::Xml => Response {
            status: 200,
            content_type: "application/xml",
            body: format!(
                "<?xml version=\"1.0\"?><response><error>{}</error><status>{}</status><message>{}</message><transaction_number>{}</transaction_number></response>",
                xml_escape(error),
                xml_escape(status),
                xml_escape(message),
                xml_escape(transaction)
            ),
            cors: false,
        },
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What the call says: digits one by one, twice, as voice codes are read out.
fn spoken(code: &str) -> String {
    let digits: Vec<String> = code.chars().map(String::from).collect();
    let digits = digits.join(" ");
    format!("Your verification code is {digits}. Again: {digits}.")
}

// ---------------------------------------------------------------------- failure modes

fn fault(provider: Provider, mode: Mode) -> Option<Response> {
    match mode {
        Mode::Ok | Mode::Hang => None,
        Mode::ServerError => Some(Response {
            status: 500,
            content_type: "text/html; charset=utf-8",
            body: "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>".into(),
            cors: false,
        }),
        Mode::UnauthorizedDomain => Some(Response::text(503, "unauthorized domain")),
        Mode::ClientError => Some(client_error(provider)),
        Mode::Malformed => Some(Response {
            status: 200,
            content_type: "application/json",
            body: truncated_answer(provider).into(),
            cors: false,
        }),
        Mode::Refuse => Some(refusal(provider)),
    }
}

fn client_error(provider: Provider) -> Response {
    match provider {
        Provider::TeleSign => telesign_error(
            400,
            NOT_ATTEMPTED_STATUS,
            -10001,
            "Invalid Request: phone_number Parameter",
        ),
        Provider::PhoneConfirm => Response::json(
            400,
            json!({"error": "2", "status": "invalid", "message": "Bad request", "transaction_number": ""}),
        ),
        _ => mcn_error(400, "phone_number: invalid format"),
    }
}

fn truncated_answer(provider: Provider) -> &'static str {
    match provider {
        Provider::TeleSign => "{\"reference_id\": \"B56A49",
        Provider::PhoneConfirm => "{\"error\":\"0\",\"status\":\"val",
        _ => "{\"ok\": tru",
    }
}

fn refusal(provider: Provider) -> Response {
    match provider {
        Provider::TeleSign => telesign_error(
            400,
            NOT_ATTEMPTED_STATUS,
            -40008,
            "Phone number is not allowed for this account",
        ),
        Provider::PhoneConfirm => pc_reply(
            Format::Json,
            "1",
            "invalid",
            "The call could not be placed",
            "",
        ),
        _ => Response::json(
            200,
            json!({"ok": false, "error": "calls to this number are not allowed"}),
        ),
    }
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
