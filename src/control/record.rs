//! Route records and call records: what the platform keeps and reports about its traffic.
#![forbid(unsafe_code)]

use crate::binding::{BindingId, Media};
use crate::number::{SubscriberNumber, UsageNumber};
use crate::route::{AnnounceReason, Decision, RejectReason};
use crate::tenant::TenantId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How a route request was answered, without its details.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Connected.
    Routed,
    /// More digits were asked for.
    CollectDigits,
    /// An announcement was played.
    Announced(AnnounceReason),
    /// Refused.
    Rejected(RejectReason),
}

impl Outcome {
    /// The outcome of a decision.
    pub fn of(decision: &Decision) -> Outcome {
        match decision {
            Decision::Route(_) => Outcome::Routed,
            Decision::CollectDigits { .. } => Outcome::CollectDigits,
            Decision::Announce { reason } => Outcome::Announced(*reason),
            Decision::Reject { reason } => Outcome::Rejected(*reason),
        }
    }
}

/// One route decision, as a switch asked for it and np700 answered: compact and fixed-size, so
/// routers write it into a lock-free queue without allocating.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RouteRecord {
    /// When the request was routed (the time the switch passed in).
    pub at: Timestamp,
    /// Voice call or SMS.
    pub media: Media,
    /// The caller, when its number could be read.
    pub caller: Option<SubscriberNumber>,
    /// The usage number dialled, when a complete one was.
    pub dialed: Option<UsageNumber>,
    /// The tenant holding the dialled number, when known (always for a routed call).
    pub tenant: Option<TenantId>,
    /// The binding that decided it (routed calls, and refusals a binding's policy made).
    pub binding: Option<BindingId>,
    /// Where it went: the first destination of a routed call.
    pub to: Option<SubscriberNumber>,
    /// The number shown to the callee of a routed call.
    pub display: Option<UsageNumber>,
    /// The answer.
    pub outcome: Outcome,
}

/// How a call that was routed ended, as the switch reports it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallEnd {
    /// The binding the call was routed under (from the route decision).
    pub binding: BindingId,
    /// The caller.
    pub caller: SubscriberNumber,
    /// The usage number dialled.
    pub dialed: UsageNumber,
    /// When the call was set up (the time of its route decision).
    pub started_at: Timestamp,
    /// Whether the callee answered.
    pub answered: bool,
    /// Seconds of conversation (0 if unanswered).
    pub duration_secs: u32,
    /// The release cause (ITU-T Q.850; 16 = normal clearing).
    pub release_cause: u16,
}

/// A call record: a [`CallEnd`] linked to its binding's tenant and destination.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallRecord {
    /// The call as the switch reported it.
    pub call: CallEnd,
    /// The tenant of the binding.
    pub tenant: TenantId,
    /// Where the binding sent the call (first destination), if the binding is still known.
    pub to: Option<SubscriberNumber>,
    /// When the record was made (the time the report came in).
    pub recorded_at: Timestamp,
}
