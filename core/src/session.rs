//! A verification's life. It is made of attempts, one channel each: the visitor may resend or
//! switch to another of the site's channels without retyping the number. The verification is
//! pending while its current attempt is; it becomes verified by the matching call or code,
//! failed when the provider or the checks give out, or expired when the attempt's time is up.
//!
//! The Worker keeps each session in a Durable Object of its own, which runs these transitions
//! one at a time; this module decides them.

use crate::code::{self, StoredCode};
use crate::error::ApiError;
use crate::failure::FailureReason;
use crate::origin::Follower;
use crate::phone::E164;
use crate::providers::{Cost, DeliveryEvent, Dispatch, Payload, ProviderId, Sent};
use crate::random::Randomness;
use crate::siteverify::SiteverifyError;
use crate::texts::Language;
use crate::time::Timestamp;
use crate::token;
use ringproof_api::paths;
use ringproof_api::{
    Channel, CheckResult, Delivery, SiteverifyResponse, TransactionView, VerificationStatus,
    VerificationView,
};
use serde::{Deserialize, Serialize};

/// How long an attempt lasts: the missed-call window, and how long a code is valid.
pub const ATTEMPT_SECS: u64 = 10 * 60;
/// How long a token may wait before the site checks it (Turnstile's figure).
pub const TOKEN_TTL_SECS: u64 = 5 * 60;
/// How long after it was verified a verification may still have its token renewed.
pub const RENEW_WITHIN_SECS: u64 = 10 * 60;
/// Codes and calls one verification may send, all channels together.
pub const MAX_SENDS: u32 = 5;
/// A provider's clock may run a little ahead of ours.
const CLOCK_SKEW_SECS: u64 = 60;

/// How long a sent code may go unreported before the visitor is offered the next channel: a
/// flash call rings within seconds, an SMS usually lands within half a minute, and a voice
/// call rings (up to 30 s), is answered and speaks the code twice, and reports when it ends.
pub fn fallback_secs(channel: Channel) -> u64 {
    match channel {
        Channel::FlashCall => 20,
        Channel::Sms => 30,
        Channel::VoiceCall => 60,
        Channel::MissedCall => ATTEMPT_SECS,
    }
}

/// The rules a deployment may tune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// While an attempt is pending, a resend or a switch waits this long after it started.
    pub resend_cooldown_secs: u64,
    /// How long a token may wait before the site checks it.
    pub token_ttl_secs: u64,
    /// How long an attempt is accepted.
    pub attempt_secs: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            resend_cooldown_secs: 30,
            token_ttl_secs: TOKEN_TTL_SECS,
            attempt_secs: ATTEMPT_SECS,
        }
    }
}

impl Policy {
    /// The deployment's policy: each setting it names (`var(name)`: `RESEND_COOLDOWN_SECS`,
    /// `TOKEN_TTL_SECS`, `ATTEMPT_SECS`, which tests shorten) replaces the default; one that
    /// is not a number of seconds is ignored.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Policy {
        let secs = |name: &str, default: u64| {
            var(name)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(default)
        };
        let d = Policy::default();
        Policy {
            resend_cooldown_secs: secs("RESEND_COOLDOWN_SECS", d.resend_cooldown_secs),
            token_ttl_secs: secs("TOKEN_TTL_SECS", d.token_ttl_secs),
            attempt_secs: secs("ATTEMPT_SECS", d.attempt_secs),
        }
    }
}

/// Digits and allowed checks for a channel's code. The flash-call code is the caller number's
/// last four digits: 13 bits, below the 20 NIST SP 800-63B asks for, so it gets fewer checks.
fn code_shape(channel: Channel) -> Option<(u8, u32)> {
    match channel {
        Channel::MissedCall => None,
        Channel::FlashCall => Some((4, 3)),
        Channel::Sms | Channel::VoiceCall => Some((6, 5)),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub site_key: String,
    pub phone: E164,
    /// The page origin that started it; status reads must come from the same origin.
    pub origin: String,
    /// The site's domain for that page, as the site configured it: what texts name.
    #[serde(default)]
    pub domain: String,
    /// The language texts are written in: one the edge has texts for, never what a caller sent.
    #[serde(default)]
    pub language: Option<Language>,
    pub client_transaction_id: Option<String>,
    pub created_at: Timestamp,
    /// The site's channels, in its order.
    pub channels: Vec<Channel>,
    pub attempt: Attempt,
    /// Codes and calls sent so far, across attempts.
    pub sends: u32,
    pub state: State,
    /// Calls to our number from other callers while this session was pending: kept for review.
    pub unmatched_calls: u32,
    /// What providers charged, where they say (TeleSign's callback does): for the site's reports.
    #[serde(default)]
    pub costs: Vec<Cost>,
    /// The policy's token life when the session began.
    #[serde(default = "default_token_ttl")]
    pub token_ttl_secs: u64,
    /// Made with a test key: codes are `code::TEST_CODE` and nothing is sent.
    #[serde(default)]
    pub test: bool,
    /// The page's `action` and `cdata`, checked by `ids`, echoed by siteverify.
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub cdata: Option<String>,
    /// Reports on a send this session has not heard of yet: the edge binds a send's reference
    /// and tells the session of it at once, so a fast provider's webhook may arrive first.
    /// Applied when the send is told; a few at most, only while the attempt awaits its send.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub early: Vec<(String, DeliveryEvent)>,
}

/// How many early reports a session keeps: a send has a handful of states.
const EARLY_REPORTS_MAX: usize = 4;

fn default_token_ttl() -> u64 {
    TOKEN_TTL_SECS
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1 for the first attempt, then counting.
    #[serde(alias = "number")]
    pub ordinal: u32,
    pub channel: Channel,
    pub started_at: Timestamp,
    pub expires_at: Timestamp,
    /// While pending, a resend or a switch is refused before this.
    pub resend_at: Timestamp,
    /// Missed call: the inbound number the visitor must call.
    #[serde(default, alias = "assigned_number")]
    pub inbound_number: Option<E164>,
    #[serde(default)]
    pub code: Option<StoredCode>,
    /// The provider's id for the call or message, once it has accepted it.
    #[serde(default, alias = "reference")]
    pub reference: Option<String>,
    #[serde(default)]
    pub caller_hint: Option<String>,
    #[serde(default)]
    pub delivery: Option<Delivery>,
    /// Who carried the code, once sent (a test key's: nobody).
    #[serde(default)]
    pub provider: Option<ProviderId>,
    /// When the provider accepted the send.
    #[serde(default)]
    pub sent_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    Pending,
    Verified {
        at: Timestamp,
        /// Missed call: when the call was placed, as the provider reports it.
        #[serde(default)]
        call_time: Option<Timestamp>,
        token_spent: bool,
        /// When the live token was issued, if it was renewed after `at` (see
        /// [`Session::renew_token`]); tokens are bound to this instant.
        #[serde(default)]
        token_at: Option<Timestamp>,
    },
    Failed {
        at: Timestamp,
        reason: FailureReason,
    },
}

/// What a reported missed call did to a session: the missed-call webhook's `outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// This call verified the session.
    Verified,
    /// The session was already verified by this caller: a repeated webhook, harmless.
    Repeat,
    /// Someone else called, or the call was for another number: recorded, nothing changes.
    Unmatched,
    /// The call came after the deadline.
    TooLate,
}

impl CallOutcome {
    /// As its serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Verified => "verified",
            CallOutcome::Repeat => "repeat",
            CallOutcome::Unmatched => "unmatched",
            CallOutcome::TooLate => "too_late",
        }
    }
}

/// What a provider's delivery report did: the MCN and TeleSign webhooks' `outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Applied,
    /// A repeat, a report on an earlier attempt, or one after the outcome.
    Unchanged,
    /// No verification knows the reference. Still answered 200: a provider retrying it
    /// forever helps no one.
    UnknownReference,
}

/// What the Worker may know of a verification to route a request: never its code's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub id: String,
    pub site_key: String,
    pub phone: E164,
    /// The page origin that started it.
    pub origin: String,
    /// The current attempt's channel.
    pub channel: Channel,
    /// Missed call: the inbound number the visitor calls.
    pub inbound_number: Option<E164>,
    /// What decides whether another attempt may begin (see [`Summary::may_begin`]), so the
    /// Worker can refuse one before it reserves a line for it.
    #[serde(default)]
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub sends: u32,
    #[serde(default)]
    pub verified: bool,
    /// While the current attempt is pending: when another may begin.
    #[serde(default)]
    pub resend_at: Option<Timestamp>,
}

impl Summary {
    /// What never changes of it, which an isolate may remember (`known::Known`).
    pub fn facts(&self) -> crate::known::Facts {
        crate::known::Facts {
            site_key: self.site_key.clone(),
            phone: self.phone.clone(),
            origin: self.origin.clone(),
        }
    }

    /// Whether an attempt on `channel` frees the line the current one holds: no longer
    /// waiting for a call, the caller's allowance is free for its next one.
    pub fn leaves_line(&self, channel: Channel) -> bool {
        self.channel == Channel::MissedCall && channel != Channel::MissedCall
    }

    /// Whether an attempt on `channel` may begin at `now`.
    pub fn may_begin(&self, channel: Channel, now: Timestamp) -> Result<(), ApiError> {
        if self.verified {
            return Err(ApiError::NotPending(VerificationStatus::Verified));
        }
        if !self.channels.contains(&channel) {
            return Err(ApiError::ChannelNotAvailable(channel));
        }
        if self.sends >= MAX_SENDS {
            return Err(ApiError::TooManySends);
        }
        if let Some(at) = self.resend_at.filter(|at| now < *at) {
            // Rounded up, so waiting the advertised time is always enough.
            return Err(ApiError::ResendTooSoon(
                (at.millis() - now.millis()).div_ceil(1000),
            ));
        }
        Ok(())
    }
}

/// A check spent on a typed code (normalised), not yet compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentCheck {
    typed: String,
}

/// What a code check needs next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum CheckStep {
    Done(CheckResult),
    /// Voice call: Phone Confirm must verify the code too. A check has been spent already.
    AskProvider {
        attempt: u32,
        /// Phone Confirm's `transaction_number` for the call.
        reference: String,
        code: String,
        local_match: bool,
    },
}

impl CheckStep {
    /// The verdict on a code of [`CheckStep::AskProvider`]: the provider's, and our own hash's
    /// (`local_match`); both must agree.
    pub fn verdict(
        local_match: bool,
        provider: Result<bool, FailureReason>,
    ) -> Result<bool, FailureReason> {
        provider.map(|valid| valid && local_match)
    }
}

/// Whether a check found its code wrong, so that it counts against the number: a provider that
/// could not say blames no one.
pub fn found_wrong(verdict: &Result<bool, FailureReason>) -> bool {
    *verdict == Ok(false)
}

/// Whether a check the session compared by itself found its code wrong: a compared code that
/// did not verify was wrong.
pub fn compared_wrong(result: &CheckResult) -> bool {
    result.status != VerificationStatus::Verified
}

/// What is kept in KV once a session has finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedRecord {
    pub verification_id: String,
    pub site_key: String,
    pub phone: String,
    pub channel: Channel,
    pub status: VerificationStatus,
    #[serde(default)]
    pub failure: Option<FailureReason>,
    pub client_transaction_id: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Timestamp,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub costs: Vec<Cost>,
}

impl FinishedRecord {
    /// `None` for a verification started without a ClientTransactionId.
    pub fn transaction_view(&self) -> Option<TransactionView> {
        let finished = self.status.is_final();
        Some(TransactionView {
            verification_id: self.verification_id.clone(),
            client_transaction_id: self.client_transaction_id.clone()?,
            status: self.status,
            channel: self.channel,
            phone: self.phone.clone(),
            created_at: self.created_at.to_rfc3339(),
            finished_at: finished.then(|| self.finished_at.to_rfc3339()),
            failure: self.failure.map(|f| f.code().to_owned()),
            costs: self.costs.iter().map(Cost::public).collect(),
        })
    }
}

/// A verification about to start, as the Worker has checked it against its site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSession {
    pub id: String,
    pub site_key: String,
    pub phone: E164,
    pub origin: String,
    pub domain: String,
    pub language: Option<Language>,
    pub client_transaction_id: Option<String>,
    pub channels: Vec<Channel>,
    pub test: bool,
    pub action: Option<String>,
    pub cdata: Option<String>,
}

/// Secrets and tools a transition that issues a code needs.
pub struct Issuer<'a, R: Randomness> {
    pub rng: &'a mut R,
    pub code_key: &'a [u8],
    pub policy: Policy,
}

impl Session {
    /// A new session and its first attempt on `channel`. `inbound` is the number to call, for
    /// a missed call.
    pub fn start<R: Randomness>(
        new: NewSession,
        channel: Channel,
        inbound_number: Option<E164>,
        issuer: &mut Issuer<'_, R>,
        now: Timestamp,
    ) -> Result<(Session, Dispatch), ApiError> {
        let mut s = Session {
            id: new.id,
            site_key: new.site_key,
            phone: new.phone,
            origin: new.origin,
            domain: new.domain,
            language: new.language,
            client_transaction_id: new.client_transaction_id,
            created_at: now,
            channels: new.channels,
            attempt: Attempt {
                ordinal: 0,
                channel,
                started_at: now,
                expires_at: now,
                resend_at: now,
                inbound_number: None,
                code: None,
                reference: None,
                caller_hint: None,
                delivery: None,
                provider: None,
                sent_at: None,
            },
            sends: 0,
            state: State::Pending,
            unmatched_calls: 0,
            costs: vec![],
            token_ttl_secs: issuer.policy.token_ttl_secs,
            test: new.test,
            action: new.action,
            cdata: new.cdata,
            early: Vec::new(),
        };
        let dispatch = s.begin(channel, inbound_number, issuer, now)?;
        Ok((s, dispatch))
    }

    /// A new attempt: a resend on the same channel, or a switch to another. While the current
    /// attempt is pending this waits for the cool-down; after a failure or expiry it does not,
    /// since nothing is on its way to the visitor.
    pub fn begin<R: Randomness>(
        &mut self,
        channel: Channel,
        inbound_number: Option<E164>,
        issuer: &mut Issuer<'_, R>,
        now: Timestamp,
    ) -> Result<Dispatch, ApiError> {
        self.summary_at(now).may_begin(channel, now)?;
        let ordinal = self.attempt.ordinal + 1;
        let binding = format!("{}/{ordinal}", self.id);
        let (code, stored) = match code_shape(channel) {
            Some((len, checks)) if self.test => {
                let c = code::test_code(len);
                let s = code::stored(issuer.code_key, &binding, &c, checks);
                (Some(c), Some(s))
            }
            Some((len, checks)) => {
                let (c, s) = code::issue(issuer.rng, issuer.code_key, &binding, len, checks);
                (Some(c), Some(s))
            }
            None => (None, None),
        };
        // A missed call with no line free: the attempt fails at once as `no_free_line`, so
        // the visitor is offered the site's other ways instead of a dead end.
        let payload = match (code, inbound_number.clone()) {
            (Some(code), _) => Payload::SendCode { code },
            (None, Some(inbound_number)) => Payload::AwaitCall { inbound_number },
            (None, None) => Payload::NoLine,
        };
        self.early.clear();
        self.attempt = Attempt {
            ordinal,
            channel,
            started_at: now,
            expires_at: now.plus_secs(issuer.policy.attempt_secs),
            resend_at: now.plus_secs(issuer.policy.resend_cooldown_secs),
            inbound_number: if channel == Channel::MissedCall {
                inbound_number
            } else {
                None
            },
            code: stored,
            reference: None,
            caller_hint: None,
            delivery: None,
            provider: None,
            sent_at: None,
        };
        self.sends += 1;
        self.state = match payload {
            Payload::NoLine => State::Failed {
                at: now,
                reason: FailureReason::NoFreeLine,
            },
            _ => State::Pending,
        };
        Ok(Dispatch {
            verification_id: self.id.clone(),
            attempt: ordinal,
            channel,
            phone: self.phone.clone(),
            domain: self.domain.clone(),
            language: self.language,
            expires_at: self.attempt.expires_at,
            payload,
        })
    }

    pub fn summary_at(&self, now: Timestamp) -> Summary {
        let pending = self.status(now) == VerificationStatus::Pending;
        Summary {
            id: self.id.clone(),
            site_key: self.site_key.clone(),
            phone: self.phone.clone(),
            origin: self.origin.clone(),
            channel: self.attempt.channel,
            inbound_number: self.attempt.inbound_number.clone(),
            channels: self.channels.clone(),
            sends: self.sends,
            verified: matches!(self.state, State::Verified { .. }),
            resend_at: pending.then_some(self.attempt.resend_at),
        }
    }

    pub fn status(&self, now: Timestamp) -> VerificationStatus {
        match self.state {
            State::Verified { .. } => VerificationStatus::Verified,
            State::Failed { .. } => VerificationStatus::Failed,
            State::Pending if now >= self.attempt.expires_at => VerificationStatus::Expired,
            State::Pending => VerificationStatus::Pending,
        }
    }

    fn is_current_and_pending(&self, attempt: u32, now: Timestamp) -> bool {
        attempt == self.attempt.ordinal && self.status(now) == VerificationStatus::Pending
    }

    /// The provider's answer to the send of attempt `attempt`.
    pub fn on_sent(&mut self, attempt: u32, result: Result<Sent, FailureReason>, now: Timestamp) {
        if !self.is_current_and_pending(attempt, now) {
            return;
        }
        match result {
            Ok(sent) => {
                self.attempt.reference = Some(sent.reference);
                self.attempt.caller_hint = sent.caller_hint;
                self.attempt.delivery = Some(Delivery::Sent);
                self.attempt.provider = sent.provider;
                self.attempt.sent_at = Some(now);
                for (reference, event) in std::mem::take(&mut self.early) {
                    self.on_delivery(&reference, event, now);
                }
            }
            Err(reason) => self.state = State::Failed { at: now, reason },
        }
        self.early.clear();
    }

    /// Whether the current attempt is a code on its way: begun, its send not yet told.
    fn awaits_send(&self, now: Timestamp) -> bool {
        self.attempt.code.is_some()
            && self.attempt.delivery.is_none()
            && self.is_current_and_pending(self.attempt.ordinal, now)
    }

    /// A provider's webhook about the call or message it knows as `reference`. Reports about
    /// an earlier attempt, or after the outcome, change nothing: webhooks may repeat or arrive
    /// late. Returns whether it changed anything.
    pub fn on_delivery(&mut self, reference: &str, event: DeliveryEvent, now: Timestamp) -> bool {
        if self.attempt.reference.is_none() && self.awaits_send(now) {
            if self.early.len() < EARLY_REPORTS_MAX {
                self.early.push((reference.to_owned(), event));
            }
            return false;
        }
        let current = self.attempt.reference.as_deref() == Some(reference);
        if !current || !self.is_current_and_pending(self.attempt.ordinal, now) {
            return false;
        }
        let before = (self.attempt.delivery, self.state.clone());
        match event {
            DeliveryEvent::Delivered => self.attempt.delivery = Some(Delivery::Delivered),
            // "Answered" may already have been reported; a late "not answered" must not undo it.
            DeliveryEvent::NotAnswered if self.attempt.delivery != Some(Delivery::Delivered) => {
                self.attempt.delivery = Some(Delivery::NotAnswered)
            }
            DeliveryEvent::NotAnswered | DeliveryEvent::InProgress => {}
            DeliveryEvent::Failed(reason) => self.state = State::Failed { at: now, reason },
        }
        before != (self.attempt.delivery, self.state.clone())
    }

    /// Records what a provider charged for `cost.reference`, once per reference.
    pub fn record_cost(&mut self, cost: Cost) {
        self.costs.retain(|c| c.reference != cost.reference);
        self.costs.push(cost);
    }

    /// A provider reports that `caller` called `called` at `call_time`; `now` is when we heard.
    pub fn on_missed_call(
        &mut self,
        caller: &E164,
        called: &E164,
        call_time: Timestamp,
        now: Timestamp,
    ) -> CallOutcome {
        let matches = self.attempt.channel == Channel::MissedCall
            && *caller == self.phone
            && self.attempt.inbound_number.as_ref() == Some(called);
        match self.state {
            State::Verified { .. } if matches => CallOutcome::Repeat,
            State::Verified { .. } | State::Failed { .. } => CallOutcome::Unmatched,
            State::Pending if !matches => {
                self.unmatched_calls += 1;
                CallOutcome::Unmatched
            }
            State::Pending => {
                // A call placed before the attempt began cannot prove anything about it.
                let placed_in_window = call_time.plus_secs(CLOCK_SKEW_SECS)
                    >= self.attempt.started_at
                    && call_time < self.attempt.expires_at;
                if !placed_in_window || self.status(now) != VerificationStatus::Pending {
                    return CallOutcome::TooLate;
                }
                self.state = State::Verified {
                    at: now,
                    call_time: Some(call_time),
                    token_spent: false,
                    token_at: None,
                };
                CallOutcome::Verified
            }
        }
    }

    /// A check's answer for `follower`: the result, with the view a status read would give the
    /// same caller (its token only if it may see it, `Follower::sees_token`), so a verified
    /// page needs no other request for it.
    pub fn answer_check(
        &self,
        result: CheckResult,
        follower: Follower,
        (token_key, base): (&[u8], &str),
        now: Timestamp,
    ) -> CheckResult {
        let view = self.view(token_key, base, now);
        let view = match follower.sees_token(&self.origin, base) {
            true => view,
            false => crate::origin::without_token(view),
        };
        CheckResult {
            view: Some(Box::new(view)),
            ..result
        }
    }

    /// A code the visitor typed. A check is spent before the code is compared, so concurrent
    /// checks can never try more codes than allowed.
    pub fn check_code(
        &mut self,
        typed: &str,
        code_key: &[u8],
        now: Timestamp,
    ) -> Result<CheckStep, ApiError> {
        let spent = self.spend_check(typed, now)?;
        self.compare(spent, code_key, now)
    }

    /// The first half of [`Session::check_code`]: every refusal the session itself can give,
    /// then one check spent (see [`Session::spend_locked_check`]).
    pub fn spend_check(&mut self, typed: &str, now: Timestamp) -> Result<SpentCheck, ApiError> {
        self.refuse_check(now)?;
        let channel = self.attempt.channel;
        let Some(stored) = self.attempt.code.as_mut() else {
            return Err(ApiError::CodeNotExpected(channel));
        };
        if stored.checks_left == 0 {
            return Err(ApiError::TooManyAttempts);
        }
        let Some(typed) = code::normalise(typed, stored.length) else {
            return Err(ApiError::InvalidRequest(format!(
                "the code is {} digits",
                stored.length
            )));
        };
        stored.checks_left -= 1;
        Ok(SpentCheck { typed })
    }

    /// A check that found the number locked: spent as a wrong code is (the last one fails the
    /// verification, so its page and its site hear the end), but nothing was compared.
    pub fn spend_locked_check(&mut self, typed: &str, now: Timestamp) -> Result<(), ApiError> {
        self.spend_check(typed, now)?;
        self.settle(false, now);
        Ok(())
    }

    /// The refusals of a check by the session's state alone.
    fn refuse_check(&self, now: Timestamp) -> Result<(), ApiError> {
        match self.state {
            State::Verified { .. } => Err(ApiError::NotPending(VerificationStatus::Verified)),
            State::Failed {
                reason: FailureReason::TooManyAttempts,
                ..
            } => Err(ApiError::TooManyAttempts),
            State::Failed { .. } => Err(ApiError::NotPending(VerificationStatus::Failed)),
            State::Pending if now >= self.attempt.expires_at => Err(ApiError::Expired),
            State::Pending => Ok(()),
        }
    }

    /// The second half of [`Session::check_code`], straight after the first: the spent
    /// check's code compared.
    fn compare(
        &mut self,
        spent: SpentCheck,
        code_key: &[u8],
        now: Timestamp,
    ) -> Result<CheckStep, ApiError> {
        let channel = self.attempt.channel;
        let binding = format!("{}/{}", self.id, self.attempt.ordinal);
        let Some(stored) = self.attempt.code.as_ref() else {
            return Err(ApiError::CodeNotExpected(channel));
        };
        let local_match = stored.matches(code_key, &binding, &spent.typed);
        let confirms = self
            .attempt
            .provider
            // A test key's call was never placed: its fixed code is its own verdict.
            .map_or(
                channel == Channel::VoiceCall && !self.test,
                ProviderId::confirms_codes,
            );
        if confirms {
            let Some(reference) = self.attempt.reference.clone() else {
                // The call was never placed, so no code can be right.
                return Ok(CheckStep::Done(self.settle(false, now)));
            };
            return Ok(CheckStep::AskProvider {
                attempt: self.attempt.ordinal,
                reference,
                code: spent.typed,
                local_match,
            });
        }
        Ok(CheckStep::Done(self.settle(local_match, now)))
    }

    /// The provider's verdict on a voice-call code (see [`CheckStep::AskProvider`]); the
    /// caller has already required our own hash to agree. A provider that cannot say fails the
    /// attempt, so the visitor is offered another way rather than left guessing.
    pub fn on_verdict(
        &mut self,
        attempt: u32,
        verdict: Result<bool, FailureReason>,
        now: Timestamp,
    ) -> CheckResult {
        if self.is_current_and_pending(attempt, now) {
            match verdict {
                Ok(valid) => return self.settle(valid, now),
                Err(reason) => self.state = State::Failed { at: now, reason },
            }
        }
        CheckResult {
            status: self.status(now),
            checks_left: self.checks_left(),
            view: None,
        }
    }

    fn checks_left(&self) -> u32 {
        self.attempt.code.as_ref().map_or(0, |c| c.checks_left)
    }

    fn settle(&mut self, right: bool, now: Timestamp) -> CheckResult {
        if right {
            self.state = State::Verified {
                at: now,
                call_time: None,
                token_spent: false,
                token_at: None,
            };
        } else if self.checks_left() == 0 {
            self.state = State::Failed {
                at: now,
                reason: FailureReason::TooManyAttempts,
            };
        }
        CheckResult {
            status: self.status(now),
            checks_left: self.checks_left(),
            view: None,
        }
    }

    /// When a code that was sent but is not reported delivered is given up on in favour of
    /// the site's next channel (TeleSign's `fallback_time` is the model): the widget offers
    /// that channel prominently from then, instead of leaving the visitor to wait for the
    /// attempt to expire. Only while pending, where there is another channel, for a provider
    /// that reports delivery at all (Phone Confirm does not), and never before the other
    /// channels may be chosen (the resend cool-down).
    pub fn fallback_at(&self, now: Timestamp) -> Option<Timestamp> {
        let a = &self.attempt;
        let other = self.channels.iter().any(|c| *c != a.channel);
        let waiting = a.delivery == Some(Delivery::Sent);
        let reports = a.provider.is_none_or(ProviderId::reports_delivery);
        let sent_at = a.sent_at?;
        (other && waiting && reports && self.status(now) == VerificationStatus::Pending)
            .then(|| sent_at.plus_secs(fallback_secs(a.channel)).max(a.resend_at))
    }

    /// What the widget sees. `base` is the edge's origin, for the number image's URL. The
    /// token is shown while it can still be spent.
    pub fn view(&self, token_key: &[u8], base: &str, now: Timestamp) -> VerificationView {
        let status = self.status(now);
        let a = &self.attempt;
        let live = self.live_token_at(now);
        let token = live.map(|at| token::issue(token_key, &self.id, at));
        let pending = status == VerificationStatus::Pending;
        VerificationView {
            verification_id: self.id.clone(),
            status,
            channel: a.channel,
            expires_at: a.expires_at.to_rfc3339(),
            other_channels: self
                .channels
                .iter()
                .copied()
                .filter(|c| *c != a.channel)
                .collect(),
            number_image_url: a.inbound_number.as_ref().map(|_| {
                format!(
                    "{base}{}",
                    paths::of_verification(&self.id, paths::NUMBER_IMAGE)
                )
            }),
            call_to_uri: a.inbound_number.as_ref().map(E164::tel_uri),
            call_qr_url: a
                .inbound_number
                .as_ref()
                .map(|_| format!("{base}{}", paths::of_verification(&self.id, paths::CALL_QR))),
            caller_hint: a.caller_hint.clone(),
            code_length: a.code.as_ref().map(|c| c.length),
            checks_left: a.code.as_ref().map(|c| c.checks_left),
            delivery: a.delivery,
            resend_at: pending.then(|| a.resend_at.to_rfc3339()),
            fallback_at: self.fallback_at(now).map(Timestamp::to_rfc3339),
            failure: match self.state {
                State::Failed { reason, .. } => Some(reason.detail()),
                _ => None,
            },
            token,
            token_expires_at: live
                .map(|at| at.plus_secs(self.token_ttl_secs).ceil_secs().to_rfc3339()),
            test: self.test,
            test_code: a
                .code
                .as_ref()
                .filter(|_| self.test)
                .map(|c| code::test_code(c.length)),
        }
    }

    /// Spends the token for the site `site_key`, whose secret the caller has already checked:
    /// another site's token reads as no token at all.
    pub fn redeem_for(
        &mut self,
        site_key: &str,
        token_key: &[u8],
        presented: &str,
        now: Timestamp,
    ) -> Result<SiteverifyResponse, SiteverifyError> {
        if self.site_key != site_key {
            return Err(SiteverifyError::InvalidInputResponse);
        }
        self.redeem(token_key, presented, now)
    }

    /// Spends the token. The caller has already checked the site secret.
    pub fn redeem(
        &mut self,
        token_key: &[u8],
        presented: &str,
        now: Timestamp,
    ) -> Result<SiteverifyResponse, SiteverifyError> {
        let State::Verified {
            at,
            ref mut token_spent,
            token_at,
            ..
        } = self.state
        else {
            return Err(SiteverifyError::InvalidInputResponse);
        };
        let issued = token_at.unwrap_or(at);
        if !token::is_valid(token_key, presented, &self.id, issued) {
            return Err(SiteverifyError::InvalidInputResponse);
        }
        if *token_spent || now >= issued.plus_secs(self.token_ttl_secs) {
            return Err(SiteverifyError::TimeoutOrDuplicate);
        }
        *token_spent = true;
        Ok(SiteverifyResponse {
            success: true,
            phone: Some(self.phone.as_str().to_owned()),
            channel: Some(self.attempt.channel),
            verified_at: Some(at.to_rfc3339()),
            client_transaction_id: self.client_transaction_id.clone(),
            hostname: crate::origin::Origin::parse(&self.origin).map(|o| o.host().to_owned()),
            action: self.action.clone(),
            cdata: self.cdata.clone(),
            test: self.test,
            error_codes: vec![],
        })
    }

    /// The instant the live token was issued at, while one can be spent.
    fn live_token_at(&self, now: Timestamp) -> Option<Timestamp> {
        match self.state {
            State::Verified {
                at,
                token_spent: false,
                token_at,
                ..
            } => {
                let issued = token_at.unwrap_or(at);
                (now < issued.plus_secs(self.token_ttl_secs)).then_some(issued)
            }
            _ => None,
        }
    }

    /// A fresh token for a verification whose token expired unspent, so a visitor who was
    /// slow to send the form needs no second call or SMS. Only while [`RENEW_WITHIN_SECS`] of
    /// the verification have not passed, never once a token was spent, and one live token at
    /// a time: a renewal invalidates nothing that could still be spent, and cannot turn one
    /// verification into several redemptions.
    pub fn renew_token(&mut self, now: Timestamp) -> Result<(), ApiError> {
        let status = self.status(now);
        let State::Verified {
            at,
            token_spent,
            ref mut token_at,
            ..
        } = self.state
        else {
            return Err(match status {
                VerificationStatus::Pending => {
                    ApiError::InvalidRequest("the verification is not verified yet".into())
                }
                other => ApiError::NotPending(other),
            });
        };
        let issued = token_at.unwrap_or(at);
        if token_spent || now >= at.plus_secs(RENEW_WITHIN_SECS) {
            return Err(ApiError::Expired);
        }
        if now >= issued.plus_secs(self.token_ttl_secs) {
            *token_at = Some(now);
        }
        Ok(())
    }

    /// Whether the outcome can no longer change, so the site may be told: verified; failed with
    /// no send left to try another way; or past [`Session::retain_until`], when a failed or
    /// expired attempt can no longer be followed by another.
    pub fn is_final(&self, now: Timestamp) -> bool {
        match self.state {
            State::Verified { .. } => true,
            State::Failed { .. } if self.sends >= MAX_SENDS => true,
            _ => now >= self.retain_until(),
        }
    }

    /// After this instant nothing about the session can change or be asked: its Durable Object
    /// may delete it.
    pub fn retain_until(&self) -> Timestamp {
        match self.state {
            State::Verified { at, token_at, .. } => token_at
                .unwrap_or(at)
                .plus_secs(self.token_ttl_secs)
                .max(at.plus_secs(RENEW_WITHIN_SECS))
                .max(self.attempt.expires_at),
            _ => self.attempt.expires_at,
        }
        .plus_secs(CLOCK_SKEW_SECS)
    }

    /// The next instant the session changes with no event: its attempt's end while pending (so
    /// pages following it live hear it expire), else [`Session::retain_until`]. Its Durable
    /// Object's alarm is set here.
    pub fn next_wake(&self, now: Timestamp) -> Timestamp {
        if self.status(now) == VerificationStatus::Pending {
            self.attempt.expires_at
        } else {
            self.retain_until()
        }
    }

    /// What the site's server sees when it looks up its ClientTransactionId.
    pub fn transaction_view(&self, now: Timestamp) -> Option<TransactionView> {
        self.finished_record(now).transaction_view()
    }

    /// The record the deployment keeps for the site's reporting, if any. A test key's
    /// verification proves nothing and reports to no one: a script starting thousands of them
    /// must not make the deployment keep a record of each for a month.
    pub fn record_to_keep(&self, now: Timestamp) -> Option<FinishedRecord> {
        (!self.test).then(|| self.finished_record(now))
    }

    pub fn finished_record(&self, now: Timestamp) -> FinishedRecord {
        let (finished_at, failure) = match self.state {
            State::Verified { at, .. } => (at, None),
            State::Failed { at, reason } => (at, Some(reason)),
            State::Pending => (self.attempt.expires_at.min(now), None),
        };
        FinishedRecord {
            verification_id: self.id.clone(),
            site_key: self.site_key.clone(),
            phone: self.phone.as_str().to_owned(),
            channel: self.attempt.channel,
            status: self.status(now),
            failure,
            client_transaction_id: self.client_transaction_id.clone(),
            created_at: self.created_at,
            finished_at,
            attempts: self.attempt.ordinal,
            costs: self.costs.clone(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
