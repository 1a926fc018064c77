//! MCN's password call: the call, its CDR webhook, its errors (`shared/seeds/mcn-password-call.txt`).

use super::*;

impl FakeProviders {
    /// Posts MCN's CDR webhook to the edge, with fields the edge does not read, as an MCN
    /// account's webhook template may add them.
    pub fn fire_mcn(&self, verification_uuid: &str, outcome: McnOutcome) -> Result<Reply, String> {
        let (q931, final_status) = outcome.cdr();
        let (config, call) = {
            let state = self.lock();
            let call = state.flash_calls.get(verification_uuid).cloned();
            (state.config.clone(), call.unwrap_or_default())
        };
        let body = json!({
            "verification_call_uuid": verification_uuid,
            "q931_status": q931,
            "final_status": final_status,
            "caller_number": call.caller,
            "called_number": call.called,
            "event": "password_call",
            "duration": 0,
        });
        let path = format!("/v1/providers/mcn/{}", config.mcn_webhook_secret);
        post_webhook(&config.edge_base, &path, &body)
    }

    pub(super) fn mcn(&self, req: &Request, auth_ok: bool) -> Response {
        if (req.method.as_str(), req.path.as_str()) != ("POST", MCN_PASSWORD_CALL) {
            return mcn_error(404, "not found");
        }
        if !auth_ok {
            return mcn_error(401, "unauthorized");
        }
        let call = match PasswordCall::parse(&req.body) {
            Ok(call) => call,
            Err(why) => return mcn_error(400, &why),
        };
        let caller = format!("{MCN_CALLER_PREFIX}{}", call.code);
        let uuid = format!("{}_{MCN_ACCOUNT}", random_hex(6));
        {
            let mut state = self.lock();
            state.flash_calls.insert(
                uuid.clone(),
                FlashCall {
                    caller: caller.clone(),
                    called: call.phone.clone(),
                },
            );
            state.received(
                phone_key(&call.phone),
                PhoneMessage {
                    channel: "flash_call".into(),
                    code: call.code.clone(),
                    caller: Some(format!("+{caller}")),
                    text: None,
                    reference: uuid.clone(),
                },
            );
        }
        let answer = Response::json(
            200,
            json!({
                "ok": true,
                "caller_number": caller,
                "verification_code": call.code,
                "verification_uuid": uuid,
                "is_redirect": false,
            }),
        );
        self.auto_fire(move |f| f.fire_mcn(&uuid, McnOutcome::Answered));
        answer
    }
}

pub(super) struct PasswordCall {
    phone: String,
    code: String,
}

impl PasswordCall {
    fn parse(body: &[u8]) -> Result<Self, String> {
        let v: Value = serde_json::from_slice(body).map_err(|_| "the body is not JSON")?;
        let phone = v["phone_number"]
            .as_str()
            .filter(|p| is_phone_digits(p))
            .ok_or("phone_number must be the number's digits")?;
        let code = match v["verification_code"].as_str() {
            // MCN's documentation: left empty, the call comes from a random number.
            Some("") => random_digits(4),
            Some(c) if is_digits(c, 4..=4) => c.to_owned(),
            _ => return Err("verification_code must be 4 digits".into()),
        };
        if !matches!(v["is_with_redirect"], Value::Bool(_) | Value::Null) {
            return Err("is_with_redirect must be true or false".into());
        }
        Ok(PasswordCall {
            phone: phone.to_owned(),
            code,
        })
    }
}

pub(super) fn mcn_error(status: u16, why: &str) -> Response {
    Response::json(status, json!({"ok": false, "error": why}))
}
