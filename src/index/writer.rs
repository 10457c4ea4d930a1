//! The single writer of an index: turns changes of the state into entry writes.
//!
//! After a command's events are applied to the [`State`], the writer rewrites exactly the index
//! words those events touched, deriving each from the state (so the index can never drift from
//! it): the entries of each (usage number, party) of the bindings involved, their numbers'
//! pages, directory words and tenant statuses. Entries are never moved while readers may look
//! for them; deleted entries become tombstones, and when the table gets too full the registry
//! builds a bigger index from the state and flips to it.
#![forbid(unsafe_code)]

use super::layout::{Capacity, EXTRA_NUMBERS, MAX_DIRECTORY, PAGE_WORDS};
use super::slot::{self, Image, Kind, flag};
use super::{DirEntry, Index, MANAGEMENT_BASE, USAGE_BASE, entry_hash, mix, reduce, tenant_code};
use crate::binding::{Binding, Direction, Mode, Party};
use crate::event::{Event, Imported};
use crate::number::{ManagementNumber, SubscriberNumber, UsageNumber};
use crate::small::SmallSet;
use crate::state::{Quarantine, State};
use crate::sync::{Ordering, fence};
use crate::tenant::{TenantId, TenantStatus};
use crate::time::Timestamp;
use std::sync::Arc;

/// The most entries in use (live, quarantined or tombstones) per 100 slots.
const MAX_LOAD_PERCENT: usize = 90;

/// The share (per cent) of each limit after which the registry builds a bigger successor: for
/// entries, at 85.5 % load, so that [`Capacity::for_bindings`] (85 %) never grows below the
/// contracted peak. The rest is headroom for the writes that arrive while the successor is
/// filled (see [`IndexWriter::copy_pace`]).
const GROW_SHARE: usize = 95;

/// The fewest entries a write copies into a successor.
const MIN_COPY_PER_WRITE: usize = 16;

/// What a batch of events touches, computed before they are applied (ended bindings are gone
/// afterwards). Small sorted sets, inline up to a few elements: one write touches a handful of
/// keys, and the write path should not allocate for them.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    keys: SmallSet<(UsageNumber, Party), 4>,
    managements: SmallSet<ManagementNumber, 2>,
    tenants: SmallSet<TenantId, 2>,
    groups: usize,
    /// Management numbers newly assigned (each needs a page).
    assigned: usize,
}

impl Touched {
    /// Marks route entry `(x, p)` for rewriting.
    pub(crate) fn insert_key(&mut self, x: UsageNumber, p: Party) {
        self.keys.insert((x, p));
    }

    /// Marks many route entries for rewriting (sorted once, for large sets).
    pub(crate) fn extend_keys(&mut self, keys: impl IntoIterator<Item = (UsageNumber, Party)>) {
        self.keys.extend(keys);
    }

    /// What `events` will touch when applied to `state`.
    pub(crate) fn of(state: &State, events: &[Event]) -> Touched {
        let mut t = Touched::default();
        // A large command (an import, a big sweep) collects its keys and sorts them once:
        // inserting them one by one into the sorted set would cost O(n²).
        let bulk = events.len() > BULK_EVENTS;
        let mut pending: Vec<(UsageNumber, Party)> = Vec::new();
        let add_binding = |t: &mut Touched, pending: &mut Vec<_>, b: &Binding| {
            for (x, p, _) in b.entry_keys() {
                if bulk {
                    pending.push((x, p));
                } else {
                    t.insert_key(x, p);
                }
            }
            // Extras records: a group for GXB's B leg, chunks of an AXN allow-list.
            if b.mode() == Mode::Gxb {
                t.groups += 1;
            }
            t.groups += b.policy.allowed_callers.len().div_ceil(EXTRA_NUMBERS);
        };
        for e in events {
            match e {
                Event::TenantRegistered { tenant } => {
                    t.tenants.insert(tenant.id);
                }
                Event::TenantStatusChanged { tenant, .. } => {
                    t.tenants.insert(*tenant);
                }
                Event::ViolationRecorded { .. } => {}
                Event::BlockLicensed { block, .. } => {
                    t.managements.extend(
                        (0..block.count).filter_map(|i| block.first.checked_add(u64::from(i))),
                    );
                }
                Event::NumberAssigned { number, .. } => {
                    t.managements.insert(*number);
                    t.assigned += 1;
                }
                Event::NumberReclaimed { number, .. } => {
                    t.managements.insert(*number);
                }
                Event::Bound { binding } => add_binding(&mut t, &mut pending, binding),
                Event::Updated { binding, .. } => {
                    if let Some(old) = state.binding(binding.id) {
                        add_binding(&mut t, &mut pending, old);
                    }
                    add_binding(&mut t, &mut pending, binding);
                }
                Event::Suspended { binding, .. }
                | Event::Resumed { binding, .. }
                | Event::Released { binding, .. }
                | Event::Expired { binding, .. } => {
                    if let Some(b) = state.binding(*binding) {
                        add_binding(&mut t, &mut pending, b);
                    }
                }
                Event::QuarantinesPruned { at } => t.extend_keys(state.quarantines_ending_by(*at)),
                Event::Imported(Imported::EntryQuarantine(q)) => {
                    pending.push((q.number, q.party));
                }
                Event::Imported(Imported::NumberQuarantine { number, .. }) => {
                    t.managements.insert(*number);
                }
                // A bit of the tenant's word.
                Event::RealUserRequirementSet { tenant, .. } => {
                    t.tenants.insert(*tenant);
                }
                // The entries of the bindings whose subscriber A this is, found through the
                // subscriber's own entries.
                Event::RealUserReported {
                    tenant, subscriber, ..
                } => {
                    for b in state.bindings_of_subscriber_a(*tenant, *subscriber) {
                        add_binding(&mut t, &mut pending, b);
                    }
                }
                // Block rules are not in the routing index (the control region's block table
                // holds them).
                Event::Blocked { .. } | Event::BlockLifted { .. } => {}
            }
        }
        if !pending.is_empty() {
            t.extend_keys(pending);
        }
        t
    }

    /// How many entry keys it touches.
    pub(crate) fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Touches the entries of these (usage number, party) keys only.
    pub(crate) fn of_keys(keys: impl IntoIterator<Item = (UsageNumber, Party)>) -> Touched {
        let mut t = Touched::default();
        t.extend_keys(keys);
        t
    }
}

/// Above this many events a command's keys are sorted once rather than inserted one by one.
const BULK_EVENTS: usize = 16;

/// `cap`, with each part too small for `state` (which has `entries` entries) grown to twice
/// what the state needs, as growing does: a registry recovered into a capacity too small in
/// one part (more management numbers held than pages) then gets an index sized for its
/// state, rather than failing to build and doubling every part until all fit.
fn fitting(state: &State, cap: Capacity, entries: usize) -> Capacity {
    let licensed: usize = state.pool().blocks().iter().map(|b| b.count as usize).sum();
    let held: usize = state
        .tenants()
        .map(|t| state.pool().count_held_by(t.id))
        .sum();
    let tenants = state.next_tenant_id().raw() as usize + 1;
    Capacity {
        entries: if entries * 100 <= cap.entries * MAX_LOAD_PERCENT {
            cap.entries
        } else {
            entries * 2 * 100 / MAX_LOAD_PERCENT
        },
        directory: if licensed * 2 <= cap.directory {
            cap.directory
        } else {
            (licensed * 2).next_power_of_two()
        },
        tenants: if tenants <= cap.tenants {
            cap.tenants
        } else {
            tenants * 2
        },
        pages: if held <= cap.pages {
            cap.pages
        } else {
            held * 2
        },
        // Record 0 means "none": one is always in use.
        extras: cap.extras.max(1),
    }
}

/// The caller word of an entry of party `p` (0 for a number's own record).
fn caller_word(p: Party) -> u64 {
    match p {
        Party::Anyone => 0,
        Party::Caller(s) => s.e164(),
    }
}

/// The entry of a quarantined (usage number offset `xo`, caller) pair.
fn quarantine_image(q: &Quarantine, xo: u64, caller: u64) -> Image {
    let kind = match q.ended {
        crate::binding::EndReason::Released => Kind::QuarantineReleased,
        crate::binding::EndReason::Expired => Kind::QuarantineExpired,
    };
    Image {
        expires: secs(q.until),
        x: xo,
        kind: kind as u8,
        caller,
        binding: q.binding.raw(),
        ..Image::default()
    }
}

/// Seconds as the index stores them (32 bits: until 2106; later times read as 2106).
fn secs(t: Timestamp) -> u32 {
    u32::try_from(t.unix_secs()).unwrap_or(u32::MAX)
}

/// Where an index lives.
#[derive(Clone, Debug)]
pub(crate) enum Backing {
    /// Private memory of this process.
    Heap,
    /// A shared mapping published at this path (built beside it, then renamed into place).
    Shared(std::path::PathBuf),
}

impl Backing {
    fn staging(path: &std::path::Path) -> std::path::PathBuf {
        let mut p = path.as_os_str().to_owned();
        p.push(".new");
        p.into()
    }
}

/// The writer of one index.
pub(crate) struct IndexWriter {
    index: Arc<Index>,
    /// Slots not `Empty` (live, quarantined, tombstones).
    used: usize,
    extras_free: Vec<usize>,
    extras_next: usize,
    pages_free: Vec<u16>,
    pages_next: usize,
    directory_used: usize,
    /// A shared index's staging file until it is published: removed if it never is.
    staged: Option<std::path::PathBuf>,
}

impl Drop for IndexWriter {
    /// A successor dropped unpublished (its registry freed mid-copy, a copy abandoned, a build
    /// refused) takes its staging file with it instead of leaving it in `/dev/shm`.
    fn drop(&mut self) {
        if let Some(staging) = self.staged.take() {
            // Only the name goes; the mapping stays valid until the index is dropped.
            let _ = std::fs::remove_file(staging);
        }
    }
}

/// The index is too small for a change: build a bigger one.
#[derive(Debug)]
pub(crate) struct Full;

/// Building an index failed.
#[derive(Debug)]
pub(crate) enum BuildError {
    /// It would not fit the capacity given (directory or id limits).
    Full,
    /// The shared mapping could not be created.
    Io(std::io::ErrorKind),
}

impl IndexWriter {
    /// A writer of a new, empty index. A shared one is built at a staging path beside the
    /// final one; [`IndexWriter::publish`] moves it into place.
    pub(crate) fn new(
        backing: &Backing,
        cap: Capacity,
        quarantine_secs: u64,
        generation: u64,
    ) -> std::io::Result<IndexWriter> {
        // Entries address the directory in 16 bits: slots past that could never be used.
        // Readers refuse an index without entry or directory slots.
        let cap = cap.with_slots();
        let cap = Capacity {
            directory: cap.directory.min(MAX_DIRECTORY),
            ..cap
        };
        let staged = match backing {
            Backing::Heap => None,
            Backing::Shared(path) => Some(Backing::staging(path)),
        };
        let index = match &staged {
            None => Index::new_heap(cap, quarantine_secs, generation),
            Some(staging) => Index::new_shared(staging, cap, quarantine_secs, generation)?,
        };
        Ok(IndexWriter {
            index: Arc::new(index),
            used: 0,
            extras_free: Vec::new(),
            extras_next: 1, // 0 means "none"
            pages_free: Vec::new(),
            pages_next: 0,
            directory_used: 0,
            staged,
        })
    }

    /// Makes a shared index visible at its path (readers attaching from now on get it).
    pub(crate) fn publish(&mut self, backing: &Backing) -> std::io::Result<()> {
        match backing {
            Backing::Heap => Ok(()),
            Backing::Shared(path) => {
                std::fs::rename(Backing::staging(path), path)?;
                self.staged = None;
                Ok(())
            }
        }
    }

    /// A writer of a new index with capacity `cap` holding everything in `state`.
    ///
    /// Nobody reads the new index yet, so its entries are written in the order that is fastest
    /// to produce: the state's, a batch at a time, loading each batch's home slots first (the
    /// loads are independent, so their cache misses overlap) before probing from them.
    pub(crate) fn build(
        backing: &Backing,
        state: &State,
        cap: Capacity,
        generation: u64,
    ) -> Result<IndexWriter, BuildError> {
        let entries: usize = state
            .usage_entries()
            .map(|(_, e)| e.routes.len() + e.quarantine.len())
            .sum();
        let mut w = IndexWriter::new(
            backing,
            fitting(state, cap, entries),
            state.config().binding_quarantine_secs,
            generation,
        )
        .map_err(|e| BuildError::Io(e.kind()))?;
        w.sync_numbers(state).map_err(|_| BuildError::Full)?;
        if !w.fits_counts(state, entries, 0, 0, 0, 0, 100) {
            return Err(BuildError::Full);
        }
        w.fill(state).map_err(|_| BuildError::Full)?;
        Ok(w)
    }

    /// Writes the entries and pages of every usage number in `state` into this new index.
    fn fill(&mut self, state: &State) -> Result<(), Full> {
        /// Entries whose home slots are loaded together.
        const BATCH: usize = 32;
        let n = self.index.capacity().entries;
        // While one batch is placed, the home slots of the next are on their way.
        let mut filling: Vec<(usize, Image)> = Vec::with_capacity(2 * BATCH);
        let mut loaded: Vec<(usize, Image)> = Vec::with_capacity(2 * BATCH);
        // A binding's entries on one number are adjacent (AXB: A's and B's).
        let mut last: Option<&crate::binding::Binding> = None;
        for (x, e) in state.usage_entries() {
            let xo = x.value() - USAGE_BASE;
            let mut latest = 0;
            for (p, id) in e.routes.iter() {
                let b = match last.filter(|b| b.id == *id) {
                    Some(b) => b,
                    None => match state.binding(*id) {
                        Some(b) => b,
                        None => continue,
                    },
                };
                last = Some(b);
                latest = latest.max(secs(b.expires_at));
                let caller = caller_word(*p);
                let image = self.live_image(state, b, x, *p, xo, caller)?;
                filling.push((reduce(entry_hash(xo, caller), n), image));
            }
            for (p, q) in e.quarantine.iter() {
                // A party has a route or a quarantine on a number, never both; the route wins.
                if !e.routes.contains_key(p) {
                    let caller = caller_word(*p);
                    let image = quarantine_image(q, xo, caller);
                    filling.push((reduce(entry_hash(xo, caller), n), image));
                }
            }
            self.set_page(x, latest);
            if filling.len() >= BATCH {
                self.load(&filling);
                self.place(&mut loaded)?;
                std::mem::swap(&mut filling, &mut loaded);
            }
        }
        self.place(&mut loaded)?;
        self.place(&mut filling)
    }

    /// Loads the home slots of a batch of new entries (independent loads: their cache misses
    /// overlap, and placing them later finds them in cache).
    fn load(&self, batch: &[(usize, Image)]) {
        let mut seen = 0;
        for (start, _) in batch {
            // Both ends: an entry's five words may straddle two cache lines.
            let e = self.index.entry(*start);
            seen ^= e[0].load(Ordering::Relaxed) ^ e[slot::WORDS - 1].load(Ordering::Relaxed);
        }
        std::hint::black_box(seen);
    }

    /// Writes a batch of new entries, each from its home slot on.
    fn place(&mut self, batch: &mut Vec<(usize, Image)>) -> Result<(), Full> {
        for (start, image) in batch.drain(..) {
            let (at, old) = self.entry_slot_from(start, image.x, image.caller)?;
            if old.is_none() && slot::read_own(self.index.entry(at)).kind() == Kind::Empty {
                self.used += 1;
            }
            slot::write(self.index.entry(at), &image);
        }
        Ok(())
    }

    /// Writes every tenant's status and every licensed number's directory word (and page) from
    /// `state`, but no entry: the first part of building a successor.
    pub(crate) fn sync_numbers(&mut self, state: &State) -> Result<(), Full> {
        for t in state.tenants() {
            self.sync_tenant(state, t.id)?;
        }
        for block in state.pool().blocks() {
            for m in (0..block.count).filter_map(|i| block.first.checked_add(u64::from(i))) {
                // No page pass: each usage number's page is written when its entries are.
                self.sync_management(state, m, false)?;
            }
        }
        Ok(())
    }

    /// The index readers use.
    pub(crate) fn index(&self) -> &Arc<Index> {
        &self.index
    }

    /// A capacity that fits `state` plus a change touching `t`, with room to grow.
    pub(crate) fn grown_capacity(&self, state: &State, t: &Touched) -> Capacity {
        let cap = self.index.capacity();
        let entries: usize = state
            .usage_entries()
            .map(|(_, e)| e.routes.len() + e.quarantine.len())
            .sum();
        let licensed: usize = state.pool().blocks().iter().map(|b| b.count as usize).sum();
        let tenants = state.next_tenant_id().raw() as usize + t.tenants.len() + 1;
        let held: usize = state
            .tenants()
            .map(|x| state.pool().count_held_by(x.id))
            .sum();
        Capacity {
            entries: cap
                .entries
                .max((entries + t.keys.len()) * 2 * 100 / MAX_LOAD_PERCENT),
            directory: cap
                .directory
                .max(((licensed + t.managements.len()) * 2).next_power_of_two()),
            tenants: cap.tenants.max(tenants * 2),
            pages: cap.pages.max((held + t.assigned) * 2),
            extras: cap.extras.max(self.extras_next * 2 + t.groups * 2),
        }
    }

    /// Whether a change touching `t` fits without growing.
    pub(crate) fn has_room(&self, state: &State, t: &Touched) -> bool {
        self.fits(state, t, 100)
    }

    /// Whether a change touching `t` leaves the index with room to spare: once it does not,
    /// the registry starts building the successor, which must be complete before the index is
    /// full (growing by [`GROW_SHARE`] of the limits leaves that many writes of headroom).
    pub(crate) fn has_headroom(&self, state: &State, t: &Touched) -> bool {
        self.fits(state, t, GROW_SHARE)
    }

    /// How many entries a write touching `keys` entries should copy into the successor, when
    /// `copied` are already there: enough that the copy ends, with a margin of two, before the
    /// writes it waits for fill this index (the more headroom is left, the less each write
    /// copies).
    pub(crate) fn copy_pace(&self, copied: usize, keys: usize) -> usize {
        let max = self.index.capacity().entries * MAX_LOAD_PERCENT / 100;
        let room = max.saturating_sub(self.used).max(1);
        // `used` counts tombstones too: an over-estimate of what is left, so on the safe side.
        let left = self.used.saturating_sub(copied);
        (left * keys.max(1) * 2)
            .div_ceil(room)
            .max(MIN_COPY_PER_WRITE)
    }

    /// Whether a change touching `t` keeps every part of the index within `share` per cent of
    /// its limit.
    fn fits(&self, state: &State, t: &Touched, share: usize) -> bool {
        self.fits_counts(
            state,
            t.keys.len(),
            self.new_directory_entries(t),
            t.tenants.len(),
            t.groups,
            t.assigned,
            share,
        )
    }

    /// [`IndexWriter::fits`] for a change of `keys` entries, `directory` new directory
    /// entries, `tenants` tenants, `groups` extras records and `assigned` pages.
    #[allow(clippy::too_many_arguments)]
    fn fits_counts(
        &self,
        state: &State,
        keys: usize,
        directory: usize,
        tenants: usize,
        groups: usize,
        assigned: usize,
        share: usize,
    ) -> bool {
        let cap = self.index.capacity();
        let max_tenant = state.next_tenant_id().raw() as usize + tenants;
        let extras_used = self.extras_next - self.extras_free.len();
        let pages_used = self.pages_next - self.pages_free.len();
        // A directory at its maximum cannot grow: only its hard limit counts then.
        let directory_share = if cap.directory >= MAX_DIRECTORY {
            100
        } else {
            share
        };
        (self.used + keys) * 100 * 100 <= cap.entries * MAX_LOAD_PERCENT * share
            && (self.directory_used + directory) * 2 * 100 <= cap.directory * directory_share
            && max_tenant * 100 < cap.tenants * share
            && (extras_used + groups) * 100 <= cap.extras * share
            && (pages_used + assigned) * 100 <= cap.pages * share
    }

    /// The management numbers `t` touches that have no directory entry yet (newly licensed ones;
    /// an assignment or reclaim rewrites an existing entry).
    fn new_directory_entries(&self, t: &Touched) -> usize {
        t.managements
            .iter()
            .filter(|m| self.index.dir_find(m.value() - MANAGEMENT_BASE).is_none())
            .count()
    }

    /// Rewrites everything `t` touched from `state` (after the events were applied).
    pub(crate) fn sync(&mut self, state: &State, t: &Touched) -> Result<(), Full> {
        for tenant in &t.tenants {
            self.sync_tenant(state, *tenant)?;
        }
        for m in &t.managements {
            self.sync_management(state, *m, true)?;
        }
        // Per usage number, in an order readers can rely on (they read page, caller entry, then
        // the number's own record): while an exclusive binding holds the number, caller entries
        // before its record; when it ends, the record first; the page always last.
        // Keys are sorted, so a number's keys are adjacent and its record (`Party::Anyone`, the
        // least party) comes first.
        for group in t.keys.as_slice().chunk_by(|a, b| a.0 == b.0) {
            let x = group[0].0;
            let exclusive_after = state
                .usage_entry(x)
                .is_some_and(|e| e.routes.contains_key(&Party::Anyone));
            let split = usize::from(group[0].1 == Party::Anyone);
            let (records, callers) = group.split_at(split);
            let (first, then) = if exclusive_after {
                (callers, records)
            } else {
                (records, callers)
            };
            for &(x, p) in first.iter().chain(then) {
                self.sync_key(state, x, p)?;
            }
            self.sync_page(state, x);
        }
        Ok(())
    }

    fn sync_tenant(&mut self, state: &State, tenant: TenantId) -> Result<(), Full> {
        let status = match state.tenant(tenant).map(|t| t.status) {
            None => tenant_code::UNKNOWN,
            Some(TenantStatus::Active) => tenant_code::ACTIVE,
            Some(TenantStatus::Suspended) => tenant_code::SUSPENDED,
            Some(TenantStatus::Exited) => tenant_code::EXITED,
        };
        let code = if state.requires_real_user(tenant) {
            status | tenant_code::REAL_USER_REQUIRED
        } else {
            status
        };
        self.index
            .tenant_word(tenant.raw())
            .ok_or(Full)?
            .store(code, Ordering::Release);
        Ok(())
    }

    /// The directory slot for `key`: its position and current entry, or the empty slot to use.
    fn dir_slot(&self, key: u64) -> Result<(usize, Option<DirEntry>), Full> {
        let n = self.index.capacity().directory;
        let start = reduce(mix(key), n);
        for i in 0..n {
            let at = (start + i) % n;
            match DirEntry::decode(self.index.dir_word(at).load(Ordering::Relaxed)) {
                None => return Ok((at, None)),
                Some(d) if d.key == key => return Ok((at, Some(d))),
                Some(_) => {}
            }
        }
        Err(Full)
    }

    /// Writes `m`'s directory word; with `pages`, also the page of each of its usage numbers.
    fn sync_management(
        &mut self,
        state: &State,
        m: ManagementNumber,
        pages: bool,
    ) -> Result<(), Full> {
        if !state.pool().is_licensed(m) {
            return Ok(());
        }
        let key = m.value() - MANAGEMENT_BASE;
        let (at, old) = self.dir_slot(key)?;
        if old.is_none() {
            if (self.directory_used + 1) * 2 > self.index.capacity().directory
                || at > u16::MAX as usize
            {
                return Err(Full);
            }
            self.directory_used += 1;
        }
        let holder = state.pool().holder(m);
        let old_page = old.filter(|d| d.held).map(|d| d.page);
        let page = match (holder, old_page) {
            (Some(_), Some(p)) => p,
            (Some(_), None) => self.take_page()?,
            (None, _) => 0,
        };
        let entry = DirEntry {
            key,
            held: holder.is_some(),
            page,
            tenant: holder.map_or(0, |t| t.raw()),
        };
        if entry.tenant >= 1 << 20 {
            return Err(Full);
        }
        self.index
            .dir_word(at)
            .store(entry.encode(), Ordering::Release);
        if let (None, Some(p)) = (holder, old_page) {
            // Readers re-check the directory word after reading a page, so it can be reused now.
            self.pages_free.push(p);
        }
        if holder.is_some() && pages {
            for x in m
                .usage_numbers()
                .filter(|x| state.usage_entry(*x).is_some())
            {
                self.sync_page(state, x);
            }
        }
        Ok(())
    }

    fn take_page(&mut self) -> Result<u16, Full> {
        let page = match self.pages_free.pop() {
            Some(p) => {
                // A page given back holds its former number's expiries: clear it.
                for sub in (0..PAGE_WORDS as u16 * 2).step_by(2) {
                    self.index.page_word(p, sub).store(0, Ordering::Relaxed);
                }
                p
            }
            // A page never handed out is still as the index was created: zero. Not writing it
            // keeps it out of memory (the index's memory is zeroed lazily) until it is used.
            None if self.pages_next < self.index.capacity().pages
                && self.pages_next <= u16::MAX as usize =>
            {
                self.pages_next += 1;
                (self.pages_next - 1) as u16
            }
            None => return Err(Full),
        };
        fence(Ordering::Release);
        Ok(page)
    }

    /// Writes the latest expiry among the bindings with entries on `x` into its page.
    fn sync_page(&mut self, state: &State, x: UsageNumber) {
        let latest = state.usage_entry(x).map_or(0, |e| {
            e.routes
                .values()
                .filter_map(|id| state.binding(*id))
                .map(|b| secs(b.expires_at))
                .max()
                .unwrap_or(0)
        });
        self.set_page(x, latest);
    }

    /// Writes `latest` as `x`'s latest expiry into its page (if its number is held).
    fn set_page(&mut self, x: UsageNumber, latest: u32) {
        let Some(d) = self
            .index
            .dir_find(x.management().value() - MANAGEMENT_BASE)
            .map(|(_, d)| d)
        else {
            return;
        };
        if !d.held {
            return;
        }
        let word = self.index.page_word(d.page, x.sub_number());
        let old = word.load(Ordering::Relaxed);
        let new = if x.sub_number().is_multiple_of(2) {
            (old & !0xFFFF_FFFF) | u64::from(latest)
        } else {
            (old & 0xFFFF_FFFF) | u64::from(latest) << 32
        };
        word.store(new, Ordering::Release);
    }

    /// The entry slot of `(x, caller)`: where it is, or where to put it (first tombstone or the
    /// empty slot ending the probe), and whether it exists.
    fn entry_slot(&self, x: u64, caller: u64) -> Result<(usize, Option<Image>), Full> {
        let n = self.index.capacity().entries;
        self.entry_slot_from(reduce(entry_hash(x, caller), n), x, caller)
    }

    /// [`IndexWriter::entry_slot`] with the home slot `start` already computed.
    fn entry_slot_from(
        &self,
        start: usize,
        x: u64,
        caller: u64,
    ) -> Result<(usize, Option<Image>), Full> {
        let n = self.index.capacity().entries;
        let mut tomb = None;
        for i in 0..n {
            let at = (start + i) % n;
            let e = slot::read_own(self.index.entry(at));
            match e.kind() {
                Kind::Empty => return Ok((tomb.unwrap_or(at), None)),
                Kind::Tombstone => {
                    tomb.get_or_insert(at);
                }
                _ if e.x == x && e.caller == caller => return Ok((at, Some(e))),
                _ => {}
            }
        }
        tomb.map(|at| (at, None)).ok_or(Full)
    }

    fn sync_key(&mut self, state: &State, x: UsageNumber, p: Party) -> Result<(), Full> {
        let xo = x.value() - USAGE_BASE;
        let caller = caller_word(p);
        let (at, old) = self.entry_slot(xo, caller)?;
        let entry = state.usage_entry(x);
        let image = if let Some(b) = entry
            .and_then(|e| e.routes.get(&p))
            .and_then(|id| state.binding(*id))
        {
            Some(self.live_image(state, b, x, p, xo, caller)?)
        } else {
            entry
                .and_then(|e| e.quarantine.get(&p))
                .map(|q| quarantine_image(q, xo, caller))
        };
        let slot_was_empty =
            old.is_none() && slot::read_own(self.index.entry(at)).kind() == Kind::Empty;
        match image {
            Some(image) => {
                slot::write(self.index.entry(at), &image);
                if slot_was_empty {
                    self.used += 1;
                }
            }
            None if old.is_some() => {
                slot::write(
                    self.index.entry(at),
                    &Image {
                        kind: Kind::Tombstone as u8,
                        ..Image::default()
                    },
                );
            }
            None => {}
        }
        if let Some(old) = old {
            self.free_extras_of(&old);
        }
        Ok(())
    }

    /// The entry of live binding `b` for party `p` on `x` (usage number offset `xo`, caller
    /// word `caller`), everything derived from `b` and, for the real-user report of its
    /// subscriber A, from `state`.
    fn live_image(
        &mut self,
        state: &State,
        b: &Binding,
        x: UsageNumber,
        p: Party,
        xo: u64,
        caller: u64,
    ) -> Result<Image, Full> {
        let leg = b.leg(x, p).ok_or(Full)?;
        let policy = &b.policy;
        let mut flags = 0u16;
        let mut set = |cond: bool, f: u16| {
            if cond {
                flags |= f;
            }
        };
        set(
            b.status == crate::binding::BindingStatus::Suspended,
            flag::SUSPENDED,
        );
        set(policy.media.voice, flag::VOICE);
        set(policy.media.sms, flag::SMS);
        set(policy.direction == Direction::AToBOnly, flag::A_TO_B_ONLY);
        set(policy.direction == Direction::BToAOnly, flag::B_TO_A_ONLY);
        set(leg.from_a_side, flag::FROM_A_SIDE);
        set(policy.record, flag::RECORD);
        let mut image = Image {
            expires: secs(b.expires_at),
            x: xo,
            kind: Kind::Live as u8,
            caller,
            binding: b.id.raw(),
            window: policy
                .window
                .map_or((0, 0), |w| (w.start_minute, w.end_minute)),
            mode: match b.mode() {
                Mode::Axb => 0,
                Mode::Axn => 1,
                Mode::Axyb => 2,
                Mode::Gxb => 3,
            },
            unreported: !state.is_real_user_reported(b.tenant, b.parties.subscriber_a()),
            ..Image::default()
        };
        match leg.to {
            Some(to) if to.len() > 1 => {
                let members: Vec<u64> = to.iter().map(SubscriberNumber::e164).collect();
                image.target = self.write_extras(&members)? as u64;
                flags |= flag::GROUP;
            }
            Some(to) => image.target = to.first().map_or(0, SubscriberNumber::e164),
            None => image.target = 0,
        }
        if p == Party::Anyone && !policy.allowed_callers.is_empty() {
            let list: Vec<u64> = policy.allowed_callers.iter().map(|s| s.e164()).collect();
            let first = self.write_extras(&list)?;
            image.display_sub = (first & 0x3FFF) as u16;
            image.display_dir = (first >> 14) as u16;
            flags |= flag::ALLOW_LIST;
        } else if leg.display != x {
            let key = leg.display.management().value() - MANAGEMENT_BASE;
            let (at, d) = self.dir_slot(key)?;
            if d.is_none() {
                return Err(Full);
            }
            image.display_dir = at as u16;
            image.display_sub = leg.display.sub_number();
            flags |= flag::DISPLAY_OTHER;
        }
        image.flags = flags;
        Ok(image)
    }

    /// Writes `numbers` into a chain of extras records; returns the first record's index.
    fn write_extras(&mut self, numbers: &[u64]) -> Result<usize, Full> {
        let chunks: Vec<&[u64]> = numbers.chunks(EXTRA_NUMBERS).collect();
        let mut records = Vec::with_capacity(chunks.len());
        for _ in &chunks {
            let r = match self.extras_free.pop() {
                Some(r) => r,
                None if self.extras_next < self.index.capacity().extras
                    && self.extras_next < 1 << 30 =>
                {
                    self.extras_next += 1;
                    self.extras_next - 1
                }
                None => {
                    self.extras_free.extend(records);
                    return Err(Full);
                }
            };
            records.push(r);
        }
        for (i, chunk) in chunks.iter().enumerate() {
            let r = self.index.extra(records[i]);
            let v = r[0].load(Ordering::Relaxed);
            let seq = (v as u32).wrapping_add(1) | 1;
            r[0].store(u64::from(seq), Ordering::Relaxed);
            fence(Ordering::Release);
            r[1].store(
                records.get(i + 1).map_or(0, |n| *n as u64),
                Ordering::Relaxed,
            );
            for (w, n) in r[2..]
                .iter()
                .zip(chunk.iter().copied().chain(std::iter::repeat(0)))
            {
                w.store(n, Ordering::Relaxed);
            }
            r[0].store(
                u64::from(seq.wrapping_add(1)) | (chunk.len() as u64) << 32,
                Ordering::Release,
            );
        }
        Ok(records[0])
    }

    fn free_extras_of(&mut self, old: &Image) {
        let chain = |first: usize, free: &mut Vec<usize>| {
            let mut at = first;
            while at != 0 && at < self.index.capacity().extras && free.len() < 1 << 30 {
                free.push(at);
                at = self.index.extra(at)[1].load(Ordering::Relaxed) as usize;
            }
        };
        let mut free = std::mem::take(&mut self.extras_free);
        if old.has(flag::GROUP) {
            chain(old.target as usize, &mut free);
        }
        if old.has(flag::ALLOW_LIST) {
            chain(
                (usize::from(old.display_dir) << 14) | usize::from(old.display_sub),
                &mut free,
            );
        }
        self.extras_free = free;
    }
}
