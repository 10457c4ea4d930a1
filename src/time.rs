//! Time as the core sees it: a value passed in, never read from a clock.
//!
//! Every command and every lookup takes the current time as an argument, which keeps the core
//! deterministic: replaying the same events and queries with the same times gives the same answers.
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in time: whole seconds since the Unix epoch (UTC).
///
/// Seconds are fine-grained enough for binding lifetimes and quarantines, and a `u64` of them is
/// what the switch's own clock hands over without conversion.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

/// China Standard Time is UTC+8 all year (no daylight saving), which is what time-of-day windows use.
const BEIJING_OFFSET_SECS: u64 = 8 * 3600;

impl Timestamp {
    /// The latest representable time, used as "never expires".
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// A time from seconds since the Unix epoch.
    pub const fn from_unix_secs(secs: u64) -> Self {
        Timestamp(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_secs(self) -> u64 {
        self.0
    }

    /// This time plus `secs` seconds, saturating at [`Timestamp::MAX`].
    pub const fn plus_secs(self, secs: u64) -> Self {
        Timestamp(self.0.saturating_add(secs))
    }

    /// Minutes since midnight in Beijing time (0..1440), for time-of-day windows.
    pub const fn beijing_minute_of_day(self) -> u16 {
        ((self.0.wrapping_add(BEIJING_OFFSET_SECS) % 86_400) / 60) as u16
    }
}

/// The civil (proleptic Gregorian) date of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub(crate) const fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, e.g. `2026-01-01T00:00:00Z`, as logs and reports want it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, secs) = (self.0 / 86_400, self.0 % 86_400);
        if days > 100_000_000 {
            // Far beyond any real date (e.g. Timestamp::MAX, "never"): print the raw seconds.
            return write!(f, "@{}", self.0);
        }
        let (y, mo, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_minute_of_day_is_utc_plus_eight() {
        // 2026-01-01T00:00:00Z is 08:00 in Beijing.
        assert_eq!(
            Timestamp::from_unix_secs(1_767_225_600).beijing_minute_of_day(),
            8 * 60
        );
        // 16:30Z is 00:30 the next day in Beijing.
        let t = Timestamp::from_unix_secs(1_767_225_600 + 16 * 3600 + 30 * 60);
        assert_eq!(t.beijing_minute_of_day(), 30);
    }

    #[test]
    fn displays_as_rfc3339_utc() {
        assert_eq!(
            Timestamp::from_unix_secs(0).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix_secs(1_767_225_600).to_string(),
            "2026-01-01T00:00:00Z"
        );
        // A leap day.
        assert_eq!(
            Timestamp::from_unix_secs(1_709_210_096).to_string(),
            "2024-02-29T12:34:56Z"
        );
        assert_eq!(Timestamp::MAX.to_string(), format!("@{}", u64::MAX));
    }

    #[test]
    fn plus_secs_saturates() {
        assert_eq!(Timestamp::MAX.plus_secs(1), Timestamp::MAX);
        assert_eq!(Timestamp::from_unix_secs(5).plus_secs(7).unix_secs(), 12);
    }
}
