#![forbid(unsafe_code)]
//! Numbers a 700 privacy-number switch handles: the segment's own management and usage
//! numbers, and the real parties' (subscriber) numbers they are bound to.
//!
//! # The 700 segment
//!
//! * A [`ManagementNumber`] is `700` + 8 digits (11 digits), assigned by the regulator to
//!   a platform.
//! * A [`UsageNumber`] is a management number + a 4-digit sub-number (15 digits), so each
//!   management number carries [`USAGE_PER_MANAGEMENT`] usage numbers. Usage numbers are
//!   what callers dial.
//! * `+86` + 15 digits is 17 digits, beyond E.164's 15-digit limit, so the national form
//!   (`700…`) is the canonical form of usage numbers; they have no E.164 form.
//!
//! # Dial strings
//!
//! Every parser accepts what switches hand over: national digits, `+86…`, `0086…`,
//! `86…`, with spaces, `-`, `.`, `(`, `)` as visual separators, or a `tel:`/`sip:`/`sips:`
//! URI (scheme case-insensitive; the user part ends at `@` or `;`). A `+` may appear once,
//! before the first digit. Anything else is [`NumberError::InvalidCharacter`] with its
//! byte offset. [`parse_dialed`] classifies a possibly partial 700 dial string into a
//! [`DialedNumber`] so overlap-dialling switches know how many digits to wait for.
//!
//! # Subscriber numbers
//!
//! [`SubscriberNumber`] normalises caller IDs and bound numbers to E.164:
//!
//! * Chinese mobile: NSN `1[3-9]` + 9 digits.
//! * Chinese fixed line: area code `10` or `2x` with an 8-digit local number, or `[3-9]xx`
//!   except `86x` with a 7- or 8-digit local number; with or without the trunk `0`. The
//!   local number may start with any digit. A trunk `0` after `+86`/`0086`/`86`, or before
//!   a mobile, is tolerated and dropped.
//! * A bare `86…` is country code + NSN. There is no national reading to fall back to:
//!   no area code starts with `86`, which is what keeps the two readings apart.
//! * International (`+`/`00` and a country code other than 86): 7..=15 digits, first
//!   digit non-zero; country codes are not checked against the ITU list.
//! * `700…` numbers are refused with [`NumberError::PrivacySegment`]: binding a privacy
//!   number as a party would loop calls through the platform.
//!
//! ## Deliberate differences from libphonenumber
//!
//! The tests use libphonenumber's metadata as an oracle. Our rules are shape rules, not
//! per-range tables, so that newly allocated ranges work without a data update:
//!
//! * More permissive: every `1[3-9]` mobile prefix, every `2x` and `[3-9]xx` area code
//!   (but `86x`), and a local number may start with any digit (libphonenumber itself accepts local
//!   numbers starting with `0` or `1` in many areas, e.g. `010 0123 4567`). 400/800
//!   numbers fit the fixed-line shape and are reported as fixed lines.
//! * Stricter: area-code service numbers with NSNs shorter than 10 digits (`010 95588`)
//!   are not subscriber lines and are refused; carrier-select prefixes (`17951…`) are
//!   dialling artefacts and are not stripped; only one redundant trunk `0` is dropped.
//!   Toll-free, premium and 12-digit numbers are not parties and are out of scope.
//!
//! Where both accept a number, the E.164 value is the same.
//!
//! # Guarantees
//!
//! Parsing never allocates and never panics: one pass over the input, eight bytes at a time,
//! accumulates the digits into an integer and keeps the first eight for the prefix rules;
//! it stops at the 20th digit (more than the longest possible number, `0086` + 15 digits),
//! and the `&[u8]` entry points treat any non-ASCII byte as an invalid character.

mod dial;
mod error;
mod seven_hundred;
mod subscriber;

pub use dial::{DialedNumber, parse_dialed, parse_dialed_bytes};
pub use error::NumberError;
pub use seven_hundred::{
    MANAGEMENT_LEN, ManagementNumber, USAGE_LEN, USAGE_PER_MANAGEMENT, UsageNumber,
};
pub use subscriber::{E164Digits, SubscriberKind, SubscriberNumber};
