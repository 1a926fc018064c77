//! A site's defences against abuse with the deployment's defaults filled in. The defaults are
//! the safe choice a Twilio Verify or Turnstile user would expect: paid channels only for the
//! countries a site names (Geo Permissions), a few sends per client and number, a daily spend
//! cap, a block on bursts to one number range (Fraud Guard), and a lockout after about ten
//! wrong codes a day for one number.

use crate::client::{Client, NETWORKS_PER_ALLOCATION};
use crate::failure::FailureReason;
use crate::phone::E164;
use crate::throttle::{Batch, Once, Refused, Reserve, Rule, WINDOW_SECS};
use crate::time::Timestamp;
use ringproof_api::{Channel, SiteLimits};

/// Channels whose attempts cost the operator money (every one but the missed call, which the
/// visitor places).
pub fn is_paid(channel: Channel) -> bool {
    channel != Channel::MissedCall
}

pub const PENDING_CALLS_PER_NUMBER: u32 = 3;
pub const STARTS_PER_CLIENT_PER_HOUR: u32 = 30;
pub const SENDS_PER_CLIENT_PER_HOUR: u32 = 10;
pub const SENDS_PER_SITE_PER_HOUR: u32 = 200;
pub const SENDS_PER_SITE_PER_DAY: u32 = 2000;
pub const DAILY_SPEND_CAP: &str = "50.00";
pub const SPEND_CURRENCY: &str = "USD";
pub const SENDS_PER_RANGE_PER_10_MIN: u32 = 8;
/// With fresh codes per attempt, ten wrong guesses a day give a 4-digit code a chance of
/// 1 - (1 - 10^-4)^10 < 1/1,000 a day and a 6-digit code < 1/100,000.
pub const FAILED_CHECKS_PER_NUMBER_PER_DAY: u32 = 10;
/// About 100,000 SHA-256 on average: a tenth of a second in the widget, and a real cost for
/// a script that wants thousands of sends.
pub const POW_MAX_NUMBER: u64 = 200_000;
/// Verifications one address may start with one test key in an hour (ten times a site's).
pub const TEST_STARTS_PER_CLIENT_PER_HOUR: u32 = 300;
/// The range of difficulties a site may choose.
pub const POW_MAX_NUMBER_RANGE: (u64, u64) = (1_000, 10_000_000);

/// How long a number range stays blocked after a burst.
pub const RANGE_BLOCK_SECS: u64 = 3600;
/// The window the range burst is counted in.
pub const RANGE_WINDOW_SECS: u64 = 600;
/// Digits dropped from a number to name its range: ranges rented for pumping are blocks of
/// consecutive numbers.
pub const RANGE_DIGITS: usize = 3;

/// The limits that apply to a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub pending_calls_per_number: u32,
    pub starts_per_client_per_hour: u32,
    pub sends_per_client_per_hour: u32,
    pub sends_per_site_per_hour: u32,
    pub sends_per_site_per_day: u32,
    /// In millionths of `spend_currency`.
    pub daily_spend_cap_micros: u64,
    pub spend_currency: String,
    /// `None`: every region.
    pub paid_countries: Option<Vec<String>>,
    pub sends_per_range_per_10_min: u32,
    pub failed_checks_per_number_per_day: u32,
    pub pow_max_number: u64,
}

impl Limits {
    /// `allowed_countries` is the site's list of regions that may verify at all.
    pub fn resolve(set: &SiteLimits, allowed_countries: &[String]) -> Limits {
        let paid = set
            .paid_countries
            .clone()
            .unwrap_or_else(|| allowed_countries.to_vec());
        Limits {
            pending_calls_per_number: set
                .pending_calls_per_number
                .unwrap_or(PENDING_CALLS_PER_NUMBER),
            starts_per_client_per_hour: set
                .starts_per_client_per_hour
                .unwrap_or(STARTS_PER_CLIENT_PER_HOUR),
            sends_per_client_per_hour: set
                .sends_per_client_per_hour
                .unwrap_or(SENDS_PER_CLIENT_PER_HOUR),
            sends_per_site_per_hour: set
                .sends_per_site_per_hour
                .unwrap_or(SENDS_PER_SITE_PER_HOUR),
            sends_per_site_per_day: set.sends_per_site_per_day.unwrap_or(SENDS_PER_SITE_PER_DAY),
            daily_spend_cap_micros: set
                .daily_spend_cap
                .as_deref()
                .and_then(parse_micros)
                .unwrap_or_else(|| parse_micros(DAILY_SPEND_CAP).unwrap_or(0)),
            spend_currency: set
                .spend_currency
                .clone()
                .unwrap_or_else(|| SPEND_CURRENCY.to_owned()),
            paid_countries: (!paid.iter().any(|c| c == "*")).then_some(paid),
            sends_per_range_per_10_min: set
                .sends_per_range_per_10_min
                .unwrap_or(SENDS_PER_RANGE_PER_10_MIN),
            failed_checks_per_number_per_day: set
                .failed_checks_per_number_per_day
                .unwrap_or(FAILED_CHECKS_PER_NUMBER_PER_DAY),
            pow_max_number: set.pow_max_number.unwrap_or(POW_MAX_NUMBER),
        }
    }

    /// Whether a paid code may be sent to a number of `region`.
    pub fn pays_for(&self, region: Option<&str>) -> bool {
        match &self.paid_countries {
            None => true,
            Some(list) => region.is_some_and(|r| list.iter().any(|c| c.eq_ignore_ascii_case(r))),
        }
    }

    /// The channels of `site_channels` a number of `region` may use, in the site's order: the
    /// free missed call always, paid ones where the site pays for that region.
    pub fn channels_for(&self, site_channels: &[Channel], region: Option<&str>) -> Vec<Channel> {
        site_channels
            .iter()
            .copied()
            .filter(|c| !is_paid(*c) || self.pays_for(region))
            .collect()
    }

    /// The limits as the admin API shows them: every default filled in.
    pub fn view(&self) -> SiteLimits {
        SiteLimits {
            pending_calls_per_number: Some(self.pending_calls_per_number),
            starts_per_client_per_hour: Some(self.starts_per_client_per_hour),
            sends_per_client_per_hour: Some(self.sends_per_client_per_hour),
            sends_per_site_per_hour: Some(self.sends_per_site_per_hour),
            sends_per_site_per_day: Some(self.sends_per_site_per_day),
            daily_spend_cap: Some(format_micros(self.daily_spend_cap_micros)),
            spend_currency: Some(self.spend_currency.clone()),
            paid_countries: Some(
                self.paid_countries
                    .clone()
                    .unwrap_or_else(|| vec!["*".to_owned()]),
            ),
            sends_per_range_per_10_min: Some(self.sends_per_range_per_10_min),
            failed_checks_per_number_per_day: Some(self.failed_checks_per_number_per_day),
            pow_max_number: Some(self.pow_max_number),
        }
    }
}

/// Checks limits an operator sets, so a site in KV always has sensible ones.
pub fn validate(set: &SiteLimits) -> Result<(), String> {
    if let Some(cap) = &set.daily_spend_cap {
        if parse_micros(cap).is_none() {
            return Err(format!("daily_spend_cap {cap:?} is not a decimal amount"));
        }
    }
    if let Some(c) = &set.spend_currency {
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("spend_currency {c:?} is not an ISO 4217 code"));
        }
    }
    if let Some(list) = &set.paid_countries {
        for c in list {
            let ok = c == "*" || (c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()));
            if !ok {
                return Err(format!(
                    "paid_countries entry {c:?} is not an ISO 3166-1 alpha-2 code or \"*\""
                ));
            }
        }
    }
    let counts = [
        set.pending_calls_per_number,
        set.starts_per_client_per_hour,
        set.sends_per_client_per_hour,
        set.sends_per_site_per_hour,
        set.sends_per_site_per_day,
        set.sends_per_range_per_10_min,
        set.failed_checks_per_number_per_day,
    ];
    if counts
        .iter()
        .flatten()
        .any(|n| *n > crate::throttle::HITS_MAX)
    {
        return Err(format!(
            "limits are counts of at most {}",
            crate::throttle::HITS_MAX
        ));
    }
    if let Some(n) = set.pow_max_number {
        let (lo, hi) = POW_MAX_NUMBER_RANGE;
        if !(lo..=hi).contains(&n) {
            return Err(format!("pow_max_number must be {lo} to {hi}"));
        }
    }
    Ok(())
}

/// `"12.3456"` as millionths; `None` for anything but a plain non-negative decimal.
pub fn parse_micros(text: &str) -> Option<u64> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) || whole.len() > 12 {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut micros = 0u64;
    for (i, b) in frac.bytes().take(6).enumerate() {
        micros += u64::from(b - b'0') * 10u64.pow(5 - i as u32);
    }
    whole.checked_mul(1_000_000)?.checked_add(micros)
}

pub fn format_micros(micros: u64) -> String {
    format!(
        "{}.{:02}",
        micros / 1_000_000,
        (micros % 1_000_000) / 10_000
    )
}

/// The range a number belongs to for the burst guard: its E.164 without the last digits.
pub fn range_of(e164: &str) -> &str {
    &e164[..e164
        .len()
        .saturating_sub(RANGE_DIGITS)
        .max(1.min(e164.len()))]
}

/// A day, for the daily counters.
pub const DAY_SECS: u64 = 86_400;

/// One count a request must pass: the throttle object that keeps it (one request at a time,
/// so concurrent requests are counted one by one), its window there, its rule, and what a
/// refusal is called. **Counts decided together share an object**, so they cost one call and
/// pass or fail as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub object: String,
    pub window: String,
    pub rule: Rule,
    pub refusal: FailureReason,
}

/// One object's share of a request's counts: one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Take {
    pub object: String,
    pub batch: Batch,
    /// Each window's place among the request's counters, and what its refusal is called.
    pub named: Vec<(usize, FailureReason)>,
}

/// Groups counters by the object that keeps them, objects in the order each first appears.
pub fn group(counters: &[Counter]) -> Vec<Take> {
    let mut takes: Vec<Take> = Vec::new();
    for (place, c) in counters.iter().enumerate() {
        let i = match takes.iter().position(|t| t.object == c.object) {
            Some(i) => i,
            None => {
                takes.push(Take {
                    object: c.object.clone(),
                    batch: Batch::default(),
                    named: Vec::new(),
                });
                takes.len() - 1
            }
        };
        // Two counts of one window would count each hit twice, and the window's record would
        // be kept by two rules.
        debug_assert!(
            takes[i].batch.windows.iter().all(|(w, _)| *w != c.window),
            "{} counted twice in {}",
            c.window,
            c.object
        );
        takes[i].batch.windows.push((c.window.clone(), c.rule));
        takes[i].named.push((place, c.refusal));
    }
    takes
}

/// One object's answer to its share of a request's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Took,
    Refused(Refused),
    /// The call did not come back (the object could not be reached or erred).
    Failed,
}

/// What a request's counts come to, over every object it asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Refused(Refusal),
    Failed,
}

/// Why a request's counts refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A single-use thing (`Batch::once`) was spent before: the request is a replay.
    Spent,
    /// A limit, passing again in this many seconds.
    Limit(FailureReason, u64),
}

impl Refusal {
    /// What a refused start is told: a replayed proof is invalid; a limit is the client's
    /// starts, with when to try again.
    pub fn of_start(self) -> crate::ApiError {
        match self {
            Refusal::Spent => crate::ApiError::ProofInvalid,
            Refusal::Limit(_, wait) => crate::ApiError::TooManyStarts(wait),
        }
    }
}

/// Settles a request's counts from each take's answer. **A refusal outranks a failure**: a
/// request one object refused is refused whatever another's call did, so the visitor learns
/// why and how long to wait instead of an error that invites a retry. Of the refusals, a
/// replay is named first (it was never a request to count), then the cap, then the first
/// window in the counters' order. Unless it passed, what was taken is given back.
pub fn verdict(takes: &[Take], answers: &[Answer]) -> Verdict {
    if answers.contains(&Answer::Refused(Refused::Spent)) {
        return Verdict::Refused(Refusal::Spent);
    }
    if answers.contains(&Answer::Refused(Refused::SpendCap)) {
        return Verdict::Refused(Refusal::Limit(FailureReason::SpendCapReached, 0));
    }
    let first = takes
        .iter()
        .zip(answers)
        .filter_map(|(take, answer)| match answer {
            Answer::Refused(Refused::Window { index, wait }) => take
                .named
                .get(*index)
                .map(|(place, why)| (*place, *why, *wait)),
            _ => None,
        })
        .min_by_key(|(place, _, _)| *place);
    match first {
        Some((_, why, wait)) => Verdict::Refused(Refusal::Limit(why, wait)),
        None if answers.contains(&Answer::Failed) => Verdict::Failed,
        None => Verdict::Passed,
    }
}

/// Names the estimate of a verification's first send in the site's day of spend.
pub fn first_send_key(verification_id: &str) -> String {
    format!("{verification_id}/1")
}

/// Names the estimate of a later send (a resend or a switch): random, so two sends of one
/// verification are never one estimate.
pub fn later_send_key(verification_id: &str, rng: &mut impl crate::Randomness) -> String {
    format!("{verification_id}/{}", rng.token(6))
}

/// A site's own object: what its paid sends are counted against (its hour and day, each
/// number's and each range's sends on it, its pressure) and its spend. They are decided
/// together at each paid send, so one call takes them all.
pub fn site_object(site_key: &str) -> String {
    format!("site:{site_key}")
}

/// A client's object on one site (its network or its wider allocation): its starts, its paid
/// sends there, and the proofs of work it spent (each bound to the site and the network).
pub fn client_object(site_key: &str, network: &str) -> String {
    format!("client:{site_key}:{network}")
}

/// Bounds the operator sets for the whole deployment, over every site (`wrangler.toml`'s vars):
/// what no one site's setting may decide for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shared {
    /// Paid sends to one number an hour, whichever sites ask: keeps a phone from being
    /// flooded through many sites. A site's own limit is counted per site.
    pub sends_per_number_per_hour: u32,
    /// Paid sends to one number range in ten minutes, whichever sites ask, before the range
    /// is blocked on every site for [`RANGE_BLOCK_SECS`]. A site's own threshold blocks the
    /// range on that site only.
    pub range_sends_per_10_min: u32,
}

pub const SHARED_SENDS_PER_NUMBER_PER_HOUR: u32 = 20;
pub const SHARED_RANGE_SENDS_PER_10_MIN: u32 = 40;

impl Default for Shared {
    fn default() -> Shared {
        Shared {
            sends_per_number_per_hour: SHARED_SENDS_PER_NUMBER_PER_HOUR,
            range_sends_per_10_min: SHARED_RANGE_SENDS_PER_10_MIN,
        }
    }
}

impl Shared {
    /// From the deployment's vars; a missing or unreadable one keeps its default.
    pub fn from_vars(number: Option<&str>, range: Option<&str>) -> Shared {
        let read = |v: Option<&str>, default| {
            v.and_then(|v| v.trim().parse().ok())
                .filter(|n| *n <= crate::throttle::HITS_MAX)
                .unwrap_or(default)
        };
        Shared {
            sends_per_number_per_hour: read(number, SHARED_SENDS_PER_NUMBER_PER_HOUR),
            range_sends_per_10_min: read(range, SHARED_RANGE_SENDS_PER_10_MIN),
        }
    }
}

/// Starts by one client on one site (and by its /48, wider): bounds what one client can hold
/// pending. Test keys' starts are counted per client over every test key.
pub fn start_counters(
    site_key: &str,
    limits: &Limits,
    client: &Client,
    test: bool,
) -> Vec<Counter> {
    let hourly = |n: u32| Rule::per(n, WINDOW_SECS);
    let starts = |object, rule| Counter {
        object,
        window: "starts".to_owned(),
        rule,
        refusal: FailureReason::ClientRateLimited,
    };
    let mut counters = vec![starts(
        client_object(site_key, &client.network),
        hourly(limits.starts_per_client_per_hour),
    )];
    if let Some(wide) = &client.allocation {
        counters.push(starts(
            client_object(site_key, wide),
            hourly(
                limits
                    .starts_per_client_per_hour
                    .saturating_mul(NETWORKS_PER_ALLOCATION),
            ),
        ));
    }
    if test {
        // Test keys cost nothing: one bound over all of them, so six keys buy no more.
        counters.push(starts(
            format!("tests:{}", client.network),
            hourly(TEST_STARTS_PER_CLIENT_PER_HOUR),
        ));
    }
    counters
}

/// A start's calls: its counters by object, the client's own also spending the start's proof
/// of work (`pow::spend`), so a replayed proof is refused before any start is counted, in the
/// call that counts them.
pub fn start_takes(
    site_key: &str,
    limits: &Limits,
    client: &Client,
    test: bool,
    proof: Option<Once>,
) -> Vec<Take> {
    let mut takes = group(&start_counters(site_key, limits, client, test));
    let own = client_object(site_key, &client.network);
    if let Some(take) = takes.iter_mut().find(|t| t.object == own) {
        take.batch.once = proof;
    }
    takes
}

/// Every counter a paid send to `phone` must pass, in the order their refusals are named.
/// Each is scoped to what it protects: a site's own limits count that site's sends only, so
/// no other site's traffic can use them up.
pub fn paid_send_counters(
    site_key: &str,
    limits: &Limits,
    shared: &Shared,
    sends_per_number_per_hour: u32,
    phone: &E164,
    client: &Client,
) -> Vec<Counter> {
    let phone = phone.as_str();
    let range = range_of(phone);
    let site = site_object(site_key);
    let counter = |object: &str, window: &str, rule, refusal| Counter {
        object: object.to_owned(),
        window: window.to_owned(),
        rule,
        refusal,
    };
    let range_rule = |limit| Rule {
        limit,
        span_secs: RANGE_WINDOW_SECS,
        block_secs: Some(RANGE_BLOCK_SECS),
    };
    let mut counters = vec![
        counter(
            &site,
            &format!("number:{phone}"),
            Rule::per(sends_per_number_per_hour, WINDOW_SECS),
            FailureReason::NumberRateLimited,
        ),
        // The number's shared window lives in its range's object: both are counted over
        // every site at each send, so one call takes them.
        counter(
            &format!("range:{range}"),
            &format!("number:{phone}"),
            Rule::per(shared.sends_per_number_per_hour, WINDOW_SECS),
            FailureReason::NumberRateLimited,
        ),
        counter(
            &client_object(site_key, &client.network),
            "sends",
            Rule::per(limits.sends_per_client_per_hour, WINDOW_SECS),
            FailureReason::ClientRateLimited,
        ),
    ];
    if let Some(wide) = &client.allocation {
        counters.push(counter(
            &client_object(site_key, wide),
            "sends",
            Rule::per(
                limits
                    .sends_per_client_per_hour
                    .saturating_mul(NETWORKS_PER_ALLOCATION),
                WINDOW_SECS,
            ),
            FailureReason::ClientRateLimited,
        ));
    }
    counters.extend([
        counter(
            &site,
            "hour",
            Rule::per(limits.sends_per_site_per_hour, WINDOW_SECS),
            FailureReason::SiteRateLimited,
        ),
        counter(
            &site,
            "day",
            Rule::per(limits.sends_per_site_per_day, DAY_SECS),
            FailureReason::SiteRateLimited,
        ),
        counter(
            &site,
            &format!("range:{range}"),
            range_rule(limits.sends_per_range_per_10_min),
            FailureReason::RangeBlocked,
        ),
        counter(
            &format!("range:{range}"),
            "sends",
            range_rule(shared.range_sends_per_10_min),
            FailureReason::RangeBlocked,
        ),
    ]);
    counters
}

/// A paid send's calls: its counters grouped by object, the site's own also reserving the
/// send's estimate and counting its pressure (`pow::pressure`).
pub fn paid_send_takes(
    counters: &[Counter],
    site_key: &str,
    reserve: Reserve,
    press: (String, Rule),
) -> Vec<Take> {
    let mut takes = group(counters);
    let site = site_object(site_key);
    let i = match takes.iter().position(|t| t.object == site) {
        Some(i) => i,
        None => {
            takes.push(Take {
                object: site,
                batch: Batch::default(),
                named: Vec::new(),
            });
            takes.len() - 1
        }
    };
    takes[i].batch.reserve = Some(reserve);
    takes[i].batch.press = Some(press);
    takes
}

/// Live sockets one client may open in ten minutes, over every verification: a page needs one
/// per verification, and a few more when its connection drops.
pub const SOCKETS_PER_CLIENT_PER_10_MIN: u32 = 30;

/// Sockets opened by one client.
pub fn socket_counter(client: &Client) -> (String, Rule) {
    (
        format!("sockets:{}", client.network),
        Rule::per(SOCKETS_PER_CLIENT_PER_10_MIN, 600),
    )
}

/// Whether a site's checks look at and count against a number's locks. A test key's code is
/// public: its guesses prove nothing, so they must not count against the number on real sites
/// (else test keys would lock anyone's number), nor are its numbers locked.
pub fn guesses_count(test: bool) -> bool {
    !test
}

/// Wrong codes for one number on one site, and by one client over every site: a lock on one
/// site never refuses another site's visitor, and one client cannot buy guesses by moving
/// between sites. Only a code compared and found wrong counts. **Each scope has an object of
/// its own**: a stranger's looks and counts, on their own site or from their own address,
/// never queue in an object another site's visitors use.
pub fn check_counters(
    site_key: &str,
    limits: &Limits,
    client: &Client,
    phone: &E164,
) -> [(String, Rule); 2] {
    let rule = Rule::per(limits.failed_checks_per_number_per_day, DAY_SECS);
    let phone = phone.as_str();
    [
        (format!("checks:{site_key}:{phone}"), rule),
        (format!("checks:{}:{phone}", client.network), rule),
    ]
}

/// What a paid send is expected to cost before its provider reports (most never do: only
/// TeleSign's SMS callbacks carry a price), per channel and country, in the site's spend
/// currency. The operator's table (`PRICE_ESTIMATES`, e.g.
/// `{"sms": {"*": "0.10", "IN": "0.01"}, "voice_call": {"*": "0.20"}}`) replaces the defaults
/// channel by channel; `*` is every country not named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prices {
    by_channel: Vec<(Channel, Vec<(String, u64)>)>,
}

/// The defaults: on the high side of what SMS, voice and flash calls cost, so a cap is reached
/// early rather than late.
pub const DEFAULT_PRICES: [(Channel, &str); 3] = [
    (Channel::Sms, "0.10"),
    (Channel::VoiceCall, "0.10"),
    (Channel::FlashCall, "0.02"),
];

impl Default for Prices {
    fn default() -> Prices {
        Prices {
            by_channel: DEFAULT_PRICES
                .iter()
                .map(|(c, p)| (*c, vec![("*".to_owned(), parse_micros(p).unwrap_or(0))]))
                .collect(),
        }
    }
}

impl Prices {
    /// The operator's table over the defaults; an unreadable one is an error to log, and the
    /// defaults stand.
    pub fn parse(json: &str) -> Result<Prices, String> {
        let table: std::collections::HashMap<Channel, std::collections::BTreeMap<String, String>> =
            serde_json::from_str(json).map_err(|e| format!("PRICE_ESTIMATES: {e}"))?;
        let mut prices = Prices::default();
        for (channel, by_country) in table {
            let mut entries = Vec::new();
            for (country, price) in by_country {
                let micros = parse_micros(&price)
                    .ok_or_else(|| format!("PRICE_ESTIMATES: {price:?} is not an amount"))?;
                entries.push((country.to_ascii_uppercase(), micros));
            }
            prices.by_channel.retain(|(c, _)| *c != channel);
            prices.by_channel.push((channel, entries));
        }
        Ok(prices)
    }

    /// The estimate of a send on `channel` to a number of `region`.
    pub fn estimate(&self, channel: Channel, region: Option<&str>) -> u64 {
        let Some((_, entries)) = self.by_channel.iter().find(|(c, _)| *c == channel) else {
            return 0;
        };
        let named = region.and_then(|r| entries.iter().find(|(c, _)| c.eq_ignore_ascii_case(r)));
        named
            .or_else(|| entries.iter().find(|(c, _)| c == "*"))
            .map_or(0, |(_, micros)| *micros)
    }
}

/// The object that counts one site's refusals, a record a day.
pub fn refusals_object(site_key: &str) -> String {
    format!("refusals:{site_key}")
}

/// When a day's refusals may be forgotten: a week on, for the site's insights.
pub fn forget_refusals_at(day: u64) -> Timestamp {
    Timestamp((day + 8) * DAY_SECS * 1000)
}

/// When a day's counters may be forgotten: the end of the next day, so a request at midnight
/// still finds today's.
pub fn forget_day_at(day: u64) -> Timestamp {
    Timestamp((day + 2) * DAY_SECS * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_reserve() -> Reserve {
        Reserve {
            day: 3,
            key: "v/1".into(),
            currency: "USD".into(),
            micros: 100,
            cap_micros: 1_000,
            replaceable: false,
        }
    }

    #[test]
    fn paid_sends_count_what_each_limit_protects() {
        let l = Limits::resolve(&SiteLimits::default(), &[]);
        let phone = crate::phone::normalise("+447400123456", None).unwrap();
        let v4 = Client::from_ip("198.51.100.7");
        let c = paid_send_counters("site1", &l, &Shared::default(), 10, &phone, &v4);
        let names: Vec<String> = c
            .iter()
            .map(|c| format!("{} {}", c.object, c.window))
            .collect();
        assert_eq!(
            names,
            [
                "site:site1 number:+447400123456",
                "range:+447400123 number:+447400123456",
                "client:site1:198.51.100.7 sends",
                "site:site1 hour",
                "site:site1 day",
                "site:site1 range:+447400123",
                "range:+447400123 sends"
            ]
        );
        assert_eq!(c[0].rule, Rule::per(10, 3600));
        assert_eq!(c[1].rule, Rule::per(SHARED_SENDS_PER_NUMBER_PER_HOUR, 3600));
        assert_eq!(c[4].rule, Rule::per(2000, 86_400));
        assert_eq!(c[5].rule.limit, 8, "the site's own threshold, for the site");
        assert_eq!(
            c[6].rule.limit, SHARED_RANGE_SENDS_PER_10_MIN,
            "the operator's"
        );
        assert!(c[5..].iter().all(|c| c.rule.block_secs == Some(3600)));
        assert_eq!(c[6].refusal, FailureReason::RangeBlocked);
        let v6 = Client::from_ip("2001:db8:1:2::9");
        let c6 = paid_send_counters("site1", &l, &Shared::default(), 10, &phone, &v6);
        assert_eq!(c6[2].object, "client:site1:2001:db8:1:2::/64");
        assert_eq!(c6[3].object, "client:site1:2001:db8:1::/48");
        assert_eq!(c6[3].rule.limit, 10 * NETWORKS_PER_ALLOCATION);
        let checks = check_counters("site1", &l, &v4, &phone);
        assert_eq!(checks[0].0, "checks:site1:+447400123456");
        assert_eq!(checks[1].0, "checks:198.51.100.7:+447400123456");
        assert_eq!(checks[0].1, Rule::per(10, 86_400));
        assert_eq!(forget_day_at(1).millis(), 3 * 86_400_000);
    }

    #[test]
    fn a_paid_send_costs_one_call_per_object_and_names_refusals_in_order() {
        let l = Limits::resolve(&SiteLimits::default(), &[]);
        let phone = crate::phone::normalise("+447400123456", None).unwrap();
        let v6 = Client::from_ip("2001:db8:1:2::9");
        let c = paid_send_counters("s", &l, &Shared::default(), 10, &phone, &v6);
        let reserve = a_reserve();
        let takes = paid_send_takes(&c, "s", reserve.clone(), crate::pow::pressure());
        let objects: Vec<&str> = takes.iter().map(|t| t.object.as_str()).collect();
        assert_eq!(
            objects,
            [
                "site:s",
                "range:+447400123",
                "client:s:2001:db8:1:2::/64",
                "client:s:2001:db8:1::/48",
            ],
            "8 counters, the estimate and the pressure in 4 calls"
        );
        assert_eq!(
            takes[1]
                .batch
                .windows
                .iter()
                .map(|(w, _)| w.as_str())
                .collect::<Vec<_>>(),
            ["number:+447400123456", "sends"],
            "the number's shared window rides with its range's"
        );
        let site = &takes[0];
        assert_eq!(site.batch.windows.len(), 4);
        assert_eq!(site.batch.reserve, Some(reserve));
        assert_eq!(
            site.batch.press.as_ref().map(|p| p.0.as_str()),
            Some("pressure")
        );
        assert!(takes[1..]
            .iter()
            .all(|t| t.batch.reserve.is_none() && t.batch.press.is_none()));
        // The site's range window (its 4th) and the shared number both refuse: the number
        // comes first among the counters.
        let mut answers = vec![Answer::Took; takes.len()];
        answers[0] = Answer::Refused(Refused::Window { index: 3, wait: 60 });
        answers[1] = Answer::Refused(Refused::Window {
            index: 0,
            wait: 900,
        });
        assert_eq!(
            verdict(&takes, &answers),
            Verdict::Refused(Refusal::Limit(FailureReason::NumberRateLimited, 900))
        );
        answers[1] = Answer::Took;
        assert_eq!(
            verdict(&takes, &answers),
            Verdict::Refused(Refusal::Limit(FailureReason::RangeBlocked, 60))
        );
        answers[0] = Answer::Took;
        answers[1] = Answer::Refused(Refused::Window { index: 1, wait: 30 });
        assert_eq!(
            verdict(&takes, &answers),
            Verdict::Refused(Refusal::Limit(FailureReason::RangeBlocked, 30)),
            "the shared range, in the range's object after the number"
        );
        answers[3] = Answer::Refused(Refused::SpendCap);
        assert_eq!(
            verdict(&takes, &answers),
            Verdict::Refused(Refusal::Limit(FailureReason::SpendCapReached, 0)),
            "the cap is named first"
        );
        assert_eq!(
            verdict(&takes, &vec![Answer::Took; takes.len()]),
            Verdict::Passed
        );
    }

    #[test]
    fn a_refusal_outranks_a_failed_call() {
        let l = Limits::resolve(&SiteLimits::default(), &[]);
        let phone = crate::phone::normalise("+447400123456", None).unwrap();
        let c = paid_send_counters(
            "s",
            &l,
            &Shared::default(),
            10,
            &phone,
            &Client::from_ip("192.0.2.1"),
        );
        let reserve = a_reserve();
        let takes = paid_send_takes(&c, "s", reserve, crate::pow::pressure());
        let mut answers = vec![Answer::Took; takes.len()];
        answers[1] = Answer::Failed;
        assert_eq!(verdict(&takes, &answers), Verdict::Failed);
        answers[0] = Answer::Refused(Refused::SpendCap);
        assert_eq!(
            verdict(&takes, &answers),
            Verdict::Refused(Refusal::Limit(FailureReason::SpendCapReached, 0))
        );
        answers[0] = Answer::Took;
        answers[2] = Answer::Refused(Refused::Window { index: 0, wait: 5 });
        assert_eq!(
            verdict(&takes, &answers),
            Verdict::Refused(Refusal::Limit(FailureReason::ClientRateLimited, 5))
        );
    }

    #[test]
    fn each_send_of_a_verification_names_its_own_estimate() {
        use crate::random::testing::Seeded;
        assert_eq!(first_send_key("v1"), "v1/1");
        let later = later_send_key("v1", &mut Seeded(1));
        assert!(later.starts_with("v1/") && later != "v1/1", "{later}");
        assert_ne!(later, later_send_key("v1", &mut Seeded(2)));
    }

    #[test]
    fn no_object_counts_one_window_twice() {
        let l = Limits::resolve(&SiteLimits::default(), &[]);
        let phone = crate::phone::normalise("+447400123456", None).unwrap();
        let reserve = a_reserve();
        for ip in ["192.0.2.1", "2001:db8:1:2::9"] {
            let client = Client::from_ip(ip);
            let paid = paid_send_counters("s", &l, &Shared::default(), 10, &phone, &client);
            let mut all = paid.clone();
            all.extend(start_counters("s", &l, &client, true));
            let mut seen: Vec<(&str, &str)> = all
                .iter()
                .map(|c| (c.object.as_str(), c.window.as_str()))
                .collect();
            seen.sort_unstable();
            let n = seen.len();
            seen.dedup();
            assert_eq!(seen.len(), n, "a window counted twice: {all:?}");
            // The pressure shares the site's object with the send's windows.
            let takes = paid_send_takes(&paid, "s", reserve.clone(), crate::pow::pressure());
            for t in &takes {
                if let Some((press, _)) = &t.batch.press {
                    assert!(t.batch.windows.iter().all(|(w, _)| w != press));
                }
            }
        }
    }

    #[test]
    fn starts_count_per_client_and_test_starts_over_every_test_key() {
        let l = Limits::resolve(&SiteLimits::default(), &[]);
        let v6 = Client::from_ip("2001:db8:1:2::9");
        let names: Vec<String> = start_counters("s", &l, &v6, true)
            .into_iter()
            .map(|c| format!("{} {}", c.object, c.window))
            .collect();
        assert_eq!(
            names,
            [
                "client:s:2001:db8:1:2::/64 starts",
                "client:s:2001:db8:1::/48 starts",
                "tests:2001:db8:1:2::/64 starts"
            ]
        );
        assert_eq!(
            start_counters("s", &l, &Client::from_ip("192.0.2.1"), false).len(),
            1
        );
    }

    #[test]
    fn a_start_spends_its_proof_in_the_clients_own_object_and_a_replay_counts_nothing() {
        let l = Limits::resolve(&SiteLimits::default(), &[]);
        let v6 = Client::from_ip("2001:db8:1:2::9");
        let proof = crate::pow::Proof {
            challenge: "c1".into(),
            expires_at: Timestamp(5_000),
        };
        let takes = start_takes("s", &l, &v6, true, Some(crate::pow::spend(&proof)));
        assert_eq!(takes.len(), 3, "the proof costs no call of its own");
        assert_eq!(takes[0].object, "client:s:2001:db8:1:2::/64");
        assert_eq!(
            takes[0].batch.once,
            Some(Once {
                key: "proof:c1".into(),
                until: Timestamp(5_000)
            })
        );
        assert!(takes[1..].iter().all(|t| t.batch.once.is_none()));
        assert!(start_takes("s", &l, &v6, false, None)
            .iter()
            .all(|t| t.batch.once.is_none()));
        // A replay is named before anything else any object answered.
        let answers = [
            Answer::Refused(Refused::Spent),
            Answer::Refused(Refused::Window { index: 0, wait: 9 }),
            Answer::Failed,
        ];
        assert_eq!(verdict(&takes, &answers), Verdict::Refused(Refusal::Spent));
        assert_eq!(Refusal::Spent.of_start(), crate::ApiError::ProofInvalid);
        assert_eq!(
            Refusal::Limit(FailureReason::ClientRateLimited, 9).of_start(),
            crate::ApiError::TooManyStarts(9)
        );
    }

    #[test]
    fn every_paid_channel_has_an_estimate_the_operator_may_replace() {
        let p = Prices::default();
        assert_eq!(p.estimate(Channel::Sms, Some("GB")), 100_000);
        assert_eq!(p.estimate(Channel::VoiceCall, None), 100_000);
        assert_eq!(p.estimate(Channel::FlashCall, Some("IN")), 20_000);
        assert_eq!(p.estimate(Channel::MissedCall, Some("GB")), 0, "free");
        let t = Prices::parse(r#"{"sms": {"*": "0.05", "in": "0.01"}}"#).unwrap();
        assert_eq!(t.estimate(Channel::Sms, Some("IN")), 10_000);
        assert_eq!(t.estimate(Channel::Sms, Some("GB")), 50_000);
        assert_eq!(
            t.estimate(Channel::VoiceCall, Some("GB")),
            100_000,
            "defaults stand"
        );
        assert!(Prices::parse(r#"{"sms": {"*": "free"}}"#).is_err());
        assert!(Prices::parse("[]").is_err());
    }

    #[test]
    fn shared_bounds_come_from_the_deployment() {
        assert_eq!(Shared::from_vars(None, None), Shared::default());
        let s = Shared::from_vars(Some("5"), Some("x"));
        assert_eq!(s.sends_per_number_per_hour, 5);
        assert_eq!(s.range_sends_per_10_min, SHARED_RANGE_SENDS_PER_10_MIN);
        assert_eq!(Shared::from_vars(Some("999999"), None), Shared::default());
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let l = Limits::resolve(&SiteLimits::default(), &[]);
        assert_eq!(l.pending_calls_per_number, 3);
        assert_eq!(l.sends_per_client_per_hour, 10);
        assert_eq!(l.sends_per_site_per_hour, 200);
        assert_eq!(l.sends_per_site_per_day, 2000);
        assert_eq!(l.daily_spend_cap_micros, 50_000_000);
        assert_eq!(l.failed_checks_per_number_per_day, 10);
        assert_eq!(l.sends_per_range_per_10_min, 8);
        assert!(
            !l.pays_for(Some("GB")),
            "no paid channel for an unlisted country"
        );
        assert!(!l.pays_for(None));
    }

    #[test]
    fn paid_countries_follow_the_site_unless_set() {
        let gb = Limits::resolve(&SiteLimits::default(), &["GB".into()]);
        assert!(gb.pays_for(Some("GB")) && !gb.pays_for(Some("RU")));
        let all = Limits::resolve(
            &SiteLimits {
                paid_countries: Some(vec!["*".into()]),
                ..Default::default()
            },
            &["GB".into()],
        );
        assert!(all.pays_for(Some("RU")));
        let offered = gb.channels_for(&[Channel::Sms, Channel::MissedCall], Some("RU"));
        assert_eq!(
            offered,
            [Channel::MissedCall],
            "the free missed call stays offered"
        );
        assert_eq!(all.view().paid_countries, Some(vec!["*".to_owned()]));
    }

    #[test]
    fn ten_wrong_guesses_a_day_stay_below_the_targets() {
        let n = f64::from(FAILED_CHECKS_PER_NUMBER_PER_DAY);
        let four = 1.0 - (1.0 - 1e-4f64).powf(n);
        let six = 1.0 - (1.0 - 1e-6f64).powf(n);
        assert!(four < 1e-3, "{four}");
        assert!(six < 1e-5, "{six}");
    }

    #[test]
    fn amounts_parse_strictly() {
        assert_eq!(parse_micros("25"), Some(25_000_000));
        assert_eq!(parse_micros("0.0075"), Some(7_500));
        assert_eq!(parse_micros(".5"), Some(500_000));
        assert_eq!(parse_micros("1.2345678"), Some(1_234_567));
        for bad in ["", ".", "-1", "1e3", "1,5", "abc", "99999999999999"] {
            assert_eq!(parse_micros(bad), None, "{bad}");
        }
        assert_eq!(format_micros(7_500_000), "7.50");
        assert!(validate(&SiteLimits {
            daily_spend_cap: Some("x".into()),
            ..Default::default()
        })
        .is_err());
        assert!(validate(&SiteLimits {
            pow_max_number: Some(1),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn ranges_drop_the_last_digits() {
        assert_eq!(range_of("+447400123456"), "+447400123");
        assert_eq!(range_of("+1"), "+");
    }
}
