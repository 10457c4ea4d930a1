//! The C ABI: every capability of the crate for C and C++ programs, declared in
//! `include/np700.h` (generated from this module by cbindgen).
//!
//! Rust programs use the crate's own API; this module is what the shared and static libraries
//! export. Its conventions (see the header's overview for the C programmer's view):
//!
//! - Every fallible function returns an [`np700_status`]: [`NP700_OK`] or a negative code in a
//!   stable group (`-1xx` arguments, `-2xx` refusals, `-3xx` resources, `-9xx` bugs). Outputs
//!   are written only on success; [`np700_last_error`] gives this thread's last message.
//! - Objects are opaque handles ([`np700_config`], [`np700_registry`], [`np700_reader`]): tokens
//!   into tables of live objects, checked on every use, so a stale or twice-freed handle is
//!   `NP700_ERR_INVALID_HANDLE` rather than memory corruption (see `handle`).
//! - Strings come in as `(const char *, size_t)` and are checked (NULL with a length, length,
//!   UTF-8) before any slice is made; results go into caller-owned structs with fixed-size
//!   arrays, so [`np700_route`] allocates nothing.
//! - Every export runs behind one boundary (`status::boundary`) that turns a panic into
//!   `NP700_ERR_PANIC`; the crate builds with `panic = "unwind"` for that reason.
//!
//! All `unsafe` of the crate but the shared mapping's lives here, each block with the promise
//! it relies on.
#![allow(unsafe_code)]
// C names are the contract; Rust naming conventions do not apply to them.
#![allow(non_camel_case_types)]

// One module per C object family, in the order the header presents them (cbindgen follows
// these declarations; blank lines keep rustfmt from sorting them).
mod status;

mod version;

mod args;

mod handle;

mod config;

mod registry;

mod journal;

mod binding;

mod route;

mod control;

mod regulatory;

mod archive;

mod reader;

mod follower;

mod handover;

pub use archive::*;
pub use args::{
    NP700_MAX_LIST_LEN, NP700_MAX_NUMBER_LEN, NP700_MAX_PATH_LEN, NP700_MAX_TABLE_LEN,
    NP700_TIME_MAX, NP700_TIME_NEVER, np700_str,
};
pub use binding::*;
pub use config::*;
pub use control::*;
pub use follower::*;
pub use handle::NP700_MAX_HANDLES;
pub use handover::*;
pub use journal::*;
pub use reader::*;
pub use registry::*;
pub use regulatory::*;
pub use route::*;
pub use status::*;
pub use version::*;
