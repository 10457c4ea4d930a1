//! Real process kills of routers (reader processes of a shared index) in the middle of routing:
//! the writer's drain must account for every route, and a router killed between claiming a
//! record cell and publishing it must not stall its queue shard for longer than the grace.
//!
//! The child is this test binary re-executed (no extra binary): `router_child_process`, an
//! ignored test run with `--ignored --exact`, attaches to the writer's shared index and routes
//! in a loop, each call with a caller number that encodes (child, sequence), and after each call
//! returns stores how many returned in a static counter whose address it prints (`READY addr`).
//! The parent stops it with SIGSTOP at a random moment — anywhere in a route, the record push
//! included — reads the counter from `/proc/<pid>/mem` (so it knows exactly how many routes
//! returned), then kills it with SIGKILL, and drains the writer's records until every returned
//! route's record has arrived. One record shard, so every child's records queue behind whatever
//! a killed child left in the shard: a cell claimed and never published (the kill landed between
//! the two) holds everything behind it until the drain gives it up after the grace (1 s).
//!
//! What must hold: every returned route's record arrives (within a few seconds, stalls
//! included); a child's records arrive as a prefix of its sequence with at most the one in
//! flight added — nothing twice, nothing skipped; nothing is dropped for a full queue; the
//! records abandoned are at most the children whose in-flight route left no record.
//!
//! Whether a kill lands in the few instructions between claim and publish is luck — measured
//! here, 4 to 18 % of kills (debug and release builds) — so the test kills at least
//! `NP700_ROUTER_KILL_CYCLES` routers (default 40) and goes on until 3 of them died there (the
//! drain counts them abandoned), at most 1,000: with so many tries the case is exercised all but
//! certainly (it fails if it never is). `NP700_ROUTER_KILL_SEED` sets the seed of the kill
//! delays. The unit tests in `src/control/ring.rs` make the case deterministic with a test hook.

use np700::binding::Media;
use np700::control::Controls;
use np700::control::record::RouteRecord;
use np700::index::SharedIndex;
use np700::index::layout::Capacity;
use np700::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const T0: u64 = 1_767_225_600;
/// Routes a child makes at most (then it idles until killed): fewer than the shard holds.
const PER_CHILD: u64 = 100_000;
const SHARD_RECORDS: u32 = 1 << 18;

/// The caller of route `seq` of child `child`: a mobile number that encodes both.
fn caller(child: u64, seq: u64) -> SubscriberNumber {
    SubscriberNumber::from_e164(8_613_000_000_000 + child * 1_000_000 + seq).unwrap()
}

fn decode(r: &RouteRecord) -> (u64, u64) {
    let n = r.caller.expect("every route has a caller").e164() - 8_613_000_000_000;
    (n / 1_000_000, n % 1_000_000)
}

/// Routes returned so far by the child (read by the parent from the stopped child's memory).
static ROUTED: AtomicU64 = AtomicU64::new(0);

/// The child: attaches, says where its counter is, routes until killed.
#[test]
#[ignore = "entry point of the child processes spawned by routers_killed_mid_route_lose_only_their_route_in_flight"]
fn router_child_process() {
    let path = std::env::var("NP700_ROUTER_KILL_PATH").expect("run by the parent test");
    let child: u64 = std::env::var("NP700_ROUTER_KILL_CHILD")
        .unwrap()
        .parse()
        .unwrap();
    let index = SharedIndex::attach(&path).expect("attach");
    // Not ours: refused at once, recorded with its caller.
    let dialed = DialedNumber::Usage(UsageNumber::new(700_900_000_000_001).unwrap());
    let now = Timestamp::from_unix_secs(T0);
    println!("READY {}", std::ptr::from_ref(&ROUTED) as usize);
    for seq in 0..PER_CHILD {
        index.route_dialed(Some(caller(child, seq)), dialed, Media::Voice, now);
        ROUTED.store(seq + 1, Ordering::Relaxed);
    }
    println!("DONE");
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// splitmix64.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Whether every thread of process `pid` is stopped (state `T` in `/proc/<pid>/task/*/stat`).
fn all_stopped(pid: &str) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .all(|task| {
            let stat = std::fs::read_to_string(task.unwrap().path().join("stat")).unwrap();
            // "tid (comm) S …": the state follows the last ')'.
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('T'))
        })
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| v.parse().expect(name))
}

#[test]
fn routers_killed_mid_route_lose_only_their_route_in_flight() {
    let min_cycles = env_or("NP700_ROUTER_KILL_CYCLES", 40);
    const MAX_CYCLES: u64 = 1_000;
    const WANT_STALLS: u64 = 3;
    let mut rng = env_or("NP700_ROUTER_KILL_SEED", 0x5eed);
    let path = std::env::temp_dir().join(format!("np700-router-kill-{}", std::process::id()));
    let controls = Controls {
        record_shards: 1,
        records_per_shard: SHARD_RECORDS,
        ..Controls::default()
    };
    let writer = Registry::new_shared(
        Config {
            controls,
            ..Config::default()
        },
        Capacity::for_bindings(16),
        &path,
    )
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    // Per child: the sequence numbers received, in order.
    let mut received: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut buf = vec![RouteRecord::EMPTY; 4096];
    let mut drain = |received: &mut HashMap<u64, Vec<u64>>| {
        let mut n = 0;
        loop {
            let got = writer.drain_records(&mut buf);
            for r in &buf[..got] {
                let (child, seq) = decode(r);
                received.entry(child).or_default().push(seq);
            }
            n += got;
            if got < buf.len() {
                return n;
            }
        }
    };
    let mut returned = Vec::new();
    let mut longest_wait = Duration::ZERO;
    let mut child = 0;
    while child < min_cycles || writer.records_abandoned() < WANT_STALLS && child < MAX_CYCLES {
        let mut proc = Process::new(&exe)
            .args([
                "--exact",
                "router_child_process",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("NP700_ROUTER_KILL_PATH", &path)
            .env("NP700_ROUTER_KILL_CHILD", child.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(proc.stdout.take().unwrap()).lines();
        let addr: u64 = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("child {child} ended before READY"))
                .unwrap();
            // The harness may have begun the line ("test router_child_process ... ").
            if let Some((_, a)) = line.split_once("READY ") {
                break a.trim().parse().unwrap();
            }
        };
        // Somewhere in its routes: 0–4 ms.
        std::thread::sleep(Duration::from_micros(next(&mut rng) % 4_000));
        let pid = proc.id().to_string();
        let stopped = Process::new("kill").args(["-STOP", &pid]).status().unwrap();
        assert!(stopped.success());
        // The signal is sent, not yet taken: wait until every thread is stopped.
        while !all_stopped(&pid) {
            std::thread::yield_now();
        }
        let mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
        let mut word = [0u8; 8];
        mem.read_exact_at(&mut word, addr).unwrap();
        let routed = u64::from_ne_bytes(word);
        proc.kill().unwrap();
        proc.wait().unwrap();
        returned.push(routed);
        // Every route that returned left its record: it arrives, a stall at most delaying it.
        let waited = Instant::now();
        loop {
            drain(&mut received);
            let have = received.get(&child).map_or(0, Vec::len) as u64;
            if have >= routed {
                break;
            }
            assert!(
                waited.elapsed() < Duration::from_secs(5),
                "child {child}: {have} of its {routed} returned routes' records after 5 s \
                 (abandoned {}, dropped {})",
                writer.records_abandoned(),
                writer.records_dropped()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        longest_wait = longest_wait.max(waited.elapsed());
        child += 1;
    }
    let cycles = child;
    // Whatever is still queued (an in-flight record behind a stall).
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_millis(2_500) {
        drain(&mut received);
        std::thread::sleep(Duration::from_millis(20));
    }

    let abandoned = writer.records_abandoned();
    assert_eq!(
        writer.records_dropped() - abandoned,
        0,
        "nothing dropped for a full queue"
    );
    let mut in_flight_delivered = 0;
    let mut in_flight_missing = 0;
    for (child, &routed) in returned.iter().enumerate() {
        let got = received.remove(&(child as u64)).unwrap_or_default();
        // Its routes 0, 1, 2, … in order: the first that is not where it should be.
        let wrong = got.iter().enumerate().find(|(i, seq)| **seq != *i as u64);
        assert!(
            wrong.is_none() && (got.len() as u64 == routed || got.len() as u64 == routed + 1),
            "child {child}: {routed} routes returned, {} records, first out of place {wrong:?}",
            got.len()
        );
        if got.len() as u64 == routed + 1 {
            in_flight_delivered += 1;
        } else {
            in_flight_missing += 1;
        }
    }
    assert!(received.is_empty(), "records of no child: {received:?}");
    assert!(
        abandoned <= in_flight_missing,
        "{abandoned} abandoned but only {in_flight_missing} in-flight routes left no record"
    );
    assert!(
        abandoned >= WANT_STALLS,
        "in {cycles} kills only {abandoned} landed between claim and publish"
    );
    eprintln!(
        "{cycles} routers killed; routes returned {}; in-flight record delivered {in_flight_delivered}, \
         missing {in_flight_missing}; abandoned (killed between claim and publish) {abandoned}; \
         longest wait for a killed router's records {longest_wait:?}",
        returned.iter().sum::<u64>()
    );
    drop(writer);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(np700::control::Region::path_for(&path));
}
