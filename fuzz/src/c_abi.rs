//! `c_abi`: bytes → a sequence of calls to the C ABI (`np700::ffi`, the functions `np700.h`
//! declares), made exactly as a C program makes them: raw pointers, `(ptr, len)` strings,
//! caller-owned output structs, handles as tokens.
//!
//! The arguments are what a careless or hostile C caller hands over: strings of arbitrary bytes
//! (invalid UTF-8, embedded NULs, non-digits, over-long up to 1 MiB, NULL with a length), NULL
//! and misaligned pointers wherever a pointer is checked, handles that are stale, freed twice, of
//! another type or made up, arbitrary codes, times, tenant and binding ids, and output buffers of
//! any size. Valid values are picked often enough (from a small universe of subscribers and 700
//! numbers, and the numbers and parties of the bindings made so far) that registries are created,
//! tenants registered, numbers licensed and assigned, bindings made, changed and ended, and calls
//! routed, through the registry and through readers of a shared index. The first byte may
//! provision a registry (two tenants holding two numbers each) through the same calls.
//!
//! After every call:
//!
//! - the status is `NP700_OK` or one `np700_status_str()` describes (the library's own table, not
//!   a copy here), and never a `-9xx` one (a caught panic or an internal inconsistency);
//! - a failing call wrote none of its outputs (they are filled with a sentinel beforehand; the one
//!   documented exception, `np700_last_error()`'s `needed`, is checked as documented), set this
//!   thread's last error to a message naming the function, and a refusal by a registry left the
//!   registry's counts as they were; a successful call left the last error as it was;
//! - a handle the model knows to be live is never `NP700_ERR_INVALID_HANDLE`, and any other
//!   (stale, freed twice, of another type, made up) never succeeds; freeing one is exactly
//!   `NP700_ERR_INVALID_HANDLE`, freeing NULL is `NP700_OK`;
//! - successful outputs are well-formed (a decision's fields that do not apply to its kind are
//!   zero, reasons and codes are described, numbers are digits) and agree with a small model of
//!   every registry built from the successful calls: tenant ids and binding ids in order, which
//!   tenant holds which management number, the live bindings with their parties, expiry and
//!   status (statistics, tenant reports and binding reports are compared to it);
//! - **tenants never mix**: a tenant succeeds only with its own bindings, a bind takes only usage
//!   numbers of management numbers its tenant holds, a number held by one tenant is never
//!   assigned to another, and every routed decision — from the registry or from a reader of its
//!   shared index — names a live, active, unexpired binding of the tenant holding the dialled
//!   number, whose tenant is not suspended, and connects the caller (one of the binding's parties,
//!   or anyone for AXN) to that binding's own counterpart, presenting that binding's number; a
//!   reader of a path only one live registry ever published answers exactly as that registry.
//!
//! At the end every handle still live is freed (`NP700_OK`), so LeakSanitizer sees no leak, and
//! the files made for shared indexes are removed.

use arbitrary::{Arbitrary, Unstructured};
use np700::ffi::*;
use np700::number::parse_dialed_bytes;
use np700::{DialedNumber, ManagementNumber, SubscriberNumber, UsageNumber};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{CStr, c_char};
use std::marker::PhantomData;
use std::path::PathBuf;
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

// The `c_abi_controls` target: the same harness, with the regulatory controls' functions and
// their model (a child module, so that it shares this one's private model and checks).
#[path = "c_abi_controls.rs"]
pub mod controls;

/// 2026-01-01T00:00:00Z, where the clock starts.
const T0: u64 = 1_767_225_600;
/// Longer inputs are cut here.
const MAX_OPS: usize = 64;

// ---------------------------------------------------------------------------------------------
// The universe valid arguments are picked from.

/// Six Chinese mobiles, a Beijing fixed line, a UK mobile and a stranger.
const PEOPLE: [u64; 9] = [
    8613800000000,
    8613800000001,
    8613800000002,
    8613800000003,
    8613800000004,
    8613800000005,
    861012345678,
    447911123456,
    8613900000000,
];

/// Management numbers 0..4 are licensed by the provisioning, 4 and 5 only by a call.
const MANAGEMENT: u64 = 6;

fn mgmt(i: u64) -> ManagementNumber {
    ManagementNumber::new(70012340000 + i % MANAGEMENT).expect("valid management number")
}

const TAGS: [&str; 4] = [
    "beijing",
    "shanghai",
    "Beijing",
    "abcdefghijklmnopqrstuvwxyz012345",
];
const NAMES: [&str; 4] = ["Swift Parcels", "Hungry Panda", "顺丰速运", "x"];
const NOTES: [&str; 3] = ["marketing calls at night", "", "未经同意"];
const REFERENCES: [&str; 3] = [
    "consent-1",
    "order-42",
    "订订订订订订订订订订订订订订订订订订订订订o",
];
/// Lengths of over-long strings: around every documented maximum (tags 32, references 64, names
/// 128, numbers and notes 256, paths 4096) and far beyond.
const LONG_LENS: [usize; 14] = [
    15,
    16,
    17,
    32,
    33,
    64,
    65,
    128,
    129,
    256,
    257,
    4096,
    4097,
    1 << 20,
];

/// 1 MiB and a bit of digits, for the longest strings (allocated once).
fn long_digits() -> &'static [u8] {
    static LONG: OnceLock<Vec<u8>> = OnceLock::new();
    LONG.get_or_init(|| vec![b'7'; (1 << 20) + 1])
}

/// A 700 number (11 or 15 digits) as a switch may hand it over.
fn seven_hundred_text(digits: &str, form: u8) -> String {
    let split = |s: &str| {
        if s.len() >= 7 {
            format!("{} {} {}", &s[..3], &s[3..7], &s[7..])
        } else {
            s.to_owned()
        }
    };
    match form % 9 {
        0 => digits.to_owned(),
        1 => format!("+86{digits}"),
        2 => format!("0086 {digits}"),
        3 => format!("86{digits}"),
        4 => format!("tel:+86-{digits}"),
        5 => format!("sip:{digits}@switch.example;user=phone"),
        6 => split(digits),
        // The management part only, and a shorter prefix: the switch must collect digits.
        7 => digits[..digits.len().min(11)].to_owned(),
        _ => digits[..digits.len().min(7)].to_owned(),
    }
}

/// A subscriber as a switch may hand it over.
fn subscriber_text(n: SubscriberNumber, form: u8) -> String {
    let e164 = n.to_digits();
    let d = e164.as_str().trim_start_matches('+');
    match form % 6 {
        0 => format!("+{d}"),
        1 => format!("00{d}"),
        2 => match d.strip_prefix("86") {
            Some(rest) if rest.starts_with('1') && rest.len() == 11 => rest.to_owned(),
            Some(rest) => format!("0{rest}"),
            None => format!("+{d}"),
        },
        3 => format!("tel:+{d}"),
        4 => format!("sip:+{d}@switch.example"),
        _ => format!("+{} {} {}", &d[..2], &d[2..5], &d[5..]),
    }
}

// ---------------------------------------------------------------------------------------------
// What the fuzzer's bytes decode to.

/// A string argument.
#[derive(Clone, Debug)]
pub enum Text {
    /// A valid value of the argument's kind (see [`TextKind`]) in one of its written forms.
    Valid { which: u8, form: u8 },
    /// `(NULL, 0)`: the empty string.
    Null,
    /// A non-NULL pointer with length 0: also the empty string.
    Empty,
    /// NULL with a non-zero length.
    NullWithLen(u16),
    /// Arbitrary bytes: invalid UTF-8, NULs, non-digits, control characters.
    Bytes(Vec<u8>),
    /// A valid value with arbitrary bytes spliced in.
    Spliced {
        which: u8,
        form: u8,
        at: u8,
        bytes: Vec<u8>,
    },
    /// One of [`LONG_LENS`] bytes of `filler` (digits past 4 KiB).
    Long { len: u8, filler: u8 },
}

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=22)? {
            0..=14 => Text::Valid {
                which: u.arbitrary()?,
                form: u.arbitrary()?,
            },
            15 => Text::Null,
            16 => Text::Empty,
            17 => Text::NullWithLen(u.arbitrary()?),
            18 | 19 => Text::Bytes(u.arbitrary()?),
            20 | 21 => Text::Spliced {
                which: u.arbitrary()?,
                form: u.arbitrary()?,
                at: u.arbitrary()?,
                bytes: u.arbitrary()?,
            },
            _ => Text::Long {
                len: u.arbitrary()?,
                filler: u.arbitrary()?,
            },
        })
    }
}

/// What a string argument is, for [`Text::Valid`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TextKind {
    Subscriber,
    /// A usage number (or part of one) as dialled, or as a bind's given X.
    Usage,
    Management,
    Tag,
    Name,
    Note,
    Reference,
    /// The sender of an SMS: a subscriber, or a commercial port (`c_abi_controls`).
    Sender,
    /// An SMS text (`c_abi_controls`).
    SmsText,
    /// A commercial sender prefix (`c_abi_controls`).
    SmsPrefix,
    /// A verification-code keyword (`c_abi_controls`).
    SmsKeyword,
}

/// A path argument. Only paths inside the run's own directory are ever valid text, so the target
/// creates and reads files nowhere else.
#[derive(Clone, Copy, Debug)]
pub enum PathArg {
    /// One of two index files (`i % 2`).
    Index(u8),
    /// The file [`Op::WriteJunk`] writes.
    Junk,
    /// A file that does not exist.
    Missing,
    /// The run's directory itself.
    Directory,
    /// `(NULL, 0)`.
    Null,
    /// NULL with a length.
    NullWithLen(u16),
    /// An index path with an invalid byte appended.
    InvalidUtf8(u8),
    /// An index path with a NUL inside.
    EmbeddedNul(u8),
    /// Longer than `NP700_MAX_PATH_LEN`.
    TooLong(u8),
}

impl<'a> Arbitrary<'a> for PathArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=15)? {
            0..=6 => PathArg::Index(u.arbitrary()?),
            7 => PathArg::Junk,
            8 => PathArg::Missing,
            9 => PathArg::Directory,
            10 => PathArg::Null,
            11 => PathArg::NullWithLen(u.arbitrary()?),
            12 => PathArg::InvalidUtf8(u.arbitrary()?),
            13 => PathArg::EmbeddedNul(u.arbitrary()?),
            _ => PathArg::TooLong(u.arbitrary()?),
        })
    }
}

/// A handle argument.
#[derive(Clone, Copy, Debug)]
pub enum HandlePick {
    /// The `i`-th handle of this type made so far (live or freed); NULL if none.
    Made(u8),
    Null,
    /// The `i`-th handle of another type.
    OtherKind(u8),
    /// The `i`-th handle of this type with one bit of its token flipped.
    Tweaked {
        index: u8,
        bit: u8,
    },
    /// Any token.
    MadeUp(u64),
}

impl<'a> Arbitrary<'a> for HandlePick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=15)? {
            0..=10 => HandlePick::Made(u.arbitrary()?),
            11 => HandlePick::Null,
            12 => HandlePick::OtherKind(u.arbitrary()?),
            13 | 14 => HandlePick::Tweaked {
                index: u.arbitrary()?,
                bit: u.arbitrary()?,
            },
            _ => HandlePick::MadeUp(u.arbitrary()?),
        })
    }
}

/// An output pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutPick {
    Valid,
    Null,
    /// One byte past an aligned buffer.
    Misaligned,
}

impl<'a> Arbitrary<'a> for OutPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=15)? {
            14 => OutPick::Null,
            15 => OutPick::Misaligned,
            _ => OutPick::Valid,
        })
    }
}

/// A time argument.
#[derive(Clone, Copy, Debug)]
pub enum TimePick {
    /// The run's clock.
    Clock,
    Plus(u16),
    /// Time may go backwards: nothing in the ABI forbids it.
    Minus(u16),
    Raw(u64),
    /// `NP700_TIME_MAX`, the latest time accepted.
    Max,
    /// One past it.
    PastMax,
    /// `u64::MAX` (`NP700_TIME_NEVER`, which only an expiry accepts).
    Never,
}

impl<'a> Arbitrary<'a> for TimePick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=31)? {
            0..=21 => TimePick::Clock,
            22..=24 => TimePick::Plus(u.arbitrary()?),
            25 | 26 => TimePick::Minus(u.arbitrary()?),
            27 => TimePick::Raw(u.arbitrary()?),
            28 => TimePick::Max,
            29 => TimePick::PastMax,
            _ => TimePick::Never,
        })
    }
}

impl TimePick {
    fn at(self, clock: u64) -> u64 {
        match self {
            TimePick::Clock => clock,
            TimePick::Plus(s) => clock + u64::from(s),
            TimePick::Minus(s) => clock - u64::from(s),
            TimePick::Raw(t) => t,
            TimePick::Max => NP700_TIME_MAX,
            TimePick::PastMax => NP700_TIME_MAX + 1,
            TimePick::Never => u64::MAX,
        }
    }
}

/// An expiry, relative to the call's `now` mostly.
#[derive(Clone, Copy, Debug)]
pub enum ExpiryPick {
    In(u16),
    Never,
    Other(TimePick),
}

impl<'a> Arbitrary<'a> for ExpiryPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=9)? {
            0..=6 => ExpiryPick::In(u.arbitrary()?),
            7 => ExpiryPick::Never,
            _ => ExpiryPick::Other(u.arbitrary()?),
        })
    }
}

impl ExpiryPick {
    fn at(self, now: u64, clock: u64) -> u64 {
        match self {
            ExpiryPick::In(s) => now.saturating_add(u64::from(s)),
            ExpiryPick::Never => NP700_TIME_NEVER,
            ExpiryPick::Other(t) => t.at(clock),
        }
    }
}

/// A code argument (mode, media, status, …): mostly small, around the documented values.
#[derive(Clone, Copy, Debug)]
pub struct CodePick(u32);

impl<'a> Arbitrary<'a> for CodePick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(CodePick(if b < 240 {
            u32::from(b % 10)
        } else {
            u32::arbitrary(u)?
        }))
    }
}

/// A tenant id: mostly 0..=4 (ids start at 1), sometimes any.
#[derive(Clone, Copy, Debug)]
pub struct TenantPick(u32);

impl<'a> Arbitrary<'a> for TenantPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(TenantPick(if b < 240 {
            u32::from(b % 5)
        } else {
            u32::arbitrary(u)?
        }))
    }
}

/// A binding id: mostly one given so far by the registry (or 0, or the next), sometimes any.
#[derive(Clone, Copy, Debug)]
pub enum BindingPick {
    Near(u8),
    Raw(u64),
}

impl<'a> Arbitrary<'a> for BindingPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let b = u8::arbitrary(u)?;
        Ok(if b < 240 {
            BindingPick::Near(b)
        } else {
            BindingPick::Raw(u.arbitrary()?)
        })
    }
}

/// A C array argument.
#[derive(Clone, Debug)]
pub enum ListPick<T> {
    Items(Vec<T>),
    Null,
    NullWithLen(u8),
    /// A pointer one byte into an array.
    Misaligned(u8),
    /// More than `NP700_MAX_LIST_LEN` elements.
    TooLong(u8),
}

impl<'a, T: Arbitrary<'a>> Arbitrary<'a> for ListPick<T> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=15)? {
            0..=10 => {
                let n = u.int_in_range(0u8..=9)?;
                let mut items = Vec::with_capacity(usize::from(n));
                for _ in 0..n {
                    items.push(T::arbitrary(u)?);
                }
                ListPick::Items(items)
            }
            11 => ListPick::Null,
            12 => ListPick::NullWithLen(u.arbitrary()?),
            13 => ListPick::Misaligned(u.arbitrary()?),
            _ => ListPick::TooLong(u.arbitrary()?),
        })
    }
}

impl<T> ListPick<T> {
    fn empty() -> Self {
        ListPick::Items(Vec::new())
    }
}

/// A pointer to an input struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InPick {
    Valid,
    Null,
    Misaligned,
}

impl<'a> Arbitrary<'a> for InPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.int_in_range(0u8..=19)? {
            18 => InPick::Null,
            19 => InPick::Misaligned,
            _ => InPick::Valid,
        })
    }
}

#[derive(Clone, Debug)]
pub struct ChoicePick {
    /// `None`: automatic selection.
    given: Option<Text>,
    tag: Option<Text>,
    strict: bool,
    sticky: Option<Text>,
}

impl<'a> Arbitrary<'a> for ChoicePick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let maybe = |u: &mut Unstructured<'a>, n: u8| -> arbitrary::Result<Option<Text>> {
            Ok(if u.ratio(1u8, n)? {
                Some(u.arbitrary()?)
            } else {
                None
            })
        };
        Ok(ChoicePick {
            given: maybe(u, 3)?,
            tag: maybe(u, 4)?,
            strict: u.arbitrary()?,
            sticky: maybe(u, 4)?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct PolicyPick {
    media: u32,
    direction: u32,
    record: u8,
    window: Option<(u8, u16, u16)>,
    allowed: ListPick<Text>,
}

impl<'a> Arbitrary<'a> for PolicyPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        // Mostly the default policy, so that binds go through.
        if u.int_in_range(0u8..=2)? != 0 {
            return Ok(PolicyPick {
                media: NP700_MEDIA_ALL,
                direction: NP700_DIRECTION_BOTH,
                record: u.arbitrary()?,
                window: None,
                allowed: ListPick::empty(),
            });
        }
        Ok(PolicyPick {
            media: CodePick::arbitrary(u)?.0,
            direction: CodePick::arbitrary(u)?.0,
            record: u.arbitrary()?,
            window: u.arbitrary()?,
            allowed: u.arbitrary()?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct BindPick {
    request: InPick,
    tenant: TenantPick,
    mode: u32,
    a: Text,
    b: Text,
    group: ListPick<Text>,
    x: ChoicePick,
    y: ChoicePick,
    expires: ExpiryPick,
    policy: PolicyPick,
    order_id: Text,
    consent: Text,
    external: Text,
}

impl<'a> Arbitrary<'a> for BindPick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.int_in_range(0u8..=4)? < 3 {
            Self::plain(u)
        } else {
            Self::wild(u)
        }
    }
}

impl BindPick {
    /// A request of valid parts but for the tenant, the parties and the numbers, which may still
    /// conflict: most binds go through.
    fn plain(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        let t = u8::arbitrary(u)?;
        let tenant = TenantPick(if t < 200 {
            u32::from(t % 2) + 1
        } else {
            u32::from(t % 5)
        });
        let mode = u32::from(u8::arbitrary(u)? % 4) + 1;
        let people: [u8; 4] = u.arbitrary()?;
        let form = u8::arbitrary(u)? % 6;
        let person = |i: u8| Text::Valid { which: i, form };
        // A given number of the universe (`which` of 160 and up), or automatic selection.
        let number = |u: &mut Unstructured<'_>| -> arbitrary::Result<ChoicePick> {
            let given = Option::<u8>::arbitrary(u)?.map(|i| Text::Valid {
                which: 160 + i % 96,
                form: 0,
            });
            Ok(ChoicePick {
                given,
                tag: None,
                strict: false,
                sticky: None,
            })
        };
        let (a, group) = if mode == NP700_MODE_GXB {
            (
                Text::Null,
                ListPick::Items(vec![person(people[2]), person(people[3])]),
            )
        } else {
            (person(people[0]), ListPick::empty())
        };
        let b = if mode == NP700_MODE_AXN && people[1].is_multiple_of(4) {
            Text::Null
        } else {
            person(people[1])
        };
        Ok(BindPick {
            request: InPick::Valid,
            tenant,
            mode,
            a,
            b,
            group,
            x: number(u)?,
            y: number(u)?,
            expires: ExpiryPick::In(u.arbitrary()?),
            policy: PolicyPick {
                media: NP700_MEDIA_ALL,
                direction: NP700_DIRECTION_BOTH,
                record: u.arbitrary()?,
                window: None,
                allowed: ListPick::empty(),
            },
            order_id: Text::Valid { which: 1, form: 0 },
            consent: Text::Valid { which: 0, form: 0 },
            external: Text::Null,
        })
    }

    /// Anything.
    fn wild(u: &mut Unstructured<'_>) -> arbitrary::Result<Self> {
        let request = u.arbitrary()?;
        let tenant = u.arbitrary()?;
        let m = u8::arbitrary(u)?;
        let mode = if m < 248 {
            u32::from(m % 4) + 1
        } else {
            u32::from(m - 248)
        };
        // Modes without an A (GXB) or with a group get theirs mostly empty / filled.
        let a = if mode == NP700_MODE_GXB && !bool::arbitrary(u)? {
            Text::Null
        } else {
            u.arbitrary()?
        };
        let group = if mode == NP700_MODE_GXB || u.ratio(1u8, 8)? {
            u.arbitrary()?
        } else {
            ListPick::empty()
        };
        Ok(BindPick {
            request,
            tenant,
            mode,
            a,
            b: u.arbitrary()?,
            group,
            x: u.arbitrary()?,
            y: u.arbitrary()?,
            expires: u.arbitrary()?,
            policy: u.arbitrary()?,
            order_id: u.arbitrary()?,
            consent: u.arbitrary()?,
            external: u.arbitrary()?,
        })
    }
}

#[derive(Arbitrary, Clone, Debug)]
pub struct UpdatePick {
    request: InPick,
    tenant: TenantPick,
    binding: BindingPick,
    counterpart: CodePick,
    number: Text,
    group: ListPick<Text>,
    /// `None`: 0, keep the expiry.
    expires: Option<ExpiryPick>,
    /// `None`: NULL, keep the policy; `Some((misaligned, policy))`.
    policy: Option<(bool, PolicyPick)>,
}

/// The contents of the junk file readers may attach to.
#[derive(Arbitrary, Clone, Debug)]
pub enum JunkPick {
    Bytes(Vec<u8>),
    /// The start of an index file, with one header word replaced (or none).
    Prefix {
        index: u8,
        len: u16,
        word: Option<(u8, u64)>,
    },
}

/// The shape of a route call.
#[derive(Clone, Debug)]
pub struct RoutePick {
    caller: Text,
    dialed: Text,
    media: CodePick,
    now: TimePick,
    out: OutPick,
}

impl<'a> Arbitrary<'a> for RoutePick {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        if u.ratio(1u8, 2)? {
            // A person dialling a number bound so far, in a written form of a complete number.
            return Ok(RoutePick {
                caller: Text::Valid {
                    which: u.arbitrary()?,
                    form: u8::arbitrary(u)? % 6,
                },
                dialed: Text::Valid {
                    which: u8::arbitrary(u)? % 160,
                    form: u8::arbitrary(u)? % 7,
                },
                media: CodePick(u32::from(u8::arbitrary(u)? % 8)),
                now: TimePick::Clock,
                out: OutPick::Valid,
            });
        }
        Ok(RoutePick {
            caller: u.arbitrary()?,
            dialed: u.arbitrary()?,
            media: u.arbitrary()?,
            now: u.arbitrary()?,
            out: u.arbitrary()?,
        })
    }
}

/// One call (or a step of the harness: time passing, a junk file written).
#[derive(Clone, Debug)]
pub enum Op {
    Advance(u16),
    ConfigNew(OutPick),
    ConfigFree(HandlePick),
    ConfigSetBindingQuarantine(HandlePick, u64),
    ConfigSetNumberQuarantine(HandlePick, u64),
    ConfigSetDefaultPairCap(HandlePick, u16),
    ConfigSetCapacity(HandlePick, u8),
    ConfigSetSharedPath(HandlePick, PathArg),
    RegistryNew(HandlePick, OutPick),
    RegistryFree(HandlePick),
    RegisterTenant {
        registry: HandlePick,
        name: Text,
        scenarios: ListPick<CodePick>,
        pair_cap: u16,
        now: TimePick,
        out: OutPick,
    },
    SetTenantStatus(HandlePick, TenantPick, CodePick, TimePick),
    RecordViolation(HandlePick, TenantPick, CodePick, Text, TimePick),
    Tenant(HandlePick, TenantPick, OutPick),
    LicenseBlock(HandlePick, Text, u8, TimePick),
    AssignNumber(HandlePick, TenantPick, Text, ListPick<Text>, TimePick),
    ReclaimNumber(HandlePick, TenantPick, Text, TimePick),
    Sweep(HandlePick, TimePick, OutPick),
    Stats(HandlePick, OutPick),
    Bind(HandlePick, Box<BindPick>, TimePick, OutPick),
    Update(HandlePick, Box<UpdatePick>, TimePick, OutPick),
    Suspend(HandlePick, TenantPick, BindingPick, TimePick),
    Resume(HandlePick, TenantPick, BindingPick, TimePick),
    Unbind(HandlePick, TenantPick, BindingPick, TimePick),
    Binding(HandlePick, TenantPick, BindingPick, OutPick),
    Route(HandlePick, RoutePick),
    ReaderAttach(PathArg, OutPick),
    ReaderFree(HandlePick),
    ReaderRoute(HandlePick, RoutePick),
    ReaderGeneration(HandlePick, OutPick),
    WriteJunk(JunkPick),
    /// `np700_last_error` into a buffer of this size (or NULL), `needed` NULL / valid / misaligned.
    LastError {
        buf_len: u16,
        buf_null: bool,
        needed: OutPick,
    },
    /// The infallible functions, with arbitrary codes.
    Describe(i32, u32),
    /// Configurations made until the handle table is full (`NP700_ERR_TOO_MANY_HANDLES`), then
    /// freed (once a run).
    FillHandles,
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let a = |u: &mut Unstructured<'a>| HandlePick::arbitrary(u);
        Ok(match u.int_in_range(0u8..=63)? {
            0..=2 => Op::Advance(u.arbitrary()?),
            3 => Op::ConfigNew(u.arbitrary()?),
            4 => Op::ConfigFree(a(u)?),
            5 => Op::ConfigSetBindingQuarantine(a(u)?, quarantine(u)?),
            6 => Op::ConfigSetNumberQuarantine(a(u)?, quarantine(u)?),
            7 => Op::ConfigSetDefaultPairCap(a(u)?, u.arbitrary()?),
            8 => Op::ConfigSetCapacity(a(u)?, u.arbitrary()?),
            9 => Op::ConfigSetSharedPath(a(u)?, u.arbitrary()?),
            10 | 11 => Op::RegistryNew(a(u)?, u.arbitrary()?),
            12 => Op::RegistryFree(a(u)?),
            13 | 14 => Op::RegisterTenant {
                registry: a(u)?,
                name: u.arbitrary()?,
                scenarios: u.arbitrary()?,
                pair_cap: u.arbitrary()?,
                now: u.arbitrary()?,
                out: u.arbitrary()?,
            },
            15 => Op::SetTenantStatus(a(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            16 => Op::RecordViolation(
                a(u)?,
                u.arbitrary()?,
                u.arbitrary()?,
                u.arbitrary()?,
                u.arbitrary()?,
            ),
            17 => Op::Tenant(a(u)?, u.arbitrary()?, u.arbitrary()?),
            18 => Op::LicenseBlock(a(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            19 | 20 => Op::AssignNumber(
                a(u)?,
                u.arbitrary()?,
                u.arbitrary()?,
                u.arbitrary()?,
                u.arbitrary()?,
            ),
            21 => Op::ReclaimNumber(a(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            22 => Op::Sweep(a(u)?, u.arbitrary()?, u.arbitrary()?),
            23 => Op::Stats(a(u)?, u.arbitrary()?),
            24..=31 => Op::Bind(a(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            32..=33 => Op::Update(a(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            34 => Op::Suspend(a(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            35 => Op::Resume(a(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            36 | 37 => Op::Unbind(a(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            38 => Op::Binding(a(u)?, u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            39..=48 => Op::Route(a(u)?, u.arbitrary()?),
            49 => Op::ReaderAttach(u.arbitrary()?, u.arbitrary()?),
            50 => Op::ReaderFree(a(u)?),
            51..=54 => Op::ReaderRoute(a(u)?, u.arbitrary()?),
            55 => Op::ReaderGeneration(a(u)?, u.arbitrary()?),
            56 => Op::WriteJunk(u.arbitrary()?),
            57 | 58 => Op::LastError {
                buf_len: u.arbitrary()?,
                buf_null: u.arbitrary()?,
                needed: u.arbitrary()?,
            },
            _ => {
                let (status, code) = (u.arbitrary()?, u.arbitrary()?);
                // Rare (it makes a thousand calls): a status argument of i32::MIN.
                if status == i32::MIN {
                    Op::FillHandles
                } else {
                    Op::Describe(status, code)
                }
            }
        })
    }
}

/// A quarantine: around the documented range (0 ..= `NP700_MAX_QUARANTINE_SECS`) mostly.
fn quarantine(u: &mut Unstructured<'_>) -> arbitrary::Result<u64> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => 0,
        1 => 1,
        2 => 30,
        3 => NP700_MAX_QUARANTINE_SECS,
        4 => NP700_MAX_QUARANTINE_SECS + 1,
        5 => u64::MAX,
        _ => u64::from(u16::arbitrary(u)?),
    })
}

/// A whole input.
#[derive(Clone, Debug)]
pub struct Input {
    /// 0: start from nothing; else provision a registry first (private memory, or a shared
    /// mapping with a reader attached when odd).
    pub setup: u8,
    pub ops: Vec<Op>,
}

/// What `data` decodes to.
pub fn decode(data: &[u8]) -> Input {
    let mut u = Unstructured::new(data);
    let setup = u8::arbitrary(&mut u).unwrap_or(0) % 4;
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < MAX_OPS {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    Input { setup, ops }
}

// ---------------------------------------------------------------------------------------------
// The model.

/// Handle types, for [`HandlePick::OtherKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Config,
    Registry,
    Reader,
    /// Only `c_abi_controls` makes followers.
    Follower,
}

#[derive(Clone, Debug)]
struct ConfigModel {
    token: usize,
    live: bool,
    pair_cap: u16,
    shared: Option<u8>,
}

#[derive(Clone, Debug)]
struct TenantModel {
    status: u32,
    name: Vec<u8>,
    pair_cap: u16,
    registered_at: u64,
    violations: u64,
}

/// A binding's parties in the model (canonical numbers).
#[derive(Clone, Debug)]
enum PartiesModel {
    Axb {
        a: SubscriberNumber,
        b: SubscriberNumber,
    },
    Axn {
        a: SubscriberNumber,
        n: Option<SubscriberNumber>,
    },
    Axyb {
        a: SubscriberNumber,
        b: SubscriberNumber,
    },
    Gxb {
        group: Vec<SubscriberNumber>,
        b: SubscriberNumber,
    },
}

#[derive(Clone, Debug)]
struct BindingModel {
    tenant: u32,
    mode: u32,
    parties: PartiesModel,
    x: UsageNumber,
    y: Option<UsageNumber>,
    created_at: u64,
    expires_at: u64,
    status: u32,
    record: bool,
    ended: bool,
    /// The policy is the default one (every medium, both directions, any time, any caller):
    /// `c_abi_controls` predicts the routes of such bindings exactly.
    simple: bool,
    /// Never updated, suspended or resumed: its only version is the one it was made with.
    pristine: bool,
}

impl BindingModel {
    fn numbers(&self) -> impl Iterator<Item = UsageNumber> + '_ {
        std::iter::once(self.x).chain(self.y)
    }

    /// Where `caller` dialling `u` goes through this binding, and the number shown: the
    /// binding's own legs (the 700 segment's rules, written out independently of the library).
    fn leg(
        &self,
        u: UsageNumber,
        c: SubscriberNumber,
    ) -> Option<(Vec<SubscriberNumber>, UsageNumber)> {
        let x = self.x;
        match &self.parties {
            PartiesModel::Axb { a, b } if u == x => {
                if c == *a {
                    Some((vec![*b], x))
                } else if c == *b {
                    Some((vec![*a], x))
                } else {
                    None
                }
            }
            PartiesModel::Axn { a, n } if u == x => {
                if c == *a {
                    n.map(|n| (vec![n], x))
                } else {
                    Some((vec![*a], x))
                }
            }
            PartiesModel::Axyb { a, b } => {
                let y = self.y?;
                if u == y && c == *a {
                    Some((vec![*b], x))
                } else if u == x && c == *b {
                    Some((vec![*a], y))
                } else {
                    None
                }
            }
            PartiesModel::Gxb { group, b } if u == x => {
                if c == *b {
                    Some((group.clone(), x))
                } else if group.contains(&c) {
                    Some((vec![*b], x))
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
struct RegistryModel {
    token: usize,
    live: bool,
    default_pair_cap: u16,
    tenants: BTreeMap<u32, TenantModel>,
    /// Management number → the tenant holding it.
    owner: BTreeMap<u64, u32>,
    bindings: BTreeMap<u64, BindingModel>,
    blocks: u64,
    licensed: u64,
}

impl RegistryModel {
    fn next_binding(&self) -> u64 {
        self.bindings.len() as u64 + 1
    }

    fn live_bindings(&self) -> impl Iterator<Item = (&u64, &BindingModel)> {
        self.bindings.iter().filter(|(_, b)| !b.ended)
    }

    /// Bindings past their expiry with entries on `numbers` end (a command taking the numbers
    /// sweeps them first), except `except`.
    fn end_expired_on(&mut self, numbers: &[UsageNumber], now: u64, except: u64) {
        for (id, b) in self.bindings.iter_mut() {
            if *id != except
                && !b.ended
                && b.expires_at <= now
                && b.numbers().any(|n| numbers.contains(&n))
            {
                b.ended = true;
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReaderSource {
    /// One of the index paths: what registries publish.
    Index(u8),
    /// The junk file: only statuses and shapes are checked.
    Junk,
}

#[derive(Clone, Debug)]
struct ReaderModel {
    token: usize,
    live: bool,
    source: ReaderSource,
}

/// What a run went through, so a replay can check its inputs reach the interesting paths.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Calls made to the C ABI.
    pub calls: usize,
    /// Every status returned.
    pub statuses: BTreeSet<i32>,
    /// Bindings made.
    pub bound: usize,
    /// Decision kinds answered (`NP700_DECISION_*`), by the registry or a reader.
    pub decisions: BTreeSet<u32>,
    /// Calls connected by `np700_route()`, and the distinct (registry, binding) pairs and modes
    /// they went through.
    pub routed: usize,
    pub routed_bindings: BTreeSet<(usize, u64)>,
    pub routed_modes: BTreeSet<u32>,
    /// Calls connected by `np700_reader_route()` from a registry's shared index.
    pub reader_routed: usize,
    /// Calls with a handle that was freed before (including frees of freed handles).
    pub stale_handles: usize,
    /// Frees of handles freed before.
    pub double_frees: usize,
    /// Calls with a made-up, tweaked or other-type handle.
    pub foreign_handles: usize,
}

// ---------------------------------------------------------------------------------------------
// Output buffers.

const SENTINEL: u64 = 0xA5A5_A5A5_A5A5_A5A5;

/// Room for one `T` (and some bytes after it) filled with a sentinel; the pointer handed over is
/// the start, NULL, or one byte in.
struct OutBuf<T> {
    words: Vec<u64>,
    pick: OutPick,
    _t: PhantomData<T>,
}

impl<T: Copy> OutBuf<T> {
    fn new(pick: OutPick) -> Self {
        OutBuf {
            words: vec![SENTINEL; size_of::<T>().div_ceil(8) + 2],
            pick,
            _t: PhantomData,
        }
    }

    fn ptr(&mut self) -> *mut T {
        match self.pick {
            OutPick::Valid => self.words.as_mut_ptr().cast(),
            OutPick::Null => null_mut(),
            OutPick::Misaligned => self.words.as_mut_ptr().cast::<u8>().wrapping_add(1).cast(),
        }
    }

    fn untouched(&self) -> bool {
        self.words.iter().all(|&w| w == SENTINEL)
    }

    /// The value written, after a success (which needs a valid pointer); the bytes after it are
    /// untouched.
    fn read(&self, function: &str) -> T {
        assert_eq!(
            self.pick,
            OutPick::Valid,
            "{function}: succeeded with a NULL or misaligned output"
        );
        let bytes: Vec<u8> = self.words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        assert!(
            bytes[size_of::<T>()..].iter().all(|&b| b == 0xA5),
            "{function}: wrote past its output"
        );
        // SAFETY: aligned (a u64 buffer; no ABI struct needs more) and fully written by the
        // successful call.
        unsafe { self.words.as_ptr().cast::<T>().read() }
    }
}

/// A C string from a fixed array: the bytes before the first NUL (which must be there).
fn c_text(chars: &[c_char], what: &str) -> String {
    let end = chars
        .iter()
        .position(|&c| c == 0)
        .unwrap_or_else(|| panic!("{what}: not NUL-terminated"));
    let bytes: Vec<u8> = chars[..end].iter().map(|&c| c as u8).collect();
    assert!(
        chars[end..].iter().all(|&c| c == 0),
        "{what}: bytes after the NUL"
    );
    String::from_utf8(bytes).unwrap_or_else(|_| panic!("{what}: not UTF-8"))
}

fn static_text(p: *const c_char, what: &str) -> String {
    assert!(!p.is_null(), "{what}: NULL");
    // SAFETY: the library promises a static NUL-terminated string.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .unwrap_or_else(|_| panic!("{what}: not UTF-8"))
        .to_owned()
}

fn status_text(st: i32) -> String {
    static_text(np700_status_str(st), "np700_status_str")
}

// ---------------------------------------------------------------------------------------------
// The files of a run.

/// The run's directory (under /dev/shm when there is one), made on first use, removed at the end.
struct Files {
    dir: PathBuf,
    made: bool,
}

impl Files {
    fn new() -> Files {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let base = std::path::Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        Files {
            dir: base.join(format!("np700-fuzz-c-abi-{}-{n}", std::process::id())),
            made: false,
        }
    }

    fn dir(&mut self) -> &PathBuf {
        if !self.made {
            std::fs::create_dir_all(&self.dir).expect("the run's directory");
            self.made = true;
        }
        &self.dir
    }

    fn index(&mut self, i: u8) -> String {
        self.file(&format!("index{}", i % 2))
    }

    fn junk(&mut self) -> String {
        self.file("junk")
    }

    fn file(&mut self, name: &str) -> String {
        let p = self.dir().join(name);
        p.to_str().expect("a UTF-8 temporary path").to_owned()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        if self.made {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running an input.

/// Decodes `data` and runs it; panics on any violated property.
pub fn run(data: &[u8]) -> Stats {
    // Handles are process-wide: runs on several test threads must not see each other's (a
    // made-up token could be another run's live handle).
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let input = decode(data);
    let mut run = Run::new();
    if input.setup != 0 {
        run.provision(input.setup % 2 == 1);
    }
    for (i, op) in input.ops.iter().enumerate() {
        run.context = format!("op {i} {op:?}");
        run.op(op);
    }
    run.context = "cleanup".into();
    run.cleanup();
    run.stats.clone()
}

struct Run {
    clock: u64,
    configs: Vec<ConfigModel>,
    registries: Vec<RegistryModel>,
    readers: Vec<ReaderModel>,
    /// The registries created at each index path, in order.
    published: [Vec<usize>; 2],
    /// Usage numbers of the bindings made (valid dial strings to pick).
    numbers: Vec<UsageNumber>,
    /// This thread's last error as of the last call.
    last_error: Vec<u8>,
    /// Bytes the current call's strings point into (kept until the next call).
    arena: Vec<Vec<u8>>,
    strs: Vec<Vec<np700_str>>,
    files: Files,
    /// The handle table was filled once ([`Op::FillHandles`]).
    filled: bool,
    /// The configurations made to fill it, until they are freed.
    filling: Vec<usize>,
    context: String,
    stats: Stats,
    /// Followers (`c_abi_controls` only).
    followers: Vec<controls::FollowerModel>,
    /// The controls' model (`c_abi_controls` only; `None` for `c_abi`).
    ctl: Option<Box<controls::Ctl>>,
}

/// A string argument as handed over, and the bytes it holds (`None` for NULL).
#[derive(Clone, Copy)]
struct Arg {
    ptr: *const c_char,
    len: usize,
}

impl Arg {
    fn str(self) -> np700_str {
        np700_str {
            ptr: self.ptr,
            len: self.len,
        }
    }

    /// The bytes, when the library would read them (not NULL, at most 1 MiB + 1).
    fn bytes(&self) -> Option<&[u8]> {
        if self.ptr.is_null() {
            return (self.len == 0).then_some(&[]);
        }
        // SAFETY: every Arg points into the arena or a static buffer of at least `len` bytes.
        Some(unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) })
    }

    fn utf8(&self) -> Option<&str> {
        self.bytes().and_then(|b| std::str::from_utf8(b).ok())
    }
}

impl Run {
    fn new() -> Run {
        let mut run = Run {
            clock: T0,
            configs: Vec::new(),
            registries: Vec::new(),
            readers: Vec::new(),
            published: [Vec::new(), Vec::new()],
            numbers: Vec::new(),
            last_error: Vec::new(),
            arena: Vec::new(),
            strs: Vec::new(),
            files: Files::new(),
            filled: false,
            filling: Vec::new(),
            context: "start".into(),
            stats: Stats::default(),
            followers: Vec::new(),
            ctl: None,
        };
        run.last_error = run.read_last_error();
        run
    }

    // -- checks common to every call ----------------------------------------------------------

    fn read_last_error(&self) -> Vec<u8> {
        let mut buf = [0x5a as c_char; 600];
        let mut needed = 0usize;
        // SAFETY: a buffer of 600 bytes and a size_t.
        let st = unsafe { np700_last_error(buf.as_mut_ptr(), buf.len(), &mut needed) };
        assert_eq!(
            st, NP700_OK,
            "{}: np700_last_error into 600 bytes",
            self.context
        );
        assert!(
            (1..=512).contains(&needed),
            "{}: last error of {needed} bytes",
            self.context
        );
        assert_eq!(
            buf[needed - 1],
            0,
            "{}: last error not NUL-terminated",
            self.context
        );
        assert!(
            buf[needed..].iter().all(|&c| c == 0x5a),
            "{}: np700_last_error wrote past the message",
            self.context
        );
        let msg: Vec<u8> = buf[..needed - 1].iter().map(|&c| c as u8).collect();
        assert!(
            std::str::from_utf8(&msg).is_ok() && !msg.contains(&0),
            "{}: last error is not UTF-8 text",
            self.context
        );
        msg
    }

    /// The checks every status gets: documented, not a bug's, and the last error follows it.
    fn status(&mut self, function: &str, st: i32) {
        self.stats.calls += 1;
        self.stats.statuses.insert(st);
        let text = status_text(st);
        assert!(
            text != "unknown status" && text.starts_with("NP700_"),
            "{}: {function} returned {st}, which np700_status_str does not know",
            self.context
        );
        let message = self.read_last_error();
        assert!(
            st / 100 != -9,
            "{}: {function} returned {text}: {}",
            self.context,
            String::from_utf8_lossy(&message)
        );
        if st == NP700_OK {
            assert!(
                message == self.last_error,
                "{}: {function} succeeded but changed the last error to {:?}",
                self.context,
                String::from_utf8_lossy(&message)
            );
        } else {
            let prefix = format!("{function}: ");
            assert!(
                message.starts_with(prefix.as_bytes()),
                "{}: {function} failed with {text} but the last error is {:?}",
                self.context,
                String::from_utf8_lossy(&message)
            );
            self.last_error = message;
        }
    }

    /// A failed call wrote nothing.
    fn untouched<T: Copy>(&self, function: &str, st: i32, out: &OutBuf<T>) {
        if st != NP700_OK {
            assert!(
                out.untouched(),
                "{}: {function} failed with {} and wrote its output",
                self.context,
                status_text(st)
            );
        }
    }

    // -- handles --------------------------------------------------------------------------------

    fn tokens(&self, kind: Kind) -> Vec<(usize, bool)> {
        match kind {
            Kind::Config => self.configs.iter().map(|c| (c.token, c.live)).collect(),
            Kind::Registry => self.registries.iter().map(|r| (r.token, r.live)).collect(),
            Kind::Reader => self.readers.iter().map(|r| (r.token, r.live)).collect(),
            Kind::Follower => self.followers.iter().map(|f| (f.token, f.live)).collect(),
        }
    }

    /// The token a pick names, and the live object of `kind` it is, if any.
    fn handle(&mut self, kind: Kind, pick: HandlePick) -> (usize, Option<usize>) {
        let own = self.tokens(kind);
        let token = match pick {
            HandlePick::Null => 0,
            HandlePick::Made(i) => {
                if own.is_empty() {
                    0
                } else {
                    own[usize::from(i) % own.len()].0
                }
            }
            HandlePick::OtherKind(i) => {
                let other = match (kind, i % 2) {
                    (Kind::Config, 0) | (Kind::Reader, 0) | (Kind::Follower, 0) => Kind::Registry,
                    (Kind::Follower, _) => Kind::Reader,
                    (Kind::Registry, 0) | (Kind::Reader, _) => Kind::Config,
                    _ => Kind::Reader,
                };
                let theirs = self.tokens(other);
                if theirs.is_empty() {
                    usize::from(i)
                } else {
                    theirs[usize::from(i) % theirs.len()].0
                }
            }
            HandlePick::Tweaked { index, bit } => {
                let base = if own.is_empty() {
                    1
                } else {
                    own[usize::from(index) % own.len()].0
                };
                base ^ (1usize << (u32::from(bit) % usize::BITS))
            }
            HandlePick::MadeUp(t) => t as usize,
        };
        let live = own.iter().position(|&(t, live)| live && t == token);
        if live.is_none() && token != 0 {
            if own.iter().any(|&(t, _)| t == token) {
                self.stats.stale_handles += 1;
            } else {
                self.stats.foreign_handles += 1;
            }
        }
        (token, live)
    }

    /// The handle checks: a live handle is never refused as invalid, any other never succeeds.
    fn handle_outcome(&self, function: &str, st: i32, token: usize, live: Option<usize>) {
        match live {
            Some(_) => assert_ne!(
                st, NP700_ERR_INVALID_HANDLE,
                "{}: {function} refused a live handle",
                self.context
            ),
            None => assert_ne!(
                st, NP700_OK,
                "{}: {function} succeeded with the dead or foreign handle {token:#x}",
                self.context
            ),
        }
        if token == 0 {
            assert_ne!(
                st, NP700_ERR_INVALID_HANDLE,
                "{}: {function}: a NULL handle is NP700_ERR_NULL",
                self.context
            );
        }
    }

    /// A new handle: not NULL, not any handle live now.
    fn new_token(&self, function: &str, token: usize) {
        assert_ne!(token, 0, "{}: {function} gave a NULL handle", self.context);
        for kind in [Kind::Config, Kind::Registry, Kind::Reader, Kind::Follower] {
            assert!(
                !self
                    .tokens(kind)
                    .iter()
                    .any(|&(t, live)| live && t == token),
                "{}: {function} gave a handle already live",
                self.context
            );
        }
    }

    // -- arguments -------------------------------------------------------------------------------

    fn keep(&mut self, bytes: Vec<u8>) -> Arg {
        let arg = Arg {
            ptr: bytes.as_ptr().cast(),
            len: bytes.len(),
        };
        self.arena.push(bytes);
        arg
    }

    fn valid_text(&self, kind: TextKind, which: u8, form: u8) -> String {
        let w = usize::from(which);
        match kind {
            TextKind::Subscriber => {
                let e164 = PEOPLE[w % PEOPLE.len()];
                let n = SubscriberNumber::from_e164(e164).expect("valid subscriber");
                subscriber_text(n, form)
            }
            TextKind::Usage => {
                let u = if !self.numbers.is_empty() && which < 160 {
                    self.numbers[w % self.numbers.len()]
                } else {
                    mgmt(u64::from(which))
                        .usage(u16::from(which / 6 % 2))
                        .expect("valid sub-number")
                };
                seven_hundred_text(&u.to_string(), form)
            }
            TextKind::Management => {
                seven_hundred_text(&mgmt(u64::from(which)).to_string(), form % 7)
            }
            TextKind::Tag => TAGS[w % TAGS.len()].to_owned(),
            TextKind::Name => NAMES[w % NAMES.len()].to_owned(),
            TextKind::Note => NOTES[w % NOTES.len()].to_owned(),
            TextKind::Reference => REFERENCES[w % REFERENCES.len()].to_owned(),
            TextKind::Sender | TextKind::SmsText | TextKind::SmsPrefix | TextKind::SmsKeyword => {
                controls::valid_text(kind, which, form)
            }
        }
    }

    fn text(&mut self, kind: TextKind, t: &Text) -> Arg {
        match t {
            Text::Valid { which, form } => {
                let s = self.valid_text(kind, *which, *form);
                self.keep(s.into_bytes())
            }
            Text::Null => Arg {
                ptr: null(),
                len: 0,
            },
            Text::Empty => self.keep(Vec::new()),
            Text::NullWithLen(n) => Arg {
                ptr: null(),
                len: usize::from(*n) + 1,
            },
            Text::Bytes(b) => self.keep(b.clone()),
            Text::Spliced {
                which,
                form,
                at,
                bytes,
            } => {
                let mut s = self.valid_text(kind, *which, *form).into_bytes();
                let at = usize::from(*at) % (s.len() + 1);
                s.splice(at..at, bytes.iter().copied());
                self.keep(s)
            }
            Text::Long { len, filler } => {
                let len = LONG_LENS[usize::from(*len) % LONG_LENS.len()];
                if len > 4097 {
                    let long = long_digits();
                    Arg {
                        ptr: long.as_ptr().cast(),
                        len,
                    }
                } else {
                    self.keep(vec![*filler; len])
                }
            }
        }
    }

    fn path(&mut self, p: PathArg) -> Arg {
        match p {
            PathArg::Index(i) => {
                let s = self.files.index(i);
                self.keep(s.into_bytes())
            }
            PathArg::Junk => {
                let s = self.files.junk();
                self.keep(s.into_bytes())
            }
            PathArg::Missing => {
                let s = self.files.file("missing");
                self.keep(s.into_bytes())
            }
            PathArg::Directory => {
                let s = self.files.dir().to_str().expect("UTF-8").to_owned();
                self.keep(s.into_bytes())
            }
            PathArg::Null => Arg {
                ptr: null(),
                len: 0,
            },
            PathArg::NullWithLen(n) => Arg {
                ptr: null(),
                len: usize::from(n) + 1,
            },
            PathArg::InvalidUtf8(i) => {
                let mut s = self.files.index(i).into_bytes();
                s.push(0xff);
                self.keep(s)
            }
            PathArg::EmbeddedNul(i) => {
                let mut s = self.files.index(i).into_bytes();
                let at = s.len() - 2;
                s.insert(at, 0);
                self.keep(s)
            }
            PathArg::TooLong(n) => {
                let mut s = self.files.index(0).into_bytes();
                s.push(b'/');
                s.resize(NP700_MAX_PATH_LEN + 1 + usize::from(n), b'x');
                self.keep(s)
            }
        }
    }

    /// A list argument: pointer and length (elements kept in `self.strs` / the arena).
    fn str_list(&mut self, kind: TextKind, l: &ListPick<Text>) -> (*const np700_str, usize) {
        match l {
            ListPick::Items(items) => {
                let strs: Vec<np700_str> = items.iter().map(|t| self.text(kind, t).str()).collect();
                self.keep_strs(strs)
            }
            ListPick::Null => (null(), 0),
            ListPick::NullWithLen(n) => (null(), usize::from(*n) + 1),
            ListPick::Misaligned(n) => {
                let strs = vec![np700_str::EMPTY; usize::from(*n % 8) + 2];
                let (p, _) = self.keep_strs(strs);
                (
                    p.cast::<u8>().wrapping_add(1).cast(),
                    usize::from(*n % 8) + 1,
                )
            }
            ListPick::TooLong(n) => {
                let valid = self.valid_text(kind, 0, 0);
                let arg = self.keep(valid.into_bytes());
                let strs = vec![arg.str(); NP700_MAX_LIST_LEN + 1 + usize::from(*n)];
                self.keep_strs(strs)
            }
        }
    }

    fn keep_strs(&mut self, strs: Vec<np700_str>) -> (*const np700_str, usize) {
        let out = (strs.as_ptr(), strs.len());
        self.strs.push(strs);
        out
    }

    /// Subscriber numbers a list argument holds (when every one parses).
    fn parse_list(p: *const np700_str, len: usize) -> Option<Vec<SubscriberNumber>> {
        if p.is_null() || len == 0 {
            return Some(Vec::new());
        }
        // SAFETY: a list built by `str_list`, read only after the library accepted it.
        let strs = unsafe { std::slice::from_raw_parts(p, len) };
        strs.iter()
            .map(|s| {
                Arg {
                    ptr: s.ptr,
                    len: s.len,
                }
                .utf8()
                .and_then(|t| SubscriberNumber::parse(t).ok())
            })
            .collect()
    }

    fn registry_model(&mut self, live: Option<usize>) -> Option<&mut RegistryModel> {
        live.map(|i| &mut self.registries[i])
    }

    /// The registry's counts, to check that a refusal changed nothing.
    fn counts(&mut self, token: usize, live: Option<usize>) -> Option<np700_stats> {
        live?;
        let mut out = np700_stats::default();
        // SAFETY: a live handle and a stats struct.
        let st = unsafe { np700_registry_stats(std::ptr::without_provenance(token), &mut out) };
        assert_eq!(st, NP700_OK, "{}: np700_registry_stats", self.context);
        Some(out)
    }

    /// A refusal left the registry as it was.
    fn unchanged(&mut self, function: &str, st: i32, token: usize, before: Option<np700_stats>) {
        if st == NP700_OK {
            return;
        }
        let after = self.counts(token, before.map(|_| 0));
        if let (Some(b), Some(a)) = (before, after) {
            let fields = |s: np700_stats| {
                [
                    s.tenants,
                    s.active_tenants,
                    s.licensed_blocks,
                    s.licensed_numbers,
                    s.assigned_numbers,
                    s.quarantined_numbers,
                    s.bindings,
                    s.suspended_bindings,
                    s.usage_numbers_in_use,
                ]
            };
            assert_eq!(
                fields(b),
                fields(a),
                "{}: {function} failed with {} but changed the registry",
                self.context,
                status_text(st)
            );
        }
    }

    fn binding_id(&self, live: Option<usize>, pick: BindingPick) -> u64 {
        match pick {
            BindingPick::Raw(id) => id,
            BindingPick::Near(i) => {
                let next = live.map_or(1, |r| self.registries[r].next_binding());
                u64::from(i) % (next + 1)
            }
        }
    }

    // -- the calls -------------------------------------------------------------------------------

    fn op(&mut self, op: &Op) {
        self.arena.clear();
        self.strs.clear();
        let clock = self.clock;
        match op {
            Op::Advance(secs) => self.clock += u64::from(*secs),
            Op::ConfigNew(out) => {
                self.config_new(*out);
            }
            Op::ConfigFree(h) => {
                let (token, live) = self.handle(Kind::Config, *h);
                // SAFETY: a token (never dereferenced by the library).
                let st = unsafe { np700_config_free(std::ptr::without_provenance_mut(token)) };
                self.status("np700_config_free", st);
                self.free_outcome("np700_config_free", st, Kind::Config, token, live);
            }
            Op::ConfigSetBindingQuarantine(h, secs) => {
                let (token, live) = self.handle(Kind::Config, *h);
                // SAFETY: a token.
                let st = unsafe {
                    np700_config_set_binding_quarantine(
                        std::ptr::without_provenance_mut(token),
                        *secs,
                    )
                };
                self.config_setter("np700_config_set_binding_quarantine", st, token, live);
                self.range("binding quarantine", st, *secs <= NP700_MAX_QUARANTINE_SECS);
            }
            Op::ConfigSetNumberQuarantine(h, secs) => {
                let (token, live) = self.handle(Kind::Config, *h);
                // SAFETY: a token.
                let st = unsafe {
                    np700_config_set_number_quarantine(
                        std::ptr::without_provenance_mut(token),
                        *secs,
                    )
                };
                self.config_setter("np700_config_set_number_quarantine", st, token, live);
                self.range("number quarantine", st, *secs <= NP700_MAX_QUARANTINE_SECS);
            }
            Op::ConfigSetDefaultPairCap(h, cap) => {
                let (token, live) = self.handle(Kind::Config, *h);
                // SAFETY: a token.
                let st = unsafe {
                    np700_config_set_default_pair_cap(std::ptr::without_provenance_mut(token), *cap)
                };
                self.config_setter("np700_config_set_default_pair_cap", st, token, live);
                self.range("pair cap", st, *cap != 0);
                if st == NP700_OK
                    && let Some(i) = live
                {
                    self.configs[i].pair_cap = *cap;
                }
            }
            Op::ConfigSetCapacity(h, c) => {
                let (token, live) = self.handle(Kind::Config, *h);
                let bindings = match c % 8 {
                    0 => 0,
                    1 => 1,
                    2 => 100,
                    3 => 1_000,
                    4 => NP700_DEFAULT_CAPACITY,
                    5 => NP700_MAX_CAPACITY + 1,
                    6 => usize::MAX,
                    _ => usize::from(*c) * 7,
                };
                // SAFETY: a token.
                let st = unsafe {
                    np700_config_set_capacity(std::ptr::without_provenance_mut(token), bindings)
                };
                self.config_setter("np700_config_set_capacity", st, token, live);
                self.range("capacity", st, bindings <= NP700_MAX_CAPACITY);
            }
            Op::ConfigSetSharedPath(h, p) => {
                let (token, live) = self.handle(Kind::Config, *h);
                let arg = self.path(*p);
                // SAFETY: a token and a string argument.
                let st = unsafe {
                    np700_config_set_shared_path(
                        std::ptr::without_provenance_mut(token),
                        arg.ptr,
                        arg.len,
                    )
                };
                self.config_setter("np700_config_set_shared_path", st, token, live);
                if st == NP700_OK
                    && let Some(i) = live
                {
                    self.configs[i].shared = match p {
                        PathArg::Index(i) => Some(i % 2),
                        PathArg::Null => None,
                        // Other paths are ours too, but readers only follow the index files.
                        _ => Some(2),
                    };
                }
            }
            Op::RegistryNew(h, out) => {
                self.registry_new(*h, *out);
            }
            Op::RegistryFree(h) => {
                let (token, live) = self.handle(Kind::Registry, *h);
                // SAFETY: a token.
                let st = unsafe { np700_registry_free(std::ptr::without_provenance_mut(token)) };
                self.status("np700_registry_free", st);
                self.free_outcome("np700_registry_free", st, Kind::Registry, token, live);
            }
            Op::RegisterTenant {
                registry,
                name,
                scenarios,
                pair_cap,
                now,
                out,
            } => {
                let (token, live) = self.handle(Kind::Registry, *registry);
                let name = self.text(TextKind::Name, name);
                let (sp, slen, _keep) = code_list(scenarios, |c| c % 9);
                let now = now.at(clock);
                self.register_tenant(token, live, name, (sp, slen), *pair_cap, now, *out);
            }
            Op::SetTenantStatus(h, tenant, status, now) => {
                let (token, live) = self.handle(Kind::Registry, *h);
                let status = status.0 % 5;
                let before = self.counts(token, live);
                // SAFETY: a token.
                let st = unsafe {
                    np700_registry_set_tenant_status(
                        std::ptr::without_provenance(token),
                        tenant.0,
                        status,
                        now.at(clock),
                    )
                };
                let f = "np700_registry_set_tenant_status";
                self.status(f, st);
                self.handle_outcome(f, st, token, live);
                self.unchanged(f, st, token, before);
                if st == NP700_OK {
                    let r = self.registry_model(live).expect("live");
                    let t = r.tenants.get_mut(&tenant.0);
                    let t =
                        t.unwrap_or_else(|| panic!("{f}: unknown tenant {} accepted", tenant.0));
                    assert_ne!(t.status, status, "{f}: unchanged status accepted");
                    t.status = status;
                }
            }
            Op::RecordViolation(h, tenant, kind, note, now) => {
                let (token, live) = self.handle(Kind::Registry, *h);
                let note = self.text(TextKind::Note, note);
                let kind = kind.0 % 7;
                let before = self.counts(token, live);
                // SAFETY: a token and a string argument.
                let st = unsafe {
                    np700_registry_record_violation(
                        std::ptr::without_provenance(token),
                        tenant.0,
                        kind,
                        note.ptr,
                        note.len,
                        now.at(clock),
                    )
                };
                let f = "np700_registry_record_violation";
                self.status(f, st);
                self.handle_outcome(f, st, token, live);
                self.unchanged(f, st, token, before);
                if st == NP700_OK {
                    let r = self.registry_model(live).expect("live");
                    let t = r.tenants.get_mut(&tenant.0);
                    let t =
                        t.unwrap_or_else(|| panic!("{f}: unknown tenant {} accepted", tenant.0));
                    t.violations += 1;
                }
            }
            Op::Tenant(h, tenant, out) => self.tenant(*h, tenant.0, *out),
            Op::LicenseBlock(h, first, count, now) => {
                let (token, live) = self.handle(Kind::Registry, *h);
                let first = self.text(TextKind::Management, first);
                let count = match count % 8 {
                    0 => 0,
                    1..=4 => u32::from(*count % 8),
                    5 => 100_000,
                    6 => 100_001,
                    _ => u32::MAX,
                };
                let before = self.counts(token, live);
                // SAFETY: a token and a string argument.
                let st = unsafe {
                    np700_registry_license_block(
                        std::ptr::without_provenance(token),
                        first.ptr,
                        first.len,
                        count,
                        now.at(clock),
                    )
                };
                let f = "np700_registry_license_block";
                self.status(f, st);
                self.handle_outcome(f, st, token, live);
                self.unchanged(f, st, token, before);
                if st == NP700_OK {
                    let r = self.registry_model(live).expect("live");
                    r.blocks += 1;
                    r.licensed += u64::from(count);
                }
            }
            Op::AssignNumber(h, tenant, number, tags, now) => {
                let (token, live) = self.handle(Kind::Registry, *h);
                let number = self.text(TextKind::Management, number);
                let (tp, tlen) = self.str_list(TextKind::Tag, tags);
                let before = self.counts(token, live);
                // SAFETY: a token, a string and a list argument.
                let st = unsafe {
                    np700_registry_assign_number(
                        std::ptr::without_provenance(token),
                        tenant.0,
                        number.ptr,
                        number.len,
                        tp,
                        tlen,
                        now.at(clock),
                    )
                };
                let f = "np700_registry_assign_number";
                self.status(f, st);
                self.handle_outcome(f, st, token, live);
                self.unchanged(f, st, token, before);
                if st == NP700_OK {
                    let m = number
                        .bytes()
                        .and_then(|b| ManagementNumber::parse_bytes(b).ok())
                        .unwrap_or_else(|| panic!("{f}: accepted a number that does not parse"));
                    let r = self.registry_model(live).expect("live");
                    assert!(
                        r.tenants.contains_key(&tenant.0),
                        "{f}: unknown tenant {} accepted",
                        tenant.0
                    );
                    let before = r.owner.insert(m.value(), tenant.0);
                    assert_eq!(
                        before, None,
                        "{f}: {m} assigned to tenant {} while held by {before:?}",
                        tenant.0
                    );
                }
            }
            Op::ReclaimNumber(h, tenant, number, now) => {
                let (token, live) = self.handle(Kind::Registry, *h);
                let number = self.text(TextKind::Management, number);
                let now = now.at(clock);
                let before = self.counts(token, live);
                // SAFETY: a token and a string argument.
                let st = unsafe {
                    np700_registry_reclaim_number(
                        std::ptr::without_provenance(token),
                        tenant.0,
                        number.ptr,
                        number.len,
                        now,
                    )
                };
                let f = "np700_registry_reclaim_number";
                self.status(f, st);
                self.handle_outcome(f, st, token, live);
                self.unchanged(f, st, token, before);
                if st == NP700_OK {
                    let m = number
                        .bytes()
                        .and_then(|b| ManagementNumber::parse_bytes(b).ok())
                        .unwrap_or_else(|| panic!("{f}: accepted a number that does not parse"));
                    let r = self.registry_model(live).expect("live");
                    let holder = r.owner.remove(&m.value());
                    assert_eq!(
                        holder,
                        Some(tenant.0),
                        "{f}: tenant {} took back {m}, held by {holder:?}",
                        tenant.0
                    );
                    for b in r.bindings.values_mut() {
                        if !b.ended && b.numbers().any(|n| n.management() == m) {
                            assert!(
                                b.expires_at <= now,
                                "{f}: {m} taken back under a live binding"
                            );
                            b.ended = true;
                        }
                    }
                }
            }
            Op::Sweep(h, now, out) => {
                let (token, live) = self.handle(Kind::Registry, *h);
                let now = now.at(clock);
                let mut o = OutBuf::<usize>::new(*out);
                // SAFETY: a token and an output buffer.
                let st = unsafe {
                    np700_registry_sweep(std::ptr::without_provenance(token), now, o.ptr())
                };
                let f = "np700_registry_sweep";
                self.status(f, st);
                self.handle_outcome(f, st, token, live);
                self.untouched(f, st, &o);
                if st == NP700_OK {
                    let expired = o.read(f);
                    let r = self.registry_model(live).expect("live");
                    let mut want = 0;
                    for b in r.bindings.values_mut() {
                        if !b.ended && b.expires_at <= now {
                            b.ended = true;
                            want += 1;
                        }
                    }
                    assert_eq!(expired, want, "{f}: expired count");
                    if self.ctl.is_some() {
                        self.ctl_swept(live.expect("live"), now);
                    }
                }
            }
            Op::Stats(h, out) => self.stats_call(*h, *out),
            Op::Bind(h, b, now, out) => self.bind(*h, b, now.at(clock), *out),
            Op::Update(h, up, now, out) => self.update(*h, up, now.at(clock), *out),
            Op::Suspend(h, t, b, now) => {
                self.lifecycle("np700_registry_suspend", *h, t.0, *b, now.at(clock))
            }
            Op::Resume(h, t, b, now) => {
                self.lifecycle("np700_registry_resume", *h, t.0, *b, now.at(clock))
            }
            Op::Unbind(h, t, b, now) => {
                self.lifecycle("np700_registry_unbind", *h, t.0, *b, now.at(clock))
            }
            Op::Binding(h, t, b, out) => self.binding(*h, t.0, *b, *out),
            Op::Route(h, r) => self.route(*h, r),
            Op::ReaderAttach(p, out) => self.reader_attach(*p, *out),
            Op::ReaderFree(h) => {
                let (token, live) = self.handle(Kind::Reader, *h);
                // SAFETY: a token.
                let st = unsafe { np700_reader_free(std::ptr::without_provenance_mut(token)) };
                self.status("np700_reader_free", st);
                self.free_outcome("np700_reader_free", st, Kind::Reader, token, live);
            }
            Op::ReaderRoute(h, r) => self.reader_route(*h, r),
            Op::ReaderGeneration(h, out) => {
                let (token, live) = self.handle(Kind::Reader, *h);
                let mut o = OutBuf::<u64>::new(*out);
                // SAFETY: a token and an output buffer.
                let st = unsafe {
                    np700_reader_generation(std::ptr::without_provenance(token), o.ptr())
                };
                let f = "np700_reader_generation";
                self.status(f, st);
                self.handle_outcome(f, st, token, live);
                self.untouched(f, st, &o);
                if st == NP700_OK {
                    let g = o.read(f);
                    assert!(g >= 1, "{}: {f}: generation {g}", self.context);
                }
            }
            Op::WriteJunk(j) => self.write_junk(j),
            Op::LastError {
                buf_len,
                buf_null,
                needed,
            } => self.last_error_call(usize::from(*buf_len) % 600, *buf_null, *needed),
            Op::Describe(status, code) => self.describe(*status, *code),
            Op::FillHandles => self.fill_handles(),
        }
    }

    /// A value outside its documented range is `NP700_ERR_OUT_OF_RANGE` whatever the handle
    /// (checked first); a value inside never is.
    fn range(&self, what: &str, st: i32, in_range: bool) {
        if in_range {
            assert_ne!(
                st, NP700_ERR_OUT_OF_RANGE,
                "{}: {what} in range refused",
                self.context
            );
        } else {
            assert_eq!(
                st, NP700_ERR_OUT_OF_RANGE,
                "{}: {what} out of range",
                self.context
            );
        }
    }

    fn config_setter(&mut self, f: &str, st: i32, token: usize, live: Option<usize>) {
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
    }

    fn free_outcome(&mut self, f: &str, st: i32, kind: Kind, token: usize, live: Option<usize>) {
        let want = match (token, live) {
            (0, _) => NP700_OK,
            (_, Some(_)) => NP700_OK,
            (_, None) => NP700_ERR_INVALID_HANDLE,
        };
        assert_eq!(st, want, "{}: {f} of {token:#x}", self.context);
        if token != 0 && live.is_none() && self.tokens(kind).iter().any(|&(t, _)| t == token) {
            self.stats.double_frees += 1;
        }
        if let Some(i) = live {
            match kind {
                Kind::Config => self.configs[i].live = false,
                Kind::Registry => self.registries[i].live = false,
                Kind::Reader => self.readers[i].live = false,
                Kind::Follower => self.followers[i].live = false,
            }
        }
    }

    fn config_new(&mut self, out: OutPick) -> Option<usize> {
        let mut o = OutBuf::<*mut np700_config>::new(out);
        // SAFETY: an output buffer.
        let st = unsafe { np700_config_new(o.ptr()) };
        let f = "np700_config_new";
        self.status(f, st);
        self.untouched(f, st, &o);
        if st != NP700_OK {
            return None;
        }
        let token = o.read(f).addr();
        self.new_token(f, token);
        self.configs.push(ConfigModel {
            token,
            live: true,
            pair_cap: 200,
            shared: None,
        });
        if let Some(ctl) = self.ctl.as_mut() {
            ctl.config_new();
        }
        Some(self.configs.len() - 1)
    }

    fn registry_new(&mut self, h: HandlePick, out: OutPick) -> Option<usize> {
        let (token, live) = self.handle(Kind::Config, h);
        if let (Some(ctl), Some(i)) = (&self.ctl, live)
            && ctl.fails_after_publishing(i, self.configs[i].shared)
        {
            return None;
        }
        let mut o = OutBuf::<*mut np700_registry>::new(out);
        // SAFETY: a token and an output buffer.
        let st = unsafe { np700_registry_new(std::ptr::without_provenance(token), o.ptr()) };
        let f = "np700_registry_new";
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        if st != NP700_OK {
            return None;
        }
        let new = o.read(f).addr();
        self.new_token(f, new);
        let c = self.configs[live.expect("live")].clone();
        self.registries.push(RegistryModel {
            token: new,
            live: true,
            default_pair_cap: c.pair_cap,
            tenants: BTreeMap::new(),
            owner: BTreeMap::new(),
            bindings: BTreeMap::new(),
            blocks: 0,
            licensed: 0,
        });
        let i = self.registries.len() - 1;
        if let Some(p @ 0..=1) = c.shared {
            self.published[usize::from(p)].push(i);
        }
        if let Some(ctl) = self.ctl.as_mut() {
            ctl.registry_new(live.expect("live"), None);
        }
        Some(i)
    }

    #[allow(clippy::too_many_arguments)]
    fn register_tenant(
        &mut self,
        token: usize,
        live: Option<usize>,
        name: Arg,
        scenarios: (*const u32, usize),
        pair_cap: u16,
        now: u64,
        out: OutPick,
    ) -> Option<u32> {
        let mut o = OutBuf::<u32>::new(out);
        let before = self.counts(token, live);
        // SAFETY: a token, string and list arguments and an output buffer.
        let st = unsafe {
            np700_registry_register_tenant(
                std::ptr::without_provenance(token),
                name.ptr,
                name.len,
                scenarios.0,
                scenarios.1,
                pair_cap,
                now,
                o.ptr(),
            )
        };
        let f = "np700_registry_register_tenant";
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        self.unchanged(f, st, token, before);
        if st != NP700_OK {
            return None;
        }
        let id = o.read(f);
        let name = name.bytes().expect("accepted").to_vec();
        let r = self.registry_model(live).expect("live");
        assert_eq!(
            id,
            r.tenants.len() as u32 + 1,
            "{f}: tenant ids are given in order from 1"
        );
        let cap = if pair_cap == 0 {
            r.default_pair_cap
        } else {
            pair_cap
        };
        r.tenants.insert(
            id,
            TenantModel {
                status: NP700_TENANT_ACTIVE,
                name,
                pair_cap: cap,
                registered_at: now,
                violations: 0,
            },
        );
        Some(id)
    }

    fn tenant(&mut self, h: HandlePick, tenant: u32, out: OutPick) {
        let (token, live) = self.handle(Kind::Registry, h);
        let mut o = OutBuf::<np700_tenant_info>::new(out);
        // SAFETY: a token and an output buffer.
        let st =
            unsafe { np700_registry_tenant(std::ptr::without_provenance(token), tenant, o.ptr()) };
        let f = "np700_registry_tenant";
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        let Some(r) = live.map(|i| &self.registries[i]) else {
            return;
        };
        let known = r.tenants.get(&tenant);
        if st != NP700_OK {
            if out == OutPick::Valid && known.is_some() {
                panic!("{}: {f}: known tenant {tenant} refused", self.context);
            }
            return;
        }
        let info = o.read(f);
        let t = known.unwrap_or_else(|| panic!("{}: {f}: unknown tenant {tenant}", self.context));
        let held = r.owner.values().filter(|&&o| o == tenant).count() as u64;
        let name = c_text(&info.name, "tenant name");
        assert_eq!(
            (
                info.id,
                info.status,
                info.pair_cap,
                info.numbers_held,
                info.violations,
                info.registered_at,
                name.as_bytes()
            ),
            (
                tenant,
                t.status,
                t.pair_cap,
                held,
                t.violations,
                t.registered_at,
                &t.name[..]
            ),
            "{}: {f}: the tenant as reported",
            self.context
        );
    }

    fn stats_call(&mut self, h: HandlePick, out: OutPick) {
        let (token, live) = self.handle(Kind::Registry, h);
        let mut o = OutBuf::<np700_stats>::new(out);
        // SAFETY: a token and an output buffer.
        let st = unsafe { np700_registry_stats(std::ptr::without_provenance(token), o.ptr()) };
        let f = "np700_registry_stats";
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        if st != NP700_OK {
            return;
        }
        let s = o.read(f);
        let r = &self.registries[live.expect("live")];
        let live_bindings = r.live_bindings().count() as u64;
        let suspended = r
            .live_bindings()
            .filter(|(_, b)| b.status == NP700_BINDING_SUSPENDED)
            .count() as u64;
        let active = r
            .tenants
            .values()
            .filter(|t| t.status == NP700_TENANT_ACTIVE)
            .count() as u64;
        assert_eq!(
            (
                s.tenants,
                s.active_tenants,
                s.licensed_blocks,
                s.licensed_numbers,
                s.assigned_numbers,
                s.bindings,
                s.suspended_bindings
            ),
            (
                r.tenants.len() as u64,
                active,
                r.blocks,
                r.licensed,
                r.owner.len() as u64,
                live_bindings,
                suspended
            ),
            "{}: {f}: counts (tenants, active, blocks, licensed, assigned, bindings, suspended)",
            self.context
        );
        assert!(s.index_generation >= 1 && s.index_entries >= 1 && s.index_bytes > 0);
    }

    fn choice(&mut self, c: &ChoicePick) -> np700_number_choice {
        let given = match &c.given {
            Some(t) => self.text(TextKind::Usage, t).str(),
            None => np700_str::EMPTY,
        };
        let tag = match &c.tag {
            Some(t) => self.text(TextKind::Tag, t).str(),
            None => np700_str::EMPTY,
        };
        let sticky_for = match &c.sticky {
            Some(t) => self.text(TextKind::Subscriber, t).str(),
            None => np700_str::EMPTY,
        };
        np700_number_choice {
            given,
            tag,
            tag_strict: u8::from(c.strict),
            sticky_for,
        }
    }

    fn policy(&mut self, p: &PolicyPick) -> np700_policy {
        let mut policy = np700_policy_default();
        policy.media = p.media;
        policy.direction = p.direction;
        policy.record = p.record % 2;
        if let Some((has, start, end)) = p.window {
            policy.has_window = has;
            policy.window_start_minute = start % 1500;
            policy.window_end_minute = end % 1500;
        }
        let (ap, alen) = self.str_list(TextKind::Subscriber, &p.allowed);
        policy.allowed_callers = ap;
        policy.allowed_callers_len = alen;
        policy
    }

    fn bind(&mut self, h: HandlePick, p: &BindPick, now: u64, out: OutPick) {
        let (token, live) = self.handle(Kind::Registry, h);
        let a = self.text(TextKind::Subscriber, &p.a);
        let b = self.text(TextKind::Subscriber, &p.b);
        let (gp, glen) = self.str_list(TextKind::Subscriber, &p.group);
        let x = self.choice(&p.x);
        let y = self.choice(&p.y);
        let policy = self.policy(&p.policy);
        let order_id = self.text(TextKind::Reference, &p.order_id).str();
        let consent_ref = self.text(TextKind::Reference, &p.consent).str();
        let external_ref = self.text(TextKind::Reference, &p.external).str();
        let request = np700_bind_request {
            tenant: p.tenant.0,
            mode: p.mode,
            a: a.str(),
            b: b.str(),
            group: gp,
            group_len: glen,
            x,
            y,
            expires_at: p.expires.at(now, self.clock),
            policy,
            order_id,
            consent_ref,
            external_ref,
        };
        let mut req = OutBuf::<np700_bind_request>::new(match p.request {
            InPick::Valid => OutPick::Valid,
            InPick::Null => OutPick::Null,
            InPick::Misaligned => OutPick::Misaligned,
        });
        let rp = req.ptr();
        if p.request == InPick::Valid {
            // SAFETY: the buffer holds a request.
            unsafe { rp.write(request) };
        }
        let mut o = OutBuf::<np700_binding_info>::new(out);
        let before = self.counts(token, live);
        // SAFETY: a token, a request whose pointers point into the arena, an output buffer.
        let st =
            unsafe { np700_registry_bind(std::ptr::without_provenance(token), rp, now, o.ptr()) };
        let f = "np700_registry_bind";
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        self.unchanged(f, st, token, before);
        if st != NP700_OK {
            return;
        }
        let info = o.read(f);
        self.stats.bound += 1;
        let ctx = self.context.clone();
        let sub = |arg: Arg, what: &str| {
            arg.utf8()
                .and_then(|t| SubscriberNumber::parse(t).ok())
                .unwrap_or_else(|| panic!("{ctx}: {f}: accepted an invalid {what}"))
        };
        let parties = match request.mode {
            NP700_MODE_AXB => PartiesModel::Axb {
                a: sub(a, "A"),
                b: sub(b, "B"),
            },
            NP700_MODE_AXN => PartiesModel::Axn {
                a: sub(a, "A"),
                n: (b.len != 0).then(|| sub(b, "N")),
            },
            NP700_MODE_AXYB => PartiesModel::Axyb {
                a: sub(a, "A"),
                b: sub(b, "B"),
            },
            NP700_MODE_GXB => PartiesModel::Gxb {
                group: Self::parse_list(gp, glen)
                    .unwrap_or_else(|| panic!("{ctx}: {f}: accepted an invalid group")),
                b: sub(b, "B"),
            },
            m => panic!("{ctx}: {f}: accepted mode {m}"),
        };
        let x = UsageNumber::parse_bytes(c_text(&info.x, "binding X").as_bytes())
            .unwrap_or_else(|e| panic!("{ctx}: {f}: X is not a usage number: {e}"));
        let y_text = c_text(&info.y, "binding Y");
        let y = if request.mode == NP700_MODE_AXYB {
            Some(
                UsageNumber::parse_bytes(y_text.as_bytes())
                    .unwrap_or_else(|e| panic!("{ctx}: {f}: Y is not a usage number: {e}")),
            )
        } else {
            assert_eq!(y_text, "", "{ctx}: {f}: Y outside AXYB");
            None
        };
        // A given number is the one used.
        for (choice, got) in [(request.x, Some(x)), (request.y, y)] {
            if choice.given.len != 0 && got.is_some() {
                let given = Arg {
                    ptr: choice.given.ptr,
                    len: choice.given.len,
                };
                let want = given.bytes().and_then(|b| UsageNumber::parse_bytes(b).ok());
                assert_eq!(want, got, "{ctx}: {f}: not the given usage number");
            }
        }
        let r = &mut self.registries[live.expect("live")];
        let t = r
            .tenants
            .get(&request.tenant)
            .unwrap_or_else(|| panic!("{ctx}: {f}: unknown tenant {} bound", request.tenant));
        assert_eq!(
            t.status, NP700_TENANT_ACTIVE,
            "{ctx}: {f}: tenant not active"
        );
        assert_eq!(
            (
                info.id,
                info.tenant,
                info.mode,
                info.status,
                info.created_at
            ),
            (
                r.next_binding(),
                request.tenant,
                request.mode,
                NP700_BINDING_ACTIVE,
                now
            ),
            "{ctx}: {f}: the binding as reported"
        );
        assert_eq!(info.expires_at, request.expires_at, "{ctx}: {f}: expiry");
        assert!(
            info.expires_at > now,
            "{ctx}: {f}: expiry not in the future"
        );
        assert_eq!(
            info.record,
            request.policy.record != 0,
            "{ctx}: {f}: record"
        );
        // Tenants never mix: the usage numbers are of management numbers the tenant holds.
        for n in std::iter::once(x).chain(y) {
            assert_eq!(
                r.owner.get(&n.management().value()),
                Some(&request.tenant),
                "{ctx}: {f}: tenant {} bound {n}, of a management number it does not hold",
                request.tenant
            );
        }
        let numbers: Vec<UsageNumber> = std::iter::once(x).chain(y).collect();
        let id = info.id;
        r.end_expired_on(&numbers, now, id);
        r.bindings.insert(
            id,
            BindingModel {
                tenant: request.tenant,
                mode: request.mode,
                parties,
                x,
                y,
                created_at: now,
                expires_at: info.expires_at,
                status: NP700_BINDING_ACTIVE,
                record: info.record,
                ended: false,
                simple: simple_policy(&request.policy),
                pristine: true,
            },
        );
        for n in numbers {
            if !self.numbers.contains(&n) {
                self.numbers.push(n);
            }
        }
    }

    fn update(&mut self, h: HandlePick, p: &UpdatePick, now: u64, out: OutPick) {
        let (token, live) = self.handle(Kind::Registry, h);
        let binding = self.binding_id(live, p.binding);
        let number = self.text(TextKind::Subscriber, &p.number);
        let (gp, glen) = self.str_list(TextKind::Subscriber, &p.group);
        let counterpart = p.counterpart.0 % 5;
        let expires_at = p.expires.map_or(0, |e| e.at(now, self.clock));
        let mut policy_buf = OutBuf::<np700_policy>::new(OutPick::Valid);
        let policy_ptr = match &p.policy {
            None => null(),
            Some((misaligned, pp)) => {
                let policy = self.policy(pp);
                let ptr = policy_buf.ptr();
                // SAFETY: the buffer holds a policy.
                unsafe { ptr.write(policy) };
                if *misaligned {
                    ptr.cast::<u8>()
                        .wrapping_add(1)
                        .cast::<np700_policy>()
                        .cast_const()
                } else {
                    ptr.cast_const()
                }
            }
        };
        let request = np700_update_request {
            tenant: p.tenant.0,
            binding,
            counterpart,
            number: number.str(),
            group: gp,
            group_len: glen,
            expires_at,
            policy: policy_ptr,
        };
        let mut req = OutBuf::<np700_update_request>::new(match p.request {
            InPick::Valid => OutPick::Valid,
            InPick::Null => OutPick::Null,
            InPick::Misaligned => OutPick::Misaligned,
        });
        let rp = req.ptr();
        if p.request == InPick::Valid {
            // SAFETY: the buffer holds a request.
            unsafe { rp.write(request) };
        }
        let mut o = OutBuf::<np700_binding_info>::new(out);
        let before = self.counts(token, live);
        // SAFETY: a token, a request whose pointers point into the arena, an output buffer.
        let st =
            unsafe { np700_registry_update(std::ptr::without_provenance(token), rp, now, o.ptr()) };
        let f = "np700_registry_update";
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        self.unchanged(f, st, token, before);
        let Some(ri) = live else { return };
        let ctx = self.context.clone();
        let r = &mut self.registries[ri];
        if st == NP700_ERR_CROSS_TENANT {
            let owner = r.bindings.get(&binding).map(|b| b.tenant);
            assert!(
                owner.is_some() && owner != Some(request.tenant),
                "{ctx}: {f}: cross-tenant for {binding} of {owner:?}"
            );
        }
        if st != NP700_OK {
            return;
        }
        let info = o.read(f);
        let b = r
            .bindings
            .get_mut(&binding)
            .unwrap_or_else(|| panic!("{ctx}: {f}: updated unknown binding {binding}"));
        // Tenants never mix: only the owner changes a binding.
        assert_eq!(
            b.tenant, request.tenant,
            "{ctx}: {f}: another tenant's binding"
        );
        assert!(!b.ended, "{ctx}: {f}: updated an ended binding");
        assert_eq!(
            (info.id, info.tenant, info.mode, info.created_at),
            (binding, b.tenant, b.mode, b.created_at),
            "{ctx}: {f}: the binding as reported"
        );
        assert_eq!(
            c_text(&info.x, "X"),
            b.x.to_string(),
            "{ctx}: {f}: X changed"
        );
        if expires_at != 0 {
            assert_eq!(info.expires_at, expires_at, "{ctx}: {f}: expiry");
        } else {
            assert_eq!(info.expires_at, b.expires_at, "{ctx}: {f}: expiry kept");
        }
        let sub = |arg: Arg| {
            arg.utf8()
                .and_then(|t| SubscriberNumber::parse(t).ok())
                .unwrap_or_else(|| panic!("{ctx}: {f}: accepted an invalid counterpart"))
        };
        match (counterpart, &mut b.parties) {
            (NP700_COUNTERPART_NONE, _) => {}
            (NP700_COUNTERPART_B, PartiesModel::Axb { b, .. })
            | (NP700_COUNTERPART_B, PartiesModel::Axyb { b, .. })
            | (NP700_COUNTERPART_B, PartiesModel::Gxb { b, .. }) => *b = sub(number),
            (NP700_COUNTERPART_N, PartiesModel::Axn { n, .. }) => {
                *n = (number.len != 0).then(|| sub(number));
            }
            (NP700_COUNTERPART_GROUP, PartiesModel::Gxb { group, .. }) => {
                *group = Self::parse_list(gp, glen)
                    .unwrap_or_else(|| panic!("{ctx}: {f}: accepted an invalid group"));
            }
            (c, parties) => panic!("{ctx}: {f}: counterpart {c} accepted for {parties:?}"),
        }
        b.expires_at = info.expires_at;
        b.status = info.status;
        b.record = info.record;
        b.pristine = false;
        if !request.policy.is_null() {
            // SAFETY: the policy the request pointed to (accepted, so aligned and readable).
            b.simple = simple_policy(unsafe { &*request.policy });
        }
        // A new counterpart takes the numbers again: bindings expired on them end first.
        if counterpart != NP700_COUNTERPART_NONE {
            let numbers: Vec<UsageNumber> = b.numbers().collect();
            r.end_expired_on(&numbers, now, binding);
        }
    }

    fn lifecycle(&mut self, f: &'static str, h: HandlePick, tenant: u32, b: BindingPick, now: u64) {
        let (token, live) = self.handle(Kind::Registry, h);
        let id = self.binding_id(live, b);
        let reg = std::ptr::without_provenance(token);
        let before = self.counts(token, live);
        // SAFETY: a token.
        let st = unsafe {
            match f {
                "np700_registry_suspend" => np700_registry_suspend(reg, tenant, id, now),
                "np700_registry_resume" => np700_registry_resume(reg, tenant, id, now),
                _ => np700_registry_unbind(reg, tenant, id, now),
            }
        };
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.unchanged(f, st, token, before);
        let Some(ri) = live else { return };
        let ctx = self.context.clone();
        let r = &mut self.registries[ri];
        if st == NP700_ERR_CROSS_TENANT {
            let owner = r.bindings.get(&id).map(|b| b.tenant);
            assert!(
                owner.is_some() && owner != Some(tenant),
                "{ctx}: {f}: cross-tenant for {id} of {owner:?}"
            );
        }
        if st != NP700_OK {
            return;
        }
        let b = r
            .bindings
            .get_mut(&id)
            .unwrap_or_else(|| panic!("{ctx}: {f}: unknown binding {id} accepted"));
        // Tenants never mix: only the owner suspends, resumes or releases a binding.
        assert_eq!(
            b.tenant, tenant,
            "{ctx}: {f}: another tenant's binding {id}"
        );
        assert!(!b.ended, "{ctx}: {f}: ended binding {id} accepted");
        assert!(
            b.expires_at > now,
            "{ctx}: {f}: expired binding {id} accepted"
        );
        match f {
            "np700_registry_suspend" => {
                assert_eq!(b.status, NP700_BINDING_ACTIVE, "{ctx}: {f}: {id}");
                b.status = NP700_BINDING_SUSPENDED;
                b.pristine = false;
            }
            "np700_registry_resume" => {
                assert_eq!(b.status, NP700_BINDING_SUSPENDED, "{ctx}: {f}: {id}");
                b.status = NP700_BINDING_ACTIVE;
                b.pristine = false;
            }
            _ => b.ended = true,
        }
    }

    fn binding(&mut self, h: HandlePick, tenant: u32, b: BindingPick, out: OutPick) {
        let (token, live) = self.handle(Kind::Registry, h);
        let id = self.binding_id(live, b);
        let mut o = OutBuf::<np700_binding_info>::new(out);
        // SAFETY: a token and an output buffer.
        let st = unsafe {
            np700_registry_binding(std::ptr::without_provenance(token), tenant, id, o.ptr())
        };
        let f = "np700_registry_binding";
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        let Some(ri) = live else { return };
        let ctx = self.context.clone();
        let r = &self.registries[ri];
        let model = r.bindings.get(&id);
        if out == OutPick::Valid {
            let want = match model {
                None => NP700_ERR_UNKNOWN_BINDING,
                Some(b) if b.ended => NP700_ERR_BINDING_ENDED,
                Some(b) if b.tenant != tenant => NP700_ERR_CROSS_TENANT,
                Some(_) => NP700_OK,
            };
            assert_eq!(st, want, "{ctx}: {f}: binding {id} for tenant {tenant}");
        }
        if st != NP700_OK {
            return;
        }
        let info = o.read(f);
        let b = model.expect("checked");
        assert_eq!(
            (
                info.id,
                info.tenant,
                info.mode,
                info.status,
                info.record,
                info.created_at,
                info.expires_at
            ),
            (
                id,
                b.tenant,
                b.mode,
                b.status,
                b.record,
                b.created_at,
                b.expires_at
            ),
            "{ctx}: {f}: the binding as reported"
        );
        assert_eq!(c_text(&info.x, "X"), b.x.to_string(), "{ctx}: {f}: X");
        assert_eq!(
            c_text(&info.y, "Y"),
            b.y.map_or(String::new(), |y| y.to_string()),
            "{ctx}: {f}: Y"
        );
    }

    // -- routes ----------------------------------------------------------------------------------

    fn route_args(&mut self, r: &RoutePick) -> (Arg, Arg, u32, u64) {
        let caller = self.text(TextKind::Subscriber, &r.caller);
        let dialed = self.text(TextKind::Usage, &r.dialed);
        let media = match r.media.0 {
            0..=4 => NP700_MEDIA_VOICE,
            5..=7 => NP700_MEDIA_SMS,
            m => m,
        };
        (caller, dialed, media, r.now.at(self.clock))
    }

    fn route(&mut self, h: HandlePick, r: &RoutePick) {
        let (token, live) = self.handle(Kind::Registry, h);
        let (caller, dialed, media, now) = self.route_args(r);
        let mut o = OutBuf::<np700_decision>::new(r.out);
        // SAFETY: a token, string arguments and an output buffer.
        let st = unsafe {
            np700_route(
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
        let f = "np700_route";
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        self.route_arg_outcome(f, st, caller, dialed, media, now, r.out);
        if st != NP700_OK {
            return;
        }
        let d = o.read(f);
        self.check_decision(f, &d, dialed);
        let ri = live.expect("live");
        if d.kind == NP700_DECISION_ROUTE {
            if let Err(e) = self.routed_by(ri, &d, caller, dialed, now) {
                panic!("{}: {f}: {e}", self.context);
            }
            self.stats.routed += 1;
            self.stats.routed_bindings.insert((ri, d.binding_id));
            self.stats.routed_modes.insert(d.mode);
        }
        if self.ctl.is_some() {
            let request = controls::Request {
                caller,
                dialed,
                media,
                text: None,
                now,
            };
            self.ctl_decided(f, controls::Router::Registry(ri), &d, &request);
        }
    }

    /// Route arguments are checked before the handle: each bad one has its documented status.
    #[allow(clippy::too_many_arguments)]
    fn route_arg_outcome(
        &self,
        f: &str,
        st: i32,
        caller: Arg,
        dialed: Arg,
        media: u32,
        now: u64,
        out: OutPick,
    ) {
        let text = |a: Arg| -> Result<(), i32> {
            if a.ptr.is_null() && a.len != 0 {
                return Err(NP700_ERR_NULL);
            }
            if a.len > NP700_MAX_NUMBER_LEN {
                return Err(NP700_ERR_TOO_LONG);
            }
            a.utf8().map(drop).ok_or(NP700_ERR_INVALID_UTF8)
        };
        let want = (|| {
            if out != OutPick::Valid {
                return Err(NP700_ERR_NULL);
            }
            text(caller)?;
            text(dialed)?;
            if media != NP700_MEDIA_VOICE && media != NP700_MEDIA_SMS {
                return Err(NP700_ERR_BAD_ENUM);
            }
            if now > NP700_TIME_MAX {
                return Err(NP700_ERR_OUT_OF_RANGE);
            }
            Ok(())
        })();
        match want {
            Err(code) => assert_eq!(st, code, "{}: {f}: arguments", self.context),
            Ok(()) => assert!(
                matches!(st, NP700_OK | NP700_ERR_NULL | NP700_ERR_INVALID_HANDLE),
                "{}: {f}: valid arguments refused with {}",
                self.context,
                status_text(st)
            ),
        }
    }

    /// A decision is well-formed: its kind's fields are set and described, the others zero.
    fn check_decision(&mut self, f: &str, d: &np700_decision, dialed: Arg) {
        let ctx = &self.context;
        self.stats.decisions.insert(d.kind);
        let zero = |chars: &[c_char]| chars.iter().all(|&c| c == 0);
        let parsed = dialed.bytes().map(parse_dialed_bytes);
        let route_fields_zero = d.mode == 0
            && d.binding_id == 0
            && d.tenant == 0
            && !d.record
            && d.target_count == 0
            && zero(&d.display)
            && d.targets.iter().all(|t| zero(t));
        match d.kind {
            NP700_DECISION_ROUTE => {
                assert!(
                    (1..=NP700_MAX_TARGETS as u32).contains(&d.target_count),
                    "{ctx}: {f}: {} targets",
                    d.target_count
                );
                assert!(
                    (1..=4).contains(&d.mode) && d.binding_id != 0 && d.tenant != 0,
                    "{ctx}: {f}: route fields"
                );
                let display = c_text(&d.display, "display");
                assert!(
                    display.len() == 15 && display.bytes().all(|b| b.is_ascii_digit()),
                    "{ctx}: {f}: display {display:?}"
                );
                for (i, t) in d.targets.iter().enumerate() {
                    if i < d.target_count as usize {
                        let t = c_text(t, "target");
                        assert!(
                            SubscriberNumber::parse(&t).is_ok() && t.starts_with('+'),
                            "{ctx}: {f}: target {t:?}"
                        );
                    } else {
                        assert!(zero(t), "{ctx}: {f}: target {i} past the count");
                    }
                }
                assert!(
                    d.digits_needed == 0 && d.sip_status == 0 && d.announce == 0 && d.reject == 0,
                    "{ctx}: {f}: fields of other kinds set on a route"
                );
                assert!(
                    matches!(parsed, Some(Ok(DialedNumber::Usage(_)))),
                    "{ctx}: {f}: routed a dial string that is not a usage number"
                );
            }
            NP700_DECISION_COLLECT_DIGITS => {
                assert!(
                    route_fields_zero,
                    "{ctx}: {f}: route fields on collect-digits"
                );
                assert!(
                    d.sip_status == 0 && d.announce == 0 && d.reject == 0,
                    "{ctx}: {f}: fields of other kinds set on collect-digits"
                );
                match parsed {
                    Some(Ok(
                        n @ (DialedNumber::Management(_) | DialedNumber::Incomplete { .. }),
                    )) => {
                        assert_eq!(
                            d.digits_needed,
                            n.digits_needed(),
                            "{ctx}: {f}: digits needed"
                        )
                    }
                    other => panic!("{ctx}: {f}: collect digits for {other:?}"),
                }
            }
            NP700_DECISION_ANNOUNCE => {
                assert!(
                    route_fields_zero,
                    "{ctx}: {f}: route fields on an announcement"
                );
                assert!(
                    d.digits_needed == 0 && d.sip_status == 0 && d.reject == 0,
                    "{ctx}: {f}: fields of other kinds set on an announcement"
                );
                let text = static_text(np700_announce_reason_str(d.announce), "announce");
                assert_ne!(text, "unknown", "{ctx}: {f}: announcement {}", d.announce);
                assert!(
                    matches!(parsed, Some(Ok(DialedNumber::Usage(_)))),
                    "{ctx}: {f}: announcement for a dial string that is not a usage number"
                );
            }
            NP700_DECISION_REJECT => {
                assert!(route_fields_zero, "{ctx}: {f}: route fields on a reject");
                assert!(
                    d.digits_needed == 0 && d.announce == 0,
                    "{ctx}: {f}: fields of other kinds set on a reject"
                );
                let text = static_text(np700_reject_reason_str(d.reject), "reject");
                assert_ne!(text, "unknown", "{ctx}: {f}: reject reason {}", d.reject);
                let sip = np700_reject_reason_sip_status(d.reject);
                assert!(
                    sip != 0 && d.sip_status == sip,
                    "{ctx}: {f}: SIP status {} for reason {}",
                    d.sip_status,
                    d.reject
                );
            }
            k => panic!("{ctx}: {f}: decision kind {k}"),
        }
    }

    /// Tenants never mix: a routed decision of registry `ri` goes through a live, active,
    /// unexpired binding of the tenant holding the dialled number, from one of its parties (or
    /// anyone, for AXN) to that binding's own counterpart, presenting its own number.
    fn routed_by(
        &self,
        ri: usize,
        d: &np700_decision,
        caller: Arg,
        dialed: Arg,
        now: u64,
    ) -> Result<(), String> {
        routed_through(&self.registries[ri], d, caller, dialed, now)
    }

    fn reader_attach(&mut self, p: PathArg, out: OutPick) {
        let arg = self.path(p);
        let mut o = OutBuf::<*mut np700_reader>::new(out);
        // SAFETY: a string argument and an output buffer.
        let st = unsafe { np700_reader_attach(arg.ptr, arg.len, o.ptr()) };
        let f = "np700_reader_attach";
        self.status(f, st);
        self.untouched(f, st, &o);
        if st != NP700_OK {
            return;
        }
        let token = o.read(f).addr();
        self.new_token(f, token);
        let source = match p {
            PathArg::Index(i) => ReaderSource::Index(i % 2),
            PathArg::Junk => ReaderSource::Junk,
            other => panic!("{}: {f}: attached to {other:?}", self.context),
        };
        if let ReaderSource::Index(i) = source {
            assert!(
                !self.published[usize::from(i)].is_empty(),
                "{}: {f}: attached to an index no registry published",
                self.context
            );
        }
        self.readers.push(ReaderModel {
            token,
            live: true,
            source,
        });
    }

    fn reader_route(&mut self, h: HandlePick, r: &RoutePick) {
        let (token, live) = self.handle(Kind::Reader, h);
        let (caller, dialed, media, now) = self.route_args(r);
        let mut o = OutBuf::<np700_decision>::new(r.out);
        // SAFETY: a token, string arguments and an output buffer.
        let st = unsafe {
            np700_reader_route(
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
        let f = "np700_reader_route";
        self.status(f, st);
        self.handle_outcome(f, st, token, live);
        self.untouched(f, st, &o);
        self.route_arg_outcome(f, st, caller, dialed, media, now, r.out);
        if st != NP700_OK {
            return;
        }
        let d = o.read(f);
        self.check_decision(f, &d, dialed);
        let request = controls::Request {
            caller,
            dialed,
            media,
            text: None,
            now,
        };
        if self.ctl.is_some() {
            self.ctl_decided(
                f,
                controls::Router::Reader(live.expect("live")),
                &d,
                &request,
            );
        }
        let ReaderSource::Index(p) = self.readers[live.expect("live")].source else {
            return;
        };
        let candidates = self.published[usize::from(p)].clone();
        if d.kind == NP700_DECISION_ROUTE {
            // Writers at the same path replace each other's file: the route is one of theirs.
            let errors: Vec<String> = candidates
                .iter()
                .filter_map(|&ri| self.routed_by(ri, &d, caller, dialed, now).err())
                .collect();
            assert!(
                errors.len() < candidates.len(),
                "{}: {f}: no registry at the path routes so: {errors:#?}",
                self.context
            );
            self.stats.reader_routed += 1;
        }
        // With one writer at the path, still live, the reader answers as it does.
        if let [only] = candidates[..]
            && self.registries[only].live
        {
            let reg = self.registries[only].token;
            let mut from_registry = OutBuf::<np700_decision>::new(OutPick::Valid);
            // SAFETY: a live handle, the same arguments, an output buffer.
            let st = unsafe {
                np700_route(
                    std::ptr::without_provenance(reg),
                    caller.ptr,
                    caller.len,
                    dialed.ptr,
                    dialed.len,
                    media,
                    now,
                    from_registry.ptr(),
                )
            };
            self.status("np700_route", st);
            assert_eq!(
                st, NP700_OK,
                "{}: np700_route beside the reader",
                self.context
            );
            let want = from_registry.read("np700_route");
            self.check_decision("np700_route", &want, dialed);
            // Frequency limits and probing count both requests: then they may differ.
            let counted = self.ctl.as_ref().is_some_and(|c| c.counts_anything(only));
            assert!(
                counted || same_decision(&d, &want),
                "{}: {f}: the reader answers {d:?}, its registry {want:?}",
                self.context
            );
            if self.ctl.is_some() {
                self.ctl_decided(
                    "np700_route",
                    controls::Router::Registry(only),
                    &want,
                    &request,
                );
            }
        }
    }

    fn write_junk(&mut self, j: &JunkPick) {
        let bytes = match j {
            JunkPick::Bytes(b) => b.clone(),
            JunkPick::Prefix { index, len, word } => {
                let from = self.files.index(*index);
                use std::io::Read;
                let Ok(file) = std::fs::File::open(&from) else {
                    return;
                };
                let mut bytes = Vec::new();
                let limit = u64::from(*len) * 8;
                if file.take(limit).read_to_end(&mut bytes).is_err() {
                    return;
                }
                if let Some((w, value)) = word {
                    let at = usize::from(w % 16) * 8;
                    if bytes.len() >= at + 8 {
                        bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
                    }
                }
                bytes
            }
        };
        // Written aside and renamed over: a reader attached to the old file keeps its mapping
        // (truncating a mapped file under it would be a SIGBUS no library can prevent).
        let junk = self.files.junk();
        let tmp = format!("{junk}.tmp");
        std::fs::write(&tmp, bytes).expect("junk file");
        std::fs::rename(&tmp, &junk).expect("junk file");
    }

    fn last_error_call(&mut self, buf_len: usize, buf_null: bool, needed: OutPick) {
        let mut buf = vec![0x5a as c_char; buf_len];
        let bp = if buf_null {
            null_mut()
        } else {
            buf.as_mut_ptr()
        };
        let mut n = OutBuf::<usize>::new(needed);
        let np = if needed == OutPick::Null {
            null_mut()
        } else {
            n.ptr()
        };
        // SAFETY: a buffer of `buf_len` bytes (or NULL) and a size_t (or NULL, or misaligned).
        let st = unsafe { np700_last_error(bp, buf_len, np) };
        let f = "np700_last_error";
        // It never changes the last error, so the common checks apply as to a success.
        self.stats.calls += 1;
        self.stats.statuses.insert(st);
        assert!(status_text(st) != "unknown status" && st / 100 != -9);
        assert_eq!(
            self.read_last_error(),
            self.last_error,
            "{}: {f} changed the last error",
            self.context
        );
        let size = self.last_error.len() + 1;
        let want = if buf_null && buf_len != 0 || needed == OutPick::Misaligned {
            NP700_ERR_NULL
        } else if buf_len < size {
            NP700_ERR_BUFFER_TOO_SMALL
        } else {
            NP700_OK
        };
        assert_eq!(st, want, "{}: {f} into {buf_len} bytes", self.context);
        // `needed` is written on success and on a buffer too small, not otherwise.
        match (needed, st) {
            (OutPick::Valid, NP700_OK | NP700_ERR_BUFFER_TOO_SMALL) => {
                assert_eq!(n.read(f), size, "{}: {f}: needed", self.context)
            }
            _ => assert!(n.untouched(), "{}: {f}: wrote needed on {st}", self.context),
        }
        if st == NP700_OK {
            let got: Vec<u8> = buf[..size].iter().map(|&c| c as u8).collect();
            assert_eq!(
                &got[..size - 1],
                &self.last_error[..],
                "{}: {f}: message",
                self.context
            );
            assert_eq!(got[size - 1], 0, "{}: {f}: NUL", self.context);
            assert!(
                buf[size..].iter().all(|&c| c == 0x5a),
                "{}: {f}: wrote past the message",
                self.context
            );
        } else {
            assert!(
                buf.iter().all(|&c| c == 0x5a),
                "{}: {f}: wrote the buffer on {st}",
                self.context
            );
        }
    }

    /// The table of configuration handles fills up at `NP700_MAX_HANDLES` live ones with its
    /// documented status, writing nothing, and works again once they are freed.
    fn fill_handles(&mut self) {
        if std::mem::replace(&mut self.filled, true) {
            return;
        }
        let live = self.configs.iter().filter(|c| c.live).count();
        let f = "np700_config_new";
        loop {
            let mut o = OutBuf::<*mut np700_config>::new(OutPick::Valid);
            // SAFETY: an output buffer.
            let st = unsafe { np700_config_new(o.ptr()) };
            self.status(f, st);
            self.untouched(f, st, &o);
            if st != NP700_OK {
                assert_eq!(st, NP700_ERR_TOO_MANY_HANDLES, "{}: {f}", self.context);
                break;
            }
            let token = o.read(f).addr();
            self.new_token(f, token);
            assert!(
                !self.filling.contains(&token),
                "{}: {f}: a live handle again",
                self.context
            );
            self.filling.push(token);
        }
        assert_eq!(
            live + self.filling.len(),
            NP700_MAX_HANDLES,
            "{}: the table took {} configurations beside {live}",
            self.context,
            self.filling.len()
        );
        while let Some(token) = self.filling.pop() {
            // SAFETY: a live handle.
            let st = unsafe { np700_config_free(std::ptr::without_provenance_mut(token)) };
            self.status("np700_config_free", st);
            assert_eq!(st, NP700_OK, "{}: np700_config_free", self.context);
        }
    }

    fn describe(&mut self, status: i32, code: u32) {
        let text = status_text(status);
        assert!(!text.is_empty());
        static_text(np700_reject_reason_str(code), "np700_reject_reason_str");
        static_text(np700_announce_reason_str(code), "np700_announce_reason_str");
        let known = static_text(np700_reject_reason_str(code), "reject") != "unknown";
        assert_eq!(
            np700_reject_reason_sip_status(code) != 0,
            known,
            "{}: SIP status of reason {code}",
            self.context
        );
        let version = static_text(np700_version(), "np700_version");
        let number = np700_version_number();
        assert_eq!(
            number, NP700_VERSION_NUMBER,
            "{}: version number",
            self.context
        );
        assert_eq!(
            version,
            format!("{NP700_VERSION_MAJOR}.{NP700_VERSION_MINOR}.{NP700_VERSION_PATCH}"),
            "{}: version",
            self.context
        );
        let p = np700_policy_default();
        assert!(
            p.media == NP700_MEDIA_ALL
                && p.direction == NP700_DIRECTION_BOTH
                && p.record == 0
                && p.has_window == 0
                && p.allowed_callers.is_null()
                && p.allowed_callers_len == 0,
            "{}: default policy",
            self.context
        );
        // None of them touches the last error.
        assert_eq!(self.read_last_error(), self.last_error, "{}", self.context);
    }

    // -- provisioning and cleanup ----------------------------------------------------------------

    /// A registry with two tenants, numbers 0..4 licensed, 0 and 1 held by tenant 1, 2 and 3 by
    /// tenant 2 — through the same calls, each of which must succeed.
    fn provision(&mut self, shared: bool) {
        self.context = "provisioning".into();
        let c = self.config_new(OutPick::Valid).expect("np700_config_new");
        let ct = self.configs[c].token;
        // SAFETY: a live handle.
        let st = unsafe { np700_config_set_capacity(std::ptr::without_provenance_mut(ct), 0) };
        self.config_setter("np700_config_set_capacity", st, ct, Some(c));
        if shared {
            self.op(&Op::ConfigSetSharedPath(
                HandlePick::Made(c as u8),
                PathArg::Index(0),
            ));
        }
        let r = self
            .registry_new(HandlePick::Made(c as u8), OutPick::Valid)
            .expect("np700_registry_new");
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
        let model = &self.registries[r];
        assert!(
            model.owner.len() == 4 && model.licensed == 4,
            "provisioning: numbers"
        );
        if shared {
            self.reader_attach(PathArg::Index(0), OutPick::Valid);
            assert_eq!(self.readers.len(), 1, "provisioning: a reader");
        }
    }

    fn cleanup(&mut self) {
        for i in 0..self.followers.len() {
            if self.followers[i].live {
                let t = self.followers[i].token;
                // SAFETY: a live handle.
                let st = unsafe { np700_follower_free(std::ptr::without_provenance_mut(t)) };
                self.status("np700_follower_free", st);
                assert_eq!(st, NP700_OK, "cleanup: np700_follower_free");
                self.followers[i].live = false;
            }
        }
        for i in 0..self.readers.len() {
            if self.readers[i].live {
                let t = self.readers[i].token;
                // SAFETY: a live handle.
                let st = unsafe { np700_reader_free(std::ptr::without_provenance_mut(t)) };
                self.status("np700_reader_free", st);
                assert_eq!(st, NP700_OK, "cleanup: np700_reader_free");
                self.readers[i].live = false;
            }
        }
        for i in 0..self.registries.len() {
            if self.registries[i].live {
                let t = self.registries[i].token;
                // SAFETY: a live handle.
                let st = unsafe { np700_registry_free(std::ptr::without_provenance_mut(t)) };
                self.status("np700_registry_free", st);
                assert_eq!(st, NP700_OK, "cleanup: np700_registry_free");
                self.registries[i].live = false;
            }
        }
        for i in 0..self.configs.len() {
            if self.configs[i].live {
                let t = self.configs[i].token;
                // SAFETY: a live handle.
                let st = unsafe { np700_config_free(std::ptr::without_provenance_mut(t)) };
                self.status("np700_config_free", st);
                assert_eq!(st, NP700_OK, "cleanup: np700_config_free");
                self.configs[i].live = false;
            }
        }
    }
}

/// A run that failed a check still frees its handles, so that the runs after it in the same
/// process (a replay under `cargo test`) start from an empty handle table.
impl Drop for Run {
    fn drop(&mut self) {
        let configs = self.configs.iter().filter(|c| c.live).map(|c| c.token);
        for token in configs.chain(self.filling.iter().copied()) {
            // SAFETY: tokens only.
            unsafe { np700_config_free(std::ptr::without_provenance_mut(token)) };
        }
        for r in self.readers.iter().filter(|r| r.live) {
            // SAFETY: a token.
            unsafe { np700_reader_free(std::ptr::without_provenance_mut(r.token)) };
        }
        for f in self.followers.iter().filter(|f| f.live) {
            // SAFETY: a token.
            unsafe { np700_follower_free(std::ptr::without_provenance_mut(f.token)) };
        }
        for r in self.registries.iter().filter(|r| r.live) {
            // SAFETY: a token.
            unsafe { np700_registry_free(std::ptr::without_provenance_mut(r.token)) };
        }
    }
}

/// A list of codes: the pointer, the length, and the storage behind them.
fn code_list(l: &ListPick<CodePick>, map: impl Fn(u32) -> u32) -> (*const u32, usize, Vec<u32>) {
    match l {
        ListPick::Items(items) => {
            let v: Vec<u32> = items.iter().map(|c| map(c.0)).collect();
            (v.as_ptr(), v.len(), v)
        }
        ListPick::Null => (null(), 0, Vec::new()),
        ListPick::NullWithLen(n) => (null(), usize::from(*n) + 1, Vec::new()),
        ListPick::Misaligned(n) => {
            let v = vec![1u32; usize::from(*n % 8) + 2];
            let p = v.as_ptr().cast::<u8>().wrapping_add(1).cast::<u32>();
            (p, usize::from(*n % 8) + 1, v)
        }
        ListPick::TooLong(n) => {
            let v = vec![1u32; NP700_MAX_LIST_LEN + 1 + usize::from(*n)];
            (v.as_ptr(), v.len(), v)
        }
    }
}

fn same_decision(a: &np700_decision, b: &np700_decision) -> bool {
    (
        a.kind,
        a.mode,
        a.binding_id,
        a.tenant,
        a.record,
        a.digits_needed,
        a.sip_status,
        a.announce,
        a.reject,
        a.target_count,
        a.display,
        a.targets,
    ) == (
        b.kind,
        b.mode,
        b.binding_id,
        b.tenant,
        b.record,
        b.digits_needed,
        b.sip_status,
        b.announce,
        b.reject,
        b.target_count,
        b.display,
        b.targets,
    )
}

/// Tenants never mix: a routed decision of registry `r` goes through a live, active,
/// unexpired binding of the tenant holding the dialled number, from one of its parties (or
/// anyone, for AXN) to that binding's own counterpart, presenting its own number.
fn routed_through(
    r: &RegistryModel,
    d: &np700_decision,
    caller: Arg,
    dialed: Arg,
    now: u64,
) -> Result<(), String> {
    let u = match dialed.bytes().map(parse_dialed_bytes) {
        Some(Ok(DialedNumber::Usage(u))) => u,
        other => return Err(format!("routed {other:?}")),
    };
    let c = caller
        .utf8()
        .and_then(|t| SubscriberNumber::parse(t).ok())
        .ok_or("routed an unidentified caller")?;
    let b = r
        .bindings
        .get(&d.binding_id)
        .ok_or_else(|| format!("routed by unknown binding {}", d.binding_id))?;
    let what = format!("{c} → {u} at {now} routed by {} ({b:?})", d.binding_id);
    if b.ended {
        return Err(format!("{what}, which ended"));
    }
    if b.tenant != d.tenant {
        return Err(format!("{what}: decision names tenant {}", d.tenant));
    }
    let holder = r.owner.get(&u.management().value());
    if holder != Some(&d.tenant) {
        return Err(format!("{what}: {} is held by {holder:?}", u.management()));
    }
    if r.tenants.get(&d.tenant).map(|t| t.status) == Some(NP700_TENANT_SUSPENDED) {
        return Err(format!("{what}: tenant suspended"));
    }
    if b.status != NP700_BINDING_ACTIVE {
        return Err(format!("{what}: binding suspended"));
    }
    if b.expires_at <= now {
        return Err(format!("{what}: expired"));
    }
    if (d.mode, d.record) != (b.mode, b.record) {
        return Err(format!("{what}: mode or record {} {}", d.mode, d.record));
    }
    let (to, display) = b
        .leg(u, c)
        .ok_or_else(|| format!("{what}: the caller has no leg there"))?;
    let got_to: Vec<String> = d.targets[..d.target_count as usize]
        .iter()
        .map(|t| c_text(t, "target"))
        .collect();
    let want_to: Vec<String> = to
        .iter()
        .map(|t| t.to_digits().as_str().to_owned())
        .collect();
    if got_to != want_to {
        return Err(format!(
            "{what}: targets {got_to:?}, the binding's {want_to:?}"
        ));
    }
    if to.contains(&c) {
        return Err(format!("{what}: back to the caller"));
    }
    let got_display = c_text(&d.display, "display");
    if got_display != display.to_string() {
        return Err(format!(
            "{what}: display {got_display}, the binding's {display}"
        ));
    }
    Ok(())
}

/// Whether a policy is the default one: every medium, both directions, any time, any caller.
fn simple_policy(p: &np700_policy) -> bool {
    p.media == NP700_MEDIA_ALL
        && p.direction == NP700_DIRECTION_BOTH
        && p.has_window == 0
        && p.allowed_callers_len == 0
}
