//! Block commands → events: blocks made by hand or automatically, lifted, and swept.
#![forbid(unsafe_code)]

use super::State;
use super::plan::{MAX_NOTE_LEN, check_text};
use crate::binding::{Binding, BindingId};
use crate::control::block::{
    BlockId, BlockOrigin, BlockRequest, BlockRule, BlockScope, BlockTarget, LiftReason,
    MAX_BLOCK_RULES, MAX_TENANT_BLOCK_RULES, binding_pairs,
};
use crate::error::Error;
use crate::event::Event;
use crate::number::SubscriberNumber;
use crate::tenant::TenantId;
use crate::time::Timestamp;
use std::collections::BTreeMap;

impl State {
    /// The binding, if it is live and unexpired (the platform operator may name any).
    fn live_binding(&self, id: BindingId, now: Timestamp) -> Result<&Binding, Error> {
        match self.bindings.get(&id) {
            Some(b) if !b.is_expired(now) => Ok(b),
            Some(_) => Err(Error::BindingEnded(id)),
            None if id.raw() >= self.next_binding || id.raw() == 0 => {
                Err(Error::UnknownBinding(id))
            }
            None => Err(Error::BindingEnded(id)),
        }
    }

    /// Refuses `adding` new rules (owned by `owner`) beyond the limits, after `removing` of
    /// the owner's are gone.
    fn check_block_room(
        &self,
        owner: Option<TenantId>,
        adding: usize,
        removing: usize,
    ) -> Result<(), Error> {
        if self.block_list.len() - removing + adding > MAX_BLOCK_RULES {
            return Err(Error::TooManyBlocks {
                max: MAX_BLOCK_RULES,
            });
        }
        if let Some(t) = owner
            && self.block_list.owned_by(t) - removing + adding > MAX_TENANT_BLOCK_RULES
        {
            return Err(Error::TooManyBlocks {
                max: MAX_TENANT_BLOCK_RULES,
            });
        }
        Ok(())
    }

    pub(super) fn plan_block(
        &self,
        req: &BlockRequest,
        now: Timestamp,
    ) -> Result<Vec<Event>, Error> {
        if let Some(t) = req.tenant {
            self.known_tenant(t)?;
        }
        check_text("note", &req.note, MAX_NOTE_LEN, false)?;
        if let Some(e) = req.expires_at
            && e <= now
        {
            return Err(Error::ExpiryNotInFuture { expires_at: e, now });
        }
        let (scope, owner, pairs) = match &req.target {
            BlockTarget::Caller {
                caller,
                callee,
                both_ways,
            } => {
                if *both_ways && callee.is_none() {
                    return Err(Error::InvalidBlockRequest(
                        "a both-ways block needs a callee",
                    ));
                }
                let scope = match req.tenant {
                    None => BlockScope::Platform,
                    Some(t) => BlockScope::Tenant(t),
                };
                (scope, req.tenant, vec![(*caller, *callee, *both_ways)])
            }
            BlockTarget::Binding { binding, direction } => {
                let b = match req.tenant {
                    Some(t) => self.owned_live(t, *binding, now)?,
                    None => self.live_binding(*binding, now)?,
                };
                let pairs =
                    binding_pairs(&b.parties, *direction).map_err(Error::InvalidBlockRequest)?;
                let pairs = pairs.into_iter().map(|(c, d, both)| (c, Some(d), both));
                (BlockScope::Binding(b.id), Some(b.tenant), pairs.collect())
            }
        };
        if pairs.iter().any(|(c, d, _)| *d == Some(*c)) {
            return Err(Error::InvalidBlockRequest(
                "a subscriber blocked from itself",
            ));
        }
        self.check_block_room(owner, pairs.len(), 0)?;
        let first = self.block_list.next_id().raw();
        Ok(pairs
            .into_iter()
            .zip(first..)
            .map(|((caller, callee, both_ways), id)| Event::Blocked {
                rule: BlockRule {
                    id: BlockId::from_raw(id),
                    scope,
                    owner,
                    caller,
                    callee,
                    both_ways,
                    expires: req.expires_at,
                    origin: BlockOrigin::Manual {
                        note: req.note.clone(),
                    },
                    created_at: now,
                },
            })
            .collect())
    }

    pub(super) fn plan_lift_block(
        &self,
        tenant: Option<TenantId>,
        block: BlockId,
        now: Timestamp,
    ) -> Result<Vec<Event>, Error> {
        if let Some(t) = tenant {
            self.known_tenant(t)?;
        }
        let rule = self
            .block_list
            .get(block)
            .ok_or(Error::UnknownBlock(block))?;
        if let Some(t) = tenant
            && rule.owner != Some(t)
        {
            return Err(Error::BlockNotOwned { block, tenant: t });
        }
        Ok(vec![Event::BlockLifted {
            block,
            at: now,
            reason: LiftReason::Lifted { by: tenant },
        }])
    }

    pub(super) fn plan_auto_block(
        &self,
        caller: SubscriberNumber,
        until: Timestamp,
        numbers: u32,
        window_secs: u32,
        now: Timestamp,
    ) -> Result<Vec<Event>, Error> {
        if until <= now {
            return Err(Error::ExpiryNotInFuture {
                expires_at: until,
                now,
            });
        }
        let automatic: Vec<&BlockRule> = self
            .block_list
            .of_caller(caller)
            .filter(|r| {
                matches!(r.origin, BlockOrigin::Probing { .. })
                    && r.caller == caller
                    && r.is_active(now)
            })
            .collect();
        if automatic
            .iter()
            .any(|r| r.expires.is_none_or(|e| e >= until))
        {
            return Ok(Vec::new());
        }
        self.check_block_room(None, 1, automatic.len())?;
        let id = self.block_list.next_id();
        let mut events: Vec<Event> = automatic
            .iter()
            .map(|r| Event::BlockLifted {
                block: r.id,
                at: now,
                reason: LiftReason::Replaced { by: id },
            })
            .collect();
        events.push(Event::Blocked {
            rule: BlockRule {
                id,
                scope: BlockScope::Platform,
                owner: None,
                caller,
                callee: None,
                both_ways: false,
                expires: Some(until),
                origin: BlockOrigin::Probing {
                    numbers,
                    window_secs,
                },
                created_at: now,
            },
        });
        Ok(events)
    }

    /// What a sweep at `now` removes from the block list: rules whose expiry has come, and
    /// binding rules whose binding has ended (released, or expired by `now`), in id order.
    pub(super) fn sweep_blocks(&self, now: Timestamp) -> Vec<Event> {
        let mut due: BTreeMap<BlockId, LiftReason> = BTreeMap::new();
        for (binding, ids) in self.block_list.on_bindings() {
            if self
                .bindings
                .get(&binding)
                .is_none_or(|b| b.is_expired(now))
            {
                due.extend(ids.iter().map(|id| (*id, LiftReason::BindingEnded)));
            }
        }
        due.extend(
            self.block_list
                .expired_by(now)
                .map(|id| (id, LiftReason::Expired)),
        );
        due.into_iter()
            .map(|(block, reason)| Event::BlockLifted {
                block,
                at: now,
                reason,
            })
            .collect()
    }
}
