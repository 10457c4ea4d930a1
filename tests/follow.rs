//! Followers: replicas that tail a writer's journal directory (in this process, on another
//! thread, in another process) or take events from a channel, apply them to their own state and
//! index, and route as the writer does.
//!
//! The process test re-executes this binary (no extra binary) as the follower.

use np700::journal::follow::{self, EventSource, FollowOptions, Follower, JournalSource, Reload};
use np700::journal::sim::SimStorage;
use np700::journal::storage::{DirStorage, Storage};
use np700::journal::{Commit, JournalOptions, segment_name, snapshot};
use np700::registry::OpenOptions;
use np700::state::State;
use np700::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const T0: u64 = 1_767_225_600;
/// Usage numbers the tests bind on (one management number).
const PAIRS: u64 = 400;

fn first() -> ManagementNumber {
    ManagementNumber::new(70010000000).unwrap()
}
fn x(i: u64) -> UsageNumber {
    first().usage(i as u16).unwrap()
}
fn a(i: u64) -> SubscriberNumber {
    SubscriberNumber::from_e164(8613000000000 + i).unwrap()
}
fn b(i: u64) -> SubscriberNumber {
    SubscriberNumber::from_e164(8615000000000 + i).unwrap()
}
fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs)
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("np700-follow-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options(commit: Commit, snapshot_after_bytes: Option<u64>) -> OpenOptions {
    OpenOptions {
        journal: JournalOptions {
            commit,
            snapshot_after_bytes,
        },
        ..OpenOptions::default()
    }
}

/// A writer, counting events (the seq of the last one written) and keeping the seq at the end
/// of every command.
struct Writer {
    r: Registry,
    seq: u64,
    ends: BTreeSet<u64>,
    now: u64,
    /// The state after every command, when kept.
    history: Option<Vec<(u64, State)>>,
}

impl Writer {
    fn new(r: Registry, seq: u64) -> Writer {
        Writer {
            r,
            seq,
            ends: BTreeSet::from([seq]),
            now: 0,
            history: None,
        }
    }

    /// Keeps the state after every command from now on.
    fn keep_history(&mut self) {
        self.history = Some(vec![(self.seq, self.state())]);
    }

    /// The state after the command that ended at `seq`.
    fn state_at(&self, seq: u64) -> Option<&State> {
        let h = self.history.as_ref()?;
        h.iter().rev().find(|(s, _)| *s == seq).map(|(_, st)| st)
    }

    fn run(&mut self, c: Command) -> Result<(), Error> {
        let events = self.r.execute(&c, at(self.now))?;
        if !events.is_empty() {
            self.seq += events.len() as u64;
            self.ends.insert(self.seq);
            let st = self.history.is_some().then(|| self.state());
            if let (Some(h), Some(st)) = (&mut self.history, st) {
                h.push((self.seq, st));
            }
        }
        Ok(())
    }

    fn provision(&mut self) {
        self.run(Command::RegisterTenant {
            name: "parcels".into(),
            scenarios: vec![],
            pair_cap: None,
        })
        .unwrap();
        self.run(Command::LicenseBlock(LicensedBlock {
            first: first(),
            count: 1,
        }))
        .unwrap();
        self.run(Command::AssignNumber {
            tenant: TenantId::from_raw(1),
            number: first(),
            tags: vec![],
        })
        .unwrap();
    }

    /// Binds pair `i` (A_i, X_i, B_i) for `ttl` seconds; `false` if it cannot be (bound already,
    /// in quarantine).
    fn bind(&mut self, i: u64, ttl: u64) -> bool {
        self.run(Command::Bind(BindRequest {
            tenant: TenantId::from_raw(1),
            parties: Parties::Axb {
                a: a(i),
                x: NumberChoice::Given(x(i)),
                b: b(i),
            },
            expires_at: at(self.now + ttl),
            policy: Policy::default(),
            order_id: format!("o{i}"),
            consent_ref: "consent".into(),
            external_ref: String::new(),
        }))
        .is_ok()
    }

    /// Unbinds the live binding of pair `i`, if there is one.
    fn unbind(&mut self, i: u64) -> bool {
        let id = self.r.with_state(|s| {
            s.bindings()
                .find(|bd| matches!(bd.parties, Parties::Axb { a: pa, .. } if pa == a(i)))
                .map(|bd| bd.id)
        });
        id.is_some_and(|binding| {
            self.run(Command::Unbind {
                tenant: TenantId::from_raw(1),
                binding,
            })
            .is_ok()
        })
    }

    /// Moves the clock on and sweeps (one command, many events when many bindings expire).
    fn sweep(&mut self, after: u64) {
        self.now += after;
        self.run(Command::Sweep).unwrap();
    }

    fn state(&self) -> State {
        self.r.with_state(State::clone)
    }
}

fn state_of<S: EventSource>(f: &Follower<S>) -> State {
    f.with_state(State::clone)
}

/// Polls until a poll brings nothing new; returns whether any poll reloaded.
fn catch_up<S: EventSource>(f: &Follower<S>) -> bool {
    let mut reloaded = false;
    loop {
        let p = f.poll().expect("poll");
        reloaded |= p.reloaded.is_some();
        if p.applied == 0 && p.reloaded.is_none() && p.skipped == 0 {
            return reloaded;
        }
    }
}

/// The follower routes every pair (both directions, and a stranger) as the writer does.
fn assert_routes_equal<S: EventSource>(w: &Writer, f: &Follower<S>, pairs: u64, what: &str) {
    let stranger = SubscriberNumber::from_e164(8619000000000).unwrap();
    let now = at(w.now);
    for i in 0..pairs {
        for caller in [a(i), b(i), stranger] {
            let d = DialedNumber::Usage(x(i));
            let want = w.r.route_dialed(Some(caller), d, Media::Voice, now);
            let got = f.route_dialed(Some(caller), d, Media::Voice, now);
            assert_eq!(got, want, "{what}: pair {i}, caller {caller}");
        }
    }
}

fn sim_writer(s: &Arc<SimStorage>, o: &OpenOptions, seq: u64) -> Writer {
    let (r, rec) = Registry::open_storage(
        Arc::clone(s) as Arc<dyn Storage>,
        Config::default(),
        o.clone(),
    )
    .expect("open the writer");
    assert_eq!(rec.last_seq, seq);
    Writer::new(r, seq)
}

fn sim_follower(s: &Arc<SimStorage>) -> Follower {
    Follower::open_storage(
        Arc::clone(s) as Arc<dyn Storage>,
        Config::default(),
        FollowOptions {
            capacity: np700::index::layout::Capacity::for_bindings(16),
            shared_index: None,
        },
    )
    .expect("open the follower")
}

#[test]
fn a_follower_on_the_writers_directory_equals_it_after_every_poll() {
    let dir = TempDir::new("same-process");
    let (r, _) =
        Registry::open(dir.path(), Config::default(), options(Commit::Group, None)).unwrap();
    let mut w = Writer::new(r, 0);
    let f = Follower::open(dir.path(), Config::default(), FollowOptions::default()).unwrap();
    assert_eq!(f.last_seq(), 0);
    assert_eq!(state_of(&f), w.state());
    w.provision();
    for round in 0..40u64 {
        for i in round * 5..round * 5 + 5 {
            assert!(w.bind(i, 100 + i % 7));
        }
        if round % 3 == 1 {
            w.unbind(round * 5 - 3);
        }
        if round % 10 == 9 {
            w.sweep(120);
        }
        let p = f.poll().unwrap();
        assert_eq!(p.last_seq, w.seq, "round {round}");
        assert_eq!(f.last_seq(), w.seq);
        assert!(p.applied > 0 && p.reloaded.is_none(), "{p:?}");
        assert_eq!(state_of(&f), w.state(), "round {round}");
        assert_routes_equal(&w, &f, round * 5 + 5, "same process");
    }
    // Nothing new: nothing applied.
    let p = f.poll().unwrap();
    assert_eq!((p.applied, p.skipped, p.reloaded), (0, 0, None));
}

#[test]
fn a_follower_follows_rotations_and_snapshots_and_catches_up_after_falling_behind() {
    let s = Arc::new(SimStorage::new());
    let o = options(Commit::NotDurable, None);
    let mut w = sim_writer(&s, &o, 0);
    w.provision();
    let keeping_up = sim_follower(&s);
    let behind = sim_follower(&s);
    let mut files_seen = BTreeSet::new();
    for i in 0..300 {
        w.bind(i % PAIRS, 50 + i % 13);
        if i % 4 == 0 {
            w.unbind((i + PAIRS - 9) % PAIRS);
        }
        if i % 50 == 49 {
            w.sweep(60);
        }
        let p = keeping_up.poll().unwrap();
        if i % 20 == 19 {
            // A snapshot after the follower read everything: it moves on to the new segment
            // and never needs the snapshot.
            w.r.snapshot().unwrap();
        }
        files_seen.extend(s.list().unwrap());
        assert_eq!(p.reloaded, None, "a follower that keeps up never reloads");
        assert_eq!(p.last_seq, w.seq);
        assert_eq!(state_of(&keeping_up), w.state(), "write {i}");
    }
    let segments = files_seen
        .iter()
        .filter(|n| n.ends_with(".journal"))
        .count();
    assert!(segments >= 15, "only {segments} segments: {files_seen:?}");
    assert_routes_equal(&w, &keeping_up, PAIRS, "kept up");
    // The other one has not polled since it opened: the segments it needed are gone.
    assert!(catch_up(&behind), "reloaded from the newest snapshot");
    assert_eq!(behind.last_seq(), w.seq);
    assert_eq!(state_of(&behind), w.state());
    assert_routes_equal(&w, &behind, PAIRS, "caught up");
    // A new follower starts from the newest snapshot, not from the first event.
    let fresh = sim_follower(&s);
    assert_eq!(state_of(&fresh), w.state());
}

/// Snapshots taken within a write (the segment crossed its size) remove the segment at once:
/// a follower that had not read that write's events yet reloads, and ends equal either way.
#[test]
fn a_follower_reloads_when_a_snapshot_within_a_write_removed_what_it_had_not_read() {
    let s = Arc::new(SimStorage::new());
    let mut w = sim_writer(&s, &options(Commit::NotDurable, Some(3_000)), 0);
    w.provision();
    w.keep_history();
    let f = sim_follower(&s);
    let mut reloads = 0;
    for i in 0..300 {
        w.bind(i % PAIRS, 50 + i % 13);
        if i % 3 == 0 {
            w.unbind((i + PAIRS - 9) % PAIRS);
        }
        let p = f.poll().unwrap();
        reloads += u64::from(p.reloaded.is_some());
        assert!(w.state_at(p.last_seq) == Some(&state_of(&f)), "write {i}");
        assert_eq!(p.last_seq, w.seq);
    }
    assert!(reloads >= 5, "{reloads} reloads");
    assert_routes_equal(&w, &f, PAIRS, "reloaded");
}

#[test]
fn a_follower_never_applies_part_of_a_command_and_waits_for_a_partial_tail() {
    // One segment cut at every byte; commands of one event and one of many (a sweep expiring
    // twenty bindings).
    let s = Arc::new(SimStorage::new());
    let mut w = sim_writer(&s, &options(Commit::NotDurable, None), 0);
    let seg = segment_name(1);
    let mut after = Vec::new();
    let record = |w: &Writer, after: &mut Vec<(usize, u64, State)>| {
        after.push((s.contents(&seg).unwrap().len(), w.seq, w.state()))
    };
    record(&w, &mut after);
    w.run(Command::RegisterTenant {
        name: "parcels".into(),
        scenarios: vec![],
        pair_cap: None,
    })
    .unwrap();
    record(&w, &mut after);
    w.run(Command::LicenseBlock(LicensedBlock {
        first: first(),
        count: 1,
    }))
    .unwrap();
    record(&w, &mut after);
    w.run(Command::AssignNumber {
        tenant: TenantId::from_raw(1),
        number: first(),
        tags: vec![],
    })
    .unwrap();
    record(&w, &mut after);
    for i in 0..20 {
        w.bind(i, 10);
        record(&w, &mut after);
    }
    w.sweep(20);
    record(&w, &mut after);
    assert!(after[after.len() - 1].1 - after[after.len() - 2].1 >= 20);
    w.bind(30, 100);
    record(&w, &mut after);
    let bytes = s.contents(&seg).unwrap();
    for cut in 0..=bytes.len() {
        let partial = Arc::new(SimStorage::new());
        partial.create(&seg).unwrap();
        partial.append(&seg, &bytes[..cut]).unwrap();
        let f = sim_follower(&partial);
        // Every command wholly before the cut, none after it.
        let (_, seq, want) = after
            .iter()
            .rev()
            .find(|(len, ..)| *len <= cut)
            .unwrap_or(&after[0]);
        assert_eq!(f.last_seq(), *seq, "cut at {cut}");
        assert!(state_of(&f) == *want, "cut at {cut}");
        // The rest arrives: the follower completes it.
        partial.append(&seg, &bytes[cut..]).unwrap();
        catch_up(&f);
        assert!(state_of(&f) == w.state(), "cut at {cut}, completed");
    }
}

#[test]
fn damage_that_later_records_claim_durable_is_corrupt_a_torn_tail_is_waited_for() {
    let s = Arc::new(SimStorage::new());
    let mut w = sim_writer(&s, &options(Commit::PerWrite, None), 0);
    w.provision();
    for i in 0..10 {
        w.bind(i, 100);
    }
    let seg = segment_name(1);
    let good = s.contents(&seg).unwrap();
    let f = sim_follower(&s);
    assert_eq!(state_of(&f), w.state());
    // Garbage after the last record: a command being written. Nothing applied, no error.
    let mut torn = good.clone();
    torn.extend_from_slice(&[0xAB; 37]);
    s.set_contents(&seg, torn);
    assert_eq!(f.poll().unwrap().applied, 0);
    assert_eq!(state_of(&f), w.state());
    // A new follower reads up to it too.
    assert_eq!(state_of(&sim_follower(&s)), w.state());
    // The writer (after its recovery cut it) goes on: the follower continues.
    s.set_contents(&seg, good.clone());
    for i in 10..20 {
        w.bind(i, 100);
    }
    catch_up(&f);
    assert_eq!(state_of(&f), w.state());
    // A flipped byte in a record the follower has not read, followed by records saying it
    // was durable: damage, reported with the file, and the follower keeps what it had.
    let before = state_of(&f);
    let read = s.contents(&seg).unwrap().len();
    for i in 20..30 {
        w.bind(i, 100);
    }
    let mut bad = s.contents(&seg).unwrap();
    let at = read + (bad.len() - read) / 3;
    bad[at] ^= 0x40;
    s.set_contents(&seg, bad);
    for _ in 0..2 {
        let err = f.poll().expect_err("damage");
        assert!(
            matches!(&err, Error::Corrupt { file, .. } if *file == seg),
            "{err}"
        );
    }
    assert_eq!(state_of(&f), before);
    let err = Follower::open_storage(
        Arc::clone(&s) as Arc<dyn Storage>,
        Config::default(),
        FollowOptions::default(),
    )
    .err()
    .expect("refused");
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}

#[test]
fn a_follower_continues_across_writer_restarts_and_never_writes() {
    let s = Arc::new(SimStorage::new());
    let o = options(Commit::Group, Some(2_500));
    let mut w = sim_writer(&s, &o, 0);
    w.provision();
    let f = sim_follower(&s);
    for round in 0..6u64 {
        for i in 0..30 {
            w.bind((round * 30 + i) % PAIRS, 1_000);
        }
        let seq = w.seq;
        let ends = std::mem::take(&mut w.ends);
        drop(w);
        // The follower reads while no writer runs, then a restarted writer continues.
        let ops = s.ops();
        catch_up(&f);
        assert_eq!(s.ops(), ops, "the follower wrote to the journal");
        w = sim_writer(&s, &o, seq);
        w.ends = ends;
        w.now = round * 10;
        w.unbind(round);
        catch_up(&f);
        assert_eq!(state_of(&f), w.state(), "round {round}");
    }
}

#[test]
fn a_follower_publishes_a_shared_index_for_its_own_readers() {
    let dir = TempDir::new("shared");
    let shm = dir.path().join("follower.index");
    let journal = dir.path().join("journal");
    let (r, _) = Registry::open(
        &journal,
        Config::default(),
        options(Commit::NotDurable, Some(4_000)),
    )
    .unwrap();
    let mut w = Writer::new(r, 0);
    w.provision();
    let f = Follower::open(
        &journal,
        Config::default(),
        FollowOptions {
            capacity: np700::index::layout::Capacity::for_bindings(8),
            shared_index: Some(shm.clone()),
        },
    )
    .unwrap();
    let reader = np700::index::SharedIndex::attach(&shm).unwrap();
    for i in 0..200 {
        w.bind(i, 1_000);
    }
    catch_up(&f);
    // The index grew (several generations) and the reader followed it.
    assert!(f.index().generation() > 1);
    for i in 0..200 {
        let d = reader.route_dialed(Some(a(i)), DialedNumber::Usage(x(i)), Media::Voice, at(0));
        assert_eq!(
            d,
            w.r.route_dialed(Some(a(i)), DialedNumber::Usage(x(i)), Media::Voice, at(0))
        );
        assert!(matches!(d, Decision::Route(_)), "{d:?}");
    }
    assert_eq!(reader.generation(), f.index().generation());
}

#[test]
fn events_from_a_channel_skip_duplicates_refuse_gaps_and_reload() {
    let s = Arc::new(SimStorage::new());
    let mut w = sim_writer(&s, &options(Commit::NotDurable, Some(2_000)), 0);
    // The producing side: the writer's journal, forwarded to the transport (here a channel).
    let mut tail =
        JournalSource::with_storage(Arc::clone(&s) as Arc<dyn Storage>, Config::default());
    let (tx, rx) = follow::channel();
    let f = Follower::new(rx, Config::default(), FollowOptions::default()).unwrap();
    let forward = |tail: &mut JournalSource, tx: &follow::EventSender| {
        let mut batch = Vec::new();
        if let Some(reload) = tail.poll(&mut batch).unwrap() {
            tx.reload(reload).unwrap();
        }
        let sent = batch.clone();
        tx.send(batch).unwrap();
        sent
    };
    w.provision();
    let mut last = Vec::new();
    for i in 0..120 {
        w.bind(i, 500);
        if i % 5 == 0 {
            w.unbind(i / 2);
        }
        let sent = forward(&mut tail, &tx);
        if !sent.is_empty() {
            last = sent;
        }
        let p = f.poll().unwrap();
        assert_eq!(p.last_seq, w.seq);
        assert_eq!(state_of(&f), w.state(), "bind {i}");
    }
    assert_routes_equal(&w, &f, 120, "channel");
    // Delivered twice: skipped.
    let n = last.len() as u64;
    tx.send(last.clone()).unwrap();
    let p = f.poll().unwrap();
    assert_eq!((p.applied, p.skipped), (0, n));
    // A gap: refused, nothing of the poll applied.
    let before = state_of(&f);
    let seq = f.last_seq();
    w.bind(200, 500);
    w.bind(201, 500);
    let mut fresh = Vec::new();
    assert!(tail.poll(&mut fresh).unwrap().is_none());
    assert_eq!(fresh.len(), 2);
    tx.send(vec![fresh[1].clone()]).unwrap();
    let err = f.poll().expect_err("gap");
    assert!(
        matches!(err, Error::Corrupt { offset, .. } if offset == seq + 1),
        "{err}"
    );
    assert_eq!((state_of(&f), f.last_seq()), (before, seq));
    // The missing event, then the rest (the second a duplicate by then, skipped).
    tx.send(fresh.clone()).unwrap();
    let p = f.poll().unwrap();
    assert_eq!((p.applied, p.last_seq), (2, w.seq));
    assert_eq!(state_of(&f), w.state());
    // A reload (a snapshot carried by the transport) replaces the state, even a follower's
    // that is behind; events sent after it follow it.
    let seq = w.r.snapshot().unwrap();
    let bytes = s.read(&np700::journal::snapshot_name(seq)).unwrap();
    let (held, state) = snapshot::read(&bytes, Config::default()).unwrap();
    let (tx2, rx2) = follow::channel();
    let g = Follower::new(rx2, Config::default(), FollowOptions::default()).unwrap();
    tx2.send(fresh).unwrap(); // a gap for g, but after the reload below: not seen
    tx2.reload(Reload { seq: held, state }).unwrap();
    w.bind(300, 500);
    let more = forward(&mut tail, &tx);
    tx2.send(more).unwrap();
    // g's first poll: the early events, a gap (g has nothing).
    assert!(g.poll().is_err());
    let p = g.poll().unwrap();
    assert_eq!(p.reloaded, Some(seq));
    assert_eq!((p.applied, p.last_seq), (1, w.seq));
    assert_eq!(state_of(&g), w.state());
    f.poll().unwrap();
    assert_eq!(state_of(&f), w.state());
    // Every sender gone and everything received: an error saying so.
    drop(tx);
    drop(tx2);
    assert!(matches!(f.poll(), Err(Error::Io { .. })));
    assert!(matches!(g.poll(), Err(Error::Io { .. })));
}

/// A model-ish random run: writes of every kind, snapshots, writer restarts, followers polling
/// at random (some falling far behind, new ones starting), each checked against the writer.
#[test]
fn random_writes_snapshots_restarts_and_polls_keep_followers_equal_to_the_writer() {
    let (mut reloads, mut polls, mut restarts) = (0, 0, 0);
    for seed in 0..40u64 {
        let mut rng = SplitMix(seed);
        let s = Arc::new(SimStorage::new());
        let o = options(
            [Commit::Group, Commit::PerWrite, Commit::NotDurable][seed as usize % 3],
            [None, Some(1_500), Some(6_000)][(seed / 3) as usize % 3],
        );
        let mut w = sim_writer(&s, &o, 0);
        w.provision();
        w.keep_history();
        let mut followers = vec![sim_follower(&s), sim_follower(&s)];
        let pairs = 60;
        for step in 0..250 {
            match rng.next() % 20 {
                0..=8 => {
                    w.bind(rng.next() % pairs, 5 + rng.next() % 200);
                }
                9..=11 => {
                    w.unbind(rng.next() % pairs);
                }
                12 => w.sweep(rng.next() % 100),
                13 => {
                    w.r.snapshot().unwrap();
                }
                14 => {
                    let (seq, now) = (w.seq, w.now);
                    let (ends, history) = (std::mem::take(&mut w.ends), w.history.take());
                    drop(w);
                    w = sim_writer(&s, &o, seq);
                    (w.ends, w.history, w.now) = (ends, history, now);
                    restarts += 1;
                }
                15 if followers.len() < 4 => followers.push(sim_follower(&s)),
                _ => {
                    // One poll of one follower: a state the writer had after a command.
                    let k = (rng.next() % followers.len() as u64) as usize;
                    let f = &followers[k];
                    let p = f
                        .poll()
                        .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
                    polls += 1;
                    reloads += u64::from(p.reloaded.is_some());
                    let want = w.state_at(p.last_seq).unwrap_or_else(|| {
                        panic!(
                            "seed {seed} step {step}: seq {} is no command's end",
                            p.last_seq
                        )
                    });
                    assert!(
                        state_of(f) == *want,
                        "seed {seed} step {step}: follower {k}"
                    );
                }
            }
        }
        for (k, f) in followers.iter().enumerate() {
            reloads += u64::from(catch_up(f));
            assert_eq!(f.last_seq(), w.seq, "seed {seed}: follower {k}");
            assert!(state_of(f) == w.state(), "seed {seed}: follower {k}");
            assert_routes_equal(&w, f, pairs, "random");
        }
    }
    assert!(
        reloads >= 20 && polls >= 1_000 && restarts >= 40,
        "{reloads} reloads, {polls} polls, {restarts} writer restarts"
    );
}

/// A small deterministic generator (no dependency needed).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The writer on one thread, a follower polling in a loop on another: every state the follower
/// shows is the writer's after some command, and it ends equal.
#[test]
fn a_follower_on_another_thread_only_ever_shows_whole_commands() {
    let dir = TempDir::new("thread");
    let (r, _) = Registry::open(
        dir.path(),
        Config::default(),
        options(Commit::Group, Some(8_000)),
    )
    .unwrap();
    let mut w = Writer::new(r, 0);
    w.provision();
    w.keep_history();
    let f =
        Arc::new(Follower::open(dir.path(), Config::default(), FollowOptions::default()).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let poller = {
        let (f, stop, seen) = (Arc::clone(&f), Arc::clone(&stop), Arc::clone(&seen));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                let p = f.poll().expect("poll");
                if p.applied > 0 || p.reloaded.is_some() {
                    let st = state_of(&f);
                    seen.lock().unwrap().push((p.last_seq, st));
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    for i in 0..300 {
        w.bind(i % PAIRS, 30 + i % 50);
        if i % 3 == 0 {
            w.unbind((i + 7) % PAIRS);
        }
        if i % 40 == 39 {
            w.sweep(40);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while f.last_seq() < w.seq && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Release);
    poller.join().unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 10, "only {} polls saw something", seen.len());
    for (seq, st) in seen.iter() {
        let want = w.state_at(*seq);
        let Some(want) = want else {
            panic!("seq {seq} is no command's end")
        };
        assert!(
            st == want,
            "the follower's state at seq {seq} differs from the writer's"
        );
    }
    assert_eq!(state_of(&f), w.state());
    assert_routes_equal(&w, &f, PAIRS, "thread");
}

/// The follower process: follows `NP700_FOLLOW_DIR` until the stop file appears, checking every
/// route of the known pairs on the way; then catches up, writes its state as a snapshot and
/// prints the seqs it stopped at.
#[test]
#[ignore = "entry point of the follower process spawned by a_follower_in_another_process_follows_the_writer"]
fn follower_process() {
    let dir = PathBuf::from(std::env::var("NP700_FOLLOW_DIR").expect("run by the parent test"));
    let journal = dir.join("journal");
    let f = Follower::open(&journal, Config::default(), FollowOptions::default()).unwrap();
    let mut stops = Vec::new();
    let (mut polls, mut reloads, mut routes) = (0u64, 0u64, 0u64);
    let stop = dir.join("stop");
    loop {
        let stopping = stop.exists();
        let p = f.poll().expect("poll");
        polls += 1;
        reloads += u64::from(p.reloaded.is_some());
        if p.applied > 0 || p.reloaded.is_some() {
            stops.push(p.last_seq);
        } else if stopping {
            break;
        }
        for i in 0..PAIRS {
            let d = f.route_dialed(Some(a(i)), DialedNumber::Usage(x(i)), Media::Voice, at(0));
            if let Decision::Route(r) = d {
                assert_eq!(r.to.first(), Some(b(i)), "pair {i} routed to someone else");
                routes += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    let out = DirStorage::new(dir.join("out")).unwrap();
    let st = state_of(&f);
    snapshot::write(&out, "state", f.last_seq(), &st).unwrap();
    println!(
        "FOLLOWER polls={polls} reloads={reloads} routes={routes} stops={}",
        stops
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
}

#[test]
fn a_follower_in_another_process_follows_the_writer() {
    let dir = TempDir::new("process");
    let journal = dir.path().join("journal");
    let o = options(Commit::Group, Some(6_000));
    let (r, _) = Registry::open(&journal, Config::default(), o.clone()).unwrap();
    let mut w = Writer::new(r, 0);
    w.provision();
    let exe = std::env::current_exe().unwrap();
    let child = Process::new(&exe)
        .args([
            "--exact",
            "follower_process",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("NP700_FOLLOW_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for i in 0..600 {
        w.bind(i % PAIRS, 20 + i % 30);
        if i % 2 == 0 {
            w.unbind((i + 11) % PAIRS);
        }
        if i % 100 == 99 {
            w.sweep(30);
        }
        if i == 300 {
            // A writer restart in the middle.
            let (seq, ends, now) = (w.seq, std::mem::take(&mut w.ends), w.now);
            drop(w);
            let (r, rec) = Registry::open(&journal, Config::default(), o.clone()).unwrap();
            assert_eq!(rec.last_seq, seq);
            w = Writer::new(r, seq);
            (w.ends, w.now) = (ends, now);
        }
        if i % 50 == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    std::fs::write(dir.path().join("stop"), b"stop").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "follower failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.contains("FOLLOWER"))
        .unwrap_or_else(|| panic!("no report in:\n{stdout}"));
    let stops: Vec<u64> = line
        .split("stops=")
        .nth(1)
        .unwrap()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(stops.len() > 5, "{line}");
    for seq in &stops {
        assert!(
            w.ends.contains(seq),
            "the follower stopped within a command at {seq}: {line}"
        );
    }
    let bytes = std::fs::read(dir.path().join("out").join("state")).unwrap();
    let (seq, st) = snapshot::read(&bytes, Config::default()).unwrap();
    assert_eq!(seq, w.seq, "{line}");
    assert!(
        st == w.state(),
        "the follower process's state differs from the writer's"
    );
}

/// A segment that does not start where the previous one ends is a gap (reported once seen
/// again); a next segment whose header never became whole (a writer stopped while creating
/// it, which its recovery removes) is waited for, and the follower goes back to the previous
/// one when it disappears.
#[test]
fn a_gap_between_segments_is_corrupt_and_a_torn_new_segment_is_waited_for() {
    let s = Arc::new(SimStorage::new());
    let mut w = sim_writer(&s, &options(Commit::NotDurable, None), 0);
    w.provision();
    for i in 0..5 {
        w.bind(i, 100);
    }
    let f = sim_follower(&s);
    assert_eq!(f.last_seq(), w.seq);
    // A torn next segment.
    let torn = segment_name(w.seq + 1);
    s.create(&torn).unwrap();
    s.append(&torn, &[0x4e; 10]).unwrap();
    for _ in 0..100 {
        assert_eq!(f.poll().unwrap().applied, 0);
    }
    // The writer's recovery removes it and continues the last segment.
    s.remove(&torn).unwrap();
    drop(w);
    let mut w = sim_writer(&s, &options(Commit::NotDurable, None), 8);
    w.bind(5, 100);
    catch_up(&f);
    assert_eq!(state_of(&f), w.state());
    // A segment starting past where the last one ends.
    let gap = segment_name(w.seq + 5);
    s.create(&gap).unwrap();
    s.append(&gap, &np700::journal::record::segment_header(w.seq + 5))
        .unwrap();
    let err = (0..200)
        .find_map(|_| f.poll().err())
        .expect("the gap is reported");
    assert!(
        matches!(&err, Error::Corrupt { file, .. } if *file == gap),
        "{err}"
    );
    assert_eq!(state_of(&f), w.state());
}
