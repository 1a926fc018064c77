//! Typed KV keys: each kind of record has its own prefix and value type, so a key can never be
//! read as the wrong kind of record.

use crate::session::FinishedRecord;
use crate::site::Site;
use serde::{de::DeserializeOwned, Serialize};

pub trait KvKey {
    type Value: Serialize + DeserializeOwned;
    fn key(&self) -> String;
    /// Seconds before KV drops the record; `None` for configuration that lives until deleted.
    fn ttl_secs(&self) -> Option<u64>;
}

/// A site's configuration, by its public site key.
pub struct SiteByKey<'a>(pub &'a str);

impl KvKey for SiteByKey<'_> {
    type Value = Site;
    fn key(&self) -> String {
        format!("site:{}", self.0)
    }
    fn ttl_secs(&self) -> Option<u64> {
        None
    }
}

/// Which site an OneRing `ActivityTokenId` names.
pub struct SiteByActivity<'a>(pub &'a str);

impl KvKey for SiteByActivity<'_> {
    type Value = String;
    fn key(&self) -> String {
        format!("activity:{}", self.0)
    }
    fn ttl_secs(&self) -> Option<u64> {
        None
    }
}

/// Which site a secret belongs to, by the secret's SHA-256: the secret alone identifies the site
/// on the server-to-server endpoints.
pub struct SiteBySecret<'a>(pub &'a str);

impl KvKey for SiteBySecret<'_> {
    type Value = String;
    fn key(&self) -> String {
        format!("secret:{}", self.0)
    }
    fn ttl_secs(&self) -> Option<u64> {
        None
    }
}

/// The record of a finished verification, kept for the site's reporting.
pub struct FinishedVerification<'a>(pub &'a str);

/// 30 days: long enough for a site's monthly reconciliation, short enough not to hoard numbers.
pub const FINISHED_TTL_SECS: u64 = 30 * 24 * 3600;

impl KvKey for FinishedVerification<'_> {
    type Value = FinishedRecord;
    fn key(&self) -> String {
        format!("verification:{}", self.0)
    }
    fn ttl_secs(&self) -> Option<u64> {
        Some(FINISHED_TTL_SECS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_keep_kinds_apart() {
        assert_eq!(SiteByKey("rp_site_x").key(), "site:rp_site_x");
        assert_eq!(FinishedVerification("abc").key(), "verification:abc");
        assert_eq!(SiteByActivity("rp_act_x").key(), "activity:rp_act_x");
        assert!(FinishedVerification("abc").ttl_secs().unwrap() >= 60);
    }
}
