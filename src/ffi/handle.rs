//! Handles: what C holds instead of pointers, so that a stale or twice-freed handle is an error
//! and not a use-after-free.
//!
//! A handle is an opaque token `generation << 14 | kind << 10 | slot` — never an address, never
//! dereferenced — naming a slot in a fixed table per handle type. The slot holds the object and
//! the generation it was created with, together in one atomically swapped `Arc`:
//!
//! - **lookup** (every call, including `np700_route`) loads the slot (`ArcSwap::load`: lock-free,
//!   no allocation, no system call) and compares generations. A freed or reused slot answers
//!   `NP700_ERR_INVALID_HANDLE`; no freed memory is ever read, because the table itself is
//!   static and the object is reached only through the slot.
//! - **create and free** take the table's mutex: a create picks an empty slot and a generation
//!   never used before by this table; a free empties the slot if, and only if, the generations
//!   match. A call that loaded the object before the free keeps it alive until it returns, so
//!   freeing a handle while another thread is still inside a call with it is safe.
//!
//! Generations are 50 bits on 64-bit targets (never repeat in practice) and 18 bits on 32-bit
//! targets.

use super::status::{
    Failure, NP700_ERR_INVALID_HANDLE, NP700_ERR_NULL, NP700_ERR_TOO_MANY_HANDLES,
};
use arc_swap::ArcSwapOption;
use std::sync::{Arc, Mutex};

/// The most live handles of one type (registries, readers or configurations) at a time.
pub const NP700_MAX_HANDLES: usize = 1024;

const SLOT_BITS: u32 = 10;
const KIND_BITS: u32 = 4;
const _: () = assert!(NP700_MAX_HANDLES == 1 << SLOT_BITS);
const GENERATION_SHIFT: u32 = SLOT_BITS + KIND_BITS;
const MAX_GENERATION: usize = usize::MAX >> GENERATION_SHIFT;

/// What a slot holds: the object and the generation of the handle that names it.
struct Live<T> {
    generation: usize,
    value: T,
}

/// A table of objects named by handles of one type.
pub(crate) struct Table<T> {
    kind: usize,
    slots: [ArcSwapOption<Live<T>>; NP700_MAX_HANDLES],
    /// The last generation handed out; held while creating or freeing.
    writer: Mutex<usize>,
}

impl<T> Table<T> {
    /// An empty table for handles of `kind` (1..16, distinct per type).
    pub(crate) const fn new(kind: usize) -> Table<T> {
        assert!(kind > 0 && kind < 1 << KIND_BITS);
        Table {
            kind,
            slots: [const { ArcSwapOption::const_empty() }; NP700_MAX_HANDLES],
            writer: Mutex::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        // The counter is valid whatever a panicking holder did.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores `value` and returns its handle.
    pub(crate) fn insert<H>(&self, what: &'static str, value: T) -> Result<*mut H, Failure> {
        let mut last = self.lock();
        let Some(slot) = self.slots.iter().position(|s| s.load().is_none()) else {
            return Err(Failure::new(
                NP700_ERR_TOO_MANY_HANDLES,
                what,
                "NP700_MAX_HANDLES handles of this type are live",
            ));
        };
        if *last >= MAX_GENERATION {
            return Err(Failure::new(
                NP700_ERR_TOO_MANY_HANDLES,
                what,
                "handle generations exhausted",
            ));
        }
        *last += 1;
        let generation = *last;
        if let Some(s) = self.slots.get(slot) {
            s.store(Some(Arc::new(Live { generation, value })));
        }
        let token = generation << GENERATION_SHIFT | self.kind << SLOT_BITS | slot;
        Ok(std::ptr::without_provenance_mut(token))
    }

    /// Splits a handle into (slot, generation) if it is of this table's kind.
    fn decode<H>(&self, what: &'static str, handle: *const H) -> Result<(usize, usize), Failure> {
        if handle.is_null() {
            return Err(Failure::new(NP700_ERR_NULL, what, "NULL handle"));
        }
        let token = handle.addr();
        let slot = token & (NP700_MAX_HANDLES - 1);
        let kind = token >> SLOT_BITS & ((1 << KIND_BITS) - 1);
        if kind != self.kind {
            return Err(invalid(what));
        }
        Ok((slot, token >> GENERATION_SHIFT))
    }

    /// Runs `f` on the object `handle` names. Lock-free and allocation-free.
    pub(crate) fn with<H, R>(
        &self,
        what: &'static str,
        handle: *const H,
        f: impl FnOnce(&T) -> R,
    ) -> Result<R, Failure> {
        let (slot, generation) = self.decode(what, handle)?;
        let guard = self.slots.get(slot).ok_or_else(|| invalid(what))?.load();
        match &*guard {
            Some(live) if live.generation == generation => Ok(f(&live.value)),
            _ => Err(invalid(what)),
        }
    }

    /// Frees the object `handle` names; NULL is a no-op. The object is dropped here, or by the
    /// last call still using it.
    pub(crate) fn remove<H>(&self, what: &'static str, handle: *const H) -> Result<(), Failure> {
        if handle.is_null() {
            return Ok(());
        }
        let (slot, generation) = self.decode(what, handle)?;
        let slot = self.slots.get(slot).ok_or_else(|| invalid(what))?;
        let taken = {
            let _writer = self.lock();
            match &*slot.load() {
                Some(live) if live.generation == generation => slot.swap(None),
                _ => return Err(invalid(what)),
            }
        };
        // Dropped outside the lock: an index unmaps its memory, which takes a while.
        drop(taken);
        Ok(())
    }
}

fn invalid(what: &'static str) -> Failure {
    Failure::new(
        NP700_ERR_INVALID_HANDLE,
        what,
        "stale, freed, or not a handle of this type",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    enum Thing {}

    #[test]
    fn stale_and_double_freed_handles_are_refused() {
        static TABLE: Table<u32> = Table::new(15);
        let a: *mut Thing = TABLE.insert("a", 7).unwrap();
        assert_eq!(TABLE.with("a", a, |v| *v).unwrap(), 7);
        TABLE.remove("a", a).unwrap();
        let stale = TABLE.with("a", a, |v| *v).unwrap_err();
        assert_eq!(stale.status, NP700_ERR_INVALID_HANDLE);
        assert_eq!(
            TABLE.remove("a", a).unwrap_err().status,
            NP700_ERR_INVALID_HANDLE
        );
        // The slot is reused with a new generation; the old handle still does not reach it.
        let b: *mut Thing = TABLE.insert("b", 8).unwrap();
        assert_ne!(a, b);
        assert!(TABLE.with("a", a, |v| *v).is_err());
        assert_eq!(TABLE.with("b", b, |v| *v).unwrap(), 8);
        TABLE.remove("b", b).unwrap();
        assert!(TABLE.remove::<Thing>("n", std::ptr::null()).is_ok());
    }

    #[test]
    fn handles_of_another_kind_or_garbage_are_refused() {
        static ONE: Table<u32> = Table::new(13);
        static TWO: Table<u32> = Table::new(14);
        let a: *mut Thing = ONE.insert("a", 1).unwrap();
        assert!(TWO.with("a", a, |v| *v).is_err());
        for token in [1usize, 0xdead_beef, usize::MAX, 8] {
            let p: *const Thing = std::ptr::without_provenance(token);
            assert!(ONE.with("g", p, |v| *v).is_err() || p == a.cast_const());
        }
        ONE.remove("a", a).unwrap();
    }

    #[test]
    fn the_table_fills_up_and_recovers() {
        static TABLE: Table<u32> = Table::new(12);
        let handles: Vec<*mut Thing> = (0..NP700_MAX_HANDLES)
            .map(|i| TABLE.insert("h", i as u32).unwrap())
            .collect();
        let full = TABLE.insert::<Thing>("h", 0).unwrap_err();
        assert_eq!(full.status, NP700_ERR_TOO_MANY_HANDLES);
        for h in handles {
            TABLE.remove("h", h).unwrap();
        }
        let h: *mut Thing = TABLE.insert("h", 1).unwrap();
        TABLE.remove("h", h).unwrap();
    }
}
