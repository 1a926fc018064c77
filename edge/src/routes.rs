//! The public HTTP API.

use crate::env::{code_key, now, policy, sandbox_enabled, secret, token_key, CryptoRng};
use crate::error::{Failure, Outcome};
use crate::http::{self, allow_origin, parse_json, preflight};
use crate::kv;
use crate::objects::{
    call, CallbackOp, LineOp, ReferenceOp, ThrottleOp, TransactionOp, VerificationOp, CALLBACKS,
    LINES, REFERENCES, THROTTLES, TRANSACTIONS, VERIFICATIONS,
};
use crate::providers;
use ringproof_api::{
    Channel, CheckCode, CheckResult, CreateVerification, Deliveries, MissedCallWebhook,
    SandboxMissedCall, SiteverifyRequest, SiteverifyResponse, SwitchChannel,
};
use ringproof_core::callback::Delivery;
use ringproof_core::failure::FailureReason;
use ringproof_core::keys::{FinishedVerification, SiteByKey, SiteBySecret};
use ringproof_core::providers::{mcn, telesign};
use ringproof_core::session::{
    CheckStep, Cost, DeliveryEvent, Dispatch, Issuer, NewSession, Payload, Session,
};
use ringproof_core::site::Site;
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
        ["v1", "verifications", ..] | ["v1", "sandbox", ..] | ["Apps", "Plugin", ..]
    );
    if method == Method::Options && browser_facing {
        return preflight(origin.as_deref());
    }
    let base = base_of(&url);
    let origin = origin.as_deref();
    let result = match (method, segs.as_slice()) {
        (Method::Post, ["v1", "verifications"]) => create(&mut req, env, &base, origin).await,
        (Method::Get, ["v1", "verifications", id]) => status(env, id, &base, origin).await,
        (Method::Get, ["v1", "verifications", id, "number.svg"]) => number_image(env, id).await,
        (Method::Post, ["v1", "verifications", id, "check"]) => {
            check(&mut req, env, id, origin).await
        }
        (Method::Post, ["v1", "verifications", id, "resend"]) => {
            resend(env, id, &base, origin).await
        }
        (Method::Post, ["v1", "verifications", id, "switch"]) => {
            switch(&mut req, env, id, &base, origin).await
        }
        (Method::Post, ["v1", "providers", "missed-call", given]) => {
            missed_call_webhook(&mut req, env, given).await
        }
        (Method::Post, ["v1", "providers", "mcn", given]) => {
            mcn_webhook(&mut req, env, given).await
        }
        (Method::Post, ["v1", "providers", "telesign", given]) => {
            telesign_webhook(&mut req, env, given).await
        }
        (Method::Post, ["v1", "siteverify"]) => siteverify(&mut req, env).await,
        (Method::Get, ["v1", "transactions", ctid]) => transaction(&req, env, ctid).await,
        (Method::Get, ["v1", "verifications", id, "callbacks"]) => callbacks(&req, env, id).await,
        (Method::Get, ["Apps", "Plugin", "NewMobileRecorded.ashx"]) => {
            Ok(crate::onering::new_mobile_recorded(&req, env, &url, &base, origin).await)
        }
        (m, ["v1", "admin", "sites", rest @ ..]) => {
            crate::admin::handle(&mut req, env, m, rest).await
        }
        (Method::Get, ["v1", "sandbox"]) => sandbox_info(env),
        (Method::Post, ["v1", "sandbox", "missed-call"]) => {
            sandbox_missed_call(&mut req, env, origin).await
        }
        (_, ["v1", "verifications"] | ["v1", "verifications", ..] | ["v1", "siteverify"]) => {
            Err(ApiError::MethodNotAllowed.into())
        }
        _ => Err(ApiError::NotFound.into()),
    };
    let response = result.unwrap_or_else(http::failure);
    // Browser-facing errors carry CORS too, so the widget can show what went wrong.
    if browser_facing {
        allow_origin(response, origin)
    } else {
        response
    }
}

/// `scheme://host[:port]` of the edge itself, for the URLs it hands out.
fn base_of(url: &Url) -> String {
    let base = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    match url.port() {
        Some(p) => format!("{base}:{p}"),
        None => base,
    }
}

/// `POST /v1/verifications`
async fn create(
    req: &mut Request,
    env: &Env,
    base: &str,
    origin: Option<&str>,
) -> Outcome<Response> {
    let input: CreateVerification = parse_json(&http::body_text(req).await?)?;
    let site = kv::get(env, &SiteByKey(&input.site_key))
        .await?
        .ok_or(ApiError::UnknownSite)?;
    let origin = origin
        .filter(|o| site.origin_allowed(o))
        .ok_or(ApiError::OriginNotAllowed)?;
    let session = start_verification(
        env,
        &site,
        origin,
        Start {
            phone: &input.phone,
            country: input.country.as_deref(),
            channel: input.channel,
            client_transaction_id: input.client_transaction_id,
        },
    )
    .await?;
    Ok(http::json(
        201,
        &session.view(&token_key(env)?, base, now()),
    ))
}

/// What a caller asks to start, whichever API it came through.
pub struct Start<'a> {
    pub phone: &'a str,
    pub country: Option<&'a str>,
    /// The site's first channel when `None`.
    pub channel: Option<Channel>,
    pub client_transaction_id: Option<String>,
}

/// Starts a verification for `site` from a page at `origin` (already checked against the site):
/// the one path the JSON API and the OneRing-compatible API share.
pub async fn start_verification(
    env: &Env,
    site: &Site,
    origin: &str,
    input: Start<'_>,
) -> Outcome<Session> {
    let channel = input
        .channel
        .or_else(|| site.channels.first().copied())
        .ok_or(ApiError::ChannelNotAvailable("any"))?;
    if !site.offers(channel) {
        return Err(ApiError::ChannelNotAvailable(channel.as_str()).into());
    }
    let phone = phone::normalise(input.phone, input.country)?;
    if !site.accepts_region(phone.region().as_deref()) {
        return Err(ApiError::CountryNotAllowed.into());
    }
    if let Some(id) = &input.client_transaction_id {
        if id.is_empty() || id.len() > 128 {
            return Err(ApiError::InvalidRequest(
                "client_transaction_id must be 1 to 128 characters".into(),
            )
            .into());
        }
    }
    let mut rng = CryptoRng;
    let id = rng.token(16);
    if let Some(ctid) = &input.client_transaction_id {
        // Claimed before anything is sent: a repeat gets a clear refusal, not a second call.
        let claimed: Result<(), String> = call(
            env,
            TRANSACTIONS,
            &format!("{}:{ctid}", site.site_key),
            &TransactionOp::Claim {
                verification_id: id.clone(),
                now: now(),
            },
        )
        .await?;
        claimed.map_err(|_| ApiError::DuplicateTransaction)?;
    }
    let inbound = inbound_for(site, channel)?;
    let key = code_key(env)?;
    let mut issuer = Issuer {
        rng: &mut CryptoRng,
        code_key: &key,
        policy: policy(env),
    };
    let (session, dispatch) = Session::start(
        NewSession {
            id,
            site_key: site.site_key.clone(),
            phone,
            origin: origin.to_owned(),
            client_transaction_id: input.client_transaction_id,
            channels: site.channels.clone(),
            sends_per_number_per_hour: site.sends_per_number_per_hour,
        },
        channel,
        inbound,
        &mut issuer,
        now(),
    )?;
    let id = session.id.clone();
    let _: () = call(
        env,
        VERIFICATIONS,
        &id,
        &VerificationOp::Start {
            session: Box::new(session),
        },
    )
    .await?;
    carry_out(env, &dispatch).await
}

/// The number a missed-call attempt asks the visitor to call.
fn inbound_for(site: &Site, channel: Channel) -> Outcome<Option<String>> {
    if channel != Channel::MissedCall {
        return Ok(None);
    }
    site.pick_inbound_number(&mut CryptoRng)
        .map(|n| Some(n.to_owned()))
        .ok_or_else(|| {
            ApiError::Internal(format!("site {} has no inbound numbers", site.site_key)).into()
        })
}

/// Starts what an attempt needs outside its object: the line's switchboard for a missed call,
/// the provider's call or message for a code. A provider's failure is recorded on the session
/// (the visitor is offered another way), not answered as an error.
async fn carry_out(env: &Env, dispatch: &Dispatch) -> Outcome<Session> {
    let id = &dispatch.verification_id;
    match &dispatch.payload {
        Payload::AwaitCall { number } => {
            let _: Option<String> = call(
                env,
                LINES,
                number,
                &LineOp::Expect {
                    caller: dispatch.phone.clone(),
                    verification_id: id.clone(),
                    until: dispatch.expires_at,
                },
            )
            .await?;
            call(env, VERIFICATIONS, id, &VerificationOp::Get).await
        }
        Payload::SendCode { code } => {
            // Counted before the provider is asked: a refused or failed send may still cost.
            let taken: Result<(), u64> = call(
                env,
                THROTTLES,
                &dispatch.phone,
                &ThrottleOp::Take {
                    limit: dispatch.sends_per_number_per_hour,
                },
            )
            .await?;
            let result = match taken {
                Ok(()) => providers::send_code(env, dispatch, code).await,
                Err(_) => Err(FailureReason::NumberRateLimited),
            };
            if let (Ok(sent), Channel::FlashCall | Channel::Sms) = (&result, dispatch.channel) {
                // Bound before the session learns of the send, so a webhook can never find a
                // reference its session does not know yet.
                let name =
                    reference_name(providers::provider_name(dispatch.channel), &sent.reference);
                let _: () = call(
                    env,
                    REFERENCES,
                    &name,
                    &ReferenceOp::Bind {
                        verification_id: id.clone(),
                        until: dispatch.expires_at,
                    },
                )
                .await?;
            }
            call(
                env,
                VERIFICATIONS,
                id,
                &VerificationOp::Sent {
                    attempt: dispatch.attempt,
                    result,
                },
            )
            .await
        }
    }
}

fn reference_name(provider: &str, reference: &str) -> String {
    format!("{provider}:{reference}")
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
async fn status(env: &Env, id: &str, base: &str, origin: Option<&str>) -> Outcome<Response> {
    let session = session(env, id).await?;
    check_origin(&session, origin)?;
    Ok(http::json(
        200,
        &session.view(&token_key(env)?, base, now()),
    ))
}

/// `GET /v1/verifications/{id}/number.svg`
async fn number_image(env: &Env, id: &str) -> Outcome<Response> {
    let session = session(env, id).await?;
    let number = session
        .attempt
        .assigned_number
        .ok_or(ApiError::VerificationNotFound)?;
    let display = phonenumber::parse(None, &number)
        .map(|n| {
            n.format()
                .mode(phonenumber::Mode::International)
                .to_string()
        })
        .unwrap_or(number);
    Ok(http::svg(image::number_svg(&display, &mut CryptoRng)))
}

/// `POST /v1/verifications/{id}/check`
async fn check(req: &mut Request, env: &Env, id: &str, origin: Option<&str>) -> Outcome<Response> {
    let input: CheckCode = parse_json(&http::body_text(req).await?)?;
    if id.is_empty() || id.len() > 64 {
        return Err(ApiError::VerificationNotFound.into());
    }
    // The origin travels with the check, so the object checks it in the same round trip.
    let step: CheckStep = call(
        env,
        VERIFICATIONS,
        id,
        &VerificationOp::Check {
            code: input.code,
            origin: origin.map(str::to_owned),
        },
    )
    .await?;
    let result: CheckResult = match step {
        CheckStep::Done(result) => result,
        CheckStep::AskProvider {
            attempt,
            transaction_number,
            code,
            local_match,
        } => {
            let verdict = providers::verify_voice_code(env, &transaction_number, &code)
                .await
                .map(|valid| valid && local_match);
            call(
                env,
                VERIFICATIONS,
                id,
                &VerificationOp::Verdict { attempt, verdict },
            )
            .await?
        }
    };
    Ok(http::json(200, &result))
}

/// `POST /v1/verifications/{id}/resend`: the same channel again.
async fn resend(env: &Env, id: &str, base: &str, origin: Option<&str>) -> Outcome<Response> {
    let session = session(env, id).await?;
    check_origin(&session, origin)?;
    let channel = session.attempt.channel;
    begin(env, session, channel, base).await
}

/// `POST /v1/verifications/{id}/switch`: another of the site's channels.
async fn switch(
    req: &mut Request,
    env: &Env,
    id: &str,
    base: &str,
    origin: Option<&str>,
) -> Outcome<Response> {
    let input: SwitchChannel = parse_json(&http::body_text(req).await?)?;
    let session = session(env, id).await?;
    check_origin(&session, origin)?;
    begin(env, session, input.channel, base).await
}

async fn begin(env: &Env, session: Session, channel: Channel, base: &str) -> Outcome<Response> {
    let inbound = if channel == Channel::MissedCall {
        let site = kv::get(env, &SiteByKey(&session.site_key))
            .await?
            .ok_or(ApiError::UnknownSite)?;
        inbound_for(&site, channel)?
    } else {
        None
    };
    let dispatch: Dispatch = call(
        env,
        VERIFICATIONS,
        &session.id,
        &VerificationOp::Begin { channel, inbound },
    )
    .await?;
    let session = carry_out(env, &dispatch).await?;
    Ok(http::json(
        200,
        &session.view(&token_key(env)?, base, now()),
    ))
}

/// `GET /v1/transactions/{client_transaction_id}`, with the site's secret as a bearer token:
/// the verification's state at any time, live or finished.
async fn transaction(req: &Request, env: &Env, ctid: &str) -> Outcome<Response> {
    let site_key = site_of_bearer(req, env).await?;
    let ctid = http::decode_segment(ctid)
        .filter(|c| !c.is_empty() && c.len() <= 128)
        .ok_or(ApiError::TransactionNotFound)?;
    let id: Option<String> = call(
        env,
        TRANSACTIONS,
        &format!("{site_key}:{ctid}"),
        &TransactionOp::Get,
    )
    .await?;
    let id = id.ok_or(ApiError::TransactionNotFound)?;
    let live: Outcome<Session> = call(env, VERIFICATIONS, &id, &VerificationOp::Get).await;
    let view = match live {
        Ok(session) => session.transaction_view(now()),
        // The live object is gone once the verification has ended: its record remains.
        Err(_) => kv::get(env, &FinishedVerification(&id))
            .await?
            .and_then(|r| r.transaction_view()),
    };
    Ok(http::json(200, &view.ok_or(ApiError::TransactionNotFound)?))
}

/// The site whose secret is the request's bearer token; 401 for anything else.
async fn site_of_bearer(req: &Request, env: &Env) -> Outcome<String> {
    let given = http::bearer(req);
    Ok(kv::get(env, &SiteBySecret(&secrets::hash(&given)))
        .await?
        .filter(|_| !given.is_empty())
        .ok_or(ApiError::Unauthorized)?)
}

/// `GET /v1/verifications/{id}/callbacks`, with the site's secret as a bearer token: the
/// delivery of the verification's callback, attempt by attempt. Another site's verification
/// looks like one without a callback.
async fn callbacks(req: &Request, env: &Env, id: &str) -> Outcome<Response> {
    let site_key = site_of_bearer(req, env).await?;
    if id.is_empty() || id.len() > 64 {
        return Ok(http::json(200, &Deliveries { deliveries: vec![] }));
    }
    let delivery: Option<Delivery> = call(env, CALLBACKS, id, &CallbackOp::Get).await?;
    let deliveries = delivery
        .filter(|d| d.event.site_key == site_key)
        .map(|d| d.view())
        .into_iter()
        .collect();
    Ok(http::json(200, &Deliveries { deliveries }))
}

/// A webhook's path carries its provider's secret: anything else is refused before the body is
/// read.
fn authenticate(env: &Env, secret_name: &str, given: &str) -> Outcome<()> {
    let expected = secret(env, secret_name)?;
    if secrets::equal(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized.into())
    }
}

/// `POST /v1/providers/mcn/{secret}`: the CDR of a flash call.
async fn mcn_webhook(req: &mut Request, env: &Env, given: &str) -> Outcome<Response> {
    authenticate(env, "MCN_WEBHOOK_SECRET", given)?;
    let cdr: mcn::Cdr = parse_json(&http::body_text(req).await?)?;
    let outcome = report(
        env,
        "mcn",
        &cdr.verification_call_uuid,
        cdr.result().event(),
        None,
    )
    .await?;
    Ok(http::json(200, &serde_json::json!({ "outcome": outcome })))
}

/// `POST /v1/providers/telesign/{secret}`: an SMS delivery callback.
async fn telesign_webhook(req: &mut Request, env: &Env, given: &str) -> Outcome<Response> {
    authenticate(env, "TELESIGN_WEBHOOK_SECRET", given)?;
    let cb: telesign::Callback = parse_json(&http::body_text(req).await?)?;
    let cost = cb.additional_info.clone().map(|i| Cost {
        reference: cb.reference_id.clone(),
        price: i.price,
        currency: i.currency,
        mcc: i.mcc,
        mnc: i.mnc,
        message_parts_count: i.message_parts_count,
    });
    let outcome = report(env, "telesign", &cb.reference_id, cb.event(), cost).await?;
    Ok(http::json(200, &serde_json::json!({ "outcome": outcome })))
}

/// Hands a provider's report to the verification it concerns. Unknown references answer 200
/// too: a provider retrying them forever helps no one.
async fn report(
    env: &Env,
    provider: &str,
    reference: &str,
    event: DeliveryEvent,
    cost: Option<Cost>,
) -> Outcome<&'static str> {
    if reference.is_empty() || reference.len() > 200 {
        return Ok("unknown_reference");
    }
    let name = reference_name(provider, reference);
    let id: Option<String> = call(env, REFERENCES, &name, &ReferenceOp::Resolve).await?;
    let Some(id) = id else {
        return Ok("unknown_reference");
    };
    let changed: bool = call(
        env,
        VERIFICATIONS,
        &id,
        &VerificationOp::Delivery {
            reference: reference.to_owned(),
            event,
            cost,
        },
    )
    .await?;
    Ok(if changed { "applied" } else { "unchanged" })
}

/// `POST /v1/providers/missed-call/{provider_secret}`
async fn missed_call_webhook(req: &mut Request, env: &Env, given: &str) -> Outcome<Response> {
    authenticate(env, "MISSED_CALL_PROVIDER_SECRET", given)?;
    let call: MissedCallWebhook = parse_json(&http::body_text(req).await?)?;
    let outcome = deliver_missed_call(env, &call).await?;
    Ok(http::json(200, &serde_json::json!({ "outcome": outcome })))
}

/// The one path every reported missed call takes, from a real provider or from the sandbox.
async fn deliver_missed_call(env: &Env, reported: &MissedCallWebhook) -> Outcome<String> {
    let call_time = Timestamp::parse_rfc3339(&reported.call_time).ok_or_else(|| {
        ApiError::InvalidRequest("call_time must be an RFC 3339 date-time".into())
    })?;
    let (Some(caller), Some(called)) = (
        phone::from_network(&reported.caller),
        phone::from_network(&reported.called),
    ) else {
        return Ok("unmatched".into());
    };
    let routed: Option<String> = call(
        env,
        LINES,
        called.as_str(),
        &LineOp::Route {
            caller: caller.as_str().to_owned(),
        },
    )
    .await?;
    let Some(id) = routed else {
        return Ok("unmatched".into());
    };
    let outcome: String = call(
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

/// `GET /v1/sandbox`: tells the demo page whether the sandbox is on, and its site key.
fn sandbox_info(env: &Env) -> Outcome<Response> {
    if !sandbox_enabled(env) {
        return Err(ApiError::SandboxDisabled.into());
    }
    // Both come from the local development configuration, so either may be a var or a secret.
    let site_key = secret(env, "SANDBOX_SITE_KEY").unwrap_or_default();
    let phone_url = secret(env, "SANDBOX_PHONE_URL").ok();
    Ok(http::json(
        200,
        &serde_json::json!({ "enabled": true, "site_key": site_key, "phone_url": phone_url }),
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
    let input: SandboxMissedCall = parse_json(&http::body_text(req).await?)?;
    let session = session(env, &input.verification_id).await?;
    check_origin(&session, origin)?;
    let called = session
        .attempt
        .assigned_number
        .clone()
        .ok_or_else(|| ApiError::CodeNotExpected(session.attempt.channel.as_str()))?;
    let call = MissedCallWebhook {
        caller: session.phone.clone(),
        called,
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
    let text = http::body_text(req).await?;
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
