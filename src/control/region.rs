//! The control region: the memory every router of a registry shares for the regulatory controls —
//! the controls' configuration, the block table, the frequency counters, the automatic-block
//! marks, the queue of automatic-block notices and the record queues.
//!
//! Unlike the index (written by the writer only, mapped read-only by readers), routers *update*
//! this memory: reader processes map it read-write, so a limit holds across all of a switch's
//! workers and records from every worker reach the one queue the writer drains. It is a block of
//! 64-bit atomic words without pointers, on the heap (threads of one process) or in a file beside
//! the shared index (`<index path>.ctl`). Its size is fixed when the registry starts.
//!
//! ```text
//! header (16 words) | configuration (postcard bytes) | block table | counters (one table per
//! limit, two for probing) | marks | notice queue | record queues (one per shard)
//! ```
#![forbid(unsafe_code)]

use super::block_table::BlockTable;
use super::limits::{Controls, Window};
use super::ring::{Ring, StallWatch};
use crate::index::shm::Mapping;
use crate::sync::{AtomicU64, Ordering};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Identifies a control region ("NP700CTL").
const MAGIC: u64 = u64::from_le_bytes(*b"NP700CTL");
/// Bumped whenever the layout changes incompatibly.
const LAYOUT_VERSION: u64 = 1;
const HEADER_WORDS: usize = 16;

mod header {
    pub const MAGIC: usize = 0;
    pub const VERSION: usize = 1;
    pub const GENERATION: usize = 2;
    pub const RETIRED: usize = 3;
    /// Bytes of the encoded configuration.
    pub const CONFIG_BYTES: usize = 4;
    /// Total words (checked against the file's size by readers).
    pub const WORDS: usize = 5;
    /// Requests let through because a counter table had no free slot.
    pub const UNTRACKED: usize = 6;
}

/// Words of a record in the record queues.
pub(crate) const RECORD_WORDS: usize = 7;
/// Words of an automatic-block notice: caller, until, distinct numbers | window.
pub(crate) const NOTICE_WORDS: usize = 3;
/// Notices the queue holds (a burst of probers larger than this is journaled by the marks'
/// effect only: the routers still block them until the mark ends).
const NOTICE_CELLS: usize = 1024;

/// What the configuration area holds: the controls and the SMS rules (encoded by their owner).
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    controls: Controls,
    sms: Vec<u8>,
}

/// Word offsets of the parts of a region.
#[derive(Copy, Clone, Debug)]
struct Layout {
    config: usize,
    blocks: usize,
    counters: usize,
    marks: usize,
    notices: usize,
    records: usize,
    end: usize,
}

impl Layout {
    fn of(c: &Controls, config_bytes: usize) -> Layout {
        // Every part starts on a 64-byte line, and so does every record cell (a record is one
        // line: sequence + 7 words), so a record is written to one line, not two.
        let line = |words: usize| words.next_multiple_of(8);
        let config = HEADER_WORDS;
        let blocks = line(config + config_bytes.div_ceil(8));
        let counters = line(blocks + BlockTable::words(2 * c.block_rules as usize));
        let marks = line(counters + counter_tables(c) * c.counter_slots as usize);
        let notices = line(marks + c.mark_slots as usize);
        let records = line(notices + Ring::<NOTICE_WORDS>::words(NOTICE_CELLS));
        const {
            assert!(
                super::ring::HEADER_WORDS.is_multiple_of(8) && (1 + RECORD_WORDS).is_multiple_of(8)
            )
        };
        let end = records
            + c.record_shards as usize * Ring::<RECORD_WORDS>::words(c.records_per_shard as usize);
        Layout {
            config,
            blocks,
            counters,
            marks,
            notices,
            records,
            end,
        }
    }
}

/// Counter tables: one per limit, two for probing (pairs seen, distinct numbers per caller).
fn counter_tables(c: &Controls) -> usize {
    c.limits.len() + if c.probing.is_some() { 2 } else { 0 }
}

fn windows(c: &Controls) -> Vec<Window> {
    let probing = c.probing.map_or(1, |p| p.window_secs);
    c.limits
        .iter()
        .map(|l| l.window_secs)
        .chain([probing])
        .map(Window::new)
        .collect()
}

/// The drainer's watches: one per record shard, and the notice queue's.
fn watches(c: &Controls) -> Mutex<Vec<StallWatch>> {
    Mutex::new(vec![StallWatch::default(); c.record_shards as usize + 1])
}

/// Why a reader could not attach to a control region.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegionError {
    /// The file could not be opened or mapped.
    #[error("cannot map the control region: {0}")]
    Io(#[from] std::io::Error),
    /// Not a control region, a different layout version, or smaller than its header says.
    #[error("not a usable np700 control region")]
    Invalid,
}

/// A control region: its memory and what its header says.
pub struct Region {
    mapping: Mapping,
    layout: Layout,
    controls: Controls,
    /// Each limit's window, then probing's (divisions by them done without dividing).
    windows: Vec<Window>,
    sms: Vec<u8>,
    /// What the drainer remembers of stalled queue cells (see [`Ring::take`]): one watch per
    /// record shard, then the notice queue's. Process-local: the writer's, who drains.
    watches: Mutex<Vec<StallWatch>>,
}

impl Region {
    /// A new region for `controls` (sanitized) and the encoded SMS rules: private memory, or a
    /// file at `path` (replacing one there) for reader processes.
    pub(crate) fn create(
        controls: &Controls,
        sms: Vec<u8>,
        path: Option<&Path>,
        generation: u64,
    ) -> std::io::Result<Region> {
        let stored = Stored {
            controls: controls.sanitized(),
            sms,
        };
        let bytes = postcard::to_allocvec(&stored).map_err(std::io::Error::other)?;
        let layout = Layout::of(&stored.controls, bytes.len());
        let mapping = match path {
            None => Mapping::anonymous(layout.end)?,
            Some(path) => Mapping::create(path, layout.end)?,
        };
        let Stored { controls, sms } = stored;
        let region = Region {
            mapping,
            layout,
            windows: windows(&controls),
            watches: watches(&controls),
            controls,
            sms,
        };
        let w = region.words();
        for (word, chunk) in w[layout.config..].iter().zip(bytes.chunks(8)) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            word.store(u64::from_le_bytes(b), Ordering::Relaxed);
        }
        let h = |i: usize, v: u64| w[i].store(v, Ordering::Relaxed);
        h(header::VERSION, LAYOUT_VERSION);
        h(header::GENERATION, generation);
        h(header::CONFIG_BYTES, bytes.len() as u64);
        h(header::WORDS, layout.end as u64);
        // Last, with release: a reader that sees the magic sees everything above.
        w[header::MAGIC].store(MAGIC, Ordering::Release);
        Ok(region)
    }

    /// Attaches read-write to the region a writer published at `path`.
    pub fn attach(path: &Path) -> Result<Region, RegionError> {
        let mapping = Mapping::open_writable(path)?;
        let w = mapping.words();
        let ok = w.len() >= HEADER_WORDS
            && w[header::MAGIC].load(Ordering::Acquire) == MAGIC
            && w[header::VERSION].load(Ordering::Relaxed) == LAYOUT_VERSION;
        if !ok {
            return Err(RegionError::Invalid);
        }
        let bytes_len = usize::try_from(w[header::CONFIG_BYTES].load(Ordering::Relaxed))
            .map_err(|_| RegionError::Invalid)?;
        if bytes_len > (w.len() - HEADER_WORDS) * 8 {
            return Err(RegionError::Invalid);
        }
        let mut bytes = Vec::with_capacity(bytes_len);
        for word in &w[HEADER_WORDS..HEADER_WORDS + bytes_len.div_ceil(8)] {
            bytes.extend_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
        }
        bytes.truncate(bytes_len);
        let stored: Stored = postcard::from_bytes(&bytes).map_err(|_| RegionError::Invalid)?;
        if stored.controls.validate().is_err() {
            return Err(RegionError::Invalid);
        }
        let layout = Layout::of(&stored.controls, bytes_len);
        let words = w[header::WORDS].load(Ordering::Relaxed);
        if layout.end as u64 != words || layout.end > w.len() {
            return Err(RegionError::Invalid);
        }
        Ok(Region {
            mapping,
            layout,
            windows: windows(&stored.controls),
            watches: watches(&stored.controls),
            controls: stored.controls,
            sms: stored.sms,
        })
    }

    /// The path of the region beside a shared index at `index`.
    pub fn path_for(index: &Path) -> PathBuf {
        let mut p = index.as_os_str().to_owned();
        p.push(".ctl");
        p.into()
    }

    fn words(&self) -> &[AtomicU64] {
        self.mapping.words()
    }

    fn part(&self, from: usize, to: usize) -> &[AtomicU64] {
        &self.words()[from..to]
    }

    /// The number of the window `now` falls in for limit `i` (`i` = the number of limits:
    /// probing's window).
    pub(crate) fn window(&self, i: usize, now: u64) -> u64 {
        self.windows.get(i).map_or(0, |w| w.of(now))
    }

    /// The controls this region was made for (sanitized).
    pub fn controls(&self) -> &Controls {
        &self.controls
    }

    /// The SMS rules, as encoded by their owner.
    pub(crate) fn sms_bytes(&self) -> &[u8] {
        &self.sms
    }

    /// The generation of the writer that made it.
    pub fn generation(&self) -> u64 {
        self.words()[header::GENERATION].load(Ordering::Acquire)
    }

    /// Whether its writer replaced it (a new writer started).
    pub fn is_retired(&self) -> bool {
        self.words()[header::RETIRED].load(Ordering::Acquire) != 0
    }

    /// Marks it replaced (writer only).
    pub(crate) fn retire(&self) {
        self.words()[header::RETIRED].store(1, Ordering::Release);
    }

    /// The block table's words (room for `2 × block_rules` directed rules: a both-ways rule
    /// takes two).
    pub(crate) fn block_words(&self) -> &[AtomicU64] {
        // The part is line-padded: the table is exactly what `BlockTable::words` sized.
        let len = BlockTable::words(2 * self.controls.block_rules as usize);
        self.part(self.layout.blocks, self.layout.blocks + len)
    }

    /// The block table, to read (`None` never happens for a region made by [`Region::create`]
    /// or accepted by [`Region::attach`]).
    pub(crate) fn blocks(&self) -> Option<BlockTable<'_>> {
        BlockTable::new(self.block_words()).ok()
    }

    /// Counter table `i` (limits in order, then probing's two).
    pub(crate) fn counter_slots(&self, i: usize) -> &[AtomicU64] {
        let n = self.controls.counter_slots as usize;
        let from = self.layout.counters + i * n;
        self.part(from, from + n)
    }

    /// The automatic-block marks.
    pub(crate) fn mark_slots(&self) -> &[AtomicU64] {
        self.part(self.layout.marks, self.layout.notices)
    }

    /// The notice queue.
    pub(crate) fn notices(&self) -> Ring<'_, NOTICE_WORDS> {
        Ring::view(
            self.part(self.layout.notices, self.layout.records),
            NOTICE_CELLS,
        )
    }

    fn record_ring_words(&self, shard: usize) -> &[AtomicU64] {
        let per = self.controls.records_per_shard as usize;
        let len = Ring::<RECORD_WORDS>::words(per);
        let from = self.layout.records + shard * len;
        self.part(from, from + len)
    }

    /// Record queue `shard` (taken modulo the shard count).
    pub(crate) fn records(&self, shard: usize) -> Ring<'_, RECORD_WORDS> {
        let shard = shard % self.controls.record_shards as usize;
        Ring::view(
            self.record_ring_words(shard),
            self.controls.records_per_shard as usize,
        )
    }

    /// The drainer's watches: record shard `i`'s at `i`, the notice queue's last. Held by the
    /// drain, so concurrent drains of one process take turns.
    pub(crate) fn watches(&self) -> MutexGuard<'_, Vec<StallWatch>> {
        self.watches.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request let through untracked (a counter table had no free slot).
    pub(crate) fn note_untracked(&self) {
        self.words()[header::UNTRACKED].fetch_add(1, Ordering::Relaxed);
    }

    /// Requests let through untracked so far.
    pub fn untracked(&self) -> u64 {
        self.words()[header::UNTRACKED].load(Ordering::Relaxed)
    }

    /// Bytes of memory the region occupies.
    pub fn bytes(&self) -> usize {
        self.layout.end * 8
    }
}
