//! # np700
//!
//! The 700 privacy-number segment, in-process: which tenant owns which 700 number (never mixing
//! tenants), every binding from creation to expiry and quarantine, and the answer to "this caller
//! dialled this 700 number: where does it go?" for every call and SMS.
//!
//! ## Contents
//!
//! - [`number`]: management numbers (11 digits), usage numbers (15 digits), subscriber numbers,
//!   and dial strings as switches see them.
//! - [`tenant`]: the business users that hold numbers, their status and credit record.
//! - [`pool`]: licensed blocks, exclusive assignment to tenants, number quarantine, selection.
//! - [`binding`]: the AXB, AXN, AXYB and GXB modes, policies, lifecycle.
//! - [`command`] and [`event`]: what may be asked, and the only way state changes.
//! - [`State`]: validates commands into events, applies events, and routes.
//! - [`route`]: route decisions and the reasons a switch maps to SIP statuses.
//! - [`Registry`]: the thread-safe façade with the lock-free routing [`index`].
//! - [`control`]: the regulatory controls applied in every route — block lists, SMS rules,
//!   real-user reports, frequency limits and probing detection (counters every router shares) —
//!   and the record of every route decision, drained by the host.
//! - [`journal`]: durability — the journal of events, snapshots, recovery
//!   ([`Registry::open`]); its module docs state the durability contract — and replicas
//!   ([`journal::follow::Follower`]: a read-only copy that follows a writer's journal, or events
//!   carried by any transport, and routes).
//! - [`archive`]: route records, call records and binding history kept for the retention
//!   horizon (one checksummed file per Beijing day beside the journal), and the history query
//!   ([`Registry::history`]).
//! - [`report`]: the per-tenant and platform report for the regulator, as JSON
//!   (`docs/REPORTS.md` documents every field).
//! - [`handover`]: export of a tenant's or the platform's live bindings and quarantines, import
//!   into another registry with identical routing, and migration of legacy middle-number
//!   bindings onto 700 numbers.
//! - [`ffi`]: the C ABI (`include/np700.h`).
//!
//! ## The shape of a write
//!
//! ```
//! use np700::{Command, Config, State, Timestamp};
//!
//! let mut state = State::new(Config::default());
//! let now = Timestamp::from_unix_secs(1_767_225_600);
//! let events = state.execute(
//!     &Command::RegisterTenant { name: "Swift Delivery".into(), scenarios: vec![], pair_cap: None },
//!     now,
//! ).unwrap();
//! // The same events rebuild the same state.
//! assert_eq!(State::replay(Config::default(), &events), state);
//! ```
//!
//! The core is pure: no I/O, no clock (time is an argument), no threads, no `unsafe`.
#![deny(missing_docs)]
// `unsafe` is allowed only in the shared mapping and the C ABI (`ffi`); every other module
// forbids it.
#![deny(unsafe_code)]

pub mod archive;
pub mod binding;
pub mod command;
pub mod config;
pub mod control;
pub mod error;
pub mod event;
pub mod ffi;
pub mod handover;
pub mod index;
pub mod journal;
pub mod number;
pub mod pool;
pub mod registry;
pub mod report;
pub mod route;
mod small;
pub mod state;
mod sync;
pub mod tenant;
pub mod time;

pub use binding::{Binding, BindingId, Media, Mode, Parties, Policy};
pub use command::{BindRequest, Command, Counterpart};
pub use config::Config;
pub use error::{Conflict, Error};
pub use event::Event;
pub use number::{DialedNumber, ManagementNumber, SubscriberNumber, UsageNumber};
pub use pool::{LicensedBlock, NumberChoice, Selection, Tag, TagMatch};
pub use registry::Registry;
pub use route::{AnnounceReason, Decision, RejectReason, Route};
pub use state::State;
pub use tenant::{Tenant, TenantId, TenantStatus};
pub use time::Timestamp;

/// The README's examples, compiled and run as doctests so the README stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
