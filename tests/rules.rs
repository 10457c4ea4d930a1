//! One test per rule and per error of the core (DESIGN.md §1–§3), through the public API only.
//!
//! Numbers are built with `ManagementNumber::new`, `.usage(sub)` and `SubscriberNumber::parse` on
//! national mobile strings; dial strings are plain `700…` digits built from the same values.

use np700::binding::{BindingStatus, Direction, MediaSet, Targets, TimeWindow};
use np700::event::Event;
use np700::pool::{Exhaustion, Holding, PoolError};
use np700::tenant::{Scenario, ViolationKind};
use np700::{
    AnnounceReason, BindRequest, BindingId, Command, Config, Conflict, Counterpart, Decision,
    Error, LicensedBlock, ManagementNumber, Media, Mode, NumberChoice, Parties, Policy,
    RejectReason, Route, Selection, State, SubscriberNumber, Tag, TagMatch, TenantId, TenantStatus,
    Timestamp, UsageNumber,
};

// ---------------------------------------------------------------------------------------------
// Fixture
// ---------------------------------------------------------------------------------------------

/// 2026-01-01 08:00 Beijing (00:00 UTC).
const T0: u64 = 1_767_225_600;
const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// The licensed block: 70012340000 ..= 70012340009.
const BLOCK_FIRST: u64 = 700_1234_0000;
const BLOCK_LEN: u32 = 10;
/// Held by tenant 1, tagged "beijing".
const M1: u64 = 700_1234_0000;
/// Held by tenant 1, tagged "shanghai".
const M1B: u64 = 700_1234_0001;
/// Held by tenant 2, tagged "beijing".
const M2: u64 = 700_1234_0005;
/// Spare numbers of the block, assigned by the tests that need a third tenant.
const M3: u64 = 700_1234_0003;
/// Licensed, never assigned.
const M_FREE: u64 = 700_1234_0009;
/// A 700 management number outside the licensed block.
const M_FOREIGN: u64 = 700_9999_0000;

const A: &str = "13800000001";
const B: &str = "13800000002";
const C: &str = "13800000003";
const D: &str = "13800000004";
const E: &str = "13800000005";
const N: &str = "13900000009";

fn at(secs_after_t0: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs_after_t0)
}

fn s(number: &str) -> SubscriberNumber {
    SubscriberNumber::parse(number).unwrap()
}

fn m(number: u64) -> ManagementNumber {
    ManagementNumber::new(number).unwrap()
}

fn ux(management: u64, sub: u16) -> UsageNumber {
    m(management).usage(sub).unwrap()
}

/// The 15-digit dial string of usage number `sub` under `management`.
fn dial(management: u64, sub: u16) -> String {
    format!("{management}{sub:04}")
}

fn given(management: u64, sub: u16) -> NumberChoice {
    NumberChoice::Given(ux(management, sub))
}

fn auto() -> NumberChoice {
    NumberChoice::Auto(Selection::default())
}

fn axb(a: &str, x: NumberChoice, b: &str) -> Parties<NumberChoice> {
    Parties::Axb {
        a: s(a),
        x,
        b: s(b),
    }
}

fn axn(a: &str, x: NumberChoice, n: Option<&str>) -> Parties<NumberChoice> {
    Parties::Axn {
        a: s(a),
        x,
        n: n.map(s),
    }
}

fn axyb(a: &str, x: NumberChoice, y: NumberChoice, b: &str) -> Parties<NumberChoice> {
    Parties::Axyb {
        a: s(a),
        x,
        y,
        b: s(b),
    }
}

fn gxb(group: &[&str], x: NumberChoice, b: &str) -> Parties<NumberChoice> {
    Parties::Gxb {
        group: group.iter().map(|g| s(g)).collect(),
        x,
        b: s(b),
    }
}

/// A request valid for a day from T0, with the default policy.
fn req(tenant: TenantId, parties: Parties<NumberChoice>) -> BindRequest {
    BindRequest {
        tenant,
        parties,
        expires_at: at(DAY),
        policy: Policy::default(),
        order_id: "order-1".into(),
        consent_ref: "consent-1".into(),
        external_ref: String::new(),
    }
}

/// The same request, valid until `until`.
fn lasting(mut request: BindRequest, until: Timestamp) -> BindRequest {
    request.expires_at = until;
    request
}

fn tag(t: &str) -> Tag {
    Tag::new(t).unwrap()
}

/// The state, and every event accepted so far (for replay).
struct Fx {
    state: State,
    t1: TenantId,
    t2: TenantId,
    log: Vec<Event>,
}

impl Fx {
    /// Default configuration; tenant 1 ("Swift Delivery", default pair cap) holds M1 and M1B,
    /// tenant 2 ("Rapid Rides") holds M2; the block 70012340000..=70012340009 is licensed.
    fn new() -> Self {
        let mut fx = Fx {
            state: State::new(Config::default()),
            t1: TenantId::from_raw(0),
            t2: TenantId::from_raw(0),
            log: Vec::new(),
        };
        fx.t1 = fx.register("Swift Delivery", None);
        fx.t2 = fx.register("Rapid Rides", None);
        fx.ok(
            Command::LicenseBlock(LicensedBlock {
                first: m(BLOCK_FIRST),
                count: BLOCK_LEN,
            }),
            at(0),
        );
        fx.assign(fx.t1, M1, &["beijing"]);
        fx.assign(fx.t1, M1B, &["shanghai"]);
        fx.assign(fx.t2, M2, &["beijing"]);
        fx
    }

    fn register(&mut self, name: &str, pair_cap: Option<u16>) -> TenantId {
        let events = self.ok(
            Command::RegisterTenant {
                name: name.into(),
                scenarios: vec![Scenario::Delivery],
                pair_cap,
            },
            at(0),
        );
        match &events[..] {
            [Event::TenantRegistered { tenant }] => tenant.id,
            other => panic!("unexpected events {other:?}"),
        }
    }

    fn assign(&mut self, tenant: TenantId, number: u64, tags: &[&str]) {
        self.ok(
            Command::AssignNumber {
                tenant,
                number: m(number),
                tags: tags.iter().map(|t| tag(t)).collect(),
            },
            at(0),
        );
    }

    /// Executes; a refused command must leave the state exactly as it was.
    fn run(&mut self, command: Command, now: Timestamp) -> Result<Vec<Event>, Error> {
        let before = self.state.clone();
        match self.state.execute(&command, now) {
            Ok(events) => {
                self.log.extend(events.iter().cloned());
                Ok(events)
            }
            Err(e) => {
                assert_eq!(
                    self.state, before,
                    "refused command {command:?} changed the state"
                );
                Err(e)
            }
        }
    }

    fn ok(&mut self, command: Command, now: Timestamp) -> Vec<Event> {
        let c = command.clone();
        self.run(command, now)
            .unwrap_or_else(|e| panic!("{c:?} refused: {e}"))
    }

    fn err(&mut self, command: Command, now: Timestamp) -> Error {
        let c = command.clone();
        match self.run(command, now) {
            Ok(events) => panic!("{c:?} accepted: {events:?}"),
            Err(e) => e,
        }
    }

    fn try_bind(&mut self, request: BindRequest, now: Timestamp) -> Result<BindingId, Error> {
        let events = self.run(Command::Bind(request), now)?;
        Ok(events
            .iter()
            .find_map(|e| match e {
                Event::Bound { binding } => Some(binding.id),
                _ => None,
            })
            .expect("a Bound event"))
    }

    fn bind(&mut self, request: BindRequest, now: Timestamp) -> BindingId {
        self.try_bind(request, now)
            .unwrap_or_else(|e| panic!("bind refused: {e}"))
    }

    fn bind_err(&mut self, request: BindRequest, now: Timestamp) -> Error {
        self.err(Command::Bind(request), now)
    }

    fn unbind(&mut self, tenant: TenantId, binding: BindingId, now: Timestamp) -> Vec<Event> {
        self.ok(Command::Unbind { tenant, binding }, now)
    }

    fn x_of(&self, binding: BindingId) -> UsageNumber {
        self.state.binding(binding).unwrap().parties.usage_numbers()[0]
    }

    fn call(&self, caller: &str, dialed: &str, now: Timestamp) -> Decision {
        self.state.route(caller, dialed, Media::Voice, now)
    }

    fn sms(&self, caller: &str, dialed: &str, now: Timestamp) -> Decision {
        self.state.route(caller, dialed, Media::Sms, now)
    }
}

fn routed(d: Decision) -> Route {
    match d {
        Decision::Route(r) => r,
        other => panic!("expected a route, got {other:?}"),
    }
}

fn rejected(reason: RejectReason) -> Decision {
    Decision::Reject { reason }
}

fn announced(reason: AnnounceReason) -> Decision {
    Decision::Announce { reason }
}

fn conflict(number: UsageNumber, conflict: Conflict) -> Error {
    Error::NumberConflict { number, conflict }
}

// ---------------------------------------------------------------------------------------------
// Tenants
// ---------------------------------------------------------------------------------------------

#[test]
fn tenants_get_ids_in_registration_order() {
    let mut fx = Fx::new();
    assert_eq!(fx.t1, TenantId::from_raw(1));
    assert_eq!(fx.t2, TenantId::from_raw(2));
    assert_eq!(fx.state.next_tenant_id(), TenantId::from_raw(3));
    let t3 = fx.register("Third", Some(7));
    assert_eq!(t3, TenantId::from_raw(3));
    let t = fx.state.tenant(t3).unwrap();
    assert_eq!(t.name, "Third");
    assert_eq!(t.pair_cap, 7);
    assert_eq!(t.status, TenantStatus::Active);
    assert_eq!(fx.state.tenant(fx.t1).unwrap().pair_cap, 200);
    let ids: Vec<_> = fx.state.tenants().map(|t| t.id).collect();
    assert_eq!(ids, [fx.t1, fx.t2, t3]);
}

#[test]
fn a_tenant_name_that_is_empty_too_long_or_has_control_characters_is_refused() {
    let mut fx = Fx::new();
    let bad = ["".to_string(), "x".repeat(129), "bad\nname".to_string()];
    for name in bad {
        let e = fx.err(
            Command::RegisterTenant {
                name,
                scenarios: vec![],
                pair_cap: None,
            },
            at(0),
        );
        assert_eq!(
            e,
            Error::InvalidField {
                field: "name",
                max: 128
            }
        );
    }
    fx.register(&"x".repeat(128), None);
}

#[test]
fn a_pair_cap_of_zero_is_refused() {
    let mut fx = Fx::new();
    let e = fx.err(
        Command::RegisterTenant {
            name: "Nothing".into(),
            scenarios: vec![],
            pair_cap: Some(0),
        },
        at(0),
    );
    assert!(
        matches!(
            e,
            Error::InvalidField {
                field: "pair_cap",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn setting_a_tenant_to_the_status_it_has_is_refused() {
    let mut fx = Fx::new();
    let e = fx.err(
        Command::SetTenantStatus {
            tenant: fx.t1,
            status: TenantStatus::Active,
        },
        at(0),
    );
    assert_eq!(
        e,
        Error::TenantStatusUnchanged {
            tenant: fx.t1,
            status: TenantStatus::Active
        }
    );
    fx.ok(
        Command::SetTenantStatus {
            tenant: fx.t1,
            status: TenantStatus::Suspended,
        },
        at(0),
    );
    assert_eq!(
        fx.state.tenant(fx.t1).unwrap().status,
        TenantStatus::Suspended
    );
}

#[test]
fn commands_for_an_unknown_tenant_are_refused() {
    let mut fx = Fx::new();
    let ghost = TenantId::from_raw(99);
    let e = fx.bind_err(req(ghost, axb(A, auto(), B)), at(0));
    assert_eq!(e, Error::UnknownTenant(ghost));
    let e = fx.err(
        Command::SetTenantStatus {
            tenant: ghost,
            status: TenantStatus::Exited,
        },
        at(0),
    );
    assert_eq!(e, Error::UnknownTenant(ghost));
}

#[test]
fn a_suspended_tenant_cannot_bind() {
    let mut fx = Fx::new();
    fx.ok(
        Command::SetTenantStatus {
            tenant: fx.t1,
            status: TenantStatus::Suspended,
        },
        at(0),
    );
    let e = fx.bind_err(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    assert_eq!(
        e,
        Error::TenantNotActive {
            tenant: fx.t1,
            status: TenantStatus::Suspended
        }
    );
}

#[test]
fn an_exited_tenant_cannot_bind() {
    let mut fx = Fx::new();
    fx.ok(
        Command::SetTenantStatus {
            tenant: fx.t1,
            status: TenantStatus::Exited,
        },
        at(0),
    );
    let e = fx.bind_err(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    assert_eq!(
        e,
        Error::TenantNotActive {
            tenant: fx.t1,
            status: TenantStatus::Exited
        }
    );
}

#[test]
fn an_inactive_tenant_cannot_give_its_bindings_new_counterparts_or_longer_lives() {
    for status in [TenantStatus::Suspended, TenantStatus::Exited] {
        let mut fx = Fx::new();
        let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
        fx.ok(
            Command::SetTenantStatus {
                tenant: fx.t1,
                status,
            },
            at(1),
        );
        let expected = Error::TenantNotActive {
            tenant: fx.t1,
            status,
        };
        let new_b = Command::Update {
            tenant: fx.t1,
            binding: id,
            counterpart: Some(Counterpart::B(s(C))),
            expires_at: None,
            policy: None,
        };
        assert_eq!(
            fx.err(new_b, at(2)),
            expected,
            "{status:?}: new counterpart"
        );
        let longer = Command::Update {
            tenant: fx.t1,
            binding: id,
            counterpart: None,
            expires_at: Some(at(365 * DAY)),
            policy: None,
        };
        assert_eq!(fx.err(longer, at(2)), expected, "{status:?}: longer life");
        // Ending a binding stays possible.
        fx.unbind(fx.t1, id, at(3));
    }
}

#[test]
fn an_exited_tenants_bindings_keep_routing_until_they_expire() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    fx.ok(
        Command::SetTenantStatus {
            tenant: fx.t1,
            status: TenantStatus::Exited,
        },
        at(HOUR),
    );
    let r = routed(fx.call(A, &dial(M1, 1), at(2 * HOUR)));
    assert_eq!(r.binding, id);
    assert_eq!(r.to, Targets::one(s(B)));
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(DAY)),
        announced(AnnounceReason::Expired)
    );
}

#[test]
fn a_suspended_tenants_calls_are_rejected_until_it_is_reactivated() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    fx.ok(
        Command::SetTenantStatus {
            tenant: fx.t1,
            status: TenantStatus::Suspended,
        },
        at(0),
    );
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(1)),
        rejected(RejectReason::TenantSuspended)
    );
    assert_eq!(
        fx.call(B, &dial(M1, 1), at(1)),
        rejected(RejectReason::TenantSuspended)
    );
    fx.ok(
        Command::SetTenantStatus {
            tenant: fx.t1,
            status: TenantStatus::Active,
        },
        at(2),
    );
    routed(fx.call(A, &dial(M1, 1), at(3)));
}

#[test]
fn violations_are_recorded_in_the_tenants_credit_record_oldest_first() {
    let mut fx = Fx::new();
    fx.ok(
        Command::RecordViolation {
            tenant: fx.t2,
            kind: ViolationKind::Marketing,
            note: "bulk calls".into(),
        },
        at(10),
    );
    fx.ok(
        Command::RecordViolation {
            tenant: fx.t2,
            kind: ViolationKind::AppRegistration,
            note: String::new(),
        },
        at(20),
    );
    let record = &fx.state.tenant(fx.t2).unwrap().credit_record;
    assert_eq!(record.len(), 2);
    assert_eq!(record[0].kind, ViolationKind::Marketing);
    assert_eq!(record[0].note, "bulk calls");
    assert_eq!(record[0].at, at(10));
    assert_eq!(record[1].kind, ViolationKind::AppRegistration);
    assert!(fx.state.tenant(fx.t1).unwrap().credit_record.is_empty());
    let e = fx.err(
        Command::RecordViolation {
            tenant: fx.t2,
            kind: ViolationKind::Fraud,
            note: "n".repeat(257),
        },
        at(30),
    );
    assert!(
        matches!(e, Error::InvalidField { field: "note", .. }),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Pool
// ---------------------------------------------------------------------------------------------

#[test]
fn a_licensed_block_that_is_empty_too_long_or_runs_past_the_segment_is_refused() {
    let mut fx = Fx::new();
    let cases = [
        (700_5000_0000, 0),
        (700_5000_0000, 100_001),
        (700_9999_9999, 2),
    ];
    for (first, count) in cases {
        let block = LicensedBlock {
            first: m(first),
            count,
        };
        assert_eq!(
            fx.err(Command::LicenseBlock(block), at(0)),
            Error::Pool(PoolError::InvalidBlock {
                first: m(first),
                count
            })
        );
    }
    fx.ok(
        Command::LicenseBlock(LicensedBlock {
            first: m(700_9999_9999),
            count: 1,
        }),
        at(0),
    );
}

#[test]
fn a_licensed_block_overlapping_an_existing_one_is_refused() {
    let mut fx = Fx::new();
    let block = LicensedBlock {
        first: m(BLOCK_FIRST + 9),
        count: 5,
    };
    assert_eq!(
        fx.err(Command::LicenseBlock(block), at(0)),
        Error::Pool(PoolError::BlockOverlaps {
            first: m(BLOCK_FIRST + 9)
        })
    );
    // Adjacent is fine.
    fx.ok(
        Command::LicenseBlock(LicensedBlock {
            first: m(BLOCK_FIRST + 10),
            count: 5,
        }),
        at(0),
    );
    assert_eq!(fx.state.pool().blocks().len(), 2);
}

#[test]
fn assigning_an_unlicensed_number_is_refused() {
    let mut fx = Fx::new();
    let e = fx.err(
        Command::AssignNumber {
            tenant: fx.t1,
            number: m(M_FOREIGN),
            tags: vec![],
        },
        at(0),
    );
    assert_eq!(e, Error::Pool(PoolError::NotLicensed(m(M_FOREIGN))));
}

#[test]
fn assigning_a_number_held_by_another_tenant_is_refused() {
    let mut fx = Fx::new();
    let e = fx.err(
        Command::AssignNumber {
            tenant: fx.t2,
            number: m(M1),
            tags: vec![],
        },
        at(0),
    );
    assert_eq!(e, Error::Pool(PoolError::HeldByAnotherTenant(m(M1))));
    assert_eq!(fx.state.pool().holder(m(M1)), Some(fx.t1));
}

#[test]
fn assigning_a_number_the_tenant_already_holds_is_refused() {
    let mut fx = Fx::new();
    let e = fx.err(
        Command::AssignNumber {
            tenant: fx.t1,
            number: m(M1),
            tags: vec![],
        },
        at(0),
    );
    assert_eq!(e, Error::Pool(PoolError::AlreadyAssigned(m(M1))));
}

#[test]
fn an_exited_tenant_cannot_be_assigned_numbers() {
    let mut fx = Fx::new();
    fx.ok(
        Command::SetTenantStatus {
            tenant: fx.t1,
            status: TenantStatus::Exited,
        },
        at(0),
    );
    let e = fx.err(
        Command::AssignNumber {
            tenant: fx.t1,
            number: m(M3),
            tags: vec![],
        },
        at(0),
    );
    assert_eq!(
        e,
        Error::TenantNotActive {
            tenant: fx.t1,
            status: TenantStatus::Exited
        }
    );
}

#[test]
fn a_reclaimed_number_is_refused_to_another_tenant_until_its_quarantine_ends() {
    let mut fx = Fx::new();
    let events = fx.ok(
        Command::ReclaimNumber {
            tenant: fx.t1,
            number: m(M1B),
        },
        at(0),
    );
    let until = at(30 * DAY);
    assert!(matches!(
        events.last(),
        Some(Event::NumberReclaimed { quarantine_until, .. }) if *quarantine_until == until
    ));
    let assign_t2 = Command::AssignNumber {
        tenant: fx.t2,
        number: m(M1B),
        tags: vec![],
    };
    assert_eq!(
        fx.err(assign_t2.clone(), at(30 * DAY - 1)),
        Error::Pool(PoolError::InQuarantine {
            number: m(M1B),
            until
        })
    );
    // Even before a sweep prunes it, a quarantine that has run out no longer blocks.
    fx.ok(assign_t2, at(30 * DAY));
    assert_eq!(fx.state.pool().holder(m(M1B)), Some(fx.t2));
}

#[test]
fn a_reclaimed_number_can_go_back_to_its_former_tenant_at_once() {
    let mut fx = Fx::new();
    fx.ok(
        Command::ReclaimNumber {
            tenant: fx.t1,
            number: m(M1B),
        },
        at(0),
    );
    assert!(matches!(
        fx.state.pool().holding(m(M1B), at(1)),
        Some(Holding::Quarantined { former, .. }) if former == fx.t1
    ));
    fx.ok(
        Command::AssignNumber {
            tenant: fx.t1,
            number: m(M1B),
            tags: vec![],
        },
        at(1),
    );
    assert_eq!(fx.state.pool().holder(m(M1B)), Some(fx.t1));
}

#[test]
fn reclaiming_a_number_the_tenant_does_not_hold_is_refused() {
    let mut fx = Fx::new();
    let e = fx.err(
        Command::ReclaimNumber {
            tenant: fx.t2,
            number: m(M1),
        },
        at(0),
    );
    assert_eq!(
        e,
        Error::Pool(PoolError::NotHeld {
            number: m(M1),
            tenant: fx.t2
        })
    );
    let e = fx.err(
        Command::ReclaimNumber {
            tenant: fx.t1,
            number: m(M_FREE),
        },
        at(0),
    );
    assert_eq!(
        e,
        Error::Pool(PoolError::NotHeld {
            number: m(M_FREE),
            tenant: fx.t1
        })
    );
}

#[test]
fn reclaiming_a_number_with_live_bindings_is_refused() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axb(A, given(M1B, 1), B)), at(0));
    let id = fx.bind(req(fx.t1, axb(C, given(M1B, 2), D)), at(0));
    fx.ok(
        Command::Suspend {
            tenant: fx.t1,
            binding: id,
        },
        at(0),
    );
    let e = fx.err(
        Command::ReclaimNumber {
            tenant: fx.t1,
            number: m(M1B),
        },
        at(1),
    );
    assert_eq!(e, Error::NumberInUse { live_bindings: 2 });
}

#[test]
fn reclaiming_works_once_the_bindings_are_released() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1B, 1), B)), at(0));
    fx.unbind(fx.t1, id, at(1));
    fx.ok(
        Command::ReclaimNumber {
            tenant: fx.t1,
            number: m(M1B),
        },
        at(2),
    );
    assert_eq!(fx.state.pool().holder(m(M1B)), None);
    assert_eq!(
        fx.call(A, &dial(M1B, 1), at(3)),
        rejected(RejectReason::Unassigned)
    );
}

#[test]
fn reclaiming_sweeps_expired_bindings_left_on_the_number() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1B, 1), B)), at(0));
    let events = fx.ok(
        Command::ReclaimNumber {
            tenant: fx.t1,
            number: m(M1B),
        },
        at(DAY),
    );
    assert!(matches!(events[0], Event::Expired { binding, .. } if binding == id));
    assert!(fx.state.binding(id).is_none());
}

#[test]
fn calls_to_a_number_not_licensed_to_the_platform_are_not_ours() {
    let fx = Fx::new();
    assert_eq!(
        fx.call(A, &dial(M_FOREIGN, 1), at(0)),
        rejected(RejectReason::NotOurs)
    );
    assert_eq!(
        fx.call(A, &M_FOREIGN.to_string(), at(0)),
        rejected(RejectReason::NotOurs)
    );
}

#[test]
fn calls_to_a_licensed_but_unassigned_number_are_unassigned() {
    let fx = Fx::new();
    assert_eq!(
        fx.call(A, &dial(M_FREE, 1), at(0)),
        rejected(RejectReason::Unassigned)
    );
    assert_eq!(
        fx.call(A, &M_FREE.to_string(), at(0)),
        rejected(RejectReason::Unassigned)
    );
}

#[test]
fn calls_to_an_assigned_number_without_bindings_get_no_binding() {
    let fx = Fx::new();
    assert_eq!(
        fx.call(A, &dial(M1, 42), at(0)),
        rejected(RejectReason::NoBinding)
    );
}

// ---------------------------------------------------------------------------------------------
// Binding modes
// ---------------------------------------------------------------------------------------------

#[test]
fn axb_routes_a_to_b_and_b_to_a_showing_x() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    let x = ux(M1, 1);
    let r = routed(fx.call(A, &dial(M1, 1), at(1)));
    assert_eq!(
        r,
        Route {
            to: Targets::one(s(B)),
            display: x,
            binding: id,
            tenant: fx.t1,
            mode: Mode::Axb,
            record: false,
        }
    );
    let r = routed(fx.call(B, &dial(M1, 1), at(1)));
    assert_eq!(r.to, Targets::one(s(A)));
    assert_eq!(r.display, x);
    assert_eq!(
        fx.call(C, &dial(M1, 1), at(1)),
        rejected(RejectReason::CallerNotPermitted)
    );
}

#[test]
fn axn_routes_everyone_else_to_a_and_a_to_n() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axn(A, given(M1, 1), Some(N))), at(0));
    for caller in [B, C, N] {
        let r = routed(fx.call(caller, &dial(M1, 1), at(1)));
        assert_eq!(r.to, Targets::one(s(A)));
        assert_eq!(r.display, ux(M1, 1));
        assert_eq!(r.binding, id);
        assert_eq!(r.mode, Mode::Axn);
    }
    let r = routed(fx.call(A, &dial(M1, 1), at(1)));
    assert_eq!(r.to, Targets::one(s(N)));
    assert_eq!(r.display, ux(M1, 1));
}

#[test]
fn axn_without_n_refuses_as_own_calls_with_no_destination() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axn(A, given(M1, 1), None)), at(0));
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(1)),
        rejected(RejectReason::NoDestination)
    );
    routed(fx.call(B, &dial(M1, 1), at(1)));
}

#[test]
fn axn_allow_list_admits_only_listed_callers_and_a() {
    let mut fx = Fx::new();
    let mut r = req(fx.t1, axn(A, given(M1, 1), Some(N)));
    r.policy.allowed_callers = vec![s(C), s(B), s(C)];
    let id = fx.bind(r, at(0));
    assert_eq!(
        fx.state.binding(id).unwrap().policy.allowed_callers,
        vec![s(B), s(C)],
        "allow-list is kept sorted and deduplicated"
    );
    assert_eq!(
        routed(fx.call(C, &dial(M1, 1), at(1))).to,
        Targets::one(s(A))
    );
    assert_eq!(
        fx.call(D, &dial(M1, 1), at(1)),
        rejected(RejectReason::CallerNotPermitted)
    );
    assert_eq!(
        routed(fx.call(A, &dial(M1, 1), at(1))).to,
        Targets::one(s(N))
    );
}

#[test]
fn axyb_routes_a_via_y_to_b_shown_x_and_b_via_x_to_a_shown_y() {
    let mut fx = Fx::new();
    let (x, y) = (ux(M1, 1), ux(M1, 2));
    let id = fx.bind(req(fx.t1, axyb(A, given(M1, 1), given(M1, 2), B)), at(0));
    let r = routed(fx.call(A, &dial(M1, 2), at(1)));
    assert_eq!((r.to, r.display, r.binding), (Targets::one(s(B)), x, id));
    let r = routed(fx.call(B, &dial(M1, 1), at(1)));
    assert_eq!(
        (r.to, r.display, r.mode),
        (Targets::one(s(A)), y, Mode::Axyb)
    );
    // Each side only has its own number.
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(1)),
        rejected(RejectReason::CallerNotPermitted)
    );
    assert_eq!(
        fx.call(B, &dial(M1, 2), at(1)),
        rejected(RejectReason::CallerNotPermitted)
    );
}

#[test]
fn axyb_with_automatic_numbers_gets_two_different_numbers() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axyb(A, auto(), auto(), B)), at(0));
    let numbers = fx.state.binding(id).unwrap().parties.usage_numbers();
    assert_eq!(numbers.len(), 2);
    assert_ne!(numbers[0], numbers[1]);
    // An automatic Y never takes the X the request named.
    let id = fx.bind(req(fx.t1, axyb(C, given(M1, 0), auto(), D)), at(0));
    let numbers = fx.state.binding(id).unwrap().parties.usage_numbers();
    assert_eq!(numbers[0], ux(M1, 0));
    assert_ne!(numbers[1], ux(M1, 0));
}

#[test]
fn gxb_routes_members_to_b_and_b_to_all_members_in_order() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, gxb(&[C, A, D], given(M1, 1), B)), at(0));
    for member in [A, C, D] {
        let r = routed(fx.call(member, &dial(M1, 1), at(1)));
        assert_eq!(
            (r.to, r.display, r.binding),
            (Targets::one(s(B)), ux(M1, 1), id)
        );
    }
    let r = routed(fx.call(B, &dial(M1, 1), at(1)));
    assert_eq!(r.mode, Mode::Gxb);
    assert_eq!(r.display, ux(M1, 1));
    assert_eq!(r.to.len(), 3);
    assert_eq!(r.to.iter().collect::<Vec<_>>(), vec![s(C), s(A), s(D)]);
}

#[test]
fn one_usage_number_carries_many_axb_pairs_keyed_by_caller() {
    let mut fx = Fx::new();
    let one = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    let two = fx.bind(req(fx.t1, axb(C, given(M1, 1), D)), at(0));
    assert_eq!(routed(fx.call(A, &dial(M1, 1), at(1))).binding, one);
    assert_eq!(routed(fx.call(D, &dial(M1, 1), at(1))).binding, two);
    assert_eq!(
        routed(fx.call(D, &dial(M1, 1), at(1))).to,
        Targets::one(s(C))
    );
}

#[test]
fn a_party_never_sees_the_same_x_in_two_live_bindings() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    let e = fx.bind_err(req(fx.t1, axb(C, given(M1, 1), A)), at(0));
    assert_eq!(e, conflict(ux(M1, 1), Conflict::PartyAlreadyBound(s(A))));
    let e = fx.bind_err(req(fx.t1, gxb(&[C, B], given(M1, 1), D)), at(0));
    assert_eq!(e, conflict(ux(M1, 1), Conflict::PartyAlreadyBound(s(B))));
    // On another number it is fine.
    fx.bind(req(fx.t1, axb(C, given(M1, 2), A)), at(0));
}

#[test]
fn a_number_held_by_an_axn_binding_takes_no_other_binding() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axn(A, given(M1, 1), None)), at(0));
    let e = fx.bind_err(req(fx.t1, axb(C, given(M1, 1), D)), at(0));
    assert_eq!(e, conflict(ux(M1, 1), Conflict::HeldExclusively));
}

#[test]
fn an_axn_binding_needs_a_number_that_carries_nothing_else() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axb(C, given(M1, 1), D)), at(0));
    let e = fx.bind_err(req(fx.t1, axn(A, given(M1, 1), None)), at(0));
    assert_eq!(e, conflict(ux(M1, 1), Conflict::NotFree));
}

#[test]
fn a_usage_number_carries_at_most_the_tenants_pair_cap() {
    let mut fx = Fx::new();
    let t3 = fx.register("Capped", Some(2));
    fx.assign(t3, M3, &[]);
    fx.bind(req(t3, axb(A, given(M3, 1), B)), at(0));
    fx.bind(req(t3, gxb(&[C], given(M3, 1), D)), at(0));
    let e = fx.bind_err(req(t3, axb(E, given(M3, 1), N)), at(0));
    assert_eq!(e, conflict(ux(M3, 1), Conflict::AtCapacity(2)));
}

#[test]
fn binding_on_another_tenants_number_is_refused() {
    let mut fx = Fx::new();
    let e = fx.bind_err(req(fx.t2, axb(A, given(M1, 1), B)), at(0));
    assert_eq!(
        e,
        Error::Pool(PoolError::NotHeld {
            number: m(M1),
            tenant: fx.t2
        })
    );
    // Nor a free licensed one, nor an unlicensed one.
    assert_eq!(
        fx.bind_err(req(fx.t2, axb(A, given(M_FREE, 1), B)), at(0)),
        Error::Pool(PoolError::NotHeld {
            number: m(M_FREE),
            tenant: fx.t2
        })
    );
    assert_eq!(
        fx.bind_err(req(fx.t2, axb(A, given(M_FOREIGN, 1), B)), at(0)),
        Error::Pool(PoolError::NotLicensed(m(M_FOREIGN)))
    );
}

#[test]
fn a_subscriber_appearing_twice_in_a_binding_is_refused() {
    let mut fx = Fx::new();
    for parties in [
        axb(A, given(M1, 1), A),
        axn(A, given(M1, 1), Some(A)),
        axyb(A, given(M1, 1), given(M1, 2), A),
        gxb(&[C, A, C], given(M1, 1), B),
        gxb(&[C], given(M1, 1), C),
    ] {
        let e = fx.bind_err(req(fx.t1, parties), at(0));
        assert!(matches!(e, Error::InvalidParties(_)), "{e:?}");
    }
}

#[test]
fn a_gxb_group_must_have_one_to_eight_members() {
    let mut fx = Fx::new();
    let e = fx.bind_err(req(fx.t1, gxb(&[], given(M1, 1), B)), at(0));
    assert!(matches!(e, Error::InvalidParties(_)), "{e:?}");
    let nine: Vec<String> = (1..=9).map(|i| format!("1370000000{i}")).collect();
    let nine: Vec<&str> = nine.iter().map(String::as_str).collect();
    let e = fx.bind_err(req(fx.t1, gxb(&nine, given(M1, 1), B)), at(0));
    assert!(matches!(e, Error::InvalidParties(_)), "{e:?}");
    fx.bind(req(fx.t1, gxb(&nine[..8], given(M1, 1), B)), at(0));
}

#[test]
fn axyb_with_x_equal_to_y_is_refused() {
    let mut fx = Fx::new();
    let e = fx.bind_err(req(fx.t1, axyb(A, given(M1, 1), given(M1, 1), B)), at(0));
    assert!(matches!(e, Error::InvalidParties(_)), "{e:?}");
}

#[test]
fn a_binding_without_consent_is_refused() {
    let mut fx = Fx::new();
    let mut r = req(fx.t1, axb(A, given(M1, 1), B));
    r.consent_ref = String::new();
    assert_eq!(
        fx.bind_err(r, at(0)),
        Error::InvalidField {
            field: "consent_ref",
            max: 64
        }
    );
}

#[test]
fn an_over_long_order_id_is_refused() {
    let mut fx = Fx::new();
    let mut r = req(fx.t1, axb(A, given(M1, 1), B));
    r.order_id = "o".repeat(65);
    assert_eq!(
        fx.bind_err(r.clone(), at(0)),
        Error::InvalidField {
            field: "order_id",
            max: 64
        }
    );
    r.order_id = "o".repeat(64);
    r.external_ref = "e".repeat(65);
    assert_eq!(
        fx.bind_err(r.clone(), at(0)),
        Error::InvalidField {
            field: "external_ref",
            max: 64
        }
    );
    r.external_ref = String::new();
    fx.bind(r, at(0));
}

#[test]
fn a_binding_expiring_now_or_earlier_is_refused() {
    let mut fx = Fx::new();
    for expires_at in [at(0), Timestamp::from_unix_secs(T0 - 1)] {
        let mut r = req(fx.t1, axb(A, given(M1, 1), B));
        r.expires_at = expires_at;
        assert_eq!(
            fx.bind_err(r, at(0)),
            Error::ExpiryNotInFuture {
                expires_at,
                now: at(0)
            }
        );
    }
}

#[test]
fn a_policy_allowing_no_media_is_refused() {
    let mut fx = Fx::new();
    let mut r = req(fx.t1, axb(A, given(M1, 1), B));
    r.policy.media = MediaSet {
        voice: false,
        sms: false,
    };
    assert!(matches!(fx.bind_err(r, at(0)), Error::InvalidPolicy(_)));
}

#[test]
fn a_malformed_time_window_is_refused() {
    let mut fx = Fx::new();
    for (start_minute, end_minute) in [(600, 600), (0, 1440), (1440, 10)] {
        let mut r = req(fx.t1, axb(A, given(M1, 1), B));
        r.policy.window = Some(TimeWindow {
            start_minute,
            end_minute,
        });
        assert!(matches!(fx.bind_err(r, at(0)), Error::InvalidPolicy(_)));
    }
}

#[test]
fn an_allow_list_outside_axn_is_refused() {
    let mut fx = Fx::new();
    let mut r = req(fx.t1, axb(A, given(M1, 1), B));
    r.policy.allowed_callers = vec![s(C)];
    assert!(matches!(fx.bind_err(r, at(0)), Error::InvalidPolicy(_)));
}

#[test]
fn an_allow_list_over_32_callers_is_refused() {
    let mut fx = Fx::new();
    let mut r = req(fx.t1, axn(A, given(M1, 1), None));
    r.policy.allowed_callers = (0..33).map(|i| s(&format!("136000000{i:02}"))).collect();
    assert!(matches!(
        fx.bind_err(r.clone(), at(0)),
        Error::InvalidPolicy(_)
    ));
    r.policy.allowed_callers.pop();
    fx.bind(r, at(0));
}

#[test]
fn a_medium_the_policy_does_not_allow_is_refused() {
    let mut fx = Fx::new();
    let mut r = req(fx.t1, axb(A, given(M1, 1), B));
    r.policy.media = MediaSet::VOICE_ONLY;
    fx.bind(r, at(0));
    routed(fx.call(A, &dial(M1, 1), at(1)));
    assert_eq!(
        fx.sms(A, &dial(M1, 1), at(1)),
        rejected(RejectReason::MediaNotPermitted)
    );
}

#[test]
fn a_barred_direction_is_refused() {
    let mut fx = Fx::new();
    let mut r = req(fx.t1, axb(A, given(M1, 1), B));
    r.policy.direction = Direction::AToBOnly;
    fx.bind(r, at(0));
    let mut r = req(fx.t1, axb(C, given(M1, 2), D));
    r.policy.direction = Direction::BToAOnly;
    fx.bind(r, at(0));
    routed(fx.call(A, &dial(M1, 1), at(1)));
    assert_eq!(
        fx.call(B, &dial(M1, 1), at(1)),
        rejected(RejectReason::DirectionBarred)
    );
    routed(fx.call(D, &dial(M1, 2), at(1)));
    assert_eq!(
        fx.call(C, &dial(M1, 2), at(1)),
        rejected(RejectReason::DirectionBarred)
    );
}

#[test]
fn calls_outside_the_time_window_in_beijing_time_are_refused() {
    let mut fx = Fx::new();
    // 09:00–18:00 Beijing; T0 is 08:00 Beijing.
    let mut r = req(fx.t1, axb(A, given(M1, 1), B));
    r.policy.window = Some(TimeWindow {
        start_minute: 9 * 60,
        end_minute: 18 * 60,
    });
    fx.bind(r, at(0));
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(0)),
        rejected(RejectReason::OutsideTimeWindow)
    );
    routed(fx.call(A, &dial(M1, 1), at(HOUR)));
    routed(fx.call(A, &dial(M1, 1), at(10 * HOUR - MINUTE)));
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(10 * HOUR)),
        rejected(RejectReason::OutsideTimeWindow)
    );
}

#[test]
fn a_time_window_past_midnight_wraps() {
    let mut fx = Fx::new();
    // 22:00–06:00 Beijing.
    let mut r = req(fx.t1, axb(A, given(M1, 1), B));
    r.policy.window = Some(TimeWindow {
        start_minute: 22 * 60,
        end_minute: 6 * 60,
    });
    fx.bind(r, at(0));
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(0)),
        rejected(RejectReason::OutsideTimeWindow)
    );
    routed(fx.call(A, &dial(M1, 1), at(14 * HOUR))); // 22:00
    routed(fx.call(A, &dial(M1, 1), at(21 * HOUR))); // 05:00
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(22 * HOUR)), // 06:00
        rejected(RejectReason::OutsideTimeWindow)
    );
}

#[test]
fn the_record_flag_reaches_the_route() {
    let mut fx = Fx::new();
    let mut r = req(fx.t1, axb(A, given(M1, 1), B));
    r.policy.record = true;
    fx.bind(r, at(0));
    fx.bind(req(fx.t1, axb(C, given(M1, 2), D)), at(0));
    assert!(routed(fx.call(A, &dial(M1, 1), at(1))).record);
    assert!(!routed(fx.call(C, &dial(M1, 2), at(1))).record);
}

#[test]
fn a_suspended_binding_is_refused_until_resumed() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    fx.ok(
        Command::Suspend {
            tenant: fx.t1,
            binding: id,
        },
        at(1),
    );
    assert_eq!(
        fx.state.binding(id).unwrap().status,
        BindingStatus::Suspended
    );
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(2)),
        rejected(RejectReason::BindingSuspended)
    );
    fx.ok(
        Command::Resume {
            tenant: fx.t1,
            binding: id,
        },
        at(3),
    );
    routed(fx.call(A, &dial(M1, 1), at(4)));
}

#[test]
fn suspending_a_suspended_or_resuming_an_active_binding_is_refused() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    assert_eq!(
        fx.err(
            Command::Resume {
                tenant: fx.t1,
                binding: id
            },
            at(1)
        ),
        Error::StatusUnchanged {
            binding: id,
            status: BindingStatus::Active
        }
    );
    fx.ok(
        Command::Suspend {
            tenant: fx.t1,
            binding: id,
        },
        at(1),
    );
    assert_eq!(
        fx.err(
            Command::Suspend {
                tenant: fx.t1,
                binding: id
            },
            at(2)
        ),
        Error::StatusUnchanged {
            binding: id,
            status: BindingStatus::Suspended
        }
    );
}

#[test]
fn updating_the_counterpart_quarantines_the_old_one_and_routes_the_new_one() {
    let mut fx = Fx::new();
    let id = fx.bind(
        lasting(req(fx.t1, axb(A, given(M1, 1), B)), at(3 * DAY)),
        at(0),
    );
    let events = fx.ok(
        Command::Update {
            tenant: fx.t1,
            binding: id,
            counterpart: Some(Counterpart::B(s(C))),
            expires_at: None,
            policy: None,
        },
        at(HOUR),
    );
    assert!(matches!(
        &events[..],
        [Event::Updated { quarantine_until, .. }] if *quarantine_until == at(HOUR + DAY)
    ));
    assert_eq!(
        routed(fx.call(A, &dial(M1, 1), at(HOUR + 1))).to,
        Targets::one(s(C))
    );
    let r = routed(fx.call(C, &dial(M1, 1), at(HOUR + 1)));
    assert_eq!((r.to, r.binding), (Targets::one(s(A)), id));
    assert_eq!(
        fx.call(B, &dial(M1, 1), at(HOUR + 1)),
        announced(AnnounceReason::ServiceEnded)
    );
    // After the quarantine, the old B is simply not a party.
    assert_eq!(
        fx.call(B, &dial(M1, 1), at(HOUR + DAY)),
        rejected(RejectReason::CallerNotPermitted)
    );
}

#[test]
fn updating_a_gxb_group_and_an_axn_default_destination() {
    let mut fx = Fx::new();
    let g = fx.bind(req(fx.t1, gxb(&[A, C], given(M1, 1), B)), at(0));
    fx.ok(
        Command::Update {
            tenant: fx.t1,
            binding: g,
            counterpart: Some(Counterpart::Group(vec![D, A].into_iter().map(s).collect())),
            expires_at: None,
            policy: None,
        },
        at(1),
    );
    let r = routed(fx.call(B, &dial(M1, 1), at(2)));
    assert_eq!(r.to.iter().collect::<Vec<_>>(), vec![s(D), s(A)]);
    assert_eq!(
        fx.call(C, &dial(M1, 1), at(2)),
        announced(AnnounceReason::ServiceEnded)
    );

    let n = fx.bind(req(fx.t1, axn(E, given(M1, 2), None)), at(0));
    fx.ok(
        Command::Update {
            tenant: fx.t1,
            binding: n,
            counterpart: Some(Counterpart::N(Some(s(N)))),
            expires_at: None,
            policy: None,
        },
        at(1),
    );
    assert_eq!(
        routed(fx.call(E, &dial(M1, 2), at(2))).to,
        Targets::one(s(N))
    );
}

#[test]
fn updating_the_expiry_extends_or_shortens_routing() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    fx.ok(
        Command::Update {
            tenant: fx.t1,
            binding: id,
            counterpart: None,
            expires_at: Some(at(2 * DAY)),
            policy: None,
        },
        at(1),
    );
    assert_eq!(fx.state.binding(id).unwrap().expires_at, at(2 * DAY));
    routed(fx.call(A, &dial(M1, 1), at(DAY + 1)));
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(2 * DAY)),
        announced(AnnounceReason::Expired)
    );
    assert_eq!(
        fx.err(
            Command::Update {
                tenant: fx.t1,
                binding: id,
                counterpart: None,
                expires_at: Some(at(5)),
                policy: None,
            },
            at(5)
        ),
        Error::ExpiryNotInFuture {
            expires_at: at(5),
            now: at(5)
        }
    );
}

#[test]
fn updating_the_policy_takes_effect_and_is_validated() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    let policy = Policy {
        media: MediaSet::VOICE_ONLY,
        record: true,
        ..Policy::default()
    };
    fx.ok(
        Command::Update {
            tenant: fx.t1,
            binding: id,
            counterpart: None,
            expires_at: None,
            policy: Some(policy),
        },
        at(1),
    );
    assert!(routed(fx.call(A, &dial(M1, 1), at(2))).record);
    assert_eq!(
        fx.sms(A, &dial(M1, 1), at(2)),
        rejected(RejectReason::MediaNotPermitted)
    );
    let bad = Policy {
        allowed_callers: vec![s(C)],
        ..Policy::default()
    };
    assert!(matches!(
        fx.err(
            Command::Update {
                tenant: fx.t1,
                binding: id,
                counterpart: None,
                expires_at: None,
                policy: Some(bad),
            },
            at(3)
        ),
        Error::InvalidPolicy(_)
    ));
}

#[test]
fn an_update_that_changes_nothing_is_refused() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    assert_eq!(
        fx.err(
            Command::Update {
                tenant: fx.t1,
                binding: id,
                counterpart: None,
                expires_at: None,
                policy: None,
            },
            at(1)
        ),
        Error::EmptyUpdate
    );
}

#[test]
fn a_counterpart_that_does_not_fit_the_mode_is_refused() {
    let mut fx = Fx::new();
    let ab = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    let an = fx.bind(req(fx.t1, axn(C, given(M1, 2), None)), at(0));
    let cases = [
        (ab, Counterpart::N(Some(s(D))), Mode::Axb),
        (ab, Counterpart::Group(vec![s(D)]), Mode::Axb),
        (an, Counterpart::B(s(D)), Mode::Axn),
    ];
    for (binding, counterpart, mode) in cases {
        assert_eq!(
            fx.err(
                Command::Update {
                    tenant: fx.t1,
                    binding,
                    counterpart: Some(counterpart),
                    expires_at: None,
                    policy: None,
                },
                at(1)
            ),
            Error::UpdateNotApplicable(mode)
        );
    }
}

#[test]
fn a_new_counterpart_already_on_x_is_refused() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    fx.bind(req(fx.t1, axb(C, given(M1, 1), D)), at(0));
    assert_eq!(
        fx.err(
            Command::Update {
                tenant: fx.t1,
                binding: id,
                counterpart: Some(Counterpart::B(s(C))),
                expires_at: None,
                policy: None,
            },
            at(1)
        ),
        conflict(ux(M1, 1), Conflict::PartyAlreadyBound(s(C)))
    );
    assert!(matches!(
        fx.err(
            Command::Update {
                tenant: fx.t1,
                binding: id,
                counterpart: Some(Counterpart::B(s(A))),
                expires_at: None,
                policy: None,
            },
            at(1)
        ),
        Error::InvalidParties(_)
    ));
}

#[test]
fn unbinding_releases_the_binding_into_quarantine() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    let events = fx.unbind(fx.t1, id, at(HOUR));
    assert_eq!(
        events,
        vec![Event::Released {
            binding: id,
            at: at(HOUR),
            quarantine_until: at(HOUR + DAY)
        }]
    );
    assert!(fx.state.binding(id).is_none());
    for caller in [A, B] {
        assert_eq!(
            fx.call(caller, &dial(M1, 1), at(HOUR + 1)),
            announced(AnnounceReason::ServiceEnded)
        );
    }
    assert_eq!(
        fx.call(C, &dial(M1, 1), at(HOUR + 1)),
        rejected(RejectReason::NoBinding)
    );
}

#[test]
fn another_tenant_cannot_unbind_update_suspend_or_resume_a_binding() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    let t2 = fx.t2;
    let expected = Error::CrossTenant {
        binding: id,
        tenant: t2,
    };
    let commands = [
        Command::Unbind {
            tenant: t2,
            binding: id,
        },
        Command::Suspend {
            tenant: t2,
            binding: id,
        },
        Command::Resume {
            tenant: t2,
            binding: id,
        },
        Command::Update {
            tenant: t2,
            binding: id,
            counterpart: None,
            expires_at: Some(at(2 * DAY)),
            policy: None,
        },
    ];
    for c in commands {
        assert_eq!(fx.err(c, at(1)), expected);
    }
    routed(fx.call(A, &dial(M1, 1), at(2)));
}

#[test]
fn an_id_never_issued_is_unknown_and_a_released_one_has_ended() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    for raw in [0, 2, 999] {
        let ghost = BindingId::from_raw(raw);
        assert_eq!(
            fx.err(
                Command::Unbind {
                    tenant: fx.t1,
                    binding: ghost
                },
                at(1)
            ),
            Error::UnknownBinding(ghost)
        );
    }
    fx.unbind(fx.t1, id, at(1));
    assert_eq!(
        fx.err(
            Command::Unbind {
                tenant: fx.t1,
                binding: id
            },
            at(2)
        ),
        Error::BindingEnded(id)
    );
}

#[test]
fn a_binding_past_its_expiry_has_ended_even_before_a_sweep() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    assert!(fx.state.binding(id).is_some());
    assert_eq!(
        fx.err(
            Command::Suspend {
                tenant: fx.t1,
                binding: id
            },
            at(DAY)
        ),
        Error::BindingEnded(id)
    );
}

#[test]
fn binding_ids_are_never_reused() {
    let mut fx = Fx::new();
    let one = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    assert_eq!(one, BindingId::from_raw(1));
    fx.unbind(fx.t1, one, at(1));
    let two = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(2));
    assert_eq!(two, BindingId::from_raw(2));
    assert_eq!(fx.state.next_binding_id(), BindingId::from_raw(3));
    // Replay keeps the counter, so a replica never reissues an id either.
    let replica = State::replay(Config::default(), &fx.log);
    assert_eq!(replica.next_binding_id(), BindingId::from_raw(3));
}

// ---------------------------------------------------------------------------------------------
// Expiry and quarantine
// ---------------------------------------------------------------------------------------------

#[test]
fn a_binding_past_its_expiry_never_routes_even_before_a_sweep() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    fx.bind(req(fx.t1, axn(C, given(M1, 2), Some(N))), at(0));
    routed(fx.call(A, &dial(M1, 1), at(DAY - 1)));
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(DAY)),
        announced(AnnounceReason::Expired)
    );
    assert_eq!(
        fx.call(D, &dial(M1, 2), at(DAY)),
        announced(AnnounceReason::Expired)
    );
    // Once the quarantine it would have had is over, it is simply gone.
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(2 * DAY)),
        rejected(RejectReason::NoBinding)
    );
}

#[test]
fn a_sweep_expires_due_bindings_into_quarantine() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    let mut later = req(fx.t1, axb(C, given(M1, 2), D));
    later.expires_at = at(3 * DAY);
    let kept = fx.bind(later, at(0));
    assert!(fx.ok(Command::Sweep, at(DAY - 1)).is_empty());
    let events = fx.ok(Command::Sweep, at(DAY + 5));
    assert_eq!(
        events,
        vec![Event::Expired {
            binding: id,
            at: at(DAY),
            quarantine_until: at(2 * DAY)
        }]
    );
    assert!(fx.state.binding(id).is_none());
    assert!(fx.state.binding(kept).is_some());
    assert_eq!(
        fx.call(B, &dial(M1, 1), at(DAY + 6)),
        announced(AnnounceReason::Expired)
    );
}

#[test]
fn after_the_quarantine_and_a_prune_the_number_routes_no_binding() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    fx.ok(Command::Sweep, at(DAY));
    // Over, but not pruned yet.
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(2 * DAY)),
        rejected(RejectReason::NoBinding)
    );
    let events = fx.ok(Command::Sweep, at(2 * DAY));
    assert_eq!(events, vec![Event::QuarantinesPruned { at: at(2 * DAY) }]);
    assert!(fx.state.usage_entry(ux(M1, 1)).is_none());
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(2 * DAY)),
        rejected(RejectReason::NoBinding)
    );
}

#[test]
fn a_sweep_long_after_an_expiry_leaves_no_ended_quarantine_behind() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    // The binding expired at DAY and its quarantine ended at 2 DAY; nothing swept meanwhile.
    fx.ok(Command::Sweep, at(3 * DAY));
    assert!(
        fx.state.usage_entry(ux(M1, 1)).is_none(),
        "entry left: {:?}",
        fx.state.usage_entry(ux(M1, 1))
    );
}

#[test]
fn a_quarantined_party_cannot_be_bound_on_x_with_a_new_counterpart() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    fx.unbind(fx.t1, id, at(HOUR));
    let until = at(HOUR + DAY);
    assert_eq!(
        fx.bind_err(req(fx.t1, axb(A, given(M1, 1), C)), at(2 * HOUR)),
        conflict(ux(M1, 1), Conflict::Quarantined { until })
    );
    assert_eq!(
        fx.bind_err(req(fx.t1, gxb(&[D, B], given(M1, 1), E)), at(2 * HOUR)),
        conflict(ux(M1, 1), Conflict::Quarantined { until })
    );
    // An exclusive binding would send the quarantined parties to its A.
    assert_eq!(
        fx.bind_err(req(fx.t1, axn(D, given(M1, 1), None)), at(2 * HOUR)),
        conflict(ux(M1, 1), Conflict::Quarantined { until })
    );
    // Unrelated parties may share X meanwhile; the old parties still hear the announcement.
    fx.bind(req(fx.t1, axb(D, given(M1, 1), E)), at(2 * HOUR));
    assert_eq!(
        fx.call(A, &dial(M1, 1), at(2 * HOUR)),
        announced(AnnounceReason::ServiceEnded)
    );
    // Once it ends, A may have X with someone new.
    fx.bind(
        lasting(req(fx.t1, axb(A, given(M1, 1), C)), at(3 * DAY)),
        until,
    );
}

#[test]
fn the_same_pair_may_bind_again_on_x_during_its_quarantine() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    fx.unbind(fx.t1, id, at(HOUR));
    let again = fx.bind(req(fx.t1, axb(B, given(M1, 1), A)), at(2 * HOUR));
    assert_eq!(
        routed(fx.call(A, &dial(M1, 1), at(2 * HOUR))).binding,
        again
    );
    assert_eq!(
        routed(fx.call(B, &dial(M1, 1), at(2 * HOUR))).binding,
        again
    );
}

#[test]
fn an_expired_but_unswept_binding_quarantines_its_parties_too() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axb(A, given(M1, 1), B)), at(0));
    assert_eq!(
        fx.bind_err(
            lasting(req(fx.t1, axb(A, given(M1, 1), C)), at(3 * DAY)),
            at(DAY + 1)
        ),
        conflict(ux(M1, 1), Conflict::Quarantined { until: at(2 * DAY) })
    );
    // The same pair may take it back: the stale binding is swept by the same command.
    let events = fx.ok(
        Command::Bind(lasting(req(fx.t1, axb(A, given(M1, 1), B)), at(3 * DAY))),
        at(DAY + 1),
    );
    assert!(matches!(events[0], Event::Expired { .. }));
    assert!(matches!(events[1], Event::Bound { .. }));
}

#[test]
fn an_ended_axn_quarantines_x_for_everyone() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axn(A, given(M1, 1), Some(N))), at(0));
    fx.unbind(fx.t1, id, at(HOUR));
    for caller in [A, C, E] {
        assert_eq!(
            fx.call(caller, &dial(M1, 1), at(HOUR + 1)),
            announced(AnnounceReason::ServiceEnded)
        );
    }
    let until = at(HOUR + DAY);
    assert_eq!(
        fx.bind_err(req(fx.t1, axb(C, given(M1, 1), D)), at(HOUR + 1)),
        conflict(ux(M1, 1), Conflict::Quarantined { until })
    );
    // The same AXN may come back.
    fx.bind(req(fx.t1, axn(A, given(M1, 1), Some(N))), at(HOUR + 2));
}

// ---------------------------------------------------------------------------------------------
// Automatic selection
// ---------------------------------------------------------------------------------------------

#[test]
fn automatic_selection_picks_only_the_tenants_own_numbers() {
    let mut fx = Fx::new();
    for i in 0..6u64 {
        let a = format!("1350000000{i}");
        let b = format!("1351000000{i}");
        let id = fx.bind(req(fx.t2, axb(&a, auto(), &b)), at(0));
        assert_eq!(fx.x_of(id).management(), m(M2));
        let id = fx.bind(req(fx.t1, axb(&b, auto(), &a)), at(0));
        let mm = fx.x_of(id).management();
        assert!(mm == m(M1) || mm == m(M1B), "{mm:?}");
    }
}

#[test]
fn automatic_selection_takes_fresh_numbers_spread_over_management_numbers() {
    let mut fx = Fx::new();
    let picks: Vec<UsageNumber> = [(A, B), (C, D), (E, N), (B, C)]
        .iter()
        .map(|(a, b)| {
            let id = fx.bind(req(fx.t1, axb(a, auto(), b)), at(0));
            fx.x_of(id)
        })
        .collect();
    assert_eq!(
        picks,
        vec![ux(M1, 0), ux(M1B, 0), ux(M1, 1), ux(M1B, 1)],
        "fresh numbers first, alternating between the two management numbers"
    );
}

#[test]
fn a_strict_tag_picks_only_tagged_numbers_and_fails_when_none_match() {
    let mut fx = Fx::new();
    let strict = |t: &str| {
        NumberChoice::Auto(Selection {
            tag: Some(TagMatch {
                tag: tag(t),
                strict: true,
            }),
            sticky_for: None,
        })
    };
    for (a, b) in [(A, B), (C, D), (E, N)] {
        let id = fx.bind(req(fx.t1, axb(a, strict("shanghai"), b)), at(0));
        assert_eq!(fx.x_of(id).management(), m(M1B));
    }
    assert_eq!(
        fx.bind_err(req(fx.t1, axb(A, strict("guangzhou"), C)), at(0)),
        Error::Exhausted(Exhaustion::TagUnmatched)
    );
}

#[test]
fn a_fallback_tag_prefers_tagged_numbers_then_takes_any() {
    let mut fx = Fx::new();
    let loose = |t: &str| {
        NumberChoice::Auto(Selection {
            tag: Some(TagMatch {
                tag: tag(t),
                strict: false,
            }),
            sticky_for: None,
        })
    };
    for (a, b) in [(A, B), (C, D)] {
        let id = fx.bind(req(fx.t1, axb(a, loose("shanghai"), b)), at(0));
        assert_eq!(fx.x_of(id).management(), m(M1B));
    }
    let id = fx.bind(req(fx.t1, axb(E, loose("guangzhou"), N)), at(0));
    assert_eq!(fx.x_of(id).management(), m(M1));
}

#[test]
fn sticky_selection_gives_the_same_pair_its_earlier_number_back() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 7), B)), at(0));
    fx.unbind(fx.t1, id, at(HOUR));
    let sticky = NumberChoice::Auto(Selection {
        tag: None,
        sticky_for: Some(s(A)),
    });
    let again = fx.bind(req(fx.t1, axb(A, sticky.clone(), B)), at(2 * HOUR));
    assert_eq!(fx.x_of(again), ux(M1, 7));
    // Without stickiness a fresh number is taken.
    let other = fx.bind(req(fx.t1, axb(C, auto(), D)), at(2 * HOUR));
    assert_ne!(fx.x_of(other), ux(M1, 7));
}

#[test]
fn sticky_selection_never_reaches_past_a_quarantine() {
    let mut fx = Fx::new();
    let id = fx.bind(req(fx.t1, axb(A, given(M1, 7), B)), at(0));
    fx.unbind(fx.t1, id, at(HOUR));
    let sticky = NumberChoice::Auto(Selection {
        tag: None,
        sticky_for: Some(s(A)),
    });
    let other = fx.bind(req(fx.t1, axb(A, sticky, C)), at(2 * HOUR));
    assert_ne!(fx.x_of(other), ux(M1, 7));
}

#[test]
fn a_tenant_without_numbers_has_nothing_to_select_from() {
    let mut fx = Fx::new();
    let t3 = fx.register("Empty", None);
    assert_eq!(
        fx.bind_err(req(t3, axb(A, auto(), B)), at(0)),
        Error::Exhausted(Exhaustion::NoNumbers)
    );
}

/// Fills all 10,000 usage numbers of M3 (held by a new tenant) with one binding each, made
/// from the index and a distinct subscriber by `parties`.
fn fill_m3(
    fx: &mut Fx,
    parties: impl Fn(&str, NumberChoice) -> Parties<NumberChoice>,
) -> (TenantId, Vec<BindingId>) {
    let t3 = fx.register("Full", None);
    fx.assign(t3, M3, &[]);
    // Straight on the state: the fixture's clone-per-command check would make this quadratic.
    let ids = (0..10_000u16)
        .map(|sub| {
            let a = format!("1370000{sub:04}");
            let command = Command::Bind(req(t3, parties(&a, given(M3, sub))));
            let events = fx.state.execute(&command, at(0)).unwrap();
            fx.log.extend(events.iter().cloned());
            match events.last() {
                Some(Event::Bound { binding }) => binding.id,
                other => panic!("unexpected {other:?}"),
            }
        })
        .collect();
    (t3, ids)
}

fn fill_m3_with_axn(fx: &mut Fx) -> (TenantId, Vec<BindingId>) {
    fill_m3(fx, |a, x| axn(a, x, None))
}

#[test]
fn without_fresh_numbers_the_least_loaded_shared_number_is_picked() {
    let mut fx = Fx::new();
    let (t3, _) = fill_m3(&mut fx, |a, x| axb(a, x, B));
    // Sub-number 0 now carries two pairs, every other one a single pair.
    fx.bind(req(t3, axb(C, given(M3, 0), D)), at(0));
    let id = fx.bind(req(t3, axb(E, auto(), N)), at(1));
    assert_eq!(fx.x_of(id), ux(M3, 1));
    // B is on every number already: nothing can carry another binding of B.
    assert_eq!(
        fx.bind_err(req(t3, axb(E, auto(), B)), at(1)),
        Error::Exhausted(Exhaustion::AllCandidatesConflict)
    );
}

#[test]
fn when_every_candidate_conflicts_selection_reports_it() {
    let mut fx = Fx::new();
    let (t3, _) = fill_m3_with_axn(&mut fx);
    // Tenant 1 and 2 still have fresh numbers; they are not candidates for tenant 3.
    assert_eq!(
        fx.bind_err(req(t3, axb(A, auto(), B)), at(1)),
        Error::Exhausted(Exhaustion::AllCandidatesConflict)
    );
}

#[test]
fn when_every_candidate_is_quarantined_selection_reports_it() {
    let mut fx = Fx::new();
    let (t3, ids) = fill_m3_with_axn(&mut fx);
    for id in ids {
        let unbind = Command::Unbind {
            tenant: t3,
            binding: id,
        };
        fx.state.execute(&unbind, at(1)).unwrap();
    }
    assert_eq!(
        fx.bind_err(req(t3, axb(A, auto(), B)), at(2)),
        Error::Exhausted(Exhaustion::AllCandidatesQuarantined)
    );
    // Once the quarantines are over, the numbers are shared again.
    let id = fx.bind(
        lasting(req(t3, axb(A, auto(), B)), at(3 * DAY)),
        at(1 + DAY),
    );
    assert_eq!(fx.x_of(id).management(), m(M3));
}

// ---------------------------------------------------------------------------------------------
// Route
// ---------------------------------------------------------------------------------------------

#[test]
fn an_assigned_eleven_digit_management_number_asks_for_four_more_digits() {
    let fx = Fx::new();
    assert_eq!(
        fx.call(A, &M1.to_string(), at(0)),
        Decision::CollectDigits { needed: 4 }
    );
}

#[test]
fn a_shorter_700_prefix_asks_for_the_remaining_digits() {
    let fx = Fx::new();
    for prefix in ["7001234", "7001234000", "700123400001"] {
        assert_eq!(
            fx.call(A, prefix, at(0)),
            Decision::CollectDigits {
                needed: 15 - prefix.len() as u8
            },
            "{prefix}"
        );
    }
}

#[test]
fn a_dial_string_that_is_not_a_number_is_malformed() {
    let fx = Fx::new();
    assert_eq!(
        fx.call(A, "hello", at(0)),
        rejected(RejectReason::MalformedNumber)
    );
}

#[test]
fn an_empty_caller_on_a_bound_number_is_unidentified() {
    let mut fx = Fx::new();
    fx.bind(req(fx.t1, axn(A, given(M1, 1), None)), at(0));
    assert_eq!(
        fx.call("", &dial(M1, 1), at(1)),
        rejected(RejectReason::CallerUnidentified)
    );
}

#[test]
fn reject_reasons_map_to_sip_statuses() {
    use RejectReason::*;
    let cases = [
        (MalformedNumber, 484),
        (NotOurs, 404),
        (Unassigned, 404),
        (NoBinding, 404),
        (CallerNotPermitted, 403),
        (CallerUnidentified, 403),
        (DirectionBarred, 403),
        (MediaNotPermitted, 488),
        (OutsideTimeWindow, 480),
        (NoDestination, 480),
        (BindingSuspended, 480),
        (TenantSuspended, 503),
    ];
    for (reason, status) in cases {
        assert_eq!(reason.sip_status(), status, "{reason:?}");
        assert!((400..700).contains(&reason.sip_status()));
    }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// A day of traffic touching every kind of event.
fn busy_day() -> Fx {
    let mut fx = Fx::new();
    let t1 = fx.t1;
    fx.ok(
        Command::RecordViolation {
            tenant: fx.t2,
            kind: ViolationKind::Fraud,
            note: "flagged".into(),
        },
        at(1),
    );
    let ab = fx.bind(req(t1, axb(A, auto(), B)), at(1));
    let mut r = req(t1, axn(C, auto(), Some(N)));
    r.policy.allowed_callers = vec![s(D)];
    let an = fx.bind(r, at(2));
    let xy = fx.bind(req(t1, axyb(D, auto(), auto(), E)), at(3));
    let mut r = req(fx.t2, gxb(&[A, C], auto(), E));
    r.expires_at = at(HOUR);
    fx.bind(r, at(4));
    fx.ok(
        Command::Suspend {
            tenant: t1,
            binding: xy,
        },
        at(5),
    );
    fx.ok(
        Command::Resume {
            tenant: t1,
            binding: xy,
        },
        at(6),
    );
    fx.ok(
        Command::Update {
            tenant: t1,
            binding: ab,
            counterpart: Some(Counterpart::B(s(C))),
            expires_at: Some(at(2 * DAY)),
            policy: None,
        },
        at(7),
    );
    fx.unbind(t1, an, at(8));
    fx.ok(Command::Sweep, at(2 * HOUR));
    fx.ok(
        Command::ReclaimNumber {
            tenant: t1,
            number: m(M1B),
        },
        at(2 * HOUR),
    );
    fx.ok(
        Command::SetTenantStatus {
            tenant: fx.t2,
            status: TenantStatus::Suspended,
        },
        at(3 * HOUR),
    );
    fx.ok(Command::Sweep, at(DAY + 3 * HOUR));
    fx
}

#[test]
fn replaying_the_events_of_every_accepted_command_rebuilds_an_equal_state() {
    let fx = busy_day();
    let replica = State::replay(Config::default(), &fx.log);
    assert_eq!(replica, fx.state);
    // And the replica answers the same.
    for caller in [A, B, C, D, E] {
        for (mm, sub) in [(M1, 0), (M1, 1), (M1B, 0), (M2, 0)] {
            assert_eq!(
                replica.route(caller, &dial(mm, sub), Media::Voice, at(DAY + 4 * HOUR)),
                fx.call(caller, &dial(mm, sub), at(DAY + 4 * HOUR))
            );
        }
    }
}

#[test]
fn a_refused_command_leaves_the_state_unchanged() {
    let mut fx = busy_day();
    let before = fx.state.clone();
    let now = at(DAY + 4 * HOUR);
    let refused = [
        Command::Bind(req(fx.t2, axb(A, auto(), B))),
        Command::Bind(req(fx.t1, axb(A, given(M2, 1), B))),
        Command::AssignNumber {
            tenant: fx.t2,
            number: m(M1B),
            tags: vec![],
        },
        Command::ReclaimNumber {
            tenant: fx.t2,
            number: m(M1),
        },
        Command::Unbind {
            tenant: fx.t1,
            binding: BindingId::from_raw(1_000),
        },
        Command::LicenseBlock(LicensedBlock {
            first: m(BLOCK_FIRST),
            count: 1,
        }),
    ];
    for c in refused {
        assert!(fx.state.execute(&c, now).is_err(), "{c:?} was accepted");
        assert_eq!(fx.state, before, "{c:?}");
        assert!(fx.state.plan(&c, now).is_err());
    }
}

#[test]
fn events_survive_a_json_round_trip() {
    let fx = busy_day();
    let json = serde_json::to_string(&fx.log).unwrap();
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, fx.log);
    assert_eq!(State::replay(Config::default(), &back), fx.state);
}
