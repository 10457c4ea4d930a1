//! Durability figures (issue 5): durable binds per second by commit mode and number of writer
//! threads, on real files (a [`DirStorage`] directory under the temporary directory); the
//! latency of one `fdatasync` there; recovery time for 1 M and 10 M live AXB bindings from a
//! snapshot, and for 1 M from journal replay, with the time of each phase.
//!
//! `cargo bench --bench durable`; `NP700_BENCH_QUICK=1` shortens the measurements and shrinks
//! recovery to 100 k bindings (snapshot) and 20 k (replay), skipping 10 M. Each recovery runs in
//! a fresh process (this binary re-executed with `NP700_DURABLE_PART`), so memory figures do not
//! mix. See `docs/PERFORMANCE.md`.

mod common;

use common::*;
use criterion::{Criterion, Throughput};
use np700::index::layout::Capacity;
use np700::journal::record::{self, SEGMENT_HEADER_LEN};
use np700::journal::storage::{DirStorage, Storage};
use np700::journal::{Commit, JournalOptions, segment_name, snapshot, snapshot_name};
use np700::registry::OpenOptions;
use np700::*;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A fresh directory under the temporary directory.
fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("np700-durable-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Peak RSS of this process, in MB.
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        / 1024
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// CPU time of this thread (user + system), from `/proc/thread-self/stat` (10 ms ticks).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|w| w.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// A phase's wall-clock and CPU time: on a shared machine the wall clock includes the time
/// other processes held the core.
#[derive(Copy, Clone, Debug)]
struct Phase {
    wall: Duration,
    cpu: Duration,
}

/// A phase being timed.
struct Timer {
    at: Instant,
    cpu: Duration,
}

impl Timer {
    fn stop(self) -> Phase {
        Phase {
            wall: self.at.elapsed(),
            cpu: thread_cpu().saturating_sub(self.cpu),
        }
    }
}

impl Phase {
    fn start() -> Timer {
        Timer {
            at: Instant::now(),
            cpu: thread_cpu(),
        }
    }

    /// What is left of `self` after the `parts`.
    fn minus(&self, parts: &[Phase]) -> Phase {
        Phase {
            wall: parts
                .iter()
                .fold(self.wall, |w, p| w.saturating_sub(p.wall)),
            cpu: parts.iter().fold(self.cpu, |c, p| c.saturating_sub(p.cpu)),
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{:.0} ms ({:.0} ms CPU)", ms(self.wall), ms(self.cpu))
    }
}

// ---------------------------------------------------------------------------------------------
// fsync latency

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// The latency of an `fdatasync` after a 128-byte append (what a journal commit costs), and of
/// an `fsync` of the directory (what creating or renaming a file costs).
fn fsync_latency(samples: usize) {
    let dir = temp_dir("fsync");
    let path = dir.join("probe");
    let mut f = File::options()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    let mut data = Vec::with_capacity(samples);
    let mut dirs = Vec::with_capacity(samples);
    for _ in 0..samples {
        f.write_all(&[0xA5; 128]).unwrap();
        let t = Instant::now();
        f.sync_data().unwrap();
        data.push(t.elapsed());
        let t = Instant::now();
        File::open(&dir).unwrap().sync_all().unwrap();
        dirs.push(t.elapsed());
    }
    drop(f);
    let _ = std::fs::remove_dir_all(&dir);
    println!("\nsync latency, {samples} samples each\n");
    println!("| operation | mean | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    for (what, mut v) in [
        ("append 128 B + fdatasync", data),
        ("fsync of the directory", dirs),
    ] {
        v.sort_unstable();
        let mean = v.iter().sum::<Duration>() / v.len() as u32;
        println!(
            "| {what} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
            ms(mean),
            ms(percentile(&v, 0.5)),
            ms(percentile(&v, 0.9)),
            ms(percentile(&v, 0.99)),
            ms(*v.last().unwrap()),
        );
    }
}

/// What the first write to fresh memory costs here (page faults and zeroing; recovery builds
/// gigabytes of new tables, and on a virtual machine this is far from free).
fn first_touch(mib: usize) {
    let len = mib << 20;
    let t = Instant::now();
    let mut v = vec![0u8; len]; // calloc: pages mapped lazily, zeroed on first touch
    for i in (0..len).step_by(4096) {
        v[i] = 1;
    }
    std::hint::black_box(&v);
    let took = t.elapsed();
    println!(
        "\nfirst write to {mib} MiB of fresh memory: {:.0} ms ({:.2} µs per 4 KiB page, {:.2} s per GiB)",
        ms(took),
        took.as_secs_f64() * 1e6 / (len / 4096) as f64,
        took.as_secs_f64() * 1024.0 / mib as f64
    );
}

// ---------------------------------------------------------------------------------------------
// Durable binds per second

/// How a bind benchmark runs: the commit mode (`None`: a registry without a journal) and the
/// writer threads.
const MODES: &[(&str, Option<Commit>, usize)] = &[
    ("no_journal", None, 1),
    ("not_durable", Some(Commit::NotDurable), 1),
    ("per_write/1", Some(Commit::PerWrite), 1),
    ("per_write/8", Some(Commit::PerWrite), 8),
    ("group/1", Some(Commit::Group), 1),
    ("group/2", Some(Commit::Group), 2),
    ("group/4", Some(Commit::Group), 4),
    ("group/8", Some(Commit::Group), 8),
];

/// Bindings the registries are sized for (fast modes make millions within a measurement).
const BIND_CAPACITY: u64 = 4_000_000;
/// Distinct triples available (`mgmts_for` of it management numbers are assigned).
const BIND_TRIPLES: u64 = 16_000_000;

struct BindFixture {
    registry: Registry,
    tenant: TenantId,
    next: AtomicU64,
    dir: Option<PathBuf>,
}

impl BindFixture {
    fn new(name: &str, commit: Option<Commit>, quick: bool) -> BindFixture {
        let cap = Capacity::for_bindings(if quick { 200_000 } else { BIND_CAPACITY } as usize);
        let (registry, dir) = match commit {
            None => (Registry::new(Config::default(), cap), None),
            Some(commit) => {
                let dir = temp_dir(&name.replace('/', "-"));
                let options = OpenOptions {
                    archive: np700::archive::ArchiveOptions::default(),
                    capacity: cap,
                    shared_index: None,
                    journal: JournalOptions {
                        commit,
                        // Snapshots are measured apart (recovery); here only the commits.
                        snapshot_after_bytes: None,
                    },
                };
                let (r, _) = Registry::open(&dir, Config::default(), options).unwrap();
                (r, Some(dir))
            }
        };
        let (tenant, _) = provision(&registry, BIND_TRIPLES);
        BindFixture {
            registry,
            tenant,
            next: AtomicU64::new(0),
            dir,
        }
    }

    fn bind_next(&self) {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        assert!(i < BIND_TRIPLES, "out of distinct triples");
        self.registry
            .bind(axb_request(self.tenant, triple(i)), NOW)
            .unwrap();
    }

    /// `iters` binds by `threads` writers; the wall time.
    fn run(&self, iters: u64, threads: usize) -> Duration {
        if threads == 1 {
            let t = Instant::now();
            for _ in 0..iters {
                self.bind_next();
            }
            return t.elapsed();
        }
        let t = Instant::now();
        std::thread::scope(|s| {
            for k in 0..threads as u64 {
                let share = iters / threads as u64 + u64::from(k < iters % threads as u64);
                s.spawn(move || {
                    for _ in 0..share {
                        self.bind_next();
                    }
                });
            }
        });
        t.elapsed()
    }
}

impl Drop for BindFixture {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn bench_binds(c: &mut Criterion, quick: bool) {
    let mut g = c.benchmark_group("durable_bind");
    g.throughput(Throughput::Elements(1));
    for &(name, commit, threads) in MODES {
        let f = BindFixture::new(name, commit, quick);
        g.bench_function(name, |b| b.iter_custom(|iters| f.run(iters, threads)));
        eprintln!(
            "  durable_bind/{name}: {} bindings made in all",
            f.next.load(Ordering::Relaxed)
        );
    }
    g.finish();
}

/// Criterion's output directory (as criterion finds it when run by `cargo bench`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        home.into()
    } else if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        PathBuf::from(target).join("criterion")
    } else {
        "target/criterion".into()
    }
}

/// The median of this run's samples of `group/function`, in ns, from criterion's estimates.
fn median_ns(group: &str, function: &str) -> Option<f64> {
    // Criterion stores `a/b` as `a_b`.
    let path = criterion_dir()
        .join(group)
        .join(function.replace('/', "_"))
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn bind_summary() {
    let per_s = |name: &str| median_ns("durable_bind", name).map(|ns| 1e9 / ns);
    let base = per_s("group/1");
    let none = per_s("no_journal");
    println!("\ndurable binds per second (criterion medians, one bind = one acknowledged call)\n");
    println!("| mode | writer threads | binds/s | time per bind | vs group/1 | vs no journal |");
    println!("|---|---|---|---|---|---|");
    for &(name, commit, threads) in MODES {
        let Some(r) = per_s(name) else { continue };
        let mode = match commit {
            None => "no journal",
            Some(Commit::NotDurable) => "Commit::NotDurable",
            Some(Commit::PerWrite) => "Commit::PerWrite",
            Some(Commit::Group) => "Commit::Group",
        };
        let time = if r > 1e5 {
            format!("{:.2} µs", 1e6 / r)
        } else {
            format!("{:.2} ms", 1e3 / r)
        };
        let vs = |b: Option<f64>| b.map_or("—".into(), |b| format!("{:.2}×", r / b));
        println!(
            "| {mode} | {threads} | {r:.0} | {time} | {} | {} |",
            vs(base),
            vs(none)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Recovery

/// A state of `n` live AXB bindings (and its provisioning), built without a registry; returns
/// it and the number of events that made it.
fn build_state(n: u64) -> (State, u64) {
    let mut s = State::new(Config::default());
    let mut events = 0;
    for c in provisioning(n) {
        events += s.execute(&c, NOW).unwrap().len() as u64;
    }
    let tenant = TenantId::from_raw(1);
    for i in 0..n {
        events += s
            .execute(&Command::Bind(axb_request(tenant, triple(i))), NOW)
            .unwrap()
            .len() as u64;
    }
    (s, events)
}

fn open_options(n: u64) -> OpenOptions {
    OpenOptions {
        capacity: Capacity::for_bindings(n as usize),
        ..OpenOptions::default()
    }
}

/// Registry::open on `dir`, timed; checks it recovered `n` bindings.
fn timed_open(dir: &Path, n: u64) -> Phase {
    let t = Phase::start();
    let (r, rec) = Registry::open(dir, Config::default(), open_options(n)).unwrap();
    let took = t.stop();
    assert!(rec.cut.is_none());
    assert_eq!(r.with_state(|s| s.bindings().count()) as u64, n);
    let t = Instant::now();
    drop(r);
    eprintln!("    (dropping the registry: {:.0} ms)", ms(t.elapsed()));
    took
}

/// Drops the page cache of one file (`posix_fadvise(DONTNEED)` through `dd`), if `dd` can.
fn evict(path: &Path) -> bool {
    std::process::Command::new("dd")
        .arg(format!("if={}", path.display()))
        .args(["iflag=nocache", "count=0", "status=none"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Recovery of `n` bindings from a snapshot: phases timed one by one through the public parts,
/// then `Registry::open` as a whole (warm page cache, then with the file evicted).
fn recover_snapshot(n: u64, runs: usize) {
    let started = Instant::now();
    let dir = temp_dir(&format!("snap-{n}"));
    let storage = DirStorage::new(&dir).unwrap();
    let (state, seq) = build_state(n);
    note(started, &format!("built a state of {n} bindings"));
    let name = snapshot_name(seq);
    let temp = format!("{name}.tmp");
    let t = Instant::now();
    let size = snapshot::write(&storage, &temp, seq, &state).unwrap();
    let write = t.elapsed();
    let t = Instant::now();
    storage.sync(&temp).unwrap();
    storage.rename(&temp, &name).unwrap();
    storage.sync_dir().unwrap();
    let sync = t.elapsed();
    drop(state);
    note(
        started,
        &format!(
            "snapshot written: {:.0} MB in {:.0} ms + {:.0} ms sync",
            size as f64 / 1e6,
            ms(write),
            ms(sync)
        ),
    );
    let path = dir.join(&name);
    let mut phases = Vec::new();
    for _ in 0..runs {
        let read = Phase::start();
        let bytes = std::fs::read(&path).unwrap();
        let read = read.stop();
        let payload = &bytes[32..bytes.len() - 16];
        let crc = Phase::start();
        std::hint::black_box(crc32c::crc32c(payload));
        let crc = crc.stop();
        let decode = Phase::start();
        let mut de = postcard::Deserializer::from_bytes(payload);
        let state = State::deserialize_image(Config::default(), &mut de).unwrap();
        let decode = decode.stop();
        drop(bytes);
        assert_eq!(state.bindings().count() as u64, n);
        drop(state);
        let total = timed_open(&dir, n);
        phases.push([read, crc, decode, total]);
    }
    let cold = if evict(&path) {
        Some(timed_open(&dir, n))
    } else {
        None
    };
    let best = |k: usize| *phases.iter().map(|p| &p[k]).min_by_key(|p| p.wall).unwrap();
    let [read, crc, decode, total] = [0, 1, 2, 3].map(best);
    let index = total.minus(&[read, crc, decode]);
    println!(
        "| snapshot | {n} | {:.0} MB | **{}** | {} | {} | {} | {} | ≈ {} | {} MB |",
        size as f64 / 1e6,
        total,
        cold.map_or("—".into(), |c| c.to_string()),
        read,
        crc,
        decode,
        index,
        peak_rss_mb(),
    );
    println!(
        "@target recovery of {n} bindings from a snapshot: {:.2} s wall, {:.2} s CPU (target ≤ 5 s at 10 M)",
        total.wall.as_secs_f64(),
        total.cpu.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Recovery of `n` bindings by replaying their events from one journal segment.
fn recover_replay(n: u64, runs: usize) {
    let started = Instant::now();
    let dir = temp_dir(&format!("replay-{n}"));
    // The segment a registry would have written (records built by the journal's own encoder).
    let mut s = State::new(Config::default());
    let mut seg = record::segment_header(1).to_vec();
    let mut seq = 1;
    let tenant = TenantId::from_raw(1);
    let commands = provisioning(n)
        .into_iter()
        .chain((0..n).map(|i| Command::Bind(axb_request(tenant, triple(i)))));
    for c in commands {
        let events = s.execute(&c, NOW).unwrap();
        for (k, e) in events.iter().enumerate() {
            record::encode_record(&mut seg, seq, seq - 1, k + 1 == events.len(), e).unwrap();
            seq += 1;
        }
    }
    drop(s);
    let path = dir.join(segment_name(1));
    std::fs::write(&path, &seg).unwrap();
    File::open(&path).unwrap().sync_all().unwrap();
    let size = seg.len();
    drop(seg);
    note(
        started,
        &format!(
            "journal of {} events written: {:.0} MB",
            seq - 1,
            size as f64 / 1e6
        ),
    );
    let mut phases = Vec::new();
    for _ in 0..runs {
        let read = Phase::start();
        let bytes = std::fs::read(&path).unwrap();
        let read = read.stop();
        let replay = Phase::start();
        let mut state = State::new(Config::default());
        let scan = record::scan(&bytes, SEGMENT_HEADER_LEN, 1, |_, e| state.apply_owned(e));
        let replay = replay.stop();
        assert!(scan.stopped.is_none());
        assert_eq!(state.bindings().count() as u64, n);
        drop(state);
        drop(bytes);
        let total = timed_open(&dir, n);
        // Leave only the replayed segment, so every run replays the same.
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.is_dir() {
                // The archive the registry keeps beside its journal.
                std::fs::remove_dir_all(f).unwrap();
            } else if f != path {
                std::fs::remove_file(f).unwrap();
            }
        }
        phases.push([read, replay, total]);
    }
    let best = |k: usize| *phases.iter().map(|p| &p[k]).min_by_key(|p| p.wall).unwrap();
    let [read, replay, total] = [0, 1, 2].map(best);
    let index = total.minus(&[read, replay]);
    println!(
        "| journal replay | {n} | {:.0} MB | **{}** | — | {} | (in the next) | {} (crc, decode and apply per record) | ≈ {} | {} MB |",
        size as f64 / 1e6,
        total,
        read,
        replay,
        index,
        peak_rss_mb(),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs a part in a fresh process and passes its output on.
fn part(name: &str, targets: &mut Vec<String>) {
    let exe = std::env::current_exe().expect("own executable");
    let out = std::process::Command::new(exe)
        .env("NP700_DURABLE_PART", name)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run a part");
    assert!(out.status.success(), "part {name} failed");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        match line.strip_prefix("@target ") {
            Some(t) => targets.push(t.to_owned()),
            None => println!("{line}"),
        }
    }
}

fn main() {
    let quick = quick();
    if let Ok(name) = std::env::var("NP700_DURABLE_PART") {
        let (kind, n) = name.split_once(':').expect("kind:n");
        let n: u64 = n.parse().unwrap();
        let runs = if n >= 10_000_000 { 1 } else { 3 };
        match kind {
            "snapshot" => recover_snapshot(n, runs),
            "replay" => recover_replay(n, runs),
            other => panic!("unknown part {other}"),
        }
        return;
    }
    let started = Instant::now();
    let where_ = std::process::Command::new("df")
        .args(["-T", &std::env::temp_dir().display().to_string()])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .last()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default();
    println!(
        "np700 durability: files under {} ({where_})",
        std::env::temp_dir().display()
    );
    fsync_latency(if quick { 50 } else { 1_000 });
    first_touch(if quick { 64 } else { 1024 });

    let mut c = if quick {
        Criterion::default()
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(500))
            .sample_size(10)
    } else {
        Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4))
            .sample_size(10)
    }
    .configure_from_args();
    bench_binds(&mut c, quick);
    c.final_summary();
    bind_summary();

    println!(
        "\nrecovery (Registry::open: best of the runs, warm page cache; cold = the file evicted first)\n"
    );
    println!(
        "| from | live AXB bindings | file | total | total, cold | read | crc | decode into the state | index build (the rest) | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut targets = Vec::new();
    let parts: &[&str] = if quick {
        &["snapshot:100000", "replay:20000"]
    } else {
        &["snapshot:1000000", "replay:1000000", "snapshot:10000000"]
    };
    for p in parts {
        part(p, &mut targets);
    }
    println!();
    for t in targets {
        println!("{t}");
    }
    note(started, "done");
}
