//! The public HTTP API.

use crate::env::{now, sandbox_enabled, secret, token_key, CryptoRng};
use crate::error::{Failure, Outcome};
use crate::http::{self, allow_origin, parse_json, preflight};
use crate::kv;
use crate::objects::{call, LineOp, VerificationOp, LINES, VERIFICATIONS};
use ringproof_api::{
    Channel, CreateVerification, CreatedVerification, MissedCallWebhook, SandboxMissedCall,
    SiteverifyRequest, SiteverifyResponse,
};
use ringproof_core::keys::SiteByKey;
use ringproof_core::session::{NewSession, Session};
use ringproof_core::{image, phone, secret as secrets, token, ApiError, Randomness, Timestamp};
use worker::{Env, Method, Request, Response, Url};

pub async fn handle(mut req: Request, env: &Env) -> Response {
    let origin = req.headers().get("Origin").ok().flatten();
    let method = req.method();
    let url = match req.url() {
        Ok(u) => u,
        Err(e) => return http::failure(e.into()),
    };
    let segments: Vec<String> = url
        .path_segments()
        .map(|s| s.map(str::to_owned).collect())
        .unwrap_or_default();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let browser_facing = matches!(
        segs.as_slice(),
        ["v1", "verifications", ..] | ["v1", "sandbox", ..]
    );
    if method == Method::Options && browser_facing {
        return preflight(origin.as_deref());
    }
    let result = match (method, segs.as_slice()) {
        (Method::Post, ["v1", "verifications"]) => {
            create(&mut req, env, &url, origin.as_deref()).await
        }
        (Method::Get, ["v1", "verifications", id]) => status(env, id, origin.as_deref()).await,
        (Method::Get, ["v1", "verifications", id, "number.svg"]) => number_image(env, id).await,
        (Method::Post, ["v1", "providers", "missed-call", given]) => {
            missed_call_webhook(&mut req, env, given).await
        }
        (Method::Post, ["v1", "siteverify"]) => siteverify(&mut req, env).await,
        (Method::Get, ["v1", "sandbox"]) => sandbox_info(env),
        (Method::Post, ["v1", "sandbox", "missed-call"]) => {
            sandbox_missed_call(&mut req, env, origin.as_deref()).await
        }
        (_, ["v1", "verifications"] | ["v1", "verifications", ..] | ["v1", "siteverify"]) => {
            Err(ApiError::MethodNotAllowed.into())
        }
        _ => Err(ApiError::NotFound.into()),
    };
    let response = result.unwrap_or_else(http::failure);
    // Browser-facing errors carry CORS too, so the widget can show what went wrong.
    if browser_facing {
        allow_origin(response, origin.as_deref())
    } else {
        response
    }
}

async fn body_text(req: &mut Request) -> Outcome<String> {
    req.text()
        .await
        .map_err(|_| ApiError::InvalidRequest("the body is not readable text".into()).into())
}

/// `POST /v1/verifications`
async fn create(
    req: &mut Request,
    env: &Env,
    url: &Url,
    origin: Option<&str>,
) -> Outcome<Response> {
    let input: CreateVerification = parse_json(&body_text(req).await?)?;
    let site = kv::get(env, &SiteByKey(&input.site_key))
        .await?
        .ok_or(ApiError::UnknownSite)?;
    let origin = origin
        .filter(|o| site.origin_allowed(o))
        .ok_or(ApiError::OriginNotAllowed)?;
    if input.channel != Channel::MissedCall || !site.offers(input.channel) {
        return Err(ApiError::ChannelNotAvailable(input.channel.as_str()).into());
    }
    let phone = phone::normalise(&input.phone, input.country.as_deref())?;
    if let Some(id) = &input.client_transaction_id {
        if id.is_empty() || id.len() > 128 {
            return Err(ApiError::InvalidRequest(
                "client_transaction_id must be 1 to 128 characters".into(),
            )
            .into());
        }
    }
    let mut rng = CryptoRng;
    let assigned = site
        .pick_inbound_number(&mut rng)
        .ok_or_else(|| {
            ApiError::Internal(format!("site {} has no inbound numbers", site.site_key))
        })?
        .to_owned();
    let session = Session::start(
        NewSession {
            id: rng.token(16),
            site_key: site.site_key.clone(),
            phone,
            assigned_number: assigned.clone(),
            origin: origin.to_owned(),
            client_transaction_id: input.client_transaction_id,
        },
        now(),
    );
    let id = session.id.clone();
    let _: () = call(
        env,
        VERIFICATIONS,
        &id,
        &VerificationOp::Start {
            session: session.clone(),
        },
    )
    .await?;
    let _: Option<String> = call(
        env,
        LINES,
        &assigned,
        &LineOp::Expect {
            caller: session.phone.clone(),
            verification_id: id.clone(),
            until: session.expires_at,
        },
    )
    .await?;
    let base = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    let base = match url.port() {
        Some(p) => format!("{base}:{p}"),
        None => base,
    };
    Ok(http::json(
        201,
        &CreatedVerification {
            verification_id: id.clone(),
            status: session.status(now()),
            channel: session.channel,
            number_image_url: format!("{base}/v1/verifications/{id}/number.svg"),
            call_to_uri: format!("tel:{assigned}"),
            expires_at: session.expires_at.to_rfc3339(),
        },
    ))
}

async fn session(env: &Env, id: &str) -> Outcome<Session> {
    if id.is_empty() || id.len() > 64 {
        return Err(ApiError::VerificationNotFound.into());
    }
    call(env, VERIFICATIONS, id, &VerificationOp::Get).await
}

/// The page that started a verification is the only one that may follow it. A request without
/// an Origin (same-origin GETs, non-browser clients) relies on the id being unguessable.
fn check_origin(session: &Session, origin: Option<&str>) -> Outcome<()> {
    match origin {
        Some(o) if o != session.origin => Err(ApiError::OriginNotAllowed.into()),
        _ => Ok(()),
    }
}

/// `GET /v1/verifications/{id}`
async fn status(env: &Env, id: &str, origin: Option<&str>) -> Outcome<Response> {
    let session = session(env, id).await?;
    check_origin(&session, origin)?;
    Ok(http::json(200, &session.view(&token_key(env)?, now())))
}

/// `GET /v1/verifications/{id}/number.svg`
async fn number_image(env: &Env, id: &str) -> Outcome<Response> {
    let session = session(env, id).await?;
    let display = phonenumber::parse(None, &session.assigned_number)
        .map(|n| {
            n.format()
                .mode(phonenumber::Mode::International)
                .to_string()
        })
        .unwrap_or(session.assigned_number);
    Ok(http::svg(image::number_svg(&display, &mut CryptoRng)))
}

/// `POST /v1/providers/missed-call/{provider_secret}`
async fn missed_call_webhook(req: &mut Request, env: &Env, given: &str) -> Outcome<Response> {
    let expected = secret(env, "MISSED_CALL_PROVIDER_SECRET")?;
    if !secrets::equal(given.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::Unauthorized.into());
    }
    let call: MissedCallWebhook = parse_json(&body_text(req).await?)?;
    let outcome = deliver_missed_call(env, &call).await?;
    Ok(http::json(200, &serde_json::json!({ "outcome": outcome })))
}

/// The one path every reported missed call takes, from a real provider or from the sandbox.
async fn deliver_missed_call(env: &Env, call: &MissedCallWebhook) -> Outcome<String> {
    let call_time = Timestamp::parse_rfc3339(&call.call_time).ok_or_else(|| {
        ApiError::InvalidRequest("call_time must be an RFC 3339 date-time".into())
    })?;
    let (Some(caller), Some(called)) = (
        phone::from_network(&call.caller),
        phone::from_network(&call.called),
    ) else {
        return Ok("unmatched".into());
    };
    let routed: Option<String> = call_line(env, called.as_str(), caller.as_str()).await?;
    let Some(id) = routed else {
        return Ok("unmatched".into());
    };
    let outcome: String = crate::objects::call(
        env,
        VERIFICATIONS,
        &id,
        &VerificationOp::Call {
            caller: caller.into_string(),
            called: called.into_string(),
            call_time,
        },
    )
    .await?;
    Ok(outcome)
}

async fn call_line(env: &Env, called: &str, caller: &str) -> Outcome<Option<String>> {
    call(
        env,
        LINES,
        called,
        &LineOp::Route {
            caller: caller.to_owned(),
        },
    )
    .await
}

/// `GET /v1/sandbox`: tells the demo page whether the sandbox is on, and its site key.
fn sandbox_info(env: &Env) -> Outcome<Response> {
    if !sandbox_enabled(env) {
        return Err(ApiError::SandboxDisabled.into());
    }
    let site_key = env
        .var("SANDBOX_SITE_KEY")
        .map(|v| v.to_string())
        .unwrap_or_default();
    Ok(http::json(
        200,
        &serde_json::json!({ "enabled": true, "site_key": site_key }),
    ))
}

/// `POST /v1/sandbox/missed-call`: the demo's "Simulate the missed call" button.
async fn sandbox_missed_call(
    req: &mut Request,
    env: &Env,
    origin: Option<&str>,
) -> Outcome<Response> {
    if !sandbox_enabled(env) {
        return Err(ApiError::SandboxDisabled.into());
    }
    let input: SandboxMissedCall = parse_json(&body_text(req).await?)?;
    let session = session(env, &input.verification_id).await?;
    check_origin(&session, origin)?;
    let call = MissedCallWebhook {
        caller: session.phone.clone(),
        called: session.assigned_number.clone(),
        call_time: now().to_rfc3339(),
    };
    let outcome = deliver_missed_call(env, &call).await?;
    Ok(http::json(200, &serde_json::json!({ "outcome": outcome })))
}

/// `POST /v1/siteverify`, JSON or form-encoded, always answered 200 like Turnstile's.
async fn siteverify(req: &mut Request, env: &Env) -> Outcome<Response> {
    let is_json = req
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"));
    let text = body_text(req).await?;
    let input: Option<SiteverifyRequest> = if is_json {
        serde_json::from_str(&text).ok()
    } else {
        serde_urlencoded::from_str(&text).ok()
    };
    let refuse = |code: &str| {
        Ok(http::json(
            200,
            &SiteverifyResponse {
                success: false,
                error_codes: vec![code.to_owned()],
                ..Default::default()
            },
        ))
    };
    let Some(input) = input else {
        return refuse("bad-request");
    };
    if input.secret.is_empty() {
        return refuse("missing-input-secret");
    }
    if input.response.is_empty() {
        return refuse("missing-input-response");
    }
    let Some(id) = token::verification_id(&input.response) else {
        return refuse("invalid-input-response");
    };
    let answer: SiteverifyResponse = call(
        env,
        VERIFICATIONS,
        id,
        &VerificationOp::Redeem {
            token: input.response.clone(),
            secret: input.secret,
        },
    )
    .await
    .map_err(|f| match f {
        Failure::Relayed { .. } => ApiError::Internal("redeem failed".into()).into(),
        other => other,
    })?;
    Ok(http::json(200, &answer))
}
