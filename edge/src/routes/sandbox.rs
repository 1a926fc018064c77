//! The sandbox provider of the local demo (`cargo xtask dev`): on only where the
//! configuration says so, and only for the sandbox site's own verifications. Its missed call
//! also completes the test keys' verifications, on every deployment: they prove nothing and
//! their tokens redeem only with the test secrets.

use crate::env::{now, sandbox_enabled, secret};
use crate::error::Outcome;
use crate::flow;
use crate::http::{self, parse_json};
use crate::request::{Ctx, Visitor};
use crate::routes::visitor::followed;
use ringproof_api::SandboxMissedCall;
use ringproof_core::carriers::InboundCall;
use ringproof_core::{test_keys, ApiError};
use worker::{Request, Response};

/// `GET /v1/sandbox`: tells the demo page whether the sandbox is on, and its site key.
pub fn info(ctx: &Ctx<'_>) -> Outcome<Response> {
    if !sandbox_enabled(ctx.env) {
        return Err(ApiError::SandboxDisabled);
    }
    // Both come from the local development configuration, so either may be a var or a secret.
    let site_key = secret(ctx.env, "SANDBOX_SITE_KEY").unwrap_or_default();
    let phone_url = secret(ctx.env, "SANDBOX_PHONE_URL").ok();
    Ok(http::json(
        200,
        &serde_json::json!({ "enabled": true, "site_key": site_key, "phone_url": phone_url }),
    ))
}

/// `POST /v1/sandbox/missed-call`: the demo's "Simulate the missed call" button, and the
/// test keys' "Simulate the call".
pub async fn missed_call(
    req: &mut Request,
    ctx: &Ctx<'_>,
    visitor: &mut Visitor,
) -> Outcome<Response> {
    let input: SandboxMissedCall = parse_json(&http::body_text(req).await?)?;
    let summary = followed(ctx.env, &input.verification_id, visitor).await?;
    test_keys::sandbox_may_complete(
        &summary.site_key,
        sandbox_enabled(ctx.env),
        secret(ctx.env, "SANDBOX_SITE_KEY").ok().as_deref(),
    )?;
    let inbound_number = summary
        .inbound_number
        .ok_or(ApiError::CodeNotExpected(summary.channel))?;
    let call = InboundCall {
        caller: summary.phone.as_str().to_owned(),
        called: inbound_number.as_str().to_owned(),
        call_id: None,
        at: Some(now()),
    };
    let test = test_keys::is_test_site(&summary.site_key);
    let outcome =
        flow::report_missed_call(ctx.env, &call, summary.phone, inbound_number, test).await?;
    Ok(http::json(200, &serde_json::json!({ "outcome": outcome })))
}
