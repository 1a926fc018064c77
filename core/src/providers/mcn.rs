//! MCN "password call" (our flash call): we choose the 4-digit code, MCN calls the visitor from
//! a number ending in it, and later posts the call's CDR to our webhook.

use super::DeliveryEvent;
use super::{status_failure, Answer, CodeProvider, CodeSend, Outgoing, ProviderId, Sent};
use crate::failure::FailureReason;
use serde::{Deserialize, Deserializer, Serialize};

pub const PATH: &str = "/api/protected/api/auth/passwordcall";

#[derive(Debug, Clone)]
pub struct Credentials {
    pub base_url: String,
    pub token: String,
}

impl CodeProvider for Credentials {
    fn id(&self) -> ProviderId {
        ProviderId::Mcn
    }

    fn request(&self, send: &CodeSend<'_>) -> Result<Outgoing, FailureReason> {
        Ok(password_call(self, send.dispatch.phone.digits(), send.code))
    }

    fn read_answer(&self, answer: &Answer, send: &CodeSend<'_>) -> Result<Sent, FailureReason> {
        read_answer(answer, send.code)
    }
}

#[derive(Serialize)]
struct PasswordCall<'a> {
    phone_number: &'a str,
    verification_code: &'a str,
    is_with_redirect: bool,
}

/// `phone_digits` is the E.164 number without its `+`, as in MCN's example.
pub fn password_call(creds: &Credentials, phone_digits: &str, code: &str) -> Outgoing {
    let body = serde_json::to_string(&PasswordCall {
        phone_number: phone_digits,
        verification_code: code,
        // Redirect checking would tell us whether the line forwards calls elsewhere; we do not
        // act on it, so we do not pay for it.
        is_with_redirect: false,
    })
    .expect("serialising plain fields");
    Outgoing {
        method: "POST",
        url: format!("{}{PATH}", creds.base_url.trim_end_matches('/')),
        headers: vec![
            ("accept".into(), "application/json".into()),
            ("Content-Type".into(), "application/json".into()),
            ("Authorization".into(), format!("Bearer {}", creds.token)),
        ],
        body: Some(body),
    }
}

#[derive(Deserialize)]
struct PasswordCallAnswer {
    ok: bool,
    #[serde(default)]
    caller_number: Option<String>,
    #[serde(default)]
    verification_code: Option<String>,
    #[serde(default)]
    verification_uuid: Option<String>,
}

/// Reads MCN's answer. The call counts as placed only if MCN echoes our code and calls from a
/// number ending in it: otherwise the visitor would be asked for digits they never see.
pub fn read_answer(answer: &Answer, code: &str) -> Result<Sent, FailureReason> {
    if let Some(f) = status_failure(answer.status) {
        return Err(f);
    }
    let a: PasswordCallAnswer =
        serde_json::from_str(&answer.body).map_err(|_| FailureReason::ProviderError)?;
    let (true, Some(caller), Some(echo), Some(uuid)) = (
        a.ok,
        a.caller_number,
        a.verification_code,
        a.verification_uuid,
    ) else {
        return Err(FailureReason::ProviderError);
    };
    let caller: String = caller.chars().filter(char::is_ascii_digit).collect();
    if echo != code || !caller.ends_with(code) || caller.len() <= code.len() || uuid.is_empty() {
        return Err(FailureReason::ProviderError);
    }
    Ok(Sent {
        reference: uuid,
        caller_hint: Some(mask(&caller, code.len())),
        provider: None,
    })
}

/// `+4212222 0••••`: the visitor sees which call to look for, not the code.
fn mask(caller_digits: &str, hidden: usize) -> String {
    let shown = &caller_digits[..caller_digits.len() - hidden];
    format!("+{shown}{}", "•".repeat(hidden))
}

/// The CDR webhook. MCN lets the account choose the variables it sends, so only the three the
/// seed names are read and anything else is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Cdr {
    pub verification_call_uuid: String,
    #[serde(deserialize_with = "number_or_string")]
    pub q931_status: u16,
    #[serde(default)]
    pub final_status: Option<String>,
}

/// What happened to the call, in the seed's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallResult {
    Answered,
    Busy,
    NotAnswered,
    RejectedByOperator,
    Billing,
    Unavailable,
}

impl Cdr {
    pub fn result(&self) -> CallResult {
        let answered = self
            .final_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("ANSWER"));
        match self.q931_status {
            16 if answered => CallResult::Answered,
            16 => CallResult::NotAnswered,
            17 => CallResult::Busy,
            31 => CallResult::RejectedByOperator,
            41 => CallResult::Billing,
            _ => CallResult::Unavailable,
        }
    }
}

impl CallResult {
    /// An unanswered flash call still did its job: the number, code and all, is in the call log.
    pub fn event(self) -> DeliveryEvent {
        match self {
            CallResult::Answered => DeliveryEvent::Delivered,
            CallResult::NotAnswered => DeliveryEvent::NotAnswered,
            CallResult::Busy => DeliveryEvent::Failed(FailureReason::LineBusy),
            CallResult::RejectedByOperator => DeliveryEvent::Failed(FailureReason::CallRejected),
            CallResult::Billing => DeliveryEvent::Failed(FailureReason::ProviderBilling),
            CallResult::Unavailable => DeliveryEvent::Failed(FailureReason::NumberUnavailable),
        }
    }
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        N(u16),
        S(String),
    }
    match Either::deserialize(d)? {
        Either::N(n) => Ok(n),
        Either::S(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            base_url: "https://paidmethods.mcn.ru/".into(),
            token: "tok".into(),
        }
    }

    #[test]
    fn request_matches_the_seed() {
        let r = password_call(&creds(), "421222202004", "1234");
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.url,
            "https://paidmethods.mcn.ru/api/protected/api/auth/passwordcall"
        );
        assert!(r
            .headers
            .contains(&("Authorization".into(), "Bearer tok".into())));
        let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"phone_number": "421222202004", "verification_code": "1234", "is_with_redirect": false})
        );
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.into(),
        }
    }

    #[test]
    fn reads_the_seed_answer() {
        let a = answer(
            200,
            r#"{"ok": true, "caller_number": "421222201234", "verification_code": "1234", "verification_uuid": "da59bda0a1bb_117793", "is_redirect": false}"#,
        );
        let sent = read_answer(&a, "1234").unwrap();
        assert_eq!(sent.reference, "da59bda0a1bb_117793");
        assert_eq!(sent.caller_hint.as_deref(), Some("+42122220••••"));
    }

    #[test]
    fn refuses_answers_that_do_not_carry_our_code() {
        for body in [
            r#"{"ok": false}"#,
            r#"{"ok": true, "caller_number": "421222209999", "verification_code": "1234", "verification_uuid": "u"}"#,
            r#"{"ok": true, "caller_number": "421222201234", "verification_code": "9999", "verification_uuid": "u"}"#,
            r#"{"ok": true, "caller_number": "421222201234", "verification_code": "1234"}"#,
            r#"{"ok": tru"#,
            "",
        ] {
            assert_eq!(
                read_answer(&answer(200, body), "1234"),
                Err(FailureReason::ProviderError),
                "{body}"
            );
        }
        assert_eq!(
            read_answer(&answer(503, "<html>"), "1234"),
            Err(FailureReason::ProviderUnavailable)
        );
        assert_eq!(
            read_answer(&answer(401, "{}"), "1234"),
            Err(FailureReason::ProviderMisconfigured)
        );
    }

    fn cdr(q931: &str, final_status: &str) -> Cdr {
        serde_json::from_str(&format!(
            r#"{{"verification_call_uuid":"fa278be48dc2_117793","q931_status":{q931},"final_status":"{final_status}","duration":3,"unknown":{{"x":1}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn cdr_statuses_map_as_the_seed_says() {
        assert_eq!(cdr("16", "ANSWER").result(), CallResult::Answered);
        assert_eq!(cdr("17", "CANCEL").result(), CallResult::Busy);
        assert_eq!(cdr("16", "CANCEL").result(), CallResult::NotAnswered);
        assert_eq!(cdr("31", "CANCEL").result(), CallResult::RejectedByOperator);
        assert_eq!(cdr("41", "CANCEL").result(), CallResult::Billing);
        assert_eq!(cdr("1", "CANCEL").result(), CallResult::Unavailable);
        assert_eq!(cdr("\"17\"", "CANCEL").result(), CallResult::Busy);
        assert_eq!(
            CallResult::Billing.event(),
            DeliveryEvent::Failed(FailureReason::ProviderBilling)
        );
        assert_eq!(CallResult::NotAnswered.event(), DeliveryEvent::NotAnswered);
    }
}
