//! Dynamic controls through the public API: frequency limits per caller, usage number and
//! binding; probing detection and automatic blocks; the record queue — on the registry's own
//! routers and on readers of its shared index, which count in the same memory.

use np700::control::record::{Outcome, RouteRecord};
use np700::control::{Controls, Probing, RateLimit, Subject};
use np700::index::SharedIndex;
use np700::index::layout::Capacity;
use np700::{
    BindRequest, Command, Config, Decision, LicensedBlock, ManagementNumber, Media, NumberChoice,
    Parties, Policy, Registry, RejectReason, SubscriberNumber, TenantId, Timestamp,
};
use std::collections::HashSet;

/// A minute boundary (2026-01-01 00:00 UTC), so per-minute windows start here.
const T0: u64 = 1_767_225_600;
const M: u64 = 700_1234_0000;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs)
}

fn s(n: &str) -> SubscriberNumber {
    SubscriberNumber::parse(n).unwrap()
}

fn dial(sub: u16) -> String {
    format!("{M}{sub:04}")
}

fn rejected(reason: RejectReason) -> Decision {
    Decision::Reject { reason }
}

/// A registry with `controls`, one tenant holding `M`, and AXB bindings
/// `1380000000i — 700…000i — 1390000000i` for i in 1..=`bindings`.
fn registry_with(controls: Controls, bindings: u16) -> Registry {
    let config = Config {
        controls,
        ..Config::default()
    };
    let r = Registry::new(config, Capacity::for_bindings(1_000));
    setup(&r, bindings);
    r
}

fn setup(r: &Registry, bindings: u16) {
    let m = ManagementNumber::new(M).unwrap();
    let run = |c: Command| r.execute(&c, at(0)).unwrap();
    run(Command::RegisterTenant {
        name: "parcels".into(),
        scenarios: vec![],
        pair_cap: None,
    });
    run(Command::LicenseBlock(LicensedBlock { first: m, count: 1 }));
    run(Command::AssignNumber {
        tenant: TenantId::from_raw(1),
        number: m,
        tags: vec![],
    });
    for i in 1..=bindings {
        r.bind(
            BindRequest {
                tenant: TenantId::from_raw(1),
                parties: Parties::Axb {
                    a: s(&format!("1380000{i:04}")),
                    x: NumberChoice::Given(m.usage(i).unwrap()),
                    b: s(&format!("1390000{i:04}")),
                },
                expires_at: at(30 * 86_400),
                policy: Policy::default(),
                order_id: String::new(),
                consent_ref: "consent".into(),
                external_ref: String::new(),
            },
            at(0),
        )
        .unwrap();
    }
}

fn limit(subject: Subject, media: Option<Media>, window_secs: u32, max: u32) -> Controls {
    Controls {
        limits: vec![RateLimit {
            subject,
            media,
            window_secs,
            max,
        }],
        ..Controls::default()
    }
}

fn drain(r: &Registry) -> Vec<RouteRecord> {
    let mut out = vec![RouteRecord::EMPTY; 4096];
    let mut all = Vec::new();
    loop {
        let n = r.drain_records(&mut out);
        if n == 0 {
            return all;
        }
        all.extend_from_slice(&out[..n]);
    }
}

#[test]
fn a_caller_limit_refuses_past_its_maximum_until_the_window_ends() {
    let r = registry_with(limit(Subject::Caller, Some(Media::Voice), 60, 3), 2);
    let call = |t, to: u16| r.route("13800000001", &dial(to), Media::Voice, at(t));
    for i in 0..3 {
        assert!(matches!(call(i, 1), Decision::Route(_)), "call {i}");
    }
    assert_eq!(call(10, 1), rejected(RejectReason::RateLimited));
    // Every request of the caller counts, whatever the number: this one would not route anyway.
    assert_eq!(call(11, 2), rejected(RejectReason::RateLimited));
    // SMS are not counted by a voice limit; another caller has its own count.
    assert!(matches!(
        r.route("13800000001", &dial(1), Media::Sms, at(12)),
        Decision::Route(_)
    ));
    assert!(matches!(
        r.route("13900000001", &dial(1), Media::Voice, at(13)),
        Decision::Route(_)
    ));
    // The next minute starts over.
    assert!(matches!(call(60, 1), Decision::Route(_)));
}

#[test]
fn a_usage_number_limit_counts_every_caller_of_that_number() {
    let r = registry_with(limit(Subject::UsageNumber, None, 3600, 2), 2);
    assert!(matches!(
        r.route("13800000001", &dial(1), Media::Voice, at(1)),
        Decision::Route(_)
    ));
    assert!(matches!(
        r.route("13900000001", &dial(1), Media::Sms, at(2)),
        Decision::Route(_)
    ));
    assert_eq!(
        r.route("13900000001", &dial(1), Media::Voice, at(3)),
        rejected(RejectReason::RateLimited)
    );
    // Another number is unaffected.
    assert!(matches!(
        r.route("13800000002", &dial(2), Media::Voice, at(4)),
        Decision::Route(_)
    ));
}

#[test]
fn a_binding_limit_counts_only_what_the_binding_routes() {
    let r = registry_with(limit(Subject::Binding, None, 86_400, 2), 1);
    // Refusals do not count against the binding.
    for _ in 0..5 {
        assert_eq!(
            r.route("13700000000", &dial(1), Media::Voice, at(1)),
            rejected(RejectReason::CallerNotPermitted)
        );
    }
    assert!(matches!(
        r.route("13800000001", &dial(1), Media::Voice, at(2)),
        Decision::Route(_)
    ));
    assert!(matches!(
        r.route("13900000001", &dial(1), Media::Voice, at(3)),
        Decision::Route(_)
    ));
    assert_eq!(
        r.route("13800000001", &dial(1), Media::Voice, at(4)),
        rejected(RejectReason::RateLimited)
    );
    assert!(matches!(
        r.route("13800000001", &dial(1), Media::Voice, at(86_400)),
        Decision::Route(_)
    ));
}

/// A binding limit counts a binding as one, whichever number and party its calls come through:
/// AXYB (A dials Y, B dials X) and GXB (every member and B dial X). Routers look for a binding's
/// count first beside its usage number; an AXYB binding has two, so its count must not split.
#[test]
fn a_binding_limit_holds_across_an_axyb_bindings_two_numbers_and_a_groups_members() {
    let r = registry_with(limit(Subject::Binding, None, 86_400, 3), 0);
    let m = ManagementNumber::new(M).unwrap();
    let bind = |parties| {
        r.bind(
            BindRequest {
                tenant: TenantId::from_raw(1),
                parties,
                expires_at: at(30 * 86_400),
                policy: Policy::default(),
                order_id: String::new(),
                consent_ref: "consent".into(),
                external_ref: String::new(),
            },
            at(0),
        )
        .unwrap()
    };
    let (a, b) = ("13800000001", "13900000001");
    bind(Parties::Axyb {
        a: s(a),
        x: NumberChoice::Given(m.usage(1).unwrap()),
        y: NumberChoice::Given(m.usage(2).unwrap()),
        b: s(b),
    });
    let group = ["13600000001", "13600000002"];
    let customer = "13500000001";
    bind(Parties::Gxb {
        group: group.iter().map(|g| s(g)).collect(),
        x: NumberChoice::Given(m.usage(3).unwrap()),
        b: s(customer),
    });
    let call = |caller: &str, to: u16, t| r.route(caller, &dial(to), Media::Voice, at(t));
    // AXYB: A through Y, B through X, A again: three routed; then neither way.
    assert!(matches!(call(a, 2, 1), Decision::Route(_)));
    assert!(matches!(call(b, 1, 2), Decision::Route(_)));
    assert!(matches!(call(a, 2, 3), Decision::Route(_)));
    assert_eq!(call(b, 1, 4), rejected(RejectReason::RateLimited));
    assert_eq!(call(a, 2, 5), rejected(RejectReason::RateLimited));
    // GXB: both members and the customer count alike.
    assert!(matches!(call(group[0], 3, 6), Decision::Route(_)));
    assert!(matches!(call(customer, 3, 7), Decision::Route(_)));
    assert!(matches!(call(group[1], 3, 8), Decision::Route(_)));
    assert_eq!(call(group[0], 3, 9), rejected(RejectReason::RateLimited));
    assert_eq!(call(customer, 3, 10), rejected(RejectReason::RateLimited));
    // The next day starts over, both ways.
    assert!(matches!(call(b, 1, 86_400), Decision::Route(_)));
    assert!(matches!(call(group[1], 3, 86_400), Decision::Route(_)));
}

#[test]
fn a_prober_is_blocked_automatically_and_learns_nothing_more() {
    let controls = Controls {
        probing: Some(Probing {
            distinct_numbers: 5,
            window_secs: 600,
            block_secs: 3600,
        }),
        ..Controls::default()
    };
    let r = registry_with(controls, 3);
    let prober = "13700000000";
    // Calling the same numbers again and again is not probing.
    for round in 0..10 {
        for to in 1..=3 {
            assert_eq!(
                r.route(prober, &dial(to), Media::Voice, at(round)),
                rejected(RejectReason::CallerNotPermitted)
            );
        }
    }
    // Two more different numbers reach the allowance of five; the sixth blocks.
    for to in [100, 101] {
        assert_eq!(
            r.route(prober, &dial(to), Media::Voice, at(20)),
            rejected(RejectReason::NoBinding)
        );
    }
    assert_eq!(
        r.route(prober, &dial(102), Media::Voice, at(21)),
        rejected(RejectReason::AutoBlocked)
    );
    // Now even a number it has a binding on... it has none; a live one answers blocked too.
    for to in [1, 100, 103] {
        assert_eq!(
            r.route(prober, &dial(to), Media::Voice, at(22)),
            rejected(RejectReason::AutoBlocked)
        );
    }
    // Others are unaffected; the block ends after an hour.
    assert!(matches!(
        r.route("13800000001", &dial(1), Media::Voice, at(23)),
        Decision::Route(_)
    ));
    assert_eq!(
        r.route(prober, &dial(1), Media::Voice, at(21 + 3600)),
        rejected(RejectReason::CallerNotPermitted)
    );
}

#[test]
fn every_decision_leaves_one_record_with_its_details() {
    let r = registry_with(Controls::default(), 1);
    let routed = r.route("13800000001", &dial(1), Media::Voice, at(5));
    let Decision::Route(route) = routed else {
        panic!("{routed:?}")
    };
    r.route("13700000000", &dial(1), Media::Sms, at(6));
    r.route("13700000000", "7001234", Media::Voice, at(7));
    r.route("", "not a number", Media::Voice, at(8));
    let records = drain(&r);
    assert_eq!(records.len(), 4, "{records:#?}");
    let x = ManagementNumber::new(M).unwrap().usage(1).unwrap();
    assert_eq!(
        records[0],
        RouteRecord {
            at: at(5),
            media: Media::Voice,
            caller: Some(s("13800000001")),
            dialed: Some(x),
            tenant: Some(TenantId::from_raw(1)),
            binding: Some(route.binding),
            to: Some(s("13900000001")),
            display: Some(x),
            outcome: Outcome::Routed,
        }
    );
    assert_eq!(
        records[1],
        RouteRecord {
            at: at(6),
            media: Media::Sms,
            caller: Some(s("13700000000")),
            dialed: Some(x),
            tenant: Some(TenantId::from_raw(1)),
            binding: None,
            to: None,
            display: None,
            outcome: Outcome::Rejected(RejectReason::CallerNotPermitted),
        }
    );
    assert_eq!(records[2].outcome, Outcome::CollectDigits);
    assert_eq!(records[2].dialed, None);
    assert_eq!(
        records[3].outcome,
        Outcome::Rejected(RejectReason::MalformedNumber)
    );
    assert_eq!(records[3].caller, None);
    assert!(drain(&r).is_empty());
    assert_eq!(r.records_dropped(), 0);
}

#[test]
fn a_full_record_queue_drops_and_counts_instead_of_blocking() {
    let controls = Controls {
        record_shards: 1,
        records_per_shard: 8,
        ..Controls::default()
    };
    let r = registry_with(controls, 1);
    for i in 0..20 {
        r.route("13800000001", &dial(1), Media::Voice, at(i));
    }
    let records = drain(&r);
    assert_eq!(records.len(), 8);
    assert_eq!(r.records_dropped(), 12);
    // The oldest are kept.
    let times: Vec<u64> = records.iter().map(|r| r.at.unix_secs() - T0).collect();
    assert_eq!(times, (0..8).collect::<Vec<_>>());
}

/// Routers on several threads at once: the limit admits exactly `max` requests in all, every
/// request leaves exactly one record, none twice.
#[test]
fn counters_and_records_stay_exact_under_parallel_routes() {
    const THREADS: usize = 4;
    const PER_THREAD: u64 = 5_000;
    const MAX: u32 = 7_000;
    let controls = Controls {
        record_shards: 8,
        records_per_shard: 1 << 15,
        ..limit(Subject::UsageNumber, None, 86_400, MAX)
    };
    let r = registry_with(controls, 4);
    let routed: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let r = &r;
                scope.spawn(move || {
                    let mut routed = 0u64;
                    for i in 0..PER_THREAD {
                        // Distinct times make every record identifiable.
                        let when = at(t as u64 * PER_THREAD + i);
                        // Both parties of binding 1 dial it: the limit is the number's.
                        let caller = if i % 2 == 0 {
                            "13800000001"
                        } else {
                            "13900000001"
                        };
                        match r.route(caller, &dial(1), Media::Voice, when) {
                            Decision::Route(_) => routed += 1,
                            d => assert_eq!(d, rejected(RejectReason::RateLimited)),
                        }
                    }
                    routed
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(routed, u64::from(MAX), "admitted in all");
    let records = drain(&r);
    assert_eq!(r.records_dropped(), 0);
    assert_eq!(records.len() as u64, THREADS as u64 * PER_THREAD);
    let times: HashSet<u64> = records.iter().map(|r| r.at.unix_secs()).collect();
    assert_eq!(times.len(), records.len(), "a record twice");
    let admitted = records
        .iter()
        .filter(|r| r.outcome == Outcome::Routed)
        .count();
    assert_eq!(admitted as u64, routed);
}

/// Several limits on one request at once, from several threads: a caller limit (its count
/// sharing a line with probing's two), then a binding limit on what passes it. Each caller has
/// 4,000 admitted by its limit, the binding 7,000 of those 8,000: exactly 7,000 routed, however
/// the threads interleave.
#[test]
fn stacked_limits_stay_exact_under_parallel_routes() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 5_000;
    let controls = Controls {
        limits: vec![
            RateLimit {
                subject: Subject::Caller,
                media: Some(Media::Voice),
                window_secs: 86_400,
                max: 4_000,
            },
            RateLimit {
                subject: Subject::Binding,
                media: None,
                window_secs: 86_400,
                max: 7_000,
            },
        ],
        probing: Some(Probing {
            distinct_numbers: 5,
            window_secs: 600,
            block_secs: 3600,
        }),
        record_shards: 8,
        records_per_shard: 1 << 15,
        ..Controls::default()
    };
    let r = registry_with(controls, 4);
    let routed: Vec<[u64; 2]> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let r = &r;
                scope.spawn(move || {
                    let mut routed = [0u64; 2];
                    for i in 0..PER_THREAD {
                        let side = (i % 2) as usize;
                        let caller = ["13800000001", "13900000001"][side];
                        match r.route(caller, &dial(1), Media::Voice, at(t * PER_THREAD + i)) {
                            Decision::Route(_) => routed[side] += 1,
                            d => assert_eq!(d, rejected(RejectReason::RateLimited)),
                        }
                    }
                    routed
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let (a, b) = routed.iter().fold((0, 0), |(a, b), r| (a + r[0], b + r[1]));
    assert_eq!(a + b, 7_000, "admitted in all ({a} from A, {b} from B)");
    assert!(a <= 4_000 && b <= 4_000, "{a} {b}");
    assert_eq!(r.region().untracked(), 0);
}

/// A reader of the shared index counts in the writer's memory: a limit holds across the
/// writer's own routes and the reader's, and the reader's records reach the writer's drain.
#[test]
fn readers_of_a_shared_index_share_the_counters_and_the_record_queue() {
    let path = std::env::temp_dir().join(format!("np700-controls-{}", std::process::id()));
    let config = Config {
        controls: limit(Subject::Caller, None, 60, 4),
        ..Config::default()
    };
    let r = Registry::new_shared(config, Capacity::for_bindings(100), &path).unwrap();
    setup(&r, 1);
    let reader = SharedIndex::attach(&path).unwrap();
    let other = SharedIndex::attach(&path).unwrap();
    let a = "13800000001";
    assert!(matches!(
        r.route(a, &dial(1), Media::Voice, at(1)),
        Decision::Route(_)
    ));
    assert!(matches!(
        reader.route(a, &dial(1), Media::Voice, at(2)),
        Decision::Route(_)
    ));
    assert!(matches!(
        other.route(a, &dial(1), Media::Voice, at(3)),
        Decision::Route(_)
    ));
    assert!(matches!(
        reader.route(a, &dial(1), Media::Voice, at(4)),
        Decision::Route(_)
    ));
    assert_eq!(
        other.route(a, &dial(1), Media::Voice, at(5)),
        rejected(RejectReason::RateLimited)
    );
    assert_eq!(
        r.route(a, &dial(1), Media::Voice, at(6)),
        rejected(RejectReason::RateLimited)
    );
    let times: Vec<u64> = drain(&r).iter().map(|r| r.at.unix_secs() - T0).collect();
    let mut sorted = times.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![1, 2, 3, 4, 5, 6]);
    drop(r);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(np700::control::Region::path_for(&path));
}

/// Block rules are in the routers' table: the registry's own routes and a shared reader's
/// refuse a blocked caller at once, and routes come back when the rule is lifted.
#[test]
fn block_rules_refuse_on_every_router_until_lifted() {
    use np700::Event;
    use np700::control::block::{BlockRequest, BlockTarget};
    let path = std::env::temp_dir().join(format!("np700-blocks-{}", std::process::id()));
    let r = Registry::new_shared(Config::default(), Capacity::for_bindings(100), &path).unwrap();
    setup(&r, 2);
    let reader = SharedIndex::attach(&path).unwrap();
    let (a1, a2) = ("13800000001", "13800000002");
    let routes = |caller: &str, to: u16| {
        let d = r.route(caller, &dial(to), Media::Voice, at(10));
        assert_eq!(reader.route(caller, &dial(to), Media::Voice, at(10)), d);
        d
    };
    assert!(matches!(routes(a1, 1), Decision::Route(_)));
    let block = |tenant, caller: &str, callee: Option<&str>| {
        let events = r
            .execute(
                &Command::Block(BlockRequest {
                    tenant,
                    target: BlockTarget::Caller {
                        caller: s(caller),
                        callee: callee.map(s),
                        both_ways: false,
                    },
                    expires_at: Some(at(3600)),
                    note: "complaint".into(),
                }),
                at(5),
            )
            .unwrap();
        match &events[..] {
            [Event::Blocked { rule }] => rule.id,
            other => panic!("{other:?}"),
        }
    };
    // A platform block of a1 to anyone: refused before any lookup.
    let id = block(None, a1, None);
    assert_eq!(routes(a1, 1), rejected(RejectReason::Blocked));
    assert_eq!(routes(a1, 2), rejected(RejectReason::Blocked));
    assert!(matches!(routes(a2, 2), Decision::Route(_)));
    r.execute(
        &Command::LiftBlock {
            tenant: None,
            block: id,
        },
        at(6),
    )
    .unwrap();
    assert!(matches!(routes(a1, 1), Decision::Route(_)));
    // The tenant blocks a2 from reaching its counterpart only.
    block(Some(TenantId::from_raw(1)), a2, Some("13900000002"));
    assert_eq!(routes(a2, 2), rejected(RejectReason::Blocked));
    assert!(matches!(routes("13900000002", 2), Decision::Route(_)));
    // The rule ends by itself.
    assert!(matches!(
        r.route(a2, &dial(2), Media::Voice, at(3600)),
        Decision::Route(_)
    ));
    drop(r);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(np700::control::Region::path_for(&path));
}

/// A prober detected by the routers is journaled as an automatic block rule: it survives a
/// restart (the routers' marks do not), and lifting it lets the caller through at once.
#[test]
fn a_detected_prober_becomes_a_durable_liftable_rule() {
    use np700::Event;
    use np700::control::block::BlockOrigin;
    use np700::registry::OpenOptions;
    let dir = std::env::temp_dir().join(format!("np700-probing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config {
        controls: Controls {
            probing: Some(Probing {
                distinct_numbers: 2,
                window_secs: 600,
                block_secs: 3600,
            }),
            ..Controls::default()
        },
        ..Config::default()
    };
    let prober = "13700000000";
    let rule_id = {
        let (r, _) = Registry::open(&dir, config.clone(), OpenOptions::default()).unwrap();
        setup(&r, 1);
        for to in [100, 101] {
            assert_eq!(
                r.route(prober, &dial(to), Media::Voice, at(1)),
                rejected(RejectReason::NoBinding)
            );
        }
        assert_eq!(
            r.route(prober, &dial(102), Media::Voice, at(2)),
            rejected(RejectReason::AutoBlocked)
        );
        assert_eq!(r.journal_auto_blocks(at(3)).unwrap(), 1);
        assert_eq!(
            r.journal_auto_blocks(at(3)).unwrap(),
            0,
            "one notice per block"
        );
        let rules: Vec<_> = r.with_state(|s| s.blocks().cloned().collect());
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].caller, s(prober));
        assert_eq!(rules[0].expires, Some(at(2 + 3600)));
        assert!(matches!(rules[0].origin, BlockOrigin::Probing { .. }));
        let period = np700::report::Period {
            from: at(0),
            to: at(60),
        };
        let report = r.report(period, at(4)).unwrap();
        assert_eq!(report.platform.block_rules_in_force.automatic, 1);
        assert_eq!(report.platform.block_rules_in_force.manual, 0);
        rules[0].id
    };
    let (r, _) = Registry::open(&dir, config, OpenOptions::default()).unwrap();
    assert_eq!(
        r.route(prober, &dial(1), Media::Voice, at(10)),
        rejected(RejectReason::AutoBlocked),
        "the rule outlives the routers' marks"
    );
    let events = r
        .execute(
            &Command::LiftBlock {
                tenant: None,
                block: rule_id,
            },
            at(11),
        )
        .unwrap();
    assert!(matches!(&events[..], [Event::BlockLifted { .. }]));
    assert_eq!(
        r.route(prober, &dial(1), Media::Voice, at(12)),
        rejected(RejectReason::CallerNotPermitted)
    );
    drop(r);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lifting an automatic block ends the routers' mark too, before the block would have ended.
#[test]
fn lifting_an_automatic_block_clears_the_routers_mark() {
    let controls = Controls {
        probing: Some(Probing {
            distinct_numbers: 1,
            window_secs: 600,
            block_secs: 3600,
        }),
        ..Controls::default()
    };
    let r = registry_with(controls, 1);
    let prober = "13700000000";
    r.route(prober, &dial(100), Media::Voice, at(1));
    assert_eq!(
        r.route(prober, &dial(101), Media::Voice, at(2)),
        rejected(RejectReason::AutoBlocked)
    );
    r.journal_auto_blocks(at(3)).unwrap();
    let id = r.with_state(|s| s.blocks().next().unwrap().id);
    r.execute(
        &Command::LiftBlock {
            tenant: None,
            block: id,
        },
        at(4),
    )
    .unwrap();
    // Within the same probing window the caller's count is still over: the next new number
    // blocks again, but a number already seen does not.
    assert_eq!(
        r.route(prober, &dial(100), Media::Voice, at(5)),
        rejected(RejectReason::NoBinding)
    );
}

// ---------------------------------------------------------------------------------------------
// Model-based: random limits, probing and request sequences against a plain model of the
// counters, compared request by request and record by record.

mod model {
    use super::*;
    use np700::control::record::Outcome;
    use np700::{DialedNumber, State, UsageNumber};
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    /// The plain model: counts in hash maps keyed by what they count, windows by division.
    struct Model {
        controls: Controls,
        counts: HashMap<(usize, u64, u64), u32>,
        pairs: HashSet<(u64, u64, u64)>,
        distinct: HashMap<(u64, u64), u32>,
        marked_until: HashMap<u64, u64>,
    }

    impl Model {
        fn count(&mut self, table: usize, key: u64, window: u64) -> u32 {
            let n = self.counts.entry((table, key, window)).or_insert(0);
            *n += 1;
            *n
        }

        fn route(
            &mut self,
            state: &State,
            caller: SubscriberNumber,
            x: UsageNumber,
            media: Media,
            now: u64,
        ) -> Decision {
            let c = caller.e164();
            if self.marked_until.get(&c).is_some_and(|u| *u > now) {
                return rejected(RejectReason::AutoBlocked);
            }
            if let Some(p) = self.controls.probing {
                let w = now / u64::from(p.window_secs);
                if self.pairs.insert((c, x.value(), w)) {
                    let d = self.distinct.entry((c, w)).or_insert(0);
                    *d += 1;
                    if *d > p.distinct_numbers {
                        self.marked_until.insert(c, now + u64::from(p.block_secs));
                        return rejected(RejectReason::AutoBlocked);
                    }
                }
            }
            let mut limited = false;
            for (i, l) in self.controls.limits.clone().iter().enumerate() {
                let key = match l.subject {
                    Subject::Caller => c,
                    Subject::UsageNumber => x.value(),
                    Subject::Binding => continue,
                };
                if l.media.is_none_or(|m| m == media) {
                    limited |= self.count(i, key, now / u64::from(l.window_secs)) > l.max;
                }
            }
            if limited {
                return rejected(RejectReason::RateLimited);
            }
            let decision = state.route_dialed(
                Some(caller),
                DialedNumber::Usage(x),
                media,
                Timestamp::from_unix_secs(now),
            );
            if let Decision::Route(r) = &decision {
                for (i, l) in self.controls.limits.clone().iter().enumerate() {
                    if l.subject == Subject::Binding && l.media.is_none_or(|m| m == media) {
                        let w = now / u64::from(l.window_secs);
                        limited |= self.count(i, r.binding.raw(), w) > l.max;
                    }
                }
            }
            if limited {
                rejected(RejectReason::RateLimited)
            } else {
                decision
            }
        }
    }

    fn rate_limit() -> impl Strategy<Value = RateLimit> {
        (
            prop_oneof![
                Just(Subject::Caller),
                Just(Subject::UsageNumber),
                Just(Subject::Binding)
            ],
            prop_oneof![Just(None), Just(Some(Media::Voice)), Just(Some(Media::Sms))],
            prop_oneof![Just(1u32), Just(7), Just(60), Just(3600)],
            1u32..6,
        )
            .prop_map(|(subject, media, window_secs, max)| RateLimit {
                subject,
                media,
                window_secs,
                max,
            })
    }

    fn probing() -> impl Strategy<Value = Option<Probing>> {
        proptest::option::of(
            (1u32..5, prop_oneof![Just(5u32), Just(60)], 1u32..100).prop_map(
                |(distinct_numbers, window_secs, block_secs)| Probing {
                    distinct_numbers,
                    window_secs,
                    block_secs,
                },
            ),
        )
    }

    /// A request: caller index (0..4 are bindings 1..=4's A sides, 4..8 their B sides, 8..12
    /// strangers), number index (1..=6; 5 and 6 carry no binding), voice or SMS, seconds to wait
    /// first.
    fn request() -> impl Strategy<Value = (u16, u16, bool, u64)> {
        (
            0u16..12,
            1u16..7,
            any::<bool>(),
            prop_oneof![Just(0u64), 0u64..3, 0u64..90],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn routers_count_exactly_as_the_plain_model(
            limits in proptest::collection::vec(rate_limit(), 0..4),
            probing in probing(),
            requests in proptest::collection::vec(request(), 1..120),
        ) {
            let controls = Controls {
                limits,
                probing,
                counter_slots: 256,
                ..Controls::default()
            };
            let r = registry_with(controls.clone(), 4);
            let state = r.with_state(|s| s.clone());
            let mut model = Model {
                controls,
                counts: HashMap::new(),
                pairs: HashSet::new(),
                distinct: HashMap::new(),
                marked_until: HashMap::new(),
            };
            let m = ManagementNumber::new(M).unwrap();
            let mut now = T0;
            let mut want_records = Vec::new();
            for (who, to, sms, wait) in requests {
                now += wait;
                let caller = match who {
                    0..4 => s(&format!("1380000{:04}", who + 1)),
                    4..8 => s(&format!("1390000{:04}", who - 3)),
                    _ => s(&format!("1370000{:04}", who)),
                };
                let x = m.usage(to).unwrap();
                let media = if sms { Media::Sms } else { Media::Voice };
                let want = model.route(&state, caller, x, media, now);
                let got = r.route_dialed(
                    Some(caller),
                    DialedNumber::Usage(x),
                    media,
                    Timestamp::from_unix_secs(now),
                );
                prop_assert_eq!(got, want, "{} → {} at +{}", caller, x, now - T0);
                want_records.push((now, caller, x, Outcome::of(&want)));
            }
            prop_assert_eq!(r.region().untracked(), 0);
            let got_records: Vec<_> = drain(&r)
                .iter()
                .map(|rec| (rec.at.unix_secs(), rec.caller.unwrap(), rec.dialed.unwrap(), rec.outcome))
                .collect();
            prop_assert_eq!(got_records, want_records);
        }
    }
}
