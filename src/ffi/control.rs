//! Dynamic controls for C: frequency limits, probing detection and the sizes of the memory
//! routers share for them (configuration setters), and the route records routers queue, drained
//! from C into a caller-provided array.

use super::args::{Out, put_bytes, put_u64};
use super::binding::{
    NP700_MEDIA_ALL, NP700_MEDIA_SMS, NP700_MEDIA_VOICE, NP700_NUMBER_LEN, np700_media,
};
use super::config::{np700_config, with_settings};
use super::registry::{np700_registry, with_registry};
use super::route::{
    NP700_ANNOUNCE_EXPIRED, NP700_ANNOUNCE_SERVICE_ENDED, NP700_DECISION_ANNOUNCE,
    NP700_DECISION_COLLECT_DIGITS, NP700_DECISION_REJECT, NP700_DECISION_ROUTE,
    np700_announce_reason, np700_decision_kind, np700_reject_reason, reject_code,
};
use super::status::{
    Failure, NP700_ERR_BAD_ENUM, NP700_ERR_NULL, NP700_ERR_OUT_OF_RANGE, NP700_ERR_TOO_LONG,
    boundary, np700_status,
};
use crate::binding::Media;
use crate::control::record::{Outcome, RouteRecord};
use crate::control::{Probing, RateLimit, Subject};
use crate::route::AnnounceReason;
use std::ffi::c_char;

/// What a frequency limit counts per (`NP700_LIMIT_SUBJECT_*`).
#[allow(non_camel_case_types)]
pub type np700_limit_subject = u32;
/// Each calling number: every request it makes to a 700 number counts, routed or not.
pub const NP700_LIMIT_SUBJECT_CALLER: np700_limit_subject = 1;
/// Each usage number: every request to it counts, routed or not.
pub const NP700_LIMIT_SUBJECT_USAGE_NUMBER: np700_limit_subject = 2;
/// Each binding: the requests it routes count.
pub const NP700_LIMIT_SUBJECT_BINDING: np700_limit_subject = 3;

/// The most frequency limits one configuration holds.
pub const NP700_MAX_RATE_LIMITS: usize = 16;
const _: () = assert!(NP700_MAX_RATE_LIMITS == crate::control::limits::MAX_LIMITS);

/// The largest value of every control size (counter slots, mark slots, block rules, record
/// shards, records per shard): 2^26.
pub const NP700_MAX_CONTROL_SIZE: u32 = 67_108_864;
const _: () = assert!(NP700_MAX_CONTROL_SIZE == 1 << 26);

fn subject_arg(code: np700_limit_subject) -> Result<Subject, Failure> {
    Ok(match code {
        NP700_LIMIT_SUBJECT_CALLER => Subject::Caller,
        NP700_LIMIT_SUBJECT_USAGE_NUMBER => Subject::UsageNumber,
        NP700_LIMIT_SUBJECT_BINDING => Subject::Binding,
        _ => {
            return Err(Failure::new(
                NP700_ERR_BAD_ENUM,
                "subject",
                "not an NP700_LIMIT_SUBJECT_* value",
            ));
        }
    })
}

/// `NP700_MEDIA_VOICE`, `NP700_MEDIA_SMS`, or `NP700_MEDIA_ALL` for both (`None`).
fn limit_media_arg(code: np700_media) -> Result<Option<Media>, Failure> {
    Ok(match code {
        NP700_MEDIA_VOICE => Some(Media::Voice),
        NP700_MEDIA_SMS => Some(Media::Sms),
        NP700_MEDIA_ALL => None,
        _ => {
            return Err(Failure::new(
                NP700_ERR_BAD_ENUM,
                "media",
                "not NP700_MEDIA_VOICE, NP700_MEDIA_SMS or NP700_MEDIA_ALL",
            ));
        }
    })
}

/// A count or duration that must be at least 1.
fn positive(what: &'static str, value: u32) -> Result<u32, Failure> {
    if value == 0 {
        return Err(Failure::new(
            NP700_ERR_OUT_OF_RANGE,
            what,
            "must be at least 1",
        ));
    }
    Ok(value)
}

/// A control size: 1 ..= `NP700_MAX_CONTROL_SIZE`.
fn size_arg(what: &'static str, value: u32) -> Result<u32, Failure> {
    if value == 0 || value > NP700_MAX_CONTROL_SIZE {
        return Err(Failure::new(
            NP700_ERR_OUT_OF_RANGE,
            what,
            "not in 1 ..= NP700_MAX_CONTROL_SIZE",
        ));
    }
    Ok(value)
}

/// Adds a frequency limit: "at most `max` requests per `subject` in each window of
/// `window_secs` seconds". Windows are fixed and aligned to the Unix epoch (a 60 s limit resets
/// on the minute); the request past the limit and every later one in the window are refused
/// with `NP700_REJECT_RATE_LIMITED` (SIP 486). The limit holds across every router of a
/// registry made from this configuration: its threads and the reader processes attached to its
/// shared index.
///
/// - `subject`: an `NP700_LIMIT_SUBJECT_*` value (else `NP700_ERR_BAD_ENUM`).
/// - `media`: which requests count: `NP700_MEDIA_VOICE`, `NP700_MEDIA_SMS`, or
///   `NP700_MEDIA_ALL` for both (else `NP700_ERR_BAD_ENUM`).
/// - `window_secs`: 1 ..= `UINT32_MAX` (0 is `NP700_ERR_OUT_OF_RANGE`); e.g. 60, 3600, 86400.
/// - `max`: requests allowed per window, 1 ..= `UINT32_MAX` (0 is `NP700_ERR_OUT_OF_RANGE`).
///
/// A configuration holds at most `NP700_MAX_RATE_LIMITS` limits: one more is
/// `NP700_ERR_TOO_LONG` (and changes nothing). No limits by default; see
/// `np700_config_clear_rate_limits()`.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_add_rate_limit(
    config: *mut np700_config,
    subject: np700_limit_subject,
    media: np700_media,
    window_secs: u32,
    max: u32,
) -> np700_status {
    boundary("np700_config_add_rate_limit", || {
        let limit = RateLimit {
            subject: subject_arg(subject)?,
            media: limit_media_arg(media)?,
            window_secs: positive("window_secs", window_secs)?,
            max: positive("max", max)?,
        };
        with_settings(config, |s| {
            let limits = &mut s.core.controls.limits;
            if limits.len() >= NP700_MAX_RATE_LIMITS {
                return Err(Failure::new(
                    NP700_ERR_TOO_LONG,
                    "limits",
                    "the configuration holds NP700_MAX_RATE_LIMITS limits already",
                ));
            }
            limits.push(limit);
            Ok(())
        })
    })
}

/// Removes every frequency limit of the configuration (the default: none).
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_clear_rate_limits(config: *mut np700_config) -> np700_status {
    boundary("np700_config_clear_rate_limits", || {
        with_settings(config, |s| {
            s.core.controls.limits.clear();
            Ok(())
        })
    })
}

/// Sets probing detection: a caller that dials more than `distinct_numbers` different 700
/// numbers within a window of `window_secs` seconds is blocked for `block_secs` seconds
/// (`NP700_REJECT_AUTO_BLOCKED`, SIP 403), at once in every router of the registry, and the
/// block is journaled as an automatic block rule.
///
/// `(0, 0, 0)` turns probing off (the default). Otherwise each value is 1 ..= `UINT32_MAX`: a
/// zero among non-zero values is `NP700_ERR_OUT_OF_RANGE`.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_probing(
    config: *mut np700_config,
    distinct_numbers: u32,
    window_secs: u32,
    block_secs: u32,
) -> np700_status {
    boundary("np700_config_set_probing", || {
        let probing = if (distinct_numbers, window_secs, block_secs) == (0, 0, 0) {
            None
        } else {
            Some(Probing {
                distinct_numbers: positive("distinct_numbers", distinct_numbers)?,
                window_secs: positive("window_secs", window_secs)?,
                block_secs: positive("block_secs", block_secs)?,
            })
        };
        with_settings(config, |s| {
            s.core.controls.probing = probing;
            Ok(())
        })
    })
}

/// Sets the route records: with `enabled`, every route decision (on the registry's threads and
/// on reader processes of its shared index) queues an `np700_route_record` for
/// `np700_registry_drain_records()`. The queue has `record_shards` shards (routers pick one by
/// thread, so threads seldom share one) of `records_per_shard` records each; a full shard drops
/// new records and counts them (`np700_registry_records_dropped()`) instead of making a router
/// wait. Both sizes are 1 ..= `NP700_MAX_CONTROL_SIZE` (else `NP700_ERR_OUT_OF_RANGE`), also
/// when disabled. A record takes 64 bytes of queue; the memory is mapped when a registry is
/// created (touched as it fills), and a total that cannot be mapped is `NP700_ERR_IO` there.
///
/// The default: enabled, 4 shards of 16384 records. Disabled, with no limits and no probing, a
/// route runs no dynamic control at all.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_records(
    config: *mut np700_config,
    enabled: bool,
    record_shards: u32,
    records_per_shard: u32,
) -> np700_status {
    boundary("np700_config_set_records", || {
        let shards = size_arg("record_shards", record_shards)?;
        let per_shard = size_arg("records_per_shard", records_per_shard)?;
        with_settings(config, |s| {
            let c = &mut s.core.controls;
            c.records = enabled;
            c.record_shards = shards;
            c.records_per_shard = per_shard;
            Ok(())
        })
    })
}

/// Sets the sizes of the tables routers share for the controls, each 1 ..=
/// `NP700_MAX_CONTROL_SIZE` (else `NP700_ERR_OUT_OF_RANGE`):
///
/// - `counter_slots`: counter slots per frequency limit (and for probing): about twice the
///   subjects active in one window. A request whose subject finds no free slot is let through
///   uncounted (`np700_registry_untracked()`). Default 131072.
/// - `mark_slots`: slots for automatic-block marks: about twice the callers blocked at once.
///   Default 8192.
/// - `block_rules`: block rules the routers' table holds. Default 65536.
///
/// Each counter slot takes 8 bytes per limit (and two tables for probing), each mark slot 8
/// bytes; a total that cannot be mapped is `NP700_ERR_IO` when a registry is created.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_control_sizes(
    config: *mut np700_config,
    counter_slots: u32,
    mark_slots: u32,
    block_rules: u32,
) -> np700_status {
    boundary("np700_config_set_control_sizes", || {
        let counter_slots = size_arg("counter_slots", counter_slots)?;
        let mark_slots = size_arg("mark_slots", mark_slots)?;
        let block_rules = size_arg("block_rules", block_rules)?;
        with_settings(config, |s| {
            let c = &mut s.core.controls;
            c.counter_slots = counter_slots;
            c.mark_slots = mark_slots;
            c.block_rules = block_rules;
            Ok(())
        })
    })
}

/// One route decision as a switch asked for it and np700 answered, drained with
/// `np700_registry_drain_records()`. Fixed-size; fields that do not apply are zero (strings
/// empty).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_route_record {
    /// When it was routed: the `now` the switch passed, seconds since the Unix epoch.
    pub at: u64,
    /// The binding that decided it (routed requests, and refusals a binding's policy made), or 0.
    pub binding_id: u64,
    /// The tenant holding the dialled number when known (always for a routed request), or 0.
    pub tenant: u32,
    /// `NP700_MEDIA_VOICE` or `NP700_MEDIA_SMS`.
    pub media: np700_media,
    /// `NP700_DECISION_*`: how it was answered.
    pub kind: np700_decision_kind,
    /// REJECT: `NP700_REJECT_*`.
    pub reject: np700_reject_reason,
    /// ANNOUNCE: `NP700_ANNOUNCE_*`.
    pub announce: np700_announce_reason,
    /// REJECT: the SIP final response a switch would have sent.
    pub sip_status: u16,
    /// The caller, `+` and E.164 digits, when its number could be read.
    pub caller: [c_char; NP700_NUMBER_LEN],
    /// The usage number dialled (15 digits), when a complete one was.
    pub dialed: [c_char; NP700_NUMBER_LEN],
    /// ROUTE: the first destination, `+` and E.164 digits.
    pub to: [c_char; NP700_NUMBER_LEN],
    /// ROUTE: the usage number shown to the callee (15 digits).
    pub display: [c_char; NP700_NUMBER_LEN],
}

const EMPTY: np700_route_record = np700_route_record {
    at: 0,
    binding_id: 0,
    tenant: 0,
    media: 0,
    kind: 0,
    reject: 0,
    announce: 0,
    sip_status: 0,
    caller: [0; NP700_NUMBER_LEN],
    dialed: [0; NP700_NUMBER_LEN],
    to: [0; NP700_NUMBER_LEN],
    display: [0; NP700_NUMBER_LEN],
};

/// The C form of a record. Allocation-free.
fn record_of(r: &RouteRecord) -> np700_route_record {
    let mut out = EMPTY;
    out.at = r.at.unix_secs();
    out.binding_id = r.binding.map_or(0, |b| b.raw());
    out.tenant = r.tenant.map_or(0, |t| t.raw());
    out.media = match r.media {
        Media::Voice => NP700_MEDIA_VOICE,
        Media::Sms => NP700_MEDIA_SMS,
    };
    match r.outcome {
        Outcome::Routed => out.kind = NP700_DECISION_ROUTE,
        Outcome::CollectDigits => out.kind = NP700_DECISION_COLLECT_DIGITS,
        Outcome::Announced(reason) => {
            out.kind = NP700_DECISION_ANNOUNCE;
            out.announce = match reason {
                AnnounceReason::ServiceEnded => NP700_ANNOUNCE_SERVICE_ENDED,
                AnnounceReason::Expired => NP700_ANNOUNCE_EXPIRED,
            };
        }
        Outcome::Rejected(reason) => {
            out.kind = NP700_DECISION_REJECT;
            out.reject = reject_code(reason);
            out.sip_status = reason.sip_status();
        }
    }
    if let Some(c) = r.caller {
        out.caller = put_bytes(c.to_digits().as_str().as_bytes());
    }
    if let Some(d) = r.dialed {
        out.dialed = put_u64(d.value());
    }
    if let Some(t) = r.to {
        out.to = put_bytes(t.to_digits().as_str().as_bytes());
    }
    if let Some(d) = r.display {
        out.display = put_u64(d.value());
    }
    out
}

/// Records taken from the queues per step, through a buffer on the stack.
const CHUNK: usize = 64;

/// Takes up to `capacity` route records from the registry's queues into `out[0 ..]` and writes
/// how many to `*written` (0 when there are none). The queues are filled by every router of the
/// registry: its own `np700_route()` calls and, with a shared index, the `np700_reader_route()`
/// calls of every attached reader process — readers do not drain, the writer drains for them.
/// Records of one thread come out in the order it routed them; across threads, no order.
///
/// Call it regularly (e.g. every 100 ms, until it returns fewer than `capacity`): a full queue
/// drops new records (`np700_registry_records_dropped()`) rather than make a router wait. A
/// record whose router was killed while queuing it holds back the later records of its queue
/// shard until a drain finds it still unfinished 1 s after first finding it so, and gives it up
/// (`np700_registry_records_abandoned()`).
/// `(NULL, 0)` drains nothing. Allocates nothing; may run alongside routes and writes, but two
/// concurrent drains take turns and may each get part of the records.
///
/// Errors: `out` NULL with a non-zero capacity, or misaligned; `written` NULL or misaligned
/// (`NP700_ERR_NULL`); a stale handle. Nothing is taken from the queues on an error.
///
/// # Safety
///
/// `out` must be NULL (with `capacity` 0) or valid for writes of `capacity` records; `written`
/// valid for a write of one `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_drain_records(
    registry: *const np700_registry,
    out: *mut np700_route_record,
    capacity: usize,
    written: *mut usize,
) -> np700_status {
    boundary("np700_registry_drain_records", || {
        let (out, written) = drain_args(out, capacity, written)?;
        let n = with_registry(registry, |r| {
            // SAFETY: checked by drain_args; `capacity` records writable by the caller's promise.
            unsafe { drain_chunks(out.as_ref(), capacity, |c| r.drain_records(c)) }
        })?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { written.write(n) };
        Ok(())
    })
}

/// Checks a drain's arguments: `written` non-NULL and aligned; `out` NULL only with a zero
/// capacity, and aligned (`NP700_ERR_NULL`).
pub(crate) fn drain_args(
    out: *mut np700_route_record,
    capacity: usize,
    written: *mut usize,
) -> Result<(Option<Out<np700_route_record>>, Out<usize>), Failure> {
    let written = Out::new("written", written)?;
    let out = if capacity == 0 {
        None
    } else {
        Some(Out::new("out", out).map_err(|f| {
            if out.is_null() {
                Failure::new(NP700_ERR_NULL, "out", "NULL with a non-zero capacity")
            } else {
                f
            }
        })?)
    };
    Ok((out, written))
}

/// Takes up to `capacity` records with `take` (a queue's drain) through a buffer on the stack,
/// converting each into `out[i]`; returns how many. Allocation-free.
///
/// # Safety
///
/// `out`, when given, must be checked by [`drain_args`] and valid for writes of `capacity`
/// records.
pub(crate) unsafe fn drain_chunks(
    out: Option<&Out<np700_route_record>>,
    capacity: usize,
    mut take: impl FnMut(&mut [RouteRecord]) -> usize,
) -> usize {
    let Some(out) = out else {
        return 0;
    };
    let base = out.ptr();
    let mut chunk = [RouteRecord::EMPTY; CHUNK];
    let mut done = 0;
    while done < capacity {
        let want = (capacity - done).min(CHUNK);
        let got = take(&mut chunk[..want]).min(want);
        for (i, rec) in chunk[..got].iter().enumerate() {
            // SAFETY: `base` is non-NULL and aligned (Out::new), and `done + i` < `capacity`,
            // within the array the caller promises.
            unsafe { base.add(done + i).write(record_of(rec)) };
        }
        done += got;
        if got < want {
            break;
        }
    }
    done
}

/// Writes to `*out` how many route records of the registry's routers (its threads and its
/// readers) were lost so far: dropped because their queue was full, plus those abandoned
/// (`np700_registry_records_abandoned()`). Reports and the archive count them as incomplete.
///
/// # Safety
///
/// `out` must be valid for a write of one `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_records_dropped(
    registry: *const np700_registry,
    out: *mut u64,
) -> np700_status {
    boundary("np700_registry_records_dropped", || {
        let out = Out::new("out", out)?;
        let dropped = with_registry(registry, |r| r.records_dropped())?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(dropped) };
        Ok(())
    })
}

/// Writes to `*out` how many of the records counted by `np700_registry_records_dropped()` a
/// router had begun to queue and never finished: a reader process killed (SIGKILL, the OOM
/// killer) between claiming a queue cell and publishing its record, or stopped there for over
/// 1 s. `np700_registry_drain_records()` gives such a cell up once it has stayed unpublished
/// for 1 s, so the later records of that queue shard are delayed by at most that much instead
/// of lost until the writer restarts (the cell is not used again: that shard holds one record
/// less until then). A stopped reader that resumes after its cell was given up changes
/// nothing: its record stays counted here, once, and is never delivered.
///
/// # Safety
///
/// `out` must be valid for a write of one `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_records_abandoned(
    registry: *const np700_registry,
    out: *mut u64,
) -> np700_status {
    boundary("np700_registry_records_abandoned", || {
        let out = Out::new("out", out)?;
        let abandoned = with_registry(registry, |r| r.records_abandoned())?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(abandoned) };
        Ok(())
    })
}

/// Writes to `*out` how many requests the registry's routers (its threads and its readers) let
/// through uncounted so far because a counter table had no free slot for their subject (see
/// `counter_slots` of `np700_config_set_control_sizes()`). Non-zero means the tables are too
/// small for the traffic.
///
/// # Safety
///
/// `out` must be valid for a write of one `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_untracked(
    registry: *const np700_registry,
    out: *mut u64,
) -> np700_status {
    boundary("np700_registry_untracked", || {
        let out = Out::new("out", out)?;
        let untracked = with_registry(registry, |r| r.region().untracked())?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(untracked) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::super::config::{np700_config_free, np700_config_new, settings};
    use super::*;
    use crate::binding::BindingId;
    use crate::number::{SubscriberNumber, UsageNumber};
    use crate::route::RejectReason;
    use crate::tenant::TenantId;
    use crate::time::Timestamp;
    use std::ffi::CStr;

    fn text(a: &[c_char]) -> &str {
        // SAFETY: the arrays are NUL-terminated by put_bytes.
        unsafe { CStr::from_ptr(a.as_ptr()) }.to_str().unwrap()
    }

    #[test]
    fn setters_build_controls_that_validate() {
        let mut cfg: *mut np700_config = std::ptr::null_mut();
        unsafe {
            assert_eq!(np700_config_new(&mut cfg), 0);
            for _ in 0..NP700_MAX_RATE_LIMITS {
                let st = np700_config_add_rate_limit(
                    cfg,
                    NP700_LIMIT_SUBJECT_BINDING,
                    NP700_MEDIA_ALL,
                    60,
                    1,
                );
                assert_eq!(st, 0);
            }
            let st = np700_config_add_rate_limit(cfg, NP700_LIMIT_SUBJECT_CALLER, 1, 1, 1);
            assert_eq!(st, NP700_ERR_TOO_LONG);
            assert_eq!(np700_config_set_probing(cfg, 3, 60, 600), 0);
            assert_eq!(np700_config_set_records(cfg, false, 2, 8), 0);
            assert_eq!(np700_config_set_control_sizes(cfg, 16, 8, 4), 0);
            let c = settings(cfg).unwrap().core.controls;
            assert_eq!(c.validate(), Ok(()));
            assert_eq!(c.limits.len(), NP700_MAX_RATE_LIMITS);
            assert_eq!(c.limits[0].subject, Subject::Binding);
            assert_eq!(c.limits[0].media, None);
            assert_eq!(
                c.probing,
                Some(Probing {
                    distinct_numbers: 3,
                    window_secs: 60,
                    block_secs: 600
                })
            );
            assert!(!c.records);
            assert_eq!((c.record_shards, c.records_per_shard), (2, 8));
            assert_eq!((c.counter_slots, c.mark_slots, c.block_rules), (16, 8, 4));
            assert_eq!(np700_config_clear_rate_limits(cfg), 0);
            assert_eq!(np700_config_set_probing(cfg, 0, 0, 0), 0);
            let c = settings(cfg).unwrap().core.controls;
            assert!(c.limits.is_empty() && c.probing.is_none());
            assert_eq!(np700_config_free(cfg), 0);
        }
    }

    #[test]
    fn sizes_too_big_for_memory_fail_at_creation_instead_of_aborting() {
        use super::super::registry::{np700_registry, np700_registry_free, np700_registry_new};
        use super::super::status::NP700_ERR_IO;
        let mut cfg: *mut np700_config = std::ptr::null_mut();
        let mut reg: *mut np700_registry = std::ptr::null_mut();
        unsafe {
            assert_eq!(np700_config_new(&mut cfg), 0);
            let max = NP700_MAX_CONTROL_SIZE;
            assert_eq!(np700_config_set_records(cfg, true, max, max), 0);
            assert_eq!(np700_registry_new(cfg, &mut reg), NP700_ERR_IO);
            assert!(reg.is_null());
            assert_eq!(np700_config_set_records(cfg, true, 1, 8), 0);
            assert_eq!(np700_registry_new(cfg, &mut reg), 0);
            assert_eq!(np700_registry_free(reg), 0);
            assert_eq!(np700_config_free(cfg), 0);
        }
    }

    #[test]
    fn records_convert_field_by_field() {
        let x = UsageNumber::new(700_123_456_780_001).unwrap();
        let r = RouteRecord {
            at: Timestamp::from_unix_secs(1_767_225_600),
            media: Media::Sms,
            caller: Some(SubscriberNumber::parse("13800000001").unwrap()),
            dialed: Some(x),
            tenant: Some(TenantId::from_raw(7)),
            binding: Some(BindingId::from_raw(42)),
            to: Some(SubscriberNumber::parse("+442071234567").unwrap()),
            display: Some(x),
            outcome: Outcome::Routed,
        };
        let c = record_of(&r);
        assert_eq!((c.at, c.binding_id, c.tenant), (1_767_225_600, 42, 7));
        assert_eq!(
            (c.media, c.kind, c.reject, c.announce, c.sip_status),
            (2, 1, 0, 0, 0)
        );
        assert_eq!(text(&c.caller), "+8613800000001");
        assert_eq!(text(&c.dialed), "700123456780001");
        assert_eq!(text(&c.to), "+442071234567");
        assert_eq!(text(&c.display), "700123456780001");
        let c = record_of(&RouteRecord {
            outcome: Outcome::Rejected(RejectReason::RateLimited),
            ..RouteRecord::EMPTY
        });
        assert_eq!(
            (c.kind, c.reject, c.sip_status),
            (NP700_DECISION_REJECT, 16, 486)
        );
        assert_eq!(
            (c.media, text(&c.caller), text(&c.to)),
            (NP700_MEDIA_VOICE, "", "")
        );
        let c = record_of(&RouteRecord {
            outcome: Outcome::Announced(AnnounceReason::Expired),
            ..RouteRecord::EMPTY
        });
        assert_eq!(
            (c.kind, c.announce),
            (NP700_DECISION_ANNOUNCE, NP700_ANNOUNCE_EXPIRED)
        );
    }
}
