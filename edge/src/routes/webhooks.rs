//! The telephony providers' webhooks. Each path carries its provider's secret: anything else
//! is refused before the body is read. Each answers 200 with the report's `outcome`.

use crate::env::secret;
use crate::error::Outcome;
use crate::flow;
use crate::http::{self, parse_json};
use crate::router::Ctx;
use ringproof_api::MissedCallWebhook;
use ringproof_core::providers::{mcn, telesign};
use ringproof_core::session::Cost;
use ringproof_core::{secret as secrets, ApiError};
use serde::Serialize;
use worker::{Request, Response};

#[derive(Serialize)]
struct Reported<T> {
    outcome: T,
}

/// `POST /v1/providers/missed-call/{provider_secret}`
pub async fn missed_call(req: &mut Request, ctx: &Ctx<'_>, given: &str) -> Outcome<Response> {
    authenticate(ctx, "MISSED_CALL_PROVIDER_SECRET", given)?;
    let call: MissedCallWebhook = parse_json(&http::body_text(req).await?)?;
    let outcome = flow::report_missed_call(ctx.env, &call, false).await?;
    Ok(http::json(200, &Reported { outcome }))
}

/// `POST /v1/providers/mcn/{secret}`: the CDR of a flash call.
pub async fn mcn(req: &mut Request, ctx: &Ctx<'_>, given: &str) -> Outcome<Response> {
    authenticate(ctx, "MCN_WEBHOOK_SECRET", given)?;
    let cdr: mcn::Cdr = parse_json(&http::body_text(req).await?)?;
    let event = cdr.result().event();
    let outcome =
        flow::report_delivery(ctx.env, "mcn", &cdr.verification_call_uuid, event, None).await?;
    Ok(http::json(200, &Reported { outcome }))
}

/// `POST /v1/providers/telesign/{secret}`: an SMS delivery callback, signed by TeleSign (the
/// path's secret is a second factor: request logs show it).
pub async fn telesign(req: &mut Request, ctx: &Ctx<'_>, given: &str) -> Outcome<Response> {
    authenticate(ctx, "TELESIGN_WEBHOOK_SECRET", given)?;
    let signature = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .unwrap_or_default();
    let body = http::body_text(req).await?;
    let api_key = secret(ctx.env, "TELESIGN_API_KEY")?;
    if !telesign::callback_signature_holds(&api_key, body.as_bytes(), &signature) {
        worker::console_warn!("a TeleSign callback without its signature was refused");
        return Err(ApiError::Unauthorized);
    }
    let cb: telesign::Callback = parse_json(&body)?;
    let cost = cb.additional_info.clone().map(|i| Cost {
        reference: cb.reference_id.clone(),
        price: i.price,
        currency: i.currency,
        mcc: i.mcc,
        mnc: i.mnc,
        message_parts_count: i.message_parts_count,
    });
    let outcome =
        flow::report_delivery(ctx.env, "telesign", &cb.reference_id, cb.event(), cost).await?;
    Ok(http::json(200, &Reported { outcome }))
}

fn authenticate(ctx: &Ctx<'_>, secret_name: &str, given: &str) -> Outcome<()> {
    let expected = secret(ctx.env, secret_name)?;
    if secrets::equal(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}
