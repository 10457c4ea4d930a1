//! Route decisions: "this caller dialled this 700 number — where does it go?"
//!
//! [`State::route`] answers from the state; the lock-free index answers the same question the same
//! way for switches. Time is an argument; nothing reads a clock.
#![forbid(unsafe_code)]

use crate::binding::EndReason;
use crate::binding::{BindingId, BindingStatus, Media, Mode, Party, Targets};
use crate::control::sms::SmsRules;
use crate::number::{DialedNumber, ManagementNumber, SubscriberNumber, UsageNumber, parse_dialed};
use crate::state::State;
use crate::tenant::{TenantId, TenantStatus};
use crate::time::Timestamp;
use std::fmt;

/// A routed call or SMS.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    /// Where it goes: one destination, or for GXB the group's members in ringing order.
    pub to: Targets,
    /// The 700 number to present to the callee (never the caller's real number).
    pub display: UsageNumber,
    /// The binding that decided it.
    pub binding: BindingId,
    /// The tenant that owns the binding (for CDRs and billing).
    pub tenant: TenantId,
    /// The binding's mode.
    pub mode: Mode,
    /// Whether the switch should record the call.
    pub record: bool,
}

/// Why the caller hears an announcement instead of being connected.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AnnounceReason {
    /// The binding was released; the number is in quarantine for this caller ("service ended").
    ServiceEnded,
    /// The binding expired (swept or not yet swept); in quarantine for this caller.
    Expired,
}

/// Why a call is refused. Each maps to a SIP status with [`RejectReason::sip_status`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum RejectReason {
    /// The dialled string is not a number at all.
    MalformedNumber,
    /// Not a 700 number, or a 700 number not licensed to this platform.
    NotOurs,
    /// Licensed to the platform but held by no tenant.
    Unassigned,
    /// No live binding on the number.
    NoBinding,
    /// The number has bindings, but none for this caller (or the caller is not on the allow-list).
    CallerNotPermitted,
    /// The caller's number is missing or malformed, so no binding can be matched.
    CallerUnidentified,
    /// The binding does not allow this medium (voice or SMS).
    MediaNotPermitted,
    /// The binding does not allow calls in this direction.
    DirectionBarred,
    /// Outside the binding's time-of-day window.
    OutsideTimeWindow,
    /// The binding is suspended.
    BindingSuspended,
    /// The tenant is suspended.
    TenantSuspended,
    /// AXN: A called its own X and the binding has no default destination N.
    NoDestination,
    /// The routing index could not be read consistently (its writer died halfway through a
    /// change, or kept changing the entry); retry or fail over.
    Unavailable,
    /// A block rule (platform, tenant, binding or point-to-point) forbids this caller here.
    Blocked,
    /// The caller was blocked automatically (it dialled too many different 700 numbers in a
    /// short window: probing) and the block has not ended or been lifted.
    AutoBlocked,
    /// A frequency limit (per caller, per usage number or per binding) is exhausted for the
    /// current window.
    RateLimited,
    /// An SMS from a commercial sender port (e.g. `106…`): no marketing through 700 numbers.
    CommercialSender,
    /// An SMS whose text looks like a verification code: 700 numbers may not register apps.
    VerificationCode,
    /// The tenant requires a real-user report for subscriber A, and A's has not been made.
    UserNotReported,
}

impl RejectReason {
    /// The SIP final response a switch would send.
    pub const fn sip_status(self) -> u16 {
        match self {
            RejectReason::MalformedNumber => 484,
            RejectReason::NotOurs | RejectReason::Unassigned | RejectReason::NoBinding => 404,
            RejectReason::CallerNotPermitted
            | RejectReason::CallerUnidentified
            | RejectReason::DirectionBarred => 403,
            RejectReason::MediaNotPermitted => 488,
            RejectReason::OutsideTimeWindow | RejectReason::NoDestination => 480,
            RejectReason::BindingSuspended => 480,
            RejectReason::TenantSuspended | RejectReason::Unavailable => 503,
            RejectReason::Blocked
            | RejectReason::AutoBlocked
            | RejectReason::CommercialSender
            | RejectReason::VerificationCode
            | RejectReason::UserNotReported => 403,
            RejectReason::RateLimited => 486,
        }
    }
}

/// The answer to one lookup.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Connect.
    Route(Route),
    /// Only part of a 700 number was dialled (e.g. the 11-digit management number): collect
    /// this many more digits and ask again.
    CollectDigits {
        /// Digits still needed.
        needed: u8,
    },
    /// Play an announcement and release.
    Announce {
        /// Which announcement.
        reason: AnnounceReason,
    },
    /// Refuse.
    Reject {
        /// Why.
        reason: RejectReason,
    },
}

impl fmt::Display for AnnounceReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AnnounceReason::ServiceEnded => "service ended",
            AnnounceReason::Expired => "binding expired",
        })
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RejectReason::MalformedNumber => "malformed number",
            RejectReason::NotOurs => "not our number",
            RejectReason::Unassigned => "number unassigned",
            RejectReason::NoBinding => "no binding",
            RejectReason::CallerNotPermitted => "caller not permitted",
            RejectReason::CallerUnidentified => "caller unidentified",
            RejectReason::MediaNotPermitted => "media not permitted",
            RejectReason::DirectionBarred => "direction barred",
            RejectReason::OutsideTimeWindow => "outside time window",
            RejectReason::BindingSuspended => "binding suspended",
            RejectReason::TenantSuspended => "tenant suspended",
            RejectReason::NoDestination => "no destination",
            RejectReason::Unavailable => "routing index unavailable",
            RejectReason::Blocked => "blocked",
            RejectReason::AutoBlocked => "blocked automatically",
            RejectReason::RateLimited => "rate limited",
            RejectReason::CommercialSender => "commercial sender",
            RejectReason::VerificationCode => "verification code",
            RejectReason::UserNotReported => "real user not reported",
        })
    }
}

impl fmt::Display for Decision {
    /// One line for logs, e.g. `route to +8613800000001 shown 700123456780001 (binding#3)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Route(r) => {
                f.write_str("route to")?;
                for (i, to) in r.to.iter().enumerate() {
                    write!(f, "{}{to}", if i == 0 { " " } else { ", " })?;
                }
                write!(f, " shown {} ({}, {:?}", r.display, r.binding, r.mode)?;
                f.write_str(if r.record { ", recorded)" } else { ")" })
            }
            Decision::CollectDigits { needed } => write!(f, "collect {needed} more digits"),
            Decision::Announce { reason } => write!(f, "announce: {reason}"),
            Decision::Reject { reason } => {
                write!(f, "reject: {reason} (SIP {})", reason.sip_status())
            }
        }
    }
}

/// Parses the strings a switch hands over and routes them with `route`: a dialled string that is
/// not a 700 number is refused, a malformed or missing caller is passed on as unknown. An SMS
/// is then screened by `sms` (the sender on the raw caller string, then `text` if the switch
/// passed it) before anything is looked up. Shared by the state, the registry, shared-index
/// readers and followers so they answer alike.
pub(crate) fn route_strings(
    caller: &str,
    dialed: &str,
    media: Media,
    sms: &SmsRules,
    text: Option<&[u8]>,
    route: impl FnOnce(Option<SubscriberNumber>, DialedNumber) -> Decision,
) -> Decision {
    match parse_dialed(dialed) {
        Ok(d) => {
            if media == Media::Sms
                && let Some(reason) = sms.screen(caller, text)
            {
                return reject(reason);
            }
            route(SubscriberNumber::parse(caller).ok(), d)
        }
        Err(crate::number::NumberError::NotSegment700) => reject(RejectReason::NotOurs),
        Err(_) => reject(RejectReason::MalformedNumber),
    }
}

/// How a route sees a management number.
pub(crate) enum Standing {
    /// Not licensed to the platform.
    NotOurs,
    /// Licensed, held by no tenant.
    Unassigned,
    /// Held by a tenant.
    Held,
}

/// Routes a parsed dial string: a complete usage number with `usage`; a management number or a
/// shorter prefix asks for more digits (once the management number is known to be held).
pub(crate) fn route_dialed_with(
    dialed: DialedNumber,
    standing: impl FnOnce(ManagementNumber) -> Standing,
    usage: impl FnOnce(UsageNumber) -> Decision,
) -> Decision {
    match dialed {
        DialedNumber::Usage(x) => usage(x),
        DialedNumber::Management(m) => match standing(m) {
            Standing::NotOurs => reject(RejectReason::NotOurs),
            Standing::Unassigned => reject(RejectReason::Unassigned),
            Standing::Held => Decision::CollectDigits {
                needed: dialed.digits_needed(),
            },
        },
        DialedNumber::Incomplete { .. } => Decision::CollectDigits {
            needed: dialed.digits_needed(),
        },
    }
}

const fn reject(reason: RejectReason) -> Decision {
    Decision::Reject { reason }
}

impl State {
    /// Routes a call or SMS given the strings a switch sees: the caller's number (any accepted
    /// shape; empty or malformed is refused once a binding would need it) and the dialled string.
    ///
    /// An SMS from a commercial sender (see [`SmsRules`], configured in
    /// [`crate::Config::sms`]) is refused with [`RejectReason::CommercialSender`] before the
    /// number is looked up.
    pub fn route(&self, caller: &str, dialed: &str, media: Media, now: Timestamp) -> Decision {
        route_strings(
            caller,
            dialed,
            media,
            &self.config().sms,
            None,
            |caller, dialed| self.route_dialed(caller, dialed, media, now),
        )
    }

    /// Routes an SMS whose text the switch passes (raw bytes; invalid UTF-8 is scanned too):
    /// as [`State::route`] with [`Media::Sms`], and an SMS whose text looks like a
    /// verification code is refused with [`RejectReason::VerificationCode`] (after the sender
    /// check, before the lookup).
    pub fn route_message(
        &self,
        caller: &str,
        dialed: &str,
        text: &[u8],
        now: Timestamp,
    ) -> Decision {
        route_strings(
            caller,
            dialed,
            Media::Sms,
            &self.config().sms,
            Some(text),
            |caller, dialed| self.route_dialed(caller, dialed, Media::Sms, now),
        )
    }

    /// Routes a parsed request (`caller` is `None` when it was missing or malformed).
    /// The SMS rules look at the strings a switch hands over, so they are not applied here:
    /// screen an SMS with [`crate::control::sms::SmsRules::screen`] first, or route strings.
    ///
    /// Block rules ([`crate::control::block`]) apply in this order: first an active platform
    /// rule with no callee refuses the caller before anything is looked up (whatever was
    /// dialled, even an incomplete number: [`RejectReason::Blocked`], or
    /// [`RejectReason::AutoBlocked`] when only automatic rules refuse it); then every check of
    /// [`State::route_usage`] runs as without blocks, and a call a binding would route is
    /// refused with [`RejectReason::Blocked`] if an active rule of the platform, of the
    /// binding's tenant or of the binding refuses the caller to anyone or to any of the route's
    /// targets. A caller that is unknown (`None`) matches no rule.
    pub fn route_dialed(
        &self,
        caller: Option<SubscriberNumber>,
        dialed: DialedNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        if let Some(reason) = caller.and_then(|c| self.block_list().caller_barred(c, now)) {
            return reject(reason);
        }
        route_dialed_with(
            dialed,
            |m| match (self.pool().is_licensed(m), self.pool().holder(m)) {
                (false, _) => Standing::NotOurs,
                (true, None) => Standing::Unassigned,
                (true, Some(_)) => Standing::Held,
            },
            |x| self.route_usage_unbarred(caller, x, media, now),
        )
    }

    /// Routes a call from `caller` to usage number `x`, block rules applied as
    /// [`State::route_dialed`] says.
    pub fn route_usage(
        &self,
        caller: Option<SubscriberNumber>,
        x: UsageNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        if let Some(reason) = caller.and_then(|c| self.block_list().caller_barred(c, now)) {
            return reject(reason);
        }
        self.route_usage_unbarred(caller, x, media, now)
    }

    /// [`State::route_usage`] once the platform's caller rules let the caller through.
    fn route_usage_unbarred(
        &self,
        caller: Option<SubscriberNumber>,
        x: UsageNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        let m = x.management();
        if !self.pool().is_licensed(m) {
            return reject(RejectReason::NotOurs);
        }
        let Some(holder) = self.pool().holder(m) else {
            return reject(RejectReason::Unassigned);
        };
        if self
            .tenant(holder)
            .is_some_and(|t| t.status == TenantStatus::Suspended)
        {
            return reject(RejectReason::TenantSuspended);
        }
        let Some(entry) = self.usage_entry(x) else {
            return reject(RejectReason::NoBinding);
        };
        let live = |id: &BindingId| self.binding(*id).is_some_and(|b| !b.is_expired(now));

        if let Some(caller) = caller {
            // A live entry for the caller first, then an exclusive binding's entry for anyone.
            for party in [Party::Caller(caller), Party::Anyone] {
                let Some(b) = entry
                    .routes
                    .get(&party)
                    .filter(|id| live(id))
                    .and_then(|id| self.binding(*id))
                else {
                    continue;
                };
                let Some(leg) = b.leg(x, party) else { continue };
                if b.status == BindingStatus::Suspended {
                    return reject(RejectReason::BindingSuspended);
                }
                if self.lacks_real_user_report(b) {
                    return reject(RejectReason::UserNotReported);
                }
                if !b.policy.media.allows(media) {
                    return reject(RejectReason::MediaNotPermitted);
                }
                if !b.policy.direction.allows(leg.from_a_side) {
                    return reject(RejectReason::DirectionBarred);
                }
                if party == Party::Anyone
                    && !b.policy.allowed_callers.is_empty()
                    && b.policy.allowed_callers.binary_search(&caller).is_err()
                {
                    return reject(RejectReason::CallerNotPermitted);
                }
                if b.policy.window.is_some_and(|w| !w.contains(now)) {
                    return reject(RejectReason::OutsideTimeWindow);
                }
                let Some(to) = leg.to else {
                    return reject(RejectReason::NoDestination);
                };
                if self
                    .block_list()
                    .route_barred(caller, b.tenant, b.id, &to, now)
                {
                    return reject(RejectReason::Blocked);
                }
                return Decision::Route(Route {
                    to,
                    display: leg.display,
                    binding: b.id,
                    tenant: b.tenant,
                    mode: b.mode(),
                    record: b.policy.record,
                });
            }
            // Then quarantines, including those of expired bindings not swept yet: a former
            // party hears the announcement instead of reaching the number's next user.
            for party in [Party::Caller(caller), Party::Anyone] {
                if let Some(q) = self.quarantine_at(x, party, now) {
                    let reason = match q.ended {
                        EndReason::Released => AnnounceReason::ServiceEnded,
                        EndReason::Expired => AnnounceReason::Expired,
                    };
                    return Decision::Announce { reason };
                }
            }
        }
        reject(match (entry.routes.values().any(live), caller) {
            (false, _) => RejectReason::NoBinding,
            (true, None) => RejectReason::CallerUnidentified,
            (true, Some(_)) => RejectReason::CallerNotPermitted,
        })
    }
}
