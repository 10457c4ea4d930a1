//! The number parsers against a straightforward reference: the original two-pass implementation
//! (scan digits into a buffer, then match slices), kept here verbatim as the model. The library's
//! single-pass parsers must agree with it on every input, errors and their `at` offsets included.

use np700::number::{
    DialedNumber, ManagementNumber, NumberError, SubscriberNumber, UsageNumber, parse_dialed_bytes,
};
use proptest::prelude::*;

/// The reference model: the parsers as they were before the single-pass rewrite.
mod reference {
    use super::*;

    pub const MAX_DIAL_DIGITS: usize = 19;
    const MANAGEMENT_LEN: u8 = 11;
    const USAGE_LEN: u8 = 15;
    const MOBILE_NSN_LEN: usize = 11;
    const E164_MAX_LEN: usize = 15;
    const INTERNATIONAL_MIN_LEN: usize = 7;

    pub struct DialDigits {
        digits: [u8; MAX_DIAL_DIGITS],
        len: u8,
        plus: bool,
    }

    impl DialDigits {
        fn digits(&self) -> &[u8] {
            self.digits.get(..usize::from(self.len)).unwrap_or(&[])
        }
    }

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

    pub fn scan(input: &[u8]) -> Result<DialDigits, NumberError> {
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

    fn digits_value(digits: &[u8]) -> u64 {
        digits.iter().fold(0u64, |acc, &d| {
            acc.saturating_mul(10).saturating_add(u64::from(d))
        })
    }

    pub fn parse_dialed(input: &[u8]) -> Result<DialedNumber, NumberError> {
        let scanned = scan(input)?;
        let national = national_700(scanned.digits(), scanned.plus)?;
        let is_700_prefix = national.iter().zip([7u8, 0, 0]).all(|(&d, want)| d == want);
        if !is_700_prefix {
            return Err(NumberError::NotSegment700);
        }
        let value = digits_value(national);
        match national.len() {
            len if len == usize::from(USAGE_LEN) => {
                UsageNumber::new(value).map(DialedNumber::Usage)
            }
            len if len == usize::from(MANAGEMENT_LEN) => {
                ManagementNumber::new(value).map(DialedNumber::Management)
            }
            len if len < usize::from(USAGE_LEN) => Ok(DialedNumber::Incomplete {
                digits: value,
                len: len as u8,
            }),
            _ => Err(NumberError::TooLong),
        }
    }

    fn national_700(all: &[u8], plus: bool) -> Result<&[u8], NumberError> {
        let country_code = if plus {
            all
        } else {
            match all {
                [0] => return Ok(&[]),
                [0, 0, rest @ ..] => rest,
                [0, ..] => return Err(NumberError::NotSegment700),
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

    /// E.164 digits of a subscriber number.
    pub fn parse_subscriber(input: &[u8]) -> Result<u64, NumberError> {
        let scanned = scan(input)?;
        classify(scanned.digits(), scanned.plus)
    }

    pub fn from_e164(digits: u64) -> Result<u64, NumberError> {
        let (buf, len) = decimal_digits(digits);
        if len > MAX_DIAL_DIGITS {
            return Err(NumberError::TooLong);
        }
        classify(buf.get(..len).unwrap_or(&[]), true)
    }

    fn decimal_digits(mut value: u64) -> ([u8; 20], usize) {
        let mut buf = [0u8; 20];
        let mut len = 0;
        for slot in buf.iter_mut().rev() {
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

    fn classify(digits: &[u8], plus: bool) -> Result<u64, NumberError> {
        if plus {
            return international(digits);
        }
        match digits {
            [0, 0, rest @ ..] => international(rest),
            [0, nsn @ ..] => chinese(nsn),
            [8, 6, rest @ ..] => after_country_code(rest),
            _ => chinese(digits),
        }
    }

    fn international(rest: &[u8]) -> Result<u64, NumberError> {
        match rest {
            [] => Err(NumberError::TooShort),
            [0, ..] => Err(NumberError::InvalidCountryCode),
            [8, 6, nsn @ ..] => after_country_code(nsn),
            _ if rest.len() < INTERNATIONAL_MIN_LEN => Err(NumberError::TooShort),
            _ if rest.len() > E164_MAX_LEN => Err(NumberError::TooLong),
            _ => match digits_value(rest) {
                0 => Err(NumberError::InvalidCountryCode),
                v => Ok(v),
            },
        }
    }

    fn after_country_code(rest: &[u8]) -> Result<u64, NumberError> {
        match rest {
            [0, nsn @ ..] => chinese(nsn),
            nsn => chinese(nsn),
        }
    }

    fn chinese(nsn: &[u8]) -> Result<u64, NumberError> {
        chinese_nsn_shape(nsn)?;
        let value = nsn.iter().fold(86u64, |acc, &d| {
            acc.saturating_mul(10).saturating_add(u64::from(d))
        });
        match value {
            0 => Err(NumberError::InvalidSubscriber),
            v => Ok(v),
        }
    }

    fn chinese_nsn_shape(nsn: &[u8]) -> Result<(), NumberError> {
        let (min, max) = match nsn {
            [7, 0, 0, ..] => return Err(NumberError::PrivacySegment),
            [1, 3..=9, ..] => (MOBILE_NSN_LEN, MOBILE_NSN_LEN),
            [1, 0, ..] | [2, ..] => (10, 10),
            [8, 6, ..] => return Err(NumberError::InvalidSubscriber),
            [3..=9, ..] => (10, 11),
            [] | [1] => return Err(NumberError::TooShort),
            _ => return Err(NumberError::InvalidSubscriber),
        };
        if nsn.len() < min {
            Err(NumberError::TooShort)
        } else if nsn.len() > max {
            Err(NumberError::TooLong)
        } else {
            Ok(())
        }
    }

    /// `ManagementNumber::parse_bytes` / `UsageNumber::parse_bytes` on top of the model.
    pub fn exact(input: &[u8], expected: u8) -> Result<u64, NumberError> {
        let found = match parse_dialed(input)? {
            DialedNumber::Usage(u) if expected == USAGE_LEN => return Ok(u.value()),
            DialedNumber::Management(m) if expected == MANAGEMENT_LEN => return Ok(m.value()),
            DialedNumber::Usage(_) => USAGE_LEN,
            DialedNumber::Management(_) => MANAGEMENT_LEN,
            DialedNumber::Incomplete { len, .. } => len,
        };
        Err(NumberError::WrongLength { expected, found })
    }
}

/// Asserts that every parser agrees with the model on `input`.
fn agrees(input: &[u8]) -> Result<(), TestCaseError> {
    let shown = String::from_utf8_lossy(input);
    prop_assert_eq!(
        parse_dialed_bytes(input),
        reference::parse_dialed(input),
        "parse_dialed_bytes({:?})",
        shown
    );
    prop_assert_eq!(
        SubscriberNumber::parse_bytes(input).map(SubscriberNumber::e164),
        reference::parse_subscriber(input),
        "SubscriberNumber::parse_bytes({:?})",
        shown
    );
    prop_assert_eq!(
        ManagementNumber::parse_bytes(input).map(ManagementNumber::value),
        reference::exact(input, 11),
        "ManagementNumber::parse_bytes({:?})",
        shown
    );
    prop_assert_eq!(
        UsageNumber::parse_bytes(input).map(UsageNumber::value),
        reference::exact(input, 15),
        "UsageNumber::parse_bytes({:?})",
        shown
    );
    if let Ok(text) = std::str::from_utf8(input) {
        prop_assert_eq!(
            np700::number::parse_dialed(text),
            reference::parse_dialed(input)
        );
        prop_assert_eq!(
            SubscriberNumber::parse(text).map(SubscriberNumber::e164),
            reference::parse_subscriber(input)
        );
    }
    Ok(())
}

/// Pieces switches' strings are made of, and some they should never contain.
fn token() -> impl Strategy<Value = Vec<u8>> {
    let fixed = |items: &'static [&'static str]| {
        prop::sample::select(items).prop_map(|s: &str| s.as_bytes().to_vec())
    };
    prop_oneof![
        8 => "[0-9]{1,9}".prop_map(String::into_bytes),
        4 => fixed(&[
            "+", "+86", "0086", "86", "860", "00", "0", "8", "700", "7001234", "1", "13", "10",
            "11", "2", "755", "861", "00860", "+860", "70012345678", "7", "9",
        ]),
        4 => fixed(&[" ", "-", ".", "(", ")", " - ", "(+86) "]),
        2 => fixed(&[
            "tel:", "sip:", "sips:", "TEL:", "Sip:", "SIPS:", "sIpS:", "tel", "sip", "sips",
            "tel;", "te:", "sip:+", "tel\x1a", "sip\x1a", "sips\x1a",
        ]),
        2 => fixed(&["@", ";", "@ims.example.cn;user=phone", ";phone-context=+86", "@h", ":"]),
        1 => "[a-zA-Z]{1,3}".prop_map(String::into_bytes),
        1 => any::<u8>().prop_map(|b| vec![b]),
        1 => fixed(&["中", "\u{ff10}", "#", "*", "\t", "/", "\0"]),
    ]
}

/// Random strings over the dial-string alphabet.
fn dial_string() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(token(), 0..14).prop_map(|parts| parts.concat())
}

/// Mostly well-formed numbers: optional scheme, prefix, a leading shape, a digit run of any length
/// around the interesting ones (7, 10, 11, 15, 19), separators sprinkled, optional tail.
fn number_like() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(&["", "", "tel:", "sip:", "SIPS:", "(", "tel:("][..]),
        prop::sample::select(
            &[
                "", "", "+", "+86", "0086", "86", "+860", "00860", "860", "0", "00", "+0", "8",
                "+ 86 ", "00 86 ", "(+86) ",
            ][..],
        ),
        prop::sample::select(
            &[
                "", "700", "700", "700", "7001", "13", "19", "12", "11", "10", "2", "21", "755",
                "86", "861", "0", "1", "8", "9",
            ][..],
        ),
        // Usage and management numbers and mobiles need 12, 8 and 9 digits after the lead.
        prop_oneof!["[0-9]{0,20}", "[0-9]{12}", "[0-9]{8}", "[0-9]{7,10}"],
        prop::collection::vec(
            prop::sample::select(&["", "", "", "", " ", "-", ".", ")"][..]),
            20,
        ),
        prop::sample::select(
            &[
                "",
                "",
                "",
                "@h",
                ";user=phone",
                "@ims.example.cn;user=phone",
                "x",
                ")",
            ][..],
        ),
    )
        .prop_map(|(scheme, prefix, lead, digits, seps, tail)| {
            let mut s = format!("{scheme}{prefix}{lead}");
            for (c, sep) in digits.chars().zip(seps.iter().cycle()) {
                s.push(c);
                s.push_str(sep);
            }
            s.push_str(tail);
            s.into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn random_dial_strings_agree(input in dial_string()) {
        agrees(&input)?;
    }

    #[test]
    fn number_like_strings_agree(input in number_like()) {
        agrees(&input)?;
    }

    #[test]
    fn any_bytes_agree(input in prop::collection::vec(any::<u8>(), 0..40)) {
        agrees(&input)?;
    }

    #[test]
    fn from_e164_agrees(v in prop_oneof![
        any::<u64>(),
        0u64..100_000_000,
        // Around every power of ten, where digit counts change.
        (0u32..20, -3i64..=3).prop_map(|(e, d)| 10u64.pow(e).saturating_add_signed(d)),
        86_000_000_000u64..87_000_000_000_000_000,
    ]) {
        prop_assert_eq!(
            SubscriberNumber::from_e164(v).map(SubscriberNumber::e164),
            reference::from_e164(v),
            "{}", v
        );
        prop_assert_eq!(
            SubscriberNumber::try_from(v).map(SubscriberNumber::e164),
            reference::from_e164(v)
        );
    }
}

/// Every string of up to four characters over the bytes that steer the classifiers, with and
/// without a URI scheme and a long digit tail: all prefix combinations, exhaustively.
#[test]
fn short_strings_agree_exhaustively() {
    const ALPHABET: &[u8] = b"0136789+ @;";
    let heads: [&[u8]; 3] = [b"", b"sip:", b"tel:+"];
    let tails: [&[u8]; 4] = [b"", b"12345678", b"1234567890", b"12345678901234"];
    let mut s = Vec::new();
    for len in 0..=4u32 {
        for mut code in 0..ALPHABET.len().pow(len) {
            let mut body = Vec::new();
            for _ in 0..len {
                body.push(ALPHABET[code % ALPHABET.len()]);
                code /= ALPHABET.len();
            }
            for head in heads {
                for tail in tails {
                    s.clear();
                    s.extend_from_slice(head);
                    s.extend_from_slice(&body);
                    s.extend_from_slice(tail);
                    agrees(&s).unwrap();
                }
            }
        }
    }
}

/// Digit runs of every length up to past the scanner's limit, in every prefix form, with the
/// run split by separators at every position and a bad byte after it.
#[test]
fn digit_runs_of_every_length_agree() {
    for prefix in ["", "+", "+86", "0086", "86", "0", "00", "sip:", "tel:+86"] {
        for lead in ["700", "138", "10", "755", "9"] {
            for len in 0..=24usize {
                let digits: String = format!("{lead}123456789012345678901234")
                    .chars()
                    .take(len)
                    .collect();
                for split in 0..=digits.len() {
                    for after in ["", "x", "@", " \u{80}"] {
                        let (a, b) = digits.split_at(split);
                        let s = format!("{prefix}{a} {b}{after}");
                        agrees(s.as_bytes()).unwrap();
                        let s = format!("{prefix}{a}{b}{after}");
                        agrees(s.as_bytes()).unwrap();
                    }
                }
            }
        }
    }
}

/// The generators reach the interesting outcomes, so agreement is not vacuous.
#[test]
fn generators_are_not_vacuous() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut usage, mut management, mut subscriber, mut invalid_at) = (0, 0, 0, 0);
    for strategy in [number_like().boxed(), dial_string().boxed()] {
        for _ in 0..4000 {
            let s = strategy.new_tree(&mut runner).unwrap().current();
            match reference::parse_dialed(&s) {
                Ok(DialedNumber::Usage(_)) => usage += 1,
                Ok(DialedNumber::Management(_)) => management += 1,
                Err(NumberError::InvalidCharacter { .. }) => invalid_at += 1,
                _ => {}
            }
            subscriber += usize::from(reference::parse_subscriber(&s).is_ok());
        }
    }
    assert!(usage > 20 && management > 20, "{usage} {management}");
    assert!(
        subscriber > 200 && invalid_at > 200,
        "{subscriber} {invalid_at}"
    );
}
