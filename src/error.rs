//! The typed errors of commands. A refused command changes nothing.
#![forbid(unsafe_code)]

use crate::binding::{BindingId, BindingStatus, Mode};
use crate::control::block::BlockId;
use crate::handover::ImportError;
use crate::number::{NumberError, SubscriberNumber, UsageNumber};
use crate::pool::{Exhaustion, InvalidTag, PoolError};
use crate::tenant::{TenantId, TenantStatus};
use crate::time::Timestamp;

/// Why a command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A number in the request is malformed.
    #[error("malformed number: {0}")]
    Number(#[from] NumberError),
    /// A tag in the request is malformed.
    #[error(transparent)]
    Tag(#[from] InvalidTag),
    /// The number resources refuse the change.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// No such tenant.
    #[error("unknown {0}")]
    UnknownTenant(TenantId),
    /// The tenant may not do this in its status (suspended or exited tenants make no bindings).
    #[error("{tenant} is {status:?}")]
    TenantNotActive {
        /// The tenant.
        tenant: TenantId,
        /// Its status.
        status: TenantStatus,
    },
    /// The tenant already has this status.
    #[error("{tenant} is already {status:?}")]
    TenantStatusUnchanged {
        /// The tenant.
        tenant: TenantId,
        /// Its status.
        status: TenantStatus,
    },
    /// A text field is empty where required, too long, or holds control characters.
    #[error("field {field} is invalid: required, at most {max} bytes, no control characters")]
    InvalidField {
        /// The field's name.
        field: &'static str,
        /// Its maximum length in bytes.
        max: usize,
    },
    /// No binding was ever made with this id.
    #[error("unknown {0}")]
    UnknownBinding(BindingId),
    /// The binding has ended (released or expired).
    #[error("{0} has ended")]
    BindingEnded(BindingId),
    /// The binding belongs to another tenant.
    #[error("{binding} does not belong to {tenant}")]
    CrossTenant {
        /// The binding.
        binding: BindingId,
        /// The tenant that asked.
        tenant: TenantId,
    },
    /// The binding already has the requested status.
    #[error("{binding} is already {status:?}")]
    StatusUnchanged {
        /// The binding.
        binding: BindingId,
        /// Its status.
        status: BindingStatus,
    },
    /// The parties are not a valid binding (a party twice, an empty or oversized group, X = Y).
    #[error("invalid parties: {0}")]
    InvalidParties(&'static str),
    /// The binding's expiry is not after now.
    #[error("expiry {expires_at} is not after now ({now})")]
    ExpiryNotInFuture {
        /// The requested expiry.
        expires_at: Timestamp,
        /// Now.
        now: Timestamp,
    },
    /// The policy is invalid (no media, a malformed time window, an allow-list outside AXN or
    /// over its limit).
    #[error("invalid policy: {0}")]
    InvalidPolicy(&'static str),
    /// The update does not fit the binding's mode.
    #[error("update does not apply to a {0:?} binding")]
    UpdateNotApplicable(Mode),
    /// The routing index cannot grow to hold the change (directory or id limits reached).
    #[error("the routing index is full")]
    IndexFull,
    /// A file operation failed.
    #[error("cannot {op}: {kind}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The operating system's error kind.
        kind: std::io::ErrorKind,
    },
    /// A journal or snapshot file is damaged where acknowledged data was (not a torn tail):
    /// the registry refuses to start rather than drop what it had acknowledged.
    #[error("{file} is damaged at offset {offset}: {why}")]
    Corrupt {
        /// The file, relative to the journal directory.
        file: String,
        /// Where the damage starts.
        offset: u64,
        /// What was found.
        why: &'static str,
    },
    /// The journal failed earlier (to `op`); no write is acknowledged until the registry is
    /// reopened.
    #[error("the journal failed to {op} ({kind}); reopen the registry to write again")]
    Halted {
        /// What failed.
        op: &'static str,
        /// The operating system's error kind.
        kind: std::io::ErrorKind,
    },
    /// An update that changes nothing.
    #[error("an update must change the counterpart, the expiry or the policy")]
    EmptyUpdate,
    /// A given usage number cannot carry the binding.
    #[error("usage number {number} cannot carry the binding: {conflict}")]
    NumberConflict {
        /// The usage number.
        number: UsageNumber,
        /// Why.
        conflict: Conflict,
    },
    /// Automatic selection found no usage number.
    #[error("no usage number available: {0}")]
    Exhausted(#[from] Exhaustion),
    /// The management number still carries live bindings and cannot be taken back.
    #[error("the management number still carries {live_bindings} live bindings")]
    NumberInUse {
        /// How many.
        live_bindings: usize,
    },
    /// A hand-over cannot be imported (nothing of it was).
    #[error("cannot import the hand-over: {0}")]
    Import(#[from] ImportError),
    /// No such block rule (never made, or already lifted or swept).
    #[error("unknown {0}")]
    UnknownBlock(BlockId),
    /// A tenant named a block rule that is not its own (another tenant's, or the platform's).
    #[error("{block} does not belong to {tenant}")]
    BlockNotOwned {
        /// The rule.
        block: BlockId,
        /// The tenant that asked.
        tenant: TenantId,
    },
    /// The block request is not valid (a subscriber blocked from itself, both ways without a
    /// callee, a binding block on an AXN binding without N).
    #[error("invalid block: {0}")]
    InvalidBlockRequest(&'static str),
    /// The block rules would exceed their limit (the platform's, or the tenant's own).
    #[error("too many block rules (at most {max})")]
    TooManyBlocks {
        /// The limit reached.
        max: usize,
    },
}

/// Why one usage number cannot carry a new binding.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// A party already sees this usage number in a live binding.
    #[error("{0} already has a live binding on it")]
    PartyAlreadyBound(SubscriberNumber),
    /// An exclusive (AXN) binding holds it.
    #[error("an exclusive binding holds it")]
    HeldExclusively,
    /// The new binding is exclusive and the number carries other bindings.
    #[error("it carries other bindings and the new one is exclusive")]
    NotFree,
    /// The tenant's pair cap is reached.
    #[error("it carries the tenant's maximum of {0} bindings")]
    AtCapacity(u16),
    /// A party (or everyone, after an AXN) is in quarantine on it and would reach someone new.
    #[error("a quarantine on it runs until {until}")]
    Quarantined {
        /// End of the blocking quarantine.
        until: Timestamp,
    },
}
