//! Commands → events: every rule is checked here, before anything changes.
#![forbid(unsafe_code)]

use super::State;
use super::select::slots;
use crate::binding::{
    Binding, BindingId, BindingStatus, MAX_ALLOWED_CALLERS, MAX_GROUP_MEMBERS, MAX_REFERENCE_LEN,
    Mode, Parties, Policy,
};
use crate::command::{BindRequest, Command, Counterpart};
use crate::error::Error;
use crate::event::Event;
use crate::number::UsageNumber;
use crate::pool::{NumberChoice, Tag};
use crate::small::SmallSet;
use crate::tenant::{MAX_TENANT_NAME, Tenant, TenantId, TenantStatus, Violation};
use crate::time::Timestamp;
use std::collections::BTreeSet;

/// The longest violation note, in bytes.
pub const MAX_NOTE_LEN: usize = 256;

pub(crate) fn check_text(
    field: &'static str,
    s: &str,
    max: usize,
    required: bool,
) -> Result<(), Error> {
    if (required && s.is_empty()) || s.len() > max || s.chars().any(char::is_control) {
        return Err(Error::InvalidField { field, max });
    }
    Ok(())
}

pub(crate) fn check_policy(policy: &Policy, mode: Mode) -> Result<Policy, Error> {
    if policy.media.is_empty() {
        return Err(Error::InvalidPolicy("no media allowed"));
    }
    if policy.window.is_some_and(|w| !w.is_valid()) {
        return Err(Error::InvalidPolicy(
            "time window bounds must be distinct minutes below 1440",
        ));
    }
    if !policy.allowed_callers.is_empty() && mode != Mode::Axn {
        return Err(Error::InvalidPolicy("an allow-list applies to AXN only"));
    }
    let mut p = policy.clone();
    p.allowed_callers.sort_unstable();
    p.allowed_callers.dedup();
    if p.allowed_callers.len() > MAX_ALLOWED_CALLERS {
        return Err(Error::InvalidPolicy("allow-list longer than 32 callers"));
    }
    Ok(p)
}

pub(crate) fn check_parties<X>(parties: &Parties<X>) -> Result<(), Error> {
    if let Parties::Gxb { group, .. } = parties
        && (group.is_empty() || group.len() > MAX_GROUP_MEMBERS)
    {
        return Err(Error::InvalidParties("a group has 1 to 8 members"));
    }
    // At most nine subscribers: compare pairs rather than allocate a set.
    let twice = match parties {
        Parties::Axb { a, b, .. } | Parties::Axyb { a, b, .. } => a == b,
        Parties::Axn { a, n, .. } => *n == Some(*a),
        Parties::Gxb { group, b, .. } => group
            .iter()
            .enumerate()
            .any(|(i, m)| m == b || group[i + 1..].contains(m)),
    };
    if twice {
        return Err(Error::InvalidParties("a subscriber appears twice"));
    }
    Ok(())
}

impl State {
    /// Validates `command` at `now` against this state and returns the events it makes, without
    /// changing anything. An empty list means there was nothing to do (a sweep with nothing due).
    pub fn plan(&self, command: &Command, now: Timestamp) -> Result<Vec<Event>, Error> {
        match command {
            Command::RegisterTenant {
                name,
                scenarios,
                pair_cap,
            } => {
                check_text("name", name, MAX_TENANT_NAME, true)?;
                let mut scenarios = scenarios.clone();
                scenarios.sort_unstable();
                scenarios.dedup();
                let pair_cap = pair_cap.unwrap_or(self.config.default_pair_cap);
                if pair_cap == 0 {
                    return Err(Error::InvalidField {
                        field: "pair_cap",
                        max: u16::MAX as usize,
                    });
                }
                let tenant = Tenant {
                    id: self.next_tenant_id(),
                    name: name.clone(),
                    scenarios,
                    status: TenantStatus::Active,
                    pair_cap,
                    credit_record: Vec::new(),
                    registered_at: now,
                };
                Ok(vec![Event::TenantRegistered { tenant }])
            }
            Command::SetTenantStatus { tenant, status } => {
                let t = self.known_tenant(*tenant)?;
                if t.status == *status {
                    return Err(Error::TenantStatusUnchanged {
                        tenant: *tenant,
                        status: *status,
                    });
                }
                Ok(vec![Event::TenantStatusChanged {
                    tenant: *tenant,
                    status: *status,
                    at: now,
                }])
            }
            Command::RecordViolation { tenant, kind, note } => {
                self.known_tenant(*tenant)?;
                check_text("note", note, MAX_NOTE_LEN, false)?;
                let violation = Violation {
                    at: now,
                    kind: *kind,
                    note: note.clone(),
                };
                Ok(vec![Event::ViolationRecorded {
                    tenant: *tenant,
                    violation,
                }])
            }
            Command::LicenseBlock(block) => {
                self.pool.check_license(block)?;
                Ok(vec![Event::BlockLicensed {
                    block: *block,
                    at: now,
                }])
            }
            Command::AssignNumber {
                tenant,
                number,
                tags,
            } => {
                let t = self.known_tenant(*tenant)?;
                if t.status == TenantStatus::Exited {
                    return Err(Error::TenantNotActive {
                        tenant: *tenant,
                        status: t.status,
                    });
                }
                self.pool.check_assign(*number, *tenant, now)?;
                let tags: Vec<Tag> = tags
                    .iter()
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                Ok(vec![Event::NumberAssigned {
                    number: *number,
                    tenant: *tenant,
                    tags,
                    at: now,
                }])
            }
            Command::ReclaimNumber { tenant, number } => {
                self.known_tenant(*tenant)?;
                self.pool.check_held(*number, *tenant)?;
                let on_number: BTreeSet<BindingId> = self
                    .usage
                    .in_block(*number)
                    .flat_map(|(_, e)| e.routes.values().copied())
                    .collect();
                let live = on_number
                    .iter()
                    .filter(|id| !self.bindings[id].is_expired(now))
                    .count();
                if live > 0 {
                    return Err(Error::NumberInUse {
                        live_bindings: live,
                    });
                }
                let mut events = self.expire_events(on_number);
                events.push(Event::NumberReclaimed {
                    number: *number,
                    tenant: *tenant,
                    at: now,
                    quarantine_until: now.plus_secs(self.config.number_quarantine_secs),
                });
                Ok(events)
            }
            Command::SetRealUserRequired { tenant, required } => {
                self.known_tenant(*tenant)?;
                if self.real_users.requires(*tenant) == *required {
                    return Ok(Vec::new());
                }
                Ok(vec![Event::RealUserRequirementSet {
                    tenant: *tenant,
                    required: *required,
                    at: now,
                }])
            }
            Command::ReportRealUser {
                tenant,
                subscriber,
                reported,
            } => {
                self.known_tenant(*tenant)?;
                if self.real_users.is_reported(*tenant, *subscriber) == *reported {
                    return Ok(Vec::new());
                }
                Ok(vec![Event::RealUserReported {
                    tenant: *tenant,
                    subscriber: *subscriber,
                    reported: *reported,
                    at: now,
                }])
            }
            Command::Bind(request) => self.plan_bind(request, now),
            Command::Block(request) => self.plan_block(request, now),
            Command::LiftBlock { tenant, block } => self.plan_lift_block(*tenant, *block, now),
            Command::AutoBlock {
                caller,
                until,
                numbers,
                window_secs,
            } => self.plan_auto_block(*caller, *until, *numbers, *window_secs, now),
            Command::Import(request) => {
                crate::handover::plan_import(self, request, now).map(|(events, _)| events)
            }
            Command::Update {
                tenant,
                binding,
                counterpart,
                expires_at,
                policy,
            } => self.plan_update(
                *tenant,
                *binding,
                counterpart.as_ref(),
                *expires_at,
                policy.as_ref(),
                now,
            ),
            Command::Suspend { tenant, binding } => {
                let b = self.owned_live(*tenant, *binding, now)?;
                if b.status == BindingStatus::Suspended {
                    return Err(Error::StatusUnchanged {
                        binding: *binding,
                        status: b.status,
                    });
                }
                Ok(vec![Event::Suspended {
                    binding: *binding,
                    at: now,
                }])
            }
            Command::Resume { tenant, binding } => {
                let b = self.owned_live(*tenant, *binding, now)?;
                if b.status == BindingStatus::Active {
                    return Err(Error::StatusUnchanged {
                        binding: *binding,
                        status: b.status,
                    });
                }
                Ok(vec![Event::Resumed {
                    binding: *binding,
                    at: now,
                }])
            }
            Command::Unbind { tenant, binding } => {
                self.owned_live(*tenant, *binding, now)?;
                let quarantine_until = now.plus_secs(self.config.binding_quarantine_secs);
                Ok(vec![Event::Released {
                    binding: *binding,
                    at: now,
                    quarantine_until,
                }])
            }
            Command::Sweep => {
                let due = self.expiries.due_by(now);
                // Expiries this sweep applies may start quarantines that are already over.
                let q = self.config.binding_quarantine_secs;
                let ended_already = due.iter().any(|(t, _)| t.plus_secs(q) <= now);
                let mut events = self.expire_events(due.iter().map(|(_, id)| *id));
                if ended_already || self.has_prunable(now) {
                    events.push(Event::QuarantinesPruned { at: now });
                }
                events.extend(self.sweep_blocks(now));
                Ok(events)
            }
        }
    }

    /// Plans `command`, applies its events, and returns them.
    pub fn execute(&mut self, command: &Command, now: Timestamp) -> Result<Vec<Event>, Error> {
        let events = self.plan(command, now)?;
        for e in &events {
            self.apply(e);
        }
        Ok(events)
    }

    /// `Expired` events for bindings (all past their expiry), in id order.
    fn expire_events(&self, ids: impl IntoIterator<Item = BindingId>) -> Vec<Event> {
        let ids: BTreeSet<BindingId> = ids.into_iter().collect();
        ids.into_iter()
            .map(|id| {
                let at = self.bindings[&id].expires_at;
                let quarantine_until = at.plus_secs(self.config.binding_quarantine_secs);
                Event::Expired {
                    binding: id,
                    at,
                    quarantine_until,
                }
            })
            .collect()
    }

    pub(super) fn known_tenant(&self, tenant: TenantId) -> Result<&Tenant, Error> {
        self.tenants
            .get(&tenant)
            .ok_or(Error::UnknownTenant(tenant))
    }

    /// The binding, if it is live, unexpired and owned by `tenant`.
    pub(super) fn owned_live(
        &self,
        tenant: TenantId,
        id: BindingId,
        now: Timestamp,
    ) -> Result<&Binding, Error> {
        self.known_tenant(tenant)?;
        let Some(b) = self.bindings.get(&id) else {
            return Err(if id.raw() >= self.next_binding || id.raw() == 0 {
                Error::UnknownBinding(id)
            } else {
                Error::BindingEnded(id)
            });
        };
        if b.tenant != tenant {
            return Err(Error::CrossTenant {
                binding: id,
                tenant,
            });
        }
        if b.is_expired(now) {
            return Err(Error::BindingEnded(id));
        }
        Ok(b)
    }

    fn plan_bind(&self, req: &BindRequest, now: Timestamp) -> Result<Vec<Event>, Error> {
        let t = self.known_tenant(req.tenant)?;
        if !t.may_bind() {
            return Err(Error::TenantNotActive {
                tenant: req.tenant,
                status: t.status,
            });
        }
        check_text("consent_ref", &req.consent_ref, MAX_REFERENCE_LEN, true)?;
        check_text("order_id", &req.order_id, MAX_REFERENCE_LEN, false)?;
        check_text("external_ref", &req.external_ref, MAX_REFERENCE_LEN, false)?;
        if req.expires_at <= now {
            return Err(Error::ExpiryNotInFuture {
                expires_at: req.expires_at,
                now,
            });
        }
        let policy = check_policy(&req.policy, req.parties.mode())?;
        check_parties(&req.parties)?;

        let (x_slot, y_slot) = slots(&req.parties);
        let (x_choice, y_choice) = match &req.parties {
            Parties::Axb { x, .. } | Parties::Axn { x, .. } | Parties::Gxb { x, .. } => (x, None),
            Parties::Axyb { x, y, .. } => (x, Some(y)),
        };
        let choices = std::iter::once((x_choice, &x_slot)).chain(y_choice.zip(y_slot.as_ref()));
        // Given numbers first, so an automatic Y never takes the X the caller named.
        let mut avoid = SmallSet::<UsageNumber, 4>::default();
        for c in std::iter::once(x_choice).chain(y_choice) {
            if let NumberChoice::Given(x) = c {
                avoid.insert(*x);
            }
        }
        let (mut chosen, mut n) = ([UsageNumber::MIN; 2], 0);
        for (choice, slot) in choices {
            let mut others = avoid.clone();
            if let NumberChoice::Given(x) = choice {
                others = SmallSet::default();
                for a in avoid.iter().filter(|a| *a != x) {
                    others.insert(*a);
                }
            }
            let x =
                self.choose_number(req.tenant, t.pair_cap, choice, slot, others.as_slice(), now)?;
            avoid.insert(x);
            chosen[n] = x;
            n += 1;
        }
        let chosen = &chosen[..n];
        if chosen.len() == 2 && chosen[0] == chosen[1] {
            return Err(Error::InvalidParties("X and Y must differ"));
        }
        let parties = match &req.parties {
            Parties::Axb { a, b, .. } => Parties::Axb {
                a: *a,
                x: chosen[0],
                b: *b,
            },
            Parties::Axn { a, n, .. } => Parties::Axn {
                a: *a,
                x: chosen[0],
                n: *n,
            },
            Parties::Axyb { a, b, .. } => Parties::Axyb {
                a: *a,
                x: chosen[0],
                y: chosen[1],
                b: *b,
            },
            Parties::Gxb { group, b, .. } => Parties::Gxb {
                group: group.clone(),
                x: chosen[0],
                b: *b,
            },
        };
        let binding = Binding {
            id: self.next_binding_id(),
            tenant: req.tenant,
            parties,
            policy,
            status: BindingStatus::Active,
            created_at: now,
            expires_at: req.expires_at,
            order_id: req.order_id.clone(),
            consent_ref: req.consent_ref.clone(),
            external_ref: req.external_ref.clone(),
        };
        let expired = self.expired_on(chosen, now);
        let mut events = if expired.is_empty() {
            Vec::with_capacity(1)
        } else {
            self.expire_events(expired)
        };
        events.push(Event::Bound { binding });
        Ok(events)
    }

    /// Bindings past their expiry (not swept yet) with entries on these numbers: a command that
    /// takes one of the numbers sweeps them first, so their entries give way.
    fn expired_on(&self, numbers: &[UsageNumber], now: Timestamp) -> BTreeSet<BindingId> {
        numbers
            .iter()
            .filter_map(|x| self.usage.get(x))
            .flat_map(|e| e.routes.values())
            .filter(|id| self.bindings[id].is_expired(now))
            .copied()
            .collect()
    }

    fn plan_update(
        &self,
        tenant: TenantId,
        id: BindingId,
        counterpart: Option<&Counterpart>,
        expires_at: Option<Timestamp>,
        policy: Option<&Policy>,
        now: Timestamp,
    ) -> Result<Vec<Event>, Error> {
        let old = self.owned_live(tenant, id, now)?;
        // A suspended tenant changes nothing; an exited one keeps its bindings only as they are,
        // until they expire. Both may still unbind.
        let status = self.tenants[&tenant].status;
        if status != TenantStatus::Active {
            return Err(Error::TenantNotActive { tenant, status });
        }
        if counterpart.is_none() && expires_at.is_none() && policy.is_none() {
            return Err(Error::EmptyUpdate);
        }
        let mut new = old.clone();
        if let Some(e) = expires_at {
            if e <= now {
                return Err(Error::ExpiryNotInFuture { expires_at: e, now });
            }
            new.expires_at = e;
        }
        if let Some(p) = policy {
            new.policy = check_policy(p, old.mode())?;
        }
        if let Some(c) = counterpart {
            new.parties = match (&old.parties, c) {
                (Parties::Axb { a, x, .. }, Counterpart::B(b)) => Parties::Axb {
                    a: *a,
                    x: *x,
                    b: *b,
                },
                (Parties::Axyb { a, x, y, .. }, Counterpart::B(b)) => Parties::Axyb {
                    a: *a,
                    x: *x,
                    y: *y,
                    b: *b,
                },
                (Parties::Gxb { group, x, .. }, Counterpart::B(b)) => Parties::Gxb {
                    group: group.clone(),
                    x: *x,
                    b: *b,
                },
                (Parties::Gxb { x, b, .. }, Counterpart::Group(g)) => Parties::Gxb {
                    group: g.clone(),
                    x: *x,
                    b: *b,
                },
                (Parties::Axn { a, x, .. }, Counterpart::N(n)) => Parties::Axn {
                    a: *a,
                    x: *x,
                    n: *n,
                },
                _ => return Err(Error::UpdateNotApplicable(old.mode())),
            };
            check_parties(&new.parties)?;
            let pair_cap = self.tenants[&tenant].pair_cap;
            let numbers = new.parties.usage_numbers();
            let (x_slot, y_slot) = slots(&new.parties);
            for (slot, x) in std::iter::once(x_slot).chain(y_slot).zip(&numbers) {
                self.check_number(*x, &slot, pair_cap, Some(id), now)
                    .map_err(|conflict| Error::NumberConflict {
                        number: *x,
                        conflict,
                    })?;
            }
            let mut events = self.expire_events(self.expired_on(&numbers, now));
            let quarantine_until = now.plus_secs(self.config.binding_quarantine_secs);
            events.push(Event::Updated {
                binding: new,
                at: now,
                quarantine_until,
            });
            return Ok(events);
        }
        let quarantine_until = now.plus_secs(self.config.binding_quarantine_secs);
        Ok(vec![Event::Updated {
            binding: new,
            at: now,
            quarantine_until,
        }])
    }
}
