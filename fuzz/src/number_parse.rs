//! `number_parse`: any bytes into every number parser.
//!
//! Properties, for the bytes as given and (for the `&str` entry points) as UTF-8 or, when they are
//! not UTF-8, their lossy conversion:
//!
//! - no parser panics; the `&str` and `&[u8]` entry points give the same answer;
//! - an `InvalidCharacter` error points at a byte that really is invalid;
//! - the management and usage parsers agree with `parse_dialed` (same number, or the length error
//!   naming the digits it found);
//! - accepted numbers round-trip: `parse(display(n)) == n`, and a `DialedNumber`'s canonical
//!   rendering parses back to it;
//! - normalisation is idempotent: the canonical form of a canonical form is itself;
//! - wrapping an accepted bare number in a tel/sip URI or parentheses changes nothing;
//! - a 700 number is never accepted as a subscriber (binding one would loop calls).

use np700::number::{
    DialedNumber, ManagementNumber, NumberError, SubscriberKind, SubscriberNumber, UsageNumber,
    parse_dialed, parse_dialed_bytes,
};

/// What one input was accepted as, so a replay can check its inputs reach the accepting paths.
#[derive(Clone, Copy, Debug, Default)]
pub struct Accepted {
    /// `parse_dialed` gave a complete usage number.
    pub usage: bool,
    /// `parse_dialed` gave a management number.
    pub management: bool,
    /// `parse_dialed` gave a leading part of a 700 number.
    pub incomplete: bool,
    /// `SubscriberNumber` accepted it.
    pub subscriber: bool,
}

/// Runs every check on `data`; panics on a violated property.
pub fn check(data: &[u8]) -> Accepted {
    let accepted = check_bytes(data);
    match std::str::from_utf8(data) {
        Ok(text) => check_str(text),
        Err(_) => {
            // The `&str` entry points never see these bytes as they are; give them the text a
            // host would most likely produce from them.
            let lossy = String::from_utf8_lossy(data);
            check_bytes(lossy.as_bytes());
            check_str(&lossy);
        }
    }
    accepted
}

/// The `&str` entry points (functions and `FromStr`) agree with the byte ones.
fn check_str(text: &str) {
    let bytes = text.as_bytes();
    assert_eq!(parse_dialed(text), parse_dialed_bytes(bytes), "{text:?}");
    assert_eq!(text.parse::<DialedNumber>(), parse_dialed_bytes(bytes));
    assert_eq!(
        SubscriberNumber::parse(text),
        SubscriberNumber::parse_bytes(bytes)
    );
    assert_eq!(
        text.parse::<SubscriberNumber>(),
        SubscriberNumber::parse_bytes(bytes)
    );
    assert_eq!(
        text.parse::<ManagementNumber>(),
        ManagementNumber::parse_bytes(bytes)
    );
    assert_eq!(text.parse::<UsageNumber>(), UsageNumber::parse_bytes(bytes));
}

fn check_bytes(bytes: &[u8]) -> Accepted {
    let dialed = parse_dialed_bytes(bytes);
    let subscriber = SubscriberNumber::parse_bytes(bytes);
    let management = ManagementNumber::parse_bytes(bytes);
    let usage = UsageNumber::parse_bytes(bytes);

    for err in [
        dialed.err(),
        subscriber.err(),
        management.err(),
        usage.err(),
    ]
    .into_iter()
    .flatten()
    {
        if let NumberError::InvalidCharacter { at } = err {
            let b = *bytes
                .get(at)
                .unwrap_or_else(|| panic!("{err:?} past the end of {bytes:?}"));
            assert!(
                !b.is_ascii_digit() && !b" -.()".contains(&b),
                "{err:?} points at an allowed byte in {bytes:?}"
            );
        }
    }

    // The fixed-length parsers are `parse_dialed` plus a length check.
    let (want_m, want_u) = match dialed {
        Ok(DialedNumber::Usage(u)) => (Err(wrong_length(11, 15)), Ok(u)),
        Ok(DialedNumber::Management(m)) => (Ok(m), Err(wrong_length(15, 11))),
        Ok(DialedNumber::Incomplete { len, .. }) => {
            (Err(wrong_length(11, len)), Err(wrong_length(15, len)))
        }
        Err(e) => (Err(e), Err(e)),
    };
    assert_eq!(management, want_m, "management number of {bytes:?}");
    assert_eq!(usage, want_u, "usage number of {bytes:?}");

    if let Ok(d) = dialed {
        check_dialed(d, bytes);
        // Every 700 dial string of three digits or more is the privacy segment, never a party.
        let national = match d {
            DialedNumber::Usage(_) => 15,
            DialedNumber::Management(_) => 11,
            DialedNumber::Incomplete { len, .. } => len,
        };
        if national >= 3 {
            assert_eq!(
                subscriber,
                Err(NumberError::PrivacySegment),
                "700 number {bytes:?} as a subscriber"
            );
        }
    }
    if let Ok(m) = management {
        let text = m.to_string();
        assert_eq!(text.len(), 11);
        assert_eq!(text.parse(), Ok(m));
        assert_eq!(ManagementNumber::new(m.value()), Ok(m));
    }
    if let Ok(u) = usage {
        let text = u.to_string();
        assert_eq!(text.len(), 15);
        assert_eq!(text.parse(), Ok(u));
        assert_eq!(UsageNumber::new(u.value()), Ok(u));
        assert_eq!(u.management().usage(u.sub_number()), Ok(u));
    }
    if let Ok(n) = subscriber {
        check_subscriber(n, bytes);
    }

    Accepted {
        usage: matches!(dialed, Ok(DialedNumber::Usage(_))),
        management: matches!(dialed, Ok(DialedNumber::Management(_))),
        incomplete: matches!(dialed, Ok(DialedNumber::Incomplete { .. })),
        subscriber: subscriber.is_ok(),
    }
}

fn wrong_length(expected: u8, found: u8) -> NumberError {
    NumberError::WrongLength { expected, found }
}

/// Canonical renderings of a dial-string classification: the national digits, and `+86` with them
/// (the only form that also denotes "nothing but the country code yet").
fn renderings(d: DialedNumber) -> [String; 2] {
    let national = match d {
        DialedNumber::Usage(u) => u.to_string(),
        DialedNumber::Management(m) => m.to_string(),
        DialedNumber::Incomplete { len: 0, .. } => String::new(),
        DialedNumber::Incomplete { digits, .. } => digits.to_string(),
    };
    [format!("+86{national}"), national]
}

fn check_dialed(d: DialedNumber, input: &[u8]) {
    match d {
        DialedNumber::Usage(_) => assert_eq!(d.digits_needed(), 0),
        DialedNumber::Management(_) => assert_eq!(d.digits_needed(), 4),
        DialedNumber::Incomplete { digits, len } => {
            assert!(len < 15 && len != 11, "{d:?} from {input:?}");
            assert_eq!(d.digits_needed(), 15 - len);
            let text = if len == 0 {
                String::new()
            } else {
                digits.to_string()
            };
            assert_eq!(
                text.len(),
                usize::from(len),
                "{d:?}: digits and len disagree"
            );
            assert!(
                "700".starts_with(&text) || text.starts_with("700"),
                "{d:?} is not a leading part of a 700 number"
            );
        }
    }
    for (i, canonical) in renderings(d).into_iter().enumerate() {
        if canonical.is_empty() {
            continue; // no digits at all is `Empty`, not a classification
        }
        let again = parse_dialed(&canonical);
        assert_eq!(again, Ok(d), "{input:?} → {d:?} → {canonical:?}");
        // Idempotent: normalising the canonical form gives the canonical form.
        assert_eq!(renderings(d)[i], canonical);
    }
    check_wrappings(input, parse_dialed_bytes, Ok(d));
}

fn check_subscriber(n: SubscriberNumber, input: &[u8]) {
    let shown = n.to_string();
    assert_eq!(n.to_digits().as_str(), shown);
    assert!(
        (8..=16).contains(&shown.len()),
        "{shown}: E.164 has 7..=15 digits"
    );
    assert_eq!(
        SubscriberNumber::parse(&shown),
        Ok(n),
        "{input:?} → {shown}"
    );
    // Idempotent: the display of the re-parsed number is the same text.
    assert_eq!(
        SubscriberNumber::parse(&shown).map(|m| m.to_string()),
        Ok(shown.clone())
    );
    assert_eq!(SubscriberNumber::from_e164(n.e164()), Ok(n));
    assert_eq!(SubscriberNumber::try_from(n.e164()), Ok(n));
    let chinese = n.e164().to_string().starts_with("86");
    assert_eq!(
        n.kind() != SubscriberKind::International,
        chinese,
        "{shown} is {:?}",
        n.kind()
    );
    if chinese {
        // E.164 digits without `+` read as bare 86 + NSN: the same line.
        assert_eq!(SubscriberNumber::parse(&n.e164().to_string()), Ok(n));
    }
    check_wrappings(input, SubscriberNumber::parse_bytes, Ok(n));
}

/// A bare number that parsed to `want` parses to the same inside a tel/sip URI or parentheses.
fn check_wrappings<T: PartialEq + std::fmt::Debug>(
    input: &[u8],
    parse: impl Fn(&[u8]) -> Result<T, NumberError>,
    want: Result<T, NumberError>,
) {
    let scheme = [&b"tel:"[..], b"sip:", b"sips:"].iter().any(|s| {
        input
            .get(..s.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(s))
    });
    if scheme {
        return;
    }
    for (head, tail) in [
        (&b"tel:"[..], &b""[..]),
        (b"sip:", b"@ims.example.cn;user=phone"),
        (b"(", b")"),
    ] {
        let wrapped = [head, input, tail].concat();
        assert_eq!(
            parse(&wrapped),
            want,
            "{:?} differs from the bare number",
            String::from_utf8_lossy(&wrapped)
        );
    }
}
