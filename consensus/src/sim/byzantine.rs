//! Byzantine behaviours: wrappers around a real core that change what it sends or accepts.

/// How a Byzantine validator misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Behaviour {
    /// As leader, sends two different proposals for its round (to different halves of the
    /// validators, or both to everyone), and builds on votes for either.
    Equivocate,
    /// Votes for every proposal it sees, not only the first of a round.
    DoubleVote,
    /// Proposes blocks with a wrong state root and accepts every block as valid.
    InvalidBlocks,
    /// Never sends its votes.
    WithholdVotes,
    /// Runs two instances with one key, on opposite sides of every partition.
    Twins,
}

impl Behaviour {
    /// Every behaviour.
    pub const ALL: [Behaviour; 5] = [
        Behaviour::Equivocate,
        Behaviour::DoubleVote,
        Behaviour::InvalidBlocks,
        Behaviour::WithholdVotes,
        Behaviour::Twins,
    ];
}
