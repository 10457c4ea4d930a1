//! Windowed counters and block marks that every router updates: one 64-bit word per slot, changed
//! only by compare-and-swap, so increments from any thread of any process are never lost, and a
//! router never waits or allocates.
//!
//! A counter slot holds `fingerprint (24) | window (16) | count (24)`. A subject (a caller, a usage
//! number, a binding, a caller and a number) hashes to a start slot and a fingerprint; it probes up
//! to [`PROBES`] slots for its own fingerprint in the current window, or takes a slot that is free
//! or belongs to a past window. Together the start slot and the fingerprint identify a subject by
//! about 40 bits of hash: two subjects share a counter only if both coincide while both are counted
//! in the same window. A slot of a past window is reused in the same compare-and-swap that starts
//! the new count, so a reused slot never mixes counts. If all probed slots are taken by other
//! subjects in the current window (a table far too small for the traffic), the count is not kept
//! and the call is let through: [`Counted::Untracked`] (fail open), counted by the caller.
//!
//! A mark slot holds `fingerprint (32) | until (32, Unix seconds)`: "this caller is blocked until".
//! A lifted mark keeps its fingerprint with `until` 0 (ended), so a slot is zero only if no mark
//! was ever in it: a subject's mark is never beyond a zero slot of its probe sequence, and a
//! lookup of an unmarked caller stops at the first one.
#![forbid(unsafe_code)]

use crate::index::{mix, reduce};
use crate::sync::{AtomicU64, Ordering};

/// Slots probed per subject.
pub(crate) const PROBES: usize = 8;
const COUNT_MAX: u64 = (1 << 24) - 1;

/// What counting one more event for a subject found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Counted {
    /// The subject's count in the current window, this event included (saturates at 2²⁴ − 1).
    Now(u32),
    /// No slot was free: not counted.
    Untracked,
}

/// Slot `start + i` of a table of `n` (`start < n`, `i < n`): one subtraction, not a division
/// (a 64-bit division costs tens of cycles, and a route makes several of these).
fn wrap(start: usize, i: usize, n: usize) -> usize {
    let at = start + i;
    if at >= n { at - n } else { at }
}

/// Where a subject's counts live in a table of `slots` slots: its fingerprint (24 bits, never 0)
/// and its start slot. Every counter table has the same number of slots, so one place serves
/// all the tables a subject is counted in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    fp: u64,
    start: usize,
}

impl Place {
    /// The place of the subject hashed to `h` in tables of `slots` slots (`slots > 0`).
    pub(crate) fn of(h: u64, slots: usize) -> Place {
        let fp = (h >> 40) & 0xFF_FFFF;
        Place {
            fp: fp.max(1),
            start: reduce(mix(h), slots),
        }
    }

    /// The start slot.
    pub(crate) fn start(self) -> usize {
        self.start
    }
}

fn pack(fp: u64, window: u64, count: u64) -> u64 {
    fp << 40 | (window & 0xFFFF) << 24 | count
}

/// A table of windowed counters: slot `i` is word `i × stride + pos` of its words. The tables
/// of one kind of subject (all per-caller counts, say) are interleaved slot by slot, so a
/// subject's first slots in all of them share one 64-byte line: one cache miss for all of a
/// caller's counts. Each table probes, claims and reuses only its own slots, as if alone.
pub(crate) struct Counters<'a> {
    words: &'a [AtomicU64],
    stride: usize,
    pos: usize,
    slots: usize,
}

impl<'a> Counters<'a> {
    /// The counters in `slots` (zeroed words are an empty table).
    #[cfg(test)]
    pub(crate) fn new(slots: &'a [AtomicU64]) -> Counters<'a> {
        Counters::interleaved(slots, 1, 0, slots.len())
    }

    /// Table `pos` of the tables interleaved in `words`, `stride` words a slot (1, 2, 4, 8 or
    /// a multiple of 8; `pos < stride`), `slots` slots (`words.len() == slots × stride`).
    pub(crate) fn interleaved(
        words: &'a [AtomicU64],
        stride: usize,
        pos: usize,
        slots: usize,
    ) -> Counters<'a> {
        debug_assert!(pos < stride && words.len() == slots * stride);
        debug_assert!(stride.is_power_of_two() || stride.is_multiple_of(8));
        Counters {
            words,
            stride,
            pos,
            slots,
        }
    }

    fn slot(&self, i: usize) -> &'a AtomicU64 {
        &self.words[i * self.stride + self.pos]
    }

    /// Counts one event for the subject hashed to `h` in window number `window` (e.g. the Unix
    /// minute).
    #[cfg(test)]
    pub(crate) fn count(&self, h: u64, window: u64) -> Counted {
        match self.slots {
            0 => Counted::Untracked,
            n => self.count_at(Place::of(h, n), window),
        }
    }

    /// Counts one event for the subject at `place` (made for this table's size) in window
    /// number `window`.
    ///
    /// Probes [`PROBES`] slots from the start slot, in order; the first that holds the
    /// subject's count in this window is incremented, or the first that is free or belongs to a
    /// past window is claimed for it — in one compare-and-swap, so of routers counting the same
    /// new subject at once one claims and the others find its count. A slot this table's
    /// subjects hold in a window stays theirs until the window ends (all of a table's counts
    /// share one window length), so a subject's count is never claimed twice.
    pub(crate) fn count_at(&self, place: Place, window: u64) -> Counted {
        let n = self.slots;
        let probes = (0..PROBES.min(n)).map(|i| self.slot(wrap(place.start, i, n)));
        Self::count_along(probes, place.fp, window)
    }

    /// [`Counters::count_at`], probing first the slots of the line where `home` starts (a
    /// subject known before its own place is: a binding's usage number), then the subject's
    /// own [`PROBES`] in `own` (a table of its own for those that find no room near their home,
    /// or this one). The sequence depends only on `home` and `place`, so everything said of
    /// [`Counters::count_at`] holds as long as a subject always comes with the same home.
    pub(crate) fn count_near(
        &self,
        home: Place,
        own: &Counters<'a>,
        place: Place,
        window: u64,
    ) -> Counted {
        let per_line = self.slots_per_line();
        let first = home.start & !(per_line - 1);
        let near = (first..(first + per_line).min(self.slots)).map(|i| self.slot(i));
        let n = own.slots;
        let own = (0..PROBES.min(n)).map(|i| own.slot(wrap(place.start, i, n)));
        Self::count_along(near.chain(own), place.fp, window)
    }

    /// Slots whose words are in one line (1 when a slot takes a line or more): a power of two.
    fn slots_per_line(&self) -> usize {
        // 8 / stride without dividing: the stride is 1, 2, 4, or 8 and more.
        8usize >> self.stride.trailing_zeros().min(3)
    }

    fn count_along(probes: impl Iterator<Item = &'a AtomicU64>, fp: u64, window: u64) -> Counted {
        let window = window & 0xFFFF;
        for slot in probes {
            let mut w = slot.load(Ordering::Relaxed);
            loop {
                let (wfp, wwin, count) = (w >> 40, (w >> 24) & 0xFFFF, w & COUNT_MAX);
                let next = if wfp == fp && wwin == window {
                    pack(fp, window, (count + 1).min(COUNT_MAX))
                } else if w == 0 || wwin != window {
                    // Free, or a past window's (this subject's or another's): start over here.
                    pack(fp, window, 1)
                } else {
                    break; // another subject's, in this window: probe on
                };
                match slot.compare_exchange_weak(w, next, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => return Counted::Now((next & COUNT_MAX) as u32),
                    Err(now) => w = now,
                }
            }
        }
        Counted::Untracked
    }

    /// The subject's first slot.
    #[cfg(test)]
    pub(crate) fn first_slot(&self, place: Place) -> &'a AtomicU64 {
        self.slot(place.start)
    }

    /// The subject's count in window `window`, without counting (0 if none).
    #[cfg(test)]
    pub(crate) fn peek(&self, h: u64, window: u64) -> u32 {
        let n = self.slots;
        if n == 0 {
            return 0;
        }
        let Place { fp, start } = Place::of(h, n);
        (0..PROBES.min(n))
            .map(|i| self.slot(wrap(start, i, n)).load(Ordering::Relaxed))
            .find(|w| w >> 40 == fp && (w >> 24) & 0xFFFF == window & 0xFFFF)
            .map_or(0, |w| (w & COUNT_MAX) as u32)
    }
}

/// A table of "blocked until" marks, keyed by subject.
pub(crate) struct Marks<'a> {
    slots: &'a [AtomicU64],
}

/// The fingerprint (32 bits, never 0) and start slot of a mark's subject.
fn mark_place(h: u64, slots: usize) -> (u64, usize) {
    ((h >> 32).max(1), reduce(mix(h), slots))
}

impl<'a> Marks<'a> {
    /// The marks in `slots` (zeroed words: none).
    pub(crate) fn new(slots: &'a [AtomicU64]) -> Marks<'a> {
        Marks { slots }
    }

    fn probe(&self, h: u64) -> impl Iterator<Item = (&AtomicU64, u64)> + '_ {
        let n = self.slots.len();
        let (fp, start) = mark_place(h, n.max(1));
        (0..PROBES.min(n)).map(move |i| (&self.slots[wrap(start, i, n)], fp))
    }

    /// The end of the subject's mark, if it is marked at `now`.
    pub(crate) fn until(&self, h: u64, now: u64) -> Option<u64> {
        for (slot, fp) in self.probe(h) {
            let w = slot.load(Ordering::Acquire);
            if w == 0 {
                // Never used: the subject's mark would have been put here or before.
                return None;
            }
            if w >> 32 == fp && (w & 0xFFFF_FFFF) > now {
                return Some(w & 0xFFFF_FFFF);
            }
        }
        None
    }

    /// Marks the subject until `until` (extending a shorter mark); `true` if it was not marked at
    /// `now` before — whoever gets `true` reports the new block. `false` also when no slot is
    /// free (all probed slots hold other subjects' live marks).
    pub(crate) fn set(&self, h: u64, until: u64, now: u64) -> bool {
        let until = until.min(u64::from(u32::MAX));
        for (slot, fp) in self.probe(h) {
            let mut w = slot.load(Ordering::Acquire);
            loop {
                let (wfp, wuntil) = (w >> 32, w & 0xFFFF_FFFF);
                let live = wuntil > now;
                if wfp == fp && live && wuntil >= until {
                    return false;
                }
                if wfp != fp && live {
                    break;
                }
                match slot.compare_exchange_weak(
                    w,
                    fp << 32 | until,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return !(wfp == fp && live),
                    Err(now) => w = now,
                }
            }
        }
        false
    }

    /// Removes the subject's mark (a block lifted); `true` if there was one. The slot keeps the
    /// fingerprint with `until` 0 (never zero again, see the module docs).
    pub(crate) fn clear(&self, h: u64) -> bool {
        let mut cleared = false;
        for (slot, fp) in self.probe(h) {
            let w = slot.load(Ordering::Acquire);
            if w >> 32 == fp && w & 0xFFFF_FFFF != 0 {
                cleared |= slot
                    .compare_exchange(w, fp << 32, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok();
            }
        }
        cleared
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn words(n: usize) -> Vec<AtomicU64> {
        (0..n).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn counts_per_subject_and_window_and_starts_over_in_a_new_window() {
        let w = words(64);
        let c = Counters::new(&w);
        for i in 1..=5 {
            assert_eq!(c.count(mix(11), 100), Counted::Now(i));
        }
        assert_eq!(c.count(mix(12), 100), Counted::Now(1));
        assert_eq!(c.peek(mix(11), 100), 5);
        assert_eq!(c.count(mix(11), 101), Counted::Now(1));
        assert_eq!(
            c.peek(mix(11), 100),
            0,
            "the slot was reused for the new window"
        );
        assert_eq!(c.peek(mix(12), 100), 1);
    }

    #[test]
    fn a_full_neighbourhood_leaves_a_subject_untracked() {
        let w = words(PROBES);
        let c = Counters::new(&w);
        let mut tracked = 0;
        for h in 0..1_000u64 {
            if let Counted::Now(1) = c.count(mix(h), 7) {
                tracked += 1;
            }
        }
        assert_eq!(tracked, PROBES);
        assert_eq!(c.count(mix(5_000), 7), Counted::Untracked);
        // A new window frees every slot.
        assert_eq!(c.count(mix(5_000), 8), Counted::Now(1));
    }

    /// No lost increments: threads counting the same subjects add up exactly.
    #[test]
    fn parallel_increments_are_exact() {
        let w = words(4096);
        let c = Counters::new(&w);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..20_000u64 {
                        assert!(matches!(c.count(mix(i % 16), 3), Counted::Now(_)));
                    }
                });
            }
        });
        for k in 0..16u64 {
            assert_eq!(c.peek(mix(k), 3), 4 * 20_000 / 16);
        }
    }

    /// Subjects that share a home fill its line, then spill to their own places; each keeps
    /// one exact count, also against subjects counted at their own places only.
    #[test]
    fn counting_near_a_home_keeps_one_count_per_subject() {
        let w = words(4096);
        let c = Counters::new(&w);
        let home = Place::of(mix(7), 4096);
        let place = |s: u64| Place::of(mix(1000 + s), 4096);
        let mut want = std::collections::HashMap::new();
        for round in 0..5u32 {
            for s in 0..20u64 {
                for _ in 0..=s % 3 {
                    let n = want.entry(s).or_insert(0);
                    *n += 1;
                    assert_eq!(
                        c.count_near(home, &c, place(s), 9),
                        Counted::Now(*n),
                        "{s} {round}"
                    );
                }
                // Others counted at their own places meanwhile.
                assert!(matches!(c.count(mix(5000 + s), 9), Counted::Now(_)));
            }
        }
        // The home's line holds eight of them; the rest are at their own places.
        let line = home.start & !7;
        let fps: std::collections::HashSet<u64> = (line..line + 8)
            .map(|i| w[i].load(Ordering::Relaxed) >> 40)
            .collect();
        let near = (0..20).filter(|s| fps.contains(&place(*s).fp)).count();
        assert_eq!(near, 8);
        // A new window starts everyone over.
        assert_eq!(c.count_near(home, &c, place(19), 10), Counted::Now(1));
    }

    /// With an own-place table of their own, the subjects that find no room near their home
    /// are counted there, each once.
    #[test]
    fn subjects_without_room_near_home_count_in_their_own_table() {
        let (near_words, own_words) = (words(256), words(256));
        let (near, own) = (Counters::new(&near_words), Counters::new(&own_words));
        let home = Place::of(mix(7), 256);
        for round in 1..=3 {
            for s in 0..20u64 {
                let at = Place::of(mix(100 + s), 256);
                assert_eq!(near.count_near(home, &own, at, 4), Counted::Now(round));
            }
        }
        let used = |w: &[AtomicU64]| w.iter().filter(|s| s.load(Ordering::Relaxed) != 0).count();
        assert_eq!((used(&near_words), used(&own_words)), (8, 12));
    }

    /// Routers counting subjects that share a home at once: no lost or doubled count.
    #[test]
    fn parallel_counts_near_a_home_are_exact() {
        let w = words(1024);
        let c = Counters::new(&w);
        let home = Place::of(mix(3), 1024);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..20_000u64 {
                        let at = Place::of(mix(i % 16), 1024);
                        assert!(matches!(c.count_near(home, &c, at, 3), Counted::Now(_)));
                    }
                });
            }
        });
        for k in 0..16u64 {
            let at = Place::of(mix(k), 1024);
            assert_eq!(
                c.count_near(home, &c, at, 3),
                Counted::Now(4 * 20_000 / 16 + 1)
            );
        }
    }

    /// Tables interleaved in one block of words count apart, each in its own words.
    #[test]
    fn interleaved_tables_count_apart() {
        let w = words(4 * 256);
        let tables: Vec<Counters> = (0..3)
            .map(|p| Counters::interleaved(&w, 4, p, 256))
            .collect();
        for (i, t) in tables.iter().enumerate() {
            for n in 1..=i as u32 + 2 {
                assert_eq!(t.count(mix(77), 5 + i as u64), Counted::Now(n));
            }
        }
        for (i, t) in tables.iter().enumerate() {
            assert_eq!(t.peek(mix(77), 5 + i as u64), i as u32 + 2);
        }
        // The fourth word of every slot is padding: never written.
        assert!((0..256).all(|s| w[s * 4 + 3].load(Ordering::Relaxed) == 0));
    }

    #[test]
    fn marks_block_until_their_end_extend_and_clear() {
        let w = words(32);
        let m = Marks::new(&w);
        assert_eq!(m.until(42, 100), None);
        assert!(m.set(42, 200, 100));
        assert!(!m.set(42, 150, 100), "a shorter mark changes nothing");
        assert_eq!(m.until(42, 199), Some(200));
        assert_eq!(m.until(42, 200), None, "ended");
        assert!(!m.set(42, 300, 120), "extended, not new");
        assert_eq!(m.until(42, 250), Some(300));
        assert!(m.set(42, 400, 300), "new again once ended");
        assert!(m.clear(42));
        assert_eq!(m.until(42, 301), None);
        assert!(!m.clear(42));
    }

    /// A mark behind slots that were lifted is still found (lifting never makes a slot zero),
    /// and a lookup stops at a never-used slot.
    #[test]
    fn marks_behind_lifted_ones_are_found() {
        let w = words(64);
        let m = Marks::new(&w);
        // Subjects whose probe sequences start at the same slot.
        let start = |h: u64| mark_place(h, 64).1;
        let same: Vec<u64> = (0..10_000u64)
            .map(mix)
            .filter(|h| start(*h) == start(mix(0)))
            .take(3)
            .collect();
        for h in &same {
            assert!(m.set(*h, 500, 10));
        }
        // Lift the first two: the third, two slots on, stays marked.
        assert!(m.clear(same[0]) && m.clear(same[1]));
        assert!(!m.clear(same[0]), "lifted already");
        assert_eq!(m.until(same[2], 20), Some(500));
        assert_eq!(m.until(same[0], 20), None);
        // A lifted subject is marked again, and reported as new.
        assert!(m.set(same[1], 600, 30));
        assert_eq!(m.until(same[1], 40), Some(600));
        assert!(w.iter().filter(|s| s.load(Ordering::Relaxed) != 0).count() == 3);
    }

    /// Exactly one of many routers that detect the same prober at once reports the block.
    #[test]
    fn one_router_reports_a_new_mark() {
        let w = words(8192);
        let m = Marks::new(&w);
        let reported: usize = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..1000u64).filter(|h| m.set(mix(*h), 500, 10)).count()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(reported, 1000);
    }
}
