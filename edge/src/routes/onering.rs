//! OneRing's API, field for field (`shared/seeds/onering-missed-call.txt`), so an existing
//! OneRing integration works by changing only the host name. It answers 200 with OneRing's
//! `Message`: `Success`, or `Failed#<reason>` with one of core's [`Refusal`]s.

use crate::error::Outcome;
use crate::flow::{self, Start};
use crate::http;
use crate::kv;
use crate::request::{Ctx, Visitor};
use ringproof_api::Channel;
use ringproof_core::client::Client;
use ringproof_core::keys::SiteByActivity;
use ringproof_core::onering::{self, Refusal};
use ringproof_core::site::{Page, Site};
use ringproof_core::{secret, ApiError};
use serde_json::json;
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
    let started = start(ctx, &q, &ctid, page.as_deref(), visitor, bearer.as_deref()).await;
    if visitor.origin().is_some() && started.as_ref().err().is_none_or(|r| r.readable_by_page()) {
        visitor.allow();
    }
    let body = match started {
        Ok(id) => json!({
            "Message": "Success",
            "ClientTransactionId": ctid,
            // OneRing names each transaction with a new ActivityTokenId: ours is the
            // verification id, which the widget's status endpoint also takes.
            "ActivityTokenId": id,
            "img": format!("{}/v1/verifications/{id}/number.svg", ctx.base),
        }),
        // A page off the site's domains gets the 403 every browser-facing endpoint gives,
        // still with OneRing's Message for integrations that read only that.
        Err(Refusal::DomainNotAllowed) => {
            let error = ApiError::OriginNotAllowed;
            return http::json(
                error.status(),
                &json!({
                    "Message": Refusal::DomainNotAllowed.message(),
                    "ClientTransactionId": ctid,
                    "error": error.body().error,
                }),
            );
        }
        Err(r) => json!({ "Message": r.message(), "ClientTransactionId": ctid }),
    };
    http::json(200, &body)
}

/// Our error, as OneRing names it; what it has no name for is logged.
fn refusal(e: ApiError) -> Refusal {
    let r = Refusal::from_error(&e);
    if r == Refusal::ServiceUnavailable
        && !matches!(e, ApiError::LinesBusy(_) | ApiError::TooManyStarts(_))
    {
        worker::console_error!("OneRing request failed: {e:?}");
    }
    r
}

async fn start(
    ctx: &Ctx<'_>,
    q: &HashMap<String, String>,
    ctid: &str,
    page: Option<&str>,
    visitor: &Visitor,
    bearer: Option<&str>,
) -> Result<String, Refusal> {
    let env = ctx.env;
    let param = |name: &str| {
        q.get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .ok_or(Refusal::MissingParameter)
    };
    let (api_key, activity, mobile) = (
        param("ApiKey")?,
        param("ActivityTokenId")?,
        param("MobileNumber")?,
    );
    param("ClientTransactionId")?;
    let site = site(ctx, activity, api_key)
        .await
        .map_err(refusal)?
        .ok_or(Refusal::InvalidApiKey)?;
    // The seed's "your domain ... for validating your request": a browser's page must be one
    // of them. A request with neither Origin nor Referer comes from the site's own server (the
    // seed's button handler may run there, as ASP.NET's do): the ApiKey is public (it sits in
    // pages), so such a call must also carry the site secret as its bearer token.
    let server = page.is_none();
    if server && !bearer.is_some_and(|b| site.secret_matches(b)) {
        return Err(Refusal::InvalidApiKey);
    }
    // A ClientTransactionId binds (exclusive, in lookups and callbacks) only when the site's
    // server chose it: a server call, or a page carrying the server's signature of it. A page's
    // own id still starts the verification, unbound, as OneRing's browser flow expects.
    let signature = q.get("ClientTransactionSignature").map(String::as_str);
    let bound = server || flow::transaction_bound(env, &site, ctid, signature);
    // A page pays as the widget does: a solved challenge (`proof`, from `GET /v1/challenge`)
    // and, on a site that checks one, a Turnstile token. The site's server vouches for itself.
    let page = match page {
        Some(p) => {
            let page = site.page(p).ok_or(Refusal::DomainNotAllowed)?;
            let token = q
                .get("cf-turnstile-response")
                .or_else(|| q.get("TurnstileResponse"));
            crate::turnstile::check(
                env,
                &site,
                token.map(String::as_str),
                &page.origin,
                visitor.client_ip(),
            )
            .await
            .map_err(refusal)?;
            page
        }
        None => Page {
            origin: String::new(),
            domain: site.first_domain(),
        },
    };
    let (phone, country) = onering::mobile_number(mobile, &site.allowed_countries);
    // A stranger's activity: its server is counted as its account, not its rotating addresses.
    let client = match (&site.owner, server) {
        (Some(owner), true) => Client::owners_server(owner),
        _ => visitor.client().clone(),
    };
    let start = Start {
        phone: &phone,
        country,
        channel: Some(Channel::MissedCall),
        client_transaction_id: bound.then(|| ctid.to_owned()),
        client_transaction_signature: None,
        // Bound above, or left out.
        ctid_trusted: true,
        proof: q.get("proof").map(String::as_str),
        from_server: server,
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
