//! One phone number's send window (named by the number): counts the codes sent to it across
//! verifications, one request at a time, so concurrent starts cannot slip past the limit.

use crate::env::now;
use crate::http;
use crate::objects::{serve, wake_at, ThrottleOp};
use ringproof_core::throttle::SendWindow;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const KEY: &str = "window";

#[durable_object]
pub struct ThrottleObject {
    state: State,
}

impl DurableObject for ThrottleObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |text| async move {
            let storage = self.state.storage();
            let ThrottleOp::Take { limit } = http::parse_json::<ThrottleOp>(&text)?;
            let mut window = storage.get::<SendWindow>(KEY).await?.unwrap_or_default();
            let taken = window.take(limit, now());
            storage.put(KEY, &window).await?;
            if let Some(at) = window.empty_at() {
                wake_at(&storage, at).await?;
            }
            Ok(http::json(200, &taken))
        })
        .await
    }

    /// The window is empty by now: nothing about the number is kept.
    async fn alarm(&self) -> Result<Response> {
        self.state.storage().delete_all().await?;
        Response::ok("")
    }
}
