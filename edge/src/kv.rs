//! Typed access to the KV namespace: a key kind fixes both the prefix and the value type.

use crate::error::{Internal, Outcome};
use ringproof_core::keys::{KvKey, SiteByKey};
use ringproof_core::site::Site;
use ringproof_core::ApiError;
use worker::Env;

const BINDING: &str = "KV";

pub async fn get<K: KvKey>(env: &Env, key: &K) -> Outcome<Option<K::Value>> {
    if !key.is_valid() {
        return Ok(None);
    }
    let store = env.kv(BINDING).internal()?;
    store.get(&key.key()).json::<K::Value>().await.internal()
}

pub async fn put<K: KvKey>(env: &Env, key: &K, value: &K::Value) -> Outcome<()> {
    if !key.is_valid() {
        return Err(ApiError::Internal(format!("bad KV key {}", key.key())));
    }
    let text = serde_json::to_string(value).internal()?;
    let mut put = env
        .kv(BINDING)
        .internal()?
        .put(&key.key(), text)
        .internal()?;
    if let Some(ttl) = key.ttl_secs() {
        put = put.expiration_ttl(ttl);
    }
    put.execute().await.internal()
}

pub async fn delete<K: KvKey>(env: &Env, key: &K) -> Outcome<()> {
    env.kv(BINDING)
        .internal()?
        .delete(&key.key())
        .await
        .internal()
}

/// The site with this key; `unknown_site` when there is none. `base` is the edge's own
/// origin, the only page of the console's site.
pub async fn site(env: &Env, site_key: &str, base: &str) -> Outcome<Site> {
    use ringproof_core::accounts::{console_site, site_named, Named};
    match site_named(site_key) {
        Named::TestKey(test) => Ok(*test),
        Named::Console => {
            let pool = crate::env::inbound_numbers(env)
                .into_iter()
                .map(|n| n.number);
            Ok(console_site(base, pool.collect()))
        }
        Named::Stored => get(env, &SiteByKey(site_key))
            .await?
            .ok_or(ApiError::UnknownSite),
    }
}

/// Every key under `prefix`, page by page.
pub async fn keys_with_prefix(env: &Env, prefix: &str) -> Outcome<Vec<String>> {
    let store = env.kv(BINDING).internal()?;
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut list = store.list().prefix(prefix.to_owned());
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        let page = list.execute().await.internal()?;
        keys.extend(page.keys.into_iter().map(|k| k.name));
        match page.cursor.filter(|_| !page.list_complete) {
            Some(c) => cursor = Some(c),
            None => return Ok(keys),
        }
    }
}
