//! Typed access to the KV namespace: a key kind fixes both the prefix and the value type.

use crate::error::Outcome;
use ringproof_core::keys::KvKey;
use worker::Env;

const BINDING: &str = "KV";

pub async fn get<K: KvKey>(env: &Env, key: &K) -> Outcome<Option<K::Value>> {
    if !key.is_valid() {
        return Ok(None);
    }
    Ok(env.kv(BINDING)?.get(&key.key()).json::<K::Value>().await?)
}

pub async fn put<K: KvKey>(env: &Env, key: &K, value: &K::Value) -> Outcome<()> {
    if !key.is_valid() {
        return Err(ringproof_core::ApiError::Internal(format!("bad KV key {}", key.key())).into());
    }
    let mut put = env.kv(BINDING)?.put(
        &key.key(),
        serde_json::to_string(value)
            .map_err(|e| ringproof_core::ApiError::Internal(e.to_string()))?,
    )?;
    if let Some(ttl) = key.ttl_secs() {
        put = put.expiration_ttl(ttl);
    }
    Ok(put.execute().await?)
}

pub async fn delete<K: KvKey>(env: &Env, key: &K) -> Outcome<()> {
    Ok(env.kv(BINDING)?.delete(&key.key()).await?)
}

/// Every key under `prefix`, page by page.
pub async fn keys_with_prefix(env: &Env, prefix: &str) -> Outcome<Vec<String>> {
    let store = env.kv(BINDING)?;
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut list = store.list().prefix(prefix.to_owned());
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        let page = list.execute().await?;
        keys.extend(page.keys.into_iter().map(|k| k.name));
        match page.cursor.filter(|_| !page.list_complete) {
            Some(c) => cursor = Some(c),
            None => return Ok(keys),
        }
    }
}
