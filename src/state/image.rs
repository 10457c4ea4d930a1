//! The state as plain data, for snapshots and hand-over: what cannot be derived (tenants, number
//! resources, live bindings, quarantined route entries, the next ids, real-user reports), in a
//! form serde writes
//! and reads. Restoring rebuilds the derived tables the same way applying events does, so a
//! restored state equals the one imaged.
#![forbid(unsafe_code)]

use super::due::DueSets;
use super::{Quarantine, State};
use crate::binding::{Binding, BindingId, Party};
use crate::config::Config;
use crate::control::block::{BlockList, BlockRule};
use crate::control::real_user::RealUsers;
use crate::number::{SubscriberNumber, UsageNumber};
use crate::pool::NumberPool;
use crate::tenant::Tenant;
use crate::time::Timestamp;
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A quarantined route entry, as imaged (and as a hand-over carries it).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuarantinedEntry {
    /// The usage number.
    pub number: UsageNumber,
    /// The party held back on it.
    pub party: Party,
    /// The quarantine.
    pub quarantine: Quarantine,
}

/// An owned image of a [`State`] (what [`State::image`] writes, read back).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StateImage {
    /// Every tenant, by id.
    pub tenants: Vec<Tenant>,
    /// The id the next tenant gets.
    pub next_tenant: u32,
    /// Licensed blocks and who holds which management number.
    pub pool: NumberPool,
    /// Live bindings, by id.
    pub bindings: Vec<Binding>,
    /// The id the next binding gets.
    pub next_binding: u64,
    /// Quarantined route entries, by usage number.
    pub quarantines: Vec<QuarantinedEntry>,
    /// Real-user report requirements and reports.
    pub real_users: RealUsers,
    /// Block rules, by id (none when missing).
    #[serde(default)]
    pub block_rules: Vec<BlockRule>,
    /// The id the next block rule gets (1 when missing).
    #[serde(default = "first_block_id")]
    pub next_block: u64,
}

/// Why an image cannot be restored (it was not written by [`State::image`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("inconsistent state image: {0}")]
pub struct ImageError(pub &'static str);

/// Serializes a state in the layout of [`StateImage`] without copying it.
pub struct ImageRef<'a>(&'a State);

impl Serialize for ImageRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let st = self.0;
        let quarantines = || {
            st.usage.iter().flat_map(|(number, entry)| {
                entry
                    .quarantine
                    .iter()
                    .map(move |(party, quarantine)| QuarantinedEntry {
                        number,
                        party: *party,
                        quarantine: *quarantine,
                    })
            })
        };
        let mut out = s.serialize_struct("StateImage", 9)?;
        out.serialize_field("tenants", &Seq(st.tenants.len(), || st.tenants.values()))?;
        out.serialize_field("next_tenant", &st.next_tenant)?;
        out.serialize_field("pool", &st.pool)?;
        out.serialize_field("bindings", &Seq(st.bindings.len(), || st.bindings.values()))?;
        out.serialize_field("next_binding", &st.next_binding)?;
        out.serialize_field("quarantines", &Seq(quarantines().count(), quarantines))?;
        out.serialize_field("real_users", &st.real_users)?;
        let rules = &st.block_list;
        out.serialize_field("block_rules", &Seq(rules.len(), || rules.iter()))?;
        out.serialize_field("next_block", &rules.next_id().raw())?;
        out.end()
    }
}

/// A sequence serialized from an iterator of known length (compact formats such as postcard
/// write the length first).
struct Seq<F>(usize, F);

impl<F: Fn() -> I, I: Iterator<Item = T>, T: Serialize> Serialize for Seq<F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0))?;
        for item in (self.1)() {
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

impl State {
    /// The state as data to serialize (borrowed: nothing is copied).
    pub fn image(&self) -> ImageRef<'_> {
        ImageRef(self)
    }

    /// Rebuilds a state from an image under `config` (used for new commands; the image's
    /// quarantine ends are kept as they were).
    ///
    /// The image is checked, so one not written by [`State::image`] is refused, never installed
    /// half-way into something inconsistent: ids in increasing order and below the next ids,
    /// no two bindings or quarantines on one route entry, block rules well formed, of known
    /// tenants and within their limits.
    pub fn from_image(config: Config, image: StateImage) -> Result<State, ImageError> {
        let mut r = Restore::new(config, image.tenants, image.next_tenant, image.pool)?;
        let mut coming = image.bindings.len();
        for b in image.bindings {
            coming -= 1;
            r.binding(b, coming)?;
        }
        let st = r.finish(image.next_binding, image.quarantines, image.real_users)?;
        restore_blocks(st, image.block_rules, image.next_block)
    }

    /// Reads an image serialized from [`State::image`] (the layout of [`StateImage`]) straight
    /// into a state under `config`, checked as [`State::from_image`] checks it, without
    /// holding the bindings in between: each is installed as it is decoded.
    pub fn deserialize_image<'de, D: Deserializer<'de>>(
        config: Config,
        deserializer: D,
    ) -> Result<State, RestoreError<D::Error>> {
        Self::deserialize_image_with(config, deserializer, FIELDS)
    }

    /// [`State::deserialize_image`] for an image written before real-user reports existed
    /// (without their field): the state has none.
    pub(crate) fn deserialize_legacy_image<'de, D: Deserializer<'de>>(
        config: Config,
        deserializer: D,
    ) -> Result<State, RestoreError<D::Error>> {
        Self::deserialize_image_with(config, deserializer, &FIELDS[..LEGACY_FIELDS])
    }

    fn deserialize_image_with<'de, D: Deserializer<'de>>(
        config: Config,
        deserializer: D,
        fields: &'static [&'static str],
    ) -> Result<State, RestoreError<D::Error>> {
        let mut refused = None;
        let seed = ImageSeed {
            config,
            refused: &mut refused,
            fields,
        };
        match seed.deserialize(deserializer) {
            Ok(state) => Ok(state),
            Err(e) => Err(refused.map_or(RestoreError::Decode(e), RestoreError::Image)),
        }
    }
}

/// Why [`State::deserialize_image`] failed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError<E> {
    /// The bytes do not decode as an image.
    #[error("image does not decode: {0}")]
    Decode(E),
    /// They decode, but not to an image [`State::image`] writes.
    #[error(transparent)]
    Image(ImageError),
}

/// A state being restored from an image: bindings arrive in id order and are installed one by
/// one; the derived tables that would otherwise be grown a key at a time (party numbers,
/// expiries) are built once at the end from what was collected.
struct Restore {
    st: State,
    last_binding: u64,
    /// (party, usage number) of every caller entry, live or quarantined.
    parties: Vec<(SubscriberNumber, UsageNumber)>,
    expiries: Vec<(Timestamp, BindingId)>,
}

impl Restore {
    fn new(
        config: Config,
        tenants: Vec<Tenant>,
        next_tenant: u32,
        pool: NumberPool,
    ) -> Result<Restore, ImageError> {
        let mut st = State::new(config);
        if next_tenant == 0 {
            return Err(ImageError("next ids must be positive"));
        }
        // Tenant ids are 1..=n in order (see `State::apply`); the index keeps a word per id.
        if next_tenant as usize != tenants.len() + 1 {
            return Err(ImageError("tenant ids are not 1..=n"));
        }
        st.next_tenant = next_tenant;
        for t in tenants {
            if t.id.raw() >= next_tenant {
                return Err(ImageError("tenant id at or past the next tenant id"));
            }
            if st
                .tenants
                .last_key_value()
                .is_some_and(|(id, _)| *id >= t.id)
            {
                return Err(ImageError("tenants out of order"));
            }
            st.tenants.insert(t.id, t);
        }
        st.pool = pool;
        Ok(Restore {
            st,
            last_binding: 0,
            parties: Vec::new(),
            expiries: Vec::new(),
        })
    }

    /// Installs one binding (as [`State::install`] does, the derived tables collected for
    /// later); at most `coming` more follow.
    fn binding(&mut self, b: Binding, coming: usize) -> Result<(), ImageError> {
        let id = b.id.raw();
        if id <= self.last_binding {
            return Err(ImageError(
                "binding ids out of order or past the next binding id",
            ));
        }
        self.last_binding = id;
        if self.parties.capacity() == 0 {
            // Two caller entries per binding is the usual (AXB); a guess, not a limit.
            self.parties.reserve(2 * (coming + 1));
            self.expiries.reserve(coming + 1);
        }
        let usage = &mut self.st.usage;
        // A number's entries are adjacent: look each number up once.
        let mut keys = b.entry_keys().peekable();
        while let Some((x, first, _)) = keys.next() {
            let entry = usage.get_or_default(x);
            let mut p = first;
            loop {
                if entry.routes.insert(p, b.id).is_some() {
                    return Err(ImageError("two bindings on one route entry"));
                }
                if let Party::Caller(s) = p {
                    self.parties.push((s, x));
                }
                match keys.next_if(|(next, _, _)| *next == x) {
                    Some((_, next, _)) => p = next,
                    None => break,
                }
            }
        }
        self.expiries.push((b.expires_at, b.id));
        self.st.bindings.push_sorted(b.id, b, coming + 1);
        Ok(())
    }

    fn finish(
        mut self,
        next_binding: u64,
        quarantines: Vec<QuarantinedEntry>,
        real_users: RealUsers,
    ) -> Result<State, ImageError> {
        let st = &mut self.st;
        if !real_users.names_only(|t| st.tenants.contains_key(&t)) {
            return Err(ImageError("real-user reports of an unknown tenant"));
        }
        st.real_users = real_users;
        if next_binding == 0 {
            return Err(ImageError("next ids must be positive"));
        }
        if self.last_binding >= next_binding {
            return Err(ImageError(
                "binding ids out of order or past the next binding id",
            ));
        }
        st.next_binding = next_binding;
        st.bindings.trim_last();
        for q in quarantines {
            let entry = st.usage.get_or_default(q.number);
            if entry.routes.contains_key(&q.party) || entry.quarantine.contains_key(&q.party) {
                return Err(ImageError("a quarantine on a route entry already in use"));
            }
            entry.quarantine.insert(q.party, q.quarantine);
            st.quarantine_ends
                .insert(q.quarantine.until, (q.number, q.party));
            if let Party::Caller(s) = q.party {
                self.parties.push((s, q.number));
            }
        }
        // Sorted once, then built in one pass (inserting millions of keys one at a time into
        // a B-tree costs a descent each).
        self.parties.sort_unstable();
        st.party_numbers = self.parties.into_iter().collect();
        st.expiries = DueSets::from_items(self.expiries);
        Ok(self.st)
    }
}

/// The id of the first block rule (an image without block lists' next id).
fn first_block_id() -> u64 {
    1
}

/// Installs an image's block rules into a restored state.
fn restore_blocks(mut st: State, rules: Vec<BlockRule>, next: u64) -> Result<State, ImageError> {
    if rules
        .iter()
        .filter_map(|r| r.owner)
        .any(|t| st.tenant(t).is_none())
    {
        return Err(ImageError("a block rule of an unknown tenant"));
    }
    st.block_list = BlockList::restore(rules, next).map_err(ImageError)?;
    Ok(st)
}

/// The field names of [`StateImage`], in order.
const FIELDS: &[&str] = &[
    "tenants",
    "next_tenant",
    "pool",
    "bindings",
    "next_binding",
    "quarantines",
    "real_users",
    "block_rules",
    "next_block",
];

/// The fields of an image written before real-user reports existed.
const LEGACY_FIELDS: usize = 6;

/// Deserializes an image into a state (see [`State::deserialize_image`]); an image error is
/// left in `refused` (serde errors carry only text).
struct ImageSeed<'a> {
    config: Config,
    refused: &'a mut Option<ImageError>,
    /// The fields expected: [`FIELDS`], or the legacy ones before real-user reports.
    fields: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for ImageSeed<'_> {
    type Value = State;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<State, D::Error> {
        d.deserialize_struct("StateImage", self.fields, self)
    }
}

impl<'de> Visitor<'de> for ImageSeed<'_> {
    type Value = State;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a state image")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<State, A::Error> {
        let missing = |i| de::Error::invalid_length(i, &"six, seven or nine fields");
        let legacy = self.fields.len() == LEGACY_FIELDS;
        let refused = self.refused;
        let mut refuse = |e: ImageError| {
            let message = e.0;
            *refused = Some(e);
            de::Error::custom(message)
        };
        let tenants: Vec<Tenant> = seq.next_element()?.ok_or_else(|| missing(0))?;
        let next_tenant: u32 = seq.next_element()?.ok_or_else(|| missing(1))?;
        let pool: NumberPool = seq.next_element()?.ok_or_else(|| missing(2))?;
        let mut r = Restore::new(self.config, tenants, next_tenant, pool).map_err(&mut refuse)?;
        let mut failed = None;
        seq.next_element_seed(Bindings {
            restore: &mut r,
            failed: &mut failed,
        })
        .map_err(|e| match failed.take() {
            Some(f) => refuse(f),
            None => e,
        })?
        .ok_or_else(|| missing(3))?;
        let next_binding: u64 = seq.next_element()?.ok_or_else(|| missing(4))?;
        let quarantines: Vec<QuarantinedEntry> = seq.next_element()?.ok_or_else(|| missing(5))?;
        let real_users: RealUsers = if legacy {
            RealUsers::default()
        } else {
            seq.next_element()?.ok_or_else(|| missing(6))?
        };
        // Images written before block lists end after the real-user reports (and legacy ones
        // after the quarantines): read as having no rules.
        let (block_rules, next_block) = if legacy {
            (Vec::new(), 1)
        } else {
            let block_rules = seq.next_element_seed(Tail::<Vec<BlockRule>>::default())?;
            let next_block = seq.next_element_seed(Tail::<u64>::default())?;
            match (block_rules.flatten(), next_block.flatten()) {
                (Some(rules), Some(next)) => (rules, next),
                (None, None) => (Vec::new(), 1),
                _ => return Err(refuse(ImageError("block rules without the next block id"))),
            }
        };
        let st = r
            .finish(next_binding, quarantines, real_users)
            .map_err(&mut refuse)?;
        restore_blocks(st, block_rules, next_block).map_err(refuse)
    }
}

/// A trailing field that an older image does not have: `None` where decoding it fails (the
/// input ended). A compact format (postcard) reports the end of input as an error; a snapshot's
/// reader then still refuses bytes left over after the state.
struct Tail<T>(std::marker::PhantomData<T>);

impl<T> Default for Tail<T> {
    fn default() -> Self {
        Tail(std::marker::PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Tail<T> {
    type Value = Option<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        Ok(T::deserialize(d).ok())
    }
}

/// The bindings of an image, installed as they are decoded.
struct Bindings<'a> {
    restore: &'a mut Restore,
    failed: &'a mut Option<ImageError>,
}

impl<'de> DeserializeSeed<'de> for Bindings<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Bindings<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence of bindings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Compact formats (postcard) give the exact count; it only sizes reservations.
        let mut coming = seq.size_hint().unwrap_or(0);
        while let Some(b) = seq.next_element::<Binding>()? {
            coming = coming.saturating_sub(1);
            if let Err(e) = self.restore.binding(b, coming) {
                let message = e.0;
                *self.failed = Some(e);
                return Err(de::Error::custom(message));
            }
        }
        Ok(())
    }
}
