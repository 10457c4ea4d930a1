//! A map for the state's large tables (usage numbers, bindings), split in blocks: a usage number
//! is (management number, sub-number), a binding id (id / 57,344, id mod 57,344).
//!
//! Each block stores its values by offset — a hash map for binding ids, a slot array for the
//! 10,000 sub-numbers of a management number — with a bitmap of its keys (iteration stays in key
//! order, and "the first free sub-number" is a bit scan). A lookup is one probe instead of a
//! B-tree descent of millions of keys, and blocks bound the cost of a rehash to 2¹⁶ entries: one
//! hash map of millions of entries would stall the writer for seconds each time it doubled.
#![forbid(unsafe_code)]

use crate::binding::BindingId;
use crate::number::{ManagementNumber, UsageNumber};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};

/// A key split into (block, offset in the block).
pub(crate) trait BlockKey: Copy + Ord + 'static {
    /// The block a key falls in.
    type Block: Copy + Ord + fmt::Debug + 'static;
    /// Offsets per block (all below this).
    const OFFSETS: usize;
    fn split(self) -> (Self::Block, u16);
    /// The key at `offset` of `block` (`offset` came from [`BlockKey::split`]).
    fn join(block: Self::Block, offset: u16) -> Option<Self>;
}

impl BlockKey for UsageNumber {
    type Block = ManagementNumber;
    const OFFSETS: usize = 10_000;
    fn split(self) -> (ManagementNumber, u16) {
        (self.management(), self.sub_number())
    }
    fn join(block: ManagementNumber, offset: u16) -> Option<Self> {
        block.usage(offset).ok()
    }
}

/// Binding ids per block: 7/8 of 2¹⁶. A hash map keeps at most 7/8 of its buckets in use, so
/// a full block fits 2¹⁶ buckets; with 2¹⁶ ids it would double to 2¹⁷ and stay half empty.
const IDS_PER_BLOCK: u64 = 57_344;

impl BlockKey for BindingId {
    type Block = u64;
    const OFFSETS: usize = IDS_PER_BLOCK as usize;
    fn split(self) -> (u64, u16) {
        (
            self.raw() / IDS_PER_BLOCK,
            (self.raw() % IDS_PER_BLOCK) as u16,
        )
    }
    fn join(block: u64, offset: u16) -> Option<Self> {
        let raw = block.checked_mul(IDS_PER_BLOCK)?;
        Some(BindingId::from_raw(raw.checked_add(u64::from(offset))?))
    }
}

/// Hashes integer keys so that consecutive ones land in neighbouring buckets: ids made one after
/// another (and often released soon after) share cache lines, instead of each write costing a
/// cache miss in a table of millions. Each run of 16 consecutive keys is placed at random (an odd
/// multiplier), and the top bits, which hashbrown compares first, still tell its keys apart.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Nearby;

impl BuildHasher for Nearby {
    type Hasher = NearbyHasher;
    fn build_hasher(&self) -> NearbyHasher {
        NearbyHasher(0)
    }
}

/// The hasher of [`Nearby`].
pub(crate) struct NearbyHasher(u64);

impl Hasher for NearbyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        let run = (n >> 4).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let low = n & 15;
        self.0 = self.0.rotate_left(26) ^ (run & !15 | low) ^ low << 59;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Where a block keeps its values, by offset.
pub(crate) trait Store<V> {
    fn new(offsets: usize) -> Self;
    fn get(&self, o: u16) -> Option<&V>;
    fn get_mut(&mut self, o: u16) -> Option<&mut V>;
    /// The value at `o`, made by `f` if there is none.
    fn get_or_insert_with(&mut self, o: u16, f: impl FnOnce() -> V) -> &mut V;
    fn insert(&mut self, o: u16, v: V) -> Option<V>;
    fn remove(&mut self, o: u16) -> Option<V>;
    fn len(&self) -> usize;
    /// Makes room for `additional` more values (bulk loading).
    fn reserve(&mut self, additional: usize);
    /// Gives back room reserved beyond twice the values held.
    fn trim(&mut self);
    /// The same offsets with equal values.
    fn same(&self, other: &Self) -> bool
    where
        V: PartialEq;
}

/// A hash map: memory follows the entries (binding ids, of which an old block may keep a few).
#[derive(Clone)]
pub(crate) struct Hashed<V>(HashMap<u16, V, Nearby>);

impl<V> Store<V> for Hashed<V> {
    fn new(_: usize) -> Self {
        Hashed(HashMap::default())
    }
    fn get(&self, o: u16) -> Option<&V> {
        self.0.get(&o)
    }
    fn get_mut(&mut self, o: u16) -> Option<&mut V> {
        self.0.get_mut(&o)
    }
    fn get_or_insert_with(&mut self, o: u16, f: impl FnOnce() -> V) -> &mut V {
        self.0.entry(o).or_insert_with(f)
    }
    fn insert(&mut self, o: u16, v: V) -> Option<V> {
        self.0.insert(o, v)
    }
    fn remove(&mut self, o: u16) -> Option<V> {
        let v = self.0.remove(&o)?;
        if self.0.capacity() > 64 && self.0.len() * 4 < self.0.capacity() {
            // Give memory back as a block drains (long-lived stragglers in an old id block).
            self.0.shrink_to(self.0.len() * 2);
        }
        Some(v)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn reserve(&mut self, additional: usize) {
        self.0.reserve(additional);
    }
    fn trim(&mut self) {
        if self.0.capacity() > 2 * self.0.len() {
            self.0.shrink_to_fit();
        }
    }
    fn same(&self, other: &Self) -> bool
    where
        V: PartialEq,
    {
        self.0 == other.0
    }
}

/// A slot per offset into a vector of values: a lookup is one array read, for 4 bytes per
/// possible offset (usage numbers: 40 KB per management number in use, as its index page).
#[derive(Clone)]
pub(crate) struct Dense<V> {
    slots: Box<[u32]>,
    values: Vec<(u16, V)>,
}

const NO_SLOT: u32 = u32::MAX;

impl<V> Store<V> for Dense<V> {
    fn new(offsets: usize) -> Self {
        Dense {
            slots: vec![NO_SLOT; offsets].into_boxed_slice(),
            values: Vec::new(),
        }
    }
    #[inline]
    fn get(&self, o: u16) -> Option<&V> {
        let i = *self.slots.get(usize::from(o))?;
        self.values.get(i as usize).map(|(_, v)| v)
    }
    fn get_mut(&mut self, o: u16) -> Option<&mut V> {
        let i = *self.slots.get(usize::from(o))?;
        self.values.get_mut(i as usize).map(|(_, v)| v)
    }
    fn get_or_insert_with(&mut self, o: u16, f: impl FnOnce() -> V) -> &mut V {
        if self.get(o).is_none() {
            self.insert(o, f());
        }
        let i = self.slots.get(usize::from(o)).map_or(NO_SLOT, |i| *i) as usize;
        &mut self.values[i].1
    }
    fn insert(&mut self, o: u16, v: V) -> Option<V> {
        let slot = self.slots.get_mut(usize::from(o))?;
        if let Some((_, old)) = self.values.get_mut(*slot as usize) {
            return Some(std::mem::replace(old, v));
        }
        *slot = self.values.len() as u32;
        self.values.push((o, v));
        None
    }
    fn remove(&mut self, o: u16) -> Option<V> {
        let slot = self.slots.get_mut(usize::from(o))?;
        let i = std::mem::replace(slot, NO_SLOT) as usize;
        if i >= self.values.len() {
            return None;
        }
        let (_, v) = self.values.swap_remove(i);
        if let Some((moved, _)) = self.values.get(i) {
            self.slots[usize::from(*moved)] = i as u32;
        }
        if self.values.capacity() > 64 && self.values.len() * 4 < self.values.capacity() {
            self.values.shrink_to(self.values.len() * 2);
        }
        Some(v)
    }
    fn len(&self) -> usize {
        self.values.len()
    }
    fn reserve(&mut self, additional: usize) {
        self.values.reserve(additional);
    }
    fn trim(&mut self) {
        if self.values.capacity() > 2 * self.values.len() {
            self.values.shrink_to_fit();
        }
    }
    fn same(&self, other: &Self) -> bool
    where
        V: PartialEq,
    {
        self.len() == other.len() && self.values.iter().all(|(o, v)| other.get(*o) == Some(v))
    }
}

#[derive(Clone)]
struct Block<V, S> {
    /// Bit `o % 64` of word `o / 64` is set when offset `o` has a value.
    present: Box<[u64]>,
    values: S,
    _v: std::marker::PhantomData<V>,
}

impl<V, S: Store<V>> Block<V, S> {
    fn new(offsets: usize) -> Self {
        Block {
            present: vec![0; offsets.div_ceil(64)].into_boxed_slice(),
            values: S::new(offsets),
            _v: std::marker::PhantomData,
        }
    }

    fn set(&mut self, offset: u16, on: bool) {
        let (word, bit) = (usize::from(offset) / 64, offset % 64);
        if let Some(w) = self.present.get_mut(word) {
            if on {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
    }

    /// Offsets with a value, ascending.
    fn offsets(&self) -> impl Iterator<Item = u16> + '_ {
        self.offsets_from(0)
    }

    /// The offsets present from `from` on, in order.
    fn offsets_from(&self, from: usize) -> impl Iterator<Item = u16> + '_ {
        let first = from / 64;
        let words = self.present.get(first..).unwrap_or(&[]);
        words.iter().enumerate().flat_map(move |(j, &word)| {
            let i = first + j;
            // In the first word, only the bits from `from` on.
            let mut w = if j == 0 {
                word & (!0u64 << (from % 64))
            } else {
                word
            };
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let bit = w.trailing_zeros();
                    w &= w - 1;
                    (i * 64) as u16 + bit as u16
                })
            })
        })
    }
}

/// An ordered map of `K` to `V` in blocks (see the module docs), the blocks storing values in `S`.
#[derive(Clone)]
pub(crate) struct BlockMap<K: BlockKey, V, S = Hashed<V>> {
    /// Sorted by block. Few blocks (management numbers in use, 2¹⁶-id ranges), and new ones come
    /// mostly at the end: a sorted vector finds one faster than a B-tree.
    blocks: Vec<(K::Block, Block<V, S>)>,
    len: usize,
    /// The last block that emptied, kept for the next new block: a block that empties and
    /// fills again (ids binding and unbinding at the end of the id range) allocates nothing.
    spare: Option<Block<V, S>>,
}

impl<K: BlockKey, V, S> Default for BlockMap<K, V, S> {
    fn default() -> Self {
        BlockMap {
            blocks: Vec::new(),
            len: 0,
            spare: None,
        }
    }
}

impl<K: BlockKey, V, S: Store<V>> BlockMap<K, V, S> {
    /// How many entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Where block `b` is, or where it would go.
    #[inline]
    fn find(&self, b: K::Block) -> Result<usize, usize> {
        // The newest block (binding ids) is the usual one.
        match self.blocks.last() {
            Some((last, _)) if *last == b => Ok(self.blocks.len() - 1),
            Some((last, _)) if *last < b => Err(self.blocks.len()),
            _ => self.blocks.binary_search_by(|(k, _)| k.cmp(&b)),
        }
    }

    fn block(&self, b: K::Block) -> Option<&Block<V, S>> {
        self.find(b).ok().map(|i| &self.blocks[i].1)
    }

    /// Where block `b` is, adding it if needed.
    fn find_or_add(&mut self, b: K::Block) -> usize {
        self.find(b).unwrap_or_else(|mut i| {
            // An empty last block (kept for the ids that keep coming) gives way to a newer one.
            if i == self.blocks.len()
                && self.blocks.last().is_some_and(|(_, l)| l.values.len() == 0)
            {
                self.spare = self.blocks.pop().map(|(_, block)| block);
                i -= 1;
            }
            let block = self.spare.take().unwrap_or_else(|| Block::new(K::OFFSETS));
            self.blocks.insert(i, (b, block));
            i
        })
    }

    /// The value for `k`.
    #[inline]
    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        let (b, o) = k.split();
        self.block(b)?.values.get(o)
    }

    /// The value for `k`, to change.
    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let (b, o) = k.split();
        let i = self.find(b).ok()?;
        self.blocks[i].1.values.get_mut(o)
    }

    /// The value for `k`, inserting `V::default()` first if there is none.
    pub(crate) fn get_or_default(&mut self, k: K) -> &mut V
    where
        V: Default,
    {
        let (b, o) = k.split();
        let i = self.find_or_add(b);
        let (block, len) = (&mut self.blocks[i].1, &mut self.len);
        block.set(o, true);
        block.values.get_or_insert_with(o, || {
            *len += 1;
            V::default()
        })
    }

    /// Sets the value for `k`, returning the previous one.
    pub(crate) fn insert(&mut self, k: K, v: V) -> Option<V> {
        let (b, o) = k.split();
        let i = self.find_or_add(b);
        let block = &mut self.blocks[i].1;
        let old = block.values.insert(o, v);
        if old.is_none() {
            block.set(o, true);
            self.len += 1;
        }
        old
    }

    /// Inserts `k`, greater than every key present (bulk loading in key order: the caller
    /// checked). A block it starts gets room at once for the keys that may follow in it, at
    /// most `coming` (rather than growing by rehashing as they arrive); the block it leaves
    /// gives back what it did not use.
    pub(crate) fn push_sorted(&mut self, k: K, v: V, coming: usize) {
        let (b, o) = k.split();
        if self.blocks.last().is_none_or(|(last, _)| *last != b) {
            debug_assert!(self.blocks.last().is_none_or(|(last, _)| *last < b));
            self.trim_last();
            let mut block: Block<V, S> = Block::new(K::OFFSETS);
            block
                .values
                .reserve(coming.min(K::OFFSETS - usize::from(o)).max(1));
            self.blocks.push((b, block));
        }
        let block = &mut self.blocks.last_mut().expect("a last block").1;
        let old = block.values.insert(o, v);
        debug_assert!(old.is_none(), "keys pushed in increasing order");
        block.set(o, true);
        self.len += 1;
    }

    /// Gives back the room [`BlockMap::push_sorted`] reserved in the last block and did not use.
    pub(crate) fn trim_last(&mut self) {
        if let Some((_, block)) = self.blocks.last_mut() {
            block.values.trim();
        }
    }

    /// Removes the value for `k`.
    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        let (b, o) = k.split();
        let i = self.find(b).ok()?;
        let block = &mut self.blocks[i].1;
        let v = block.values.remove(o)?;
        block.set(o, false);
        self.len -= 1;
        if block.values.len() == 0 {
            // The last block stays (bindings come and go at the end of the id range); another
            // one is kept, its bitmap all clear, for the next new block.
            if i + 1 < self.blocks.len() {
                self.spare = Some(self.blocks.remove(i).1);
            }
        }
        Some(v)
    }

    /// Every entry, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (K, &V)> + '_ {
        self.blocks
            .iter()
            .flat_map(|(b, block)| Self::block_iter(*b, block))
    }

    /// The entries after `k` (all of them for `None`), in key order.
    pub(crate) fn iter_after(&self, k: Option<K>) -> impl Iterator<Item = (K, &V)> + '_ {
        let (start, from) = match k.map(K::split) {
            None => (0, 0),
            Some((b, o)) => match self.blocks.binary_search_by(|(x, _)| x.cmp(&b)) {
                Ok(i) => (i, usize::from(o) + 1),
                Err(i) => (i, 0),
            },
        };
        self.blocks
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .flat_map(move |(j, (b, block))| {
                let from = if j == 0 { from } else { 0 };
                block
                    .offsets_from(from)
                    .filter_map(move |o| Some((K::join(*b, o)?, block.values.get(o)?)))
            })
    }

    /// The values, in key order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The entries of block `b`, in key order.
    pub(crate) fn in_block(&self, b: K::Block) -> impl Iterator<Item = (K, &V)> + '_ {
        self.block(b)
            .into_iter()
            .flat_map(move |block| Self::block_iter(b, block))
    }

    /// How many entries block `b` has.
    pub(crate) fn block_len(&self, b: K::Block) -> usize {
        self.block(b).map_or(0, |block| block.values.len())
    }

    /// The lowest offset of block `b` without a value for which `pred` holds.
    pub(crate) fn first_vacant(&self, b: K::Block, mut pred: impl FnMut(K) -> bool) -> Option<K> {
        let present = self.block(b).map(|block| &block.present);
        for i in 0..K::OFFSETS.div_ceil(64) {
            let mut free = !present.map_or(0, |p| p[i]);
            while free != 0 {
                let o = i * 64 + free.trailing_zeros() as usize;
                free &= free - 1;
                if o >= K::OFFSETS {
                    return None;
                }
                if let Some(k) = K::join(b, o as u16).filter(|k| pred(*k)) {
                    return Some(k);
                }
            }
        }
        None
    }

    /// The blocks that hold entries, with their values.
    fn filled(&self) -> impl Iterator<Item = (K::Block, &S)> + '_ {
        self.blocks
            .iter()
            .filter(|(_, block)| block.values.len() != 0)
            .map(|(b, block)| (*b, &block.values))
    }

    fn block_iter(b: K::Block, block: &Block<V, S>) -> impl Iterator<Item = (K, &V)> + '_ {
        block
            .offsets()
            .filter_map(move |o| Some((K::join(b, o)?, block.values.get(o)?)))
    }
}

impl<K: BlockKey, V, S: Store<V>> std::ops::Index<&K> for BlockMap<K, V, S> {
    type Output = V;
    fn index(&self, k: &K) -> &V {
        self.get(k).expect("no entry for key")
    }
}

impl<K: BlockKey, V: PartialEq, S: Store<V>> PartialEq for BlockMap<K, V, S> {
    fn eq(&self, other: &Self) -> bool {
        // The bitmaps follow the values; an empty last block is no entry.
        self.len == other.len
            && self
                .filled()
                .zip(other.filled())
                .all(|((a, x), (b, y))| a == b && x.same(y))
            && self.filled().count() == other.filled().count()
    }
}

impl<K: BlockKey, V: Eq, S: Store<V>> Eq for BlockMap<K, V, S> {}

impl<K: BlockKey + fmt::Debug, V: fmt::Debug, S: Store<V>> fmt::Debug for BlockMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_like_a_btreemap() {
        like_a_btreemap::<Hashed<u32>>();
        like_a_btreemap::<Dense<u32>>();
    }

    fn like_a_btreemap<S: Store<u32>>() {
        let m = |i: u64| ManagementNumber::new(70012340000 + i).unwrap();
        let mut map = BlockMap::<UsageNumber, u32, S>::default();
        let mut model = BTreeMap::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for step in 0..20_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let x = m(seed % 3).usage((seed >> 8) as u16 % 300).unwrap();
            match seed >> 60 {
                0..=6 => assert_eq!(map.insert(x, step), model.insert(x, step)),
                7..=8 => *map.get_or_default(x) += 1,
                _ => assert_eq!(map.remove(&x), model.remove(&x)),
            }
            if seed >> 60 == 7 || seed >> 60 == 8 {
                *model.entry(x).or_default() += 1;
            }
            assert_eq!(map.len(), model.len());
            assert_eq!(map.get(&x), model.get(&x));
        }
        let all: Vec<_> = map.iter().map(|(k, v)| (k, *v)).collect();
        assert_eq!(all, model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
        for i in 0..4 {
            let want: Vec<_> = model
                .range(m(i).first_usage()..=m(i).last_usage())
                .map(|(k, v)| (*k, *v))
                .collect();
            let got: Vec<_> = map.in_block(m(i)).map(|(k, v)| (k, *v)).collect();
            assert_eq!(got, want);
            assert_eq!(map.block_len(m(i)), want.len());
            let free = m(i)
                .usage_numbers()
                .find(|x| !model.contains_key(x) && x.sub_number() % 7 != 0);
            assert_eq!(map.first_vacant(m(i), |x| x.sub_number() % 7 != 0), free);
        }
        // Resuming after any key, present or not, in any block or none (the successor's copy).
        let mut probes: Vec<Option<UsageNumber>> = vec![None];
        for i in 0..5 {
            for sub in [0u16, 1, 63, 64, 65, 127, 150, 299, 300, 9_999] {
                probes.push(m(i).usage(sub).ok());
            }
        }
        probes.extend(model.keys().step_by(7).map(|k| Some(*k)));
        for after in probes {
            let want: Vec<_> = model
                .iter()
                .filter(|(k, _)| after.is_none_or(|a| **k > a))
                .map(|(k, v)| (*k, *v))
                .collect();
            let got: Vec<_> = map.iter_after(after).map(|(k, v)| (k, *v)).collect();
            assert_eq!(got, want, "after {after:?}");
        }
        let mut other = BlockMap::<UsageNumber, u32, S>::default();
        for (k, v) in model.iter().rev() {
            other.insert(*k, *v);
        }
        assert_eq!(map, other);
    }

    #[test]
    fn binding_ids_keep_their_order_across_blocks() {
        let mut map = BlockMap::<BindingId, u64>::default();
        for raw in [3u64, 1 << 16, 70_000, 2, (5 << 16) + 9] {
            map.insert(BindingId::from_raw(raw), raw);
        }
        let ids: Vec<u64> = map.iter().map(|(k, _)| k.raw()).collect();
        assert_eq!(ids, [2, 3, 1 << 16, 70_000, (5 << 16) + 9]);
        assert_eq!(map[&BindingId::from_raw(70_000)], 70_000);
        // A block that empties is reused, clean, for the next new block.
        let far = BindingId::from_raw(9 << 16);
        assert_eq!(
            map.remove(&BindingId::from_raw((5 << 16) + 9)),
            Some((5 << 16) + 9)
        );
        map.insert(far, 1);
        map.insert(BindingId::from_raw((9 << 16) + 3), 2);
        let ids: Vec<u64> = map.iter().map(|(k, _)| k.raw()).collect();
        assert_eq!(ids, [2, 3, 1 << 16, 70_000, 9 << 16, (9 << 16) + 3]);
        // An emptied last block stays in place, and is no entry.
        let mut a = BlockMap::<BindingId, u64>::default();
        a.insert(BindingId::from_raw(7), 7);
        a.remove(&BindingId::from_raw(7));
        assert_eq!(a, BlockMap::default());
        a.insert(BindingId::from_raw(3 << 16), 1);
        assert_eq!(
            a.iter().map(|(k, _)| k.raw()).collect::<Vec<_>>(),
            [3 << 16]
        );
    }
}
