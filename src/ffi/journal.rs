//! Durability from C: opening a journaled registry (recovering what it acknowledged), and
//! snapshots. The contract is the crate's (`np700::journal`), summarised in the header's
//! overview.

use super::args::{NP700_MAX_PATH_LEN, Out, put_text, str_arg};
use super::config::{np700_config, settings};
use super::registry::{REGISTRIES, np700_registry, refused, with_registry};
use super::status::{Failure, NP700_ERR_TOO_LONG, boundary, np700_status};
use crate::index::layout::Capacity;
use crate::journal::Recovery;
use crate::registry::{OpenOptions, Registry};
use std::ffi::c_char;

/// Room for a journal file name in `np700_recovery` (names are 28 bytes and a NUL).
pub const NP700_FILE_NAME_LEN: usize = 40;

/// What `np700_registry_open()` recovered.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct np700_recovery {
    /// The seq (event number) of the last event in the snapshot loaded; 0 if none was.
    pub snapshot_seq: u64,
    /// Events replayed from the journal after the snapshot.
    pub replayed: u64,
    /// The seq of the last event recovered (0 for an empty journal).
    pub last_seq: u64,
    /// Bytes of a torn or garbage tail cut from the last journal segment (0: none).
    pub cut_bytes: u64,
    /// Where the cut is in that segment.
    pub cut_offset: u64,
    /// The segment cut, NUL-terminated ("" if none).
    pub cut_file: [c_char; NP700_FILE_NAME_LEN],
    /// Leftover files removed (temporary snapshots, a segment whose creation did not finish).
    pub removed_files: u32,
}

impl From<&Recovery> for np700_recovery {
    fn from(r: &Recovery) -> Self {
        let cut = r.cut.as_ref();
        np700_recovery {
            snapshot_seq: r.snapshot.unwrap_or(0),
            replayed: r.replayed,
            last_seq: r.last_seq,
            cut_bytes: cut.map_or(0, |c| c.bytes),
            cut_offset: cut.map_or(0, |c| c.offset),
            cut_file: put_text(cut.map_or("", |c| c.file.as_str())),
            removed_files: u32::try_from(r.removed.len()).unwrap_or(u32::MAX),
        }
    }
}

/// Opens the journaled registry in directory `dir` (UTF-8, at most `NP700_MAX_PATH_LEN` bytes;
/// created if missing): recovers everything it acknowledged — the newest snapshot plus the
/// journal after it —, cuts a torn tail, and continues the journal. On success `*out` is the
/// handle (free it with `np700_registry_free()`) and, if `recovery` is not NULL, `*recovery`
/// says what was found.
///
/// With the archive on (the default; see `np700_config_set_archive()`) it also keeps route
/// records, call records and binding history in `<dir>/archive/`.
///
/// From then on every write returns `NP700_OK` only once its events are durable (see the
/// configuration's `np700_config_set_journal()`), and after a failed write or sync every write
/// returns `NP700_ERR_JOURNAL_HALTED` until the registry is freed and opened again.
///
/// Errors: `NP700_ERR_CORRUPT_JOURNAL` when data that was acknowledged is damaged (the last
/// error names the file and offset; nothing is changed on disk), `NP700_ERR_IO` when the
/// directory cannot be read or written, `NP700_ERR_INDEX_FULL` when the recovered state does
/// not fit an index.
///
/// # Safety
///
/// `dir` must be NULL or valid for reads of `dir_len` bytes; `out` valid for a write of one
/// pointer; `recovery` NULL or valid for a write of one `np700_recovery`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_open(
    config: *const np700_config,
    dir: *const c_char,
    dir_len: usize,
    out: *mut *mut np700_registry,
    recovery: *mut np700_recovery,
) -> np700_status {
    boundary("np700_registry_open", || {
        let out = Out::new("out", out)?;
        let recovery = (!recovery.is_null())
            .then(|| Out::new("recovery", recovery))
            .transpose()?;
        // SAFETY: the caller's promise.
        let dir = unsafe { str_arg("dir", dir, dir_len, NP700_MAX_PATH_LEN, NP700_ERR_TOO_LONG) }?;
        if dir.is_empty() {
            return Err(Failure::new(
                super::status::NP700_ERR_NULL,
                "dir",
                "a journal directory is required",
            ));
        }
        let s = settings(config)?;
        let options = OpenOptions {
            archive: s.archive,
            capacity: Capacity::for_bindings(s.capacity_bindings),
            shared_index: s.shared_path,
            journal: s.journal,
        };
        let (registry, found) = Registry::open(dir, s.core, options).map_err(refused)?;
        let handle = REGISTRIES.insert("registry", registry)?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(handle) };
        if let Some(r) = recovery {
            // SAFETY: as above.
            unsafe { r.write(np700_recovery::from(&found)) };
        }
        Ok(())
    })
}

/// Writes a snapshot of a journaled registry and removes the journal it replaces; `*seq` (if
/// not NULL) is the seq of the last event it holds. Writes wait meanwhile (about 0.2 s per
/// million bindings): call it at a quiet moment. `NP700_ERR_IO` if a step fails (the registry
/// then halts) or the registry has no journal (created by `np700_registry_new()`).
///
/// # Safety
///
/// `seq` must be NULL or valid for a write of one `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_registry_snapshot(
    registry: *const np700_registry,
    seq: *mut u64,
) -> np700_status {
    boundary("np700_registry_snapshot", || {
        let seq = (!seq.is_null()).then(|| Out::new("seq", seq)).transpose()?;
        let done = with_registry(registry, Registry::snapshot)?.map_err(refused)?;
        if let Some(seq) = seq {
            // SAFETY: checked by Out::new; writable by the caller's promise.
            unsafe { seq.write(done) };
        }
        Ok(())
    })
}
