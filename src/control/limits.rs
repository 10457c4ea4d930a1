//! The tunable dynamic controls: frequency limits, probing detection, and the sizes of the
//! counters and the record queue that routers share.
#![forbid(unsafe_code)]

use crate::binding::Media;
use serde::{Deserialize, Serialize};

/// What a frequency limit counts per.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// Each calling number: every request it makes to a 700 number counts, routed or not.
    Caller,
    /// Each usage number: every request to it counts, routed or not.
    UsageNumber,
    /// Each binding: requests it routes count.
    Binding,
}

/// "At most `max` requests per `subject` in each window of `window_secs` seconds". Windows are
/// fixed and aligned to the Unix epoch (a minute limit resets on the minute); the request that
/// exceeds the limit and every later one in the window are refused with
/// [`crate::RejectReason::RateLimited`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RateLimit {
    /// What is counted per.
    pub subject: Subject,
    /// Which requests count: calls, SMS, or both (`None`).
    pub media: Option<Media>,
    /// The window, in seconds (at least 1; e.g. 60, 3600, 86400).
    pub window_secs: u32,
    /// Requests allowed per window (at least 1).
    pub max: u32,
}

/// Probing: a caller that dials more than `distinct_numbers` different 700 numbers within a
/// window of `window_secs` is blocked for `block_secs` ([`crate::RejectReason::AutoBlocked`]),
/// at once in every router, and the block is journaled as an automatic block rule (liftable).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Probing {
    /// Different usage numbers allowed per window (at least 1).
    pub distinct_numbers: u32,
    /// The window, in seconds (at least 1).
    pub window_secs: u32,
    /// How long the automatic block lasts, in seconds (at least 1).
    pub block_secs: u32,
}

/// The dynamic controls and the sizes of the memory routers share for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controls {
    /// Frequency limits (at most [`MAX_LIMITS`]); none by default.
    pub limits: Vec<RateLimit>,
    /// Probing detection; off by default.
    pub probing: Option<Probing>,
    /// Counter slots per limit (and for each of probing's two tables): about twice the subjects
    /// active in one window. The tables that count per caller are interleaved slot by slot (so
    /// are those per number, and per binding), a slot padded to 1, 2, 4 or 8 words:
    /// [`crate::control::Region::bytes`] says what they take.
    pub counter_slots: u32,
    /// Slots for automatic-block marks: about twice the callers blocked at once.
    pub mark_slots: u32,
    /// Record queue shards (routers pick one by thread, so threads seldom share one).
    pub record_shards: u32,
    /// Records each shard holds before routers drop (and count) new ones.
    pub records_per_shard: u32,
    /// Block rules the routers' table holds.
    pub block_rules: u32,
    /// Whether routers queue a record of every decision (on by default). Off, with no limits
    /// and no probing, `route()` runs no dynamic control at all.
    pub records: bool,
}

/// The most frequency limits.
pub const MAX_LIMITS: usize = 16;

impl Controls {
    /// Whether these controls are usable: every window, maximum and size at least 1, at most
    /// [`MAX_LIMITS`] limits. [`crate::Registry`] ignores invalid limits and probing
    /// (and clamps sizes to at least 1); hosts check with this first.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.limits.len() > MAX_LIMITS {
            return Err("more than 16 frequency limits");
        }
        if self.limits.iter().any(|l| !l.is_valid()) {
            return Err("a frequency limit has a zero window or maximum");
        }
        if self.probing.is_some_and(|p| !p.is_valid()) {
            return Err("probing has a zero window, count or block time");
        }
        let sizes = [
            self.counter_slots,
            self.mark_slots,
            self.record_shards,
            self.records_per_shard,
            self.block_rules,
        ];
        if sizes.contains(&0) {
            return Err("a size is zero");
        }
        if sizes.iter().any(|s| *s > 1 << 26) {
            return Err("a size is above 2^26");
        }
        Ok(())
    }

    /// The usable part of these controls: valid limits (the first 16), valid probing, sizes
    /// clamped to 1..=2^26.
    pub(crate) fn sanitized(&self) -> Controls {
        let clamp = |s: u32| s.clamp(1, 1 << 26);
        Controls {
            limits: self
                .limits
                .iter()
                .copied()
                .filter(RateLimit::is_valid)
                .take(MAX_LIMITS)
                .collect(),
            probing: self.probing.filter(Probing::is_valid),
            counter_slots: clamp(self.counter_slots),
            mark_slots: clamp(self.mark_slots),
            record_shards: clamp(self.record_shards),
            records_per_shard: clamp(self.records_per_shard),
            block_rules: clamp(self.block_rules),
            records: self.records,
        }
    }
}

/// Division by a window length without a division instruction: routes divide "now" by every
/// configured window, and a 64-bit division costs tens of cycles where a multiplication costs
/// three. Exact for the times routes see (below 2⁴⁰ s, year 36,812) and windows below 2²⁴ s
/// (194 days); anything else divides.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Window {
    secs: u64,
    /// ⌊2⁶⁴ / secs⌋ + 1, or 0 where the shortcut is not exact (1 s, or 2²⁴ s and more).
    magic: u64,
}

impl Window {
    pub(crate) fn new(secs: u32) -> Window {
        let secs = u64::from(secs.max(1));
        let magic = if (2..1 << 24).contains(&secs) {
            u64::MAX / secs + 1
        } else {
            0
        };
        Window { secs, magic }
    }

    /// `now / secs`: the number of the window `now` (Unix seconds) falls in.
    ///
    /// With m = ⌊2⁶⁴/d⌋ + 1 = 2⁶⁴/d + e (0 < e ≤ 1), n·m/2⁶⁴ = n/d + n·e/2⁶⁴, and the error
    /// n·e/2⁶⁴ < 2⁴⁰/2⁶⁴ = 2⁻²⁴ is below 1/d, the smallest distance from n/d up to the next
    /// integer: the floor is exact.
    pub(crate) fn of(self, now: u64) -> u64 {
        if self.magic != 0 && now < 1 << 40 {
            ((u128::from(now) * u128::from(self.magic)) >> 64) as u64
        } else {
            now / self.secs
        }
    }
}

impl RateLimit {
    fn is_valid(&self) -> bool {
        self.window_secs > 0 && self.max > 0
    }
}

impl Probing {
    fn is_valid(&self) -> bool {
        self.window_secs > 0 && self.distinct_numbers > 0 && self.block_secs > 0
    }
}

impl Default for Controls {
    /// No limits and no probing (they are the platform's policy to choose), records on; room for
    /// 65,536 counted subjects per limit, 4,096 marks, 4 × 16,384 queued records (4 MiB) and 65,536
    /// block rules.
    fn default() -> Self {
        Controls {
            limits: Vec::new(),
            probing: None,
            counter_slots: 1 << 17,
            mark_slots: 1 << 13,
            record_shards: 4,
            records_per_shard: 1 << 14,
            block_rules: 1 << 16,
            records: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Window;

    /// The shortcut against real division: every window length from 1 s to a day and some
    /// beyond, at times around every boundary near today and at the limits.
    #[test]
    fn window_numbers_are_exact() {
        let lengths = (1u32..=86_400).chain([
            604_800,
            2_592_000,
            31_536_000,
            (1 << 24) - 1,
            1 << 24,
            u32::MAX,
        ]);
        for d in lengths {
            let w = Window::new(d);
            let d = u64::from(d);
            for base in [1_767_225_600u64, 0, (1 << 40) - 1, 1 << 40, u64::MAX - 1] {
                let k = base / d;
                for n in [
                    base,
                    k * d,
                    (k * d).saturating_sub(1),
                    (k * d).saturating_add(d - 1),
                    (k + 1).saturating_mul(d),
                ] {
                    assert_eq!(w.of(n), n / d, "{n} / {d}");
                }
            }
        }
    }
}
