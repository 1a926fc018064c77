//! Each provider's health in each country, shared by the whole deployment (one Durable Object
//! keeps it): a circuit breaker that skips a provider which times out, answers 5xx, refuses our
//! credentials or stops reporting delivery, for a cool-down, so sends go straight to the next
//! provider of the route instead of waiting on a dead one.
//!
//! **A breaker never leaves a visitor without a try**: when every provider of a route is
//! skipped, they are all tried anyway, the one whose cool-down ends first first. After its
//! cool-down a provider gets one probe send; the probe's result closes or reopens it.

use super::ProviderId;
use crate::failure::FailureReason;
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Failures in a row that open a breaker.
pub const FAILURES_TO_OPEN: u32 = 3;
/// The first cool-down; each reopening within the hour doubles it, up to [`COOL_DOWN_MAX_SECS`].
pub const COOL_DOWN_SECS: u64 = 60;
/// How long an isolate trusts what it last heard of which breakers are not closed, before it
/// asks the health object again: a breaker that opens reaches every isolate within this.
pub const TROUBLE_FRESH_SECS: u64 = 2;
pub const COOL_DOWN_MAX_SECS: u64 = 15 * 60;
/// A send the provider accepted but has not reported on in this long counts as silence…
pub const REPORT_WITHIN_SECS: u64 = 3 * 60;
/// …and this many silent sends, with no report since the oldest, open the breaker.
pub const SILENT_SENDS_TO_OPEN: usize = 3;
/// A provider opened this often in an hour keeps failing: the operator is told.
pub const KEEPS_FAILING_OPENINGS: usize = 3;
/// A probe that has not come back in this long (the send's deadline and more) is lost.
const PROBE_SECS: u64 = 15;
/// Sends awaited per breaker: beyond this, the oldest are forgotten.
const AWAITED_KEPT: usize = 50;
const HOUR_SECS: u64 = 3600;

/// What a send or a report told about a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// It took the send; `reference` when it will report delivery on it.
    Accepted { reference: Option<String> },
    /// The send failed in a way that is the provider's (see [`super::fails_over`]).
    Failed { reason: FailureReason },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Awaited {
    reference: String,
    at: Timestamp,
}

/// What an isolate last heard of the breakers that are not closed, so that a healthy send
/// waits on no object: a route with none of them is tried in its own order without asking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TroubleSeen {
    heard_at: Option<Timestamp>,
    troubled: Vec<(ProviderId, String)>,
}

impl TroubleSeen {
    /// Whether `candidates` for `country` may be tried in their own order at `now` without
    /// asking the health object: heard less than [`TROUBLE_FRESH_SECS`] ago, and none of them
    /// troubled there.
    pub fn lets_pass(&self, candidates: &[ProviderId], country: &str, now: Timestamp) -> bool {
        self.heard_at
            .is_some_and(|at| now < at.plus_secs(TROUBLE_FRESH_SECS))
            && !self
                .troubled
                .iter()
                .any(|(p, c)| c == country && candidates.contains(p))
    }

    /// A send failed over: the next send in this isolate asks the health object again.
    pub fn failed(&mut self) {
        self.heard_at = None;
    }

    /// The health object said, at `now`, which (provider, country) pairs are troubled.
    pub fn heard(&mut self, troubled: Vec<(ProviderId, String)>, now: Timestamp) {
        *self = TroubleSeen {
            heard_at: Some(now),
            troubled,
        };
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    pub provider: ProviderId,
    pub country: String,
    failures_in_row: u32,
    open_until: Option<Timestamp>,
    probing_since: Option<Timestamp>,
    /// When it opened, in the last hour.
    openings: Vec<Timestamp>,
    last_failure: Option<String>,
    last_report: Option<Timestamp>,
    awaited: Vec<Awaited>,
}

impl Breaker {
    fn new(provider: ProviderId, country: &str) -> Self {
        Breaker {
            provider,
            country: country.to_owned(),
            failures_in_row: 0,
            open_until: None,
            probing_since: None,
            openings: Vec::new(),
            last_failure: None,
            last_report: None,
            awaited: Vec::new(),
        }
    }

    fn open(&mut self, why: &str, cool_down_secs: u64, now: Timestamp) {
        self.openings.retain(|t| t.plus_secs(HOUR_SECS) > now);
        self.openings.push(now);
        let doublings = (self.openings.len() - 1).min(8) as u32;
        let secs = (cool_down_secs << doublings).min(COOL_DOWN_MAX_SECS);
        self.open_until = Some(now.plus_secs(secs));
        self.probing_since = None;
        self.failures_in_row = 0;
        self.last_failure = Some(why.to_owned());
        self.awaited.clear();
    }

    /// Opens it when the sends it accepted since its last report have gone unreported for
    /// too long: it stopped reporting (sends before a report may just be slow).
    fn check_silence(&mut self, cool_down_secs: u64, now: Timestamp) -> bool {
        let last_report = self.last_report;
        let silent = self
            .awaited
            .iter()
            .filter(|a| a.at.plus_secs(REPORT_WITHIN_SECS) <= now)
            .filter(|a| last_report.is_none_or(|r| a.at > r))
            .count();
        if silent >= SILENT_SENDS_TO_OPEN && self.open_until.is_none() {
            self.open("no_delivery_reports", cool_down_secs, now);
            return true;
        }
        false
    }

    /// Whether a send may go to it now: closed, or cool-down over and no probe out.
    fn admits(&mut self, now: Timestamp) -> bool {
        match self.open_until {
            None => true,
            Some(until) if until > now => false,
            Some(_) => {
                let probing = self
                    .probing_since
                    .is_some_and(|t| t.plus_secs(PROBE_SECS) > now);
                if probing {
                    return false;
                }
                self.probing_since = Some(now);
                true
            }
        }
    }

    fn state(&self, now: Timestamp) -> BreakerState {
        match self.open_until {
            None => BreakerState::Closed,
            Some(until) if until > now => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Sends go to it.
    Closed,
    /// Skipped until `open_until`.
    Open,
    /// Cool-down over: the next send is its probe.
    HalfOpen,
}

/// One breaker as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerView {
    pub provider: ProviderId,
    pub country: String,
    pub state: BreakerState,
    pub failures_in_row: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_until: Option<String>,
    /// Times it opened in the last hour.
    pub openings_last_hour: usize,
    /// It keeps failing: the operator should look at this provider.
    pub keeps_failing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
    /// Accepted sends still waiting for their delivery report.
    pub awaiting_reports: usize,
}

/// A change the operator must hear of (the edge logs it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    pub provider: ProviderId,
    pub country: String,
    pub why: String,
    pub until: Timestamp,
    pub keeps_failing: bool,
}

/// Every breaker of the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    breakers: Vec<Breaker>,
    /// The first cool-down ([`COOL_DOWN_SECS`]; tests shorten it).
    #[serde(skip, default = "cool_down")]
    pub cool_down_secs: u64,
}

fn cool_down() -> u64 {
    COOL_DOWN_SECS
}

/// The first cool-down a deployment asks for (`PROVIDER_COOL_DOWN_SECS`, which tests set
/// short): whole seconds from 1 to [`COOL_DOWN_MAX_SECS`]; anything else keeps the default.
pub fn cool_down_from_var(var: Option<&str>) -> u64 {
    var.and_then(|v| v.trim().parse().ok())
        .filter(|secs| (1..=COOL_DOWN_MAX_SECS).contains(secs))
        .unwrap_or(COOL_DOWN_SECS)
}

impl Default for Health {
    fn default() -> Self {
        Health {
            breakers: Vec::new(),
            cool_down_secs: COOL_DOWN_SECS,
        }
    }
}

impl Health {
    fn breaker(&mut self, provider: ProviderId, country: &str) -> &mut Breaker {
        let at = match self
            .breakers
            .iter()
            .position(|b| b.provider == provider && b.country == country)
        {
            Some(at) => at,
            None => {
                self.breakers.push(Breaker::new(provider, country));
                self.breakers.len() - 1
            }
        };
        &mut self.breakers[at]
    }

    /// The order to try `candidates` (the route's, configured ones) for `country`: those whose
    /// breaker admits a send, in the route's order; then, so nobody is left without a try,
    /// the skipped ones, the soonest to reopen first. Also answers the breakers that opened
    /// for silence just now, for the log.
    pub fn order(
        &mut self,
        candidates: &[ProviderId],
        country: &str,
        now: Timestamp,
    ) -> (Vec<ProviderId>, Vec<Opened>) {
        let mut admitted = Vec::new();
        let mut skipped = Vec::new();
        let mut opened = Vec::new();
        let cool_down = self.cool_down_secs;
        for &p in candidates {
            // A provider with no breaker yet has nothing against it (and none is made here,
            // so a healthy route writes nothing).
            let Some(b) = self
                .breakers
                .iter_mut()
                .find(|b| b.provider == p && b.country == country)
            else {
                admitted.push(p);
                continue;
            };
            if b.check_silence(cool_down, now) {
                opened.push(opened_view(b, now));
            }
            if b.admits(now) {
                admitted.push(p);
            } else {
                skipped.push((b.open_until, p));
            }
        }
        skipped.sort_by_key(|(until, _)| *until);
        admitted.extend(skipped.into_iter().map(|(_, p)| p));
        (admitted, opened)
    }

    /// What one send to `provider` for `country` did. Answers the breaker's opening, if this
    /// opened it.
    pub fn record(
        &mut self,
        provider: ProviderId,
        country: &str,
        event: Event,
        now: Timestamp,
    ) -> Option<Opened> {
        let cool_down = self.cool_down_secs;
        let b = self.breaker(provider, country);
        match event {
            Event::Accepted { reference } => {
                b.failures_in_row = 0;
                b.open_until = None;
                b.probing_since = None;
                if let Some(reference) = reference {
                    if b.awaited.len() >= AWAITED_KEPT {
                        b.awaited.remove(0);
                    }
                    b.awaited.push(Awaited { reference, at: now });
                }
                None
            }
            Event::Failed { reason } => {
                b.failures_in_row += 1;
                // Only the probe's failure reopens an open breaker: sends still in flight when it
                // opened, or tried anyway because every provider was skipped, just count.
                let probe_failed = b.probing_since.is_some();
                let closed = b.open_until.is_none();
                if probe_failed || (closed && b.failures_in_row >= FAILURES_TO_OPEN) {
                    b.open(reason.code(), cool_down, now);
                    Some(opened_view(b, now))
                } else {
                    None
                }
            }
        }
    }

    /// The breakers that are not closed: a route with none of them needs no ordering.
    pub fn troubled(&self) -> Vec<(ProviderId, String)> {
        self.breakers
            .iter()
            .filter(|b| b.open_until.is_some())
            .map(|b| (b.provider, b.country.clone()))
            .collect()
    }

    /// A delivery report from `provider` on `reference`, whatever it said: the provider is
    /// reporting.
    pub fn reported(&mut self, provider: ProviderId, reference: &str, now: Timestamp) {
        for b in self.breakers.iter_mut().filter(|b| b.provider == provider) {
            let before = b.awaited.len();
            b.awaited.retain(|a| a.reference != reference);
            if b.awaited.len() != before {
                b.last_report = Some(now);
            }
        }
    }

    /// Forgets what no longer matters: breakers closed, quiet and without openings for an hour.
    pub fn prune(&mut self, now: Timestamp) {
        for b in &mut self.breakers {
            b.openings.retain(|t| t.plus_secs(HOUR_SECS) > now);
            b.awaited.retain(|a| a.at.plus_secs(HOUR_SECS) > now);
        }
        self.breakers.retain(|b| {
            b.open_until.is_some()
                || !b.openings.is_empty()
                || !b.awaited.is_empty()
                || b.failures_in_row > 0
        });
    }

    pub fn views(&self, now: Timestamp) -> Vec<BreakerView> {
        self.breakers
            .iter()
            .map(|b| {
                let openings = b
                    .openings
                    .iter()
                    .filter(|t| t.plus_secs(HOUR_SECS) > now)
                    .count();
                BreakerView {
                    provider: b.provider,
                    country: b.country.clone(),
                    state: b.state(now),
                    failures_in_row: b.failures_in_row,
                    open_until: b.open_until.map(Timestamp::to_rfc3339),
                    openings_last_hour: openings,
                    keeps_failing: openings >= KEEPS_FAILING_OPENINGS,
                    last_failure: b.last_failure.clone(),
                    awaiting_reports: b.awaited.len(),
                }
            })
            .collect()
    }
}

fn opened_view(b: &Breaker, now: Timestamp) -> Opened {
    let keeps_failing = b
        .openings
        .iter()
        .filter(|t| t.plus_secs(HOUR_SECS) > now)
        .count()
        >= KEEPS_FAILING_OPENINGS;
    Opened {
        provider: b.provider,
        country: b.country.clone(),
        why: b.last_failure.clone().unwrap_or_default(),
        until: b.open_until.unwrap_or(now),
        keeps_failing,
    }
}

#[cfg(test)]
mod tests;
