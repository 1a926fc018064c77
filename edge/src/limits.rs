//! A site's limits, counted: `ringproof_core::limits` names each counter and its rule; each
//! counter is one throttle object, so concurrent requests are counted one at a time.

use crate::durable::throttle::ThrottleStub;
use crate::env::now;
use crate::error::Outcome;
use futures_util::future::join_all;
use ringproof_core::failure::FailureReason;
use ringproof_core::limits::{self, parse_micros, DAY_SECS};
use ringproof_core::phone::E164;
use ringproof_core::pow::Proof;
use ringproof_core::session::Cost;
use ringproof_core::site::Site;
use ringproof_core::throttle::{day_of, Refusals};
use ringproof_core::{ApiError, Timestamp};
use worker::Env;

/// Counts a start by `client` on `site`: bounds what one client can hold pending.
pub async fn count_start(env: &Env, site: &Site, client: &str) -> Outcome<()> {
    let (name, rule) = limits::start_counter(&site.site_key, &site.limits(), client);
    ThrottleStub::named(env, name)
        .take(rule)
        .await?
        .map_err(ApiError::TooManyStarts)
}

/// Spends a checked proof of work: each one buys one send.
pub async fn spend_proof(env: &Env, checked: &Proof) -> Outcome<()> {
    let (name, rule) = limits::proof_counter(&checked.challenge);
    ThrottleStub::named(env, name)
        .take(rule)
        .await?
        .map_err(|_| ApiError::ProofInvalid)
}

/// Every limit a paid send to `phone` must pass, counted before the provider is asked (a
/// refused or failed send may still cost). The first refusal, in core's order, is the reason.
pub async fn before_paid_send(
    env: &Env,
    site: &Site,
    phone: &E164,
    client: &str,
) -> Outcome<Result<(), FailureReason>> {
    let l = site.limits();
    let key = &site.site_key;
    let spend = ThrottleStub::named(env, limits::spend_counter(key, day_of(now())));
    if !spend
        .spend_under(l.daily_spend_cap_micros, l.spend_currency.clone())
        .await?
    {
        count_refusal(env, key, FailureReason::SpendCapReached.code()).await;
        return Ok(Err(FailureReason::SpendCapReached));
    }
    let counters =
        limits::paid_send_counters(key, &l, site.sends_per_number_per_hour, phone, client);
    let taken = join_all(
        counters
            .iter()
            .map(|c| async { ThrottleStub::named(env, c.name.clone()).take(c.rule).await }),
    )
    .await;
    for (counter, result) in counters.iter().zip(taken) {
        if result?.is_err() {
            let code = counter.refusal.code();
            worker::console_warn!("paid send refused for site {key}: {code}");
            count_refusal(env, key, code).await;
            return Ok(Err(counter.refusal));
        }
    }
    Ok(Ok(()))
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

/// Counts a check against `phone` before it is compared, across verifications and sites: a
/// locked number gets `number_locked` with the wait.
pub async fn take_check(env: &Env, site: &Site, phone: &E164) -> Outcome<()> {
    let (name, rule) = limits::check_counter(&site.limits(), phone);
    ThrottleStub::named(env, name)
        .take(rule)
        .await?
        .map_err(ApiError::NumberLocked)
}

/// A check that was right, or never compared a code, is not a failed one.
pub async fn give_back_check(env: &Env, site: &Site, phone: &E164) {
    let (name, _) = limits::check_counter(&site.limits(), phone);
    if let Err(e) = ThrottleStub::named(env, name).give_back().await {
        worker::console_warn!("giving back a check failed: {e:?}");
    }
}
