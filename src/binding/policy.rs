//! A binding's policy: which media, which direction, which callers, when, and whether to record.
#![forbid(unsafe_code)]

use crate::number::SubscriberNumber;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What a request to a 700 number carries.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Media {
    /// A voice call.
    Voice,
    /// A short message.
    Sms,
}

/// A set of [`Media`], as a policy allows them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MediaSet {
    /// Voice calls allowed.
    pub voice: bool,
    /// SMS allowed.
    pub sms: bool,
}

impl MediaSet {
    /// Voice and SMS.
    pub const ALL: MediaSet = MediaSet {
        voice: true,
        sms: true,
    };
    /// Voice only.
    pub const VOICE_ONLY: MediaSet = MediaSet {
        voice: true,
        sms: false,
    };
    /// SMS only.
    pub const SMS_ONLY: MediaSet = MediaSet {
        voice: false,
        sms: true,
    };

    /// Whether `media` is in the set.
    pub const fn allows(self, media: Media) -> bool {
        match media {
            Media::Voice => self.voice,
            Media::Sms => self.sms,
        }
    }

    /// Whether the set is empty (a binding that could carry nothing is refused).
    pub const fn is_empty(self) -> bool {
        !self.voice && !self.sms
    }
}

impl Default for MediaSet {
    fn default() -> Self {
        MediaSet::ALL
    }
}

/// Which way calls may go through a binding.
///
/// The "A side" is A in AXB, AXN and AXYB and the group in GXB; the "B side" is B, or in AXN
/// everyone who reaches A through X (and N, whom A reaches).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Direction {
    /// Both ways.
    #[default]
    Both,
    /// Only calls from the A side to the B side.
    AToBOnly,
    /// Only calls from the B side to the A side.
    BToAOnly,
}

impl Direction {
    /// Whether a call from the given side is allowed.
    pub const fn allows(self, from_a_side: bool) -> bool {
        match self {
            Direction::Both => true,
            Direction::AToBOnly => from_a_side,
            Direction::BToAOnly => !from_a_side,
        }
    }
}

/// A daily time-of-day window in Beijing time (UTC+8), `[start, end)` in minutes since midnight;
/// a window whose start is after its end wraps past midnight (e.g. 22:00–06:00).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeWindow {
    /// First minute of the day inside the window (0..1440).
    pub start_minute: u16,
    /// First minute of the day after the window (0..1440), different from `start_minute`.
    pub end_minute: u16,
}

impl TimeWindow {
    /// Whether the window is well-formed: both bounds below 1440 and not equal.
    pub const fn is_valid(self) -> bool {
        self.start_minute < 1440 && self.end_minute < 1440 && self.start_minute != self.end_minute
    }

    /// Whether `now` falls inside the window.
    pub const fn contains(self, now: Timestamp) -> bool {
        let m = now.beijing_minute_of_day();
        if self.start_minute < self.end_minute {
            self.start_minute <= m && m < self.end_minute
        } else {
            m >= self.start_minute || m < self.end_minute
        }
    }
}

/// The most callers an allow-list may hold (caller-range management is for a few known parties;
/// larger audiences belong in tenant-level rules).
pub const MAX_ALLOWED_CALLERS: usize = 32;

/// What a binding permits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Policy {
    /// Allowed media.
    pub media: MediaSet,
    /// Allowed call direction.
    pub direction: Direction,
    /// Caller-range management for AXN: when not empty, only these callers (and A) may use X.
    /// Sorted and without duplicates once accepted. Other modes already name every party and
    /// must leave it empty.
    pub allowed_callers: Vec<SubscriberNumber>,
    /// When calls may go through; `None` means at any time.
    pub window: Option<TimeWindow>,
    /// Whether the switch should record routed calls.
    pub record: bool,
}
