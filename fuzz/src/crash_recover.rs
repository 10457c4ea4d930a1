//! `crash_recover`: bytes → a run of the crash checker (`crash_check`, shared with
//! `tests/crash.rs`): the journal options, the number of lives and of crash fates per life, and
//! then every choice of each life — its power-off point, its commands and snapshots, the seeds
//! of its crash fates — come from the bytes (all zero once they run out). Every recovery is
//! checked against the reference and the plain model; a violation panics with its description.

use crate::crash_check::{self, Choose, Stats};
use arbitrary::{Arbitrary, Unstructured};

/// The fuzzer's bytes as choices.
struct Bytes<'a>(Unstructured<'a>);

impl Choose for Bytes<'_> {
    fn below(&mut self, n: u32) -> u32 {
        self.0.int_in_range(0..=n.max(1) - 1).unwrap_or(0)
    }
    fn seed(&mut self) -> u64 {
        u64::arbitrary(&mut self.0).unwrap_or(0)
    }
}

/// Decodes `data` into a run and checks it; panics on a violation. Returns what the checks went
/// through.
pub fn run(data: &[u8]) -> Stats {
    let mut ch = Bytes(Unstructured::new(data));
    let options = crash_check::random_options(&mut ch);
    let lives = 1 + ch.below(8);
    let fates = 1 + ch.below(3);
    crash_check::run(options.clone(), lives, fates, &mut ch)
        .unwrap_or_else(|e| panic!("{options:?}: {e}"))
}
