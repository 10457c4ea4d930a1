//! `c_abi_controls`: bytes → a sequence of calls to the C ABI's regulatory controls, made as a C
//! program makes them, beside the calls `c_abi` makes (whose harness, model and checks this
//! module shares: it is a child of `c_abi`).
//!
//! The functions: the controls of a configuration (frequency limits, probing, route records and
//! the sizes of the controls' tables, the SMS rules, the archive), the route records
//! (`np700_registry_drain_records`, `…_records_dropped`, `…_untracked`, and the follower's),
//! block rules (`np700_registry_block_caller`, `…_block_binding`, `…_lift_block`), real-user
//! reports, SMS with their text (`np700_route_message`, and the reader's and follower's), the
//! archive (`np700_registry_end_call`, `…_history`, `…_archive_drained`, `…_report`), and what
//! reaching them takes: journaled registries (`np700_registry_open`) and followers of their
//! journal (`np700_follower_open`, `…_poll`, `…_route`, `…_free`).
//!
//! Arguments are as careless as in `c_abi` (NULL and misaligned pointers, strings of arbitrary
//! bytes, out-of-range codes, sizes and times, stale and made-up handles) and valid ones come
//! from a small universe: the people of `c_abi`, commercial SMS ports, SMS texts with and
//! without verification codes, keywords and prefixes.
//!
//! Every `c_abi` check still applies (statuses known, outputs untouched on error, the last
//! error, handles, refusals changing no count, tenants never mixing, no leak). On top, a model
//! of the controls, built from the successful calls, predicts:
//!
//! - every setter's status (range, enum, a full list, a duplicate not added) and what a
//!   registry (or follower) made from the configuration then applies;
//! - block rules: the statuses of `block_caller`, `block_binding` and `lift_block` (who may lift
//!   what: a tenant only its own rules, `NP700_ERR_BLOCK_RULE_NOT_OWNED` otherwise; the platform
//!   any), their ids (in order, GXB consecutive), and that a caller blocked platform-wide is
//!   refused `NP700_REJECT_BLOCKED` by every router before anything is looked up, that a route
//!   a rule forbids is refused and never connected, until the rule is lifted, expires or is
//!   swept;
//! - real-user reports: a binding of a tenant that requires them routes only once its
//!   subscriber A is reported (`NP700_REJECT_USER_NOT_REPORTED` before);
//! - frequency limits: each request is counted as documented (by caller, usage number or
//!   binding, per medium, in epoch-aligned windows), so a limit of N admits exactly N requests
//!   in a window and refuses the rest `NP700_REJECT_RATE_LIMITED`; probing blocks a caller
//!   (`NP700_REJECT_AUTO_BLOCKED`) when it dials one number too many, until the block ends or
//!   is lifted, and the block becomes a rule at the next `np700_registry_archive_drained`;
//! - SMS rules: an SMS from a commercial prefix, or (with its text) with a keyword and a code's
//!   digit run, is refused before anything is looked up or counted;
//! - records: a drain returns exactly the decisions made since the last one, in order and field
//!   by field, while the queue had room; the others are counted as dropped;
//! - the archive's answers that the state alone decides (a live binding's history, an unknown
//!   binding's call end) and the report's figures as of `now` (tenants, numbers held, live
//!   bindings, block rules in force).
//!
//! Where a prediction depends on what the model cannot know exactly (a counter table too small
//! for its subjects, time going back across a window, a policy other than the default, a
//! number whose earlier bindings left quarantines), the model says so and checks what it still
//! can: a decision it cannot predict must still be consistent with the rules it knows (a routed
//! call is never one a rule forbids, a `BLOCKED` refusal needs a rule that applies, …).

use super::*;
use np700::control::sms::SmsRules;
use np700::number::NumberError;
use std::collections::VecDeque;

// ---------------------------------------------------------------------------------------------
// The universe, beside `c_abi`'s.

/// Commercial SMS ports and service numbers, as a switch may hand them over.
const SENDERS: [&str; 8] = [
    "10690001234",
    "+86 1069 0000 1234",
    "1065 5012 3456",
    "tel:+8610690001234",
    "95555",
    "106",
    "008610690001234",
    "sip:10690001234@sms.example",
];

/// SMS texts: codes with the default keywords, look-alikes that are not, and texts that need a
/// keyword or a digit range of the fuzzer's.
const TEXTS: [&str; 16] = [
    "您的验证码是 482913，5分钟内有效。",
    "Your verification code is 4829",
    "我到楼下了，电话 13800000001",
    "See you at 5",
    "Your OTP: 12345678",
    "hotpot at 1234",
    "验证码",
    "code 123456",
    "验证码：１２３４５６",
    "PIN 4821",
    "口令 99887766",
    "",
    "VERIFICATION CODE IS 1234",
    "验证码 123",
    "验证码 123456789",
    "验证码１２34",
];

const KEYWORDS: [&str; 7] = ["验证码", "code", "pin", "口令", "OTP", "Code Is", "码"];

const PREFIXES: [&str; 10] = [
    "106",
    "138",
    "1380000000",
    "10",
    "010",
    "44",
    "95",
    "1",
    "8613800000000",
    "1069000123456789",
];

/// A valid value of one of the kinds this target adds to `c_abi`'s [`TextKind`].
pub(super) fn valid_text(kind: TextKind, which: u8, form: u8) -> String {
    let w = usize::from(which);
    match kind {
        TextKind::Sender if which < 176 => {
            let n = SubscriberNumber::from_e164(PEOPLE[w % PEOPLE.len()]).expect("valid");
            subscriber_text(n, form)
        }
        TextKind::Sender => SENDERS[w % SENDERS.len()].to_owned(),
        TextKind::SmsText => TEXTS[w % TEXTS.len()].to_owned(),
        TextKind::SmsPrefix => PREFIXES[w % PREFIXES.len()].to_owned(),
        // The longest keyword accepted, beside the universe.
        TextKind::SmsKeyword if which >= 250 => "k".repeat(NP700_MAX_SMS_KEYWORD_LEN),
        TextKind::SmsKeyword => KEYWORDS[w % KEYWORDS.len()].to_owned(),
        other => unreachable!("{other:?} is c_abi's"),
    }
}

// ---------------------------------------------------------------------------------------------
// What the fuzzer's bytes decode to.

/// A configuration setter of the controls.
#[derive(Clone, Debug)]
pub enum ConfigOp {
    AddRateLimit {
        subject: u8,
        media: u8,
        window: u8,
        max: u8,
    },
    ClearRateLimits,
    SetProbing(u8, u8, u8),
    SetRecords(bool, u8, u8),
    SetControlSizes(u8, u8, u8),
    AddSmsPrefix(Text),
    AddSmsKeyword(Text),
    SetSmsDigits(u8, u8),
    ClearSmsRules,
    SetArchive(bool, u8),
}

impl<'a> Arbitrary<'a> for ConfigOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=15)? {
            0..=4 => ConfigOp::AddRateLimit {
                subject: u.arbitrary()?,
                media: u.arbitrary()?,
                window: u.arbitrary()?,
                max: u.arbitrary()?,
            },
            5 => ConfigOp::ClearRateLimits,
            6 | 7 => ConfigOp::SetProbing(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            8 | 9 => ConfigOp::SetRecords(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            10 => ConfigOp::SetControlSizes(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            11 => ConfigOp::AddSmsPrefix(u.arbitrary()?),
            12 => ConfigOp::AddSmsKeyword(u.arbitrary()?),
            13 => ConfigOp::SetSmsDigits(u.arbitrary()?, u.arbitrary()?),
            14 => ConfigOp::ClearSmsRules,
            _ => ConfigOp::SetArchive(u.arbitrary()?, u.arbitrary()?),
        })
    }
}

/// A limit's subject: mostly valid.
fn subject_code(b: u8) -> u32 {
    if b < 230 {
        u32::from(b % 3) + 1
    } else {
        u32::from(b - 230) * 7
    }
}

/// A limit's media: mostly valid.
fn media_code(b: u8) -> u32 {
    if b < 230 {
        [NP700_MEDIA_VOICE, NP700_MEDIA_SMS, NP700_MEDIA_ALL][usize::from(b % 3)]
    } else {
        u32::from(b - 230) * 5
    }
}

fn window_secs(b: u8) -> u32 {
    [1, 60, 60, 3600, 86400, 30, 7, 0, 1 << 24, u32::MAX][usize::from(b % 10)]
}

fn limit_max(b: u8) -> u32 {
    [1, 1, 2, 2, 3, 5, 0, u32::MAX][usize::from(b % 8)]
}

fn probing_value(b: u8, values: [u32; 6]) -> u32 {
    values[usize::from(b % 6)]
}

/// A control size, around the documented range (1 ..= 2^26). Not 2^26 block rules: a block
/// table that large is cleared word by word when a registry is made, 8 GiB (reported; see
/// fuzz/README.md).
fn size(b: u8, block_table: bool) -> u32 {
    let v = [
        0,
        1,
        2,
        3,
        4,
        8,
        16,
        100,
        1024,
        65_536,
        NP700_MAX_CONTROL_SIZE,
        NP700_MAX_CONTROL_SIZE + 1,
        u32::MAX,
    ][usize::from(b % 13)];
    if block_table && v == NP700_MAX_CONTROL_SIZE {
        1 << 16
    } else {
        v
    }
}

/// Record shards. Not 2^26: a drain (and `np700_registry_records_dropped`) visits every
/// shard's header, records on or off, and over a shared index that allocates a page per visit:
/// gigabytes (reported; see fuzz/README.md).
fn shards(b: u8) -> u32 {
    match size(b, false) {
        NP700_MAX_CONTROL_SIZE => 1 << 10,
        v => v,
    }
}

/// Records per shard. Not 1: a queue of one record loses every record but the last without
/// counting it, and a drain then never returns (a bug in the record ring, reported; see
/// fuzz/README.md) — a run would hang.
fn per_shard(b: u8) -> u32 {
    match size(b, false) {
        1 => 2,
        v => v,
    }
}

fn digits_value(b: u8) -> u32 {
    [0, 1, 3, 4, 6, 8, 32, 33][usize::from(b % 8)]
}

fn retention(b: u8) -> u64 {
    [
        0,
        1,
        86_400,
        NP700_DEFAULT_RETENTION_SECS,
        NP700_MAX_RETENTION_SECS,
        NP700_MAX_RETENTION_SECS + 1,
        u64::MAX,
    ][usize::from(b % 7)]
}

/// A journal directory argument (for `np700_registry_open` and `np700_follower_open`).
#[derive(Clone, Copy, Debug)]
pub enum DirPick {
    /// One of two journal directories of the run (`i % 2`).
    Dir(u8),
    Null,
    NullWithLen(u16),
    /// A non-NULL pointer, length 0.
    Empty,
    InvalidUtf8(u8),
    TooLong(u8),
    /// A plain file, not a directory.
    File,
    /// A directory that does not exist (followers only: a registry would create it).
    Missing,
}

impl<'a> Arbitrary<'a> for DirPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=15)? {
            0..=8 => DirPick::Dir(u.arbitrary()?),
            9 => DirPick::Null,
            10 => DirPick::NullWithLen(u.arbitrary()?),
            11 => DirPick::Empty,
            12 => DirPick::InvalidUtf8(u.arbitrary()?),
            13 => DirPick::TooLong(u.arbitrary()?),
            14 => DirPick::File,
            _ => DirPick::Missing,
        })
    }
}

/// A block expiry: 0 and `NP700_TIME_NEVER` mean none.
#[derive(Clone, Copy, Debug)]
pub enum BlockExpiry {
    Zero,
    Pick(ExpiryPick),
}

impl<'a> Arbitrary<'a> for BlockExpiry {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(if u.ratio(1u8, 3)? {
            BlockExpiry::Zero
        } else {
            BlockExpiry::Pick(u.arbitrary()?)
        })
    }
}

impl BlockExpiry {
    fn at(self, now: u64, clock: u64) -> u64 {
        match self {
            BlockExpiry::Zero => 0,
            BlockExpiry::Pick(e) => e.at(now, clock),
        }
    }
}

/// A block rule id: mostly one the model knows of (or the next), sometimes any.
#[derive(Clone, Copy, Debug)]
pub enum BlockPick {
    Near(u8),
    Raw(u64),
}

impl<'a> Arbitrary<'a> for BlockPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(if b < 240 {
            BlockPick::Near(b)
        } else {
            BlockPick::Raw(u.arbitrary()?)
        })
    }
}

#[derive(Clone, Debug)]
pub struct BlockCallerPick {
    registry: HandlePick,
    tenant: TenantPick,
    caller: Text,
    callee: Text,
    both_ways: bool,
    expires: BlockExpiry,
    note: Text,
    now: TimePick,
    out: OutPick,
}

impl<'a> Arbitrary<'a> for BlockCallerPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let registry = u.arbitrary()?;
        let tenant = u.arbitrary()?;
        let caller = u.arbitrary()?;
        // Mostly anyone, or a person.
        let callee = match u.int_in_range(0u8..=3)? {
            0 | 1 => Text::Null,
            2 => Text::Valid {
                which: u.arbitrary()?,
                form: u.arbitrary()?,
            },
            _ => u.arbitrary()?,
        };
        Ok(BlockCallerPick {
            registry,
            tenant,
            caller,
            callee,
            both_ways: u.ratio(1u8, 4)?,
            expires: u.arbitrary()?,
            note: u.arbitrary()?,
            now: u.arbitrary()?,
            out: u.arbitrary()?,
        })
    }
}

#[derive(Arbitrary, Clone, Debug)]
pub struct BlockBindingPick {
    registry: HandlePick,
    tenant: TenantPick,
    binding: BindingPick,
    direction: CodePick,
    expires: BlockExpiry,
    note: Text,
    now: TimePick,
    out: OutPick,
}

/// An SMS text argument.
#[derive(Clone, Debug)]
pub enum Body {
    Text(Text),
    /// `NP700_MAX_SMS_TEXT_LEN` bytes (accepted), or one more (refused).
    Boundary(bool),
}

impl<'a> Arbitrary<'a> for Body {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(if u.ratio(1u8, 24)? {
            Body::Boundary(u.arbitrary()?)
        } else {
            Body::Text(u.arbitrary()?)
        })
    }
}

/// The shape of an SMS routed with its text.
#[derive(Clone, Debug)]
pub struct MessagePick {
    caller: Text,
    dialed: Text,
    text: Body,
    now: TimePick,
    out: OutPick,
}

impl<'a> Arbitrary<'a> for MessagePick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.ratio(2u8, 3)? {
            // A person (or a port) texting a number bound so far, a text of the universe.
            return Ok(MessagePick {
                caller: Text::Valid {
                    which: u.arbitrary()?,
                    form: u8::arbitrary(u)? % 6,
                },
                dialed: Text::Valid {
                    which: u8::arbitrary(u)? % 160,
                    form: u8::arbitrary(u)? % 7,
                },
                text: Body::Text(Text::Valid {
                    which: u.arbitrary()?,
                    form: 0,
                }),
                now: TimePick::Clock,
                out: OutPick::Valid,
            });
        }
        Ok(MessagePick {
            caller: u.arbitrary()?,
            dialed: u.arbitrary()?,
            text: u.arbitrary()?,
            now: u.arbitrary()?,
            out: u.arbitrary()?,
        })
    }
}

/// A record buffer argument of a drain.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainOut {
    Valid,
    Null,
    Misaligned,
}

#[derive(Arbitrary, Clone, Debug)]
pub struct EndCallPick {
    registry: HandlePick,
    binding: BindingPick,
    caller: Text,
    dialed: Text,
    started: TimePick,
    answered: bool,
    duration: u16,
    cause: u8,
    now: TimePick,
}

#[derive(Arbitrary, Clone, Debug)]
pub struct HistoryPick {
    registry: HandlePick,
    usage: Text,
    caller: Text,
    at: TimePick,
    out: OutPick,
}

/// The buffer of a report.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum ReportBuf {
    /// `(NULL, 0)` for the size, then a buffer of exactly that size.
    TwoStep,
    /// A buffer of this many bytes.
    Len(u16),
    Null,
    NullWithLen(u16),
}

#[derive(Arbitrary, Clone, Debug)]
pub struct ReportPick {
    registry: HandlePick,
    from: TimePick,
    to: TimePick,
    now: TimePick,
    buf: ReportBuf,
    needed: OutPick,
    needed_null: bool,
}

/// One call (or a `c_abi` step).
#[derive(Clone, Debug)]
pub enum CtlOp {
    /// Anything `c_abi` does (binds, routes, readers, sweeps, time passing, …).
    Base(Op),
    Config(HandlePick, ConfigOp),
    RegistryOpen {
        config: HandlePick,
        dir: DirPick,
        out: OutPick,
        recovery: Option<OutPick>,
    },
    BlockCaller(Box<BlockCallerPick>),
    BlockBinding(Box<BlockBindingPick>),
    LiftBlock {
        registry: HandlePick,
        tenant: TenantPick,
        block: BlockPick,
        now: TimePick,
    },
    SetRealUserRequired {
        registry: HandlePick,
        tenant: TenantPick,
        required: bool,
        now: TimePick,
    },
    ReportRealUser {
        registry: HandlePick,
        tenant: TenantPick,
        subscriber: Text,
        reported: bool,
        now: TimePick,
    },
    RouteMessage(HandlePick, Box<MessagePick>),
    ReaderRouteMessage(HandlePick, Box<MessagePick>),
    FollowerOpen {
        config: HandlePick,
        dir: DirPick,
        out: OutPick,
    },
    FollowerFree(HandlePick),
    FollowerPoll(HandlePick, Option<OutPick>),
    FollowerRoute(HandlePick, RoutePick),
    FollowerRouteMessage(HandlePick, Box<MessagePick>),
    /// `np700_registry_drain_records` or (`follower`) `np700_follower_drain_records`.
    Drain {
        follower: bool,
        handle: HandlePick,
        out: DrainOut,
        capacity: u8,
        written: OutPick,
    },
    Dropped {
        follower: bool,
        handle: HandlePick,
        out: OutPick,
    },
    Untracked(HandlePick, OutPick),
    EndCall(Box<EndCallPick>),
    History(Box<HistoryPick>),
    ArchiveDrained {
        registry: HandlePick,
        max: u8,
        now: TimePick,
        out: OutPick,
    },
    Report(Box<ReportPick>),
}

impl<'a> Arbitrary<'a> for CtlOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let a = |u: &mut Unstructured<'a>| HandlePick::arbitrary(u);
        Ok(match u.int_in_range(0u8..=63)? {
            0..=9 | 60..=63 => CtlOp::Base(Op::arbitrary(u)?),
            10..=13 => CtlOp::Base(Op::Bind(
                a(u)?,
                Box::new(BindPick::plain(u)?),
                TimePick::Clock,
                OutPick::Valid,
            )),
            14..=20 => CtlOp::Base(Op::Route(a(u)?, u.arbitrary()?)),
            21 | 22 => CtlOp::Base(Op::ReaderRoute(a(u)?, u.arbitrary()?)),
            23..=25 => CtlOp::RouteMessage(a(u)?, u.arbitrary()?),
            26 => CtlOp::ReaderRouteMessage(a(u)?, u.arbitrary()?),
            27 => CtlOp::FollowerRouteMessage(a(u)?, u.arbitrary()?),
            28 | 29 => CtlOp::FollowerRoute(a(u)?, u.arbitrary()?),
            30 => CtlOp::FollowerPoll(a(u)?, u.arbitrary()?),
            31 => {
                if u.ratio(2u8, 3)? {
                    CtlOp::FollowerOpen {
                        config: a(u)?,
                        dir: u.arbitrary()?,
                        out: u.arbitrary()?,
                    }
                } else {
                    CtlOp::FollowerFree(a(u)?)
                }
            }
            32 | 33 => CtlOp::BlockCaller(u.arbitrary()?),
            34 => CtlOp::BlockBinding(u.arbitrary()?),
            35 | 36 => CtlOp::LiftBlock {
                registry: a(u)?,
                tenant: u.arbitrary()?,
                block: u.arbitrary()?,
                now: u.arbitrary()?,
            },
            37 => CtlOp::SetRealUserRequired {
                registry: a(u)?,
                tenant: u.arbitrary()?,
                required: u.ratio(2u8, 3)?,
                now: u.arbitrary()?,
            },
            38 => CtlOp::ReportRealUser {
                registry: a(u)?,
                tenant: u.arbitrary()?,
                subscriber: u.arbitrary()?,
                reported: u.ratio(3u8, 4)?,
                now: u.arbitrary()?,
            },
            39..=41 => CtlOp::Drain {
                follower: u.ratio(1u8, 4)?,
                handle: a(u)?,
                out: if u.ratio(7u8, 8)? {
                    DrainOut::Valid
                } else {
                    u.arbitrary()?
                },
                capacity: u.arbitrary()?,
                written: u.arbitrary()?,
            },
            42 => CtlOp::Dropped {
                follower: u.arbitrary()?,
                handle: a(u)?,
                out: u.arbitrary()?,
            },
            43 => CtlOp::Untracked(a(u)?, u.arbitrary()?),
            44..=47 => CtlOp::Config(a(u)?, u.arbitrary()?),
            48 => CtlOp::Base(Op::RegistryNew(a(u)?, u.arbitrary()?)),
            49 => CtlOp::RegistryOpen {
                config: a(u)?,
                dir: u.arbitrary()?,
                out: u.arbitrary()?,
                recovery: u.arbitrary()?,
            },
            50 => CtlOp::EndCall(u.arbitrary()?),
            51 => CtlOp::History(u.arbitrary()?),
            52 | 53 => CtlOp::ArchiveDrained {
                registry: a(u)?,
                max: u.arbitrary()?,
                now: u.arbitrary()?,
                out: u.arbitrary()?,
            },
            54 => CtlOp::Report(u.arbitrary()?),
            55 | 56 => CtlOp::Base(Op::Advance(u16::from(u8::arbitrary(u)?))),
            57 => CtlOp::Base(Op::Advance(u.arbitrary()?)),
            _ => CtlOp::Base(Op::Sweep(a(u)?, u.arbitrary()?, u.arbitrary()?)),
        })
    }
}

/// How a run starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// Nothing: every object is made by the ops.
    Nothing,
    /// A registry (two tenants holding two numbers each) in private memory.
    Heap,
    /// … publishing a shared index, a reader attached.
    Shared,
    /// … journaled (with its archive) in the run's first journal directory.
    Journaled,
    /// … and a follower of its journal.
    Followed,
    /// … journaled, publishing a shared index with a reader attached, and followed.
    Everything,
}

/// A whole input.
#[derive(Clone, Debug)]
pub struct Input {
    pub setup: Setup,
    /// Setters applied to the provisioned registry's configuration (and the follower's) before
    /// they are made.
    pub preset: Vec<ConfigOp>,
    pub ops: Vec<CtlOp>,
}

/// What `data` decodes to.
pub fn decode(data: &[u8]) -> Input {
    let mut u = Unstructured::new(data);
    let setup = match u8::arbitrary(&mut u).unwrap_or(0) % 6 {
        0 => Setup::Nothing,
        1 => Setup::Heap,
        2 => Setup::Shared,
        3 => Setup::Journaled,
        4 => Setup::Followed,
        _ => Setup::Everything,
    };
    let mut preset = Vec::new();
    if setup != Setup::Nothing {
        let n = u.int_in_range(0u8..=6).unwrap_or(0);
        for _ in 0..n {
            match ConfigOp::arbitrary(&mut u) {
                Ok(c) => preset.push(c),
                Err(_) => break,
            }
        }
    }
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < MAX_OPS {
        match CtlOp::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    Input { setup, preset, ops }
}

// ---------------------------------------------------------------------------------------------
// The model.

#[derive(Clone, Debug, PartialEq, Eq)]
struct Limit {
    subject: u32,
    media: u32,
    window: u32,
    max: u32,
}

/// A configuration's dynamic controls (the defaults documented in the header).
#[derive(Clone, Debug)]
struct ControlsModel {
    limits: Vec<Limit>,
    /// (distinct numbers, window, block seconds).
    probing: Option<(u32, u32, u32)>,
    records: bool,
    shards: u32,
    per_shard: u32,
    counter_slots: u32,
    mark_slots: u32,
    block_rules: u32,
}

impl Default for ControlsModel {
    fn default() -> Self {
        ControlsModel {
            limits: Vec::new(),
            probing: None,
            records: true,
            shards: 4,
            per_shard: 16_384,
            counter_slots: 131_072,
            mark_slots: 8_192,
            block_rules: 65_536,
        }
    }
}

impl ControlsModel {
    /// Bytes the controls' memory takes, roughly: past a few GiB a registry may not be made
    /// (`NP700_ERR_IO`, as documented).
    fn bytes(&self) -> u128 {
        let tables = self.limits.len() as u128 + if self.probing.is_some() { 2 } else { 0 };
        u128::from(self.counter_slots) * 8 * tables
            + u128::from(self.mark_slots) * 8
            + u128::from(self.block_rules) * 2 * 40
            + u128::from(self.shards) * u128::from(self.per_shard.next_power_of_two()) * 64
    }
}

/// SMS rules: a configuration's, and a router's.
#[derive(Clone, Debug)]
struct SmsModel {
    prefixes: Vec<String>,
    keywords: Vec<String>,
    digits: (u32, u32),
}

impl Default for SmsModel {
    /// The documented default ("106", and the keywords of the library's default rules).
    fn default() -> Self {
        let d = SmsRules::default();
        assert_eq!(
            d.commercial_prefixes,
            ["106"],
            "the documented default prefix"
        );
        SmsModel {
            prefixes: d.commercial_prefixes,
            keywords: d.code_keywords,
            digits: (4, 8),
        }
    }
}

impl SmsModel {
    /// Whether the sender, as the switch hands it over, is a commercial port: its national
    /// digits (after a `tel:`/`sip:`/`sips:` scheme and before a URI's `@` or `;`, separators
    /// ` -.()` dropped, after `+86`, `0086` or `86`) start with a prefix; a number with another
    /// country code is not one, nor a Beijing line written `+86 10…` (ten national digits).
    fn commercial(&self, raw: &[u8]) -> bool {
        let lower: Vec<u8> = raw.iter().map(u8::to_ascii_lowercase).collect();
        let (body, uri) = ["tel:", "sip:", "sips:"]
            .iter()
            .find(|s| lower.starts_with(s.as_bytes()))
            .map_or((raw, false), |s| (&raw[s.len()..], true));
        let mut digits = Vec::new();
        let mut plus = false;
        for &c in body {
            match c {
                b'0'..=b'9' => digits.push(c),
                b' ' | b'-' | b'.' | b'(' | b')' => {}
                b'+' if !plus && digits.is_empty() => plus = true,
                b'@' | b';' if uri => break,
                _ => return false,
            }
        }
        let national: &[u8] = if plus {
            match digits.strip_prefix(b"86") {
                Some(rest) => rest,
                None => return false,
            }
        } else if let Some(rest) = digits.strip_prefix(b"0086") {
            rest
        } else if digits.starts_with(b"00") {
            return false;
        } else if let Some(rest) = digits.strip_prefix(b"86") {
            rest
        } else {
            &digits
        };
        let with_country_code = national.len() < digits.len();
        if national.is_empty() {
            return false;
        }
        if with_country_code && national.len() == 10 && national.starts_with(b"10") {
            return false;
        }
        self.prefixes
            .iter()
            .any(|p| national.starts_with(p.as_bytes()))
    }

    /// Whether a text looks like a verification code: a maximal run of `digits` digits (ASCII
    /// or full-width, mixed) and a keyword (ASCII case-insensitively; a keyword's ASCII letter
    /// at either end not touching an ASCII letter of the text).
    fn code(&self, text: &[u8]) -> bool {
        let (min, max) = (self.digits.0 as usize, self.digits.1 as usize);
        let mut runs = Vec::new();
        let mut run = 0;
        let mut i = 0;
        while i < text.len() {
            if text[i].is_ascii_digit() {
                run += 1;
                i += 1;
            } else if text[i..].starts_with(&[0xEF, 0xBC])
                && (0x90..=0x99).contains(&text.get(i + 2).copied().unwrap_or(0))
            {
                run += 1;
                i += 3;
            } else {
                runs.push(run);
                run = 0;
                i += 1;
            }
        }
        runs.push(run);
        if !runs.iter().any(|r| (min..=max).contains(r)) {
            return false;
        }
        let letter = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphabetic);
        self.keywords.iter().any(|k| {
            let k = k.as_bytes();
            !k.is_empty()
                && k.len() <= text.len()
                && (0..=text.len() - k.len()).any(|at| {
                    text[at..at + k.len()].eq_ignore_ascii_case(k)
                        && !(k[0].is_ascii_alphabetic() && at > 0 && letter(text.get(at - 1)))
                        && !(k[k.len() - 1].is_ascii_alphabetic() && letter(text.get(at + k.len())))
                })
        })
    }
}

/// A configuration's controls (beside `c_abi`'s `ConfigModel`, same index).
#[derive(Clone, Debug)]
struct ConfigCtl {
    controls: ControlsModel,
    sms: SmsModel,
    archive: bool,
}

impl Default for ConfigCtl {
    fn default() -> Self {
        ConfigCtl {
            controls: ControlsModel::default(),
            sms: SmsModel::default(),
            archive: true,
        }
    }
}

/// A route record as the model expects it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RecordModel {
    at: u64,
    media: u32,
    kind: u32,
    reject: u32,
    announce: u32,
    binding: u64,
    tenant: u32,
    caller: String,
    dialed: String,
    to: String,
    display: String,
}

/// A probing block a router noticed, for the writer to journal.
#[derive(Clone, Copy, Debug)]
struct Notice {
    caller: SubscriberNumber,
    until: u64,
}

/// The memory routers share for the controls: a registry's (with its shared index's readers),
/// or a follower's.
#[derive(Clone, Debug)]
struct RegionModel {
    controls: ControlsModel,
    sms: SmsModel,
    /// Records queued (one shard: the fuzzer routes from one thread), oldest first.
    pending: VecDeque<RecordModel>,
    dropped: u64,
    /// (table, subject) → (window, count): table `i < limits` is limit `i`'s; then probing's
    /// pairs, and its callers' distinct numbers.
    counts: BTreeMap<(usize, u128), (u64, u64)>,
    /// The windows counted in, per table.
    windows: BTreeMap<usize, BTreeSet<u64>>,
    /// Callers marked blocked by probing, until.
    marks: BTreeMap<SubscriberNumber, u64>,
    notices: VecDeque<Notice>,
    /// `np700_registry_untracked` as last read.
    untracked: u64,
    /// The counts are the library's (no request was let through uncounted, time never went
    /// back across a window, no 16-bit window alias).
    exact_counts: bool,
    /// The queue is as modelled (no reader of several writers routed into it).
    exact_records: bool,
    /// Probing may have noticed blocks the model did not see (counts not modelled).
    notices_unknown: bool,
}

impl RegionModel {
    fn new(c: &ConfigCtl) -> RegionModel {
        RegionModel {
            controls: c.controls.clone(),
            sms: c.sms.clone(),
            pending: VecDeque::new(),
            dropped: 0,
            counts: BTreeMap::new(),
            windows: BTreeMap::new(),
            marks: BTreeMap::new(),
            notices: VecDeque::new(),
            untracked: 0,
            exact_counts: true,
            exact_records: true,
            notices_unknown: false,
        }
    }

    fn counts_anything(&self) -> bool {
        !self.controls.limits.is_empty() || self.controls.probing.is_some()
    }

    /// Marks are exact while the table has room for every probe sequence.
    fn exact_marks(&self) -> bool {
        self.controls.mark_slots >= 64 && self.marks.len() < 8
    }

    /// The record queue of this thread's shard holds `records_per_shard` records rounded up to
    /// a power of two (see fuzz/README.md: the header says `records_per_shard`).
    fn queue_room(&self) -> usize {
        self.controls.per_shard.max(1).next_power_of_two() as usize
    }

    fn marked(&self, c: SubscriberNumber, now: u64) -> bool {
        self.marks.get(&c).is_some_and(|&until| until > now)
    }

    /// Counts one request of `key` in `table` (window `window_secs`); its count in the window.
    fn count(&mut self, table: usize, key: u128, window_secs: u32, now: u64) -> u64 {
        let w = now / u64::from(window_secs.max(1));
        let seen = self.windows.entry(table).or_default();
        if seen.last().is_some_and(|&last| w < last)
            || seen.iter().any(|&s| s != w && s & 0xFFFF == w & 0xFFFF)
        {
            // Time went back across a window (slots of later windows were reused), or two
            // windows share a slot's 16 bits: the library's counts are not the model's.
            self.exact_counts = false;
        }
        seen.insert(w);
        let e = self.counts.entry((table, key)).or_insert((w, 0));
        if e.0 != w {
            *e = (w, 0);
        }
        e.1 += 1;
        e.1
    }

    /// Steps 3–4 of a route: probing and the per-caller and per-number limits count the request;
    /// the reason to refuse it, if any.
    fn settle(
        &mut self,
        c: Option<SubscriberNumber>,
        x: Option<UsageNumber>,
        media: u32,
        now: u64,
    ) -> Option<u32> {
        let n = self.controls.limits.len();
        if let (Some((distinct, window, block)), Some(c), Some(x)) = (self.controls.probing, c, x) {
            let pair = u128::from(c.e164()) << 64 | u128::from(x.value());
            let new_pair = self.count(n, pair, window, now) == 1;
            if new_pair
                && self.count(n + 1, u128::from(c.e164()), window, now) > u64::from(distinct)
            {
                let until = now.saturating_add(u64::from(block));
                let mark = until.min(u64::from(u32::MAX));
                let live = self.marked(c, now);
                if !(live && self.marks[&c] >= mark) {
                    self.marks.insert(c, mark);
                    if !live {
                        self.notices.push_back(Notice { caller: c, until });
                    }
                }
                return Some(NP700_REJECT_AUTO_BLOCKED);
            }
        }
        let mut limited = false;
        for i in 0..n {
            let l = self.controls.limits[i].clone();
            let key = match l.subject {
                NP700_LIMIT_SUBJECT_CALLER => c.map(|c| u128::from(c.e164())),
                NP700_LIMIT_SUBJECT_USAGE_NUMBER => x.map(|x| u128::from(x.value())),
                _ => None,
            };
            if let Some(key) = key
                && (l.media == NP700_MEDIA_ALL || l.media == media)
            {
                limited |= self.count(i, key, l.window, now) > u64::from(l.max);
            }
        }
        limited.then_some(NP700_REJECT_RATE_LIMITED)
    }

    /// Step 6: a routed request counts against its binding's limits; whether one refuses it.
    fn after(&mut self, binding: u64, media: u32, now: u64) -> bool {
        let mut limited = false;
        for i in 0..self.controls.limits.len() {
            let l = self.controls.limits[i].clone();
            if l.subject == NP700_LIMIT_SUBJECT_BINDING
                && (l.media == NP700_MEDIA_ALL || l.media == media)
            {
                limited |= self.count(i, u128::from(binding), l.window, now) > u64::from(l.max);
            }
        }
        limited
    }

    fn push(&mut self, r: RecordModel) {
        if !self.controls.records {
            return;
        }
        if self.pending.len() < self.queue_room() {
            self.pending.push_back(r);
        } else {
            self.dropped += 1;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Platform,
    Tenant(u32),
    Binding(u64),
}

#[derive(Clone, Debug)]
struct Rule {
    owner: Option<u32>,
    scope: Scope,
    caller: SubscriberNumber,
    callee: Option<SubscriberNumber>,
    both_ways: bool,
    expires: Option<u64>,
    auto: bool,
}

impl Rule {
    fn active(&self, now: u64) -> bool {
        self.expires.is_none_or(|e| now < e)
    }

    /// The directed (caller, callee) pairs it refuses.
    fn directions(&self) -> Vec<(SubscriberNumber, Option<SubscriberNumber>)> {
        let mut d = vec![(self.caller, self.callee)];
        if let (true, Some(callee)) = (self.both_ways, self.callee) {
            d.push((callee, Some(self.caller)));
        }
        d
    }
}

/// What a registry's state holds of the controls (journaled, so a follower gets it too).
#[derive(Clone, Debug)]
struct CtlState {
    rules: BTreeMap<u64, Rule>,
    next_block: u64,
    /// Every rule is known (an automatic block could not be journaled: its id is unknown).
    exact_ids: bool,
    required: BTreeSet<u32>,
    reported: BTreeSet<(u32, SubscriberNumber)>,
}

impl CtlState {
    fn new() -> CtlState {
        CtlState {
            rules: BTreeMap::new(),
            next_block: 1,
            exact_ids: true,
            required: BTreeSet::new(),
            reported: BTreeSet::new(),
        }
    }

    /// Step 2: the reason a platform rule with no callee refuses `c` before any lookup.
    fn platform_barred(&self, c: SubscriberNumber, now: u64) -> Option<u32> {
        let mut reason = None;
        for r in self.rules.values() {
            if r.scope == Scope::Platform && r.callee.is_none() && r.caller == c && r.active(now) {
                if !r.auto {
                    return Some(NP700_REJECT_BLOCKED);
                }
                reason = Some(NP700_REJECT_AUTO_BLOCKED);
            }
        }
        reason
    }

    /// Step 6: whether a rule of the platform, of `tenant` or of `binding` refuses `c` reaching
    /// any of `targets`.
    fn route_barred(
        &self,
        c: SubscriberNumber,
        tenant: u32,
        binding: u64,
        targets: &[SubscriberNumber],
        now: u64,
    ) -> bool {
        self.rules.values().any(|r| {
            let in_scope = match r.scope {
                Scope::Platform => true,
                Scope::Tenant(t) => t == tenant,
                Scope::Binding(b) => b == binding,
            };
            in_scope
                && r.active(now)
                && r.directions()
                    .iter()
                    .any(|(from, to)| *from == c && to.is_none_or(|to| targets.contains(&to)))
        })
    }

    /// Whether calls on `b` are refused for want of a real-user report.
    fn unreported(&self, b: &BindingModel) -> bool {
        let a = match &b.parties {
            PartiesModel::Axb { a, .. }
            | PartiesModel::Axn { a, .. }
            | PartiesModel::Axyb { a, .. } => *a,
            PartiesModel::Gxb { b, .. } => *b,
        };
        self.required.contains(&b.tenant) && !self.reported.contains(&(b.tenant, a))
    }

    /// Directed entries the block table holds at most (rules not lifted or swept).
    fn entries(&self) -> usize {
        self.rules.values().map(|r| r.directions().len()).sum()
    }
}

/// A registry's controls (beside `c_abi`'s `RegistryModel`, same index).
#[derive(Clone, Debug)]
struct RegistryCtl {
    region: RegionModel,
    state: CtlState,
    /// It keeps an archive (journaled, with the archive enabled).
    archive: bool,
}

/// A follower (its handle, the journal directory it follows, its own controls, and the state
/// of the journal as of its last poll).
#[derive(Clone, Debug)]
pub(super) struct FollowerModel {
    pub(super) token: usize,
    pub(super) live: bool,
    dir: u8,
    region: RegionModel,
    state: (RegistryModel, CtlState),
}

/// What this target reached, so a replay can check its inputs still do.
#[derive(Clone, Debug, Default)]
pub struct CtlStats {
    /// Every reject reason decided, by any router.
    pub rejects: BTreeSet<u32>,
    /// Decisions judged by the model, and of those, predicted exactly (beyond the parse).
    pub decided: usize,
    pub exact: usize,
    /// Calls routed with the controls on a route exactly predicted.
    pub routed_exactly: usize,
    pub follower_routes: usize,
    pub reader_messages: usize,
    pub blocks: usize,
    pub lifts: usize,
    pub lifts_not_owned: usize,
    pub records_drained: usize,
    pub records_compared: usize,
    pub dropped: u64,
    pub archived: usize,
    pub auto_rules: usize,
    pub reports: usize,
    pub history_live: usize,
    pub calls_ended: usize,
    pub polls: usize,
    /// Every status returned by the functions this target adds.
    pub statuses: BTreeSet<i32>,
}

/// The model of the controls for a run (`Run::ctl`).
pub(super) struct Ctl {
    configs: Vec<ConfigCtl>,
    registries: Vec<RegistryCtl>,
    /// The registry last opened on each journal directory (what a follower of it sees).
    dirs: [Option<usize>; 2],
    stats: CtlStats,
}

impl Ctl {
    pub(super) fn config_new(&mut self) {
        self.configs.push(ConfigCtl::default());
    }

    /// A registry made from configuration `config`, journaled in `dir` (recovering the state
    /// of the registry last opened there).
    pub(super) fn registry_new(&mut self, config: usize, dir: Option<u8>) {
        let c = &self.configs[config];
        let state = match dir.and_then(|d| self.dirs[usize::from(d)]) {
            Some(prev) => self.registries[prev].state.clone(),
            None => CtlState::new(),
        };
        self.registries.push(RegistryCtl {
            region: RegionModel::new(c),
            state,
            archive: dir.is_some() && c.archive,
        });
        if let Some(d) = dir {
            self.dirs[usize::from(d)] = Some(self.registries.len() - 1);
        }
    }

    /// Whether a registry made from configuration `config` (shared path `shared`) may fail for
    /// want of memory for its controls after publishing its index: the harness does not make
    /// it. Making the registry publishes the index at the shared path before it maps the
    /// controls, so the failed creation leaves an index readers attach to, replacing a live
    /// writer's (a library bug, reported; see fuzz/README.md).
    pub(super) fn fails_after_publishing(&self, config: usize, shared: Option<u8>) -> bool {
        matches!(shared, Some(0 | 1)) && self.configs[config].controls.bytes() > 1 << 30
    }

    /// Whether a registry's routers count requests (then two routers may answer differently).
    pub(super) fn counts_anything(&self, ri: usize) -> bool {
        self.registries[ri].region.counts_anything()
    }
}

/// Where a request was decided.
#[derive(Clone, Copy, Debug)]
pub(super) enum Router {
    Registry(usize),
    Reader(usize),
    Follower(usize),
}

/// A route request's arguments (accepted).
pub(super) struct Request {
    pub(super) caller: Arg,
    pub(super) dialed: Arg,
    pub(super) media: u32,
    pub(super) text: Option<Arg>,
    pub(super) now: u64,
}

/// The model's routers: a registry's state and region, or a follower's.
#[derive(Clone, Copy, Debug)]
enum Where {
    Registry(usize),
    Follower(usize),
}

/// The binding a request's caller has a leg on, and what the rules say of it.
#[derive(Clone, Debug)]
struct Leg {
    id: u64,
    /// It has a destination for the caller (AXN's A without N has none).
    routable: bool,
    barred: bool,
    unreported: bool,
}

/// What the model knows of a request before its decision is looked at.
struct Facts {
    parsed: Result<DialedNumber, NumberError>,
    c: Option<SubscriberNumber>,
    x: Option<UsageNumber>,
    /// Step 1: the SMS rules' refusal.
    sms: Option<u32>,
    /// Step 2: a platform rule's.
    platform: Option<u32>,
    /// Step 5, when predictable: the lookup's route, or its refusal.
    lookup: Option<Result<Leg, u32>>,
    /// The one live binding the caller has a leg on (`None` for none or several).
    leg: Option<Leg>,
    /// For a routed decision: (barred, unreported) of the binding it names.
    routed: Option<(bool, bool)>,
    /// The tenant holding the dialled usage number.
    holder: Option<u32>,
}

/// The caller's entry on binding `b` for usage number `x`: its destinations (`None`: AXN's A
/// without N, an entry with nowhere to go), or no entry.
fn entry(
    b: &BindingModel,
    x: UsageNumber,
    c: SubscriberNumber,
) -> Option<Option<Vec<SubscriberNumber>>> {
    match &b.parties {
        PartiesModel::Axn { a, n: None } if x == b.x && c == *a => Some(None),
        _ => b.leg(x, c).map(|(to, _)| Some(to)),
    }
}

/// What the model can say of a request at `state`.
fn facts(
    state: &RegistryModel,
    cs: &CtlState,
    sms: &SmsModel,
    req: &Request,
    d: &np700_decision,
) -> Facts {
    let raw_caller = req.caller.bytes().expect("accepted");
    let caller_text = std::str::from_utf8(raw_caller).expect("accepted");
    let parsed = parse_dialed_bytes(req.dialed.bytes().expect("accepted"));
    let c = SubscriberNumber::parse(caller_text).ok();
    let x = match parsed {
        Ok(DialedNumber::Usage(x)) => Some(x),
        _ => None,
    };
    let now = req.now;
    let sms_reason = if parsed.is_ok() && req.media == NP700_MEDIA_SMS {
        if sms.commercial(raw_caller) {
            Some(NP700_REJECT_COMMERCIAL_SENDER)
        } else if req
            .text
            .is_some_and(|t| sms.code(t.bytes().expect("accepted")))
        {
            Some(NP700_REJECT_VERIFICATION_CODE)
        } else {
            None
        }
    } else {
        None
    };
    let platform = c.and_then(|c| cs.platform_barred(c, now));
    let holder = x.and_then(|x| state.owner.get(&x.management().value()).copied());
    let mut leg = None;
    let mut lookup = None;
    if let Some(x) = x {
        let on_x: Vec<(&u64, &BindingModel)> = state
            .bindings
            .iter()
            .filter(|(_, b)| b.numbers().any(|n| n == x))
            .collect();
        // The lookup is predictable when the number is held by a tenant, active or suspended,
        // and nothing on it has ended or expired (whose quarantines decide otherwise).
        let standing = holder.and_then(|t| state.tenants.get(&t)).map(|t| t.status);
        let alone = on_x.iter().all(|(_, o)| !o.ended && o.expires_at > now);
        let known = alone && standing == Some(NP700_TENANT_ACTIVE);
        if standing == Some(NP700_TENANT_SUSPENDED) {
            lookup = Some(Err(NP700_REJECT_TENANT_SUSPENDED));
        } else if known && on_x.is_empty() {
            lookup = Some(Err(NP700_REJECT_NO_BINDING));
        } else if known && c.is_none() {
            lookup = Some(Err(NP700_REJECT_CALLER_UNIDENTIFIED));
        }
        if let Some(c) = c {
            let legs: Vec<(u64, &BindingModel, Option<Vec<SubscriberNumber>>)> = on_x
                .iter()
                .filter(|(_, b)| !b.ended && b.expires_at > now)
                .filter_map(|(id, b)| entry(b, x, c).map(|to| (**id, *b, to)))
                .collect();
            match &legs[..] {
                [] if known && !on_x.is_empty() => {
                    lookup = Some(Err(NP700_REJECT_CALLER_NOT_PERMITTED));
                }
                [(id, b, to)] => {
                    let l = Leg {
                        id: *id,
                        barred: to
                            .as_ref()
                            .is_some_and(|to| cs.route_barred(c, b.tenant, *id, to, now)),
                        unreported: cs.unreported(b),
                        routable: to.is_some(),
                    };
                    // ... and, to route, the holder's binding has the default policy.
                    if known && holder == Some(b.tenant) {
                        lookup = if b.status == NP700_BINDING_SUSPENDED {
                            Some(Err(NP700_REJECT_BINDING_SUSPENDED))
                        } else if l.unreported {
                            Some(Err(NP700_REJECT_USER_NOT_REPORTED))
                        } else if b.simple && l.routable {
                            Some(Ok(l.clone()))
                        } else if b.simple {
                            Some(Err(NP700_REJECT_NO_DESTINATION))
                        } else {
                            None
                        };
                    }
                    leg = Some(l);
                }
                _ => {}
            }
        }
    }
    let routed = match (d.kind, x, c) {
        (NP700_DECISION_ROUTE, Some(x), Some(c)) => {
            state.bindings.get(&d.binding_id).and_then(|b| {
                b.leg(x, c).map(|(to, _)| {
                    (
                        cs.route_barred(c, b.tenant, d.binding_id, &to, now),
                        cs.unreported(b),
                    )
                })
            })
        }
        _ => None,
    };
    Facts {
        parsed,
        c,
        x,
        sms: sms_reason,
        platform,
        lookup,
        leg,
        routed,
        holder,
    }
}

/// Judges a decision against the model (updating the region's counts as the routers do);
/// whether it was predicted exactly, or why it is wrong.
fn judge(
    region: &mut RegionModel,
    exact_ids: bool,
    f: &Facts,
    d: &np700_decision,
    media: u32,
    now: u64,
) -> Result<bool, String> {
    let obs = (d.kind, d.reject);
    let want = |kind: u32, reason: u32| {
        if obs == (kind, reason) {
            Ok(true)
        } else {
            Err(format!(
                "decided (kind {}, reason {}), the model says (kind {kind}, reason {reason})",
                d.kind, d.reject
            ))
        }
    };
    // 1. The parse, and the SMS rules.
    match &f.parsed {
        Err(NumberError::NotSegment700) => {
            return want(NP700_DECISION_REJECT, NP700_REJECT_NOT_OURS);
        }
        Err(_) => return want(NP700_DECISION_REJECT, NP700_REJECT_MALFORMED_NUMBER),
        Ok(_) => {}
    }
    if let Some(r) = f.sms {
        return want(NP700_DECISION_REJECT, r);
    }
    // 2. A caller blocked platform-wide, before anything is looked up.
    if let Some(r) = f.platform {
        return want(NP700_DECISION_REJECT, r);
    }
    if !exact_ids && obs == (NP700_DECISION_REJECT, NP700_REJECT_AUTO_BLOCKED) {
        // An automatic block the model could not follow into a rule.
        region.exact_counts = false;
        return Ok(false);
    }
    // 3–4. Probing and the per-caller and per-number limits.
    let mut counted = true;
    if region.counts_anything() {
        if region.exact_counts && region.exact_marks() {
            if region.controls.probing.is_some() && f.c.is_some_and(|c| region.marked(c, now)) {
                return want(NP700_DECISION_REJECT, NP700_REJECT_AUTO_BLOCKED);
            }
            if let Some(r) = region.settle(f.c, f.x, media, now) {
                return want(NP700_DECISION_REJECT, r);
            }
        } else {
            region.exact_counts = false;
            // Probing blocks may be noticed unseen: the rules they become are unknown.
            region.notices_unknown |= region.controls.probing.is_some();
            counted = false;
            if matches!(
                obs,
                (
                    NP700_DECISION_REJECT,
                    NP700_REJECT_AUTO_BLOCKED | NP700_REJECT_RATE_LIMITED
                )
            ) {
                return Ok(false);
            }
        }
    }
    let counts_exact = counted && region.exact_counts;
    // 5–6. The lookup, then the rules on the route found, then the binding's limits.
    match &f.lookup {
        Some(Err(r)) => want(NP700_DECISION_REJECT, *r),
        Some(Ok(leg)) => {
            if leg.barred {
                return want(NP700_DECISION_REJECT, NP700_REJECT_BLOCKED);
            }
            let limited = region.after(leg.id, media, now);
            if !counts_exact {
                region.exact_counts = false;
                if obs == (NP700_DECISION_REJECT, NP700_REJECT_RATE_LIMITED) {
                    return Ok(false);
                }
            } else if limited {
                return want(NP700_DECISION_REJECT, NP700_REJECT_RATE_LIMITED);
            }
            want(NP700_DECISION_ROUTE, 0)?;
            if d.binding_id != leg.id {
                return Err(format!(
                    "routed by {}, the model says {}",
                    d.binding_id, leg.id
                ));
            }
            Ok(true)
        }
        None => match obs {
            (NP700_DECISION_ROUTE, _) => {
                let (barred, unreported) = f
                    .routed
                    .ok_or("routed by a binding on which the caller has no leg")?;
                if barred {
                    return Err("connected a call a block rule refuses".into());
                }
                if unreported {
                    return Err("connected a call whose subscriber A is not reported".into());
                }
                if region.after(d.binding_id, media, now) && counts_exact {
                    return Err("connected a call past its binding's limit".into());
                }
                Ok(false)
            }
            (NP700_DECISION_REJECT, NP700_REJECT_BLOCKED) => match &f.leg {
                Some(l) if l.barred && !l.unreported => Ok(false),
                Some(l) => Err(format!(
                    "refused as blocked, but no rule refuses it ({l:?})"
                )),
                None => Err("refused as blocked, with no binding to block".into()),
            },
            (NP700_DECISION_REJECT, NP700_REJECT_RATE_LIMITED) => match &f.leg {
                Some(l) if l.routable && !l.barred && !l.unreported => {
                    if region.after(l.id, media, now) || !counts_exact {
                        Ok(false)
                    } else {
                        Err("rate limited, but no limit is reached".into())
                    }
                }
                other => Err(format!("rate limited after the lookup, with leg {other:?}")),
            },
            (NP700_DECISION_REJECT, NP700_REJECT_USER_NOT_REPORTED) => match &f.leg {
                Some(l) if l.unreported => Ok(false),
                other => Err(format!("user not reported, with leg {other:?}")),
            },
            (
                NP700_DECISION_REJECT,
                r @ (NP700_REJECT_AUTO_BLOCKED
                | NP700_REJECT_COMMERCIAL_SENDER
                | NP700_REJECT_VERIFICATION_CODE),
            ) => Err(format!("refused with reason {r}, which no control gives")),
            _ => Ok(false),
        },
    }
}

/// The record a decision leaves, as the model expects it.
fn record_of(f: &Facts, d: &np700_decision, req: &Request) -> RecordModel {
    let route = d.kind == NP700_DECISION_ROUTE;
    let (caller, dialed, tenant) = if f.parsed.is_err() {
        (String::new(), String::new(), 0)
    } else {
        let tenant = if route {
            d.tenant
        } else {
            f.holder.unwrap_or(0)
        };
        (
            f.c.map_or(String::new(), |c| c.to_digits().as_str().to_owned()),
            f.x.map_or(String::new(), |x| x.to_string()),
            tenant,
        )
    };
    RecordModel {
        at: req.now,
        media: req.media,
        kind: d.kind,
        reject: d.reject,
        announce: d.announce,
        binding: if route { d.binding_id } else { 0 },
        tenant,
        caller,
        dialed,
        to: if route {
            c_text(&d.targets[0], "target")
        } else {
            String::new()
        },
        display: if route {
            c_text(&d.display, "display")
        } else {
            String::new()
        },
    }
}

/// A record as drained, in the model's terms (after checking it is well-formed).
fn drained(r: &np700_route_record, ctx: &str) -> RecordModel {
    let text = |a: &[c_char], what: &str| c_text(a, &format!("{ctx}: record {what}"));
    let m = RecordModel {
        at: r.at,
        media: r.media,
        kind: r.kind,
        reject: r.reject,
        announce: r.announce,
        binding: r.binding_id,
        tenant: r.tenant,
        caller: text(&r.caller, "caller"),
        dialed: text(&r.dialed, "dialed"),
        to: text(&r.to, "to"),
        display: text(&r.display, "display"),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let e164 =
        |s: &str| s.is_empty() || SubscriberNumber::parse(s).is_ok_and(|_| s.starts_with('+'));
    assert!(
        m.at <= NP700_TIME_MAX && (m.media == NP700_MEDIA_VOICE || m.media == NP700_MEDIA_SMS),
        "{ctx}: record {m:?}"
    );
    assert!(
        e164(&m.caller) && (m.dialed.is_empty() || digits(&m.dialed, 15)),
        "{ctx}: record numbers {m:?}"
    );
    match m.kind {
        NP700_DECISION_ROUTE => assert!(
            m.binding != 0
                && m.tenant != 0
                && !m.to.is_empty()
                && e164(&m.to)
                && digits(&m.display, 15)
                && (m.reject, m.announce, r.sip_status) == (0, 0, 0),
            "{ctx}: routed record {m:?}"
        ),
        NP700_DECISION_REJECT => assert!(
            m.binding == 0
                && m.to.is_empty()
                && m.display.is_empty()
                && m.announce == 0
                && static_text(np700_reject_reason_str(m.reject), "reject") != "unknown"
                && r.sip_status == np700_reject_reason_sip_status(m.reject),
            "{ctx}: refused record {m:?} (SIP {})",
            r.sip_status
        ),
        NP700_DECISION_ANNOUNCE => assert!(
            m.binding == 0
                && m.to.is_empty()
                && m.reject == 0
                && r.sip_status == 0
                && static_text(np700_announce_reason_str(m.announce), "announce") != "unknown",
            "{ctx}: announced record {m:?}"
        ),
        NP700_DECISION_COLLECT_DIGITS => assert!(
            m.binding == 0
                && m.to.is_empty()
                && m.dialed.is_empty()
                && (m.reject, m.announce, r.sip_status) == (0, 0, 0),
            "{ctx}: collect-digits record {m:?}"
        ),
        k => panic!("{ctx}: record of kind {k}"),
    }
    m
}

/// A string argument's error as `str_arg` finds it (`max` bytes, `too_long` past it).
fn str_error(a: Arg, max: usize, too_long: i32) -> Option<i32> {
    if a.ptr.is_null() {
        return (a.len != 0).then_some(NP700_ERR_NULL);
    }
    if a.len > max {
        return Some(too_long);
    }
    a.utf8().is_none().then_some(NP700_ERR_INVALID_UTF8)
}

/// A subscriber number argument's error.
fn subscriber_error(a: Arg) -> Option<i32> {
    str_error(a, NP700_MAX_NUMBER_LEN, NP700_ERR_TOO_LONG).or_else(|| {
        SubscriberNumber::parse(a.utf8().expect("checked"))
            .is_err()
            .then_some(NP700_ERR_BAD_NUMBER)
    })
}

/// A usage number argument's error.
fn usage_error(a: Arg) -> Option<i32> {
    str_error(a, NP700_MAX_NUMBER_LEN, NP700_ERR_TOO_LONG).or_else(|| {
        UsageNumber::parse_bytes(a.bytes().expect("checked"))
            .is_err()
            .then_some(NP700_ERR_BAD_NUMBER)
    })
}

fn time_error(t: u64) -> Option<i32> {
    (t > NP700_TIME_MAX).then_some(NP700_ERR_OUT_OF_RANGE)
}

fn out_error(p: OutPick) -> Option<i32> {
    (p != OutPick::Valid).then_some(NP700_ERR_NULL)
}

/// A block's expiry: `None` for none (0, `NP700_TIME_NEVER`).
fn block_expiry(e: u64) -> Option<u64> {
    (e != 0 && e != NP700_TIME_NEVER).then_some(e)
}

// ---------------------------------------------------------------------------------------------
// Running an input.

/// Whether to print what a run does (`NP700_FUZZ_TRACE` set): its ops, statuses and decisions.
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("NP700_FUZZ_TRACE").is_some())
}

/// Decodes `data` and runs it; panics on any violated property.
pub fn run(data: &[u8]) -> (Stats, CtlStats) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    // c_abi's runs share the handle tables too.
    let input = decode(data);
    let mut run = Run::new();
    run.ctl = Some(Box::new(Ctl {
        configs: Vec::new(),
        registries: Vec::new(),
        dirs: [None, None],
        stats: CtlStats::default(),
    }));
    run.provision_ctl(input.setup, &input.preset);
    let trace = trace();
    if trace {
        eprintln!("setup {:?}, preset {:?}", input.setup, input.preset);
    }
    for (i, op) in input.ops.iter().enumerate() {
        run.context = format!("op {i} {op:?}");
        if trace {
            eprintln!("{}", run.context);
        }
        run.ctl_op(op);
    }
    run.context = "cleanup".into();
    run.cleanup();
    let ctl = run.ctl.as_ref().expect("controls").stats.clone();
    (run.stats.clone(), ctl)
}

impl Run {
    fn ctl(&mut self) -> &mut Ctl {
        self.ctl.as_mut().expect("a controls run")
    }

    /// The checks of a call whose arguments are checked before its handle: a bad argument
    /// gives one of its statuses (`errors`), whatever the handle; else the handle checks.
    /// Whether the call reached a live object.
    fn args_then_handle(
        &mut self,
        f: &str,
        st: i32,
        errors: &[Option<i32>],
        token: usize,
        live: Option<usize>,
    ) -> bool {
        self.ctl().stats.statuses.insert(st);
        if trace() {
            eprintln!("  {f}: {}", status_text(st));
        }
        let errors: Vec<i32> = errors.iter().flatten().copied().collect();
        if !errors.is_empty() {
            assert!(
                errors.contains(&st),
                "{}: {f} returned {} for arguments refused with {errors:?}",
                self.context,
                status_text(st)
            );
            return false;
        }
        self.handle_outcome(f, st, token, live);
        live.is_some()
    }

    /// A refusal the model expects: one of `refusals` if any; else `NP700_OK` (or one of
    /// `maybe`, which the model cannot rule out).
    fn expect_refusal(&self, f: &str, st: i32, refusals: &[i32], maybe: &[i32]) {
        if refusals.is_empty() {
            assert!(
                st == NP700_OK || maybe.contains(&st),
                "{}: {f} refused with {}, the model accepts",
                self.context,
                status_text(st)
            );
        } else {
            assert!(
                refusals.contains(&st) || maybe.contains(&st),
                "{}: {f} returned {}, the model refuses with {refusals:?}",
                self.context,
                status_text(st)
            );
        }
    }

    // -- provisioning ---------------------------------------------------------------------------

    fn provision_ctl(&mut self, setup: Setup, preset: &[ConfigOp]) {
        if setup == Setup::Nothing {
            return;
        }
        self.context = format!("provisioning {setup:?}");
        let c = self.config_new(OutPick::Valid).expect("np700_config_new");
        let ct = self.configs[c].token;
        // SAFETY: a live handle.
        let st = unsafe { np700_config_set_capacity(std::ptr::without_provenance_mut(ct), 0) };
        self.config_setter("np700_config_set_capacity", st, ct, Some(c));
        self.small_tables(c);
        for p in preset {
            self.context = format!("provisioning {setup:?}: {p:?}");
            self.config_op(HandlePick::Made(c as u8), p);
        }
        let shared = matches!(setup, Setup::Shared | Setup::Everything);
        if shared {
            self.op(&Op::ConfigSetSharedPath(
                HandlePick::Made(c as u8),
                PathArg::Index(0),
            ));
        }
        let journaled = matches!(
            setup,
            Setup::Journaled | Setup::Followed | Setup::Everything
        );
        let r = if journaled {
            self.registry_open(
                HandlePick::Made(c as u8),
                DirPick::Dir(0),
                OutPick::Valid,
                None,
            )
        } else {
            self.registry_new(HandlePick::Made(c as u8), OutPick::Valid)
        };
        // Controls too large for memory are refused: the run goes on without a registry.
        let Some(r) = r else { return };
        let rt = self.registries[r].token;
        for name in [0, 1] {
            let name = self.text(
                TextKind::Name,
                &Text::Valid {
                    which: name,
                    form: 0,
                },
            );
            let id = self.register_tenant(rt, Some(r), name, (null(), 0), 0, T0, OutPick::Valid);
            assert!(id.is_some(), "provisioning: register a tenant");
        }
        self.op(&Op::LicenseBlock(
            HandlePick::Made(r as u8),
            Text::Valid { which: 0, form: 0 },
            4,
            TimePick::Clock,
        ));
        for m in 0..4u8 {
            self.op(&Op::AssignNumber(
                HandlePick::Made(r as u8),
                TenantPick(u32::from(m / 2) + 1),
                Text::Valid { which: m, form: 0 },
                ListPick::Items(vec![Text::Valid { which: m, form: 0 }]),
                TimePick::Clock,
            ));
        }
        assert_eq!(self.registries[r].owner.len(), 4, "provisioning: numbers");
        if shared {
            self.reader_attach(PathArg::Index(0), OutPick::Valid);
        }
        if matches!(setup, Setup::Followed | Setup::Everything) {
            // The follower's own configuration: the same controls, no shared index.
            let fc = self.config_new(OutPick::Valid).expect("np700_config_new");
            self.small_tables(fc);
            for p in preset {
                self.config_op(HandlePick::Made(fc as u8), p);
            }
            self.follower_open(HandlePick::Made(fc as u8), DirPick::Dir(0), OutPick::Valid);
        }
    }

    /// Tables of a size for the fuzzer's few subjects: a registry clears its whole block table
    /// when it is made (8 MiB by default), which would take most of a run's time.
    fn small_tables(&mut self, c: usize) {
        let ct = self.configs[c].token;
        // SAFETY: a live handle.
        let st = unsafe {
            np700_config_set_control_sizes(std::ptr::without_provenance_mut(ct), 4096, 256, 256)
        };
        self.config_setter("np700_config_set_control_sizes", st, ct, Some(c));
        assert_eq!(
            st, NP700_OK,
            "{}: np700_config_set_control_sizes",
            self.context
        );
        let m = &mut self.ctl().configs[c].controls;
        (m.counter_slots, m.mark_slots, m.block_rules) = (4096, 256, 256);
    }

    // -- the calls ------------------------------------------------------------------------------

    fn ctl_op(&mut self, op: &CtlOp) {
        self.arena.clear();
        self.strs.clear();
        let clock = self.clock;
        match op {
            CtlOp::Base(op) => self.op(op),
            CtlOp::Config(h, c) => self.config_op(*h, c),
            CtlOp::RegistryOpen {
                config,
                dir,
                out,
                recovery,
            } => {
                self.registry_open(*config, *dir, *out, *recovery);
            }
            CtlOp::BlockCaller(p) => self.block_caller(p),
            CtlOp::BlockBinding(p) => self.block_binding(p),
            CtlOp::LiftBlock {
                registry,
                tenant,
                block,
                now,
            } => self.lift_block(*registry, tenant.0, *block, now.at(clock)),
            CtlOp::SetRealUserRequired {
                registry,
                tenant,
                required,
                now,
            } => self.set_real_user_required(*registry, tenant.0, *required, now.at(clock)),
            CtlOp::ReportRealUser {
                registry,
                tenant,
                subscriber,
                reported,
                now,
            } => self.report_real_user(*registry, tenant.0, subscriber, *reported, now.at(clock)),
            CtlOp::RouteMessage(h, m) => self.route_message(Kind::Registry, *h, m),
            CtlOp::ReaderRouteMessage(h, m) => self.route_message(Kind::Reader, *h, m),
            CtlOp::FollowerRouteMessage(h, m) => self.route_message(Kind::Follower, *h, m),
            CtlOp::FollowerOpen { config, dir, out } => self.follower_open(*config, *dir, *out),
            CtlOp::FollowerFree(h) => {
                let (token, live) = self.handle(Kind::Follower, *h);
                // SAFETY: a token.
                let st = unsafe { np700_follower_free(std::ptr::without_provenance_mut(token)) };
                self.status("np700_follower_free", st);
                self.free_outcome("np700_follower_free", st, Kind::Follower, token, live);
            }
            CtlOp::FollowerPoll(h, out) => self.follower_poll(*h, *out),
            CtlOp::FollowerRoute(h, r) => self.follower_route(*h, r),
            CtlOp::Drain {
                follower,
                handle,
                out,
                capacity,
                written,
            } => self.drain(*follower, *handle, *out, *capacity, *written),
            CtlOp::Dropped {
                follower,
                handle,
                out,
            } => self.dropped(*follower, *handle, *out),
            CtlOp::Untracked(h, out) => self.untracked(*h, *out),
            CtlOp::EndCall(p) => self.end_call(p),
            CtlOp::History(p) => self.history(p),
            CtlOp::ArchiveDrained {
                registry,
                max,
                now,
                out,
            } => self.archive_drained(*registry, *max, now.at(clock), *out),
            CtlOp::Report(p) => self.report(p),
        }
    }

    fn config_op(&mut self, h: HandlePick, c: &ConfigOp) {
        let (token, live) = self.handle(Kind::Config, h);
        let cfg = std::ptr::without_provenance_mut::<np700_config>(token);
        let mut arg = Arg {
            ptr: null(),
            len: 0,
        };
        // SAFETY (every call): a token, and string arguments in the arena.
        let (f, st, errors): (&str, i32, Vec<Option<i32>>) = match c {
            ConfigOp::AddRateLimit {
                subject,
                media,
                window,
                max,
            } => {
                let (s, m, w, x) = (
                    subject_code(*subject),
                    media_code(*media),
                    window_secs(*window),
                    limit_max(*max),
                );
                let st = unsafe { np700_config_add_rate_limit(cfg, s, m, w, x) };
                (
                    "np700_config_add_rate_limit",
                    st,
                    vec![
                        (!(1..=3).contains(&s)).then_some(NP700_ERR_BAD_ENUM),
                        (!(1..=3).contains(&m)).then_some(NP700_ERR_BAD_ENUM),
                        (w == 0).then_some(NP700_ERR_OUT_OF_RANGE),
                        (x == 0).then_some(NP700_ERR_OUT_OF_RANGE),
                    ],
                )
            }
            ConfigOp::ClearRateLimits => (
                "np700_config_clear_rate_limits",
                unsafe { np700_config_clear_rate_limits(cfg) },
                vec![],
            ),
            ConfigOp::SetProbing(d, w, b) => {
                let v = (
                    probing_value(*d, [0, 1, 2, 3, 4, u32::MAX]),
                    probing_value(*w, [0, 1, 60, 60, 3600, u32::MAX]),
                    probing_value(*b, [0, 1, 60, 600, 600, u32::MAX]),
                );
                let st = unsafe { np700_config_set_probing(cfg, v.0, v.1, v.2) };
                let zero = v != (0, 0, 0) && (v.0 == 0 || v.1 == 0 || v.2 == 0);
                (
                    "np700_config_set_probing",
                    st,
                    vec![zero.then_some(NP700_ERR_OUT_OF_RANGE)],
                )
            }
            ConfigOp::SetRecords(on, s, p) => {
                let (s, p) = (shards(*s), per_shard(*p));
                let st = unsafe { np700_config_set_records(cfg, *on, s, p) };
                let bad = |v: u32| {
                    (v == 0 || v > NP700_MAX_CONTROL_SIZE).then_some(NP700_ERR_OUT_OF_RANGE)
                };
                ("np700_config_set_records", st, vec![bad(s), bad(p)])
            }
            ConfigOp::SetControlSizes(c, m, b) => {
                let (c, m, b) = (size(*c, false), size(*m, false), size(*b, true));
                let st = unsafe { np700_config_set_control_sizes(cfg, c, m, b) };
                let bad = |v: u32| {
                    (v == 0 || v > NP700_MAX_CONTROL_SIZE).then_some(NP700_ERR_OUT_OF_RANGE)
                };
                (
                    "np700_config_set_control_sizes",
                    st,
                    vec![bad(c), bad(m), bad(b)],
                )
            }
            ConfigOp::AddSmsPrefix(t) => {
                arg = self.text(TextKind::SmsPrefix, t);
                let st = unsafe { np700_config_add_sms_sender_prefix(cfg, arg.ptr, arg.len) };
                let e =
                    str_error(arg, NP700_MAX_SMS_PREFIX_DIGITS, NP700_ERR_TOO_LONG).or_else(|| {
                        let b = arg.bytes().expect("checked");
                        (b.is_empty() || !b.iter().all(u8::is_ascii_digit))
                            .then_some(NP700_ERR_BAD_NUMBER)
                    });
                ("np700_config_add_sms_sender_prefix", st, vec![e])
            }
            ConfigOp::AddSmsKeyword(t) => {
                arg = self.text(TextKind::SmsKeyword, t);
                let st = unsafe { np700_config_add_sms_code_keyword(cfg, arg.ptr, arg.len) };
                let e = str_error(arg, NP700_MAX_SMS_KEYWORD_LEN, NP700_ERR_INVALID_FIELD)
                    .or_else(|| (arg.len == 0).then_some(NP700_ERR_INVALID_FIELD));
                ("np700_config_add_sms_code_keyword", st, vec![e])
            }
            ConfigOp::SetSmsDigits(a, b) => {
                let (min, max) = (digits_value(*a), digits_value(*b));
                let st = unsafe { np700_config_set_sms_code_digits(cfg, min, max) };
                let bad = min == 0 || min > max || max > NP700_MAX_SMS_CODE_DIGITS;
                (
                    "np700_config_set_sms_code_digits",
                    st,
                    vec![bad.then_some(NP700_ERR_OUT_OF_RANGE)],
                )
            }
            ConfigOp::ClearSmsRules => (
                "np700_config_clear_sms_rules",
                unsafe { np700_config_clear_sms_rules(cfg) },
                vec![],
            ),
            ConfigOp::SetArchive(on, r) => {
                let r = retention(*r);
                let st = unsafe { np700_config_set_archive(cfg, *on, r) };
                let bad = r == 0 || r > NP700_MAX_RETENTION_SECS;
                (
                    "np700_config_set_archive",
                    st,
                    vec![bad.then_some(NP700_ERR_OUT_OF_RANGE)],
                )
            }
        };
        self.status(f, st);
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        let ctx = self.context.clone();
        let m = &mut self.ctl().configs[live.expect("live")];
        let ok = |want: i32| assert_eq!(st, want, "{ctx}: {f}");
        match c {
            ConfigOp::AddRateLimit {
                subject,
                media,
                window,
                max,
            } => {
                if m.controls.limits.len() >= NP700_MAX_RATE_LIMITS {
                    ok(NP700_ERR_TOO_LONG);
                } else {
                    ok(NP700_OK);
                    m.controls.limits.push(Limit {
                        subject: subject_code(*subject),
                        media: media_code(*media),
                        window: window_secs(*window),
                        max: limit_max(*max),
                    });
                }
            }
            ConfigOp::ClearRateLimits => {
                ok(NP700_OK);
                m.controls.limits.clear();
            }
            ConfigOp::SetProbing(d, w, b) => {
                ok(NP700_OK);
                let v = (
                    probing_value(*d, [0, 1, 2, 3, 4, u32::MAX]),
                    probing_value(*w, [0, 1, 60, 60, 3600, u32::MAX]),
                    probing_value(*b, [0, 1, 60, 600, 600, u32::MAX]),
                );
                m.controls.probing = (v != (0, 0, 0)).then_some(v);
            }
            ConfigOp::SetRecords(on, s, p) => {
                ok(NP700_OK);
                m.controls.records = *on;
                m.controls.shards = shards(*s);
                m.controls.per_shard = per_shard(*p);
            }
            ConfigOp::SetControlSizes(c, mk, b) => {
                ok(NP700_OK);
                m.controls.counter_slots = size(*c, false);
                m.controls.mark_slots = size(*mk, false);
                m.controls.block_rules = size(*b, true);
            }
            ConfigOp::AddSmsPrefix(_) => {
                let p = arg.utf8().expect("accepted").to_owned();
                if m.sms.prefixes.contains(&p) {
                    ok(NP700_OK);
                } else if m.sms.prefixes.len() >= NP700_MAX_SMS_PREFIXES {
                    ok(NP700_ERR_TOO_LONG);
                } else {
                    ok(NP700_OK);
                    m.sms.prefixes.push(p);
                }
            }
            ConfigOp::AddSmsKeyword(_) => {
                let k = arg.utf8().expect("accepted").to_owned();
                if m.sms.keywords.contains(&k) {
                    ok(NP700_OK);
                } else if m.sms.keywords.len() >= NP700_MAX_SMS_KEYWORDS {
                    ok(NP700_ERR_TOO_LONG);
                } else {
                    ok(NP700_OK);
                    m.sms.keywords.push(k);
                }
            }
            ConfigOp::SetSmsDigits(a, b) => {
                ok(NP700_OK);
                m.sms.digits = (digits_value(*a), digits_value(*b));
            }
            ConfigOp::ClearSmsRules => {
                ok(NP700_OK);
                m.sms = SmsModel {
                    prefixes: Vec::new(),
                    keywords: Vec::new(),
                    digits: (4, 8),
                };
            }
            ConfigOp::SetArchive(on, _) => {
                ok(NP700_OK);
                m.archive = *on;
            }
        }
    }

    fn dir_arg(&mut self, d: DirPick) -> Arg {
        match d {
            DirPick::Dir(i) => {
                let s = self.files.file(&format!("journal{}", i % 2));
                self.keep(s.into_bytes())
            }
            DirPick::Null => Arg {
                ptr: null(),
                len: 0,
            },
            DirPick::NullWithLen(n) => Arg {
                ptr: null(),
                len: usize::from(n) + 1,
            },
            DirPick::Empty => self.keep(Vec::new()),
            DirPick::InvalidUtf8(i) => {
                let mut s = self.files.file(&format!("journal{}", i % 2)).into_bytes();
                s.push(0xff);
                self.keep(s)
            }
            DirPick::TooLong(n) => {
                let mut s = self.files.file("journal0").into_bytes();
                s.push(b'/');
                s.resize(NP700_MAX_PATH_LEN + 1 + usize::from(n), b'j');
                self.keep(s)
            }
            DirPick::File => {
                let s = self.files.file("plain-file");
                std::fs::write(&s, b"not a journal").expect("a plain file");
                self.keep(s.into_bytes())
            }
            DirPick::Missing => {
                let s = self.files.file("no-such-journal");
                self.keep(s.into_bytes())
            }
        }
    }

    fn dir_errors(a: Arg) -> Option<i32> {
        str_error(a, NP700_MAX_PATH_LEN, NP700_ERR_TOO_LONG)
            .or_else(|| (a.len == 0).then_some(NP700_ERR_NULL))
    }

    /// `np700_registry_open` on one of the run's journal directories (never one a live registry
    /// has open: one writer per journal is the caller's duty, and nothing detects two).
    fn registry_open(
        &mut self,
        h: HandlePick,
        d: DirPick,
        out: OutPick,
        recovery: Option<OutPick>,
    ) -> Option<usize> {
        let held = |run: &mut Run, i: u8| {
            let ctl = run.ctl.as_ref().expect("controls");
            ctl.dirs[usize::from(i % 2)].is_some_and(|r| run.registries[r].live)
        };
        if matches!(d, DirPick::Dir(i) | DirPick::InvalidUtf8(i) if held(self, i))
            || matches!(d, DirPick::Missing)
        {
            return None;
        }
        let (token, live) = self.handle(Kind::Config, h);
        if live.is_some_and(|i| {
            self.ctl
                .as_ref()
                .expect("controls")
                .fails_after_publishing(i, self.configs[i].shared)
        }) {
            return None;
        }
        let dir = self.dir_arg(d);
        let mut o = OutBuf::<*mut np700_registry>::new(out);
        let mut rec = OutBuf::<np700_recovery>::new(recovery.unwrap_or(OutPick::Null));
        let rp = if recovery.is_some() {
            rec.ptr()
        } else {
            null_mut()
        };
        // SAFETY: a token, a string argument and output buffers.
        let st = unsafe {
            np700_registry_open(
                std::ptr::without_provenance(token),
                dir.ptr,
                dir.len,
                o.ptr(),
                rp,
            )
        };
        let f = "np700_registry_open";
        self.status(f, st);
        self.untouched(f, st, &o);
        self.untouched(f, st, &rec);
        let errors = [
            out_error(out),
            (recovery == Some(OutPick::Misaligned)).then_some(NP700_ERR_NULL),
            Self::dir_errors(dir),
        ];
        if !self.args_then_handle(f, st, &errors, token, live) {
            return None;
        }
        let ci = live.expect("live");
        let bytes = self.ctl().configs[ci].controls.bytes();
        // Controls too large to map, or a shared index at a path other than the run's index
        // files (the run's directory, a path with a NUL) cannot be made: NP700_ERR_IO.
        let big = bytes > 1 << 30 || self.configs[ci].shared == Some(2);
        let i = match d {
            DirPick::Dir(i) => i % 2,
            _ => {
                assert!(
                    matches!(st, NP700_ERR_IO | NP700_ERR_CORRUPT_JOURNAL),
                    "{}: {f} of {d:?}: {}",
                    self.context,
                    status_text(st)
                );
                return None;
            }
        };
        if st != NP700_OK {
            assert!(
                big && st == NP700_ERR_IO,
                "{}: {f}: {} (controls of {bytes} bytes)",
                self.context,
                status_text(st),
            );
            return None;
        }
        let new = o.read(f).addr();
        self.new_token(f, new);
        if recovery == Some(OutPick::Valid) {
            let r = rec.read(f);
            c_text(&r.cut_file, "recovery cut_file");
            assert!(
                r.snapshot_seq <= r.last_seq && (r.cut_bytes == 0) == (r.cut_file[0] == 0),
                "{}: {f}: recovery {r:?}",
                self.context
            );
        }
        let c = self.configs[ci].clone();
        let prev = self.ctl().dirs[usize::from(i)];
        let mut model = match prev {
            Some(p) => self.registries[p].clone(),
            None => RegistryModel {
                token: 0,
                live: true,
                default_pair_cap: 0,
                tenants: BTreeMap::new(),
                owner: BTreeMap::new(),
                bindings: BTreeMap::new(),
                blocks: 0,
                licensed: 0,
            },
        };
        model.token = new;
        model.live = true;
        model.default_pair_cap = c.pair_cap;
        self.registries.push(model);
        let ri = self.registries.len() - 1;
        if let Some(p @ 0..=1) = c.shared {
            self.published[usize::from(p)].push(ri);
        }
        self.ctl().registry_new(ci, Some(i));
        Some(ri)
    }

    // -- blocks ---------------------------------------------------------------------------------

    /// Statuses a write may get that the model cannot rule out: a block table that may be full.
    fn table_maybe_full(&mut self, ri: usize, adding: usize) -> Vec<i32> {
        let r = &self.ctl().registries[ri];
        let room = 2 * r.region.controls.block_rules.max(1) as usize;
        // Automatic rules the model does not know (!exact_ids) take room too.
        if r.state.entries() + adding > room || !r.state.exact_ids {
            vec![NP700_ERR_INDEX_FULL]
        } else {
            vec![]
        }
    }

    fn block_caller(&mut self, p: &BlockCallerPick) {
        let (token, live) = self.handle(Kind::Registry, p.registry);
        let caller = self.text(TextKind::Subscriber, &p.caller);
        let callee = self.text(TextKind::Subscriber, &p.callee);
        let note = self.text(TextKind::Note, &p.note);
        let now = p.now.at(self.clock);
        let expires = p.expires.at(now, self.clock);
        let mut o = OutBuf::<u64>::new(p.out);
        let before = self.counts(token, live);
        // SAFETY: a token, string arguments and an output buffer.
        let st = unsafe {
            np700_registry_block_caller(
                std::ptr::without_provenance(token),
                p.tenant.0,
                caller.ptr,
                caller.len,
                callee.ptr,
                callee.len,
                p.both_ways,
                expires,
                note.ptr,
                note.len,
                now,
                o.ptr(),
            )
        };
        let f = "np700_registry_block_caller";
        self.status(f, st);
        self.untouched(f, st, &o);
        self.unchanged(f, st, token, before);
        let errors = [
            out_error(p.out),
            subscriber_error(caller),
            if callee.len == 0 {
                None
            } else {
                subscriber_error(callee)
            },
            str_error(note, NP700_MAX_NOTE_LEN, NP700_ERR_INVALID_FIELD),
            block_expiry(expires).and_then(time_error),
            time_error(now),
        ];
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        let ri = live.expect("live");
        let c = SubscriberNumber::parse(caller.utf8().expect("checked")).expect("checked");
        let callee = (callee.len != 0)
            .then(|| SubscriberNumber::parse(callee.utf8().expect("checked")).expect("checked"));
        let tenant = p.tenant.0;
        let exp = block_expiry(expires);
        let mut refusals = Vec::new();
        if tenant != 0 && !self.registries[ri].tenants.contains_key(&tenant) {
            refusals.push(NP700_ERR_UNKNOWN_TENANT);
        }
        if note.utf8().expect("checked").chars().any(char::is_control) {
            refusals.push(NP700_ERR_INVALID_FIELD);
        }
        if exp.is_some_and(|e| e <= now) {
            refusals.push(NP700_ERR_EXPIRY_NOT_IN_FUTURE);
        }
        if (p.both_ways && callee.is_none()) || callee == Some(c) {
            refusals.push(NP700_ERR_INVALID_BLOCK_REQUEST);
        }
        let adding = 1 + usize::from(p.both_ways && callee.is_some());
        let maybe = self.table_maybe_full(ri, adding);
        self.expect_refusal(f, st, &refusals, &maybe);
        if st != NP700_OK {
            return;
        }
        let id = o.read(f);
        let scope = if tenant == 0 {
            Scope::Platform
        } else {
            Scope::Tenant(tenant)
        };
        let rule = Rule {
            owner: (tenant != 0).then_some(tenant),
            scope,
            caller: c,
            callee,
            both_ways: p.both_ways,
            expires: exp,
            auto: false,
        };
        self.made_rules(f, ri, id, vec![rule]);
    }

    /// New rules from `first` on, in order.
    fn made_rules(&mut self, f: &str, ri: usize, first: u64, rules: Vec<Rule>) {
        let ctx = self.context.clone();
        let ctl = self.ctl();
        let s = &mut ctl.registries[ri].state;
        if s.exact_ids {
            assert_eq!(
                first, s.next_block,
                "{ctx}: {f}: block ids are given in order"
            );
        } else {
            assert!(
                first >= s.next_block && !s.rules.contains_key(&first),
                "{ctx}: {f}: block id {first} given again"
            );
        }
        for (i, rule) in rules.into_iter().enumerate() {
            s.rules.insert(first + i as u64, rule);
            s.next_block = first + i as u64 + 1;
            ctl.stats.blocks += 1;
        }
    }

    fn block_binding(&mut self, p: &BlockBindingPick) {
        let (token, live) = self.handle(Kind::Registry, p.registry);
        let id = self.binding_id(live, p.binding);
        let direction = p.direction.0 % 5;
        let note = self.text(TextKind::Note, &p.note);
        let now = p.now.at(self.clock);
        let expires = p.expires.at(now, self.clock);
        let mut o = OutBuf::<u64>::new(p.out);
        let before = self.counts(token, live);
        // SAFETY: a token, a string argument and an output buffer.
        let st = unsafe {
            np700_registry_block_binding(
                std::ptr::without_provenance(token),
                p.tenant.0,
                id,
                direction,
                expires,
                note.ptr,
                note.len,
                now,
                o.ptr(),
            )
        };
        let f = "np700_registry_block_binding";
        self.status(f, st);
        self.untouched(f, st, &o);
        self.unchanged(f, st, token, before);
        let errors = [
            out_error(p.out),
            (!(1..=3).contains(&direction)).then_some(NP700_ERR_BAD_ENUM),
            str_error(note, NP700_MAX_NOTE_LEN, NP700_ERR_INVALID_FIELD),
            block_expiry(expires).and_then(time_error),
            time_error(now),
        ];
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        let ri = live.expect("live");
        let tenant = p.tenant.0;
        let exp = block_expiry(expires);
        let r = &self.registries[ri];
        let mut refusals = Vec::new();
        if tenant != 0 && !r.tenants.contains_key(&tenant) {
            refusals.push(NP700_ERR_UNKNOWN_TENANT);
        }
        if note.utf8().expect("checked").chars().any(char::is_control) {
            refusals.push(NP700_ERR_INVALID_FIELD);
        }
        if exp.is_some_and(|e| e <= now) {
            refusals.push(NP700_ERR_EXPIRY_NOT_IN_FUTURE);
        }
        let mut pairs = Vec::new();
        match r.bindings.get(&id) {
            None => refusals.push(NP700_ERR_UNKNOWN_BINDING),
            Some(b) if b.ended || b.expires_at <= now => {
                refusals.push(NP700_ERR_BINDING_ENDED);
                if tenant != 0 && b.tenant != tenant {
                    refusals.push(NP700_ERR_CROSS_TENANT);
                }
            }
            Some(b) => {
                if tenant != 0 && b.tenant != tenant {
                    refusals.push(NP700_ERR_CROSS_TENANT);
                }
                let ab: Vec<(SubscriberNumber, SubscriberNumber)> = match &b.parties {
                    PartiesModel::Axb { a, b } | PartiesModel::Axyb { a, b } => vec![(*a, *b)],
                    PartiesModel::Axn { a, n: Some(n) } => vec![(*a, *n)],
                    PartiesModel::Axn { n: None, .. } => {
                        refusals.push(NP700_ERR_INVALID_BLOCK_REQUEST);
                        vec![]
                    }
                    PartiesModel::Gxb { group, b } => group.iter().map(|m| (*m, *b)).collect(),
                };
                for (a, b) in ab {
                    if a == b {
                        refusals.push(NP700_ERR_INVALID_BLOCK_REQUEST);
                    }
                    pairs.push(match direction {
                        NP700_BLOCK_A_TO_B => (a, b, false),
                        NP700_BLOCK_B_TO_A => (b, a, false),
                        _ => (a, b, true),
                    });
                }
            }
        }
        let owner = r.bindings.get(&id).map(|b| b.tenant);
        let adding: usize = pairs.iter().map(|p| 1 + usize::from(p.2)).sum();
        let maybe = self.table_maybe_full(ri, adding);
        self.expect_refusal(f, st, &refusals, &maybe);
        if st != NP700_OK {
            return;
        }
        let first = o.read(f);
        let rules = pairs
            .into_iter()
            .map(|(caller, callee, both_ways)| Rule {
                owner,
                scope: Scope::Binding(id),
                caller,
                callee: Some(callee),
                both_ways,
                expires: exp,
                auto: false,
            })
            .collect();
        self.made_rules(f, ri, first, rules);
    }

    fn lift_block(&mut self, h: HandlePick, tenant: u32, b: BlockPick, now: u64) {
        let (token, live) = self.handle(Kind::Registry, h);
        let id = match b {
            BlockPick::Raw(id) => id,
            BlockPick::Near(i) => {
                let next = live.map_or(1, |r| self.ctl().registries[r].state.next_block);
                u64::from(i) % (next + 1)
            }
        };
        let before = self.counts(token, live);
        // SAFETY: a token.
        let st = unsafe {
            np700_registry_lift_block(std::ptr::without_provenance(token), tenant, id, now)
        };
        let f = "np700_registry_lift_block";
        self.status(f, st);
        self.unchanged(f, st, token, before);
        if !self.args_then_handle(f, st, &[time_error(now)], token, live) {
            return;
        }
        let ri = live.expect("live");
        let known_tenant = tenant == 0 || self.registries[ri].tenants.contains_key(&tenant);
        let ctx = self.context.clone();
        let ctl = self.ctl();
        let r = &mut ctl.registries[ri];
        let mut refusals = Vec::new();
        let mut maybe = Vec::new();
        if !known_tenant {
            refusals.push(NP700_ERR_UNKNOWN_TENANT);
        }
        match r.state.rules.get(&id) {
            None => {
                refusals.push(NP700_ERR_UNKNOWN_BLOCK_RULE);
                if !r.state.exact_ids && id >= r.state.next_block {
                    // An automatic block the model does not know of (a platform rule).
                    maybe.push(if tenant == 0 {
                        NP700_OK
                    } else {
                        NP700_ERR_BLOCK_RULE_NOT_OWNED
                    });
                }
            }
            Some(rule) if tenant != 0 && rule.owner != Some(tenant) => {
                refusals.push(NP700_ERR_BLOCK_RULE_NOT_OWNED)
            }
            Some(_) => {}
        }
        if refusals.is_empty() {
            assert_eq!(st, NP700_OK, "{ctx}: {f} of rule {id} by {tenant}");
        } else {
            assert!(
                refusals.contains(&st) || maybe.contains(&st),
                "{ctx}: {f} of rule {id} by tenant {tenant}: {}, the model refuses with {refusals:?}",
                status_text(st)
            );
        }
        match st {
            NP700_OK => {
                ctl.stats.lifts += 1;
                if let Some(rule) = r.state.rules.remove(&id)
                    && rule.auto
                {
                    r.region.marks.remove(&rule.caller);
                }
            }
            NP700_ERR_BLOCK_RULE_NOT_OWNED => ctl.stats.lifts_not_owned += 1,
            _ => {}
        }
    }

    /// A sweep at `now` removed the rules whose expiry came and those of ended bindings.
    pub(super) fn ctl_swept(&mut self, ri: usize, now: u64) {
        let bindings = &self.registries[ri].bindings;
        let ended = |id: u64| {
            bindings
                .get(&id)
                .is_none_or(|b| b.ended || b.expires_at <= now)
        };
        let ctl = self.ctl.as_mut().expect("controls");
        let r = &mut ctl.registries[ri];
        let gone: Vec<u64> = r
            .state
            .rules
            .iter()
            .filter(|(_, rule)| {
                !rule.active(now) || matches!(rule.scope, Scope::Binding(b) if ended(b))
            })
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            let rule = r.state.rules.remove(&id).expect("listed");
            if rule.auto {
                r.region.marks.remove(&rule.caller);
            }
        }
    }

    // -- real-user reports ----------------------------------------------------------------------

    fn set_real_user_required(&mut self, h: HandlePick, tenant: u32, required: bool, now: u64) {
        let (token, live) = self.handle(Kind::Registry, h);
        let before = self.counts(token, live);
        // SAFETY: a token.
        let st = unsafe {
            np700_registry_set_real_user_required(
                std::ptr::without_provenance(token),
                tenant,
                required,
                now,
            )
        };
        let f = "np700_registry_set_real_user_required";
        self.status(f, st);
        self.unchanged(f, st, token, before);
        if !self.args_then_handle(f, st, &[time_error(now)], token, live) {
            return;
        }
        let ri = live.expect("live");
        let known = self.registries[ri].tenants.contains_key(&tenant);
        let refusals: &[i32] = if known {
            &[]
        } else {
            &[NP700_ERR_UNKNOWN_TENANT]
        };
        self.expect_refusal(f, st, refusals, &[]);
        if st == NP700_OK {
            let s = &mut self.ctl().registries[ri].state;
            if required {
                s.required.insert(tenant);
            } else {
                s.required.remove(&tenant);
            }
        }
    }

    fn report_real_user(
        &mut self,
        h: HandlePick,
        tenant: u32,
        subscriber: &Text,
        reported: bool,
        now: u64,
    ) {
        let (token, live) = self.handle(Kind::Registry, h);
        let s = self.text(TextKind::Subscriber, subscriber);
        let before = self.counts(token, live);
        // SAFETY: a token and a string argument.
        let st = unsafe {
            np700_registry_report_real_user(
                std::ptr::without_provenance(token),
                tenant,
                s.ptr,
                s.len,
                reported,
                now,
            )
        };
        let f = "np700_registry_report_real_user";
        self.status(f, st);
        self.unchanged(f, st, token, before);
        if !self.args_then_handle(f, st, &[subscriber_error(s), time_error(now)], token, live) {
            return;
        }
        let ri = live.expect("live");
        let known = self.registries[ri].tenants.contains_key(&tenant);
        let refusals: &[i32] = if known {
            &[]
        } else {
            &[NP700_ERR_UNKNOWN_TENANT]
        };
        self.expect_refusal(f, st, refusals, &[]);
        if st == NP700_OK {
            let n = SubscriberNumber::parse(s.utf8().expect("checked")).expect("checked");
            let state = &mut self.ctl().registries[ri].state;
            if reported {
                state.reported.insert((tenant, n));
            } else {
                state.reported.remove(&(tenant, n));
            }
        }
    }

    // -- routes ---------------------------------------------------------------------------------

    /// The model's router for `router` (`None`: a reader of a path several writers published,
    /// or of a junk file — their regions are no longer modelled exactly).
    fn place(&mut self, router: Router) -> Option<Where> {
        match router {
            Router::Registry(ri) => Some(Where::Registry(ri)),
            Router::Follower(fi) => Some(Where::Follower(fi)),
            Router::Reader(k) => {
                let ReaderSource::Index(p) = self.readers[k].source else {
                    return None;
                };
                let candidates = self.published[usize::from(p)].clone();
                if let [only] = candidates[..] {
                    return self.registries[only].live.then_some(Where::Registry(only));
                }
                let ctl = self.ctl();
                for ri in candidates {
                    ctl.registries[ri].region.exact_counts = false;
                    ctl.registries[ri].region.exact_records = false;
                }
                None
            }
        }
    }

    /// A request was decided `d` (`NP700_OK`) by `router`: the model judges the decision, counts
    /// the request and queues its record.
    pub(super) fn ctl_decided(
        &mut self,
        f: &str,
        router: Router,
        d: &np700_decision,
        req: &Request,
    ) {
        let ctx = self.context.clone();
        self.ctl().stats.rejects.insert(d.reject);
        if trace() {
            eprintln!(
                "  {f} ({router:?}): kind {} reason {} binding {}",
                d.kind, d.reject, d.binding_id
            );
        }
        let Some(w) = self.place(router) else { return };
        // A request let through uncounted (a counter table too small) makes the counts inexact.
        if let Where::Registry(ri) = w {
            let token = self.registries[ri].token;
            let mut n = 0u64;
            // SAFETY: a live handle and a counter.
            let st =
                unsafe { np700_registry_untracked(std::ptr::without_provenance(token), &mut n) };
            assert_eq!(st, NP700_OK, "{ctx}: np700_registry_untracked");
            let region = &mut self.ctl().registries[ri].region;
            assert!(n >= region.untracked, "{ctx}: untracked went down");
            if n > region.untracked {
                region.untracked = n;
                region.exact_counts = false;
            }
        }
        let ctl = self.ctl.as_mut().expect("controls");
        let (state, cs, region) = match w {
            Where::Registry(ri) => {
                let r = &mut ctl.registries[ri];
                (&self.registries[ri], &r.state, &mut r.region)
            }
            Where::Follower(fi) => {
                let fm = &mut self.followers[fi];
                (&fm.state.0, &fm.state.1, &mut fm.region)
            }
        };
        let facts = facts(state, cs, &region.sms, req, d);
        let exact = match judge(region, cs.exact_ids, &facts, d, req.media, req.now) {
            Ok(exact) => exact,
            Err(e) => panic!(
                "{ctx}: {f}: {e}\n  request: caller {:?} dialled {:?} text {:?} at {}\n  decision: {d:?}\n  leg: {:?}\n  lookup: {:?}\n  rules: {:#?}",
                String::from_utf8_lossy(req.caller.bytes().unwrap_or(&[])),
                String::from_utf8_lossy(req.dialed.bytes().unwrap_or(&[])),
                req.text
                    .map(|t| String::from_utf8_lossy(t.bytes().unwrap_or(&[])).into_owned()),
                req.now,
                facts.leg,
                facts.lookup,
                cs.rules,
            ),
        };
        if region.exact_records {
            region.push(record_of(&facts, d, req));
        }
        ctl.stats.decided += 1;
        ctl.stats.exact += usize::from(exact && facts.parsed.is_ok());
        ctl.stats.routed_exactly +=
            usize::from(exact && d.kind == NP700_DECISION_ROUTE && region.counts_anything());
    }

    /// An SMS with its text, through a registry, a reader or a follower.
    fn route_message(&mut self, kind: Kind, h: HandlePick, m: &MessagePick) {
        let (token, live) = self.handle(kind, h);
        let caller = self.text(TextKind::Sender, &m.caller);
        let dialed = self.text(TextKind::Usage, &m.dialed);
        let text = match &m.text {
            Body::Text(t) => self.text(TextKind::SmsText, t),
            Body::Boundary(over) => {
                self.keep(vec![b'a'; NP700_MAX_SMS_TEXT_LEN + usize::from(*over)])
            }
        };
        let now = m.now.at(self.clock);
        let mut o = OutBuf::<np700_decision>::new(m.out);
        let p = token;
        // SAFETY: a token, string arguments and an output buffer.
        let (f, st) = unsafe {
            match kind {
                Kind::Registry => (
                    "np700_route_message",
                    np700_route_message(
                        std::ptr::without_provenance(p),
                        caller.ptr,
                        caller.len,
                        dialed.ptr,
                        dialed.len,
                        text.ptr,
                        text.len,
                        now,
                        o.ptr(),
                    ),
                ),
                Kind::Reader => (
                    "np700_reader_route_message",
                    np700_reader_route_message(
                        std::ptr::without_provenance(p),
                        caller.ptr,
                        caller.len,
                        dialed.ptr,
                        dialed.len,
                        text.ptr,
                        text.len,
                        now,
                        o.ptr(),
                    ),
                ),
                _ => (
                    "np700_follower_route_message",
                    np700_follower_route_message(
                        std::ptr::without_provenance(p),
                        caller.ptr,
                        caller.len,
                        dialed.ptr,
                        dialed.len,
                        text.ptr,
                        text.len,
                        now,
                        o.ptr(),
                    ),
                ),
            }
        };
        self.status(f, st);
        self.ctl().stats.statuses.insert(st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        self.message_arg_outcome(f, st, caller, dialed, text, now, m.out);
        if st != NP700_OK {
            return;
        }
        let d = o.read(f);
        self.check_decision(f, &d, dialed);
        let request = Request {
            caller,
            dialed,
            media: NP700_MEDIA_SMS,
            text: Some(text),
            now,
        };
        let i = live.expect("live");
        match kind {
            Kind::Registry => {
                if d.kind == NP700_DECISION_ROUTE
                    && let Err(e) = self.routed_by(i, &d, caller, dialed, now)
                {
                    panic!("{}: {f}: {e}", self.context);
                }
                self.ctl_decided(f, Router::Registry(i), &d, &request);
            }
            Kind::Follower => {
                self.follower_routed(f, i, &d, &request);
            }
            _ => {
                self.ctl().stats.reader_messages += 1;
                self.ctl_decided(f, Router::Reader(i), &d, &request);
                let ReaderSource::Index(p) = self.readers[i].source else {
                    return;
                };
                let candidates = self.published[usize::from(p)].clone();
                if d.kind == NP700_DECISION_ROUTE {
                    let ok = candidates
                        .iter()
                        .any(|&ri| self.routed_by(ri, &d, caller, dialed, now).is_ok());
                    assert!(
                        ok,
                        "{}: {f}: no registry at the path routes so",
                        self.context
                    );
                }
                // With one writer at the path, still live, the reader answers as it does.
                if let [only] = candidates[..]
                    && self.registries[only].live
                {
                    let reg = self.registries[only].token;
                    let mut w = OutBuf::<np700_decision>::new(OutPick::Valid);
                    // SAFETY: a live handle, the same arguments, an output buffer.
                    let st = unsafe {
                        np700_route_message(
                            std::ptr::without_provenance(reg),
                            caller.ptr,
                            caller.len,
                            dialed.ptr,
                            dialed.len,
                            text.ptr,
                            text.len,
                            now,
                            w.ptr(),
                        )
                    };
                    self.status("np700_route_message", st);
                    assert_eq!(
                        st, NP700_OK,
                        "{}: np700_route_message beside the reader",
                        self.context
                    );
                    let want = w.read("np700_route_message");
                    self.check_decision("np700_route_message", &want, dialed);
                    let counted = self.ctl().counts_anything(only);
                    assert!(
                        counted || same_decision(&d, &want),
                        "{}: {f}: the reader answers {d:?}, its registry {want:?}",
                        self.context
                    );
                    self.ctl_decided(
                        "np700_route_message",
                        Router::Registry(only),
                        &want,
                        &request,
                    );
                }
            }
        }
    }

    /// `np700_route`'s argument checks, then the text's (after `now`).
    #[allow(clippy::too_many_arguments)]
    fn message_arg_outcome(
        &self,
        f: &str,
        st: i32,
        caller: Arg,
        dialed: Arg,
        text: Arg,
        now: u64,
        out: OutPick,
    ) {
        let route_error = (|| {
            if out != OutPick::Valid {
                return Some(NP700_ERR_NULL);
            }
            for a in [caller, dialed] {
                if let Some(e) = str_error(a, NP700_MAX_NUMBER_LEN, NP700_ERR_TOO_LONG) {
                    return Some(e);
                }
            }
            if let Some(e) = time_error(now) {
                return Some(e);
            }
            if text.ptr.is_null() && text.len != 0 {
                return Some(NP700_ERR_NULL);
            }
            (text.len > NP700_MAX_SMS_TEXT_LEN).then_some(NP700_ERR_TOO_LONG)
        })();
        match route_error {
            Some(e) => assert_eq!(st, e, "{}: {f}: arguments", self.context),
            None => assert!(
                matches!(st, NP700_OK | NP700_ERR_NULL | NP700_ERR_INVALID_HANDLE),
                "{}: {f}: valid arguments refused with {}",
                self.context,
                status_text(st)
            ),
        }
    }

    // -- followers ------------------------------------------------------------------------------

    /// A snapshot of what the journal of directory `dir` holds.
    fn journal_state(&mut self, dir: u8) -> Option<(RegistryModel, CtlState)> {
        let ctl = self.ctl.as_ref().expect("controls");
        let ri = ctl.dirs[usize::from(dir)]?;
        Some((
            self.registries[ri].clone(),
            ctl.registries[ri].state.clone(),
        ))
    }

    fn follower_open(&mut self, h: HandlePick, d: DirPick, out: OutPick) {
        let (token, live) = self.handle(Kind::Config, h);
        // A follower with a shared path publishes an index of its own there: keep the run's
        // index paths to registries (see fuzz/README.md).
        if live.is_some_and(|i| self.configs[i].shared.is_some()) {
            return;
        }
        let dir = self.dir_arg(d);
        let mut o = OutBuf::<*mut np700_follower>::new(out);
        // SAFETY: a token, a string argument and an output buffer.
        let st = unsafe {
            np700_follower_open(
                std::ptr::without_provenance(token),
                dir.ptr,
                dir.len,
                o.ptr(),
            )
        };
        let f = "np700_follower_open";
        self.status(f, st);
        self.untouched(f, st, &o);
        let errors = [out_error(out), Self::dir_errors(dir)];
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        let ci = live.expect("live");
        let config = self.ctl().configs[ci].clone();
        let state = match d {
            DirPick::Dir(i) => self.journal_state(i % 2).map(|s| (i % 2, s)),
            _ => None,
        };
        let Some((i, state)) = state else {
            assert!(
                matches!(st, NP700_ERR_IO | NP700_ERR_CORRUPT_JOURNAL),
                "{}: {f} of {d:?}: {}",
                self.context,
                status_text(st)
            );
            return;
        };
        if st != NP700_OK {
            assert!(
                st == NP700_ERR_IO && config.controls.bytes() > 1 << 30,
                "{}: {f}: {}",
                self.context,
                status_text(st)
            );
            return;
        }
        let new = o.read(f).addr();
        self.new_token(f, new);
        let mut region = RegionModel::new(&config);
        // Followers have no untracked count: their counts are exact with tables far larger
        // than the subjects.
        region.exact_counts = config.controls.counter_slots >= 4096;
        self.followers.push(FollowerModel {
            token: new,
            live: true,
            dir: i,
            region,
            state,
        });
    }

    fn follower_poll(&mut self, h: HandlePick, out: Option<OutPick>) {
        let (token, live) = self.handle(Kind::Follower, h);
        let mut o = OutBuf::<np700_follow_progress>::new(out.unwrap_or(OutPick::Null));
        let op = if out.is_some() { o.ptr() } else { null_mut() };
        // SAFETY: a token and an output buffer (or NULL).
        let st = unsafe { np700_follower_poll(std::ptr::without_provenance(token), op) };
        let f = "np700_follower_poll";
        self.status(f, st);
        self.untouched(f, st, &o);
        let errors = [(out == Some(OutPick::Misaligned)).then_some(NP700_ERR_NULL)];
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        assert_eq!(st, NP700_OK, "{}: {f}", self.context);
        if out == Some(OutPick::Valid) {
            let p = o.read(f);
            assert!(
                p.reloaded <= 1 && (p.reloaded == 1 || p.reloaded_seq == 0),
                "{}: {f}: {p:?}",
                self.context
            );
        }
        let fi = live.expect("live");
        let dir = self.followers[fi].dir;
        let state = self.journal_state(dir).expect("a journal followed");
        let fm = &mut self.followers[fi];
        // A lifted automatic block ends the follower's own mark too, or not: not modelled.
        let lifted_auto = fm
            .state
            .1
            .rules
            .iter()
            .any(|(id, r)| r.auto && !state.1.rules.contains_key(id));
        if lifted_auto {
            fm.region.exact_counts = false;
        }
        fm.state = state;
        self.ctl().stats.polls += 1;
    }

    fn follower_route(&mut self, h: HandlePick, r: &RoutePick) {
        let (token, live) = self.handle(Kind::Follower, h);
        let (caller, dialed, media, now) = self.route_args(r);
        let mut o = OutBuf::<np700_decision>::new(r.out);
        // SAFETY: a token, string arguments and an output buffer.
        let st = unsafe {
            np700_follower_route(
                std::ptr::without_provenance(token),
                caller.ptr,
                caller.len,
                dialed.ptr,
                dialed.len,
                media,
                now,
                o.ptr(),
            )
        };
        let f = "np700_follower_route";
        self.status(f, st);
        self.ctl().stats.statuses.insert(st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        self.route_arg_outcome(f, st, caller, dialed, media, now, r.out);
        if st != NP700_OK {
            return;
        }
        let d = o.read(f);
        self.check_decision(f, &d, dialed);
        let request = Request {
            caller,
            dialed,
            media,
            text: None,
            now,
        };
        self.follower_routed(f, live.expect("live"), &d, &request);
    }

    /// A follower's decision: tenants never mix on its state either, then the controls' model.
    fn follower_routed(&mut self, f: &str, fi: usize, d: &np700_decision, req: &Request) {
        if d.kind == NP700_DECISION_ROUTE
            && let Err(e) = routed_through(
                &self.followers[fi].state.0,
                d,
                req.caller,
                req.dialed,
                req.now,
            )
        {
            panic!("{}: {f}: {e}", self.context);
        }
        self.ctl().stats.follower_routes += 1;
        self.ctl_decided(f, Router::Follower(fi), d, req);
    }

    // -- records --------------------------------------------------------------------------------

    fn drain(&mut self, follower: bool, h: HandlePick, out: DrainOut, cap: u8, written: OutPick) {
        let kind = if follower {
            Kind::Follower
        } else {
            Kind::Registry
        };
        let (token, live) = self.handle(kind, h);
        let capacity = [0usize, 1, 2, 3, 4, 8, 64, 1000][usize::from(cap % 8)];
        let rec = size_of::<np700_route_record>();
        let mut words = vec![SENTINEL; (capacity + 2) * rec / 8 + 1];
        let base = words.as_mut_ptr().cast::<np700_route_record>();
        let ptr = match out {
            DrainOut::Valid => base,
            DrainOut::Null => null_mut(),
            DrainOut::Misaligned => base.cast::<u8>().wrapping_add(1).cast(),
        };
        let mut w = OutBuf::<usize>::new(written);
        // SAFETY: a token, a buffer of `capacity` records (or NULL, or misaligned) and a size_t.
        let (f, st) = unsafe {
            if follower {
                (
                    "np700_follower_drain_records",
                    np700_follower_drain_records(
                        std::ptr::without_provenance(token),
                        ptr,
                        capacity,
                        w.ptr(),
                    ),
                )
            } else {
                (
                    "np700_registry_drain_records",
                    np700_registry_drain_records(
                        std::ptr::without_provenance(token),
                        ptr,
                        capacity,
                        w.ptr(),
                    ),
                )
            }
        };
        self.status(f, st);
        self.untouched(f, st, &w);
        if st != NP700_OK {
            assert!(
                words.iter().all(|&x| x == SENTINEL),
                "{}: {f} failed and wrote records",
                self.context
            );
        }
        let errors = [
            out_error(written),
            (capacity != 0 && out != DrainOut::Valid).then_some(NP700_ERR_NULL),
        ];
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        assert_eq!(st, NP700_OK, "{}: {f}", self.context);
        let n = w.read(f);
        assert!(
            n <= capacity,
            "{}: {f}: {n} records into {capacity}",
            self.context
        );
        let bytes: Vec<u8> = words.iter().flat_map(|x| x.to_ne_bytes()).collect();
        assert!(
            bytes[n * rec..].iter().all(|&b| b == 0xA5),
            "{}: {f}: wrote past the {n} records",
            self.context
        );
        let ctx = self.context.clone();
        // SAFETY: `n` records written by the library at an aligned pointer.
        let got: Vec<RecordModel> = (0..n)
            .map(|i| drained(unsafe { &*base.add(i) }, &ctx))
            .collect();
        let i = live.expect("live");
        let region = if follower {
            &mut self.followers[i].region
        } else {
            &mut self.ctl.as_mut().expect("controls").registries[i].region
        };
        let mut compared = 0;
        if region.exact_records {
            assert_eq!(
                n,
                capacity.min(region.pending.len()),
                "{ctx}: {f}: drained {n} of {} records queued, into {capacity}",
                region.pending.len()
            );
            for g in got {
                let want = region.pending.pop_front().expect("counted");
                assert_eq!(g, want, "{ctx}: {f}: a record");
                compared += 1;
            }
        }
        let stats = &mut self.ctl().stats;
        stats.records_drained += n;
        stats.records_compared += compared;
    }

    fn dropped(&mut self, follower: bool, h: HandlePick, out: OutPick) {
        let kind = if follower {
            Kind::Follower
        } else {
            Kind::Registry
        };
        let (token, live) = self.handle(kind, h);
        let mut o = OutBuf::<u64>::new(out);
        // SAFETY: a token and an output buffer.
        let (f, st) = unsafe {
            if follower {
                (
                    "np700_follower_records_dropped",
                    np700_follower_records_dropped(std::ptr::without_provenance(token), o.ptr()),
                )
            } else {
                (
                    "np700_registry_records_dropped",
                    np700_registry_records_dropped(std::ptr::without_provenance(token), o.ptr()),
                )
            }
        };
        self.status(f, st);
        self.untouched(f, st, &o);
        if !self.args_then_handle(f, st, &[out_error(out)], token, live) {
            return;
        }
        assert_eq!(st, NP700_OK, "{}: {f}", self.context);
        let n = o.read(f);
        let i = live.expect("live");
        let region = if follower {
            &self.followers[i].region
        } else {
            &self.ctl.as_ref().expect("controls").registries[i].region
        };
        if region.exact_records {
            assert_eq!(n, region.dropped, "{}: {f}", self.context);
        }
        self.ctl().stats.dropped += n;
    }

    fn untracked(&mut self, h: HandlePick, out: OutPick) {
        let (token, live) = self.handle(Kind::Registry, h);
        let mut o = OutBuf::<u64>::new(out);
        // SAFETY: a token and an output buffer.
        let st = unsafe { np700_registry_untracked(std::ptr::without_provenance(token), o.ptr()) };
        let f = "np700_registry_untracked";
        self.status(f, st);
        self.untouched(f, st, &o);
        if !self.args_then_handle(f, st, &[out_error(out)], token, live) {
            return;
        }
        assert_eq!(st, NP700_OK, "{}: {f}", self.context);
        let n = o.read(f);
        let region = &mut self.ctl().registries[live.expect("live")].region;
        // Counted only by routes, which the model reads it after.
        assert_eq!(n, region.untracked, "{f}: changed between routes");
    }

    // -- the archive ----------------------------------------------------------------------------

    fn end_call(&mut self, p: &EndCallPick) {
        let (token, live) = self.handle(Kind::Registry, p.registry);
        let id = self.binding_id(live, p.binding);
        let caller = self.text(TextKind::Subscriber, &p.caller);
        let dialed = self.text(TextKind::Usage, &p.dialed);
        let started = p.started.at(self.clock);
        let now = p.now.at(self.clock);
        let before = self.counts(token, live);
        // SAFETY: a token and string arguments.
        let st = unsafe {
            np700_registry_end_call(
                std::ptr::without_provenance(token),
                id,
                caller.ptr,
                caller.len,
                dialed.ptr,
                dialed.len,
                started,
                p.answered,
                u32::from(p.duration),
                u16::from(p.cause),
                now,
            )
        };
        let f = "np700_registry_end_call";
        self.status(f, st);
        self.unchanged(f, st, token, before);
        let errors = [
            subscriber_error(caller),
            usage_error(dialed),
            time_error(started),
            time_error(now),
        ];
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        let ri = live.expect("live");
        let archive = self.ctl().registries[ri].archive;
        let r = &self.registries[ri];
        let ok: &[i32] = match r.bindings.get(&id) {
            Some(b) if !b.ended => &[NP700_OK],
            // Ended: its history answers, if the archive has it (from the call's start on).
            Some(_) if archive => &[NP700_OK, NP700_ERR_UNKNOWN_BINDING],
            _ => &[NP700_ERR_UNKNOWN_BINDING],
        };
        assert!(
            ok.contains(&st),
            "{}: {f} of binding {id}: {}, the model says {ok:?}",
            self.context,
            status_text(st)
        );
        self.ctl().stats.calls_ended += usize::from(st == NP700_OK);
    }

    fn history(&mut self, p: &HistoryPick) {
        let (token, live) = self.handle(Kind::Registry, p.registry);
        let usage = self.text(TextKind::Usage, &p.usage);
        let caller = self.text(TextKind::Subscriber, &p.caller);
        let at = p.at.at(self.clock);
        let mut o = OutBuf::<np700_history_hit>::new(p.out);
        // SAFETY: a token, string arguments and an output buffer.
        let st = unsafe {
            np700_registry_history(
                std::ptr::without_provenance(token),
                usage.ptr,
                usage.len,
                caller.ptr,
                caller.len,
                at,
                o.ptr(),
            )
        };
        let f = "np700_registry_history";
        self.status(f, st);
        self.untouched(f, st, &o);
        let errors = [
            out_error(p.out),
            usage_error(usage),
            subscriber_error(caller),
            time_error(at),
        ];
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        let ctx = self.context.clone();
        assert_eq!(st, NP700_OK, "{ctx}: {f}");
        let hit = o.read(f);
        let x = UsageNumber::parse_bytes(usage.bytes().expect("checked")).expect("checked");
        let c = SubscriberNumber::parse(caller.utf8().expect("checked")).expect("checked");
        let r = &self.registries[live.expect("live")];
        let on_x: Vec<(&u64, &BindingModel)> = r
            .bindings
            .iter()
            .filter(|(_, b)| b.numbers().any(|n| n == x))
            .collect();
        let to: Vec<String> = hit.to[..(hit.to_count as usize).min(NP700_MAX_TARGETS)]
            .iter()
            .map(|t| c_text(t, "history to"))
            .collect();
        // The only binding ever on the number, never changed: the state answers exactly.
        if let [(id, b)] = on_x[..]
            && !b.ended
            && b.pristine
            && let Some((targets, display)) = b.leg(x, c)
        {
            let found = b.created_at <= at && at < b.expires_at;
            assert_eq!(hit.found, found, "{ctx}: {f}: found, for {b:?}");
            if found {
                let want: Vec<String> = targets
                    .iter()
                    .map(|t| t.to_digits().as_str().to_owned())
                    .collect();
                assert_eq!(
                    (
                        hit.live,
                        hit.binding_id,
                        hit.tenant,
                        hit.mode,
                        hit.from,
                        hit.until
                    ),
                    (true, *id, b.tenant, b.mode, b.created_at, b.expires_at),
                    "{ctx}: {f}: the hit"
                );
                assert_eq!(
                    (to, c_text(&hit.display, "history display")),
                    (want, display.to_string()),
                    "{ctx}: {f}: where it went"
                );
                self.ctl.as_mut().expect("controls").stats.history_live += 1;
            }
        }
        if !hit.found {
            assert!(
                !hit.live
                    && (
                        hit.binding_id,
                        hit.tenant,
                        hit.mode,
                        hit.from,
                        hit.until,
                        hit.to_count
                    ) == (0, 0, 0, 0, 0, 0)
                    && hit
                        .display
                        .iter()
                        .chain(hit.to.iter().flatten())
                        .all(|&ch| ch == 0),
                "{ctx}: {f}: not found, but fields set: {hit:?}"
            );
            return;
        }
        // Whatever answered is a binding on the number, of its tenant and mode, in force then.
        let b = r
            .bindings
            .get(&hit.binding_id)
            .unwrap_or_else(|| panic!("{ctx}: {f}: unknown binding {}", hit.binding_id));
        assert!(
            b.numbers().any(|n| n == x)
                && (hit.tenant, hit.mode) == (b.tenant, b.mode)
                && hit.from <= at
                && at < hit.until
                && (!hit.live || !b.ended),
            "{ctx}: {f}: {hit:?} for {b:?}"
        );
    }

    fn archive_drained(&mut self, h: HandlePick, max: u8, now: u64, out: OutPick) {
        let (token, live) = self.handle(Kind::Registry, h);
        let max = [0usize, 1, 2, 5, 64, 1025, usize::MAX][usize::from(max % 7)];
        let mut o = OutBuf::<usize>::new(out);
        // SAFETY: a token and an output buffer.
        let st = unsafe {
            np700_registry_archive_drained(std::ptr::without_provenance(token), max, now, o.ptr())
        };
        let f = "np700_registry_archive_drained";
        self.status(f, st);
        self.untouched(f, st, &o);
        let errors = [out_error(out), time_error(now)];
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        let ri = live.expect("live");
        let ctx = self.context.clone();
        // First the probing blocks routers noticed become rules.
        let mut maybe_full = false;
        let room = {
            let r = &self.ctl().registries[ri];
            2 * r.region.controls.block_rules.max(1) as usize
        };
        let ctl = self.ctl.as_mut().expect("controls");
        let r = &mut ctl.registries[ri];
        if r.region.notices_unknown {
            // Blocks the routers noticed unseen become rules now: their ids are unknown.
            r.state.exact_ids = false;
            r.region.notices.clear();
        }
        while let Some(n) = r.region.notices.pop_front() {
            if n.until <= now {
                continue;
            }
            let automatic: Vec<u64> = r
                .state
                .rules
                .iter()
                .filter(|(_, x)| x.auto && x.caller == n.caller && x.active(now))
                .map(|(id, _)| *id)
                .collect();
            if automatic
                .iter()
                .any(|id| r.state.rules[id].expires.is_none_or(|e| e >= n.until))
            {
                continue;
            }
            if r.state.entries() - automatic.len() + 1 > room {
                // The table may refuse it (and the notices after it wait): ids unknown from here.
                maybe_full = true;
                r.state.exact_ids = false;
                r.region.notices.clear();
                break;
            }
            for id in automatic {
                r.state.rules.remove(&id);
                r.region.marks.remove(&n.caller);
            }
            let id = r.state.next_block;
            r.state.rules.insert(
                id,
                Rule {
                    owner: None,
                    scope: Scope::Platform,
                    caller: n.caller,
                    callee: None,
                    both_ways: false,
                    expires: Some(n.until),
                    auto: true,
                },
            );
            r.state.next_block = id + 1;
            ctl.stats.auto_rules += 1;
        }
        // Automatic rules the model does not know take room too.
        maybe_full |= !r.state.exact_ids;
        if st != NP700_OK {
            assert!(
                maybe_full && st == NP700_ERR_INDEX_FULL,
                "{ctx}: {f}: {}",
                status_text(st)
            );
            // What it took from the queue is unknown.
            r.region.exact_records = false;
            return;
        }
        let n = o.read(f);
        if r.region.exact_records {
            let want = max.min(r.region.pending.len());
            assert_eq!(n, want, "{ctx}: {f}: archived");
            r.region.pending.drain(..n);
        }
        ctl.stats.archived += n;
    }

    fn report(&mut self, p: &ReportPick) {
        let (token, live) = self.handle(Kind::Registry, p.registry);
        let (from, to, now) = (
            p.from.at(self.clock),
            p.to.at(self.clock),
            p.now.at(self.clock),
        );
        let f = "np700_registry_report";
        let errors = [
            matches!(p.buf, ReportBuf::NullWithLen(_)).then_some(NP700_ERR_NULL),
            (!p.needed_null && p.needed == OutPick::Misaligned).then_some(NP700_ERR_NULL),
            time_error(from),
            time_error(to),
            (from > to).then_some(NP700_ERR_OUT_OF_RANGE),
            time_error(now),
        ];
        let call = |run: &mut Run, buf: Option<usize>, null_len: usize| {
            let mut bytes = vec![0x5au8; buf.unwrap_or(0) + 8];
            let (bp, blen) = match buf {
                Some(n) => (bytes.as_mut_ptr().cast::<c_char>(), n),
                None => (null_mut(), null_len),
            };
            let mut needed = OutBuf::<usize>::new(if p.needed_null {
                OutPick::Null
            } else {
                p.needed
            });
            // SAFETY: a token, a buffer of `blen` bytes (or NULL) and a size_t (or NULL).
            let st = unsafe {
                np700_registry_report(
                    std::ptr::without_provenance(token),
                    from,
                    to,
                    now,
                    bp,
                    blen,
                    needed.ptr(),
                )
            };
            run.status(f, st);
            // `needed` is written on success and on a buffer too small, as documented.
            let size = (matches!(st, NP700_OK | NP700_ERR_BUFFER_TOO_SMALL)
                && needed.pick == OutPick::Valid)
                .then(|| needed.read(f));
            if size.is_none() {
                assert!(
                    needed.untouched(),
                    "{}: {f}: wrote needed on {st}",
                    run.context
                );
            }
            if st != NP700_OK {
                assert!(
                    bytes.iter().all(|&b| b == 0x5a),
                    "{}: {f}: wrote the buffer on {st}",
                    run.context
                );
            }
            (st, size, bytes)
        };
        let (st, size, bytes) = match p.buf {
            ReportBuf::Null => call(self, None, 0),
            ReportBuf::NullWithLen(n) => call(self, None, usize::from(n) + 1),
            ReportBuf::Len(n) => call(self, Some(usize::from(n)), 0),
            ReportBuf::TwoStep => {
                let (st, size, bytes) = call(self, None, 0);
                match (st, size) {
                    // Nothing written between: a buffer of `needed` bytes takes it.
                    (NP700_ERR_BUFFER_TOO_SMALL, Some(n)) => {
                        let again = call(self, Some(n), 0);
                        assert_eq!(again.0, NP700_OK, "{}: {f} into {n} bytes", self.context);
                        assert_eq!(again.1, Some(n), "{}: {f}: needed", self.context);
                        again
                    }
                    _ => (st, size, bytes),
                }
            }
        };
        if !self.args_then_handle(f, st, &errors, token, live) {
            return;
        }
        let ctx = self.context.clone();
        let json = match st {
            NP700_OK => {
                let end = bytes.iter().position(|&b| b == 0).expect("NUL-terminated");
                assert!(
                    size.is_none_or(|s| s == end + 1),
                    "{ctx}: {f}: needed {size:?} for {} bytes",
                    end + 1
                );
                String::from_utf8(bytes[..end].to_vec()).expect("UTF-8")
            }
            NP700_ERR_BUFFER_TOO_SMALL => {
                let len = match p.buf {
                    ReportBuf::Len(n) => usize::from(n),
                    _ => 0,
                };
                assert!(
                    size.is_none_or(|s| s > len),
                    "{ctx}: {f}: too small for {size:?}"
                );
                return;
            }
            other => panic!("{ctx}: {f}: {}", status_text(other)),
        };
        let v: serde_json::Value =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{ctx}: {f}: not JSON: {e}"));
        let ri = live.expect("live");
        self.check_report(&v, ri, from, to, now);
        self.ctl().stats.reports += 1;
    }

    /// The report's figures as of `now` agree with the model.
    fn check_report(&mut self, v: &serde_json::Value, ri: usize, from: u64, to: u64, now: u64) {
        let ctx = self.context.clone();
        let f = "np700_registry_report";
        let num = |v: &serde_json::Value, what: &str| {
            v.as_u64()
                .unwrap_or_else(|| panic!("{ctx}: {f}: {what} is not a count: {v}"))
        };
        assert_eq!(
            (
                num(&v["generated_at"], "generated_at"),
                num(&v["period"]["from"], "from"),
                num(&v["period"]["to"], "to")
            ),
            (now, from, to),
            "{ctx}: {f}: times"
        );
        let dropped = num(&v["completeness"]["records_dropped"], "records_dropped");
        assert_eq!(
            v["completeness"]["complete"].as_bool(),
            Some(dropped == 0),
            "{ctx}: {f}: completeness"
        );
        let r = &self.registries[ri];
        let cs = &self.ctl.as_ref().expect("controls").registries[ri].state;
        let tenants = v["tenants"].as_array().expect("tenants");
        assert_eq!(tenants.len(), r.tenants.len(), "{ctx}: {f}: tenants");
        for (t, (id, m)) in tenants.iter().zip(&r.tenants) {
            let live: Vec<&BindingModel> = r
                .bindings
                .values()
                .filter(|b| b.tenant == *id && !b.ended && b.expires_at > now)
                .collect();
            let by_mode = |mode: u32| live.iter().filter(|b| b.mode == mode).count() as u64;
            let status = match m.status {
                NP700_TENANT_ACTIVE => "Active",
                NP700_TENANT_SUSPENDED => "Suspended",
                _ => "Exited",
            };
            let held = r.owner.values().filter(|o| *o == id).count() as u64;
            let rules = cs
                .rules
                .values()
                .filter(|x| x.owner == Some(*id) && x.active(now))
                .count() as u64;
            let lb = &t["live_bindings"];
            assert_eq!(
                (
                    num(&t["tenant"], "tenant"),
                    t["name"].as_str().map(str::as_bytes),
                    t["status"].as_str(),
                    num(&t["violations"], "violations"),
                    num(&t["management_numbers_held"], "held"),
                    num(&t["block_rules_in_force"], "block rules")
                ),
                (
                    u64::from(*id),
                    Some(&m.name[..]),
                    Some(status),
                    m.violations,
                    held,
                    rules
                ),
                "{ctx}: {f}: tenant {id}"
            );
            assert_eq!(
                [
                    num(&lb["total"], "total"),
                    num(&lb["axb"], "axb"),
                    num(&lb["axn"], "axn"),
                    num(&lb["axyb"], "axyb"),
                    num(&lb["gxb"], "gxb"),
                    num(&lb["suspended"], "suspended")
                ],
                [
                    live.len() as u64,
                    by_mode(NP700_MODE_AXB),
                    by_mode(NP700_MODE_AXN),
                    by_mode(NP700_MODE_AXYB),
                    by_mode(NP700_MODE_GXB),
                    live.iter()
                        .filter(|b| b.status == NP700_BINDING_SUSPENDED)
                        .count() as u64
                ],
                "{ctx}: {f}: tenant {id}'s live bindings"
            );
        }
        let p = &v["platform"];
        let manual = cs
            .rules
            .values()
            .filter(|x| !x.auto && x.active(now))
            .count() as u64;
        let auto = cs
            .rules
            .values()
            .filter(|x| x.auto && x.active(now))
            .count() as u64;
        assert_eq!(
            num(&p["tenants"], "platform tenants"),
            r.tenants.len() as u64
        );
        assert_eq!(
            num(&p["block_rules_in_force"]["manual"], "manual rules"),
            manual,
            "{ctx}: {f}: manual rules in force"
        );
        if cs.exact_ids {
            assert_eq!(
                num(&p["block_rules_in_force"]["automatic"], "automatic rules"),
                auto,
                "{ctx}: {f}: automatic rules in force"
            );
        }
    }
}
