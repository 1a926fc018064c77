//! Alerts nobody else sends: an activity whose conversion in a country or a number block
//! (`events::block_of`) collapses while its sends climb (the signature of SMS pumping: a script makes us text premium or fake numbers
//! that never verify), and a code channel whose deliveries have stopped (a provider's outage).
//!
//! **Each activity is compared with its own recent past**, never with a global figure: a shop
//! whose visitors verify 40 % of the time is not alarming, one that verified 80 % all week and
//! 5 % today is. The thresholds, and why:
//!
//! - Pumping, per activity and country, and per activity and number block (a pumper rents a
//!   block of premium numbers: inside a country of honest visitors it is a small share that
//!   the country's figures can hide), over the last 24 hours against the 7 days before:
//!   at least [`PUMPING_MIN_SENDS`] code sends (fewer is noise), at least
//!   [`PUMPING_RISE`] times the country's daily average (sends rise), and a conversion (verified
//!   per send) under [`PUMPING_DROP`] of its own level over those 7 days. A country with too
//!   few sends in those 7 days to have a level ([`BASELINE_MIN_SENDS`]) is judged against
//!   [`PUMPING_FLOOR`] instead: real visitors verify far more often than that.
//! - A stopped channel, per activity and code channel, over the last hour: at least
//!   [`OUTAGE_MIN_SENDS`] sends, not one delivered or verified, where the 7 days before
//!   delivered at least [`OUTAGE_BASELINE_RATE`] of [`BASELINE_MIN_SENDS`] or more.
//!
//! An alert is raised once while it holds (its key names the activity, the kind and the
//! country, block or channel) and is told to the owner on the console and as a signed event to the
//! activity's callback URL.

use crate::events::{Statement, Value};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const PUMPING_MIN_SENDS: u64 = 20;
pub const PUMPING_RISE: f64 = 2.0;
pub const PUMPING_DROP: f64 = 0.5;
pub const PUMPING_FLOOR: f64 = 0.2;
pub const BASELINE_MIN_SENDS: u64 = 20;
pub const OUTAGE_MIN_SENDS: u64 = 5;
pub const OUTAGE_BASELINE_RATE: f64 = 0.5;
const BASELINE_DAYS: u64 = 7;

/// One activity's counts in one window, per country or channel, as the query groups them.
#[derive(Debug, Clone, Deserialize)]
pub struct WindowRow {
    pub site_key: String,
    /// `recent` (the window judged) or `before` (the 7 days before it).
    pub window: String,
    /// The country or number block (pumping), or the channel (outages).
    pub key: Option<String>,
    pub sent: u64,
    pub delivered: u64,
    pub verified: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Sends rising, conversion collapsing, in one country or number block.
    Pumping,
    /// A code channel's deliveries have stopped.
    DeliveryStopped,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Pumping => "pumping",
            AlertKind::DeliveryStopped => "delivery_stopped",
        }
    }
}

/// An alert raised for one activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub site_key: String,
    pub kind: AlertKind,
    /// The country or number block (`+447400`: pumping), or the channel (a stopped delivery).
    pub key: String,
    /// What was seen, for people.
    pub summary: String,
}

/// The queries the alert job runs at `now`, each answering [`WindowRow`]s: code sends per
/// country over the last day and the week before, per code channel over the last hour and the
/// week before, and per number block as per country.
pub fn queries(now: Timestamp) -> [Statement; 3] {
    let day = now.millis().saturating_sub(86_400_000);
    let hour = now.millis().saturating_sub(3_600_000);
    let week_before = |start: u64| start.saturating_sub(BASELINE_DAYS * 86_400_000);
    let bind = |start: u64| {
        vec![
            Value::Int(start as i64),
            Value::Int(week_before(start) as i64),
            Value::Int(now.millis() as i64),
        ]
    };
    [
        (BY_COUNTRY, bind(day)),
        (BY_CHANNEL, bind(hour)),
        (BY_BLOCK, bind(day)),
    ]
}

/// One query per grouping: each event window's code sends (`provider IS NOT NULL`: a code a
/// provider was paid to carry; a missed call's "sent" is the number shown, which costs nothing
/// and cannot be pumped), deliveries and verifications per site and `$key`, split at `?1`.
macro_rules! windowed {
    ($key:literal, verified where $verified:literal, only where $only:literal) => {
        concat!(
            "SELECT site_key, CASE WHEN at >= ?1 THEN 'recent' ELSE 'before' END AS window, ",
            $key,
            " AS key, SUM(kind = 'sent' AND provider IS NOT NULL) AS sent, ",
            "SUM(kind = 'delivered') AS delivered, SUM(kind = 'verified'",
            $verified,
            ") AS verified FROM events WHERE at >= ?2 AND at < ?3 ",
            "AND kind IN ('sent', 'delivered', 'verified')",
            $only,
            " GROUP BY site_key, window, ",
            $key
        )
    };
}

const BY_COUNTRY: &str = windowed!(
    "country",
    verified where " AND channel != 'missed_call'",
    only where ""
);

const BY_BLOCK: &str = windowed!(
    "number_block",
    verified where " AND channel != 'missed_call'",
    only where " AND number_block IS NOT NULL"
);

const BY_CHANNEL: &str = windowed!(
    "channel",
    verified where "",
    only where " AND channel != 'missed_call'"
);

fn pairs(rows: &[WindowRow]) -> Vec<(&str, &str, Option<&WindowRow>, Option<&WindowRow>)> {
    type Windows<'r> = (Option<&'r WindowRow>, Option<&'r WindowRow>);
    let mut by_key: BTreeMap<(&str, &str), Windows> = BTreeMap::new();
    for r in rows {
        let key = r.key.as_deref().unwrap_or("??");
        let windows = by_key.entry((&r.site_key, key)).or_default();
        if r.window == "recent" {
            windows.0 = Some(r);
        } else {
            windows.1 = Some(r);
        }
    }
    by_key
        .into_iter()
        .map(|((site, key), (recent, before))| (site, key, recent, before))
        .collect()
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The alerts the rows of [`queries`] call for.
pub fn judge(
    by_country: &[WindowRow],
    by_channel: &[WindowRow],
    by_block: &[WindowRow],
) -> Vec<Alert> {
    let mut alerts = pumping(by_country, |country| format!("{country} numbers"));
    alerts.extend(pumping(by_block, |block| {
        format!("numbers starting {block}")
    }));
    alerts.extend(stopped(by_channel));
    alerts
}

/// Pumping per country or block: `what` names the numbers for people.
fn pumping(rows: &[WindowRow], what: impl Fn(&str) -> String) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for (site, country, recent, before) in pairs(rows) {
        let Some(r) = recent else { continue };
        let (b_sent, b_verified) = before.map_or((0, 0), |b| (b.sent, b.verified));
        let daily = b_sent as f64 / BASELINE_DAYS as f64;
        let now_rate = rate(r.verified, r.sent);
        let rising = r.sent >= PUMPING_MIN_SENDS && r.sent as f64 >= PUMPING_RISE * daily;
        let collapsed = if b_sent >= BASELINE_MIN_SENDS {
            now_rate < PUMPING_DROP * rate(b_verified, b_sent)
        } else {
            now_rate < PUMPING_FLOOR
        };
        if rising && collapsed {
            alerts.push(Alert {
                site_key: site.to_owned(),
                kind: AlertKind::Pumping,
                key: country.to_owned(),
                summary: format!(
                    "{} codes sent to {} in the last 24 hours ({daily:.0} a day before), {:.0}% verified ({:.0}% over the week before): someone may be pumping SMS through your form.",
                    r.sent,
                    what(country),
                    now_rate * 100.0,
                    rate(b_verified, b_sent) * 100.0
                ),
            });
        }
    }
    alerts
}

/// A code channel whose deliveries stopped.
fn stopped(by_channel: &[WindowRow]) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for (site, channel, recent, before) in pairs(by_channel) {
        let (Some(r), Some(b)) = (recent, before) else {
            continue;
        };
        let stopped = r.sent >= OUTAGE_MIN_SENDS && r.delivered == 0 && r.verified == 0;
        let worked = b.sent >= BASELINE_MIN_SENDS
            && rate(b.delivered.max(b.verified), b.sent) >= OUTAGE_BASELINE_RATE;
        if stopped && worked {
            alerts.push(Alert {
                site_key: site.to_owned(),
                kind: AlertKind::DeliveryStopped,
                key: channel.to_owned(),
                summary: format!(
                    "{} {channel} codes sent in the last hour and not one delivered or verified, where {:.0}% were delivered over the week before: the provider may be down.",
                    r.sent,
                    rate(b.delivered.max(b.verified), b.sent) * 100.0
                ),
            });
        }
    }
    alerts
}

/// An alert is open while it was seen in the last day: judged again, it is the same alert.
const OPEN_MS: u64 = 86_400_000;

/// An alert already recorded and still open.
#[derive(Debug, Clone, Deserialize)]
pub struct OpenAlert {
    pub site_key: String,
    pub kind: String,
    pub key: String,
}

pub fn open_query(now: Timestamp) -> Statement {
    (
        "SELECT site_key, kind, key FROM alerts WHERE last_seen_at >= ?1",
        vec![Value::Int(now.millis().saturating_sub(OPEN_MS) as i64)],
    )
}

/// The judged alerts split into the new (to record and tell) and those still open (to mark
/// seen, told nothing again).
pub fn sort(judged: Vec<Alert>, open: &[OpenAlert]) -> (Vec<Alert>, Vec<Alert>) {
    judged.into_iter().partition(|a| {
        !open
            .iter()
            .any(|o| o.site_key == a.site_key && o.kind == a.kind.as_str() && o.key == a.key)
    })
}

pub fn seen_statements(seen: &[Alert], now: Timestamp) -> Vec<Statement> {
    seen.iter()
        .map(|a| {
            (
                "UPDATE alerts SET last_seen_at = ?4, summary = ?5 WHERE site_key = ?1 AND kind = ?2 \
                 AND key = ?3 AND last_seen_at >= ?6",
                vec![
                    Value::Text(a.site_key.clone()),
                    Value::Text(a.kind.as_str().into()),
                    Value::Text(a.key.clone()),
                    Value::Int(now.millis() as i64),
                    Value::Text(a.summary.clone()),
                    Value::Int(now.millis().saturating_sub(OPEN_MS) as i64),
                ],
            )
        })
        .collect()
}

/// A new alert's row; `told` is what came of telling the site.
pub fn insert(alert: &Alert, now: Timestamp, told: &str) -> Statement {
    (
        "INSERT INTO alerts (site_key, kind, key, opened_at, last_seen_at, summary, told) \
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
        vec![
            Value::Text(alert.site_key.clone()),
            Value::Text(alert.kind.as_str().into()),
            Value::Text(alert.key.clone()),
            Value::Int(now.millis() as i64),
            Value::Text(alert.summary.clone()),
            Value::Text(told.to_owned()),
        ],
    )
}

/// The alerts of `site_key` (or of every site, `*`) seen in `[from, to)`, newest first.
pub fn for_site(site_key: &str, from: Timestamp, to: Timestamp) -> Statement {
    (
        "SELECT kind, key, summary, opened_at, last_seen_at, told FROM alerts \
         WHERE (site_key = ?1 OR ?1 = '*') AND last_seen_at >= ?2 AND opened_at < ?3 \
         ORDER BY opened_at DESC LIMIT 50",
        vec![
            Value::Text(site_key.to_owned()),
            Value::Int(from.millis() as i64),
            Value::Int(to.millis() as i64),
        ],
    )
}

#[derive(Debug, Clone, Deserialize)]
pub struct AlertRow {
    pub kind: String,
    pub key: String,
    pub summary: String,
    pub opened_at: u64,
    pub last_seen_at: u64,
    pub told: Option<String>,
}

impl AlertRow {
    pub fn view(self, now: Timestamp) -> ringproof_api::console::AlertView {
        ringproof_api::console::AlertView {
            open: self.last_seen_at + OPEN_MS > now.millis(),
            kind: self.kind,
            key: self.key,
            summary: self.summary,
            opened_at: Timestamp(self.opened_at).to_rfc3339(),
            last_seen_at: Timestamp(self.last_seen_at).to_rfc3339(),
            told: self.told,
        }
    }
}

/// The signed request that tells `site` (`None`: gone) of `alert`, with the secret derived from
/// the deployment's `master` key; or why it is not told. Only a JSON-format site hears alerts:
/// OneRing's callback has no such message.
pub fn address(
    alert: &Alert,
    site: Option<&crate::site::Site>,
    master: Option<&[u8]>,
    now: Timestamp,
) -> Result<crate::providers::Outgoing, crate::callback::Unsent> {
    let (url, secret) = crate::callback::recipient(site, None, master)?;
    Ok(request(alert, &url, secret.as_bytes(), now))
}

/// The signed request that tells the site: Standard Webhooks, as its verification callbacks,
/// with the type `alert.opened`.
pub fn request(alert: &Alert, url: &str, key: &[u8], now: Timestamp) -> crate::providers::Outgoing {
    let id = format!(
        "alert_{}_{}_{}_{}",
        alert.site_key,
        alert.kind.as_str(),
        alert.key,
        now.secs()
    );
    let body = serde_json::json!({
        "type": "alert.opened",
        "timestamp": now.to_rfc3339(),
        "data": {
            "site_key": alert.site_key,
            "kind": alert.kind,
            "key": alert.key,
            "summary": alert.summary,
        },
    })
    .to_string();
    let ts = now.secs();
    crate::providers::Outgoing {
        method: "POST",
        url: url.to_owned(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("webhook-id".into(), id.clone()),
            ("webhook-timestamp".into(), ts.to_string()),
            (
                "webhook-signature".into(),
                crate::signature::webhook_signature(key, &id, ts, &body),
            ),
        ],
        body: Some(body),
    }
}

#[cfg(test)]
mod tests;
