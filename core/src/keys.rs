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
    /// Whether the key's variable part can name a record at all. A caller's text that fails
    /// this never reaches KV: it is simply not found.
    fn is_valid(&self) -> bool;
}

/// Our own ids and keys: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A site's configuration, by its public site key.
pub struct SiteByKey<'a>(pub &'a str);

impl<'a> SiteByKey<'a> {
    /// What every site's KV key starts with, for listing them all.
    pub const PREFIX: &'static str = "site:";

    /// The site named by a KV key listed under [`SiteByKey::PREFIX`].
    pub fn listed(kv_key: &'a str) -> Option<SiteByKey<'a>> {
        kv_key.strip_prefix(Self::PREFIX).map(SiteByKey)
    }
}

impl KvKey for SiteByKey<'_> {
    type Value = Site;
    fn key(&self) -> String {
        format!("{}{}", Self::PREFIX, self.0)
    }
    fn ttl_secs(&self) -> Option<u64> {
        None
    }
    fn is_valid(&self) -> bool {
        is_id(self.0)
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
    fn is_valid(&self) -> bool {
        is_id(self.0)
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
    fn is_valid(&self) -> bool {
        is_sha256_hex(self.0)
    }
}

/// The record of a finished verification, kept for the site's reporting.
pub struct FinishedVerification<'a>(pub &'a str);

/// 30 days: long enough for a site's monthly reconciliation, short enough not to hoard numbers.
pub const FINISHED_TTL_SECS: u64 = 30 * 24 * 3600;
/// A test key's ClientTransactionId is kept a day: its verification keeps no record, and a
/// script starting thousands must not make the deployment keep each for a month.
pub const TEST_TRANSACTION_TTL_SECS: u64 = 24 * 3600;

/// A provider's reference stays bound to its verification this long past the attempt's end:
/// providers report delivery late, and the cost they report is worth keeping.
pub const REFERENCE_AFTER_ATTEMPT_SECS: u64 = 24 * 3600;
/// A finished verification whose record could not be written is tried again this soon, and
/// kept until it is: its record is not lost to a passing fault.
pub const RECORD_RETRY_SECS: u64 = 60;

/// The object that holds a site's ClientTransactionId: one per site and id, so two sites'
/// ids never meet.
pub fn transaction_object(site_key: &str, client_transaction_id: &str) -> String {
    format!("{site_key}:{client_transaction_id}")
}

/// The object that binds a provider's reference to its verification: one per provider and
/// reference, so one provider's report never resolves another's.
pub fn reference_object(provider: &str, reference: &str) -> String {
    format!("{provider}:{reference}")
}

/// How long a site's ClientTransactionId stays claimed.
pub fn transaction_ttl_secs(test: bool) -> u64 {
    if test {
        TEST_TRANSACTION_TTL_SECS
    } else {
        FINISHED_TTL_SECS
    }
}

impl KvKey for FinishedVerification<'_> {
    type Value = FinishedRecord;
    fn key(&self) -> String {
        format!("verification:{}", self.0)
    }
    fn ttl_secs(&self) -> Option<u64> {
        Some(FINISHED_TTL_SECS)
    }
    fn is_valid(&self) -> bool {
        is_id(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_keep_kinds_apart() {
        assert_eq!(SiteByKey("rp_site_x").key(), "site:rp_site_x");
        let key = SiteByKey("rp_site_x").key();
        assert_eq!(SiteByKey::listed(&key).map(|s| s.0), Some("rp_site_x"));
        assert!(SiteByKey::listed("activity:x").is_none());
        assert_eq!(FinishedVerification("abc").key(), "verification:abc");
        assert_eq!(SiteByActivity("rp_act_x").key(), "activity:rp_act_x");
        assert!(FinishedVerification("abc").ttl_secs().unwrap() >= 60);
    }

    #[test]
    fn callers_text_is_checked_before_kv() {
        assert!(SiteByKey("rp_site_AbC-9").is_valid());
        for bad in ["", "a b", "a:b", "é", &"x".repeat(65), "../x"] {
            assert!(!SiteByKey(bad).is_valid(), "{bad:?}");
            assert!(!SiteByActivity(bad).is_valid(), "{bad:?}");
        }
        assert!(!SiteBySecret("abc").is_valid());
        assert!(SiteBySecret(&crate::secret::hash("s")).is_valid());
    }
}
