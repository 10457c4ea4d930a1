//! The registry: what a platform process and the switches in it embed.
//!
//! Writes (`&self`, one at a time behind a mutex) validate a command against the [`State`],
//! produce events, apply them, and publish what they touched to the lock-free [`Index`];
//! [`Registry::route`] reads only the index, from any thread, without locking, allocating or
//! making a system call, and never waits for a writer.
//!
//! The index lives behind an [`ArcSwap`] that changes only when the index grows. Growth never
//! stops the writer for long: once the index nears its limits a bigger successor is started, and
//! each write copies a slice of the state into it (besides keeping what it touched current in
//! both) until it is complete; readers are then flipped to it, and the old index is kept until no
//! reader holds it, so a reader never frees a large object.
#![forbid(unsafe_code)]

use crate::archive::{Archive, ArchiveOptions, ArchiveReader, Entry, HistoryHit};
use crate::binding::{BindingId, Media, Party};
use crate::command::{BindRequest, Command};
use crate::config::Config;
use crate::control::block::BlockOrigin;
use crate::control::block_table::{self, BlockWriter, WriterCounts};
use crate::control::gate;
use crate::control::record::{CallEnd, CallRecord, RouteRecord};
use crate::control::region::Region;
use crate::control::sms::SmsRules;
use crate::error::Error;
use crate::event::Event;
use crate::index::layout::Capacity;
use crate::index::successor::Successor;
use crate::index::writer::{Backing, BuildError, IndexWriter, Touched};
use crate::index::{Index, SharedIndex};
use crate::journal::storage::{DirStorage, Storage};
use crate::journal::{self, Commit, Durability, Journal, JournalOptions, Recovery};
use crate::number::{SubscriberNumber, UsageNumber};
use crate::route::Decision;
use crate::state::State;
use crate::time::Timestamp;
use arc_swap::ArcSwap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// What the writer owns.
struct Writer {
    state: State,
    backing: Backing,
    index: IndexWriter,
    /// The bigger index being filled while `index` serves readers.
    successor: Option<Successor>,
    /// Indexes readers may still hold after a flip; dropped once only this list holds them.
    retired: Vec<Arc<Index>>,
    generation: u64,
    /// Growths that had to finish (or build) the successor within one write.
    grown_at_once: u64,
    /// Where events are made durable (`None`: in memory only).
    journal: Option<Journal>,
    /// Route and call records and binding history (journaled registries only).
    archive: Option<Archive>,
    /// The record queue's drop count as last archived ([`Registry::archive_drained`]).
    drops_archived: u64,
    /// The block table's writer bookkeeping (the table lives in the control region).
    blocks: WriterCounts,
}

/// A thread-safe registry of tenants, numbers and bindings with a lock-free routing index.
///
/// ```
/// use np700::{Config, Registry};
/// use np700::index::layout::Capacity;
/// let registry = Registry::new(Config::default(), Capacity::for_bindings(1_000));
/// fn shareable<T: Send + Sync>(_: &T) {}
/// shareable(&registry);
/// ```
pub struct Registry {
    writer: Mutex<Writer>,
    current: ArcSwap<Index>,
    /// What routers share for the controls: counters, marks, block table, record queues.
    region: Region,
    /// The journal's sync state, waited on outside the writer lock (group commit).
    durability: Option<Arc<Durability>>,
    /// The configuration's SMS rules (the configuration does not change), for lock-free routes.
    sms: SmsRules,
}

/// How [`Registry::open`] sets a journaled registry up.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// The index's starting capacity (it grows as needed; recovery makes it big enough).
    pub capacity: Capacity,
    /// Publish the index in a shared mapping at this path (see [`Registry::new_shared`]).
    pub shared_index: Option<PathBuf>,
    /// The journal's commit and snapshot policy.
    pub journal: JournalOptions,
    /// The archive of records and binding history, kept in `<dir>/archive/` (see
    /// [`crate::archive`]).
    pub archive: ArchiveOptions,
}

impl Default for OpenOptions {
    /// A heap index for 100,000 bindings, the default journal and archive options.
    fn default() -> Self {
        OpenOptions {
            capacity: Capacity::for_bindings(100_000),
            shared_index: None,
            journal: JournalOptions::default(),
            archive: ArchiveOptions::default(),
        }
    }
}

impl Registry {
    /// An empty registry whose index, in private memory, starts with `capacity` (it grows as
    /// needed).
    ///
    /// # Panics
    ///
    /// If the memory of the controls cannot be mapped (sizes in `config.controls` beyond what
    /// the system will map; [`crate::control::Controls::validate`] bounds them, and the C ABI
    /// reports it as an I/O error instead).
    pub fn new(config: Config, capacity: Capacity) -> Registry {
        Registry::from_state(State::new(config), capacity, Backing::Heap, 1, None)
            .unwrap_or_else(|e| panic!("cannot create a registry: {e}"))
    }

    /// An empty registry that publishes its index in a shared mapping at `path` (e.g. a file
    /// under `/dev/shm`), for reader processes to [attach](crate::index::SharedIndex::attach).
    /// A previous writer's index at `path` is replaced and marked retired, so its readers move
    /// to this one. The control region readers count into is `<path>.ctl`, and a growing index
    /// is built at `<path>.new`. Dropping the registry leaves `path` and `<path>.ctl` in place
    /// (readers keep answering; the next writer takes them over): remove both to decommission
    /// — under `/dev/shm` they hold memory.
    pub fn new_shared(
        config: Config,
        capacity: Capacity,
        path: impl AsRef<Path>,
    ) -> std::io::Result<Registry> {
        let path = path.as_ref();
        Registry::with_shared(State::new(config), capacity, path, None).map_err(|e| {
            let kind = match e {
                Error::Io { kind, .. } => kind,
                _ => std::io::ErrorKind::Other,
            };
            std::io::Error::new(kind, format!("{e} at {path:?}"))
        })
    }

    /// Opens the journaled registry in directory `dir` (created if missing): recovers what the
    /// journal holds (see [`crate::journal`] for the durability contract) and continues it.
    /// Unless [`ArchiveOptions::enabled`] is off, it keeps an [archive](crate::archive) of
    /// records and binding history in `<dir>/archive/`, opened (and completed from the journal)
    /// here; what was found is in [`Recovery::archive`].
    ///
    /// Fails with [`Error::Corrupt`] when acknowledged data is damaged, and with [`Error::Io`]
    /// when the directory cannot be read or written.
    pub fn open(
        dir: impl AsRef<Path>,
        config: Config,
        options: OpenOptions,
    ) -> Result<(Registry, Recovery), Error> {
        let dir = dir.as_ref();
        let storage = DirStorage::new(dir).map_err(|e| Error::Io {
            op: "create the journal directory",
            kind: e.kind(),
        })?;
        let archive = if options.archive.enabled {
            let s = DirStorage::new(dir.join("archive")).map_err(|e| Error::Io {
                op: "create the archive directory",
                kind: e.kind(),
            })?;
            Some(Arc::new(s) as Arc<dyn Storage>)
        } else {
            None
        };
        Registry::open_storages(Arc::new(storage), archive, config, options)
    }

    /// [`Registry::open`] on any [`Storage`] (a simulated disk in tests), without an archive.
    pub fn open_storage(
        storage: Arc<dyn Storage>,
        config: Config,
        options: OpenOptions,
    ) -> Result<(Registry, Recovery), Error> {
        Registry::open_storages(storage, None, config, options)
    }

    /// [`Registry::open`] on any [`Storage`]s: the journal in `journal`, and the archive (if
    /// given and [`ArchiveOptions::enabled`]) in `archive`, which must be a storage of its own.
    ///
    /// The archive is opened first; the journal's replay then rebuilds the binding history of
    /// events the archive had not made durable (see [`crate::archive`]).
    pub fn open_storages(
        journal: Arc<dyn Storage>,
        archive: Option<Arc<dyn Storage>>,
        config: Config,
        options: OpenOptions,
    ) -> Result<(Registry, Recovery), Error> {
        let mut opened = match archive.filter(|_| options.archive.enabled) {
            Some(s) => Some(Archive::open(s, options.archive)?),
            None => None,
        };
        let covered = match &mut opened {
            Some((a, _)) => {
                a.hold();
                a.covered()
            }
            None => u64::MAX,
        };
        let mut failed = None;
        let observe = |state: &State, seq: u64, e: &Event| {
            if let Some((a, _)) = &mut opened
                && seq > covered
                && let Err(err) = a.observe(state, seq, e)
            {
                failed.get_or_insert(err);
            }
        };
        let (state, journal, mut recovery) =
            journal::recover(journal, config, options.journal, observe)?;
        if let Some(e) = failed {
            return Err(e);
        }
        let archive = match opened {
            Some((mut a, mut report)) => {
                a.attach_journal(Arc::clone(journal.durability()));
                report.regenerated = a.release(recovery.last_seq)?;
                recovery.archive = Some(report);
                Some(a)
            }
            None => None,
        };
        let registry = match &options.shared_index {
            Some(path) => Registry::with_shared(state, options.capacity, path, Some(journal))?,
            None => Registry::from_state(state, options.capacity, Backing::Heap, 1, Some(journal))?,
        };
        registry.lock().archive = archive;
        Ok((registry, recovery))
    }

    /// A registry without a journal serving `state`, its index on the heap or, with `shared`,
    /// published there: a follower's (see [`crate::journal::follow`]), which changes only by
    /// [`Registry::apply_events`] and [`Registry::replace_state`].
    pub(crate) fn replica(
        state: State,
        capacity: Capacity,
        shared: Option<&Path>,
    ) -> Result<Registry, Error> {
        match shared {
            Some(path) => Registry::with_shared(state, capacity, path, None),
            None => Registry::from_state(state, capacity, Backing::Heap, 1, None),
        }
    }

    /// Applies events validated elsewhere (by the writer a follower follows) and publishes
    /// them, as [`Registry::execute`] does with the events of a command. Events are applied in
    /// chunks (what one chunk touches is kept in a small sorted set) under one hold of the
    /// writer lock, so [`Registry::with_state`] sees all of them or none.
    pub(crate) fn apply_events(&self, events: &[Event]) -> Result<(), Error> {
        /// Events per chunk: a catch-up of millions is applied in bounded steps.
        const CHUNK: usize = 64;
        let mut w = self.lock();
        for chunk in events.chunks(CHUNK) {
            let touched = Touched::of(&w.state, chunk);
            self.make_room(&mut w, &touched)?;
            self.apply(&mut w, chunk, &touched)?;
        }
        Ok(())
    }

    /// Replaces the state (a follower reloading from a snapshot) and flips readers to an index
    /// built from it; on failure nothing changes.
    pub(crate) fn replace_state(&self, state: State) -> Result<(), Error> {
        let mut w = self.lock();
        // A successor of the old state is of no use, and a shared one's staging file is where
        // the new index is built.
        w.successor = None;
        let cap = w.index.grown_capacity(&state, &Touched::default());
        let mut next = build_fitting(&w.backing, &state, cap, w.generation + 1)?;
        next.publish(&w.backing).map_err(|e| Error::Io {
            op: "publish the shared index",
            kind: e.kind(),
        })?;
        let refill = |rules| {
            let mut table =
                BlockWriter::create(self.region.block_words()).map_err(|_| Error::IndexFull)?;
            let filled = table.fill(rules).map_err(|_| Error::IndexFull);
            Ok::<_, Error>((table.into_counts(), filled))
        };
        let (counts, filled) = refill(state.block_list())?;
        if let Err(e) = filled {
            // Too many rules for this registry's table: keep serving the old state's.
            w.blocks = refill(w.state.block_list())?.0;
            return Err(e);
        }
        w.blocks = counts;
        w.state = state;
        self.switch(&mut w, next);
        Ok(())
    }

    /// A registry publishing `state` at `path`, replacing (and retiring) a previous writer's index.
    fn with_shared(
        state: State,
        capacity: Capacity,
        path: &Path,
        journal: Option<Journal>,
    ) -> Result<Registry, Error> {
        let previous = SharedIndex::attach_writable(path).ok();
        let previous_region = Region::attach(&Region::path_for(path)).ok();
        let generation = previous.as_ref().map_or(0, Index::generation) + 1;
        let backing = Backing::Shared(path.to_path_buf());
        let registry = Registry::from_state(state, capacity, backing, generation, journal)?;
        if let Some(previous) = previous {
            previous.retire();
        }
        if let Some(previous) = previous_region {
            previous.retire();
        }
        Ok(registry)
    }

    /// A registry serving `state`, its index built with at least `capacity`.
    fn from_state(
        state: State,
        capacity: Capacity,
        backing: Backing,
        generation: u64,
        journal: Option<Journal>,
    ) -> Result<Registry, Error> {
        let mut index = build_fitting(&backing, &state, capacity, generation)?;
        index.publish(&backing).map_err(|e| Error::Io {
            op: "publish the shared index",
            kind: e.kind(),
        })?;
        let region = make_region(&state, &backing, generation)?;
        let mut table = BlockWriter::create(region.block_words()).map_err(|_| Error::IndexFull)?;
        table
            .fill(state.block_list())
            .map_err(|_| Error::IndexFull)?;
        let blocks = table.into_counts();
        let current = ArcSwap::new(Arc::clone(index.index()));
        let durability = journal.as_ref().map(|j| Arc::clone(j.durability()));
        let sms = state.config().sms.clone();
        let writer = Writer {
            state,
            backing,
            index,
            successor: None,
            retired: Vec::new(),
            grown_at_once: 0,
            generation,
            journal,
            archive: None,
            drops_archived: 0,
            blocks,
        };
        Ok(Registry {
            writer: Mutex::new(writer),
            current,
            region,
            durability,
            sms,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Writer> {
        // A panic while holding the lock leaves the state as it was before the command's events
        // (they are applied only after validation succeeded), so the lock stays usable.
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Validates and carries out `command` at `now`; returns its events.
    pub fn execute(&self, command: &Command, now: Timestamp) -> Result<Vec<Event>, Error> {
        let mut w = self.lock();
        if let Some(j) = &w.journal {
            // Refuse before planning: after a journal failure nothing is acknowledged.
            j.durability().check()?;
        }
        let events = w.state.plan(command, now)?;
        if let (Command::Sweep, Some(a)) = (command, &mut w.archive) {
            // Retention: old day files go with the sweeps, once a day. A failure leaves the
            // archive halted (reported by its next flush), not the sweep refused.
            let _ = a.prune_if_due(now);
        }
        if events.is_empty() {
            return Ok(events);
        }
        let touched = Touched::of(&w.state, &events);
        // Room in the index and the block table is checked before the journal is written, so a
        // write they cannot take is refused without leaving events behind.
        let gone = block_table::lifted(w.state.block_list(), &events);
        if !self.with_blocks(&mut w.blocks, |t| Ok(t.fits(&gone, &events)))? {
            return Err(Error::IndexFull);
        }
        self.make_room(&mut w, &touched)?;
        let mut wait_for = None;
        let Writer {
            journal,
            archive,
            state,
            ..
        } = &mut *w;
        if let Some(j) = journal {
            let seq = j.append(&events)?;
            if let Some(a) = archive {
                // Binding versions these events end, from the state before them. A failure
                // halts the archive (the journal holds the events: the history is rebuilt
                // when the registry is reopened), not the write.
                let first = seq + 1 - events.len() as u64;
                for (i, e) in (first..).zip(&events) {
                    let _ = a.observe(state, i, e);
                }
            }
            match j.commit() {
                // Durable before any reader sees it.
                Commit::PerWrite => j.durability().wait(seq)?,
                Commit::Group => wait_for = Some(seq),
                Commit::NotDurable => {}
            }
        }
        self.apply(&mut w, &events, &touched)?;
        let Writer {
            state,
            journal,
            archive,
            ..
        } = &mut *w;
        if let Some(j) = journal.as_mut().filter(|j| j.wants_snapshot()) {
            // The snapshot lets the journal drop the events the archive's history comes from:
            // the archive must be durable first (if it cannot be, the snapshot waits).
            if archive.as_mut().is_none_or(|a| a.flush().is_ok()) {
                j.snapshot(state)?;
            }
        }
        drop(w);
        // Group commit: wait outside the lock, so writers arriving meanwhile share the sync.
        if let (Some(seq), Some(d)) = (wait_for, &self.durability) {
            d.wait(seq)?;
        }
        Ok(events)
    }

    /// Runs `f` with the writer of the block table in the control region (its bookkeeping is
    /// `counts`, kept in the writer between uses).
    fn with_blocks<R>(
        &self,
        counts: &mut WriterCounts,
        f: impl FnOnce(&mut BlockWriter<'_>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let mut table = BlockWriter::with_counts(self.region.block_words(), std::mem::take(counts))
            .map_err(|_| Error::IndexFull)?;
        let result = f(&mut table);
        *counts = table.into_counts();
        result
    }

    /// Makes sure the index can take a change touching `touched`: starts a successor when the
    /// index nears its limits, and grows it at once when the change would not fit.
    fn make_room(&self, w: &mut Writer, touched: &Touched) -> Result<(), Error> {
        if w.successor.is_none() && !w.index.has_headroom(&w.state, touched) {
            let cap = w.index.grown_capacity(&w.state, touched);
            // If it cannot be started now it is tried again on the next write; the index has
            // room until `has_room` says otherwise, and then `grow` builds it at once.
            w.successor = Successor::start(&w.backing, &w.state, cap, w.generation + 1).ok();
        }
        if !w.index.has_room(&w.state, touched) {
            self.grow(w, touched)?;
        }
        Ok(())
    }

    /// Applies `events` (validated, and journaled if need be; `touched` is what they touch, as
    /// computed before they are applied and made room for by [`Registry::make_room`]) to the
    /// state, and publishes them to the index readers use (and to its successor, which copies
    /// a slice more).
    fn apply(&self, w: &mut Writer, events: &[Event], touched: &Touched) -> Result<(), Error> {
        let gone = block_table::lifted(w.state.block_list(), events);
        for e in events {
            w.state.apply(e);
        }
        let rules = w.state.block_list();
        self.with_blocks(&mut w.blocks, |t| {
            t.publish(rules, &gone, events)
                .map_err(|_| Error::IndexFull)
        })?;
        for rule in &gone {
            // A lifted automatic block ends in every router at once, not when its mark runs out.
            if matches!(rule.origin, BlockOrigin::Probing { .. }) && rules.get(rule.id).is_none() {
                self.region.clear_mark(rule.caller);
            }
        }
        let Writer {
            state,
            index,
            successor,
            ..
        } = w;
        if index.sync(state, touched).is_err() {
            // Capacity was checked above; rebuild from the state rather than leave the index
            // behind it (the successor did not follow this write: drop it).
            w.successor = None;
            self.grow(w, &Touched::default())?;
        } else if let Some(next) = successor {
            let pace = index.copy_pace(next.copied(), touched.key_count());
            match next
                .follow(state, touched)
                .and_then(|()| next.step(state, pace))
            {
                Ok(true) => {
                    let next = w.successor.take().map(Successor::into_writer);
                    if let Some(next) = next {
                        // The write itself is done; if the successor cannot be published the
                        // current index keeps serving and a new successor is started later.
                        let _ = self.flip(w, next);
                    }
                }
                Ok(false) => {}
                // Too small after all: a bigger one is started on the next write.
                Err(_) => w.successor = None,
            }
        }
        w.retired.retain(|old| Arc::strong_count(old) > 1);
        Ok(())
    }

    /// Writes a snapshot of the state to the journal directory and removes the journal
    /// segments and snapshots it replaces; returns the seq of the last event it holds.
    /// Writes wait meanwhile (about 0.2 s per million bindings, plus the sync).
    ///
    /// Fails with [`Error::Io`] if a step fails (the registry then halts, see
    /// [`crate::journal`]); a registry without a journal has nothing to snapshot
    /// ([`Error::Io`] with kind `Unsupported`).
    pub fn snapshot(&self) -> Result<u64, Error> {
        let mut w = self.lock();
        let Writer {
            state,
            journal,
            archive,
            ..
        } = &mut *w;
        if let (Some(a), Some(_)) = (archive, &journal) {
            // The archive's binding history must be durable before the journal drops events.
            a.flush()?;
        }
        match journal {
            Some(j) => j.snapshot(state),
            None => Err(Error::Io {
                op: "snapshot a registry without a journal",
                kind: std::io::ErrorKind::Unsupported,
            }),
        }
    }

    /// Makes room for a change touching `touched` now: finishes the successor if it has room
    /// for it, else builds a bigger index from the state; then flips readers to it.
    fn grow(&self, w: &mut Writer, touched: &Touched) -> Result<(), Error> {
        w.grown_at_once += 1;
        let finished = w.successor.take().and_then(|mut next| {
            let done = next.step(&w.state, usize::MAX).unwrap_or(false);
            (done && next.has_room(&w.state, touched)).then(|| next.into_writer())
        });
        let next = match finished {
            Some(next) => next,
            None => {
                let cap = w.index.grown_capacity(&w.state, touched);
                let next = IndexWriter::build(&w.backing, &w.state, cap, w.generation + 1)
                    .map_err(build_error)?;
                // A part that cannot grow (the directory) may leave no room for the change:
                // refuse it before its events are applied, so the refusal changes nothing.
                if !next.has_room(&w.state, touched) {
                    return Err(Error::IndexFull);
                }
                next
            }
        };
        self.flip(w, next)
    }

    /// Publishes `next` and flips readers to it.
    fn flip(&self, w: &mut Writer, mut next: IndexWriter) -> Result<(), Error> {
        next.publish(&w.backing).map_err(|e| Error::Io {
            op: "publish the shared index",
            kind: e.kind(),
        })?;
        self.switch(w, next);
        Ok(())
    }

    /// Flips readers to `next`, published already.
    fn switch(&self, w: &mut Writer, next: IndexWriter) {
        w.generation += 1;
        let old = self.current.swap(Arc::clone(next.index()));
        // Readers in other processes see this and attach to the new index.
        old.retire();
        w.retired.push(old);
        w.index = next;
    }

    /// Makes a binding; returns it as stored.
    pub fn bind(&self, request: BindRequest, now: Timestamp) -> Result<crate::Binding, Error> {
        let mut events = self.execute(&Command::Bind(request), now)?;
        // The events are ours: move the binding out rather than clone it.
        match events.pop() {
            Some(Event::Bound { binding }) => Ok(binding),
            _ => Err(Error::IndexFull),
        }
    }

    /// Releases a binding.
    pub fn unbind(
        &self,
        tenant: crate::TenantId,
        binding: BindingId,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.execute(&Command::Unbind { tenant, binding }, now)
            .map(drop)
    }

    /// Archives route records drained from the record queue, and flushes the archive (each
    /// drain makes what it archived durable, see [`crate::archive`]); returns how many were
    /// archived. A registry without an archive (no journal, or the archive disabled) keeps
    /// none: 0.
    ///
    /// Fails with [`Error::Io`] or [`Error::Halted`] when the archive cannot be written.
    pub fn archive_routes(&self, records: &[RouteRecord]) -> Result<usize, Error> {
        let mut w = self.lock();
        let Some(a) = &mut w.archive else {
            return Ok(0);
        };
        for r in records {
            a.push_route(r)?;
        }
        a.flush()?;
        Ok(records.len())
    }

    /// One drain of the record queue into the archive: takes up to `buf.len()` route records
    /// ([`Registry::drain_records`]), archives them with the queue's drops since the last call
    /// (stamped `now`), and flushes, so they are durable when it returns; returns how many it
    /// took. Without an archive the records are drained and dropped (use
    /// [`Registry::drain_records`] to keep them elsewhere).
    ///
    /// Fails with [`Error::Io`] or [`Error::Halted`] when the archive cannot be written; the
    /// records taken are then in `buf` only.
    pub fn archive_drained(&self, buf: &mut [RouteRecord], now: Timestamp) -> Result<usize, Error> {
        self.journal_auto_blocks(now)?;
        let n = self.drain_records(buf);
        let dropped = self.records_dropped();
        let mut w = self.lock();
        let new_drops = dropped.saturating_sub(w.drops_archived);
        let Some(a) = &mut w.archive else {
            return Ok(n);
        };
        if new_drops > 0 {
            a.push(
                now,
                &Entry::Dropped {
                    at: now,
                    count: new_drops,
                },
            )?;
        }
        for r in &buf[..n] {
            a.push_route(r)?;
        }
        a.flush()?;
        w.drops_archived = dropped;
        Ok(n)
    }

    /// Archives that the record queue dropped `count` records (it was full), as counted at
    /// `at`, so reports can say how complete they are. Durable at the next flush: call it
    /// before the same drain's [`Registry::archive_routes`].
    pub fn archive_drops(&self, count: u64, at: Timestamp) -> Result<(), Error> {
        let mut w = self.lock();
        match &mut w.archive {
            Some(a) if count > 0 => a.push(at, &Entry::Dropped { at, count }),
            _ => Ok(()),
        }
    }

    /// Makes everything archived so far durable (see [`crate::archive`]).
    pub fn flush_archive(&self) -> Result<(), Error> {
        match &mut self.lock().archive {
            Some(a) => a.flush(),
            None => Ok(()),
        }
    }

    /// Removes the archive's day files older than the retention horizon at `now` (sweeps do
    /// it once a day too); returns their names.
    pub fn prune_archive(&self, now: Timestamp) -> Result<Vec<String>, Error> {
        match &mut self.lock().archive {
            Some(a) => a.prune(now),
            None => Ok(Vec::new()),
        }
    }

    /// A reader of the archive as it stands (flushed or not), scanned without holding the
    /// registry; `None` without an archive.
    pub fn archive_reader(&self) -> Result<Option<ArchiveReader>, Error> {
        self.lock()
            .archive
            .as_ref()
            .map(Archive::reader)
            .transpose()
    }

    /// Records how a routed call ended: links it to its binding (tenant, and where the caller's
    /// key went), archives it (durable at the next flush) and returns it. The binding is looked
    /// up in the state, then in the archive's binding history (from the call's start on).
    ///
    /// Fails with [`Error::UnknownBinding`] when neither knows the binding.
    pub fn end_call(&self, call: CallEnd, now: Timestamp) -> Result<CallRecord, Error> {
        let live = |w: &Writer| {
            let b = w.state.binding(call.binding)?;
            let leg = b
                .leg(call.dialed, Party::Caller(call.caller))
                .or_else(|| b.leg(call.dialed, Party::Anyone));
            Some((b.tenant, leg.and_then(|l| l.to).and_then(|t| t.first())))
        };
        let (found, reader) = {
            let w = self.lock();
            match live(&w) {
                Some(found) => (Some(found), None),
                None if call.binding >= w.state.next_binding_id() => (None, None),
                None => (None, w.archive.as_ref().map(Archive::reader).transpose()?),
            }
        };
        let unknown = Error::UnknownBinding(call.binding);
        let linked = match (found, reader) {
            (Some(found), _) => found,
            (None, None) => return Err(unknown),
            // Read the archive without holding up writers.
            (None, Some(reader)) => {
                let h = reader
                    .binding(call.binding, call.started_at)?
                    .ok_or(unknown)?;
                let to = h
                    .leg(call.dialed, call.caller)
                    .and_then(|l| l.to.first().copied());
                (h.tenant, to)
            }
        };
        let record = CallRecord {
            call,
            tenant: linked.0,
            to: linked.1,
            recorded_at: now,
        };
        if let Some(a) = &mut self.lock().archive {
            a.push_call(&record)?;
        }
        Ok(record)
    }

    /// What `caller` dialling usage number `x` reached at time `at`, under which binding: a
    /// binding live now whose current version was in force at `at`, else the archived binding
    /// history (see [`crate::archive::history`]). Without an archive only live bindings answer
    /// (and a binding updated since `at` is answered as it is now).
    ///
    /// Fails with [`Error::Corrupt`] when an archive file it reads is damaged.
    pub fn history(
        &self,
        x: UsageNumber,
        caller: SubscriberNumber,
        at: Timestamp,
    ) -> Result<Option<HistoryHit>, Error> {
        let w = self.lock();
        let archive = w.archive.as_ref();
        if let Some(hit) = crate::archive::live_history(&w.state, archive, x, caller, at) {
            return Ok(Some(hit));
        }
        let Some(reader) = archive.map(Archive::reader).transpose()? else {
            return Ok(None);
        };
        drop(w);
        reader.find(x, caller, at)
    }

    /// The archived call records recorded from `from` until `to` (exclusive); empty without an
    /// archive.
    pub fn calls(&self, from: Timestamp, to: Timestamp) -> Result<Vec<CallRecord>, Error> {
        match self.archive_reader()? {
            Some(r) => r.calls(from, to),
            None => Ok(Vec::new()),
        }
    }

    /// The [report](crate::report) of `period` at `now`: numbers, live bindings and
    /// quarantines from the state at `now`; route decisions, queue drops and bindings made in
    /// the period (and ended since) from the archive (read without holding up writers). Without
    /// an archive the traffic figures are empty: build the report with
    /// [`Report::build`](crate::report::Report::build) and a [`Traffic`](crate::report::Traffic)
    /// of your own.
    ///
    /// Fails with [`Error::Corrupt`] when an archive file it reads is damaged.
    pub fn report(
        &self,
        period: crate::report::Period,
        now: Timestamp,
    ) -> Result<crate::report::Report, Error> {
        let mut traffic = crate::report::Traffic::new(period);
        if let Some(reader) = self.archive_reader()? {
            let from = crate::archive::format::beijing_day(period.from.unix_secs());
            reader.for_each(from, |e| {
                match e {
                    Entry::Route(r) => traffic.record(r),
                    Entry::Dropped { at, count } if period.contains(*at) => {
                        traffic.add_dropped(*count)
                    }
                    Entry::Binding(h) => traffic.binding_ended(h),
                    _ => {}
                }
                std::ops::ControlFlow::Continue(())
            })?;
        }
        Ok(self.with_state(|state| crate::report::Report::build(state, &traffic, now)))
    }

    /// Runs `f` with read access to the writer's state (holding the writer lock meanwhile).
    pub fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.lock().state)
    }

    /// Routes a call or SMS from the strings a switch sees, as [`State::route`] does (an SMS
    /// from a commercial sender is refused before anything is counted or looked up), through the
    /// controls (limits, probing; see [`crate::control`]), and queues its record. Lock-free;
    /// allocates nothing.
    pub fn route(&self, caller: &str, dialed: &str, media: Media, now: Timestamp) -> Decision {
        let index = self.current.load();
        gate::route_controlled(
            &self.region,
            (caller, dialed, media, now),
            &self.sms,
            None,
            |c, d, touch| index.route_dialed_hooked(c, d, media, now, touch),
            |x| index.holder(x),
        )
    }

    /// Routes an SMS whose text the switch passes, as [`State::route_message`] does (the sender,
    /// then the text, are screened by the configured [`crate::control::sms::SmsRules`]), then
    /// as [`Registry::route`]. Lock-free; allocates nothing.
    pub fn route_message(
        &self,
        caller: &str,
        dialed: &str,
        text: &[u8],
        now: Timestamp,
    ) -> Decision {
        let index = self.current.load();
        gate::route_controlled(
            &self.region,
            (caller, dialed, Media::Sms, now),
            &self.sms,
            Some(text),
            |c, d, touch| index.route_dialed_hooked(c, d, Media::Sms, now, touch),
            |x| index.holder(x),
        )
    }

    /// Routes a parsed request, as [`Registry::route`]. Lock-free; allocates nothing.
    /// The SMS rules look at the strings a switch hands over, so they are not applied here:
    /// screen an SMS with [`crate::control::sms::SmsRules::screen`] first, or route strings.
    pub fn route_dialed(
        &self,
        caller: Option<SubscriberNumber>,
        dialed: crate::DialedNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        let index = self.current.load();
        gate::route_dialed_controlled(
            &self.region,
            caller,
            dialed,
            media,
            now,
            |c, d, touch| index.route_dialed_hooked(c, d, media, now, touch),
            |x| index.holder(x),
        )
    }

    /// Takes up to `out.len()` route records from the queues routers fill (this registry's
    /// threads and, with a shared index, every attached reader process); returns how many.
    /// Call it regularly (e.g. every 100 ms): a full queue drops new records
    /// ([`Registry::records_dropped`] counts them) rather than make a router wait. A record a
    /// router was killed while queuing holds back the later records of its queue shard until
    /// a drain finds it still unfinished 1 s after first finding it so, and gives it up
    /// ([`Registry::records_abandoned`]); concurrent drains take turns.
    pub fn drain_records(&self, out: &mut [RouteRecord]) -> usize {
        self.region.drain(out)
    }

    /// Journals the automatic blocks routers detected since the last call (callers probing many
    /// numbers, see [`crate::control::Probing`]) as block rules of origin
    /// [`BlockOrigin::Probing`]: durable, reported, and liftable with [`Command::LiftBlock`]
    /// (which also ends them in every router at once). Returns how many rules were made.
    ///
    /// Routers refuse a detected prober at once, before this runs (a mark in the memory they
    /// share, until the block's end); call it regularly, e.g. with each drain of the records
    /// ([`Registry::archive_drained`] does). A notice whose block has already ended is
    /// skipped; if a write fails (a halted journal), the error is returned and that notice is
    /// lost, the routers' mark still holding until its end.
    pub fn journal_auto_blocks(&self, now: Timestamp) -> Result<usize, Error> {
        let mut made = 0;
        while let Some(n) = self.region.next_notice() {
            let command = Command::AutoBlock {
                caller: n.caller,
                until: n.until,
                numbers: n.numbers,
                window_secs: n.window_secs,
            };
            match self.execute(&command, now) {
                Ok(events) => made += usize::from(!events.is_empty()),
                Err(Error::ExpiryNotInFuture { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(made)
    }

    /// Route records lost so far: dropped because their queue was full, and abandoned
    /// ([`Registry::records_abandoned`]). Reports and the archive count them as incomplete.
    pub fn records_dropped(&self) -> u64 {
        self.region.dropped()
    }

    /// Of [`Registry::records_dropped`], the route records a router had begun to queue and never
    /// finished: a worker process killed (SIGKILL, the OOM killer) between claiming a queue cell
    /// and publishing the record in it, or stopped there for longer than the grace of 1 s. The
    /// drain gives such a cell up once it has stayed unpublished for the grace, so later records
    /// of that queue shard wait at most that long instead of being lost until the writer
    /// restarts; the cell is not used again, so that shard holds one record less until then.
    pub fn records_abandoned(&self) -> u64 {
        self.region.abandoned()
    }

    /// The memory routers share for the controls (sizes and statistics).
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The index readers currently use (for statistics).
    pub fn index(&self) -> Arc<Index> {
        self.current.load_full()
    }
}

/// The control region for `state`'s configuration: private memory, or a file beside a shared
/// index (made at a staging path and renamed into place, so readers of a previous region keep a
/// valid mapping until they move).
fn make_region(state: &State, backing: &Backing, generation: u64) -> Result<Region, Error> {
    let io = |e: std::io::Error| Error::Io {
        op: "create the control region",
        kind: e.kind(),
    };
    let controls = &state.config().controls;
    // Reader processes take the SMS rules from here (they have no configuration).
    let sms = state.config().sms.encode();
    match backing {
        Backing::Heap => Region::create(controls, sms, None, generation).map_err(io),
        Backing::Shared(path) => {
            let path = Region::path_for(path);
            let mut staging = path.as_os_str().to_owned();
            staging.push(".new");
            let staging = PathBuf::from(staging);
            let region = Region::create(controls, sms, Some(&staging), generation).map_err(io)?;
            std::fs::rename(&staging, &path).map_err(io)?;
            Ok(region)
        }
    }
}

/// An index holding `state`, built with `capacity` or, for a state bigger than that (a recovered
/// or reloaded one), doubled until it fits (the directory's limit ends this with `IndexFull`).
fn build_fitting(
    backing: &Backing,
    state: &State,
    capacity: Capacity,
    generation: u64,
) -> Result<IndexWriter, Error> {
    let mut cap = capacity;
    loop {
        match IndexWriter::build(backing, state, cap, generation) {
            Ok(index) => return Ok(index),
            Err(BuildError::Full) if cap.entries < usize::MAX / 4 && cap.directory < 1 << 17 => {
                cap = Capacity {
                    entries: cap.entries.max(1) * 2,
                    directory: cap.directory.max(1) * 2,
                    tenants: cap.tenants.max(1) * 2,
                    pages: cap.pages.max(1) * 2,
                    extras: cap.extras.max(1) * 2,
                }
            }
            Err(e) => return Err(build_error(e)),
        }
    }
}

fn build_error(e: BuildError) -> Error {
    match e {
        BuildError::Full => Error::IndexFull,
        BuildError::Io(kind) => Error::Io {
            op: "create the shared index",
            kind,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::{Parties, Policy};
    use crate::number::{DialedNumber, ManagementNumber};
    use crate::pool::{LicensedBlock, NumberChoice};
    use crate::route::Decision;
    use crate::{Command, Media};

    const NOW: Timestamp = Timestamp::from_unix_secs(1_767_225_600);

    fn subscriber(n: u64) -> SubscriberNumber {
        SubscriberNumber::from_e164(n).unwrap()
    }

    /// A router killed while queuing a record (a claimed cell never published, made by the
    /// test hook) holds the later records of its shard back for the grace only: then the drain
    /// gives that one record up, delivers the rest, and counts it in `records_abandoned`,
    /// `records_dropped`, the archive and the report's completeness.
    #[test]
    fn a_record_whose_router_died_while_queuing_it_is_given_up_after_the_grace_and_counted() {
        use crate::control::record::{Outcome, RouteRecord};
        use crate::journal::sim::SimStorage;
        use crate::report::Period;
        let (r, _) = Registry::open_storages(
            Arc::new(SimStorage::new()),
            Some(Arc::new(SimStorage::new())),
            Config::default(),
            OpenOptions::default(),
        )
        .unwrap();
        let at = |s: u64| Timestamp::from_unix_secs(NOW.unix_secs() + s);
        // Every route of this thread goes to its shard: one before the killed router's cell,
        // three after it.
        let route = |s| r.route("13800000001", "700900000000001", Media::Voice, at(s));
        route(0);
        r.region.claim_record_and_die();
        for s in 1..4 {
            route(s);
        }
        let mut buf = [RouteRecord::EMPTY; 16];
        let taken = |buf: &[RouteRecord]| buf.iter().map(|x| x.at).collect::<Vec<_>>();
        assert_eq!(r.archive_drained(&mut buf, at(10)).unwrap(), 1);
        assert_eq!(taken(&buf[..1]), [at(0)]);
        assert_eq!(
            buf[0].outcome,
            Outcome::Rejected(crate::route::RejectReason::NotOurs)
        );
        // Within the grace, the rest waits behind the unpublished cell.
        assert_eq!(r.drain_records(&mut buf), 0);
        assert_eq!((r.records_dropped(), r.records_abandoned()), (0, 0));
        std::thread::sleep(
            crate::control::ring::STALL_GRACE + std::time::Duration::from_millis(50),
        );
        assert_eq!(r.archive_drained(&mut buf, at(11)).unwrap(), 3);
        assert_eq!(taken(&buf[..3]), [at(1), at(2), at(3)]);
        assert_eq!((r.records_dropped(), r.records_abandoned()), (1, 1));
        // The queue goes on; nothing is counted again.
        route(4);
        assert_eq!(r.archive_drained(&mut buf, at(12)).unwrap(), 1);
        assert_eq!(r.drain_records(&mut buf), 0);
        assert_eq!((r.records_dropped(), r.records_abandoned()), (1, 1));
        let report = r
            .report(
                Period {
                    from: at(0),
                    to: at(100),
                },
                at(100),
            )
            .unwrap();
        assert_eq!(report.platform.traffic.total, 5);
        assert_eq!(report.completeness.records_dropped, 1);
        assert!(!report.completeness.complete);
    }

    /// A capacity with zero slots is the caller's to give (the index grows anyway), but readers
    /// refuse an index without entry or directory slots as corrupt: the writer must never publish
    /// one. Before the fix, readers could not attach, and readers of a previous writer kept
    /// answering from its retired index (found by the `registry_ops` fuzz target).
    #[test]
    fn a_shared_index_made_with_zero_capacity_is_one_readers_attach_to_and_follow() {
        let path = std::env::temp_dir().join(format!("np700-zero-cap-{}", std::process::id()));
        let first = Registry::new_shared(Config::default(), Capacity::for_bindings(8), &path)
            .expect("first writer");
        let reader = SharedIndex::attach(&path).expect("attach to the first writer");
        let m = ManagementNumber::new(70_010_000_000).unwrap();
        first
            .execute(
                &Command::LicenseBlock(LicensedBlock { first: m, count: 1 }),
                NOW,
            )
            .unwrap();
        let dialed = DialedNumber::Management(m);
        let ask = |r: &SharedIndex| r.route_dialed(None, dialed, Media::Voice, NOW);
        let unassigned = Decision::Reject {
            reason: crate::route::RejectReason::Unassigned,
        };
        assert_eq!(ask(&reader), unassigned);
        drop(first);
        for zero in [
            Capacity {
                entries: 0,
                directory: 0,
                tenants: 0,
                pages: 0,
                extras: 0,
            },
            Capacity {
                entries: 0,
                ..Capacity::for_bindings(8)
            },
            Capacity {
                directory: 0,
                ..Capacity::for_bindings(8)
            },
        ] {
            // A restarted writer (nothing licensed yet): the reader moves to its index.
            let writer = Registry::new_shared(Config::default(), zero, &path).expect("writer");
            let not_ours = Decision::Reject {
                reason: crate::route::RejectReason::NotOurs,
            };
            assert_eq!(ask(&reader), not_ours, "{zero:?}");
            assert_eq!(reader.generation(), writer.index().generation());
            SharedIndex::attach(&path).unwrap_or_else(|e| panic!("{zero:?}: {e}"));
            // And it keeps working: growth from zero is published and followed too.
            writer
                .execute(
                    &Command::LicenseBlock(LicensedBlock { first: m, count: 1 }),
                    NOW,
                )
                .unwrap();
            assert_eq!(ask(&reader), unassigned, "{zero:?}");
        }
        let _ = std::fs::remove_file(&path);
    }

    /// Growing happens a slice per write while every answer stays the state's: the successor
    /// lives across many writes, readers are flipped several times, and after every write each
    /// binding made so far routes as the state says (both parties, and a stranger).
    #[test]
    fn the_index_grows_a_slice_per_write_and_stays_equal_to_the_state() {
        let registry = Registry::new(Config::default(), Capacity::for_bindings(8));
        let run = |c: Command| registry.execute(&c, NOW).unwrap();
        run(Command::RegisterTenant {
            name: "parcels".into(),
            scenarios: vec![],
            pair_cap: None,
        });
        let tenant = crate::TenantId::from_raw(1);
        let first = ManagementNumber::new(70_010_000_000).unwrap();
        run(Command::LicenseBlock(LicensedBlock { first, count: 1 }));
        run(Command::AssignNumber {
            tenant,
            number: first,
            tags: vec![],
        });
        let mut made = Vec::new();
        let (mut writes_with_successor, mut longest_run, mut run_len) = (0, 0, 0);
        let generation = registry.index().generation();
        for i in 0..6_000u64 {
            let (a, b) = (subscriber(8613000000000 + i), subscriber(8615000000000 + i));
            let x = first.usage((i % 600) as u16).unwrap();
            let binding = registry
                .bind(
                    BindRequest {
                        tenant,
                        parties: Parties::Axb {
                            a,
                            x: NumberChoice::Given(x),
                            b,
                        },
                        expires_at: NOW.plus_secs(3_600),
                        policy: Policy::default(),
                        order_id: String::new(),
                        consent_ref: "consent".into(),
                        external_ref: String::new(),
                    },
                    NOW,
                )
                .unwrap();
            made.push((a, x, b));
            if i % 3 == 2 {
                // Churn: ended bindings leave quarantine entries and tombstones behind.
                registry.unbind(tenant, binding.id, NOW).unwrap();
            }
            if registry.lock().successor.is_some() {
                writes_with_successor += 1;
                run_len += 1;
                longest_run = longest_run.max(run_len);
            } else {
                run_len = 0;
            }
            if i % 50 == 0 || run_len > 0 {
                for &(a, x, b) in made.iter().rev().take(64) {
                    for caller in [a, b, subscriber(8619000000000)] {
                        let dialed = DialedNumber::Usage(x);
                        let want: Decision = registry.with_state(|s| {
                            s.route_dialed(Some(caller), dialed, Media::Voice, NOW)
                        });
                        let got = registry.route_dialed(Some(caller), dialed, Media::Voice, NOW);
                        assert_eq!(got, want, "binding {i}: {caller} dialling {x}");
                    }
                }
            }
        }
        let flips = registry.index().generation() - generation;
        assert!(flips >= 4, "the index grew {flips} times");
        let at_once = registry.lock().grown_at_once;
        assert_eq!(at_once, 0, "growths finished within one write");
        assert!(
            longest_run >= 10,
            "a successor lived for at most {longest_run} writes ({writes_with_successor} in all): \
             the copy is not spread over writes"
        );
    }

    /// The directory holds at most 32,768 licensed management numbers (entries address it in 16
    /// bits): a block past that is refused before its events are applied, and at the limit the
    /// licensed numbers are still assigned and routed.
    #[test]
    fn licensing_past_the_directory_limit_is_refused_and_changes_nothing() {
        let registry = Registry::new(Config::default(), Capacity::for_bindings(8));
        let license = |first: u64, count: u32| {
            let first = ManagementNumber::new(first).unwrap();
            registry.execute(&Command::LicenseBlock(LicensedBlock { first, count }), NOW)
        };
        let blocks = || registry.with_state(|s| s.pool().blocks().len());
        // One block of 100,000 (the most a block may hold) in an empty registry.
        assert!(matches!(
            license(70_020_000_000, 100_000),
            Err(Error::IndexFull)
        ));
        assert_eq!(blocks(), 0);
        license(70_020_000_000, 32_767).unwrap();
        license(70_030_000_000, 1).unwrap();
        assert!(matches!(license(70_040_000_000, 1), Err(Error::IndexFull)));
        assert_eq!(blocks(), 2);
        registry
            .execute(
                &Command::RegisterTenant {
                    name: "parcels".into(),
                    scenarios: vec![],
                    pair_cap: None,
                },
                NOW,
            )
            .unwrap();
        let number = ManagementNumber::new(70_030_000_000).unwrap();
        registry
            .execute(
                &Command::AssignNumber {
                    tenant: crate::TenantId::from_raw(1),
                    number,
                    tags: vec![],
                },
                NOW,
            )
            .unwrap();
        let route = |dialed: &str| registry.route("13900000001", dialed, Media::Voice, NOW);
        assert_eq!(
            route("700300000000001"),
            Decision::Reject {
                reason: crate::route::RejectReason::NoBinding
            }
        );
        assert_eq!(
            route("700400000000001"),
            Decision::Reject {
                reason: crate::route::RejectReason::NotOurs
            }
        );
    }

    /// A registry dropped while a successor of its shared index is being filled (at
    /// `<path>.new`) leaves no staging file behind, only the published index.
    #[test]
    fn a_registry_dropped_mid_growth_leaves_no_staging_file() {
        let path = std::env::temp_dir().join(format!("np700-staging-{}", std::process::id()));
        let staging = std::path::PathBuf::from(format!("{}.new", path.display()));
        let registry =
            Registry::new_shared(Config::default(), Capacity::for_bindings(8), &path).unwrap();
        let run = |c: Command| registry.execute(&c, NOW).map(drop);
        let first = ManagementNumber::new(70_010_000_000).unwrap();
        run(Command::LicenseBlock(LicensedBlock { first, count: 1 })).unwrap();
        run(Command::RegisterTenant {
            name: "parcels".into(),
            scenarios: vec![],
            pair_cap: None,
        })
        .unwrap();
        let tenant = crate::TenantId::from_raw(1);
        run(Command::AssignNumber {
            tenant,
            number: first,
            tags: vec![],
        })
        .unwrap();
        for i in 0..5_000u64 {
            if staging.exists() {
                break;
            }
            let request = BindRequest {
                tenant,
                parties: Parties::Axb {
                    a: subscriber(8613000000000 + i),
                    x: NumberChoice::Given(first.usage(i as u16).unwrap()),
                    b: subscriber(8615000000000 + i),
                },
                expires_at: NOW.plus_secs(3_600),
                policy: Policy::default(),
                order_id: String::new(),
                consent_ref: "consent".into(),
                external_ref: String::new(),
            };
            registry.bind(request, NOW).unwrap();
        }
        assert!(staging.exists(), "no successor was started");
        drop(registry);
        let left = staging.exists();
        let published = path.exists();
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&staging);
        assert!(!left, "{} left behind", staging.display());
        assert!(published);
    }
}
