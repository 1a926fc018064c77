//! A site's limits, counted: `ringproof_core::limits` names each counter, the object that
//! keeps it and its rule; counts decided together share an object and one call, and each
//! object counts one request at a time.

use crate::durable::throttle::ThrottleStub;
use crate::env::now;
use crate::error::Outcome;
use futures_util::future::join_all;
use ringproof_core::client::Client;
use ringproof_core::failure::FailureReason;
use ringproof_core::limits::{self, Answer, Refusal, Shared, Take, Verdict};
use ringproof_core::phone::E164;
use ringproof_core::pow::Proof;
use ringproof_core::providers::Cost;
use ringproof_core::site::Site;
use ringproof_core::throttle::{
    day_of, spend_day, Batch, EstimateName, Refusals, Refused, Reserve, Rule, Undo, HITS,
};
use ringproof_core::ApiError;
use worker::Env;

/// Counts a start by `client` on `site` and spends its proof of work, in the client's own
/// object: bounds what one client can hold pending, and refuses a replayed proof before
/// anything is counted. Answers what was taken, to give back when the start does not go ahead
/// after all (the proof stays spent).
pub async fn count_start(
    env: &Env,
    site: &Site,
    client: &Client,
    proof: Option<&Proof>,
) -> Outcome<Taken> {
    let takes = limits::start_takes(
        &site.site_key,
        &site.limits(),
        client,
        site.test.is_some(),
        proof.map(ringproof_core::pow::spend),
    );
    take(env, &takes).await?.map_err(Refusal::of_start)
}

/// What a request took from its throttle objects, by object.
#[derive(Default)]
pub struct Taken(Vec<(String, Undo)>);

impl Taken {
    /// Takes back what a request took and then did not use.
    pub async fn give_back(self, env: &Env) {
        let given = join_all(self.0.into_iter().map(|(object, undo)| async move {
            ThrottleStub::named(env, object).give_back(undo).await
        }))
        .await;
        for e in given.into_iter().filter_map(Result::err) {
            worker::console_warn!("giving back a count failed: {e:?}");
        }
    }
}

/// Takes each object's batch at once, one call each. Unless all pass, the others are given
/// back, so a refused request leaves no trace in any counter; what the request comes to is
/// core's (`limits::verdict`): a refusal or a replay.
async fn take(env: &Env, takes: &[Take]) -> Outcome<Result<Taken, Refusal>> {
    let answers = join_all(takes.iter().map(|t| async {
        ThrottleStub::named(env, t.object.clone())
            .take(t.batch.clone())
            .await
    }))
    .await;
    let mut passed = Taken::default();
    let mut failed = None;
    let answers: Vec<Answer> = takes
        .iter()
        .zip(answers)
        .map(|(t, answer)| match answer {
            Ok(Ok(())) => {
                passed.0.push((t.object.clone(), t.batch.undo()));
                Answer::Took
            }
            Ok(Err(refused)) => Answer::Refused(refused),
            Err(e) => {
                worker::console_warn!("a count in {} failed: {e:?}", t.object);
                failed.get_or_insert(e);
                Answer::Failed
            }
        })
        .collect();
    match limits::verdict(takes, &answers) {
        Verdict::Passed => Ok(Ok(passed)),
        Verdict::Failed => {
            passed.give_back(env).await;
            Err(failed.unwrap_or_else(|| ApiError::Internal("a count failed".into())))
        }
        Verdict::Refused(refused) => {
            passed.give_back(env).await;
            Ok(Err(refused))
        }
    }
}

/// Takes one hit of an object that keeps one window.
pub async fn take_one(env: &Env, object: String, rule: Rule) -> Outcome<Result<(), u64>> {
    let batch = Batch {
        windows: vec![(HITS.to_owned(), rule)],
        ..Batch::default()
    };
    Ok(ThrottleStub::named(env, object)
        .take(batch)
        .await?
        .map_err(|refused| match refused {
            Refused::Window { wait, .. } => wait,
            Refused::SpendCap | Refused::Spent => 0,
        }))
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
/// raises another site's difficulty for free; and a read stands for a second in this isolate
/// (`pow::PressureReads`), so no one's free challenges queue in the site's object either.
pub async fn pressure(env: &Env, site_key: &str) -> Outcome<u32> {
    let t = now();
    if let Some(recent) = PRESSURE.with(|p| p.borrow().fresh(site_key, t)) {
        return Ok(recent);
    }
    let (window, rule) = ringproof_core::pow::pressure();
    let recent = ThrottleStub::named(env, limits::site_object(site_key))
        .recent(window, rule.span_secs)
        .await?;
    PRESSURE.with(|p| p.borrow_mut().remember(site_key, recent, t));
    Ok(recent)
}

thread_local! {
    static PRESSURE: std::cell::RefCell<ringproof_core::pow::PressureReads> =
        std::cell::RefCell::default();
}

/// Spends a checked proof of work, bound to `client` on `site_key`, in the client's own
/// object: each one buys one attempt.
pub async fn spend_proof(
    env: &Env,
    site_key: &str,
    client: &Client,
    checked: &Proof,
) -> Outcome<()> {
    let batch = Batch {
        once: Some(ringproof_core::pow::spend(checked)),
        ..Batch::default()
    };
    ThrottleStub::named(env, limits::client_object(site_key, &client.network))
        .take(batch)
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
    estimate: EstimateName,
    taken: Taken,
}

impl PaidGate {
    /// Where the send's estimate was reserved.
    pub fn estimate(&self) -> &EstimateName {
        &self.estimate
    }

    /// Gives back the estimate and every count: the attempt never began.
    pub async fn give_back(self, env: &Env) {
        self.taken.give_back(env).await;
    }
}

/// Every limit a paid send must pass, counted before the provider is asked, in one round of
/// one call per object (`limits::paid_send_takes`): its estimated price reserved against the
/// daily cap (a failed send may still cost), every counter of `limits::paid_send_counters`,
/// and the site's pressure. The cap is named first, then core's order; a refused send gives
/// back all it took.
pub async fn before_paid_send(
    env: &Env,
    site: &Site,
    send: &PaidSend<'_>,
    client: &Client,
) -> Outcome<Result<PaidGate, FailureReason>> {
    let l = site.limits();
    let key = &site.site_key;
    let counters = limits::paid_send_counters(
        key,
        &l,
        &shared(env),
        site.sends_per_number_per_hour,
        send.phone,
        client,
    );
    let reserve = Reserve {
        day: day_of(now()),
        key: send.key.clone(),
        currency: l.spend_currency.clone(),
        micros: prices(env).estimate(send.channel, send.phone.region().as_deref()),
        cap_micros: l.daily_spend_cap_micros,
        replaceable: ringproof_core::providers::price_reported_for(send.channel),
    };
    let estimate = reserve.name();
    let takes = limits::paid_send_takes(&counters, key, reserve, ringproof_core::pow::pressure());
    match take(env, &takes).await? {
        Ok(taken) => Ok(Ok(PaidGate { estimate, taken })),
        Err(Refusal::Limit(refusal, _)) => {
            let code = refusal.code();
            worker::console_warn!("paid send refused for site {key}: {code}");
            count_refusal(env, key, code).await;
            Ok(Err(refusal))
        }
        // A paid send spends nothing single-use.
        Err(Refusal::Spent) => Err(ApiError::Internal("a paid send was a replay".into())),
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
/// never changes the answer. Refusals have an object of their own: a stranger's refused
/// requests never wait behind the site's paid sends.
pub async fn count_refusal(env: &Env, site_key: &str, code: &str) {
    let stub = ThrottleStub::named(env, limits::refusals_object(site_key));
    if let Err(e) = stub.count_refusal(day_of(now()), code.to_owned()).await {
        worker::console_warn!("counting a refusal failed: {e:?}");
    }
}

/// The refusals of `site_key` on `day` (days since the epoch).
pub async fn refusals(env: &Env, site_key: &str, day: u64) -> Outcome<Refusals> {
    ThrottleStub::named(env, limits::refusals_object(site_key))
        .refusals(day)
        .await
}

/// Adds a provider's reported charge (`Cost::charged`) to the site's spend, in place of the
/// send's `estimate` (the day and the name its reference's binding kept), on that day: a
/// report after midnight replaces the estimate it belongs to. Without one, to today's.
pub async fn record_spend(
    env: &Env,
    site_key: &str,
    cost: &Cost,
    estimate: Option<EstimateName>,
) -> Outcome<()> {
    let Some((currency, micros)) = cost.charged() else {
        return Ok(());
    };
    let day = spend_day(estimate.as_ref(), now());
    ThrottleStub::named(env, limits::site_object(site_key))
        .add_spend(
            day,
            cost.reference.clone(),
            estimate.map(|e| e.key),
            currency,
            micros,
        )
        .await
}

/// Refuses a code's send to `phone` while it is locked on this site or for this client:
/// nothing is counted here (see [`count_wrong_code`]).
pub async fn check_unlocked(env: &Env, site: &Site, client: &Client, phone: &E164) -> Outcome<()> {
    look_at_locks(
        env,
        &limits::check_counters(&site.site_key, &site.limits(), client, phone),
    )
    .await
}

/// Refuses while any of `locks` (from `limits::check_counters`) is full. A check's locks are
/// looked at by the verification's object, once it has spent the check.
pub async fn look_at_locks(env: &Env, locks: &[(String, Rule)]) -> Outcome<()> {
    let rooms = join_all(locks.iter().map(|(name, rule)| async {
        ThrottleStub::named(env, name.clone())
            .room(HITS.to_owned(), *rule)
            .await
    }))
    .await;
    for room in rooms {
        room?.map_err(ApiError::NumberLocked)?;
    }
    Ok(())
}

/// A code compared and found wrong: counted in each of its `locks`. A failure to count is
/// logged; the verification's own cap still holds.
pub async fn count_wrong_code(env: &Env, locks: Vec<(String, Rule)>) {
    let taken = join_all(
        locks
            .into_iter()
            .map(|(name, rule)| take_one(env, name, rule)),
    )
    .await;
    for e in taken.into_iter().filter_map(Result::err) {
        worker::console_warn!("counting a wrong code failed: {e:?}");
    }
}
