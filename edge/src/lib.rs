//! Ringproof's Cloudflare Worker: a thin adapter around `ringproof-core`.
//!
//! It alone holds secrets and talks to the outside: it reads the clock and the CSPRNG, keeps
//! sites and finished records in KV, and runs each live verification (and each caller's
//! lines, each counter, each provider reference) in a Durable Object of its own. A request
//! goes `router` → `routes::<caller>` → `flow` → `durable::<object>` → core, and back;
//! `request` is what the router tells a route of it.

#[macro_use]
mod durable;
mod alerts;
mod env;
mod error;
mod flow;
mod history;
mod http;
mod kv;
mod limits;
mod outbound;
mod providers;
mod request;
mod router;
mod routes;
mod sites;
mod tally;
mod turnstile;
mod warm;

pub use durable::callback::CallbackObject;
pub use durable::health::HealthObject;
pub use durable::line::LineObject;
pub use durable::reference::ReferenceObject;
pub use durable::throttle::ThrottleObject;
pub use durable::transaction::TransactionObject;
pub use durable::verification::VerificationObject;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

/// Once per isolate, before its first request (see `warm`).
#[event(start)]
fn start() {
    let _ = warm::up();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    Ok(router::handle(req, &env, &ctx).await)
}

/// wrangler.toml's crons: every 15 minutes the alerts, daily the history's rollups and
/// retention.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    use ringproof_core::events::Job;
    match Job::of(&event.cron()) {
        Some(Job::Alerts) => alerts::watch(&env).await,
        Some(Job::Keep) => history::keep(&env).await,
        None => worker::console_error!("no job runs on the cron {:?}", event.cron()),
    }
}
