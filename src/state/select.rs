//! Checking a usage number for a new binding, and picking one automatically.
#![forbid(unsafe_code)]

use super::{State, UsageEntry};
use crate::binding::{BindingId, MAX_GROUP_MEMBERS, Parties, Party};
use crate::error::Conflict;
use crate::number::{ManagementNumber, SubscriberNumber, UsageNumber};
use crate::pool::{Exhaustion, NumberChoice, Selection};
use crate::tenant::TenantId;
use crate::time::Timestamp;

/// The entries a binding installs on one of its usage numbers: (who calls, whom they first reach).
pub(super) struct Slot {
    buf: [(Party, Option<SubscriberNumber>); MAX_GROUP_MEMBERS + 1],
    len: usize,
    /// AXN: the number carries nothing else.
    pub exclusive: bool,
}

impl Slot {
    fn new(
        keys: impl IntoIterator<Item = (Party, Option<SubscriberNumber>)>,
        exclusive: bool,
    ) -> Slot {
        let mut slot = Slot {
            buf: [(Party::Anyone, None); MAX_GROUP_MEMBERS + 1],
            len: 0,
            exclusive,
        };
        // Groups are validated to at most `MAX_GROUP_MEMBERS` before slots are made.
        for (at, key) in slot.buf.iter_mut().zip(keys) {
            *at = key;
            slot.len += 1;
        }
        slot
    }

    /// (who calls, whom they first reach), one per entry.
    pub fn keys(&self) -> &[(Party, Option<SubscriberNumber>)] {
        &self.buf[..self.len]
    }
}

/// The slots of a binding's parties: X, then Y for AXYB. Built inline (a bind should not
/// allocate for them).
pub(super) fn slots<X>(parties: &Parties<X>) -> (Slot, Option<Slot>) {
    match parties {
        Parties::Axb { a, b, .. } => (
            Slot::new(
                [(Party::Caller(*a), Some(*b)), (Party::Caller(*b), Some(*a))],
                false,
            ),
            None,
        ),
        Parties::Axn { a, n, .. } => (
            Slot::new([(Party::Caller(*a), *n), (Party::Anyone, Some(*a))], true),
            None,
        ),
        Parties::Axyb { a, b, .. } => (
            Slot::new([(Party::Caller(*b), Some(*a))], false),
            Some(Slot::new([(Party::Caller(*a), Some(*b))], false)),
        ),
        Parties::Gxb { group, b, .. } => {
            let members = group.iter().map(|m| (Party::Caller(*m), Some(*b)));
            let b = (Party::Caller(*b), group.first().copied());
            (Slot::new(members.chain([b]), false), None)
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
        let mut live_entries = 0usize;
        for (p, id) in entry.routes.iter() {
            if Some(*id) == ignore || self.bindings[id].is_expired(now) {
                continue;
            }
            if *p == Party::Anyone {
                return Err(Conflict::HeldExclusively);
            }
            if let (Party::Caller(s), true) = (p, slot.keys().iter().any(|(k, _)| k == p)) {
                return Err(Conflict::PartyAlreadyBound(*s));
            }
            live_entries += 1;
        }
        if slot.exclusive && live_entries > 0 {
            return Err(Conflict::NotFree);
        }
        // Bindings have one or more entries here: count them only when the entries reach the cap.
        if !slot.exclusive
            && live_entries >= usize::from(pair_cap)
            && self.live_bindings(entry, ignore, now) >= usize::from(pair_cap)
        {
            return Err(Conflict::AtCapacity(pair_cap));
        }
        // Quarantines, including those of expired bindings not swept yet.
        let anyone_target = slot
            .keys()
            .iter()
            .find(|(k, _)| *k == Party::Anyone)
            .map(|(_, t)| *t);
        let parties = entry.routes.keys().chain(entry.quarantine.keys());
        for p in parties {
            if entry.routes.get(p).is_some_and(|id| Some(*id) == ignore) {
                continue;
            }
            let Some(q) = self.quarantine_in(entry, x, *p, now) else {
                continue;
            };
            let new_target = match slot.keys().iter().find(|(k, _)| k == p) {
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
        self.usage.first_vacant(m, |x| !avoid.contains(&x))
    }

    /// How many live (unexpired) bindings `x` carries.
    fn live_load(&self, x: UsageNumber, now: Timestamp) -> usize {
        self.usage
            .get(&x)
            .map_or(0, |e| self.live_bindings(e, None, now))
    }

    /// How many live (unexpired) bindings other than `ignore` have entries in `entry`.
    fn live_bindings(
        &self,
        entry: &UsageEntry,
        ignore: Option<BindingId>,
        now: Timestamp,
    ) -> usize {
        let mut ids: Vec<BindingId> = entry
            .routes
            .values()
            .filter(|id| Some(**id) != ignore && !self.bindings[id].is_expired(now))
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
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
                    let count = self.usage.block_len(*m);
                    Some((count, self.first_free(*m, avoid)?))
                })
                .min();
            if let Some((_, x)) = fresh {
                return Ok(x);
            }
            let mut shared: Vec<(usize, UsageNumber)> = tier
                .iter()
                .flat_map(|m| self.usage.in_block(*m))
                .map(|(x, _)| (self.live_load(x, now), x))
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
