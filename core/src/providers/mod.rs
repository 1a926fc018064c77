//! The telephony providers' wire formats, as their documentation gives them
//! (`shared/seeds/`): requests are built and answers read here, without I/O; the Worker only
//! sends the bytes.

pub mod health;
pub mod mcn;
pub mod phone_confirm;
pub mod routes;
pub mod telesign;
pub mod twilio;

use crate::failure::FailureReason;
use crate::phone::E164;
use crate::texts::Language;
use crate::time::Timestamp;
use ringproof_api::Channel;
use serde::{Deserialize, Serialize};

/// Every provider that sends codes, by the name the operator's `PROVIDER_ROUTES`, the logs, the
/// admin API and the provider-reference objects use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderId {
    /// MCN's password call: the flash call.
    Mcn,
    /// TeleSign's SMS Verify.
    Telesign,
    /// Phone Confirm: a voice call that speaks the code, which Phone Confirm also checks.
    PhoneConfirm,
    /// Twilio's Messaging API: an SMS.
    TwilioMessaging,
    /// Twilio's Voice API: a call that speaks the code.
    TwilioVoice,
}

impl ProviderId {
    pub const ALL: [ProviderId; 5] = [
        ProviderId::Mcn,
        ProviderId::Telesign,
        ProviderId::PhoneConfirm,
        ProviderId::TwilioMessaging,
        ProviderId::TwilioVoice,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ProviderId::Mcn => "mcn",
            ProviderId::Telesign => "telesign",
            ProviderId::PhoneConfirm => "phone-confirm",
            ProviderId::TwilioMessaging => "twilio-messaging",
            ProviderId::TwilioVoice => "twilio-voice",
        }
    }

    pub fn from_name(name: &str) -> Option<ProviderId> {
        ProviderId::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The channel it carries.
    pub fn channel(self) -> Channel {
        match self {
            ProviderId::Mcn => Channel::FlashCall,
            ProviderId::Telesign | ProviderId::TwilioMessaging => Channel::Sms,
            ProviderId::PhoneConfirm | ProviderId::TwilioVoice => Channel::VoiceCall,
        }
    }

    /// Whether the provider must also accept a typed code (Phone Confirm keeps its own copy).
    pub fn confirms_codes(self) -> bool {
        self == ProviderId::PhoneConfirm
    }

    /// Whether it reports delivery to a webhook, by the reference it answered the send with.
    pub fn reports_delivery(self) -> bool {
        self != ProviderId::PhoneConfirm
    }

    /// Whether its delivery report carries what the send cost (then it replaces the estimate).
    pub fn reports_price(self) -> bool {
        self == ProviderId::Telesign
    }
}

/// Whether a send on `channel` may be carried by a provider that reports its price: its
/// estimate is then kept for the report to replace (`throttle::Reserve::replaceable`).
pub fn price_reported_for(channel: Channel) -> bool {
    ProviderId::ALL
        .iter()
        .any(|p| p.channel() == channel && p.reports_price())
}

/// What one send needs, whichever provider carries it.
pub struct CodeSend<'a> {
    pub dispatch: &'a Dispatch,
    pub code: &'a str,
    /// Now, in RFC 2616 (TeleSign signs it).
    pub date: String,
    /// Unique per request (TeleSign signs it, so a captured request cannot be replayed).
    pub nonce: String,
    /// Where a provider that takes one per send reports delivery (Twilio's `StatusCallback`).
    pub status_callback: String,
}

impl<'a> CodeSend<'a> {
    /// The send of `code` for `dispatch` at `now`, with a fresh nonce; `base` is the edge's
    /// origin, where Twilio reports its deliveries.
    pub fn new(
        dispatch: &'a Dispatch,
        code: &'a str,
        now: crate::Timestamp,
        rng: &mut impl crate::Randomness,
        base: &str,
    ) -> CodeSend<'a> {
        CodeSend {
            dispatch,
            code,
            date: now.to_rfc2616(),
            nonce: rng.token(18),
            status_callback: format!("{}{}", base.trim_end_matches('/'), twilio::status_path()),
        }
    }
}

/// **The interface a code provider implements**: the request for a send, and what its answer
/// means. The flow never names a provider: a new one implements this, gets a [`ProviderId`] and
/// a place in [`Config::provider`], and the operator lists it in `PROVIDER_ROUTES`.
pub trait CodeProvider {
    fn id(&self) -> ProviderId;
    fn request(&self, send: &CodeSend<'_>) -> Result<Outgoing, FailureReason>;
    fn read_answer(&self, answer: &Answer, send: &CodeSend<'_>) -> Result<Sent, FailureReason>;
}

/// Reads `answer` with `provider`'s codec, naming the provider in what was sent.
pub fn read(
    provider: &dyn CodeProvider,
    answer: &Answer,
    send: &CodeSend<'_>,
) -> Result<Sent, FailureReason> {
    provider.read_answer(answer, send).map(|sent| Sent {
        provider: Some(provider.id()),
        ..sent
    })
}

/// Whether a send that failed this way goes on to the next provider of the route: the
/// provider was down, slow, or refused our credentials; another may carry it. A failure that
/// is the number's (or a refusal the next provider would repeat) is the attempt's.
pub fn fails_over(reason: FailureReason) -> bool {
    matches!(
        reason,
        FailureReason::ProviderUnavailable
            | FailureReason::ProviderMisconfigured
            | FailureReason::ProviderDomainUnauthorized
            | FailureReason::ProviderBilling
    )
}

/// A provider that has not answered in this long will not: the next one is tried.
pub const DEADLINE_SECS: u64 = 5;

/// Why an [`Outgoing`] request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The request could not be built (a header or URL the runtime refuses).
    Unsendable,
    /// No connection, or it broke.
    ConnectionFailed,
    /// No complete answer before the deadline.
    TimedOut,
}

impl SendError {
    /// As a provider's send fails: a provider we could not reach is unavailable, and the next
    /// one is tried (`fails_over`); a request we could not build is ours.
    pub fn failure(self) -> FailureReason {
        match self {
            SendError::Unsendable => FailureReason::ProviderError,
            SendError::ConnectionFailed | SendError::TimedOut => FailureReason::ProviderUnavailable,
        }
    }
}

/// A request to a provider, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    pub reference: String,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub mcc: Option<String>,
    pub mnc: Option<String>,
    pub message_parts_count: Option<u32>,
}

impl Cost {
    /// What the provider says it charged, in millionths of its currency (upper case), to add
    /// to the site's spend; `None` when it named no price or currency, or no amount. A charge
    /// is reported as a positive or a negative decimal; either way it was spent.
    pub fn charged(&self) -> Option<(String, u64)> {
        let (price, currency) = (self.price.as_deref()?, self.currency.as_deref()?);
        let micros = crate::limits::parse_micros(price.trim().trim_start_matches('-'))?;
        Some((currency.to_ascii_uppercase(), micros))
    }

    /// What the site is shown.
    pub fn public(&self) -> ringproof_api::ProviderCost {
        ringproof_api::ProviderCost {
            reference: self.reference.clone(),
            price: self.price.clone(),
            currency: self.currency.clone(),
        }
    }
}

/// What the Worker must do to start an attempt. The code travels only here, once, on its way
/// to the provider; the session keeps its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatch {
    pub verification_id: String,
    pub attempt: u32,
    pub channel: Channel,
    pub phone: E164,
    /// The site's configured domain, never a header: what an SMS names.
    pub domain: String,
    /// What the SMS is written in (see [`crate::texts`]).
    pub language: Option<Language>,
    pub expires_at: Timestamp,
    /// Missed call: the number the visitor calls. Code channels: the code to send.
    pub payload: Payload,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    AwaitCall {
        inbound_number: E164,
    },
    SendCode {
        code: String,
    },
    /// No line was free for a missed call: nothing to wait for.
    NoLine,
}

/// A provider's report on a call or message, whatever the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "reason", rename_all = "snake_case")]
pub enum DeliveryEvent {
    Delivered,
    NotAnswered,
    /// Nothing final yet.
    InProgress,
    Failed(FailureReason),
}

/// What a provider told us when it accepted a send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sent {
    /// The provider's id for this call or message; its webhooks name it.
    pub reference: String,
    /// Flash call: the calling number with the code masked.
    pub caller_hint: Option<String>,
    /// Who carried it (a test key's send: nobody).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderId>,
}

/// A provider's answer, as the Worker received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Why a provider's HTTP status alone means failure, if it does.
pub fn status_failure(status: u16) -> Option<FailureReason> {
    match status {
        200..=299 => None,
        401 | 403 => Some(FailureReason::ProviderMisconfigured),
        400..=499 => Some(FailureReason::ProviderError),
        _ => Some(FailureReason::ProviderUnavailable),
    }
}

/// Provider credentials and base URLs, from the deployment's secrets and variables.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub mcn: Option<mcn::Credentials>,
    pub telesign: Option<telesign::Credentials>,
    pub phone_confirm: Option<phone_confirm::Credentials>,
    pub twilio_messaging: Option<twilio::Messaging>,
    pub twilio_voice: Option<twilio::Voice>,
}

impl Config {
    /// The provider, when this deployment has its credentials.
    pub fn provider(&self, id: ProviderId) -> Option<&dyn CodeProvider> {
        match id {
            ProviderId::Mcn => self.mcn.as_ref().map(|p| p as &dyn CodeProvider),
            ProviderId::Telesign => self.telesign.as_ref().map(|p| p as &dyn CodeProvider),
            ProviderId::PhoneConfirm => self.phone_confirm.as_ref().map(|p| p as &dyn CodeProvider),
            ProviderId::TwilioMessaging => self
                .twilio_messaging
                .as_ref()
                .map(|p| p as &dyn CodeProvider),
            ProviderId::TwilioVoice => self.twilio_voice.as_ref().map(|p| p as &dyn CodeProvider),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_sms_estimate_waits_for_a_reported_price() {
        assert!(
            price_reported_for(Channel::Sms),
            "TeleSign reports its price"
        );
        assert!(!price_reported_for(Channel::VoiceCall));
        assert!(!price_reported_for(Channel::FlashCall));
        assert!(!price_reported_for(Channel::MissedCall));
    }

    #[test]
    fn statuses_map_to_who_is_at_fault() {
        assert_eq!(status_failure(200), None);
        assert_eq!(status_failure(204), None);
        assert_eq!(
            status_failure(401),
            Some(FailureReason::ProviderMisconfigured)
        );
        assert_eq!(status_failure(422), Some(FailureReason::ProviderError));
        assert_eq!(
            status_failure(502),
            Some(FailureReason::ProviderUnavailable)
        );
        assert_eq!(
            status_failure(302),
            Some(FailureReason::ProviderUnavailable)
        );
    }

    #[test]
    fn a_reported_charge_is_spent_whatever_its_sign() {
        let cost = |price: Option<&str>, currency: Option<&str>| Cost {
            reference: "r".into(),
            price: price.map(str::to_owned),
            currency: currency.map(str::to_owned),
            mcc: None,
            mnc: None,
            message_parts_count: None,
        };
        assert_eq!(
            cost(Some("-0.0075"), Some("usd")).charged(),
            Some(("USD".into(), 7_500))
        );
        assert_eq!(
            cost(Some("0.0075"), Some("USD")).charged(),
            Some(("USD".into(), 7_500))
        );
        assert_eq!(cost(Some("0.01"), None).charged(), None);
        assert_eq!(cost(None, Some("USD")).charged(), None);
        assert_eq!(cost(Some("free"), Some("USD")).charged(), None);
    }
}
