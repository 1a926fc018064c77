//! An inbound number's switchboard: which pending verification expects a call from which
//! caller. The Worker keeps one per inbound number in a Durable Object, so a webhook finds its
//! verification with read-after-write consistency (KV could be a minute stale).

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Unmatched calls are kept a day for review, and at most this many.
const UNMATCHED_KEPT: usize = 50;
const UNMATCHED_TTL_SECS: u64 = 24 * 3600;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub expected: Vec<Expected>,
    pub unmatched: Vec<UnmatchedCall>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    pub caller: String,
    pub verification_id: String,
    pub until: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmatchedCall {
    pub caller: String,
    pub received_at: Timestamp,
}

impl Line {
    /// A newer verification for the same caller replaces the older one: only the latest can be
    /// completed, which is what a visitor who started again expects.
    pub fn expect(
        &mut self,
        caller: &str,
        verification_id: &str,
        until: Timestamp,
        now: Timestamp,
    ) {
        self.prune(now);
        self.expected.retain(|e| e.caller != caller);
        self.expected.push(Expected {
            caller: caller.to_owned(),
            verification_id: verification_id.to_owned(),
            until,
        });
    }

    /// The verification waiting for this caller, or `None` (and the call is recorded).
    /// Expired entries still answer for a grace minute so the session itself can say "too late".
    pub fn route(&mut self, caller: &str, now: Timestamp) -> Option<String> {
        self.prune(now);
        if let Some(e) = self.expected.iter().find(|e| e.caller == caller) {
            return Some(e.verification_id.clone());
        }
        if self.unmatched.len() >= UNMATCHED_KEPT {
            self.unmatched.remove(0);
        }
        self.unmatched.push(UnmatchedCall {
            caller: caller.to_owned(),
            received_at: now,
        });
        None
    }

    pub fn prune(&mut self, now: Timestamp) {
        self.expected.retain(|e| e.until.plus_secs(60) > now);
        self.unmatched
            .retain(|u| u.received_at.plus_secs(UNMATCHED_TTL_SECS) > now);
    }

    /// When the next entry falls due, or `None` once the line holds nothing.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        let a = self.expected.iter().map(|e| e.until.plus_secs(60));
        let b = self
            .unmatched
            .iter()
            .map(|u| u.received_at.plus_secs(UNMATCHED_TTL_SECS));
        a.chain(b).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp(1_000_000_000);

    #[test]
    fn routes_the_expected_caller_only() {
        let mut l = Line::default();
        l.expect("+1", "v1", T.plus_secs(600), T);
        assert_eq!(l.route("+1", T.plus_secs(5)).as_deref(), Some("v1"));
        assert_eq!(l.route("+2", T.plus_secs(5)), None);
        assert_eq!(l.unmatched.len(), 1);
    }

    #[test]
    fn a_restart_replaces_the_older_verification() {
        let mut l = Line::default();
        l.expect("+1", "v1", T.plus_secs(600), T);
        l.expect("+1", "v2", T.plus_secs(700), T.plus_secs(100));
        assert_eq!(l.route("+1", T.plus_secs(101)).as_deref(), Some("v2"));
        assert_eq!(l.expected.len(), 1);
    }

    #[test]
    fn everything_expires() {
        let mut l = Line::default();
        l.expect("+1", "v1", T.plus_secs(600), T);
        l.route("+9", T);
        assert!(l.next_expiry().is_some());
        l.prune(T.plus_secs(UNMATCHED_TTL_SECS + 1));
        assert_eq!(l, Line::default());
        assert_eq!(l.next_expiry(), None);
    }

    #[test]
    fn unmatched_record_is_bounded() {
        let mut l = Line::default();
        for i in 0..(UNMATCHED_KEPT + 10) {
            l.route(&format!("+{i}"), T);
        }
        assert_eq!(l.unmatched.len(), UNMATCHED_KEPT);
    }
}
