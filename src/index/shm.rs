//! The index in a named shared mapping: one writer process, many reader processes.
//!
//! This is the only `unsafe` code outside the C ABI: it maps a file (normally under `/dev/shm`)
//! and views the mapping as atomic words. Everything else in the index works on `&[AtomicU64]`
//! and is safe code, so the heap and the shared mapping run the same lookup.
#![allow(unsafe_code)]

use crate::sync::AtomicU64;
use memmap2::{Mmap, MmapMut, MmapOptions};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Asks for transparent huge pages: a lookup lands on a random slot of a table of up to gigabytes,
/// and with 4 KiB pages nearly every one also misses the TLB (a page walk costs about as much as
/// the slot's own cache miss). Only a hint: where the kernel declines (THP off, tmpfs without
/// huge pages), nothing changes.
fn prefer_huge_pages(map: &MmapMut) {
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage);
    #[cfg(not(target_os = "linux"))]
    let _ = map;
}

/// A mapped index file.
pub(crate) enum Mapping {
    /// The writer's view.
    Writable(MmapMut),
    /// A reader's view: mapped read-only, so a reader cannot corrupt the writer's index.
    ReadOnly(Mmap),
}

impl Mapping {
    /// Creates (or truncates) `path` with room for `words` zeroed words and maps it writable.
    pub(crate) fn create(path: &Path, words: usize) -> io::Result<Mapping> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        file.set_len((words * 8) as u64)?;
        // SAFETY: the file was just created and sized by us; nobody else truncates it while it
        // is mapped (a published index file is only ever replaced by rename, never resized).
        let map = unsafe { MmapOptions::new().len(words * 8).map_mut(&file)? };
        prefer_huge_pages(&map);
        Ok(Mapping::Writable(map))
    }

    /// Anonymous private memory for `words` zeroed words: the heap index. The kernel hands out
    /// zero pages lazily, so memory is resident only where the index was written.
    pub(crate) fn anonymous(words: usize) -> io::Result<Mapping> {
        let map = MmapOptions::new().len(words.max(1) * 8).map_anon()?;
        prefer_huge_pages(&map);
        Ok(Mapping::Writable(map))
    }

    /// Maps an existing index file read-only.
    pub(crate) fn open_read_only(path: &Path) -> io::Result<Mapping> {
        let file = File::open(path)?;
        // SAFETY: as above, the writer never resizes a published file; the view is read-only.
        let map = unsafe { Mmap::map(&file)? };
        Ok(Mapping::ReadOnly(map))
    }

    /// Maps an existing index file writable (a restarted writer marking its predecessor's
    /// index retired).
    pub(crate) fn open_writable(path: &Path) -> io::Result<Mapping> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        // SAFETY: as above.
        let map = unsafe { MmapMut::map_mut(&file)? };
        Ok(Mapping::Writable(map))
    }

    /// The mapping as atomic words.
    pub(crate) fn words(&self) -> &[AtomicU64] {
        let bytes: &[u8] = match self {
            Mapping::Writable(m) => m,
            Mapping::ReadOnly(m) => m,
        };
        let len = bytes.len() / 8;
        // SAFETY: mappings are page-aligned, so the pointer is aligned for u64; `len` words fit
        // in the mapping, which lives as long as `self`. Every access to these bytes, here and in
        // the other processes, goes through atomic operations, so concurrent changes by the
        // writer process are not data races. Atomic loads of 64-bit words from read-only memory
        // are allowed (they compile to plain loads; no read-modify-write is ever done on them).
        unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<AtomicU64>(), len) }
    }
}
