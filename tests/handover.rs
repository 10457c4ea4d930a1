//! Hand-over: a random registry exported and imported routes identically; one tenant imported
//! into a registry with others leaves them untouched and never crosses tenants; every refusal
//! of an import is typed and changes nothing; an import is journaled like any write.
//!
//! Cases: `NP700_HANDOVER_CASES` (default 300).

use np700::binding::{Direction, MediaSet, TimeWindow};
use np700::handover::{
    self, BindingIds, HandedNumber, Handover, ImportError, ImportOptions, ImportReport,
    ImportRequest, NumberHolding, Scope,
};
use np700::index::layout::Capacity;
use np700::journal::sim::SimStorage;
use np700::journal::storage::Storage;
use np700::registry::OpenOptions;
use np700::route::Route;
use np700::{
    BindingId, Command, Config, Counterpart, Decision, Error, LicensedBlock, ManagementNumber,
    Media, NumberChoice, Parties, Policy, Registry, Selection, State, SubscriberNumber, TenantId,
    TenantStatus, Timestamp, UsageNumber,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const T0: u64 = 1_767_225_600;
const BINDING_Q: u64 = 30;
/// Management numbers in the source's block.
const NUMBERS: u64 = 6;
/// Usage numbers used under each management number.
const SUBS: u16 = 3;

fn config() -> Config {
    Config {
        binding_quarantine_secs: BINDING_Q,
        number_quarantine_secs: 60,
        default_pair_cap: 3,
        ..Config::default()
    }
}
fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs)
}
fn sub(i: u8) -> SubscriberNumber {
    SubscriberNumber::parse(&format!("1380000000{}", i % 7)).unwrap()
}
fn mgmt(i: u64) -> ManagementNumber {
    ManagementNumber::new(70012340000 + i).unwrap()
}
fn usage(i: u8) -> UsageNumber {
    let i = u64::from(i) % (NUMBERS * u64::from(SUBS));
    mgmt(i / u64::from(SUBS))
        .usage((i % u64::from(SUBS)) as u16)
        .unwrap()
}
/// Mostly a usage number of a management number `t` starts with (tenant 1 holds 0 and 1,
/// tenant 2 holds 2 and 3, tenant 3 holds 4), sometimes any.
fn own_usage(t: TenantId, i: u8) -> UsageNumber {
    if i >= 160 {
        return usage(i);
    }
    let m = (2 * u64::from(t.raw() - 1) + u64::from(i % 2)) % NUMBERS;
    mgmt(m).usage(u16::from(i / 2) % SUBS).unwrap()
}
fn tenant(i: u32) -> TenantId {
    TenantId::from_raw(i)
}
fn registry() -> Registry {
    Registry::new(config(), Capacity::for_bindings(64))
}

fn register(r: &Registry, name: &str, now: Timestamp) -> TenantId {
    let events = r
        .execute(
            &Command::RegisterTenant {
                name: name.into(),
                scenarios: vec![],
                pair_cap: None,
            },
            now,
        )
        .unwrap();
    match &events[0] {
        np700::Event::TenantRegistered { tenant } => tenant.id,
        e => panic!("{e:?}"),
    }
}

/// The source: three tenants, a block of six management numbers (five assigned, one free).
fn source() -> Registry {
    let r = registry();
    for name in ["parcels", "food", "rides"] {
        register(&r, name, at(0));
    }
    let run = |c: Command| r.execute(&c, at(0)).unwrap();
    run(Command::LicenseBlock(LicensedBlock {
        first: mgmt(0),
        count: NUMBERS as u32,
    }));
    for (m, t) in [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3)] {
        run(Command::AssignNumber {
            tenant: tenant(t),
            number: mgmt(m),
            tags: vec![],
        });
    }
    r
}

/// Runs one random operation (encoded in bytes) on `r` at `*now`; refusals are fine. Kinds
/// (`op[0] % 17`): advance the clock, bind, unbind, update, suspend or resume, sweep, assign,
/// reclaim, tenant status.
fn step(r: &Registry, now: &mut u64, op: &[u8; 12]) {
    let t = tenant(1 + u32::from(op[1] % 3));
    let when = Timestamp::from_unix_secs(*now);
    let live: Vec<(BindingId, TenantId)> =
        r.with_state(|s| s.bindings().map(|b| (b.id, b.tenant)).collect());
    let pick = live.get(usize::from(op[2]) % live.len().max(1)).copied();
    let command = match op[0] % 17 {
        0 | 1 => {
            *now += 1 + u64::from(op[1]) % 40;
            return;
        }
        2..=8 => {
            let x = if op[7] >= 220 {
                NumberChoice::Auto(Selection {
                    tag: None,
                    sticky_for: Some(sub(op[3])),
                })
            } else {
                NumberChoice::Given(own_usage(t, op[7]))
            };
            let y = NumberChoice::Given(own_usage(t, op[8]));
            let (a, b, c, d) = (sub(op[3]), sub(op[4]), sub(op[5]), sub(op[6]));
            let parties = match op[2] % 4 {
                0 => Parties::Axb { a, x, b },
                1 => Parties::Axn {
                    a,
                    x,
                    n: (!op[4].is_multiple_of(3)).then_some(b),
                },
                2 => Parties::Axyb { a, x, y, b },
                _ => Parties::Gxb {
                    group: [b, c, d][..1 + usize::from(op[5] % 3)].to_vec(),
                    x,
                    b: a,
                },
            };
            let policy = Policy {
                media: [MediaSet::ALL, MediaSet::VOICE_ONLY, MediaSet::SMS_ONLY]
                    [usize::from(op[10] % 3)],
                direction: [Direction::Both, Direction::AToBOnly, Direction::BToAOnly]
                    [usize::from(op[10] / 3 % 3)],
                allowed_callers: if op[2] % 4 == 1 && (op[10] / 9).is_multiple_of(3) {
                    vec![sub(op[11]), sub(op[11].wrapping_add(2))]
                } else {
                    vec![]
                },
                window: op[11].is_multiple_of(5).then_some(TimeWindow {
                    start_minute: u16::from(op[11]) * 5,
                    end_minute: 1000,
                }),
                record: op[10].is_multiple_of(2),
            };
            Command::Bind(np700::BindRequest {
                tenant: t,
                parties,
                expires_at: when.plus_secs(1 + u64::from(op[9]) % 150),
                policy,
                order_id: format!("order-{}", op[9]),
                consent_ref: "consent".into(),
                external_ref: String::new(),
            })
        }
        9 | 10 => match pick {
            Some((binding, tenant)) => Command::Unbind { tenant, binding },
            None => return,
        },
        11 => match pick {
            Some((binding, tenant)) => Command::Update {
                tenant,
                binding,
                counterpart: op[3].is_multiple_of(2).then(|| {
                    match r.with_state(|s| s.binding(binding).map(|b| b.mode())) {
                        Some(np700::Mode::Axn) => Counterpart::N(Some(sub(op[4]))),
                        _ => Counterpart::B(sub(op[4])),
                    }
                }),
                expires_at: op[3]
                    .is_multiple_of(3)
                    .then(|| when.plus_secs(1 + u64::from(op[5]) % 100)),
                policy: None,
            },
            None => return,
        },
        12 => match pick {
            Some((binding, tenant)) if op[3].is_multiple_of(2) => {
                Command::Suspend { tenant, binding }
            }
            Some((binding, tenant)) => Command::Resume { tenant, binding },
            None => return,
        },
        13 => Command::Sweep,
        14 => Command::AssignNumber {
            tenant: t,
            number: mgmt(u64::from(op[3]) % NUMBERS),
            tags: vec![],
        },
        15 => Command::ReclaimNumber {
            tenant: t,
            number: mgmt(u64::from(op[3]) % NUMBERS),
        },
        _ => Command::SetTenantStatus {
            tenant: t,
            status: [
                TenantStatus::Active,
                TenantStatus::Suspended,
                TenantStatus::Exited,
            ][usize::from(op[3] % 3)],
        },
    };
    let _ = r.execute(&command, when);
}

/// Every dial string worth asking: each usage number in use, one never used, the management
/// numbers (11 digits: collect digits or refuse), and a 700 number licensed to no one.
fn dialled(numbers: impl IntoIterator<Item = ManagementNumber>) -> Vec<String> {
    let mut out = Vec::new();
    for m in numbers {
        out.push(m.to_string());
        for s in (0..SUBS).chain([9_999]) {
            out.push(m.usage(s).unwrap().to_string());
        }
    }
    out.push("700999990000001".into());
    out
}

fn callers() -> Vec<String> {
    let mut c: Vec<String> = (0..7).map(|i| sub(i).to_string()).collect();
    c.push("13900000000".into());
    c.push(String::new());
    c
}

fn times(now: u64) -> Vec<Timestamp> {
    [0, 1, 7, BINDING_Q / 2, BINDING_Q, 61, 100, 160, 400]
        .iter()
        .map(|d| Timestamp::from_unix_secs(now + d))
        .collect()
}

/// Every (caller, dialled, media, time) routes alike in `a` and `b`, up to `map` (the ids of
/// `a`'s decisions as `b` has them).
fn assert_same_routes(
    a: &Registry,
    b: &Registry,
    numbers: &[ManagementNumber],
    now: u64,
    map: impl Fn(Decision) -> Decision,
) {
    for when in times(now) {
        for dialled in dialled(numbers.iter().copied()) {
            for caller in callers() {
                for media in [Media::Voice, Media::Sms] {
                    let want = map(a.route(&caller, &dialled, media, when));
                    let got = b.route(&caller, &dialled, media, when);
                    assert_eq!(
                        got,
                        want,
                        "{caller:?} dialling {dialled} ({media:?}) at +{}",
                        when.unix_secs() - now
                    );
                    let from_state = b.with_state(|s| s.route(&caller, &dialled, media, when));
                    assert_eq!(got, from_state, "index and state of the importer disagree");
                }
            }
        }
    }
}

fn mapped(report: &ImportReport) -> impl Fn(Decision) -> Decision + '_ {
    move |d| match d {
        Decision::Route(r) => Decision::Route(Route {
            tenant: report.tenants[&r.tenant],
            binding: report.bindings[&r.binding],
            ..r
        }),
        other => other,
    }
}

fn cases() -> u32 {
    std::env::var("NP700_HANDOVER_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn import(
    r: &Registry,
    handover: Handover,
    options: ImportOptions,
    now: Timestamp,
) -> Result<ImportReport, Error> {
    handover::import_into(r, ImportRequest { handover, options }, now)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 5_000, ..ProptestConfig::default() })]

    /// The whole platform, exported (through JSON) and imported into an empty registry, routes
    /// exactly as the source at every time from the export on, ids included.
    #[test]
    fn a_platform_imported_into_an_empty_registry_routes_identically(
        ops in proptest::collection::vec(any::<[u8; 12]>(), 1..80)
    ) {
        let src = source();
        let mut now = T0;
        for op in &ops {
            step(&src, &mut now, op);
        }
        let exported = handover::export_from(&src, Scope::Platform, Timestamp::from_unix_secs(now)).unwrap();
        let json = exported.to_json();
        let read = Handover::from_json(json.as_bytes()).unwrap();
        prop_assert_eq!(&read, &exported);
        let dst = registry();
        let report = import(&dst, read, ImportOptions::default(), Timestamp::from_unix_secs(now)).unwrap();
        prop_assert!(report.tenants.iter().all(|(a, b)| a == b));
        let numbers: Vec<_> = (0..NUMBERS).map(mgmt).collect();
        assert_same_routes(&src, &dst, &numbers, now, |d| d);
        // Exported again, the importer says the same (same ids, same everything).
        let again = handover::export_from(&dst, Scope::Platform, Timestamp::from_unix_secs(now)).unwrap();
        prop_assert_eq!(again.bindings, exported.bindings);
        prop_assert_eq!(again.quarantines, exported.quarantines);
        prop_assert_eq!(again.numbers, exported.numbers);
        prop_assert_eq!(again.tenants, exported.tenants);
    }

    /// One tenant, exported and imported (renumbered) into a registry that has a tenant of its
    /// own on other numbers of the same block and on a block of its own: the tenant's numbers
    /// route as in the source (up to the ids of the report), the registry's own routing is
    /// untouched, and no decision ever names a tenant other than the number's holder.
    #[test]
    fn one_tenant_imported_beside_others_keeps_them_untouched_and_never_crosses_tenants(
        ops in proptest::collection::vec(any::<[u8; 12]>(), 1..80),
        local_ops in proptest::collection::vec(any::<[u8; 12]>(), 0..20),
        which in 1u32..=3,
    ) {
        let src = source();
        let mut now = T0;
        for op in &ops {
            step(&src, &mut now, op);
        }
        let when = Timestamp::from_unix_secs(now);
        let exported = handover::export_from(&src, Scope::Tenant(tenant(which)), when).unwrap();
        let theirs: BTreeSet<ManagementNumber> = exported.numbers.iter().map(|n| n.number).collect();

        // The target: its own tenant, on the source block's numbers the export does not use and
        // on a block of its own, with bindings of its own.
        let dst = registry();
        let local = register(&dst, "local", at(0));
        let own = ManagementNumber::new(70055550000).unwrap();
        let run = |c: Command| dst.execute(&c, at(0)).unwrap();
        run(Command::LicenseBlock(LicensedBlock { first: own, count: 1 }));
        run(Command::LicenseBlock(LicensedBlock { first: mgmt(0), count: NUMBERS as u32 }));
        let mut local_numbers = vec![own];
        for m in (0..NUMBERS).map(mgmt).filter(|m| !theirs.contains(m)).take(2) {
            local_numbers.push(m);
        }
        for m in &local_numbers {
            run(Command::AssignNumber { tenant: local, number: *m, tags: vec![] });
        }
        let mut local_now = T0;
        for op in &local_ops {
            let mut op = *op;
            op[1] = 0; // the local tenant (id 1) only, on the numbers it has
            if !matches!(op[0] % 17, 14 | 15) {
                step(&dst, &mut local_now, &op);
            }
        }
        let before = registry_copy(&dst);

        let report = import(&dst, exported.clone(), ImportOptions { binding_ids: BindingIds::Renumber, ..ImportOptions::default() }, when).unwrap();
        prop_assert_eq!(report.tenants.len(), 1);
        let new_tenant = report.tenants[&tenant(which)];
        prop_assert_ne!(new_tenant, local);

        // The registry's own numbers route as before the import.
        let untouched: Vec<ManagementNumber> = local_numbers.iter().copied()
            .chain((0..NUMBERS).map(mgmt).filter(|m| !theirs.contains(m)))
            .collect();
        assert_same_routes(&before, &dst, &untouched, now, |d| d);
        // The imported tenant's numbers route as in the source.
        let theirs: Vec<ManagementNumber> = theirs.into_iter().collect();
        assert_same_routes(&src, &dst, &theirs, now, mapped(&report));
        // No decision crosses tenants.
        for m in (0..NUMBERS).map(mgmt).chain([own]) {
            let holder = dst.with_state(|s| s.pool().holder(m));
            for dialled in dialled([m]) {
                for caller in callers() {
                    for t in times(now) {
                        if let Decision::Route(r) = dst.route(&caller, &dialled, Media::Voice, t) {
                            prop_assert_eq!(Some(r.tenant), holder, "{} from {}", dialled, caller);
                        }
                    }
                }
            }
        }
    }
}

/// A registry with the same state as `r` (through a platform hand-over), to compare with later.
fn registry_copy(r: &Registry) -> Registry {
    // Exported at time 0 relative to the source epoch would drop nothing still running.
    let copy = registry();
    let h = handover::export_from(r, Scope::Platform, at(0)).unwrap();
    import(&copy, h, ImportOptions::default(), at(0)).unwrap();
    copy
}

// ---------------------------------------------------------------------------------------------
// Refusals: each typed, each leaving the target as it was.

/// A source with tenant 1 holding mgmt(0) and mgmt(1), an AXB binding on mgmt(0)'s first usage
/// number, a released binding's quarantine on its second, and mgmt(2) taken back (quarantined).
fn small_source() -> (Registry, Handover) {
    let r = source();
    let a = sub(1);
    let bind = |x: UsageNumber, b: SubscriberNumber| {
        r.bind(
            np700::BindRequest {
                tenant: tenant(1),
                parties: Parties::Axb {
                    a,
                    x: NumberChoice::Given(x),
                    b,
                },
                expires_at: at(1_000),
                policy: Policy::default(),
                order_id: "o".into(),
                consent_ref: "c".into(),
                external_ref: String::new(),
            },
            at(0),
        )
        .unwrap()
    };
    bind(mgmt(0).usage(0).unwrap(), sub(2));
    let ended = bind(mgmt(0).usage(1).unwrap(), sub(3));
    r.unbind(tenant(1), ended.id, at(1)).unwrap();
    r.execute(
        &Command::ReclaimNumber {
            tenant: tenant(2),
            number: mgmt(3),
        },
        at(1),
    )
    .unwrap();
    let h = handover::export_from(&r, Scope::Platform, at(2)).unwrap();
    (r, h)
}

/// Imports and expects `want`; the target must be unchanged.
fn refused(target: &Registry, h: Handover, options: ImportOptions, want: ImportError) {
    let before = target.with_state(State::clone);
    let got = import(target, h, options, at(2));
    assert_eq!(got, Err(Error::Import(want)));
    assert!(
        target.with_state(|s| *s == before),
        "a refused import changed the target"
    );
}

#[test]
fn the_small_source_imports_and_round_trips() {
    let (src, h) = small_source();
    assert_eq!(h.bindings.len(), 1);
    assert_eq!(h.quarantines.len(), 2);
    assert!(
        h.numbers
            .iter()
            .any(|n| matches!(n.holding, NumberHolding::Quarantined { .. }))
    );
    let dst = registry();
    // What the planner says it will do is what the report of the executed import says.
    let request = ImportRequest {
        handover: h.clone(),
        options: ImportOptions::default(),
    };
    let (_, planned) = dst
        .with_state(|s| handover::plan_import(s, &request, at(2)))
        .unwrap();
    let report = import(&dst, h, ImportOptions::default(), at(2)).unwrap();
    assert_eq!(planned, report);
    assert_eq!(
        (
            report.tenants_registered,
            report.blocks_licensed,
            report.bound,
            report.quarantines
        ),
        (3, 1, 1, 2)
    );
    assert_same_routes(
        &src,
        &dst,
        &(0..NUMBERS).map(mgmt).collect::<Vec<_>>(),
        T0 + 2,
        |d| d,
    );
    // The ended binding's id stays reserved: the next binding gets a new one.
    assert_eq!(
        dst.with_state(|s| s.next_binding_id()),
        src.with_state(|s| s.next_binding_id())
    );
}

#[test]
fn a_wrong_format_or_version_or_garbage_is_refused_by_name() {
    let (_, h) = small_source();
    let json = h.to_json();
    let other = json.replace("np700-handover", "something-else");
    assert_eq!(
        Handover::from_json(other.as_bytes()),
        Err(Error::Import(ImportError::NotAHandover(
            "something-else".into()
        )))
    );
    let v2 = json.replace("\"version\":1", "\"version\":2");
    assert_eq!(
        Handover::from_json(v2.as_bytes()),
        Err(Error::Import(ImportError::UnsupportedVersion(2)))
    );
    assert!(matches!(
        Handover::from_json(b"{\"format\": 1"),
        Err(Error::Import(ImportError::Unreadable(_)))
    ));
    let wrong_type = json.replace("\"bindings\":[", "\"bindings\":[7,");
    assert!(matches!(
        Handover::from_json(wrong_type.as_bytes()),
        Err(Error::Import(ImportError::Unreadable(_)))
    ));
    // The same checks apply to a hand-over built in memory.
    let dst = registry();
    refused(
        &dst,
        Handover {
            version: 9,
            ..h.clone()
        },
        ImportOptions::default(),
        ImportError::UnsupportedVersion(9),
    );
    refused(
        &dst,
        Handover {
            format: "x".into(),
            ..h
        },
        ImportOptions::default(),
        ImportError::NotAHandover("x".into()),
    );
}

#[test]
fn an_inconsistent_handover_is_refused_with_the_item_at_fault() {
    let (_, h) = small_source();
    let dst = registry();
    let bad = |section, index, why| ImportError::Inconsistent {
        section,
        index,
        why,
    };

    let mut two = h.clone();
    two.tenants.push(two.tenants[0].clone());
    refused(
        &dst,
        two,
        ImportOptions::default(),
        bad("tenants", 3, "a tenant listed twice"),
    );

    let mut overlap = h.clone();
    overlap.blocks.push(LicensedBlock {
        first: mgmt(2),
        count: 1,
    });
    refused(
        &dst,
        overlap,
        ImportOptions::default(),
        bad("blocks", 1, "an invalid block, or one overlapping another"),
    );

    let mut huge = h.clone();
    huge.blocks.push(LicensedBlock {
        first: ManagementNumber::new(70020000000).unwrap(),
        count: 40_000,
    });
    refused(
        &dst,
        huge,
        ImportOptions::default(),
        bad(
            "blocks",
            1,
            "more management numbers than a registry holds (32,768)",
        ),
    );

    let mut outside = h.clone();
    outside.numbers.push(HandedNumber {
        number: ManagementNumber::new(70077770000).unwrap(),
        holding: NumberHolding::Held {
            tenant: tenant(1),
            tags: vec![],
            since: at(0),
        },
    });
    let i = outside.numbers.len() - 1;
    refused(
        &dst,
        outside,
        ImportOptions::default(),
        bad("numbers", i, "a number outside the hand-over's blocks"),
    );

    let mut not_held = h.clone();
    not_held.bindings[0].tenant = tenant(2);
    refused(
        &dst,
        not_held,
        ImportOptions::default(),
        bad("bindings", 0, "a usage number its tenant does not hold"),
    );

    let mut no_consent = h.clone();
    no_consent.bindings[0].consent_ref.clear();
    refused(
        &dst,
        no_consent,
        ImportOptions::default(),
        bad(
            "bindings",
            0,
            "consent reference missing, or a reference invalid",
        ),
    );

    let mut twice = h.clone();
    let mut copy = twice.bindings[0].clone();
    copy.id = BindingId::from_raw(copy.id.raw() + 100);
    twice.bindings.push(copy);
    refused(
        &dst,
        twice,
        ImportOptions::default(),
        bad("bindings", 1, "a route entry another binding has"),
    );

    let mut clash = h.clone();
    let b = &clash.bindings[0];
    let (x, party, _) = b.legs()[0];
    let mut q = clash.quarantines[0];
    q.number = x;
    q.party = party;
    clash.quarantines.push(q);
    let i = clash.quarantines.len() - 1;
    refused(
        &dst,
        clash,
        ImportOptions::default(),
        bad(
            "quarantines",
            i,
            "a route entry a binding or another quarantine has",
        ),
    );

    let mut unknown_tenant = h;
    unknown_tenant.tenants.remove(2);
    refused(
        &dst,
        unknown_tenant,
        ImportOptions::default(),
        bad("numbers", 4, "its tenant is not in the hand-over"),
    );
}

#[test]
fn a_tenant_mapping_must_name_known_tenants_one_to_one_with_the_same_status() {
    let (_, h) = small_source();
    let dst = registry();
    let ours = register(&dst, "ours", at(0));
    let other = register(&dst, "other", at(0));
    let map = |pairs: &[(u32, TenantId)]| ImportOptions {
        tenants: pairs.iter().map(|(a, b)| (tenant(*a), *b)).collect(),
        binding_ids: BindingIds::Renumber,
    };
    refused(
        &dst,
        h.clone(),
        map(&[(9, ours)]),
        ImportError::MappingFromUnknown(tenant(9)),
    );
    refused(
        &dst,
        h.clone(),
        map(&[(1, tenant(77))]),
        ImportError::MappingToUnknown(tenant(77)),
    );
    refused(
        &dst,
        h.clone(),
        map(&[(1, ours), (2, ours)]),
        ImportError::MappingNotOneToOne(ours),
    );
    dst.execute(
        &Command::SetTenantStatus {
            tenant: other,
            status: TenantStatus::Suspended,
        },
        at(0),
    )
    .unwrap();
    refused(
        &dst,
        h.clone(),
        map(&[(1, other)]),
        ImportError::TenantStatusDiffers {
            tenant: other,
            exported: TenantStatus::Active,
            current: TenantStatus::Suspended,
        },
    );
    // Mapped properly, the tenant's numbers and bindings go to the existing tenant.
    let report = import(&dst, h, map(&[(1, ours)]), at(2)).unwrap();
    assert_eq!(report.tenants[&tenant(1)], ours);
    assert_eq!(report.tenants_registered, 2);
    assert_eq!(dst.with_state(|s| s.pool().holder(mgmt(0))), Some(ours));
}

#[test]
fn numbers_held_or_quarantined_elsewhere_or_unlicensable_are_refused() {
    let (_, h) = small_source();

    // Held by another tenant in the target.
    let dst = registry();
    let other = register(&dst, "other", at(0));
    dst.execute(
        &Command::LicenseBlock(LicensedBlock {
            first: mgmt(0),
            count: NUMBERS as u32,
        }),
        at(0),
    )
    .unwrap();
    dst.execute(
        &Command::AssignNumber {
            tenant: other,
            number: mgmt(1),
            tags: vec![],
        },
        at(0),
    )
    .unwrap();
    refused(
        &dst,
        h.clone(),
        ImportOptions::default(),
        ImportError::NumberHeld {
            number: mgmt(1),
            holder: other,
        },
    );

    // In quarantine after another tenant.
    dst.execute(
        &Command::ReclaimNumber {
            tenant: other,
            number: mgmt(1),
        },
        at(0),
    )
    .unwrap();
    let until = at(0).plus_secs(60);
    refused(
        &dst,
        h.clone(),
        ImportOptions::default(),
        ImportError::NumberInQuarantine {
            number: mgmt(1),
            until,
        },
    );

    // A block that overlaps the target's, with a number the target has not licensed.
    let dst = registry();
    dst.execute(
        &Command::LicenseBlock(LicensedBlock {
            first: mgmt(0),
            count: 1,
        }),
        at(0),
    )
    .unwrap();
    refused(
        &dst,
        h,
        ImportOptions::default(),
        ImportError::NotLicensed(mgmt(1)),
    );
}

#[test]
fn entries_in_use_and_issued_ids_are_refused() {
    let (_, h) = small_source();

    // The target has a quarantine left on a usage number the hand-over binds.
    let dst = registry();
    let t = register(&dst, "parcels", at(0));
    dst.execute(
        &Command::LicenseBlock(LicensedBlock {
            first: mgmt(0),
            count: NUMBERS as u32,
        }),
        at(0),
    )
    .unwrap();
    dst.execute(
        &Command::AssignNumber {
            tenant: t,
            number: mgmt(0),
            tags: vec![],
        },
        at(0),
    )
    .unwrap();
    let x = mgmt(0).usage(0).unwrap();
    let b = dst
        .bind(
            np700::BindRequest {
                tenant: t,
                parties: Parties::Axb {
                    a: sub(5),
                    x: NumberChoice::Given(x),
                    b: sub(6),
                },
                expires_at: at(500),
                policy: Policy::default(),
                order_id: String::new(),
                consent_ref: "c".into(),
                external_ref: String::new(),
            },
            at(0),
        )
        .unwrap();
    dst.unbind(t, b.id, at(1)).unwrap();
    let map = ImportOptions {
        tenants: BTreeMap::from([(tenant(1), t)]),
        binding_ids: BindingIds::Renumber,
    };
    refused(&dst, h.clone(), map, ImportError::EntryInUse(x));

    // Keep: an id the target has issued.
    let dst = registry();
    let t = register(&dst, "parcels", at(0));
    let own = ManagementNumber::new(70055550000).unwrap();
    dst.execute(
        &Command::LicenseBlock(LicensedBlock {
            first: own,
            count: 1,
        }),
        at(0),
    )
    .unwrap();
    dst.execute(
        &Command::AssignNumber {
            tenant: t,
            number: own,
            tags: vec![],
        },
        at(0),
    )
    .unwrap();
    for i in 0..3 {
        dst.bind(
            np700::BindRequest {
                tenant: t,
                parties: Parties::Axb {
                    a: sub(5),
                    x: NumberChoice::Given(own.usage(i).unwrap()),
                    b: sub(6),
                },
                expires_at: at(500),
                policy: Policy::default(),
                order_id: String::new(),
                consent_ref: "c".into(),
                external_ref: String::new(),
            },
            at(0),
        )
        .unwrap();
    }
    let first_id = *h
        .bindings
        .iter()
        .map(|b| &b.id)
        .chain(h.quarantines.iter().map(|q| &q.quarantine.binding))
        .min()
        .unwrap();
    refused(
        &dst,
        h.clone(),
        ImportOptions::default(),
        ImportError::BindingIdTaken(first_id),
    );
    // Renumbered, it goes in, and the report says what the planner said.
    let request = ImportRequest {
        handover: h,
        options: ImportOptions {
            binding_ids: BindingIds::Renumber,
            ..ImportOptions::default()
        },
    };
    let (_, planned) = dst
        .with_state(|s| handover::plan_import(s, &request, at(2)))
        .unwrap();
    let report = handover::import_into(&dst, request, at(2)).unwrap();
    assert_eq!(planned, report);
    assert!(report.bindings.values().all(|id| id.raw() >= 4));
    assert_eq!(report.tenants[&tenant(1)], tenant(2));
}

#[test]
fn renumbering_past_the_last_binding_id_is_refused() {
    let (_, mut h) = small_source();
    // Kept as they are, ids at the end of the range leave nothing to renumber into.
    let last = handover::MAX_BINDING_ID;
    h.bindings[0].id = BindingId::from_raw(last - 1);
    for (i, q) in h.quarantines.iter_mut().enumerate() {
        q.quarantine.binding = BindingId::from_raw(last - 1 + i as u64);
    }
    let dst = registry();
    import(&dst, h.clone(), ImportOptions::default(), at(2)).unwrap();
    // One more quarantine (on a number nobody uses), renumbered: no id is left for it.
    let mut quarantine = h.quarantines[0];
    quarantine.number = mgmt(5).usage(0).unwrap();
    let more = Handover {
        tenants: vec![],
        numbers: vec![],
        bindings: vec![],
        quarantines: vec![quarantine],
        ..h
    };
    let renumber = ImportOptions {
        binding_ids: BindingIds::Renumber,
        ..ImportOptions::default()
    };
    refused(&dst, more, renumber, ImportError::BindingIdsExhausted);
}

/// An import is journaled like any write: a registry reopened from its journal routes the same.
#[test]
fn an_import_survives_a_reopen_of_the_journal() {
    let (src, h) = small_source();
    let storage = Arc::new(SimStorage::new());
    let open = || {
        Registry::open_storage(
            Arc::clone(&storage) as Arc<dyn Storage>,
            config(),
            OpenOptions::default(),
        )
        .unwrap()
        .0
    };
    let dst = open();
    import(&dst, h, ImportOptions::default(), at(2)).unwrap();
    drop(dst);
    let reopened = open();
    assert_same_routes(
        &src,
        &reopened,
        &(0..NUMBERS).map(mgmt).collect::<Vec<_>>(),
        T0 + 2,
        |d| d,
    );
}
