//! The journal's basics: what a registry acknowledged comes back after a reopen, with snapshots
//! and torn tails; damage before the tail is refused.

use np700::journal::sim::SimStorage;
use np700::journal::storage::Storage;
use np700::journal::{Commit, JournalOptions, snapshot_name};
use np700::registry::OpenOptions;
use np700::state::State;
use np700::*;
use std::sync::Arc;

const T0: u64 = 1_767_225_600;

fn now() -> Timestamp {
    Timestamp::from_unix_secs(T0)
}
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

fn options(commit: Commit, snapshot_after_bytes: Option<u64>) -> OpenOptions {
    OpenOptions {
        journal: JournalOptions {
            commit,
            snapshot_after_bytes,
        },
        ..OpenOptions::default()
    }
}

fn open(s: &Arc<SimStorage>, o: &OpenOptions) -> (Registry, np700::journal::Recovery) {
    Registry::open_storage(
        Arc::clone(s) as Arc<dyn Storage>,
        Config::default(),
        o.clone(),
    )
    .expect("open")
}

fn provision(r: &Registry) -> TenantId {
    r.execute(
        &Command::RegisterTenant {
            name: "parcels".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        now(),
    )
    .unwrap();
    r.execute(
        &Command::LicenseBlock(LicensedBlock {
            first: first(),
            count: 2,
        }),
        now(),
    )
    .unwrap();
    r.execute(
        &Command::AssignNumber {
            tenant: TenantId::from_raw(1),
            number: first(),
            tags: vec![],
        },
        now(),
    )
    .unwrap();
    TenantId::from_raw(1)
}

fn bind(r: &Registry, t: TenantId, i: u64) -> Result<Binding, Error> {
    r.bind(
        BindRequest {
            tenant: t,
            parties: Parties::Axb {
                a: a(i),
                x: NumberChoice::Given(x(i)),
                b: b(i),
            },
            expires_at: now().plus_secs(3_600 + i),
            policy: Policy::default(),
            order_id: format!("o{i}"),
            consent_ref: "consent".into(),
            external_ref: String::new(),
        },
        now(),
    )
}

fn state_of(r: &Registry) -> State {
    r.with_state(State::clone)
}

#[test]
fn a_reopened_registry_has_every_acknowledged_write_and_routes_them() {
    for commit in [Commit::Group, Commit::PerWrite] {
        let s = Arc::new(SimStorage::new());
        let o = options(commit, None);
        let (r, rec) = open(&s, &o);
        assert_eq!(rec.last_seq, 0);
        let t = provision(&r);
        for i in 0..50 {
            bind(&r, t, i).unwrap();
        }
        r.unbind(t, BindingId::from_raw(7), now()).unwrap();
        let before = state_of(&r);
        drop(r);
        // Power loss right after: everything acknowledged was synced.
        let crashed = Arc::new(s.crash(1));
        let (r, rec) = open(&crashed, &o);
        assert_eq!(state_of(&r), before, "{commit:?}");
        assert_eq!(rec.replayed, rec.last_seq);
        assert!(rec.cut.is_none());
        let d = r.route(&a(3).to_string(), &x(3).to_string(), Media::Voice, now());
        assert!(matches!(d, Decision::Route(_)), "{d:?}");
        // And it continues: a new write after recovery is kept too.
        bind(&r, t, 100).unwrap();
        let after = state_of(&r);
        drop(r);
        let (r, _) = open(&Arc::new(crashed.crash(2)), &o);
        assert_eq!(state_of(&r), after);
    }
}

#[test]
fn snapshots_replace_segments_and_recovery_starts_from_them() {
    let s = Arc::new(SimStorage::new());
    let o = options(Commit::Group, Some(2_000));
    let (r, _) = open(&s, &o);
    let t = provision(&r);
    for i in 0..60 {
        bind(&r, t, i).unwrap();
        if i % 3 == 0 {
            r.unbind(t, BindingId::from_raw(i + 1), now()).unwrap();
        }
    }
    let before = state_of(&r);
    let files = s.list().unwrap();
    let snapshots = files.iter().filter(|f| f.ends_with(".snapshot")).count();
    let segments = files.iter().filter(|f| f.ends_with(".journal")).count();
    assert_eq!((snapshots, segments), (1, 1), "{files:?}");
    let seq = r.snapshot().unwrap();
    assert!(s.list().unwrap().contains(&snapshot_name(seq)));
    drop(r);
    let (r, rec) = open(&Arc::new(s.crash(3)), &o);
    assert_eq!(rec.snapshot, Some(seq));
    assert_eq!(rec.replayed, 0);
    assert_eq!(state_of(&r), before);
}

#[test]
fn a_torn_tail_is_cut_and_reported_and_damage_before_it_is_refused() {
    let s = Arc::new(SimStorage::new());
    let o = options(Commit::Group, None);
    let (r, _) = open(&s, &o);
    let t = provision(&r);
    for i in 0..10 {
        bind(&r, t, i).unwrap();
    }
    let before = state_of(&r);
    drop(r);
    let seg = s
        .list()
        .unwrap()
        .into_iter()
        .find(|f| f.ends_with(".journal"))
        .unwrap();
    let good = s.contents(&seg).unwrap();
    // Garbage after the last record: cut, reported, nothing lost.
    let mut torn = good.clone();
    torn.extend_from_slice(&[0xAB; 37]);
    s.set_contents(&seg, torn);
    let (r, rec) = open(&s, &o);
    let cut = rec.cut.expect("reported");
    assert_eq!((cut.offset, cut.bytes), (good.len() as u64, 37));
    assert_eq!(state_of(&r), before);
    drop(r);
    assert_eq!(s.contents(&seg).unwrap(), good, "cut on disk");
    // A flipped byte in the middle: later records say it was durable → refuse to open.
    let mut bad = good.clone();
    bad[good.len() / 2] ^= 0x40;
    s.set_contents(&seg, bad);
    let err = Registry::open_storage(
        Arc::clone(&s) as Arc<dyn Storage>,
        Config::default(),
        o.clone(),
    )
    .err()
    .expect("refused");
    assert!(
        matches!(&err, Error::Corrupt { file, .. } if *file == seg),
        "{err}"
    );
}

#[test]
fn random_power_losses_keep_a_prefix_with_every_acknowledged_write() {
    for seed in 0..300u64 {
        let s = Arc::new(SimStorage::new());
        let o = options(Commit::Group, Some(1_500));
        let (r, _) = open(&s, &o);
        let t = provision(&r);
        let mut acked = vec![state_of(&r)];
        let mut history = Vec::new();
        s.power_off_after(s.ops() + seed % 97);
        for i in 0..40u64 {
            let result = if i % 4 == 3 {
                r.unbind(t, BindingId::from_raw(i), now()).map(drop)
            } else {
                bind(&r, t, i).map(drop)
            };
            history.push(state_of(&r));
            match result {
                Ok(()) => acked.push(state_of(&r)),
                Err(_) => break,
            }
        }
        drop(r);
        let crashed = Arc::new(s.crash(seed));
        let (r, _) = open(&crashed, &o);
        let got = state_of(&r);
        // The recovered state is one of the states after a command, at least the last
        // acknowledged one.
        let last_acked = acked.last().unwrap();
        let k = history.iter().position(|h| *h == got);
        assert!(
            got == *last_acked || k.is_some_and(|k| k + 2 >= acked.len()),
            "seed {seed}: recovered state is not a prefix including every acknowledged write"
        );
    }
}

/// A power loss while a snapshot starts a segment can leave that segment empty; recovery
/// removes it and continues the segment before it. The removal was not made durable: another
/// power loss brought the empty segment back, behind a torn tail of the segment before it, and
/// recovery refused that tail as damage in a segment that is not the last (found by
/// `tests/crash.rs`).
#[test]
fn a_torn_segment_removed_by_recovery_stays_removed() {
    use np700::journal::segment_name;
    use np700::journal::sim::Fate;
    let s = Arc::new(SimStorage::new());
    let o = options(Commit::Group, None);
    let (r, _) = open(&s, &o);
    let t = provision(&r);
    for i in 0..5 {
        bind(&r, t, i).unwrap();
    }
    let before = state_of(&r);
    // The snapshot's new segment is created, then the power goes off.
    s.power_off_after(s.ops() + 1);
    assert!(matches!(r.snapshot(), Err(Error::Io { .. })));
    drop(r);
    let s = Arc::new(s.crash_keeping(|_| Fate::Keep, usize::MAX));
    let empty = segment_name(3 + 5 + 1);
    assert_eq!(s.contents(&empty), Some(vec![]));
    let (r, rec) = open(&s, &o);
    assert_eq!(rec.removed, vec![empty.clone()]);
    assert_eq!(state_of(&r), before);
    // The next write is appended; the power goes off before its sync.
    s.power_off_after(s.ops() + 1);
    assert!(matches!(bind(&r, t, 10), Err(Error::Io { .. })));
    drop(r);
    // It is garbled, and the directory keeps none of its changes since its last sync.
    let s = Arc::new(s.crash_keeping(|_| Fate::Garble(30), 0));
    let (r, rec) = open(&s, &o);
    assert_eq!(state_of(&r), before);
    assert!(rec.cut.is_some(), "{rec:?}");
    assert_eq!(s.contents(&empty), None);
}

/// A snapshot whose new segment failed to sync (its directory entry not durable either) halts
/// the registry; a reopen continued that segment, syncing its contents but not its directory
/// entry, and acknowledged writes into it: a power loss then removed the segment, and the
/// acknowledged writes with it (found by `tests/crash.rs`).
#[test]
fn a_continued_segment_is_in_the_directory_for_good_before_writes_are_acknowledged() {
    use np700::journal::sim::{Fate, OpKind};
    let s = Arc::new(SimStorage::new());
    let o = options(Commit::Group, None);
    let (r, _) = open(&s, &o);
    let t = provision(&r);
    for i in 0..5 {
        bind(&r, t, i).unwrap();
    }
    // Syncs so far: the first segment and its directory entry, then one per write; the next
    // is the snapshot's new segment.
    s.fail_nth(OpKind::Sync, 2 + 3 + 5 + 1);
    assert!(matches!(r.snapshot(), Err(Error::Io { .. })));
    drop(r);
    let new_segment = np700::journal::segment_name(3 + 5 + 1);
    assert!(s.list().unwrap().contains(&new_segment));
    // Reopened as the failed process left it: the write goes to the new segment.
    let (r, _) = open(&s, &o);
    bind(&r, t, 10).unwrap();
    let acknowledged = state_of(&r);
    drop(r);
    // A power loss keeping no directory change since the last directory sync.
    let (r, _) = open(&Arc::new(s.crash_keeping(|_| Fate::Keep, 0)), &o);
    assert!(
        state_of(&r) == acknowledged,
        "the acknowledged write was lost"
    );
}
