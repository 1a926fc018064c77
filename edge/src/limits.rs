//! A site's limits, counted: `ringproof_core::limits` names each counter and its rule; each
//! counter is one throttle object, so concurrent requests are counted one at a time.

use crate::durable::throttle::ThrottleStub;
use crate::env::now;
use crate::error::Outcome;
use futures_util::future::join_all;
use ringproof_core::client::Client;
use ringproof_core::failure::FailureReason;
use ringproof_core::limits::{self, parse_micros, Counter, Shared, DAY_SECS};
use ringproof_core::phone::E164;
use ringproof_core::pow::Proof;
use ringproof_core::providers::Cost;
use ringproof_core::site::Site;
use ringproof_core::throttle::{day_of, Refusals, Rule, HITS_MAX};
use ringproof_core::{ApiError, Timestamp};
use worker::Env;

/// Counts a start by `client` on `site`: bounds what one client can hold pending. Answers the
/// counters taken, for [`give_back`] when the start does not go ahead after all.
pub async fn count_start(env: &Env, site: &Site, client: &Client) -> Outcome<Vec<String>> {
    let counters: Vec<Counter> =
        limits::start_counters(&site.site_key, &site.limits(), client, site.test.is_some())
            .into_iter()
            .map(|(name, rule)| Counter {
                name,
                rule,
                refusal: FailureReason::ClientRateLimited,
            })
            .collect();
    take_all(env, &counters)
        .await?
        .map_err(|(_, wait)| ApiError::TooManyStarts(wait))?;
    Ok(counters.into_iter().map(|c| c.name).collect())
}

/// Takes back one hit of each counter named: what a request took and then did not use.
pub async fn give_back(env: &Env, names: &[String]) {
    let given = join_all(
        names
            .iter()
            .map(|n| async { ThrottleStub::named(env, n.clone()).give_back().await }),
    )
    .await;
    for e in given.into_iter().filter_map(Result::err) {
        worker::console_warn!("giving back a count failed: {e:?}");
    }
}

/// Takes every counter of `counters` at once; when one refuses, the others are given back, so
/// a refused request leaves no trace in any counter. The refusal is the first in their order.
async fn take_all<'c>(
    env: &Env,
    counters: &'c [Counter],
) -> Outcome<Result<(), (&'c Counter, u64)>> {
    let taken = join_all(
        counters
            .iter()
            .map(|c| async { ThrottleStub::named(env, c.name.clone()).take(c.rule).await }),
    )
    .await;
    let mut refused = None;
    let mut failed = None;
    let mut passed = Vec::new();
    for (counter, result) in counters.iter().zip(taken) {
        match result {
            Ok(Ok(())) => passed.push(counter),
            Ok(Err(wait)) => {
                refused.get_or_insert((counter, wait));
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    if refused.is_none() && failed.is_none() {
        return Ok(Ok(()));
    }
    let passed: Vec<String> = passed.into_iter().map(|c| c.name.clone()).collect();
    give_back(env, &passed).await;
    match (failed, refused) {
        (Some(e), _) => Err(e),
        (None, Some(refused)) => Ok(Err(refused)),
        (None, None) => Ok(Ok(())),
    }
}

/// The deployment's own bounds over every site.
pub fn shared(env: &Env) -> Shared {
    let var = |name| crate::env::secret(env, name).ok();
    Shared::from_vars(
        var("SENDS_PER_NUMBER_PER_HOUR").as_deref(),
        var("RANGE_SENDS_PER_10_MIN").as_deref(),
    )
}

/// How busy `site_key` has been: its paid attempts (sent or refused by a limit, each after a
/// spent proof) in the last ten minutes, which its proof of work's difficulty follows.
/// Refusals that cost nothing (a foreign page, a missing proof) are not counted, so no one
/// raises another site's difficulty for free.
pub async fn pressure(env: &Env, site_key: &str) -> Outcome<u32> {
    ThrottleStub::named(env, limits::pressure_counter(site_key))
        .recent(ringproof_core::pow::PRESSURE_WINDOW_SECS)
        .await
}

/// Counts one paid send or refusal of `site_key` towards its pressure; a failure to count
/// never changes an answer.
async fn press(env: &Env, site_key: &str) {
    let rule = Rule::per(HITS_MAX, ringproof_core::pow::PRESSURE_WINDOW_SECS);
    let stub = ThrottleStub::named(env, limits::pressure_counter(site_key));
    if let Err(e) = stub.take(rule).await {
        worker::console_warn!("counting pressure failed: {e:?}");
    }
}

/// Spends a checked proof of work: each one buys one send.
pub async fn spend_proof(env: &Env, checked: &Proof) -> Outcome<()> {
    let (name, rule) = ringproof_core::pow::proof_counter(&checked.challenge);
    ThrottleStub::named(env, name)
        .take(rule)
        .await?
        .map_err(|_| ApiError::ProofInvalid)
}

/// A paid send, as the limits see it.
pub struct PaidSend<'a> {
    pub phone: &'a E164,
    pub channel: ringproof_api::Channel,
    /// Names the send's estimate in the day's spend (`{verification}/{attempt}`).
    pub key: String,
}

/// What a paid send took: given back whole when its attempt does not go ahead.
pub struct PaidGate {
    key: String,
    spend_counter: String,
    counters: Vec<String>,
}

impl PaidGate {
    /// The send's name in the day's spend.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Gives back the estimate and every count: the attempt never began.
    pub async fn give_back(self, env: &Env) {
        let spend = ThrottleStub::named(env, self.spend_counter);
        let (released, ()) = futures_util::join!(
            spend.release_spend(self.key),
            give_back(env, &self.counters)
        );
        if let Err(e) = released {
            worker::console_warn!("giving back an estimate failed: {e:?}");
        }
    }
}

/// Every limit a paid send must pass, counted before the provider is asked, in one round: its
/// estimated price reserved against the daily cap (a failed send may still cost), every
/// counter of `core::limits::paid_send_counters`, and the site's pressure. The first refusal,
/// the cap first and then in core's order, is the reason; a refused send gives back all it took.
pub async fn before_paid_send(
    env: &Env,
    site: &Site,
    send: &PaidSend<'_>,
    client: &Client,
) -> Outcome<Result<PaidGate, FailureReason>> {
    let l = site.limits();
    let key = &site.site_key;
    let phone = send.phone;
    let day = day_of(now());
    let spend_counter = limits::spend_counter(key, day);
    let spend = ThrottleStub::named(env, spend_counter.clone());
    let estimate = prices(env).estimate(send.channel, phone.region().as_deref());
    let counters = limits::paid_send_counters(
        key,
        &l,
        &shared(env),
        site.sends_per_number_per_hour,
        phone,
        client,
    );
    let (reserved, taken, ()) = futures_util::join!(
        spend.reserve_spend(
            send.key.clone(),
            l.spend_currency.clone(),
            estimate,
            l.daily_spend_cap_micros,
            limits::forget_day_at(day),
        ),
        take_all(env, &counters),
        // Sent or refused by a limit, each after a spent proof: the site's pressure counts it.
        press(env, key),
    );
    let gate = PaidGate {
        key: send.key.clone(),
        spend_counter,
        counters: counters.iter().map(|c| c.name.clone()).collect(),
    };
    let refusal = match (reserved, taken) {
        (Ok(true), Ok(Ok(()))) => return Ok(Ok(gate)),
        (Ok(false), taken) => {
            if matches!(taken, Ok(Ok(()))) {
                give_back(env, &gate.counters).await;
            }
            FailureReason::SpendCapReached
        }
        (reserved, Ok(Err((counter, _)))) => {
            if matches!(reserved, Ok(true)) {
                release_spend(&spend, send.key.clone()).await;
            }
            counter.refusal
        }
        (Err(e), taken) => {
            if matches!(taken, Ok(Ok(()))) {
                give_back(env, &gate.counters).await;
            }
            return Err(e);
        }
        (reserved, Err(e)) => {
            // Nothing is sent: the estimate goes back too.
            if matches!(reserved, Ok(true)) {
                release_spend(&spend, send.key.clone()).await;
            }
            return Err(e);
        }
    };
    let code = refusal.code();
    worker::console_warn!("paid send refused for site {key}: {code}");
    count_refusal(env, key, code).await;
    Ok(Err(refusal))
}

async fn release_spend(spend: &ThrottleStub<'_>, key: String) {
    if let Err(e) = spend.release_spend(key).await {
        worker::console_warn!("giving back an estimate failed: {e:?}");
    }
}

/// The send `key` of `site_key` went out as `reference`: a price its provider reports replaces
/// the estimate. A failure leaves the estimate counted, which errs on the side of the cap.
pub async fn sent_as(env: &Env, site_key: &str, key: String, reference: String) {
    let stub = ThrottleStub::named(env, limits::spend_counter(site_key, day_of(now())));
    if let Err(e) = stub.attach_spend(key, reference).await {
        worker::console_warn!("naming an estimate failed: {e:?}");
    }
}

/// The operator's price estimates (`PRICE_ESTIMATES`), or the defaults.
fn prices(env: &Env) -> limits::Prices {
    match crate::env::secret(env, "PRICE_ESTIMATES") {
        Ok(json) => limits::Prices::parse(&json).unwrap_or_else(|e| {
            worker::console_error!("{e}; the default estimates apply");
            limits::Prices::default()
        }),
        Err(_) => limits::Prices::default(),
    }
}

/// Counts a refusal of `site_key`'s traffic by `code`, for the operator; a failure to count
/// never changes the answer.
pub async fn count_refusal(env: &Env, site_key: &str, code: &str) {
    let day = day_of(now());
    let stub = ThrottleStub::named(env, limits::refusals_counter(site_key, day));
    // Kept a week.
    let forget_at = Timestamp((day + 8) * DAY_SECS * 1000);
    if let Err(e) = stub.count_refusal(code.to_owned(), forget_at).await {
        worker::console_warn!("counting a refusal failed: {e:?}");
    }
}

/// The refusals of `site_key` on `day` (days since the epoch).
pub async fn refusals(env: &Env, site_key: &str, day: u64) -> Outcome<Refusals> {
    ThrottleStub::named(env, limits::refusals_counter(site_key, day))
        .refusals()
        .await
}

/// Adds a provider's reported charge to the site's spend for today.
pub async fn record_spend(env: &Env, site_key: &str, cost: &Cost) -> Outcome<()> {
    let (Some(price), Some(currency)) = (cost.price.as_deref(), cost.currency.as_deref()) else {
        return Ok(());
    };
    // Providers report a charge as a positive or negative decimal; either way it is spent.
    let Some(micros) = parse_micros(price.trim_start_matches('-')) else {
        return Ok(());
    };
    let day = day_of(now());
    ThrottleStub::named(env, limits::spend_counter(site_key, day))
        .add_spend(
            cost.reference.clone(),
            currency.to_ascii_uppercase(),
            micros,
            limits::forget_day_at(day),
        )
        .await
}

/// Refuses a check, or a code's send, to `phone` while it is locked on this site or for this
/// client: nothing is counted here (see [`count_wrong_code`]).
pub async fn check_unlocked(env: &Env, site: &Site, client: &Client, phone: &E164) -> Outcome<()> {
    let counters = limits::check_counters(&site.site_key, &site.limits(), client, phone);
    let rooms =
        join_all(counters.iter().map(|(name, rule)| async {
            ThrottleStub::named(env, name.clone()).room(*rule).await
        }))
        .await;
    for room in rooms {
        room?.map_err(ApiError::NumberLocked)?;
    }
    Ok(())
}

/// A code compared and found wrong: counted against the number on this site and for this
/// client. A failure to count is logged; the verification's own cap still holds.
pub async fn count_wrong_code(env: &Env, site: &Site, client: &Client, phone: &E164) {
    let counters = limits::check_counters(&site.site_key, &site.limits(), client, phone);
    let taken =
        join_all(counters.iter().map(|(name, rule)| async {
            ThrottleStub::named(env, name.clone()).take(*rule).await
        }))
        .await;
    for e in taken.into_iter().filter_map(Result::err) {
        worker::console_warn!("counting a wrong code failed: {e:?}");
    }
}
