//! One provider reference's Durable Object (named `<provider>:<reference>`): maps the id a
//! provider gave a call or message to our verification, so its webhook finds the session with
//! read-after-write consistency, which KV does not promise.

use super::{wake_at, Alarm};
use crate::error::{Internal, Outcome};
use ringproof_core::throttle::EstimateName;
use ringproof_core::Timestamp;
use serde::{Deserialize, Serialize};

messages! {
    /// To the Durable Object of one provider reference.
    "REFERENCES": ReferenceMessage, ReferenceStub, ReferenceHandler {
        /// The reference is `verification_id`'s, until a day past `until`.
        Bind => fn bind(binding: Binding, until: Timestamp) -> ();
        /// What the reference is bound to, if anything.
        Resolve => fn resolve() -> Option<Binding>;
    }
}

const KEY: &str = "reference";

/// The verification a provider's reference belongs to, and the day and name of its send's
/// estimate in the site's spend, which the price the provider reports replaces (so the site's
/// object need not be told the reference when the send goes out).
#[derive(Debug, Serialize, Deserialize)]
pub struct Binding {
    pub verification_id: String,
    #[serde(default)]
    pub estimate: Option<EstimateName>,
}

object!(ReferenceObject, ReferenceMessage);

impl Alarm for ReferenceObject {
    /// Every binding has a TTL: it outlives its verification, then goes.
    async fn alarm(&self) -> worker::Result<()> {
        self.state.storage().delete_all().await
    }
}

impl ReferenceHandler for ReferenceObject {
    async fn bind(&self, binding: Binding, until: Timestamp) -> Outcome<()> {
        let storage = self.state.storage();
        storage.put(KEY, &binding).await.internal()?;
        wake_at(
            &storage,
            until.plus_secs(ringproof_core::keys::REFERENCE_AFTER_ATTEMPT_SECS),
        )
        .await
        .internal()
    }

    async fn resolve(&self) -> Outcome<Option<Binding>> {
        self.state.storage().get::<Binding>(KEY).await.internal()
    }
}
