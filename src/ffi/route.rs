//! Route decisions in a caller-owned struct: `np700_route()` fills it without allocating.

use super::args::{NP700_MAX_NUMBER_LEN, Out, put_bytes, put_u64, str_arg, time_arg};
use super::binding::{
    NP700_MEDIA_SMS, NP700_MEDIA_VOICE, NP700_NUMBER_LEN, mode_code, np700_media, np700_mode,
};
use super::registry::{np700_registry, with_registry};
use super::status::{
    Failure, NP700_ERR_BAD_ENUM, NP700_ERR_TOO_LONG, boundary, infallible, np700_status,
};
use crate::binding::{MAX_GROUP_MEMBERS, Media};
use crate::route::{AnnounceReason, Decision, RejectReason};
use crate::time::Timestamp;
use std::ffi::c_char;

/// What a switch should do (`NP700_DECISION_*`).
#[allow(non_camel_case_types)]
pub type np700_decision_kind = u32;
/// Connect to `targets`, presenting `display`.
pub const NP700_DECISION_ROUTE: np700_decision_kind = 1;
/// Only part of a 700 number was dialled: collect `digits_needed` more digits and ask again.
pub const NP700_DECISION_COLLECT_DIGITS: np700_decision_kind = 2;
/// Play the announcement `announce` and release.
pub const NP700_DECISION_ANNOUNCE: np700_decision_kind = 3;
/// Refuse with `reject` (`sip_status` is the SIP final response to send).
pub const NP700_DECISION_REJECT: np700_decision_kind = 4;

/// Why the caller hears an announcement (`NP700_ANNOUNCE_*`).
#[allow(non_camel_case_types)]
pub type np700_announce_reason = u32;
/// The binding was released; the number is in quarantine for this caller ("service ended").
pub const NP700_ANNOUNCE_SERVICE_ENDED: np700_announce_reason = 1;
/// The binding expired; the number is in quarantine for this caller.
pub const NP700_ANNOUNCE_EXPIRED: np700_announce_reason = 2;

/// Why a call is refused (`NP700_REJECT_*`); append-only like the statuses.
#[allow(non_camel_case_types)]
pub type np700_reject_reason = u32;
/// The dialled string is not a number at all (SIP 484).
pub const NP700_REJECT_MALFORMED_NUMBER: np700_reject_reason = 1;
/// Not a 700 number, or one not licensed to this platform (SIP 404).
pub const NP700_REJECT_NOT_OURS: np700_reject_reason = 2;
/// Licensed but held by no tenant (SIP 404).
pub const NP700_REJECT_UNASSIGNED: np700_reject_reason = 3;
/// No live binding on the number (SIP 404).
pub const NP700_REJECT_NO_BINDING: np700_reject_reason = 4;
/// The number has bindings, but none for this caller, or the caller is not on the allow-list
/// (SIP 403).
pub const NP700_REJECT_CALLER_NOT_PERMITTED: np700_reject_reason = 5;
/// The caller's number is missing or malformed, so no binding can be matched (SIP 403).
pub const NP700_REJECT_CALLER_UNIDENTIFIED: np700_reject_reason = 6;
/// The binding does not allow this medium (SIP 488).
pub const NP700_REJECT_MEDIA_NOT_PERMITTED: np700_reject_reason = 7;
/// The binding does not allow calls in this direction (SIP 403).
pub const NP700_REJECT_DIRECTION_BARRED: np700_reject_reason = 8;
/// Outside the binding's time-of-day window (SIP 480).
pub const NP700_REJECT_OUTSIDE_TIME_WINDOW: np700_reject_reason = 9;
/// The binding is suspended (SIP 480).
pub const NP700_REJECT_BINDING_SUSPENDED: np700_reject_reason = 10;
/// The tenant is suspended (SIP 503).
pub const NP700_REJECT_TENANT_SUSPENDED: np700_reject_reason = 11;
/// AXN: A called its own X and there is no default destination N (SIP 480).
pub const NP700_REJECT_NO_DESTINATION: np700_reject_reason = 12;
/// The routing index could not be read consistently (its writer died mid-change); retry or fail
/// over (SIP 503).
pub const NP700_REJECT_UNAVAILABLE: np700_reject_reason = 13;
/// A block rule (platform, tenant, binding or point-to-point) forbids this caller here (SIP 403).
pub const NP700_REJECT_BLOCKED: np700_reject_reason = 14;
/// The caller was blocked automatically for probing many 700 numbers (SIP 403).
pub const NP700_REJECT_AUTO_BLOCKED: np700_reject_reason = 15;
/// A frequency limit (per caller, usage number or binding) is exhausted for now (SIP 486).
pub const NP700_REJECT_RATE_LIMITED: np700_reject_reason = 16;
/// An SMS from a commercial sender port such as `106…` (SIP 403).
pub const NP700_REJECT_COMMERCIAL_SENDER: np700_reject_reason = 17;
/// An SMS whose text looks like a verification code (SIP 403).
pub const NP700_REJECT_VERIFICATION_CODE: np700_reject_reason = 18;
/// The tenant requires a real-user report for subscriber A and it has not been made (SIP 403).
pub const NP700_REJECT_USER_NOT_REPORTED: np700_reject_reason = 19;

/// The most destinations of one route (a GXB group rung in order).
pub const NP700_MAX_TARGETS: usize = 8;
const _: () = assert!(NP700_MAX_TARGETS == MAX_GROUP_MEMBERS);

/// A route decision, filled by `np700_route()` / `np700_reader_route()` in memory the caller
/// owns. Fields that do not apply to `kind` are zero (strings empty).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_decision {
    /// `NP700_DECISION_*`.
    pub kind: np700_decision_kind,
    /// ROUTE: the binding's mode (`NP700_MODE_*`).
    pub mode: np700_mode,
    /// ROUTE: the binding that decided it.
    pub binding_id: u64,
    /// ROUTE: the tenant owning the binding (for CDRs and billing).
    pub tenant: u32,
    /// ROUTE: whether the switch should record the call.
    pub record: bool,
    /// COLLECT_DIGITS: digits still needed.
    pub digits_needed: u8,
    /// REJECT: the SIP final response a switch would send (404, 403, …).
    pub sip_status: u16,
    /// ANNOUNCE: `NP700_ANNOUNCE_*`.
    pub announce: np700_announce_reason,
    /// REJECT: `NP700_REJECT_*`.
    pub reject: np700_reject_reason,
    /// ROUTE: how many entries of `targets` are set (1, or up to 8 for GXB).
    pub target_count: u32,
    /// ROUTE: the 700 number to present to the callee, 15 digits, NUL-terminated.
    pub display: [c_char; NP700_NUMBER_LEN],
    /// ROUTE: the destinations in ringing order, each `+` and E.164 digits, NUL-terminated.
    pub targets: [[c_char; NP700_NUMBER_LEN]; NP700_MAX_TARGETS],
}

const EMPTY: np700_decision = np700_decision {
    kind: 0,
    mode: 0,
    binding_id: 0,
    tenant: 0,
    record: false,
    digits_needed: 0,
    sip_status: 0,
    announce: 0,
    reject: 0,
    target_count: 0,
    display: [0; NP700_NUMBER_LEN],
    targets: [[0; NP700_NUMBER_LEN]; NP700_MAX_TARGETS],
};

pub(crate) fn reject_code(reason: RejectReason) -> np700_reject_reason {
    match reason {
        RejectReason::MalformedNumber => NP700_REJECT_MALFORMED_NUMBER,
        RejectReason::NotOurs => NP700_REJECT_NOT_OURS,
        RejectReason::Unassigned => NP700_REJECT_UNASSIGNED,
        RejectReason::NoBinding => NP700_REJECT_NO_BINDING,
        RejectReason::CallerNotPermitted => NP700_REJECT_CALLER_NOT_PERMITTED,
        RejectReason::CallerUnidentified => NP700_REJECT_CALLER_UNIDENTIFIED,
        RejectReason::MediaNotPermitted => NP700_REJECT_MEDIA_NOT_PERMITTED,
        RejectReason::DirectionBarred => NP700_REJECT_DIRECTION_BARRED,
        RejectReason::OutsideTimeWindow => NP700_REJECT_OUTSIDE_TIME_WINDOW,
        RejectReason::BindingSuspended => NP700_REJECT_BINDING_SUSPENDED,
        RejectReason::TenantSuspended => NP700_REJECT_TENANT_SUSPENDED,
        RejectReason::NoDestination => NP700_REJECT_NO_DESTINATION,
        RejectReason::Unavailable => NP700_REJECT_UNAVAILABLE,
        RejectReason::Blocked => NP700_REJECT_BLOCKED,
        RejectReason::AutoBlocked => NP700_REJECT_AUTO_BLOCKED,
        RejectReason::RateLimited => NP700_REJECT_RATE_LIMITED,
        RejectReason::CommercialSender => NP700_REJECT_COMMERCIAL_SENDER,
        RejectReason::VerificationCode => NP700_REJECT_VERIFICATION_CODE,
        RejectReason::UserNotReported => NP700_REJECT_USER_NOT_REPORTED,
    }
}

/// Every reason in code order (the core's table: the C codes are the core's stable codes).
const REJECTS: [RejectReason; 19] = crate::control::record::REJECTS;
const _: () = {
    let mut i = 0;
    while i < REJECTS.len() {
        // The C constants above are the core's stable codes, one for one.
        assert!(crate::control::record::reject_code(REJECTS[i]) as usize == i + 1);
        i += 1;
    }
};

/// The C form of a decision. Allocation-free: numbers are formatted into the fixed arrays.
pub(crate) fn decision_of(d: Decision) -> np700_decision {
    let mut out = EMPTY;
    match d {
        Decision::Route(r) => {
            out.kind = NP700_DECISION_ROUTE;
            out.mode = mode_code(r.mode);
            out.binding_id = r.binding.raw();
            out.tenant = r.tenant.raw();
            out.record = r.record;
            out.display = put_u64(r.display.value());
            for (slot, to) in out.targets.iter_mut().zip(r.to.iter()) {
                *slot = put_bytes(to.to_digits().as_str().as_bytes());
                out.target_count += 1;
            }
        }
        Decision::CollectDigits { needed } => {
            out.kind = NP700_DECISION_COLLECT_DIGITS;
            out.digits_needed = needed;
        }
        Decision::Announce { reason } => {
            out.kind = NP700_DECISION_ANNOUNCE;
            out.announce = match reason {
                AnnounceReason::ServiceEnded => NP700_ANNOUNCE_SERVICE_ENDED,
                AnnounceReason::Expired => NP700_ANNOUNCE_EXPIRED,
            };
        }
        Decision::Reject { reason } => {
            out.kind = NP700_DECISION_REJECT;
            out.reject = reject_code(reason);
            out.sip_status = reason.sip_status();
        }
    }
    out
}

/// The arguments every route function checks the same way.
pub(crate) struct RouteArgs<'a> {
    pub(crate) caller: &'a str,
    pub(crate) dialed: &'a str,
    pub(crate) media: Media,
    pub(crate) now: Timestamp,
    pub(crate) out: Out<np700_decision>,
}

/// Checks a route call's arguments (no allocation, no system call).
///
/// # Safety
///
/// `caller`/`dialed` NULL or valid for reads of their lengths.
pub(crate) unsafe fn route_args<'a>(
    caller: *const c_char,
    caller_len: usize,
    dialed: *const c_char,
    dialed_len: usize,
    media: np700_media,
    now: u64,
    out: *mut np700_decision,
) -> Result<RouteArgs<'a>, Failure> {
    let out = Out::new("out", out)?;
    // SAFETY: the caller's promises.
    let caller = unsafe {
        str_arg(
            "caller",
            caller,
            caller_len,
            NP700_MAX_NUMBER_LEN,
            NP700_ERR_TOO_LONG,
        )
    }?;
    // SAFETY: the caller's promises.
    let dialed = unsafe {
        str_arg(
            "dialed",
            dialed,
            dialed_len,
            NP700_MAX_NUMBER_LEN,
            NP700_ERR_TOO_LONG,
        )
    }?;
    let media = match media {
        NP700_MEDIA_VOICE => Media::Voice,
        NP700_MEDIA_SMS => Media::Sms,
        _ => {
            return Err(Failure::new(
                NP700_ERR_BAD_ENUM,
                "media",
                "not NP700_MEDIA_VOICE or NP700_MEDIA_SMS",
            ));
        }
    };
    let now = time_arg("now", now)?;
    Ok(RouteArgs {
        caller,
        dialed,
        media,
        now,
        out,
    })
}

/// Routes a call or SMS: "`caller` dialled `dialed` — where does it go?", answered into `*out`.
///
/// - `caller`: the caller's number as the switch sees it (mobile, fixed line, E.164, `tel:`/`sip:`
///   URI, separators). Empty or malformed is not an error: the caller is then unidentified and
///   refused once a binding would need it (`NP700_REJECT_CALLER_UNIDENTIFIED`).
/// - `dialed`: the dialled string (`700…` with 11 or 15 digits, `+86`/`0086`/`86` prefixes,
///   separators). A string that is not a 700 number is a decision
///   (`NP700_REJECT_NOT_OURS`, `NP700_REJECT_MALFORMED_NUMBER`), not an error.
/// - `media`: `NP700_MEDIA_VOICE` or `NP700_MEDIA_SMS` (else `NP700_ERR_BAD_ENUM`).
/// - `now`: the switch's clock, seconds since the Unix epoch (at most `NP700_TIME_MAX`).
///
/// Errors are about the arguments only: NULL pointers, strings over `NP700_MAX_NUMBER_LEN`
/// bytes (`NP700_ERR_TOO_LONG`) or not UTF-8, a bad media code or time, a stale handle.
///
/// Lock-free and wait-free of writers: no lock, no allocation, no system call (a lookup that
/// keeps finding an entry mid-write for 200 ms answers `NP700_REJECT_UNAVAILABLE`). Call it from
/// any number of threads.
///
/// # Safety
///
/// `caller` and `dialed` must be NULL or valid for reads of their lengths; `out` must be valid
/// for a write of one `np700_decision`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_route(
    registry: *const np700_registry,
    caller: *const c_char,
    caller_len: usize,
    dialed: *const c_char,
    dialed_len: usize,
    media: np700_media,
    now: u64,
    out: *mut np700_decision,
) -> np700_status {
    boundary("np700_route", || {
        // SAFETY: the caller's promises.
        let a = unsafe { route_args(caller, caller_len, dialed, dialed_len, media, now, out) }?;
        let decision = with_registry(registry, |r| r.route(a.caller, a.dialed, a.media, a.now))?;
        // SAFETY: checked in route_args; writable by the caller's promise.
        unsafe { a.out.write(decision_of(decision)) };
        Ok(())
    })
}

/// A static, NUL-terminated description of a reject reason (e.g. `"caller not permitted"`);
/// `"unknown"` for a code that is not one. Never NULL; must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn np700_reject_reason_str(reason: np700_reject_reason) -> *const c_char {
    infallible(c"unknown".as_ptr(), || {
        let text = match REJECTS.iter().find(|r| reject_code(**r) == reason) {
            Some(RejectReason::MalformedNumber) => c"malformed number",
            Some(RejectReason::NotOurs) => c"not our number",
            Some(RejectReason::Unassigned) => c"number unassigned",
            Some(RejectReason::NoBinding) => c"no binding",
            Some(RejectReason::CallerNotPermitted) => c"caller not permitted",
            Some(RejectReason::CallerUnidentified) => c"caller unidentified",
            Some(RejectReason::MediaNotPermitted) => c"media not permitted",
            Some(RejectReason::DirectionBarred) => c"direction barred",
            Some(RejectReason::OutsideTimeWindow) => c"outside time window",
            Some(RejectReason::BindingSuspended) => c"binding suspended",
            Some(RejectReason::TenantSuspended) => c"tenant suspended",
            Some(RejectReason::NoDestination) => c"no destination",
            Some(RejectReason::Unavailable) => c"routing index unavailable",
            Some(RejectReason::Blocked) => c"blocked",
            Some(RejectReason::AutoBlocked) => c"blocked automatically",
            Some(RejectReason::RateLimited) => c"rate limited",
            Some(RejectReason::CommercialSender) => c"commercial sender",
            Some(RejectReason::VerificationCode) => c"verification code",
            Some(RejectReason::UserNotReported) => c"real user not reported",
            None => c"unknown",
        };
        text.as_ptr()
    })
}

/// The SIP final response for a reject reason (e.g. 404, 403, 480), or 0 for a code that is not
/// one.
#[unsafe(no_mangle)]
pub extern "C" fn np700_reject_reason_sip_status(reason: np700_reject_reason) -> u16 {
    infallible(0, || {
        REJECTS
            .iter()
            .find(|r| reject_code(**r) == reason)
            .map_or(0, |r| r.sip_status())
    })
}

/// A static, NUL-terminated description of an announcement reason (`"service ended"`,
/// `"binding expired"`); `"unknown"` otherwise. Never NULL; must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn np700_announce_reason_str(reason: np700_announce_reason) -> *const c_char {
    let text = match reason {
        NP700_ANNOUNCE_SERVICE_ENDED => c"service ended",
        NP700_ANNOUNCE_EXPIRED => c"binding expired",
        _ => c"unknown",
    };
    text.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_codes_are_distinct_and_described_like_the_core() {
        let mut seen = std::collections::BTreeSet::new();
        for r in REJECTS {
            let code = reject_code(r);
            assert!(seen.insert(code));
            let text = unsafe { std::ffi::CStr::from_ptr(np700_reject_reason_str(code)) };
            assert_eq!(text.to_str().unwrap(), r.to_string());
            assert_eq!(np700_reject_reason_sip_status(code), r.sip_status());
        }
        assert_eq!(np700_reject_reason_sip_status(0), 0);
    }
}
