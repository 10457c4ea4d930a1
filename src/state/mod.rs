//! The state: the single source of truth for the writer and for replicas.
//!
//! It changes only by [`State::apply`]ing [`Event`]s; commands are turned into events by
//! [`State::plan`] (validation, no change) and [`State::execute`] (plan, then apply). Everything is
//! plain data compared by content, so two states built from the same events compare equal. The
//! large tables (bindings, usage numbers) are hash maps in blocks: one probe per lookup, iteration
//! still in key order.
#![forbid(unsafe_code)]

mod blocking;
mod blocks;
mod due;
mod entry_map;
mod image;
mod plan;
mod select;

pub use entry_map::EntryMap;
pub use image::{ImageError, ImageRef, QuarantinedEntry, RestoreError, StateImage};
pub use plan::MAX_NOTE_LEN;
pub(crate) use plan::{check_parties, check_policy, check_text};

use crate::binding::{Binding, BindingId, BindingStatus, EndReason, Party};
use crate::config::Config;
use crate::control::block::{
    BlockId, BlockList, BlockRule, MAX_BLOCK_RULES, MAX_TENANT_BLOCK_RULES,
};
use crate::control::real_user::RealUsers;
use crate::event::{Event, Imported};
use crate::number::{SubscriberNumber, UsageNumber};
use crate::pool::NumberPool;
use crate::tenant::{Tenant, TenantId};
use crate::time::Timestamp;
use blocks::BlockMap;
use due::DueSets;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A quarantined route entry: a party of an ended binding (or, after an AXN, everyone) that is
/// told "service ended" on this usage number instead of reaching its next user.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quarantine {
    /// End of the quarantine.
    pub until: Timestamp,
    /// The binding that left it.
    pub binding: BindingId,
    /// Whom the party reached through this number (the first destination), so a new binding
    /// that would take it to the same party again (the same pair re-binding) is allowed.
    pub reached: Option<SubscriberNumber>,
    /// How that binding ended.
    pub ended: EndReason,
}

/// What one usage number carries: route entries of live bindings, and quarantines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageEntry {
    /// Live bindings' entries; [`Party::Anyone`] marks an exclusive (AXN) binding.
    pub routes: EntryMap<BindingId>,
    /// Quarantined entries.
    pub quarantine: EntryMap<Quarantine>,
}

impl UsageEntry {
    fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.quarantine.is_empty()
    }
}

/// The whole state of a platform's 700 numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    config: Config,
    tenants: BTreeMap<TenantId, Tenant>,
    next_tenant: u32,
    pool: NumberPool,
    bindings: BlockMap<BindingId, Binding>,
    next_binding: u64,
    usage: BlockMap<UsageNumber, UsageEntry, blocks::Dense<UsageEntry>>,
    // Derived indexes, kept in step by `apply`.
    /// Binding ids by expiry (sequential ids hash to neighbouring buckets).
    expiries: DueSets<BindingId, blocks::Nearby>,
    /// Quarantined route entries by the end of their quarantine.
    quarantine_ends: DueSets<(UsageNumber, Party)>,
    /// (party, usage number) for every caller entry, live or quarantined (for sticky selection).
    party_numbers: BTreeSet<(SubscriberNumber, UsageNumber)>,
    /// Real-user report requirements and reports.
    real_users: RealUsers,
    /// Block rules (with their own derived lookups).
    block_list: BlockList,
}

impl State {
    /// An empty state with this configuration.
    pub fn new(config: Config) -> Self {
        State {
            config,
            tenants: BTreeMap::new(),
            next_tenant: 1,
            pool: NumberPool::default(),
            bindings: BlockMap::default(),
            next_binding: 1,
            usage: BlockMap::default(),
            expiries: DueSets::default(),
            quarantine_ends: DueSets::default(),
            party_numbers: BTreeSet::new(),
            real_users: RealUsers::default(),
            block_list: BlockList::default(),
        }
    }

    /// A state rebuilt from a history of events.
    pub fn replay<'a>(config: Config, events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut state = State::new(config);
        for e in events {
            state.apply(e);
        }
        state
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A tenant.
    pub fn tenant(&self, id: TenantId) -> Option<&Tenant> {
        self.tenants.get(&id)
    }

    /// All tenants, by id.
    pub fn tenants(&self) -> impl Iterator<Item = &Tenant> + '_ {
        self.tenants.values()
    }

    /// Which tenants require real-user reports, and the reports made.
    pub fn real_users(&self) -> &RealUsers {
        &self.real_users
    }

    /// Whether `tenant` requires real-user reports.
    pub fn requires_real_user(&self, tenant: TenantId) -> bool {
        self.real_users.requires(tenant)
    }

    /// Whether `tenant` has reported `subscriber`'s real identity.
    pub fn is_real_user_reported(&self, tenant: TenantId, subscriber: SubscriberNumber) -> bool {
        self.real_users.is_reported(tenant, subscriber)
    }

    /// Whether calls and SMS on `binding` are refused for want of a real-user report (its tenant
    /// requires reports and has not reported its subscriber A).
    pub fn lacks_real_user_report(&self, binding: &Binding) -> bool {
        self.real_users
            .refuses(binding.tenant, binding.parties.subscriber_a())
    }

    /// The live bindings (in the state, possibly past expiry) whose subscriber A is
    /// `subscriber`, of `tenant`: found through the subscriber's route entries, without
    /// looking at other bindings.
    pub fn bindings_of_subscriber_a(
        &self,
        tenant: TenantId,
        subscriber: SubscriberNumber,
    ) -> impl Iterator<Item = &Binding> + '_ {
        let lowest = UsageNumber::MIN;
        self.party_numbers
            .range((subscriber, lowest)..)
            .take_while(move |(s, _)| *s == subscriber)
            .filter_map(move |(_, x)| {
                let id = self.usage.get(x)?.routes.get(&Party::Caller(subscriber))?;
                let b = self.bindings.get(id)?;
                (b.tenant == tenant && b.parties.subscriber_a() == subscriber).then_some(b)
            })
    }

    /// The number resources.
    pub fn pool(&self) -> &NumberPool {
        &self.pool
    }

    /// A live binding (active or suspended; possibly past its expiry but not yet swept).
    pub fn binding(&self, id: BindingId) -> Option<&Binding> {
        self.bindings.get(&id)
    }

    /// All bindings not yet released or swept, by id.
    pub fn bindings(&self) -> impl Iterator<Item = &Binding> + '_ {
        self.bindings.values()
    }

    /// What a usage number carries, if anything.
    pub fn usage_entry(&self, x: UsageNumber) -> Option<&UsageEntry> {
        self.usage.get(&x)
    }

    /// Every usage number that carries entries or quarantines, in order.
    pub fn usage_entries(&self) -> impl Iterator<Item = (UsageNumber, &UsageEntry)> + '_ {
        self.usage.iter()
    }

    /// The usage numbers after `x` (all of them for `None`) that carry entries or quarantines,
    /// in order: lets the index's successor be filled a slice at a time.
    pub fn usage_entries_after(
        &self,
        x: Option<UsageNumber>,
    ) -> impl Iterator<Item = (UsageNumber, &UsageEntry)> + '_ {
        self.usage.iter_after(x)
    }

    /// The id the next binding will get.
    pub fn next_binding_id(&self) -> BindingId {
        BindingId::from_raw(self.next_binding)
    }

    /// Every block rule not lifted or swept, by id (expired ones until a sweep removes them).
    pub fn blocks(&self) -> impl Iterator<Item = &BlockRule> + '_ {
        self.block_list.iter()
    }

    /// A block rule, if it exists (not lifted or swept).
    pub fn block(&self, id: BlockId) -> Option<&BlockRule> {
        self.block_list.get(id)
    }

    /// The block rules with their lookups (what the state's route consults).
    pub fn block_list(&self) -> &BlockList {
        &self.block_list
    }

    /// The id the next block rule will get.
    pub fn next_block_id(&self) -> BlockId {
        self.block_list.next_id()
    }

    /// The id the next tenant will get.
    pub fn next_tenant_id(&self) -> TenantId {
        TenantId::from_raw(self.next_tenant)
    }

    /// [`State::apply`] for an event the caller owns (replaying a journal): a new binding is
    /// moved in rather than copied.
    pub fn apply_owned(&mut self, event: Event) {
        match event {
            Event::Bound { binding } => {
                self.next_binding = self.next_binding.max(binding.id.raw().saturating_add(1));
                self.install(binding);
            }
            other => self.apply(&other),
        }
    }

    /// Applies one event. Events come from [`State::plan`] on an equal state (or from a journal
    /// of them), so they are valid here; an event that does not fit (a replica fed out of order)
    /// is ignored rather than corrupting the state.
    pub fn apply(&mut self, event: &Event) {
        match event {
            // Tenant ids are handed out in order (the index keeps a word per id): one out of
            // order (forged, or from a broken transport) is ignored.
            Event::TenantRegistered { tenant } => {
                if tenant.id.raw() == self.next_tenant {
                    self.next_tenant += 1;
                    self.tenants.insert(tenant.id, tenant.clone());
                }
            }
            Event::TenantStatusChanged { tenant, status, .. } => {
                if let Some(t) = self.tenants.get_mut(tenant) {
                    t.status = *status;
                }
            }
            Event::ViolationRecorded { tenant, violation } => {
                if let Some(t) = self.tenants.get_mut(tenant) {
                    t.credit_record.push(violation.clone());
                }
            }
            // A block the rules refuse (forged, or from a broken transport) is not licensed: a
            // block of billions of numbers would make the index walk them all.
            Event::BlockLicensed { block, .. } => {
                if self.pool.check_license(block).is_ok() {
                    self.pool.license(*block);
                }
            }
            Event::NumberAssigned {
                number,
                tenant,
                tags,
                at,
            } => self.pool.assign(*number, *tenant, tags.clone(), *at),
            Event::NumberReclaimed {
                number,
                quarantine_until,
                ..
            } => self.pool.reclaim(*number, *quarantine_until),
            Event::Bound { binding } => {
                self.next_binding = self.next_binding.max(binding.id.raw().saturating_add(1));
                self.install(binding.clone());
            }
            Event::Updated {
                binding,
                at,
                quarantine_until,
            } => {
                if let Some(old) = self.bindings.remove(&binding.id) {
                    let kept = |x, p| binding.entry_keys().any(|(nx, np, _)| (nx, np) == (x, p));
                    for (x, p, reached) in old.entry_keys() {
                        if !kept(x, p) {
                            self.end_entry(
                                x,
                                p,
                                old.id,
                                reached,
                                *at,
                                *quarantine_until,
                                EndReason::Released,
                            );
                        }
                    }
                    self.expiries.remove(old.expires_at, &old.id);
                    self.install(binding.clone());
                }
            }
            Event::Suspended { binding, .. } => self.set_status(*binding, BindingStatus::Suspended),
            Event::Resumed { binding, .. } => self.set_status(*binding, BindingStatus::Active),
            Event::Released {
                binding,
                at,
                quarantine_until,
            } => self.end_binding(*binding, *at, *quarantine_until, EndReason::Released),
            Event::Expired {
                binding,
                at,
                quarantine_until,
            } => self.end_binding(*binding, *at, *quarantine_until, EndReason::Expired),
            Event::QuarantinesPruned { at } => self.prune(*at),
            Event::Imported(Imported::EntryQuarantine(q)) => self.import_quarantine(q),
            Event::Imported(Imported::NumberQuarantine {
                number,
                former,
                until,
            }) => self.pool.quarantine(*number, *former, *until),
            Event::RealUserRequirementSet {
                tenant, required, ..
            } => {
                if self.tenants.contains_key(tenant) {
                    self.real_users.set_required(*tenant, *required);
                }
            }
            Event::RealUserReported {
                tenant,
                subscriber,
                reported,
                ..
            } => {
                if self.tenants.contains_key(tenant) {
                    self.real_users
                        .set_reported(*tenant, *subscriber, *reported);
                }
            }
            // A rule out of order, malformed, of an unknown tenant or past the limits (forged,
            // or from a broken transport) is ignored.
            Event::Blocked { rule } => {
                let fits = match rule.owner {
                    None => true,
                    Some(t) => {
                        self.tenants.contains_key(&t)
                            && self.block_list.owned_by(t) < MAX_TENANT_BLOCK_RULES
                    }
                };
                if fits && self.block_list.len() < MAX_BLOCK_RULES {
                    self.block_list.insert(rule.clone());
                }
            }
            Event::BlockLifted { block, .. } => {
                self.block_list.remove(*block);
            }
        }
    }

    /// Installs a quarantined route entry carried over from another registry, unless the entry
    /// is in use (the planner refuses that; a replica fed out of order ignores it). The binding
    /// that left it keeps its id reserved.
    fn import_quarantine(&mut self, q: &QuarantinedEntry) {
        let entry = self.usage.get_or_default(q.number);
        if entry.routes.contains_key(&q.party) || entry.quarantine.contains_key(&q.party) {
            return;
        }
        entry.quarantine.insert(q.party, q.quarantine);
        self.quarantine_ends
            .insert(q.quarantine.until, (q.number, q.party));
        self.note_party(q.number, q.party);
        let id = q.quarantine.binding.raw();
        self.next_binding = self.next_binding.max(id.saturating_add(1));
    }

    fn set_status(&mut self, id: BindingId, status: BindingStatus) {
        if let Some(b) = self.bindings.get_mut(&id) {
            b.status = status;
        }
    }

    /// Installs a binding's entries (replacing any quarantine of the same entries, which the
    /// planner only allows when the party reaches the same destination again).
    fn install(&mut self, binding: Binding) {
        // A number's entries are adjacent: look each number up once.
        {
            let State {
                usage,
                quarantine_ends,
                party_numbers,
                ..
            } = self;
            let mut keys = binding.entry_keys().peekable();
            while let Some((x, first, _)) = keys.next() {
                let entry = usage.get_or_default(x);
                let mut p = first;
                loop {
                    let had_route = entry.routes.insert(p, binding.id).is_some();
                    let had_quarantine = match entry.quarantine.remove(&p) {
                        Some(q) => {
                            quarantine_ends.remove(q.until, &(x, p));
                            true
                        }
                        None => false,
                    };
                    // `party_numbers` already lists the entry if it existed (live or quarantined).
                    if let (Party::Caller(s), false) = (p, had_route || had_quarantine) {
                        party_numbers.insert((s, x));
                    }
                    match keys.next_if(|(next, _, _)| *next == x) {
                        Some((_, next, _)) => p = next,
                        None => break,
                    }
                }
            }
        }
        self.expiries.insert(binding.expires_at, binding.id);
        self.bindings.insert(binding.id, binding);
    }

    fn end_binding(&mut self, id: BindingId, at: Timestamp, until: Timestamp, why: EndReason) {
        let Some(binding) = self.bindings.remove(&id) else {
            return;
        };
        self.expiries.remove(binding.expires_at, &id);
        for (x, p, reached) in binding.entry_keys() {
            self.end_entry(x, p, id, reached, at, until, why);
        }
    }

    /// Removes one route entry of `binding` and, unless the quarantine is already over,
    /// quarantines it.
    #[allow(clippy::too_many_arguments)]
    fn end_entry(
        &mut self,
        x: UsageNumber,
        p: Party,
        binding: BindingId,
        reached: Option<SubscriberNumber>,
        at: Timestamp,
        until: Timestamp,
        ended: EndReason,
    ) {
        let Some(entry) = self.usage.get_mut(&x) else {
            return;
        };
        if entry.routes.get(&p) != Some(&binding) {
            return;
        }
        entry.routes.remove(&p);
        if until > at {
            let q = Quarantine {
                until,
                binding,
                reached,
                ended,
            };
            // A party has a route or a quarantine on a number, never both.
            if let Some(old) = entry.quarantine.insert(p, q) {
                self.quarantine_ends.remove(old.until, &(x, p));
            }
            self.quarantine_ends.insert(until, (x, p));
        } else {
            if entry.is_empty() {
                self.usage.remove(&x);
            }
            // The entry is gone (it was listed while it routed).
            if let Party::Caller(s) = p {
                self.party_numbers.remove(&(s, x));
            }
        }
    }

    /// Keeps `party_numbers` (used to prefer a party's earlier number) in step with entry `(x, p)`.
    fn note_party(&mut self, x: UsageNumber, p: Party) {
        let Party::Caller(s) = p else { return };
        let present = self
            .usage
            .get(&x)
            .is_some_and(|e| e.routes.contains_key(&p) || e.quarantine.contains_key(&p));
        if present {
            self.party_numbers.insert((s, x));
        } else {
            self.party_numbers.remove(&(s, x));
        }
    }

    fn prune(&mut self, at: Timestamp) {
        self.pool.prune(at);
        for (_, (x, p)) in self.quarantine_ends.take_due(at) {
            if let Some(entry) = self.usage.get_mut(&x) {
                entry.quarantine.remove(&p);
                if entry.is_empty() {
                    self.usage.remove(&x);
                }
            }
            self.note_party(x, p);
        }
    }

    /// The route entries whose quarantine ends by `at` (what a prune at `at` removes).
    pub fn quarantines_ending_by(&self, at: Timestamp) -> Vec<(UsageNumber, Party)> {
        self.quarantine_ends
            .due_by(at)
            .into_iter()
            .map(|(_, key)| key)
            .collect()
    }

    /// Whether any quarantine (route entry or management number) has ended by `now`.
    fn has_prunable(&self, now: Timestamp) -> bool {
        self.quarantine_ends
            .first_time()
            .is_some_and(|until| until <= now)
            || self.pool.holdings().any(|(_, h)| {
                matches!(h, crate::pool::Holding::Quarantined { until, .. } if *until <= now)
            })
    }

    /// The active quarantine of entry `(x, p)` at `now`, counting entries of bindings that have
    /// expired but are not swept yet (they are quarantined from their expiry on).
    pub fn quarantine_at(&self, x: UsageNumber, p: Party, now: Timestamp) -> Option<Quarantine> {
        self.quarantine_in(self.usage.get(&x)?, x, p, now)
    }

    /// [`State::quarantine_at`] with `x`'s entry at hand.
    fn quarantine_in(
        &self,
        entry: &UsageEntry,
        x: UsageNumber,
        p: Party,
        now: Timestamp,
    ) -> Option<Quarantine> {
        if let Some(id) = entry.routes.get(&p) {
            let b = &self.bindings[id];
            if b.is_expired(now) {
                let q = self.expiry_quarantine(b, x, p);
                return (q.until > now).then_some(q);
            }
            return None;
        }
        entry.quarantine.get(&p).copied().filter(|q| q.until > now)
    }

    /// The quarantine an expired binding's entry `(x, p)` gets when it is swept.
    fn expiry_quarantine(&self, b: &Binding, x: UsageNumber, p: Party) -> Quarantine {
        Quarantine {
            until: b.expires_at.plus_secs(self.config.binding_quarantine_secs),
            binding: b.id,
            reached: b.leg(x, p).and_then(|l| l.to).and_then(|t| t.first()),
            ended: EndReason::Expired,
        }
    }
}
