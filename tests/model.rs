//! Model-based test: random command sequences and route queries run against the `State` and
//! against a plain reference model written straight from the rules (DESIGN §1–§3), with no shared
//! code beyond the data types. After every step the whole observable state is compared:
//! acceptance of each command, every route answer over the test's universe of callers and
//! numbers, and the invariants (no management number in two tenants, (X, caller) resolves to at
//! most one binding, ended or expired bindings never route, quarantined pairs never reach a new
//! party, the replayed state equals the live state).
//!
//! Block lists (issue 6) are in the model too: the state's and the registry's answers (its
//! routers read the block table in the control region) include them; a second lock-free block
//! table fed from the same events through `BlockWriter::resume` / `publish`, composed with the
//! registry's answer, must agree as well.
//!
//! Cases: `NP700_MODEL_CASES` (default 10,000).

use np700::Registry;
use np700::binding::{Direction, MediaSet, Party, TimeWindow};
use np700::control::block::{
    BlockDirection, BlockId, BlockOrigin, BlockRequest, BlockScope, BlockTarget,
};
use np700::control::block_table::{BlockTable, BlockWriter, lifted};
use np700::index::layout::Capacity;
use np700::route::{AnnounceReason, RejectReason};
use np700::{
    BindRequest, BindingId, Command, Config, Counterpart, Decision, Event, LicensedBlock,
    ManagementNumber, Media, Mode, NumberChoice, Parties, Policy, Selection, State,
    SubscriberNumber, TenantId, TenantStatus, Timestamp, UsageNumber,
};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::sync::atomic::AtomicU64;

const BINDING_Q: u64 = 30;
const NUMBER_Q: u64 = 60;
const T0: u64 = 1_767_225_600;

fn sub(i: usize) -> SubscriberNumber {
    SubscriberNumber::parse(&format!("1380000000{i}")).unwrap()
}
fn stranger() -> SubscriberNumber {
    SubscriberNumber::parse("13900000000").unwrap()
}
fn mgmt(i: usize) -> ManagementNumber {
    ManagementNumber::new(70012340000 + i as u64).unwrap()
}
fn usage(i: usize) -> UsageNumber {
    // Two usage numbers under each of the four management numbers.
    mgmt(i / 2).usage((i % 2) as u16).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The reference model: plain vectors, brute-force searches, time-derived expiry.

#[derive(Clone, Debug)]
struct MBinding {
    id: u64,
    tenant: u32,
    parties: Parties,
    expires: u64,
    suspended: bool,
    policy: Policy,
}

/// One route entry: on `x`, caller `who` (None = anyone) reaches `to` (None = refused), shown `display`.
#[derive(Clone, Debug)]
struct MEntry {
    x: UsageNumber,
    who: Option<SubscriberNumber>,
    to: Option<Vec<SubscriberNumber>>,
    display: UsageNumber,
    from_a: bool,
}

fn entries(p: &Parties) -> Vec<MEntry> {
    let e = |x, who, to: Option<Vec<SubscriberNumber>>, display, from_a| MEntry {
        x,
        who,
        to,
        display,
        from_a,
    };
    match p {
        Parties::Axb { a, x, b } => vec![
            e(*x, Some(*a), Some(vec![*b]), *x, true),
            e(*x, Some(*b), Some(vec![*a]), *x, false),
        ],
        Parties::Axn { a, x, n } => vec![
            e(*x, Some(*a), n.map(|n| vec![n]), *x, true),
            e(*x, None, Some(vec![*a]), *x, false),
        ],
        Parties::Axyb { a, x, y, b } => vec![
            e(*y, Some(*a), Some(vec![*b]), *x, true),
            e(*x, Some(*b), Some(vec![*a]), *y, false),
        ],
        Parties::Gxb { group, x, b } => {
            let mut v: Vec<_> = group
                .iter()
                .map(|m| e(*x, Some(*m), Some(vec![*b]), *x, true))
                .collect();
            v.push(e(*x, Some(*b), Some(group.clone()), *x, false));
            v
        }
    }
}

/// A quarantined entry: `who` on `x` reached `reached` until the binding ended at `end`.
#[derive(Clone, Debug)]
struct MQuarantine {
    x: UsageNumber,
    who: Option<SubscriberNumber>,
    reached: Option<SubscriberNumber>,
    end: u64,
    expired: bool,
}

#[derive(Clone, Debug)]
enum MHolding {
    Held(u32),
    Quarantined { former: u32, until: u64 },
}

/// A block rule: `caller` → `callee` (anyone when `None`; also back with `both`).
#[derive(Clone, Debug, PartialEq)]
struct MBlock {
    id: u64,
    scope: BlockScope,
    owner: Option<u32>,
    caller: SubscriberNumber,
    callee: Option<SubscriberNumber>,
    both: bool,
    expires: Option<u64>,
    probing: bool,
}

impl MBlock {
    fn active(&self, now: u64) -> bool {
        self.expires.is_none_or(|e| now < e)
    }
}

#[derive(Clone, Debug)]
struct Model {
    now: u64,
    blocks: Vec<MBlock>,
    next_block: u64,
    tenants: Vec<(u32, TenantStatus, u16)>,
    licensed: Vec<ManagementNumber>,
    holdings: Vec<(ManagementNumber, MHolding)>,
    live: Vec<MBinding>,
    ended: Vec<MQuarantine>,
    next_id: u64,
    /// Tenants that require real-user reports.
    required: Vec<u32>,
    /// (tenant, subscriber) real-user reports made.
    reported: Vec<(u32, SubscriberNumber)>,
}

/// Subscriber A of a binding, the one a real-user report is about: `a`, or for GXB the
/// customer `b` (the group is the tenant's staff).
fn model_subscriber_a(p: &Parties) -> SubscriberNumber {
    match p {
        Parties::Axb { a, .. } | Parties::Axn { a, .. } | Parties::Axyb { a, .. } => *a,
        Parties::Gxb { b, .. } => *b,
    }
}

impl Model {
    fn tenant(&self, t: u32) -> Option<(u32, TenantStatus, u16)> {
        self.tenants.iter().copied().find(|(id, _, _)| *id == t)
    }
    fn holder(&self, m: ManagementNumber) -> Option<u32> {
        self.holdings.iter().find_map(|(n, h)| match h {
            MHolding::Held(t) if *n == m => Some(*t),
            _ => None,
        })
    }
    fn unexpired(&self) -> impl Iterator<Item = &MBinding> {
        self.live.iter().filter(|b| b.expires > self.now)
    }
    /// The quarantine of (x, who) now: the latest-ended holder of that entry, if its quarantine runs.
    fn quarantine(&self, x: UsageNumber, who: Option<SubscriberNumber>) -> Option<MQuarantine> {
        let mut all: Vec<MQuarantine> = self.ended.clone();
        for b in self.live.iter().filter(|b| b.expires <= self.now) {
            for e in entries(&b.parties) {
                all.push(MQuarantine {
                    x: e.x,
                    who: e.who,
                    reached: e.to.and_then(|t| t.first().copied()),
                    end: b.expires,
                    expired: true,
                });
            }
        }
        all.into_iter()
            .filter(|q| q.x == x && q.who == who)
            .max_by_key(|q| q.end)
            .filter(|q| q.end + BINDING_Q > self.now)
    }

    /// Whether `x` can take the entries `keys` of a new (or changed, `ignore`) binding.
    fn fits(
        &self,
        x: UsageNumber,
        keys: &[(Option<SubscriberNumber>, Option<SubscriberNumber>)],
        cap: u16,
        ignore: Option<u64>,
    ) -> bool {
        let exclusive = keys.iter().any(|(w, _)| w.is_none());
        let others: Vec<&MBinding> = self
            .unexpired()
            .filter(|b| Some(b.id) != ignore)
            .filter(|b| entries(&b.parties).iter().any(|e| e.x == x))
            .collect();
        for b in &others {
            for e in entries(&b.parties).iter().filter(|e| e.x == x) {
                if e.who.is_none() || keys.iter().any(|(w, _)| *w == e.who) {
                    return false;
                }
            }
        }
        if exclusive && !others.is_empty() || !exclusive && others.len() >= cap as usize {
            return false;
        }
        let anyone_target = keys.iter().find(|(w, _)| w.is_none()).map(|(_, t)| *t);
        let mut whos: Vec<Option<SubscriberNumber>> = self
            .ended
            .iter()
            .filter(|q| q.x == x)
            .map(|q| q.who)
            .collect();
        for b in self
            .live
            .iter()
            .filter(|b| b.expires <= self.now && Some(b.id) != ignore)
        {
            whos.extend(
                entries(&b.parties)
                    .into_iter()
                    .filter(|e| e.x == x)
                    .map(|e| e.who),
            );
        }
        for who in whos {
            // An entry held by a live binding is not in quarantine.
            if self
                .unexpired()
                .any(|b| entries(&b.parties).iter().any(|e| e.x == x && e.who == who))
            {
                continue;
            }
            let Some(q) = self.quarantine(x, who) else {
                continue;
            };
            let conflict = match keys.iter().find(|(w, _)| *w == who) {
                Some((_, t)) => *t != q.reached,
                None if who.is_none() => true,
                None => anyone_target.is_some_and(|t| t != q.reached),
            };
            if conflict {
                return false;
            }
        }
        true
    }

    fn end(
        &mut self,
        id: u64,
        at: u64,
        expired: bool,
        keep: &[(UsageNumber, Option<SubscriberNumber>)],
    ) {
        let b = self.live.iter().find(|b| b.id == id).unwrap().clone();
        for e in entries(&b.parties) {
            if !keep.contains(&(e.x, e.who)) {
                self.ended.push(MQuarantine {
                    x: e.x,
                    who: e.who,
                    reached: e.to.and_then(|t| t.first().copied()),
                    end: at,
                    expired,
                });
            }
        }
    }

    /// The platform rules with no callee refuse the caller first: "blocked" if any was made by
    /// hand, else "blocked automatically".
    fn barred_caller(&self, c: SubscriberNumber) -> Option<RejectReason> {
        let rules: Vec<&MBlock> = self
            .blocks
            .iter()
            .filter(|r| {
                r.active(self.now)
                    && r.scope == BlockScope::Platform
                    && r.callee.is_none()
                    && r.caller == c
            })
            .collect();
        if rules.iter().any(|r| !r.probing) {
            Some(RejectReason::Blocked)
        } else if rules.is_empty() {
            None
        } else {
            Some(RejectReason::AutoBlocked)
        }
    }

    /// Whether a rule of the platform, the tenant or the binding refuses `c` → any of `to`.
    fn barred_route(&self, c: SubscriberNumber, r: &np700::Route) -> bool {
        self.blocks.iter().any(|b| {
            let in_scope = match b.scope {
                BlockScope::Platform => true,
                BlockScope::Tenant(t) => t == r.tenant,
                BlockScope::Binding(id) => id == r.binding,
            };
            let mut pairs = vec![(b.caller, b.callee)];
            if b.both {
                pairs.push((b.callee.unwrap(), Some(b.caller)));
            }
            in_scope
                && b.active(self.now)
                && pairs.iter().any(|(from, to)| {
                    *from == c && to.is_none_or(|to| r.to.iter().any(|t| t == to))
                })
        })
    }

    /// The route with block lists: the caller's platform rules first, then the other rules
    /// once a binding would route.
    fn route(&self, caller: Option<SubscriberNumber>, x: UsageNumber, media: Media) -> Decision {
        if let Some(reason) = caller.and_then(|c| self.barred_caller(c)) {
            return Decision::Reject { reason };
        }
        match self.route_unblocked(caller, x, media) {
            Decision::Route(r) if self.barred_route(caller.unwrap(), &r) => Decision::Reject {
                reason: RejectReason::Blocked,
            },
            d => d,
        }
    }

    fn route_unblocked(
        &self,
        caller: Option<SubscriberNumber>,
        x: UsageNumber,
        media: Media,
    ) -> Decision {
        let rej = |reason| Decision::Reject { reason };
        let m = x.management();
        if !self.licensed.contains(&m) {
            return rej(RejectReason::NotOurs);
        }
        let Some(holder) = self.holder(m) else {
            return rej(RejectReason::Unassigned);
        };
        if self.tenant(holder).unwrap().1 == TenantStatus::Suspended {
            return rej(RejectReason::TenantSuspended);
        }
        let live_on_x = self
            .unexpired()
            .any(|b| entries(&b.parties).iter().any(|e| e.x == x));
        if let Some(c) = caller {
            for who in [Some(c), None] {
                for b in self.unexpired() {
                    let Some(e) = entries(&b.parties)
                        .into_iter()
                        .find(|e| e.x == x && e.who == who)
                    else {
                        continue;
                    };
                    if b.suspended {
                        return rej(RejectReason::BindingSuspended);
                    }
                    if self.required.contains(&b.tenant)
                        && !self
                            .reported
                            .contains(&(b.tenant, model_subscriber_a(&b.parties)))
                    {
                        return rej(RejectReason::UserNotReported);
                    }
                    let media_ok = match media {
                        Media::Voice => b.policy.media.voice,
                        Media::Sms => b.policy.media.sms,
                    };
                    if !media_ok {
                        return rej(RejectReason::MediaNotPermitted);
                    }
                    let dir_ok = match b.policy.direction {
                        Direction::Both => true,
                        Direction::AToBOnly => e.from_a,
                        Direction::BToAOnly => !e.from_a,
                    };
                    if !dir_ok {
                        return rej(RejectReason::DirectionBarred);
                    }
                    if who.is_none()
                        && !b.policy.allowed_callers.is_empty()
                        && !b.policy.allowed_callers.contains(&c)
                    {
                        return rej(RejectReason::CallerNotPermitted);
                    }
                    if let Some(w) = b.policy.window {
                        let minute = (((self.now + 8 * 3600) % 86_400) / 60) as u16;
                        let inside = if w.start_minute < w.end_minute {
                            w.start_minute <= minute && minute < w.end_minute
                        } else {
                            minute >= w.start_minute || minute < w.end_minute
                        };
                        if !inside {
                            return rej(RejectReason::OutsideTimeWindow);
                        }
                    }
                    let Some(to) = e.to else {
                        return rej(RejectReason::NoDestination);
                    };
                    return Decision::Route(np700::Route {
                        to: np700::binding::Targets::group(&to),
                        display: e.display,
                        binding: BindingId::from_raw(b.id),
                        tenant: TenantId::from_raw(b.tenant),
                        mode: b.parties.mode(),
                        record: b.policy.record,
                    });
                }
            }
            for who in [Some(c), None] {
                if let Some(q) = self.quarantine(x, who) {
                    let reason = if q.expired {
                        AnnounceReason::Expired
                    } else {
                        AnnounceReason::ServiceEnded
                    };
                    return Decision::Announce { reason };
                }
            }
        }
        rej(match (live_on_x, caller) {
            (false, _) => RejectReason::NoBinding,
            (true, None) => RejectReason::CallerUnidentified,
            (true, Some(_)) => RejectReason::CallerNotPermitted,
        })
    }
}

/// The entries a binding's parties put on each of its numbers: (who, first destination).
#[allow(clippy::type_complexity)]
fn keys_by_number(
    p: &Parties,
) -> Vec<(
    UsageNumber,
    Vec<(Option<SubscriberNumber>, Option<SubscriberNumber>)>,
)> {
    let mut out: Vec<(UsageNumber, Vec<_>)> = Vec::new();
    for e in entries(p) {
        let key = (e.who, e.to.and_then(|t| t.first().copied()));
        match out.iter_mut().find(|(x, _)| *x == e.x) {
            Some((_, v)) => v.push(key),
            None => out.push((e.x, vec![key])),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Operations.

#[derive(Clone, Debug)]
enum XPick {
    Given(usize),
    Auto { sticky: Option<usize> },
}

#[derive(Clone, Debug)]
enum Op {
    Advance(u64),
    Bind {
        tenant: u32,
        mode: u8,
        people: [usize; 4],
        group_len: usize,
        x: XPick,
        y: XPick,
        life: u64,
        media: u8,
        direction: u8,
        record: bool,
        allow: Option<usize>,
        window: Option<(u16, u16)>,
    },
    Unbind {
        tenant: u32,
        pick: u64,
    },
    UpdateCounterpart {
        tenant: u32,
        pick: u64,
        person: usize,
    },
    UpdateExpiry {
        tenant: u32,
        pick: u64,
        life: u64,
    },
    Suspend {
        tenant: u32,
        pick: u64,
    },
    Resume {
        tenant: u32,
        pick: u64,
    },
    Sweep,
    Assign {
        tenant: u32,
        m: usize,
    },
    Reclaim {
        tenant: u32,
        m: usize,
    },
    TenantStatus {
        tenant: u32,
        status: u8,
    },
    RequireReports {
        tenant: u32,
        required: bool,
    },
    Report {
        tenant: u32,
        person: usize,
        reported: bool,
    },
    /// `asker`: 0 the operator, 1 and 2 the tenants, 3 a tenant that does not exist.
    BlockCaller {
        asker: u8,
        caller: usize,
        callee: Option<usize>,
        both: bool,
        life: Option<u64>,
    },
    BlockBinding {
        asker: u8,
        pick: u64,
        direction: u8,
        life: Option<u64>,
    },
    LiftBlock {
        asker: u8,
        pick: u64,
    },
    AutoBlock {
        caller: usize,
        life: u64,
    },
}

/// Person `i` of the model's universe (8 is the stranger).
fn person(i: usize) -> SubscriberNumber {
    if i < 8 { sub(i) } else { stranger() }
}

fn asker(a: u8) -> Option<TenantId> {
    match a {
        0 => None,
        3 => Some(TenantId::from_raw(9)),
        t => Some(TenantId::from_raw(u32::from(t))),
    }
}

fn xpick() -> impl Strategy<Value = XPick> {
    prop_oneof![
        // Concentrated on a few numbers so caps, conflicts and quarantines are reached often.
        3 => Just(XPick::Given(0)),
        2 => Just(XPick::Given(4)),
        4 => (0usize..8).prop_map(XPick::Given),
        1 => proptest::option::of(0usize..6).prop_map(|sticky| XPick::Auto { sticky }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let tenant = 1u32..=2;
    prop_oneof![
        3 => (1u64..80).prop_map(Op::Advance),
        8 => (
            tenant.clone(), 0u8..4, [0usize..8, 0usize..8, 0usize..8, 0usize..8], 1usize..=3, xpick(), xpick(),
            1u64..200, 0u8..5, 0u8..6, any::<bool>(), proptest::option::weighted(0.15, 0usize..6),
            proptest::option::weighted(0.1, (0u16..1440, 0u16..1440)),
        )
            .prop_map(|(tenant, mode, people, group_len, x, y, life, media, direction, record, allow, window)| Op::Bind {
                tenant, mode, people, group_len, x, y, life, media, direction, record, allow, window,
            }),
        3 => (tenant.clone(), 0u64..64).prop_map(|(tenant, pick)| Op::Unbind { tenant, pick }),
        2 => (tenant.clone(), 0u64..64, 0usize..8).prop_map(|(tenant, pick, person)| Op::UpdateCounterpart { tenant, pick, person }),
        1 => (tenant.clone(), 0u64..64, 1u64..200).prop_map(|(tenant, pick, life)| Op::UpdateExpiry { tenant, pick, life }),
        1 => (tenant.clone(), 0u64..64).prop_map(|(tenant, pick)| Op::Suspend { tenant, pick }),
        1 => (tenant.clone(), 0u64..64).prop_map(|(tenant, pick)| Op::Resume { tenant, pick }),
        1 => Just(Op::Sweep),
        1 => (tenant.clone(), 0usize..4).prop_map(|(tenant, m)| Op::Assign { tenant, m }),
        1 => (tenant.clone(), 0usize..4).prop_map(|(tenant, m)| Op::Reclaim { tenant, m }),
        1 => (tenant.clone(), 0u8..3).prop_map(|(tenant, status)| Op::TenantStatus { tenant, status }),
        1 => (tenant.clone(), proptest::bool::weighted(0.7)).prop_map(|(tenant, required)| Op::RequireReports { tenant, required }),
        2 => (tenant, 0usize..8, proptest::bool::weighted(0.8)).prop_map(|(tenant, person, reported)| Op::Report { tenant, person, reported }),
        2 => (0u8..4, 0usize..9, proptest::option::of(0usize..9), any::<bool>(), proptest::option::weighted(0.3, 0u64..100))
            .prop_map(|(asker, caller, callee, both, life)| Op::BlockCaller { asker, caller, callee, both, life }),
        2 => (0u8..4, 0u64..64, 0u8..3, proptest::option::weighted(0.3, 0u64..100))
            .prop_map(|(asker, pick, direction, life)| Op::BlockBinding { asker, pick, direction, life }),
        2 => (0u8..4, 0u64..16).prop_map(|(asker, pick)| Op::LiftBlock { asker, pick }),
        1 => (0usize..9, 0u64..120).prop_map(|(caller, life)| Op::AutoBlock { caller, life }),
    ]
}

fn choice(p: &XPick) -> NumberChoice {
    match p {
        XPick::Given(i) => NumberChoice::Given(usage(*i)),
        XPick::Auto { sticky } => NumberChoice::Auto(Selection {
            tag: None,
            sticky_for: sticky.map(sub),
        }),
    }
}

/// The command for `op`, and the model's prediction: `Some(apply)` if it must succeed.
fn bind_request(op: &Op) -> Option<BindRequest> {
    let Op::Bind {
        tenant,
        mode,
        people,
        group_len,
        x,
        y,
        life: _,
        media,
        direction,
        record,
        allow,
        window,
    } = op
    else {
        return None;
    };
    let [a, b, c, d] = people.map(sub);
    let parties = match mode {
        0 => Parties::Axb { a, x: choice(x), b },
        1 => Parties::Axn {
            a,
            x: choice(x),
            n: (people[1] % 3 != 0).then_some(b),
        },
        2 => Parties::Axyb {
            a,
            x: choice(x),
            y: choice(y),
            b,
        },
        _ => Parties::Gxb {
            group: [b, c, d][..*group_len].to_vec(),
            x: choice(x),
            b: a,
        },
    };
    let media = match media {
        0 => MediaSet::VOICE_ONLY,
        1 => MediaSet::SMS_ONLY,
        2 => MediaSet {
            voice: false,
            sms: false,
        },
        _ => MediaSet::ALL,
    };
    let direction = match direction {
        0 => Direction::AToBOnly,
        1 => Direction::BToAOnly,
        _ => Direction::Both,
    };
    let allowed_callers = allow.map(|i| vec![sub(i), stranger()]).unwrap_or_default();
    let window = window.map(|(s, e)| TimeWindow {
        start_minute: s,
        end_minute: e,
    });
    Some(BindRequest {
        tenant: TenantId::from_raw(*tenant),
        parties,
        expires_at: Timestamp::from_unix_secs(0), // set by the caller
        policy: Policy {
            media,
            direction,
            allowed_callers,
            window,
            record: *record,
        },
        order_id: "order".into(),
        consent_ref: "consent".into(),
        external_ref: String::new(),
    })
}

fn valid_policy(p: &Policy, mode: Mode) -> bool {
    !(p.media.is_empty()
        || p.window.is_some_and(|w| w.start_minute == w.end_minute)
        || (!p.allowed_callers.is_empty() && mode != Mode::Axn))
}

fn distinct(p: &Parties<impl Sized>) -> bool {
    let all = p.subscribers();
    all.iter().collect::<BTreeSet<_>>().len() == all.len()
}

/// Runs one op on both sides; returns whether the two agreed on acceptance (panics otherwise).
/// The system under test: the pure state and the registry (lock-free index) fed the same commands.
struct Sut {
    state: State,
    registry: Registry,
    /// A lock-free block table fed from the events, as the registry will feed its own.
    table: Vec<AtomicU64>,
}

impl Sut {
    /// Runs `cmd` on both; they must agree exactly (events or error).
    fn execute(&mut self, cmd: &Command, now: Timestamp) -> Result<Vec<Event>, np700::Error> {
        let before = self.state.block_list().clone();
        let from_state = self.state.execute(cmd, now);
        let from_registry = self.registry.execute(cmd, now);
        assert_eq!(
            from_state, from_registry,
            "state and registry disagree on {cmd:?}"
        );
        if let Ok(events) = &from_state {
            // As the registry will: the lifted rules from before, room, then publish.
            let mut writer = BlockWriter::resume(&self.table).unwrap();
            let gone = lifted(&before, events);
            assert!(writer.fits(&gone, events));
            writer
                .publish(self.state.block_list(), &gone, events)
                .unwrap();
            let directed: usize = self.state.blocks().map(|r| r.directions().count()).sum();
            assert_eq!(writer.len(), directed, "the table holds the state's rules");
        }
        from_state
    }

    /// The index's answer with the block table's checks around it: what the index will answer
    /// once it reads the table.
    fn route_composed(
        &self,
        caller: Option<SubscriberNumber>,
        dialed: np700::DialedNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        let table = BlockTable::new(&self.table).unwrap();
        if let Some(reason) = caller.and_then(|c| table.caller_barred(c, now)) {
            return Decision::Reject { reason };
        }
        match self.registry.route_dialed(caller, dialed, media, now) {
            Decision::Route(r)
                if table.route_barred(caller.unwrap(), r.tenant, r.binding, &r.to, now) =>
            {
                Decision::Reject {
                    reason: RejectReason::Blocked,
                }
            }
            d => d,
        }
    }
}

fn step(sut: &mut Sut, model: &mut Model, log: &mut Vec<Event>, op: &Op) {
    let now = Timestamp::from_unix_secs(model.now);
    let pick = |p: u64| BindingId::from_raw(p % (model.next_id + 1));
    let live_owned = |model: &Model, tenant: u32, id: BindingId| -> Option<MBinding> {
        model.tenant(tenant)?;
        model
            .unexpired()
            .find(|b| b.id == id.raw() && b.tenant == tenant)
            .cloned()
    };
    let (cmd, expect_ok): (Command, bool) = match op {
        Op::Advance(secs) => {
            model.now += secs;
            return;
        }
        Op::Bind {
            tenant, life, x, y, ..
        } => {
            let mut req = bind_request(op).unwrap();
            req.expires_at = Timestamp::from_unix_secs(model.now + life);
            let t = model.tenant(*tenant).unwrap();
            let auto = matches!(x, XPick::Auto { .. })
                || (req.parties.mode() == Mode::Axyb && matches!(y, XPick::Auto { .. }));
            let basic = t.1 == TenantStatus::Active
                && valid_policy(&req.policy, req.parties.mode())
                && distinct(&req.parties);
            if auto {
                // Automatic selection has 10,000 fresh numbers per management number: it succeeds
                // whenever the request is valid, any given number fits, and the tenant holds numbers.
                let result = sut.execute(&Command::Bind(req.clone()), now);
                let holds = model
                    .holdings
                    .iter()
                    .any(|(_, h)| matches!(h, MHolding::Held(h) if h == tenant));
                match result {
                    Ok(events) => {
                        assert!(
                            basic && holds,
                            "auto bind accepted but the model refuses: {req:?}"
                        );
                        let Some(Event::Bound { binding }) = events.last() else {
                            panic!("no Bound event")
                        };
                        let cap = t.2;
                        for (x, keys) in keys_by_number(&binding.parties) {
                            assert_eq!(
                                model.holder(x.management()),
                                Some(*tenant),
                                "auto-picked {x} is not the tenant's"
                            );
                            assert!(
                                model.fits(x, &keys, cap, None),
                                "auto-picked {x} breaks a rule"
                            );
                        }
                        assert!(
                            binding
                                .parties
                                .usage_numbers()
                                .iter()
                                .collect::<BTreeSet<_>>()
                                .len()
                                == binding.parties.usage_numbers().len()
                        );
                        apply_bind(model, binding.clone());
                        log.extend(events);
                    }
                    Err(e) => {
                        // With one number given, that number may legitimately not fit.
                        let given_ok = !matches!(
                            (&req.parties, x, y),
                            (Parties::Axyb { .. }, XPick::Given(_), _)
                                | (Parties::Axyb { .. }, _, XPick::Given(_))
                        );
                        assert!(
                            !(basic && holds && given_ok),
                            "auto bind refused ({e}) but the model accepts: {req:?}"
                        );
                    }
                }
                return;
            }
            let parties: Parties = match &req.parties {
                Parties::Axb { a, x, b } => Parties::Axb {
                    a: *a,
                    x: given(x),
                    b: *b,
                },
                Parties::Axn { a, x, n } => Parties::Axn {
                    a: *a,
                    x: given(x),
                    n: *n,
                },
                Parties::Axyb { a, x, y, b } => Parties::Axyb {
                    a: *a,
                    x: given(x),
                    y: given(y),
                    b: *b,
                },
                Parties::Gxb { group, x, b } => Parties::Gxb {
                    group: group.clone(),
                    x: given(x),
                    b: *b,
                },
            };
            let numbers = parties.usage_numbers();
            let ok = basic
                && numbers.iter().collect::<BTreeSet<_>>().len() == numbers.len()
                && numbers
                    .iter()
                    .all(|x| model.holder(x.management()) == Some(*tenant))
                && keys_by_number(&parties)
                    .iter()
                    .all(|(x, keys)| model.fits(*x, keys, t.2, None));
            (Command::Bind(req), ok)
        }
        Op::Unbind { tenant, pick: p } => {
            let id = pick(*p);
            (
                Command::Unbind {
                    tenant: TenantId::from_raw(*tenant),
                    binding: id,
                },
                live_owned(model, *tenant, id).is_some(),
            )
        }
        Op::Suspend { tenant, pick: p } => {
            let id = pick(*p);
            let ok = live_owned(model, *tenant, id).is_some_and(|b| !b.suspended);
            (
                Command::Suspend {
                    tenant: TenantId::from_raw(*tenant),
                    binding: id,
                },
                ok,
            )
        }
        Op::Resume { tenant, pick: p } => {
            let id = pick(*p);
            let ok = live_owned(model, *tenant, id).is_some_and(|b| b.suspended);
            (
                Command::Resume {
                    tenant: TenantId::from_raw(*tenant),
                    binding: id,
                },
                ok,
            )
        }
        Op::UpdateExpiry {
            tenant,
            pick: p,
            life,
        } => {
            let id = pick(*p);
            // Only an active tenant changes its bindings.
            let active = model.tenant(*tenant).unwrap().1 == TenantStatus::Active;
            let ok = active && live_owned(model, *tenant, id).is_some();
            let cmd = Command::Update {
                tenant: TenantId::from_raw(*tenant),
                binding: id,
                counterpart: None,
                expires_at: Some(Timestamp::from_unix_secs(model.now + life)),
                policy: None,
            };
            (cmd, ok)
        }
        Op::UpdateCounterpart {
            tenant,
            pick: p,
            person,
        } => {
            let id = pick(*p);
            let new = sub(*person);
            let active = model.tenant(*tenant).unwrap().1 == TenantStatus::Active;
            let found = live_owned(model, *tenant, id).filter(|_| active);
            let (counterpart, ok) = match &found {
                Some(b) => {
                    let (c, parties) = match &b.parties {
                        Parties::Axb { a, x, .. } => (
                            Counterpart::B(new),
                            Parties::Axb {
                                a: *a,
                                x: *x,
                                b: new,
                            },
                        ),
                        Parties::Axyb { a, x, y, .. } => (
                            Counterpart::B(new),
                            Parties::Axyb {
                                a: *a,
                                x: *x,
                                y: *y,
                                b: new,
                            },
                        ),
                        Parties::Gxb { group, x, .. } => (
                            Counterpart::B(new),
                            Parties::Gxb {
                                group: group.clone(),
                                x: *x,
                                b: new,
                            },
                        ),
                        Parties::Axn { a, x, .. } => (
                            Counterpart::N(Some(new)),
                            Parties::Axn {
                                a: *a,
                                x: *x,
                                n: Some(new),
                            },
                        ),
                    };
                    let cap = model.tenant(*tenant).unwrap().2;
                    let ok = distinct(&parties)
                        && keys_by_number(&parties)
                            .iter()
                            .all(|(x, keys)| model.fits(*x, keys, cap, Some(b.id)));
                    (c, ok)
                }
                None => (Counterpart::B(new), false),
            };
            let cmd = Command::Update {
                tenant: TenantId::from_raw(*tenant),
                binding: id,
                counterpart: Some(counterpart),
                expires_at: None,
                policy: None,
            };
            (cmd, ok)
        }
        Op::Sweep => (Command::Sweep, true),
        Op::Assign { tenant, m } => {
            let number = mgmt(*m);
            let t = model.tenant(*tenant).unwrap();
            let ok = t.1 != TenantStatus::Exited
                && match model
                    .holdings
                    .iter()
                    .find(|(n, _)| *n == number)
                    .map(|(_, h)| h)
                {
                    None => true,
                    Some(MHolding::Held(_)) => false,
                    Some(MHolding::Quarantined { former, until }) => {
                        *former == *tenant || *until <= model.now
                    }
                };
            (
                Command::AssignNumber {
                    tenant: TenantId::from_raw(*tenant),
                    number,
                    tags: vec![],
                },
                ok,
            )
        }
        Op::Reclaim { tenant, m } => {
            let number = mgmt(*m);
            let ok = model.holder(number) == Some(*tenant)
                && !model.unexpired().any(|b| {
                    b.parties
                        .usage_numbers()
                        .iter()
                        .any(|x| x.management() == number)
                });
            (
                Command::ReclaimNumber {
                    tenant: TenantId::from_raw(*tenant),
                    number,
                },
                ok,
            )
        }
        Op::BlockCaller {
            asker: a,
            caller,
            callee,
            both,
            life,
        } => {
            let (caller, callee) = (person(*caller), callee.map(person));
            let ok = *a != 3
                && life.is_none_or(|l| l > 0)
                && !(*both && callee.is_none())
                && callee != Some(caller);
            let request = BlockRequest {
                tenant: asker(*a),
                target: BlockTarget::Caller {
                    caller,
                    callee,
                    both_ways: *both,
                },
                expires_at: life.map(|l| Timestamp::from_unix_secs(model.now + l)),
                note: String::new(),
            };
            (Command::Block(request), ok)
        }
        Op::BlockBinding {
            asker: a,
            pick: which,
            direction,
            life,
        } => {
            let id = pick(*which);
            let b = model.unexpired().find(|b| b.id == id.raw());
            let ok = *a != 3
                && life.is_none_or(|l| l > 0)
                && b.is_some_and(|b| {
                    (*a == 0 || b.tenant == u32::from(*a))
                        && !matches!(b.parties, Parties::Axn { n: None, .. })
                });
            let direction = [
                BlockDirection::AToB,
                BlockDirection::BToA,
                BlockDirection::Both,
            ][*direction as usize];
            let request = BlockRequest {
                tenant: asker(*a),
                target: BlockTarget::Binding {
                    binding: id,
                    direction,
                },
                expires_at: life.map(|l| Timestamp::from_unix_secs(model.now + l)),
                note: String::new(),
            };
            (Command::Block(request), ok)
        }
        Op::LiftBlock {
            asker: a,
            pick: which,
        } => {
            let id = which % (model.next_block + 2);
            let ok = *a != 3
                && model
                    .blocks
                    .iter()
                    .any(|r| r.id == id && (*a == 0 || r.owner == Some(u32::from(*a))));
            (
                Command::LiftBlock {
                    tenant: asker(*a),
                    block: BlockId::from_raw(id),
                },
                ok,
            )
        }
        Op::AutoBlock { caller, life } => (
            Command::AutoBlock {
                caller: person(*caller),
                until: Timestamp::from_unix_secs(model.now + life),
                numbers: 20,
                window_secs: 60,
            },
            *life > 0,
        ),
        Op::TenantStatus { tenant, status } => {
            let status = [
                TenantStatus::Active,
                TenantStatus::Suspended,
                TenantStatus::Exited,
            ][*status as usize];
            let ok = model.tenant(*tenant).unwrap().1 != status;
            (
                Command::SetTenantStatus {
                    tenant: TenantId::from_raw(*tenant),
                    status,
                },
                ok,
            )
        }
        // Always accepted (a tenant the test knows); one that changes nothing makes no event.
        Op::RequireReports { tenant, required } => (
            Command::SetRealUserRequired {
                tenant: TenantId::from_raw(*tenant),
                required: *required,
            },
            true,
        ),
        Op::Report {
            tenant,
            person,
            reported,
        } => (
            Command::ReportRealUser {
                tenant: TenantId::from_raw(*tenant),
                subscriber: sub(*person),
                reported: *reported,
            },
            true,
        ),
    };

    let before = sut.state.clone();
    match sut.execute(&cmd, now) {
        Ok(events) => {
            assert!(expect_ok, "state accepted what the model refuses: {cmd:?}");
            model_apply(model, &cmd, &events);
            log.extend(events);
        }
        Err(e) => {
            assert!(
                !expect_ok,
                "state refused ({e}) what the model accepts: {cmd:?}"
            );
            assert_eq!(sut.state, before, "a refused command changed the state");
        }
    }
}

fn given(c: &NumberChoice) -> UsageNumber {
    match c {
        NumberChoice::Given(x) => *x,
        NumberChoice::Auto(_) => unreachable!(),
    }
}

fn apply_bind(model: &mut Model, b: np700::Binding) {
    // Expired bindings whose entries the new binding takes are swept first (as the state does);
    // the model derives their quarantine from time, so nothing to do but keep them ended.
    let now = model.now;
    let expired: Vec<u64> = model
        .live
        .iter()
        .filter(|x| x.expires <= now)
        .map(|x| x.id)
        .collect();
    for id in expired {
        let e = model.live.iter().find(|x| x.id == id).unwrap().expires;
        model.end(id, e, true, &[]);
        model.live.retain(|x| x.id != id);
    }
    assert_eq!(
        b.id.raw(),
        model.next_id + 1,
        "binding ids are given in order and never reused"
    );
    model.next_id = b.id.raw();
    model.live.push(MBinding {
        id: b.id.raw(),
        tenant: b.tenant.raw(),
        parties: b.parties,
        expires: b.expires_at.unix_secs(),
        suspended: false,
        policy: b.policy,
    });
}

fn model_apply(model: &mut Model, cmd: &Command, events: &[Event]) {
    let now = model.now;
    match cmd {
        Command::Bind(_) => {
            let Some(Event::Bound { binding }) = events.last() else {
                panic!("no Bound event")
            };
            apply_bind(model, binding.clone());
        }
        Command::Unbind { binding, .. } => {
            model.end(binding.raw(), now, false, &[]);
            model.live.retain(|b| b.id != binding.raw());
        }
        Command::Suspend { binding, .. } | Command::Resume { binding, .. } => {
            let b = model
                .live
                .iter_mut()
                .find(|b| b.id == binding.raw())
                .unwrap();
            b.suspended = matches!(cmd, Command::Suspend { .. });
        }
        Command::Update {
            binding,
            counterpart,
            expires_at,
            ..
        } => {
            let Some(Event::Updated { binding: new, .. }) = events.last() else {
                panic!("no Updated event")
            };
            if counterpart.is_some() {
                let keep: Vec<_> = entries(&new.parties).iter().map(|e| (e.x, e.who)).collect();
                model.end(binding.raw(), now, false, &keep);
            }
            let b = model
                .live
                .iter_mut()
                .find(|b| b.id == binding.raw())
                .unwrap();
            b.parties = new.parties.clone();
            if let Some(e) = expires_at {
                b.expires = e.unix_secs();
            }
        }
        Command::Sweep => {
            let expired: Vec<(u64, u64)> = model
                .live
                .iter()
                .filter(|b| b.expires <= now)
                .map(|b| (b.id, b.expires))
                .collect();
            for (id, at) in expired {
                model.end(id, at, true, &[]);
                model.live.retain(|b| b.id != id);
            }
            // Expired rules, and rules of bindings that ended.
            let live: BTreeSet<u64> = model.live.iter().map(|b| b.id).collect();
            model.blocks.retain(|r| {
                r.expires.is_none_or(|e| e > now)
                    && match r.scope {
                        BlockScope::Binding(b) => live.contains(&b.raw()),
                        _ => true,
                    }
            });
        }
        Command::AssignNumber { tenant, number, .. } => {
            model.holdings.retain(|(n, _)| n != number);
            model.holdings.push((*number, MHolding::Held(tenant.raw())));
        }
        Command::ReclaimNumber { tenant, number } => {
            model.holdings.retain(|(n, _)| n != number);
            model.holdings.push((
                *number,
                MHolding::Quarantined {
                    former: tenant.raw(),
                    until: now + NUMBER_Q,
                },
            ));
        }
        Command::SetTenantStatus { tenant, status } => {
            model
                .tenants
                .iter_mut()
                .find(|t| t.0 == tenant.raw())
                .unwrap()
                .1 = *status;
        }
        Command::SetRealUserRequired { tenant, required } => {
            let was = model.required.contains(&tenant.raw());
            assert_eq!(events.is_empty(), was == *required, "events of {cmd:?}");
            model.required.retain(|t| *t != tenant.raw());
            if *required {
                model.required.push(tenant.raw());
            }
        }
        Command::ReportRealUser {
            tenant,
            subscriber,
            reported,
        } => {
            let key = (tenant.raw(), *subscriber);
            let was = model.reported.contains(&key);
            assert_eq!(events.is_empty(), was == *reported, "events of {cmd:?}");
            model.reported.retain(|k| *k != key);
            if *reported {
                model.reported.push(key);
            }
        }
        Command::Block(request) => {
            let expires = request.expires_at.map(|e| e.unix_secs());
            let (scope, owner, pairs) = match &request.target {
                BlockTarget::Caller {
                    caller,
                    callee,
                    both_ways,
                } => {
                    let scope = match request.tenant {
                        None => BlockScope::Platform,
                        Some(t) => BlockScope::Tenant(t),
                    };
                    let owner = request.tenant.map(|t| t.raw());
                    (scope, owner, vec![(*caller, *callee, *both_ways)])
                }
                BlockTarget::Binding { binding, direction } => {
                    let b = model.live.iter().find(|b| b.id == binding.raw()).unwrap();
                    let (a_side, b_side) = match &b.parties {
                        Parties::Axb { a, b, .. } | Parties::Axyb { a, b, .. } => (vec![*a], *b),
                        Parties::Axn { a, n, .. } => (vec![*a], n.unwrap()),
                        Parties::Gxb { group, b, .. } => (group.clone(), *b),
                    };
                    let pairs = a_side
                        .into_iter()
                        .map(|a| match direction {
                            BlockDirection::AToB => (a, Some(b_side), false),
                            BlockDirection::BToA => (b_side, Some(a), false),
                            BlockDirection::Both => (a, Some(b_side), true),
                        })
                        .collect();
                    (BlockScope::Binding(*binding), Some(b.tenant), pairs)
                }
            };
            for (caller, callee, both) in pairs {
                model.next_block += 1;
                model.blocks.push(MBlock {
                    id: model.next_block,
                    scope,
                    owner,
                    caller,
                    callee,
                    both,
                    expires,
                    probing: false,
                });
            }
        }
        Command::LiftBlock { block, .. } => {
            model.blocks.retain(|r| r.id != block.raw());
        }
        Command::AutoBlock { caller, until, .. } => {
            let until = until.unix_secs();
            let mine = |r: &MBlock| r.probing && r.caller == *caller && r.active(now);
            if !model
                .blocks
                .iter()
                .any(|r| mine(r) && r.expires.is_none_or(|e| e >= until))
            {
                model.blocks.retain(|r| !mine(r));
                model.next_block += 1;
                model.blocks.push(MBlock {
                    id: model.next_block,
                    scope: BlockScope::Platform,
                    owner: None,
                    caller: *caller,
                    callee: None,
                    both: false,
                    expires: Some(until),
                    probing: true,
                });
            }
        }
        _ => unreachable!(),
    }
}

/// Compares every route answer and checks the invariants.
fn check(sut: &Sut, model: &Model, log: &[Event], config: &Config) {
    let state = &sut.state;
    let now = Timestamp::from_unix_secs(model.now);
    let mut numbers: BTreeSet<UsageNumber> = (0..8).map(usage).collect();
    numbers.insert(mgmt(9).usage(0).unwrap()); // not licensed
    for b in &model.live {
        numbers.extend(b.parties.usage_numbers());
    }
    for q in &model.ended {
        numbers.insert(q.x);
    }
    let callers: Vec<Option<SubscriberNumber>> = (0..8)
        .map(|i| Some(sub(i)))
        .chain([Some(stranger()), None])
        .collect();
    for x in &numbers {
        for caller in &callers {
            for media in [Media::Voice, Media::Sms] {
                let got = state.route_usage(*caller, *x, media, now);
                let want = model.route(*caller, *x, media);
                assert_eq!(
                    got,
                    want,
                    "route({caller:?} → {x}, {media:?}) at +{}s",
                    model.now - T0
                );
                let dialed = np700::DialedNumber::Usage(*x);
                let from_index = sut.registry.route_dialed(*caller, dialed, media, now);
                assert_eq!(
                    from_index, got,
                    "registry: route({caller:?} → {x}, {media:?})"
                );
                assert_eq!(
                    sut.route_composed(*caller, dialed, media, now),
                    got,
                    "index with the block table: route({caller:?} → {x}, {media:?})"
                );
                if let Decision::Route(r) = got {
                    // An ended or expired binding never routes.
                    assert!(
                        model.unexpired().any(|b| b.id == r.binding.raw()),
                        "ended binding routed"
                    );
                    // Tenants never mix: the binding's tenant holds the number dialled.
                    assert_eq!(Some(r.tenant.raw()), model.holder(x.management()));
                    // A quarantined pair never reaches a new party.
                    if let Some(c) = caller {
                        let held_by_live = model.unexpired().any(|b| {
                            entries(&b.parties)
                                .iter()
                                .any(|e| e.x == *x && e.who == Some(*c))
                        });
                        if let (false, Some(q)) = (held_by_live, model.quarantine(*x, Some(*c))) {
                            assert_eq!(
                                r.to.first(),
                                q.reached,
                                "a quarantined caller reached someone new"
                            );
                        }
                    }
                }
            }
        }
        // (X, caller) resolves to at most one live binding; an exclusive binding is alone.
        let on_x: Vec<&np700::Binding> = state
            .bindings()
            .filter(|b| !b.is_expired(now) && b.parties.usage_numbers().contains(x))
            .collect();
        let mut seen = BTreeSet::new();
        for b in &on_x {
            for (lx, p, _) in b.legs() {
                if lx == *x {
                    assert!(seen.insert(p), "{x}: {p:?} resolves to two bindings");
                    if p == Party::Anyone {
                        assert_eq!(on_x.len(), 1, "{x}: an exclusive binding is not alone");
                    }
                }
            }
        }
    }
    // An 11-digit management number asks for the rest; others are refused.
    for i in 0..4 {
        let dialed = np700::DialedNumber::Management(mgmt(i));
        let got = state.route_dialed(Some(sub(0)), dialed, Media::Voice, now);
        let from_index = sut.route_composed(Some(sub(0)), dialed, Media::Voice, now);
        assert_eq!(from_index, got);
        let want = match (model.barred_caller(sub(0)), model.holder(mgmt(i))) {
            (Some(reason), _) => Decision::Reject { reason },
            (None, Some(_)) => Decision::CollectDigits { needed: 4 },
            (None, None) => Decision::Reject {
                reason: RejectReason::Unassigned,
            },
        };
        assert_eq!(got, want);
    }
    // No management number in two tenants, and holdings agree with the model.
    for i in 0..4 {
        let holders: Vec<TenantId> = state
            .tenants()
            .filter(|t| state.pool().held_by(t.id).any(|m| m == mgmt(i)))
            .map(|t| t.id)
            .collect();
        assert!(holders.len() <= 1, "{} held by {holders:?}", mgmt(i));
        assert_eq!(holders.first().map(|t| t.raw()), model.holder(mgmt(i)));
    }
    // The block rules are the model's.
    let got: Vec<MBlock> = state
        .blocks()
        .map(|r| MBlock {
            id: r.id.raw(),
            scope: r.scope,
            owner: r.owner.map(|t| t.raw()),
            caller: r.caller,
            callee: r.callee,
            both: r.both_ways,
            expires: r.expires.map(|e| e.unix_secs()),
            probing: matches!(r.origin, BlockOrigin::Probing { .. }),
        })
        .collect();
    assert_eq!(got, model.blocks, "block rules");
    // Replaying the events rebuilds the same state.
    assert_eq!(
        State::replay(config.clone(), log),
        *state,
        "replayed state differs"
    );
}

fn setup(config: &Config) -> (Sut, Model, Vec<Event>) {
    // The registry starts with a tiny index so that growing it (rebuild and flip) is exercised.
    let tiny = Capacity {
        entries: 4,
        directory: 2,
        tenants: 1,
        pages: 1,
        extras: 1,
    };
    let mut state = Sut {
        state: State::new(config.clone()),
        registry: Registry::new(config.clone(), tiny),
        table: (0..BlockTable::words(256))
            .map(|_| AtomicU64::new(0))
            .collect(),
    };
    let now = Timestamp::from_unix_secs(T0);
    let mut log = Vec::new();
    let mut run = |state: &mut Sut, c: Command| log.extend(state.execute(&c, now).expect("setup"));
    run(
        &mut state,
        Command::RegisterTenant {
            name: "parcels".into(),
            scenarios: vec![],
            pair_cap: Some(2),
        },
    );
    run(
        &mut state,
        Command::RegisterTenant {
            name: "food".into(),
            scenarios: vec![],
            pair_cap: Some(3),
        },
    );
    run(
        &mut state,
        Command::LicenseBlock(LicensedBlock {
            first: mgmt(0),
            count: 4,
        }),
    );
    for (m, t) in [(0, 1), (1, 1), (2, 2)] {
        run(
            &mut state,
            Command::AssignNumber {
                tenant: TenantId::from_raw(t),
                number: mgmt(m),
                tags: vec![],
            },
        );
    }
    let model = Model {
        now: T0,
        blocks: vec![],
        next_block: 0,
        tenants: vec![(1, TenantStatus::Active, 2), (2, TenantStatus::Active, 3)],
        licensed: (0..4).map(mgmt).collect(),
        holdings: vec![
            (mgmt(0), MHolding::Held(1)),
            (mgmt(1), MHolding::Held(1)),
            (mgmt(2), MHolding::Held(2)),
        ],
        live: vec![],
        ended: vec![],
        next_id: 0,
        required: vec![],
        reported: vec![],
    };
    (state, model, log)
}

fn cases() -> u32 {
    std::env::var("NP700_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn state_matches_the_reference_model(ops in proptest::collection::vec(op(), 1..40)) {
        let config = Config { binding_quarantine_secs: BINDING_Q, number_quarantine_secs: NUMBER_Q, default_pair_cap: 200, ..Config::default() };
        let (mut sut, mut model, mut log) = setup(&config);
        check(&sut, &model, &log, &config);
        for op in &ops {
            step(&mut sut, &mut model, &mut log, op);
            check(&sut, &model, &log, &config);
        }
    }
}
