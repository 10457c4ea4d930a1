//! Block lists: point-to-point refusals at platform, tenant and binding level, with an optional
//! expiry, made by hand or automatically (probing detection).
//!
//! A [`BlockRule`] is keyed by its caller: it refuses calls from `caller` to `callee` (to anyone
//! when `callee` is `None`), and with `both_ways` also from `callee` to `caller`. Where it applies
//! is its [`BlockScope`]:
//!
//! | scope | applies to |
//! |---|---|
//! | [`BlockScope::Platform`], no callee | every request from the caller, **before anything is looked up**: the caller learns nothing about which numbers are live, which tenant holds them, or whether a binding would have routed |
//! | [`BlockScope::Platform`], a callee | a call the caller makes through any binding that would reach the callee |
//! | [`BlockScope::Tenant`] | a call through a binding of that tenant, to the callee (any callee when `None`) |
//! | [`BlockScope::Binding`] | a call through that binding, to the callee (any callee when `None`) |
//!
//! "Would reach the callee" means: the binding's route for this caller would connect the call
//! (every check of the binding's own policy passed) and the callee is **any** of the route's
//! targets (one of a GXB group's members blocks the group call). A blocked call is refused with
//! [`RejectReason::Blocked`], or [`RejectReason::AutoBlocked`] when every rule refusing it came
//! from probing detection ([`BlockOrigin::Probing`]; those are always platform rules with no
//! callee). A rule whose expiry has come (`now >= expires`) never applies, swept or not.
//!
//! [`BlockList`] is the plain, checked collection the state keeps (with the lookups the state's
//! route uses); [`super::block_table::BlockTable`] is the lock-free table of the same rules that
//! routers read.
#![forbid(unsafe_code)]

use crate::binding::{BindingId, Parties, Targets};
use crate::number::SubscriberNumber;
use crate::route::RejectReason;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The most block rules a state holds (platform, tenant and binding scope together).
pub const MAX_BLOCK_RULES: usize = 65_536;

/// The most block rules one tenant may own (its tenant-scope rules and those on its bindings),
/// so that no tenant can use up the platform's room for blocks.
pub const MAX_TENANT_BLOCK_RULES: usize = 8_192;

/// A block rule's identifier: assigned in order by the state and never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BlockId(u64);

impl BlockId {
    /// The identifier with this raw value (as carried in events and across the C ABI).
    pub const fn from_raw(raw: u64) -> Self {
        BlockId(raw)
    }
    /// The raw value.
    pub const fn raw(self) -> u64 {
        self.0
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block#{}", self.0)
    }
}

/// Where a block rule applies (see the [module docs](self)).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum BlockScope {
    /// Everywhere on the platform (made by the platform operator, or automatically).
    Platform,
    /// On the bindings of one tenant.
    Tenant(TenantId),
    /// On one binding.
    Binding(BindingId),
}

/// Why a block rule exists.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlockOrigin {
    /// Made on request (a complaint, an anti-fraud decision).
    Manual {
        /// Free text (at most [`crate::state::MAX_NOTE_LEN`] bytes).
        note: String,
    },
    /// Made automatically when routers saw the caller probing: dialling `numbers` distinct
    /// numbers within `window_secs` seconds.
    Probing {
        /// How many distinct numbers the caller dialled.
        numbers: u32,
        /// Within how many seconds.
        window_secs: u32,
    },
}

/// One block rule (see the [module docs](self) for where it applies).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlockRule {
    /// Its identifier.
    pub id: BlockId,
    /// Where it applies.
    pub scope: BlockScope,
    /// The tenant it belongs to: `None` for platform rules, the scope's tenant for tenant rules,
    /// the binding's tenant for binding rules (kept so the rule stays the tenant's to lift and
    /// to hand over after the binding ends).
    pub owner: Option<TenantId>,
    /// Whose calls it refuses.
    pub caller: SubscriberNumber,
    /// To whom; `None` = to anyone.
    pub callee: Option<SubscriberNumber>,
    /// Also refuses `callee`'s calls to `caller` (requires a callee).
    pub both_ways: bool,
    /// When it stops applying (exclusive); `None` = until lifted.
    pub expires: Option<Timestamp>,
    /// Why it exists.
    pub origin: BlockOrigin,
    /// When it was made.
    pub created_at: Timestamp,
}

impl BlockRule {
    /// Whether it applies at `now` (its expiry, if any, has not come).
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.expires.is_none_or(|e| now < e)
    }

    /// The directed (caller, callee) pairs it refuses: one, or two for `both_ways`.
    pub fn directions(&self) -> impl Iterator<Item = (SubscriberNumber, Option<SubscriberNumber>)> {
        let reverse = match (self.both_ways, self.callee) {
            (true, Some(callee)) => Some((callee, Some(self.caller))),
            _ => None,
        };
        std::iter::once((self.caller, self.callee)).chain(reverse)
    }

    /// The reason a call it refuses gets.
    pub fn reason(&self) -> RejectReason {
        match self.origin {
            BlockOrigin::Manual { .. } => RejectReason::Blocked,
            BlockOrigin::Probing { .. } => RejectReason::AutoBlocked,
        }
    }

    /// Whether the rule is well formed on its own: a callee other than the caller, `both_ways`
    /// only with a callee, the owner matching the scope, probing rules platform-wide with no
    /// callee, and a note of at most [`crate::state::MAX_NOTE_LEN`] bytes without control
    /// characters.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.callee == Some(self.caller) {
            return Err("a block of a subscriber to itself");
        }
        if self.both_ways && self.callee.is_none() {
            return Err("a both-ways block needs a callee");
        }
        match (self.scope, self.owner) {
            (BlockScope::Platform, None) | (BlockScope::Binding(_), Some(_)) => {}
            (BlockScope::Tenant(t), Some(o)) if t == o => {}
            _ => return Err("the owner does not match the scope"),
        }
        match &self.origin {
            BlockOrigin::Manual { note } => {
                crate::state::check_text("note", note, crate::state::MAX_NOTE_LEN, false)
                    .map_err(|_| "a note too long or with control characters")?;
            }
            BlockOrigin::Probing { .. } => {
                if self.scope != BlockScope::Platform || self.callee.is_some() {
                    return Err("an automatic block is platform-wide with no callee");
                }
            }
        }
        if self.id.raw() == 0 || self.id.raw() == u64::MAX {
            return Err("block id 0 or 2^64 - 1");
        }
        Ok(())
    }

    /// Whether the directed pair (`caller` → `to`) through a binding of `tenant` with id
    /// `binding` is refused by this rule at `now` (any scope; see [`BlockList::route_barred`]).
    fn bars_route(
        &self,
        caller: SubscriberNumber,
        tenant: TenantId,
        binding: BindingId,
        targets: &Targets,
        now: Timestamp,
    ) -> bool {
        let in_scope = match self.scope {
            BlockScope::Platform => true,
            BlockScope::Tenant(t) => t == tenant,
            BlockScope::Binding(b) => b == binding,
        };
        in_scope
            && self.is_active(now)
            && self.directions().any(|(from, to)| {
                from == caller && to.is_none_or(|callee| targets.iter().any(|t| t == callee))
            })
    }
}

/// Which calls of a binding a binding-level block refuses.
///
/// What A and B are, by mode (resolved from the binding's parties when the block is made; the
/// rules then name those subscribers, so a later change of counterpart is not blocked):
///
/// | mode | A | B | rules |
/// |---|---|---|---|
/// | AXB | A | B | one: A → B, B → A, or both ways |
/// | AXYB | A | B | one: A → B, B → A, or both ways |
/// | AXN | A | N (A's default destination) | one; refused if the binding has no N. (To stop someone else reaching A, block that caller with callee A.) |
/// | GXB | each member of G | B | one per member: member → B, B → member, or both ways |
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlockDirection {
    /// A's calls to B only.
    AToB,
    /// B's calls to A only.
    BToA,
    /// Both.
    Both,
}

/// What a block request refuses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlockTarget {
    /// A caller's calls, to one callee or to anyone. Made by the platform operator it is a
    /// platform rule; made by a tenant, a rule on that tenant's bindings.
    Caller {
        /// Whose calls.
        caller: SubscriberNumber,
        /// To whom; `None` = to anyone.
        callee: Option<SubscriberNumber>,
        /// Also the callee's calls to the caller (requires a callee).
        both_ways: bool,
    },
    /// Calls between the parties of one binding, through that binding (see
    /// [`BlockDirection`] for what A and B are).
    Binding {
        /// The binding (live; a tenant may only name its own).
        binding: BindingId,
        /// Which way.
        direction: BlockDirection,
    },
}

/// A request for a block ([`crate::Command::Block`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlockRequest {
    /// Who asks: a tenant, or `None` for the platform operator. A tenant blocks only at its own
    /// scope or on its own bindings.
    pub tenant: Option<TenantId>,
    /// What to refuse.
    pub target: BlockTarget,
    /// When the block ends (must be after now); `None` = until lifted.
    pub expires_at: Option<Timestamp>,
    /// Free text (at most [`crate::state::MAX_NOTE_LEN`] bytes).
    pub note: String,
}

/// Why a block rule was removed ([`crate::Event::BlockLifted`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LiftReason {
    /// Lifted on request, by a tenant or (`None`) the platform operator.
    Lifted {
        /// Who asked.
        by: Option<TenantId>,
    },
    /// Its expiry came (removed by a sweep).
    Expired,
    /// Its binding ended (removed by a sweep: a binding id is never reused, so it could never
    /// apply again).
    BindingEnded,
    /// An automatic block of the same caller that lasts longer replaced it.
    Replaced {
        /// The rule that replaced it.
        by: BlockId,
    },
}

/// The (caller, callee, both ways) pairs a binding-level block makes, by mode (see
/// [`BlockDirection`]); an AXN binding without N has no B and is refused.
pub fn binding_pairs(
    parties: &Parties,
    direction: BlockDirection,
) -> Result<Vec<(SubscriberNumber, SubscriberNumber, bool)>, &'static str> {
    let pair = |a: SubscriberNumber, b: SubscriberNumber| match direction {
        BlockDirection::AToB => (a, b, false),
        BlockDirection::BToA => (b, a, false),
        BlockDirection::Both => (a, b, true),
    };
    Ok(match parties {
        Parties::Axb { a, b, .. } | Parties::Axyb { a, b, .. } => vec![pair(*a, *b)],
        Parties::Axn { a, n: Some(n), .. } => vec![pair(*a, *n)],
        Parties::Axn { n: None, .. } => return Err("an AXN binding without N has no party B"),
        Parties::Gxb { group, b, .. } => group.iter().map(|m| pair(*m, *b)).collect(),
    })
}

/// The block rules of a state, with the lookups routing needs: by directed caller, by expiry,
/// by binding, and the count each tenant owns. Plain data compared by content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockList {
    rules: BTreeMap<BlockId, BlockRule>,
    next: u64,
    /// Rules by each caller they refuse (a both-ways rule under both of its subscribers).
    by_caller: BTreeMap<SubscriberNumber, BTreeSet<BlockId>>,
    expiries: BTreeSet<(Timestamp, BlockId)>,
    by_binding: BTreeMap<BindingId, BTreeSet<BlockId>>,
    owned: BTreeMap<TenantId, usize>,
}

impl Default for BlockList {
    fn default() -> Self {
        BlockList {
            rules: BTreeMap::new(),
            next: 1,
            by_caller: BTreeMap::new(),
            expiries: BTreeSet::new(),
            by_binding: BTreeMap::new(),
            owned: BTreeMap::new(),
        }
    }
}

impl BlockList {
    /// The rule with this id, if it exists (not lifted or swept).
    pub fn get(&self, id: BlockId) -> Option<&BlockRule> {
        self.rules.get(&id)
    }

    /// Every rule, by id.
    pub fn iter(&self) -> impl Iterator<Item = &BlockRule> + '_ {
        self.rules.values()
    }

    /// The rules in force at `now` (their expiry not come), by id: what reports count (e.g.
    /// automatic blocks in force: those with [`BlockOrigin::Probing`]).
    pub fn active(&self, now: Timestamp) -> impl Iterator<Item = &BlockRule> + '_ {
        self.rules.values().filter(move |r| r.is_active(now))
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The id the next rule gets.
    pub fn next_id(&self) -> BlockId {
        BlockId(self.next)
    }

    /// How many rules `tenant` owns.
    pub fn owned_by(&self, tenant: TenantId) -> usize {
        self.owned.get(&tenant).copied().unwrap_or(0)
    }

    /// Ids of rules whose expiry has come by `now`, in expiry order.
    pub fn expired_by(&self, now: Timestamp) -> impl Iterator<Item = BlockId> + '_ {
        self.expiries
            .iter()
            .take_while(move |(t, _)| *t <= now)
            .map(|(_, id)| *id)
    }

    /// Bindings that binding-scope rules name, each with its rules' ids.
    pub fn on_bindings(&self) -> impl Iterator<Item = (BindingId, &BTreeSet<BlockId>)> + '_ {
        self.by_binding.iter().map(|(b, ids)| (*b, ids))
    }

    /// The active rules refusing calls from `caller` (either direction of a both-ways rule).
    pub fn of_caller(&self, caller: SubscriberNumber) -> impl Iterator<Item = &BlockRule> + '_ {
        self.by_caller
            .get(&caller)
            .into_iter()
            .flatten()
            .filter_map(|id| self.rules.get(id))
    }

    /// Adds `rule` if it is the next id and well formed ([`BlockRule::check`]); returns whether
    /// it was added. The state checks the rest (the tenant exists, the limits).
    pub(crate) fn insert(&mut self, rule: BlockRule) -> bool {
        if rule.id.raw() != self.next || rule.check().is_err() {
            return false;
        }
        self.next += 1;
        self.install(rule);
        true
    }

    /// Installs a rule (checked by the caller) and its derived lookups.
    fn install(&mut self, rule: BlockRule) {
        for (from, _) in rule.directions() {
            self.by_caller.entry(from).or_default().insert(rule.id);
        }
        if let Some(e) = rule.expires {
            self.expiries.insert((e, rule.id));
        }
        if let BlockScope::Binding(b) = rule.scope {
            self.by_binding.entry(b).or_default().insert(rule.id);
        }
        if let Some(t) = rule.owner {
            *self.owned.entry(t).or_default() += 1;
        }
        self.rules.insert(rule.id, rule);
    }

    /// Removes a rule and its derived lookups.
    pub(crate) fn remove(&mut self, id: BlockId) -> Option<BlockRule> {
        let rule = self.rules.remove(&id)?;
        for (from, _) in rule.directions() {
            if let Some(ids) = self.by_caller.get_mut(&from) {
                ids.remove(&id);
                if ids.is_empty() {
                    self.by_caller.remove(&from);
                }
            }
        }
        if let Some(e) = rule.expires {
            self.expiries.remove(&(e, id));
        }
        if let BlockScope::Binding(b) = rule.scope
            && let Some(ids) = self.by_binding.get_mut(&b)
        {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_binding.remove(&b);
            }
        }
        if let Some(t) = rule.owner
            && let Some(n) = self.owned.get_mut(&t)
        {
            *n -= 1;
            if *n == 0 {
                self.owned.remove(&t);
            }
        }
        Some(rule)
    }

    /// Restores rules from an image: ids increasing and below `next`, each well formed.
    pub(crate) fn restore(rules: Vec<BlockRule>, next: u64) -> Result<BlockList, &'static str> {
        if next == 0 {
            return Err("next ids must be positive");
        }
        let mut list = BlockList::default();
        let mut last = 0;
        for rule in rules {
            if rule.id.raw() <= last || rule.id.raw() >= next {
                return Err("block ids out of order or past the next block id");
            }
            last = rule.id.raw();
            rule.check()?;
            list.install(rule);
        }
        if list.rules.len() > MAX_BLOCK_RULES
            || list.owned.values().any(|n| *n > MAX_TENANT_BLOCK_RULES)
        {
            return Err("more block rules than a state holds");
        }
        list.next = next;
        Ok(list)
    }

    /// Why `caller` is refused before anything is looked up: an active platform rule with no
    /// callee. [`RejectReason::Blocked`] if any such rule was made by hand, else
    /// [`RejectReason::AutoBlocked`].
    pub fn caller_barred(&self, caller: SubscriberNumber, now: Timestamp) -> Option<RejectReason> {
        if self.by_caller.is_empty() {
            return None;
        }
        let mut reason = None;
        for r in self.of_caller(caller) {
            if r.scope == BlockScope::Platform
                && r.caller == caller
                && r.callee.is_none()
                && r.is_active(now)
            {
                match r.reason() {
                    RejectReason::Blocked => return Some(RejectReason::Blocked),
                    other => reason = Some(other),
                }
            }
        }
        reason
    }

    /// Whether a call from `caller` that binding `binding` of `tenant` would route to `targets`
    /// is refused at `now`: an active rule of the platform, of `tenant` or of `binding` whose
    /// directed pair is (`caller`, any of `targets`) or (`caller`, anyone).
    pub fn route_barred(
        &self,
        caller: SubscriberNumber,
        tenant: TenantId,
        binding: BindingId,
        targets: &Targets,
        now: Timestamp,
    ) -> bool {
        !self.by_caller.is_empty()
            && self
                .of_caller(caller)
                .any(|r| r.bars_route(caller, tenant, binding, targets, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::UsageNumber;

    fn s(i: u64) -> SubscriberNumber {
        SubscriberNumber::from_e164(8613800000000 + i).unwrap()
    }

    fn rule(id: u64, scope: BlockScope, caller: u64, callee: Option<u64>) -> BlockRule {
        let owner = match scope {
            BlockScope::Platform => None,
            BlockScope::Tenant(t) => Some(t),
            BlockScope::Binding(_) => Some(TenantId::from_raw(1)),
        };
        BlockRule {
            id: BlockId::from_raw(id),
            scope,
            owner,
            caller: s(caller),
            callee: callee.map(s),
            both_ways: false,
            expires: None,
            origin: BlockOrigin::Manual {
                note: String::new(),
            },
            created_at: Timestamp::from_unix_secs(0),
        }
    }

    #[test]
    fn a_rule_must_be_well_formed() {
        let ok = rule(1, BlockScope::Platform, 1, Some(2));
        assert_eq!(ok.check(), Ok(()));
        let to_self = rule(1, BlockScope::Platform, 1, Some(1));
        assert!(to_self.check().is_err());
        let both_to_anyone = BlockRule {
            both_ways: true,
            ..rule(1, BlockScope::Platform, 1, None)
        };
        assert!(both_to_anyone.check().is_err());
        let wrong_owner = BlockRule {
            owner: Some(TenantId::from_raw(2)),
            ..rule(1, BlockScope::Tenant(TenantId::from_raw(1)), 1, None)
        };
        assert!(wrong_owner.check().is_err());
        let probing_on_tenant = BlockRule {
            origin: BlockOrigin::Probing {
                numbers: 5,
                window_secs: 60,
            },
            ..rule(1, BlockScope::Tenant(TenantId::from_raw(1)), 1, None)
        };
        assert!(probing_on_tenant.check().is_err());
        assert!(rule(0, BlockScope::Platform, 1, None).check().is_err());
    }

    #[test]
    fn insert_takes_ids_in_order_and_remove_clears_every_lookup() {
        let mut list = BlockList::default();
        assert!(!list.insert(rule(2, BlockScope::Platform, 1, None)));
        assert!(list.insert(rule(1, BlockScope::Platform, 1, None)));
        let mut both = rule(2, BlockScope::Binding(BindingId::from_raw(7)), 3, Some(4));
        both.both_ways = true;
        both.expires = Some(Timestamp::from_unix_secs(100));
        assert!(list.insert(both));
        assert_eq!(list.of_caller(s(4)).count(), 1);
        assert_eq!(list.owned_by(TenantId::from_raw(1)), 1);
        assert_eq!(
            list.expired_by(Timestamp::from_unix_secs(100))
                .collect::<Vec<_>>(),
            [BlockId::from_raw(2)]
        );
        assert_eq!(list.active(Timestamp::from_unix_secs(99)).count(), 2);
        assert_eq!(list.active(Timestamp::from_unix_secs(100)).count(), 1);
        list.remove(BlockId::from_raw(2)).unwrap();
        list.remove(BlockId::from_raw(1)).unwrap();
        assert_eq!(
            list,
            BlockList {
                next: 3,
                ..BlockList::default()
            }
        );
    }

    #[test]
    fn manual_blocks_take_precedence_over_automatic_ones() {
        let now = Timestamp::from_unix_secs(10);
        let mut list = BlockList::default();
        let mut auto = rule(1, BlockScope::Platform, 1, None);
        auto.origin = BlockOrigin::Probing {
            numbers: 20,
            window_secs: 60,
        };
        list.insert(auto);
        assert_eq!(
            list.caller_barred(s(1), now),
            Some(RejectReason::AutoBlocked)
        );
        list.insert(rule(2, BlockScope::Platform, 1, None));
        assert_eq!(list.caller_barred(s(1), now), Some(RejectReason::Blocked));
        assert_eq!(list.caller_barred(s(2), now), None);
    }

    #[test]
    fn route_rules_match_scope_direction_and_any_target() {
        let now = Timestamp::from_unix_secs(10);
        let (t1, t2) = (TenantId::from_raw(1), TenantId::from_raw(2));
        let (b1, b2) = (BindingId::from_raw(1), BindingId::from_raw(2));
        let mut list = BlockList::default();
        list.insert(rule(1, BlockScope::Tenant(t1), 1, Some(2)));
        let mut both = rule(2, BlockScope::Binding(b2), 5, Some(6));
        both.both_ways = true;
        list.insert(both);
        let group = Targets::group(&[s(9), s(2)]);
        assert!(list.route_barred(s(1), t1, b1, &group, now));
        assert!(!list.route_barred(s(1), t2, b1, &group, now));
        assert!(!list.route_barred(s(2), t1, b1, &Targets::one(s(1)), now));
        assert!(list.route_barred(s(6), t2, b2, &Targets::one(s(5)), now));
        assert!(list.route_barred(s(5), t2, b2, &Targets::one(s(6)), now));
        assert!(!list.route_barred(s(5), t2, b1, &Targets::one(s(6)), now));
    }

    #[test]
    fn binding_pairs_follow_the_mode() {
        let x = UsageNumber::MIN;
        let axn = Parties::Axn {
            a: s(1),
            x,
            n: None,
        };
        assert!(binding_pairs(&axn, BlockDirection::Both).is_err());
        let gxb = Parties::Gxb {
            group: vec![s(2), s(3)],
            x,
            b: s(1),
        };
        assert_eq!(
            binding_pairs(&gxb, BlockDirection::BToA).unwrap(),
            [(s(1), s(2), false), (s(1), s(3), false)]
        );
        let axyb = Parties::Axyb {
            a: s(1),
            x,
            y: x,
            b: s(2),
        };
        assert_eq!(
            binding_pairs(&axyb, BlockDirection::Both).unwrap(),
            [(s(1), s(2), true)]
        );
    }
}
