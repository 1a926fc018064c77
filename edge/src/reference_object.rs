//! One provider reference's Durable Object (named `<provider>:<reference>`): maps the id a
//! provider gave a call or message to our verification, so its webhook finds the session with
//! read-after-write consistency, which KV does not promise.

use crate::http;
use crate::objects::{serve, wake_at, ReferenceOp};
use ringproof_core::Timestamp;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const KEY: &str = "reference";

#[derive(Serialize, Deserialize)]
struct Binding {
    verification_id: String,
}

#[durable_object]
pub struct ReferenceObject {
    state: State,
}

impl DurableObject for ReferenceObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |text| async move {
            let storage = self.state.storage();
            match http::parse_json::<ReferenceOp>(&text)? {
                ReferenceOp::Bind {
                    verification_id,
                    until,
                } => {
                    storage.put(KEY, &Binding { verification_id }).await?;
                    wake_at(&storage, alarm_at(until)).await?;
                    Ok(http::json(200, &()))
                }
                ReferenceOp::Resolve => {
                    let b = storage.get::<Binding>(KEY).await?;
                    Ok(http::json(200, &b.map(|b| b.verification_id)))
                }
            }
        })
        .await
    }

    /// Every binding has a TTL: it outlives its verification, then goes.
    async fn alarm(&self) -> Result<Response> {
        self.state.storage().delete_all().await?;
        Response::ok("")
    }
}

fn alarm_at(until: Timestamp) -> Timestamp {
    // A day past the attempt: providers report delivery late, and cost is worth keeping.
    until.plus_secs(24 * 3600)
}
