//! The figures criterion does not measure (issue 3): memory per live AXB binding at 10 M, and
//! read-latency percentiles for a reader routing while a writer grows the registry from empty to
//! 10 M, for np700 and for DashMap. `cargo bench --bench report`; `NP700_BENCH_QUICK=1` shrinks
//! 10 M to 100 k. See `docs/PERFORMANCE.md`.

mod common;

use common::*;
use dashmap::DashMap;
use np700::index::layout::Capacity;
use np700::number::parse_dialed;
use np700::*;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A log-linear latency histogram in nanoseconds (exact below 1 µs, ≈0.2 % buckets above).
struct Hist {
    counts: Vec<u64>,
    total: u64,
    max: u64,
    over_1ms: u64,
    over_5ms: u64,
}

impl Hist {
    fn new() -> Hist {
        // Written, not just allocated, so recording never page-faults.
        let mut counts = vec![1u64; 1024 + 54 * 512];
        counts.iter_mut().for_each(|c| *c = black_box(0));
        Hist {
            counts,
            total: 0,
            max: 0,
            over_1ms: 0,
            over_5ms: 0,
        }
    }

    fn bucket(v: u64) -> usize {
        if v < 1024 {
            v as usize
        } else {
            let e = 63 - u64::from(v.leading_zeros());
            let m = (v >> (e - 9)) & 511;
            (1024 + (e - 10) * 512 + m) as usize
        }
    }

    /// The lowest value of bucket `b`.
    fn floor(b: usize) -> u64 {
        if b < 1024 {
            b as u64
        } else {
            let e = (b - 1024) / 512 + 10;
            let m = ((b - 1024) % 512) as u64;
            (512 + m) << (e - 9)
        }
    }

    fn record(&mut self, d: Duration) {
        let v = d.as_nanos().min(u128::from(u64::MAX)) as u64;
        self.counts[Self::bucket(v)] += 1;
        self.total += 1;
        self.max = self.max.max(v);
        self.over_1ms += u64::from(v > 1_000_000);
        self.over_5ms += u64::from(v > 5_000_000);
    }

    fn quantile(&self, q: f64) -> u64 {
        let rank = ((self.total as f64 * q).ceil() as u64).clamp(1, self.total.max(1));
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::floor(b);
            }
        }
        self.max
    }
}

fn fmt_ns(ns: u64) -> String {
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.1} ms", ns as f64 / 1e6)
    }
}

/// RSS (KiB) of the smallest anonymous mapping at least `bytes` long: the index's own block
/// (large allocations get a mapping of their own).
fn mapping_rss_kb(bytes: usize) -> Option<(u64, u64)> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
    let mut best: Option<(u64, u64)> = None;
    let mut size = None;
    let mut anon = false;
    for line in smaps.lines() {
        let mut it = line.split_whitespace();
        let first = it.next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            anon = it.nth(4).is_none(); // no path
            size = None;
        } else if first == "Size:" {
            size = it.next().and_then(|v| v.parse::<u64>().ok());
        } else if first == "Rss:"
            && anon
            && let (Some(s), Some(r)) = (size, it.next().and_then(|v| v.parse::<u64>().ok()))
            && s * 1024 >= bytes as u64
            && best.is_none_or(|(bs, _)| s < bs)
        {
            best = Some((s, r));
        }
    }
    best
}

/// (a) Memory per live AXB binding in np700 (run in a process of its own).
fn memory_np700(n: u64, started: Instant) {
    let rss0 = rss_kb();
    let (registry, tenant, _) = empty_registry(n, Capacity::for_bindings(n as usize));
    let rss_empty = rss_kb();
    for i in 0..n {
        registry.bind(axb_request(tenant, triple(i)), NOW).unwrap();
    }
    let rss_full = rss_kb();
    note(started, &format!("np700: {n} bindings made"));
    // Both parties of every binding sampled are routable.
    let mut rng = Rng(7);
    let mut buf = QueryBuf::default();
    for _ in 0..100_000.min(n) {
        let i = rng.below(n);
        for side in [true, false] {
            query_into(i, side, rng.next(), &mut buf);
            let d = registry.route(buf.caller.as_str(), buf.dialed.as_str(), Media::Voice, NOW);
            let (a, _, b) = triple(i);
            let want = if side { b } else { a };
            match d {
                Decision::Route(r) if r.to.first() == Some(want) => {}
                other => panic!("binding {i}: {other}"),
            }
        }
    }
    let index = registry.index();
    let bytes = index.bytes();
    let per = |kb: u64| kb as f64 * 1024.0 / n as f64;
    println!(
        "| np700 index, allocated (`index().bytes()`) | {} MB | {:.1} B |",
        bytes / 1_000_000,
        bytes as f64 / n as f64
    );
    if let Some((size, rss)) = mapping_rss_kb(bytes) {
        println!(
            "| np700 index, resident (RSS of its {} MB mapping) | {} MB | {:.1} B |",
            size / 1024,
            rss / 1024,
            per(rss)
        );
    }
    println!(
        "| np700 whole process, RSS delta (index + writer state) | {} MB | {:.1} B |",
        (rss_full - rss0) / 1024,
        per(rss_full - rss0)
    );
    println!(
        "| np700 whole process, RSS delta from `Registry::new` on | {} MB | {:.1} B |",
        (rss_full - rss_empty) / 1024,
        per(rss_full - rss_empty)
    );
    println!(
        "@target | ≤ 96 bytes per live AXB binding at {n} (index, `index().bytes()`) | {:.1} B | {} |",
        bytes as f64 / n as f64,
        if bytes as f64 / n as f64 <= 96.0 {
            "met"
        } else {
            "missed"
        }
    );
    // Control for (b): the same reader on the full index with no writer at all, to show what
    // this machine's scheduler and hypervisor alone do to read latency.
    let control_secs = if quick() { 1 } else { 30 };
    let g = grow(
        control_secs * 100,
        n,
        |_| std::thread::sleep(Duration::from_millis(10)),
        |c, d| registry.route(c, d, Media::Voice, NOW),
    );
    println!(
        "@control {}",
        growth_row(
            &format!("np700 at {n}, no writes ({control_secs} s control)"),
            &g
        )
    );
    let c = index.capacity();
    println!(
        "| np700 index capacity (`Capacity::for_bindings({n})`) | {} entries, {} pages, {} extras | |",
        c.entries, c.pages, c.extras
    );
}

/// (a) The same bindings in a DashMap (run in a process of its own).
fn memory_dashmap(n: u64) {
    let rss0 = rss_kb();
    let dash: DashMap<Key, Value> = DashMap::new();
    let flags = flag::VOICE | flag::SMS;
    let expires = NOW.plus_secs(TTL_SECS).unix_secs();
    let tenant = TenantId::from_raw(1);
    for i in 0..n {
        for (k, v) in axb_entries(
            triple(i),
            BindingId::from_raw(i + 1),
            tenant,
            expires,
            flags,
        ) {
            dash.insert(k, v);
        }
    }
    let rss1 = rss_kb();
    println!(
        "| DashMap<(u64, u64), Value> ({}-byte value, 2 entries per binding), RSS delta | {} MB | {:.1} B |",
        std::mem::size_of::<Value>(),
        (rss1 - rss0) / 1024,
        (rss1 - rss0) as f64 * 1024.0 / n as f64
    );
    black_box(&dash);
}

/// This thread's (voluntary context switches, involuntary context switches, minor page faults,
/// major page faults) so far.
fn ctx_switches() -> (u64, u64, u64, u64) {
    let s = std::fs::read_to_string("/proc/thread-self/status").unwrap_or_default();
    let get = |key: &str| {
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    // /proc/…/stat: fields after the parenthesised name; minflt is field 10, majflt field 12.
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let field = |n: usize| fields.get(n - 3).copied().unwrap_or(0);
    (
        get("voluntary_ctxt_switches:"),
        get("nonvoluntary_ctxt_switches:"),
        field(10),
        field(12),
    )
}

/// What one growth run measured.
struct Growth {
    hist: Hist,
    wrong: u64,
    write_time: Duration,
    longest_write: Duration,
    /// Reads over 1 ms during which the reader thread was switched out involuntarily
    /// (preempted) / voluntarily (blocked).
    slow_preempted: u64,
    slow_blocked: u64,
    /// Reads over 1 ms during which the reader took a page fault.
    slow_faulted: u64,
    /// The slowest read over 1 ms with no context switch or page fault of the reader around it,
    /// and how many bindings existed then.
    slow_unswitched_max: Duration,
    slow_unswitched_at: u64,
    /// The reader thread's (voluntary, involuntary) context switches during the run.
    switches: (u64, u64),
}

/// Runs `write(i)` for `0..n` on one thread while another routes random existing bindings with
/// `read`, timing each read: bindings `0..preexisting` if that is not 0 (the writes then add
/// none), else those written so far.
fn grow(
    n: u64,
    preexisting: u64,
    write: impl Fn(u64) + Sync,
    read: impl Fn(&str, &str) -> Decision + Sync,
) -> Growth {
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let start = Instant::now();
            let mut longest = Duration::ZERO;
            for i in 0..n {
                let t = Instant::now();
                write(i);
                longest = longest.max(t.elapsed());
                done.store(i + 1, Ordering::Release);
            }
            let el = start.elapsed();
            stop.store(true, Ordering::Relaxed);
            (el, longest)
        });
        let mut hist = Hist::new();
        let mut wrong = 0;
        let mut rng = Rng(0x5eed);
        let mut buf = QueryBuf::default();
        let (mut slow_preempted, mut slow_blocked) = (0, 0);
        let mut slow_unswitched_max = Duration::ZERO;
        let mut slow_unswitched_at = 0;
        let mut slow_faulted = 0;
        let first = ctx_switches();
        let mut last = first;
        let mut reads = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let d = if preexisting > 0 {
                preexisting
            } else {
                done.load(Ordering::Acquire)
            };
            if d == 0 {
                std::hint::spin_loop();
                continue;
            }
            let i = rng.below(d);
            let side = rng.next();
            query_into(i, side & 1 == 0, QUERY_SHAPE, &mut buf);
            let (caller, dialed) = (buf.caller.as_str(), buf.dialed.as_str());
            let t = Instant::now();
            let decision = read(caller, dialed);
            let took = t.elapsed();
            hist.record(took);
            if !matches!(decision, Decision::Route(_)) {
                wrong += 1;
            }
            // Outside the timed part: was the reader switched out around a slow read? (The
            // counters are refreshed every 256 reads, so a slow read's window is short.)
            reads += 1;
            if took > Duration::from_millis(1) {
                let now = ctx_switches();
                slow_blocked += u64::from(now.0 != last.0);
                slow_preempted += u64::from(now.1 != last.1);
                slow_faulted += u64::from(now.2 != last.2 || now.3 != last.3);
                if now == last {
                    eprintln!(
                        "  read of {} with neither a switch nor a fault, {d} bindings made",
                        fmt_ns(took.as_nanos() as u64)
                    );
                }
                if now == last && took > slow_unswitched_max {
                    slow_unswitched_max = took;
                    slow_unswitched_at = d;
                }
                last = now;
            } else if reads.is_multiple_of(256) {
                last = ctx_switches();
            }
        }
        let end = ctx_switches();
        let (write_time, longest_write) = writer.join().unwrap();
        Growth {
            hist,
            wrong,
            write_time,
            longest_write,
            slow_preempted,
            slow_blocked,
            slow_faulted,
            slow_unswitched_max,
            slow_unswitched_at,
            switches: (end.0 - first.0, end.1 - first.1),
        }
    })
}

/// One row of the growth table.
fn growth_row(name: &str, g: &Growth) -> String {
    let h = &g.hist;
    format!(
        "| {name} | {} | {} | {} | {} | {} | {} | {} | {} / {} / {} | {} | {} / {} | {} | {:.1} s | {} |",
        h.total,
        fmt_ns(h.quantile(0.5)),
        fmt_ns(h.quantile(0.999)),
        fmt_ns(h.quantile(0.9999)),
        fmt_ns(h.max),
        h.over_1ms,
        h.over_5ms,
        g.slow_preempted,
        g.slow_blocked,
        g.slow_faulted,
        if g.slow_unswitched_max.is_zero() {
            "—".to_owned()
        } else {
            fmt_ns(g.slow_unswitched_max.as_nanos() as u64)
        },
        g.switches.1,
        g.switches.0,
        g.wrong,
        g.write_time.as_secs_f64(),
        fmt_ns(g.longest_write.as_nanos() as u64),
    )
}

/// (b) np700: read latency while growing from empty to `n` (a process of its own).
fn growth_np700(n: u64, started: Instant) {
    let (registry, tenant, _) = empty_registry(n, Capacity::for_bindings(1000));
    let start_bytes = registry.index().bytes();
    let g = grow(
        n,
        0,
        |i| {
            registry.bind(axb_request(tenant, triple(i)), NOW).unwrap();
        },
        |c, d| registry.route(c, d, Media::Voice, NOW),
    );
    note(
        started,
        &format!(
            "np700 grown to {n}; index {} kB → {} MB",
            start_bytes / 1000,
            registry.index().bytes() / 1_000_000
        ),
    );
    println!("{}", growth_row("np700", &g));
    println!(
        "@target | during growth to {n}, no np700 read slower than 5 ms | max {}, {} reads > 5 ms ({} of the {} reads > 1 ms coincided with the reader being preempted, {} with it blocking, {} with a page fault; slowest with none of these: {} with {} bindings made) | {} |",
        fmt_ns(g.hist.max),
        g.hist.over_5ms,
        g.slow_preempted,
        g.hist.over_1ms,
        g.slow_blocked,
        g.slow_faulted,
        fmt_ns(g.slow_unswitched_max.as_nanos() as u64),
        g.slow_unswitched_at,
        if g.hist.over_5ms == 0 {
            "met"
        } else {
            "missed"
        }
    );
}

/// (b) DashMap: the same growth through inserts (a process of its own).
fn growth_dashmap(n: u64, started: Instant) {
    let dash: DashMap<Key, Value> = DashMap::new();
    let flags = flag::VOICE | flag::SMS;
    let expires = NOW.plus_secs(TTL_SECS).unix_secs();
    let tenant = TenantId::from_raw(1);
    let g = grow(
        n,
        0,
        |i| {
            for (k, v) in axb_entries(
                triple(i),
                BindingId::from_raw(i + 1),
                tenant,
                expires,
                flags,
            ) {
                dash.insert(k, v);
            }
        },
        |c, d| baseline_route(c, d, Media::Voice, NOW, |k| dash.get(k).map(|v| *v)),
    );
    note(started, &format!("dashmap grown to {n}"));
    println!("{}", growth_row("dashmap", &g));
}

/// The cost of parsing alone (shared by np700 and the baselines), for reading the route figures.
fn parsing(n: u64) {
    for (what, shape) in [
        (
            "the route benches' shape, `+86…` / `+86700…`",
            Some(QUERY_SHAPE),
        ),
        (
            "a random mix of national, `+86`, `0086`, tel: and sip: URI shapes",
            None,
        ),
    ] {
        let q = queries_shaped(n, 1 << 16, 0x9a75e, shape);
        let rounds = 32;
        let t = Instant::now();
        for _ in 0..rounds {
            for (caller, dialed) in &q {
                black_box(parse_dialed(black_box(dialed)).ok());
                black_box(SubscriberNumber::parse(black_box(caller)).ok());
            }
        }
        let per = t.elapsed().as_nanos() as f64 / (rounds * q.len()) as f64;
        println!(
            "parsing alone (parse_dialed + SubscriberNumber::parse), {what}: {per:.1} ns per query"
        );
    }
}

/// Runs one part in a fresh process (so RSS deltas and heap reuse do not mix), passing its
/// output through.
fn part(name: &str, targets: &mut Vec<String>, controls: &mut Vec<String>) {
    let exe = std::env::current_exe().expect("own executable");
    let out = std::process::Command::new(exe)
        .env("NP700_REPORT_PART", name)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run a report part");
    assert!(out.status.success(), "report part {name} failed");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(t) = line.strip_prefix("@target ") {
            targets.push(t.to_owned());
        } else if let Some(c) = line.strip_prefix("@control ") {
            controls.push(c.to_owned());
        } else {
            println!("{line}");
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to configure.
    let started = Instant::now();
    let n = if quick() { 100_000 } else { 10_000_000 };
    if let Ok(name) = std::env::var("NP700_REPORT_PART") {
        match name.as_str() {
            "parsing" => parsing(n),
            "memory-np700" => memory_np700(n, started),
            "memory-dashmap" => memory_dashmap(n),
            "growth-np700" => growth_np700(n, started),
            "growth-dashmap" => growth_dashmap(n, started),
            other => panic!("unknown part {other}"),
        }
        return;
    }
    println!("np700 report: {n} AXB bindings, {PER_X} per usage number");
    let mut targets = Vec::new();
    let mut controls = Vec::new();
    part("parsing", &mut targets, &mut controls);
    println!("\n(a) memory per live AXB binding, {n} bindings (both parties routable)\n");
    println!("| measure | total | per binding |");
    println!("|---|---|---|");
    part("memory-np700", &mut targets, &mut controls);
    part("memory-dashmap", &mut targets, &mut controls);
    println!("\n(b) read latency while a writer grows the registry from empty to {n} bindings");
    println!(
        "    (one reader thread routing random existing bindings, each read timed with Instant;"
    );
    println!(
        "    switches = the reader thread's context switches, involuntary / voluntary, counted"
    );
    println!("    around each read over 1 ms from /proc/thread-self, outside the timed part)\n");
    println!(
        "| structure | reads | p50 | p99.9 | p99.99 | max | > 1 ms | > 5 ms | > 1 ms with a switch (invol. / vol.) / a page fault | slowest > 1 ms read with neither | reader switches (invol. / vol.) | not routed | writer: total | writer: longest write |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    part("growth-np700", &mut targets, &mut controls);
    part("growth-dashmap", &mut targets, &mut controls);
    for c in &controls {
        println!("{c}");
    }
    println!("\nissue 3 targets measured here\n");
    println!("| target | measured | |");
    println!("|---|---|---|");
    for t in targets {
        println!("{t}");
    }
    note(started, "done");
}
