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
/// Reservations one caller may hold whatever the sites allow: bounds the record (about 250
/// bytes each, far below a Durable Object value's 128 KiB). With [`CLIENT_HELD_MAX`] and each
/// site's own allowance, filling it takes 100 clients and 67 sites, each paying a proof of work
/// per start every attempt's lifetime.
pub const HELD_MAX: usize = 200;
/// Pending missed calls one client may hold for one caller, over every site: a stranger holding
/// a victim's lines needs an address (an IPv6 /64) for every two.
pub const CLIENT_HELD_MAX: usize = 2;
/// Provider call ids remembered per caller, so a repeated report of one call is recognised.
const CALLS_KEPT: usize = 20;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lines {
    pub held: Vec<Held>,
    pub unmatched: Vec<UnmatchedCall>,
    /// Calls already routed, by the provider's call id.
    #[serde(default)]
    pub calls: Vec<RoutedCall>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutedCall {
    pub call_id: String,
    /// Empty for a call that matched nothing: its replays match nothing either.
    pub verification_id: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Held {
    /// The inbound number (E.164) the caller was shown.
    pub number: String,
    pub verification_id: String,
    #[serde(default)]
    pub site_key: String,
    /// The client (see `crate::client`) that started the verification.
    #[serde(default)]
    pub client: String,
    pub until: Timestamp,
    /// Released: it no longer counts against anyone's allowance, but the pair stays out of
    /// circulation until it expires, so a repeated report of the call that verified still
    /// reaches this verification (and is told "repeat"), never another.
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

impl Busy {
    /// What the caller is told at `now`: the lines are busy for the seconds until one frees
    /// (at least one), or the site has none, which is the operator's to mend.
    pub fn refusal(self, site_key: &str, now: Timestamp) -> crate::ApiError {
        match self {
            Busy::Taken { free_at } => {
                let wait_ms = free_at.millis().saturating_sub(now.millis());
                crate::ApiError::LinesBusy(wait_ms.div_ceil(1000).max(1))
            }
            Busy::NoPool => {
                crate::ApiError::Internal(format!("site {site_key} has no inbound numbers"))
            }
        }
    }
}

/// The name of the object that holds a caller's lines. A test key's verifications hold lines
/// of their own, so public test keys can never take a real visitor's.
pub fn object_name(caller: &str, test: bool) -> String {
    if test {
        format!("test:{caller}")
    } else {
        caller.to_owned()
    }
}

/// What a reservation asks for.
pub struct Reservation<'a> {
    /// The site's inbound numbers.
    pub pool: &'a [String],
    pub verification_id: &'a str,
    pub site_key: &'a str,
    pub client: &'a str,
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
        // Every pair another verification holds, released or not, stays its own until it
        // expires; only pending ones count against allowances.
        let others: Vec<&Held> = self
            .held
            .iter()
            .filter(|h| h.verification_id != r.verification_id)
            .collect();
        let pending: Vec<&Held> = others.iter().copied().filter(|h| !h.released).collect();
        let free_at = |held: &[&Held]| {
            held.iter()
                .map(|h| h.until.plus_secs(GRACE_SECS))
                .min()
                .unwrap_or(now)
        };
        let on_site: Vec<&Held> = pending
            .iter()
            .copied()
            .filter(|h| h.site_key == r.site_key)
            .collect();
        if on_site.len() >= r.max_pending as usize {
            return Err(Busy::Taken {
                free_at: free_at(&on_site),
            });
        }
        let by_client: Vec<&Held> = pending
            .iter()
            .copied()
            .filter(|h| h.client == r.client)
            .collect();
        if by_client.len() >= CLIENT_HELD_MAX || others.len() >= HELD_MAX {
            return Err(Busy::Taken {
                free_at: free_at(&by_client).min(free_at(&others)),
            });
        }
        let free: Vec<&String> = r
            .pool
            .iter()
            .filter(|n| !others.iter().any(|h| &h.number == *n))
            .collect();
        let free_at = free_at(&others);
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
            client: r.client.to_owned(),
            until: r.until,
            released: false,
        });
        Ok(number)
    }

    /// Gives the allowance back once its verification no longer waits for a call, so the
    /// caller can start again at once (on another number while this pair is out of
    /// circulation).
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

    /// Takes back a reservation whose number was never shown (its verification refused the
    /// attempt): unlike [`Lines::release`], the pair is free again at once, so a refused
    /// request leaves nothing held.
    pub fn cancel(&mut self, verification_id: &str, number: &str, now: Timestamp) {
        self.prune(now);
        self.held
            .retain(|h| !(h.verification_id == verification_id && h.number == number));
    }

    /// The verification waiting for this caller's call to `number`, or `None` (and the call is
    /// recorded). Expired entries still answer for a grace minute so the session itself can
    /// say "too late". A call the carrier names by `call_id` is routed once: its repeated
    /// reports go where the first went, whatever was reserved since, and a call that matched
    /// nothing matches nothing when reported again (a captured report of a call made before
    /// a verification cannot verify it). **A routed call releases its verification's
    /// allowance** ([`Lines::release`]): the call came, so the caller may start again at once,
    /// and the route needs no second call to this object. Only a call from the caller's own
    /// number frees it, which a stranger holding that number's lines cannot make. A call its
    /// verification then turns down (placed before the attempt began) has freed it too: the
    /// verification still takes a later call on the pair, and shows another number if it
    /// asks for a call again.
    pub fn route(&mut self, number: &str, call_id: Option<&str>, now: Timestamp) -> Option<String> {
        self.prune(now);
        if let Some(id) = call_id {
            if let Some(seen) = self.calls.iter().find(|c| c.call_id == id) {
                return Some(seen.verification_id.clone()).filter(|v| !v.is_empty());
            }
        }
        let routed = self.route_number(number, now);
        if let Some(verification_id) = &routed {
            self.release(verification_id, now);
        }
        if let Some(call_id) = call_id {
            if self.calls.len() >= CALLS_KEPT {
                self.calls.remove(0);
            }
            self.calls.push(RoutedCall {
                call_id: call_id.to_owned(),
                verification_id: routed.clone().unwrap_or_default(),
                at: now,
            });
        }
        routed
    }

    fn route_number(&mut self, number: &str, now: Timestamp) -> Option<String> {
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
        self.calls
            .retain(|c| c.at.plus_secs(UNMATCHED_TTL_SECS) > now);
    }

    /// When the next entry falls due, or `None` once nothing is held.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        let a = self.held.iter().map(|h| h.until.plus_secs(GRACE_SECS));
        let b = self
            .unmatched
            .iter()
            .map(|u| u.received_at.plus_secs(UNMATCHED_TTL_SECS));
        let c = self
            .calls
            .iter()
            .map(|c| c.at.plus_secs(UNMATCHED_TTL_SECS));
        a.chain(b).chain(c).min()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn busy_lines_say_how_long_and_test_lines_stand_apart() {
        let now = crate::Timestamp(10_000);
        let soon = super::Busy::Taken {
            free_at: crate::Timestamp(12_001),
        };
        assert_eq!(soon.refusal("s", now), crate::ApiError::LinesBusy(3));
        let past = super::Busy::Taken {
            free_at: crate::Timestamp(9_000),
        };
        assert_eq!(past.refusal("s", now), crate::ApiError::LinesBusy(1));
        assert!(matches!(
            super::Busy::NoPool.refusal("s", now),
            crate::ApiError::Internal(_)
        ));
        assert_eq!(super::object_name("+447400123456", false), "+447400123456");
        assert_eq!(
            super::object_name("+447400123456", true),
            "test:+447400123456"
        );
    }

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
            client: id,
            until: now.plus_secs(600),
            max_pending: 3,
        };
        l.reserve(&r, &mut Seeded(now.millis()), now)
    }

    #[test]
    fn a_call_routes_to_the_verification_that_showed_the_number() {
        let mut l = Lines::default();
        let n = reserve(&mut l, &pool(), "v1", T).unwrap();
        assert!(!l.held[0].released);
        assert_eq!(l.route(&n, None, T.plus_secs(5)).as_deref(), Some("v1"));
        assert!(l.held[0].released, "the call frees the caller's allowance");
        assert_eq!(
            l.route(&n, None, T.plus_secs(6)).as_deref(),
            Some("v1"),
            "and a repeat still finds it"
        );
        let other = pool().into_iter().find(|p| *p != n).unwrap();
        assert_eq!(l.route(&other, None, T.plus_secs(5)), None);
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
        assert_eq!(
            l.route(&victim, None, T.plus_secs(20)).as_deref(),
            Some("victim")
        );
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
        // A repeated report still finds it, and no new verification may take the pair until
        // it has expired: a repeat can never verify someone else's verification.
        assert_eq!(l.route(&n, None, T.plus_secs(102)).as_deref(), Some("v1"));
        let one = [n.clone()];
        assert_eq!(
            reserve(&mut l, &one, "v2", T.plus_secs(103)),
            Err(Busy::Taken {
                free_at: T.plus_secs(760)
            })
        );
        assert_eq!(l.route(&n, None, T.plus_secs(104)).as_deref(), Some("v1"));
        // The released allowance is back: another number of the pool is given at once.
        assert!(reserve(&mut l, &pool(), "v3", T.plus_secs(105)).is_ok());
        assert_eq!(reserve(&mut l, &one, "v2", T.plus_secs(761)), Ok(n.clone()));
    }

    #[test]
    fn a_cancelled_reservation_leaves_nothing_held() {
        let mut l = Lines::default();
        let one = pool()[..1].to_vec();
        let n = reserve(&mut l, &one, "refused", T).unwrap();
        l.cancel("refused", &n, T.plus_secs(1));
        assert!(l.held.is_empty());
        assert_eq!(reserve(&mut l, &one, "next", T.plus_secs(2)), Ok(n.clone()));
        // Only that verification's hold on that number goes.
        l.cancel("refused", &n, T.plus_secs(3));
        assert_eq!(l.route(&n, None, T.plus_secs(4)).as_deref(), Some("next"));
    }

    #[test]
    fn a_providers_repeated_report_goes_where_the_first_went() {
        let mut l = Lines::default();
        let n = reserve(&mut l, &pool(), "v1", T).unwrap();
        assert_eq!(l.route(&n, Some("CA1"), T).as_deref(), Some("v1"));
        l.release("v1", T.plus_secs(1));
        l.prune(T.plus_secs(661));
        assert!(l.held.is_empty());
        let again = reserve(&mut l, std::slice::from_ref(&n), "v2", T.plus_secs(662)).unwrap();
        assert_eq!(again, n);
        assert_eq!(
            l.route(&n, Some("CA1"), T.plus_secs(663)).as_deref(),
            Some("v1"),
            "the retry of the first call"
        );
        assert_eq!(
            l.route(&n, Some("CA2"), T.plus_secs(664)).as_deref(),
            Some("v2")
        );
        for i in 0..(CALLS_KEPT + 5) {
            l.route(&n, Some(&format!("X{i}")), T.plus_secs(665));
        }
        assert_eq!(l.calls.len(), CALLS_KEPT);
    }

    /// A call made before any verification waited for it, reported again once one does,
    /// is still the call that matched nothing.
    #[test]
    fn a_replayed_unmatched_call_matches_nothing_later() {
        let mut l = Lines::default();
        let n = pool()[0].clone();
        assert_eq!(l.route(&n, Some("CA-early"), T), None);
        reserve(&mut l, std::slice::from_ref(&n), "v1", T.plus_secs(5)).unwrap();
        assert_eq!(l.route(&n, Some("CA-early"), T.plus_secs(6)), None);
        assert_eq!(
            l.route(&n, Some("CA-now"), T.plus_secs(7)).as_deref(),
            Some("v1")
        );
    }

    #[test]
    fn one_client_holds_two_lines_of_a_caller_over_every_site() {
        let big: Vec<String> = (0..50).map(|i| format!("+44{i}")).collect();
        let mut l = Lines::default();
        for (i, site) in ["a", "b", "c"].iter().enumerate() {
            let r = Reservation {
                pool: &big,
                verification_id: &format!("v{i}"),
                site_key: site,
                client: "2001:db8:1:2::/64",
                until: T.plus_secs(600),
                max_pending: 3,
            };
            let got = l.reserve(&r, &mut Seeded(i as u64), T);
            assert_eq!(got.is_ok(), i < CLIENT_HELD_MAX, "{i}: {got:?}");
        }
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
            client: "elsewhere",
            until: T.plus_secs(600),
            max_pending: 3,
        };
        assert!(l.reserve(&r, &mut Seeded(1), T).is_ok());
        // The hard bound holds whatever a site allows.
        let huge: Vec<String> = (0..HELD_MAX + 50)
            .map(|i| format!("+447700{i:06}"))
            .collect();
        let mut m = Lines::default();
        for i in 0..(HELD_MAX + 5) {
            let r = Reservation {
                pool: &huge,
                verification_id: &format!("v{i}"),
                site_key: "site",
                client: &format!("c{i}"),
                until: T.plus_secs(600),
                max_pending: 1000,
            };
            let _ = m.reserve(&r, &mut Seeded(i as u64), T);
        }
        assert_eq!(m.held.len(), HELD_MAX);
        assert!(serde_json::to_string(&m).unwrap().len() < 64 * 1024);
        assert_eq!(reserve(&mut m, &[], "x", T), Err(Busy::NoPool));
    }

    #[test]
    fn everything_expires() {
        let mut l = Lines::default();
        reserve(&mut l, &pool(), "v1", T).unwrap();
        l.route("+9", None, T);
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
            l.route(&format!("+{i}"), None, T);
        }
        assert_eq!(l.unmatched.len(), UNMATCHED_KEPT);
    }
}
