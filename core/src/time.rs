//! Timestamps as milliseconds since the Unix epoch. The clock is read by the caller (the Worker
//! has `Date.now()`, tests pick any instant), never here: `SystemTime::now` does not exist in
//! wasm32-unknown-unknown.

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

    /// RFC 3339 in UTC with second precision, e.g. `2026-11-23T06:05:08Z`.
    pub fn to_rfc3339(self) -> String {
        let secs = self.secs();
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (y, m, d) = civil_from_days(days as i64);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }

    /// RFC 2616 (HTTP) date, e.g. `Mon, 23 Nov 2026 06:05:08 GMT`: what TeleSign signs.
    pub fn to_rfc2616(self) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let secs = self.secs();
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (y, m, d) = civil_from_days(days as i64);
        format!(
            "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
            // 1970-01-01 was a Thursday.
            DAYS[(days % 7) as usize],
            MONTHS[(m - 1) as usize],
            rem / 3600,
            (rem % 3600) / 60,
            rem % 60
        )
    }

    /// Reads RFC 3339 date-times (`Z` or a numeric offset; fractions of a second are dropped).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let t = s.get(r)?;
            t.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| t.parse().ok())?
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if b[13] != b':' || b[16] != b':' || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
            return None;
        }
        if h > 23 || mi > 59 || se > 60 {
            return None;
        }
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return None;
            }
            rest = &frac[n..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
                let sign = match rest.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let oh: i64 = rest[1..3].parse().ok()?;
                let om: i64 = rest[4..6].parse().ok()?;
                sign * (oh * 3600 + om * 60)
            }
            _ => return None,
        };
        let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset;
        u64::try_from(secs).ok().map(Timestamp::from_secs)
    }
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
