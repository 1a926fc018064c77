//! One verification's callback to its site (named by the verification id). It keeps the
//! delivery in its storage and makes each attempt from its alarm, so an attempt that fails, a
//! site that hangs or a restarted runtime never loses the event: the alarm comes back until the
//! site answers 2xx or the schedule is spent. The site and its secret are read at each attempt,
//! so an attempt after a rotation is signed with the new secret and goes to the current URL.

use crate::env::{callback_schedule, callback_timeout, now, site_secret_key};
use crate::error::Outcome;
use crate::http;
use crate::kv;
use crate::objects::{serve, wake_at, CallbackOp};
use crate::outbound::{self, Redirects, SendError};
use ringproof_api::DeliveryState;
use ringproof_core::callback::{self, AttemptResult, Delivery};
use ringproof_core::keys::SiteByKey;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

const KEY: &str = "delivery";

#[durable_object]
pub struct CallbackObject {
    state: State,
    env: Env,
}

impl DurableObject for CallbackObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        serve(req, |text| async move { self.dispatch(&text).await }).await
    }

    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let Some(mut delivery) = storage.get::<Delivery>(KEY).await? else {
            storage.delete_all().await?;
            return Response::ok("");
        };
        let t = now();
        if delivery.is_due(t) {
            let result = self.attempt(&delivery).await;
            delivery.record(result, t, now(), &callback_schedule(&self.env));
            if delivery.state != DeliveryState::Delivered {
                // The site's failure, not ours: a warning, with no URL or body (they are the
                // site's and may carry the phone number).
                worker::console_warn!(
                    "callback {} attempt {}: {:?}",
                    delivery.event.id,
                    delivery.attempts.len(),
                    result
                );
            }
            storage.put(KEY, &delivery).await?;
        } else if delivery.state != DeliveryState::Pending && t >= delivery.wake_at() {
            storage.delete_all().await?;
            return Response::ok("");
        }
        wake_at(&storage, delivery.wake_at()).await?;
        Response::ok("")
    }
}

impl CallbackObject {
    async fn dispatch(&self, text: &str) -> Outcome<Response> {
        let storage = self.state.storage();
        match http::parse_json::<CallbackOp>(text)? {
            CallbackOp::Enqueue { event } => {
                if storage.get::<Delivery>(KEY).await?.is_some() {
                    return Ok(http::json(200, &true));
                }
                let site = kv::get(&self.env, &SiteByKey(&event.site_key)).await?;
                let Some(site) = site.filter(|s| {
                    s.callback_url.is_some() && callback::carries(s.callback_format, event.kind)
                }) else {
                    return Ok(http::json(200, &false));
                };
                let t = now();
                let delivery = Delivery::new(*event, site.callback_format, t);
                storage.put(KEY, &delivery).await?;
                // The first attempt runs from the alarm, not here: the verification's request
                // does not wait on the site.
                wake_at(&storage, t).await?;
                Ok(http::json(200, &true))
            }
            CallbackOp::Costs { costs } => {
                if let Some(mut delivery) = storage.get::<Delivery>(KEY).await? {
                    // Only what is still to be sent can carry them; the site can always read
                    // them from its transaction lookup.
                    if delivery.state == DeliveryState::Pending {
                        delivery.event.outcome.costs = costs;
                        storage.put(KEY, &delivery).await?;
                    }
                }
                Ok(http::json(200, &()))
            }
            CallbackOp::Get => Ok(http::json(200, &storage.get::<Delivery>(KEY).await?)),
        }
    }

    async fn attempt(&self, delivery: &Delivery) -> AttemptResult {
        let event = &delivery.event;
        let site = match kv::get(&self.env, &SiteByKey(&event.site_key)).await {
            Ok(site) => site,
            Err(e) => {
                // Ours, not the site's: counted as a failed attempt so the schedule retries.
                worker::console_error!("callback {}: reading the site failed: {e:?}", event.id);
                return AttemptResult::ConnectionFailed;
            }
        };
        let Some((site, url)) = site.and_then(|s| {
            let url = s.callback_url.clone()?;
            callback::carries(s.callback_format, event.kind).then_some((s, url))
        }) else {
            return AttemptResult::NoCallback;
        };
        let Some(secret) = site_secret_key(&self.env)
            .ok()
            .and_then(|master| site.secret(&master))
        else {
            worker::console_error!(
                "callback {}: site {} cannot be signed for (no SITE_SECRET_KEY, or a site made \
                 before signing: rotate its secret)",
                event.id,
                site.site_key
            );
            return AttemptResult::ConnectionFailed;
        };
        let out = callback::request(event, site.callback_format, &url, secret.as_bytes(), now());
        match outbound::send(out, callback_timeout(&self.env), Redirects::Refuse).await {
            Ok(answer) => AttemptResult::Answered(answer.status),
            Err(SendError::TimedOut) => AttemptResult::TimedOut,
            Err(SendError::ConnectionFailed | SendError::Unsendable) => {
                AttemptResult::ConnectionFailed
            }
        }
    }
}
