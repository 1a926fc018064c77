//! A proof of work before any paid send, in ALTCHA's model: the edge hands out a signed
//! challenge (`SHA-256(salt ‖ number)` for a secret random number up to `maxnumber`), the
//! widget finds the number, and the edge checks the signature, the expiry, the site and the
//! hash without keeping any state but a note that the challenge was spent. Self-hosted and
//! offline: no third party sees the visitor.

use crate::random::Randomness;
use crate::secret::{hex, hmac};
use crate::throttle::Rule;
use crate::time::Timestamp;
use base64::Engine;
use ringproof_api::{PowChallenge, PowSolution};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const ALGORITHM: &str = "SHA-256";
/// How long a challenge may be solved and used.
pub const CHALLENGE_TTL_SECS: u64 = 600;

/// Why a solution is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    /// None came (or an empty one).
    Missing,
    /// Not base64 JSON of a solution, or another algorithm.
    Malformed,
    /// Not signed by this deployment, or for another site.
    Forged,
    Expired,
    /// The number does not solve the challenge.
    Wrong,
}

impl ProofError {
    /// What the page is told: to fetch a challenge, or that this proof buys nothing.
    pub fn error(self) -> crate::ApiError {
        match self {
            ProofError::Missing => crate::ApiError::ProofRequired,
            _ => crate::ApiError::ProofInvalid,
        }
    }
}

/// What a challenge is bound to: a solution is accepted only where all of it matches, so
/// work done by one client (or for one verification) pays for nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    pub site_key: &'a str,
    /// The client's network (see `crate::client`).
    pub client: &'a str,
    /// For a resend or a switch: the verification it is for. `None` for a start.
    pub verification: Option<&'a str>,
}

/// Recent paid sends and refusals of a site that double its difficulty: mCaptcha's idea, work
/// that grows with pressure and falls back when calm.
pub const PRESSURE_STEP: u32 = 50;
/// At most this many doublings: 8 times a site's own difficulty, about a second in the widget
/// at the default, so an honest visitor under attack still gets through.
pub const PRESSURE_DOUBLINGS_MAX: u32 = 3;
/// The window pressure is counted over.
pub const PRESSURE_WINDOW_SECS: u64 = 600;

/// The difficulty (`maxnumber`) of a site whose own is `base`, after `recent` paid sends and
/// refusals in the last [`PRESSURE_WINDOW_SECS`]: doubled every [`PRESSURE_STEP`], at most
/// [`PRESSURE_DOUBLINGS_MAX`] times and never above the highest a site may choose.
pub fn difficulty(base: u64, recent: u32) -> u64 {
    let doublings = (recent / PRESSURE_STEP).min(PRESSURE_DOUBLINGS_MAX);
    base.saturating_mul(1 << doublings)
        .min(crate::limits::POW_MAX_NUMBER_RANGE.1)
        .max(base)
}

/// How long a site's pressure, once read, stands for its challenges in one isolate. A
/// challenge costs nothing and needs no proof, so without this a stranger's script could queue
/// reads in the site's object in front of the site's paid sends; a second's lag in the
/// difficulty is nothing against a window of ten minutes.
pub const PRESSURE_READ_SECS: u64 = 1;
/// Sites whose pressure one isolate remembers at once.
pub const PRESSURE_READS_KEPT: usize = 256;

/// Sites' pressure as one isolate last read it.
#[derive(Debug, Default)]
pub struct PressureReads {
    reads: Vec<(String, u32, Timestamp)>,
}

impl PressureReads {
    /// The pressure of `site_key` read less than [`PRESSURE_READ_SECS`] ago.
    pub fn fresh(&self, site_key: &str, now: Timestamp) -> Option<u32> {
        self.reads
            .iter()
            .find(|(site, _, at)| site == site_key && now < at.plus_secs(PRESSURE_READ_SECS))
            .map(|(_, recent, _)| *recent)
    }

    /// Remembers a read, forgetting the oldest when [`PRESSURE_READS_KEPT`] are kept.
    pub fn remember(&mut self, site_key: &str, recent: u32, now: Timestamp) {
        self.reads.retain(|(site, _, _)| site != site_key);
        if self.reads.len() >= PRESSURE_READS_KEPT {
            if let Some(oldest) = (0..self.reads.len()).min_by_key(|i| self.reads[*i].2) {
                self.reads.swap_remove(oldest);
            }
        }
        self.reads.push((site_key.to_owned(), recent, now));
    }
}

/// The client's network as a challenge carries it: short, and not the address itself.
fn client_tag(client: &str) -> String {
    hex(&Sha256::digest(client.as_bytes())[..8])
}

/// A proof that passed: what the edge must mark spent, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub challenge: String,
    pub expires_at: Timestamp,
}

/// The key challenges are signed with, derived from the token key so a deployment has one
/// secret fewer to manage, and distinct from every other use of it.
pub fn key(token_key: &[u8]) -> Vec<u8> {
    hmac(token_key, &[b"ringproof proof-of-work challenges v1"]).to_vec()
}

fn sign(key: &[u8], challenge: &str) -> String {
    hex(&hmac(key, &[challenge.as_bytes()]))
}

fn hash(salt: &str, number: u64) -> [u8; 32] {
    Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update(number.to_string().as_bytes())
        .finalize()
        .into()
}

/// A challenge bound to `to`. `key` is the deployment's proof key.
pub fn issue(
    key: &[u8],
    to: Binding<'_>,
    max_number: u64,
    rng: &mut impl Randomness,
    now: Timestamp,
) -> PowChallenge {
    let expires = now.plus_secs(CHALLENGE_TTL_SECS).millis() / 1000;
    let mut salt = format!(
        "{}?expires={expires}&site={}&client={}",
        rng.token(12),
        to.site_key,
        client_tag(to.client)
    );
    if let Some(v) = to.verification {
        salt.push_str("&verification=");
        salt.push_str(v);
    }
    let number = u64::from(rng.below(u32::try_from(max_number + 1).unwrap_or(u32::MAX)));
    let challenge = hex(&hash(&salt, number));
    PowChallenge {
        algorithm: ALGORITHM.to_owned(),
        signature: sign(key, &challenge),
        challenge,
        maxnumber: max_number,
        salt,
    }
}

/// A page's proof as it came with its request (`None` or empty: none), checked as [`verify`].
pub fn check(
    key: &[u8],
    presented: Option<&str>,
    to: Binding<'_>,
    now: Timestamp,
) -> Result<Proof, ProofError> {
    let payload = presented
        .filter(|p| !p.is_empty())
        .ok_or(ProofError::Missing)?;
    verify(key, payload, to, now)
}

/// Checks `payload` (base64 JSON of a [`PowSolution`], as ALTCHA's widget submits it) for
/// what it is presented for, at `now`.
pub fn verify(
    key: &[u8],
    payload: &str,
    to: Binding<'_>,
    now: Timestamp,
) -> Result<Proof, ProofError> {
    if payload.len() > 2048 {
        return Err(ProofError::Malformed);
    }
    let json = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|_| ProofError::Malformed)?;
    let s: PowSolution = serde_json::from_slice(&json).map_err(|_| ProofError::Malformed)?;
    if s.algorithm != ALGORITHM {
        return Err(ProofError::Malformed);
    }
    let expected = sign(key, &s.challenge);
    if !bool::from(expected.as_bytes().ct_eq(s.signature.as_bytes())) {
        return Err(ProofError::Forged);
    }
    // The salt is covered by the challenge, which is covered by the signature.
    let params = s.salt.split_once('?').map_or("", |(_, q)| q);
    let param = |name: &str| {
        params
            .split('&')
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
    };
    let bound = param("site") == Some(to.site_key)
        && param("client") == Some(client_tag(to.client).as_str())
        && param("verification") == to.verification;
    if !bound {
        return Err(ProofError::Forged);
    }
    let expires_at = param("expires")
        .and_then(|e| e.parse::<u64>().ok())
        .map(Timestamp::from_secs)
        .ok_or(ProofError::Malformed)?;
    if now >= expires_at {
        return Err(ProofError::Expired);
    }
    if hex(&hash(&s.salt, s.number)) != s.challenge {
        return Err(ProofError::Wrong);
    }
    Ok(Proof {
        challenge: s.challenge,
        expires_at,
    })
}

/// Finds the number, as the widget does: for tests, the bench and site owners' own tools.
pub fn solve(c: &PowChallenge) -> Option<PowSolution> {
    let target = (0..c.challenge.len() / 2)
        .map(|i| u8::from_str_radix(c.challenge.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let number = (0..=c.maxnumber).find(|n| hash(&c.salt, *n)[..] == target[..])?;
    Some(PowSolution {
        algorithm: c.algorithm.clone(),
        challenge: c.challenge.clone(),
        number,
        salt: c.salt.clone(),
        signature: c.signature.clone(),
    })
}

/// A solution as the widget submits it.
pub fn encode(s: &PowSolution) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(serde_json::to_vec(s).expect("a solution serialises"))
}

/// The window of a site's object (`limits::site_object`) that its difficulty follows, and its
/// rule: paid sends and refusals in the last [`PRESSURE_WINDOW_SECS`].
pub fn pressure() -> (String, Rule) {
    (
        "pressure".to_owned(),
        Rule::per(crate::throttle::HITS_MAX, PRESSURE_WINDOW_SECS),
    )
}

/// A checked proof as its client's object spends it (`limits::client_object`): once, and
/// remembered for as long as it could be presented.
pub fn spend(checked: &Proof) -> crate::throttle::Once {
    crate::throttle::Once {
        key: format!("proof:{}", checked.challenge),
        until: checked.expires_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::testing::Seeded;

    const KEY: &[u8] = b"pow key";
    const T0: Timestamp = Timestamp(1_795_413_908_000);

    fn to(site: &str) -> Binding<'_> {
        Binding {
            site_key: site,
            client: "198.51.100.7",
            verification: None,
        }
    }

    fn solved(site: &str, max: u64) -> (PowChallenge, String) {
        let c = issue(KEY, to(site), max, &mut Seeded(7), T0);
        let s = solve(&c).expect("solvable");
        (c, encode(&s))
    }

    #[test]
    fn a_solved_challenge_verifies_once_for_its_site_until_it_expires() {
        let (c, proof) = solved("rp_site_a", 5_000);
        let ok = verify(KEY, &proof, to("rp_site_a"), T0.plus_secs(1)).unwrap();
        assert_eq!(ok.challenge, c.challenge);
        assert_eq!(ok.expires_at, T0.plus_secs(CHALLENGE_TTL_SECS));
        assert_eq!(
            verify(KEY, &proof, to("rp_site_b"), T0),
            Err(ProofError::Forged),
            "another site's proof"
        );
        assert_eq!(
            verify(
                KEY,
                &proof,
                to("rp_site_a"),
                T0.plus_secs(CHALLENGE_TTL_SECS)
            ),
            Err(ProofError::Expired)
        );
        assert_eq!(
            verify(b"other key", &proof, to("rp_site_a"), T0),
            Err(ProofError::Forged)
        );
    }

    #[test]
    fn wrong_numbers_and_forged_challenges_fail() {
        let (c, _) = solved("s", 2_000);
        let mut s = solve(&c).unwrap();
        s.number = s.number.wrapping_add(1);
        assert_eq!(
            verify(KEY, &encode(&s), to("s"), T0),
            Err(ProofError::Wrong)
        );
        // A challenge of the attacker's own (an easy number) is not signed by us.
        let mut easy = solve(&c).unwrap();
        easy.salt = "x?expires=9999999999&site=s".into();
        easy.number = 0;
        easy.challenge = hex(&hash(&easy.salt, 0));
        assert_eq!(
            verify(KEY, &encode(&easy), to("s"), T0),
            Err(ProofError::Forged)
        );
        for bad in ["", "!!!", "bnVsbA==", &"A".repeat(5000)] {
            assert_eq!(
                verify(KEY, bad, to("s"), T0),
                Err(ProofError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_proof_pays_only_for_the_client_and_verification_it_was_fetched_for() {
        let (_, proof) = solved("s", 2_000);
        let other_client = Binding {
            client: "203.0.113.9",
            ..to("s")
        };
        assert_eq!(
            verify(KEY, &proof, other_client, T0),
            Err(ProofError::Forged)
        );
        let for_resend = Binding {
            verification: Some("v1"),
            ..to("s")
        };
        assert_eq!(
            verify(KEY, &proof, for_resend, T0),
            Err(ProofError::Forged),
            "a start's proof buys no resend"
        );
        let c = issue(KEY, for_resend, 2_000, &mut Seeded(3), T0);
        let resend = encode(&solve(&c).unwrap());
        assert!(verify(KEY, &resend, for_resend, T0).is_ok());
        let other = Binding {
            verification: Some("v2"),
            ..to("s")
        };
        assert_eq!(verify(KEY, &resend, other, T0), Err(ProofError::Forged));
        assert_eq!(verify(KEY, &resend, to("s"), T0), Err(ProofError::Forged));
    }

    #[test]
    fn a_missing_proof_asks_for_a_challenge_and_a_bad_one_buys_nothing() {
        assert_eq!(check(KEY, None, to("s"), T0), Err(ProofError::Missing));
        assert_eq!(check(KEY, Some(""), to("s"), T0), Err(ProofError::Missing));
        assert_eq!(ProofError::Missing.error(), crate::ApiError::ProofRequired);
        for refused in [
            ProofError::Malformed,
            ProofError::Forged,
            ProofError::Expired,
            ProofError::Wrong,
        ] {
            assert_eq!(refused.error(), crate::ApiError::ProofInvalid);
        }
        let (_, proof) = solved("s", 2_000);
        assert!(check(KEY, Some(&proof), to("s"), T0).is_ok());
        assert_eq!(
            check(KEY, Some("garbage"), to("s"), T0),
            Err(ProofError::Malformed)
        );
    }

    #[test]
    fn a_pressure_read_stands_for_a_second_and_only_so_many_sites_are_kept() {
        let mut reads = PressureReads::default();
        assert_eq!(reads.fresh("a", T0), None);
        reads.remember("a", 70, T0);
        assert_eq!(reads.fresh("a", T0.plus_secs(0)), Some(70));
        assert_eq!(reads.fresh("b", T0), None, "per site");
        assert_eq!(reads.fresh("a", T0.plus_secs(PRESSURE_READ_SECS)), None);
        reads.remember("a", 71, T0.plus_secs(1));
        assert_eq!(reads.fresh("a", T0.plus_secs(1)), Some(71), "replaced");
        for i in 0..PRESSURE_READS_KEPT {
            reads.remember(&format!("s{i}"), 1, T0.plus_secs(2));
        }
        assert_eq!(reads.reads.len(), PRESSURE_READS_KEPT);
        assert_eq!(reads.fresh("a", T0.plus_secs(1)), None, "the oldest went");
    }

    #[test]
    fn difficulty_grows_with_pressure_and_falls_back() {
        assert_eq!(difficulty(200_000, 0), 200_000);
        assert_eq!(difficulty(200_000, PRESSURE_STEP - 1), 200_000);
        assert_eq!(difficulty(200_000, PRESSURE_STEP), 400_000);
        assert_eq!(difficulty(200_000, 3 * PRESSURE_STEP), 1_600_000);
        assert_eq!(difficulty(200_000, 5000), 1_600_000, "eight times at most");
        assert_eq!(
            difficulty(5_000_000, 5000),
            10_000_000,
            "within the sites' range"
        );
        assert_eq!(
            difficulty(20_000_000, 0),
            20_000_000,
            "never below the site's own"
        );
    }

    #[test]
    fn the_number_is_within_the_sites_difficulty() {
        for seed in 0..20 {
            let c = issue(KEY, to("s"), 1_000, &mut Seeded(seed), T0);
            assert!(solve(&c).unwrap().number <= 1_000);
        }
    }
}
