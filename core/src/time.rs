//! Timestamps as milliseconds since the Unix epoch. The clock is read by the caller (the Worker
//! has `Date.now()`, tests pick any instant), never here: `SystemTime::now` does not exist in
//! wasm32-unknown-unknown.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn from_secs(s: u64) -> Self {
        Timestamp(s * 1000)
    }

    pub fn millis(self) -> u64 {
        self.0
    }

    pub fn secs(self) -> u64 {
        self.0 / 1000
    }

    pub fn plus_secs(self, s: u64) -> Self {
        Timestamp(self.0 + s * 1000)
    }

    /// The next whole second (this one, if already whole): a deadline shown to the second
    /// must never read as passed before it has.
    pub fn ceil_secs(self) -> Self {
        Timestamp(self.0.div_ceil(1000) * 1000)
    }

    /// RFC 3339 in UTC with second precision, e.g. `2026-11-23T06:05:08Z`.
    pub fn to_rfc3339(self) -> String {
        self.utc().to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// The UTC day, `2026-11-23`.
    pub fn date(self) -> String {
        self.utc().format("%Y-%m-%d").to_string()
    }

    /// RFC 2616 (HTTP) date, e.g. `Mon, 23 Nov 2026 06:05:08 GMT`: what TeleSign signs.
    pub fn to_rfc2616(self) -> String {
        self.utc().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    }

    /// Reads RFC 3339 date-times (`Z` or a numeric offset; fractions of a second are dropped).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = DateTime::parse_from_rfc3339(s).ok()?;
        u64::try_from(t.timestamp()).ok().map(Timestamp::from_secs)
    }

    fn utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp(i64::try_from(self.secs()).unwrap_or(i64::MAX), 0)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_secs(1_795_413_908).to_rfc3339(),
            "2026-11-23T06:05:08Z"
        );
        assert_eq!(Timestamp::from_secs(1_795_413_908).date(), "2026-11-23");
        assert_eq!(
            Timestamp::from_secs(951_782_400).to_rfc3339(),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn parse_round_trips_and_honours_offsets() {
        for s in [0u64, 951_782_400, 1_795_413_908, 4_102_444_799] {
            let t = Timestamp::from_secs(s);
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-23T11:35:08.123+05:30"),
            Timestamp::parse_rfc3339("2026-11-23T06:05:08Z")
        );
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            Timestamp::from_secs(0).to_rfc2616(),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        // Checked against Python's email.utils.formatdate(1795413908, usegmt=True).
        assert_eq!(
            Timestamp::from_secs(1_795_413_908).to_rfc2616(),
            "Mon, 23 Nov 2026 06:05:08 GMT"
        );
    }

    #[test]
    fn parse_rejects_garbage() {
        for s in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-23T06:05:08",
            "2026-11-23T6:05:08Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s), None, "{s}");
        }
    }
}
