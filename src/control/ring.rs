//! A bounded lock-free queue of fixed-size records in a block of atomic words (D. Vyukov's
//! bounded MPMC queue), usable across processes in a shared mapping: no pointers, no allocation,
//! no waiting. A producer that finds the queue full gives up at once and counts a drop.
//!
//! ```text
//! word 0: tail (next position to fill)        | padding to 8 words (its own cache line)
//! word 8: head (next position to take)        | padding
//! word 16: dropped (pushes refused when full) | padding
//! then `cells` cells of `1 + W` words: sequence, then the record's W words
//! ```
//!
//! A cell's sequence says whose turn it is: `pos` = free for the producer of position `pos`,
//! `pos + 1` = filled for the consumer of `pos`, `pos + cells` = free again for the next lap.
//! Cell `i` stores its sequence minus `i`, so zeroed memory is an empty queue and making one
//! touches none of its pages.
//! A producer claims a position by compare-and-swap on the tail, writes the words, and publishes
//! them with a release store of the sequence; consumers claim by compare-and-swap on the head.
//!
//! A producer that dies between claiming a cell and publishing it (a killed worker) leaves that
//! cell unpublished: consumers stop there, and once the queue is full further records are dropped
//! and counted. Such a shard is reset by the writer restarting (a new region).
#![forbid(unsafe_code)]

use crate::sync::{AtomicU64, Ordering};

/// Header words (three counters, each on its own 64-byte line).
pub(crate) const HEADER_WORDS: usize = 24;
const TAIL: usize = 0;
const HEAD: usize = 8;
const DROPPED: usize = 16;

/// A queue of `W`-word records over `words` (laid out by [`Ring::words`]).
pub(crate) struct Ring<'a, const W: usize> {
    header: &'a [AtomicU64],
    cells: &'a [AtomicU64],
    /// Cells; a power of two.
    n: u64,
}

impl<'a, const W: usize> Ring<'a, W> {
    /// Words needed for `cells` cells (rounded up to a power of two).
    pub(crate) fn words(cells: usize) -> usize {
        HEADER_WORDS + cells.max(1).next_power_of_two() * (1 + W)
    }

    /// The queue in `words` (zeroed words are an empty one).
    pub(crate) fn view(words: &'a [AtomicU64], cells: usize) -> Ring<'a, W> {
        let n = cells.max(1).next_power_of_two();
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
    pub(crate) fn push(&self, record: &[u64; W]) -> bool {
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
                    // The cell still holds the record of the previous lap: full.
                    self.header[DROPPED].fetch_add(1, Ordering::Relaxed);
                    return false;
                }
                _ => pos = tail.load(Ordering::Relaxed),
            }
        }
    }

    /// Takes the oldest record, if one is published.
    pub(crate) fn pop(&self) -> Option<[u64; W]> {
        let head = &self.header[HEAD];
        let mut pos = head.load(Ordering::Relaxed);
        loop {
            let (cell, i) = self.cell(pos);
            let seq = cell[0].load(Ordering::Acquire).wrapping_add(i);
            match seq.wrapping_sub(pos.wrapping_add(1)) as i64 {
                0 => match head.compare_exchange_weak(
                    pos,
                    pos.wrapping_add(1),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let mut out = [0u64; W];
                        for (o, w) in out.iter_mut().zip(&cell[1..]) {
                            *o = w.load(Ordering::Relaxed);
                        }
                        let next = pos.wrapping_add(self.n).wrapping_sub(i);
                        cell[0].store(next, Ordering::Release);
                        return Some(out);
                    }
                    Err(now) => pos = now,
                },
                d if d < 0 => return None,
                _ => pos = head.load(Ordering::Relaxed),
            }
        }
    }

    /// Records refused because the queue was full, since it was made.
    pub(crate) fn dropped(&self) -> u64 {
        self.header[DROPPED].load(Ordering::Relaxed)
    }

    /// Records waiting (approximate while producers run).
    #[cfg(test)]
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
}
