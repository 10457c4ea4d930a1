//! One index entry: five 64-bit words read and written under a per-entry version (a seqlock).
//!
//! ```text
//! w0: version (32) | expires (32, Unix seconds)
//! w1: usage number offset (40) | kind (3) | flags (10) | window start minute (11)
//! w2: caller E.164 (50; 0 = the number's own record) | window end minute (11) | mode (2) | 0
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
                | (u64::from(self.mode) & 3) << 61,
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
        }
    }
}

/// How many times a reader retries an entry that keeps changing (or whose writer died halfway)
/// before giving up; a write takes nanoseconds, so this is never reached by a live writer.
pub(crate) const MAX_RETRIES: u32 = 1 << 16;

/// Reads entry `e` (its five words) consistently, or `None` after [`MAX_RETRIES`].
pub(crate) fn read(e: &[AtomicU64]) -> Option<Image> {
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
                return Some(Image::decode((v1 >> 32) as u32, w));
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
        ) {
            let image = Image { expires, x, kind, flags, window: (ws, we), caller, target, display_sub, display_dir, binding, mode };
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
