//! The telephony providers' and carriers' webhooks. A carrier's incoming-call report is
//! believed only when its carrier's signature holds (`ringproof_core::carriers`); a code
//! provider's path carries its secret, and TeleSign also signs. Code providers are answered
//! 200 with the report's `outcome`; carriers as each expects (TwiML, Plivo XML, JSON).

use crate::env::{self, now, secret};
use crate::error::Outcome;
use crate::flow;
use crate::http::{self, parse_json};
use crate::outbound::{self, Redirects};
use crate::request::Ctx;
use ringproof_core::carriers::{self, Carrier, Delivered, InboundCall, Refusal};
use ringproof_core::providers::{mcn, telesign, twilio, ProviderId};
use ringproof_core::session::CallOutcome;
use ringproof_core::{secret as secrets, ApiError};
use serde::Serialize;
use std::time::Duration;
use worker::{Headers, Request, Response};

#[derive(Serialize)]
struct Reported<T> {
    outcome: T,
}

/// `POST /v1/carriers/{carrier}`: a carrier's incoming call to one of our numbers.
pub async fn carrier(req: &mut Request, ctx: &Ctx<'_>, name: &str) -> Outcome<Response> {
    let carrier = Carrier::from_name(name).ok_or(ApiError::NotFound)?;
    let (headers, body) = arrived(req).await?;
    let delivered = Delivered {
        url: ctx.url.as_str(),
        headers: &headers,
        body: &body,
    };
    let key = secret(ctx.env, carrier.key_name()).ok();
    let numbers = env::inbound_numbers(ctx.env);
    let read = carriers::read(carrier, key.as_deref(), &delivered, now()).and_then(|call| {
        call.map(|c| carriers::admit(&numbers, carrier, &c).map(|n| (c, n)))
            .transpose()
    });
    let (call, numbers) = match read {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(reply(carrier, None)),
        Err(refusal) => {
            log_refusal(carrier, &refusal);
            return Ok(refused(carrier, refusal.code(), || {
                http::json(refusal.status(), &refusal.body())
            }));
        }
    };
    let outcome = match numbers {
        Some((caller, called)) => {
            flow::report_missed_call(ctx.env, &call, caller, called, false).await
        }
        None => Ok(CallOutcome::Unmatched),
    };
    if carrier.parks_calls() {
        reject_on_telnyx(ctx, &call);
    }
    match outcome {
        Ok(outcome) => Ok(reply(carrier, Some(outcome))),
        Err(e) => {
            let code = e.code();
            if let (ApiError::Internal(detail), Some(_)) = (&e, carriers::refusal_markup(carrier)) {
                // `http::failure`, which logs the detail, is not called for these.
                worker::console_error!("internal error: {detail}");
            }
            Ok(refused(carrier, code, || http::failure(e)))
        }
    }
}

/// A webhook's headers and raw body, as they arrived: signatures cover the exact bytes.
async fn arrived(req: &mut Request) -> Outcome<(Vec<(String, String)>, String)> {
    let headers = req.headers().entries().collect();
    Ok((headers, http::body_text(req).await?))
}

fn reply(carrier: Carrier, outcome: Option<CallOutcome>) -> Response {
    let (content_type, body) = carriers::answer(carrier, outcome);
    let headers = Headers::new();
    let _ = headers.set("Content-Type", content_type);
    let _ = headers.set("Cache-Control", "no-store");
    if let Some(o) = outcome {
        let _ = headers.set(carriers::OUTCOME_HEADER, o.as_str());
    }
    Response::ok(body)
        .map(|r| r.with_headers(headers))
        .unwrap_or_else(|_| http::failure(ApiError::Internal("an answer".into())))
}

/// Never the report: it carries the caller's number.
fn log_refusal(carrier: Carrier, refusal: &Refusal) {
    let who = carrier.name();
    match refusal {
        Refusal::NotConfigured(what) => {
            worker::console_error!(
                "carrier {who}: {what} is not configured (operator action needed)"
            )
        }
        _ => worker::console_warn!("carrier {who}: a report was refused: {}", refusal.code()),
    }
}

/// A report that verified nothing: to Twilio and Plivo, still the answer that rejects the call
/// (see `carriers::refusal_markup`), with the reason in a header; to the others, `error`.
fn refused(carrier: Carrier, code: &str, error: impl FnOnce() -> Response) -> Response {
    let Some((content_type, body)) = carriers::refusal_markup(carrier) else {
        return error();
    };
    let headers = Headers::new();
    let _ = headers.set("Content-Type", content_type);
    let _ = headers.set("Cache-Control", "no-store");
    let _ = headers.set(carriers::REFUSAL_HEADER, code);
    Response::ok(body)
        .map(|r| r.with_headers(headers))
        .unwrap_or_else(|_| http::failure(ApiError::Internal("an answer".into())))
}

/// Telnyx parks an incoming call until told what to do: it is told to reject it, unanswered,
/// after its webhook has been answered (Telnyx waits for that answer only briefly).
fn reject_on_telnyx(ctx: &Ctx<'_>, call: &InboundCall) {
    let Some(api) = env::telnyx_api(ctx.env) else {
        worker::console_error!(
            "carrier telnyx: TELNYX_API_KEY is not configured, so calls are left to ring out"
        );
        return;
    };
    let Some(id) = call.call_id.as_deref() else {
        return;
    };
    let Some(out) = carriers::telnyx::reject(&api, id) else {
        worker::console_error!("carrier telnyx: TELNYX_BASE_URL is not a URL");
        return;
    };
    ctx.background.wait_until(async move {
        match outbound::send(
            out,
            Duration::from_secs(carriers::telnyx::REJECT_DEADLINE_SECS),
            Redirects::Refuse,
        )
        .await
        {
            Ok(a) if carriers::telnyx::reject_taken(&a) => {}
            Ok(a) => worker::console_warn!("carrier telnyx: reject answered {}", a.status),
            Err(e) => worker::console_warn!("carrier telnyx: reject failed: {e:?}"),
        }
    });
}

/// `POST /v1/providers/twilio/status`: Twilio's status callback for a message or a call it
/// carried a code in, signed as every Twilio webhook is.
pub async fn twilio_status(req: &mut Request, ctx: &Ctx<'_>) -> Outcome<Response> {
    let (headers, body) = arrived(req).await?;
    let key = secret(ctx.env, Carrier::Twilio.key_name()).ok();
    let params = match key.as_deref() {
        Some(token) => carriers::twilio::verify(
            token,
            &Delivered {
                url: ctx.url.as_str(),
                headers: &headers,
                body: &body,
            },
        ),
        None => Err(Refusal::NotConfigured(Carrier::Twilio.key_name())),
    };
    let params = match params {
        Ok(p) => p,
        Err(refusal) => {
            log_refusal(Carrier::Twilio, &refusal);
            return Ok(http::json(refusal.status(), &refusal.body()));
        }
    };
    let Some(report) = twilio::status_report(&params) else {
        return Err(ApiError::InvalidRequest(
            "neither MessageSid and MessageStatus nor CallSid and CallStatus".into(),
        ));
    };
    let outcome = flow::report_delivery(
        (ctx.env, ctx.background),
        report.provider,
        &report.reference,
        report.event,
        None,
    )
    .await?;
    Ok(http::json(200, &Reported { outcome }))
}

/// `POST /v1/providers/mcn/{secret}`: the CDR of a flash call.
pub async fn mcn(req: &mut Request, ctx: &Ctx<'_>, given: &str) -> Outcome<Response> {
    authenticate(ctx, "MCN_WEBHOOK_SECRET", given)?;
    let cdr: mcn::Cdr = parse_json(&http::body_text(req).await?)?;
    let event = cdr.result().event();
    let outcome = flow::report_delivery(
        (ctx.env, ctx.background),
        ProviderId::Mcn,
        &cdr.verification_call_uuid,
        event,
        None,
    )
    .await?;
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
    let outcome = flow::report_delivery(
        (ctx.env, ctx.background),
        ProviderId::Telesign,
        &cb.reference_id,
        cb.event(),
        cb.cost(),
    )
    .await?;
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
