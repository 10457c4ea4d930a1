//! libphonenumber's metadata (via the `phonenumber` crate) as a test oracle for
//! `SubscriberNumber`'s Chinese rules.
//!
//! The crate's own `is_valid` only anchors its patterns at the start
//! (whisperfish/rust-phonenumber#31), so `10 123456789` counts as a valid Beijing number.
//! The oracle therefore re-evaluates the number type the way libphonenumber does: full
//! match of each type's `nationalNumberPattern` plus its possible lengths, in
//! libphonenumber's type order.
//!
//! Directions asserted (see the module docs of `np700::number` for the reasons):
//! * (a) libphonenumber says valid CN fixed line/mobile ⇒ we accept, same E.164.
//! * (b) we reject ⇒ libphonenumber does not say valid CN fixed line/mobile, except for
//!   the documented stricter cases (service NSNs under 10 digits, carrier-select prefixes,
//!   more than one zero after +86); (a) has the same exceptions.
//! * (c) both accept ⇒ same E.164 value, and the same mobile/fixed kind.

use std::sync::LazyLock;

use np700::number::{NumberError, SubscriberKind, SubscriberNumber};
use phonenumber::{Mode, Type, country::Id, metadata::DATABASE};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use regex::Regex;

/// One number type's rule: anchored pattern and possible NSN lengths.
struct TypeRule {
    kind: Type,
    pattern: Regex,
    lengths: Vec<u16>,
}

impl TypeRule {
    fn matches(&self, nsn: &str) -> bool {
        let len_ok = self.lengths.is_empty()
            || u16::try_from(nsn.len()).is_ok_and(|l| self.lengths.contains(&l));
        len_ok && self.pattern.is_match(nsn)
    }
}

/// CN metadata in libphonenumber's type-resolution order (`getNumberTypeHelper`).
struct CnRules {
    general: TypeRule,
    ordered: Vec<TypeRule>,
}

static CN: LazyLock<CnRules> = LazyLock::new(|| {
    let meta = DATABASE.by_id("CN").expect("CN metadata");
    let rule = |kind: Type, desc: &phonenumber::metadata::Descriptor| TypeRule {
        kind,
        // Verbose mode: the metadata patterns are laid out with whitespace.
        pattern: Regex::new(&format!("(?x)^(?:{})$", desc.national_number().as_str()))
            .expect("metadata pattern compiles"),
        lengths: desc.possible_length().to_vec(),
    };
    let d = meta.descriptors();
    let ordered = [
        (Type::PremiumRate, d.premium_rate()),
        (Type::TollFree, d.toll_free()),
        (Type::SharedCost, d.shared_cost()),
        (Type::Voip, d.voip()),
        (Type::PersonalNumber, d.personal_number()),
        (Type::Pager, d.pager()),
        (Type::Uan, d.uan()),
        (Type::Voicemail, d.voicemail()),
        (Type::FixedLine, d.fixed_line()),
        (Type::Mobile, d.mobile()),
    ]
    .into_iter()
    .filter_map(|(kind, desc)| desc.map(|desc| rule(kind, desc)))
    .collect();
    CnRules {
        general: rule(Type::Unknown, d.general()),
        ordered,
    }
});

/// libphonenumber's number type for a CN NSN, with full-match semantics.
fn cn_type(nsn: &str) -> Type {
    if !CN.general.matches(nsn) {
        return Type::Unknown;
    }
    CN.ordered
        .iter()
        .find(|rule| rule.matches(nsn))
        .map_or(Type::Unknown, |rule| rule.kind)
}

/// libphonenumber's reading of `input` with default region CN: the E.164 digits, the
/// NSN and the type, if it is a valid +86 number.
fn oracle(input: &str) -> Option<(u64, String, Type)> {
    let parsed = phonenumber::parse(Some(Id::CN), input).ok()?;
    if parsed.code().value() != 86 || parsed.national().zeros() != 0 || !parsed.is_valid() {
        return None;
    }
    let nsn = parsed.national().value().to_string();
    let kind = cn_type(&nsn);
    if kind == Type::Unknown {
        return None;
    }
    let e164 = parsed.format().mode(Mode::E164).to_string();
    let digits = e164.strip_prefix('+')?.parse().ok()?;
    Some((digits, nsn, kind))
}

fn is_subscriber_type(kind: Type) -> bool {
    matches!(
        kind,
        Type::FixedLine | Type::Mobile | Type::FixedLineOrMobile
    )
}

/// The rejections we document as deliberately stricter than libphonenumber.
fn documented_stricter(input_digits: &str, oracle_nsn: &str) -> bool {
    static CARRIER_SELECT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^1(?:[12]\d|79)\d\d$").expect("regex"));
    static EXTRA_ZEROS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:\+86|0086|86)00").expect("regex"));
    // libphonenumber strips a CN carrier-select code (its nationalPrefixForParsing)
    // before the NSN, after an optional country prefix; the crate then drops any zeros.
    let national = ["+86", "0086", "86", ""]
        .iter()
        .filter_map(|prefix| input_digits.strip_prefix(prefix));
    let carrier_select = national.into_iter().any(|n| {
        n.get(..5).is_some_and(|code| CARRIER_SELECT.is_match(code))
            && n[5..].trim_start_matches('0') == oracle_nsn
    });
    // Area-code service numbers (95xxx, 10xxx, 123xx behind an area code).
    oracle_nsn.len() < 10
        || carrier_select
        // The crate drops any number of zeros after +86 (`+86 00 10…`); libphonenumber
        // proper and we drop one trunk 0.
        || EXTRA_ZEROS.is_match(input_digits)
        // The crate skips zeros after '+' (`+0086…`); libphonenumber proper and we
        // report an invalid country code.
        || input_digits.starts_with("+0")
}

/// libphonenumber's reading when it is a valid CN subscriber line (fixed or mobile) that
/// is not one of our documented stricter cases: then we must accept it identically.
fn must_accept(input: &str) -> Option<(u64, String, Type)> {
    let (e164, nsn, kind) = oracle(input)?;
    (is_subscriber_type(kind) && !documented_stricter(&digits_only(input), &nsn))
        .then_some((e164, nsn, kind))
}

fn digits_only(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

fn our_kind_matches(ours: SubscriberKind, theirs: Type) -> bool {
    match theirs {
        Type::Mobile => ours == SubscriberKind::ChineseMobile,
        Type::FixedLine => ours == SubscriberKind::ChineseFixedLine,
        // Toll-free, shared-cost etc. fit our fixed-line shape.
        _ => ours != SubscriberKind::International,
    }
}

/// NSN-ish digit strings of the subscriber lengths, biased towards the mobile and
/// fixed-line shapes but with any leading digits so near misses are common.
fn nsn_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "1[3-9][0-9]{9}",
        1 => "1[0-9]{9,11}",
        2 => "(10|2[0-9])[0-9]{8}",
        4 => "[3-9][0-9]{9,10}",
        1 => "[1-9][0-9]{9,11}",
    ]
}

/// The shapes a Chinese number arrives in: national, trunk 0, +86, 0086, bare 86.
fn cn_prefix() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "0", "+86", "+86 0", "0086", "860", "86", "+860"])
}

/// Arbitrary dial strings: random digits behind random country/trunk prefixes.
fn any_dial() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "+", "0", "00", "+86", "0086", "86", "+860", "+1"]),
        "[0-9]{1,16}",
    )
        .prop_map(|(prefix, digits)| format!("{prefix}{digits}"))
}

fn check_a(input: &str) -> Result<(), TestCaseError> {
    if let Some((e164, nsn, kind)) = must_accept(input) {
        let ours = SubscriberNumber::parse(input);
        prop_assert!(
            ours.is_ok(),
            "(a) libphonenumber: {input} is a valid CN {kind:?} (NSN {nsn}); we said {ours:?}"
        );
        let ours = ours.unwrap();
        prop_assert_eq!(ours.e164(), e164, "(a) E.164 differs for {}", input);
        prop_assert!(our_kind_matches(ours.kind(), kind), "(a) kind for {input}");
    }
    Ok(())
}

fn check_b(input: &str) -> Result<(), TestCaseError> {
    if let Err(err) = SubscriberNumber::parse(input) {
        let theirs = must_accept(input);
        prop_assert!(
            theirs.is_none(),
            "(b) we rejected {input} ({err}), libphonenumber: valid {theirs:?}"
        );
    }
    Ok(())
}

fn check_c(input: &str) -> Result<(), TestCaseError> {
    if let (Ok(ours), Some((e164, _, kind))) = (SubscriberNumber::parse(input), oracle(input)) {
        prop_assert_eq!(ours.e164(), e164, "(c) E.164 differs for {}", input);
        prop_assert!(our_kind_matches(ours.kind(), kind), "(c) kind for {input}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn a_libphonenumber_valid_implies_we_accept(nsn in nsn_ish(), prefix in cn_prefix()) {
        check_a(&format!("{prefix}{nsn}"))?;
    }

    #[test]
    fn b_we_reject_implies_libphonenumber_invalid(input in any_dial()) {
        check_b(&input)?;
    }

    #[test]
    fn b_we_reject_subscriber_shaped_implies_invalid(nsn in nsn_ish(), prefix in cn_prefix()) {
        check_b(&format!("{prefix}{nsn}"))?;
    }

    #[test]
    fn c_both_accept_implies_same_e164(nsn in nsn_ish(), prefix in cn_prefix()) {
        check_c(&format!("{prefix}{nsn}"))?;
    }

    /// Bare `86` + a short NSN: libphonenumber reads the country code even when the rest
    /// is only a service number, so a national "area 86x" reading would normalise
    /// differently. Biased towards area code + 95xxx/10xxx service numbers.
    #[test]
    fn c_bare_86_reads_like_libphonenumber(
        rest in prop_oneof!["[1-9][0-9]{7,10}", "[3-9][0-9]{2}(95|10)[0-9]{3,5}"],
    ) {
        let input = format!("86{rest}");
        check_b(&input)?;
        check_c(&input)?;
    }

    #[test]
    fn c_both_accept_any_dial(input in any_dial()) {
        check_c(&input)?;
    }
}

/// Guards against a vacuous oracle: the generators must actually produce plenty of
/// numbers libphonenumber accepts and rejects, of both kinds.
#[test]
fn oracle_generators_are_not_vacuous() {
    let mut runner = TestRunner::deterministic();
    let strategy = (nsn_ish(), cn_prefix()).prop_map(|(n, p)| format!("{p}{n}"));
    let (mut mobile, mut fixed, mut invalid, mut ours_only) = (0, 0, 0, 0);
    for _ in 0..3_000 {
        let input = strategy.new_tree(&mut runner).expect("tree").current();
        match oracle(&input) {
            Some((_, _, Type::Mobile)) => mobile += 1,
            Some((_, _, Type::FixedLine)) => fixed += 1,
            Some(_) => {}
            None if SubscriberNumber::parse(&input).is_ok() => ours_only += 1,
            None => invalid += 1,
        }
    }
    assert!(mobile > 300, "mobile {mobile}");
    assert!(fixed > 600, "fixed {fixed}");
    assert!(invalid > 150, "both invalid {invalid}");
    // Our deliberate permissiveness (unlisted prefixes and area codes) must show up.
    assert!(ours_only > 50, "ours only {ours_only}");
}

/// The oracle itself must see the prefix-only bug and the types we rely on.
#[test]
fn oracle_sanity() {
    let valid = |s: &str| oracle(s).map(|(e, _, t)| (e, t));
    assert_eq!(
        valid("13812345678"),
        Some((8_613_812_345_678, Type::Mobile))
    );
    assert_eq!(
        valid("010 1234 5678"),
        Some((861_012_345_678, Type::FixedLine))
    );
    // The crate alone calls this valid (prefix match); the full-match oracle does not.
    let long = phonenumber::parse(Some(Id::CN), "+86 10 123456789").expect("parses");
    assert!(long.is_valid());
    assert_eq!(valid("+86 10 123456789"), None);
    // 400 numbers are shared cost, not subscriber lines, in libphonenumber.
    assert_eq!(
        valid("4001234567"),
        Some((864_001_234_567, Type::SharedCost))
    );
}

/// The documented disagreements, pinned so a rule change shows up here first.
#[test]
fn documented_disagreements() {
    // Stricter: area-code service number, carrier-select prefix.
    assert!(oracle("0851 951234").is_some());
    assert_eq!(
        SubscriberNumber::parse("0851 951234"),
        Err(NumberError::TooShort)
    );
    assert!(oracle("17951 13812345678").is_some());
    assert_eq!(
        SubscriberNumber::parse("17951 13812345678"),
        Err(NumberError::TooLong)
    );
    // More permissive: an unlisted mobile prefix and a local number starting with 0
    // where libphonenumber's table has none.
    assert!(oracle("19212345678").is_none() || oracle("14012345678").is_none());
    assert!(SubscriberNumber::parse("14012345678").is_ok());
    assert!(oracle("0311 0123456").is_none());
    assert!(SubscriberNumber::parse("0311 0123456").is_ok());
    // libphonenumber accepts local numbers starting with 0 in Beijing; so do we.
    assert!(oracle("010 0123 4567").is_some());
    assert!(SubscriberNumber::parse("010 0123 4567").is_ok());
}
