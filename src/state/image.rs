//! The state as plain data, for snapshots and hand-over: what cannot be derived (tenants, number
//! resources, live bindings, quarantined route entries, the next ids), in a form serde writes
//! and reads. Restoring rebuilds the derived tables the same way applying events does, so a
//! restored state equals the one imaged.
#![forbid(unsafe_code)]

use super::{Quarantine, State};
use crate::binding::{Binding, Party};
use crate::config::Config;
use crate::number::UsageNumber;
use crate::pool::NumberPool;
use crate::tenant::Tenant;
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

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
        let mut out = s.serialize_struct("StateImage", 6)?;
        out.serialize_field("tenants", &Seq(st.tenants.len(), || st.tenants.values()))?;
        out.serialize_field("next_tenant", &st.next_tenant)?;
        out.serialize_field("pool", &st.pool)?;
        out.serialize_field("bindings", &Seq(st.bindings.len(), || st.bindings.values()))?;
        out.serialize_field("next_binding", &st.next_binding)?;
        out.serialize_field("quarantines", &Seq(quarantines().count(), quarantines))?;
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
    /// no two bindings or quarantines on one route entry.
    pub fn from_image(config: Config, image: StateImage) -> Result<State, ImageError> {
        let mut st = State::new(config);
        if image.next_tenant == 0 || image.next_binding == 0 {
            return Err(ImageError("next ids must be positive"));
        }
        st.next_tenant = image.next_tenant;
        st.next_binding = image.next_binding;
        for t in image.tenants {
            if t.id.raw() >= image.next_tenant {
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
        st.pool = image.pool;
        let mut last = 0;
        for b in image.bindings {
            let id = b.id.raw();
            if id <= last || id >= image.next_binding {
                return Err(ImageError(
                    "binding ids out of order or past the next binding id",
                ));
            }
            last = id;
            let taken = b
                .entry_keys()
                .any(|(x, p, _)| st.usage.get(&x).is_some_and(|e| e.routes.contains_key(&p)));
            if taken {
                return Err(ImageError("two bindings on one route entry"));
            }
            st.install(b);
        }
        for q in image.quarantines {
            let entry = st.usage.get_or_default(q.number);
            if entry.routes.contains_key(&q.party) || entry.quarantine.contains_key(&q.party) {
                return Err(ImageError("a quarantine on a route entry already in use"));
            }
            entry.quarantine.insert(q.party, q.quarantine);
            st.quarantine_ends
                .insert(q.quarantine.until, (q.number, q.party));
            st.note_party(q.number, q.party);
        }
        Ok(st)
    }
}
