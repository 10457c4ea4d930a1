//! Checking a usage number for a new binding, and picking one automatically.
#![forbid(unsafe_code)]

use super::State;
use crate::binding::{BindingId, Parties, Party};
use crate::error::Conflict;
use crate::number::{ManagementNumber, SubscriberNumber, UsageNumber};
use crate::pool::{Exhaustion, NumberChoice, Selection};
use crate::tenant::TenantId;
use crate::time::Timestamp;
use std::collections::BTreeSet;

/// The entries a binding installs on one of its usage numbers: (who calls, whom they first reach).
pub(super) struct Slot {
    pub keys: Vec<(Party, Option<SubscriberNumber>)>,
    /// AXN: the number carries nothing else.
    pub exclusive: bool,
}

/// The slots of a binding's parties: X, then Y for AXYB.
pub(super) fn slots<X>(parties: &Parties<X>) -> Vec<Slot> {
    let keyed = |keys| Slot {
        keys,
        exclusive: false,
    };
    match parties {
        Parties::Axb { a, b, .. } => vec![keyed(vec![
            (Party::Caller(*a), Some(*b)),
            (Party::Caller(*b), Some(*a)),
        ])],
        Parties::Axn { a, n, .. } => vec![Slot {
            keys: vec![(Party::Caller(*a), *n), (Party::Anyone, Some(*a))],
            exclusive: true,
        }],
        Parties::Axyb { a, b, .. } => vec![
            keyed(vec![(Party::Caller(*b), Some(*a))]),
            keyed(vec![(Party::Caller(*a), Some(*b))]),
        ],
        Parties::Gxb { group, b, .. } => {
            let mut keys: Vec<_> = group
                .iter()
                .map(|m| (Party::Caller(*m), Some(*b)))
                .collect();
            keys.push((Party::Caller(*b), group.first().copied()));
            vec![keyed(keys)]
        }
    }
}

impl State {
    /// Whether usage number `x` can carry `slot` for a binding of a tenant with `pair_cap` at
    /// `now`, ignoring the entries of binding `ignore` (the binding being updated).
    ///
    /// The rules: a party never sees the same number in two live bindings; an exclusive binding
    /// is alone on its number; a number carries at most `pair_cap` bindings; and no party still
    /// in quarantine on the number would reach anyone other than whom it reached before.
    pub(super) fn check_number(
        &self,
        x: UsageNumber,
        slot: &Slot,
        pair_cap: u16,
        ignore: Option<BindingId>,
        now: Timestamp,
    ) -> Result<(), Conflict> {
        let Some(entry) = self.usage.get(&x) else {
            return Ok(());
        };
        let mut live = BTreeSet::new();
        for (p, id) in entry.routes.iter() {
            if Some(*id) == ignore || self.bindings[id].is_expired(now) {
                continue;
            }
            if *p == Party::Anyone {
                return Err(Conflict::HeldExclusively);
            }
            if let (Party::Caller(s), true) = (p, slot.keys.iter().any(|(k, _)| k == p)) {
                return Err(Conflict::PartyAlreadyBound(*s));
            }
            live.insert(*id);
        }
        if slot.exclusive && !live.is_empty() {
            return Err(Conflict::NotFree);
        }
        if !slot.exclusive && live.len() >= usize::from(pair_cap) {
            return Err(Conflict::AtCapacity(pair_cap));
        }
        // Quarantines, including those of expired bindings not swept yet.
        let anyone_target = slot
            .keys
            .iter()
            .find(|(k, _)| *k == Party::Anyone)
            .map(|(_, t)| *t);
        let parties = entry.routes.keys().chain(entry.quarantine.keys());
        for p in parties {
            if entry.routes.get(p).is_some_and(|id| Some(*id) == ignore) {
                continue;
            }
            let Some(q) = self.quarantine_at(x, *p, now) else {
                continue;
            };
            let new_target = match slot.keys.iter().find(|(k, _)| k == p) {
                Some((_, t)) => Some(*t),
                // A quarantined caller without an entry of its own would reach the exclusive
                // binding's A; after an AXN, everyone would reach the new binding's parties.
                None if *p == Party::Anyone => None,
                None => anyone_target,
            };
            let conflict = match new_target {
                Some(t) => t != q.reached,
                None => *p == Party::Anyone,
            };
            if conflict {
                return Err(Conflict::Quarantined { until: q.until });
            }
        }
        Ok(())
    }

    /// The lowest usage number under `m` that carries nothing and is not in `avoid`.
    fn first_free(&self, m: ManagementNumber, avoid: &[UsageNumber]) -> Option<UsageNumber> {
        let mut used = self
            .usage
            .range(m.first_usage()..=m.last_usage())
            .map(|(x, _)| *x)
            .peekable();
        m.usage_numbers().find(|x| {
            while used.next_if(|u| u < x).is_some() {}
            used.peek() != Some(x) && !avoid.contains(x)
        })
    }

    /// How many live (unexpired) bindings `x` carries.
    fn live_load(&self, x: UsageNumber, now: Timestamp) -> usize {
        self.usage.get(&x).map_or(0, |e| {
            e.routes
                .values()
                .filter(|id| !self.bindings[id].is_expired(now))
                .collect::<BTreeSet<_>>()
                .len()
        })
    }

    /// Resolves a number choice for `slot`: a given number is checked (it must be the tenant's
    /// own), an automatic one is picked. `avoid` holds numbers already taken by the same binding.
    pub(super) fn choose_number(
        &self,
        tenant: TenantId,
        pair_cap: u16,
        choice: &NumberChoice,
        slot: &Slot,
        avoid: &[UsageNumber],
        now: Timestamp,
    ) -> Result<UsageNumber, crate::Error> {
        match choice {
            NumberChoice::Given(x) => {
                self.pool.check_held(x.management(), tenant)?;
                if avoid.contains(x) {
                    return Err(crate::Error::InvalidParties("X and Y must differ"));
                }
                self.check_number(*x, slot, pair_cap, None, now)
                    .map_err(|conflict| crate::Error::NumberConflict {
                        number: *x,
                        conflict,
                    })?;
                Ok(*x)
            }
            NumberChoice::Auto(sel) => Ok(self.select(tenant, pair_cap, sel, slot, avoid, now)?),
        }
    }

    /// Picks a usage number: the sticky party's earlier number, then a fresh number under the
    /// least-used matching management number, then shared numbers from the least loaded up.
    fn select(
        &self,
        tenant: TenantId,
        pair_cap: u16,
        sel: &Selection,
        slot: &Slot,
        avoid: &[UsageNumber],
        now: Timestamp,
    ) -> Result<UsageNumber, Exhaustion> {
        let held: Vec<ManagementNumber> = self.pool.held_by(tenant).collect();
        if held.is_empty() {
            return Err(Exhaustion::NoNumbers);
        }
        let tagged = |m: &ManagementNumber| {
            sel.tag
                .as_ref()
                .is_none_or(|t| self.pool.tags(*m).contains(&t.tag))
        };
        let matching: Vec<_> = held.iter().copied().filter(tagged).collect();
        let mut tiers = vec![matching];
        match &sel.tag {
            Some(t) if t.strict && tiers[0].is_empty() => return Err(Exhaustion::TagUnmatched),
            Some(t) if !t.strict => {
                tiers.push(held.iter().copied().filter(|m| !tagged(m)).collect())
            }
            _ => {}
        }
        let (mut conflicts, mut quarantined) = (0usize, 0usize);
        let mut try_x = |x: UsageNumber| -> bool {
            if avoid.contains(&x) {
                return false;
            }
            match self.check_number(x, slot, pair_cap, None, now) {
                Ok(()) => true,
                Err(Conflict::Quarantined { .. }) => {
                    quarantined += 1;
                    false
                }
                Err(_) => {
                    conflicts += 1;
                    false
                }
            }
        };
        for tier in &tiers {
            if let Some(p) = sel.sticky_for {
                let earlier = self
                    .party_numbers
                    .range((p, UsageNumber::MIN)..=(p, UsageNumber::MAX))
                    .map(|(_, x)| x);
                for x in earlier.filter(|x| tier.contains(&x.management())) {
                    if try_x(*x) {
                        return Ok(*x);
                    }
                }
            }
            // Fresh numbers carry nothing, so they always fit; take one under the management
            // number with the fewest numbers in use, to spread load.
            let fresh = tier
                .iter()
                .filter_map(|m| {
                    let count = self.usage.range(m.first_usage()..=m.last_usage()).count();
                    Some((count, self.first_free(*m, avoid)?))
                })
                .min();
            if let Some((_, x)) = fresh {
                return Ok(x);
            }
            let mut shared: Vec<(usize, UsageNumber)> = tier
                .iter()
                .flat_map(|m| self.usage.range(m.first_usage()..=m.last_usage()))
                .map(|(x, _)| (self.live_load(*x, now), *x))
                .collect();
            shared.sort_unstable();
            for (_, x) in shared {
                if try_x(x) {
                    return Ok(x);
                }
            }
        }
        Err(if quarantined > 0 && conflicts == 0 {
            Exhaustion::AllCandidatesQuarantined
        } else {
            Exhaustion::AllCandidatesConflict
        })
    }
}
