//! A provisioning writer: owns a journaled registry, publishes its index in a shared mapping
//! for a switch's worker processes, and takes provisioning commands on stdin, one per line.
//! The end-to-end test (Kamailio routing sipp calls through the shared index) drives it.
//!
//! ```text
//! cargo run --release --example provision -- --journal DIR --shared PATH [--capacity N]
//! ```
//!
//! `DIR` is created if missing and recovered if it holds a journal; `PATH` (e.g.
//! `/dev/shm/np700-e2e`) gets the index, and `PATH.ctl` the control region readers count into.
//! `--capacity` sizes the index in bindings (default 100000; it grows beyond). Once open it
//! prints `ready generation=<g> bindings=<n> tenants=<t> seq=<last journal seq>`.
//!
//! # Protocol
//!
//! Every command gets exactly one line, flushed at once: `ok` with optional ` key=value` pairs,
//! or `err <message>` — an np700 error's text, or `usage: <syntax>` for a malformed line. Blank
//! lines and `#` comments get none. A refused command changes nothing. Ids are np700's decimal
//! ids; tenant `0` in `block`/`lift` is the platform operator. Numbers are read as np700 parses
//! them (subscribers: `13812345678`, `+86…`; usage numbers: 15 digits). Time is the system
//! clock, read per command.
//!
//! ```text
//! tenant <name…>                                            ok tenant=<id>
//! license <management-number> <count>                       ok
//! assign <tenant> <management-number>                       ok
//! bind axb  <tenant> <a> <x> <b> <ttl-secs> [media=M]        ok binding=<id>
//! bind axn  <tenant> <a> <x> <n|-> <ttl-secs> [media=M]      ok binding=<id>
//! bind axyb <tenant> <a> <x> <y> <b> <ttl-secs> [media=M]    ok binding=<id>
//! bind gxb  <tenant> <a1,a2,…> <x> <b> <ttl-secs> [media=M]  ok binding=<id>
//! update <tenant> <binding> [b=<number>] [ttl=<secs>] [media=M]   ok
//! suspend|resume|unbind <tenant> <binding>                  ok
//! block <tenant|0> <caller> [<callee>]                      ok block=<id>
//! lift <tenant|0> <block-id>                                ok
//! sweep                                                     ok events=<n>
//! records                                 ok drained=<n> routed=<n> refused=<n> dropped=<n>
//! stats          ok tenants=<n> bindings=<n> suspended=<n> blocks=<n> generation=<g>
//! quit                                                      ok   (then exit 0; EOF too)
//! ```
//!
//! `M` is `voice`, `sms` or `both` (default: the default policy, both). `bind` gives X and Y
//! explicitly and sets order id `e2e-<binding id>`, consent `consent`. In `update`, `b=` is the
//! new B of an AXB, AXYB or GXB binding and the new N of an AXN one (`b=-`: none); `ttl=`
//! counts from now; `media=` keeps the rest of the binding's policy. `block` makes a one-way
//! rule with no expiry, platform-wide for `0`, else on the tenant's bindings.
//!
//! Route records (from this process and every reader of the shared index) are drained every
//! 100 ms into the archive beside the journal; `records` drains once more, then reports the
//! totals since start: `routed` connected, `refused` everything else, `dropped` lost to a full
//! queue. Archive failures go to stderr (draining goes on without archiving).

use np700::binding::{BindingStatus, MediaSet, Mode};
use np700::control::block::{BlockId, BlockRequest, BlockTarget};
use np700::control::record::{Outcome, RouteRecord};
use np700::index::layout::Capacity;
use np700::number::NumberError;
use np700::registry::OpenOptions;
use np700::{
    BindRequest, BindingId, Command, Config, Counterpart, Error, Event, LicensedBlock,
    NumberChoice, Parties, Policy, Registry, TenantId, Timestamp, UsageNumber,
};
use std::io::{BufRead, Write};
use std::str::FromStr;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Each command's syntax, quoted in its `err usage: …`: the first whose leading lowercase
/// words are the command's.
const SYNTAX: [&str; 18] = [
    "tenant <name>",
    "license <management-number> <count>",
    "assign <tenant> <management-number>",
    "bind axb <tenant> <a> <x> <b> <ttl-secs> [media=voice|sms|both]",
    "bind axn <tenant> <a> <x> <n|-> <ttl-secs> [media=voice|sms|both]",
    "bind axyb <tenant> <a> <x> <y> <b> <ttl-secs> [media=voice|sms|both]",
    "bind gxb <tenant> <a1,a2,...> <x> <b> <ttl-secs> [media=voice|sms|both]",
    "bind axb|axn|axyb|gxb <tenant> <parties...> <ttl-secs> [media=voice|sms|both]",
    "update <tenant> <binding> [b=<number>|b=-] [ttl=<secs>] [media=voice|sms|both]",
    "suspend <tenant> <binding>",
    "resume <tenant> <binding>",
    "unbind <tenant> <binding>",
    "block <tenant|0> <caller> [<callee>]",
    "lift <tenant|0> <block-id>",
    "sweep",
    "records",
    "stats",
    "quit",
];
const COMMANDS: &str =
    "tenant|license|assign|bind|update|suspend|resume|unbind|block|lift|sweep|records|stats|quit";

/// The syntax of the command `words` name, or the list of commands.
fn syntax(words: &[&str]) -> &'static str {
    let literal = |w: &&str| w.bytes().all(|b| b.is_ascii_lowercase());
    let given = words.iter().copied().chain(std::iter::repeat(""));
    let fits = |s: &&str| {
        s.split(' ')
            .take_while(literal)
            .zip(given.clone())
            .all(|(a, w)| a == w)
    };
    SYNTAX.into_iter().find(fits).unwrap_or(COMMANDS)
}

/// A command's answer: the ` key=value` pairs after `ok`, or the message after `err`.
type Reply = Result<String, String>;

fn now() -> Timestamp {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH);
    Timestamp::from_unix_secs(secs.map_or(0, |d| d.as_secs()))
}

fn usage(syntax: &str) -> String {
    format!("usage: {syntax}")
}

/// A decimal count or id; anything else is a usage error.
fn int<T: FromStr>(s: &str, syntax: &str) -> Result<T, String> {
    s.parse().map_err(|_| usage(syntax))
}

/// A number, refused with np700's own error text (`malformed number: …`).
fn number<T: FromStr<Err = NumberError>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|e| Error::Number(e).to_string())
}

fn tenant(s: &str, syntax: &str) -> Result<TenantId, String> {
    int(s, syntax).map(TenantId::from_raw)
}

/// A tenant, or `None` (`0`) for the platform operator.
fn requester(s: &str, syntax: &str) -> Result<Option<TenantId>, String> {
    Ok(Some(tenant(s, syntax)?).filter(|t| t.raw() != 0))
}

fn binding(s: &str, syntax: &str) -> Result<BindingId, String> {
    int(s, syntax).map(BindingId::from_raw)
}

/// The `key=value` options of `bind` and `update`.
#[derive(Default)]
struct Options<'a> {
    b: Option<&'a str>,
    ttl: Option<&'a str>,
    media: Option<MediaSet>,
}

/// Reads `words` as options among `allowed`, each at most once.
fn options<'a>(words: &[&'a str], allowed: &[&str], syntax: &str) -> Result<Options<'a>, String> {
    let mut o = Options::default();
    for w in words {
        let (b, ttl, media) = (o.b.is_some(), o.ttl.is_some(), o.media.is_some());
        match w.split_once('=').filter(|(k, _)| allowed.contains(k)) {
            Some(("b", v)) if !b => o.b = Some(v),
            Some(("ttl", v)) if !ttl => o.ttl = Some(v),
            Some(("media", "voice")) if !media => o.media = Some(MediaSet::VOICE_ONLY),
            Some(("media", "sms")) if !media => o.media = Some(MediaSet::SMS_ONLY),
            Some(("media", "both")) if !media => o.media = Some(MediaSet::ALL),
            _ => return Err(usage(syntax)),
        }
    }
    Ok(o)
}

/// ` tenant=<id>` or ` block=<id>`: what `events` made.
fn made(events: &[Event]) -> String {
    let id = events.iter().find_map(|e| match e {
        Event::TenantRegistered { tenant } => Some(format!(" tenant={}", tenant.id.raw())),
        Event::Blocked { rule } => Some(format!(" block={}", rule.id.raw())),
        _ => None,
    });
    id.unwrap_or_default()
}

/// The route records drained so far. One drainer, shared by the drain thread and `records`, so
/// the two never drain at once.
#[derive(Default)]
struct Drainer {
    buf: Vec<RouteRecord>,
    /// Off after an archive failure: records are then still drained and counted, not kept.
    archive: bool,
    drained: u64,
    routed: u64,
    refused: u64,
}

impl Drainer {
    /// Drains until the queues are empty.
    fn drain(&mut self, registry: &Registry) {
        loop {
            let n = if self.archive {
                match registry.archive_drained(&mut self.buf, now()) {
                    Ok(n) => n,
                    Err(e) => {
                        eprintln!("provision: cannot archive route records ({e}); not archiving");
                        self.archive = false;
                        continue;
                    }
                }
            } else {
                registry.drain_records(&mut self.buf)
            };
            let routed = self.buf[..n]
                .iter()
                .filter(|r| r.outcome == Outcome::Routed)
                .count();
            self.routed += routed as u64;
            self.refused += (n - routed) as u64;
            self.drained += n as u64;
            if n < self.buf.len() {
                return;
            }
        }
    }
}

struct Writer {
    registry: Arc<Registry>,
    drainer: Arc<Mutex<Drainer>>,
}

impl Writer {
    fn execute(&self, command: Command) -> Result<Vec<Event>, String> {
        self.registry
            .execute(&command, now())
            .map_err(|e| e.to_string())
    }

    /// Runs a command whose answer is a bare `ok`.
    fn simple(&self, command: Command) -> Reply {
        self.execute(command).map(|_| String::new())
    }

    /// `bind <mode> …`: the parties by mode, then `<ttl-secs> [media=…]`.
    fn bind(&self, words: &[&str], syntax: &str) -> Reply {
        let given = |s: &str| number::<UsageNumber>(s).map(NumberChoice::Given);
        let (t, parties, tail) = match words {
            ["axb", t, a, x, b, tail @ ..] => {
                let (a, x, b) = (number(a)?, given(x)?, number(b)?);
                (t, Parties::Axb { a, x, b }, tail)
            }
            ["axn", t, a, x, n, tail @ ..] => {
                let n = if *n == "-" { None } else { Some(number(n)?) };
                let (a, x) = (number(a)?, given(x)?);
                (t, Parties::Axn { a, x, n }, tail)
            }
            ["axyb", t, a, x, y, b, tail @ ..] => {
                let (a, x, y, b) = (number(a)?, given(x)?, given(y)?, number(b)?);
                (t, Parties::Axyb { a, x, y, b }, tail)
            }
            ["gxb", t, group, x, b, tail @ ..] => {
                let group = group.split(',').map(number).collect::<Result<_, _>>()?;
                let (x, b) = (given(x)?, number(b)?);
                (t, Parties::Gxb { group, x, b }, tail)
            }
            _ => return Err(usage(syntax)),
        };
        let [ttl, opts @ ..] = tail else {
            return Err(usage(syntax));
        };
        let (tenant, ttl) = (tenant(t, syntax)?, int(ttl, syntax)?);
        let media = options(opts, &["media"], syntax)?.media.unwrap_or_default();
        let policy = Policy {
            media,
            ..Policy::default()
        };
        // The order id names the binding it will be, unique across restarts.
        let next = self.registry.with_state(|s| s.next_binding_id().raw());
        let request = BindRequest {
            tenant,
            parties,
            expires_at: now().plus_secs(ttl),
            policy,
            order_id: format!("e2e-{next}"),
            consent_ref: "consent".into(),
            external_ref: String::new(),
        };
        let bound = self
            .registry
            .bind(request, now())
            .map_err(|e| e.to_string())?;
        Ok(format!(" binding={}", bound.id.raw()))
    }

    fn update(&self, t: &str, id: &str, opts: &[&str], syntax: &str) -> Reply {
        let (tenant, binding) = (tenant(t, syntax)?, binding(id, syntax)?);
        let opts = options(opts, &["b", "ttl", "media"], syntax)?;
        // `b=` means B or N by the binding's mode, and `media=` keeps the rest of its policy;
        // an unknown or foreign binding gets defaults here and np700's refusal below.
        let (mode, mut policy) = self.registry.with_state(|s| match s.binding(binding) {
            Some(b) => (b.parties.mode(), b.policy.clone()),
            None => (Mode::Axb, Policy::default()),
        });
        let counterpart = match (opts.b, mode) {
            (None, _) => None,
            (Some("-"), Mode::Axn) => Some(Counterpart::N(None)),
            (Some(n), Mode::Axn) => Some(Counterpart::N(Some(number(n)?))),
            (Some(b), _) => Some(Counterpart::B(number(b)?)),
        };
        let ttl = opts.ttl.map(|t| int(t, syntax)).transpose()?;
        let policy = opts.media.map(|m| {
            policy.media = m;
            policy
        });
        let expires_at = ttl.map(|t| now().plus_secs(t));
        self.simple(Command::Update {
            tenant,
            binding,
            counterpart,
            expires_at,
            policy,
        })
    }

    /// A caller block rule with no expiry: the platform's (`0`), or on a tenant's bindings.
    fn block(&self, t: &str, caller: &str, callee: Option<&str>, syntax: &str) -> Reply {
        let (caller, callee) = (number(caller)?, callee.map(number).transpose()?);
        let request = BlockRequest {
            tenant: requester(t, syntax)?,
            target: BlockTarget::Caller {
                caller,
                callee,
                both_ways: false,
            },
            expires_at: None,
            note: "e2e".into(),
        };
        self.execute(Command::Block(request))
            .map(|events| made(&events))
    }

    fn records(&self) -> Reply {
        let mut d = self.drainer.lock().unwrap_or_else(|p| p.into_inner());
        d.drain(&self.registry);
        let (n, routed, refused) = (d.drained, d.routed, d.refused);
        let dropped = self.registry.records_dropped();
        Ok(format!(
            " drained={n} routed={routed} refused={refused} dropped={dropped}"
        ))
    }

    fn stats(&self) -> Reply {
        let generation = self.registry.index().generation();
        Ok(self.registry.with_state(|s| {
            let (tenants, bindings, blocks) = (
                s.tenants().count(),
                s.bindings().count(),
                s.blocks().count(),
            );
            let suspended = s
                .bindings()
                .filter(|b| b.status == BindingStatus::Suspended);
            let suspended = suspended.count();
            format!(
                " tenants={tenants} bindings={bindings} suspended={suspended} blocks={blocks} \
                 generation={generation}"
            )
        }))
    }

    /// One command line, split into words, to its answer.
    fn handle(&self, words: &[&str]) -> Reply {
        let syntax = syntax(words);
        match words {
            ["tenant", name @ ..] if !name.is_empty() => {
                let name = name.join(" ");
                let (scenarios, pair_cap) = (vec![], None);
                let command = Command::RegisterTenant {
                    name,
                    scenarios,
                    pair_cap,
                };
                self.execute(command).map(|events| made(&events))
            }
            ["license", first, count] => {
                let (first, count) = (number(first)?, int(count, syntax)?);
                self.simple(Command::LicenseBlock(LicensedBlock { first, count }))
            }
            ["assign", t, m] => {
                let (tenant, number, tags) = (tenant(t, syntax)?, number(m)?, vec![]);
                self.simple(Command::AssignNumber {
                    tenant,
                    number,
                    tags,
                })
            }
            ["bind", rest @ ..] => self.bind(rest, syntax),
            ["update", t, id, opts @ ..] => self.update(t, id, opts, syntax),
            [c @ ("suspend" | "resume" | "unbind"), t, id] => {
                let (tenant, binding) = (tenant(t, syntax)?, binding(id, syntax)?);
                self.simple(match *c {
                    "suspend" => Command::Suspend { tenant, binding },
                    "resume" => Command::Resume { tenant, binding },
                    _ => Command::Unbind { tenant, binding },
                })
            }
            ["block", t, caller] => self.block(t, caller, None, syntax),
            ["block", t, caller, callee] => self.block(t, caller, Some(callee), syntax),
            ["lift", t, id] => {
                let tenant = requester(t, syntax)?;
                let block = BlockId::from_raw(int(id, syntax)?);
                self.simple(Command::LiftBlock { tenant, block })
            }
            ["sweep"] => {
                let events = self.execute(Command::Sweep)?;
                Ok(format!(" events={}", events.len()))
            }
            ["records"] => self.records(),
            ["stats"] => self.stats(),
            _ => Err(usage(syntax)),
        }
    }
}

/// `--journal DIR --shared PATH [--capacity N]`.
fn parse_args() -> Result<(String, String, usize), String> {
    let (mut journal, mut shared, mut capacity) = (None, None, 100_000);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--journal" => journal = Some(value),
            "--shared" => shared = Some(value),
            "--capacity" => capacity = value.parse().map_err(|_| "--capacity takes a count")?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    match (journal, shared) {
        (Some(journal), Some(shared)) => Ok((journal, shared, capacity)),
        _ => Err("--journal DIR and --shared PATH are required".into()),
    }
}

fn main() {
    let (journal, shared, capacity) = parse_args().unwrap_or_else(|e| {
        eprintln!("provision: {e}\nusage: provision --journal DIR --shared PATH [--capacity N]");
        std::process::exit(2);
    });
    let options = OpenOptions {
        capacity: Capacity::for_bindings(capacity),
        shared_index: Some(shared.into()),
        ..OpenOptions::default()
    };
    let (registry, recovery) =
        Registry::open(&journal, Config::default(), options).unwrap_or_else(|e| {
            eprintln!("provision: cannot open the registry in {journal}: {e}");
            std::process::exit(1);
        });
    let registry = Arc::new(registry);
    let drainer = Arc::new(Mutex::new(Drainer {
        buf: vec![RouteRecord::EMPTY; 4096],
        archive: recovery.archive.is_some(),
        ..Drainer::default()
    }));

    // Drains every 100 ms; once `stop` is dropped, drains a last time and ends.
    let (stop, stopped) = mpsc::channel::<()>();
    let drain_thread = {
        let (registry, drainer) = (Arc::clone(&registry), Arc::clone(&drainer));
        std::thread::spawn(move || {
            loop {
                let tick = stopped.recv_timeout(Duration::from_millis(100));
                drainer
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .drain(&registry);
                if tick != Err(RecvTimeoutError::Timeout) {
                    return;
                }
            }
        })
    };

    let (bindings, tenants) = registry.with_state(|s| (s.bindings().count(), s.tenants().count()));
    let (generation, seq) = (registry.index().generation(), recovery.last_seq);
    let writer = Writer { registry, drainer };
    let mut out = std::io::stdout().lock();
    let ready =
        format!("ready generation={generation} bindings={bindings} tenants={tenants} seq={seq}");
    // A reader that went away (broken pipe) ends the session like EOF.
    let mut alive = writeln!(out, "{ready}").and_then(|()| out.flush()).is_ok();
    let (mut input, mut line) = (std::io::stdin().lock(), Vec::new());
    while alive {
        line.clear();
        // Bytes, not `String` lines: invalid UTF-8 is a bad command, not the end of input.
        if !matches!(input.read_until(b'\n', &mut line), Ok(1..)) {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.first().is_none_or(|w| w.starts_with('#')) {
            continue;
        }
        let quit = words == ["quit"];
        let reply = if quit {
            Ok(String::new())
        } else {
            writer.handle(&words)
        };
        let answer = match reply {
            Ok(pairs) => format!("ok{pairs}"),
            // One line, whatever an error's text holds.
            Err(message) => format!("err {}", message.replace(['\r', '\n'], " ")),
        };
        alive = writeln!(out, "{answer}").and_then(|()| out.flush()).is_ok() && !quit;
    }
    drop(stop);
    let _ = drain_thread.join();
}
