//! A site's limits (`ringproof_core::limits`), counted in throttle objects. Each counter is
//! one object named `<kind>:<key>`, so concurrent requests are counted one at a time.

use crate::env::now;
use crate::error::Outcome;
use crate::objects::{call, ThrottleOp, THROTTLES};
use futures_util::future::join_all;
use ringproof_core::failure::FailureReason;
use ringproof_core::limits::{parse_micros, range_of, RANGE_BLOCK_SECS, RANGE_WINDOW_SECS};
use ringproof_core::session::Cost;
use ringproof_core::site::Site;
use ringproof_core::throttle::{day_of, Refusals, Rule, WINDOW_SECS};
use ringproof_core::ApiError;
use worker::Env;

const DAY_SECS: u64 = 86_400;

async fn take(env: &Env, name: &str, rule: Rule) -> Outcome<Result<(), u64>> {
    call(env, THROTTLES, name, &ThrottleOp::Take { rule }).await
}

/// Counts a start by `client` on `site`: bounds what one client can hold pending.
pub async fn count_start(env: &Env, site: &Site, client: &str) -> Outcome<()> {
    let rule = Rule::per(site.limits().starts_per_client_per_hour, WINDOW_SECS);
    let name = format!("starts:{}:{client}", site.site_key);
    take(env, &name, rule)
        .await?
        .map_err(|secs| ApiError::TooManyStarts(secs).into())
}

/// Every limit a paid send to `phone` must pass, counted before the provider is asked (a
/// refused or failed send may still cost). The first refusal, in this order, is the reason.
pub async fn before_paid_send(
    env: &Env,
    site: &Site,
    phone: &str,
    client: &str,
) -> Outcome<Result<(), FailureReason>> {
    let l = site.limits();
    let key = &site.site_key;
    let spend_name = spend_counter(key, day_of(now()));
    let under: bool = call(
        env,
        THROTTLES,
        &spend_name,
        &ThrottleOp::SpendUnder {
            cap_micros: l.daily_spend_cap_micros,
            currency: l.spend_currency.clone(),
        },
    )
    .await?;
    if !under {
        count_refusal(env, key, FailureReason::SpendCapReached.code()).await;
        return Ok(Err(FailureReason::SpendCapReached));
    }
    let counters = [
        (
            format!("number:{phone}"),
            Rule::per(site.sends_per_number_per_hour, WINDOW_SECS),
            FailureReason::NumberRateLimited,
        ),
        (
            format!("client:{key}:{client}"),
            Rule::per(l.sends_per_client_per_hour, WINDOW_SECS),
            FailureReason::ClientRateLimited,
        ),
        (
            format!("site-hour:{key}"),
            Rule::per(l.sends_per_site_per_hour, WINDOW_SECS),
            FailureReason::SiteRateLimited,
        ),
        (
            format!("site-day:{key}"),
            Rule::per(l.sends_per_site_per_day, DAY_SECS),
            FailureReason::SiteRateLimited,
        ),
        (
            format!("range:{}", range_of(phone)),
            Rule {
                limit: l.sends_per_range_per_10_min,
                span_secs: RANGE_WINDOW_SECS,
                block_secs: Some(RANGE_BLOCK_SECS),
            },
            FailureReason::RangeBlocked,
        ),
    ];
    let taken = join_all(
        counters
            .iter()
            .map(|(name, rule, _)| take(env, name, *rule)),
    )
    .await;
    for ((_, _, reason), result) in counters.iter().zip(taken) {
        if result?.is_err() {
            worker::console_warn!("paid send refused for site {key}: {}", reason.code());
            count_refusal(env, key, reason.code()).await;
            return Ok(Err(*reason));
        }
    }
    Ok(Ok(()))
}

fn refusals_counter(site_key: &str, day: u64) -> String {
    format!("refusals:{site_key}:{day}")
}

/// Counts a refusal of `site_key`'s traffic by `code`, for the operator; a failure to count
/// never changes the answer.
pub async fn count_refusal(env: &Env, site_key: &str, code: &str) {
    let day = day_of(now());
    let op = ThrottleOp::CountRefusal {
        code: code.to_owned(),
        // Kept a week.
        forget_at: ringproof_core::Timestamp((day + 8) * DAY_SECS * 1000),
    };
    let done: Outcome<()> = call(env, THROTTLES, &refusals_counter(site_key, day), &op).await;
    if let Err(e) = done {
        worker::console_warn!("counting a refusal failed: {e:?}");
    }
}

/// The refusals of `site_key` on `day` (days since the epoch).
pub async fn refusals(env: &Env, site_key: &str, day: u64) -> Outcome<Refusals> {
    let name = refusals_counter(site_key, day);
    call(env, THROTTLES, &name, &ThrottleOp::Refusals).await
}

fn spend_counter(site_key: &str, day: u64) -> String {
    format!("spend:{site_key}:{day}")
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
    let t = now();
    let day = day_of(t);
    call(
        env,
        THROTTLES,
        &spend_counter(site_key, day),
        &ThrottleOp::AddSpend {
            reference: cost.reference.clone(),
            currency: currency.to_ascii_uppercase(),
            micros,
            forget_at: ringproof_core::Timestamp((day + 2) * DAY_SECS * 1000),
        },
    )
    .await
}

fn checks_counter(phone: &str) -> String {
    format!("checks:{phone}")
}

/// Counts a check against `phone` before it is compared, across verifications and sites: a
/// locked number gets `number_locked` with the wait.
pub async fn take_check(env: &Env, site: &Site, phone: &str) -> Outcome<()> {
    let rule = Rule::per(site.limits().failed_checks_per_number_per_day, DAY_SECS);
    take(env, &checks_counter(phone), rule)
        .await?
        .map_err(|secs| ApiError::NumberLocked(secs).into())
}

/// A check that was right, or never compared a code, is not a failed one.
pub async fn give_back_check(env: &Env, phone: &str) {
    let done: Outcome<()> = call(
        env,
        THROTTLES,
        &checks_counter(phone),
        &ThrottleOp::GiveBack,
    )
    .await;
    if let Err(e) = done {
        worker::console_warn!("giving back a check failed: {e:?}");
    }
}
