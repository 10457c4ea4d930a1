//! The registry: what a platform process and the switches in it embed.
//!
//! Writes (`&self`, one at a time behind a mutex) validate a command against the [`State`],
//! produce events, apply them, and publish what they touched to the lock-free [`Index`];
//! [`Registry::route`] reads only the index, from any thread, without locking, allocating or
//! making a system call, and never waits for a writer.
//!
//! The index lives behind an [`ArcSwap`] that changes only when the index grows: the writer then
//! builds a bigger one from the state, flips readers to it, and keeps the old one until no reader
//! holds it, so a reader never frees a large object.
#![forbid(unsafe_code)]

use crate::binding::{BindingId, Media};
use crate::command::{BindRequest, Command};
use crate::config::Config;
use crate::error::Error;
use crate::event::Event;
use crate::index::layout::Capacity;
use crate::index::writer::{Backing, BuildError, IndexWriter, Touched};
use crate::index::{Index, SharedIndex};
use crate::number::SubscriberNumber;
use crate::route::Decision;
use crate::state::State;
use crate::time::Timestamp;
use arc_swap::ArcSwap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// What the writer owns.
struct Writer {
    state: State,
    backing: Backing,
    index: IndexWriter,
    /// Indexes readers may still hold after a flip; dropped once only this list holds them.
    retired: Vec<Arc<Index>>,
    generation: u64,
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
}

impl Registry {
    /// An empty registry whose index, in private memory, starts with `capacity` (it grows as
    /// needed).
    pub fn new(config: Config, capacity: Capacity) -> Registry {
        Registry::with_backing(config, capacity, Backing::Heap, 1)
            .unwrap_or_else(|_| unreachable!("a heap index needs no I/O"))
    }

    /// An empty registry that publishes its index in a shared mapping at `path` (e.g. a file
    /// under `/dev/shm`), for reader processes to [attach](crate::index::SharedIndex::attach).
    /// A previous writer's index at `path` is replaced and marked retired, so its readers move
    /// to this one.
    pub fn new_shared(
        config: Config,
        capacity: Capacity,
        path: impl AsRef<Path>,
    ) -> std::io::Result<Registry> {
        let path = path.as_ref().to_path_buf();
        let previous = SharedIndex::attach_writable(&path).ok();
        let generation = previous.as_ref().map_or(0, Index::generation) + 1;
        let registry = Registry::with_backing(config, capacity, Backing::Shared(path), generation)?;
        if let Some(previous) = previous {
            previous.retire();
        }
        Ok(registry)
    }

    fn with_backing(
        config: Config,
        capacity: Capacity,
        backing: Backing,
        generation: u64,
    ) -> std::io::Result<Registry> {
        let state = State::new(config);
        let index = IndexWriter::new(
            &backing,
            capacity,
            state.config().binding_quarantine_secs,
            generation,
        )?;
        index.publish(&backing)?;
        let current = ArcSwap::new(Arc::clone(index.index()));
        let writer = Writer {
            state,
            backing,
            index,
            retired: Vec::new(),
            generation,
        };
        Ok(Registry {
            writer: Mutex::new(writer),
            current,
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
        let events = w.state.plan(command, now)?;
        if events.is_empty() {
            return Ok(events);
        }
        let touched = Touched::of(&w.state, &events);
        if !w.index.has_room(&w.state, &touched) {
            self.grow(&mut w, &touched)?;
        }
        for e in &events {
            w.state.apply(e);
        }
        let Writer { state, index, .. } = &mut *w;
        if index.sync(state, &touched).is_err() {
            // Capacity was checked above; rebuild from the state rather than leave the index
            // behind it.
            self.grow(&mut w, &Touched::default())?;
        }
        w.retired.retain(|old| Arc::strong_count(old) > 1);
        Ok(events)
    }

    /// Builds a bigger index from the state and flips readers to it.
    fn grow(&self, w: &mut Writer, touched: &Touched) -> Result<(), Error> {
        let cap = w.index.grown_capacity(&w.state, touched);
        let next = IndexWriter::build(&w.backing, &w.state, cap, w.generation + 1).map_err(
            |e| match e {
                BuildError::Full => Error::IndexFull,
                BuildError::Io(kind) => Error::Io {
                    op: "create the shared index",
                    kind,
                },
            },
        )?;
        next.publish(&w.backing).map_err(|e| Error::Io {
            op: "publish the shared index",
            kind: e.kind(),
        })?;
        w.generation += 1;
        let old = self.current.swap(Arc::clone(next.index()));
        // Readers in other processes see this and attach to the new index.
        old.retire();
        w.retired.push(old);
        w.index = next;
        Ok(())
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

    /// Runs `f` with read access to the writer's state (holding the writer lock meanwhile).
    pub fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.lock().state)
    }

    /// Routes a call or SMS from the strings a switch sees. Lock-free; allocates nothing.
    pub fn route(&self, caller: &str, dialed: &str, media: Media, now: Timestamp) -> Decision {
        crate::route::route_strings(caller, dialed, |caller, dialed| {
            self.current.load().route_dialed(caller, dialed, media, now)
        })
    }

    /// Routes a parsed request. Lock-free; allocates nothing.
    pub fn route_dialed(
        &self,
        caller: Option<SubscriberNumber>,
        dialed: crate::DialedNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        self.current.load().route_dialed(caller, dialed, media, now)
    }

    /// The index readers currently use (for statistics).
    pub fn index(&self) -> Arc<Index> {
        self.current.load_full()
    }
}
