//! EPCIS `sensorElementList` ↔ tradeledger sensor reports.

use super::Skipped;
use super::decimal::{MilliError, format_milli, to_milli};
use super::error::{EpcisError, join};
use super::import::{opt_str, req_str, time_at};
use super::time::format_rfc3339;
use super::vocab;
use crate::recorder::report_from_series;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use tradeledger_types::validate as v;
use tradeledger_types::{Reading, SensorReport};

/// Device id used when neither the report, its metadata nor the read point names one.
pub const UNKNOWN_DEVICE: &str = "unknown-device";
/// Export writes a device id that is not a URI as `urn:tradeledger:device:ID` (EPCIS wants a
/// URI there); import strips the prefix again, so the device id survives the round trip.
pub const DEVICE_URN_PREFIX: &str = "urn:tradeledger:device:";

/// Converts a `sensorElementList` into one [`SensorReport`] per device, readings in time order.
///
/// A reading's time is the report's `time`, else the metadata's `time` or `endTime`, else the
/// event time; its device is the report's `deviceID`, else the metadata's, else
/// `fallback_device` (the read point), else [`UNKNOWN_DEVICE`]. Reports without a numeric
/// `value` (aggregates with only `minValue`/`maxValue`, `stringValue`, ...) carry no reading and
/// are listed as skipped.
pub(crate) fn import_sensor_elements(
    list: &Value,
    path: &str,
    shipment_id: &str,
    event_time_ms: u64,
    fallback_device: Option<&str>,
) -> Result<(Vec<SensorReport>, Vec<Skipped>), EpcisError> {
    let arr = list
        .as_array()
        .ok_or_else(|| EpcisError::new(path, "must be an array"))?;
    let mut per_device: BTreeMap<String, Vec<Reading>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for (i, el) in arr.iter().enumerate() {
        let ep = format!("{path}[{i}]");
        let el = el
            .as_object()
            .ok_or_else(|| EpcisError::new(&ep, "must be an object"))?;
        let meta_path = join(&ep, "sensorMetadata");
        let empty = Map::new();
        let meta = match el.get("sensorMetadata") {
            Some(Value::Object(m)) => m,
            Some(_) => return Err(EpcisError::new(meta_path, "must be an object")),
            None => &empty,
        };
        let meta_time = match (meta.get("time"), meta.get("endTime")) {
            (Some(t), _) => Some(time_at(t, &join(&meta_path, "time"))?.0),
            (None, Some(t)) => Some(time_at(t, &join(&meta_path, "endTime"))?.0),
            (None, None) => None,
        };
        if let Some(t) = meta.get("startTime") {
            time_at(t, &join(&meta_path, "startTime"))?;
        }
        let meta_device = device_at(meta, &meta_path)?;
        let rp = join(&ep, "sensorReport");
        let reports = match el.get("sensorReport") {
            Some(Value::Array(a)) => a,
            Some(_) => return Err(EpcisError::new(rp, "must be an array")),
            None => return Err(EpcisError::new(rp, "is required")),
        };
        for (j, r) in reports.iter().enumerate() {
            let p = format!("{rp}[{j}]");
            let r = r
                .as_object()
                .ok_or_else(|| EpcisError::new(&p, "must be an object"))?;
            let measurement = req_str(r, &p, "type")?;
            let time_ms = match r.get("time") {
                Some(t) => time_at(t, &join(&p, "time"))?.0,
                None => meta_time.unwrap_or(event_time_ms),
            };
            let Some(value) = r.get("value") else {
                skipped.push(Skipped {
                    path: p,
                    reason: "no numeric value (kept in the event's extensions)".into(),
                });
                continue;
            };
            let vp = join(&p, "value");
            let n = value
                .as_number()
                .ok_or_else(|| EpcisError::new(&vp, "must be a number"))?;
            let value_milli = to_milli(n).map_err(|e| match e {
                MilliError::TooPrecise => {
                    EpcisError::new(&vp, format!("{n} has more than 3 decimal places; readings are held exactly in milli-units"))
                }
                MilliError::TooLarge => EpcisError::new(&vp, format!("{n} is too large for milli-units")),
            })?;
            let uom = opt_str(r, &p, "uom")?;
            let kind = vocab::sensor_kind(measurement, uom);
            let unit = match uom {
                Some(u) => u.to_owned(),
                None if !kind.default_unit().is_empty() => kind.default_unit().to_owned(),
                None => "C62".to_owned(),
            };
            v::id("", &unit).map_err(|e| EpcisError::new(join(&p, "uom"), e.problem))?;
            let device = device_at(r, &p)?
                .or(meta_device)
                .or(fallback_device)
                .unwrap_or(UNKNOWN_DEVICE);
            per_device
                .entry(device.to_owned())
                .or_default()
                .push(Reading {
                    kind,
                    value_milli,
                    unit,
                    time_ms,
                });
        }
    }
    let reports = per_device
        .into_iter()
        .map(|(device, mut readings)| {
            readings.sort_by_key(|r| r.time_ms);
            report_from_series(
                shipment_id,
                &device,
                &readings,
                crate::recorder::CARRY_WHOLE_MAX,
            )
        })
        .collect::<Vec<SensorReport>>();
    // A document can contradict itself (a temperature below absolute zero, a relative humidity
    // above 100 %): refused here, as the ledger would refuse the report.
    for r in &reports {
        r.validate().map_err(|e| {
            EpcisError::new(path, format!("does not map to a valid sensor report: {e}"))
        })?;
    }
    Ok((reports, skipped))
}

fn device_at<'a>(obj: &'a Map<String, Value>, path: &str) -> Result<Option<&'a str>, EpcisError> {
    let d = opt_str(obj, path, "deviceID")?.map(|d| d.strip_prefix(DEVICE_URN_PREFIX).unwrap_or(d));
    if let Some(d) = d {
        v::id("", d).map_err(|e| EpcisError::new(join(path, "deviceID"), e.problem))?;
    }
    Ok(d)
}

/// Builds a `sensorElementList` from sensor reports (one element per report, one
/// `sensorReport` entry per carried reading). Used on export when the event kept no original
/// list.
pub(crate) fn export_sensor_elements(reports: &[SensorReport]) -> Value {
    let elements: Vec<Value> = reports
        .iter()
        .map(|r| {
            let entries: Vec<Value> = r
                .readings
                .iter()
                .map(|x| {
                    let value: Value =
                        serde_json::from_str(&format_milli(x.value_milli)).unwrap_or(Value::Null);
                    json!({
                        "type": vocab::measurement_type(x.kind),
                        "time": format_rfc3339(x.time_ms, 0),
                        "value": value,
                        "uom": x.unit,
                    })
                })
                .collect();
            let mut meta = Map::new();
            let is_uri = v::epc("", &r.device_id).is_ok() || r.device_id.contains(':');
            if is_uri && !r.device_id.starts_with(DEVICE_URN_PREFIX) {
                meta.insert("deviceID".into(), Value::String(r.device_id.clone()));
            } else {
                meta.insert(
                    "deviceID".into(),
                    Value::String(format!("{DEVICE_URN_PREFIX}{}", r.device_id)),
                );
            }
            json!({ "sensorMetadata": meta, "sensorReport": entries })
        })
        .collect();
    Value::Array(elements)
}
