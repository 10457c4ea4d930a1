//! `np700_reader`: a switch process's read-only view of a registry's index in a shared mapping.

use super::args::{NP700_MAX_PATH_LEN, Out, str_arg};
use super::binding::np700_media;
use super::handle::Table;
use super::route::{decision_of, np700_decision, route_args};
use super::status::{Failure, NP700_ERR_TOO_LONG, boundary, np700_status};
use crate::index::SharedIndex;
use std::ffi::c_char;

/// A read-only attachment to the routing index a registry publishes at a path (opaque): what a
/// switch's worker processes use to route, with the writer's live data and without a copy.
///
/// Thread safety: `np700_reader_route()` and `np700_reader_generation()` may be called from any
/// number of threads at once. As for registries, freeing while other threads are still inside
/// calls is safe.
#[allow(non_camel_case_types)]
pub struct np700_reader {
    _opaque: [u8; 0],
}

pub(crate) static READERS: Table<SharedIndex> = Table::new(2);

const WHAT: &str = "reader";

/// Attaches read-only to the index a registry publishes at `path` (see
/// `np700_config_set_shared_path()`). On success `*out` is the new handle; free it with
/// `np700_reader_free()`.
///
/// Errors: `NP700_ERR_IO` (no such file, no permission — see the last error),
/// `NP700_ERR_NOT_AN_INDEX`, `NP700_ERR_INCOMPATIBLE_INDEX`, `NP700_ERR_TRUNCATED_INDEX`.
///
/// # Safety
///
/// `path` must be NULL or valid for reads of `path_len` bytes; `out` valid for a write of one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_reader_attach(
    path: *const c_char,
    path_len: usize,
    out: *mut *mut np700_reader,
) -> np700_status {
    boundary("np700_reader_attach", || {
        let out = Out::new("out", out)?;
        // SAFETY: the caller's promise.
        let path = unsafe {
            str_arg(
                "path",
                path,
                path_len,
                NP700_MAX_PATH_LEN,
                NP700_ERR_TOO_LONG,
            )
        }?;
        let index = SharedIndex::attach(path).map_err(|e| Failure::attach("attach", e))?;
        let handle = READERS.insert(WHAT, index)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees a reader. NULL is a no-op (`NP700_OK`); a stale or already freed handle is
/// `NP700_ERR_INVALID_HANDLE`.
///
/// # Safety
///
/// None beyond passing a value returned as an `np700_reader *` (or NULL): stale values are
/// detected.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_reader_free(reader: *mut np700_reader) -> np700_status {
    boundary("np700_reader_free", || READERS.remove(WHAT, reader))
}

/// Routes a call or SMS from the shared index, exactly as `np700_route()` does from the
/// registry (same arguments, same errors, same decisions at the same instant).
///
/// The writer's controls apply: the route counts against its frequency limits and probing
/// detection, and its `np700_route_record` goes to the writer's queue, drained by the writer
/// with `np700_registry_drain_records()` (a reader has no drain of its own).
///
/// Lock-free: no lock, no allocation. The one exception: when the writer has grown its index or
/// restarted, the first lookup after that re-attaches to the new index (opening and mapping a
/// file); lookups on other threads meanwhile answer from the old index.
///
/// # Safety
///
/// As `np700_route()`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_reader_route(
    reader: *const np700_reader,
    caller: *const c_char,
    caller_len: usize,
    dialed: *const c_char,
    dialed_len: usize,
    media: np700_media,
    now: u64,
    out: *mut np700_decision,
) -> np700_status {
    boundary("np700_reader_route", || {
        // SAFETY: the caller's promises.
        let a = unsafe { route_args(caller, caller_len, dialed, dialed_len, media, now, out) }?;
        let decision = READERS.with(WHAT, reader, |r| {
            r.route(a.caller, a.dialed, a.media, a.now)
        })?;
        // SAFETY: checked in route_args; writable by the caller's promise.
        unsafe { a.out.write(decision_of(decision)) };
        Ok(())
    })
}

/// Writes the generation of the index the reader currently reads (it grows by one each time the
/// writer rebuilds or restarts) to `*out`.
///
/// # Safety
///
/// `out` must be valid for a write of one `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_reader_generation(
    reader: *const np700_reader,
    out: *mut u64,
) -> np700_status {
    boundary("np700_reader_generation", || {
        let out = Out::new("out", out)?;
        let generation = READERS.with(WHAT, reader, SharedIndex::generation)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(generation) };
        Ok(())
    })
}
