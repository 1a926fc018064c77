//! The messages the Worker sends its Durable Objects, and the one way it sends them.

use crate::error::{Failure, Outcome};
use ringproof_api::{Channel, ProviderCost};
use ringproof_core::callback::Event;
use ringproof_core::failure::FailureReason;
use ringproof_core::providers::Sent;
use ringproof_core::session::{Cost, DeliveryEvent, Session};
use ringproof_core::throttle::Rule;
use ringproof_core::{ApiError, Timestamp};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use worker::{Env, Method, Request, RequestInit, Storage};

pub const VERIFICATIONS: &str = "VERIFICATIONS";
pub const LINES: &str = "LINES";
pub const REFERENCES: &str = "REFERENCES";
pub const THROTTLES: &str = "THROTTLES";
pub const TRANSACTIONS: &str = "TRANSACTIONS";
pub const CALLBACKS: &str = "CALLBACKS";

/// To the Durable Object of one verification (named by its id).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum VerificationOp {
    /// Answers `()`.
    Start { session: Box<Session> },
    /// Answers the `Session`.
    Get,
    /// A reported missed call. Answers the outcome's name.
    Call {
        caller: String,
        called: String,
        call_time: Timestamp,
    },
    /// Siteverify, for the site whose secret the caller presented. Answers a
    /// `SiteverifyResponse`.
    Redeem { token: String, site_key: String },
    /// A resend or a switch. Answers the `Dispatch`.
    Begin {
        channel: Channel,
        inbound: Option<String>,
    },
    /// The provider's answer to a send. Answers the `Session`.
    Sent {
        attempt: u32,
        result: Result<Sent, FailureReason>,
    },
    /// A provider's webhook. Answers whether it changed anything, and the site's key.
    Delivery {
        reference: String,
        event: DeliveryEvent,
        cost: Option<Cost>,
    },
    /// A typed code, from a page at `origin`. Answers a `CheckStep`.
    Check {
        code: String,
        origin: Option<String>,
    },
    /// Phone Confirm's verdict on a voice code. Answers a `CheckResult`.
    Verdict {
        attempt: u32,
        verdict: Result<bool, FailureReason>,
    },
}

/// To the Durable Object of one caller's lines (named by the caller's E.164).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LineOp {
    /// Answers `Ok(number)` or `Err(Busy)`.
    Reserve {
        pool: Vec<String>,
        verification_id: String,
        site_key: String,
        until: Timestamp,
        max_pending: u32,
    },
    /// A call to `number`. Answers the verification id, if one waits for it.
    Route { number: String },
    /// Answers `()`.
    Release { verification_id: String },
}

/// To the Durable Object of one provider reference (named `<provider>:<reference>`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ReferenceOp {
    Bind {
        verification_id: String,
        until: Timestamp,
    },
    /// Answers the verification id, if the reference is known.
    Resolve,
}

/// To the Durable Object of one counter (named `<kind>:<key>`, see `limits.rs`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ThrottleOp {
    /// Answers `Ok(())`, or `Err(seconds until a hit frees up)`.
    Take { rule: Rule },
    /// Takes back the latest hit. Answers `()`.
    GiveBack,
    /// A provider's reported charge. Answers `()`.
    AddSpend {
        reference: String,
        currency: String,
        micros: u64,
        forget_at: Timestamp,
    },
    /// Answers whether the day's spend in `currency` is under the cap.
    SpendUnder { cap_micros: u64, currency: String },
    /// A defence refused a request. Answers `()`.
    CountRefusal { code: String, forget_at: Timestamp },
    /// Answers the day's `Refusals`.
    Refusals,
}

/// To the Durable Object of one site's ClientTransactionId (named `<site key>:<id>`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TransactionOp {
    /// Answers `Ok(())`, or `Err(the verification that holds it)`.
    Claim {
        verification_id: String,
        now: Timestamp,
    },
    /// Answers the verification id, if claimed.
    Get,
}

/// To the Durable Object of one verification's callback (named by the verification id).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CallbackOp {
    /// Starts delivering `event`, once: a repeat is a no-op. Answers whether the site will be
    /// called (it has a callback URL that takes this kind of event).
    Enqueue { event: Box<Event> },
    /// Costs reported after the event was made. Answers `()`.
    Costs { costs: Vec<ProviderCost> },
    /// Answers the `Delivery`, if any.
    Get,
}

/// Sets an object's alarm for the instant `at`. workers-rs reads a bare integer as an offset
/// from now, not as an instant, so every alarm is set through here.
#[allow(clippy::disallowed_methods)]
pub async fn wake_at(storage: &Storage, at: Timestamp) -> worker::Result<()> {
    let offset = at.millis().saturating_sub(crate::env::now().millis());
    storage
        .set_alarm(std::time::Duration::from_millis(offset))
        .await
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

/// Reads an object's request and answers it, errors included, in the public format.
pub async fn serve<F, Fut>(mut req: Request, dispatch: F) -> worker::Result<worker::Response>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Outcome<worker::Response>>,
{
    let text = req.text().await?;
    Ok(dispatch(text).await.unwrap_or_else(crate::http::failure))
}
