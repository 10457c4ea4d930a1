//! A reader process's handle on a writer's index in a shared mapping.
#![forbid(unsafe_code)]

use super::Index;
use super::shm::Mapping;
use crate::binding::Media;
use crate::control::gate;
use crate::control::region::Region;
use crate::control::sms::SmsRules;
use crate::number::{DialedNumber, SubscriberNumber};
use crate::route::Decision;
use crate::time::Timestamp;
use arc_swap::{ArcSwap, ArcSwapOption};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Why attaching to a shared index failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachError {
    /// The file could not be opened or mapped.
    #[error("cannot map the index: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not an np700 index (or its writer has not finished creating it).
    #[error("not an np700 index")]
    NotAnIndex,
    /// The index was written by an incompatible version of np700.
    #[error("index layout version {found} is not supported")]
    IncompatibleLayout {
        /// The version found.
        found: u64,
    },
    /// The file is smaller than its header says.
    #[error("index file is truncated or its header is corrupt")]
    Truncated,
}

/// A read-only view of the index a writer process publishes at a path: route from any thread
/// of any process, with the writer's live data.
///
/// When the writer grows its index or restarts, it publishes a new index at the same path and
/// marks the old one retired; the next lookup notices and attaches to the new one (the only
/// moment a lookup makes system calls). Until then, lookups answer from the old index, frozen at
/// the moment of the switch.
///
/// The SMS rules are the writer's [`crate::Config::sms`], read from its control region
/// (`<path>.ctl`) when attaching; without a region (or valid rules in it) a reader applies
/// [`SmsRules::default`]. [`SharedIndex::set_sms_rules`] overrides them.
pub struct SharedIndex {
    path: PathBuf,
    current: ArcSwap<Index>,
    /// The writer's control region (`<path>.ctl`): counters, block table, record queues.
    /// `None` if there was none to attach to; lookups then apply no dynamic controls.
    region: ArcSwapOption<Region>,
    reattaching: Mutex<()>,
    sms: ArcSwap<SmsRules>,
}

/// The SMS rules a writer stored in its control region ([`SmsRules::encode`]), if it stored
/// valid ones.
fn writers_rules(region: &Region) -> Option<SmsRules> {
    SmsRules::decode(region.sms_bytes()).ok()
}

impl SharedIndex {
    /// Attaches read-only to the index published at `path`.
    pub fn attach(path: impl AsRef<Path>) -> Result<SharedIndex, AttachError> {
        let path = path.as_ref().to_path_buf();
        let index = Index::from_mapping(Mapping::open_read_only(&path)?)?;
        let region = Region::attach(&Region::path_for(&path)).ok().map(Arc::new);
        let sms = region
            .as_deref()
            .and_then(writers_rules)
            .unwrap_or_default();
        Ok(SharedIndex {
            path,
            current: ArcSwap::from_pointee(index),
            region: ArcSwapOption::new(region),
            reattaching: Mutex::new(()),
            sms: ArcSwap::from_pointee(sms),
        })
    }

    /// The index at `path` mapped writable, for a restarted writer to retire it.
    pub(crate) fn attach_writable(path: &Path) -> Result<Index, AttachError> {
        Index::from_mapping(Mapping::open_writable(path)?)
    }

    /// The generation of the index currently read.
    pub fn generation(&self) -> u64 {
        self.current.load().generation()
    }

    /// The control region to count in now, attaching to a newer one first if the writer
    /// replaced it (a new writer started).
    fn region(&self) -> arc_swap::Guard<Option<Arc<Region>>> {
        let current = self.region.load();
        if current.as_ref().is_some_and(|r| !r.is_retired()) {
            return current;
        }
        if let Ok(_only_me) = self.reattaching.try_lock() {
            let latest = self.region.load();
            if latest.as_ref().is_none_or(|r| r.is_retired())
                && let Ok(next) = Region::attach(&Region::path_for(&self.path))
                && latest
                    .as_ref()
                    .is_none_or(|r| next.generation() > r.generation())
            {
                // A new writer: its SMS rules too.
                if let Some(rules) = writers_rules(&next) {
                    self.sms.store(Arc::new(rules));
                }
                self.region.store(Some(Arc::new(next)));
            }
        }
        self.region.load()
    }

    /// The index to read now, attaching to a newer one first if the writer retired this one.
    fn index(&self) -> arc_swap::Guard<Arc<Index>> {
        let current = self.current.load();
        if !current.is_retired() {
            return current;
        }
        // One thread re-attaches; the others keep reading the old index meanwhile (no waiting).
        if let Ok(_only_me) = self.reattaching.try_lock() {
            let latest = self.current.load();
            if latest.is_retired()
                && let Ok(next) = Mapping::open_read_only(&self.path)
                    .map_err(AttachError::from)
                    .and_then(Index::from_mapping)
                && next.generation() > latest.generation()
            {
                self.current.store(Arc::new(next));
            }
        }
        self.current.load()
    }

    /// Sets the SMS rules this reader applies, in place of the writer's (which it takes from
    /// the writer's control region when it attaches, and again when a new writer replaces the
    /// region). Routes in progress finish under the rules they started with. Takes effect at
    /// once for every thread.
    pub fn set_sms_rules(&self, rules: SmsRules) {
        self.sms.store(Arc::new(rules));
    }

    /// The SMS rules this reader applies.
    pub fn sms_rules(&self) -> Arc<SmsRules> {
        self.sms.load_full()
    }

    /// Routes a call or SMS from the strings a switch sees, as [`crate::Registry::route`]
    /// (with the SMS rules of [`SharedIndex::set_sms_rules`]): through the writer's controls
    /// (counters shared with every other router of that writer) and into its record queue.
    pub fn route(&self, caller: &str, dialed: &str, media: Media, now: Timestamp) -> Decision {
        self.route_screened(caller, dialed, media, None, now)
    }

    /// Routes an SMS whose text the switch passes, as [`crate::Registry::route_message`]
    /// (with the SMS rules of [`SharedIndex::set_sms_rules`]).
    pub fn route_message(
        &self,
        caller: &str,
        dialed: &str,
        text: &[u8],
        now: Timestamp,
    ) -> Decision {
        self.route_screened(caller, dialed, Media::Sms, Some(text), now)
    }

    fn route_screened(
        &self,
        caller: &str,
        dialed: &str,
        media: Media,
        text: Option<&[u8]>,
        now: Timestamp,
    ) -> Decision {
        // The region first: attaching to a new writer's takes its SMS rules.
        let region = self.region();
        let index = self.index();
        let sms = self.sms.load();
        match &*region {
            Some(region) => gate::route_controlled(
                region,
                (caller, dialed, media, now),
                &sms,
                text,
                |c, d, touch| index.route_dialed_hooked(c, d, media, now, touch),
                |x| index.holder(x),
            ),
            None => crate::route::route_strings(caller, dialed, media, &sms, text, |c, d| {
                index.route_dialed(c, d, media, now)
            }),
        }
    }

    /// Routes a parsed request, as [`SharedIndex::route`].
    /// The SMS rules look at the strings a switch hands over, so they are not applied here:
    /// screen an SMS with [`crate::control::sms::SmsRules::screen`] first, or route strings.
    pub fn route_dialed(
        &self,
        caller: Option<SubscriberNumber>,
        dialed: DialedNumber,
        media: Media,
        now: Timestamp,
    ) -> Decision {
        let index = self.index();
        match &*self.region() {
            Some(region) => gate::route_dialed_controlled(
                region,
                caller,
                dialed,
                media,
                now,
                |c, d, touch| index.route_dialed_hooked(c, d, media, now, touch),
                |x| index.holder(x),
            ),
            None => index.route_dialed(caller, dialed, media, now),
        }
    }
}
