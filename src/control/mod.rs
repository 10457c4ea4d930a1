//! Regulatory controls: what the pilot notice makes the platform enforce on every call and SMS.
//!
//! - **Static controls** are state: block lists, SMS rules, tenant standing and real-user reports.
//!   [`crate::State::route`] and the lock-free index apply them alike, in the same order, so
//!   their answers stay equal.
//! - **Dynamic controls** count: frequency limits and probing detection. Their counters are
//!   atomics that every router updates (threads of the writer process, and reader processes on
//!   the shared mapping), so a limit holds across all of a switch's workers.
//! - **Records**: every route decision yields a compact [`record::RouteRecord`] in a bounded
//!   lock-free queue that the host drains; a full queue drops (and counts) instead of blocking.
//!
//! Routers share one [`Region`] of memory for what the controls need at route time: the block
//! table, the counters, the automatic-block marks and the record queues — on the heap, or in a
//! file beside the shared index (`<index>.ctl`) that reader processes map read-write. The order
//! in which a route applies everything is written once, in the `gate` module:
//!
//! 1. parse; an SMS from a commercial port or with a verification code is refused;
//! 2. a caller blocked platform-wide (by hand, or automatically for probing) is refused before
//!    anything is looked up;
//! 3. probing and the per-caller and per-usage-number limits count the request;
//! 4. the lookup: tenant standing, the binding's status, real-user reports, the policy;
//! 5. block rules of the platform, the tenant or the binding on the route found; then the
//!    per-binding limits;
//! 6. the record.
//!
//! [`crate::State::route`] applies steps 1, 2, 4 and 5 (the static ones) in the same order.
#![forbid(unsafe_code)]

pub mod block;
pub mod block_table;
mod counter;
pub(crate) mod gate;
pub mod limits;
pub mod real_user;
pub mod record;
pub mod region;
pub(crate) mod ring;
pub mod sms;

pub use limits::{Controls, Probing, RateLimit, Subject};
pub use region::{Region, RegionError};
