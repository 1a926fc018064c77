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
        /// Takes back the latest hit.
        GiveBack => fn give_back() -> ();
        /// A provider's reported charge, once per reference.
        AddSpend => fn add_spend(reference: String, currency: String, micros: u64, forget_at: Timestamp) -> ();
        /// Whether the day's spend in `currency` is under the cap.
        SpendUnder => fn spend_under(cap_micros: u64, currency: String) -> bool;
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

    async fn spend_under(&self, cap_micros: u64, currency: String) -> Outcome<bool> {
        let spend: Spend = stored_or_default(&self.state.storage(), SPEND).await?;
        Ok(spend.under(cap_micros, &currency))
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
