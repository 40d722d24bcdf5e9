//! Errors of execution itself (not of events: a bad event is rejected with a
//! [`RejectCode`](crate::RejectCode) and execution carries on).

/// A failure of the storage backend behind [`Store`](crate::Store).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage backend failed: {message}")]
pub struct StoreError {
    /// The backend's description of the failure.
    pub message: String,
}

/// Why a block could not be executed at all. Either the storage failed, or the state is not what
/// this code wrote (a corrupted or foreign database); neither depends on the events, so the node
/// must stop rather than carry on with a different state from its peers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The storage backend failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored value does not decode as the record its key promises.
    #[error("state entry {key} does not decode: {reason}")]
    CorruptState {
        /// The key, printable (non-ASCII bytes as `\xNN`).
        key: String,
        /// The decoder's message.
        reason: String,
    },
    /// The state holds no genesis (no chain id): [`init_genesis`](crate::init_genesis) was not run.
    #[error("the state is not initialised from a genesis")]
    NotInitialised,
    /// [`init_genesis`](crate::init_genesis) was run on a state that already holds one.
    #[error("the state is already initialised")]
    AlreadyInitialised,
    /// The genesis is invalid.
    #[error("invalid genesis: {0}")]
    Genesis(#[from] tradeledger_types::GenesisError),
}

/// Renders a byte key for error messages.
pub(crate) fn printable_key(key: &[u8]) -> String {
    key.iter()
        .flat_map(|b| core::ascii::escape_default(*b))
        .map(char::from)
        .collect()
}
