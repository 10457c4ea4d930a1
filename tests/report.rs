//! Reports (issue 6): the figures against a plain recount from the state over random
//! histories, a hand-built case with every kind of figure, the JSON shape (field names are a
//! contract with the regulator's submission), and the registry's report from its archive.

use np700::archive::ArchiveOptions;
use np700::binding::Policy;
use np700::control::record::{Outcome, RouteRecord};
use np700::journal::sim::SimStorage;
use np700::journal::storage::Storage;
use np700::journal::{Commit, JournalOptions};
use np700::pool::Holding;
use np700::registry::OpenOptions;
use np700::report::{Period, Report, Traffic};
use np700::route::{AnnounceReason, RejectReason};
use np700::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const T0: u64 = 1_767_225_600;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs)
}
fn m(i: u64) -> ManagementNumber {
    ManagementNumber::new(70010000000 + i).unwrap()
}
fn s(i: u64) -> SubscriberNumber {
    SubscriberNumber::from_e164(8613000000000 + i).unwrap()
}
fn t(i: u32) -> TenantId {
    TenantId::from_raw(i)
}

fn run(state: &mut State, c: Command, now: u64) -> Result<Vec<Event>, Error> {
    state.execute(&c, at(now))
}

/// Tenants 1..=3; tenant 1 holds m0 and m1, tenant 2 holds m2, tenant 3 none; m3 licensed and
/// free.
fn provisioned() -> State {
    let mut state = State::new(Config::default());
    for name in ["parcels", "rides", "idle"] {
        run(
            &mut state,
            Command::RegisterTenant {
                name: name.into(),
                scenarios: vec![],
                pair_cap: None,
            },
            0,
        )
        .unwrap();
    }
    run(
        &mut state,
        Command::LicenseBlock(LicensedBlock {
            first: m(0),
            count: 4,
        }),
        0,
    )
    .unwrap();
    for (tenant, number) in [(1, 0), (1, 1), (2, 2)] {
        run(
            &mut state,
            Command::AssignNumber {
                tenant: t(tenant),
                number: m(number),
                tags: vec![],
            },
            0,
        )
        .unwrap();
    }
    state
}

fn request(tenant: u32, parties: Parties<NumberChoice>, expires: u64) -> Command {
    Command::Bind(BindRequest {
        tenant: t(tenant),
        parties,
        expires_at: at(expires),
        policy: Policy::default(),
        order_id: String::new(),
        consent_ref: "consent".into(),
        external_ref: String::new(),
    })
}

fn given(number: u64, sub: u16) -> NumberChoice {
    NumberChoice::Given(m(number).usage(sub).unwrap())
}

/// The figures recounted plainly: from the bindings' own legs, not the usage table.
struct Recount {
    live: BTreeMap<TenantId, [u64; 6]>,
    in_use: BTreeMap<TenantId, BTreeSet<UsageNumber>>,
    made: BTreeMap<TenantId, u64>,
    number_quarantines: BTreeMap<TenantId, u64>,
}

fn recount(state: &State, period: Period, now: Timestamp) -> Recount {
    let mut r = Recount {
        live: BTreeMap::new(),
        in_use: BTreeMap::new(),
        made: BTreeMap::new(),
        number_quarantines: BTreeMap::new(),
    };
    for b in state.bindings() {
        if period.contains(b.created_at) {
            *r.made.entry(b.tenant).or_default() += 1;
        }
        if now >= b.expires_at {
            continue;
        }
        let c = r.live.entry(b.tenant).or_default();
        c[0] += 1;
        c[match b.mode() {
            Mode::Axb => 1,
            Mode::Axn => 2,
            Mode::Axyb => 3,
            Mode::Gxb => 4,
        }] += 1;
        if b.status == np700::binding::BindingStatus::Suspended {
            c[5] += 1;
        }
        for (x, _, _) in b.legs() {
            r.in_use.entry(b.tenant).or_default().insert(x);
        }
    }
    for (_, h) in state.pool().holdings() {
        if let Holding::Quarantined { former, until } = h
            && *until > now
        {
            *r.number_quarantines.entry(*former).or_default() += 1;
        }
    }
    r
}

fn check_against_recount(
    state: &State,
    traffic: &Traffic,
    records: &[RouteRecord],
    now: Timestamp,
) {
    let report = Report::build(state, traffic, now);
    let period = traffic.period();
    let r = recount(state, period, now);
    assert_eq!(report.tenants.len(), state.tenants().count());
    let mut total_live = 0;
    let mut all_in_use = BTreeSet::new();
    for tr in &report.tenants {
        let live = r.live.get(&tr.tenant).copied().unwrap_or_default();
        let l = &tr.live_bindings;
        assert_eq!(
            [l.total, l.axb, l.axn, l.axyb, l.gxb, l.suspended],
            live,
            "{}",
            tr.tenant
        );
        total_live += live[0];
        let in_use = r.in_use.get(&tr.tenant).cloned().unwrap_or_default();
        assert_eq!(
            tr.usage_numbers_in_use,
            in_use.len() as u64,
            "{}",
            tr.tenant
        );
        all_in_use.extend(in_use.iter().copied());
        let held = state.pool().count_held_by(tr.tenant) as u64;
        assert_eq!(tr.management_numbers_held, held);
        assert_eq!(
            tr.headroom.usage_numbers_free,
            held * 10_000 - in_use.len() as u64
        );
        match tr.utilisation {
            None => assert_eq!(held, 0),
            Some(u) => assert!((u - in_use.len() as f64 / (held * 10_000) as f64).abs() < 1e-12),
        }
        let made = r.made.get(&tr.tenant).copied().unwrap_or(0);
        assert_eq!(tr.bindings_made, made);
        let rate = made as f64 / period.days();
        assert!((tr.headroom.bind_rate_per_day - rate).abs() < 1e-9);
        assert_eq!(
            tr.headroom.days_until_exhausted.is_none(),
            made == 0,
            "{tr:?}"
        );
        assert_eq!(
            tr.quarantines.management_numbers,
            r.number_quarantines.get(&tr.tenant).copied().unwrap_or(0)
        );
        // Traffic: the records of the period on this tenant's numbers.
        let mine: Vec<&RouteRecord> = records
            .iter()
            .filter(|x| x.tenant == Some(tr.tenant) && period.contains(x.at))
            .collect();
        assert_eq!(tr.traffic.total, mine.len() as u64);
        assert_eq!(
            tr.traffic.routed,
            mine.iter().filter(|x| x.outcome == Outcome::Routed).count() as u64
        );
        let refused: u64 = tr.traffic.refused.values().sum();
        assert_eq!(
            refused,
            mine.iter()
                .filter(|x| matches!(x.outcome, Outcome::Rejected(_)))
                .count() as u64
        );
        assert_eq!(
            tr.auto_blocks,
            mine.iter()
                .filter(|x| x.outcome == Outcome::Rejected(RejectReason::AutoBlocked))
                .count() as u64
        );
    }
    let p = &report.platform;
    assert_eq!(p.live_bindings.total, total_live);
    assert_eq!(p.usage_numbers_in_use, all_in_use.len() as u64);
    assert_eq!(
        p.traffic.total,
        records.iter().filter(|x| period.contains(x.at)).count() as u64
    );
    assert_eq!(report.completeness.records_counted, p.traffic.total);
    assert_eq!(
        p.management_numbers_licensed,
        p.management_numbers_assigned
            + p.management_numbers_quarantined
            + p.management_numbers_free
    );
    // Route-entry quarantines: every (x, party) quarantined past `now`.
    let quarantined: u64 = state
        .usage_entries()
        .map(|(_, e)| e.quarantine.values().filter(|q| q.until > now).count() as u64)
        .sum();
    assert_eq!(p.quarantines.route_entries, quarantined);
}

#[derive(Clone, Debug)]
enum Op {
    Bind {
        tenant: u32,
        mode: u8,
        sub: u16,
        a: u64,
        b: u64,
        life: u64,
    },
    Unbind(u64),
    Suspend(u64),
    Sweep,
    Reclaim,
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1u32..=3, 0u8..4, 0u16..40, 0u64..30, 30u64..60, 1u64..(3 * DAY)).prop_map(
            |(tenant, mode, sub, a, b, life)| Op::Bind { tenant, mode, sub, a, b, life }
        ),
        2 => (1u64..60).prop_map(Op::Unbind),
        1 => (1u64..60).prop_map(Op::Suspend),
        1 => Just(Op::Sweep),
        1 => Just(Op::Reclaim),
        2 => (1u64..(2 * DAY)).prop_map(Op::Wait),
    ]
}

fn record_strategy() -> impl Strategy<Value = RouteRecord> {
    (0u64..(10 * DAY), prop::option::of(1u32..=3), 0u8..6).prop_map(|(secs, tenant, kind)| {
        RouteRecord {
            at: at(secs),
            media: Media::Voice,
            caller: Some(s(1)),
            dialed: Some(m(0).usage(1).unwrap()),
            tenant: tenant.map(t),
            binding: None,
            to: None,
            display: None,
            outcome: match kind {
                0 | 1 => Outcome::Routed,
                2 => Outcome::Rejected(RejectReason::NoBinding),
                3 => Outcome::Rejected(RejectReason::AutoBlocked),
                4 => Outcome::Announced(AnnounceReason::ServiceEnded),
                _ => Outcome::CollectDigits,
            },
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn report_figures_equal_a_plain_recount_from_the_state(
        ops in prop::collection::vec(op(), 1..60),
        records in prop::collection::vec(record_strategy(), 0..80),
        from in 0u64..(3 * DAY),
        len in 0u64..(6 * DAY),
        dropped in 0u64..3,
    ) {
        let mut state = provisioned();
        let mut clock = 0;
        for o in ops {
            let _ = match o {
                Op::Bind { tenant, mode, sub, a, b, life } => {
                    let number = if tenant == 2 { 2 } else { u64::from(sub % 2) };
                    let parties = match mode {
                        0 => Parties::Axb { a: s(a), x: given(number, sub), b: s(b) },
                        1 => Parties::Axn { a: s(a), x: given(number, sub + 100), n: Some(s(b)) },
                        2 => Parties::Axyb {
                            a: s(a),
                            x: given(number, sub + 200),
                            y: given(number, sub + 300),
                            b: s(b),
                        },
                        _ => Parties::Gxb {
                            group: vec![s(a), s(a + 100)],
                            x: given(number, sub + 400),
                            b: s(b),
                        },
                    };
                    run(&mut state, request(tenant, parties, clock + life), clock)
                }
                Op::Unbind(id) => {
                    let binding = BindingId::from_raw(id);
                    let tenant = state.binding(binding).map_or(t(1), |b| b.tenant);
                    run(&mut state, Command::Unbind { tenant, binding }, clock)
                }
                Op::Suspend(id) => {
                    let binding = BindingId::from_raw(id);
                    let tenant = state.binding(binding).map_or(t(1), |b| b.tenant);
                    run(&mut state, Command::Suspend { tenant, binding }, clock)
                }
                Op::Sweep => run(&mut state, Command::Sweep, clock),
                // Taking m1 back works only while it carries no live binding.
                Op::Reclaim => run(
                    &mut state,
                    Command::ReclaimNumber { tenant: t(1), number: m(1) },
                    clock,
                ),
                Op::Wait(secs) => {
                    clock += secs;
                    Ok(vec![])
                }
            };
        }
        let period = Period { from: at(from), to: at(from + len) };
        let mut traffic = Traffic::new(period);
        for r in &records {
            traffic.record(r);
        }
        traffic.add_dropped(dropped);
        let report = Report::build(&state, &traffic, at(clock));
        prop_assert_eq!(report.completeness.records_dropped, dropped);
        prop_assert_eq!(report.completeness.complete, dropped == 0);
        check_against_recount(&state, &traffic, &records, at(clock));
    }
}

/// Every kind of figure at once, with the numbers written out.
#[test]
fn a_hand_built_state_reports_what_it_holds() {
    let mut state = provisioned();
    // Tenant 1: an AXB and a GXB on m0, an AXN on m1 (suspended); an AXB released at 2 h
    // (two quarantined entries).
    let axb = |a, sub, b| Parties::Axb {
        a: s(a),
        x: given(0, sub),
        b: s(b),
    };
    run(&mut state, request(1, axb(1, 1, 2), 10 * DAY), 0).unwrap();
    run(
        &mut state,
        request(
            1,
            Parties::Gxb {
                group: vec![s(3), s(4)],
                x: given(0, 2),
                b: s(5),
            },
            10 * DAY,
        ),
        0,
    )
    .unwrap();
    run(
        &mut state,
        request(
            1,
            Parties::Axn {
                a: s(6),
                x: given(1, 1),
                n: None,
            },
            10 * DAY,
        ),
        0,
    )
    .unwrap();
    run(
        &mut state,
        Command::Suspend {
            tenant: t(1),
            binding: BindingId::from_raw(3),
        },
        HOUR,
    )
    .unwrap();
    run(&mut state, request(1, axb(7, 3, 8), 10 * DAY), HOUR).unwrap();
    run(
        &mut state,
        Command::Unbind {
            tenant: t(1),
            binding: BindingId::from_raw(4),
        },
        2 * HOUR,
    )
    .unwrap();
    // Tenant 2: an AXYB on m2 (two usage numbers).
    run(
        &mut state,
        request(
            2,
            Parties::Axyb {
                a: s(10),
                x: given(2, 1),
                y: given(2, 2),
                b: s(11),
            },
            10 * DAY,
        ),
        3 * HOUR,
    )
    .unwrap();
    // Tenant 3 is given m3 and has it taken back: quarantined, against its former holder.
    run(
        &mut state,
        Command::AssignNumber {
            tenant: t(3),
            number: m(3),
            tags: vec![],
        },
        3 * HOUR,
    )
    .unwrap();
    run(
        &mut state,
        Command::ReclaimNumber {
            tenant: t(3),
            number: m(3),
        },
        3 * HOUR,
    )
    .unwrap();
    let now = at(4 * HOUR);
    let period = Period {
        from: at(0),
        to: at(2 * DAY),
    };
    let mut traffic = Traffic::new(period);
    let rec = |tenant: Option<u32>, outcome| RouteRecord {
        at: at(HOUR),
        media: Media::Voice,
        caller: Some(s(1)),
        dialed: None,
        tenant: tenant.map(t),
        binding: None,
        to: None,
        display: None,
        outcome,
    };
    for r in [
        rec(Some(1), Outcome::Routed),
        rec(Some(1), Outcome::Routed),
        rec(Some(1), Outcome::Rejected(RejectReason::AutoBlocked)),
        rec(Some(1), Outcome::Announced(AnnounceReason::ServiceEnded)),
        rec(Some(2), Outcome::Rejected(RejectReason::RateLimited)),
        rec(None, Outcome::Rejected(RejectReason::NotOurs)),
        RouteRecord {
            at: at(3 * DAY),
            ..rec(Some(1), Outcome::Routed)
        },
    ] {
        traffic.record(&r);
    }
    assert_eq!(traffic.outside(), 1);
    traffic.add_dropped(5);
    let report = Report::build(&state, &traffic, now);
    assert_eq!(
        (
            report.completeness.records_counted,
            report.completeness.records_dropped,
            report.completeness.complete
        ),
        (6, 5, false)
    );
    let [one, two, three] = &report.tenants[..] else {
        panic!("{report:?}")
    };
    assert_eq!(one.management_numbers_held, 2);
    assert_eq!(one.usage_numbers_in_use, 3);
    let l = &one.live_bindings;
    assert_eq!((l.total, l.axb, l.axn, l.gxb, l.suspended), (3, 1, 1, 1, 1));
    assert_eq!(
        one.bindings_made, 3,
        "the released binding is not in the state"
    );
    assert_eq!((one.traffic.total, one.traffic.routed), (4, 2));
    assert_eq!(one.traffic.refused["AutoBlocked"], 1);
    assert_eq!(one.traffic.announced["ServiceEnded"], 1);
    assert_eq!(one.auto_blocks, 1);
    assert_eq!(one.quarantines.route_entries, 2);
    assert_eq!(one.utilisation, Some(3.0 / 20_000.0));
    assert_eq!(one.headroom.usage_numbers_free, 19_997);
    assert_eq!(one.headroom.bind_rate_per_day, 1.5);
    assert_eq!(one.headroom.days_until_exhausted, Some(19_997.0 / 1.5));
    assert_eq!(two.usage_numbers_in_use, 2);
    assert_eq!(two.live_bindings.axyb, 1);
    assert_eq!(two.traffic.refused["RateLimited"], 1);
    assert_eq!(three.management_numbers_held, 0);
    assert_eq!(three.quarantines.management_numbers, 1);
    assert_eq!(three.utilisation, None);
    assert_eq!(three.headroom.days_until_exhausted, None);
    let p = &report.platform;
    assert_eq!(
        (
            p.management_numbers_licensed,
            p.management_numbers_assigned,
            p.management_numbers_quarantined,
            p.management_numbers_free
        ),
        (4, 3, 1, 0)
    );
    assert_eq!(p.quarantines.management_numbers, 1);
    assert_eq!(p.quarantines.route_entries, 2);
    assert_eq!(p.usage_numbers_in_use, 5);
    assert_eq!(p.live_bindings.total, 4);
    assert_eq!(p.traffic.total, 6);
    assert_eq!(p.traffic.refused["NotOurs"], 1);
    assert_eq!(p.utilisation, Some(5.0 / 30_000.0));
    // Quarantined entries are past `now` only before their end.
    let later = Report::build(&state, &traffic, at(2 * HOUR + 25 * HOUR));
    assert_eq!(later.tenants[0].quarantines.route_entries, 0);
}

/// Field names are what the regulator's submission is built on: they stay as they are.
#[test]
fn the_json_shape_is_stable() {
    let mut state = provisioned();
    run(
        &mut state,
        request(
            1,
            Parties::Axb {
                a: s(1),
                x: given(0, 1),
                b: s(2),
            },
            DAY,
        ),
        0,
    )
    .unwrap();
    let traffic = Traffic::new(Period {
        from: at(0),
        to: at(DAY),
    });
    let report = Report::build(&state, &traffic, at(HOUR));
    let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&v),
        [
            "completeness",
            "generated_at",
            "period",
            "platform",
            "tenants"
        ]
    );
    assert_eq!(v["generated_at"], T0 + HOUR);
    assert_eq!(keys(&v["period"]), ["from", "to"]);
    assert_eq!(
        keys(&v["completeness"]),
        ["complete", "records_counted", "records_dropped"]
    );
    assert_eq!(
        keys(&v["platform"]),
        [
            "auto_blocks",
            "bindings_made",
            "block_rules_in_force",
            "live_bindings",
            "management_numbers_assigned",
            "management_numbers_free",
            "management_numbers_licensed",
            "management_numbers_quarantined",
            "quarantines",
            "tenants",
            "traffic",
            "usage_numbers_in_use",
            "utilisation"
        ]
    );
    let tenant = &v["tenants"][0];
    assert_eq!(
        keys(tenant),
        [
            "auto_blocks",
            "bindings_made",
            "block_rules_in_force",
            "headroom",
            "live_bindings",
            "management_numbers_held",
            "name",
            "quarantines",
            "status",
            "tenant",
            "traffic",
            "usage_numbers_in_use",
            "utilisation",
            "violations"
        ]
    );
    assert_eq!(
        keys(&v["platform"]["block_rules_in_force"]),
        ["automatic", "manual"]
    );
    assert_eq!(tenant["tenant"], 1);
    assert_eq!(tenant["name"], "parcels");
    assert_eq!(tenant["status"], "Active");
    assert_eq!(
        keys(&tenant["live_bindings"]),
        ["axb", "axn", "axyb", "gxb", "suspended", "total"]
    );
    assert_eq!(
        keys(&tenant["traffic"]),
        ["announced", "collect_digits", "refused", "routed", "total"]
    );
    assert_eq!(
        keys(&tenant["quarantines"]),
        ["management_numbers", "route_entries"]
    );
    assert_eq!(
        keys(&tenant["headroom"]),
        [
            "bind_rate_per_day",
            "days_until_exhausted",
            "usage_numbers_free"
        ]
    );
    assert_eq!(tenant["headroom"]["bind_rate_per_day"], 1.0);
    assert_eq!(tenant["headroom"]["days_until_exhausted"], 19_999.0);
    assert!(v["tenants"][2]["utilisation"].is_null());
    assert!(v["tenants"][2]["headroom"]["days_until_exhausted"].is_null());
    // And it reads back.
    let back: Report = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(back, report);
}

/// The registry's report reads its archive: route records, drops, and bindings made in the
/// period that have ended since.
#[test]
fn the_registry_reports_from_its_archive() {
    let journal = Arc::new(SimStorage::new());
    let archive = Arc::new(SimStorage::new());
    let options = OpenOptions {
        journal: JournalOptions {
            commit: Commit::Group,
            snapshot_after_bytes: None,
        },
        archive: ArchiveOptions::default(),
        ..OpenOptions::default()
    };
    let open = || {
        Registry::open_storages(
            Arc::clone(&journal) as Arc<dyn Storage>,
            Some(Arc::clone(&archive) as Arc<dyn Storage>),
            Config::default(),
            options.clone(),
        )
        .unwrap()
        .0
    };
    let r = open();
    r.execute(
        &Command::RegisterTenant {
            name: "parcels".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        at(0),
    )
    .unwrap();
    r.execute(
        &Command::LicenseBlock(LicensedBlock {
            first: m(0),
            count: 1,
        }),
        at(0),
    )
    .unwrap();
    r.execute(
        &Command::AssignNumber {
            tenant: t(1),
            number: m(0),
            tags: vec![],
        },
        at(0),
    )
    .unwrap();
    for i in 0..4u64 {
        let b = r
            .bind(
                BindRequest {
                    tenant: t(1),
                    parties: Parties::Axb {
                        a: s(i),
                        x: given(0, i as u16),
                        b: s(100 + i),
                    },
                    expires_at: at(DAY),
                    policy: Policy::default(),
                    order_id: String::new(),
                    consent_ref: "consent".into(),
                    external_ref: String::new(),
                },
                at(i * HOUR),
            )
            .unwrap();
        if i < 2 {
            r.unbind(t(1), b.id, at(i * HOUR + 60)).unwrap();
        }
    }
    let routed = |secs: u64, outcome| RouteRecord {
        at: at(secs),
        media: Media::Sms,
        caller: Some(s(0)),
        dialed: Some(m(0).usage(0).unwrap()),
        tenant: Some(t(1)),
        binding: None,
        to: None,
        display: None,
        outcome,
    };
    // The drain's drop count first: its archive_routes makes both durable.
    r.archive_drops(3, at(30)).unwrap();
    r.archive_routes(&[
        routed(10, Outcome::Routed),
        routed(20, Outcome::Rejected(RejectReason::AutoBlocked)),
        routed(2 * DAY, Outcome::Routed),
    ])
    .unwrap();
    drop(r);
    let r = open();
    let period = Period {
        from: at(0),
        to: at(DAY),
    };
    let report = r.report(period, at(5 * HOUR)).unwrap();
    let one = &report.tenants[0];
    assert_eq!(one.bindings_made, 4, "two live, two released");
    assert_eq!(one.live_bindings.total, 2);
    assert_eq!((one.traffic.total, one.auto_blocks), (2, 1));
    assert_eq!(report.completeness.records_dropped, 3);
    assert!(!report.completeness.complete);
    assert_eq!(one.headroom.bind_rate_per_day, 4.0);
    // Without an archive: the state's figures only.
    let plain = Registry::new(
        Config::default(),
        np700::index::layout::Capacity::for_bindings(8),
    );
    let empty = plain.report(period, at(0)).unwrap();
    assert_eq!(empty.platform.traffic.total, 0);
    assert!(empty.completeness.complete);
}

/// End to end: calls routed through the registry, their records drained into the archive, and
/// the report counting them by outcome.
#[test]
fn routed_calls_drained_into_the_archive_are_reported() {
    let journal = Arc::new(SimStorage::new());
    let archive = Arc::new(SimStorage::new());
    let (r, _) = Registry::open_storages(
        Arc::clone(&journal) as Arc<dyn Storage>,
        Some(Arc::clone(&archive) as Arc<dyn Storage>),
        Config::default(),
        OpenOptions::default(),
    )
    .unwrap();
    r.execute(
        &Command::RegisterTenant {
            name: "parcels".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        at(0),
    )
    .unwrap();
    for c in [
        Command::LicenseBlock(LicensedBlock {
            first: m(0),
            count: 1,
        }),
        Command::AssignNumber {
            tenant: t(1),
            number: m(0),
            tags: vec![],
        },
    ] {
        r.execute(&c, at(0)).unwrap();
    }
    let x = m(0).usage(1).unwrap();
    r.bind(
        BindRequest {
            tenant: t(1),
            parties: Parties::Axb {
                a: s(1),
                x: NumberChoice::Given(x),
                b: s(2),
            },
            expires_at: at(DAY),
            policy: Policy::default(),
            order_id: String::new(),
            consent_ref: "consent".into(),
            external_ref: String::new(),
        },
        at(0),
    )
    .unwrap();
    let call =
        |caller: u64, dialed: &str| r.route(&s(caller).to_string(), dialed, Media::Voice, at(HOUR));
    assert!(matches!(call(1, &x.to_string()), Decision::Route(_)));
    assert!(matches!(call(2, &x.to_string()), Decision::Route(_)));
    assert!(matches!(call(9, &x.to_string()), Decision::Reject { .. }));
    assert!(matches!(
        call(1, "700900000000001"),
        Decision::Reject { .. }
    ));
    let mut buf = vec![
        RouteRecord {
            at: at(0),
            media: Media::Voice,
            caller: None,
            dialed: None,
            tenant: None,
            binding: None,
            to: None,
            display: None,
            outcome: Outcome::CollectDigits,
        };
        64
    ];
    assert_eq!(r.archive_drained(&mut buf, at(HOUR)).unwrap(), 4);
    assert_eq!(r.archive_drained(&mut buf, at(HOUR)).unwrap(), 0);
    let report = r
        .report(
            Period {
                from: at(0),
                to: at(DAY),
            },
            at(2 * HOUR),
        )
        .unwrap();
    let one = &report.tenants[0];
    assert_eq!((one.traffic.total, one.traffic.routed), (3, 2));
    assert_eq!(one.traffic.refused["CallerNotPermitted"], 1);
    assert_eq!(report.platform.traffic.total, 4);
    assert_eq!(report.platform.traffic.refused["NotOurs"], 1);
    assert!(report.completeness.complete);
}
