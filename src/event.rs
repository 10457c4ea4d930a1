//! Events: the only way the state changes.
//!
//! A command is validated against the current [`crate::State`] and yields events; applying them
//! is deterministic, so the same events rebuild the same state — which is what the journal,
//! replicas and hand-over rely on. Events carry every value they need (quarantine ends, the full
//! new binding), never "now" or configuration read at apply time.
#![forbid(unsafe_code)]

use crate::binding::{Binding, BindingId};
use crate::control::block::{BlockId, BlockRule, LiftReason};
use crate::number::{ManagementNumber, SubscriberNumber};
use crate::pool::{LicensedBlock, Tag};
use crate::state::QuarantinedEntry;
use crate::tenant::{Tenant, TenantId, TenantStatus, Violation};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A change of state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Event {
    /// A tenant was registered.
    TenantRegistered {
        /// The new tenant, complete.
        tenant: Tenant,
    },
    /// A tenant's status changed.
    TenantStatusChanged {
        /// The tenant.
        tenant: TenantId,
        /// Its new status.
        status: TenantStatus,
        /// When.
        at: Timestamp,
    },
    /// A violation was added to a tenant's credit record.
    ViolationRecorded {
        /// The tenant.
        tenant: TenantId,
        /// The violation.
        violation: Violation,
    },
    /// A block of management numbers was licensed to the platform.
    BlockLicensed {
        /// The block.
        block: LicensedBlock,
        /// When.
        at: Timestamp,
    },
    /// A management number was assigned to a tenant.
    NumberAssigned {
        /// The number.
        number: ManagementNumber,
        /// Its new holder.
        tenant: TenantId,
        /// Selection tags, sorted and deduplicated.
        tags: Vec<Tag>,
        /// When.
        at: Timestamp,
    },
    /// A management number was taken back from its tenant and put in quarantine.
    NumberReclaimed {
        /// The number.
        number: ManagementNumber,
        /// Its former holder.
        tenant: TenantId,
        /// When.
        at: Timestamp,
        /// End of the quarantine.
        quarantine_until: Timestamp,
    },
    /// A binding was made.
    Bound {
        /// The binding, complete.
        binding: Binding,
    },
    /// A binding was changed (parties, expiry or policy); route entries it no longer has go to
    /// quarantine until `quarantine_until`.
    Updated {
        /// The binding as it is now.
        binding: Binding,
        /// When.
        at: Timestamp,
        /// End of the quarantine of dropped entries.
        quarantine_until: Timestamp,
    },
    /// A binding was suspended.
    Suspended {
        /// The binding.
        binding: BindingId,
        /// When.
        at: Timestamp,
    },
    /// A suspended binding was resumed.
    Resumed {
        /// The binding.
        binding: BindingId,
        /// When.
        at: Timestamp,
    },
    /// A binding was released (unbind); its entries go to quarantine.
    Released {
        /// The binding.
        binding: BindingId,
        /// When.
        at: Timestamp,
        /// End of the quarantine of its entries.
        quarantine_until: Timestamp,
    },
    /// A binding reached its expiry and was swept; its entries go to quarantine.
    Expired {
        /// The binding.
        binding: BindingId,
        /// When it expired (its expiry time, not the sweep's).
        at: Timestamp,
        /// End of the quarantine of its entries.
        quarantine_until: Timestamp,
    },
    /// Quarantines (of route entries and of management numbers) that ended by `at` were dropped.
    QuarantinesPruned {
        /// The time of the sweep.
        at: Timestamp,
    },
    /// Hand-over: something carried over from another registry that no other event can express
    /// (see [`crate::handover`]). Tenants, blocks, assignments and bindings of a hand-over are
    /// ordinary [`Event::TenantRegistered`], [`Event::BlockLicensed`],
    /// [`Event::NumberAssigned`] and [`Event::Bound`] events.
    Imported(Imported),
    /// Whether a tenant requires real-user reports changed.
    RealUserRequirementSet {
        /// The tenant.
        tenant: TenantId,
        /// Whether it requires them now.
        required: bool,
        /// When.
        at: Timestamp,
    },
    /// A tenant's real-user report of a subscriber was recorded or withdrawn.
    RealUserReported {
        /// The tenant.
        tenant: TenantId,
        /// The subscriber.
        subscriber: SubscriberNumber,
        /// Reported (`true`) or withdrawn (`false`).
        reported: bool,
        /// When.
        at: Timestamp,
    },
    /// A block rule was made (by hand, or automatically after probing).
    Blocked {
        /// The rule, complete.
        rule: BlockRule,
    },
    /// A block rule was removed: lifted on request, expired, its binding ended, or replaced.
    BlockLifted {
        /// The rule.
        block: BlockId,
        /// When.
        at: Timestamp,
        /// Why.
        reason: LiftReason,
    },
}

/// What an [`Event::Imported`] installs: quarantines as they stood in the registry they come from,
/// with their original ends (a quarantine is otherwise only ever started by the end of a binding
/// or the reclaim of a number, at the time of that event).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Imported {
    /// A quarantined route entry. Its binding id (the binding that left it) is reserved: no
    /// binding made later gets it.
    EntryQuarantine(QuarantinedEntry),
    /// A management number in quarantine after being taken back from `former`.
    NumberQuarantine {
        /// The number.
        number: ManagementNumber,
        /// The tenant it was taken back from (it may have it back at once).
        former: TenantId,
        /// End of the quarantine.
        until: Timestamp,
    },
}
