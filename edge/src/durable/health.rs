//! The deployment's provider health (one object, named [`NAME`]): every provider's circuit
//! breaker in every country (see `ringproof_core::providers::health`), stored after each change
//! (the runtime keeps an object's storage cached in memory). A breaker that opens is logged for
//! the operator.

use super::Alarm;
use crate::env::now;
use crate::error::{Internal, Outcome};
use ringproof_core::providers::health::{BreakerView, Event, Health, Opened};
use ringproof_core::providers::ProviderId;

messages! {
    /// To the deployment's provider-health object.
    "HEALTH": HealthMessage, HealthStub, HealthHandler {
        /// The order to try `candidates` for `country` in, and every breaker not closed.
        Order => fn order(candidates: Vec<ProviderId>, country: String) -> Ordered;
        /// What one send did.
        Record => fn record(provider: ProviderId, country: String, event: Event) -> ();
        /// A delivery report arrived from `provider` on `reference`.
        Reported => fn reported(provider: ProviderId, reference: String) -> ();
        /// Every breaker, for the admin API.
        Breakers => fn breakers() -> Vec<BreakerView>;
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Ordered {
    pub order: Vec<ProviderId>,
    /// The (provider, country) pairs whose breaker is open or half open.
    pub troubled: Vec<(ProviderId, String)>,
}

/// The one object every Worker asks.
pub const NAME: &str = "deployment";
const KEY: &str = "health";

object!(HealthObject, HealthMessage);

impl Alarm for HealthObject {
    async fn alarm(&self) -> worker::Result<()> {
        Ok(())
    }
}

impl HealthObject {
    async fn load(&self) -> Outcome<Health> {
        let stored = self
            .state
            .storage()
            .get::<Health>(KEY)
            .await
            .internal()?
            .unwrap_or_default();
        Ok(self.configured(stored))
    }

    fn configured(&self, mut h: Health) -> Health {
        h.cool_down_secs = crate::env::provider_cool_down(&self.env);
        h
    }

    async fn store(&self, mut h: Health) -> Outcome<()> {
        h.prune(now());
        self.state.storage().put(KEY, &h).await.internal()
    }
}

/// The operator hears of every opening; one that keeps failing is an error to act on.
fn tell(opened: &Opened) {
    let Opened {
        provider,
        country,
        why,
        until,
        keeps_failing,
    } = opened;
    let who = provider.name();
    let until = until.to_rfc3339();
    if *keeps_failing {
        worker::console_error!(
            "provider {who} ({country}) keeps failing: skipped until {until} ({why}); operator action needed"
        );
    } else {
        worker::console_warn!("provider {who} ({country}) skipped until {until} ({why})");
    }
}

impl HealthHandler for HealthObject {
    async fn order(&self, candidates: Vec<ProviderId>, country: String) -> Outcome<Ordered> {
        let mut h = self.load().await?;
        let before = h.clone();
        let (order, opened) = h.order(&candidates, &country, now());
        opened.iter().for_each(tell);
        let troubled = h.troubled();
        if h != before {
            self.store(h).await?;
        }
        Ok(Ordered { order, troubled })
    }

    async fn record(&self, provider: ProviderId, country: String, event: Event) -> Outcome<()> {
        let mut h = self.load().await?;
        if let Some(opened) = h.record(provider, &country, event, now()) {
            tell(&opened);
        }
        self.store(h).await
    }

    async fn reported(&self, provider: ProviderId, reference: String) -> Outcome<()> {
        let mut h = self.load().await?;
        let before = h.clone();
        h.reported(provider, &reference, now());
        if h != before {
            self.store(h).await?;
        }
        Ok(())
    }

    async fn breakers(&self) -> Outcome<Vec<BreakerView>> {
        Ok(self.load().await?.views(now()))
    }
}
