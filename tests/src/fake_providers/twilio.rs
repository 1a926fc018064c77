//! Twilio's REST API as a code provider: the Messaging API's `Messages.json` and the Voice
//! API's `Calls.json`, HTTP Basic with the account SID and auth token, answered as Twilio
//! answers (201 with the resource, or its `{code, message, more_info, status}` errors), and the
//! status callbacks it posts to `StatusCallback`, signed as every Twilio webhook is.

use super::carriers::twilio_signature;
use super::*;

/// Twilio's base URL path under the fakes, and the API version in every resource's path.
pub(super) const TWILIO_PREFIX: &str = "/twilio";
const API: &str = "/twilio/2010-04-01/Accounts/";

/// What Twilio's status callback may say of a message or a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TwilioStatus {
    Delivered,
    Undelivered,
    Failed,
    Sent,
    Completed,
    Busy,
    NoAnswer,
}

impl TwilioStatus {
    fn as_str(self) -> &'static str {
        match self {
            TwilioStatus::Delivered => "delivered",
            TwilioStatus::Undelivered => "undelivered",
            TwilioStatus::Failed => "failed",
            TwilioStatus::Sent => "sent",
            TwilioStatus::Completed => "completed",
            TwilioStatus::Busy => "busy",
            TwilioStatus::NoAnswer => "no-answer",
        }
    }
}

/// A message or call the fake took, for its status callback.
#[derive(Debug, Clone)]
pub(super) struct TwilioResource {
    to: String,
    from: String,
    status_callback: Option<String>,
}

pub(super) fn twilio_error(status: u16, code: u32, message: &str) -> Response {
    Response::json(
        status,
        json!({"code": code, "message": message,
               "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}),
    )
}

impl FakeProviders {
    pub fn twilio_base(&self) -> String {
        format!("{}{TWILIO_PREFIX}", self.base_url)
    }

    pub(super) fn twilio(&self, req: &Request, authorized: bool) -> Response {
        let config = self.config();
        let rest = req.path.strip_prefix(API).unwrap_or_default();
        let (sid, resource) = rest.split_once('/').unwrap_or((rest, ""));
        if req.method != "POST" || !matches!(resource, "Messages.json" | "Calls.json") {
            return twilio_error(404, 20404, "The requested resource was not found");
        }
        if !authorized || sid != config.twilio_account_sid {
            return twilio_error(401, 20003, "Authenticate");
        }
        let form: HashMap<String, String> = decode_form(&String::from_utf8_lossy(&req.body))
            .into_iter()
            .collect();
        let to = form.get("To").cloned().unwrap_or_default();
        if !to.starts_with('+') || !is_phone_digits(&to[1..]) {
            return twilio_error(
                400,
                21211,
                &format!("The 'To' number {to} is not a valid phone number."),
            );
        }
        let from = form
            .get("From")
            .or_else(|| form.get("MessagingServiceSid"))
            .cloned()
            .unwrap_or_default();
        if from.is_empty() {
            return twilio_error(400, 21603, "A 'From' phone number is required.");
        }
        let messaging = resource == "Messages.json";
        let (said, channel, prefix) = if messaging {
            (form.get("Body"), "sms", "SM")
        } else {
            (form.get("Twiml"), "voice_call", "CA")
        };
        let Some(said) = said.filter(|s| !s.is_empty()) else {
            let what = if messaging { "Body" } else { "Twiml" };
            return twilio_error(400, 21602, &format!("Message body is required. ({what})"));
        };
        // The code is the first run of digits (spoken apart, "1, 2, 3", in a call).
        let code: String = if messaging {
            said.split(|c: char| !c.is_ascii_digit())
                .find(|run| run.len() >= 4)
                .unwrap_or_default()
                .to_owned()
        } else {
            let first_say = said.split("</Say>").next().unwrap_or_default();
            first_say
                .split(|c: char| !(c.is_ascii_digit() || c == ',' || c == ' '))
                .map(|run| run.chars().filter(char::is_ascii_digit).collect::<String>())
                .find(|digits| digits.len() >= 4)
                .unwrap_or_default()
        };
        let sid_value = format!("{prefix}{}", random_hex(16));
        {
            let mut state = self.lock();
            state.twilio_resources.insert(
                sid_value.clone(),
                TwilioResource {
                    to: to.clone(),
                    from: from.clone(),
                    status_callback: form.get("StatusCallback").cloned(),
                },
            );
            state.received(
                phone_key(&to),
                PhoneMessage {
                    channel: channel.into(),
                    code,
                    caller: None,
                    text: Some(said.clone()),
                    reference: sid_value.clone(),
                },
            );
        }
        let reference = sid_value.clone();
        let final_status = if messaging {
            TwilioStatus::Delivered
        } else {
            TwilioStatus::Completed
        };
        self.auto_fire(move |f| f.fire_twilio_status(&reference, final_status));
        Response::json(
            201,
            json!({
                "sid": sid_value,
                "account_sid": config.twilio_account_sid,
                "to": to,
                "from": from,
                "status": "queued",
                "api_version": "2010-04-01",
                "uri": format!("/2010-04-01/Accounts/{}/{}/{sid_value}.json", config.twilio_account_sid, resource.trim_end_matches(".json")),
            }),
        )
    }

    /// Posts Twilio's status callback for a message (`SM…`) or a call (`CA…`) to the URL its
    /// send named, signed with the account's auth token.
    pub fn fire_twilio_status(&self, sid: &str, status: TwilioStatus) -> Result<Reply, String> {
        let (config, resource) = {
            let state = self.lock();
            (
                state.config.clone(),
                state.twilio_resources.get(sid).cloned(),
            )
        };
        let resource = resource.ok_or_else(|| format!("the fake Twilio sent no {sid}"))?;
        let url = resource
            .status_callback
            .ok_or("that send named no StatusCallback")?;
        let account = config.twilio_account_sid.clone();
        let params: Vec<(&str, String)> = if sid.starts_with("SM") {
            vec![
                ("SmsSid", sid.to_owned()),
                ("SmsStatus", status.as_str().to_owned()),
                ("MessageStatus", status.as_str().to_owned()),
                ("To", resource.to),
                ("MessageSid", sid.to_owned()),
                ("AccountSid", account),
                ("From", resource.from),
                ("ApiVersion", "2010-04-01".to_owned()),
            ]
        } else {
            vec![
                ("Called", resource.to.clone()),
                ("CallStatus", status.as_str().to_owned()),
                ("Duration", "1".to_owned()),
                ("From", resource.from.clone()),
                ("Direction", "outbound-api".to_owned()),
                ("CallDuration", "14".to_owned()),
                ("Timestamp", "Sun, 06 Dec 2026 10:00:00 +0000".to_owned()),
                ("AccountSid", account),
                ("CallbackSource", "call-progress-events".to_owned()),
                ("ApiVersion", "2010-04-01".to_owned()),
                ("Caller", resource.from),
                ("SequenceNumber", "0".to_owned()),
                ("To", resource.to),
                ("CallSid", sid.to_owned()),
            ]
        };
        let signature = twilio_signature(&config.carriers.twilio_auth_token, &url, &params);
        let body = serde_urlencoded::to_string(&params).map_err(|e| e.to_string())?;
        http::post(
            &url,
            "application/x-www-form-urlencoded",
            &body,
            &[("X-Twilio-Signature", &signature)],
        )
    }
}
