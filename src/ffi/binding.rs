//! Bindings from C: one request struct for every mode, a policy struct, and the binding as
//! stored, reported in a caller-owned struct.

use super::args::{
    NP700_MAX_NUMBER_LEN, Out, expiry_arg, in_arg, list_arg, np700_str, put_bytes, put_u64,
    str_field, time_arg,
};
use super::registry::{execute, np700_registry, refused, tag_arg, with_registry};
use super::status::{
    Failure, NP700_ERR_BAD_ENUM, NP700_ERR_INTERNAL, NP700_ERR_INVALID_FIELD, NP700_ERR_TOO_LONG,
    boundary, np700_status,
};
use crate::binding::{
    Binding, BindingId, BindingStatus, Direction, MAX_REFERENCE_LEN, MediaSet, Mode, Parties,
    Policy, TimeWindow,
};
use crate::command::{BindRequest, Command, Counterpart};
use crate::error::Error;
use crate::event::Event;
use crate::number::{SubscriberNumber, UsageNumber};
use crate::pool::{NumberChoice, Selection, TagMatch};
use crate::tenant::TenantId;
use std::ffi::c_char;

/// A binding mode (`NP700_MODE_*`).
#[allow(non_camel_case_types)]
pub type np700_mode = u32;
/// A and B reach each other through X.
pub const NP700_MODE_AXB: np700_mode = 1;
/// Anyone reaches A through X; A's own calls to X go to N.
pub const NP700_MODE_AXN: np700_mode = 2;
/// B reaches A through X; A reaches B through Y.
pub const NP700_MODE_AXYB: np700_mode = 3;
/// Members of group G reach B through X; B reaches G's members in order.
pub const NP700_MODE_GXB: np700_mode = 4;

/// A medium, and as bits a set of media (`NP700_MEDIA_*`).
#[allow(non_camel_case_types)]
pub type np700_media = u32;
/// A voice call.
pub const NP700_MEDIA_VOICE: np700_media = 1;
/// A short message.
pub const NP700_MEDIA_SMS: np700_media = 2;
/// Voice and SMS (a policy's usual set).
pub const NP700_MEDIA_ALL: np700_media = 3;

/// Which way calls may go through a binding (`NP700_DIRECTION_*`). The A side is A (the group
/// in GXB); the B side is B (in AXN everyone reaching A through X, and N).
#[allow(non_camel_case_types)]
pub type np700_direction = u32;
/// Both ways.
pub const NP700_DIRECTION_BOTH: np700_direction = 0;
/// Only calls from the A side to the B side.
pub const NP700_DIRECTION_A_TO_B_ONLY: np700_direction = 1;
/// Only calls from the B side to the A side.
pub const NP700_DIRECTION_B_TO_A_ONLY: np700_direction = 2;

/// A live binding's status (`NP700_BINDING_*`).
#[allow(non_camel_case_types)]
pub type np700_binding_status = u32;
/// Routes.
pub const NP700_BINDING_ACTIVE: np700_binding_status = 1;
/// Kept but refused until resumed.
pub const NP700_BINDING_SUSPENDED: np700_binding_status = 2;

/// What a binding permits. Start from `np700_policy_default()`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_policy {
    /// Allowed media: `NP700_MEDIA_VOICE | NP700_MEDIA_SMS`, not 0 (`NP700_ERR_INVALID_POLICY`);
    /// other bits are `NP700_ERR_BAD_ENUM`.
    pub media: np700_media,
    /// `NP700_DIRECTION_*`.
    pub direction: np700_direction,
    /// Non-zero: the switch should record routed calls.
    pub record: u8,
    /// Non-zero: calls go through only inside the daily window below.
    pub has_window: u8,
    /// First minute of the day (Beijing time) inside the window, 0..1440.
    pub window_start_minute: u16,
    /// First minute after the window, 0..1440, not equal to the start; a window whose start is
    /// after its end wraps past midnight.
    pub window_end_minute: u16,
    /// AXN only: when not empty, only these callers (and A) may use X; at most 32 distinct.
    pub allowed_callers: *const np700_str,
    /// Entries in `allowed_callers` (at most `NP700_MAX_LIST_LEN`).
    pub allowed_callers_len: usize,
}

/// The default policy: voice and SMS, both directions, any caller, any time, not recorded.
#[unsafe(no_mangle)]
pub extern "C" fn np700_policy_default() -> np700_policy {
    np700_policy {
        media: NP700_MEDIA_ALL,
        direction: NP700_DIRECTION_BOTH,
        record: 0,
        has_window: 0,
        window_start_minute: 0,
        window_end_minute: 0,
        allowed_callers: std::ptr::null(),
        allowed_callers_len: 0,
    }
}

/// How a binding gets a usage number: a given one, or one picked automatically among the
/// tenant's own.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_number_choice {
    /// A 15-digit usage number to use; empty (`{NULL, 0}`) picks one automatically.
    pub given: np700_str,
    /// Automatic: prefer (or require) management numbers with this tag; empty for any.
    pub tag: np700_str,
    /// Automatic with a tag: non-zero takes only tagged numbers, 0 falls back to any.
    pub tag_strict: u8,
    /// Automatic: the party whose earlier usage number to prefer (sticky); empty for none.
    pub sticky_for: np700_str,
}

/// A request for a new binding, for every mode. Zero it, then set what the mode needs.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_bind_request {
    /// The tenant making it; its usage numbers come from the tenant's own management numbers.
    pub tenant: u32,
    /// `NP700_MODE_*`.
    pub mode: np700_mode,
    /// Party A (AXB, AXN, AXYB); must be empty for GXB.
    pub a: np700_str,
    /// Party B (AXB, AXYB, GXB); for AXN the default destination N of A's own calls, empty for
    /// none.
    pub b: np700_str,
    /// GXB: the group's members in ringing order (1..=8); must be empty for other modes.
    pub group: *const np700_str,
    /// Entries in `group` (at most `NP700_MAX_LIST_LEN`).
    pub group_len: usize,
    /// The usage number X.
    pub x: np700_number_choice,
    /// AXYB: the usage number Y (ignored for other modes).
    pub y: np700_number_choice,
    /// When it stops routing (seconds since the Unix epoch, after now, at most
    /// `NP700_TIME_MAX`, or `NP700_TIME_NEVER`).
    pub expires_at: u64,
    /// What it permits.
    pub policy: np700_policy,
    /// The order it serves (may be empty; at most 64 bytes).
    pub order_id: np700_str,
    /// The reference of the user's consent (required; at most 64 bytes).
    pub consent_ref: np700_str,
    /// The platform's own reference (may be empty; at most 64 bytes).
    pub external_ref: np700_str,
}

/// A binding as stored, reported by `np700_registry_bind()`, `np700_registry_update()` and
/// `np700_registry_binding()`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_binding_info {
    /// Its id (assigned in order from 1, never reused).
    pub id: u64,
    /// The tenant that made it.
    pub tenant: u32,
    /// `NP700_MODE_*`.
    pub mode: np700_mode,
    /// `NP700_BINDING_*`.
    pub status: np700_binding_status,
    /// Whether routed calls are recorded.
    pub record: bool,
    /// When it was made.
    pub created_at: u64,
    /// When it stops routing (`NP700_TIME_NEVER` for never).
    pub expires_at: u64,
    /// The usage number X, 15 digits, NUL-terminated.
    pub x: [c_char; NP700_NUMBER_LEN],
    /// AXYB: the usage number Y; empty otherwise.
    pub y: [c_char; NP700_NUMBER_LEN],
}

/// Room for any number np700 writes and its NUL: a 15-digit usage number, or `+` and up to 15
/// E.164 digits.
pub const NP700_NUMBER_LEN: usize = 17;

fn bad_enum(what: &'static str) -> Failure {
    Failure::new(NP700_ERR_BAD_ENUM, what, "not one of its documented values")
}

pub(crate) fn mode_code(mode: Mode) -> np700_mode {
    match mode {
        Mode::Axb => NP700_MODE_AXB,
        Mode::Axn => NP700_MODE_AXN,
        Mode::Axyb => NP700_MODE_AXYB,
        Mode::Gxb => NP700_MODE_GXB,
    }
}

/// Subscriber number field.
///
/// # Safety
///
/// As `str_field`.
unsafe fn subscriber(what: &'static str, s: np700_str) -> Result<SubscriberNumber, Failure> {
    // SAFETY: forwarded.
    let text = unsafe { str_field(what, s, NP700_MAX_NUMBER_LEN, NP700_ERR_TOO_LONG) }?;
    SubscriberNumber::parse(text).map_err(|e| Failure::number(what, e))
}

/// Optional subscriber number field (empty is none).
///
/// # Safety
///
/// As `str_field`.
unsafe fn optional_subscriber(
    what: &'static str,
    s: np700_str,
) -> Result<Option<SubscriberNumber>, Failure> {
    if s.len == 0 {
        return Ok(None);
    }
    // SAFETY: forwarded.
    unsafe { subscriber(what, s) }.map(Some)
}

/// A list of subscriber numbers.
///
/// # Safety
///
/// As `list_arg` and `str_field` for each element.
unsafe fn subscribers(
    what: &'static str,
    ptr: *const np700_str,
    len: usize,
) -> Result<Vec<SubscriberNumber>, Failure> {
    // SAFETY: forwarded.
    let list = unsafe { list_arg(what, ptr, len) }?;
    // SAFETY: forwarded.
    list.iter()
        .map(|&s| unsafe { subscriber(what, s) })
        .collect()
}

/// Reference field (order id, consent, external reference).
///
/// # Safety
///
/// As `str_field`.
unsafe fn reference(what: &'static str, s: np700_str) -> Result<String, Failure> {
    // SAFETY: forwarded.
    unsafe { str_field(what, s, MAX_REFERENCE_LEN, NP700_ERR_INVALID_FIELD) }.map(str::to_owned)
}

/// # Safety
///
/// The pointers inside `p` must be valid as documented on `np700_policy`.
pub(crate) unsafe fn policy_arg(p: &np700_policy) -> Result<Policy, Failure> {
    if p.media & !NP700_MEDIA_ALL != 0 {
        return Err(bad_enum("policy.media"));
    }
    let direction = match p.direction {
        NP700_DIRECTION_BOTH => Direction::Both,
        NP700_DIRECTION_A_TO_B_ONLY => Direction::AToBOnly,
        NP700_DIRECTION_B_TO_A_ONLY => Direction::BToAOnly,
        _ => return Err(bad_enum("policy.direction")),
    };
    // SAFETY: forwarded.
    let allowed_callers = unsafe {
        subscribers(
            "policy.allowed_callers",
            p.allowed_callers,
            p.allowed_callers_len,
        )
    }?;
    Ok(Policy {
        media: MediaSet {
            voice: p.media & NP700_MEDIA_VOICE != 0,
            sms: p.media & NP700_MEDIA_SMS != 0,
        },
        direction,
        allowed_callers,
        window: (p.has_window != 0).then_some(TimeWindow {
            start_minute: p.window_start_minute,
            end_minute: p.window_end_minute,
        }),
        record: p.record != 0,
    })
}

/// # Safety
///
/// The strings inside `c` must be valid as documented on `np700_number_choice`.
unsafe fn choice_arg(what: &'static str, c: &np700_number_choice) -> Result<NumberChoice, Failure> {
    if c.given.len != 0 {
        // SAFETY: forwarded.
        let text = unsafe { str_field(what, c.given, NP700_MAX_NUMBER_LEN, NP700_ERR_TOO_LONG) }?;
        return UsageNumber::parse_bytes(text.as_bytes())
            .map(NumberChoice::Given)
            .map_err(|e| Failure::number(what, e));
    }
    let tag = if c.tag.len == 0 {
        None
    } else {
        // SAFETY: forwarded.
        let tag = unsafe { tag_arg(what, c.tag) }?;
        Some(TagMatch {
            tag,
            strict: c.tag_strict != 0,
        })
    };
    // SAFETY: forwarded.
    let sticky_for = unsafe { optional_subscriber(what, c.sticky_for) }?;
    Ok(NumberChoice::Auto(Selection { tag, sticky_for }))
}

fn must_be_empty(what: &'static str, len: usize) -> Result<(), Failure> {
    if len != 0 {
        return Err(Failure::new(
            super::status::NP700_ERR_INVALID_PARTIES,
            what,
            "not used by this mode; must be empty",
        ));
    }
    Ok(())
}

/// # Safety
///
/// Every pointer inside `r` must be valid as documented on `np700_bind_request`.
unsafe fn bind_request(r: &np700_bind_request) -> Result<BindRequest, Failure> {
    // SAFETY (all blocks below): the caller's promise about the request's pointers.
    let parties = match r.mode {
        NP700_MODE_AXB | NP700_MODE_AXYB | NP700_MODE_AXN => {
            must_be_empty("group", r.group_len)?;
            let a = unsafe { subscriber("a", r.a) }?;
            let x = unsafe { choice_arg("x", &r.x) }?;
            match r.mode {
                NP700_MODE_AXB => Parties::Axb {
                    a,
                    x,
                    b: unsafe { subscriber("b", r.b) }?,
                },
                NP700_MODE_AXN => Parties::Axn {
                    a,
                    x,
                    n: unsafe { optional_subscriber("b", r.b) }?,
                },
                _ => Parties::Axyb {
                    a,
                    x,
                    y: unsafe { choice_arg("y", &r.y) }?,
                    b: unsafe { subscriber("b", r.b) }?,
                },
            }
        }
        NP700_MODE_GXB => {
            must_be_empty("a", r.a.len)?;
            Parties::Gxb {
                group: unsafe { subscribers("group", r.group, r.group_len) }?,
                x: unsafe { choice_arg("x", &r.x) }?,
                b: unsafe { subscriber("b", r.b) }?,
            }
        }
        _ => return Err(bad_enum("mode")),
    };
    Ok(BindRequest {
        tenant: TenantId::from_raw(r.tenant),
        parties,
        expires_at: expiry_arg("expires_at", r.expires_at)?,
        policy: unsafe { policy_arg(&r.policy) }?,
        order_id: unsafe { reference("order_id", r.order_id) }?,
        consent_ref: unsafe { reference("consent_ref", r.consent_ref) }?,
        external_ref: unsafe { reference("external_ref", r.external_ref) }?,
    })
}

fn info_of(b: &Binding) -> np700_binding_info {
    let (x, y) = match &b.parties {
        Parties::Axb { x, .. } | Parties::Axn { x, .. } | Parties::Gxb { x, .. } => (*x, None),
        Parties::Axyb { x, y, .. } => (*x, Some(*y)),
    };
    np700_binding_info {
        id: b.id.raw(),
        tenant: b.tenant.raw(),
        mode: mode_code(b.mode()),
        status: match b.status {
            BindingStatus::Active => NP700_BINDING_ACTIVE,
            BindingStatus::Suspended => NP700_BINDING_SUSPENDED,
        },
        record: b.policy.record,
        created_at: b.created_at.unix_secs(),
        expires_at: b.expires_at.unix_secs(),
        x: put_u64(x.value()),
        y: y.map_or_else(|| put_bytes(b""), |y| put_u64(y.value())),
    }
}

/// The binding a command's events leave behind.
fn bound(events: &[Event]) -> Result<np700_binding_info, Failure> {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Bound { binding } | Event::Updated { binding, .. } => Some(info_of(binding)),
            _ => None,
        })
        .ok_or(Failure::new(
            NP700_ERR_INTERNAL,
            "events",
            "no binding event",
        ))
}

/// Makes a binding at `now` and reports it (its id, and the usage numbers picked) in `*out`.
///
/// Every rule of the 700 segment is checked: the tenant is active and uses only its own numbers,
/// a subscriber never sees one usage number in two live bindings, AXN holds its number
/// exclusively, the pair cap, quarantines, consent. A refusal changes nothing and has its own
/// `-2xx` status.
///
/// # Safety
///
/// `request` must point to an initialised `np700_bind_request` whose pointers are valid as
/// documented there; `out` must be valid for a write of one `np700_binding_info`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_bind(
    registry: *const np700_registry,
    request: *const np700_bind_request,
    now: u64,
    out: *mut np700_binding_info,
) -> np700_status {
    boundary("np700_registry_bind", || {
        let out = Out::new("out", out)?;
        // SAFETY: the caller's promises.
        let request = unsafe { bind_request(in_arg("request", request)?) }?;
        let now = time_arg("now", now)?;
        let info = bound(&execute(registry, &Command::Bind(request), now)?)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(info) };
        Ok(())
    })
}

/// What an update changes in the counterpart (`NP700_COUNTERPART_*`).
#[allow(non_camel_case_types)]
pub type np700_counterpart = u32;
/// The counterpart stays.
pub const NP700_COUNTERPART_NONE: np700_counterpart = 0;
/// A new B (AXB, AXYB, GXB), in `number`.
pub const NP700_COUNTERPART_B: np700_counterpart = 1;
/// A new default destination N (AXN), in `number`; empty refuses A's calls to X.
pub const NP700_COUNTERPART_N: np700_counterpart = 2;
/// New GXB group members, in `group`.
pub const NP700_COUNTERPART_GROUP: np700_counterpart = 3;

/// A change to a binding. Zero it, then set the binding and what changes; at least one of the
/// counterpart, the expiry or the policy must change (`NP700_ERR_EMPTY_UPDATE`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_update_request {
    /// The tenant asking (it must own the binding: `NP700_ERR_CROSS_TENANT`).
    pub tenant: u32,
    /// The binding.
    pub binding: u64,
    /// `NP700_COUNTERPART_*`.
    pub counterpart: np700_counterpart,
    /// The new B or N.
    pub number: np700_str,
    /// The new group members, in ringing order.
    pub group: *const np700_str,
    /// Entries in `group`.
    pub group_len: usize,
    /// A new expiry, or 0 to keep it.
    pub expires_at: u64,
    /// A new policy, or NULL to keep it.
    pub policy: *const np700_policy,
}

/// # Safety
///
/// Every pointer inside `r` must be valid as documented on `np700_update_request`.
unsafe fn update_command(r: &np700_update_request) -> Result<Command, Failure> {
    // SAFETY (all blocks below): the caller's promise about the request's pointers.
    let counterpart = match r.counterpart {
        NP700_COUNTERPART_NONE => None,
        NP700_COUNTERPART_B => Some(Counterpart::B(unsafe { subscriber("number", r.number) }?)),
        NP700_COUNTERPART_N => Some(Counterpart::N(unsafe {
            optional_subscriber("number", r.number)
        }?)),
        NP700_COUNTERPART_GROUP => Some(Counterpart::Group(unsafe {
            subscribers("group", r.group, r.group_len)
        }?)),
        _ => return Err(bad_enum("counterpart")),
    };
    let expires_at = match r.expires_at {
        0 => None,
        t => Some(expiry_arg("expires_at", t)?),
    };
    let policy = if r.policy.is_null() {
        None
    } else {
        Some(unsafe { policy_arg(in_arg("policy", r.policy)?) }?)
    };
    Ok(Command::Update {
        tenant: TenantId::from_raw(r.tenant),
        binding: BindingId::from_raw(r.binding),
        counterpart,
        expires_at,
        policy,
    })
}

/// Changes a binding at `now` and reports it as it is now in `*out`. Pairs the change drops go
/// to quarantine.
///
/// # Safety
///
/// `request` must point to an initialised `np700_update_request` whose pointers are valid as
/// documented there; `out` must be valid for a write of one `np700_binding_info`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_update(
    registry: *const np700_registry,
    request: *const np700_update_request,
    now: u64,
    out: *mut np700_binding_info,
) -> np700_status {
    boundary("np700_registry_update", || {
        let out = Out::new("out", out)?;
        // SAFETY: the caller's promises.
        let command = unsafe { update_command(in_arg("request", request)?) }?;
        let now = time_arg("now", now)?;
        let info = bound(&execute(registry, &command, now)?)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(info) };
        Ok(())
    })
}

fn lifecycle(
    registry: *const np700_registry,
    now: u64,
    make: impl FnOnce() -> Command,
) -> Result<(), Failure> {
    let now = time_arg("now", now)?;
    execute(registry, &make(), now).map(drop)
}

/// Suspends a binding at `now` (anti-fraud, or on request): it refuses calls
/// (`NP700_REJECT_BINDING_SUSPENDED`) until resumed.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_suspend(
    registry: *const np700_registry,
    tenant: u32,
    binding: u64,
    now: u64,
) -> np700_status {
    boundary("np700_registry_suspend", || {
        lifecycle(registry, now, || Command::Suspend {
            tenant: TenantId::from_raw(tenant),
            binding: BindingId::from_raw(binding),
        })
    })
}

/// Resumes a suspended binding at `now`.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_resume(
    registry: *const np700_registry,
    tenant: u32,
    binding: u64,
    now: u64,
) -> np700_status {
    boundary("np700_registry_resume", || {
        lifecycle(registry, now, || Command::Resume {
            tenant: TenantId::from_raw(tenant),
            binding: BindingId::from_raw(binding),
        })
    })
}

/// Releases a binding at `now`; its pairs go to quarantine, so a former counterpart calling X
/// hears `NP700_ANNOUNCE_SERVICE_ENDED` instead of reaching the number's next user.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_unbind(
    registry: *const np700_registry,
    tenant: u32,
    binding: u64,
    now: u64,
) -> np700_status {
    boundary("np700_registry_unbind", || {
        lifecycle(registry, now, || Command::Unbind {
            tenant: TenantId::from_raw(tenant),
            binding: BindingId::from_raw(binding),
        })
    })
}

/// Reports a live binding of `tenant`: `NP700_ERR_UNKNOWN_BINDING` if no binding has this id,
/// `NP700_ERR_BINDING_ENDED` once it was released or swept, `NP700_ERR_CROSS_TENANT` if another
/// tenant owns it.
///
/// # Safety
///
/// `out` must be valid for a write of one `np700_binding_info`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_binding(
    registry: *const np700_registry,
    tenant: u32,
    binding: u64,
    out: *mut np700_binding_info,
) -> np700_status {
    boundary("np700_registry_binding", || {
        let out = Out::new("out", out)?;
        let (tenant, id) = (TenantId::from_raw(tenant), BindingId::from_raw(binding));
        let found = with_registry(registry, |r| {
            r.with_state(|s| match s.binding(id) {
                Some(b) if b.tenant != tenant => Err(Error::CrossTenant {
                    binding: id,
                    tenant,
                }),
                Some(b) => Ok(info_of(b)),
                None if id.raw() != 0 && id < s.next_binding_id() => Err(Error::BindingEnded(id)),
                None => Err(Error::UnknownBinding(id)),
            })
        })?;
        let info = found.map_err(refused)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(info) };
        Ok(())
    })
}
