//! The archive (issue 6, records): day files of route records, call records and binding
//! history; reopen, torn tails, damage, retention; the history query across release, expiry,
//! update and re-binding; call-end linking; crash cycles on the simulated disk.

use np700::archive::format::{self, beijing_day, day_end};
use np700::archive::{Archive, ArchiveOptions, Entry, HistoryEnd, HistoryHit};
use np700::control::record::{CallEnd, Outcome, RouteRecord};
use np700::journal::sim::{Fate, SimStorage};
use np700::journal::storage::Storage;
use np700::journal::{Commit, JournalOptions};
use np700::registry::OpenOptions;
use np700::route::RejectReason;
use np700::*;
use std::ops::ControlFlow;
use std::sync::Arc;

/// 2026-01-01T00:00:00Z: 08:00 in Beijing, so a Beijing day ends 16 hours later.
const T0: u64 = 1_767_225_600;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs)
}
fn m1() -> ManagementNumber {
    ManagementNumber::new(70010000000).unwrap()
}
fn m2() -> ManagementNumber {
    ManagementNumber::new(70010000001).unwrap()
}
fn x(i: u16) -> UsageNumber {
    m1().usage(i).unwrap()
}
fn y(i: u16) -> UsageNumber {
    m2().usage(i).unwrap()
}
fn s(i: u64) -> SubscriberNumber {
    SubscriberNumber::from_e164(8613000000000 + i).unwrap()
}

fn options(commit: Commit) -> OpenOptions {
    OpenOptions {
        journal: JournalOptions {
            commit,
            snapshot_after_bytes: None,
        },
        archive: ArchiveOptions {
            batch_bytes: 512,
            ..ArchiveOptions::default()
        },
        ..OpenOptions::default()
    }
}

struct Disk {
    journal: Arc<SimStorage>,
    archive: Arc<SimStorage>,
}

impl Disk {
    fn new() -> Disk {
        Disk {
            journal: Arc::new(SimStorage::new()),
            archive: Arc::new(SimStorage::new()),
        }
    }
    fn open(&self, o: &OpenOptions) -> Result<(Registry, np700::journal::Recovery), Error> {
        Registry::open_storages(
            Arc::clone(&self.journal) as Arc<dyn Storage>,
            Some(Arc::clone(&self.archive) as Arc<dyn Storage>),
            Config::default(),
            o.clone(),
        )
    }
    fn crash(&self, seed: u64) -> Disk {
        Disk {
            journal: Arc::new(self.journal.crash(seed)),
            archive: Arc::new(self.archive.crash(seed ^ 0xa5a5)),
        }
    }
}

/// Tenants 1 and 2, holding m1 and m2.
fn provision(r: &Registry) {
    for name in ["parcels", "rides"] {
        r.execute(
            &Command::RegisterTenant {
                name: name.into(),
                scenarios: vec![],
                pair_cap: None,
            },
            at(0),
        )
        .unwrap();
    }
    r.execute(
        &Command::LicenseBlock(LicensedBlock {
            first: m1(),
            count: 2,
        }),
        at(0),
    )
    .unwrap();
    for (t, number) in [(1, m1()), (2, m2())] {
        r.execute(
            &Command::AssignNumber {
                tenant: TenantId::from_raw(t),
                number,
                tags: vec![],
            },
            at(0),
        )
        .unwrap();
    }
}

fn bind(r: &Registry, tenant: u32, parties: Parties<NumberChoice>, now: u64, life: u64) -> Binding {
    r.bind(
        BindRequest {
            tenant: TenantId::from_raw(tenant),
            parties,
            expires_at: at(now + life),
            policy: Policy::default(),
            order_id: String::new(),
            consent_ref: "consent".into(),
            external_ref: String::new(),
        },
        at(now),
    )
    .unwrap()
}

fn axb(a: u64, x: UsageNumber, b: u64) -> Parties<NumberChoice> {
    Parties::Axb {
        a: s(a),
        x: NumberChoice::Given(x),
        b: s(b),
    }
}

fn hit(r: &Registry, x: UsageNumber, caller: u64, t: u64) -> Option<HistoryHit> {
    r.history(x, s(caller), at(t)).unwrap()
}

/// (binding, first destination, from, until) of a hit.
fn brief(h: Option<HistoryHit>) -> Option<(u64, Option<SubscriberNumber>, u64, u64)> {
    h.map(|h| {
        (
            h.binding.raw(),
            h.to.first().copied(),
            h.from.unix_secs() - T0,
            h.until.unix_secs().saturating_sub(T0),
        )
    })
}

/// The story the history tests tell, and the answers it must give at each time.
///
/// - b1 (tenant 1): A=1, X=x1, B=2 from 0 h; updated at 1 h to B=3; released at 2 h.
/// - b2 (tenant 2): A=1, X=y1, B=4 from 0 h, live (same caller, other tenant's number).
/// - b3 (tenant 1): AXN A=5, X=x2, no N, from 0 h, expires at 10 h (swept at 11 h).
/// - b4 (tenant 1): A=6, X=x1, B=7 — the same X re-bound to new parties at 20 h (the next
///   Beijing day), expires at 30 h (swept at 31 h).
fn story(r: &Registry) -> [Binding; 4] {
    provision(r);
    let b1 = bind(r, 1, axb(1, x(1), 2), 0, 100 * HOUR);
    let b2 = bind(r, 2, axb(1, y(1), 4), 0, 100 * HOUR);
    let b3 = bind(
        r,
        1,
        Parties::Axn {
            a: s(5),
            x: NumberChoice::Given(x(2)),
            n: None,
        },
        0,
        10 * HOUR,
    );
    r.execute(
        &Command::Update {
            tenant: TenantId::from_raw(1),
            binding: b1.id,
            counterpart: Some(Counterpart::B(s(3))),
            expires_at: None,
            policy: None,
        },
        at(HOUR),
    )
    .unwrap();
    r.unbind(TenantId::from_raw(1), b1.id, at(2 * HOUR))
        .unwrap();
    r.execute(&Command::Sweep, at(11 * HOUR)).unwrap();
    let b4 = bind(r, 1, axb(6, x(1), 7), 20 * HOUR, 10 * HOUR);
    r.execute(&Command::Sweep, at(31 * HOUR)).unwrap();
    [b1, b2, b3, b4]
}

fn check_story(r: &Registry, [b1, b2, b3, b4]: &[Binding; 4]) {
    let (b1, b2, b3, b4) = (b1.id.raw(), b2.id.raw(), b3.id.raw(), b4.id.raw());
    let half = HOUR / 2;
    // b1's first version, both sides.
    assert_eq!(
        brief(hit(r, x(1), 1, half)),
        Some((b1, Some(s(2)), 0, HOUR))
    );
    assert_eq!(
        brief(hit(r, x(1), 2, half)),
        Some((b1, Some(s(1)), 0, HOUR))
    );
    // Party 3 was no party before the update; party 2 none after it.
    assert_eq!(hit(r, x(1), 3, half), None);
    assert_eq!(hit(r, x(1), 2, HOUR + half), None);
    // The second version, until the release.
    assert_eq!(
        brief(hit(r, x(1), 1, HOUR + half)),
        Some((b1, Some(s(3)), HOUR, 2 * HOUR))
    );
    assert_eq!(
        brief(hit(r, x(1), 3, 2 * HOUR - 1)),
        Some((b1, Some(s(1)), HOUR, 2 * HOUR))
    );
    // Released at 2 h exactly: nothing from then on, until the re-bind (to other parties).
    assert_eq!(hit(r, x(1), 1, 2 * HOUR), None);
    assert_eq!(hit(r, x(1), 1, 25 * HOUR), None);
    assert_eq!(
        brief(hit(r, x(1), 6, 25 * HOUR)),
        Some((b4, Some(s(7)), 20 * HOUR, 30 * HOUR))
    );
    assert_eq!(hit(r, x(1), 6, 19 * HOUR), None);
    // b4 expired at 30 h.
    assert_eq!(hit(r, x(1), 6, 30 * HOUR), None);
    // AXN: anyone reaches A; A itself has no N (refused, but the binding carried it).
    let anyone = hit(r, x(2), 999, 9 * HOUR).unwrap();
    assert_eq!(
        (anyone.binding.raw(), anyone.mode, anyone.to.clone()),
        (b3, Mode::Axn, vec![s(5)])
    );
    assert_eq!(anyone.until, at(10 * HOUR));
    let own = hit(r, x(2), 5, 9 * HOUR).unwrap();
    assert_eq!((own.binding.raw(), own.to.clone()), (b3, vec![]));
    assert_eq!(hit(r, x(2), 999, 10 * HOUR), None);
    // Never crossing tenants: caller 1 on tenant 2's number is tenant 2's binding, live.
    let other = hit(r, y(1), 1, half).unwrap();
    assert_eq!(
        (other.binding.raw(), other.tenant, other.live),
        (b2, TenantId::from_raw(2), true)
    );
    let mine = hit(r, x(1), 1, half).unwrap();
    assert_eq!((mine.tenant, mine.live), (TenantId::from_raw(1), false));
    // Before anything was bound.
    assert_eq!(hit(r, x(1), 1, 0).map(|h| h.binding.raw()), Some(b1));
    assert_eq!(
        r.history(x(1), s(1), Timestamp::from_unix_secs(T0 - 1))
            .unwrap(),
        None
    );
}

#[test]
fn history_answers_across_release_expiry_update_and_rebind_and_after_reopen() {
    let disk = Disk::new();
    let o = options(Commit::Group);
    let (r, _) = disk.open(&o).unwrap();
    let story = story(&r);
    check_story(&r, &story);
    r.flush_archive().unwrap();
    // The re-bind and its expiry happened on the next Beijing day: two day files.
    let files: Vec<String> = disk
        .archive
        .list()
        .unwrap()
        .into_iter()
        .filter(|n| n.ends_with(".archive"))
        .collect();
    assert_eq!(files, ["20260101.archive", "20260102.archive"]);
    // One record per ended version, in the order they ended, each under the event's seq.
    let mut ends = Vec::new();
    r.archive_reader()
        .unwrap()
        .unwrap()
        .for_each(0, |e| {
            if let Entry::Binding(h) = e {
                ends.push((h.binding, h.end, h.seq > 0));
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    let [b1, _, b3, b4] = &story;
    assert_eq!(
        ends,
        [
            (b1.id, HistoryEnd::Updated, true),
            (b1.id, HistoryEnd::Released, true),
            (b3.id, HistoryEnd::Expired, true),
            (b4.id, HistoryEnd::Expired, true),
        ]
    );
    drop(r);
    let (r, rec) = disk.open(&o).unwrap();
    let found = rec.archive.unwrap();
    assert_eq!((found.cut, found.regenerated), (None, 0));
    check_story(&r, &story);
}

/// While b1 is live, after its update: the state answers for now, the archive for before.
#[test]
fn a_live_binding_answers_only_from_its_current_version_on() {
    for reopen in [false, true] {
        let disk = Disk::new();
        let o = options(Commit::PerWrite);
        let (mut r, _) = disk.open(&o).unwrap();
        provision(&r);
        let b1 = bind(&r, 1, axb(1, x(1), 2), 0, 100 * HOUR);
        r.execute(
            &Command::Update {
                tenant: TenantId::from_raw(1),
                binding: b1.id,
                counterpart: Some(Counterpart::B(s(3))),
                expires_at: None,
                policy: None,
            },
            at(HOUR),
        )
        .unwrap();
        if reopen {
            // Not flushed: the update's history comes back from the journal.
            drop(r);
            let (again, rec) = disk.crash(7).open(&o).unwrap();
            assert!(rec.archive.unwrap().regenerated <= 1);
            r = again;
        }
        assert_eq!(hit(&r, x(1), 3, HOUR / 2), None, "reopen {reopen}");
        let old = hit(&r, x(1), 1, HOUR / 2).unwrap();
        assert_eq!((old.to.clone(), old.live), (vec![s(2)], false));
        let new = hit(&r, x(1), 1, 2 * HOUR).unwrap();
        assert_eq!((new.to.clone(), new.live), (vec![s(3)], true));
        assert_eq!(new.from, at(HOUR));
        assert_eq!(hit(&r, x(1), 3, 2 * HOUR).unwrap().to, vec![s(1)]);
    }
}

#[test]
fn without_a_journal_history_comes_from_the_state_alone() {
    let r = Registry::new(
        Config::default(),
        np700::index::layout::Capacity::for_bindings(64),
    );
    provision(&r);
    let b = bind(&r, 1, axb(1, x(1), 2), 0, 10 * HOUR);
    assert_eq!(hit(&r, x(1), 1, HOUR).unwrap().binding, b.id);
    assert_eq!(r.archive_routes(&[route(HOUR, 1)]).unwrap(), 0);
    r.unbind(TenantId::from_raw(1), b.id, at(2 * HOUR)).unwrap();
    assert_eq!(hit(&r, x(1), 1, HOUR), None);
    assert!(r.archive_reader().unwrap().is_none());
}

fn route(t: u64, i: u64) -> RouteRecord {
    RouteRecord {
        at: at(t),
        media: Media::Voice,
        caller: Some(s(i)),
        dialed: Some(x((i % 9000) as u16)),
        tenant: Some(TenantId::from_raw(1)),
        binding: Some(BindingId::from_raw(i)),
        to: Some(s(i + 1)),
        display: Some(x(1)),
        outcome: if i.is_multiple_of(3) {
            Outcome::Rejected(RejectReason::NoBinding)
        } else {
            Outcome::Routed
        },
    }
}

fn routes_in(a: &Archive) -> Result<Vec<RouteRecord>, Error> {
    let mut out = Vec::new();
    a.reader()?.for_each(0, |e| {
        if let Entry::Route(r) = e {
            out.push(*r);
        }
        ControlFlow::Continue(())
    })?;
    Ok(out)
}

fn small() -> ArchiveOptions {
    ArchiveOptions {
        batch_bytes: 256,
        ..ArchiveOptions::default()
    }
}

fn open_archive(s: &Arc<SimStorage>) -> Result<(Archive, np700::archive::ArchiveRecovery), Error> {
    Archive::open(Arc::clone(s) as Arc<dyn Storage>, small())
}

#[test]
fn records_come_back_after_reopen_in_order_across_day_files() {
    let s = Arc::new(SimStorage::new());
    let (mut a, rec) = open_archive(&s).unwrap();
    assert_eq!(rec, Default::default());
    let records: Vec<RouteRecord> = (0..300).map(|i| route(i * 600, i)).collect();
    for r in &records {
        a.push_route(r).unwrap();
    }
    // Readable before a flush, too.
    assert_eq!(routes_in(&a).unwrap(), records);
    a.flush().unwrap();
    drop(a);
    let (a, rec) = open_archive(&Arc::new(s.crash(3))).unwrap();
    assert_eq!(rec.cut, None);
    assert_eq!(routes_in(&a).unwrap(), records);
    // 300 × 10 min = 50 h from 08:00 Beijing: three Beijing days.
    let days: Vec<u64> = a.reader().unwrap().days().collect();
    let first = beijing_day(T0);
    assert_eq!(days, [first, first + 1, first + 2]);
    // A record whose day is before the newest file goes into the newest file.
    let (mut a, _) = open_archive(&s).unwrap();
    a.push_route(&route(0, 7)).unwrap();
    a.flush().unwrap();
    assert_eq!(a.reader().unwrap().days().count(), 3);
    assert_eq!(routes_in(&a).unwrap().last(), Some(&route(0, 7)));
}

#[test]
fn a_torn_tail_of_the_newest_file_is_cut_and_reported_and_synced_batches_survive() {
    for tear in [0usize, 1, 7, 16, 40] {
        let s = Arc::new(SimStorage::new());
        let (mut a, _) = open_archive(&s).unwrap();
        let acked: Vec<RouteRecord> = (0..20).map(|i| route(i, i)).collect();
        for r in &acked {
            a.push_route(r).unwrap();
        }
        a.flush().unwrap();
        // Written (the batch filled) but not synced.
        for i in 20..40 {
            a.push_route(&route(i, i)).unwrap();
        }
        assert!(s.pending_writes() > 0);
        let crashed = Arc::new(s.crash_with(|_| Fate::Tear(tear), 0));
        let (a, rec) = open_archive(&crashed).unwrap();
        let got = routes_in(&a).unwrap();
        assert_eq!(got[..20], acked[..], "tear {tear}");
        if tear > 0 {
            let cut = rec.cut.expect("a torn tail is reported");
            assert!(cut.file.starts_with("archive/2026"), "{cut:?}");
            assert!(cut.bytes > 0);
        }
        // The archive continues after the cut, and what follows is read back.
        let (mut a, _) = open_archive(&crashed).unwrap();
        a.push_route(&route(100, 100)).unwrap();
        a.flush().unwrap();
        let (a, rec) = open_archive(&crashed).unwrap();
        assert_eq!(rec.cut, None);
        assert_eq!(routes_in(&a).unwrap().last(), Some(&route(100, 100)));
    }
}

#[test]
fn damage_in_an_older_file_is_a_typed_error_with_file_and_offset() {
    let s = Arc::new(SimStorage::new());
    let (mut a, _) = open_archive(&s).unwrap();
    for i in 0..40 {
        a.push_route(&route(i * HOUR, i)).unwrap();
    }
    a.flush().unwrap();
    drop(a);
    let name = "20260101.archive";
    let mut bytes = s.contents(name).unwrap();
    // The third record of the file (after the header and the carry record).
    let mut offset = format::HEADER_LEN;
    for _ in 0..3 {
        let (_, len) = format::decode(&bytes[offset..]).unwrap();
        offset += len;
    }
    bytes[offset + format::RECORD_HEADER_LEN + 2] ^= 0x40;
    s.set_contents(name, bytes);
    // Opening reads only the newest file; reading the old one finds the damage.
    let (a, rec) = open_archive(&s).unwrap();
    assert_eq!(rec.cut, None);
    match routes_in(&a) {
        Err(Error::Corrupt {
            file,
            offset: at,
            why,
        }) => {
            assert_eq!(file, format!("archive/{name}"));
            assert_eq!(at, offset as u64);
            assert_eq!(why, "record checksum mismatch");
        }
        other => panic!("{other:?}"),
    }
    // Reading only the later days does not touch it.
    let mut later = 0;
    a.reader()
        .unwrap()
        .for_each(beijing_day(T0) + 1, |_| {
            later += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(later > 0);
}

#[test]
fn damage_before_a_record_that_says_it_was_durable_refuses_to_open() {
    let s = Arc::new(SimStorage::new());
    let (mut a, _) = open_archive(&s).unwrap();
    for i in 0..10 {
        a.push_route(&route(i, i)).unwrap();
    }
    a.flush().unwrap();
    for i in 10..20 {
        a.push_route(&route(i, i)).unwrap();
    }
    a.flush().unwrap();
    drop(a);
    let name = "20260101.archive";
    let mut bytes = s.contents(name).unwrap();
    let at = format::HEADER_LEN + 60;
    bytes[at] ^= 1;
    s.set_contents(name, bytes);
    match open_archive(&s) {
        Err(Error::Corrupt { file, .. }) => assert_eq!(file, format!("archive/{name}")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_newest_file_whose_creation_never_became_durable_is_removed() {
    let s = Arc::new(SimStorage::new());
    let (mut a, _) = open_archive(&s).unwrap();
    a.push_route(&route(0, 1)).unwrap();
    a.flush().unwrap();
    drop(a);
    // A crash while the next day's file was being created: half its header.
    let name = format::file_name(beijing_day(T0) + 1);
    s.create(&name).unwrap();
    s.append(&name, &format::header(beijing_day(T0) + 1)[..10])
        .unwrap();
    let (a, rec) = open_archive(&s).unwrap();
    assert_eq!(rec.removed, [format!("archive/{name}")]);
    assert_eq!(routes_in(&a).unwrap(), [route(0, 1)]);
}

#[test]
fn retention_removes_whole_day_files_at_the_horizon_never_the_newest() {
    let s = Arc::new(SimStorage::new());
    let o = ArchiveOptions {
        retention_secs: 10 * DAY,
        ..small()
    };
    let (mut a, _) = Archive::open(Arc::clone(&s) as Arc<dyn Storage>, o).unwrap();
    for d in 0..5 {
        a.push_route(&route(d * DAY, d)).unwrap();
    }
    a.flush().unwrap();
    let first = beijing_day(T0);
    let horizon = |d: u64| Timestamp::from_unix_secs(day_end(first + d) + 10 * DAY);
    // One second before the first day's horizon: nothing goes.
    let before = Timestamp::from_unix_secs(horizon(0).unix_secs() - 1);
    assert_eq!(a.prune(before).unwrap(), Vec::<String>::new());
    assert_eq!(a.prune(horizon(0)).unwrap(), ["20260101.archive"]);
    assert_eq!(
        a.prune(horizon(2)).unwrap(),
        ["20260102.archive", "20260103.archive"]
    );
    // Long after: all but the newest (still being written).
    assert_eq!(a.prune(horizon(100)).unwrap(), ["20260104.archive"]);
    assert_eq!(routes_in(&a).unwrap(), [route(4 * DAY, 4)]);
    // Pruned for good.
    let (a, _) = Archive::open(Arc::new(s.crash(1)) as Arc<dyn Storage>, o).unwrap();
    assert_eq!(routes_in(&a).unwrap(), [route(4 * DAY, 4)]);
    assert_eq!(
        ArchiveOptions::default().retention_secs,
        183 * DAY,
        "about six months by default"
    );
}

#[test]
fn sweeps_prune_the_archive_once_a_day() {
    let disk = Disk::new();
    let mut o = options(Commit::Group);
    o.archive.retention_secs = 2 * DAY;
    let (r, _) = disk.open(&o).unwrap();
    provision(&r);
    for d in 0..6 {
        r.archive_routes(&[route(d * DAY, d)]).unwrap();
        r.execute(&Command::Sweep, at(d * DAY)).unwrap();
    }
    let days: Vec<u64> = r.archive_reader().unwrap().unwrap().days().collect();
    let first = beijing_day(T0);
    // Day d's file goes once its day has ended two days ago.
    assert_eq!(days, [first + 3, first + 4, first + 5]);
}

#[test]
fn call_ends_link_to_their_binding_live_or_archived_and_unknown_ones_are_refused() {
    let disk = Disk::new();
    let o = options(Commit::Group);
    let (r, _) = disk.open(&o).unwrap();
    provision(&r);
    let b = bind(&r, 1, axb(1, x(1), 2), 0, 100 * HOUR);
    let call = |caller: u64, started: u64| CallEnd {
        binding: b.id,
        caller: s(caller),
        dialed: x(1),
        started_at: at(started),
        answered: true,
        duration_secs: 61,
        release_cause: 16,
    };
    let live = r.end_call(call(1, 60), at(200)).unwrap();
    assert_eq!(
        (live.tenant, live.to, live.recorded_at),
        (TenantId::from_raw(1), Some(s(2)), at(200))
    );
    r.unbind(TenantId::from_raw(1), b.id, at(HOUR)).unwrap();
    // Ended after the call was set up: linked from the archive.
    let archived = r.end_call(call(2, HOUR - 10), at(HOUR + 30)).unwrap();
    assert_eq!(
        (archived.tenant, archived.to),
        (TenantId::from_raw(1), Some(s(1)))
    );
    // Never made, or made but unknown to the archive (never archived: a registry without one).
    let unknown = CallEnd {
        binding: BindingId::from_raw(9_999),
        ..call(1, 0)
    };
    assert_eq!(
        r.end_call(unknown, at(HOUR)),
        Err(Error::UnknownBinding(BindingId::from_raw(9_999)))
    );
    let calls = r.calls(at(0), at(2 * HOUR)).unwrap();
    assert_eq!(calls, [live, archived]);
    assert_eq!(r.calls(at(HOUR + 31), at(2 * HOUR)).unwrap(), []);
    r.flush_archive().unwrap();
    drop(r);
    let (r, _) = disk.crash(5).open(&o).unwrap();
    assert_eq!(r.calls(at(0), at(2 * HOUR)).unwrap(), [live, archived]);

    let plain = Registry::new(
        Config::default(),
        np700::index::layout::Capacity::for_bindings(64),
    );
    provision(&plain);
    let b = bind(&plain, 1, axb(1, x(1), 2), 0, 100 * HOUR);
    plain.unbind(TenantId::from_raw(1), b.id, at(HOUR)).unwrap();
    assert_eq!(
        plain.end_call(call(1, 60), at(HOUR)),
        Err(Error::UnknownBinding(b.id))
    );
}

/// Power loss at quiescent points with random fates for every write not yet synced: every
/// acknowledged route batch (`archive_routes` returned) is read back, and every acknowledged
/// release and expiry has its history, whether the archive had it durable or the journal's
/// replay rebuilt it.
#[test]
fn crash_cycles_keep_acknowledged_batches_and_the_history_of_acknowledged_writes() {
    let o = options(Commit::Group);
    let (mut regenerated, mut cut) = (0, 0);
    for seed in 0..150u64 {
        let mut disk = Disk::new();
        let (r, _) = disk.open(&o).unwrap();
        provision(&r);
        drop(r);
        let mut acked_routes: Vec<RouteRecord> = Vec::new();
        // (binding, caller, x, destination, a time it was in force)
        let mut ended: Vec<(BindingId, u64, UsageNumber, SubscriberNumber, u64)> = Vec::new();
        let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut clock = 0u64;
        let mut serial = 0u64;
        for life in 0..4 {
            if next(3) == 0 {
                // Power lost while the archive is being recovered (the history rebuilt from
                // the journal being written): the next recovery starts over from what stayed.
                disk.archive.power_off_after(disk.archive.ops() + next(6));
                drop(disk.open(&o));
                disk = disk.crash(seed ^ life ^ 0x77);
            }
            let (r, rec) = disk
                .open(&o)
                .unwrap_or_else(|e| panic!("seed {seed} life {life}: {e}"));
            let archive = rec.archive.expect("an archive");
            regenerated += archive.regenerated;
            cut += u64::from(archive.cut.is_some());
            let reader = r.archive_reader().unwrap().unwrap();
            let mut got = Vec::new();
            reader
                .for_each(0, |e| {
                    if let Entry::Route(x) = e {
                        got.push(*x);
                    }
                    ControlFlow::Continue(())
                })
                .unwrap_or_else(|e| panic!("seed {seed} life {life}: {e} ({archive:?})"));
            for want in &acked_routes {
                assert!(got.contains(want), "seed {seed} life {life}: lost {want:?}");
            }
            for &(id, caller, number, to, t) in &ended {
                let h = r.history(number, s(caller), at(t)).unwrap();
                let h = h.unwrap_or_else(|| {
                    panic!("seed {seed} life {life}: no history of {id} ({archive:?})")
                });
                assert_eq!((h.binding, h.to.first().copied()), (id, Some(to)));
            }
            for _ in 0..(5 + next(20)) {
                clock += 600 + next(4 * HOUR);
                match next(4) {
                    0 => {
                        let batch: Vec<RouteRecord> = (0..1 + next(30))
                            .map(|_| {
                                serial += 1;
                                route(clock, serial)
                            })
                            .collect();
                        r.archive_routes(&batch).unwrap();
                        acked_routes.extend(batch);
                    }
                    1 => {
                        // Unacknowledged records: may or may not survive.
                        serial += 1;
                        let _ = r.archive_drops(1, at(clock));
                        r.end_call(
                            CallEnd {
                                binding: BindingId::from_raw(1),
                                caller: s(1),
                                dialed: x(1),
                                started_at: at(clock),
                                answered: false,
                                duration_secs: 0,
                                release_cause: 19,
                            },
                            at(clock),
                        )
                        .ok();
                    }
                    _ => {
                        serial += 1;
                        let (a, b) = (1_000 + serial * 2, 1_001 + serial * 2);
                        let number = x((serial % 9_000) as u16 + 10);
                        let life_secs = 60 + next(HOUR);
                        let bound = bind(&r, 1, axb(a, number, b), clock, life_secs);
                        if next(2) == 0 {
                            r.unbind(TenantId::from_raw(1), bound.id, at(clock + 30))
                                .unwrap();
                        } else {
                            r.execute(&Command::Sweep, at(clock + life_secs)).unwrap();
                        }
                        ended.push((bound.id, a, number, s(b), clock + 10));
                        clock += life_secs;
                    }
                }
            }
            drop(r);
            disk = disk.crash(seed * 31 + life);
        }
    }
    // The runs went through both recovery paths.
    assert!(
        regenerated > 0 && cut > 0,
        "regenerated {regenerated}, cut {cut}"
    );
}

#[test]
fn a_record_stamped_absurdly_far_ahead_is_filed_under_the_last_day_and_the_archive_opens() {
    let s = Arc::new(SimStorage::new());
    let (mut a, _) = open_archive(&s).unwrap();
    let far = RouteRecord {
        at: Timestamp::MAX,
        ..route(0, 1)
    };
    a.push_route(&far).unwrap();
    a.push_route(&route(0, 2)).unwrap();
    a.flush().unwrap();
    drop(a);
    let (a, rec) = open_archive(&s).unwrap();
    assert_eq!(rec.cut, None);
    assert_eq!(routes_in(&a).unwrap(), [far, route(0, 2)]);
    assert!(s.contents("99991231.archive").is_some());
}

mod garbage {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any bytes in any archive file: opening and reading answer or refuse, never panic,
        /// and an archive that opened keeps working.
        #[test]
        fn arbitrary_file_contents_never_panic(
            newest in prop::collection::vec(any::<u8>(), 0..400),
            older in prop::collection::vec(any::<u8>(), 0..400),
            keep_header in any::<bool>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        ) {
            let s = Arc::new(SimStorage::new());
            let (mut a, _) = open_archive(&s).unwrap();
            for i in 0..30 {
                a.push_route(&route(i * 3 * HOUR, i)).unwrap();
            }
            a.flush().unwrap();
            drop(a);
            let day = beijing_day(T0);
            // A valid start (header) followed by garbage, or garbage throughout.
            let with = |bytes: Vec<u8>, d: u64| {
                let mut v = if keep_header { format::header(d).to_vec() } else { vec![] };
                v.extend(bytes);
                v
            };
            let mut old = s.contents(&format::file_name(day)).unwrap();
            for (i, b) in &flips {
                let at = i.index(old.len());
                old[at] ^= b | 1;
            }
            old.extend(older);
            s.set_contents(&format::file_name(day), old);
            let name = format::file_name(day + 3);
            s.create(&name).unwrap();
            s.append(&name, &with(newest, day + 3)).unwrap();
            s.sync(&name).unwrap();
            if let Ok((mut a, _)) = open_archive(&s) {
                let _ = routes_in(&a);
                a.push_route(&route(4 * DAY, 99)).unwrap();
                a.flush().unwrap();
                let (a, rec) = open_archive(&s).unwrap();
                prop_assert_eq!(rec.cut, None);
                prop_assert!(a.reader().unwrap().days().count() >= 1);
            }
        }
    }
}

/// The archive's disk fails: the registry's writes go on, the archive reports the failure
/// (and snapshots wait), and the reopened registry rebuilds the lost history from the journal.
#[test]
fn a_failed_archive_halts_alone_and_its_history_comes_back_from_the_journal() {
    let disk = Disk::new();
    let o = options(Commit::Group);
    let (r, _) = disk.open(&o).unwrap();
    provision(&r);
    let b = bind(&r, 1, axb(1, x(1), 2), 0, 100 * HOUR);
    r.archive_routes(&[route(10, 1)]).unwrap();
    // Every archive operation fails from here on.
    disk.archive.power_off_after(disk.archive.ops());
    assert!(r.archive_routes(&[route(20, 2)]).is_err());
    r.unbind(TenantId::from_raw(1), b.id, at(HOUR)).unwrap();
    assert!(matches!(r.flush_archive(), Err(Error::Halted { .. })));
    assert!(r.snapshot().is_err(), "a snapshot would drop the history");
    let later = bind(&r, 1, axb(3, x(2), 4), 2 * HOUR, HOUR);
    assert_eq!(later.id, BindingId::from_raw(2));
    drop(r);
    let disk = disk.crash(11);
    let (r, rec) = disk.open(&o).unwrap();
    assert_eq!(rec.archive.unwrap().regenerated, 1);
    let h = hit(&r, x(1), 1, HOUR / 2).unwrap();
    assert_eq!((h.binding, h.to.clone(), h.live), (b.id, vec![s(2)], false));
    r.snapshot().unwrap();
    assert_eq!(routes_in_registry(&r)[0], route(10, 1));
}

fn routes_in_registry(r: &Registry) -> Vec<RouteRecord> {
    let mut out = Vec::new();
    r.archive_reader()
        .unwrap()
        .unwrap()
        .for_each(0, |e| {
            if let Entry::Route(x) = e {
                out.push(*x);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    out
}

/// More updated live bindings than one carry record holds: a new day's file carries them all
/// (in several records), and after a reopen each binding's current version still starts at its
/// update, so the time before it is answered by the archived old version.
#[test]
fn version_starts_of_many_updated_bindings_are_carried_into_new_files() {
    let disk = Disk::new();
    let o = options(Commit::NotDurable);
    let (r, _) = disk.open(&o).unwrap();
    provision(&r);
    let n = 2_100u64;
    let ids: Vec<BindingId> = (0..n)
        .map(|i| {
            bind(
                &r,
                1,
                axb(10_000 + i, x(i as u16), 20_000 + i),
                0,
                100 * HOUR,
            )
            .id
        })
        .collect();
    for (i, id) in ids.iter().enumerate() {
        r.execute(
            &Command::Update {
                tenant: TenantId::from_raw(1),
                binding: *id,
                counterpart: Some(Counterpart::B(s(30_000 + i as u64))),
                expires_at: None,
                policy: None,
            },
            at(HOUR),
        )
        .unwrap();
    }
    // The next Beijing day: a new file, carrying 2,100 version starts.
    r.archive_routes(&[route(DAY, 1)]).unwrap();
    drop(r);
    let (r, _) = disk.open(&o).unwrap();
    let carries = {
        let mut c = 0;
        r.archive_reader()
            .unwrap()
            .unwrap()
            .for_each(beijing_day(T0 + DAY), |e| {
                if let Entry::Carry { versions, .. } = e {
                    c += versions.len();
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        c
    };
    assert_eq!(carries, n as usize);
    for i in [0, 1_000, n - 1] {
        let before = hit(&r, x(i as u16), 10_000 + i, HOUR / 2).unwrap();
        assert_eq!(
            (before.to.clone(), before.live),
            (vec![s(20_000 + i)], false)
        );
        let after = hit(&r, x(i as u16), 10_000 + i, 2 * HOUR).unwrap();
        assert_eq!((after.to.clone(), after.live), (vec![s(30_000 + i)], true));
        assert_eq!(after.from, at(HOUR));
    }
}

/// On real files: `Registry::open` keeps the archive in `<dir>/archive/`, beside the journal,
/// and answers from it after a reopen; with the archive disabled there is none.
#[test]
fn a_registry_opened_on_a_directory_keeps_its_archive_beside_the_journal() {
    let dir = std::env::temp_dir().join(format!("np700-archive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = options(Commit::Group);
    let (r, rec) = Registry::open(&dir, Config::default(), o.clone()).unwrap();
    assert_eq!(rec.archive.map(|a| a.regenerated), Some(0));
    provision(&r);
    let b = bind(&r, 1, axb(1, x(1), 2), 0, 100 * HOUR);
    r.unbind(TenantId::from_raw(1), b.id, at(HOUR)).unwrap();
    r.archive_routes(&[route(10, 1)]).unwrap();
    r.snapshot().unwrap();
    drop(r);
    let files: Vec<String> = std::fs::read_dir(dir.join("archive"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, ["20260101.archive"]);
    let (r, _) = Registry::open(&dir, Config::default(), o.clone()).unwrap();
    assert_eq!(hit(&r, x(1), 2, HOUR / 2).unwrap().binding, b.id);
    assert_eq!(routes_in_registry(&r), [route(10, 1)]);
    drop(r);
    let off = OpenOptions {
        archive: ArchiveOptions {
            enabled: false,
            ..ArchiveOptions::default()
        },
        ..o
    };
    let (r, rec) = Registry::open(&dir, Config::default(), off).unwrap();
    assert_eq!(rec.archive, None);
    assert!(r.archive_reader().unwrap().is_none());
    assert_eq!(hit(&r, x(1), 2, HOUR / 2), None, "the state alone");
    drop(r);
    let _ = std::fs::remove_dir_all(&dir);
}
