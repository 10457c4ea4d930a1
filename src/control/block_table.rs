//! The lock-free block table: the block rules of [`super::block`] in a flat slice of atomic
//! words that routers read without locks, waits or allocation (in the writer's heap, or in a
//! shared mapping that reader processes attach to).
//!
//! # Layout
//!
//! ```text
//! word 0                      generation: +1 after every write of an entry
//! words 1 ..= 4096            caller filter: one bit per hash of a caller (262,144 bits)
//! then `slots` entries        open-addressed (linear probing) directed rules, 4 words each:
//!   w0: version (32, odd while written) | expires (32, Unix seconds; 0 = never)
//!   w1: caller E.164 (50) | kind (2: empty, live) | scope (2: platform, tenant, binding) |
//!       probing (1)
//!   w2: callee E.164 (50; 0 = anyone)
//!   w3: the scope's tenant or binding id (0 for platform rules)
//! ```
//!
//! Every entry is one *directed* rule (caller → callee): a both-ways [`BlockRule`] takes two.
//! Entries are read under their version, as the routing index's entries are
//! (`crate::index::slot`): the writer makes the version odd, writes the words and makes it even;
//! a reader reads the version, the words and the version again, and retries on a change.
//!
//! # Reading
//!
//! A caller whose filter bit is clear has no rule: the answer costs one load of a word that
//! stays in cache (the filter is 32 KiB). Otherwise the reader walks the caller's probe
//! sequence up to the first empty entry, reading the generation before and after; if it
//! changed, a change overlapped the walk and the walk is repeated (at most
//! [`MAX_WALKS`] times, then the last walk's answer stands). Every write of an entry bumps the
//! generation once it is done, so a walk that saw the generation unchanged saw at most one write
//! (the one in flight), and every table between two writes answers as one that held: an answer
//! from an unchanged generation is the table's answer at an instant during the walk. An entry
//! that cannot be read (a writer that died halfway through writing it) is taken as absent.
//!
//! Rules whose expiry has come are ignored by the readers (compared with the `now` they are
//! given), so they need no removal at their expiry: a sweep's [`crate::Event::BlockLifted`]
//! removes them later. Expiries past 2106 are kept as 2106 (32 bits of seconds).
//!
//! # Writing
//!
//! One writer ([`BlockWriter`]) at a time, as for the routing index. It keeps, on its own heap,
//! how many live entries set each filter bit, so it can clear a bit when its last entry goes.
//! A removal leaves no tombstone: the entries after it in its run move back into the hole, one
//! write each, the moved entry written to its new place before its old place is reused (Knuth's
//! algorithm R for linear probing), so at every write each live entry is reachable from its
//! home and the table never fills up with deleted entries.
#![forbid(unsafe_code)]

use super::block::{BlockList, BlockOrigin, BlockRule, BlockScope};
use crate::binding::{BindingId, Targets};
use crate::event::Event;
use crate::number::SubscriberNumber;
use crate::route::RejectReason;
use crate::sync::{AtomicU64, Ordering, fence, spin_loop};
use crate::tenant::TenantId;
use crate::time::Timestamp;
use std::collections::HashMap;

/// Words of the caller filter.
pub const FILTER_WORDS: usize = 4096;

/// Words of one entry.
pub const ENTRY_WORDS: usize = 4;

/// Words before the filter (the generation).
const HEADER_WORDS: usize = 1;

/// Filter bits (a power of two).
const FILTER_BITS: usize = FILTER_WORDS * 64;

/// How many times a reader retries an entry whose version keeps changing before taking it as
/// absent (a write takes nanoseconds).
const MAX_RETRIES: u32 = 256;

/// How many times a reader walks a probe sequence again because a change overlapped the walk.
pub const MAX_WALKS: u32 = 64;

const MASK_50: u64 = (1 << 50) - 1;

/// Entry kinds.
const EMPTY: u64 = 0;
const LIVE: u64 = 1;

/// Why a block table cannot be used or changed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The slice is not the size [`BlockTable::words`] gives for any capacity.
    #[error("the words are not a block table's layout")]
    Layout,
    /// The table holds as many directed rules as it can.
    #[error("the block table is full ({capacity} directed rules)")]
    Full {
        /// Its capacity in directed rules.
        capacity: usize,
    },
}

/// The decoded content of a live entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Entry {
    expires: u32,
    caller: u64,
    kind: u64,
    scope: u64,
    probing: bool,
    callee: u64,
    scope_id: u64,
}

impl Entry {
    /// The entry for one direction of `rule`.
    fn of(rule: &BlockRule, from: SubscriberNumber, to: Option<SubscriberNumber>) -> Entry {
        let (scope, scope_id) = match rule.scope {
            BlockScope::Platform => (0, 0),
            BlockScope::Tenant(t) => (1, u64::from(t.raw())),
            BlockScope::Binding(b) => (2, b.raw()),
        };
        Entry {
            expires: rule
                .expires
                .map_or(0, |e| e.unix_secs().clamp(1, u64::from(u32::MAX)) as u32),
            caller: from.e164() & MASK_50,
            kind: LIVE,
            scope,
            probing: matches!(rule.origin, BlockOrigin::Probing { .. }),
            callee: to.map_or(0, |t| t.e164() & MASK_50),
            scope_id,
        }
    }

    fn encode(&self) -> [u64; ENTRY_WORDS - 1] {
        [
            self.caller | self.kind << 50 | self.scope << 52 | u64::from(self.probing) << 54,
            self.callee,
            self.scope_id,
        ]
    }

    fn decode(expires: u32, w: [u64; ENTRY_WORDS - 1]) -> Entry {
        Entry {
            expires,
            caller: w[0] & MASK_50,
            kind: (w[0] >> 50) & 3,
            scope: (w[0] >> 52) & 3,
            probing: (w[0] >> 54) & 1 == 1,
            callee: w[1] & MASK_50,
            scope_id: w[2],
        }
    }

    fn is_active(&self, now: Timestamp) -> bool {
        self.expires == 0 || now.unix_secs() < u64::from(self.expires)
    }
}

/// Mixes a caller's digits into 64 well-spread bits (the splitmix64 finaliser).
fn hash(caller: u64) -> u64 {
    let mut h = caller.wrapping_add(0x9E37_79B9_7F4A_7C15);
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// The filter bit of a hash (its top bits).
fn filter_bit(h: u64) -> usize {
    (h >> (64 - FILTER_BITS.trailing_zeros())) as usize
}

/// A block table over a slice of words (see the [module docs](self)). Readers share it freely:
/// it is `Copy` and only reads.
#[derive(Copy, Clone, Debug)]
pub struct BlockTable<'a> {
    words: &'a [AtomicU64],
    slots: usize,
}

impl<'a> BlockTable<'a> {
    /// The entries for `capacity` directed rules (a both-ways rule takes two): a power of two
    /// with a fifth to spare, so probe sequences stay short.
    fn slots_for(capacity: usize) -> usize {
        capacity
            .saturating_add(capacity / 4)
            .saturating_add(1)
            .max(8)
            .next_power_of_two()
    }

    /// The words a table of `capacity` directed rules needs (zeroed, it is an empty table).
    pub fn words(capacity: usize) -> usize {
        HEADER_WORDS + FILTER_WORDS + Self::slots_for(capacity) * ENTRY_WORDS
    }

    /// How many directed rules a table of `slots` entries holds.
    fn capacity_of(slots: usize) -> usize {
        slots - slots / 5 - 1
    }

    /// The table in `words` (as [`BlockTable::words`] sized it), to read.
    pub fn new(words: &'a [AtomicU64]) -> Result<BlockTable<'a>, TableError> {
        let entries = words
            .len()
            .checked_sub(HEADER_WORDS + FILTER_WORDS)
            .ok_or(TableError::Layout)?;
        let slots = entries / ENTRY_WORDS;
        if entries % ENTRY_WORDS != 0 || slots < 8 || !slots.is_power_of_two() {
            return Err(TableError::Layout);
        }
        Ok(BlockTable { words, slots })
    }

    /// How many directed rules it holds at most.
    pub fn capacity(&self) -> usize {
        Self::capacity_of(self.slots)
    }

    fn generation(&self) -> &AtomicU64 {
        &self.words[0]
    }

    fn filter_word(&self, bit: usize) -> &AtomicU64 {
        &self.words[HEADER_WORDS + bit / 64]
    }

    fn entry(&self, slot: usize) -> &[AtomicU64] {
        let at = HEADER_WORDS + FILTER_WORDS + slot * ENTRY_WORDS;
        &self.words[at..at + ENTRY_WORDS]
    }

    /// Whether `caller` may have rules: its filter bit (one load; `false` means it has none).
    pub fn may_have_rules(&self, caller: SubscriberNumber) -> bool {
        let bit = filter_bit(hash(caller.e164()));
        self.filter_word(bit).load(Ordering::Acquire) & (1 << (bit % 64)) != 0
    }

    /// Reads one entry under its version, or `None` after [`MAX_RETRIES`].
    fn read(&self, slot: usize) -> Option<Entry> {
        let e = self.entry(slot);
        for _ in 0..MAX_RETRIES {
            let v1 = e[0].load(Ordering::Acquire);
            if v1 & 1 == 0 {
                let w = [
                    e[1].load(Ordering::Relaxed),
                    e[2].load(Ordering::Relaxed),
                    e[3].load(Ordering::Relaxed),
                ];
                fence(Ordering::Acquire);
                if e[0].load(Ordering::Relaxed) == v1 {
                    return Some(Entry::decode((v1 >> 32) as u32, w));
                }
            }
            spin_loop();
        }
        None
    }

    /// Walks `caller`'s probe sequence, folding its live entries with `f` from `init`, and
    /// repeats the walk while changes overlap it (see the [module docs](self)).
    fn walk<T: Copy>(&self, caller: SubscriberNumber, init: T, f: impl Fn(T, &Entry) -> T) -> T {
        let key = caller.e164() & MASK_50;
        let home = hash(caller.e164()) as usize & (self.slots - 1);
        let mut answer = init;
        for _ in 0..MAX_WALKS {
            let g1 = self.generation().load(Ordering::Acquire);
            answer = init;
            for i in 0..self.slots {
                let Some(e) = self.read((home + i) & (self.slots - 1)) else {
                    continue;
                };
                match e.kind {
                    EMPTY => break,
                    LIVE if e.caller == key => answer = f(answer, &e),
                    _ => {}
                }
            }
            fence(Ordering::Acquire);
            if self.generation().load(Ordering::Relaxed) == g1 {
                break;
            }
            spin_loop();
        }
        answer
    }

    /// Why `caller` is refused before anything is looked up, as
    /// [`crate::control::block::BlockList::caller_barred`] answers: an active platform rule
    /// with no callee; [`RejectReason::Blocked`] if any was made by hand, else
    /// [`RejectReason::AutoBlocked`]. One cached load when the caller has no rules.
    pub fn caller_barred(&self, caller: SubscriberNumber, now: Timestamp) -> Option<RejectReason> {
        if !self.may_have_rules(caller) {
            return None;
        }
        self.walk(caller, None, |reason, e| {
            if e.scope != 0 || e.callee != 0 || !e.is_active(now) {
                return reason;
            }
            match (reason, e.probing) {
                (Some(RejectReason::Blocked), _) | (_, false) => Some(RejectReason::Blocked),
                (_, true) => Some(RejectReason::AutoBlocked),
            }
        })
    }

    /// Whether a call from `caller` that binding `binding` of `tenant` would route to `targets`
    /// is refused at `now`, as [`crate::control::block::BlockList::route_barred`] answers: an
    /// active rule of the platform, of `tenant` or of `binding` refusing the caller to anyone
    /// or to any of the targets. One cached load when the caller has no rules.
    pub fn route_barred(
        &self,
        caller: SubscriberNumber,
        tenant: TenantId,
        binding: BindingId,
        targets: &Targets,
        now: Timestamp,
    ) -> bool {
        if !self.may_have_rules(caller) {
            return false;
        }
        self.walk(caller, false, |barred, e| {
            let in_scope = match e.scope {
                0 => true,
                1 => e.scope_id == u64::from(tenant.raw()),
                2 => e.scope_id == binding.raw(),
                _ => false,
            };
            barred
                || (in_scope
                    && e.is_active(now)
                    && (e.callee == 0 || targets.iter().any(|t| t.e164() & MASK_50 == e.callee)))
        })
    }
}

/// A [`BlockWriter`]'s bookkeeping between two uses (see [`BlockWriter::into_counts`]).
#[derive(Debug, Default)]
pub(crate) struct WriterCounts {
    bits: HashMap<usize, u32>,
    live: usize,
}

/// The one writer of a block table: inserts and removes rules, keeping on its own heap how many
/// live entries set each filter bit.
#[derive(Debug)]
pub struct BlockWriter<'a> {
    table: BlockTable<'a>,
    /// Live entries per filter bit (bits with none are absent).
    bits: HashMap<usize, u32>,
    /// Live entries.
    live: usize,
}

impl<'a> BlockWriter<'a> {
    /// An empty table in `words` (sized by [`BlockTable::words`]): every word is cleared, so
    /// no reader may use them yet.
    pub fn create(words: &'a [AtomicU64]) -> Result<BlockWriter<'a>, TableError> {
        let table = BlockTable::new(words)?;
        for w in words {
            w.store(0, Ordering::Relaxed);
        }
        fence(Ordering::Release);
        Ok(BlockWriter {
            table,
            bits: HashMap::new(),
            live: 0,
        })
    }

    /// The writer of a table a previous writer left in `words` (a writer restarted over a
    /// shared mapping): the counts are rebuilt from the entries.
    pub fn resume(words: &'a [AtomicU64]) -> Result<BlockWriter<'a>, TableError> {
        let table = BlockTable::new(words)?;
        let mut w = BlockWriter {
            table,
            bits: HashMap::new(),
            live: 0,
        };
        for slot in 0..table.slots {
            let e = w.own(slot);
            if e.kind == LIVE {
                w.live += 1;
                *w.bits.entry(filter_bit(hash(e.caller))).or_default() += 1;
            }
        }
        Ok(w)
    }

    /// The writer's own bookkeeping, kept across writes by an owner that cannot hold the
    /// borrow of the words (a registry owning the memory the table lives in).
    pub(crate) fn into_counts(self) -> WriterCounts {
        WriterCounts {
            bits: self.bits,
            live: self.live,
        }
    }

    /// The writer of the table in `words` with the bookkeeping [`BlockWriter::into_counts`]
    /// kept from its last use on the same words.
    pub(crate) fn with_counts(
        words: &'a [AtomicU64],
        counts: WriterCounts,
    ) -> Result<BlockWriter<'a>, TableError> {
        Ok(BlockWriter {
            table: BlockTable::new(words)?,
            bits: counts.bits,
            live: counts.live,
        })
    }

    /// The table, to read.
    pub fn table(&self) -> BlockTable<'a> {
        self.table
    }

    /// How many directed rules it holds.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Reads an entry as the writer (no concurrent writer: no retry).
    fn own(&self, slot: usize) -> Entry {
        let e = self.table.entry(slot);
        let w = [
            e[1].load(Ordering::Relaxed),
            e[2].load(Ordering::Relaxed),
            e[3].load(Ordering::Relaxed),
        ];
        Entry::decode((e[0].load(Ordering::Relaxed) >> 32) as u32, w)
    }

    /// Writes an entry under its version, then bumps the generation.
    fn write(&self, slot: usize, entry: &Entry) {
        let e = self.table.entry(slot);
        let v = e[0].load(Ordering::Relaxed);
        let seq = (v as u32).wrapping_add(1) | 1; // odd: write in progress
        e[0].store((v & !0xFFFF_FFFF) | u64::from(seq), Ordering::Relaxed);
        fence(Ordering::Release);
        for (word, value) in e[1..].iter().zip(entry.encode()) {
            word.store(value, Ordering::Relaxed);
        }
        let done = u64::from(seq.wrapping_add(1)) | u64::from(entry.expires) << 32;
        e[0].store(done, Ordering::Release);
        self.bump();
    }

    /// Marks one write of an entry done.
    fn bump(&self) {
        let g = self.table.generation().load(Ordering::Relaxed);
        self.table
            .generation()
            .store(g.wrapping_add(1), Ordering::Release);
    }

    /// Adds `rule` (each of its directions), or refuses with [`TableError::Full`] and changes
    /// nothing.
    pub fn insert(&mut self, rule: &BlockRule) -> Result<(), TableError> {
        let n = rule.directions().count();
        let capacity = self.table.capacity();
        if self.live + n > capacity {
            return Err(TableError::Full { capacity });
        }
        for (from, to) in rule.directions() {
            self.insert_entry(Entry::of(rule, from, to));
        }
        Ok(())
    }

    fn insert_entry(&mut self, entry: Entry) {
        let h = hash(entry.caller);
        let mask = self.table.slots - 1;
        let home = h as usize & mask;
        // The first empty entry of the probe sequence (there is one: the capacity stays below
        // the slots).
        let slot = (0..self.table.slots)
            .map(|i| (home + i) & mask)
            .find(|s| self.own(*s).kind == EMPTY)
            .unwrap_or(home);
        self.write(slot, &entry);
        self.live += 1;
        let bit = filter_bit(h);
        let count = self.bits.entry(bit).or_default();
        *count += 1;
        if *count == 1 {
            self.table
                .filter_word(bit)
                .fetch_or(1 << (bit % 64), Ordering::Release);
        }
    }

    /// Removes `rule` (each of its directions; an identical rule's entries serve as well);
    /// returns whether it was there.
    pub fn remove(&mut self, rule: &BlockRule) -> bool {
        let mut found = false;
        for (from, to) in rule.directions() {
            found |= self.remove_entry(Entry::of(rule, from, to));
        }
        found
    }

    fn remove_entry(&mut self, entry: Entry) -> bool {
        let h = hash(entry.caller);
        let mask = self.table.slots - 1;
        let home = h as usize & mask;
        let mut at = None;
        for i in 0..self.table.slots {
            let slot = (home + i) & mask;
            let e = self.own(slot);
            if e.kind == EMPTY {
                break;
            }
            if e == entry {
                at = Some(slot);
                break;
            }
        }
        let Some(slot) = at else { return false };
        // Algorithm R: move back every later entry of the run that may sit in the hole (its
        // home is not cyclically within (hole, j]), then empty the last hole.
        let mut hole = slot;
        let mut j = slot;
        loop {
            j = (j + 1) & mask;
            let e = self.own(j);
            if e.kind == EMPTY {
                break;
            }
            let k = hash(e.caller) as usize & mask;
            let stays = if hole <= j {
                hole < k && k <= j
            } else {
                hole < k || k <= j
            };
            if !stays {
                self.write(hole, &e);
                hole = j;
            }
        }
        self.write(hole, &Entry::decode(0, [0; ENTRY_WORDS - 1]));
        self.live -= 1;
        let bit = filter_bit(h);
        if let Some(count) = self.bits.get_mut(&bit) {
            *count -= 1;
            if *count == 0 {
                self.bits.remove(&bit);
                self.table
                    .filter_word(bit)
                    .fetch_and(!(1 << (bit % 64)), Ordering::Release);
            }
        }
        true
    }
}

/// Keeping a table in step with the state, as a registry (or a replica) applies commands: the
/// rules a command's events lift are taken from the state before they are applied
/// ([`lifted`]), the table is checked for room ([`BlockWriter::fits`], before the events are
/// journaled), and after the events are applied the table gets what the state now holds
/// ([`BlockWriter::publish`]). A forged event the state ignores is ignored here too.
pub fn lifted(rules: &BlockList, events: &[Event]) -> Vec<BlockRule> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::BlockLifted { block, .. } => rules.get(*block).cloned(),
            _ => None,
        })
        .collect()
}

impl BlockWriter<'_> {
    /// Whether the table has room for `events` (one command's), whose lifted rules are
    /// `lifted` ([`lifted`]): the directed entries they add, less those they remove, within
    /// [`BlockTable::capacity`].
    pub fn fits(&self, lifted: &[BlockRule], events: &[Event]) -> bool {
        let removed: usize = lifted.iter().map(|r| r.directions().count()).sum();
        let added: usize = events
            .iter()
            .map(|e| match e {
                Event::Blocked { rule } => rule.directions().count(),
                _ => 0,
            })
            .sum();
        self.live.saturating_sub(removed) + added <= self.table.capacity()
    }

    /// Brings the table in step with the state after `events` were applied to it (its rules
    /// are now `rules`; `lifted` are the rules the events lift, taken before): removes the
    /// lifted rules the state no longer holds, then inserts the rules the events made that the
    /// state holds. Fails with [`TableError::Full`] if [`BlockWriter::fits`] said no.
    pub fn publish(
        &mut self,
        rules: &BlockList,
        lifted: &[BlockRule],
        events: &[Event],
    ) -> Result<(), TableError> {
        for rule in lifted {
            if rules.get(rule.id) != Some(rule) {
                self.remove(rule);
            }
        }
        for e in events {
            if let Event::Blocked { rule } = e
                && rules.get(rule.id) == Some(rule)
            {
                self.insert(rule)?;
            }
        }
        Ok(())
    }

    /// Inserts every rule of `rules` (a table created for a state recovered or rebuilt).
    pub fn fill(&mut self, rules: &BlockList) -> Result<(), TableError> {
        for rule in rules.iter() {
            self.insert(rule)?;
        }
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::control::block::BlockId;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    fn s(i: u64) -> SubscriberNumber {
        SubscriberNumber::from_e164(8613800000000 + i).unwrap()
    }

    fn words(capacity: usize) -> Vec<AtomicU64> {
        (0..BlockTable::words(capacity))
            .map(|_| AtomicU64::new(0))
            .collect()
    }

    fn rule(id: u64, scope: BlockScope, caller: u64, callee: Option<u64>) -> BlockRule {
        let owner = match scope {
            BlockScope::Platform => None,
            BlockScope::Tenant(t) => Some(t),
            BlockScope::Binding(_) => Some(TenantId::from_raw(1)),
        };
        BlockRule {
            id: BlockId::from_raw(id),
            scope,
            owner,
            caller: s(caller),
            callee: callee.map(s),
            both_ways: false,
            expires: None,
            origin: BlockOrigin::Manual {
                note: String::new(),
            },
            created_at: Timestamp::from_unix_secs(0),
        }
    }

    fn probing(id: u64, caller: u64) -> BlockRule {
        BlockRule {
            origin: BlockOrigin::Probing {
                numbers: 30,
                window_secs: 60,
            },
            ..rule(id, BlockScope::Platform, caller, None)
        }
    }

    #[test]
    fn a_slice_of_another_size_is_refused() {
        let w = words(10);
        assert!(BlockTable::new(&w).is_ok());
        assert_eq!(
            BlockTable::new(&w[..w.len() - 1]).err(),
            Some(TableError::Layout)
        );
        assert_eq!(BlockTable::new(&w[..10]).err(), Some(TableError::Layout));
        assert!(BlockTable::new(&w).unwrap().capacity() >= 10);
    }

    #[test]
    fn an_empty_table_bars_no_one_with_one_load() {
        let w = words(16);
        let t = BlockWriter::create(&w).unwrap().table();
        let now = Timestamp::from_unix_secs(5);
        for i in 0..100 {
            assert!(!t.may_have_rules(s(i)));
            assert_eq!(t.caller_barred(s(i), now), None);
        }
    }

    /// The table answers as the state's block list does, for every scope, direction and
    /// expiry, through inserts and removals.
    #[test]
    fn the_table_answers_as_the_block_list() {
        let w = words(64);
        let mut writer = BlockWriter::create(&w).unwrap();
        let mut list = BlockList::default();
        let (t1, t2) = (TenantId::from_raw(1), TenantId::from_raw(2));
        let (b1, b2) = (BindingId::from_raw(1), BindingId::from_raw(2));
        let mut rules = vec![
            rule(1, BlockScope::Platform, 1, None),
            probing(2, 2),
            probing(3, 1),
            rule(4, BlockScope::Platform, 3, Some(4)),
            rule(5, BlockScope::Tenant(t1), 5, None),
            rule(6, BlockScope::Tenant(t2), 5, Some(6)),
            rule(7, BlockScope::Binding(b1), 7, Some(8)),
            BlockRule {
                both_ways: true,
                ..rule(8, BlockScope::Binding(b2), 9, Some(10))
            },
            BlockRule {
                expires: Some(Timestamp::from_unix_secs(100)),
                ..rule(9, BlockScope::Tenant(t1), 11, Some(12))
            },
        ];
        // Many rules on one caller, so probe sequences are long.
        for i in 0..20 {
            rules.push(rule(10 + i, BlockScope::Tenant(t2), 13, Some(20 + i)));
        }
        let check = |list: &BlockList, table: BlockTable| {
            for now in [50, 99, 100, 200].map(Timestamp::from_unix_secs) {
                for c in 0..45 {
                    assert_eq!(
                        table.caller_barred(s(c), now),
                        list.caller_barred(s(c), now),
                        "caller {c}"
                    );
                    for (tenant, binding) in [(t1, b1), (t2, b2), (t1, b2)] {
                        for to in 0..45 {
                            let targets = Targets::group(&[s(to), s(44)]);
                            assert_eq!(
                                table.route_barred(s(c), tenant, binding, &targets, now),
                                list.route_barred(s(c), tenant, binding, &targets, now),
                                "{c} → {to} via {tenant}, {binding} at {now}"
                            );
                        }
                    }
                }
            }
        };
        for r in &rules {
            writer.insert(r).unwrap();
            assert!(list.insert(r.clone()));
        }
        assert_eq!(writer.len(), rules.len() + 1);
        check(&list, writer.table());
        // Remove every other rule, then the rest.
        for r in rules.iter().step_by(2) {
            assert!(writer.remove(r));
            list.remove(r.id);
        }
        check(&list, writer.table());
        assert!(!writer.remove(&rules[0]), "removed twice");
        for r in rules.iter().skip(1).step_by(2) {
            assert!(writer.remove(r));
            list.remove(r.id);
        }
        check(&list, writer.table());
        assert!(writer.is_empty());
        // Nothing is left behind: no filter bit, no entry in use.
        let t = writer.table();
        assert!((0..45).all(|c| !t.may_have_rules(s(c))));
        assert!((0..t.slots).all(|slot| writer.own(slot).kind == EMPTY));
    }

    #[test]
    fn a_full_table_refuses_and_changes_nothing() {
        let w = words(8);
        let mut writer = BlockWriter::create(&w).unwrap();
        let capacity = writer.table().capacity();
        for i in 0..capacity as u64 {
            writer
                .insert(&rule(i + 1, BlockScope::Platform, i, None))
                .unwrap();
        }
        let before: Vec<u64> = w.iter().map(|x| x.load(Ordering::Relaxed)).collect();
        let both = BlockRule {
            both_ways: true,
            ..rule(99, BlockScope::Platform, 90, Some(91))
        };
        assert_eq!(writer.insert(&both), Err(TableError::Full { capacity }));
        let after: Vec<u64> = w.iter().map(|x| x.load(Ordering::Relaxed)).collect();
        assert_eq!(before, after);
        // Churn (insert and remove, over and over) never fills it with deleted entries.
        for round in 0..2_000u64 {
            let r = rule(1000 + round, BlockScope::Platform, 1000 + round, None);
            writer.remove(&rule(1, BlockScope::Platform, 0, None));
            writer.insert(&r).unwrap();
            writer.remove(&r);
            writer
                .insert(&rule(1, BlockScope::Platform, 0, None))
                .unwrap();
        }
        assert_eq!(writer.len(), capacity);
    }

    #[test]
    fn a_resumed_writer_carries_on() {
        let w = words(32);
        let mut writer = BlockWriter::create(&w).unwrap();
        let (a, b) = (rule(1, BlockScope::Platform, 1, None), probing(2, 2));
        writer.insert(&a).unwrap();
        writer.insert(&b).unwrap();
        writer.remove(&a);
        let mut resumed = BlockWriter::resume(&w).unwrap();
        assert_eq!(resumed.live, writer.live);
        assert_eq!(resumed.bits, writer.bits);
        assert!(resumed.remove(&b));
        let now = Timestamp::from_unix_secs(1);
        assert_eq!(resumed.table().caller_barred(s(2), now), None);
        assert!(!resumed.table().may_have_rules(s(2)));
    }

    /// Readers check while the writer churns: caller 1 always has a manual or an automatic
    /// platform rule (the writer adds one before removing the other), caller 3 always has a
    /// rule to 4 on tenant 1 or on binding 1, callers 2 and 5 never have any; every answer must
    /// be one that held at some instant. Other callers' entries sit in the same runs (same
    /// homes), so removals move entries back past the readers.
    #[test]
    fn readers_see_answers_that_held_while_the_writer_churns() {
        let w: Arc<Vec<AtomicU64>> = Arc::new(words(256));
        let t1 = TenantId::from_raw(1);
        let b1 = BindingId::from_raw(1);
        let manual = rule(1, BlockScope::Platform, 1, None);
        let auto = probing(2, 1);
        let on_tenant = rule(3, BlockScope::Tenant(t1), 3, Some(4));
        let on_binding = rule(4, BlockScope::Binding(b1), 3, Some(4));
        let stop = Arc::new(AtomicBool::new(false));
        let checks = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let slots = BlockTable::new(&w).unwrap().slots;
        let home = |c: u64| hash(s(c).e164()) as usize & (slots - 1);
        // Callers whose homes are those of callers 1 and 3, or just before.
        let near = |c: u64| {
            [home(1), home(3)]
                .iter()
                .any(|h| (home(c) + slots + 2 - h) & (slots - 1) <= 2)
        };
        let neighbours: Vec<u64> = (100..1_000_000).filter(|c| near(*c)).take(12).collect();
        assert_eq!(neighbours.len(), 12);
        let fillers: Vec<BlockRule> = neighbours
            .iter()
            .zip(10..)
            .map(|(c, id)| rule(id, BlockScope::Platform, *c, Some(7)))
            .collect();
        {
            let mut writer = BlockWriter::create(&w).unwrap();
            writer.insert(&manual).unwrap();
            writer.insert(&on_tenant).unwrap();
        }
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (w, stop, checks) = (Arc::clone(&w), Arc::clone(&stop), Arc::clone(&checks));
                std::thread::spawn(move || {
                    let t = BlockTable::new(&w).unwrap();
                    let now = Timestamp::from_unix_secs(10);
                    let to = Targets::one(s(4));
                    let (t2, b2) = (TenantId::from_raw(2), BindingId::from_raw(2));
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        assert!(t.caller_barred(s(1), now).is_some(), "caller 1 got through");
                        assert_eq!(t.caller_barred(s(2), now), None);
                        assert_eq!(t.caller_barred(s(5), now), None);
                        assert!(t.route_barred(s(3), t1, b1, &to, now), "3 → 4 got through");
                        assert!(!t.route_barred(s(3), t2, b2, &to, now));
                        checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let mut writer = BlockWriter::resume(&w).unwrap();
        let started = std::time::Instant::now();
        let mut round = 0usize;
        while checks.load(std::sync::atomic::Ordering::Relaxed) < 5_000_000
            && started.elapsed() < std::time::Duration::from_secs(2)
        {
            // Neighbours come and go between the rules, so runs change shape.
            let f = &fillers[round % fillers.len()];
            writer.insert(f).unwrap();
            writer.insert(&auto).unwrap();
            writer.remove(&manual);
            writer.insert(&on_binding).unwrap();
            writer.remove(&on_tenant);
            writer.remove(f);
            writer
                .insert(&fillers[(round + 5) % fillers.len()])
                .unwrap();
            writer.insert(&manual).unwrap();
            writer.remove(&auto);
            writer.insert(&on_tenant).unwrap();
            writer.remove(&on_binding);
            writer.remove(&fillers[(round + 5) % fillers.len()]);
            round += 1;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
        assert!(round > 0 && checks.load(std::sync::atomic::Ordering::Relaxed) > 0);
    }
}
