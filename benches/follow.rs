//! Follower lag and poll cost (issue 5): how long after a write is acknowledged on a journaled
//! writer it is routable on a [`Follower`] tailing the writer's directory, polling in a loop on
//! another thread or in another process (this binary re-executed); and what a poll costs.
//!
//! `cargo bench --bench follow`; `NP700_BENCH_QUICK=1` takes fewer samples. The lag figures are
//! printed as a table (median, p99, max); criterion measures the poll costs. See
//! `docs/PERFORMANCE.md`.

mod common;

use common::*;
use criterion::Criterion;
use np700::journal::follow::{FollowOptions, Follower};
use np700::journal::{Commit, JournalOptions};
use np700::registry::OpenOptions;
use np700::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Bindings already in the registry when the measurement starts.
const PRELOAD: u64 = 10_000;

/// How the follower polls.
#[derive(Copy, Clone, Debug)]
enum Pace {
    /// Back to back (yielding the CPU between polls).
    Spin,
    /// With a sleep between polls.
    Sleep(Duration),
}

impl Pace {
    fn name(self) -> String {
        match self {
            Pace::Spin => "back to back".into(),
            Pace::Sleep(d) => format!("sleep {} µs", d.as_micros()),
        }
    }
    fn parse(s: &str) -> Pace {
        match s {
            "spin" => Pace::Spin,
            us => Pace::Sleep(Duration::from_micros(us.parse().unwrap())),
        }
    }
    fn arg(self) -> String {
        match self {
            Pace::Spin => "spin".into(),
            Pace::Sleep(d) => d.as_micros().to_string(),
        }
    }
    fn pause(self) {
        match self {
            Pace::Spin => std::thread::yield_now(),
            Pace::Sleep(d) => std::thread::sleep(d),
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("np700-bench-follow-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

/// A journaled writer with a tenant, numbers and `PRELOAD` bindings.
fn writer(dir: &Path, commit: Commit) -> (Registry, TenantId) {
    let options = OpenOptions {
        journal: JournalOptions {
            commit,
            snapshot_after_bytes: None,
        },
        ..OpenOptions::default()
    };
    let (r, _) = Registry::open(dir, Config::default(), options).unwrap();
    r.execute(
        &Command::RegisterTenant {
            name: "bench".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        NOW,
    )
    .unwrap();
    let tenant = TenantId::from_raw(1);
    let first = ManagementNumber::new(FIRST_MGMT).unwrap();
    r.execute(
        &Command::LicenseBlock(LicensedBlock { first, count: 4 }),
        NOW,
    )
    .unwrap();
    for i in 0..4 {
        r.execute(
            &Command::AssignNumber {
                tenant,
                number: first.checked_add(i).unwrap(),
                tags: vec![],
            },
            NOW,
        )
        .unwrap();
    }
    for i in 0..PRELOAD {
        r.bind(axb_request(tenant, triple(i)), NOW).unwrap();
    }
    (r, tenant)
}

fn routable<S: np700::journal::follow::EventSource>(f: &Follower<S>, i: u64) -> bool {
    let (a, x, _) = triple(i);
    matches!(
        f.route_dialed(Some(a), DialedNumber::Usage(x), Media::Voice, NOW),
        Decision::Route(_)
    )
}

/// A pause between writes that lands them at random points of the follower's poll loop.
fn jitter(i: u64) -> Duration {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    Duration::from_micros(200 + h % 1_300)
}

struct Lags {
    /// Acknowledgement → routable (0 when it was routable before the writer's call returned).
    from_ack: Vec<Duration>,
    /// Start of the writer's call → routable.
    from_call: Vec<Duration>,
    before_ack: usize,
}

impl Lags {
    fn new() -> Lags {
        Lags {
            from_ack: Vec::new(),
            from_call: Vec::new(),
            before_ack: 0,
        }
    }
    fn push(&mut self, call: i128, ack: i128, visible: i128) {
        let ns = |d: i128| Duration::from_nanos(d.max(0) as u64);
        self.from_ack.push(ns(visible - ack));
        self.from_call.push(ns(visible - call));
        self.before_ack += usize::from(visible < ack);
    }
    fn row(&mut self, what: &str) -> String {
        let pct = |v: &mut Vec<Duration>, p: usize| {
            v.sort_unstable();
            v[(v.len() * p / 100).min(v.len() - 1)]
        };
        let us = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6);
        let n = self.from_ack.len();
        format!(
            "| {what} | {n} | {} | {} | {} | {} | {} | {:.0} % |",
            us(pct(&mut self.from_ack, 50)),
            us(pct(&mut self.from_ack, 99)),
            us(*self.from_ack.iter().max().unwrap()),
            us(pct(&mut self.from_call, 50)),
            us(pct(&mut self.from_call, 99)),
            self.before_ack as f64 * 100.0 / n as f64
        )
    }
}

/// Lag with the follower on another thread of this process.
fn lag_thread(commit: Commit, pace: Pace, samples: u64) -> Lags {
    let dir = temp_dir("thread");
    let (w, tenant) = writer(&dir, commit);
    let f = Arc::new(Follower::open(&dir, Config::default(), FollowOptions::default()).unwrap());
    let epoch = Instant::now();
    let seen = Arc::new((0..samples).map(|_| AtomicU64::new(0)).collect::<Vec<_>>());
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let (f, seen, stop) = (Arc::clone(&f), Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut next = 0;
            while !stop.load(Ordering::Relaxed) {
                f.poll().unwrap();
                while next < samples && routable(&f, PRELOAD + next) {
                    seen[next as usize].store(epoch.elapsed().as_nanos() as u64, Ordering::Release);
                    next += 1;
                }
                pace.pause();
            }
        })
    };
    let mut lags = Lags::new();
    for i in 0..samples {
        std::thread::sleep(jitter(i));
        let call = epoch.elapsed().as_nanos() as i128;
        w.bind(axb_request(tenant, triple(PRELOAD + i)), NOW)
            .unwrap();
        let ack = epoch.elapsed().as_nanos() as i128;
        let visible = loop {
            let v = seen[i as usize].load(Ordering::Acquire);
            if v != 0 {
                break v as i128;
            }
            std::thread::yield_now();
        };
        lags.push(call, ack, visible);
    }
    stop.store(true, Ordering::Relaxed);
    poller.join().unwrap();
    drop((w, f));
    let _ = std::fs::remove_dir_all(&dir);
    lags
}

fn unix_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128
}

/// The follower process: follows `dir`, and prints (on stdout) the wall-clock time at which
/// each of the `samples` bindings after the preloaded ones became routable.
fn child(dir: &Path, pace: Pace, samples: u64) {
    let f = Follower::open(dir, Config::default(), FollowOptions::default()).unwrap();
    println!("READY");
    std::io::stdout().flush().unwrap();
    let mut out = Vec::with_capacity(samples as usize);
    while (out.len() as u64) < samples {
        f.poll().unwrap();
        while (out.len() as u64) < samples && routable(&f, PRELOAD + out.len() as u64) {
            out.push(unix_nanos());
        }
        pace.pause();
    }
    for t in out {
        println!("{t}");
    }
}

/// Lag with the follower in another process (the clock: the system's real-time clock, the same
/// for both).
fn lag_process(commit: Commit, pace: Pace, samples: u64) -> Lags {
    let dir = temp_dir("process");
    let (w, tenant) = writer(&dir, commit);
    let mut c = Process::new(std::env::current_exe().unwrap())
        .env("NP700_FOLLOW_CHILD", &dir)
        .env("NP700_FOLLOW_PACE", pace.arg())
        .env("NP700_FOLLOW_SAMPLES", samples.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(c.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "READY");
    let mut stamps = Vec::new();
    for i in 0..samples {
        std::thread::sleep(jitter(i) * 2);
        let call = unix_nanos();
        w.bind(axb_request(tenant, triple(PRELOAD + i)), NOW)
            .unwrap();
        stamps.push((call, unix_nanos()));
    }
    let mut lags = Lags::new();
    for (line, (call, ack)) in lines.zip(stamps) {
        lags.push(call, ack, line.unwrap().parse().unwrap());
    }
    assert!(c.wait().unwrap().success());
    assert_eq!(lags.from_ack.len() as u64, samples);
    drop(w);
    let _ = std::fs::remove_dir_all(&dir);
    lags
}

fn main() {
    if let Some(dir) = std::env::var_os("NP700_FOLLOW_CHILD") {
        let pace = Pace::parse(&std::env::var("NP700_FOLLOW_PACE").unwrap());
        let samples = std::env::var("NP700_FOLLOW_SAMPLES")
            .unwrap()
            .parse()
            .unwrap();
        child(Path::new(&dir), pace, samples);
        return;
    }
    let quick = quick();
    let samples = if quick { 200 } else { 2_000 };
    let mut c = if quick {
        Criterion::default()
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(500))
            .sample_size(10)
    } else {
        Criterion::default()
    }
    .configure_from_args();

    // What a poll costs: with nothing new (the idle loop), and applying one bind.
    {
        // (The writer does not sync here: only the follower's poll is measured.)
        let dir = temp_dir("poll");
        let (w, tenant) = writer(&dir, Commit::NotDurable);
        let f = Follower::open(&dir, Config::default(), FollowOptions::default()).unwrap();
        let mut g = c.benchmark_group("follow");
        g.bench_function("poll_idle", |b| b.iter(|| f.poll().unwrap()));
        let churn = ManagementNumber::new(FIRST_MGMT + 3).unwrap();
        let mut j = 0u64;
        // The poll only is timed: it reads and applies a bind and an unbind (two commands).
        g.bench_function("poll_bind_unbind", |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let t = churn_triple(churn, j % CHURN_TRIPLES);
                    j += 1;
                    let bound = w.bind(axb_request(tenant, t), NOW).unwrap();
                    w.unbind(tenant, bound.id, NOW).unwrap();
                    let start = Instant::now();
                    let p = f.poll().unwrap();
                    spent += start.elapsed();
                    assert_eq!(p.applied, 2);
                }
                spent
            })
        });
        g.finish();
        drop((w, f));
        let _ = std::fs::remove_dir_all(&dir);
    }
    c.final_summary();

    // Lag, acknowledged write → routable on the follower.
    let paces = [
        Pace::Spin,
        Pace::Sleep(Duration::from_micros(100)),
        Pace::Sleep(Duration::from_millis(1)),
    ];
    let mut rows = Vec::new();
    for commit in [Commit::Group, Commit::NotDurable] {
        for pace in paces {
            let c = match commit {
                Commit::Group => "group commit",
                _ => "not durable",
            };
            let what = |w: &str| format!("{c}, {w}, {}", pace.name());
            rows.push(lag_thread(commit, pace, samples).row(&what("thread")));
            rows.push(lag_process(commit, pace, samples).row(&what("process")));
        }
    }
    println!(
        "\nfollower lag ({PRELOAD} bindings preloaded; a write every 0.2–3 ms, at random points of the poll loop)\n"
    );
    println!(
        "| writer, follower, poll loop | samples | ack → routable, median | p99 | max | call → routable, median | p99 | routable before ack |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
}
