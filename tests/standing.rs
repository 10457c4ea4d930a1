//! Tenant standing and real-user reports (issue 6): a suspended tenant's bindings are refused;
//! an exited tenant makes no bindings while its existing ones route until they expire; the
//! credit record keeps violations; a tenant that requires real-user reports has a binding whose
//! subscriber A it has not reported refused (`UserNotReported`) until the report is made. Every
//! answer is asked of every route path (state, registry, shared writer and reader, follower).

mod common;

use common::*;
use np700::handover::{self, ImportError, ImportOptions, ImportRequest, Scope};
use np700::index::layout::Capacity;
use np700::journal::sim::SimStorage;
use np700::registry::OpenOptions;
use np700::tenant::ViolationKind;
use np700::*;
use std::sync::Arc;

fn status(w: &mut World, tenant: u32, status: TenantStatus, now: Timestamp) {
    w.exec(
        Command::SetTenantStatus {
            tenant: t(tenant),
            status,
        },
        now,
    )
    .unwrap();
}

fn require(w: &mut World, tenant: u32, required: bool) -> Vec<Event> {
    w.exec(
        Command::SetRealUserRequired {
            tenant: t(tenant),
            required,
        },
        at(1),
    )
    .unwrap()
}

fn report(w: &mut World, tenant: u32, subscriber: &str, reported: bool) -> Vec<Event> {
    w.exec(
        Command::ReportRealUser {
            tenant: t(tenant),
            subscriber: s(subscriber),
            reported,
        },
        at(1),
    )
    .unwrap()
}

/// Voice both ways, SMS and an SMS with text, from `from` to `x`: all refused for `reason`.
fn refused_every_way(w: &World, from: &str, x: &str, reason: RejectReason) {
    assert_eq!(
        w.route(from, x, Media::Voice, at(2)),
        reject(reason),
        "{from} voice"
    );
    assert_eq!(
        w.route(from, x, Media::Sms, at(2)),
        reject(reason),
        "{from} sms"
    );
    assert_eq!(
        w.message(from, x, b"hello", at(2)),
        reject(reason),
        "{from} text"
    );
}

fn routes(w: &World, from: &str, x: &str, to: &str) {
    assert_eq!(
        routed_to(w.route(from, x, Media::Voice, at(2))),
        Ok(s(to)),
        "{from} voice"
    );
    assert_eq!(
        routed_to(w.message(from, x, b"hello", at(2))),
        Ok(s(to)),
        "{from} text"
    );
}

// ---------------------------------------------------------------------------------------------
// Tenant standing
// ---------------------------------------------------------------------------------------------

#[test]
fn a_suspended_tenants_bindings_are_refused_on_every_path_and_it_binds_nothing() {
    let mut w = World::default_config();
    w.bind(request(1, axb(A, M1, 1, B), Policy::default()), at(0));
    let x = dial(M1, 1);
    routes(&w, A, &x, B);
    status(&mut w, 1, TenantStatus::Suspended, at(1));
    refused_every_way(&w, A, &x, RejectReason::TenantSuspended);
    refused_every_way(&w, B, &x, RejectReason::TenantSuspended);
    // Another tenant's numbers are not affected.
    w.bind(request(2, axb(C, M2, 1, D), Policy::default()), at(1));
    routes(&w, C, &dial(M2, 1), D);
    assert_eq!(
        w.exec(
            Command::Bind(request(1, axb(C, M1, 2, D), Policy::default())),
            at(1)
        ),
        Err(Error::TenantNotActive {
            tenant: t(1),
            status: TenantStatus::Suspended
        })
    );
    status(&mut w, 1, TenantStatus::Active, at(1));
    routes(&w, A, &x, B);
}

#[test]
fn an_exited_tenant_binds_nothing_while_its_bindings_route_until_they_expire() {
    let mut w = World::default_config();
    let mut short = request(1, axb(A, M1, 1, B), Policy::default());
    short.expires_at = at(100);
    w.bind(short, at(0));
    let x = dial(M1, 1);
    status(&mut w, 1, TenantStatus::Exited, at(1));
    // Continuity of existing orders.
    routes(&w, A, &x, B);
    routes(&w, B, &x, A);
    assert_eq!(
        w.exec(
            Command::Bind(request(1, axb(C, M1, 2, D), Policy::default())),
            at(2)
        ),
        Err(Error::TenantNotActive {
            tenant: t(1),
            status: TenantStatus::Exited
        })
    );
    assert!(matches!(
        w.exec(
            Command::AssignNumber {
                tenant: t(1),
                number: ManagementNumber::new(M1 + 2).unwrap(),
                tags: vec![],
            },
            at(2),
        ),
        Err(Error::TenantNotActive { .. })
    ));
    // Past its expiry it routes no more (swept or not).
    assert_eq!(
        w.route(A, &x, Media::Voice, at(100)),
        Decision::Announce {
            reason: AnnounceReason::Expired
        }
    );
    w.exec(Command::Sweep, at(101)).unwrap();
    assert_eq!(
        w.route(A, &x, Media::Voice, at(101)),
        Decision::Announce {
            reason: AnnounceReason::Expired
        }
    );
}

#[test]
fn violations_go_to_the_credit_record_of_the_tenant() {
    let mut w = World::default_config();
    for (kind, note) in [
        (ViolationKind::Marketing, "bulk SMS from 106 ports"),
        (ViolationKind::AppRegistration, "verification codes"),
    ] {
        w.exec(
            Command::RecordViolation {
                tenant: t(1),
                kind,
                note: note.into(),
            },
            at(5),
        )
        .unwrap();
    }
    let record = w.state.tenant(t(1)).unwrap().credit_record.clone();
    assert_eq!(record.len(), 2);
    assert_eq!(record[0].kind, ViolationKind::Marketing);
    assert_eq!(record[1].note, "verification codes");
    assert_eq!(record[1].at, at(5));
    assert!(w.state.tenant(t(2)).unwrap().credit_record.is_empty());
    assert!(matches!(
        w.exec(
            Command::RecordViolation {
                tenant: t(1),
                kind: ViolationKind::Other,
                note: "x".repeat(257),
            },
            at(5),
        ),
        Err(Error::InvalidField { .. })
    ));
    assert_eq!(
        w.exec(
            Command::RecordViolation {
                tenant: t(9),
                kind: ViolationKind::Other,
                note: String::new(),
            },
            at(5),
        ),
        Err(Error::UnknownTenant(t(9)))
    );
}

// ---------------------------------------------------------------------------------------------
// Real-user reports
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unreported_a_may_bind_but_routes_nothing_until_reported() {
    let mut w = World::default_config();
    require(&mut w, 1, true);
    // Bind allowed.
    w.bind(request(1, axb(A, M1, 1, B), Policy::default()), at(1));
    let x = dial(M1, 1);
    refused_every_way(&w, A, &x, RejectReason::UserNotReported);
    refused_every_way(&w, B, &x, RejectReason::UserNotReported);
    // Reporting B (not subscriber A of an AXB) changes nothing.
    assert_eq!(report(&mut w, 1, B, true).len(), 1);
    refused_every_way(&w, A, &x, RejectReason::UserNotReported);
    // Reporting A to another tenant changes nothing either.
    report(&mut w, 2, A, true);
    refused_every_way(&w, B, &x, RejectReason::UserNotReported);
    // The report: routes at once, both directions (the index entries were rewritten).
    report(&mut w, 1, A, true);
    routes(&w, A, &x, B);
    routes(&w, B, &x, A);
    // Withdrawn: refused again.
    report(&mut w, 1, A, false);
    refused_every_way(&w, B, &x, RejectReason::UserNotReported);
    // The requirement switched off: routes, reported or not.
    require(&mut w, 1, false);
    routes(&w, A, &x, B);
    routes(&w, B, &x, A);
}

#[test]
fn a_tenant_that_does_not_require_reports_routes_unreported_users() {
    let mut w = World::default_config();
    require(&mut w, 2, true);
    w.bind(request(1, axb(A, M1, 1, B), Policy::default()), at(1));
    routes(&w, A, &dial(M1, 1), B);
    w.bind(request(2, axb(A, M2, 1, C), Policy::default()), at(1));
    refused_every_way(&w, C, &dial(M2, 1), RejectReason::UserNotReported);
}

#[test]
fn report_commands_are_idempotent_and_name_known_tenants() {
    let mut w = World::default_config();
    assert!(require(&mut w, 1, false).is_empty());
    assert_eq!(require(&mut w, 1, true).len(), 1);
    assert!(require(&mut w, 1, true).is_empty());
    assert_eq!(report(&mut w, 1, A, true).len(), 1);
    assert!(report(&mut w, 1, A, true).is_empty());
    assert!(report(&mut w, 1, B, false).is_empty());
    assert!(w.state.requires_real_user(t(1)));
    assert!(w.state.is_real_user_reported(t(1), s(A)));
    assert!(!w.state.is_real_user_reported(t(2), s(A)));
    assert_eq!(
        w.exec(
            Command::SetRealUserRequired {
                tenant: t(7),
                required: true
            },
            at(1)
        ),
        Err(Error::UnknownTenant(t(7)))
    );
    assert_eq!(
        w.exec(
            Command::ReportRealUser {
                tenant: t(7),
                subscriber: s(A),
                reported: true
            },
            at(1)
        ),
        Err(Error::UnknownTenant(t(7)))
    );
}

#[test]
fn subscriber_a_of_each_mode() {
    let mut w = World::default_config();
    require(&mut w, 1, true);
    // AXN: A is the owner; everyone calling X is refused until A is reported.
    w.bind(
        request(
            1,
            Parties::Axn {
                a: s(A),
                x: NumberChoice::Given(ux(M1, 1)),
                n: Some(s(D)),
            },
            Policy::default(),
        ),
        at(1),
    );
    // AXYB: A again (B dials X, A dials Y).
    w.bind(
        request(
            1,
            Parties::Axyb {
                a: s(B),
                x: NumberChoice::Given(ux(M1, 2)),
                y: NumberChoice::Given(ux(M1, 3)),
                b: s(C),
            },
            Policy::default(),
        ),
        at(1),
    );
    // GXB: B, the customer side (the group is the tenant's staff).
    w.bind(
        request(
            1,
            Parties::Gxb {
                group: vec![s(A), s(B)],
                x: NumberChoice::Given(ux(M1B, 1)),
                b: s(D),
            },
            Policy::default(),
        ),
        at(1),
    );
    let (axn, axyb_x, axyb_y, gxb) = (dial(M1, 1), dial(M1, 2), dial(M1, 3), dial(M1B, 1));
    refused_every_way(&w, C, &axn, RejectReason::UserNotReported);
    refused_every_way(&w, A, &axn, RejectReason::UserNotReported);
    refused_every_way(&w, C, &axyb_x, RejectReason::UserNotReported);
    refused_every_way(&w, B, &axyb_y, RejectReason::UserNotReported);
    refused_every_way(&w, D, &gxb, RejectReason::UserNotReported);
    refused_every_way(&w, A, &gxb, RejectReason::UserNotReported);

    // Reporting A opens the AXN only (A is a group member of the GXB, not its subscriber A).
    report(&mut w, 1, A, true);
    routes(&w, C, &axn, A);
    routes(&w, A, &axn, D);
    refused_every_way(&w, D, &gxb, RejectReason::UserNotReported);
    refused_every_way(&w, C, &axyb_x, RejectReason::UserNotReported);
    // B opens the AXYB on both its numbers.
    report(&mut w, 1, B, true);
    routes(&w, C, &axyb_x, B);
    routes(&w, B, &axyb_y, C);
    refused_every_way(&w, A, &gxb, RejectReason::UserNotReported);
    // D opens the GXB, both ways.
    report(&mut w, 1, D, true);
    routes(&w, A, &gxb, D);
    routes(&w, D, &gxb, A);
}

#[test]
fn the_report_check_comes_after_suspensions_and_before_the_policy() {
    let mut w = World::default_config();
    require(&mut w, 1, true);
    let voice_only = Policy {
        media: np700::binding::MediaSet::VOICE_ONLY,
        ..Policy::default()
    };
    let id = w.bind(request(1, axb(A, M1, 1, B), voice_only), at(1));
    let x = dial(M1, 1);
    // Before the media check.
    assert_eq!(
        w.route(B, &x, Media::Sms, at(2)),
        reject(RejectReason::UserNotReported)
    );
    // After the binding's suspension.
    w.exec(
        Command::Suspend {
            tenant: t(1),
            binding: id,
        },
        at(1),
    )
    .unwrap();
    assert_eq!(
        w.route(B, &x, Media::Voice, at(2)),
        reject(RejectReason::BindingSuspended)
    );
    // The tenant's suspension first of all.
    status(&mut w, 1, TenantStatus::Suspended, at(1));
    assert_eq!(
        w.route(B, &x, Media::Voice, at(2)),
        reject(RejectReason::TenantSuspended)
    );
    // The SMS rules before any of it.
    assert_eq!(
        w.route("10690001234", &x, Media::Sms, at(2)),
        reject(RejectReason::CommercialSender)
    );
}

#[test]
fn reports_and_updates_keep_every_path_equal_while_the_index_grows() {
    // A tiny index: it grows (successor copied from the state) while reports change.
    let tiny = Capacity {
        entries: 16,
        directory: 4,
        tenants: 2,
        pages: 1,
        extras: 2,
    };
    let mut w = World::empty(Config::default(), tiny);
    w.provision();
    require(&mut w, 1, true);
    let a = |i: u16| format!("1380000{:04}", 100 + i);
    let b = |i: u16| format!("1390000{:04}", 100 + i);
    let mut ids = Vec::new();
    for i in 0..60u16 {
        let (ai, bi) = (a(i), b(i));
        ids.push(w.bind(request(1, axb(&ai, M1, i, &bi), Policy::default()), at(1)));
        if i % 3 == 0 {
            report(&mut w, 1, &ai, true);
        }
        if i % 7 == 0 && i > 0 {
            report(&mut w, 1, &a(i - 7), i % 2 == 0);
        }
        if i % 11 == 0 {
            // A new counterpart: the binding's entries are rendered again.
            w.exec(
                Command::Update {
                    tenant: t(1),
                    binding: ids[usize::from(i / 2)],
                    counterpart: Some(Counterpart::B(s(&format!("1370000{:04}", i)))),
                    expires_at: None,
                    policy: None,
                },
                at(1),
            )
            .unwrap();
        }
        for j in 0..=i {
            let d = w.route(&a(j), &dial(M1, j), Media::Voice, at(2));
            let reported = w.state.is_real_user_reported(t(1), s(&a(j)));
            assert_eq!(
                matches!(d, Decision::Route(_)),
                reported,
                "binding {j} after {i}: {d:?}"
            );
        }
    }
    assert!(w.registry.index().generation() > 2, "the index grew");
    assert!(w.shared.index().generation() > 2, "the shared index grew");
    require(&mut w, 1, false);
    for j in 0..60u16 {
        assert!(matches!(
            w.route(&a(j), &dial(M1, j), Media::Voice, at(2)),
            Decision::Route(_)
        ));
    }
}

#[test]
fn reports_survive_a_snapshot_and_the_journal() {
    let storage = Arc::new(SimStorage::new());
    let open = || {
        Registry::open_storage(
            Arc::clone(&storage) as Arc<dyn np700::journal::storage::Storage>,
            Config::default(),
            OpenOptions::default(),
        )
        .unwrap()
        .0
    };
    let r = open();
    let run = |r: &Registry, c: Command| r.execute(&c, at(1)).unwrap();
    run(
        &r,
        Command::RegisterTenant {
            name: "one".into(),
            scenarios: vec![],
            pair_cap: None,
        },
    );
    run(
        &r,
        Command::LicenseBlock(LicensedBlock {
            first: ManagementNumber::new(M1).unwrap(),
            count: 1,
        }),
    );
    run(
        &r,
        Command::AssignNumber {
            tenant: t(1),
            number: ManagementNumber::new(M1).unwrap(),
            tags: vec![],
        },
    );
    run(
        &r,
        Command::SetRealUserRequired {
            tenant: t(1),
            required: true,
        },
    );
    r.bind(request(1, axb(A, M1, 1, B), Policy::default()), at(1))
        .unwrap();
    r.bind(request(1, axb(C, M1, 2, D), Policy::default()), at(1))
        .unwrap();
    run(
        &r,
        Command::ReportRealUser {
            tenant: t(1),
            subscriber: s(A),
            reported: true,
        },
    );
    r.snapshot().unwrap();
    // One more after the snapshot: replayed from the journal.
    run(
        &r,
        Command::ReportRealUser {
            tenant: t(1),
            subscriber: s(C),
            reported: true,
        },
    );
    let before = r.with_state(|s| s.clone());
    drop(r);
    let (r, recovery) = Registry::open_storage(
        Arc::clone(&storage) as Arc<dyn np700::journal::storage::Storage>,
        Config::default(),
        OpenOptions::default(),
    )
    .unwrap();
    assert!(recovery.snapshot.is_some());
    assert_eq!(recovery.replayed, 1);
    r.with_state(|s| assert!(*s == before));
    assert!(r.with_state(|st| st.requires_real_user(t(1))));
    for (from, x) in [(B, dial(M1, 1)), (D, dial(M1, 2))] {
        assert!(matches!(
            r.route(from, &x, Media::Voice, at(2)),
            Decision::Route(_)
        ));
    }
    let _ = open;
}

#[test]
fn reports_are_handed_over_and_a_mapped_tenant_must_require_them_alike() {
    let mut w = World::default_config();
    require(&mut w, 1, true);
    w.bind(request(1, axb(A, M1, 1, B), Policy::default()), at(1));
    w.bind(request(1, axb(C, M1, 2, D), Policy::default()), at(1));
    report(&mut w, 1, A, true);
    let h = handover::export(&w.state, Scope::Tenant(t(1)), at(2)).unwrap();
    assert_eq!(h.real_users.len(), 1);
    assert!(h.real_users[0].required);
    assert_eq!(h.real_users[0].reported, vec![s(A)]);
    // JSON round trip; a hand-over without the field (written before reports) reads as none.
    let back = handover::Handover::from_json(h.to_json().as_bytes()).unwrap();
    assert_eq!(back, h);
    let mut json: serde_json::Value = serde_json::from_str(&h.to_json()).unwrap();
    json.as_object_mut().unwrap().remove("real_users");
    let old = handover::Handover::from_json(json.to_string().as_bytes()).unwrap();
    assert!(old.real_users.is_empty());

    // Into an empty registry: routes as the exporter does.
    let dst = Registry::new(Config::default(), Capacity::for_bindings(100));
    handover::import_into(
        &dst,
        ImportRequest {
            handover: h.clone(),
            options: ImportOptions::default(),
        },
        at(3),
    )
    .unwrap();
    for (from, x) in [(B, dial(M1, 1)), (A, dial(M1, 1)), (D, dial(M1, 2))] {
        assert_eq!(
            dst.route(from, &x, Media::Voice, at(4)),
            w.route(from, &x, Media::Voice, at(4)),
            "{from} → {x}"
        );
    }
    assert_eq!(
        dst.route(D, &dial(M1, 2), Media::Voice, at(4)),
        reject(RejectReason::UserNotReported)
    );

    // Onto an existing tenant that does not require reports: refused, nothing applied.
    let dst = Registry::new(Config::default(), Capacity::for_bindings(100));
    dst.execute(
        &Command::RegisterTenant {
            name: "one".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        at(3),
    )
    .unwrap();
    let mapped = ImportOptions {
        tenants: [(t(1), t(1))].into_iter().collect(),
        ..ImportOptions::default()
    };
    let before = dst.with_state(|s| s.clone());
    assert_eq!(
        handover::import_into(
            &dst,
            ImportRequest {
                handover: h,
                options: mapped,
            },
            at(3),
        ),
        Err(Error::Import(ImportError::RealUserRequirementDiffers {
            tenant: t(1),
            exported: true,
            current: false,
        }))
    );
    dst.with_state(|s| assert!(*s == before));
}
