//! One inbound number's Durable Object: routes a reported call to the verification waiting
//! for that caller.

use crate::env::now;
use crate::error::Outcome;
use crate::http;
use crate::objects::{serve, wake_at, LineOp};
use ringproof_core::line::Line;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const KEY: &str = "line";

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
        let mut line = self.load().await?;
        line.prune(now());
        self.store(&line).await?;
        Response::ok("")
    }
}

impl LineObject {
    async fn load(&self) -> Result<Line> {
        Ok(self
            .state
            .storage()
            .get::<Line>(KEY)
            .await?
            .unwrap_or_default())
    }

    /// Saves the line and keeps an alarm at its next expiry; an empty line leaves no trace.
    async fn store(&self, line: &Line) -> Result<()> {
        let storage = self.state.storage();
        match line.next_expiry() {
            Some(at) => {
                storage.put(KEY, line).await?;
                wake_at(&storage, at).await
            }
            None => storage.delete_all().await,
        }
    }

    async fn dispatch(&self, text: &str) -> Outcome<Response> {
        let mut line = self.load().await?;
        let answer = match http::parse_json::<LineOp>(text)? {
            LineOp::Expect {
                caller,
                verification_id,
                until,
            } => {
                line.expect(&caller, &verification_id, until, now());
                None
            }
            LineOp::Route { caller } => line.route(&caller, now()),
        };
        self.store(&line).await?;
        Ok(http::json(200, &answer))
    }
}
