//! `np700_config`: what a registry is created from.
//!
//! A configuration is a small builder: create it with defaults, change what you need, create one
//! or more registries from it, free it. Options added later (durability, records) become new
//! setters, so code written today keeps compiling and linking.

use super::args::{NP700_MAX_PATH_LEN, Out, str_arg};
use super::handle::Table;
use super::status::{
    Failure, NP700_ERR_BAD_ENUM, NP700_ERR_OUT_OF_RANGE, NP700_ERR_TOO_LONG, boundary, np700_status,
};
use crate::config::Config;
use crate::journal::{Commit, JournalOptions};
use std::ffi::c_char;
use std::path::PathBuf;
use std::sync::Mutex;

/// A registry configuration (opaque).
///
/// Thread safety: the setters need exclusive use (`np700_config *`); creating registries from it
/// (`const np700_config *`) may happen from several threads at once.
#[allow(non_camel_case_types)]
pub struct np700_config {
    _opaque: [u8; 0],
}

/// The settings behind an `np700_config` handle.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) core: Config,
    pub(crate) capacity_bindings: usize,
    pub(crate) shared_path: Option<PathBuf>,
    pub(crate) journal: JournalOptions,
    pub(crate) archive: crate::archive::ArchiveOptions,
}

/// The largest initial capacity accepted, in bindings (the index still grows past it).
pub const NP700_MAX_CAPACITY: usize = 50_000_000;
/// The initial capacity of a new configuration, in bindings.
pub const NP700_DEFAULT_CAPACITY: usize = 10_000;
/// The longest quarantine accepted, in seconds (10 years).
pub const NP700_MAX_QUARANTINE_SECS: u64 = 10 * 366 * 24 * 3600;

pub(crate) static CONFIGS: Table<Mutex<Settings>> = Table::new(3);

const WHAT: &str = "config";

pub(crate) fn with_settings<R>(
    config: *const np700_config,
    f: impl FnOnce(&mut Settings) -> Result<R, Failure>,
) -> Result<R, Failure> {
    CONFIGS.with(WHAT, config, |m| {
        f(&mut m.lock().unwrap_or_else(|p| p.into_inner()))
    })?
}

/// A copy of the settings a handle names.
pub(crate) fn settings(config: *const np700_config) -> Result<Settings, Failure> {
    with_settings(config, |s| Ok(s.clone()))
}

/// Creates a configuration with the defaults: 24 h binding quarantine, 30 days number
/// quarantine, 200 bindings per usage number, an initial capacity of `NP700_DEFAULT_CAPACITY`
/// bindings, and an index in private memory. On success `*out` is the new handle; free it with
/// `np700_config_free()`.
///
/// # Safety
///
/// `out` must be NULL (refused) or valid for a write of one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_new(out: *mut *mut np700_config) -> np700_status {
    boundary("np700_config_new", || {
        let out = Out::new("out", out)?;
        let settings = Settings {
            core: Config::default(),
            capacity_bindings: NP700_DEFAULT_CAPACITY,
            shared_path: None,
            journal: JournalOptions::default(),
            archive: crate::archive::ArchiveOptions::default(),
        };
        let handle = CONFIGS.insert(WHAT, Mutex::new(settings))?;
        // SAFETY: checked by Out::new; writable by the caller's promise.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Frees a configuration. NULL is a no-op (`NP700_OK`); a stale or already freed handle is
/// `NP700_ERR_INVALID_HANDLE`. Registries created from it are not affected.
///
/// # Safety
///
/// None beyond passing a value that was returned as an `np700_config *` (or NULL): stale values
/// are detected.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_free(config: *mut np700_config) -> np700_status {
    boundary("np700_config_free", || CONFIGS.remove(WHAT, config))
}

fn quarantine(what: &'static str, secs: u64) -> Result<u64, Failure> {
    if secs > NP700_MAX_QUARANTINE_SECS {
        return Err(Failure::new(
            NP700_ERR_OUT_OF_RANGE,
            what,
            "more than NP700_MAX_QUARANTINE_SECS",
        ));
    }
    Ok(secs)
}

/// Sets how long the (usage number, party) pairs of an ended binding are held back, in seconds
/// (0 ..= `NP700_MAX_QUARANTINE_SECS`, else `NP700_ERR_OUT_OF_RANGE`).
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_binding_quarantine(
    config: *mut np700_config,
    secs: u64,
) -> np700_status {
    boundary("np700_config_set_binding_quarantine", || {
        let secs = quarantine("secs", secs)?;
        with_settings(config, |s| {
            s.core.binding_quarantine_secs = secs;
            Ok(())
        })
    })
}

/// Sets how long a management number taken back from a tenant is held back before another tenant
/// may have it, in seconds (0 ..= `NP700_MAX_QUARANTINE_SECS`, else `NP700_ERR_OUT_OF_RANGE`).
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_number_quarantine(
    config: *mut np700_config,
    secs: u64,
) -> np700_status {
    boundary("np700_config_set_number_quarantine", || {
        let secs = quarantine("secs", secs)?;
        with_settings(config, |s| {
            s.core.number_quarantine_secs = secs;
            Ok(())
        })
    })
}

/// Sets the default cap on the bindings one usage number carries for a tenant (AXB, AXYB, GXB):
/// 1 ..= 65535 (0 is `NP700_ERR_OUT_OF_RANGE`). Tenants may set their own.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_default_pair_cap(
    config: *mut np700_config,
    pair_cap: u16,
) -> np700_status {
    boundary("np700_config_set_default_pair_cap", || {
        if pair_cap == 0 {
            return Err(Failure::new(
                NP700_ERR_OUT_OF_RANGE,
                "pair_cap",
                "must be at least 1",
            ));
        }
        with_settings(config, |s| {
            s.core.default_pair_cap = pair_cap;
            Ok(())
        })
    })
}

/// Sets the initial capacity of the routing index, in live bindings (0 ..=
/// `NP700_MAX_CAPACITY`, else `NP700_ERR_OUT_OF_RANGE`). The index grows past it as needed;
/// sizing it for the expected peak avoids rebuilding it while running.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_capacity(
    config: *mut np700_config,
    bindings: usize,
) -> np700_status {
    boundary("np700_config_set_capacity", || {
        if bindings > NP700_MAX_CAPACITY {
            return Err(Failure::new(
                NP700_ERR_OUT_OF_RANGE,
                "bindings",
                "more than NP700_MAX_CAPACITY",
            ));
        }
        with_settings(config, |s| {
            s.capacity_bindings = bindings;
            Ok(())
        })
    })
}

/// Publishes the routing index of registries created from this configuration in a shared
/// mapping at `path` (a file, normally under `/dev/shm`), for reader processes to attach with
/// `np700_reader_attach()`. `(NULL, 0)` goes back to private memory. The path is UTF-8, at most
/// `NP700_MAX_PATH_LEN` bytes (`NP700_ERR_TOO_LONG`); the file is created when the registry is,
/// with `<path>.ctl` beside it (the control region readers count and queue records into) and,
/// while the index grows, `<path>.new`. Freeing the registry leaves `path` and `<path>.ctl` in
/// place — readers keep answering, and the next writer at `path` takes them over —; remove
/// both to decommission (under `/dev/shm` they hold memory).
///
/// # Safety
///
/// `path` must be NULL or valid for reads of `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_shared_path(
    config: *mut np700_config,
    path: *const c_char,
    path_len: usize,
) -> np700_status {
    boundary("np700_config_set_shared_path", || {
        // SAFETY: the caller's promise.
        let path = unsafe {
            str_arg(
                "path",
                path,
                path_len,
                NP700_MAX_PATH_LEN,
                NP700_ERR_TOO_LONG,
            )
        }?;
        let path = (!path.is_empty()).then(|| PathBuf::from(path));
        with_settings(config, |s| {
            s.shared_path = path;
            Ok(())
        })
    })
}

/// When a journaled registry acknowledges a write (`NP700_COMMIT_*`).
#[allow(non_camel_case_types)]
pub type np700_commit = u32;
/// After a sync covering the write, shared by writers arriving meanwhile (the default).
pub const NP700_COMMIT_GROUP: np700_commit = 0;
/// After a sync of its own, made before readers see the write.
pub const NP700_COMMIT_PER_WRITE: np700_commit = 1;
/// At once, before any sync: NOT durable (an acknowledged write may be lost in a crash).
pub const NP700_COMMIT_NOT_DURABLE: np700_commit = 2;

/// Sets how registries opened from this configuration with `np700_registry_open()` keep their
/// journal: `commit` is an `NP700_COMMIT_*` value (else `NP700_ERR_BAD_ENUM`);
/// `snapshot_after_bytes` writes a snapshot, within the write that crosses it, once the current
/// journal segment holds that many bytes (0: only when `np700_registry_snapshot()` is called).
/// The defaults are `NP700_COMMIT_GROUP` and 256 MiB. No effect on `np700_registry_new()`.
///
/// # Safety
///
/// None beyond passing a handle (stale ones are detected).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn np700_config_set_journal(
    config: *mut np700_config,
    commit: np700_commit,
    snapshot_after_bytes: u64,
) -> np700_status {
    boundary("np700_config_set_journal", || {
        let commit = match commit {
            NP700_COMMIT_GROUP => Commit::Group,
            NP700_COMMIT_PER_WRITE => Commit::PerWrite,
            NP700_COMMIT_NOT_DURABLE => Commit::NotDurable,
            _ => {
                return Err(Failure::new(
                    NP700_ERR_BAD_ENUM,
                    "commit",
                    "not an NP700_COMMIT_* value",
                ));
            }
        };
        with_settings(config, |s| {
            s.journal = JournalOptions {
                commit,
                snapshot_after_bytes: (snapshot_after_bytes > 0).then_some(snapshot_after_bytes),
            };
            Ok(())
        })
    })
}
