//! Replicas: a [`Follower`] applies a writer's events to its own state and lock-free index, and
//! routes.
//!
//! A follower takes its events from an [`EventSource`]:
//!
//! - [`JournalSource`] tails the journal directory of a [`Registry`] written by another
//!   process (or thread) on the same machine. It starts from the newest snapshot and the
//!   segments after it, then reads the complete commands appended since it last looked,
//!   follows segment rotation, and reloads from the newest snapshot when the writer's snapshot
//!   removed segments it had not read yet (it fell behind). It only reads: a torn or partial
//!   tail is a command not written yet, which it waits for; damage that a later record proves
//!   was acknowledged is [`Error::Corrupt`].
//! - [`ChannelSource`] receives events from any transport: a host that carries the writer's
//!   events between machines on a log it already runs (Kafka, NATS JetStream, Redis Streams;
//!   np700 ships no network protocol of its own) feeds each command's events, with their
//!   sequence numbers, into an [`EventSender`]. The producing side is usually a
//!   [`JournalSource`] on the writer's machine, whose [`EventSource::poll`] gives exactly those
//!   batches.
//! - anything else implementing [`EventSource`].
//!
//! Events are numbered from 1 without gaps (the journal's `seq`). The follower applies each
//! event once, in order: an event it already has (a transport delivering twice) is skipped, a
//! gap is an error ([`Error::Corrupt`] naming the source) and nothing of that poll is applied.
//!
//! # Running one
//!
//! [`Follower::poll`] applies what has arrived and returns at once; the host decides when to
//! call it — a thread of its own polling in a loop with a short sleep (the lag is about the
//! sleep), or a timer of its event loop. [`Follower::route`] is lock-free and never waits for
//! a poll, from any number of threads; a poll applies a batch under the follower's own lock
//! and publishes it to the index the same way the writer does (the same code: growth by a
//! successor, readers flipped to it), so readers see each change as readers of the writer do.
//!
//! ```no_run
//! use np700::journal::follow::{FollowOptions, Follower};
//! use np700::{Config, Media, Timestamp};
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let follower = Arc::new(
//!     Follower::open("/var/lib/np700/journal", Config::default(), FollowOptions::default())
//!         .expect("open the follower"),
//! );
//! let tail = Arc::clone(&follower);
//! std::thread::spawn(move || loop {
//!     if let Err(e) = tail.poll() {
//!         eprintln!("follower: {e}");
//!     }
//!     std::thread::sleep(Duration::from_millis(1));
//! });
//! let now = Timestamp::from_unix_secs(1_767_225_600);
//! let decision = follower.route("13800000001", "700100000000001", Media::Voice, now);
//! # let _ = decision;
//! ```
//!
//! With [`FollowOptions::shared_index`] the follower publishes its index in a shared mapping,
//! for reader processes on its machine to [attach](crate::index::SharedIndex::attach) to, as a
//! writer's.
//!
//! A follower sees a command once it is in the journal file, which with
//! [`Commit::Group`](super::Commit::Group) may be shortly before the writer acknowledges it.
//! It reads through the local file system: on the writer's machine it shares the fate of the
//! writer's page cache, so whatever it has applied is what the writer's recovery finds. To
//! follow from another machine, carry the events on a transport.
#![forbid(unsafe_code)]

use super::storage::{DirStorage, Storage};
use super::{listing, record, segment_name, snapshot, snapshot_name};
use crate::config::Config;
use crate::error::Error;
use crate::event::Event;
use crate::index::Index;
use crate::index::layout::Capacity;
use crate::number::SubscriberNumber;
use crate::registry::Registry;
use crate::route::Decision;
use crate::state::State;
use crate::time::Timestamp;
use crate::{DialedNumber, Media};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};

/// A state to start over from: the whole state after event `seq`, replacing the follower's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reload {
    /// The seq of the last event the state holds.
    pub seq: u64,
    /// The state.
    pub state: State,
}

/// Where a follower's events come from.
pub trait EventSource {
    /// Appends the events that have arrived since the last call to `out`, in order, each with
    /// its seq, whole commands only (a command's events all in one call). Returns a [`Reload`]
    /// when the follower should first replace its state (the events in `out` then come after
    /// it); a source returns at most one per call.
    ///
    /// Returns at once when nothing has arrived. An error leaves `out` as it was.
    fn poll(&mut self, out: &mut Vec<(u64, Event)>) -> Result<Option<Reload>, Error>;
}

impl<S: EventSource + ?Sized> EventSource for Box<S> {
    fn poll(&mut self, out: &mut Vec<(u64, Event)>) -> Result<Option<Reload>, Error> {
        (**self).poll(out)
    }
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

/// How many times one poll reads again after finding the directory changing under it.
const ROUNDS: usize = 8;
/// Idle polls of a segment between listings of the directory (to notice a gap).
const LIST_EVERY: u64 = 64;

/// Reads a journal directory another process writes: the [`EventSource`] of a [`Follower`] on
/// the writer's machine, and what a host forwarding events to a transport reads.
///
/// Read-only: it never creates, cuts or removes a file.
pub struct JournalSource {
    storage: Arc<dyn Storage>,
    config: Config,
    /// The seq of the next event to deliver.
    next_seq: u64,
    /// The segment being read.
    cursor: Option<Cursor>,
    /// Whether it has located a segment (or loaded a snapshot) yet: a new source starts from
    /// the newest snapshot.
    started: bool,
}

/// Where a [`JournalSource`] reads.
#[derive(Debug)]
struct Cursor {
    name: String,
    base: u64,
    /// Bytes consumed (the header, whole commands).
    offset: u64,
    /// The seq of the record at `offset`.
    seq: u64,
    /// The next segment, seen to exist before the last read of this one: this one is complete,
    /// everything in it has been read once a read brings nothing new.
    next_seen: bool,
    /// A segment after this one but not starting where it ends, seen that many times in a row.
    gap_seen: u8,
    /// Reads that brought nothing (the directory is listed every [`LIST_EVERY`]).
    idle_polls: u64,
}

impl JournalSource {
    /// The journal directory `dir`, which must exist (a [`Registry`] opened on it creates it).
    /// Nothing is read until the first [`EventSource::poll`].
    pub fn open(dir: impl AsRef<Path>, config: Config) -> Result<JournalSource, Error> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(Error::Io {
                op: "open the journal directory",
                kind: io::ErrorKind::NotFound,
            });
        }
        let storage = DirStorage::new(dir).map_err(io_error("open the journal directory"))?;
        Ok(JournalSource::with_storage(Arc::new(storage), config))
    }

    /// A journal in any [`Storage`] (a simulated disk in tests); `config` is the writer's (a
    /// snapshot's state is read with it).
    pub fn with_storage(storage: Arc<dyn Storage>, config: Config) -> JournalSource {
        JournalSource {
            storage,
            config,
            next_seq: 1,
            cursor: None,
            started: false,
        }
    }

    /// The seq of the next event it will deliver.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Finds where to read event `next_seq`: the segment holding it, or the newest snapshot
    /// when that is ahead of it and this source is new or the segments it needs are gone.
    /// Returns whether a cursor was set: `false` when a reload was loaded (locate again) or
    /// there is nothing to read yet.
    fn locate(&mut self, reload: &mut Option<Reload>) -> Result<bool, Error> {
        let s = &*self.storage;
        let l = listing(s).map_err(io_error("list the journal directory"))?;
        let want = self.next_seq;
        let segment = l.segments.iter().rev().find(|b| **b <= want).copied();
        match l.snapshots.last().copied() {
            Some(seq) if seq >= want && (!self.started || segment.is_none()) => {
                let name = snapshot_name(seq);
                let bytes = match s.read(&name) {
                    Ok(bytes) => bytes,
                    // Replaced by a newer one meanwhile: list again.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
                    Err(e) => return Err(io_error("read a snapshot")(e)),
                };
                let (held, state) = snapshot::read(&bytes, self.config.clone())
                    .map_err(|why| corrupt(&name, 0, why))?;
                if held != seq {
                    return Err(corrupt(&name, 0, "snapshot header and file name disagree"));
                }
                *reload = Some(Reload { seq, state });
                self.next_seq = seq + 1;
                self.started = true;
                Ok(false)
            }
            _ => match segment {
                Some(base) => {
                    self.cursor = Some(Cursor {
                        name: segment_name(base),
                        base,
                        offset: 0,
                        seq: base,
                        next_seen: false,
                        gap_seen: 0,
                        idle_polls: 0,
                    });
                    self.started = true;
                    Ok(true)
                }
                // Nothing written yet, or a snapshot that ends where this source is and the
                // segment after it not created yet.
                None => Ok(false),
            },
        }
    }

    /// Reads what the current segment holds past the cursor; returns whether it made progress
    /// (`None` when the segment is gone).
    fn read_segment(&mut self, out: &mut Vec<(u64, Event)>) -> Result<Option<bool>, Error> {
        let Some(c) = &mut self.cursor else {
            return Ok(None);
        };
        let bytes = match self.storage.read_from(&c.name, c.offset) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read a journal segment")(e)),
        };
        let mut skip = 0;
        if c.offset == 0 {
            if bytes.len() < record::SEGMENT_HEADER_LEN {
                // Being created: its header comes next.
                return Ok(Some(false));
            }
            match record::parse_segment_header(&bytes) {
                Ok(b) if b == c.base => {}
                Ok(_) => return Err(corrupt(&c.name, 0, "segment header and file name disagree")),
                // A header torn at a crash, which the writer's recovery removes.
                Err(_) if bytes.len() == record::SEGMENT_HEADER_LEN => return Ok(Some(false)),
                Err(why) => return Err(corrupt(&c.name, 0, why)),
            }
            skip = record::SEGMENT_HEADER_LEN;
        }
        let want = self.next_seq;
        let first = out.len();
        let scan = record::scan(&bytes[skip..], 0, c.seq, |seq, e| {
            if seq >= want {
                out.push((seq, e));
            }
        });
        let at = c.offset + skip as u64;
        if let Some(d) = &scan.stopped {
            // A partial command is one being written, unless a later record says it was durable
            // or the writer has moved on to the next segment since.
            if scan.damages_synced || c.next_seen {
                out.truncate(first);
                let why = if scan.damages_synced {
                    d.why
                } else {
                    "a segment followed by another ends in a damaged or partial record"
                };
                return Err(corrupt(&c.name, at + d.offset, why));
            }
        }
        c.offset = at + scan.valid_len;
        c.seq = scan.next_seq;
        self.next_seq = self.next_seq.max(c.seq);
        Ok(Some(skip > 0 || scan.valid_len > 0))
    }

    /// After a read that brought nothing: whether the writer has moved on to the next segment
    /// (then this one is complete once read again). Reports a gap seen three times as damage.
    fn look_for_next(&mut self) -> Result<(), Error> {
        let s = &*self.storage;
        let Some(c) = &mut self.cursor else {
            return Ok(());
        };
        // The writer starts the next segment (named after the seq this one ends at) only once
        // everything before it is written and synced: if it exists, this one is complete.
        // Probing it costs one failed open while nothing happens. (A segment without records
        // is never followed by another: its name would be its own.)
        if c.seq > c.base {
            match s.read_from(&segment_name(c.seq), u64::MAX) {
                Ok(_) => {
                    c.next_seen = true;
                    c.gap_seen = 0;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("read a journal segment")(e)),
            }
        }
        // Now and then, and while a gap is suspected, list the directory: a later segment that
        // does not start where this one ends means events are missing.
        c.idle_polls += 1;
        if c.gap_seen == 0 && c.idle_polls % LIST_EVERY != 0 {
            return Ok(());
        }
        let l = listing(s).map_err(io_error("list the journal directory"))?;
        match l.segments.iter().copied().find(|b| *b > c.base) {
            Some(next) if next < c.seq => Err(corrupt(
                &segment_name(next),
                0,
                "journal segments overlap: this one starts before the previous one ends",
            )),
            // This segment may have grown since it was read, the next one may have appeared
            // since the probe, or a listing racing a rotation may have missed a segment
            // between: damage only if it persists.
            Some(next) if next > c.seq => {
                c.gap_seen += 1;
                if c.gap_seen >= 3 {
                    let why = "journal gap: events are missing before this segment";
                    return Err(corrupt(&segment_name(next), 0, why));
                }
                Ok(())
            }
            _ => {
                c.gap_seen = 0;
                Ok(())
            }
        }
    }
}

impl EventSource for JournalSource {
    fn poll(&mut self, out: &mut Vec<(u64, Event)>) -> Result<Option<Reload>, Error> {
        let (next_seq, started) = (self.next_seq, self.started);
        let result = self.poll_rounds(out);
        if result.is_err() {
            // Deliver nothing of this poll (a reload loaded in it included): start from where
            // the last good poll ended, finding the segment again.
            self.next_seq = next_seq;
            self.started = started;
            self.cursor = None;
        }
        result
    }
}

impl JournalSource {
    fn poll_rounds(&mut self, out: &mut Vec<(u64, Event)>) -> Result<Option<Reload>, Error> {
        let start = out.len();
        let mut reload = None;
        for _ in 0..ROUNDS {
            if self.cursor.is_none() {
                let before = reload.is_some();
                let located = self.locate(&mut reload);
                if let Err(e) = located {
                    out.truncate(start);
                    return Err(e);
                }
                if reload.is_some() && !before {
                    // What was read before the reload is in it.
                    out.truncate(start);
                }
                if !matches!(located, Ok(true)) {
                    if reload.is_some() && !before {
                        // Find the segment after the snapshot.
                        continue;
                    }
                    break;
                }
            }
            let read = self
                .read_segment(out)
                .inspect_err(|_| out.truncate(start))?;
            match read {
                // Removed by the writer's snapshot: the next segment, or the snapshot if this
                // source had not read that far.
                None => self.cursor = None,
                Some(true) => {
                    if out.len() > start {
                        break;
                    }
                }
                Some(false) => {
                    let next_seen = self.cursor.as_ref().is_some_and(|c| c.next_seen);
                    if next_seen {
                        // Read once more after the next segment appeared, and nothing new:
                        // this one is done.
                        let base = self.next_seq;
                        self.cursor = Some(Cursor {
                            name: segment_name(base),
                            base,
                            offset: 0,
                            seq: base,
                            next_seen: false,
                            gap_seen: 0,
                            idle_polls: 0,
                        });
                        continue;
                    }
                    self.look_for_next().inspect_err(|_| out.truncate(start))?;
                    let (next_seen, gap) = self
                        .cursor
                        .as_ref()
                        .map_or((false, 0), |c| (c.next_seen, c.gap_seen));
                    if !next_seen && gap == 0 {
                        break;
                    }
                }
            }
        }
        Ok(reload)
    }
}

/// Feeds events carried by a transport into a [`ChannelSource`]. Cloneable, and usable from any
/// thread.
#[derive(Clone, Debug)]
pub struct EventSender {
    tx: mpsc::Sender<Message>,
}

#[derive(Debug)]
enum Message {
    Events(Vec<(u64, Event)>),
    Reload(Box<Reload>),
}

/// The receiving side has been dropped.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the follower's channel is closed")]
pub struct Closed;

impl EventSender {
    /// Sends the events of one or more whole commands, each with its seq, in order.
    pub fn send(&self, events: Vec<(u64, Event)>) -> Result<(), Closed> {
        if events.is_empty() {
            return Ok(());
        }
        self.tx.send(Message::Events(events)).map_err(|_| Closed)
    }

    /// Sends a state to start over from (e.g. a snapshot file the transport carried, read with
    /// [`snapshot::read`]); events sent after it follow it.
    pub fn reload(&self, reload: Reload) -> Result<(), Closed> {
        self.tx
            .send(Message::Reload(Box::new(reload)))
            .map_err(|_| Closed)
    }
}

/// An in-memory [`EventSource`]: what an [`EventSender`] sent, in order.
#[derive(Debug)]
pub struct ChannelSource {
    rx: mpsc::Receiver<Message>,
    /// A reload received after events, handed out by the next poll.
    held: Option<Box<Reload>>,
}

/// A channel whose receiving end is an [`EventSource`].
pub fn channel() -> (EventSender, ChannelSource) {
    let (tx, rx) = mpsc::channel();
    (EventSender { tx }, ChannelSource { rx, held: None })
}

impl EventSource for ChannelSource {
    /// Everything sent so far (up to a reload sent after events, which the next poll returns
    /// first). Fails with [`Error::Io`] (`BrokenPipe`) once every sender is dropped and all
    /// was received.
    fn poll(&mut self, out: &mut Vec<(u64, Event)>) -> Result<Option<Reload>, Error> {
        let mut reload = self.held.take().map(|r| *r);
        let start = out.len();
        loop {
            match self.rx.try_recv() {
                Ok(Message::Events(events)) => out.extend(events),
                Ok(Message::Reload(r)) if out.len() == start && reload.is_none() => {
                    reload = Some(*r);
                }
                Ok(Message::Reload(r)) => {
                    self.held = Some(r);
                    break;
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    if out.len() == start && reload.is_none() {
                        return Err(Error::Io {
                            op: "receive events: every sender is gone",
                            kind: io::ErrorKind::BrokenPipe,
                        });
                    }
                    break;
                }
            }
        }
        Ok(reload)
    }
}

/// How a follower keeps its index.
#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// The index's starting capacity (it grows as needed, and a reload sizes it to fit).
    pub capacity: Capacity,
    /// Publish the index in a shared mapping at this path, for reader processes to attach to
    /// (see [`Registry::new_shared`]).
    pub shared_index: Option<PathBuf>,
}

impl Default for FollowOptions {
    /// A heap index for 100,000 bindings.
    fn default() -> Self {
        FollowOptions {
            capacity: Capacity::for_bindings(100_000),
            shared_index: None,
        }
    }
}

/// What one [`Follower::poll`] did.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Events applied.
    pub applied: u64,
    /// Events skipped because the follower had them already.
    pub skipped: u64,
    /// The seq of the state it reloaded, if it did.
    pub reloaded: Option<u64>,
    /// The seq of the last event it holds (0 for none).
    pub last_seq: u64,
}

struct Inner<S> {
    source: S,
    /// Reused between polls.
    buf: Vec<(u64, Event)>,
    events: Vec<Event>,
    /// A failure to publish: the index may be behind the state, so the follower stops.
    failed: Option<Error>,
}

/// A replica: applies the events of an [`EventSource`] to its own state and lock-free index,
/// and routes (see the [module docs](self)).
///
/// `Send + Sync`: share it (in an [`Arc`]) between the thread that polls and those that route.
pub struct Follower<S = JournalSource> {
    registry: Registry,
    inner: Mutex<Inner<S>>,
    last_seq: AtomicU64,
}

impl Follower<JournalSource> {
    /// Follows the journal in directory `dir` (which must exist) written with configuration
    /// `config`: loads the newest snapshot and the commands after it before returning.
    ///
    /// Fails with [`Error::Corrupt`] when acknowledged data is damaged, [`Error::Io`] when the
    /// directory cannot be read.
    pub fn open(
        dir: impl AsRef<Path>,
        config: Config,
        options: FollowOptions,
    ) -> Result<Follower<JournalSource>, Error> {
        let source = JournalSource::open(dir, config.clone())?;
        Follower::start(source, config, options)
    }

    /// [`Follower::open`] on any [`Storage`] (a simulated disk in tests).
    pub fn open_storage(
        storage: Arc<dyn Storage>,
        config: Config,
        options: FollowOptions,
    ) -> Result<Follower<JournalSource>, Error> {
        let source = JournalSource::with_storage(storage, config.clone());
        Follower::start(source, config, options)
    }
}

impl<S: EventSource> Follower<S> {
    /// A follower of `source` with an empty state (event 1 comes first, unless the source
    /// starts with a [`Reload`]). Nothing is read until the first [`Follower::poll`].
    pub fn new(source: S, config: Config, options: FollowOptions) -> Result<Follower<S>, Error> {
        let registry = Registry::replica(
            State::new(config),
            options.capacity,
            options.shared_index.as_deref(),
        )?;
        Ok(Follower {
            registry,
            inner: Mutex::new(Inner {
                source,
                buf: Vec::new(),
                events: Vec::new(),
                failed: None,
            }),
            last_seq: AtomicU64::new(0),
        })
    }

    /// [`Follower::new`], then polled until it has caught up (a poll brings nothing new).
    fn start(source: S, config: Config, options: FollowOptions) -> Result<Follower<S>, Error> {
        let follower = Follower::new(source, config, options)?;
        while follower.poll()? != Progress::default_at(follower.last_seq()) {}
        Ok(follower)
    }

    fn lock(&self) -> MutexGuard<'_, Inner<S>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies what the source has delivered since the last poll and publishes it to the
    /// index; returns at once when nothing new has arrived.
    ///
    /// Fails with [`Error::Corrupt`] when the source reports damage or skips events (a gap:
    /// nothing of this poll is applied), with the source's error otherwise (the follower keeps
    /// what it has, and may be polled again). A failure to publish to the index (e.g. a shared
    /// mapping that cannot grow) stops the follower: every later poll returns it.
    pub fn poll(&self) -> Result<Progress, Error> {
        let mut inner = self.lock();
        if let Some(e) = &inner.failed {
            return Err(e.clone());
        }
        let Inner {
            source,
            buf,
            events,
            failed,
        } = &mut *inner;
        buf.clear();
        let reload = source.poll(buf)?;
        let mut progress = Progress::default();
        let mut next = self.last_seq() + 1;
        if let Some(Reload { seq, state }) = reload {
            if let Err(e) = self.registry.replace_state(state) {
                *failed = Some(e.clone());
                return Err(e);
            }
            progress.reloaded = Some(seq);
            next = seq + 1;
            self.last_seq.store(seq, Ordering::Release);
        }
        events.clear();
        let mut expect = next;
        for (seq, event) in buf.drain(..) {
            if seq < expect {
                progress.skipped += 1;
            } else if seq == expect {
                events.push(event);
                expect += 1;
            } else {
                events.clear();
                return Err(Error::Corrupt {
                    file: "the event source".to_owned(),
                    offset: expect,
                    why: "event gap: the next event delivered is not the one expected",
                });
            }
        }
        if !events.is_empty() {
            if let Err(e) = self.registry.apply_events(events) {
                *failed = Some(e.clone());
                return Err(e);
            }
            self.last_seq.store(expect - 1, Ordering::Release);
        }
        progress.applied = events.len() as u64;
        progress.last_seq = expect - 1;
        Ok(progress)
    }

    /// The seq of the last event applied (0 for none). Lock-free.
    pub fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::Acquire)
    }

    /// Runs `f` with the source (e.g. to acknowledge a transport's offsets), holding the
    /// follower's lock meanwhile.
    pub fn with_source<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut self.lock().source)
    }

    /// Runs `f` with read access to the follower's state (polls wait meanwhile). The state is
    /// always at a command's end.
    pub fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        self.registry.with_state(f)
    }

    /// Routes a call or SMS from the strings a switch sees, through this replica's own
    /// controls (its counters and record queue; see [`crate::control`]). Lock-free; allocates
    /// nothing.
    pub fn route(&self, caller: &str, dialed: &str, media: Media, now: Timestamp) -> Decision {
        self.registry.route(caller, dialed, media, now)
    }

    /// Takes up to `out.len()` records of this replica's route decisions (see
    /// [`Registry::drain_records`]).
    pub fn drain_records(&self, out: &mut [crate::control::record::RouteRecord]) -> usize {
        self.registry.drain_records(out)
    }

    /// Records of this replica lost: dropped because its queue was full, and abandoned (see
    /// [`Registry::records_dropped`]).
    pub fn records_dropped(&self) -> u64 {
        self.registry.records_dropped()
    }

    /// Of [`Follower::records_dropped`], the records a router of this replica was killed while
    /// queuing (see [`Registry::records_abandoned`]).
    pub fn records_abandoned(&self) -> u64 {
        self.registry.records_abandoned()
    }

    /// Routes a parsed request. Lock-free; allocates nothing.
    pub fn route_dialed(
        &self,
        caller: Option<SubscriberNumber>,
        dialed: DialedNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        self.registry.route_dialed(caller, dialed, media, now)
    }

    /// Routes an SMS whose text the switch passes, as [`crate::Registry::route_message`] (under
    /// the SMS rules of the configuration the follower was started with). Lock-free; allocates
    /// nothing.
    pub fn route_message(
        &self,
        caller: &str,
        dialed: &str,
        text: &[u8],
        now: Timestamp,
    ) -> Decision {
        self.registry.route_message(caller, dialed, text, now)
    }

    /// The index readers currently use (for statistics).
    pub fn index(&self) -> Arc<Index> {
        self.registry.index()
    }
}

impl Progress {
    /// A poll that did nothing, with the follower at `last_seq`.
    fn default_at(last_seq: u64) -> Progress {
        Progress {
            last_seq,
            ..Progress::default()
        }
    }
}
