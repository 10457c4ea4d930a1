//! What falls due at a time (binding expiries, quarantine ends): one hash set per second.
//!
//! A `BTreeSet<(time, key)>` of millions costs a descent through a tree of tuples for each write;
//! here a write finds its second (few distinct ones, often the newest) and makes one hash probe.
#![forbid(unsafe_code)]

use crate::time::Timestamp;
use rustc_hash::FxBuildHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hash};

/// Items by the time they fall due.
#[derive(Clone)]
pub(crate) struct DueSets<T: Eq + Hash, S: BuildHasher = FxBuildHasher> {
    by_time: BTreeMap<Timestamp, HashSet<T, S>>,
}

impl<T: Eq + Hash, S: BuildHasher> Default for DueSets<T, S> {
    fn default() -> Self {
        DueSets {
            by_time: BTreeMap::new(),
        }
    }
}

impl<T: Eq + Hash, S: BuildHasher> PartialEq for DueSets<T, S> {
    fn eq(&self, other: &Self) -> bool {
        self.by_time == other.by_time
    }
}

impl<T: Eq + Hash, S: BuildHasher> Eq for DueSets<T, S> {}

impl<T: Eq + Hash + fmt::Debug, S: BuildHasher> fmt::Debug for DueSets<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(&self.by_time).finish()
    }
}

impl<T: Copy + Eq + Hash + Ord, S: BuildHasher + Default> DueSets<T, S> {
    /// Adds `item`, due at `t`.
    pub(crate) fn insert(&mut self, t: Timestamp, item: T) {
        self.by_time.entry(t).or_default().insert(item);
    }

    /// Removes `item`, due at `t`.
    pub(crate) fn remove(&mut self, t: Timestamp, item: &T) {
        if let Some(set) = self.by_time.get_mut(&t) {
            set.remove(item);
            if set.is_empty() {
                self.by_time.remove(&t);
            }
        }
    }

    /// Items from `items`, each due at its time (a bulk load: the sets are built with their
    /// final size instead of growing by rehashing).
    pub(crate) fn from_items(items: Vec<(Timestamp, T)>) -> Self {
        let mut counts: HashMap<Timestamp, usize, FxBuildHasher> = HashMap::default();
        for (t, _) in &items {
            *counts.entry(*t).or_default() += 1;
        }
        let mut by_time: HashMap<Timestamp, HashSet<T, S>, FxBuildHasher> =
            HashMap::with_capacity_and_hasher(counts.len(), FxBuildHasher);
        for (t, item) in items {
            by_time
                .entry(t)
                .or_insert_with(|| HashSet::with_capacity_and_hasher(counts[&t], S::default()))
                .insert(item);
        }
        DueSets {
            by_time: by_time.into_iter().collect(),
        }
    }

    /// The earliest time anything falls due.
    pub(crate) fn first_time(&self) -> Option<Timestamp> {
        self.by_time.keys().next().copied()
    }

    /// Everything due by `at`, in (time, item) order.
    pub(crate) fn due_by(&self, at: Timestamp) -> Vec<(Timestamp, T)> {
        let mut due = Vec::new();
        for (t, set) in self.by_time.range(..=at) {
            let from = due.len();
            due.extend(set.iter().map(|item| (*t, *item)));
            due[from..].sort_unstable();
        }
        due
    }

    /// Removes and returns everything due by `at`, in (time, item) order.
    pub(crate) fn take_due(&mut self, at: Timestamp) -> Vec<(Timestamp, T)> {
        let due = self.due_by(at);
        while self.first_time().is_some_and(|t| t <= at) {
            self.by_time.pop_first();
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn behaves_like_a_btreeset_of_pairs() {
        let t = Timestamp::from_unix_secs;
        let mut sets = DueSets::<u64, super::super::blocks::Nearby>::default();
        let mut model = BTreeSet::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let (at, item) = (t(seed % 20), (seed >> 8) % 30);
            match seed >> 61 {
                0..=3 => {
                    sets.insert(at, item);
                    model.insert((at, item));
                }
                4..=6 => {
                    sets.remove(at, &item);
                    model.remove(&(at, item));
                }
                _ => {
                    let want: Vec<_> = model.iter().copied().filter(|(d, _)| *d <= at).collect();
                    assert_eq!(sets.due_by(at), want);
                    if seed & 1 == 0 {
                        assert_eq!(sets.take_due(at), want);
                        model.retain(|(d, _)| *d > at);
                    }
                }
            }
            assert_eq!(sets.first_time(), model.first().map(|(d, _)| *d));
        }
    }
}
