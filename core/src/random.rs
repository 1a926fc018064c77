//! Randomness comes from the caller: `crypto.getRandomValues` in the Worker, a seeded source in
//! tests. Identifiers and secrets are random bytes spelled in unpadded base64url.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// A cryptographically secure source of random bytes.
pub trait Randomness {
    fn fill(&mut self, buf: &mut [u8]);

    /// `n` random bytes as unpadded base64url.
    fn token(&mut self, n: usize) -> String {
        let mut b = vec![0u8; n];
        self.fill(&mut b);
        URL_SAFE_NO_PAD.encode(b)
    }

    /// Uniform in `0..n`, by rejection so no value is favoured.
    fn below(&mut self, n: u32) -> u32 {
        assert!(n > 0);
        let zone = u32::MAX - (u32::MAX % n);
        loop {
            let mut b = [0u8; 4];
            self.fill(&mut b);
            let v = u32::from_le_bytes(b);
            if v < zone {
                return v % n;
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    /// Deterministic bytes for tests (xorshift); never used outside them.
    pub struct Seeded(pub u64);

    impl super::Randomness for Seeded {
        fn fill(&mut self, buf: &mut [u8]) {
            for b in buf {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                *b = self.0 as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{testing::Seeded, Randomness};

    #[test]
    fn tokens_have_the_expected_length_and_alphabet() {
        let t = Seeded(7).token(16);
        assert_eq!(t.len(), 22);
        assert!(t
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(t, Seeded(8).token(16));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Seeded(1);
        let mut seen = [false; 5];
        for _ in 0..200 {
            seen[r.below(5) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
