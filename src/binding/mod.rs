//! Bindings: who may reach whom through which 700 numbers, in which mode, until when.
//!
//! | mode | a call from … to … | goes to | shown to callee |
//! |---|---|---|---|
//! | AXB | A → X / B → X | B / A | X |
//! | AXN | A → X / anyone else → X | N / A | X |
//! | AXYB | A → Y / B → X | B / A | X / Y |
//! | GXB | a member of G → X / B → X | B / G's members in order | X |
//!
//! Every mode but AXN is *keyed by the caller*: one usage number carries many bindings, and
//! (usage number, caller) finds at most one of them. AXN is *exclusive*: X alone decides, so an
//! AXN binding is the only one on its X.
#![forbid(unsafe_code)]

mod policy;

pub use policy::{Direction, MAX_ALLOWED_CALLERS, Media, MediaSet, Policy, TimeWindow};

use crate::number::{SubscriberNumber, UsageNumber};
use crate::tenant::TenantId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A binding's identifier: assigned in order by the state and never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BindingId(u64);

impl BindingId {
    /// The identifier with this raw value (as carried in events and across the C ABI).
    pub const fn from_raw(raw: u64) -> Self {
        BindingId(raw)
    }
    /// The raw value.
    pub const fn raw(self) -> u64 {
        self.0
    }
}

impl fmt::Display for BindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "binding#{}", self.0)
    }
}

/// The binding modes of the 700 segment.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mode {
    /// A and B reach each other through X.
    Axb,
    /// Anyone reaches A through X; A reaches the default destination N.
    Axn,
    /// B reaches A through X, A reaches B through Y.
    Axyb,
    /// Members of group G reach B through X; B reaches G's members in order.
    Gxb,
}

/// The most members a GXB group may have (they are rung in order, and a route decision carries
/// them all in a fixed-size array so routing never allocates).
pub const MAX_GROUP_MEMBERS: usize = 8;

/// The parties and usage numbers of a binding, by mode.
///
/// `X` is [`UsageNumber`] in a binding; in a request it is [`crate::pool::NumberChoice`], so the
/// same shape says "this X" or "pick an X for me".
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Parties<X = UsageNumber> {
    /// A and B through X.
    Axb {
        /// Party A.
        a: SubscriberNumber,
        /// The usage number both see.
        x: X,
        /// Party B.
        b: SubscriberNumber,
    },
    /// Anyone to A through X; A to N.
    Axn {
        /// Party A, the owner of X.
        a: SubscriberNumber,
        /// The usage number.
        x: X,
        /// Where A's own calls to X go; `None` refuses them.
        n: Option<SubscriberNumber>,
    },
    /// B calls X to reach A; A calls Y to reach B.
    Axyb {
        /// Party A.
        a: SubscriberNumber,
        /// The usage number B dials to reach A, and B sees when A calls.
        x: X,
        /// The usage number A dials to reach B, and A sees when B calls.
        y: X,
        /// Party B.
        b: SubscriberNumber,
    },
    /// Group G and B through X.
    Gxb {
        /// The group's members, in ringing order (1..=8, distinct).
        group: Vec<SubscriberNumber>,
        /// The usage number.
        x: X,
        /// Party B.
        b: SubscriberNumber,
    },
}

impl<X> Parties<X> {
    /// Subscriber A: the real user a tenant reports to the carrier (real-user report, see
    /// [`crate::control::real_user`]), the subscriber the binding was made for.
    ///
    /// - AXB, AXYB: `a`, the party the platform binds a number for (the counterpart `b` can be
    ///   changed by an update, A cannot).
    /// - AXN: `a`, the owner of X: the only party named at all (anyone may call it).
    /// - GXB: `b`, the customer side. The group `G` is the tenant's own staff (an agent desk, a
    ///   store's phones), who are the tenant's employees rather than the users of its service;
    ///   the one individual whose number is protected, and so reported, is B.
    pub fn subscriber_a(&self) -> SubscriberNumber {
        match self {
            Parties::Axb { a, .. } | Parties::Axn { a, .. } | Parties::Axyb { a, .. } => *a,
            Parties::Gxb { b, .. } => *b,
        }
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        match self {
            Parties::Axb { .. } => Mode::Axb,
            Parties::Axn { .. } => Mode::Axn,
            Parties::Axyb { .. } => Mode::Axyb,
            Parties::Gxb { .. } => Mode::Gxb,
        }
    }

    /// Every subscriber that is a party (A, B, N, the group's members).
    pub fn subscribers(&self) -> Vec<SubscriberNumber> {
        match self {
            Parties::Axb { a, b, .. } | Parties::Axyb { a, b, .. } => vec![*a, *b],
            Parties::Axn { a, n, .. } => std::iter::once(*a).chain(*n).collect(),
            Parties::Gxb { group, b, .. } => group.iter().copied().chain([*b]).collect(),
        }
    }
}

impl Parties<UsageNumber> {
    /// The usage numbers the binding occupies (X, and Y for AXYB).
    pub fn usage_numbers(&self) -> Vec<UsageNumber> {
        match self {
            Parties::Axb { x, .. } | Parties::Axn { x, .. } | Parties::Gxb { x, .. } => vec![*x],
            Parties::Axyb { x, y, .. } => vec![*x, *y],
        }
    }
}

/// Who a route entry on a usage number is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Party {
    /// Any caller without an entry of its own (AXN's public side).
    Anyone,
    /// This caller.
    Caller(SubscriberNumber),
}

/// Where a call goes: one destination, or a group rung in order. Fixed-size, so a route
/// decision is plain `Copy` data.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct Targets {
    members: [Option<SubscriberNumber>; MAX_GROUP_MEMBERS],
    len: u8,
}

impl Targets {
    /// One destination.
    pub fn one(to: SubscriberNumber) -> Self {
        let mut t = Targets::default();
        t.members[0] = Some(to);
        t.len = 1;
        t
    }

    /// Up to [`MAX_GROUP_MEMBERS`] destinations in order; extra ones are ignored (groups are
    /// validated to that size before they reach here).
    pub fn group(members: &[SubscriberNumber]) -> Self {
        let mut t = Targets::default();
        for (slot, m) in t.members.iter_mut().zip(members) {
            *slot = Some(*m);
            t.len += 1;
        }
        t
    }

    /// Destinations already in an array (the index reads groups this way, without allocating).
    pub(crate) fn from_array(
        members: [Option<SubscriberNumber>; MAX_GROUP_MEMBERS],
        len: usize,
    ) -> Self {
        Targets {
            members,
            len: len.min(MAX_GROUP_MEMBERS) as u8,
        }
    }

    /// How many destinations.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first destination (the only one outside GXB).
    pub fn first(&self) -> Option<SubscriberNumber> {
        self.members[0]
    }

    /// The destinations in ringing order.
    pub fn iter(&self) -> impl Iterator<Item = SubscriberNumber> + '_ {
        self.members
            .iter()
            .take(self.len as usize)
            .flatten()
            .copied()
    }
}

impl fmt::Debug for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// How one route entry of a binding behaves: where a caller goes and what it is shown.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Leg {
    /// The destinations; `None` for AXN's A when there is no N.
    pub to: Option<Targets>,
    /// The 700 number shown to the callee (never the caller's real number).
    pub display: UsageNumber,
    /// Whether the call comes from the A side (see [`Direction`]).
    pub from_a_side: bool,
}

/// The entry keys of a binding: (usage number, who calls, whom they first reach), computed one at
/// a time (a few bytes of state, where a chain of arrays would be copied around).
pub(crate) struct EntryKeys<'a> {
    parties: &'a Parties,
    next: usize,
}

impl Iterator for EntryKeys<'_> {
    type Item = (UsageNumber, Party, Option<SubscriberNumber>);

    fn next(&mut self) -> Option<Self::Item> {
        let c = Party::Caller;
        let key = match (self.parties, self.next) {
            (Parties::Axb { a, x, b }, 0) => (*x, c(*a), Some(*b)),
            (Parties::Axb { a, x, b }, 1) => (*x, c(*b), Some(*a)),
            (Parties::Axn { a, x, n }, 0) => (*x, c(*a), *n),
            (Parties::Axn { a, x, .. }, 1) => (*x, Party::Anyone, Some(*a)),
            (Parties::Axyb { a, y, b, .. }, 0) => (*y, c(*a), Some(*b)),
            (Parties::Axyb { a, x, b, .. }, 1) => (*x, c(*b), Some(*a)),
            (Parties::Gxb { group, x, b }, i) if i < group.len() => (*x, c(group[i]), Some(*b)),
            (Parties::Gxb { group, x, b }, i) if i == group.len() => {
                (*x, c(*b), group.first().copied())
            }
            _ => return None,
        };
        self.next += 1;
        Some(key)
    }
}

/// A live binding's status.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BindingStatus {
    /// Routes.
    Active,
    /// Kept but refused (anti-fraud, or on request) until resumed.
    Suspended,
}

/// Why a binding ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EndReason {
    /// Released by the tenant (unbind), or a party replaced by an update.
    Released,
    /// Reached its expiry time.
    Expired,
}

/// The longest order id, consent reference or external reference, in bytes.
pub const MAX_REFERENCE_LEN: usize = 64;

/// A live binding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Binding {
    /// Its identifier.
    pub id: BindingId,
    /// The tenant that made it; its usage numbers are the tenant's own.
    pub tenant: TenantId,
    /// Mode, parties and usage numbers.
    pub parties: Parties,
    /// What it permits.
    pub policy: Policy,
    /// Active or suspended.
    pub status: BindingStatus,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops routing (exclusive: at this instant it no longer routes).
    pub expires_at: Timestamp,
    /// The order it serves (the 700 API's order id).
    pub order_id: String,
    /// The reference of the user's consent to this binding (required).
    pub consent_ref: String,
    /// The platform's own opaque reference.
    pub external_ref: String,
}

impl Binding {
    /// The mode.
    pub fn mode(&self) -> Mode {
        self.parties.mode()
    }

    /// Whether it is past its expiry at `now` (it then never routes, swept or not).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now >= self.expires_at
    }

    /// Every route entry the binding installs: (usage number, who calls, how the call goes).
    pub fn legs(&self) -> Vec<(UsageNumber, Party, Leg)> {
        let leg = |to: Option<Targets>, display, from_a_side| Leg {
            to,
            display,
            from_a_side,
        };
        match &self.parties {
            Parties::Axb { a, x, b } => vec![
                (*x, Party::Caller(*a), leg(Some(Targets::one(*b)), *x, true)),
                (
                    *x,
                    Party::Caller(*b),
                    leg(Some(Targets::one(*a)), *x, false),
                ),
            ],
            Parties::Axn { a, x, n } => vec![
                (*x, Party::Caller(*a), leg(n.map(Targets::one), *x, true)),
                (*x, Party::Anyone, leg(Some(Targets::one(*a)), *x, false)),
            ],
            Parties::Axyb { a, x, y, b } => vec![
                (*y, Party::Caller(*a), leg(Some(Targets::one(*b)), *x, true)),
                (
                    *x,
                    Party::Caller(*b),
                    leg(Some(Targets::one(*a)), *y, false),
                ),
            ],
            Parties::Gxb { group, x, b } => {
                let mut legs: Vec<_> = group
                    .iter()
                    .map(|m| (*x, Party::Caller(*m), leg(Some(Targets::one(*b)), *x, true)))
                    .collect();
                legs.push((
                    *x,
                    Party::Caller(*b),
                    leg(Some(Targets::group(group)), *x, false),
                ));
                legs
            }
        }
    }

    /// The keys of [`Binding::legs`], in the same order, each with its first destination, without
    /// allocating (the write path walks them several times per command).
    pub(crate) fn entry_keys(&self) -> EntryKeys<'_> {
        EntryKeys {
            parties: &self.parties,
            next: 0,
        }
    }

    /// The route entry for `party` on `x`, if the binding has one (without building them all).
    pub fn leg(&self, x: UsageNumber, party: Party) -> Option<Leg> {
        let leg = |to: Option<Targets>, display, from_a_side| {
            Some(Leg {
                to,
                display,
                from_a_side,
            })
        };
        let Party::Caller(c) = party else {
            return match &self.parties {
                Parties::Axn { a, x: bx, .. } if *bx == x => leg(Some(Targets::one(*a)), x, false),
                _ => None,
            };
        };
        match &self.parties {
            Parties::Axb { a, x: bx, b } if *bx == x => {
                if c == *a {
                    leg(Some(Targets::one(*b)), x, true)
                } else if c == *b {
                    leg(Some(Targets::one(*a)), x, false)
                } else {
                    None
                }
            }
            Parties::Axn { a, x: bx, n } if *bx == x && c == *a => {
                leg(n.map(Targets::one), x, true)
            }
            Parties::Axyb { a, x: bx, y, b } => {
                if *y == x && c == *a {
                    leg(Some(Targets::one(*b)), *bx, true)
                } else if *bx == x && c == *b {
                    leg(Some(Targets::one(*a)), *y, false)
                } else {
                    None
                }
            }
            Parties::Gxb { group, x: bx, b } if *bx == x => {
                if c == *b {
                    leg(Some(Targets::group(group)), x, false)
                } else if group.contains(&c) {
                    leg(Some(Targets::one(*b)), x, true)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::ManagementNumber;

    fn s(i: u64) -> SubscriberNumber {
        SubscriberNumber::from_e164(8613800000000 + i).unwrap()
    }

    #[test]
    fn leg_agrees_with_legs_for_every_mode_and_party() {
        let m = ManagementNumber::new(70012340000).unwrap();
        let (x, y) = (m.usage(1).unwrap(), m.usage(2).unwrap());
        let all = [
            Parties::Axb {
                a: s(1),
                x,
                b: s(2),
            },
            Parties::Axn {
                a: s(1),
                x,
                n: Some(s(2)),
            },
            Parties::Axn {
                a: s(1),
                x,
                n: None,
            },
            Parties::Axyb {
                a: s(1),
                x,
                y,
                b: s(2),
            },
            Parties::Gxb {
                group: vec![s(3), s(4), s(5)],
                x,
                b: s(1),
            },
        ];
        for parties in all {
            let b = Binding {
                id: BindingId::from_raw(1),
                tenant: TenantId::from_raw(1),
                parties,
                policy: Policy::default(),
                status: BindingStatus::Active,
                created_at: Timestamp::from_unix_secs(0),
                expires_at: Timestamp::from_unix_secs(10),
                order_id: String::new(),
                consent_ref: "c".into(),
                external_ref: String::new(),
            };
            let legs = b.legs();
            let keys: Vec<_> = legs
                .iter()
                .map(|(x, p, l)| (*x, *p, l.to.and_then(|t| t.first())))
                .collect();
            assert_eq!(b.entry_keys().collect::<Vec<_>>(), keys);
            for number in [x, y, m.usage(3).unwrap()] {
                for party in [Party::Anyone]
                    .into_iter()
                    .chain((0..7).map(|i| Party::Caller(s(i))))
                {
                    let want = legs
                        .iter()
                        .find(|(lx, lp, _)| *lx == number && *lp == party)
                        .map(|(_, _, l)| *l);
                    assert_eq!(
                        b.leg(number, party),
                        want,
                        "{:?} {number} {party:?}",
                        b.parties
                    );
                }
            }
        }
    }
}
