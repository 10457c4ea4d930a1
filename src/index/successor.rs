//! Growing an index without stopping writes: its successor is filled a slice at a time.
//!
//! When an index nears its limits the registry starts a bigger successor: tenants and the
//! directory are written at once (they grow with the numbers, not the bindings), then every
//! write copies the next few usage numbers' entries from the state, in number order, besides
//! keeping whatever it touched up to date in both indexes (how many it copies is paced by the
//! headroom left, so the copy ends before the current index fills). When the copy reaches the last usage
//! number the successor equals the state and readers are flipped to it. A successor that runs
//! out of room is dropped and a bigger one started; the index readers use is complete and up to
//! date throughout, so nothing is lost either way.
#![forbid(unsafe_code)]

use super::layout::Capacity;
use super::writer::{Backing, BuildError, Full, IndexWriter, Touched};
use crate::binding::Party;
use crate::number::UsageNumber;
use crate::state::State;

/// A bigger index being filled from the state while the current one serves readers.
pub(crate) struct Successor {
    writer: IndexWriter,
    /// Every usage number up to this one has been copied; later writes keep it current.
    copied_through: Option<UsageNumber>,
    /// Entries copied so far.
    copied: usize,
    complete: bool,
}

impl Successor {
    /// A successor of capacity `cap` with `state`'s tenants and directory written, and no entry
    /// yet.
    pub(crate) fn start(
        backing: &Backing,
        state: &State,
        cap: Capacity,
        generation: u64,
    ) -> Result<Successor, BuildError> {
        let mut writer = IndexWriter::new(
            backing,
            cap,
            state.config().binding_quarantine_secs,
            generation,
        )
        .map_err(|e| BuildError::Io(e.kind()))?;
        writer.sync_numbers(state).map_err(|_| BuildError::Full)?;
        Ok(Successor {
            writer,
            copied_through: None,
            copied: 0,
            complete: false,
        })
    }

    /// Copies whole usage numbers after the last one copied until at least `budget` entries are
    /// written or none are left; returns whether the copy is complete.
    pub(crate) fn step(&mut self, state: &State, budget: usize) -> Result<bool, Full> {
        if self.complete {
            return Ok(true);
        }
        let mut keys: Vec<(UsageNumber, Party)> = Vec::new();
        let mut last = self.copied_through;
        let mut rest = state.usage_entries_after(self.copied_through);
        let mut exhausted = false;
        while keys.len() < budget {
            let Some((x, e)) = rest.next() else {
                exhausted = true;
                break;
            };
            keys.extend(e.routes.keys().chain(e.quarantine.keys()).map(|p| (x, *p)));
            last = Some(x);
        }
        let count = keys.len();
        let touched = Touched::of_keys(keys);
        if !self.writer.has_room(state, &touched) {
            return Err(Full);
        }
        self.writer.sync(state, &touched)?;
        self.copied_through = last;
        self.copied += count;
        self.complete = exhausted;
        Ok(exhausted)
    }

    /// Entries copied so far.
    pub(crate) fn copied(&self) -> usize {
        self.copied
    }

    /// Brings what a write touched up to date in the successor too (after the write's events
    /// were applied to `state`). Keys not yet copied are written now and again when copied;
    /// both writes derive from the state, so the second changes nothing.
    pub(crate) fn follow(&mut self, state: &State, touched: &Touched) -> Result<(), Full> {
        if !self.writer.has_room(state, touched) {
            return Err(Full);
        }
        self.writer.sync(state, touched)
    }

    /// Whether a write touching `t` would still fit once the copy is complete.
    pub(crate) fn has_room(&self, state: &State, t: &Touched) -> bool {
        self.writer.has_room(state, t)
    }

    /// The finished index writer (call once [`Successor::step`] returned `true`).
    pub(crate) fn into_writer(self) -> IndexWriter {
        debug_assert!(self.complete);
        self.writer
    }
}
