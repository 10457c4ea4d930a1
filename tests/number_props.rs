//! Property tests for the number module: robustness on arbitrary input, round-trips,
//! and invariance under the many shapes switches hand over.

use np700::number::{
    DialedNumber, ManagementNumber, NumberError, SubscriberKind, SubscriberNumber, UsageNumber,
    parse_dialed, parse_dialed_bytes,
};
use proptest::prelude::*;

const SEPARATORS: [&str; 9] = ["", "", "", " ", "-", ".", "(", ")", " - "];

/// Interleaves `digits` with generated separators (indices into [`SEPARATORS`]).
fn decorate(digits: &str, seps: &[usize]) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        out.push(c);
        out.push_str(SEPARATORS[seps.get(i).copied().unwrap_or(0) % SEPARATORS.len()]);
    }
    out
}

/// Wraps a number in one of the URI shapes SIP/IMS nodes produce (index 0: bare).
fn wrap(number: &str, uri: usize) -> String {
    match uri % 7 {
        0 => number.to_string(),
        1 => format!("tel:{number}"),
        2 => format!("TEL:{number};phone-context=ims.example.cn"),
        3 => format!("sip:{number}@ims.example.cn"),
        4 => format!("sip:{number}@10.0.0.1:5060;user=phone"),
        5 => format!("Sips:{number}@h;transport=tls"),
        _ => format!("({number})"),
    }
}

fn seps() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..SEPARATORS.len(), 20)
}

fn valid_chinese_nsn() -> impl Strategy<Value = (String, SubscriberKind)> {
    prop_oneof![
        "1[3-9][0-9]{9}".prop_map(|s| (s, SubscriberKind::ChineseMobile)),
        "(10|2[0-9])[0-9]{8}".prop_map(|s| (s, SubscriberKind::ChineseFixedLine)),
        "[3-9][0-9]{2}[0-9]{7,8}"
            .prop_filter("700 is the privacy segment, no area code is 86x", |s| {
                !s.starts_with("700") && !s.starts_with("86")
            })
            .prop_map(|s| (s, SubscriberKind::ChineseFixedLine)),
    ]
}

fn valid_international() -> impl Strategy<Value = String> {
    prop_oneof!["[1-79][0-9]{6,14}", "8[0-57-9][0-9]{5,13}"]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let dialed = parse_dialed_bytes(&bytes);
        let sub = SubscriberNumber::parse_bytes(&bytes);
        let m = ManagementNumber::parse_bytes(&bytes);
        let u = UsageNumber::parse_bytes(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            prop_assert_eq!(parse_dialed(text), dialed);
            prop_assert_eq!(SubscriberNumber::parse(text), sub);
            prop_assert_eq!(text.parse::<ManagementNumber>(), m);
            prop_assert_eq!(text.parse::<UsageNumber>(), u);
        }
        for err in [dialed.err(), sub.err(), m.err(), u.err()].into_iter().flatten() {
            if let NumberError::InvalidCharacter { at } = err {
                prop_assert!(at < bytes.len());
                let b = bytes[at];
                prop_assert!(!b.is_ascii_digit() && !b" -.()".contains(&b));
            }
        }
    }

    #[test]
    fn dial_alphabet_never_panics(s in "((tel|sip|SIPS):)?[0-9 +()@;.x-]{0,40}") {
        let dialed = parse_dialed(&s);
        if let Ok(d) = dialed {
            prop_assert!(d.digits_needed() <= 15);
            match d {
                DialedNumber::Usage(u) => prop_assert_eq!(u.to_string().parse(), Ok(u)),
                DialedNumber::Management(m) => prop_assert_eq!(m.to_string().parse(), Ok(m)),
                DialedNumber::Incomplete { digits, len } => {
                    prop_assert!(len < 15 && len != 11);
                    let text = if len == 0 { String::new() } else { digits.to_string() };
                    prop_assert_eq!(text.len(), usize::from(len));
                    prop_assert!("700".starts_with(&text) || text.starts_with("700"));
                }
            }
        }
        if let Ok(n) = SubscriberNumber::parse(&s) {
            prop_assert_eq!(SubscriberNumber::parse(&n.to_string()), Ok(n));
        }
    }

    #[test]
    fn usage_round_trips(v in UsageNumber::MIN.value()..=UsageNumber::MAX.value()) {
        let u = UsageNumber::new(v).unwrap();
        let text = u.to_string();
        prop_assert_eq!(text.len(), 15);
        prop_assert_eq!(text.parse::<UsageNumber>(), Ok(u));
        prop_assert_eq!(parse_dialed(&text), Ok(DialedNumber::Usage(u)));
        prop_assert_eq!(u.management().usage(u.sub_number()), Ok(u));
        prop_assert!(u.sub_number() < 10_000);
        let json = serde_json::to_string(&u).unwrap();
        prop_assert_eq!(serde_json::from_str::<UsageNumber>(&json).unwrap(), u);
    }

    #[test]
    fn management_round_trips(v in ManagementNumber::MIN.value()..=ManagementNumber::MAX.value()) {
        let m = ManagementNumber::new(v).unwrap();
        let text = m.to_string();
        prop_assert_eq!(text.len(), 11);
        prop_assert_eq!(text.parse::<ManagementNumber>(), Ok(m));
        prop_assert_eq!(parse_dialed(&text), Ok(DialedNumber::Management(m)));
        prop_assert_eq!(m.first_usage().management(), m);
        prop_assert_eq!(m.last_usage().management(), m);
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<ManagementNumber>(&json).unwrap(), m);
    }

    #[test]
    fn out_of_range_integers_rejected(v in any::<u64>()) {
        let in_usage = (UsageNumber::MIN.value()..=UsageNumber::MAX.value()).contains(&v);
        let in_mgmt = (ManagementNumber::MIN.value()..=ManagementNumber::MAX.value()).contains(&v);
        prop_assert_eq!(UsageNumber::new(v).is_ok(), in_usage);
        prop_assert_eq!(ManagementNumber::new(v).is_ok(), in_mgmt);
        prop_assert_eq!(serde_json::from_str::<UsageNumber>(&v.to_string()).is_ok(), in_usage);
        prop_assert_eq!(
            SubscriberNumber::from_e164(v),
            SubscriberNumber::parse(&format!("+{v}"))
        );
    }

    #[test]
    fn usage_shapes_agree(
        v in UsageNumber::MIN.value()..=UsageNumber::MAX.value(),
        prefix in prop::sample::select(vec!["", "+86", "0086", "86", "+86 ", "(+86) ", "00 86 "]),
        seps in seps(),
        uri in 0usize..7,
    ) {
        let u = UsageNumber::new(v).unwrap();
        let s = wrap(&format!("{prefix}{}", decorate(&v.to_string(), &seps)), uri);
        prop_assert_eq!(parse_dialed(&s), Ok(DialedNumber::Usage(u)), "{}", s);
        prop_assert_eq!(s.parse::<UsageNumber>(), Ok(u));
        // The management part in the same shape.
        let m = u.management();
        let s = wrap(&format!("{prefix}{}", decorate(&m.to_string(), &seps)), uri);
        prop_assert_eq!(s.parse::<ManagementNumber>(), Ok(m), "{}", s);
    }

    #[test]
    fn partial_dialling_reports_digits_needed(
        v in UsageNumber::MIN.value()..=UsageNumber::MAX.value(),
        k in 1usize..=15,
        prefix in prop::sample::select(vec!["", "+86", "0086", "86"]),
    ) {
        let national = &v.to_string()[..k];
        let got = parse_dialed(&format!("{prefix}{national}")).unwrap();
        prop_assert_eq!(usize::from(got.digits_needed()), 15 - k);
        let expected = match k {
            15 => DialedNumber::Usage(UsageNumber::new(v).unwrap()),
            11 => DialedNumber::Management(UsageNumber::new(v).unwrap().management()),
            _ => DialedNumber::Incomplete { digits: national.parse().unwrap(), len: k as u8 },
        };
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn chinese_shapes_agree(
        (nsn, kind) in valid_chinese_nsn(),
        prefix in prop::sample::select(vec![
            "", "0", "+86", "+86 0", "0086", "00860", "86", "860", "+86-", "(0", "00 86 ",
        ]),
        seps in seps(),
        uri in 0usize..7,
    ) {
        let canonical = SubscriberNumber::parse(&nsn).unwrap();
        prop_assert_eq!(canonical.e164(), format!("86{nsn}").parse::<u64>().unwrap());
        prop_assert_eq!(canonical.kind(), kind);
        let s = wrap(&format!("{prefix}{}", decorate(&nsn, &seps)), uri);
        prop_assert_eq!(SubscriberNumber::parse(&s), Ok(canonical), "{}", s);
        prop_assert_eq!(SubscriberNumber::parse_bytes(s.as_bytes()), Ok(canonical));
    }

    #[test]
    fn international_shapes_agree(
        digits in valid_international(),
        prefix in prop::sample::select(vec!["+", "00", "(+", "+ ", "00 "]),
        seps in seps(),
        uri in 0usize..7,
    ) {
        let canonical = SubscriberNumber::from_e164(digits.parse().unwrap()).unwrap();
        prop_assert_eq!(canonical.kind(), SubscriberKind::International);
        prop_assert_eq!(canonical.to_string(), format!("+{digits}"));
        let s = wrap(&format!("{prefix}{}", decorate(&digits, &seps)), uri);
        prop_assert_eq!(SubscriberNumber::parse(&s), Ok(canonical), "{}", s);
    }

    #[test]
    fn subscriber_normalisation_is_idempotent(s in "[+]?[0-9]{1,18}") {
        if let Ok(n) = SubscriberNumber::parse(&s) {
            prop_assert_eq!(SubscriberNumber::parse(&n.to_string()), Ok(n));
            prop_assert_eq!(SubscriberNumber::parse(n.to_digits().as_str()), Ok(n));
            prop_assert_eq!(n.to_digits().to_string(), n.to_string());
            prop_assert_eq!(SubscriberNumber::from_e164(n.e164()), Ok(n));
            let json = serde_json::to_string(&n).unwrap();
            prop_assert_eq!(serde_json::from_str::<SubscriberNumber>(&json).unwrap(), n);
            // Chinese E.164 digits without '+' read as bare 86 + NSN: same line.
            if n.kind() != SubscriberKind::International {
                prop_assert_eq!(SubscriberNumber::parse(&n.e164().to_string()), Ok(n));
            }
        }
    }
}

#[test]
fn huge_inputs_do_not_panic() {
    for len in [4 << 10, 1 << 20] {
        let digits = "7".repeat(len);
        assert_eq!(parse_dialed(&digits), Err(NumberError::TooLong));
        assert_eq!(SubscriberNumber::parse(&digits), Err(NumberError::TooLong));
        let junk = vec![0xC0; len];
        assert_eq!(
            parse_dialed_bytes(&junk),
            Err(NumberError::InvalidCharacter { at: 0 })
        );
    }
}
