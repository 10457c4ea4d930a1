//! SMS rules (issue 6): SMS from commercial sender ports and SMS whose text looks like a
//! verification code are refused with their own reasons, before the binding is looked up, on
//! every route path alike (state, registry, shared writer, shared reader, follower); SMS-only
//! and voice-only bindings are respected.

mod common;

use common::*;
use np700::binding::MediaSet;
use np700::control::sms::SmsRules;
use np700::*;

/// A world with one AXB binding A–X–B (X = M1/0001) under `policy`; returns it and X's dial string.
fn with_binding(config: Config, policy: Policy) -> (World, String) {
    let mut w = World::new(config);
    w.bind(request(1, axb(A, M1, 1, B), policy), at(0));
    (w, dial(M1, 1))
}

const SENDERS: &[&str] = &[
    "10690001234",
    "106",
    "1065 5012 3456",
    "1069-0000-1234",
    "(1069) 0000.1234",
    "+8610690001234",
    "+86 1069 0001 234",
    "(+86) 10690001234",
    "008610690001234",
    "0086-1069-0001-234",
    "8610690001234",
    "tel:+8610690001234",
    "sip:10690001234@ims.example.cn;user=phone",
    "10690000123456789012345",
];

#[test]
fn sms_from_commercial_ports_is_refused_in_every_caller_shape_on_every_path() {
    let (w, x) = with_binding(Config::default(), Policy::default());
    assert!(matches!(
        w.route(A, &x, Media::Sms, at(1)),
        Decision::Route(_)
    ));
    for sender in SENDERS {
        assert_eq!(
            w.route(sender, &x, Media::Sms, at(1)),
            reject(RejectReason::CommercialSender),
            "{sender}"
        );
        // Before the lookup: refused the same way on a number without a binding, and on
        // another tenant's number.
        for other in [dial(M1, 9), dial(M2, 3)] {
            assert_eq!(
                w.route(sender, &other, Media::Sms, at(1)),
                reject(RejectReason::CommercialSender)
            );
        }
        // A voice call from such a number is not an SMS: the lookup decides (a port is no
        // subscriber number, so no party of a binding).
        assert_eq!(
            w.route(sender, &x, Media::Voice, at(1)),
            reject(RejectReason::CallerUnidentified),
            "{sender}"
        );
    }
}

#[test]
fn ordinary_senders_reach_the_lookup() {
    let (w, x) = with_binding(Config::default(), Policy::default());
    for sender in ["+86 138 0000 0001", "8613800000001", "tel:13800000001"] {
        assert_eq!(routed_to(w.route(sender, &x, Media::Sms, at(1))), Ok(s(B)));
    }
    // Not ports: a Beijing line in E.164 form (010 6…), other countries' numbers: subscribers
    // that are no party of the binding.
    for sender in ["+86 10 6123 4567", "+1 06 1234 5678", "0010690001234"] {
        assert_eq!(
            w.route(sender, &x, Media::Sms, at(1)),
            reject(RejectReason::CallerNotPermitted),
            "{sender}"
        );
    }
    // A hotline is not a configured port (nor a subscriber number).
    assert_eq!(
        w.route("95588", &x, Media::Sms, at(1)),
        reject(RejectReason::CallerUnidentified)
    );
    // An empty or unparseable sender is not a port either: the lookup says who it is.
    assert_eq!(
        w.route("", &x, Media::Sms, at(1)),
        reject(RejectReason::CallerUnidentified)
    );
}

#[test]
fn the_sender_rule_comes_right_after_the_dialled_string_is_parsed() {
    let (w, _) = with_binding(Config::default(), Policy::default());
    let port = "10690001234";
    assert_eq!(
        w.route(port, "7001234#", Media::Sms, at(1)),
        reject(RejectReason::MalformedNumber)
    );
    assert_eq!(
        w.route(port, "13800000002", Media::Sms, at(1)),
        reject(RejectReason::NotOurs)
    );
    // A partial 700 number parses: the sender is refused rather than asked for more digits.
    assert_eq!(
        w.route(port, &M1.to_string(), Media::Sms, at(1)),
        reject(RejectReason::CommercialSender)
    );
    assert_eq!(
        w.route(A, &M1.to_string(), Media::Sms, at(1)),
        Decision::CollectDigits { needed: 4 }
    );
}

const CODES: &[&str] = &[
    "【美团】您的验证码是482913，5分钟内有效，请勿泄露。",
    "验证码：4829",
    "您的校验码为 12345678",
    "动态密码 093127，请勿告诉他人",
    "【銀行】您的驗證碼為 552901。",
    "Your verification code is 482913.",
    "YOUR VERIFICATION CODE: 4829",
    "OTP 884421 for login",
    "G-482913 is your Google verification code",
    "【Uber】Your code is 0042. 验证码 0042",
    "验证码 ４８２９１３",
    "verification code ４8２9",
];

const NOT_CODES: &[&str] = &[
    "验证码 123",
    "验证码 123456789",
    "您的验证码已发送，请查收",
    "我到楼下了，4829 号门口",
    "验证码请拨打 13800000001 咨询",
    "Let's get hotpot at 1830",
    "The barcode is 4829",
    "验证码 ４８２",
    "",
];

#[test]
fn texts_that_look_like_verification_codes_are_refused_on_every_path() {
    let (w, x) = with_binding(Config::default(), Policy::default());
    for text in CODES {
        for (from, _) in [(A, B), (B, A)] {
            assert_eq!(
                w.message(from, &x, text.as_bytes(), at(1)),
                reject(RejectReason::VerificationCode),
                "{text}"
            );
        }
        // Before the lookup: also where no binding exists.
        assert_eq!(
            w.message(C, &dial(M1, 9), text.as_bytes(), at(1)),
            reject(RejectReason::VerificationCode)
        );
    }
    for text in NOT_CODES {
        assert_eq!(
            routed_to(w.message(A, &x, text.as_bytes(), at(1))),
            Ok(s(B)),
            "{text}"
        );
        assert_eq!(
            routed_to(w.message(B, &x, text.as_bytes(), at(1))),
            Ok(s(A)),
            "{text}"
        );
    }
}

#[test]
fn the_sender_is_checked_before_the_text() {
    let (w, x) = with_binding(Config::default(), Policy::default());
    assert_eq!(
        w.message("10690001234", &x, "验证码 482913".as_bytes(), at(1)),
        reject(RejectReason::CommercialSender)
    );
    assert_eq!(
        w.message("10690001234", &x, b"hello", at(1)),
        reject(RejectReason::CommercialSender)
    );
}

#[test]
fn raw_text_bytes_are_scanned_never_refused_as_malformed() {
    let (w, x) = with_binding(Config::default(), Policy::default());
    assert_eq!(
        routed_to(w.message(A, &x, b"\xff\xfe\x00 not utf-8 \xc3", at(1))),
        Ok(s(B))
    );
    assert_eq!(
        w.message(A, &x, b"\xff OTP \xc3 482913 \xff", at(1)),
        reject(RejectReason::VerificationCode)
    );
    let long = "你好".repeat(10_000);
    assert_eq!(
        routed_to(w.message(A, &x, long.as_bytes(), at(1))),
        Ok(s(B))
    );
}

#[test]
fn voice_only_and_sms_only_bindings_are_respected() {
    let voice_only = Policy {
        media: MediaSet::VOICE_ONLY,
        ..Policy::default()
    };
    let (w, x) = with_binding(Config::default(), voice_only);
    assert_eq!(routed_to(w.route(A, &x, Media::Voice, at(1))), Ok(s(B)));
    assert_eq!(
        w.route(A, &x, Media::Sms, at(1)),
        reject(RejectReason::MediaNotPermitted)
    );
    assert_eq!(
        w.message(B, &x, b"on my way", at(1)),
        reject(RejectReason::MediaNotPermitted)
    );
    // The SMS rules come first: a code or a port is refused as such.
    assert_eq!(
        w.message(B, &x, "验证码 482913".as_bytes(), at(1)),
        reject(RejectReason::VerificationCode)
    );

    let sms_only = Policy {
        media: MediaSet::SMS_ONLY,
        ..Policy::default()
    };
    let (w, x) = with_binding(Config::default(), sms_only);
    assert_eq!(
        w.route(A, &x, Media::Voice, at(1)),
        reject(RejectReason::MediaNotPermitted)
    );
    assert_eq!(routed_to(w.route(A, &x, Media::Sms, at(1))), Ok(s(B)));
    assert_eq!(routed_to(w.message(B, &x, b"on my way", at(1))), Ok(s(A)));
}

#[test]
fn the_configured_rules_apply_and_none_turns_them_off() {
    let config = Config {
        sms: SmsRules::new(vec!["95".into()], vec!["取件码".into()], (6, 6)).unwrap(),
        ..Config::default()
    };
    let (w, x) = with_binding(config, Policy::default());
    assert_eq!(
        w.route("95588", &x, Media::Sms, at(1)),
        reject(RejectReason::CommercialSender)
    );
    // 106 is no longer configured: the lookup decides.
    assert_eq!(
        w.route("10690001234", &x, Media::Sms, at(1)),
        reject(RejectReason::CallerUnidentified)
    );
    assert_eq!(
        w.message(A, &x, "取件码 123456".as_bytes(), at(1)),
        reject(RejectReason::VerificationCode)
    );
    assert_eq!(
        routed_to(w.message(A, &x, "验证码 482913".as_bytes(), at(1))),
        Ok(s(B))
    );

    let config = Config {
        sms: SmsRules::none(),
        ..Config::default()
    };
    let (w, x) = with_binding(config, Policy::default());
    assert_eq!(
        routed_to(w.message(A, &x, "验证码 482913".as_bytes(), at(1))),
        Ok(s(B))
    );
}

#[test]
fn a_shared_reader_takes_the_writers_rules_and_may_be_given_others() {
    let custom = SmsRules::new(vec!["95".into()], vec!["取件码".into()], (6, 6)).unwrap();
    let config = Config {
        sms: custom.clone(),
        ..Config::default()
    };
    let (w, x) = with_binding(config.clone(), Policy::default());
    let pickup = "取件码 123456".as_bytes();
    // A reader attaching now reads them from the writer's control region.
    let fresh = np700::index::SharedIndex::attach(w.shared_path()).unwrap();
    assert_eq!(*fresh.sms_rules(), custom);
    assert_eq!(
        fresh.route_message(A, &x, pickup, at(1)),
        reject(RejectReason::VerificationCode)
    );
    assert_eq!(
        fresh.route("95588", &x, Media::Sms, at(1)),
        reject(RejectReason::CommercialSender)
    );
    // Given others, it applies those.
    fresh.set_sms_rules(SmsRules::none());
    assert_eq!(
        routed_to(fresh.route_message(A, &x, pickup, at(1))),
        Ok(s(B))
    );
    assert_eq!(
        fresh.route("95588", &x, Media::Sms, at(1)),
        reject(RejectReason::CallerUnidentified)
    );

    // A new writer with other rules takes over the path: the reader follows its region.
    let _restarted = w.shared_restart(Config::default());
    let code = "验证码 482913".as_bytes();
    assert_eq!(
        fresh.route_message(A, &x, code, at(1)),
        reject(RejectReason::VerificationCode)
    );
    assert_eq!(*fresh.sms_rules(), SmsRules::default());
}

#[test]
fn sms_rules_round_trip_through_their_byte_form() {
    let rules = Config::default().sms;
    let bytes = rules.encode();
    assert!(bytes.len() <= np700::control::sms::MAX_ENCODED_LEN);
    assert_eq!(SmsRules::decode(&bytes), Ok(rules));
}

#[test]
fn refusals_by_the_sms_rules_are_recorded_with_their_numbers() {
    use np700::control::record::{Outcome, RouteRecord};
    let (w, x) = with_binding(Config::default(), Policy::default());
    let mut out = [RouteRecord::EMPTY; 16];
    while w.registry.drain_records(&mut out) > 0 {}
    assert_eq!(
        w.registry
            .route_message(A, &x, "验证码 482913".as_bytes(), at(1)),
        reject(RejectReason::VerificationCode)
    );
    assert_eq!(
        w.registry.route("+86 1069 0001 234", &x, Media::Sms, at(1)),
        reject(RejectReason::CommercialSender)
    );
    let n = w.registry.drain_records(&mut out);
    assert_eq!(n, 2);
    let code = out[..n]
        .iter()
        .find(|r| r.outcome == Outcome::Rejected(RejectReason::VerificationCode))
        .unwrap();
    assert_eq!(
        (code.caller, code.dialed, code.media, code.tenant),
        (Some(s(A)), Some(ux(M1, 1)), Media::Sms, Some(t(1)))
    );
    let port = out[..n]
        .iter()
        .find(|r| r.outcome == Outcome::Rejected(RejectReason::CommercialSender))
        .unwrap();
    // A port is no subscriber number: the record names the number dialled only.
    assert_eq!((port.caller, port.dialed), (None, Some(ux(M1, 1))));
}
