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
#![forbid(unsafe_code)]

pub mod block;
pub mod block_table;
mod counter;
pub(crate) mod gate;
pub mod limits;
pub mod real_user;
pub mod record;
pub mod region;
mod ring;
pub mod sms;

pub use limits::{Controls, Probing, RateLimit, Subject};
pub use region::{Region, RegionError};
