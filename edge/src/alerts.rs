//! The alert job (every 15 minutes): core judges the history's last day and hour against the
//! week before (`core::alerts`); a new alert is recorded and told to its activity's callback
//! URL, signed as the site's callbacks are. One attempt: the console shows the alert whatever
//! the site answered, and what it answered.

use crate::env::{callback_timeout, now, site_secret_key};
use crate::history;
use crate::kv;
use crate::outbound;
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
    let site = kv::get(env, &SiteByKey(&alert.site_key))
        .await
        .ok()
        .flatten();
    let master = site_secret_key(env).ok();
    match alerts::address(alert, site.as_ref(), master.as_deref(), t) {
        Ok(out) => {
            let (result, _) = outbound::deliver(out, callback_timeout(env)).await;
            result.outcome().unwrap_or_default()
        }
        Err(unsent) => unsent.code().to_owned(),
    }
}
