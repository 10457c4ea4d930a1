//! `np700_registry`: the writer — tenants, number resources, bindings — and its routing index.

use super::args::{
    NP700_MAX_NUMBER_LEN, Out, list_arg, np700_str, put_text, str_arg, str_field, time_arg,
};
use super::config::{np700_config, settings};
use super::handle::Table;
use super::status::{
    Failure, NP700_ERR_BAD_ENUM, NP700_ERR_INTERNAL, NP700_ERR_INVALID_FIELD, NP700_ERR_TOO_LONG,
    boundary, np700_status,
};
use crate::command::Command;
use crate::error::Error;
use crate::event::Event;
use crate::index::layout::Capacity;
use crate::number::ManagementNumber;
use crate::pool::{Holding, LicensedBlock, Tag};
use crate::registry::Registry;
use crate::state::{MAX_NOTE_LEN, State};
use crate::tenant::{MAX_TENANT_NAME, Scenario, TenantId, TenantStatus, ViolationKind};
use crate::time::Timestamp;
use std::ffi::c_char;

/// A registry (opaque): the platform's tenants, number resources and bindings, and the
/// lock-free routing index switches read.
///
/// Thread safety: every function taking a `const np700_registry *` may be called from any
/// number of threads at once. Writes (tenants, numbers, bindings, sweeps) are carried out one at
/// a time; `np700_route()` never waits for them. `np700_registry_free()` may be called while
/// other threads are still inside calls with the handle: the registry is dropped when the last
/// of them returns, and later calls get `NP700_ERR_INVALID_HANDLE`.
#[allow(non_camel_case_types)]
pub struct np700_registry {
    _opaque: [u8; 0],
}

pub(crate) static REGISTRIES: Table<Registry> = Table::new(1);

const WHAT: &str = "registry";

/// Runs `f` on the registry a handle names.
pub(crate) fn with_registry<R>(
    registry: *const np700_registry,
    f: impl FnOnce(&Registry) -> R,
) -> Result<R, Failure> {
    REGISTRIES.with(WHAT, registry, f)
}

/// Carries out a command; a refusal becomes its status.
pub(crate) fn execute(
    registry: *const np700_registry,
    command: &Command,
    now: Timestamp,
) -> Result<Vec<Event>, Failure> {
    with_registry(registry, |r| r.execute(command, now))?.map_err(refused)
}

/// A refusal by the registry's rules.
pub(crate) fn refused(e: Error) -> Failure {
    Failure::error("refused", e)
}

/// A text field: longer than `max` bytes is `NP700_ERR_INVALID_FIELD` (what the registry says of
/// over-long text), without reading it.
///
/// # Safety
///
/// As `str_arg`.
pub(crate) unsafe fn text_arg(
    what: &'static str,
    ptr: *const c_char,
    len: usize,
    max: usize,
) -> Result<String, Failure> {
    // SAFETY: forwarded from the caller.
    unsafe { str_arg(what, ptr, len, max, NP700_ERR_INVALID_FIELD) }.map(str::to_owned)
}

/// A management number argument.
///
/// # Safety
///
/// As `str_arg`.
unsafe fn management_arg(
    what: &'static str,
    ptr: *const c_char,
    len: usize,
) -> Result<ManagementNumber, Failure> {
    // SAFETY: forwarded from the caller.
    let s = unsafe { str_arg(what, ptr, len, NP700_MAX_NUMBER_LEN, NP700_ERR_TOO_LONG) }?;
    ManagementNumber::parse_bytes(s.as_bytes()).map_err(|e| Failure::number(what, e))
}

/// Creates a registry from a configuration. On success `*out` is the new handle; free it with
/// `np700_registry_free()`. The configuration is copied: it may be changed or freed afterwards.
///
/// With a shared path set (`np700_config_set_shared_path()`), the index file is created there
/// (replacing a previous writer's, whose readers move over): `NP700_ERR_IO` if it cannot be.
/// `NP700_ERR_IO` too when the memory for the controls (see `np700_config_set_records()` and
/// `np700_config_set_control_sizes()`) cannot be mapped.
///
/// # Safety
///
/// `out` must be NULL (refused) or valid for a write of one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_new(
    config: *const np700_config,
    out: *mut *mut np700_registry,
) -> np700_status {
    boundary("np700_registry_new", || {
        let out = Out::new("out", out)?;
        let s = settings(config)?;
        let capacity = Capacity::for_bindings(s.capacity_bindings);
        let registry = match &s.shared_path {
            // `Registry::new` with a failure to map the control region as an error rather than
            // a panic: the controls' sizes come from C and may ask for more than can be mapped.
            None => Registry::replica(State::new(s.core), capacity, None).map_err(refused)?,
            Some(path) => Registry::new_shared(s.core, capacity, path)
                .map_err(|e| Failure::io("shared path", e))?,
        };
        let handle = REGISTRIES.insert(WHAT, registry)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees a registry. NULL is a no-op (`NP700_OK`); a stale or already freed handle is
/// `NP700_ERR_INVALID_HANDLE`. A shared index file stays where it is (readers keep answering
/// from it, frozen); a new registry at the same path replaces it.
///
/// # Safety
///
/// None beyond passing a value returned as an `np700_registry *` (or NULL): stale values are
/// detected.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_free(registry: *mut np700_registry) -> np700_status {
    boundary("np700_registry_free", || REGISTRIES.remove(WHAT, registry))
}

/// A tenant's status (`NP700_TENANT_*`).
#[allow(non_camel_case_types)]
pub type np700_tenant_status = u32;
/// Normal service.
pub const NP700_TENANT_ACTIVE: np700_tenant_status = 1;
/// Suspended: no new bindings, and its bindings are refused (`NP700_REJECT_TENANT_SUSPENDED`).
pub const NP700_TENANT_SUSPENDED: np700_tenant_status = 2;
/// Left the pilot: no new bindings; existing ones keep routing until they expire.
pub const NP700_TENANT_EXITED: np700_tenant_status = 3;

/// A business scenario a tenant contracted for (`NP700_SCENARIO_*`).
#[allow(non_camel_case_types)]
pub type np700_scenario = u32;
/// Parcel and courier delivery.
pub const NP700_SCENARIO_DELIVERY: np700_scenario = 1;
/// Food and grocery delivery.
pub const NP700_SCENARIO_FOOD_DELIVERY: np700_scenario = 2;
/// Ride-hailing and taxis.
pub const NP700_SCENARIO_RIDE_HAILING: np700_scenario = 3;
/// Online retail.
pub const NP700_SCENARIO_E_COMMERCE: np700_scenario = 4;
/// Housekeeping and home services.
pub const NP700_SCENARIO_HOME_SERVICES: np700_scenario = 5;
/// Recruitment.
pub const NP700_SCENARIO_RECRUITMENT: np700_scenario = 6;
/// Real estate and rentals.
pub const NP700_SCENARIO_REAL_ESTATE: np700_scenario = 7;
/// Any other scenario registered with the regulator.
pub const NP700_SCENARIO_OTHER: np700_scenario = 8;

/// The kind of a violation in a tenant's credit record (`NP700_VIOLATION_*`).
#[allow(non_camel_case_types)]
pub type np700_violation = u32;
/// Marketing or unsolicited traffic.
pub const NP700_VIOLATION_MARKETING: np700_violation = 1;
/// Fraud or suspected fraud.
pub const NP700_VIOLATION_FRAUD: np700_violation = 2;
/// 700 numbers used to register internet applications.
pub const NP700_VIOLATION_APP_REGISTRATION: np700_violation = 3;
/// Bindings made without the user's consent.
pub const NP700_VIOLATION_MISSING_CONSENT: np700_violation = 4;
/// Any other breach of the platform agreement.
pub const NP700_VIOLATION_OTHER: np700_violation = 5;

fn bad_enum(what: &'static str) -> Failure {
    Failure::new(NP700_ERR_BAD_ENUM, what, "not one of its documented values")
}

fn tenant_status_arg(code: np700_tenant_status) -> Result<TenantStatus, Failure> {
    Ok(match code {
        NP700_TENANT_ACTIVE => TenantStatus::Active,
        NP700_TENANT_SUSPENDED => TenantStatus::Suspended,
        NP700_TENANT_EXITED => TenantStatus::Exited,
        _ => return Err(bad_enum("status")),
    })
}

fn tenant_status_code(status: TenantStatus) -> np700_tenant_status {
    match status {
        TenantStatus::Active => NP700_TENANT_ACTIVE,
        TenantStatus::Suspended => NP700_TENANT_SUSPENDED,
        TenantStatus::Exited => NP700_TENANT_EXITED,
    }
}

fn scenario_arg(code: np700_scenario) -> Result<Scenario, Failure> {
    Ok(match code {
        NP700_SCENARIO_DELIVERY => Scenario::Delivery,
        NP700_SCENARIO_FOOD_DELIVERY => Scenario::FoodDelivery,
        NP700_SCENARIO_RIDE_HAILING => Scenario::RideHailing,
        NP700_SCENARIO_E_COMMERCE => Scenario::ECommerce,
        NP700_SCENARIO_HOME_SERVICES => Scenario::HomeServices,
        NP700_SCENARIO_RECRUITMENT => Scenario::Recruitment,
        NP700_SCENARIO_REAL_ESTATE => Scenario::RealEstate,
        NP700_SCENARIO_OTHER => Scenario::Other,
        _ => return Err(bad_enum("scenarios")),
    })
}

fn violation_arg(code: np700_violation) -> Result<ViolationKind, Failure> {
    Ok(match code {
        NP700_VIOLATION_MARKETING => ViolationKind::Marketing,
        NP700_VIOLATION_FRAUD => ViolationKind::Fraud,
        NP700_VIOLATION_APP_REGISTRATION => ViolationKind::AppRegistration,
        NP700_VIOLATION_MISSING_CONSENT => ViolationKind::MissingConsent,
        NP700_VIOLATION_OTHER => ViolationKind::Other,
        _ => return Err(bad_enum("kind")),
    })
}

/// Registers a tenant at `now` and writes its id (assigned in order from 1, never reused) to
/// `*out_tenant`.
///
/// - `name`: 1..=128 bytes of UTF-8 without control characters (`NP700_ERR_INVALID_FIELD`).
/// - `scenarios`: `scenarios_len` `NP700_SCENARIO_*` codes (`NP700_ERR_BAD_ENUM`), at most
///   `NP700_MAX_LIST_LEN`; `(NULL, 0)` for none. Duplicates are ignored.
/// - `pair_cap`: the most bindings one usage number carries for this tenant; 0 takes the
///   configuration's default.
///
/// # Safety
///
/// `name` must be NULL or valid for reads of `name_len` bytes; `scenarios` NULL or valid for
/// reads of `scenarios_len` values; `out_tenant` valid for a write.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_registry_register_tenant(
    registry: *const np700_registry,
    name: *const c_char,
    name_len: usize,
    scenarios: *const np700_scenario,
    scenarios_len: usize,
    pair_cap: u16,
    now: u64,
    out_tenant: *mut u32,
) -> np700_status {
    boundary("np700_registry_register_tenant", || {
        let out = Out::new("out_tenant", out_tenant)?;
        // SAFETY: the caller's promises.
        let name = unsafe { text_arg("name", name, name_len, MAX_TENANT_NAME) }?;
        // SAFETY: the caller's promises.
        let codes = unsafe { list_arg("scenarios", scenarios, scenarios_len) }?;
        let scenarios = codes
            .iter()
            .map(|&c| scenario_arg(c))
            .collect::<Result<Vec<_>, _>>()?;
        let now = time_arg("now", now)?;
        let command = Command::RegisterTenant {
            name,
            scenarios,
            pair_cap: (pair_cap != 0).then_some(pair_cap),
        };
        let events = execute(registry, &command, now)?;
        let id = events.iter().find_map(|e| match e {
            Event::TenantRegistered { tenant } => Some(tenant.id.raw()),
            _ => None,
        });
        let id = id.ok_or(Failure::new(
            NP700_ERR_INTERNAL,
            "register",
            "no tenant event",
        ))?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(id) };
        Ok(())
    })
}

/// Changes a tenant's status at `now` (`NP700_TENANT_*`, else `NP700_ERR_BAD_ENUM`).
/// Suspending a tenant makes its bindings refuse calls at once; reactivating restores them.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_set_tenant_status(
    registry: *const np700_registry,
    tenant: u32,
    status: np700_tenant_status,
    now: u64,
) -> np700_status {
    boundary("np700_registry_set_tenant_status", || {
        let status = tenant_status_arg(status)?;
        let now = time_arg("now", now)?;
        let tenant = TenantId::from_raw(tenant);
        execute(registry, &Command::SetTenantStatus { tenant, status }, now).map(drop)
    })
}

/// Adds a violation (`NP700_VIOLATION_*`) with a free-text note (at most 256 bytes of UTF-8
/// without control characters; may be empty) to a tenant's credit record at `now`.
///
/// # Safety
///
/// `note` must be NULL or valid for reads of `note_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_record_violation(
    registry: *const np700_registry,
    tenant: u32,
    kind: np700_violation,
    note: *const c_char,
    note_len: usize,
    now: u64,
) -> np700_status {
    boundary("np700_registry_record_violation", || {
        let kind = violation_arg(kind)?;
        // SAFETY: the caller's promise.
        let note = unsafe { text_arg("note", note, note_len, MAX_NOTE_LEN) }?;
        let now = time_arg("now", now)?;
        let tenant = TenantId::from_raw(tenant);
        execute(
            registry,
            &Command::RecordViolation { tenant, kind, note },
            now,
        )
        .map(drop)
    })
}

/// Room for a tenant's name and its NUL.
pub const NP700_NAME_BUF_LEN: usize = 129;
const _: () = assert!(NP700_NAME_BUF_LEN == MAX_TENANT_NAME + 1);

/// A tenant as `np700_registry_tenant()` reports it.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_tenant_info {
    /// Its id.
    pub id: u32,
    /// `NP700_TENANT_*`.
    pub status: np700_tenant_status,
    /// The most bindings one usage number carries for it.
    pub pair_cap: u16,
    /// Management numbers it holds.
    pub numbers_held: u64,
    /// Entries in its credit record.
    pub violations: u64,
    /// When it was registered (seconds since the Unix epoch).
    pub registered_at: u64,
    /// Its name, NUL-terminated UTF-8.
    pub name: [c_char; NP700_NAME_BUF_LEN],
}

/// Reports a tenant (`NP700_ERR_UNKNOWN_TENANT` if there is none with this id).
///
/// # Safety
///
/// `out` must be valid for a write of one `np700_tenant_info`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_tenant(
    registry: *const np700_registry,
    tenant: u32,
    out: *mut np700_tenant_info,
) -> np700_status {
    boundary("np700_registry_tenant", || {
        let out = Out::new("out", out)?;
        let id = TenantId::from_raw(tenant);
        let info = with_registry(registry, |r| {
            r.with_state(|s| {
                s.tenant(id).map(|t| np700_tenant_info {
                    id: t.id.raw(),
                    status: tenant_status_code(t.status),
                    pair_cap: t.pair_cap,
                    numbers_held: s.pool().count_held_by(id) as u64,
                    violations: t.credit_record.len() as u64,
                    registered_at: t.registered_at.unix_secs(),
                    name: put_text(&t.name),
                })
            })
        })?;
        let info = info.ok_or_else(|| refused(Error::UnknownTenant(id)))?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(info) };
        Ok(())
    })
}

/// Licenses `count` management numbers starting at `first` (an 11-digit `700…` number in any
/// dial form) to the platform at `now`. Blocks may not overlap (`NP700_ERR_BLOCK_OVERLAPS`) and
/// hold 1..=100,000 numbers inside the segment (`NP700_ERR_INVALID_BLOCK`). A registry holds at
/// most 32,768 licensed management numbers in all (the routing index's directory): a block that
/// would take it past that is refused with `NP700_ERR_INDEX_FULL` and changes nothing.
///
/// # Safety
///
/// `first` must be NULL or valid for reads of `first_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_license_block(
    registry: *const np700_registry,
    first: *const c_char,
    first_len: usize,
    count: u32,
    now: u64,
) -> np700_status {
    boundary("np700_registry_license_block", || {
        // SAFETY: the caller's promise.
        let first = unsafe { management_arg("first", first, first_len) }?;
        let now = time_arg("now", now)?;
        let block = LicensedBlock { first, count };
        execute(registry, &Command::LicenseBlock(block), now).map(drop)
    })
}

/// Assigns a licensed management number (and so its 10,000 usage numbers) to a tenant at `now`,
/// with selection tags (each 1..=32 bytes without whitespace or control characters,
/// `NP700_ERR_BAD_TAG`; at most `NP700_MAX_LIST_LEN`; `(NULL, 0)` for none). A number belongs to
/// one tenant at a time: `NP700_ERR_HELD_BY_ANOTHER_TENANT`, `NP700_ERR_NUMBER_IN_QUARANTINE`.
///
/// # Safety
///
/// `number` must be NULL or valid for reads of `number_len` bytes; `tags` NULL or valid for
/// reads of `tags_len` `np700_str`, each valid as a string argument.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_assign_number(
    registry: *const np700_registry,
    tenant: u32,
    number: *const c_char,
    number_len: usize,
    tags: *const np700_str,
    tags_len: usize,
    now: u64,
) -> np700_status {
    boundary("np700_registry_assign_number", || {
        // SAFETY: the caller's promise.
        let number = unsafe { management_arg("number", number, number_len) }?;
        // SAFETY: the caller's promise.
        let tags = unsafe { list_arg("tags", tags, tags_len) }?
            .iter()
            // SAFETY: the caller promises each element is a valid string argument.
            .map(|&t| unsafe { tag_arg("tags", t) })
            .collect::<Result<Vec<_>, _>>()?;
        let now = time_arg("now", now)?;
        let tenant = TenantId::from_raw(tenant);
        let command = Command::AssignNumber {
            tenant,
            number,
            tags,
        };
        execute(registry, &command, now).map(drop)
    })
}

/// A tag argument.
///
/// # Safety
///
/// As `str_field`.
pub(crate) unsafe fn tag_arg(what: &'static str, s: np700_str) -> Result<Tag, Failure> {
    use super::status::NP700_ERR_BAD_TAG;
    use crate::pool::{InvalidTag, MAX_TAG_LEN};
    // SAFETY: forwarded from the caller.
    let text = unsafe { str_field(what, s, MAX_TAG_LEN, NP700_ERR_BAD_TAG) }?;
    Tag::new(text).map_err(|e: InvalidTag| Failure::tag(what, e))
}

/// Takes a management number back from a tenant at `now`; it goes to quarantine for the
/// configured time before another tenant may have it. `NP700_ERR_NUMBER_IN_USE` while it still
/// carries live bindings.
///
/// # Safety
///
/// `number` must be NULL or valid for reads of `number_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_reclaim_number(
    registry: *const np700_registry,
    tenant: u32,
    number: *const c_char,
    number_len: usize,
    now: u64,
) -> np700_status {
    boundary("np700_registry_reclaim_number", || {
        // SAFETY: the caller's promise.
        let number = unsafe { management_arg("number", number, number_len) }?;
        let now = time_arg("now", now)?;
        let tenant = TenantId::from_raw(tenant);
        execute(registry, &Command::ReclaimNumber { tenant, number }, now).map(drop)
    })
}

/// Sweeps at `now`: bindings past their expiry end (their pairs go to quarantine) and ended
/// quarantines are dropped. Writes how many bindings expired to `*out_expired`. Expired bindings
/// never route even before a sweep; sweeping keeps memory and statistics current.
///
/// # Safety
///
/// `out_expired` must be valid for a write of one `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_sweep(
    registry: *const np700_registry,
    now: u64,
    out_expired: *mut usize,
) -> np700_status {
    boundary("np700_registry_sweep", || {
        let out = Out::new("out_expired", out_expired)?;
        let now = time_arg("now", now)?;
        let events = execute(registry, &Command::Sweep, now)?;
        let expired = events
            .iter()
            .filter(|e| matches!(e, Event::Expired { .. }))
            .count();
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(expired) };
        Ok(())
    })
}

/// Counts over a registry, as `np700_registry_stats()` reports them.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct np700_stats {
    /// Registered tenants.
    pub tenants: u64,
    /// Tenants whose status is active.
    pub active_tenants: u64,
    /// Licensed blocks.
    pub licensed_blocks: u64,
    /// Management numbers in the licensed blocks.
    pub licensed_numbers: u64,
    /// Management numbers held by tenants.
    pub assigned_numbers: u64,
    /// Management numbers in quarantine after a reclaim (until a sweep drops ended ones).
    pub quarantined_numbers: u64,
    /// Live bindings (active or suspended; expired ones until a sweep ends them).
    pub bindings: u64,
    /// Live bindings that are suspended.
    pub suspended_bindings: u64,
    /// Usage numbers with route entries or quarantines.
    pub usage_numbers_in_use: u64,
    /// The routing index's generation (grows by one each time the index is rebuilt bigger).
    pub index_generation: u64,
    /// The routing index's size in bytes (virtual; resident memory is what is used).
    pub index_bytes: u64,
    /// The routing index's entry slots.
    pub index_entries: u64,
}

fn stats_of(s: &State) -> np700_stats {
    use crate::binding::BindingStatus;
    let mut st = np700_stats {
        tenants: s.tenants().count() as u64,
        active_tenants: s.tenants().filter(|t| t.may_bind()).count() as u64,
        licensed_blocks: s.pool().blocks().len() as u64,
        licensed_numbers: s.pool().blocks().iter().map(|b| u64::from(b.count)).sum(),
        usage_numbers_in_use: s.usage_entries().count() as u64,
        ..np700_stats::default()
    };
    for (_, holding) in s.pool().holdings() {
        match holding {
            Holding::Assigned { .. } => st.assigned_numbers += 1,
            Holding::Quarantined { .. } => st.quarantined_numbers += 1,
            Holding::Free => {}
        }
    }
    for b in s.bindings() {
        st.bindings += 1;
        if b.status == BindingStatus::Suspended {
            st.suspended_bindings += 1;
        }
    }
    st
}

/// Reports counts over the registry. Takes the writer's lock and walks the bindings (O(live
/// bindings)): for monitoring, not for every call. Never blocks `np700_route()`.
///
/// # Safety
///
/// `out` must be valid for a write of one `np700_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_stats(
    registry: *const np700_registry,
    out: *mut np700_stats,
) -> np700_status {
    boundary("np700_registry_stats", || {
        let out = Out::new("out", out)?;
        let stats = with_registry(registry, |r| {
            let mut st = r.with_state(stats_of);
            let index = r.index();
            st.index_generation = index.generation();
            st.index_bytes = index.bytes() as u64;
            st.index_entries = index.capacity().entries as u64;
            st
        })?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(stats) };
        Ok(())
    })
}
