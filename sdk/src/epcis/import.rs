//! EPCIS 2.0 JSON / JSON-LD → tradeledger payloads.

use super::error::{EpcisError, join};
use super::time::{parse_offset, parse_rfc3339};
use super::vocab::{self, Vocab};
use super::{ImportOptions, ImportedDocument, ImportedEvent, Skipped, sensor};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use tradeledger_types::validate as v;
use tradeledger_types::{
    Action, CustodyEvent, EpcisEventType, Extension, Location, Seal, SealStatus,
};

/// A `bizTransaction` value with this prefix names a tradeledger shipment id
/// (`urn:tradeledger:shipment:SHP-2026-000123`); EPCIS requires the value to be a URI.
pub const SHIPMENT_URN_PREFIX: &str = "urn:tradeledger:shipment:";

/// The name under which a seal observation travels in EPCIS (a tradeledger extension).
pub const SEAL_FIELD: &str = "tradeledger:seal";

/// Imports an EPCIS 2.0 JSON or JSON-LD document from text. See [`import_value`].
pub fn import_str(json: &str, options: &ImportOptions) -> Result<ImportedDocument, EpcisError> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| EpcisError::new("", format!("not JSON: {e}")))?;
    import_value(&value, options)
}

/// Imports an EPCIS 2.0 document: an `EPCISDocument` (events in `epcisBody.eventList`), an
/// `EPCISQueryDocument` (events in `epcisBody.queryResults.resultsBody.eventList`), or a bare
/// event. Fails on the first malformed value, naming its JSON path.
pub fn import_value(doc: &Value, options: &ImportOptions) -> Result<ImportedDocument, EpcisError> {
    let root = doc
        .as_object()
        .ok_or_else(|| EpcisError::new("", "must be a JSON object"))?;
    let doc_type = req_str(root, "", "type")?;
    let context = root.get("@context").cloned();
    let creation_date_ms = match root.get("creationDate") {
        Some(c) => Some(time_at(c, "creationDate")?.0),
        None => None,
    };
    let (list_path, list) = match doc_type {
        "EPCISDocument" => {
            let body = req_obj(root, "", "epcisBody")?;
            (
                "epcisBody.eventList".to_owned(),
                req_array(body, "epcisBody", "eventList")?,
            )
        }
        "EPCISQueryDocument" => {
            let body = req_obj(root, "", "epcisBody")?;
            let results = req_obj(body, "epcisBody", "queryResults")?;
            let rb = req_obj(results, "epcisBody.queryResults", "resultsBody")?;
            (
                "epcisBody.queryResults.resultsBody.eventList".to_owned(),
                req_array(rb, "epcisBody.queryResults.resultsBody", "eventList")?,
            )
        }
        t if event_type(t).is_some() => {
            let event = import_event(root, "", options)?;
            return Ok(ImportedDocument {
                context,
                creation_date_ms,
                events: vec![event],
            });
        }
        other => {
            return Err(EpcisError::new(
                "type",
                format!(
                    "expected EPCISDocument, EPCISQueryDocument or an event type, got {other:?}"
                ),
            ));
        }
    };
    let mut events = Vec::with_capacity(list.len());
    for (i, ev) in list.iter().enumerate() {
        let path = format!("{list_path}[{i}]");
        let obj = ev
            .as_object()
            .ok_or_else(|| EpcisError::new(&path, "must be an event object"))?;
        events.push(import_event(obj, &path, options)?);
    }
    Ok(ImportedDocument {
        context,
        creation_date_ms,
        events,
    })
}

/// Fields the importer maps into [`CustodyEvent`]; every other field of the event is kept in
/// `extensions`. `readPoint` and `bizLocation` are mapped, and also kept when they hold more
/// than an `id`.
const MAPPED: &[&str] = &[
    "@context",
    "type",
    "eventTime",
    "eventTimeZoneOffset",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    SEAL_FIELD,
];

fn event_type(t: &str) -> Option<EpcisEventType> {
    Some(match t {
        "ObjectEvent" => EpcisEventType::Object,
        "AggregationEvent" => EpcisEventType::Aggregation,
        "TransactionEvent" => EpcisEventType::Transaction,
        "TransformationEvent" => EpcisEventType::Transformation,
        "AssociationEvent" => EpcisEventType::Association,
        _ => return None,
    })
}

/// The EPC list fields of each event type: the list mapped to `epcs`, and whether `parentID`
/// is mapped to `parent`.
fn epc_fields(t: EpcisEventType) -> (&'static str, bool) {
    match t {
        EpcisEventType::Object => ("epcList", false),
        EpcisEventType::Aggregation | EpcisEventType::Association => ("childEPCs", true),
        EpcisEventType::Transaction => ("epcList", true),
        EpcisEventType::Transformation => ("outputEPCList", false),
    }
}

fn import_event(
    ev: &Map<String, Value>,
    path: &str,
    options: &ImportOptions,
) -> Result<ImportedEvent, EpcisError> {
    let type_name = req_str(ev, path, "type")?;
    let event_type = event_type(type_name).ok_or_else(|| {
        EpcisError::new(
            join(path, "type"),
            format!("not an EPCIS 2.0 event type: {type_name:?}"),
        )
    })?;
    let time_value = ev
        .get("eventTime")
        .ok_or_else(|| EpcisError::new(join(path, "eventTime"), "is required"))?;
    let (event_time_ms, time_offset) = time_at(time_value, &join(path, "eventTime"))?;
    let time_zone_offset_min = match ev.get("eventTimeZoneOffset") {
        Some(o) => {
            let p = join(path, "eventTimeZoneOffset");
            let s = o
                .as_str()
                .ok_or_else(|| EpcisError::new(&p, "must be a string such as \"+01:00\""))?;
            parse_offset(s).ok_or_else(|| {
                EpcisError::new(
                    &p,
                    format!("not a time-zone offset (+hh:mm, at most ±14:00): {s:?}"),
                )
            })?
        }
        None => time_offset,
    };
    let mut mapped: Vec<&str> = MAPPED.to_vec();
    let action = if event_type == EpcisEventType::Transformation {
        None
    } else {
        mapped.push("action");
        let p = join(path, "action");
        Some(match req_str(ev, path, "action")? {
            "ADD" => Action::Add,
            "OBSERVE" => Action::Observe,
            "DELETE" => Action::Delete,
            other => {
                return Err(EpcisError::new(
                    p,
                    format!("must be ADD, OBSERVE or DELETE, got {other:?}"),
                ));
            }
        })
    };
    let biz_step = match opt_str(ev, path, "bizStep")? {
        Some(s) => vocab::normalise(Vocab::BizStep, s),
        None => "other".to_owned(),
    };
    let disposition =
        opt_str(ev, path, "disposition")?.map(|d| vocab::normalise(Vocab::Disposition, d));
    let read_point = location(ev, path, "readPoint")?;
    let biz_location = location(ev, path, "bizLocation")?;
    let (list_field, has_parent) = epc_fields(event_type);
    mapped.push(list_field);
    let epcs = epc_list(ev, path, list_field)?;
    let parent = if has_parent {
        mapped.push("parentID");
        match opt_str(ev, path, "parentID")? {
            Some(p) => {
                check_epc(&join(path, "parentID"), p)?;
                Some(p.to_owned())
            }
            None => None,
        }
    } else {
        None
    };
    let seal = match ev.get(SEAL_FIELD) {
        Some(s) => Some(seal_at(s, &join(path, SEAL_FIELD))?),
        None => None,
    };
    let shipment_id = shipment_id(ev, path, options)?;
    let sensor_reports = match ev.get("sensorElementList") {
        Some(list) => {
            if !options.keep_sensor_elements {
                mapped.push("sensorElementList");
            }
            let fallback_device = read_point
                .as_ref()
                .and_then(|l| l.site.as_deref())
                .filter(|s| v::id("", s).is_ok());
            sensor::import_sensor_elements(
                list,
                &join(path, "sensorElementList"),
                &shipment_id,
                event_time_ms,
                fallback_device,
            )?
        }
        None => (Vec::new(), Vec::new()),
    };
    let mut extensions: BTreeMap<&str, String> = BTreeMap::new();
    for (k, val) in ev {
        let keep_location = matches!(k.as_str(), "readPoint" | "bizLocation")
            && val.as_object().is_some_and(|o| o.len() > 1);
        if !mapped.contains(&k.as_str()) || keep_location {
            extensions.insert(k, compact(val));
        }
    }
    let custody = CustodyEvent {
        shipment_id,
        event_type,
        action,
        biz_step,
        disposition,
        event_time_ms,
        time_zone_offset_min,
        read_point,
        biz_location,
        epcs,
        parent,
        seal,
        extensions: extensions
            .into_iter()
            .map(|(name, json)| Extension {
                name: name.to_owned(),
                json,
            })
            .collect(),
    };
    custody.validate().map_err(|e| {
        EpcisError::new(path, format!("does not map to a valid custody event: {e}"))
    })?;
    let (sensor_reports, skipped): (_, Vec<Skipped>) = sensor_reports;
    Ok(ImportedEvent {
        path: path.to_owned(),
        custody,
        sensor_reports,
        skipped,
    })
}

fn shipment_id(
    ev: &Map<String, Value>,
    path: &str,
    options: &ImportOptions,
) -> Result<String, EpcisError> {
    if let Some(wanted) = &options.shipment_biz_transaction_type
        && let Some(Value::Array(list)) = ev.get("bizTransactionList")
    {
        for (i, bt) in list.iter().enumerate() {
            let p = format!("{}[{i}]", join(path, "bizTransactionList"));
            let obj = bt
                .as_object()
                .ok_or_else(|| EpcisError::new(&p, "must be an object"))?;
            let t = obj.get("type").and_then(Value::as_str).map(normalise_btt);
            if t.as_deref() == Some(normalise_btt(wanted).as_str()) {
                let raw = req_str(obj, &p, "bizTransaction")?;
                let id = raw.strip_prefix(SHIPMENT_URN_PREFIX).unwrap_or(raw);
                v::id("", id).map_err(|_| {
                    EpcisError::new(join(&p, "bizTransaction"), format!("not a shipment id (1-64 printable ASCII characters without spaces): {id:?}"))
                })?;
                return Ok(id.to_owned());
            }
        }
    }
    Ok(options.shipment_id.clone())
}

fn normalise_btt(t: &str) -> String {
    for p in [
        "urn:epcglobal:cbv:btt:",
        "https://ref.gs1.org/cbv/BTT-",
        "https://gs1.org/voc/BTT-",
    ] {
        if let Some(rest) = t.strip_prefix(p) {
            return rest.to_owned();
        }
    }
    t.to_owned()
}

fn location(
    ev: &Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<Location>, EpcisError> {
    let Some(val) = ev.get(key) else {
        return Ok(None);
    };
    let p = join(path, key);
    let obj = val
        .as_object()
        .ok_or_else(|| EpcisError::new(&p, "must be an object with an id"))?;
    let id = req_str(obj, &p, "id")?;
    v::text("", id).map_err(|e| EpcisError::new(join(&p, "id"), e.problem))?;
    if id.is_empty() {
        return Err(EpcisError::new(join(&p, "id"), "must not be empty"));
    }
    Ok(Some(Location {
        locode: None,
        lat_micro_deg: None,
        lon_micro_deg: None,
        site: Some(id.to_owned()),
    }))
}

fn epc_list(ev: &Map<String, Value>, path: &str, key: &str) -> Result<Vec<String>, EpcisError> {
    let Some(val) = ev.get(key) else {
        return Ok(Vec::new());
    };
    let p = join(path, key);
    let arr = val
        .as_array()
        .ok_or_else(|| EpcisError::new(&p, "must be an array of EPC URIs"))?;
    v::list("", arr).map_err(|e| EpcisError::new(&p, e.problem))?;
    arr.iter()
        .enumerate()
        .map(|(i, e)| {
            let ep = format!("{p}[{i}]");
            let s = e
                .as_str()
                .ok_or_else(|| EpcisError::new(&ep, "must be a string"))?;
            check_epc(&ep, s)?;
            Ok(s.to_owned())
        })
        .collect()
}

fn check_epc(path: &str, s: &str) -> Result<(), EpcisError> {
    v::epc("", s).map_err(|_| {
        EpcisError::new(
            path,
            format!(
                "not an EPC URI (urn:epc:id:..., urn:epc:class:...) or GS1 Digital Link: {s:?}"
            ),
        )
    })
}

fn seal_at(val: &Value, path: &str) -> Result<Seal, EpcisError> {
    let obj = val
        .as_object()
        .ok_or_else(|| EpcisError::new(path, "must be an object with sealId and status"))?;
    let seal_id = req_str(obj, path, "sealId")?.to_owned();
    let status = match req_str(obj, path, "status")? {
        "applied" => SealStatus::Applied,
        "intact" => SealStatus::Intact,
        "opened" => SealStatus::Opened,
        "broken" => SealStatus::Broken,
        other => {
            return Err(EpcisError::new(
                join(path, "status"),
                format!("must be applied, intact, opened or broken, got {other:?}"),
            ));
        }
    };
    Ok(Seal { seal_id, status })
}

/// Parses a date-time value at `path`.
pub(crate) fn time_at(val: &Value, path: &str) -> Result<(u64, i16), EpcisError> {
    val.as_str()
        .and_then(parse_rfc3339)
        .ok_or_else(|| EpcisError::new(path, "not an RFC 3339 date-time"))
}

/// Compact JSON text of a value (object keys in the order serde_json keeps them).
pub(crate) fn compact(v: &Value) -> String {
    v.to_string()
}

pub(crate) fn req_str<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'a str, EpcisError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(EpcisError::new(join(path, key), "must be a string")),
        None => Err(EpcisError::new(join(path, key), "is required")),
    }
}

pub(crate) fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<&'a str>, EpcisError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(EpcisError::new(join(path, key), "must be a string")),
        None => Ok(None),
    }
}

fn req_obj<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'a Map<String, Value>, EpcisError> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(o),
        Some(_) => Err(EpcisError::new(join(path, key), "must be an object")),
        None => Err(EpcisError::new(join(path, key), "is required")),
    }
}

fn req_array<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'a Vec<Value>, EpcisError> {
    match obj.get(key) {
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(EpcisError::new(join(path, key), "must be an array")),
        None => Err(EpcisError::new(join(path, key), "is required")),
    }
}
