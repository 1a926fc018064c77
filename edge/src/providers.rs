//! Talking to the telephony providers: the only outbound HTTP the Worker makes. Requests and
//! answers are built and read by `ringproof_core::providers`; this sends the bytes with a
//! deadline and turns every way a send can go wrong into a `FailureReason`.

use crate::env::{self, now, CryptoRng};
use crate::outbound::{self, Redirects, SendError};
use ringproof_api::Channel;
use ringproof_core::failure::FailureReason;
use ringproof_core::providers::{mcn, phone_confirm, telesign, Answer, Config, Outgoing, Sent};
use ringproof_core::session::Dispatch;
use ringproof_core::Randomness;
use std::time::Duration;
use worker::Env;

/// A provider that has not answered in this long will not: the visitor is offered another way.
const DEADLINE: Duration = Duration::from_secs(5);

/// Which provider serves a channel, by the name its webhook route and reference keys use.
pub fn provider_name(channel: Channel) -> &'static str {
    match channel {
        Channel::MissedCall => "missed-call",
        Channel::FlashCall => "mcn",
        Channel::Sms => "telesign",
        Channel::VoiceCall => "phone-confirm",
    }
}

/// Sends the code of `dispatch` through its channel's provider.
pub async fn send_code(env: &Env, dispatch: &Dispatch, code: &str) -> Result<Sent, FailureReason> {
    let config = env::providers(env);
    let phone = &dispatch.phone;
    let result = match dispatch.channel {
        Channel::FlashCall => {
            let creds = config.mcn.as_ref().ok_or_else(|| missing("mcn"))?;
            let answer = fetch(mcn::password_call(creds, phone.digits(), code)).await?;
            mcn::read_answer(&answer, code)
        }
        Channel::Sms => {
            let creds = config
                .telesign
                .as_ref()
                .ok_or_else(|| missing("telesign"))?;
            let out = telesign::sms_verify(
                creds,
                phone.digits(),
                code,
                &telesign::template(&dispatch.domain, dispatch.language),
                &now().to_rfc2616(),
                &CryptoRng.token(18),
            )?;
            telesign::read_answer(&fetch(out).await?)
        }
        Channel::VoiceCall => {
            let creds = phone_confirm_creds(&config)?;
            let (cc, national) = phone.split().ok_or(FailureReason::NumberUnavailable)?;
            let answer = fetch(phone_confirm::place_call(creds, cc, &national, code)).await?;
            phone_confirm::read_call_answer(&answer)
        }
        Channel::MissedCall => Err(FailureReason::ProviderError),
    };
    if let Err(reason) = &result {
        log_failure(dispatch.channel, *reason);
    }
    result
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
        log_failure(Channel::VoiceCall, *reason);
    }
    result
}

fn phone_confirm_creds(config: &Config) -> Result<&phone_confirm::Credentials, FailureReason> {
    config
        .phone_confirm
        .as_ref()
        .ok_or_else(|| missing("phone-confirm"))
}

fn missing(provider: &str) -> FailureReason {
    worker::console_error!("provider {provider} is not configured on this deployment");
    FailureReason::ProviderMisconfigured
}

/// Never the request or the answer: URLs and bodies carry credentials and codes.
fn log_failure(channel: Channel, reason: FailureReason) {
    let who = provider_name(channel);
    if reason.is_operator_fault() {
        worker::console_error!("provider {who}: {} (operator action needed)", reason.code());
    } else {
        worker::console_warn!("provider {who}: {}", reason.code());
    }
}

/// Sends `out`, giving up after [`DEADLINE`]. Connection failures and timeouts mean the
/// provider is unavailable; reading the answer is left to the provider's codec.
async fn fetch(out: Outgoing) -> Result<Answer, FailureReason> {
    outbound::send(out, DEADLINE, Redirects::Follow)
        .await
        .map_err(|e| match e {
            SendError::Unsendable => FailureReason::ProviderError,
            SendError::ConnectionFailed | SendError::TimedOut => FailureReason::ProviderUnavailable,
        })
}
