//! TEMPORARY STUB (replaced by the real module).
#![allow(missing_docs, clippy::all)]
use serde::{Deserialize, Serialize};
use std::num::NonZeroU64;
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    #[error("bad")]
    Bad,
    #[error("n")]
    NotSegment700,
}
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ManagementNumber(u64);
impl ManagementNumber {
    pub const fn new(v: u64) -> Result<Self, NumberError> {
        if v >= 70000000000 && v <= 70099999999 {
            Ok(Self(v))
        } else {
            Err(NumberError::Bad)
        }
    }
    pub const fn value(self) -> u64 {
        self.0
    }
    pub fn usage(self, s: u16) -> Result<UsageNumber, NumberError> {
        if s < 10000 {
            Ok(UsageNumber(self.0 * 10000 + s as u64))
        } else {
            Err(NumberError::Bad)
        }
    }
    pub fn usage_numbers(self) -> impl Iterator<Item = UsageNumber> {
        (0..10000u64).map(move |s| UsageNumber(self.0 * 10000 + s))
    }
    pub fn first_usage(self) -> UsageNumber {
        UsageNumber(self.0 * 10000)
    }
    pub fn last_usage(self) -> UsageNumber {
        UsageNumber(self.0 * 10000 + 9999)
    }
    pub fn checked_add(self, n: u64) -> Option<Self> {
        Self::new(self.0.checked_add(n)?).ok()
    }
}
impl std::fmt::Display for ManagementNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::str::FromStr for ManagementNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, NumberError> {
        Self::new(s.parse().map_err(|_| NumberError::Bad)?)
    }
}
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UsageNumber(u64);
impl UsageNumber {
    pub const fn new(v: u64) -> Result<Self, NumberError> {
        if v >= 700000000000000 && v <= 700999999999999 {
            Ok(Self(v))
        } else {
            Err(NumberError::Bad)
        }
    }
    pub fn from_parts(m: ManagementNumber, s: u16) -> Result<Self, NumberError> {
        m.usage(s)
    }
    pub const fn value(self) -> u64 {
        self.0
    }
    pub const fn management(self) -> ManagementNumber {
        ManagementNumber(self.0 / 10000)
    }
    pub const fn sub_number(self) -> u16 {
        (self.0 % 10000) as u16
    }
}
impl std::fmt::Display for UsageNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::str::FromStr for UsageNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, NumberError> {
        Self::new(s.parse().map_err(|_| NumberError::Bad)?)
    }
}
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DialedNumber {
    Usage(UsageNumber),
    Management(ManagementNumber),
    Incomplete { digits: u64, len: u8 },
}
impl DialedNumber {
    pub fn digits_needed(&self) -> u8 {
        match self {
            Self::Usage(_) => 0,
            Self::Management(_) => 4,
            Self::Incomplete { len, .. } => 15 - len,
        }
    }
}
pub fn parse_dialed(s: &str) -> Result<DialedNumber, NumberError> {
    let v: u64 = s.parse().map_err(|_| NumberError::Bad)?;
    if let Ok(u) = UsageNumber::new(v) {
        return Ok(DialedNumber::Usage(u));
    }
    if let Ok(m) = ManagementNumber::new(v) {
        return Ok(DialedNumber::Management(m));
    }
    Ok(DialedNumber::Incomplete {
        digits: v,
        len: s.len() as u8,
    })
}
pub fn parse_dialed_bytes(s: &[u8]) -> Result<DialedNumber, NumberError> {
    parse_dialed(std::str::from_utf8(s).map_err(|_| NumberError::Bad)?)
}
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SubscriberNumber(NonZeroU64);
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SubscriberKind {
    ChineseMobile,
    ChineseFixedLine,
    International,
}
impl SubscriberNumber {
    pub fn parse(s: &str) -> Result<Self, NumberError> {
        let v: u64 = s
            .trim_start_matches('+')
            .parse()
            .map_err(|_| NumberError::Bad)?;
        let v = if v < 100_000_000_000 {
            v + 86_000_000_000_000
        } else {
            v
        };
        Self::from_e164(v)
    }
    pub fn parse_bytes(s: &[u8]) -> Result<Self, NumberError> {
        Self::parse(std::str::from_utf8(s).map_err(|_| NumberError::Bad)?)
    }
    pub fn from_e164(v: u64) -> Result<Self, NumberError> {
        NonZeroU64::new(v).map(Self).ok_or(NumberError::Bad)
    }
    pub const fn e164(self) -> u64 {
        self.0.get()
    }
    pub fn kind(self) -> SubscriberKind {
        SubscriberKind::ChineseMobile
    }
}
impl std::fmt::Display for SubscriberNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "+{}", self.0)
    }
}
impl std::str::FromStr for SubscriberNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, NumberError> {
        Self::parse(s)
    }
}
