//! How many codes one phone number may be sent, across verifications and sites' pages: a
//! verification caps its own sends, but a script can start many verifications, and every SMS
//! or call costs money (SMS pumping). A rolling window per number stops that.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The rolling window the per-number limit counts over.
pub const WINDOW_SECS: u64 = 3600;

/// Sends to one number within the last [`WINDOW_SECS`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendWindow {
    sends: Vec<Timestamp>,
}

impl SendWindow {
    /// Takes a send if fewer than `limit` were taken in the window; otherwise says how many
    /// seconds until one frees up.
    pub fn take(&mut self, limit: u32, now: Timestamp) -> Result<(), u64> {
        self.prune(now);
        if self.sends.len() < limit as usize {
            self.sends.push(now);
            return Ok(());
        }
        let oldest = self.sends.first().copied().unwrap_or(now);
        let frees_at = oldest.plus_secs(WINDOW_SECS);
        Err((frees_at.millis().saturating_sub(now.millis()))
            .div_ceil(1000)
            .max(1))
    }

    fn prune(&mut self, now: Timestamp) {
        self.sends.retain(|t| t.plus_secs(WINDOW_SECS) > now);
    }

    /// When the window will be empty, so its record can go; `None` if it is already.
    pub fn empty_at(&self) -> Option<Timestamp> {
        self.sends.last().map(|t| t.plus_secs(WINDOW_SECS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_795_413_908_000);

    #[test]
    fn allows_the_limit_then_says_when() {
        let mut w = SendWindow::default();
        for i in 0..3 {
            assert_eq!(w.take(3, T0.plus_secs(i)), Ok(()));
        }
        assert_eq!(w.take(3, T0.plus_secs(10)), Err(WINDOW_SECS - 10));
        assert_eq!(
            w.take(3, T0.plus_secs(WINDOW_SECS)),
            Ok(()),
            "the oldest aged out"
        );
        assert_eq!(w.empty_at(), Some(T0.plus_secs(2 * WINDOW_SECS)));
    }

    #[test]
    fn a_zero_limit_refuses_everything() {
        assert!(SendWindow::default().take(0, T0).is_err());
    }
}
