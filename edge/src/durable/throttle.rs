//! One counter (named by `ringproof_core::limits`): a rolling window of sends or wrong codes,
//! a site's spend for a day, or its refusals. One request at a time, so concurrent requests
//! cannot slip past a limit.

use super::{stored_or_default, wake_at, Alarm};
use crate::env::now;
use crate::error::{Internal, Outcome};
use ringproof_core::throttle::{Refusals, Rule, Spend, Window};
use ringproof_core::Timestamp;

messages! {
    /// To the Durable Object of one counter.
    "THROTTLES": ThrottleMessage, ThrottleStub, ThrottleHandler {
        /// `Ok`, or `Err(seconds until a hit frees up)`.
        Take => fn take(rule: Rule) -> Result<(), u64>;
        /// Whether a take would pass, counting nothing.
        Room => fn room(rule: Rule) -> Result<(), u64>;
        /// Hits in the last `span_secs`.
        Recent => fn recent(span_secs: u64) -> u32;
        /// Takes back the latest hit.
        GiveBack => fn give_back() -> ();
        /// A provider's reported charge, once per reference.
        AddSpend => fn add_spend(reference: String, currency: String, micros: u64, forget_at: Timestamp) -> ();
        /// Reserves a send's estimated price if the day's spend is under the cap.
        ReserveSpend => fn reserve_spend(key: String, currency: String, micros: u64, cap_micros: u64, forget_at: Timestamp) -> bool;
        /// The send `key` went out as `reference`.
        AttachSpend => fn attach_spend(key: String, reference: String) -> ();
        /// The send `key` was refused before anything went out.
        ReleaseSpend => fn release_spend(key: String) -> ();
        /// A defence refused a request.
        CountRefusal => fn count_refusal(code: String, forget_at: Timestamp) -> ();
        /// The day's refusals.
        Refusals => fn refusals() -> Refusals;
    }
}

const WINDOW: &str = "window";
const SPEND: &str = "spend";
const REFUSALS: &str = "refusals";

object!(ThrottleObject, ThrottleMessage);

impl Alarm for ThrottleObject {
    /// The counter has nothing left that matters: nothing about the number, client or site is
    /// kept.
    async fn alarm(&self) -> worker::Result<()> {
        self.state.storage().delete_all().await
    }
}

impl ThrottleObject {
    async fn change_spend(&self, change: impl FnOnce(&mut Spend)) -> Outcome<()> {
        let storage = self.state.storage();
        if let Some(mut spend) = storage.get::<Spend>(SPEND).await.internal()? {
            change(&mut spend);
            storage.put(SPEND, &spend).await.internal()?;
        }
        Ok(())
    }
}

impl ThrottleHandler for ThrottleObject {
    async fn take(&self, rule: Rule) -> Outcome<Result<(), u64>> {
        let storage = self.state.storage();
        let mut window = stored_or_default::<Window>(&storage, WINDOW).await?;
        let taken = window.take(rule, now());
        storage.put(WINDOW, &window).await.internal()?;
        if let Some(at) = window.empty_at(rule.span_secs) {
            wake_at(&storage, at).await.internal()?;
        }
        Ok(taken)
    }

    async fn room(&self, rule: Rule) -> Outcome<Result<(), u64>> {
        let window = stored_or_default::<Window>(&self.state.storage(), WINDOW).await?;
        Ok(window.room(rule, now()))
    }

    async fn recent(&self, span_secs: u64) -> Outcome<u32> {
        let window = stored_or_default::<Window>(&self.state.storage(), WINDOW).await?;
        Ok(window.recent(span_secs, now()))
    }

    async fn give_back(&self) -> Outcome<()> {
        let storage = self.state.storage();
        if let Some(mut window) = storage.get::<Window>(WINDOW).await.internal()? {
            window.give_back();
            storage.put(WINDOW, &window).await.internal()?;
        }
        Ok(())
    }

    async fn add_spend(
        &self,
        reference: String,
        currency: String,
        micros: u64,
        forget_at: Timestamp,
    ) -> Outcome<()> {
        let storage = self.state.storage();
        let mut spend = stored_or_default::<Spend>(&storage, SPEND).await?;
        spend.add(&reference, &currency, micros);
        storage.put(SPEND, &spend).await.internal()?;
        wake_at(&storage, forget_at).await.internal()
    }

    async fn reserve_spend(
        &self,
        key: String,
        currency: String,
        micros: u64,
        cap_micros: u64,
        forget_at: Timestamp,
    ) -> Outcome<bool> {
        let storage = self.state.storage();
        let mut spend = stored_or_default::<Spend>(&storage, SPEND).await?;
        let reserved = spend.reserve(&key, &currency, micros, cap_micros);
        if reserved {
            storage.put(SPEND, &spend).await.internal()?;
            wake_at(&storage, forget_at).await.internal()?;
        }
        Ok(reserved)
    }

    async fn attach_spend(&self, key: String, reference: String) -> Outcome<()> {
        self.change_spend(|s| s.attach(&key, &reference)).await
    }

    async fn release_spend(&self, key: String) -> Outcome<()> {
        self.change_spend(|s| s.release(&key)).await
    }

    async fn count_refusal(&self, code: String, forget_at: Timestamp) -> Outcome<()> {
        let storage = self.state.storage();
        let mut r = stored_or_default::<Refusals>(&storage, REFUSALS).await?;
        r.add(&code);
        storage.put(REFUSALS, &r).await.internal()?;
        wake_at(&storage, forget_at).await.internal()
    }

    async fn refusals(&self) -> Outcome<Refusals> {
        stored_or_default(&self.state.storage(), REFUSALS).await
    }
}
