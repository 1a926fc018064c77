//! The failure modes a scenario puts a provider in, each in that provider's own terms.

use super::*;

pub(super) fn fault(provider: Provider, mode: Mode) -> Option<Response> {
    match mode {
        Mode::Ok | Mode::Hang | Mode::KeyRevoked => None,
        Mode::ServerError => Some(Response {
            status: 500,
            content_type: "text/html; charset=utf-8",
            body: "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>".into(),
            cors: false,
        }),
        Mode::UnauthorizedDomain => Some(Response::text(503, "unauthorized domain")),
        Mode::ClientError => Some(client_error(provider)),
        Mode::Malformed => Some(Response {
            status: 200,
            content_type: "application/json",
            body: truncated_answer(provider).into(),
            cors: false,
        }),
        Mode::Refuse => Some(refusal(provider)),
    }
}

pub(super) fn client_error(provider: Provider) -> Response {
    match provider {
        Provider::TeleSign => telesign_error(
            400,
            NOT_ATTEMPTED_STATUS,
            -10001,
            "Invalid Request: phone_number Parameter",
        ),
        Provider::PhoneConfirm => Response::json(
            400,
            json!({"error": "2", "status": "invalid", "message": "Bad request", "transaction_number": ""}),
        ),
        Provider::Twilio => twilio_error(400, 21604, "A 'To' phone number is required."),
        _ => mcn_error(400, "phone_number: invalid format"),
    }
}

pub(super) fn truncated_answer(provider: Provider) -> &'static str {
    match provider {
        Provider::TeleSign => "{\"reference_id\": \"B56A49",
        Provider::PhoneConfirm => "{\"error\":\"0\",\"status\":\"val",
        Provider::Twilio => "{\"sid\": \"SM12",
        _ => "{\"ok\": tru",
    }
}

pub(super) fn refusal(provider: Provider) -> Response {
    match provider {
        Provider::TeleSign => telesign_error(
            400,
            NOT_ATTEMPTED_STATUS,
            -40008,
            "Phone number is not allowed for this account",
        ),
        Provider::PhoneConfirm => pc_reply(
            Format::Json,
            "1",
            "invalid",
            "The call could not be placed",
            "",
        ),
        Provider::Twilio => twilio_error(
            400,
            21408,
            "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
        ),
        _ => Response::json(
            200,
            json!({"ok": false, "error": "calls to this number are not allowed"}),
        ),
    }
}
