//! The public HTTP API.

use crate::env::{
    self, code_key, now, policy, sandbox_enabled, secret, site_secret_key, token_key, CryptoRng,
};
use crate::error::{Failure, Outcome};
use crate::http::{self, allow_origin, parse_json, preflight};
use crate::kv;
use crate::objects::{
    call, CallbackOp, LineOp, ReferenceOp, ThrottleOp, TransactionOp, VerificationOp, CALLBACKS,
    LINES, REFERENCES, THROTTLES, TRANSACTIONS, VERIFICATIONS,
};
use crate::providers;
use ringproof_api::{
    Channel, CheckCode, CheckResult, CreateVerification, Deliveries, MissedCallWebhook, Resend,
    SandboxMissedCall, SiteverifyRequest, SiteverifyResponse, SwitchChannel, VerificationStatus,
};
use ringproof_core::callback::Delivery;
use ringproof_core::keys::{FinishedVerification, SiteByKey, SiteBySecret};
use ringproof_core::limits::is_paid;
use ringproof_core::line::Busy;
use ringproof_core::pow;
use ringproof_core::providers::{mcn, telesign};
use ringproof_core::session::ATTEMPT_SECS;
use ringproof_core::session::{
    CheckStep, Cost, DeliveryEvent, Dispatch, Issuer, NewSession, Payload, Session,
};
use ringproof_core::signature;
use ringproof_core::site::{Page, Site};
use ringproof_core::throttle::Rule;
use ringproof_core::{image, phone, secret as secrets, token, ApiError, Randomness, Timestamp};
use worker::{Env, Method, Request, Response, Url};

pub async fn handle(mut req: Request, env: &Env) -> Response {
    let missing = env::missing_secrets(env);
    if !missing.is_empty() {
        let e = ApiError::DeploymentMisconfigured(missing.join(", "));
        worker::console_error!("{e}");
        return http::failure(e.into());
    }
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
        ["v1", "verifications", ..]
            | ["v1", "challenge"]
            | ["v1", "sandbox", ..]
            | ["Apps", "Plugin", ..]
    );
    if method == Method::Options && browser_facing {
        let granted = preflight_grant(env, &segs, &url, origin.as_deref()).await;
        return preflight(granted.as_deref());
    }
    let base = base_of(&url);
    // Cloudflare sets it from the connection; a client cannot choose it in production.
    let client_ip = req
        .headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .filter(|ip| ip.len() <= 64)
        .unwrap_or_else(|| "unknown".to_owned());
    let mut visitor = Visitor {
        origin,
        client_ip,
        allowed: false,
        site_key: None,
    };
    let result = match (method, segs.as_slice()) {
        (Method::Post, ["v1", "verifications"]) => create(&mut req, env, &base, &mut visitor).await,
        (Method::Get, ["v1", "challenge"]) => challenge(env, &url, &mut visitor).await,
        (Method::Get, ["v1", "verifications", id]) => status(env, id, &base, &mut visitor).await,
        (Method::Get, ["v1", "verifications", id, "number.svg"]) => number_image(env, id).await,
        (Method::Post, ["v1", "verifications", id, "check"]) => {
            check(&mut req, env, id, &mut visitor).await
        }
        (Method::Post, ["v1", "verifications", id, "resend"]) => {
            resend(&mut req, env, id, &base, &mut visitor).await
        }
        (Method::Post, ["v1", "verifications", id, "switch"]) => {
            switch(&mut req, env, id, &base, &mut visitor).await
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
            Ok(crate::onering::new_mobile_recorded(&req, env, &url, &base, &mut visitor).await)
        }
        (m, ["v1", "admin", "sites", rest @ ..]) => {
            crate::admin::handle(&mut req, env, m, rest).await
        }
        (Method::Get, ["v1", "sandbox"]) => sandbox_info(env),
        (Method::Post, ["v1", "sandbox", "missed-call"]) => {
            sandbox_missed_call(&mut req, env, &mut visitor).await
        }
        (_, ["v1", "verifications"] | ["v1", "verifications", ..] | ["v1", "siteverify"]) => {
            Err(ApiError::MethodNotAllowed.into())
        }
        _ => Err(ApiError::NotFound.into()),
    };
    if let (Err(Failure::Api(e)), Some(site_key)) = (&result, &visitor.site_key) {
        if e.is_defence() {
            crate::limits::count_refusal(env, site_key, e.code()).await;
        }
    }
    let response = result.unwrap_or_else(http::failure);
    // Browser-facing answers, errors included, name the page's origin only once a handler has
    // found it allowed: a foreign page can send, but never read.
    if browser_facing {
        allow_origin(response, visitor.granted())
    } else {
        response
    }
}

/// Who sent the request: the page's `Origin` (and whether a handler found it allowed, so CORS
/// may name it) and the client's address, which per-client limits count.
pub struct Visitor {
    origin: Option<String>,
    client_ip: String,
    allowed: bool,
    /// The site the request turned out to concern, once known: its refusals are counted.
    site_key: Option<String>,
}

impl Visitor {
    pub fn on_site(&mut self, site_key: &str) {
        self.site_key = Some(site_key.to_owned());
    }

    pub fn client_ip(&self) -> &str {
        &self.client_ip
    }

    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// The page is one the site (or the verification) allows: it may read the answer.
    pub fn allow(&mut self) {
        self.allowed = true;
    }

    fn granted(&self) -> Option<&str> {
        self.origin.as_deref().filter(|_| self.allowed)
    }
}

/// A preflight names the origin only where the request it announces would be allowed: a
/// verification's own page, or a page of the site named by `?site_key=`.
async fn preflight_grant(
    env: &Env,
    segs: &[&str],
    url: &Url,
    origin: Option<&str>,
) -> Option<String> {
    let origin = origin?;
    let allowed = match segs {
        ["v1", "verifications", id, ..] => session(env, id).await.ok()?.origin == origin,
        ["v1", "verifications"] => {
            let key = url
                .query_pairs()
                .find(|(k, _)| k == "site_key")
                .map(|(_, v)| v.into_owned())?;
            let site = kv::get(env, &SiteByKey(&key)).await.ok()??;
            site.origin_allowed(origin)
        }
        _ => false,
    };
    allowed.then(|| origin.to_owned())
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
    visitor: &mut Visitor,
) -> Outcome<Response> {
    let input: CreateVerification = parse_json(&http::body_text(req).await?)?;
    let site = kv::get(env, &SiteByKey(&input.site_key))
        .await?
        .ok_or(ApiError::UnknownSite)?;
    visitor.on_site(&site.site_key);
    let page = visitor
        .origin()
        .and_then(|o| site.page(o))
        .ok_or(ApiError::OriginNotAllowed)?;
    visitor.allow();
    crate::limits::count_start(env, &site, visitor.client_ip()).await?;
    let token = input.turnstile_response.as_deref();
    crate::turnstile::check(env, &site, token, &page.origin, visitor.client_ip()).await?;
    let session = start_verification(
        env,
        &site,
        &page,
        visitor.client_ip(),
        Start {
            phone: &input.phone,
            country: input.country.as_deref(),
            channel: input.channel,
            client_transaction_id: input.client_transaction_id,
            client_transaction_signature: input.client_transaction_signature.as_deref(),
            ctid_trusted: false,
            proof: input.proof.as_deref(),
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
    /// Proves the site's server chose the id (see [`transaction_bound`]).
    pub client_transaction_signature: Option<&'a str>,
    /// The caller has already established that the site's server chose the id.
    pub ctid_trusted: bool,
    /// The page's solved challenge, required before a paid attempt.
    pub proof: Option<&'a str>,
}

/// Whether the site's server chose `ctid`: `signature` is its HMAC under the site secret.
pub fn transaction_bound(env: &Env, site: &Site, ctid: &str, signature: Option<&str>) -> bool {
    let (Some(sig), Ok(master)) = (signature, site_secret_key(env)) else {
        return false;
    };
    site.secret(&master)
        .is_some_and(|secret| signature::transaction_signature_holds(secret.as_bytes(), ctid, sig))
}

/// `GET /v1/challenge?site_key=`: a proof-of-work challenge for a page of the site.
async fn challenge(env: &Env, url: &Url, visitor: &mut Visitor) -> Outcome<Response> {
    let key = url
        .query_pairs()
        .find(|(k, _)| k == "site_key")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let site = kv::get(env, &SiteByKey(&key))
        .await?
        .ok_or(ApiError::UnknownSite)?;
    // Same-origin GETs carry no Origin: a challenge only proves work, bound to its site and
    // spent once, so a missing Origin is no risk; a foreign page's is refused.
    if visitor.origin().is_some_and(|o| !site.origin_allowed(o)) {
        return Err(ApiError::OriginNotAllowed.into());
    }
    visitor.allow();
    let c = pow::issue(
        &pow::key(&token_key(env)?),
        &site.site_key,
        site.limits().pow_max_number,
        &mut CryptoRng,
        now(),
    );
    Ok(http::json(200, &c))
}

/// A paid attempt needs a solved challenge of this site's, spent here: each one buys one send.
async fn require_proof(env: &Env, site: &Site, proof: Option<&str>) -> Outcome<()> {
    let proof = proof
        .filter(|p| !p.is_empty())
        .ok_or(ApiError::ProofRequired)?;
    let key = pow::key(&token_key(env)?);
    let checked = pow::verify(&key, proof, &site.site_key, now()).map_err(|e| {
        worker::console_warn!("proof refused for site {}: {e:?}", site.site_key);
        ApiError::ProofInvalid
    })?;
    let spent: Result<(), u64> = call(
        env,
        THROTTLES,
        &format!("proof:{}", checked.challenge),
        &ThrottleOp::Take {
            rule: Rule::per(1, pow::CHALLENGE_TTL_SECS),
        },
    )
    .await?;
    spent.map_err(|_| ApiError::ProofInvalid.into())
}

/// Starts a verification for `site` from `page` (already checked against the site): the one
/// path the JSON API and the OneRing-compatible API share.
pub async fn start_verification(
    env: &Env,
    site: &Site,
    page: &Page,
    client: &str,
    input: Start<'_>,
) -> Outcome<Session> {
    if let Some(c) = input.channel.filter(|c| !site.offers(*c)) {
        return Err(ApiError::ChannelNotAvailable(c.as_str()).into());
    }
    let phone = phone::normalise(input.phone, input.country)?;
    let region = phone.region();
    if !site.accepts_region(region.as_deref()) {
        return Err(ApiError::CountryNotAllowed.into());
    }
    // Paid channels only where the site pays for the number's country (Geo Permissions); the
    // free missed call stays offered, and is the default when the site's first is not allowed.
    let channels = site
        .limits()
        .channels_for(&site.channels, region.as_deref());
    let channel = match input.channel {
        Some(c) if channels.contains(&c) => c,
        Some(_) => return Err(ApiError::PaidChannelNotAllowed.into()),
        None => *channels.first().ok_or(ApiError::PaidChannelNotAllowed)?,
    };
    if is_paid(channel) {
        require_proof(env, site, input.proof).await?;
    }
    if let Some(id) = &input.client_transaction_id {
        if id.is_empty() || id.len() > 128 {
            return Err(ApiError::InvalidRequest(
                "client_transaction_id must be 1 to 128 characters".into(),
            )
            .into());
        }
        // Only the site's server binds an id, so no page can squat the site's ids.
        if !input.ctid_trusted
            && !transaction_bound(env, site, id, input.client_transaction_signature)
        {
            return Err(ApiError::TransactionUnsigned.into());
        }
    }
    let mut rng = CryptoRng;
    let id = rng.token(16);
    let inbound = match channel {
        Channel::MissedCall => Some(reserve_line(env, site, phone.as_str(), &id).await?),
        _ => None,
    };
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
        if claimed.is_err() {
            release_line(env, phone.as_str(), &id).await;
            return Err(ApiError::DuplicateTransaction.into());
        }
    }
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
            origin: page.origin.clone(),
            domain: page.domain.clone(),
            client_transaction_id: input.client_transaction_id,
            channels,
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
    carry_out(env, site, client, &dispatch).await
}

/// Reserves one of the site's inbound numbers for `verification_id` to wait for a call from
/// `caller`: one no other verification of that caller holds (see `ringproof_core::line`).
async fn reserve_line(
    env: &Env,
    site: &Site,
    caller: &str,
    verification_id: &str,
) -> Outcome<String> {
    let reserved: Result<String, Busy> = call(
        env,
        LINES,
        caller,
        &LineOp::Reserve {
            pool: site.inbound_numbers.clone(),
            verification_id: verification_id.to_owned(),
            site_key: site.site_key.clone(),
            until: now().plus_secs(ATTEMPT_SECS),
            max_pending: site.limits().pending_calls_per_number,
        },
    )
    .await?;
    reserved.map_err(|busy| {
        match busy {
            Busy::Taken { free_at } => {
                let wait_ms = free_at.millis().saturating_sub(now().millis());
                ApiError::LinesBusy(wait_ms.div_ceil(1000).max(1))
            }
            Busy::NoPool => {
                ApiError::Internal(format!("site {} has no inbound numbers", site.site_key))
            }
        }
        .into()
    })
}

/// Gives back the number `verification_id` holds for `caller`; a failure only delays its
/// expiry, so it is logged, not answered.
async fn release_line(env: &Env, caller: &str, verification_id: &str) {
    let op = LineOp::Release {
        verification_id: verification_id.to_owned(),
    };
    let done: Outcome<()> = call(env, LINES, caller, &op).await;
    if let Err(e) = done {
        worker::console_warn!("releasing a line failed: {e:?}");
    }
}

/// Starts what an attempt needs outside its object: the line's switchboard for a missed call,
/// the provider's call or message for a code. A provider's failure is recorded on the session
/// (the visitor is offered another way), not answered as an error.
async fn carry_out(env: &Env, site: &Site, client: &str, dispatch: &Dispatch) -> Outcome<Session> {
    let id = &dispatch.verification_id;
    match &dispatch.payload {
        // The line was reserved before the attempt began.
        Payload::AwaitCall { .. } => call(env, VERIFICATIONS, id, &VerificationOp::Get).await,
        Payload::SendCode { code } => {
            let taken = crate::limits::before_paid_send(env, site, &dispatch.phone, client).await?;
            let result = match taken {
                Ok(()) => providers::send_code(env, dispatch, code).await,
                Err(reason) => Err(reason),
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
fn check_origin(session: &Session, visitor: &mut Visitor) -> Outcome<()> {
    visitor.on_site(&session.site_key);
    match visitor.origin() {
        Some(o) if o != session.origin => Err(ApiError::OriginNotAllowed.into()),
        Some(_) => {
            visitor.allow();
            Ok(())
        }
        None => Ok(()),
    }
}

/// `GET /v1/verifications/{id}`
async fn status(env: &Env, id: &str, base: &str, visitor: &mut Visitor) -> Outcome<Response> {
    let session = session(env, id).await?;
    check_origin(&session, visitor)?;
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
async fn check(req: &mut Request, env: &Env, id: &str, visitor: &mut Visitor) -> Outcome<Response> {
    let input: CheckCode = parse_json(&http::body_text(req).await?)?;
    let session = session(env, id).await?;
    check_origin(&session, visitor)?;
    let site = kv::get(env, &SiteByKey(&session.site_key))
        .await?
        .ok_or(ApiError::UnknownSite)?;
    // Counted against the number before the code is compared, across verifications and sites,
    // so restarting verifications does not buy more guesses; a right code is given back.
    crate::limits::take_check(env, &site, &session.phone).await?;
    let result = compare(env, id, input.code, visitor).await;
    let wrong = matches!(&result, Ok(r) if r.status != VerificationStatus::Verified);
    if !wrong {
        crate::limits::give_back_check(env, &session.phone).await;
    }
    Ok(http::json(200, &result?))
}

/// The verification's object spends one of its checks and compares; a voice code is then
/// confirmed with Phone Confirm.
async fn compare(env: &Env, id: &str, code: String, visitor: &Visitor) -> Outcome<CheckResult> {
    // The origin travels with the check, so the object checks it in the same round trip.
    let step: CheckStep = call(
        env,
        VERIFICATIONS,
        id,
        &VerificationOp::Check {
            code,
            origin: visitor.origin().map(str::to_owned),
        },
    )
    .await?;
    Ok(match step {
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
    })
}

/// `POST /v1/verifications/{id}/resend`: the same channel again.
async fn resend(
    req: &mut Request,
    env: &Env,
    id: &str,
    base: &str,
    visitor: &mut Visitor,
) -> Outcome<Response> {
    let text = http::body_text(req).await?;
    let input: Resend = match text.trim() {
        "" | "null" | "{}" => Resend::default(),
        t => parse_json(t)?,
    };
    let session = session(env, id).await?;
    check_origin(&session, visitor)?;
    let channel = session.attempt.channel;
    let proof = input.proof.as_deref();
    begin(env, session, channel, base, visitor.client_ip(), proof).await
}

/// `POST /v1/verifications/{id}/switch`: another of the site's channels.
async fn switch(
    req: &mut Request,
    env: &Env,
    id: &str,
    base: &str,
    visitor: &mut Visitor,
) -> Outcome<Response> {
    let input: SwitchChannel = parse_json(&http::body_text(req).await?)?;
    let session = session(env, id).await?;
    check_origin(&session, visitor)?;
    let proof = input.proof.as_deref();
    begin(
        env,
        session,
        input.channel,
        base,
        visitor.client_ip(),
        proof,
    )
    .await
}

async fn begin(
    env: &Env,
    session: Session,
    channel: Channel,
    base: &str,
    client: &str,
    proof: Option<&str>,
) -> Outcome<Response> {
    let site = kv::get(env, &SiteByKey(&session.site_key))
        .await?
        .ok_or(ApiError::UnknownSite)?;
    if is_paid(channel) {
        require_proof(env, &site, proof).await?;
    }
    let inbound = match channel {
        Channel::MissedCall => Some(reserve_line(env, &site, &session.phone, &session.id).await?),
        _ => None,
    };
    let dispatch: Dispatch = call(
        env,
        VERIFICATIONS,
        &session.id,
        &VerificationOp::Begin { channel, inbound },
    )
    .await?;
    if channel != Channel::MissedCall && session.attempt.channel == Channel::MissedCall {
        // No longer waiting for a call: the number is free for the caller's next verification.
        release_line(env, &session.phone, &session.id).await;
    }
    let session = carry_out(env, &site, client, &dispatch).await?;
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
    Ok(site_of_secret(env, &http::bearer(req))
        .await?
        .ok_or(ApiError::Unauthorized)?)
}

/// The key of the site whose secret `given` is. The index finds the site; the site's own
/// record confirms the secret in constant time, so a retired secret that an index copy
/// still names is refused.
async fn site_of_secret(env: &Env, given: &str) -> Outcome<Option<String>> {
    if given.is_empty() || given.len() > 200 {
        return Ok(None);
    }
    let Some(key) = kv::get(env, &SiteBySecret(&secrets::hash(given))).await? else {
        return Ok(None);
    };
    let site = kv::get(env, &SiteByKey(&key)).await?;
    Ok(site.filter(|s| s.secret_matches(given)).map(|s| s.site_key))
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
    let (changed, site_key): (bool, String) = call(
        env,
        VERIFICATIONS,
        &id,
        &VerificationOp::Delivery {
            reference: reference.to_owned(),
            event,
            cost: cost.clone(),
        },
    )
    .await?;
    if let Some(cost) = &cost {
        crate::limits::record_spend(env, &site_key, cost).await?;
    }
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
        caller.as_str(),
        &LineOp::Route {
            number: called.as_str().to_owned(),
        },
    )
    .await?;
    let Some(id) = routed else {
        return Ok("unmatched".into());
    };
    let caller_e164 = caller.as_str().to_owned();
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
    if outcome == "verified" {
        release_line(env, &caller_e164, &id).await;
    }
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
    visitor: &mut Visitor,
) -> Outcome<Response> {
    if !sandbox_enabled(env) {
        return Err(ApiError::SandboxDisabled.into());
    }
    let input: SandboxMissedCall = parse_json(&http::body_text(req).await?)?;
    let session = session(env, &input.verification_id).await?;
    check_origin(&session, visitor)?;
    // The sandbox proves nothing about a phone: it may only complete its own site's demo.
    let sandbox_site = secret(env, "SANDBOX_SITE_KEY").unwrap_or_default();
    if sandbox_site.is_empty() || session.site_key != sandbox_site {
        return Err(ApiError::SandboxSiteOnly.into());
    }
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
    // The secret is checked first, as Turnstile does: a caller without it learns nothing
    // about the token, not even whether it exists.
    let Some(site_key) = site_of_secret(env, &input.secret).await? else {
        return refuse("invalid-input-secret");
    };
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
            site_key,
        },
    )
    .await
    .map_err(|f| match f {
        Failure::Relayed { .. } => ApiError::Internal("redeem failed".into()).into(),
        other => other,
    })?;
    Ok(http::json(200, &answer))
}
