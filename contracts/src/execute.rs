//! The state transition: `execute(state, block context, events) -> results`.

use crate::context::{BlockContext, Ctx, Fail, Step, reject};
use crate::custom::CustomRules;
use crate::error::ExecError;
use crate::governance::{self, RuleIndex, entry_in_force};
use crate::outcome::{EventOutcome, RejectCode, Rejection, Status, results_root};
use crate::records::{EventRecord, KeyRetirement, SignerRecord};
use crate::state::{StateView, flush, read_record};
use crate::store::Store;
use crate::{
    coherence, correction, devices, ipr, keys, origin, party_keys, permissions, risk, shipment, smt,
};
use tradeledger_types::{Block, EventId, Hash32, Organisation, Payload, RuleSet, SignedEvent};

/// The results of executing a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockResults {
    /// One outcome per event, in block order.
    pub outcomes: Vec<EventOutcome>,
    /// The state root after the block.
    pub state_root: Hash32,
    /// The Merkle root over the outcomes ([`results_root`]).
    pub results_root: Hash32,
    /// The rule-set version in force during the block.
    pub rule_set_version: u32,
}

/// Executes `events` as the block at `block.height` with time `block.block_time_ms`, writing the
/// state changes of applied events to `store` (rejected events change nothing).
///
/// Pure: the result depends only on the store's contents and the arguments. Work per event is
/// bounded (payload sizes, registry caps, custom-rule fuel). Signatures are not checked here (the
/// node verifies them before execution); chain id, sequence numbers, permissions and references
/// are.
///
/// Errors only when the store fails or holds something this code did not write; the store may then
/// hold part of the block's writes, so the node must discard its write batch.
pub fn execute<S: Store>(
    store: &mut S,
    block: &BlockContext,
    events: &[SignedEvent],
) -> Result<BlockResults, ExecError> {
    let ids: Vec<EventId> = events.iter().map(SignedEvent::id).collect();
    execute_with_ids(store, block, events, &ids)
}

/// [`execute`] for a caller that already holds each event's id ([`SignedEvent::id`], in block
/// order): a node computes them when it checks a block's events against its header, and
/// computing them again here (an encoding and a hash per event) was a measurable share of
/// execution. The results are identical to [`execute`]'s.
///
/// # Panics
/// If `ids` and `events` differ in length; in builds with debug assertions, also if an id is
/// not its event's (a caller bug that would make this node's results diverge).
pub fn execute_with_ids<S: Store>(
    store: &mut S,
    block: &BlockContext,
    events: &[SignedEvent],
    ids: &[EventId],
) -> Result<BlockResults, ExecError> {
    assert_eq!(ids.len(), events.len(), "one id per event");
    debug_assert!(
        events.iter().zip(ids).all(|(e, id)| e.id() == *id),
        "ids are the events' own"
    );
    let chain_id: String =
        read_record(store, &keys::chain_id())?.ok_or(ExecError::NotInitialised)?;
    let rules = entry_in_force(store, block.height)?.rule_set;
    let env = Env {
        chain_id: &chain_id,
        block,
        rules: &rules,
        index: RuleIndex::new(&rules),
    };
    let mut custom = CustomRules::new(&rules);
    let mut view = StateView::new(&*store);
    let mut outcomes = Vec::with_capacity(events.len());
    for (ev, &id) in events.iter().zip(ids) {
        let (status, records) = match run_event(&mut view, &env, &mut custom, ev, id) {
            Ok(records) => {
                view.apply_event();
                (Status::Applied, records)
            }
            Err(Fail::Reject(r)) => {
                view.discard_event();
                if r.code.consumes_sequence() {
                    consume_sequence(&mut view, ev)?;
                    view.apply_event();
                }
                (Status::Rejected(r), Vec::new())
            }
            Err(Fail::Exec(e)) => return Err(e),
        };
        outcomes.push(EventOutcome {
            event_id: id,
            status,
            records,
        });
    }
    let writes = view.into_writes();
    flush(store, writes)?;
    Ok(BlockResults {
        state_root: smt::root(store)?,
        results_root: results_root(&outcomes),
        outcomes,
        rule_set_version: rules.version,
    })
}

/// [`execute`] with the height and time taken from a block's header.
pub fn execute_block<S: Store>(store: &mut S, block: &Block) -> Result<BlockResults, ExecError> {
    execute(store, &BlockContext::of(block), &block.events)
}

/// [`execute_with_ids`] with the height and time taken from a block's header.
pub fn execute_block_with_ids<S: Store>(
    store: &mut S,
    block: &Block,
    ids: &[EventId],
) -> Result<BlockResults, ExecError> {
    execute_with_ids(store, &BlockContext::of(block), &block.events, ids)
}

/// What every event of a block shares.
struct Env<'r> {
    chain_id: &'r str,
    block: &'r BlockContext,
    rules: &'r RuleSet,
    index: RuleIndex<'r>,
}

/// Records that a rejected event used up its signer's sequence number: the envelope checks
/// passed, so the signer exists and `seq` is the next number.
fn consume_sequence<S: Store>(
    view: &mut StateView<'_, S>,
    ev: &SignedEvent,
) -> Result<(), ExecError> {
    let key = keys::signer(&ev.body.signer);
    let mut signer: SignerRecord = view.get(&key)?.ok_or_else(|| ExecError::CorruptState {
        key: format!("signer {}", ev.body.signer),
        reason: "a rejection after the envelope checks names a missing signer".into(),
    })?;
    assert_eq!(
        signer.last_seq.checked_add(1),
        Some(ev.body.seq),
        "sequence consumed out of order"
    );
    signer.last_seq = ev.body.seq;
    view.put(key, &signer);
    Ok(())
}

fn run_event<S: Store>(
    view: &mut StateView<'_, S>,
    env: &Env<'_>,
    custom: &mut CustomRules,
    ev: &SignedEvent,
    id: EventId,
) -> Step<Vec<crate::Derived>> {
    let body = &ev.body;
    if body.chain_id != env.chain_id {
        return reject(
            RejectCode::WrongChain,
            format!(
                "signed for chain {:?}, this is {:?}",
                body.chain_id, env.chain_id
            ),
        );
    }
    let kind = body.payload.kind();
    let signer_key = keys::signer(&body.signer);
    let Some(mut signer): Option<SignerRecord> = view.get(&signer_key)? else {
        return reject(
            RejectCode::UnknownSigner,
            format!(
                "key {} is not an organisation key or a registered device",
                body.signer
            ),
        );
    };
    let retirement: Option<KeyRetirement> = match signer.device {
        Some(_) => None,
        None => view.get(&keys::key_retirement(&body.signer))?,
    };
    if let Some(r) = retired(&signer, retirement.as_ref(), env.block.height) {
        return Err(Fail::Reject(r));
    }
    if let Some(d) = &signer.device
        && !d.kinds.contains(&kind)
    {
        return reject(
            RejectCode::DeviceKindNotAllowed,
            format!("device {} may not sign {}", d.device_id, kind.as_str()),
        );
    }
    let expected = signer.last_seq.saturating_add(1);
    if body.seq < expected {
        return reject(
            RejectCode::ReplayedSequence,
            format!("sequence {} already used; next is {expected}", body.seq),
        );
    }
    if body.seq > expected {
        return reject(
            RejectCode::SequenceGap,
            format!("sequence {} skips ahead; next is {expected}", body.seq),
        );
    }
    let org: Organisation =
        view.get(&keys::org(&signer.org))?
            .ok_or_else(|| ExecError::CorruptState {
                key: format!("organisation {}", signer.org),
                reason: "a signer names a missing organisation".into(),
            })?;
    signer.last_seq = body.seq;
    let device = signer.device.is_some();
    view.put(signer_key, &signer);
    // From here on a rejection still uses up the sequence number (`consume_sequence`).
    if let Err(e) = body.payload.validate() {
        return reject(RejectCode::InvalidPayload, e.to_string());
    }
    // The same rejection for what contradicts the state: the signing device's registration,
    // the shipment's declaration, the block's time (one place: `coherence`).
    coherence::check(view, env.block, signer.device.as_ref(), &body.payload)?;

    let mut cx = Ctx {
        view,
        block: *env.block,
        rules: env.rules,
        index: &env.index,
        custom,
        id,
        device,
        org,
        records: Vec::new(),
    };
    permissions::check_role(&cx, &body.payload)?;
    dispatch(&mut cx, &body.payload)?;
    let shipment_id = match &body.payload {
        Payload::Correction(c) => cx
            .view
            .get::<EventRecord>(&keys::event(&c.corrects))?
            .and_then(|r| r.shipment_id),
        p => p.shipment_id().map(str::to_owned),
    };
    let record = EventRecord {
        kind,
        org: cx.org.id.clone(),
        shipment_id,
        height: env.block.height,
        corrected_by: None,
    };
    cx.view.put(keys::event(&id), &record);
    Ok(cx.records)
}

/// Why a key may not sign at `height`: a device revoked from that height or before
/// (`device_revoked`), or an organisation key rotated out from that height or before
/// (`key_revoked`). Shared by execution and the node's mempool admission
/// ([`crate::signer_refusal`]), so both give the same code and detail.
pub(crate) fn retired(
    signer: &SignerRecord,
    retirement: Option<&KeyRetirement>,
    height: u64,
) -> Option<Rejection> {
    if let Some(d) = &signer.device
        && let Some(h) = d.revoked_from_height.filter(|h| *h <= height)
    {
        return Some(Rejection {
            code: RejectCode::DeviceRevoked,
            detail: format!(
                "device {} of {} is revoked from height {h}",
                d.device_id, signer.org
            ),
        });
    }
    let r = retirement.filter(|r| r.from_height <= height)?;
    Some(Rejection {
        code: RejectCode::KeyRevoked,
        detail: format!(
            "this key of {} was rotated out from height {} (replaced by {})",
            r.org, r.from_height, r.replaced_by
        ),
    })
}

fn dispatch<S: Store>(cx: &mut Ctx<'_, '_, S>, payload: &Payload) -> Step {
    match payload {
        Payload::ShipmentDeclaration(d) => shipment::declare(cx, d),
        Payload::CertificateOfOrigin(c) => origin::certificate(cx, c),
        Payload::Custody(e) => risk::custody(cx, e),
        Payload::SensorReport(s) => risk::sensor(cx, s),
        Payload::Inspection(i) => risk::inspection(cx, i),
        Payload::Clearance(c) => shipment::clearance(cx, c),
        Payload::IprRecordation(r) => ipr::record(cx, r),
        Payload::IprAcceptance(a) => ipr::accept(cx, a),
        Payload::IprLicence(l) => ipr::licence(cx, l),
        Payload::IprRevocation(r) => ipr::revoke(cx, r),
        Payload::DeviceRegistration(r) => devices::register(cx, r),
        Payload::DeviceRevocation(r) => devices::revoke(cx, r),
        Payload::RuleSetUpdate(u) => governance::update(cx, u),
        Payload::Correction(c) => correction::correct(cx, c),
        Payload::KeyRotation(r) => party_keys::rotate(cx, r),
    }
}
