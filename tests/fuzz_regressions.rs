//! Replays the fuzz targets' inputs under plain `cargo test`: every crash input kept in
//! `fuzz/regressions/<target>/` and the minimised corpus in `fuzz/corpus/<target>/` run through
//! the same checks the targets run (the files in `fuzz/src/` are included here as they are), so a
//! bug the fuzzer once found stays fixed without cargo-fuzz or a nightly toolchain.
//!
//! To keep a new crash: copy `fuzz/artifacts/<target>/crash-…` into `fuzz/regressions/<target>/`
//! under a name saying what it found.

#[path = "../fuzz/src/c_abi.rs"]
mod c_abi;
// Shared with tests/crash.rs, which uses the rest of it.
#[allow(dead_code)]
#[path = "../fuzz/src/crash_check.rs"]
mod crash_check;
#[path = "../fuzz/src/crash_recover.rs"]
mod crash_recover;
#[path = "../fuzz/src/journal_decode.rs"]
mod journal_decode;
#[path = "../fuzz/src/number_parse.rs"]
mod number_parse;
#[path = "../fuzz/src/registry_ops.rs"]
mod registry_ops;

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The files under `fuzz/<kind>/<target>/`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, data)
        })
        .collect()
}

/// Runs `check` on every input of `fuzz/<kind>/<target>/`; fails naming every input that panics.
fn replay<T>(kind: &str, target: &str, check: impl Fn(&[u8]) -> T) -> Vec<T> {
    let inputs = inputs(kind, target);
    assert!(!inputs.is_empty(), "no inputs in fuzz/{kind}/{target}");
    let mut results = Vec::new();
    let mut failed = Vec::new();
    for (path, data) in &inputs {
        match catch_unwind(AssertUnwindSafe(|| check(data))) {
            Ok(r) => results.push(r),
            Err(_) => failed.push(path.display().to_string()),
        }
    }
    assert!(failed.is_empty(), "inputs that fail: {failed:#?}");
    results
}

/// The checksum `journal_decode` re-verifies records with is CRC-32C (its check value).
#[test]
fn journal_decode_checksum_is_crc32c() {
    assert_eq!(journal_decode::crc32c(b"123456789"), 0xE306_9283);
    assert_eq!(journal_decode::crc32c(b""), 0);
}

#[test]
fn journal_decode_corpus_passes_and_reaches_records_cuts_and_refusals() {
    let outcomes = replay("corpus", "journal_decode", journal_decode::check);
    let sum = |f: fn(&journal_decode::Outcome) -> u64| outcomes.iter().map(f).sum::<u64>();
    // A corpus that no longer reaches these would check little: keep it honest.
    assert!(sum(|o| o.records as u64) > 0, "no record accepted");
    assert!(sum(|o| o.stopped as u64) > 0, "no scan stopped at damage");
    assert!(sum(|o| o.snapshots as u64) > 0, "no snapshot read");
    assert!(sum(|o| o.recovered as u64) > 0, "no recovery succeeded");
    assert!(sum(|o| o.replayed) > 0, "no event replayed");
    assert!(sum(|o| o.cuts as u64) > 0, "no torn tail cut");
    assert!(
        sum(|o| o.corrupt as u64) > 0,
        "no recovery refused as corrupt"
    );
}

#[test]
fn crash_recover_corpus_passes_and_reaches_cuts_snapshots_and_lost_power() {
    let stats = replay("corpus", "crash_recover", crash_recover::run);
    let sum = |f: fn(&crash_check::Stats) -> u64| stats.iter().map(f).sum::<u64>();
    assert!(sum(|s| s.recoveries) > 0, "no recovery");
    assert!(
        sum(|s| s.interrupted) > 0,
        "no recovery cut short by a power loss"
    );
    assert!(sum(|s| s.from_snapshot) > 0, "no recovery from a snapshot");
    assert!(sum(|s| s.cuts) > 0, "no torn tail cut");
    assert!(sum(|s| s.removals) > 0, "no leftover removed");
    assert!(
        sum(|s| s.beyond_acked) > 0,
        "no unacknowledged write recovered"
    );
    assert!(
        sum(|s| s.io_errors) > 0,
        "no write failed by the power loss"
    );
    assert!(sum(|s| s.routed) > 0, "no call routed after a recovery");
}

#[test]
fn number_parse_regressions_pass() {
    replay("regressions", "number_parse", number_parse::check);
}

#[test]
fn number_parse_corpus_passes_and_reaches_every_kind_of_number() {
    let results = replay("corpus", "number_parse", number_parse::check);
    // A corpus that no longer reaches the accepting paths would check little: keep it honest.
    assert!(results.iter().any(|a| a.usage), "no usage number");
    assert!(results.iter().any(|a| a.management), "no management number");
    assert!(results.iter().any(|a| a.incomplete), "no partial number");
    assert!(results.iter().any(|a| a.subscriber), "no subscriber number");
}

#[test]
fn registry_ops_regressions_pass() {
    replay("regressions", "registry_ops", registry_ops::run);
}

#[test]
fn registry_ops_corpus_passes_and_reaches_growth_routes_and_quarantine() {
    let stats = replay("corpus", "registry_ops", registry_ops::run);
    let sum = |f: fn(&registry_ops::Stats) -> u64| stats.iter().map(f).sum::<u64>();
    assert!(sum(|s| s.accepted as u64) > 0, "no command accepted");
    assert!(sum(|s| s.refused as u64) > 0, "no command refused");
    assert!(sum(|s| s.bound as u64) > 0, "no binding made");
    assert!(sum(|s| s.routed as u64) > 0, "no call routed");
    assert!(
        sum(|s| s.announced as u64) > 0,
        "no quarantine announcement"
    );
    // The index starts tiny: growing it and flipping readers is part of what is checked.
    assert!(sum(|s| s.flips) > 0, "the index never grew after the setup");
    assert!(
        stats.iter().any(|s| s.shared),
        "no run with a shared mapping"
    );
    assert!(stats.iter().any(|s| !s.shared), "no run on the heap");
    assert!(
        stats.iter().any(|s| s.shared && s.restarts > 0),
        "no writer restart under a shared reader"
    );
}

#[test]
fn c_abi_regressions_pass() {
    let stats = replay("regressions", "c_abi", c_abi::run);
    // The edge input fills the handle table (too rare for the corpus to keep reaching it).
    assert!(
        stats
            .iter()
            .any(|s| s.statuses.contains(&np700::ffi::NP700_ERR_TOO_MANY_HANDLES)),
        "the handle table never filled up"
    );
}

#[test]
fn c_abi_corpus_passes_and_reaches_binds_routes_stale_handles_and_bad_input() {
    let stats = replay("corpus", "c_abi", c_abi::run);
    let sum = |f: fn(&c_abi::Stats) -> usize| stats.iter().map(f).sum::<usize>();
    assert!(sum(|s| s.bound) > 0, "no binding made");
    assert!(sum(|s| s.routed) > 0, "no call routed");
    assert!(sum(|s| s.reader_routed) > 0, "no call routed by a reader");
    // Routes through several bindings, of several modes, and every kind of decision.
    let bindings: usize = stats.iter().map(|s| s.routed_bindings.len()).sum();
    assert!(
        bindings >= 10,
        "calls routed through {bindings} bindings only"
    );
    let modes: BTreeSet<u32> = stats.iter().flat_map(|s| s.routed_modes.clone()).collect();
    assert!(
        modes.len() >= 3,
        "calls routed through modes {modes:?} only"
    );
    let kinds: BTreeSet<u32> = stats.iter().flat_map(|s| s.decisions.clone()).collect();
    assert_eq!(kinds.len(), 4, "decision kinds reached: {kinds:?}");
    // Handles: stale ones, freed twice, made up or of another type.
    assert!(sum(|s| s.stale_handles) > 0, "no stale handle");
    assert!(sum(|s| s.double_frees) > 0, "no handle freed twice");
    assert!(sum(|s| s.foreign_handles) > 0, "no made-up handle");
    // Every status about the arguments, and refusals (tenants' own among them).
    let statuses: BTreeSet<i32> = stats.iter().flat_map(|s| s.statuses.clone()).collect();
    use np700::ffi::*;
    for st in [
        NP700_ERR_NULL,
        NP700_ERR_INVALID_HANDLE,
        NP700_ERR_INVALID_UTF8,
        NP700_ERR_TOO_LONG,
        NP700_ERR_BAD_NUMBER,
        NP700_ERR_BAD_TAG,
        NP700_ERR_BAD_ENUM,
        NP700_ERR_OUT_OF_RANGE,
        NP700_ERR_BUFFER_TOO_SMALL,
        NP700_ERR_UNKNOWN_TENANT,
        NP700_ERR_CROSS_TENANT,
        NP700_ERR_HELD_BY_ANOTHER_TENANT,
        NP700_ERR_NOT_HELD,
    ] {
        assert!(statuses.contains(&st), "status {st} never returned");
    }
}

#[test]
fn c_abi_controls_regressions_pass_and_reach_each_control() {
    let stats = replay("regressions", "c_abi_controls", c_abi::controls::run);
    // The scenarios are written by hand (fuzz/scenarios/c_abi_controls.py): each pins a control
    // whatever the corpus becomes.
    let sum =
        |f: fn(&c_abi::controls::CtlStats) -> usize| stats.iter().map(|s| f(&s.1)).sum::<usize>();
    assert!(sum(|s| s.lifts_not_owned) >= 3, "lifts of another's rule");
    assert!(sum(|s| s.lifts) >= 3, "lifts");
    assert!(
        sum(|s| s.auto_rules) > 0,
        "no probing block journaled as a rule"
    );
    assert!(
        sum(|s| s.routed_exactly) > 0,
        "no route predicted exactly under limits"
    );
    assert!(
        sum(|s| s.records_compared) > 0,
        "no drained record compared"
    );
    assert!(sum(|s| s.follower_routes) > 0, "no follower route");
    assert!(
        stats.iter().map(|s| s.1.dropped).sum::<u64>() > 0,
        "no record dropped"
    );
    let rejects: BTreeSet<u32> = stats.iter().flat_map(|s| s.1.rejects.clone()).collect();
    use np700::ffi::*;
    for r in [
        NP700_REJECT_BLOCKED,
        NP700_REJECT_AUTO_BLOCKED,
        NP700_REJECT_RATE_LIMITED,
        NP700_REJECT_COMMERCIAL_SENDER,
        NP700_REJECT_VERIFICATION_CODE,
        NP700_REJECT_USER_NOT_REPORTED,
    ] {
        assert!(rejects.contains(&r), "reject reason {r} never decided");
    }
}

#[test]
fn c_abi_controls_corpus_passes_and_reaches_every_control() {
    let stats = replay("corpus", "c_abi_controls", c_abi::controls::run);
    let sum =
        |f: fn(&c_abi::controls::CtlStats) -> usize| stats.iter().map(|s| f(&s.1)).sum::<usize>();
    // A corpus that no longer reaches these would check little: keep it honest.
    assert!(sum(|s| s.blocks) > 0, "no block rule made");
    assert!(sum(|s| s.lifts) > 0, "no block rule lifted");
    assert!(
        sum(|s| s.lifts_not_owned) > 0,
        "no lift of another's rule refused"
    );
    assert!(
        sum(|s| s.auto_rules) > 0,
        "no probing block journaled as a rule"
    );
    assert!(
        sum(|s| s.routed_exactly) > 0,
        "no route predicted exactly under limits"
    );
    assert!(
        sum(|s| s.records_compared) > 0,
        "no drained record compared"
    );
    assert!(sum(|s| s.follower_routes) > 0, "no follower route");
    assert!(sum(|s| s.polls) > 0, "no follower poll");
    assert!(sum(|s| s.reader_messages) > 0, "no SMS through a reader");
    assert!(sum(|s| s.archived) > 0, "no record archived");
    assert!(sum(|s| s.reports) > 0, "no report");
    assert!(sum(|s| s.history_live) > 0, "no live history answered");
    assert!(sum(|s| s.calls_ended) > 0, "no call end recorded");
    assert!(
        stats.iter().map(|s| s.1.dropped).sum::<u64>() > 0,
        "no record dropped"
    );
    // Every refusal the controls give, by some router.
    let rejects: BTreeSet<u32> = stats.iter().flat_map(|s| s.1.rejects.clone()).collect();
    use np700::ffi::*;
    for r in [
        NP700_REJECT_BLOCKED,
        NP700_REJECT_AUTO_BLOCKED,
        NP700_REJECT_RATE_LIMITED,
        NP700_REJECT_COMMERCIAL_SENDER,
        NP700_REJECT_VERIFICATION_CODE,
        NP700_REJECT_USER_NOT_REPORTED,
    ] {
        assert!(rejects.contains(&r), "reject reason {r} never decided");
    }
    let statuses: BTreeSet<i32> = stats.iter().flat_map(|s| s.1.statuses.clone()).collect();
    for st in [
        NP700_ERR_NULL,
        NP700_ERR_INVALID_HANDLE,
        NP700_ERR_TOO_LONG,
        NP700_ERR_BAD_NUMBER,
        NP700_ERR_BAD_ENUM,
        NP700_ERR_OUT_OF_RANGE,
        NP700_ERR_BUFFER_TOO_SMALL,
        NP700_ERR_UNKNOWN_TENANT,
        NP700_ERR_UNKNOWN_BLOCK_RULE,
        NP700_ERR_BLOCK_RULE_NOT_OWNED,
        NP700_ERR_INVALID_BLOCK_REQUEST,
        NP700_ERR_EXPIRY_NOT_IN_FUTURE,
        NP700_ERR_UNKNOWN_BINDING,
        NP700_ERR_IO,
    ] {
        assert!(
            statuses.contains(&st),
            "status {st} never returned by a control"
        );
    }
}
