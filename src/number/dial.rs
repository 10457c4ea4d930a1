//! Dial-string scanning shared by all number types, and the 700 dial-string classifier.

use core::str::FromStr;

use super::error::NumberError;
use super::seven_hundred::{MANAGEMENT_LEN, ManagementNumber, USAGE_LEN, UsageNumber};

/// Most digits any accepted dial string carries: `0086` + a 15-digit usage number.
///
/// The scanner stops at the next digit, so a hostile 1 MiB digit string costs 20 steps.
pub(crate) const MAX_DIAL_DIGITS: usize = 19;

/// The digits of a dial string, separators and URI wrapping removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DialDigits {
    digits: [u8; MAX_DIAL_DIGITS],
    len: u8,
    plus: bool,
}

impl DialDigits {
    /// The digit values (0..=9), most significant first.
    pub(crate) fn digits(&self) -> &[u8] {
        self.digits.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Whether the number was written with a leading `+` (international format).
    pub(crate) fn plus(&self) -> bool {
        self.plus
    }
}

/// Byte offset of the user part when `input` starts with a `tel:`, `sip:` or `sips:` scheme.
fn uri_user_start(input: &[u8]) -> Option<usize> {
    [&b"tel:"[..], b"sip:", b"sips:"]
        .into_iter()
        .find_map(|scheme| {
            input
                .get(..scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
                .then_some(scheme.len())
        })
}

/// Strips separators and URI wrapping, collecting at most [`MAX_DIAL_DIGITS`] digits.
///
/// A `+` is accepted once, before the first digit, so `(+86) 138…` works but `86+138…`
/// does not. In a URI the user part ends at `@` (host) or `;` (parameters).
pub(crate) fn scan(input: &[u8]) -> Result<DialDigits, NumberError> {
    let (start, is_uri) = match uri_user_start(input) {
        Some(start) => (start, true),
        None => (0, false),
    };
    let mut out = DialDigits {
        digits: [0; MAX_DIAL_DIGITS],
        len: 0,
        plus: false,
    };
    for (at, &byte) in input.iter().enumerate().skip(start) {
        match byte {
            b'0'..=b'9' => {
                let slot = out
                    .digits
                    .get_mut(usize::from(out.len))
                    .ok_or(NumberError::TooLong)?;
                *slot = byte - b'0';
                out.len += 1;
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            b'+' if !out.plus && out.len == 0 => out.plus = true,
            b'@' | b';' if is_uri => break,
            _ => return Err(NumberError::InvalidCharacter { at }),
        }
    }
    if out.len == 0 {
        return Err(NumberError::Empty);
    }
    Ok(out)
}

/// The integer value of up to 19 digits; saturating so no input can overflow.
pub(crate) fn digits_value(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, &d| {
        acc.saturating_mul(10).saturating_add(u64::from(d))
    })
}

/// What a dial string for the 700 segment denotes so far.
///
/// Switches collect digits one by one (overlap dialling), so a leading part of a valid
/// number is an answer, not an error: it tells the switch how many digits to wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DialedNumber {
    /// A complete 15-digit usage number: route the call.
    Usage(UsageNumber),
    /// Only the 11-digit management number: the switch must collect the 4-digit sub-number.
    Management(ManagementNumber),
    /// A leading part of a 700 number, neither 11 nor 15 national digits.
    Incomplete {
        /// National digits dialled so far as an integer (always starts with 7 unless empty).
        digits: u64,
        /// How many national digits were dialled; 0 if only (part of) `+86`/`0086`/`86`.
        len: u8,
    },
}

impl DialedNumber {
    /// Digits still to collect before a usage number is complete.
    pub fn digits_needed(&self) -> u8 {
        match *self {
            Self::Usage(_) => 0,
            Self::Management(_) => USAGE_LEN - MANAGEMENT_LEN,
            Self::Incomplete { len, .. } => USAGE_LEN.saturating_sub(len),
        }
    }
}

impl FromStr for DialedNumber {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_dialed(s)
    }
}

/// Classifies a dial string for the 700 segment; see [`parse_dialed_bytes`].
pub fn parse_dialed(input: &str) -> Result<DialedNumber, NumberError> {
    parse_dialed_bytes(input.as_bytes())
}

/// Classifies a dial string (national, `+86`, `0086`, `86`, or a tel/sip URI) for the
/// 700 segment; raw bytes because SIP stacks hand over unvalidated header bytes.
pub fn parse_dialed_bytes(input: &[u8]) -> Result<DialedNumber, NumberError> {
    let scanned = scan(input)?;
    let national = national_700(scanned.digits(), scanned.plus())?;
    let is_700_prefix = national.iter().zip([7u8, 0, 0]).all(|(&d, want)| d == want);
    if !is_700_prefix {
        return Err(NumberError::NotSegment700);
    }
    let value = digits_value(national);
    match national.len() {
        len if len == usize::from(USAGE_LEN) => UsageNumber::new(value).map(DialedNumber::Usage),
        len if len == usize::from(MANAGEMENT_LEN) => {
            ManagementNumber::new(value).map(DialedNumber::Management)
        }
        len if len < usize::from(USAGE_LEN) => Ok(DialedNumber::Incomplete {
            digits: value,
            // len < 15 here, so the narrowing cannot truncate.
            len: len as u8,
        }),
        _ => Err(NumberError::TooLong),
    }
}

/// Removes `+86`, `0086` or `86` and returns the national digits.
///
/// An empty slice means only (a prefix of) the country code was dialled so far.
fn national_700(all: &[u8], plus: bool) -> Result<&[u8], NumberError> {
    let country_code = if plus {
        all
    } else {
        match all {
            // `0` or `00` alone: the start of `0086`.
            [0] => return Ok(&[]),
            [0, 0, rest @ ..] => rest,
            // A trunk 0 before 700 is not a form switches hand over.
            [0, ..] => return Err(NumberError::NotSegment700),
            // National 700 numbers never start with 8, so a bare 8 is the country code.
            [8, ..] => all,
            _ => return Ok(all),
        }
    };
    match country_code {
        [] | [8] => Ok(&[]),
        [8, 6, national @ ..] => Ok(national),
        [0, ..] => Err(NumberError::InvalidCountryCode),
        _ => Err(NumberError::NotSegment700),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(v: u64) -> DialedNumber {
        DialedNumber::Usage(UsageNumber::new(v).unwrap())
    }

    #[test]
    fn scan_strips_separators_and_uri() {
        for s in [
            "700 1234-5678.(9012)",
            "tel:700123456789012",
            "TEL:700123456789012;phone-context=+86",
            "sip:700123456789012@ims.example.cn;user=phone",
            "SIPS:700123456789012@host",
        ] {
            let d = scan(s.as_bytes()).unwrap();
            assert_eq!(digits_value(d.digits()), 700_123_456_789_012, "{s}");
            assert!(!d.plus());
        }
        assert!(scan(b"(+86) 700").unwrap().plus());
    }

    #[test]
    fn scan_rejects_misplaced_plus_and_garbage() {
        assert_eq!(
            scan(b"86+700"),
            Err(NumberError::InvalidCharacter { at: 2 })
        );
        assert_eq!(scan(b"++86"), Err(NumberError::InvalidCharacter { at: 1 }));
        assert_eq!(scan(b"700#1"), Err(NumberError::InvalidCharacter { at: 3 }));
        assert_eq!(
            scan(b"700@host"),
            Err(NumberError::InvalidCharacter { at: 3 })
        );
        assert_eq!(
            scan(b"http:700"),
            Err(NumberError::InvalidCharacter { at: 0 })
        );
        assert_eq!(
            scan(b"sip:alice@host"),
            Err(NumberError::InvalidCharacter { at: 4 })
        );
        assert_eq!(
            scan(b"700\t1"),
            Err(NumberError::InvalidCharacter { at: 3 })
        );
    }

    #[test]
    fn scan_empty_inputs() {
        for s in ["", " ", "-().", "+", "tel:", "sip:@host", "tel:;x=1"] {
            assert_eq!(
                scan(s.as_bytes()).map(|_| ()),
                Err(NumberError::Empty),
                "{s:?}"
            );
        }
    }

    #[test]
    fn scan_stops_after_limit() {
        assert!(scan(&[b'7'; MAX_DIAL_DIGITS]).is_ok());
        assert_eq!(
            scan(&[b'7'; MAX_DIAL_DIGITS + 1]).map(|_| ()),
            Err(NumberError::TooLong)
        );
        // The digit limit wins over a later bad byte: the scan never got there.
        let mut s = vec![b'7'; 20];
        s.push(0xFF);
        assert_eq!(scan(&s).map(|_| ()), Err(NumberError::TooLong));
    }

    #[test]
    fn all_country_prefix_forms_agree() {
        for s in [
            "700123456789012",
            "+86700123456789012",
            "0086700123456789012",
            "86700123456789012",
            "+86 700 1234 5678 9012",
            "(+86) 700-1234-5678-9012",
            "tel:+86-700-1234-5678-9012",
            "sip:+86700123456789012@10.0.0.1;user=phone",
            "Sip:0086700123456789012@h",
        ] {
            assert_eq!(parse_dialed(s), Ok(usage(700_123_456_789_012)), "{s}");
        }
    }

    #[test]
    fn lengths_classify() {
        let m = ManagementNumber::new(70_012_345_678).unwrap();
        assert_eq!(parse_dialed("70012345678"), Ok(DialedNumber::Management(m)));
        assert_eq!(parse_dialed("+8670012345678").unwrap().digits_needed(), 4);
        for (s, len) in [
            ("7001234", 7u8),
            ("700123456789", 12),
            ("70012345678901", 14),
        ] {
            let got = parse_dialed(s).unwrap();
            assert_eq!(
                got,
                DialedNumber::Incomplete {
                    digits: s.parse().unwrap(),
                    len
                },
                "{s}"
            );
            assert_eq!(got.digits_needed(), 15 - len);
        }
        assert_eq!(parse_dialed("700123456789012").unwrap().digits_needed(), 0);
        assert_eq!(parse_dialed("7001234567890123"), Err(NumberError::TooLong));
        assert_eq!(
            parse_dialed("+86 7001234567890123"),
            Err(NumberError::TooLong)
        );
    }

    #[test]
    fn overlap_dialling_prefixes_are_incomplete() {
        let nothing = DialedNumber::Incomplete { digits: 0, len: 0 };
        for s in ["0", "00", "008", "0086", "8", "86", "+8", "+86", "tel:+86"] {
            assert_eq!(parse_dialed(s), Ok(nothing), "{s}");
            assert_eq!(nothing.digits_needed(), 15);
        }
        for (s, digits, len) in [
            ("7", 7, 1),
            ("70", 70, 2),
            ("+867", 7, 1),
            ("0086700", 700, 3),
        ] {
            assert_eq!(
                parse_dialed(s),
                Ok(DialedNumber::Incomplete { digits, len }),
                "{s}"
            );
        }
    }

    #[test]
    fn not_700_segment() {
        for s in [
            "13812345678",
            "701",
            "6",
            "0700123456789012",
            "+1700123456789012",
            "+85700",
            "87",
            "01",
            "0087",
        ] {
            assert_eq!(parse_dialed(s), Err(NumberError::NotSegment700), "{s}");
        }
        assert_eq!(parse_dialed("+0"), Err(NumberError::InvalidCountryCode));
        assert_eq!(parse_dialed("000"), Err(NumberError::InvalidCountryCode));
    }

    #[test]
    fn digits_needed_never_underflows() {
        let odd = DialedNumber::Incomplete {
            digits: 0,
            len: 200,
        };
        assert_eq!(odd.digits_needed(), 0);
    }

    #[test]
    fn huge_inputs_are_bounded() {
        let kib4 = "7".repeat(4096);
        assert_eq!(parse_dialed(&kib4), Err(NumberError::TooLong));
        let mib = "7".repeat(1 << 20);
        assert_eq!(parse_dialed(&mib), Err(NumberError::TooLong));
        let spaces = " ".repeat(1 << 20);
        assert_eq!(parse_dialed(&spaces), Err(NumberError::Empty));
        let mut long_tail = String::from("sip:700123456789012@");
        long_tail.push_str(&"x".repeat(1 << 20));
        assert_eq!(parse_dialed(&long_tail), Ok(usage(700_123_456_789_012)));
    }

    #[test]
    fn invalid_utf8_bytes() {
        assert_eq!(
            parse_dialed_bytes(b"700\xff123"),
            Err(NumberError::InvalidCharacter { at: 3 })
        );
        assert_eq!(
            parse_dialed_bytes(b"\xc3\x28"),
            Err(NumberError::InvalidCharacter { at: 0 })
        );
        assert_eq!(
            parse_dialed_bytes(b"700123456789012"),
            Ok(usage(700_123_456_789_012))
        );
    }

    #[test]
    fn from_str_matches_function() {
        assert_eq!(
            "70012345678".parse::<DialedNumber>(),
            parse_dialed("70012345678")
        );
    }
}
