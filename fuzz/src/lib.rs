//! The checks behind np700's fuzz targets. Each module is one target's whole logic: it panics on
//! any violated property. The `fuzz_targets/` binaries only hand it libFuzzer's bytes, and the
//! main crate's `tests/fuzz_regressions.rs` includes the same files, so every input kept under
//! `regressions/` or `corpus/` is replayed by plain `cargo test`.

pub mod c_abi;
pub mod crash_check;
pub mod crash_recover;
pub mod journal_decode;
pub mod number_parse;
pub mod registry_ops;
