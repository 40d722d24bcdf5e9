//! Round timers, timeouts and timeout certificates.

use tradeledger_types::Timeout;

use super::{Consensus, Out};
use crate::drops::DropReason;
use crate::effect::Effect;
use crate::limits::ROUND_WINDOW;
use crate::message::{ConsensusMessage, TimeoutMessage};
use crate::timeouts::Added;

impl Consensus {
    /// The timer of `round` expired: time out (or re-send the timeout) and re-arm.
    pub(super) fn on_timer(&mut self, round: u64, out: &mut Out) {
        if round != self.round {
            return; // a timer of a round already left
        }
        self.local_timeout(out);
        if round == self.round {
            self.arm_timer(out);
        }
    }

    /// Signs (or re-signs idempotently) a timeout for the current round and broadcasts it.
    fn local_timeout(&mut self, out: &mut Out) {
        let round = self.round;
        let tc = self
            .last_tc
            .clone()
            .filter(|tc| tc.round.checked_add(1) == Some(round));
        match self.safety.timeout(round, &self.high_qc, tc.as_ref()) {
            Ok(signed) => {
                if let Some(data) = signed.persist {
                    self.persist_safety(data, out);
                }
                let msg = TimeoutMessage {
                    timeout: signed.message.clone(),
                    last_tc: self.last_tc.clone(),
                };
                out.push(Effect::Broadcast(ConsensusMessage::Timeout(Box::new(msg))));
                self.add_timeout(signed.message, out);
            }
            Err(_) => self.safety_refusals = self.safety_refusals.saturating_add(1),
        }
    }

    /// A timeout from a peer.
    pub(super) fn on_timeout_message(&mut self, msg: TimeoutMessage, out: &mut Out) {
        let t = &msg.timeout;
        if t.data.chain_id != self.cfg.chain_id {
            return self.drops.count(DropReason::WrongChain);
        }
        if self.validators().index_of(&t.signer).is_none() {
            return self.drops.count(DropReason::UnknownValidator);
        }
        let tc_round = msg.last_tc.as_ref().map_or(0, |tc| tc.round);
        let last_tc_round = self.last_tc.as_ref().map_or(0, |tc| tc.round);
        let useful_certs =
            t.high_qc.data.round > self.high_qc.data.round || tc_round > last_tc_round;
        if t.data.round < self.round && !useful_certs {
            return self.drops.count(DropReason::StaleRound);
        }
        if t.data.round > self.round.saturating_add(ROUND_WINDOW) {
            return self.drops.count(DropReason::FutureRound);
        }
        if t.high_qc.data.round != t.data.high_qc_round || t.data.high_qc_round >= t.data.round {
            return self.drops.count(DropReason::MalformedTimeout);
        }
        if let Some(index) = self.validators().index_of(&t.signer)
            && self.timeouts.has(t.data.round, index)
            && !useful_certs
        {
            return self.drops.count(DropReason::Duplicate);
        }
        if t.verify_signature().is_err() {
            return self.drops.count(DropReason::BadSignature);
        }
        let high_qc = match self.check_qc(&t.high_qc) {
            Ok(qc) => qc,
            Err(reason) => return self.drops.count(reason),
        };
        if let Some(tc) = &msg.last_tc
            && let Err(reason) = self.check_tc(tc)
        {
            return self.drops.count(reason);
        }
        // Not the timeout's signer as the holder: it may have the QC without its block.
        self.process_qc(&high_qc, None, out);
        if let Some(tc) = &msg.last_tc {
            self.process_tc(tc, out);
        }
        if msg.timeout.data.round >= self.round {
            self.add_timeout(msg.timeout, out);
        }
    }

    /// Counts a checked timeout; forms a TC at quorum, and joins a round that at least f + 1
    /// power gave up on (so one slow timer cannot hold back the others).
    fn add_timeout(&mut self, timeout: Timeout, out: &mut Out) {
        let Some(index) = self.validators().index_of(&timeout.signer) else {
            return;
        };
        let round = timeout.data.round;
        match self.timeouts.add(&self.cfg.validators, index, timeout) {
            Added::Duplicate => self.drops.count(DropReason::Duplicate),
            Added::Counted { tc: Some(tc), .. } => self.process_tc(&tc, out),
            Added::Counted { power, tc: None } => {
                let joined = self.safety.data().highest_timeout_round >= round;
                if round == self.round && !joined && power >= self.validators().validity_power() {
                    self.local_timeout(out);
                }
            }
        }
    }
}
