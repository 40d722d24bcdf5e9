//! # tradeledger SDK
//!
//! What a carrier, a device integrator or an agency needs to feed the ledger: signed events
//! with gap-free sequence numbers ([`signer`]), a builder for every event kind ([`builders`]),
//! RFID EPC decoding ([`epc`]), EPCIS 2.0 import and export ([`epcis`]), sensor batching
//! ([`recorder`]), a crash-safe offline spool ([`spool`]), the node's HTTP client ([`client`]),
//! online-or-spool delivery ([`delivery`]) and the device bridge's message mapping ([`bridge`],
//! run by the `tradeledger-bridge` binary). Everything but the client works without a node.
//!
//! ## Sign an event
//! ```
//! use tradeledger_sdk::builders::{Build, CustodyBuilder};
//! use tradeledger_sdk::signer::Signer;
//! use tradeledger_types::SecretKey;
//!
//! // The key seed comes from your key file; the chain id from the genesis.
//! let mut carrier = Signer::new(SecretKey::from_seed([7; 32]), "tradeledger-demo");
//! let event = CustodyBuilder::new("SHP-2026-000123", "departing", 1_772_431_200_000)
//!     .time_zone_offset_min(-360)
//!     .biz_locode("MXUPN")
//!     .epc("urn:epc:id:sscc:0614141.1234567890")
//!     .sign(&mut carrier)
//!     .unwrap();
//! assert_eq!(event.body.seq, 1);
//! event.verify().unwrap();
//!
//! // Invalid input is refused before signing, naming the field.
//! let err = CustodyBuilder::new("SHP-2026-000123", "departing", 0).epc("pallet 7").sign(&mut carrier).unwrap_err();
//! assert_eq!(err.field(), Some("epcs[0]"));
//! assert_eq!(carrier.next_seq(), 2);
//! ```
//!
//! ## Decode an RFID read
//! ```
//! use tradeledger_sdk::epc::{Epc96, Scheme};
//!
//! let epc = Epc96::from_hex("3074257BF7194E4000001A85").unwrap();
//! assert_eq!(epc.scheme(), Scheme::Sgtin96);
//! assert_eq!(epc.pure_uri(), "urn:epc:id:sgtin:0614141.812345.6789");
//! assert_eq!(epc.tag_uri(), "urn:epc:tag:sgtin-96:3.0614141.812345.6789");
//! let pallet = Epc96::from_pure_uri("urn:epc:id:sscc:0614141.1234567890", 2).unwrap();
//! assert_eq!(Epc96::from_hex(&pallet.to_hex()).unwrap(), pallet);
//! assert!(Epc96::from_hex("3574257BF7194E4000001A85").is_err()); // not a supported header
//! ```
//!
//! ## Import an EPCIS document
//! ```
//! use tradeledger_sdk::epcis::{ImportOptions, import_str};
//! use tradeledger_types::SensorKind;
//!
//! let doc = r#"{
//!   "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
//!   "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-02T06:05:00Z",
//!   "epcisBody": {"eventList": [{
//!     "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "urn:epcglobal:cbv:bizstep:arriving",
//!     "eventTime": "2026-03-02T06:00:00.000-06:00", "eventTimeZoneOffset": "-06:00",
//!     "epcList": ["urn:epc:id:sscc:0614141.1234567890"],
//!     "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
//!     "sensorElementList": [{"sensorMetadata": {"deviceID": "urn:epc:id:giai:4000001.111"},
//!       "sensorReport": [{"type": "gs1:Temperature", "value": 7.25, "uom": "CEL",
//!                         "time": "2026-03-02T05:55:00.000-06:00"}]}],
//!     "example:lane": "4"
//!   }]}
//! }"#;
//! let imported = import_str(doc, &ImportOptions::new("SHP-2026-000123")).unwrap();
//! let event = &imported.events[0];
//! assert_eq!(event.custody.biz_step, "arriving");
//! assert_eq!(event.sensor_reports[0].readings[0].kind, SensorKind::Temperature);
//! assert_eq!(event.sensor_reports[0].readings[0].value_milli, 7_250);
//! // Unknown fields ride along and come back on export.
//! assert_eq!(imported.to_epcis()["epcisBody"]["eventList"][0]["example:lane"], "4");
//! // Each imported event gives the payloads to sign: the custody event, then its reports.
//! assert_eq!(event.payloads().len(), 2);
//! ```
//!
//! ## Record sensor readings
//! ```
//! use tradeledger_sdk::recorder::{Recorder, RecorderConfig};
//! use tradeledger_sdk::signer::Signer;
//! use tradeledger_types::{SecretKey, SensorKind};
//!
//! let device = Signer::new(SecretKey::from_seed([8; 32]), "tradeledger-demo");
//! let config = RecorderConfig { readings_per_report: 120, window_ms: 4 * 3_600_000, ..Default::default() };
//! let mut recorder = Recorder::new(device, "SHP-2026-000123", config).unwrap();
//! let mut reports = Vec::new();
//! for minute in 0..240u64 {
//!     let milli_c = if (100..130).contains(&minute) { 9_800 } else { 7_000 }; // an excursion
//!     reports.extend(recorder.record_value("reefer-7", SensorKind::Temperature, milli_c, "CEL", minute * 60_000).unwrap());
//! }
//! assert_eq!(reports.len(), 2); // every 120 readings (before the 4-hour window closes)
//! let first = &reports[0];
//! // A long batch carries a sample, min/max and a Merkle root; the full series proves any reading.
//! let (reading, proof) = first.series.prove(110).unwrap();
//! assert_eq!(reading.value_milli, 9_800);
//! let tradeledger_types::Payload::SensorReport(report) = &first.event.body.payload else { unreachable!() };
//! assert_eq!((report.series_len, report.stats[0].max_milli), (120, 9_800));
//! assert!(proof.verify(&tradeledger_types::codec::to_canonical(&reading), &report.series_root.unwrap()));
//! ```
//!
//! ## Survive being offline
//! ```
//! use tradeledger_sdk::spool::{Spool, SpooledEvent, Submit};
//! # use tradeledger_sdk::{builders::{Build, ClearanceBuilder}, signer::Signer};
//! # use tradeledger_types::{Decision, SecretKey};
//! # let mut signer = Signer::new(SecretKey::from_seed([1; 32]), "tradeledger-demo");
//! # let event = ClearanceBuilder::new("SHP-1", Decision::Release).sign(&mut signer).unwrap();
//! struct Node(Vec<SpooledEvent>);
//! impl Submit for Node {
//!     type Error = std::convert::Infallible;
//!     fn submit(&mut self, e: &SpooledEvent) -> Result<(), Self::Error> { self.0.push(e.clone()); Ok(()) }
//! }
//! let dir = tempfile::tempdir().unwrap();
//! let mut spool = Spool::open(dir.path()).unwrap();
//! spool.append(&event).unwrap(); // durable before this returns
//! let mut node = Node(Vec::new());
//! assert_eq!(spool.deliver(&mut node).unwrap(), 1);
//! assert_eq!(node.0[0].id, event.id());
//! ```

//!
//! ## Submit to a node
//! [`client::Client`] (async) and [`client::BlockingClient`] post canonical signed events,
//! retry transient failures with backoff, treat the node's 409 ("already known") as success, and
//! follow an event to commitment:
//! ```no_run
//! use std::time::Duration;
//! use tradeledger_sdk::client::BlockingClient;
//! # use tradeledger_sdk::{builders::{Build, ClearanceBuilder}, signer::Signer};
//! # use tradeledger_types::{Decision, SecretKey};
//! # let mut signer = Signer::new(SecretKey::from_seed([1; 32]), "tradeledger-demo");
//! # let event = ClearanceBuilder::new("SHP-1", Decision::Release).sign(&mut signer).unwrap();
//! let node = BlockingClient::new("http://127.0.0.1:8080")?;
//! node.submit(&event)?; // safe to repeat: same bytes, same id
//! let status = node.wait_committed(&event.id(), Duration::from_secs(30))?;
//! println!("{} at height {:?}, flags {:?}", status.status, status.height, status.details.get("flags"));
//! # Ok::<(), tradeledger_sdk::client::ClientError>(())
//! ```
//!
//! ## Online or spooled
//! The client implements [`spool::Submit`], so a spool drains through it. [`delivery::Delivery`]
//! puts the two together: every event is spooled first (fsynced), posted at once when the node
//! answers, and kept when it does not; later sends and drains deliver the backlog in order, with
//! capped exponential backoff. A record the node refuses for good is set aside in
//! `rejected.jsonl` so it cannot block the queue.
//! ```
//! use tradeledger_sdk::client::{BlockingClient, Retry};
//! use tradeledger_sdk::delivery::Delivery;
//! use tradeledger_sdk::signer::SeqFile;
//! # use tradeledger_sdk::builders::{Build, ClearanceBuilder};
//! # use tradeledger_types::{Decision, SecretKey};
//! let dir = tempfile::tempdir().unwrap();
//! // Nothing listens on port 9 here: the node is "down".
//! let client = BlockingClient::new("http://127.0.0.1:9").unwrap().with_retry(Retry { attempts: 1, ..Retry::default() });
//! let mut delivery = Delivery::open(dir.path(), client).unwrap();
//! // After a restart the signer resumes from its sequence file and the spool.
//! let seq_file = SeqFile::new(dir.path().join("seq"));
//! let mut signer = delivery.spool_mut().restore_signer(SecretKey::from_seed([1; 32]), "tradeledger-demo", &seq_file).unwrap();
//! let event = ClearanceBuilder::new("SHP-1", Decision::Release).sign(&mut signer).unwrap();
//! let sent = delivery.send(&event).unwrap(); // spooled durably, then tried
//! seq_file.store(signer.next_seq()).unwrap();
//! assert!(sent.offline.is_some());
//! assert_eq!(delivery.pending(), 1); // delivered by a later send or drain, in order
//! ```
//!
//! ## Bridge devices
//! [`bridge`] parses the JSON messages devices send (sensor readings, RFID reads; the format is
//! in its module docs) and maps them to signed events with one device key: readings are batched
//! by the recorder, RFID reads become custody events naming the tag's EPC pure-identity URI.
//! ```
//! use tradeledger_sdk::bridge::{Mapper, parse_message};
//! use tradeledger_sdk::recorder::RecorderConfig;
//! use tradeledger_sdk::signer::Signer;
//! use tradeledger_types::{Payload, SecretKey};
//!
//! let signer = Signer::new(SecretKey::from_seed([9; 32]), "tradeledger-demo");
//! let mut mapper = Mapper::new(signer, RecorderConfig::default()).unwrap();
//! let read = br#"{"type":"rfid","shipment":"SHP-1","epc_hex":"3074257BF7194E4000001A85",
//!                 "read_point":"USPHR","biz_step":"arriving","time":"2026-05-01T10:00:00Z"}"#;
//! let events = mapper.handle(&parse_message(read).unwrap()).unwrap();
//! let Payload::Custody(c) = &events[0].body.payload else { unreachable!() };
//! assert_eq!(c.epcs, ["urn:epc:id:sgtin:0614141.812345.6789"]);
//! let reading = br#"{"type":"reading","shipment":"SHP-1","device":"reefer-7","kind":"temperature",
//!                    "value":"7.5","time":"2026-05-01T10:00:00Z"}"#;
//! assert!(mapper.handle(&parse_message(reading).unwrap()).unwrap().is_empty()); // batched
//! let err = parse_message(br#"{"type":"reading","shipment":"SHP-1","device":"d","kind":"warmth"}"#).unwrap_err();
//! assert_eq!(err.field, "kind");
//! ```
//!
//! The `tradeledger-bridge` binary (feature `bridge`, on by default) runs this against MQTT
//! and/or stdin, signing with a device key file (64 hex characters, the node's key-file format)
//! and delivering through a [`delivery::Delivery`]; offline periods are spooled and delivered in
//! order when the node is back, across restarts of the bridge. Open reading batches are held in
//! memory and flushed at end of input or on SIGINT/SIGTERM.
//! ```text
//! tradeledger-bridge run --node http://127.0.0.1:8080 --key device.key --chain-id tradeledger-demo \
//!     --spool /var/lib/bridge --mqtt 127.0.0.1:1883 --topic 'reefers/#' --topic 'portals/#' [--stdin]
//!     [--readings-per-report 60] [--window-secs 900] [--max-backoff-ms 30000] [--drain-secs 30]
//! tradeledger-bridge epc decode 3074257BF7194E4000001A85 [--output json]
//! tradeledger-bridge epc encode urn:epc:tag:sgtin-96:3.0614141.812345.6789
//! tradeledger-bridge epc encode urn:epc:id:sscc:0614141.1234567890 --filter 2
//! tradeledger-bridge epcis import events.jsonld --shipment SHP-1 --dry-run
//! tradeledger-bridge epcis import events.jsonld --shipment SHP-1 --node URL --key FILE --spool DIR
//! ```
//! **Switching a bridge to a new device key** (see [`rotation`]): have the organisation sign
//! the new key's registration and the old key's revocation from a height
//! ([`rotation::device_rotation`]); once the registration is committed, restart the bridge with
//! the new `--key` on the same `--spool`. The new key gets its own sequence file (numbering from
//! 1); events of the old key still in the spool are delivered first, and any the node refuses
//! after the revocation height (`device_revoked`) are set aside in `rejected.jsonl`.
//!
//! The examples `rfid_portal` and `reefer_sensor` (`cargo run -p tradeledger-sdk --example
//! rfid_portal -- --dry-run`) show the same flows in a few dozen lines each.
//!
//! ## Layout
//! | module | holds |
//! |---|---|
//! | [`signer`] | the key, chain id and next sequence number; the sequence file |
//! | [`builders`] | one builder per event kind |
//! | [`epc`] | EPC-96 binary ↔ pure-identity and tag URIs |
//! | [`epcis`] | EPCIS 2.0 JSON-LD import (with JSON paths in errors) and export |
//! | [`recorder`] | per-device batching of sensor readings into signed reports |
//! | [`spool`] | the durable outbox and the [`spool::Submit`] trait a transport implements |
//! | [`client`] | the node's HTTP API (async, with a blocking facade); the spool's transport |
//! | [`delivery`] | online-or-spool: spool first, post when reachable, drain with backoff |
//! | [`bridge`] | the device message format and its mapping to signed events |
//! | [`rotation`] | key rotation without downtime: a device's, an organisation's |

pub mod bridge;
pub mod builders;
pub mod client;
pub mod delivery;
pub mod epc;
pub mod epcis;
pub mod recorder;
pub mod rotation;
pub mod signer;
pub mod spool;
