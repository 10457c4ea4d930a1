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
//! header (16 words) | configuration (postcard bytes) | block table | counters | marks
//! | notice queue | record queues (one per shard)
//! ```
//!
//! The counters are one table per limit and two for probing (pairs seen, each caller's distinct
//! numbers), grouped by where their subjects are looked for first — at the caller's place
//! (caller limits, probing's two), at the usage number's (number limits), at the usage number's
//! again for binding limits (a binding on one number is counted beside it when there is room),
//! and at the binding's own place (the bindings that found none, and AXYB's: each binding limit
//! has a table in both of these groups) — and the tables of a group interleaved slot by slot:
//! slot `s` of the group's `k` tables is `k` adjacent words (`k` rounded up to 1, 2, 4, 8 or a
//! multiple of 8), so a subject's first slots in every table of its group share one 64-byte
//! line. A call then costs one cache miss for its caller's counts (probing included), one for
//! its number's and one for its binding's, however many limits count them.
#![forbid(unsafe_code)]

use super::block_table::BlockTable;
use super::counter::{Counters, Place};
use super::limits::{Controls, Window};
use super::ring::{Ring, StallWatch};
use crate::index::shm::Mapping;
use crate::sync::{AtomicU64, Ordering};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Identifies a control region ("NP700CTL").
const MAGIC: u64 = u64::from_le_bytes(*b"NP700CTL");
/// Bumped whenever the layout changes incompatibly (2: counter tables interleaved by kind).
const LAYOUT_VERSION: u64 = 2;
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

/// Where a counter table's subjects are looked for first: the tables of one kind are
/// interleaved.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// At the calling number's place: per-caller limits, probing's distinct numbers per caller,
    /// and probing's (caller, number) pairs (first in the caller's line, then at the pair's
    /// own place).
    Caller = 0,
    /// At the usage number's place: per-number limits.
    Number = 1,
    /// Per-binding limits, at the usage number's place: a binding on one usage number is
    /// counted in that number's line when there is room.
    Binding = 2,
    /// Per-binding limits, at the binding's own place: the bindings that found no room beside
    /// their number, and AXYB bindings (on two numbers). A table of their own, so that the
    /// numbers' full lines do not crowd them.
    BindingOwn = 3,
}

const KINDS: usize = 4;

/// Where each counter table is: its kind's group, and its place in the group's slots.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Tables {
    /// For each table (limits in order, then probing's pairs and distinct numbers): its kind and
    /// its word within a slot of its group.
    at: Vec<(Kind, usize)>,
    /// Words per slot of each kind's group (0: no table of that kind).
    stride: [usize; KINDS],
}

impl Tables {
    fn of(c: &Controls) -> Tables {
        let mut count = [0usize; KINDS];
        let mut at = Vec::with_capacity(c.limits.len() + 2);
        let mut add = |kind: Kind| {
            at.push((kind, count[kind as usize]));
            count[kind as usize] += 1;
        };
        for l in &c.limits {
            add(match l.subject {
                super::limits::Subject::Caller => Kind::Caller,
                super::limits::Subject::UsageNumber => Kind::Number,
                super::limits::Subject::Binding => Kind::Binding,
            });
        }
        if c.probing.is_some() {
            // Pairs seen, then distinct numbers: both at the caller's.
            add(Kind::Caller);
            add(Kind::Caller);
        }
        // Each binding table has its own-place part at the same word of its own group.
        count[Kind::BindingOwn as usize] = count[Kind::Binding as usize];
        // A slot's words never straddle a line: 1, 2, 4 or 8 words, or whole lines.
        let stride = count.map(|k| match k {
            0..=8 => k.next_power_of_two() * usize::from(k > 0),
            _ => k.next_multiple_of(8),
        });
        Tables { at, stride }
    }

    /// Words of all the counter groups, each starting on a line.
    fn words(&self, slots: usize) -> usize {
        self.stride
            .iter()
            .map(|k| (k * slots).next_multiple_of(8))
            .sum()
    }
}

/// Word offsets of the parts of a region.
#[derive(Copy, Clone, Debug)]
struct Layout {
    config: usize,
    blocks: usize,
    /// The first word of each kind's counter group.
    counters: [usize; KINDS],
    marks: usize,
    notices: usize,
    records: usize,
    end: usize,
}

impl Layout {
    fn of(c: &Controls, tables: &Tables, config_bytes: usize) -> Layout {
        // Every part starts on a 64-byte line, and so does every record cell (a record is one
        // line: sequence + 7 words), so a record is written to one line, not two.
        let line = |words: usize| words.next_multiple_of(8);
        let config = HEADER_WORDS;
        let blocks = line(config + config_bytes.div_ceil(8));
        let slots = c.counter_slots as usize;
        let mut counters = [0; KINDS];
        let mut at = line(blocks + BlockTable::words(2 * c.block_rules as usize));
        for (kind, first) in counters.iter_mut().enumerate() {
            *first = at;
            at += line(tables.stride[kind] * slots);
        }
        debug_assert_eq!(at - counters[0], tables.words(slots));
        let marks = at;
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
    tables: Tables,
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
        let tables = Tables::of(&stored.controls);
        let layout = Layout::of(&stored.controls, &tables, bytes.len());
        let mapping = match path {
            None => Mapping::anonymous(layout.end)?,
            Some(path) => Mapping::create(path, layout.end)?,
        };
        let Stored { controls, sms } = stored;
        let region = Region {
            mapping,
            layout,
            tables,
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
        let tables = Tables::of(&stored.controls);
        let layout = Layout::of(&stored.controls, &tables, bytes_len);
        let words = w[header::WORDS].load(Ordering::Relaxed);
        if layout.end as u64 != words || layout.end > w.len() {
            return Err(RegionError::Invalid);
        }
        Ok(Region {
            mapping,
            layout,
            tables,
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

    /// Counter table `i` (limits in order, then probing's pairs and distinct numbers); for a
    /// per-binding limit, its part beside the numbers.
    pub(crate) fn counters(&self, i: usize) -> Counters<'_> {
        let (kind, pos) = self.tables.at[i];
        self.counters_of(kind, pos)
    }

    /// The own-place part of counter table `i`, a per-binding limit's.
    pub(crate) fn binding_own(&self, i: usize) -> Counters<'_> {
        debug_assert_eq!(self.tables.at[i].0, Kind::Binding);
        self.counters_of(Kind::BindingOwn, self.tables.at[i].1)
    }

    fn counters_of(&self, kind: Kind, pos: usize) -> Counters<'_> {
        Counters::interleaved(
            self.group(kind),
            self.tables.stride[kind as usize],
            pos,
            self.controls.counter_slots as usize,
        )
    }

    /// The place of the subject hashed to `h` in every counter table (they all have
    /// `counter_slots` slots).
    pub(crate) fn place_of(&self, h: u64) -> Place {
        Place::of(h, self.controls.counter_slots as usize)
    }

    /// The first word of the line where a subject at `place` starts in the tables of `kind`
    /// (`None` if there are none).
    pub(crate) fn line(&self, kind: Kind, place: Place) -> Option<&AtomicU64> {
        self.group(kind)
            .get(place.start() * self.tables.stride[kind as usize])
    }

    /// Whether some limit counts per binding.
    pub(crate) fn counts_bindings(&self) -> bool {
        self.tables.stride[Kind::Binding as usize] > 0
    }

    /// The words of the counter tables of `kind`, interleaved.
    fn group(&self, kind: Kind) -> &[AtomicU64] {
        let from = self.layout.counters[kind as usize];
        let words = self.tables.stride[kind as usize] * self.controls.counter_slots as usize;
        self.part(from, from + words)
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::binding::Media;
    use crate::control::counter::Counted;
    use crate::control::limits::{Probing, RateLimit, Subject};
    use crate::index::mix;

    fn limit(subject: Subject, media: Option<Media>, window_secs: u32) -> RateLimit {
        RateLimit {
            subject,
            media,
            window_secs,
            max: 10,
        }
    }

    /// Two caller limits, a number limit, two binding limits, a third caller limit, probing.
    fn controls() -> Controls {
        Controls {
            limits: vec![
                limit(Subject::Caller, Some(Media::Voice), 60),
                limit(Subject::UsageNumber, None, 3600),
                limit(Subject::Binding, None, 86_400),
                limit(Subject::Caller, Some(Media::Sms), 60),
                limit(Subject::Binding, Some(Media::Voice), 3600),
                limit(Subject::Caller, None, 86_400),
            ],
            probing: Some(Probing {
                distinct_numbers: 5,
                window_secs: 600,
                block_secs: 60,
            }),
            counter_slots: 1000,
            ..Controls::default()
        }
    }

    fn address(word: &AtomicU64) -> usize {
        std::ptr::from_ref(word) as usize
    }

    #[test]
    fn tables_of_a_kind_are_interleaved_one_word_each() {
        let t = Tables::of(&controls());
        use Kind::*;
        assert_eq!(
            t.at,
            vec![
                (Caller, 0),
                (Number, 0),
                (Binding, 0),
                (Caller, 1),
                (Binding, 1),
                (Caller, 2),
                (Caller, 3),
                (Caller, 4),
            ]
        );
        assert_eq!(t.stride, [8, 1, 2, 2]);
        // Nine tables of one kind take whole lines per slot.
        let many = Controls {
            limits: vec![limit(Subject::Caller, None, 60); 9],
            ..Controls::default()
        };
        assert_eq!(Tables::of(&many).stride, [16, 0, 0, 0]);
        assert_eq!(Tables::of(&Controls::default()).stride, [0; KINDS]);
    }

    /// A subject's first slots in every table of its kind are in the line its kind's touch
    /// loads, and the tables keep apart counts (each its own word, its own window).
    #[test]
    fn a_subjects_first_slots_share_one_line_and_keep_apart_counts() {
        let r = Region::create(&controls(), Vec::new(), None, 1).unwrap();
        let t = Tables::of(r.controls());
        assert_eq!(address(&r.words()[0]) % 64, 0);
        assert!(r.layout.counters.iter().all(|w| w % 8 == 0));
        for subject in 0..2000u64 {
            let place = r.place_of(mix(subject));
            for kind in [Kind::Caller, Kind::Number, Kind::Binding, Kind::BindingOwn] {
                let line = r.line(kind, place).unwrap();
                let own = kind == Kind::BindingOwn;
                let of = if own { Kind::Binding } else { kind };
                for (i, _) in t.at.iter().enumerate().filter(|(_, (k, _))| *k == of) {
                    let table = if own { r.binding_own(i) } else { r.counters(i) };
                    let first = table.first_slot(place);
                    assert_eq!(address(first) / 64, address(line) / 64, "table {i}");
                }
            }
        }
        let h = mix(42);
        let place = r.place_of(h);
        // Table i counted i + 1 times, in windows of its own.
        for (i, _) in t.at.iter().enumerate() {
            for n in 1..=i as u32 + 1 {
                assert_eq!(
                    r.counters(i).count_at(place, 100 + i as u64),
                    Counted::Now(n)
                );
            }
        }
        for (i, _) in t.at.iter().enumerate() {
            assert_eq!(
                r.counters(i).peek(h, 100 + i as u64),
                i as u32 + 1,
                "table {i}"
            );
        }
    }

    #[test]
    fn a_region_of_another_layout_version_is_refused() {
        let path = std::env::temp_dir().join(format!("np700-region-{}", std::process::id()));
        let r = Region::create(&controls(), Vec::new(), Some(&path), 7).unwrap();
        assert_eq!(Region::attach(&path).unwrap().generation(), 7);
        r.words()[header::VERSION].store(1, Ordering::Relaxed);
        assert!(matches!(Region::attach(&path), Err(RegionError::Invalid)));
        drop(r);
        let _ = std::fs::remove_file(&path);
    }
}
