//! Talking to the telephony providers: the only outbound HTTP the Worker makes for codes.
//! Requests and answers are built and read by `ringproof_core::providers`; this sends the
//! bytes with a deadline, turns every way a send can go wrong into a `FailureReason`, and goes
//! down the operator's route (`PROVIDER_ROUTES`) to the next provider when one is down, as the
//! deployment's provider health says (`durable::health`).

use crate::durable::health::{self, HealthStub};
use crate::env::{self, now, CryptoRng};
use crate::outbound::{self, Redirects};
use ringproof_api::Channel;
use ringproof_core::failure::FailureReason;
use ringproof_core::phone::E164;
use ringproof_core::providers::health::{Event, TroubleSeen};
use ringproof_core::providers::{
    self, phone_confirm, Answer, CodeSend, Config, Dispatch, Outgoing, ProviderId, Sent,
};
use std::cell::RefCell;
use std::time::Duration;
use worker::{Context, Env};

/// The providers a code for `channel` to `phone` goes through, in the order to try them.
pub struct Route {
    order: Vec<ProviderId>,
    country: String,
}

/// The route's providers configured on this deployment, in the order their health gives
/// (asked of the health object only while a breaker is open, or when this isolate has not
/// heard lately): known before the send, so the flow asks beside the attempt's other work.
pub async fn route(env: &Env, channel: Channel, phone: &E164) -> Result<Route, FailureReason> {
    let config = env::providers(env);
    let country = ringproof_core::providers::routes::country_of(phone);
    let configured: Vec<ProviderId> = env::provider_routes(env)
        .order(channel, Some(&country))
        .iter()
        .copied()
        .filter(|p| config.provider(*p).is_some())
        .collect();
    if configured.is_empty() {
        worker::console_error!(
            "no provider for {} is configured on this deployment",
            channel.as_str()
        );
        return Err(FailureReason::ProviderMisconfigured);
    }
    let order = ordered(env, configured, &country).await;
    Ok(Route { order, country })
}

/// Sends the code of `dispatch` through the first provider of `route` that takes it. `base`
/// is the edge's origin, for the status callback of providers that take one per send.
pub async fn send_code(
    env: &Env,
    background: &Context,
    route: Route,
    dispatch: &Dispatch,
    code: &str,
    base: &str,
) -> Result<Sent, FailureReason> {
    let config = env::providers(env);
    let Route { order, country } = route;
    let send = CodeSend::new(dispatch, code, now(), &mut CryptoRng, base);
    let mut last = FailureReason::ProviderUnavailable;
    for id in order {
        let Some(provider) = config.provider(id) else {
            continue;
        };
        let result = match provider.request(&send) {
            Ok(out) => match fetch(out).await {
                Ok(answer) => providers::read(provider, &answer, &send),
                Err(reason) => Err(reason),
            },
            Err(reason) => Err(reason),
        };
        match result {
            Ok(sent) => {
                let reference = id.reports_delivery().then(|| sent.reference.clone());
                let event = Event::Accepted { reference };
                tell_health(env, background, id, Told::Sent(country, event));
                return Ok(sent);
            }
            Err(reason) => {
                log_failure(id, reason);
                if !providers::fails_over(reason) {
                    return Err(reason);
                }
                TROUBLED.with(|seen| seen.borrow_mut().failed());
                let event = Event::Failed { reason };
                tell_health(env, background, id, Told::Sent(country.clone(), event));
                last = reason;
            }
        }
    }
    Err(last)
}

/// What the provider health object is told about a provider.
pub enum Told {
    /// A send for a country, and how it went.
    Sent(String, Event),
    /// A delivery report arrived on this reference.
    Reported(String),
}

/// Tells the provider health object, after the answer: nobody waits for it.
pub fn tell_health(env: &Env, background: &Context, provider: ProviderId, told: Told) {
    let env = env.clone();
    background.wait_until(async move {
        let health = HealthStub::named(&env, health::NAME);
        let result = match told {
            Told::Sent(country, event) => health.record(provider, country, event).await,
            Told::Reported(reference) => health.reported(provider, reference).await,
        };
        if let Err(e) = result {
            worker::console_warn!("provider health could not be told: {e:?}");
        }
    });
}

thread_local! {
    /// What this isolate last heard from the health object (an isolate is shared by
    /// concurrent requests, and this is the deployment's state, not a request's).
    static TROUBLED: RefCell<TroubleSeen> = RefCell::default();
}

/// The order to try `candidates` for `country` in: theirs, unless a breaker of one of them is
/// open (or this isolate has not heard lately), when the health object says.
async fn ordered(env: &Env, candidates: Vec<ProviderId>, country: &str) -> Vec<ProviderId> {
    let t = now();
    if TROUBLED.with(|seen| seen.borrow().lets_pass(&candidates, country, t)) {
        return candidates;
    }
    match HealthStub::named(env, health::NAME)
        .order(candidates.clone(), country.to_owned())
        .await
    {
        Ok(o) => {
            TROUBLED.with(|seen| seen.borrow_mut().heard(o.troubled, t));
            o.order
        }
        // Health that cannot be read must not stop a send: the route's own order is tried.
        Err(e) => {
            worker::console_warn!("provider health could not be read: {e:?}");
            candidates
        }
    }
}

/// Phone Confirm's verdict on a typed code.
pub async fn verify_voice_code(
    env: &Env,
    reference: &str,
    code: &str,
) -> Result<bool, FailureReason> {
    let config = env::providers(env);
    let creds = phone_confirm_creds(&config)?;
    let answer = fetch(phone_confirm::verify(creds, reference, code)).await;
    let result = answer.and_then(|a| phone_confirm::read_verify_answer(&a));
    if let Err(reason) = &result {
        log_failure(ProviderId::PhoneConfirm, *reason);
    }
    result
}

fn phone_confirm_creds(config: &Config) -> Result<&phone_confirm::Credentials, FailureReason> {
    config.phone_confirm.as_ref().ok_or_else(|| {
        worker::console_error!("provider phone-confirm is not configured on this deployment");
        FailureReason::ProviderMisconfigured
    })
}

/// Never the request or the answer: URLs and bodies carry credentials and codes.
fn log_failure(provider: ProviderId, reason: FailureReason) {
    let who = provider.name();
    if reason.is_operator_fault() {
        worker::console_error!("provider {who}: {} (operator action needed)", reason.code());
    } else {
        worker::console_warn!("provider {who}: {}", reason.code());
    }
}

/// Sends `out`, giving up after `providers::DEADLINE_SECS`. Connection failures and timeouts
/// mean the provider is unavailable; reading the answer is left to the provider's codec.
async fn fetch(out: Outgoing) -> Result<Answer, FailureReason> {
    let deadline = Duration::from_secs(ringproof_core::providers::DEADLINE_SECS);
    outbound::send(out, deadline, Redirects::Follow)
        .await
        .map_err(ringproof_core::providers::SendError::failure)
}
