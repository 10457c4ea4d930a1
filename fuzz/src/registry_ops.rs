//! `registry_ops`: bytes → a sequence of commands over a small universe (three tenants and an
//! unknown one, six management numbers of which four are licensed, eight subscribers), as in
//! `tests/model.rs`, so that pair caps, conflicts, quarantines and tenant changes are reached within
//! a few steps. Each command runs into a pure [`State`] and into a [`Registry`] whose index starts
//! tiny, so growth (successor filled over writes, then a flip) happens in most inputs. The first
//! bytes choose where the index lives — in private memory, or in a shared mapping (a file) that a
//! [`SharedIndex`] reader is attached to, as a switch process would be — and its initial size. A
//! step may also restart the writer: a new one takes over (the same path, in shared mode) and
//! recovers by running the same commands again.
//!
//! After every step:
//!
//! - both gave the same result (the same events, or the same error), and the registry's state is
//!   the pure state; a refused command changed nothing; a restarted writer has the same state, and
//!   the shared reader has moved to the writer's latest index;
//! - the state replayed from all events so far equals the live state;
//! - no management number is held by two tenants;
//! - (X, caller) resolves to at most one live binding, and an exclusive (AXN) binding is alone;
//! - for every (caller, dialled) pair of the universe, at now and at two later instants, the
//!   lock-free index (and the shared reader, following the index's growth) answers exactly as the
//!   state does (usage numbers for both media, management numbers, a partial number, and dial
//!   strings);
//! - every route goes through a live, unexpired, active binding of the tenant holding the number
//!   (never one that ended), along that binding's own entry, never back to the caller, and never
//!   takes a quarantined caller to someone other than the party it reached before.
//!
//! There is no reference model here (tests/model.rs has one): commands need not be valid, and
//! invalid ones (bad references, windows, groups, caps, blocks) are generated on purpose.

use arbitrary::{Arbitrary, Unstructured};
use np700::binding::{Direction, MediaSet, Party, TimeWindow};
use np700::command::Counterpart;
use np700::index::SharedIndex;
use np700::index::layout::Capacity;
use np700::pool::TagMatch;
use np700::route::AnnounceReason;
use np700::tenant::{Scenario, ViolationKind};
use np700::{
    BindRequest, BindingId, Command, Config, Decision, DialedNumber, Event, LicensedBlock,
    ManagementNumber, Media, NumberChoice, Parties, Policy, Registry, Selection, State,
    SubscriberNumber, Tag, TenantId, TenantStatus, Timestamp, UsageNumber,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const T0: u64 = 1_767_225_600;
const BINDING_Q: u64 = 30;
const NUMBER_Q: u64 = 60;
/// Longer inputs are cut here: a step costs about a thousand route checks.
const MAX_OPS: usize = 48;
/// When routes are compared, relative to now: now, the next second (an expiry at now + 1), and
/// past the binding quarantine (entries of bindings expiring meanwhile become quarantines).
const ROUTE_OFFSETS: [u64; 3] = [0, 1, BINDING_Q + 1];

/// Six Chinese mobiles, a Beijing fixed line and a UK mobile: different digit counts exercise the
/// index's packing of numbers.
const PEOPLE: [u64; 8] = [
    8613800000000,
    8613800000001,
    8613800000002,
    8613800000003,
    8613800000004,
    8613800000005,
    861012345678,
    447911123456,
];

fn person(i: u8) -> SubscriberNumber {
    let e164 = PEOPLE[usize::from(i) % PEOPLE.len()];
    SubscriberNumber::from_e164(e164).expect("valid subscriber")
}

fn stranger() -> SubscriberNumber {
    SubscriberNumber::from_e164(8613900000000).expect("valid subscriber")
}

/// Management numbers 0..4 are licensed at the start, 4 and 5 only by a `LicenseBlock` op.
const MANAGEMENT: usize = 6;

fn mgmt(i: usize) -> ManagementNumber {
    ManagementNumber::new(70012340000 + (i % MANAGEMENT) as u64).expect("valid management number")
}

/// Ten usage numbers: two under each licensed management number (so few that caps and conflicts
/// are hit), one of an unlicensed block, and the last of another.
fn usage(i: u8) -> UsageNumber {
    let i = usize::from(i) % 10;
    let (m, sub) = match i {
        0..8 => (i / 2, (i % 2) as u16),
        8 => (4, 0),
        _ => (5, 9_999),
    };
    mgmt(m).usage(sub).expect("sub-number in range")
}

// ---------------------------------------------------------------------------------------------
// What the fuzzer's bytes decode to.

/// A tenant: mostly the two registered at the start, sometimes one registered later, or none.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct TenantPick(u8);

impl TenantPick {
    fn id(self) -> TenantId {
        TenantId::from_raw([1, 2, 1, 2, 1, 2, 3, 0][usize::from(self.0 % 8)])
    }
}

/// A binding id among those given so far, or 0 / the next one (never given).
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct BindingPick(u8);

impl BindingPick {
    fn id(self, state: &State) -> BindingId {
        let next = state.next_binding_id().raw();
        BindingId::from_raw(u64::from(self.0) % (next + 1))
    }
}

/// A usage number: one of the universe, or picked by the state.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum XPick {
    Given(u8),
    Auto {
        sticky: Option<u8>,
        /// `Some(strict)`: ask for the tag some numbers get when assigned.
        tag: Option<bool>,
    },
}

impl XPick {
    fn choice(self) -> NumberChoice {
        match self {
            XPick::Given(i) => NumberChoice::Given(usage(i)),
            XPick::Auto { sticky, tag } => NumberChoice::Auto(Selection {
                tag: tag.map(|strict| TagMatch {
                    tag: tag_beijing(),
                    strict,
                }),
                sticky_for: sticky.map(person),
            }),
        }
    }
}

fn tag_beijing() -> Tag {
    Tag::new("beijing").expect("valid tag")
}

#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ModePick {
    Axb,
    Axn { with_n: bool },
    Axyb,
    Gxb { members: u8 },
}

#[derive(Arbitrary, Clone, Debug)]
pub struct PolicyPick {
    /// 0 voice, 1 SMS, 2 nothing (refused), else both.
    media: u8,
    /// 0 A→B only, 1 B→A only, else both.
    direction: u8,
    /// An AXN allow-list of these people and the stranger (refused in other modes).
    allow: Option<[u8; 2]>,
    /// Minutes, mostly valid (below 1440).
    window: Option<(u16, u16)>,
    record: bool,
}

impl PolicyPick {
    fn policy(&self) -> Policy {
        Policy {
            media: match self.media % 4 {
                0 => MediaSet::VOICE_ONLY,
                1 => MediaSet::SMS_ONLY,
                2 => MediaSet {
                    voice: false,
                    sms: false,
                },
                _ => MediaSet::ALL,
            },
            direction: match self.direction % 3 {
                0 => Direction::AToBOnly,
                1 => Direction::BToAOnly,
                _ => Direction::Both,
            },
            allowed_callers: self
                .allow
                .map(|[a, b]| vec![person(a), person(b), stranger()])
                .unwrap_or_default(),
            window: self.window.map(|(s, e)| TimeWindow {
                start_minute: s % 1500,
                end_minute: e % 1500,
            }),
            record: self.record,
        }
    }
}

/// The texts of a request: valid ones mostly, and each way a text can be refused.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub struct RefsPick(u8);

impl RefsPick {
    fn apply(self, req: &mut BindRequest) {
        match self.0 % 10 {
            6 => req.consent_ref.clear(),
            7 => req.order_id = "o".repeat(65),
            8 => req.external_ref = "ext\nref".into(),
            9 => req.order_id = "订".repeat(21) + "o", // exactly 64 bytes, valid
            _ => {}
        }
    }
}

#[derive(Arbitrary, Clone, Debug)]
pub struct BindOp {
    tenant: TenantPick,
    mode: ModePick,
    people: [u8; 4],
    x: XPick,
    y: XPick,
    /// When it expires: see [`expiry`].
    life: u8,
    policy: PolicyPick,
    refs: RefsPick,
}

#[derive(Arbitrary, Clone, Debug)]
pub enum CounterpartPick {
    B(u8),
    N(Option<u8>),
    Group(Vec<u8>),
}

#[derive(Arbitrary, Clone, Debug)]
pub struct UpdateOp {
    tenant: TenantPick,
    binding: BindingPick,
    counterpart: Option<CounterpartPick>,
    life: Option<u8>,
    policy: Option<PolicyPick>,
}

/// One step. The choice of step is weighted by hand (binds and time matter most); the payloads are
/// derived.
#[derive(Clone, Debug)]
pub enum Op {
    Advance {
        secs: u8,
        long: bool,
    },
    Bind(BindOp),
    Update(UpdateOp),
    Unbind(TenantPick, BindingPick),
    Suspend(TenantPick, BindingPick),
    Resume(TenantPick, BindingPick),
    Sweep,
    Assign {
        tenant: TenantPick,
        m: u8,
        tagged: bool,
    },
    Reclaim {
        tenant: TenantPick,
        m: u8,
    },
    TenantStatus {
        tenant: TenantPick,
        status: u8,
    },
    RegisterTenant {
        name: u8,
        pair_cap: Option<u8>,
    },
    RecordViolation {
        tenant: TenantPick,
        kind: u8,
        note_ok: bool,
    },
    LicenseBlock {
        first: u8,
        count: u8,
    },
    /// The writer dies and a new one starts, with this initial capacity (as in [`Input`]).
    RestartWriter {
        capacity: [u8; 5],
    },
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=24)? {
            0..=2 => Op::Advance {
                secs: u.arbitrary()?,
                long: u.arbitrary()?,
            },
            3 => Op::RestartWriter {
                capacity: u.arbitrary()?,
            },
            4..=11 => Op::Bind(u.arbitrary()?),
            12..=13 => Op::Update(u.arbitrary()?),
            14..=15 => Op::Unbind(u.arbitrary()?, u.arbitrary()?),
            16 => Op::Suspend(u.arbitrary()?, u.arbitrary()?),
            17 => Op::Resume(u.arbitrary()?, u.arbitrary()?),
            18 => Op::Sweep,
            19 => Op::Assign {
                tenant: u.arbitrary()?,
                m: u.arbitrary()?,
                tagged: u.arbitrary()?,
            },
            20 => Op::Reclaim {
                tenant: u.arbitrary()?,
                m: u.arbitrary()?,
            },
            21 => Op::TenantStatus {
                tenant: u.arbitrary()?,
                status: u.arbitrary()?,
            },
            22 => Op::RegisterTenant {
                name: u.arbitrary()?,
                pair_cap: u.arbitrary()?,
            },
            23 => Op::RecordViolation {
                tenant: u.arbitrary()?,
                kind: u.arbitrary()?,
                note_ok: u.arbitrary()?,
            },
            _ => Op::LicenseBlock {
                first: u.arbitrary()?,
                count: u.arbitrary()?,
            },
        })
    }
}

/// A whole input.
#[derive(Clone, Debug)]
pub struct Input {
    /// The registry publishes its index in a shared mapping (a file), and a [`SharedIndex`]
    /// reader attached to it must answer as the state too, following every growth.
    pub shared: bool,
    /// The index's initial capacity: every part tiny (0..=7, zero included), so growth and flips
    /// start from each kind of shortage.
    pub capacity: Capacity,
    /// The steps (at most [`MAX_OPS`]; a truncated last step is dropped).
    pub ops: Vec<Op>,
}

/// What `data` decodes to.
pub fn decode(data: &[u8]) -> Input {
    let mut u = Unstructured::new(data);
    let shared = bool::arbitrary(&mut u).unwrap_or(false);
    let capacity = tiny(<[u8; 5]>::arbitrary(&mut u).unwrap_or_default());
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < MAX_OPS {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    Input {
        shared,
        capacity,
        ops,
    }
}

// ---------------------------------------------------------------------------------------------
// Running them.

/// A tiny capacity (every part 0..=7, zero included), so growth and flips start from each kind of
/// shortage.
fn tiny(bytes: [u8; 5]) -> Capacity {
    let [entries, directory, tenants, pages, extras] = bytes.map(|b| usize::from(b % 8));
    Capacity {
        entries,
        directory,
        tenants,
        pages,
        extras,
    }
}

/// What a run went through, so a replay can check that its inputs reach the interesting paths.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// The index was in a shared mapping, with a reader attached.
    pub shared: bool,
    /// Commands both sides accepted.
    pub accepted: usize,
    /// Commands both sides refused.
    pub refused: usize,
    /// Bindings made.
    pub bound: usize,
    /// Route decisions compared that connected the call.
    pub routed: usize,
    /// Route decisions compared that played an announcement (quarantine).
    pub announced: usize,
    /// Times the registry flipped readers to a grown index after the setup (which grows it too).
    pub flips: u64,
    /// Times the writer was restarted.
    pub restarts: usize,
}

struct Run {
    config: Config,
    now: Timestamp,
    state: State,
    /// The writer (`None` only while it restarts).
    registry: Option<Registry>,
    /// The writer's index generation after the setup or its last restart.
    generation_base: u64,
    /// Every command run and when, for a restarted writer to run again.
    history: Vec<(Command, Timestamp)>,
    log: Vec<Event>,
    /// Bindings that were released or expired: they must never route again.
    ended: BTreeSet<BindingId>,
    /// The callers routes are checked for: every person, a stranger, and an unidentified caller.
    callers: Vec<Option<SubscriberNumber>>,
    /// A reader of the shared mapping, in shared mode.
    reader: Option<(SharedIndex, SharedFile)>,
    stats: Stats,
}

/// The file of a shared index (its staging file, and the control region beside it and its
/// staging file), removed when the run ends.
struct SharedFile(PathBuf);

impl SharedFile {
    fn new() -> SharedFile {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let dir = Path::new("/dev/shm");
        let dir = if dir.is_dir() {
            dir.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        SharedFile(dir.join(format!("np700-fuzz-{}-{n}", std::process::id())))
    }
}

impl Drop for SharedFile {
    fn drop(&mut self) {
        // The control region (`<index>.ctl`, 12 MB with the default controls) stays in /dev/shm
        // otherwise: a minute of fuzzing left 5 GB there.
        for suffix in ["", ".new", ".ctl", ".ctl.new"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Decodes `data` and runs it; panics on any violated property.
pub fn run(data: &[u8]) -> Stats {
    let input = decode(data);
    let mut run = Run::new(input.shared, input.capacity);
    for (i, op) in input.ops.iter().enumerate() {
        if let Op::RestartWriter { capacity } = op {
            run.restart(tiny(*capacity));
        }
        let Some(cmd) = run.command(op) else {
            run.check(&format!("after step {i} ({op:?})"));
            continue;
        };
        run.execute(&cmd, i);
        run.check(&format!("after step {i} ({cmd:?})"));
    }
    run.stats.flips += run.registry().index().generation() - run.generation_base;
    run.stats.shared = input.shared;
    run.stats
}

impl Run {
    fn new(shared: bool, tiny: Capacity) -> Run {
        let config = Config {
            binding_quarantine_secs: BINDING_Q,
            number_quarantine_secs: NUMBER_Q,
            default_pair_cap: 200,
            ..Config::default()
        };
        let (registry, reader) = if shared {
            let file = SharedFile::new();
            let registry = Registry::new_shared(config.clone(), tiny, &file.0)
                .unwrap_or_else(|e| panic!("{}: {e}", file.0.display()));
            let reader = SharedIndex::attach(&file.0)
                .unwrap_or_else(|e| panic!("attach {}: {e}", file.0.display()));
            (registry, Some((reader, file)))
        } else {
            (Registry::new(config.clone(), tiny), None)
        };
        let mut run = Run {
            registry: Some(registry),
            generation_base: 0,
            history: Vec::new(),
            reader,
            state: State::new(config.clone()),
            config,
            now: Timestamp::from_unix_secs(T0),
            log: Vec::new(),
            ended: BTreeSet::new(),
            callers: (0..PEOPLE.len() as u8)
                .map(|i| Some(person(i)))
                .chain([Some(stranger()), None])
                .collect(),
            stats: Stats::default(),
        };
        let setup = [
            Command::RegisterTenant {
                name: "parcels".into(),
                scenarios: vec![Scenario::Delivery],
                pair_cap: Some(2),
            },
            Command::RegisterTenant {
                name: "food".into(),
                scenarios: vec![],
                pair_cap: Some(3),
            },
            Command::LicenseBlock(LicensedBlock {
                first: mgmt(0),
                count: 4,
            }),
            assign(1, 0, true),
            assign(1, 1, false),
            assign(2, 2, true),
        ];
        for cmd in &setup {
            run.execute(cmd, usize::MAX);
        }
        assert_eq!(run.stats.refused, 0, "setup refused a command");
        run.stats = Stats::default();
        run.generation_base = run.registry().index().generation();
        run.check("after setup");
        run
    }

    fn registry(&self) -> &Registry {
        self.registry.as_ref().expect("a writer")
    }

    /// The writer process dies and a new one starts: in shared mode on the same path, where its
    /// index retires the old one and the reader must move to it. With no journal yet, it recovers
    /// by running the same commands at the same times, which must rebuild the same state.
    fn restart(&mut self, capacity: Capacity) {
        self.stats.restarts += 1;
        self.stats.flips += self.registry().index().generation() - self.generation_base;
        self.registry = None; // gone before the new one starts
        let registry = match &self.reader {
            Some((_, file)) => Registry::new_shared(self.config.clone(), capacity, &file.0)
                .unwrap_or_else(|e| panic!("restart on {}: {e}", file.0.display())),
            None => Registry::new(self.config.clone(), capacity),
        };
        for (cmd, at) in &self.history {
            let _ = registry.execute(cmd, *at);
        }
        registry.with_state(|s| {
            assert!(
                *s == self.state,
                "a restarted writer that ran the same commands has another state"
            );
        });
        self.generation_base = registry.index().generation();
        self.registry = Some(registry);
    }

    /// The command for `op` (`None` for a step that only moves time).
    fn command(&mut self, op: &Op) -> Option<Command> {
        Some(match op {
            Op::RestartWriter { .. } => return None,
            Op::Advance { secs, long } => {
                let secs = u64::from(*secs) * if *long { 10 } else { 1 };
                self.now = self.now.plus_secs(secs);
                return None;
            }
            Op::Bind(b) => {
                let [a, p1, p2, p3] = b.people.map(person);
                let parties = match b.mode {
                    ModePick::Axb => Parties::Axb {
                        a,
                        x: b.x.choice(),
                        b: p1,
                    },
                    ModePick::Axn { with_n } => Parties::Axn {
                        a,
                        x: b.x.choice(),
                        n: with_n.then_some(p1),
                    },
                    ModePick::Axyb => Parties::Axyb {
                        a,
                        x: b.x.choice(),
                        y: b.y.choice(),
                        b: p1,
                    },
                    ModePick::Gxb { members } => Parties::Gxb {
                        // 0 members is refused; 4 repeats someone (refused too).
                        group: [p1, p2, p3, p1][..usize::from(members % 5)].to_vec(),
                        x: b.x.choice(),
                        b: a,
                    },
                };
                let mut req = BindRequest {
                    tenant: b.tenant.id(),
                    parties,
                    expires_at: expiry(self.now, b.life),
                    policy: b.policy.policy(),
                    order_id: "order".into(),
                    consent_ref: "consent".into(),
                    external_ref: String::new(),
                };
                b.refs.apply(&mut req);
                Command::Bind(req)
            }
            Op::Update(up) => Command::Update {
                tenant: up.tenant.id(),
                binding: up.binding.id(&self.state),
                counterpart: up.counterpart.as_ref().map(|c| match c {
                    CounterpartPick::B(p) => Counterpart::B(person(*p)),
                    CounterpartPick::N(p) => Counterpart::N(p.map(person)),
                    // Up to 10 members: 9 and 10 are over the limit.
                    CounterpartPick::Group(ps) => {
                        Counterpart::Group(ps.iter().take(10).map(|p| person(*p)).collect())
                    }
                }),
                expires_at: up.life.map(|l| expiry(self.now, l)),
                policy: up.policy.as_ref().map(PolicyPick::policy),
            },
            Op::Unbind(t, b) => Command::Unbind {
                tenant: t.id(),
                binding: b.id(&self.state),
            },
            Op::Suspend(t, b) => Command::Suspend {
                tenant: t.id(),
                binding: b.id(&self.state),
            },
            Op::Resume(t, b) => Command::Resume {
                tenant: t.id(),
                binding: b.id(&self.state),
            },
            Op::Sweep => Command::Sweep,
            Op::Assign { tenant, m, tagged } => assign(tenant.id().raw(), usize::from(*m), *tagged),
            Op::Reclaim { tenant, m } => Command::ReclaimNumber {
                tenant: tenant.id(),
                number: mgmt(usize::from(*m)),
            },
            Op::TenantStatus { tenant, status } => Command::SetTenantStatus {
                tenant: tenant.id(),
                status: [
                    TenantStatus::Active,
                    TenantStatus::Suspended,
                    TenantStatus::Exited,
                ][usize::from(*status % 3)],
            },
            Op::RegisterTenant { name, pair_cap } => Command::RegisterTenant {
                name: match name % 4 {
                    0 => String::new(),
                    1 => "x".repeat(129),
                    2 => "ride\u{7}".into(),
                    _ => "rides".into(),
                },
                scenarios: vec![Scenario::RideHailing, Scenario::RideHailing],
                // 0 is refused; small caps are reached within a few binds.
                pair_cap: pair_cap.map(|c| u16::from(c % 4)),
            },
            Op::RecordViolation {
                tenant,
                kind,
                note_ok,
            } => Command::RecordViolation {
                tenant: tenant.id(),
                kind: [
                    ViolationKind::Marketing,
                    ViolationKind::Fraud,
                    ViolationKind::AppRegistration,
                    ViolationKind::MissingConsent,
                    ViolationKind::Other,
                ][usize::from(*kind % 5)],
                note: if *note_ok {
                    "complaint".into()
                } else {
                    "n".repeat(257)
                },
            },
            // Overlapping, empty and fresh blocks, all from the universe.
            Op::LicenseBlock { first, count } => Command::LicenseBlock(LicensedBlock {
                first: mgmt(usize::from(*first)),
                count: u32::from(count % 4),
            }),
        })
    }

    /// Runs `cmd` on both sides at `now`; they must give the same answer.
    fn execute(&mut self, cmd: &Command, step: usize) {
        let before = self.state.clone();
        let from_state = self.state.execute(cmd, self.now);
        let from_registry = self.registry().execute(cmd, self.now);
        self.history.push((cmd.clone(), self.now));
        assert_eq!(
            from_state, from_registry,
            "step {step}: state and registry disagree on {cmd:?}"
        );
        match from_state {
            Ok(events) => {
                self.stats.accepted += 1;
                for e in &events {
                    self.note_event(e);
                }
                self.log.extend(events);
            }
            Err(e) => {
                self.stats.refused += 1;
                assert_eq!(
                    self.state, before,
                    "step {step}: refused ({e}) but changed the state: {cmd:?}"
                );
            }
        }
        self.registry().with_state(|s| {
            assert!(
                *s == self.state,
                "step {step}: the registry's state differs from the pure state after {cmd:?}"
            );
        });
    }

    fn note_event(&mut self, e: &Event) {
        match e {
            Event::Bound { binding } => {
                self.stats.bound += 1;
                let seen = self
                    .log
                    .iter()
                    .any(|old| matches!(old, Event::Bound { binding: b } if b.id == binding.id));
                assert!(!seen, "binding id {} given twice", binding.id);
            }
            Event::Updated { binding, .. } => {
                assert!(
                    !self.ended.contains(&binding.id),
                    "{} updated after it ended",
                    binding.id
                );
            }
            Event::Released { binding, .. } | Event::Expired { binding, .. } => {
                assert!(self.ended.insert(*binding), "{binding} ended twice");
            }
            _ => {}
        }
    }

    fn check(&mut self, context: &str) {
        assert!(
            State::replay(self.config.clone(), &self.log) == self.state,
            "{context}: the state replayed from the events differs from the live state"
        );
        self.check_holdings(context);
        let numbers = self.numbers();
        for offset in ROUTE_OFFSETS {
            let at = self.now.plus_secs(offset);
            for &x in &numbers {
                self.check_exclusive(x, at, context);
                for caller in self.callers.clone() {
                    let media: &[Media] = if offset == 0 {
                        &[Media::Voice, Media::Sms]
                    } else {
                        &[Media::Voice]
                    };
                    for &media in media {
                        self.check_route(caller, x, media, at, context);
                    }
                }
            }
        }
        self.check_boundaries(context);
        self.check_partial_dialling(context);
        self.check_strings(&numbers, context);
        if let Some((reader, _)) = &self.reader {
            // Having routed, the reader has moved to the writer's latest index (growth, restart).
            assert_eq!(
                reader.generation(),
                self.registry().index().generation(),
                "{context}: the shared reader is not on the writer's index"
            );
        }
    }

    /// The fixed universe of usage numbers plus every one the state has entries on (automatic
    /// selection picks fresh numbers outside the universe).
    fn numbers(&self) -> BTreeSet<UsageNumber> {
        let mut all: BTreeSet<UsageNumber> = (0..10).map(usage).collect();
        all.extend(self.state.usage_entries().map(|(x, _)| x));
        all
    }

    /// No management number is held by two tenants, and the holder the pool reports is the one.
    fn check_holdings(&self, context: &str) {
        for i in 0..MANAGEMENT {
            let m = mgmt(i);
            let holders: Vec<TenantId> = self
                .state
                .tenants()
                .filter(|t| self.state.pool().held_by(t.id).any(|h| h == m))
                .map(|t| t.id)
                .collect();
            assert!(holders.len() <= 1, "{context}: {m} held by {holders:?}");
            assert_eq!(
                holders.first().copied(),
                self.state.pool().holder(m),
                "{context}: holder of {m}"
            );
            if self.state.pool().holder(m).is_some() {
                assert!(
                    self.state.pool().is_licensed(m),
                    "{context}: {m} unlicensed"
                );
            }
        }
    }

    /// (x, caller) resolves to at most one live binding; an exclusive binding is alone on x.
    fn check_exclusive(&self, x: UsageNumber, at: Timestamp, context: &str) {
        let on_x: Vec<&np700::Binding> = self
            .state
            .bindings()
            .filter(|b| !b.is_expired(at) && b.parties.usage_numbers().contains(&x))
            .collect();
        let mut seen = BTreeSet::new();
        for b in &on_x {
            for (lx, p, _) in b.legs().into_iter().filter(|(lx, _, _)| *lx == x) {
                assert!(
                    seen.insert(p),
                    "{context}: {lx} {p:?} resolves to two live bindings"
                );
                if p == Party::Anyone {
                    assert_eq!(on_x.len(), 1, "{context}: {x}'s AXN binding is not alone");
                }
            }
        }
    }

    fn check_route(
        &mut self,
        caller: Option<SubscriberNumber>,
        x: UsageNumber,
        media: Media,
        at: Timestamp,
        context: &str,
    ) {
        let dialed = DialedNumber::Usage(x);
        let want = self.state.route_dialed(caller, dialed, media, at);
        let got = self.registry().route_dialed(caller, dialed, media, at);
        assert_eq!(
            got,
            want,
            "{context}: index vs state for {caller:?} → {x} ({media:?}) at +{}s",
            at.unix_secs() - T0
        );
        if let Some((reader, _)) = &self.reader {
            assert_eq!(
                reader.route_dialed(caller, dialed, media, at),
                want,
                "{context}: shared reader vs state for {caller:?} → {x} ({media:?}) at +{}s",
                at.unix_secs() - T0
            );
        }
        let r = match want {
            Decision::Route(r) => r,
            Decision::Announce { reason } => {
                self.stats.announced += 1;
                let c = caller.expect("an announcement is for a known caller");
                let q = [Party::Caller(c), Party::Anyone]
                    .into_iter()
                    .find_map(|p| self.state.quarantine_at(x, p, at));
                let q = q.unwrap_or_else(|| {
                    panic!("{context}: {c} → {x}: announced without a quarantine")
                });
                let expired = reason == AnnounceReason::Expired;
                assert_eq!(
                    expired,
                    q.ended == np700::binding::EndReason::Expired,
                    "{context}: announcement {reason:?} for {q:?}"
                );
                return;
            }
            _ => return,
        };
        self.stats.routed += 1;
        let c = caller.expect("a route needs a known caller");
        let what = format!(
            "{context}: {c} → {x} at +{}s routed by {}",
            at.unix_secs() - T0,
            r.binding
        );
        assert!(!self.ended.contains(&r.binding), "{what}, which ended");
        let b = self
            .state
            .binding(r.binding)
            .unwrap_or_else(|| panic!("{what}, which the state does not hold"));
        assert!(!b.is_expired(at), "{what}, expired at {}", b.expires_at);
        assert_eq!(
            b.status,
            np700::binding::BindingStatus::Active,
            "{what}, which is suspended"
        );
        assert_eq!(b.tenant, r.tenant, "{what}: tenant");
        assert_eq!(r.mode, b.mode(), "{what}: mode");
        assert_eq!(r.record, b.policy.record, "{what}: recording flag");
        // Tenants never mix: the tenant routing holds the number dialled, and is not suspended.
        assert_eq!(
            self.state.pool().holder(x.management()),
            Some(r.tenant),
            "{what}: not the holder's"
        );
        assert_ne!(
            self.state.tenant(r.tenant).map(|t| t.status),
            Some(TenantStatus::Suspended),
            "{what}: tenant suspended"
        );
        // The route is the binding's own entry for this caller, or the exclusive one.
        let own = b.leg(x, Party::Caller(c));
        let leg = own
            .or_else(|| b.leg(x, Party::Anyone))
            .unwrap_or_else(|| panic!("{what}, which has no entry for the caller"));
        assert_eq!(Some(r.to), leg.to, "{what}: destinations");
        assert_eq!(r.display, leg.display, "{what}: display number");
        assert!(r.to.iter().all(|t| t != c), "{what}: back to the caller");
        // A caller in quarantine on x reaches, through an exclusive binding, only whom it reached.
        if own.is_none()
            && let Some(q) = self.state.quarantine_at(x, Party::Caller(c), at)
        {
            assert_eq!(
                r.to.first(),
                q.reached,
                "{what}: a quarantined caller reached someone new"
            );
        }
    }

    /// Each binding's and quarantine's own entries at the instants where their answer changes: the
    /// last second before and the first at expiry, at the end of the expiry's quarantine, at the
    /// end of a release's quarantine, and at the edges of a time-of-day window. Off-by-one errors
    /// live there, and the fixed instants above rarely hit them.
    fn check_boundaries(&mut self, context: &str) {
        let q = BINDING_Q;
        let mut probes: Vec<(UsageNumber, Option<SubscriberNumber>, u64)> = Vec::new();
        for b in self.state.bindings() {
            let e = b.expires_at.unix_secs();
            let mut instants = vec![
                e.saturating_sub(1),
                e,
                e.saturating_add(q - 1),
                e.saturating_add(q),
            ];
            if let Some(w) = b.policy.window {
                for minute in [w.start_minute, w.end_minute] {
                    let start = next_minute(self.now, minute);
                    instants.extend([start.saturating_sub(1), start]);
                }
            }
            for (x, p, _) in b.legs() {
                let caller = match p {
                    Party::Caller(c) => Some(c),
                    Party::Anyone => Some(stranger()),
                };
                probes.extend(instants.iter().map(|&t| (x, caller, t)));
            }
        }
        for (x, entry) in self.state.usage_entries() {
            for (p, quarantine) in entry.quarantine.iter() {
                let caller = match p {
                    Party::Caller(c) => Some(*c),
                    Party::Anyone => Some(stranger()),
                };
                let until = quarantine.until.unix_secs();
                probes.extend([(x, caller, until.saturating_sub(1)), (x, caller, until)]);
            }
        }
        let now = self.now.unix_secs();
        for (x, caller, t) in probes {
            // Only the future is predicted; the index keeps 32-bit seconds, so it answers for
            // instants before 2106-02-07 (later expiries read as that instant).
            if t >= now && t < u64::from(u32::MAX) {
                let at = Timestamp::from_unix_secs(t);
                self.check_route(caller, x, Media::Voice, at, context);
            }
        }
    }

    /// Management numbers and partial numbers ask for digits exactly when they should.
    fn check_partial_dialling(&self, context: &str) {
        let caller = Some(person(0));
        for i in 0..MANAGEMENT {
            let m = mgmt(i);
            let dialed = DialedNumber::Management(m);
            let want = self
                .state
                .route_dialed(caller, dialed, Media::Voice, self.now);
            let got = self
                .registry()
                .route_dialed(caller, dialed, Media::Voice, self.now);
            assert_eq!(got, want, "{context}: index vs state for {m}");
            if let Some((reader, _)) = &self.reader {
                let shared = reader.route_dialed(caller, dialed, Media::Voice, self.now);
                assert_eq!(shared, want, "{context}: shared reader vs state for {m}");
            }
            let expected = match (
                self.state.pool().is_licensed(m),
                self.state.pool().holder(m),
            ) {
                (false, _) => np700::route::RejectReason::NotOurs,
                (true, None) => np700::route::RejectReason::Unassigned,
                (true, Some(_)) => {
                    assert_eq!(
                        want,
                        Decision::CollectDigits { needed: 4 },
                        "{context}: {m}"
                    );
                    continue;
                }
            };
            assert_eq!(
                want,
                Decision::Reject { reason: expected },
                "{context}: {m}"
            );
        }
        let partial = DialedNumber::Incomplete {
            digits: 7001234,
            len: 7,
        };
        let got = self
            .registry()
            .route_dialed(caller, partial, Media::Voice, self.now);
        assert_eq!(got, Decision::CollectDigits { needed: 8 }, "{context}");
    }

    /// The string entry points (what a switch hands over) answer alike. A few shapes suffice: the
    /// parsing itself is `number_parse`'s target, and both sides share it.
    fn check_strings(&self, numbers: &BTreeSet<UsageNumber>, context: &str) {
        let callers = ["0086 138-0000-0001", "sip:01012345678@h", "anonymous"];
        for x in numbers.iter().take(2) {
            for dialed in [format!("tel:+86-{x}"), x.management().to_string()] {
                for caller in callers {
                    let want = self.state.route(caller, &dialed, Media::Voice, self.now);
                    let got = self
                        .registry()
                        .route(caller, &dialed, Media::Voice, self.now);
                    assert_eq!(got, want, "{context}: {caller:?} → {dialed:?}");
                    if let Some((reader, _)) = &self.reader {
                        let shared = reader.route(caller, &dialed, Media::Voice, self.now);
                        assert_eq!(shared, want, "{context}: shared {caller:?} → {dialed:?}");
                    }
                }
            }
        }
    }
}

/// The first instant at or after `now` whose Beijing minute of day is `minute` (`minute` below
/// 1440; an invalid window never reaches a binding).
fn next_minute(now: Timestamp, minute: u16) -> u64 {
    let into_minute = now.unix_secs() % 60;
    let ahead = (u64::from(minute) + 1440 - u64::from(now.beijing_minute_of_day())) % 1440;
    match (ahead, into_minute) {
        (0, 0) => now.unix_secs(),
        (0, _) => now.unix_secs() - into_minute + 1440 * 60,
        _ => now.unix_secs() - into_minute + ahead * 60,
    }
}

/// An expiry `life` seconds from now (0 is refused: not in the future), or for the top values one
/// at the edges of the index's 32-bit seconds (it stores later times as 2106-02-07) and the end of
/// time, which a platform may use for "until released".
fn expiry(now: Timestamp, life: u8) -> Timestamp {
    let edge = u64::from(u32::MAX);
    match life {
        0..=251 => now.plus_secs(u64::from(life)),
        252 => Timestamp::from_unix_secs(edge - 1),
        253 => Timestamp::from_unix_secs(edge),
        254 => Timestamp::from_unix_secs(edge + 1),
        _ => Timestamp::MAX,
    }
}

fn assign(tenant: u32, m: usize, tagged: bool) -> Command {
    Command::AssignNumber {
        tenant: TenantId::from_raw(tenant),
        number: mgmt(m),
        tags: if tagged {
            vec![tag_beijing(), tag_beijing()]
        } else {
            vec![]
        },
    }
}
