//! The border-crossing demo: three shipments and a governance update, played through the SDK
//! against the running testnet, then checked by the auditor's tools.

use crate::network::Network;
use crate::setup::{self, now_ms};
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tradeledger_sdk::client::{BlockingClient, EventStatus};
use tradeledger_sdk::signer::{SeqFile, Signer};
use tradeledger_types::*;

const HOUR_MS: u64 = 3_600_000;
const MIN_MS: u64 = 60_000;
const COMMIT_WAIT: Duration = Duration::from_secs(30);

/// One organisation's signer, with its sequence number kept in `keys/NAME.seq`.
struct Party {
    name: String,
    signer: Signer,
    seq_file: SeqFile,
}

struct Demo<'a> {
    dir: &'a Path,
    network: &'a Network,
    client: BlockingClient,
    node_url: String,
    submitted: Vec<(String, EventId)>,
}

impl Demo<'_> {
    fn party(&self, name: &str) -> Result<Party> {
        let id = self.network.identity(name)?;
        let key = setup::read_key(&self.dir.join(&id.key))?;
        let seq_file = SeqFile::new(self.dir.join("keys").join(format!("{name}.seq")));
        let signer = seq_file.restore_signer(key, &self.network.chain_id)?;
        Ok(Party {
            name: name.to_owned(),
            signer,
            seq_file,
        })
    }

    /// Signs, submits and waits for the commit; fails if the contracts rejected the event.
    fn submit(&mut self, who: &mut Party, what: &str, payload: Payload) -> Result<EventStatus> {
        let event = who
            .signer
            .sign(payload)
            .with_context(|| format!("{what}: payload invalid"))?;
        who.seq_file.store(who.signer.next_seq())?;
        let receipt = self
            .client
            .submit(&event)
            .with_context(|| format!("{what}: submission refused"))?;
        let status = self
            .client
            .wait_committed(&receipt.id, COMMIT_WAIT)
            .with_context(|| format!("{what}: not committed"))?;
        let outcome = status
            .details
            .get("outcome")
            .map(|o| o.to_string())
            .unwrap_or_default();
        if status.status != "committed" || outcome.contains("rejected") {
            let detail = |k: &str| {
                status
                    .details
                    .get(k)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            };
            bail!(
                "{what} by {}: {} {outcome} {} {}",
                who.name,
                status.status,
                detail("reject_code"),
                detail("reason")
            );
        }
        println!(
            "  ✓ {what:<58} {} at height {}",
            who.name,
            status.height.unwrap_or(0)
        );
        self.submitted.push((what.to_owned(), receipt.id));
        Ok(status)
    }
}

pub(crate) fn party_of(
    org: &str,
    name: &str,
    address: &str,
    country: &str,
) -> tradeledger_types::Party {
    tradeledger_types::Party {
        org: Some(org.into()),
        name: name.into(),
        address: address.into(),
        contact: format!("compliance@{org}.example"),
        country: country.into(),
    }
}

fn location(locode: &str, lat: i32, lon: i32) -> Location {
    Location {
        locode: Some(locode.into()),
        lat_micro_deg: Some(lat),
        lon_micro_deg: Some(lon),
        site: None,
    }
}

fn custody(
    shipment: &str,
    step: &str,
    at_ms: u64,
    place: Location,
    epcs: &[String],
    seal: Option<Seal>,
) -> Payload {
    Payload::Custody(CustodyEvent {
        shipment_id: shipment.into(),
        event_type: EpcisEventType::Object,
        action: Some(Action::Observe),
        biz_step: step.into(),
        disposition: Some("in_transit".into()),
        event_time_ms: at_ms,
        time_zone_offset_min: -360,
        read_point: Some(place),
        biz_location: None,
        epcs: epcs.to_vec(),
        parent: None,
        seal,
        extensions: vec![],
    })
}

pub(crate) fn goods(
    line: u32,
    desc: &str,
    hs: &str,
    qty: u64,
    unit: &str,
    value: u64,
    origin: &str,
) -> GoodsLine {
    GoodsLine {
        line,
        description: desc.into(),
        gtin: None,
        hs_code: hs.into(),
        quantity: qty,
        unit: unit.into(),
        value_minor: value,
        currency: "USD".into(),
        brand: None,
        manufacturer: None,
        origin_country: origin.into(),
        cost: None,
    }
}

/// Plays the scenario; returns an error naming the first expected outcome that is missing.
pub fn run(dir: &Path, network: &Network) -> Result<()> {
    let node = network.nodes.first().context("testnet has no nodes")?;
    let node_url = Network::url(node);
    let mut d = Demo {
        dir,
        network,
        client: BlockingClient::new(&node_url)?,
        node_url,
        submitted: Vec::new(),
    };
    let run = format!("{:06}", now_ms() % 1_000_000);
    let t0 = now_ms() - 3 * 86_400_000; // the trip started three days ago
    let avo = format!("AVO-{run}");
    let elec = format!("ELEC-{run}");
    let steel = format!("STEEL-{run}");
    let mut shipper = d.party("shipper")?;
    let mut carrier = d.party("carrier")?;
    let mut customs = d.party("customs")?;
    let mut quarantine = d.party("quarantine")?;
    let mut steel_co = d.party("steel_exporter")?;
    let mut brand = d.party("rights_holder")?;

    println!("\n1. IPR registry: a trademark recorded by its owner and accepted by customs");
    let rec = format!("TMK-{run}");
    d.submit(
        &mut brand,
        "record trademark VOLTARA (HS 8517, gray-market restricted)",
        Payload::IprRecordation(IprRecordation {
            recordation_id: rec.clone(),
            mark: "VOLTARA".into(),
            registration_no: "7123456".into(),
            owner: "voltara-brands".into(),
            hs_prefixes: vec!["8517".into()],
            authorised_manufacturers: vec!["Voltara Devices Ltd".into()],
            authorised_importers: vec!["Voltara USA Inc".into()],
            valid_from_ms: t0 - 365 * 86_400_000,
            valid_until_ms: t0 + 3650 * 86_400_000,
            gray_market_restricted: true,
        }),
    )?;
    d.submit(
        &mut customs,
        "accept the recordation",
        Payload::IprAcceptance(IprAcceptance {
            recordation_id: rec,
        }),
    )?;

    println!("\n2. Hass avocados from Michoacán, Uruapan (MXUPN) to Pharr, Texas (USPHR)");
    let pallets: Vec<String> = (0..2)
        .map(|i| format!("urn:epc:id:sscc:0614141.{run}{i:04}"))
        .collect();
    let exporter = party_of(
        "mx-avocado-exports",
        "Aguacates de Michoacán S.A. de C.V.",
        "Km 3 Carretera Uruapan, Michoacán",
        "MX",
    );
    let importer = party_of(
        "us-fresh-imports",
        "US Fresh Imports LLC",
        "200 Produce Row, McAllen TX",
        "US",
    );
    d.submit(
        &mut shipper,
        "declare 20 t of Hass avocados, two pallets",
        Payload::ShipmentDeclaration(ShipmentDeclaration {
            shipment_id: avo.clone(),
            exporter: exporter.clone(),
            importer: importer.clone(),
            producer: None,
            carrier: "mx-reefer-lines".into(),
            goods: vec![goods(
                1,
                "Fresh Hass avocados, 10 kg cartons",
                "080440",
                20_000,
                "KGM",
                5_000_000,
                "MX",
            )],
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
            epcs: pallets.clone(),
            departure_ms: t0,
            arrival_ms: t0 + 30 * HOUR_MS,
        }),
    )?;
    d.submit(
        &mut shipper,
        "certificate of origin (criterion A, wholly obtained)",
        Payload::CertificateOfOrigin(CertificateOfOrigin {
            certificate_id: format!("COO-{run}-A"),
            shipment_id: avo.clone(),
            certifier_role: CertifierRole::Exporter,
            certifier: exporter.clone(),
            exporter: exporter.clone(),
            producer: Some(exporter.clone()),
            importer: importer.clone(),
            goods: vec![CertifiedGood {
                line: 1,
                description: "Fresh Hass avocados".into(),
                hs_code: "080440".into(),
                criterion: OriginCriterion::A,
            }],
            blanket_period: None,
            signatory_name: "María López, Export Manager".into(),
            signed_ms: t0 - HOUR_MS,
        }),
    )?;
    let packhouse = location("MXUPN", 19_411_000, -102_053_000);
    d.submit(
        &mut carrier,
        "RFID read at the packhouse: both pallets, e-seal applied",
        custody(
            &avo,
            "shipping",
            t0,
            packhouse,
            &pallets,
            Some(Seal {
                seal_id: format!("ESEAL-{run}"),
                status: SealStatus::Applied,
            }),
        ),
    )?;
    // The reefer logs every 15 minutes: 7 °C, then a 3-hour excursion to 15.5 °C, then 7 °C again.
    let readings: Vec<Reading> = (0..40)
        .map(|i| {
            let value_milli = if (8..20).contains(&i) { 15_500 } else { 7_000 };
            Reading {
                kind: SensorKind::Temperature,
                value_milli,
                unit: "CEL".into(),
                time_ms: t0 + i * 15 * MIN_MS,
            }
        })
        .collect();
    d.submit(
        &mut carrier,
        "reefer series: 3 h at 15.5 °C (avocado range 5-13 °C)",
        Payload::SensorReport(SensorReport {
            shipment_id: avo.clone(),
            device_id: "REEFER-7781".into(),
            stats: vec![SeriesStats {
                kind: SensorKind::Temperature,
                count: 40,
                min_milli: 7_000,
                max_milli: 15_500,
            }],
            series_len: 40,
            series_root: None,
            readings,
        }),
    )?;
    let portal = location("USPHR", 26_194_000, -98_183_000);
    d.submit(
        &mut carrier,
        "border portal read at Pharr: pallet 2 missing, e-seal intact",
        custody(
            &avo,
            "arriving",
            t0 + 28 * HOUR_MS,
            portal,
            &pallets[..1],
            Some(Seal {
                seal_id: format!("ESEAL-{run}"),
                status: SealStatus::Intact,
            }),
        ),
    )?;
    d.submit(
        &mut quarantine,
        "phytosanitary inspection: no pests found",
        Payload::Inspection(InspectionResult {
            shipment_id: avo.clone(),
            kind: InspectionKind::Phytosanitary,
            outcome: InspectionOutcome::Pass,
            findings: vec![],
            treatment: None,
            inspected_ms: t0 + 29 * HOUR_MS,
        }),
    )?;

    println!("\n3. Smartphones bearing the recorded VOLTARA mark, made by an unlicensed factory");
    let mut phones = goods(
        1,
        "Smartphones, 128 GB",
        "851713",
        500,
        "C62",
        22_500_000,
        "CN",
    );
    phones.brand = Some("Voltara".into());
    phones.manufacturer = Some("Shenzhen Bright Star Electronics".into());
    d.submit(
        &mut shipper,
        "declare 500 VOLTARA smartphones",
        Payload::ShipmentDeclaration(ShipmentDeclaration {
            shipment_id: elec.clone(),
            exporter: exporter.clone(),
            importer: party_of(
                "us-gadget-outlet",
                "Gadget Outlet Corp",
                "9 Commerce St, Laredo TX",
                "US",
            ),
            producer: None,
            carrier: "mx-reefer-lines".into(),
            goods: vec![phones],
            origin_country: "MX".into(),
            destination_country: "US".into(),
            route: vec![
                RouteStop {
                    country: "MX".into(),
                    locode: Some("MXNLD".into()),
                },
                RouteStop {
                    country: "US".into(),
                    locode: Some("USLRD".into()),
                },
            ],
            epcs: vec![],
            departure_ms: t0,
            arrival_ms: t0 + 12 * HOUR_MS,
        }),
    )?;

    println!("\n4. Hot-rolled steel from Hamilton, Ontario: tariff shift and 80 % RVC");
    let steel_exporter = party_of(
        "ca-northern-steel",
        "Northern Steel Works Ltd.",
        "1 Mill Rd, Hamilton ON",
        "CA",
    );
    let steel_importer = party_of(
        "us-detroit-fab",
        "Detroit Fabrication Inc",
        "77 Forge Ave, Detroit MI",
        "US",
    );
    let mut coil = goods(
        1,
        "Hot-rolled steel coil, 6 mm",
        "720851",
        100_000,
        "KGM",
        10_000_000,
        "CA",
    );
    coil.cost = Some(CostData {
        transaction_value_minor: 10_000_000,
        net_cost_minor: 9_000_000,
        materials: vec![
            Material {
                description: "Iron ore pellets (Brazil)".into(),
                hs_code: "260112".into(),
                value_minor: 2_000_000,
                originating: false,
            },
            Material {
                description: "Coking coal (Canada)".into(),
                hs_code: "270112".into(),
                value_minor: 1_500_000,
                originating: true,
            },
        ],
    });
    d.submit(
        &mut steel_co,
        "declare 100 t of hot-rolled coil with its bill of materials",
        Payload::ShipmentDeclaration(ShipmentDeclaration {
            shipment_id: steel.clone(),
            exporter: steel_exporter.clone(),
            importer: steel_importer.clone(),
            producer: None,
            carrier: "mx-reefer-lines".into(),
            goods: vec![coil],
            origin_country: "CA".into(),
            destination_country: "US".into(),
            route: vec![
                RouteStop {
                    country: "CA".into(),
                    locode: Some("CAHAM".into()),
                },
                RouteStop {
                    country: "US".into(),
                    locode: Some("USDET".into()),
                },
            ],
            epcs: vec![],
            departure_ms: t0,
            arrival_ms: t0 + 20 * HOUR_MS,
        }),
    )?;
    d.submit(
        &mut steel_co,
        "certificate of origin (criterion B, product-specific rule)",
        Payload::CertificateOfOrigin(CertificateOfOrigin {
            certificate_id: format!("COO-{run}-B"),
            shipment_id: steel.clone(),
            certifier_role: CertifierRole::Exporter,
            certifier: steel_exporter.clone(),
            exporter: steel_exporter.clone(),
            producer: Some(steel_exporter.clone()),
            importer: steel_importer,
            goods: vec![CertifiedGood {
                line: 1,
                description: "Hot-rolled steel coil".into(),
                hs_code: "720851".into(),
                criterion: OriginCriterion::B,
            }],
            blanket_period: None,
            signatory_name: "J. Tremblay, Trade Compliance".into(),
            signed_ms: t0 - HOUR_MS,
        }),
    )?;
    d.submit(
        &mut carrier,
        "pickup at Hamilton",
        custody(
            &steel,
            "shipping",
            t0 + HOUR_MS,
            location("CAHAM", 43_255_000, -79_871_000),
            &[],
            None,
        ),
    )?;
    d.submit(
        &mut carrier,
        "arrival at Detroit",
        custody(
            &steel,
            "arriving",
            t0 + 6 * HOUR_MS,
            location("USDET", 42_331_000, -83_046_000),
            &[],
            None,
        ),
    )?;

    println!("\n5. Governance: quarantine tightens the avocado excursion tolerance to 60 minutes");
    // In force a little later than the event can commit (blocks are produced continuously).
    let height = d.client.status()?.height + 50;
    let version = current_rule_set_version(&d.client).unwrap_or(1) + 1;
    d.submit(
        &mut quarantine,
        &format!(
            "rule set v{version}: avocado excursions tolerated 60 min (from height {})",
            height + 2
        ),
        Payload::RuleSetUpdate(RuleSetUpdate {
            version,
            effective_height: height,
            changes: vec![RuleChange::SetCommodity(CommodityRule {
                hs_prefix: "080440".into(),
                name: "avocado (Hass, mature-green)".into(),
                min_milli_c: 5_000,
                max_milli_c: 13_000,
                excursion_minutes_max: 60,
            })],
            reason: "fruit-fly season: tighter cold-chain control".into(),
        }),
    )?;

    println!("\nLanes");
    let mut missing = Vec::new();
    expect(
        &d.client,
        &avo,
        "red",
        &["risk.cold_chain_excursion", "risk.rfid_mismatch"],
        &mut missing,
    )?;
    expect(
        &d.client,
        &elec,
        "red",
        &["ipr.possible_counterfeit"],
        &mut missing,
    )?;
    expect(&d.client, &steel, "green", &[], &mut missing)?;
    let steel_json = d.client.shipment(&steel)?.to_string();
    if !steel_json.contains("confirmed") {
        missing.push(format!("{steel}: origin not confirmed"));
    }

    println!(
        "\nAudit (trusting only {})",
        dir.join(&network.genesis).display()
    );
    audit(dir, network, &d.node_url, &d.submitted, &mut missing)?;
    dossier(dir, network, &d.node_url, &avo, &mut missing)?;

    if !missing.is_empty() {
        bail!("expected outcomes missing:\n  - {}", missing.join("\n  - "));
    }
    println!("\ndemo complete: every expected outcome observed and verified");
    Ok(())
}

/// `audit report` of a shipment as JSON: every event's proof must verify.
fn dossier(
    dir: &Path,
    network: &Network,
    url: &str,
    shipment: &str,
    missing: &mut Vec<String>,
) -> Result<()> {
    let bin = crate::binary::node_binary()?;
    let out = Command::new(&bin)
        .args([
            "audit",
            "report",
            shipment,
            "--node",
            url,
            "--format",
            "json",
            "--genesis",
        ])
        .arg(dir.join(&network.genesis))
        .output()
        .context("running tradeledger audit report")?;
    if !out.status.success() {
        missing.push(format!(
            "audit report failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
        return Ok(());
    }
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("audit report printed no JSON")?;
    let events = report["events"].as_array().cloned().unwrap_or_default();
    let verified = events.iter().filter(|e| e["proof"] == "verified").count();
    println!(
        "  dossier of {shipment}: {} events, {verified} proofs verified against genesis (tradeledger audit report {shipment} --format md)",
        events.len()
    );
    if events.is_empty() || verified != events.len() {
        missing.push(format!(
            "dossier of {shipment}: {verified} of {} event proofs verified",
            events.len()
        ));
    }
    Ok(())
}

fn current_rule_set_version(client: &BlockingClient) -> Option<u32> {
    let s = client.status().ok()?;
    s.details
        .get("rule_set_version")
        .and_then(serde_json::Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
}

/// Collects every `rule` string in the shipment's flags.
fn flag_rules(v: &serde_json::Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(flags) = v.get("flags").and_then(serde_json::Value::as_array) {
        for f in flags {
            if let Some(r) = f.get("rule_id").and_then(serde_json::Value::as_str) {
                out.insert(r.to_owned());
            }
        }
    }
    out
}

fn expect(
    client: &BlockingClient,
    shipment: &str,
    lane: &str,
    flags: &[&str],
    missing: &mut Vec<String>,
) -> Result<()> {
    let v = client.shipment(shipment)?;
    let got_lane = v
        .get("lane")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("?")
        .to_owned();
    let rules = flag_rules(&v);
    println!(
        "  {shipment:<14} lane {got_lane:<6} flags: {}",
        if rules.is_empty() {
            "none".to_owned()
        } else {
            rules.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    );
    if let Some(fl) = v.get("flags").and_then(serde_json::Value::as_array) {
        for f in fl {
            println!(
                "      {} [{}] {}",
                f.get("rule_id").and_then(|x| x.as_str()).unwrap_or(""),
                f.get("severity").and_then(|x| x.as_str()).unwrap_or(""),
                f.get("detail").and_then(|x| x.as_str()).unwrap_or("")
            );
        }
    }
    if got_lane != lane {
        missing.push(format!("{shipment}: lane {got_lane}, expected {lane}"));
    }
    for f in flags {
        if !rules.contains(*f) {
            missing.push(format!("{shipment}: flag {f} not raised"));
        }
    }
    Ok(())
}

fn audit(
    dir: &Path,
    network: &Network,
    url: &str,
    submitted: &[(String, EventId)],
    missing: &mut Vec<String>,
) -> Result<()> {
    let bin = crate::binary::node_binary()?;
    let genesis = dir.join(&network.genesis);
    let verify = Command::new(&bin)
        .args(["audit", "verify", "--node", url, "--genesis"])
        .arg(&genesis)
        .arg("--state-dir")
        .arg(dir.join("audit"))
        .output()
        .context("running tradeledger audit verify")?;
    print!("{}", String::from_utf8_lossy(&verify.stdout));
    if !verify.status.success() {
        missing.push(format!(
            "audit verify failed: {}",
            String::from_utf8_lossy(&verify.stderr).trim()
        ));
    }
    let Some((what, id)) = submitted
        .iter()
        .find(|(w, _)| w.starts_with("border portal"))
    else {
        missing.push("no border-portal event to prove".into());
        return Ok(());
    };
    let proof_file = dir.join("audit").join("border-portal-proof.cbor");
    let prove = Command::new(&bin)
        .args(["audit", "prove", &id.to_hex(), "--node", url, "--genesis"])
        .arg(&genesis)
        .arg("--save")
        .arg(&proof_file)
        .output()
        .context("running tradeledger audit prove")?;
    if !prove.status.success() {
        missing.push(format!(
            "audit prove failed: {}",
            String::from_utf8_lossy(&prove.stderr).trim()
        ));
        return Ok(());
    }
    let check = Command::new(&bin)
        .args(["audit", "check-proof"])
        .arg(&proof_file)
        .arg("--genesis")
        .arg(&genesis)
        .output()?;
    print!("{}", String::from_utf8_lossy(&check.stdout));
    if check.status.success() {
        println!(
            "  offline proof of \"{what}\" verified with no node: {}",
            proof_file.display()
        );
    } else {
        missing.push(format!(
            "offline proof failed: {}",
            String::from_utf8_lossy(&check.stderr).trim()
        ));
    }
    Ok(())
}
