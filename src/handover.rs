//! Hand-over: a platform's live bindings, quarantines and numbers, exported from one registry and
//! imported into another so that every call routes as it did (the carrier keeps serving existing
//! orders when a platform exits the pilot); and, in [`legacy`], the migration of legacy
//! middle-number bindings onto 700 numbers during the transition period.
//!
//! # Export
//!
//! [`export`] reads a [`State`] (pure: no I/O, no clock) and returns a [`Handover`]: everything
//! one tenant ([`Scope::Tenant`]) or the whole platform ([`Scope::Platform`]) has that routing
//! depends on, as it stands at the export time `at`:
//!
//! - the tenants, complete (status, pair cap, scenarios, credit record);
//! - the licensed blocks (all of them for the platform; for a tenant, those holding its numbers);
//! - the management numbers the tenants hold (with their tags), and those in quarantine after
//!   being taken back from them;
//! - every live binding, complete: id, tenant, parties and usage numbers, policy, status,
//!   created and expiry times, order id, consent and external references;
//! - the real-user reports of the tenants: whether each requires them, and whom it reported;
//! - every running route-entry quarantine (the "service ended" announcements that protect former
//!   parties), with its original end. A binding already past its expiry at `at` but not swept
//!   yet is exported as the quarantines its sweep would leave; quarantines over by `at` are left
//!   out;
//! - the block rules routing applies to them ([`crate::control::block`]), active at `at`: the
//!   tenants' own (tenant rules, and rules on the exported bindings) and the platform's (so a
//!   blocked caller stays blocked on the tenant's numbers after the hand-over).
//!
//! [`Handover::to_json`] and [`Handover::from_json`] are the interchange; any other serde format
//! carries the same structure.
//!
//! # Import
//!
//! An import is the ordinary command [`Command::Import`] run by [`Registry::execute`] (or
//! [`import_into`], which also returns an [`ImportReport`]): it is validated completely against
//! the target state before any event exists, then journaled and applied like any write, so it is
//! all or nothing, survives crashes and reaches replicas. Its events are the ordinary
//! [`Event::TenantRegistered`], [`Event::ViolationRecorded`], [`Event::BlockLicensed`],
//! [`Event::NumberAssigned`], [`Event::RealUserRequirementSet`], [`Event::RealUserReported`]
//! and [`Event::Bound`] (a binding with its original id — or a new one,
//! see [`BindingIds`] — and its original created and expiry times), plus
//! [`Event::Imported`] for what no other event expresses: quarantines with their original ends.
//!
//! - **Tenants**: [`ImportOptions::tenants`] maps tenants of the hand-over onto tenants the target
//!   already has (their status must be the exported one, or routing would differ); every other
//!   tenant is registered anew, in hand-over order, with the next free ids, its status and credit
//!   record carried over. An empty target registering a whole platform's tenants gives them their
//!   original ids.
//! - **Blocks**: an exported block that overlaps none of the target's is licensed; otherwise each
//!   of its numbers the hand-over uses must already be licensed in the target.
//! - **Numbers**: each must be free in the target (or held by, or in quarantine after, the tenant
//!   it maps to): a management number held by someone else, or in someone else's quarantine, is
//!   refused. Numbers never mix tenants.
//! - **Entries**: every usage number the hand-over puts a binding or quarantine on must carry
//!   nothing in the target (no live, expired or quarantined entry).
//! - **Block rules**: installed with the target's next block ids, in order, their tenants and
//!   bindings mapped like the rest; rules whose expiry has come by the import are left out.
//!   Platform rules become the target's platform rules.
//! - **Real-user reports**: a registered tenant gets its requirement and reports; a mapped one
//!   must require reports as exported, and gets the reports it lacks.
//! - **Binding ids**: [`BindingIds::Keep`] (the default) keeps them (refused if the target has
//!   issued any of them); [`BindingIds::Renumber`] gives them the target's next ids, in order.
//!   Either way the ids the quarantines name are reserved, so none is ever reused.
//!
//! Every refusal is a typed [`ImportError`] inside [`Error::Import`] (or an ordinary
//! [`Error`] such as [`Error::IndexFull`]); nothing of a refused import is applied.
//!
//! Routing after an import is identical to the exporter's at every time from the export on: the
//! same (caller, dialled number, media, time) gets the same decision, up to the tenant and
//! binding ids of [`ImportReport`] (equal in an empty target with [`BindingIds::Keep`]). One
//! thing follows the importer's configuration instead: the quarantine a binding leaves when it
//! ends after the hand-over lasts the importer's `binding_quarantine_secs`.
//!
//! # The format, version 1
//!
//! A JSON object (field order free; numbers are JSON integers: management numbers 11 digits,
//! usage numbers 15 digits, subscriber numbers E.164 digits without `+`; times are Unix seconds):
//!
//! ```json
//! {
//!   "format": "np700-handover",
//!   "version": 1,
//!   "exported_at": 1767225600,
//!   "scope": {"Tenant": 1},
//!   "tenants": [{"id": 1, "name": "Swift Delivery", "scenarios": ["Delivery"], "status": "Exited",
//!                "pair_cap": 200, "credit_record": [], "registered_at": 1767225600}],
//!   "blocks": [{"first": 70012340000, "count": 10}],
//!   "numbers": [{"number": 70012340000,
//!                "holding": {"Held": {"tenant": 1, "tags": ["beijing"], "since": 1767225600}}},
//!               {"number": 70012340001,
//!                "holding": {"Quarantined": {"former": 1, "until": 1769817600}}}],
//!   "bindings": [{"id": 7, "tenant": 1,
//!                 "parties": {"Axb": {"a": 8613800000001, "x": 700123400000001,
//!                                     "b": 8613900000002}},
//!                 "policy": {"media": {"voice": true, "sms": true}, "direction": "Both",
//!                            "allowed_callers": [], "window": null, "record": false},
//!                 "status": "Active", "created_at": 1767225600, "expires_at": 1767312000,
//!                 "order_id": "o-1", "consent_ref": "c-1", "external_ref": ""}],
//!   "quarantines": [{"number": 700123400000002, "party": {"Caller": 8613800000003},
//!                    "quarantine": {"until": 1767300000, "binding": 5,
//!                                   "reached": 8613900000004, "ended": "Released"}}],
//!   "real_users": [{"tenant": 1, "required": true, "reported": [8613800000001]}]
//! }
//! ```
//!
//! | field | meaning |
//! |---|---|
//! | `format` | always `"np700-handover"` |
//! | `version` | `1`; a reader refuses versions it does not know |
//! | `exported_at` | the export time: everything is as it stood then |
//! | `scope` | `"Platform"`, or `{"Tenant": id}` for one tenant's resources |
//! | `tenants[]` | [`Tenant`]: `id` (the exporter's), `name`, `scenarios` (`Delivery`, `FoodDelivery`, `RideHailing`, `ECommerce`, `HomeServices`, `Recruitment`, `RealEstate`, `Other`), `status` (`Active`, `Suspended`, `Exited`), `pair_cap` (bindings per usage number), `credit_record` (violations: `at`, `kind` — `Marketing`, `Fraud`, `AppRegistration`, `MissingConsent`, `Other` — and `note`), `registered_at` |
//! | `blocks[]` | [`LicensedBlock`]: `first` management number and `count` of consecutive numbers |
//! | `numbers[]` | [`HandedNumber`]: a management `number` and its `holding`: `{"Held": {tenant, tags, since}}` or `{"Quarantined": {former, until}}` (taken back from `former`; no other tenant may have it before `until`) |
//! | `bindings[]` | [`Binding`], in increasing `id` order: `tenant`; `parties` — `{"Axb": {a, x, b}}`, `{"Axn": {a, x, n}}` (`n` may be `null`), `{"Axyb": {a, x, y, b}}` or `{"Gxb": {group, x, b}}` with `x`, `y` usage numbers; `policy` — `media` (`voice`, `sms`), `direction` (`Both`, `AToBOnly`, `BToAOnly`), `allowed_callers` (AXN only), `window` (`null` or `{start_minute, end_minute}`, Beijing time), `record`; `status` (`Active`, `Suspended`); `created_at`, `expires_at` (routes until just before it); `order_id`, `consent_ref` (required), `external_ref` |
//! | `block_rules[]` | [`BlockRule`], in increasing `id` order (optional: absent reads as none): `id`, `scope` (`"Platform"`, `{"Tenant": id}`, `{"Binding": id}`), `owner` (`null` for platform rules, else the tenant), `caller`, `callee` (`null` = anyone), `both_ways`, `expires` (`null` = until lifted), `origin` (`{"Manual": {"note": …}}` or `{"Probing": {"numbers": …, "window_secs": …}}`), `created_at` |
//! | `quarantines[]` | [`QuarantinedEntry`]: usage `number`, `party` (`{"Caller": subscriber}`, or `"Anyone"` after an AXN binding), and `quarantine`: `until`, `binding` (the id of the binding that left it), `reached` (whom the party reached, or `null`), `ended` (`Released` → "service ended", `Expired` → "binding expired") |
//! | `real_users[]` | [`HandedRealUsers`], optional (none if missing): `tenant`, whether it `required` real-user reports, and the subscribers it `reported` (E.164 digits). A tenant the import maps onto one of the target's must have the exported requirement ([`ImportError::RealUserRequirementDiffers`]); reports are added to the target's |
#![forbid(unsafe_code)]

pub mod legacy;

use crate::binding::MAX_REFERENCE_LEN;
use crate::binding::{Binding, BindingId, EndReason, Mode, Parties, Party};
use crate::command::Command;
use crate::control::block::{
    BlockId, BlockRule, BlockScope, MAX_BLOCK_RULES, MAX_TENANT_BLOCK_RULES,
};
use crate::error::Error;
use crate::event::{Event, Imported};
use crate::number::{ManagementNumber, SubscriberNumber, UsageNumber};
use crate::pool::{Holding, LicensedBlock, NumberPool, Tag};
use crate::registry::Registry;
use crate::state::{MAX_NOTE_LEN, Quarantine, QuarantinedEntry, State};
use crate::state::{check_parties, check_policy, check_text};
use crate::tenant::{MAX_TENANT_NAME, Tenant, TenantId, TenantStatus};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The value of [`Handover::format`].
pub const FORMAT: &str = "np700-handover";

/// The version of the format this code writes and reads.
pub const VERSION: u32 = 1;

/// The largest binding id an import accepts (the routing index holds ids in 48 bits).
pub const MAX_BINDING_ID: u64 = (1 << 48) - 1;

/// The most management numbers the blocks of a hand-over may hold: what the routing index of
/// one registry can license.
pub const MAX_MANAGEMENT_NUMBERS: usize = 1 << 15;

/// The most tags one management number may carry in a hand-over.
pub const MAX_TAGS_PER_NUMBER: usize = 256;

/// What a hand-over covers.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Every tenant, block, number, binding and quarantine of the platform.
    Platform,
    /// One tenant's: its numbers, bindings and the quarantines on its numbers.
    Tenant(TenantId),
}

/// A management number as handed over, with who holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HandedNumber {
    /// The management number.
    pub number: ManagementNumber,
    /// Who holds it.
    pub holding: NumberHolding,
}

/// Who holds a handed-over management number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NumberHolding {
    /// A tenant holds it (and so its 10,000 usage numbers).
    Held {
        /// The tenant (an id of [`Handover::tenants`]).
        tenant: TenantId,
        /// Selection tags, sorted.
        tags: Vec<Tag>,
        /// Since when.
        since: Timestamp,
    },
    /// It was taken back from `former` and is in quarantine.
    Quarantined {
        /// The tenant it was taken back from (an id of [`Handover::tenants`]).
        former: TenantId,
        /// End of the quarantine.
        until: Timestamp,
    },
}

/// A hand-over: what one registry passes to another (see the [module docs](self) for the
/// format, field by field).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Handover {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] when written by this code.
    pub version: u32,
    /// When it was exported; it holds the state as it stood then.
    pub exported_at: Timestamp,
    /// What it covers.
    pub scope: Scope,
    /// The tenants, by id.
    pub tenants: Vec<Tenant>,
    /// The licensed blocks the numbers are in.
    pub blocks: Vec<LicensedBlock>,
    /// The management numbers the tenants hold or that are in quarantine after them, in order.
    pub numbers: Vec<HandedNumber>,
    /// Live bindings, by id.
    pub bindings: Vec<Binding>,
    /// Running route-entry quarantines, by usage number and party.
    pub quarantines: Vec<QuarantinedEntry>,
    /// Real-user reports: per tenant that requires them or has made any, by tenant id
    /// (missing in hand-overs written before reports existed: none).
    #[serde(default)]
    pub real_users: Vec<HandedRealUsers>,
    /// Block rules routing applies to the handed-over tenants, by id (absent in hand-overs
    /// written before block lists: none).
    #[serde(default)]
    pub block_rules: Vec<BlockRule>,
}

/// One tenant's real-user reports as handed over (see [`crate::control::real_user`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HandedRealUsers {
    /// The tenant (an id of [`Handover::tenants`]).
    pub tenant: TenantId,
    /// Whether it requires reports before its bindings route.
    pub required: bool,
    /// The subscribers it has reported, in order.
    pub reported: Vec<SubscriberNumber>,
}

/// How an import numbers the bindings it installs.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BindingIds {
    /// Keep the exported ids; refused ([`ImportError::BindingIdTaken`]) if the target has issued
    /// any of them. Right for an empty target.
    #[default]
    Keep,
    /// Give them the target's next ids, in the order of the exported ones.
    Renumber,
}

/// How to import a hand-over.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Tenants of the hand-over that the target already has: exported id → target id. Each
    /// target tenant takes at most one, and must have the exported status. Every tenant not
    /// listed is registered anew.
    pub tenants: BTreeMap<TenantId, TenantId>,
    /// Whether binding ids are kept or renumbered.
    pub binding_ids: BindingIds,
}

/// A hand-over and how to import it: what [`Command::Import`] carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImportRequest {
    /// The hand-over.
    pub handover: Handover,
    /// How to import it.
    pub options: ImportOptions,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Every tenant of the hand-over: exported id → id in the target.
    pub tenants: BTreeMap<TenantId, TenantId>,
    /// Every binding id of the hand-over (live bindings and the ended ones quarantines name):
    /// exported id → id in the target.
    pub bindings: BTreeMap<BindingId, BindingId>,
    /// Tenants registered.
    pub tenants_registered: usize,
    /// Blocks licensed.
    pub blocks_licensed: usize,
    /// Management numbers assigned or put in quarantine.
    pub numbers: usize,
    /// Bindings installed.
    pub bound: usize,
    /// Route-entry quarantines installed.
    pub quarantines: usize,
    /// Block rules installed.
    pub block_rules: usize,
}

/// Why a hand-over cannot be imported (wrapped in [`Error::Import`]). Nothing of it is applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The bytes are not a hand-over this code can read (not JSON, or fields of the wrong type).
    #[error("unreadable hand-over: {0}")]
    Unreadable(String),
    /// `format` is not [`FORMAT`].
    #[error("not an np700 hand-over (format {0:?})")]
    NotAHandover(String),
    /// A version this code does not know.
    #[error("hand-over version {0} is not supported (this code reads version {VERSION})")]
    UnsupportedVersion(u32),
    /// The hand-over contradicts itself or breaks a rule of the state (the item at `index` of
    /// `section`; e.g. a binding on a number its tenant does not hold).
    #[error("hand-over {section}[{index}]: {why}")]
    Inconsistent {
        /// `"tenants"`, `"blocks"`, `"numbers"`, `"bindings"` or `"quarantines"`.
        section: &'static str,
        /// The item's position in it.
        index: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// [`ImportOptions::tenants`] maps a tenant the hand-over does not have.
    #[error("the tenant mapping names {0}, which is not in the hand-over")]
    MappingFromUnknown(TenantId),
    /// [`ImportOptions::tenants`] maps onto a tenant the target does not have.
    #[error("the tenant mapping maps onto {0}, which the target does not have")]
    MappingToUnknown(TenantId),
    /// [`ImportOptions::tenants`] maps two tenants onto this target tenant.
    #[error("the tenant mapping maps two tenants onto {0}")]
    MappingNotOneToOne(TenantId),
    /// A mapped target tenant's status differs from the exported one (its bindings would route
    /// differently).
    #[error("{tenant} is {current:?} in the target but {exported:?} in the hand-over")]
    TenantStatusDiffers {
        /// The target tenant.
        tenant: TenantId,
        /// Its exported status.
        exported: TenantStatus,
        /// Its status in the target.
        current: TenantStatus,
    },
    /// A management number is not licensed in the target, and its block cannot be licensed
    /// there (it overlaps one of the target's blocks).
    #[error("management number {0} is not licensed in the target and its block overlaps one there")]
    NotLicensed(ManagementNumber),
    /// A management number is held by another tenant in the target.
    #[error("management number {number} is held by {holder} in the target")]
    NumberHeld {
        /// The number.
        number: ManagementNumber,
        /// Its holder in the target.
        holder: TenantId,
    },
    /// A management number is in quarantine after another tenant in the target.
    #[error("management number {number} is in quarantine in the target until {until}")]
    NumberInQuarantine {
        /// The number.
        number: ManagementNumber,
        /// End of the quarantine.
        until: Timestamp,
    },
    /// A usage number the hand-over puts entries on already carries entries (live, expired or
    /// quarantined) in the target.
    #[error("usage number {0} already carries entries in the target")]
    EntryInUse(UsageNumber),
    /// [`BindingIds::Keep`]: the target has already issued this binding id.
    #[error("{0} is already issued in the target (import with BindingIds::Renumber)")]
    BindingIdTaken(BindingId),
    /// [`BindingIds::Renumber`]: the target's ids would run past [`MAX_BINDING_ID`].
    #[error("the target has no binding ids left")]
    BindingIdsExhausted,
    /// A mapped target tenant's real-user requirement differs from the exported one (its
    /// bindings would route differently).
    #[error(
        "{tenant} requires real-user reports: {current} in the target, {exported} in the hand-over"
    )]
    RealUserRequirementDiffers {
        /// The target tenant.
        tenant: TenantId,
        /// The exported requirement.
        exported: bool,
        /// The requirement in the target.
        current: bool,
    },
}

/// The tenants a scope covers.
fn in_scope(scope: Scope, tenant: TenantId) -> bool {
    match scope {
        Scope::Platform => true,
        Scope::Tenant(t) => t == tenant,
    }
}

/// Exports what `scope` covers as it stands at `at` (see the [module docs](self)). Pure: the
/// caller writes the bytes ([`Handover::to_json`]).
///
/// Fails with [`Error::UnknownTenant`] if the scope names a tenant the state does not have.
pub fn export(state: &State, scope: Scope, at: Timestamp) -> Result<Handover, Error> {
    if let Scope::Tenant(t) = scope {
        state.tenant(t).ok_or(Error::UnknownTenant(t))?;
    }
    let tenants: Vec<Tenant> = state
        .tenants()
        .filter(|t| in_scope(scope, t.id))
        .cloned()
        .collect();
    let mut numbers = Vec::new();
    for (number, holding) in state.pool().holdings() {
        let holding = match holding {
            Holding::Assigned {
                tenant,
                tags,
                since,
            } if in_scope(scope, *tenant) => NumberHolding::Held {
                tenant: *tenant,
                tags: tags.clone(),
                since: *since,
            },
            Holding::Quarantined { former, until } if in_scope(scope, *former) && *until > at => {
                NumberHolding::Quarantined {
                    former: *former,
                    until: *until,
                }
            }
            _ => continue,
        };
        numbers.push(HandedNumber { number, holding });
    }
    let exported: BTreeSet<ManagementNumber> = numbers.iter().map(|n| n.number).collect();
    let blocks = state
        .pool()
        .blocks()
        .iter()
        .filter(|b| scope == Scope::Platform || exported.iter().any(|m| b.contains(*m)))
        .copied()
        .collect();

    let mut bindings = Vec::new();
    let mut quarantines = Vec::new();
    let after_expiry = state.config().binding_quarantine_secs;
    for b in state.bindings().filter(|b| in_scope(scope, b.tenant)) {
        if !b.is_expired(at) {
            bindings.push(b.clone());
            continue;
        }
        // Past its expiry but not swept: what its sweep will leave.
        let until = b.expires_at.plus_secs(after_expiry);
        if until > at {
            for (number, party, reached) in b.entry_keys() {
                let quarantine = Quarantine {
                    until,
                    binding: b.id,
                    reached,
                    ended: EndReason::Expired,
                };
                quarantines.push(QuarantinedEntry {
                    number,
                    party,
                    quarantine,
                });
            }
        }
    }
    for (number, entry) in state.usage_entries() {
        if scope != Scope::Platform && !exported.contains(&number.management()) {
            continue;
        }
        for (party, quarantine) in entry.quarantine.iter() {
            if quarantine.until > at {
                quarantines.push(QuarantinedEntry {
                    number,
                    party: *party,
                    quarantine: *quarantine,
                });
            }
        }
    }
    quarantines.sort_by_key(|q| (q.number, q.party));
    let real_users = tenants
        .iter()
        .map(|t| HandedRealUsers {
            tenant: t.id,
            required: state.requires_real_user(t.id),
            reported: state.real_users().reported_by(t.id).collect(),
        })
        .filter(|r| r.required || !r.reported.is_empty())
        .collect();
    let handed: BTreeSet<BindingId> = bindings.iter().map(|b: &Binding| b.id).collect();
    let block_rules = state
        .blocks()
        .filter(|r| r.is_active(at))
        .filter(|r| match r.scope {
            BlockScope::Platform => true,
            BlockScope::Tenant(t) => in_scope(scope, t),
            BlockScope::Binding(b) => handed.contains(&b),
        })
        .cloned()
        .collect();
    Ok(Handover {
        format: FORMAT.to_owned(),
        version: VERSION,
        exported_at: at,
        scope,
        tenants,
        blocks,
        numbers,
        bindings,
        quarantines,
        real_users,
        block_rules,
    })
}

/// [`export`] from a registry's state (holding its writer lock meanwhile).
pub fn export_from(registry: &Registry, scope: Scope, at: Timestamp) -> Result<Handover, Error> {
    registry.with_state(|state| export(state, scope, at))
}

/// The leading fields of a hand-over, read first so a wrong format or version is told as such.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

impl Handover {
    /// The hand-over as JSON (compact; the interchange of the [module docs](self)).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("plain data always encodes"))
    }

    /// A hand-over read from JSON: [`ImportError::NotAHandover`] or
    /// [`ImportError::UnsupportedVersion`] if it is not one this code reads,
    /// [`ImportError::Unreadable`] if it does not parse. Its content is checked on import.
    pub fn from_json(bytes: &[u8]) -> Result<Handover, Error> {
        let unreadable = |e: serde_json::Error| ImportError::Unreadable(e.to_string());
        let header: Header = serde_json::from_slice(bytes).map_err(unreadable)?;
        check_header(&header.format, header.version)?;
        Ok(serde_json::from_slice(bytes).map_err(unreadable)?)
    }
}

fn check_header(format: &str, version: u32) -> Result<(), ImportError> {
    if format != FORMAT {
        return Err(ImportError::NotAHandover(format.to_owned()));
    }
    if version != VERSION {
        return Err(ImportError::UnsupportedVersion(version));
    }
    Ok(())
}

fn inconsistent(section: &'static str, index: usize, why: &'static str) -> ImportError {
    ImportError::Inconsistent {
        section,
        index,
        why,
    }
}

/// What the checks of a hand-over's own consistency find out on the way.
struct Checked {
    /// Normalised policies (allow-lists sorted), by binding position.
    policies: Vec<crate::binding::Policy>,
}

/// Checks that a hand-over is consistent on its own: what the state's rules guarantee for any
/// state it could have been exported from.
fn check_handover(h: &Handover) -> Result<Checked, ImportError> {
    check_header(&h.format, h.version)?;
    let mut tenant_ids = BTreeSet::new();
    for (i, t) in h.tenants.iter().enumerate() {
        let bad = |why| inconsistent("tenants", i, why);
        if t.id.raw() == 0 {
            return Err(bad("tenant id 0"));
        }
        if !tenant_ids.insert(t.id) {
            return Err(bad("a tenant listed twice"));
        }
        check_text("name", &t.name, MAX_TENANT_NAME, true)
            .map_err(|_| bad("name empty, too long or with control characters"))?;
        if t.pair_cap == 0 {
            return Err(bad("pair cap 0"));
        }
        for v in &t.credit_record {
            check_text("note", &v.note, MAX_NOTE_LEN, false)
                .map_err(|_| bad("a violation note too long or with control characters"))?;
        }
    }
    let mut blocks = NumberPool::default();
    let mut licensed = 0;
    for (i, b) in h.blocks.iter().enumerate() {
        blocks.check_license(b).map_err(|_| {
            inconsistent("blocks", i, "an invalid block, or one overlapping another")
        })?;
        licensed += b.count as usize;
        if licensed > MAX_MANAGEMENT_NUMBERS {
            return Err(inconsistent(
                "blocks",
                i,
                "more management numbers than a registry holds (32,768)",
            ));
        }
        blocks.license(*b);
    }
    let mut held: BTreeMap<ManagementNumber, TenantId> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for (i, n) in h.numbers.iter().enumerate() {
        let bad = |why| inconsistent("numbers", i, why);
        if !blocks.is_licensed(n.number) {
            return Err(bad("a number outside the hand-over's blocks"));
        }
        if !seen.insert(n.number) {
            return Err(bad("a number listed twice"));
        }
        let tenant = match &n.holding {
            NumberHolding::Held { tenant, tags, .. } => {
                if tags.len() > MAX_TAGS_PER_NUMBER {
                    return Err(bad("more than 256 tags"));
                }
                held.insert(n.number, *tenant);
                *tenant
            }
            NumberHolding::Quarantined { former, .. } => *former,
        };
        if !tenant_ids.contains(&tenant) {
            return Err(bad("its tenant is not in the hand-over"));
        }
    }
    // Route entries in use, and the bindings on each usage number (for AXN exclusivity).
    let mut entries: BTreeSet<(UsageNumber, Party)> = BTreeSet::new();
    let mut on_number: BTreeMap<UsageNumber, (usize, bool)> = BTreeMap::new();
    let mut policies = Vec::with_capacity(h.bindings.len());
    let mut last = 0;
    for (i, b) in h.bindings.iter().enumerate() {
        let bad = |why| inconsistent("bindings", i, why);
        if b.id.raw() <= last {
            return Err(bad("binding ids not increasing"));
        }
        last = b.id.raw();
        if last > MAX_BINDING_ID {
            return Err(bad("binding id past 2^48 - 1"));
        }
        if !tenant_ids.contains(&b.tenant) {
            return Err(bad("its tenant is not in the hand-over"));
        }
        check_text("consent_ref", &b.consent_ref, MAX_REFERENCE_LEN, true)
            .and(check_text(
                "order_id",
                &b.order_id,
                MAX_REFERENCE_LEN,
                false,
            ))
            .and(check_text(
                "external_ref",
                &b.external_ref,
                MAX_REFERENCE_LEN,
                false,
            ))
            .map_err(|_| bad("consent reference missing, or a reference invalid"))?;
        policies.push(check_policy(&b.policy, b.mode()).map_err(|_| bad("invalid policy"))?);
        check_parties(&b.parties).map_err(|_| bad("invalid parties"))?;
        if let Parties::Axyb { x, y, .. } = &b.parties
            && x == y
        {
            return Err(bad("X and Y are the same usage number"));
        }
        for x in b.parties.usage_numbers() {
            if held.get(&x.management()) != Some(&b.tenant) {
                return Err(bad("a usage number its tenant does not hold"));
            }
        }
        for (x, p, _) in b.entry_keys() {
            if !entries.insert((x, p)) {
                return Err(bad("a route entry another binding has"));
            }
        }
        for x in b.parties.usage_numbers() {
            let exclusive = b.mode() == Mode::Axn;
            let (count, any_exclusive) = on_number.entry(x).or_insert((0, false));
            *count += 1;
            *any_exclusive |= exclusive;
            if *count > 1 && *any_exclusive {
                return Err(bad("an exclusive (AXN) binding shares its usage number"));
            }
        }
    }
    for (i, q) in h.quarantines.iter().enumerate() {
        let bad = |why| inconsistent("quarantines", i, why);
        if !blocks.is_licensed(q.number.management()) {
            return Err(bad("a number outside the hand-over's blocks"));
        }
        let id = q.quarantine.binding.raw();
        if id == 0 || id > MAX_BINDING_ID {
            return Err(bad("binding id 0 or past 2^48 - 1"));
        }
        if !entries.insert((q.number, q.party)) {
            return Err(bad("a route entry a binding or another quarantine has"));
        }
    }
    let mut reporting = BTreeSet::new();
    for (i, r) in h.real_users.iter().enumerate() {
        let bad = |why| inconsistent("real_users", i, why);
        if !tenant_ids.contains(&r.tenant) {
            return Err(bad("its tenant is not in the hand-over"));
        }
        if !reporting.insert(r.tenant) {
            return Err(bad("a tenant listed twice"));
        }
    }
    let tenants_of: BTreeMap<BindingId, TenantId> =
        h.bindings.iter().map(|b| (b.id, b.tenant)).collect();
    let mut last = 0;
    let mut owned: BTreeMap<TenantId, usize> = BTreeMap::new();
    for (i, r) in h.block_rules.iter().enumerate() {
        let bad = |why| inconsistent("block_rules", i, why);
        if r.id.raw() <= last {
            return Err(bad("block rule ids not increasing"));
        }
        last = r.id.raw();
        r.check().map_err(bad)?;
        if let Some(t) = r.owner {
            if !tenant_ids.contains(&t) {
                return Err(bad("its tenant is not in the hand-over"));
            }
            *owned.entry(t).or_default() += 1;
            if owned[&t] > MAX_TENANT_BLOCK_RULES {
                return Err(bad("more block rules of one tenant than a state holds"));
            }
        }
        if let BlockScope::Binding(b) = r.scope
            && tenants_of.get(&b) != r.owner.as_ref()
        {
            return Err(bad(
                "a rule on a binding not in the hand-over, or of another tenant",
            ));
        }
        if i >= MAX_BLOCK_RULES {
            return Err(bad("more block rules than a state holds"));
        }
    }
    Ok(Checked { policies })
}

/// Validates importing `request` into `target` at `now` and returns the events that do it and
/// what they do, without changing anything (what [`State::plan`] runs for [`Command::Import`]).
///
/// The events, in order: tenants registered (and their credit records), blocks licensed,
/// management numbers assigned or quarantined, bindings bound in id order, quarantines
/// installed. Fails with [`Error::Import`] (or [`Error::IndexFull`] from the registry) and
/// changes nothing.
pub fn plan_import(
    target: &State,
    request: &ImportRequest,
    now: Timestamp,
) -> Result<(Vec<Event>, ImportReport), Error> {
    let h = &request.handover;
    let checked = check_handover(h)?;
    let mut report = ImportReport::default();
    let mut events = Vec::new();

    // Tenants: mapped onto the target's, or registered.
    let exported: BTreeMap<TenantId, &Tenant> = h.tenants.iter().map(|t| (t.id, t)).collect();
    let mut onto = BTreeSet::new();
    for (from, to) in &request.options.tenants {
        let Some(source) = exported.get(from) else {
            return Err(ImportError::MappingFromUnknown(*from).into());
        };
        let Some(t) = target.tenant(*to) else {
            return Err(ImportError::MappingToUnknown(*to).into());
        };
        if !onto.insert(*to) {
            return Err(ImportError::MappingNotOneToOne(*to).into());
        }
        if t.status != source.status {
            return Err(ImportError::TenantStatusDiffers {
                tenant: *to,
                exported: source.status,
                current: t.status,
            }
            .into());
        }
        report.tenants.insert(*from, *to);
    }
    let mut next_tenant = target.next_tenant_id().raw();
    for t in &h.tenants {
        if report.tenants.contains_key(&t.id) {
            continue;
        }
        let id = TenantId::from_raw(next_tenant);
        next_tenant = next_tenant.saturating_add(1);
        report.tenants.insert(t.id, id);
        let mut scenarios = t.scenarios.clone();
        scenarios.sort_unstable();
        scenarios.dedup();
        // The credit record follows in events of its own (each event stays small).
        let tenant = Tenant {
            id,
            scenarios,
            credit_record: Vec::new(),
            ..t.clone()
        };
        events.push(Event::TenantRegistered { tenant });
        for violation in &t.credit_record {
            events.push(Event::ViolationRecorded {
                tenant: id,
                violation: violation.clone(),
            });
        }
        report.tenants_registered += 1;
    }
    let tenant = |t: TenantId| report.tenants[&t];

    // Real-user reports: a mapped tenant must require them as exported; reports are added.
    let exported_required = |t: TenantId| h.real_users.iter().any(|r| r.tenant == t && r.required);
    for (from, to) in &request.options.tenants {
        let (exported, current) = (exported_required(*from), target.requires_real_user(*to));
        if exported != current {
            return Err(ImportError::RealUserRequirementDiffers {
                tenant: *to,
                exported,
                current,
            }
            .into());
        }
    }
    for r in &h.real_users {
        let to = tenant(r.tenant);
        if r.required && !target.requires_real_user(to) {
            events.push(Event::RealUserRequirementSet {
                tenant: to,
                required: true,
                at: now,
            });
        }
        let reported: BTreeSet<SubscriberNumber> = r.reported.iter().copied().collect();
        for subscriber in reported {
            if !target.is_real_user_reported(to, subscriber) {
                events.push(Event::RealUserReported {
                    tenant: to,
                    subscriber,
                    reported: true,
                    at: now,
                });
            }
        }
    }

    // Blocks: licensed where they fit; otherwise the target must license what is used.
    let mut new_blocks = Vec::new();
    for b in &h.blocks {
        if target.pool().check_license(b).is_ok() {
            new_blocks.push(*b);
            events.push(Event::BlockLicensed { block: *b, at: now });
        }
    }
    report.blocks_licensed = new_blocks.len();
    let licensed = |m: ManagementNumber| {
        target.pool().is_licensed(m) || new_blocks.iter().any(|b| b.contains(m))
    };
    let used = h
        .numbers
        .iter()
        .map(|n| n.number)
        .chain(h.quarantines.iter().map(|q| q.number.management()));
    for m in used {
        if !licensed(m) {
            return Err(ImportError::NotLicensed(m).into());
        }
    }

    // Management numbers: free in the target, or already the mapped tenant's.
    for n in &h.numbers {
        let number = n.number;
        let current = target.pool().holding(number, now).unwrap_or(Holding::Free);
        let event = match (&n.holding, current) {
            (_, Holding::Assigned { tenant: holder, .. }) => {
                let mine = match &n.holding {
                    NumberHolding::Held { tenant: t, .. } => tenant(*t),
                    NumberHolding::Quarantined { former, .. } => tenant(*former),
                };
                if holder != mine {
                    return Err(ImportError::NumberHeld { number, holder }.into());
                }
                None
            }
            (
                NumberHolding::Held {
                    tenant: t,
                    tags,
                    since,
                },
                current,
            ) => {
                if let Holding::Quarantined { former, until } = current
                    && former != tenant(*t)
                {
                    return Err(ImportError::NumberInQuarantine { number, until }.into());
                }
                let tags: BTreeSet<Tag> = tags.iter().cloned().collect();
                Some(Event::NumberAssigned {
                    number,
                    tenant: tenant(*t),
                    tags: tags.into_iter().collect(),
                    at: *since,
                })
            }
            (NumberHolding::Quarantined { former, until }, current) => {
                let former = tenant(*former);
                let until = match current {
                    Holding::Quarantined {
                        former: f,
                        until: u,
                    } if f != former => {
                        return Err(ImportError::NumberInQuarantine { number, until: u }.into());
                    }
                    Holding::Quarantined { until: u, .. } => (*until).max(u),
                    _ => *until,
                };
                (until > now).then_some(Event::Imported(Imported::NumberQuarantine {
                    number,
                    former,
                    until,
                }))
            }
        };
        if let Some(e) = event {
            events.push(e);
            report.numbers += 1;
        }
    }

    // Usage numbers: nothing of the target's on them.
    let touched: BTreeSet<UsageNumber> = h
        .bindings
        .iter()
        .flat_map(|b| b.parties.usage_numbers())
        .chain(h.quarantines.iter().map(|q| q.number))
        .collect();
    if let Some(x) = touched.iter().find(|x| target.usage_entry(**x).is_some()) {
        return Err(ImportError::EntryInUse(*x).into());
    }

    // Binding ids: kept, or the target's next ones in order.
    let ids: BTreeSet<BindingId> = h
        .bindings
        .iter()
        .map(|b| b.id)
        .chain(h.quarantines.iter().map(|q| q.quarantine.binding))
        .collect();
    let next = target.next_binding_id().raw();
    match request.options.binding_ids {
        BindingIds::Keep => {
            if let Some(id) = ids.iter().find(|id| id.raw() < next) {
                return Err(ImportError::BindingIdTaken(*id).into());
            }
            report.bindings = ids.iter().map(|id| (*id, *id)).collect();
        }
        BindingIds::Renumber => {
            if next.saturating_add(ids.len() as u64) > MAX_BINDING_ID + 1 {
                return Err(ImportError::BindingIdsExhausted.into());
            }
            report.bindings = ids
                .iter()
                .zip(next..)
                .map(|(id, new)| (*id, BindingId::from_raw(new)))
                .collect();
        }
    }

    for (b, policy) in h.bindings.iter().zip(checked.policies) {
        let binding = Binding {
            id: report.bindings[&b.id],
            tenant: tenant(b.tenant),
            policy,
            ..b.clone()
        };
        events.push(Event::Bound { binding });
        report.bound += 1;
    }
    for q in &h.quarantines {
        let quarantine = Quarantine {
            binding: report.bindings[&q.quarantine.binding],
            ..q.quarantine
        };
        events.push(Event::Imported(Imported::EntryQuarantine(
            QuarantinedEntry { quarantine, ..*q },
        )));
        report.quarantines += 1;
    }

    // Block rules: the target's next ids, tenants and bindings mapped.
    let rules: Vec<&BlockRule> = h.block_rules.iter().filter(|r| r.is_active(now)).collect();
    if target.block_list().len() + rules.len() > MAX_BLOCK_RULES {
        return Err(Error::TooManyBlocks {
            max: MAX_BLOCK_RULES,
        });
    }
    let mut owned: BTreeMap<TenantId, usize> = BTreeMap::new();
    for (r, id) in rules.into_iter().zip(target.next_block_id().raw()..) {
        let owner = r.owner.map(tenant);
        if let Some(t) = owner {
            let n = owned
                .entry(t)
                .or_insert_with(|| target.block_list().owned_by(t));
            *n += 1;
            if *n > MAX_TENANT_BLOCK_RULES {
                return Err(Error::TooManyBlocks {
                    max: MAX_TENANT_BLOCK_RULES,
                });
            }
        }
        let scope = match r.scope {
            BlockScope::Platform => BlockScope::Platform,
            BlockScope::Tenant(t) => BlockScope::Tenant(tenant(t)),
            BlockScope::Binding(b) => BlockScope::Binding(report.bindings[&b]),
        };
        events.push(Event::Blocked {
            rule: BlockRule {
                id: BlockId::from_raw(id),
                scope,
                owner,
                ..r.clone()
            },
        });
        report.block_rules += 1;
    }
    Ok((events, report))
}

/// Imports a hand-over into a registry at `now`: [`Command::Import`] through
/// [`Registry::execute`] (validated, journaled, applied and published like any write, all or
/// nothing), and what it did.
pub fn import_into(
    registry: &Registry,
    request: ImportRequest,
    now: Timestamp,
) -> Result<ImportReport, Error> {
    let command = Command::Import(Box::new(request));
    let events = registry.execute(&command, now)?;
    let Command::Import(request) = command else {
        unreachable!("built above")
    };
    Ok(ImportReport::of(&request, &events))
}

impl ImportReport {
    /// The report of an import from its request and the events it made (as
    /// [`Registry::execute`] returned them for [`Command::Import`]).
    pub fn of(request: &ImportRequest, events: &[Event]) -> ImportReport {
        let h = &request.handover;
        let mut report = ImportReport {
            tenants: request.options.tenants.clone(),
            ..ImportReport::default()
        };
        let mut registered = events.iter().filter_map(|e| match e {
            Event::TenantRegistered { tenant } => Some(tenant.id),
            _ => None,
        });
        for t in &h.tenants {
            if !report.tenants.contains_key(&t.id)
                && let Some(id) = registered.next()
            {
                report.tenants.insert(t.id, id);
                report.tenants_registered += 1;
            }
        }
        // Ids are mapped in order, so one pair gives the offset of them all.
        let ids: BTreeSet<BindingId> = h
            .bindings
            .iter()
            .map(|b| b.id)
            .chain(h.quarantines.iter().map(|q| q.quarantine.binding))
            .collect();
        let first_bound = events.iter().find_map(|e| match e {
            Event::Bound { binding } => Some(binding.id),
            _ => None,
        });
        let first_quarantine = events.iter().find_map(|e| match e {
            Event::Imported(Imported::EntryQuarantine(q)) => Some(q.quarantine.binding),
            _ => None,
        });
        let pair = match (h.bindings.first(), first_bound, h.quarantines.first()) {
            (Some(b), Some(new), _) => Some((b.id, new)),
            (_, _, Some(q)) => first_quarantine.map(|new| (q.quarantine.binding, new)),
            _ => None,
        };
        if request.options.binding_ids == BindingIds::Keep {
            report.bindings = ids.iter().map(|id| (*id, *id)).collect();
        } else if let Some(base) =
            pair.and_then(|(old, new)| new.raw().checked_sub(ids.range(..old).count() as u64))
        {
            report.bindings = ids
                .iter()
                .zip(base..)
                .map(|(id, new)| (*id, BindingId::from_raw(new)))
                .collect();
        }
        for e in events {
            match e {
                Event::BlockLicensed { .. } => report.blocks_licensed += 1,
                Event::NumberAssigned { .. }
                | Event::Imported(Imported::NumberQuarantine { .. }) => report.numbers += 1,
                Event::Bound { .. } => report.bound += 1,
                Event::Imported(Imported::EntryQuarantine(_)) => report.quarantines += 1,
                Event::Blocked { .. } => report.block_rules += 1,
                _ => {}
            }
        }
        report
    }
}
