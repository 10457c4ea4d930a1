//! The lock-free routing index: what switches read on every call.
//!
//! One block of atomic words (see [`layout`]) holds everything a route decision needs, with no
//! pointers: a directory of management numbers (holder, page), tenant statuses, per-number pages
//! ("does this usage number carry a live keyed binding?"), the entries keyed by
//! (usage number, caller) — one per party of each binding, plus a number's own record for AXN —
//! and extras (GXB groups, AXN allow-lists).
//!
//! Readers never write, lock, allocate or make a system call: each entry is read under its own
//! version (see the `slot` module), a lookup costs about one memory miss, and a reader that keeps
//! seeing an entry change gives up with [`RejectReason::Unavailable`] instead of waiting. The
//! single writer (`writer::IndexWriter`, driven by [`crate::Registry`]) changes one or two entries per change of state.
//!
//! The same words live on the heap (threads of one process) or in a named shared mapping that
//! reader processes attach read-only ([`SharedIndex`]); only the `shm` module holds `unsafe`.
#![deny(unsafe_code)]

pub mod layout;
mod shared;
pub(crate) mod shm;
pub(crate) mod slot;
pub(crate) mod successor;
pub(crate) mod writer;

pub use shared::{AttachError, SharedIndex};

use crate::BindingId;
use crate::binding::{Media, Mode, Targets};
use crate::number::{DialedNumber, ManagementNumber, SubscriberNumber, UsageNumber};
use crate::route::{AnnounceReason, Decision, RejectReason, Route, Standing};
use crate::sync::{AtomicU64, Ordering};
use crate::tenant::TenantId;
use crate::time::Timestamp;
use layout::{
    Capacity, EXTRA_NUMBERS, EXTRA_WORDS, HEADER_WORDS, LAYOUT_VERSION, MAGIC, Offsets, PAGE_WORDS,
};
use slot::{Image, Kind, flag};

/// The first usage number, subtracted to keep entries' keys in 40 bits.
pub(crate) const USAGE_BASE: u64 = 700_000_000_000_000;
/// The first management number, subtracted to keep directory keys in 27 bits.
pub(crate) const MANAGEMENT_BASE: u64 = 70_000_000_000;

/// Tenant words: a status code in the low byte, and flags above it.
pub(crate) mod tenant_code {
    pub const UNKNOWN: u64 = 0;
    pub const ACTIVE: u64 = 1;
    pub const SUSPENDED: u64 = 2;
    pub const EXITED: u64 = 3;
    /// The bits of the status code.
    pub const STATUS: u64 = 0xFF;
    /// The tenant requires real-user reports: entries marked unreported are refused.
    pub const REAL_USER_REQUIRED: u64 = 1 << 8;
}

/// Directory word: `key+1` (27 bits) | held (1) | page (16) | tenant (20).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirEntry {
    pub key: u64,
    pub held: bool,
    pub page: u16,
    pub tenant: u32,
}

impl DirEntry {
    pub(crate) fn encode(&self) -> u64 {
        (self.key + 1)
            | u64::from(self.held) << 27
            | u64::from(self.page) << 28
            | u64::from(self.tenant) << 44
    }
    pub(crate) fn decode(w: u64) -> Option<DirEntry> {
        let key1 = w & ((1 << 27) - 1);
        (key1 != 0).then(|| DirEntry {
            key: key1 - 1,
            held: (w >> 27) & 1 == 1,
            page: ((w >> 28) & 0xFFFF) as u16,
            tenant: (w >> 44) as u32,
        })
    }
}

/// A strong 64-bit mix (splitmix64's finaliser), so sequential numbers spread over the table.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Maps a hash onto `0..n` without division (Lemire's multiply-shift).
pub(crate) const fn reduce(h: u64, n: usize) -> usize {
    ((h as u128 * n as u128) >> 64) as usize
}

pub(crate) fn entry_hash(x: u64, caller: u64) -> u64 {
    mix(x ^ mix(caller.wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

/// The memory an index lives in.
pub(crate) enum Memory {
    /// A private block on the heap (threads of one process).
    Heap(Box<[AtomicU64]>),
    /// A mapping: anonymous (private to this process) or a named shared file (one writer
    /// process, reader processes).
    Shared(shm::Mapping),
}

impl Memory {
    fn words(&self) -> &[AtomicU64] {
        match self {
            Memory::Heap(w) => w,
            Memory::Shared(m) => m.words(),
        }
    }
}

/// A read-only view of the routing index: answers route lookups from any number of threads.
pub struct Index {
    memory: Memory,
    cap: Capacity,
    off: Offsets,
    quarantine_secs: u64,
}

/// An entry as a lookup found it: where, and under which version it was read.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Owner {
    at: usize,
    version: u64,
}

/// How long a lookup keeps starting over on an entry that stays mid-write before answering
/// [`RejectReason::Unavailable`]. A live writer finishes a write in nanoseconds, but one that is
/// preempted halfway (more threads than cores) can hold an entry for a scheduler slice or a few;
/// only a writer that died halfway holds it for ever.
const GIVE_UP_AFTER: std::time::Duration = std::time::Duration::from_millis(200);

/// Attempts between looks at the clock while an entry stays mid-write.
const ATTEMPTS_PER_CLOCK_CHECK: u32 = 64;

/// Whether a lookup that keeps failing should stop now.
#[cfg(not(loom))]
fn give_up(since: &mut Option<std::time::Instant>, _attempts: u32) -> bool {
    since.get_or_insert_with(std::time::Instant::now).elapsed() > GIVE_UP_AFTER
}

/// Under loom there is no clock: a bounded number of attempts stands in for it.
#[cfg(loom)]
fn give_up(_since: &mut Option<std::time::Instant>, attempts: u32) -> bool {
    attempts >= 16 * ATTEMPTS_PER_CLOCK_CHECK
}

/// What a lookup read of the tenant holding the dialled number.
#[derive(Copy, Clone, Debug)]
struct Holder {
    tenant: TenantId,
    /// The tenant requires real-user reports.
    reports_required: bool,
}

/// An entry's mode field for AXYB (see [`Image::mode`]).
const MODE_AXYB: u8 = 2;

/// Why a lookup attempt must start over (an entry or extras changed under it).
pub(crate) struct Retry;

/// What the caller of a lookup does at the two moments that matter for memory latency: just
/// before the lookup reads its first entry (loads issued then are in flight together with the
/// entry's cache miss — issued much earlier, a load that misses holds up the processor before
/// the lookup's own load even starts), and as soon as a live entry names its binding (a load of
/// the binding's counters then overlaps the rest of the lookup). Neither changes the answer.
pub(crate) trait Hook {
    /// The lookup is about to read its first entry.
    fn before_entry(&self) {}
    /// The lookup read a live entry of binding `binding`; `one_number`: the binding has no
    /// usage number but the one dialled (every mode but AXYB).
    fn on_binding(&self, _binding: u64, _one_number: bool) {}
}

/// No hook.
impl Hook for () {}

impl Index {
    /// A new, empty index in private memory.
    pub(crate) fn new_heap(cap: Capacity, quarantine_secs: u64, generation: u64) -> Index {
        // Lazily zeroed anonymous memory keeps the resident size to what is used; if the system
        // refuses a mapping, fall back to an ordinary (eagerly zeroed) allocation.
        // (Under loom, atomics are model objects, not plain memory: always the ordinary path.)
        let mapped = if cfg!(loom) {
            None
        } else {
            shm::Mapping::anonymous(cap.words()).ok()
        };
        let memory = match mapped {
            Some(mapping) => Memory::Shared(mapping),
            None => Memory::Heap((0..cap.words()).map(|_| AtomicU64::new(0)).collect()),
        };
        Index::init(memory, cap, quarantine_secs, generation)
    }

    /// A new, empty index in a shared mapping created at `path` (replacing any file there).
    pub(crate) fn new_shared(
        path: &std::path::Path,
        cap: Capacity,
        quarantine_secs: u64,
        generation: u64,
    ) -> std::io::Result<Index> {
        let mapping = shm::Mapping::create(path, cap.words())?;
        Ok(Index::init(
            Memory::Shared(mapping),
            cap,
            quarantine_secs,
            generation,
        ))
    }

    fn init(memory: Memory, cap: Capacity, quarantine_secs: u64, generation: u64) -> Index {
        let index = Index {
            memory,
            cap,
            off: Offsets::of(&cap),
            quarantine_secs,
        };
        let w = index.words();
        let h = |i: usize, v: u64| w[i].store(v, Ordering::Relaxed);
        h(layout::header::VERSION, LAYOUT_VERSION);
        h(layout::header::GENERATION, generation);
        h(layout::header::ENTRIES, cap.entries as u64);
        h(layout::header::DIRECTORY, cap.directory as u64);
        h(layout::header::TENANTS, cap.tenants as u64);
        h(layout::header::EXTRAS, cap.extras as u64);
        h(layout::header::QUARANTINE_SECS, quarantine_secs);
        h(layout::header::PAGES, cap.pages as u64);
        const { assert!(HEADER_WORDS > layout::header::RETIRED) };
        // The magic goes last, with release ordering: a reader that sees it sees the header.
        w[layout::header::MAGIC].store(MAGIC, Ordering::Release);
        index
    }

    /// An index read from an existing mapping, after checking its header against its size.
    pub(crate) fn from_mapping(mapping: shm::Mapping) -> Result<Index, AttachError> {
        let w = mapping.words();
        if w.len() < HEADER_WORDS || w[layout::header::MAGIC].load(Ordering::Acquire) != MAGIC {
            return Err(AttachError::NotAnIndex);
        }
        let version = w[layout::header::VERSION].load(Ordering::Relaxed);
        if version != LAYOUT_VERSION {
            return Err(AttachError::IncompatibleLayout { found: version });
        }
        let field = |i: usize| usize::try_from(w[i].load(Ordering::Relaxed)).unwrap_or(usize::MAX);
        let cap = Capacity {
            entries: field(layout::header::ENTRIES),
            directory: field(layout::header::DIRECTORY),
            tenants: field(layout::header::TENANTS),
            pages: field(layout::header::PAGES),
            extras: field(layout::header::EXTRAS),
        };
        let needed = cap.checked_words().ok_or(AttachError::Truncated)?;
        if needed > w.len() || cap.directory == 0 || cap.entries == 0 {
            return Err(AttachError::Truncated);
        }
        let quarantine_secs = w[layout::header::QUARANTINE_SECS].load(Ordering::Relaxed);
        Ok(Index {
            memory: Memory::Shared(mapping),
            cap,
            off: Offsets::of(&cap),
            quarantine_secs,
        })
    }

    /// The generation: which writer (and which growth of its index) made this index.
    pub fn generation(&self) -> u64 {
        self.words()[layout::header::GENERATION].load(Ordering::Acquire)
    }

    /// Whether the writer has replaced this index (it grew, or a new writer started): readers
    /// of a shared index then attach to the new one.
    pub fn is_retired(&self) -> bool {
        self.words()[layout::header::RETIRED].load(Ordering::Acquire) != 0
    }

    /// Marks the index replaced (writer only).
    pub(crate) fn retire(&self) {
        self.words()[layout::header::RETIRED].store(1, Ordering::Release);
    }

    pub(crate) fn words(&self) -> &[AtomicU64] {
        self.memory.words()
    }

    /// The sizes this index was made with.
    pub fn capacity(&self) -> Capacity {
        self.cap
    }

    /// Bytes of memory the index occupies.
    pub fn bytes(&self) -> usize {
        self.cap.words() * 8
    }

    pub(crate) fn entry(&self, i: usize) -> &[AtomicU64] {
        let start = self.off.entries + i * slot::WORDS;
        &self.words()[start..start + slot::WORDS]
    }

    pub(crate) fn extra(&self, i: usize) -> &[AtomicU64] {
        let start = self.off.extras + i * EXTRA_WORDS;
        &self.words()[start..start + EXTRA_WORDS]
    }

    pub(crate) fn dir_word(&self, i: usize) -> &AtomicU64 {
        &self.words()[self.off.directory + i]
    }

    pub(crate) fn tenant_word(&self, t: u32) -> Option<&AtomicU64> {
        ((t as usize) < self.cap.tenants).then(|| &self.words()[self.off.tenants + t as usize])
    }

    pub(crate) fn page_word(&self, page: u16, sub: u16) -> &AtomicU64 {
        &self.words()[self.off.pages + page as usize * PAGE_WORDS + sub as usize / 2]
    }

    /// The directory slot of management number `key` (offset from 700·10⁸), and its entry.
    pub(crate) fn dir_find(&self, key: u64) -> Option<(usize, DirEntry)> {
        let n = self.cap.directory;
        let start = reduce(mix(key), n);
        for i in 0..n {
            let at = (start + i) % n;
            match DirEntry::decode(self.dir_word(at).load(Ordering::Acquire)) {
                None => return None,
                Some(d) if d.key == key => return Some((at, d)),
                Some(_) => {}
            }
        }
        None
    }

    /// The entry slot of (usage number, caller) and its image, if present.
    pub(crate) fn find(&self, x: u64, caller: u64) -> Result<Option<(Owner, Image)>, Retry> {
        let n = self.cap.entries;
        let start = reduce(entry_hash(x, caller), n);
        for i in 0..n {
            let at = if start + i >= n {
                start + i - n
            } else {
                start + i
            };
            let (image, version) = slot::read_versioned(self.entry(at)).ok_or(Retry)?;
            match image.kind() {
                Kind::Empty => return Ok(None),
                Kind::Tombstone => {}
                _ if image.x == x && image.caller == caller => {
                    return Ok(Some((Owner { at, version }, image)));
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// The tenant holding usage number `x`'s management number, if one does.
    pub(crate) fn holder(&self, x: UsageNumber) -> Option<TenantId> {
        self.dir_find(x.management().value() - MANAGEMENT_BASE)
            .filter(|(_, d)| d.held)
            .map(|(_, d)| TenantId::from_raw(d.tenant))
    }

    /// Routes a parsed request, exactly as [`crate::State::route_dialed`] does.
    pub fn route_dialed(
        &self,
        caller: Option<SubscriberNumber>,
        dialed: DialedNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        self.route_dialed_hooked(caller, dialed, media, now, &())
    }

    /// [`Index::route_dialed`], calling `hook` along the way (see [`Hook`]).
    pub(crate) fn route_dialed_hooked(
        &self,
        caller: Option<SubscriberNumber>,
        dialed: DialedNumber,
        media: Media,
        now: Timestamp,
        hook: &impl Hook,
    ) -> Decision {
        crate::route::route_dialed_with(
            dialed,
            |m| match self.dir_find(m.value() - MANAGEMENT_BASE) {
                None => Standing::NotOurs,
                Some((_, d)) if !d.held => Standing::Unassigned,
                Some(_) => Standing::Held,
            },
            |x| self.route_usage_hooked(caller, x, media, now, hook),
        )
    }

    /// Routes a call from `caller` to usage number `x`, exactly as [`crate::State::route_usage`].
    pub fn route_usage(
        &self,
        caller: Option<SubscriberNumber>,
        x: UsageNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        self.route_usage_hooked(caller, x, media, now, &())
    }

    fn route_usage_hooked(
        &self,
        caller: Option<SubscriberNumber>,
        x: UsageNumber,
        media: Media,
        now: Timestamp,
        hook: &impl Hook,
    ) -> Decision {
        // The clock is read only on this contended path (after thousands of spins); on Linux it
        // is the vDSO's monotonic clock, which makes no system call.
        let mut since: Option<std::time::Instant> = None;
        let mut attempts = 0u32;
        loop {
            if let Ok(d) = self.try_route(caller, x, media, now, hook) {
                return d;
            }
            attempts = attempts.wrapping_add(1);
            if attempts.is_multiple_of(ATTEMPTS_PER_CLOCK_CHECK) && give_up(&mut since, attempts) {
                return Decision::Reject {
                    reason: RejectReason::Unavailable,
                };
            }
            crate::sync::spin_loop();
        }
    }

    fn try_route(
        &self,
        caller: Option<SubscriberNumber>,
        x: UsageNumber,
        media: Media,
        now: Timestamp,
        hook: &impl Hook,
    ) -> Result<Decision, Retry> {
        let reject = |reason| Ok(Decision::Reject { reason });
        let m = x.management();
        let Some((dir_at, d)) = self.dir_find(m.value() - MANAGEMENT_BASE) else {
            return reject(RejectReason::NotOurs);
        };
        if !d.held {
            return reject(RejectReason::Unassigned);
        }
        let word = self
            .tenant_word(d.tenant)
            .map_or(tenant_code::UNKNOWN, |w| w.load(Ordering::Acquire));
        if word & tenant_code::STATUS == tenant_code::SUSPENDED {
            return reject(RejectReason::TenantSuspended);
        }
        let reports_required = word & tenant_code::REAL_USER_REQUIRED != 0;
        let holder = Holder {
            tenant: TenantId::from_raw(d.tenant),
            reports_required,
        };
        let now_s = now.unix_secs();
        let q = self.quarantine_secs;
        let xo = x.value() - USAGE_BASE;
        hook.before_entry();
        // Fast path, one memory miss: a live entry for the caller decides alone (the state
        // looks at nothing else when it has one), so the answer is the state's at that read.
        if let Some(c) = caller
            && let Some((owner, e)) = self.find(xo, c.e164())?
            && e.kind() == Kind::Live
            && now_s < u64::from(e.expires)
        {
            hook.on_binding(e.binding, e.mode != MODE_AXYB);
            return self.leg(owner, &e, false, c, media, now, holder, x);
        }
        // Otherwise read order matters: the page (a summary), then the caller's entry (again),
        // then the number's own record — the reverse of the order the writer publishes a new
        // binding in (entries, record, page), so whatever mix of old and new words a lookup sees
        // gives an answer the state gave at some instant. (The writer ends an exclusive binding
        // record-first.)
        let keyed_live = {
            let w = self
                .page_word(d.page, x.sub_number())
                .load(Ordering::Acquire);
            let latest = if x.sub_number().is_multiple_of(2) {
                w as u32
            } else {
                (w >> 32) as u32
            };
            // The page belongs to this number only while its directory word is unchanged.
            if self.dir_word(dir_at).load(Ordering::Acquire) != d.encode() {
                return Err(Retry);
            }
            now_s < u64::from(latest)
        };
        let mine = match caller {
            Some(c) => self.find(xo, c.e164())?,
            None => None,
        };
        let record = self.find(xo, 0)?;
        if let Some(c) = caller {
            // A live entry for the caller, then the number's own (AXN) entry for anyone.
            for (found, anyone) in [(mine, false), (record, true)] {
                if let Some((at, e)) = found
                    && e.kind() == Kind::Live
                    && now_s < u64::from(e.expires)
                {
                    hook.on_binding(e.binding, e.mode != MODE_AXYB);
                    return self.leg(at, &e, anyone, c, media, now, holder, x);
                }
            }
            // Then quarantines, and live entries past their expiry not yet swept.
            for (_, e) in [mine, record].into_iter().flatten() {
                let until = match e.kind() {
                    Kind::Live => u64::from(e.expires).saturating_add(q),
                    Kind::QuarantineReleased | Kind::QuarantineExpired => u64::from(e.expires),
                    _ => continue,
                };
                if now_s < until {
                    let reason = if e.kind() == Kind::QuarantineReleased {
                        AnnounceReason::ServiceEnded
                    } else {
                        AnnounceReason::Expired
                    };
                    return Ok(Decision::Announce { reason });
                }
            }
        }
        let exclusive_live =
            record.is_some_and(|(_, e)| e.kind() == Kind::Live && now_s < u64::from(e.expires));
        reject(match (keyed_live || exclusive_live, caller) {
            (false, _) => RejectReason::NoBinding,
            (true, None) => RejectReason::CallerUnidentified,
            (true, Some(_)) => RejectReason::CallerNotPermitted,
        })
    }

    /// Applies a live entry's policy to a call and builds the decision.
    #[allow(clippy::too_many_arguments)]
    fn leg(
        &self,
        owner: Owner,
        e: &Image,
        anyone: bool,
        caller: SubscriberNumber,
        media: Media,
        now: Timestamp,
        holder: Holder,
        x: UsageNumber,
    ) -> Result<Decision, Retry> {
        let reject = |reason| Ok(Decision::Reject { reason });
        if e.has(flag::SUSPENDED) {
            return reject(RejectReason::BindingSuspended);
        }
        if holder.reports_required && e.unreported {
            return reject(RejectReason::UserNotReported);
        }
        let media_ok = match media {
            Media::Voice => e.has(flag::VOICE),
            Media::Sms => e.has(flag::SMS),
        };
        if !media_ok {
            return reject(RejectReason::MediaNotPermitted);
        }
        let from_a = e.has(flag::FROM_A_SIDE);
        if (e.has(flag::A_TO_B_ONLY) && !from_a) || (e.has(flag::B_TO_A_ONLY) && from_a) {
            return reject(RejectReason::DirectionBarred);
        }
        if anyone && e.has(flag::ALLOW_LIST) {
            let list = (u64::from(e.display_dir) << 14 | u64::from(e.display_sub)) as usize;
            if !self.extras_contain(owner, list, caller.e164())? {
                return reject(RejectReason::CallerNotPermitted);
            }
        }
        let (start, end) = e.window;
        if start != end {
            let w = crate::binding::TimeWindow {
                start_minute: start,
                end_minute: end,
            };
            if !w.contains(now) {
                return reject(RejectReason::OutsideTimeWindow);
            }
        }
        let to = if e.has(flag::GROUP) {
            self.group(owner, e.target as usize)?
        } else if e.target == 0 {
            return reject(RejectReason::NoDestination);
        } else {
            Targets::one(SubscriberNumber::from_stored(e.target).ok_or(Retry)?)
        };
        let display = if e.has(flag::DISPLAY_OTHER) {
            let d = DirEntry::decode(
                self.dir_word(e.display_dir as usize)
                    .load(Ordering::Acquire),
            )
            .ok_or(Retry)?;
            let m = ManagementNumber::new(MANAGEMENT_BASE + d.key).map_err(|_| Retry)?;
            m.usage(e.display_sub).map_err(|_| Retry)?
        } else {
            x
        };
        let mode = match e.mode {
            0 => Mode::Axb,
            1 => Mode::Axn,
            MODE_AXYB => Mode::Axyb,
            _ => Mode::Gxb,
        };
        Ok(Decision::Route(Route {
            to,
            display,
            binding: BindingId::from_raw(e.binding),
            tenant: holder.tenant,
            mode,
            record: e.has(flag::RECORD),
        }))
    }

    /// Reads the numbers of the extras chain starting at `first`, calling `f` on each; checks
    /// afterwards that entry `owner` still has the version it was read under: the writer
    /// rewrites the entry before it frees (and may reuse) the chain, so an unchanged version
    /// means the chain read is the one the entry pointed to.
    fn extras_each(
        &self,
        owner: Owner,
        first: usize,
        mut f: impl FnMut(u64) -> bool,
    ) -> Result<(), Retry> {
        let mut at = first;
        for _ in 0..64 {
            if at >= self.cap.extras {
                return Err(Retry);
            }
            let r = self.extra(at);
            let v1 = r[0].load(Ordering::Acquire);
            if v1 & 1 == 1 {
                return Err(Retry);
            }
            let count = ((v1 >> 32) & 0xFF) as usize;
            let next = r[1].load(Ordering::Relaxed) as usize;
            let mut numbers = [0u64; EXTRA_NUMBERS];
            for (n, w) in numbers.iter_mut().zip(&r[2..]) {
                *n = w.load(Ordering::Relaxed);
            }
            crate::sync::fence(Ordering::Acquire);
            if r[0].load(Ordering::Relaxed) != v1 {
                return Err(Retry);
            }
            let stop = numbers.iter().take(count.min(EXTRA_NUMBERS)).any(|n| f(*n));
            if stop || next == 0 {
                break;
            }
            at = next;
        }
        if slot::version(self.entry(owner.at)) != owner.version {
            return Err(Retry);
        }
        Ok(())
    }

    fn group(&self, owner: Owner, first: usize) -> Result<Targets, Retry> {
        let mut members = [None; crate::binding::MAX_GROUP_MEMBERS];
        let mut len = 0;
        self.extras_each(owner, first, |n| {
            if let (Some(slot), Some(s)) = (members.get_mut(len), SubscriberNumber::from_stored(n))
            {
                *slot = Some(s);
                len += 1;
            }
            false
        })?;
        Ok(Targets::from_array(members, len))
    }

    fn extras_contain(&self, owner: Owner, first: usize, caller: u64) -> Result<bool, Retry> {
        let mut found = false;
        self.extras_each(owner, first, |n| {
            found = n == caller;
            found
        })?;
        Ok(found)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{
        BindRequest, Command, Config, LicensedBlock, NumberChoice, Parties, Policy, Registry,
    };

    #[test]
    fn a_lookup_on_an_entry_its_writer_left_half_written_answers_unavailable() {
        let registry = Registry::new(Config::default(), Capacity::for_bindings(16));
        let now = Timestamp::from_unix_secs(1_767_225_600);
        let tenant = TenantId::from_raw(1);
        let m = ManagementNumber::new(70012340000).unwrap();
        let (a, b) = (
            SubscriberNumber::parse("13800000001").unwrap(),
            SubscriberNumber::parse("13800000002").unwrap(),
        );
        let x = m.usage(7).unwrap();
        for c in [
            Command::RegisterTenant {
                name: "t".into(),
                scenarios: vec![],
                pair_cap: None,
            },
            Command::LicenseBlock(LicensedBlock { first: m, count: 1 }),
            Command::AssignNumber {
                tenant,
                number: m,
                tags: vec![],
            },
            Command::Bind(BindRequest {
                tenant,
                parties: Parties::Axb {
                    a,
                    x: NumberChoice::Given(x),
                    b,
                },
                expires_at: now.plus_secs(60),
                policy: Policy::default(),
                order_id: String::new(),
                consent_ref: "c".into(),
                external_ref: String::new(),
            }),
        ] {
            registry.execute(&c, now).unwrap();
        }
        let index = registry.index();
        assert!(matches!(
            index.route_usage(Some(a), x, Media::Voice, now),
            Decision::Route(_)
        ));
        let Ok(Some((owner, _))) = index.find(x.value() - USAGE_BASE, a.e164()) else {
            panic!("entry")
        };
        // A writer that died between making the version odd and even again.
        index.entry(owner.at)[0].fetch_add(1, Ordering::SeqCst);
        let started = std::time::Instant::now();
        let d = index.route_usage(Some(a), x, Media::Voice, now);
        assert_eq!(
            d,
            Decision::Reject {
                reason: RejectReason::Unavailable
            }
        );
        assert!(started.elapsed() >= GIVE_UP_AFTER && started.elapsed() < GIVE_UP_AFTER * 10);
        // The other party's entry is intact and still routes.
        assert!(matches!(
            index.route_usage(Some(b), x, Media::Voice, now),
            Decision::Route(_)
        ));
    }
}
