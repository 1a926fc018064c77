//! The alert job (every 15 minutes): core judges the history's last day and hour against the
//! week before (`core::alerts`); a new alert is recorded and told to its activity's callback
//! URL, signed as the site's callbacks are. One attempt: the console shows the alert whatever
//! the site answered, and what it answered.

use crate::env::{callback_timeout, now, site_secret_key};
use crate::history;
use crate::kv;
use crate::outbound::{self, Redirects, SendError};
use ringproof_core::alerts::{self, Alert, OpenAlert, WindowRow};
use ringproof_core::keys::SiteByKey;
use worker::Env;

pub async fn watch(env: &Env) {
    if let Err(e) = run(env).await {
        worker::console_error!("the alert job failed: {e:?}");
    }
}

async fn run(env: &Env) -> crate::error::Outcome<()> {
    let t = now();
    let [by_country, by_channel, by_block] = alerts::queries(t);
    let by_country: Vec<WindowRow> = history::rows(env, by_country.0, &by_country.1).await?;
    let by_channel: Vec<WindowRow> = history::rows(env, by_channel.0, &by_channel.1).await?;
    let by_block: Vec<WindowRow> = history::rows(env, by_block.0, &by_block.1).await?;
    let judged = alerts::judge(&by_country, &by_channel, &by_block);
    if judged.is_empty() {
        return Ok(());
    }
    let (open_sql, open_values) = alerts::open_query(t);
    let open: Vec<OpenAlert> = history::rows(env, open_sql, &open_values).await?;
    let (fresh, seen) = alerts::sort(judged, &open);
    history::run(env, &alerts::seen_statements(&seen, t)).await?;
    for alert in fresh {
        let told = tell(env, &alert, t).await;
        history::run(env, &[alerts::insert(&alert, t, &told)]).await?;
    }
    Ok(())
}

/// The site hears of `alert` at its callback URL; what came of it, for the console.
async fn tell(env: &Env, alert: &Alert, t: ringproof_core::Timestamp) -> String {
    let site = match kv::get(env, &SiteByKey(&alert.site_key)).await {
        Ok(Some(site)) => site,
        _ => return "no_site".into(),
    };
    let Some(url) = site.callback_url.clone() else {
        return "no_callback_url".into();
    };
    if site.callback_format != ringproof_api::CallbackFormat::Json {
        // OneRing's callback carries verified numbers only.
        return "format_without_alerts".into();
    }
    let Some(secret) = site_secret_key(env).ok().and_then(|m| site.secret(&m)) else {
        return "unsigned".into();
    };
    let out = alerts::request(alert, &url, secret.as_bytes(), t);
    match outbound::send(out, callback_timeout(env), Redirects::Refuse).await {
        Ok(a) if (200..300).contains(&a.status) => "delivered".into(),
        Ok(a) => format!("http_{}", a.status),
        Err(SendError::TimedOut) => "timeout".into(),
        Err(_) => "unreachable".into(),
    }
}
