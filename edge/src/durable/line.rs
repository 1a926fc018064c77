//! One caller's lines (named by the caller's E.164): which inbound numbers wait for a call from
//! this phone number, and for which verification (see `ringproof_core::line`).

use super::{wake_at, Alarm};
use crate::env::{now, CryptoRng};
use crate::error::{Internal, Outcome};
use ringproof_core::line::{Busy, Lines, Reservation};
use ringproof_core::Timestamp;

messages! {
    /// To the Durable Object of one caller's lines.
    "LINES": LineMessage, LineStub, LineHandler {
        /// One of `pool` no other verification of this caller holds, for `verification_id`.
        Reserve => fn reserve(
            pool: Vec<String>,
            verification_id: String,
            site_key: String,
            client: String,
            until: Timestamp,
            max_pending: u32,
        ) -> Result<String, Busy>;
        /// A call to `inbound_number` (`call_id` as the provider names it): the verification
        /// waiting for it, if one is.
        Route => fn route(inbound_number: String, call_id: Option<String>) -> Option<String>;
        /// Gives back what `verification_id` holds.
        Release => fn release(verification_id: String) -> ();
        /// Takes back `verification_id`'s reservation of `number`, never shown.
        Cancel => fn cancel(verification_id: String, number: String) -> ();
    }
}

const KEY: &str = "lines";

object!(LineObject, LineMessage);

impl Alarm for LineObject {
    async fn alarm(&self) -> worker::Result<()> {
        let mut lines = self.load().await?;
        lines.prune(now());
        self.store(&lines).await
    }
}

impl LineHandler for LineObject {
    async fn reserve(
        &self,
        pool: Vec<String>,
        verification_id: String,
        site_key: String,
        client: String,
        until: Timestamp,
        max_pending: u32,
    ) -> Outcome<Result<String, Busy>> {
        let mut lines = self.load().await.internal()?;
        let r = Reservation {
            pool: &pool,
            verification_id: &verification_id,
            site_key: &site_key,
            client: &client,
            until,
            max_pending,
        };
        let reserved = lines.reserve(&r, &mut CryptoRng, now());
        self.store(&lines).await.internal()?;
        Ok(reserved)
    }

    async fn route(
        &self,
        inbound_number: String,
        call_id: Option<String>,
    ) -> Outcome<Option<String>> {
        let mut lines = self.load().await.internal()?;
        let routed = lines.route(&inbound_number, call_id.as_deref(), now());
        self.store(&lines).await.internal()?;
        Ok(routed)
    }

    async fn cancel(&self, verification_id: String, number: String) -> Outcome<()> {
        let mut lines = self.load().await.internal()?;
        lines.cancel(&verification_id, &number, now());
        self.store(&lines).await.internal()
    }

    async fn release(&self, verification_id: String) -> Outcome<()> {
        let mut lines = self.load().await.internal()?;
        lines.release(&verification_id, now());
        self.store(&lines).await.internal()
    }
}

impl LineObject {
    async fn load(&self) -> worker::Result<Lines> {
        Ok(self
            .state
            .storage()
            .get::<Lines>(KEY)
            .await?
            .unwrap_or_default())
    }

    /// Saves the lines and keeps an alarm at their next expiry; nothing held leaves no trace.
    async fn store(&self, lines: &Lines) -> worker::Result<()> {
        let storage = self.state.storage();
        match lines.next_expiry() {
            Some(at) => {
                storage.put(KEY, lines).await?;
                wake_at(&storage, at).await
            }
            None => storage.delete_all().await,
        }
    }
}
