//! `np700_route()` allocates nothing: counted with a global allocator around thousands of
//! lookups of every kind of decision (after one warm-up call per thread, which lets the
//! lock-free pointer library register the thread once).

use np700::ffi::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr::null_mut;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const T0: u64 = 1_767_225_600;

fn s(text: &'static str) -> np700_str {
    np700_str {
        ptr: text.as_ptr().cast(),
        len: text.len(),
    }
}

#[test]
fn route_allocates_nothing() {
    unsafe {
        let mut config = null_mut();
        assert_eq!(np700_config_new(&mut config), NP700_OK);
        let mut reg = null_mut();
        assert_eq!(np700_registry_new(config, &mut reg), NP700_OK);
        np700_config_free(config);
        let mut tenant = 0;
        let name = "t";
        np700_registry_register_tenant(
            reg,
            name.as_ptr().cast(),
            1,
            std::ptr::null(),
            0,
            0,
            T0,
            &mut tenant,
        );
        let m = "70012345678";
        assert_eq!(
            np700_registry_license_block(reg, m.as_ptr().cast(), m.len(), 1, T0),
            NP700_OK
        );
        assert_eq!(
            np700_registry_assign_number(
                reg,
                tenant,
                m.as_ptr().cast(),
                m.len(),
                std::ptr::null(),
                0,
                T0
            ),
            NP700_OK
        );
        let group = [s("13500000001"), s("13500000002")];
        let mut req: np700_bind_request = std::mem::zeroed();
        req.tenant = tenant;
        req.mode = NP700_MODE_GXB;
        req.group = group.as_ptr();
        req.group_len = 2;
        req.b = s("13900000001");
        req.x.given = s("700123456780001");
        req.expires_at = T0 + 3600;
        req.policy = np700_policy_default();
        req.consent_ref = s("c");
        let mut info: np700_binding_info = std::mem::zeroed();
        let counted = ALLOCATIONS.with(Cell::get);
        assert_eq!(np700_registry_bind(reg, &req, T0, &mut info), NP700_OK);
        assert!(
            ALLOCATIONS.with(Cell::get) > counted,
            "the counter counts (a bind allocates)"
        );

        let calls: [(&str, &str); 6] = [
            ("13900000001", "700123456780001"),    // route to the group
            ("13500000002", "700 1234 5678 0001"), // route to B
            ("18600000000", "700123456780001"),    // caller not permitted
            ("", "70012345678"),                   // collect digits
            ("13900000001", "13912345678"),        // not ours
            ("13900000001", "\u{00e9}"),           // malformed
        ];
        let mut d: np700_decision = std::mem::zeroed();
        let route = |caller: &str, dialed: &str, d: &mut np700_decision| {
            np700_route(
                reg,
                caller.as_ptr().cast(),
                caller.len(),
                dialed.as_ptr().cast(),
                dialed.len(),
                NP700_MEDIA_VOICE,
                T0 + 1,
                d,
            )
        };
        assert_eq!(route("13900000001", "700123456780001", &mut d), NP700_OK);
        let before = ALLOCATIONS.with(Cell::get);
        for _ in 0..1_000 {
            for (caller, dialed) in calls {
                assert_eq!(route(caller, dialed, &mut d), NP700_OK);
            }
        }
        // Errors are recorded without allocating too (the last error lives in place).
        let stale: *const np700_registry = std::ptr::without_provenance(usize::MAX);
        let x = "700123456780001";
        for _ in 0..100 {
            let st = np700_route(
                stale,
                x.as_ptr().cast(),
                x.len(),
                x.as_ptr().cast(),
                x.len(),
                NP700_MEDIA_VOICE,
                T0,
                &mut d,
            );
            assert_eq!(st, NP700_ERR_INVALID_HANDLE);
        }
        let after = ALLOCATIONS.with(Cell::get);
        assert_eq!(after - before, 0, "np700_route allocated");
        assert_eq!(np700_registry_free(reg), NP700_OK);
    }
}

/// The SMS rules and the SMS routes allocate nothing either: sender shapes, code texts (Chinese,
/// English, full-width digits, invalid UTF-8), near-misses, on the registry and a shared reader.
#[test]
fn sms_rules_and_sms_routes_allocate_nothing() {
    use np700::control::sms::SmsRules;
    use np700::index::SharedIndex;
    use np700::index::layout::Capacity;
    use np700::*;

    let now = Timestamp::from_unix_secs(T0);
    let path = std::env::temp_dir().join(format!("np700-sms-alloc-{}", std::process::id()));
    let registry =
        Registry::new_shared(Config::default(), Capacity::for_bindings(100), &path).unwrap();
    let reader = SharedIndex::attach(&path).unwrap();
    let m = ManagementNumber::new(70012345678).unwrap();
    let tenant = TenantId::from_raw(1);
    for c in [
        Command::RegisterTenant {
            name: "t".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        Command::LicenseBlock(LicensedBlock { first: m, count: 1 }),
        Command::AssignNumber {
            tenant,
            number: m,
            tags: vec![],
        },
    ] {
        registry.execute(&c, now).unwrap();
    }
    registry
        .bind(
            BindRequest {
                tenant,
                parties: Parties::Axb {
                    a: SubscriberNumber::parse("13800000001").unwrap(),
                    x: NumberChoice::Given(m.usage(1).unwrap()),
                    b: SubscriberNumber::parse("13800000002").unwrap(),
                },
                expires_at: now.plus_secs(3600),
                policy: Policy::default(),
                order_id: String::new(),
                consent_ref: "c".into(),
                external_ref: String::new(),
            },
            now,
        )
        .unwrap();
    let rules = SmsRules::default();
    let senders = [
        "10690001234",
        "+86 1069 0001 234",
        "tel:+8610690001234",
        "sip:10690001234@host;user=phone",
        "+86 10 6123 4567",
        "13800000001",
        "not a number",
    ];
    let texts: [&[u8]; 7] = [
        "【美团】您的验证码是482913，5分钟内有效。".as_bytes(),
        b"Your verification code is 4829",
        "验证码 ４８２９１３".as_bytes(),
        b"\xff\xfe OTP \xc3 482913",
        "我到楼下了，电话 13800000001".as_bytes(),
        b"Let's get hotpot at 1830",
        b"",
    ];
    let x = "700123456780001";
    // Warm-up (registers the thread with the lock-free pointer library).
    let _ = registry.route_message("13800000001", x, b"hi", now);
    let _ = reader.route_message("13800000001", x, b"hi", now);
    let before = ALLOCATIONS.with(Cell::get);
    let mut refused = 0;
    for _ in 0..200 {
        for sender in senders {
            refused += usize::from(rules.is_commercial_sender(sender));
            let _ = registry.route(sender, x, np700::Media::Sms, now);
            let _ = reader.route(sender, x, np700::Media::Sms, now);
            for text in texts {
                refused += usize::from(rules.looks_like_code(text));
                let _ = rules.screen(sender, Some(text));
                let _ = registry.route_message(sender, x, text, now);
                let _ = reader.route_message(sender, x, text, now);
            }
        }
    }
    let after = ALLOCATIONS.with(Cell::get);
    assert_eq!(after - before, 0, "the SMS rules or an SMS route allocated");
    // The loop did the work it claims: 4 ports, and 4 codes per sender, each round.
    assert_eq!(refused, 200 * (4 + 7 * 4));
    drop(reader);
    drop(registry);
    let _ = std::fs::remove_file(&path);
}
