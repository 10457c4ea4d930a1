//! Statuses, the per-thread last error, and the boundary every export runs behind.
//!
//! Every fallible function returns an [`np700_status`]: [`NP700_OK`] (0) or a negative code in
//! a stable group. Codes are append-only: a code, once released, keeps its number and meaning.
//!
//! | group | meaning |
//! |---|---|
//! | `-1xx` | the arguments: NULL or misaligned pointers, stale handles, invalid UTF-8, over-long strings, malformed numbers or tags, values outside their set or range, a buffer too small |
//! | `-2xx` | the registry refused the request (its rules; one code per refusal) |
//! | `-3xx` | resources and I/O: the index is full, files, shared mappings, handle table |
//! | `-9xx` | a bug in np700: a panic caught at the boundary, an internal inconsistency |

use crate::error::{Conflict, Error};
use crate::handover::ImportError;
use crate::index::AttachError;
use crate::number::NumberError;
use crate::pool::{Exhaustion, InvalidTag, PoolError};
use std::cell::RefCell;
use std::ffi::c_char;
use std::fmt::{self, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The result of every fallible np700 function: `NP700_OK` (0) or a negative `NP700_ERR_*`
/// code. Outputs are written only when the result is `NP700_OK`.
#[allow(non_camel_case_types)]
pub type np700_status = i32;

/// Success.
pub const NP700_OK: np700_status = 0;

// -1xx: the arguments.
/// A required pointer is NULL (or a string pointer is NULL with a non-zero length), or a pointer
/// is not aligned for its type.
pub const NP700_ERR_NULL: np700_status = -101;
/// A handle that is stale (already freed), was never returned by np700, or is of another type.
pub const NP700_ERR_INVALID_HANDLE: np700_status = -102;
/// A string argument is not valid UTF-8.
pub const NP700_ERR_INVALID_UTF8: np700_status = -103;
/// A number string, path or list is longer than its documented maximum.
pub const NP700_ERR_TOO_LONG: np700_status = -104;
/// A number string is malformed or of the wrong kind (see the last error for why).
pub const NP700_ERR_BAD_NUMBER: np700_status = -105;
/// A selection tag is empty, longer than 32 bytes, or holds whitespace or control characters.
pub const NP700_ERR_BAD_TAG: np700_status = -106;
/// A code argument (mode, media, status, scenario, …) is not one of its documented values.
pub const NP700_ERR_BAD_ENUM: np700_status = -107;
/// A numeric argument (a time, a capacity) is outside its documented range.
pub const NP700_ERR_OUT_OF_RANGE: np700_status = -108;
/// The caller's buffer is too small; the required size is reported.
pub const NP700_ERR_BUFFER_TOO_SMALL: np700_status = -109;

// -2xx: refusals by the registry's rules.
/// No tenant with this id.
pub const NP700_ERR_UNKNOWN_TENANT: np700_status = -201;
/// The tenant is suspended or has exited and may not do this.
pub const NP700_ERR_TENANT_NOT_ACTIVE: np700_status = -202;
/// The tenant already has the requested status.
pub const NP700_ERR_TENANT_STATUS_UNCHANGED: np700_status = -203;
/// A text field (name, note, order id, consent or external reference) is empty where required,
/// too long, or holds control characters; or a pair cap is invalid.
pub const NP700_ERR_INVALID_FIELD: np700_status = -204;
/// No binding was ever made with this id.
pub const NP700_ERR_UNKNOWN_BINDING: np700_status = -205;
/// The binding has ended (released or expired).
pub const NP700_ERR_BINDING_ENDED: np700_status = -206;
/// The binding belongs to another tenant.
pub const NP700_ERR_CROSS_TENANT: np700_status = -207;
/// The binding already has the requested status (suspend a suspended binding, …).
pub const NP700_ERR_STATUS_UNCHANGED: np700_status = -208;
/// The parties are not a valid binding (a party twice, an empty or oversized group, X = Y).
pub const NP700_ERR_INVALID_PARTIES: np700_status = -209;
/// The expiry is not after now.
pub const NP700_ERR_EXPIRY_NOT_IN_FUTURE: np700_status = -210;
/// The policy is invalid (no media, a malformed time window, an allow-list outside AXN or over
/// 32 callers).
pub const NP700_ERR_INVALID_POLICY: np700_status = -211;
/// The update does not fit the binding's mode.
pub const NP700_ERR_UPDATE_NOT_APPLICABLE: np700_status = -212;
/// An update that changes nothing.
pub const NP700_ERR_EMPTY_UPDATE: np700_status = -213;
/// The management number still carries live bindings.
pub const NP700_ERR_NUMBER_IN_USE: np700_status = -214;
/// A licensed block is empty, longer than 100,000 numbers, or runs past the 700 segment.
pub const NP700_ERR_INVALID_BLOCK: np700_status = -220;
/// A licensed block overlaps one already licensed.
pub const NP700_ERR_BLOCK_OVERLAPS: np700_status = -221;
/// The management number is not licensed to this platform.
pub const NP700_ERR_NOT_LICENSED: np700_status = -222;
/// The management number is held by another tenant.
pub const NP700_ERR_HELD_BY_ANOTHER_TENANT: np700_status = -223;
/// The tenant already holds the management number.
pub const NP700_ERR_ALREADY_ASSIGNED: np700_status = -224;
/// The management number is in quarantine after being taken back from another tenant.
pub const NP700_ERR_NUMBER_IN_QUARANTINE: np700_status = -225;
/// The tenant does not hold the management number.
pub const NP700_ERR_NOT_HELD: np700_status = -226;
/// A given usage number: a party already sees it in a live binding.
pub const NP700_ERR_PARTY_ALREADY_BOUND: np700_status = -230;
/// A given usage number: an exclusive (AXN) binding holds it.
pub const NP700_ERR_HELD_EXCLUSIVELY: np700_status = -231;
/// A given usage number: it carries other bindings and the new one is exclusive.
pub const NP700_ERR_NOT_FREE: np700_status = -232;
/// A given usage number: it carries the tenant's maximum of bindings (pair cap).
pub const NP700_ERR_AT_CAPACITY: np700_status = -233;
/// A given usage number: a quarantine involving the parties holds it back.
pub const NP700_ERR_QUARANTINED: np700_status = -234;
/// Automatic selection: the tenant holds no management numbers.
pub const NP700_ERR_NO_NUMBERS: np700_status = -240;
/// Automatic selection: no number of the tenant has the (strict) tag.
pub const NP700_ERR_TAG_UNMATCHED: np700_status = -241;
/// Automatic selection: every candidate conflicts with the parties or is full.
pub const NP700_ERR_ALL_CANDIDATES_CONFLICT: np700_status = -242;
/// Automatic selection: every candidate is in quarantine for these parties.
pub const NP700_ERR_ALL_CANDIDATES_QUARANTINED: np700_status = -243;
/// Import: the hand-over does not parse (not JSON, or a field of the wrong type).
pub const NP700_ERR_HANDOVER_UNREADABLE: np700_status = -250;
/// Import: the document is not an np700 hand-over (its `format` is another).
pub const NP700_ERR_NOT_A_HANDOVER: np700_status = -251;
/// Import: the hand-over's version is not one this library reads.
pub const NP700_ERR_HANDOVER_VERSION: np700_status = -252;
/// Import: the hand-over contradicts itself or a rule of the state (the last error says where).
pub const NP700_ERR_HANDOVER_INCONSISTENT: np700_status = -253;
/// Import: the tenant mapping names a tenant the hand-over does not have.
pub const NP700_ERR_MAPPING_FROM_UNKNOWN: np700_status = -254;
/// Import: the tenant mapping maps onto a tenant the registry does not have.
pub const NP700_ERR_MAPPING_TO_UNKNOWN: np700_status = -255;
/// Import: the tenant mapping maps two tenants onto one.
pub const NP700_ERR_MAPPING_NOT_ONE_TO_ONE: np700_status = -256;
/// Import: a mapped tenant's status differs from the exported one.
pub const NP700_ERR_TENANT_STATUS_DIFFERS: np700_status = -257;
/// Import: a usage number of the hand-over already carries entries in the registry.
pub const NP700_ERR_ENTRY_IN_USE: np700_status = -258;
/// Import: a binding id to keep is already issued in the registry.
pub const NP700_ERR_BINDING_ID_TAKEN: np700_status = -259;
/// Import: the registry has no binding ids left to renumber into.
pub const NP700_ERR_BINDING_IDS_EXHAUSTED: np700_status = -260;

// -27x: block lists.
/// No such block rule (never made, or already lifted or swept).
pub const NP700_ERR_UNKNOWN_BLOCK_RULE: np700_status = -270;
/// The block rule belongs to another tenant or to the platform.
pub const NP700_ERR_BLOCK_RULE_NOT_OWNED: np700_status = -271;
/// The block request is not valid (a subscriber blocked from itself, both ways without a
/// callee, a binding block on an AXN binding without N).
pub const NP700_ERR_INVALID_BLOCK_REQUEST: np700_status = -272;
/// The block rules would exceed their limit (the platform's or the tenant's).
pub const NP700_ERR_TOO_MANY_BLOCK_RULES: np700_status = -273;

// -3xx: resources and I/O.
/// The routing index cannot grow to hold the change.
pub const NP700_ERR_INDEX_FULL: np700_status = -301;
/// A file or mapping operation failed (see the last error for the operating system's reason).
pub const NP700_ERR_IO: np700_status = -302;
/// The file is not an np700 index, or its writer has not finished creating it.
pub const NP700_ERR_NOT_AN_INDEX: np700_status = -303;
/// The index was written by an incompatible version of np700.
pub const NP700_ERR_INCOMPATIBLE_INDEX: np700_status = -304;
/// The index file is truncated or its header is corrupt.
pub const NP700_ERR_TRUNCATED_INDEX: np700_status = -305;
/// Too many live handles of this type (see `NP700_MAX_HANDLES`).
pub const NP700_ERR_TOO_MANY_HANDLES: np700_status = -306;
/// A journal or snapshot file is damaged where acknowledged data was; the registry refuses to
/// open (the last error names the file and offset).
pub const NP700_ERR_CORRUPT_JOURNAL: np700_status = -307;
/// The journal failed earlier; no write is acknowledged until the registry is reopened.
pub const NP700_ERR_JOURNAL_HALTED: np700_status = -308;

// -9xx: bugs in np700.
/// np700 panicked; the panic was caught at the boundary (please report it with the last error).
pub const NP700_ERR_PANIC: np700_status = -901;
/// An internal inconsistency (please report it with the last error).
pub const NP700_ERR_INTERNAL: np700_status = -902;

/// Why a call failed: a status and what to say about it. Built without allocating on the
/// routing path (the causes there are static texts and number errors).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: np700_status,
    /// The argument or operation concerned.
    what: &'static str,
    cause: Cause,
}

#[derive(Debug)]
enum Cause {
    Text(&'static str),
    Number(NumberError),
    Tag(InvalidTag),
    Error(Error),
    Attach(AttachError),
    Io(std::io::Error),
}

impl Failure {
    /// A failure with a fixed explanation.
    pub(crate) const fn new(status: np700_status, what: &'static str, why: &'static str) -> Self {
        Failure {
            status,
            what,
            cause: Cause::Text(why),
        }
    }

    /// A number argument that did not parse.
    pub(crate) const fn number(what: &'static str, e: NumberError) -> Self {
        Failure {
            status: NP700_ERR_BAD_NUMBER,
            what,
            cause: Cause::Number(e),
        }
    }

    /// A tag argument that is invalid.
    pub(crate) const fn tag(what: &'static str, e: InvalidTag) -> Self {
        Failure {
            status: NP700_ERR_BAD_TAG,
            what,
            cause: Cause::Tag(e),
        }
    }

    /// A refusal by the registry.
    pub(crate) fn error(what: &'static str, e: Error) -> Self {
        Failure {
            status: error_status(&e),
            what,
            cause: Cause::Error(e),
        }
    }

    /// A failure to attach to a shared index.
    pub(crate) fn attach(what: &'static str, e: AttachError) -> Self {
        let status = match &e {
            AttachError::Io(_) => NP700_ERR_IO,
            AttachError::NotAnIndex => NP700_ERR_NOT_AN_INDEX,
            AttachError::IncompatibleLayout { .. } => NP700_ERR_INCOMPATIBLE_INDEX,
            AttachError::Truncated => NP700_ERR_TRUNCATED_INDEX,
        };
        Failure {
            status,
            what,
            cause: Cause::Attach(e),
        }
    }

    /// A failed file operation.
    pub(crate) fn io(what: &'static str, e: std::io::Error) -> Self {
        Failure {
            status: NP700_ERR_IO,
            what,
            cause: Cause::Io(e),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.what)?;
        match &self.cause {
            Cause::Text(t) => f.write_str(t),
            Cause::Number(e) => write!(f, "{e}"),
            Cause::Tag(e) => write!(f, "{e}"),
            Cause::Error(e) => write!(f, "{e}"),
            Cause::Attach(e) => write!(f, "{e}"),
            Cause::Io(e) => write!(f, "{e}"),
        }
    }
}

/// The status of a refusal: one code per kind of refusal, so a C caller can tell them apart
/// without parsing messages. Exhaustive on purpose: a new `Error` variant must get a new code.
pub(crate) fn error_status(e: &Error) -> np700_status {
    match e {
        Error::Number(_) => NP700_ERR_BAD_NUMBER,
        Error::Tag(_) => NP700_ERR_BAD_TAG,
        Error::Pool(p) => match p {
            PoolError::InvalidBlock { .. } => NP700_ERR_INVALID_BLOCK,
            PoolError::BlockOverlaps { .. } => NP700_ERR_BLOCK_OVERLAPS,
            PoolError::NotLicensed(_) => NP700_ERR_NOT_LICENSED,
            PoolError::HeldByAnotherTenant(_) => NP700_ERR_HELD_BY_ANOTHER_TENANT,
            PoolError::AlreadyAssigned(_) => NP700_ERR_ALREADY_ASSIGNED,
            PoolError::InQuarantine { .. } => NP700_ERR_NUMBER_IN_QUARANTINE,
            PoolError::NotHeld { .. } => NP700_ERR_NOT_HELD,
        },
        Error::UnknownTenant(_) => NP700_ERR_UNKNOWN_TENANT,
        Error::TenantNotActive { .. } => NP700_ERR_TENANT_NOT_ACTIVE,
        Error::TenantStatusUnchanged { .. } => NP700_ERR_TENANT_STATUS_UNCHANGED,
        Error::InvalidField { .. } => NP700_ERR_INVALID_FIELD,
        Error::UnknownBinding(_) => NP700_ERR_UNKNOWN_BINDING,
        Error::BindingEnded(_) => NP700_ERR_BINDING_ENDED,
        Error::CrossTenant { .. } => NP700_ERR_CROSS_TENANT,
        Error::StatusUnchanged { .. } => NP700_ERR_STATUS_UNCHANGED,
        Error::InvalidParties(_) => NP700_ERR_INVALID_PARTIES,
        Error::ExpiryNotInFuture { .. } => NP700_ERR_EXPIRY_NOT_IN_FUTURE,
        Error::InvalidPolicy(_) => NP700_ERR_INVALID_POLICY,
        Error::UpdateNotApplicable(_) => NP700_ERR_UPDATE_NOT_APPLICABLE,
        Error::IndexFull => NP700_ERR_INDEX_FULL,
        Error::Io { .. } => NP700_ERR_IO,
        Error::Corrupt { .. } => NP700_ERR_CORRUPT_JOURNAL,
        Error::Halted { .. } => NP700_ERR_JOURNAL_HALTED,
        Error::EmptyUpdate => NP700_ERR_EMPTY_UPDATE,
        Error::NumberConflict { conflict, .. } => match conflict {
            Conflict::PartyAlreadyBound(_) => NP700_ERR_PARTY_ALREADY_BOUND,
            Conflict::HeldExclusively => NP700_ERR_HELD_EXCLUSIVELY,
            Conflict::NotFree => NP700_ERR_NOT_FREE,
            Conflict::AtCapacity(_) => NP700_ERR_AT_CAPACITY,
            Conflict::Quarantined { .. } => NP700_ERR_QUARANTINED,
        },
        Error::Exhausted(x) => match x {
            Exhaustion::NoNumbers => NP700_ERR_NO_NUMBERS,
            Exhaustion::TagUnmatched => NP700_ERR_TAG_UNMATCHED,
            Exhaustion::AllCandidatesConflict => NP700_ERR_ALL_CANDIDATES_CONFLICT,
            Exhaustion::AllCandidatesQuarantined => NP700_ERR_ALL_CANDIDATES_QUARANTINED,
        },
        Error::NumberInUse { .. } => NP700_ERR_NUMBER_IN_USE,
        Error::Import(i) => match i {
            ImportError::Unreadable(_) => NP700_ERR_HANDOVER_UNREADABLE,
            ImportError::NotAHandover(_) => NP700_ERR_NOT_A_HANDOVER,
            ImportError::UnsupportedVersion(_) => NP700_ERR_HANDOVER_VERSION,
            ImportError::Inconsistent { .. } => NP700_ERR_HANDOVER_INCONSISTENT,
            ImportError::MappingFromUnknown(_) => NP700_ERR_MAPPING_FROM_UNKNOWN,
            ImportError::MappingToUnknown(_) => NP700_ERR_MAPPING_TO_UNKNOWN,
            ImportError::MappingNotOneToOne(_) => NP700_ERR_MAPPING_NOT_ONE_TO_ONE,
            // The tenant's standing differs: its bindings would route differently.
            ImportError::TenantStatusDiffers { .. }
            | ImportError::RealUserRequirementDiffers { .. } => NP700_ERR_TENANT_STATUS_DIFFERS,
            // The same refusals as for an ordinary assignment.
            ImportError::NotLicensed(_) => NP700_ERR_NOT_LICENSED,
            ImportError::NumberHeld { .. } => NP700_ERR_HELD_BY_ANOTHER_TENANT,
            ImportError::NumberInQuarantine { .. } => NP700_ERR_NUMBER_IN_QUARANTINE,
            ImportError::EntryInUse(_) => NP700_ERR_ENTRY_IN_USE,
            ImportError::BindingIdTaken(_) => NP700_ERR_BINDING_ID_TAKEN,
            ImportError::BindingIdsExhausted => NP700_ERR_BINDING_IDS_EXHAUSTED,
        },
        Error::UnknownBlock(_) => NP700_ERR_UNKNOWN_BLOCK_RULE,
        Error::BlockNotOwned { .. } => NP700_ERR_BLOCK_RULE_NOT_OWNED,
        Error::InvalidBlockRequest(_) => NP700_ERR_INVALID_BLOCK_REQUEST,
        Error::TooManyBlocks { .. } => NP700_ERR_TOO_MANY_BLOCK_RULES,
    }
}

/// Room for one message; longer ones are cut (at a character boundary).
const LAST_ERROR_CAP: usize = 512;

/// A thread's last error message, in place: no heap and no destructor, so recording an error
/// on the routing path allocates nothing (and a thread-local without a destructor registers
/// nothing on first use).
struct LastError {
    buf: [u8; LAST_ERROR_CAP],
    len: usize,
}

impl fmt::Write for LastError {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = LAST_ERROR_CAP - self.len;
        let mut take = s.len().min(room);
        while !s.is_char_boundary(take) {
            take -= 1;
        }
        let (dst, src) = (self.buf.get_mut(self.len..self.len + take), s.get(..take));
        if let (Some(dst), Some(src)) = (dst, src) {
            dst.copy_from_slice(src.as_bytes());
            // A NUL inside the message (from a path or text the caller gave) would end the C
            // string early: show it as a space.
            for b in dst.iter_mut().filter(|b| **b == 0) {
                *b = b' ';
            }
            self.len += take;
        }
        Ok(())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = const {
        RefCell::new(LastError { buf: [0; LAST_ERROR_CAP], len: 0 })
    };
}

/// Records `message` as this thread's last error.
fn set_last_error(function: &str, message: impl fmt::Display) {
    LAST_ERROR.with(|cell| {
        if let Ok(mut last) = cell.try_borrow_mut() {
            last.len = 0;
            let _ = write!(last, "{function}: {message}");
        }
    });
}

/// Runs the body of an exported function: a `Failure` becomes its status and this thread's last
/// error, and a panic becomes `NP700_ERR_PANIC` instead of unwinding into C. Adds nothing to the
/// successful path but the unwinding landing pad.
pub(crate) fn boundary(
    function: &'static str,
    body: impl FnOnce() -> Result<(), Failure>,
) -> np700_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => NP700_OK,
        Ok(Err(failure)) => {
            set_last_error(function, &failure);
            failure.status
        }
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            set_last_error(function, format_args!("panic: {text}"));
            // The payload may itself panic when dropped; never let that unwind into C.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            NP700_ERR_PANIC
        }
    }
}

/// Runs the body of an infallible exported function, with `fallback` if it panics.
pub(crate) fn infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A short, static, NUL-terminated description of a status, e.g.
/// `"NP700_ERR_NULL: a required pointer is NULL or misaligned"`.
///
/// Never NULL: an unknown code gives `"unknown status"`. The string lives for the whole
/// program and must not be freed. Safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn np700_status_str(status: np700_status) -> *const c_char {
    infallible(c"unknown status".as_ptr(), || status_cstr(status).as_ptr())
}

/// Every status with its static `NAME: description` text: the one table `np700_status_str` and
/// the tests read.
pub(crate) const STATUSES: &[(np700_status, &std::ffi::CStr)] = &[
    (NP700_OK, c"NP700_OK: success"),
    (
        NP700_ERR_NULL,
        c"NP700_ERR_NULL: a required pointer is NULL or misaligned",
    ),
    (
        NP700_ERR_INVALID_HANDLE,
        c"NP700_ERR_INVALID_HANDLE: stale, freed or foreign handle",
    ),
    (
        NP700_ERR_INVALID_UTF8,
        c"NP700_ERR_INVALID_UTF8: string is not valid UTF-8",
    ),
    (
        NP700_ERR_TOO_LONG,
        c"NP700_ERR_TOO_LONG: string or list too long",
    ),
    (
        NP700_ERR_BAD_NUMBER,
        c"NP700_ERR_BAD_NUMBER: malformed number",
    ),
    (NP700_ERR_BAD_TAG, c"NP700_ERR_BAD_TAG: malformed tag"),
    (
        NP700_ERR_BAD_ENUM,
        c"NP700_ERR_BAD_ENUM: value not in its documented set",
    ),
    (
        NP700_ERR_OUT_OF_RANGE,
        c"NP700_ERR_OUT_OF_RANGE: value out of range",
    ),
    (
        NP700_ERR_BUFFER_TOO_SMALL,
        c"NP700_ERR_BUFFER_TOO_SMALL: buffer too small",
    ),
    (
        NP700_ERR_UNKNOWN_TENANT,
        c"NP700_ERR_UNKNOWN_TENANT: unknown tenant",
    ),
    (
        NP700_ERR_TENANT_NOT_ACTIVE,
        c"NP700_ERR_TENANT_NOT_ACTIVE: tenant not active",
    ),
    (
        NP700_ERR_TENANT_STATUS_UNCHANGED,
        c"NP700_ERR_TENANT_STATUS_UNCHANGED: tenant already has this status",
    ),
    (
        NP700_ERR_INVALID_FIELD,
        c"NP700_ERR_INVALID_FIELD: invalid text field",
    ),
    (
        NP700_ERR_UNKNOWN_BINDING,
        c"NP700_ERR_UNKNOWN_BINDING: unknown binding",
    ),
    (
        NP700_ERR_BINDING_ENDED,
        c"NP700_ERR_BINDING_ENDED: binding has ended",
    ),
    (
        NP700_ERR_CROSS_TENANT,
        c"NP700_ERR_CROSS_TENANT: binding belongs to another tenant",
    ),
    (
        NP700_ERR_STATUS_UNCHANGED,
        c"NP700_ERR_STATUS_UNCHANGED: binding already has this status",
    ),
    (
        NP700_ERR_INVALID_PARTIES,
        c"NP700_ERR_INVALID_PARTIES: invalid parties",
    ),
    (
        NP700_ERR_EXPIRY_NOT_IN_FUTURE,
        c"NP700_ERR_EXPIRY_NOT_IN_FUTURE: expiry not after now",
    ),
    (
        NP700_ERR_INVALID_POLICY,
        c"NP700_ERR_INVALID_POLICY: invalid policy",
    ),
    (
        NP700_ERR_UPDATE_NOT_APPLICABLE,
        c"NP700_ERR_UPDATE_NOT_APPLICABLE: update does not fit the mode",
    ),
    (
        NP700_ERR_EMPTY_UPDATE,
        c"NP700_ERR_EMPTY_UPDATE: update changes nothing",
    ),
    (
        NP700_ERR_NUMBER_IN_USE,
        c"NP700_ERR_NUMBER_IN_USE: management number carries live bindings",
    ),
    (
        NP700_ERR_INVALID_BLOCK,
        c"NP700_ERR_INVALID_BLOCK: invalid licensed block",
    ),
    (
        NP700_ERR_BLOCK_OVERLAPS,
        c"NP700_ERR_BLOCK_OVERLAPS: licensed block overlaps another",
    ),
    (
        NP700_ERR_NOT_LICENSED,
        c"NP700_ERR_NOT_LICENSED: management number not licensed",
    ),
    (
        NP700_ERR_HELD_BY_ANOTHER_TENANT,
        c"NP700_ERR_HELD_BY_ANOTHER_TENANT: held by another tenant",
    ),
    (
        NP700_ERR_ALREADY_ASSIGNED,
        c"NP700_ERR_ALREADY_ASSIGNED: already assigned to this tenant",
    ),
    (
        NP700_ERR_NUMBER_IN_QUARANTINE,
        c"NP700_ERR_NUMBER_IN_QUARANTINE: management number in quarantine",
    ),
    (
        NP700_ERR_NOT_HELD,
        c"NP700_ERR_NOT_HELD: management number not held by the tenant",
    ),
    (
        NP700_ERR_PARTY_ALREADY_BOUND,
        c"NP700_ERR_PARTY_ALREADY_BOUND: a party already sees this usage number",
    ),
    (
        NP700_ERR_HELD_EXCLUSIVELY,
        c"NP700_ERR_HELD_EXCLUSIVELY: usage number held by an exclusive binding",
    ),
    (
        NP700_ERR_NOT_FREE,
        c"NP700_ERR_NOT_FREE: usage number carries other bindings",
    ),
    (
        NP700_ERR_AT_CAPACITY,
        c"NP700_ERR_AT_CAPACITY: usage number at its pair cap",
    ),
    (
        NP700_ERR_QUARANTINED,
        c"NP700_ERR_QUARANTINED: usage number in quarantine for a party",
    ),
    (
        NP700_ERR_NO_NUMBERS,
        c"NP700_ERR_NO_NUMBERS: tenant holds no numbers",
    ),
    (
        NP700_ERR_TAG_UNMATCHED,
        c"NP700_ERR_TAG_UNMATCHED: no number has the tag",
    ),
    (
        NP700_ERR_ALL_CANDIDATES_CONFLICT,
        c"NP700_ERR_ALL_CANDIDATES_CONFLICT: every candidate number conflicts",
    ),
    (
        NP700_ERR_ALL_CANDIDATES_QUARANTINED,
        c"NP700_ERR_ALL_CANDIDATES_QUARANTINED: every candidate number is in quarantine",
    ),
    (
        NP700_ERR_HANDOVER_UNREADABLE,
        c"NP700_ERR_HANDOVER_UNREADABLE: hand-over does not parse",
    ),
    (
        NP700_ERR_NOT_A_HANDOVER,
        c"NP700_ERR_NOT_A_HANDOVER: not an np700 hand-over",
    ),
    (
        NP700_ERR_HANDOVER_VERSION,
        c"NP700_ERR_HANDOVER_VERSION: unsupported hand-over version",
    ),
    (
        NP700_ERR_HANDOVER_INCONSISTENT,
        c"NP700_ERR_HANDOVER_INCONSISTENT: hand-over inconsistent",
    ),
    (
        NP700_ERR_MAPPING_FROM_UNKNOWN,
        c"NP700_ERR_MAPPING_FROM_UNKNOWN: mapped tenant not in the hand-over",
    ),
    (
        NP700_ERR_MAPPING_TO_UNKNOWN,
        c"NP700_ERR_MAPPING_TO_UNKNOWN: mapped onto an unknown tenant",
    ),
    (
        NP700_ERR_MAPPING_NOT_ONE_TO_ONE,
        c"NP700_ERR_MAPPING_NOT_ONE_TO_ONE: two tenants mapped onto one",
    ),
    (
        NP700_ERR_TENANT_STATUS_DIFFERS,
        c"NP700_ERR_TENANT_STATUS_DIFFERS: mapped tenant has another status",
    ),
    (
        NP700_ERR_ENTRY_IN_USE,
        c"NP700_ERR_ENTRY_IN_USE: usage number already carries entries",
    ),
    (
        NP700_ERR_BINDING_ID_TAKEN,
        c"NP700_ERR_BINDING_ID_TAKEN: binding id already issued",
    ),
    (
        NP700_ERR_BINDING_IDS_EXHAUSTED,
        c"NP700_ERR_BINDING_IDS_EXHAUSTED: no binding ids left",
    ),
    (
        NP700_ERR_UNKNOWN_BLOCK_RULE,
        c"NP700_ERR_UNKNOWN_BLOCK_RULE: no such block rule",
    ),
    (
        NP700_ERR_BLOCK_RULE_NOT_OWNED,
        c"NP700_ERR_BLOCK_RULE_NOT_OWNED: block rule belongs to another",
    ),
    (
        NP700_ERR_INVALID_BLOCK_REQUEST,
        c"NP700_ERR_INVALID_BLOCK_REQUEST: invalid block request",
    ),
    (
        NP700_ERR_TOO_MANY_BLOCK_RULES,
        c"NP700_ERR_TOO_MANY_BLOCK_RULES: too many block rules",
    ),
    (
        NP700_ERR_INDEX_FULL,
        c"NP700_ERR_INDEX_FULL: routing index full",
    ),
    (NP700_ERR_IO, c"NP700_ERR_IO: I/O error"),
    (
        NP700_ERR_NOT_AN_INDEX,
        c"NP700_ERR_NOT_AN_INDEX: not an np700 index",
    ),
    (
        NP700_ERR_INCOMPATIBLE_INDEX,
        c"NP700_ERR_INCOMPATIBLE_INDEX: incompatible index layout",
    ),
    (
        NP700_ERR_TRUNCATED_INDEX,
        c"NP700_ERR_TRUNCATED_INDEX: index file truncated or corrupt",
    ),
    (
        NP700_ERR_TOO_MANY_HANDLES,
        c"NP700_ERR_TOO_MANY_HANDLES: too many live handles",
    ),
    (
        NP700_ERR_CORRUPT_JOURNAL,
        c"NP700_ERR_CORRUPT_JOURNAL: journal or snapshot damaged",
    ),
    (
        NP700_ERR_JOURNAL_HALTED,
        c"NP700_ERR_JOURNAL_HALTED: journal failed; reopen to write",
    ),
    (NP700_ERR_PANIC, c"NP700_ERR_PANIC: internal panic caught"),
    (NP700_ERR_INTERNAL, c"NP700_ERR_INTERNAL: internal error"),
];

fn status_cstr(status: np700_status) -> &'static std::ffi::CStr {
    STATUSES
        .iter()
        .find(|(code, _)| *code == status)
        .map_or(c"unknown status", |(_, text)| text)
}

/// Copies this thread's last error message — the message of the most recent call on this
/// thread that returned an error — into `buf` as a NUL-terminated UTF-8 string.
///
/// - `buf_len` is the size of `buf` in bytes. If the message and its NUL fit, it is copied and
///   `NP700_OK` returned; otherwise `NP700_ERR_BUFFER_TOO_SMALL` is returned and `buf` is left
///   untouched. Call with `(NULL, 0)` to ask for the size alone.
/// - `needed`, if not NULL, receives the size the message needs including its NUL — on success
///   and on `NP700_ERR_BUFFER_TOO_SMALL` alike (the one output written on an error).
/// - The message is empty when no call on this thread has failed yet. Successful calls leave it
///   as it was (like `errno`), and this function never changes it, even when it fails.
/// - Messages are at most 511 bytes (longer ones are cut at a character boundary).
///
/// Returns `NP700_ERR_NULL` if `buf` is NULL while `buf_len` is not 0.
///
/// # Safety
///
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `needed` must be NULL or valid
/// for a write of one `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_last_error(
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> np700_status {
    let copy = || {
        if buf.is_null() && buf_len != 0 {
            return NP700_ERR_NULL;
        }
        if !needed.is_null() && !needed.is_aligned() {
            return NP700_ERR_NULL;
        }
        LAST_ERROR.with(|cell| {
            let Ok(last) = cell.try_borrow() else {
                return NP700_ERR_INTERNAL;
            };
            let message = last.buf.get(..last.len).unwrap_or(&[]);
            let size = message.len() + 1;
            if !needed.is_null() {
                // SAFETY: checked non-NULL and aligned; the caller promises it is writable.
                unsafe { needed.write(size) };
            }
            if buf_len < size {
                return NP700_ERR_BUFFER_TOO_SMALL;
            }
            // SAFETY: `buf` is non-NULL (buf_len >= 1 here) and writable for buf_len >= size
            // bytes; the message lives in this thread's storage, so the ranges cannot overlap.
            unsafe {
                std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), message.len());
                buf.add(message.len()).write(0);
            }
            NP700_OK
        })
    };
    infallible(NP700_ERR_PANIC, copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_in_their_groups() {
        let mut seen = std::collections::BTreeSet::new();
        for (code, text) in STATUSES {
            assert!(seen.insert(*code), "{code} listed twice");
            let text = text.to_str().unwrap();
            assert!(text.starts_with("NP700_"), "{text}");
            let group = -code / 100;
            let name_group = if text.starts_with("NP700_OK") {
                0
            } else {
                group
            };
            assert!(matches!(name_group, 0..=3 | 9), "{code} is in no group");
        }
        assert_eq!(seen.len(), STATUSES.len());
    }

    #[test]
    fn every_error_maps_to_a_listed_code() {
        let errors = [
            Error::IndexFull,
            Error::EmptyUpdate,
            Error::InvalidParties("x"),
            Error::Exhausted(Exhaustion::TagUnmatched),
        ];
        for e in errors {
            let code = error_status(&e);
            assert!(STATUSES.iter().any(|(c, _)| *c == code), "{e}");
        }
        let tenant = crate::TenantId::from_raw(1);
        let m = crate::ManagementNumber::new(70012340000).unwrap();
        let imports = [
            ImportError::Unreadable(String::new()),
            ImportError::NotAHandover(String::new()),
            ImportError::UnsupportedVersion(2),
            ImportError::Inconsistent {
                section: "bindings",
                index: 0,
                why: "x",
            },
            ImportError::MappingFromUnknown(tenant),
            ImportError::MappingToUnknown(tenant),
            ImportError::MappingNotOneToOne(tenant),
            ImportError::TenantStatusDiffers {
                tenant,
                exported: crate::TenantStatus::Active,
                current: crate::TenantStatus::Exited,
            },
            ImportError::NotLicensed(m),
            ImportError::NumberHeld {
                number: m,
                holder: tenant,
            },
            ImportError::NumberInQuarantine {
                number: m,
                until: crate::Timestamp::from_unix_secs(0),
            },
            ImportError::EntryInUse(m.first_usage()),
            ImportError::BindingIdTaken(crate::BindingId::from_raw(1)),
            ImportError::BindingIdsExhausted,
            ImportError::RealUserRequirementDiffers {
                tenant,
                exported: true,
                current: false,
            },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in imports {
            let code = error_status(&Error::Import(e.clone()));
            assert!(STATUSES.iter().any(|(c, _)| *c == code), "{e}");
            codes.insert(code);
        }
        // One code per refusal (the number refusals are the assignment's own codes; a
        // real-user requirement that differs is a tenant standing that differs).
        assert_eq!(codes.len(), 14);
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        set_last_error("f", "é".repeat(400));
        let mut needed = 0usize;
        let status = unsafe { np700_last_error(std::ptr::null_mut(), 0, &mut needed) };
        assert_eq!(status, NP700_ERR_BUFFER_TOO_SMALL);
        assert!(needed <= LAST_ERROR_CAP + 1);
        let mut buf = vec![0 as c_char; needed];
        let status = unsafe { np700_last_error(buf.as_mut_ptr(), buf.len(), &mut needed) };
        assert_eq!(status, NP700_OK);
        let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
        assert!(text.to_str().is_ok());
    }
}

#[cfg(test)]
mod boundary_tests {
    use super::*;

    fn message() -> String {
        let mut buf = [0 as c_char; 600];
        let status = unsafe { np700_last_error(buf.as_mut_ptr(), buf.len(), std::ptr::null_mut()) };
        assert_eq!(status, NP700_OK);
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let status = boundary("np700_test", || panic!("boom {}", 42));
        assert_eq!(status, NP700_ERR_PANIC);
        assert_eq!(message(), "np700_test: panic: boom 42");
    }

    #[test]
    fn a_failure_becomes_its_status_and_success_keeps_the_last_message() {
        let status = boundary("np700_test", || {
            Err(Failure::new(NP700_ERR_BAD_ENUM, "media", "not a medium"))
        });
        assert_eq!(status, NP700_ERR_BAD_ENUM);
        assert_eq!(boundary("np700_other", || Ok(())), NP700_OK);
        assert_eq!(message(), "np700_test: media: not a medium");
    }
}
