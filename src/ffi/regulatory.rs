//! Regulatory controls for C: block lists, real-user reports, and the SMS rules — the
//! configuration of what an SMS may not be, and routing an SMS with its text so that they apply.

use super::args::{
    NP700_MAX_NUMBER_LEN, NP700_TIME_NEVER, Out, bytes_arg, expiry_arg, str_arg, time_arg,
};
use super::binding::NP700_MEDIA_SMS;
use super::config::{np700_config, with_settings};
use super::follower::{FOLLOWERS, np700_follower};
use super::reader::{READERS, np700_reader};
use super::registry::{execute, np700_registry, text_arg, with_registry};
use super::route::{RouteArgs, decision_of, np700_decision, route_args};
use super::status::{
    Failure, NP700_ERR_BAD_ENUM, NP700_ERR_BAD_NUMBER, NP700_ERR_INTERNAL, NP700_ERR_INVALID_FIELD,
    NP700_ERR_OUT_OF_RANGE, NP700_ERR_TOO_LONG, boundary, np700_status,
};
use crate::binding::BindingId;
use crate::command::Command;
use crate::control::block::{BlockDirection, BlockId, BlockRequest, BlockTarget};
use crate::control::sms::{
    MAX_CODE_DIGITS, MAX_KEYWORD_LEN, MAX_KEYWORDS, MAX_PREFIX_DIGITS, MAX_PREFIXES, SmsRules,
};
use crate::event::Event;
use crate::number::SubscriberNumber;
use crate::state::MAX_NOTE_LEN;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use std::ffi::c_char;

// ---- block lists ---------------------------------------------------------------------------

/// Which calls of a binding a binding block refuses (`NP700_BLOCK_*`). What A and B are, by
/// mode: AXB and AXYB: A and B; AXN: A and its default destination N (refused,
/// `NP700_ERR_INVALID_BLOCK_REQUEST`, when the binding has no N); GXB: each member of the group
/// and B (one rule per member).
#[allow(non_camel_case_types)]
pub type np700_block_direction = u32;
/// A's calls to B only.
pub const NP700_BLOCK_A_TO_B: np700_block_direction = 1;
/// B's calls to A only.
pub const NP700_BLOCK_B_TO_A: np700_block_direction = 2;
/// Both ways.
pub const NP700_BLOCK_BOTH: np700_block_direction = 3;

/// The longest block note accepted, in bytes.
pub const NP700_MAX_NOTE_LEN: usize = 256;
const _: () = assert!(NP700_MAX_NOTE_LEN == MAX_NOTE_LEN);

/// Tenant 0 is the platform operator.
fn asker(tenant: u32) -> Option<TenantId> {
    (tenant != 0).then(|| TenantId::from_raw(tenant))
}

/// A block's expiry: 0 or `NP700_TIME_NEVER` is none; else a time (at most `NP700_TIME_MAX`).
fn block_expiry(expires_at: u64) -> Result<Option<Timestamp>, Failure> {
    if expires_at == 0 || expires_at == NP700_TIME_NEVER {
        return Ok(None);
    }
    expiry_arg("expires_at", expires_at).map(Some)
}

/// A subscriber number argument (required).
///
/// # Safety
///
/// As `str_arg`.
unsafe fn subscriber_arg(
    what: &'static str,
    ptr: *const c_char,
    len: usize,
) -> Result<SubscriberNumber, Failure> {
    // SAFETY: forwarded from the caller.
    let s = unsafe { str_arg(what, ptr, len, NP700_MAX_NUMBER_LEN, NP700_ERR_TOO_LONG) }?;
    SubscriberNumber::parse(s).map_err(|e| Failure::number(what, e))
}

/// Carries out a block request; returns the id of its first rule.
fn block(
    registry: *const np700_registry,
    request: BlockRequest,
    now: Timestamp,
) -> Result<u64, Failure> {
    let events = execute(registry, &Command::Block(request), now)?;
    events
        .iter()
        .find_map(|e| match e {
            Event::Blocked { rule } => Some(rule.id.raw()),
            _ => None,
        })
        .ok_or(Failure::new(NP700_ERR_INTERNAL, "block", "no block event"))
}

/// What both block functions do once their target is read: checks the note, the expiry and
/// `now` (in that order), makes the rule and writes its id to `out`.
///
/// # Safety
///
/// `note` must be NULL or valid for reads of its length; `out` valid for a write.
unsafe fn submit(
    registry: *const np700_registry,
    tenant: u32,
    target: BlockTarget,
    expires_at: u64,
    (note, note_len): (*const c_char, usize),
    now: u64,
    out: Out<u64>,
) -> Result<(), Failure> {
    // SAFETY: the caller's promise.
    let note = unsafe { text_arg("note", note, note_len, MAX_NOTE_LEN) }?;
    let expires_at = block_expiry(expires_at)?;
    let now = time_arg("now", now)?;
    let request = BlockRequest {
        tenant: asker(tenant),
        target,
        expires_at,
        note,
    };
    let id = block(registry, request, now)?;
    // SAFETY: checked by Out::new; writable by the caller's promise.
    unsafe { out.write(id) };
    Ok(())
}

/// Blocks a caller at `now` and writes the new rule's id to `*block_id`. The rule refuses the
/// caller's calls and SMS (`NP700_REJECT_BLOCKED`, SIP 403) in every router of the registry,
/// its threads and the readers of its shared index, from the moment this returns.
///
/// - `tenant`: who asks. 0 is the platform operator: the rule applies on every binding, and
///   without a callee before anything is looked up (the caller learns nothing about which
///   numbers are live). A tenant's rule applies only on that tenant's bindings.
/// - `caller`: whose calls (any form a subscriber number takes; `NP700_ERR_BAD_NUMBER`).
/// - `callee`: to whom; `(NULL, 0)` is anyone. A call is refused when the binding would connect
///   it to the callee (any destination of a GXB group).
/// - `both_ways`: also the callee's calls to the caller (needs a callee).
/// - `expires_at`: when the rule stops applying (after `now`, at most `NP700_TIME_MAX`); 0 or
///   `NP700_TIME_NEVER` for until lifted.
/// - `note`: why (at most `NP700_MAX_NOTE_LEN` bytes of UTF-8 without control characters,
///   `NP700_ERR_INVALID_FIELD`; may be empty).
///
/// Refusals: `NP700_ERR_UNKNOWN_TENANT`, `NP700_ERR_INVALID_BLOCK_REQUEST` (a caller blocked
/// from itself, both ways without a callee), `NP700_ERR_EXPIRY_NOT_IN_FUTURE`,
/// `NP700_ERR_TOO_MANY_BLOCK_RULES` (65,536 rules in all, 8,192 per tenant). The rule is
/// journaled like any write; `np700_registry_lift_block()` removes it.
///
/// # Safety
///
/// `caller`, `callee` and `note` must be NULL or valid for reads of their lengths; `block_id`
/// valid for a write of one `uint64_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_registry_block_caller(
    registry: *const np700_registry,
    tenant: u32,
    caller: *const c_char,
    caller_len: usize,
    callee: *const c_char,
    callee_len: usize,
    both_ways: bool,
    expires_at: u64,
    note: *const c_char,
    note_len: usize,
    now: u64,
    block_id: *mut u64,
) -> np700_status {
    boundary("np700_registry_block_caller", || {
        let out = Out::new("block_id", block_id)?;
        // SAFETY: the caller's promises.
        let caller = unsafe { subscriber_arg("caller", caller, caller_len) }?;
        let callee = if callee_len == 0 {
            None
        } else {
            // SAFETY: the caller's promise.
            Some(unsafe { subscriber_arg("callee", callee, callee_len) }?)
        };
        let target = BlockTarget::Caller {
            caller,
            callee,
            both_ways,
        };
        // SAFETY: the caller's promises.
        unsafe {
            submit(
                registry,
                tenant,
                target,
                expires_at,
                (note, note_len),
                now,
                out,
            )
        }
    })
}

/// Blocks calls between the parties of one live binding, through that binding, at `now`
/// (`NP700_REJECT_BLOCKED`), and writes the id of the new rule to `*block_id`. A GXB binding
/// gets one rule per group member, with consecutive ids from `*block_id` in the group's order
/// (lift each).
///
/// - `tenant`: who asks: the binding's tenant (another is `NP700_ERR_CROSS_TENANT`), or 0 for
///   the platform operator (any binding).
/// - `direction`: an `NP700_BLOCK_*` value (else `NP700_ERR_BAD_ENUM`).
/// - `expires_at`, `note`: as for `np700_registry_block_caller()`.
///
/// Refusals besides those of `np700_registry_block_caller()`: `NP700_ERR_UNKNOWN_BINDING`,
/// `NP700_ERR_BINDING_ENDED`, `NP700_ERR_INVALID_BLOCK_REQUEST` (an AXN binding without N).
///
/// The rules belong to the binding's tenant, whoever made them: it may lift them (another
/// tenant may not), and they count against its 8,192 rules. A sweep removes them once the
/// binding has ended.
///
/// # Safety
///
/// `note` must be NULL or valid for reads of `note_len` bytes; `block_id` valid for a write of
/// one `uint64_t`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_registry_block_binding(
    registry: *const np700_registry,
    tenant: u32,
    binding_id: u64,
    direction: np700_block_direction,
    expires_at: u64,
    note: *const c_char,
    note_len: usize,
    now: u64,
    block_id: *mut u64,
) -> np700_status {
    boundary("np700_registry_block_binding", || {
        let out = Out::new("block_id", block_id)?;
        let direction = match direction {
            NP700_BLOCK_A_TO_B => BlockDirection::AToB,
            NP700_BLOCK_B_TO_A => BlockDirection::BToA,
            NP700_BLOCK_BOTH => BlockDirection::Both,
            _ => {
                return Err(Failure::new(
                    NP700_ERR_BAD_ENUM,
                    "direction",
                    "not an NP700_BLOCK_* value",
                ));
            }
        };
        let target = BlockTarget::Binding {
            binding: BindingId::from_raw(binding_id),
            direction,
        };
        // SAFETY: the caller's promises.
        unsafe {
            submit(
                registry,
                tenant,
                target,
                expires_at,
                (note, note_len),
                now,
                out,
            )
        }
    })
}

/// Lifts a block rule at `now`: calls it refused route again at once. `tenant` is who asks: a
/// tenant lifts only its own rules (`NP700_ERR_BLOCK_RULE_NOT_OWNED` for another tenant's or a
/// platform rule); 0, the platform operator, lifts any rule, automatic blocks included.
/// `NP700_ERR_UNKNOWN_BLOCK_RULE` for a rule never made, already lifted, or swept.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_lift_block(
    registry: *const np700_registry,
    tenant: u32,
    block_id: u64,
    now: u64,
) -> np700_status {
    boundary("np700_registry_lift_block", || {
        let now = time_arg("now", now)?;
        let command = Command::LiftBlock {
            tenant: asker(tenant),
            block: BlockId::from_raw(block_id),
        };
        execute(registry, &command, now).map(drop)
    })
}

// ---- real-user reports ---------------------------------------------------------------------

/// Sets at `now` whether a tenant requires real-user reports. While it does, its bindings whose
/// subscriber A (A in AXB, AXN and AXYB; in GXB, B) it has not reported with
/// `np700_registry_report_real_user()` may still be made but route nothing:
/// `NP700_REJECT_USER_NOT_REPORTED` (SIP 403). Setting what is already set changes nothing.
/// `NP700_ERR_UNKNOWN_TENANT` for a tenant that does not exist (0 included).
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_set_real_user_required(
    registry: *const np700_registry,
    tenant: u32,
    required: bool,
    now: u64,
) -> np700_status {
    boundary("np700_registry_set_real_user_required", || {
        let now = time_arg("now", now)?;
        let command = Command::SetRealUserRequired {
            tenant: TenantId::from_raw(tenant),
            required,
        };
        execute(registry, &command, now).map(drop)
    })
}

/// Records at `now` that `tenant` reported `subscriber` as a real user (`reported` true), or
/// withdraws the report (false); effective at once for the tenant's bindings whose subscriber A
/// it is. Recording what is already recorded changes nothing. `subscriber` is a subscriber
/// number in any form (`NP700_ERR_BAD_NUMBER`); `NP700_ERR_UNKNOWN_TENANT` for a tenant that
/// does not exist.
///
/// # Safety
///
/// `subscriber` must be NULL or valid for reads of `subscriber_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_report_real_user(
    registry: *const np700_registry,
    tenant: u32,
    subscriber: *const c_char,
    subscriber_len: usize,
    reported: bool,
    now: u64,
) -> np700_status {
    boundary("np700_registry_report_real_user", || {
        // SAFETY: the caller's promise.
        let subscriber = unsafe { subscriber_arg("subscriber", subscriber, subscriber_len) }?;
        let now = time_arg("now", now)?;
        let command = Command::ReportRealUser {
            tenant: TenantId::from_raw(tenant),
            subscriber,
            reported,
        };
        execute(registry, &command, now).map(drop)
    })
}

// ---- SMS rules -------------------------------------------------------------------------------

/// The most commercial sender prefixes a configuration holds.
pub const NP700_MAX_SMS_PREFIXES: usize = 32;
const _: () = assert!(NP700_MAX_SMS_PREFIXES == MAX_PREFIXES);
/// The most digits of one commercial sender prefix.
pub const NP700_MAX_SMS_PREFIX_DIGITS: usize = 16;
const _: () = assert!(NP700_MAX_SMS_PREFIX_DIGITS == MAX_PREFIX_DIGITS);
/// The most verification-code keywords a configuration holds.
pub const NP700_MAX_SMS_KEYWORDS: usize = 64;
const _: () = assert!(NP700_MAX_SMS_KEYWORDS == MAX_KEYWORDS);
/// The longest verification-code keyword, in bytes of UTF-8.
pub const NP700_MAX_SMS_KEYWORD_LEN: usize = 64;
const _: () = assert!(NP700_MAX_SMS_KEYWORD_LEN == MAX_KEYWORD_LEN);
/// The longest digit run the verification-code rule may look for.
pub const NP700_MAX_SMS_CODE_DIGITS: u32 = 32;
const _: () = assert!(NP700_MAX_SMS_CODE_DIGITS == MAX_CODE_DIGITS as u32);
/// The longest SMS text `np700_route_message()` takes, in bytes (a concatenated SMS of 255
/// parts is under 40 KiB).
pub const NP700_MAX_SMS_TEXT_LEN: usize = 65_536;

fn with_sms(
    config: *mut np700_config,
    f: impl FnOnce(&mut SmsRules) -> Result<(), Failure>,
) -> Result<(), Failure> {
    with_settings(config, |s| f(&mut s.core.sms))
}

/// Adds a commercial sender prefix: an SMS whose sender's national number (after any
/// `+86`/`0086`/`86`) starts with it is refused, `NP700_REJECT_COMMERCIAL_SENDER` (SIP 403).
/// `prefix` is 1 ..= `NP700_MAX_SMS_PREFIX_DIGITS` ASCII digits (empty or other characters:
/// `NP700_ERR_BAD_NUMBER`; longer: `NP700_ERR_TOO_LONG`). A prefix already there is not added
/// twice; one past `NP700_MAX_SMS_PREFIXES` is `NP700_ERR_TOO_LONG` (and changes nothing).
///
/// The default configuration has `106` (China's enterprise and bulk SMS ports) and the
/// verification-code keywords of simplified and traditional Chinese and English; start from
/// `np700_config_clear_sms_rules()` to set your own.
///
/// # Safety
///
/// `prefix` must be NULL or valid for reads of `prefix_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_add_sms_sender_prefix(
    config: *mut np700_config,
    prefix: *const c_char,
    prefix_len: usize,
) -> np700_status {
    boundary("np700_config_add_sms_sender_prefix", || {
        // SAFETY: the caller's promise.
        let prefix = unsafe {
            str_arg(
                "prefix",
                prefix,
                prefix_len,
                NP700_MAX_SMS_PREFIX_DIGITS,
                NP700_ERR_TOO_LONG,
            )
        }?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Failure::new(
                NP700_ERR_BAD_NUMBER,
                "prefix",
                "not 1 to 16 ASCII digits",
            ));
        }
        with_sms(config, |r| {
            if r.commercial_prefixes.iter().any(|p| p == prefix) {
                return Ok(());
            }
            if r.commercial_prefixes.len() >= NP700_MAX_SMS_PREFIXES {
                return Err(Failure::new(
                    NP700_ERR_TOO_LONG,
                    "prefixes",
                    "the configuration holds NP700_MAX_SMS_PREFIXES prefixes already",
                ));
            }
            r.commercial_prefixes.push(prefix.to_owned());
            Ok(())
        })
    })
}

/// Adds a verification-code keyword: an SMS whose text (see `np700_route_message()`) has a
/// keyword and a run of digits of the configured length (`np700_config_set_sms_code_digits()`,
/// default 4 to 8; ASCII or full-width digits, not part of a longer run) is refused,
/// `NP700_REJECT_VERIFICATION_CODE` (SIP 403). Matched ASCII case-insensitively, other bytes
/// exactly; an ASCII letter at either end must not touch another letter in the text.
///
/// `keyword` is 1 ..= `NP700_MAX_SMS_KEYWORD_LEN` bytes of UTF-8 (empty or longer:
/// `NP700_ERR_INVALID_FIELD`; not UTF-8: `NP700_ERR_INVALID_UTF8`). A keyword already there is
/// not added twice; one past `NP700_MAX_SMS_KEYWORDS` is `NP700_ERR_TOO_LONG`.
///
/// # Safety
///
/// `keyword` must be NULL or valid for reads of `keyword_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_add_sms_code_keyword(
    config: *mut np700_config,
    keyword: *const c_char,
    keyword_len: usize,
) -> np700_status {
    boundary("np700_config_add_sms_code_keyword", || {
        // SAFETY: the caller's promise.
        let keyword = unsafe {
            str_arg(
                "keyword",
                keyword,
                keyword_len,
                NP700_MAX_SMS_KEYWORD_LEN,
                NP700_ERR_INVALID_FIELD,
            )
        }?;
        if keyword.is_empty() {
            return Err(Failure::new(
                NP700_ERR_INVALID_FIELD,
                "keyword",
                "empty (it would match every text)",
            ));
        }
        with_sms(config, |r| {
            if r.code_keywords.iter().any(|k| k == keyword) {
                return Ok(());
            }
            if r.code_keywords.len() >= NP700_MAX_SMS_KEYWORDS {
                return Err(Failure::new(
                    NP700_ERR_TOO_LONG,
                    "keywords",
                    "the configuration holds NP700_MAX_SMS_KEYWORDS keywords already",
                ));
            }
            r.code_keywords.push(keyword.to_owned());
            Ok(())
        })
    })
}

/// Sets the length of a verification code's digit run: `min` ..= `max` digits, with
/// `1 <= min <= max <= NP700_MAX_SMS_CODE_DIGITS` (else `NP700_ERR_OUT_OF_RANGE`). Default 4
/// to 8.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_sms_code_digits(
    config: *mut np700_config,
    min: u32,
    max: u32,
) -> np700_status {
    boundary("np700_config_set_sms_code_digits", || {
        if min == 0 || min > max || max > NP700_MAX_SMS_CODE_DIGITS {
            return Err(Failure::new(
                NP700_ERR_OUT_OF_RANGE,
                "min, max",
                "need 1 <= min <= max <= NP700_MAX_SMS_CODE_DIGITS",
            ));
        }
        with_sms(config, |r| {
            // Both fit: at most 32.
            r.code_digits = (min as u8, max as u8);
            Ok(())
        })
    })
}

/// Removes every commercial sender prefix and verification-code keyword (the digit run goes
/// back to 4 to 8): SMS are then refused for neither. Add your own with
/// `np700_config_add_sms_sender_prefix()` and `np700_config_add_sms_code_keyword()`.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_clear_sms_rules(config: *mut np700_config) -> np700_status {
    boundary("np700_config_clear_sms_rules", || {
        with_sms(config, |r| {
            *r = SmsRules::none();
            Ok(())
        })
    })
}

/// The text argument of an SMS route.
///
/// # Safety
///
/// As `bytes_arg`.
unsafe fn text_bytes<'a>(text: *const c_char, text_len: usize) -> Result<&'a [u8], Failure> {
    // SAFETY: forwarded from the caller.
    unsafe {
        bytes_arg(
            "text",
            text,
            text_len,
            NP700_MAX_SMS_TEXT_LEN,
            NP700_ERR_TOO_LONG,
        )
    }
}

/// The arguments of the three `route_message` functions, checked in the same order: those of a
/// route (media SMS), then the text.
///
/// # Safety
///
/// `caller`, `dialed` and `text` NULL or valid for reads of their lengths.
#[allow(clippy::too_many_arguments)]
unsafe fn message_args<'a>(
    caller: *const c_char,
    caller_len: usize,
    dialed: *const c_char,
    dialed_len: usize,
    text: *const c_char,
    text_len: usize,
    now: u64,
    out: *mut np700_decision,
) -> Result<(RouteArgs<'a>, &'a [u8]), Failure> {
    // SAFETY: the caller's promises.
    let args = unsafe {
        route_args(
            caller,
            caller_len,
            dialed,
            dialed_len,
            NP700_MEDIA_SMS,
            now,
            out,
        )
    }?;
    // SAFETY: the caller's promise.
    let text = unsafe { text_bytes(text, text_len) }?;
    Ok((args, text))
}

/// Routes an SMS whose text the switch has, into `*out`: as `np700_route()` with
/// `NP700_MEDIA_SMS`, after the configuration's SMS rules — an SMS from a commercial sender is
/// refused with `NP700_REJECT_COMMERCIAL_SENDER`, one whose text looks like a verification code
/// with `NP700_REJECT_VERIFICATION_CODE` (both SIP 403), before the binding is looked up.
/// (`np700_route()` with `NP700_MEDIA_SMS` applies the sender rule only.)
///
/// - `caller`, `dialed`, `now`: as for `np700_route()`.
/// - `text`, `text_len`: the message's bytes as the switch has them (UTF-8 normally; invalid
///   UTF-8 is scanned like any bytes, not an error), at most `NP700_MAX_SMS_TEXT_LEN`
///   (`NP700_ERR_TOO_LONG`); `(NULL, 0)` is an empty text.
///
/// Lock-free; allocates nothing.
///
/// # Safety
///
/// `caller`, `dialed` and `text` must be NULL or valid for reads of their lengths; `out` valid
/// for a write of one `np700_decision`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_route_message(
    registry: *const np700_registry,
    caller: *const c_char,
    caller_len: usize,
    dialed: *const c_char,
    dialed_len: usize,
    text: *const c_char,
    text_len: usize,
    now: u64,
    out: *mut np700_decision,
) -> np700_status {
    boundary("np700_route_message", || {
        // SAFETY: the caller's promises.
        let (a, text) = unsafe {
            message_args(
                caller, caller_len, dialed, dialed_len, text, text_len, now, out,
            )
        }?;
        let decision = with_registry(registry, |r| {
            r.route_message(a.caller, a.dialed, text, a.now)
        })?;
        // SAFETY: checked in route_args; writable by the caller's promise.
        unsafe { a.out.write(decision_of(decision)) };
        Ok(())
    })
}

/// Routes an SMS with its text from the shared index, exactly as `np700_route_message()` does
/// from the registry (the writer's SMS rules, limits and records apply). Lock-free, as
/// `np700_reader_route()`.
///
/// # Safety
///
/// As `np700_route_message()`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_reader_route_message(
    reader: *const np700_reader,
    caller: *const c_char,
    caller_len: usize,
    dialed: *const c_char,
    dialed_len: usize,
    text: *const c_char,
    text_len: usize,
    now: u64,
    out: *mut np700_decision,
) -> np700_status {
    boundary("np700_reader_route_message", || {
        // SAFETY: the caller's promises.
        let (a, text) = unsafe {
            message_args(
                caller, caller_len, dialed, dialed_len, text, text_len, now, out,
            )
        }?;
        let decision = READERS.with("reader", reader, |r| {
            r.route_message(a.caller, a.dialed, text, a.now)
        })?;
        // SAFETY: checked in route_args; writable by the caller's promise.
        unsafe { a.out.write(decision_of(decision)) };
        Ok(())
    })
}

/// Routes an SMS with its text on the follower's index, exactly as `np700_route_message()`
/// does on a registry (with the SMS rules of the follower's configuration). Lock-free.
///
/// # Safety
///
/// As `np700_route_message()`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn np700_follower_route_message(
    follower: *const np700_follower,
    caller: *const c_char,
    caller_len: usize,
    dialed: *const c_char,
    dialed_len: usize,
    text: *const c_char,
    text_len: usize,
    now: u64,
    out: *mut np700_decision,
) -> np700_status {
    boundary("np700_follower_route_message", || {
        // SAFETY: the caller's promises.
        let (a, text) = unsafe {
            message_args(
                caller, caller_len, dialed, dialed_len, text, text_len, now, out,
            )
        }?;
        let decision = FOLLOWERS.with("follower", follower, |f| {
            f.route_message(a.caller, a.dialed, text, a.now)
        })?;
        // SAFETY: checked in route_args; writable by the caller's promise.
        unsafe { a.out.write(decision_of(decision)) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::super::config::{np700_config_free, np700_config_new, settings};
    use super::*;

    #[test]
    fn sms_setters_build_rules_that_validate() {
        let mut cfg: *mut np700_config = std::ptr::null_mut();
        unsafe {
            assert_eq!(np700_config_new(&mut cfg), 0);
            assert_eq!(np700_config_clear_sms_rules(cfg), 0);
            for i in 0..NP700_MAX_SMS_PREFIXES {
                let p = format!("95{i}");
                let st = np700_config_add_sms_sender_prefix(cfg, p.as_ptr().cast(), p.len());
                assert_eq!(st, 0);
            }
            let st = np700_config_add_sms_sender_prefix(cfg, c"950".as_ptr(), 3);
            assert_eq!(st, 0, "a duplicate is not added");
            let st = np700_config_add_sms_sender_prefix(cfg, c"106".as_ptr(), 3);
            assert_eq!(st, NP700_ERR_TOO_LONG);
            let st = np700_config_add_sms_sender_prefix(cfg, c"10a".as_ptr(), 3);
            assert_eq!(st, NP700_ERR_BAD_NUMBER);
            let kw = "验证码";
            let st = np700_config_add_sms_code_keyword(cfg, kw.as_ptr().cast(), kw.len());
            assert_eq!(st, 0);
            let st = np700_config_add_sms_code_keyword(cfg, kw.as_ptr().cast(), 0);
            assert_eq!(st, NP700_ERR_INVALID_FIELD);
            assert_eq!(np700_config_set_sms_code_digits(cfg, 6, 6), 0);
            assert_eq!(
                np700_config_set_sms_code_digits(cfg, 7, 6),
                NP700_ERR_OUT_OF_RANGE
            );
            let sms = settings(cfg).unwrap().core.sms;
            assert_eq!(sms.validate(), Ok(()));
            assert_eq!(sms.commercial_prefixes.len(), NP700_MAX_SMS_PREFIXES);
            assert_eq!(sms.code_keywords, vec![kw.to_owned()]);
            assert_eq!(sms.code_digits, (6, 6));
            assert_eq!(np700_config_free(cfg), 0);
        }
    }
}
