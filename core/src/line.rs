//! One caller's lines: which of our inbound numbers wait for a call from this phone number, and
//! for which verification. The Worker keeps one per caller in a Durable Object, so a reported
//! call finds its verification with read-after-write consistency, and every reservation for a
//! caller is decided in one place, one at a time.
//!
//! **A pair (caller, inbound number) belongs to one verification until it expires.** Whoever
//! starts another verification for the same phone number, on any site, gets another number or
//! a refusal: it can never take over the pair a victim's page is showing, so the victim's call
//! verifies only the victim's verification.

use crate::random::Randomness;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Unmatched calls are kept a day for review, and at most this many.
const UNMATCHED_KEPT: usize = 50;
const UNMATCHED_TTL_SECS: u64 = 24 * 3600;
/// An expired reservation still routes for a minute, so a late call is told "too late".
const GRACE_SECS: u64 = 60;
/// Reservations one caller may hold whatever a site allows: bounds the record (about 150 bytes
/// each, far below a Durable Object value's 128 KiB).
pub const HELD_MAX: usize = 50;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lines {
    pub held: Vec<Held>,
    pub unmatched: Vec<UnmatchedCall>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Held {
    /// The inbound number (E.164) the caller was shown.
    pub number: String,
    pub verification_id: String,
    #[serde(default)]
    pub site_key: String,
    pub until: Timestamp,
    /// Released: the number is free for the caller's next verification, but a repeated report
    /// of the call that verified still reaches this one (and is told "repeat").
    #[serde(default)]
    pub released: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmatchedCall {
    pub number: String,
    pub received_at: Timestamp,
}

/// Why no number can be reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "busy", rename_all = "snake_case")]
pub enum Busy {
    /// Every number of the pool waits for another verification of this caller, or the caller
    /// has as many pending missed calls as allowed; one frees at `free_at`.
    Taken { free_at: Timestamp },
    /// The site has no inbound numbers.
    NoPool,
}

/// What a reservation asks for.
pub struct Reservation<'a> {
    /// The site's inbound numbers.
    pub pool: &'a [String],
    pub verification_id: &'a str,
    pub site_key: &'a str,
    pub until: Timestamp,
    /// Pending missed calls this caller may have at once on this site. Counting per site
    /// keeps another site's starts from using up a visitor's allowance.
    pub max_pending: u32,
}

impl Lines {
    /// Reserves a number of `r.pool` for `r.verification_id`: the one it already holds (a
    /// resend), else a random one no other verification of this caller holds. A verification
    /// holds one number at a time.
    pub fn reserve(
        &mut self,
        r: &Reservation<'_>,
        rng: &mut impl Randomness,
        now: Timestamp,
    ) -> Result<String, Busy> {
        self.prune(now);
        if r.pool.is_empty() {
            return Err(Busy::NoPool);
        }
        let own = self.held.iter_mut().find(|h| {
            h.verification_id == r.verification_id && !h.released && r.pool.contains(&h.number)
        });
        if let Some(h) = own {
            h.until = r.until;
            return Ok(h.number.clone());
        }
        let others: Vec<&Held> = self
            .held
            .iter()
            .filter(|h| h.verification_id != r.verification_id && !h.released)
            .collect();
        let free_at = others
            .iter()
            .map(|h| h.until.plus_secs(GRACE_SECS))
            .min()
            .unwrap_or(now);
        let on_site = others.iter().filter(|h| h.site_key == r.site_key).count();
        if on_site >= r.max_pending as usize || others.len() >= HELD_MAX {
            return Err(Busy::Taken { free_at });
        }
        let free: Vec<&String> = r
            .pool
            .iter()
            .filter(|n| !others.iter().any(|h| &h.number == *n))
            .collect();
        let Some(count) = u32::try_from(free.len()).ok().filter(|&c| c > 0) else {
            return Err(Busy::Taken { free_at });
        };
        let number = free[rng.below(count) as usize].clone();
        self.held
            .retain(|h| h.verification_id != r.verification_id && h.number != number);
        self.held.push(Held {
            number: number.clone(),
            verification_id: r.verification_id.to_owned(),
            site_key: r.site_key.to_owned(),
            until: r.until,
            released: false,
        });
        Ok(number)
    }

    /// Gives the number back once its verification no longer waits for a call, so the caller
    /// can start again at once.
    pub fn release(&mut self, verification_id: &str, now: Timestamp) {
        self.prune(now);
        for h in self
            .held
            .iter_mut()
            .filter(|h| h.verification_id == verification_id)
        {
            h.released = true;
        }
    }

    /// The verification waiting for this caller's call to `number`, or `None` (and the call is
    /// recorded). Expired entries still answer for a grace minute so the session itself can
    /// say "too late".
    pub fn route(&mut self, number: &str, now: Timestamp) -> Option<String> {
        self.prune(now);
        let mut on_number = self.held.iter().filter(|h| h.number == number);
        if let Some(h) = on_number
            .clone()
            .find(|h| !h.released)
            .or_else(|| on_number.next())
        {
            return Some(h.verification_id.clone());
        }
        if self.unmatched.len() >= UNMATCHED_KEPT {
            self.unmatched.remove(0);
        }
        self.unmatched.push(UnmatchedCall {
            number: number.to_owned(),
            received_at: now,
        });
        None
    }

    pub fn prune(&mut self, now: Timestamp) {
        self.held.retain(|h| h.until.plus_secs(GRACE_SECS) > now);
        self.unmatched
            .retain(|u| u.received_at.plus_secs(UNMATCHED_TTL_SECS) > now);
    }

    /// When the next entry falls due, or `None` once nothing is held.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        let a = self.held.iter().map(|h| h.until.plus_secs(GRACE_SECS));
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
    use crate::random::testing::Seeded;

    const T: Timestamp = Timestamp(1_000_000_000);

    fn pool() -> Vec<String> {
        vec!["+4420".into(), "+4421".into(), "+4422".into()]
    }

    fn reserve(l: &mut Lines, pool: &[String], id: &str, now: Timestamp) -> Result<String, Busy> {
        let r = Reservation {
            pool,
            verification_id: id,
            site_key: "site",
            until: now.plus_secs(600),
            max_pending: 3,
        };
        l.reserve(&r, &mut Seeded(now.millis()), now)
    }

    #[test]
    fn a_call_routes_to_the_verification_that_showed_the_number() {
        let mut l = Lines::default();
        let n = reserve(&mut l, &pool(), "v1", T).unwrap();
        assert_eq!(l.route(&n, T.plus_secs(5)).as_deref(), Some("v1"));
        let other = pool().into_iter().find(|p| *p != n).unwrap();
        assert_eq!(l.route(&other, T.plus_secs(5)), None);
        assert_eq!(l.unmatched.len(), 1);
    }

    #[test]
    fn no_other_verification_can_take_a_callers_number() {
        let mut l = Lines::default();
        let victim = reserve(&mut l, &pool(), "victim", T).unwrap();
        // The attacker loops starts for the victim's number: never the victim's line.
        let mut attacker = Vec::new();
        for i in 0..10 {
            match reserve(&mut l, &pool(), &format!("attacker{i}"), T.plus_secs(i)) {
                Ok(n) => attacker.push(n),
                Err(Busy::Taken { free_at }) => assert_eq!(free_at, T.plus_secs(660)),
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(attacker.len(), 2, "the rest of the pool, then refusals");
        assert!(!attacker.contains(&victim));
        assert_eq!(l.route(&victim, T.plus_secs(20)).as_deref(), Some("victim"));
    }

    #[test]
    fn a_resend_keeps_its_number_and_a_release_frees_it() {
        let mut l = Lines::default();
        let n = reserve(&mut l, &pool(), "v1", T).unwrap();
        assert_eq!(
            reserve(&mut l, &pool(), "v1", T.plus_secs(100)),
            Ok(n.clone())
        );
        assert_eq!(l.held.len(), 1);
        assert_eq!(l.held[0].until, T.plus_secs(700));
        l.release("v1", T.plus_secs(101));
        // A repeated report still finds it; a new verification may take the number.
        assert_eq!(l.route(&n, T.plus_secs(102)).as_deref(), Some("v1"));
        let one = [n.clone()];
        assert_eq!(reserve(&mut l, &one, "v2", T.plus_secs(103)), Ok(n.clone()));
        assert_eq!(l.route(&n, T.plus_secs(104)).as_deref(), Some("v2"));
    }

    #[test]
    fn pending_calls_per_caller_are_capped() {
        let big: Vec<String> = (0..50).map(|i| format!("+44{i}")).collect();
        let mut l = Lines::default();
        for i in 0..3 {
            reserve(&mut l, &big, &format!("v{i}"), T).unwrap();
        }
        assert!(matches!(
            reserve(&mut l, &big, "v9", T),
            Err(Busy::Taken { .. })
        ));
        // Another site's allowance is its own.
        let r = Reservation {
            pool: &big,
            verification_id: "elsewhere",
            site_key: "other",
            until: T.plus_secs(600),
            max_pending: 3,
        };
        assert!(l.reserve(&r, &mut Seeded(1), T).is_ok());
        // The hard bound holds whatever a site allows.
        let mut m = Lines::default();
        for i in 0..(HELD_MAX + 5) {
            let r = Reservation {
                pool: &big,
                verification_id: &format!("v{i}"),
                site_key: "site",
                until: T.plus_secs(600),
                max_pending: 1000,
            };
            let _ = m.reserve(&r, &mut Seeded(i as u64), T);
        }
        assert_eq!(m.held.len(), HELD_MAX);
        assert!(serde_json::to_string(&m).unwrap().len() < 16 * 1024);
        assert_eq!(reserve(&mut m, &[], "x", T), Err(Busy::NoPool));
    }

    #[test]
    fn everything_expires() {
        let mut l = Lines::default();
        reserve(&mut l, &pool(), "v1", T).unwrap();
        l.route("+9", T);
        assert!(l.next_expiry().is_some());
        // Expired reservations free their number for a new verification.
        let again = reserve(&mut l, &pool()[..1], "v2", T.plus_secs(661));
        assert!(again.is_ok(), "{again:?}");
        l.prune(T.plus_secs(UNMATCHED_TTL_SECS + 700));
        assert_eq!(l, Lines::default());
        assert_eq!(l.next_expiry(), None);
    }

    #[test]
    fn unmatched_record_is_bounded() {
        let mut l = Lines::default();
        for i in 0..(UNMATCHED_KEPT + 10) {
            l.route(&format!("+{i}"), T);
        }
        assert_eq!(l.unmatched.len(), UNMATCHED_KEPT);
    }
}
