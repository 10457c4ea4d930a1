//! Tenants: the business users (业务使用方) that contract the platform, and their standing.
//!
//! A tenant owns number resources exclusively (see [`crate::pool`]); its status decides whether it
//! may create bindings and whether its bindings route; its credit record keeps the violations the
//! platform is required to track.
#![forbid(unsafe_code)]

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A tenant's identifier, assigned by the registry in order and never reused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(u32);

impl TenantId {
    /// The identifier with this raw value (as carried in events and across the C ABI).
    pub const fn from_raw(raw: u32) -> Self {
        TenantId(raw)
    }
    /// The raw value.
    pub const fn raw(self) -> u32 {
        self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tenant#{}", self.0)
    }
}

/// A business scenario a tenant contracted for; the pilot admits 700 numbers per scenario.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Scenario {
    /// Parcel and courier delivery.
    Delivery,
    /// Food and grocery delivery.
    FoodDelivery,
    /// Ride-hailing and taxis.
    RideHailing,
    /// Online retail (buyer and seller contact).
    ECommerce,
    /// Housekeeping and home services.
    HomeServices,
    /// Recruitment (employer and candidate contact).
    Recruitment,
    /// Real estate and rentals.
    RealEstate,
    /// Any other scenario the platform registered with the regulator.
    Other,
}

/// Whether a tenant may create bindings and whether its bindings route.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TenantStatus {
    /// Normal service.
    Active,
    /// Suspended (e.g. after violations): no new bindings, and its bindings are refused.
    Suspended,
    /// Left the pilot: no new bindings, but existing ones keep routing until they expire
    /// (continuity of existing orders).
    Exited,
}

/// The kind of a recorded violation of the pilot's rules.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ViolationKind {
    /// Marketing or unsolicited traffic through 700 numbers.
    Marketing,
    /// Fraud or suspected fraud.
    Fraud,
    /// 700 numbers used to register internet applications (verification codes).
    AppRegistration,
    /// Bindings made without the user's consent.
    MissingConsent,
    /// Any other breach of the platform agreement.
    Other,
}

/// One entry of a tenant's credit record.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Violation {
    /// When it was recorded.
    pub at: Timestamp,
    /// What kind of violation.
    pub kind: ViolationKind,
    /// Free text for the operator and the regulator's report.
    pub note: String,
}

/// A tenant as the state holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tenant {
    /// Its identifier.
    pub id: TenantId,
    /// Its name (the company, or the platform's code for it).
    pub name: String,
    /// The scenarios it contracted, sorted and without duplicates.
    pub scenarios: Vec<Scenario>,
    /// Normal, suspended or exited.
    pub status: TenantStatus,
    /// How many AXB-style pairs one usage number may carry for this tenant.
    pub pair_cap: u16,
    /// Violations, oldest first.
    pub credit_record: Vec<Violation>,
    /// When it was registered.
    pub registered_at: Timestamp,
}

impl Tenant {
    /// Whether it may create bindings now.
    pub fn may_bind(&self) -> bool {
        self.status == TenantStatus::Active
    }
}

/// The longest tenant name accepted, in bytes.
pub const MAX_TENANT_NAME: usize = 128;
