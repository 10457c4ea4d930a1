//! `np700_follower`: a replica that tails a journal directory written by another process (the
//! writer's `np700_registry_open()`), applies its events to its own state and lock-free index,
//! and routes — for a standby platform process or a switch host that follows the writer's
//! journal on shared storage.

use super::args::{NP700_MAX_PATH_LEN, Out, str_arg};
use super::binding::np700_media;
use super::config::{np700_config, settings};
use super::control::{drain_args, drain_chunks, np700_route_record};
use super::handle::Table;
use super::registry::refused;
use super::route::{decision_of, np700_decision, route_args};
use super::status::{Failure, NP700_ERR_NULL, NP700_ERR_TOO_LONG, boundary, np700_status};
use crate::index::layout::Capacity;
use crate::journal::follow::{FollowOptions, Follower};
use std::ffi::c_char;

/// A follower (opaque): a read-only replica of a journaled registry.
///
/// Thread safety: every function taking a `const np700_follower *` may be called from any number
/// of threads at once; `np700_follower_poll()` calls are carried out one at a time and
/// `np700_follower_route()` never waits for them. Freeing while other threads are still inside
/// calls is safe.
#[allow(non_camel_case_types)]
pub struct np700_follower {
    _opaque: [u8; 0],
}

pub(crate) static FOLLOWERS: Table<Follower> = Table::new(4);

const WHAT: &str = "follower";

/// What one `np700_follower_poll()` did.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_follow_progress {
    /// Events applied.
    pub applied: u64,
    /// Events skipped because the follower had them already.
    pub skipped: u64,
    /// Non-zero if the follower reloaded from a snapshot (it had fallen behind the writer's
    /// snapshots); then `reloaded_seq` is the seq of that snapshot.
    pub reloaded: u8,
    /// See `reloaded`.
    pub reloaded_seq: u64,
    /// The seq of the last event the follower holds (0 for none).
    pub last_seq: u64,
}

/// Starts following the journal in directory `dir` (UTF-8, at most `NP700_MAX_PATH_LEN` bytes;
/// it must exist): loads the newest snapshot and the journal after it before returning. The
/// configuration gives the follower's core settings (use the writer's), its index capacity and,
/// with `np700_config_set_shared_path()`, a shared mapping for its own reader processes. On
/// success `*out` is the handle; free it with `np700_follower_free()`.
///
/// The follower never changes the directory: a record still being written is simply not there
/// yet. Errors: `NP700_ERR_CORRUPT_JOURNAL` (acknowledged data damaged), `NP700_ERR_IO`.
///
/// # Safety
///
/// `dir` must be NULL or valid for reads of `dir_len` bytes; `out` valid for a write of one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_follower_open(
    config: *const np700_config,
    dir: *const c_char,
    dir_len: usize,
    out: *mut *mut np700_follower,
) -> np700_status {
    boundary("np700_follower_open", || {
        let out = Out::new("out", out)?;
        // SAFETY: the caller's promise.
        let dir = unsafe { str_arg("dir", dir, dir_len, NP700_MAX_PATH_LEN, NP700_ERR_TOO_LONG) }?;
        if dir.is_empty() {
            return Err(Failure::new(
                NP700_ERR_NULL,
                "dir",
                "a journal directory is required",
            ));
        }
        let s = settings(config)?;
        let options = FollowOptions {
            capacity: Capacity::for_bindings(s.capacity_bindings),
            shared_index: s.shared_path,
        };
        let follower = Follower::open(dir, s.core, options).map_err(refused)?;
        let handle = FOLLOWERS.insert(WHAT, follower)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees a follower. NULL is a no-op (`NP700_OK`); a stale or already freed handle is
/// `NP700_ERR_INVALID_HANDLE`.
///
/// # Safety
///
/// None beyond passing a value returned as an `np700_follower *` (or NULL).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_follower_free(follower: *mut np700_follower) -> np700_status {
    boundary("np700_follower_free", || FOLLOWERS.remove(WHAT, follower))
}

/// Applies what the writer has journaled since the last poll and publishes it to the
/// follower's index; returns at once when there is nothing new. Call it in a loop on a thread of
/// its own, or on a timer: the time between polls is the follower's lag. `*out` (if not NULL)
/// says what was done.
///
/// Errors: `NP700_ERR_CORRUPT_JOURNAL` (damage or a gap: nothing of this poll is applied),
/// `NP700_ERR_IO` (the follower keeps what it has and may be polled again).
///
/// # Safety
///
/// `out` must be NULL or valid for a write of one `np700_follow_progress`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_follower_poll(
    follower: *const np700_follower,
    out: *mut np700_follow_progress,
) -> np700_status {
    boundary("np700_follower_poll", || {
        let out = (!out.is_null()).then(|| Out::new("out", out)).transpose()?;
        let p = FOLLOWERS
            .with(WHAT, follower, Follower::poll)?
            .map_err(refused)?;
        if let Some(out) = out {
            // SAFETY: checked by Out::new; writable by the caller's promise.
            unsafe {
                out.write(np700_follow_progress {
                    applied: p.applied,
                    skipped: p.skipped,
                    reloaded: u8::from(p.reloaded.is_some()),
                    reloaded_seq: p.reloaded.unwrap_or(0),
                    last_seq: p.last_seq,
                })
            };
        }
        Ok(())
    })
}

/// Routes a call or SMS on the follower's index, exactly as `np700_route()` does on a registry
/// (same arguments, statuses and decision). Lock-free; allocates nothing.
///
/// The controls of the follower's configuration apply, counted in the follower's own memory
/// (shared with its readers), not the writer's; its route records go to its own queue, drained
/// with `np700_follower_drain_records()` (or open it from a configuration with
/// `np700_config_set_records(config, false, ...)`).
///
/// # Safety
///
/// As `np700_route()`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_follower_route(
    follower: *const np700_follower,
    caller: *const c_char,
    caller_len: usize,
    dialed: *const c_char,
    dialed_len: usize,
    media: np700_media,
    now: u64,
    out: *mut np700_decision,
) -> np700_status {
    boundary("np700_follower_route", || {
        // SAFETY: the caller's promises.
        let a = unsafe { route_args(caller, caller_len, dialed, dialed_len, media, now, out) }?;
        let decision = FOLLOWERS.with(WHAT, follower, |f| {
            f.route(a.caller, a.dialed, a.media, a.now)
        })?;
        // SAFETY: checked in route_args; writable by the caller's promise.
        unsafe { a.out.write(decision_of(decision)) };
        Ok(())
    })
}

/// Takes up to `capacity` of the follower's own route records (its routes and its readers',
/// counted in its own memory) into `out[0 ..]` and writes how many to `*written`, exactly as
/// `np700_registry_drain_records()` does for a registry (same arguments, same errors; nothing
/// is taken on an error). Call it regularly, or open the follower from a configuration with
/// records disabled: a full queue drops new records (`np700_follower_records_dropped()`).
///
/// # Safety
///
/// `out` must be NULL (with `capacity` 0) or valid for writes of `capacity` records; `written`
/// valid for a write of one `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_follower_drain_records(
    follower: *const np700_follower,
    out: *mut np700_route_record,
    capacity: usize,
    written: *mut usize,
) -> np700_status {
    boundary("np700_follower_drain_records", || {
        let (out, written) = drain_args(out, capacity, written)?;
        let n = FOLLOWERS.with(WHAT, follower, |f| {
            // SAFETY: checked by drain_args; `capacity` records writable by the caller's promise.
            unsafe { drain_chunks(out.as_ref(), capacity, |c| f.drain_records(c)) }
        })?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { written.write(n) };
        Ok(())
    })
}

/// Writes to `*out` how many route records of the follower (its threads and its readers) were
/// lost so far: dropped because its queue was full, plus those abandoned
/// (`np700_follower_records_abandoned()`), as `np700_registry_records_dropped()` counts them.
///
/// # Safety
///
/// `out` must be valid for a write of one `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_follower_records_dropped(
    follower: *const np700_follower,
    out: *mut u64,
) -> np700_status {
    boundary("np700_follower_records_dropped", || {
        let out = Out::new("out", out)?;
        let dropped = FOLLOWERS.with(WHAT, follower, |f| f.records_dropped())?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(dropped) };
        Ok(())
    })
}

/// Writes to `*out` how many of the records counted by `np700_follower_records_dropped()` a
/// router of the follower was killed (or stopped for over 1 s) while queuing, as
/// `np700_registry_records_abandoned()` counts them for a registry.
///
/// # Safety
///
/// `out` must be valid for a write of one `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_follower_records_abandoned(
    follower: *const np700_follower,
    out: *mut u64,
) -> np700_status {
    boundary("np700_follower_records_abandoned", || {
        let out = Out::new("out", out)?;
        let abandoned = FOLLOWERS.with(WHAT, follower, |f| f.records_abandoned())?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(abandoned) };
        Ok(())
    })
}
