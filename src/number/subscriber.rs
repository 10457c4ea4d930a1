//! Real parties' numbers (the A and B numbers a 700 number is bound to), normalised to E.164.

use core::fmt;
use core::num::NonZeroU64;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use super::dial::{Scanned, pow10, scan};
use super::error::NumberError;

/// Digits in a Chinese mobile national significant number (`1[3-9]` + 9 digits).
const MOBILE_NSN_LEN: usize = 11;
/// E.164's limit on the digits of an international number.
const E164_MAX_LEN: usize = 15;
/// Shortest international number accepted; shorter strings are short codes, not parties.
const INTERNATIONAL_MIN_LEN: usize = 7;

/// What kind of line a [`SubscriberNumber`] reaches, as far as the number shows it.
///
/// Serialises as `"chinese_mobile"`, `"chinese_fixed_line"` or `"international"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberKind {
    /// `+86 1[3-9]…`, 11-digit NSN.
    ChineseMobile,
    /// `+86` + area code + local number (includes 400/800 numbers, which share the shape).
    ChineseFixedLine,
    /// Any other country code; only the E.164 length rules are checked.
    International,
}

/// A real party's number in canonical E.164 form, stored as its digits without `+`
/// (e.g. `8613812345678`).
///
/// Every accepted shape of the same line (national, trunk `0`, `+86`, `0086`, bare `86`,
/// tel/sip URI, with separators) normalises to one value, so equality is line identity.
/// Displays as `+8613812345678`; serialises as the integer, validated on the way back in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct SubscriberNumber(NonZeroU64);

impl SubscriberNumber {
    /// Parses a caller ID or called number; see the [module docs](super) for the shapes.
    pub fn parse(input: &str) -> Result<Self, NumberError> {
        Self::parse_bytes(input.as_bytes())
    }

    /// Parses raw bytes, e.g. straight from a SIP header; non-ASCII is an invalid character.
    pub fn parse_bytes(input: &[u8]) -> Result<Self, NumberError> {
        classify(&scan(input)?)
    }

    /// Validates stored E.164 digits exactly as [`parse`](Self::parse) would `"+<digits>"`.
    pub fn from_e164(digits: u64) -> Result<Self, NumberError> {
        // Chinese mobile numbers, nearly every stored party (a snapshot of millions decodes
        // two per binding): `+86 1[3-9]` and nine more digits always read as themselves
        // (`from_e164_reads_mobile_numbers_as_the_string_path_does` checks the range).
        if (MOBILE_E164_MIN..=MOBILE_E164_MAX).contains(&digits) {
            return NonZeroU64::new(digits)
                .map(SubscriberNumber)
                .ok_or(NumberError::TooShort);
        }
        Self::from_e164_text(digits)
    }

    /// [`SubscriberNumber::from_e164`] by formatting `"+<digits>"` and parsing it.
    fn from_e164_text(digits: u64) -> Result<Self, NumberError> {
        // Literally that string, so the two paths cannot drift apart.
        let (values, len) = decimal_digits(digits);
        let mut text = [b'+'; 21];
        for (slot, &d) in text.iter_mut().skip(1).zip(values.iter().take(len)) {
            *slot = b'0' + d;
        }
        Self::parse_bytes(text.get(..=len).unwrap_or(&[]))
    }

    /// A number the crate itself validated and stored (the routing index), without validating
    /// it again on the hot path; `None` only for 0. Never used on outside input.
    pub(crate) const fn from_stored(digits: u64) -> Option<Self> {
        match NonZeroU64::new(digits) {
            Some(n) => Some(SubscriberNumber(n)),
            None => None,
        }
    }

    /// The E.164 digits as an integer, without `+`.
    pub const fn e164(self) -> u64 {
        self.0.get()
    }

    /// Mobile, fixed line or international, derived from the digits.
    pub fn kind(self) -> SubscriberKind {
        let (buf, len) = decimal_digits(self.0.get());
        match buf.get(..len).unwrap_or(&[]) {
            [8, 6, nsn @ ..] if is_mobile_nsn(nsn) => SubscriberKind::ChineseMobile,
            [8, 6, ..] => SubscriberKind::ChineseFixedLine,
            _ => SubscriberKind::International,
        }
    }

    /// `+` and the digits in a stack buffer, for logs and SIP headers without allocating.
    pub fn to_digits(self) -> E164Digits {
        let (digits, len) = decimal_digits(self.0.get());
        let mut out = E164Digits {
            buf: [0; E164_BUF_LEN],
            len: 1,
        };
        out.buf[0] = b'+';
        for (slot, &d) in out.buf.iter_mut().skip(1).zip(digits.iter().take(len)) {
            *slot = b'0' + d;
            out.len += 1;
        }
        out
    }
}

impl fmt::Display for SubscriberNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

impl FromStr for SubscriberNumber {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<u64> for SubscriberNumber {
    type Error = NumberError;

    fn try_from(value: u64) -> Result<Self, Self::Error> {
        Self::from_e164(value)
    }
}

impl From<SubscriberNumber> for u64 {
    fn from(number: SubscriberNumber) -> Self {
        number.e164()
    }
}

/// `+` plus at most 15 E.164 digits.
const E164_BUF_LEN: usize = 1 + E164_MAX_LEN;

/// A formatted E.164 number (`+8613812345678`) held on the stack.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct E164Digits {
    buf: [u8; E164_BUF_LEN],
    len: u8,
}

impl E164Digits {
    /// The text, e.g. `+8613812345678`.
    pub fn as_str(&self) -> &str {
        let bytes = self.buf.get(..usize::from(self.len)).unwrap_or(&[]);
        // Only ASCII digits and '+' are ever written, so this cannot fail.
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

impl AsRef<str> for E164Digits {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for E164Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for E164Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("E164Digits").field(&self.as_str()).finish()
    }
}

/// Decimal digit values of `value`, most significant first, and how many there are.
fn decimal_digits(mut value: u64) -> ([u8; 20], usize) {
    let mut buf = [0u8; 20];
    let mut len = 0;
    for slot in buf.iter_mut().rev() {
        // A digit value always fits u8.
        *slot = (value % 10) as u8;
        value /= 10;
        len += 1;
        if value == 0 {
            break;
        }
    }
    let start = buf.len() - len;
    buf.copy_within(start.., 0);
    (buf, len)
}

/// The E.164 values of Chinese mobile numbers: 86, then 1, 3 to 9, and nine digits.
const MOBILE_E164_MIN: u64 = 8_613_000_000_000;
const MOBILE_E164_MAX: u64 = 8_619_999_999_999;

fn is_mobile_nsn(nsn: &[u8]) -> bool {
    matches!(nsn, [1, 3..=9, ..]) && nsn.len() == MOBILE_NSN_LEN
}

/// Picks the reading of a scanned dial string: international, trunk-prefixed national,
/// bare `86` + NSN, or plain national.
fn classify(s: &Scanned) -> Result<SubscriberNumber, NumberError> {
    if s.plus {
        return international(s, 0);
    }
    match (s.digit(0), s.digit(1)) {
        (b'0', b'0') => international(s, 2),
        (b'0', _) => chinese(s, 1, 0),
        // Country code + NSN. The national reading never applies: no area code starts
        // with 86 (see `chinese`), so this is the only valid one.
        (b'8', b'6') => after_country_code(s, 2),
        _ => chinese(s, 0, 0),
    }
}

/// The digits from index `at` on, after `+` or the `00` international prefix.
fn international(s: &Scanned, at: usize) -> Result<SubscriberNumber, NumberError> {
    let len = s.len.saturating_sub(at);
    match (s.digit(at), s.digit(at + 1)) {
        (0, _) => Err(NumberError::TooShort),
        (b'0', _) => Err(NumberError::InvalidCountryCode),
        (b'8', b'6') => after_country_code(s, at + 2),
        _ if len < INTERNATIONAL_MIN_LEN => Err(NumberError::TooShort),
        _ if len > E164_MAX_LEN => Err(NumberError::TooLong),
        // What precedes (`+` or `00`) adds nothing to the value.
        _ => NonZeroU64::new(s.value)
            .map(SubscriberNumber)
            .ok_or(NumberError::InvalidCountryCode),
    }
}

/// The digits from index `at` on, after country code 86 (written `86`, `+86` or `0086`); a
/// redundant trunk `0` (`+86 010…`) is common in caller IDs and dropped, as libphonenumber does.
fn after_country_code(s: &Scanned, at: usize) -> Result<SubscriberNumber, NumberError> {
    match s.digit(at) {
        b'0' => chinese(s, at + 1, 860),
        _ => chinese(s, at, 86),
    }
}

/// The Chinese national significant number from digit `at` on (no trunk prefix) to `86` + NSN;
/// `prefix` is the value of the digits before it, to replace with 86.
///
/// The shapes are deliberately looser than libphonenumber's per-range metadata; see the
/// module docs.
fn chinese(s: &Scanned, at: usize, prefix: u64) -> Result<SubscriberNumber, NumberError> {
    let len = s.len.saturating_sub(at);
    // ASCII digits, 0 past the end.
    let (min, max) = match (s.digit(at), s.digit(at + 1), s.digit(at + 2)) {
        // Checked first: a 700 number must never be bound as a party, whatever its length.
        (b'7', b'0', b'0') => return Err(NumberError::PrivacySegment),
        (b'1', b'3'..=b'9', _) => (MOBILE_NSN_LEN, MOBILE_NSN_LEN),
        // Beijing (10) and the 2x metropolitan areas: 8-digit local numbers.
        (b'1', b'0', _) | (b'2', _, _) => (10, 10),
        // No area code starts with 86: it would collide with the country code, and
        // libphonenumber reads `86…` as +86 too. Excluding it keeps bare `86…` unambiguous.
        (b'8', b'6', _) => return Err(NumberError::InvalidSubscriber),
        // 3-digit area codes: 7- or 8-digit local numbers.
        (b'3'..=b'9', _, _) => (10, 11),
        (0, _, _) | (b'1', 0, _) => return Err(NumberError::TooShort),
        // 0 (a second trunk prefix), 11x/12x (service codes like 110, 12345).
        _ => return Err(NumberError::InvalidSubscriber),
    };
    if len < min {
        return Err(NumberError::TooShort);
    }
    if len > max {
        return Err(NumberError::TooLong);
    }
    // Swap the prefix's worth (prefix × 10^len) for 86's; at most 19 digits, no overflow.
    let scale = pow10(len);
    let value = s
        .value
        .wrapping_sub(prefix.wrapping_mul(scale))
        .wrapping_add(86u64.wrapping_mul(scale));
    NonZeroU64::new(value)
        .map(SubscriberNumber)
        .ok_or(NumberError::InvalidSubscriber)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<u64, NumberError> {
        SubscriberNumber::parse(s).map(SubscriberNumber::e164)
    }

    /// The fast path of `from_e164` accepts exactly what the string path accepts, around and
    /// across the mobile range.
    #[test]
    fn from_e164_reads_mobile_numbers_as_the_string_path_does() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut values: Vec<u64> = vec![MOBILE_E164_MIN, MOBILE_E164_MAX];
        for edge in [MOBILE_E164_MIN, MOBILE_E164_MAX] {
            values.extend(edge - 1000..=edge + 1000);
        }
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let span = MOBILE_E164_MAX - MOBILE_E164_MIN + 1;
            values.push(MOBILE_E164_MIN + seed % span);
            values.push(8_600_000_000_000 + seed % 100_000_000_000);
        }
        for v in values {
            assert_eq!(
                SubscriberNumber::from_e164(v),
                SubscriberNumber::from_e164_text(v),
                "{v}"
            );
            if (MOBILE_E164_MIN..=MOBILE_E164_MAX).contains(&v) {
                assert_eq!(SubscriberNumber::from_e164(v).map(|n| n.e164()), Ok(v));
            }
        }
    }

    #[test]
    fn mobile_shapes_normalise_together() {
        for s in [
            "13812345678",
            "+8613812345678",
            "8613812345678",
            "008613812345678",
            "+86 138-1234-5678",
            "tel:+8613812345678",
            "sip:13812345678@host;user=phone",
            "SIP:+8613812345678@10.1.1.1:5060;transport=udp",
            "sips:0086-138-1234-5678@h",
            "(+86) 138.1234.5678",
            "013812345678",
            "+86 0138 1234 5678",
            "86 0 13812345678",
            "tel:13812345678;phone-context=+86",
        ] {
            assert_eq!(p(s), Ok(8_613_812_345_678), "{s}");
        }
        let n = SubscriberNumber::parse("13812345678").unwrap();
        assert_eq!(n.kind(), SubscriberKind::ChineseMobile);
    }

    #[test]
    fn fixed_line_shapes_normalise_together() {
        for s in [
            "01012345678",
            "1012345678",
            "+861012345678",
            "861012345678",
            "00861012345678",
            "+86 010 1234 5678",
            "(010) 1234-5678",
            "tel:+86-10-1234-5678",
        ] {
            assert_eq!(p(s), Ok(861_012_345_678), "{s}");
        }
        for s in [
            "0755 1234 5678",
            "75512345678",
            "+86 755 1234 5678",
            "8675512345678",
        ] {
            assert_eq!(p(s), Ok(8_675_512_345_678), "{s}");
        }
        // 3-digit area code with a 7-digit local number.
        assert_eq!(p("0871 234 5678"), Ok(868_712_345_678));
        // 2x area code.
        assert_eq!(p("021-6123-4567"), Ok(862_161_234_567));
        let n = SubscriberNumber::parse("01012345678").unwrap();
        assert_eq!(n.kind(), SubscriberKind::ChineseFixedLine);
    }

    #[test]
    fn local_number_may_start_with_any_digit() {
        // libphonenumber accepts these (e.g. 010 0xxx xxxx); we must not be stricter.
        assert_eq!(p("010 0123 4567"), Ok(861_001_234_567));
        assert_eq!(p("0311 1234567"), Ok(863_111_234_567));
        assert_eq!(p("0311 01234567"), Ok(8_631_101_234_567));
    }

    #[test]
    fn bare_86_is_the_country_code() {
        assert_eq!(p("8613812345678"), Ok(8_613_812_345_678));
        assert_eq!(p("860755 1234 5678"), Ok(8_675_512_345_678));
        // No national reading in an "area 861/868": libphonenumber reads these as
        // +86 + a short NSN, so accepting them nationally would normalise differently.
        assert_eq!(p("8612345678"), Err(NumberError::InvalidSubscriber));
        assert_eq!(p("86851951234"), Err(NumberError::TooShort));
        assert_eq!(p("0861 2345678"), Err(NumberError::InvalidSubscriber));
        assert_eq!(p("+86 861 2345 6789"), Err(NumberError::InvalidSubscriber));
        assert_eq!(p("861381234567"), Err(NumberError::TooShort));
        assert_eq!(p("867001234567"), Err(NumberError::PrivacySegment));
    }

    #[test]
    fn international_numbers() {
        for (s, v) in [
            ("+1 202 555 0123", 12_025_550_123),
            ("0012025550123", 12_025_550_123),
            ("+44 7911 123456", 447_911_123_456),
            ("tel:+77001234567", 77_001_234_567),
            ("+1234567", 1_234_567),
            ("+123456789012345", 123_456_789_012_345),
        ] {
            let n = SubscriberNumber::parse(s).unwrap();
            assert_eq!(n.e164(), v, "{s}");
            assert_eq!(n.kind(), SubscriberKind::International);
        }
        assert_eq!(p("+123456"), Err(NumberError::TooShort));
        assert_eq!(p("+1234567890123456"), Err(NumberError::TooLong));
        assert_eq!(p("+0123456789"), Err(NumberError::InvalidCountryCode));
        assert_eq!(p("000123456789"), Err(NumberError::InvalidCountryCode));
        assert_eq!(p("00"), Err(NumberError::TooShort));
        // +86 is held to the Chinese rules, not the generic ones.
        assert_eq!(p("+86123456789"), Err(NumberError::InvalidSubscriber));
        assert_eq!(p("+861381234567"), Err(NumberError::TooShort));
    }

    #[test]
    fn privacy_segment_refused() {
        for s in [
            "700123456789012",
            "70012345678",
            "+86 700 1234 5678 9012",
            "0086700123456789012",
            "0700123456789012",
            "tel:+86-700",
            "700",
        ] {
            assert_eq!(p(s), Err(NumberError::PrivacySegment), "{s}");
        }
    }

    #[test]
    fn chinese_errors() {
        assert_eq!(p("1381234567"), Err(NumberError::TooShort));
        assert_eq!(p("138123456789"), Err(NumberError::TooLong));
        assert_eq!(p("101234567"), Err(NumberError::TooShort));
        assert_eq!(p("10123456789"), Err(NumberError::TooLong));
        assert_eq!(p("2112345678901"), Err(NumberError::TooLong));
        assert_eq!(p("755123456"), Err(NumberError::TooShort));
        assert_eq!(p("755123456789"), Err(NumberError::TooLong));
        assert_eq!(p("11012345678"), Err(NumberError::InvalidSubscriber));
        assert_eq!(p("12345678901"), Err(NumberError::InvalidSubscriber));
        assert_eq!(p("0"), Err(NumberError::TooShort));
        assert_eq!(p("1"), Err(NumberError::TooShort));
        assert_eq!(p("+86"), Err(NumberError::TooShort));
        assert_eq!(p("+86 00 1012345678"), Err(NumberError::InvalidSubscriber));
        // Area-code service numbers (95xxx) are not subscriber lines.
        assert_eq!(p("010 95588"), Err(NumberError::TooShort));
    }

    #[test]
    fn scan_errors_surface() {
        assert_eq!(p(""), Err(NumberError::Empty));
        assert_eq!(p(" - "), Err(NumberError::Empty));
        assert_eq!(p("+"), Err(NumberError::Empty));
        assert_eq!(
            p("138 1234 5678 x"),
            Err(NumberError::InvalidCharacter { at: 14 })
        );
        assert_eq!(
            p("138+12345678"),
            Err(NumberError::InvalidCharacter { at: 3 })
        );
        assert_eq!(
            SubscriberNumber::parse_bytes(b"138\xe4\xb8\xad12345678"),
            Err(NumberError::InvalidCharacter { at: 3 })
        );
        assert_eq!(
            SubscriberNumber::parse_bytes(b"13812345678").map(SubscriberNumber::e164),
            Ok(8_613_812_345_678)
        );
    }

    #[test]
    fn huge_inputs() {
        assert_eq!(p(&"1".repeat(4096)), Err(NumberError::TooLong));
        assert_eq!(p(&"9".repeat(1 << 20)), Err(NumberError::TooLong));
        let mut s = "+86".to_string();
        s.push_str(&"-".repeat(1 << 20));
        assert_eq!(p(&s), Err(NumberError::TooShort));
        assert_eq!(
            SubscriberNumber::parse_bytes(&vec![0xFF; 1 << 20]),
            Err(NumberError::InvalidCharacter { at: 0 })
        );
    }

    #[test]
    fn from_e164_matches_parse() {
        for v in [
            0,
            1,
            86,
            8_613_812_345_678,
            861_012_345_678,
            86_700_123_456_789_012,
            12_025_550_123,
            13_812_345_678,
            u64::MAX,
            10_000_000_000_000_000_000,
        ] {
            assert_eq!(
                SubscriberNumber::from_e164(v),
                SubscriberNumber::parse(&format!("+{v}")),
                "{v}"
            );
        }
        assert_eq!(
            SubscriberNumber::from_e164(8_613_812_345_678).map(SubscriberNumber::e164),
            Ok(8_613_812_345_678)
        );
        assert_eq!(
            SubscriberNumber::from_e164(0),
            Err(NumberError::InvalidCountryCode)
        );
        assert_eq!(
            SubscriberNumber::from_e164(u64::MAX),
            Err(NumberError::TooLong)
        );
        // Trunk 0 after 86 is tolerated here too, and normalised away.
        assert_eq!(
            SubscriberNumber::from_e164(86_013_812_345_678).map(SubscriberNumber::e164),
            Ok(8_613_812_345_678)
        );
    }

    #[test]
    fn display_digits_round_trip() {
        for s in [
            "+8613812345678",
            "+861012345678",
            "+12025550123",
            "+123456789012345",
        ] {
            let n = SubscriberNumber::parse(s).unwrap();
            assert_eq!(n.to_string(), s);
            assert_eq!(n.to_digits().as_str(), s);
            assert_eq!(n.to_digits().to_string(), s);
            assert_eq!(format!("{:?}", n.to_digits()), format!("E164Digits({s:?})"));
            assert_eq!(SubscriberNumber::parse(n.to_digits().as_ref()), Ok(n));
        }
    }

    #[test]
    fn serde() {
        let n = SubscriberNumber::parse("+86 138 1234 5678").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "8613812345678");
        assert_eq!(
            serde_json::from_str::<SubscriberNumber>("8613812345678").unwrap(),
            n
        );
        for bad in [
            "0",
            "86700123456789012",
            "8612",
            "123",
            "18446744073709551615",
            "\"+86\"",
        ] {
            assert!(
                serde_json::from_str::<SubscriberNumber>(bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            serde_json::to_string(&SubscriberKind::ChineseFixedLine).unwrap(),
            "\"chinese_fixed_line\""
        );
        assert_eq!(
            serde_json::from_str::<SubscriberKind>("\"international\"").unwrap(),
            SubscriberKind::International
        );
    }

    #[test]
    fn decimal_digits_extremes() {
        assert_eq!(decimal_digits(0), ([0; 20], 1));
        let (buf, len) = decimal_digits(u64::MAX);
        assert_eq!(len, 20);
        assert_eq!(
            buf[..19].iter().fold(0, |acc, &d| acc * 10 + u64::from(d)),
            u64::MAX / 10
        );
    }
}
