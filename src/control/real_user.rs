//! Real-user reports: a tenant that requires them has its bindings route only once it has
//! reported subscriber A's real identity to the carrier, as carriers do for middle numbers today.
//!
//! The state keeps, per tenant, whether it requires reports, and which subscribers it has
//! reported ([`crate::Command::SetRealUserRequired`], [`crate::Command::ReportRealUser`]).
//! A binding of a tenant that requires reports, whose subscriber A
//! ([`crate::Parties::subscriber_a`]) it has not reported, may be made (the report often follows
//! the order), but every call and SMS on it is refused with
//! [`crate::RejectReason::UserNotReported`] until the report arrives; then it routes at once.
//! The check comes right after the binding's own suspension, in the state's route and in the
//! lock-free index alike.
//!
//! In the index, the requirement is a bit of the tenant's word (so switching it costs one word,
//! whatever the number of bindings) and "A not reported" a bit of each entry, rewritten for the
//! entries of A's bindings when a report changes.
#![forbid(unsafe_code)]

use crate::number::SubscriberNumber;
use crate::tenant::TenantId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The least subscriber number (E.164 digits 1), the start of a tenant's range of reports.
const LOWEST: SubscriberNumber = match SubscriberNumber::from_stored(1) {
    Some(s) => s,
    None => unreachable!(),
};

/// Which tenants require real-user reports, and which subscribers each has reported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealUsers {
    /// Tenants that require a report before a binding routes.
    required: BTreeSet<TenantId>,
    /// (tenant, subscriber) pairs reported.
    reported: BTreeSet<(TenantId, SubscriberNumber)>,
}

impl RealUsers {
    /// Whether `tenant` requires reports.
    pub fn requires(&self, tenant: TenantId) -> bool {
        self.required.contains(&tenant)
    }

    /// Whether `tenant` has reported `subscriber`.
    pub fn is_reported(&self, tenant: TenantId, subscriber: SubscriberNumber) -> bool {
        self.reported.contains(&(tenant, subscriber))
    }

    /// Whether calls on a binding of `tenant` whose subscriber A is `a` are refused: the tenant
    /// requires reports and has not reported A.
    pub fn refuses(&self, tenant: TenantId, a: SubscriberNumber) -> bool {
        self.requires(tenant) && !self.is_reported(tenant, a)
    }

    /// The tenants that require reports, by id.
    pub fn requiring(&self) -> impl Iterator<Item = TenantId> + '_ {
        self.required.iter().copied()
    }

    /// The subscribers `tenant` has reported, in order.
    pub fn reported_by(&self, tenant: TenantId) -> impl Iterator<Item = SubscriberNumber> + '_ {
        self.reported
            .range((tenant, LOWEST)..)
            .take_while(move |(t, _)| *t == tenant)
            .map(|(_, s)| *s)
    }

    /// How many (tenant, subscriber) reports are held.
    pub fn report_count(&self) -> usize {
        self.reported.len()
    }

    /// Whether every tenant named is one of `known` (an image's check).
    pub(crate) fn names_only(&self, known: impl Fn(TenantId) -> bool) -> bool {
        self.required.iter().all(|t| known(*t)) && self.reported.iter().all(|(t, _)| known(*t))
    }

    /// Sets whether `tenant` requires reports.
    pub(crate) fn set_required(&mut self, tenant: TenantId, required: bool) {
        if required {
            self.required.insert(tenant);
        } else {
            self.required.remove(&tenant);
        }
    }

    /// Records or withdraws `tenant`'s report of `subscriber`.
    pub(crate) fn set_reported(
        &mut self,
        tenant: TenantId,
        subscriber: SubscriberNumber,
        reported: bool,
    ) {
        if reported {
            self.reported.insert((tenant, subscriber));
        } else {
            self.reported.remove(&(tenant, subscriber));
        }
    }
}
