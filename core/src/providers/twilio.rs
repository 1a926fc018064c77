//! Twilio as a code provider, for an operator who already rents Twilio numbers: the SMS code
//! through the Messaging API (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`) and the
//! voice code through the Voice API (`POST …/Calls.json` with TwiML that speaks it). Both
//! authenticate with the account SID and auth token (HTTP Basic), answer 201 with the
//! resource's `sid`, and report progress to `StatusCallback`, signed as every Twilio webhook
//! is (`carriers::twilio`). We draw the code, so Twilio never checks it: we do.

use super::DeliveryEvent;
use super::{status_failure, Answer, CodeProvider, CodeSend, Outgoing, ProviderId, Sent};
use crate::failure::FailureReason;
use crate::texts::Language;
use base64::Engine;
use serde::{Deserialize, Serialize};

pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// The webhook both APIs report to: `StatusCallback`.
pub fn status_path() -> String {
    use ringproof_api::paths::{provider, TWILIO, TWILIO_STATUS};
    provider(TWILIO, TWILIO_STATUS)
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    /// A Twilio number in E.164, or a Messaging Service SID (`MG…`), that sends.
    pub from: String,
}

impl Credentials {
    /// A call comes from a number: a Messaging Service (`MG…`) cannot place one.
    pub fn places_calls(&self) -> bool {
        self.from.starts_with('+')
    }

    fn url(&self, resource: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{resource}",
            self.base_url.trim_end_matches('/'),
            self.account_sid
        )
    }

    fn post(&self, resource: &str, form: String) -> Outgoing {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.account_sid, self.auth_token));
        Outgoing {
            method: "POST",
            url: self.url(resource),
            headers: vec![
                ("Authorization".into(), format!("Basic {basic}")),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("Accept".into(), "application/json".into()),
            ],
            body: Some(form),
        }
    }

    /// `From`, or `MessagingServiceSid` when the sender is a service.
    fn sender(&self) -> (&'static str, &str) {
        if self.from.starts_with("MG") {
            ("MessagingServiceSid", &self.from)
        } else {
            ("From", &self.from)
        }
    }
}

/// The SMS code through Twilio's Messaging API.
#[derive(Debug, Clone)]
pub struct Messaging(pub Credentials);

/// The voice code through Twilio's Voice API.
#[derive(Debug, Clone)]
pub struct Voice(pub Credentials);

#[derive(Deserialize)]
struct Created {
    sid: Option<String>,
}

/// Twilio's error body: `{"code": 21211, "message": "…", "status": 400}`.
#[derive(Deserialize)]
struct TwilioError {
    code: Option<i64>,
}

fn read_created(answer: &Answer) -> Result<Sent, FailureReason> {
    if let Some(failure) = status_failure(answer.status) {
        let code = serde_json::from_str::<TwilioError>(&answer.body)
            .ok()
            .and_then(|e| e.code);
        return Err(match (answer.status, code) {
            // "not a valid phone number", "not a mobile number", "unreachable", "unsubscribed".
            (_, Some(21211 | 21214 | 21217 | 21407 | 21610 | 21612 | 21614)) => {
                FailureReason::NumberUnavailable
            }
            // The account may not send there, or from that sender: the operator's to fix, and
            // the next provider of the route may carry it meanwhile.
            (_, Some(21215 | 21408 | 21606 | 21659)) => FailureReason::ProviderMisconfigured,
            // Too many requests: Twilio is busy, not refusing us.
            (429, _) | (_, Some(20429)) => FailureReason::ProviderUnavailable,
            _ => failure,
        });
    }
    let created: Created =
        serde_json::from_str(&answer.body).map_err(|_| FailureReason::ProviderError)?;
    let sid = created
        .sid
        .filter(|s| !s.is_empty() && s.len() <= 64)
        .ok_or(FailureReason::ProviderError)?;
    Ok(Sent {
        reference: sid,
        caller_hint: None,
        provider: None,
    })
}

#[derive(Serialize)]
struct Message<'a> {
    #[serde(rename = "To")]
    to: &'a str,
    #[serde(rename = "Body")]
    body: &'a str,
    #[serde(rename = "StatusCallback")]
    status_callback: &'a str,
}

impl CodeProvider for Messaging {
    fn id(&self) -> ProviderId {
        ProviderId::TwilioMessaging
    }

    fn request(&self, send: &CodeSend<'_>) -> Result<Outgoing, FailureReason> {
        let text = super::telesign::template(&send.dispatch.domain, send.dispatch.language)
            .replace("$$CODE$$", send.code);
        let mut form = serde_urlencoded::to_string(Message {
            to: send.dispatch.phone.as_str(),
            body: &text,
            status_callback: &send.status_callback,
        })
        .map_err(|_| FailureReason::ProviderError)?;
        let (field, sender) = self.0.sender();
        form.push('&');
        form.push_str(
            &serde_urlencoded::to_string([(field, sender)])
                .map_err(|_| FailureReason::ProviderError)?,
        );
        Ok(self.0.post("Messages.json", form))
    }

    fn read_answer(&self, answer: &Answer, _send: &CodeSend<'_>) -> Result<Sent, FailureReason> {
        read_created(answer)
    }
}

/// `<Say>`'s language for ours: Twilio's voices for each.
fn say_language(language: Option<Language>) -> &'static str {
    match language.unwrap_or(Language::English) {
        Language::English => "en-US",
        Language::Hindi => "hi-IN",
        Language::Russian => "ru-RU",
        Language::Slovak => "sk-SK",
        Language::Spanish => "es-ES",
        Language::Portuguese => "pt-BR",
        Language::French => "fr-FR",
        Language::German => "de-DE",
        Language::Arabic => "arb",
        Language::Hebrew => "he-IL",
        Language::ChineseSimplified => "cmn-CN",
        Language::Japanese => "ja-JP",
    }
}

/// The call's TwiML: the SMS's sentence with the digits apart, so each is spoken, said twice.
pub fn twiml(code: &str, language: Option<Language>) -> String {
    let digits = code
        .chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(", ");
    let sentence = language
        .unwrap_or(Language::English)
        .sms_body()
        .replace("$$CODE$$", &digits);
    // Every piece is ours (a fixed sentence and digits): nothing needs escaping but to be sure.
    let sentence = sentence
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let lang = say_language(language);
    format!(
        r#"<Response><Say language="{lang}">{sentence}</Say><Pause length="1"/><Say language="{lang}">{sentence}</Say></Response>"#
    )
}

#[derive(Serialize)]
struct Call<'a> {
    #[serde(rename = "To")]
    to: &'a str,
    #[serde(rename = "From")]
    from: &'a str,
    #[serde(rename = "Twiml")]
    twiml: &'a str,
    #[serde(rename = "StatusCallback")]
    status_callback: &'a str,
    #[serde(rename = "StatusCallbackEvent")]
    event: &'a str,
    /// Seconds to ring before giving up: a visitor waiting for the call is near the phone.
    #[serde(rename = "Timeout")]
    timeout: u32,
}

impl CodeProvider for Voice {
    fn id(&self) -> ProviderId {
        ProviderId::TwilioVoice
    }

    fn request(&self, send: &CodeSend<'_>) -> Result<Outgoing, FailureReason> {
        let twiml = twiml(send.code, send.dispatch.language);
        let form = serde_urlencoded::to_string(Call {
            to: send.dispatch.phone.as_str(),
            from: &self.0.from,
            twiml: &twiml,
            status_callback: &send.status_callback,
            event: "completed",
            timeout: 30,
        })
        .map_err(|_| FailureReason::ProviderError)?;
        Ok(self.0.post("Calls.json", form))
    }

    fn read_answer(&self, answer: &Answer, _send: &CodeSend<'_>) -> Result<Sent, FailureReason> {
        read_created(answer)
    }
}

/// A status callback, as its parameters came: a message's (`MessageSid`, `MessageStatus`) or a
/// call's (`CallSid`, `CallStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub provider: ProviderId,
    pub reference: String,
    pub event: DeliveryEvent,
}

/// Reads a status callback's parameters (already authenticated). `None`: neither a message's
/// nor a call's.
pub fn status_report(params: &[(String, String)]) -> Option<StatusReport> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let (Some(sid), Some(status)) = (get("MessageSid"), get("MessageStatus")) {
        let event = match status {
            "delivered" | "read" => DeliveryEvent::Delivered,
            "undelivered" | "failed" => DeliveryEvent::Failed(FailureReason::SmsUndelivered),
            _ => DeliveryEvent::InProgress,
        };
        return Some(StatusReport {
            provider: ProviderId::TwilioMessaging,
            reference: sid.to_owned(),
            event,
        });
    }
    let (sid, status) = (get("CallSid")?, get("CallStatus")?);
    let event = match status {
        "completed" => DeliveryEvent::Delivered,
        "no-answer" => DeliveryEvent::NotAnswered,
        "busy" => DeliveryEvent::Failed(FailureReason::LineBusy),
        "failed" => DeliveryEvent::Failed(FailureReason::NumberUnavailable),
        "canceled" => DeliveryEvent::Failed(FailureReason::ProviderError),
        _ => DeliveryEvent::InProgress,
    };
    Some(StatusReport {
        provider: ProviderId::TwilioVoice,
        reference: sid.to_owned(),
        event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::normalise;
    use crate::providers::{Dispatch, Payload};

    fn creds(from: &str) -> Credentials {
        Credentials {
            base_url: "https://api.twilio.com/".into(),
            account_sid: "AC123".into(),
            auth_token: "token".into(),
            from: from.into(),
        }
    }

    fn dispatch(channel: ringproof_api::Channel, language: Option<Language>) -> Dispatch {
        Dispatch {
            verification_id: "v1".into(),
            attempt: 1,
            channel,
            phone: normalise("+447400123456", None).unwrap(),
            domain: "shop.example".into(),
            language,
            expires_at: crate::Timestamp(0),
            payload: Payload::SendCode {
                code: "123456".into(),
            },
        }
    }

    fn send(d: &Dispatch) -> CodeSend<'_> {
        CodeSend {
            dispatch: d,
            code: "123456",
            date: String::new(),
            nonce: String::new(),
            status_callback: "https://edge.example/v1/providers/twilio/status".into(),
        }
    }

    fn form(out: &Outgoing) -> Vec<(String, String)> {
        serde_urlencoded::from_str(out.body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn an_sms_is_a_message_with_basic_auth_and_a_status_callback() {
        let d = dispatch(ringproof_api::Channel::Sms, Some(Language::French));
        let out = Messaging(creds("+15005550006")).request(&send(&d)).unwrap();
        assert_eq!(
            out.url,
            "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
        );
        // base64("AC123:token")
        assert!(out
            .headers
            .contains(&("Authorization".into(), "Basic QUMxMjM6dG9rZW4=".into())));
        let f = form(&out);
        let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("To"), Some("+447400123456"));
        assert_eq!(get("From"), Some("+15005550006"));
        assert!(get("Body")
            .unwrap()
            .starts_with("Votre code de vérification est 123456."));
        assert!(
            get("Body").unwrap().ends_with("@shop.example #123456"),
            "WebOTP"
        );
        assert_eq!(
            get("StatusCallback"),
            Some("https://edge.example/v1/providers/twilio/status")
        );
        let service = Messaging(creds("MG42")).request(&send(&d)).unwrap();
        assert!(form(&service).contains(&("MessagingServiceSid".into(), "MG42".into())));
    }

    #[test]
    fn a_voice_code_is_a_call_whose_twiml_says_each_digit() {
        let d = dispatch(ringproof_api::Channel::VoiceCall, None);
        let out = Voice(creds("+15005550006")).request(&send(&d)).unwrap();
        assert!(out.url.ends_with("/Accounts/AC123/Calls.json"));
        let f = form(&out);
        let twiml = &f.iter().find(|(k, _)| k == "Twiml").unwrap().1;
        assert!(twiml.contains("1, 2, 3, 4, 5, 6"), "{twiml}");
        assert_eq!(
            twiml.matches("<Say language=\"en-US\">").count(),
            2,
            "{twiml}"
        );
        assert!(f.contains(&("StatusCallbackEvent".into(), "completed".into())));
    }

    #[test]
    fn answers_and_errors_read_as_twilio_documents_them() {
        let d = dispatch(ringproof_api::Channel::Sms, None);
        let p = Messaging(creds("+1"));
        let ok = Answer {
            status: 201,
            body: r#"{"sid": "SM0123", "status": "queued"}"#.into(),
        };
        assert_eq!(p.read_answer(&ok, &send(&d)).unwrap().reference, "SM0123");
        let invalid = Answer {
            status: 400,
            body: r#"{"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}"#.into(),
        };
        assert_eq!(
            p.read_answer(&invalid, &send(&d)),
            Err(FailureReason::NumberUnavailable)
        );
        let auth = Answer {
            status: 401,
            body: r#"{"code": 20003, "message": "Authenticate", "status": 401}"#.into(),
        };
        assert_eq!(
            p.read_answer(&auth, &send(&d)),
            Err(FailureReason::ProviderMisconfigured)
        );
        let down = Answer {
            status: 503,
            body: "<html>".into(),
        };
        assert_eq!(
            p.read_answer(&down, &send(&d)),
            Err(FailureReason::ProviderUnavailable)
        );
        let region = Answer {
            status: 400,
            body: r#"{"code": 21408, "message": "Permission to send an SMS has not been enabled for the region", "status": 400}"#.into(),
        };
        assert_eq!(
            p.read_answer(&region, &send(&d)),
            Err(FailureReason::ProviderMisconfigured),
            "the operator's to fix; the next provider may carry it"
        );
        let busy = Answer {
            status: 429,
            body: r#"{"code": 20429, "message": "Too Many Requests", "status": 429}"#.into(),
        };
        assert_eq!(
            p.read_answer(&busy, &send(&d)),
            Err(FailureReason::ProviderUnavailable)
        );
    }

    fn params(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn status_callbacks_map_to_delivery_events() {
        let m = |status| {
            status_report(&params(&[("MessageSid", "SM1"), ("MessageStatus", status)])).unwrap()
        };
        assert_eq!(m("delivered").event, DeliveryEvent::Delivered);
        assert_eq!(m("delivered").provider, ProviderId::TwilioMessaging);
        assert_eq!(
            m("undelivered").event,
            DeliveryEvent::Failed(FailureReason::SmsUndelivered)
        );
        assert_eq!(m("sent").event, DeliveryEvent::InProgress);
        let c =
            |status| status_report(&params(&[("CallSid", "CA1"), ("CallStatus", status)])).unwrap();
        assert_eq!(c("completed").event, DeliveryEvent::Delivered);
        assert_eq!(c("completed").provider, ProviderId::TwilioVoice);
        assert_eq!(c("no-answer").event, DeliveryEvent::NotAnswered);
        assert_eq!(
            c("busy").event,
            DeliveryEvent::Failed(FailureReason::LineBusy)
        );
        assert_eq!(status_report(&params(&[("Foo", "bar")])), None);
    }
}
