//! What the benchmarks share: the data set (AXB bindings, ten per usage number), how np700 and the
//! baselines are filled with it, and the baselines' route function built on np700's own parsing.
//!
//! The baselines are what a user would write instead: a map keyed by (usage number, caller) whose
//! value holds everything a route decision needs, and the same `Decision` built from it.
#![allow(dead_code)] // each bench uses a different part of this module

use np700::index::layout::Capacity;
use np700::number::parse_dialed;
use np700::*;
use std::time::Instant;

/// The clock the benchmarks route at (time is an argument in np700).
pub const NOW: Timestamp = Timestamp::from_unix_secs(1_767_225_600);
/// Every binding expires 30 days after [`NOW`].
pub const TTL_SECS: u64 = 30 * 86_400;
/// AXB bindings per usage number (distinct parties).
pub const PER_X: u64 = 10;
/// Bindings per management number (10,000 usage numbers each).
pub const PER_MGMT: u64 = 10_000 * PER_X;
/// The first management number used.
pub const FIRST_MGMT: u64 = 70_010_000_000;
/// Distinct (A, X, B) triples a churning writer cycles through.
pub const CHURN_TRIPLES: u64 = 1_000;

/// `NP700_BENCH_QUICK=1`: small sizes and short measurements, for CI.
pub fn quick() -> bool {
    std::env::var("NP700_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Management numbers needed for `n` bindings.
pub fn mgmts_for(n: u64) -> u64 {
    n.div_ceil(PER_MGMT).max(1)
}

/// Binding `i` of the data set: (A, X, B). Ten bindings share each X; every party is distinct.
pub fn triple(i: u64) -> (SubscriberNumber, UsageNumber, SubscriberNumber) {
    let m = ManagementNumber::new(FIRST_MGMT + i / PER_MGMT).unwrap();
    let x = m.usage(((i % PER_MGMT) / PER_X) as u16).unwrap();
    let a = SubscriberNumber::from_e164(8613000000000 + i).unwrap();
    let b = SubscriberNumber::from_e164(8615000000000 + i).unwrap();
    (a, x, b)
}

/// Churn triple `j` (0..[`CHURN_TRIPLES`]) on the extra management number `churn_mgmt`, which the
/// readers never dial.
pub fn churn_triple(
    churn_mgmt: ManagementNumber,
    j: u64,
) -> (SubscriberNumber, UsageNumber, SubscriberNumber) {
    let x = churn_mgmt.usage((j % CHURN_TRIPLES) as u16).unwrap();
    let a = SubscriberNumber::from_e164(8617000000000 + j).unwrap();
    let b = SubscriberNumber::from_e164(8618000000000 + j).unwrap();
    (a, x, b)
}

/// The request binding A and B through X until `NOW + TTL_SECS`.
pub fn axb_request(
    tenant: TenantId,
    (a, x, b): (SubscriberNumber, UsageNumber, SubscriberNumber),
) -> BindRequest {
    BindRequest {
        tenant,
        parties: Parties::Axb {
            a,
            x: NumberChoice::Given(x),
            b,
        },
        expires_at: NOW.plus_secs(TTL_SECS),
        policy: Policy::default(),
        order_id: String::new(),
        consent_ref: "consent".into(),
        external_ref: String::new(),
    }
}

/// A registry with a tenant holding `mgmts_for(n) + 1` management numbers (the last one is for
/// churning writers) and no bindings yet. Returns the tenant and the churn management number.
pub fn empty_registry(n: u64, cap: Capacity) -> (Registry, TenantId, ManagementNumber) {
    empty_registry_with(Config::default(), n, cap)
}

/// [`empty_registry`] with `config`.
pub fn empty_registry_with(
    config: Config,
    n: u64,
    cap: Capacity,
) -> (Registry, TenantId, ManagementNumber) {
    let r = Registry::new(config, cap);
    let (tenant, churn) = provision(&r, n);
    (r, tenant, churn)
}

/// The commands that give a new tenant `mgmts_for(n) + 1` management numbers (see
/// [`empty_registry`]); in an empty registry the tenant is the first one.
pub fn provisioning(n: u64) -> Vec<Command> {
    let mgmts = mgmts_for(n) + 1;
    let first = ManagementNumber::new(FIRST_MGMT).unwrap();
    let tenant = TenantId::from_raw(1);
    let mut commands = vec![
        Command::RegisterTenant {
            name: "bench".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        Command::LicenseBlock(LicensedBlock {
            first,
            count: mgmts as u32,
        }),
    ];
    commands.extend((0..mgmts).map(|i| Command::AssignNumber {
        tenant,
        number: first.checked_add(i).unwrap(),
        tags: vec![],
    }));
    commands
}

/// Runs [`provisioning`] on an empty registry; returns the tenant and the churn management
/// number.
pub fn provision(r: &Registry, n: u64) -> (TenantId, ManagementNumber) {
    let mut tenant = None;
    for c in provisioning(n) {
        let events = r.execute(&c, NOW).unwrap();
        if let Some(Event::TenantRegistered { tenant: t }) = events.first() {
            tenant = Some(t.id);
        }
    }
    let tenant = tenant.expect("a tenant was registered");
    assert_eq!(
        tenant,
        TenantId::from_raw(1),
        "provisioned an empty registry"
    );
    let first = ManagementNumber::new(FIRST_MGMT).unwrap();
    (tenant, first.checked_add(mgmts_for(n)).unwrap())
}

/// Baseline flag bits (mirroring what np700 keeps per entry).
pub mod flag {
    pub const SUSPENDED: u16 = 1 << 0;
    pub const VOICE: u16 = 1 << 1;
    pub const SMS: u16 = 1 << 2;
    pub const A_TO_B_ONLY: u16 = 1 << 3;
    pub const B_TO_A_ONLY: u16 = 1 << 4;
    pub const FROM_A_SIDE: u16 = 1 << 5;
    pub const RECORD: u16 = 1 << 6;
}

/// What a baseline map stores per (usage number, caller): everything a route decision needs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub target: SubscriberNumber,
    pub display: UsageNumber,
    pub binding: BindingId,
    pub tenant: TenantId,
    /// Unix seconds.
    pub expires: u64,
    pub flags: u16,
    pub mode: Mode,
}

/// The baseline key: (usage number, caller E.164).
pub type Key = (u64, u64);

/// The two baseline entries of an AXB binding (one per party, both routable).
pub fn baseline_entries(b: &Binding) -> [(Key, Value); 2] {
    let Parties::Axb { a, x, b: bb } = b.parties else {
        panic!("AXB only")
    };
    let p = &b.policy;
    let mut flags = 0;
    if p.media.voice {
        flags |= flag::VOICE;
    }
    if p.media.sms {
        flags |= flag::SMS;
    }
    if p.record {
        flags |= flag::RECORD;
    }
    axb_entries((a, x, bb), b.id, b.tenant, b.expires_at.unix_secs(), flags)
}

/// The two baseline entries of AXB binding `id` between A and B through X.
pub fn axb_entries(
    (a, x, b): (SubscriberNumber, UsageNumber, SubscriberNumber),
    id: BindingId,
    tenant: TenantId,
    expires: u64,
    flags: u16,
) -> [(Key, Value); 2] {
    let v = |target, flags| Value {
        target,
        display: x,
        binding: id,
        tenant,
        expires,
        flags,
        mode: Mode::Axb,
    };
    [
        ((x.value(), a.e164()), v(b, flags | flag::FROM_A_SIDE)),
        ((x.value(), b.e164()), v(a, flags)),
    ]
}

/// The decision a baseline builds from its lookup, with the same checks np700 makes on a hit.
#[inline]
pub fn baseline_decide(found: Option<Value>, media: Media, now: Timestamp) -> Decision {
    let reject = |reason| Decision::Reject { reason };
    let Some(v) = found else {
        return reject(RejectReason::NoBinding);
    };
    if now.unix_secs() >= v.expires {
        return Decision::Announce {
            reason: AnnounceReason::Expired,
        };
    }
    if v.flags & flag::SUSPENDED != 0 {
        return reject(RejectReason::BindingSuspended);
    }
    let media_ok = match media {
        Media::Voice => v.flags & flag::VOICE != 0,
        Media::Sms => v.flags & flag::SMS != 0,
    };
    if !media_ok {
        return reject(RejectReason::MediaNotPermitted);
    }
    let from_a = v.flags & flag::FROM_A_SIDE != 0;
    if (v.flags & flag::A_TO_B_ONLY != 0 && !from_a) || (v.flags & flag::B_TO_A_ONLY != 0 && from_a)
    {
        return reject(RejectReason::DirectionBarred);
    }
    Decision::Route(Route {
        to: np700::binding::Targets::one(v.target),
        display: v.display,
        binding: v.binding,
        tenant: v.tenant,
        mode: v.mode,
        record: v.flags & flag::RECORD != 0,
    })
}

/// A baseline's `route`: np700's parsing, then `lookup`, then [`baseline_decide`].
#[inline]
pub fn baseline_route(
    caller: &str,
    dialed: &str,
    media: Media,
    now: Timestamp,
    lookup: impl FnOnce(&Key) -> Option<Value>,
) -> Decision {
    let x = match parse_dialed(dialed) {
        Ok(DialedNumber::Usage(x)) => x,
        Ok(d) => {
            return Decision::CollectDigits {
                needed: d.digits_needed(),
            };
        }
        Err(np700::number::NumberError::NotSegment700) => {
            return Decision::Reject {
                reason: RejectReason::NotOurs,
            };
        }
        Err(_) => {
            return Decision::Reject {
                reason: RejectReason::MalformedNumber,
            };
        }
    };
    let Ok(caller) = SubscriberNumber::parse(caller) else {
        return Decision::Reject {
            reason: RejectReason::CallerUnidentified,
        };
    };
    baseline_decide(lookup(&(x.value(), caller.e164())), media, now)
}

/// splitmix64: a small deterministic generator (no `rand` dependency).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform-enough in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

/// The strings a switch would hand over for "party `side` of binding `i` dials X", in one of
/// several shapes chosen by `shape`. Written into `buf`; returns (caller, dialed) lengths.
pub fn query_into(i: u64, caller_is_a: bool, shape: u64, buf: &mut QueryBuf) {
    let (a, x, b) = triple(i);
    let caller = if caller_is_a { a } else { b };
    // 86 13x xxxx xxxx → national 13x…
    let national = caller.e164() - 86 * 10u64.pow(11);
    buf.caller.clear();
    buf.dialed.clear();
    match shape % 4 {
        0 => {
            buf.caller.push_u64(national);
            buf.dialed.push_u64(x.value());
        }
        1 => {
            buf.caller.push_str("+");
            buf.caller.push_u64(caller.e164());
            buf.dialed.push_str("+86");
            buf.dialed.push_u64(x.value());
        }
        2 => {
            buf.caller.push_str("tel:+");
            buf.caller.push_u64(caller.e164());
            buf.dialed.push_str("0086");
            buf.dialed.push_u64(x.value());
        }
        _ => {
            buf.caller.push_u64(caller.e164());
            buf.dialed.push_str("sip:+86");
            buf.dialed.push_u64(x.value());
            buf.dialed.push_str("@ims.example.cn;user=phone");
        }
    }
}

/// A fixed-capacity string on the stack (formatting a query allocates nothing).
pub struct StackStr {
    bytes: [u8; 48],
    len: usize,
}

impl Default for StackStr {
    fn default() -> Self {
        StackStr {
            bytes: [0; 48],
            len: 0,
        }
    }
}

impl StackStr {
    pub fn clear(&mut self) {
        self.len = 0;
    }
    pub fn push_str(&mut self, s: &str) {
        self.bytes[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
    }
    pub fn push_u64(&mut self, mut v: u64) {
        let mut tmp = [0u8; 20];
        let mut n = 0;
        loop {
            tmp[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for k in (0..n).rev() {
            self.bytes[self.len] = tmp[k];
            self.len += 1;
        }
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap()
    }
}

/// A caller and a dialled string.
#[derive(Default)]
pub struct QueryBuf {
    pub caller: StackStr,
    pub dialed: StackStr,
}

/// The shape of the benchmarks' queries: caller and dialled number in E.164 with `+` (what a
/// softswitch normalising to E.164 hands over). One shape per run, as one switch sends; the
/// report also times parsing over a mix of all shapes.
pub const QUERY_SHAPE: u64 = 1;

/// `count` random queries over bindings `0..n` in [`QUERY_SHAPE`], as owned strings (formatting
/// is not measured).
pub fn queries(n: u64, count: usize, seed: u64) -> Vec<(String, String)> {
    queries_shaped(n, count, seed, Some(QUERY_SHAPE))
}

/// Like [`queries`], in `shape`, or in a random mix of shapes for `None`.
pub fn queries_shaped(
    n: u64,
    count: usize,
    seed: u64,
    shape: Option<u64>,
) -> Vec<(String, String)> {
    let mut rng = Rng(seed);
    let mut buf = QueryBuf::default();
    (0..count)
        .map(|_| {
            let i = rng.below(n);
            let r = rng.next();
            query_into(i, r & 1 == 0, shape.unwrap_or(r >> 1), &mut buf);
            (
                buf.caller.as_str().to_owned(),
                buf.dialed.as_str().to_owned(),
            )
        })
        .collect()
}

/// VmRSS of this process, in KiB.
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Prints a progress line to stderr.
pub fn note(started: Instant, what: &str) {
    eprintln!(
        "[{:>7.1} s] {what} (RSS {} MB)",
        started.elapsed().as_secs_f64(),
        rss_kb() / 1024
    );
}
