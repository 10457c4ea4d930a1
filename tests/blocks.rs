//! Block lists (issue 6): every scope × direction × expiry, who may block and lift what,
//! automatic blocks, sweeps, images, hand-over, and the order of checks in the state's route —
//! plus the lock-free block table composed with an unblocked route the way the index will use it.

use np700::control::block::{
    BlockDirection, BlockId, BlockOrigin, BlockRequest, BlockRule, BlockScope, BlockTarget,
    LiftReason, MAX_TENANT_BLOCK_RULES,
};
use np700::control::block_table::{BlockTable, BlockWriter, lifted};
use np700::handover::{self, BindingIds, ImportOptions, ImportRequest, Scope};
use np700::state::StateImage;
use np700::{
    BindRequest, BindingId, Command, Config, Decision, Event, LicensedBlock, ManagementNumber,
    Media, NumberChoice, Parties, Policy, RejectReason, State, SubscriberNumber, TenantId,
    Timestamp, UsageNumber,
};
use std::sync::atomic::AtomicU64;

const T0: u64 = 1_767_225_600;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs)
}
fn s(i: u64) -> SubscriberNumber {
    SubscriberNumber::from_e164(8613800000000 + i).unwrap()
}
fn mgmt(i: u64) -> ManagementNumber {
    ManagementNumber::new(70012340000 + i).unwrap()
}
fn u(m: u64, sub: u16) -> UsageNumber {
    mgmt(m).usage(sub).unwrap()
}
fn t(i: u32) -> TenantId {
    TenantId::from_raw(i)
}
fn b(i: u64) -> BindingId {
    BindingId::from_raw(i)
}

// The bindings of `setup`: tenant 1 has one of each mode, tenant 2 an AXB between the same people
// as tenant 1's and an AXN without N.
const AXB: u64 = 1; // A s1, X u(0,1), B s2
const AXN: u64 = 2; // A s3, X u(0,2), N s4
const AXYB: u64 = 3; // A s5, X u(0,3), Y u(0,4), B s6
const GXB: u64 = 4; // G [s7, s8], X u(0,5), B s9
const AXB2: u64 = 5; // tenant 2: A s1, X u(2,1), B s2
const AXN2: u64 = 6; // tenant 2: A s10, X u(2,2), no N

fn run(st: &mut State, c: Command) -> Vec<Event> {
    st.execute(&c, at(0))
        .unwrap_or_else(|e| panic!("{c:?}: {e}"))
}

fn bind(st: &mut State, tenant: u32, parties: Parties<NumberChoice>) {
    run(
        st,
        Command::Bind(BindRequest {
            tenant: t(tenant),
            parties,
            expires_at: at(10_000),
            policy: Policy::default(),
            order_id: String::new(),
            consent_ref: "consent".into(),
            external_ref: String::new(),
        }),
    );
}

fn setup() -> State {
    let mut st = State::new(Config::default());
    for name in ["parcels", "food"] {
        run(
            &mut st,
            Command::RegisterTenant {
                name: name.into(),
                scenarios: vec![],
                pair_cap: None,
            },
        );
    }
    run(
        &mut st,
        Command::LicenseBlock(LicensedBlock {
            first: mgmt(0),
            count: 4,
        }),
    );
    for (m, tenant) in [(0, 1), (1, 1), (2, 2)] {
        run(
            &mut st,
            Command::AssignNumber {
                tenant: t(tenant),
                number: mgmt(m),
                tags: vec![],
            },
        );
    }
    let g = NumberChoice::Given;
    bind(
        &mut st,
        1,
        Parties::Axb {
            a: s(1),
            x: g(u(0, 1)),
            b: s(2),
        },
    );
    bind(
        &mut st,
        1,
        Parties::Axn {
            a: s(3),
            x: g(u(0, 2)),
            n: Some(s(4)),
        },
    );
    bind(
        &mut st,
        1,
        Parties::Axyb {
            a: s(5),
            x: g(u(0, 3)),
            y: g(u(0, 4)),
            b: s(6),
        },
    );
    bind(
        &mut st,
        1,
        Parties::Gxb {
            group: vec![s(7), s(8)],
            x: g(u(0, 5)),
            b: s(9),
        },
    );
    bind(
        &mut st,
        2,
        Parties::Axb {
            a: s(1),
            x: g(u(2, 1)),
            b: s(2),
        },
    );
    bind(
        &mut st,
        2,
        Parties::Axn {
            a: s(10),
            x: g(u(2, 2)),
            n: None,
        },
    );
    st
}

fn route_at(st: &State, caller: u64, x: UsageNumber, now: Timestamp) -> Decision {
    st.route_usage(Some(s(caller)), x, Media::Voice, now)
}
fn route(st: &State, caller: u64, x: UsageNumber) -> Decision {
    route_at(st, caller, x, at(1))
}
fn routes(st: &State, caller: u64, x: UsageNumber) -> bool {
    matches!(route(st, caller, x), Decision::Route(_))
}
fn rejected(reason: RejectReason) -> Decision {
    Decision::Reject { reason }
}
fn blocked() -> Decision {
    rejected(RejectReason::Blocked)
}

fn caller_block(tenant: Option<u32>, caller: u64, callee: Option<u64>, both: bool) -> Command {
    Command::Block(BlockRequest {
        tenant: tenant.map(t),
        target: BlockTarget::Caller {
            caller: s(caller),
            callee: callee.map(s),
            both_ways: both,
        },
        expires_at: None,
        note: "complaint".into(),
    })
}

fn binding_block(tenant: Option<u32>, binding: u64, direction: BlockDirection) -> Command {
    Command::Block(BlockRequest {
        tenant: tenant.map(t),
        target: BlockTarget::Binding {
            binding: b(binding),
            direction,
        },
        expires_at: None,
        note: String::new(),
    })
}

fn rules_of(events: &[Event]) -> Vec<BlockRule> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Blocked { rule } => Some(rule.clone()),
            _ => None,
        })
        .collect()
}

/// Every (caller, usage number) the setup's routes involve.
fn universe() -> Vec<(u64, UsageNumber)> {
    let numbers = [
        u(0, 1),
        u(0, 2),
        u(0, 3),
        u(0, 4),
        u(0, 5),
        u(2, 1),
        u(2, 2),
        u(0, 9),
        u(3, 0),
    ];
    (1..=12).flat_map(|c| numbers.map(|x| (c, x))).collect()
}

#[test]
fn the_setup_routes_everyone_without_blocks() {
    let st = setup();
    for (c, x) in [
        (1, u(0, 1)),
        (2, u(0, 1)),
        (3, u(0, 2)),
        (4, u(0, 2)),
        (5, u(0, 4)),
        (6, u(0, 3)),
        (7, u(0, 5)),
        (9, u(0, 5)),
        (1, u(2, 1)),
        (11, u(2, 2)),
    ] {
        assert!(routes(&st, c, x), "{c} → {x}");
    }
}

#[test]
fn a_platform_caller_block_refuses_before_anything_is_looked_up() {
    let mut st = setup();
    let events = run(&mut st, caller_block(None, 1, None, false));
    let rule = &rules_of(&events)[0];
    assert_eq!(rule.scope, BlockScope::Platform);
    assert_eq!(rule.owner, None);
    assert_eq!(st.block(rule.id), Some(rule));
    // Live, unassigned, unlicensed, with no binding: all the same answer.
    for x in [
        u(0, 1),
        u(2, 1),
        u(0, 9),
        u(1, 7),
        u(3, 0),
        mgmt(9).usage(0).unwrap(),
    ] {
        assert_eq!(route(&st, 1, x), blocked(), "{x}");
    }
    // Also an 11-digit management number (no "collect more digits") and a partial number.
    for dialed in ["70012340000", "7001234", "700123400000001"] {
        let d = st.route("+8613800000001", dialed, Media::Sms, at(1));
        assert_eq!(d, blocked(), "{dialed}");
    }
    // Others, and an unidentified caller, are unaffected.
    assert!(routes(&st, 2, u(0, 1)));
    assert_eq!(
        st.route_usage(None, u(0, 1), Media::Voice, at(1)),
        rejected(RejectReason::CallerUnidentified)
    );
}

#[test]
fn platform_point_to_point_blocks_apply_once_a_binding_would_route() {
    let mut st = setup();
    run(&mut st, caller_block(None, 1, Some(2), false));
    // A → B refused in both tenants' bindings; B → A still routes.
    assert_eq!(route(&st, 1, u(0, 1)), blocked());
    assert_eq!(route(&st, 1, u(2, 1)), blocked());
    assert!(routes(&st, 2, u(0, 1)) && routes(&st, 2, u(2, 1)));
    // Where no binding would route, the usual answer: the rule reveals nothing.
    assert_eq!(route(&st, 1, u(0, 9)), rejected(RejectReason::NoBinding));
    assert_eq!(route(&st, 1, u(3, 0)), rejected(RejectReason::Unassigned));
    // Both ways.
    let mut st = setup();
    run(&mut st, caller_block(None, 1, Some(2), true));
    for (c, x) in [(1, u(0, 1)), (2, u(0, 1)), (1, u(2, 1)), (2, u(2, 1))] {
        assert_eq!(route(&st, c, x), blocked(), "{c} → {x}");
    }
    assert!(routes(&st, 5, u(0, 4)));
}

#[test]
fn a_callee_among_a_group_blocks_the_group_call() {
    let mut st = setup();
    run(&mut st, caller_block(None, 9, Some(8), false));
    // B of the GXB reaches [s7, s8]: any target blocked refuses the call.
    assert_eq!(route(&st, 9, u(0, 5)), blocked());
    assert!(routes(&st, 7, u(0, 5)) && routes(&st, 8, u(0, 5)));
}

#[test]
fn tenant_blocks_apply_to_that_tenants_bindings_only() {
    let mut st = setup();
    let events = run(&mut st, caller_block(Some(1), 1, None, false));
    let rule = &rules_of(&events)[0];
    assert_eq!(
        (rule.scope, rule.owner),
        (BlockScope::Tenant(t(1)), Some(t(1)))
    );
    assert_eq!(route(&st, 1, u(0, 1)), blocked());
    assert!(routes(&st, 1, u(2, 1)), "tenant 2's binding");
    // Not before the lookup: an unused number of tenant 1 answers as usual.
    assert_eq!(route(&st, 1, u(0, 9)), rejected(RejectReason::NoBinding));
    // (caller, to) at tenant 2: only that pair, only there.
    run(&mut st, caller_block(Some(2), 2, Some(1), false));
    assert_eq!(route(&st, 2, u(2, 1)), blocked());
    assert!(routes(&st, 2, u(0, 1)));
    // A stranger calling an AXN's public side (to A) can be blocked with callee A.
    run(&mut st, caller_block(Some(2), 11, Some(10), false));
    assert_eq!(route(&st, 11, u(2, 2)), blocked());
    assert!(routes(&st, 12, u(2, 2)));
}

/// (binding, direction) → which (caller, number) pairs are refused, of the binding's legs.
#[test]
fn binding_blocks_for_every_mode_and_direction() {
    use BlockDirection::{AToB, BToA, Both};
    // Each binding's legs as (caller, number): the A side first, then the B side.
    type Legs = Vec<(u64, UsageNumber)>;
    let legs: [(u64, Legs, Legs); 4] = [
        (AXB, vec![(1, u(0, 1))], vec![(2, u(0, 1))]),
        (AXN, vec![(3, u(0, 2))], vec![(4, u(0, 2))]),
        (AXYB, vec![(5, u(0, 4))], vec![(6, u(0, 3))]),
        (GXB, vec![(7, u(0, 5)), (8, u(0, 5))], vec![(9, u(0, 5))]),
    ];
    for (binding, a_side, b_side) in &legs {
        for direction in [AToB, BToA, Both] {
            let mut st = setup();
            let events = run(&mut st, binding_block(Some(1), *binding, direction));
            let rules = rules_of(&events);
            assert_eq!(rules.len(), if *binding == GXB { 2 } else { 1 });
            for r in &rules {
                assert_eq!(r.scope, BlockScope::Binding(b(*binding)));
                assert_eq!(r.owner, Some(t(1)));
                assert_eq!(r.both_ways, direction == Both);
            }
            let (a_blocked, b_blocked) = match direction {
                AToB => (true, false),
                BToA => (false, true),
                Both => (true, true),
            };
            for (c, x) in a_side {
                let want = a_blocked;
                assert_eq!(
                    !routes(&st, *c, *x),
                    want,
                    "{binding} {direction:?}: {c} → {x}"
                );
            }
            for (c, x) in b_side {
                assert_eq!(
                    !routes(&st, *c, *x),
                    b_blocked,
                    "{binding} {direction:?}: {c} → {x}"
                );
            }
            // Never another binding between the same people (tenant 2's AXB).
            assert!(routes(&st, 1, u(2, 1)) && routes(&st, 2, u(2, 1)));
        }
    }
    // GXB, B → A: a rule per member; lifting one leaves B blocked by the other.
    let mut st = setup();
    let rules = rules_of(&run(&mut st, binding_block(None, GXB, BToA)));
    assert_eq!(
        rules
            .iter()
            .map(|r| (r.caller, r.callee))
            .collect::<Vec<_>>(),
        [(s(9), Some(s(7))), (s(9), Some(s(8)))]
    );
    st.execute(
        &Command::LiftBlock {
            tenant: None,
            block: rules[0].id,
        },
        at(1),
    )
    .unwrap();
    assert_eq!(route(&st, 9, u(0, 5)), blocked());
    // An AXN without N has no B.
    let mut st = setup();
    let before = st.clone();
    assert!(matches!(
        st.execute(&binding_block(Some(2), AXN2, AToB), at(1)),
        Err(np700::Error::InvalidBlockRequest(_))
    ));
    assert_eq!(st, before);
}

#[test]
fn policy_refusals_come_before_blocks() {
    let mut st = setup();
    run(&mut st, caller_block(None, 1, Some(2), false));
    run(
        &mut st,
        Command::Suspend {
            tenant: t(1),
            binding: b(AXB),
        },
    );
    assert_eq!(
        route(&st, 1, u(0, 1)),
        rejected(RejectReason::BindingSuspended)
    );
    // A platform caller block comes before everything, suspension included.
    run(&mut st, caller_block(None, 2, None, false));
    assert_eq!(route(&st, 2, u(0, 1)), blocked());
}

#[test]
fn blocks_expire_at_their_time_even_unswept_and_sweeps_remove_them() {
    for target in [
        BlockTarget::Caller {
            caller: s(1),
            callee: None,
            both_ways: false,
        },
        BlockTarget::Caller {
            caller: s(1),
            callee: Some(s(2)),
            both_ways: true,
        },
        BlockTarget::Binding {
            binding: b(AXB),
            direction: BlockDirection::Both,
        },
    ] {
        for tenant in [None, Some(t(1))] {
            let mut st = setup();
            let request = BlockRequest {
                tenant,
                target: target.clone(),
                expires_at: Some(at(100)),
                note: String::new(),
            };
            let rule = rules_of(&run(&mut st, Command::Block(request)))[0].clone();
            assert_eq!(rule.expires, Some(at(100)));
            assert_eq!(route_at(&st, 1, u(0, 1), at(99)), blocked());
            assert!(matches!(
                route_at(&st, 1, u(0, 1), at(100)),
                Decision::Route(_)
            ));
            assert!(matches!(
                route_at(&st, 2, u(0, 1), at(100)),
                Decision::Route(_)
            ));
            // A sweep before the expiry leaves it; one at or after removes it.
            assert!(
                st.execute(&Command::Sweep, at(99))
                    .unwrap()
                    .iter()
                    .all(|e| !matches!(e, Event::BlockLifted { .. }))
            );
            assert_eq!(
                st.execute(&Command::Sweep, at(150)).unwrap(),
                [Event::BlockLifted {
                    block: rule.id,
                    at: at(150),
                    reason: LiftReason::Expired
                }]
            );
            assert_eq!(st.blocks().count(), 0);
        }
    }
    // An expiry not after now is refused.
    let mut st = setup();
    let before = st.clone();
    let request = BlockRequest {
        tenant: None,
        target: BlockTarget::Caller {
            caller: s(1),
            callee: None,
            both_ways: false,
        },
        expires_at: Some(at(5)),
        note: String::new(),
    };
    assert!(matches!(
        st.execute(&Command::Block(request), at(5)),
        Err(np700::Error::ExpiryNotInFuture { .. })
    ));
    assert_eq!(st, before);
}

#[test]
fn a_sweep_lifts_the_rules_of_ended_bindings() {
    let mut st = setup();
    let on_axb = rules_of(&run(
        &mut st,
        binding_block(Some(1), AXB, BlockDirection::AToB),
    ))[0]
        .clone();
    let on_axn = rules_of(&run(
        &mut st,
        binding_block(Some(1), AXN, BlockDirection::AToB),
    ))[0]
        .clone();
    run(
        &mut st,
        Command::Unbind {
            tenant: t(1),
            binding: b(AXB),
        },
    );
    // Until swept, the rule stays (and the owner may still lift it).
    assert!(st.block(on_axb.id).is_some());
    let events = st.execute(&Command::Sweep, at(2)).unwrap();
    assert!(events.contains(&Event::BlockLifted {
        block: on_axb.id,
        at: at(2),
        reason: LiftReason::BindingEnded
    }));
    assert!(st.block(on_axb.id).is_none() && st.block(on_axn.id).is_some());
    // A binding that expires is swept with its rules.
    let events = st.execute(&Command::Sweep, at(10_000)).unwrap();
    assert!(events.contains(&Event::BlockLifted {
        block: on_axn.id,
        at: at(10_000),
        reason: LiftReason::BindingEnded
    }));
    assert_eq!(st.blocks().count(), 0);
}

#[test]
fn tenants_cannot_block_or_lift_outside_their_scope() {
    let mut st = setup();
    let platform = rules_of(&run(&mut st, caller_block(None, 1, None, false)))[0].id;
    let of_one = rules_of(&run(&mut st, caller_block(Some(1), 2, None, false)))[0].id;
    let on_binding = rules_of(&run(
        &mut st,
        binding_block(Some(1), AXB, BlockDirection::Both),
    ))[0]
        .id;
    let before = st.clone();
    let refused = |st: &mut State, c: Command| {
        let e = st.execute(&c, at(1)).unwrap_err();
        assert_eq!(*st, before, "{c:?} changed the state");
        e
    };
    // Tenant 2 on tenant 1's binding.
    assert_eq!(
        refused(&mut st, binding_block(Some(2), AXB, BlockDirection::AToB)),
        np700::Error::CrossTenant {
            binding: b(AXB),
            tenant: t(2)
        }
    );
    // Tenant 2 lifting tenant 1's rules, or the platform's.
    for block in [platform, of_one, on_binding] {
        assert_eq!(
            refused(
                &mut st,
                Command::LiftBlock {
                    tenant: Some(t(2)),
                    block
                }
            ),
            np700::Error::BlockNotOwned {
                block,
                tenant: t(2)
            }
        );
    }
    // Tenant 1 lifting the platform's.
    assert!(matches!(
        refused(
            &mut st,
            Command::LiftBlock {
                tenant: Some(t(1)),
                block: platform
            }
        ),
        np700::Error::BlockNotOwned { .. }
    ));
    // Unknown tenant, binding, block; an ended binding; a subscriber blocked from itself.
    assert_eq!(
        refused(&mut st, caller_block(Some(9), 1, None, false)),
        np700::Error::UnknownTenant(t(9))
    );
    assert_eq!(
        refused(&mut st, binding_block(None, 99, BlockDirection::Both)),
        np700::Error::UnknownBinding(b(99))
    );
    assert_eq!(
        refused(
            &mut st,
            Command::LiftBlock {
                tenant: None,
                block: BlockId::from_raw(99)
            }
        ),
        np700::Error::UnknownBlock(BlockId::from_raw(99))
    );
    assert!(matches!(
        refused(&mut st, caller_block(None, 1, Some(1), false)),
        np700::Error::InvalidBlockRequest(_)
    ));
    assert!(matches!(
        refused(&mut st, caller_block(None, 1, None, true)),
        np700::Error::InvalidBlockRequest(_)
    ));
    let long_note = BlockRequest {
        tenant: None,
        target: BlockTarget::Caller {
            caller: s(1),
            callee: None,
            both_ways: false,
        },
        expires_at: None,
        note: "x".repeat(300),
    };
    assert!(matches!(
        refused(&mut st, Command::Block(long_note)),
        np700::Error::InvalidField { .. }
    ));
    let mut ended = st.clone();
    run(
        &mut ended,
        Command::Unbind {
            tenant: t(2),
            binding: b(AXB2),
        },
    );
    assert_eq!(
        ended
            .execute(&binding_block(None, AXB2, BlockDirection::Both), at(1))
            .unwrap_err(),
        np700::Error::BindingEnded(b(AXB2))
    );
    // The owners may lift their own; the operator any.
    for (tenant, block) in [
        (Some(t(1)), of_one),
        (Some(t(1)), on_binding),
        (None, platform),
    ] {
        assert_eq!(
            st.execute(&Command::LiftBlock { tenant, block }, at(1))
                .unwrap(),
            [Event::BlockLifted {
                block,
                at: at(1),
                reason: LiftReason::Lifted { by: tenant }
            }]
        );
    }
    assert_eq!(st.blocks().count(), 0);
}

#[test]
fn lifting_restores_routes_and_ids_are_never_reused() {
    let mut st = setup();
    let first = rules_of(&run(&mut st, caller_block(None, 1, None, false)))[0].id;
    assert_eq!(first, BlockId::from_raw(1));
    run(
        &mut st,
        Command::LiftBlock {
            tenant: None,
            block: first,
        },
    );
    assert!(routes(&st, 1, u(0, 1)));
    assert_eq!(
        st.execute(
            &Command::LiftBlock {
                tenant: None,
                block: first
            },
            at(1)
        ),
        Err(np700::Error::UnknownBlock(first))
    );
    let second = rules_of(&run(&mut st, caller_block(None, 1, None, false)))[0].id;
    assert_eq!(second, BlockId::from_raw(2));
    assert_eq!(st.next_block_id(), BlockId::from_raw(3));
}

#[test]
fn automatic_blocks_are_events_reported_extended_and_liftable() {
    let mut st = setup();
    let auto = |until, numbers| Command::AutoBlock {
        caller: s(1),
        until: at(until),
        numbers,
        window_secs: 60,
    };
    let events = run(&mut st, auto(600, 40));
    let rule = rules_of(&events)[0].clone();
    assert_eq!(
        rule.origin,
        BlockOrigin::Probing {
            numbers: 40,
            window_secs: 60
        }
    );
    assert_eq!((rule.scope, rule.callee), (BlockScope::Platform, None));
    assert_eq!(route(&st, 1, u(0, 1)), rejected(RejectReason::AutoBlocked));
    assert_eq!(route(&st, 1, u(3, 0)), rejected(RejectReason::AutoBlocked));
    // A shorter one changes nothing; a longer one replaces it.
    assert_eq!(st.execute(&auto(300, 50), at(1)).unwrap(), []);
    let events = st.execute(&auto(900, 60), at(1)).unwrap();
    let longer = rules_of(&events)[0].clone();
    assert_eq!(
        events[0],
        Event::BlockLifted {
            block: rule.id,
            at: at(1),
            reason: LiftReason::Replaced { by: longer.id }
        }
    );
    assert_eq!(st.blocks().collect::<Vec<_>>(), [&longer]);
    // A manual block too: "blocked" wins.
    let manual = rules_of(&run(&mut st, caller_block(None, 1, None, false)))[0].id;
    assert_eq!(route(&st, 1, u(0, 1)), blocked());
    run(
        &mut st,
        Command::LiftBlock {
            tenant: None,
            block: manual,
        },
    );
    // The operator lifts the automatic one; a tenant may not.
    assert!(matches!(
        st.execute(
            &Command::LiftBlock {
                tenant: Some(t(1)),
                block: longer.id
            },
            at(1)
        ),
        Err(np700::Error::BlockNotOwned { .. })
    ));
    run(
        &mut st,
        Command::LiftBlock {
            tenant: None,
            block: longer.id,
        },
    );
    assert!(routes(&st, 1, u(0, 1)));
    // Its end must be after now.
    assert!(matches!(
        st.execute(&auto(0, 1), at(0)),
        Err(np700::Error::ExpiryNotInFuture { .. })
    ));
}

#[test]
fn a_tenant_cannot_use_up_the_room_for_blocks() {
    let mut st = setup();
    for i in 0..MAX_TENANT_BLOCK_RULES as u64 {
        st.execute(&caller_block(Some(1), 1000 + i, None, false), at(0))
            .unwrap();
    }
    let before = st.clone();
    assert_eq!(
        st.execute(&caller_block(Some(1), 1, None, false), at(0)),
        Err(np700::Error::TooManyBlocks {
            max: MAX_TENANT_BLOCK_RULES
        })
    );
    assert_eq!(st, before);
    // The operator and other tenants still can.
    st.execute(&caller_block(Some(2), 1, None, false), at(0))
        .unwrap();
    st.execute(&caller_block(None, 1, None, false), at(0))
        .unwrap();
    assert_eq!(st.block_list().owned_by(t(1)), MAX_TENANT_BLOCK_RULES);
}

/// A state with rules of every kind (and one expired, one lifted).
fn blocked_state() -> (State, Vec<Event>) {
    let mut st = setup();
    let mut log = Vec::new();
    let mut go = |st: &mut State, c: Command| log.extend(run(st, c));
    go(&mut st, caller_block(None, 11, None, false));
    go(&mut st, caller_block(None, 1, Some(2), true));
    go(&mut st, caller_block(Some(1), 3, Some(4), false));
    go(&mut st, caller_block(Some(2), 12, None, false));
    go(&mut st, binding_block(Some(1), GXB, BlockDirection::Both));
    go(&mut st, binding_block(None, AXB2, BlockDirection::BToA));
    go(
        &mut st,
        Command::AutoBlock {
            caller: s(12),
            until: at(500),
            numbers: 30,
            window_secs: 60,
        },
    );
    go(
        &mut st,
        Command::Block(BlockRequest {
            tenant: Some(t(1)),
            target: BlockTarget::Caller {
                caller: s(6),
                callee: None,
                both_ways: false,
            },
            expires_at: Some(at(50)),
            note: "short".into(),
        }),
    );
    go(
        &mut st,
        Command::LiftBlock {
            tenant: None,
            block: BlockId::from_raw(2),
        },
    );
    (st, log)
}

#[test]
fn replay_and_images_keep_the_rules() {
    let (st, log) = blocked_state();
    // The whole history, from the setup on.
    let mut full = setup();
    for e in &log {
        full.apply(e);
    }
    assert_eq!(full, st);
    // Postcard (what snapshots use), streamed.
    let bytes = postcard::to_allocvec(&st.image()).unwrap();
    let mut de = postcard::Deserializer::from_bytes(&bytes);
    let restored = State::deserialize_image(Config::default(), &mut de).unwrap();
    assert_eq!(restored, st);
    assert_eq!(restored.next_block_id(), st.next_block_id());
    // An image written before block lists (it ends after the quarantines) reads as none; one
    // cut after the rules, without the next id, is refused.
    let plain = setup();
    let bytes = postcard::to_allocvec(&plain.image()).unwrap();
    assert_eq!(bytes[bytes.len() - 2..], [0, 1], "no rules, next id 1");
    let old = &bytes[..bytes.len() - 2];
    let mut de = postcard::Deserializer::from_bytes(old);
    assert_eq!(
        State::deserialize_image(Config::default(), &mut de).unwrap(),
        plain
    );
    let with_rules = postcard::to_allocvec(&st.image()).unwrap();
    let cut = &with_rules[..with_rules.len() - 1];
    let mut de = postcard::Deserializer::from_bytes(cut);
    assert!(State::deserialize_image(Config::default(), &mut de).is_err());
    // JSON, owned.
    let json = serde_json::to_string(&st.image()).unwrap();
    let image: StateImage = serde_json::from_str(&json).unwrap();
    assert_eq!(image.block_rules.len(), st.blocks().count());
    let restored = State::from_image(Config::default(), image.clone()).unwrap();
    assert_eq!(restored, st);
    for (c, x) in universe() {
        assert_eq!(route(&restored, c, x), route(&st, c, x));
    }
    // Images that a state never writes are refused.
    let mut bad = image.clone();
    bad.block_rules.swap(0, 1);
    assert!(State::from_image(Config::default(), bad).is_err());
    let mut bad = image.clone();
    bad.next_block = 1;
    assert!(State::from_image(Config::default(), bad).is_err());
    let mut bad = image.clone();
    bad.block_rules[0].owner = Some(t(7));
    bad.block_rules[0].scope = BlockScope::Tenant(t(7));
    assert!(State::from_image(Config::default(), bad).is_err());
    let mut bad = image;
    bad.block_rules[0].both_ways = true;
    bad.block_rules[0].callee = None;
    assert!(State::from_image(Config::default(), bad).is_err());
}

#[test]
fn forged_block_events_are_ignored() {
    let (st, _) = blocked_state();
    let rule = st.blocks().next().unwrap().clone();
    let forged = [
        // An id out of order.
        BlockRule {
            id: BlockId::from_raw(st.next_block_id().raw() + 5),
            ..rule.clone()
        },
        // An id already used.
        rule.clone(),
        // An unknown tenant.
        BlockRule {
            id: st.next_block_id(),
            scope: BlockScope::Tenant(t(9)),
            owner: Some(t(9)),
            ..rule.clone()
        },
        // An automatic block on a tenant.
        BlockRule {
            id: st.next_block_id(),
            scope: BlockScope::Tenant(t(1)),
            owner: Some(t(1)),
            origin: BlockOrigin::Probing {
                numbers: 1,
                window_secs: 1,
            },
            ..rule.clone()
        },
        // A platform rule claiming an owner.
        BlockRule {
            id: st.next_block_id(),
            owner: Some(t(1)),
            scope: BlockScope::Platform,
            ..rule.clone()
        },
    ];
    for rule in forged {
        let mut after = st.clone();
        after.apply(&Event::Blocked { rule: rule.clone() });
        assert_eq!(after, st, "{rule:?} was applied");
    }
    let mut after = st.clone();
    after.apply(&Event::BlockLifted {
        block: BlockId::from_raw(999),
        at: at(1),
        reason: LiftReason::Expired,
    });
    assert_eq!(after, st);
}

#[test]
fn a_hand_over_carries_the_rules_and_routes_alike() {
    let (st, _) = blocked_state();
    let now = at(10);
    for scope in [Scope::Platform, Scope::Tenant(t(1)), Scope::Tenant(t(2))] {
        let h = handover::export(&st, scope, now).unwrap();
        // The tenant's own rules (and those on its bindings), and the platform's.
        let want: Vec<&BlockRule> = st
            .blocks()
            .filter(|r| match (scope, r.owner) {
                (_, None) | (Scope::Platform, _) => true,
                (Scope::Tenant(t), Some(o)) => t == o,
            })
            .collect();
        assert_eq!(h.block_rules.iter().collect::<Vec<_>>(), want, "{scope:?}");
        // Through JSON, into an empty state.
        let h = handover::Handover::from_json(h.to_json().as_bytes()).unwrap();
        let mut dst = State::new(Config::default());
        let request = ImportRequest {
            handover: h.clone(),
            options: ImportOptions::default(),
        };
        let events = dst
            .execute(&Command::Import(Box::new(request.clone())), now)
            .unwrap();
        let report = handover::ImportReport::of(&request, &events);
        assert_eq!(report.block_rules, h.block_rules.len());
        // Every rule, renumbered from 1 and mapped.
        assert_eq!(dst.blocks().count(), h.block_rules.len());
        for (got, was) in dst.blocks().zip(&h.block_rules) {
            assert_eq!(
                got,
                &BlockRule {
                    id: got.id,
                    scope: match was.scope {
                        BlockScope::Tenant(t) => BlockScope::Tenant(report.tenants[&t]),
                        BlockScope::Binding(b) => BlockScope::Binding(report.bindings[&b]),
                        s => s,
                    },
                    owner: was.owner.map(|t| report.tenants[&t]),
                    ..was.clone()
                }
            );
        }
        // Every route to the exported tenants' numbers answers alike.
        for (c, x) in universe() {
            let holder = st.pool().holder(x.management());
            let exported = match scope {
                Scope::Platform => true,
                Scope::Tenant(t) => holder == Some(t),
            };
            if exported {
                for when in [now, at(49), at(50), at(600)] {
                    // Up to the tenant's id in the target (binding ids are kept).
                    let want = match route_at(&st, c, x, when) {
                        Decision::Route(mut r) => {
                            r.tenant = report.tenants[&r.tenant];
                            Decision::Route(r)
                        }
                        d => d,
                    };
                    assert_eq!(
                        route_at(&dst, c, x, when),
                        want,
                        "{scope:?}: {c} → {x} at {when}"
                    );
                }
            }
        }
        // Into a state with a tenant and rules of its own: ids after its own, tenants mapped.
        let mut busy = State::new(Config::default());
        run(
            &mut busy,
            Command::RegisterTenant {
                name: "earlier".into(),
                scenarios: vec![],
                pair_cap: None,
            },
        );
        run(&mut busy, caller_block(Some(1), 5, None, false));
        let request = ImportRequest {
            handover: h.clone(),
            options: ImportOptions {
                tenants: Default::default(),
                binding_ids: BindingIds::Renumber,
            },
        };
        let events = busy
            .execute(&Command::Import(Box::new(request.clone())), now)
            .unwrap();
        let report = handover::ImportReport::of(&request, &events);
        let imported: Vec<&BlockRule> = busy.blocks().skip(1).collect();
        assert_eq!(imported.len(), h.block_rules.len());
        for (i, (got, was)) in imported.iter().zip(&h.block_rules).enumerate() {
            assert_eq!(got.id, BlockId::from_raw(2 + i as u64));
            assert_eq!(got.owner, was.owner.map(|t| report.tenants[&t]));
            assert_ne!(got.owner, Some(t(1)), "a rule landed on the earlier tenant");
        }
    }
}

#[test]
fn a_hand_over_with_bad_rules_is_refused() {
    let (st, _) = blocked_state();
    let h = handover::export(&st, Scope::Tenant(t(1)), at(10)).unwrap();
    let on_binding = h
        .block_rules
        .iter()
        .position(|r| matches!(r.scope, BlockScope::Binding(_)))
        .unwrap();
    let mut cases = Vec::new();
    let mut bad = h.clone();
    bad.block_rules[on_binding].scope = BlockScope::Binding(b(AXB2)); // not handed over
    cases.push(bad);
    let mut bad = h.clone();
    bad.block_rules.reverse();
    cases.push(bad);
    let mut bad = h.clone();
    bad.block_rules[0].owner = Some(t(2));
    bad.block_rules[0].scope = BlockScope::Tenant(t(2)); // not in the hand-over
    cases.push(bad);
    for bad in cases {
        let mut dst = State::new(Config::default());
        let request = ImportRequest {
            handover: bad,
            options: ImportOptions::default(),
        };
        let e = dst
            .execute(&Command::Import(Box::new(request)), at(10))
            .unwrap_err();
        assert!(
            matches!(
                e,
                np700::Error::Import(handover::ImportError::Inconsistent {
                    section: "block_rules",
                    ..
                })
            ),
            "{e}"
        );
        assert_eq!(dst, State::new(Config::default()));
    }
    // A hand-over written before block lists (no field) reads as none.
    let mut json: serde_json::Value = serde_json::from_str(&h.to_json()).unwrap();
    json.as_object_mut().unwrap().remove("block_rules");
    let old = handover::Handover::from_json(json.to_string().as_bytes()).unwrap();
    assert!(old.block_rules.is_empty());
}

/// What the index will do: the lock-free table's caller check first, the unblocked route, then
/// the table's route check on a routed call — answering exactly as the state's route does.
#[test]
fn the_block_table_composed_with_an_unblocked_route_answers_as_the_state() {
    let (st, log) = blocked_state();
    // The same state without its block events: what the routing index knows.
    let mut unblocked = setup();
    for e in log
        .iter()
        .filter(|e| !matches!(e, Event::Blocked { .. } | Event::BlockLifted { .. }))
    {
        unblocked.apply(e);
    }
    let words: Vec<AtomicU64> = (0..BlockTable::words(64))
        .map(|_| AtomicU64::new(0))
        .collect();
    let mut writer = BlockWriter::create(&words).unwrap();
    // Fed from the events as the registry will: the rules an event lifts taken before it is
    // applied, room checked, then the table brought in step with the state.
    let mut replay = setup();
    writer.fill(replay.block_list()).unwrap();
    for e in &log {
        let events = std::slice::from_ref(e);
        let gone = lifted(replay.block_list(), events);
        assert!(writer.fits(&gone, events));
        replay.apply(e);
        writer.publish(replay.block_list(), &gone, events).unwrap();
    }
    assert_eq!(replay, st);
    // A forged event the state ignores changes nothing in the table either.
    let forged = [Event::Blocked {
        rule: BlockRule {
            id: BlockId::from_raw(999),
            ..st.blocks().next().unwrap().clone()
        },
    }];
    let gone = lifted(replay.block_list(), &forged);
    replay.apply(&forged[0]);
    let before = writer.len();
    writer.publish(replay.block_list(), &gone, &forged).unwrap();
    assert_eq!(writer.len(), before);
    // A table filled from the state holds the same.
    let other: Vec<AtomicU64> = (0..BlockTable::words(64))
        .map(|_| AtomicU64::new(0))
        .collect();
    let mut filled = BlockWriter::create(&other).unwrap();
    filled.fill(st.block_list()).unwrap();
    assert_eq!(filled.len(), writer.len());
    // A table too small for a command says so before anything is journaled.
    let tiny: Vec<AtomicU64> = (0..BlockTable::words(1))
        .map(|_| AtomicU64::new(0))
        .collect();
    let small = BlockWriter::create(&tiny).unwrap();
    let many: Vec<Event> = (0..small.table().capacity() as u64 + 1)
        .map(|i| Event::Blocked {
            rule: BlockRule {
                id: BlockId::from_raw(i + 1),
                caller: s(100 + i),
                ..st.blocks().next().unwrap().clone()
            },
        })
        .collect();
    assert!(!small.fits(&[], &many));
    assert!(small.fits(&[], &many[1..]));
    let table = writer.table();
    for when in [at(1), at(49), at(50), at(499), at(500)] {
        for (c, x) in universe() {
            for media in [Media::Voice, Media::Sms] {
                let caller = Some(s(c));
                let composed = match table.caller_barred(s(c), when) {
                    Some(reason) => rejected(reason),
                    None => match unblocked.route_usage(caller, x, media, when) {
                        Decision::Route(r)
                            if table.route_barred(s(c), r.tenant, r.binding, &r.to, when) =>
                        {
                            blocked()
                        }
                        d => d,
                    },
                };
                assert_eq!(
                    composed,
                    st.route_usage(caller, x, media, when),
                    "{c} → {x} at {when}"
                );
            }
        }
    }
}
