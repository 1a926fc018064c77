//! A proof of work before any paid send, in ALTCHA's model: the edge hands out a signed
//! challenge (`SHA-256(salt ‖ number)` for a secret random number up to `maxnumber`), the
//! widget finds the number, and the edge checks the signature, the expiry, the site and the
//! hash without keeping any state but a note that the challenge was spent. Self-hosted and
//! offline: no third party sees the visitor.

use crate::random::Randomness;
use crate::secret::{hex, hmac};
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
    /// Not base64 JSON of a solution, or another algorithm.
    Malformed,
    /// Not signed by this deployment, or for another site.
    Forged,
    Expired,
    /// The number does not solve the challenge.
    Wrong,
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

/// A challenge for a page of `site_key`. `key` is the deployment's proof key.
pub fn issue(
    key: &[u8],
    site_key: &str,
    max_number: u64,
    rng: &mut impl Randomness,
    now: Timestamp,
) -> PowChallenge {
    let expires = now.plus_secs(CHALLENGE_TTL_SECS).millis() / 1000;
    let salt = format!("{}?expires={expires}&site={site_key}", rng.token(12));
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

/// Checks `payload` (base64 JSON of a [`PowSolution`], as ALTCHA's widget submits it) for a
/// page of `site_key` at `now`.
pub fn verify(
    key: &[u8],
    payload: &str,
    site_key: &str,
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
    if param("site") != Some(site_key) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::testing::Seeded;

    const KEY: &[u8] = b"pow key";
    const T0: Timestamp = Timestamp(1_795_413_908_000);

    fn solved(site: &str, max: u64) -> (PowChallenge, String) {
        let c = issue(KEY, site, max, &mut Seeded(7), T0);
        let s = solve(&c).expect("solvable");
        (c, encode(&s))
    }

    #[test]
    fn a_solved_challenge_verifies_once_for_its_site_until_it_expires() {
        let (c, proof) = solved("rp_site_a", 5_000);
        let ok = verify(KEY, &proof, "rp_site_a", T0.plus_secs(1)).unwrap();
        assert_eq!(ok.challenge, c.challenge);
        assert_eq!(ok.expires_at, T0.plus_secs(CHALLENGE_TTL_SECS));
        assert_eq!(
            verify(KEY, &proof, "rp_site_b", T0),
            Err(ProofError::Forged),
            "another site's proof"
        );
        assert_eq!(
            verify(KEY, &proof, "rp_site_a", T0.plus_secs(CHALLENGE_TTL_SECS)),
            Err(ProofError::Expired)
        );
        assert_eq!(
            verify(b"other key", &proof, "rp_site_a", T0),
            Err(ProofError::Forged)
        );
    }

    #[test]
    fn wrong_numbers_and_forged_challenges_fail() {
        let (c, _) = solved("s", 2_000);
        let mut s = solve(&c).unwrap();
        s.number = s.number.wrapping_add(1);
        assert_eq!(verify(KEY, &encode(&s), "s", T0), Err(ProofError::Wrong));
        // A challenge of the attacker's own (an easy number) is not signed by us.
        let mut easy = solve(&c).unwrap();
        easy.salt = "x?expires=9999999999&site=s".into();
        easy.number = 0;
        easy.challenge = hex(&hash(&easy.salt, 0));
        assert_eq!(
            verify(KEY, &encode(&easy), "s", T0),
            Err(ProofError::Forged)
        );
        for bad in ["", "!!!", "bnVsbA==", &"A".repeat(5000)] {
            assert_eq!(
                verify(KEY, bad, "s", T0),
                Err(ProofError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_number_is_within_the_sites_difficulty() {
        for seed in 0..20 {
            let c = issue(KEY, "s", 1_000, &mut Seeded(seed), T0);
            assert!(solve(&c).unwrap().number <= 1_000);
        }
    }
}
