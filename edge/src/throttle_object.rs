//! One counter (named `<kind>:<key>`, see `limits`): a rolling window of sends or wrong codes,
//! or a site's spend for a day. One request at a time, so concurrent requests cannot slip
//! past a limit.

use crate::env::now;
use crate::error::Outcome;
use crate::http;
use crate::objects::{serve, wake_at, ThrottleOp};
use ringproof_core::throttle::{Refusals, Spend, Window};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const WINDOW: &str = "window";
const SPEND: &str = "spend";
const REFUSALS: &str = "refusals";

#[durable_object]
pub struct ThrottleObject {
    state: State,
}

impl DurableObject for ThrottleObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |text| async move { self.dispatch(&text).await }).await
    }

    /// The counter has nothing left that matters: nothing about the number, client or site is
    /// kept.
    async fn alarm(&self) -> Result<Response> {
        self.state.storage().delete_all().await?;
        Response::ok("")
    }
}

impl ThrottleObject {
    async fn dispatch(&self, text: &str) -> Outcome<Response> {
        let storage = self.state.storage();
        let t = now();
        match http::parse_json::<ThrottleOp>(text)? {
            ThrottleOp::Take { rule } => {
                let mut window = storage.get::<Window>(WINDOW).await?.unwrap_or_default();
                let taken = window.take(rule, t);
                storage.put(WINDOW, &window).await?;
                if let Some(at) = window.empty_at(rule.span_secs) {
                    wake_at(&storage, at).await?;
                }
                Ok(http::json(200, &taken))
            }
            ThrottleOp::GiveBack => {
                if let Some(mut window) = storage.get::<Window>(WINDOW).await? {
                    window.give_back();
                    storage.put(WINDOW, &window).await?;
                }
                Ok(http::json(200, &()))
            }
            ThrottleOp::AddSpend {
                reference,
                currency,
                micros,
                forget_at,
            } => {
                let mut spend = storage.get::<Spend>(SPEND).await?.unwrap_or_default();
                spend.add(&reference, &currency, micros);
                storage.put(SPEND, &spend).await?;
                wake_at(&storage, forget_at).await?;
                Ok(http::json(200, &()))
            }
            ThrottleOp::CountRefusal { code, forget_at } => {
                let mut r = storage.get::<Refusals>(REFUSALS).await?.unwrap_or_default();
                r.add(&code);
                storage.put(REFUSALS, &r).await?;
                wake_at(&storage, forget_at).await?;
                Ok(http::json(200, &()))
            }
            ThrottleOp::Refusals => {
                let r = storage.get::<Refusals>(REFUSALS).await?.unwrap_or_default();
                Ok(http::json(200, &r))
            }
            ThrottleOp::SpendUnder {
                cap_micros,
                currency,
            } => {
                let spend = storage.get::<Spend>(SPEND).await?.unwrap_or_default();
                Ok(http::json(200, &spend.under(cap_micros, &currency)))
            }
        }
    }
}
