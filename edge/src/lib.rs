//! Ringproof's Cloudflare Worker: a thin adapter around `ringproof-core`.
//!
//! It alone holds secrets and talks to the outside: it reads the clock and the CSPRNG, keeps
//! sites and finished records in KV, and runs each live verification (and each inbound number's
//! switchboard) in a Durable Object of its own.

mod admin;
mod callback_object;
mod env;
mod error;
mod http;
mod kv;
mod limits;
mod line_object;
mod objects;
mod onering;
mod outbound;
mod providers;
mod reference_object;
mod routes;
mod throttle_object;
mod transaction_object;
mod turnstile;
mod verification_object;

pub use callback_object::CallbackObject;
pub use line_object::LineObject;
pub use reference_object::ReferenceObject;
pub use throttle_object::ThrottleObject;
pub use transaction_object::TransactionObject;
pub use verification_object::VerificationObject;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(routes::handle(req, &env).await)
}
