//! Hand-over from C: a platform's live bindings, quarantines and numbers exported as the
//! versioned JSON document of `np700::handover` and imported into another registry with
//! identical routing; and the migration of legacy middle-number bindings onto 700 numbers.
//!
//! The document goes out into a caller's buffer (the `needed` convention of
//! `np700_last_error()`: ask for the size, then fill) and comes back in as a
//! `(const char *, size_t)` string; reports are caller-owned structs and arrays, so nothing here
//! hands out memory either.

use super::args::{
    NP700_MAX_NUMBER_LEN, NP700_MAX_TABLE_LEN, Out, TextOut, in_arg, np700_str, put_bytes,
    put_text, put_u64, str_arg, str_field, table_arg, time_arg,
};
use super::binding::{NP700_NUMBER_LEN, np700_policy, policy_arg};
use super::registry::{np700_registry, refused, tag_arg, with_registry};
use super::status::{
    Failure, NP700_ERR_BAD_ENUM, NP700_ERR_BAD_NUMBER, NP700_ERR_BUFFER_TOO_SMALL,
    NP700_ERR_MAPPING_NOT_ONE_TO_ONE, NP700_ERR_NULL, NP700_ERR_TOO_LONG, boundary, np700_status,
};
use crate::error::Error;
use crate::handover::legacy::{
    self, LegacyNumber, LegacyOptions, LegacyOutcome, LegacyRefusal, LegacyTarget,
};
use crate::handover::{
    BindingIds, Handover, ImportOptions, ImportReport, ImportRequest, Scope, export_from,
    import_into,
};
use crate::number::{DialedNumber, UsageNumber, parse_dialed_bytes};
use crate::pool::TagMatch;
use crate::tenant::TenantId;
use std::collections::BTreeMap;
use std::ffi::c_char;

/// The longest document (hand-over JSON, legacy JSON lines) accepted: what a C object can be.
const MAX_DOCUMENT_LEN: usize = isize::MAX as usize;

/// Exports a hand-over document: everything one tenant (`tenant`), or the whole platform
/// (`tenant` 0), has that routing depends on, as it stands at `now` — the tenants, the licensed
/// blocks their numbers are in, the management numbers they hold (and those in quarantine after
/// them), every live binding and every running quarantine. The document is the versioned JSON of
/// np700's hand-over format (`"format": "np700-handover"`, `"version": 1`; every field is
/// described in the Rust documentation of `np700::handover`); `np700_registry_import()` reads it
/// into another registry with identical routing.
///
/// - `buf`, `buf_len`: where the document goes, NUL-terminated. If it and its NUL fit, it is
///   copied and `NP700_OK` returned; otherwise `NP700_ERR_BUFFER_TOO_SMALL` is returned and
///   `buf` is left untouched. Call with `(NULL, 0)` to ask for the size alone.
/// - `needed`, if not NULL, receives the size the document needs including its NUL — on success
///   and on `NP700_ERR_BUFFER_TOO_SMALL` alike (the one output written on an error), so
///   `*needed - 1` is the document's length in bytes.
/// - The document depends only on the registry's state and `now`: with no write in between, a
///   second call with a buffer of `*needed` bytes succeeds. (If writes may come in between, loop
///   while the status is `NP700_ERR_BUFFER_TOO_SMALL`.)
///
/// Exporting reads the state under the writer's lock (writes wait meanwhile, in proportion to
/// the bindings exported; routing does not) and changes nothing: a platform that exits exports
/// its tenant, has the document imported by whoever keeps serving its bindings, and stops
/// binding.
///
/// Errors: `NP700_ERR_NULL` (`buf` NULL with a length, or `needed` misaligned),
/// `NP700_ERR_OUT_OF_RANGE` (`now`), `NP700_ERR_UNKNOWN_TENANT`, `NP700_ERR_BUFFER_TOO_SMALL`.
///
/// # Safety
///
/// `buf` must be NULL or valid for writes of `buf_len` bytes; `needed` NULL or valid for a write
/// of one `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_export(
    registry: *const np700_registry,
    tenant: u32,
    now: u64,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> np700_status {
    boundary("np700_registry_export", || {
        let text_out = TextOut::new(buf, buf_len, needed)?;
        let now = time_arg("now", now)?;
        let scope = match tenant {
            0 => Scope::Platform,
            t => Scope::Tenant(TenantId::from_raw(t)),
        };
        let handover = with_registry(registry, |r| export_from(r, scope, now))?.map_err(refused)?;
        let json = handover.to_json();
        // SAFETY: the caller's promises for `buf` and `needed`.
        unsafe {
            text_out.write(
                &json,
                "smaller than the document and its NUL (see `needed`)",
            )
        }
    })
}

/// One entry of an import's tenant mapping: a tenant of the hand-over and the tenant of the
/// registry it becomes.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_tenant_mapping {
    /// The tenant's id in the hand-over (the exporter's id).
    pub exported: u32,
    /// A tenant the registry already has, with the same status.
    pub target: u32,
}

/// How an import numbers the bindings it installs (`NP700_IMPORT_*`).
#[allow(non_camel_case_types)]
pub type np700_import_ids = u32;
/// Keep the exported binding ids (right for an empty registry); `NP700_ERR_BINDING_ID_TAKEN` if
/// the registry has issued any of them.
pub const NP700_IMPORT_KEEP_IDS: np700_import_ids = 0;
/// Give them the registry's next ids, in increasing order of the exported ones.
pub const NP700_IMPORT_RENUMBER: np700_import_ids = 1;

/// What `np700_registry_import()` did.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct np700_import_report {
    /// Tenants in the hand-over.
    pub tenants: u64,
    /// Of them, mapped onto tenants the registry had (the entries of `tenant_map`).
    pub tenants_mapped: u64,
    /// Of them, registered anew: with consecutive ids from `first_tenant`, in the order of the
    /// hand-over's `tenants` list (increasing exported id in what np700 exports).
    pub tenants_registered: u64,
    /// Licensed blocks added (an exported block overlapping none of the registry's).
    pub blocks_licensed: u64,
    /// Management numbers assigned, or put in quarantine after their tenant.
    pub numbers: u64,
    /// Bindings installed.
    pub bindings: u64,
    /// Route-entry quarantines installed ("service ended" for former parties).
    pub quarantines: u64,
    /// Binding ids the hand-over uses: its live bindings' and those its quarantines name.
    pub binding_ids: u64,
    /// The id the smallest of those has in the registry (0 if none). With
    /// `NP700_IMPORT_KEEP_IDS` every id is unchanged; with `NP700_IMPORT_RENUMBER` they have
    /// consecutive ids from this one, in increasing order of the exported ids.
    pub first_binding: u64,
    /// The id of the first tenant registered (0 if none).
    pub first_tenant: u32,
}

fn report_of(r: &ImportReport, mapped: &BTreeMap<TenantId, TenantId>) -> np700_import_report {
    let first_tenant = r
        .tenants
        .iter()
        .filter(|(from, _)| !mapped.contains_key(*from))
        .map(|(_, to)| to.raw())
        .min()
        .unwrap_or(0);
    np700_import_report {
        tenants: r.tenants.len() as u64,
        tenants_mapped: mapped.len() as u64,
        tenants_registered: r.tenants_registered as u64,
        blocks_licensed: r.blocks_licensed as u64,
        numbers: r.numbers as u64,
        bindings: r.bound as u64,
        quarantines: r.quarantines as u64,
        binding_ids: r.bindings.len() as u64,
        first_binding: r.bindings.values().next().map_or(0, |id| id.raw()),
        first_tenant,
    }
}

/// Imports a hand-over document (as `np700_registry_export()` writes it) at `now`, so that every
/// call routes as it did in the exporting registry: the same caller dialling the same number gets
/// the same decision, up to tenant and binding ids (identical too in an empty registry with
/// `NP700_IMPORT_KEEP_IDS`). The import is one write: validated completely before anything
/// changes, journaled like any write in a journaled registry, all or nothing — on an error the
/// registry is as it was.
///
/// - `json`, `json_len`: the document (UTF-8, not NUL-terminated; at most `PTRDIFF_MAX` bytes).
/// - `tenant_map`, `tenant_map_len`: tenants of the hand-over that the registry already has
///   (at most `NP700_MAX_TABLE_LEN` entries; `(NULL, 0)` for none). Each must have the exported
///   status; every other tenant of the hand-over is registered anew (see `np700_import_report`).
/// - `binding_ids`: `NP700_IMPORT_KEEP_IDS` or `NP700_IMPORT_RENUMBER`.
/// - `*out`: what the import did.
///
/// The document's numbers must fit: an exported block that overlaps none of the registry's is
/// licensed, otherwise the numbers used must already be licensed here; each management number
/// must be free (or held by the tenant it maps to); no usage number of the hand-over may carry
/// anything in the registry. Numbers never change tenant.
///
/// Errors, besides the arguments' (`NP700_ERR_NULL`, `NP700_ERR_INVALID_UTF8`,
/// `NP700_ERR_TOO_LONG` for the map, `NP700_ERR_BAD_ENUM` for `binding_ids`,
/// `NP700_ERR_OUT_OF_RANGE` for `now`): the document — `NP700_ERR_HANDOVER_UNREADABLE`,
/// `NP700_ERR_NOT_A_HANDOVER`, `NP700_ERR_HANDOVER_VERSION`, `NP700_ERR_HANDOVER_INCONSISTENT`
/// (the last error says which item); the mapping — `NP700_ERR_MAPPING_FROM_UNKNOWN`,
/// `NP700_ERR_MAPPING_TO_UNKNOWN`, `NP700_ERR_MAPPING_NOT_ONE_TO_ONE` (two tenants onto one, or
/// one tenant listed twice), `NP700_ERR_TENANT_STATUS_DIFFERS`; the registry —
/// `NP700_ERR_NOT_LICENSED`, `NP700_ERR_HELD_BY_ANOTHER_TENANT`,
/// `NP700_ERR_NUMBER_IN_QUARANTINE`, `NP700_ERR_ENTRY_IN_USE`, `NP700_ERR_BINDING_ID_TAKEN`,
/// `NP700_ERR_BINDING_IDS_EXHAUSTED`, `NP700_ERR_INDEX_FULL`; and a journaled registry's
/// `NP700_ERR_IO`, `NP700_ERR_JOURNAL_HALTED`.
///
/// # Safety
///
/// `json` must be NULL or valid for reads of `json_len` bytes; `tenant_map` NULL or valid for
/// reads of `tenant_map_len` entries; `out` valid for a write of one `np700_import_report`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_registry_import(
    registry: *const np700_registry,
    json: *const c_char,
    json_len: usize,
    tenant_map: *const np700_tenant_mapping,
    tenant_map_len: usize,
    binding_ids: np700_import_ids,
    now: u64,
    out: *mut np700_import_report,
) -> np700_status {
    boundary("np700_registry_import", || {
        let out = Out::new("out", out)?;
        // SAFETY: the caller's promise.
        let json =
            unsafe { str_arg("json", json, json_len, MAX_DOCUMENT_LEN, NP700_ERR_TOO_LONG) }?;
        // SAFETY: the caller's promise.
        let map = unsafe {
            table_arg(
                "tenant_map",
                tenant_map,
                tenant_map_len,
                NP700_MAX_TABLE_LEN,
            )
        }?;
        let binding_ids = match binding_ids {
            NP700_IMPORT_KEEP_IDS => BindingIds::Keep,
            NP700_IMPORT_RENUMBER => BindingIds::Renumber,
            _ => {
                return Err(Failure::new(
                    NP700_ERR_BAD_ENUM,
                    "binding_ids",
                    "not one of its documented values",
                ));
            }
        };
        let now = time_arg("now", now)?;
        let mut tenants = BTreeMap::new();
        for m in map {
            let (from, to) = (TenantId::from_raw(m.exported), TenantId::from_raw(m.target));
            if tenants.insert(from, to).is_some() {
                return Err(Failure::new(
                    NP700_ERR_MAPPING_NOT_ONE_TO_ONE,
                    "tenant_map",
                    "an exported tenant listed twice",
                ));
            }
        }
        let report = with_registry(registry, |r| {
            let handover = Handover::from_json(json.as_bytes())?;
            let options = ImportOptions {
                tenants: tenants.clone(),
                binding_ids,
            };
            import_into(r, ImportRequest { handover, options }, now)
        })?
        .map_err(refused)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(report_of(&report, &tenants)) };
        Ok(())
    })
}

/// What became of a legacy line (`NP700_LEGACY_*`): migrated, or why not. Append-only.
#[allow(non_camel_case_types)]
pub type np700_legacy_result = u32;
/// Migrated: `binding`, `x` (and `y`) say to what.
pub const NP700_LEGACY_MIGRATED: np700_legacy_result = 0;
/// Not a JSON object of the record format, or a field of the wrong type.
pub const NP700_LEGACY_MALFORMED_LINE: np700_legacy_result = 1;
/// A field the mode requires is absent (`why` names it).
pub const NP700_LEGACY_MISSING_FIELD: np700_legacy_result = 2;
/// A number field does not parse (`why` names the field).
pub const NP700_LEGACY_MALFORMED_NUMBER: np700_legacy_result = 3;
/// The mode is not one of `AXB`, `AXN`, `AXYB`, `GXB`.
pub const NP700_LEGACY_UNKNOWN_MODE: np700_legacy_result = 4;
/// No consent reference: no binding is made without the user's consent.
pub const NP700_LEGACY_MISSING_CONSENT: np700_legacy_result = 5;
/// The binding has already expired at `now`.
pub const NP700_LEGACY_EXPIRED_ALREADY: np700_legacy_result = 6;
/// The legacy number is not in the table and unlisted numbers are refused.
pub const NP700_LEGACY_UNMAPPED: np700_legacy_result = 7;
/// No 700 usage number is left for it (the tenant's, or the target management number's).
pub const NP700_LEGACY_NO_NUMBER_LEFT: np700_legacy_result = 8;
/// The 700 number it maps to cannot carry it (a party already sees it, it is exclusive or full,
/// or a quarantine holds it back).
pub const NP700_LEGACY_CONFLICT: np700_legacy_result = 9;
/// The bind path refused it for another reason (invalid parties or policy, a reference too long,
/// the tenant not active, a number not the tenant's, …; `why` says which).
pub const NP700_LEGACY_REFUSED: np700_legacy_result = 10;
/// How many `NP700_LEGACY_*` results there are (the size of `np700_legacy_summary.by_result`).
pub const NP700_LEGACY_RESULTS: usize = 11;

/// Room for the reason of a refused line and its NUL (longer reasons are cut at a character
/// boundary).
pub const NP700_LEGACY_WHY_LEN: usize = 128;

/// An entry of a migration's table: a legacy middle number and where its bindings go.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_legacy_mapping {
    /// The legacy middle number: 11 digits `1[3-9]…` (a `+86`, `0086` or `86` prefix, spaces
    /// and `-` allowed) or a 95 number of 5 to 8 digits.
    pub legacy: np700_str,
    /// A 15-digit usage number (that one), an 11-digit management number (the first of its
    /// usage numbers, in order, that takes the binding — so one legacy number's bindings gather
    /// on the fewest 700 numbers), or empty for automatic selection among the tenant's numbers.
    pub target: np700_str,
}

/// How to migrate legacy bindings. Zero it for the defaults: automatic selection for every
/// legacy number, no tag, the default policy.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_legacy_options {
    /// Legacy numbers with a target of their own (at most `NP700_MAX_TABLE_LEN`; a number
    /// listed twice takes its last entry). `(NULL, 0)` for none.
    pub table: *const np700_legacy_mapping,
    /// Entries in `table`.
    pub table_len: usize,
    /// Non-zero: legacy numbers not in the table are refused (`NP700_LEGACY_UNMAPPED`); 0: they
    /// get a number by automatic selection.
    pub refuse_unlisted: u8,
    /// Automatic selection with a tag: non-zero takes only tagged numbers, 0 prefers them.
    pub tag_strict: u8,
    /// Automatic selection: prefer (or require) management numbers with this tag; empty for any.
    pub tag: np700_str,
    /// The policy of every migrated binding; NULL for `np700_policy_default()`.
    pub policy: *const np700_policy,
}

/// One line's outcome in a migration.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_legacy_line {
    /// The line number in the input (from 1; blank lines are counted but get no entry).
    pub line: u64,
    /// `NP700_LEGACY_*`.
    pub result: np700_legacy_result,
    /// Migrated: the new binding's id; 0 otherwise.
    pub binding: u64,
    /// Migrated: the usage number replacing the legacy X, NUL-terminated; empty otherwise.
    pub x: [c_char; NP700_NUMBER_LEN],
    /// Migrated AXYB: the usage number replacing the legacy Y; empty otherwise.
    pub y: [c_char; NP700_NUMBER_LEN],
    /// Not migrated: why, in words (e.g. `"missing field b"`), NUL-terminated; empty otherwise.
    pub why: [c_char; NP700_LEGACY_WHY_LEN],
}

/// Counts over a migration.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct np700_legacy_summary {
    /// Non-blank lines read: one outcome each.
    pub lines: u64,
    /// Lines migrated.
    pub migrated: u64,
    /// Lines not migrated.
    pub refused: u64,
    /// Lines per outcome, indexed by `NP700_LEGACY_*`.
    pub by_result: [u64; NP700_LEGACY_RESULTS],
}

fn result_code(outcome: &LegacyOutcome) -> np700_legacy_result {
    match outcome {
        LegacyOutcome::Migrated { .. } => NP700_LEGACY_MIGRATED,
        LegacyOutcome::Refused(why) => match why {
            LegacyRefusal::MalformedLine(_) => NP700_LEGACY_MALFORMED_LINE,
            LegacyRefusal::MissingField(_) => NP700_LEGACY_MISSING_FIELD,
            LegacyRefusal::MalformedNumber { .. } => NP700_LEGACY_MALFORMED_NUMBER,
            LegacyRefusal::UnknownMode(_) => NP700_LEGACY_UNKNOWN_MODE,
            LegacyRefusal::MissingConsent => NP700_LEGACY_MISSING_CONSENT,
            LegacyRefusal::ExpiredAlready { .. } => NP700_LEGACY_EXPIRED_ALREADY,
            LegacyRefusal::Unmapped(_) => NP700_LEGACY_UNMAPPED,
            LegacyRefusal::NoNumberLeft(_) => NP700_LEGACY_NO_NUMBER_LEFT,
            LegacyRefusal::Conflict(_) => NP700_LEGACY_CONFLICT,
            LegacyRefusal::Refused(_) => NP700_LEGACY_REFUSED,
        },
    }
}

fn line_of(line: usize, outcome: &LegacyOutcome) -> np700_legacy_line {
    let mut entry = np700_legacy_line {
        line: line as u64,
        result: result_code(outcome),
        binding: 0,
        x: put_bytes(b""),
        y: put_bytes(b""),
        why: put_bytes(b""),
    };
    match outcome {
        LegacyOutcome::Migrated { binding, x, y } => {
            entry.binding = binding.raw();
            entry.x = put_u64(x.value());
            if let Some(y) = y {
                entry.y = put_u64(y.value());
            }
        }
        LegacyOutcome::Refused(why) => entry.why = put_text(&why.to_string()),
    }
    entry
}

/// A table target: a usage number, a management number, or empty (automatic).
///
/// # Safety
///
/// As `str_field`.
unsafe fn target_arg(what: &'static str, s: np700_str) -> Result<LegacyTarget, Failure> {
    if s.len == 0 {
        return Ok(LegacyTarget::Automatic);
    }
    // SAFETY: forwarded.
    let text = unsafe { str_field(what, s, NP700_MAX_NUMBER_LEN, NP700_ERR_TOO_LONG) }?;
    match parse_dialed_bytes(text.as_bytes()) {
        Ok(DialedNumber::Usage(x)) => Ok(LegacyTarget::Usage(x)),
        Ok(DialedNumber::Management(m)) => Ok(LegacyTarget::Management(m)),
        // Neither length: say what a usage number would need.
        Ok(DialedNumber::Incomplete { .. }) => match UsageNumber::parse_bytes(text.as_bytes()) {
            Err(e) => Err(Failure::number(what, e)),
            Ok(x) => Ok(LegacyTarget::Usage(x)),
        },
        Err(e) => Err(Failure::number(what, e)),
    }
}

/// # Safety
///
/// The pointers inside `o` must be valid as documented on `np700_legacy_options`.
unsafe fn legacy_options(
    tenant: TenantId,
    o: Option<&np700_legacy_options>,
) -> Result<LegacyOptions, Failure> {
    let mut options = LegacyOptions::automatic(tenant);
    let Some(o) = o else {
        return Ok(options);
    };
    // SAFETY (all blocks below): the caller's promises about the options' pointers.
    let table = unsafe { table_arg("options.table", o.table, o.table_len, NP700_MAX_TABLE_LEN) }?;
    for entry in table {
        let text = unsafe {
            str_field(
                "options.table.legacy",
                entry.legacy,
                NP700_MAX_NUMBER_LEN,
                NP700_ERR_TOO_LONG,
            )
        }?;
        let legacy = LegacyNumber::parse(text)
            .map_err(|why| Failure::new(NP700_ERR_BAD_NUMBER, "options.table.legacy", why))?;
        let target = unsafe { target_arg("options.table.target", entry.target) }?;
        options.table.insert(legacy, target);
    }
    if o.refuse_unlisted != 0 {
        options.unlisted = None;
    }
    if o.tag.len != 0 {
        options.tag = Some(TagMatch {
            tag: unsafe { tag_arg("options.tag", o.tag) }?,
            strict: o.tag_strict != 0,
        });
    }
    if !o.policy.is_null() {
        options.policy = unsafe { policy_arg(in_arg("options.policy", o.policy)?) }?;
    }
    Ok(options)
}

/// Migrates legacy middle-number bindings onto 700 numbers of `tenant` at `now`, during the
/// transition period: each line of `jsonl` is one binding in the legacy record format (a JSON
/// object with `middle`, `mode`, the parties, `expires_at`, `consent_ref`, …; every field is
/// described in the Rust documentation of `np700::handover::legacy`). Each gets a 700 usage
/// number — from `options->table`, or picked automatically among the tenant's numbers — and is
/// made through the normal bind path (every rule checked, journaled like any binding).
///
/// Lines are independent: a refused line does not stop the others, and the lines migrated stay
/// migrated (this is not one all-or-nothing write, unlike `np700_registry_import()`). The
/// status is `NP700_OK` once every line has its outcome, however many were refused; errors are
/// the arguments' only, found before any line is migrated.
///
/// - `options`: NULL for the defaults (automatic selection for every legacy number, the default
///   policy); see `np700_legacy_options`.
/// - `jsonl`, `jsonl_len`: the lines (UTF-8, `\n` or `\r\n` separated; blank lines are
///   skipped; at most `PTRDIFF_MAX` bytes).
/// - `*summary`: the counts.
/// - `lines`, `lines_cap`: one `np700_legacy_line` per non-blank input line, in input order.
///   `(NULL, 0)` if only the summary is wanted. A `lines_cap` smaller than the number of
///   non-blank lines is `NP700_ERR_BUFFER_TOO_SMALL` before anything is migrated (a buffer of
///   one entry per line of the input always suffices).
/// - `lines_needed`, if not NULL, receives the number of entries the input needs (its
///   non-blank lines) — on success and on `NP700_ERR_BUFFER_TOO_SMALL` alike.
///
/// Errors: `NP700_ERR_NULL`, `NP700_ERR_INVALID_UTF8`, `NP700_ERR_TOO_LONG`,
/// `NP700_ERR_BAD_NUMBER` (a table entry), `NP700_ERR_BAD_TAG`, `NP700_ERR_BAD_ENUM` (the
/// policy's codes), `NP700_ERR_OUT_OF_RANGE` (`now`), `NP700_ERR_UNKNOWN_TENANT`,
/// `NP700_ERR_BUFFER_TOO_SMALL`. A policy the rules refuse (no media, a bad window) refuses each
/// line instead (`NP700_LEGACY_REFUSED`), as do a suspended or exited tenant, a table target
/// that is not the tenant's, and — in a journaled registry — a failed journal write (the lines
/// before it stay migrated; `why` says what failed).
///
/// # Safety
///
/// `options` must be NULL or point to an initialised `np700_legacy_options` whose pointers are
/// valid as documented there; `jsonl` NULL or valid for reads of `jsonl_len` bytes; `summary`
/// valid for a write of one `np700_legacy_summary`; `lines` NULL or valid for writes of
/// `lines_cap` entries; `lines_needed` NULL or valid for a write of one `size_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_registry_migrate_legacy(
    registry: *const np700_registry,
    tenant: u32,
    options: *const np700_legacy_options,
    jsonl: *const c_char,
    jsonl_len: usize,
    now: u64,
    summary: *mut np700_legacy_summary,
    lines: *mut np700_legacy_line,
    lines_cap: usize,
    lines_needed: *mut usize,
) -> np700_status {
    boundary("np700_registry_migrate_legacy", || {
        let summary = Out::new("summary", summary)?;
        let lines = if lines.is_null() {
            if lines_cap != 0 {
                return Err(Failure::new(
                    NP700_ERR_NULL,
                    "lines",
                    "NULL with a non-zero capacity",
                ));
            }
            None
        } else {
            Some(Out::new("lines", lines)?)
        };
        let lines_needed = (!lines_needed.is_null())
            .then(|| Out::new("lines_needed", lines_needed))
            .transpose()?;
        let tenant = TenantId::from_raw(tenant);
        let options = if options.is_null() {
            None
        } else {
            // SAFETY: the caller's promise.
            Some(unsafe { in_arg("options", options) }?)
        };
        // SAFETY: the caller's promises.
        let options = unsafe { legacy_options(tenant, options) }?;
        // SAFETY: the caller's promise.
        let input = unsafe {
            str_arg(
                "jsonl",
                jsonl,
                jsonl_len,
                MAX_DOCUMENT_LEN,
                NP700_ERR_TOO_LONG,
            )
        }?;
        let now = time_arg("now", now)?;
        let report = with_registry(registry, |r| {
            r.with_state(|s| s.tenant(tenant).map(drop))
                .ok_or_else(|| refused(Error::UnknownTenant(tenant)))?;
            // What `legacy::migrate` makes an entry for.
            let needed = input.lines().filter(|l| !l.trim().is_empty()).count();
            if let Some(out) = lines_needed {
                // SAFETY: checked by Out::new; writable by the caller's promise.
                unsafe { out.write(needed) };
            }
            if lines.is_some() && lines_cap < needed {
                return Err(Failure::new(
                    NP700_ERR_BUFFER_TOO_SMALL,
                    "lines",
                    "fewer entries than the input's non-blank lines (see `lines_needed`)",
                ));
            }
            Ok(legacy::migrate_into(r, input, &options, now))
        })??;
        let mut counts = np700_legacy_summary {
            lines: report.lines.len() as u64,
            ..np700_legacy_summary::default()
        };
        for (i, l) in report.lines.iter().enumerate() {
            let code = result_code(&l.outcome);
            if let Some(n) = counts.by_result.get_mut(code as usize) {
                *n += 1;
            }
            if code == NP700_LEGACY_MIGRATED {
                counts.migrated += 1;
            } else {
                counts.refused += 1;
            }
            if let Some(out) = lines.as_ref().filter(|_| i < lines_cap) {
                // SAFETY: `lines` is non-NULL and aligned (checked by Out::new) and writable for
                // `lines_cap` entries by the caller's promise, and `i` < `lines_cap`.
                unsafe { out.ptr().add(i).write(line_of(l.line, &l.outcome)) };
            }
        }
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { summary.write(counts) };
        Ok(())
    })
}
