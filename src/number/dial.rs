//! Dial-string scanning shared by all number types, and the 700 dial-string classifier.

use core::str::FromStr;

use super::error::NumberError;
use super::seven_hundred::{MANAGEMENT_LEN, ManagementNumber, USAGE_LEN, UsageNumber};

/// Most digits any accepted dial string carries: `0086` + a 15-digit usage number.
///
/// The scanner stops at the next digit, so a hostile 1 MiB digit string costs three 8-byte steps.
pub(crate) const MAX_DIAL_DIGITS: usize = 19;

/// `10^e` for every digit count up to [`MAX_DIAL_DIGITS`].
const POW10: [u64; MAX_DIAL_DIGITS + 1] = {
    let mut table = [1u64; MAX_DIAL_DIGITS + 1];
    let mut e = 1;
    while e < table.len() {
        table[e] = table[e - 1] * 10;
        e += 1;
    }
    table
};

/// `10^e`; `e` is a digit count, at most [`MAX_DIAL_DIGITS`] (0 beyond, never reached).
pub(crate) fn pow10(e: usize) -> u64 {
    POW10.get(e).copied().unwrap_or(0)
}

/// A byte in every lane of a `u64` holding eight input bytes.
const fn lanes(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// A dial string reduced to what the classifiers need, in one pass and without a digit buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// All digits as one integer; at most 19 digits, so it never overflows.
    pub(crate) value: u64,
    /// How many digits (1..=19).
    pub(crate) len: usize,
    /// The first eight digits as ASCII, first digit in the low byte; bytes past `len` are 0, so
    /// a prefix test is one masked compare. Eight covers the longest prefix the classifiers look
    /// at (`00860` + three NSN digits).
    lead: u64,
    /// Whether the number was written with a leading `+` (international format).
    pub(crate) plus: bool,
}

impl Scanned {
    /// The digits from index `at` (at most 7) as ASCII bytes, low byte first, 0 past the end.
    pub(crate) fn lead_from(&self, at: usize) -> u64 {
        u32::try_from(8 * at)
            .ok()
            .and_then(|shift| self.lead.checked_shr(shift))
            .unwrap_or(0)
    }

    /// Digit `at` (at most 7) as an ASCII byte, or 0 past the end.
    pub(crate) fn digit(&self, at: usize) -> u8 {
        self.lead_from(at).to_le_bytes()[0]
    }
}

/// Byte offset of the user part when `input` starts with a `tel:`, `sip:` or `sips:` scheme.
fn uri_user_start(input: &[u8]) -> Option<usize> {
    let &[t, e, l, colon] = input.first_chunk::<4>()?;
    // `| 0x20` folds exactly the ASCII capital of each of these letters onto it.
    match (t | 0x20, e | 0x20, l | 0x20, colon) {
        (b't', b'e', b'l', b':') | (b's', b'i', b'p', b':') => Some(4),
        (b's', b'i', b'p', b's' | b'S') if input.get(4) == Some(&b':') => Some(5),
        _ => None,
    }
}

/// The eight bytes from `at` as a little-endian `u64`, zero-filled past the end of `input`.
fn load8(input: &[u8], at: usize) -> u64 {
    let rest = input.get(at..).unwrap_or(&[]);
    if let Some(chunk) = rest.first_chunk::<8>() {
        return u64::from_le_bytes(*chunk);
    }
    // Near the end: the last eight bytes, shifted so byte `at` is the low one.
    if let Some(chunk) = input.last_chunk::<8>() {
        let before = 8 - rest.len();
        return u32::try_from(8 * before)
            .ok()
            .and_then(|shift| u64::from_le_bytes(*chunk).checked_shr(shift))
            .unwrap_or(0);
    }
    let mut buf = [0u8; 8];
    buf.iter_mut().zip(rest).for_each(|(slot, &b)| *slot = b);
    u64::from_le_bytes(buf)
}

/// `chunk` with each ASCII digit byte turned into its value (0..=9), and how many of its bytes,
/// from the low one, were digits (0..=8).
fn digit_run(chunk: u64) -> (u64, usize) {
    let values = chunk ^ lanes(b'0');
    // A byte is a digit iff its value is below 10, i.e. adding 0x76 leaves bit 7 clear (and it
    // was clear before). A carry out of a non-digit byte only disturbs the bytes after it, which
    // are not counted.
    let not_digit = (values.wrapping_add(lanes(0x76)) | values) & lanes(0x80);
    (values, not_digit.trailing_zeros() as usize / 8)
}

/// The number written by the first `run` (1..=8) digit values in `values`, low byte first.
fn run_value(values: u64, run: usize) -> u64 {
    // Move the digits to the top, dropping the bytes after them, so the vacated low bytes read
    // as leading zeros; then combine neighbours pairwise: 8 × 1 digit → 4 × 2 → 2 × 4 → 1 × 8.
    let shift = u32::try_from(8 * (8 - run)).unwrap_or(0);
    let digits = values.checked_shl(shift).unwrap_or(0);
    let pairs = (digits.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    quads.wrapping_mul(10_000 << 32 | 1) >> 32
}

/// Strips separators and URI wrapping and accumulates the digits, at most [`MAX_DIAL_DIGITS`].
///
/// A `+` is accepted once, before the first digit, so `(+86) 138…` works but `86+138…`
/// does not. In a URI the user part ends at `@` (host) or `;` (parameters). Errors come in
/// input order: the first bad byte, or [`NumberError::TooLong`] at the 20th digit.
#[inline]
pub(crate) fn scan(input: &[u8]) -> Result<Scanned, NumberError> {
    let (mut at, is_uri) = match uri_user_start(input) {
        Some(start) => (start, true),
        None => (0, false),
    };
    // The usual place of the `+`, taken before the loop (which also accepts it after `(`).
    let plus = input.get(at) == Some(&b'+');
    at += usize::from(plus);
    let mut out = Scanned {
        value: 0,
        len: 0,
        lead: 0,
        plus,
    };
    loop {
        // Digits eight at a time: dial strings are mostly long digit runs.
        let chunk = load8(input, at);
        let (values, run) = digit_run(chunk);
        if run > 0 {
            if out.len + run > MAX_DIAL_DIGITS {
                return Err(NumberError::TooLong);
            }
            if out.len < 8 {
                let digits = chunk & (u64::MAX >> (64 - 8 * run));
                out.lead |= digits << (8 * out.len);
            }
            // At most 19 digits in all: no overflow.
            out.value = out
                .value
                .wrapping_mul(pow10(run))
                .wrapping_add(run_value(values, run));
            out.len += run;
            at += run;
            if run == 8 {
                continue;
            }
        }
        // Byte `at` is not a digit (or the input ended).
        let Some(&byte) = input.get(at) else { break };
        match byte {
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            b'+' if !out.plus && out.len == 0 => out.plus = true,
            b'@' | b';' if is_uri => break,
            _ => return Err(NumberError::InvalidCharacter { at }),
        }
        at += 1;
    }
    if out.len == 0 {
        return Err(NumberError::Empty);
    }
    Ok(out)
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
    const NOTHING: DialedNumber = DialedNumber::Incomplete { digits: 0, len: 0 };
    let s = scan(input)?;
    // Where the country code starts, if the string has one.
    let country_code = if s.plus {
        0
    } else {
        match (s.digit(0), s.digit(1)) {
            // `0` alone: the start of `0086`.
            (b'0', 0) => return Ok(NOTHING),
            (b'0', b'0') => 2,
            // A trunk 0 before 700 is not a form switches hand over.
            (b'0', _) => return Err(NumberError::NotSegment700),
            // National 700 numbers never start with 8, so a bare 8 is the country code.
            (b'8', _) => 0,
            _ => return national_700(&s, 0, 0),
        }
    };
    match (s.digit(country_code), s.digit(country_code + 1)) {
        // Only (a leading part of) the country code so far.
        (0, _) | (b'8', 0) => Ok(NOTHING),
        (b'8', b'6') => national_700(&s, country_code + 2, 86),
        (b'0', _) => Err(NumberError::InvalidCountryCode),
        _ => Err(NumberError::NotSegment700),
    }
}

/// Classifies the digits from index `at` on as a (partial) 700 number; `prefix` is the value of
/// the digits before `at` (`86` or `0086`: 86), to subtract from the scanned value.
fn national_700(s: &Scanned, at: usize, prefix: u64) -> Result<DialedNumber, NumberError> {
    let len = s.len.saturating_sub(at);
    // A leading part of `700` is enough: overlap dialling may have stopped inside it.
    let checked = u32::try_from(8 * len.min(3)).unwrap_or(0);
    let mask = (1u64 << checked) - 1;
    if s.lead_from(at) & mask != u64::from_le_bytes(*b"700\0\0\0\0\0") & mask {
        return Err(NumberError::NotSegment700);
    }
    if len > usize::from(USAGE_LEN) {
        return Err(NumberError::TooLong);
    }
    // The prefix's digits are worth prefix × 10^len; `s.value` has at most 19 digits.
    let value = s.value.wrapping_sub(prefix.wrapping_mul(pow10(len)));
    match len {
        l if l == usize::from(USAGE_LEN) => UsageNumber::new(value).map(DialedNumber::Usage),
        l if l == usize::from(MANAGEMENT_LEN) => {
            ManagementNumber::new(value).map(DialedNumber::Management)
        }
        // len < 15 here, so the narrowing cannot truncate.
        _ => Ok(DialedNumber::Incomplete {
            digits: value,
            len: len as u8,
        }),
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
            assert_eq!((d.value, d.len), (700_123_456_789_012, 15), "{s}");
            assert!(!d.plus);
        }
        assert!(scan(b"(+86) 700").unwrap().plus);
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
    fn scan_keeps_the_leading_digits() {
        let s = scan(b"tel:+1-234 567.8901").unwrap();
        assert_eq!((s.value, s.len, s.plus), (12_345_678_901, 11, true));
        assert_eq!(s.lead_from(0), u64::from_le_bytes(*b"12345678"));
        assert_eq!(s.lead_from(5), u64::from_le_bytes(*b"678\0\0\0\0\0"));
        assert_eq!((s.digit(0), s.digit(7), s.digit(8)), (b'1', b'8', 0));
        let s = scan(b"0(0)8").unwrap();
        assert_eq!((s.value, s.len, s.plus), (8, 3, false));
        assert_eq!((s.digit(1), s.digit(2), s.digit(3)), (b'0', b'8', 0));
        assert_eq!(s.lead_from(64), 0);
    }

    #[test]
    fn uri_schemes_are_exact() {
        for (s, start) in [
            (&b"tel:1"[..], Some(4)),
            (b"TeL:1", Some(4)),
            (b"sip:1", Some(4)),
            (b"SIPS:1", Some(5)),
            (b"sIpS:", Some(5)),
            (b"sips", None),
            (b"sip", None),
            // Bytes that differ from the scheme's only in bit 0x20 but are not its letters.
            (b"tel\x1a1", None),
            (b"sips\x1a", None),
            (b"\x14el:", None),
            (b"http:1", None),
            (b"sipx:1", None),
        ] {
            assert_eq!(uri_user_start(s), start, "{s:?}");
        }
    }

    #[test]
    fn digit_run_stops_at_the_first_non_digit() {
        for byte in 0..=u8::MAX {
            for pos in 0..8 {
                let mut bytes = *b"01234567";
                bytes[pos] = byte;
                let (values, run) = digit_run(u64::from_le_bytes(bytes));
                let want = if byte.is_ascii_digit() { 8 } else { pos };
                assert_eq!(run, want, "{byte:#x} at {pos}");
                if run > 0 {
                    let text = core::str::from_utf8(&bytes[..run]).unwrap();
                    assert_eq!(run_value(values, run), text.parse::<u64>().unwrap());
                }
            }
        }
    }

    #[test]
    fn run_value_of_every_length() {
        for text in [*b"98765432", *b"00000000", *b"99999999", *b"10203040"] {
            let (values, run) = digit_run(u64::from_le_bytes(text));
            assert_eq!(run, 8);
            for run in 1..=8 {
                let want: u64 = core::str::from_utf8(&text[..run]).unwrap().parse().unwrap();
                assert_eq!(run_value(values, run), want);
            }
        }
    }

    #[test]
    fn load8_zero_fills_past_the_end() {
        let input = b"0123456789abc";
        for len in 0..=input.len() {
            let s = &input[..len];
            for at in 0..=len + 1 {
                let mut want = [0u8; 8];
                for (w, &b) in want.iter_mut().zip(s.get(at..).unwrap_or(&[])) {
                    *w = b;
                }
                assert_eq!(load8(s, at), u64::from_le_bytes(want), "{len} {at}");
            }
        }
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
