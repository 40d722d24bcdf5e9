//! Determinism: the same generated blocks executed on two independent state instances give
//! byte-identical state roots, results roots and stores; and the incrementally maintained state
//! root equals the root recomputed from scratch over the values.

use proptest::prelude::*;
use tradeledger_contracts::smt::root_of_entries;
use tradeledger_contracts::testkit::{self, Actor, DAY_MS, HOUR_MS, T0_MS};
use tradeledger_contracts::*;
use tradeledger_types::domain::sha256;
use tradeledger_types::*;

#[derive(Debug, Clone)]
enum Op {
    Declare {
        sid: u8,
        value: u8,
    },
    Custody {
        sid: u8,
        place: u8,
        epcs: u8,
        seal: u8,
        hours: u8,
    },
    Sensor {
        sid: u8,
        temps: Vec<i8>,
    },
    Certificate {
        sid: u8,
        criterion: u8,
        hs_ok: bool,
    },
    Inspect {
        sid: u8,
        fail: bool,
    },
    Clear {
        sid: u8,
    },
    Threshold {
        minutes: u8,
    },
    CustomRule {
        limit: u8,
    },
    Recordation,
    Accept,
    Replay {
        who: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6, any::<u8>()).prop_map(|(sid, value)| Op::Declare { sid, value }),
        4 => (0u8..6, 0u8..5, 0u8..4, 0u8..4, any::<u8>()).prop_map(|(sid, place, epcs, seal, hours)| Op::Custody { sid, place, epcs, seal, hours }),
        4 => (0u8..6, prop::collection::vec(-5i8..25, 1..12)).prop_map(|(sid, temps)| Op::Sensor { sid, temps }),
        2 => (0u8..6, 0u8..4, any::<bool>()).prop_map(|(sid, criterion, hs_ok)| Op::Certificate { sid, criterion, hs_ok }),
        1 => (0u8..6, any::<bool>()).prop_map(|(sid, fail)| Op::Inspect { sid, fail }),
        1 => (0u8..6).prop_map(|sid| Op::Clear { sid }),
        1 => (0u8..200).prop_map(|minutes| Op::Threshold { minutes }),
        1 => any::<u8>().prop_map(|limit| Op::CustomRule { limit }),
        1 => Just(Op::Recordation),
        1 => Just(Op::Accept),
        1 => (0u8..3).prop_map(|who| Op::Replay { who }),
    ]
}

struct Builder {
    exporter: Actor,
    carrier: Actor,
    customs: Actor,
    quarantine: Actor,
    rights: Actor,
    next_rule_version: u32,
}

impl Builder {
    /// Builds the block's events as a mempool would: sequence numbers follow the state, and an
    /// event found rejected on a scratch copy does not use up its number. Many events are still
    /// rejected (references to undeclared shipments, replays, stale rule-set versions), and their
    /// rejections must be deterministic too.
    fn events(&mut self, store: &MemStore, ctx: &BlockContext, ops: &[Op]) -> Vec<SignedEvent> {
        for a in [
            &mut self.exporter,
            &mut self.carrier,
            &mut self.customs,
            &mut self.quarantine,
            &mut self.rights,
        ] {
            a.next_seq = signer(store, &a.key.public())
                .expect("memory store")
                .expect("genesis key")
                .last_seq
                + 1;
        }
        let mut scratch = store.clone();
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            let ev = self.event(op, ctx.height);
            let rejected = !execute(&mut scratch, ctx, std::slice::from_ref(&ev))
                .expect("memory store")
                .outcomes[0]
                .is_applied();
            if rejected && !matches!(op, Op::Replay { .. }) {
                for a in [
                    &mut self.exporter,
                    &mut self.carrier,
                    &mut self.customs,
                    &mut self.quarantine,
                    &mut self.rights,
                ] {
                    if a.key.public() == ev.body.signer {
                        a.next_seq -= 1;
                    }
                }
            }
            if matches!(op, Op::Threshold { .. } | Op::CustomRule { .. }) && rejected {
                self.next_rule_version -= 1;
            }
            out.push(ev);
        }
        out
    }

    fn event(&mut self, op: &Op, height: u64) -> SignedEvent {
        let sid = |n: &u8| format!("S{n}");
        match op {
            Op::Declare { sid: n, value } => {
                let mut d = testkit::declaration(&sid(n));
                d.goods[0].value_minor = 1_000_000 + u64::from(*value) * 50_000;
                d.goods[0].brand = (*value % 3 == 0).then(|| "Acme".to_owned());
                d.goods[0].manufacturer = (*value % 2 == 0).then(|| "Acme Optics SA".to_owned());
                self.exporter.sign(Payload::ShipmentDeclaration(d))
            }
            Op::Custody {
                sid: n,
                place,
                epcs,
                seal,
                hours,
            } => {
                let locode = ["MXUPN", "MXMTY", "USLRD", "GTGUA", "USDAL"][usize::from(*place)];
                let step = if *place == 2 { "arriving" } else { "departing" };
                let epc_list = (1..=u32::from(*epcs)).map(testkit::pallet).collect();
                let mut e = testkit::custody(
                    &sid(n),
                    step,
                    locode,
                    T0_MS + DAY_MS + u64::from(*hours) * HOUR_MS,
                    epc_list,
                );
                e.seal = match seal {
                    1 => Some(Seal {
                        seal_id: "SEAL-1".into(),
                        status: SealStatus::Opened,
                    }),
                    2 => Some(Seal {
                        seal_id: "SEAL-1".into(),
                        status: SealStatus::Broken,
                    }),
                    _ => None,
                };
                self.carrier.sign(Payload::Custody(e))
            }
            Op::Sensor { sid: n, temps } => {
                let start = T0_MS + DAY_MS + height * HOUR_MS;
                let readings = temps
                    .iter()
                    .enumerate()
                    .map(|(i, t)| testkit::temp(start + i as u64 * 600_000, i64::from(*t) * 1_000))
                    .collect();
                self.carrier
                    .sign(Payload::SensorReport(testkit::sensor_report(
                        &sid(n),
                        readings,
                    )))
            }
            Op::Certificate {
                sid: n,
                criterion,
                hs_ok,
            } => {
                let d = testkit::declaration(&sid(n));
                let mut c = testkit::certificate(&d, &format!("COO-{n}-{height}"));
                c.goods[0].criterion = [
                    OriginCriterion::A,
                    OriginCriterion::B,
                    OriginCriterion::C,
                    OriginCriterion::D,
                ][usize::from(*criterion)];
                if !hs_ok {
                    c.goods[0].hs_code = "080450".into();
                }
                self.exporter.sign(Payload::CertificateOfOrigin(c))
            }
            Op::Inspect { sid: n, fail } => {
                self.quarantine.sign(Payload::Inspection(InspectionResult {
                    shipment_id: sid(n),
                    kind: InspectionKind::Phytosanitary,
                    outcome: if *fail {
                        InspectionOutcome::Fail
                    } else {
                        InspectionOutcome::Pass
                    },
                    findings: vec![],
                    treatment: None,
                    inspected_ms: T0_MS + 2 * DAY_MS,
                }))
            }
            Op::Clear { sid: n } => self.customs.sign(Payload::Clearance(ClearanceDecision {
                shipment_id: sid(n),
                decision: Decision::Release,
                reason: String::new(),
            })),
            Op::Threshold { minutes } => {
                self.next_rule_version += 1;
                let c = CommodityRule {
                    hs_prefix: "080440".into(),
                    name: "avocado".into(),
                    min_milli_c: 5_000,
                    max_milli_c: 13_000,
                    excursion_minutes_max: u32::from(*minutes),
                };
                let u = RuleSetUpdate {
                    version: self.next_rule_version,
                    effective_height: height + 2,
                    changes: vec![RuleChange::SetCommodity(c)],
                    reason: "test".into(),
                };
                self.quarantine.sign(Payload::RuleSetUpdate(u))
            }
            Op::CustomRule { limit } => {
                self.next_rule_version += 1;
                let expression = if *limit % 5 == 0 {
                    "loop {}".to_owned()
                } else {
                    format!("custody_count * 10 > {limit} || excursion_minutes > {limit}")
                };
                let rule = CustomRule {
                    id: "custom.generated".into(),
                    expression,
                    severity: Severity::Warning,
                };
                let u = RuleSetUpdate {
                    version: self.next_rule_version,
                    effective_height: height + 1,
                    changes: vec![RuleChange::SetCustomRule(rule)],
                    reason: "test".into(),
                };
                self.customs.sign(Payload::RuleSetUpdate(u))
            }
            Op::Recordation => self.rights.sign(Payload::IprRecordation(IprRecordation {
                recordation_id: format!("REC-{height}"),
                mark: "ACME".into(),
                registration_no: "1".into(),
                owner: testkit::RIGHTS_HOLDER.into(),
                hs_prefixes: vec![],
                authorised_manufacturers: vec!["Acme Optics SA".into()],
                authorised_importers: vec![],
                valid_from_ms: T0_MS,
                valid_until_ms: T0_MS + 365 * DAY_MS,
                gray_market_restricted: height.is_multiple_of(2),
            })),
            Op::Accept => self.customs.sign(Payload::IprAcceptance(IprAcceptance {
                recordation_id: format!("REC-{}", height.saturating_sub(1)),
            })),
            Op::Replay { who } => {
                let a = [&self.exporter, &self.carrier, &self.customs][usize::from(*who)];
                a.sign_seq(
                    Payload::Clearance(ClearanceDecision {
                        shipment_id: "S0".into(),
                        decision: Decision::Release,
                        reason: String::new(),
                    }),
                    1,
                )
            }
        }
    }
}

fn builder() -> Builder {
    Builder {
        exporter: Actor::new(testkit::EXPORTER),
        carrier: Actor::new(testkit::CARRIER),
        customs: Actor::new(testkit::CUSTOMS),
        quarantine: Actor::new(testkit::QUARANTINE),
        rights: Actor::new(testkit::RIGHTS_HOLDER),
        next_rule_version: 1,
    }
}

fn root_from_scratch(store: &MemStore) -> Hash32 {
    let mut entries: Vec<(Hash32, Hash32)> = store
        .entries()
        .filter(|(k, _)| k.first() == Some(&b'v'))
        .map(|(k, v)| (sha256(&k[1..]), sha256(v)))
        .collect();
    entries.sort();
    root_of_entries(&entries)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn two_instances_agree_byte_for_byte_with_ids_given_or_computed(blocks in prop::collection::vec(prop::collection::vec(op(), 0..14), 1..8)) {
        let genesis = testkit::genesis();
        let mut a = MemStore::new();
        let mut b = MemStore::new();
        prop_assert_eq!(init_genesis(&mut a, &genesis).expect("valid"), init_genesis(&mut b, &genesis).expect("valid"));
        let mut gen_ = builder();
        for (i, ops) in blocks.iter().enumerate() {
            let height = i as u64 + 1;
            let ctx = BlockContext { height, block_time_ms: T0_MS + 10 * DAY_MS + height * 1_000 };
            let mut ops = ops.clone();
            if i == 0 {
                ops.splice(0..0, (0..3).map(|sid| Op::Declare { sid, value: sid * 40 }));
            }
            let events = gen_.events(&a, &ctx, &ops);
            let ra = execute(&mut a, &ctx, &events).expect("memory store");
            // The second instance takes the ids precomputed, as a node and an auditor do.
            let ids: Vec<EventId> = events.iter().map(SignedEvent::id).collect();
            let rb = execute_with_ids(&mut b, &ctx, &events, &ids).expect("memory store");
            prop_assert_eq!(ra.state_root, rb.state_root);
            prop_assert_eq!(ra.results_root, rb.results_root);
            prop_assert_eq!(&ra.outcomes, &rb.outcomes);
            prop_assert_eq!(ra.results_root, results_root(&ra.outcomes));
            prop_assert_eq!(ra.state_root, root_from_scratch(&a));
        }
        prop_assert!(a == b, "stores differ");
    }
}

fn one_declaration() -> (MemStore, BlockContext, Vec<SignedEvent>) {
    let mut store = MemStore::new();
    init_genesis(&mut store, &testkit::genesis()).expect("valid");
    let ctx = BlockContext {
        height: 1,
        block_time_ms: T0_MS + 10 * DAY_MS,
    };
    let events = builder().events(&store, &ctx, &[Op::Declare { sid: 0, value: 40 }]);
    (store, ctx, events)
}

#[test]
#[should_panic(expected = "one id per event")]
fn ids_fewer_than_events_are_a_caller_bug() {
    let (mut store, ctx, events) = one_declaration();
    let _ = execute_with_ids(&mut store, &ctx, &events, &[]);
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "ids are the events' own")]
fn an_id_that_is_not_its_events_is_caught_in_debug_builds() {
    let (mut store, ctx, events) = one_declaration();
    let wrong = vec![Hash32([7; 32]); events.len()];
    let _ = execute_with_ids(&mut store, &ctx, &events, &wrong);
}
