//! Admission of many events at once: a batch from a client (`POST /v1/events/batch`) or from
//! another validator's mempool.
//!
//! The checks and answers are exactly those of [`Mempool::admit`], event by event, in order;
//! what changes is the cost: one storage round trip for the whole batch, one lock for the
//! prechecks and one for the inserts, and one signature batch on a blocking thread, instead of
//! a task, a storage call and a verifier hand-off per event.

use super::{Mempool, Reject, Source, retired_at_next_height, verifier};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use tradeledger_types::{EventId, PublicKey, SignedEvent};

/// What storage says about a signer before admission.
struct SignerFacts {
    committed_seq: u64,
    retired: Option<tradeledger_contracts::Rejection>,
}

impl Mempool {
    /// Admits decoded events `(event, id, canonical size)`; one answer per event, in order.
    /// Counts accepted and rejected events like [`Mempool::admit`].
    pub async fn admit_batch(
        &self,
        events: Vec<(SignedEvent, EventId, usize)>,
        source: Source,
    ) -> Vec<Result<(), Reject>> {
        let mut answers: Vec<Option<Result<(), Reject>>> = Vec::with_capacity(events.len());
        answers.resize_with(events.len(), || None);
        let answers = self.admit_batch_inner(events, source, answers).await;
        let answers: Vec<Result<(), Reject>> = answers
            .into_iter()
            .map(|a| a.unwrap_or_else(|| Err(Reject::Unavailable("not answered".into()))))
            .collect();
        for a in &answers {
            match a {
                Ok(()) => {
                    self.metrics.events_accepted.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => self.metrics.events_rejected.inc(e.code()),
            }
        }
        answers
    }

    async fn admit_batch_inner(
        &self,
        events: Vec<(SignedEvent, EventId, usize)>,
        source: Source,
        mut answers: Vec<Option<Result<(), Reject>>>,
    ) -> Vec<Option<Result<(), Reject>>> {
        // 1. Envelope checks that need nothing but the event.
        for (i, (event, _, _)) in events.iter().enumerate() {
            if event.body.chain_id != self.chain_id {
                answers[i] = Some(Err(Reject::WrongChain {
                    expected: self.chain_id.clone(),
                    found: event.body.chain_id.clone(),
                }));
            } else if let Err(e) = event.body.payload.validate() {
                answers[i] = Some(Err(Reject::InvalidPayload(e)));
            }
        }
        // 2. One storage call: committed sequence and key status of each signer not known yet
        //    (every signer for local submissions), and whether each such event is committed.
        let lookups: Vec<(usize, PublicKey, EventId)> = {
            let pool = self.lock();
            events
                .iter()
                .enumerate()
                .filter(|(i, (e, _, _))| {
                    answers[*i].is_none()
                        && (source == Source::Local
                            || pool.known_committed_seq(&e.body.signer).is_none())
                })
                .map(|(i, (e, id, _))| (i, e.body.signer, *id))
                .collect()
        };
        if !lookups.is_empty() {
            let query = lookups.clone();
            let found = self
                .store
                .blocking(move |s| {
                    let mut signers: BTreeMap<PublicKey, SignerFacts> = BTreeMap::new();
                    let mut committed = Vec::with_capacity(query.len());
                    for (_, signer, id) in &query {
                        if !signers.contains_key(signer) {
                            let facts = SignerFacts {
                                committed_seq: s.signer_last_seq(signer)?,
                                retired: retired_at_next_height(s, signer)?,
                            };
                            signers.insert(*signer, facts);
                        }
                        committed.push(s.has_event(id)?);
                    }
                    Ok((signers, committed))
                })
                .await;
            let (signers, committed) = match found {
                Ok(f) => f,
                Err(e) => {
                    for (i, _, _) in &lookups {
                        answers[*i] = Some(Err(Reject::Unavailable(e.to_string())));
                    }
                    return answers;
                }
            };
            let mut pool = self.lock();
            for ((i, signer, id), is_committed) in lookups.iter().zip(committed) {
                let facts = &signers[signer];
                if is_committed {
                    answers[*i] = Some(Err(Reject::AlreadyCommitted(*id)));
                } else if let Some(r) = &facts.retired {
                    answers[*i] = Some(Err(Reject::KeyRetired(r.clone())));
                }
                pool.learn_committed_seq(*signer, facts.committed_seq);
            }
        }
        // 3. Prechecks under one lock; collect the signatures still to check.
        let mut to_verify = Vec::new();
        let mut verify_at = Vec::new();
        {
            let pool = self.lock();
            for (i, (event, id, size)) in events.iter().enumerate() {
                if answers[i].is_some() {
                    continue;
                }
                if let Err(r) = pool.precheck(event, id, *size) {
                    answers[i] = Some(Err(r));
                } else if !pool.is_verified(id) {
                    to_verify.push(event.clone());
                    verify_at.push(i);
                }
            }
        }
        // 4. One signature batch on a blocking thread.
        if !to_verify.is_empty() {
            match verifier::verify_events_blocking(to_verify).await {
                Some((_, results)) => {
                    for (i, r) in verify_at.iter().zip(results) {
                        if let Err(e) = r {
                            answers[*i] = Some(Err(Reject::BadSignature(e)));
                        }
                    }
                }
                None => {
                    for i in verify_at {
                        answers[i] = Some(Err(Reject::Unavailable(
                            "signature verifier stopped".into(),
                        )));
                    }
                    return answers;
                }
            }
        }
        // 5. Inserts under one lock (re-checked there), then hand local events to gossip.
        let mut admitted = Vec::new();
        {
            let now_ms = crate::time::now_ms();
            let mut pool = self.lock();
            for (i, (event, id, size)) in events.into_iter().enumerate() {
                if answers[i].is_some() {
                    continue;
                }
                let copy = (source == Source::Local).then(|| event.clone());
                let r = pool.insert(event, id, size, now_ms);
                if let (Ok(()), Some(event)) = (&r, copy) {
                    admitted.push(event);
                }
                answers[i] = Some(r);
            }
            self.update_gauges(&pool);
        }
        for event in admitted {
            if self.outgoing.try_send(event).is_err() {
                tracing::warn!("gossip queue full: event stays local until this node proposes it");
            }
        }
        answers
    }
}
