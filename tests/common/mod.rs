//! A fixture for the regulatory-control tests: the same commands run on a plain [`State`], a
//! registry (heap index), a registry publishing a shared index with a reader attached to it,
//! and a follower fed the registry's events; every route is asked of all of them and must get
//! one answer.
#![allow(dead_code)]

use np700::control::sms::SmsRules;
use np700::index::SharedIndex;
use np700::index::layout::Capacity;
use np700::journal::follow::{self, ChannelSource, EventSender, FollowOptions, Follower};
use np700::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// 2026-01-01 08:00 Beijing (00:00 UTC).
pub const T0: u64 = 1_767_225_600;
pub const DAY: u64 = 86_400;
/// Management numbers: M1 and M1B held by tenant 1, M2 by tenant 2.
pub const M1: u64 = 700_1234_0000;
pub const M1B: u64 = 700_1234_0001;
pub const M2: u64 = 700_1234_0005;

pub const A: &str = "13800000001";
pub const B: &str = "13800000002";
pub const C: &str = "13800000003";
pub const D: &str = "13800000004";

pub fn at(secs_after_t0: u64) -> Timestamp {
    Timestamp::from_unix_secs(T0 + secs_after_t0)
}
pub fn s(number: &str) -> SubscriberNumber {
    SubscriberNumber::parse(number).unwrap()
}
pub fn ux(management: u64, sub: u16) -> UsageNumber {
    ManagementNumber::new(management)
        .unwrap()
        .usage(sub)
        .unwrap()
}
/// The 15-digit dial string of usage number `sub` under `management`.
pub fn dial(management: u64, sub: u16) -> String {
    format!("{management}{sub:04}")
}
pub fn t(raw: u32) -> TenantId {
    TenantId::from_raw(raw)
}
pub fn reject(reason: RejectReason) -> Decision {
    Decision::Reject { reason }
}

/// Where a decision routes to (the first destination), or the decision itself.
pub fn routed_to(d: Decision) -> Result<SubscriberNumber, Decision> {
    match d {
        Decision::Route(r) => r.to.first().ok_or(d),
        other => Err(other),
    }
}

/// Every path a route can take, fed the same commands.
pub struct World {
    pub state: State,
    pub registry: Registry,
    pub shared: Registry,
    pub reader: SharedIndex,
    pub follower: Follower<ChannelSource>,
    tx: EventSender,
    seq: u64,
    path: PathBuf,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

static WORLDS: AtomicU64 = AtomicU64::new(0);

impl World {
    /// Empty paths under `config`, indexes starting at `capacity`.
    pub fn empty(config: Config, capacity: Capacity) -> World {
        let path = std::env::temp_dir().join(format!(
            "np700-controls-{}-{}",
            std::process::id(),
            WORLDS.fetch_add(1, Ordering::Relaxed)
        ));
        let shared = Registry::new_shared(config.clone(), capacity, &path).unwrap();
        // The reader process has no configuration: it takes the writer's SMS rules from the
        // writer's control region.
        let reader = SharedIndex::attach(&path).unwrap();
        assert_eq!(*reader.sms_rules(), config.sms);
        let (tx, rx) = follow::channel();
        let follower = Follower::new(rx, config.clone(), FollowOptions::default()).unwrap();
        World {
            state: State::new(config.clone()),
            registry: Registry::new(config, capacity),
            shared,
            reader,
            follower,
            tx,
            seq: 0,
            path,
        }
    }

    /// Two tenants; a block of ten numbers; M1, M1B held by tenant 1 and M2 by tenant 2.
    pub fn new(config: Config) -> World {
        let mut w = World::empty(config, Capacity::for_bindings(1_000));
        w.provision();
        w
    }

    /// [`World::new`] with the default configuration.
    pub fn default_config() -> World {
        World::new(Config::default())
    }

    pub fn provision(&mut self) {
        for name in ["one", "two"] {
            self.exec(
                Command::RegisterTenant {
                    name: name.into(),
                    scenarios: vec![],
                    pair_cap: None,
                },
                at(0),
            )
            .unwrap();
        }
        self.exec(
            Command::LicenseBlock(LicensedBlock {
                first: ManagementNumber::new(M1).unwrap(),
                count: 10,
            }),
            at(0),
        )
        .unwrap();
        for (tenant, m) in [(1, M1), (1, M1B), (2, M2)] {
            self.exec(
                Command::AssignNumber {
                    tenant: t(tenant),
                    number: ManagementNumber::new(m).unwrap(),
                    tags: vec![],
                },
                at(0),
            )
            .unwrap();
        }
    }

    /// Runs `command` on every path; they must agree on the outcome and the resulting state.
    pub fn exec(&mut self, command: Command, now: Timestamp) -> Result<Vec<Event>, Error> {
        let expected = self.state.execute(&command, now);
        let registry = self.registry.execute(&command, now);
        let shared = self.shared.execute(&command, now);
        assert_eq!(registry, expected, "registry on {command:?}");
        assert_eq!(shared, expected, "shared writer on {command:?}");
        if let Ok(events) = &expected
            && !events.is_empty()
        {
            let batch = events
                .iter()
                .map(|e| {
                    self.seq += 1;
                    (self.seq, e.clone())
                })
                .collect();
            self.tx.send(batch).unwrap();
            self.follower.poll().unwrap();
        }
        self.registry.with_state(|st| assert!(*st == self.state));
        self.follower.with_state(|st| assert!(*st == self.state));
        expected
    }

    /// Binds on every path; returns the binding's id.
    pub fn bind(&mut self, request: BindRequest, now: Timestamp) -> BindingId {
        match self.exec(Command::Bind(request), now).unwrap().pop() {
            Some(Event::Bound { binding }) => binding.id,
            other => panic!("bound nothing: {other:?}"),
        }
    }

    /// Routes on every path; all must give the same decision, which is returned.
    pub fn route(&self, caller: &str, dialed: &str, media: Media, now: Timestamp) -> Decision {
        let d = self.state.route(caller, dialed, media, now);
        let what = format!("{caller} → {dialed} ({media:?})");
        assert_eq!(
            self.registry.route(caller, dialed, media, now),
            d,
            "registry: {what}"
        );
        assert_eq!(
            self.shared.route(caller, dialed, media, now),
            d,
            "shared writer: {what}"
        );
        assert_eq!(
            self.reader.route(caller, dialed, media, now),
            d,
            "shared reader: {what}"
        );
        assert_eq!(
            self.follower.route(caller, dialed, media, now),
            d,
            "follower: {what}"
        );
        d
    }

    /// Routes an SMS with its text on every path; all must agree.
    pub fn message(&self, caller: &str, dialed: &str, text: &[u8], now: Timestamp) -> Decision {
        let d = self.state.route_message(caller, dialed, text, now);
        let what = format!("{caller} → {dialed}: {:?}", String::from_utf8_lossy(text));
        assert_eq!(
            self.registry.route_message(caller, dialed, text, now),
            d,
            "registry: {what}"
        );
        assert_eq!(
            self.shared.route_message(caller, dialed, text, now),
            d,
            "shared writer: {what}"
        );
        assert_eq!(
            self.reader.route_message(caller, dialed, text, now),
            d,
            "shared reader: {what}"
        );
        assert_eq!(
            self.follower.route_message(caller, dialed, text, now),
            d,
            "follower: {what}"
        );
        d
    }

    /// Where the shared writer publishes its index.
    pub fn shared_path(&self) -> &std::path::Path {
        &self.path
    }

    /// A new writer publishing an empty state under `config` at the shared path (the old one
    /// is retired, its readers move over).
    pub fn shared_restart(&self, config: Config) -> Registry {
        Registry::new_shared(config, Capacity::for_bindings(1_000), &self.path).unwrap()
    }

    /// Gives the shared reader other SMS rules than the writer's (a reader not yet told).
    pub fn set_reader_rules(&self, rules: SmsRules) {
        self.reader.set_sms_rules(rules);
    }
}

/// A request of `tenant` valid for a day from T0, with `policy`.
pub fn request(tenant: u32, parties: Parties<NumberChoice>, policy: Policy) -> BindRequest {
    BindRequest {
        tenant: t(tenant),
        parties,
        expires_at: at(DAY),
        policy,
        order_id: "order-1".into(),
        consent_ref: "consent-1".into(),
        external_ref: String::new(),
    }
}

pub fn axb(a: &str, m: u64, sub: u16, b: &str) -> Parties<NumberChoice> {
    Parties::Axb {
        a: s(a),
        x: NumberChoice::Given(ux(m, sub)),
        b: s(b),
    }
}
