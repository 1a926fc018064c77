//! One caller's lines (named by the caller's E.164): which inbound numbers wait for a call from
//! this phone number, and for which verification (see `ringproof_core::line`).

use crate::env::{now, CryptoRng};
use crate::error::Outcome;
use crate::http;
use crate::objects::{serve, wake_at, LineOp};
use ringproof_core::line::{Lines, Reservation};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const KEY: &str = "lines";

#[durable_object]
pub struct LineObject {
    state: State,
}

impl DurableObject for LineObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |text| async move { self.dispatch(&text).await }).await
    }

    async fn alarm(&self) -> Result<Response> {
        let mut lines = self.load().await?;
        lines.prune(now());
        self.store(&lines).await?;
        Response::ok("")
    }
}

impl LineObject {
    async fn load(&self) -> Result<Lines> {
        Ok(self
            .state
            .storage()
            .get::<Lines>(KEY)
            .await?
            .unwrap_or_default())
    }

    /// Saves the lines and keeps an alarm at their next expiry; nothing held leaves no trace.
    async fn store(&self, lines: &Lines) -> Result<()> {
        let storage = self.state.storage();
        match lines.next_expiry() {
            Some(at) => {
                storage.put(KEY, lines).await?;
                wake_at(&storage, at).await
            }
            None => storage.delete_all().await,
        }
    }

    async fn dispatch(&self, text: &str) -> Outcome<Response> {
        let mut lines = self.load().await?;
        let t = now();
        let answer = match http::parse_json::<LineOp>(text)? {
            LineOp::Reserve {
                pool,
                verification_id,
                site_key,
                until,
                max_pending,
            } => {
                let r = Reservation {
                    pool: &pool,
                    verification_id: &verification_id,
                    site_key: &site_key,
                    until,
                    max_pending,
                };
                serde_json::to_value(lines.reserve(&r, &mut CryptoRng, t))
            }
            LineOp::Route { number } => serde_json::to_value(lines.route(&number, t)),
            LineOp::Release { verification_id } => {
                lines.release(&verification_id, t);
                serde_json::to_value(())
            }
        }
        .map_err(|e| ringproof_core::ApiError::Internal(e.to_string()))?;
        self.store(&lines).await?;
        Ok(http::json(200, &answer))
    }
}
