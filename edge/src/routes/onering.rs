//! OneRing's API, field for field (`shared/seeds/onering-missed-call.txt`), so an existing
//! OneRing integration works by changing only the host name. It answers 200 with OneRing's
//! `Message`: `Success`, or `Failed#<reason>` with one of core's [`Refusal`]s.

use crate::error::Outcome;
use crate::flow;
use crate::http;
use crate::kv;
use crate::request::{Ctx, Visitor};
use ringproof_api::Channel;
use ringproof_core::keys::SiteByActivity;
use ringproof_core::onering::{self, Refusal};
use ringproof_core::site::Site;
use ringproof_core::start::Start;
use ringproof_core::{secret, ApiError};
use std::collections::HashMap;
use worker::{Request, Response, Url};

/// `GET /Apps/Plugin/NewMobileRecorded.ashx?ApiKey=&ActivityTokenId=&MobileNumber=&ClientTransactionId=`
pub async fn new_mobile_recorded(req: &Request, ctx: &Ctx<'_>, visitor: &mut Visitor) -> Response {
    let q: HashMap<String, String> = ctx.url.query_pairs().into_owned().collect();
    let ctid = q.get("ClientTransactionId").cloned().unwrap_or_default();
    let page = visitor
        .origin()
        .map(str::to_owned)
        .or_else(|| referer_origin(req));
    let bearer = Some(http::bearer(req)).filter(|b| !b.is_empty());
    let started = start(ctx, &q, page.as_deref(), visitor, bearer.as_deref()).await;
    if visitor.origin().is_some() && started.as_ref().err().is_none_or(|r| r.readable_by_page()) {
        visitor.allow();
    }
    let (status, body) = onering::answer(&started, &ctid, &ctx.base);
    http::json(status, &body)
}

/// Our error, as OneRing names it; a fault of ours is logged.
fn refusal(e: ApiError) -> Refusal {
    if onering::is_fault(&e) {
        worker::console_error!("OneRing request failed: {e:?}");
    }
    Refusal::from_error(&e)
}

async fn start(
    ctx: &Ctx<'_>,
    q: &HashMap<String, String>,
    page: Option<&str>,
    visitor: &Visitor,
    bearer: Option<&str>,
) -> Result<String, Refusal> {
    let env = ctx.env;
    let asked = onering::asked(|name| q.get(name).map(String::as_str))?;
    let site = site(ctx, asked.activity, asked.api_key)
        .await
        .map_err(refusal)?
        .ok_or(Refusal::InvalidApiKey)?;
    let caller = onering::caller(page, bearer, &site)?;
    let ctid = asked.client_transaction_id;
    let signed = flow::transaction_bound(env, &site, ctid, asked.signature);
    let page = caller.page(&site)?;
    if caller.pays() {
        crate::turnstile::check(
            env,
            &site,
            asked.turnstile,
            &page.origin,
            visitor.client_ip(),
        )
        .await
        .map_err(refusal)?;
    }
    let (phone, country) = onering::mobile_number(asked.mobile, &site.allowed_countries);
    let client = caller.client(&site, visitor.client());
    let start = Start {
        phone: &phone,
        country,
        channel: Some(Channel::MissedCall),
        client_transaction_id: caller.binds_transaction(signed).then(|| ctid.to_owned()),
        client_transaction_signature: None,
        // Bound above, or left out.
        ctid_trusted: true,
        proof: asked.proof,
        from_server: !caller.pays(),
        // OneRing's request names no language; a missed call sends no text.
        language: None,
        action: None,
        cdata: None,
    };
    let view = flow::start(
        env,
        &site,
        &page,
        &client,
        (&ctx.base, ctx.background),
        start,
    )
    .await
    .map_err(refusal)?;
    Ok(view.verification_id)
}

async fn site(ctx: &Ctx<'_>, activity: &str, api_key: &str) -> Outcome<Option<Site>> {
    let Some(key) = kv::get(ctx.env, &SiteByActivity(activity)).await? else {
        return Ok(None);
    };
    let site = kv::get(ctx.env, &ringproof_core::keys::SiteByKey(&key)).await?;
    Ok(site.filter(|s| secret::matches_hash(api_key, &s.api_key_hash)))
}

/// A page's origin from its `Referer`, for requests that carry no `Origin` (plain GETs).
fn referer_origin(req: &Request) -> Option<String> {
    let referer = req.headers().get("Referer").ok().flatten()?;
    let url = Url::parse(&referer).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}
