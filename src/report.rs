//! Reports: what the platform tells the regulator about its 700 numbers, per tenant and in
//! total, as JSON — the basis of the periodic submission. `docs/REPORTS.md` documents every
//! field.
//!
//! A report is built by [`Report::build`] from the [`State`] (numbers, live bindings,
//! quarantines, as they stand at the report's time) and a [`Traffic`] accumulator (route
//! decisions, drops and ended bindings of the period), with no clock and no I/O: the same inputs
//! give the same report. [`crate::Registry::report`] fills the accumulator from the archive.
#![forbid(unsafe_code)]

use crate::archive::{BindingHistory, HistoryEnd};
use crate::binding::Mode;
use crate::control::record::{Outcome, RouteRecord};
use crate::number::UsageNumber;
use crate::pool::Holding;
use crate::route::RejectReason;
use crate::state::State;
use crate::tenant::{TenantId, TenantStatus};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Usage numbers per management number.
pub const USAGE_PER_MANAGEMENT: u64 = 10_000;

/// A half-open interval of time, `[from, to)`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// The first second in it (Unix seconds, UTC).
    pub from: Timestamp,
    /// The first second after it (Unix seconds, UTC).
    pub to: Timestamp,
}

impl Period {
    /// Whether `t` is in it.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t < self.to
    }

    /// Its length in days (0 for an empty or reversed period).
    pub fn days(&self) -> f64 {
        self.to.unix_secs().saturating_sub(self.from.unix_secs()) as f64 / 86_400.0
    }
}

/// Route decisions counted by outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// All decisions counted.
    pub total: u64,
    /// Connected.
    pub routed: u64,
    /// Answered "collect more digits" (an 11-digit management number was dialled).
    pub collect_digits: u64,
    /// Announcements played, by reason (`ServiceEnded`, `Expired`).
    pub announced: BTreeMap<String, u64>,
    /// Refusals, by reason (the [`RejectReason`] variant names, e.g. `NoBinding`, `Blocked`).
    pub refused: BTreeMap<String, u64>,
}

impl OutcomeCounts {
    fn count(&mut self, outcome: Outcome, n: u64) {
        self.total += n;
        match outcome {
            Outcome::Routed => self.routed += n,
            Outcome::CollectDigits => self.collect_digits += n,
            Outcome::Announced(reason) => *self.announced.entry(name(&reason)).or_default() += n,
            Outcome::Rejected(reason) => *self.refused.entry(name(&reason)).or_default() += n,
        }
    }

    fn add(&mut self, other: &OutcomeCounts) {
        self.total += other.total;
        self.routed += other.routed;
        self.collect_digits += other.collect_digits;
        for (k, v) in &other.announced {
            *self.announced.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.refused {
            *self.refused.entry(k.clone()).or_default() += v;
        }
    }

    /// Refusals because the caller was blocked automatically (probing).
    pub fn auto_blocked(&self) -> u64 {
        self.refused
            .get(&name(&RejectReason::AutoBlocked))
            .copied()
            .unwrap_or(0)
    }
}

/// A reason's name as serde writes it (its variant name).
fn name<T: Serialize + std::fmt::Debug>(reason: &T) -> String {
    match serde_json::to_value(reason) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{reason:?}"),
    }
}

/// What a report counts over its period besides the state: route decisions by tenant and
/// outcome, records the queue dropped, and bindings made in the period that have ended since
/// (live ones are counted from the state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traffic {
    period: Period,
    /// By the tenant holding the dialled number (`None`: not known — not ours, malformed, …).
    by_tenant: BTreeMap<Option<TenantId>, OutcomeCounts>,
    dropped: u64,
    outside: u64,
    ended_made: BTreeMap<TenantId, u64>,
}

impl Traffic {
    /// An empty accumulator for `period`.
    pub fn new(period: Period) -> Traffic {
        Traffic {
            period,
            by_tenant: BTreeMap::new(),
            dropped: 0,
            outside: 0,
            ended_made: BTreeMap::new(),
        }
    }

    /// The period.
    pub fn period(&self) -> Period {
        self.period
    }

    /// Counts a route decision (one outside the period is only counted as such).
    pub fn record(&mut self, r: &RouteRecord) {
        if !self.period.contains(r.at) {
            self.outside += 1;
            return;
        }
        self.by_tenant
            .entry(r.tenant)
            .or_default()
            .count(r.outcome, 1);
    }

    /// Adds records the queue dropped (it was full) during the period: the report then says it
    /// is incomplete.
    pub fn add_dropped(&mut self, count: u64) {
        self.dropped = self.dropped.saturating_add(count);
    }

    /// Counts an archived binding version: a binding made in the period that has ended
    /// (released or expired; versions replaced by an update are not bindings made).
    pub fn binding_ended(&mut self, h: &BindingHistory) {
        if h.end != HistoryEnd::Updated && self.period.contains(h.created_at) {
            *self.ended_made.entry(h.tenant).or_default() += 1;
        }
    }

    /// The counts of a tenant (`None`: decisions on numbers of no tenant).
    pub fn counts(&self, tenant: Option<TenantId>) -> Option<&OutcomeCounts> {
        self.by_tenant.get(&tenant)
    }

    /// Records counted in the period.
    pub fn counted(&self) -> u64 {
        self.by_tenant.values().map(|c| c.total).sum()
    }

    /// Records dropped by the queue.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Records offered that were outside the period.
    pub fn outside(&self) -> u64 {
        self.outside
    }
}

/// Live bindings by mode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeCounts {
    /// All live bindings.
    pub total: u64,
    /// AXB bindings.
    pub axb: u64,
    /// AXN bindings.
    pub axn: u64,
    /// AXYB bindings.
    pub axyb: u64,
    /// GXB bindings.
    pub gxb: u64,
    /// Of the total, those suspended.
    pub suspended: u64,
}

impl ModeCounts {
    fn add(&mut self, other: &ModeCounts) {
        self.total += other.total;
        self.axb += other.axb;
        self.axn += other.axn;
        self.axyb += other.axyb;
        self.gxb += other.gxb;
        self.suspended += other.suspended;
    }
}

/// Quarantines in force at the report's time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantines {
    /// Route entries (usage number, former party) of ended bindings still quarantined.
    pub route_entries: u64,
    /// Management numbers taken back and not yet free to another tenant.
    pub management_numbers: u64,
}

/// How long a tenant's usage numbers last.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Headroom {
    /// Usage numbers held and not in use: 10,000 per management number held, less those in use.
    pub usage_numbers_free: u64,
    /// Bindings made per day over the period.
    pub bind_rate_per_day: f64,
    /// Days until the free usage numbers run out if each binding made took one of its own at
    /// the period's rate (conservative: AXB-style numbers carry many pairs); `null` when no
    /// binding was made in the period.
    pub days_until_exhausted: Option<f64>,
}

/// One tenant's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenantReport {
    /// The tenant's id.
    pub tenant: TenantId,
    /// Its name.
    pub name: String,
    /// Its status (`Active`, `Suspended`, `Exited`).
    pub status: TenantStatus,
    /// Violations in its credit record.
    pub violations: u64,
    /// Management numbers it holds.
    pub management_numbers_held: u64,
    /// Usage numbers carrying at least one live binding of its own.
    pub usage_numbers_in_use: u64,
    /// Its live bindings, by mode.
    pub live_bindings: ModeCounts,
    /// Bindings it made in the period (live or ended since).
    pub bindings_made: u64,
    /// Route decisions on its numbers in the period.
    pub traffic: OutcomeCounts,
    /// Of those, refusals because the caller was blocked automatically.
    pub auto_blocks: u64,
    /// Its block rules in force at `generated_at` (rules on its own scope and its bindings).
    pub block_rules_in_force: u64,
    /// Quarantines on its numbers (route entries) and of numbers taken back from it.
    pub quarantines: Quarantines,
    /// Usage numbers in use ÷ usage numbers held (10,000 per management number); `null` when
    /// it holds none.
    pub utilisation: Option<f64>,
    /// Free usage numbers and how long they last.
    pub headroom: Headroom,
}

/// Platform-wide figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlatformReport {
    /// Tenants registered.
    pub tenants: u64,
    /// Management numbers licensed to the platform.
    pub management_numbers_licensed: u64,
    /// Of those, held by tenants.
    pub management_numbers_assigned: u64,
    /// Of those, in quarantine after being taken back.
    pub management_numbers_quarantined: u64,
    /// Of those, free to assign.
    pub management_numbers_free: u64,
    /// Usage numbers carrying at least one live binding.
    pub usage_numbers_in_use: u64,
    /// Live bindings, by mode.
    pub live_bindings: ModeCounts,
    /// Bindings made in the period.
    pub bindings_made: u64,
    /// All route decisions in the period, including those on numbers of no tenant.
    pub traffic: OutcomeCounts,
    /// Of those, refusals because the caller was blocked automatically.
    pub auto_blocks: u64,
    /// Block rules in force at `generated_at`, by origin.
    pub block_rules_in_force: BlockRuleCounts,
    /// Quarantines in force.
    pub quarantines: Quarantines,
    /// Usage numbers in use ÷ usage numbers assigned to tenants; `null` when none is.
    pub utilisation: Option<f64>,
}

/// Block rules in force, by origin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRuleCounts {
    /// Made by the platform operator or a tenant.
    pub manual: u64,
    /// Made automatically for probing callers (liftable).
    pub automatic: u64,
}

/// How complete the traffic figures are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completeness {
    /// Route records counted.
    pub records_counted: u64,
    /// Records lost (not counted anywhere): dropped because the queue was full, or abandoned
    /// because a router was killed while queuing one ([`crate::Registry::records_dropped`]).
    pub records_dropped: u64,
    /// Whether no record was dropped.
    pub complete: bool,
}

/// A report (see the module docs and `docs/REPORTS.md`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// When it was made; the state's figures (numbers, live bindings, quarantines) are as of
    /// this time.
    pub generated_at: Timestamp,
    /// The period the traffic and the bindings made are counted over.
    pub period: Period,
    /// How complete the traffic figures are.
    pub completeness: Completeness,
    /// Platform totals.
    pub platform: PlatformReport,
    /// Each tenant, by id.
    pub tenants: Vec<TenantReport>,
}

/// A tenant's figures from the state, before traffic.
#[derive(Default)]
struct Tally {
    in_use: u64,
    live: ModeCounts,
    made_live: u64,
    route_quarantines: u64,
    number_quarantines: u64,
}

impl Report {
    /// The report at `now` of `state`, with `traffic`'s figures for its period.
    pub fn build(state: &State, traffic: &Traffic, now: Timestamp) -> Report {
        let period = traffic.period;
        let mut tally: BTreeMap<TenantId, Tally> = BTreeMap::new();
        for b in state.bindings() {
            let t = tally.entry(b.tenant).or_default();
            // Made in the period, whether still live or expired and not swept yet.
            if period.contains(b.created_at) {
                t.made_live += 1;
            }
            if b.is_expired(now) {
                continue;
            }
            t.live.total += 1;
            match b.mode() {
                Mode::Axb => t.live.axb += 1,
                Mode::Axn => t.live.axn += 1,
                Mode::Axyb => t.live.axyb += 1,
                Mode::Gxb => t.live.gxb += 1,
            }
            if b.status == crate::binding::BindingStatus::Suspended {
                t.live.suspended += 1;
            }
        }
        let mut in_use: HashSet<UsageNumber> = HashSet::new();
        let mut route_quarantines_unheld = 0;
        for (x, entry) in state.usage_entries() {
            let live = entry
                .routes
                .values()
                .filter_map(|id| state.binding(*id))
                .find(|b| !b.is_expired(now));
            if let Some(b) = live
                && in_use.insert(x)
            {
                tally.entry(b.tenant).or_default().in_use += 1;
            }
            let q = entry.quarantine.values().filter(|q| q.until > now).count() as u64;
            if q > 0 {
                match state.pool().holder_of_usage(x) {
                    Some(t) => tally.entry(t).or_default().route_quarantines += q,
                    None => route_quarantines_unheld += q,
                }
            }
        }
        let (mut assigned, mut quarantined) = (0u64, 0u64);
        for (_, h) in state.pool().holdings() {
            match h {
                Holding::Assigned { .. } => assigned += 1,
                Holding::Quarantined { former, until } if *until > now => {
                    quarantined += 1;
                    tally.entry(*former).or_default().number_quarantines += 1;
                }
                _ => {}
            }
        }
        let licensed: u64 = state
            .pool()
            .blocks()
            .iter()
            .map(|b| u64::from(b.count))
            .sum();
        let empty = OutcomeCounts::default();
        let tenants: Vec<TenantReport> = state
            .tenants()
            .map(|t| {
                let tl = tally.remove(&t.id).unwrap_or_default();
                let held = state.pool().count_held_by(t.id) as u64;
                let capacity = held * USAGE_PER_MANAGEMENT;
                let traffic_counts = traffic.counts(Some(t.id)).unwrap_or(&empty).clone();
                let made = tl.made_live + traffic.ended_made.get(&t.id).copied().unwrap_or(0);
                let free = capacity.saturating_sub(tl.in_use);
                let days = period.days();
                let rate = if days > 0.0 { made as f64 / days } else { 0.0 };
                TenantReport {
                    tenant: t.id,
                    name: t.name.clone(),
                    status: t.status,
                    violations: t.credit_record.len() as u64,
                    management_numbers_held: held,
                    usage_numbers_in_use: tl.in_use,
                    live_bindings: tl.live,
                    bindings_made: made,
                    auto_blocks: traffic_counts.auto_blocked(),
                    block_rules_in_force: state
                        .block_list()
                        .active(now)
                        .filter(|r| r.owner == Some(t.id))
                        .count() as u64,
                    traffic: traffic_counts,
                    quarantines: Quarantines {
                        route_entries: tl.route_quarantines,
                        management_numbers: tl.number_quarantines,
                    },
                    utilisation: (capacity > 0).then(|| tl.in_use as f64 / capacity as f64),
                    headroom: Headroom {
                        usage_numbers_free: free,
                        bind_rate_per_day: rate,
                        days_until_exhausted: (rate > 0.0).then(|| free as f64 / rate),
                    },
                }
            })
            .collect();
        let mut platform_traffic = OutcomeCounts::default();
        for c in traffic.by_tenant.values() {
            platform_traffic.add(c);
        }
        let mut live = ModeCounts::default();
        let mut route_entries = route_quarantines_unheld;
        let mut made = 0;
        for t in &tenants {
            live.add(&t.live_bindings);
            route_entries += t.quarantines.route_entries;
            made += t.bindings_made;
        }
        // Bindings of tenants the state no longer knows cannot exist (tenants are never
        // removed), but count what the tallies hold anyway.
        for tl in tally.values() {
            live.add(&tl.live);
            route_entries += tl.route_quarantines;
            made += tl.made_live;
        }
        let capacity = assigned * USAGE_PER_MANAGEMENT;
        let platform = PlatformReport {
            tenants: tenants.len() as u64,
            management_numbers_licensed: licensed,
            management_numbers_assigned: assigned,
            management_numbers_quarantined: quarantined,
            management_numbers_free: licensed.saturating_sub(assigned + quarantined),
            usage_numbers_in_use: in_use.len() as u64,
            live_bindings: live,
            bindings_made: made,
            auto_blocks: platform_traffic.auto_blocked(),
            block_rules_in_force: {
                let mut counts = BlockRuleCounts::default();
                for r in state.block_list().active(now) {
                    match r.origin {
                        crate::control::block::BlockOrigin::Probing { .. } => counts.automatic += 1,
                        _ => counts.manual += 1,
                    }
                }
                counts
            },
            traffic: platform_traffic,
            quarantines: Quarantines {
                route_entries,
                management_numbers: quarantined,
            },
            utilisation: (capacity > 0).then(|| in_use.len() as f64 / capacity as f64),
        };
        Report {
            generated_at: now,
            period,
            completeness: Completeness {
                records_counted: traffic.counted(),
                records_dropped: traffic.dropped,
                complete: traffic.dropped == 0,
            },
            platform,
            tenants,
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
