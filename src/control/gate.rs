//! The controls around a lookup, in the order every router applies them:
//!
//! 1. the dialled string is parsed (and, for an SMS, the sender and text rules apply —
//!    [`crate::route::route_strings`]);
//! 2. a platform block of the caller (a rule with no callee; manual or automatic) refuses at
//!    once, before anything is looked up: [`RejectReason::Blocked`] / [`RejectReason::AutoBlocked`];
//!    so does a probing mark set by a router and not yet journaled as a rule;
//! 3. probing is counted (the caller's distinct usage numbers in the window): the request that
//!    crosses the threshold blocks the caller and is refused the same way;
//! 4. per-caller and per-usage-number limits count the request: [`RejectReason::RateLimited`];
//! 5. the lookup (the index, with the static controls: standing, real-user reports, policy);
//! 6. a request the lookup would route is refused if a block rule of the platform, of the
//!    binding's tenant or of the binding forbids the caller to reach any of its targets
//!    ([`RejectReason::Blocked`]) — exactly where [`crate::State::route`] applies them — and
//!    otherwise counts against its binding's limits: [`RejectReason::RateLimited`];
//! 7. the decision is written to a record queue (or dropped and counted if it is full).
//!
//! Counting happens before the answer is known, so refused requests count too: a caller that
//! keeps calling through a limit stays refused until the window ends. Nothing a route does here
//! locks, allocates or makes a system call (the drains, the writer's, hold the drainer's lock and
//! read the clock when a queue has a stalled cell: [`super::ring`]).
//!
//! Memory: a request's counts are in at most three 64-byte lines known before the lookup — its
//! caller's (every per-caller limit and probing's two counts), its usage number's (per-number
//! limits) and, for a binding on that number alone, that number's line of the binding tables
//! (see [`super::region`]). The lookup loads them through its [`Hook`] just before it reads its
//! index entry, so their cache misses and the entry's are in flight together; an AXYB binding's
//! line is loaded as soon as its entry names it. A subject that does not fit its line (a prober's
//! many numbers, a number with many bindings in one window) is counted at its own place, one
//! more miss.
#![forbid(unsafe_code)]

use super::counter::{Counted, Marks, Place};
use super::limits::Subject;
use super::record::{Outcome, RouteRecord};
use super::region::{Kind, Region};
use super::sms::SmsRules;
use crate::binding::{Media, Mode};
use crate::index::{Hook, mix};
use crate::number::{DialedNumber, SubscriberNumber, UsageNumber};
use crate::route::{Decision, RejectReason};
use crate::sync::{AtomicU64, Ordering};
use crate::tenant::TenantId;
use crate::time::Timestamp;
use std::cell::Cell;
use std::time::Instant;

/// A detected prober the writer has to journal as an automatic block.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Notice {
    pub caller: SubscriberNumber,
    pub until: Timestamp,
    pub numbers: u32,
    pub window_secs: u32,
}

fn caller_hash(c: SubscriberNumber) -> u64 {
    mix(c.e164())
}

fn number_hash(x: UsageNumber) -> u64 {
    mix(x.value())
}

fn applies(media: Option<Media>, m: Media) -> bool {
    media.is_none_or(|x| x == m)
}

/// Where one request is counted: the place of its caller, its usage number and their pair (every
/// table has the same size, so a subject has one place in all the tables), each only if some
/// count applies to it; and the place of its usage number in the binding tables, where a binding
/// on that number alone is looked for first. A pair is looked for first in its caller's line.
#[derive(Copy, Clone, Default)]
struct Plan {
    caller: Option<Place>,
    number: Option<Place>,
    pair: Option<Place>,
    binding_home: Option<Place>,
}

/// The hook the gate gives the lookup: loads the lines of the request's counts just before the
/// lookup reads its entry, so their cache misses and the entry's are in flight together, and
/// the line of the binding's counts as soon as an entry names it.
pub(crate) struct Touch<'a> {
    lines: [Option<&'a AtomicU64>; 3],
    region: Option<&'a Region>,
}

impl Touch<'_> {
    /// Touches nothing.
    const NONE: Touch<'static> = Touch {
        lines: [None; 3],
        region: None,
    };
}

impl Hook for Touch<'_> {
    fn before_entry(&self) {
        for word in self.lines.iter().flatten() {
            // The value is not needed, only the line in cache: a relaxed atomic load is never
            // optimised away.
            word.load(Ordering::Relaxed);
        }
    }

    fn on_binding(&self, binding: u64, one_number: bool) {
        // A binding on the dialled number alone is looked for first in the line touched before
        // the entry; an AXYB binding only at its own place.
        if !one_number
            && let Some(region) = self.region
            && let Some(word) = region.line(Kind::BindingOwn, region.place_of(mix(binding)))
        {
            word.load(Ordering::Relaxed);
        }
    }
}

impl Region {
    fn marks(&self) -> Marks<'_> {
        Marks::new(self.mark_slots())
    }

    /// Counts in table `i`; `Some(n)` if tracked.
    fn count(&self, i: usize, place: Place, window: u64) -> Option<u32> {
        self.tracked(self.counters(i).count_at(place, window))
    }

    /// `Some(n)` if a count was tracked; counts it if not.
    fn tracked(&self, counted: Counted) -> Option<u32> {
        match counted {
            Counted::Now(n) => Some(n),
            Counted::Untracked => {
                self.note_untracked();
                None
            }
        }
    }

    /// Whether any frequency limit or probing is configured.
    fn counts_anything(&self) -> bool {
        let c = self.controls();
        c.probing.is_some() || !c.limits.is_empty()
    }

    /// Step 2, and the plan of steps 3–4: where the request will be counted.
    fn prepare(
        &self,
        caller: Option<SubscriberNumber>,
        x: Option<UsageNumber>,
        media: Media,
        now: Timestamp,
    ) -> Result<Plan, RejectReason> {
        let c = self.controls();
        let probing = c.probing.is_some();
        if let Some(caller) = caller
            && probing
            && self
                .marks()
                .until(caller_hash(caller), now.unix_secs())
                .is_some()
        {
            return Err(RejectReason::AutoBlocked);
        }
        let (mut by_caller, mut by_number, mut by_binding) = (false, false, false);
        for l in &c.limits {
            if applies(l.media, media) {
                by_caller |= l.subject == Subject::Caller;
                by_number |= l.subject == Subject::UsageNumber;
                by_binding |= l.subject == Subject::Binding;
            }
        }
        let probed = probing && caller.is_some() && x.is_some();
        let number = x.map(|x| self.place_of(number_hash(x)));
        Ok(Plan {
            caller: caller
                .filter(|_| by_caller || probed)
                .map(|c| self.place_of(caller_hash(c))),
            number: number.filter(|_| by_number),
            binding_home: number.filter(|_| by_binding),
            pair: caller
                .zip(x)
                .filter(|_| probed)
                .map(|(c, x)| self.place_of(mix(c.e164() ^ mix(x.value())))),
        })
    }

    /// The hook that loads the lines of `plan`'s counts, and of the binding's.
    fn touch(&self, plan: &Plan) -> Touch<'_> {
        Touch {
            lines: [
                plan.caller.and_then(|p| self.line(Kind::Caller, p)),
                plan.number.and_then(|p| self.line(Kind::Number, p)),
                plan.binding_home.and_then(|p| self.line(Kind::Binding, p)),
            ],
            region: self.counts_bindings().then_some(self),
        }
    }

    /// Steps 3–4: counts the request; the reason to refuse it, if any.
    fn settle(
        &self,
        caller: Option<SubscriberNumber>,
        media: Media,
        now: Timestamp,
        plan: &Plan,
    ) -> Option<RejectReason> {
        let c = self.controls();
        let now_s = now.unix_secs();
        let pairs = c.limits.len();
        if let (Some(p), Some(pair), Some(at), Some(caller)) =
            (c.probing, plan.pair, plan.caller, caller)
        {
            // The pair's first count in the window is a new number for the caller.
            let window = self.window(pairs, now_s);
            let pairs_seen = self.counters(pairs);
            let seen = pairs_seen.count_near(at, &pairs_seen, pair, window);
            if self.tracked(seen) == Some(1)
                && self
                    .count(pairs + 1, at, window)
                    .is_some_and(|n| n > p.distinct_numbers)
            {
                self.block_prober(caller, p.distinct_numbers, now);
                return Some(RejectReason::AutoBlocked);
            }
        }
        let mut limited = false;
        for (i, l) in c.limits.iter().enumerate() {
            let place = match l.subject {
                Subject::Caller => plan.caller,
                Subject::UsageNumber => plan.number,
                Subject::Binding => None,
            };
            if let Some(place) = place
                && applies(l.media, media)
            {
                let window = self.window(i, now_s);
                limited |= self.count(i, place, window).is_some_and(|n| n > l.max);
            }
        }
        limited.then_some(RejectReason::RateLimited)
    }

    /// Marks a prober blocked in every router; the router that marks it first queues the
    /// notice the writer journals.
    fn block_prober(&self, caller: SubscriberNumber, allowed: u32, now: Timestamp) {
        let Some(p) = self.controls().probing else {
            return;
        };
        let until = now.plus_secs(u64::from(p.block_secs));
        if self
            .marks()
            .set(caller_hash(caller), until.unix_secs(), now.unix_secs())
        {
            let notice = Notice {
                caller,
                until,
                numbers: allowed.saturating_add(1),
                window_secs: p.window_secs,
            };
            self.notices().push(&notice.to_words());
        }
    }

    /// Step 6: a routed request against its binding's limits. A binding on one usage number
    /// (every mode but AXYB) is counted first in the line of that number (`home`, the dialled
    /// one, loaded before the lookup), then at its own place; an AXYB binding, on two numbers,
    /// at its own place only — so each binding always probes the same slots.
    fn after(
        &self,
        decision: &Decision,
        media: Media,
        now: Timestamp,
        home: Option<Place>,
    ) -> Option<RejectReason> {
        let Decision::Route(r) = decision else {
            return None;
        };
        if !self.counts_bindings() {
            return None;
        }
        let place = self.place_of(mix(r.binding.raw()));
        let home = home.filter(|_| r.mode != Mode::Axyb);
        let mut limited = false;
        for (i, l) in self.controls().limits.iter().enumerate() {
            if l.subject == Subject::Binding && applies(l.media, media) {
                let window = self.window(i, now.unix_secs());
                let own = self.binding_own(i);
                let counted = match home {
                    Some(home) => self.counters(i).count_near(home, &own, place, window),
                    None => own.count_at(place, window),
                };
                limited |= self.tracked(counted).is_some_and(|n| n > l.max);
            }
        }
        limited.then_some(RejectReason::RateLimited)
    }

    /// Step 7: queues the record of a decision; `false` if the queue was full (counted) or
    /// records are off.
    pub(crate) fn record(&self, record: &RouteRecord) -> bool {
        self.controls().records && self.records(shard()).push(&record.to_words())
    }

    /// Takes up to `out.len()` queued records, oldest first per shard. A cell a router claimed
    /// and never published (it was killed while queuing) is given up after
    /// [`super::ring::STALL_GRACE`] and counted in [`Region::abandoned`] (see [`super::ring`]).
    pub(crate) fn drain(&self, out: &mut [RouteRecord]) -> usize {
        let shards = self.controls().record_shards as usize;
        let mut watches = self.watches();
        let mut clock = None;
        let mut now = || *clock.get_or_insert_with(Instant::now);
        let mut n = 0;
        let mut empty = 0;
        let mut shard = 0;
        // Round robin, so one busy shard does not starve the others' records.
        while n < out.len() && empty < shards {
            let ring = self.records(shard);
            match ring.take(&mut watches[shard], &mut now) {
                Some(words) => {
                    if let Some(r) = RouteRecord::from_words(&words) {
                        out[n] = r;
                        n += 1;
                    }
                    empty = 0;
                }
                None => empty += 1,
            }
            shard = (shard + 1) % shards;
        }
        n
    }

    /// Test hook: what a router killed while queuing a record leaves — a cell of this thread's
    /// record shard claimed and never published.
    #[cfg(test)]
    pub(crate) fn claim_record_and_die(&self) {
        self.records(shard())
            .claim_and_die()
            .expect("room in the queue");
    }

    /// Records dropped because their queue was full, and records abandoned.
    pub(crate) fn dropped(&self) -> u64 {
        (0..self.controls().record_shards as usize)
            .map(|s| self.records(s).dropped())
            .sum::<u64>()
            + self.abandoned()
    }

    /// Records lost after a router claimed a cell for them: given up because the router never
    /// published it (killed, or stopped for longer than [`super::ring::STALL_GRACE`], while
    /// queuing it; see [`super::ring`]).
    pub(crate) fn abandoned(&self) -> u64 {
        (0..self.controls().record_shards as usize)
            .map(|s| self.records(s).abandoned())
            .sum()
    }

    /// Takes the next automatic-block notice (a cell of the notice queue a router was killed
    /// while filling is given up as in [`Region::drain`]).
    pub(crate) fn next_notice(&self) -> Option<Notice> {
        let mut watches = self.watches();
        let watch = watches.last_mut()?;
        let mut clock = None;
        let mut now = || *clock.get_or_insert_with(Instant::now);
        let w = self.notices().take(watch, &mut now)?;
        Some(Notice {
            caller: SubscriberNumber::from_e164(w[0]).ok()?,
            until: Timestamp::from_unix_secs(w[1]),
            numbers: (w[2] >> 32) as u32,
            window_secs: w[2] as u32,
        })
    }

    /// Ends the automatic block of `caller` in every router (its rule was lifted).
    pub(crate) fn clear_mark(&self, caller: SubscriberNumber) -> bool {
        self.marks().clear(caller_hash(caller))
    }
}

impl Notice {
    fn to_words(self) -> [u64; 3] {
        [
            self.caller.e164(),
            self.until.unix_secs(),
            u64::from(self.numbers) << 32 | u64::from(self.window_secs),
        ]
    }
}

thread_local! {
    /// This thread's record shard, chosen once from the address of this very variable (which
    /// differs between threads, and between processes by address-space randomisation) — no
    /// system call, no allocation.
    static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn shard() -> usize {
    SHARD.with(|s| {
        if s.get() == usize::MAX {
            s.set(mix(std::ptr::from_ref(s) as usize as u64) as usize >> 1);
        }
        s.get()
    })
}

fn usage(d: DialedNumber) -> Option<UsageNumber> {
    match d {
        DialedNumber::Usage(x) => Some(x),
        _ => None,
    }
}

/// Steps 2–6 for a parsed request (the steps after parsing).
fn decide(
    region: &Region,
    caller: Option<SubscriberNumber>,
    dialed: DialedNumber,
    media: Media,
    now: Timestamp,
    lookup: impl FnOnce(Option<SubscriberNumber>, DialedNumber, &Touch<'_>) -> Decision,
) -> Decision {
    let blocks = region.blocks();
    if let (Some(c), Some(table)) = (caller, blocks)
        && let Some(reason) = table.caller_barred(c, now)
    {
        return Decision::Reject { reason };
    }
    let x = usage(dialed);
    let counting = region.counts_anything();
    let mut plan = Plan::default();
    if counting {
        match region.prepare(caller, x, media, now) {
            Ok(p) => plan = p,
            Err(reason) => return Decision::Reject { reason },
        }
    }
    // Looked up before the counts are settled, so its memory miss overlaps theirs (the hook
    // loads their lines right before the lookup's entry); a refusal below discards it (a
    // lookup changes nothing).
    let decision = if counting {
        lookup(caller, dialed, &region.touch(&plan))
    } else {
        lookup(caller, dialed, &Touch::NONE)
    };
    if counting && let Some(reason) = region.settle(caller, media, now, &plan) {
        return Decision::Reject { reason };
    }
    if let (Decision::Route(r), Some(c), Some(table)) = (&decision, caller, blocks)
        && table.route_barred(c, r.tenant, r.binding, &r.to, now)
    {
        return Decision::Reject {
            reason: RejectReason::Blocked,
        };
    }
    match region.after(&decision, media, now, plan.binding_home) {
        Some(reason) => Decision::Reject { reason },
        None => decision,
    }
}

/// Step 7.
fn record(
    region: &Region,
    decision: &Decision,
    caller: Option<SubscriberNumber>,
    dialed: Option<UsageNumber>,
    media: Media,
    now: Timestamp,
    holder: impl FnOnce(UsageNumber) -> Option<TenantId>,
) {
    let record = match decision {
        Decision::Route(r) => RouteRecord {
            at: now,
            media,
            caller,
            dialed,
            tenant: Some(r.tenant),
            binding: Some(r.binding),
            to: r.to.iter().next(),
            display: Some(r.display),
            outcome: Outcome::Routed,
        },
        other => RouteRecord {
            at: now,
            media,
            caller,
            dialed,
            tenant: dialed.and_then(holder),
            binding: None,
            to: None,
            display: None,
            outcome: Outcome::of(other),
        },
    };
    region.record(&record);
}

/// Routes the strings a switch sees through the controls around `lookup` (see the module docs
/// for the order); `holder` names the tenant holding a usage number, for the records of
/// requests that did not route.
///
/// `request` is (caller, dialled, media, now) as the switch hands them over; an SMS is screened
/// by `sms` (the sender, then `text` if the switch passed it) right after the dialled string
/// is parsed, before anything is counted.
pub(crate) fn route_controlled(
    region: &Region,
    request: (&str, &str, Media, Timestamp),
    sms: &SmsRules,
    text: Option<&[u8]>,
    lookup: impl FnOnce(Option<SubscriberNumber>, DialedNumber, &Touch<'_>) -> Decision,
    holder: impl FnOnce(UsageNumber) -> Option<TenantId>,
) -> Decision {
    let (caller, dialed, media, now) = request;
    let mut parsed = None;
    let decision = crate::route::route_strings(caller, dialed, media, sms, text, |c, d| {
        parsed = Some((c, usage(d)));
        decide(region, c, d, media, now, lookup)
    });
    if region.controls().records {
        let (c, x) = match parsed {
            Some(p) => p,
            // Refused by the SMS rules after both strings parsed: the record names them.
            None if matches!(
                decision,
                Decision::Reject {
                    reason: RejectReason::CommercialSender | RejectReason::VerificationCode
                }
            ) =>
            {
                (
                    SubscriberNumber::parse(caller).ok(),
                    crate::number::parse_dialed(dialed).ok().and_then(usage),
                )
            }
            None => (None, None),
        };
        record(region, &decision, c, x, media, now, holder);
    }
    decision
}

/// [`route_controlled`] for a parsed request.
pub(crate) fn route_dialed_controlled(
    region: &Region,
    caller: Option<SubscriberNumber>,
    dialed: DialedNumber,
    media: Media,
    now: Timestamp,
    lookup: impl FnOnce(Option<SubscriberNumber>, DialedNumber, &Touch<'_>) -> Decision,
    holder: impl FnOnce(UsageNumber) -> Option<TenantId>,
) -> Decision {
    let decision = decide(region, caller, dialed, media, now, lookup);
    if region.controls().records {
        record(region, &decision, caller, usage(dialed), media, now, holder);
    }
    decision
}
