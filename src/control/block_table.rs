//! Placeholder until the block table lands (branch `blocks`).
#![forbid(unsafe_code)]

/// The routers' table of block rules.
pub(crate) struct BlockTable;

impl BlockTable {
    /// Words for `rules` rules.
    pub(crate) fn words(rules: usize) -> usize {
        rules * 4
    }
}
