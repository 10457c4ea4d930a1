//! Route lookups: np700 side by side with what a user would pick instead, in one run, on the same
//! parsing and the same data (issue 3). See `docs/PERFORMANCE.md` for how to run and read it.
//!
//! Groups: `route_1m`, `route_10m` (np700, dashmap, rwlock_hashmap), `route_churn` (np700,
//! dashmap, with a writer binding and unbinding at full speed), `bind_unbind` (np700), `parse`
//! (`dialed`, `caller`: the two parses inside every route, over the same query strings).
//! `NP700_BENCH_QUICK=1` shrinks 1 M → 20 k, 10 M → 50 k and the measurement times.

mod common;

use common::*;
use criterion::{BenchmarkId, Criterion};
use dashmap::DashMap;
use np700::index::layout::Capacity;
use np700::number::parse_dialed;
use np700::*;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Pre-generated queries per size (cycled through).
///
/// 1 Mi random pairs, not fewer: the lookups must miss the caches as they would over a table of
/// 10 M bindings. With 64 Ki pairs the index lines they touch (≈ 64 Ki × 1–2 lines, 4–8 MB)
/// stay in the 32 MB L3 after the first pass, and `route_10m` would measure a cache-resident
/// table. The strings themselves are allocated one after another and read in order, so the
/// prefetcher hides most of their misses (≈ 100 MB of them at 1 Mi pairs).
fn query_count(n: u64) -> usize {
    (n as usize).next_power_of_two().clamp(1 << 12, 1 << 20)
}

/// Everything one size needs, built once and shared by the functions of its groups.
struct Fixture {
    n: u64,
    registry: Registry,
    tenant: TenantId,
    churn_mgmt: ManagementNumber,
    dash: DashMap<Key, Value>,
    rwlock: RwLock<HashMap<Key, Value>>,
    queries: Vec<(String, String)>,
}

impl Fixture {
    fn build(n: u64, started: Instant) -> Fixture {
        note(started, &format!("building {n} AXB bindings"));
        let (registry, tenant, churn_mgmt) = empty_registry(n, Capacity::for_bindings(n as usize));
        let dash = DashMap::with_capacity(2 * n as usize);
        let mut map = HashMap::with_capacity(2 * n as usize);
        for i in 0..n {
            let b = registry.bind(axb_request(tenant, triple(i)), NOW).unwrap();
            for (k, v) in baseline_entries(&b) {
                dash.insert(k, v);
                map.insert(k, v);
            }
        }
        let queries = queries(n, query_count(n), 0x700 ^ n);
        let f = Fixture {
            n,
            registry,
            tenant,
            churn_mgmt,
            dash,
            rwlock: RwLock::new(map),
            queries,
        };
        f.check();
        note(
            started,
            &format!(
                "built; index {} MB ({:.1} bytes/binding)",
                f.registry.index().bytes() / 1_000_000,
                f.registry.index().bytes() as f64 / n as f64
            ),
        );
        f
    }

    /// Every structure answers every query with the same `Route` decision.
    fn check(&self) {
        for (caller, dialed) in self.queries.iter().take(200_000) {
            let np = self.registry.route(caller, dialed, Media::Voice, NOW);
            assert!(
                matches!(np, Decision::Route(_)),
                "{caller} → {dialed}: {np}"
            );
            let d = self.route_dashmap(caller, dialed);
            let r = self.route_rwlock(caller, dialed);
            assert_eq!(np, d, "{caller} → {dialed}");
            assert_eq!(np, r, "{caller} → {dialed}");
        }
    }

    #[inline]
    fn route_dashmap(&self, caller: &str, dialed: &str) -> Decision {
        baseline_route(caller, dialed, Media::Voice, NOW, |k| {
            self.dash.get(k).map(|v| *v)
        })
    }

    #[inline]
    fn route_rwlock(&self, caller: &str, dialed: &str) -> Decision {
        baseline_route(caller, dialed, Media::Voice, NOW, |k| {
            self.rwlock.read().unwrap().get(k).copied()
        })
    }
}

/// A churning writer for the named function: runs until told to stop, returns its cycles.
type Writer<'a> = dyn Fn(&str, &AtomicBool) -> u64 + Sync + 'a;

/// Benchmarks `route` over the fixture's queries, cycling through them.
fn bench_route(
    c: &mut Criterion,
    group: &str,
    f: &Fixture,
    which: &[&str],
    writer: Option<&Writer<'_>>,
) {
    let mut g = c.benchmark_group(group);
    let mask = f.queries.len() - 1;
    assert!(f.queries.len().is_power_of_two());
    for &name in which {
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let handle = writer.map(|w| {
                let stop = &stop;
                s.spawn(move || {
                    let t = Instant::now();
                    let ops = w(name, stop);
                    (ops, t.elapsed())
                })
            });
            let mut i = 0usize;
            let q = &f.queries;
            g.bench_function(BenchmarkId::from_parameter(name), |b| match name {
                "np700" => b.iter(|| {
                    let (caller, dialed) = &q[i & mask];
                    i = i.wrapping_add(1);
                    f.registry.route(
                        black_box(caller),
                        black_box(dialed),
                        Media::Voice,
                        black_box(NOW),
                    )
                }),
                "dashmap" => b.iter(|| {
                    let (caller, dialed) = &q[i & mask];
                    i = i.wrapping_add(1);
                    f.route_dashmap(black_box(caller), black_box(dialed))
                }),
                "rwlock_hashmap" => b.iter(|| {
                    let (caller, dialed) = &q[i & mask];
                    i = i.wrapping_add(1);
                    f.route_rwlock(black_box(caller), black_box(dialed))
                }),
                other => unreachable!("{other}"),
            });
            stop.store(true, Ordering::Relaxed);
            if let Some(h) = handle {
                let (ops, el) = h.join().unwrap();
                eprintln!(
                    "  {group}/{name}: writer did {ops} bind+unbind cycles in {:.1} s ({:.0} cycles/s)",
                    el.as_secs_f64(),
                    ops as f64 / el.as_secs_f64()
                );
            }
        });
    }
    g.finish();
}

/// The two parses of every route alone, over `route_1m`'s query strings (built the same way, so
/// the same strings), without the index.
fn bench_parse(c: &mut Criterion, n: u64) {
    let q = queries(n, query_count(n), 0x700 ^ n);
    let mask = q.len() - 1;
    let mut g = c.benchmark_group("parse");
    let mut i = 0usize;
    g.bench_function("dialed", |b| {
        b.iter(|| {
            let (_, dialed) = &q[i & mask];
            i = i.wrapping_add(1);
            parse_dialed(black_box(dialed))
        })
    });
    g.bench_function("caller", |b| {
        b.iter(|| {
            let (caller, _) = &q[i & mask];
            i = i.wrapping_add(1);
            SubscriberNumber::parse(black_box(caller))
        })
    });
    g.finish();
}

/// np700's churning writer: bind and unbind its own triples through the registry's API.
fn np700_writer(f: &Fixture, stop: &AtomicBool) -> u64 {
    let mut j = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let b = f
            .registry
            .bind(
                axb_request(f.tenant, churn_triple(f.churn_mgmt, j % CHURN_TRIPLES)),
                NOW,
            )
            .unwrap();
        f.registry.unbind(f.tenant, b.id, NOW).unwrap();
        j += 1;
    }
    j
}

/// DashMap's churning writer: the same two entries per binding, inserted and removed (with
/// fresh binding ids, as a real writer would assign).
fn dashmap_writer(f: &Fixture, stop: &AtomicBool) -> u64 {
    let flags = flag::VOICE | flag::SMS;
    let expires = NOW.plus_secs(TTL_SECS).unix_secs();
    let mut j = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let id = BindingId::from_raw((1 << 40) + j);
        let t = churn_triple(f.churn_mgmt, j % CHURN_TRIPLES);
        let entries = axb_entries(t, id, f.tenant, expires, flags);
        for (k, v) in entries {
            f.dash.insert(k, v);
        }
        for (k, _) in entries {
            f.dash.remove(&k);
        }
        j += 1;
    }
    j
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
    let (small, large) = if quick {
        (20_000, 50_000)
    } else {
        (1_000_000, 10_000_000)
    };

    bench_parse(&mut c, small);

    {
        let f = Fixture::build(small, started);
        let all = ["np700", "dashmap", "rwlock_hashmap"];
        bench_route(&mut c, "route_1m", &f, &all, None);

        let writer = |name: &str, stop: &AtomicBool| match name {
            "np700" => np700_writer(&f, stop),
            _ => dashmap_writer(&f, stop),
        };
        bench_route(
            &mut c,
            "route_churn",
            &f,
            &["np700", "dashmap"],
            Some(&writer),
        );

        let mut g = c.benchmark_group("bind_unbind");
        let mut j = 0u64;
        g.bench_function("np700", |b| {
            b.iter(|| {
                let req = axb_request(f.tenant, churn_triple(f.churn_mgmt, j % CHURN_TRIPLES));
                j += 1;
                let bound = f.registry.bind(req, NOW).unwrap();
                f.registry.unbind(f.tenant, bound.id, NOW).unwrap();
            })
        });
        g.finish();
        note(started, &format!("dropping the {} fixture", f.n));
    }
    {
        let f = Fixture::build(large, started);
        let all = ["np700", "dashmap", "rwlock_hashmap"];
        bench_route(&mut c, "route_10m", &f, &all, None);
        note(started, &format!("dropping the {} fixture", f.n));
    }
    c.final_summary();
    summary();
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

/// The median of this run's samples of `group/function`, in ns, from criterion's estimates.
fn median_ns(group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// Prints the medians, the ratios and issue 3's targets as a Markdown table.
fn summary() {
    let fmt = |ns: Option<f64>| ns.map_or("—".into(), |v| format!("{v:.1} ns"));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}×", b / a),
        _ => "—".into(),
    };
    println!(
        "\nmedians (np700 speed-up = baseline median / np700 median; > 1 means np700 is faster)\n"
    );
    println!(
        "| group | np700 | dashmap | rwlock_hashmap | np700 vs dashmap | np700 vs rwlock_hashmap |"
    );
    println!("|---|---|---|---|---|---|");
    for group in ["route_1m", "route_10m", "route_churn", "bind_unbind"] {
        let [np, dm, rw] = ["np700", "dashmap", "rwlock_hashmap"].map(|f| median_ns(group, f));
        println!(
            "| {group} | {} | {} | {} | {} | {} |",
            fmt(np),
            fmt(dm),
            fmt(rw),
            ratio(np, dm),
            ratio(np, rw)
        );
    }
    let m = |g, f| median_ns(g, f);
    let met = |ok: Option<bool>| match ok {
        Some(true) => "met",
        Some(false) => "missed",
        None => "not measured",
    };
    let speedup = |g, base, want: f64| {
        let (np, b) = (m(g, "np700"), m(g, base));
        let got = np.zip(b).map(|(np, b)| b / np);
        (
            got.map_or("—".into(), |x| format!("{x:.2}×")),
            met(got.map(|x| x >= want)),
        )
    };
    println!("\nissue 3 targets measured here\n");
    println!("| target | measured | |");
    println!("|---|---|---|");
    for (what, (got, ok)) in [
        (
            "route_10m: np700 ≥ 2× faster than dashmap",
            speedup("route_10m", "dashmap", 2.0),
        ),
        (
            "route_10m: np700 ≥ 3× faster than rwlock_hashmap",
            speedup("route_10m", "rwlock_hashmap", 3.0),
        ),
        (
            "route_churn: np700 ≥ 3× faster than dashmap",
            speedup("route_churn", "dashmap", 3.0),
        ),
    ] {
        println!("| {what} | {got} | {ok} |");
    }
    let bu = m("bind_unbind", "np700");
    println!(
        "| bind + unbind ≤ 1 µs | {} | {} |",
        fmt(bu),
        met(bu.map(|ns| ns <= 1000.0))
    );
}
