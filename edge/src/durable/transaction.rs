//! One ClientTransactionId of one site (named `<site key>:<id>`): claims it for exactly one
//! verification, atomically, and remembers which for as long as the verification's record.

use super::{wake_at, Alarm};
use crate::error::{Internal, Outcome};
use ringproof_core::Timestamp;

messages! {
    /// To the Durable Object of one site's ClientTransactionId.
    "TRANSACTIONS": TransactionMessage, TransactionStub, TransactionHandler {
        /// `Ok`, or `Err(the verification that holds it)`; kept until `forget_at`.
        Claim => fn claim(verification_id: String, forget_at: Timestamp) -> Result<(), String>;
        /// The verification that holds it, if claimed.
        Get => fn get() -> Option<String>;
        /// Frees it if `verification_id` holds it: that start did not go ahead.
        Release => fn release(verification_id: String) -> ();
    }
}

const KEY: &str = "verification_id";

object!(TransactionObject, TransactionMessage);

impl Alarm for TransactionObject {
    async fn alarm(&self) -> worker::Result<()> {
        self.state.storage().delete_all().await
    }
}

impl TransactionHandler for TransactionObject {
    async fn claim(
        &self,
        verification_id: String,
        forget_at: Timestamp,
    ) -> Outcome<Result<(), String>> {
        let storage = self.state.storage();
        if let Some(existing) = storage.get::<String>(KEY).await.internal()? {
            return Ok(Err(existing));
        }
        storage.put(KEY, &verification_id).await.internal()?;
        wake_at(&storage, forget_at).await.internal()?;
        Ok(Ok(()))
    }

    async fn release(&self, verification_id: String) -> Outcome<()> {
        let storage = self.state.storage();
        if storage.get::<String>(KEY).await.internal()?.as_ref() == Some(&verification_id) {
            storage.delete_all().await.internal()?;
        }
        Ok(())
    }

    async fn get(&self) -> Outcome<Option<String>> {
        self.state.storage().get::<String>(KEY).await.internal()
    }
}
