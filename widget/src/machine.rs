//! The widget as one state machine: everything it decides, in one place, with no browser in
//! it. [`State`] is what the visitor sees and what the widget waits for; a [`Msg`] is what
//! happened (the visitor did something, the edge answered, the socket spoke, a second passed);
//! [`update`] changes the state and answers with the [`Effect`]s to carry out (a request, a
//! timer's work, the socket, telling the page). `effects.rs` carries them out and answers with
//! messages; the views render the state and send messages. Neither decides anything.
//!
//! **Invariants**, each held by a test in `machine/tests.rs`:
//! - the page is told a token once, and a failed attempt once;
//! - polling happens only while no socket is open;
//! - one request at a time changes the verification (`busy`), and an answer for a
//!   verification no longer shown changes nothing;
//! - once the element has left the page, nothing more happens.

use ringproof_api::{
    Channel, CheckResult, ErrorDetail, PhoneCountry, VerificationStatus, VerificationView,
};

/// A socket quiet this long is pinged; one whose pong is this late is given up.
pub const PING_AFTER_MS: f64 = 25_000.0;
pub const PONG_WITHIN_MS: f64 = 5_000.0;
/// A socket open this long has proved itself: the back-off starts again from 1 s.
pub const STEADY_AFTER_MS: f64 = 30_000.0;

/// What the machine asks of the browser's number rules and clock: the widget's own are the
/// browser's `RegExp` and `Date.parse`; the tests bring simple ones.
#[derive(Clone, Copy)]
pub struct Rules {
    /// Why `typed` cannot be a number of `plan`'s country, if it cannot.
    pub problem: fn(&PhoneCountry, &str) -> Option<&'static str>,
    /// `typed` as the country writes it.
    pub format: fn(&PhoneCountry, &str) -> String,
    /// An RFC 3339 time in milliseconds since the epoch.
    pub time: fn(&str) -> f64,
    /// Text as searches compare it (the browser's lower case: Rust's would carry Unicode's
    /// tables into the wasm).
    pub fold: fn(&str) -> String,
}

/// A country the site accepts, as the picker lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Listed {
    /// ISO 3166-1 alpha-2, `GB`.
    pub country: String,
    pub dial_code: u16,
    /// Its name in the visitor's language.
    pub name: String,
    /// `name` folded by [`Rules::fold`], for searches.
    pub folded: String,
}

#[derive(Clone)]
pub struct State {
    pub rules: Rules,
    /// The number as typed (formatted as the chosen country writes it).
    pub phone: String,
    /// The site's countries, in the order the picker lists them.
    pub countries: Vec<Listed>,
    pub country: Option<String>,
    /// What the visitor typed into the picker's search box.
    pub search: String,
    /// The chosen country's plan, once it has arrived.
    pub plan: Option<PhoneCountry>,
    /// Why the number typed cannot be, said before anything is sent.
    pub field_problem: Option<&'static str>,
    /// `None` while the visitor types their number; then the verification as last seen.
    pub current: Option<VerificationView>,
    /// The code typed so far.
    pub code: String,
    /// A request that changes the verification is under way.
    pub busy: bool,
    pub error: Option<ErrorDetail>,
    /// Said after a wrong code: the tries left.
    pub wrong_code: Option<u32>,
    pub now_ms: f64,
    /// The verified number's token has passed its end unspent.
    pub expired: bool,
    /// The token the page was last told, so it is told once.
    told_token: Option<String>,
    /// The attempt (verification, end) whose failure the page was told.
    told_failure: Option<(String, String)>,
    pub live: Live,
    /// A poll is under way.
    polling: bool,
    /// The element left the page: nothing more happens.
    removed: bool,
}

/// The socket that follows the pending verification shown, and its back-off.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    /// The verification followed (the pending one shown).
    pub following: Option<String>,
    pub socket: Socket,
    failures: u32,
    retry_at: f64,
    offline: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Socket {
    #[default]
    Closed,
    Opening,
    Open {
        opened_at: f64,
        heard_at: f64,
        pinged_at: Option<f64>,
    },
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Msg {
    // The visitor, on the phone form.
    Typed(String),
    Chose(String),
    Searched(String),
    Submit,
    // The visitor, on the attempt's step.
    CodeTyped(String),
    Check,
    /// Resend (`None`) or switch to a channel.
    Again(Option<Channel>),
    Back,
    Renew,
    Simulate,
    // The edge.
    /// The widget is on the page.
    Mounted,
    /// The site's countries (in the order shown), the edge's guess of the visitor's, the
    /// page's own choice (`country="IN"`), the country of the page's language, and the plan
    /// of the edge's guess when it sent one.
    Countries {
        countries: Vec<Listed>,
        default_country: Option<String>,
        asked: Option<String>,
        page_region: Option<String>,
        plan: Option<PhoneCountry>,
    },
    Plan(PhoneCountry),
    /// The answer to a start.
    Started(Result<VerificationView, ErrorDetail>),
    /// The answer to a resend or a switch.
    Changed(Result<VerificationView, ErrorDetail>),
    /// The answer to a renewal of the verified number's token.
    Renewed(Result<VerificationView, ErrorDetail>),
    Checked(Result<CheckResult, ErrorDetail>),
    Polled(Result<VerificationView, ErrorDetail>),
    Simulated(Result<(), ErrorDetail>),
    // The socket.
    SocketOpened,
    SocketView(VerificationView),
    SocketPong,
    SocketClosed,
    /// The element left the page.
    Removed,
    // The clock: every second, with whether the browser is online.
    Tick {
        now_ms: f64,
        online: bool,
    },
}

/// What to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Request(Request),
    /// Tell the page (the element turns it into events and the form's value).
    Tell(Told),
    /// Move focus to what the visitor needs next.
    Focus(Focus),
    /// Wait for the SMS's code through WebOTP; answered with [`Msg::CodeTyped`].
    ListenForSms,
    StopListening,
    OpenSocket(String),
    Ping,
    CloseSocket,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Solve a challenge, then start (`phone` in `country`).
    Start {
        phone: String,
        country: Option<String>,
    },
    Check {
        id: String,
        code: String,
    },
    /// Solve a challenge for the verification, then resend or switch.
    Again {
        id: String,
        channel: Option<Channel>,
    },
    Renew {
        id: String,
    },
    Simulate {
        id: String,
    },
    Poll {
        id: String,
    },
    /// The site's countries, and the plan of the visitor's.
    Countries,
    Plan {
        country: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Told {
    Pending {
        id: String,
    },
    Verified {
        token: String,
        id: String,
        expires_at: Option<String>,
    },
    Failed {
        code: String,
        id: String,
    },
    Expired,
    NetworkError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The code field, else the call link.
    Step,
    Phone,
}

impl State {
    pub fn new(rules: Rules, phone: String, now_ms: f64) -> State {
        State {
            rules,
            phone,
            countries: Vec::new(),
            country: None,
            search: String::new(),
            plan: None,
            field_problem: None,
            current: None,
            code: String::new(),
            busy: false,
            error: None,
            wrong_code: None,
            now_ms,
            expired: false,
            told_token: None,
            told_failure: None,
            live: Live::default(),
            polling: false,
            removed: false,
        }
    }

    /// The attempt's time left, while it is pending.
    pub fn time_left_ms(&self) -> Option<f64> {
        let v = self
            .current
            .as_ref()
            .filter(|v| v.status == VerificationStatus::Pending)?;
        Some(((self.rules.time)(&v.expires_at) - self.now_ms).max(0.0))
    }

    /// How long the cool-down still holds back a resend or a switch, while it does.
    pub fn cool_down_ms(&self) -> Option<f64> {
        let v = self
            .current
            .as_ref()
            .filter(|v| v.status == VerificationStatus::Pending)?;
        let wait = (self.rules.time)(v.resend_at.as_deref()?) - self.now_ms;
        (wait > 0.0).then_some(wait)
    }

    /// A sent code that should have arrived by now: the site's next way becomes the main
    /// button.
    pub fn late(&self) -> bool {
        self.current
            .as_ref()
            .filter(|v| v.status == VerificationStatus::Pending)
            .and_then(|v| v.fallback_at.as_deref())
            .is_some_and(|at| self.now_ms >= (self.rules.time)(at))
    }

    /// The countries the search matches (all without one): by name in the visitor's
    /// language, by two letters, or by dial code (`+91`, `91`).
    pub fn shown(&self) -> impl Iterator<Item = &Listed> {
        let q = (self.rules.fold)(self.search.trim());
        self.countries.iter().filter(move |l| {
            let digits = q.trim_start_matches('+');
            q.is_empty()
                || contains(&l.folded, &q)
                || l.country.eq_ignore_ascii_case(&q)
                || (!digits.is_empty() && l.dial_code.to_string().starts_with(digits))
        })
    }

    /// The search matches none of the site's countries: said under the box.
    pub fn no_match(&self) -> bool {
        !self.countries.is_empty() && self.shown().next().is_none()
    }

    fn pending_id(&self) -> Option<String> {
        self.current
            .as_ref()
            .filter(|v| v.status == VerificationStatus::Pending)
            .map(|v| v.verification_id.clone())
    }

    fn shows(&self, v: &VerificationView) -> bool {
        self.current
            .as_ref()
            .is_some_and(|c| c.verification_id == v.verification_id)
    }
}

/// Changes `s` for `msg`, and says what to carry out.
pub fn update(s: &mut State, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    if s.removed {
        return fx;
    }
    match msg {
        Msg::Typed(typed) => {
            s.field_problem = None;
            s.phone = match &s.plan {
                Some(p) => (s.rules.format)(p, &typed),
                None => typed,
            };
        }
        Msg::Chose(country) => choose(s, country, &mut fx),
        Msg::Searched(text) => {
            s.search = text;
            // A search that hides the chosen country chooses its first match, as typing into
            // a native list does.
            let hidden = s
                .country
                .as_deref()
                .is_some_and(|c| !s.shown().any(|l| l.country == c));
            let first = s.shown().next().map(|l| l.country.clone());
            if let Some(first) = first.filter(|_| hidden) {
                choose(s, first, &mut fx);
            }
        }
        Msg::Mounted => fx.push(Effect::Request(Request::Countries)),
        Msg::Countries {
            countries,
            default_country,
            asked,
            page_region,
            plan,
        } => {
            // The page's choice, then the visitor's country as the edge sees it, then the
            // page's language's, then the site's first.
            let accepted = |c: &String| countries.iter().any(|d| &d.country == c);
            let chosen = asked
                .filter(accepted)
                .or(default_country)
                .or(page_region.filter(accepted))
                .or_else(|| countries.first().map(|d| d.country.clone()));
            if plan.is_some() {
                s.plan = plan;
            }
            s.countries = countries;
            if let Some(c) = chosen {
                choose(s, c, &mut fx);
            }
        }
        Msg::Plan(plan) => {
            // Another country may have been chosen meanwhile.
            if s.country.as_deref() == Some(plan.country.as_str()) {
                s.plan = Some(plan);
            }
        }
        Msg::Submit => {
            if s.busy || s.current.is_some() {
                return fx;
            }
            let problem = s
                .plan
                .as_ref()
                .filter(|p| s.country.as_deref() == Some(p.country.as_str()))
                .and_then(|p| (s.rules.problem)(p, &s.phone));
            s.field_problem = problem;
            if problem.is_none() {
                s.busy = true;
                s.error = None;
                fx.push(Effect::Request(Request::Start {
                    phone: s.phone.clone(),
                    country: s.country.clone(),
                }));
            }
        }
        Msg::Started(answer) => {
            s.busy = false;
            match answer {
                Ok(view) => {
                    fx.push(Effect::Tell(Told::Pending {
                        id: view.verification_id.clone(),
                    }));
                    show(s, view, &mut fx);
                }
                Err(e) => fail(s, e, &mut fx),
            }
        }
        Msg::CodeTyped(typed) => {
            let length = s.current.as_ref().and_then(|v| v.code_length);
            let Some(length) = length else { return fx };
            s.code = typed
                .chars()
                .filter(char::is_ascii_digit)
                .take(usize::from(length))
                .collect();
            // The last digit typed, pasted or filled in by WebOTP sends the code.
            if s.code.len() == usize::from(length) {
                check(s, &mut fx);
            }
        }
        Msg::Check => check(s, &mut fx),
        Msg::Checked(answer) => {
            s.busy = false;
            match answer {
                Ok(r) => {
                    s.code.clear();
                    s.wrong_code =
                        (r.status == VerificationStatus::Pending).then_some(r.checks_left);
                    if let Some(c) = s.current.as_mut() {
                        c.checks_left = Some(r.checks_left);
                    }
                    // The token and the final state come with the full view: in the answer,
                    // else pushed over the socket, else asked for.
                    match r.view {
                        Some(view) => show(s, *view, &mut fx),
                        None => poll(s, &mut fx),
                    }
                }
                Err(e) => fail(s, e, &mut fx),
            }
        }
        Msg::Again(channel) => {
            if let Some(id) = begin(s) {
                s.code.clear();
                fx.push(Effect::Request(Request::Again { id, channel }));
            }
        }
        Msg::Renew => {
            if let Some(id) = begin(s) {
                fx.push(Effect::Request(Request::Renew { id }));
            }
        }
        Msg::Renewed(answer) => {
            s.busy = false;
            match answer {
                Ok(view) => {
                    // Told again even when the edge kept the same token: the page cleared it.
                    s.told_token = None;
                    show(s, view, &mut fx);
                }
                Err(e) => fail(s, e, &mut fx),
            }
        }
        Msg::Changed(answer) => {
            s.busy = false;
            match answer {
                Ok(view) => show(s, view, &mut fx),
                Err(e) => fail(s, e, &mut fx),
            }
        }
        Msg::Simulate => {
            if let Some(v) = &s.current {
                fx.push(Effect::Request(Request::Simulate {
                    id: v.verification_id.clone(),
                }));
            }
        }
        Msg::Simulated(answer) => match answer {
            Ok(()) => poll(s, &mut fx),
            Err(e) => fail(s, e, &mut fx),
        },
        Msg::Polled(answer) => {
            s.polling = false;
            // A lost poll is tried again on the next tick; a switch may have replaced the
            // verification meanwhile.
            if let Ok(view) = answer {
                if s.shows(&view) {
                    show(s, view, &mut fx);
                }
            }
        }
        Msg::Back => {
            s.current = None;
            s.error = None;
            s.wrong_code = None;
            s.code.clear();
            follow(s, &mut fx);
            fx.push(Effect::StopListening);
            fx.push(Effect::Focus(Focus::Phone));
        }
        Msg::SocketOpened => {
            if s.live.socket == Socket::Opening {
                s.live.socket = Socket::Open {
                    opened_at: s.now_ms,
                    heard_at: s.now_ms,
                    pinged_at: None,
                };
            }
        }
        Msg::SocketPong => heard(s),
        Msg::SocketView(view) => {
            heard(s);
            if s.shows(&view) {
                show(s, view, &mut fx);
            }
        }
        Msg::SocketClosed => {
            if s.live.socket != Socket::Closed {
                s.live.socket = Socket::Closed;
                dropped(&mut s.live, s.now_ms);
                // Something may have changed while it was going.
                poll(s, &mut fx);
            }
        }
        Msg::Tick { now_ms, online } => tick(s, now_ms, online, &mut fx),
        Msg::Removed => {
            s.removed = true;
            s.live = Live::default();
            fx.push(Effect::StopListening);
            fx.push(Effect::CloseSocket);
        }
    }
    fx
}

/// Whether `text` has `part` in it, byte for byte (`str::contains` brings its searcher, and
/// its panics, into the wasm; names are short).
fn contains(text: &str, part: &str) -> bool {
    text.as_bytes()
        .windows(part.len().max(1))
        .any(|w| w == part.as_bytes())
}

fn choose(s: &mut State, country: String, fx: &mut Vec<Effect>) {
    s.country = Some(country.clone());
    if s.plan.as_ref().is_none_or(|p| p.country != country) {
        fx.push(Effect::Request(Request::Plan { country }));
    }
}

fn check(s: &mut State, fx: &mut Vec<Effect>) {
    if s.code.is_empty() {
        return;
    }
    if let Some(id) = begin(s) {
        fx.push(Effect::Request(Request::Check {
            id,
            code: s.code.clone(),
        }));
    }
}

/// A request that changes the verification shown begins, unless one is under way: the
/// verification's id, with the last request's error and wrong-code note cleared.
fn begin(s: &mut State) -> Option<String> {
    let id = s.current.as_ref()?.verification_id.clone();
    if s.busy {
        return None;
    }
    s.busy = true;
    s.error = None;
    s.wrong_code = None;
    Some(id)
}

fn fail(s: &mut State, e: ErrorDetail, fx: &mut Vec<Effect>) {
    if e.code == "network" {
        fx.push(Effect::Tell(Told::NetworkError));
    }
    s.error = Some(e);
}

/// Asks the edge for the view, unless a poll is under way, the verification is final, or a
/// socket is open: **polling happens only while no socket is open** (the edge pushes every
/// change over it, a check's outcome too).
fn poll(s: &mut State, fx: &mut Vec<Effect>) {
    let Some(v) = &s.current else { return };
    let open = matches!(s.live.socket, Socket::Open { .. });
    if v.status.is_final() || s.polling || open {
        return;
    }
    s.polling = true;
    fx.push(Effect::Request(Request::Poll {
        id: v.verification_id.clone(),
    }));
}

/// Every change of view goes through here: the page is told what it must hear once, the
/// socket follows the pending verification, and focus moves to a new step.
fn show(s: &mut State, view: VerificationView, fx: &mut Vec<Effect>) {
    if let (VerificationStatus::Verified, Some(token)) = (view.status, view.token.as_deref()) {
        if s.told_token.as_deref() != Some(token) {
            s.told_token = Some(token.to_owned());
            s.expired = false;
            fx.push(Effect::Tell(Told::Verified {
                token: token.to_owned(),
                id: view.verification_id.clone(),
                expires_at: view.token_expires_at.clone(),
            }));
        }
    }
    let ended = matches!(
        view.status,
        VerificationStatus::Failed | VerificationStatus::Expired
    );
    let attempt = (view.verification_id.clone(), view.expires_at.clone());
    if ended && s.told_failure.as_ref() != Some(&attempt) {
        s.told_failure = Some(attempt);
        fx.push(Effect::Tell(Told::Failed {
            code: view
                .failure
                .as_ref()
                .map_or_else(|| "expired".to_owned(), |f| f.code.clone()),
            id: view.verification_id.clone(),
        }));
    }
    let moved = s.current.as_ref().is_none_or(|c| {
        (c.verification_id.as_str(), c.channel) != (view.verification_id.as_str(), view.channel)
    });
    let pending = view.status == VerificationStatus::Pending;
    if moved || !pending {
        fx.push(Effect::StopListening);
    }
    if moved && pending && view.channel == Channel::Sms {
        fx.push(Effect::ListenForSms);
    }
    s.current = Some(view);
    follow(s, fx);
    if moved && pending {
        fx.push(Effect::Focus(Focus::Step));
    }
}

/// The socket follows the pending verification shown, and only it.
fn follow(s: &mut State, fx: &mut Vec<Effect>) {
    let pending = s.pending_id();
    if pending == s.live.following {
        return;
    }
    if s.live.socket != Socket::Closed {
        fx.push(Effect::CloseSocket);
    }
    s.live = Live {
        following: pending.clone(),
        ..Live::default()
    };
    if let Some(id) = pending {
        s.live.socket = Socket::Opening;
        fx.push(Effect::OpenSocket(id));
    }
}

fn heard(s: &mut State) {
    if let Socket::Open {
        heard_at,
        pinged_at,
        ..
    } = &mut s.live.socket
    {
        *heard_at = s.now_ms;
        *pinged_at = None;
    }
}

/// Milliseconds before reconnecting after `failures` sockets in a row failed: 1 s, doubling,
/// at most 30 s.
pub fn backoff_ms(failures: u32) -> f64 {
    (1000.0 * f64::from(1u32 << failures.min(5))).min(30_000.0)
}

fn dropped(live: &mut Live, now: f64) {
    live.retry_at = now + backoff_ms(live.failures);
    live.failures += 1;
}

/// A second passed: the clock, the token's end, the socket's health, and a poll while no
/// socket is open.
fn tick(s: &mut State, now_ms: f64, online: bool, fx: &mut Vec<Effect>) {
    s.now_ms = now_ms;
    let token_end = s
        .current
        .as_ref()
        .filter(|v| v.status == VerificationStatus::Verified)
        .and_then(|v| v.token_expires_at.as_deref())
        .map(s.rules.time);
    if token_end.is_some_and(|end| now_ms >= end) && !s.expired {
        s.expired = true;
        fx.push(Effect::Tell(Told::Expired));
    }
    if s.live.following.is_none() {
        return;
    }
    // Back online after a network change: a socket is tried again at once.
    if !online {
        s.live.offline = true;
    } else if std::mem::take(&mut s.live.offline) {
        s.live.failures = 0;
        s.live.retry_at = 0.0;
    }
    if let Socket::Open {
        opened_at,
        heard_at,
        pinged_at,
    } = s.live.socket
    {
        if now_ms - opened_at >= STEADY_AFTER_MS {
            s.live.failures = 0;
        }
        match pinged_at {
            None if now_ms - heard_at >= PING_AFTER_MS => {
                s.live.socket = Socket::Open {
                    opened_at,
                    heard_at,
                    pinged_at: Some(now_ms),
                };
                fx.push(Effect::Ping);
                return;
            }
            Some(at) if now_ms - at >= PONG_WITHIN_MS => {
                fx.push(Effect::CloseSocket);
                s.live.socket = Socket::Closed;
                dropped(&mut s.live, now_ms);
            }
            _ => return,
        }
    }
    // No socket open: poll, and try a socket again once the back-off allows.
    poll(s, fx);
    if s.live.socket == Socket::Closed && now_ms >= s.live.retry_at {
        if let Some(id) = s.live.following.clone() {
            s.live.socket = Socket::Opening;
            fx.push(Effect::OpenSocket(id));
        }
    }
}

#[cfg(test)]
mod tests;
