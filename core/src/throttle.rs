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

    /// Whether a take would pass now, without counting one: a lock is looked at before
    /// anything is sent, and counted only when a code is found wrong.
    pub fn room(&self, rule: Rule, now: Timestamp) -> Result<(), u64> {
        let mut copy = self.clone();
        copy.blocked_until = copy.blocked_until.filter(|u| *u > now);
        if copy.blocked_until.is_none() {
            copy.prune(rule.span_secs, now);
            // A counter at its limit without a block refuses until its oldest hit ages out.
            if copy.hits.len() >= rule.limit.min(HITS_MAX) as usize {
                let oldest = copy.hits.first().copied().unwrap_or(now);
                return Err(secs_until(oldest.plus_secs(rule.span_secs), now));
            }
            return Ok(());
        }
        copy.take(rule, now)
    }

    /// Hits within the last `span_secs`: how busy what the window counts has been.
    pub fn recent(&self, span_secs: u64, now: Timestamp) -> u32 {
        let n = self
            .hits
            .iter()
            .filter(|t| t.plus_secs(span_secs) > now)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
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

/// What one site spent in one UTC day, by currency, in millionths: each paid send's estimated
/// price, reserved before it goes out, and replaced by the provider's reported price when one
/// comes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spend {
    by_currency: BTreeMap<String, u64>,
    /// References already counted: a provider's repeated report is counted once.
    counted: Vec<String>,
    /// Estimates not yet replaced by a reported price.
    #[serde(default)]
    estimates: Vec<Estimate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Estimate {
    /// The attempt it was reserved for (`{verification}/{attempt}`).
    key: String,
    /// The provider's reference: only estimates kept before the reference's binding named
    /// them carry one.
    #[serde(default)]
    reference: Option<String>,
    /// Whether a provider's report may replace it (see [`Reserve::replaceable`]).
    #[serde(default)]
    replaceable: bool,
    currency: String,
    micros: u64,
}

/// Estimates remembered per day; beyond this the oldest stay counted but can no longer be
/// replaced (a report comes within minutes of its send).
const ESTIMATES_KEPT: usize = 500;

/// References remembered per day; beyond this, the oldest are forgotten (reports of one
/// message come within minutes).
const COUNTED_KEPT: usize = 1000;

impl Spend {
    /// A provider's reported price for `reference`, the send whose estimate was reserved as
    /// `estimate` (the reference's binding keeps it): it replaces that estimate.
    pub fn add(&mut self, reference: &str, estimate: Option<&str>, currency: &str, micros: u64) {
        if self.counted.iter().any(|r| r == reference) {
            return;
        }
        if self.counted.len() >= COUNTED_KEPT {
            self.counted.remove(0);
        }
        self.counted.push(reference.to_owned());
        let estimated = self.estimates.iter().position(|e| {
            Some(e.key.as_str()) == estimate || e.reference.as_deref() == Some(reference)
        });
        if let Some(i) = estimated {
            let e = self.estimates.remove(i);
            self.take_off(&e.currency, e.micros);
        }
        let total = self.by_currency.entry(currency.to_owned()).or_default();
        *total = total.saturating_add(micros);
    }

    /// Reserves `r.micros` for the attempt `r.key` if the day's spend in `r.currency` is still
    /// under the cap: checked and counted at once, so concurrent sends cannot all pass a nearly
    /// full cap.
    pub fn reserve(&mut self, r: &Reserve) -> bool {
        if !self.under(r.cap_micros, &r.currency) {
            return false;
        }
        if self.estimates.len() >= ESTIMATES_KEPT {
            // The oldest that no report can replace goes first (a call's estimate is its
            // price): evicting one a report would replace would count that send twice.
            let fixed = self
                .estimates
                .iter()
                .position(|e| !e.replaceable && e.reference.is_none());
            self.estimates.remove(fixed.unwrap_or(0));
        }
        self.estimates.push(Estimate {
            key: r.key.clone(),
            reference: None,
            replaceable: r.replaceable,
            currency: r.currency.clone(),
            micros: r.micros,
        });
        let total = self.by_currency.entry(r.currency.clone()).or_default();
        *total = total.saturating_add(r.micros);
        true
    }

    /// The attempt `key` was refused before anything was sent: its estimate is given back.
    pub fn release(&mut self, key: &str) {
        if let Some(i) = self.estimates.iter().position(|e| e.key == key) {
            let e = self.estimates.remove(i);
            self.take_off(&e.currency, e.micros);
        }
    }

    fn take_off(&mut self, currency: &str, micros: u64) {
        if let Some(total) = self.by_currency.get_mut(currency) {
            *total = total.saturating_sub(micros);
        }
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

/// The window of an object that keeps only one.
pub const HITS: &str = "hits";

/// Takes a hit from each window by its rule, all or none: when one refuses, the hits the others
/// took are given back (a refusal's block stays: it is what a burst earns). Answers the first
/// refusal in their order: its index and the seconds until it would pass.
pub fn take_all(
    windows: &mut [Window],
    rules: &[Rule],
    now: Timestamp,
) -> Result<(), (usize, u64)> {
    let taken: Vec<Result<(), u64>> = windows
        .iter_mut()
        .zip(rules)
        .map(|(w, rule)| w.take(*rule, now))
        .collect();
    let Some(refused) = taken.iter().position(Result::is_err) else {
        return Ok(());
    };
    for (w, t) in windows.iter_mut().zip(&taken) {
        if t.is_ok() {
            w.give_back();
        }
    }
    Err((refused, taken[refused].err().unwrap_or(1)))
}

/// What one request takes from one throttle object: the counts that object keeps and that are
/// decided together, so they cost one call and pass or fail as one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Windows by name, each with its rule, in the order their refusals are named.
    pub windows: Vec<(String, Rule)>,
    /// A send's estimated price, reserved against the day's cap.
    pub reserve: Option<Reserve>,
    /// A window counted whatever the answer: a site's pressure counts refused sends too.
    pub press: Option<(String, Rule)>,
    /// Something usable once, spent by this batch: a second spend is refused before anything
    /// is counted, and a spend is never given back.
    pub once: Option<Once>,
}

/// A single-use thing (a proof of work) and when it could no longer be presented anyway, so
/// its record may go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Once {
    pub key: String,
    pub until: Timestamp,
}

/// A paid send's estimated price, reserved against its site's cap for the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserve {
    /// Days since the epoch (`day_of`).
    pub day: u64,
    /// The attempt it is for (`{verification}/{attempt}`).
    pub key: String,
    pub currency: String,
    pub micros: u64,
    pub cap_micros: u64,
    /// Whether a provider that may carry the send reports its price, which then replaces the
    /// estimate (`providers::price_reported_for`).
    #[serde(default)]
    pub replaceable: bool,
}

impl Reserve {
    pub fn name(&self) -> EstimateName {
        EstimateName {
            day: self.day,
            key: self.key.clone(),
        }
    }
}

/// Why an object refused a [`Batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refused {
    /// The batch's single-use thing was spent before.
    Spent,
    /// The day's spend reached the cap.
    SpendCap,
    /// The batch's window at `index` is full for `wait` seconds.
    Window { index: usize, wait: u64 },
}

/// Where a paid send's estimate was reserved: its UTC day (`day_of`) and its name in that
/// day's spend (`{verification}/{attempt}`). Kept as `[day, key]`, as before it had a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(u64, String)", into = "(u64, String)")]
pub struct EstimateName {
    pub day: u64,
    pub key: String,
}

impl From<(u64, String)> for EstimateName {
    fn from((day, key): (u64, String)) -> Self {
        EstimateName { day, key }
    }
}

impl From<EstimateName> for (u64, String) {
    fn from(e: EstimateName) -> Self {
        (e.day, e.key)
    }
}

/// The day a reported price goes on: its estimate's, so a report after midnight replaces the
/// estimate it belongs to; a price with no estimate goes on today's.
pub fn spend_day(estimate: Option<&EstimateName>, now: Timestamp) -> u64 {
    estimate.map_or_else(|| day_of(now), |e| e.day)
}

/// What a batch took, to give back when the request does not go ahead after all (its pressure
/// stays: the attempt was made).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    pub windows: Vec<String>,
    /// A reserved estimate.
    pub spend: Option<EstimateName>,
}

impl Batch {
    pub fn undo(&self) -> Undo {
        Undo {
            windows: self.windows.iter().map(|(w, _)| w.clone()).collect(),
            spend: self.reserve.as_ref().map(Reserve::name),
        }
    }
}

/// Runs a batch on its object's loaded records (`windows` in the batch's order, `spend` the
/// reserve's day, `pressure` its press window, `spent` whether its single-use thing was spent
/// before): a repeated spend is refused first, and counts nothing; otherwise the pressure is
/// counted, and the estimate and the windows pass together or leave no trace. The cap is named
/// before any window.
pub fn take_batch(
    batch: &Batch,
    windows: &mut [Window],
    spend: Option<&mut Spend>,
    pressure: Option<&mut Window>,
    spent: bool,
    now: Timestamp,
) -> Result<(), Refused> {
    if batch.once.is_some() && spent {
        return Err(Refused::Spent);
    }
    if let (Some(w), Some((_, rule))) = (pressure, &batch.press) {
        // A full pressure window only stops counting; it refuses nothing.
        let _ = w.take(*rule, now);
    }
    let rules: Vec<Rule> = batch.windows.iter().map(|(_, r)| *r).collect();
    let reserved = match (spend, &batch.reserve) {
        (Some(s), Some(r)) => {
            if !s.reserve(r) {
                return Err(Refused::SpendCap);
            }
            Some((s, r))
        }
        _ => None,
    };
    take_all(windows, &rules, now).map_err(|(index, wait)| {
        if let Some((s, r)) = reserved {
            s.release(&r.key);
        }
        Refused::Window { index, wait }
    })
}

/// Records an object keeps are listed by when each may go: `due:{millis, 16 digits}:{key}`
/// sorts by time, so the alarm reads only what is due.
pub const DUE: &str = "due:";

/// The entry that lists `key` as going at `at`.
pub fn due_key(at: Timestamp, key: &str) -> String {
    format!("{DUE}{:016}:{key}", at.millis())
}

/// Every entry sorted before this one is due at `now`.
pub fn due_by(now: Timestamp) -> String {
    format!("{DUE}{:016}", now.millis() + 1)
}

/// The record an entry lists, and when it goes.
pub fn read_due(entry: &str) -> Option<(Timestamp, &str)> {
    let rest = entry.strip_prefix(DUE)?;
    let (millis, key) = rest.split_at_checked(16)?;
    Some((Timestamp(millis.parse().ok()?), key.strip_prefix(':')?))
}

/// The record of window `name` inside its object.
pub fn window_key(name: &str) -> String {
    format!("w:{name}")
}

/// The record of a spent single-use thing inside its object.
pub fn once_key(key: &str) -> String {
    format!("once:{key}")
}

/// The record of a day's spend inside a site's object.
pub fn spend_key(day: u64) -> String {
    format!("spend:{day}")
}

/// The record of a day's refusals inside their object.
pub fn refusals_key(day: u64) -> String {
    format!("refusals:{day}")
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
    fn room_looks_without_counting() {
        let mut w = Window::default();
        let rule = Rule::per(2, 600);
        assert_eq!(w.room(rule, T0), Ok(()));
        assert_eq!(w.room(rule, T0), Ok(()), "looking counts nothing");
        w.take(rule, T0).unwrap();
        w.take(rule, T0.plus_secs(10)).unwrap();
        assert_eq!(w.room(rule, T0.plus_secs(20)), Err(580));
        assert_eq!(w.room(rule, T0.plus_secs(600)), Ok(()));
        assert_eq!(w.recent(600, T0.plus_secs(20)), 2);
        assert_eq!(w.recent(15, T0.plus_secs(20)), 1);
        let burst = Rule {
            limit: 1,
            span_secs: 600,
            block_secs: Some(3600),
        };
        let mut b = Window::default();
        b.take(burst, T0).unwrap();
        assert!(b.take(burst, T0).is_err());
        assert_eq!(
            b.room(burst, T0.plus_secs(700)),
            Err(2900),
            "the block holds"
        );
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
    fn a_price_goes_on_its_estimates_day_and_reads_as_before() {
        let estimate = EstimateName {
            day: 20_000,
            key: "v/1".into(),
        };
        let after_midnight = Timestamp(20_001 * 86_400_000 + 5_000);
        assert_eq!(spend_day(Some(&estimate), after_midnight), 20_000);
        assert_eq!(
            spend_day(None, after_midnight),
            20_001,
            "no estimate: today"
        );
        // Bindings written before the name existed hold `[day, key]`.
        let kept: EstimateName = serde_json::from_str(r#"[20000,"v/1"]"#).unwrap();
        assert_eq!(kept, estimate);
        assert_eq!(
            serde_json::to_string(&estimate).unwrap(),
            r#"[20000,"v/1"]"#
        );
    }

    #[test]
    fn estimates_are_reserved_then_replaced_or_given_back() {
        let usd = |key: &str, micros, cap_micros, replaceable| Reserve {
            day: 0,
            key: key.to_owned(),
            currency: "USD".to_owned(),
            micros,
            cap_micros,
            replaceable,
        };
        let mut s = Spend::default();
        assert!(s.reserve(&usd("v1/1", 100_000, 250_000, true)));
        assert!(s.reserve(&usd("v2/1", 100_000, 250_000, true)));
        assert!(
            s.reserve(&usd("v3/1", 100_000, 250_000, true)),
            "0.20 < 0.25"
        );
        assert!(
            !s.reserve(&usd("v4/1", 100_000, 250_000, true)),
            "the cap is reached"
        );
        assert_eq!(s.total("USD"), 300_000);
        // A refused send gives its estimate back.
        s.release("v3/1");
        assert_eq!(s.total("USD"), 200_000);
        // A reported price replaces the estimate of the send it names, once.
        s.add("REF1", Some("v1/1"), "USD", 7_500);
        s.add("REF1", Some("v1/1"), "USD", 7_500);
        assert_eq!(s.total("USD"), 107_500);
        // A report with no estimate (another day's send) is simply added.
        s.add("REF9", Some("v9/1"), "USD", 1_000);
        s.add("REF8", None, "USD", 1_000);
        assert_eq!(s.total("USD"), 109_500);
        for i in 0..(ESTIMATES_KEPT + 10) {
            s.reserve(&usd(&format!("k{i}"), 1, u64::MAX, false));
        }
        assert_eq!(s.estimates.len(), ESTIMATES_KEPT);
        let before = s.total("USD");
        s.add("REF2", Some("v2/1"), "USD", 5_000);
        assert_eq!(
            s.total("USD"),
            before - 100_000 + 5_000,
            "a replaceable estimate outlives fixed ones and is still replaced"
        );
        assert!(serde_json::to_string(&s).unwrap().len() < 100 * 1024);
    }

    #[test]
    fn an_estimate_named_by_reference_before_is_still_replaced() {
        // As an object kept it when the site's object was told each send's reference.
        let kept = r#"{"by_currency":{"USD":100000},"counted":[],
            "estimates":[{"key":"v1/1","reference":"REF1","currency":"USD","micros":100000}]}"#;
        let mut s: Spend = serde_json::from_str(kept).unwrap();
        s.add("REF1", None, "USD", 7_500);
        assert_eq!(s.total("USD"), 7_500);
    }

    #[test]
    fn spend_counts_each_reference_once_per_currency() {
        let mut s = Spend::default();
        s.add("r1", None, "USD", 7_500);
        s.add("r1", None, "USD", 7_500);
        s.add("r2", None, "EUR", 1_000_000);
        assert_eq!(s.total("USD"), 7_500);
        assert!(s.under(10_000, "USD"));
        s.add("r3", None, "USD", 2_500);
        assert!(!s.under(10_000, "USD"));
        assert!(s.under(10_000, "GBP"), "another currency is not capped");
        assert_eq!(day_of(Timestamp(86_400_000 * 3 + 5)), 3);
    }

    #[test]
    fn a_batch_takes_all_of_its_windows_or_none() {
        let hour = Rule::per(2, WINDOW_SECS);
        let burst = Rule {
            limit: 1,
            span_secs: 600,
            block_secs: Some(3600),
        };
        let mut ws = vec![Window::default(), Window::default()];
        assert_eq!(take_all(&mut ws, &[hour, burst], T0), Ok(()));
        assert_eq!(
            take_all(&mut ws, &[hour, burst], T0.plus_secs(1)),
            Err((1, 3600)),
            "the burst window refuses and blocks"
        );
        assert_eq!(
            ws[0].recent(WINDOW_SECS, T0.plus_secs(1)),
            1,
            "the hour's hit is given back"
        );
        assert_eq!(
            ws[1].room(burst, T0.plus_secs(700)),
            Err(3600 - 699),
            "the block stays though the window has emptied"
        );
    }

    #[test]
    fn a_spent_once_is_refused_before_anything_is_counted_and_never_given_back() {
        let batch = Batch {
            windows: vec![("starts".into(), Rule::per(5, WINDOW_SECS))],
            press: Some(("pressure".into(), Rule::per(HITS_MAX, 600))),
            once: Some(Once {
                key: "proof:abc".into(),
                until: T0.plus_secs(600),
            }),
            ..Batch::default()
        };
        let (mut ws, mut pressure) = (vec![Window::default()], Window::default());
        assert_eq!(
            take_batch(&batch, &mut ws, None, Some(&mut pressure), false, T0),
            Ok(())
        );
        assert_eq!(
            take_batch(&batch, &mut ws, None, Some(&mut pressure), true, T0),
            Err(Refused::Spent)
        );
        assert_eq!(ws[0].recent(WINDOW_SECS, T0), 1, "the replay took no start");
        assert_eq!(pressure.recent(600, T0), 1, "nor pressed");
        assert_eq!(
            batch.undo().windows,
            ["starts"],
            "the spend is not in the undo"
        );
        assert_eq!(once_key("proof:abc"), "once:proof:abc");
    }

    #[test]
    fn a_batch_names_the_cap_first_and_leaves_no_trace_when_refused() {
        let rule = Rule::per(1, WINDOW_SECS);
        let batch = |micros| Batch {
            windows: vec![("a".into(), rule)],
            reserve: Some(Reserve {
                day: 1,
                key: format!("v/{micros}"),
                currency: "USD".into(),
                micros,
                cap_micros: 100,
                replaceable: false,
            }),
            press: Some(("pressure".into(), Rule::per(HITS_MAX, 600))),
            once: None,
        };
        let (mut ws, mut spend, mut pressure) =
            (vec![Window::default()], Spend::default(), Window::default());
        let b = batch(60);
        assert_eq!(
            take_batch(
                &b,
                &mut ws,
                Some(&mut spend),
                Some(&mut pressure),
                false,
                T0
            ),
            Ok(())
        );
        let b = batch(30);
        assert_eq!(
            take_batch(
                &b,
                &mut ws,
                Some(&mut spend),
                Some(&mut pressure),
                false,
                T0
            ),
            Err(Refused::Window {
                index: 0,
                wait: 3600
            })
        );
        assert_eq!(
            spend.total("USD"),
            60,
            "the refused send's estimate is released"
        );
        let mut fresh = vec![Window::default()];
        let other = Reserve {
            key: "other".into(),
            micros: 40,
            cap_micros: u64::MAX,
            ..batch(40).reserve.unwrap()
        };
        spend.reserve(&other);
        let b = batch(10);
        assert_eq!(
            take_batch(
                &b,
                &mut fresh,
                Some(&mut spend),
                Some(&mut pressure),
                false,
                T0
            ),
            Err(Refused::SpendCap)
        );
        assert_eq!(
            fresh[0].recent(WINDOW_SECS, T0),
            0,
            "a capped send takes no window"
        );
        assert_eq!(pressure.recent(600, T0), 3, "every attempt presses");
        assert_eq!(
            batch(5).undo(),
            Undo {
                windows: vec!["a".into()],
                spend: Some(EstimateName {
                    day: 1,
                    key: "v/5".into()
                })
            }
        );
    }

    #[test]
    fn due_entries_sort_by_time_and_name_their_record() {
        let early = due_key(Timestamp(9_999), "w:a:b");
        let late = due_key(Timestamp(10_000), "w:a");
        assert!(early < late, "{early} sorts before {late}");
        assert!(early < due_by(Timestamp(9_999)));
        assert!(late >= due_by(Timestamp(9_999)), "not yet due");
        assert_eq!(read_due(&early), Some((Timestamp(9_999), "w:a:b")));
        assert_eq!(read_due("due:12:x"), None);
        assert_eq!(read_due("w:a"), None);
    }
}
