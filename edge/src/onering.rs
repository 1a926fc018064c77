//! OneRing's API, field for field (`shared/seeds/onering-missed-call.txt`), so an existing
//! OneRing integration works by changing only the host name. It answers 200 with OneRing's
//! `Message`: `Success`, or `Failed#<reason>` with one of [`Refusal`]'s reasons.

use crate::error::{Failure, Outcome};
use crate::http;
use crate::kv;
use crate::routes::{start_verification, transaction_bound, Start, Visitor};
use ringproof_api::Channel;
use ringproof_core::keys::{SiteByActivity, SiteByKey};
use ringproof_core::site::{Page, Site};
use ringproof_core::{secret, ApiError};
use serde_json::json;
use std::collections::HashMap;
use worker::{Env, Request, Response, Url};

/// The reasons a OneRing request can fail with, as `Failed#<reason>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    MissingParameter,
    InvalidApiKey,
    DomainNotAllowed,
    InvalidMobileNumber,
    CountryNotAllowed,
    DuplicateClientTransactionId,
    ChannelNotAvailable,
    ServiceUnavailable,
}

impl Refusal {
    fn name(self) -> &'static str {
        match self {
            Refusal::MissingParameter => "MissingParameter",
            Refusal::InvalidApiKey => "InvalidApiKey",
            Refusal::DomainNotAllowed => "DomainNotAllowed",
            Refusal::InvalidMobileNumber => "InvalidMobileNumber",
            Refusal::CountryNotAllowed => "CountryNotAllowed",
            Refusal::DuplicateClientTransactionId => "DuplicateClientTransactionId",
            Refusal::ChannelNotAvailable => "ChannelNotAvailable",
            Refusal::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    fn from_failure(f: Failure) -> Self {
        match f {
            Failure::Api(ApiError::InvalidPhone(_)) => Refusal::InvalidMobileNumber,
            Failure::Api(ApiError::CountryNotAllowed) => Refusal::CountryNotAllowed,
            Failure::Api(ApiError::DuplicateTransaction) => Refusal::DuplicateClientTransactionId,
            Failure::Api(ApiError::ChannelNotAvailable(_)) => Refusal::ChannelNotAvailable,
            // Every number it could show this caller is taken: try again shortly.
            Failure::Api(ApiError::LinesBusy(_) | ApiError::TooManyStarts(_)) => {
                Refusal::ServiceUnavailable
            }
            other => {
                worker::console_error!("OneRing request failed: {other:?}");
                Refusal::ServiceUnavailable
            }
        }
    }
}

/// `GET /Apps/Plugin/NewMobileRecorded.ashx?ApiKey=&ActivityTokenId=&MobileNumber=&ClientTransactionId=`
pub async fn new_mobile_recorded(
    req: &Request,
    env: &Env,
    url: &Url,
    base: &str,
    visitor: &mut Visitor,
) -> Response {
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let ctid = q.get("ClientTransactionId").cloned().unwrap_or_default();
    let page = visitor
        .origin()
        .map(str::to_owned)
        .or_else(|| referer_origin(req));
    let bearer = Some(http::bearer(req)).filter(|b| !b.is_empty());
    let started = start(
        env,
        &q,
        &ctid,
        page.as_deref(),
        visitor.client_ip(),
        bearer.as_deref(),
    )
    .await;
    if visitor.origin().is_some()
        && !matches!(
            started,
            Err(Refusal::DomainNotAllowed | Refusal::InvalidApiKey | Refusal::MissingParameter)
        )
    {
        visitor.allow();
    }
    let body = match started {
        Ok(id) => json!({
            "Message": "Success",
            "ClientTransactionId": ctid,
            // OneRing names each transaction with a new ActivityTokenId: ours is the
            // verification id, which the widget's status endpoint also takes.
            "ActivityTokenId": id,
            "img": format!("{base}/v1/verifications/{id}/number.svg"),
        }),
        // A page off the site's domains gets the 403 every browser-facing endpoint gives,
        // still with OneRing's Message for integrations that read only that.
        Err(Refusal::DomainNotAllowed) => {
            let error = ApiError::OriginNotAllowed;
            return http::json(
                error.status(),
                &json!({
                    "Message": format!("Failed#{}", Refusal::DomainNotAllowed.name()),
                    "ClientTransactionId": ctid,
                    "error": error.body().error,
                }),
            );
        }
        Err(r) => json!({ "Message": format!("Failed#{}", r.name()), "ClientTransactionId": ctid }),
    };
    http::json(200, &body)
}

async fn start(
    env: &Env,
    q: &HashMap<String, String>,
    ctid: &str,
    page: Option<&str>,
    client: &str,
    bearer: Option<&str>,
) -> Result<String, Refusal> {
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
    let site = site(env, activity, api_key)
        .await
        .map_err(Refusal::from_failure)?
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
    let bound = server || transaction_bound(env, &site, ctid, signature);
    let page = match page {
        Some(p) => {
            let page = site.page(p).ok_or(Refusal::DomainNotAllowed)?;
            crate::limits::count_start(env, &site, client)
                .await
                .map_err(Refusal::from_failure)?;
            page
        }
        None => Page {
            origin: String::new(),
            domain: site.first_domain(),
        },
    };
    // OneRing's numbers are national, read in the site's first country; a site open to every
    // country gets them with their country code and no `+`, as OneRing's callbacks write them.
    let country = site.allowed_countries.first().map(String::as_str);
    let phone = match country {
        None if mobile.bytes().all(|b| b.is_ascii_digit()) => format!("+{mobile}"),
        _ => mobile.to_owned(),
    };
    let session = start_verification(
        env,
        &site,
        &page,
        client,
        Start {
            phone: &phone,
            country,
            channel: Some(Channel::MissedCall),
            client_transaction_id: bound.then(|| ctid.to_owned()),
            client_transaction_signature: None,
            // Bound above, or left out.
            ctid_trusted: true,
            // A missed call costs nothing, so it needs no proof of work.
            proof: None,
        },
    )
    .await
    .map_err(Refusal::from_failure)?;
    Ok(session.id)
}

async fn site(env: &Env, activity: &str, api_key: &str) -> Outcome<Option<Site>> {
    let Some(key) = kv::get(env, &SiteByActivity(activity)).await? else {
        return Ok(None);
    };
    let site = kv::get(env, &SiteByKey(&key)).await?;
    Ok(site.filter(|s| secret::matches_hash(api_key, &s.api_key_hash)))
}

/// A page's origin from its `Referer`, for requests that carry no `Origin` (plain GETs).
fn referer_origin(req: &Request) -> Option<String> {
    let referer = req.headers().get("Referer").ok().flatten()?;
    let url = Url::parse(&referer).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}
