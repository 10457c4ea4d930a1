//! The atomics the lock-free index uses, imported from one place so that `--cfg loom` swaps in
//! loom's model-checked versions (the crossbeam/tokio pattern).

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering, fence};
#[cfg(loom)]
pub(crate) fn spin_loop() {
    loom::thread::yield_now();
}

#[cfg(not(loom))]
pub(crate) use std::hint::spin_loop;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering, fence};
