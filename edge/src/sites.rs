//! Sites in KV as the admin API and the console change them: each change writes every key
//! that names the site (by key, by OneRing activity, by secret) the same way for both.

use crate::env::{site_secret_key, CryptoRng};
use crate::error::Outcome;
use crate::kv;
use ringproof_api::RotatedSecret;
use ringproof_core::admin;
use ringproof_core::keys::{SiteByActivity, SiteByKey, SiteBySecret};
use ringproof_core::secret as secrets;
use ringproof_core::site::Site;
use worker::Env;

/// A site just made by `admin::create`.
pub async fn add(env: &Env, site: &Site) -> Outcome<()> {
    kv::put(env, &SiteByKey(&site.site_key), site).await?;
    kv::put(
        env,
        &SiteByActivity(&site.activity_token_id),
        &site.site_key,
    )
    .await?;
    kv::put(env, &SiteBySecret(&site.secret_hash), &site.site_key).await
}

pub async fn save(env: &Env, site: &Site) -> Outcome<()> {
    kv::put(env, &SiteByKey(&site.site_key), site).await
}

pub async fn remove(env: &Env, site: &Site) -> Outcome<()> {
    kv::delete(env, &SiteByKey(&site.site_key)).await?;
    kv::delete(env, &SiteBySecret(&site.secret_hash)).await?;
    if !site.activity_token_id.is_empty() {
        kv::delete(env, &SiteByActivity(&site.activity_token_id)).await?;
    }
    Ok(())
}

/// A new secret; the old one stops working at once.
pub async fn rotate(env: &Env, site: &mut Site) -> Outcome<RotatedSecret> {
    let retired = site.secret_hash.clone();
    let master = site_secret_key(env)?;
    let fresh = admin::rotate_secret(site, &mut CryptoRng, &master);
    kv::put(env, &SiteByKey(&site.site_key), site).await?;
    kv::put(env, &SiteBySecret(&site.secret_hash), &site.site_key).await?;
    kv::delete(env, &SiteBySecret(&retired)).await?;
    Ok(RotatedSecret {
        webhook_secret: secrets::webhook_secret(&fresh),
        secret: fresh,
    })
}
