//! `/v1/admin/sites`: the operator's API for sites, guarded by the `ADMIN_TOKEN` secret.

use crate::durable::health::{self, HealthStub};
use crate::env::{deployment, secret, site_secret_key, CryptoRng};
use crate::error::Outcome;
use crate::http::{self, parse_json};
use crate::{kv, sites};
use ringproof_api::{SiteInput, SiteUpdate, SiteView};
use ringproof_core::admin;
use ringproof_core::keys::SiteByKey;
use ringproof_core::providers::ProviderId;
use ringproof_core::site::Site;
use ringproof_core::{secret as secrets, ApiError};
use worker::{Env, Method, Request, Response};

/// Routes an admin request; `rest` is the path after `/v1/admin/sites`.
pub async fn handle(
    req: &mut Request,
    env: &Env,
    method: Method,
    rest: &[&str],
) -> Outcome<Response> {
    authorise(req, env)?;
    match (method, rest) {
        (Method::Get, []) => list(env).await,
        (Method::Post, []) => create(req, env).await,
        (Method::Get, [key]) => Ok(http::json(200, &admin::view(&load(env, key).await?))),
        (Method::Patch, [key]) => {
            let change: SiteUpdate = parse_json(&http::body_text(req).await?)?;
            let master = site_secret_key(env)?;
            let current = load(env, key).await?;
            let site = admin::update(&current, change, deployment(env), &mut CryptoRng, &master)?;
            sites::save(env, &site).await?;
            Ok(http::json(200, &admin::view(&site)))
        }
        (Method::Delete, [key]) => {
            let site = load(env, key).await?;
            sites::remove(env, &site).await?;
            // An owner's activity leaves their console too.
            let forget = ringproof_core::accounts::tables::forget_activity(&site.site_key);
            crate::history::run(env, &[forget]).await?;
            Ok(http::json(
                200,
                &serde_json::json!({ "deleted": site.site_key }),
            ))
        }
        (Method::Get, [key, "refusals"]) => {
            let site = load(env, key).await?;
            let t = crate::env::now();
            let day = ringproof_core::throttle::day_of(t);
            let counted = crate::limits::refusals(env, &site.site_key, day).await?;
            Ok(http::json(
                200,
                &serde_json::json!({
                    "day": t.date(),
                    "refusals": counted.by_code,
                }),
            ))
        }
        (Method::Post, [key, "rotate-secret"]) => {
            let mut site = load(env, key).await?;
            Ok(http::json(200, &sites::rotate(env, &mut site).await?))
        }
        (_, [] | [_] | [_, "rotate-secret"]) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound),
    }
}

/// `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. A deployment without the
/// secret has no admin API at all.
fn authorise(req: &Request, env: &Env) -> Outcome<()> {
    let expected = secret(env, "ADMIN_TOKEN").map_err(|_| ApiError::Unauthorized)?;
    let given = http::bearer(req);
    if secrets::equal(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// A site the operator manages: test keys are built in, not stored, so the admin API knows
/// none of them (a change would write a record, a rotation mint a real secret for a public key).
async fn load(env: &Env, key: &str) -> Outcome<Site> {
    if !ringproof_core::accounts::site_named(key).is_managed() {
        return Err(ApiError::UnknownSite);
    }
    kv::get(env, &SiteByKey(key))
        .await?
        .ok_or(ApiError::UnknownSite)
}

async fn create(req: &mut Request, env: &Env) -> Outcome<Response> {
    let input: SiteInput = parse_json(&http::body_text(req).await?)?;
    let master = site_secret_key(env)?;
    let (site, created) = admin::create(
        input,
        inbound_pool(env),
        &mut CryptoRng,
        &master,
        deployment(env),
    )?;
    sites::add(env, &site).await?;
    Ok(http::json(201, &created))
}

async fn list(env: &Env) -> Outcome<Response> {
    let mut sites: Vec<SiteView> = Vec::new();
    for key in kv::keys_with_prefix(env, SiteByKey::PREFIX).await? {
        let Some(listed) = SiteByKey::listed(&key) else {
            continue;
        };
        if let Some(site) = kv::get(env, &listed).await? {
            sites.push(admin::view(&site));
        }
    }
    Ok(http::json(200, &sites))
}

/// `GET /v1/admin/providers`: each code channel's providers, whether the deployment has their
/// credentials, and every breaker that has something to say (closed and quiet ones are not
/// listed).
pub async fn providers(req: &Request, env: &Env) -> Outcome<Response> {
    authorise(req, env)?;
    let config = crate::env::providers(env);
    let configured: Vec<_> = ProviderId::ALL
        .into_iter()
        .map(|p| {
            serde_json::json!({
                "provider": p,
                "channel": p.channel(),
                "configured": config.provider(p).is_some(),
            })
        })
        .collect();
    let breakers = HealthStub::named(env, health::NAME).breakers().await?;
    Ok(http::json(
        200,
        &serde_json::json!({ "providers": configured, "breakers": breakers }),
    ))
}

/// The deployment's inbound numbers for missed calls (`INBOUND_NUMBERS`), given to every new
/// site.
pub fn inbound_pool(env: &Env) -> Vec<String> {
    crate::env::inbound_numbers(env)
        .into_iter()
        .map(|n| n.number)
        .collect()
}
