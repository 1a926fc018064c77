//! Counters that stop a script from spending the operator's money or guessing codes: rolling
//! windows (sends to a number, per client, per site, per number range; wrong codes per
//! number), and a day's spend per site. The Worker keeps each counter in a Durable Object of
//! its own, so concurrent requests are counted one at a time and none slips past a limit.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The rolling window the per-number send limit counts over.
pub const WINDOW_SECS: u64 = 3600;
/// No window holds more hits than this, whatever a limit says: a window's record stays a few
/// tens of KiB, far below a Durable Object value's 128 KiB.
pub const HITS_MAX: u32 = 5000;

/// Hits within the last `span` seconds, and a block a burst may have set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    hits: Vec<Timestamp>,
    #[serde(default)]
    blocked_until: Option<Timestamp>,
}

/// One count against a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub limit: u32,
    pub span_secs: u64,
    /// When set, reaching the limit blocks every take for this long (a burst guard).
    #[serde(default)]
    pub block_secs: Option<u64>,
}

impl Rule {
    pub fn per(limit: u32, span_secs: u64) -> Rule {
        Rule {
            limit,
            span_secs,
            block_secs: None,
        }
    }
}

impl Window {
    /// Counts a hit if fewer than `rule.limit` were counted in the span (and no block holds);
    /// otherwise says how many seconds until one frees up.
    pub fn take(&mut self, rule: Rule, now: Timestamp) -> Result<(), u64> {
        self.prune(rule.span_secs, now);
        if let Some(until) = self.blocked_until.filter(|u| *u > now) {
            return Err(secs_until(until, now));
        }
        self.blocked_until = None;
        if self.hits.len() < rule.limit.min(HITS_MAX) as usize {
            self.hits.push(now);
            return Ok(());
        }
        if let Some(block) = rule.block_secs {
            let until = now.plus_secs(block);
            self.blocked_until = Some(until);
            return Err(secs_until(until, now));
        }
        let oldest = self.hits.first().copied().unwrap_or(now);
        Err(secs_until(oldest.plus_secs(rule.span_secs), now))
    }

    /// Takes back the latest hit: a check that turned out right, or never compared a code.
    pub fn give_back(&mut self) {
        self.hits.pop();
    }

    fn prune(&mut self, span_secs: u64, now: Timestamp) {
        self.hits.retain(|t| t.plus_secs(span_secs) > now);
    }

    /// When nothing in the window matters any more, so its record can go.
    pub fn empty_at(&self, span_secs: u64) -> Option<Timestamp> {
        let hits = self.hits.last().map(|t| t.plus_secs(span_secs));
        hits.into_iter().chain(self.blocked_until).max()
    }
}

fn secs_until(at: Timestamp, now: Timestamp) -> u64 {
    at.millis()
        .saturating_sub(now.millis())
        .div_ceil(1000)
        .max(1)
}

/// What providers reported charging one site in one UTC day, by currency, in millionths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spend {
    by_currency: BTreeMap<String, u64>,
    /// References already counted: a provider's repeated report is counted once.
    counted: Vec<String>,
}

/// References remembered per day; beyond this, the oldest are forgotten (reports of one
/// message come within minutes).
const COUNTED_KEPT: usize = 1000;

impl Spend {
    pub fn add(&mut self, reference: &str, currency: &str, micros: u64) {
        if self.counted.iter().any(|r| r == reference) {
            return;
        }
        if self.counted.len() >= COUNTED_KEPT {
            self.counted.remove(0);
        }
        self.counted.push(reference.to_owned());
        let total = self.by_currency.entry(currency.to_owned()).or_default();
        *total = total.saturating_add(micros);
    }

    /// Whether the cap in `currency` still leaves room for another send.
    pub fn under(&self, cap_micros: u64, currency: &str) -> bool {
        self.by_currency.get(currency).copied().unwrap_or(0) < cap_micros
    }

    pub fn total(&self, currency: &str) -> u64 {
        self.by_currency.get(currency).copied().unwrap_or(0)
    }
}

/// Refusals of one site in one UTC day, by stable code: what the defences stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusals {
    pub by_code: BTreeMap<String, u64>,
}

/// Codes are a fixed, small set; the bound only guards the record.
const CODES_KEPT: usize = 64;

impl Refusals {
    pub fn add(&mut self, code: &str) {
        if self.by_code.len() < CODES_KEPT || self.by_code.contains_key(code) {
            *self.by_code.entry(code.to_owned()).or_default() += 1;
        }
    }
}

/// The UTC day `now` falls in, as days since the epoch: names a day's spend counter.
pub fn day_of(now: Timestamp) -> u64 {
    now.millis() / 86_400_000
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_795_413_908_000);

    #[test]
    fn allows_the_limit_then_says_when() {
        let mut w = Window::default();
        let rule = Rule::per(3, WINDOW_SECS);
        for i in 0..3 {
            assert_eq!(w.take(rule, T0.plus_secs(i)), Ok(()));
        }
        assert_eq!(w.take(rule, T0.plus_secs(10)), Err(WINDOW_SECS - 10));
        assert_eq!(
            w.take(rule, T0.plus_secs(WINDOW_SECS)),
            Ok(()),
            "the oldest aged out"
        );
        assert_eq!(w.empty_at(WINDOW_SECS), Some(T0.plus_secs(2 * WINDOW_SECS)));
    }

    #[test]
    fn a_zero_limit_refuses_everything() {
        assert!(Window::default().take(Rule::per(0, 60), T0).is_err());
    }

    #[test]
    fn a_burst_blocks_for_the_block_time() {
        let mut w = Window::default();
        let rule = Rule {
            limit: 2,
            span_secs: 600,
            block_secs: Some(3600),
        };
        w.take(rule, T0).unwrap();
        w.take(rule, T0).unwrap();
        assert_eq!(w.take(rule, T0.plus_secs(1)), Err(3600));
        // Still blocked after the burst has aged out of the window.
        assert_eq!(w.take(rule, T0.plus_secs(601)), Err(3000));
        assert_eq!(w.take(rule, T0.plus_secs(3602)), Ok(()));
    }

    #[test]
    fn a_right_check_is_given_back() {
        let mut w = Window::default();
        let rule = Rule::per(1, 86_400);
        w.take(rule, T0).unwrap();
        w.give_back();
        assert_eq!(w.take(rule, T0), Ok(()));
    }

    #[test]
    fn windows_stay_bounded_whatever_the_limit() {
        let mut w = Window::default();
        for i in 0..(HITS_MAX + 100) {
            let _ = w.take(
                Rule::per(u32::MAX, 86_400),
                T0.plus_secs(u64::from(i) / 100),
            );
        }
        assert_eq!(w.hits.len(), HITS_MAX as usize);
        assert!(serde_json::to_string(&w).unwrap().len() < 100 * 1024);
    }

    #[test]
    fn refusals_count_by_code() {
        let mut r = Refusals::default();
        r.add("proof_invalid");
        r.add("proof_invalid");
        r.add("range_blocked");
        assert_eq!(r.by_code["proof_invalid"], 2);
        for i in 0..100 {
            r.add(&format!("c{i}"));
        }
        assert_eq!(r.by_code.len(), CODES_KEPT);
    }

    #[test]
    fn spend_counts_each_reference_once_per_currency() {
        let mut s = Spend::default();
        s.add("r1", "USD", 7_500);
        s.add("r1", "USD", 7_500);
        s.add("r2", "EUR", 1_000_000);
        assert_eq!(s.total("USD"), 7_500);
        assert!(s.under(10_000, "USD"));
        s.add("r3", "USD", 2_500);
        assert!(!s.under(10_000, "USD"));
        assert!(s.under(10_000, "GBP"), "another currency is not capped");
        assert_eq!(day_of(Timestamp(86_400_000 * 3 + 5)), 3);
    }
}
