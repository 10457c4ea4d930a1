//! Durability: the journal of events, snapshots and recovery.
//!
//! # The durability contract
//!
//! 1. A mutating call of a journaled [`Registry`](crate::Registry) returns success only after its
//!    events are in the journal and synced (`fdatasync`; the directory too when a file is
//!    created or renamed). With [`Commit::Group`] (the default) writers that arrive while a sync
//!    runs share the next one, and each still returns only once a sync covering its events has
//!    completed. [`Commit::NotDurable`] acknowledges without waiting for any sync: it is
//!    explicit, named so, and never the default.
//! 2. After a crash at any point, recovery yields exactly the effect of the first *k* events for
//!    some *k* at least the number acknowledged: no gaps, no reordering, each command's events
//!    all or nothing. Acknowledged unbinds stay gone; tenant exclusivity and expiry times
//!    survive (they are in the events).
//! 3. A torn or garbage tail after the last synced record is detected, reported
//!    ([`Recovery::cut`]) and cut; damage before it — a record that a later intact record says
//!    was durable, a damaged snapshot, a damaged segment that is not the last — is a hard error
//!    at open ([`Error::Corrupt`]: refuse to start, say where), never
//!    silently dropped.
//! 4. Snapshots are written to a temporary file, synced, renamed and the directory synced; older
//!    segments are removed only after that. A crash at any step leaves a recoverable state.
//! 5. A failed write or sync is returned as an error ([`Error::Io`]), and the
//!    registry acknowledges no write after it ([`Error::Halted`]) until it
//!    is reopened: no retry-then-acknowledge.
//!
//! With [`Commit::Group`], readers ([`Registry::route`](crate::Registry::route)) may see a
//! write's effect shortly before the writer's call returns (between its journal write and its
//! sync); with [`Commit::PerWrite`] the sync comes first. Either way nothing is acknowledged
//! before it is durable.
//!
//! # Files
//!
//! A directory holds journal segments `<first seq>.journal` ([`record`] has the format) and
//! snapshots `<last seq>.snapshot` ([`snapshot`]), names zero-padded to 20 digits so they sort.
//! Recovery loads the newest snapshot and replays the segments after it; writing a snapshot
//! starts a new segment first, then removes the segments and snapshots it replaces.

pub mod follow;
pub mod record;
pub mod sim;
pub mod snapshot;
pub mod storage;

use crate::config::Config;
use crate::error::Error;
use crate::event::Event;
use crate::state::State;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use storage::Storage;

/// When a write is acknowledged.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Commit {
    /// After a sync covering it, which writers arriving meanwhile share (the default).
    #[default]
    Group,
    /// After a sync of its own, made before its effect is visible to readers.
    PerWrite,
    /// At once, before any sync: **not durable** — an acknowledged write may be lost in a
    /// crash. For tests and for data that can be rebuilt.
    NotDurable,
}

/// How a registry keeps its journal.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct JournalOptions {
    /// When writes are acknowledged.
    pub commit: Commit,
    /// Write a snapshot (within the write that crosses it) once the current segment holds this
    /// many bytes; `None` leaves snapshots to [`Registry::snapshot`](crate::Registry::snapshot).
    pub snapshot_after_bytes: Option<u64>,
}

impl Default for JournalOptions {
    /// Group commit, a snapshot every 256 MiB of journal.
    fn default() -> Self {
        JournalOptions {
            commit: Commit::Group,
            snapshot_after_bytes: Some(256 << 20),
        }
    }
}

/// What recovery found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// The seq of the last event in the snapshot loaded, if one was.
    pub snapshot: Option<u64>,
    /// Events replayed from the journal after it.
    pub replayed: u64,
    /// The seq of the last event recovered (0 for none).
    pub last_seq: u64,
    /// A torn or garbage tail that was cut.
    pub cut: Option<TailCut>,
    /// Leftovers removed: temporary snapshots, a segment whose header never became durable.
    pub removed: Vec<String>,
    /// What opening the registry's [archive](crate::archive) found, if it keeps one.
    pub archive: Option<crate::archive::ArchiveRecovery>,
}

/// A damaged tail cut at recovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TailCut {
    /// The segment.
    pub file: String,
    /// Where the cut is (the end of the last whole command).
    pub offset: u64,
    /// Bytes removed.
    pub bytes: u64,
    /// What was found there.
    pub why: &'static str,
}

/// The name of the segment whose first record is `base`.
pub fn segment_name(base: u64) -> String {
    format!("{base:020}.journal")
}

/// The name of the snapshot after event `seq`.
pub fn snapshot_name(seq: u64) -> String {
    format!("{seq:020}.snapshot")
}

const TEMP_SUFFIX: &str = ".tmp";

/// The seq in a file name `<20 digits><suffix>`.
fn parse_name(name: &str, suffix: &str) -> Option<u64> {
    let digits = name.strip_suffix(suffix)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

fn io_error(op: &'static str) -> impl Fn(io::Error) -> Error {
    move |e| Error::Io { op, kind: e.kind() }
}

fn corrupt(file: &str, offset: u64, why: &'static str) -> Error {
    Error::Corrupt {
        file: file.to_owned(),
        offset,
        why,
    }
}

/// The segments and snapshots in a storage, each sorted by seq.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub segments: Vec<u64>,
    pub snapshots: Vec<u64>,
    pub temps: Vec<String>,
}

pub(crate) fn listing(storage: &dyn Storage) -> io::Result<Listing> {
    let mut l = Listing::default();
    for name in storage.list()? {
        if name.ends_with(TEMP_SUFFIX) {
            l.temps.push(name);
        } else if let Some(s) = parse_name(&name, ".journal") {
            l.segments.push(s);
        } else if let Some(s) = parse_name(&name, ".snapshot") {
            l.snapshots.push(s);
        }
    }
    l.segments.sort_unstable();
    l.snapshots.sort_unstable();
    l.temps.sort_unstable();
    Ok(l)
}

/// Shared by the writer (under the registry's lock) and callers waiting for their sync (outside
/// it): what is written, what is durable, and whether the journal has failed.
pub(crate) struct Durability {
    storage: Arc<dyn Storage>,
    state: Mutex<SyncState>,
    synced: Condvar,
}

struct SyncState {
    /// The segment being appended to.
    segment: String,
    /// The last seq appended.
    written: u64,
    /// The last seq known durable.
    durable: u64,
    /// A caller is syncing.
    syncing: bool,
    /// The first failure: no write is acknowledged after it.
    failed: Option<(&'static str, io::ErrorKind)>,
}

impl Durability {
    fn lock(&self) -> MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses if the journal failed earlier.
    pub(crate) fn check(&self) -> Result<(), Error> {
        match self.lock().failed {
            Some((op, kind)) => Err(Error::Halted { op, kind }),
            None => Ok(()),
        }
    }

    /// Records a failure (the first one is kept) and returns the caller's error.
    fn fail(&self, op: &'static str, e: io::Error) -> Error {
        let kind = e.kind();
        let mut st = self.lock();
        st.failed.get_or_insert((op, kind));
        self.synced.notify_all();
        Error::Io { op, kind }
    }

    fn durable(&self) -> u64 {
        self.lock().durable
    }

    /// Returns once `seq` is durable: syncs the segment itself, or waits for the caller that
    /// does (whose sync covers everything written before it started).
    pub(crate) fn wait(&self, seq: u64) -> Result<(), Error> {
        let mut st = self.lock();
        loop {
            if let Some((op, kind)) = st.failed {
                return Err(Error::Halted { op, kind });
            }
            if st.durable >= seq {
                return Ok(());
            }
            if st.syncing {
                st = self.synced.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            st.syncing = true;
            let target = st.written;
            let segment = st.segment.clone();
            drop(st);
            let result = self.storage.sync(&segment);
            st = self.lock();
            st.syncing = false;
            match result {
                Ok(()) => st.durable = st.durable.max(target),
                Err(e) => {
                    let kind = e.kind();
                    st.failed.get_or_insert(("sync the journal", kind));
                    self.synced.notify_all();
                    return Err(Error::Io {
                        op: "sync the journal",
                        kind,
                    });
                }
            }
            self.synced.notify_all();
        }
    }
}

/// The writing end of a journal (owned by the registry's writer).
pub(crate) struct Journal {
    storage: Arc<dyn Storage>,
    options: JournalOptions,
    shared: Arc<Durability>,
    segment: String,
    segment_len: u64,
    next_seq: u64,
    buf: Vec<u8>,
}

impl Journal {
    /// What callers wait on for durability.
    pub(crate) fn durability(&self) -> &Arc<Durability> {
        &self.shared
    }

    /// How acknowledgements wait.
    pub(crate) fn commit(&self) -> Commit {
        self.options.commit
    }

    /// Writes one command's events (not synced); returns the seq of the last.
    pub(crate) fn append(&mut self, events: &[Event]) -> Result<u64, Error> {
        self.shared.check()?;
        let synced = self.shared.durable();
        self.buf.clear();
        for (i, e) in events.iter().enumerate() {
            let seq = self.next_seq + i as u64;
            // An event too large for a record is a bug in a limit elsewhere: refuse the command.
            record::encode_record(&mut self.buf, seq, synced, i + 1 == events.len(), e).map_err(
                |_| Error::Io {
                    op: "encode an event for the journal",
                    kind: io::ErrorKind::InvalidData,
                },
            )?;
        }
        if let Err(e) = self.storage.append(&self.segment, &self.buf) {
            return Err(self.shared.fail("append to the journal", e));
        }
        self.segment_len += self.buf.len() as u64;
        self.next_seq += events.len() as u64;
        let last = self.next_seq - 1;
        self.shared.lock().written = last;
        Ok(last)
    }

    /// Whether the current segment has grown past the snapshot threshold.
    pub(crate) fn wants_snapshot(&self) -> bool {
        self.options
            .snapshot_after_bytes
            .is_some_and(|max| self.segment_len >= max)
    }

    /// Writes a snapshot of `state` (which holds every event appended so far): starts a new
    /// segment, writes and installs the snapshot, then removes what it replaces. Returns the
    /// seq it holds.
    pub(crate) fn snapshot(&mut self, state: &State) -> Result<u64, Error> {
        self.shared.check()?;
        let seq = self.next_seq - 1;
        // Everything before the new segment must be durable before it exists: recovery reads
        // any damage in a segment that is not the last as a hard error.
        self.shared.wait(seq)?;
        if self.segment_len > record::SEGMENT_HEADER_LEN as u64 {
            let segment = self.step(|s| start_segment(s, seq + 1))?;
            self.shared.lock().segment = segment.clone();
            self.segment = segment;
            self.segment_len = record::SEGMENT_HEADER_LEN as u64;
        }
        let name = snapshot_name(seq);
        let temp = format!("{name}{TEMP_SUFFIX}");
        self.step(|s| {
            snapshot::write(s, &temp, seq, state)?;
            s.sync(&temp)?;
            s.rename(&temp, &name)?;
            s.sync_dir()
        })?;
        // What the snapshot replaces; a crash before this leaves extra files recovery skips.
        self.step(|s| {
            let l = listing(s)?;
            for base in l.segments.into_iter().filter(|b| *b <= seq) {
                s.remove(&segment_name(base))?;
            }
            for old in l.snapshots.into_iter().filter(|o| *o < seq) {
                s.remove(&snapshot_name(old))?;
            }
            s.sync_dir()
        })?;
        Ok(seq)
    }

    /// Runs a storage step; a failure halts the journal.
    fn step<T>(&self, f: impl FnOnce(&dyn Storage) -> io::Result<T>) -> Result<T, Error> {
        f(&*self.storage).map_err(|e| self.shared.fail("write a snapshot", e))
    }
}

/// Creates the segment for records from `base` on, durable with its header.
fn start_segment(s: &dyn Storage, base: u64) -> io::Result<String> {
    let name = segment_name(base);
    s.create(&name)?;
    s.append(&name, &record::segment_header(base))?;
    s.sync(&name)?;
    s.sync_dir()?;
    Ok(name)
}

/// Recovers the state from `storage` (the newest snapshot and the segments after it), cuts a
/// torn tail, and returns a journal positioned to continue. Each replayed event is shown with
/// its seq to `observe` before it is applied (with the state it is applied to): the archive
/// rebuilds binding history from it.
pub(crate) fn recover(
    storage: Arc<dyn Storage>,
    config: Config,
    options: JournalOptions,
    mut observe: impl FnMut(&State, u64, &Event),
) -> Result<(State, Journal, Recovery), Error> {
    let s = &*storage;
    let mut report = Recovery::default();
    let l = listing(s).map_err(io_error("list the journal directory"))?;
    for temp in &l.temps {
        s.remove(temp)
            .map_err(io_error("remove a temporary file"))?;
        report.removed.push(temp.clone());
    }
    let (mut state, mut next) = match l.snapshots.last() {
        Some(&seq) => {
            let name = snapshot_name(seq);
            let bytes = s.read(&name).map_err(io_error("read a snapshot"))?;
            let (held, state) =
                snapshot::read(&bytes, config).map_err(|why| corrupt(&name, 0, why))?;
            if held != seq {
                return Err(corrupt(&name, 0, "snapshot header and file name disagree"));
            }
            report.snapshot = Some(seq);
            (state, seq + 1)
        }
        None => (State::new(config), 1),
    };
    // Segments wholly before the snapshot are leftovers of an interrupted clean-up.
    let first = l.segments.iter().rposition(|b| *b <= next).unwrap_or(0);
    let segments = &l.segments[first.min(l.segments.len())..];
    let mut current = None;
    for (i, &base) in segments.iter().enumerate() {
        let name = segment_name(base);
        let last = i + 1 == segments.len();
        if base > next {
            let why = "journal gap: events are missing before this segment";
            return Err(corrupt(&name, 0, why));
        }
        let bytes = s.read(&name).map_err(io_error("read a journal segment"))?;
        match record::parse_segment_header(&bytes) {
            Ok(b) if b == base => {}
            Ok(_) => return Err(corrupt(&name, 0, "segment header and file name disagree")),
            // A segment is made durable with its header before any record goes in: a last
            // one without a whole header was being created when the process stopped.
            Err(_) if last && bytes.len() <= record::SEGMENT_HEADER_LEN => {
                s.remove(&name).map_err(io_error("remove a torn segment"))?;
                report.removed.push(name);
                continue;
            }
            Err(why) => return Err(corrupt(&name, 0, why)),
        }
        let mut replayed = 0;
        let scan = record::scan(&bytes, record::SEGMENT_HEADER_LEN, base, |seq, e| {
            if seq >= next {
                observe(&state, seq, &e);
                state.apply_owned(e);
                replayed += 1;
            }
        });
        report.replayed += replayed;
        if let Some(d) = &scan.stopped {
            if !last || scan.damages_synced {
                return Err(corrupt(&name, d.offset, d.why));
            }
            s.truncate(&name, scan.valid_len)
                .map_err(io_error("cut a torn journal tail"))?;
            report.cut = Some(TailCut {
                file: name.clone(),
                offset: scan.valid_len,
                bytes: bytes.len() as u64 - scan.valid_len,
                why: d.why,
            });
        }
        if scan.next_seq >= next {
            next = scan.next_seq;
            current = Some((name, scan.valid_len));
        }
    }
    // Continue the last segment if it ends where recovery did, else start one.
    let (segment, segment_len) = match current {
        Some((name, len)) => {
            // What was read may have been only in the page cache (a killed process), and so may
            // the segment's directory entry: make both durable before later records claim they
            // are. The directory sync also makes the removals above durable: a torn segment
            // that came back after a crash would put the records appended meanwhile (and any
            // torn tail of theirs) in a segment that is not the last, where damage is refused
            // as corruption.
            s.sync(&name).map_err(io_error("sync the journal"))?;
            s.sync_dir()
                .map_err(io_error("sync the journal directory"))?;
            (name, len)
        }
        // A new segment is durable with its directory entry, and the removals above, at once.
        _ => (
            start_segment(s, next).map_err(io_error("start a journal segment"))?,
            record::SEGMENT_HEADER_LEN as u64,
        ),
    };
    report.last_seq = next - 1;
    let shared = Arc::new(Durability {
        storage: Arc::clone(&storage),
        state: Mutex::new(SyncState {
            segment: segment.clone(),
            written: next - 1,
            durable: next - 1,
            syncing: false,
            failed: None,
        }),
        synced: Condvar::new(),
    });
    let journal = Journal {
        storage,
        options,
        shared,
        segment,
        segment_len,
        next_seq: next,
        buf: Vec::new(),
    };
    Ok((state, journal, report))
}
