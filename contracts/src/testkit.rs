//! Fixtures for tests, benchmarks and examples: a realistic Mexico → United States avocado
//! corridor with one organisation per role, keys from fixed seeds, and builders for each event
//! kind. Deterministic (no randomness, no clock); not used by execution.

use tradeledger_types::*;

/// Chain id of the fixture genesis.
pub const CHAIN_ID: &str = "tradeledger-test";
/// Genesis time of the fixture: 2026-01-01T00:00:00Z.
pub const T0_MS: TimeMs = 1_767_225_600_000;
/// One hour in milliseconds.
pub const HOUR_MS: u64 = 3_600_000;
/// One day in milliseconds.
pub const DAY_MS: u64 = 24 * HOUR_MS;

/// Exporter and certifier (shipper role), Mexico.
pub const EXPORTER: &str = "mx-avocado-exports";
/// Importer of record (shipper role), United States.
pub const IMPORTER: &str = "us-fresh-imports";
/// Carrier.
pub const CARRIER: &str = "trans-norte";
/// Another carrier, not named by the fixture shipments.
pub const OTHER_CARRIER: &str = "other-haulage";
/// Customs.
pub const CUSTOMS: &str = "us-cbp";
/// Plant-health agency.
pub const QUARANTINE: &str = "usda-aphis";
/// Trademark owner.
pub const RIGHTS_HOLDER: &str = "acme-brands";
/// Auditor.
pub const AUDITOR: &str = "audit-office";

/// Every fixture organisation with its role and country, in seed order (seed byte = index + 1).
pub const ORGS: [(&str, Role, &str); 8] = [
    (EXPORTER, Role::Shipper, "MX"),
    (IMPORTER, Role::Shipper, "US"),
    (CARRIER, Role::Carrier, "MX"),
    (OTHER_CARRIER, Role::Carrier, "US"),
    (CUSTOMS, Role::Customs, "US"),
    (QUARANTINE, Role::Quarantine, "US"),
    (RIGHTS_HOLDER, Role::RightsHolder, "US"),
    (AUDITOR, Role::Auditor, "US"),
];

/// The signing key of a fixture organisation (or of any name, for devices and strangers).
pub fn key(org: &str) -> SecretKey {
    let seed = match ORGS.iter().position(|(o, _, _)| *o == org) {
        Some(i) => [u8::try_from(i + 1).expect("few orgs"); 32],
        None => {
            let h = tradeledger_types::domain::sha256(org.as_bytes());
            h.0
        }
    };
    SecretKey::from_seed(seed)
}

/// A signer that numbers its events 1, 2, 3, ...
pub struct Actor {
    /// Its key.
    pub key: SecretKey,
    /// The sequence number of the next event.
    pub next_seq: u64,
}

impl Actor {
    /// The fixture organisation (or device) `name`, starting at sequence 1.
    pub fn new(name: &str) -> Self {
        Actor {
            key: key(name),
            next_seq: 1,
        }
    }

    /// Signs `payload` with the next sequence number.
    pub fn sign(&mut self, payload: Payload) -> SignedEvent {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.sign_seq(payload, seq)
    }

    /// Signs `payload` with the given sequence number (for replay and gap tests).
    pub fn sign_seq(&self, payload: Payload, seq: u64) -> SignedEvent {
        EventBody {
            chain_id: CHAIN_ID.into(),
            signer: self.key.public(),
            seq,
            payload,
        }
        .sign(&self.key)
    }
}

/// The fixture rule set (version 1), with figures from DOMAIN.md.
pub fn rule_set() -> RuleSet {
    RuleSet {
        version: 1,
        commodities: vec![CommodityRule {
            hs_prefix: "080440".into(),
            name: "avocado, mature-green".into(),
            min_milli_c: 5_000,
            max_milli_c: 13_000,
            excursion_minutes_max: 120,
        }],
        product_rules: vec![
            ProductRule {
                hs_prefix: "0804".into(),
                tariff_shift: TariffShift::Chapter,
                rvc_transaction_value_bp: None,
                rvc_net_cost_bp: None,
            },
            ProductRule {
                hs_prefix: "8703".into(),
                tariff_shift: TariffShift::Heading,
                rvc_transaction_value_bp: None,
                rvc_net_cost_bp: Some(7_500),
            },
            ProductRule {
                hs_prefix: "9403".into(),
                tariff_shift: TariffShift::Heading,
                rvc_transaction_value_bp: Some(6_000),
                rvc_net_cost_bp: Some(5_000),
            },
        ],
        de_minimis_bp: 1_000,
        reference_values: vec![ReferenceValue {
            hs_code: "080440".into(),
            currency: "USD".into(),
            unit_value_minor: 250,
            tolerance_bp: 5_000,
        }],
        seal_authorised_locodes: vec!["MXUPN".into(), "USLRD".into()],
        treatment_gap_minutes_max: 30,
        late_arrival_hours_max: 24,
        custom_rules: vec![],
        custom_rule_fuel: 10_000,
        lane: LanePolicy {
            warnings_for_red: 3,
        },
    }
}

/// The fixture genesis: the organisations of [`ORGS`], one validator, [`rule_set`].
pub fn genesis() -> Genesis {
    Genesis {
        chain_id: CHAIN_ID.into(),
        genesis_time_ms: T0_MS,
        organisations: ORGS
            .iter()
            .map(|(id, role, country)| Organisation {
                id: (*id).into(),
                name: format!("{id} (legal name)"),
                country: (*country).into(),
                roles: vec![*role],
                keys: vec![key(id).public()],
            })
            .collect(),
        validators: vec![ValidatorInfo {
            name: "customs-us".into(),
            org: CUSTOMS.into(),
            consensus_key: SecretKey::from_seed([99; 32]).public(),
            peer_id: "12D3KooWtest".into(),
            voting_power: 1,
        }],
        rule_set: rule_set(),
        consensus: ConsensusParams::default(),
    }
}

/// A party for a fixture organisation.
pub fn party(org: &str, country: &str) -> Party {
    Party {
        org: Some(org.into()),
        name: format!("{org} (legal name)"),
        address: "1 Main Street".into(),
        contact: "trade@example.com".into(),
        country: country.into(),
    }
}

/// An SSCC EPC for pallet `n`.
pub fn pallet(n: u32) -> Epc {
    format!("urn:epc:id:sscc:0614141.{:010}", n)
}

/// A declaration of 20 000 kg of Hass avocados (HS 080440) worth USD 50 000, from Uruapan (MX) to
/// Laredo (US), two pallets, departing at `T0 + 1 day` and arriving two days later.
pub fn declaration(shipment_id: &str) -> ShipmentDeclaration {
    ShipmentDeclaration {
        shipment_id: shipment_id.into(),
        exporter: party(EXPORTER, "MX"),
        importer: party(IMPORTER, "US"),
        producer: None,
        carrier: CARRIER.into(),
        goods: vec![GoodsLine {
            line: 1,
            description: "Fresh Hass avocados".into(),
            gtin: None,
            hs_code: "080440".into(),
            quantity: 20_000,
            unit: "KGM".into(),
            value_minor: 5_000_000,
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
                locode: Some("USLRD".into()),
            },
        ],
        epcs: vec![pallet(1), pallet(2)],
        departure_ms: T0_MS + DAY_MS,
        arrival_ms: T0_MS + 3 * DAY_MS,
    }
}

/// A certificate of origin by the exporter for every line of `d`, criterion A.
pub fn certificate(d: &ShipmentDeclaration, certificate_id: &str) -> CertificateOfOrigin {
    CertificateOfOrigin {
        certificate_id: certificate_id.into(),
        shipment_id: d.shipment_id.clone(),
        certifier_role: CertifierRole::Exporter,
        certifier: d.exporter.clone(),
        exporter: d.exporter.clone(),
        producer: d.producer.clone(),
        importer: d.importer.clone(),
        goods: d
            .goods
            .iter()
            .map(|g| CertifiedGood {
                line: g.line,
                description: g.description.clone(),
                hs_code: g.hs_code.clone(),
                criterion: OriginCriterion::A,
            })
            .collect(),
        blanket_period: None,
        signatory_name: "M. Pérez".into(),
        signed_ms: T0_MS,
    }
}

/// A location at a UN/LOCODE.
pub fn at(locode: &str) -> Location {
    Location {
        locode: Some(locode.into()),
        lat_micro_deg: None,
        lon_micro_deg: None,
        site: None,
    }
}

/// A custody event at `locode` with the given business step, time and EPCs read.
pub fn custody(
    shipment_id: &str,
    biz_step: &str,
    locode: &str,
    time_ms: TimeMs,
    epcs: Vec<Epc>,
) -> CustodyEvent {
    CustodyEvent {
        shipment_id: shipment_id.into(),
        event_type: EpcisEventType::Object,
        action: Some(Action::Observe),
        biz_step: biz_step.into(),
        disposition: Some("in_transit".into()),
        event_time_ms: time_ms,
        time_zone_offset_min: -360,
        read_point: Some(at(locode)),
        biz_location: None,
        epcs,
        parent: None,
        seal: None,
        extensions: vec![],
    }
}

/// A temperature reading.
pub fn temp(time_ms: TimeMs, milli_c: i64) -> Reading {
    Reading {
        kind: SensorKind::Temperature,
        value_milli: milli_c,
        unit: "CEL".into(),
        time_ms,
    }
}

/// A sensor report carrying `readings` whole, with matching stats.
pub fn sensor_report(shipment_id: &str, readings: Vec<Reading>) -> SensorReport {
    let mut stats: Vec<SeriesStats> = Vec::new();
    for r in &readings {
        match stats.iter_mut().find(|s| s.kind == r.kind) {
            Some(s) => {
                s.count += 1;
                s.min_milli = s.min_milli.min(r.value_milli);
                s.max_milli = s.max_milli.max(r.value_milli);
            }
            None => stats.push(SeriesStats {
                kind: r.kind,
                count: 1,
                min_milli: r.value_milli,
                max_milli: r.value_milli,
            }),
        }
    }
    SensorReport {
        shipment_id: shipment_id.into(),
        device_id: "reefer-logger-1".into(),
        series_len: u32::try_from(readings.len()).expect("small series"),
        readings,
        stats,
        series_root: None,
    }
}

/// Readings every `step_ms` from `start_ms` for `count` readings, all at `milli_c`.
pub fn series(start_ms: TimeMs, step_ms: u64, count: u64, milli_c: i64) -> Vec<Reading> {
    (0..count)
        .map(|i| temp(start_ms + i * step_ms, milli_c))
        .collect()
}
