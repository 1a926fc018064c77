//! The visitors' verification API: what the widget (or a site's own page) calls from the
//! browser. Every request is checked against its page's origin: the site's for a start, the
//! verification's own for everything after.

use crate::durable::verification::VerificationStub;
use crate::env::{now, token_key, CryptoRng};
use crate::error::Outcome;
use crate::flow;
use crate::http::{self, parse_json};
use crate::kv;
use crate::request::{query, Ctx, Visitor};
use ringproof_api::{CheckCode, CreateVerification, Resend, SwitchChannel, VerificationView};
use ringproof_core::origin::{self, Follower};
use ringproof_core::session::Summary;
use ringproof_core::start::Start;
use ringproof_core::texts::Language;
use ringproof_core::{image, phone, pow, qr, ApiError};
use worker::{Env, Request, Response};

/// `POST /v1/verifications`
pub async fn create(req: &mut Request, ctx: &Ctx<'_>, visitor: &mut Visitor) -> Outcome<Response> {
    let env = ctx.env;
    let input: CreateVerification = parse_json(&http::body_text(req).await?)?;
    let site = kv::site(env, &input.site_key, &ctx.base).await?;
    visitor.on_site(&site.site_key);
    let page = visitor
        .origin()
        .and_then(|o| site.page(o))
        .ok_or(ApiError::OriginNotAllowed)?;
    visitor.allow();
    let token = input.turnstile_response.as_deref();
    crate::turnstile::check(env, &site, token, &page.origin, visitor.client_ip()).await?;
    let start = Start {
        phone: &input.phone,
        country: input.country.as_deref(),
        channel: input.channel,
        client_transaction_id: input.client_transaction_id,
        client_transaction_signature: input.client_transaction_signature.as_deref(),
        ctid_trusted: false,
        proof: input.proof.as_deref(),
        from_server: false,
        language: input.language.as_deref().and_then(Language::from_tag),
        action: input.action,
        cdata: input.cdata,
    };
    let view = flow::start(
        env,
        &site,
        &page,
        visitor.client(),
        (&ctx.base, ctx.background),
        start,
    )
    .await?;
    Ok(http::json(201, &view))
}

/// `GET /v1/challenge?site_key=[&verification=]`: a proof-of-work challenge for a page of the
/// site, bound to the client asking and, for a resend or a switch, to its verification. Its
/// difficulty follows the site's recent paid sends and refusals.
pub async fn challenge(ctx: &Ctx<'_>, visitor: &mut Visitor) -> Outcome<Response> {
    let site = page_site(ctx, visitor).await?;
    let verification = query(ctx.url, "verification");
    if let Some(id) = &verification {
        // Only the verification's own page may fetch work for it.
        followed(ctx.env, id, visitor).await?;
    }
    let recent = crate::limits::pressure(ctx.env, &site.site_key).await?;
    let c = pow::issue(
        &pow::key(&token_key(ctx.env)?),
        pow::Binding {
            site_key: &site.site_key,
            client: &visitor.client().network,
            verification: verification.as_deref(),
        },
        pow::difficulty(site.limits().pow_max_number, recent),
        &mut CryptoRng,
        now(),
    );
    Ok(http::json(200, &c))
}

/// `GET /v1/countries?site_key=`: the site's countries for the widget's picker, with the
/// visitor's own (as Cloudflare sees the connection) and its numbering plan, so the widget
/// carries no metadata of its own.
pub async fn countries(req: &Request, ctx: &Ctx<'_>, visitor: &mut Visitor) -> Outcome<Response> {
    let site = page_site(ctx, visitor).await?;
    let seen = req.cf().and_then(|cf| cf.country());
    let answer = phone::picker(&site.allowed_countries, seen.as_deref());
    Ok(http::json_cached(&answer, phone::COUNTRIES_CACHE_SECS))
}

/// `GET /v1/countries/{country}?site_key=`: one accepted country's numbering plan.
pub async fn country(ctx: &Ctx<'_>, country: &str, visitor: &mut Visitor) -> Outcome<Response> {
    let site = page_site(ctx, visitor).await?;
    Ok(http::json_cached(
        &site.plan(country)?,
        phone::PLAN_CACHE_SECS,
    ))
}

/// The site named by `?site_key=`, for a page it allows. Same-origin GETs carry no Origin:
/// what these GETs answer is public, so only a foreign page's Origin is refused.
async fn page_site(ctx: &Ctx<'_>, visitor: &mut Visitor) -> Outcome<ringproof_core::site::Site> {
    let key = query(ctx.url, "site_key").unwrap_or_default();
    let site = kv::site(ctx.env, &key, &ctx.base).await?;
    // A foreign page's refusal is counted for the site it tried, like every other.
    visitor.on_site(&site.site_key);
    if visitor.origin().is_some_and(|o| !site.origin_allowed(o)) {
        return Err(ApiError::OriginNotAllowed);
    }
    visitor.allow();
    Ok(site)
}

/// `GET /v1/verifications/{id}`
pub async fn status(ctx: &Ctx<'_>, id: &str, visitor: &mut Visitor) -> Outcome<Response> {
    let read = VerificationStub::of(ctx.env, id)?
        .status(ctx.base.clone())
        .await?;
    let follower = check_page(&read.site_key, &read.origin, visitor)?;
    if !follower.sees_token(&read.origin, &ctx.base) {
        let view: VerificationView = serde_json::from_str(read.view.get())
            .map_err(|e| ApiError::Internal(format!("a view did not read back: {e}")))?;
        return Ok(http::json(200, &origin::without_token(view)));
    }
    // The view as its object wrote it: read by no one on the way.
    Ok(http::json_text(200, read.view.get().to_owned()))
}

/// `POST /v1/verifications/{id}/token`: a fresh token for a verification whose token expired
/// before the page's form was sent (see `Session::renew_token`), for its own page only.
pub async fn renew(ctx: &Ctx<'_>, id: &str, visitor: &mut Visitor) -> Outcome<Response> {
    let summary = summary(ctx.env, id).await?;
    let follower = check_page(&summary.site_key, &summary.origin, visitor)?;
    follower.may_renew(&summary.origin, &ctx.base)?;
    let view = VerificationStub::named(ctx.env, &summary.id)
        .renew(visitor.origin().map(str::to_owned), ctx.base.clone())
        .await?;
    Ok(http::json(200, &view))
}

/// `GET /v1/verifications/{id}/live`: the verification's changes as they happen, over a
/// WebSocket its object holds (see `ringproof_api::live`).
pub async fn live(req: Request, env: &Env, id: &str) -> Outcome<Response> {
    let object = VerificationStub::of(env, id)?;
    if !crate::durable::is_upgrade(&req) {
        return Err(ApiError::InvalidRequest(
            "this address takes a WebSocket upgrade".into(),
        ));
    }
    // Each verification takes a few sockets (`live::MAX_FOLLOWERS`); one client may open only
    // so many over every verification, so it cannot hold hundreds of objects awake.
    let ip = req.headers().get("CF-Connecting-IP").ok().flatten();
    if crate::env::deployment(env).counts_sockets_of(ip.as_deref()) {
        let ip = ringproof_core::client::connecting_ip(ip.as_deref());
        let client = ringproof_core::client::Client::from_ip(&ip);
        let (name, rule) = ringproof_core::limits::socket_counter(&client);
        crate::limits::take_one(env, name, rule)
            .await?
            .map_err(|_| ApiError::TooManyFollowers)?;
    }
    object.follow(req).await
}

/// `GET /v1/verifications/{id}/number.svg`: the number to call, drawn, never sent as text.
pub async fn number_image(ctx: &Ctx<'_>, id: &str) -> Outcome<Response> {
    let number = summary(ctx.env, id)
        .await?
        .inbound_number
        .ok_or(ApiError::VerificationNotFound)?;
    Ok(http::svg(image::number_svg(
        &number.international(),
        &mut CryptoRng,
    )))
}

/// `GET /v1/verifications/{id}/call.svg`: the `tel:` link as a QR code, for a computer's screen.
pub async fn call_qr(ctx: &Ctx<'_>, id: &str) -> Outcome<Response> {
    let number = summary(ctx.env, id)
        .await?
        .inbound_number
        .ok_or(ApiError::VerificationNotFound)?;
    let svg = qr::svg(&number.tel_uri()).ok_or(ApiError::VerificationNotFound)?;
    Ok(http::svg(svg))
}

/// `POST /v1/verifications/{id}/check`
pub async fn check(
    req: &mut Request,
    ctx: &Ctx<'_>,
    id: &str,
    visitor: &mut Visitor,
) -> Outcome<Response> {
    let input: CheckCode = parse_json(&http::body_text(req).await?)?;
    let facts = flow::facts(ctx.env, id).await?;
    check_page(&facts.site_key, &facts.origin, visitor)?;
    let site = kv::site(ctx.env, &facts.site_key, &ctx.base).await?;
    let origin = visitor.origin().map(str::to_owned);
    let client = visitor.client();
    let result = flow::check(
        ctx.env,
        &site,
        (id, &facts),
        input.code,
        (origin, &ctx.base),
        client,
    )
    .await?;
    Ok(http::json(200, &result))
}

/// `POST /v1/verifications/{id}/resend`: the same channel again.
pub async fn resend(
    req: &mut Request,
    ctx: &Ctx<'_>,
    id: &str,
    visitor: &mut Visitor,
) -> Outcome<Response> {
    let text = http::body_text(req).await?;
    let input: Resend = match text.trim() {
        "" | "null" | "{}" => Resend::default(),
        t => parse_json(t)?,
    };
    let summary = followed(ctx.env, id, visitor).await?;
    let channel = summary.channel;
    let paid = Paid {
        proof: input.proof.as_deref(),
        turnstile: input.turnstile_response.as_deref(),
    };
    begin(ctx, &summary, channel, visitor, paid).await
}

/// What a resend or a switch brought to pay for its attempt.
struct Paid<'a> {
    proof: Option<&'a str>,
    turnstile: Option<&'a str>,
}

/// `POST /v1/verifications/{id}/switch`: another of the site's channels.
pub async fn switch(
    req: &mut Request,
    ctx: &Ctx<'_>,
    id: &str,
    visitor: &mut Visitor,
) -> Outcome<Response> {
    let input: SwitchChannel = parse_json(&http::body_text(req).await?)?;
    let summary = followed(ctx.env, id, visitor).await?;
    let paid = Paid {
        proof: input.proof.as_deref(),
        turnstile: input.turnstile_response.as_deref(),
    };
    begin(ctx, &summary, input.channel, visitor, paid).await
}

async fn begin(
    ctx: &Ctx<'_>,
    summary: &Summary,
    channel: ringproof_api::Channel,
    visitor: &Visitor,
    paid: Paid<'_>,
) -> Outcome<Response> {
    let site = kv::site(ctx.env, &summary.site_key, &ctx.base).await?;
    let asker = flow::Asker {
        client: visitor.client(),
        ip: visitor.client_ip(),
        proof: paid.proof,
        turnstile: paid.turnstile,
    };
    let view = flow::begin(
        ctx.env,
        &site,
        summary,
        channel,
        asker,
        (&ctx.base, ctx.background),
    )
    .await?;
    Ok(http::json(200, &view))
}

/// What the Worker may know of verification `id`; not found for anything that is not one of
/// our ids.
pub async fn summary(env: &Env, id: &str) -> Outcome<Summary> {
    VerificationStub::of(env, id)?.summary().await
}

/// Verification `id`, for a request its own page (or no page) sent.
pub async fn followed(env: &Env, id: &str, visitor: &mut Visitor) -> Outcome<Summary> {
    let summary = summary(env, id).await?;
    check_page(&summary.site_key, &summary.origin, visitor)?;
    Ok(summary)
}

/// Whether the visitor may follow a verification of `site_key` started on the page at
/// `origin` (`origin::follower`); that page is granted the answer.
fn check_page(site_key: &str, origin: &str, visitor: &mut Visitor) -> Outcome<Follower> {
    visitor.on_site(site_key);
    let follower = origin::follower(visitor.origin(), origin)?;
    if follower == Follower::OwnPage {
        visitor.allow();
    }
    Ok(follower)
}
