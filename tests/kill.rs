//! Real process kills (issue 5, crash tests): a child process writes to a journaled registry and
//! is killed with SIGKILL at random moments; the parent reopens the directory and checks the
//! durability contract.
//!
//! The child is this test binary re-executed (no extra binary): `kill_child_process`, an
//! ignored test run with `--ignored --exact`, opens the registry in the directory the parent
//! names (a [`DirStorage`](np700::journal::storage::DirStorage) through `Registry::open`),
//! runs commands drawn deterministically from a seed and the state, and prints a line on its
//! stdout after each call returns (`ACK i` or `REFUSED i`), before and after each explicit
//! snapshot (`SNAP i` / `SNAPPED i`), and once recovered (`READY`). The parent kills it —
//! after a random delay, right after a `SNAP` line, or while it is still recovering — reopens
//! the same directory (which every later cycle reuses: recovery of recovery), and rebuilds the
//! expected states from the same seed with a plain [`State`]: the recovered state must be
//! exactly the state after the first *k* commands of the cycle for some *k* at least the number
//! of calls that returned (a single writer has at most one call in flight, so *k* is that
//! number or one more).
//!
//! A SIGKILL cannot tear a write of one page (the kernel checks for a fatal signal only between
//! pages), so torn tails would be rare; some cycles therefore also leave after the kill what a
//! torn write leaves (a record cut short, a batch without its end, garbage), and recovery must
//! cut it, report it in `Recovery::cut` and still yield the prefix.
//!
//! `NP700_KILL_CYCLES` overrides the number of cycles (default 240), `NP700_KILL_SEED` the seed.

use np700::index::layout::Capacity;
use np700::journal::record::{self, SEGMENT_HEADER_LEN};
use np700::journal::{Commit, JournalOptions, Recovery};
use np700::registry::OpenOptions;
use np700::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const T0: u64 = 1_767_225_600;

/// splitmix64: deterministic, shared by the child and the parent.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

fn mgmt(i: u64) -> ManagementNumber {
    ManagementNumber::new(70010000000 + i).unwrap()
}
fn subscriber(i: u64) -> SubscriberNumber {
    SubscriberNumber::from_e164(8613800000000 + i).unwrap()
}

/// The clock of command `i` of cycle `cycle`: cycles are far apart, so bindings made in one
/// expire and their quarantines end in later ones (sweeps then write batches of many events).
fn now_of(cycle: u64, i: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + cycle * 20_000 + i * 5)
}

/// Live bindings the command mix keeps the state around.
const LIVE_TARGET: usize = 120;
/// Usage numbers used on the first management number (AXB, AXYB, GXB) and parties.
const XS: u64 = 30;
const PARTIES: u64 = 80;

/// The next command, drawn from `rng` and the state it will run on (so the parent, holding the
/// same state and seed, draws the same one).
fn next_command(s: &State, rng: &mut Rng, now: Timestamp) -> Command {
    let tenant = TenantId::from_raw(1);
    if s.tenant(tenant).is_none() {
        return Command::RegisterTenant {
            name: "parcels".into(),
            scenarios: vec![],
            pair_cap: None,
        };
    }
    if s.pool().blocks().is_empty() {
        return Command::LicenseBlock(LicensedBlock {
            first: mgmt(0),
            count: 2,
        });
    }
    for m in [mgmt(0), mgmt(1)] {
        if s.pool().holder(m).is_none() {
            return Command::AssignNumber {
                tenant,
                number: m,
                tags: vec![],
            };
        }
    }
    let live: Vec<BindingId> = s.bindings().map(|b| b.id).collect();
    let x = |rng: &mut Rng| NumberChoice::Given(mgmt(0).usage(rng.below(XS) as u16).unwrap());
    let party = |rng: &mut Rng| subscriber(rng.below(PARTIES));
    let pick = |rng: &mut Rng| live[rng.below(live.len() as u64) as usize];
    let expires_at = |rng: &mut Rng| now.plus_secs(60 + rng.below(30_000));
    let request = |parties, rng: &mut Rng| BindRequest {
        tenant,
        parties,
        expires_at: expires_at(rng),
        policy: Policy {
            record: rng.below(2) == 0,
            ..Policy::default()
        },
        order_id: format!("order-{}", rng.below(1_000_000)),
        consent_ref: "consent".into(),
        external_ref: String::new(),
    };
    let over = live.len() > LIVE_TARGET;
    match rng.below(100) {
        // More unbinds once the state is over its target size.
        r if !live.is_empty() && (r < 20 || (over && r < 50)) => Command::Unbind {
            tenant,
            binding: pick(rng),
        },
        20..=54 => {
            let parties = Parties::Axb {
                a: party(rng),
                x: x(rng),
                b: party(rng),
            };
            Command::Bind(request(parties, rng))
        }
        55..=61 => {
            let a = party(rng);
            let parties = Parties::Axn {
                a,
                x: NumberChoice::Auto(Selection {
                    tag: None,
                    sticky_for: Some(a),
                }),
                n: (rng.below(2) == 0).then(|| party(rng)),
            };
            Command::Bind(request(parties, rng))
        }
        62..=65 => {
            let parties = Parties::Axyb {
                a: party(rng),
                x: x(rng),
                y: x(rng),
                b: party(rng),
            };
            Command::Bind(request(parties, rng))
        }
        66..=68 => {
            let group = (0..1 + rng.below(3)).map(|_| party(rng)).collect();
            let parties = Parties::Gxb {
                group,
                x: x(rng),
                b: party(rng),
            };
            Command::Bind(request(parties, rng))
        }
        69..=80 if !live.is_empty() => {
            let binding = pick(rng);
            let counterpart = match rng.below(3) {
                0 => Some(Counterpart::B(party(rng))),
                _ => None,
            };
            let expires_at = (rng.below(2) == 0).then(|| expires_at(rng));
            let policy = (rng.below(3) == 0).then(|| Policy {
                record: rng.below(2) == 0,
                ..Policy::default()
            });
            Command::Update {
                tenant,
                binding,
                counterpart,
                expires_at,
                policy,
            }
        }
        81..=84 if !live.is_empty() => Command::Suspend {
            tenant,
            binding: pick(rng),
        },
        85..=88 if !live.is_empty() => Command::Resume {
            tenant,
            binding: pick(rng),
        },
        89..=90 => Command::RecordViolation {
            tenant,
            kind: np700::tenant::ViolationKind::Marketing,
            note: format!("n{}", rng.below(1000)),
        },
        _ => Command::Sweep,
    }
}

/// Runs command `i` of a cycle on the plain state (what the child ran on its registry).
fn step(s: &mut State, rng: &mut Rng, cycle: u64, i: u64) {
    let now = now_of(cycle, i);
    let c = next_command(s, rng, now);
    let _ = s.execute(&c, now);
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the parent test"))
}

fn child_options(commit: Commit, snapshot_after_bytes: u64) -> OpenOptions {
    OpenOptions {
        archive: np700::archive::ArchiveOptions::default(),
        capacity: Capacity::for_bindings(1_000),
        shared_index: None,
        journal: JournalOptions {
            commit,
            snapshot_after_bytes: Some(snapshot_after_bytes),
        },
    }
}

/// The child: recovers, then runs commands and reports each return, until it is killed.
#[test]
#[ignore = "entry point of the child processes spawned by sigkill_at_random_moments_keeps_a_prefix_with_every_acknowledged_write"]
fn kill_child_process() {
    let dir = PathBuf::from(env("NP700_KILL_DIR"));
    let seed: u64 = env("NP700_KILL_CHILD_SEED").parse().unwrap();
    let cycle: u64 = env("NP700_KILL_CYCLE").parse().unwrap();
    let commit = match env("NP700_KILL_COMMIT").as_str() {
        "group" => Commit::Group,
        "per-write" => Commit::PerWrite,
        _ => Commit::NotDurable,
    };
    let snapshot_after: u64 = env("NP700_KILL_SNAPSHOT_AFTER").parse().unwrap();
    let out = std::io::stdout();
    let say = |line: std::fmt::Arguments| {
        // One write per line, straight to the pipe: what the parent reads was said.
        let mut o = out.lock();
        o.write_fmt(format_args!("{line}\n")).unwrap();
        o.flush().unwrap();
    };
    say(format_args!("OPENING"));
    let options = child_options(commit, snapshot_after);
    let (registry, recovery) = Registry::open(&dir, Config::default(), options).expect("open");
    say(format_args!("READY {}", recovery.last_seq));
    let mut rng = Rng(seed);
    // Snapshot decisions draw from their own generator: the parent needs only the commands.
    let mut snapshots = Rng(seed ^ 0x5a5a_5a5a_5a5a_5a5a);
    for i in 0.. {
        let now = now_of(cycle, i);
        let c = registry.with_state(|s| next_command(s, &mut rng, now));
        match registry.execute(&c, now) {
            Ok(_) => say(format_args!("ACK {i}")),
            Err(e @ (Error::Io { .. } | Error::Halted { .. } | Error::Corrupt { .. })) => {
                panic!("command {i}: journal failed: {e}")
            }
            Err(_) => say(format_args!("REFUSED {i}")),
        }
        if snapshots.below(6) == 0 {
            say(format_args!("SNAP {i}"));
            let seq = registry.snapshot().expect("snapshot");
            say(format_args!("SNAPPED {i} {seq}"));
        }
    }
}

/// What the directory held after a kill, before it was reopened.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// What a torn write leaves after the last whole record of the last segment; returns the bytes
/// appended and the segment's length before, or `None` if the segment does not end cleanly
/// (a tail recovery will cut anyway) or there is none.
fn leave_torn_tail(dir: &Path, names: &[String], rng: &mut Rng) -> Option<(u64, u64)> {
    let last = names.iter().rev().find(|n| n.ends_with(".journal"))?;
    let path = dir.join(last);
    let bytes = std::fs::read(&path).ok()?;
    let base = record::parse_segment_header(&bytes).ok()?;
    let (mut at, mut seq, mut synced) = (SEGMENT_HEADER_LEN, base, 0);
    while at < bytes.len() {
        let (r, len) = record::decode_record(&bytes[at..]).ok()?;
        if !r.end_of_batch && at + len == bytes.len() {
            return None;
        }
        (at, seq, synced) = (at + len, r.seq + 1, r.synced);
    }
    let mut whole = Vec::new();
    let event = Event::QuarantinesPruned {
        at: Timestamp::from_unix_secs(T0),
    };
    let tail = match rng.below(3) {
        // A record cut short.
        0 => {
            record::encode_record(&mut whole, seq, synced, true, &event).unwrap();
            let keep = 1 + rng.below(whole.len() as u64 - 1) as usize;
            whole[..keep].to_vec()
        }
        // A whole record of a command whose last record never came.
        1 => {
            record::encode_record(&mut whole, seq, synced, false, &event).unwrap();
            whole
        }
        // Garbage (a block the file system allocated but never wrote).
        _ => (0..1 + rng.below(300)).map(|_| rng.next() as u8).collect(),
    };
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).ok()?;
    f.write_all(&tail).unwrap();
    Some((bytes.len() as u64, tail.len() as u64))
}

#[derive(Debug, Default)]
struct Tally {
    cycles: u64,
    killed_while_recovering: u64,
    killed_in_explicit_snapshot: u64,
    left_temp_snapshot: u64,
    left_two_snapshots: u64,
    left_several_segments: u64,
    left_headerless_segment: u64,
    cut_natural: u64,
    cut_injected: u64,
    removed_at_recovery: u64,
    in_flight_recovered: u64,
    calls_returned: u64,
    snapshots_completed: u64,
    max_child_recovery_last_seq: u64,
}

#[test]
fn sigkill_at_random_moments_keeps_a_prefix_with_every_acknowledged_write() {
    let started = Instant::now();
    let cycles: u64 = std::env::var("NP700_KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(240);
    let seed: u64 = std::env::var("NP700_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6b11_1700);
    let dir = std::env::temp_dir().join(format!("np700-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut master = Rng(seed);
    let mut tally = Tally::default();
    // The state the directory holds (checked at every reopen).
    let mut expected_start = State::new(Config::default());

    for cycle in 0..cycles {
        let child_seed = master.next();
        let (commit, commit_name) = match cycle % 10 {
            3 | 6 => (Commit::PerWrite, "per-write"),
            // A SIGKILL keeps the page cache: even writes acknowledged before their sync stay.
            9 => (Commit::NotDurable, "not-durable"),
            _ => (Commit::Group, "group"),
        };
        let snapshot_after = [1_024u64, 4_096, 16_384][master.below(3) as usize];
        let mut child = Process::new(&exe)
            .args([
                "--exact",
                "kill_child_process",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("NP700_KILL_DIR", &dir)
            .env("NP700_KILL_CHILD_SEED", child_seed.to_string())
            .env("NP700_KILL_CYCLE", cycle.to_string())
            .env("NP700_KILL_COMMIT", commit_name)
            .env("NP700_KILL_SNAPSHOT_AFTER", snapshot_after.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let errors = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });

        // When to kill.
        let mut lines = Vec::new();
        let wait_for = |want: &mut dyn FnMut(&str) -> bool, lines: &mut Vec<String>| -> bool {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(line) => {
                        let hit = want(&line);
                        lines.push(line);
                        if hit {
                            return true;
                        }
                    }
                    Err(_) => return false,
                }
            }
        };
        let how = master.below(10);
        let reached = match how {
            // While it recovers (or even before): a kill in the middle of recovery.
            0 => {
                let opening = wait_for(&mut |l| l.ends_with("OPENING"), &mut lines);
                std::thread::sleep(Duration::from_micros(master.below(4_000)));
                opening
            }
            // Right after the n-th "snapshot starting" line, give or take a few ms.
            1..=4 => {
                let mut n = 1 + master.below(3);
                let ok = wait_for(
                    &mut |l| {
                        if l.starts_with("SNAP ") {
                            n -= 1;
                        }
                        n == 0
                    },
                    &mut lines,
                );
                let delay = match master.below(3) {
                    0 => 0,
                    1 => master.below(2_000),
                    _ => master.below(20_000),
                };
                std::thread::sleep(Duration::from_micros(delay));
                ok
            }
            // At a random moment of the writing.
            _ => {
                let ok = wait_for(&mut |l| l.starts_with("READY"), &mut lines);
                std::thread::sleep(Duration::from_micros(master.below(60_000)));
                ok
            }
        };
        let exited_early = child.try_wait().unwrap();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        let errors = errors.join().unwrap();
        assert!(
            reached && exited_early.is_none(),
            "cycle {cycle}: the child stopped on its own or never got where it was to be killed \
             ({status:?}, way {how}):\n{}\n{errors}",
            lines.join("\n")
        );

        // What the child said.
        let ready = lines.iter().any(|l| l.starts_with("READY"));
        let mut returned = 0u64;
        let mut in_snapshot = false;
        for l in &lines {
            let mut w = l.split_whitespace();
            match (w.next(), w.next().and_then(|i| i.parse::<u64>().ok())) {
                (Some("ACK" | "REFUSED"), Some(i)) => {
                    assert_eq!(i, returned, "cycle {cycle}: calls out of order");
                    returned = i + 1;
                }
                (Some("SNAP"), Some(_)) => in_snapshot = true,
                (Some("SNAPPED"), Some(_)) => {
                    in_snapshot = false;
                    tally.snapshots_completed += 1;
                }
                _ => {}
            }
        }
        if let Some(l) = lines.iter().find(|l| l.starts_with("READY")) {
            let seq = l[6..].parse().unwrap_or(0);
            tally.max_child_recovery_last_seq = tally.max_child_recovery_last_seq.max(seq);
        }
        tally.cycles += 1;
        tally.calls_returned += returned;
        tally.killed_while_recovering += u64::from(!ready);
        tally.killed_in_explicit_snapshot += u64::from(in_snapshot);

        // What it left.
        let names = listing(&dir);
        let count = |suffix: &str| names.iter().filter(|n| n.ends_with(suffix)).count();
        tally.left_temp_snapshot += u64::from(count(".tmp") > 0);
        tally.left_two_snapshots += u64::from(count(".snapshot") > 1);
        tally.left_several_segments += u64::from(count(".journal") > 1);
        tally.left_headerless_segment += u64::from(names.iter().any(|n| {
            n.ends_with(".journal")
                && std::fs::metadata(dir.join(n)).is_ok_and(|m| m.len() < SEGMENT_HEADER_LEN as u64)
        }));
        let injected = if master.below(6) == 0 {
            leave_torn_tail(&dir, &names, &mut master)
        } else {
            None
        };

        // Reopen and check.
        let (registry, recovery): (Registry, Recovery) =
            Registry::open(&dir, Config::default(), OpenOptions::default()).unwrap_or_else(|e| {
                panic!("cycle {cycle}: reopen failed: {e}\nfiles: {names:?}\n{lines:?}")
            });
        let recovered = registry.with_state(State::clone);
        drop(registry);
        match (&recovery.cut, injected) {
            (Some(cut), Some((len, bytes))) => {
                assert_eq!((cut.offset, cut.bytes), (len, bytes), "cycle {cycle}");
                tally.cut_injected += 1;
            }
            (None, Some(_)) => panic!("cycle {cycle}: a torn tail was not reported"),
            (Some(_), None) => tally.cut_natural += 1,
            (None, None) => {}
        }
        tally.removed_at_recovery += recovery.removed.len() as u64;

        let mut expected = expected_start.clone();
        let mut rng = Rng(child_seed);
        if ready {
            for i in 0..returned {
                step(&mut expected, &mut rng, cycle, i);
            }
        }
        if recovered != expected {
            // The call in flight when the child was killed may have been written.
            assert!(
                ready,
                "cycle {cycle}: killed while recovering, the state changed"
            );
            step(&mut expected, &mut rng, cycle, returned);
            assert!(
                recovered == expected,
                "cycle {cycle} ({commit:?}): the recovered state is not the state after {returned} \
                 or {} commands (last seq {}, {} bindings recovered, {} expected)\n\
                 files before reopening: {names:?}\nrecovery: {recovery:?}\nchild: {lines:?}",
                returned + 1,
                recovery.last_seq,
                recovered.bindings().count(),
                expected.bindings().count(),
            );
            tally.in_flight_recovered += 1;
        }
        expected_start = recovered;
    }
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{cycles} kill cycles in {:.1} s: {tally:?}",
        elapsed.as_secs_f64()
    );
    assert_eq!(tally.cycles, cycles);
    if cycles >= 200 {
        // The moments the test is for were reached.
        assert!(tally.killed_in_explicit_snapshot >= 10, "{tally:?}");
        assert!(tally.killed_while_recovering >= 5, "{tally:?}");
        assert!(tally.cut_injected >= 10, "{tally:?}");
        assert!(
            tally.left_temp_snapshot + tally.left_two_snapshots + tally.left_several_segments >= 5,
            "no kill left a snapshot or a rotation half done: {tally:?}"
        );
        assert!(tally.calls_returned >= 1_000, "{tally:?}");
    }
}
