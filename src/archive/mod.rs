//! The archive: route records, call records and binding history, kept for the retention horizon
//! the regulator asks for (a draft standard says at least six months for bindings and records).
//!
//! # What it holds
//!
//! - [`RouteRecord`]s: every route decision, as the host drains them from the record queue
//!   ([`crate::Registry::archive_routes`]), and how many the queue dropped
//!   ([`Entry::Dropped`]), so a report can say how complete it is.
//! - [`CallRecord`]s: how routed calls ended ([`crate::Registry::end_call`]).
//! - [`BindingHistory`]: one record per binding *version* that ended — released, expired, or
//!   replaced by an update (the old version ends, the new one continues) — with its route keys,
//!   where each went and the number shown, and its validity interval. Live bindings are answered
//!   from the [`State`]; together they answer [`history`]: "what did this (usage number,
//!   caller) route to at time T, under which binding?".
//!
//! # Files
//!
//! One append-only file per Beijing (UTC+8) day, `YYYYMMDD.archive`, in the directory
//! `<journal dir>/archive/` of a journaled registry ([`format`](mod@format) has the byte
//! layout). A record goes into the file of its own day, or into the newest file if that is
//! later (files are only ever appended in day order, so only the newest can have a torn tail).
//! Either way a record stamped `t` is in the file of `t`'s day or a later one: a query about
//! time `T` reads the files from `T`'s day on, and nothing before. Record times are trusted: a
//! route record stamped days ahead (a switch's clock) starts that day's file, and the archive
//! continues there; times past 9999-12-31 are filed under that day.
//!
//! Reads load a whole day file at a time ([`ArchiveReader`] reads without holding the
//! registry, up to where the files ended when it was made): a history query about a day long
//! past reads every file since.
//!
//! Every file starts with [`Entry::Carry`] records: the start time of the current version of
//! every live binding that was ever updated, and the journal position covered. Recovery reads
//! only the newest file. (A binding updated before its registry kept an archive is taken to
//! have had its current version since its creation.)
//!
//! # Durability
//!
//! Records are encoded into a batch in memory and written when the batch reaches
//! [`ArchiveOptions::batch_bytes`]; [`Archive::flush`] writes the batch and syncs the file. A
//! journaled registry flushes on every [`crate::Registry::archive_routes`] and
//! [`crate::Registry::archive_drained`] (each drain of the record queue), on
//! [`crate::Registry::flush_archive`], and before every snapshot. What was
//! flushed survives a crash; route and call records pushed since the last flush may be lost.
//!
//! Binding history is as durable as the journal itself: each history record carries the
//! journal seq of the event that ended the version, the archive notes the last seq it has seen
//! ([`Entry::Mark`]), and recovery regenerates the history of every journal event after that
//! from the replay. To make that sound, nothing reaches the archive's files before the journal
//! is durable through every event it mentions (the archive waits for the journal's sync first),
//! and the archive is flushed before a snapshot lets the journal drop segments.
//!
//! A write or sync that fails halts the archive ([`Error::Halted`] from then on) until the
//! registry is reopened; the registry's writes go on (their history is in the journal, and is
//! rebuilt at the reopen), but automatic snapshots wait and [`crate::Registry::snapshot`]
//! refuses, since a snapshot would let the journal drop that history.
//!
//! # Recovery and damage
//!
//! At open the newest file is read: a torn tail (damage after the last durable record) is cut
//! and reported ([`ArchiveRecovery::cut`]); a newest file that never got its first records
//! durable (a crash while it was created) is removed. Damage anywhere else — in an older file,
//! or before a record that says it was durable — is [`Error::Corrupt`] with the file and offset,
//! reported when the file is read, never skipped.
//!
//! # Retention
//!
//! [`Archive::prune`] removes whole day files whose day ended more than
//! [`ArchiveOptions::retention_secs`] ago (records are kept at least that long; a record placed
//! in a later day's file is kept a little longer). The newest file is never removed.
#![forbid(unsafe_code)]

pub mod format;

use crate::binding::{Binding, BindingId, Mode, Party};
use crate::control::record::{CallRecord, RouteRecord};
use crate::error::Error;
use crate::event::Event;
use crate::journal::storage::Storage;
use crate::journal::{Durability, TailCut};
use crate::number::{SubscriberNumber, UsageNumber};
use crate::state::State;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use format::{HEADER_LEN, beijing_day};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io;
use std::ops::ControlFlow;
use std::sync::Arc;

/// How an archive keeps its records.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ArchiveOptions {
    /// Whether a journaled registry keeps an archive at all.
    pub enabled: bool,
    /// How long records are kept, in seconds: a day file is removed once its day ended this long
    /// ago. Default 183 days (about six months).
    pub retention_secs: u64,
    /// Write the batch in memory to the file (without syncing) once it holds this many bytes.
    pub batch_bytes: usize,
}

/// 183 days: about six months, the retention a draft standard asks for bindings and records.
pub const DEFAULT_RETENTION_SECS: u64 = 183 * 86_400;

impl Default for ArchiveOptions {
    /// Enabled, 183 days of retention, 256 KiB batches.
    fn default() -> Self {
        ArchiveOptions {
            enabled: true,
            retention_secs: DEFAULT_RETENTION_SECS,
            batch_bytes: 256 << 10,
        }
    }
}

/// How a binding version ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HistoryEnd {
    /// Released by the tenant.
    Released,
    /// Reached its expiry.
    Expired,
    /// Replaced by an update; the binding continues in a new version.
    Updated,
}

/// One route key of an archived binding version: who calling which usage number went where.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HistoryLeg {
    /// The usage number dialled.
    pub number: UsageNumber,
    /// Who dialled it: a party, or anyone (AXN's public side).
    pub party: Party,
    /// Where the call went, in ringing order (empty: refused, AXN's A without N).
    pub to: Vec<SubscriberNumber>,
    /// The number shown to the callee.
    pub display: UsageNumber,
}

/// A binding version that ended: what it routed, and from when until when.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BindingHistory {
    /// The journal seq of the event that ended the version (0 if unknown).
    pub seq: u64,
    /// The binding.
    pub binding: BindingId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its mode.
    pub mode: Mode,
    /// When the binding was made.
    pub created_at: Timestamp,
    /// When this version started (the binding's creation, or the update that made it).
    pub from: Timestamp,
    /// When it ended (exclusive): the release, the expiry, or the update that replaced it.
    pub until: Timestamp,
    /// How it ended.
    pub end: HistoryEnd,
    /// Its route keys.
    pub legs: Vec<HistoryLeg>,
}

impl BindingHistory {
    /// The version of `binding` ending at `until` (journal seq `seq`).
    pub fn of(
        binding: &Binding,
        from: Timestamp,
        until: Timestamp,
        end: HistoryEnd,
        seq: u64,
    ) -> Self {
        let legs = binding
            .legs()
            .into_iter()
            .map(|(number, party, leg)| HistoryLeg {
                number,
                party,
                to: leg.to.map(|t| t.iter().collect()).unwrap_or_default(),
                display: leg.display,
            })
            .collect();
        BindingHistory {
            seq,
            binding: binding.id,
            tenant: binding.tenant,
            mode: binding.mode(),
            created_at: binding.created_at,
            from,
            until,
            end,
            legs,
        }
    }

    /// Whether the version was in force at `at`.
    pub fn covers(&self, at: Timestamp) -> bool {
        self.from <= at && at < self.until
    }

    /// The key `caller` dialling `x` used: its own, else AXN's anyone key.
    pub fn leg(&self, x: UsageNumber, caller: SubscriberNumber) -> Option<&HistoryLeg> {
        let find = |p: Party| self.legs.iter().find(|l| l.number == x && l.party == p);
        find(Party::Caller(caller)).or_else(|| find(Party::Anyone))
    }
}

/// One archive record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Entry {
    /// A route decision.
    Route(RouteRecord),
    /// How a routed call ended.
    Call(CallRecord),
    /// A binding version that ended.
    Binding(BindingHistory),
    /// The record queue dropped this many records (it was full) by `at`.
    Dropped {
        /// When the drops were counted.
        at: Timestamp,
        /// How many records were dropped.
        count: u64,
    },
    /// The first records of every file: the start of the current version of live bindings that
    /// were updated, and the journal seq covered when the file was started.
    Carry {
        /// The journal seq through which binding history was archived.
        covered: u64,
        /// (binding, start of its current version), for updated live bindings.
        versions: Vec<(BindingId, Timestamp)>,
        /// Whether this is the file's last carry record.
        last: bool,
    },
    /// The journal seq through which binding history is archived.
    Mark {
        /// That seq.
        covered: u64,
    },
}

/// The answer to a [`history`] query.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HistoryHit {
    /// The binding that carried the call.
    pub binding: BindingId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its mode.
    pub mode: Mode,
    /// Where the call went, in ringing order (empty: AXN's A without N, refused).
    pub to: Vec<SubscriberNumber>,
    /// The number shown to the callee.
    pub display: UsageNumber,
    /// When the binding version in force began.
    pub from: Timestamp,
    /// When it ended (for a live binding: its expiry).
    pub until: Timestamp,
    /// Whether the binding is still live (answered from the state).
    pub live: bool,
}

impl HistoryHit {
    fn archived(h: &BindingHistory, leg: &HistoryLeg) -> Self {
        HistoryHit {
            binding: h.binding,
            tenant: h.tenant,
            mode: h.mode,
            to: leg.to.clone(),
            display: leg.display,
            from: h.from,
            until: h.until,
            live: false,
        }
    }
}

/// What opening an archive found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchiveRecovery {
    /// A torn tail of the newest file that was cut.
    pub cut: Option<TailCut>,
    /// Files removed: a newest file whose creation never became durable.
    pub removed: Vec<String>,
    /// Binding-history records rebuilt from the journal's replay (written before a crash but
    /// not yet durable in the archive).
    pub regenerated: u64,
}

/// The file being appended to.
#[derive(Clone, Debug)]
struct Current {
    day: u64,
    name: String,
    /// Bytes written to the storage.
    len: u64,
    /// Bytes known durable.
    durable: u64,
}

/// Versions carried per [`Entry::Carry`] record.
const CARRY_CHUNK: usize = 2048;

/// The archive's writer (see the module docs).
pub struct Archive {
    storage: Arc<dyn Storage>,
    options: ArchiveOptions,
    /// The journal whose events the binding history follows: nothing is written before it is
    /// durable through `covered`.
    journal: Option<Arc<Durability>>,
    /// While the journal is being recovered: entries wait here.
    held: Option<Vec<(Timestamp, Entry)>>,
    /// The version starts before the recovery's events.
    held_versions: Option<HashMap<BindingId, Timestamp>>,
    current: Option<Current>,
    /// Encoded records not yet written (they belong to `current`).
    buf: Vec<u8>,
    covered: u64,
    /// The last journal seq observed (at least `covered`; more while its history is pushed).
    seen: u64,
    /// The `covered` last written.
    marked: u64,
    versions: HashMap<BindingId, Timestamp>,
    failed: Option<(&'static str, io::ErrorKind)>,
    /// The Beijing day of the last [`Archive::prune_if_due`].
    pruned_day: Option<u64>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("options", &self.options)
            .field("current", &self.current)
            .field("buffered", &self.buf.len())
            .field("covered", &self.covered)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// The file name as errors report it (relative to the journal directory).
fn shown(name: &str) -> String {
    format!("archive/{name}")
}

fn corrupt(name: &str, offset: u64, why: &'static str) -> Error {
    Error::Corrupt {
        file: shown(name),
        offset,
        why,
    }
}

fn io_error(op: &'static str) -> impl Fn(io::Error) -> Error {
    move |e| Error::Io { op, kind: e.kind() }
}

/// The archive files in `storage`, by day.
fn day_files(storage: &dyn Storage) -> Result<Vec<(u64, String)>, Error> {
    let mut files: Vec<(u64, String)> = storage
        .list()
        .map_err(io_error("list the archive directory"))?
        .into_iter()
        .filter_map(|name| format::parse_file_name(&name).map(|day| (day, name)))
        .collect();
    files.sort_unstable();
    Ok(files)
}

impl Archive {
    /// Opens the archive in `storage` (see the module docs): reads the newest file, cuts a torn
    /// tail, and continues it. A standalone archive (no journal) writes without waiting for one.
    ///
    /// Fails with [`Error::Corrupt`] when the newest file is damaged where acknowledged records
    /// were, and with [`Error::Io`] when the storage fails.
    pub fn open(
        storage: Arc<dyn Storage>,
        options: ArchiveOptions,
    ) -> Result<(Archive, ArchiveRecovery), Error> {
        let mut report = ArchiveRecovery::default();
        let mut archive = Archive {
            storage: Arc::clone(&storage),
            options,
            journal: None,
            held: None,
            held_versions: None,
            current: None,
            buf: Vec::new(),
            covered: 0,
            seen: 0,
            marked: 0,
            versions: HashMap::new(),
            failed: None,
            pruned_day: None,
        };
        let s = &*storage;
        let mut files = day_files(s)?;
        while let Some((day, name)) = files.pop() {
            let bytes = s.read(&name).map_err(io_error("read an archive file"))?;
            let mut carried = false;
            let mut others = 0usize;
            let mut covered = 0;
            let mut versions = HashMap::new();
            let header = format::check_header(&bytes, day);
            let (valid, damage) = format::scan(&bytes, HEADER_LEN, |_, e| {
                others += usize::from(!matches!(e, Entry::Carry { .. }));
                replay(&mut covered, &mut versions, &mut carried, &e);
            });
            // A file is made durable with its header and carry records (one write, then a
            // sync) before anything else goes in: a newest file without them, and without
            // other records, was being created when the process stopped.
            if header.is_err() || !carried {
                if others > 0 {
                    let (offset, why) = match header {
                        Err(why) => (0, why),
                        Ok(()) => (HEADER_LEN as u64, "records without carry records"),
                    };
                    return Err(corrupt(&name, offset, why));
                }
                s.remove(&name)
                    .map_err(io_error("remove a torn archive file"))?;
                report.removed.push(shown(&name));
                continue;
            }
            if let Some(d) = damage {
                if d.acknowledged {
                    return Err(corrupt(&name, d.offset, d.why));
                }
                s.truncate(&name, valid)
                    .map_err(io_error("cut a torn archive tail"))?;
                report.cut = Some(TailCut {
                    file: shown(&name),
                    offset: valid,
                    bytes: bytes.len() as u64 - valid,
                    why: d.why,
                });
            }
            // What was read may have been in the page cache only: make it durable before later
            // records claim it is.
            s.sync(&name).map_err(io_error("sync the archive"))?;
            archive.covered = covered;
            archive.versions = versions;
            archive.current = Some(Current {
                day,
                name,
                len: valid,
                durable: valid,
            });
            break;
        }
        if !report.removed.is_empty() || archive.current.is_some() {
            s.sync_dir()
                .map_err(io_error("sync the archive directory"))?;
        }
        archive.marked = archive.covered;
        Ok((archive, report))
    }

    /// The options.
    pub fn options(&self) -> &ArchiveOptions {
        &self.options
    }

    /// The journal seq through which binding history has been archived (pushed; durable after
    /// [`Archive::flush`]).
    pub fn covered(&self) -> u64 {
        self.covered
    }

    /// The start of `binding`'s current version: the last update's time if the archive saw one,
    /// else its creation.
    pub fn version_start(&self, binding: &Binding) -> Timestamp {
        self.versions
            .get(&binding.id)
            .copied()
            .unwrap_or(binding.created_at)
    }

    /// Refuses if a write or sync failed earlier.
    fn check(&self) -> Result<(), Error> {
        match self.failed {
            Some((op, kind)) => Err(Error::Halted { op, kind }),
            None => Ok(()),
        }
    }

    /// Whether a write or sync failed (nothing more is written until the archive is reopened;
    /// the journal still holds the binding history, which is regenerated then).
    pub fn is_failed(&self) -> bool {
        self.failed.is_some()
    }

    fn fail(&mut self, op: &'static str, e: io::Error) -> Error {
        let kind = e.kind();
        self.failed.get_or_insert((op, kind));
        Error::Io { op, kind }
    }

    /// Follow `journal`: nothing reaches the archive's files before the journal is durable
    /// through the last event the archive has seen.
    pub(crate) fn attach_journal(&mut self, journal: Arc<Durability>) {
        self.journal = Some(journal);
    }

    /// Holds entries in memory (during journal recovery) until [`Archive::release`].
    pub(crate) fn hold(&mut self) {
        self.held.get_or_insert_with(Vec::new);
        self.held_versions = Some(self.versions.clone());
    }

    /// Writes what was held, notes that the journal's events through `last_seq` have been
    /// observed, and flushes; returns how many binding-history records it held.
    ///
    /// The file of the latest held record is started first, carrying what held before the
    /// recovery (so a crash meanwhile regenerates the same records again).
    pub(crate) fn release(&mut self, last_seq: u64) -> Result<u64, Error> {
        let held = self.held.take().unwrap_or_default();
        let before = self.held_versions.take().unwrap_or_default();
        let last_day = held.iter().map(|(at, _)| beijing_day(at.unix_secs())).max();
        if let Some(day) = last_day
            && self.current.as_ref().is_none_or(|c| c.day < day)
        {
            self.roll_carrying(day, &before)?;
        }
        let mut histories = 0;
        for (at, e) in held {
            self.push(at, &e)?;
            if let Entry::Binding(h) = &e {
                histories += 1;
                self.covered = self.covered.max(h.seq);
            }
        }
        self.seen = self.seen.max(last_seq);
        if last_seq != self.covered {
            self.covered = last_seq;
            // Write a mark at the flush.
            self.marked = 0;
        }
        self.flush()?;
        Ok(histories)
    }

    /// Prunes (see [`Archive::prune`]) at most once per Beijing day; returns what it removed.
    pub(crate) fn prune_if_due(&mut self, now: Timestamp) -> Result<Vec<String>, Error> {
        let day = beijing_day(now.unix_secs());
        if self.pruned_day.is_some_and(|d| d >= day) {
            return Ok(Vec::new());
        }
        let removed = self.prune(now)?;
        self.pruned_day = Some(day);
        Ok(removed)
    }

    /// Waits until the journal is durable through every event the archive has seen.
    fn journal_durable(&self) -> Result<(), Error> {
        match &self.journal {
            Some(d) => d.wait(self.seen.max(self.covered)),
            None => Ok(()),
        }
    }

    /// Adds a record stamped `at` to the batch (it goes into the file of `at`'s day, or the
    /// newest file if that is later). Fails without adding it if the archive failed earlier,
    /// or if a file cannot be started or a full batch written.
    pub fn push(&mut self, at: Timestamp, entry: &Entry) -> Result<(), Error> {
        self.check()?;
        if let Some(held) = &mut self.held {
            held.push((at, entry.clone()));
            return Ok(());
        }
        let day = beijing_day(at.unix_secs());
        if self.current.as_ref().is_none_or(|c| c.day < day) {
            self.roll(day)?;
        }
        let synced = self.current.as_ref().map_or(0, |c| c.durable);
        format::encode(&mut self.buf, synced, entry).map_err(|_| Error::Io {
            op: "encode an archive record",
            kind: io::ErrorKind::InvalidData,
        })?;
        if self.buf.len() >= self.options.batch_bytes {
            self.spill()?;
        }
        Ok(())
    }

    /// Archives a route record.
    pub fn push_route(&mut self, record: &RouteRecord) -> Result<(), Error> {
        self.push(record.at, &Entry::Route(*record))
    }

    /// Archives a call record (filed under the time it was recorded).
    pub fn push_call(&mut self, record: &CallRecord) -> Result<(), Error> {
        self.push(record.recorded_at, &Entry::Call(*record))
    }

    /// Notes journal event `seq` (applied to `state` next): archives the binding version it ends,
    /// if any.
    pub(crate) fn observe(&mut self, state: &State, seq: u64, event: &Event) -> Result<(), Error> {
        let ended = match event {
            Event::Released { binding, at, .. } => Some((*binding, *at, HistoryEnd::Released)),
            Event::Expired { binding, at, .. } => Some((*binding, *at, HistoryEnd::Expired)),
            Event::Updated { binding, at, .. } => Some((binding.id, *at, HistoryEnd::Updated)),
            _ => None,
        };
        // Whatever is written from now on may mention `seq`: the journal must be durable
        // through it first.
        self.seen = self.seen.max(seq);
        let holding = self.held.is_some();
        if let Some((id, at, end)) = ended
            && let Some(binding) = state.binding(id)
        {
            let from = self.version_start(binding);
            let history = BindingHistory::of(binding, from, at, end, seq);
            // A file started by this push carries what held before this event.
            self.push(at, &Entry::Binding(history))?;
            match end {
                HistoryEnd::Updated => self.versions.insert(id, at),
                _ => self.versions.remove(&id),
            };
        }
        // Held records are not in the files yet: they are covered as they are written.
        if !holding {
            self.covered = self.covered.max(seq);
        }
        Ok(())
    }

    /// Starts the file of `day` (after making the current one durable).
    fn roll(&mut self, day: u64) -> Result<(), Error> {
        let versions = std::mem::take(&mut self.versions);
        let rolled = self.roll_carrying(day, &versions);
        self.versions = versions;
        rolled
    }

    /// [`Archive::roll`], carrying `versions`.
    fn roll_carrying(
        &mut self,
        day: u64,
        versions: &HashMap<BindingId, Timestamp>,
    ) -> Result<(), Error> {
        if self.current.is_some() {
            self.spill()?;
            self.sync_current()?;
        }
        let name = format::file_name(day);
        let mut bytes = format::header(day).to_vec();
        let mut versions: Vec<(BindingId, Timestamp)> =
            versions.iter().map(|(b, t)| (*b, *t)).collect();
        versions.sort_unstable();
        let chunks: Vec<&[(BindingId, Timestamp)]> = if versions.is_empty() {
            vec![&[]]
        } else {
            versions.chunks(CARRY_CHUNK).collect()
        };
        for (i, chunk) in chunks.iter().enumerate() {
            let carry = Entry::Carry {
                covered: self.covered,
                versions: chunk.to_vec(),
                last: i + 1 == chunks.len(),
            };
            format::encode(&mut bytes, 0, &carry).map_err(|_| Error::Io {
                op: "encode an archive record",
                kind: io::ErrorKind::InvalidData,
            })?;
        }
        self.journal_durable()?;
        let s = Arc::clone(&self.storage);
        let made = s
            .create(&name)
            .and_then(|()| s.append(&name, &bytes))
            .and_then(|()| s.sync(&name))
            .and_then(|()| s.sync_dir());
        if let Err(e) = made {
            return Err(self.fail("start an archive file", e));
        }
        let len = bytes.len() as u64;
        self.current = Some(Current {
            day,
            name,
            len,
            durable: len,
        });
        self.marked = self.covered;
        Ok(())
    }

    /// Writes the batch to the current file (not synced).
    fn spill(&mut self) -> Result<(), Error> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.journal_durable()?;
        let Some(cur) = &self.current else {
            self.buf.clear();
            return Ok(());
        };
        let name = cur.name.clone();
        if let Err(e) = self.storage.append(&name, &self.buf) {
            return Err(self.fail("append to the archive", e));
        }
        if let Some(cur) = &mut self.current {
            cur.len += self.buf.len() as u64;
        }
        self.buf.clear();
        Ok(())
    }

    fn sync_current(&mut self) -> Result<(), Error> {
        let Some(cur) = &self.current else {
            return Ok(());
        };
        if cur.durable == cur.len {
            return Ok(());
        }
        let name = cur.name.clone();
        if let Err(e) = self.storage.sync(&name) {
            return Err(self.fail("sync the archive", e));
        }
        if let Some(cur) = &mut self.current {
            cur.durable = cur.len;
        }
        Ok(())
    }

    /// Writes the batch and syncs: everything pushed so far is durable when this returns. With
    /// a journal, waits for the journal's sync first.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.check()?;
        if self.held.is_some() {
            return Ok(());
        }
        if self.covered > self.marked && self.current.is_some() {
            let synced = self.current.as_ref().map_or(0, |c| c.durable);
            let mark = Entry::Mark {
                covered: self.covered,
            };
            format::encode(&mut self.buf, synced, &mark).map_err(|_| Error::Io {
                op: "encode an archive record",
                kind: io::ErrorKind::InvalidData,
            })?;
            self.marked = self.covered;
        }
        self.spill()?;
        self.sync_current()
    }

    /// Removes the day files whose day ended at least [`ArchiveOptions::retention_secs`] before
    /// `now`, except the newest; returns their names.
    pub fn prune(&mut self, now: Timestamp) -> Result<Vec<String>, Error> {
        self.check()?;
        let newest = self.current.as_ref().map(|c| c.day);
        let mut removed = Vec::new();
        for (day, name) in day_files(&*self.storage)? {
            let expires = format::day_end(day).saturating_add(self.options.retention_secs);
            if Some(day) == newest || expires > now.unix_secs() {
                continue;
            }
            if let Err(e) = self.storage.remove(&name) {
                return Err(self.fail("remove an archive file", e));
            }
            removed.push(name);
        }
        if !removed.is_empty()
            && let Err(e) = self.storage.sync_dir()
        {
            return Err(self.fail("sync the archive directory", e));
        }
        Ok(removed)
    }

    /// A reader of everything archived so far (flushed or not), to be scanned without holding
    /// the archive (the files are append-only; the reader stops where they ended when it was
    /// made).
    pub fn reader(&self) -> Result<ArchiveReader, Error> {
        let current = self.current.as_ref();
        let files = day_files(&*self.storage)?
            .into_iter()
            .filter(|(day, _)| current.is_none_or(|c| *day <= c.day))
            .map(|(day, name)| {
                let limit = current.filter(|c| c.day == day).map(|c| c.len);
                (day, name, limit)
            })
            .collect();
        Ok(ArchiveReader {
            storage: Arc::clone(&self.storage),
            files,
            tail: current.map(|c| (c.day, c.name.clone(), c.len, self.buf.clone())),
        })
    }
}

/// Rebuilds the covered seq and the version starts from the entries of the newest file.
fn replay(
    covered: &mut u64,
    versions: &mut HashMap<BindingId, Timestamp>,
    carried: &mut bool,
    e: &Entry,
) {
    match e {
        Entry::Carry {
            covered: c,
            versions: v,
            last,
        } => {
            *covered = (*covered).max(*c);
            versions.extend(v.iter().copied());
            *carried |= *last;
        }
        Entry::Binding(h) => {
            *covered = (*covered).max(h.seq);
            match h.end {
                HistoryEnd::Updated => versions.insert(h.binding, h.until),
                _ => versions.remove(&h.binding),
            };
        }
        Entry::Mark { covered: c } => *covered = (*covered).max(*c),
        _ => {}
    }
}

/// A read-only view of the archive as it stood when [`Archive::reader`] made it.
pub struct ArchiveReader {
    storage: Arc<dyn Storage>,
    /// (day, name, bytes to read: `None` for all).
    files: Vec<(u64, String, Option<u64>)>,
    /// The current file's day, name and written length, and the batch not yet written to it.
    tail: Option<(u64, String, u64, Vec<u8>)>,
}

impl ArchiveReader {
    /// The days (Beijing, days since 1970-01-01) of the files, oldest first.
    pub fn days(&self) -> impl Iterator<Item = u64> + '_ {
        self.files.iter().map(|(day, _, _)| *day)
    }

    /// Hands every entry in the files of Beijing day `from_day` and later to `f`, oldest first,
    /// until `f` breaks. Fails with [`Error::Corrupt`] (file and offset) at the first damaged
    /// record, and with [`Error::Io`] if a file cannot be read (a file pruned meanwhile is
    /// skipped).
    pub fn for_each(
        &self,
        from_day: u64,
        mut f: impl FnMut(&Entry) -> ControlFlow<()>,
    ) -> Result<(), Error> {
        for (day, name, limit) in self.files.iter().filter(|(d, _, _)| *d >= from_day) {
            let mut bytes = match self.storage.read(name) {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error("read an archive file")(e)),
            };
            if let Some(limit) = limit {
                bytes.truncate(*limit as usize);
            }
            format::check_header(&bytes, *day).map_err(|why| corrupt(name, 0, why))?;
            if read_records(&bytes, HEADER_LEN, 0, name, &mut f)?.is_break() {
                return Ok(());
            }
            if let Some((tday, tname, len, buf)) = &self.tail
                && tday == day
                && read_records(buf, 0, *len, tname, &mut f)?.is_break()
            {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The first archived binding version that `caller` dialling `x` reached at `at` (its own
    /// key first, then AXN's anyone key).
    pub fn find(
        &self,
        x: UsageNumber,
        caller: SubscriberNumber,
        at: Timestamp,
    ) -> Result<Option<HistoryHit>, Error> {
        let mut anyone = None;
        let mut own = None;
        self.for_each(beijing_day(at.unix_secs()), |e| {
            if let Entry::Binding(h) = e
                && h.covers(at)
                && let Some(leg) = h.leg(x, caller)
            {
                let hit = HistoryHit::archived(h, leg);
                if leg.party == Party::Anyone {
                    anyone.get_or_insert(hit);
                } else {
                    own = Some(hit);
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        })?;
        Ok(own.or(anyone))
    }

    /// The archived version of `binding` in force at `at`, else its last archived version
    /// (looking in the files from `at`'s day on).
    pub fn binding(
        &self,
        binding: BindingId,
        at: Timestamp,
    ) -> Result<Option<BindingHistory>, Error> {
        let mut found = None;
        self.for_each(beijing_day(at.unix_secs()), |e| {
            if let Entry::Binding(h) = e
                && h.binding == binding
            {
                let covers = h.covers(at);
                found = Some(h.clone());
                if covers {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        })?;
        Ok(found)
    }

    /// The call records filed from `from` until `to` (exclusive) by the time they were
    /// recorded.
    pub fn calls(&self, from: Timestamp, to: Timestamp) -> Result<Vec<CallRecord>, Error> {
        let mut out = Vec::new();
        self.for_each(beijing_day(from.unix_secs()), |e| {
            if let Entry::Call(c) = e
                && from <= c.recorded_at
                && c.recorded_at < to
            {
                out.push(*c);
            }
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }
}

/// Reads the records of `bytes[offset..]` (whose first byte is at `base + offset` in file
/// `name`), handing each to `f`.
fn read_records(
    bytes: &[u8],
    offset: usize,
    base: u64,
    name: &str,
    f: &mut impl FnMut(&Entry) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, Error> {
    let mut at = offset;
    while at < bytes.len() {
        let (entry, len) =
            format::decode(&bytes[at..]).map_err(|why| corrupt(name, base + at as u64, why))?;
        if f(&entry).is_break() {
            return Ok(ControlFlow::Break(()));
        }
        at += len;
    }
    Ok(ControlFlow::Continue(()))
}

/// What `caller` dialling usage number `x` at `at` reached, under which binding: a binding of
/// `state` whose current version was in force at `at` (version starts from `archive`, else the
/// binding's creation), else the archived history (`archive`; `None` answers from the state
/// alone).
pub fn history(
    state: &State,
    versions: Option<&Archive>,
    archived: Option<&ArchiveReader>,
    x: UsageNumber,
    caller: SubscriberNumber,
    at: Timestamp,
) -> Result<Option<HistoryHit>, Error> {
    if let Some(hit) = live_history(state, versions, x, caller, at) {
        return Ok(Some(hit));
    }
    match archived {
        Some(r) => r.find(x, caller, at),
        None => Ok(None),
    }
}

/// The live part of [`history`].
pub fn live_history(
    state: &State,
    versions: Option<&Archive>,
    x: UsageNumber,
    caller: SubscriberNumber,
    at: Timestamp,
) -> Option<HistoryHit> {
    let entry = state.usage_entry(x)?;
    for party in [Party::Caller(caller), Party::Anyone] {
        let Some(b) = entry.routes.get(&party).and_then(|id| state.binding(*id)) else {
            continue;
        };
        let from = versions.map_or(b.created_at, |a| a.version_start(b));
        if from <= at
            && at < b.expires_at
            && let Some(leg) = b.leg(x, party)
        {
            return Some(HistoryHit {
                binding: b.id,
                tenant: b.tenant,
                mode: b.mode(),
                to: leg.to.map(|t| t.iter().collect()).unwrap_or_default(),
                display: leg.display,
                from,
                until: b.expires_at,
                live: true,
            });
        }
    }
    None
}
