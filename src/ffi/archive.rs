//! The archive and reports from C: the archive's options, call records, "what did this number
//! route to at time T", archiving the route records, and the regulator's report as JSON in a
//! caller's buffer.

use super::args::{NP700_MAX_NUMBER_LEN, Out, TextOut, put_bytes, put_u64, str_arg, time_arg};
use super::binding::{NP700_NUMBER_LEN, mode_code, np700_mode};
use super::config::{np700_config, with_settings};
use super::registry::{np700_registry, refused, with_registry};
use super::route::NP700_MAX_TARGETS;
use super::status::{Failure, NP700_ERR_OUT_OF_RANGE, NP700_ERR_TOO_LONG, boundary, np700_status};
use crate::archive::{ArchiveOptions, HistoryHit};
use crate::binding::BindingId;
use crate::control::record::{CallEnd, RouteRecord};
use crate::number::{SubscriberNumber, UsageNumber};
use crate::report::Period;
use std::ffi::c_char;

/// The longest retention accepted, in seconds (10 years).
pub const NP700_MAX_RETENTION_SECS: u64 = 10 * 366 * 24 * 3600;
/// The archive's default retention, in seconds: 183 days (about six months, what a draft
/// standard asks for bindings and records).
pub const NP700_DEFAULT_RETENTION_SECS: u64 = 183 * 86_400;
const _: () = assert!(NP700_DEFAULT_RETENTION_SECS == crate::archive::DEFAULT_RETENTION_SECS);

/// Sets whether registries opened from this configuration with `np700_registry_open()` keep an
/// archive (in `<journal dir>/archive/`, one file per Beijing day): route records
/// (`np700_registry_archive_drained()`), call records (`np700_registry_end_call()`) and the
/// history of ended bindings (`np700_registry_history()`), the basis of `np700_registry_report()`.
/// Day files older than `retention_secs` are removed (by sweeps, once a day).
///
/// `retention_secs` is 1 ..= `NP700_MAX_RETENTION_SECS` (else `NP700_ERR_OUT_OF_RANGE`), also
/// when disabled. The default: enabled, `NP700_DEFAULT_RETENTION_SECS`. No effect on
/// `np700_registry_new()` (a registry without a journal keeps no archive).
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_archive(
    config: *mut np700_config,
    enabled: bool,
    retention_secs: u64,
) -> np700_status {
    boundary("np700_config_set_archive", || {
        if retention_secs == 0 || retention_secs > NP700_MAX_RETENTION_SECS {
            return Err(Failure::new(
                NP700_ERR_OUT_OF_RANGE,
                "retention_secs",
                "not in 1 ..= NP700_MAX_RETENTION_SECS",
            ));
        }
        with_settings(config, |s| {
            s.archive = ArchiveOptions {
                enabled,
                retention_secs,
                ..ArchiveOptions::default()
            };
            Ok(())
        })
    })
}

/// A number argument parsed by `parse`.
///
/// # Safety
///
/// As `str_arg`.
unsafe fn number_arg<T>(
    what: &'static str,
    ptr: *const c_char,
    len: usize,
    parse: impl FnOnce(&[u8]) -> Result<T, crate::number::NumberError>,
) -> Result<T, Failure> {
    // SAFETY: forwarded from the caller.
    let s = unsafe { str_arg(what, ptr, len, NP700_MAX_NUMBER_LEN, NP700_ERR_TOO_LONG) }?;
    parse(s.as_bytes()).map_err(|e| Failure::number(what, e))
}

/// Records how a routed call ended, as the switch reports it at `now`: links it to its binding
/// (its tenant, and where the call went) and archives the call record (durable at the next
/// flush: the next `np700_registry_archive_drained()`). The binding is looked up among the live
/// ones, then in the archive's history (from `started_at` on), so a call that outlasts its
/// binding is still recorded.
///
/// - `binding_id`: the binding of the route decision (`np700_decision.binding_id`).
/// - `caller`: the caller (a subscriber number in any form; `NP700_ERR_BAD_NUMBER`).
/// - `dialed`: the usage number dialled (15 digits in any dial form; `NP700_ERR_BAD_NUMBER`).
/// - `started_at`: when the call was set up (the `now` of its route); `answered`,
///   `duration_secs` (0 if unanswered), `release_cause` (ITU-T Q.850; 16 = normal clearing).
///
/// `NP700_ERR_UNKNOWN_BINDING` when neither the state nor the archive knows the binding. A
/// registry without an archive (no journal, or the archive disabled) checks the binding and
/// keeps nothing.
///
/// # Safety
///
/// `caller` and `dialed` must be NULL or valid for reads of their lengths.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_registry_end_call(
    registry: *const np700_registry,
    binding_id: u64,
    caller: *const c_char,
    caller_len: usize,
    dialed: *const c_char,
    dialed_len: usize,
    started_at: u64,
    answered: bool,
    duration_secs: u32,
    release_cause: u16,
    now: u64,
) -> np700_status {
    boundary("np700_registry_end_call", || {
        // SAFETY: the caller's promises.
        let caller =
            unsafe { number_arg("caller", caller, caller_len, SubscriberNumber::parse_bytes) }?;
        // SAFETY: the caller's promises.
        let dialed = unsafe { number_arg("dialed", dialed, dialed_len, UsageNumber::parse_bytes) }?;
        let call = CallEnd {
            binding: BindingId::from_raw(binding_id),
            caller,
            dialed,
            started_at: time_arg("started_at", started_at)?,
            answered,
            duration_secs,
            release_cause,
        };
        let now = time_arg("now", now)?;
        with_registry(registry, |r| r.end_call(call, now))?.map_err(refused)?;
        Ok(())
    })
}

/// What `np700_registry_history()` found. Fixed-size; when `found` is false every other field
/// is zero (strings empty).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_history_hit {
    /// Whether a binding carried the (usage number, caller) at that time.
    pub found: bool,
    /// Whether that binding is still live (answered from the state, not the archive).
    pub live: bool,
    /// The binding.
    pub binding_id: u64,
    /// Its tenant.
    pub tenant: u32,
    /// Its mode (`NP700_MODE_*`).
    pub mode: np700_mode,
    /// When the binding version in force began (seconds since the Unix epoch).
    pub from: u64,
    /// When it ended, exclusive (for a live binding: its expiry; `NP700_TIME_NEVER` for none).
    pub until: u64,
    /// How many entries of `to` are set (0: AXN's A without N, which was refused).
    pub to_count: u32,
    /// The number shown to the callee, 15 digits, NUL-terminated.
    pub display: [c_char; NP700_NUMBER_LEN],
    /// Where the call went, in ringing order, each `+` and E.164 digits, NUL-terminated.
    pub to: [[c_char; NP700_NUMBER_LEN]; NP700_MAX_TARGETS],
}

const NO_HIT: np700_history_hit = np700_history_hit {
    found: false,
    live: false,
    binding_id: 0,
    tenant: 0,
    mode: 0,
    from: 0,
    until: 0,
    to_count: 0,
    display: [0; NP700_NUMBER_LEN],
    to: [[0; NP700_NUMBER_LEN]; NP700_MAX_TARGETS],
};

fn hit_of(h: &HistoryHit) -> np700_history_hit {
    let mut out = NO_HIT;
    out.found = true;
    out.live = h.live;
    out.binding_id = h.binding.raw();
    out.tenant = h.tenant.raw();
    out.mode = mode_code(h.mode);
    out.from = h.from.unix_secs();
    out.until = h.until.unix_secs();
    out.display = put_u64(h.display.value());
    for (slot, to) in out.to.iter_mut().zip(h.to.iter()) {
        *slot = put_bytes(to.to_digits().as_str().as_bytes());
        out.to_count += 1;
    }
    out
}

/// Answers "`caller` dialled `usage_number` at time `at`: which binding carried it, and where
/// did it go?" into `*out` — for complaints and the regulator's enquiries. A live binding whose
/// current version was in force at `at` answers first, else the archive's history of ended and
/// updated binding versions. Nothing found is not an error: `out->found` is false.
///
/// - `usage_number`: 15 digits in any dial form; `caller`: a subscriber number in any form
///   (both `NP700_ERR_BAD_NUMBER` otherwise).
/// - `at`: seconds since the Unix epoch (at most `NP700_TIME_MAX`).
///
/// Without an archive only live bindings answer (a binding updated since `at` as it is now).
/// Reads the archive's day files from `at`'s day on, without holding up writes or routes:
/// for enquiries, not for every call. `NP700_ERR_CORRUPT_JOURNAL` when an archive file is
/// damaged.
///
/// # Safety
///
/// `usage_number` and `caller` must be NULL or valid for reads of their lengths; `out` valid
/// for a write of one `np700_history_hit`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_history(
    registry: *const np700_registry,
    usage_number: *const c_char,
    usage_number_len: usize,
    caller: *const c_char,
    caller_len: usize,
    at: u64,
    out: *mut np700_history_hit,
) -> np700_status {
    boundary("np700_registry_history", || {
        let out = Out::new("out", out)?;
        // SAFETY: the caller's promises.
        let x = unsafe {
            number_arg(
                "usage_number",
                usage_number,
                usage_number_len,
                UsageNumber::parse_bytes,
            )
        }?;
        // SAFETY: the caller's promises.
        let caller =
            unsafe { number_arg("caller", caller, caller_len, SubscriberNumber::parse_bytes) }?;
        let at = time_arg("at", at)?;
        let hit = with_registry(registry, |r| r.history(x, caller, at))?.map_err(refused)?;
        let hit = hit.as_ref().map_or(NO_HIT, hit_of);
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(hit) };
        Ok(())
    })
}

/// Records per step of `np700_registry_archive_drained()`.
const ARCHIVE_CHUNK: usize = 1024;

/// One drain of the route records into the archive at `now`: takes up to `max_records` records
/// from the registry's queues (as `np700_registry_drain_records()` does), archives them with
/// the number the queues dropped since the last call (stamped `now`, so reports say how
/// complete they are), and flushes, so they — and the call records before them — are durable
/// when it returns. Writes how many records it took to `*archived`. Call it regularly (e.g.
/// every 100 ms) instead of `np700_registry_drain_records()`; `max_records` 0 archives and
/// flushes the drop count only.
///
/// Without an archive (no journal, or the archive disabled) the records are taken and dropped.
/// Errors: `NP700_ERR_IO` or `NP700_ERR_JOURNAL_HALTED` when the archive cannot be written (the
/// records taken are then lost, and the archive halts until the registry is reopened).
///
/// # Safety
///
/// `archived` must be valid for a write of one `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_archive_drained(
    registry: *const np700_registry,
    max_records: usize,
    now: u64,
    archived: *mut usize,
) -> np700_status {
    boundary("np700_registry_archive_drained", || {
        let out = Out::new("archived", archived)?;
        let now = time_arg("now", now)?;
        let n = with_registry(registry, |r| {
            let mut buf = vec![RouteRecord::EMPTY; ARCHIVE_CHUNK.min(max_records)];
            let mut done = 0;
            loop {
                let want = (max_records - done).min(ARCHIVE_CHUNK);
                let got = r.archive_drained(&mut buf[..want], now)?;
                done += got;
                if got < want || want == 0 || done == max_records {
                    return Ok(done);
                }
            }
        })?
        .map_err(refused)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(n) };
        Ok(())
    })
}

/// Writes the regulator's report of the period `[period_from, period_to)` as it stands at `now`
/// into `buf`: pretty-printed JSON, every field described in `docs/REPORTS.md` — number
/// resources, usage and live bindings per tenant and for the platform (as of `now`), route
/// decisions by outcome and reason, records dropped and bindings made (over the period, from
/// the archive; empty without one).
///
/// - `period_from <= period_to`, both at most `NP700_TIME_MAX`; `now` too
///   (`NP700_ERR_OUT_OF_RANGE`).
/// - `buf`, `buf_len`, `needed`: as for `np700_registry_export()`: if the report and its NUL fit
///   it is copied and `NP700_OK` returned; otherwise `NP700_ERR_BUFFER_TOO_SMALL` with `buf`
///   untouched. `(NULL, 0)` asks for the size alone; `needed`, if not NULL, receives the size
///   including the NUL on success and on `NP700_ERR_BUFFER_TOO_SMALL` alike. With no write and
///   no archived records in between, a second call with `*needed` bytes succeeds.
///
/// Reads the archive from the period's first day on without holding up writes or routes, then
/// the state under the writer's lock: for a periodic job, not for every call.
/// `NP700_ERR_CORRUPT_JOURNAL` when an archive file is damaged.
///
/// # Safety
///
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `needed` NULL or valid for a write
/// of one `size_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_registry_report(
    registry: *const np700_registry,
    period_from: u64,
    period_to: u64,
    now: u64,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> np700_status {
    boundary("np700_registry_report", || {
        let text_out = TextOut::new(buf, buf_len, needed)?;
        let from = time_arg("period_from", period_from)?;
        let to = time_arg("period_to", period_to)?;
        if from > to {
            return Err(Failure::new(
                NP700_ERR_OUT_OF_RANGE,
                "period",
                "period_from after period_to",
            ));
        }
        let now = time_arg("now", now)?;
        let report =
            with_registry(registry, |r| r.report(Period { from, to }, now))?.map_err(refused)?;
        let json = report.to_json();
        // SAFETY: the caller's promises for `buf` and `needed`.
        unsafe { text_out.write(&json, "smaller than the report and its NUL (see `needed`)") }
    })
}
