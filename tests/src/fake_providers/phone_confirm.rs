//! Phone Confirm's voice call and its verify, in JSON or XML as the call asks.

use super::*;

impl FakeProviders {
    pub(super) fn phone_confirm(&self, req: &Request, auth_ok: bool) -> Response {
        let action = match (req.method.as_str(), req.path.as_str()) {
            ("GET", PHONE_CONFIRM_CALL) => PhoneConfirmAction::Call,
            ("GET", PHONE_CONFIRM_VERIFY) => PhoneConfirmAction::Verify,
            _ => return Response::text(404, "no such Phone Confirm endpoint"),
        };
        let format = match req.param("type").map(str::to_ascii_lowercase).as_deref() {
            Some("xml") => Format::Xml,
            Some("json") => Format::Json,
            // The call must say which; a verify without it gets the JSON we always ask for.
            None if action == PhoneConfirmAction::Verify => Format::Json,
            _ => return pc_reply(Format::Json, "2", "invalid", "type must be json or xml", ""),
        };
        if !auth_ok {
            return pc_reply(format, "3", "invalid", "Invalid API key", "");
        }
        // The account is known by its key; the domain must be one it trusts.
        if req.param("domain") != Some(self.lock().config.phoneconfirm_domain.as_str()) {
            return Response::text(503, "unauthorized domain");
        }
        match action {
            PhoneConfirmAction::Call => self.place_call(req, format),
            PhoneConfirmAction::Verify => self.verify_call(req, format),
        }
    }

    pub(super) fn place_call(&self, req: &Request, format: Format) -> Response {
        let phone = req.param("phone").filter(|p| is_digits(p, 4..=14));
        let country = req.param("country_code").filter(|c| is_digits(c, 1..=3));
        let code = req.param("code").filter(|c| is_digits(c, 4..=10));
        let redial_ok = ["redial_count", "redial_interval"].iter().all(|k| {
            req.param(k)
                .is_none_or(|v| v.is_empty() || is_digits(v, 1..=4))
        });
        let (Some(phone), Some(country), Some(code), true) = (phone, country, code, redial_ok)
        else {
            return pc_reply(format, "2", "invalid", "Missing or invalid parameter", "");
        };
        let transaction = format!("{}{}", 1 + OsRandom.below(9), random_digits(9));
        let number = format!("{country}{}", phone.trim_start_matches('0'));
        {
            let mut state = self.lock();
            state
                .voice_codes
                .insert(transaction.clone(), code.to_owned());
            state.received(
                phone_key(&number),
                PhoneMessage {
                    channel: "voice_call".into(),
                    code: code.to_owned(),
                    caller: None,
                    text: Some(spoken(code)),
                    reference: transaction.clone(),
                },
            );
        }
        pc_reply(format, "0", "valid", "Call placed", &transaction)
    }

    pub(super) fn verify_call(&self, req: &Request, format: Format) -> Response {
        let transaction = req.param("transaction_number").unwrap_or_default();
        let expected = self.lock().voice_codes.get(transaction).cloned();
        match expected {
            None => pc_reply(format, "1", "invalid", "Unknown transaction", transaction),
            Some(code) if req.param("code") == Some(code.as_str()) => {
                pc_reply(format, "0", "valid", "Code verified", transaction)
            }
            Some(_) => pc_reply(format, "0", "invalid", "Code does not match", transaction),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PhoneConfirmAction {
    Call,
    Verify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Json,
    Xml,
}

/// The four tags of every Phone Confirm answer.
pub(super) fn pc_reply(
    format: Format,
    error: &str,
    status: &str,
    message: &str,
    transaction: &str,
) -> Response {
    match format {
        Format::Json => Response::json(
            200,
            json!({"error": error, "status": status, "message": message, "transaction_number": transaction}),
        ),
        Format::Xml => Response {
            status: 200,
            content_type: "application/xml",
            body: format!(
                "<?xml version=\"1.0\"?><response><error>{}</error><status>{}</status><message>{}</message><transaction_number>{}</transaction_number></response>",
                xml_escape(error),
                xml_escape(status),
                xml_escape(message),
                xml_escape(transaction)
            ),
            cors: false,
        },
    }
}

pub(super) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What the call says: digits one by one, twice, as voice codes are read out.
pub(super) fn spoken(code: &str) -> String {
    let digits: Vec<String> = code.chars().map(String::from).collect();
    let digits = digits.join(" ");
    format!("Your verification code is {digits}. Again: {digits}.")
}
