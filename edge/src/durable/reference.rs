//! One provider reference's Durable Object (named `<provider>:<reference>`): maps the id a
//! provider gave a call or message to our verification, so its webhook finds the session with
//! read-after-write consistency, which KV does not promise.

use super::{wake_at, Alarm};
use crate::error::{Internal, Outcome};
use ringproof_core::Timestamp;
use serde::{Deserialize, Serialize};

messages! {
    /// To the Durable Object of one provider reference.
    "REFERENCES": ReferenceMessage, ReferenceStub, ReferenceHandler {
        /// The reference is `verification_id`'s, until a day past `until`.
        Bind => fn bind(verification_id: String, until: Timestamp) -> ();
        /// The verification the reference is bound to, if any.
        Resolve => fn resolve() -> Option<String>;
    }
}

const KEY: &str = "reference";

#[derive(Serialize, Deserialize)]
struct Binding {
    verification_id: String,
}

object!(ReferenceObject, ReferenceMessage);

impl Alarm for ReferenceObject {
    /// Every binding has a TTL: it outlives its verification, then goes.
    async fn alarm(&self) -> worker::Result<()> {
        self.state.storage().delete_all().await
    }
}

impl ReferenceHandler for ReferenceObject {
    async fn bind(&self, verification_id: String, until: Timestamp) -> Outcome<()> {
        let storage = self.state.storage();
        storage
            .put(KEY, &Binding { verification_id })
            .await
            .internal()?;
        wake_at(
            &storage,
            until.plus_secs(ringproof_core::keys::REFERENCE_AFTER_ATTEMPT_SECS),
        )
        .await
        .internal()
    }

    async fn resolve(&self) -> Outcome<Option<String>> {
        let b = self.state.storage().get::<Binding>(KEY).await.internal()?;
        Ok(b.map(|b| b.verification_id))
    }
}
