//! A small map keyed by [`Party`], as a sorted vector: a usage number has a handful of entries,
//! and a `BTreeMap` would cost a 300-byte node for each of millions of numbers.
#![forbid(unsafe_code)]

use crate::binding::Party;
use serde::{Deserialize, Serialize};

/// Entries of one usage number, sorted by party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMap<V>(Vec<(Party, V)>);

impl<V> Default for EntryMap<V> {
    fn default() -> Self {
        EntryMap(Vec::new())
    }
}

impl<V> EntryMap<V> {
    fn position(&self, p: &Party) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(p))
    }

    /// The value for `p`.
    pub fn get(&self, p: &Party) -> Option<&V> {
        self.position(p).ok().map(|i| &self.0[i].1)
    }

    /// Whether `p` has a value.
    pub fn contains_key(&self, p: &Party) -> bool {
        self.position(p).is_ok()
    }

    /// Sets the value for `p`, returning the previous one.
    pub fn insert(&mut self, p: Party, v: V) -> Option<V> {
        match self.position(&p) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, v)),
            Err(i) => {
                self.0.insert(i, (p, v));
                None
            }
        }
    }

    /// Removes the value for `p`.
    pub fn remove(&mut self, p: &Party) -> Option<V> {
        let i = self.position(p).ok()?;
        let (_, v) = self.0.remove(i);
        if self.0.is_empty() {
            self.0 = Vec::new(); // give the allocation back
        }
        Some(v)
    }

    /// The parties, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Party> + '_ {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values, in party order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.0.iter().map(|(_, v)| v)
    }

    /// (party, value) pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Party, &V)> + '_ {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
