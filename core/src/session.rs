//! A verification's life: created pending, verified by the matching call, or left to expire.
//!
//! The Worker keeps each session in a Durable Object of its own, which runs these transitions
//! one at a time; this module decides them.

use crate::phone::E164;
use crate::time::Timestamp;
use crate::token;
use ringproof_api::{Channel, SiteverifyResponse, VerificationStatus, VerificationView};
use serde::{Deserialize, Serialize};

/// How long a visitor has to place the missed call.
pub const MISSED_CALL_WINDOW_SECS: u64 = 10 * 60;
/// How long a token may wait before the site checks it (Turnstile's figure).
pub const TOKEN_TTL_SECS: u64 = 5 * 60;
/// A provider's clock may run a little ahead of ours.
const CLOCK_SKEW_SECS: u64 = 60;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub site_key: String,
    pub phone: String,
    pub channel: Channel,
    /// The inbound number the visitor must call (E.164).
    pub assigned_number: String,
    /// The page origin that started it; status reads must come from the same origin.
    pub origin: String,
    pub client_transaction_id: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub state: State,
    /// Calls to our number from other callers while this session was pending: kept for review.
    pub unmatched_calls: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    Pending,
    Verified {
        at: Timestamp,
        call_time: Timestamp,
        token_spent: bool,
    },
}

/// What a reported call did to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// This call verified the session.
    Verified,
    /// The session was already verified by this caller: a repeated webhook, harmless.
    Repeat,
    /// Someone else called, or the call was for another number: recorded, nothing changes.
    Unmatched,
    /// The call came after the deadline.
    TooLate,
}

/// Why siteverify refused a token, with Turnstile's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedeemError {
    /// Wrong or forged token, or not verified.
    InvalidResponse,
    /// Spent already, or older than [`TOKEN_TTL_SECS`].
    TimeoutOrDuplicate,
}

impl RedeemError {
    pub fn code(self) -> &'static str {
        match self {
            RedeemError::InvalidResponse => "invalid-input-response",
            RedeemError::TimeoutOrDuplicate => "timeout-or-duplicate",
        }
    }
}

/// What is kept in KV once a session has finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedRecord {
    pub verification_id: String,
    pub site_key: String,
    pub phone: String,
    pub channel: Channel,
    pub status: VerificationStatus,
    pub client_transaction_id: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Timestamp,
}

pub struct NewSession {
    pub id: String,
    pub site_key: String,
    pub phone: E164,
    pub assigned_number: String,
    pub origin: String,
    pub client_transaction_id: Option<String>,
}

impl Session {
    pub fn start(new: NewSession, now: Timestamp) -> Self {
        Session {
            id: new.id,
            site_key: new.site_key,
            phone: new.phone.into_string(),
            channel: Channel::MissedCall,
            assigned_number: new.assigned_number,
            origin: new.origin,
            client_transaction_id: new.client_transaction_id,
            created_at: now,
            expires_at: now.plus_secs(MISSED_CALL_WINDOW_SECS),
            state: State::Pending,
            unmatched_calls: 0,
        }
    }

    pub fn status(&self, now: Timestamp) -> VerificationStatus {
        match self.state {
            State::Verified { .. } => VerificationStatus::Verified,
            State::Pending if now >= self.expires_at => VerificationStatus::Expired,
            State::Pending => VerificationStatus::Pending,
        }
    }

    /// A provider reports that `caller` called `called` at `call_time`; `now` is when we heard.
    pub fn on_missed_call(
        &mut self,
        caller: &E164,
        called: &E164,
        call_time: Timestamp,
        now: Timestamp,
    ) -> CallOutcome {
        let matches = caller.as_str() == self.phone && called.as_str() == self.assigned_number;
        match self.state {
            State::Verified { .. } if matches => CallOutcome::Repeat,
            State::Verified { .. } => CallOutcome::Unmatched,
            State::Pending if !matches => {
                self.unmatched_calls += 1;
                CallOutcome::Unmatched
            }
            State::Pending => {
                // A call placed before the session existed cannot prove anything about it.
                let placed_in_window = call_time.plus_secs(CLOCK_SKEW_SECS) >= self.created_at
                    && call_time < self.expires_at;
                if !placed_in_window || self.status(now) != VerificationStatus::Pending {
                    return CallOutcome::TooLate;
                }
                self.state = State::Verified {
                    at: now,
                    call_time,
                    token_spent: false,
                };
                CallOutcome::Verified
            }
        }
    }

    /// What the widget sees. The token is shown while it can still be spent.
    pub fn view(&self, token_key: &[u8], now: Timestamp) -> VerificationView {
        let token = match self.state {
            State::Verified {
                at,
                token_spent: false,
                ..
            } if now < at.plus_secs(TOKEN_TTL_SECS) => Some(token::issue(token_key, &self.id, at)),
            _ => None,
        };
        VerificationView {
            verification_id: self.id.clone(),
            status: self.status(now),
            channel: self.channel,
            expires_at: self.expires_at.to_rfc3339(),
            token,
        }
    }

    /// Spends the token. The caller has already checked the site secret.
    pub fn redeem(
        &mut self,
        token_key: &[u8],
        presented: &str,
        now: Timestamp,
    ) -> Result<SiteverifyResponse, RedeemError> {
        let State::Verified {
            at,
            ref mut token_spent,
            ..
        } = self.state
        else {
            return Err(RedeemError::InvalidResponse);
        };
        if !token::is_valid(token_key, presented, &self.id, at) {
            return Err(RedeemError::InvalidResponse);
        }
        if *token_spent || now >= at.plus_secs(TOKEN_TTL_SECS) {
            return Err(RedeemError::TimeoutOrDuplicate);
        }
        *token_spent = true;
        Ok(SiteverifyResponse {
            success: true,
            phone: Some(self.phone.clone()),
            channel: Some(self.channel),
            verified_at: Some(at.to_rfc3339()),
            client_transaction_id: self.client_transaction_id.clone(),
            error_codes: vec![],
        })
    }

    /// After this instant nothing about the session can change or be asked: its Durable Object
    /// may delete it.
    pub fn retain_until(&self) -> Timestamp {
        match self.state {
            State::Verified { at, .. } => at.plus_secs(TOKEN_TTL_SECS).max(self.expires_at),
            State::Pending => self.expires_at,
        }
        .plus_secs(CLOCK_SKEW_SECS)
    }

    pub fn finished_record(&self, now: Timestamp) -> FinishedRecord {
        let finished_at = match self.state {
            State::Verified { at, .. } => at,
            State::Pending => self.expires_at.min(now),
        };
        FinishedRecord {
            verification_id: self.id.clone(),
            site_key: self.site_key.clone(),
            phone: self.phone.clone(),
            channel: self.channel,
            status: self.status(now),
            client_transaction_id: self.client_transaction_id.clone(),
            created_at: self.created_at,
            finished_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::{from_network, normalise};

    const KEY: &[u8] = b"token key";
    const T0: Timestamp = Timestamp(1_795_413_908_000);

    fn session() -> Session {
        Session::start(
            NewSession {
                id: "v1".into(),
                site_key: "site".into(),
                phone: normalise("+447400123456", None).unwrap(),
                assigned_number: "+442079460001".into(),
                origin: "https://shop.example".into(),
                client_transaction_id: Some("ctx-9".into()),
            },
            T0,
        )
    }

    fn n(s: &str) -> E164 {
        from_network(s).unwrap()
    }

    #[test]
    fn the_right_call_verifies_and_yields_a_token() {
        let mut s = session();
        assert_eq!(s.status(T0), VerificationStatus::Pending);
        assert_eq!(s.view(KEY, T0).token, None);
        let at = T0.plus_secs(30);
        let out = s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
        assert_eq!(out, CallOutcome::Verified);
        let v = s.view(KEY, at);
        assert_eq!(v.status, VerificationStatus::Verified);
        assert!(v.token.is_some());
    }

    #[test]
    fn repeated_webhook_is_harmless() {
        let mut s = session();
        let at = T0.plus_secs(30);
        s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
        let before = s.clone();
        let again = s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at.plus_secs(5));
        assert_eq!(again, CallOutcome::Repeat);
        assert_eq!(s, before);
    }

    #[test]
    fn other_callers_and_numbers_change_nothing_but_the_count() {
        let mut s = session();
        let at = T0.plus_secs(30);
        assert_eq!(
            s.on_missed_call(&n("447400999999"), &n("442079460001"), at, at),
            CallOutcome::Unmatched
        );
        assert_eq!(
            s.on_missed_call(&n("447400123456"), &n("442079460002"), at, at),
            CallOutcome::Unmatched
        );
        assert_eq!(s.status(at), VerificationStatus::Pending);
        assert_eq!(s.unmatched_calls, 2);
    }

    #[test]
    fn late_or_early_calls_do_not_verify() {
        let mut s = session();
        let late = s.expires_at.plus_secs(1);
        assert_eq!(
            s.on_missed_call(&n("447400123456"), &n("442079460001"), late, late),
            CallOutcome::TooLate
        );
        assert_eq!(s.status(late), VerificationStatus::Expired);
        let mut s = session();
        let early = Timestamp(T0.millis() - 10 * 60 * 1000);
        assert_eq!(
            s.on_missed_call(&n("447400123456"), &n("442079460001"), early, T0),
            CallOutcome::TooLate
        );
    }

    #[test]
    fn token_redeems_once_within_five_minutes() {
        let mut s = session();
        let at = T0.plus_secs(30);
        s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
        let t = s.view(KEY, at).token.unwrap();
        let mut late = s.clone();
        let ok = s.redeem(KEY, &t, at.plus_secs(10)).unwrap();
        assert!(ok.success);
        assert_eq!(ok.phone.as_deref(), Some("+447400123456"));
        assert_eq!(ok.client_transaction_id.as_deref(), Some("ctx-9"));
        assert_eq!(
            s.redeem(KEY, &t, at.plus_secs(11)),
            Err(RedeemError::TimeoutOrDuplicate)
        );
        assert_eq!(
            s.view(KEY, at.plus_secs(12)).token,
            None,
            "a spent token is not shown again"
        );
        assert_eq!(
            late.redeem(KEY, &t, at.plus_secs(TOKEN_TTL_SECS)),
            Err(RedeemError::TimeoutOrDuplicate)
        );
    }

    #[test]
    fn forged_or_premature_tokens_fail() {
        let mut s = session();
        let forged = token::issue(b"wrong key", "v1", T0);
        assert_eq!(
            s.redeem(KEY, &forged, T0),
            Err(RedeemError::InvalidResponse)
        );
        let at = T0.plus_secs(30);
        s.on_missed_call(&n("447400123456"), &n("442079460001"), at, at);
        assert_eq!(
            s.redeem(KEY, &forged, at),
            Err(RedeemError::InvalidResponse)
        );
    }

    #[test]
    fn retention_covers_the_token_window() {
        let mut s = session();
        assert!(s.retain_until() > s.expires_at);
        let at = s.expires_at.plus_secs(0).millis() - 1000;
        s.on_missed_call(
            &n("447400123456"),
            &n("442079460001"),
            Timestamp(at),
            Timestamp(at),
        );
        assert!(s.retain_until() >= Timestamp(at).plus_secs(TOKEN_TTL_SECS));
    }
}
