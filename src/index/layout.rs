//! Where each part of the index lives in its block of words, and its sizes.
//!
//! The index is one contiguous block of 64-bit atomic words holding no pointers, so the same
//! bytes work on the heap and, later, in a shared mapping attached by other processes:
//!
//! ```text
//! header | directory | tenant statuses | pages (5,000 words each) | entries (5 words each) | extras (10 words each)
//! ```
#![forbid(unsafe_code)]

/// Identifies an np700 index ("NP700IDX").
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"NP700IDX");
/// Bumped whenever the layout changes incompatibly.
/// 2: an entry's w2 bit 63 (subscriber A unreported) and a tenant word's real-user bit; a
/// reader of version 1 would misread a tenant that requires reports as neither suspended nor
/// active.
pub(crate) const LAYOUT_VERSION: u64 = 2;
/// Header words.
pub(crate) const HEADER_WORDS: usize = 16;
/// The most management-number directory slots: an entry names the management number of its
/// display number by directory position in 16 bits. Kept at most half full, the directory holds
/// at most 32,768 licensed management numbers.
pub(crate) const MAX_DIRECTORY: usize = 1 << 16;

/// Header word positions.
pub(crate) mod header {
    pub const MAGIC: usize = 0;
    pub const VERSION: usize = 1;
    pub const GENERATION: usize = 2;
    pub const ENTRIES: usize = 3;
    pub const DIRECTORY: usize = 4;
    pub const TENANTS: usize = 5;
    pub const EXTRAS: usize = 6;
    pub const QUARANTINE_SECS: usize = 7;
    pub const PAGES: usize = 8;
    /// Non-zero once the writer replaced this index with another (grown, or a new writer).
    pub const RETIRED: usize = 9;
}

/// Words per extras record: version|count, next record, eight numbers.
pub(crate) const EXTRA_WORDS: usize = 10;
/// Numbers per extras record.
pub(crate) const EXTRA_NUMBERS: usize = 8;

/// Words per page: one 32-bit "latest expiry of a keyed binding" per usage number of a
/// management number, two to a word.
pub(crate) const PAGE_WORDS: usize = 5_000;

/// Sizes of an index, in elements.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Capacity {
    /// Entry slots (two per AXB binding, plus one record per usage number in use, plus
    /// quarantines), kept at most 90 % full (a bigger successor is started at 85.5 %).
    pub entries: usize,
    /// Management-number directory slots, one per licensed management number, kept at most half
    /// full; at most 65,536 (a bigger value is cut to that), so at most 32,768 licensed numbers.
    pub directory: usize,
    /// Tenant status words (tenant ids below this).
    pub tenants: usize,
    /// Pages: one per management number held by a tenant (40 KB each).
    pub pages: usize,
    /// Extras records (GXB groups, AXN allow-lists).
    pub extras: usize,
}

impl Capacity {
    /// The capacity for about `bindings` live AXB-like bindings with room to spare.
    pub fn for_bindings(bindings: usize) -> Capacity {
        // Two party entries per binding, 85 % full: just below where the index starts growing.
        let entries = (bindings.saturating_mul(200).div_ceil(85) + 64).max(1024);
        Capacity {
            entries,
            directory: 4096,
            tenants: 1024,
            // One page per management number held; more are added (by growing) when numbers are
            // assigned, which is rare.
            pages: 64,
            extras: (bindings / 64).max(256),
        }
    }

    /// This capacity with at least one entry slot and one directory slot. Readers refuse an index
    /// without them as corrupt (`Index::from_mapping`), so a writer never creates one: a caller's
    /// zero becomes one, and the index grows from there as from any small capacity.
    pub(crate) fn with_slots(self) -> Capacity {
        Capacity {
            entries: self.entries.max(1),
            directory: self.directory.max(1),
            ..self
        }
    }

    /// Total words, or `None` if that overflows (a corrupt header).
    pub(crate) fn checked_words(&self) -> Option<usize> {
        HEADER_WORDS
            .checked_add(self.directory)?
            .checked_add(self.tenants)?
            .checked_add(self.pages.checked_mul(PAGE_WORDS)?)?
            .checked_add(self.entries.checked_mul(super::slot::WORDS)?)?
            .checked_add(self.extras.checked_mul(EXTRA_WORDS)?)
    }

    /// Total words of an index with this capacity.
    pub(crate) fn words(&self) -> usize {
        HEADER_WORDS
            + self.directory
            + self.tenants
            + self.pages * PAGE_WORDS
            + self.entries * super::slot::WORDS
            + self.extras * EXTRA_WORDS
    }
}

/// Offsets (in words) of each part.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Offsets {
    pub directory: usize,
    pub tenants: usize,
    pub pages: usize,
    pub entries: usize,
    pub extras: usize,
}

impl Offsets {
    pub(crate) fn of(c: &Capacity) -> Offsets {
        let directory = HEADER_WORDS;
        let tenants = directory + c.directory;
        let pages = tenants + c.tenants;
        let entries = pages + c.pages * PAGE_WORDS;
        let extras = entries + c.entries * super::slot::WORDS;
        Offsets {
            directory,
            tenants,
            pages,
            entries,
            extras,
        }
    }
}
