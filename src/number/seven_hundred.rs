//! Management and usage numbers of the 700 privacy segment.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use super::dial::{DialedNumber, parse_dialed_bytes};
use super::error::NumberError;

/// Digits in a management number (`700` + 8 digits).
pub const MANAGEMENT_LEN: u8 = 11;
/// Digits in a usage number (management number + 4-digit sub-number).
pub const USAGE_LEN: u8 = 15;
/// Usage numbers under one management number (sub-numbers `0000..=9999`).
pub const USAGE_PER_MANAGEMENT: u32 = 10_000;

/// `10^4`: shifts a management number left by the sub-number's four digits.
const SUB_NUMBER_RADIX: u64 = USAGE_PER_MANAGEMENT as u64;

/// Decimal digit count of `value` (1 for 0); `const` so the constructors can be.
const fn decimal_len(mut value: u64) -> u8 {
    let mut len = 1;
    while value >= 10 {
        value /= 10;
        len += 1;
    }
    len
}

/// Shared range check: exact digit count first (the clearer error), then the 700 prefix.
const fn check_segment(value: u64, len: u8, min: u64, max: u64) -> Result<(), NumberError> {
    // In range means the right length too; count digits only to explain an error (the count is
    // a loop, and this check is on every lookup's path).
    if min <= value && value <= max {
        return Ok(());
    }
    let found = decimal_len(value);
    if found != len {
        return Err(NumberError::WrongLength {
            expected: len,
            found,
        });
    }
    if value < min || value > max {
        return Err(NumberError::NotSegment700);
    }
    Ok(())
}

/// An 11-digit management number (`700` + 8 digits), the unit the regulator assigns to
/// a platform; it owns the 10,000 usage numbers formed by appending a sub-number.
///
/// Parses from any dial string accepted by [`parse_dialed`](super::parse_dialed) that
/// denotes exactly 11 national digits; displays as the 11 digits. Serialises as the integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct ManagementNumber(u64);

impl ManagementNumber {
    /// The lowest management number, `70000000000`.
    pub const MIN: Self = Self(70_000_000_000);
    /// The highest management number, `70099999999`.
    pub const MAX: Self = Self(70_099_999_999);

    /// Validates an integer such as `70012345678`.
    pub const fn new(value: u64) -> Result<Self, NumberError> {
        match check_segment(value, MANAGEMENT_LEN, Self::MIN.0, Self::MAX.0) {
            Ok(()) => Ok(Self(value)),
            Err(e) => Err(e),
        }
    }

    /// The number as an integer.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// The usage number with this management number and `sub_number` (`0..=9999`).
    pub fn usage(self, sub_number: u16) -> Result<UsageNumber, NumberError> {
        if u32::from(sub_number) >= USAGE_PER_MANAGEMENT {
            return Err(NumberError::SubNumberOutOfRange);
        }
        Ok(UsageNumber(
            self.0 * SUB_NUMBER_RADIX + u64::from(sub_number),
        ))
    }

    /// All 10,000 usage numbers in ascending order, for provisioning a whole block.
    pub fn usage_numbers(
        self,
    ) -> impl ExactSizeIterator<Item = UsageNumber> + DoubleEndedIterator + Clone {
        let base = self.0 * SUB_NUMBER_RADIX;
        // u16 range: ExactSizeIterator is not implemented for Range<u64>.
        (0..USAGE_PER_MANAGEMENT as u16).map(move |sub| UsageNumber(base + u64::from(sub)))
    }

    /// Sub-number `0000`.
    pub fn first_usage(self) -> UsageNumber {
        UsageNumber(self.0 * SUB_NUMBER_RADIX)
    }

    /// Sub-number `9999`.
    pub fn last_usage(self) -> UsageNumber {
        UsageNumber(self.0 * SUB_NUMBER_RADIX + (SUB_NUMBER_RADIX - 1))
    }

    /// The management number `n` further on, for walking a licensed block; `None` past
    /// [`ManagementNumber::MAX`].
    pub fn checked_add(self, n: u64) -> Option<Self> {
        self.0
            .checked_add(n)
            .filter(|&v| v <= Self::MAX.0)
            .map(Self)
    }

    /// Parses raw dial-string bytes; see [`parse_dialed_bytes`](super::parse_dialed_bytes).
    pub fn parse_bytes(input: &[u8]) -> Result<Self, NumberError> {
        match parse_dialed_bytes(input)? {
            DialedNumber::Management(m) => Ok(m),
            other => Err(wrong_length(MANAGEMENT_LEN, other)),
        }
    }
}

/// The length error for a dial string that is a 700 number of the other length.
fn wrong_length(expected: u8, got: DialedNumber) -> NumberError {
    let found = match got {
        DialedNumber::Usage(_) => USAGE_LEN,
        DialedNumber::Management(_) => MANAGEMENT_LEN,
        DialedNumber::Incomplete { len, .. } => len,
    };
    NumberError::WrongLength { expected, found }
}

impl fmt::Display for ManagementNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ManagementNumber {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_bytes(s.as_bytes())
    }
}

impl TryFrom<u64> for ManagementNumber {
    type Error = NumberError;

    fn try_from(value: u64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ManagementNumber> for u64 {
    fn from(number: ManagementNumber) -> Self {
        number.0
    }
}

/// A 15-digit usage number: management number + 4-digit sub-number. This is what
/// callers dial.
///
/// The national form is canonical: `+86` plus 15 digits would be 17 digits, beyond
/// E.164's 15-digit limit, so usage numbers have no valid E.164 form. Parses from any
/// dial string that denotes exactly 15 national digits; displays as the 15 digits.
/// Serialises as the integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct UsageNumber(u64);

impl UsageNumber {
    /// The lowest usage number, `700000000000000`.
    pub const MIN: Self = Self(700_000_000_000_000);
    /// The highest usage number, `700999999999999`.
    pub const MAX: Self = Self(700_999_999_999_999);

    /// Validates an integer such as `700123456789012`.
    pub const fn new(value: u64) -> Result<Self, NumberError> {
        match check_segment(value, USAGE_LEN, Self::MIN.0, Self::MAX.0) {
            Ok(()) => Ok(Self(value)),
            Err(e) => Err(e),
        }
    }

    /// Same as [`ManagementNumber::usage`], named from the usage side.
    pub fn from_parts(management: ManagementNumber, sub_number: u16) -> Result<Self, NumberError> {
        management.usage(sub_number)
    }

    /// The number as an integer.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// The management number this usage number belongs to.
    pub const fn management(self) -> ManagementNumber {
        ManagementNumber(self.0 / SUB_NUMBER_RADIX)
    }

    /// The last four digits, `0..=9999`.
    pub const fn sub_number(self) -> u16 {
        // Below 10_000, so it fits u16.
        (self.0 % SUB_NUMBER_RADIX) as u16
    }

    /// Parses raw dial-string bytes; see [`parse_dialed_bytes`](super::parse_dialed_bytes).
    pub fn parse_bytes(input: &[u8]) -> Result<Self, NumberError> {
        match parse_dialed_bytes(input)? {
            DialedNumber::Usage(u) => Ok(u),
            other => Err(wrong_length(USAGE_LEN, other)),
        }
    }
}

impl fmt::Display for UsageNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for UsageNumber {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_bytes(s.as_bytes())
    }
}

impl TryFrom<u64> for UsageNumber {
    type Error = NumberError;

    fn try_from(value: u64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<UsageNumber> for u64 {
    fn from(number: UsageNumber) -> Self {
        number.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: u64 = 70_012_345_678;
    const U: u64 = 700_123_456_789_012;

    #[test]
    fn management_bounds() {
        assert_eq!(
            ManagementNumber::new(70_000_000_000),
            Ok(ManagementNumber::MIN)
        );
        assert_eq!(
            ManagementNumber::new(70_099_999_999),
            Ok(ManagementNumber::MAX)
        );
        assert_eq!(ManagementNumber::new(M).map(ManagementNumber::value), Ok(M));
        assert_eq!(
            ManagementNumber::new(69_999_999_999),
            Err(NumberError::NotSegment700)
        );
        assert_eq!(
            ManagementNumber::new(70_100_000_000),
            Err(NumberError::NotSegment700)
        );
        assert_eq!(
            ManagementNumber::new(0),
            Err(NumberError::WrongLength {
                expected: 11,
                found: 1
            })
        );
        assert_eq!(
            ManagementNumber::new(7_001_234),
            Err(NumberError::WrongLength {
                expected: 11,
                found: 7
            })
        );
        assert_eq!(
            ManagementNumber::new(u64::MAX),
            Err(NumberError::WrongLength {
                expected: 11,
                found: 20
            })
        );
        assert_eq!(
            ManagementNumber::new(U),
            Err(NumberError::WrongLength {
                expected: 11,
                found: 15
            })
        );
    }

    #[test]
    fn usage_bounds() {
        assert_eq!(UsageNumber::new(700_000_000_000_000), Ok(UsageNumber::MIN));
        assert_eq!(UsageNumber::new(700_999_999_999_999), Ok(UsageNumber::MAX));
        assert_eq!(
            UsageNumber::new(701_000_000_000_000),
            Err(NumberError::NotSegment700)
        );
        assert_eq!(
            UsageNumber::new(699_999_999_999_999),
            Err(NumberError::NotSegment700)
        );
        assert_eq!(
            UsageNumber::new(M),
            Err(NumberError::WrongLength {
                expected: 15,
                found: 11
            })
        );
        assert_eq!(
            UsageNumber::new(u64::MAX),
            Err(NumberError::WrongLength {
                expected: 15,
                found: 20
            })
        );
    }

    #[test]
    fn parts() {
        let m = ManagementNumber::new(M).unwrap();
        let u = m.usage(9012).unwrap();
        assert_eq!(u.value(), 700_123_456_789_012);
        assert_eq!(u.management(), m);
        assert_eq!(u.sub_number(), 9012);
        assert_eq!(UsageNumber::from_parts(m, 9012), Ok(u));
        assert_eq!(m.usage(0).unwrap().value(), 700_123_456_780_000);
        assert_eq!(m.usage(10_000), Err(NumberError::SubNumberOutOfRange));
        assert_eq!(m.usage(u16::MAX), Err(NumberError::SubNumberOutOfRange));
        assert_eq!(
            UsageNumber::from_parts(m, 10_000),
            Err(NumberError::SubNumberOutOfRange)
        );
    }

    #[test]
    fn usage_numbers_cover_block() {
        let m = ManagementNumber::new(M).unwrap();
        let all: Vec<UsageNumber> = m.usage_numbers().collect();
        assert_eq!(all.len(), 10_000);
        assert_eq!(m.usage_numbers().len(), 10_000);
        assert_eq!(all.first(), Some(&m.first_usage()));
        assert_eq!(all.last(), Some(&m.last_usage()));
        assert_eq!(m.first_usage().value(), 700_123_456_780_000);
        assert_eq!(m.last_usage().value(), 700_123_456_789_999);
        assert!(all.windows(2).all(|w| w[0].value() + 1 == w[1].value()));
        assert!(all.iter().all(|u| u.management() == m));
        assert_eq!(m.usage_numbers().next_back(), Some(m.last_usage()));
        // The extreme blocks stay in range.
        let top = ManagementNumber::MAX.last_usage();
        assert_eq!(top, UsageNumber::MAX);
        assert_eq!(ManagementNumber::MIN.first_usage(), UsageNumber::MIN);
    }

    #[test]
    fn checked_add_walks_block() {
        let m = ManagementNumber::new(M).unwrap();
        assert_eq!(m.checked_add(0), Some(m));
        assert_eq!(m.checked_add(1).map(ManagementNumber::value), Some(M + 1));
        assert_eq!(ManagementNumber::MAX.checked_add(1), None);
        assert_eq!(
            ManagementNumber::MIN.checked_add(99_999_999),
            Some(ManagementNumber::MAX)
        );
        assert_eq!(m.checked_add(u64::MAX), None);
    }

    #[test]
    fn display_and_parse() {
        let m = ManagementNumber::new(M).unwrap();
        assert_eq!(m.to_string(), "70012345678");
        assert_eq!("70012345678".parse(), Ok(m));
        assert_eq!("+86 700-1234-5678".parse(), Ok(m));
        assert_eq!("sip:0086 70012345678@h".parse(), Ok(m));
        let u = UsageNumber::new(U).unwrap();
        assert_eq!(u.to_string(), "700123456789012");
        assert_eq!("700123456789012".parse(), Ok(u));
        assert_eq!("tel:+86-700-1234-5678-9012".parse(), Ok(u));
        assert_eq!(UsageNumber::MIN.to_string(), "700000000000000");
        assert_eq!(u.to_string().parse(), Ok(u));
        assert_eq!(m.to_string().parse(), Ok(m));
    }

    #[test]
    fn parse_wrong_lengths() {
        assert_eq!(
            "700123456789012".parse::<ManagementNumber>(),
            Err(NumberError::WrongLength {
                expected: 11,
                found: 15
            })
        );
        assert_eq!(
            "7001234".parse::<ManagementNumber>(),
            Err(NumberError::WrongLength {
                expected: 11,
                found: 7
            })
        );
        assert_eq!(
            "70012345678".parse::<UsageNumber>(),
            Err(NumberError::WrongLength {
                expected: 15,
                found: 11
            })
        );
        assert_eq!(
            "+86".parse::<UsageNumber>(),
            Err(NumberError::WrongLength {
                expected: 15,
                found: 0
            })
        );
        assert_eq!(
            "7001234567890123".parse::<UsageNumber>(),
            Err(NumberError::TooLong)
        );
        assert_eq!("".parse::<UsageNumber>(), Err(NumberError::Empty));
        assert_eq!(
            "80012345678".parse::<ManagementNumber>(),
            Err(NumberError::NotSegment700)
        );
        assert_eq!(
            UsageNumber::parse_bytes(b"700\x80"),
            Err(NumberError::InvalidCharacter { at: 3 })
        );
        assert_eq!(
            ManagementNumber::parse_bytes(&[b'7'; 1 << 20]),
            Err(NumberError::TooLong)
        );
    }

    #[test]
    fn serde_round_trip_and_validation() {
        let m = ManagementNumber::new(M).unwrap();
        let u = m.usage(9012).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "70012345678");
        assert_eq!(serde_json::to_string(&u).unwrap(), "700123456789012");
        assert_eq!(
            serde_json::from_str::<ManagementNumber>("70012345678").unwrap(),
            m
        );
        assert_eq!(
            serde_json::from_str::<UsageNumber>("700123456789012").unwrap(),
            u
        );
        assert!(serde_json::from_str::<ManagementNumber>("70100000000").is_err());
        assert!(serde_json::from_str::<ManagementNumber>("700123456789012").is_err());
        assert!(serde_json::from_str::<UsageNumber>("70012345678").is_err());
        assert!(serde_json::from_str::<UsageNumber>("-1").is_err());
        assert!(serde_json::from_str::<UsageNumber>("\"700123456789012\"").is_err());
        assert!(serde_json::from_str::<UsageNumber>("18446744073709551615").is_err());
    }

    #[test]
    fn ordering_follows_integer() {
        let a = ManagementNumber::MIN.first_usage();
        let b = ManagementNumber::MIN.last_usage();
        assert!(a < b && b < ManagementNumber::MIN.checked_add(1).unwrap().first_usage());
    }
}
