//! A bounded lock-free queue of fixed-size records in a block of atomic words (D. Vyukov's
//! bounded MPMC queue), usable across processes in a shared mapping: no pointers, no allocation,
//! no waiting. A producer that finds the queue full gives up at once and counts a drop.
//!
//! ```text
//! word 0: tail (next position to fill)        | padding to 8 words (its own cache line)
//! word 8: head (next position to take)        | word 9: abandoned (cells retired) | padding
//! word 16: dropped (pushes refused when full) | padding
//! then `cells` cells of `1 + W` words: sequence, then the record's W words
//! ```
//!
//! A cell's sequence says whose turn it is: `pos` = free for the producer of position `pos`,
//! `pos + 1` = filled for the consumer of `pos`, `pos + cells` = free again for the next lap.
//! Cell `i` stores its sequence minus `i`, so zeroed memory is an empty queue and making one
//! touches none of its pages. A queue has at least two cells (see below).
//! A producer claims a position by compare-and-swap on the tail, writes the words, and publishes
//! them with a release store of the sequence; the consumer claims by compare-and-swap on the
//! head. Producers are many (every router, in every process); the consumer is one (the writer's
//! drain, made one by the region's lock), which giving cells up relies on.
//!
//! # A producer that stops between claim and publish
//!
//! A producer killed between claiming a cell and publishing it (a switch worker killed by the OOM
//! killer, a SIGKILL) leaves its cell unpublished for ever: [`Ring::pop`] stops there, every
//! later record waits behind it and, once the queue is full, is dropped. The queue's one
//! consumer (the writer's drain) recovers with [`Ring::take`]: it notices the cell at the head
//! claimed (the tail has moved past it) but unpublished, remembers its position and the time in
//! a [`StallWatch`], and if the same cell is still unpublished at the head [`STALL_GRACE`] (1 s)
//! after it first saw it so, gives it up. A live producer sits between claim and publish for a few instructions, a
//! preempted or descheduled one for milliseconds; the grace is two to three orders of magnitude
//! above that, so only a dead — or stopped, frozen, swapped-out — producer is given up.
//!
//! **Giving up retires the cell.** The consumer swaps the cell's sequence from `pos` (claimed,
//! unpublished) to `pos + 1` — the very value the producer's publish would store — and moves
//! the head past it without reading it, counting one record abandoned ([`Ring::abandoned`]). If
//! the producer published first, the swap fails and the record is taken as usual: nothing lost.
//! The cell is never used again (the queue holds one record less until it is made anew, at the
//! writer's restart): a producer that finds it when the tail comes round sees a sequence of the
//! "filled" form from a lap the consumer has already passed (the head is at least two beyond
//! it) and moves the tail over it without writing; the consumer, finding at the head a sequence
//! below the head, moves over it too. Both checks are on the paths that find the cell not free,
//! never on a push that succeeds at once: [`Ring::push`] costs what it did.
//!
//! Why not mark the cell consumed (`pos + cells`, free for the next lap)? A producer that was
//! only very slow — stopped, not dead — would come back and store `pos + 1` over a later lap's
//! sequence: the queue would look full to every producer of that cell's next lap, or a
//! published record would look unpublished — stuck again, or records lost. Making the publish a
//! compare-and-swap would prevent that, at a locked instruction on every route (measured by the
//! `speed` test below: 4.3 → 6.2 ns per push), and a late producer's words could still land in
//! a later lap's record. Retiring costs nothing on the route and leaves the late producer
//! nothing to break, which is the residual risk argued out:
//!
//! - **Its words land in a cell nobody reads again.** The record's words are written before the
//!   publish, so they may land after the cell was given up — into a retired cell: no later
//!   record is garbled.
//! - **Its publish stores the value the cell already holds.** The consumer's compare-and-swap
//!   from `pos` succeeded, so the publish had not happened; it happens later and stores
//!   `pos + 1` over `pos + 1`. The cell stays retired; no position is published twice; no
//!   record is delivered or counted twice — the consumer counted it once, when it retired the
//!   cell, and never reads it.
//! - **Nothing else changes**: the producer's push returns `true` (it cannot know its record was
//!   given up; the consumer counted it), every word is an atomic (defined behaviour, no unsafe),
//!   and no path panics or waits.
//!
//! So a stopped producer that wakes after its grace costs its own record, counted once; a
//! killed one the same; each costs the queue one cell of room until the writer restarts.
//!
//! Why the checks are sound (single consumer: the drain, under the region's lock). The consumer
//! finishes a position — reads and frees it, or retires it — before it moves the head past the
//! next one, and moves the head with release ordering. A producer that reads the head with
//! acquire ordering and finds it at least two past lap `q` of a cell therefore sees everything
//! the consumer did to lap `q`: had it taken that record, it stored `q + cells` before, and the
//! producer's second load of the sequence (after the head's) returns that or later — so a
//! sequence still `q + 1` there means retired. The consumer reads a cell's sequence after its
//! own last store to it (`pos` when it freed the cell for this lap), so a value below the head
//! means a cell it retired. `pos` and `pos + 1` belong to different forms (`≡ i` and `≡ i + 1`
//! modulo the cell count) only with two cells or more, hence the minimum. The loom models at the
//! end check these races (and fail if the head's release or acquire is weakened, the second
//! load dropped, the threshold lowered to one, or a given-up cell marked consumed instead).
#![forbid(unsafe_code)]

use crate::sync::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Header words (three counters, each on its own 64-byte line).
pub(crate) const HEADER_WORDS: usize = 24;
const TAIL: usize = 0;
const HEAD: usize = 8;
/// Written by the consumer only, so on the head's line.
const ABANDONED: usize = 9;
const DROPPED: usize = 16;

/// How long a claimed cell may stay unpublished at the head before [`Ring::take`] gives it up.
pub(crate) const STALL_GRACE: Duration = Duration::from_secs(1);

/// What the consumer remembers between its calls to [`Ring::take`]: the claimed, unpublished
/// cell it last found at the head, and when it first found it so.
#[derive(Copy, Clone, Debug)]
pub(crate) struct StallWatch {
    grace: Duration,
    seen: Option<(u64, Instant)>,
}

impl StallWatch {
    /// A watch giving a stalled cell up after `grace`.
    pub(crate) const fn new(grace: Duration) -> StallWatch {
        StallWatch { grace, seen: None }
    }
}

impl Default for StallWatch {
    fn default() -> StallWatch {
        StallWatch::new(STALL_GRACE)
    }
}

/// What a producer finds in a cell that is not free for its position.
enum NotFree {
    /// The previous lap's record is still there: the queue is full.
    Full,
    /// A cell the consumer gave up: never used again, to be passed over.
    Retired,
    /// It changed while being looked at: look again.
    Changed,
}

/// A queue of `W`-word records over `words` (laid out by [`Ring::words`]).
pub(crate) struct Ring<'a, const W: usize> {
    header: &'a [AtomicU64],
    cells: &'a [AtomicU64],
    /// Cells; a power of two, at least 2.
    n: u64,
}

impl<'a, const W: usize> Ring<'a, W> {
    /// Cells of a queue for `cells` records: a power of two, at least 2.
    fn cells_for(cells: usize) -> usize {
        cells.max(2).next_power_of_two()
    }

    /// Words needed for `cells` cells (rounded up to a power of two, at least 2).
    pub(crate) fn words(cells: usize) -> usize {
        HEADER_WORDS + Self::cells_for(cells) * (1 + W)
    }

    /// The queue in `words` (zeroed words are an empty one).
    pub(crate) fn view(words: &'a [AtomicU64], cells: usize) -> Ring<'a, W> {
        let n = Self::cells_for(cells);
        let (header, rest) = words.split_at(HEADER_WORDS);
        Ring {
            header,
            cells: &rest[..n * (1 + W)],
            n: n as u64,
        }
    }

    /// The cell of position `pos`, and its index (what its stored sequence is offset by).
    fn cell(&self, pos: u64) -> (&[AtomicU64], u64) {
        let i = pos & (self.n - 1);
        let at = i as usize * (1 + W);
        (&self.cells[at..at + 1 + W], i)
    }

    /// Appends a record; `false` (and one more drop counted) if the queue is full.
    #[inline]
    pub(crate) fn push(&self, record: &[u64; W]) -> bool {
        self.claim(|pos, cell, i| Self::fill(cell, i, pos, record))
            .is_some()
    }

    /// Claims the next position to fill and runs `then` with the position, its cell and the
    /// cell's index; `None` (and one more drop counted) if the queue is full. Inlined with
    /// `then`, so [`Ring::push`] is the loop it was before retired cells: a cell not free
    /// (full, or retired) leaves it for [`Ring::claim_past`], out of line.
    #[inline(always)]
    fn claim<R>(&self, then: impl FnOnce(u64, &[AtomicU64], u64) -> R) -> Option<R> {
        let tail = &self.header[TAIL];
        let mut pos = tail.load(Ordering::Relaxed);
        loop {
            let (cell, i) = self.cell(pos);
            let seq = cell[0].load(Ordering::Acquire).wrapping_add(i);
            match seq.wrapping_sub(pos) as i64 {
                0 => match tail.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Some(then(pos, cell, i)),
                    Err(now) => pos = now,
                },
                d if d < 0 => return self.claim_past(pos, then),
                _ => pos = tail.load(Ordering::Relaxed),
            }
        }
    }

    /// [`Ring::claim`] from position `pos`, whose cell was not free: passes over retired cells,
    /// counts a drop and gives up if the queue is full.
    #[cold]
    #[inline(never)]
    fn claim_past<R>(
        &self,
        mut pos: u64,
        then: impl FnOnce(u64, &[AtomicU64], u64) -> R,
    ) -> Option<R> {
        let tail = &self.header[TAIL];
        loop {
            let (cell, i) = self.cell(pos);
            let seq = cell[0].load(Ordering::Acquire).wrapping_add(i);
            match seq.wrapping_sub(pos) as i64 {
                0 => match tail.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Some(then(pos, cell, i)),
                    Err(now) => pos = now,
                },
                d if d < 0 => match self.not_free(cell, i, seq) {
                    NotFree::Full => {
                        self.header[DROPPED].fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    NotFree::Retired => {
                        // Pass over it: claim the position without writing (the consumer
                        // passes over it too).
                        match tail.compare_exchange_weak(
                            pos,
                            pos.wrapping_add(1),
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        ) {
                            Ok(_) => pos = pos.wrapping_add(1),
                            Err(now) => pos = now,
                        }
                    }
                    NotFree::Changed => pos = tail.load(Ordering::Relaxed),
                },
                _ => pos = tail.load(Ordering::Relaxed),
            }
        }
    }

    /// Why cell `i`, whose sequence was `seq` (below the position the producer wants), is not
    /// free: the previous lap's record, or a retired cell (see the module's documentation).
    fn not_free(&self, cell: &[AtomicU64], i: u64, seq: u64) -> NotFree {
        // The "filled" form: `seq` = `q + 1` for a lap `q` of this cell.
        let q = seq.wrapping_sub(1);
        if q & (self.n - 1) != i {
            // `q` itself: claimed by the previous lap's producer, not published yet.
            return NotFree::Full;
        }
        let head = self.header[HEAD].load(Ordering::Acquire);
        if (head.wrapping_sub(q) as i64) < 2 {
            // The consumer has not finished lap `q`: its record is waiting (or being read).
            return NotFree::Full;
        }
        // The consumer finished lap `q`; had it taken the record, the sequence would be
        // `q + cells` by now (its store happened before its move of the head we read).
        if cell[0].load(Ordering::Acquire).wrapping_add(i) == seq {
            NotFree::Retired
        } else {
            NotFree::Changed
        }
    }

    /// Test hook: what a producer killed between claim and publish leaves — a claimed cell
    /// never published. Returns its position (`None`: full).
    #[cfg(test)]
    pub(crate) fn claim_and_die(&self) -> Option<u64> {
        self.claim(|pos, _, _| pos)
    }

    /// Test hook: the second half of [`Ring::push`] for a position claimed with
    /// [`Ring::claim_and_die`] (a producer that was only slow).
    #[cfg(test)]
    fn publish(&self, pos: u64, record: &[u64; W]) {
        let (cell, i) = self.cell(pos);
        Self::fill(cell, i, pos, record);
    }

    /// Writes the record of the claimed position `pos` into its cell (index `i`) and publishes
    /// it. The second half of [`Ring::push`].
    #[inline]
    fn fill(cell: &[AtomicU64], i: u64, pos: u64, record: &[u64; W]) {
        for (w, v) in cell[1..].iter().zip(record) {
            w.store(*v, Ordering::Relaxed);
        }
        cell[0].store(pos.wrapping_add(1).wrapping_sub(i), Ordering::Release);
    }

    /// Takes the oldest record, if one is published (stopping at a stalled or retired cell:
    /// [`Ring::take`] is the consumer's call).
    fn pop(&self) -> Option<[u64; W]> {
        let head = &self.header[HEAD];
        let mut pos = head.load(Ordering::Relaxed);
        loop {
            let (cell, i) = self.cell(pos);
            let seq = cell[0].load(Ordering::Acquire).wrapping_add(i);
            match seq.wrapping_sub(pos.wrapping_add(1)) as i64 {
                // Release: a producer that sees the head moved sees what was done before.
                0 => match head.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Some(self.read_and_free(pos)),
                    Err(now) => pos = now,
                },
                d if d < 0 => return None,
                _ => pos = head.load(Ordering::Relaxed),
            }
        }
    }

    /// Reads the published record of position `pos`, which this consumer claimed, and frees
    /// its cell for the next lap.
    fn read_and_free(&self, pos: u64) -> [u64; W] {
        let (cell, i) = self.cell(pos);
        let mut out = [0u64; W];
        for (o, w) in out.iter_mut().zip(&cell[1..]) {
            *o = w.load(Ordering::Relaxed);
        }
        cell[0].store(pos.wrapping_add(self.n).wrapping_sub(i), Ordering::Release);
        out
    }

    /// Takes the oldest record as [`Ring::pop`] does, passing over retired cells, and gives up
    /// a cell at the head that a producer claimed but has not published for `watch`'s grace
    /// (counted in [`Ring::abandoned`]), then goes on with the records after it. `now` is asked
    /// for the time only when a claimed, unpublished cell is at the head.
    ///
    /// For the queue's one consumer, calling regularly with the same `watch` (the region's lock
    /// makes the writer's drains one consumer); see the module's documentation.
    pub(crate) fn take(
        &self,
        watch: &mut StallWatch,
        now: &mut impl FnMut() -> Instant,
    ) -> Option<[u64; W]> {
        let head = &self.header[HEAD];
        loop {
            if let Some(record) = self.pop() {
                return Some(record);
            }
            let pos = head.load(Ordering::Relaxed);
            let tail = self.header[TAIL].load(Ordering::Relaxed);
            if tail.wrapping_sub(pos) as i64 <= 0 {
                // Empty.
                return None;
            }
            let (cell, i) = self.cell(pos);
            let seq = cell[0].load(Ordering::Acquire).wrapping_add(i);
            match seq.wrapping_sub(pos) as i64 {
                // Claimed (the tail moved past it) and not published.
                0 => match watch.seen {
                    Some((seen, since)) if seen == pos => {
                        if now().saturating_duration_since(since) < watch.grace {
                            return None;
                        }
                        watch.seen = None;
                        self.give_up(pos);
                    }
                    _ => {
                        watch.seen = Some((pos, now()));
                        return None;
                    }
                },
                // A retired cell, which the producers passed over at this position.
                d if d < 0 => {
                    let _ = head.compare_exchange(
                        pos,
                        pos.wrapping_add(1),
                        Ordering::Release,
                        Ordering::Relaxed,
                    );
                }
                // Published since `pop` looked: again.
                _ => {}
            }
        }
    }

    /// Gives up the claimed, unpublished cell of position `pos` at the head: retires it (its
    /// sequence to `pos + 1`, what its producer would publish) and moves the head past it,
    /// counting the record abandoned — unless its producer published it meanwhile, when the
    /// next [`Ring::pop`] takes it as usual.
    fn give_up(&self, pos: u64) {
        let (cell, i) = self.cell(pos);
        let retired = cell[0]
            .compare_exchange(
                pos.wrapping_sub(i),
                pos.wrapping_add(1).wrapping_sub(i),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok();
        if retired {
            self.header[ABANDONED].fetch_add(1, Ordering::Relaxed);
            // The one consumer moves the head; Release as in `pop`.
            let _ = self.header[HEAD].compare_exchange(
                pos,
                pos.wrapping_add(1),
                Ordering::Release,
                Ordering::Relaxed,
            );
        }
    }

    /// Records refused because the queue was full, since it was made.
    pub(crate) fn dropped(&self) -> u64 {
        self.header[DROPPED].load(Ordering::Relaxed)
    }

    /// Records given up by [`Ring::take`] since the queue was made: claimed by a producer that
    /// did not publish them within the grace (killed, or stopped, between claim and publish).
    pub(crate) fn abandoned(&self) -> u64 {
        self.header[ABANDONED].load(Ordering::Relaxed)
    }

    /// Records waiting (approximate while producers run; retired cells passed over count).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> u64 {
        let tail = self.header[TAIL].load(Ordering::Relaxed);
        let head = self.header[HEAD].load(Ordering::Relaxed);
        tail.saturating_sub(head)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn words(n: usize) -> Vec<AtomicU64> {
        (0..n).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn records_come_out_in_order_and_a_full_queue_drops_and_counts() {
        let w = words(Ring::<2>::words(4));
        let ring = Ring::<2>::view(&w, 4);
        assert_eq!(ring.pop(), None);
        for i in 0..4u64 {
            assert!(ring.push(&[i, i * 10]));
        }
        assert!(!ring.push(&[99, 99]));
        assert!(!ring.push(&[98, 98]));
        assert_eq!(ring.dropped(), 2);
        assert_eq!(ring.len(), 4);
        for lap in 0..3u64 {
            for i in 0..4u64 {
                assert_eq!(ring.pop(), Some([i + lap, (i + lap) * 10]));
                assert!(ring.push(&[i + lap + 1, (i + lap + 1) * 10]) || i < 3);
            }
            // Keep the contents i+lap+1.. for the next lap.
            while ring.pop().is_some() {}
            for i in 0..4u64 {
                assert!(ring.push(&[i + lap + 1, (i + lap + 1) * 10]));
            }
        }
        assert_eq!(ring.dropped(), 2);
    }

    /// Producers on every thread, one consumer: every record arrives exactly once, or is
    /// counted as dropped; nothing is duplicated, nothing lost.
    #[test]
    fn parallel_producers_lose_and_duplicate_nothing() {
        const PER_THREAD: u64 = 50_000;
        const THREADS: u64 = 4;
        let w = words(Ring::<3>::words(1024));
        let ring = Ring::<3>::view(&w, 1024);
        let mut seen = HashSet::new();
        let mut last = vec![None; THREADS as usize];
        let pushed = std::thread::scope(|s| {
            let producers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let ring = &ring;
                    s.spawn(move || {
                        let mut ok = 0u64;
                        for i in 0..PER_THREAD {
                            let id = t << 32 | i;
                            ok += u64::from(ring.push(&[id, !id, id ^ 0x5555]));
                        }
                        ok
                    })
                })
                .collect();
            let mut taken = 0u64;
            while producers.iter().any(|p| !p.is_finished()) || ring.len() > 0 {
                while let Some([id, not, x]) = ring.pop() {
                    assert_eq!((not, x), (!id, id ^ 0x5555), "a torn record");
                    assert!(seen.insert(id), "record {id:#x} twice");
                    // Per producer, records arrive in the order they were pushed.
                    let t = (id >> 32) as usize;
                    assert!(last[t].is_none_or(|l| l < id), "out of order");
                    last[t] = Some(id);
                    taken += 1;
                }
            }
            let pushed: u64 = producers.into_iter().map(|p| p.join().unwrap()).sum();
            assert_eq!(taken, pushed);
            pushed
        });
        assert_eq!(pushed + ring.dropped(), PER_THREAD * THREADS);
        assert!(pushed >= 1024);
    }

    const GRACE: Duration = Duration::from_secs(1);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Takes from `ring` with `watch` as if the time were `at`.
    fn take_at<const W: usize>(
        ring: &Ring<'_, W>,
        watch: &mut StallWatch,
        at: Instant,
    ) -> Option<[u64; W]> {
        ring.take(watch, &mut || at)
    }

    /// A producer killed between claim and publish (its claim made through the test hook, never
    /// published): the drain delivers what came before, returns nothing during the grace, then
    /// gives that one record up, counts it, and delivers every later record in order; the
    /// queue goes on lap after lap, one cell smaller.
    #[test]
    fn a_killed_producers_cell_is_given_up_after_the_grace_and_counted_once() {
        let w = words(Ring::<2>::words(8));
        let ring = Ring::<2>::view(&w, 8);
        let mut watch = StallWatch::new(GRACE);
        let t0 = Instant::now();
        assert!(ring.push(&[0, 0]));
        let killed = ring.claim_and_die().unwrap();
        assert_eq!(killed, 1);
        for i in 2..8u64 {
            assert!(ring.push(&[i, i * 10]));
        }
        assert!(!ring.push(&[8, 80]), "full: the claimed cell is not free");
        assert_eq!(ring.dropped(), 1);
        assert_eq!(take_at(&ring, &mut watch, t0), Some([0, 0]));
        // Nothing during the grace, however often the drain asks.
        for at in [0, 1, 10, 500, 999] {
            assert_eq!(take_at(&ring, &mut watch, t0 + ms(at)), None, "at {at} ms");
            assert_eq!(ring.abandoned(), 0);
        }
        // The grace counts from the first time the drain saw the cell stalled (t0 here).
        assert_eq!(take_at(&ring, &mut watch, t0 + GRACE), Some([2, 20]));
        assert_eq!(ring.abandoned(), 1);
        for i in 3..8u64 {
            assert_eq!(take_at(&ring, &mut watch, t0 + GRACE), Some([i, i * 10]));
        }
        assert_eq!(take_at(&ring, &mut watch, t0 + GRACE), None);
        assert_eq!((ring.abandoned(), ring.dropped(), ring.len()), (1, 1, 0));
        // Lap after lap, passing over the retired cell: it holds 7 records now, and nothing
        // waits for a grace again.
        for lap in 0..5u64 {
            for i in 0..7u64 {
                assert!(ring.push(&[lap, i]), "lap {lap}, record {i}");
            }
            assert!(!ring.push(&[9, 9]), "lap {lap}: 7 records fill it");
            for i in 0..7u64 {
                assert_eq!(take_at(&ring, &mut watch, t0 + GRACE), Some([lap, i]));
            }
            assert_eq!(take_at(&ring, &mut watch, t0 + GRACE), None);
        }
        // Interleaved pushes and takes, many laps.
        for i in 100..140u64 {
            assert!(ring.push(&[i, i]));
            assert!(ring.push(&[i, !i]));
            assert_eq!(take_at(&ring, &mut watch, t0 + GRACE), Some([i, i]));
            assert_eq!(take_at(&ring, &mut watch, t0 + GRACE), Some([i, !i]));
        }
        assert_eq!((ring.abandoned(), ring.dropped()), (1, 6));
    }

    /// The grace is measured from when the drain first saw the cell stalled, whatever the
    /// clock said before; a stall at a later position starts its own grace. Two cells, both
    /// given up: the smallest queue still works with one retired cell, and with both retired
    /// it refuses and counts, never hangs.
    #[test]
    fn each_stalled_cell_gets_its_own_full_grace() {
        let w = words(Ring::<1>::words(1));
        let ring = Ring::<1>::view(&w, 1);
        assert_eq!(ring.n, 2, "at least two cells");
        let mut watch = StallWatch::new(GRACE);
        let t0 = Instant::now();
        // An empty queue starts no grace.
        assert_eq!(take_at(&ring, &mut watch, t0), None);
        let first = ring.claim_and_die().unwrap();
        assert!(ring.push(&[1]));
        assert_eq!(take_at(&ring, &mut watch, t0 + ms(5_000)), None);
        assert_eq!(take_at(&ring, &mut watch, t0 + ms(5_999)), None);
        assert_eq!(take_at(&ring, &mut watch, t0 + ms(6_000)), Some([1]));
        // One cell left: one record at a time.
        for i in 2..10u64 {
            assert!(ring.push(&[i]));
            assert!(!ring.push(&[0]));
            assert_eq!(take_at(&ring, &mut watch, t0 + ms(6_000)), Some([i]));
        }
        let second = ring.claim_and_die().unwrap();
        // The other cell: the retired one is passed over.
        assert_eq!((first & 1, second & 1), (0, 1));
        assert_eq!(take_at(&ring, &mut watch, t0 + ms(6_000)), None);
        assert_eq!(take_at(&ring, &mut watch, t0 + ms(6_999)), None);
        assert_eq!(ring.abandoned(), 1);
        assert_eq!(take_at(&ring, &mut watch, t0 + ms(7_000)), None);
        assert_eq!(ring.abandoned(), 2);
        // No cell left: pushes are refused and counted, takes return nothing, at once.
        let dropped = ring.dropped();
        assert!(!ring.push(&[1]));
        assert_eq!(ring.dropped(), dropped + 1);
        assert_eq!(take_at(&ring, &mut watch, t0 + ms(60_000)), None);
        assert_eq!(ring.abandoned(), 2);
    }

    /// A producer preempted between claim and publish that publishes just before the grace
    /// ends loses nothing — nor if it publishes after the grace but before the drain looks
    /// again.
    #[test]
    fn a_slow_producer_that_publishes_before_its_cell_is_given_up_loses_nothing() {
        let w = words(Ring::<2>::words(8));
        let ring = Ring::<2>::view(&w, 8);
        let mut watch = StallWatch::new(GRACE);
        let t0 = Instant::now();
        for round in 0..2u64 {
            let slow = ring.claim_and_die().unwrap();
            for i in 1..4u64 {
                assert!(ring.push(&[round, i]));
            }
            assert_eq!(take_at(&ring, &mut watch, t0), None);
            assert_eq!(take_at(&ring, &mut watch, t0 + ms(999)), None);
            ring.publish(slow, &[round, 0]);
            // Round 0: the drain looks again within the grace; round 1: long after it.
            let at = t0 + if round == 0 { ms(999) } else { ms(60_000) };
            for i in 0..4u64 {
                assert_eq!(take_at(&ring, &mut watch, at), Some([round, i]));
            }
            assert_eq!(take_at(&ring, &mut watch, at), None);
        }
        assert_eq!((ring.abandoned(), ring.dropped(), ring.len()), (0, 0, 0));
        // Every cell still in use: 8 records fit.
        for i in 0..8u64 {
            assert!(ring.push(&[i, i]));
        }
        assert!(!ring.push(&[9, 9]));
    }

    /// The residual risk: a producer that resumes after its cell was given up writes its
    /// words and publishes into the retired cell — whether before or after later laps came
    /// round — and changes nothing: no record garbled, none delivered or counted twice, the
    /// queue not stuck.
    #[test]
    fn a_producer_resuming_after_its_cell_was_given_up_changes_nothing() {
        for resume_after in 0..=9u64 {
            let w = words(Ring::<2>::words(4));
            let ring = Ring::<2>::view(&w, 4);
            let mut watch = StallWatch::new(GRACE);
            let t0 = Instant::now();
            let slow = ring.claim_and_die().unwrap();
            assert_eq!(take_at(&ring, &mut watch, t0), None);
            assert_eq!(take_at(&ring, &mut watch, t0 + GRACE), None);
            assert_eq!(ring.abandoned(), 1);
            let mut next = 0u64;
            let mut expect = std::collections::VecDeque::new();
            // Records pushed and taken around the late publish, over several laps.
            for step in 0..10u64 {
                if step == resume_after {
                    ring.publish(slow, &[66, 66]);
                }
                for _ in 0..2 {
                    if ring.push(&[next, !next]) {
                        expect.push_back(next);
                    }
                    next += 1;
                }
                if step % 3 != 2 {
                    while let Some(r) = take_at(&ring, &mut watch, t0 + GRACE) {
                        let want = expect.pop_front().expect("a record nobody pushed");
                        assert_eq!(r, [want, !want], "resumed after step {resume_after}");
                    }
                }
            }
            while let Some(r) = take_at(&ring, &mut watch, t0 + ms(60_000)) {
                let want = expect.pop_front().expect("a record nobody pushed");
                assert_eq!(r, [want, !want]);
            }
            assert!(expect.is_empty());
            assert_eq!(ring.abandoned(), 1, "counted once");
            assert_eq!(ring.len(), 0);
            // Still three usable cells.
            for i in 0..3u64 {
                assert!(ring.push(&[i, i]));
            }
            assert!(!ring.push(&[9, 9]));
        }
    }

    /// Producers on every thread, some of them stopping between claim and publish for about
    /// the grace (a few ms here), one consumer giving stalled cells up: every record is
    /// delivered intact once or counted abandoned once (nothing garbled, duplicated or
    /// reordered per producer), and at the end the queue is empty, not stuck.
    #[test]
    fn producers_stopping_mid_push_lose_only_their_own_records() {
        const PER_THREAD: u64 = 20_000;
        const THREADS: u64 = 4;
        const SLOW_EVERY: u64 = 500;
        let grace = ms(3);
        let w = words(Ring::<3>::words(256));
        let ring = Ring::<3>::view(&w, 256);
        let mut watch = StallWatch::new(grace);
        let mut seen = HashSet::new();
        let mut last = vec![None; THREADS as usize];
        std::thread::scope(|s| {
            let producers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let ring = &ring;
                    s.spawn(move || {
                        for i in 0..PER_THREAD {
                            let id = t << 32 | i;
                            // Every record gets a cell (a full queue is tried again).
                            let pos = loop {
                                match ring.claim_and_die() {
                                    Some(pos) => break pos,
                                    None => std::thread::yield_now(),
                                }
                            };
                            if i % SLOW_EVERY == SLOW_EVERY - 1 {
                                // Around the grace: some make it, some do not.
                                std::thread::sleep(ms(i / SLOW_EVERY % 7));
                            }
                            ring.publish(pos, &[id, !id, id ^ 0x5555]);
                        }
                    })
                })
                .collect();
            let mut now = Instant::now;
            loop {
                let finished = producers.iter().all(|p| p.is_finished());
                while let Some([id, not, x]) = ring.take(&mut watch, &mut now) {
                    assert_eq!((not, x), (!id, id ^ 0x5555), "a torn record");
                    assert!(seen.insert(id), "record {id:#x} twice");
                    let t = (id >> 32) as usize;
                    assert!(last[t].is_none_or(|l| l < id), "out of order");
                    last[t] = Some(id);
                }
                if finished && ring.len() == 0 {
                    break;
                }
            }
        });
        let abandoned = ring.abandoned();
        assert_eq!(seen.len() as u64 + abandoned, PER_THREAD * THREADS);
        // Only slow pushes are given up.
        let slow = PER_THREAD / SLOW_EVERY * THREADS;
        assert!(abandoned > 0 && abandoned <= slow, "{abandoned} of {slow}");
        for id in (0..THREADS).flat_map(|t| (0..PER_THREAD).map(move |i| t << 32 | i)) {
            assert!(
                seen.contains(&id) || id as u32 as u64 % SLOW_EVERY == SLOW_EVERY - 1,
                "record {id:#x} lost without stopping"
            );
        }
        // The queue still takes records: at most `abandoned` cells retired.
        let room = (0..256).take_while(|i| ring.push(&[*i, 0, 0])).count() as u64;
        assert_eq!(room + abandoned.min(256), 256);
    }
}

#[cfg(all(test, not(loom)))]
mod speed {
    use super::*;
    use std::hint::black_box;

    impl<const W: usize> Ring<'_, W> {
        /// The push before stalled cells were given up, verbatim.
        #[inline(never)]
        fn push_before(&self, record: &[u64; W]) -> bool {
            let tail = &self.header[TAIL];
            let mut pos = tail.load(Ordering::Relaxed);
            loop {
                let (cell, i) = self.cell(pos);
                let seq = cell[0].load(Ordering::Acquire).wrapping_add(i);
                match seq.wrapping_sub(pos) as i64 {
                    0 => match tail.compare_exchange_weak(
                        pos,
                        pos.wrapping_add(1),
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            for (w, v) in cell[1..].iter().zip(record) {
                                w.store(*v, Ordering::Relaxed);
                            }
                            cell[0].store(pos.wrapping_add(1).wrapping_sub(i), Ordering::Release);
                            return true;
                        }
                        Err(now) => pos = now,
                    },
                    d if d < 0 => {
                        self.header[DROPPED].fetch_add(1, Ordering::Relaxed);
                        return false;
                    }
                    _ => pos = tail.load(Ordering::Relaxed),
                }
            }
        }

        #[inline(never)]
        fn push_now(&self, record: &[u64; W]) -> bool {
            self.push(record)
        }

        /// A publish by compare-and-swap (the alternative to retiring cells).
        #[inline(never)]
        fn push_cas(&self, record: &[u64; W]) -> bool {
            self.claim(|pos, cell, i| {
                for (w, v) in cell[1..].iter().zip(record) {
                    w.store(*v, Ordering::Relaxed);
                }
                cell[0]
                    .compare_exchange(
                        pos.wrapping_sub(i),
                        pos.wrapping_add(1).wrapping_sub(i),
                        Ordering::Release,
                        Ordering::Relaxed,
                    )
                    .is_ok()
            })
            .unwrap_or(false)
        }
    }

    #[test]
    #[ignore = "timing: cargo test --release --lib ring::speed -- --ignored --nocapture"]
    fn push_before_now_and_with_a_cas_publish() {
        let w: Vec<AtomicU64> = (0..Ring::<7>::words(1 << 14))
            .map(|_| AtomicU64::new(0))
            .collect();
        let ring = Ring::<7>::view(&w, 1 << 14);
        const BATCH: u64 = 16_000;
        let mut best = [f64::MAX; 3];
        for round in 0..3000 {
            let which = round % 3;
            let t = Instant::now();
            for k in 0..BATCH {
                let r = [k; 7];
                black_box(match which {
                    0 => ring.push_before(black_box(&r)),
                    1 => ring.push_now(black_box(&r)),
                    _ => ring.push_cas(black_box(&r)),
                });
            }
            let ns = t.elapsed().as_nanos() as f64 / BATCH as f64;
            best[which] = best[which].min(ns);
            while ring.pop().is_some() {}
        }
        eprintln!(
            "push, best ns per record: before {:.2}, now {:.2}, cas publish {:.2}",
            best[0], best[1], best[2]
        );
    }
}

/// Loom models of giving cells up (run with `RUSTFLAGS="--cfg loom" cargo test --release --lib
/// loom`): every interleaving of the producers and the consumer, and the values the C11 memory
/// model lets each load return. The grace is zero, so a consumer that takes twice gives a
/// stalled cell up at once — and would give up a phantom (a cell the producers passed over as
/// retired while it was free) the same way, which the final counts would show.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    fn ring_words() -> Arc<Vec<AtomicU64>> {
        Arc::new(
            (0..Ring::<1>::words(2))
                .map(|_| AtomicU64::new(0))
                .collect(),
        )
    }

    /// Takes everything there is, twice over, giving up at once (zero grace).
    fn take_all(ring: &Ring<'_, 1>, watch: &mut StallWatch, out: &mut Vec<u64>) {
        let at = Instant::now();
        for _ in 0..2 {
            while let Some([r]) = ring.take(watch, &mut || at) {
                out.push(r);
            }
        }
    }

    /// A producer publishing while the consumer gives its cell up: the record is delivered or
    /// counted abandoned, exactly one of the two; then the queue works, with no phantom.
    #[test]
    fn loom_give_up_races_the_publish() {
        loom::model(|| {
            let w = ring_words();
            let ring = Ring::<1>::view(&w, 2);
            let pos = ring.claim_and_die().unwrap();
            let p = Arc::clone(&w);
            let producer = thread::spawn(move || {
                Ring::<1>::view(&p, 2).publish(pos, &[7]);
            });
            let mut watch = StallWatch::new(Duration::ZERO);
            let mut got = Vec::new();
            take_all(&ring, &mut watch, &mut got);
            producer.join().unwrap();
            take_all(&ring, &mut watch, &mut got);
            let abandoned = ring.abandoned();
            assert!(
                got == [7] && abandoned == 0 || got.is_empty() && abandoned == 1,
                "{got:?}, {abandoned} abandoned"
            );
            for r in [8, 9, 10] {
                assert!(ring.push(&[r]));
                take_all(&ring, &mut watch, &mut got);
            }
            assert_eq!(&got[got.len() - 3..], [8, 9, 10]);
            assert_eq!((ring.abandoned(), ring.dropped()), (abandoned, 0));
        });
    }

    /// A producer finding the queue full while the consumer empties it: it never takes the
    /// cell being read, or one already freed, for a retired one (which would leave a position
    /// no producer fills: a phantom the consumer would give up and count).
    #[test]
    fn loom_a_full_queue_being_emptied_is_not_taken_for_retired_cells() {
        loom::model(|| {
            let w = ring_words();
            let ring = Ring::<1>::view(&w, 2);
            assert!(ring.push(&[1]) && ring.push(&[2]));
            let p = Arc::clone(&w);
            let producer = thread::spawn(move || Ring::<1>::view(&p, 2).push(&[3]));
            let mut watch = StallWatch::new(Duration::ZERO);
            let at = Instant::now();
            let mut got = Vec::new();
            for _ in 0..2 {
                if let Some([r]) = ring.take(&mut watch, &mut || at) {
                    got.push(r);
                }
            }
            let pushed = producer.join().unwrap();
            take_all(&ring, &mut watch, &mut got);
            let want: &[u64] = if pushed { &[1, 2, 3] } else { &[1, 2] };
            assert_eq!(got, want);
            assert_eq!((ring.abandoned(), ring.dropped()), (0, u64::from(!pushed)));
        });
    }

    /// A retired cell, a producer passing over it while the consumer takes, and the retired
    /// cell's producer storing its late publish meanwhile: records come out in order, the late
    /// one never; every push is delivered or dropped; nothing more is abandoned (no phantom).
    #[test]
    fn loom_producers_and_the_consumer_pass_over_a_retired_cell() {
        loom::model(|| {
            let w = ring_words();
            let ring = Ring::<1>::view(&w, 2);
            let mut watch = StallWatch::new(Duration::ZERO);
            let mut got = Vec::new();
            let late = ring.claim_and_die().unwrap();
            take_all(&ring, &mut watch, &mut got);
            assert_eq!(ring.abandoned(), 1);
            let (p, l) = (Arc::clone(&w), Arc::clone(&w));
            let producer = thread::spawn(move || {
                let ring = Ring::<1>::view(&p, 2);
                [1, 2].map(|r| ring.push(&[r]))
            });
            let late_producer = thread::spawn(move || {
                Ring::<1>::view(&l, 2).publish(late, &[66]);
            });
            let at = Instant::now();
            for _ in 0..2 {
                if let Some([r]) = ring.take(&mut watch, &mut || at) {
                    got.push(r);
                }
            }
            let pushed = producer.join().unwrap();
            late_producer.join().unwrap();
            take_all(&ring, &mut watch, &mut got);
            let want: Vec<u64> = [1, 2]
                .into_iter()
                .zip(pushed)
                .filter_map(|(r, ok)| ok.then_some(r))
                .collect();
            assert_eq!(got, want);
            assert_eq!(
                ring.dropped(),
                pushed.iter().filter(|ok| !**ok).count() as u64
            );
            assert_eq!(ring.abandoned(), 1);
            // The one cell left still takes a record.
            assert!(ring.push(&[3]));
            take_all(&ring, &mut watch, &mut got);
            assert_eq!(got.last(), Some(&3));
            assert_eq!(ring.abandoned(), 1);
        });
    }
}
