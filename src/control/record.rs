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

impl RouteRecord {
    /// A record with nothing in it (time 0, voice, no numbers, routed): a filler for the buffers
    /// records are drained into.
    pub const EMPTY: RouteRecord = RouteRecord {
        at: Timestamp::from_unix_secs(0),
        media: Media::Voice,
        caller: None,
        dialed: None,
        tenant: None,
        binding: None,
        to: None,
        display: None,
        outcome: Outcome::Routed,
    };
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

/// Every reject reason, in the order of their stable codes (1-based, as in the C ABI).
pub(crate) const REJECTS: [RejectReason; 19] = [
    RejectReason::MalformedNumber,
    RejectReason::NotOurs,
    RejectReason::Unassigned,
    RejectReason::NoBinding,
    RejectReason::CallerNotPermitted,
    RejectReason::CallerUnidentified,
    RejectReason::MediaNotPermitted,
    RejectReason::DirectionBarred,
    RejectReason::OutsideTimeWindow,
    RejectReason::BindingSuspended,
    RejectReason::TenantSuspended,
    RejectReason::NoDestination,
    RejectReason::Unavailable,
    RejectReason::Blocked,
    RejectReason::AutoBlocked,
    RejectReason::RateLimited,
    RejectReason::CommercialSender,
    RejectReason::VerificationCode,
    RejectReason::UserNotReported,
];

/// The stable code of a reject reason (1-based; the C ABI's `NP700_REJECT_*`).
pub(crate) const fn reject_code(reason: RejectReason) -> u8 {
    // Exhaustive on purpose: a new reason must get a code here.
    match reason {
        RejectReason::MalformedNumber => 1,
        RejectReason::NotOurs => 2,
        RejectReason::Unassigned => 3,
        RejectReason::NoBinding => 4,
        RejectReason::CallerNotPermitted => 5,
        RejectReason::CallerUnidentified => 6,
        RejectReason::MediaNotPermitted => 7,
        RejectReason::DirectionBarred => 8,
        RejectReason::OutsideTimeWindow => 9,
        RejectReason::BindingSuspended => 10,
        RejectReason::TenantSuspended => 11,
        RejectReason::NoDestination => 12,
        RejectReason::Unavailable => 13,
        RejectReason::Blocked => 14,
        RejectReason::AutoBlocked => 15,
        RejectReason::RateLimited => 16,
        RejectReason::CommercialSender => 17,
        RejectReason::VerificationCode => 18,
        RejectReason::UserNotReported => 19,
    }
}

/// The reject reason of a stable code.
pub(crate) fn reject_of(code: u8) -> Option<RejectReason> {
    REJECTS.get(usize::from(code).checked_sub(1)?).copied()
}

impl RouteRecord {
    /// The record as the queue's seven words: at | caller | dialed | to | display | binding |
    /// tenant (32) · media (1) · outcome (2) · reason (8).
    pub(crate) fn to_words(self) -> [u64; 7] {
        let (kind, reason) = match self.outcome {
            Outcome::Routed => (0u64, 0u64),
            Outcome::CollectDigits => (1, 0),
            Outcome::Announced(AnnounceReason::ServiceEnded) => (2, 1),
            Outcome::Announced(AnnounceReason::Expired) => (2, 2),
            Outcome::Rejected(r) => (3, u64::from(reject_code(r))),
        };
        let media = match self.media {
            Media::Voice => 0u64,
            Media::Sms => 1,
        };
        [
            self.at.unix_secs(),
            self.caller.map_or(0, SubscriberNumber::e164),
            self.dialed.map_or(0, UsageNumber::value),
            self.to.map_or(0, SubscriberNumber::e164),
            self.display.map_or(0, UsageNumber::value),
            self.binding.map_or(0, BindingId::raw),
            u64::from(self.tenant.map_or(0, TenantId::raw))
                | media << 32
                | kind << 33
                | reason << 35,
        ]
    }

    /// A record from the queue's words; `None` if they are not one (never for words made by
    /// [`RouteRecord::to_words`]).
    pub(crate) fn from_words(w: &[u64; 7]) -> Option<RouteRecord> {
        let subscriber = |v: u64| match v {
            0 => Ok(None),
            v => SubscriberNumber::from_e164(v).map(Some),
        };
        let usage = |v: u64| match v {
            0 => Ok(None),
            v => UsageNumber::new(v).map(Some),
        };
        let tenant = (w[6] & 0xFFFF_FFFF) as u32;
        let reason = ((w[6] >> 35) & 0xFF) as u8;
        let outcome = match (w[6] >> 33) & 3 {
            0 => Outcome::Routed,
            1 => Outcome::CollectDigits,
            2 => Outcome::Announced(match reason {
                1 => AnnounceReason::ServiceEnded,
                2 => AnnounceReason::Expired,
                _ => return None,
            }),
            _ => Outcome::Rejected(reject_of(reason)?),
        };
        Some(RouteRecord {
            at: Timestamp::from_unix_secs(w[0]),
            media: if (w[6] >> 32) & 1 == 1 {
                Media::Sms
            } else {
                Media::Voice
            },
            caller: subscriber(w[1]).ok()?,
            dialed: usage(w[2]).ok()?,
            to: subscriber(w[3]).ok()?,
            display: usage(w[4]).ok()?,
            binding: (w[5] != 0).then(|| BindingId::from_raw(w[5])),
            tenant: (tenant != 0).then(|| TenantId::from_raw(tenant)),
            outcome,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_code_and_records_round_trip_through_words() {
        for (i, r) in REJECTS.iter().enumerate() {
            assert_eq!(usize::from(reject_code(*r)), i + 1);
            assert_eq!(reject_of(reject_code(*r)), Some(*r));
        }
        assert_eq!(reject_of(0), None);
        assert_eq!(reject_of(20), None);
        let full = RouteRecord {
            at: Timestamp::from_unix_secs(1_767_225_600),
            media: Media::Sms,
            caller: Some(SubscriberNumber::parse("13800000001").unwrap()),
            dialed: Some(UsageNumber::new(700_123_456_780_001).unwrap()),
            tenant: Some(TenantId::from_raw(7)),
            binding: Some(BindingId::from_raw(1 << 40)),
            to: Some(SubscriberNumber::parse("+442071234567").unwrap()),
            display: Some(UsageNumber::new(700_123_456_780_002).unwrap()),
            outcome: Outcome::Routed,
        };
        let empty = RouteRecord {
            media: Media::Voice,
            caller: None,
            dialed: None,
            tenant: None,
            binding: None,
            to: None,
            display: None,
            ..full
        };
        let outcomes = REJECTS.iter().map(|r| Outcome::Rejected(*r)).chain([
            Outcome::Routed,
            Outcome::CollectDigits,
            Outcome::Announced(AnnounceReason::ServiceEnded),
            Outcome::Announced(AnnounceReason::Expired),
        ]);
        for outcome in outcomes {
            for r in [full, empty] {
                let r = RouteRecord { outcome, ..r };
                assert_eq!(RouteRecord::from_words(&r.to_words()), Some(r));
            }
        }
    }
}
