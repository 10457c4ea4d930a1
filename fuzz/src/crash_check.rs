//! The crash checker: histories of commands and snapshots run into a journaled [`Registry`] on a
//! simulated disk ([`SimStorage`]) that loses power at a chosen point; each recovery is checked
//! against the durability contract (see `np700::journal`). Shared by `tests/crash.rs` (the
//! crash-and-recover cycles, the exhaustive crash points, the fault switch, I/O errors) and the
//! `crash_recover` fuzz target.
//!
//! A history is generated step by step from the reference's current state, over a small
//! universe (three tenants, two management numbers with three usage numbers each, six people), so
//! that most commands are accepted and every kind of event is reached within a few steps. The
//! reference is a pure [`State`] running the same commands: the [`Timeline`] keeps its state after
//! each prefix of the history, the events in that prefix, and a [`Plain`] model built from the
//! events (holders, live bindings and their expiries, ended bindings).
//!
//! After every recovery ([`Checker::open`]):
//!
//! - recovery never fails but for a power loss during recovery itself: a `Corrupt` error after a
//!   power loss is a bug, since only writes not yet synced are damaged;
//! - the recovered state equals the reference after exactly the first *k* commands, with *k* at
//!   least the commands acknowledged and at most those attempted, and the journal's last seq is
//!   the number of events in those *k* commands (no gaps, no reordering, all or nothing);
//! - plain checks, independent of [`State`]'s own tables: no management number held by two
//!   tenants and every holder as in the plain model; the live bindings and their expiry times
//!   exactly as the plain model has them; no binding released or expired by an acknowledged
//!   command is there;
//! - the reopened registry routes exactly as the recovered state, for every caller of the
//!   universe and every usage number, and a routed call goes through a live binding.
//!
//! While running, every command's result (its events, or its error) is the reference's; after
//! the first I/O error every later command and snapshot is refused with `Halted`.
//!
//! A successful open acknowledges what it recovered (recovery syncs it before the registry
//! continues): later recoveries must keep it.

use np700::binding::Party;
use np700::index::layout::Capacity;
use np700::journal::sim::SimStorage;
use np700::journal::storage::Storage;
use np700::journal::{Commit, JournalOptions, Recovery};
use np700::registry::OpenOptions;
use np700::{
    BindRequest, Binding, BindingId, Command, Config, Counterpart, Decision, DialedNumber, Error,
    Event, LicensedBlock, ManagementNumber, Media, NumberChoice, Parties, Policy, Registry,
    Selection, State, SubscriberNumber, Tag, TagMatch, TenantId, TenantStatus, Timestamp,
    UsageNumber,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The start of time in every history.
pub const T0: u64 = 1_767_225_600;
const BINDING_Q: u64 = 30;
const NUMBER_Q: u64 = 60;

/// The configuration of every registry here: short quarantines, so that sweeps end them.
pub fn config() -> Config {
    Config {
        binding_quarantine_secs: BINDING_Q,
        number_quarantine_secs: NUMBER_Q,
        default_pair_cap: 3,
        ..Config::default()
    }
}

/// A small index (it grows as needed): opening is most of a cycle's work.
pub fn capacity() -> Capacity {
    Capacity {
        entries: 256,
        directory: 16,
        tenants: 8,
        pages: 8,
        extras: 32,
    }
}

/// Open options with this commit mode and snapshot threshold.
pub fn options(commit: Commit, snapshot_after_bytes: Option<u64>) -> OpenOptions {
    OpenOptions {
        archive: np700::archive::ArchiveOptions::default(),
        capacity: capacity(),
        shared_index: None,
        journal: JournalOptions {
            commit,
            snapshot_after_bytes,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Choices.

/// Where a history's choices come from: a seeded generator (the tests) or the fuzzer's bytes.
pub trait Choose {
    /// A number in `0..n` (`n` ≥ 1).
    fn below(&mut self, n: u32) -> u32;
    /// Any 64-bit number (crash seeds).
    fn seed(&mut self) -> u64;
    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

/// SplitMix64: small, seeded, reproducible.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Choose for SplitMix {
    fn below(&mut self, n: u32) -> u32 {
        (self.next_u64() % u64::from(n.max(1))) as u32
    }
    fn seed(&mut self) -> u64 {
        self.next_u64()
    }
}

// ---------------------------------------------------------------------------------------------
// The universe and the generator.

const PEOPLE: [u64; 6] = [
    8613800000000,
    8613800000001,
    8613800000002,
    8613800000003,
    8613800000004,
    861012345678,
];
/// Two management numbers: each one in use costs, at every open, a table of its 10,000 usage
/// numbers in the state and a walk over them in the index (slow in debug builds).
const MANAGEMENT: u32 = 2;
/// Three usage numbers under each.
const USAGE: u32 = 6;

/// Person `i` (modulo six).
pub fn person(i: u32) -> SubscriberNumber {
    SubscriberNumber::from_e164(PEOPLE[i as usize % PEOPLE.len()]).expect("valid subscriber")
}

/// Management number `i` (modulo two).
pub fn mgmt(i: u32) -> ManagementNumber {
    ManagementNumber::new(70012340000 + u64::from(i % MANAGEMENT)).expect("valid number")
}

/// Usage number `i` (modulo six): the first two and the last under each management number.
pub fn usage(i: u32) -> UsageNumber {
    let i = i % USAGE;
    mgmt(i / 3)
        .usage([0, 1, 9_999][i as usize % 3])
        .expect("valid usage number")
}

fn tag() -> Tag {
    Tag::new("beijing").expect("valid tag")
}

/// One step of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // a few per history; most are commands
pub enum Step {
    /// A command, at a time.
    Command(Command, Timestamp),
    /// An explicit [`Registry::snapshot`].
    Snapshot,
}

/// The next step of a history whose reference is at `state`: time passes on `clock` (mostly a
/// few seconds, sometimes past expiries and quarantines), then a command or a snapshot. Most
/// commands are meant to be accepted (a tenant that may bind, a number it holds, a live
/// binding); some are not (another tenant, a number held by someone else, an unknown binding).
pub fn next_step(state: &State, clock: &mut Timestamp, ch: &mut impl Choose) -> Step {
    let secs = match ch.below(10) {
        0..=5 => ch.below(4),
        6..=8 => ch.below(15),
        _ => 20 + ch.below(60),
    };
    *clock = clock.plus_secs(u64::from(secs));
    let now = *clock;
    let tenants: Vec<&np700::Tenant> = state.tenants().collect();
    let pool = state.pool();
    let any_tenant = |ch: &mut dyn Choose| -> TenantId {
        if tenants.is_empty() || ch.below(12) == 0 {
            TenantId::from_raw(1 + ch.below(3))
        } else {
            tenants[ch.below(tenants.len() as u32) as usize].id
        }
    };
    // Tenants that may bind and hold a number.
    let binders: Vec<TenantId> = tenants
        .iter()
        .filter(|t| t.status == TenantStatus::Active && pool.held_by(t.id).next().is_some())
        .map(|t| t.id)
        .collect();
    let live: Vec<&Binding> = bindings(state).filter(|b| !b.is_expired(now)).collect();
    let free: Vec<ManagementNumber> = (0..MANAGEMENT)
        .map(mgmt)
        .filter(|m| pool.is_licensed(*m) && pool.holder(*m).is_none())
        .collect();
    // Provision first: a tenant, a block, a number held.
    let roll = if tenants.is_empty() && ch.chance(70) {
        0
    } else if pool.blocks().is_empty() && ch.chance(70) {
        5
    } else if binders.is_empty() && !free.is_empty() && ch.chance(70) {
        10
    } else {
        ch.below(100)
    };
    let command = match roll {
        0..=4 if tenants.len() < 3 => Command::RegisterTenant {
            name: format!("tenant {}", tenants.len() + 1),
            scenarios: vec![],
            pair_cap: Some(2 + ch.below(2) as u16),
        },
        0..=4 | 90..=93 => {
            // Mostly a suspended tenant back to service; seldom one leaving.
            let suspended = tenants.iter().find(|t| t.status == TenantStatus::Suspended);
            match suspended {
                Some(t) if ch.chance(70) => Command::SetTenantStatus {
                    tenant: t.id,
                    status: TenantStatus::Active,
                },
                _ => Command::SetTenantStatus {
                    tenant: any_tenant(ch),
                    status: match ch.below(20) {
                        0 => TenantStatus::Exited,
                        1..=12 => TenantStatus::Suspended,
                        _ => TenantStatus::Active,
                    },
                },
            }
        }
        5..=9 => Command::LicenseBlock(LicensedBlock {
            first: mgmt(ch.below(MANAGEMENT)),
            count: 1 + ch.below(2),
        }),
        10..=17 => Command::AssignNumber {
            tenant: any_tenant(ch),
            number: if !free.is_empty() && ch.chance(80) {
                free[ch.below(free.len() as u32) as usize]
            } else {
                mgmt(ch.below(MANAGEMENT))
            },
            tags: if ch.chance(50) { vec![tag()] } else { vec![] },
        },
        18..=21 => {
            let number = mgmt(ch.below(MANAGEMENT));
            let tenant = match pool.holder(number) {
                Some(t) if ch.chance(80) => t,
                _ => any_tenant(ch),
            };
            Command::ReclaimNumber { tenant, number }
        }
        22..=54 => {
            let tenant = if !binders.is_empty() && ch.chance(85) {
                binders[ch.below(binders.len() as u32) as usize]
            } else {
                any_tenant(ch)
            };
            let held: Vec<ManagementNumber> = pool.held_by(tenant).collect();
            let x = |ch: &mut dyn Choose| match ch.below(20) {
                0..=3 => NumberChoice::Auto(Selection::default()),
                4 => NumberChoice::Auto(Selection {
                    tag: Some(TagMatch {
                        tag: tag(),
                        strict: ch.chance(50),
                    }),
                    sticky_for: Some(person(ch.below(6))),
                }),
                5..=6 => NumberChoice::Given(usage(ch.below(USAGE))),
                _ if !held.is_empty() => {
                    let m = held[ch.below(held.len() as u32) as usize];
                    NumberChoice::Given(usage(3 * (m.value() % 10) as u32 + ch.below(3)))
                }
                _ => NumberChoice::Given(usage(ch.below(USAGE))),
            };
            let first = ch.below(6);
            let (a, b) = (person(first), person(first + 1 + ch.below(5)));
            let parties = match ch.below(10) {
                0..=4 => Parties::Axb { a, x: x(ch), b },
                5..=6 => Parties::Axn {
                    a,
                    x: x(ch),
                    n: ch.chance(70).then_some(b),
                },
                7 => Parties::Axyb {
                    a,
                    x: x(ch),
                    y: x(ch),
                    b,
                },
                _ => Parties::Gxb {
                    group: (1..2 + ch.below(3)).map(|i| person(first + i)).collect(),
                    x: x(ch),
                    b: a,
                },
            };
            Command::Bind(BindRequest {
                tenant,
                parties,
                expires_at: now.plus_secs(u64::from(10 + ch.below(200))),
                policy: Policy {
                    record: ch.chance(25),
                    ..Policy::default()
                },
                order_id: format!("o{}", ch.below(100)),
                consent_ref: "consent".into(),
                external_ref: String::new(),
            })
        }
        55..=83 if live.is_empty() => Command::Sweep,
        55..=64 => {
            let b = live[ch.below(live.len() as u32) as usize];
            let counterpart = match (ch.below(3), &b.parties) {
                (0, _) => None,
                (_, Parties::Axb { .. } | Parties::Axyb { .. }) => {
                    Some(Counterpart::B(person(ch.below(6))))
                }
                (_, Parties::Axn { .. }) => {
                    Some(Counterpart::N(ch.chance(75).then(|| person(ch.below(6)))))
                }
                (_, Parties::Gxb { .. }) => {
                    let first = ch.below(6);
                    Some(Counterpart::Group(
                        (0..1 + ch.below(3)).map(|i| person(first + i)).collect(),
                    ))
                }
            };
            let expires_at = (counterpart.is_none() || ch.chance(50))
                .then(|| now.plus_secs(u64::from(10 + ch.below(200))));
            let policy = ch.chance(25).then(|| Policy {
                record: !b.policy.record,
                ..b.policy.clone()
            });
            Command::Update {
                tenant: b.tenant,
                binding: b.id,
                counterpart,
                expires_at,
                policy,
            }
        }
        65..=83 => {
            let b = live[ch.below(live.len() as u32) as usize];
            // Now and then someone else's binding, or one that never was.
            let (tenant, binding) = match ch.below(20) {
                0 => (any_tenant(ch), b.id),
                1 => (b.tenant, BindingId::from_raw(u64::from(ch.below(50)))),
                _ => (b.tenant, b.id),
            };
            match roll {
                65..=69 => Command::Suspend { tenant, binding },
                70..=73 => Command::Resume { tenant, binding },
                _ => Command::Unbind { tenant, binding },
            }
        }
        84..=89 => Command::Sweep,
        _ => return Step::Snapshot,
    };
    Step::Command(command, now)
}

// ---------------------------------------------------------------------------------------------
// The reference.

/// A plain model built from the events, independent of [`State`]'s tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plain {
    /// Who holds each management number.
    pub holders: BTreeMap<ManagementNumber, TenantId>,
    /// Live bindings: their tenant and expiry.
    pub live: BTreeMap<BindingId, (TenantId, Timestamp)>,
    /// Bindings released or expired.
    pub gone: BTreeSet<BindingId>,
    /// Usage numbers ever bound.
    pub numbers: BTreeSet<UsageNumber>,
}

impl Plain {
    fn apply(&mut self, e: &Event) {
        match e {
            Event::NumberAssigned { number, tenant, .. } => {
                self.holders.insert(*number, *tenant);
            }
            Event::NumberReclaimed { number, .. } => {
                self.holders.remove(number);
            }
            Event::Bound { binding } => {
                self.live
                    .insert(binding.id, (binding.tenant, binding.expires_at));
                self.numbers.extend(binding.parties.usage_numbers());
            }
            Event::Updated { binding, .. } => {
                if let Some(live) = self.live.get_mut(&binding.id) {
                    live.1 = binding.expires_at;
                }
            }
            Event::Released { binding, .. } | Event::Expired { binding, .. } => {
                self.live.remove(binding);
                self.gone.insert(*binding);
            }
            _ => {}
        }
    }
}

/// The reference after each prefix of a history's commands.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// `states[i]`: after the first `i` commands.
    pub states: Vec<State>,
    /// `events[i]`: events in the first `i` commands (the journal's seq after them).
    pub events: Vec<u64>,
    /// `plain[i]`: the plain model after the first `i` commands.
    pub plain: Vec<Plain>,
    /// The commands.
    pub commands: Vec<(Command, Timestamp)>,
}

impl Timeline {
    /// Nothing yet.
    pub fn new() -> Timeline {
        Timeline {
            states: vec![State::new(config())],
            events: vec![0],
            plain: vec![Plain::default()],
            commands: Vec::new(),
        }
    }

    /// Commands in it.
    pub fn commands(&self) -> usize {
        self.commands.len()
    }

    /// The state after every command.
    pub fn last(&self) -> &State {
        self.states.last().expect("the empty prefix")
    }

    /// Runs `command` on the reference and records the prefix it ends; returns the result.
    pub fn push(&mut self, command: &Command, now: Timestamp) -> Result<Vec<Event>, Error> {
        let mut state = self.last().clone();
        let result = state.execute(command, now);
        let mut plain = self.plain.last().expect("the empty prefix").clone();
        let mut events = *self.events.last().expect("the empty prefix");
        if let Ok(evs) = &result {
            for e in evs {
                plain.apply(e);
            }
            events += evs.len() as u64;
        }
        self.states.push(state);
        self.events.push(events);
        self.plain.push(plain);
        self.commands.push((command.clone(), now));
        result
    }

    /// Forgets the commands after the first `k`.
    pub fn truncate(&mut self, k: usize) {
        self.states.truncate(k + 1);
        self.events.truncate(k + 1);
        self.plain.truncate(k + 1);
        self.commands.truncate(k);
    }
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline::new()
    }
}

// ---------------------------------------------------------------------------------------------
// The checker.

/// What the checks went through, so a caller can assert its runs reach the interesting paths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Recoveries checked (opens that succeeded).
    pub recoveries: u64,
    /// Opens that failed with an I/O error because power went off during recovery.
    pub interrupted: u64,
    /// Recoveries that loaded a snapshot.
    pub from_snapshot: u64,
    /// Recoveries that cut a torn tail.
    pub cuts: u64,
    /// Recoveries that removed leftovers (temporary snapshots, torn segments).
    pub removals: u64,
    /// Recoveries with more than the acknowledged commands (written, not acknowledged).
    pub beyond_acked: u64,
    /// Recoveries where acknowledged commands were lost — only with `Commit::NotDurable`.
    pub lost: u64,
    /// Commands acknowledged.
    pub acked: u64,
    /// Commands accepted with events.
    pub writes: u64,
    /// Snapshots acknowledged.
    pub snapshots: u64,
    /// Steps refused with an I/O error (power off or an injected fault).
    pub io_errors: u64,
    /// Route decisions compared after recoveries.
    pub routes: u64,
    /// Of those, calls connected.
    pub routed: u64,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.recoveries += o.recoveries;
        self.interrupted += o.interrupted;
        self.from_snapshot += o.from_snapshot;
        self.cuts += o.cuts;
        self.removals += o.removals;
        self.beyond_acked += o.beyond_acked;
        self.lost += o.lost;
        self.acked += o.acked;
        self.writes += o.writes;
        self.snapshots += o.snapshots;
        self.io_errors += o.io_errors;
        self.routes += o.routes;
        self.routed += o.routed;
    }
}

impl Stats {
    /// Opens after a crash: recoveries checked and those cut short by a power loss.
    pub fn cycles(&self) -> u64 {
        self.recoveries + self.interrupted
    }
}

/// One run's reference and acknowledgements across crashes.
pub struct Checker {
    /// How registries are opened.
    pub options: OpenOptions,
    /// The reference.
    pub timeline: Timeline,
    /// Commands of the timeline acknowledged (a prefix: after a failure nothing is).
    pub acked: usize,
    /// The clock of the next step.
    pub clock: Timestamp,
    /// What the checks went through.
    pub stats: Stats,
    /// Every person and a stranger (last).
    callers: Vec<SubscriberNumber>,
    /// Every usage number of the universe.
    dialed: Vec<UsageNumber>,
}

/// How running steps on a registry ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ran {
    /// Every step ran.
    All,
    /// Step `i` failed with an I/O error; every step after it was refused (`Halted`).
    Failed(usize),
}

impl Checker {
    /// A checker for registries opened with `options`.
    pub fn new(options: OpenOptions) -> Checker {
        Checker {
            options,
            timeline: Timeline::new(),
            acked: 0,
            clock: Timestamp::from_unix_secs(T0),
            stats: Stats::default(),
            callers: (0..PEOPLE.len() as u32)
                .map(person)
                .chain([SubscriberNumber::from_e164(8613900000000).expect("valid subscriber")])
                .collect(),
            dialed: (0..USAGE).map(usage).collect(),
        }
    }

    /// Opens a registry on `storage` and checks what it recovered (see the module docs).
    /// `Ok(None)`: the open failed with an I/O error, which is allowed only when `power_off`
    /// says power was lost during it.
    pub fn open(
        &mut self,
        storage: &Arc<SimStorage>,
        power_off: bool,
    ) -> Result<Option<Registry>, String> {
        let opened = Registry::open_storage(
            Arc::clone(storage) as Arc<dyn Storage>,
            config(),
            self.options.clone(),
        );
        let (registry, recovery) = match opened {
            Ok(r) => r,
            Err(Error::Io { .. }) if power_off => {
                self.stats.interrupted += 1;
                return Ok(None);
            }
            Err(e) => return Err(format!("recovery failed: {e}")),
        };
        self.check_recovered(&registry, &recovery)?;
        Ok(Some(registry))
    }

    /// The checks after a successful open; forgets the commands it did not recover.
    pub fn check_recovered(
        &mut self,
        registry: &Registry,
        recovery: &Recovery,
    ) -> Result<(), String> {
        let k = self.examine(registry, recovery)?;
        self.timeline.truncate(k);
        // The open synced what it recovered: it is acknowledged now.
        self.acked = k;
        Ok(())
    }

    /// Another fate of the same crash: opens `storage` (no power loss) and checks what it
    /// recovered, without continuing from it.
    pub fn check_fate(&mut self, storage: &Arc<SimStorage>) -> Result<(), String> {
        let (registry, recovery) = Registry::open_storage(
            Arc::clone(storage) as Arc<dyn Storage>,
            config(),
            self.options.clone(),
        )
        .map_err(|e| format!("recovery failed: {e}"))?;
        self.examine(&registry, &recovery).map(drop)
    }

    /// The checks of a recovery; returns the prefix recovered.
    fn examine(&mut self, registry: &Registry, recovery: &Recovery) -> Result<usize, String> {
        self.stats.recoveries += 1;
        self.stats.from_snapshot += u64::from(recovery.snapshot.is_some());
        self.stats.cuts += u64::from(recovery.cut.is_some());
        self.stats.removals += u64::from(!recovery.removed.is_empty());
        if recovery.last_seq < self.timeline.events[self.acked] {
            self.stats.lost += 1;
        }
        let (k, routes, routed) = self.find_prefix(registry, recovery.last_seq)?;
        self.stats.beyond_acked += u64::from(k > self.acked);
        self.stats.routes += routes;
        self.stats.routed += routed;
        Ok(k)
    }

    /// The prefix `k` the registry recovered, checked; and the routes compared (and connected).
    fn find_prefix(&self, registry: &Registry, last_seq: u64) -> Result<(usize, u64, u64), String> {
        let t = &self.timeline;
        if last_seq < t.events[self.acked] {
            return Err(format!(
                "acknowledged events lost: recovered {last_seq} events, the {} commands \
                 acknowledged have {}",
                self.acked, t.events[self.acked]
            ));
        }
        // The prefixes with that many events (refused commands add none).
        let candidates: Vec<usize> = (self.acked..t.events.len())
            .filter(|&k| t.events[k] == last_seq)
            .collect();
        if candidates.is_empty() {
            return Err(format!(
                "recovered {last_seq} events: not the end of any command from the {} \
                 acknowledged to the {} attempted (events per prefix: {:?})",
                self.acked,
                t.commands(),
                &t.events[self.acked..]
            ));
        }
        registry.with_state(|s| {
            let Some(k) = candidates.iter().copied().find(|&k| t.states[k] == *s) else {
                return Err(format!(
                    "recovered {last_seq} events, but the state is not the reference's after \
                     commands {candidates:?}"
                ));
            };
            let acked = &t.plain[self.acked];
            plain_checks(s, &t.plain[k], acked)?;
            // Routes when the last recovered command ran, and now.
            let then = t.commands[..k].last().map_or(self.clock, |c| c.1);
            // Every party of a live binding and a stranger on each of its usage numbers, every
            // quarantined entry, and one more pair of the universe (all of them over a few
            // recoveries).
            let stranger = self.callers[self.callers.len() - 1];
            let mut pairs: Vec<(SubscriberNumber, UsageNumber)> = Vec::new();
            for b in bindings(s) {
                for x in b.parties.usage_numbers() {
                    for p in b.parties.subscribers() {
                        pairs.push((p, x));
                    }
                    pairs.push((stranger, x));
                }
            }
            // And every quarantined entry (the stranger for AXN's "anyone"), on every usage
            // number ever bound (iterating the state's usage table is slow in debug builds).
            for (x, entry) in t.plain[k]
                .numbers
                .iter()
                .filter_map(|x| s.usage_entry(*x).map(|e| (*x, e)))
            {
                for party in entry.quarantine.keys() {
                    pairs.push((
                        match party {
                            Party::Caller(p) => *p,
                            Party::Anyone => stranger,
                        },
                        x,
                    ));
                }
            }
            let n = self.callers.len() * self.dialed.len();
            let extra = (s.next_binding_id().raw() as usize * 7 + last_seq as usize) % n;
            pairs.push((
                self.callers[extra / self.dialed.len()],
                self.dialed[extra % self.dialed.len()],
            ));
            pairs.sort_unstable();
            pairs.dedup();
            let (mut routes, mut routed) = (0, 0);
            for (caller, x) in pairs {
                let (caller_str, x_str) = (caller.to_string(), x.to_string());
                // As a switch asks (strings) when the last recovered command ran, and parsed
                // now.
                let asked = [
                    (
                        then,
                        s.route(&caller_str, &x_str, Media::Voice, then),
                        registry.route(&caller_str, &x_str, Media::Voice, then),
                    ),
                    (
                        self.clock,
                        s.route_usage(Some(caller), x, Media::Sms, self.clock),
                        registry.route_dialed(
                            Some(caller),
                            DialedNumber::Usage(x),
                            Media::Sms,
                            self.clock,
                        ),
                    ),
                ];
                for (at, want, got) in asked {
                    if got != want {
                        return Err(format!(
                            "the reopened registry routes {caller} → {x} at {at} as {got:?}, \
                             the recovered state as {want:?}"
                        ));
                    }
                    if let Decision::Route(r) = &got {
                        if s.binding(r.binding).is_none() || acked.gone.contains(&r.binding) {
                            return Err(format!(
                                "{caller} → {x} routed by {}, which is not live",
                                r.binding
                            ));
                        }
                        routed += 1;
                    }
                    routes += 1;
                }
            }
            Ok((k, routes, routed))
        })
    }

    /// Runs `steps` on `registry` (each command also on the reference, results compared) until
    /// one fails with an I/O error; then checks that the steps after it are refused (`Halted`).
    pub fn run_steps(&mut self, registry: &Registry, steps: &[Step]) -> Result<Ran, String> {
        for (i, step) in steps.iter().enumerate() {
            let failed = match step {
                Step::Command(command, now) => {
                    let got = registry.execute(command, *now);
                    let want = self.timeline.push(command, *now);
                    match (got, want) {
                        (Ok(got), Ok(want)) if got == want => {
                            self.acked = self.timeline.commands();
                            self.stats.acked += 1;
                            self.stats.writes += u64::from(!got.is_empty());
                            false
                        }
                        (Err(got), Err(want)) if got == want => {
                            self.acked = self.timeline.commands();
                            self.stats.acked += 1;
                            false
                        }
                        (Err(Error::Io { .. }), Ok(want)) if !want.is_empty() => true,
                        (got, want) => {
                            return Err(format!(
                                "step {i} ({command:?} at {now}): the registry answered \
                                 {got:?}, the reference {want:?}"
                            ));
                        }
                    }
                }
                Step::Snapshot => match registry.snapshot() {
                    Ok(seq) if seq == *self.timeline.events.last().expect("prefix") => {
                        self.stats.snapshots += 1;
                        false
                    }
                    Ok(seq) => {
                        return Err(format!(
                            "step {i}: a snapshot at seq {seq}, after {} events",
                            self.timeline.events.last().expect("prefix")
                        ));
                    }
                    Err(Error::Io { .. }) => true,
                    Err(e) => return Err(format!("step {i}: the snapshot failed: {e}")),
                },
            };
            if failed {
                self.stats.io_errors += 1;
                self.expect_halted(registry, &steps[i + 1..])?;
                return Ok(Ran::Failed(i));
            }
        }
        Ok(Ran::All)
    }

    /// After a failure, `steps` (and a snapshot) must all be refused with `Halted`.
    fn expect_halted(&self, registry: &Registry, steps: &[Step]) -> Result<(), String> {
        let snapshot = [Step::Snapshot];
        for step in steps.iter().chain(&snapshot) {
            let result = match step {
                Step::Command(command, now) => registry.execute(command, *now).map(drop),
                Step::Snapshot => registry.snapshot().map(drop),
            };
            if !matches!(result, Err(Error::Halted { .. })) {
                return Err(format!(
                    "after a failed write, {step:?} was answered {result:?}, not Halted"
                ));
            }
        }
        Ok(())
    }

    /// Generates up to `max` steps from the reference's current state and runs each as it is
    /// made (`run_steps`, one at a time, so each step sees the state its predecessors left).
    pub fn run_random(
        &mut self,
        registry: &Registry,
        ch: &mut impl Choose,
        max: u32,
    ) -> Result<Ran, String> {
        for i in 0..max as usize {
            let step = next_step(self.timeline.last(), &mut self.clock, ch);
            if let Ran::Failed(_) = self.run_steps(registry, std::slice::from_ref(&step))? {
                // One more step after the failure must be refused too.
                let next = next_step(self.timeline.last(), &mut self.clock.clone(), ch);
                self.expect_halted(registry, &[next])?;
                return Ok(Ran::Failed(i));
            }
        }
        Ok(Ran::All)
    }

    /// A life between two power losses (or process kills), checking `fates` recoveries: power
    /// goes off after `power_off` more operations on `storage`; the registry opens (the power
    /// loss may cut that short) and runs up to `steps` random steps; then the storage crashes
    /// `fates` times with random fates, each recovered and checked. Returns the storage the
    /// next life opens (and continues from what it recovers): the last crash's, or with `kill`
    /// the same storage as the process left it (its writes not synced still pending: only the
    /// process died, the disk and its cache did not).
    pub fn life(
        &mut self,
        storage: &Arc<SimStorage>,
        power_off: u64,
        steps: u32,
        fates: u32,
        kill: bool,
        ch: &mut impl Choose,
    ) -> Result<Arc<SimStorage>, String> {
        storage.power_off_after(storage.ops().saturating_add(power_off));
        if let Some(registry) = self.open(storage, true)? {
            self.run_random(&registry, ch, steps)?;
        }
        let checked = if kill { fates } else { fates - 1 };
        for _ in 0..checked {
            self.check_fate(&Arc::new(storage.crash(ch.seed())))?;
        }
        if kill {
            storage.power_off_after(u64::MAX);
            return Ok(Arc::clone(storage));
        }
        Ok(Arc::new(storage.crash(ch.seed())))
    }
}

/// Open options for a run: group commit or a sync per write, and snapshots by hand only or
/// every few hundred bytes of journal.
pub fn random_options(ch: &mut impl Choose) -> OpenOptions {
    let commit = if ch.chance(50) {
        Commit::Group
    } else {
        Commit::PerWrite
    };
    options(
        commit,
        [None, Some(200), Some(700), Some(2_000)][ch.below(4) as usize],
    )
}

/// A run from an empty disk: `lives` lives (see [`Checker::life`]), each with a random power-off
/// point (now and then during recovery, now and then none: a crash after a clean stop), up to
/// six steps and `fates` recoveries, one in five ending with a process kill rather than a
/// power loss; then the last life's storage is recovered once more. Returns what
/// the checks went through, or the first violation.
pub fn run(
    options: OpenOptions,
    lives: u32,
    fates: u32,
    ch: &mut impl Choose,
) -> Result<Stats, String> {
    let mut c = Checker::new(options);
    let mut storage = Arc::new(SimStorage::new());
    for life in 0..lives {
        let power_off = match ch.below(10) {
            0 => u64::MAX,
            1 => u64::from(ch.below(4)),
            _ => u64::from(ch.below(24)),
        };
        let steps = 1 + ch.below(6);
        let kill = ch.chance(20);
        storage = c
            .life(&storage, power_off, steps, fates, kill, ch)
            .map_err(|e| {
                format!("life {life} (power off after {power_off} operations, kill {kill}): {e}")
            })?;
    }
    c.open(&storage, false)
        .map_err(|e| format!("the last recovery: {e}"))?;
    Ok(c.stats)
}

/// The plain model's checks of a recovered state `s` (see the module docs): `plain` is the
/// model after the recovered prefix, `acked` after the acknowledged one.
pub fn plain_checks(s: &State, plain: &Plain, acked: &Plain) -> Result<(), String> {
    for i in 0..MANAGEMENT {
        let m = mgmt(i);
        let holders: Vec<TenantId> = s
            .tenants()
            .map(|t| t.id)
            .filter(|t| s.pool().held_by(*t).any(|n| n == m))
            .collect();
        if holders.len() > 1 {
            return Err(format!("{m} is held by {holders:?}"));
        }
        if holders.first() != plain.holders.get(&m)
            || s.pool().holder(m) != plain.holders.get(&m).copied()
        {
            return Err(format!(
                "{m} is held by {holders:?} ({:?}), the plain model says {:?}",
                s.pool().holder(m),
                plain.holders.get(&m)
            ));
        }
    }
    let live: BTreeMap<BindingId, (TenantId, Timestamp)> = bindings(s)
        .map(|b| (b.id, (b.tenant, b.expires_at)))
        .collect();
    if live != plain.live {
        return Err(format!(
            "live bindings (tenant, expiry) {live:?}, the plain model has {:?}",
            plain.live
        ));
    }
    if let Some(id) = acked.gone.iter().find(|id| s.binding(**id).is_some()) {
        return Err(format!(
            "{id} was released or expired (acknowledged) and is back"
        ));
    }
    Ok(())
}

/// The live bindings of `s`, by id: looked up one by one, as iterating the state's table is slow
/// in debug builds (the ids of a history are few).
pub fn bindings(s: &State) -> impl Iterator<Item = &Binding> + '_ {
    (1..s.next_binding_id().raw()).filter_map(|id| s.binding(BindingId::from_raw(id)))
}
