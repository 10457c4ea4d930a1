//! The C ABI called from Rust exactly as C calls it: raw pointers, `(ptr, len)` strings, statuses.
//! The C programs in `examples/c/` (built by `tests/c_examples.rs`) cover the same ground from C.

use np700::ffi::*;
use std::ffi::{CStr, c_char};
use std::ptr::{null, null_mut};

const T0: u64 = 1_767_225_600;

fn s(text: &str) -> np700_str {
    np700_str {
        ptr: text.as_ptr().cast(),
        len: text.len(),
    }
}

fn text(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8(bytes).unwrap()
}

fn last_error() -> String {
    let mut buf = [0 as c_char; 512];
    let mut needed = 0;
    assert_eq!(
        unsafe { np700_last_error(buf.as_mut_ptr(), buf.len(), &mut needed) },
        NP700_OK
    );
    text(&buf)
}

/// A registry with one tenant holding 70012345678, and its handle and tenant id.
fn provisioned() -> (*mut np700_registry, u32) {
    unsafe {
        let mut config = null_mut();
        assert_eq!(np700_config_new(&mut config), NP700_OK);
        assert_eq!(np700_config_set_capacity(config, 1_000), NP700_OK);
        let mut reg = null_mut();
        assert_eq!(np700_registry_new(config, &mut reg), NP700_OK);
        assert_eq!(np700_config_free(config), NP700_OK);
        let mut tenant = 0;
        let name = "Swift Parcels";
        let scenarios = [NP700_SCENARIO_DELIVERY];
        let st = np700_registry_register_tenant(
            reg,
            name.as_ptr().cast(),
            name.len(),
            scenarios.as_ptr(),
            1,
            0,
            T0,
            &mut tenant,
        );
        assert_eq!(st, NP700_OK);
        let m = "70012345678";
        assert_eq!(
            np700_registry_license_block(reg, m.as_ptr().cast(), m.len(), 1, T0),
            NP700_OK
        );
        let tags = [s("beijing")];
        let st = np700_registry_assign_number(
            reg,
            tenant,
            m.as_ptr().cast(),
            m.len(),
            tags.as_ptr(),
            1,
            T0,
        );
        assert_eq!(st, NP700_OK);
        (reg, tenant)
    }
}

fn zeroed<T>() -> T {
    // SAFETY: only used for the ABI's plain-data structs (integers, pointers, arrays).
    unsafe { std::mem::zeroed() }
}

fn axb(tenant: u32, a: &'static str, x: &'static str, b: &'static str) -> np700_bind_request {
    let mut r: np700_bind_request = zeroed();
    r.tenant = tenant;
    r.mode = NP700_MODE_AXB;
    r.a = s(a);
    r.b = s(b);
    r.x.given = s(x);
    r.expires_at = T0 + 3600;
    r.policy = np700_policy_default();
    r.consent_ref = s("consent-1");
    r
}

fn route(reg: *const np700_registry, caller: &str, dialed: &str, now: u64) -> np700_decision {
    let mut d: np700_decision = zeroed();
    let st = unsafe {
        np700_route(
            reg,
            caller.as_ptr().cast(),
            caller.len(),
            dialed.as_ptr().cast(),
            dialed.len(),
            NP700_MEDIA_VOICE,
            now,
            &mut d,
        )
    };
    assert_eq!(st, NP700_OK, "{}", last_error());
    d
}

#[test]
fn a_binding_routes_both_ways_and_ends_in_quarantine() {
    let (reg, tenant) = provisioned();
    let req = axb(
        tenant,
        "13812345678",
        "700123456780001",
        "+86 139 0000 1111",
    );
    let mut info: np700_binding_info = zeroed();
    assert_eq!(
        unsafe { np700_registry_bind(reg, &req, T0, &mut info) },
        NP700_OK,
        "{}",
        last_error()
    );
    assert_eq!((info.id, info.mode), (1, NP700_MODE_AXB));
    assert_eq!(text(&info.x), "700123456780001");
    assert_eq!(text(&info.y), "");

    let d = route(reg, "+8613900001111", "700 1234 5678 0001", T0 + 1);
    assert_eq!(d.kind, NP700_DECISION_ROUTE);
    assert_eq!((d.target_count, d.binding_id, d.tenant), (1, 1, tenant));
    assert_eq!(text(&d.targets[0]), "+8613812345678");
    assert_eq!(text(&d.display), "700123456780001");

    let d = route(reg, "13912340000", "700123456780001", T0 + 1);
    assert_eq!(
        (d.kind, d.reject, d.sip_status),
        (
            NP700_DECISION_REJECT,
            NP700_REJECT_CALLER_NOT_PERMITTED,
            403
        )
    );
    let d = route(reg, "13912340000", "70012345678", T0 + 1);
    assert_eq!(
        (d.kind, d.digits_needed),
        (NP700_DECISION_COLLECT_DIGITS, 4)
    );

    assert_eq!(
        unsafe { np700_registry_unbind(reg, tenant, 1, T0 + 2) },
        NP700_OK
    );
    let d = route(reg, "+8613900001111", "700123456780001", T0 + 3);
    assert_eq!(
        (d.kind, d.announce),
        (NP700_DECISION_ANNOUNCE, NP700_ANNOUNCE_SERVICE_ENDED)
    );
    assert_eq!(
        unsafe { np700_registry_binding(reg, tenant, 1, &mut info) },
        NP700_ERR_BINDING_ENDED
    );
    assert_eq!(
        unsafe { np700_registry_binding(reg, tenant, 99, &mut info) },
        NP700_ERR_UNKNOWN_BINDING
    );
    assert_eq!(unsafe { np700_registry_free(reg) }, NP700_OK);
}

#[test]
fn every_mode_binds_with_automatic_numbers() {
    let (reg, tenant) = provisioned();
    let group = [s("13500000001"), s("13500000002")];
    let allowed = [s("18600000009")];
    let mut reqs = Vec::new();
    let mut r = axb(tenant, "13800000001", "", "13900000001");
    r.x.tag = s("beijing");
    r.x.tag_strict = 1;
    reqs.push(r);
    let mut r = axb(tenant, "13700000001", "", "13700000002");
    r.mode = NP700_MODE_AXN;
    r.policy.allowed_callers = allowed.as_ptr();
    r.policy.allowed_callers_len = 1;
    r.policy.record = 1;
    reqs.push(r);
    let mut r = axb(tenant, "13600000001", "", "13900000005");
    r.mode = NP700_MODE_AXYB;
    reqs.push(r);
    let mut r = axb(tenant, "", "", "13900000003");
    r.mode = NP700_MODE_GXB;
    r.group = group.as_ptr();
    r.group_len = group.len();
    r.policy.media = NP700_MEDIA_VOICE;
    reqs.push(r);
    let mut infos = Vec::new();
    for (i, req) in reqs.iter().enumerate() {
        let mut info: np700_binding_info = zeroed();
        let st = unsafe { np700_registry_bind(reg, req, T0, &mut info) };
        assert_eq!(st, NP700_OK, "request {i}: {}", last_error());
        assert_eq!(info.mode, req.mode);
        infos.push(info);
    }
    assert_eq!(text(&infos[2].y).len(), 15);
    // The AXN's allow-list: a listed stranger reaches A; the recording flag comes through.
    let d = route(reg, "18600000009", &text(&infos[1].x), T0 + 1);
    assert_eq!((d.kind, d.record), (NP700_DECISION_ROUTE, true));
    // B of the GXB reaches the group in order.
    let d = route(reg, "13900000003", &text(&infos[3].x), T0 + 1);
    assert_eq!(d.target_count, 2);
    assert_eq!(text(&d.targets[1]), "+8613500000002");

    let mut stats = np700_stats::default();
    assert_eq!(unsafe { np700_registry_stats(reg, &mut stats) }, NP700_OK);
    assert_eq!(
        (stats.bindings, stats.tenants, stats.assigned_numbers),
        (4, 1, 1)
    );

    // Suspend, resume, update, sweep.
    assert_eq!(
        unsafe { np700_registry_suspend(reg, tenant, infos[0].id, T0 + 2) },
        NP700_OK
    );
    assert_eq!(
        unsafe { np700_registry_suspend(reg, tenant, infos[0].id, T0 + 2) },
        NP700_ERR_STATUS_UNCHANGED
    );
    assert_eq!(
        unsafe { np700_registry_resume(reg, tenant, infos[0].id, T0 + 2) },
        NP700_OK
    );
    let mut up: np700_update_request = zeroed();
    up.tenant = tenant;
    up.binding = infos[0].id;
    up.counterpart = NP700_COUNTERPART_B;
    up.number = s("13900000002");
    let mut info: np700_binding_info = zeroed();
    assert_eq!(
        unsafe { np700_registry_update(reg, &up, T0 + 3, &mut info) },
        NP700_OK
    );
    up.counterpart = NP700_COUNTERPART_NONE;
    assert_eq!(
        unsafe { np700_registry_update(reg, &up, T0 + 3, &mut info) },
        NP700_ERR_EMPTY_UPDATE
    );
    let mut expired = 99;
    assert_eq!(
        unsafe { np700_registry_sweep(reg, T0 + 7200, &mut expired) },
        NP700_OK
    );
    assert_eq!(expired, 4, "all four expire after an hour");
    assert_eq!(unsafe { np700_registry_free(reg) }, NP700_OK);
}

#[test]
fn refusals_have_their_codes_and_write_nothing() {
    let (reg, tenant) = provisioned();
    let mut info: np700_binding_info = zeroed();
    info.id = 77;
    let cases: Vec<(np700_bind_request, np700_status)> = vec![
        (
            axb(tenant + 1, "13800000001", "700123456780001", "13900000001"),
            NP700_ERR_UNKNOWN_TENANT,
        ),
        (
            axb(tenant, "13800000001", "700999999990001", "13900000001"),
            NP700_ERR_NOT_LICENSED,
        ),
        (
            axb(tenant, "1380000000x", "700123456780001", "13900000001"),
            NP700_ERR_BAD_NUMBER,
        ),
        (
            axb(tenant, "13800000001", "70012345678000123", "13900000001"),
            NP700_ERR_BAD_NUMBER,
        ),
        (
            axb(tenant, "13800000001", "700123456780001", "13800000001"),
            NP700_ERR_INVALID_PARTIES,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.mode = 9;
                r
            },
            NP700_ERR_BAD_ENUM,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.expires_at = T0;
                r
            },
            NP700_ERR_EXPIRY_NOT_IN_FUTURE,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.expires_at = NP700_TIME_MAX + 1;
                r
            },
            NP700_ERR_OUT_OF_RANGE,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.consent_ref = np700_str::EMPTY;
                r
            },
            NP700_ERR_INVALID_FIELD,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.policy.media = 0;
                r
            },
            NP700_ERR_INVALID_POLICY,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.policy.media = 8;
                r
            },
            NP700_ERR_BAD_ENUM,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.a.ptr = null();
                r
            },
            NP700_ERR_NULL,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.x.tag = s("no tag");
                r
            },
            NP700_ERR_BAD_TAG,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.x.tag = s("shanghai");
                r.x.tag_strict = 1;
                r
            },
            NP700_ERR_TAG_UNMATCHED,
        ),
        (
            {
                let mut r = axb(tenant, "13800000001", "", "13900000001");
                r.group_len = NP700_MAX_LIST_LEN + 1;
                r.group = [s("1")].as_ptr();
                r
            },
            NP700_ERR_INVALID_PARTIES,
        ),
    ];
    for (i, (req, want)) in cases.iter().enumerate() {
        let st = unsafe { np700_registry_bind(reg, req, T0, &mut info) };
        assert_eq!(st, *want, "case {i}: {}", last_error());
        assert!(!last_error().is_empty());
        assert_eq!(info.id, 77, "case {i} wrote its output");
    }
    let bad_utf8 = [0xffu8, 0xfe];
    let st = unsafe { np700_registry_license_block(reg, bad_utf8.as_ptr().cast(), 2, 1, T0) };
    assert_eq!(st, NP700_ERR_INVALID_UTF8);
    let huge = "7".repeat(1 << 20);
    let st = unsafe { np700_registry_license_block(reg, huge.as_ptr().cast(), huge.len(), 1, T0) };
    assert_eq!(st, NP700_ERR_TOO_LONG);
    let st = unsafe { np700_registry_license_block(reg, null(), 5, 1, T0) };
    assert_eq!(st, NP700_ERR_NULL);
    let st = unsafe { np700_registry_license_block(reg, null(), 0, 1, T0) };
    assert_eq!(st, NP700_ERR_BAD_NUMBER, "(NULL, 0) is the empty string");
    // Cross-tenant: a second tenant may not have the first one's number or binding.
    let mut other = 0;
    let name = "Hungry Panda";
    let st = unsafe {
        np700_registry_register_tenant(
            reg,
            name.as_ptr().cast(),
            name.len(),
            null(),
            0,
            0,
            T0,
            &mut other,
        )
    };
    assert_eq!(st, NP700_OK);
    let m = "70012345678";
    let st = unsafe {
        np700_registry_assign_number(reg, other, m.as_ptr().cast(), m.len(), null(), 0, T0)
    };
    assert_eq!(st, NP700_ERR_HELD_BY_ANOTHER_TENANT);
    assert_eq!(unsafe { np700_registry_free(reg) }, NP700_OK);
}

#[test]
fn stale_handles_and_bad_route_arguments_are_errors() {
    let (reg, _) = provisioned();
    let mut d: np700_decision = zeroed();
    d.kind = 42;
    let (c, x) = ("13800000001", "700123456780001");
    let call = |reg, caller: *const c_char, clen, dialed: *const c_char, dlen, media, now, out| unsafe {
        np700_route(reg, caller, clen, dialed, dlen, media, now, out)
    };
    let (cp, xp) = (c.as_ptr().cast(), x.as_ptr().cast());
    assert_eq!(
        call(
            reg,
            cp,
            c.len(),
            xp,
            x.len(),
            NP700_MEDIA_VOICE,
            T0,
            null_mut()
        ),
        NP700_ERR_NULL
    );
    assert_eq!(
        call(reg, null(), 3, xp, x.len(), NP700_MEDIA_VOICE, T0, &mut d),
        NP700_ERR_NULL
    );
    assert_eq!(
        call(reg, cp, c.len(), xp, x.len(), 0, T0, &mut d),
        NP700_ERR_BAD_ENUM
    );
    assert_eq!(
        call(reg, cp, c.len(), xp, x.len(), NP700_MEDIA_ALL, T0, &mut d),
        NP700_ERR_BAD_ENUM
    );
    assert_eq!(
        call(
            reg,
            cp,
            c.len(),
            xp,
            x.len(),
            NP700_MEDIA_SMS,
            u64::MAX,
            &mut d
        ),
        NP700_ERR_OUT_OF_RANGE
    );
    assert_eq!(
        call(
            reg,
            cp,
            c.len(),
            xp,
            NP700_MAX_NUMBER_LEN + 1,
            NP700_MEDIA_SMS,
            T0,
            &mut d
        ),
        NP700_ERR_TOO_LONG
    );
    assert_eq!(
        call(
            null(),
            cp,
            c.len(),
            xp,
            x.len(),
            NP700_MEDIA_VOICE,
            T0,
            &mut d
        ),
        NP700_ERR_NULL
    );
    assert_eq!(d.kind, 42, "nothing written on errors");
    // (NULL, 0) as the caller is an unidentified caller, not an error.
    assert_eq!(
        call(reg, null(), 0, xp, x.len(), NP700_MEDIA_VOICE, T0, &mut d),
        NP700_OK
    );
    assert_eq!(
        (d.kind, d.reject),
        (NP700_DECISION_REJECT, NP700_REJECT_NO_BINDING)
    );

    assert_eq!(unsafe { np700_registry_free(reg) }, NP700_OK);
    assert_eq!(
        unsafe { np700_registry_free(reg) },
        NP700_ERR_INVALID_HANDLE
    );
    assert_eq!(
        call(reg, cp, c.len(), xp, x.len(), NP700_MEDIA_VOICE, T0, &mut d),
        NP700_ERR_INVALID_HANDLE
    );
    assert!(last_error().contains("np700_route"));
    assert_eq!(unsafe { np700_registry_free(null_mut()) }, NP700_OK);
    assert_eq!(unsafe { np700_reader_free(null_mut()) }, NP700_OK);
    assert_eq!(unsafe { np700_config_free(null_mut()) }, NP700_OK);
    // A registry handle is not a reader or a configuration.
    let (reg, _) = provisioned();
    assert_eq!(
        unsafe { np700_reader_free(reg.cast()) },
        NP700_ERR_INVALID_HANDLE
    );
    assert_eq!(
        unsafe { np700_config_set_capacity(reg.cast(), 5) },
        NP700_ERR_INVALID_HANDLE
    );
    assert_eq!(unsafe { np700_registry_free(reg) }, NP700_OK);
}

#[test]
fn a_reader_routes_from_the_shared_index_like_the_registry() {
    let path = std::env::temp_dir().join(format!("np700-ffi-{}", std::process::id()));
    let path_text = path.to_str().unwrap();
    unsafe {
        let mut config = null_mut();
        assert_eq!(np700_config_new(&mut config), NP700_OK);
        let st = np700_config_set_shared_path(config, path_text.as_ptr().cast(), path_text.len());
        assert_eq!(st, NP700_OK);
        let mut reg = null_mut();
        assert_eq!(
            np700_registry_new(config, &mut reg),
            NP700_OK,
            "{}",
            last_error()
        );
        np700_config_free(config);
        let mut reader = null_mut();
        let st = np700_reader_attach(path_text.as_ptr().cast(), path_text.len(), &mut reader);
        assert_eq!(st, NP700_OK, "{}", last_error());
        let mut generation = 0;
        assert_eq!(np700_reader_generation(reader, &mut generation), NP700_OK);
        assert!(generation >= 1);
        let (caller, x) = ("13800000001", "700123456780001");
        let mut from_reader: np700_decision = zeroed();
        let st = np700_reader_route(
            reader,
            caller.as_ptr().cast(),
            caller.len(),
            x.as_ptr().cast(),
            x.len(),
            NP700_MEDIA_VOICE,
            T0,
            &mut from_reader,
        );
        assert_eq!(st, NP700_OK);
        let from_registry = route(reg, caller, x, T0);
        assert_eq!(
            (from_reader.kind, from_reader.reject),
            (from_registry.kind, from_registry.reject)
        );
        assert_eq!(np700_reader_free(reader), NP700_OK);
        assert_eq!(np700_registry_free(reg), NP700_OK);
        let missing = "/nonexistent/np700-index";
        let st = np700_reader_attach(missing.as_ptr().cast(), missing.len(), &mut reader);
        assert_eq!(st, NP700_ERR_IO);
    }
    let _ = std::fs::remove_file(path);
}

#[test]
fn statuses_and_versions_are_described() {
    let name = |st| {
        unsafe { CStr::from_ptr(np700_status_str(st)) }
            .to_str()
            .unwrap()
    };
    assert!(name(NP700_ERR_HELD_BY_ANOTHER_TENANT).starts_with("NP700_ERR_HELD_BY_ANOTHER_TENANT"));
    assert_eq!(name(-12345), "unknown status");
    let version = unsafe { CStr::from_ptr(np700_version()) }.to_str().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert_eq!(np700_version_number(), NP700_VERSION_NUMBER);
    // A buffer too small: the size is reported, the buffer untouched.
    unsafe { np700_registry_free(std::ptr::without_provenance_mut(1)) };
    let mut small = [7 as c_char; 4];
    let mut needed = 0;
    assert_eq!(
        unsafe { np700_last_error(small.as_mut_ptr(), small.len(), &mut needed) },
        NP700_ERR_BUFFER_TOO_SMALL
    );
    assert!(needed > small.len());
    assert_eq!(small, [7; 4]);
    assert_eq!(
        unsafe { np700_last_error(null_mut(), 3, null_mut()) },
        NP700_ERR_NULL
    );
}

#[test]
fn freeing_while_other_threads_route_is_safe() {
    let (reg, tenant) = provisioned();
    let req = axb(tenant, "13812345678", "700123456780001", "13900001111");
    let mut info: np700_binding_info = zeroed();
    assert_eq!(
        unsafe { np700_registry_bind(reg, &req, T0, &mut info) },
        NP700_OK
    );
    let token = reg as usize;
    let routers: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(move || {
                let reg: *const np700_registry = std::ptr::without_provenance(token);
                let (c, x) = ("13900001111", "700123456780001");
                let mut routed = 0u32;
                loop {
                    let mut d: np700_decision = zeroed();
                    let st = unsafe {
                        np700_route(
                            reg,
                            c.as_ptr().cast(),
                            c.len(),
                            x.as_ptr().cast(),
                            x.len(),
                            NP700_MEDIA_VOICE,
                            T0 + 1,
                            &mut d,
                        )
                    };
                    match st {
                        NP700_OK => {
                            assert_eq!(d.kind, NP700_DECISION_ROUTE);
                            routed += 1;
                        }
                        NP700_ERR_INVALID_HANDLE => return routed,
                        other => panic!("unexpected status {other}"),
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(unsafe { np700_registry_free(reg) }, NP700_OK);
    for r in routers {
        assert!(r.join().unwrap() > 0);
    }
}

#[test]
fn a_hand_over_routes_the_same_in_the_importing_registry() {
    let (reg, tenant) = provisioned();
    let req = axb(tenant, "13812345678", "700123456780001", "13900001111");
    let mut info: np700_binding_info = zeroed();
    assert_eq!(
        unsafe { np700_registry_bind(reg, &req, T0, &mut info) },
        NP700_OK
    );

    // The size, then the document.
    let mut needed = 0;
    let st = unsafe { np700_registry_export(reg, tenant, T0 + 1, null_mut(), 0, &mut needed) };
    assert_eq!(st, NP700_ERR_BUFFER_TOO_SMALL);
    let mut buf = vec![0 as c_char; needed];
    let st = unsafe {
        np700_registry_export(
            reg,
            tenant,
            T0 + 1,
            buf.as_mut_ptr(),
            buf.len(),
            &mut needed,
        )
    };
    assert_eq!(st, NP700_OK, "{}", last_error());
    let json = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
    assert_eq!(json.len() + 1, needed);
    // It is the crate's own format.
    let doc = np700::handover::Handover::from_json(json.as_bytes()).unwrap();
    assert_eq!(
        doc.scope,
        np700::handover::Scope::Tenant(np700::TenantId::from_raw(tenant))
    );
    assert_eq!(doc.bindings.len(), 1);

    let (mut config, mut to) = (null_mut(), null_mut());
    assert_eq!(unsafe { np700_config_new(&mut config) }, NP700_OK);
    assert_eq!(unsafe { np700_registry_new(config, &mut to) }, NP700_OK);
    assert_eq!(unsafe { np700_config_free(config) }, NP700_OK);
    let mut report: np700_import_report = zeroed();
    let st = unsafe {
        np700_registry_import(
            to,
            json.as_ptr().cast(),
            json.len(),
            null(),
            0,
            NP700_IMPORT_KEEP_IDS,
            T0 + 1,
            &mut report,
        )
    };
    assert_eq!(st, NP700_OK, "{}", last_error());
    assert_eq!(
        (
            report.tenants_registered,
            report.first_tenant,
            report.bindings
        ),
        (1, 1, 1)
    );
    assert_eq!((report.binding_ids, report.first_binding), (1, info.id));
    for (caller, dialed) in [
        ("13900001111", "700123456780001"),
        ("13812345678", "700123456780001"),
        ("13700000000", "700123456780001"),
        ("13900001111", "700123456780002"),
    ] {
        let (a, b) = (
            route(reg, caller, dialed, T0 + 2),
            route(to, caller, dialed, T0 + 2),
        );
        assert_eq!(
            (a.kind, a.reject, a.binding_id),
            (b.kind, b.reject, b.binding_id)
        );
        assert_eq!(text(&a.targets[0]), text(&b.targets[0]));
    }

    // A legacy binding moves onto the imported tenant's numbers.
    let line = r#"{"middle": "17012345678", "mode": "AXB", "a": "13800000031", "b": "13900000031", "expires_at": 1767312000, "consent_ref": "c"}"#;
    let mut summary: np700_legacy_summary = zeroed();
    let mut lines = [zeroed::<np700_legacy_line>(); 2];
    let st = unsafe {
        np700_registry_migrate_legacy(
            to,
            report.first_tenant,
            null(),
            line.as_ptr().cast(),
            line.len(),
            T0 + 1,
            &mut summary,
            lines.as_mut_ptr(),
            lines.len(),
            null_mut(),
        )
    };
    assert_eq!(st, NP700_OK, "{}", last_error());
    assert_eq!((summary.lines, summary.migrated), (1, 1));
    assert_eq!((lines[0].line, lines[0].result), (1, NP700_LEGACY_MIGRATED));
    let d = route(to, "13900000031", &text(&lines[0].x), T0 + 2);
    assert_eq!(d.kind, NP700_DECISION_ROUTE);
    assert_eq!(text(&d.targets[0]), "+8613800000031");
    assert_eq!(unsafe { np700_registry_free(to) }, NP700_OK);
    assert_eq!(unsafe { np700_registry_free(reg) }, NP700_OK);
}
