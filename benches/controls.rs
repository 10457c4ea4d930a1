//! What the regulatory controls add to `route()` (issue 6), measured side by side in one run
//! over the same bindings and the same queries:
//!
//! - `none`: `Registry::route` with every dynamic control off (no limits, no probing, no
//!   records) — `route()` without controls, the baseline of the ratios;
//! - `index_only`: parsing and the index lookup alone, without the registry's façade;
//! - `records`: `Registry::route` with the default controls: the record of every decision is
//!   queued (drained every 1,024 routes, outside the measurement: draining is the host's work,
//!   timed on its own as `drain_per_record`);
//! - `blocks`: records, and 10,000 block rules in force (platform, tenant and point-to-point, on
//!   callers the queries do not use);
//! - `caller_limit`, `number_limit`, `binding_limit`, `probing`: records and one dynamic
//!   control each — a per-caller voice limit per minute, a per-usage-number limit per hour, a
//!   per-binding limit per day, probing detection — never reached (every request counted, none
//!   refused), counter tables a quarter full;
//! - `limits`: records, the three limits and probing;
//! - `all`: `limits` and the 10,000 block rules: every control on, on calls nobody blocks (the
//!   queries are calls; SMS rules apply to messages only).
//!
//! One registry per configuration, each built, checked, measured and dropped before the next
//! (nine registries of 1 M bindings at once need ≈ 4.5 GB). Group `controls_1m`
//! (`NP700_BENCH_QUICK=1`: 20 k bindings; `NP700_BENCH_ONLY=none,limits` builds and measures
//! only the configurations named). Ratios are printed at the end.

mod common;

use common::*;
use criterion::{BenchmarkId, Criterion};
use np700::control::record::RouteRecord;
use np700::control::{Controls, Probing, RateLimit, Subject};
use np700::index::layout::Capacity;
use np700::number::parse_dialed;
use np700::*;
use std::hint::black_box;
use std::time::{Duration, Instant};

const DRAIN_EVERY: usize = 1024;

fn limits(slots: u32) -> Controls {
    let limit = |subject, media, window_secs| RateLimit {
        subject,
        media,
        window_secs,
        max: u32::MAX,
    };
    Controls {
        limits: vec![
            limit(Subject::Caller, Some(Media::Voice), 60),
            limit(Subject::UsageNumber, None, 3600),
            limit(Subject::Binding, None, 86_400),
        ],
        probing: Some(Probing {
            distinct_numbers: u32::MAX - 1,
            window_secs: 600,
            block_secs: 3600,
        }),
        // Four slots per query (each query is a new caller, number, pair and binding at most):
        // counts stay tracked at a quarter full.
        counter_slots: slots,
        ..Controls::default()
    }
}

fn main() {
    let started = Instant::now();
    let quick = quick();
    let mut c = if quick {
        Criterion::default()
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(500))
            .sample_size(10)
    } else {
        Criterion::default()
    }
    .configure_from_args();
    let n: u64 = if quick { 20_000 } else { 1_000_000 };
    let queries = queries(
        n,
        (n as usize).next_power_of_two().clamp(1 << 12, 1 << 20),
        0xC7,
    );
    let mask = queries.len() - 1;
    let build = |controls: Controls| {
        note(started, &format!("building {n} AXB bindings"));
        let config = Config {
            controls,
            ..Config::default()
        };
        let (r, tenant, _) = empty_registry_with(config, n, Capacity::for_bindings(n as usize));
        for i in 0..n {
            r.bind(axb_request(tenant, triple(i)), NOW).unwrap();
        }
        r
    };
    let slots = (4 * queries.len() as u32).next_power_of_two();
    let only = |limit: Option<RateLimit>, probing: Option<Probing>| Controls {
        limits: limit.into_iter().collect(),
        probing,
        counter_slots: slots,
        ..Controls::default()
    };
    let full = limits(slots);
    let block_rules = |r: &Registry| {
        for i in 0..10_000u64 {
            use np700::control::block::{BlockRequest, BlockTarget};
            let caller = SubscriberNumber::from_e164(8617000000000 + i).unwrap();
            let callee =
                (i % 2 == 0).then(|| SubscriberNumber::from_e164(8618000000000 + i).unwrap());
            r.execute(
                &Command::Block(BlockRequest {
                    tenant: (i % 3 == 0).then_some(TenantId::from_raw(1)),
                    target: BlockTarget::Caller {
                        caller,
                        callee,
                        both_ways: callee.is_some() && i % 4 == 0,
                    },
                    expires_at: None,
                    note: String::new(),
                }),
                NOW,
            )
            .unwrap();
        }
    };
    let configurations = [
        (
            "none",
            Controls {
                records: false,
                ..Controls::default()
            },
            false,
        ),
        ("records", Controls::default(), false),
        ("blocks", Controls::default(), true),
        ("caller_limit", only(Some(full.limits[0]), None), false),
        ("number_limit", only(Some(full.limits[1]), None), false),
        ("binding_limit", only(Some(full.limits[2]), None), false),
        ("probing", only(None, full.probing), false),
        ("limits", full.clone(), false),
        ("all", full.clone(), true),
    ];
    let only_these = std::env::var("NP700_BENCH_ONLY")
        .ok()
        .filter(|v| !v.is_empty());
    let chosen = |name: &str| {
        only_these
            .as_deref()
            .is_none_or(|list| name == "none" || list.split(',').any(|n| n == name))
    };
    if let Some(rounds) = std::env::var("NP700_BENCH_ALTERNATE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        alternate(
            rounds,
            &configurations,
            &build,
            &block_rules,
            &queries,
            chosen,
        );
        return;
    }
    let mut g = c.benchmark_group("controls_1m");
    let mut sink = vec![RouteRecord::EMPTY; DRAIN_EVERY];
    let mut want: Vec<Decision> = Vec::new();
    let mut counts = Vec::new();
    let mut measured = Vec::new();
    // One registry at a time (built, measured, dropped): nine registries of 1 M bindings at
    // once need ≈ 4.5 GB and cost every one of them TLB and cache pressure.
    for (name, controls, rules) in configurations {
        if !chosen(name) {
            continue;
        }
        let r = build(controls);
        if rules {
            block_rules(&r);
        }
        // Same answers everywhere (no limit is reached): those of the first registry's index.
        for (k, (caller, dialed)) in queries.iter().take(1000).enumerate() {
            if want.len() == k {
                let d = r.index().route_dialed(
                    SubscriberNumber::parse(caller).ok(),
                    parse_dialed(dialed).unwrap(),
                    Media::Voice,
                    NOW,
                );
                assert!(matches!(d, Decision::Route(_)));
                want.push(d);
            }
            assert_eq!(
                r.route(caller, dialed, Media::Voice, NOW),
                want[k],
                "{name}"
            );
        }
        while r.drain_records(&mut sink) > 0 {}
        if name == "none" {
            let index = r.index();
            let mut i = 0usize;
            g.bench_function(BenchmarkId::from_parameter("index_only"), |b| {
                b.iter(|| {
                    let (caller, dialed) = &queries[i & mask];
                    i = i.wrapping_add(1);
                    let caller = SubscriberNumber::parse(black_box(caller)).ok();
                    match parse_dialed(black_box(dialed)) {
                        Ok(d) => index.route_dialed(caller, d, Media::Voice, black_box(NOW)),
                        Err(_) => unreachable!(),
                    }
                })
            });
        }
        let mut i = 0usize;
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let batch = left.min(DRAIN_EVERY as u64);
                    let t = Instant::now();
                    for _ in 0..batch {
                        let (caller, dialed) = &queries[i & mask];
                        i = i.wrapping_add(1);
                        black_box(r.route(
                            black_box(caller),
                            black_box(dialed),
                            Media::Voice,
                            black_box(NOW),
                        ));
                    }
                    spent += t.elapsed();
                    left -= batch;
                    while r.drain_records(&mut sink) > 0 {}
                }
                spent
            })
        });
        if name == "records" {
            // What the host pays to take a record out of the queue.
            g.bench_function("drain_per_record", |b| {
                b.iter_custom(|iters| {
                    let mut spent = Duration::ZERO;
                    let mut left = iters;
                    let mut i = 0usize;
                    while left > 0 {
                        let batch = left.min(DRAIN_EVERY as u64) as usize;
                        for _ in 0..batch {
                            let (caller, dialed) = &queries[i & mask];
                            i = i.wrapping_add(1);
                            r.route(caller, dialed, Media::Voice, NOW);
                        }
                        let t = Instant::now();
                        let n = r.drain_records(&mut sink[..batch]);
                        spent += t.elapsed();
                        assert_eq!(n, batch);
                        left -= batch as u64;
                    }
                    spent
                })
            });
        }
        counts.push((name, r.records_dropped(), r.region().untracked()));
        measured.push(name);
        match name {
            "none" => measured.push("index_only"),
            "records" => measured.push("drain_per_record"),
            _ => {}
        }
    }
    g.finish();
    for (name, dropped, untracked) in counts {
        eprintln!("{name}: records dropped {dropped}, requests untracked {untracked}");
    }
    c.final_summary();
    summary(&measured);
}

/// `NP700_BENCH_ALTERNATE=<rounds>`: every chosen registry built at once, then `rounds` rounds
/// of 2^16 routes on each in turn (slices of a few tens of milliseconds), so a change of the
/// machine's load hits every configuration alike; prints each one's median ns per route over
/// the rounds and its median ratio to `none` in the same round. For comparing changes on a
/// shared machine; the table of record is criterion's.
fn alternate(
    rounds: usize,
    configurations: &[(&str, Controls, bool)],
    build: &dyn Fn(Controls) -> Registry,
    block_rules: &dyn Fn(&Registry),
    queries: &[(String, String)],
    chosen: impl Fn(&str) -> bool,
) {
    const SLICE: usize = 1 << 16;
    let mask = queries.len() - 1;
    let registries: Vec<(&str, Registry)> = configurations
        .iter()
        .filter(|(name, _, _)| chosen(name))
        .map(|(name, controls, rules)| {
            let r = build(controls.clone());
            if *rules {
                block_rules(&r);
            }
            (*name, r)
        })
        .collect();
    let mut sink = vec![RouteRecord::EMPTY; DRAIN_EVERY];
    let mut ns = vec![Vec::new(); registries.len()];
    let mut i = 0usize;
    for round in 0..rounds + 1 {
        for (k, (_, r)) in registries.iter().enumerate() {
            let mut spent = Duration::ZERO;
            for _ in 0..SLICE / DRAIN_EVERY {
                let t = Instant::now();
                for _ in 0..DRAIN_EVERY {
                    let (caller, dialed) = &queries[i & mask];
                    i = i.wrapping_add(1);
                    black_box(r.route(
                        black_box(caller),
                        black_box(dialed),
                        Media::Voice,
                        black_box(NOW),
                    ));
                }
                spent += t.elapsed();
                while r.drain_records(&mut sink) > 0 {}
            }
            // Round 0 warms up.
            if round > 0 {
                ns[k].push(spent.as_nanos() as f64 / SLICE as f64);
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("\n| alternating, {rounds} rounds | median | over none (median of rounds) |");
    println!("|---|---|---|");
    for k in 0..registries.len() {
        let mut ratios: Vec<f64> = (0..rounds).map(|j| ns[k][j] / ns[0][j]).collect();
        let ratio = median(&mut ratios);
        let m = median(&mut ns[k].clone());
        println!(
            "| {} | {m:.1} ns | {:+.1} % |",
            registries[k].0,
            (ratio - 1.0) * 100.0
        );
    }
    for (name, r) in &registries {
        eprintln!(
            "{name}: records dropped {}, requests untracked {}",
            r.records_dropped(),
            r.region().untracked()
        );
    }
}

/// Criterion's output directory (as criterion finds it when run by `cargo bench`).
fn criterion_dir() -> std::path::PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        home.into()
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        std::path::PathBuf::from(target).join("criterion")
    } else {
        "target/criterion".into()
    }
}

fn median_ns(function: &str) -> Option<f64> {
    let path = criterion_dir()
        .join("controls_1m")
        .join(function)
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// The table of the functions measured in this run (`measured`), in the usual order.
fn summary(measured: &[&str]) {
    let base = median_ns("none");
    println!("\n| controls_1m | median | over none |");
    println!("|---|---|---|");
    for f in [
        "none",
        "index_only",
        "records",
        "blocks",
        "caller_limit",
        "number_limit",
        "binding_limit",
        "probing",
        "limits",
        "all",
        "drain_per_record",
    ]
    .into_iter()
    .filter(|f| measured.contains(f))
    {
        let m = median_ns(f);
        let over = m.zip(base).map_or("—".into(), |(m, b)| {
            format!("{:+.1} %", (m / b - 1.0) * 100.0)
        });
        let m = m.map_or("—".into(), |m| format!("{m:.1} ns"));
        println!("| {f} | {m} | {over} |");
    }
    println!("\nissue 6 target: the controls add at most 25 % to route()");
}
