//! Number resources: the platform's licensed blocks of management numbers, which tenant holds
//! which of them (exclusively), their quarantine after being taken back, and how a binding asks
//! for usage numbers.
//!
//! The invariant this module exists for: a management number — and so every one of its 10,000
//! usage numbers — belongs to at most one tenant at a time, and one taken back from a tenant is
//! held in quarantine before another tenant can have it.
#![forbid(unsafe_code)]

mod selection;

pub use selection::{Exhaustion, InvalidTag, MAX_TAG_LEN, NumberChoice, Selection, Tag, TagMatch};

use crate::number::{ManagementNumber, UsageNumber};
use crate::tenant::TenantId;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A contiguous range of management numbers licensed to the platform by the regulator.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LicensedBlock {
    /// The first management number.
    pub first: ManagementNumber,
    /// How many management numbers (at least 1).
    pub count: u32,
}

/// The most management numbers one licensed block may hold (a 700 allocation is far smaller;
/// the bound keeps a typo from licensing the whole segment).
pub const MAX_BLOCK_LEN: u32 = 100_000;

impl LicensedBlock {
    /// The last management number, or `None` if the block runs past the 700 segment.
    pub fn last(&self) -> Option<ManagementNumber> {
        self.first
            .checked_add(u64::from(self.count.checked_sub(1)?))
    }

    /// Whether `number` is inside the block.
    pub fn contains(&self, number: ManagementNumber) -> bool {
        self.last()
            .is_some_and(|last| self.first <= number && number <= last)
    }

    fn overlaps(&self, other: &LicensedBlock) -> bool {
        match (self.last(), other.last()) {
            (Some(a_last), Some(b_last)) => self.first <= b_last && other.first <= a_last,
            _ => false,
        }
    }
}

/// Who holds a licensed management number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Holding {
    /// Nobody: it can be assigned.
    Free,
    /// A tenant, with the tags the platform gave it (city, scenario, …) for selection.
    Assigned {
        /// The holder.
        tenant: TenantId,
        /// Selection tags, sorted, without duplicates.
        tags: Vec<Tag>,
        /// Since when.
        since: Timestamp,
    },
    /// Taken back from `former`; no other tenant may have it before `until`.
    Quarantined {
        /// The tenant it was taken back from (it may have it back at once).
        former: TenantId,
        /// End of the quarantine.
        until: Timestamp,
    },
}

/// The platform's number resources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberPool {
    blocks: Vec<LicensedBlock>,
    // Only numbers that are assigned or quarantined; every other licensed number is free.
    holdings: BTreeMap<ManagementNumber, Holding>,
    by_tenant: BTreeMap<TenantId, BTreeSet<ManagementNumber>>,
}

/// Why a change to the number resources is refused (wrapped by [`crate::Error`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The block is empty, too long, or runs past the 700 segment.
    #[error(
        "licensed block starting at {first} with {count} numbers is not a valid range (1..={MAX_BLOCK_LEN} numbers inside the 700 segment)"
    )]
    InvalidBlock {
        /// Its first number.
        first: ManagementNumber,
        /// Its length.
        count: u32,
    },
    /// The block overlaps a block already licensed.
    #[error("licensed block starting at {first} overlaps an existing block")]
    BlockOverlaps {
        /// Its first number.
        first: ManagementNumber,
    },
    /// The management number is in none of the platform's licensed blocks.
    #[error("management number {0} is not licensed to this platform")]
    NotLicensed(ManagementNumber),
    /// The management number is held by another tenant (no mixing of tenants' resources).
    #[error("management number {0} is held by another tenant")]
    HeldByAnotherTenant(ManagementNumber),
    /// The tenant already holds it.
    #[error("management number {0} is already assigned to this tenant")]
    AlreadyAssigned(ManagementNumber),
    /// It was taken back from another tenant and is in quarantine.
    #[error("management number {number} is in quarantine until {until}")]
    InQuarantine {
        /// The number.
        number: ManagementNumber,
        /// End of the quarantine.
        until: Timestamp,
    },
    /// The tenant does not hold it.
    #[error("management number {number} is not held by {tenant}")]
    NotHeld {
        /// The number.
        number: ManagementNumber,
        /// The tenant that asked.
        tenant: TenantId,
    },
}

impl NumberPool {
    /// The licensed blocks, in the order they were licensed.
    pub fn blocks(&self) -> &[LicensedBlock] {
        &self.blocks
    }

    /// Whether a management number is licensed to the platform.
    pub fn is_licensed(&self, number: ManagementNumber) -> bool {
        self.blocks.iter().any(|b| b.contains(number))
    }

    /// Who holds `number` at `now` (a quarantine that has run out reads as free).
    pub fn holding(&self, number: ManagementNumber, now: Timestamp) -> Option<Holding> {
        if !self.is_licensed(number) {
            return None;
        }
        Some(match self.holdings.get(&number) {
            Some(Holding::Quarantined { until, .. }) if *until <= now => Holding::Free,
            Some(h) => h.clone(),
            None => Holding::Free,
        })
    }

    /// The tenant holding `number`, if any.
    pub fn holder(&self, number: ManagementNumber) -> Option<TenantId> {
        match self.holdings.get(&number) {
            Some(Holding::Assigned { tenant, .. }) => Some(*tenant),
            _ => None,
        }
    }

    /// The tenant holding the management number of usage number `x`, if any.
    pub fn holder_of_usage(&self, x: UsageNumber) -> Option<TenantId> {
        self.holder(x.management())
    }

    /// The tags of a held number (empty when not held).
    pub fn tags(&self, number: ManagementNumber) -> &[Tag] {
        match self.holdings.get(&number) {
            Some(Holding::Assigned { tags, .. }) => tags,
            _ => &[],
        }
    }

    /// The management numbers a tenant holds, in order.
    pub fn held_by(&self, tenant: TenantId) -> impl Iterator<Item = ManagementNumber> + '_ {
        self.by_tenant.get(&tenant).into_iter().flatten().copied()
    }

    /// How many management numbers a tenant holds.
    pub fn count_held_by(&self, tenant: TenantId) -> usize {
        self.by_tenant.get(&tenant).map_or(0, BTreeSet::len)
    }

    /// Every assigned or quarantined number with its holding (free numbers are not listed).
    pub fn holdings(&self) -> impl Iterator<Item = (ManagementNumber, &Holding)> + '_ {
        self.holdings.iter().map(|(n, h)| (*n, h))
    }

    /// Checks that `block` may be licensed.
    pub fn check_license(&self, block: &LicensedBlock) -> Result<(), PoolError> {
        if block.count == 0 || block.count > MAX_BLOCK_LEN || block.last().is_none() {
            return Err(PoolError::InvalidBlock {
                first: block.first,
                count: block.count,
            });
        }
        if self.blocks.iter().any(|b| b.overlaps(block)) {
            return Err(PoolError::BlockOverlaps { first: block.first });
        }
        Ok(())
    }

    /// Checks that `number` may be assigned to `tenant` at `now`.
    pub fn check_assign(
        &self,
        number: ManagementNumber,
        tenant: TenantId,
        now: Timestamp,
    ) -> Result<(), PoolError> {
        match self.holding(number, now) {
            None => Err(PoolError::NotLicensed(number)),
            Some(Holding::Free) => Ok(()),
            Some(Holding::Assigned { tenant: t, .. }) if t == tenant => {
                Err(PoolError::AlreadyAssigned(number))
            }
            Some(Holding::Assigned { .. }) => Err(PoolError::HeldByAnotherTenant(number)),
            Some(Holding::Quarantined { former, .. }) if former == tenant => Ok(()),
            Some(Holding::Quarantined { until, .. }) => {
                Err(PoolError::InQuarantine { number, until })
            }
        }
    }

    /// Checks that `tenant` holds `number` (before taking it back or using its usage numbers).
    pub fn check_held(&self, number: ManagementNumber, tenant: TenantId) -> Result<(), PoolError> {
        if !self.is_licensed(number) {
            return Err(PoolError::NotLicensed(number));
        }
        match self.holder(number) {
            Some(t) if t == tenant => Ok(()),
            _ => Err(PoolError::NotHeld { number, tenant }),
        }
    }

    pub(crate) fn license(&mut self, block: LicensedBlock) {
        self.blocks.push(block);
    }

    pub(crate) fn assign(
        &mut self,
        number: ManagementNumber,
        tenant: TenantId,
        tags: Vec<Tag>,
        at: Timestamp,
    ) {
        self.holdings.insert(
            number,
            Holding::Assigned {
                tenant,
                tags,
                since: at,
            },
        );
        self.by_tenant.entry(tenant).or_default().insert(number);
    }

    pub(crate) fn reclaim(&mut self, number: ManagementNumber, until: Timestamp) {
        if let Some(Holding::Assigned { tenant, .. }) = self.holdings.get(&number).cloned() {
            if let Some(set) = self.by_tenant.get_mut(&tenant) {
                set.remove(&number);
                if set.is_empty() {
                    self.by_tenant.remove(&tenant);
                }
            }
            self.holdings.insert(
                number,
                Holding::Quarantined {
                    former: tenant,
                    until,
                },
            );
        }
    }

    /// Puts a number no tenant holds in quarantine after `former` (a hand-over); a number that
    /// is assigned is left as it is.
    pub(crate) fn quarantine(
        &mut self,
        number: ManagementNumber,
        former: TenantId,
        until: Timestamp,
    ) {
        if !matches!(self.holdings.get(&number), Some(Holding::Assigned { .. })) {
            self.holdings
                .insert(number, Holding::Quarantined { former, until });
        }
    }

    /// Forgets number quarantines that have run out by `at`.
    pub(crate) fn prune(&mut self, at: Timestamp) {
        self.holdings
            .retain(|_, h| !matches!(h, Holding::Quarantined { until, .. } if *until <= at));
    }
}
