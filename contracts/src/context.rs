//! What a handler sees while executing one event, and how it fails.

use crate::custom::CustomRules;
use crate::error::ExecError;
use crate::governance::RuleIndex;
use crate::outcome::{Derived, RejectCode, Rejection};
use crate::state::StateView;
use crate::store::Store;
use tradeledger_types::{EventId, Organisation, Role, RuleSet, TimeMs};

/// The block being executed: its height and time are the only clock the contracts see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockContext {
    /// Height of the block.
    pub height: u64,
    /// Block time (the proposer's clock, bounded by validators), Unix milliseconds.
    pub block_time_ms: TimeMs,
}

impl BlockContext {
    /// The context of `block`: its header's height and time.
    pub fn of(block: &tradeledger_types::Block) -> BlockContext {
        BlockContext {
            height: block.header.height,
            block_time_ms: block.header.block_time_ms,
        }
    }
}

/// A handler stops with a rejection (the event changes nothing) or an execution error (the
/// block cannot be executed).
#[derive(Debug)]
pub(crate) enum Fail {
    Reject(Rejection),
    Exec(ExecError),
}

impl From<ExecError> for Fail {
    fn from(e: ExecError) -> Self {
        Fail::Exec(e)
    }
}

pub(crate) type Step<T = ()> = Result<T, Fail>;

/// Rejects the event with `code`.
pub(crate) fn reject<T>(code: RejectCode, detail: impl Into<String>) -> Step<T> {
    Err(Fail::Reject(Rejection {
        code,
        detail: detail.into(),
    }))
}

pub(crate) struct Ctx<'a, 'b, S: Store> {
    pub view: &'a mut StateView<'b, S>,
    pub block: BlockContext,
    pub rules: &'a RuleSet,
    pub index: &'a RuleIndex<'a>,
    pub custom: &'a mut CustomRules,
    pub id: EventId,
    /// True when the signer is a registered device acting for `org`.
    pub device: bool,
    pub org: Organisation,
    pub records: Vec<Derived>,
}

impl<S: Store> Ctx<'_, '_, S> {
    pub(crate) fn has_role(&self, role: Role) -> bool {
        self.org.roles.contains(&role)
    }

    pub(crate) fn require_role(&self, role: Role, what: &str) -> Step {
        if self.has_role(role) {
            Ok(())
        } else {
            reject(
                RejectCode::RoleNotAllowed,
                format!(
                    "{what} needs the {} role; {} does not hold it",
                    role.as_str(),
                    self.org.id
                ),
            )
        }
    }
}
