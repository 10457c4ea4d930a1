//! How a binding asks for its usage numbers, and why a request can find none.
#![forbid(unsafe_code)]

use crate::number::{SubscriberNumber, UsageNumber};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest tag, in bytes.
pub const MAX_TAG_LEN: usize = 32;

/// A selection tag on a management number: a city, a scenario, a campaign — whatever the platform
/// uses to pick numbers (e.g. `"beijing"`, `"010"`, `"外卖"`). 1..=32 bytes, no whitespace or
/// control characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

/// A tag that is empty, too long, or holds whitespace or control characters.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a tag is 1..={MAX_TAG_LEN} bytes without whitespace or control characters")]
pub struct InvalidTag;

impl Tag {
    /// A tag, validated.
    pub fn new(tag: &str) -> Result<Self, InvalidTag> {
        let ok = !tag.is_empty()
            && tag.len() <= MAX_TAG_LEN
            && !tag.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Tag(tag.to_owned()))
        } else {
            Err(InvalidTag)
        }
    }

    /// The tag's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Tag {
    type Error = InvalidTag;
    fn try_from(s: String) -> Result<Self, InvalidTag> {
        Tag::new(&s)
    }
}

impl From<Tag> for String {
    fn from(t: Tag) -> String {
        t.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Selection by tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TagMatch {
    /// The tag wanted.
    pub tag: Tag,
    /// `true`: only numbers with the tag; `false`: prefer them, then fall back to any.
    pub strict: bool,
}

/// How to pick a usage number automatically.
///
/// Candidates are the tenant's own usage numbers (never another tenant's). Order: first a number
/// the `sticky_for` party still has an entry on — live, or in quarantine after a binding ended —
/// where the new binding fits (so a customer who orders again from the same shop or courier
/// while the quarantine runs sees the same number again), then the least-loaded numbers — fresh
/// ones first — under the management numbers matching the tag. Once a quarantine is over the
/// number is forgotten for the party and is as fresh as any other.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Selection {
    /// Tag matching, if any.
    pub tag: Option<TagMatch>,
    /// The party whose earlier usage number to prefer, if any.
    pub sticky_for: Option<SubscriberNumber>,
}

/// A usage number given by the caller (checked), or picked automatically.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NumberChoice {
    /// This usage number; it must be under one of the tenant's management numbers and free of
    /// conflicts.
    Given(UsageNumber),
    /// Pick one.
    Auto(Selection),
}

impl From<UsageNumber> for NumberChoice {
    fn from(x: UsageNumber) -> Self {
        NumberChoice::Given(x)
    }
}

/// Why automatic selection found no usage number.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
pub enum Exhaustion {
    /// The tenant holds no management numbers.
    #[error("the tenant holds no numbers")]
    NoNumbers,
    /// Strict tag matching, and no held management number has the tag.
    #[error("no number of the tenant has the requested tag")]
    TagUnmatched,
    /// Every candidate already carries one of the parties, is exclusive, or is at its pair cap.
    #[error("every candidate number conflicts with the parties or is full")]
    AllCandidatesConflict,
    /// Every candidate is held back by a quarantine involving the parties.
    #[error("every candidate number is in quarantine for these parties")]
    AllCandidatesQuarantined,
}
