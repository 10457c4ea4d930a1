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

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.0)
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
    fn plus_secs_saturates() {
        assert_eq!(Timestamp::MAX.plus_secs(1), Timestamp::MAX);
        assert_eq!(Timestamp::from_unix_secs(5).plus_secs(7).unix_secs(), 12);
    }
}
