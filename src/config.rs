//! The platform's configuration of the core rules.
#![forbid(unsafe_code)]

use crate::control::sms::SmsRules;
use serde::{Deserialize, Serialize};

/// Tunable rules of the state. Quarantine times are copied into the events that start a
/// quarantine, so replaying a journal under a different configuration yields the same state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// How long the (usage number, party) pairs of an ended binding are held back, in seconds.
    pub binding_quarantine_secs: u64,
    /// How long a management number taken back from a tenant is held back before another tenant
    /// may have it, in seconds.
    pub number_quarantine_secs: u64,
    /// Default cap on the bindings one usage number carries for a tenant (AXB, AXYB, GXB).
    pub default_pair_cap: u16,
    /// The dynamic controls (frequency limits, probing) and the sizes of the memory routers
    /// share for the controls and the record queue.
    pub controls: crate::control::Controls,
    /// The rules applied to every SMS to a 700 number (commercial senders, verification
    /// codes). Checked with [`SmsRules::validate`] where configuration comes in; not part of
    /// the state (nothing of it is journaled); a configuration written before it existed reads
    /// with the defaults.
    #[serde(default)]
    pub sms: SmsRules,
}

impl Default for Config {
    /// 24 hours of binding quarantine, 30 days of number quarantine, 200 pairs per usage number,
    /// the default [`Controls`](crate::control::Controls) (no limits, no probing), the default
    /// [`SmsRules`].
    fn default() -> Self {
        Config {
            binding_quarantine_secs: 24 * 3600,
            number_quarantine_secs: 30 * 24 * 3600,
            default_pair_cap: 200,
            controls: crate::control::Controls::default(),
            sms: SmsRules::default(),
        }
    }
}
