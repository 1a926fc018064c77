//! What the console shows of one activity over a period, read from the history (`events`,
//! `daily`): each query's text and the shaping of its rows into figures. The edge runs the
//! queries; every figure is made here, where it is tested.

use crate::accounts::masked;
use crate::events::{day_of, Value, RAW_RETENTION_DAYS};
use crate::{ApiError, Timestamp};
use ringproof_api::console::{
    Breakdown, Count, Day, FailingCallback, Funnel, Insights, LoggedVerification, Spend,
};
use serde::Deserialize;
use std::collections::BTreeMap;

const DAY_MS: u64 = 86_400_000;
/// The longest period asked for at once: the rollups' retention.
pub const MAX_DAYS: u64 = crate::events::ROLLUP_RETENTION_DAYS;
/// The period the console shows when it names none.
pub const DEFAULT_DAYS: u64 = 30;
/// The longest search the verification log takes.
pub const SEARCH_MAX: usize = 64;
/// Lines in one page of the verification log.
pub const LOG_LINES: usize = 200;

/// The period `[from, to)` of the last `days` whole and partial days up to `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Period {
    /// The period a console request asked for with `?days=` (none: [`DEFAULT_DAYS`]); a
    /// number out of 1 to [`MAX_DAYS`] is refused, not quietly changed.
    pub fn asked(days: Option<&str>, now: Timestamp) -> Result<Period, ApiError> {
        let days = match days {
            None => DEFAULT_DAYS,
            Some(d) => d
                .parse::<u64>()
                .ok()
                .filter(|d| (1..=MAX_DAYS).contains(d))
                .ok_or_else(|| ApiError::InvalidRequest(format!("days must be 1 to {MAX_DAYS}")))?,
        };
        Ok(Period::last(days, now))
    }

    /// The last `days` days (1 to [`MAX_DAYS`]) up to `now`, today included.
    pub fn last(days: u64, now: Timestamp) -> Period {
        let days = days.clamp(1, MAX_DAYS);
        let today = day_of(now);
        Period {
            from: Timestamp((today + 1).saturating_sub(days) * DAY_MS),
            to: now.plus_secs(1),
        }
    }

    /// The part of the period the raw events still cover; the rest is read from rollups.
    fn raw_from(&self, now: Timestamp) -> Timestamp {
        let oldest = (day_of(now) - RAW_RETENTION_DAYS.min(day_of(now))) * DAY_MS;
        Timestamp(self.from.millis().max(oldest))
    }
}

/// A query and what it binds: `?1` the site, `?2`–`?3` the period (raw part).
pub struct Query {
    pub sql: &'static str,
    pub values: Vec<Value>,
}

fn bound(sql: &'static str, site_key: &str, from: Timestamp, to: Timestamp) -> Query {
    Query {
        sql,
        values: vec![
            Value::Text(site_key.to_owned()),
            Value::Int(from.millis() as i64),
            Value::Int(to.millis() as i64),
        ],
    }
}

/// The queries [`shape`] reads, in the order it takes their rows.
pub fn queries(site_key: &str, period: Period, now: Timestamp) -> [Query; 6] {
    let raw = period.raw_from(now);
    let to = period.to;
    [
        bound(FUNNEL, site_key, raw, to),
        bound(BREAKDOWN, site_key, raw, to),
        bound(SPEND, site_key, raw, to),
        bound(REFUSALS, site_key, raw, to),
        bound(CALLBACKS, site_key, raw, to),
        Query {
            sql: DAYS,
            // Raw events from where they start, rollups for the days before: a day is never
            // counted from both.
            values: vec![
                Value::Text(site_key.to_owned()),
                Value::Int(raw.millis() as i64),
                Value::Int(to.millis() as i64),
                Value::Int(day_of(period.from) as i64),
                Value::Int(day_of(raw) as i64),
            ],
        },
    ]
}

const FUNNEL: &str = "SELECT \
    COUNT(DISTINCT CASE WHEN kind = 'started' THEN verification_id END) AS started, \
    COUNT(DISTINCT CASE WHEN kind IN ('sent', 'delivered', 'verified') THEN verification_id END) AS sent, \
    COUNT(DISTINCT CASE WHEN kind IN ('delivered', 'verified') THEN verification_id END) AS delivered, \
    COUNT(DISTINCT CASE WHEN kind = 'verified' THEN verification_id END) AS verified, \
    COUNT(DISTINCT CASE WHEN kind = 'redeemed' THEN verification_id END) AS redeemed \
    FROM events WHERE (site_key = ?1 OR ?1 = '*') AND at >= ?2 AND at < ?3";

const BREAKDOWN: &str = "SELECT kind, channel, country, secs FROM events \
    WHERE (site_key = ?1 OR ?1 = '*') AND at >= ?2 AND at < ?3 AND kind IN ('started', 'attempt', 'verified') \
    LIMIT 100000";

const SPEND: &str = "SELECT COALESCE(currency, '') AS currency, SUM(cost_micros) AS micros \
    FROM events WHERE (site_key = ?1 OR ?1 = '*') AND at >= ?2 AND at < ?3 AND kind = 'cost' \
    AND cost_micros IS NOT NULL GROUP BY currency";

const REFUSALS: &str = "SELECT detail AS key, COUNT(*) AS count FROM events \
    WHERE (site_key = ?1 OR ?1 = '*') AND at >= ?2 AND at < ?3 AND kind = 'refused' \
    GROUP BY detail ORDER BY count DESC";

/// SQLite takes a bare column's value from the row holding the `MAX`: the last outcome.
const CALLBACKS: &str = "SELECT verification_id, COUNT(*) AS attempts, MAX(at) AS last_at, \
    detail AS last_outcome, SUM(detail = 'delivered') AS delivered FROM events \
    WHERE (site_key = ?1 OR ?1 = '*') AND at >= ?2 AND at < ?3 AND kind = 'callback' \
    GROUP BY verification_id HAVING delivered = 0 ORDER BY last_at DESC LIMIT 50";

const DAYS: &str = "SELECT at / 86400000 AS day, \
    COUNT(DISTINCT CASE WHEN kind = 'started' THEN verification_id END) AS started, \
    COUNT(DISTINCT CASE WHEN kind = 'verified' THEN verification_id END) AS verified, \
    SUM(CASE WHEN kind = 'cost' THEN cost_micros ELSE 0 END) AS cost_micros \
    FROM events WHERE (site_key = ?1 OR ?1 = '*') AND at >= ?2 AND at < ?3 GROUP BY day \
    UNION ALL \
    SELECT day, SUM(CASE WHEN kind = 'started' THEN verifications ELSE 0 END), \
    SUM(CASE WHEN kind = 'verified' THEN verifications ELSE 0 END), \
    SUM(CASE WHEN kind = 'cost' THEN cost_micros ELSE 0 END) \
    FROM daily WHERE (site_key = ?1 OR ?1 = '*') AND day >= ?4 AND day < ?5 GROUP BY day";

/// The whole deployment, for the operator's view: in place of a site key.
pub const ALL_SITES: &str = "*";

/// Every activity's figures over the period, for the operator: one row per site.
pub const PER_SITE: &str = "SELECT site_key, \
    COUNT(DISTINCT CASE WHEN kind = 'started' THEN verification_id END) AS started, \
    COUNT(DISTINCT CASE WHEN kind = 'verified' THEN verification_id END) AS verified, \
    SUM(CASE WHEN kind = 'cost' THEN cost_micros ELSE 0 END) AS cost_micros, \
    SUM(kind = 'refused') AS refused \
    FROM events WHERE at >= ?2 AND at < ?3 AND ?1 = '*' GROUP BY site_key \
    ORDER BY started DESC LIMIT 500";

#[derive(Debug, Clone, Deserialize)]
pub struct SiteRow {
    pub site_key: String,
    pub started: u64,
    pub verified: u64,
    pub cost_micros: Option<i64>,
    pub refused: Option<u64>,
}

pub fn per_site_query(period: Period, now: Timestamp) -> Query {
    bound(PER_SITE, ALL_SITES, period.raw_from(now), period.to)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FunnelRow {
    pub started: u64,
    pub sent: u64,
    pub delivered: u64,
    pub verified: u64,
    pub redeemed: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BreakdownRow {
    pub kind: String,
    pub channel: Option<String>,
    pub country: Option<String>,
    pub secs: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SpendRow {
    pub currency: String,
    pub micros: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CountRow {
    pub key: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CallbackRow {
    pub verification_id: String,
    pub attempts: u64,
    pub last_at: u64,
    pub last_outcome: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DayRow {
    pub day: u64,
    pub started: Option<u64>,
    pub verified: Option<u64>,
    #[serde(default)]
    pub cost_micros: Option<i64>,
}

/// Every query's rows, as [`queries`] orders them.
pub struct Rows {
    pub funnel: FunnelRow,
    pub breakdown: Vec<BreakdownRow>,
    pub spend: Vec<SpendRow>,
    pub refusals: Vec<CountRow>,
    pub callbacks: Vec<CallbackRow>,
    pub days: Vec<DayRow>,
}

pub fn shape(site_key: &str, period: Period, rows: Rows) -> Insights {
    let f = rows.funnel;
    let by = |key: fn(&BreakdownRow) -> Option<&str>, started_kinds: &[&str]| {
        let mut groups: BTreeMap<String, (u64, Vec<u64>)> = BTreeMap::new();
        for r in &rows.breakdown {
            let k = key(r).unwrap_or("??").to_owned();
            if started_kinds.contains(&r.kind.as_str()) {
                groups.entry(k).or_default().0 += 1;
            } else if r.kind == "verified" {
                groups.entry(k).or_default().1.push(r.secs.unwrap_or(0));
            }
        }
        let mut out: Vec<Breakdown> = groups
            .into_iter()
            .map(|(key, (started, mut secs))| Breakdown {
                key,
                started,
                verified: secs.len() as u64,
                conversion: ratio(secs.len() as u64, started),
                median_secs: median(&mut secs),
            })
            .collect();
        out.sort_by(|a, b| b.started.cmp(&a.started).then(a.key.cmp(&b.key)));
        out
    };
    let verified = f.verified;
    let mut days: BTreeMap<u64, (u64, u64, i64)> = BTreeMap::new();
    for d in rows.days {
        let e = days.entry(d.day).or_default();
        e.0 += d.started.unwrap_or(0);
        e.1 += d.verified.unwrap_or(0);
        e.2 += d.cost_micros.unwrap_or(0);
    }
    // Every day of the period has a point, so a quiet day reads as zero, not as a gap.
    let (first, last) = (day_of(period.from), day_of(period.to.plus_secs(0)));
    let days = (first..=last)
        .map(|d| {
            let (started, verified, cost) = days.get(&d).copied().unwrap_or_default();
            Day {
                day: Timestamp(d * DAY_MS).to_rfc3339()[..10].to_owned(),
                started,
                verified,
                cost: money(cost),
            }
        })
        .collect();
    Insights {
        site_key: site_key.to_owned(),
        from: period.from.to_rfc3339(),
        to: period.to.to_rfc3339(),
        funnel: Funnel {
            started: f.started,
            sent: f.sent,
            delivered: f.delivered,
            verified: f.verified,
            redeemed: f.redeemed,
        },
        by_channel: by(|r| r.channel.as_deref(), &["started", "attempt"]),
        by_country: by(|r| r.country.as_deref(), &["started"]),
        spend: rows
            .spend
            .into_iter()
            .map(|s| Spend {
                per_verified: (verified > 0).then(|| money(s.micros / verified as i64)),
                total: money(s.micros),
                currency: s.currency,
            })
            .collect(),
        refusals: rows
            .refusals
            .into_iter()
            .map(|r| Count {
                key: r.key.unwrap_or_default(),
                count: r.count,
            })
            .collect(),
        failing_callbacks: rows
            .callbacks
            .into_iter()
            .map(|c| FailingCallback {
                verification_id: c.verification_id,
                attempts: c.attempts,
                last_outcome: c.last_outcome.unwrap_or_default(),
                last_at: Timestamp(c.last_at).to_rfc3339(),
            })
            .collect(),
        days,
        alerts: Vec::new(),
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn median(values: &mut [u64]) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2
    } else {
        values[mid]
    })
}

/// Millionths as decimal text with four places (`0.0150`).
pub fn money(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    let cents4 = (m + 50) / 100;
    format!("{sign}{}.{:04}", cents4 / 10_000, cents4 % 10_000)
}

/// The log's query: one line per verification of the period, newest first; `?4` is what was
/// searched (a ClientTransactionId or last digits; empty for all).
pub const LOG: &str = "SELECT verification_id, MIN(at) AS started_at, \
    MAX(client_transaction_id) AS client_transaction_id, MAX(country) AS country, \
    MAX(last_two) AS last_two, \
    MAX(CASE WHEN kind = 'started' THEN channel END) AS first_channel, \
    MAX(CASE WHEN kind = 'verified' THEN channel END) AS verified_channel, \
    MAX(CASE WHEN kind = 'verified' THEN at END) AS verified_at, \
    MAX(CASE WHEN kind = 'failed' THEN detail END) AS failure, \
    MAX(kind = 'expired') AS expired, MAX(kind = 'redeemed') AS redeemed, \
    SUM(CASE WHEN kind = 'cost' THEN cost_micros END) AS cost_micros, \
    MAX(currency) AS currency \
    FROM events WHERE site_key = ?1 AND at >= ?2 AND at < ?3 AND verification_id IS NOT NULL \
    AND kind != 'callback' \
    GROUP BY verification_id \
    HAVING ?4 = '' OR MAX(client_transaction_id) = ?4 OR MAX(last_two) = ?4 \
    ORDER BY started_at DESC LIMIT 200";

pub fn log_query(
    site_key: &str,
    period: Period,
    now: Timestamp,
    search: &str,
) -> Result<Query, ApiError> {
    if search.len() > SEARCH_MAX {
        return Err(ApiError::InvalidRequest(format!(
            "q is at most {SEARCH_MAX} characters"
        )));
    }
    let mut q = bound(LOG, site_key, period.raw_from(now), period.to);
    q.values.push(Value::Text(search.trim().to_owned()));
    Ok(q)
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogRow {
    pub verification_id: String,
    pub started_at: u64,
    pub client_transaction_id: Option<String>,
    pub country: Option<String>,
    pub last_two: Option<String>,
    pub first_channel: Option<String>,
    pub verified_channel: Option<String>,
    pub verified_at: Option<u64>,
    pub failure: Option<String>,
    pub expired: Option<u64>,
    pub redeemed: Option<u64>,
    pub cost_micros: Option<i64>,
    pub currency: Option<String>,
}

pub fn log_line(r: LogRow) -> LoggedVerification {
    let status = match (&r.verified_at, &r.failure, r.expired.unwrap_or(0)) {
        (Some(_), _, _) => "verified",
        (None, Some(_), _) => "failed",
        (None, None, 1..) => "expired",
        _ => "pending",
    };
    LoggedVerification {
        number: masked(r.country.as_deref(), r.last_two.as_deref().unwrap_or("")),
        country: r.country,
        channel: r.verified_channel.or(r.first_channel).unwrap_or_default(),
        status: status.to_owned(),
        failure: r.failure,
        started_at: Timestamp(r.started_at).to_rfc3339(),
        verified_at: r.verified_at.map(|t| Timestamp(t).to_rfc3339()),
        redeemed: r.redeemed.unwrap_or(0) > 0,
        cost: r.cost_micros.map(money),
        currency: r.currency.filter(|c| !c.is_empty()),
        client_transaction_id: r.client_transaction_id,
        verification_id: r.verification_id,
    }
}

/// The log as CSV (RFC 4180), for a spreadsheet.
pub fn csv(lines: &[LoggedVerification]) -> String {
    let mut out = String::from(
        "verification_id,client_transaction_id,number,country,channel,status,failure,started_at,verified_at,redeemed,cost,currency\r\n",
    );
    for l in lines {
        let cells = [
            l.verification_id.as_str(),
            l.client_transaction_id.as_deref().unwrap_or(""),
            l.number.as_str(),
            l.country.as_deref().unwrap_or(""),
            l.channel.as_str(),
            l.status.as_str(),
            l.failure.as_deref().unwrap_or(""),
            l.started_at.as_str(),
            l.verified_at.as_deref().unwrap_or(""),
            if l.redeemed { "true" } else { "false" },
            l.cost.as_deref().unwrap_or(""),
            l.currency.as_deref().unwrap_or(""),
        ];
        let row: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A cell quoted where it must be, and never read as a formula by a spreadsheet (a site's
/// ClientTransactionId is the site's text).
fn cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests;
