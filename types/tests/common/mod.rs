//! Realistic sample values of every message kind, shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use tradeledger_types::*;

pub const CHAIN: &str = "tradeledger-test-1";
pub const T0: u64 = 1_780_000_000_000; // 2026-05-28

pub fn key(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

pub fn party(org: &str, name: &str, country: &str) -> Party {
    Party {
        org: Some(org.into()),
        name: name.into(),
        address: format!("1 Main St, {country}"),
        contact: format!("trade@{org}.example"),
        country: country.into(),
    }
}

pub fn location(locode: &str, lat: i32, lon: i32) -> Location {
    Location {
        locode: Some(locode.into()),
        lat_micro_deg: Some(lat),
        lon_micro_deg: Some(lon),
        site: None,
    }
}

pub fn declaration() -> ShipmentDeclaration {
    ShipmentDeclaration {
        shipment_id: "SHP-2026-000123".into(),
        exporter: party("mx-avocado-exports", "Aguacates de Michoacán SA", "MX"),
        importer: party("us-fresh-imports", "US Fresh Imports LLC", "US"),
        producer: None,
        carrier: "mx-reefer-lines".into(),
        goods: vec![GoodsLine {
            line: 1,
            description: "Fresh Hass avocados, 10 kg cartons".into(),
            gtin: Some("00614141000418".into()),
            hs_code: "080440".into(),
            quantity: 20_000,
            unit: "KGM".into(),
            value_minor: 4_200_000,
            currency: "USD".into(),
            brand: None,
            manufacturer: None,
            origin_country: "MX".into(),
            cost: None,
        }],
        origin_country: "MX".into(),
        destination_country: "US".into(),
        route: vec![
            RouteStop {
                country: "MX".into(),
                locode: Some("MXUPN".into()),
            },
            RouteStop {
                country: "US".into(),
                locode: Some("USPHR".into()),
            },
        ],
        epcs: vec![
            "urn:epc:id:sscc:0614141.1234567890".into(),
            "urn:epc:id:sscc:0614141.1234567891".into(),
        ],
        departure_ms: T0,
        arrival_ms: T0 + 2 * 86_400_000,
    }
}

pub fn certificate_of_origin() -> CertificateOfOrigin {
    CertificateOfOrigin {
        certificate_id: "COO-2026-77".into(),
        shipment_id: "SHP-2026-000123".into(),
        certifier_role: CertifierRole::Exporter,
        certifier: party("mx-avocado-exports", "Aguacates de Michoacán SA", "MX"),
        exporter: party("mx-avocado-exports", "Aguacates de Michoacán SA", "MX"),
        producer: Some(party(
            "mx-avocado-exports",
            "Aguacates de Michoacán SA",
            "MX",
        )),
        importer: party("us-fresh-imports", "US Fresh Imports LLC", "US"),
        goods: vec![CertifiedGood {
            line: 1,
            description: "Fresh Hass avocados".into(),
            hs_code: "080440".into(),
            criterion: OriginCriterion::A,
        }],
        blanket_period: Some(BlanketPeriod {
            from_ms: T0 - 86_400_000,
            until_ms: T0 + 180 * 86_400_000,
        }),
        signatory_name: "María López, Export Manager".into(),
        signed_ms: T0 - 3_600_000,
    }
}

pub fn custody() -> CustodyEvent {
    CustodyEvent {
        shipment_id: "SHP-2026-000123".into(),
        event_type: EpcisEventType::Object,
        action: Some(Action::Observe),
        biz_step: "arriving".into(),
        disposition: Some("in_transit".into()),
        event_time_ms: T0 + 86_400_000,
        time_zone_offset_min: -360,
        read_point: Some(location("USPHR", 26_194_000, -98_183_000)),
        biz_location: None,
        epcs: vec!["urn:epc:id:sscc:0614141.1234567890".into()],
        parent: None,
        seal: Some(Seal {
            seal_id: "ESEAL-0042".into(),
            status: SealStatus::Intact,
        }),
        extensions: vec![Extension {
            name: "example:portal".into(),
            json: "\"lane-3\"".into(),
        }],
    }
}

pub fn sensor_report() -> SensorReport {
    let readings: Vec<Reading> = (0..6)
        .map(|i| Reading {
            kind: SensorKind::Temperature,
            value_milli: 7_000 + i * 250,
            unit: "CEL".into(),
            time_ms: T0 + i as u64 * 900_000,
        })
        .collect();
    SensorReport {
        shipment_id: "SHP-2026-000123".into(),
        device_id: "REEFER-7781".into(),
        stats: vec![SeriesStats {
            kind: SensorKind::Temperature,
            count: 6,
            min_milli: 7_000,
            max_milli: 8_250,
        }],
        series_len: 6,
        series_root: None,
        readings,
    }
}

pub fn inspection() -> InspectionResult {
    InspectionResult {
        shipment_id: "SHP-2026-000123".into(),
        kind: InspectionKind::Phytosanitary,
        outcome: InspectionOutcome::Pass,
        findings: vec![Finding {
            code: "none".into(),
            description: "No pests found".into(),
        }],
        treatment: Some(TreatmentRecord {
            kind: TreatmentKind::Cold,
            start_ms: T0,
            end_ms: T0 + 21 * 86_400_000,
            readings: vec![Reading {
                kind: SensorKind::PulpTemperature,
                value_milli: 500,
                unit: "CEL".into(),
                time_ms: T0,
            }],
        }),
        inspected_ms: T0 + 2 * 86_400_000,
    }
}

pub fn all_payloads() -> Vec<(&'static str, Payload)> {
    vec![
        (
            "shipment_declaration",
            Payload::ShipmentDeclaration(declaration()),
        ),
        (
            "certificate_of_origin",
            Payload::CertificateOfOrigin(certificate_of_origin()),
        ),
        ("custody", Payload::Custody(custody())),
        ("sensor_report", Payload::SensorReport(sensor_report())),
        ("inspection", Payload::Inspection(inspection())),
        (
            "clearance",
            Payload::Clearance(ClearanceDecision {
                shipment_id: "SHP-2026-000123".into(),
                decision: Decision::Hold,
                reason: "RFID mismatch".into(),
            }),
        ),
        (
            "ipr_recordation",
            Payload::IprRecordation(IprRecordation {
                recordation_id: "TMK-24-00017".into(),
                mark: "VOLTARA".into(),
                registration_no: "7123456".into(),
                owner: "voltara-brands".into(),
                hs_prefixes: vec!["8517".into()],
                authorised_manufacturers: vec!["Voltara Devices Ltd".into()],
                authorised_importers: vec!["Voltara USA Inc".into()],
                valid_from_ms: T0 - 365 * 86_400_000,
                valid_until_ms: T0 + 3650 * 86_400_000,
                gray_market_restricted: true,
            }),
        ),
        (
            "ipr_acceptance",
            Payload::IprAcceptance(IprAcceptance {
                recordation_id: "TMK-24-00017".into(),
            }),
        ),
        (
            "ipr_licence",
            Payload::IprLicence(IprLicence {
                licence_id: "LIC-9".into(),
                recordation_id: "TMK-24-00017".into(),
                parent_licence_id: None,
                licensee: "Shenzhen Licensed Mfg Co".into(),
                scope: LicenceScope::Manufacture,
                valid_from_ms: T0 - 86_400_000,
                valid_until_ms: T0 + 365 * 86_400_000,
            }),
        ),
        (
            "ipr_revocation",
            Payload::IprRevocation(IprRevocation {
                licence_id: "LIC-9".into(),
                effective_ms: T0,
                reason: "breach".into(),
            }),
        ),
        (
            "device_registration",
            Payload::DeviceRegistration(DeviceRegistration {
                device_key: key(40).public(),
                device_id: "REEFER-7781".into(),
                kinds: vec![EventKind::SensorReport, EventKind::Custody],
            }),
        ),
        (
            "device_revocation",
            Payload::DeviceRevocation(DeviceRevocation {
                device_key: key(40).public(),
                effective_height: 1000,
            }),
        ),
        (
            "rule_set_update",
            Payload::RuleSetUpdate(RuleSetUpdate {
                version: 2,
                effective_height: 50,
                changes: vec![RuleChange::SetCommodity(CommodityRule {
                    hs_prefix: "080440".into(),
                    name: "avocado, mature-green".into(),
                    min_milli_c: 5_000,
                    max_milli_c: 13_000,
                    excursion_minutes_max: 120,
                })],
                reason: "tighter excursion tolerance".into(),
            }),
        ),
        (
            "correction",
            Payload::Correction(Correction {
                corrects: Hash32([9; 32]),
                reason: "wrong quantity".into(),
                replacement: Some(Box::new(Payload::ShipmentDeclaration(declaration()))),
            }),
        ),
        (
            "key_rotation",
            Payload::KeyRotation(KeyRotation {
                old_key: key(11).public(),
                new_key: key(12).public(),
                effective_height: 120,
            }),
        ),
    ]
}

pub fn signed(payload: Payload, signer: u8, seq: u64) -> SignedEvent {
    let k = key(signer);
    EventBody {
        chain_id: CHAIN.into(),
        signer: k.public(),
        seq,
        payload,
    }
    .sign(&k)
}

pub fn rule_set() -> RuleSet {
    RuleSet {
        version: 1,
        commodities: vec![CommodityRule {
            hs_prefix: "080440".into(),
            name: "avocado, mature-green".into(),
            min_milli_c: 5_000,
            max_milli_c: 13_000,
            excursion_minutes_max: 180,
        }],
        product_rules: vec![ProductRule {
            hs_prefix: "7208".into(),
            tariff_shift: TariffShift::Heading,
            rvc_transaction_value_bp: Some(6_000),
            rvc_net_cost_bp: Some(5_000),
        }],
        de_minimis_bp: 1_000,
        reference_values: vec![],
        seal_authorised_locodes: vec!["MXUPN".into()],
        treatment_gap_minutes_max: 60,
        late_arrival_hours_max: 24,
        custom_rules: vec![],
        custom_rule_fuel: 10_000,
        lane: LanePolicy {
            warnings_for_red: 3,
        },
    }
}

/// Four validators (keys 1..=4) and four organisations (keys 11..=14).
pub fn genesis() -> Genesis {
    let orgs = [
        ("mx-avocado-exports", Role::Shipper, "MX"),
        ("mx-reefer-lines", Role::Carrier, "MX"),
        ("us-customs", Role::Customs, "US"),
        ("us-quarantine", Role::Quarantine, "US"),
    ];
    Genesis {
        chain_id: CHAIN.into(),
        genesis_time_ms: T0,
        organisations: orgs
            .iter()
            .enumerate()
            .map(|(i, (id, role, c))| Organisation {
                id: (*id).into(),
                name: format!("{id} (legal name)"),
                country: (*c).into(),
                roles: vec![*role],
                keys: vec![key(11 + i as u8).public()],
            })
            .collect(),
        validators: orgs
            .iter()
            .enumerate()
            .map(|(i, (id, _, _))| ValidatorInfo {
                name: format!("{id}-validator"),
                org: (*id).into(),
                consensus_key: key(1 + i as u8).public(),
                peer_id: format!("12D3KooWPeer{i}"),
                voting_power: 1,
            })
            .collect(),
        rule_set: rule_set(),
        consensus: ConsensusParams::default(),
    }
}

pub fn validator_set() -> ValidatorSet {
    genesis().validator_set().unwrap()
}

pub fn block() -> Block {
    let g = genesis();
    let events: Vec<SignedEvent> = all_payloads()
        .into_iter()
        .take(3)
        .enumerate()
        .map(|(i, (_, p))| signed(p, 11, i as u64 + 1))
        .collect();
    let ids: Vec<EventId> = events.iter().map(SignedEvent::id).collect();
    let header = BlockHeader {
        chain_id: CHAIN.into(),
        height: 1,
        round: 1,
        parent_hash: g.hash(),
        proposer: key(1).public(),
        block_time_ms: T0 + 1_000,
        events_root: events_root(&ids),
        event_count: events.len() as u32,
        state_root: Hash32([0xaa; 32]),
        results_root: Hash32([0xbb; 32]),
    };
    Block {
        header,
        justify: QuorumCertificate::genesis(CHAIN, g.hash()),
        timeout_cert: None,
        events,
    }
}

pub fn vote_data(b: &Block) -> VoteData {
    VoteData {
        chain_id: CHAIN.into(),
        block_hash: b.hash(),
        height: b.header.height,
        round: b.header.round,
    }
}

/// A QC on `b` signed by validators with the given key seeds.
pub fn qc(b: &Block, signers: &[u8]) -> QuorumCertificate {
    let votes: Vec<Vote> = signers
        .iter()
        .map(|&s| Vote::sign(vote_data(b), &key(s)))
        .collect();
    QuorumCertificate::from_votes(&validator_set(), &votes)
}

pub fn timeout(round: u64, signer: u8) -> Timeout {
    let g = genesis();
    Timeout::sign(
        TimeoutData {
            chain_id: CHAIN.into(),
            round,
            high_qc_round: round - 1 - u64::from(signer % 2),
        },
        QuorumCertificate::genesis(CHAIN, g.hash()),
        &key(signer),
    )
}

pub fn tc(round: u64, signers: &[u8]) -> TimeoutCertificate {
    let ts: Vec<Timeout> = signers.iter().map(|&s| timeout(round, s)).collect();
    TimeoutCertificate::from_timeouts(&validator_set(), &ts)
}

pub fn event_proof() -> EventProof {
    let b = block();
    let ids = b.event_ids();
    EventProof {
        event: b.events[1].clone(),
        inclusion: merkle::prove(&ids, 1).unwrap(),
        header: b.header.clone(),
        certificate: qc(&b, &[1, 2, 3]),
    }
}
