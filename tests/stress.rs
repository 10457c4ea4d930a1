//! Concurrency stress test of the [`Registry`]: more threads than cores, writers churning
//! bindings while readers route, and every answer checked against what the state allowed at some
//! instant.
//!
//! Two writer threads, one per tenant, each on its own tenant's usage numbers: bind, update
//! (counterpart, policy, expiry), suspend/resume, unbind, and sweeps that expire bindings, with
//! the clock running one second per write. Four reader threads call [`Registry::route`] (strings)
//! and [`Registry::route_dialed`] in a tight loop. The data checks itself:
//!
//! - A party of binding slot (tenant `t`, usage number `n`, slot `j`) is `1380 t n j 0000`; its
//!   counterpart in generation `g` is `139 t n j ggggg` (GXB: group members `137 t j k ggggg`).
//!   Each bind or counterpart update takes a new generation, and the policy's recording flag is
//!   the generation's parity.
//! - Writers publish each binding id's (tenant, number, slot, first and last generation) in a
//!   table; the last generation is raised *before* an update runs.
//!
//! So a reader that gets a `Route` checks: the tenant owns the dialled number and the binding id
//! is that tenant's, for the dialled slot (isolation); the destination is that slot's party, in a
//! generation the binding had, with the recording flag of that generation (no torn read: target,
//! flags and binding id come from different words of an entry); the display is the dialled
//! number. Any other answer must be an announcement or one of NoBinding, CallerNotPermitted and
//! BindingSuspended (for a caller of another tenant: only NoBinding or CallerNotPermitted);
//! `Unavailable` or anything else fails.
//!
//! `NP700_STRESS_SECS` sets how long readers and writers run (default 3).

use np700::binding::{MediaSet, Targets};
use np700::index::layout::Capacity;
use np700::number::parse_dialed;
use np700::{
    BindRequest, BindingId, Command, Config, Counterpart, Decision, Error, Event, LicensedBlock,
    ManagementNumber, Media, Mode, NumberChoice, Parties, Policy, Registry, RejectReason,
    SubscriberNumber, TenantId, Timestamp, UsageNumber,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const T0: u64 = 1_767_225_600;
const TENANTS: u64 = 2;
/// AXB usage numbers per tenant (sub-numbers 0..AXB_NUMBERS), with AXB_SLOTS A parties each.
const AXB_NUMBERS: u64 = 6;
const AXB_SLOTS: u64 = 3;
/// The sub-number carrying each tenant's GXB bindings, with GXB_SLOTS of them.
const GXB_N: u64 = 8;
const GXB_SLOTS: u64 = 2;
const GROUP: u64 = 2;
/// Generations fit in five digits.
const MAX_GEN: u64 = 99_999;
/// Binding ids the check table holds; writers stop binding before ids get there.
const MAX_IDS: usize = 1 << 21;
const QUARANTINE: u64 = 5;

fn secs() -> u64 {
    std::env::var("NP700_STRESS_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

// ---------------------------------------------------------------------------------------------
// Numbers that say whose they are.

fn mgmt(t: u64) -> ManagementNumber {
    ManagementNumber::new(70_012_340_000 + t).unwrap()
}
fn usage(t: u64, n: u64) -> UsageNumber {
    mgmt(t).usage(n as u16).unwrap()
}
fn national(digits: u64) -> SubscriberNumber {
    SubscriberNumber::parse(&digits.to_string()).unwrap()
}
/// The fixed party of slot (t, n, j): AXB's A, GXB's b.
fn party(t: u64, n: u64, j: u64) -> SubscriberNumber {
    national(13_800_000_000 + t * 10_000_000 + n * 1_000_000 + j * 100_000)
}
/// AXB's B of slot (t, n, j) in generation g.
fn counterpart(t: u64, n: u64, j: u64, g: u64) -> SubscriberNumber {
    national(13_900_000_000 + t * 10_000_000 + n * 1_000_000 + j * 100_000 + g)
}
/// Member k of GXB slot (t, j)'s group in generation g.
fn member(t: u64, j: u64, k: u64, g: u64) -> SubscriberNumber {
    national(13_700_000_000 + t * 10_000_000 + j * 1_000_000 + k * 100_000 + g)
}

/// What a subscriber number says about itself.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Who {
    Party { t: u64, n: u64, j: u64 },
    Counterpart { t: u64, n: u64, j: u64, g: u64 },
    Member { t: u64, j: u64, k: u64, g: u64 },
}

fn who(s: SubscriberNumber) -> Option<Who> {
    let e = s.e164();
    if e / 100_000_000_000 != 86 {
        return None;
    }
    let d = e % 100_000_000_000;
    let (prefix, t, a, b, rest) = (
        d / 100_000_000,
        d / 10_000_000 % 10,
        d / 1_000_000 % 10,
        d / 100_000 % 10,
        d % 100_000,
    );
    match prefix {
        138 if rest == 0 => Some(Who::Party { t, n: a, j: b }),
        139 => Some(Who::Counterpart {
            t,
            n: a,
            j: b,
            g: rest,
        }),
        137 => Some(Who::Member {
            t,
            j: a,
            k: b,
            g: rest,
        }),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// What writers publish for readers to check against.

/// Binding id → (tenant, number, slot, first generation, last generation), packed; 0 = unknown.
struct Published {
    ids: Vec<AtomicU64>,
    /// The latest generation handed out per slot (readers dial recent counterparts).
    gens: Vec<AtomicU64>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Record {
    t: u64,
    n: u64,
    j: u64,
    first: u64,
    last: u64,
}

impl Record {
    fn pack(&self) -> u64 {
        1 << 63 | self.t << 56 | self.n << 48 | self.j << 40 | self.first << 20 | self.last
    }
    fn unpack(w: u64) -> Option<Record> {
        (w >> 63 == 1).then_some(Record {
            t: (w >> 56) & 0x7F,
            n: (w >> 48) & 0xFF,
            j: (w >> 40) & 0xFF,
            first: (w >> 20) & 0xF_FFFF,
            last: w & 0xF_FFFF,
        })
    }
}

fn slot_index(t: u64, n: u64, j: u64) -> usize {
    ((t * 16 + n) * 16 + j) as usize
}

impl Published {
    fn new() -> Published {
        Published {
            ids: (0..MAX_IDS).map(|_| AtomicU64::new(0)).collect(),
            gens: (0..slot_index(TENANTS + 1, 0, 0))
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }
    fn set(&self, id: BindingId, r: Record) {
        self.ids[id.raw() as usize].store(r.pack(), Ordering::Release);
    }
    /// The record of `id`, waiting for its writer to publish it (it does so right after the
    /// bind returns, which can be after a reader already routes through it).
    fn get(&self, id: BindingId) -> Record {
        let w = self
            .ids
            .get(id.raw() as usize)
            .unwrap_or_else(|| panic!("binding id {} out of range", id.raw()));
        let start = Instant::now();
        loop {
            if let Some(r) = Record::unpack(w.load(Ordering::Acquire)) {
                return r;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "a route names binding {} that no writer made",
                id.raw()
            );
            std::thread::yield_now();
        }
    }
    fn gen_of(&self, t: u64, n: u64, j: u64) -> u64 {
        self.gens[slot_index(t, n, j)].load(Ordering::Relaxed)
    }
}

// ---------------------------------------------------------------------------------------------
// A small deterministic generator (splitmix64).

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ---------------------------------------------------------------------------------------------
// Writers.

#[derive(Default, Debug, Clone)]
struct WriterCounts {
    binds: u64,
    conflicts: u64,
    updates: u64,
    suspends: u64,
    resumes: u64,
    unbinds: u64,
    extensions: u64,
    sweeps: u64,
    expired: u64,
    ended_meanwhile: u64,
    flips: u64,
}

#[derive(Copy, Clone)]
struct Live {
    id: BindingId,
    suspended: bool,
}

fn policy(g: u64) -> Policy {
    Policy {
        media: MediaSet::ALL,
        record: g % 2 == 1,
        ..Policy::default()
    }
}

fn axb(t: u64, n: u64, j: u64, g: u64) -> Parties<NumberChoice> {
    Parties::Axb {
        a: party(t, n, j),
        x: NumberChoice::Given(usage(t, n)),
        b: counterpart(t, n, j, g),
    }
}

fn group(t: u64, j: u64, g: u64) -> Vec<SubscriberNumber> {
    (0..GROUP).map(|k| member(t, j, k, g)).collect()
}

fn gxb(t: u64, j: u64, g: u64) -> Parties<NumberChoice> {
    Parties::Gxb {
        group: group(t, j, g),
        x: NumberChoice::Given(usage(t, GXB_N)),
        b: party(t, GXB_N, j),
    }
}

struct Shared {
    registry: Registry,
    published: Published,
    clock: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_secs(self.clock.load(Ordering::Relaxed))
    }
    fn tick(&self) -> Timestamp {
        Timestamp::from_unix_secs(self.clock.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

fn writer(s: &Shared, t: u64, gxb_on: bool) -> WriterCounts {
    let tenant = TenantId::from_raw(t as u32);
    let mut rng = Rng(0x5eed ^ t);
    let mut c = WriterCounts::default();
    let mut slots: Vec<(u64, u64)> = (0..AXB_NUMBERS)
        .flat_map(|n| (0..AXB_SLOTS).map(move |j| (n, j)))
        .collect();
    if gxb_on {
        slots.extend((0..GXB_SLOTS).map(|j| (GXB_N, j)));
    }
    let mut live: Vec<Option<Live>> = vec![None; slots.len()];
    let mut last_index = Arc::as_ptr(&s.registry.index());
    let mut may_bind = true;
    let mut op = 0u64;
    while !s.stop.load(Ordering::Relaxed) {
        op += 1;
        let now = s.tick();
        if op.is_multiple_of(32) {
            let events = s.registry.execute(&Command::Sweep, now).unwrap();
            c.sweeps += 1;
            c.expired += events
                .iter()
                .filter(|e| matches!(e, Event::Expired { .. }))
                .count() as u64;
        }
        let i = rng.below(slots.len() as u64) as usize;
        let (n, j) = slots[i];
        let gen_word = &s.published.gens[slot_index(t, n, j)];
        let next_gen = || {
            let g = gen_word.load(Ordering::Relaxed) + 1;
            (g <= MAX_GEN).then(|| {
                gen_word.store(g, Ordering::Relaxed);
                g
            })
        };
        // An error that only means the binding ended meanwhile (expired, maybe swept).
        let ended = |e: &Error| matches!(e, Error::BindingEnded(_));
        match live[i] {
            None => {
                let Some(g) = next_gen().filter(|_| may_bind) else {
                    continue;
                };
                let parties = if n == GXB_N {
                    gxb(t, j, g)
                } else {
                    axb(t, n, j, g)
                };
                let request = BindRequest {
                    tenant,
                    parties,
                    expires_at: now.plus_secs(20 + rng.below(200)),
                    policy: policy(g),
                    order_id: String::new(),
                    consent_ref: "stress".into(),
                    external_ref: String::new(),
                };
                match s.registry.bind(request, now) {
                    Ok(b) => {
                        let r = Record {
                            t,
                            n,
                            j,
                            first: g,
                            last: g,
                        };
                        s.published.set(b.id, r);
                        live[i] = Some(Live {
                            id: b.id,
                            suspended: false,
                        });
                        c.binds += 1;
                        may_bind = (b.id.raw() as usize) < MAX_IDS - 16;
                    }
                    Err(Error::NumberConflict { .. }) => c.conflicts += 1,
                    Err(e) => panic!("bind refused: {e}"),
                }
            }
            Some(l) => {
                let r = s.published.get(l.id);
                let result = match rng.below(10) {
                    0..=2 => {
                        let Some(g) = next_gen() else { continue };
                        // Raise the last generation before readers can see it.
                        s.published.set(l.id, Record { last: g, ..r });
                        let cp = if n == GXB_N {
                            Counterpart::Group(group(t, j, g))
                        } else {
                            Counterpart::B(counterpart(t, n, j, g))
                        };
                        let cmd = Command::Update {
                            tenant,
                            binding: l.id,
                            counterpart: Some(cp),
                            expires_at: None,
                            policy: Some(policy(g)),
                        };
                        let res = s.registry.execute(&cmd, now).map(drop);
                        if res.is_ok() {
                            c.updates += 1;
                        }
                        res
                    }
                    3..=4 => {
                        let cmd = if l.suspended {
                            Command::Resume {
                                tenant,
                                binding: l.id,
                            }
                        } else {
                            Command::Suspend {
                                tenant,
                                binding: l.id,
                            }
                        };
                        let res = s.registry.execute(&cmd, now).map(drop);
                        if res.is_ok() {
                            if l.suspended {
                                c.resumes += 1;
                            } else {
                                c.suspends += 1;
                            }
                            live[i] = Some(Live {
                                suspended: !l.suspended,
                                ..l
                            });
                        }
                        res
                    }
                    5..=6 => {
                        let res = s.registry.unbind(tenant, l.id, now);
                        if res.is_ok() {
                            c.unbinds += 1;
                            live[i] = None;
                        }
                        res
                    }
                    7 => {
                        let cmd = Command::Update {
                            tenant,
                            binding: l.id,
                            counterpart: None,
                            expires_at: Some(now.plus_secs(20 + rng.below(200))),
                            policy: None,
                        };
                        let res = s.registry.execute(&cmd, now).map(drop);
                        if res.is_ok() {
                            c.extensions += 1;
                        }
                        res
                    }
                    // Leave it alone: it may expire.
                    _ => Ok(()),
                };
                match result {
                    Ok(()) => {}
                    Err(e) if ended(&e) => {
                        c.ended_meanwhile += 1;
                        live[i] = None;
                    }
                    Err(Error::NumberConflict { .. }) => c.conflicts += 1,
                    Err(e) => panic!("tenant {t}: change of binding {} refused: {e}", l.id.raw()),
                }
            }
        }
        let index = Arc::as_ptr(&s.registry.index());
        if index != last_index {
            c.flips += 1;
            last_index = index;
        }
    }
    c
}

// ---------------------------------------------------------------------------------------------
// Readers.

#[derive(Default, Debug, Clone)]
struct ReaderCounts {
    lookups: u64,
    routes: u64,
    group_routes: u64,
    announces: u64,
    no_binding: u64,
    not_permitted: u64,
    suspended: u64,
    collect: u64,
    string_api: u64,
    max_latency: Duration,
}

impl ReaderCounts {
    fn add(&mut self, o: &ReaderCounts) {
        self.lookups += o.lookups;
        self.routes += o.routes;
        self.group_routes += o.group_routes;
        self.announces += o.announces;
        self.no_binding += o.no_binding;
        self.not_permitted += o.not_permitted;
        self.suspended += o.suspended;
        self.collect += o.collect;
        self.string_api += o.string_api;
        self.max_latency = self.max_latency.max(o.max_latency);
    }
}

/// Who calls which slot.
#[derive(Copy, Clone, Debug)]
enum Caller {
    /// The slot's fixed party (AXB's A, GXB's b).
    Party,
    /// The slot's counterpart (AXB's B, GXB's group member 0 or 1) in generation `g`.
    Counterpart { g: u64, k: u64 },
    /// A party of the other tenant: never routed.
    Stranger(SubscriberNumber),
}

fn check(
    p: &Published,
    t: u64,
    n: u64,
    j: u64,
    caller: Caller,
    d: &Decision,
    c: &mut ReaderCounts,
) {
    let x = usage(t, n);
    let ctx = || format!("tenant {t}, number {n}, slot {j}, caller {caller:?}: {d:?}");
    let route = match d {
        Decision::Route(r) => r,
        Decision::Announce { .. } => {
            assert!(!matches!(caller, Caller::Stranger(_)), "{}", ctx());
            c.announces += 1;
            return;
        }
        Decision::Reject { reason } => {
            match reason {
                RejectReason::NoBinding => c.no_binding += 1,
                RejectReason::CallerNotPermitted => c.not_permitted += 1,
                RejectReason::BindingSuspended if !matches!(caller, Caller::Stranger(_)) => {
                    c.suspended += 1
                }
                _ => panic!("refusal the state never gave: {}", ctx()),
            }
            return;
        }
        Decision::CollectDigits { .. } => panic!("{}", ctx()),
    };
    c.routes += 1;
    // Isolation: the owner of the dialled number, its binding, its parties.
    assert_eq!(route.tenant, TenantId::from_raw(t as u32), "{}", ctx());
    let r = p.get(route.binding);
    assert_eq!(
        (r.t, r.n, r.j),
        (t, n, j),
        "binding of another slot: {}",
        ctx()
    );
    assert_eq!(route.display, x, "{}", ctx());
    let gxb = n == GXB_N;
    assert_eq!(
        route.mode,
        if gxb { Mode::Gxb } else { Mode::Axb },
        "{}",
        ctx()
    );
    let in_range = |g: u64| r.first <= g && g <= r.last;
    let g = match caller {
        Caller::Stranger(_) => panic!("routed a caller of another tenant: {}", ctx()),
        Caller::Party => {
            let to: Vec<Option<Who>> = route.to.iter().map(who).collect();
            if gxb {
                c.group_routes += 1;
                let Some(Who::Member { g, .. }) = to[0] else {
                    panic!("{}", ctx())
                };
                let want: Vec<Option<Who>> = (0..GROUP)
                    .map(|k| Some(Who::Member { t, j, k, g }))
                    .collect();
                assert_eq!(to, want, "group mixed up: {}", ctx());
                g
            } else {
                let [
                    Some(Who::Counterpart {
                        t: bt,
                        n: bn,
                        j: bj,
                        g,
                    }),
                ] = to[..]
                else {
                    panic!("{}", ctx())
                };
                assert_eq!((bt, bn, bj), (t, n, j), "another slot's party: {}", ctx());
                g
            }
        }
        Caller::Counterpart { g, .. } => {
            assert_eq!(route.to, Targets::one(party(t, n, j)), "{}", ctx());
            g
        }
    };
    assert!(
        in_range(g),
        "generation {g} was never binding {}'s ({r:?}): {}",
        route.binding.raw(),
        ctx()
    );
    assert_eq!(route.record, g % 2 == 1, "torn read (flags): {}", ctx());
}

fn reader(s: &Shared, seed: u64, gxb_on: bool) -> ReaderCounts {
    let mut rng = Rng(seed);
    let mut c = ReaderCounts::default();
    let p = &s.published;
    while !s.stop.load(Ordering::Relaxed) {
        for _ in 0..64 {
            let t = 1 + rng.below(TENANTS);
            let gxb = gxb_on && rng.below(4) == 0;
            let (n, j) = if gxb {
                (GXB_N, rng.below(GXB_SLOTS))
            } else {
                (rng.below(AXB_NUMBERS), rng.below(AXB_SLOTS))
            };
            let x = usage(t, n);
            let caller = match rng.below(8) {
                0..=3 => Caller::Party,
                4..=6 => Caller::Counterpart {
                    g: p.gen_of(t, n, j).saturating_sub(rng.below(3)).max(1),
                    k: rng.below(GROUP),
                },
                _ => {
                    let other = if t == 1 { 2 } else { 1 };
                    Caller::Stranger(if rng.below(2) == 0 {
                        party(other, n, j)
                    } else {
                        counterpart(other, n, j, p.gen_of(other, n, j).max(1))
                    })
                }
            };
            let number = match caller {
                Caller::Party => party(t, n, j),
                Caller::Counterpart { g, k } if gxb => member(t, j, k, g),
                Caller::Counterpart { g, .. } => counterpart(t, n, j, g),
                Caller::Stranger(s) => s,
            };
            let now = s.now();
            let media = if rng.below(2) == 0 {
                Media::Voice
            } else {
                Media::Sms
            };
            let start = Instant::now();
            let d = if rng.below(4) == 0 {
                // The string API, in the shapes switches send.
                c.string_api += 1;
                let caller = match rng.below(3) {
                    0 => format!("{}", number.e164() % 100_000_000_000),
                    1 => format!("+{}", number.e164()),
                    _ => format!("+86 {}", number.e164() % 100_000_000_000),
                };
                let dialed = match rng.below(3) {
                    0 => format!("{x}"),
                    1 => format!("+86{x}"),
                    _ => format!("0086-{x}"),
                };
                s.registry.route(&caller, &dialed, media, now)
            } else {
                let dialed = parse_dialed(&x.to_string()).unwrap();
                s.registry.route_dialed(Some(number), dialed, media, now)
            };
            c.max_latency = c.max_latency.max(start.elapsed());
            c.lookups += 1;
            check(p, t, n, j, caller, &d, &mut c);
            if rng.below(64) == 0 {
                // The management number alone: collect the rest.
                let m = parse_dialed(&mgmt(t).value().to_string()).unwrap();
                let d = s.registry.route_dialed(Some(number), m, media, now);
                assert!(matches!(d, Decision::CollectDigits { needed: 4 }), "{d:?}");
                c.collect += 1;
            }
        }
    }
    c
}

// ---------------------------------------------------------------------------------------------

fn setup() -> Registry {
    let config = Config {
        binding_quarantine_secs: QUARANTINE,
        ..Config::default()
    };
    // A tiny index, so it grows (rebuild and flip) under the readers; churn of counterparts
    // leaves tombstones that make it rebuild again and again.
    let cap = Capacity {
        entries: 16,
        directory: 4,
        tenants: 2,
        pages: 1,
        extras: 2,
    };
    let registry = Registry::new(config, cap);
    let now = Timestamp::from_unix_secs(T0);
    let run = |c: Command| registry.execute(&c, now).expect("setup");
    for t in 1..=TENANTS {
        run(Command::RegisterTenant {
            name: format!("tenant {t}"),
            scenarios: vec![],
            pair_cap: None,
        });
    }
    run(Command::LicenseBlock(LicensedBlock {
        first: mgmt(1),
        count: TENANTS as u32 + 1,
    }));
    for t in 1..=TENANTS {
        run(Command::AssignNumber {
            tenant: TenantId::from_raw(t as u32),
            number: mgmt(t),
            tags: vec![],
        });
    }
    registry
}

#[test]
fn routes_stay_consistent_and_isolated_under_churn() {
    let gxb_on = std::env::var("NP700_STRESS_GXB").map_or(true, |v| v != "0");
    let shared = Arc::new(Shared {
        registry: setup(),
        published: Published::new(),
        clock: AtomicU64::new(T0),
        stop: AtomicBool::new(false),
    });
    let failed = Arc::new(Mutex::new(None::<String>));
    let start = Instant::now();
    let writers: Vec<_> = (1..=TENANTS)
        .map(|t| {
            let s = Arc::clone(&shared);
            std::thread::spawn(move || writer(&s, t, gxb_on))
        })
        .collect();
    let readers: Vec<_> = (0..4u64)
        .map(|i| {
            let s = Arc::clone(&shared);
            std::thread::spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    reader(&s, 0xabc0 + i, gxb_on)
                }));
                if r.is_err() {
                    s.stop.store(true, Ordering::Relaxed);
                }
                r
            })
        })
        .collect();
    let deadline = start + Duration::from_secs(secs());
    while Instant::now() < deadline && !shared.stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(20));
    }
    shared.stop.store(true, Ordering::Relaxed);
    let mut w = WriterCounts::default();
    for h in writers {
        let c = h.join().expect("writer panicked");
        w.binds += c.binds;
        w.conflicts += c.conflicts;
        w.updates += c.updates;
        w.suspends += c.suspends;
        w.resumes += c.resumes;
        w.unbinds += c.unbinds;
        w.extensions += c.extensions;
        w.sweeps += c.sweeps;
        w.expired += c.expired;
        w.ended_meanwhile += c.ended_meanwhile;
        w.flips = w.flips.max(c.flips);
    }
    let mut r = ReaderCounts::default();
    for h in readers {
        match h.join().expect("reader thread") {
            Ok(c) => r.add(&c),
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failed.lock().unwrap().get_or_insert(msg);
            }
        }
    }
    let elapsed = start.elapsed();
    eprintln!("stress: {elapsed:.1?}, writers {w:?}");
    eprintln!("stress: readers {r:?}");
    if let Some(msg) = failed.lock().unwrap().take() {
        panic!("a reader saw an answer the state never allowed: {msg}");
    }
    assert!(r.routes > 0, "no routes: {r:?}");
    assert!(
        r.no_binding + r.not_permitted + r.suspended > 0,
        "no refusals: {r:?}"
    );
    assert!(r.announces > 0, "no announcements: {r:?}");
    assert!(!gxb_on || r.group_routes > 0, "no group routes: {r:?}");
    assert!(w.binds > 0 && w.updates > 0 && w.unbinds > 0, "{w:?}");
    assert!(w.suspends > 0 && w.resumes > 0 && w.expired > 0, "{w:?}");
}
