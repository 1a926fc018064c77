//! TeleSign's SMS Verify: the send, its TSA signature checked by an implementation of
//! TeleSign's documented algorithm of its own, the delivery callback, its errors.

use super::*;

impl FakeProviders {
    /// Posts TeleSign's delivery callback to the edge, in the seed's shape.
    pub fn fire_sms(&self, reference_id: &str, outcome: SmsOutcome) -> Result<Reply, String> {
        let (code, description) = outcome.status();
        let updated = now();
        let (config, submitted) = {
            let state = self.lock();
            let submitted = state.sms_submitted.get(reference_id).copied();
            (state.config.clone(), submitted.unwrap_or(updated))
        };
        let body = json!({
            "status": {
                "updated_on": rfc3339_micros(updated),
                "code": code,
                "description": description,
            },
            "submit_timestamp": rfc3339_micros(submitted),
            "errors": [],
            "reference_id": reference_id,
            "verify": {"code_state": "UNKNOWN", "code_entered": null},
            "sub_resource": "sms",
            "additional_info": {
                "message_parts_count": 1,
                "price": "0.5112",
                "mnc": "03",
                "mcc": "220",
                "currency": "USD",
            },
        });
        let path = format!("/v1/providers/telesign/{}", config.telesign_webhook_secret);
        let text = body.to_string();
        let signature = callback_signature(&config.telesign_api_key, &text);
        post_signed_webhook(&config.edge_base, &path, &text, &signature)
    }

    pub(super) fn telesign(&self, req: &Request, auth: Result<(), AuthError>) -> Response {
        if (req.method.as_str(), req.path.as_str()) != ("POST", TELESIGN_SMS_VERIFY) {
            return telesign_error(404, NOT_FOUND_STATUS, -40004, "Resource not found");
        }
        if let Err(e) = auth {
            return telesign_error(401, NOT_AUTHORIZED_STATUS, e.code, e.description);
        }
        let form: HashMap<String, String> = decode_form(&String::from_utf8_lossy(&req.body))
            .into_iter()
            .collect();
        let phone = form.get("phone_number").filter(|p| is_phone_digits(p));
        let code = form.get("verify_code").filter(|c| is_digits(c, 3..=10));
        let (Some(phone), Some(code)) = (phone, code) else {
            let field = if phone.is_none() {
                "phone_number"
            } else {
                "verify_code"
            };
            let description = format!("Invalid Request: {field} Parameter");
            return telesign_error(400, NOT_ATTEMPTED_STATUS, -10001, &description);
        };
        let reference = random_hex(16).to_uppercase();
        let text = form.get("template").map_or_else(
            || format!("Your code is {code}"),
            |t| t.replace("$$CODE$$", code),
        );
        let submitted = now();
        {
            let mut state = self.lock();
            state.sms_submitted.insert(reference.clone(), submitted);
            state.received(
                phone_key(phone),
                PhoneMessage {
                    channel: "sms".into(),
                    code: code.clone(),
                    caller: None,
                    text: Some(text),
                    reference: reference.clone(),
                },
            );
        }
        let answer = Response::json(
            200,
            json!({
                "reference_id": reference,
                "sub_resource": "sms",
                "errors": [],
                "status": {
                    "updated_on": rfc3339_micros(submitted),
                    "code": 290,
                    "description": "Message in progress",
                },
                "verify": {"code_state": "UNKNOWN", "code_entered": ""},
            }),
        );
        self.auto_fire(move |f| f.fire_sms(&reference, SmsOutcome::Delivered));
        answer
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct AuthError {
    code: i64,
    description: &'static str,
}

/// For providers whose refusals carry no code of their own.
pub(super) const NOT_AUTHORIZED: AuthError = AuthError {
    code: -30000,
    description: "Invalid Customer ID / Signature",
};
// TeleSign's documented error codes for the checks its `TSA` scheme makes.
pub(super) const TSA_INVALID: AuthError = NOT_AUTHORIZED;
pub(super) const TSA_NO_DATE: AuthError = AuthError {
    code: -30007,
    description: "Missing required 'Date' or 'x-ts-date' header",
};
pub(super) const TSA_BAD_AUTH_METHOD: AuthError = AuthError {
    code: -30008,
    description: "Invalid 'x-ts-auth-method' header.",
};
pub(super) const TSA_BAD_DATE: AuthError = AuthError {
    code: -30009,
    description: "'Date' or 'x-ts-date' header is not RFC822 compliant",
};
pub(super) const TSA_STALE_DATE: AuthError = AuthError {
    code: -30010,
    description: "'Date' or 'x-ts-date' header is not within tolerable range",
};
pub(super) const TSA_BAD_NONCE: AuthError = AuthError {
    code: -30011,
    description: "'x-ts-nonce' header value is either too long or too short",
};
pub(super) const TSA_NONCE_REUSED: AuthError = AuthError {
    code: -30012,
    description: "'x-ts-nonce' header value has been used recently",
};

/// Checks a request as TeleSign documents its `TSA` scheme (and its SDKs implement it):
/// HMAC-SHA256, under the base64-decoded API key, of the method, content type, date, the two
/// `x-ts-` headers, the body when there is one, and the resource path.
pub(super) fn tsa_check(
    config: &FakeConfig,
    req: &Request,
    now: Timestamp,
) -> Result<(), AuthError> {
    let (customer_id, signature) = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("TSA "))
        .and_then(|a| a.rsplit_once(':'))
        .ok_or(TSA_INVALID)?;
    let auth_method = req.header("x-ts-auth-method").unwrap_or_default();
    if auth_method != TSA_AUTH_METHOD {
        return Err(TSA_BAD_AUTH_METHOD);
    }
    let date = req.header("date").ok_or(TSA_NO_DATE)?;
    let signed_at = parse_http_date(date).ok_or(TSA_BAD_DATE)?;
    if signed_at.secs().abs_diff(now.secs()) > TSA_DATE_TOLERANCE_SECS {
        return Err(TSA_STALE_DATE);
    }
    let nonce = req
        .header("x-ts-nonce")
        .filter(|n| (1..=255).contains(&n.len()))
        .ok_or(TSA_BAD_NONCE)?;
    let content_type = req.header("content-type").unwrap_or_default();
    let resource = req.path.strip_prefix(TELESIGN_PREFIX).unwrap_or(&req.path);
    let to_sign = tsa_string_to_sign(
        &req.method,
        content_type,
        date,
        auth_method,
        nonce,
        &req.body,
        resource,
    );
    let signed = customer_id == config.telesign_customer_id
        && hmac_matches(&config.telesign_api_key, &to_sign, signature);
    signed.then_some(()).ok_or(TSA_INVALID)
}

pub(super) fn tsa_string_to_sign(
    method: &str,
    content_type: &str,
    date: &str,
    auth_method: &str,
    nonce: &str,
    body: &[u8],
    resource: &str,
) -> Vec<u8> {
    let mut s = format!(
        "{method}\n{content_type}\n{date}\nx-ts-auth-method:{auth_method}\nx-ts-nonce:{nonce}"
    )
    .into_bytes();
    if !content_type.is_empty() && !body.is_empty() {
        s.push(b'\n');
        s.extend_from_slice(body);
    }
    s.push(b'\n');
    s.extend_from_slice(resource.as_bytes());
    s
}

/// How TeleSign signs a callback: the `Authorization` header is the base64 HMAC-SHA256 of the
/// body's text under the base64-decoded API key.
pub fn callback_signature(key_b64: &str, body: &str) -> String {
    let key = STANDARD.decode(key_b64).expect("the fake's key is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(body.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Constant-time, as a real server would compare.
pub(super) fn hmac_matches(key_b64: &str, message: &[u8], signature_b64: &str) -> bool {
    let (Ok(key), Ok(signature)) = (STANDARD.decode(key_b64), STANDARD.decode(signature_b64))
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.verify_slice(&signature).is_ok()
}

#[derive(Debug, Clone, Copy)]
pub(super) struct TeleSignStatus(u16, &'static str);

pub(super) const NOT_AUTHORIZED_STATUS: TeleSignStatus = TeleSignStatus(501, "Not authorized");
pub(super) const NOT_ATTEMPTED_STATUS: TeleSignStatus =
    TeleSignStatus(500, "Transaction not attempted");
pub(super) const NOT_FOUND_STATUS: TeleSignStatus = TeleSignStatus(502, "Not found");

/// TeleSign's error answer: a transaction status and the list of errors.
pub(super) fn telesign_error(
    http: u16,
    status: TeleSignStatus,
    code: i64,
    description: &str,
) -> Response {
    Response::json(
        http,
        json!({
            "reference_id": null,
            "status": {"updated_on": rfc3339_micros(now()), "code": status.0, "description": status.1},
            "errors": [{"code": code, "description": description}],
        }),
    )
}

/// RFC 2616's preferred form, `Sun, 06 Nov 1994 08:49:37 GMT`: what TeleSign's SDKs send.
pub(super) fn parse_http_date(s: &str) -> Option<Timestamp> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let day: u8 = day.parse().ok()?;
    Timestamp::parse_rfc3339(&format!("{year}-{month:02}-{day:02}T{time}Z"))
}
