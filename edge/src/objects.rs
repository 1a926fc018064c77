//! The messages the Worker sends its Durable Objects, and the one way it sends them.

use crate::error::{Failure, Outcome};
use ringproof_core::session::Session;
use ringproof_core::{ApiError, Timestamp};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use worker::{Env, Method, Request, RequestInit};

pub const VERIFICATIONS: &str = "VERIFICATIONS";
pub const LINES: &str = "LINES";

/// To the Durable Object of one verification (named by its id).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum VerificationOp {
    Start {
        session: Session,
    },
    Get,
    Call {
        caller: String,
        called: String,
        call_time: Timestamp,
    },
    Redeem {
        token: String,
        secret: String,
    },
}

/// To the Durable Object of one inbound number (named by the number).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LineOp {
    Expect {
        caller: String,
        verification_id: String,
        until: Timestamp,
    },
    Route {
        caller: String,
    },
}

/// Sends `op` to the object `name` of `binding`. An error answer from the object is relayed to
/// the client as it stands.
pub async fn call<Op: Serialize, Res: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    op: &Op,
) -> Outcome<Res> {
    let stub = env
        .durable_object(binding)?
        .id_from_name(name)?
        .get_stub()?;
    let body = serde_json::to_string(op).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://object/", &init)?;
    let mut res = stub.fetch_with_request(req).await?;
    let status = res.status_code();
    let text = res.text().await?;
    if status != 200 {
        return Err(Failure::Relayed { status, body: text });
    }
    serde_json::from_str(&text)
        .map_err(|e| ApiError::Internal(format!("object {binding} answered badly: {e}")).into())
}
