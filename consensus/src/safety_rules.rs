//! Safety rules: the only holder of the signing key and the only code that signs votes and
//! timeouts (it also signs proposals, which carry no safety obligation).
//!
//! Every signature it returns comes with the [`SafetyData`] that must be persisted *before* the
//! signed message leaves the validator ([`Signed::persist`]). A restarted validator that loads
//! the persisted data can therefore never sign two different votes in one round, nor a vote in a
//! round it gave up on.
//!
//! The rules (Jolteon / DiemBFT v4, cited by number in errors and tests):
//!
//! * **Vote rule 1** (idempotence): if the last vote is for this round, re-send it when it is for
//!   the same block and refuse otherwise.
//! * **Vote rule 2** (increasing rounds): `block.round > last_voted_round`. A timeout for a round
//!   also counts as the last vote of that round.
//! * **Vote rule 3** (extend the certified chain): `block.round == qc.round + 1`, or the block
//!   carries a TC with `block.round == tc.round + 1` and `qc.round >= max high-QC round in tc`.
//! * **Vote rule 4** (well formed): the block's `justify` certifies its parent.
//! * **Timeout rule 1**: `round >= last_voted_round` (and the same round returns the stored
//!   timeout).
//! * **Timeout rule 2**: `round == high_qc.round + 1` or `round == tc.round + 1`.
//! * **Timeout rule 3** (the lock): `high_qc.round >= locked_round`, where `locked_round` is
//!   the highest QC round among the blocks voted for. Every timeout reports a QC at least as
//!   high as any QC the signer voted on top of.

use tradeledger_types::codec::{self, DecodeError};
use tradeledger_types::{
    Block, PublicKey, QuorumCertificate, SecretKey, Timeout, TimeoutCertificate, TimeoutData, Vote,
    VoteData, wire_struct,
};

use crate::message::Proposal;

wire_struct! {
    /// What must survive a restart for the validator to stay safe. Persisted before any vote
    /// or timeout that depends on it leaves.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SafetyData {
        /// Highest round voted in, or timed out in (rule 2).
        pub last_voted_round: u64,
        /// Highest QC round among blocks voted for: the lock (timeout rule 3).
        pub locked_round: u64,
        /// Highest round a timeout was signed for.
        pub highest_timeout_round: u64,
        /// The last vote, re-sent when asked again for the same round (rule 1).
        pub last_vote: Option<Vote>,
        /// The last timeout, re-sent on every expiry of its round's timer.
        pub last_timeout: Option<Timeout>,
        /// The QC of the last block voted for: after a restart it lets the validator enter the
        /// round it voted in and time out there, even if every peer lost that QC.
        pub last_vote_qc: Option<QuorumCertificate>,
        /// The TC of the last block voted for, if it carried one (same purpose).
        pub last_vote_tc: Option<TimeoutCertificate>,
        /// The TC of the round before the last timeout's, if that timeout entered its round
        /// by it. Without it, validators that timed out in round r + 1 lose, in a restart of
        /// the whole network, the only proof that round r ended: they no longer sign round r
        /// timeouts and those still in round r cannot form its TC (found by the simulator).
        pub last_timeout_tc: Option<TimeoutCertificate>,
    }
}

impl SafetyData {
    /// Canonical bytes, for storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::to_canonical(self)
    }

    /// Decodes stored bytes.
    pub fn decode(bytes: &[u8]) -> Result<SafetyData, DecodeError> {
        codec::from_canonical(bytes, codec::MESSAGE_BYTES_MAX, "safety data")
    }
}

/// A signed message and, when the safety data changed, the data to persist first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed<T> {
    /// The signed vote or timeout.
    pub message: T,
    /// `Some` when the safety data changed: persist it before sending `message`.
    pub persist: Option<SafetyData>,
}

/// Why the safety rules refuse to sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SafetyError {
    /// Vote rule 1.
    #[error("vote rule 1: already voted for another block in round {round}")]
    AlreadyVotedInRound {
        /// The round.
        round: u64,
    },
    /// Vote rule 2.
    #[error("vote rule 2: round {round} is not after the last voted round {last_voted_round}")]
    RoundNotAfterLastVote {
        /// The block's round.
        round: u64,
        /// The last voted (or timed-out) round.
        last_voted_round: u64,
    },
    /// Vote rule 3.
    #[error(
        "vote rule 3: block round {round} extends QC round {qc_round} without a TC that allows it"
    )]
    NotSafeToVote {
        /// The block's round.
        round: u64,
        /// Round of its QC.
        qc_round: u64,
    },
    /// Vote rule 4.
    #[error("vote rule 4: the QC in block at round {round} does not certify its parent")]
    JustifyNotParent {
        /// The block's round.
        round: u64,
    },
    /// The message is for another chain.
    #[error("safety rules sign only for chain {expected:?}")]
    WrongChain {
        /// This validator's chain.
        expected: String,
    },
    /// Timeout rule 1.
    #[error("timeout rule 1: round {round} is before the last voted round {last_voted_round}")]
    TimeoutBeforeLastVote {
        /// The round to time out.
        round: u64,
        /// The last voted round.
        last_voted_round: u64,
    },
    /// Timeout rule 2.
    #[error(
        "timeout rule 2: round {round} is not entered by QC round {qc_round} or TC round {tc_round:?}"
    )]
    NotSafeToTimeout {
        /// The round to time out.
        round: u64,
        /// The high QC's round.
        qc_round: u64,
        /// The TC's round, if any.
        tc_round: Option<u64>,
    },
    /// Timeout rule 3.
    #[error("timeout rule 3: high QC round {qc_round} is below the locked round {locked_round}")]
    HighQcBelowLock {
        /// The high QC's round.
        qc_round: u64,
        /// The lock.
        locked_round: u64,
    },
    /// A round number at the top of `u64`.
    #[error("round arithmetic overflow")]
    RoundOverflow,
}

/// A deliberately broken rule, so tests can show the simulator's checkers catch unsafe voting.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BrokenRule {
    /// Skip vote rules 1 and 2: vote for every valid proposal, even a second one in a round.
    VoteTwice,
}

/// The safety rules of one validator.
#[derive(Debug, Clone)]
pub struct SafetyRules {
    key: SecretKey,
    chain_id: String,
    data: SafetyData,
    #[cfg(test)]
    broken: Option<BrokenRule>,
}

impl SafetyRules {
    /// Rules for `key` on `chain_id`, starting from persisted `data`.
    pub fn new(key: SecretKey, chain_id: String, data: SafetyData) -> Self {
        SafetyRules {
            key,
            chain_id,
            data,
            #[cfg(test)]
            broken: None,
        }
    }

    #[cfg(test)]
    pub(crate) fn break_rule(&mut self, rule: BrokenRule) {
        self.broken = Some(rule);
    }

    /// The public key of the signer.
    pub fn public_key(&self) -> PublicKey {
        self.key.public()
    }

    /// The current safety data.
    pub fn data(&self) -> &SafetyData {
        &self.data
    }

    /// Signs a proposal for a block this validator built (no safety state involved: a leader
    /// that equivocates cannot make honest validators vote twice).
    pub fn sign_proposal(&self, block: Block) -> Proposal {
        Proposal::sign(block, &self.key)
    }

    /// Votes for `block` if rules 1–4 allow it.
    pub fn vote(&mut self, block: &Block) -> Result<Signed<Vote>, SafetyError> {
        let h = &block.header;
        if h.chain_id != self.chain_id {
            return Err(SafetyError::WrongChain {
                expected: self.chain_id.clone(),
            });
        }
        let hash = block.hash();
        let vote_twice = self.vote_twice();
        // Rule 1: one vote per round; the same question gets the same answer.
        if let Some(last) = &self.data.last_vote
            && last.data.round == h.round
        {
            if last.data.block_hash == hash {
                return Ok(Signed {
                    message: last.clone(),
                    persist: None,
                });
            }
            if !vote_twice {
                return Err(SafetyError::AlreadyVotedInRound { round: h.round });
            }
        }
        // Rule 2: rounds only go up (a timeout for a round ends voting in it).
        if h.round <= self.data.last_voted_round && !vote_twice {
            return Err(SafetyError::RoundNotAfterLastVote {
                round: h.round,
                last_voted_round: self.data.last_voted_round,
            });
        }
        // Rule 4: the QC certifies the parent.
        let qc = &block.justify.data;
        let parent_height = qc.height.checked_add(1).ok_or(SafetyError::RoundOverflow)?;
        if qc.block_hash != h.parent_hash
            || parent_height != h.height
            || qc.chain_id != self.chain_id
        {
            return Err(SafetyError::JustifyNotParent { round: h.round });
        }
        // Rule 3: extend the previous round's QC, or a TC's highest QC.
        if !safe_to_extend(h.round, qc.round, block.timeout_cert.as_ref())? {
            return Err(SafetyError::NotSafeToVote {
                round: h.round,
                qc_round: qc.round,
            });
        }
        let data = VoteData {
            chain_id: self.chain_id.clone(),
            block_hash: hash,
            height: h.height,
            round: h.round,
        };
        let vote = Vote::sign(data, &self.key);
        self.data.last_voted_round = self.data.last_voted_round.max(h.round);
        self.data.locked_round = self.data.locked_round.max(qc.round);
        self.data.last_vote = Some(vote.clone());
        self.data.last_vote_qc = Some(block.justify.clone());
        self.data.last_vote_tc = block.timeout_cert.clone();
        Ok(Signed {
            message: vote,
            persist: Some(self.data.clone()),
        })
    }

    /// Signs a timeout for `round` reporting `high_qc`, if timeout rules 1–3 allow it.
    /// `last_tc` is the TC by which the round was entered, if it was.
    pub fn timeout(
        &mut self,
        round: u64,
        high_qc: &QuorumCertificate,
        last_tc: Option<&TimeoutCertificate>,
    ) -> Result<Signed<Timeout>, SafetyError> {
        if high_qc.data.chain_id != self.chain_id {
            return Err(SafetyError::WrongChain {
                expected: self.chain_id.clone(),
            });
        }
        // Rule 1: never behind the last vote; the same round re-sends the stored timeout.
        if let Some(last) = &self.data.last_timeout
            && last.data.round == round
        {
            return Ok(Signed {
                message: last.clone(),
                persist: None,
            });
        }
        if round < self.data.last_voted_round {
            return Err(SafetyError::TimeoutBeforeLastVote {
                round,
                last_voted_round: self.data.last_voted_round,
            });
        }
        // Rule 2: the signer is legitimately in this round.
        let qc_round = high_qc.data.round;
        let by_qc = qc_round.checked_add(1).ok_or(SafetyError::RoundOverflow)? == round;
        let tc_round = last_tc.map(|tc| tc.round);
        let by_tc = match tc_round {
            Some(r) => r.checked_add(1).ok_or(SafetyError::RoundOverflow)? == round,
            None => false,
        };
        if !by_qc && !by_tc {
            return Err(SafetyError::NotSafeToTimeout {
                round,
                qc_round,
                tc_round,
            });
        }
        // Rule 3: report at least the lock.
        if qc_round < self.data.locked_round {
            return Err(SafetyError::HighQcBelowLock {
                qc_round,
                locked_round: self.data.locked_round,
            });
        }
        let data = TimeoutData {
            chain_id: self.chain_id.clone(),
            round,
            high_qc_round: qc_round,
        };
        let timeout = Timeout::sign(data, high_qc.clone(), &self.key);
        self.data.last_voted_round = self.data.last_voted_round.max(round);
        self.data.highest_timeout_round = self.data.highest_timeout_round.max(round);
        self.data.last_timeout = Some(timeout.clone());
        self.data.last_timeout_tc = if by_qc { None } else { last_tc.cloned() };
        Ok(Signed {
            message: timeout,
            persist: Some(self.data.clone()),
        })
    }

    #[cfg(test)]
    fn vote_twice(&self) -> bool {
        self.broken == Some(BrokenRule::VoteTwice)
    }

    #[cfg(not(test))]
    fn vote_twice(&self) -> bool {
        false
    }
}

/// Vote rule 3: a block at `round` whose QC has `qc_round` may be voted for when it directly
/// follows the QC, or follows a TC of the previous round and extends the TC's highest QC.
pub fn safe_to_extend(
    round: u64,
    qc_round: u64,
    tc: Option<&TimeoutCertificate>,
) -> Result<bool, SafetyError> {
    if qc_round.checked_add(1).ok_or(SafetyError::RoundOverflow)? == round {
        return Ok(true);
    }
    Ok(match tc {
        Some(tc) => {
            tc.round.checked_add(1).ok_or(SafetyError::RoundOverflow)? == round
                && qc_round >= tc.max_high_qc_round()
        }
        None => false,
    })
}

#[cfg(test)]
#[path = "safety_rules_tests.rs"]
mod tests;
