//! The index in a shared mapping, read by other processes while the writer changes bindings,
//! grows its index, and restarts.
//!
//! The reader processes are this test binary re-executed (no extra binary): each attaches
//! read-only and routes known (caller, usage number) pairs in a loop, checking every answer is
//! one the writer's state allowed at some instant, until the writer tells it to stop.

use np700::binding::Media;
use np700::index::SharedIndex;
use np700::index::layout::Capacity;
use np700::route::{AnnounceReason, RejectReason};
use np700::*;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

const PAIRS: u64 = 2_000;
const T0: u64 = 1_767_225_600;

fn first() -> ManagementNumber {
    ManagementNumber::new(70010000000).unwrap()
}
fn x(i: u64) -> UsageNumber {
    first()
        .checked_add(i / 10_000)
        .unwrap()
        .usage((i % 10_000) as u16)
        .unwrap()
}
fn a(i: u64) -> SubscriberNumber {
    SubscriberNumber::from_e164(8613000000000 + i).unwrap()
}
fn b(i: u64) -> SubscriberNumber {
    SubscriberNumber::from_e164(8615000000000 + i).unwrap()
}

/// A writer with a tenant, numbers, and `pairs` AXB bindings (A_i, X_i, B_i).
fn provision(r: &Registry, pairs: u64, now: Timestamp) -> TenantId {
    let t = r.with_state(|s| s.next_tenant_id());
    r.execute(
        &Command::RegisterTenant {
            name: "parcels".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        now,
    )
    .unwrap();
    let numbers = 4;
    r.execute(
        &Command::LicenseBlock(LicensedBlock {
            first: first(),
            count: numbers,
        }),
        now,
    )
    .unwrap();
    for i in 0..u64::from(numbers) {
        r.execute(
            &Command::AssignNumber {
                tenant: t,
                number: first().checked_add(i).unwrap(),
                tags: vec![],
            },
            now,
        )
        .unwrap();
    }
    for i in 0..pairs {
        bind(r, t, i, now);
    }
    t
}

fn bind(r: &Registry, t: TenantId, i: u64, now: Timestamp) -> BindingId {
    r.bind(
        BindRequest {
            tenant: t,
            parties: Parties::Axb {
                a: a(i),
                x: NumberChoice::Given(x(i)),
                b: b(i),
            },
            expires_at: now.plus_secs(86_400),
            policy: Policy::default(),
            order_id: format!("o{i}"),
            consent_ref: "consent".into(),
            external_ref: String::new(),
        },
        now,
    )
    .unwrap()
    .id
}

/// The reader process: routes every pair until the stop file appears; prints what it saw.
#[test]
#[ignore = "entry point of the reader processes spawned by readers_in_other_processes_follow_the_writer"]
fn shared_reader_process() {
    let path = std::env::var("NP700_SHM_PATH").expect("run by the parent test");
    let stop = format!("{path}.stop");
    let index = SharedIndex::attach(&path).expect("attach");
    let now = Timestamp::from_unix_secs(T0 + 10);
    let (mut routes, mut refusals, mut generations) = (0u64, 0u64, vec![index.generation()]);
    while !std::path::Path::new(&stop).exists() {
        for i in 0..PAIRS {
            let d = index.route_dialed(Some(a(i)), DialedNumber::Usage(x(i)), Media::Voice, now);
            match d {
                Decision::Route(r) => {
                    assert_eq!(r.to.first(), Some(b(i)), "pair {i} routed to someone else");
                    assert_eq!(r.display, x(i));
                    routes += 1;
                }
                Decision::Announce {
                    reason: AnnounceReason::ServiceEnded,
                }
                | Decision::Reject {
                    reason:
                        RejectReason::NoBinding | RejectReason::NotOurs | RejectReason::Unassigned,
                } => refusals += 1,
                other => panic!("pair {i}: unexpected {other:?}"),
            }
        }
        let g = index.generation();
        if generations.last() != Some(&g) {
            generations.push(g);
        }
    }
    println!("READER routes={routes} refusals={refusals} generations={generations:?}");
}

#[test]
fn readers_in_other_processes_follow_the_writer() {
    let path = std::env::temp_dir().join(format!("np700-shared-test-{}", std::process::id()));
    let stop = format!("{}.stop", path.display());
    let _ = std::fs::remove_file(&stop);
    let now = Timestamp::from_unix_secs(T0);
    let config = Config::default();
    let writer = Registry::new_shared(
        config.clone(),
        Capacity::for_bindings(PAIRS as usize),
        &path,
    )
    .unwrap();
    let t = provision(&writer, PAIRS, now);
    let g1 = writer.index().generation();

    let exe = std::env::current_exe().unwrap();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            Process::new(&exe)
                .args([
                    "--exact",
                    "shared_reader_process",
                    "--ignored",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env("NP700_SHM_PATH", &path)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();

    // Churn: release and re-bind pairs while the readers read.
    let deadline = Instant::now() + Duration::from_millis(800);
    let mut churned = 0;
    while Instant::now() < deadline {
        let i = churned % PAIRS;
        let id = writer.with_state(|s| {
            s.bindings()
                .find(|bd| matches!(bd.parties, Parties::Axb { a: pa, .. } if pa == a(i)))
                .map(|bd| bd.id)
        });
        if let Some(id) = id {
            writer.unbind(t, id, now).unwrap();
        }
        churned += 1;
    }
    // Grow: far more bindings than the index was sized for, so it is rebuilt and republished.
    for i in PAIRS..PAIRS * 4 {
        bind(&writer, t, i, now);
    }
    let g2 = writer.index().generation();
    assert!(g2 > g1, "the index grew into a new generation");
    std::thread::sleep(Duration::from_millis(300));
    // Restart: a new writer takes over the path; the old index is retired.
    drop(writer);
    let restarted =
        Registry::new_shared(config, Capacity::for_bindings(PAIRS as usize), &path).unwrap();
    provision(&restarted, PAIRS, now);
    assert!(
        restarted.index().generation() > g2,
        "a restarted writer publishes a newer generation"
    );
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&stop, b"stop").unwrap();

    for reader in readers {
        let out = reader.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "reader failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find(|l| l.contains("READER"))
            .unwrap_or_else(|| panic!("no reader report in:\n{stdout}"));
        let field = |name: &str| -> u64 {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!(field("routes=") > 0 && field("refusals=") > 0, "{line}");
        // The reader followed the growth and the restart to newer generations.
        let gens = line.split("generations=").nth(1).unwrap();
        assert!(
            gens.matches(',').count() >= 1,
            "reader never re-attached: {line}"
        );
    }
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&stop);
}
