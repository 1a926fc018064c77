//! Telling a site about a verification's outcome, at least once.
//!
//! When a verification can no longer change (see `Session::is_final`) it yields one [`Event`].
//! A [`Callback`] carries that event to the site's callback URL: the first attempt at once, then
//! retries on Standard Webhooks' schedule while the site answers anything but 2xx or does not
//! answer, for about 27 hours. Every attempt is signed afresh (`signature`), with the same event
//! id, which is the site's idempotency key. The Worker keeps each delivery in a Durable Object
//! whose alarm runs the attempts; this module decides what each attempt sends and what follows.

#[cfg(test)]
mod tests;

use crate::phone::E164;
use crate::providers::{Cost, Outgoing};
use crate::session::{Session, State};
use crate::signature::{self, EVENT_ID, SIGNATURE, SIGNED_AT};
use crate::time::Timestamp;
use ringproof_api::{
    CallbackAttempt, CallbackEvent, CallbackFormat, CallbackState, CallbackType, CallbackView,
    ErrorDetail, OneRingCallback, ProviderCost, VerificationOutcome, VerificationStatus,
};
use serde::{Deserialize, Serialize};

/// Waits between attempts: Standard Webhooks' schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
/// 10 h). Eight attempts spread over 27 h 35 min, so a site down for a day still hears.
pub const RETRY_SECS: [u64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/// How long a site's callback URL may take to answer before the attempt counts as failed.
pub const TIMEOUT_SECS: u64 = 10;
/// A finished delivery's record stays this long for the site to inspect.
pub const KEEP_SECS: u64 = crate::keys::FINISHED_TTL_SECS;

/// A verification's outcome, as it will be told to its site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `evt_<verification id>`: one outcome per verification, so one id, whatever the retries.
    pub id: String,
    pub kind: CallbackType,
    pub site_key: String,
    pub outcome: VerificationOutcome,
    /// Missed call: the inbound number the visitor called (OneRing's `VerificationChannel`).
    #[serde(alias = "called_number")]
    pub inbound_number: Option<E164>,
}

/// The event of a verification that has reached its final outcome; `None` while it may still
/// change.
pub fn event(session: &Session, now: Timestamp) -> Option<Event> {
    if !session.is_final(now) {
        return None;
    }
    let record = session.finished_record(now);
    let (kind, failure, call_time) = match session.state {
        State::Verified { call_time, .. } => (CallbackType::Verified, None, call_time),
        State::Failed { reason, .. } => (CallbackType::Failed, Some(reason.detail()), None),
        State::Pending => (
            CallbackType::Failed,
            Some(ErrorDetail {
                code: "expired".into(),
                message: "The time to confirm the number ran out.".into(),
                retry_after: None,
                reason: None,
            }),
            None,
        ),
    };
    let status = match kind {
        CallbackType::Verified => VerificationStatus::Verified,
        CallbackType::Failed if failure.as_ref().is_some_and(|f| f.code == "expired") => {
            VerificationStatus::Expired
        }
        CallbackType::Failed => VerificationStatus::Failed,
    };
    Some(Event {
        id: format!("evt_{}", session.id),
        kind,
        site_key: session.site_key.clone(),
        outcome: VerificationOutcome {
            verification_id: session.id.clone(),
            client_transaction_id: session.client_transaction_id.clone(),
            phone: session.phone.as_str().to_owned(),
            channel: session.attempt.channel,
            status,
            created_at: record.created_at.to_rfc3339(),
            finished_at: record.finished_at.to_rfc3339(),
            call_time: call_time.map(Timestamp::to_rfc3339),
            failure,
            attempts: record.attempts,
            costs: costs(session),
        },
        inbound_number: session.attempt.inbound_number.clone(),
    })
}

/// The number every test callback names: in Ofcom's range for drama (London), so it reaches
/// no one, and every phone library reads it.
pub const TEST_PHONE: &str = "+442079460000";

/// A verified outcome that never happened, for the owner's "send a test callback": the same
/// shape, signature and format as a real one, its ids marked `test_` and its number
/// [`TEST_PHONE`]. A random nonce keeps two tests apart.
pub fn test_event(site_key: &str, rng: &mut impl crate::Randomness, now: Timestamp) -> Event {
    let nonce = rng.token(12);
    let at = now.to_rfc3339();
    Event {
        id: format!("evt_test_{nonce}"),
        kind: CallbackType::Verified,
        site_key: site_key.to_owned(),
        outcome: VerificationOutcome {
            verification_id: format!("test_{nonce}"),
            client_transaction_id: Some("ringproof-test-callback".into()),
            phone: TEST_PHONE.into(),
            channel: ringproof_api::Channel::MissedCall,
            status: VerificationStatus::Verified,
            created_at: at.clone(),
            finished_at: at.clone(),
            call_time: Some(at),
            failure: None,
            attempts: 1,
            costs: vec![],
        },
        inbound_number: crate::phone::normalise("+442079460990", None).ok(),
    }
}

/// What providers have reported charging so far. A report may come after the outcome (an SMS
/// delivery report after the code was typed): a delivery still pending then carries it.
pub fn costs(session: &Session) -> Vec<ProviderCost> {
    session.costs.iter().map(Cost::public).collect()
}

/// Whether a site with `format` hears about `kind` at all: OneRing calls back only for
/// verified numbers, so a OneRing-style site is not sent failures.
pub fn carries(format: CallbackFormat, kind: CallbackType) -> bool {
    format == CallbackFormat::Json || kind == CallbackType::Verified
}

/// Whether `site` wants events of `kind` at all: it has a callback URL, and its format carries
/// them. A delivery is started only for a site that does.
pub fn wants(site: &crate::site::Site, kind: CallbackType) -> bool {
    site.callback_url.is_some() && carries(site.callback_format, kind)
}

/// Why a site is not sent an event or an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsent {
    NoSite,
    NoCallbackUrl,
    /// The site's format has no such message (OneRing's carries verified numbers only).
    NotCarried,
    /// Nothing to sign with: no `SITE_SECRET_KEY`, or a site made before signing, whose owner
    /// must rotate its secret once.
    Unsigned,
}

impl Unsent {
    /// As the console shows an alert's delivery.
    pub fn code(self) -> &'static str {
        match self {
            Unsent::NoSite => "no_site",
            Unsent::NoCallbackUrl => "no_callback_url",
            Unsent::NotCarried => "format_without_alerts",
            Unsent::Unsigned => "unsigned",
        }
    }

    /// As the owner's "send a test callback" is told it.
    pub fn error(self) -> crate::ApiError {
        crate::ApiError::InvalidRequest(
            match self {
                Unsent::NoSite => return crate::ApiError::UnknownSite,
                Unsent::NoCallbackUrl => "this activity has no callback URL",
                Unsent::NotCarried => "this activity's callback format has no such message",
                Unsent::Unsigned => "rotate the secret once to sign callbacks",
            }
            .into(),
        )
    }

    /// As a verification's delivery counts it: a site that wants nothing ends the delivery;
    /// a site we cannot sign for is ours to fix, so the schedule keeps trying meanwhile.
    pub fn attempt(self) -> AttemptResult {
        match self {
            Unsent::Unsigned => AttemptResult::ConnectionFailed,
            Unsent::NoSite | Unsent::NoCallbackUrl | Unsent::NotCarried => {
                AttemptResult::NoCallback
            }
        }
    }
}

/// Where a message of `kind` goes for `site` (`None`: the site is gone), and the secret it is
/// signed with, derived from the deployment's `master` key (`None`: not configured).
pub fn recipient(
    site: Option<&crate::site::Site>,
    kind: Option<CallbackType>,
    master: Option<&[u8]>,
) -> Result<(String, String), Unsent> {
    let site = site.ok_or(Unsent::NoSite)?;
    let url = site.callback_url.clone().ok_or(Unsent::NoCallbackUrl)?;
    // An alert (no kind) has no OneRing form.
    let carried = match kind {
        Some(kind) => carries(site.callback_format, kind),
        None => site.callback_format == CallbackFormat::Json,
    };
    if !carried {
        return Err(Unsent::NotCarried);
    }
    let secret = master
        .and_then(|m| site.secret(m))
        .ok_or(Unsent::Unsigned)?;
    Ok((url, secret))
}

/// The signed request of one attempt to deliver `event` to `site`, or why none is sent.
pub fn address(
    event: &Event,
    site: Option<&crate::site::Site>,
    master: Option<&[u8]>,
    now: Timestamp,
) -> Result<Outgoing, Unsent> {
    let (url, secret) = recipient(site, Some(event.kind), master)?;
    let format = site.map_or(CallbackFormat::Json, |s| s.callback_format);
    Ok(request(event, format, &url, secret.as_bytes(), now))
}

/// The request of one attempt to deliver `event` to `url`, signed with `key` (the site
/// secret's bytes) at `now`.
pub fn request(
    event: &Event,
    format: CallbackFormat,
    url: &str,
    key: &[u8],
    now: Timestamp,
) -> Outgoing {
    match format {
        CallbackFormat::Json => json_request(event, url, key, now),
        CallbackFormat::OneringGet => onering_request(event, url, key, now),
    }
}

/// The JSON body; the same bytes on every attempt.
pub fn json_body(event: &Event) -> String {
    let body = CallbackEvent {
        kind: event.kind,
        timestamp: event.outcome.finished_at.clone(),
        data: event.outcome.clone(),
    };
    serde_json::to_string(&body).expect("callback events serialise")
}

fn json_request(event: &Event, url: &str, key: &[u8], now: Timestamp) -> Outgoing {
    let body = json_body(event);
    let ts = now.secs();
    Outgoing {
        method: "POST",
        url: url.to_owned(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("webhook-id".into(), event.id.clone()),
            ("webhook-timestamp".into(), ts.to_string()),
            (
                "webhook-signature".into(),
                signature::webhook_signature(key, &event.id, ts, &body),
            ),
        ],
        body: Some(body),
    }
}

/// The seed's fields for a verified event.
pub fn onering_fields(event: &Event) -> OneRingCallback {
    let o = &event.outcome;
    OneRingCallback {
        verified_mobile_number: o.phone.trim_start_matches('+').to_owned(),
        verification_channel: event
            .inbound_number
            .as_ref()
            .map_or_else(|| o.channel.as_str().to_owned(), |n| n.as_str().to_owned()),
        activity_token_id: o.verification_id.clone(),
        client_transaction_id: o.client_transaction_id.clone().unwrap_or_default(),
        mobile_status: "verified".into(),
        transaction_time: o.finished_at.clone(),
        customer_call_time: o.call_time.clone().unwrap_or_else(|| o.finished_at.clone()),
    }
}

fn onering_request(event: &Event, url: &str, key: &[u8], now: Timestamp) -> Outgoing {
    let (base, existing) = match url.split_once('?') {
        Some((b, q)) => (b, q.split('#').next().unwrap_or_default()),
        None => (url.split('#').next().unwrap_or(url), ""),
    };
    // The site sees its own parameters too, so they are signed with ours.
    let mut all: Vec<(String, String)> = serde_urlencoded::from_str(existing).unwrap_or_default();
    let fields = serde_urlencoded::to_string(onering_fields(event)).expect("flat struct");
    let mut ours: Vec<(String, String)> = serde_urlencoded::from_str(&fields).expect("just made");
    ours.push((EVENT_ID.into(), event.id.clone()));
    ours.push((SIGNED_AT.into(), now.secs().to_string()));
    all.extend(ours.iter().cloned());
    let sig = signature::query_signature(key, &all, now.secs());
    ours.push((SIGNATURE.into(), sig));
    let query = serde_urlencoded::to_string(&ours).expect("pairs of strings");
    let sep = if existing.is_empty() { '?' } else { '&' };
    let prefix = if existing.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{existing}")
    };
    Outgoing {
        method: "GET",
        url: format!("{prefix}{sep}{query}"),
        headers: vec![("idempotency-key".into(), event.id.clone())],
        body: None,
    }
}

/// How one attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", content = "status", rename_all = "snake_case")]
pub enum AttemptResult {
    Answered(u16),
    TimedOut,
    ConnectionFailed,
    /// The site no longer has a callback URL, or no longer wants this kind of event.
    NoCallback,
}

impl AttemptResult {
    /// An attempt that got no answer.
    pub fn unanswered(e: crate::providers::SendError) -> AttemptResult {
        match e {
            crate::providers::SendError::TimedOut => AttemptResult::TimedOut,
            _ => AttemptResult::ConnectionFailed,
        }
    }

    /// A 2xx: the site has it.
    pub fn delivered(&self) -> bool {
        matches!(self, AttemptResult::Answered(s) if (200..300).contains(s))
    }

    /// The status the site answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            AttemptResult::Answered(s) => Some(*s),
            _ => None,
        }
    }

    /// As the history and the console name it: `delivered` (2xx), the status the site
    /// answered (`http_500`), `timeout` or `unreachable`; none when nothing was sent.
    pub fn outcome(&self) -> Option<String> {
        Some(match self {
            AttemptResult::Answered(_) if self.delivered() => "delivered".to_owned(),
            AttemptResult::Answered(s) => format!("http_{s}"),
            AttemptResult::TimedOut => "timeout".to_owned(),
            AttemptResult::ConnectionFailed => "unreachable".to_owned(),
            AttemptResult::NoCallback => return None,
        })
    }
}

/// How much of a site's answer the owner is shown (it may be a whole error page).
pub const ANSWER_EXCERPT_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub at: Timestamp,
    pub result: AttemptResult,
    pub duration_ms: u64,
}

/// One event on its way to one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    pub event: Event,
    pub format: CallbackFormat,
    pub state: CallbackState,
    pub attempts: Vec<AttemptRecord>,
    /// While pending: when the next attempt is due.
    pub next_at: Option<Timestamp>,
}

impl Callback {
    /// A delivery whose first attempt is due at once.
    pub fn new(event: Event, format: CallbackFormat, now: Timestamp) -> Self {
        Callback {
            event,
            format,
            state: CallbackState::Pending,
            attempts: vec![],
            next_at: Some(now),
        }
    }

    pub fn is_due(&self, now: Timestamp) -> bool {
        self.state == CallbackState::Pending && self.next_at.is_some_and(|t| now >= t)
    }

    /// Records an attempt that started at `at`. A 2xx delivers; anything else waits the next
    /// step of `schedule`, or gives up when the schedule is spent.
    pub fn record(
        &mut self,
        result: AttemptResult,
        at: Timestamp,
        now: Timestamp,
        schedule: &[u64],
    ) {
        self.attempts.push(AttemptRecord {
            at,
            result,
            duration_ms: now.millis().saturating_sub(at.millis()),
        });
        let failures = self.attempts.len();
        let (state, next) = match result {
            AttemptResult::Answered(s) if (200..300).contains(&s) => {
                (CallbackState::Delivered, None)
            }
            AttemptResult::NoCallback => (CallbackState::GaveUp, None),
            _ => match schedule.get(failures - 1) {
                Some(&wait) => (CallbackState::Pending, Some(now.plus_secs(wait))),
                None => (CallbackState::GaveUp, None),
            },
        };
        self.state = state;
        self.next_at = next;
    }

    /// The owner's "send again" for a delivery that gave up: one more attempt now; if it fails
    /// too, the delivery gives up again. Nothing for one delivered or still trying.
    pub fn again(&mut self, now: Timestamp) -> bool {
        if self.state != CallbackState::GaveUp {
            return false;
        }
        self.state = CallbackState::Pending;
        self.next_at = Some(now);
        true
    }

    /// The delivery, if it is to `site_key`: another site's reads as none at all.
    pub fn of_site(self, site_key: &str) -> Option<Callback> {
        (self.event.site_key == site_key).then_some(self)
    }

    /// Whether a finished delivery's record has been kept long enough ([`KEEP_SECS`]) and
    /// its object may forget it.
    pub fn may_forget(&self, now: Timestamp) -> bool {
        self.state != CallbackState::Pending && now >= self.wake_at()
    }

    /// Providers' reported costs, to carry in the event: only while it is still to be sent
    /// (the site can always read them from its transaction lookup). Answers whether it took
    /// them.
    pub fn take_costs(&mut self, costs: Vec<ProviderCost>) -> bool {
        if self.state != CallbackState::Pending {
            return false;
        }
        self.event.outcome.costs = costs;
        true
    }

    /// When its object should wake next: for the next attempt, or to forget a finished one.
    pub fn wake_at(&self) -> Timestamp {
        match self.next_at {
            Some(t) => t,
            None => self
                .attempts
                .last()
                .map_or(Timestamp(0), |a| a.at)
                .plus_secs(KEEP_SECS),
        }
    }

    pub fn view(&self) -> CallbackView {
        CallbackView {
            event_id: self.event.id.clone(),
            event_type: self.event.kind,
            format: self.format,
            state: self.state,
            attempts: self
                .attempts
                .iter()
                .map(|a| {
                    let (status, error) = match a.result {
                        AttemptResult::Answered(s) => (Some(s), None),
                        AttemptResult::TimedOut => (None, Some("timeout")),
                        AttemptResult::ConnectionFailed => (None, Some("connection_failed")),
                        AttemptResult::NoCallback => (None, Some("no_callback_url")),
                    };
                    CallbackAttempt {
                        at: a.at.to_rfc3339(),
                        status,
                        error: error.map(str::to_owned),
                        duration_ms: a.duration_ms,
                    }
                })
                .collect(),
            next_attempt_at: self.next_at.map(Timestamp::to_rfc3339),
        }
    }
}

/// How long a site's callback URL may take to answer: `configured`
/// (`CALLBACK_TIMEOUT_SECS`, which tests shorten), or [`TIMEOUT_SECS`].
pub fn timeout_secs(configured: Option<&str>) -> u64 {
    configured
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(TIMEOUT_SECS)
}

/// The retry schedule: [`RETRY_SECS`], or a deployment's `CALLBACK_RETRY_SECS` (seconds,
/// comma-separated), which tests shorten. An unreadable override keeps the default.
pub fn schedule(configured: Option<&str>) -> Vec<u64> {
    configured
        .and_then(|s| {
            s.split(',')
                .map(|p| p.trim().parse::<u64>().ok())
                .collect::<Option<Vec<u64>>>()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| RETRY_SECS.to_vec())
}
