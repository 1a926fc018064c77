//! One ClientTransactionId of one site (named `<site key>:<id>`): claims it for exactly one
//! verification, atomically, and remembers which for as long as the verification's record.

use crate::http;
use crate::objects::{serve, wake_at, TransactionOp};
use ringproof_core::keys::FINISHED_TTL_SECS;
use ringproof_core::Timestamp;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const KEY: &str = "verification_id";

#[durable_object]
pub struct TransactionObject {
    state: State,
}

impl DurableObject for TransactionObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |text| async move {
            let storage = self.state.storage();
            let held = storage.get::<String>(KEY).await?;
            match http::parse_json::<TransactionOp>(&text)? {
                TransactionOp::Claim {
                    verification_id,
                    now,
                } => {
                    if let Some(existing) = held {
                        return Ok(http::json(200, &Err::<(), String>(existing)));
                    }
                    storage.put(KEY, &verification_id).await?;
                    wake_at(&storage, alarm_at(now)).await?;
                    Ok(http::json(200, &Ok::<(), String>(())))
                }
                TransactionOp::Get => Ok(http::json(200, &held)),
            }
        })
        .await
    }

    async fn alarm(&self) -> Result<Response> {
        self.state.storage().delete_all().await?;
        Response::ok("")
    }
}

/// As long as the finished record it points to.
fn alarm_at(now: Timestamp) -> Timestamp {
    now.plus_secs(FINISHED_TTL_SECS)
}
