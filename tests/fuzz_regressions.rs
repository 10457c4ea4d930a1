//! Replays the fuzz targets' inputs under plain `cargo test`: every crash input kept in
//! `fuzz/regressions/<target>/` and the minimised corpus in `fuzz/corpus/<target>/` run through
//! the same checks the targets run (the files in `fuzz/src/` are included here as they are), so a
//! bug the fuzzer once found stays fixed without cargo-fuzz or a nightly toolchain.
//!
//! To keep a new crash: copy `fuzz/artifacts/<target>/crash-…` into `fuzz/regressions/<target>/`
//! under a name saying what it found.

#[path = "../fuzz/src/number_parse.rs"]
mod number_parse;
#[path = "../fuzz/src/registry_ops.rs"]
mod registry_ops;

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
