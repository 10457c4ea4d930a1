//! A sorted set that keeps a few elements inline: a write touches a handful of keys, and a
//! `BTreeSet` (or a `Vec`) would allocate for every one of them.
#![forbid(unsafe_code)]

/// Up to `N` elements live inline; more spill to a vector. Always sorted and deduplicated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SmallSet<T, const N: usize> {
    repr: Repr<T, N>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Repr<T, const N: usize> {
    #[default]
    Empty,
    // Slots past `len` repeat an element only to fill the array (no `Default` needed).
    Inline(u8, [T; N]),
    Heap(Vec<T>),
}

impl<T, const N: usize> Default for SmallSet<T, N> {
    fn default() -> Self {
        SmallSet { repr: Repr::Empty }
    }
}

impl<T: Copy + Ord, const N: usize> SmallSet<T, N> {
    /// The elements, in order.
    pub(crate) fn as_slice(&self) -> &[T] {
        match &self.repr {
            Repr::Empty => &[],
            Repr::Inline(len, items) => &items[..usize::from(*len)],
            Repr::Heap(v) => v,
        }
    }

    /// The elements, in order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// How many elements.
    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are none.
    #[allow(dead_code)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `item`; returns whether it was new.
    pub(crate) fn insert(&mut self, item: T) -> bool {
        const { assert!(N > 0 && N <= u8::MAX as usize) };
        // Keys mostly come in order: start a set, or append to it, without searching.
        match &mut self.repr {
            Repr::Empty => {
                self.repr = Repr::Inline(1, [item; N]);
                return true;
            }
            Repr::Inline(len, items)
                if usize::from(*len) < N && items[usize::from(*len) - 1] < item =>
            {
                items[usize::from(*len)] = item;
                *len += 1;
                return true;
            }
            _ => {}
        }
        let Err(at) = self.as_slice().binary_search(&item) else {
            return false;
        };
        match &mut self.repr {
            Repr::Empty => self.repr = Repr::Inline(1, [item; N]),
            Repr::Inline(len, items) if usize::from(*len) < N => {
                items.copy_within(at..usize::from(*len), at + 1);
                items[at] = item;
                *len += 1;
            }
            Repr::Inline(_, items) => {
                let mut v = Vec::with_capacity(2 * N);
                v.extend_from_slice(items);
                v.insert(at, item);
                self.repr = Repr::Heap(v);
            }
            Repr::Heap(v) => v.insert(at, item),
        }
        true
    }
}

impl<T: Copy + Ord, const N: usize> Extend<T> for SmallSet<T, N> {
    /// Adds many elements, sorting once (for bulk sets such as a whole index build).
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        let mut v = match std::mem::take(&mut self.repr) {
            Repr::Heap(v) => v,
            other => SmallSet { repr: other }.as_slice().to_vec(),
        };
        v.extend(items);
        v.sort_unstable();
        v.dedup();
        self.repr = match v.first() {
            None => Repr::Empty,
            Some(first) if v.len() <= N => {
                let mut items = [*first; N];
                items[..v.len()].copy_from_slice(&v);
                Repr::Inline(v.len() as u8, items)
            }
            Some(_) => Repr::Heap(v),
        };
    }
}

impl<'a, T: Copy + Ord, const N: usize> IntoIterator for &'a SmallSet<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::SmallSet;
    use std::collections::BTreeSet;

    #[test]
    fn behaves_like_a_btreeset() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for round in 0..200 {
            let mut s = SmallSet::<u32, 3>::default();
            let mut model = BTreeSet::new();
            for _ in 0..(round % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let x = (seed % 10) as u32;
                if seed.is_multiple_of(5) {
                    let more = [x, x + 3, x / 2];
                    s.extend(more);
                    model.extend(more);
                } else {
                    assert_eq!(s.insert(x), model.insert(x));
                }
                assert_eq!(s.as_slice(), model.iter().copied().collect::<Vec<_>>());
                assert_eq!(s.len(), model.len());
            }
        }
    }
}
