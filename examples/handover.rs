//! A platform exits the pilot: its live bindings and quarantines are exported, the carrier
//! imports them and routes every call as the platform did; then the carrier migrates a legacy
//! middle-number binding onto a 700 number.
//!
//! `cargo run --example handover`

use np700::handover::legacy::{self, LegacyOptions};
use np700::handover::{self, Handover, ImportOptions, ImportRequest, Scope};
use np700::index::layout::Capacity;
use np700::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = Timestamp::from_unix_secs(1_767_225_600);
    let platform = Registry::new(Config::default(), Capacity::for_bindings(1_000));
    let tenant = TenantId::from_raw(1);
    let m = ManagementNumber::new(70012340000)?;
    for c in [
        Command::RegisterTenant {
            name: "Swift Parcels".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        Command::LicenseBlock(LicensedBlock { first: m, count: 2 }),
        Command::AssignNumber {
            tenant,
            number: m,
            tags: vec![],
        },
    ] {
        platform.execute(&c, now)?;
    }
    let (courier, alice, bob) = ("13800000001", "13900000002", "13900000003");
    let bind = |b: &str, sub: u16| -> Result<Binding, Box<dyn std::error::Error>> {
        Ok(platform.bind(
            BindRequest {
                tenant,
                parties: Parties::Axb {
                    a: courier.parse()?,
                    x: NumberChoice::Given(m.usage(sub)?),
                    b: b.parse()?,
                },
                expires_at: now.plus_secs(3_600),
                policy: Policy::default(),
                order_id: format!("order-{sub}"),
                consent_ref: format!("consent-{sub}"),
                external_ref: String::new(),
            },
            now,
        )?)
    };
    bind(alice, 1)?;
    let done = bind(bob, 2)?;
    platform.unbind(tenant, done.id, now)?; // Bob now hears "service ended" on X2.

    // The platform exits: everything live goes to the carrier as JSON.
    let json = handover::export_from(&platform, Scope::Platform, now)?.to_json();
    println!("hand-over: {} bytes", json.len());
    let carrier = Registry::new(Config::default(), Capacity::for_bindings(1_000));
    let request = ImportRequest {
        handover: Handover::from_json(json.as_bytes())?,
        options: ImportOptions::default(),
    };
    let report = handover::import_into(&carrier, request, now)?;
    println!(
        "imported: {} bindings, {} quarantines",
        report.bound, report.quarantines
    );

    let later = now.plus_secs(60);
    for (caller, sub) in [(alice, 1), (courier, 1), (bob, 2), (alice, 3)] {
        let dialled = m.usage(sub)?.to_string();
        let before = platform.route(caller, &dialled, Media::Voice, later);
        let after = carrier.route(caller, &dialled, Media::Voice, later);
        assert_eq!(before, after);
        println!("{caller} → {dialled}: {after}");
    }

    // A legacy 170 middle-number binding moves onto one of the tenant's 700 numbers.
    let legacy_line = r#"{"middle": "17012345678", "mode": "AXB", "a": "13800000009", "b": "13900000009", "expires_at": 1767312000, "order_id": "old-7", "consent_ref": "consent-7"}"#;
    let migrated = legacy::migrate_into(
        &carrier,
        legacy_line,
        &LegacyOptions::automatic(tenant),
        now,
    );
    println!("legacy: {}", serde_json::to_string(&migrated)?);
    Ok(())
}
