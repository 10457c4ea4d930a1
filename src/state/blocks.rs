//! A map for the state's large tables (usage numbers, bindings), split in blocks: a usage number
//! is (management number, sub-number), a binding id (id / 2¹⁶, id mod 2¹⁶).
//!
//! Each block is a hash map (one probe instead of a B-tree descent of millions of keys) with a
//! bitmap of its keys (iteration stays in key order, and "the first free sub-number" is a bit
//! scan). Blocks bound the cost of a rehash to 2¹⁶ entries: one hash map of millions of entries
//! would stall the writer for seconds each time it doubled.
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

impl BlockKey for BindingId {
    type Block = u64;
    const OFFSETS: usize = 1 << 16;
    fn split(self) -> (u64, u16) {
        (self.raw() >> 16, self.raw() as u16)
    }
    fn join(block: u64, offset: u16) -> Option<Self> {
        Some(BindingId::from_raw(block << 16 | u64::from(offset)))
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

#[derive(Clone)]
struct Block<V> {
    /// Bit `o % 64` of word `o / 64` is set when offset `o` has a value.
    present: Box<[u64]>,
    values: HashMap<u16, V, Nearby>,
}

impl<V> Block<V> {
    fn new(offsets: usize) -> Self {
        Block {
            present: vec![0; offsets.div_ceil(64)].into_boxed_slice(),
            values: HashMap::default(),
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
        self.present.iter().enumerate().flat_map(|(i, &word)| {
            let mut w = word;
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

/// An ordered map of `K` to `V` in blocks (see the module docs).
#[derive(Clone)]
pub(crate) struct BlockMap<K: BlockKey, V> {
    /// Sorted by block. Few blocks (management numbers in use, 2¹⁶-id ranges), and new ones come
    /// mostly at the end: a sorted vector finds one faster than a B-tree.
    blocks: Vec<(K::Block, Block<V>)>,
    len: usize,
    /// The last block that emptied, kept for the next new block: a block that empties and
    /// fills again (ids binding and unbinding at the end of the id range) allocates nothing.
    spare: Option<Block<V>>,
}

impl<K: BlockKey, V> Default for BlockMap<K, V> {
    fn default() -> Self {
        BlockMap {
            blocks: Vec::new(),
            len: 0,
            spare: None,
        }
    }
}

impl<K: BlockKey, V> BlockMap<K, V> {
    /// How many entries.
    #[cfg(test)]
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

    fn block(&self, b: K::Block) -> Option<&Block<V>> {
        self.find(b).ok().map(|i| &self.blocks[i].1)
    }

    /// Where block `b` is, adding it if needed.
    fn find_or_add(&mut self, b: K::Block) -> usize {
        self.find(b).unwrap_or_else(|mut i| {
            // An empty last block (kept for the ids that keep coming) gives way to a newer one.
            if i == self.blocks.len()
                && self.blocks.last().is_some_and(|(_, l)| l.values.is_empty())
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
        self.block(b)?.values.get(&o)
    }

    /// The value for `k`, to change.
    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let (b, o) = k.split();
        let i = self.find(b).ok()?;
        self.blocks[i].1.values.get_mut(&o)
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
        block.values.entry(o).or_insert_with(|| {
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

    /// Removes the value for `k`.
    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        let (b, o) = k.split();
        let i = self.find(b).ok()?;
        let block = &mut self.blocks[i].1;
        let v = block.values.remove(&o)?;
        block.set(o, false);
        self.len -= 1;
        if block.values.is_empty() {
            // The last block stays (bindings come and go at the end of the id range); another
            // one is kept, its bitmap all clear, for the next new block.
            if i + 1 < self.blocks.len() {
                self.spare = Some(self.blocks.remove(i).1);
            }
        } else if block.values.capacity() > 64 && block.values.len() * 4 < block.values.capacity() {
            // Give memory back as a block drains (long-lived stragglers in an old id block).
            block.values.shrink_to(block.values.len() * 2);
        }
        Some(v)
    }

    /// Every entry, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (K, &V)> + '_ {
        self.blocks
            .iter()
            .flat_map(|(b, block)| Self::block_iter(*b, block))
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
    fn filled(&self) -> impl Iterator<Item = (K::Block, &HashMap<u16, V, Nearby>)> + '_ {
        self.blocks
            .iter()
            .filter(|(_, block)| !block.values.is_empty())
            .map(|(b, block)| (*b, &block.values))
    }

    fn block_iter(b: K::Block, block: &Block<V>) -> impl Iterator<Item = (K, &V)> + '_ {
        block
            .offsets()
            .filter_map(move |o| Some((K::join(b, o)?, block.values.get(&o)?)))
    }
}

impl<K: BlockKey, V> std::ops::Index<&K> for BlockMap<K, V> {
    type Output = V;
    fn index(&self, k: &K) -> &V {
        self.get(k).expect("no entry for key")
    }
}

impl<K: BlockKey, V: PartialEq> PartialEq for BlockMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        // The bitmaps follow the values; an empty last block is no entry.
        self.len == other.len && self.filled().eq(other.filled())
    }
}

impl<K: BlockKey, V: Eq> Eq for BlockMap<K, V> {}

impl<K: BlockKey + fmt::Debug, V: fmt::Debug> fmt::Debug for BlockMap<K, V> {
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
        let m = |i: u64| ManagementNumber::new(70012340000 + i).unwrap();
        let mut map = BlockMap::<UsageNumber, u32>::default();
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
        let mut other = BlockMap::default();
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
