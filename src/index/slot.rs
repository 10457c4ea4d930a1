//! One index entry: five 64-bit words read and written under a per-entry version (a seqlock).
//!
//! ```text
//! w0: version (32) | expires (32, Unix seconds)
//! w1: usage number offset (40) | kind (3) | flags (10) | window start minute (11)
//! w2: caller E.164 (50; 0 = the number's own record) | window end minute (11) | mode (2)
//!     | unreported (1: the binding's subscriber A has no real-user report from its tenant)
//! w3: target E.164, or extras index for a group (50) | display sub-number (14)
//! w4: binding id (48) | display management number's directory index (16)
//! ```
//!
//! Everything a route decision needs is inline, so a lookup costs one memory miss. The writer
//! makes the version odd, writes the words, and makes it even again; a reader reads the version,
//! the words, and the version again, and retries if it changed or was odd.
#![forbid(unsafe_code)]

use crate::sync::{AtomicU64, Ordering, fence, spin_loop};

/// Words per entry.
pub(crate) const WORDS: usize = 5;

/// What an entry holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    /// Never used: ends a probe sequence.
    Empty = 0,
    /// A live binding's route entry (or, as a number's own record, an exclusive AXN binding).
    Live = 1,
    /// Quarantine after a release.
    QuarantineReleased = 2,
    /// Quarantine after an expiry.
    QuarantineExpired = 3,
    /// Deleted: probing continues past it.
    Tombstone = 4,
    /// A number's own record when it carries keyed bindings: `expires` is the latest expiry
    /// among them, so "does this number have a live binding now?" is one read.
    Summary = 5,
}

impl Kind {
    fn from_bits(bits: u64) -> Kind {
        match bits {
            1 => Kind::Live,
            2 => Kind::QuarantineReleased,
            3 => Kind::QuarantineExpired,
            4 => Kind::Tombstone,
            5 => Kind::Summary,
            _ => Kind::Empty,
        }
    }
}

/// Flag bits of an entry.
pub(crate) mod flag {
    pub const SUSPENDED: u16 = 1 << 0;
    pub const VOICE: u16 = 1 << 1;
    pub const SMS: u16 = 1 << 2;
    pub const A_TO_B_ONLY: u16 = 1 << 3;
    pub const B_TO_A_ONLY: u16 = 1 << 4;
    pub const FROM_A_SIDE: u16 = 1 << 5;
    pub const RECORD: u16 = 1 << 6;
    /// `target` is an extras index holding the group's members.
    pub const GROUP: u16 = 1 << 7;
    /// The display fields hold an extras index of the allow-list (AXN's own record).
    pub const ALLOW_LIST: u16 = 1 << 8;
    /// The display number is not the dialled number (AXYB).
    pub const DISPLAY_OTHER: u16 = 1 << 9;
}

const MASK_40: u64 = (1 << 40) - 1;
const MASK_50: u64 = (1 << 50) - 1;
const MASK_48: u64 = (1 << 48) - 1;
const MASK_14: u64 = (1 << 14) - 1;
const MASK_11: u64 = (1 << 11) - 1;
const MASK_10: u64 = (1 << 10) - 1;

/// The decoded content of an entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Image {
    pub expires: u32,
    /// Usage number minus 700·10¹² (40 bits).
    pub x: u64,
    pub kind: u8,
    pub flags: u16,
    /// Time window in Beijing minutes; equal bounds mean none.
    pub window: (u16, u16),
    /// Caller E.164 (50 bits), 0 for the number's own record.
    pub caller: u64,
    /// Target E.164, or an extras index (50 bits); 0 = no destination.
    pub target: u64,
    /// Display: sub-number (14 bits) and directory index (16 bits); or an allow-list's extras index.
    pub display_sub: u16,
    pub display_dir: u16,
    /// Binding id (48 bits).
    pub binding: u64,
    /// Binding mode: 0 AXB, 1 AXN, 2 AXYB, 3 GXB.
    pub mode: u8,
    /// The binding's tenant has not reported its subscriber A (refused only while the tenant
    /// requires reports: a bit of its tenant word).
    pub unreported: bool,
}

impl Image {
    pub(crate) fn kind(&self) -> Kind {
        Kind::from_bits(u64::from(self.kind))
    }

    pub(crate) fn has(&self, f: u16) -> bool {
        self.flags & f != 0
    }

    fn encode(&self) -> [u64; WORDS - 1] {
        [
            (self.x & MASK_40)
                | (u64::from(self.kind) & 7) << 40
                | (u64::from(self.flags) & MASK_10) << 43
                | (u64::from(self.window.0) & MASK_11) << 53,
            (self.caller & MASK_50)
                | (u64::from(self.window.1) & MASK_11) << 50
                | (u64::from(self.mode) & 3) << 61
                | u64::from(self.unreported) << 63,
            (self.target & MASK_50) | (u64::from(self.display_sub) & MASK_14) << 50,
            (self.binding & MASK_48) | u64::from(self.display_dir) << 48,
        ]
    }

    fn decode(expires: u32, w: [u64; WORDS - 1]) -> Image {
        Image {
            expires,
            x: w[0] & MASK_40,
            kind: ((w[0] >> 40) & 7) as u8,
            flags: ((w[0] >> 43) & MASK_10) as u16,
            window: (
                ((w[0] >> 53) & MASK_11) as u16,
                ((w[1] >> 50) & MASK_11) as u16,
            ),
            caller: w[1] & MASK_50,
            target: w[2] & MASK_50,
            display_sub: ((w[2] >> 50) & MASK_14) as u16,
            binding: w[3] & MASK_48,
            display_dir: (w[3] >> 48) as u16,
            mode: ((w[1] >> 61) & 3) as u8,
            unreported: w[1] >> 63 == 1,
        }
    }
}

/// How many times a reader retries an entry that keeps changing (or whose writer died halfway)
/// before giving up on this attempt; a write takes nanoseconds. The lookup as a whole starts over
/// for at most 200 ms before answering [`crate::route::RejectReason::Unavailable`] (a writer
/// that died halfway through a write).
pub(crate) const MAX_RETRIES: u32 = 256;

/// Reads entry `e` (its five words) consistently, or `None` after [`MAX_RETRIES`].
#[cfg(test)]
pub(crate) fn read(e: &[AtomicU64]) -> Option<Image> {
    read_versioned(e).map(|(image, _)| image)
}

/// Like [`read`], also returning the version word the image was read under, so data the entry
/// points to (extras) can be checked against exactly that version afterwards.
pub(crate) fn read_versioned(e: &[AtomicU64]) -> Option<(Image, u64)> {
    for _ in 0..MAX_RETRIES {
        let v1 = e[0].load(Ordering::Acquire);
        if v1 & 1 == 0 {
            let w = [
                e[1].load(Ordering::Relaxed),
                e[2].load(Ordering::Relaxed),
                e[3].load(Ordering::Relaxed),
                e[4].load(Ordering::Relaxed),
            ];
            fence(Ordering::Acquire);
            if e[0].load(Ordering::Relaxed) == v1 {
                return Some((Image::decode((v1 >> 32) as u32, w), v1));
            }
        }
        spin_loop();
    }
    None
}

/// The version word of entry `e`, to check after reading data it points to (extras).
pub(crate) fn version(e: &[AtomicU64]) -> u64 {
    fence(Ordering::Acquire);
    e[0].load(Ordering::Relaxed)
}

/// Writes entry `e`. Only the single writer calls this.
pub(crate) fn write(e: &[AtomicU64], image: &Image) {
    let v = e[0].load(Ordering::Relaxed);
    let seq = (v as u32).wrapping_add(1) | 1; // odd: write in progress
    e[0].store((v & !0xFFFF_FFFF) | u64::from(seq), Ordering::Relaxed);
    fence(Ordering::Release);
    for (word, value) in e[1..].iter().zip(image.encode()) {
        word.store(value, Ordering::Relaxed);
    }
    let done = u64::from(seq.wrapping_add(1)) | u64::from(image.expires) << 32;
    e[0].store(done, Ordering::Release);
}

/// Reads entry `e` from the writer itself (no concurrent writer exists, so no retry).
pub(crate) fn read_own(e: &[AtomicU64]) -> Image {
    let v = e[0].load(Ordering::Relaxed);
    let w = [
        e[1].load(Ordering::Relaxed),
        e[2].load(Ordering::Relaxed),
        e[3].load(Ordering::Relaxed),
        e[4].load(Ordering::Relaxed),
    ];
    Image::decode((v >> 32) as u32, w)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn images_round_trip_through_the_words(
            expires: u32, x in 0u64..1 << 40, kind in 0u8..6, flags in 0u16..1 << 10,
            ws in 0u16..1440, we in 0u16..1440, caller in 0u64..1 << 50, target in 0u64..1 << 50,
            display_sub in 0u16..10_000, display_dir: u16, binding in 0u64..1 << 48, mode in 0u8..4,
            unreported: bool,
        ) {
            let image = Image { expires, x, kind, flags, window: (ws, we), caller, target, display_sub, display_dir, binding, mode, unreported };
            let words: Vec<AtomicU64> = (0..WORDS).map(|_| AtomicU64::new(0)).collect();
            write(&words, &image);
            prop_assert_eq!(read(&words), Some(image));
            prop_assert_eq!(read_own(&words), image);
            // The version is even again after a write.
            prop_assert_eq!(words[0].load(Ordering::Relaxed) & 1, 0);
        }
    }

    #[test]
    fn a_reader_gives_up_on_an_entry_left_half_written() {
        let words: Vec<AtomicU64> = (0..WORDS).map(|_| AtomicU64::new(0)).collect();
        words[0].store(1, Ordering::Relaxed); // odd forever: a writer that died mid-write
        assert_eq!(read(&words), None);
    }
}

/// Loom models of the entry protocol (run with `RUSTFLAGS="--cfg loom" cargo test --release --lib
/// loom`): every interleaving and every value the C11 memory model lets a load return, within
/// `LOOM_MAX_PREEMPTIONS`.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::index::Index;
    use crate::index::layout::Capacity;
    use loom::sync::Arc;
    use loom::thread;

    /// An image whose every word (and the version word's expiry half) depends on `n`, so a mix
    /// of two images is never equal to either.
    fn image(n: u64) -> Image {
        Image {
            expires: 1_000 + n as u32,
            x: 10 + n,
            kind: Kind::Live as u8,
            flags: flag::VOICE | if n % 2 == 1 { flag::RECORD } else { 0 },
            window: (n as u16, 100 + n as u16),
            caller: 8_613_800_000_000 + n,
            target: 8_613_900_000_000 + n,
            display_sub: n as u16,
            display_dir: 7 + n as u16,
            binding: 300 + n,
            mode: (n % 4) as u8,
            unreported: n % 2 == 0,
        }
    }

    fn entry() -> Arc<Vec<AtomicU64>> {
        Arc::new((0..WORDS).map(|_| AtomicU64::new(0)).collect())
    }

    /// One writer writes two images over an initial one while a reader reads twice: each read
    /// is exactly one of the three images (never a mix), and the second is never older than the
    /// first. A read cannot give up (`None`): each failed attempt needs a writer step, and the
    /// writer has a few dozen steps against `MAX_RETRIES` attempts.
    #[test]
    fn loom_reader_sees_whole_images_in_order() {
        loom::model(|| {
            let e = entry();
            write(&e, &image(0));
            let w = Arc::clone(&e);
            let writer = thread::spawn(move || {
                write(&w, &image(1));
                write(&w, &image(2));
            });
            let order = |got: Option<Image>| {
                let got = got.expect("a read gave up while the writer was live");
                (0..3)
                    .find(|n| got == image(*n))
                    .unwrap_or_else(|| panic!("torn read: {got:?}"))
            };
            let first = order(read(&e));
            let second = order(read(&e));
            assert!(second >= first, "went back from image {first} to {second}");
            writer.join().unwrap();
            assert_eq!(read(&e), Some(image(2)));
            assert_eq!(e[0].load(Ordering::Relaxed) & 1, 0, "version left odd");
        });
    }

    /// Two writers would break the protocol; the model is of the one the registry's mutex
    /// guarantees. A reader that starts after a write completes sees it (the release store of
    /// the even version and the acquire load of it).
    #[test]
    fn loom_a_completed_write_is_visible() {
        loom::model(|| {
            let e = entry();
            let done = Arc::new(AtomicU64::new(0));
            let (w, d) = (Arc::clone(&e), Arc::clone(&done));
            let writer = thread::spawn(move || {
                write(&w, &image(1));
                d.store(1, Ordering::Release);
            });
            if done.load(Ordering::Acquire) == 1 {
                assert_eq!(read(&e), Some(image(1)));
            }
            writer.join().unwrap();
        });
    }

    /// Writes an extras record exactly as `IndexWriter::write_extras` does (version odd,
    /// release fence, next and numbers, version even with the count).
    fn write_record(index: &Index, at: usize, next: usize, numbers: &[u64]) {
        let r = index.extra(at);
        let v = r[0].load(Ordering::Relaxed);
        let seq = (v as u32).wrapping_add(1) | 1;
        r[0].store(u64::from(seq), Ordering::Relaxed);
        fence(Ordering::Release);
        r[1].store(next as u64, Ordering::Relaxed);
        for (w, n) in r[2..]
            .iter()
            .zip(numbers.iter().copied().chain(std::iter::repeat(0)))
        {
            w.store(n, Ordering::Relaxed);
        }
        r[0].store(
            u64::from(seq.wrapping_add(1)) | (numbers.len() as u64) << 32,
            Ordering::Release,
        );
    }

    /// Group members of "generation" `g` (two, so the extras record is the route's target).
    fn group(g: u64) -> [u64; 2] {
        [8_613_700_000_000 + 10 * g, 8_613_700_000_000 + 10 * g + 1]
    }

    fn group_image(n: u64, extras: usize) -> Image {
        Image {
            flags: flag::VOICE | flag::GROUP,
            target: extras as u64,
            ..image(n)
        }
    }

    /// A tiny heap index: two entries, extras records 1 and 2 (0 means none).
    fn tiny_index() -> std::sync::Arc<Index> {
        let cap = Capacity {
            entries: 2,
            directory: 1,
            tenants: 1,
            pages: 0,
            extras: 3,
        };
        std::sync::Arc::new(Index::new_heap(cap, 0, 1))
    }

    /// The writer's side of two commands, in the order `IndexWriter::sync_key` does them:
    /// (1) binding 1's group changes from `group(1)` (record 1) to `group(2)`: the new members
    /// go to a fresh record 2, entry 0 is rewritten to point at it, record 1 is freed;
    /// (2) another binding's group `group(3)` (entry 1) pops record 1 from the free list.
    fn rewrite_then_reuse(index: &Index) {
        write_record(index, 2, 0, &group(2));
        write(index.entry(0), &group_image(2, 2));
        // free_extras_of(old image): record 1 goes on the free list, then is reused at once.
        write_record(index, 1, 0, &group(3));
        write(index.entry(1), &group_image(3, 1));
    }

    fn members(t: &crate::binding::Targets) -> Vec<u64> {
        t.iter().map(|s| s.e164()).collect()
    }

    /// The reader's side as `Index::try_route` → `leg` → `group` does it, retrying on `Retry`:
    /// entry 0 must be read as (image 1, group 1) or (image 2, group 2) — never an image with
    /// another image's (or another binding's) members.
    ///
    /// The re-check compares the entry's version after the chain with the version the entry was
    /// *read* with: one taken afresh after the entry read would miss a rewrite of the entry plus
    /// a reuse of its old record in between, and the reader would route binding 1 (as of image 1)
    /// to `group(3)`, another binding's (possibly another tenant's) members — the bug the stress
    /// test found before this was fixed.
    #[test]
    fn loom_extras_reuse_is_never_read_with_a_stale_entry() {
        loom::model(|| {
            let index = tiny_index();
            write_record(&index, 1, 0, &group(1));
            write(index.entry(0), &group_image(1, 1));
            let w = std::sync::Arc::clone(&index);
            let writer = thread::spawn(move || rewrite_then_reuse(&w));
            let mut answer = None;
            for _ in 0..MAX_RETRIES {
                let Some((e, version)) = read_versioned(index.entry(0)) else {
                    continue;
                };
                let owner = crate::index::Owner { at: 0, version };
                if let Ok(t) = index.group(owner, e.target as usize) {
                    answer = Some((e, members(&t)));
                    break;
                }
                spin_loop();
            }
            let (e, m) = answer.expect("the reader gave up");
            assert!(
                (e == group_image(1, 1) && m == group(1))
                    || (e == group_image(2, 2) && m == group(2)),
                "entry {e:?} read with members {m:?}"
            );
            writer.join().unwrap();
        });
    }
}
