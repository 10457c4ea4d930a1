//! A small day of a delivery platform, told through np700.
//!
//! Two tenants share one platform: a parcel company and a food-delivery company, each holding its
//! own licensed management numbers, tagged by city. The demo makes one binding of each mode (AXB
//! courier ↔ customer, AXN a shop's hotline, AXYB sender ↔ recipient, GXB a shop's staff ↔ a
//! customer), routes calls and SMS and prints every decision, has a cross-tenant allocation
//! refused, changes a counterpart, suspends and resumes, unbinds, lets a binding expire and sweeps
//! it, and shows former counterparts hearing the quarantine announcement. Finally it rebuilds the
//! state from the events it produced and checks the copy is identical.
//!
//! Time is simulated Beijing time (UTC+8) from 2026-01-01 08:00; nothing reads a clock.
//!
//! Run it with `cargo run --example demo`.

use Media::{Sms, Voice};
use np700::binding::MediaSet;
use np700::tenant::Scenario;
use np700::{
    BindRequest, BindingId, Command, Config, Counterpart, Decision, Error, Event, LicensedBlock,
    ManagementNumber, Media, NumberChoice, Parties, Policy, Selection, State, SubscriberNumber,
    Tag, TagMatch, TenantId, Timestamp, UsageNumber,
};
use std::fmt::{Debug, Display};

/// Midnight starting 2026-01-01 in Beijing (08:00 that day is unix 1_767_225_600).
const MIDNIGHT: u64 = 1_767_225_600 - 8 * 3600;

/// `HH:MM` Beijing time.
fn hhmm(t: Timestamp) -> String {
    let m = t.beijing_minute_of_day();
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// `HH:MM`, with the day when it is not the first.
fn when(t: Timestamp) -> String {
    match t.unix_secs().saturating_sub(MIDNIGHT) / 86_400 {
        0 => hhmm(t),
        d => format!("{} on day {}", hhmm(t), d + 1),
    }
}

fn sub(digits: &str) -> SubscriberNumber {
    SubscriberNumber::parse(digits).expect("the demo's subscriber numbers are valid")
}

fn mgmt(number: u64) -> ManagementNumber {
    ManagementNumber::new(number).expect("the demo's management numbers are valid")
}

fn tag(city: &str) -> Tag {
    Tag::new(city).expect("the demo's tags are valid")
}

/// "Pick a usage number for me under a management number tagged `city`."
fn auto(city: &str) -> NumberChoice {
    let (tag, strict, sticky_for) = (tag(city), true, None);
    let tag = Some(TagMatch { tag, strict });
    NumberChoice::Auto(Selection { tag, sticky_for })
}

/// `CallerNotPermitted` → `caller not permitted`.
fn words(name: impl Debug) -> String {
    let mut out = String::new();
    for c in format!("{name:?}").chars() {
        if c.is_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// One line for a route decision, as a switch operator would read it.
fn describe(d: &Decision) -> String {
    match d {
        Decision::Route(r) => {
            let to: Vec<String> = r.to.iter().map(|s| s.to_string()).collect();
            let mode = format!("{:?}", r.mode).to_uppercase();
            let rec = if r.record { ", recorded" } else { "" };
            let (to, shown, id) = (to.join(" then "), r.display, r.binding);
            format!("ROUTE to {to} shown {shown} [{id}, {mode}{rec}]")
        }
        Decision::CollectDigits { needed } => format!("COLLECT {needed} more digits, ask again"),
        Decision::Announce { reason } => format!("ANNOUNCE \"{}\"", words(reason)),
        Decision::Reject { reason } => {
            let sip = reason.sip_status();
            format!("REJECT {} (SIP {sip})", words(reason))
        }
    }
}

/// The platform's writer for the day: the state, every event it produced, and the clock.
struct Day {
    state: State,
    log: Vec<Event>,
    now: Timestamp,
}

impl Day {
    /// Starts a section at `h:m` Beijing time; hours from 24 on are the next day.
    fn section(&mut self, h: u64, m: u64, title: &str) {
        self.now = Timestamp::from_unix_secs(MIDNIGHT + h * 3600 + m * 60);
        println!("\n── {}  {title} ──", when(self.now));
    }

    /// Prints a line at the current time, then lets two minutes pass.
    fn say(&mut self, line: impl Display) {
        println!("{}  {line}", hhmm(self.now));
        self.now = self.now.plus_secs(120);
    }

    fn exec(&mut self, cmd: &Command) -> Result<Vec<Event>, Error> {
        let events = self.state.execute(cmd, self.now)?;
        self.log.extend(events.iter().cloned());
        Ok(events)
    }

    /// A command the demo's own story needs to succeed.
    fn must(&mut self, cmd: Command, what: &str) -> Vec<Event> {
        let result = self.exec(&cmd);
        result.unwrap_or_else(|e| panic!("demo setup failed: {what}: {e}"))
    }

    /// A command that may be refused: prints the outcome either way.
    fn attempt(&mut self, what: impl Display, cmd: Command) {
        match self.exec(&cmd) {
            Ok(events) => self.say(format!("{what} → done ({} event(s))", events.len())),
            Err(e) => self.say(format!("{what} → REFUSED: {e}")),
        }
    }

    fn register(&mut self, name: &str, scenario: Scenario) -> TenantId {
        let id = self.state.next_tenant_id();
        let (name, scenarios, pair_cap) = (name.to_owned(), vec![scenario], None);
        let cmd = Command::RegisterTenant {
            name,
            scenarios,
            pair_cap,
        };
        self.must(cmd, "register a tenant");
        id
    }

    fn assign(&mut self, tenant: TenantId, number: u64, city: &str) {
        let (number, tags) = (mgmt(number), vec![tag(city)]);
        let cmd = Command::AssignNumber {
            tenant,
            number,
            tags,
        };
        self.must(cmd, "assign a number");
        self.say(format!("{tenant} gets management number {number} ({city})"));
    }

    /// A bind request of `tenant`, valid for `hours` from now.
    fn request(&self, tenant: TenantId, parties: Parties<NumberChoice>, hours: u64) -> BindRequest {
        BindRequest {
            tenant,
            parties,
            expires_at: self.now.plus_secs(hours * 3600),
            policy: Policy::default(),
            order_id: format!("order-{}", self.log.len()),
            consent_ref: "consent/app-v3".into(),
            external_ref: String::new(),
        }
    }

    /// Binds, prints the binding, and returns its id and usage numbers.
    fn bind(&mut self, what: &str, req: BindRequest) -> (BindingId, Vec<UsageNumber>) {
        let events = self.must(Command::Bind(req), what);
        let Some(Event::Bound { binding: b }) = events.last() else {
            panic!("demo setup failed: {what}: no Bound event");
        };
        let (id, until, xs) = (b.id, when(b.expires_at), b.parties.usage_numbers());
        let on: Vec<String> = xs.iter().map(|x| x.to_string()).collect();
        let on = on.join(" + ");
        self.say(format!("{what} → {id} on {on}, until {until}"));
        (id, xs)
    }

    /// A call or an SMS as a switch would ask about it, and the decision.
    fn call(&mut self, who: &str, caller: &str, dialed: impl Display, media: Media) {
        let dialed = dialed.to_string();
        let d = describe(&self.state.route(caller, &dialed, media, self.now));
        let verb = if media == Voice { "calls" } else { "texts" };
        self.say(format!("{who} {caller} {verb} {dialed} → {d}"));
    }
}

fn main() {
    let config = Config::default();
    let (state, log, now) = (State::new(config.clone()), Vec::new(), Timestamp::default());
    let mut day = Day { state, log, now };
    let (courier, customer1, customer2) = ("13800000001", "13900000001", "13900000002");
    let (shop, back_office, stranger) = ("13700000001", "13700000002", "18600000009");
    let (sender, recipient, customer3) = ("13600000001", "13900000005", "13900000003");
    let staff = ["13500000001", "13500000002", "13500000003"];

    day.section(8, 0, "Opening: a licence, two tenants, their numbers");
    let (first, count) = (mgmt(700_1000_0000), 10);
    let block = LicensedBlock { first, count };
    day.must(Command::LicenseBlock(block), "license a block");
    day.say(format!("licensed: {count} management numbers from {first}"));
    let parcel = day.register("Swift Parcel", Scenario::Delivery);
    let food = day.register("Hungry Panda", Scenario::FoodDelivery);
    day.say(format!("{parcel} is Swift Parcel, {food} is Hungry Panda"));
    day.assign(parcel, 700_1000_0001, "beijing");
    day.assign(parcel, 700_1000_0002, "shanghai");
    day.assign(food, 700_1000_0003, "beijing");

    day.section(8, 30, "Bindings, one of each mode");
    let (a, x, b) = (sub(courier), auto("beijing"), sub(customer1));
    let req = day.request(parcel, Parties::Axb { a, x, b }, 4);
    let (axb, xs) = day.bind("Swift Parcel: courier ↔ customer (AXB)", req);
    let x1 = xs[0];
    let (a, x, n) = (sub(shop), auto("beijing"), Some(sub(back_office)));
    let mut req = day.request(food, Parties::Axn { a, x, n }, 48);
    req.policy.record = true;
    let (_, xs) = day.bind("Hungry Panda: noodle shop hotline (AXN, recorded)", req);
    let x2 = xs[0];
    let (a, b) = (sub(sender), sub(recipient));
    let (x, y) = (auto("shanghai"), auto("shanghai"));
    let req = day.request(parcel, Parties::Axyb { a, x, y, b }, 8);
    let (axyb, xs) = day.bind("Swift Parcel: sender ↔ recipient (AXYB)", req);
    let (x3, y3) = (xs[0], xs[1]);
    let (group, x, b) = (staff.map(sub).to_vec(), auto("beijing"), sub(customer3));
    let mut req = day.request(food, Parties::Gxb { group, x, b }, 48);
    req.policy.media = MediaSet::VOICE_ONLY;
    let (gxb, xs) = day.bind("Hungry Panda: shop staff ↔ customer (GXB, voice only)", req);
    let x4 = xs[0];

    day.section(9, 0, "Morning rush: calls and SMS");
    day.call("customer", customer1, x1, Voice);
    day.call("courier", courier, x1, Sms);
    day.call("stranger", stranger, x1, Voice);
    day.call("stranger", stranger, x2, Voice);
    day.call("shop owner", shop, x2, Voice);
    day.call("recipient", recipient, x3, Voice);
    day.call("sender", sender, y3, Sms);
    day.call("customer", customer3, x4, Voice);
    day.call("staff #2", staff[1], x4, Voice);
    day.call("customer", customer3, x4, Sms);
    day.call("someone", stranger, x1.management(), Voice);

    day.section(10, 0, "No mixing of tenants");
    let (a, x, b) = (sub(staff[0]), NumberChoice::Given(x1), sub(customer3));
    let req = day.request(food, Parties::Axb { a, x, b }, 1);
    day.attempt(format!("Hungry Panda binds on {x1}"), Command::Bind(req));
    let number = x1.management();
    let cmd = Command::AssignNumber {
        tenant: food,
        number,
        tags: vec![],
    };
    day.attempt(format!("Hungry Panda asks for {number}"), cmd);
    let (tenant, binding) = (food, axb);
    let cmd = Command::Unbind { tenant, binding };
    day.attempt(format!("Hungry Panda unbinds {axb}"), cmd);

    day.section(10, 30, "The courier's next customer (update)");
    let cmd = Command::Update {
        tenant: parcel,
        binding: axb,
        counterpart: Some(Counterpart::B(sub(customer2))),
        expires_at: None,
        policy: None,
    };
    day.attempt(format!("Swift Parcel: {axb}'s B becomes {customer2}"), cmd);
    day.call("new customer", customer2, x1, Voice);
    day.call("old customer", customer1, x1, Voice);

    day.section(11, 0, "Anti-fraud suspends the GXB binding, then lifts it");
    let (tenant, binding) = (food, gxb);
    let cmd = Command::Suspend { tenant, binding };
    day.attempt(format!("suspend {gxb}"), cmd);
    day.call("customer", customer3, x4, Voice);
    let cmd = Command::Resume { tenant, binding };
    day.attempt(format!("resume {gxb}"), cmd);
    day.call("customer", customer3, x4, Voice);

    day.section(11, 30, "Parcel delivered: unbind");
    let (tenant, binding) = (parcel, axyb);
    let cmd = Command::Unbind { tenant, binding };
    day.attempt(format!("Swift Parcel unbinds {axyb}"), cmd);
    day.call("recipient", recipient, x3, Voice);

    day.section(12, 30, "The AXB binding has just expired, not yet swept");
    day.call("courier", courier, x1, Voice);
    let n = day.must(Command::Sweep, "sweep").len();
    day.say(format!("sweep → {n} event(s): pairs now quarantined"));
    day.call("courier", courier, x1, Voice);

    day.section(24 + 13, 0, "Next day: quarantines are over");
    let n = day.must(Command::Sweep, "sweep").len();
    day.say(format!("sweep → {n} event(s): ended quarantines dropped"));
    day.call("courier", courier, x1, Voice);
    day.call("stranger", stranger, x2, Voice);

    let (live, events) = (day.state.bindings().count(), day.log.len());
    println!("\nSummary: {live} bindings live, {events} events produced.");
    assert_eq!(State::replay(config, &day.log), day.state);
    println!("Replayed the {events} events: the rebuilt state matches.");
}
