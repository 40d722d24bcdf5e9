//! EPCIS 2.0 JSON / JSON-LD import and export.
//!
//! # Mapping
//! Each EPCIS event becomes one [`CustodyEvent`] and, when it has a `sensorElementList`, one
//! [`SensorReport`] per device:
//!
//! | EPCIS | tradeledger |
//! |---|---|
//! | `type` | `event_type` |
//! | `action` (absent for TransformationEvent) | `action` |
//! | `bizStep`, `disposition` (bare CBV name, `urn:epcglobal:cbv:…` or GS1 web URI) | bare CBV name; other URIs unchanged; a missing `bizStep` reads as `other` |
//! | `eventTime` + `eventTimeZoneOffset` | `event_time_ms` (UTC, sub-millisecond digits truncated) + `time_zone_offset_min` |
//! | `readPoint.id`, `bizLocation.id` | `Location.site` |
//! | `epcList` (Object, Transaction), `childEPCs` (Aggregation, Association), `outputEPCList` (Transformation) | `epcs` |
//! | `parentID` (Aggregation, Transaction, Association) | `parent` |
//! | `tradeledger:seal` `{sealId, status}` | `seal` |
//! | every other field (`eventID`, `quantityList`, `inputEPCList`, `bizTransactionList`, `sourceList`, `ilmd`, `sensorElementList`, vendor extensions such as `example:myField`, ...) | `extensions`, sorted by name, values as compact JSON |
//! | `sensorReport` entries with a numeric `value` | [`Reading`](tradeledger_types::Reading)s: value in exact milli-units (`26.0` → 26000; more than three decimals is an error), `uom` kept, type mapped to [`SensorKind`](tradeledger_types::SensorKind) |
//!
//! Export writes the mapped fields back and then every kept extension, so an imported event
//! exports to the same content (times re-written in milliseconds with their offset), except
//! for fields the standard requires and the input lacked: export adds them (a
//! `TransformationEvent` without `transformationID` gets one), after which export and import
//! round-trip exactly. With
//! [`ImportOptions::keep_sensor_elements`] (the default) the original `sensorElementList`
//! rides along in `extensions`, so aggregates (`minValue`, `sDev`, ...) and device metadata
//! survive; turned off, the ledger holds only the sensor reports and export rebuilds the list
//! from them.
//!
//! # Which shipment
//! EPCIS has no shipment field. The importer assigns every event to
//! [`ImportOptions::shipment_id`], unless [`ImportOptions::shipment_biz_transaction_type`] is
//! set and the event's `bizTransactionList` has an entry of that type (e.g. `bol` or
//! `urn:epcglobal:cbv:btt:bol`), whose `bizTransaction` value is then the shipment id (without
//! its [`SHIPMENT_URN_PREFIX`], `urn:tradeledger:shipment:`, if it has one: EPCIS requires a
//! URI there).
//!
//! ```
//! use tradeledger_sdk::epcis::{ImportOptions, import_str};
//!
//! let doc = r#"{"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "urn:epcglobal:cbv:bizstep:departing",
//!     "eventTime": "2026-03-02T06:10:00-06:00", "eventTimeZoneOffset": "-06:00",
//!     "epcList": ["urn:epc:id:sscc:0614141.1234567890"], "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"}}"#;
//! let imported = import_str(doc, &ImportOptions::new("SHP-2026-000123")).unwrap();
//! let custody = &imported.events[0].custody;
//! assert_eq!(custody.biz_step, "departing");
//! assert_eq!(custody.time_zone_offset_min, -360);
//!
//! let bad = r#"{"type": "EPCISDocument", "epcisBody": {"eventList": [{"type": "ObjectEvent", "action": "ADD", "eventTime": "noon"}]}}"#;
//! let err = import_str(bad, &ImportOptions::new("SHP-1")).unwrap_err();
//! assert_eq!(err.to_string(), "epcisBody.eventList[0].eventTime: not an RFC 3339 date-time");
//! ```

pub mod decimal;
mod error;
mod export;
mod import;
mod sensor;
pub mod time;
pub mod vocab;

pub use error::EpcisError;
pub use export::{ExportOptions, default_context, export_document, export_event};
pub use import::{SEAL_FIELD, SHIPMENT_URN_PREFIX, import_str, import_value};
pub use sensor::{DEVICE_URN_PREFIX, UNKNOWN_DEVICE};

use serde_json::Value;
use tradeledger_types::{CustodyEvent, Payload, SensorReport};

/// The GS1 EPCIS 2.0 JSON-LD context URL.
pub const GS1_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// How to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The shipment every imported event belongs to (see the module docs).
    pub shipment_id: String,
    /// A business transaction type whose value, when an event has one, names the event's
    /// shipment instead.
    pub shipment_biz_transaction_type: Option<String>,
    /// Keep the original `sensorElementList` in the custody event's extensions (default true).
    pub keep_sensor_elements: bool,
}

impl ImportOptions {
    /// Every event belongs to `shipment_id`; sensor elements are kept.
    pub fn new(shipment_id: impl Into<String>) -> Self {
        ImportOptions {
            shipment_id: shipment_id.into(),
            shipment_biz_transaction_type: None,
            keep_sensor_elements: true,
        }
    }

    /// Reads the shipment id from the `bizTransactionList` entry of this type, when present.
    pub fn shipment_from_biz_transaction(
        mut self,
        biz_transaction_type: impl Into<String>,
    ) -> Self {
        self.shipment_biz_transaction_type = Some(biz_transaction_type.into());
        self
    }

    /// Whether to keep the original `sensorElementList` in the custody event's extensions.
    pub fn keep_sensor_elements(mut self, keep: bool) -> Self {
        self.keep_sensor_elements = keep;
        self
    }
}

/// A sensor report that carried no numeric value and so produced no reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// JSON path of the `sensorReport` entry.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// One imported EPCIS event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEvent {
    /// JSON path of the event in the document (`epcisBody.eventList[0]`).
    pub path: String,
    /// The custody event (validated).
    pub custody: CustodyEvent,
    /// Sensor reports from its `sensorElementList`, one per device (validated).
    pub sensor_reports: Vec<SensorReport>,
    /// Sensor report entries that produced no reading.
    pub skipped: Vec<Skipped>,
}

impl ImportedEvent {
    /// The payloads to sign: the custody event, then each sensor report.
    pub fn payloads(&self) -> Vec<Payload> {
        std::iter::once(Payload::Custody(self.custody.clone()))
            .chain(
                self.sensor_reports
                    .iter()
                    .cloned()
                    .map(Payload::SensorReport),
            )
            .collect()
    }

    /// This event as export input.
    pub fn as_export(&self) -> ExportEvent<'_> {
        ExportEvent {
            custody: &self.custody,
            sensor_reports: &self.sensor_reports,
        }
    }
}

/// An imported document.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedDocument {
    /// The document's `@context`, kept for export (it defines extension prefixes).
    pub context: Option<Value>,
    /// The document's `creationDate`, when given.
    pub creation_date_ms: Option<u64>,
    /// The events, in document order.
    pub events: Vec<ImportedEvent>,
}

impl ImportedDocument {
    /// Exports the events back to an EPCIS 2.0 JSON-LD document with the original context and
    /// creation date (the first event's time when the original had none).
    pub fn to_epcis(&self) -> Value {
        let creation = self
            .creation_date_ms
            .or_else(|| self.events.first().map(|e| e.custody.event_time_ms))
            .unwrap_or(0);
        let events: Vec<ExportEvent<'_>> =
            self.events.iter().map(ImportedEvent::as_export).collect();
        export_document(
            &events,
            &ExportOptions {
                context: self.context.clone(),
                creation_date_ms: creation,
            },
        )
    }
}

/// Input to export: a custody event and the sensor reports that go with it.
#[derive(Debug, Clone, Copy)]
pub struct ExportEvent<'a> {
    /// The custody event.
    pub custody: &'a CustodyEvent,
    /// Its sensor reports (written as a `sensorElementList` if the event kept none).
    pub sensor_reports: &'a [SensorReport],
}
