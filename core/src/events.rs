//! What happened to each verification, as rows for the deployment's database (D1): the
//! history the console's insights are read from. Durable Objects forget a verification once it
//! is final; these rows are what is left.
//!
//! **No row holds a phone number.** A number is kept only as a keyed hash (to count and find
//! one number's verifications), its country and its last two digits (for a person to recognise
//! it in a log).
//!
//! Events are derived, not announced: [`between`] compares a session before and after a change,
//! so every way a session changes is recorded without each transition having to remember to.

use crate::callback::AttemptResult;
use crate::failure::FailureReason;
use crate::phone::E164;
use crate::providers::Cost;
use crate::session::{Session, State};
use crate::signature::{hex, hmac};
use crate::Timestamp;
use ringproof_api::{Channel, Delivery, VerificationStatus};

/// Raw events are kept this long (then only their daily rollups).
pub const RAW_RETENTION_DAYS: u64 = 90;
/// Daily rollups are kept this long: two years of trends, nothing that names a number.
pub const ROLLUP_RETENTION_DAYS: u64 = 730;
const DAY_MS: u64 = 86_400_000;

/// Each kind's name is stored: stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Started,
    /// A resend or a switch: another attempt on the same number.
    Attempt,
    /// A code handed to its provider, or a number to call shown.
    Sent,
    Delivered,
    Undelivered,
    Cost,
    Check,
    Verified,
    Failed,
    Expired,
    Redeemed,
    /// One delivery attempt of the site's callback.
    Callback,
    /// A defence refused a request for the site.
    Refused,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Started => "started",
            Kind::Attempt => "attempt",
            Kind::Sent => "sent",
            Kind::Delivered => "delivered",
            Kind::Undelivered => "undelivered",
            Kind::Cost => "cost",
            Kind::Check => "check",
            Kind::Verified => "verified",
            Kind::Failed => "failed",
            Kind::Expired => "expired",
            Kind::Redeemed => "redeemed",
            Kind::Callback => "callback",
            Kind::Refused => "refused",
        }
    }
}

/// A number as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberMark {
    /// Hex of a keyed HMAC of the E.164 number: equal for one number, meaningless without the
    /// deployment's key.
    pub hash: String,
    pub country: Option<String>,
    pub last_two: String,
    /// The block the number belongs to (see [`block_of`]), where pumping is watched for.
    pub block: String,
}

/// Digits a number's block leaves out: a block is a million numbers (in the UK, `+447400`
/// is a mobile operator's allocation), the size of the ranges premium-rate and pumped numbers
/// are rented in. With the last two digits kept for the log, four digits stay unknown: the
/// history names no one.
pub const BLOCK_HIDDEN_DIGITS: usize = 6;

/// `+` and the number's digits without its last [`BLOCK_HIDDEN_DIGITS`] (and never fewer than
/// one digit).
pub fn block_of(phone: &E164) -> String {
    let digits = phone.digits();
    let kept = digits
        .len()
        .saturating_sub(BLOCK_HIDDEN_DIGITS)
        .max(1)
        .min(digits.len());
    format!("+{}", &digits[..kept])
}

/// `key` is the deployment's token key; the hash key is derived from it so that no other use
/// of that key can produce the same values.
pub fn mark(key: &[u8], phone: &E164) -> NumberMark {
    let derived = hmac(key, &[b"ringproof number history"]);
    let digits = phone.digits();
    NumberMark {
        hash: hex(&hmac(&derived, &[phone.as_str().as_bytes()])[..16]),
        country: phone.region(),
        last_two: digits[digits.len().saturating_sub(2)..].to_owned(),
        block: block_of(phone),
    }
}

/// One row of `events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: Timestamp,
    pub site_key: String,
    pub verification_id: Option<String>,
    pub kind: Kind,
    pub channel: Option<Channel>,
    pub number: Option<NumberMark>,
    pub provider: Option<String>,
    /// Why (a failure's or refusal's code, a check's `right`/`wrong`, a callback's outcome).
    pub detail: Option<String>,
    /// What a provider charged, in millionths of `currency`.
    pub cost_micros: Option<i64>,
    pub currency: Option<String>,
    pub client_transaction_id: Option<String>,
    /// Seconds from start to verified.
    pub secs: Option<u64>,
}

/// A statement and the values it binds, as the edge runs it on the history.
pub type Statement = (&'static str, Vec<Value>);

/// A column's value, as the database binds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Text(String),
    Null,
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map_or(Value::Null, Value::Text)
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        v.map_or(Value::Null, Value::Int)
    }
}

/// The statement every event is written with; [`Event::values`] binds it.
pub const INSERT: &str = "INSERT INTO events (at, site_key, verification_id, kind, channel, \
    country, number_hash, last_two, provider, detail, cost_micros, currency, \
    client_transaction_id, secs, number_block) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

impl Event {
    fn of(session: &Session, mark: &NumberMark, kind: Kind, at: Timestamp) -> Event {
        Event {
            at,
            site_key: session.site_key.clone(),
            verification_id: Some(session.id.clone()),
            kind,
            channel: Some(session.attempt.channel),
            number: Some(mark.clone()),
            provider: None,
            detail: None,
            cost_micros: None,
            currency: None,
            client_transaction_id: None,
            secs: None,
        }
    }

    pub fn values(&self) -> Vec<Value> {
        let number = self.number.as_ref();
        vec![
            Value::Int(self.at.millis() as i64),
            Value::Text(self.site_key.clone()),
            self.verification_id.clone().into(),
            Value::Text(self.kind.as_str().to_owned()),
            self.channel.map(|c| c.as_str().to_owned()).into(),
            number.and_then(|n| n.country.clone()).into(),
            number.map(|n| n.hash.clone()).into(),
            number.map(|n| n.last_two.clone()).into(),
            self.provider.clone().into(),
            self.detail.clone().into(),
            self.cost_micros.into(),
            self.currency.clone().into(),
            self.client_transaction_id.clone().into(),
            self.secs.map(|s| s as i64).into(),
            number.map(|n| n.block.clone()).into(),
        ]
    }
}

/// What changed from `before` (none: the session is new) to `after`. A test key's session
/// records nothing: a script starting thousands must not fill the history.
pub fn between(
    before: Option<&Session>,
    after: &Session,
    key: &[u8],
    now: Timestamp,
) -> Vec<Event> {
    if after.test {
        return Vec::new();
    }
    let mark = mark(key, &after.phone);
    let event = |kind| Event::of(after, &mark, kind, now);
    let mut events = Vec::new();
    let new_attempt = before.is_none_or(|b| b.attempt.ordinal != after.attempt.ordinal);
    if new_attempt {
        events.push(match before {
            None => Event {
                client_transaction_id: after.client_transaction_id.clone(),
                ..event(Kind::Started)
            },
            Some(_) => event(Kind::Attempt),
        });
        // A missed call's "send" is the number shown: nothing goes to a provider.
        if after.attempt.inbound_number.is_some() {
            events.push(event(Kind::Sent));
        }
    }
    let was = before.filter(|_| !new_attempt).map(|b| &b.attempt);
    if after.attempt.sent_at.is_some() && was.is_none_or(|a| a.sent_at.is_none()) {
        events.push(Event {
            provider: after.attempt.provider.map(|p| p.name().to_owned()),
            ..event(Kind::Sent)
        });
    }
    let delivery = after.attempt.delivery;
    if delivery != was.and_then(|a| a.delivery) {
        match delivery {
            Some(Delivery::Delivered) => events.push(event(Kind::Delivered)),
            Some(Delivery::NotAnswered) => events.push(Event {
                detail: Some("not_answered".into()),
                ..event(Kind::Undelivered)
            }),
            Some(Delivery::Sent) | None => {}
        }
    }
    let left = |a: &crate::session::Attempt| a.code.as_ref().map(|c| c.checks_left);
    if let (Some(was), Some(now_left)) = (was, left(&after.attempt)) {
        if left(was).is_some_and(|b| b > now_left) {
            let right = matches!(after.state, State::Verified { .. });
            events.push(Event {
                detail: Some(if right { "right" } else { "wrong" }.into()),
                ..event(Kind::Check)
            });
        }
    }
    let before_state = before.map(|b| &b.state);
    match (&after.state, before_state) {
        (State::Verified { at, .. }, None | Some(State::Pending)) => events.push(Event {
            secs: Some(at.secs().saturating_sub(after.created_at.secs())),
            ..event(Kind::Verified)
        }),
        (State::Failed { reason, .. }, None | Some(State::Pending)) => {
            events.push(failed(event(Kind::Failed), *reason))
        }
        (
            State::Verified {
                token_spent: true, ..
            },
            Some(State::Verified {
                token_spent: false, ..
            }),
        ) => events.push(event(Kind::Redeemed)),
        _ => {}
    }
    let known: Vec<&str> = before
        .map(|b| b.costs.iter().map(|c| c.reference.as_str()).collect())
        .unwrap_or_default();
    for cost in after
        .costs
        .iter()
        .filter(|c| !known.contains(&c.reference.as_str()))
    {
        events.push(Event {
            cost_micros: price_micros(cost),
            currency: cost.currency.clone(),
            ..event(Kind::Cost)
        });
    }
    events
}

fn failed(event: Event, reason: FailureReason) -> Event {
    Event {
        detail: Some(reason.code().to_owned()),
        ..event
    }
}

/// The session's end, when no one verified it in time: recorded when its object forgets it.
pub fn expired(session: &Session, key: &[u8], now: Timestamp) -> Option<Event> {
    (!session.test && session.status(now) == VerificationStatus::Expired).then(|| {
        let mark = mark(key, &session.phone);
        Event::of(session, &mark, Kind::Expired, session.attempt.expires_at)
    })
}

/// Refusal rows one Worker writes per site and minute, at most: a script sending refusable
/// requests (a foreign page costs it nothing) must not turn each into a database write. The
/// exact counts stay in the refusal counters (`GET /v1/admin/sites/{key}/refusals`).
pub const REFUSALS_PER_SITE_PER_MINUTE: u32 = 60;

/// Which refusals become rows, per Worker.
#[derive(Debug, Default)]
pub struct RefusalSampler {
    minute: u64,
    counts: std::collections::HashMap<String, u32>,
}

impl RefusalSampler {
    /// Whether a refusal for `site_key` at `now` is written. Test keys' never are.
    pub fn admit(&mut self, site_key: &str, now: Timestamp) -> bool {
        if crate::test_keys::is_test_site(site_key) {
            return false;
        }
        let minute = now.secs() / 60;
        if minute != self.minute {
            self.minute = minute;
            self.counts.clear();
        }
        let n = self.counts.entry(site_key.to_owned()).or_default();
        *n += 1;
        *n <= REFUSALS_PER_SITE_PER_MINUTE
    }
}

/// A defence's refusal of a request for `site_key`.
pub fn refused(site_key: &str, code: &str, now: Timestamp) -> Event {
    Event {
        at: now,
        site_key: site_key.to_owned(),
        verification_id: None,
        kind: Kind::Refused,
        channel: None,
        number: None,
        provider: None,
        detail: Some(code.to_owned()),
        cost_micros: None,
        currency: None,
        client_transaction_id: None,
        secs: None,
    }
}

/// One delivery attempt of a verification's callback; its detail is `delivered` (2xx), the
/// status the site answered (`http_500`), `timeout` or `unreachable`.
pub fn callback(
    site_key: &str,
    verification_id: &str,
    result: &AttemptResult,
    now: Timestamp,
) -> Option<Event> {
    let outcome = result.outcome()?;
    Some(Event {
        verification_id: Some(verification_id.to_owned()),
        kind: Kind::Callback,
        ..refused(site_key, &outcome, now)
    })
}

/// Providers report prices as decimal text, some negative (Twilio's `-0.0075`): the amount in
/// millionths, whatever its sign; none when it is not a number.
pub fn price_micros(cost: &Cost) -> Option<i64> {
    let text = cost.price.as_deref()?.trim().trim_start_matches(['-', '+']);
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
        || whole.len() > 12
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut micros = 0i64;
    for (i, d) in fraction.bytes().take(6).enumerate() {
        micros += i64::from(d - b'0') * 10i64.pow(5 - i as u32);
    }
    Some(whole * 1_000_000 + micros)
}

/// The day (days since 1970, UTC) an instant falls on.
pub fn day_of(at: Timestamp) -> u64 {
    at.millis() / DAY_MS
}

/// The statements the daily job runs at `now`, in order: roll up every whole day that has raw
/// events and no rollup yet (and the last two again, for their late events: a callback retries for 27 hours), then drop raw events
/// older than [`RAW_RETENTION_DAYS`] and rollups older than [`ROLLUP_RETENTION_DAYS`].
pub fn retention(now: Timestamp) -> Vec<Statement> {
    let today = day_of(now) as i64;
    let raw_cutoff = (today - RAW_RETENTION_DAYS as i64) * DAY_MS as i64;
    vec![
        (
            "DELETE FROM daily WHERE day >= ?1",
            vec![Value::Int(today - 2)],
        ),
        (
            "INSERT INTO daily (day, site_key, channel, country, kind, verifications, cost_micros) \
             SELECT at / 86400000 AS d, site_key, COALESCE(channel, ''), COALESCE(country, ''), \
                    kind, COUNT(DISTINCT COALESCE(verification_id, id)), SUM(COALESCE(cost_micros, 0)) \
             FROM events WHERE at < ?1 \
               AND at / 86400000 NOT IN (SELECT DISTINCT day FROM daily) \
             GROUP BY d, site_key, channel, country, kind",
            vec![Value::Int(today * DAY_MS as i64)],
        ),
        (
            "DELETE FROM events WHERE at < ?1",
            vec![Value::Int(raw_cutoff)],
        ),
        (
            "DELETE FROM daily WHERE day < ?1",
            vec![Value::Int(today - ROLLUP_RETENTION_DAYS as i64)],
        ),
        (
            "DELETE FROM alerts WHERE last_seen_at < ?1",
            vec![Value::Int(raw_cutoff)],
        ),
    ]
}

/// The deployment's scheduled jobs, each by the cron `edge/wrangler.toml` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Every 15 minutes: the alerts (`crate::alerts`).
    Alerts,
    /// Daily: the history's rollups and retention ([`keep`]).
    Keep,
}

impl Job {
    pub const ALL: [Job; 2] = [Job::Alerts, Job::Keep];

    pub fn cron(self) -> &'static str {
        match self {
            Job::Alerts => "*/15 * * * *",
            Job::Keep => "17 3 * * *",
        }
    }

    /// The job a cron trigger runs; none for a cron this code does not know (a
    /// `wrangler.toml` changed without it), which runs nothing rather than the wrong job.
    pub fn of(cron: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.cron() == cron)
    }
}

#[cfg(test)]
mod tests;
