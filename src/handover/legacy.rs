//! Legacy middle-number bindings moved onto 700 numbers during the transition period.
//!
//! A platform that ran privacy numbers on ordinary middle numbers (an 11-digit mobile-range
//! number such as a 170/171 number, or a 95 short number) exports its live bindings as JSON
//! lines, one binding per line; [`migrate`] gives each a 700 usage number of the tenant —
//! from a caller's table, or picked automatically — and makes it through the normal bind path
//! ([`Command::Bind`]: validated and journaled like any other binding).
//! Each line gets its own outcome in a [`LegacyReport`]: the binding made, or why it could not
//! be ([`LegacyRefusal`]). Lines are independent: a refused line does not stop the others.
//!
//! # The record format
//!
//! One JSON object per line (UTF-8; blank lines are skipped and get no entry; line numbers count
//! every line from 1):
//!
//! ```json
//! {"middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "13900000002", "expires_at": 1767312000, "order_id": "o-1", "consent_ref": "c-1"}
//! {"middle": "95013001", "mode": "AXN", "a": "13800000003", "n": "13900000004", "expires_at": 1767312000, "consent_ref": "c-2"}
//! {"middle": "17012345679", "middle_y": "17012345680", "mode": "AXYB", "a": "13800000005", "b": "13900000006", "expires_at": 1767312000, "consent_ref": "c-3"}
//! {"middle": "17012345681", "mode": "GXB", "group": ["13800000007", "13800000008"], "b": "13900000009", "expires_at": 1767312000, "consent_ref": "c-4"}
//! ```
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `middle` | yes | the legacy middle number X (a string or integer): an 11-digit mobile-range number `1[3-9]…` (a `+86`, `0086` or `86` prefix, spaces and `-` allowed) or a 95 number of 5 to 8 digits |
//! | `middle_y` | AXYB | the legacy number Y that A dials to reach B |
//! | `mode` | yes | `AXB`, `AXN`, `AXYB` or `GXB` (any case) |
//! | `a` | AXB, AXN, AXYB | party A (any shape [`SubscriberNumber::parse`] accepts) |
//! | `b` | AXB, AXYB, GXB | party B |
//! | `n` | no | AXN: where A's own calls go (absent: refused) |
//! | `group` | GXB | the group's members in ringing order (1 to 8) |
//! | `expires_at` | yes | Unix seconds; a binding already expired is not migrated |
//! | `order_id` | no | the order it serves (at most 64 bytes) |
//! | `consent_ref` | yes | the reference of the user's consent (not empty; at most 64 bytes) |
//! | `external_ref` | no | the platform's reference; absent, it is `legacy:<middle>` |
//!
//! Other fields are ignored. Every migrated binding gets [`LegacyOptions::policy`].
//!
//! # Mapping onto 700 numbers
//!
//! [`LegacyOptions::table`] maps a legacy number to a [`LegacyTarget`]: one usage number, any
//! usage number of one management number (tried in order, so the bindings of one legacy number
//! gather on the fewest 700 numbers), or automatic selection among all of the tenant's numbers
//! (the allocator's usual choice, preferring a number the first party already has). Legacy
//! numbers not in the table go to [`LegacyOptions::unlisted`], or are refused when it is `None`.
//!
//! ```
//! use np700::handover::legacy::{self, LegacyOptions};
//! use np700::{Command, Config, LicensedBlock, ManagementNumber, Registry, TenantId, Timestamp};
//! use np700::index::layout::Capacity;
//!
//! let now = Timestamp::from_unix_secs(1_767_225_600);
//! let registry = Registry::new(Config::default(), Capacity::for_bindings(1_000));
//! let m = ManagementNumber::new(70012340000).unwrap();
//! for c in [
//!     Command::RegisterTenant { name: "parcels".into(), scenarios: vec![], pair_cap: None },
//!     Command::LicenseBlock(LicensedBlock { first: m, count: 1 }),
//!     Command::AssignNumber { tenant: TenantId::from_raw(1), number: m, tags: vec![] },
//! ] {
//!     registry.execute(&c, now).unwrap();
//! }
//! let input = r#"{"middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "13900000002", "expires_at": 1767312000, "consent_ref": "c-1"}
//! {"middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "13900000003", "expires_at": 1767312000}"#;
//! let report = legacy::migrate_into(&registry, input, &LegacyOptions::automatic(TenantId::from_raw(1)), now);
//! assert_eq!(report.migrated(), 1);
//! let (line, why) = report.refused().next().unwrap();
//! assert_eq!((line, why.to_string().as_str()), (2, "no consent reference"));
//! ```
#![forbid(unsafe_code)]

use crate::binding::{Binding, BindingId, Parties, Policy};
use crate::command::{BindRequest, Command};
use crate::error::Error;
use crate::event::Event;
use crate::number::{ManagementNumber, SubscriberNumber, UsageNumber};
use crate::pool::{NumberChoice, Selection, TagMatch};
use crate::registry::Registry;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A legacy middle number, normalised: the 11 digits of a mobile-range number, or the digits of
/// a 95 number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LegacyNumber(String);

impl LegacyNumber {
    /// Parses a legacy middle number: an 11-digit mobile-range number `1[3-9]…` (with an
    /// optional `+86`, `0086` or `86` prefix; spaces and `-` ignored) or a 95 number of 5 to 8
    /// digits. A 700 number is not a legacy number.
    pub fn parse(text: &str) -> Result<LegacyNumber, &'static str> {
        let mut digits = String::with_capacity(text.len());
        for (i, c) in text.trim().char_indices() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                '+' if i == 0 => {}
                _ => return Err("holds a character that is not a digit"),
            }
        }
        let national = if digits.len() == 15 && digits.starts_with("0086") {
            &digits[4..]
        } else if digits.len() == 13 && digits.starts_with("86") {
            &digits[2..]
        } else {
            &digits[..]
        };
        let mobile = national.len() == 11
            && national.starts_with('1')
            && matches!(national.as_bytes()[1], b'3'..=b'9');
        let ninety_five = national.starts_with("95") && (5..=8).contains(&national.len());
        if national.starts_with("700") {
            return Err("a 700 number is not a legacy middle number");
        }
        if mobile || ninety_five {
            Ok(LegacyNumber(national.to_owned()))
        } else {
            Err("neither an 11-digit mobile-range number nor a 95 number of 5 to 8 digits")
        }
    }

    /// The normalised digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LegacyNumber {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        LegacyNumber::parse(&s)
    }
}

impl From<LegacyNumber> for String {
    fn from(n: LegacyNumber) -> String {
        n.0
    }
}

impl fmt::Display for LegacyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A number field of a record: a JSON string, or an integer (as some exports write them).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumberText {
    /// As a string.
    Text(String),
    /// As an integer.
    Integer(u64),
}

impl NumberText {
    fn text(&self) -> String {
        match self {
            NumberText::Text(s) => s.clone(),
            NumberText::Integer(n) => n.to_string(),
        }
    }
}

/// One line of the legacy format, as read (every field optional here, so a missing one is
/// reported by name; see the [module docs](self) for which are required).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LegacyRecord {
    /// The legacy middle number X.
    #[serde(default)]
    pub middle: Option<NumberText>,
    /// AXYB: the legacy number Y.
    #[serde(default)]
    pub middle_y: Option<NumberText>,
    /// `AXB`, `AXN`, `AXYB` or `GXB`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Party A.
    #[serde(default)]
    pub a: Option<NumberText>,
    /// Party B.
    #[serde(default)]
    pub b: Option<NumberText>,
    /// AXN: the default destination N.
    #[serde(default)]
    pub n: Option<NumberText>,
    /// GXB: the group, in ringing order.
    #[serde(default)]
    pub group: Option<Vec<NumberText>>,
    /// Expiry, Unix seconds.
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// The order id.
    #[serde(default)]
    pub order_id: Option<String>,
    /// The consent reference.
    #[serde(default)]
    pub consent_ref: Option<String>,
    /// The platform's reference.
    #[serde(default)]
    pub external_ref: Option<String>,
}

/// Where the bindings of a legacy number go.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LegacyTarget {
    /// This usage number.
    Usage(UsageNumber),
    /// The first usage number of this management number (in order) that takes the binding.
    Management(ManagementNumber),
    /// Automatic selection among the tenant's numbers ([`LegacyOptions::tag`] applies).
    Automatic,
}

/// How to migrate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LegacyOptions {
    /// The tenant the bindings are made for.
    pub tenant: TenantId,
    /// Legacy numbers with a target of their own.
    pub table: BTreeMap<LegacyNumber, LegacyTarget>,
    /// Where legacy numbers not in the table go; `None` refuses them
    /// ([`LegacyRefusal::Unmapped`]).
    pub unlisted: Option<LegacyTarget>,
    /// Tag matching for automatic selection.
    pub tag: Option<TagMatch>,
    /// The policy of every migrated binding.
    pub policy: Policy,
}

impl LegacyOptions {
    /// Automatic selection for every legacy number, the default policy.
    pub fn automatic(tenant: TenantId) -> LegacyOptions {
        LegacyOptions {
            tenant,
            table: BTreeMap::new(),
            unlisted: Some(LegacyTarget::Automatic),
            tag: None,
            policy: Policy::default(),
        }
    }
}

/// Why a legacy line was not migrated.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
pub enum LegacyRefusal {
    /// The line is not a JSON object of the record format (or a field has the wrong type).
    #[error("malformed line: {0}")]
    MalformedLine(String),
    /// A field the mode requires is absent.
    #[error("missing field {0}")]
    MissingField(String),
    /// A number field does not parse.
    #[error("malformed number in {field} ({value:?}): {why}")]
    MalformedNumber {
        /// The field (`middle`, `middle_y`, `a`, `b`, `n`, `group`).
        field: String,
        /// Its text.
        value: String,
        /// Why it is refused.
        why: String,
    },
    /// The mode is not one of `AXB`, `AXN`, `AXYB`, `GXB`.
    #[error("unknown mode {0:?}")]
    UnknownMode(String),
    /// No consent reference (absent or empty): no binding is made without the user's consent.
    #[error("no consent reference")]
    MissingConsent,
    /// The binding has already expired.
    #[error("expired already at {expires_at} (now {now})")]
    ExpiredAlready {
        /// Its expiry.
        expires_at: Timestamp,
        /// Now.
        now: Timestamp,
    },
    /// The legacy number is not in the table and unlisted numbers are refused.
    #[error("legacy number {0} has no 700 number in the mapping table")]
    Unmapped(LegacyNumber),
    /// No 700 usage number is left for it (the tenant's numbers, or the target management
    /// number's, are all taken for these parties).
    #[error("no 700 number left: {0}")]
    NoNumberLeft(String),
    /// The 700 number it maps to cannot carry it (a party already sees it, it is exclusive or
    /// full, or a quarantine holds it back).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The bind path refused it for another reason (invalid parties or policy, a reference too
    /// long, the tenant not active, a number not the tenant's, …).
    #[error("refused: {0}")]
    Refused(String),
}

/// What became of one line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LegacyOutcome {
    /// Migrated: the binding made and its 700 numbers.
    Migrated {
        /// The new binding.
        binding: BindingId,
        /// The usage number replacing the legacy X.
        x: UsageNumber,
        /// AXYB: the usage number replacing the legacy Y.
        y: Option<UsageNumber>,
    },
    /// Not migrated, and why.
    Refused(LegacyRefusal),
}

/// One line's entry in the report.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LegacyLine {
    /// The line number (from 1).
    pub line: usize,
    /// What became of it.
    pub outcome: LegacyOutcome,
}

/// What a migration did: one entry per non-blank input line, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LegacyReport {
    /// The lines.
    pub lines: Vec<LegacyLine>,
}

impl LegacyReport {
    /// How many lines were migrated.
    pub fn migrated(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l.outcome, LegacyOutcome::Migrated { .. }))
            .count()
    }

    /// The lines not migrated: (line number, why).
    pub fn refused(&self) -> impl Iterator<Item = (usize, &LegacyRefusal)> + '_ {
        self.lines.iter().filter_map(|l| match &l.outcome {
            LegacyOutcome::Refused(why) => Some((l.line, why)),
            LegacyOutcome::Migrated { .. } => None,
        })
    }
}

/// Migrates the JSON lines of `input` for `options.tenant` at `now`, making each binding with
/// `bind` (the normal bind path: e.g. [`Registry::bind`], or [`crate::State::execute`] of
/// [`Command::Bind`]). See [`migrate_into`] for a registry.
pub fn migrate(
    input: &str,
    options: &LegacyOptions,
    now: Timestamp,
    mut bind: impl FnMut(BindRequest) -> Result<Binding, Error>,
) -> LegacyReport {
    let mut report = LegacyReport::default();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let outcome = match migrate_line(line, options, now, &mut bind) {
            Ok(outcome) => outcome,
            Err(why) => LegacyOutcome::Refused(why),
        };
        report.lines.push(LegacyLine {
            line: i + 1,
            outcome,
        });
    }
    report
}

/// [`migrate`] into a registry: each binding is a [`Command::Bind`] through
/// [`Registry::execute`].
pub fn migrate_into(
    registry: &Registry,
    input: &str,
    options: &LegacyOptions,
    now: Timestamp,
) -> LegacyReport {
    migrate(input, options, now, |request| {
        let events = registry.execute(&Command::Bind(request), now)?;
        match events.into_iter().last() {
            Some(Event::Bound { binding }) => Ok(binding),
            _ => Err(Error::IndexFull),
        }
    })
}

fn missing(field: &str) -> LegacyRefusal {
    LegacyRefusal::MissingField(field.to_owned())
}

fn subscriber(field: &str, value: &Option<NumberText>) -> Result<SubscriberNumber, LegacyRefusal> {
    let text = value.as_ref().ok_or_else(|| missing(field))?.text();
    SubscriberNumber::parse(&text).map_err(|e| LegacyRefusal::MalformedNumber {
        field: field.to_owned(),
        value: text.clone(),
        why: e.to_string(),
    })
}

fn legacy_number(field: &str, value: &Option<NumberText>) -> Result<LegacyNumber, LegacyRefusal> {
    let text = value.as_ref().ok_or_else(|| missing(field))?.text();
    LegacyNumber::parse(&text).map_err(|why| LegacyRefusal::MalformedNumber {
        field: field.to_owned(),
        value: text.clone(),
        why: why.to_owned(),
    })
}

/// The usage numbers a target offers, tried in order.
enum Candidates {
    /// One choice (a given number, or automatic selection).
    One(NumberChoice),
    /// The usage numbers of a management number, from this sub-number on.
    Range(ManagementNumber, u16),
}

impl Candidates {
    fn of(
        target: &LegacyTarget,
        options: &LegacyOptions,
        sticky: Option<SubscriberNumber>,
    ) -> Self {
        match target {
            LegacyTarget::Usage(x) => Candidates::One(NumberChoice::Given(*x)),
            LegacyTarget::Management(m) => Candidates::Range(*m, 0),
            LegacyTarget::Automatic => Candidates::One(NumberChoice::Auto(Selection {
                tag: options.tag.clone(),
                sticky_for: sticky,
            })),
        }
    }

    fn current(&self) -> NumberChoice {
        match self {
            Candidates::One(c) => c.clone(),
            Candidates::Range(m, sub) => match m.usage(*sub) {
                Ok(x) => NumberChoice::Given(x),
                Err(_) => unreachable!("sub-numbers stay below 10,000"),
            },
        }
    }

    /// Moves to the next candidate; `false` when there is none.
    fn advance(&mut self) -> bool {
        match self {
            Candidates::Range(_, sub) if *sub < 9_999 => {
                *sub += 1;
                true
            }
            _ => false,
        }
    }

    fn is_range(&self) -> bool {
        matches!(self, Candidates::Range(..))
    }
}

fn target_of<'a>(
    options: &'a LegacyOptions,
    legacy: &LegacyNumber,
) -> Result<&'a LegacyTarget, LegacyRefusal> {
    options
        .table
        .get(legacy)
        .or(options.unlisted.as_ref())
        .ok_or_else(|| LegacyRefusal::Unmapped(legacy.clone()))
}

fn migrate_line(
    line: &str,
    options: &LegacyOptions,
    now: Timestamp,
    bind: &mut impl FnMut(BindRequest) -> Result<Binding, Error>,
) -> Result<LegacyOutcome, LegacyRefusal> {
    // An object only (serde would also take a struct's fields as an array).
    if !line.trim_start().starts_with('{') {
        return Err(LegacyRefusal::MalformedLine("not a JSON object".into()));
    }
    let r: LegacyRecord =
        serde_json::from_str(line).map_err(|e| LegacyRefusal::MalformedLine(e.to_string()))?;
    let mode = r.mode.as_deref().ok_or_else(|| missing("mode"))?;
    let mode_upper = mode.trim().to_ascii_uppercase();
    if !matches!(mode_upper.as_str(), "AXB" | "AXN" | "AXYB" | "GXB") {
        return Err(LegacyRefusal::UnknownMode(mode.to_owned()));
    }
    let middle = legacy_number("middle", &r.middle)?;
    let middle_y = match mode_upper.as_str() {
        "AXYB" => Some(legacy_number("middle_y", &r.middle_y)?),
        _ => None,
    };
    // Parties, with a placeholder for the numbers (chosen below).
    let parties: Parties<()> = match mode_upper.as_str() {
        "AXB" => Parties::Axb {
            a: subscriber("a", &r.a)?,
            x: (),
            b: subscriber("b", &r.b)?,
        },
        "AXN" => Parties::Axn {
            a: subscriber("a", &r.a)?,
            x: (),
            n: match &r.n {
                Some(_) => Some(subscriber("n", &r.n)?),
                None => None,
            },
        },
        "AXYB" => Parties::Axyb {
            a: subscriber("a", &r.a)?,
            x: (),
            y: (),
            b: subscriber("b", &r.b)?,
        },
        _ => {
            let members = r.group.as_ref().ok_or_else(|| missing("group"))?;
            let group = members
                .iter()
                .map(|m| subscriber("group", &Some(m.clone())))
                .collect::<Result<Vec<_>, _>>()?;
            Parties::Gxb {
                group,
                x: (),
                b: subscriber("b", &r.b)?,
            }
        }
    };
    let expires_at = Timestamp::from_unix_secs(r.expires_at.ok_or_else(|| missing("expires_at"))?);
    let consent_ref = r.consent_ref.clone().unwrap_or_default();
    if consent_ref.trim().is_empty() {
        return Err(LegacyRefusal::MissingConsent);
    }
    if expires_at <= now {
        return Err(LegacyRefusal::ExpiredAlready { expires_at, now });
    }
    let first = parties.subscribers().first().copied();
    let mut xs = Candidates::of(target_of(options, &middle)?, options, first);
    let mut ys = match &middle_y {
        Some(y) => Some(Candidates::of(target_of(options, y)?, options, first)),
        None => None,
    };
    let external_ref = match r.external_ref.clone().filter(|s| !s.is_empty()) {
        Some(s) => s,
        None => format!("legacy:{middle}"),
    };
    loop {
        let (x, y) = (xs.current(), ys.as_ref().map(Candidates::current));
        // Both from one management number: Y moves past X.
        if let (Some(y), Some(ys)) = (&y, ys.as_mut())
            && *y == x
            && ys.is_range()
        {
            if !ys.advance() {
                return Err(LegacyRefusal::NoNumberLeft(format!(
                    "no usage number left for Y of {middle}"
                )));
            }
            continue;
        }
        let request = BindRequest {
            tenant: options.tenant,
            parties: with_numbers(&parties, x.clone(), y.clone()),
            expires_at,
            policy: options.policy.clone(),
            order_id: r.order_id.clone().unwrap_or_default(),
            consent_ref: consent_ref.clone(),
            external_ref: external_ref.clone(),
        };
        match bind(request) {
            Ok(b) => {
                let numbers = b.parties.usage_numbers();
                return Ok(LegacyOutcome::Migrated {
                    binding: b.id,
                    x: numbers[0],
                    y: numbers.get(1).copied(),
                });
            }
            Err(Error::NumberConflict { number, conflict }) => {
                let on = |c: &NumberChoice| *c == NumberChoice::Given(number);
                let moved = if on(&x) && xs.is_range() {
                    xs.advance()
                } else if y.as_ref().is_some_and(on) && ys.as_ref().is_some_and(|c| c.is_range()) {
                    ys.as_mut().is_some_and(Candidates::advance)
                } else {
                    return Err(LegacyRefusal::Conflict(format!(
                        "usage number {number}: {conflict}"
                    )));
                };
                if !moved {
                    return Err(LegacyRefusal::NoNumberLeft(format!(
                        "every usage number of {} conflicts (the last: {conflict})",
                        number.management()
                    )));
                }
            }
            Err(Error::Exhausted(e)) => return Err(LegacyRefusal::NoNumberLeft(e.to_string())),
            Err(e) => return Err(LegacyRefusal::Refused(e.to_string())),
        }
    }
}

/// `parties` with usage-number choices in place of the placeholders.
fn with_numbers(
    parties: &Parties<()>,
    x: NumberChoice,
    y: Option<NumberChoice>,
) -> Parties<NumberChoice> {
    match parties {
        Parties::Axb { a, b, .. } => Parties::Axb { a: *a, x, b: *b },
        Parties::Axn { a, n, .. } => Parties::Axn { a: *a, x, n: *n },
        Parties::Axyb { a, b, .. } => Parties::Axyb {
            a: *a,
            y: y.unwrap_or_else(|| x.clone()),
            x,
            b: *b,
        },
        Parties::Gxb { group, b, .. } => Parties::Gxb {
            group: group.clone(),
            x,
            b: *b,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::index::layout::Capacity;
    use crate::pool::LicensedBlock;
    use crate::tenant::TenantStatus;

    const NOW: Timestamp = Timestamp::from_unix_secs(1_767_225_600);
    const LATER: u64 = 1_767_312_000;

    fn m(i: u64) -> ManagementNumber {
        ManagementNumber::new(70012340000 + i).unwrap()
    }

    /// A registry with tenant 1 holding `m(0)` and `m(1)`, and tenant 2 holding nothing.
    fn registry() -> Registry {
        let r = Registry::new(Config::default(), Capacity::for_bindings(64));
        let run = |c: Command| r.execute(&c, NOW).unwrap();
        for name in ["parcels", "empty"] {
            run(Command::RegisterTenant {
                name: name.into(),
                scenarios: vec![],
                pair_cap: None,
            });
        }
        run(Command::LicenseBlock(LicensedBlock {
            first: m(0),
            count: 4,
        }));
        for i in 0..2 {
            run(Command::AssignNumber {
                tenant: TenantId::from_raw(1),
                number: m(i),
                tags: vec![],
            });
        }
        r
    }

    fn line(fields: &str) -> String {
        format!("{{{fields}, \"expires_at\": {LATER}, \"consent_ref\": \"c\"}}")
    }

    fn automatic() -> LegacyOptions {
        LegacyOptions::automatic(TenantId::from_raw(1))
    }

    /// The outcome of each line of `input`.
    fn run(r: &Registry, input: &str, options: &LegacyOptions) -> Vec<LegacyOutcome> {
        migrate_into(r, input, options, NOW)
            .lines
            .into_iter()
            .map(|l| l.outcome)
            .collect()
    }

    fn refusal(r: &Registry, input: &str, options: &LegacyOptions) -> LegacyRefusal {
        match run(r, input, options).pop() {
            Some(LegacyOutcome::Refused(why)) => why,
            other => panic!("{input}: {other:?}"),
        }
    }

    #[test]
    fn every_mode_migrates_and_routes_through_its_new_numbers() {
        let r = registry();
        let input = [
            line(r#""middle": "+86 170-1234-5678", "mode": "AXB", "a": "13800000001", "b": 13900000002"#),
            String::new(),
            line(r#""middle": "95013001", "mode": "axn", "a": "13800000003", "n": "13900000004""#),
            line(r#""middle": "17012345679", "middle_y": "17012345680", "mode": "AXYB", "a": "13800000005", "b": "13900000006""#),
            line(r#""middle": 17012345681, "mode": "GXB", "group": ["13800000007", "13800000008"], "b": "13900000009""#),
        ]
        .join("\n");
        let report = migrate_into(&r, &input, &automatic(), NOW);
        assert_eq!(
            report.lines.iter().map(|l| l.line).collect::<Vec<_>>(),
            [1, 3, 4, 5]
        );
        assert_eq!(report.migrated(), 4, "{report:?}");
        let LegacyOutcome::Migrated { x, .. } = report.lines[0].outcome else {
            unreachable!()
        };
        let routed = r.route("13800000001", &x.to_string(), crate::Media::Voice, NOW);
        let crate::Decision::Route(route) = routed else {
            panic!("{routed:?}")
        };
        assert_eq!(route.to.first().unwrap().to_string(), "+8613900000002");
        let binding = r.with_state(|s| s.binding(route.binding).cloned()).unwrap();
        assert_eq!(binding.external_ref, "legacy:17012345678");
        assert_eq!(binding.consent_ref, "c");
        let LegacyOutcome::Migrated { x, y, .. } = report.lines[2].outcome else {
            unreachable!()
        };
        assert!(y.is_some_and(|y| y != x));
        // The report is plain data for the operator.
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<LegacyReport>(&json).unwrap(), report);
    }

    #[test]
    fn a_management_target_gathers_a_legacy_number_on_its_first_free_usage_numbers() {
        let r = registry();
        let mut options = automatic();
        let legacy = LegacyNumber::parse("17012345678").unwrap();
        options.table.insert(legacy, LegacyTarget::Management(m(1)));
        // One A with three Bs: A may not see one X twice, so they take X0, X1, X2 of m(1).
        let input: String = (2..5)
            .map(|b| {
                line(&format!(
                    r#""middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "1390000000{b}""#
                ))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let xs: Vec<UsageNumber> = run(&r, &input, &options)
            .into_iter()
            .map(|o| match o {
                LegacyOutcome::Migrated { x, .. } => x,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            xs,
            (0..3).map(|s| m(1).usage(s).unwrap()).collect::<Vec<_>>()
        );
        // AXYB with both numbers under one management number: X and Y differ.
        options.table.insert(
            LegacyNumber::parse("17012345699").unwrap(),
            LegacyTarget::Management(m(1)),
        );
        let axyb = line(
            r#""middle": "17012345699", "middle_y": "17012345699", "mode": "AXYB", "a": "13800000007", "b": "13900000008""#,
        );
        match run(&r, &axyb, &options).pop() {
            Some(LegacyOutcome::Migrated { x, y: Some(y), .. }) => assert_ne!(x, y),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_line_that_is_not_a_record_is_malformed() {
        let r = registry();
        for input in ["not json", "[1, 2]", r#"{"middle": true, "mode": "AXB"}"#] {
            assert!(matches!(
                refusal(&r, input, &automatic()),
                LegacyRefusal::MalformedLine(_)
            ));
        }
    }

    #[test]
    fn a_field_the_mode_needs_is_missing() {
        let r = registry();
        let cases = [
            (r#"{"middle": "17012345678", "a": "13800000001"}"#.to_owned(), "mode"),
            (line(r#""mode": "AXB", "a": "13800000001", "b": "13900000002""#), "middle"),
            (line(r#""middle": "17012345678", "mode": "AXB", "a": "13800000001""#), "b"),
            (line(r#""middle": "17012345678", "mode": "AXYB", "a": "13800000001", "b": "13900000002""#), "middle_y"),
            (line(r#""middle": "17012345678", "mode": "GXB", "b": "13900000002""#), "group"),
            (
                r#"{"middle": "17012345678", "mode": "AXN", "a": "13800000001", "consent_ref": "c"}"#.to_owned(),
                "expires_at",
            ),
        ];
        for (input, field) in cases {
            assert_eq!(
                refusal(&r, &input, &automatic()),
                LegacyRefusal::MissingField(field.into()),
                "{input}"
            );
        }
    }

    #[test]
    fn malformed_numbers_are_refused_naming_the_field() {
        let r = registry();
        for (fields, field) in [
            (
                r#""middle": "12345", "mode": "AXB", "a": "13800000001", "b": "13900000002""#,
                "middle",
            ),
            (
                r#""middle": "700123400000001", "mode": "AXB", "a": "13800000001", "b": "13900000002""#,
                "middle",
            ),
            (
                r#""middle": "9501", "mode": "AXB", "a": "13800000001", "b": "13900000002""#,
                "middle",
            ),
            (
                r#""middle": "17012345678", "mode": "AXB", "a": "abc", "b": "13900000002""#,
                "a",
            ),
            (
                r#""middle": "17012345678", "mode": "GXB", "group": ["13800000001", "1"], "b": "13900000002""#,
                "group",
            ),
        ] {
            let why = refusal(&r, &line(fields), &automatic());
            assert!(
                matches!(&why, LegacyRefusal::MalformedNumber { field: f, .. } if f == field),
                "{fields}: {why:?}"
            );
        }
    }

    #[test]
    fn an_unknown_mode_is_refused() {
        let r = registry();
        let input = line(
            r#""middle": "17012345678", "mode": "AXZ", "a": "13800000001", "b": "13900000002""#,
        );
        assert_eq!(
            refusal(&r, &input, &automatic()),
            LegacyRefusal::UnknownMode("AXZ".into())
        );
    }

    #[test]
    fn no_binding_is_made_without_consent() {
        let r = registry();
        for consent in ["", r#", "consent_ref": "  ""#] {
            let input = format!(
                r#"{{"middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "13900000002", "expires_at": {LATER}{consent}}}"#
            );
            assert_eq!(
                refusal(&r, &input, &automatic()),
                LegacyRefusal::MissingConsent
            );
        }
        assert_eq!(r.with_state(|s| s.bindings().count()), 0);
    }

    #[test]
    fn an_expired_binding_is_not_migrated() {
        let r = registry();
        let input = format!(
            r#"{{"middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "13900000002", "expires_at": {}, "consent_ref": "c"}}"#,
            NOW.unix_secs()
        );
        assert_eq!(
            refusal(&r, &input, &automatic()),
            LegacyRefusal::ExpiredAlready {
                expires_at: NOW,
                now: NOW
            }
        );
    }

    #[test]
    fn a_number_outside_the_table_is_unmapped_when_unlisted_ones_are_refused() {
        let r = registry();
        let options = LegacyOptions {
            unlisted: None,
            ..automatic()
        };
        let input = line(
            r#""middle": "170 1234 5678", "mode": "AXB", "a": "13800000001", "b": "13900000002""#,
        );
        assert_eq!(
            refusal(&r, &input, &options),
            LegacyRefusal::Unmapped(LegacyNumber::parse("17012345678").unwrap())
        );
    }

    #[test]
    fn no_number_left_when_the_tenant_has_none() {
        let r = registry();
        let options = LegacyOptions::automatic(TenantId::from_raw(2));
        let input = line(
            r#""middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "13900000002""#,
        );
        assert!(matches!(
            refusal(&r, &input, &options),
            LegacyRefusal::NoNumberLeft(_)
        ));
    }

    #[test]
    fn a_given_number_that_cannot_carry_the_binding_is_a_conflict() {
        let r = registry();
        let mut options = automatic();
        let x = m(0).usage(7).unwrap();
        options.table.insert(
            LegacyNumber::parse("17012345678").unwrap(),
            LegacyTarget::Usage(x),
        );
        let first = line(
            r#""middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "13900000002""#,
        );
        let again = line(
            r#""middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "13900000003""#,
        );
        let outcomes = run(&r, &format!("{first}\n{again}"), &options);
        assert!(matches!(outcomes[0], LegacyOutcome::Migrated { x: got, .. } if got == x));
        assert!(
            matches!(
                &outcomes[1],
                LegacyOutcome::Refused(LegacyRefusal::Conflict(_))
            ),
            "{outcomes:?}"
        );
    }

    #[test]
    fn other_refusals_of_the_bind_path_are_reported() {
        let r = registry();
        r.execute(
            &Command::SetTenantStatus {
                tenant: TenantId::from_raw(1),
                status: TenantStatus::Suspended,
            },
            NOW,
        )
        .unwrap();
        let input = line(
            r#""middle": "17012345678", "mode": "AXB", "a": "13800000001", "b": "13800000001""#,
        );
        assert!(matches!(
            refusal(&r, &input, &automatic()),
            LegacyRefusal::Refused(_)
        ));
    }

    #[test]
    fn legacy_numbers_normalise() {
        for (text, want) in [
            ("17012345678", "17012345678"),
            ("+86 171-2345-6789", "17123456789"),
            ("0086 13800000001", "13800000001"),
            ("8613800000001", "13800000001"),
            ("95013", "95013"),
            ("95013001", "95013001"),
        ] {
            assert_eq!(LegacyNumber::parse(text).unwrap().as_str(), want, "{text}");
        }
        for bad in [
            "",
            "1201234567",
            "12012345678",
            "950130011",
            "9501",
            "70012345678",
            "1701234567x",
            "17+012345678",
        ] {
            assert!(LegacyNumber::parse(bad).is_err(), "{bad}");
        }
    }
}
