//! Power loss and failing disks, simulated (issue 5, item 2): the journaled registry runs on a
//! `SimStorage` that loses power at a chosen operation and then keeps, drops, tears or garbles
//! each write not yet synced; every recovery is checked against the durability contract by the
//! checker in `fuzz/src/crash_check.rs` (shared with the `crash_recover` fuzz target; its module
//! docs list the checks: the prefix property against a reference `State`, the plain model's
//! exclusivity, expiry and unbind checks, routing of the reopened registry, `Halted` after a
//! failure, and no recovery error).
//!
//! - `random_crash_and_recover_cycles`: at least 100,000 cycles (`NP700_CRASH_CYCLES`) of
//!   random histories, power-off points and fates, each life continuing from what the previous
//!   recovery left (one in five after a process kill instead of a power loss: the next process
//!   opens the disk as the last one left it, writes not synced still pending); the lives run on
//!   every core (at least two threads); a failure names its seed, and `NP700_CRASH_SEED`
//!   replays that run alone;
//! - `every_crash_point_of_short_histories`: every power-off point of fixed short histories, and
//!   for each every prefix of the directory operations and a set of fates (all kept, all
//!   dropped, each pending write alone dropped, torn at a few offsets or garbled);
//! - `acknowledging_before_sync_is_caught`: the fault switch (`Commit::NotDurable`) makes the
//!   checker fail, so the checks can fail;
//! - `every_failed_write_sync_and_rename_halts_and_reopens_consistently`: the Nth write, sync or
//!   rename fails, for every N over a history.

#[path = "../fuzz/src/crash_check.rs"]
mod crash_check;

use crash_check::*;
use np700::journal::Commit;
use np700::journal::sim::{Fate, OpKind, Pending, SimStorage};
use np700::registry::OpenOptions;
use np700::{
    BindRequest, BindingId, Command, Counterpart, LicensedBlock, NumberChoice, Parties, Policy,
    TenantId, Timestamp,
};
use std::sync::Arc;
use std::time::Instant;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs)
}

/// The cycles of the random test: `NP700_CRASH_CYCLES`, default 100,000.
fn cycles_wanted() -> u64 {
    std::env::var("NP700_CRASH_CYCLES")
        .ok()
        .map(|v| v.parse().expect("NP700_CRASH_CYCLES: a number"))
        .unwrap_or(100_000)
}

/// One run of the random test: its options, lives and every choice from `seed`.
fn run_seed(seed: u64) -> Stats {
    let mut ch = SplitMix(seed);
    let options = random_options(&mut ch);
    let lives = 10 + ch.below(20);
    run(options.clone(), lives, 4, &mut ch).unwrap_or_else(|e| {
        panic!("run with seed {seed} (NP700_CRASH_SEED={seed}; {options:?}): {e}")
    })
}

#[test]
fn random_crash_and_recover_cycles() {
    // A failure names its seed: NP700_CRASH_SEED replays that run alone.
    if let Ok(seed) = std::env::var("NP700_CRASH_SEED") {
        let stats = run_seed(seed.parse().expect("NP700_CRASH_SEED: a number"));
        eprintln!("{stats:?}");
        return;
    }
    let wanted = cycles_wanted();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)) as u64;
    let start = Instant::now();
    let stats: Vec<(Stats, u64)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                scope.spawn(move || {
                    let mut total = Stats::default();
                    let mut runs = 0u64;
                    while total.cycles() < wanted.div_ceil(threads) {
                        total += run_seed(w << 32 | runs);
                        runs += 1;
                    }
                    (total, runs)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut total = Stats::default();
    let mut runs = 0;
    for (s, r) in stats {
        total += s;
        runs += r;
    }
    eprintln!(
        "{} crash-and-recover cycles ({runs} runs, {threads} threads) in {:.1?}: {total:?}",
        total.cycles(),
        start.elapsed()
    );
    assert!(total.cycles() >= wanted);
    assert_eq!(total.lost, 0);
    // The runs reach what they are meant to check.
    let reached = [
        ("recoveries cut short by a power loss", total.interrupted),
        ("recoveries from a snapshot", total.from_snapshot),
        ("torn tails cut", total.cuts),
        ("leftovers removed", total.removals),
        (
            "written commands recovered unacknowledged",
            total.beyond_acked,
        ),
        ("steps failed by the power loss", total.io_errors),
        ("snapshots", total.snapshots),
        ("calls routed after a recovery", total.routed),
    ];
    for (what, n) in reached {
        assert!(n >= total.cycles() / 500, "too few {what}: {n} ({total:?})");
    }
    assert!(total.writes >= total.cycles() / 8, "{total:?}");
}

/// A short history touching every kind of event the contract names: a tenant, a number, two
/// bindings, a snapshot, an update of an expiry, an unbind, and a sweep that expires one.
fn short_history() -> Vec<Step> {
    let tenant = TenantId::from_raw(1);
    let bind = |parties, expires| {
        Command::Bind(BindRequest {
            tenant,
            parties,
            expires_at: at(expires),
            policy: Policy::default(),
            order_id: "o".into(),
            consent_ref: "consent".into(),
            external_ref: String::new(),
        })
    };
    let c = |command, secs| Step::Command(command, at(secs));
    vec![
        c(
            Command::RegisterTenant {
                name: "parcels".into(),
                scenarios: vec![],
                pair_cap: None,
            },
            1,
        ),
        c(
            Command::LicenseBlock(LicensedBlock {
                first: mgmt(0),
                count: 2,
            }),
            2,
        ),
        c(
            Command::AssignNumber {
                tenant,
                number: mgmt(0),
                tags: vec![],
            },
            3,
        ),
        c(
            bind(
                Parties::Axb {
                    a: person(0),
                    x: NumberChoice::Given(usage(0)),
                    b: person(1),
                },
                30,
            ),
            4,
        ),
        c(
            bind(
                Parties::Axn {
                    a: person(2),
                    x: NumberChoice::Given(usage(1)),
                    n: Some(person(3)),
                },
                300,
            ),
            5,
        ),
        Step::Snapshot,
        c(
            Command::Update {
                tenant,
                binding: BindingId::from_raw(2),
                counterpart: Some(Counterpart::N(Some(person(4)))),
                expires_at: Some(at(400)),
                policy: None,
            },
            6,
        ),
        c(
            Command::Unbind {
                tenant,
                binding: BindingId::from_raw(2),
            },
            7,
        ),
        c(Command::Sweep, 60),
    ]
}

/// The fate sets tried for pending writes of these lengths: all kept, all dropped, and each one
/// alone dropped, torn (nothing, one byte, half, all but one) or garbled (first, middle, last
/// byte) while the others are kept.
fn fate_sets(lens: &[usize]) -> Vec<Vec<Fate>> {
    let n = lens.len();
    let mut sets = vec![vec![Fate::Keep; n], vec![Fate::Drop; n]];
    for (j, &len) in lens.iter().enumerate() {
        let mut alone = vec![Fate::Drop];
        for t in [0, 1, len / 2, len.saturating_sub(1)] {
            if t < len && !alone.contains(&Fate::Tear(t)) {
                alone.push(Fate::Tear(t));
            }
        }
        for g in [0, len / 2, len.saturating_sub(1)] {
            if len > 0 && !alone.contains(&Fate::Garble(g)) {
                alone.push(Fate::Garble(g));
            }
        }
        for fate in alone {
            let mut set = vec![Fate::Keep; n];
            set[j] = fate;
            if !sets.contains(&set) {
                sets.push(set);
            }
        }
    }
    sets
}

/// Every power-off point of `history` under `options`, each crash image of the fate sets and
/// directory prefixes recovered and checked. Returns the points and the stats.
fn every_crash_point(history: &[Step], options: &OpenOptions) -> (u64, Stats) {
    // The operations of an uninterrupted run.
    let total = {
        let s = Arc::new(SimStorage::new());
        let mut c = Checker::new(options.clone());
        let r = c.open(&s, false).unwrap().expect("opened");
        assert_eq!(c.run_steps(&r, history), Ok(Ran::All));
        s.ops()
    };
    let mut stats = Stats::default();
    for point in 0..=total {
        let s = Arc::new(SimStorage::new());
        s.power_off_after(point);
        let mut c = Checker::new(options.clone());
        let opened = c.open(&s, true).unwrap();
        if let Some(r) = opened {
            let ran = c.run_steps(&r, history).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(ran == Ran::All, point == total, "power off after {point}");
        }
        for kept_dir in 0..=s.pending_dir_ops() {
            let mut lens = Vec::new();
            s.crash_keeping(
                |p| {
                    lens.push(match p {
                        Pending::Write { bytes, .. } => bytes.len(),
                        Pending::Truncate(_) => 0,
                    });
                    Fate::Keep
                },
                kept_dir,
            );
            for set in fate_sets(&lens) {
                let mut next = set.iter().copied();
                let crashed = s.crash_keeping(|_| next.next().expect("a fate each"), kept_dir);
                c.check_fate(&Arc::new(crashed)).unwrap_or_else(|e| {
                    panic!(
                        "{options:?}: power off after {point} of {total} operations, \
                         {kept_dir} directory operations kept, fates {set:?}: {e}"
                    )
                });
            }
        }
        stats += c.stats;
    }
    (total + 1, stats)
}

#[test]
fn every_crash_point_of_short_histories() {
    let start = Instant::now();
    let history = short_history();
    let mut total = Stats::default();
    let mut points = 0;
    for commit in [Commit::Group, Commit::PerWrite] {
        // Snapshots by hand only, and also within the writes (every 150 bytes).
        for every in [None, Some(150)] {
            let (p, stats) = every_crash_point(&history, &options(commit, every));
            points += p;
            total += stats;
        }
    }
    eprintln!(
        "{points} crash points, {} recoveries checked in {:.1?}: {total:?}",
        total.recoveries,
        start.elapsed()
    );
    for (what, n) in [
        ("recoveries from a snapshot", total.from_snapshot),
        ("torn tails cut", total.cuts),
        ("leftovers removed", total.removals),
        (
            "written commands recovered unacknowledged",
            total.beyond_acked,
        ),
        ("recoveries cut short by a power loss", total.interrupted),
    ] {
        assert!(n > 0, "no {what}: {total:?}");
    }
}

/// The fault switch: acknowledging before the sync (`Commit::NotDurable`) loses acknowledged
/// writes in a power loss, and the same checker must say so.
#[test]
fn acknowledging_before_sync_is_caught() {
    let mut ch = SplitMix(0xfa17);
    for attempt in 0..100 {
        let snapshots = [None, Some(700)][ch.below(2) as usize];
        match run(options(Commit::NotDurable, snapshots), 20, 2, &mut ch) {
            Ok(_) => {}
            Err(e) => {
                assert!(e.contains("acknowledged events lost"), "{e}");
                eprintln!("found in run {attempt}: {e}");
                return;
            }
        }
    }
    panic!("100 runs of 20 power losses each without noticing lost acknowledged writes");
}

/// A fixed history for fault injection: random steps from a seed, with snapshots.
fn fixed_history(seed: u64, len: usize) -> Vec<Step> {
    let mut ch = SplitMix(seed);
    let mut reference = Timeline::new();
    let mut clock = at(0);
    (0..len)
        .map(|_| {
            let step = next_step(reference.last(), &mut clock, &mut ch);
            if let Step::Command(command, now) = &step {
                let _ = reference.push(command, *now);
            }
            step
        })
        .collect()
}

#[test]
fn every_failed_write_sync_and_rename_halts_and_reopens_consistently() {
    let history = fixed_history(5, 40);
    let snapshots = history.iter().filter(|s| **s == Step::Snapshot).count();
    assert!(snapshots >= 2, "{snapshots} snapshots");
    let mut total = Stats::default();
    for options in [
        options(Commit::Group, Some(600)),
        options(Commit::PerWrite, None),
    ] {
        for kind in [OpKind::Write, OpKind::Sync, OpKind::Rename] {
            let mut failed = 0;
            for n in 1.. {
                let s = Arc::new(SimStorage::new());
                s.fail_nth(kind, n);
                let mut c = Checker::new(options.clone());
                let what = format!("{options:?}, {kind:?} #{n} fails");
                let fail = |e: String| -> ! { panic!("{what}: {e}") };
                let rest = match c.open(&s, true).unwrap_or_else(|e| fail(e)) {
                    // It failed the open: nothing was acknowledged.
                    None => 0,
                    Some(r) => match c.run_steps(&r, &history).unwrap_or_else(|e| fail(e)) {
                        Ran::All => break,
                        Ran::Failed(i) => i + 1,
                    },
                };
                failed += 1;
                // What a power loss right after the failure leaves.
                for seed in 0..3 {
                    c.check_fate(&Arc::new(s.crash(seed)))
                        .unwrap_or_else(|e| fail(e));
                }
                // Reopened as it is: consistent, and writing again.
                let r = c
                    .open(&s, false)
                    .unwrap_or_else(|e| fail(e))
                    .expect("opened");
                let ran = c
                    .run_steps(&r, &history[rest..])
                    .unwrap_or_else(|e| fail(e));
                assert_eq!(ran, Ran::All, "{what}");
                drop(r);
                c.check_fate(&Arc::new(s.crash(7)))
                    .unwrap_or_else(|e| fail(e));
                total += c.stats;
            }
            eprintln!("{options:?}: {failed} failing {kind:?}s");
            assert!(failed >= if kind == OpKind::Rename { 4 } else { 20 });
        }
    }
    assert!(total.io_errors > 0 && total.beyond_acked > 0, "{total:?}");
}
