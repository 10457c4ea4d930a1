//! Commands: what a platform asks of the state. Each is validated against the current state and,
//! if accepted, yields [`crate::Event`]s; a refused command yields a typed [`crate::Error`] and
//! changes nothing.
#![forbid(unsafe_code)]

use crate::binding::{BindingId, Parties, Policy};
use crate::control::block::{BlockId, BlockRequest};
use crate::handover::ImportRequest;
use crate::number::{ManagementNumber, SubscriberNumber};
use crate::pool::{LicensedBlock, NumberChoice, Tag};
use crate::tenant::{Scenario, TenantId, TenantStatus, ViolationKind};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A request for a new binding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BindRequest {
    /// The tenant making it; every usage number comes from its own management numbers.
    pub tenant: TenantId,
    /// Mode, parties, and each usage number given or to be picked.
    pub parties: Parties<NumberChoice>,
    /// When it stops routing; must be after now.
    pub expires_at: Timestamp,
    /// What it permits.
    pub policy: Policy,
    /// The order it serves (may be empty; at most 64 bytes).
    pub order_id: String,
    /// The reference of the user's consent (required; at most 64 bytes).
    pub consent_ref: String,
    /// The platform's own reference (may be empty; at most 64 bytes).
    pub external_ref: String,
}

/// A new counterpart for an existing binding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Counterpart {
    /// The new B of an AXB, AXYB or GXB binding.
    B(SubscriberNumber),
    /// The new default destination of an AXN binding (`None` refuses A's calls to X).
    N(Option<SubscriberNumber>),
    /// The new members of a GXB group, in ringing order.
    Group(Vec<SubscriberNumber>),
}

/// Everything the state can be asked to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Command {
    /// Register a tenant.
    RegisterTenant {
        /// Its name (1..=128 bytes, no control characters).
        name: String,
        /// Its contracted scenarios.
        scenarios: Vec<Scenario>,
        /// Its cap of bindings per usage number; `None` takes the configured default.
        pair_cap: Option<u16>,
    },
    /// Change a tenant's status (suspend, reactivate, exit).
    SetTenantStatus {
        /// The tenant.
        tenant: TenantId,
        /// The new status.
        status: TenantStatus,
    },
    /// Add a violation to a tenant's credit record.
    RecordViolation {
        /// The tenant.
        tenant: TenantId,
        /// What kind.
        kind: ViolationKind,
        /// Free text (at most 256 bytes).
        note: String,
    },
    /// License a block of management numbers to the platform.
    LicenseBlock(LicensedBlock),
    /// Assign a management number (and so its 10,000 usage numbers) to a tenant.
    AssignNumber {
        /// The tenant.
        tenant: TenantId,
        /// The number.
        number: ManagementNumber,
        /// Selection tags.
        tags: Vec<Tag>,
    },
    /// Take a management number back from a tenant; it goes to quarantine.
    ReclaimNumber {
        /// The tenant holding it.
        tenant: TenantId,
        /// The number.
        number: ManagementNumber,
    },
    /// Make a binding.
    Bind(BindRequest),
    /// Change a binding.
    Update {
        /// The tenant asking.
        tenant: TenantId,
        /// The binding.
        binding: BindingId,
        /// A new counterpart.
        counterpart: Option<Counterpart>,
        /// A new expiry.
        expires_at: Option<Timestamp>,
        /// A new policy.
        policy: Option<Policy>,
    },
    /// Suspend a binding.
    Suspend {
        /// The tenant asking.
        tenant: TenantId,
        /// The binding.
        binding: BindingId,
    },
    /// Resume a suspended binding.
    Resume {
        /// The tenant asking.
        tenant: TenantId,
        /// The binding.
        binding: BindingId,
    },
    /// Release a binding.
    Unbind {
        /// The tenant asking.
        tenant: TenantId,
        /// The binding.
        binding: BindingId,
    },
    /// Sweep expired bindings and ended quarantines.
    Sweep,
    /// Take over the tenants, numbers, bindings and quarantines of another registry's
    /// [hand-over](crate::handover::Handover), all or nothing (see [`crate::handover`]).
    Import(Box<ImportRequest>),
    /// Set whether a tenant requires real-user reports: while it does, a binding whose
    /// subscriber A it has not reported may be made, but routes nothing
    /// ([`crate::RejectReason::UserNotReported`]); see [`crate::control::real_user`].
    /// Setting what is already set changes nothing.
    SetRealUserRequired {
        /// The tenant.
        tenant: TenantId,
        /// Whether it requires reports.
        required: bool,
    },
    /// Record (or, with `reported: false`, withdraw) a tenant's real-user report of a
    /// subscriber, effective at once for the bindings whose subscriber A
    /// ([`crate::Parties::subscriber_a`]) it is. Recording what is already recorded changes
    /// nothing.
    ReportRealUser {
        /// The tenant reporting.
        tenant: TenantId,
        /// The subscriber reported.
        subscriber: SubscriberNumber,
        /// Reported (`true`) or withdrawn (`false`).
        reported: bool,
    },
    /// Make a block (one rule; one per group member for a GXB binding block): see
    /// [`crate::control::block`].
    Block(BlockRequest),
    /// Lift a block rule.
    LiftBlock {
        /// Who asks: a tenant (only a rule it owns), or `None` for the platform operator (any
        /// rule, automatic blocks included).
        tenant: Option<TenantId>,
        /// The rule.
        block: BlockId,
    },
    /// Block a caller platform-wide until `until` because routers saw it probing (issued by the
    /// registry; the rule's origin is [`crate::control::block::BlockOrigin::Probing`]). Nothing
    /// happens if an automatic block of the caller already lasts until then; a shorter one is
    /// replaced.
    AutoBlock {
        /// The caller.
        caller: SubscriberNumber,
        /// When the block ends (must be after now).
        until: Timestamp,
        /// How many distinct numbers it dialled.
        numbers: u32,
        /// Within how many seconds.
        window_secs: u32,
    },
}
