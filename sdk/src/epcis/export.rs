//! tradeledger payloads → EPCIS 2.0 JSON-LD.

use super::import::{SEAL_FIELD, SHIPMENT_URN_PREFIX};
use super::sensor::export_sensor_elements;
use super::time::{format_offset, format_rfc3339};
use super::vocab::{self, Vocab};
use super::{ExportEvent, GS1_CONTEXT};
use serde_json::{Map, Value, json};
use tradeledger_types::{Action, CustodyEvent, EpcisEventType, Location, SealStatus};

/// Options for [`export_document`].
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The document's `@context`; `None` writes the GS1 EPCIS 2.0 context plus a `tradeledger`
    /// prefix.
    pub context: Option<Value>,
    /// The document's `creationDate`, Unix milliseconds (the caller's clock: the SDK reads none).
    pub creation_date_ms: u64,
}

/// The default `@context`: GS1's EPCIS 2.0 context and the `tradeledger:` prefix used for seal
/// observations and non-CBV vocabulary.
pub fn default_context() -> Value {
    json!([GS1_CONTEXT, { "tradeledger": "urn:tradeledger:" }])
}

/// Writes an `EPCISDocument` holding the given events, in order.
pub fn export_document(events: &[ExportEvent<'_>], options: &ExportOptions) -> Value {
    let list: Vec<Value> = events
        .iter()
        .map(|e| Value::Object(export_event(e)))
        .collect();
    json!({
        "@context": options.context.clone().unwrap_or_else(default_context),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": format_rfc3339(options.creation_date_ms, 0),
        "epcisBody": { "eventList": list },
    })
}

/// Writes one EPCIS event: the mapped fields, then every kept extension field (which override
/// mapped ones of the same name, so what was imported comes back as it was), then a
/// `sensorElementList` built from the reports if the event kept none. A TransactionEvent
/// without a kept `bizTransactionList` gets one naming the shipment
/// (`urn:tradeledger:shipment:ID`), and a TransformationEvent without inputs or a kept
/// `transformationID` gets `urn:tradeledger:transformation:SHIPMENT:TIME_MS`, since EPCIS
/// requires them.
pub fn export_event(e: &ExportEvent<'_>) -> Map<String, Value> {
    let c: &CustodyEvent = e.custody;
    let mut m = Map::new();
    let type_name = match c.event_type {
        EpcisEventType::Object => "ObjectEvent",
        EpcisEventType::Aggregation => "AggregationEvent",
        EpcisEventType::Transaction => "TransactionEvent",
        EpcisEventType::Transformation => "TransformationEvent",
        EpcisEventType::Association => "AssociationEvent",
    };
    m.insert("type".into(), type_name.into());
    m.insert(
        "eventTime".into(),
        format_rfc3339(c.event_time_ms, c.time_zone_offset_min).into(),
    );
    m.insert(
        "eventTimeZoneOffset".into(),
        format_offset(c.time_zone_offset_min).into(),
    );
    if let Some(a) = c.action {
        let a = match a {
            Action::Add => "ADD",
            Action::Observe => "OBSERVE",
            Action::Delete => "DELETE",
        };
        m.insert("action".into(), a.into());
    }
    let epcs = Value::Array(c.epcs.iter().map(|s| Value::String(s.clone())).collect());
    match c.event_type {
        EpcisEventType::Object => {
            m.insert("epcList".into(), epcs);
        }
        EpcisEventType::Transaction => {
            // EPCIS requires a business transaction; without a kept list, name the shipment.
            let shipment = format!("{SHIPMENT_URN_PREFIX}{}", c.shipment_id);
            m.insert(
                "bizTransactionList".into(),
                json!([{ "bizTransaction": shipment }]),
            );
            m.insert("epcList".into(), epcs);
        }
        EpcisEventType::Aggregation | EpcisEventType::Association => {
            if !c.epcs.is_empty() {
                m.insert("childEPCs".into(), epcs);
            }
        }
        EpcisEventType::Transformation => {
            if !c.epcs.is_empty() {
                m.insert("outputEPCList".into(), epcs);
            }
        }
    }
    if let Some(p) = &c.parent {
        m.insert("parentID".into(), p.clone().into());
    }
    m.insert(
        "bizStep".into(),
        vocab::denormalise(Vocab::BizStep, &c.biz_step).into(),
    );
    if let Some(d) = &c.disposition {
        m.insert(
            "disposition".into(),
            vocab::denormalise(Vocab::Disposition, d).into(),
        );
    }
    if let Some(l) = &c.read_point {
        m.insert("readPoint".into(), json!({ "id": location_id(l) }));
    }
    if let Some(l) = &c.biz_location {
        m.insert("bizLocation".into(), json!({ "id": location_id(l) }));
    }
    if let Some(s) = &c.seal {
        let status = match s.status {
            SealStatus::Applied => "applied",
            SealStatus::Intact => "intact",
            SealStatus::Opened => "opened",
            SealStatus::Broken => "broken",
        };
        m.insert(
            SEAL_FIELD.into(),
            json!({ "sealId": s.seal_id, "status": status }),
        );
    }
    for x in &c.extensions {
        // Extensions hold compact JSON written by the importer; one that does not parse (a
        // hand-made payload) is exported as a string rather than dropped.
        let value = serde_json::from_str(&x.json).unwrap_or_else(|_| Value::String(x.json.clone()));
        m.insert(x.name.clone(), value);
    }
    if c.event_type == EpcisEventType::Transformation
        && !["inputEPCList", "inputQuantityList", "transformationID"]
            .iter()
            .any(|k| m.contains_key(*k))
    {
        // EPCIS needs inputs and outputs, or a transformation id tying the halves together.
        let id = format!(
            "urn:tradeledger:transformation:{}:{}",
            c.shipment_id, c.event_time_ms
        );
        m.insert("transformationID".into(), id.into());
    }
    if !m.contains_key("sensorElementList") && !e.sensor_reports.is_empty() {
        m.insert(
            "sensorElementList".into(),
            export_sensor_elements(e.sensor_reports),
        );
    }
    m
}

/// The EPCIS id of a location: the site id as captured, else a `geo:` URI of the coordinates,
/// else a `urn:un:locode:` URN.
fn location_id(l: &Location) -> String {
    if let Some(s) = &l.site {
        return s.clone();
    }
    if let (Some(lat), Some(lon)) = (l.lat_micro_deg, l.lon_micro_deg) {
        return format!("geo:{},{}", micro(lat), micro(lon));
    }
    format!("urn:un:locode:{}", l.locode.as_deref().unwrap_or("ZZZZZ"))
}

fn micro(v: i32) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
}
