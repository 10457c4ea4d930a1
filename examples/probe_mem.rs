use np700::index::layout::Capacity;
use np700::*;
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}
fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1_000_000);
    let now = Timestamp::from_unix_secs(1_767_225_600);
    let r = Registry::new(Config::default(), Capacity::for_bindings(n as usize));
    let t = r.with_state(|s| s.next_tenant_id());
    r.execute(
        &Command::RegisterTenant {
            name: "t".into(),
            scenarios: vec![],
            pair_cap: None,
        },
        now,
    )
    .unwrap();
    let mgmts = n / 10_000 + 1;
    let first = ManagementNumber::new(70010000000).unwrap();
    r.execute(
        &Command::LicenseBlock(LicensedBlock {
            first,
            count: mgmts as u32,
        }),
        now,
    )
    .unwrap();
    for i in 0..mgmts {
        r.execute(
            &Command::AssignNumber {
                tenant: t,
                number: first.checked_add(i).unwrap(),
                tags: vec![],
            },
            now,
        )
        .unwrap();
    }
    let before = rss_kb();
    let start = std::time::Instant::now();
    for i in 0..n {
        let x = first
            .checked_add(i / 10_000)
            .unwrap()
            .usage((i % 10_000) as u16)
            .unwrap();
        let a = SubscriberNumber::from_e164(8613000000000 + i).unwrap();
        let b = SubscriberNumber::from_e164(8615000000000 + i).unwrap();
        r.bind(
            BindRequest {
                tenant: t,
                parties: Parties::Axb {
                    a,
                    x: NumberChoice::Given(x),
                    b,
                },
                expires_at: now.plus_secs(86400),
                policy: Policy::default(),
                order_id: String::new(),
                consent_ref: "c".into(),
                external_ref: String::new(),
            },
            now,
        )
        .unwrap();
    }
    let el = start.elapsed();
    let after = rss_kb();
    println!("{:?}", r.index().capacity());
    println!(
        "{n} binds in {:?} ({:?}/bind); RSS delta {} MB = {} bytes/binding; index {} MB",
        el,
        el / n as u32,
        (after - before) / 1024,
        (after - before) * 1024 / n,
        r.index().bytes() / 1_000_000
    );
}
