//! One verification's callback to its site (named by the verification id). It keeps the
//! callback in its storage and makes each attempt from its alarm, so an attempt that fails, a
//! site that hangs or a restarted runtime never loses the event: the alarm comes back until the
//! site answers 2xx or the schedule is spent. The site and its secret are read at each attempt,
//! so an attempt after a rotation is signed with the new secret and goes to the current URL.

use super::{wake_at, Alarm};
use crate::env::{callback_schedule, callback_timeout, now, site_secret_key};
use crate::error::{Internal, Outcome};
use crate::kv;
use crate::outbound;
use ringproof_api::{CallbackState, ProviderCost};
use ringproof_core::callback::{self, AttemptResult, Callback, Event, Unsent};
use ringproof_core::events;
use ringproof_core::keys::SiteByKey;

messages! {
    /// To the Durable Object of one verification's callback.
    "CALLBACKS": CallbackMessage, CallbackStub, CallbackHandler {
        /// Starts delivering `event`, once: a repeat is a no-op. Answers whether the site will
        /// be called (it has a callback URL that takes this kind of event).
        Enqueue => fn enqueue(event: Box<Event>) -> bool;
        /// Costs reported after the event was made.
        Costs => fn costs(costs: Vec<ProviderCost>) -> ();
        /// The callback and its attempts, if any.
        Get => fn get() -> Option<Callback>;
        /// The owner's "send again" for a delivery that gave up: whether it will be tried.
        Again => fn again() -> bool;
    }
}

const KEY: &str = "delivery";

object!(CallbackObject, CallbackMessage);

impl Alarm for CallbackObject {
    async fn alarm(&self) -> worker::Result<()> {
        let storage = self.state.storage();
        let Some(mut delivery) = storage.get::<Callback>(KEY).await? else {
            return storage.delete_all().await;
        };
        let t = now();
        if delivery.is_due(t) {
            let result = self.attempt(&delivery).await;
            // Costs may have come in while the site was being called (the object takes other
            // messages while it waits): keep them, or the next attempt would lose them.
            if let Some(current) = storage.get::<Callback>(KEY).await? {
                delivery.event.outcome.costs = current.event.outcome.costs;
            }
            delivery.record(result, t, now(), &callback_schedule(&self.env));
            let event = &delivery.event;
            if let Some(e) =
                events::callback(&event.site_key, &event.outcome.verification_id, &result, t)
            {
                crate::history::write(&self.env, vec![e]).await;
            }
            if delivery.state != CallbackState::Delivered {
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
        } else if delivery.may_forget(t) {
            return storage.delete_all().await;
        }
        wake_at(&storage, delivery.wake_at()).await
    }
}

impl CallbackHandler for CallbackObject {
    async fn enqueue(&self, event: Box<Event>) -> Outcome<bool> {
        let storage = self.state.storage();
        if storage.get::<Callback>(KEY).await.internal()?.is_some() {
            return Ok(true);
        }
        let site = kv::get(&self.env, &SiteByKey(&event.site_key)).await?;
        let Some(site) = site.filter(|s| callback::wants(s, event.kind)) else {
            return Ok(false);
        };
        let t = now();
        let delivery = Callback::new(*event, site.callback_format, t);
        storage.put(KEY, &delivery).await.internal()?;
        // The first attempt runs from the alarm, not here: the verification's request does
        // not wait on the site.
        wake_at(&storage, t).await.internal()?;
        Ok(true)
    }

    async fn costs(&self, costs: Vec<ProviderCost>) -> Outcome<()> {
        let storage = self.state.storage();
        if let Some(mut delivery) = storage.get::<Callback>(KEY).await.internal()? {
            if delivery.take_costs(costs) {
                storage.put(KEY, &delivery).await.internal()?;
            }
        }
        Ok(())
    }

    async fn get(&self) -> Outcome<Option<Callback>> {
        self.state.storage().get::<Callback>(KEY).await.internal()
    }

    async fn again(&self) -> Outcome<bool> {
        let storage = self.state.storage();
        let Some(mut delivery) = storage.get::<Callback>(KEY).await.internal()? else {
            return Ok(false);
        };
        let t = now();
        if !delivery.again(t) {
            return Ok(false);
        }
        storage.put(KEY, &delivery).await.internal()?;
        wake_at(&storage, t).await.internal()?;
        Ok(true)
    }
}

impl CallbackObject {
    async fn attempt(&self, delivery: &Callback) -> AttemptResult {
        let event = &delivery.event;
        let site = match kv::get(&self.env, &SiteByKey(&event.site_key)).await {
            Ok(site) => site,
            Err(e) => {
                // Ours, not the site's: counted as a failed attempt so the schedule retries.
                worker::console_error!("callback {}: reading the site failed: {e:?}", event.id);
                return AttemptResult::ConnectionFailed;
            }
        };
        let master = site_secret_key(&self.env).ok();
        match callback::address(event, site.as_ref(), master.as_deref(), now()) {
            Ok(out) => outbound::deliver(out, callback_timeout(&self.env)).await.0,
            Err(unsent) => {
                if unsent == Unsent::Unsigned {
                    worker::console_error!(
                        "callback {}: site {} cannot be signed for (no SITE_SECRET_KEY, or a \
                         site made before signing: rotate its secret)",
                        event.id,
                        event.site_key
                    );
                }
                unsent.attempt()
            }
        }
    }
}
